/*
 * expect.h: regression expectations, so CI fails when an experiment's results
 * drift.
 *
 * An expectations file is INI: an optional [expect] section stating the
 * scenario, seed and replications it was made for (a run that differs is a
 * failure: comparing different experiments proves nothing), then one
 * [variant.NAME] section per variant with keys METRIC.STAT, where STAT is
 * one of mean, sd, min, max, p05, p50, p95, p99 over the replications:
 *
 *   oversell.max = 0              exact
 *   allocated.mean = 100 abs 0.5  |actual - 100| <= 0.5
 *   lat_p50.mean = 0.035 rel 5%   |actual - 0.035| <= 5 % of 0.035
 *   lat_p99.mean = 0.128 ci 3     within 3 x the run's own 95 % CI
 *                                 half-width of that mean ("ci" = 1x)
 *
 * "rel" takes a percentage and its '%' is required ("rel 5" is an error,
 * never 500 %).  A file must hold at least one expectation: one that
 * checks nothing is an input error, never "0 held, 0 moved".  A variant,
 * point or metric the results lack is a failure that names it.
 */
#ifndef RG_EXPECT_H
#define RG_EXPECT_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/run/results.h"
#include "sim/run/runner.h"

/* Checks r (with provenance m) against the file at path, printing one line
 * per expectation to out.  Returns the number of expectations that failed
 * (a missing variant or point counts once), or -1 with e set when the file
 * is unreadable, malformed or holds no expectation. */
int rg_expect_check(const char *path, const rg_results *r, const rg_meta *m, FILE *out, rg_err *e);

/* Writes an expectations file for r: for every shown metric its mean,
 * exact when the replications agree exactly and within 3 x the 95 % CI
 * otherwise, and max = 0 for metrics whose maximum matters and is 0.  The
 * file is written whole (rg_atomic, util.h); an existing file is replaced
 * only if this program wrote it (rg_expect_is_ours), or with force. */
int rg_expect_save(const char *path, rg_results *const *res, size_t np, const rg_meta *m,
                   bool force, rg_err *e);
/* rg_expect_save of one run's results, without force. */
int rg_expect_write(const char *path, const rg_results *r, const rg_meta *m, rg_err *e);
/* True if the file at path is an expectations file this program wrote
 * (its header comment says "written by revguard-sim"): for
 * rg_atomic_reserve before a run. */
bool rg_expect_is_ours(const char *path);

/* The same for a sweep's points res[0..np-1]: sections
 * [point.K.variant.NAME], and "points = N" in [expect] (np 1: a run's
 * file, as above).  rg_expect_write_points is rg_expect_save without
 * force. */
int rg_expect_check_points(const char *path, rg_results *const *res, size_t np, const rg_meta *m,
                           FILE *out, rg_err *e);
int rg_expect_write_points(const char *path, rg_results *const *res, size_t np, const rg_meta *m,
                           rg_err *e);

#endif
