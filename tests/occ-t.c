/*
 * occ-t: optimistic commits under contention (occ.h).
 *
 * The AWS backoff study (FACTS.md), N = 50 clients, one write each,
 * |Normal(10 ms, 2 ms)| per message, base 5 ms, cap 2 s, over 200
 * replications: no jitter is worst on both work (commit attempts) and
 * completion time; full jitter does the least work; decorrelated finishes
 * first.  Each ordering must hold by more than 5 standard errors of the
 * difference of the means (Welch), so it is not luck of the seed; every
 * client lands in every replication, and the work is one commit per client
 * plus one per conflict.
 *
 * By hand, with a constant 10 ms network and no jitter: one client lands in
 * 1 attempt at 40 ms (read, answer, commit, answer); two clients both read
 * version 0 at 10 ms, commit at 30 ms, the first wins, the second hears of
 * its conflict at 40 ms, waits expo(1) = 2 x 5 ms = 10 ms, reads version 1
 * at 60 ms and lands at 90 ms: 3 attempts.
 *
 * The append storm: under a storm of 8 conflicts plus a random burst, the
 * window policy lands all three appends in every replication, the legacy
 * policy drops at least one in every replication.  Other stores: the object
 * lands every write; the KV "lands" every write but, with no conditional
 * put, holds fewer of them in most replications.  Also determinism, the
 * console extra and the trace.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/occ/occ.h"
#include "models/registry.h"
#include "tests/tap/basic.h"
#include "sim/run/runner.h"
#include "tests/tap/fixture.h"

#define REPS 200

typedef tfixture model;

static void open_model(model *m, const char *text)
{
    tfixture_open(m, &rg_experiment_occ, "occ-t.ini", text);
}

static void close_model(model *m)
{
    tfixture_close(m);
}

static void rep(model *m, size_t v, uint64_t seed, uint64_t r, FILE *trace, rg_occ_result *res)
{
    rg_repout *out = tfixture_out(m);
    rg_occ_run_detail(m->cfg, v, seed, r, out, trace, res);
    if (!rg_repout_done(out))
        bail("replication %llu did not finish: %s", (unsigned long long)r, rg_repout_error(out));
}

/* The study's setup (occ-backoff.ini). */
static const char *const study =
    "[occ]\nclients = 50\nwrites = 1\nnetwork = absnormal(10ms, 2ms)\nstore = row\n"
    "[backoff]\nbase = 5ms\nmultiplier = 2\ncap = 2s\nwindow = 1h\n"
    "[variant.none]\njitter = none\n[variant.full]\njitter = full\n"
    "[variant.equal]\njitter = equal\n[variant.decorrelated]\njitter = decorrelated\n";

enum { J_NONE, J_FULL, J_EQUAL, J_DECORR, NJ };
static const char *const jname[NJ] = {"none", "full", "equal", "decorrelated"};

typedef struct sample {
    double sum, sum2;
    int n;
} sample;

static void add(sample *s, double x)
{
    s->sum += x;
    s->sum2 += x * x;
    s->n++;
}

static double mean(const sample *s)
{
    return s->sum / s->n;
}
static double var(const sample *s)
{
    double m = mean(s);
    return (s->sum2 - s->n * m * m) / (s->n - 1);
}

/* a's mean exceeds b's by more than 5 standard errors of the difference. */
static bool above(const sample *a, const sample *b)
{
    double se = sqrt(var(a) / a->n + var(b) / b->n);
    return mean(a) - mean(b) > 5 * se;
}

static void test_study(void)
{
    model m;
    open_model(&m, study);
    sample work[NJ] = {{0}}, done[NJ] = {{0}};
    bool landed = true, accounted = true;
    for (uint64_t i = 0; i < REPS; i++)
        for (int j = 0; j < NJ; j++) {
            rg_occ_result r;
            rep(&m, (size_t)j, 2015, i, NULL, &r);
            add(&work[j], (double)r.t.attempts);
            add(&done[j], rg_time_sec(r.completion));
            landed =
                landed && r.t.landed == 50 && r.durable == 50 && r.t.silent == 0 && r.t.loud == 0;
            accounted = accounted && r.t.attempts == 50 + r.t.transient && r.reads == r.t.attempts;
        }
    for (int j = 0; j < NJ; j++)
        diag("%-12s work %7.1f   completion %8.1f ms", jname[j], mean(&work[j]),
             1e3 * mean(&done[j]));
    ok(above(&work[J_NONE], &work[J_FULL]) && above(&work[J_NONE], &work[J_EQUAL]) &&
           above(&work[J_NONE], &work[J_DECORR]),
       "N = 50: no jitter does the most work");
    ok(above(&done[J_NONE], &done[J_FULL]) && above(&done[J_NONE], &done[J_EQUAL]) &&
           above(&done[J_NONE], &done[J_DECORR]),
       "N = 50: no jitter takes the longest to complete");
    ok(above(&work[J_EQUAL], &work[J_FULL]) && above(&work[J_DECORR], &work[J_FULL]),
       "N = 50: full jitter does the least work");
    ok(above(&done[J_FULL], &done[J_DECORR]), "N = 50: decorrelated completes first");
    ok(landed, "every client lands in every replication, nothing lost or failed");
    ok(accounted, "work = one commit per client + one per conflict; one read per attempt");

    /* The same replication twice gives the same row. */
    rep(&m, J_DECORR, 2015, 9, NULL, NULL);
    rg_mval *first = rg_xcalloc(m.nmet, sizeof *first);
    memcpy(first, m.row, m.nmet * sizeof *first);
    rep(&m, J_DECORR, 2015, 9, NULL, NULL);
    ok(memcmp(first, m.row, m.nmet * sizeof *first) == 0, "a replication replays bit for bit");
    free(first);

    /* The console extra states the study's ordering. */
    rg_runopts o = {0};
    o.seed = 2015;
    o.reps = 30;
    o.threads = 1;
    rg_err e;
    rg_err_clear(&e);
    rg_results *res = rg_run(&rg_experiment_occ, m.cfg, &o, &e);
    if (res == NULL)
        bail("rg_run: %s", e.msg);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rg_experiment_occ.report_extra(m.cfg, res, f);
    fclose(f);
    ok(strstr(buf, "no jitter worst on work: yes; on completion: yes; full jitter least work: "
                   "yes") != NULL,
       "the console extra reports the study's ordering");
    free(buf);
    rg_results_free(res);
    close_model(&m);
}

static bool contains(FILE *f, const char *what)
{
    char line[512];
    rewind(f);
    while (fgets(line, sizeof line, f))
        if (strstr(line, what))
            return true;
    return false;
}

static void test_by_hand(void)
{
    model m;
    open_model(&m, "[occ]\nclients = 1\nnetwork = const(10ms)\n"
                   "[backoff]\nbase = 5ms\njitter = none\n"
                   "[variant.one]\n[variant.two]\nclients = 2\n");
    rg_occ_result r;
    rep(&m, 0, 1, 0, NULL, &r);
    ok(r.t.attempts == 1 && r.completion == 40 * RG_MS,
       "by hand: one client lands in 1 attempt at 40 ms");
    FILE *f = tmpfile();
    if (f == NULL)
        bail("tmpfile failed");
    rep(&m, 1, 1, 0, f, &r);
    ok(r.t.attempts == 3 && r.t.transient == 1 && r.durable == 2,
       "by hand: two clients: 3 attempts, 1 conflict, both durable");
    is_int(90 * RG_MS, r.completion, "by hand: the loser lands at 90 ms");
    ok(contains(f, "row rejects the commit: conflict (transient) (the version moved on)") &&
           contains(f, "backoff 10.000 ms") && contains(f, "landed (after 2 attempts"),
       "trace: the conflict, the 10 ms backoff and the landing");
    fclose(f);
    close_model(&m);
}

static void test_storm(void)
{
    model m;
    open_model(&m, "[occ]\nclients = 1\nwrites = 3\nnetwork = lognormal(median=500us, p99=3ms)\n"
                   "service = lognormal(median=1ms, p99=4ms)\n"
                   "[faults]\nstorm_count = 8\nstorm_duration = uniform(0, 200ms)\n"
                   "[variant.window]\npolicy = window\n[variant.legacy]\npolicy = legacy\n");
    bool all3 = true, drops = true;
    int64_t dropped = 0;
    for (uint64_t i = 0; i < REPS; i++) {
        rg_occ_result w, l;
        rep(&m, 0, 4004, i, NULL, &w);
        rep(&m, 1, 4004, i, NULL, &l);
        all3 = all3 && w.durable == 3 && w.t.landed == 3 && w.t.silent == 0 && w.t.loud == 0;
        drops = drops && l.t.silent >= 1 && l.durable == 3 - l.t.silent;
        dropped += l.t.silent;
    }
    ok(all3, "append storm: the window policy lands all three in every replication");
    ok(drops,
       "append storm: the legacy policy drops at least one in every replication "
       "(%lld in all)",
       (long long)dropped);
    close_model(&m);
}

static void test_stores(void)
{
    model m;
    open_model(&m, "[occ]\nclients = 10\n"
                   "[kv]\nwrite_rate = 0\n"
                   "[variant.object]\nstore = object\n[variant.kv]\nstore = kv\n");
    bool obj = true, kv_landed = true;
    int kv_lossy = 0;
    for (uint64_t i = 0; i < 100; i++) {
        rg_occ_result r;
        rep(&m, 0, 8, i, NULL, &r);
        obj = obj && r.t.landed == 10 && r.durable == 10 && r.t.attempts >= 10;
        rep(&m, 1, 8, i, NULL, &r);
        kv_landed = kv_landed && r.t.landed == 10 && r.t.silent == 0 && r.t.attempts == 10;
        kv_lossy += r.durable < 10;
    }
    ok(obj, "object store: every conditional write lands and is held");
    ok(kv_landed, "KV store: every write 'lands' at once (nothing can reject it)");
    ok(kv_lossy > 50, "KV store: yet the store holds fewer in most replications (%d of 100)",
       kv_lossy);
    close_model(&m);
}

int main(void)
{
    plan(17);
    test_study();
    test_by_hand();
    test_storm();
    test_stores();
    return 0;
}
