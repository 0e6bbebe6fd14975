/*
 * queue.c: the engine's validation model, a G/G/c FIFO queue.
 *
 * Customers arrive with i.i.d. interarrival times, wait in one FIFO line and
 * are served by the first free of c identical servers.  With exponential
 * interarrivals this is M/M/c (exponential service), M/D/1 (constant) or
 * M/G/1, whose mean waits have closed forms (FACTS.md): the console prints
 * the simulated mean wait with its 95 % CI beside theory, which checks the
 * event queue, the clock, the random streams and the distributions at once.
 *
 * Method: independent replications.  Each replication discards `warmup`
 * customers (initial-transient deletion) and measures the next `customers`;
 * its mean wait is one observation, and the CI is over replications.
 *
 * Streams: "arrivals" for interarrival times, "service" for service times.
 *
 * Scenario: [queue] servers, arrival, service, customers, warmup; each
 * [variant.NAME] section may override servers, arrival and service.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sf_gamma.h>

#include "sim/engine/engine.h"
#include "models/mech/mparam.h"
#include "models/queue/queue.h"
#include "sim/engine/stats.h"
#include "sim/run/resultset.h"

typedef struct qvariant {
    char *name;
    int64_t servers;
    rg_dist *arrival, *service;
} qvariant;

typedef struct qcfg {
    int64_t customers, warmup;
    qvariant *var;
    size_t nvar;
} qcfg;

static void qcfg_free(void *p)
{
    qcfg *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nvar; i++) {
        free(c->var[i].name);
        rg_dist_free(c->var[i].arrival);
        rg_dist_free(c->var[i].service);
    }
    free(c->var);
    free(c);
}

/* An mp_variant_fn (no context); sec NULL loads the one variant, called
 * "queue", of a scenario without variant sections. */
static int load_variant(rg_scn *s, const char *sec, void *var, void *ctx, rg_err *e)
{
    qvariant *v = var;
    const char *srv, *arr = NULL, *svc = NULL;
    (void)ctx;
    /* Defaults come from [queue]; a variant section overrides them.  A key
     * absent from [queue] is required in every variant. */
    if (rg_scn_str(s, "queue", "servers", "1", &srv, e) < 0 ||
        (rg_scn_has(s, "queue", "arrival") &&
         rg_scn_str(s, "queue", "arrival", NULL, &arr, e) < 0) ||
        (rg_scn_has(s, "queue", "service") && rg_scn_str(s, "queue", "service", NULL, &svc, e) < 0))
        return -1;
    v->name = rg_xstrdup(sec ? sec + strlen("variant.") : "queue");
    if (sec == NULL)
        sec = "queue";
    if (rg_scn_int(s, sec, "servers", srv, 1, 10000, &v->servers, e) < 0 ||
        rg_scn_dist(s, sec, "arrival", arr, RG_QTY_DURATION, &v->arrival, e) < 0 ||
        rg_scn_dist(s, sec, "service", svc, RG_QTY_DURATION, &v->service, e) < 0)
        return -1;
    /* the resolved text says which values came from [queue] */
    static const char *const from_queue[] = {"servers", "arrival", "service"};
    for (size_t i = 0; strcmp(sec, "queue") != 0 && i < 3; i++)
        rg_scn_inherit(s, sec, from_queue[i], "queue");
    if (!(rg_dist_mean(v->arrival) > 0))
        return rg_scn_err(s, sec, "arrival", e, "mean interarrival time must be > 0");
    return 0;
}

static int qload(rg_scn *s, void **out, rg_err *e)
{
    qcfg *c = rg_xcalloc(1, sizeof *c);
    if (rg_scn_int(s, "queue", "customers", "10000", 1, INT64_C(1000000000), &c->customers, e) <
            0 ||
        rg_scn_int(s, "queue", "warmup", "1000", 0, INT64_C(1000000000), &c->warmup, e) < 0)
        goto fail;
    void *var = NULL;
    int rc = mp_variants(s, sizeof *c->var, load_variant, NULL, NULL, &var, &c->nvar, e);
    c->var = var;
    if (rc < 0)
        goto fail;
    if (c->nvar == 0) {
        c->var = rg_xcalloc(1, sizeof *c->var);
        c->nvar = 1;
        if (load_variant(s, NULL, &c->var[0], NULL, e) < 0)
            goto fail;
    }
    *out = c;
    return 0;
fail:
    qcfg_free(c);
    return -1;
}

static size_t qnvar(const void *p)
{
    return ((const qcfg *)p)->nvar;
}
static const char *qvarname(const void *p, size_t v)
{
    return ((const qcfg *)p)->var[v].name;
}

static const rg_metric qmetrics[] = {
    {"wait_mean", RG_MF_REAL, "s", "mean time in queue of the measured customers",
     RG_MF_SHOW | RG_MF_MS, RG_ROLE_NONE},
    {"sojourn_mean", RG_MF_REAL, "s", "mean time in system (wait + service)", RG_MF_SHOW | RG_MF_MS,
     RG_ROLE_NONE},
    {"queue_len_mean", RG_MF_REAL, "customers",
     "time-average number waiting over the measurement period", RG_MF_SHOW, RG_ROLE_NONE},
    {"utilization", RG_MF_REAL, "1", "busy server time / (servers x measured time)", RG_MF_SHOW,
     RG_ROLE_NONE},
    {"served", RG_MF_INT, "customers", "customers measured", 0, RG_ROLE_NONE},
    RG_METRIC_EVENTS,
    RG_METRIC_SIM_END("simulated time at the end of the replication"),
};

static const rg_metric *qmet(const void *p, size_t *n)
{
    (void)p;
    *n = sizeof qmetrics / sizeof qmetrics[0];
    return qmetrics;
}

/* ---- the simulation -------------------------------------------------- */

struct rg_queue_sim {
    rg_engine *e;
    const rg_dist *arrival, *service;
    gsl_rng *ra, *rs;
    int64_t servers, busy;
    int64_t warmup, customers;
    int64_t arrived; /* customers generated so far */
    /* FIFO of (arrival time, customer index): a ring buffer */
    rg_time *q_t;
    int64_t *q_id;
    size_t q_head, q_len, q_cap;
    /* measurement: plain sums (only means are reported; Welford's update
     * costs two divisions per customer on the hottest path) */
    double wait_sum, sojourn_sum;
    int64_t measured;
    rg_time win_start, win_end, last_change;
    bool in_window;
    double area_q, area_busy;
    FILE *trace;
};

static void start_service(rg_engine *e, rg_queue_sim *q, rg_time arrived_at, int64_t id);

static void account(rg_queue_sim *q, rg_time now)
{
    if (q->in_window) {
        double dt = (double)(now - q->last_change);
        q->area_q += dt * (double)q->q_len;
        q->area_busy += dt * (double)q->busy;
    }
    q->last_change = now;
}

static void on_departure(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_queue_sim *q = ctx;
    (void)arg;
    account(q, rg_now(e));
    q->busy--;
    if (q->q_len > 0) {
        rg_time t = q->q_t[q->q_head];
        int64_t id = q->q_id[q->q_head];
        q->q_head = (q->q_head + 1) & (q->q_cap - 1);
        q->q_len--;
        start_service(e, q, t, id);
    }
}

static void start_service(rg_engine *e, rg_queue_sim *q, rg_time arrived_at, int64_t id)
{
    rg_time now = rg_now(e);
    rg_time s = rg_dist_sample_time(q->service, q->rs);
    q->busy++;
    if (id >= q->warmup && id < q->warmup + q->customers) {
        q->wait_sum += rg_time_sec(now - arrived_at);
        q->sojourn_sum += rg_time_sec(now + s - arrived_at);
        q->measured++;
    }
    if (q->trace)
        fprintf(q->trace, "%.9f customer %lld starts service (waited %.6f s, service %.6f s)\n",
                rg_time_sec(now), (long long)id, rg_time_sec(now - arrived_at), rg_time_sec(s));
    rg_after(e, s, RG_PRIO_DEFAULT, on_departure, q, 0);
}

static void on_arrival(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_queue_sim *q = ctx;
    (void)arg;
    rg_time now = rg_now(e);
    int64_t id = q->arrived++;
    account(q, now);
    if (id == q->warmup) {
        q->in_window = true;
        q->win_start = now;
    }
    if (id == q->warmup + q->customers) {
        /* The first customer after the measured ones closes the window. */
        q->in_window = false;
        q->win_end = now;
    }
    if (q->busy < q->servers) {
        start_service(e, q, now, id);
    } else {
        if (q->q_len == q->q_cap) {
            size_t nc = q->q_cap ? q->q_cap * 2 : 64;
            rg_time *nt = rg_xmalloc(nc * sizeof *nt);
            int64_t *ni = rg_xmalloc(nc * sizeof *ni);
            for (size_t i = 0; i < q->q_len; i++) {
                nt[i] = q->q_t[(q->q_head + i) & (q->q_cap - 1)];
                ni[i] = q->q_id[(q->q_head + i) & (q->q_cap - 1)];
            }
            free(q->q_t);
            free(q->q_id);
            q->q_t = nt;
            q->q_id = ni;
            q->q_head = 0;
            q->q_cap = nc;
        }
        /* the capacity is a power of two: wrap with a mask */
        size_t at = (q->q_head + q->q_len) & (q->q_cap - 1);
        q->q_t[at] = now;
        q->q_id[at] = id;
        q->q_len++;
    }
    /* Keep arriving until the window is closed by one extra customer. */
    if (q->arrived <= q->warmup + q->customers)
        rg_after(e, rg_dist_sample_time(q->arrival, q->ra), RG_PRIO_DEFAULT, on_arrival, q, 0);
}

rg_queue_sim *rg_queue_sim_new(rg_engine *e, int64_t servers, const rg_dist *arrival,
                               const rg_dist *service, int64_t warmup, int64_t customers)
{
    rg_queue_sim *q = rg_xcalloc(1, sizeof *q);
    q->e = e;
    q->arrival = arrival;
    q->service = service;
    q->ra = rg_engine_stream(e, "arrivals");
    q->rs = rg_engine_stream(e, "service");
    q->servers = servers;
    q->warmup = warmup;
    q->customers = customers;
    rg_after(e, rg_dist_sample_time(arrival, q->ra), RG_PRIO_DEFAULT, on_arrival, q, 0);
    return q;
}

void rg_queue_sim_free(rg_queue_sim *q)
{
    if (q == NULL)
        return;
    free(q->q_t);
    free(q->q_id);
    free(q);
}

void rg_queue_sim_result(const rg_queue_sim *q, rg_queue_result *r)
{
    double span = (double)(q->win_end - q->win_start);
    r->served = q->measured;
    r->wait_mean = q->measured ? q->wait_sum / (double)q->measured : NAN;
    r->sojourn_mean = q->measured ? q->sojourn_sum / (double)q->measured : NAN;
    r->queue_len_mean = span > 0 ? q->area_q / span : NAN;
    r->utilization = span > 0 ? q->area_busy / (span * (double)q->servers) : NAN;
}

static void qrun(const void *p, size_t v, uint64_t seed, uint64_t rep, rg_repout *out, FILE *trace)
{
    const qcfg *c = p;
    const qvariant *qv = &c->var[v];
    rg_engine *e = rg_rep_begin(out, seed, rep);
    rg_queue_sim *q =
        rg_queue_sim_new(e, qv->servers, qv->arrival, qv->service, c->warmup, c->customers);
    q->trace = trace;
    rg_rep_run(out, e, RG_TIME_MAX);
    rg_queue_result r;
    rg_queue_sim_result(q, &r);
    rg_mval *row = rg_repout_row(out);
    row[0].d = r.wait_mean;
    row[1].d = r.sojourn_mean;
    row[2].d = r.queue_len_mean;
    row[3].d = r.utilization;
    row[4].i = r.served;
    rg_queue_sim_free(q);
    rg_rep_end(out, e);
}

/* ---- theory ------------------------------------------------------------ */

double rg_erlang_c(int64_t c, double a)
{
    /* Computed with the stable recurrence for Erlang B, then converted. */
    double b = 1.0;
    for (int64_t k = 1; k <= c; k++)
        b = a * b / ((double)k + a * b);
    double rho = a / (double)c;
    return b / (1 - rho + rho * b);
}

double rg_queue_theory_wq(int64_t c, const rg_dist *arrival, const rg_dist *service,
                          const char **formula)
{
    *formula = "none";
    /* Closed forms need Poisson arrivals: exponential interarrival times
     * (a distribution with the same mean and variance is not enough). */
    if (!rg_dist_is_exp(arrival))
        return NAN;
    double ms = rg_dist_mean(service), vs = rg_dist_var(service);
    double lambda = 1 / rg_dist_mean(arrival), mu = 1 / ms;
    double rho = lambda / ((double)c * mu);
    if (!(ms > 0) || !isfinite(vs))
        return NAN;
    if (rho >= 1)
        return INFINITY;
    if (c == 1) {
        *formula = rg_dist_is_const(service) ? "M/D/1"
                   : rg_dist_is_exp(service) ? "M/M/1"
                                             : "M/G/1 (P-K)";
        /* Pollaczek-Khinchine: Wq = lambda E[S^2] / (2 (1 - rho)). */
        return lambda * (vs + ms * ms) / (2 * (1 - rho));
    }
    if (rg_dist_is_exp(service)) {
        *formula = "M/M/c (Erlang C)";
        double C = rg_erlang_c(c, lambda / mu);
        return C / ((double)c * mu - lambda);
    }
    return NAN;
}

static void qextra(const void *p, const rg_results *r, FILE *f)
{
    const qcfg *c = p;
    if (r->reps_done < 2)
        return;
    fprintf(f, "\nmean wait in queue vs. closed form (FACTS.md):\n");
    fprintf(f, "%-16s %-16s %8s %14s %14s %14s  %s\n", "variant", "formula", "rho", "sim Wq (s)",
            "95% CI +-", "theory Wq (s)", "theory in CI?");
    for (size_t v = 0; v < c->nvar; v++) {
        const qvariant *qv = &c->var[v];
        int rv = rg_results_variant(r, qv->name); /* --variant may have left it out */
        if (rv < 0)
            continue;
        rg_summary s = *rg_results_summary(r, (size_t)rv, 0);
        const char *formula;
        double th = rg_queue_theory_wq(qv->servers, qv->arrival, qv->service, &formula);
        double rho = rg_dist_mean(qv->service) / ((double)qv->servers * rg_dist_mean(qv->arrival));
        fprintf(f, "%-16s %-16s %8.3f %14.6g %14.3g %14.6g  %s\n", qv->name, formula, rho, s.mean,
                s.ci95, isnan(th) ? NAN : th * 1e-9,
                isnan(th)                            ? "n/a"
                : fabs(s.mean - th * 1e-9) <= s.ci95 ? "yes"
                                                     : "NO");
    }
}

const rg_experiment rg_experiment_queue = {
    .name = "queue",
    .summary = "G/G/c FIFO queue: validates the engine against M/M/1, M/D/1, M/M/c",
    .load = qload,
    .free_cfg = qcfg_free,
    .nvariants = qnvar,
    .variant_name = qvarname,
    .metrics = qmet,
    .run = qrun,
    .report_extra = qextra,
};
