/*
 * resultset.h: the results of a run: one row of metrics per (variant,
 * replication), the latency histograms, raw latencies if kept, the
 * timeline of replication 0, and summaries computed once.  Made by the
 * runner (runner.h) or by the results file's reader (results.h); read by
 * the console table, the results writer, expectations and reports.
 *
 * Every aggregate is computed in replication order, so the same run gives
 * the same numbers whatever the thread count.
 */
#ifndef RG_RESULTSET_H
#define RG_RESULTSET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/run/experiment.h"

/* At most this many replications per run: the per-replication table is
 * held in memory, and readers refuse files claiming more. */
#define RG_MAX_REPS INT64_C(100000000)

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
    rg_tlpoint **tl;  /* per variant: timeline of replication 0 */
    char *tlnames[2]; /* the experiment's names of the timeline's counters, or NULL */
    size_t *ntl;
    uint64_t events;        /* all events of all completed tasks */
    double wall_seconds;    /* not part of the data: wall time of the run */
    char *error;            /* a replication failed (event budget): why */
    struct rg_summary *sum; /* summaries, computed once (rg_results_summary) */
    char *nondeterministic; /* --check-determinism: the first difference */
    size_t spilled;         /* bytes of rows mapped from a file (rg_results_spill), 0: in memory */
};

/* Rows of at least this many bytes are kept in a file (rg_results_spill)
 * unless the environment's REVGUARD_SPILL_MIN says otherwise. */
#define RG_SPILL_MIN (256u << 20)

/* An empty results object (for readers), with names copied. */
rg_results *rg_results_new(size_t nvar, const char *const *varnames, size_t nmet,
                           const rg_metric *met, uint64_t reps);
void rg_results_free(rg_results *r);
/* Appends the replications of b (which ran the ones after a's last) to a:
 * rows, histograms, raw latencies (kept only if both kept them), events;
 * a's timeline stays (it is replication 0's).  Afterwards a holds a's and
 * b's replications done, as one run of them all would.  The rows are
 * copied in place where a has room for them (rg_results_grow; its
 * replications asked for stay what they were), else made anew in memory
 * for exactly a's and b's (and asked for).  -1 with e set if their
 * variants or metrics differ. */
int rg_results_append(rg_results *a, const rg_results *b, rg_err *e);
/* Makes room for `reps` replications asked for (reps_done unchanged): a
 * run assembled from parts that stopped early. */
void rg_results_reserve(rg_results *r, uint64_t reps);
/* Gives r room for exactly `reps` replications (reps_done unchanged, at
 * most reps; replications asked for: reps) before replications are
 * appended (rg_results_append), so that appending copies them into place
 * instead of making the rows anew each time: in an unnamed file in directory dir if the rows take as much
 * as rg_results_spill spills (dir NULL: never), else in memory.  The rows
 * done move there; spilled rows on either side are let go as they are
 * copied, so joining parts of a million replications holds a few pages of
 * rows, not the table.  0, or -1 with e set (r unchanged) if the file
 * could not be made. */
int rg_results_grow(rg_results *r, uint64_t reps, const char *dir, rg_err *e);
/* Gives r, made for no replications, room for `reps` of them in an
 * unnamed file in directory dir mapped into memory, if the rows that will
 * be written, the first `used` (<= reps) of each variant, take at least
 * RG_SPILL_MIN bytes (or REVGUARD_SPILL_MIN, bytes, from the environment)
 * and dir is not itself in memory (tmpfs): the system then writes them to
 * disk, and rows let go (rg_results_let_go) leave the process's memory, so
 * a run of a million replications holds little more than the replications
 * in flight.  The rows are never allocated in memory first.  The file has
 * no name, so nothing is left behind, and the space of the rows used is
 * set aside at once (the rest is a hole: a file read back claims no space
 * for replications it never ran).  Returns 1 if spilled (r->reps is then
 * reps), 0 if not (r unchanged: rg_results_reserve gives it the rows in
 * memory), -1 (e says why) if the file could not be made or its space set
 * aside. */
int rg_results_spill(rg_results *r, const char *dir, uint64_t reps, uint64_t used, rg_err *e);
/* Gives r, made for no replications, rows for `reps` replications that
 * rg_results_let_go discards instead of keeping (anonymous memory,
 * reserved as it is touched): for a reader that passes the rows through
 * and never reads them back once let go, the vetting child of the results
 * reader (results-h5.c), which would otherwise write a large table to a
 * file only to throw it away.  Rows let go read back as zeros.  True if
 * made; false (r unchanged) if the mapping could not be. */
bool rg_results_scratch(rg_results *r, uint64_t reps);
/* True if directory dir lives in memory (tmpfs, ramfs): rows are not
 * spilled there, since that saves nothing, and a small one (a container's
 * /dev/shm) would refuse a run that fits in memory. */
bool rg_in_memory_fs(const char *dir);
/* A new file in directory dir with no name, open for reading and writing
 * (close-on-exec): O_TMPFILE where the file system has it, else a name
 * removed at once.  Nothing is left behind when it is closed.  -1 (errno)
 * if it cannot be made. */
int rg_unnamed_file(const char *dir);
/* The size from which rows are spilled, into *min: RG_SPILL_MIN, or
 * REVGUARD_SPILL_MIN from the environment.  -1 with e set if that is not
 * a number of bytes. */
int rg_results_spill_min(uint64_t *min, rg_err *e);
/* What a spilled run still holds in memory for its results, about: the
 * columns the summaries read at a time (at most 64 MB, at most a quarter
 * of the size from which rows spill) and 24 bytes a replication (the
 * summaries' scratch, the runner's per-task flags). */
#define RG_SPILL_COLS (UINT64_C(64) << 20)
#define RG_SPILL_RESIDENT(reps, spill_min)                                                         \
    (((spill_min) / 4 < RG_SPILL_COLS ? (spill_min) / 4 : RG_SPILL_COLS) +                         \
     UINT64_C(24) * (uint64_t)(reps))
/* Lets the memory of the rows of variant v, replications from..to-1, go
 * back to the file (spilled rows only; they read back on the next use),
 * whole pages only.  Returns the replication to start the next call from,
 * so that successive calls leave no page behind. */
uint64_t rg_results_let_go(const rg_results *r, size_t v, uint64_t from, uint64_t to);
/* For a loop over the n replications of variant v that reads spilled
 * rows: call it after replication i with what it returned last (0 at the
 * start); every 4,096 replications, and after the last, the rows read go
 * back to their file, so the loop holds a few pages, not the variant's
 * table.  Nothing for rows in memory. */
static inline uint64_t rg_results_read_past(const rg_results *r, size_t v, uint64_t gone,
                                            uint64_t i, uint64_t n)
{
    if (r->spilled == 0 || ((i + 1) % 4096 != 0 && i + 1 != n))
        return gone;
    return rg_results_let_go(r, v, gone, i + 1);
}
/* Names the timeline's two counters (copied; names NULL: unnamed). */
void rg_results_set_timeline_names(rg_results *r, const char *const *names);
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
 * met[0..nmet-1] (an experiment's declaration): for results read from a file. */
void rg_results_adopt_roles(rg_results *r, const rg_metric *met, size_t nmet);
int rg_results_variant(const rg_results *r, const char *name);

/* Prints the console summary: one row per shown metric, one column per
 * variant, mean ± 95 % CI in the metric's unit (named beside it), "n/a"
 * where no replication had a value. */
void rg_results_print(const rg_results *r, const char *title, FILE *f);

/* The CSV column name of metric m: its name, with its unit after an
 * underscore for a measured (real-valued) metric ("lat_p50_s",
 * "cost_real_usd"); counts and ratios keep their name.  Into buf. */
void rg_csv_column(char *buf, size_t n, const rg_metric *m);
/* Writes ",VALUE" for value x of metric m: integers as they are, reals in
 * the fewest digits that read back exactly (rg_fmt_shortest). */
void rg_csv_value(FILE *f, const rg_metric *m, rg_mval x);

#endif
