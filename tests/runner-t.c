/*
 * runner-t.c: the replication runner with a tiny model whose output is
 * known by hand: replication i records i + 1 latencies and a row (i, i^2).
 *
 *  - rows are stored by replication whatever the thread count;
 *  - histograms count exactly the latencies of the replications run;
 *  - stopped by SIGINT part-way, the run keeps the complete prefix and the
 *    histograms describe exactly that prefix (tasks finished beyond it are
 *    taken out again);
 *  - a model that reports an error stops the run and names the replication.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/run/runner.h"
#include "tests/tap/basic.h"

static const rg_metric met[] = {
    {"rep", RG_MF_INT, "1", "the replication index", RG_MF_SHOW, RG_ROLE_NONE},
    {"square", RG_MF_REAL, "1", "its square", RG_MF_SHOW, RG_ROLE_NONE},
};

typedef struct fake {
    uint64_t interrupt_at; /* raise SIGINT when this replication runs (0: never) */
    uint64_t fail_at;      /* report an error at this replication (0: never) */
} fake;

static size_t nvar(const void *cfg)
{
    (void)cfg;
    return 2;
}

static const char *vname(const void *cfg, size_t v)
{
    (void)cfg;
    return v ? "b" : "a";
}

static const rg_metric *metrics(const void *cfg, size_t *n)
{
    (void)cfg;
    *n = 2;
    return met;
}

static void run(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out, FILE *trace)
{
    const fake *f = cfg;
    (void)trace;
    if (f->interrupt_at && rep == f->interrupt_at && v == 0)
        raise(SIGINT);
    /* Replications after the interrupt take a millisecond each, so that
     * the signal is seen (valgrind, for one, delivers it late) long before
     * the last task could be taken. */
    if (f->interrupt_at && rep > f->interrupt_at) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    if (f->fail_at && rep == f->fail_at) {
        rg_repout_fail(out, "made to fail");
        return;
    }
    for (uint64_t i = 0; i <= rep; i++)
        rg_repout_latency(out, 1e-3);
    rg_engine *e = rg_rep_begin(out, seed, rep);
    rg_rep_run(out, e, 0);
    rg_repout_row(out)[0].i = (int64_t)rep;
    rg_repout_row(out)[1].d = (double)rep * (double)rep;
    rg_rep_end(out, e);
}

static const rg_experiment ops = {
    .name = "fake",
    .nvariants = nvar,
    .variant_name = vname,
    .metrics = metrics,
    .run = run,
};

static uint64_t hist_total(const rg_results *r, size_t v)
{
    uint64_t n = 0;
    for (int b = 0; b < RG_HIST_NBINS; b++)
        n += r->hist[v * RG_HIST_NBINS + b];
    return n;
}

int main(void)
{
    plan(12);
    rg_err e;
    rg_err_clear(&e);
    fake f = {0, 0};
    rg_runopts o = {0};
    o.seed = 1;
    o.reps = 400;
    o.threads = 2;
    rg_results *r = rg_run(&ops, &f, &o, &e);
    bool rows = r != NULL && r->reps_done == 400;
    for (uint64_t i = 0; rows && i < 400; i++)
        rows = rg_results_value(r, 1, i, 0) == (double)i &&
               rg_results_value(r, 1, i, 1) == (double)i * (double)i;
    ok(rows, "rows are stored by replication (2 threads)");
    /* sum of (i + 1) for i < 400 */
    is_int(400 * 401 / 2, (long long)hist_total(r, 0), "histogram counts every latency");
    ok(!r->interrupted, "a full run is not marked interrupted");
    rg_results_free(r);

    f.interrupt_at = 250;
    r = rg_run(&ops, &f, &o, &e);
    ok(r != NULL && r->interrupted && r->reps_done >= 250 && r->reps_done < 400,
       "SIGINT stops the run after the tasks in flight (%llu complete)",
       r ? (unsigned long long)r->reps_done : 0ULL);
    uint64_t k = r ? r->reps_done : 0;
    is_int((long long)(k * (k + 1) / 2), (long long)hist_total(r, 0),
           "the histogram of variant a holds exactly the complete prefix");
    is_int((long long)(k * (k + 1) / 2), (long long)hist_total(r, 1),
           "the histogram of variant b too");
    rg_results_free(r);
    /* The signal stays noted until released: the next run would stop at
     * once (a signal between the points of a sweep). */
    r = rg_run(&ops, &f, &o, &e);
    ok(r != NULL && r->interrupted && r->reps_done == 0, "a run after a held signal stops at once");
    rg_results_free(r);
    ok(rg_run_release_signals(), "releasing the signals says one arrived");

    f.interrupt_at = 0;
    f.fail_at = 123;
    o.threads = 1;
    r = rg_run(&ops, &f, &o, &e);
    ok(r != NULL && r->error != NULL && strstr(r->error, "replication 123") &&
           strstr(r->error, "made to fail"),
       "a failing replication stops the run and is named: %s", r && r->error ? r->error : "");
    ok(r != NULL && !r->interrupted, "a failed run is not reported as interrupted");
    rg_results_free(r);

    f.fail_at = 0;
    o.threads = 2;
    o.check_determinism = true;
    r = rg_run(&ops, &f, &o, &e);
    ok(r != NULL && r->nondeterministic == NULL && r->reps_done == 400,
       "--check-determinism passes a deterministic model");
    o.check_determinism = false;
    rg_results_free(r);

    o.reps = 0;
    r = rg_run(&ops, &f, &o, &e);
    ok(r != NULL && r->reps_done == 0, "zero replications: an empty result, no crash");
    rg_results_free(r);
    return 0;
}
