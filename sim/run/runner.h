/*
 * runner.h: the interface every model implements, and the replication
 * runner that executes (replication, variant) tasks on J threads.
 *
 * A model turns a scenario into a configuration (load), names its variants
 * and the metrics it reports per replication, and runs one variant of one
 * replication (run).  A run owns its engine and everything else it touches:
 * the only shared data are the read-only configuration and the output slot
 * of its own task, so the runner may execute tasks on any thread in any
 * order.  Results are stored by (variant, replication) and every aggregate
 * is computed in replication order, so output is identical for any thread
 * count.
 *
 * Latency histograms are the one thing accumulated across tasks: each
 * worker thread adds integer counts into its own per-variant histogram and
 * the runner sums them at the end; integer addition makes the totals
 * independent of how tasks fell on threads.
 */
#ifndef RG_RUNNER_H
#define RG_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

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

/* What a metric means to code that is not the model's own: the run layer
 * (events, simulated end), report pages (oversell, latency quantiles, units
 * by kind of buyer, cost, stock).  Declared by the model in its metric
 * table, never guessed from a name.  Roles are not stored in results files:
 * a reader gets them back from the model that wrote the file
 * (rg_results_adopt_roles). */
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

/* The two metrics every model reports, filled by the replication skeleton
 * (the model lists them in its table; desc says what its end means). */
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

typedef struct rg_tlpoint {
    double t;     /* seconds since the start of the replication */
    int64_t a, b; /* counters: allocated so far, rejected so far */
} rg_tlpoint;

typedef struct rg_repout {
    rg_mval *row; /* one value per metric, filled by the model */
    bool done;
    /* Filled through the helpers below. */
    uint64_t *hist; /* the worker's histogram for this variant */
    bool keep_latencies;
    double *lat; /* raw latencies (s), if keep_latencies */
    size_t nlat, latcap;
    bool want_timeline; /* true for replication 0 */
    rg_tlpoint *tl;
    size_t ntl, tlcap;
    /* Event budget of the replication (0: none), set by the runner.  A
     * model whose engine stops on the budget writes a message to `error`:
     * the run then fails instead of reporting a truncated replication. */
    uint64_t max_events;
    /* The GSL generator type of the replication's streams ([scenario] rng),
     * set by the runner; NULL: the engine's default, MT19937. */
    const gsl_rng_type *rng_type;
    char error[256];
} rg_repout;

/* Records one request latency in seconds (histogram, raw list if kept). */
void rg_repout_latency(rg_repout *o, double seconds);
/* Appends a timeline point if the timeline is wanted. */
void rg_repout_timeline(rg_repout *o, double t, int64_t a, int64_t b);

/* ---- models ------------------------------------------------------------ */

typedef struct rg_results rg_results;

typedef struct rg_model_ops {
    const char *name;    /* the scenario's [scenario] model = NAME */
    const char *summary; /* one line for --help */
    /* Reads the model's sections; *cfg is freed with free_cfg. */
    int (*load)(rg_scn *s, void **cfg, rg_err *e);
    void (*free_cfg)(void *cfg);
    size_t (*nvariants)(const void *cfg);
    const char *(*variant_name)(const void *cfg, size_t v);
    const rg_metric *(*metrics)(const void *cfg, size_t *n);
    /* Runs variant v of replication rep and fills out->row.  `trace`, when
     * not NULL, receives a human-readable event log. */
    void (*run)(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                FILE *trace);
    /* Optional: extra console lines after the summary table (e.g. theory). */
    void (*report_extra)(const void *cfg, const rg_results *r, FILE *f);
} rg_model_ops;

/* ---- results ----------------------------------------------------------- */

struct rg_results {
    size_t nvar, nmet;
    char **varnames;    /* nvar names */
    rg_metric *met;     /* nmet metrics; strings owned */
    uint64_t reps;      /* replications asked for */
    uint64_t reps_done; /* replications 0..reps_done-1 are complete */
    uint64_t seed;
    bool interrupted;
    rg_mval *rows;  /* [(v * reps + r) * nmet + m] */
    uint64_t *hist; /* [v * RG_HIST_NBINS + b] */
    double **lat;   /* per variant: raw latencies in rep order, or NULL */
    size_t *nlat;
    rg_tlpoint **tl; /* per variant: timeline of replication 0 */
    size_t *ntl;
    uint64_t events;        /* all events of all completed tasks */
    double wall_seconds;    /* not part of the data: wall time of the run */
    char *error;            /* a replication failed (event budget): why */
    struct rg_summary *sum; /* summaries, computed once (rg_results_summary) */
    char *nondeterministic; /* --check-determinism: the first difference */
};

/* At most this many replications per run: the per-replication table is
 * held in memory, and readers refuse files claiming more. */
#define RG_MAX_REPS INT64_C(100000000)

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
} rg_runopts;

/* Runs every variant of replications 0..reps-1.  SIGINT/SIGTERM stop it
 * after the tasks in flight; then r->interrupted is set and reps_done says
 * how many replications are complete.  A replication that fails (r->error)
 * or differs between two runs (r->nondeterministic, with
 * check_determinism) also stops the run.  Returns NULL only on invalid
 * options. */
rg_results *rg_run(const rg_model_ops *ops, const void *cfg, const rg_runopts *o, rg_err *e);

/* An empty results object (for readers), with names copied. */
rg_results *rg_results_new(size_t nvar, const char *const *varnames, size_t nmet,
                           const rg_metric *met, uint64_t reps);
void rg_results_free(rg_results *r);
/* Value of metric m of variant v, replication i, as a double. */
double rg_results_value(const rg_results *r, size_t v, uint64_t i, size_t m);
/* Column of metric m for variant v over completed replications, into x
 * (reps_done doubles). */
void rg_results_column(const rg_results *r, size_t v, size_t m, double *x);
/* The summary over completed replications of metric m of variant v
 * (stats.h), computed for all metrics on first use and kept: call it only
 * once the rows are final.  The console table, the results file, the
 * expectations and the report all read the same numbers. */
const struct rg_summary *rg_results_summary(const rg_results *r, size_t v, size_t m);
/* Index of the metric called name, or -1. */
int rg_results_metric(const rg_results *r, const char *name);
/* Index of the first metric with that role, or -1. */
int rg_results_role(const rg_results *r, rg_mrole role);
/* Gives each metric of r the role of the metric of the same name in
 * met[0..nmet-1] (a model's declaration): for results read from a file. */
void rg_results_adopt_roles(rg_results *r, const rg_metric *met, size_t nmet);
int rg_results_variant(const rg_results *r, const char *name);

/* Prints the console summary: one row per shown metric, one column per
 * variant, mean ± 95 % CI. */
void rg_results_print(const rg_results *r, const char *title, FILE *f);

/* Number of online cores (at least 1). */
int rg_ncores(void);

#endif
