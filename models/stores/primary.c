/*
 * primary.c: a primary counter server with asynchronous read replicas (see
 * primary.h).  Each copy is a FIFO single server (its busy_until is when it
 * is next free); each replica applies the primary's changes in order (its
 * applied_at is when the latest shipped change lands there).
 *
 * Operations and replication messages are small records reused through a
 * spare list; every record ever allocated is also kept in `all`, so those
 * still in flight when a replication stops at its horizon are freed too.
 */
#include "models/stores/primary.h"

#include <stdlib.h>

typedef struct rec rec;
struct rec { /* an operation or a replication message */
    struct rg_primary *p;
    size_t copy, key;
    bool decrement;   /* operations: decrement (else read) */
    rg_primary_cb cb; /* operations only */
    void *ctx;
    uint64_t tag;
    int64_t value; /* messages: the counter's new value */
    rec *next;     /* spare list */
};

typedef struct copy {
    int64_t *v;
    rg_time busy_until;
    rg_time applied_at; /* replicas: when the last shipped change lands */
    /* Completions of its operations (at busy_until) and arrivals of shipped
     * changes (at applied_at) come due in the order they are made, so each
     * kind shares one heap entry (engine.h, lanes), with the same event
     * order as one event each. */
    rg_lane *ops, *applied;
} copy;

struct rg_primary {
    rg_engine *e;
    rg_primary_params p;
    gsl_rng *service, *lagrng;
    copy *c; /* 0: the primary; 1..n: replicas */
    size_t ncopies, nkeys;
    uint64_t replicated;
    rec *spare;
    rec **all;
    size_t nall, capall;
};

static rec *rec_new(rg_primary *p)
{
    rec *x = p->spare;
    if (x != NULL) {
        p->spare = x->next;
    } else {
        x = rg_xmalloc(sizeof *x);
        rg_xgrow((void **)&p->all, &p->capall, p->nall + 1, sizeof *p->all);
        p->all[p->nall++] = x;
    }
    x->p = p;
    return x;
}

static void rec_done(rg_primary *p, rec *x)
{
    x->next = p->spare;
    p->spare = x;
}

rg_primary *rg_primary_new(rg_engine *e, const rg_primary_params *pp, size_t nreplicas,
                           size_t nkeys, int64_t initial)
{
    rg_primary *p = rg_xcalloc(1, sizeof *p);
    p->e = e;
    p->p = *pp;
    p->service = rg_engine_stream(e, "service");
    p->ncopies = nreplicas + 1;
    p->nkeys = nkeys;
    /* only a store that replicates draws lags */
    if (nreplicas > 0)
        p->lagrng = rg_engine_stream(e, "replication");
    p->c = rg_xcalloc(p->ncopies, sizeof *p->c);
    for (size_t i = 0; i < p->ncopies; i++) {
        p->c[i].v = rg_xcalloc(nkeys, sizeof *p->c[i].v);
        for (size_t k = 0; k < nkeys; k++)
            p->c[i].v[k] = initial;
    }
    return p;
}

void rg_primary_free(rg_primary *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->ncopies; i++) {
        rg_lane_free(p->c[i].ops);
        rg_lane_free(p->c[i].applied);
        free(p->c[i].v);
    }
    for (size_t i = 0; i < p->nall; i++)
        free(p->all[i]);
    free(p->all);
    free(p->c);
    free(p);
}

int64_t rg_primary_value(const rg_primary *p, size_t c, size_t key)
{
    return p->c[c].v[key];
}

uint64_t rg_primary_replicated(const rg_primary *p)
{
    return p->replicated;
}

static void on_applied(rg_engine *e, void *ctx, uint64_t arg)
{
    rec *m = ctx;
    (void)e;
    (void)arg;
    rg_primary *p = m->p;
    p->c[m->copy].v[m->key] = m->value;
    p->replicated++;
    rec_done(p, m);
}

/* Ships the primary's new value of key to every replica, in order: a
 * change lands no earlier than the one shipped before it. */
static void replicate(rg_primary *p, size_t key, int64_t value)
{
    rg_time now = rg_now(p->e);
    for (size_t i = 1; i < p->ncopies; i++) {
        rec *m = rec_new(p);
        m->copy = i;
        m->key = key;
        m->value = value;
        rg_time at = rg_engine_add(p->e, now, rg_dist_sample_time(p->p.lag, p->lagrng));
        if (at < p->c[i].applied_at)
            at = p->c[i].applied_at;
        p->c[i].applied_at = at;
        if (p->c[i].applied == NULL)
            p->c[i].applied = rg_lane_new(p->e, RG_PRIO_DEFAULT, on_applied);
        rg_lane_at(p->c[i].applied, at, m, 0);
    }
}

static void on_op_done(rg_engine *e, void *ctx, uint64_t arg)
{
    rec *o = ctx;
    (void)arg;
    rg_primary *p = o->p;
    int64_t *v = &p->c[o->copy].v[o->key];
    int64_t result = *v;
    if (o->decrement) {
        result = *v > 0;
        if (result) {
            *v -= 1;
            replicate(p, o->key, *v);
        }
    }
    rg_primary_cb cb = o->cb;
    void *cctx = o->ctx;
    uint64_t tag = o->tag;
    rec_done(p, o);
    cb(e, cctx, tag, result);
}

/* rg_lane_warm of an operations lane: the operation's caller, whose
 * callback reads its ctx (as in cache.c). */
static void warm_op(const void *ctx, uint64_t arg)
{
    (void)arg;
    rg_prefetch_record(((const rec *)ctx)->ctx);
}

/* Queues an operation at copy c: it starts when the copy is free. */
static void enqueue(rg_primary *p, size_t c, size_t key, bool decrement, rg_primary_cb cb,
                    void *ctx, uint64_t tag)
{
    RG_ENGINE_ASSERT(p->e, c < p->ncopies && key < p->nkeys);
    rec *o = rec_new(p);
    o->copy = c;
    o->key = key;
    o->decrement = decrement;
    o->cb = cb;
    o->ctx = ctx;
    o->tag = tag;
    copy *cp = &p->c[c];
    rg_time now = rg_now(p->e);
    rg_time start = cp->busy_until > now ? cp->busy_until : now;
    /* At most the end of time (as in cache.c). */
    cp->busy_until = rg_engine_add(p->e, start, rg_dist_sample_time(p->p.op, p->service));
    if (cp->ops == NULL) {
        cp->ops = rg_lane_new(p->e, RG_PRIO_DEFAULT, on_op_done);
        rg_lane_warm(cp->ops, warm_op);
    }
    rg_lane_at(cp->ops, cp->busy_until, o, 0);
}

void rg_primary_decrement(rg_primary *p, size_t key, rg_primary_cb cb, void *ctx, uint64_t tag)
{
    enqueue(p, 0, key, true, cb, ctx, tag);
}

void rg_primary_read(rg_primary *p, size_t c, size_t key, rg_primary_cb cb, void *ctx, uint64_t tag)
{
    enqueue(p, c, key, false, cb, ctx, tag);
}
