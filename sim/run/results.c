/*
 * results.c: the results file in HDF5, writing side (layout in results.h;
 * the reference for readers is doc/results-format.md): rg_results_write,
 * over the helpers it shares with the reader (results-read.c) through the
 * private header results-h5.h (results-h5.c): error reporting, closing
 * handles, the types and the file access lists.  These three are the only
 * files of the program that include hdf5.h (through results-h5.h); no
 * other code sees an hid_t.
 *
 * Every HDF5 status is checked.  A failure becomes an rg_err that names the
 * file, the object and the reason: HDF5 keeps the system's reason (errno
 * text) deep in its error stack, so h5_reason() digs it out right after the
 * failing call, before any cleanup call resets the stack.  HDF5's automatic
 * error printing is switched off on entry to every public function.  Each
 * function has one cleanup path that closes its handles in reverse order.
 *
 * Writing: HDF5 builds the file through a file driver of ours (the sink,
 * below) straight into path's temporary "<path>.tmp" (rg_atomic, util.h:
 * created exclusively and locked, never through a symlink, never over a
 * device), which is then synced and renamed over path.  HDF5 itself never
 * sees a failed write, because HDF5 1.10 cannot recover from one: once
 * closing a dataset fails (disk full), the file can no longer be closed and
 * the library crashes at exit.  The sink passes each write on with
 * pwrite(2), keeps the first errno and from then on writes nothing, always
 * answers HDF5 with success, and serves HDF5's reads of metadata from pages
 * it keeps in memory (never from a disk that may hold garbage); the errno
 * is reported exactly once HDF5 has closed the file.  Memory: the summary
 * rows are converted and written SUM_BLOCK rows at a time, and the sink
 * keeps only the pages that hold metadata (about 200 KiB for drop125,
 * whatever the replications), so writing needs little beyond the result
 * set itself (until issue 18, the whole image was held in memory twice).
 * The driver keeps the core driver's features, so the files are byte for
 * byte those the in-memory image gave.
 *
 * Determinism: object time stamps are off on every group and dataset, the
 * format is capped at HDF5 1.8 (libver bounds EARLIEST..V18) so a newer
 * library does not switch to newer structures, the file is little-endian on
 * every host, and everything is written in a fixed order.  The root
 * attribute "created" is the one thing that differs between equal runs.
 * (The lower bound stays EARLIEST, so files keep the layout they have
 * always had; with a version-2 superblock, HDF5 1.10.8's H5Fget_file_image,
 * which the writer used before, gave an image whose superblock checksum was
 * wrong.)
 */
#include "sim/run/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_version.h>

#include "sim/run/results-h5.h"
#include "sim/engine/stats.h"

#define LAT_CHUNK 65536 /* doubles per chunk of latencies (512 KiB) */
#define LAT_DEFLATE 4   /* zlib level: most of level 9's gain at a fraction of its cost */
#define SUM_BLOCK 2048  /* summary rows converted and written at a time (about 0.5 MiB) */

/* The summary statistics stored as "<metric>.<stat>" attributes of each
 * summary dataset.  Written only: the reader does not need them. */
static const char *const stat_names[] = {"mean", "sd",  "ci95", "min", "max",
                                         "p05",  "p50", "p95",  "p99"};
#define NSTATS (sizeof stat_names / sizeof stat_names[0])

/* ---- writing ------------------------------------------------------------ */

/* Writes attribute `name` of loc: one value (scalar) or an array of n, of
 * memory type mtype stored as ftype.  An empty array has a null dataspace. */
int rh5_put_attr(rh5_wctx *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, bool scalar,
                 size_t n, const void *buf)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* space, attribute */
    hsize_t dim = n;
    int rc = -1;
    ids[0] = scalar   ? H5Screate(H5S_SCALAR)
             : n == 0 ? H5Screate(H5S_NULL)
                      : H5Screate_simple(1, &dim, NULL);
    if (ids[0] < 0) {
        rh5_fail(&w->c, loc, name, "cannot create the dataspace of attribute");
        goto out;
    }
    if ((ids[1] = H5Acreate2(loc, name, ftype, ids[0], H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        rh5_fail(&w->c, loc, name, "cannot create attribute");
        goto out;
    }
    if ((scalar || n > 0) && H5Awrite(ids[1], mtype, buf) < 0) {
        rh5_fail(&w->c, loc, name, "cannot write attribute");
        goto out;
    }
    rc = 0;
out:
    return rh5_close_all(&w->c, ids, 2, rc);
}

int rh5_put_str(rh5_wctx *w, hid_t loc, const char *name, const char *s)
{
    const char *v = rh5_nz(s);
    return rh5_put_attr(w, loc, name, w->t.str, w->t.str, true, 1, &v);
}

int rh5_put_u64(rh5_wctx *w, hid_t loc, const char *name, uint64_t x)
{
    return rh5_put_attr(w, loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, true, 1, &x);
}

int rh5_put_int(rh5_wctx *w, hid_t loc, const char *name, int x)
{
    return rh5_put_attr(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, true, 1, &x);
}

int rh5_put_f64(rh5_wctx *w, hid_t loc, const char *name, double x)
{
    return rh5_put_attr(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, true, 1, &x);
}

int rh5_put_strs(rh5_wctx *w, hid_t loc, const char *name, const char *const *s, size_t n)
{
    return rh5_put_attr(w, loc, name, w->t.str, w->t.str, false, n, s);
}

/* Creates the 1-D dataset `name` in loc holding n elements of ftype, read
 * from buf as mtype (buf NULL: not written; the caller writes it), with
 * creation properties dcpl.  Returns the open
 * dataset (the caller adds attributes and closes it), or H5I_INVALID_HID. */
hid_t rh5_put_dset(rh5_wctx *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t n,
                   const void *buf, hid_t dcpl)
{
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL), ds = H5I_INVALID_HID;
    if (sp < 0) {
        rh5_fail(&w->c, loc, name, "cannot create the dataspace of dataset");
        return H5I_INVALID_HID;
    }
    ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0) {
        rh5_fail(&w->c, loc, name, "cannot create dataset");
    } else if (n > 0 && buf != NULL &&
               H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rh5_fail(&w->c, loc, name, "cannot write dataset");
        (void)H5Dclose(ds);
        ds = H5I_INVALID_HID;
    }
    if (H5Sclose(sp) < 0 && ds >= 0) {
        rh5_fail(&w->c, loc, name, "cannot close the dataspace of dataset");
        (void)H5Dclose(ds);
        ds = H5I_INVALID_HID;
    }
    return ds;
}

/* Writes the summary rows of variant v into ds, SUM_BLOCK rows at a time
 * (the rows are converted in blocks, never all at once). */
static int put_summary_rows(rh5_wctx *w, hid_t ds, const rg_results *r, size_t v)
{
    size_t n = r->reps_done, nf = r->nmet + 1;
    size_t nb = n < SUM_BLOCK ? n : SUM_BLOCK;
    rh5_cell *rows = rg_xcalloc((nb ? nb : 1) * nf, sizeof *rows);
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* file space, memory space */
    int rc = -1;
    uint64_t gone = 0; /* spilled rows let go below this replication */
    for (size_t at = 0; at < n; at += nb) {
        hsize_t start = at, count = n - at < nb ? n - at : nb;
        for (size_t i = 0; i < count; i++) {
            rows[i * nf].u = at + i;
            for (size_t m = 0; m < r->nmet; m++) {
                const rg_mval *x = &r->rows[(v * r->reps + at + i) * r->nmet + m];
                if (r->met[m].type == RG_MF_INT)
                    rows[i * nf + m + 1].i = x->i;
                else
                    rows[i * nf + m + 1].d = x->d;
            }
        }
        if ((ids[0] = H5Dget_space(ds)) < 0 ||
            H5Sselect_hyperslab(ids[0], H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
            (ids[1] = H5Screate_simple(1, &count, NULL)) < 0 ||
            H5Dwrite(ds, w->t.sum_m, ids[1], ids[0], H5P_DEFAULT, rows) < 0) {
            rh5_fail(&w->c, ds, NULL, "cannot write the summary rows of dataset");
            goto out;
        }
        if (rh5_close_all(&w->c, ids, 2, 0) < 0)
            goto out;
        gone = rg_results_let_go(r, v, gone, at + count); /* rows spilled to a file */
    }
    rc = 0;
out:
    free(rows);
    return rh5_close_all(&w->c, ids, 2, rc);
}

/* Writes the summary table of variant v with its per-field attributes and
 * the summary statistics of every metric. */
static int put_summary(rh5_wctx *w, hid_t g, const rg_results *r, size_t v)
{
    size_t n = r->reps_done, nf = r->nmet + 1;
    const char **units = rg_xcalloc(nf, sizeof *units), **descs = rg_xcalloc(nf, sizeof *descs);
    unsigned *flags = rg_xcalloc(nf, sizeof *flags);
    hid_t ds = H5I_INVALID_HID;
    int rc = -1;

    units[0] = "1";
    descs[0] = "replication index, from 0";
    for (size_t m = 0; m < r->nmet; m++) {
        units[m + 1] = rh5_nz(r->met[m].unit);
        descs[m + 1] = rh5_nz(r->met[m].desc);
        flags[m + 1] = r->met[m].flags;
    }
    ds = rh5_put_dset(w, g, RH5_SUMMARY, w->t.sum_f, w->t.sum_m, n, NULL, w->dcpl);
    if (ds < 0 || put_summary_rows(w, ds, r, v) < 0 ||
        rh5_put_strs(w, ds, RH5_A_UNITS, units, nf) < 0 ||
        rh5_put_strs(w, ds, RH5_A_DESCRIPTIONS, descs, nf) < 0 ||
        rh5_put_attr(w, ds, RH5_A_FLAGS, H5T_STD_U32LE, H5T_NATIVE_UINT, false, nf, flags) < 0)
        goto out;
    for (size_t m = 0; m < r->nmet; m++) {
        const rg_summary s = *rg_results_summary(r, v, m);
        const double val[NSTATS] = {s.mean, s.sd, s.ci95, s.min, s.max, s.p05, s.p50, s.p95, s.p99};
        for (size_t k = 0; k < NSTATS; k++) {
            char *an = rg_xasprintf("%s.%s", r->met[m].name, stat_names[k]);
            int st = rh5_put_f64(w, ds, an, val[k]);
            free(an);
            if (st < 0)
                goto out;
        }
    }
    rc = 0;
out:
    rc = rh5_close_all(&w->c, &ds, 1, rc);
    free(units);
    free(descs);
    free(flags);
    return rc;
}

/* Writes group `gname` of variant v: its true name, summary, histogram,
 * timeline and, if kept, the raw latencies. */
static int put_variant(rh5_wctx *w, hid_t vars, const char *gname, const rg_results *r, size_t v)
{
    static const char *const hunits[] = {"s", "s", "1"};
    static const char *const tunits[] = {"s", "1", "1"};
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* group, dcpl, dset */
    rh5_hrow *h = rg_xcalloc(RG_HIST_NBINS, sizeof *h);
    int rc = -1;

    if ((ids[0] = H5Gcreate2(vars, gname, H5P_DEFAULT, w->gcpl, H5P_DEFAULT)) < 0) {
        rh5_fail(&w->c, vars, gname, "cannot create group");
        goto out;
    }
    if (rh5_put_str(w, ids[0], RH5_A_NAME, r->varnames[v]) < 0 || put_summary(w, ids[0], r, v) < 0)
        goto out;

    for (int b = 0; b < RG_HIST_NBINS; b++)
        h[b] = (rh5_hrow){rg_hist_edge(b), rg_hist_edge(b + 1),
                          r->hist[(size_t)v * RG_HIST_NBINS + b]};
    ids[2] =
        rh5_put_dset(w, ids[0], RH5_HISTOGRAM, w->t.hist_f, w->t.hist_m, RG_HIST_NBINS, h, w->dcpl);
    if (ids[2] < 0 || rh5_put_strs(w, ids[2], RH5_A_UNITS, hunits, 3) < 0 ||
        rh5_close_all(&w->c, &ids[2], 1, 0) < 0)
        goto out;

    ids[2] =
        rh5_put_dset(w, ids[0], RH5_TIMELINE, w->t.tl_f, w->t.tl_m, r->ntl[v], r->tl[v], w->dcpl);
    if (ids[2] < 0 || rh5_put_strs(w, ids[2], RH5_A_UNITS, tunits, 3) < 0 ||
        rh5_close_all(&w->c, &ids[2], 1, 0) < 0)
        goto out;

    if (r->lat[v] != NULL) {
        size_t n = r->nlat[v];
        hsize_t chunk = n < LAT_CHUNK ? n : LAT_CHUNK;
        /* Shuffle before deflate groups the doubles' bytes by significance,
         * which usually compresses them much better; readers undo both
         * transparently. */
        if (n > 0 && ((ids[1] = H5Pcopy(w->dcpl)) < 0 || H5Pset_chunk(ids[1], 1, &chunk) < 0 ||
                      H5Pset_shuffle(ids[1]) < 0 || H5Pset_deflate(ids[1], LAT_DEFLATE) < 0)) {
            rh5_fail(&w->c, ids[0], RH5_LATENCIES, "cannot set up compression for");
            goto out;
        }
        ids[2] = rh5_put_dset(w, ids[0], RH5_LATENCIES, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n,
                              r->lat[v], n > 0 ? ids[1] : w->dcpl);
        if (ids[2] < 0 || rh5_put_str(w, ids[2], RH5_A_UNITS, "s") < 0)
            goto out;
    }
    rc = 0;
out:
    free(h);
    return rh5_close_all(&w->c, ids, 3, rc);
}

/* Group names for the variants: a variant's own name when it is a usable
 * link name (non-empty, no '/', no leading '.'), else that name with '/'
 * and a leading '.' replaced by '_', with "~k" appended if it clashes with
 * another group.  The true names stay in "order" and each group's "name". */
static char **group_names(const rg_results *r)
{
    char **g = rg_xcalloc(r->nvar ? r->nvar : 1, sizeof *g);
    for (int pass = 0; pass < 2; pass++)
        for (size_t v = 0; v < r->nvar; v++) {
            const char *name = r->varnames[v];
            bool clean = name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
            if (g[v] != NULL || clean != (pass == 0))
                continue;
            char *base = rg_xstrdup(name[0] ? name : "_");
            for (char *p = base; *p; p++)
                if (*p == '/' || (p == base && *p == '.'))
                    *p = '_';
            char *cand = rg_xstrdup(base);
            for (unsigned k = 1;; k++) {
                bool used = false;
                for (size_t u = 0; u < r->nvar && !used; u++)
                    used = g[u] != NULL && strcmp(g[u], cand) == 0;
                if (!used)
                    break;
                free(cand);
                cand = rg_xasprintf("%s~%u", base, k);
            }
            free(base);
            g[v] = cand;
        }
    return g;
}

/* Rejects what the format cannot hold: metric names must be unique,
 * non-empty, free of '.' and '/' (they name attributes "<metric>.<stat>")
 * and not "rep"; variant names must be unique. */
static int check_input(rh5_ctx *c, const rg_results *r)
{
    for (size_t m = 0; m < r->nmet; m++) {
        const char *n = r->met[m].name;
        if (n == NULL || n[0] == '\0' || strpbrk(n, "./") != NULL || strcmp(n, RH5_F_REP) == 0)
            return rg_err_set(c->e, RG_ERR_INPUT, "%s: metric name '%s' cannot be stored",
                              c->prefix, rh5_nz(n));
        for (size_t k = 0; k < m; k++)
            if (strcmp(r->met[k].name, n) == 0)
                return rg_err_set(c->e, RG_ERR_INPUT, "%s: two metrics are called '%s'", c->prefix,
                                  n);
    }
    for (size_t v = 0; v < r->nvar; v++)
        for (size_t k = 0; k < v; k++)
            if (strcmp(r->varnames[k], r->varnames[v]) == 0)
                return rg_err_set(c->e, RG_ERR_INPUT, "%s: two variants are called '%s'", c->prefix,
                                  r->varnames[v]);
    return 0;
}

/* Writes the root attributes. */
int rh5_put_root(rh5_wctx *w, hid_t f, const rg_results *r, const rg_meta *meta)
{
    char created[32], hv[64];
    unsigned maj, min, rel;
    if (meta->created != NULL) {
        snprintf(created, sizeof created, "%s", meta->created);
    } else {
        time_t now = time(NULL);
        struct tm tm;
        if (gmtime_r(&now, &tm) == NULL ||
            strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
            snprintf(created, sizeof created, "unknown");
    }
    if (H5get_libversion(&maj, &min, &rel) < 0)
        return rh5_fail(&w->c, -1, NULL, "cannot get the HDF5 library version");
    snprintf(hv, sizeof hv, "%u.%u.%u", maj, min, rel);
    /* A run marked complete must also hold every replication it asked for. */
    bool complete = meta->complete && !r->interrupted && r->reps_done == r->reps;
    if (rh5_put_int(w, f, RH5_A_FORMAT_VERSION, RH5_FORMAT_VERSION) < 0 ||
        rh5_put_str(w, f, RH5_A_TOOL, RH5_TOOL_NAME) < 0 ||
        rh5_put_str(w, f, RH5_A_TOOL_VERSION, meta->tool_version) < 0 ||
        rh5_put_str(w, f, RH5_A_SCENARIO_NAME, meta->scenario_name) < 0 ||
        rh5_put_str(w, f, RH5_A_SCENARIO_DESC, meta->description) < 0 ||
        rh5_put_str(w, f, RH5_A_MODEL, meta->model) < 0 ||
        rh5_put_u64(w, f, RH5_A_SEED, meta->seed) < 0 ||
        rh5_put_u64(w, f, RH5_A_REPS, r->reps) < 0 ||
        rh5_put_u64(w, f, RH5_A_REPS_DONE, r->reps_done) < 0 ||
        rh5_put_int(w, f, RH5_A_COMPLETE, complete ? 1 : 0) < 0 ||
        rh5_put_str(w, f, RH5_A_GSL_VERSION, gsl_version) < 0 ||
        rh5_put_str(w, f, RH5_A_HDF5_VERSION, hv) < 0 ||
        rh5_put_str(w, f, RH5_A_RESOLVED, meta->resolved) < 0 ||
        rh5_put_str(w, f, RH5_A_CREATED, created) < 0)
        return -1;
    if (meta->shards > 0 && (rh5_put_u64(w, f, RH5_A_SHARD, meta->shard) < 0 ||
                             rh5_put_u64(w, f, RH5_A_SHARDS, meta->shards) < 0 ||
                             rh5_put_u64(w, f, RH5_A_FIRST_REP, meta->first_rep) < 0 ||
                             rh5_put_u64(w, f, RH5_A_TOTAL_REPS, meta->total_reps) < 0))
        return -1;
    return 0;
}

/* Writes the group of variants of r into loc. */
int rh5_put_variants(rh5_wctx *w, hid_t loc, const rg_results *r)
{
    char **g = group_names(r);
    hid_t vars = H5I_INVALID_HID;
    int rc = -1;
    if ((vars = H5Gcreate2(loc, RH5_VARIANTS, H5P_DEFAULT, w->gcpl, H5P_DEFAULT)) < 0) {
        rh5_fail(&w->c, loc, RH5_VARIANTS, "cannot create group");
        goto out;
    }
    if (rh5_put_strs(w, vars, RH5_A_ORDER, (const char *const *)r->varnames, r->nvar) < 0 ||
        rh5_put_strs(w, vars, RH5_A_GROUPS, (const char *const *)g, r->nvar) < 0)
        goto out;
    for (size_t v = 0; v < r->nvar; v++)
        if (put_variant(w, vars, g[v], r, v) < 0)
            goto out;
    rc = 0;
out:
    for (size_t v = 0; v < r->nvar; v++)
        free(g[v]);
    free(g);
    return rh5_close_all(&w->c, &vars, 1, rc);
}

/* Writes a run's file into the open file f. */
static int put_run(rh5_wctx *w, hid_t f, const void *job)
{
    const rh5_runjob *j = job;
    if (rh5_put_root(w, f, j->r, j->meta) < 0)
        return -1;
    return rh5_put_variants(w, f, j->r);
}

/* ---- the sink: HDF5's file driver for writing ---------------------------- */

/* HDF5 writes the file through this driver, which passes every write on to
 * the temporary with pwrite(2) and never reports a failure to HDF5: the
 * first failed write's errno is kept (s->err), later writes are not
 * attempted, and rh5_write_file reports it once HDF5 has closed the file.
 * What HDF5 may read back is served from memory or from the temporary:
 * every page (SINK_PAGE bytes) that metadata was written to is kept in
 * memory, up to date with every later write to it, so metadata reads never
 * depend on the disk (after a failed write the disk holds garbage, which
 * HDF5 must never parse); raw data (summary rows, histograms, timelines,
 * latencies) is not kept and is read back, should HDF5 ask, from the
 * temporary (zeros where a failed write left nothing).  Memory therefore
 * holds the file's metadata, which does not grow with the replications,
 * instead of its whole image.  Features and free-list map are the core
 * driver's, which built the file before, so HDF5 lays out the same file. */

#define SINK_PAGE 4096

typedef struct sink_page {
    uint64_t idx; /* page number: bytes idx * SINK_PAGE .. + SINK_PAGE */
    unsigned char *data;
} sink_page;

typedef struct sink {
    int fd, rfd;      /* the temporary: written with pwrite, read back with pread */
    int err;          /* errno of the first failed write, or 0 */
    haddr_t eoa, eof; /* HDF5's end of allocated space; end of what was written */
    sink_page *pages; /* sorted by idx */
    size_t npages, cap;
} sink;

typedef struct sink_file {
    H5FD_t pub; /* first: HDF5 sees this */
    sink *s;
} sink_file;

typedef struct sink_info {
    sink *s;
} sink_info;

/* The position of page idx in s->pages, or where it would go. */
static size_t sink_find(const sink *s, uint64_t idx)
{
    size_t lo = 0, hi = s->npages;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->pages[mid].idx < idx)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Reads n bytes at off of the temporary into buf; what the temporary does
 * not hold (never written, or lost to a failed write) reads as zeros. */
static void sink_pread(const sink *s, unsigned char *buf, size_t n, uint64_t off)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(s->rfd, buf + got, n - got, (off_t)(off + got));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    memset(buf + got, 0, n - got);
}

/* Page idx in memory: NULL if it is not kept and !make, else kept (made
 * from the temporary's bytes, which are the latest for a page not kept). */
static unsigned char *sink_page_at(sink *s, uint64_t idx, bool make)
{
    size_t at = sink_find(s, idx);
    if (at < s->npages && s->pages[at].idx == idx)
        return s->pages[at].data;
    if (!make)
        return NULL;
    if (s->npages == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->pages = rg_xrealloc(s->pages, s->cap * sizeof *s->pages);
    }
    memmove(s->pages + at + 1, s->pages + at, (s->npages - at) * sizeof *s->pages);
    s->npages++;
    s->pages[at].idx = idx;
    s->pages[at].data = rg_xmalloc(SINK_PAGE);
    sink_pread(s, s->pages[at].data, SINK_PAGE, idx * SINK_PAGE);
    return s->pages[at].data;
}

static void sink_free_pages(sink *s)
{
    for (size_t i = 0; i < s->npages; i++)
        free(s->pages[i].data);
    free(s->pages);
    s->pages = NULL;
    s->npages = s->cap = 0;
}

static void *sink_info_copy(const void *info)
{
    sink_info *c = rg_xmalloc(sizeof *c);
    *c = *(const sink_info *)info;
    return c;
}

static herr_t sink_info_free(void *info)
{
    free(info);
    return 0;
}

static void *sink_fapl_get(H5FD_t *f)
{
    sink_info i = {((sink_file *)f)->s};
    return sink_info_copy(&i);
}

static H5FD_t *sink_open(const char *name, unsigned flags, hid_t fapl, haddr_t maxaddr)
{
    (void)name;
    (void)flags;
    (void)maxaddr;
    const sink_info *i = H5Pget_driver_info(fapl);
    if (i == NULL || i->s == NULL)
        return NULL;
    sink_file *f = rg_xcalloc(1, sizeof *f);
    f->s = i->s;
    return &f->pub;
}

static herr_t sink_close(H5FD_t *f)
{
    free(f);
    return 0;
}

static herr_t sink_query(const H5FD_t *f, unsigned long *flags)
{
    (void)f;
    if (flags != NULL)
        *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA |
                 H5FD_FEAT_DATA_SIEVE | H5FD_FEAT_AGGREGATE_SMALLDATA;
    return 0;
}

static haddr_t sink_get_eoa(const H5FD_t *f, H5FD_mem_t type)
{
    (void)type;
    return ((const sink_file *)f)->s->eoa;
}

static herr_t sink_set_eoa(H5FD_t *f, H5FD_mem_t type, haddr_t addr)
{
    (void)type;
    ((sink_file *)f)->s->eoa = addr;
    return 0;
}

static haddr_t sink_get_eof(const H5FD_t *f, H5FD_mem_t type)
{
    (void)type;
    return ((const sink_file *)f)->s->eof;
}

static herr_t sink_read(H5FD_t *f, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                        void *buf)
{
    (void)type;
    (void)dxpl;
    sink *s = ((sink_file *)f)->s;
    unsigned char *b = buf;
    sink_pread(s, b, size, addr);
    for (haddr_t at = addr; at < addr + size;) {
        size_t off = (size_t)(at % SINK_PAGE), k = SINK_PAGE - off;
        if (k > addr + size - at)
            k = (size_t)(addr + size - at);
        const unsigned char *p = sink_page_at(s, at / SINK_PAGE, false);
        if (p != NULL)
            memcpy(b + (at - addr), p + off, k);
        at += k;
    }
    return 0;
}

static herr_t sink_write(H5FD_t *f, H5FD_mem_t type, hid_t dxpl, haddr_t addr, size_t size,
                         const void *buf)
{
    (void)dxpl;
    sink *s = ((sink_file *)f)->s;
    const unsigned char *b = buf;
    /* The temporary first: a page made below reads it. */
    for (size_t done = 0; s->err == 0 && done < size;) {
        ssize_t k = pwrite(s->fd, b + done, size - done, (off_t)(addr + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            s->err = k == 0 ? EIO : errno;
        else
            done += (size_t)k;
    }
    for (haddr_t at = addr; at < addr + size;) {
        size_t off = (size_t)(at % SINK_PAGE), k = SINK_PAGE - off;
        if (k > addr + size - at)
            k = (size_t)(addr + size - at);
        unsigned char *p = sink_page_at(s, at / SINK_PAGE, type != H5FD_MEM_DRAW);
        if (p != NULL)
            memcpy(p + off, b + (at - addr), k);
        at += k;
    }
    if (addr + size > s->eof)
        s->eof = addr + size;
    return 0;
}

static herr_t sink_nothing(H5FD_t *f, hid_t dxpl, hbool_t closing)
{
    (void)f;
    (void)dxpl;
    (void)closing;
    return 0;
}

static herr_t sink_lock(H5FD_t *f, hbool_t rw)
{
    (void)f;
    (void)rw;
    return 0;
}

static herr_t sink_unlock(H5FD_t *f)
{
    (void)f;
    return 0;
}

static const H5FD_class_t sink_class = {
    .name = "revguard-sink",
    .maxaddr = ((haddr_t)1 << 62) - 1,
    .fc_degree = H5F_CLOSE_SEMI,
    .fapl_size = sizeof(sink_info),
    .fapl_get = sink_fapl_get,
    .fapl_copy = sink_info_copy,
    .fapl_free = sink_info_free,
    .open = sink_open,
    .close = sink_close,
    .query = sink_query,
    .get_eoa = sink_get_eoa,
    .set_eoa = sink_set_eoa,
    .get_eof = sink_get_eof,
    .read = sink_read,
    .write = sink_write,
    .flush = sink_nothing,
    .truncate = sink_nothing,
    .lock = sink_lock,
    .unlock = sink_unlock,
    .fl_map = H5FD_FLMAP_DICHOTOMY,
};

/* The file access list for writing through s: the sink driver, the format
 * capped at HDF5 1.8, and SEMI closing, so that a handle left open by
 * mistake fails the write instead of going unnoticed. */
static hid_t sink_fapl(rh5_ctx *c, sink *s)
{
    static hid_t driver = H5I_INVALID_HID;
    sink_info info = {s};
    if (driver < 0 || H5Iis_valid(driver) <= 0)
        driver = H5FDregister(&sink_class);
    hid_t p = driver < 0 ? H5I_INVALID_HID : H5Pcreate(H5P_FILE_ACCESS);
    if (p < 0 || H5Pset_driver(p, driver, &info) < 0 ||
        H5Pset_libver_bounds(p, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0 ||
        H5Pset_fclose_degree(p, H5F_CLOSE_SEMI) < 0) {
        rh5_fail(c, -1, NULL, "cannot set up file access");
        if (p >= 0)
            (void)H5Pclose(p);
        return H5I_INVALID_HID;
    }
    return p;
}

/* Builds the file through the sink s (HDF5 writes it, fill fills it) and
 * closes it: afterwards the temporary holds it, unless s->err. */
static int build_file(rh5_wctx *w, const char *name, rh5_fill_fn fill, const void *job, sink *s)
{
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* fcpl, fapl, file */
    int rc = -1;

    /* The file creation list is also the root group's: no time stamps. */
    if ((ids[0] = H5Pcreate(H5P_FILE_CREATE)) < 0 || H5Pset_obj_track_times(ids[0], 0) < 0) {
        rh5_fail(&w->c, -1, NULL, "cannot set up file creation");
        goto out;
    }
    if ((ids[1] = sink_fapl(&w->c, s)) < 0)
        goto out;
    if ((ids[2] = H5Fcreate(name, H5F_ACC_TRUNC, ids[0], ids[1])) < 0) {
        rh5_fail(&w->c, -1, NULL, "cannot create the file");
        goto out;
    }
    if (fill(w, ids[2], job) < 0)
        goto out;
    rc = 0;
out:
    return rh5_close_all(&w->c, ids, 3, rc);
}

/* Opens the temporary a->tmp again for reading, and checks that it is the
 * file a->fd writes.  -1 with e filled otherwise. */
static int open_readback(const rg_atomic *a, const char *prefix, rg_err *e)
{
    struct stat s1, s2;
    int fd = open(a->tmp, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &s1) < 0 || fstat(a->fd, &s2) < 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return rg_err_set(e, RG_ERR_IO, "%s: cannot read back %s: %s", prefix, a->tmp,
                          strerror(err));
    }
    if (s1.st_dev != s2.st_dev || s1.st_ino != s2.st_ino) {
        close(fd);
        return rg_err_set(e, RG_ERR_IO, "%s: %s was replaced while being written", prefix, a->tmp);
    }
    return fd;
}

int rg_results_write(const char *path, const rg_results *r, const rg_meta *meta, rg_err *e)
{
    rh5_runjob job = {r, meta};
    return rh5_write_file(path, r, put_run, &job, e);
}

int rh5_write_file(const char *path, const rg_results *r, rh5_fill_fn fill, const void *job,
                   rg_err *e)
{
    rh5_quiet();
    char *prefix = rg_xasprintf("cannot write results to %s", path);
    rh5_wctx w = {{.prefix = prefix, .e = e}, {0}, H5I_INVALID_HID, H5I_INVALID_HID};
    rg_atomic a = {NULL, -1, NULL, NULL, NULL};
    sink s = {-1, -1, 0, 0, 0, NULL, 0, 0};
    int rc = -1;
    bool open = false;
    w.t.str = w.t.sum_f = w.t.sum_m = w.t.hist_f = w.t.hist_m = w.t.tl_f = w.t.tl_m = -1;

    if (check_input(&w.c, r) < 0)
        goto out;
    /* Take the temporary file before the work, so that a missing
     * directory, a permission problem, a path that must not be replaced
     * or another writer of the same path shows at once. */
    if (rg_atomic_open_force(&a, path, e) < 0)
        goto out;
    open = true;
    s.fd = a.fd;
    if ((s.rfd = open_readback(&a, prefix, e)) < 0)
        goto out;
    if (rh5_types_make(&w.c, r->met, r->nmet, (const char *const *)r->tlnames, &w.t) < 0)
        goto out;
    if ((w.gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 || H5Pset_obj_track_times(w.gcpl, 0) < 0 ||
        (w.dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_obj_track_times(w.dcpl, 0) < 0) {
        rh5_fail(&w.c, -1, NULL, "cannot set up object creation");
        goto out;
    }
    if (build_file(&w, a.tmp, fill, job, &s) < 0)
        goto out;
    /* The file is HDF5's allocated space: what lies past the last write
     * (never written) reads as zeros, as the image in memory had it. */
    if (s.err == 0 && s.eof != s.eoa && ftruncate(a.fd, (off_t)s.eoa) < 0)
        s.err = errno;
    if (s.err != 0) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot write %s: %s", prefix, a.tmp, strerror(s.err));
        goto out;
    }
    open = false;
    if (rg_atomic_commit(&a, e) < 0)
        goto out;
    rc = 0;
out : {
    hid_t plists[2] = {w.gcpl, w.dcpl};
    rc = rh5_close_all(&w.c, plists, 2, rc);
    rc = rh5_types_close(&w.c, &w.t, rc);
}
    if (s.rfd >= 0)
        close(s.rfd);
    sink_free_pages(&s);
    if (open)
        rg_atomic_discard(&a);
    free(prefix);
    return rc;
}

/* ---- checks and small things -------------------------------------------- */

/* Before a run: the directory must take the file, and what is at path may
 * be replaced (a results file of ours, or anything regular with force);
 * then path is reserved (rg_atomic_reserve), so that a second run writing
 * the same file is refused now rather than at its end. */
int rg_results_check_path(const char *path, bool force, rg_err *e)
{
    rh5_quiet();
    struct stat st;
    int rc = -1;
    if (rg_check_writable(path, "results file", e) < 0)
        return -1;
    if (lstat(path, &st) < 0) {
        int err = errno;
        if (err != ENOENT) {
            rg_err_set(e, RG_ERR_IO, "cannot write results to %s: %s", path, strerror(err));
            goto out;
        }
    } else if (S_ISLNK(st.st_mode)) {
        rg_err_set(e, RG_ERR_INPUT,
                   "%s is a symbolic link; refusing to write results through it (name the file "
                   "itself)",
                   path);
        goto out;
    } else if (S_ISDIR(st.st_mode)) {
        rg_err_set(e, RG_ERR_INPUT, "%s is a directory; give a file name for the results", path);
        goto out;
    } else if (!S_ISREG(st.st_mode)) {
        /* Never replace a device, pipe or socket, even with --force. */
        rg_err_set(e, RG_ERR_INPUT, "%s exists and is not a regular file", path);
        goto out;
    } else if (!force && !rg_results_is_ours(path)) {
        int why = rg_file_unreadable(path);
        if (why != 0)
            rg_err_set(e, RG_ERR_INPUT,
                       "%s exists and cannot be read (%s), so it cannot be told from a results "
                       "file; use --force to replace it",
                       path, strerror(why));
        else
            rg_err_set(e, RG_ERR_INPUT,
                       "%s exists and is not a revguard-sim results file; use --force to overwrite",
                       path);
        goto out;
    }
    rc = rg_atomic_reserve(path, true, NULL, e);
out:
    return rc;
}

/* ---- checks and small things -------------------------------------------- */

void rg_results_lib_versions(char *buf, size_t n)
{
    unsigned maj, min, rel;
    rh5_quiet();
    if (H5get_libversion(&maj, &min, &rel) < 0)
        snprintf(buf, n, "GSL %s, HDF5 unknown", gsl_version);
    else
        snprintf(buf, n, "GSL %s, HDF5 %u.%u.%u", gsl_version, maj, min, rel);
}
