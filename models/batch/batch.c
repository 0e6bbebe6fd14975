/*
 * batch.c: batch-upload state: configuration, the client, the handlers of
 * each store, and the checker (see batch.h).
 *
 * Requests of one replication live in one array: [0] init-batch, [1 + k]
 * start-file k, [1 + F + k] complete-file k, [1 + 2F] finalize.  The client
 * keeps at most P requests of the current phase in flight and moves to the
 * next phase when every request of this one has answered.
 *
 * KV state is a chain of immutable snapshots (version, files listed, files
 * complete) kept by the run; the KV stores a snapshot's index, as the seed
 * stored a JSON blob, so a put overwrites the whole state.
 */
#include "models/batch/batch.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models/mech/edge.h"
#include "models/stores/kv.h"
#include "models/mech/mparam.h"
#include "models/stores/object.h"
#include "models/mech/places.h"
#include "models/registry.h"
#include "sim/engine/stats.h"

typedef enum { B_KV, B_OBJECT } bstore;
static const char *const store_names[] = {"kv", "object", NULL};

typedef struct bvariant {
    char *name;
    bstore store;
    int64_t parallel;
    rg_edge edge;
    /* kv */
    rg_dist *spread; /* the seed's random wait before an update */
    rg_bo_policy pol;
    rg_kv_cfg kv;
    rg_object_cfg obj;
} bvariant;

typedef struct bcfg {
    rg_places *pl;
    int64_t files, locations;
    rg_dist *upload;
    rg_time horizon;
    bvariant *var;
    size_t nvar;
} bcfg;

#define MAX_FILES 64 /* the file sets are 64-bit masks */

/* ---- configuration ------------------------------------------------------ */

static void variant_free(bvariant *v)
{
    free(v->name);
    rg_edge_free(&v->edge);
    rg_dist_free(v->spread);
    rg_kv_cfg_free(&v->kv);
    rg_object_cfg_free(&v->obj);
}

static void bcfg_free(void *p)
{
    bcfg *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nvar; i++)
        variant_free(&c->var[i]);
    free(c->var);
    rg_dist_free(c->upload);
    rg_places_free(c->pl);
    free(c);
}

/* The seed's updateBatchState loop: maxRetries = 3 attempts, waits of
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

/* An mp_variant_fn (no context). */
static int load_variant(rg_scn *s, const char *sec, void *var, void *ctx, rg_err *e)
{
    bvariant *v = var;
    int st;
    (void)ctx;
    v->name = rg_xstrdup(sec + strlen("variant."));
    if (mp_enum(s, sec, "batch", "store", "kv", store_names, &st, e) < 0 ||
        mp_int(s, sec, "batch", "parallel", "5", 1, MAX_FILES, &v->parallel, e) < 0 ||
        rg_edge_load(s, sec, &v->edge, e) < 0)
        return -1;
    v->store = (bstore)st;
    if (v->store == B_KV) {
        rg_bo_policy def;
        seed_loop(&def);
        /* The seed: Math.random() * 50 ms before the loop ("random jitter
         * to spread requests"); named `spread` so as not to clash with the
         * backoff's `jitter` kind in a variant section. */
        if (mp_dist(s, sec, "batch", "spread", "uniform(0, 50ms)", RG_QTY_DURATION, &v->spread, e) <
                0 ||
            rg_bo_load(s, sec, "backoff", &def, &v->pol, e) < 0 ||
            rg_kv_load(s, sec, "kv", &v->kv, e) < 0)
            return -1;
        return 0;
    }
    /* A batch's object is new: init-batch creates it, which costs a
     * constructor run like a wake-up (assumption), hence "hibernated". */
    return rg_object_load(s, sec, "object", "hibernated", &v->obj, e);
}

static int bload(rg_scn *s, void **out, rg_err *e)
{
    bcfg *c = rg_xcalloc(1, sizeof *c);
    c->pl = rg_places_load(s, e);
    if (c->pl == NULL)
        goto fail;
    if (c->pl->loss > 0) {
        rg_scn_err(s, "network", "loss", e,
                   "the batch model does not lose messages (its client has no timeout): use 0");
        goto fail;
    }
    /* The seed's test: 5 files of 1 KB.  Uploading 1 KB of parts to object
     * storage between start and complete: an assumption of tens of ms.
     * One location: a CLI on one machine reaches one PoP (assumption). */
    if (rg_scn_int(s, "batch", "files", "5", 1, MAX_FILES, &c->files, e) < 0 ||
        rg_scn_dist(s, "batch", "upload", "lognormal(median=40ms, p99=200ms)", RG_QTY_DURATION,
                    &c->upload, e) < 0 ||
        rg_scn_int(s, "batch", "locations", "1", 1, 1024, &c->locations, e) < 0 ||
        rg_scn_dur(s, "batch", "horizon", "10min", &c->horizon, e) < 0)
        goto fail;
    if (c->horizon <= 0) {
        rg_scn_err(s, "batch", "horizon", e, "must be > 0");
        goto fail;
    }
    void *var = NULL;
    int rc = mp_variants(s, sizeof *c->var, load_variant, NULL,
                         "a batch experiment compares at least one store (store = kv or object)",
                         &var, &c->nvar, e);
    c->var = var;
    if (rc < 0)
        goto fail;
    rg_scn_declare(s, "batch");
    rg_scn_declare(s, "backoff");
    rg_scn_declare(s, "kv");
    rg_scn_declare(s, "object");
    rg_scn_declare(s, "edge");
    *out = c;
    return 0;
fail:
    bcfg_free(c);
    return -1;
}

static size_t bnvar(const void *p)
{
    return ((const bcfg *)p)->nvar;
}
static const char *bvarname(const void *p, size_t v)
{
    return ((const bcfg *)p)->var[v].name;
}

enum {
    M_SUCCESS,
    M_TRACKED,
    M_LOST,
    M_INCOMPLETE,
    M_NOT_FOUND,
    M_ERRORS,
    M_ATTEMPTS,
    M_LANDED,
    M_PERMANENT,
    M_LOUD,
    M_SILENT,
    M_STALE,
    M_RATE_LIMITED,
    M_BATCH_TIME,
    M_FILES,
    M_EVENTS,
    M_SIM_END,
    M_COUNT
};

static const rg_metric bmetrics[M_COUNT] = {
    [M_SUCCESS] = {"success", RG_MF_INT, "1",
                   "batch succeeded: finalize found every file complete, no error (1/0)",
                   RG_MF_SHOW | RG_MF_PROB},
    [M_TRACKED] = {"files_tracked", RG_MF_INT, "files", "files finalize found in the batch",
                   RG_MF_SHOW},
    [M_LOST] = {"lost_files", RG_MF_INT, "files",
                "files missing from the batch at finalize (uploaded, not listed)",
                RG_MF_SHOW | RG_MF_MAX},
    [M_INCOMPLETE] = {"incomplete", RG_MF_INT, "files",
                      "files listed at finalize but not marked complete", RG_MF_SHOW},
    [M_NOT_FOUND] = {"not_found", RG_MF_INT, "requests",
                     "'file not found in batch' errors from complete-file", RG_MF_SHOW},
    [M_ERRORS] = {"errors", RG_MF_INT, "requests", "every error answer the client saw", 0},
    [M_ATTEMPTS] = {"attempts", RG_MF_INT, "writes",
                    "write attempts sent to the store (KV puts, object writes)", RG_MF_SHOW},
    [M_LANDED] = {"landed", RG_MF_INT, "updates", "start/complete-file updates that landed", 0},
    [M_PERMANENT] = {"permanent", RG_MF_INT, "updates", "updates rejected permanently", 0},
    [M_LOUD] = {"loud", RG_MF_INT, "updates", "updates that failed with an error the client saw",
                0},
    [M_SILENT] = {"silent", RG_MF_INT, "updates",
                  "updates dropped silently (the retry loop gave up; client heard OK)", RG_MF_SHOW},
    [M_STALE] = {"stale_reads", RG_MF_INT, "reads", "KV reads older than the latest accepted put",
                 RG_MF_SHOW},
    [M_RATE_LIMITED] = {"rate_limited", RG_MF_INT, "puts", "KV puts rejected with 429", 0},
    [M_BATCH_TIME] = {"batch_time", RG_MF_REAL, "s",
                      "batch time: init-batch sent to finalize answered", RG_MF_SHOW | RG_MF_MS},
    [M_FILES] = {"files", RG_MF_INT, "files", "files in the batch", 0},
    [M_EVENTS] = RG_METRIC_EVENTS,
    [M_SIM_END] = RG_METRIC_SIM_END("simulated time at the end of the replication"),
};

static const rg_metric *bmet(const void *p, size_t *n)
{
    (void)p;
    *n = M_COUNT;
    return bmetrics;
}

/* ---- one replication ------------------------------------------------------ */

typedef enum { Q_INIT, Q_START, Q_COMPLETE, Q_FINALIZE } qkind;
static const char *const qnames[] = {"init-batch", "start-file", "complete-file", "finalize"};

/* What the client is answered. */
typedef enum { A_OK, A_NOT_FOUND, A_ERROR } answer;

typedef struct brun brun;

/* The object's operations (the seed's handlers). */
typedef enum { O_INIT, O_ADD, O_COMPLETE, O_GET, O_STATUS } objop;

/* One call to the object: its arguments and, for O_GET, its result.  A
 * request has at most one call in flight, so the call lives in the
 * request's record and the object's uint64_t argument is only the
 * request's index. */
typedef struct objcall {
    objop op;
    int file;              /* O_ADD, O_COMPLETE: 0-based */
    int tracked, complete; /* O_GET: files listed, and of those complete */
} objcall;

typedef struct breq {
    brun *run;
    qkind kind;
    int file;   /* 0-based; -1 for init and finalize */
    size_t loc; /* the PoP (KV location) the request lands on */
    rg_time sent;
    rg_bo_op *op;   /* kv start/complete: the update under the policy */
    bool not_found; /* complete-file: the state read did not list the file */
    int step;       /* finalize: 0 read, 1 write */
    objcall call;   /* object: the call in flight */
} breq;

typedef struct bsnap {
    int64_t version;
    uint64_t added, complete;
    bool enqueued;
} bsnap;

typedef struct objstate {
    uint64_t added, complete;
    bool enqueued;
    breq *q; /* the requests, whose records hold the calls */
} objstate;

struct brun {
    rg_engine *e;
    const bcfg *c;
    const bvariant *v;
    FILE *trace;
    rg_repout *out;
    gsl_rng *net, *jit, *svc, *wl;
    size_t F;
    breq *q;
    rg_time *upload;
    int phase; /* 0 init, 1 start-file, 2 complete-file, 3 finalize */
    size_t next, ndone, inflight;
    /* kv */
    rg_kv *kv;
    bsnap *snap;
    size_t nsnap, capsnap;
    /* object */
    rg_object *obj;
    objstate ost;
    /* what happened */
    int64_t not_found, errors, attempts;
    rg_bo_tally tally;
    bool finalized;
    int fin_tracked, fin_complete;
    rg_time finished;
};

static int popcount64(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static void tr(brun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr(brun *r, const char *fmt, ...)
{
    if (r->trace == NULL)
        return;
    va_list ap;
    fprintf(r->trace, "%10.3f ms  ", rg_time_ms(rg_now(r->e)));
    va_start(ap, fmt);
    vfprintf(r->trace, fmt, ap);
    va_end(ap);
    fputc('\n', r->trace);
}

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

static const char *qlabel(const breq *q, char *buf, size_t n)
{
    if (q->file >= 0)
        snprintf(buf, n, "%s %d", qnames[q->kind], q->file + 1);
    else
        snprintf(buf, n, "%s", qnames[q->kind]);
    return buf;
}

/* -- the client -- */

static void on_at_pop(rg_engine *e, void *ctx, uint64_t arg);

static void send_req(brun *r, breq *q)
{
    char l[48];
    q->sent = rg_now(r->e);
    tr(r, "client: %s sent (PoP %zu)", qlabel(q, l, sizeof l), q->loc);
    rg_after(r->e, rg_places_client(r->c->pl, r->net), RG_PRIO_DEFAULT, on_at_pop, q, 0);
}

static void on_uploaded(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    tr(q->run, "client: file %d uploaded", q->file + 1);
    send_req(q->run, q);
}

/* Fills the phase's P slots. */
static void launch(brun *r)
{
    while (r->inflight < (size_t)r->v->parallel && r->next < r->F) {
        size_t k = r->next++;
        r->inflight++;
        if (r->phase == 1)
            send_req(r, &r->q[1 + k]);
        else
            /* the file's bytes go to object storage, then complete-file */
            rg_after(r->e, r->upload[k], RG_PRIO_DEFAULT, on_uploaded, &r->q[1 + r->F + k], 0);
    }
}

static void next_phase(brun *r)
{
    r->phase++;
    r->next = r->ndone = r->inflight = 0;
    if (r->phase <= 2)
        launch(r);
    else
        send_req(r, &r->q[1 + 2 * r->F]);
}

static void on_client_answer(rg_engine *e, void *ctx, uint64_t arg)
{
    breq *q = ctx;
    brun *r = q->run;
    answer a = (answer)arg;
    char l[48];
    rg_repout_latency(r->out, rg_time_sec(rg_now(e) - q->sent));
    tr(r, "client: %s answered %s (%.1f ms)", qlabel(q, l, sizeof l),
       a == A_OK          ? "OK"
       : a == A_NOT_FOUND ? "ERROR: file not found in batch"
                          : "ERROR",
       rg_time_ms(rg_now(e) - q->sent));
    r->errors += a != A_OK;
    r->not_found += a == A_NOT_FOUND;
    switch (q->kind) {
    case Q_INIT: next_phase(r); break;
    case Q_START:
    case Q_COMPLETE:
        r->inflight--;
        if (++r->ndone == r->F)
            next_phase(r);
        else
            launch(r);
        break;
    case Q_FINALIZE: r->finished = rg_now(e); break;
    }
}

static void reply(brun *r, breq *q, answer a)
{
    rg_after(r->e, rg_places_client(r->c->pl, r->net), RG_PRIO_DEFAULT, on_client_answer, q,
             (uint64_t)a);
}

/* -- kv: the seed's handlers -- */

static int64_t snap_push(brun *r, bsnap s)
{
    rg_xgrow((void **)&r->snap, &r->capsnap, r->nsnap + 1, sizeof *r->snap);
    r->snap[r->nsnap] = s;
    return (int64_t)r->nsnap++;
}

/* The version the store's last writer holds, for trace lines. */
static int64_t latest_version(const brun *r)
{
    int64_t v;
    return rg_kv_latest(r->kv, 0, &v, NULL) ? r->snap[v].version : 0;
}

static void on_kv_init_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    tr(r, "init-batch: put state v1 %s", res->status == RG_KV_OK ? "accepted" : "rejected (429)");
    reply(r, q, res->status == RG_KV_OK ? A_OK : A_ERROR);
}

static void on_upd_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    if (res->status == RG_KV_RATE_LIMITED) {
        char l[48];
        tr(q->run, "%s: put rejected: 429 (the key's write rate is spent)", qlabel(q, l, sizeof l));
    }
    rg_bo_op_result(q->op, res->status == RG_KV_RATE_LIMITED ? RG_BO_OVERLOADED : RG_BO_OK);
}

static void on_upd_read(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    char l[48], a[200], b[200];
    qlabel(q, l, sizeof l);
    if (res->status == RG_KV_NOT_FOUND) {
        /* loadBatchStateWithVersion throws; the loop's catch retries. */
        tr(r, "%s: read: batch not found (%s%s)", l,
           res->cached ? "cached negative lookup" : "not yet visible centrally",
           res->stale ? ", stale" : "");
        rg_bo_op_result(q->op, RG_BO_TRANSIENT);
        return;
    }
    bsnap s = r->snap[res->value], n = s;
    uint64_t bit = UINT64_C(1) << q->file;
    n.version = s.version + 1;
    if (q->kind == Q_START)
        n.added |= bit;
    else if (s.added & bit)
        n.complete |= bit;
    else
        q->not_found = true;
    if (res->stale)
        tr(r,
           "%s: read v%lld files %s complete %s (%s, STALE: the store's last writer has "
           "v%lld)",
           l, (long long)s.version, files_str(s.added, a, sizeof a),
           files_str(s.complete & s.added, b, sizeof b), res->cached ? "cache" : "central",
           (long long)latest_version(r));
    else
        tr(r, "%s: read v%lld files %s complete %s (%s)", l, (long long)s.version,
           files_str(s.added, a, sizeof a), files_str(s.complete & s.added, b, sizeof b),
           res->cached ? "cache" : "central");
    if (q->not_found)
        tr(r,
           "%s: file %d not in the state read: updateFn answers 'file not found in batch' "
           "(the state is put back anyway)",
           l, q->file + 1);
    tr(r, "%s: put v%lld files %s complete %s (unconditional)", l, (long long)n.version,
       files_str(n.added, a, sizeof a), files_str(n.complete & n.added, b, sizeof b));
    r->attempts++;
    /* The seed puts the (modified) state it read, whatever updateFn said. */
    rg_kv_put(r->kv, q->loc, 0, snap_push(r, n), on_upd_put, q, 0);
}

static void upd_attempt(rg_bo_op *op, void *ctx, int64_t n)
{
    (void)op;
    (void)n;
    breq *q = ctx;
    q->not_found = false;
    rg_kv_get(q->run->kv, q->loc, 0, on_upd_read, q, 0);
}

static void on_upd_done(rg_bo_op *op, void *ctx, rg_bo_out out)
{
    breq *q = ctx;
    brun *r = q->run;
    char l[48];
    rg_bo_tally_add(&r->tally, op);
    if (out == RG_BO_SILENT)
        tr(r, "%s: the loop fell off its end: the handler answers OK, the update is lost",
           qlabel(q, l, sizeof l));
    answer a = out == RG_BO_LANDED   ? (q->not_found ? A_NOT_FOUND : A_OK)
               : out == RG_BO_SILENT ? A_OK
                                     : A_ERROR;
    reply(r, q, a);
}

static void on_upd_begin(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    rg_bo_op_start(q->op);
}

static void on_fin_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    tr(r, "finalize: put status enqueued %s",
       res->status == RG_KV_OK ? "accepted" : "rejected (429)");
    reply(r, q, res->status == RG_KV_OK ? A_OK : A_ERROR);
}

static void on_fin_read(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    char a[200], b[200];
    r->finalized = true;
    if (res->status == RG_KV_NOT_FOUND) {
        tr(r, "finalize: batch not found");
        reply(r, q, A_ERROR);
        return;
    }
    bsnap s = r->snap[res->value];
    r->fin_tracked = popcount64(s.added);
    r->fin_complete = popcount64(s.added & s.complete);
    tr(r, "finalize: read v%lld files %s complete %s%s: %d of %zu files tracked",
       (long long)s.version, files_str(s.added, a, sizeof a),
       files_str(s.complete & s.added, b, sizeof b), res->stale ? " (STALE)" : "", r->fin_tracked,
       r->F);
    s.version++;
    s.enqueued = true;
    r->attempts++;
    rg_kv_put(r->kv, q->loc, 0, snap_push(r, s), on_fin_put, q, 0);
}

static void on_kv_handler(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    brun *r = q->run;
    switch (q->kind) {
    case Q_INIT: {
        bsnap s = {1, 0, 0, false};
        r->attempts++;
        rg_kv_put(r->kv, q->loc, 0, snap_push(r, s), on_kv_init_put, q, 0);
        break;
    }
    case Q_START:
    case Q_COMPLETE: RG_ENGINE_ASSERT(r->e, !"updates start through on_upd_begin"); break;
    case Q_FINALIZE: rg_kv_get(r->kv, q->loc, 0, on_fin_read, q, 0); break;
    }
}

/* -- object: the atomic handlers -- */

/* The application: arg is the calling request's index.  Answers 1, or 0
 * for a file not in the batch; O_GET's counts go in the call's record. */
static int obj_handler(void *state, uint64_t arg, bool *wrote)
{
    objstate *s = state;
    objcall *call = &s->q[arg].call;
    uint64_t bit = UINT64_C(1) << call->file;
    switch (call->op) {
    case O_INIT: s->added = s->complete = 0; break;
    case O_ADD: s->added |= bit; break;
    case O_COMPLETE:
        if (!(s->added & bit))
            return 0;
        s->complete |= bit;
        break;
    case O_GET:
        call->tracked = popcount64(s->added);
        call->complete = popcount64(s->added & s->complete);
        return 1;
    case O_STATUS: s->enqueued = true; break;
    }
    *wrote = true;
    return 1;
}

static void obj_send(brun *r, breq *q, rg_time d);

static void on_obj_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    breq *q = ctx;
    reply(q->run, q, (answer)arg);
}

static void on_obj_reply(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    char l[48];
    rg_time hop = rg_places_hop(r->c->pl, 0, 0, r->net);
    answer a = A_OK;
    if (overloaded) {
        tr(r, "%s: object overloaded", qlabel(q, l, sizeof l));
        a = A_ERROR;
    } else if (q->kind == Q_FINALIZE && q->step == 0) {
        r->finalized = true;
        r->fin_tracked = q->call.tracked;
        r->fin_complete = q->call.complete;
        tr(r, "finalize: object state lists %d of %zu files, %d complete", r->fin_tracked, r->F,
           r->fin_complete);
        q->step = 1;
        /* back to the worker, which then calls updateStatus */
        obj_send(r, q, hop);
        return;
    } else if (q->kind == Q_COMPLETE && code == 0) {
        a = A_NOT_FOUND;
    }
    if (q->kind == Q_START || q->kind == Q_COMPLETE) {
        /* one atomic call: landed, or the client is told of the error */
        r->tally.writes++;
        r->tally.attempts++;
        r->tally.landed += !overloaded;
        r->tally.loud += overloaded;
        r->tally.overloaded += overloaded;
    }
    rg_after(r->e, hop, RG_PRIO_DEFAULT, on_obj_back, q, (uint64_t)a);
}

static void on_obj_call(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    brun *r = q->run;
    if (q->call.op != O_GET)
        r->attempts++;
    rg_object_call(r->obj, (uint64_t)(q - r->q), on_obj_reply, q, 0);
}

/* Sends q's next call from the worker to the object, d from now. */
static void obj_send(brun *r, breq *q, rg_time d)
{
    objop op = q->kind == Q_INIT       ? O_INIT
               : q->kind == Q_START    ? O_ADD
               : q->kind == Q_COMPLETE ? O_COMPLETE
               : q->step == 0          ? O_GET
                                       : O_STATUS;
    q->call = (objcall){.op = op, .file = q->file >= 0 ? q->file : 0};
    d += rg_places_hop(r->c->pl, 0, 0, r->net);
    rg_after(r->e, d, RG_PRIO_DEFAULT, on_obj_call, q, 0);
}

/* -- the edge worker -- */

static void on_at_pop(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    brun *r = q->run;
    bool cold;
    rg_time d = rg_edge_delay(&r->v->edge, r->svc, &cold);
    if (r->v->store == B_OBJECT) {
        obj_send(r, q, d);
        return;
    }
    if (q->kind == Q_START || q->kind == Q_COMPLETE) {
        /* the seed's "random jitter to spread requests", before the loop */
        rg_time j = rg_dist_sample_time(r->v->spread, r->jit);
        char l[48];
        tr(r, "%s: at the worker, waits %.1f ms (random spread)", qlabel(q, l, sizeof l),
           rg_time_ms(j));
        rg_after(r->e, d + j, RG_PRIO_DEFAULT, on_upd_begin, q, 0);
        return;
    }
    rg_after(r->e, d, RG_PRIO_DEFAULT, on_kv_handler, q, 0);
}

/* ---- the run and the checker ---------------------------------------------- */

void rg_batch_run_detail(const void *cfg, size_t vi, uint64_t seed, uint64_t rep, rg_repout *out,
                         FILE *trace, rg_batch_result *res)
{
    const bcfg *c = cfg;
    brun r = {0};
    r.c = c;
    r.v = &c->var[vi];
    r.e = rg_engine_new(seed, rep, out->rng_type);
    r.trace = trace;
    r.out = out;
    r.net = rg_engine_stream(r.e, "network");
    r.jit = rg_engine_stream(r.e, "jitter");
    r.svc = rg_engine_stream(r.e, "service");
    r.wl = rg_engine_stream(r.e, "workload");
    r.F = (size_t)c->files;
    size_t nq = 2 * r.F + 2;
    r.q = rg_xcalloc(nq, sizeof *r.q);
    r.upload = rg_xcalloc(r.F, sizeof *r.upload);
    /* The workload first, from its own stream: every variant of a
     * replication uploads the same files at the same speeds through the
     * same PoPs (common random numbers). */
    for (size_t k = 0; k < r.F; k++)
        r.upload[k] = rg_dist_sample_time(c->upload, r.wl);
    for (size_t i = 0; i < nq; i++) {
        breq *q = &r.q[i];
        q->run = &r;
        q->kind = i == 0 ? Q_INIT : i <= r.F ? Q_START : i <= 2 * r.F ? Q_COMPLETE : Q_FINALIZE;
        q->file = q->kind == Q_START      ? (int)(i - 1)
                  : q->kind == Q_COMPLETE ? (int)(i - 1 - r.F)
                                          : -1;
        q->loc = c->locations > 1 ? gsl_rng_uniform_int(r.wl, (unsigned long)c->locations) : 0;
    }
    if (r.v->store == B_KV) {
        r.kv = rg_kv_new(r.e, &r.v->kv.p, (size_t)c->locations, 1);
        for (size_t i = 1; i <= 2 * r.F; i++) {
            breq *q = &r.q[i];
            q->op = rg_bo_op_new(r.e, &r.v->pol, r.jit, upd_attempt, on_upd_done, q);
            if (trace) {
                char l[48];
                rg_bo_op_trace(q->op, trace, qlabel(q, l, sizeof l));
            }
        }
    } else {
        r.ost.q = r.q;
        r.obj = rg_object_new(r.e, &r.v->obj.p, obj_handler, &r.ost);
    }
    send_req(&r, &r.q[0]);
    if (rg_engine_run(r.e, c->horizon, out->max_events) == RG_RUN_BUDGET)
        snprintf(out->error, sizeof out->error,
                 "stopped after the event budget of %llu events ([scenario] max_events) at "
                 "%.3f s",
                 (unsigned long long)out->max_events, rg_time_sec(rg_now(r.e)));

    /* ---- the checker: what finalize found and what the client heard ---- */
    int64_t tracked = r.finalized ? r.fin_tracked : 0;
    int64_t complete = r.finalized ? r.fin_complete : 0;
    int64_t lost = (int64_t)r.F - tracked;
    bool success =
        r.finished > 0 && tracked == (int64_t)r.F && complete == (int64_t)r.F && r.errors == 0;
    RG_ENGINE_ASSERT(r.e, tracked + lost == (int64_t)r.F && complete <= tracked);
    const rg_kv_stats *ks = r.kv ? rg_kv_stats_get(r.kv) : NULL;
    rg_mval *row = out->row;
    row[M_SUCCESS].i = success;
    row[M_TRACKED].i = tracked;
    row[M_LOST].i = lost;
    row[M_INCOMPLETE].i = tracked - complete;
    row[M_NOT_FOUND].i = r.not_found;
    row[M_ERRORS].i = r.errors;
    row[M_ATTEMPTS].i = r.attempts;
    row[M_LANDED].i = r.tally.landed;
    row[M_PERMANENT].i = r.tally.rejected;
    row[M_LOUD].i = r.tally.loud;
    row[M_SILENT].i = r.tally.silent;
    row[M_STALE].i = ks ? (int64_t)ks->stale_reads : 0;
    row[M_RATE_LIMITED].i = ks ? (int64_t)ks->rate_limited : 0;
    row[M_BATCH_TIME].d = r.finished > 0 ? rg_time_sec(r.finished) : NAN;
    row[M_FILES].i = (int64_t)r.F;
    row[M_EVENTS].i = (int64_t)rg_engine_events(r.e);
    row[M_SIM_END].d = rg_time_sec(rg_now(r.e));
    out->done = out->error[0] == '\0';
    if (trace) {
        fprintf(trace,
                "\n%s: finalize found %lld of %zu files (%lld complete): %lld lost; "
                "%lld 'file not found in batch'; %lld updates dropped silently; %s\n",
                r.v->name, (long long)tracked, r.F, (long long)complete, (long long)lost,
                (long long)r.not_found, (long long)r.tally.silent,
                success ? "batch SUCCEEDED" : "batch FAILED");
    }
    if (res) {
        res->files = (int64_t)r.F;
        res->tracked = tracked;
        res->complete = complete;
        res->not_found = r.not_found;
        res->errors = r.errors;
        res->stale_reads = row[M_STALE].i;
        res->rate_limited = row[M_RATE_LIMITED].i;
        res->t = r.tally;
        res->success = success;
        res->batch_time = r.finished;
    }
    for (size_t i = 0; i < nq; i++)
        rg_bo_op_free(r.q[i].op);
    rg_kv_free(r.kv);
    rg_object_free(r.obj);
    free(r.snap);
    free(r.q);
    free(r.upload);
    rg_engine_free(r.e);
}

static void brun_task(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                      FILE *trace)
{
    rg_batch_run_detail(cfg, v, seed, rep, out, trace, NULL);
}

/* ---- console extra: success rate beside the seed's measurement ----------- */

/* Wilson score interval for k successes in n trials, 95 %. */
static void wilson(double k, double n, double *lo, double *hi)
{
    const double z = 1.959964;
    double p = k / n, d = 1 + z * z / n;
    double mid = (p + z * z / (2 * n)) / d;
    double half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
    *lo = mid - half < 0 ? 0 : mid - half;
    *hi = mid + half > 1 ? 1 : mid + half;
}

static void bextra(const void *p, const rg_results *r, FILE *f)
{
    const bcfg *c = p;
    size_t n = r->reps_done;
    if (n == 0)
        return;
    fprintf(f, "\nbatch success rate (Wilson 95%% interval) beside what seed 003 measured:\n");
    fprintf(f, "%-18s %-7s %8s %-8s %24s %12s %14s\n", "variant", "store", "parallel", "policy",
            "success", "lost files", "seed measured");
    for (size_t v = 0; v < c->nvar; v++) {
        const bvariant *bv = &c->var[v];
        double k = 0, lost = 0;
        for (uint64_t i = 0; i < n; i++) {
            k += rg_results_value(r, v, i, M_SUCCESS);
            lost += rg_results_value(r, v, i, M_LOST);
        }
        double lo, hi;
        wilson(k, (double)n, &lo, &hi);
        const char *seed = "-";
        if (bv->store == B_OBJECT)
            seed = "100 %";
        else if (bv->pol.mode == RG_BO_LEGACY && bv->parallel == 1)
            seed = "80-100 %";
        else if (bv->pol.mode == RG_BO_LEGACY && bv->parallel == 5)
            seed = "20 %";
        char s[64];
        snprintf(s, sizeof s, "%.1f %% [%.1f, %.1f]", 100 * k / (double)n, 100 * lo, 100 * hi);
        fprintf(f, "%-18s %-7s %8lld %-8s %24s %12.3f %14s\n", bv->name, store_names[bv->store],
                (long long)bv->parallel, bv->store == B_KV ? rg_bo_mode_name(bv->pol.mode) : "-", s,
                lost / (double)n, seed);
    }
}

const rg_model_ops rg_model_batch = {
    .name = "batch",
    .summary = "batch upload state: eventually consistent KV vs. single-threaded object",
    .load = bload,
    .free_cfg = bcfg_free,
    .nvariants = bnvar,
    .variant_name = bvarname,
    .metrics = bmet,
    .run = brun_task,
    .report_extra = bextra,
};
