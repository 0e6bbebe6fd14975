/*
 * quorum.c: the quorum-replicated store (see quorum.h).
 *
 * Each replica holds a (value, version) pair per key.  An operation in
 * flight is one record: the coordinator's side (how many replicas are
 * back, the newest answer so far) and, per replica, the delay of the
 * message back and, for a read, what the replica answered.  A message is
 * an event whose context is the record and whose argument is the replica,
 * so messages allocate nothing.  A record is reused (spare list) once all
 * N replicas are back, which may be after the operation returned; every
 * record ever made is also kept in `all`, so those in flight when a
 * replication stops at its horizon are freed with the store.
 */
#include "models/stores/quorum.h"

#include <stdlib.h>

#include "models/mech/mparam.h"

typedef struct qop qop;
struct qop {
    rg_quorum *q;
    bool write;
    size_t key;
    uint64_t id; /* write: its version; read: its number */
    int64_t value;
    rg_quorum_cb cb;
    void *ctx;
    uint64_t tag;
    rg_time issued;
    int64_t back;                  /* acks or answers back at the coordinator */
    int64_t best_value;            /* read: newest answer so far */
    uint64_t best_version;         /* read: its version */
    rg_time ret[RG_QUORUM_MAX_N];  /* delay of replica i's ack or answer */
    int64_t val[RG_QUORUM_MAX_N];  /* read: what replica i answered */
    uint64_t ver[RG_QUORUM_MAX_N]; /* read: its version */
    qop *next;                     /* spare list */
};

struct rg_quorum {
    rg_engine *e;
    rg_quorum_params p;
    gsl_rng *net;
    size_t nkeys;
    int64_t *val;  /* [replica * nkeys + key] */
    uint64_t *ver; /* same layout */
    uint64_t version;
    FILE *trace;
    qop *spare;
    qop **all;
    size_t nall, capall;
    rg_quorum_stats st;
};

/* ---- configuration ------------------------------------------------------ */

int rg_quorum_load(rg_scn *s, const char *var, const char *shared, rg_quorum_cfg *c, rg_err *e)
{
    rg_quorum_params *p = &c->p;
    /* Cassandra's defaults of the time, N = 3, R = W = 1 (FACTS.md); the
     * delays are the PBS synthetic runs' A = R = S, exponential with mean
     * 1 ms, and W the same (an assumption: the paper varies it). */
    if (mp_int(s, var, shared, "n", "3", 1, RG_QUORUM_MAX_N, &p->n, e) < 0 ||
        mp_int(s, var, shared, "r", "1", 1, RG_QUORUM_MAX_N, &p->r, e) < 0 ||
        mp_int(s, var, shared, "w", "1", 1, RG_QUORUM_MAX_N, &p->w, e) < 0 ||
        mp_dist(s, var, shared, "delay_w", "exp(mean=1ms)", RG_QTY_DURATION, &c->dw, e) < 0 ||
        mp_dist(s, var, shared, "delay_a", "exp(mean=1ms)", RG_QTY_DURATION, &c->da, e) < 0 ||
        mp_dist(s, var, shared, "delay_r", "exp(mean=1ms)", RG_QTY_DURATION, &c->dr, e) < 0 ||
        mp_dist(s, var, shared, "delay_s", "exp(mean=1ms)", RG_QTY_DURATION, &c->ds, e) < 0)
        return -1;
    if (p->r > p->n || p->w > p->n) {
        const char *key = p->r > p->n ? "r" : "w";
        return rg_scn_err(s, rg_scn_has(s, var, key) ? var : shared, key, e,
                          "a quorum of %lld is more than the n = %lld replicas",
                          (long long)(p->r > p->n ? p->r : p->w), (long long)p->n);
    }
    for (int64_t i = 0; i < p->n; i++) {
        p->dw[i] = c->dw;
        p->da[i] = c->da;
        p->dr[i] = c->dr;
        p->ds[i] = c->ds;
    }
    return 0;
}

void rg_quorum_cfg_free(rg_quorum_cfg *c)
{
    rg_dist_free(c->dw);
    rg_dist_free(c->da);
    rg_dist_free(c->dr);
    rg_dist_free(c->ds);
    c->dw = c->da = c->dr = c->ds = NULL;
}

/* ---- the store ------------------------------------------------------------ */

rg_quorum *rg_quorum_new(rg_engine *e, const rg_quorum_params *p, size_t nkeys, int64_t initial,
                         gsl_rng *net)
{
    RG_ASSERT(p->n >= 1 && p->n <= RG_QUORUM_MAX_N && p->r >= 1 && p->r <= p->n && p->w >= 1 &&
              p->w <= p->n && nkeys > 0);
    for (int64_t i = 0; i < p->n; i++)
        RG_ASSERT(p->dw[i] && p->da[i] && p->dr[i] && p->ds[i]);
    rg_quorum *q = rg_xcalloc(1, sizeof *q);
    q->e = e;
    q->p = *p;
    q->net = net;
    q->nkeys = nkeys;
    q->val = rg_xcalloc((size_t)p->n * nkeys, sizeof *q->val);
    q->ver = rg_xcalloc((size_t)p->n * nkeys, sizeof *q->ver);
    for (size_t k = 0; k < (size_t)p->n * nkeys; k++)
        q->val[k] = initial;
    return q;
}

void rg_quorum_free(rg_quorum *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->nall; i++)
        free(q->all[i]);
    free(q->all);
    free(q->val);
    free(q->ver);
    free(q);
}

void rg_quorum_set_trace(rg_quorum *q, FILE *f)
{
    q->trace = f;
}

int64_t rg_quorum_replica(const rg_quorum *q, size_t i, size_t key, uint64_t *version)
{
    RG_ASSERT(i < (size_t)q->p.n && key < q->nkeys);
    if (version != NULL)
        *version = q->ver[i * q->nkeys + key];
    return q->val[i * q->nkeys + key];
}

int64_t rg_quorum_newest(const rg_quorum *q, size_t key, uint64_t *version)
{
    size_t best = 0;
    for (size_t i = 1; i < (size_t)q->p.n; i++)
        if (q->ver[i * q->nkeys + key] > q->ver[best * q->nkeys + key])
            best = i;
    return rg_quorum_replica(q, best, key, version);
}

const rg_quorum_stats *rg_quorum_stats_get(const rg_quorum *q)
{
    return &q->st;
}

static qop *op_new(rg_quorum *q)
{
    qop *o = q->spare;
    if (o != NULL) {
        q->spare = o->next;
    } else {
        o = rg_xmalloc(sizeof *o);
        rg_xgrow((void **)&q->all, &q->capall, q->nall + 1, sizeof *q->all);
        q->all[q->nall++] = o;
    }
    o->q = q;
    o->back = 0;
    return o;
}

/* One more replica is back at the coordinator: the operation returns at the
 * quorum-th, and its record is reused after the last. */
static void op_back(rg_engine *e, qop *o)
{
    rg_quorum *q = o->q;
    int64_t quorum = o->write ? q->p.w : q->p.r;
    o->back++;
    rg_quorum_res res = {o->write ? o->value : o->best_value, o->write ? o->id : o->best_version,
                         o->issued};
    rg_quorum_cb cb = o->cb;
    void *ctx = o->ctx;
    uint64_t tag = o->tag;
    bool fire = o->back == quorum;
    if (fire && o->write)
        rg_trace(e, q->trace, "quorum: write v%llu of key %zu complete: %lld of %lld acked\n",
                 (unsigned long long)o->id, o->key, (long long)quorum, (long long)q->p.n);
    else if (fire)
        rg_trace(e, q->trace,
                 "quorum: read %llu of key %zu returns v%llu, the newest of %lld of %lld answers\n",
                 (unsigned long long)o->id, o->key, (unsigned long long)res.version,
                 (long long)quorum, (long long)q->p.n);
    if (o->back == q->p.n) {
        o->next = q->spare;
        q->spare = o;
    }
    /* last: the callback may issue operations that reuse the record */
    if (fire)
        cb(e, ctx, tag, &res);
}

static void on_ack(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    op_back(e, ctx);
}

static void on_write_at(rg_engine *e, void *ctx, uint64_t arg)
{
    qop *o = ctx;
    rg_quorum *q = o->q;
    size_t at = (size_t)arg * q->nkeys + o->key;
    if (o->id > q->ver[at]) {
        q->val[at] = o->value;
        q->ver[at] = o->id;
        rg_trace(e, q->trace, "quorum: replica %llu applies v%llu of key %zu\n",
                 (unsigned long long)arg, (unsigned long long)o->id, o->key);
    } else {
        q->st.superseded++;
        rg_trace(e, q->trace, "quorum: replica %llu keeps v%llu of key %zu, drops v%llu\n",
                 (unsigned long long)arg, (unsigned long long)q->ver[at], o->key,
                 (unsigned long long)o->id);
    }
    rg_after(e, o->ret[arg], RG_PRIO_DEFAULT, on_ack, o, arg);
}

static void on_answer(rg_engine *e, void *ctx, uint64_t arg)
{
    qop *o = ctx;
    /* only the first R answers count: the newest among them */
    if (o->back < o->q->p.r && (o->back == 0 || o->ver[arg] > o->best_version)) {
        o->best_value = o->val[arg];
        o->best_version = o->ver[arg];
    }
    op_back(e, o);
}

static void on_read_at(rg_engine *e, void *ctx, uint64_t arg)
{
    qop *o = ctx;
    rg_quorum *q = o->q;
    size_t at = (size_t)arg * q->nkeys + o->key;
    o->val[arg] = q->val[at];
    o->ver[arg] = q->ver[at];
    rg_trace(e, q->trace, "quorum: replica %llu answers read %llu of key %zu with v%llu\n",
             (unsigned long long)arg, (unsigned long long)o->id, o->key,
             (unsigned long long)q->ver[at]);
    rg_after(e, o->ret[arg], RG_PRIO_DEFAULT, on_answer, o, arg);
}

/* Sends operation o to every replica: its first delay now, the way back
 * kept for the replica's answer. */
static void op_send(rg_quorum *q, qop *o, const rg_dist *const *out, const rg_dist *const *back,
                    rg_evfn at)
{
    for (int64_t i = 0; i < q->p.n; i++) {
        rg_time d = rg_dist_sample_time(out[i], q->net);
        o->ret[i] = rg_dist_sample_time(back[i], q->net);
        rg_after(q->e, d, RG_PRIO_DEFAULT, at, o, (uint64_t)i);
    }
    q->st.messages += 2 * (uint64_t)q->p.n;
}

uint64_t rg_quorum_write(rg_quorum *q, size_t key, int64_t value, rg_quorum_cb cb, void *ctx,
                         uint64_t tag)
{
    RG_ENGINE_ASSERT(q->e, key < q->nkeys && cb != NULL);
    qop *o = op_new(q);
    o->write = true;
    o->key = key;
    o->id = ++q->version;
    o->value = value;
    o->cb = cb;
    o->ctx = ctx;
    o->tag = tag;
    o->issued = rg_now(q->e);
    q->st.writes++;
    rg_trace(q->e, q->trace, "quorum: write v%llu of key %zu = %lld sent to %lld replicas\n",
             (unsigned long long)o->id, key, (long long)value, (long long)q->p.n);
    op_send(q, o, q->p.dw, q->p.da, on_write_at);
    return o->id;
}

void rg_quorum_read(rg_quorum *q, size_t key, rg_quorum_cb cb, void *ctx, uint64_t tag)
{
    RG_ENGINE_ASSERT(q->e, key < q->nkeys && cb != NULL);
    qop *o = op_new(q);
    o->write = false;
    o->key = key;
    o->id = ++q->st.reads;
    o->cb = cb;
    o->ctx = ctx;
    o->tag = tag;
    o->issued = rg_now(q->e);
    o->best_value = 0;
    o->best_version = 0;
    rg_trace(q->e, q->trace, "quorum: read %llu of key %zu sent to %lld replicas\n",
             (unsigned long long)o->id, key, (long long)q->p.n);
    op_send(q, o, q->p.dr, q->p.ds, on_read_at);
}
