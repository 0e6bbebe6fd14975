/*
 * batch.c: batch-upload state: configuration, the client, the edge worker
 * and the checker (see batch.h).  The stores are the kinds of batchkind.h,
 * one file each; this file reaches them only through the table `kinds`.
 *
 * The client keeps at most P requests of the current phase in flight and
 * moves to the next phase when every request of this one has answered.
 * Each request lands on an edge worker, which hands it to the variant's
 * store kind; the kind answers it through rg_batch_reply.
 */
#include "models/batch/batch.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models/batch/batchkind.h"
#include "models/mech/mparam.h"
#include "sim/engine/stats.h"

/* The stores a variant can name (store = NAME), one line each. */
static const rg_batch_kind *const kinds[] = {
    &rg_batch_kind_kv,
    &rg_batch_kind_object,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

/* ---- configuration ------------------------------------------------------ */

static void variant_free(bvariant *v)
{
    free(v->name);
    rg_edge_free(&v->edge);
    if (v->kind != NULL)
        v->kind->cfg_free(v->kcfg);
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

/* The names of the table's kinds, NULL-terminated. */
static void kind_names(const char *names[NKINDS + 1])
{
    for (size_t i = 0; i < NKINDS; i++)
        names[i] = kinds[i]->name;
    names[NKINDS] = NULL;
}

/* An mp_variant_fn (no context). */
static int load_variant(rg_scn *s, const char *sec, void *var, void *ctx, rg_err *e)
{
    bvariant *v = var;
    const char *names[NKINDS + 1];
    int st;
    (void)ctx;
    kind_names(names);
    v->name = rg_xstrdup(sec + strlen("variant."));
    if (mp_enum(s, sec, "batch", "store", "kv", names, &st, e) < 0 ||
        mp_int(s, sec, "batch", "parallel", "5", 1, MAX_FILES, &v->parallel, e) < 0 ||
        rg_edge_load(s, sec, &v->edge, e) < 0)
        return -1;
    v->kind = kinds[st];
    return v->kind->load(s, sec, &v->kcfg, e);
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
    /* The story's test: 5 files of 1 KB.  Uploading 1 KB of parts to object
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
    /* "... (store = kv or object)": the stores of the table. */
    rg_buf none = {0};
    const char *names[NKINDS + 1];
    kind_names(names);
    rg_buf_printf(&none, "a batch experiment compares at least one store (store = ");
    rg_buf_or_list(&none, names, NKINDS);
    rg_buf_printf(&none, ")");
    void *var = NULL;
    int rc = mp_variants(s, sizeof *c->var, load_variant, NULL, none.s, &var, &c->nvar, e);
    rg_buf_free(&none);
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

static const char *const qnames[] = {"init-batch", "start-file", "complete-file", "finalize"};

void rg_batch_trace(brun *r, const char *fmt, ...)
{
    if (r->trace == NULL)
        return;
    va_list ap;
    va_start(ap, fmt);
    rg_vtrace(r->e, r->trace, fmt, ap);
    va_end(ap);
    fputc('\n', r->trace);
}

const char *rg_batch_qlabel(const breq *q, char *buf, size_t n)
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
    rg_batch_trace(r, "client: %s sent (PoP %zu)", rg_batch_qlabel(q, l, sizeof l), q->loc);
    rg_after(r->e, rg_places_client(r->c->pl, r->net), RG_PRIO_DEFAULT, on_at_pop, q, 0);
}

static void on_uploaded(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    rg_batch_trace(q->run, "client: file %d uploaded", q->file + 1);
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
    rg_batch_trace(r, "client: %s answered %s (%.1f ms)", rg_batch_qlabel(q, l, sizeof l),
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

void rg_batch_reply(brun *r, breq *q, answer a)
{
    rg_after(r->e, rg_places_client(r->c->pl, r->net), RG_PRIO_DEFAULT, on_client_answer, q,
             (uint64_t)a);
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
    r->v->kind->request(r->store, q, d);
}

/* ---- the run and the checker ---------------------------------------------- */

/* Streams, the workload and the requests of replication r. */
static void setup(brun *r)
{
    const bcfg *c = r->c;
    r->net = rg_engine_stream(r->e, "network");
    r->jit = rg_engine_stream(r->e, "jitter");
    r->svc = rg_engine_stream(r->e, "service");
    r->wl = rg_engine_stream(r->e, "workload");
    r->F = (size_t)c->files;
    r->nq = 2 * r->F + 2;
    r->q = rg_xcalloc(r->nq, sizeof *r->q);
    r->upload = rg_xcalloc(r->F, sizeof *r->upload);
    /* The workload first, from its own stream: every variant of a
     * replication uploads the same files at the same speeds through the
     * same PoPs (common random numbers). */
    for (size_t k = 0; k < r->F; k++)
        r->upload[k] = rg_dist_sample_time(c->upload, r->wl);
    for (size_t i = 0; i < r->nq; i++) {
        breq *q = &r->q[i];
        q->run = r;
        q->kind = i == 0 ? Q_INIT : i <= r->F ? Q_START : i <= 2 * r->F ? Q_COMPLETE : Q_FINALIZE;
        q->file = q->kind == Q_START      ? (int)(i - 1)
                  : q->kind == Q_COMPLETE ? (int)(i - 1 - r->F)
                                          : -1;
        q->loc = c->locations > 1 ? gsl_rng_uniform_int(r->wl, (unsigned long)c->locations) : 0;
    }
}

/* What the checker concludes from a replication. */
typedef struct bverdict {
    int64_t tracked, complete, lost;
    int64_t stale, rate_limited;
    bool success;
} bverdict;

/* The checker: what finalize found and what the client heard. */
static bverdict check(const brun *r)
{
    bverdict k;
    k.tracked = r->finalized ? r->fin_tracked : 0;
    k.complete = r->finalized ? r->fin_complete : 0;
    k.lost = (int64_t)r->F - k.tracked;
    k.success = r->finished > 0 && k.tracked == (int64_t)r->F && k.complete == (int64_t)r->F &&
                r->errors == 0;
    RG_ENGINE_ASSERT(r->e, k.tracked + k.lost == (int64_t)r->F && k.complete <= k.tracked);
    r->v->kind->counts(r->store, &k.stale, &k.rate_limited);
    return k;
}

/* The replication's metrics, but for the run's own (events, end time). */
static void fill_row(const brun *r, const bverdict *k, rg_mval *row)
{
    row[M_SUCCESS].i = k->success;
    row[M_TRACKED].i = k->tracked;
    row[M_LOST].i = k->lost;
    row[M_INCOMPLETE].i = k->tracked - k->complete;
    row[M_NOT_FOUND].i = r->not_found;
    row[M_ERRORS].i = r->errors;
    row[M_ATTEMPTS].i = r->attempts;
    row[M_LANDED].i = r->tally.landed;
    row[M_PERMANENT].i = r->tally.rejected;
    row[M_LOUD].i = r->tally.loud;
    row[M_SILENT].i = r->tally.silent;
    row[M_STALE].i = k->stale;
    row[M_RATE_LIMITED].i = k->rate_limited;
    row[M_BATCH_TIME].d = r->finished > 0 ? rg_time_sec(r->finished) : NAN;
    row[M_FILES].i = (int64_t)r->F;
}

/* The trace's last line and the tests' result (res may be NULL). */
static void tell(const brun *r, const bverdict *k, FILE *trace, rg_batch_result *res)
{
    if (trace) {
        fprintf(trace,
                "\n%s: finalize found %lld of %zu files (%lld complete): %lld lost; "
                "%lld 'file not found in batch'; %lld updates dropped silently; %s\n",
                r->v->name, (long long)k->tracked, r->F, (long long)k->complete, (long long)k->lost,
                (long long)r->not_found, (long long)r->tally.silent,
                k->success ? "batch SUCCEEDED" : "batch FAILED");
    }
    if (res) {
        res->files = (int64_t)r->F;
        res->tracked = k->tracked;
        res->complete = k->complete;
        res->not_found = r->not_found;
        res->errors = r->errors;
        res->stale_reads = k->stale;
        res->rate_limited = k->rate_limited;
        res->t = r->tally;
        res->success = k->success;
        res->batch_time = r->finished;
    }
}

void rg_batch_run_detail(const void *cfg, size_t vi, uint64_t seed, uint64_t rep, rg_repout *out,
                         FILE *trace, rg_batch_result *res)
{
    const bcfg *c = cfg;
    brun r = {0};
    r.c = c;
    r.v = &c->var[vi];
    r.e = rg_rep_begin(out, seed, rep);
    r.trace = trace;
    r.out = out;
    setup(&r);
    r.store = r.v->kind->build(&r);
    send_req(&r, &r.q[0]);
    rg_rep_run(out, r.e, c->horizon);

    bverdict k = check(&r);
    fill_row(&r, &k, rg_repout_row(out));
    tell(&r, &k, trace, res);
    r.v->kind->free(r.store);
    free(r.q);
    free(r.upload);
    rg_rep_end(out, r.e);
}

static void brun_task(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                      FILE *trace)
{
    rg_batch_run_detail(cfg, v, seed, rep, out, trace, NULL);
}

/* ---- console extra: success rate beside the story's measurement ----------- */

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
    fprintf(f, "\nbatch success rate (Wilson 95%% interval) beside what story 003 measured:\n");
    fprintf(f, "%-18s %-7s %8s %-8s %24s %12s %15s\n", "variant", "store", "parallel", "policy",
            "success", "lost files", "story measured");
    for (size_t v = 0; v < c->nvar; v++) {
        const bvariant *bv = &c->var[v];
        int rv = rg_results_variant(r, bv->name); /* --variant may have left it out */
        if (rv < 0)
            continue;
        double k = 0, lost = 0;
        for (uint64_t i = 0; i < n; i++) {
            k += rg_results_value(r, (size_t)rv, i, M_SUCCESS);
            lost += rg_results_value(r, (size_t)rv, i, M_LOST);
        }
        double lo, hi;
        wilson(k, (double)n, &lo, &hi);
        const char *policy, *story;
        bv->kind->describe(bv->kcfg, bv->parallel, &policy, &story);
        char s[64];
        snprintf(s, sizeof s, "%.1f %% [%.1f, %.1f]", 100 * k / (double)n, 100 * lo, 100 * hi);
        fprintf(f, "%-18s %-7s %8lld %-8s %24s %12.3f %15s\n", bv->name, bv->kind->name,
                (long long)bv->parallel, policy, s, lost / (double)n, story);
    }
}

const rg_experiment rg_experiment_batch = {
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
