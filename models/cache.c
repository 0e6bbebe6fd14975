/*
 * cache.c: replicated regional counters (see cache.h).  Each replica is a
 * FIFO single server: an operation starts when the replica is free and
 * takes effect when it completes.
 */
#include "cache.h"

#include <stdlib.h>

typedef struct cop {
    struct rg_cache *c;
    size_t region, key;
    rg_cache_cb cb;
    void *ctx;
    uint64_t tag;
} cop;

typedef struct replica {
    int64_t *v;
    rg_time busy_until;
} replica;

struct rg_cache {
    rg_engine *e;
    rg_cache_params p;
    gsl_rng *service, *net;
    replica *rep;
    size_t nreg, nkeys;
    uint64_t replicated;
};

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
        for (size_t k = 0; k < nkeys; k++)
            c->rep[r].v[k] = initial;
    }
    return c;
}

void rg_cache_free(rg_cache *c)
{
    if (c == NULL)
        return;
    for (size_t r = 0; r < c->nreg; r++)
        free(c->rep[r].v);
    free(c->rep);
    free(c);
}

int64_t rg_cache_value(const rg_cache *c, size_t region, size_t key)
{
    return c->rep[region].v[key];
}

uint64_t rg_cache_replicated(const rg_cache *c) { return c->replicated; }

/* A replication message to one replica. */
typedef struct repl {
    rg_cache *c;
    size_t region, key;
    int64_t value;
} repl;

static void on_replicate(rg_engine *e, void *ctx, uint64_t arg)
{
    repl *m = ctx;
    (void)e;
    (void)arg;
    rg_cache *c = m->c;
    if (c->p.mode == RG_CACHE_DELTA)
        c->rep[m->region].v[m->key] -= 1;
    else
        c->rep[m->region].v[m->key] = m->value;
    c->replicated++;
    free(m);
}

static void on_op_done(rg_engine *e, void *ctx, uint64_t arg)
{
    cop *o = ctx;
    (void)arg;
    rg_cache *c = o->c;
    int64_t *v = &c->rep[o->region].v[o->key];
    int result = 0;
    if (*v > 0) {
        *v -= 1;
        result = 1;
        for (size_t r = 0; r < c->nreg; r++) {
            if (r == o->region)
                continue;
            repl *m = rg_xmalloc(sizeof *m);
            m->c = c;
            m->region = r;
            m->key = o->key;
            m->value = *v;
            rg_after(e, rg_dist_sample_time(c->p.lag, c->net), RG_PRIO_DEFAULT, on_replicate, m,
                     0);
        }
    }
    o->cb(e, o->ctx, o->tag, result);
    free(o);
}

void rg_cache_decrement(rg_cache *c, size_t region, size_t key, rg_cache_cb cb, void *ctx,
                        uint64_t tag)
{
    RG_ENGINE_ASSERT(c->e, region < c->nreg && key < c->nkeys);
    cop *o = rg_xmalloc(sizeof *o);
    o->c = c;
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
