/*
 * sweep.h: the results of a parameter study: one result set per point of
 * the iteration variables (iter.h), with the variables' values, and the
 * HDF5 file that holds them all.
 *
 * File layout (doc/results-format.md has the reference): the root carries
 * a run's attributes (replications and replications_done are per point;
 * complete means every point is), plus
 *   sweep                        1
 *   sweep_variables              the variables' names, in definition order
 *   sweep_log                    1 for a log range, per variable
 *   sweep_points                 the number of points
 *   common_random_numbers        1 if replication r drew the same streams
 *                                at every point
 *   /points                      one row per point: point, then per
 *                                variable its value in SI base units (a
 *                                double, NaN for text) and "<name>_text"
 *   /sweep_summary               one row per (point, variant, metric): n,
 *                                mean, sd, ci95, min, max, p05, p50, p95, p99
 *   /point/<k>                   attributes seed, resolved_scenario,
 *                                replications_done, complete; and a group
 *                                "variants" laid out as a run's
 *
 * Every point must have the same variants and metrics (rg_sweep_check).
 */
#ifndef RG_SWEEP_H
#define RG_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/run/results.h"

typedef struct rg_sweep {
    size_t nvars;
    char **vars; /* names */
    bool *log;   /* log range (plots take a log axis) */
    size_t npoints;
    double *value;    /* [k * nvars + v]: SI base units, NaN for text */
    char **text;      /* [k * nvars + v] */
    uint64_t *seed;   /* per point: the seed its replications used */
    char **resolved;  /* per point: its resolved scenario */
    rg_results **res; /* per point (owned) */
    bool crn;         /* common random numbers across points */
} rg_sweep;

/* An empty sweep of npoints points over the variables names[0..nvars-1]. */
rg_sweep *rg_sweep_new(size_t nvars, const char *const *names, const bool *log, size_t npoints);
void rg_sweep_free(rg_sweep *sw);

/* Checks that every point holds results with the variants and metrics of
 * point 0.  Returns 0, or -1 with e set (RG_ERR_INPUT). */
int rg_sweep_check(const rg_sweep *sw, rg_err *e);

/* Writes sw atomically to path; meta is the study's (its resolved text is
 * the template: the file's text and the --set and --vary given). */
int rg_sweep_write(const char *path, const rg_sweep *sw, const rg_meta *meta, rg_err *e);
/* Reads a sweep's file.  On success *out and *meta are filled. */
int rg_sweep_read(const char *path, rg_sweep **out, rg_meta *meta, rg_err *e);

#endif
