/*
 * engine.c: clock, 4-ary heap event queue with lazy cancellation, streams.
 * See engine.h for the ordering contract and the queue layout.
 */
#include "sim/engine/engine.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/rstream.h"

/* A heap entry is one 128-bit unsigned number, so that comparing two
 * entries is one integer comparison (two instructions, no branch) and the
 * entry's order is the event's:
 *
 *     bits 127..64  time (>= 0)
 *     bits  63..56  priority, biased to unsigned
 *     bits  55..28  insertion sequence (renumbered before it runs out)
 *     bits  27..0   slot of the callback
 *
 * Sequences are unique among pending entries, so the slot bits never
 * decide an order.  Sixteen bytes, and the heap's array is placed so that
 * the four children of every node share one 64-byte cache line: a sift
 * through a heap larger than the caches misses once per level (24-byte
 * entries spanned two lines per level). */
__extension__ typedef unsigned __int128 hent;

typedef struct slot {
    rg_evfn fn; /* NULL: cancelled, its entry still in the heap */
    void *ctx;
    uint64_t arg;
    uint32_t gen;  /* bumped when the event fires or is cancelled */
    uint32_t next; /* free-list link */
} slot;

typedef struct named_stream {
    char *name;
    gsl_rng *r;
    bool seeded; /* for this replication (false: kept from an earlier one) */
} named_stream;

struct rg_engine {
    rg_time now;
    hent *heap;  /* heap[0] is the root; heap[1..4] start a cache line */
    void *block; /* the allocation heap points into */
    size_t n, cap;
    slot *slots;
    size_t nslots, slotcap;
    uint32_t free_head; /* UINT32_MAX: empty */
    uint64_t seq;
    uint64_t live;
    uint64_t stale; /* cancelled entries still in the heap */
    bool stop;
    /* heap[0] is a hole: its event is firing (rg_engine_run), and the first
     * event its callback schedules goes there (fused pop and push). */
    bool hole;
    bool past_end; /* an event fell after RG_TIME_MAX (engine.h) */
    uint64_t seed, rep;
    /* Away from `live`: updated side by side, the two were joined into one
     * 16-byte load that waited on rg_at's 8-byte store of `live` (a failed
     * store-to-load forward on every event). */
    uint64_t events;
    const gsl_rng_type *rng_type;
    named_stream *streams;
    size_t nstreams;
    rg_lane *lanes;       /* every lane of the engine (renumber) */
    uint64_t lane_items;  /* live timers in all lanes */
    uint64_t lane_queued; /* live timers in lanes whose event is not in the heap */
};

/* A lane's timer: its entry as it will be in the heap (time, priority,
 * the sequence it took when set; the slot bits are 0, or LANE_CANCELLED). */
typedef struct litem {
    hent key;
    void *ctx;
    uint64_t arg;
} litem;

struct rg_lane {
    rg_engine *e; /* NULL once the engine was reset or freed */
    rg_evfn fn;
    void (*warm)(const void *ctx, uint64_t arg); /* rg_lane_warm, or NULL */
    int prio;
    litem *items; /* ring, cap a power of two; items[head] is timer first_id */
    size_t head, len, cap;
    uint64_t first_id;
    uint64_t live; /* timers not cancelled */
    rg_time last;  /* the time of the last timer set */
    rg_evh ev;     /* the event of items[head], live whenever len > 0 */
    rg_lane *prev, *next;
};

/* engine.h reads the clock inline at the start of the struct. */
_Static_assert(offsetof(struct rg_engine, now) == 0, "the clock is the engine's first member");
_Static_assert(RG_PRIO_MAX - RG_PRIO_MIN == 0xff, "priorities fill the entry's 8 bits");

#define NO_SLOT UINT32_MAX
#define LANE_CANCELLED 1u
#define SLOT_BITS 28
#define SLOT_MASK ((UINT64_C(1) << SLOT_BITS) - 1)
#define SEQ_SHIFT SLOT_BITS
/* Fewer only in a test build (tests/engine-renum-t), to renumber often. */
#ifndef RG_ENGINE_SEQ_BITS
#define RG_ENGINE_SEQ_BITS 28
#endif
_Static_assert(RG_ENGINE_SEQ_BITS >= 8 && RG_ENGINE_SEQ_BITS <= 28,
               "the sequence field has 28 bits");
#define SEQ_LIMIT (UINT64_C(1) << RG_ENGINE_SEQ_BITS)
#define PRIO_SHIFT 56
/* At most this many slots (events pending or cancelled in the heap), so
 * a renumbering leaves at least as many fresh sequences as it used: the
 * renumbering's O(n log n) is paid at most once per 2^27 events. */
#define MAX_SLOTS (SEQ_LIMIT / 2)
#define CACHE_LINE 64
/* From this many entries on, the run loop fetches the next event's slot
 * ahead (rg_engine_run): beyond the caches' reach, about 256 KB of slots;
 * below it the slot is nearly always cached and the fetch only costs. */
#define PREFETCH_MIN 8192
/* From this many entries on, a sift fetches the grandchildren ahead
 * (min_child): a smaller heap, at most 32 KB, stays in the first-level
 * cache, where the fetches are only instructions (drop125 keeps about 35
 * entries). */
#define SIFT_PREFETCH_MIN 2048
/* From this many timers on, a lane fetches the context of the timer after
 * next as one fires (lane_fire). */
#define LANE_FETCH_MIN 64

static inline rg_time time_of(hent x)
{
    return (rg_time)(uint64_t)(x >> 64);
}

static inline uint32_t slot_of(hent x)
{
    return (uint32_t)((uint64_t)x & SLOT_MASK);
}

/* Makes room for cap entries: the new array is placed so that heap[1] starts
 * a cache line (then heap[4i+1 .. 4i+4], the children of i, fill one line). */
static void heap_alloc(rg_engine *e, size_t cap)
{
    RG_ASSERT(cap <= (SIZE_MAX - 2 * CACHE_LINE) / sizeof(hent));
    char *block = rg_xmalloc(cap * sizeof(hent) + 2 * CACHE_LINE);
    uintptr_t line = ((uintptr_t)block + CACHE_LINE - 1) & ~(uintptr_t)(CACHE_LINE - 1);
    hent *h = (hent *)(void *)((char *)line + CACHE_LINE - sizeof(hent));
    if (e->n > 0)
        memcpy(h, e->heap, e->n * sizeof *h);
    free(e->block);
    e->block = block;
    e->heap = h;
    e->cap = cap;
}

rg_engine *rg_engine_new(uint64_t seed, uint64_t rep, const gsl_rng_type *rng_type)
{
    rg_engine *e = rg_xcalloc(1, sizeof *e);
    /* Room for a typical replication's pending events up front: growing
     * from nothing costs a string of reallocations per replication. */
    heap_alloc(e, 256);
    e->slotcap = 256;
    e->slots = rg_xmalloc(e->slotcap * sizeof *e->slots);
    e->free_head = NO_SLOT;
    e->seed = seed;
    e->rep = rep;
    e->rng_type = rng_type ? rng_type : gsl_rng_mt19937;
    return e;
}

/* Lanes left on an engine that is reset or freed keep their memory (their
 * owner frees them) but no longer belong to it. */
static void detach_lanes(rg_engine *e)
{
    for (rg_lane *l = e->lanes, *next; l != NULL; l = next) {
        next = l->next;
        l->e = NULL;
        l->prev = l->next = NULL;
    }
    e->lanes = NULL;
    e->lane_items = e->lane_queued = 0;
}

void rg_engine_reset(rg_engine *e, uint64_t seed, uint64_t rep, const gsl_rng_type *rng_type)
{
    detach_lanes(e);
    rng_type = rng_type ? rng_type : gsl_rng_mt19937;
    if (rng_type != e->rng_type) {
        for (size_t i = 0; i < e->nstreams; i++) {
            free(e->streams[i].name);
            gsl_rng_free(e->streams[i].r);
        }
        e->nstreams = 0;
    }
    for (size_t i = 0; i < e->nstreams; i++)
        e->streams[i].seeded = false;
    e->now = 0;
    e->n = 0;
    /* The slots are kept, all free: rg_at takes them from the free list
     * instead of its slow path.  Their generations move on, so a handle of
     * the old replication names no event of the new one.  Which slot an
     * event gets never affects the order (engine.h). */
    e->free_head = NO_SLOT;
    for (size_t i = e->nslots; i-- > 0;) {
        if (++e->slots[i].gen == 0)
            e->slots[i].gen = 1;
        e->slots[i].next = e->free_head;
        e->free_head = (uint32_t)i;
    }
    e->seq = e->events = e->live = e->stale = 0;
    e->stop = false;
    e->hole = false;
    e->past_end = false;
    e->seed = seed;
    e->rep = rep;
    e->rng_type = rng_type;
}

void rg_engine_free(rg_engine *e)
{
    if (e == NULL)
        return;
    detach_lanes(e);
    for (size_t i = 0; i < e->nstreams; i++) {
        free(e->streams[i].name);
        gsl_rng_free(e->streams[i].r);
    }
    free(e->streams);
    free(e->block);
    free(e->slots);
    free(e);
}

/* Places x, the new entry at position i (the end), where it belongs. */
__attribute__((always_inline)) static inline void sift_up(hent *h, size_t i, hent x)
{
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!(x < h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* The smaller of two heap positions' entries.  Entries are unique (the
 * sequence), so there are no ties and any tournament picks the same entry. */
static inline size_t smaller(const hent *h, size_t a, size_t b)
{
    return h[b] < h[a] ? b : a;
}

/* The smallest of the four entries from position c on, by a fixed
 * tournament (three comparisons the compiler turns into conditional
 * moves). */
static inline size_t smallest4(const hent *h, size_t c)
{
    return smaller(h, smaller(h, c, c + 1), smaller(h, c + 2, c + 3));
}

/* The position of the smallest child of position i, or 0 if it has none
 * (0 is nobody's child).  A node with all four children picks by
 * smallest4; only the last parent, with fewer, takes the loop. */
__attribute__((always_inline)) static inline size_t min_child(const hent *h, size_t n, size_t i)
{
    size_t c = 4 * i + 1;
    if (c + 3 < n) {
        /* The grandchildren, four cache lines, are fetched while the
         * children are compared: in a heap larger than the caches each
         * level's miss then overlaps the one before instead of following
         * it. */
        size_t g = 4 * c + 1;
        if (n > SIFT_PREFETCH_MIN && g + 12 < n) {
            __builtin_prefetch(&h[g]);
            __builtin_prefetch(&h[g + 4]);
            __builtin_prefetch(&h[g + 8]);
            __builtin_prefetch(&h[g + 12]);
        }
        return smallest4(h, c);
    }
    if (c >= n)
        return 0;
    size_t best = c;
    for (size_t k = c + 1; k < n; k++)
        best = smaller(h, best, k);
    return best;
}

/* Restores the heap with x in the hole at position i (h[i] is not read).
 * Floyd's bottom-up variant: walk the hole down along the smallest children
 * to a leaf without comparing against x, then sift x up from there.  The
 * former last entry almost always belongs near the bottom, so this saves
 * about a quarter of the comparisons of the textbook loop. */
__attribute__((always_inline)) static inline void sift_hole(hent *h, size_t n, size_t i, hent x)
{
    size_t start = i;
    for (;;) {
        size_t best = min_child(h, n, i);
        if (best == 0)
            break;
        h[i] = h[best];
        i = best;
    }
    while (i > start) {
        size_t p = (i - 1) / 4;
        if (!(x < h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* Places x in the hole at the root: the textbook loop, which stops as soon
 * as x is before the smallest child.  A newly scheduled event belongs
 * higher in the heap than the former last entry, often near the top
 * (drop125: 2 % fewer instructions in all than walking to a leaf first). */
__attribute__((always_inline)) static inline void sift_top(hent *h, size_t n, hent x)
{
    size_t i = 0;
    for (;;) {
        size_t best = min_child(h, n, i);
        if (best == 0)
            break;
        if (!(h[best] < x))
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = x;
}

static void sift_down(hent *h, size_t n, size_t i)
{
    sift_hole(h, n, i, h[i]);
}

/* Fills the hole at the root with the last entry: the pop, completed once
 * the callback scheduled nothing. */
static void fill_hole(rg_engine *e)
{
    e->hole = false;
    if (--e->n > 0)
        sift_hole(e->heap, e->n, 0, e->heap[e->n]);
}

static inline void push_free(rg_engine *e, uint32_t s)
{
    e->slots[s].next = e->free_head;
    e->free_head = s;
}

/* Moves a generation on, keeping 0 for the null handle. */
static inline void bump(slot *sl)
{
    if (++sl->gen == 0)
        sl->gen = 1;
}

/* Schedules the entry `key` (time, priority and sequence; slot bits 0) once
 * the free list has a slot and the heap has room (or a hole): no calls, so
 * no registers to save. */
__attribute__((always_inline)) static inline rg_evh insert(rg_engine *e, hent key, rg_evfn fn,
                                                           void *ctx, uint64_t arg)
{
    uint32_t s = e->free_head;
    slot *sl = &e->slots[s];
    e->free_head = sl->next;
    sl->fn = fn;
    sl->ctx = ctx;
    sl->arg = arg;
    uint32_t gen = sl->gen;
    hent x = key | s;
    if (e->hole) {
        /* The firing event's place: one sift down from the root instead of
         * a pop and a push.  x is due at or after now, like every entry. */
        e->hole = false;
        sift_top(e->heap, e->n, x);
    } else {
        sift_up(e->heap, e->n++, x);
    }
    e->live++;
    return (rg_evh){s, gen};
}

/* The entry of an event at t with priority prio and the next sequence. */
static inline hent make_key(rg_engine *e, rg_time t, int prio)
{
    return ((hent)(uint64_t)t << 64) |
           ((uint64_t)(prio - RG_PRIO_MIN) << PRIO_SHIFT | e->seq++ << SEQ_SHIFT);
}

/* rg_at once its preconditions hold and a sequence, a slot and room are
 * there. */
__attribute__((always_inline)) static inline rg_evh at_fast(rg_engine *e, rg_time t, int prio,
                                                            rg_evfn fn, void *ctx, uint64_t arg)
{
    return insert(e, make_key(e, t, prio), fn, ctx, arg);
}

static int cmp_entry_at(const void *a, const void *b)
{
    hent x = **(hent *const *)a >> SEQ_SHIFT, y = **(hent *const *)b >> SEQ_SHIFT;
    return (x > y) - (x < y);
}

/* Gives the sequences in use, those of the heap's entries and of the
 * lanes' timers, the ranks 0, 1, ... in their order, so the sequence field
 * never runs out: a sequence's only job is to order entries of equal time
 * and priority, which their ranks do as well.  The order of all entries is
 * kept, so the heap stays a heap as it is.  A lane's first timer and its
 * heap entry have the same sequence, and keep sharing one.  O(n log n), at
 * most once per 2^27 events (MAX_SLOTS). */
static void renumber(rg_engine *e)
{
    if (e->hole)
        fill_hole(e);
    size_t total = e->n + (size_t)e->lane_items, k = 0;
    hent **at = rg_xmalloc((total ? total : 1) * sizeof *at);
    for (size_t i = 0; i < e->n; i++)
        at[k++] = &e->heap[i];
    /* A cancelled timer never fires and is never compared: it keeps its
     * old sequence. */
    for (rg_lane *l = e->lanes; l != NULL; l = l->next)
        for (size_t i = 0; i < l->len; i++) {
            hent *key = &l->items[(l->head + i) & (l->cap - 1)].key;
            if (!(*key & LANE_CANCELLED))
                at[k++] = key;
        }
    RG_ASSERT(k == total);
    qsort(at, k, sizeof *at, cmp_entry_at);
    hent field = (hent)(((UINT64_C(1) << 28) - 1) << SEQ_SHIFT);
    uint64_t rank = 0;
    hent prev = 0; /* the entry before, as it was */
    for (size_t i = 0; i < k; i++) {
        hent cur = *at[i] >> SEQ_SHIFT;
        if (i > 0 && cur != prev)
            rank++;
        prev = cur;
        *at[i] = (*at[i] & ~field) | (hent)(rank << SEQ_SHIFT);
    }
    e->seq = k > 0 ? rank + 1 : 0;
    free(at);
}

/* Makes sure a slot is free and the heap has room for one more entry. */
static void make_room(rg_engine *e)
{
    if (e->free_head == NO_SLOT) {
        /* Sequences in use (heap entries and lane timers) stay within
         * MAX_SLOTS, so a renumbering leaves as many fresh ones. */
        RG_ENGINE_ASSERT(e, e->nslots + e->lane_items < MAX_SLOTS);
        if (e->nslots == e->slotcap)
            rg_xgrow((void **)&e->slots, &e->slotcap, e->nslots + 1, sizeof *e->slots);
        uint32_t s = (uint32_t)e->nslots++;
        e->slots[s].gen = 1;
        push_free(e, s);
    }
    if (!e->hole && e->n == e->cap)
        heap_alloc(e, 2 * e->cap);
}

/* The slow path of rg_at, out of line so the hot path stays short: a
 * failed precondition (an always-on assertion), sequences run out, an
 * empty free list (a new slot goes on it), a full heap. */
__attribute__((noinline)) static rg_evh at_slow(rg_engine *e, rg_time t, int prio, rg_evfn fn,
                                                void *ctx, uint64_t arg)
{
    RG_ENGINE_ASSERT(e, t >= e->now);
    RG_ENGINE_ASSERT(e, prio >= RG_PRIO_MIN && prio <= RG_PRIO_MAX);
    RG_ENGINE_ASSERT(e, fn != NULL);
    if (e->seq >= SEQ_LIMIT)
        renumber(e);
    make_room(e);
    return at_fast(e, t, prio, fn, ctx, arg);
}

/* The preconditions, a free slot and room in the heap, in one predictable
 * branch: (unsigned) maps a priority outside [MIN, MAX] beyond 0xff.
 * The slow path is a tail call, so the fast one makes none.  `t_ok`: the
 * caller has shown t >= now (rg_after). */
__attribute__((always_inline)) static inline rg_evh
at(rg_engine *e, rg_time t, int prio, rg_evfn fn, void *ctx, uint64_t arg, bool t_ok)
{
    if (__builtin_expect((!t_ok && t < e->now) || (unsigned)(prio - RG_PRIO_MIN) > 0xffu ||
                             fn == NULL || e->seq >= SEQ_LIMIT || e->free_head == NO_SLOT ||
                             (e->n == e->cap && !e->hole),
                         0))
        return at_slow(e, t, prio, fn, ctx, arg);
    return at_fast(e, t, prio, fn, ctx, arg);
}

rg_evh rg_at(rg_engine *e, rg_time t, int prio, rg_evfn fn, void *ctx, uint64_t arg)
{
    return at(e, t, prio, fn, ctx, arg, false);
}

/* rg_after's rare cases, out of line: a negative delay (an assertion) and
 * one that passes the end of time (saturated, engine.h). */
__attribute__((noinline)) static rg_evh after_far(rg_engine *e, rg_time dt, int prio, rg_evfn fn,
                                                  void *ctx, uint64_t arg)
{
    RG_ENGINE_ASSERT(e, dt >= 0);
    e->past_end = true;
    return rg_at(e, RG_TIME_MAX, prio, fn, ctx, arg);
}

rg_evh rg_after(rg_engine *e, rg_time dt, int prio, rg_evfn fn, void *ctx, uint64_t arg)
{
    /* One unsigned comparison catches both a negative delay (huge as
     * unsigned) and one past RG_TIME_MAX; after it, now + dt >= now. */
    if (__builtin_expect((uint64_t)dt > (uint64_t)(RG_TIME_MAX - e->now), 0))
        return after_far(e, dt, prio, fn, ctx, arg);
    return at(e, e->now + dt, prio, fn, ctx, arg, true);
}

bool rg_pending(const rg_engine *e, rg_evh h)
{
    return h.gen != 0 && h.slot < e->nslots && e->slots[h.slot].gen == h.gen;
}

/* Removes every cancelled entry (freeing its slot) and re-heapifies: O(n),
 * run when cancelled entries outnumber live ones, so the heap never
 * exceeds twice the pending events (timeouts that are nearly always
 * cancelled would otherwise pile up and deepen every sift). */
static void compact(rg_engine *e)
{
    if (e->hole)
        fill_hole(e);
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++) {
        uint32_t s = slot_of(e->heap[i]);
        if (e->slots[s].fn != NULL)
            e->heap[k++] = e->heap[i];
        else
            push_free(e, s);
    }
    e->n = k;
    e->stale = 0;
    for (size_t i = k / 4 + 1; i-- > 0;)
        if (i < k)
            sift_down(e->heap, k, i);
}

/* The slot stays taken until its entry leaves the heap (fired over or
 * compacted away): the entry names it, and no other event may. */
bool rg_cancel(rg_engine *e, rg_evh h)
{
    if (!rg_pending(e, h))
        return false;
    slot *sl = &e->slots[h.slot];
    bump(sl);
    sl->fn = NULL;
    e->live--;
    e->stale++;
    if (e->stale > 32 && e->stale > e->live)
        compact(e);
    return true;
}

rg_runstop rg_engine_run(rg_engine *e, rg_time until, uint64_t max_events)
{
    RG_ENGINE_ASSERT(e, !e->hole); /* not from inside a callback */
    e->stop = false;
    /* Counted down; with no limit it would take 2^64 events to run out. */
    uint64_t budget = max_events != 0 ? max_events : UINT64_MAX;
    while (e->n > 0) {
        hent top = e->heap[0];
        rg_time t = time_of(top);
        uint32_t s = slot_of(top);
        slot *sl = &e->slots[s];
        if (sl->fn == NULL) { /* cancelled */
            e->stale--;
            push_free(e, s);
            if (--e->n > 0)
                sift_hole(e->heap, e->n, 0, e->heap[e->n]);
            continue;
        }
        /* One test for both rare stops: t >= until covers t == RG_TIME_MAX
         * whatever until is. */
        if (__builtin_expect(t >= until, 0)) {
            /* Everything due before the end of time has fired. */
            if (e->past_end && t == RG_TIME_MAX)
                return RG_RUN_END_OF_TIME;
            if (t > until) {
                e->now = until;
                return RG_RUN_UNTIL;
            }
        }
        if (__builtin_expect(budget == 0, 0))
            return RG_RUN_BUDGET;
        budget--;
        rg_evfn fn = sl->fn;
        void *ctx = sl->ctx;
        uint64_t arg = sl->arg;
        bump(sl);
        push_free(e, s);
        e->live--;
        e->now = t;
        e->events++;
        e->hole = true;
        if (e->n > PREFETCH_MIN) {
            /* Unless the callback schedules an earlier event, the next
             * one is the root's smallest child c1, and the one after it
             * the smaller of the root's second child and c1's smallest
             * child.  Their slots are fetched now, and the first two
             * cache lines of the next event's context (most often a
             * model's record: a request, a client), from its slot, which
             * the turn before fetched as its second: each miss overlaps
             * a callback instead of stalling this loop or the next
             * callback.  A prefetch never faults and changes nothing, so
             * a stale slot or a freed context costs only the fetch. */
            const hent *h = e->heap;
            size_t a = smaller(h, 1, 2), b = smaller(h, 3, 4);
            size_t c1 = smaller(h, a, b);
            size_t second = c1 == a ? smaller(h, 3 - a, b) : smaller(h, a, 7 - b);
            /* c1 <= 4 and n > 8192: all four children of c1 exist */
            size_t c2 = smaller(h, second, smallest4(h, 4 * c1 + 1));
            const slot *next = &e->slots[slot_of(h[c1])];
            __builtin_prefetch(next);
            __builtin_prefetch(&e->slots[slot_of(h[c2])]);
            rg_prefetch_record(next->ctx);
        }
        fn(e, ctx, arg);
        if (e->hole)
            fill_hole(e);
        if (e->stop)
            return RG_RUN_STOPPED;
    }
    return RG_RUN_EMPTY;
}

void rg_engine_stop(rg_engine *e)
{
    e->stop = true;
}
rg_time rg_engine_add(rg_engine *e, rg_time a, rg_time b)
{
    RG_ENGINE_ASSERT(e, a >= 0 && b >= 0);
    if (b > RG_TIME_MAX - a) {
        e->past_end = true;
        return RG_TIME_MAX;
    }
    return a + b;
}

bool rg_engine_past_end(const rg_engine *e)
{
    return e->past_end;
}
uint64_t rg_engine_events(const rg_engine *e)
{
    return e->events;
}
uint64_t rg_engine_pending(const rg_engine *e)
{
    return e->live + e->lane_queued;
}
uint64_t rg_engine_seed(const rg_engine *e)
{
    return e->seed;
}
uint64_t rg_engine_rep(const rg_engine *e)
{
    return e->rep;
}

/* ---- lanes ------------------------------------------------------------ */

rg_lane *rg_lane_new(rg_engine *e, int prio, rg_evfn fn)
{
    RG_ENGINE_ASSERT(e, prio >= RG_PRIO_MIN && prio <= RG_PRIO_MAX);
    RG_ENGINE_ASSERT(e, fn != NULL);
    rg_lane *l = rg_xcalloc(1, sizeof *l);
    l->e = e;
    l->fn = fn;
    l->prio = prio;
    l->cap = 16;
    l->items = rg_xmalloc(l->cap * sizeof *l->items);
    l->first_id = 1; /* 0 names no timer */
    l->next = e->lanes;
    if (e->lanes != NULL)
        e->lanes->prev = l;
    e->lanes = l;
    return l;
}

void rg_lane_free(rg_lane *l)
{
    if (l == NULL)
        return;
    rg_engine *e = l->e;
    if (e != NULL) {
        if (l->len > 0) {
            rg_cancel(e, l->ev);
            e->lane_queued -= l->live - 1;
        }
        e->lane_items -= l->live;
        if (l->prev != NULL)
            l->prev->next = l->next;
        else
            e->lanes = l->next;
        if (l->next != NULL)
            l->next->prev = l->prev;
    }
    free(l->items);
    free(l);
}

static void lane_fire(rg_engine *e, void *ctx, uint64_t arg);

/* Drops the lane's first timer from its ring. */
static void lane_drop_first(rg_lane *l)
{
    l->head = (l->head + 1) & (l->cap - 1);
    l->len--;
    l->first_id++;
}

/* Drops the cancelled timers at the front, then gives the first live one
 * its event, with the entry it took when it was set: the order is the one
 * an event per timer would have had. */
static void lane_arm(rg_lane *l)
{
    rg_engine *e = l->e;
    while (l->len > 0 && (l->items[l->head].key & LANE_CANCELLED))
        lane_drop_first(l);
    if (l->len == 0)
        return;
    const litem *it = &l->items[l->head];
    /* Every timer after the first is due at or after it, and the first was
     * pending, so it is due at or after now. */
    RG_ENGINE_ASSERT(e, time_of(it->key) >= e->now);
    make_room(e);
    l->ev = insert(e, it->key, lane_fire, l, 0);
    e->lane_queued--;
}

static void lane_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_lane *l = ctx;
    (void)arg;
    litem it = l->items[l->head]; /* live: lane_arm drops cancelled ones */
    lane_drop_first(l);
    l->live--;
    e->lane_items--;
    l->ev = (rg_evh){0, 0};
    lane_arm(l); /* into the firing event's place: no extra sift */
    if (l->len > LANE_FETCH_MIN) {
        /* A long queue's timers fire long after they were set, their
         * contexts out of the caches: the one after next is fetched now
         * (its first two lines; a cancelled one's costs only the fetch),
         * and the warm hook works on the next one's, fetched a timer ago
         * (rg_lane_warm). */
        rg_prefetch_record(l->items[(l->head + 1) & (l->cap - 1)].ctx);
        const litem *next = &l->items[l->head]; /* live: lane_arm */
        if (l->warm != NULL)
            l->warm(next->ctx, next->arg);
    }
    l->fn(e, it.ctx, it.arg);
}

void rg_lane_warm(rg_lane *l, void (*warm)(const void *ctx, uint64_t arg))
{
    l->warm = warm;
}

uint64_t rg_lane_after(rg_lane *l, rg_time dt, void *ctx, uint64_t arg)
{
    rg_engine *e = l->e;
    RG_ASSERT(e != NULL); /* a lane of an engine since reset or freed */
    RG_ENGINE_ASSERT(e, dt >= 0);
    if ((uint64_t)dt > (uint64_t)(RG_TIME_MAX - e->now)) {
        e->past_end = true; /* saturated, as rg_after does */
        return rg_lane_at(l, RG_TIME_MAX, ctx, arg);
    }
    return rg_lane_at(l, e->now + dt, ctx, arg);
}

uint64_t rg_lane_at(rg_lane *l, rg_time t, void *ctx, uint64_t arg)
{
    rg_engine *e = l->e;
    RG_ASSERT(e != NULL); /* a lane of an engine since reset or freed */
    RG_ENGINE_ASSERT(e, t >= e->now);
    RG_ENGINE_ASSERT(e, t >= l->last); /* due in the order they are set */
    l->last = t;
    RG_ENGINE_ASSERT(e, e->nslots + e->lane_items < MAX_SLOTS);
    if (e->seq >= SEQ_LIMIT)
        renumber(e);
    if (l->len == l->cap) {
        litem *items = rg_xmalloc(2 * l->cap * sizeof *items);
        for (size_t i = 0; i < l->len; i++)
            items[i] = l->items[(l->head + i) & (l->cap - 1)];
        free(l->items);
        l->items = items;
        l->head = 0;
        l->cap *= 2;
    }
    litem *it = &l->items[(l->head + l->len) & (l->cap - 1)];
    it->key = make_key(e, t, l->prio);
    it->ctx = ctx;
    it->arg = arg;
    l->len++;
    l->live++;
    e->lane_items++;
    e->lane_queued++;
    if (l->len == 1)
        lane_arm(l);
    return l->first_id + l->len - 1;
}

/* Timer id of lane l if it is still pending, else NULL. */
static litem *lane_pending(const rg_lane *l, uint64_t id)
{
    if (l->e == NULL || id < l->first_id || id - l->first_id >= l->len)
        return NULL;
    litem *it = &l->items[(l->head + (id - l->first_id)) & (l->cap - 1)];
    return it->key & LANE_CANCELLED ? NULL : it;
}

bool rg_lane_cancel(rg_lane *l, uint64_t id)
{
    litem *it = lane_pending(l, id);
    if (it == NULL)
        return false;
    rg_engine *e = l->e;
    it->key |= LANE_CANCELLED;
    l->live--;
    e->lane_items--;
    if (id == l->first_id) {
        /* The first timer: its event goes, and the next live one's comes. */
        rg_cancel(e, l->ev);
        l->ev = (rg_evh){0, 0};
        lane_arm(l);
    } else {
        e->lane_queued--;
    }
    return true;
}

bool rg_lane_pending(const rg_lane *l, uint64_t id)
{
    return lane_pending(l, id) != NULL;
}

gsl_rng *rg_engine_stream(rg_engine *e, const char *name)
{
    for (size_t i = 0; i < e->nstreams; i++) {
        named_stream *ns = &e->streams[i];
        if (strcmp(ns->name, name) != 0)
            continue;
        if (!ns->seeded) {
            /* A generator kept by rg_engine_reset: gsl_rng_set sets the
             * whole state, so it is the stream a new one would be. */
            gsl_rng_set(ns->r, (unsigned long)rg_stream_seed(e->seed, e->rep, name));
            ns->seeded = true;
        }
        return ns->r;
    }
    e->streams = rg_xrealloc(e->streams, (e->nstreams + 1) * sizeof *e->streams);
    named_stream *ns = &e->streams[e->nstreams++];
    ns->name = rg_xstrdup(name);
    ns->r = rg_stream_new(e->rng_type, e->seed, e->rep, name);
    ns->seeded = true;
    return ns->r;
}

void rg_vtrace(const rg_engine *e, FILE *f, const char *fmt, va_list ap)
{
    if (f == NULL)
        return;
    fprintf(f, "%10.3f ms  ", rg_time_ms(rg_now(e)));
    vfprintf(f, fmt, ap);
}

void rg_trace(const rg_engine *e, FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rg_vtrace(e, f, fmt, ap);
    va_end(ap);
}
