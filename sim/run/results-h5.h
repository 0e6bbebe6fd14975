/*
 * results-h5.h: what the results writer (results.c) and reader
 * (results-read.c) share: the format's constants, the names of its groups,
 * datasets and attributes, the in-memory row types and the typed HDF5
 * helpers.  Not a public API: only those two files include it, and nothing
 * else in the program may (it pulls in hdf5.h, and STYLE keeps every hid_t
 * inside the results module; the public API is results.h).
 *
 * The layout these names build is documented in results.h and, for readers
 * of the files, doc/results-format.md.  A name is spelled once, here, so
 * that writer and reader cannot drift apart.
 *
 * Conventions of every function below: a failure fills c->e (the caller's
 * rg_err, first error wins) with a message that starts with c->prefix and
 * returns -1 (or H5I_INVALID_HID); HDF5's automatic error printing must be
 * off (rh5_quiet) before any of them runs.  Handles are closed in reverse
 * order of opening by rh5_close_all.
 */
#ifndef RG_RESULTS_H5_H
#define RG_RESULTS_H5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hdf5.h>

#include "sim/run/results.h"

/* ---- format constants --------------------------------------------------- */

#define RH5_FORMAT_VERSION 1         /* root attribute format_version */
#define RH5_TOOL_NAME "revguard-sim" /* root attribute tool: what rg_results_is_ours looks for */

/* ---- layout names ------------------------------------------------------- */

/* Root attributes. */
#define RH5_A_FORMAT_VERSION "format_version"
#define RH5_A_TOOL "tool"
#define RH5_A_TOOL_VERSION "tool_version"
#define RH5_A_SCENARIO_NAME "scenario_name"
#define RH5_A_SCENARIO_DESC "scenario_description"
#define RH5_A_MODEL "model"
#define RH5_A_SEED "seed"
#define RH5_A_REPS "replications"
#define RH5_A_REPS_DONE "replications_done"
#define RH5_A_COMPLETE "complete"
#define RH5_A_GSL_VERSION "gsl_version"
#define RH5_A_HDF5_VERSION "hdf5_version"
#define RH5_A_RESOLVED "resolved_scenario"
#define RH5_A_CREATED "created"
/* Present on a part of a sharded run only (rg_meta). */
#define RH5_A_SHARD "shard"
#define RH5_A_SHARDS "shards"
#define RH5_A_FIRST_REP "first_replication"
#define RH5_A_TOTAL_REPS "total_replications"
/* Present (1) on a sweep's file: its root also holds the sweep's tables
 * (sweep.h). */
#define RH5_A_SWEEP "sweep"

/* The group of variants and its attributes (true names, group names). */
#define RH5_VARIANTS "variants"
#define RH5_A_ORDER "order"
#define RH5_A_GROUPS "groups"

/* In each variant's group: its true name and its datasets. */
#define RH5_A_NAME "name"
#define RH5_SUMMARY "summary"
#define RH5_HISTOGRAM "latency_histogram"
#define RH5_TIMELINE "timeline"
#define RH5_LATENCIES "latencies"

/* Attributes of the datasets, one value per field (units also on the
 * histogram, timeline and latencies). */
#define RH5_A_UNITS "units"
#define RH5_A_DESCRIPTIONS "descriptions"
#define RH5_A_FLAGS "flags"

/* The timeline's counters are named by the experiment that records them
 * (rg_experiment.timeline, tlnames of rh5_types_make).  An experiment that records
 * none still gets an empty timeline, whose fields have the names format 1
 * has always given them. */
#define RH5_TL_A "allocated"
#define RH5_TL_B "rejected"

/* Field 0 of the summary table; no metric may take this name. */
#define RH5_F_REP "rep"

/* ---- in-memory rows ----------------------------------------------------- */

/* One value of a summary row in memory: rep, then one cell per metric. */
typedef union rh5_cell {
    uint64_t u;
    int64_t i;
    double d;
} rh5_cell;

/* One histogram row in memory. */
typedef struct rh5_hrow {
    double lo, hi;
    uint64_t count;
} rh5_hrow;

/* ---- errors and handles (results.c) ------------------------------------- */

/* What a function needs to report a failure: the prefix of every message
 * (names the file) and the caller's error value.  Both borrowed.  A reader
 * also carries its budget: the bytes it may still allocate for what the
 * file claims to hold (rh5_read_file sets it, rh5_spend draws on it); the
 * writer leaves it 0, and `input` false. */
typedef struct rh5_ctx {
    const char *prefix;
    rg_err *e;
    uint64_t budget;
    bool input; /* reading an image in memory: HDF5 failures are input errors */
    /* Where a large table of replications may be kept in an unnamed file
     * instead of memory (rg_results_spill); NULL: in memory. */
    const char *spill_dir;
    /* The image being read, when it is a mapped copy of a large file
     * (rh5_read_file); NULL otherwise. */
    const unsigned char *image;
    size_t image_size;
    /* Set in the vetting child (rh5_read_file), whose result set is
     * thrown away: a table's rows are passed through scratch memory
     * (rg_results_scratch), never written to a file. */
    bool pass_through;
    /* A look at the root that a read of the same file follows: a large
     * file's mapped copy is kept for it (rh5_read_file). */
    bool keep_image;
    /* Only the child's verdict is wanted (rg_results_is_ours): the child
     * reads the file in place, through `direct` (its path), instead of an
     * image of it, and the caller reads nothing (rh5_read_file). */
    bool verdict_only;
    const char *direct;
} rh5_ctx;

/* Switches off HDF5's automatic error printing and its loading of filter
 * plugins (a file must not make the program load code); every public
 * function of the results module calls it on entry. */
static inline void rh5_quiet(void)
{
    /* Cannot fail once the library is up; if they did, HDF5 would only
     * print, and the reader refuses unknown filters itself. */
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    (void)H5PLset_loading_state(0);
}

/* s, or "" for NULL. */
static inline const char *rh5_nz(const char *s)
{
    return s ? s : "";
}

/* Fills c->e for the HDF5 call that just failed, on object `name` of loc
 * (either may be absent: -1, NULL): "<prefix>: <what> '<name>' at <where>:
 * <reason>", the reason being the system's (errno text) when HDF5 recorded
 * one.  Must run before any other HDF5 call, which would reset the error
 * stack.  Returns -1. */
int rh5_fail(rh5_ctx *c, hid_t loc, const char *name, const char *what);

/* Closes ids[n-1] down to ids[0] (reverse order of opening; negative ids
 * are skipped), all of them even if one fails, and marks them closed; on a
 * failure fills c->e unless an error is already there.  Returns -1 if
 * anything failed before or now (rc < 0), else 0. */
int rh5_close_all(rh5_ctx *c, hid_t *ids, size_t n, int rc);

/* ---- types and property lists (results.c) ------------------------------- */

/* The types shared by writer and reader.  File types are packed and
 * little-endian; memory types match rh5_cell rows, rh5_hrow and
 * rg_tlpoint.  Owned by whoever called rh5_types_make. */
typedef struct rh5_types {
    hid_t str;          /* variable-length UTF-8 string, file and memory */
    hid_t sum_f, sum_m; /* summary row: rep + one field per metric */
    hid_t hist_f, hist_m;
    hid_t tl_f, tl_m;
} rh5_types;

/* Builds every type for the metrics met[0..nmet-1] (none: the summary
 * types have the field rep only).  On failure the types built so far are
 * left for the caller's rh5_types_close, which must always follow. */
int rh5_types_make(rh5_ctx *c, const rg_metric *met, size_t nmet, const char *const *tlnames,
                   rh5_types *t);

/* Closes every type of t as rh5_close_all does (a result rc < 0 is kept)
 * and marks them closed. */
int rh5_types_close(rh5_ctx *c, rh5_types *t, int rc);

/* ---- writing (results.c) ------------------------------------------------- */

/* The writer's handles that every helper needs. */
typedef struct rh5_wctx {
    rh5_ctx c;
    rh5_types t;
    hid_t gcpl, dcpl; /* creation property lists without time stamps */
} rh5_wctx;

/* Typed writers: an attribute of loc (a scalar, or an array of n; an empty
 * array has a null dataspace), and a 1-D dataset of n elements of ftype
 * read from buf as mtype (buf NULL: left for the caller to write),
 * returned open (H5I_INVALID_HID on failure).
 * Each returns -1 with the context's error filled on failure. */
int rh5_put_attr(rh5_wctx *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, bool scalar,
                 size_t n, const void *buf);
int rh5_put_str(rh5_wctx *w, hid_t loc, const char *name, const char *s);
int rh5_put_u64(rh5_wctx *w, hid_t loc, const char *name, uint64_t x);
int rh5_put_int(rh5_wctx *w, hid_t loc, const char *name, int x);
int rh5_put_f64(rh5_wctx *w, hid_t loc, const char *name, double x);
int rh5_put_strs(rh5_wctx *w, hid_t loc, const char *name, const char *const *s, size_t n);
hid_t rh5_put_dset(rh5_wctx *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t n,
                   const void *buf, hid_t dcpl);

/* A run's root attributes (meta, and r's replication counts), and the
 * group of its variants in loc, as a run file has them. */
int rh5_put_root(rh5_wctx *w, hid_t f, const rg_results *r, const rg_meta *meta);
int rh5_put_variants(rh5_wctx *w, hid_t loc, const rg_results *r);

/* Fills the open in-memory file f from job. */
typedef int (*rh5_fill_fn)(rh5_wctx *w, hid_t f, const void *job);
typedef struct rh5_runjob {
    const rg_results *r;
    const rg_meta *meta;
} rh5_runjob;

/* Writes a results file at path atomically (temporary file, rename): the
 * types are made for r's metrics and timeline, fill writes the content. */
int rh5_write_file(const char *path, const rg_results *r, rh5_fill_fn fill, const void *job,
                   rg_err *e);

/* ---- reading a file safely (results-h5.c) ------------------------------- */

/* One read of an open file: fills arg from f, or fails with c->e filled.
 * drop frees what a successful read put into arg (and empties it). */
typedef int (*rh5_read_fn)(rh5_ctx *c, hid_t f, void *arg);
typedef void (*rh5_drop_fn)(void *arg);

/* Reads the file at path with fn, treating it as hostile.  The file is
 * loaded once (a regular file that starts with HDF5's signature, else
 * RG_ERR_INPUT), so every read below sees the same bytes: into memory,
 * or, from REVGUARD_SPILL_MIN bytes, into an unnamed file beside it that
 * is mapped (c->image; in memory where that file cannot be made).
 * HDF5 1.10 is not safe on damaged files (a corrupt heap makes it copy out
 * of bounds or follow wild pointers), so fn first runs in a child process
 * on that image, then drop; only if the child finishes cleanly within
 * RH5_VET_SECONDS does fn run here, on the same image.  A child that
 * crashes or hangs makes the file "not a valid revguard-sim results file"
 * (RG_ERR_INPUT); a child's error is passed on as it was.  c->budget is
 * set from the file's size.  With c->verdict_only, fn runs only in the
 * child, on the file itself: nothing is loaded or copied.  With
 * c->keep_image, a mapped copy that read
 * cleanly is kept for the next call, which takes it if it reads the same
 * file, unchanged (same device, inode, size and times), and lets it go
 * otherwise.  Call it with no other thread of the program running (the
 * child is forked). */
int rh5_read_file(rh5_ctx *c, const char *path, rh5_read_fn fn, rh5_drop_fn drop, void *arg);
/* Lets the pages of the image read so far go back to its file, when the
 * image is a mapped copy (c->image): a reader calls it as it passes large
 * tables, so that it never holds the whole file.  Nothing otherwise. */
void rh5_let_image_go(const rh5_ctx *c);

/* Takes bytes from c->budget for `what` (a phrase naming what the file
 * claims, e.g. "dataset timeline of 2^40 rows"); -1 with c->e filled when
 * the file cannot hold that much. */
int rh5_spend(rh5_ctx *c, uint64_t n, uint64_t size, const char *what);

/* ---- reading (results-read.c) -------------------------------------------- */

/* Checks that file f is one of ours and reads the root attributes: meta,
 * the replications asked for and done, and whether the file holds a
 * sweep.  On failure meta may hold strings (rg_meta_free). */
int rh5_get_root(rh5_ctx *c, hid_t f, rg_meta *meta, uint64_t *reps, uint64_t *done, bool *sweep);
/* Opens group `name` of loc, which must be a hard link (no soft or
 * external link, no path); H5I_INVALID_HID with c->e filled otherwise. */
hid_t rh5_open_group(rh5_ctx *c, hid_t loc, const char *name);
/* Reads the group of variants in loc into a new result set (*out). */
int rh5_read_variants(rh5_ctx *c, hid_t loc, uint64_t reps, uint64_t done, rg_results **out);
/* Reads attribute `name` of loc: n values of mtype (checked for class and
 * size), or a string (new). */
int rh5_get_attr(rh5_ctx *c, hid_t loc, const char *name, hid_t mtype, size_t n, void *buf);
int rh5_get_str(rh5_ctx *c, hid_t loc, const char *name, char **out);
/* An attribute of n strings (new array of new strings), or NULL; and the
 * number of values an attribute holds, or -1. */
char **rh5_get_strs(rh5_ctx *c, hid_t loc, const char *name, size_t n);
hssize_t rh5_attr_len(rh5_ctx *c, hid_t loc, const char *name);
/* Fills c->e with "not a valid revguard-sim results file: ...".  Returns -1. */
int rh5_bad(rh5_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
