/*
 * linz.c: the linearizability search of linz.h for a stock counter.
 *
 * The history is held as arrays: the operations in invoke order (index =
 * position in that order) and, per type, their positions.  The exhaustive
 * search adds the non-INFO ones in completion order and a bitset of the
 * operations linearised so far; it is iterative: one frame per level (per
 * operation linearised), each remembering the counter, the first
 * operation not yet linearised in either order, and which operation it
 * took, so that backtracking restores a level exactly.
 *
 * Why the default search's pruning loses nothing (the counter never grows,
 * so every OK lies before the point where it reaches 0 and every EMPTY
 * after):
 *   1. Counter c > 0 and o a minimal OK.  Take any linearisation L of the
 *      rest; move o to its front.  o is minimal, so nothing still to be
 *      linearised must precede it in real time; every operation o jumps
 *      over saw a counter >= 2 in L (o itself, later, saw >= 1), so after
 *      the move it sees >= 1: OKs still get a unit, INFOs still take
 *      effect, and no EMPTY was among them.  So if taking o fails, the
 *      level fails.
 *   2. c = 0 and e a minimal EMPTY: at 0 the counter stays 0, e changes
 *      nothing; moving it to the front of any L is legal the same way.
 *   3. c > 0, no minimal OK: the operation completing first among those
 *      not yet linearised is minimal, so it is an EMPTY, and something
 *      must decrement before it completes: only a minimal INFO can.  Two
 *      minimal INFOs have no completion bound and are both invoked: swap
 *      them in any L and it stays legal, so trying one is trying all.
 * Each level thus has at most one choice and the default search never
 * returns to a level: it needs no frames, and a memo table could never be
 * hit, so only the exhaustive search keeps them.  It takes each type in
 * invoke order (rules 1-3 always take the first of a type), which makes
 * every step constant time.
 */
#include <stdlib.h>
#include <string.h>

#include "models/mech/linz.h"
#include "sim/engine/util.h"

#define NONE SIZE_MAX

typedef struct frame {
    size_t lo;   /* first op not linearised, invoke order */
    size_t rp;   /* first non-INFO op not linearised, completion order */
    size_t scan; /* the next candidate to try */
    size_t took; /* the op this level linearised (NONE: none yet) */
    int64_t c;   /* the counter */
    uint64_t h;  /* Zobrist hash of the linearised set */
} frame;

/* The memo table: open addressing on (hash of the set, counter), each
 * entry's bitset in a pool for an exact comparison. */
typedef struct memo {
    uint64_t *key; /* 0: empty slot */
    int64_t *c;
    size_t *off; /* into pool, nw words each */
    size_t cap, len;
    uint64_t *pool;
    size_t nw;
} memo;

typedef struct search {
    const rg_linz_op *op; /* invoke order */
    size_t n;
    size_t *byret; /* non-INFO ops in completion order */
    size_t nr;
    uint64_t *lin; /* the linearised set */
    size_t nw;
    uint64_t *zob;
    size_t *bytype[3]; /* the OKs, EMPTYs and INFOs in invoke order */
    size_t ntype[3];
    int64_t *sufmin; /* the default search's room: n + 2 */
} search;

static uint64_t splitmix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static bool is_lin(const search *s, size_t i)
{
    return (s->lin[i / 64] >> (i % 64)) & 1;
}

static void flip(search *s, size_t i)
{
    s->lin[i / 64] ^= UINT64_C(1) << (i % 64);
}

/* A sort key: a time, then the position it came from (qsort is not
 * stable, and the order of equal times must not depend on the libc). */
typedef struct tkey {
    int64_t t;
    size_t i;
} tkey;

static bool tkey_less(const tkey *x, const tkey *y)
{
    return x->t < y->t || (x->t == y->t && x->i < y->i);
}

/* Sorts k[0..n-1] (tmp: room for n more): at once if already sorted, as
 * the drop's invokes are; else a bottom-up merge sort. */
static void tkey_sort(tkey *k, tkey *tmp, size_t n)
{
    size_t i = 1;
    while (i < n && !tkey_less(&k[i], &k[i - 1]))
        i++;
    if (i >= n)
        return;
    tkey *a = k, *b = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t p = lo, q = mid, o = lo;
            while (p < mid && q < hi)
                b[o++] = tkey_less(&a[q], &a[p]) ? a[q++] : a[p++];
            while (p < mid)
                b[o++] = a[p++];
            while (q < hi)
                b[o++] = a[q++];
        }
        tkey *t = a;
        a = b;
        b = t;
    }
    if (a != k)
        memcpy(k, a, n * sizeof *k);
}

static size_t memo_bytes(const memo *m)
{
    return m->cap * (sizeof *m->key + sizeof *m->c + sizeof *m->off) +
           m->len * m->nw * sizeof *m->pool;
}

static uint64_t memo_key(uint64_t h, int64_t c)
{
    uint64_t k = splitmix(h ^ splitmix((uint64_t)c));
    return k ? k : 1;
}

/* Whether (s->lin, c) is in the table; inserts it if not.  Returns 1 if
 * found, 0 if inserted, -1 if the table would pass max bytes. */
static int memo_visit(memo *m, const search *s, uint64_t h, int64_t c, size_t max)
{
    if (2 * (m->len + 1) > m->cap) {
        size_t ncap = m->cap ? 2 * m->cap : 1024;
        memo g = {rg_xcalloc(ncap, sizeof *g.key),
                  rg_xmalloc(ncap * sizeof *g.c),
                  rg_xmalloc(ncap * sizeof *g.off),
                  ncap,
                  m->len,
                  m->pool,
                  m->nw};
        for (size_t i = 0; i < m->cap; i++) {
            if (m->key[i] == 0)
                continue;
            size_t j = m->key[i] & (ncap - 1);
            while (g.key[j])
                j = (j + 1) & (ncap - 1);
            g.key[j] = m->key[i];
            g.c[j] = m->c[i];
            g.off[j] = m->off[i];
        }
        free(m->key);
        free(m->c);
        free(m->off);
        *m = g;
    }
    uint64_t k = memo_key(h, c);
    size_t j = k & (m->cap - 1);
    for (; m->key[j]; j = (j + 1) & (m->cap - 1))
        if (m->key[j] == k && m->c[j] == c &&
            memcmp(m->pool + m->off[j], s->lin, m->nw * sizeof *s->lin) == 0)
            return 1;
    if (memo_bytes(m) + m->nw * sizeof *m->pool > max)
        return -1;
    m->pool = rg_xrealloc(m->pool, (m->len + 1) * m->nw * sizeof *m->pool);
    memcpy(m->pool + m->len * m->nw, s->lin, m->nw * sizeof *s->lin);
    m->key[j] = k;
    m->c[j] = c;
    m->off[j] = m->len++ * m->nw;
    return 0;
}

static void memo_free(memo *m)
{
    free(m->key);
    free(m->c);
    free(m->off);
    free(m->pool);
}

/* Advances a new level's cursors past what is linearised. */
static void advance(const search *s, frame *f)
{
    while (f->lo < s->n && is_lin(s, f->lo))
        f->lo++;
    while (f->rp < s->nr && is_lin(s, s->byret[f->rp]))
        f->rp++;
}

/* Whether the counter at c can answer op, and the counter after it. */
static bool step_ok(rg_linz_type t, int64_t c, int64_t *after)
{
    switch (t) {
    case RG_LINZ_OK: *after = c - 1; return c > 0;
    case RG_LINZ_EMPTY: *after = c; return c == 0;
    default: *after = c > 0 ? c - 1 : c; return true; /* INFO: if positive */
    }
}

/* The exhaustive search's next candidate at level f from f->scan, or
 * NONE. */
static size_t next_choice(const search *s, const frame *f)
{
    int64_t minret = s->op[s->byret[f->rp]].ret, after;
    for (size_t i = f->scan; i < s->n && s->op[i].call <= minret; i++)
        if (!is_lin(s, i) && step_ok(s->op[i].type, f->c, &after))
            return i;
    return NONE;
}

/* The default search: at each level its one choice (see the top of the
 * file), so no frames and no memo.  It linearises each type in invoke
 * order, so what is left of a type is a suffix of its list, and the
 * earliest completion still pending is the least of two suffix minima.
 * Constant time per step. */
static rg_linz_verdict greedy(const search *s, int64_t c, uint64_t max_steps, rg_linz_stats *st)
{
    enum { OK = RG_LINZ_OK, EMPTY = RG_LINZ_EMPTY, INFO = RG_LINZ_INFO };
    /* sufmin[t][j]: the least completion of bytype[t][j..], INT64_MAX past
     * the end */
    int64_t *sufmin[2] = {s->sufmin, s->sufmin + s->ntype[OK] + 1};
    for (int t = OK; t <= EMPTY; t++) {
        sufmin[t][s->ntype[t]] = INT64_MAX;
        for (size_t j = s->ntype[t]; j-- > 0;) {
            int64_t r = s->op[s->bytype[t][j]].ret;
            sufmin[t][j] = r < sufmin[t][j + 1] ? r : sufmin[t][j + 1];
        }
    }
    size_t next[3] = {0, 0, 0};
    rg_linz_verdict v;
    for (;;) {
        size_t left_ok = s->ntype[OK] - next[OK];
        if (left_ok == 0 && next[EMPTY] == s->ntype[EMPTY]) {
            v = RG_LINZ_YES; /* what is left is INFO: it need not happen */
            break;
        }
        if (c < (int64_t)left_ok) {
            v = RG_LINZ_NO;
            break;
        }
        int64_t minret = sufmin[OK][next[OK]] < sufmin[EMPTY][next[EMPTY]]
                             ? sufmin[OK][next[OK]]
                             : sufmin[EMPTY][next[EMPTY]];
        /* the first of a type not linearised, if minimal */
#define MINIMAL(t) (next[t] < s->ntype[t] && s->op[s->bytype[t][next[t]]].call <= minret)
        int t = c == 0 ? EMPTY : MINIMAL(OK) ? OK : INFO;
        if (!MINIMAL(t)) {
            v = RG_LINZ_NO;
            break;
        }
#undef MINIMAL
        if (++st->steps > max_steps) {
            v = RG_LINZ_TOO_LARGE;
            break;
        }
        c -= t != EMPTY; /* an OK or INFO at c > 0 decrements */
        next[t]++;
    }
    return v;
}

/* The plain search: Wing and Gong's, with Lowe's memo table. */
static rg_linz_verdict exhaustive(search *s, int64_t initial, const rg_linz_opts *o,
                                  rg_linz_stats *st)
{
    tkey *k = rg_xmalloc(2 * (s->n ? s->n : 1) * sizeof *k);
    for (size_t i = 0; i < s->n; i++)
        if (s->op[i].type != RG_LINZ_INFO)
            k[s->nr++] = (tkey){s->op[i].ret, i};
    tkey_sort(k, k + s->n, s->nr);
    s->byret = rg_xmalloc((s->nr ? s->nr : 1) * sizeof *s->byret);
    for (size_t i = 0; i < s->nr; i++)
        s->byret[i] = k[i].i;
    free(k);
    s->nw = s->n / 64 + 1;
    s->lin = rg_xcalloc(s->nw, sizeof *s->lin);
    s->zob = rg_xmalloc((s->n ? s->n : 1) * sizeof *s->zob);
    for (size_t i = 0; i < s->n; i++)
        s->zob[i] = splitmix(i + 1);
    memo m = {.nw = s->nw};
    frame *fr = rg_xmalloc((s->n + 1) * sizeof *fr);
    fr[0] = (frame){0, 0, 0, NONE, initial, 0};
    advance(s, &fr[0]);
    size_t depth = 0;
    rg_linz_verdict v;
    for (;;) {
        frame *f = &fr[depth];
        size_t i;
        if (f->took != NONE) { /* back from a level that failed */
            flip(s, f->took);
            f->scan = f->took + 1;
            f->took = NONE;
        } else if (f->rp == s->nr) {
            v = RG_LINZ_YES; /* what is left is INFO: it need not happen */
            break;
        }
    retry:
        i = next_choice(s, f);
        if (i == NONE)
            goto fail;
        if (++st->steps > o->max_steps) {
            v = RG_LINZ_TOO_LARGE;
            break;
        }
        int64_t c;
        step_ok(s->op[i].type, f->c, &c);
        flip(s, i);
        uint64_t h = f->h ^ s->zob[i];
        int seen = memo_visit(&m, s, h, c, o->max_bytes);
        if (seen < 0) {
            v = RG_LINZ_TOO_LARGE;
            break;
        }
        if (seen) {
            st->memo_hits++;
            flip(s, i);
            f->scan = i + 1;
            goto retry;
        }
        f->took = i;
        frame *g = &fr[++depth];
        *g = (frame){f->lo, f->rp, 0, NONE, c, h};
        advance(s, g);
        g->scan = g->lo;
        continue;
    fail:
        if (depth == 0) {
            v = RG_LINZ_NO;
            break;
        }
        depth--;
    }
    memo_free(&m);
    free(fr);
    free(s->zob);
    free(s->lin);
    free(s->byret);
    return v;
}

rg_linz_verdict rg_linz_counter(const rg_linz_op *ops, size_t n, int64_t initial,
                                const rg_linz_opts *opts, rg_linz_stats *stats)
{
    rg_linz_opts o = opts ? *opts : (rg_linz_opts){0};
    if (o.max_steps == 0)
        o.max_steps = RG_LINZ_MAX_STEPS;
    if (o.max_bytes == 0)
        o.max_bytes = RG_LINZ_MAX_BYTES;
    rg_linz_stats st = {0};
    search s = {0};
    /* one block: the sort keys and their room, the ops, the ops by type,
     * the default search's suffix minima */
    size_t n1 = n ? n : 1;
    char *block = rg_xmalloc(2 * n1 * sizeof(tkey) + n1 * sizeof(rg_linz_op) + n1 * sizeof(size_t) +
                             (n + 2) * sizeof(int64_t));
    tkey *k = (tkey *)block;
    rg_linz_op *op = (rg_linz_op *)(k + 2 * n1);
    size_t *typed = (size_t *)(op + n1);
    s.sufmin = (int64_t *)(typed + n1);
    /* FAILs never reached the counter: drop them; the rest in invoke
     * order, ties in the caller's order */
    for (size_t i = 0; i < n; i++)
        if (ops[i].type != RG_LINZ_FAIL) {
            k[s.n++] = (tkey){ops[i].call, i};
            s.ntype[ops[i].type]++;
        }
    tkey_sort(k, k + n1, s.n);
    for (size_t i = 0; i < s.n; i++)
        op[i] = ops[k[i].i];
    s.op = op;
    s.bytype[0] = typed;
    s.bytype[1] = typed + s.ntype[0];
    s.bytype[2] = typed + s.ntype[0] + s.ntype[1];
    size_t fill[3] = {0, 0, 0};
    for (size_t i = 0; i < s.n; i++)
        s.bytype[op[i].type][fill[op[i].type]++] = i;
    rg_linz_verdict v =
        o.exhaustive ? exhaustive(&s, initial, &o, &st) : greedy(&s, initial, o.max_steps, &st);
    if (stats)
        *stats = st;
    free(block);
    return v;
}
