/*
 * engine.c: clock, 4-ary heap event queue with lazy cancellation, streams.
 * See engine.h for the ordering contract and the queue layout.
 */
#include "sim/engine/engine.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/rstream.h"

/* A heap entry.  `key` packs the priority (biased to unsigned, high 16 bits)
 * above a 48-bit insertion sequence, so one integer comparison orders ties by
 * priority and then first-in-first-out.  2^48 events is about three days at
 * a billion events per second. */
typedef struct hent {
    rg_time t;
    uint64_t key;
    uint32_t slot, gen;
} hent;

typedef struct slot {
    rg_evfn fn;
    void *ctx;
    uint64_t arg;
    uint32_t gen;  /* bumped when the slot is freed */
    uint32_t next; /* free-list link */
} slot;

typedef struct named_stream {
    char *name;
    gsl_rng *r;
    bool seeded; /* for this replication (false: kept from an earlier one) */
} named_stream;

struct rg_engine {
    rg_time now;
    hent *heap;
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
};

/* engine.h reads the clock inline at the start of the struct. */
_Static_assert(offsetof(struct rg_engine, now) == 0, "the clock is the engine's first member");

#define NO_SLOT UINT32_MAX
#define SEQ_BITS 48
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)

rg_engine *rg_engine_new(uint64_t seed, uint64_t rep, const gsl_rng_type *rng_type)
{
    rg_engine *e = rg_xcalloc(1, sizeof *e);
    /* Room for a typical replication's pending events up front: growing
     * from nothing costs a string of reallocations per replication. */
    e->cap = e->slotcap = 256;
    e->heap = rg_xmalloc(e->cap * sizeof *e->heap);
    e->slots = rg_xmalloc(e->slotcap * sizeof *e->slots);
    e->free_head = NO_SLOT;
    e->seed = seed;
    e->rep = rep;
    e->rng_type = rng_type ? rng_type : gsl_rng_mt19937;
    return e;
}

void rg_engine_reset(rg_engine *e, uint64_t seed, uint64_t rep, const gsl_rng_type *rng_type)
{
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
    for (size_t i = 0; i < e->nstreams; i++) {
        free(e->streams[i].name);
        gsl_rng_free(e->streams[i].r);
    }
    free(e->streams);
    free(e->heap);
    free(e->slots);
    free(e);
}

/* (t, key) as one 128-bit unsigned number: times are >= 0, so the order
 * is the same, and the comparison compiles to two instructions without a
 * branch, which matters in the sift loops. */
__extension__ typedef unsigned __int128 u128;

static inline u128 order_of(const hent *a)
{
    return ((u128)(uint64_t)a->t << 64) | a->key;
}

static inline bool before(const hent *a, const hent *b)
{
    return order_of(a) < order_of(b);
}

/* Places x, the new entry at position i (the end), where it belongs.  x
 * comes in registers: reading it back from h[i] after writing it field by
 * field would wait on those stores. */
__attribute__((always_inline)) static inline void sift_up(hent *h, size_t i, hent x)
{
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!before(&x, &h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = x;
}

/* The smaller of two heap positions' entries.  Keys are unique (the
 * sequence), so there are no ties and any tournament picks the same entry. */
static inline size_t smaller(const hent *h, size_t a, size_t b)
{
    return before(&h[b], &h[a]) ? b : a;
}

/* The position of the smallest child of position i, or 0 if it has none
 * (0 is nobody's child).  A node with all four children picks by a fixed
 * tournament (three comparisons the compiler turns into conditional
 * moves); only the last parent, with fewer, takes the loop. */
__attribute__((always_inline)) static inline size_t min_child(const hent *h, size_t n, size_t i)
{
    size_t c = 4 * i + 1;
    if (c + 3 < n)
        return smaller(h, smaller(h, c, c + 1), smaller(h, c + 2, c + 3));
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
/* Inlined: x, 24 bytes, would otherwise pass through the stack (and wait
 * on its own stores, see sift_up). */
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
        if (!before(&x, &h[p]))
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
        if (!before(&h[best], &x))
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

/* rg_at once its preconditions hold, the free list has a slot and the
 * heap has room (or a hole): no calls, so no registers to save. */
__attribute__((always_inline)) static inline rg_evh at_fast(rg_engine *e, rg_time t, int prio,
                                                            rg_evfn fn, void *ctx, uint64_t arg)
{
    uint32_t s = e->free_head;
    slot *sl = &e->slots[s];
    e->free_head = sl->next;
    sl->fn = fn;
    sl->ctx = ctx;
    sl->arg = arg;
    uint32_t gen = sl->gen;
    hent x = {t, ((uint64_t)(prio - RG_PRIO_MIN) << SEQ_BITS) | e->seq++, s, gen};
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

/* The slow path of rg_at, out of line so the hot path stays short: a
 * failed precondition (an always-on assertion), an empty free list (a new
 * slot goes on it), a full heap. */
__attribute__((noinline)) static rg_evh at_slow(rg_engine *e, rg_time t, int prio, rg_evfn fn,
                                                void *ctx, uint64_t arg)
{
    RG_ENGINE_ASSERT(e, t >= e->now);
    RG_ENGINE_ASSERT(e, prio >= RG_PRIO_MIN && prio <= RG_PRIO_MAX);
    RG_ENGINE_ASSERT(e, fn != NULL);
    RG_ENGINE_ASSERT(e, e->seq <= SEQ_MASK);
    if (e->free_head == NO_SLOT) {
        RG_ASSERT(e->nslots < NO_SLOT);
        if (e->nslots == e->slotcap)
            rg_xgrow((void **)&e->slots, &e->slotcap, e->nslots + 1, sizeof *e->slots);
        uint32_t s = (uint32_t)e->nslots++;
        e->slots[s].gen = 1;
        e->slots[s].next = NO_SLOT;
        e->free_head = s;
    }
    if (!e->hole && e->n == e->cap)
        rg_xgrow((void **)&e->heap, &e->cap, e->n + 1, sizeof *e->heap);
    return at_fast(e, t, prio, fn, ctx, arg);
}

/* The preconditions, a free slot and room in the heap, in one predictable
 * branch: (unsigned) maps a priority outside [MIN, MAX] beyond 0xffff.
 * The slow path is a tail call, so the fast one makes none.  `t_ok`: the
 * caller has shown t >= now (rg_after). */
__attribute__((always_inline)) static inline rg_evh
at(rg_engine *e, rg_time t, int prio, rg_evfn fn, void *ctx, uint64_t arg, bool t_ok)
{
    if (__builtin_expect((!t_ok && t < e->now) || (unsigned)(prio - RG_PRIO_MIN) > 0xffffu ||
                             fn == NULL || e->seq > SEQ_MASK || e->free_head == NO_SLOT ||
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

static inline void free_slot(rg_engine *e, uint32_t s)
{
    slot *sl = &e->slots[s];
    if (++sl->gen == 0) /* keep 0 for the null handle */
        sl->gen = 1;
    sl->next = e->free_head;
    e->free_head = s;
}

bool rg_pending(const rg_engine *e, rg_evh h)
{
    return h.gen != 0 && h.slot < e->nslots && e->slots[h.slot].gen == h.gen;
}

/* Removes every cancelled entry and re-heapifies: O(n), run when cancelled
 * entries outnumber live ones, so the heap never exceeds twice the pending
 * events (timeouts that are nearly always cancelled would otherwise pile up
 * and deepen every sift). */
static void compact(rg_engine *e)
{
    if (e->hole)
        fill_hole(e);
    size_t k = 0;
    for (size_t i = 0; i < e->n; i++)
        if (e->slots[e->heap[i].slot].gen == e->heap[i].gen)
            e->heap[k++] = e->heap[i];
    e->n = k;
    e->stale = 0;
    for (size_t i = k / 4 + 1; i-- > 0;)
        if (i < k)
            sift_down(e->heap, k, i);
}

bool rg_cancel(rg_engine *e, rg_evh h)
{
    if (!rg_pending(e, h))
        return false;
    free_slot(e, h.slot);
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
        /* Field by field: the entry was just written by a sift, and one
         * wide load spanning two of its stores would wait for both. */
        rg_time t = e->heap[0].t;
        uint32_t s = e->heap[0].slot;
        slot *sl = &e->slots[s];
        if (sl->gen != e->heap[0].gen) { /* cancelled */
            e->stale--;
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
        free_slot(e, s);
        e->live--;
        e->now = t;
        e->events++;
        e->hole = true;
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
    return e->live;
}
uint64_t rg_engine_seed(const rg_engine *e)
{
    return e->seed;
}
uint64_t rg_engine_rep(const rg_engine *e)
{
    return e->rep;
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
