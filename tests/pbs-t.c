/*
 * pbs-t: the staleness experiment (pbs.h) against the published figures of
 * Bailis et al., "Probabilistically Bounded Staleness for Practical Partial
 * Quorums" (VLDB 2012), its synthetic runs on the effect of the write
 * latency distribution: N = 3, R = W = 1, A = R = S exponential with mean
 * 1 ms, and
 *
 *   W exponential, mean 0.25 ms:  94 % consistent at once, 99.9 % after 1 ms
 *   W exponential, mean 10 ms:    41 % at once, 99.9 % only after 65 ms
 *
 * REPS replications per variant; each checks one read per delay.
 *
 * Tolerances.  The figures are rounded (94 % stands for [93.5, 94.5)) and
 * come from the authors' own Monte Carlo runs, whose size the paper does
 * not state; the WARS model as the paper defines it, simulated here at
 * length, gives about 94.3 % and 42.0 %, so the 41 % figure sits one point
 * below its own model.  Our estimate has a standard error of at most
 * sqrt(0.25 / REPS) = 0.35 points.  So:
 *   - the figures at delay 0 must be met within 2.5 points: 0.5 for the
 *     rounding, 1 for the authors' simulation, 1 (about 3 standard errors)
 *     for ours;
 *   - the 99.9 % figures within 0.15 points: 0.05 for the rounding, 0.1
 *     (about 4.5 standard errors at p = 0.999) for ours.  And "only after":
 *     at about two thirds of the published delay (0.5 ms, 45 ms) the
 *     probability must still be below 99.8 % (the model gives about 99.2
 *     and 99.35 %, ten standard errors below 99.9 %), so a curve that
 *     reached 99.9 % much earlier fails.
 * The seed is fixed, so the outcome is the same on every run.
 *
 * Then: a replication worked by hand with constant delays, the metric
 * table, scenario errors, common random numbers between the variants, and
 * determinism (a replication run twice; the runner on 1 and 2 threads).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/pbs/pbs.h"
#include "sim/engine/scenario.h"
#include "sim/engine/stats.h"
#include "sim/run/runner.h"
#include "tests/tap/basic.h"
#include "tests/tap/fixture.h"

#define REPS 20000

/* The paper's synthetic settings, with the delays the checks need. */
static const char *wars = "[pbs]\ndelays = 0ms, 500us, 1ms, 45ms, 65ms\nn = 3\nr = 1\nw = 1\n"
                          "delay_a = exp(mean=1ms)\ndelay_r = exp(mean=1ms)\n"
                          "delay_s = exp(mean=1ms)\n"
                          "[variant.fast]\ndelay_w = exp(mean=250us)\n"
                          "published = 0ms: 94%, 1ms: 99.9%\n"
                          "[variant.slow]\ndelay_w = exp(mean=10ms)\n"
                          "published = 0ms: 41%, 65ms: 99.9%\n";

static rg_results *run_all(const tfixture *m, uint64_t reps, int threads)
{
    rg_runopts o = {0};
    o.seed = 2012;
    o.reps = reps;
    o.threads = threads;
    o.label = "pbs-t";
    rg_err e;
    rg_err_clear(&e);
    rg_results *r = rg_run(m->ops, m->cfg, &o, &e);
    if (r == NULL)
        bail("rg_run: %s", e.msg);
    return r;
}

static double mean(const rg_results *r, const char *var, const char *met)
{
    int v = rg_results_variant(r, var), k = rg_results_metric(r, met);
    if (v < 0 || k < 0)
        bail("no %s.%s", var, met);
    return rg_results_summary(r, (size_t)v, (size_t)k)->mean;
}

static void test_published(void)
{
    tfixture m;
    tfixture_open(&m, &rg_experiment_pbs, "pbs-t.ini", wars);
    rg_results *r = run_all(&m, REPS, 2);
    double f0 = 100 * mean(r, "fast", "fresh_0ms"), f1 = 100 * mean(r, "fast", "fresh_1ms");
    double fh = 100 * mean(r, "fast", "fresh_500us");
    double s0 = 100 * mean(r, "slow", "fresh_0ms"), s65 = 100 * mean(r, "slow", "fresh_65ms");
    double s45 = 100 * mean(r, "slow", "fresh_45ms");
    diag("%d replications: fast %.2f / %.3f / %.3f %%, slow %.2f / %.3f / %.3f %%", REPS, f0, fh,
         f1, s0, s45, s65);
    ok(fabs(f0 - 94) <= 2.5, "W mean 0.25 ms, at once: %.2f %% (published 94 %% +- 2.5)", f0);
    ok(fabs(f1 - 99.9) <= 0.15, "W mean 0.25 ms, after 1 ms: %.3f %% (published 99.9 %% +- 0.15)",
       f1);
    ok(fh < 99.8, "W mean 0.25 ms, after 0.5 ms: %.3f %%, not yet 99.9 %%", fh);
    ok(fabs(s0 - 41) <= 2.5, "W mean 10 ms, at once: %.2f %% (published 41 %% +- 2.5)", s0);
    ok(fabs(s65 - 99.9) <= 0.15, "W mean 10 ms, after 65 ms: %.3f %% (published 99.9 %% +- 0.15)",
       s65);
    ok(s45 < 99.8, "W mean 10 ms, after 45 ms: %.3f %%, not yet 99.9 %%", s45);
    ok(mean(r, "fast", "fresh_0ms") <= mean(r, "fast", "fresh_500us") &&
           mean(r, "fast", "fresh_500us") <= mean(r, "fast", "fresh_1ms") &&
           mean(r, "slow", "fresh_0ms") <= mean(r, "slow", "fresh_45ms") &&
           mean(r, "slow", "fresh_45ms") <= mean(r, "slow", "fresh_65ms"),
       "the longer the wait, the likelier a fresh read");

    /* The console's comparison agrees, row by row. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    m.ops->report_extra(m.cfg, r, f);
    fclose(f);
    int yes = 0;
    for (const char *p = text; (p = strstr(p, "  yes\n")) != NULL; p++)
        yes++;
    ok(yes == 4 && strstr(text, "NO") == NULL && strstr(text, "99.9%") != NULL,
       "report_extra: all 4 published figures agree with the simulation (%d yes)", yes);
    if (yes != 4)
        diag("%s", text);
    free(text);

    /* Common random numbers: the reads' delays are the same uniforms in
     * both variants (their delay_r and delay_s are equal), so every
     * replication's read latency is the same in both. */
    int rl = rg_results_metric(r, "read_latency");
    uint64_t same = 0;
    for (uint64_t i = 0; i < r->reps_done; i++)
        same += rg_results_value(r, 0, i, (size_t)rl) == rg_results_value(r, 1, i, (size_t)rl);
    is_int(REPS, (long long)same, "common random numbers: equal read latencies in both variants");
    rg_results_free(r);
    tfixture_close(&m);
}

/* ---- by hand ------------------------------------------------------------ */

static void test_by_hand(void)
{
    /* Constant delays: the write reaches every replica at 5 ms and the
     * first ack is back at 6 ms; each read takes 1 + 1 ms; replicas hold
     * the write long before any read reaches them. */
    tfixture m;
    tfixture_open(&m, &rg_experiment_pbs, "pbs-t.ini",
                  "[pbs]\ndelays = 0ms, 250us, 1.5ms, 2s\ndelay_w = const(5ms)\n"
                  "delay_a = const(1ms)\ndelay_r = const(1ms)\ndelay_s = const(1ms)\n"
                  "[variant.c]\n");
    static const char *const names[] = {"fresh_0ms",     "fresh_250us",  "fresh_1_5ms", "fresh_2s",
                                        "write_latency", "read_latency", "events",      "sim_end"};
    bool named = m.nmet == 8;
    size_t n;
    const rg_metric *met = m.ops->metrics(m.cfg, &n);
    for (size_t i = 0; named && i < n; i++)
        named = strcmp(met[i].name, names[i]) == 0;
    ok(named, "metrics: one fresh_DELAY per delay ('.' as '_'), then the fixed ones");
    ok(met[0].flags & RG_MF_PROB, "fresh_DELAY is a 0/1 indicator shown as a probability");
    m.ops->metrics(NULL, &n);
    is_int(4, (long long)n, "the declaration (no scenario) holds the 4 fixed metrics");

    char *tr = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&tr, &len);
    m.ops->run(m.cfg, 0, 1, 0, tfixture_out(&m), f);
    fclose(f);
    ok(m.row[0].i == 1 && m.row[1].i == 1 && m.row[2].i == 1 && m.row[3].i == 1,
       "every read fresh");
    ok(fabs(m.row[4].d - 0.006) < 1e-12 && fabs(m.row[5].d - 0.002) < 1e-12,
       "write latency 5 + 1 = 6 ms, read latency 1 + 1 = 2 ms");
    /* 3 write messages and 3 acks; per read its send and 3 + 3 messages */
    is_int(6 + 4 * 7, m.row[6].i, "events: 6 for the write, 7 per read");
    ok(fabs(m.row[7].d - (0.006 + 2 + 0.002)) < 1e-12, "the last read's last answer ends it");
    ok(tr != NULL &&
           strstr(tr, "pbs: the read sent 1.5ms after the write completed returns v1: "
                      "fresh") != NULL &&
           strstr(tr, "quorum: write v1 of key 0 complete: 1 of 3 acked") != NULL,
       "trace: the store's messages and the checker's verdicts");
    free(tr);
    tfixture_close(&m);
}

/* ---- scenario errors ------------------------------------------------------- */

static void load_error(const char *text, const char *want, const char *what)
{
    rg_err e;
    rg_err_clear(&e);
    void *cfg = NULL;
    rg_scn *s = rg_scn_load_string("pbs-t.ini", text, &e);
    int rc = s == NULL ? -1 : rg_experiment_pbs.load(s, &cfg, &e);
    if (rc == 0)
        rg_experiment_pbs.free_cfg(cfg);
    ok(rc < 0 && strstr(e.msg, want) != NULL, "%s: %s", what, rc < 0 ? e.msg : "loaded");
    rg_scn_free(s);
}

static void test_errors(void)
{
    load_error("[pbs]\n", "at least one quorum configuration", "no variant");
    load_error("[pbs]\ndelays = 5ms, 1ms\n[variant.a]\n", "increasing order",
               "delays out of order");
    load_error("[pbs]\ndelays = 1ms, 1ms\n[variant.a]\n", "increasing order", "a delay twice");
    load_error("[pbs]\ndelays = 1ms, , 2ms\n[variant.a]\n", "empty entry", "an empty delay");
    load_error("[pbs]\ndelays = 5\n[variant.a]\n", "[pbs] delays", "a delay without a unit");
    load_error("[variant.a]\npublished = 3ms: 90%\n", "not one of [pbs] delays",
               "a published figure for a delay not listed");
    load_error("[variant.a]\npublished = 0ms: 120%\n", "a percentage", "a published 120 %");
    load_error("[variant.a]\npublished = 0ms 90%\n", "DELAY: PERCENT", "a figure without ':'");
    load_error("[variant.a]\npublished = 0ms: 90%, 0ms: 91%\n", "given twice",
               "a published delay twice");
    load_error("[variant.a]\nr = 4\n", "[variant.a] r", "r > n");
}

/* ---- determinism -------------------------------------------------------- */

static void test_determinism(void)
{
    tfixture m;
    tfixture_open(&m, &rg_experiment_pbs, "pbs-t.ini", wars);
    rg_mval a[16], b[16], c[16];
    m.ops->run(m.cfg, 1, 7, 5, tfixture_out(&m), NULL);
    memcpy(a, m.row, m.nmet * sizeof *a);
    m.ops->run(m.cfg, 1, 7, 5, tfixture_out(&m), NULL);
    memcpy(b, m.row, m.nmet * sizeof *b);
    m.ops->run(m.cfg, 1, 7, 6, tfixture_out(&m), NULL);
    memcpy(c, m.row, m.nmet * sizeof *c);
    ok(memcmp(a, b, m.nmet * sizeof *a) == 0, "same seed and replication: the same row");
    ok(memcmp(a, c, m.nmet * sizeof *a) != 0, "another replication: another row");

    rg_results *r1 = run_all(&m, 300, 1), *r2 = run_all(&m, 300, 2);
    ok(r1->nmet == r2->nmet &&
           memcmp(r1->rows, r2->rows, 2 * 300 * r1->nmet * sizeof *r1->rows) == 0,
       "1 and 2 threads: the same rows");
    rg_results_free(r1);
    rg_results_free(r2);
    tfixture_close(&m);
}

int main(void)
{
    plan(9 + 8 + 10 + 3);
    test_published();
    test_by_hand();
    test_errors();
    test_determinism();
    return 0;
}
