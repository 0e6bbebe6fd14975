/*
 * sweeprep.h: the report of a parameter sweep (sim/run/sweep.h): how the key
 * metrics move with the sweep's variables, for people who read plots.
 *
 * Like a run's report (report.h) it writes, into one directory, a gnuplot
 * script (.gp) and data file (.dat) per page, one PNG per page, one
 * multi-page report.pdf (a title page first) and a CSV, sweep-summary.csv.
 * The pages, each only when its data exist:
 *
 *   - one axis (one variable, or variables stepping in lockstep): per key
 *     metric, its mean against the variable with the 95 % CI as a band, every
 *     variant on one plot, a log x axis for a log range, and a dashed marker
 *     where a variant's mean first reaches or first leaves 0;
 *   - two axes: per key metric a heatmap per variant (up to six variants a
 *     page), both axes labelled;
 *   - more axes: the heatmaps over the first two, the others held at their
 *     first value (the title page says so).
 *
 * Key metrics are found by role (sim/run/experiment.h): oversell, latency p50
 * and p99, cost; an experiment that declares none of these has its shown
 * metrics (RG_MF_SHOW) plotted instead.
 */
#ifndef RG_SWEEPREP_H
#define RG_SWEEPREP_H

#include "sim/run/results.h"
#include "sim/run/sweep.h"
#include "sim/engine/util.h"

/* Writes the report of sweep sw with metadata m (the sweep file's: its
 * scenario name, description, model, seed) into directory dir, created if
 * missing (its parent must exist).  The pages find their metrics by role:
 * results read from a file carry none, so the caller gives each point's
 * results the roles of the experiment first (rg_results_adopt_roles).
 * Every point must have the same variants and metrics (rg_sweep_check).
 * Scenario, variable, variant and metric texts reach gnuplot only escaped.
 * Returns 0, or -1 with e set: RG_ERR_INPUT for a sweep without points,
 * RG_ERR_IO for an unwritable directory or gnuplot missing or failing. */
int rg_report_sweep(const rg_sweep *sw, const rg_meta *m, const char *dir, rg_err *e);

#endif
