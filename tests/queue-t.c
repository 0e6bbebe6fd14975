/*
 * queue-t: the engine validated against queueing theory (queue.h,
 * FACTS.md "Queueing closed forms").  rg_queue_sim runs M/M/1 at rho 0.5 and
 * 0.8, M/D/1 at rho 0.8, M/M/2 at lambda 1.6 and M/M/3 at lambda 2.0 (mu = 1/s
 * throughout) as R independent replications with fixed seeds; the mean of the
 * per-replication means, with its CI from rg_summarize, must cover the closed
 * form for the mean wait, the mean queue length and the utilization, and the
 * mean service time must be 1 s.  Little's law (Lq = lambda Wq) is checked
 * between the simulation's own time-average queue length and mean wait.
 * Then rg_erlang_c and rg_queue_theory_wq against the test values of
 * FACTS.md, and determinism of a replication.
 *
 * Why the intervals are widened.  There are 4 interval checks per queue, 20 in
 * all.  At the 95 % level at least one of 20 true statements fails for about
 * 1 - 0.95^20 = 64 % of seed choices, so a change that merely reshuffles the
 * random streams would "break" the test.  Each check therefore uses the
 * 99.9 % interval (Student t with R - 1 degrees of freedom: about 1.7 times
 * the 95 % half-width for R = 100); by Bonferroni the chance that any of the
 * 20 fails by bad luck is at most 20 x 0.001 = 2 %.  The seeds are fixed, so
 * the outcome is deterministic either way.  A second check per queue keeps
 * the test sharp: the 95 % half-width must be under 5 % of the closed form,
 * so an interval too wide to notice a wrong engine is itself a failure.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "sim/engine/engine.h"
#include "models/queue/queue.h"
#include "sim/engine/stats.h"
#include "tests/tap/basic.h"

#define REPS 100
#define WARMUP 2000
#define CUSTOMERS 20000

typedef struct qcase {
    const char *name;
    int64_t servers;
    const char *arrival, *service;
    double lambda; /* per second; mu = 1 */
    double wq;     /* closed-form mean wait (s), from FACTS.md */
    double lq;     /* lambda * wq (Little) */
    double util;   /* lambda / (c mu) */
} qcase;

/* M/M/1: Wq = rho / (mu - lambda); M/D/1: rho / (2 mu (1 - rho));
 * M/M/c: C(c, a) / (c mu - lambda), with C(2, 1.6) = 0.711111 and
 * C(3, 2) = 4/9 (worked out in test_theory). */
static const qcase cases[] = {
    {"M/M/1 rho 0.5", 1, "exp(mean=2s)", "exp(mean=1s)", 0.5, 1.0, 0.5, 0.5},
    {"M/M/1 rho 0.8", 1, "exp(mean=1.25s)", "exp(mean=1s)", 0.8, 4.0, 3.2, 0.8},
    {"M/D/1 rho 0.8", 1, "exp(mean=1.25s)", "const(1s)", 0.8, 2.0, 1.6, 0.8},
    {"M/M/2 lambda 1.6", 2, "exp(mean=625ms)", "exp(mean=1s)", 1.6, 1.777778, 1.6 * 1.777778, 0.8},
    {"M/M/3 lambda 2.0", 3, "exp(mean=500ms)", "exp(mean=1s)", 2.0, 0.444444, 2 * 0.444444,
     2.0 / 3},
};
#define NCASES (sizeof cases / sizeof cases[0])

static rg_dist *parse(const char *text)
{
    rg_err e;
    rg_err_clear(&e);
    rg_dist *d = rg_dist_parse(text, RG_QTY_DURATION, &e);
    if (d == NULL)
        bail("cannot parse '%s': %s", text, e.msg);
    return d;
}

/* One replication of a queue. */
static void run_one(int64_t servers, const rg_dist *arr, const rg_dist *svc, uint64_t seed,
                    uint64_t rep, int64_t warmup, int64_t customers, rg_queue_result *r)
{
    rg_engine *e = rg_engine_new(seed, rep, NULL);
    rg_queue_sim *q = rg_queue_sim_new(e, servers, arr, svc, warmup, customers);
    rg_engine_run(e, RG_TIME_MAX, 0);
    rg_queue_sim_result(q, r);
    rg_queue_sim_free(q);
    rg_engine_free(e);
}

/* |mean - want| within `widen` times the 95 % half-width. */
static bool covers(const rg_summary *s, double want, double widen)
{
    return fabs(s->mean - want) <= widen * s->ci95;
}

static void test_case(const qcase *c, uint64_t seed, double widen)
{
    rg_dist *arr = parse(c->arrival), *svc = parse(c->service);
    double wait[REPS], lq[REPS], util[REPS], svcmean[REPS];
    bool served = true;
    for (uint64_t rep = 0; rep < REPS; rep++) {
        rg_queue_result r;
        run_one(c->servers, arr, svc, seed, rep, WARMUP, CUSTOMERS, &r);
        served = served && r.served == CUSTOMERS;
        wait[rep] = r.wait_mean;
        lq[rep] = r.queue_len_mean;
        util[rep] = r.utilization;
        svcmean[rep] = r.sojourn_mean - r.wait_mean;
    }
    rg_summary sw, sl, su, ss;
    rg_summarize(wait, REPS, &sw);
    rg_summarize(lq, REPS, &sl);
    rg_summarize(util, REPS, &su);
    rg_summarize(svcmean, REPS, &ss);

    ok(served, "%s: every replication measured %d customers", c->name, CUSTOMERS);
    ok(covers(&sw, c->wq, widen), "%s: Wq %.5f +- %.5f s covers %.6f", c->name, sw.mean,
       widen * sw.ci95, c->wq);
    ok(sw.ci95 < 0.05 * c->wq, "%s: 95 %% half-width %.4f s is under 5 %% of Wq", c->name, sw.ci95);
    ok(covers(&sl, c->lq, widen), "%s: Lq %.5f +- %.5f covers lambda Wq = %.6f", c->name, sl.mean,
       widen * sl.ci95, c->lq);
    ok(covers(&su, c->util, widen), "%s: utilization %.5f +- %.5f covers rho = %.6f", c->name,
       su.mean, widen * su.ci95, c->util);
    if (strncmp(c->name, "M/D", 3) == 0)
        ok(fabs(ss.mean - 1.0) < 1e-9 && ss.sd < 1e-9,
           "%s: every service takes exactly 1 s (mean %.12f)", c->name, ss.mean);
    else
        ok(covers(&ss, 1.0, widen), "%s: mean service %.5f +- %.5f s covers 1/mu = 1", c->name,
           ss.mean, widen * ss.ci95);
    /* Little's law inside the simulation: the time-average queue length and
     * lambda times the mean wait measure the same area, up to the customers
     * straddling the window's ends (order Lq Wq / window, about 0.05 %) and
     * the arrival-rate noise; 1 % is a generous bound. */
    double little = c->lambda * sw.mean;
    ok(fabs(sl.mean - little) <= 0.01 * little, "%s: Little: Lq %.5f = lambda Wq %.5f", c->name,
       sl.mean, little);
    rg_dist_free(arr);
    rg_dist_free(svc);
}

static void test_theory(void)
{
    /* Erlang C by hand: C(c, a) = [a^c/c! c/(c-a)] / [sum_{k<c} a^k/k! + a^c/c! c/(c-a)].
     * c = 2, a = 1.6: 1.28 * 2 / 0.4 = 6.4; 1 + 1.6 = 2.6; C = 6.4 / 9 = 0.711111.
     * c = 3, a = 2: 8/6 * 3 = 4; 1 + 2 + 2 = 5; C = 4 / 9.
     * c = 1: C = rho. */
    is_double(0.711111, rg_erlang_c(2, 1.6), 1e-6, "Erlang C(2, 1.6) = 0.711111");
    is_double(4.0 / 9, rg_erlang_c(3, 2.0), 1e-12, "Erlang C(3, 2.0) = 4/9");
    is_double(0.8, rg_erlang_c(1, 0.8), 1e-12, "Erlang C(1, 0.8) = rho");

    static const struct {
        int64_t c;
        const char *arr, *svc;
        double wq; /* s; NAN: no closed form */
        const char *formula;
    } t[] = {
        {1, "exp(mean=2s)", "exp(mean=1s)", 1.0, "M/M/1"},
        {1, "exp(mean=1.25s)", "exp(mean=1s)", 4.0, "M/M/1"},
        {1, "exp(mean=1.111111111s)", "exp(mean=1s)", 9.0, "M/M/1"},
        {1, "exp(mean=1.25s)", "const(1s)", 2.0, "M/D/1"},
        {2, "exp(mean=625ms)", "exp(mean=1s)", 1.777778, "Erlang"},
        {3, "exp(mean=500ms)", "exp(mean=1s)", 0.444444, "Erlang"},
        /* M/G/1, gamma(2, 0.5 s): E[S] = 1, E[S^2] = 0.5 + 1 = 1.5;
         * P-K: 0.8 * 1.5 / (2 * 0.2) = 3.0 s. */
        {1, "exp(mean=1.25s)", "gamma(2, 500ms)", 3.0, "P-K"},
        {1, "uniform(0, 2s)", "exp(mean=1s)", NAN, "none"},   /* not Poisson */
        {2, "exp(mean=1.25s)", "const(1s)", NAN, "none"},     /* M/D/2 */
        {1, "exp(mean=1s)", "exp(mean=1s)", INFINITY, ""},    /* rho = 1 */
        {2, "exp(mean=400ms)", "exp(mean=1s)", INFINITY, ""}, /* rho = 1.25 */
        /* Coefficient of variation 1 without being exponential: a lognormal
         * with sigma^2 = ln 2 (variance = mean^2) is not a Poisson process,
         * and a two-point service (0 or 2 s) is not exponential, so neither
         * P-K nor Erlang C applies. */
        {1, "lognormal(median=1s, sigma=0.832554611157697)", "exp(mean=1s)", NAN, "none"},
        {2, "exp(mean=1.25s)", "mix(1: 0, 1: 2s)", NAN, "none"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rg_dist *a = parse(t[i].arr), *s = parse(t[i].svc);
        const char *f = NULL;
        double w = rg_queue_theory_wq(t[i].c, a, s, &f) * 1e-9;
        bool good;
        if (isnan(t[i].wq))
            good = isnan(w) && f != NULL && strcmp(f, "none") == 0;
        else if (isinf(t[i].wq))
            good = isinf(w) && w > 0;
        else
            good = fabs(w - t[i].wq) <= 1e-6 * t[i].wq + 5e-7 && f != NULL &&
                   strstr(f, t[i].formula) != NULL;
        if (!good && i >= sizeof t / sizeof t[0] - 2)
            diag("BUG: a distribution with variance = mean^2 is taken for an exponential");
        ok(good, "theory Wq c=%lld, %s, %s: %.6f s (%s), want %.6f (%s)", (long long)t[i].c,
           t[i].arr, t[i].svc, w, f ? f : "(null)", t[i].wq, t[i].formula);
        rg_dist_free(a);
        rg_dist_free(s);
    }
}

static void test_determinism(void)
{
    rg_dist *arr = parse("exp(mean=1.25s)"), *svc = parse("exp(mean=1s)");
    rg_queue_result a, b, c;
    run_one(1, arr, svc, 7, 3, 100, 2000, &a);
    run_one(1, arr, svc, 7, 3, 100, 2000, &b);
    run_one(1, arr, svc, 7, 4, 100, 2000, &c);
    ok(memcmp(&a, &b, sizeof a) == 0, "same seed and rep: bit-identical results");
    ok(a.wait_mean != c.wait_mean, "another rep: different results");
    rg_dist_free(arr);
    rg_dist_free(svc);
}

int main(void)
{
    plan(7 * NCASES + 3 + 13 + 2);
    /* 99.9 % over 95 % two-sided Student t quantiles, R - 1 degrees of freedom. */
    double widen = gsl_cdf_tdist_Pinv(0.9995, REPS - 1) / gsl_cdf_tdist_Pinv(0.975, REPS - 1);
    diag("%d replications x %d customers after %d warm-up; intervals widened x%.3f (99.9 %%)", REPS,
         CUSTOMERS, WARMUP, widen);
    for (size_t i = 0; i < NCASES; i++)
        test_case(&cases[i], 20261123 + i, widen);
    test_theory();
    test_determinism();
    return 0;
}
