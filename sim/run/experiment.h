/*
 * experiment.h: the interface between the run layer and the experiments.
 *
 * An experiment (named by the scenario's [scenario] model = NAME) turns
 * a scenario into a configuration (load), names its variants and the
 * metrics it reports per replication, and runs one variant of one
 * replication (run).  A run owns its engine and everything else it
 * touches: the only shared data are the read-only configuration and the
 * rg_repout of its own task, so the runner may execute tasks on any
 * thread in any order.
 *
 * Every run has the same frame, the replication skeleton below, so the
 * event budget, its error text and the metrics every experiment reports
 * (events, simulated end) live in one place.  The run layer finds those
 * metrics, and report pages find theirs, by the role the experiment declares
 * in its metric table, never by name.
 *
 * Ownership: the run layer creates and frees every rg_repout
 * (rg_repout_new / rg_repout_free); an experiment only writes into it.
 */
#ifndef RG_EXPERIMENT_H
#define RG_EXPERIMENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"
#include "sim/engine/util.h"

/* ---- per-replication metrics ----------------------------------------- */

typedef enum { RG_MF_INT, RG_MF_REAL } rg_mftype;

/* How the console summary shows a metric. */
enum {
    RG_MF_SHOW = 1u << 0, /* mean and 95 % CI */
    RG_MF_MAX = 1u << 1,  /* also the maximum over replications */
    RG_MF_PROB = 1u << 2, /* a 0/1 indicator: shown as a probability */
    RG_MF_MS = 1u << 3    /* a time in seconds, shown in milliseconds */
};

/* What a metric means to code that is not the experiment's own: the run layer
 * (events, simulated end), report pages (oversell, latency quantiles, units
 * by kind of buyer, cost, stock, what buyers were told against what they
 * hold).  Declared by the experiment in its metric table, never guessed
 * from a name.  Roles are not stored in results files: a reader gets them
 * back from the experiment that wrote the file (rg_results_adopt_roles). */
typedef enum {
    RG_ROLE_NONE = 0,
    RG_ROLE_EVENTS,   /* events the engine processed (filled by the skeleton) */
    RG_ROLE_SIM_END,  /* simulated time of the last event (filled by the skeleton) */
    RG_ROLE_OVERSELL, /* units sold beyond the stock */
    RG_ROLE_STOCK,    /* the stock the timeline's counters run against */
    RG_ROLE_LAT_P50,  /* per-replication latency quantiles */
    RG_ROLE_LAT_P95,
    RG_ROLE_LAT_P99,
    RG_ROLE_UNITS_HUMANS, /* units won by each kind of buyer */
    RG_ROLE_UNITS_BOTS,
    RG_ROLE_COST, /* real cost of the replication */
    /* what buyers were told against what the stores hold (a flash sale) */
    RG_ROLE_ALLOCATED,     /* units clients were told were theirs */
    RG_ROLE_RELEASED,      /* of those, units given back (expired carts) */
    RG_ROLE_LOST_UPDATES,  /* told units the stores' stock does not reflect */
    RG_ROLE_UNACK,         /* units out of the stores' stock no client was told of */
    RG_ROLE_DUP_UNITS,     /* units a buyer holds beyond what it asked for */
    RG_ROLE_GHOST_UNITS,   /* units held beyond what their buyer was told of */
    RG_ROLE_TOLD_EMPTY,    /* buyers told "yours" who hold nothing */
    RG_ROLE_SOLDOUT_HELD,  /* buyers told "sold out" who hold a unit */
    RG_ROLE_LOST_SALES,    /* units left while buyers were turned away */
    RG_ROLE_HELD_OVERSELL, /* units the stores hold for buyers beyond the stock */
    RG_ROLE_COUNT
} rg_mrole;

typedef struct rg_metric {
    const char *name; /* column name: [a-z0-9_]+ */
    rg_mftype type;
    const char *unit; /* "1", "s", "requests", ... */
    const char *desc; /* one sentence */
    unsigned flags;
    rg_mrole role; /* RG_ROLE_NONE for most */
} rg_metric;

/* The two metrics every experiment reports, filled by the replication skeleton
 * (the experiment lists them in its table; desc says what its end means). */
#define RG_METRIC_EVENTS                                                                           \
    {                                                                                              \
        "events", RG_MF_INT, "events", "events processed by the engine", 0, RG_ROLE_EVENTS         \
    }
#define RG_METRIC_SIM_END(desc)                                                                    \
    {                                                                                              \
        "sim_end", RG_MF_REAL, "s", desc, 0, RG_ROLE_SIM_END                                       \
    }

typedef union rg_mval {
    int64_t i;
    double d;
} rg_mval;

/* ---- latency histogram ------------------------------------------------ */

/* Log-spaced bins over [1 us, 1000 s), 20 per decade, plus an underflow bin
 * [0, 1 us) and an overflow bin [1000 s, inf).  Edge i is the lower edge of
 * bin i; edge RG_HIST_NBINS is +inf. */
#define RG_HIST_PER_DECADE 20
#define RG_HIST_DECADES 9
#define RG_HIST_NBINS (RG_HIST_PER_DECADE * RG_HIST_DECADES + 2)
double rg_hist_edge(int i);
int rg_hist_bin(double seconds);

/* ---- one task's output ----------------------------------------------- */

/* ---- one task's output ----------------------------------------------- */

/* A point of the timeline of replication 0: two counters the experiment names
 * (rg_experiment.timeline), e.g. units allocated and requests rejected so
 * far. */
typedef struct rg_tlpoint {
    double t;     /* seconds since the start of the replication */
    int64_t a, b; /* the experiment's two counters */
} rg_tlpoint;

/* The output of one task: the row the experiment fills, the latencies and the
 * timeline it records, whether it finished or why it failed.  Opaque: made
 * by the run layer (rg_repout_new), written by the experiment through the
 * functions below. */
typedef struct rg_repout rg_repout;

/* A task output for metrics met[0..nmet-1] (borrowed: they must outlive
 * it), with the replication's event budget and generator. */
rg_repout *rg_repout_new(const rg_metric *met, size_t nmet, uint64_t max_events,
                         const gsl_rng_type *rng_type);
void rg_repout_free(rg_repout *o);
/* Clears o for the next task: row, error, latencies, timeline.  hist (may
 * be NULL) receives the task's latency histogram; a timeline is recorded
 * only if want_timeline, raw latencies only if keep_latencies. */
void rg_repout_reset(rg_repout *o, uint64_t *hist, bool keep_latencies, bool want_timeline);

/* The row the experiment fills: one value per metric, in the table's order. */
rg_mval *rg_repout_row(rg_repout *o);
/* Fails the task: the run stops and reports msg (e.g. a limit the experiment
 * ran into).  The budget's failure is rg_rep_run's. */
void rg_repout_fail(rg_repout *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Why the task failed, or NULL if it did not. */
const char *rg_repout_error(const rg_repout *o);
/* True once rg_rep_end has ended a task that did not fail. */
bool rg_repout_done(const rg_repout *o);
/* Events the task's engine processed (set by rg_rep_end). */
uint64_t rg_repout_events(const rg_repout *o);
/* Records one request latency in seconds (histogram, raw list if kept). */
void rg_repout_latency(rg_repout *o, double seconds);
/* Appends a timeline point if the timeline is wanted. */
void rg_repout_timeline(rg_repout *o, double t, int64_t a, int64_t b);
/* Hands the timeline or the raw latencies to the caller (who frees them)
 * and forgets them. */
rg_tlpoint *rg_repout_take_timeline(rg_repout *o, size_t *n);
double *rg_repout_take_latencies(rg_repout *o, size_t *n);

/* ---- the replication skeleton ------------------------------------------- */

/*
 *     rg_engine *e = rg_rep_begin(out, seed, rep);
 *     ... build the replication, schedule its first events ...
 *     rg_rep_run(out, e, horizon);
 *     ... the checker fills rg_repout_row(out) ...
 *     rg_rep_end(out, e);
 */

/* The replication's engine, with the streams of (seed, rep) and out's
 * generator: the engine of out's previous task, reset (rg_engine_reset),
 * so a worker allocates its engine once. */
rg_engine *rg_rep_begin(rg_repout *out, uint64_t seed, uint64_t rep);
/* Runs e until simulated time `until` under the event budget.  Returns
 * false when the budget stopped it, when simulated time reached its end
 * (RG_RUN_END_OF_TIME: a scenario whose delays add up to centuries) or
 * when a stop was requested (rg_rep_request_stop, checked every 2^20
 * events): out then holds the error, and the run fails when it ends (the
 * checker may still run, on a partial world) or, if interrupted
 * (rg_repout_interrupted), the task is dropped as unfinished. */
bool rg_rep_run(rg_repout *out, rg_engine *e, rg_time until);
/* Sets or clears the stop request that rg_rep_run checks.  Async-signal
 * safe: the runner's signal handler calls it. */
void rg_rep_request_stop(bool stop);
/* True if the task stopped on a stop request rather than failing. */
bool rg_repout_interrupted(const rg_repout *o);
/* Ends the replication: fills the metrics of roles RG_ROLE_EVENTS and
 * RG_ROLE_SIM_END from e, marks out done unless it failed, and gives e
 * back to out for its next task (e must not be used after this; out frees
 * it with rg_repout_free). */
void rg_rep_end(rg_repout *out, rg_engine *e);

/* ---- experiments ------------------------------------------------------------ */

typedef struct rg_results rg_results;

typedef struct rg_experiment {
    const char *name;    /* the scenario's [scenario] model = NAME */
    const char *summary; /* one line for --help */
    /* Reads the experiment's sections; *cfg is freed with free_cfg. */
    int (*load)(rg_scn *s, void **cfg, rg_err *e);
    void (*free_cfg)(void *cfg);
    size_t (*nvariants)(const void *cfg);
    const char *(*variant_name)(const void *cfg, size_t v);
    /* The metric table; with cfg NULL, the experiment's declaration (names,
     * units, roles) as it stands before a scenario adjusts what is shown. */
    const rg_metric *(*metrics)(const void *cfg, size_t *n);
    /* Names of the two counters of the timeline the experiment records
     * (rg_repout_timeline), or NULL if it records none. */
    const char *const *timeline;
    /* Runs variant v of replication rep into out, following the skeleton.
     * `trace`, when not NULL, receives a human-readable event log. */
    void (*run)(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                FILE *trace);
    /* Optional: extra console lines after the summary table (e.g. theory). */
    void (*report_extra)(const void *cfg, const rg_results *r, FILE *f);
    /* Optional: runs variant v of replication rep into out as run does, and
     * writes its history of operations (invoke/ok/fail/info records,
     * doc/histories.md) to f: JSON lines, or EDN if edn.  Returns 0, or -1
     * if writing f failed. */
    int (*history)(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out, FILE *f,
                   bool edn);
    /* Optional: an estimate (bytes, from the configuration: buyers,
     * requests, statements, the timeline) of the peak memory of one
     * replication of variant v, with raw latencies kept or not.  run
     * refuses, with the estimate, a run that will not fit --memory-limit. */
    uint64_t (*mem_bytes)(const void *cfg, size_t v, bool keep_latencies);
} rg_experiment;

#endif
