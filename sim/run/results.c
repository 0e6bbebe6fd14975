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
 * Writing: HDF5 builds the file in memory (the core driver, no backing
 * store); its image is then written with write(2) to path's temporary
 * "<path>.tmp" (rg_atomic, util.h: created exclusively and locked, never
 * through a symlink, never over a device), synced and renamed over path.  HDF5 never writes to disk
 * itself because HDF5 1.10 cannot recover from a failed write: once closing a dataset fails (disk
 * full), the file can no longer be closed and the library crashes at exit.  Our own write(2)
 * reports errno exactly instead.  Known cost: the image is copied once, so writing needs about
 * twice the file's size in memory (less than the raw latencies it holds, with
 * --keep-latencies).
 *
 * Determinism: object time stamps are off on every group and dataset, the
 * format is capped at HDF5 1.8 (libver bounds EARLIEST..V18) so a newer
 * library does not switch to newer structures, the file is little-endian on
 * every host, and everything is written in a fixed order.  The root
 * attribute "created" is the one thing that differs between equal runs.
 * (The lower bound must stay EARLIEST: with a version-2 superblock, HDF5
 * 1.10.8's H5Fget_file_image returns an image whose superblock checksum is
 * wrong.)
 */
#include "sim/run/results.h"

#include <errno.h>
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
 * from buf as mtype, with creation properties dcpl.  Returns the open
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
    } else if (n > 0 && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
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

/* Writes the summary table of variant v with its per-field attributes and
 * the summary statistics of every metric. */
static int put_summary(rh5_wctx *w, hid_t g, const rg_results *r, size_t v)
{
    size_t n = r->reps_done, nf = r->nmet + 1;
    rh5_cell *rows = rg_xcalloc(n * nf, sizeof *rows);
    const char **units = rg_xcalloc(nf, sizeof *units), **descs = rg_xcalloc(nf, sizeof *descs);
    unsigned *flags = rg_xcalloc(nf, sizeof *flags);
    hid_t ds = H5I_INVALID_HID;
    int rc = -1;

    for (size_t i = 0; i < n; i++) {
        rows[i * nf].u = i;
        for (size_t m = 0; m < r->nmet; m++) {
            const rg_mval *x = &r->rows[(v * r->reps + i) * r->nmet + m];
            if (r->met[m].type == RG_MF_INT)
                rows[i * nf + m + 1].i = x->i;
            else
                rows[i * nf + m + 1].d = x->d;
        }
    }
    units[0] = "1";
    descs[0] = "replication index, from 0";
    for (size_t m = 0; m < r->nmet; m++) {
        units[m + 1] = rh5_nz(r->met[m].unit);
        descs[m + 1] = rh5_nz(r->met[m].desc);
        flags[m + 1] = r->met[m].flags;
    }
    ds = rh5_put_dset(w, g, RH5_SUMMARY, w->t.sum_f, w->t.sum_m, n, rows, w->dcpl);
    if (ds < 0 || rh5_put_strs(w, ds, RH5_A_UNITS, units, nf) < 0 ||
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
    free(rows);
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

/* Writes the n bytes of buf to fd.  Returns 0, or -1 with errno set. */
static int write_all(int fd, const unsigned char *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, buf, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            if (k == 0)
                errno = EIO;
            return -1;
        }
        buf += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Builds the file in memory and returns its image (*size bytes, new). */
static unsigned char *build_image(rh5_wctx *w, const char *name, rh5_fill_fn fill, const void *job,
                                  size_t *size)
{
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* fcpl, fapl, file */
    unsigned char *image = NULL;
    ssize_t n = -1;
    int rc = -1;

    /* The file creation list is also the root group's: no time stamps. */
    if ((ids[0] = H5Pcreate(H5P_FILE_CREATE)) < 0 || H5Pset_obj_track_times(ids[0], 0) < 0) {
        rh5_fail(&w->c, -1, NULL, "cannot set up file creation");
        goto out;
    }
    if ((ids[1] = rh5_fapl(&w->c)) < 0)
        goto out;
    if ((ids[2] = H5Fcreate(name, H5F_ACC_TRUNC, ids[0], ids[1])) < 0) {
        rh5_fail(&w->c, -1, NULL, "cannot create the file in memory");
        goto out;
    }
    if (fill(w, ids[2], job) < 0)
        goto out;
    if (H5Fflush(ids[2], H5F_SCOPE_LOCAL) < 0 || (n = H5Fget_file_image(ids[2], NULL, 0)) < 0) {
        rh5_fail(&w->c, -1, NULL, "cannot finish the file in memory");
        goto out;
    }
    image = rg_xmalloc((size_t)n);
    if (H5Fget_file_image(ids[2], image, (size_t)n) != n) {
        rh5_fail(&w->c, -1, NULL, "cannot copy the file image");
        goto out;
    }
    rc = 0;
out:
    rc = rh5_close_all(&w->c, ids, 3, rc);
    if (rc < 0) {
        free(image);
        return NULL;
    }
    *size = (size_t)n;
    return image;
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
    rh5_wctx w = {{prefix, e, 0, false}, {0}, H5I_INVALID_HID, H5I_INVALID_HID};
    rg_atomic a = {NULL, -1, NULL, NULL};
    unsigned char *image = NULL;
    size_t size = 0;
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
    if (rh5_types_make(&w.c, r->met, r->nmet, (const char *const *)r->tlnames, &w.t) < 0)
        goto out;
    if ((w.gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 || H5Pset_obj_track_times(w.gcpl, 0) < 0 ||
        (w.dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_obj_track_times(w.dcpl, 0) < 0) {
        rh5_fail(&w.c, -1, NULL, "cannot set up object creation");
        goto out;
    }
    if ((image = build_image(&w, a.tmp, fill, job, &size)) == NULL)
        goto out;
    if (write_all(a.fd, image, size) < 0) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot write %s: %s", prefix, a.tmp, strerror(errno));
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
    free(image);
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
