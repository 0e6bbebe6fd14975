/*
 * dropkvp.c: the rate limits and the budget guardrail with their state in
 * the eventually consistent KV they would really live in ([protection]
 * state = kv; kv.h: a cache per region, last writer wins, propagation
 * delay, a write limit per key), instead of exact global counts.
 *
 * At the PoP, a request's protections read their keys at once (its session
 * bucket and its IP bucket if rate-limited, the guardrail flag if guarded)
 * and decide when every read is back: a bucket read "not found" is full;
 * an admitted request writes its bucket's new state back (an unconditional
 * put: a concurrent request may overwrite it, and the put may be refused
 * by the write limit); the flag blocks when it reads "tripped".  After an
 * allocation the PoP read-modify-writes the budget counter (units, or the
 * virtual cost billed since the last report) and, when the counter it
 * wrote is over the budget, puts the flag; that runs after the answer has
 * left (the buyer does not wait for telemetry).  A reset puts both back to
 * zero from the first region.
 *
 * The leak is measured against exact counts fed the same requests:
 * shadow token buckets say whether each request would have passed
 * (rate_leak counts those the KV let through that exact counts refused),
 * and the drop counts allocations decided after the budget was exceeded
 * (guardrail_leak, in either state).
 *
 * Keys: 0 the flag, 1 the counter, then a session per buyer, then an IP
 * per human and per address of the bots' NAT pool.  Bots that rotate
 * addresses present a new IP on every request: its bucket is full in
 * either state, so it is not read (a simplification: that read's latency
 * and price are left out).  Values are int64: the flag 0/1, the counter a
 * double's bits, a bucket an index into the run's snapshots of (tokens,
 * time), as an application stores a small JSON blob.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/dropint.h"

struct dsnap {
    double tokens;
    rg_time at;
};

enum { K_FLAG, K_SPENT, K_SESSIONS };
/* the reads a request makes at its PoP (kv_found / kv_value slots) */
enum { R_SESSION, R_IP, R_FLAG };

static size_t key_session(const drun *r, const dclient *cl)
{
    (void)r;
    return K_SESSIONS + cl->id;
}

/* The key of an address, or SIZE_MAX for a rotating one (see above). */
static size_t key_ip(const drun *r, uint64_t ip)
{
    if (ip < (UINT64_C(1) << 32))
        return K_SESSIONS + r->ncl + (size_t)ip;
    if (ip < (UINT64_C(1) << 40))
        return K_SESSIONS + 2 * r->ncl + (size_t)(ip - (UINT64_C(1) << 32));
    return SIZE_MAX;
}

void dkvp_setup(drun *r)
{
    const dcfg *c = r->c;
    if (!r->v->kv_state)
        return;
    size_t nkeys = K_SESSIONS + 2 * r->ncl + (size_t)c->cl.bot_ips;
    r->pkv = rg_kv_new(r->e, &c->kv.p, c->pl->n, nkeys);
    if (r->v->rate_limit) {
        r->shadow_session = rg_limiter_new(c->pr.session_rate, c->pr.session_burst);
        r->shadow_ip = rg_limiter_new(c->pr.ip_rate, c->pr.ip_burst);
    }
}

void dkvp_free(drun *r)
{
    rg_kv_free(r->pkv);
    rg_limiter_free(r->shadow_session);
    rg_limiter_free(r->shadow_ip);
    free(r->snap);
}

static void on_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    /* nobody waits for a protection's write; a refused one is simply lost */
    (void)e;
    (void)ctx;
    (void)tag;
    (void)res;
}

static void put(drun *r, int region, size_t key, int64_t value)
{
    rg_ledger_add(r->ledger, &dflow_kv_write);
    rg_kv_put(r->pkv, (size_t)region, key, value, on_put, r, 0);
}

static int64_t bits_of(double v)
{
    int64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double double_of(int64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

/* Takes a token from the bucket read into slot `slot` of q; on success
 * writes the bucket's new state to `key`. */
static bool bucket_take(drun *r, dreq *q, int slot, size_t key, double rate, double burst)
{
    rg_time now = rg_now(r->e);
    double tokens = burst;
    const dreqx *x = drun_reqx(r, q);
    if (x->kv_found[slot]) {
        const struct dsnap *s = &r->snap[x->kv_value[slot]];
        tokens = s->tokens + rate * rg_time_sec(now - s->at);
        if (tokens > burst)
            tokens = burst;
    }
    /* the same tolerance as the exact buckets (ratelimit.c) */
    if (tokens < 1.0 - 1e-9)
        return false;
    rg_xgrow((void **)&r->snap, &r->capsnap, r->nsnap + 1, sizeof *r->snap);
    r->snap[r->nsnap] = (struct dsnap){tokens - 1.0, now};
    put(r, q->cl->region, key, (int64_t)r->nsnap++);
    return true;
}

/* Every read of q is back: decide in the order of the exact path. */
static void decide(drun *r, dreq *q)
{
    const dvariant *v = r->v;
    const dprotect *p = &r->c->pr;
    rg_outcome o = RG_OUT_PENDING;
    if (v->rate_limit) {
        size_t kip = key_ip(r, dreq_ip(r, q));
        if (!bucket_take(r, q, R_SESSION, key_session(r, q->cl), p->session_rate,
                         p->session_burst) ||
            (kip != SIZE_MAX && !bucket_take(r, q, R_IP, kip, p->ip_rate, p->ip_burst)))
            o = RG_OUT_RATE_LIMITED;
        else if (!drun_reqx(r, q)->exact_ok)
            r->rate_leak++;
    }
    const dreqx *x = drun_reqx(r, q);
    if (o == RG_OUT_PENDING && v->guardrail && x->kv_found[R_FLAG] && x->kv_value[R_FLAG] == 1)
        o = RG_OUT_GUARDRAIL;
    dflow_protected(r, q, o);
}

static void on_read(rg_engine *e, void *ctx, uint64_t slot, const rg_kv_res *res)
{
    (void)e;
    dreq *q = ctx;
    dreqx *x = drun_reqx(q->run, q);
    x->kv_found[slot] = res->status == RG_KV_OK;
    x->kv_value[slot] = res->value;
    if (--x->kv_pending == 0)
        decide(q->run, q);
}

static void read_key(drun *r, dreq *q, int slot, size_t key)
{
    rg_ledger_add(r->ledger, &dflow_kv_read);
    drun_reqx(r, q)->kv_pending++;
    rg_kv_get(r->pkv, (size_t)q->cl->region, key, on_read, q, (uint64_t)slot);
}

void dkvp_check(drun *r, dreq *q)
{
    const dvariant *v = r->v;
    rg_time now = rg_now(r->e);
    drun_reqx(r, q)->kv_pending = 0;
    if (v->rate_limit) {
        /* what exact counts fed the same requests say, for the leak */
        drun_reqx(r, q)->exact_ok = rg_limiter_take(r->shadow_session, q->cl->id, now) &&
                                    rg_limiter_take(r->shadow_ip, dreq_ip(r, q), now);
        size_t kip = key_ip(r, dreq_ip(r, q));
        read_key(r, q, R_SESSION, key_session(r, q->cl));
        if (kip != SIZE_MAX)
            read_key(r, q, R_IP, kip);
    }
    if (v->guardrail)
        read_key(r, q, R_FLAG, K_FLAG);
}

/* The budget counter read by the PoP of request `q` is back. */
static void on_counter(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)tag;
    dreq *q = ctx;
    drun *r = q->run;
    const rg_guard_params *g = &r->c->pr.guard;
    double was = res->status == RG_KV_OK ? double_of(res->value) : 0, add = 1;
    if (g->kind == RG_BUDGET_COST) {
        /* the cost billed since the last report, wherever it was billed */
        double v = rg_ledger_virtual(r->ledger);
        add = v - r->cost_reported;
        r->cost_reported = v;
    }
    double now_at = was + add;
    int region = q->cl->region;
    put(r, region, K_SPENT, bits_of(now_at));
    bool over = g->kind == RG_BUDGET_UNITS ? now_at >= g->budget : now_at > g->budget;
    if (!over)
        return;
    put(r, region, K_FLAG, 1);
    if (rg_guard_mark(&r->guard, rg_now(e)) && r->trace)
        dtrace(r, "GUARDRAIL TRIPPED at %s: its KV counter reads %g (%lld units decided)",
               r->c->pl->name[region], now_at, (long long)r->decided);
}

void dkvp_evaluate(drun *r, dreq *q)
{
    rg_ledger_add(r->ledger, &dflow_kv_read);
    rg_kv_get(r->pkv, (size_t)q->cl->region, K_SPENT, on_counter, q, 0);
}

void dkvp_reset(drun *r)
{
    r->cost_reported = rg_ledger_virtual(r->ledger);
    put(r, 0, K_FLAG, 0);
    put(r, 0, K_SPENT, bits_of(0));
}
