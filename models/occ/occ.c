/*
 * occ.c: optimistic commits under contention: configuration, the client's
 * read-modify-commit protocol, and the checker (see occ.h).  The stores
 * are the kinds of occkind.h, one file each; this file reaches them only
 * through the table `kinds`.
 *
 * A client's life: at its start time it begins write 1; each write is an
 * rg_bo_op whose attempt is "read, then conditional commit"; when the op
 * ends (any outcome) the client begins its next write, and after W writes
 * it is finished.  The store's version counts the commits it applied, so
 * the checker reads "durable" from the store and "landed" from what the
 * clients were told.
 */
#include "models/occ/occ.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models/mech/mparam.h"
#include "models/occ/occkind.h"
#include "sim/engine/stats.h"
#include "sim/run/resultset.h"

/* The stores a variant can name (store = NAME), one line each. */
static const rg_occ_kind *const kinds[] = {
    &rg_occ_kind_row,
    &rg_occ_kind_object,
    &rg_occ_kind_kv,
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

typedef struct ovariant {
    char *name;
    int64_t clients, writes;
    rg_dist *arrival, *network; /* arrival: a client's start */
    const rg_occ_kind *kind;
    void *kcfg; /* the kind's configuration, owned */
    rg_time horizon;
    rg_bo_policy pol;
} ovariant;

typedef struct ocfg {
    ovariant *var;
    size_t nvar;
} ocfg;

/* ---- configuration ------------------------------------------------------ */

static void variant_free(ovariant *v)
{
    free(v->name);
    rg_dist_free(v->arrival);
    rg_dist_free(v->network);
    if (v->kind != NULL)
        v->kind->cfg_free(v->kcfg);
}

static void ocfg_free(void *p)
{
    ocfg *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nvar; i++)
        variant_free(&c->var[i]);
    free(c->var);
    free(c);
}

/* An mp_variant_fn (no context). */
static int load_variant(rg_scn *s, const char *sec, void *var, void *ctx, rg_err *e)
{
    ovariant *v = var;
    const char *names[NKINDS + 1];
    int st;
    (void)ctx;
    for (size_t i = 0; i < NKINDS; i++)
        names[i] = kinds[i]->name;
    names[NKINDS] = NULL;
    v->name = rg_xstrdup(sec + strlen("variant."));
    /* Defaults: the AWS backoff study (FACTS.md): 50 clients, one write
     * each, all starting at once, |Normal(10 ms, 2 ms)| per message, an
     * instantaneous single-row server. */
    if (mp_int(s, sec, "occ", "clients", "50", 1, 1000000, &v->clients, e) < 0 ||
        mp_int(s, sec, "occ", "writes", "1", 1, 1000000, &v->writes, e) < 0 ||
        mp_dist(s, sec, "occ", "arrival", "const(0s)", RG_QTY_DURATION, &v->arrival, e) < 0 ||
        mp_dist(s, sec, "occ", "network", "absnormal(10ms, 2ms)", RG_QTY_DURATION, &v->network, e) <
            0 ||
        mp_enum(s, sec, "occ", "store", "row", names, &st, e) < 0 ||
        mp_dur(s, sec, "occ", "horizon", "24h", &v->horizon, e) < 0 ||
        rg_bo_load(s, sec, "backoff", NULL, &v->pol, e) < 0)
        return -1;
    v->kind = kinds[st];
    if (v->kind->load(s, sec, &v->kcfg, e) < 0)
        return -1;
    if (v->horizon <= 0)
        return rg_scn_err(s, rg_scn_has(s, sec, "horizon") ? sec : "occ", "horizon", e,
                          "must be > 0");
    return 0;
}

static int oload(rg_scn *s, void **out, rg_err *e)
{
    ocfg *c = rg_xcalloc(1, sizeof *c);
    void *var = NULL;
    int rc = mp_variants(s, sizeof *c->var, load_variant, NULL,
                         "an occ experiment compares at least one retry policy or store", &var,
                         &c->nvar, e);
    c->var = var;
    if (rc < 0)
        goto fail;
    /* Shared sections are optional, and unused by some stores. */
    rg_scn_declare(s, "occ");
    rg_scn_declare(s, "backoff");
    rg_scn_declare(s, "faults");
    rg_scn_declare(s, "object");
    rg_scn_declare(s, "kv");
    *out = c;
    return 0;
fail:
    ocfg_free(c);
    return -1;
}

static size_t onvar(const void *p)
{
    return ((const ocfg *)p)->nvar;
}
static const char *ovarname(const void *p, size_t v)
{
    return ((const ocfg *)p)->var[v].name;
}

enum {
    M_ATTEMPTS,
    M_COMPLETION,
    M_LANDED,
    M_PERMANENT,
    M_LOUD,
    M_SILENT,
    M_DURABLE,
    M_LOST,
    M_ALL,
    M_CONFLICTS,
    M_OVERLOADED,
    M_READS,
    M_WRITES,
    M_UNFINISHED,
    M_WAIT_P99,
    M_EVENTS,
    M_SIM_END,
    M_COUNT
};

static const rg_metric ometrics[M_COUNT] = {
    [M_ATTEMPTS] = {"attempts", RG_MF_INT, "commits",
                    "attempts, each a read and a conditional commit: the work", RG_MF_SHOW},
    [M_COMPLETION] = {"completion", RG_MF_REAL, "s",
                      "completion: time until every client finished its writes",
                      RG_MF_SHOW | RG_MF_MS},
    [M_LANDED] = {"landed", RG_MF_INT, "writes", "writes landed (the client was told so)",
                  RG_MF_SHOW},
    [M_PERMANENT] = {"permanent", RG_MF_INT, "writes",
                     "writes rejected permanently (never retried, reported)", RG_MF_SHOW},
    [M_LOUD] = {"loud", RG_MF_INT, "writes",
                "writes failed loudly (terminal error once the window was spent)", RG_MF_SHOW},
    [M_SILENT] = {"silent", RG_MF_INT, "writes",
                  "writes dropped silently (legacy budget spent, nobody told)",
                  RG_MF_SHOW | RG_MF_MAX},
    [M_DURABLE] = {"durable", RG_MF_INT, "writes", "writes the store holds at the end", RG_MF_SHOW},
    [M_LOST] = {"lost", RG_MF_INT, "writes",
                "landed writes the store does not hold (overwritten): landed - durable",
                RG_MF_SHOW},
    [M_ALL] = {"all_landed", RG_MF_INT, "1",
               "every write landed and the store holds all of them (1/0)", RG_MF_SHOW | RG_MF_PROB},
    [M_CONFLICTS] = {"conflicts", RG_MF_INT, "rejections", "transient rejections (conflicts)", 0},
    [M_OVERLOADED] = {"overloaded", RG_MF_INT, "rejections", "overloaded rejections", 0},
    [M_READS] = {"reads", RG_MF_INT, "reads", "reads of the value (one per attempt)", 0},
    [M_WRITES] = {"writes", RG_MF_INT, "writes", "writes asked for: clients x writes", 0},
    [M_UNFINISHED] = {"unfinished", RG_MF_INT, "writes",
                      "writes still pending at the horizon (should be 0)", 0},
    [M_WAIT_P99] = {"write_p99", RG_MF_REAL, "s",
                    "99th percentile time from a write's first attempt to its outcome", RG_MF_MS},
    [M_EVENTS] = RG_METRIC_EVENTS,
    [M_SIM_END] = RG_METRIC_SIM_END("simulated time at the end of the replication"),
};

static const rg_metric *omet(const void *p, size_t *n)
{
    (void)p;
    *n = M_COUNT;
    return ometrics;
}

/* ---- one replication ------------------------------------------------------ */

typedef struct orun orun;

struct rg_occ_client {
    orun *run;
    size_t id;
    int64_t next_write; /* writes begun so far */
    int64_t ended;      /* writes that have an outcome */
    rg_bo_op *op;       /* the current write */
};

typedef rg_occ_client oclient;

struct orun {
    rg_engine *e;
    const ovariant *v;
    FILE *trace;
    gsl_rng *net, *jit, *arr;
    oclient *cl;
    size_t n;
    void *store; /* built by the variant's kind */
    rg_bo_tally tally;
    int64_t reads, unfinished;
    size_t finished;
    rg_time completion;
    double *lat;
    size_t nlat;
    rg_repout *out;
};

/* -- what the kinds see of a client (occkind.h) -- */

size_t rg_occ_client_id(const rg_occ_client *c)
{
    return c->id;
}

void *rg_occ_store(const rg_occ_client *c)
{
    return c->run->store;
}

void rg_occ_send(rg_occ_client *c, rg_evfn fn, uint64_t arg)
{
    orun *r = c->run;
    rg_after(r->e, rg_dist_sample_time(r->v->network, r->net), RG_PRIO_DEFAULT, fn, c, arg);
}

void rg_occ_trace(const rg_occ_client *c, const char *fmt, ...)
{
    orun *r = c->run;
    if (r->trace == NULL)
        return;
    va_list ap;
    rg_trace(r->e, r->trace, "client %zu write %lld: ", c->id + 1, (long long)c->next_write);
    va_start(ap, fmt);
    vfprintf(r->trace, fmt, ap);
    va_end(ap);
    fputc('\n', r->trace);
}

/* The version read is back at the client: send the conditional commit. */
void rg_occ_read_back(rg_occ_client *c, int64_t v)
{
    rg_occ_trace(c, "read version %lld; commit version %lld if unchanged", (long long)v,
                 (long long)(v + 1));
    c->run->v->kind->commit(c->run->store, c, v);
}

void rg_occ_commit_back(rg_occ_client *c, rg_bo_res res)
{
    rg_bo_op_result(c->op, res);
}

static void on_read_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    rg_occ_read_back(ctx, (int64_t)arg);
}

void rg_occ_reply_read(rg_occ_client *c, int64_t version)
{
    orun *r = c->run;
    rg_after(r->e, rg_dist_sample_time(r->v->network, r->net), RG_PRIO_DEFAULT, on_read_back, c,
             (uint64_t)version);
}

static void on_commit_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    rg_occ_commit_back(ctx, (rg_bo_res)arg);
}

void rg_occ_reply_commit(rg_occ_client *c, rg_bo_res res)
{
    orun *r = c->run;
    rg_after(r->e, rg_dist_sample_time(r->v->network, r->net), RG_PRIO_DEFAULT, on_commit_back, c,
             (uint64_t)res);
}

/* -- the client -- */

static void on_next_write(rg_engine *e, void *ctx, uint64_t arg);

static void on_write_done(rg_bo_op *op, void *ctx, rg_bo_out out)
{
    oclient *c = ctx;
    orun *r = c->run;
    (void)out;
    c->ended++;
    rg_bo_tally_add(&r->tally, op);
    double lat = rg_time_sec(rg_bo_op_finished(op) - rg_bo_op_started(op));
    rg_repout_latency(r->out, lat);
    r->lat[r->nlat++] = lat;
    if (c->next_write < r->v->writes) {
        /* The next write starts from an event, not inside this callback:
         * the op calling us is freed there. */
        rg_after(r->e, 0, RG_PRIO_DEFAULT, on_next_write, c, 0);
        return;
    }
    r->finished++;
    if (rg_now(r->e) > r->completion)
        r->completion = rg_now(r->e);
}

static void attempt(rg_bo_op *op, void *ctx, int64_t n)
{
    (void)op;
    (void)n;
    oclient *c = ctx;
    orun *r = c->run;
    r->reads++;
    r->v->kind->read(r->store, c);
}

static void begin_write(oclient *c)
{
    orun *r = c->run;
    rg_bo_op_free(c->op);
    c->next_write++;
    c->op = rg_bo_op_new(r->e, &r->v->pol, r->jit, attempt, on_write_done, c);
    if (r->trace) {
        char label[64];
        snprintf(label, sizeof label, "client %zu write %lld", c->id + 1, (long long)c->next_write);
        rg_bo_op_trace(c->op, r->trace, label);
    }
    rg_bo_op_start(c->op);
}

static void on_next_write(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    begin_write(ctx);
}

void rg_occ_run_detail(const void *cfg, size_t vi, uint64_t seed, uint64_t rep, rg_repout *out,
                       FILE *trace, rg_occ_result *res)
{
    const ocfg *cf = cfg;
    orun r = {0};
    r.v = &cf->var[vi];
    r.e = rg_rep_begin(out, seed, rep);
    r.trace = trace;
    r.out = out;
    r.net = rg_engine_stream(r.e, "network");
    r.jit = rg_engine_stream(r.e, "jitter");
    r.arr = rg_engine_stream(r.e, "arrivals");
    r.n = (size_t)r.v->clients;
    r.cl = rg_xcalloc(r.n, sizeof *r.cl);
    r.lat = rg_xcalloc(r.n * (size_t)r.v->writes, sizeof *r.lat);
    r.store = r.v->kind->build(r.e, r.n, r.v->kcfg);
    /* Start times first, from their own stream: every variant of a
     * replication sees the same clients (common random numbers). */
    for (size_t i = 0; i < r.n; i++) {
        oclient *c = &r.cl[i];
        c->run = &r;
        c->id = i;
        rg_at(r.e, rg_dist_sample_time(r.v->arrival, r.arr), RG_PRIO_DEFAULT, on_next_write, c, 0);
    }
    rg_rep_run(out, r.e, r.v->horizon);

    /* ---- the checker ---- */
    for (size_t i = 0; i < r.n; i++)
        r.unfinished += r.v->writes - r.cl[i].ended;
    int64_t held = r.v->kind->durable(r.store);
    const rg_bo_tally *t = &r.tally;
    int64_t asked = (int64_t)r.n * r.v->writes;
    RG_ENGINE_ASSERT(r.e, t->landed + t->rejected + t->loud + t->silent + r.unfinished == asked);
    if (r.v->pol.mode == RG_BO_WINDOW)
        RG_ENGINE_ASSERT(r.e, t->silent == 0);
    static const double p99[1] = {0.99};
    rg_select_quantiles(r.lat, r.nlat, p99, 1); /* as sorting would, for M_WAIT_P99 */
    rg_mval *row = rg_repout_row(out);
    row[M_ATTEMPTS].i = t->attempts;
    row[M_COMPLETION].d = rg_time_sec(r.completion);
    row[M_LANDED].i = t->landed;
    row[M_PERMANENT].i = t->rejected;
    row[M_LOUD].i = t->loud;
    row[M_SILENT].i = t->silent;
    row[M_DURABLE].i = held;
    row[M_LOST].i = t->landed > held ? t->landed - held : 0;
    row[M_ALL].i = t->landed == asked && held >= asked;
    row[M_CONFLICTS].i = t->transient;
    row[M_OVERLOADED].i = t->overloaded;
    row[M_READS].i = r.reads;
    row[M_WRITES].i = asked;
    row[M_UNFINISHED].i = r.unfinished;
    row[M_WAIT_P99].d = r.nlat ? rg_quantile_sorted(r.lat, r.nlat, 0.99) : NAN;
    if (trace)
        fprintf(trace,
                "\n%s: %lld writes: %lld landed, %lld rejected permanently, %lld failed loudly, "
                "%lld dropped silently; the store holds %lld; %lld commit attempts; all done at "
                "%.3f ms\n",
                r.v->name, (long long)asked, (long long)t->landed, (long long)t->rejected,
                (long long)t->loud, (long long)t->silent, (long long)held, (long long)t->attempts,
                rg_time_ms(r.completion));
    if (res) {
        res->t = *t;
        res->durable = held;
        res->unfinished = r.unfinished;
        res->reads = r.reads;
        res->completion = r.completion;
    }
    for (size_t i = 0; i < r.n; i++)
        rg_bo_op_free(r.cl[i].op);
    r.v->kind->free(r.store);
    free(r.cl);
    free(r.lat);
    rg_rep_end(out, r.e);
}

static void orun_task(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                      FILE *trace)
{
    rg_occ_run_detail(cfg, v, seed, rep, out, trace, NULL);
}

/* ---- console extra: the AWS study's comparison --------------------------- */

static void oextra(const void *p, const rg_results *r, FILE *f)
{
    const ocfg *c = p;
    size_t n = r->reps_done;
    if (n < 2)
        return;
    double *work = rg_xcalloc(c->nvar, sizeof *work), *done = rg_xcalloc(c->nvar, sizeof *done);
    fprintf(f, "\nwork and completion per variant (mean ± 95%% CI over %zu replications):\n", n);
    fprintf(f, "%-16s %-7s %-7s %-13s %8s %22s %24s %8s\n", "variant", "store", "policy", "jitter",
            "clients", "attempts (work)", "completion (ms)", "silent");
    for (size_t v = 0; v < c->nvar; v++) {
        const ovariant *ov = &c->var[v];
        int rv = rg_results_variant(r, ov->name); /* --variant may have left it out */
        if (rv < 0) {
            work[v] = done[v] = NAN;
            continue;
        }
        rg_summary sw = *rg_results_summary(r, (size_t)rv, M_ATTEMPTS);
        rg_summary sc = *rg_results_summary(r, (size_t)rv, M_COMPLETION);
        rg_summary ss = *rg_results_summary(r, (size_t)rv, M_SILENT);
        work[v] = sw.mean;
        done[v] = sc.mean;
        char a[32], b[32];
        snprintf(a, sizeof a, "%.1f ± %.1f", sw.mean, sw.ci95);
        snprintf(b, sizeof b, "%.1f ± %.1f", sc.mean * 1e3, sc.ci95 * 1e3);
        fprintf(f, "%-16s %-7s %-7s %-13s %8lld %23s %25s %8.3g\n", ov->name, ov->kind->name,
                rg_bo_mode_name(ov->pol.mode), rg_bo_jitter_name(ov->pol.jitter),
                (long long)ov->clients, a, b, ss.mean);
    }
    /* The study's ordering, when the variants differ only by jitter kind. */
    int kind[4] = {-1, -1, -1, -1};
    bool comparable = true;
    for (size_t v = 0; v < c->nvar; v++) {
        const ovariant *ov = &c->var[v], *o0 = &c->var[0];
        if (ov->kind != o0->kind || ov->clients != o0->clients || ov->writes != o0->writes ||
            kind[ov->pol.jitter] >= 0 || isnan(work[v]))
            comparable = false;
        else
            kind[ov->pol.jitter] = (int)v;
    }
    if (comparable && kind[RG_BO_JIT_NONE] >= 0 && c->nvar >= 2) {
        bool worst_work = true, worst_time = true, full_least = kind[RG_BO_JIT_FULL] >= 0;
        int none = kind[RG_BO_JIT_NONE], full = kind[RG_BO_JIT_FULL];
        for (size_t v = 0; v < c->nvar; v++) {
            if ((int)v == none)
                continue;
            worst_work = worst_work && work[none] > work[v];
            worst_time = worst_time && done[none] > done[v];
            if (full >= 0 && (int)v != full)
                full_least = full_least && work[full] < work[v];
        }
        fprintf(f,
                "\nAWS backoff study (FACTS.md): no jitter worst on work: %s; on completion: "
                "%s; full jitter least work: %s\n",
                worst_work ? "yes" : "NO", worst_time ? "yes" : "NO",
                full < 0     ? "n/a"
                : full_least ? "yes"
                             : "NO");
    }
    free(work);
    free(done);
}

const rg_experiment rg_experiment_occ = {
    .name = "occ",
    .summary = "optimistic commits under contention: backoff, jitter and retry windows",
    .load = oload,
    .free_cfg = ocfg_free,
    .nvariants = onvar,
    .variant_name = ovarname,
    .metrics = omet,
    .run = orun_task,
    .report_extra = oextra,
};
