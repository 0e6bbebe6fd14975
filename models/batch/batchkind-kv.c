/*
 * batchkind-kv.c: the batch store "kv" (batch.h): the batch state is one
 * key in the eventually consistent KV (kv.h), updated with the story's fake
 * optimistic locking inside its retry loop.
 *
 * The state is a chain of immutable snapshots (version, files listed,
 * files complete, enqueued) kept by the store; the KV holds a snapshot's
 * index, as the story's code stored a JSON blob, so a put overwrites the whole
 * state.  A start/complete-file update is an rg_bo_op: at the worker it
 * first waits the story's random `spread`, then each attempt reads the
 * state, modifies it and puts version + 1 unconditionally.  The loop
 * retries only errors (a 429, a batch not found), never a conflict: there
 * is no way to see one.
 *
 * Keys: spread ([batch]), the retry loop ([backoff], default the story's),
 * the [kv] catalogue (kv.h).
 */
#include <stdlib.h>

#include "models/batch/batchkind.h"
#include "models/mech/mparam.h"
#include "models/stores/kv.h"
#include "sim/engine/util.h"

typedef struct kvcfg {
    rg_dist *spread; /* the story's random wait before an update */
    rg_bo_policy pol;
    rg_kv_cfg kv;
} kvcfg;

typedef struct bsnap {
    int64_t version;
    uint64_t added, complete;
    bool enqueued;
} bsnap;

/* A start/complete-file update (indexed like the requests). */
typedef struct kvreq {
    rg_bo_op *op;   /* the update under the retry loop */
    bool not_found; /* complete-file: the state read did not list the file */
} kvreq;

typedef struct kvstore {
    rg_kv *kv;
    bsnap *snap;
    size_t nsnap, capsnap;
    kvreq *req;
    size_t nreq;
} kvstore;

/* ---- configuration ---- */

/* The story's updateBatchState loop: maxRetries = 3 attempts, waits of
 * Math.pow(2, attempt) * 100 ms (200, then 400 ms), no jitter, and after
 * the third failure it falls off its end: the legacy policy with 2
 * retries.  The cap never matters (an assumption, to have one). */
static void seed_loop(rg_bo_policy *p)
{
    rg_bo_default(p);
    p->mode = RG_BO_LEGACY;
    p->jitter = RG_BO_JIT_NONE;
    p->base = 100 * RG_MS;
    p->mult = 2;
    p->cap = 10 * RG_S;
    p->legacy_retries = 2;
}

static int kv_load(rg_scn *s, const char *sec, void **cfg, rg_err *e)
{
    kvcfg *c = rg_xcalloc(1, sizeof *c);
    *cfg = c;
    rg_bo_policy def;
    seed_loop(&def);
    /* The story: Math.random() * 50 ms before the loop ("random jitter to
     * spread requests"); named `spread` so as not to clash with the
     * backoff's `jitter` kind in a variant section. */
    if (mp_dist(s, sec, "batch", "spread", "uniform(0, 50ms)", RG_QTY_DURATION, &c->spread, e) <
            0 ||
        rg_bo_load(s, sec, "backoff", &def, &c->pol, e) < 0 ||
        rg_kv_load(s, sec, "kv", &c->kv, e) < 0)
        return -1;
    return 0;
}

static void kv_cfg_free(void *cfg)
{
    kvcfg *c = cfg;
    if (c == NULL)
        return;
    rg_dist_free(c->spread);
    rg_kv_cfg_free(&c->kv);
    free(c);
}

/* ---- the story's handlers ---- */

/* "[1 2 5]": a file set, 1-based as a user counts files. */
static const char *files_str(uint64_t m, char *buf, size_t n)
{
    size_t at = 0;
    at += (size_t)snprintf(buf + at, n - at, "[");
    for (int k = 0; k < MAX_FILES && at < n; k++)
        if (m & (UINT64_C(1) << k))
            at += (size_t)snprintf(buf + at, n - at, "%s%d", at > 1 ? " " : "", k + 1);
    if (at < n)
        snprintf(buf + at, n - at, "]");
    return buf;
}

static kvstore *store_of(const breq *q)
{
    return q->run->store;
}

/* The update record of start/complete-file q. */
static kvreq *req_of(const breq *q)
{
    return &store_of(q)->req[q - q->run->q];
}

/* Keeps snapshot s; returns its index, the value the KV stores. */
static int64_t snap_push(kvstore *st, bsnap s)
{
    rg_xgrow((void **)&st->snap, &st->capsnap, st->nsnap + 1, sizeof *st->snap);
    st->snap[st->nsnap] = s;
    return (int64_t)st->nsnap++;
}

/* The version the store's last writer holds, for trace lines. */
static int64_t latest_version(const kvstore *st)
{
    int64_t v;
    return rg_kv_latest(st->kv, 0, &v, NULL) ? st->snap[v].version : 0;
}

static void on_kv_init_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    rg_batch_trace(r, "init-batch: put state v1 %s",
                   res->status == RG_KV_OK ? "accepted" : "rejected (429)");
    rg_batch_reply(r, q, res->status == RG_KV_OK ? A_OK : A_ERROR);
}

static void on_upd_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    if (res->status == RG_KV_RATE_LIMITED) {
        char l[48];
        rg_batch_trace(q->run, "%s: put rejected: 429 (the key's write rate is spent)",
                       rg_batch_qlabel(q, l, sizeof l));
    }
    rg_bo_op_result(req_of(q)->op, res->status == RG_KV_RATE_LIMITED ? RG_BO_OVERLOADED : RG_BO_OK);
}

static void on_upd_read(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    kvstore *st = r->store;
    kvreq *u = req_of(q);
    char l[48], a[200], b[200];
    rg_batch_qlabel(q, l, sizeof l);
    if (res->status == RG_KV_NOT_FOUND) {
        /* loadBatchStateWithVersion throws; the loop's catch retries. */
        rg_batch_trace(r, "%s: read: batch not found (%s%s)", l,
                       res->cached ? "cached negative lookup" : "not yet visible centrally",
                       res->stale ? ", stale" : "");
        rg_bo_op_result(u->op, RG_BO_TRANSIENT);
        return;
    }
    bsnap s = st->snap[res->value], n = s;
    uint64_t bit = UINT64_C(1) << q->file;
    n.version = s.version + 1;
    if (q->kind == Q_START)
        n.added |= bit;
    else if (s.added & bit)
        n.complete |= bit;
    else
        u->not_found = true;
    if (res->stale)
        rg_batch_trace(
            r,
            "%s: read v%lld files %s complete %s (%s, STALE: the store's last writer has "
            "v%lld)",
            l, (long long)s.version, files_str(s.added, a, sizeof a),
            files_str(s.complete & s.added, b, sizeof b), res->cached ? "cache" : "central",
            (long long)latest_version(st));
    else
        rg_batch_trace(r, "%s: read v%lld files %s complete %s (%s)", l, (long long)s.version,
                       files_str(s.added, a, sizeof a),
                       files_str(s.complete & s.added, b, sizeof b),
                       res->cached ? "cache" : "central");
    if (u->not_found)
        rg_batch_trace(
            r,
            "%s: file %d not in the state read: updateFn answers 'file not found in batch' "
            "(the state is put back anyway)",
            l, q->file + 1);
    rg_batch_trace(r, "%s: put v%lld files %s complete %s (unconditional)", l, (long long)n.version,
                   files_str(n.added, a, sizeof a), files_str(n.complete & n.added, b, sizeof b));
    r->attempts++;
    /* The story's code puts the (modified) state it read, whatever updateFn said. */
    rg_kv_put(st->kv, q->loc, 0, snap_push(st, n), on_upd_put, q, 0);
}

static void upd_attempt(rg_bo_op *op, void *ctx, int64_t n)
{
    (void)op;
    (void)n;
    breq *q = ctx;
    req_of(q)->not_found = false;
    rg_kv_get(store_of(q)->kv, q->loc, 0, on_upd_read, q, 0);
}

static void on_upd_done(rg_bo_op *op, void *ctx, rg_bo_out out)
{
    breq *q = ctx;
    brun *r = q->run;
    char l[48];
    rg_bo_tally_add(&r->tally, op);
    if (out == RG_BO_SILENT)
        rg_batch_trace(r,
                       "%s: the loop fell off its end: the handler answers OK, the update is lost",
                       rg_batch_qlabel(q, l, sizeof l));
    answer a = out == RG_BO_LANDED   ? (req_of(q)->not_found ? A_NOT_FOUND : A_OK)
               : out == RG_BO_SILENT ? A_OK
                                     : A_ERROR;
    rg_batch_reply(r, q, a);
}

static void on_upd_begin(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    rg_bo_op_start(req_of(q)->op);
}

static void on_fin_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    rg_batch_trace(r, "finalize: put status enqueued %s",
                   res->status == RG_KV_OK ? "accepted" : "rejected (429)");
    rg_batch_reply(r, q, res->status == RG_KV_OK ? A_OK : A_ERROR);
}

static void on_fin_read(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    kvstore *st = r->store;
    char a[200], b[200];
    r->finalized = true;
    if (res->status == RG_KV_NOT_FOUND) {
        rg_batch_trace(r, "finalize: batch not found");
        rg_batch_reply(r, q, A_ERROR);
        return;
    }
    bsnap s = st->snap[res->value];
    r->fin_tracked = rg_batch_popcount(s.added);
    r->fin_complete = rg_batch_popcount(s.added & s.complete);
    rg_batch_trace(r, "finalize: read v%lld files %s complete %s%s: %d of %zu files tracked",
                   (long long)s.version, files_str(s.added, a, sizeof a),
                   files_str(s.complete & s.added, b, sizeof b), res->stale ? " (STALE)" : "",
                   r->fin_tracked, r->F);
    s.version++;
    s.enqueued = true;
    r->attempts++;
    rg_kv_put(st->kv, q->loc, 0, snap_push(st, s), on_fin_put, q, 0);
}

static void on_kv_handler(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    brun *r = q->run;
    kvstore *st = r->store;
    switch (q->kind) {
    case Q_INIT: {
        bsnap s = {1, 0, 0, false};
        r->attempts++;
        rg_kv_put(st->kv, q->loc, 0, snap_push(st, s), on_kv_init_put, q, 0);
        break;
    }
    case Q_START:
    case Q_COMPLETE: RG_ENGINE_ASSERT(r->e, !"updates start through on_upd_begin"); break;
    case Q_FINALIZE: rg_kv_get(st->kv, q->loc, 0, on_fin_read, q, 0); break;
    }
}

/* ---- the kind ---- */

static void *kv_build(brun *r)
{
    const kvcfg *c = r->v->kcfg;
    kvstore *st = rg_xcalloc(1, sizeof *st);
    st->kv = rg_kv_new(r->e, &c->kv.p, (size_t)r->c->locations, 1);
    st->nreq = r->nq;
    st->req = rg_xcalloc(st->nreq, sizeof *st->req);
    for (size_t i = 1; i <= 2 * r->F; i++) {
        breq *q = &r->q[i];
        st->req[i].op = rg_bo_op_new(r->e, &c->pol, r->jit, upd_attempt, on_upd_done, q);
        if (r->trace) {
            char l[48];
            rg_bo_op_trace(st->req[i].op, r->trace, rg_batch_qlabel(q, l, sizeof l));
        }
    }
    return st;
}

static void kv_request(void *store, breq *q, rg_time d)
{
    (void)store;
    brun *r = q->run;
    const kvcfg *c = r->v->kcfg;
    if (q->kind == Q_START || q->kind == Q_COMPLETE) {
        /* the story's "random jitter to spread requests", before the loop */
        rg_time j = rg_dist_sample_time(c->spread, r->jit);
        char l[48];
        rg_batch_trace(r, "%s: at the worker, waits %.1f ms (random spread)",
                       rg_batch_qlabel(q, l, sizeof l), rg_time_ms(j));
        rg_after(r->e, d + j, RG_PRIO_DEFAULT, on_upd_begin, q, 0);
        return;
    }
    rg_after(r->e, d, RG_PRIO_DEFAULT, on_kv_handler, q, 0);
}

static void kv_counts(const void *store, int64_t *stale, int64_t *rate_limited)
{
    const rg_kv_stats *ks = rg_kv_stats_get(((const kvstore *)store)->kv);
    *stale = (int64_t)ks->stale_reads;
    *rate_limited = (int64_t)ks->rate_limited;
}

/* Story 003 measured the legacy loop: 20 % at --parallel 5, 80-100 %
 * serial. */
static void kv_describe(const void *cfg, int64_t parallel, const char **policy, const char **seed)
{
    const kvcfg *c = cfg;
    *policy = rg_bo_mode_name(c->pol.mode);
    *seed = "-";
    if (c->pol.mode == RG_BO_LEGACY && parallel == 1)
        *seed = "80-100 %";
    else if (c->pol.mode == RG_BO_LEGACY && parallel == 5)
        *seed = "20 %";
}

static void kv_free(void *store)
{
    kvstore *st = store;
    if (st == NULL)
        return;
    for (size_t i = 0; i < st->nreq; i++)
        rg_bo_op_free(st->req[i].op);
    rg_kv_free(st->kv);
    free(st->snap);
    free(st->req);
    free(st);
}

const rg_batch_kind rg_batch_kind_kv = {
    .name = "kv",
    .load = kv_load,
    .cfg_free = kv_cfg_free,
    .build = kv_build,
    .request = kv_request,
    .counts = kv_counts,
    .describe = kv_describe,
    .free = kv_free,
};
