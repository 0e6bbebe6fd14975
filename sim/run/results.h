/*
 * results.h: the results file (HDF5).  This is the one module that speaks
 * HDF5; no other code sees an hid_t.
 *
 * Layout (doc/results-format.md is the reference for readers):
 *
 *   /                      attributes: format_version (1), tool
 *                          ("revguard-sim"), tool_version, scenario_name,
 *                          scenario_description, model, seed, replications
 *                          (asked), replications_done, complete (0/1),
 *                          gsl_version, hdf5_version, resolved_scenario,
 *                          created (wall-clock time: the one attribute that
 *                          differs between equal runs)
 *   /variants              attributes "order": variant names, in scenario
 *                          order; "groups": their group names, same order
 *   /variants/<group>      attribute "name": the variant's true name.  The
 *                          group is the name itself, or, for a name with '/'
 *                          or a leading '.', the name with those made '_'
 *                          (and "~k" appended if that clashes)
 *   .../summary            compound, one row per completed replication:
 *                          rep (uint64) + one field per metric (int64 or
 *                          double); attributes units, descriptions (strings)
 *                          and flags (uint32), one per field, and per metric
 *                          <metric>.mean, .sd, .ci95, .min, .max, .p05,
 *                          .p50, .p95, .p99 over the completed replications
 *   .../latency_histogram  compound {lo, hi, count}, RG_HIST_NBINS rows
 *   .../timeline           compound {t, allocated, rejected} of replication
 *                          0 (may be empty)
 *   .../latencies          double, chunked + shuffle + deflate; only with
 *                          --keep-latencies
 *
 * complete is 1 only when the run was not interrupted and every replication
 * asked for is in the file.  Strings are variable-length UTF-8; numbers are
 * little-endian; the format is capped at HDF5 1.8.
 *
 * The file is written (through the program's own HDF5 file driver, which
 * reports a failed write instead of letting HDF5 see it) to "<path>.tmp"
 * in the same directory (created exclusively and locked: a second writer of the same
 * path is refused), synced and renamed over <path> only when complete, so
 * a crash never leaves a file that looks finished.  A symbolic link, a
 * directory or anything but a regular file at <path> is never replaced.  Object time stamps are off, so
 * equal runs give byte-identical datasets.
 */
#ifndef RG_RESULTS_H
#define RG_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/run/runner.h"
#include "sim/engine/util.h"

typedef struct rg_meta {
    char *tool_version;
    char *scenario_name;
    char *description;
    char *model;
    char *resolved; /* resolved scenario text */
    char *created;  /* ISO 8601 UTC; set by the writer when NULL */
    uint64_t seed;
    bool complete;
    /* A part of a sharded run (--shard K/N): shard K of shards N, holding
     * replications first_rep .. first_rep + replications - 1 of
     * total_reps.  shards 0: a whole run. */
    uint64_t shard, shards, first_rep, total_reps;
} rg_meta;

void rg_meta_free(rg_meta *m); /* frees the strings, not m */

/* Checks before a run that `path` can be created (its directory exists and
 * is writable), that it is no symbolic link, directory or other
 * non-regular file (even with force), and that an existing file there is a
 * revguard-sim results file, unless force.  Fills e (RG_ERR_IO or
 * RG_ERR_INPUT) otherwise.  Then reserves path for this process
 * (rg_atomic_reserve): a second run writing the same file is refused now,
 * not at its end. */
int rg_results_check_path(const char *path, bool force, rg_err *e);

/* Writes r (replications 0..reps_done-1) and meta to path atomically. */
int rg_results_write(const char *path, const rg_results *r, const rg_meta *meta, rg_err *e);

/* Reads a results file.  On success *out and *meta are filled (free with
 * rg_results_free and rg_meta_free).  The file is untrusted input: links
 * out of it, external storage and claims it cannot hold are refused, and a
 * damaged file that would crash HDF5 is an error (results-read.c).  Like
 * rg_results_is_sweep and rg_results_is_ours it forks a child to read
 * first: call it before starting threads. */
int rg_results_read(const char *path, rg_results **out, rg_meta *meta, rg_err *e);

/* Reads only the root of a results file, a run's or a sweep's (sweep.h):
 * its meta, the replications done (per point for a sweep) and whether it
 * holds a sweep, with the checks rg_results_read makes of them.  Cheaper
 * than reading the rows, and a file that is not ours says so. */
int rg_results_look(const char *path, rg_meta *meta, uint64_t *done, bool *sweep, rg_err *e);

/* True if path is a results file of a sweep (sweep.h). */
bool rg_results_is_sweep(const char *path);
/* True if path is an HDF5 file written by revguard-sim. */
bool rg_results_is_ours(const char *path);

/* Library versions, for --version and provenance. */
void rg_results_lib_versions(char *buf, size_t n);

#endif
