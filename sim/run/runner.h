/*
 * runner.h: the replication runner, which executes (replication, variant)
 * tasks of an experiment (experiment.h) on J threads and gathers them into a result
 * set (resultset.h).
 *
 * Tasks are numbered rep-major and results stored by (variant,
 * replication); latency histograms are the one thing accumulated across
 * tasks, by integer addition into per-worker histograms summed at the end,
 * so the totals do not depend on how tasks fell on threads.
 */
#ifndef RG_RUNNER_H
#define RG_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/run/experiment.h"
#include "sim/run/resultset.h"

typedef struct rg_runopts {
    uint64_t seed;
    uint64_t reps;
    int threads; /* 0: number of online cores */
    bool keep_latencies;
    bool progress;                /* allow a progress bar when stderr is a tty */
    const char *label;            /* shown in the progress bar */
    uint64_t max_events;          /* per replication (0: no limit) */
    const gsl_rng_type *rng_type; /* streams' generator (NULL: MT19937) */
    bool check_determinism;       /* run every task twice and compare rows */
    /* Only these variants, in this order (indices into the experiment's
     * variants); NULL: every variant. */
    const size_t *only;
    size_t nonly;
    /* The run holds replications first_rep .. first_rep + reps - 1 (stored
     * from row 0): a run that extends another. */
    uint64_t first_rep;
    /* A directory for the rows of a large run (rg_results_spill), NULL: in
     * memory whatever their size. */
    const char *spill_dir;
} rg_runopts;

/* Runs the variants of o (all, or o->only) for replications first_rep ..
 * first_rep + reps - 1.  SIGINT, SIGTERM or SIGHUP stop it: tasks in
 * flight end at their next slice of events (rg_rep_run) and are dropped;
 * then r->interrupted is set and reps_done says how many replications are
 * complete.  The first rg_run takes those signals and holds them until
 * rg_run_release_signals, so that a signal while the results are written
 * is noted (rg_run_signalled), never fatal; a signal between two runs
 * stops the next one at once.  A replication that fails (r->error) or differs between two
 * runs (r->nondeterministic, with check_determinism) also stops the run.
 * Returns NULL only on invalid options. */
rg_results *rg_run(const rg_experiment *ops, const void *cfg, const rg_runopts *o, rg_err *e);
/* True if a held signal arrived since the first rg_run. */
bool rg_run_signalled(void);
/* Gives SIGINT, SIGTERM and SIGHUP back their former handlers; returns
 * whether one of them arrived while held.  The caller exits 130 then. */
bool rg_run_release_signals(void);

/* Runs variant v of replication rep alone, as it runs inside rg_run (same
 * streams, budget and generator from o), writing its event log to trace
 * (may be NULL).  Returns its output: free with rg_repout_free.  Check
 * rg_repout's error before reading the row. */
rg_repout *rg_run_one(const rg_experiment *ops, const void *cfg, const rg_runopts *o, size_t v,
                      uint64_t rep, FILE *trace);
/* The same replication through the experiment's history operation (which
 * it must have), its history written to f (JSON lines, or EDN if edn).
 * *wrote is the operation's return: -1 if writing f failed. */
rg_repout *rg_run_history(const rg_experiment *ops, const void *cfg, const rg_runopts *o, size_t v,
                          uint64_t rep, FILE *f, bool edn, int *wrote);

/* Number of online cores (at least 1). */
int rg_ncores(void);

#endif
