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
 * they are made in slabs of REC_SLAB (no allocation per record: at 10^6
 * buyers the records in flight were a tenth of the peak memory), and the
 * slabs, in the order records were made, are freed at the end, those
 * still in flight when a replication stops at its horizon included.
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
    uint64_t seq;  /* to the standby: the node's change count */
    enum { R_SPARE, R_OP, R_MSG, R_STANDBY } kind;
    bool dead; /* failed over with its node: its event does nothing */
    rec *next; /* spare list */
};

typedef struct replica {
    int64_t *v;
    rg_time *stamp; /* when v[key] was written (-1: initial) */
    size_t *writer;
    rg_time busy_until;
    /* Operations in service order: each completes at a busy_until at or
     * after the one before, so their completions share one heap entry
     * (engine.h, lanes) instead of one each, with the same event order. */
    rg_lane *ops;
    uint64_t seq;       /* changes applied */
    rg_time down_until; /* failed over: operations fail until then */
} replica;

struct rg_cache {
    rg_engine *e;
    rg_cache_params p;
    gsl_rng *service, *net;
    replica *rep;
    size_t nreg, nkeys;
    rg_lane **retired; /* replicas' lanes from before a failover */
    size_t nretired, capretired;
    uint64_t replicated;
    rec *spare;
    rec **slabs;           /* every record made: slab i holds i*REC_SLAB... */
    size_t nall, capslabs; /* ... records made, in the order made */
    /* failover: the standby of node sb_region (a replica struct) */
    bool standby;
    size_t sb_region;
    replica sb;
    const rg_dist *sb_lag;
    gsl_rng *sb_rng;
    rg_time sb_applied_at;
    const rg_partition *cut; /* NULL: none */
};

#define REC_SLAB 256

/* The i-th record made. */
static rec *rec_at(const rg_cache *c, size_t i)
{
    return &c->slabs[i / REC_SLAB][i % REC_SLAB];
}

static rec *rec_new(rg_cache *c)
{
    rec *x = c->spare;
    if (x != NULL) {
        c->spare = x->next;
    } else {
        if (c->nall % REC_SLAB == 0) {
            size_t n = c->nall / REC_SLAB;
            rg_xgrow((void **)&c->slabs, &c->capslabs, n + 1, sizeof *c->slabs);
            c->slabs[n] = rg_xmalloc(REC_SLAB * sizeof **c->slabs);
        }
        x = rec_at(c, c->nall++);
    }
    x->c = c;
    x->dead = false;
    return x;
}

static void rec_done(rg_cache *c, rec *x)
{
    x->kind = R_SPARE;
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
        rg_lane_free(c->rep[r].ops);
        free(c->rep[r].v);
        free(c->rep[r].stamp);
        free(c->rep[r].writer);
    }
    for (size_t i = 0; i < c->nretired; i++)
        rg_lane_free(c->retired[i]);
    free(c->retired);
    for (size_t i = 0; i < c->nall; i += REC_SLAB)
        free(c->slabs[i / REC_SLAB]);
    free(c->slabs);
    free(c->rep);
    free(c->sb.v);
    free(c->sb.stamp);
    free(c->sb.writer);
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

uint64_t rg_cache_seq(const rg_cache *c, size_t region)
{
    return c->rep[region].seq;
}

static void on_standby(rg_engine *e, void *ctx, uint64_t arg)
{
    rec *m = ctx;
    (void)e;
    (void)arg;
    rg_cache *c = m->c;
    if (!m->dead) {
        c->sb.v[m->key] = m->value;
        c->sb.stamp[m->key] = m->stamp;
        c->sb.writer[m->key] = m->writer;
        c->sb.seq = m->seq;
    }
    rec_done(c, m);
}

/* A change was applied at node `region`: counted, and shipped to its
 * standby if it has one (in order, after a lag). */
static void changed(rg_cache *c, size_t region, size_t key)
{
    replica *rp = &c->rep[region];
    rp->seq++;
    if (!c->standby || region != c->sb_region)
        return;
    rec *m = rec_new(c);
    m->kind = R_STANDBY;
    m->key = key;
    m->value = rp->v[key];
    m->stamp = rp->stamp[key];
    m->writer = rp->writer[key];
    m->seq = rp->seq;
    rg_time at = rg_now(c->e) + rg_dist_sample_time(c->sb_lag, c->sb_rng);
    if (at < c->sb_applied_at)
        at = c->sb_applied_at;
    c->sb_applied_at = at;
    rg_at(c->e, at, RG_PRIO_DEFAULT, on_standby, m, 0);
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
        changed(c, m->region, m->key);
    } else if (m->stamp > rp->stamp[m->key] ||
               (m->stamp == rp->stamp[m->key] && m->writer > rp->writer[m->key])) {
        /* last writer wins: a later write replaces; an older one is lost */
        rp->v[m->key] = m->value;
        rp->stamp[m->key] = m->stamp;
        rp->writer[m->key] = m->writer;
        changed(c, m->region, m->key);
    }
    c->replicated++;
    rec_done(c, m);
}

static void on_op_done(rg_engine *e, void *ctx, uint64_t arg)
{
    rec *o = ctx;
    (void)arg;
    rg_cache *c = o->c;
    if (o->dead) {
        rec_done(c, o); /* failed over with its node */
        return;
    }
    replica *rp = &c->rep[o->region];
    int64_t *v = &rp->v[o->key];
    int result = 0;
    if (o->delta > 0 || *v > 0) {
        *v += o->delta;
        rp->stamp[o->key] = rg_now(e);
        rp->writer[o->key] = o->region;
        result = 1;
        changed(c, o->region, o->key);
        for (size_t r = 0; r < c->nreg; r++) {
            if (r == o->region)
                continue;
            rec *m = rec_new(c);
            m->kind = R_MSG;
            m->region = r;
            m->key = o->key;
            m->value = *v;
            m->delta = o->delta;
            m->stamp = rg_now(e);
            m->writer = o->region;
            rg_time d = rg_dist_sample_time(c->p.lag, c->net);
            if (rg_partition_holds(c->cut, (int)o->region, (int)r, rg_now(e)))
                d += c->cut->until - rg_now(e); /* held until the heal */
            rg_after(e, d, RG_PRIO_DEFAULT, on_replicate, m, 0);
        }
    }
    rg_cache_cb cb = o->cb;
    void *cctx = o->ctx;
    uint64_t tag = o->tag;
    rec_done(c, o);
    cb(e, cctx, tag, result);
}

/* rg_lane_warm of an operations lane: the operation's caller, whose
 * callback reads its ctx. */
static void warm_op(const void *ctx, uint64_t arg)
{
    (void)arg;
    rg_prefetch_record(((const rec *)ctx)->ctx);
}

/* Queues operation `delta` (-1: decrement if positive, +1: increment) at
 * the replica of `region`. */
static void queue_op(rg_cache *c, int64_t delta, size_t region, size_t key, rg_cache_cb cb,
                     void *ctx, uint64_t tag)
{
    RG_ENGINE_ASSERT(c->e, region < c->nreg && key < c->nkeys);
    if (rg_now(c->e) < c->rep[region].down_until) {
        cb(c->e, ctx, tag, -1); /* the node is failing over */
        return;
    }
    rec *o = rec_new(c);
    o->kind = R_OP;
    o->delta = delta;
    o->region = region;
    o->key = key;
    o->cb = cb;
    o->ctx = ctx;
    o->tag = tag;
    replica *rp = &c->rep[region];
    rg_time now = rg_now(c->e);
    rg_time start = rp->busy_until > now ? rp->busy_until : now;
    /* At most the end of time (engine.h), which a queue of operations of
     * years each can reach. */
    rp->busy_until = rg_engine_add(c->e, start, rg_dist_sample_time(c->p.op, c->service));
    if (rp->ops == NULL) {
        rp->ops = rg_lane_new(c->e, RG_PRIO_DEFAULT, on_op_done);
        rg_lane_warm(rp->ops, warm_op);
    }
    rg_lane_at(rp->ops, rp->busy_until, o, 0);
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

/* ---- failover and partition -------------------------------------------- */

void rg_cache_standby(rg_cache *c, size_t region, const rg_dist *lag, gsl_rng *r)
{
    RG_ENGINE_ASSERT(c->e, region < c->nreg && !c->standby);
    c->standby = true;
    c->sb_region = region;
    c->sb_lag = lag;
    c->sb_rng = r;
    c->sb.v = rg_xcalloc(c->nkeys, sizeof *c->sb.v);
    c->sb.stamp = rg_xcalloc(c->nkeys, sizeof *c->sb.stamp);
    c->sb.writer = rg_xcalloc(c->nkeys, sizeof *c->sb.writer);
    for (size_t k = 0; k < c->nkeys; k++) {
        c->sb.v[k] = c->rep[region].v[k];
        c->sb.stamp[k] = c->rep[region].stamp[k];
        c->sb.writer[k] = c->rep[region].writer[k];
    }
    c->sb.seq = c->rep[region].seq;
}

uint64_t rg_cache_failover(rg_cache *c, rg_time down)
{
    RG_ENGINE_ASSERT(c->e, c->standby);
    rg_engine *e = c->e;
    size_t region = c->sb_region;
    replica *rp = &c->rep[region];
    c->standby = false;
    for (size_t k = 0; k < c->nkeys; k++) {
        rp->v[k] = c->sb.v[k];
        rp->stamp[k] = c->sb.stamp[k];
        rp->writer[k] = c->sb.writer[k];
    }
    rp->seq = c->sb.seq;
    rp->busy_until = rg_now(e);
    /* Operations queued from now may complete before the void ones still
     * queued, which keep their events: a new lane for them. */
    if (rp->ops != NULL) {
        rg_xgrow((void **)&c->retired, &c->capretired, c->nretired + 1, sizeof *c->retired);
        c->retired[c->nretired++] = rp->ops;
        rp->ops = NULL;
    }
    rp->down_until = rg_now(e) + down;
    /* the standby's pending changes are void; the node's operations fail,
     * in the order their records were made */
    for (size_t i = 0; i < c->nall; i++) {
        rec *x = rec_at(c, i);
        if (x->dead)
            continue;
        if (x->kind == R_STANDBY) {
            x->dead = true;
        } else if (x->kind == R_OP && x->region == region) {
            x->dead = true;
            x->cb(e, x->ctx, x->tag, -1);
        }
    }
    return rp->seq;
}

void rg_cache_cut(rg_cache *c, const rg_partition *cut)
{
    c->cut = cut;
}
