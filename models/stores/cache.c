/*
 * cache.c: replicated regional counters (see cache.h).  Each replica is a
 * FIFO single server: an operation starts when the replica is free and
 * takes effect when it completes.
 *
 * Last writer wins (state mode): every value carries the time it was
 * written and the region that wrote it; a replica applies an incoming value
 * only if that stamp is later than its own, so replicas converge on the
 * last write (ties broken by region index), as DynamoDB global tables do.
 *
 * Operations and messages are small records reused through spare lists;
 * every record ever allocated is also kept in `all`, so those still in
 * flight when a replication stops at its horizon are freed too.
 */
#include "models/stores/cache.h"

#include <stdlib.h>

typedef struct rec rec;
struct rec { /* an operation or a replication message */
    struct rg_cache *c;
    size_t region, key;
    rg_cache_cb cb; /* operations only */
    void *ctx;
    uint64_t tag;
    int64_t value; /* messages: the value (state mode) */
    int64_t delta; /* operations: -1 decrement if positive, +1 increment;
                      messages: the change (delta mode) */
    rg_time stamp; /* messages: when it was written */
    size_t writer; /* messages: the region that wrote it */
    rec *next;     /* spare list */
};

typedef struct replica {
    int64_t *v;
    rg_time *stamp; /* when v[key] was written (-1: initial) */
    size_t *writer;
    rg_time busy_until;
} replica;

struct rg_cache {
    rg_engine *e;
    rg_cache_params p;
    gsl_rng *service, *net;
    replica *rep;
    size_t nreg, nkeys;
    uint64_t replicated;
    rec *spare;
    rec **all;
    size_t nall, capall;
};

static rec *rec_new(rg_cache *c)
{
    rec *x = c->spare;
    if (x != NULL) {
        c->spare = x->next;
    } else {
        x = rg_xmalloc(sizeof *x);
        rg_xgrow((void **)&c->all, &c->capall, c->nall + 1, sizeof *c->all);
        c->all[c->nall++] = x;
    }
    x->c = c;
    return x;
}

static void rec_done(rg_cache *c, rec *x)
{
    x->next = c->spare;
    c->spare = x;
}

rg_cache *rg_cache_new(rg_engine *e, const rg_cache_params *p, size_t nregions, size_t nkeys,
                       int64_t initial)
{
    rg_cache *c = rg_xcalloc(1, sizeof *c);
    c->e = e;
    c->p = *p;
    c->service = rg_engine_stream(e, "service");
    c->net = rg_engine_stream(e, "replication");
    c->nreg = nregions;
    c->nkeys = nkeys;
    c->rep = rg_xcalloc(nregions, sizeof *c->rep);
    for (size_t r = 0; r < nregions; r++) {
        c->rep[r].v = rg_xcalloc(nkeys, sizeof *c->rep[r].v);
        c->rep[r].stamp = rg_xcalloc(nkeys, sizeof *c->rep[r].stamp);
        c->rep[r].writer = rg_xcalloc(nkeys, sizeof *c->rep[r].writer);
        for (size_t k = 0; k < nkeys; k++) {
            c->rep[r].v[k] = initial;
            c->rep[r].stamp[k] = -1;
        }
    }
    return c;
}

void rg_cache_free(rg_cache *c)
{
    if (c == NULL)
        return;
    for (size_t r = 0; r < c->nreg; r++) {
        free(c->rep[r].v);
        free(c->rep[r].stamp);
        free(c->rep[r].writer);
    }
    for (size_t i = 0; i < c->nall; i++)
        free(c->all[i]);
    free(c->all);
    free(c->rep);
    free(c);
}

int64_t rg_cache_value(const rg_cache *c, size_t region, size_t key)
{
    return c->rep[region].v[key];
}

uint64_t rg_cache_replicated(const rg_cache *c)
{
    return c->replicated;
}

static void on_replicate(rg_engine *e, void *ctx, uint64_t arg)
{
    rec *m = ctx;
    (void)e;
    (void)arg;
    rg_cache *c = m->c;
    replica *rp = &c->rep[m->region];
    if (c->p.mode == RG_CACHE_DELTA) {
        rp->v[m->key] += m->delta;
    } else if (m->stamp > rp->stamp[m->key] ||
               (m->stamp == rp->stamp[m->key] && m->writer > rp->writer[m->key])) {
        /* last writer wins: a later write replaces; an older one is lost */
        rp->v[m->key] = m->value;
        rp->stamp[m->key] = m->stamp;
        rp->writer[m->key] = m->writer;
    }
    c->replicated++;
    rec_done(c, m);
}

static void on_op_done(rg_engine *e, void *ctx, uint64_t arg)
{
    rec *o = ctx;
    (void)arg;
    rg_cache *c = o->c;
    replica *rp = &c->rep[o->region];
    int64_t *v = &rp->v[o->key];
    int result = 0;
    if (o->delta > 0 || *v > 0) {
        *v += o->delta;
        rp->stamp[o->key] = rg_now(e);
        rp->writer[o->key] = o->region;
        result = 1;
        for (size_t r = 0; r < c->nreg; r++) {
            if (r == o->region)
                continue;
            rec *m = rec_new(c);
            m->region = r;
            m->key = o->key;
            m->value = *v;
            m->delta = o->delta;
            m->stamp = rg_now(e);
            m->writer = o->region;
            rg_after(e, rg_dist_sample_time(c->p.lag, c->net), RG_PRIO_DEFAULT, on_replicate, m, 0);
        }
    }
    rg_cache_cb cb = o->cb;
    void *cctx = o->ctx;
    uint64_t tag = o->tag;
    rec_done(c, o);
    cb(e, cctx, tag, result);
}

/* Queues operation `delta` (-1: decrement if positive, +1: increment) at
 * the replica of `region`. */
static void queue_op(rg_cache *c, int64_t delta, size_t region, size_t key, rg_cache_cb cb,
                     void *ctx, uint64_t tag)
{
    RG_ENGINE_ASSERT(c->e, region < c->nreg && key < c->nkeys);
    rec *o = rec_new(c);
    o->delta = delta;
    o->region = region;
    o->key = key;
    o->cb = cb;
    o->ctx = ctx;
    o->tag = tag;
    replica *rp = &c->rep[region];
    rg_time now = rg_now(c->e);
    rg_time start = rp->busy_until > now ? rp->busy_until : now;
    rp->busy_until = start + rg_dist_sample_time(c->p.op, c->service);
    rg_at(c->e, rp->busy_until, RG_PRIO_DEFAULT, on_op_done, o, 0);
}

void rg_cache_decrement(rg_cache *c, size_t region, size_t key, rg_cache_cb cb, void *ctx,
                        uint64_t tag)
{
    queue_op(c, -1, region, key, cb, ctx, tag);
}

void rg_cache_increment(rg_cache *c, size_t region, size_t key, rg_cache_cb cb, void *ctx,
                        uint64_t tag)
{
    queue_op(c, +1, region, key, cb, ctx, tag);
}
