/*
 * kv.c: the eventually consistent KV store (see kv.h).
 *
 * Per key the central store keeps the accepted puts that some read could
 * still be shown, in stamp order: once a put is visible, every older put is
 * hidden for good and is dropped from the list, so the list holds the
 * newest visible put and the ones still propagating (a handful).  Caches are
 * an array of entries per (location, key).  Messages in flight are small
 * heap records, freed when they arrive; the store also lists them, so that
 * those still in flight when a replication stops at its horizon are freed
 * with the store.
 */
#include "models/stores/kv.h"

#include <stdlib.h>

#include "models/mech/mparam.h"

typedef struct kwrite {
    uint64_t stamp;
    int64_t value;
    rg_time visible;
} kwrite;

typedef struct kkey {
    kwrite *w; /* sorted by stamp */
    size_t n, cap;
    bool any;        /* something was accepted */
    uint64_t latest; /* highest stamp accepted */
    int64_t latest_value;
    double tokens; /* write-rate bucket */
    rg_time refilled;
} kkey;

typedef struct kentry {
    bool set; /* holds an answer (live until expires) */
    bool found;
    int64_t value;
    uint64_t stamp; /* PENDING: a local put not yet accepted */
    rg_time expires;
    uint64_t put_id; /* the local put that refreshed it (0: none) */
} kentry;

/* The stamp of a value refreshed by a local put still on its way to the
 * central store: newer than anything accepted, so never "stale". */
#define PENDING UINT64_MAX

typedef struct kmsg kmsg;

struct rg_kv {
    rg_engine *e;
    rg_kv_params p;
    gsl_rng *net, *coin;
    size_t nloc, nkeys;
    kkey *keys;
    kentry *cache;    /* [loc * nkeys + key] */
    uint64_t seq;     /* last stamp given */
    uint64_t put_ids; /* last put id given */
    kmsg **live;      /* messages in flight */
    size_t nlive, caplive;
    rg_kv_stats st;
};

/* One operation in flight. */
struct kmsg {
    rg_kv *kv;
    size_t loc, key;
    rg_kv_cb cb;
    void *ctx;
    uint64_t tag;
    rg_kv_res res;
    size_t idx;      /* position in rg_kv.live */
    uint64_t put_id; /* puts: identity, to find its own cache refresh */
};

static const char *const refresh_names[] = {"put", "ack", NULL};

int rg_kv_load(rg_scn *s, const char *var, const char *shared, rg_kv_cfg *c, rg_err *e)
{
    int refresh;
    /* Defaults: FACTS.md where it has a figure, otherwise assumptions (as
     * marked).  A cache hit is a hop to KV's own Worker in the colo and a
     * Cache API lookup: "a few ms" (FACTS: same-colo hops are sub-ms to a
     * few ms; only the hottest keys are served from memory, Cloudflare's
     * "faster Workers KV" blog, 2024);
     * the distance to the central store and its internal propagation are
     * open: assumptions of a nearby core data centre and a sub-second
     * replication.  TTLs: KV's default and minimum 60 s; negative lookups
     * are cached too (their TTL: assumption, the same).  The local-miss
     * chance is an assumption for "visible at once ... (not guaranteed)";
     * "at once" is read literally: the refresh happens as the put leaves.
     * The write limit is KV's documented 1 write/s per key, with a bucket of
     * one (no burst: assumption). */
    if (mp_dist(s, var, shared, "hit", "lognormal(median=2ms, p99=10ms)", RG_QTY_DURATION, &c->hit,
                e) < 0 ||
        mp_dist(s, var, shared, "central", "lognormal(median=20ms, p99=100ms)", RG_QTY_DURATION,
                &c->central, e) < 0 ||
        mp_dist(s, var, shared, "propagation", "lognormal(median=200ms, p99=2s)", RG_QTY_DURATION,
                &c->propagation, e) < 0 ||
        mp_dur(s, var, shared, "ttl", "60s", &c->p.ttl, e) < 0 ||
        mp_dur(s, var, shared, "negative_ttl", "60s", &c->p.neg_ttl, e) < 0 ||
        mp_real(s, var, shared, "local_miss", "0.01", 0, 1, &c->p.local_miss, e) < 0 ||
        mp_enum(s, var, shared, "local_refresh", "put", refresh_names, &refresh, e) < 0 ||
        mp_real(s, var, shared, "write_rate", "1", 0, 1e9, &c->p.write_rate, e) < 0 ||
        mp_real(s, var, shared, "write_burst", "1", 1, 1e9, &c->p.write_burst, e) < 0)
        return -1;
    c->p.refresh_at_ack = refresh == 1;
    c->p.hit = c->hit;
    c->p.central = c->central;
    c->p.propagation = c->propagation;
    return 0;
}

void rg_kv_cfg_free(rg_kv_cfg *c)
{
    rg_dist_free(c->hit);
    rg_dist_free(c->central);
    rg_dist_free(c->propagation);
    c->hit = c->central = c->propagation = NULL;
}

size_t rg_kv_key_bytes(size_t nloc)
{
    return sizeof(kkey) + nloc * sizeof(kentry) + 8 * sizeof(kwrite) + 16;
}

rg_kv *rg_kv_new(rg_engine *e, const rg_kv_params *p, size_t nloc, size_t nkeys)
{
    RG_ASSERT(nloc > 0 && nkeys > 0 && p->write_burst >= 1);
    rg_kv *kv = rg_xcalloc(1, sizeof *kv);
    kv->e = e;
    kv->p = *p;
    kv->net = rg_engine_stream(e, "network");
    kv->coin = p->local_miss > 0 ? rg_engine_stream(e, "kv") : NULL;
    kv->nloc = nloc;
    kv->nkeys = nkeys;
    kv->keys = rg_xcalloc(nkeys, sizeof *kv->keys);
    for (size_t k = 0; k < nkeys; k++)
        kv->keys[k].tokens = p->write_burst;
    kv->cache = rg_xcalloc(nloc * nkeys, sizeof *kv->cache);
    return kv;
}

void rg_kv_free(rg_kv *kv)
{
    if (kv == NULL)
        return;
    for (size_t k = 0; k < kv->nkeys; k++)
        free(kv->keys[k].w);
    for (size_t i = 0; i < kv->nlive; i++)
        free(kv->live[i]);
    free(kv->live);
    free(kv->keys);
    free(kv->cache);
    free(kv);
}

const rg_kv_stats *rg_kv_stats_get(const rg_kv *kv)
{
    return &kv->st;
}

bool rg_kv_latest(const rg_kv *kv, size_t key, int64_t *value, uint64_t *stamp)
{
    const kkey *k = &kv->keys[key];
    if (value)
        *value = k->any ? k->latest_value : 0;
    if (stamp)
        *stamp = k->any ? k->latest : 0;
    return k->any;
}

static kmsg *msg_new(rg_kv *kv, size_t loc, size_t key, rg_kv_cb cb, void *ctx, uint64_t tag)
{
    RG_ENGINE_ASSERT(kv->e, loc < kv->nloc && key < kv->nkeys);
    kmsg *m = rg_xcalloc(1, sizeof *m);
    m->kv = kv;
    m->loc = loc;
    m->key = key;
    m->cb = cb;
    m->ctx = ctx;
    m->tag = tag;
    rg_xgrow((void **)&kv->live, &kv->caplive, kv->nlive + 1, sizeof *kv->live);
    m->idx = kv->nlive;
    kv->live[kv->nlive++] = m;
    return m;
}

/* Hands the result to the caller.  The message leaves the in-flight list
 * first: the callback may start new operations. */
static void deliver(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    kmsg *m = ctx;
    rg_kv *kv = m->kv;
    kmsg *last = kv->live[--kv->nlive];
    kv->live[m->idx] = last;
    last->idx = m->idx;
    m->cb(e, m->ctx, m->tag, &m->res);
    free(m);
}

/* What a read reaching the central store at `now` is shown: the newest put
 * already visible.  Older puts can never be shown again and are dropped. */
static const kwrite *central_read(kkey *k, rg_time now)
{
    size_t i = k->n;
    while (i > 0 && k->w[i - 1].visible > now)
        i--;
    if (i == 0)
        return NULL;
    /* w[i-1] is the newest visible put: everything before it is hidden. */
    if (i > 1) {
        for (size_t j = i - 1; j < k->n; j++)
            k->w[j - (i - 1)] = k->w[j];
        k->n -= i - 1;
    }
    return &k->w[0];
}

/* ---- get ----------------------------------------------------------------- */

static void on_get_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    kmsg *m = ctx;
    rg_kv *kv = m->kv;
    rg_time now = rg_now(e);
    kentry *c = &kv->cache[m->loc * kv->nkeys + m->key];
    /* The answer fills the cache whatever is there (latest fill wins). */
    c->set = true;
    c->found = m->res.status == RG_KV_OK;
    c->value = m->res.value;
    c->stamp = m->res.stamp;
    c->expires = now + (c->found ? kv->p.ttl : kv->p.neg_ttl);
    c->put_id = 0;
    deliver(e, m, 0);
}

static void on_get_central(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    kmsg *m = ctx;
    rg_kv *kv = m->kv;
    kkey *k = &kv->keys[m->key];
    const kwrite *w = central_read(k, rg_now(e));
    m->res.status = w ? RG_KV_OK : RG_KV_NOT_FOUND;
    m->res.value = w ? w->value : 0;
    m->res.stamp = w ? w->stamp : 0;
    m->res.stale = k->any && m->res.stamp < k->latest;
    kv->st.stale_reads += m->res.stale;
    rg_after(e, rg_dist_sample_time(kv->p.central, kv->net), RG_PRIO_DEFAULT, on_get_back, m, 0);
}

void rg_kv_get(rg_kv *kv, size_t loc, size_t key, rg_kv_cb cb, void *ctx, uint64_t tag)
{
    kmsg *m = msg_new(kv, loc, key, cb, ctx, tag);
    rg_time now = rg_now(kv->e);
    kentry *c = &kv->cache[loc * kv->nkeys + key];
    kkey *k = &kv->keys[key];
    kv->st.gets++;
    if (c->set && c->expires > now) {
        m->res.status = c->found ? RG_KV_OK : RG_KV_NOT_FOUND;
        m->res.value = c->value;
        m->res.stamp = c->stamp;
        m->res.cached = true;
        m->res.stale = k->any && c->stamp < k->latest;
        kv->st.hits++;
        kv->st.neg_hits += !c->found;
        kv->st.stale_reads += m->res.stale;
        rg_after(kv->e, rg_dist_sample_time(kv->p.hit, kv->net), RG_PRIO_DEFAULT, deliver, m, 0);
        return;
    }
    kv->st.misses++;
    rg_after(kv->e, rg_dist_sample_time(kv->p.central, kv->net), RG_PRIO_DEFAULT, on_get_central, m,
             0);
}

/* ---- put ----------------------------------------------------------------- */

/* The writer's location shows its own put (unless the refresh is missed,
 * with probability local_miss). */
static void local_refresh(rg_kv *kv, kmsg *m, uint64_t stamp)
{
    if (kv->p.local_miss > 0 && gsl_rng_uniform(kv->coin) < kv->p.local_miss) {
        kv->st.local_missed++;
        return;
    }
    kentry *c = &kv->cache[m->loc * kv->nkeys + m->key];
    c->set = true;
    c->found = true;
    c->value = m->res.value;
    c->stamp = stamp;
    c->expires = rg_now(kv->e) + kv->p.ttl;
    c->put_id = m->put_id;
}

static void on_put_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    kmsg *m = ctx;
    rg_kv *kv = m->kv;
    kentry *c = &kv->cache[m->loc * kv->nkeys + m->key];
    bool own = c->set && c->put_id == m->put_id;
    if (kv->p.refresh_at_ack) {
        if (m->res.status == RG_KV_OK)
            local_refresh(kv, m, m->res.stamp);
    } else if (own && m->res.status == RG_KV_OK) {
        c->stamp = m->res.stamp; /* now accepted: an ordinary cached value */
    } else if (own) {
        c->set = false; /* rejected: the location stops showing it */
    }
    deliver(e, m, 0);
}

static void on_put_central(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    kmsg *m = ctx;
    rg_kv *kv = m->kv;
    kkey *k = &kv->keys[m->key];
    rg_time now = rg_now(e);
    bool limited = false;
    if (kv->p.write_rate > 0) {
        k->tokens += kv->p.write_rate * rg_time_sec(now - k->refilled);
        if (k->tokens > kv->p.write_burst)
            k->tokens = kv->p.write_burst;
        k->refilled = now;
        /* A little slack for the rounding of rate x time. */
        if (k->tokens >= 1 - 1e-9)
            k->tokens -= 1;
        else
            limited = true;
    }
    if (limited) {
        m->res.status = RG_KV_RATE_LIMITED;
        kv->st.rate_limited++;
    } else {
        rg_xgrow((void **)&k->w, &k->cap, k->n + 1, sizeof *k->w);
        kwrite *w = &k->w[k->n++];
        w->stamp = ++kv->seq;
        w->value = m->res.value;
        w->visible = now + rg_dist_sample_time(kv->p.propagation, kv->net);
        k->any = true;
        k->latest = w->stamp;
        k->latest_value = w->value;
        m->res.status = RG_KV_OK;
        m->res.stamp = w->stamp;
        kv->st.accepted++;
    }
    rg_after(e, rg_dist_sample_time(kv->p.central, kv->net), RG_PRIO_DEFAULT, on_put_back, m, 0);
}

void rg_kv_put(rg_kv *kv, size_t loc, size_t key, int64_t value, rg_kv_cb cb, void *ctx,
               uint64_t tag)
{
    kmsg *m = msg_new(kv, loc, key, cb, ctx, tag);
    m->res.value = value;
    m->put_id = ++kv->put_ids;
    kv->st.puts++;
    if (!kv->p.refresh_at_ack)
        local_refresh(kv, m, PENDING);
    rg_after(kv->e, rg_dist_sample_time(kv->p.central, kv->net), RG_PRIO_DEFAULT, on_put_central, m,
             0);
}
