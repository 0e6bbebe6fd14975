/*
 * results.c: the results file in HDF5 (layout in results.h; the reference
 * for readers is doc/results-format.md).  The only file that includes
 * hdf5.h.
 *
 * Every HDF5 status is checked.  A failure becomes an rg_err that names the
 * file, the object and the reason: HDF5 keeps the system's reason (errno
 * text) deep in its error stack, so h5_reason() digs it out right after the
 * failing call, before any cleanup call resets the stack.  HDF5's automatic
 * error printing is switched off on entry to every public function.  Each
 * function has one cleanup path that closes its handles in reverse order.
 *
 * Writing: HDF5 builds the file in memory (the core driver, no backing
 * store); its image is then written to "<path>.tmp-<pid>" with write(2),
 * synced and renamed over path.  HDF5 never writes to disk itself because
 * HDF5 1.10 cannot recover from a failed write: once closing a dataset
 * fails (disk full), the file can no longer be closed and the library
 * crashes at exit.  Our own write(2) reports errno exactly instead.  Known
 * cost: the image is copied once, so writing needs about twice the file's
 * size in memory (less than the raw latencies it holds, with
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
#include "results.h"

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
#include <hdf5.h>

#include "stats.h"

#define FORMAT_VERSION 1
#define TOOL_NAME "revguard-sim" /* root attribute "tool": what rg_results_is_ours looks for */
#define LAT_CHUNK 65536          /* doubles per chunk of latencies (512 KiB) */
#define LAT_DEFLATE 4            /* zlib level: most of level 9's gain at a fraction of its cost */
/* The reader refuses more replications than the command line allows
 * (runner.h, RG_MAX_REPS): a corrupt attribute must not size the allocation. */
#define READ_MAX_REPS ((uint64_t)RG_MAX_REPS)

/* One value of a summary row in memory: rep, then one cell per metric. */
typedef union cell {
    uint64_t u;
    int64_t i;
    double d;
} cell;

/* One histogram row in memory. */
typedef struct hrow {
    double lo, hi;
    uint64_t count;
} hrow;

/* The summary statistics stored as "<metric>.<stat>" attributes. */
static const char *const stat_names[] = {"mean", "sd",  "ci95", "min", "max",
                                         "p05",  "p50", "p95",  "p99"};
#define NSTATS (sizeof stat_names / sizeof stat_names[0])

/* ---- errors -------------------------------------------------------------- */

static void h5_quiet(void)
{
    /* Cannot fail once the library is up; if it did, HDF5 would only print. */
    (void)H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

typedef struct why {
    char msg[200];
    bool sys; /* msg is the system's reason (errno text) */
} why;

/* H5Ewalk2 callback, walking from the innermost entry outwards: keeps the
 * first "error message = '...'" (the errno text HDF5 records for failed
 * system calls), else the innermost description. */
static herr_t why_walk(unsigned n, const H5E_error2_t *err, void *data)
{
    why *w = data;
    static const char key[] = "error message = '";
    const char *d = err->desc ? err->desc : "";
    const char *p = strstr(d, key);
    if (w->sys)
        return 0;
    if (p != NULL) {
        p += sizeof key - 1;
        snprintf(w->msg, sizeof w->msg, "%.*s", (int)strcspn(p, "'"), p);
        w->sys = true;
    } else if (n == 0) {
        snprintf(w->msg, sizeof w->msg, "%s", d);
    }
    return 0;
}

/* The reason for the HDF5 call that just failed, into buf.  Must run before
 * any other HDF5 call, which would reset the error stack. */
static void h5_reason(char *buf, size_t n)
{
    why w = {{0}, false};
    if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, why_walk, &w) < 0 || w.msg[0] == '\0')
        snprintf(w.msg, sizeof w.msg, "HDF5 error");
    snprintf(buf, n, "%s", w.msg);
}

/* What a function needs to report a failure: the prefix of every message
 * (names the file) and the caller's error value. */
typedef struct ctx {
    const char *prefix;
    rg_err *e;
} ctx;

/* Fills c->e: "<prefix>: <what> '<name>' at <where>: <reason>", without the
 * parts that are NULL or empty.  Returns -1. */
static int h5fail_at(ctx *c, const char *where, const char *name, const char *what,
                     const char *reason)
{
    if (name != NULL)
        return rg_err_set(c->e, RG_ERR_IO, "%s: %s '%s'%s%s: %s", c->prefix, what, name,
                          where[0] ? " at " : "", where, reason);
    return rg_err_set(c->e, RG_ERR_IO, "%s: %s%s%s: %s", c->prefix, what, where[0] ? " " : "",
                      where, reason);
}

/* Fills c->e for the HDF5 call that just failed, on object `name` of loc
 * (either may be absent: -1, NULL).  Returns -1. */
static int h5fail(ctx *c, hid_t loc, const char *name, const char *what)
{
    char reason[256], where[256] = "";
    h5_reason(reason, sizeof reason);
    if (loc >= 0 && H5Iget_name(loc, where, sizeof where) < 0)
        where[0] = '\0';
    return h5fail_at(c, where, name, what, reason);
}

/* Fills c->e for a file that is HDF5 but not laid out as expected. */
static int bad(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rg_err_set(c->e, RG_ERR_INPUT, "%s: not a valid revguard-sim results file: %s",
                      c->prefix, msg);
}

/* Closes *id, whatever kind of handle it is, and marks it closed.  Returns
 * the status of the close (0 when nothing was open). */
static herr_t h5_close(hid_t *id)
{
    herr_t st;
    if (*id < 0)
        return 0;
    switch (H5Iget_type(*id)) {
    case H5I_FILE: st = H5Fclose(*id); break;
    case H5I_GROUP: st = H5Gclose(*id); break;
    case H5I_DATATYPE: st = H5Tclose(*id); break;
    case H5I_DATASPACE: st = H5Sclose(*id); break;
    case H5I_DATASET: st = H5Dclose(*id); break;
    case H5I_ATTR: st = H5Aclose(*id); break;
    case H5I_GENPROP_LST: st = H5Pclose(*id); break;
    default: st = -1; break;
    }
    *id = H5I_INVALID_HID;
    return st;
}

/* Closes ids[n-1] down to ids[0] (reverse order of opening), all of them
 * even if one fails; on a failure fills c->e unless an error is already
 * there.  Returns -1 if anything failed before or now (rc < 0), else 0. */
static int h5_close_all(ctx *c, hid_t *ids, size_t n, int rc)
{
    for (size_t k = n; k-- > 0;) {
        char where[256] = "", reason[256];
        /* Named before closing: a closed handle has no name. */
        if (ids[k] >= 0 && H5Iget_type(ids[k]) == H5I_FILE)
            snprintf(where, sizeof where, "the file");
        else if (ids[k] >= 0 && H5Iget_name(ids[k], where, sizeof where) < 0)
            where[0] = '\0';
        if (h5_close(&ids[k]) < 0 && rc == 0) {
            h5_reason(reason, sizeof reason);
            rc = h5fail_at(c, where, NULL, "cannot close", reason);
        }
    }
    return rc;
}

/* ---- types ---------------------------------------------------------------- */

typedef struct field {
    const char *name;
    size_t off;
    hid_t type;
} field;

/* A compound type of `size` bytes with the n fields f, or H5I_INVALID_HID
 * with c->e filled. */
static hid_t compound(ctx *c, size_t size, const field *f, size_t n)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    if (t < 0) {
        h5fail(c, -1, NULL, "cannot create a compound type");
        return H5I_INVALID_HID;
    }
    for (size_t i = 0; i < n; i++)
        if (H5Tinsert(t, f[i].name, f[i].off, f[i].type) < 0) {
            h5fail(c, -1, f[i].name, "cannot add field");
            (void)H5Tclose(t);
            return H5I_INVALID_HID;
        }
    return t;
}

/* The types shared by writer and reader.  File types are packed and
 * little-endian; memory types match the structs above. */
typedef struct types {
    hid_t str;          /* variable-length UTF-8 string, file and memory */
    hid_t sum_f, sum_m; /* summary row: rep + one field per metric */
    hid_t hist_f, hist_m;
    hid_t tl_f, tl_m;
} types;

static int types_close(ctx *c, types *t, int rc)
{
    hid_t ids[] = {t->str, t->sum_f, t->sum_m, t->hist_f, t->hist_m, t->tl_f, t->tl_m};
    rc = h5_close_all(c, ids, sizeof ids / sizeof ids[0], rc);
    t->str = t->sum_f = t->sum_m = t->hist_f = t->hist_m = t->tl_f = t->tl_m = H5I_INVALID_HID;
    return rc;
}

/* Builds every type for the metrics met[0..nmet-1].  On failure the types
 * built so far are closed by the caller's types_close. */
static int types_make(ctx *c, const rg_metric *met, size_t nmet, types *t)
{
    t->str = t->sum_f = t->sum_m = t->hist_f = t->hist_m = t->tl_f = t->tl_m = H5I_INVALID_HID;
    t->str = H5Tcopy(H5T_C_S1);
    if (t->str < 0 || H5Tset_size(t->str, H5T_VARIABLE) < 0 ||
        H5Tset_cset(t->str, H5T_CSET_UTF8) < 0)
        return h5fail(c, -1, NULL, "cannot create the string type");

    field *ff = rg_xcalloc(nmet + 1, sizeof *ff), *fm = rg_xcalloc(nmet + 1, sizeof *fm);
    ff[0] = (field){"rep", 0, H5T_STD_U64LE};
    fm[0] = (field){"rep", 0, H5T_NATIVE_UINT64};
    for (size_t m = 0; m < nmet; m++) {
        bool isint = met[m].type == RG_MF_INT;
        ff[m + 1] = (field){met[m].name, 8 * (m + 1), isint ? H5T_STD_I64LE : H5T_IEEE_F64LE};
        fm[m + 1] = (field){met[m].name, sizeof(cell) * (m + 1),
                            isint ? H5T_NATIVE_INT64 : H5T_NATIVE_DOUBLE};
    }
    t->sum_f = compound(c, 8 * (nmet + 1), ff, nmet + 1);
    t->sum_m =
        t->sum_f < 0 ? H5I_INVALID_HID : compound(c, sizeof(cell) * (nmet + 1), fm, nmet + 1);
    free(ff);
    free(fm);
    if (t->sum_m < 0)
        return -1;

    const field hf[] = {
        {"lo", 0, H5T_IEEE_F64LE}, {"hi", 8, H5T_IEEE_F64LE}, {"count", 16, H5T_STD_U64LE}};
    const field hm[] = {{"lo", offsetof(hrow, lo), H5T_NATIVE_DOUBLE},
                        {"hi", offsetof(hrow, hi), H5T_NATIVE_DOUBLE},
                        {"count", offsetof(hrow, count), H5T_NATIVE_UINT64}};
    const field tf[] = {
        {"t", 0, H5T_IEEE_F64LE}, {"allocated", 8, H5T_STD_I64LE}, {"rejected", 16, H5T_STD_I64LE}};
    const field tm[] = {{"t", offsetof(rg_tlpoint, t), H5T_NATIVE_DOUBLE},
                        {"allocated", offsetof(rg_tlpoint, a), H5T_NATIVE_INT64},
                        {"rejected", offsetof(rg_tlpoint, b), H5T_NATIVE_INT64}};
    if ((t->hist_f = compound(c, 24, hf, 3)) < 0 ||
        (t->hist_m = compound(c, sizeof(hrow), hm, 3)) < 0 ||
        (t->tl_f = compound(c, 24, tf, 3)) < 0 ||
        (t->tl_m = compound(c, sizeof(rg_tlpoint), tm, 3)) < 0)
        return -1;
    return 0;
}

/* File access for writing: in memory, format capped at 1.8, and SEMI
 * closing, so that a handle left open by mistake fails the write instead of
 * going unnoticed.  For reading: file locking that is skipped, not an
 * error, on file systems without it. */
static hid_t make_fapl(ctx *c, bool write)
{
    hid_t p = H5Pcreate(H5P_FILE_ACCESS);
    if (p < 0 || (write ? H5Pset_fapl_core(p, (size_t)4 << 20, 0) < 0 ||
                              H5Pset_libver_bounds(p, H5F_LIBVER_EARLIEST, H5F_LIBVER_V18) < 0 ||
                              H5Pset_fclose_degree(p, H5F_CLOSE_SEMI) < 0
                        : H5Pset_file_locking(p, 1, 1) < 0)) {
        h5fail(c, -1, NULL, "cannot set up file access");
        if (p >= 0)
            (void)H5Pclose(p);
        return H5I_INVALID_HID;
    }
    return p;
}

/* ---- writing --------------------------------------------------------------- */

/* The writer's handles that every helper needs. */
typedef struct wctx {
    ctx c;
    types t;
    hid_t gcpl, dcpl; /* creation property lists without time stamps */
} wctx;

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* Writes attribute `name` of loc: one value (scalar) or an array of n, of
 * memory type mtype stored as ftype.  An empty array has a null dataspace. */
static int put_attr(wctx *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, bool scalar,
                    size_t n, const void *buf)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* space, attribute */
    hsize_t dim = n;
    int rc = -1;
    ids[0] = scalar   ? H5Screate(H5S_SCALAR)
             : n == 0 ? H5Screate(H5S_NULL)
                      : H5Screate_simple(1, &dim, NULL);
    if (ids[0] < 0) {
        h5fail(&w->c, loc, name, "cannot create the dataspace of attribute");
        goto out;
    }
    if ((ids[1] = H5Acreate2(loc, name, ftype, ids[0], H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        h5fail(&w->c, loc, name, "cannot create attribute");
        goto out;
    }
    if ((scalar || n > 0) && H5Awrite(ids[1], mtype, buf) < 0) {
        h5fail(&w->c, loc, name, "cannot write attribute");
        goto out;
    }
    rc = 0;
out:
    return h5_close_all(&w->c, ids, 2, rc);
}

static int put_str(wctx *w, hid_t loc, const char *name, const char *s)
{
    const char *v = nz(s);
    return put_attr(w, loc, name, w->t.str, w->t.str, true, 1, &v);
}

static int put_u64(wctx *w, hid_t loc, const char *name, uint64_t x)
{
    return put_attr(w, loc, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, true, 1, &x);
}

static int put_int(wctx *w, hid_t loc, const char *name, int x)
{
    return put_attr(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, true, 1, &x);
}

static int put_f64(wctx *w, hid_t loc, const char *name, double x)
{
    return put_attr(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, true, 1, &x);
}

static int put_strs(wctx *w, hid_t loc, const char *name, const char *const *s, size_t n)
{
    return put_attr(w, loc, name, w->t.str, w->t.str, false, n, s);
}

/* Creates the 1-D dataset `name` in loc holding n elements of ftype, read
 * from buf as mtype, with creation properties dcpl.  Returns the open
 * dataset (the caller adds attributes and closes it), or H5I_INVALID_HID. */
static hid_t put_dset(wctx *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t n,
                      const void *buf, hid_t dcpl)
{
    hsize_t dim = n;
    hid_t sp = H5Screate_simple(1, &dim, NULL), ds = H5I_INVALID_HID;
    if (sp < 0) {
        h5fail(&w->c, loc, name, "cannot create the dataspace of dataset");
        return H5I_INVALID_HID;
    }
    ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0) {
        h5fail(&w->c, loc, name, "cannot create dataset");
    } else if (n > 0 && H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        h5fail(&w->c, loc, name, "cannot write dataset");
        (void)H5Dclose(ds);
        ds = H5I_INVALID_HID;
    }
    if (H5Sclose(sp) < 0 && ds >= 0) {
        h5fail(&w->c, loc, name, "cannot close the dataspace of dataset");
        (void)H5Dclose(ds);
        ds = H5I_INVALID_HID;
    }
    return ds;
}

/* Writes the summary table of variant v with its per-field attributes and
 * the summary statistics of every metric. */
static int put_summary(wctx *w, hid_t g, const rg_results *r, size_t v)
{
    size_t n = r->reps_done, nf = r->nmet + 1;
    cell *rows = rg_xcalloc(n * nf, sizeof *rows);
    double *col = rg_xcalloc(n ? n : 1, sizeof *col);
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
        units[m + 1] = nz(r->met[m].unit);
        descs[m + 1] = nz(r->met[m].desc);
        flags[m + 1] = r->met[m].flags;
    }
    ds = put_dset(w, g, "summary", w->t.sum_f, w->t.sum_m, n, rows, w->dcpl);
    if (ds < 0 || put_strs(w, ds, "units", units, nf) < 0 ||
        put_strs(w, ds, "descriptions", descs, nf) < 0 ||
        put_attr(w, ds, "flags", H5T_STD_U32LE, H5T_NATIVE_UINT, false, nf, flags) < 0)
        goto out;
    for (size_t m = 0; m < r->nmet; m++) {
        rg_summary s;
        rg_results_column(r, v, m, col);
        rg_summarize(col, n, &s);
        const double val[NSTATS] = {s.mean, s.sd, s.ci95, s.min, s.max, s.p05, s.p50, s.p95, s.p99};
        for (size_t k = 0; k < NSTATS; k++) {
            char *an = rg_xasprintf("%s.%s", r->met[m].name, stat_names[k]);
            int st = put_f64(w, ds, an, val[k]);
            free(an);
            if (st < 0)
                goto out;
        }
    }
    rc = 0;
out:
    rc = h5_close_all(&w->c, &ds, 1, rc);
    free(rows);
    free(col);
    free(units);
    free(descs);
    free(flags);
    return rc;
}

/* Writes group `gname` of variant v: its true name, summary, histogram,
 * timeline and, if kept, the raw latencies. */
static int put_variant(wctx *w, hid_t vars, const char *gname, const rg_results *r, size_t v)
{
    static const char *const hunits[] = {"s", "s", "1"};
    static const char *const tunits[] = {"s", "1", "1"};
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* group, dcpl, dset */
    hrow *h = rg_xcalloc(RG_HIST_NBINS, sizeof *h);
    int rc = -1;

    if ((ids[0] = H5Gcreate2(vars, gname, H5P_DEFAULT, w->gcpl, H5P_DEFAULT)) < 0) {
        h5fail(&w->c, vars, gname, "cannot create group");
        goto out;
    }
    if (put_str(w, ids[0], "name", r->varnames[v]) < 0 || put_summary(w, ids[0], r, v) < 0)
        goto out;

    for (int b = 0; b < RG_HIST_NBINS; b++)
        h[b] = (hrow){rg_hist_edge(b), rg_hist_edge(b + 1), r->hist[(size_t)v * RG_HIST_NBINS + b]};
    ids[2] = put_dset(w, ids[0], "latency_histogram", w->t.hist_f, w->t.hist_m, RG_HIST_NBINS, h,
                      w->dcpl);
    if (ids[2] < 0 || put_strs(w, ids[2], "units", hunits, 3) < 0 ||
        h5_close_all(&w->c, &ids[2], 1, 0) < 0)
        goto out;

    ids[2] = put_dset(w, ids[0], "timeline", w->t.tl_f, w->t.tl_m, r->ntl[v], r->tl[v], w->dcpl);
    if (ids[2] < 0 || put_strs(w, ids[2], "units", tunits, 3) < 0 ||
        h5_close_all(&w->c, &ids[2], 1, 0) < 0)
        goto out;

    if (r->lat[v] != NULL) {
        size_t n = r->nlat[v];
        hsize_t chunk = n < LAT_CHUNK ? n : LAT_CHUNK;
        /* Shuffle before deflate groups the doubles' bytes by significance,
         * which usually compresses them much better; readers undo both
         * transparently. */
        if (n > 0 && ((ids[1] = H5Pcopy(w->dcpl)) < 0 || H5Pset_chunk(ids[1], 1, &chunk) < 0 ||
                      H5Pset_shuffle(ids[1]) < 0 || H5Pset_deflate(ids[1], LAT_DEFLATE) < 0)) {
            h5fail(&w->c, ids[0], "latencies", "cannot set up compression for");
            goto out;
        }
        ids[2] = put_dset(w, ids[0], "latencies", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, r->lat[v],
                          n > 0 ? ids[1] : w->dcpl);
        if (ids[2] < 0 || put_str(w, ids[2], "units", "s") < 0)
            goto out;
    }
    rc = 0;
out:
    free(h);
    return h5_close_all(&w->c, ids, 3, rc);
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
static int check_input(ctx *c, const rg_results *r)
{
    for (size_t m = 0; m < r->nmet; m++) {
        const char *n = r->met[m].name;
        if (n == NULL || n[0] == '\0' || strpbrk(n, "./") != NULL || strcmp(n, "rep") == 0)
            return rg_err_set(c->e, RG_ERR_INPUT, "%s: metric name '%s' cannot be stored",
                              c->prefix, nz(n));
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
static int put_root(wctx *w, hid_t f, const rg_results *r, const rg_meta *meta)
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
        return h5fail(&w->c, -1, NULL, "cannot get the HDF5 library version");
    snprintf(hv, sizeof hv, "%u.%u.%u", maj, min, rel);
    /* A run marked complete must also hold every replication it asked for. */
    bool complete = meta->complete && !r->interrupted && r->reps_done == r->reps;
    if (put_int(w, f, "format_version", FORMAT_VERSION) < 0 ||
        put_str(w, f, "tool", TOOL_NAME) < 0 ||
        put_str(w, f, "tool_version", meta->tool_version) < 0 ||
        put_str(w, f, "scenario_name", meta->scenario_name) < 0 ||
        put_str(w, f, "scenario_description", meta->description) < 0 ||
        put_str(w, f, "model", meta->model) < 0 || put_u64(w, f, "seed", meta->seed) < 0 ||
        put_u64(w, f, "replications", r->reps) < 0 ||
        put_u64(w, f, "replications_done", r->reps_done) < 0 ||
        put_int(w, f, "complete", complete ? 1 : 0) < 0 ||
        put_str(w, f, "gsl_version", gsl_version) < 0 || put_str(w, f, "hdf5_version", hv) < 0 ||
        put_str(w, f, "resolved_scenario", meta->resolved) < 0 ||
        put_str(w, f, "created", created) < 0)
        return -1;
    return 0;
}

/* Writes the whole file into the open file f. */
static int put_file(wctx *w, hid_t f, const rg_results *r, const rg_meta *meta)
{
    char **g = group_names(r);
    hid_t vars = H5I_INVALID_HID;
    int rc = -1;
    if (put_root(w, f, r, meta) < 0)
        goto out;
    if ((vars = H5Gcreate2(f, "variants", H5P_DEFAULT, w->gcpl, H5P_DEFAULT)) < 0) {
        h5fail(&w->c, f, "variants", "cannot create group");
        goto out;
    }
    if (put_strs(w, vars, "order", (const char *const *)r->varnames, r->nvar) < 0 ||
        put_strs(w, vars, "groups", (const char *const *)g, r->nvar) < 0)
        goto out;
    for (size_t v = 0; v < r->nvar; v++)
        if (put_variant(w, vars, g[v], r, v) < 0)
            goto out;
    rc = 0;
out:
    for (size_t v = 0; v < r->nvar; v++)
        free(g[v]);
    free(g);
    return h5_close_all(&w->c, &vars, 1, rc);
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

/* The directory part of path ("." if none), as a new string. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return rg_xstrdup(".");
    if (slash == path)
        return rg_xstrdup("/");
    return rg_xasprintf("%.*s", (int)(slash - path), path);
}

/* Builds the file in memory and returns its image (*size bytes, new). */
static unsigned char *build_image(wctx *w, const char *name, const rg_results *r,
                                  const rg_meta *meta, size_t *size)
{
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* fcpl, fapl, file */
    unsigned char *image = NULL;
    ssize_t n = -1;
    int rc = -1;

    /* The file creation list is also the root group's: no time stamps. */
    if ((ids[0] = H5Pcreate(H5P_FILE_CREATE)) < 0 || H5Pset_obj_track_times(ids[0], 0) < 0) {
        h5fail(&w->c, -1, NULL, "cannot set up file creation");
        goto out;
    }
    if ((ids[1] = make_fapl(&w->c, true)) < 0)
        goto out;
    if ((ids[2] = H5Fcreate(name, H5F_ACC_TRUNC, ids[0], ids[1])) < 0) {
        h5fail(&w->c, -1, NULL, "cannot create the file in memory");
        goto out;
    }
    if (put_file(w, ids[2], r, meta) < 0)
        goto out;
    if (H5Fflush(ids[2], H5F_SCOPE_LOCAL) < 0 || (n = H5Fget_file_image(ids[2], NULL, 0)) < 0) {
        h5fail(&w->c, -1, NULL, "cannot finish the file in memory");
        goto out;
    }
    image = rg_xmalloc((size_t)n);
    if (H5Fget_file_image(ids[2], image, (size_t)n) != n) {
        h5fail(&w->c, -1, NULL, "cannot copy the file image");
        goto out;
    }
    rc = 0;
out:
    rc = h5_close_all(&w->c, ids, 3, rc);
    if (rc < 0) {
        free(image);
        return NULL;
    }
    *size = (size_t)n;
    return image;
}

int rg_results_write(const char *path, const rg_results *r, const rg_meta *meta, rg_err *e)
{
    h5_quiet();
    char *prefix = rg_xasprintf("cannot write results to %s", path);
    char *tmp = rg_xasprintf("%s.tmp-%ld", path, (long)getpid());
    wctx w = {{prefix, e}, {0}, H5I_INVALID_HID, H5I_INVALID_HID};
    unsigned char *image = NULL;
    size_t size = 0;
    int fd = -1, rc = -1;
    bool made = false; /* tmp exists and is ours to remove */
    w.t.str = w.t.sum_f = w.t.sum_m = w.t.hist_f = w.t.hist_m = w.t.tl_f = w.t.tl_m = -1;

    if (check_input(&w.c, r) < 0)
        goto out;
    /* Create the temporary file before the work, so that a missing
     * directory or a permission problem shows at once, in errno's words. */
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666)) < 0) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot create %s: %s", prefix, tmp, strerror(errno));
        goto out;
    }
    made = true;
    if (types_make(&w.c, r->met, r->nmet, &w.t) < 0)
        goto out;
    if ((w.gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 || H5Pset_obj_track_times(w.gcpl, 0) < 0 ||
        (w.dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 || H5Pset_obj_track_times(w.dcpl, 0) < 0) {
        h5fail(&w.c, -1, NULL, "cannot set up object creation");
        goto out;
    }
    if ((image = build_image(&w, tmp, r, meta, &size)) == NULL)
        goto out;
    if (write_all(fd, image, size) < 0 || fsync(fd) < 0) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot write %s: %s", prefix, tmp, strerror(errno));
        goto out;
    }
    int st = close(fd);
    fd = -1;
    if (st < 0) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot write %s: %s", prefix, tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, path) < 0) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot rename %s: %s", prefix, tmp, strerror(errno));
        goto out;
    }
    made = false;
    /* Make the rename itself durable; some file systems cannot sync a
     * directory, and the file is complete either way. */
    char *dir = dir_of(path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
    rc = 0;
out : {
    hid_t plists[2] = {w.gcpl, w.dcpl};
    rc = h5_close_all(&w.c, plists, 2, rc);
    rc = types_close(&w.c, &w.t, rc);
}
    free(image);
    if (fd >= 0)
        close(fd);
    if (made)
        unlink(tmp);
    free(tmp);
    free(prefix);
    return rc;
}

/* ---- reading ------------------------------------------------------------ */

/* Reads attribute `name` of loc, which must hold exactly n values (a scalar
 * holds one), as memory type mtype into buf.  String attributes must be
 * variable-length; the strings read belong to HDF5 (H5free_memory). */
static int get_attr(ctx *c, hid_t loc, const char *name, hid_t mtype, size_t n, void *buf)
{
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* attr, type, space */
    int rc = -1;
    htri_t ex = H5Aexists(loc, name);
    if (ex < 0) {
        h5fail(c, loc, name, "cannot look up attribute");
        goto out;
    }
    if (ex == 0) {
        char where[256] = "";
        (void)H5Iget_name(loc, where, sizeof where);
        bad(c, "attribute '%s' of %s is missing", name, where);
        goto out;
    }
    if ((ids[0] = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Aget_type(ids[0])) < 0 ||
        (ids[2] = H5Aget_space(ids[0])) < 0) {
        h5fail(c, loc, name, "cannot open attribute");
        goto out;
    }
    H5T_class_t want = H5Tget_class(mtype), have = H5Tget_class(ids[1]);
    htri_t vstr = have == H5T_STRING ? H5Tis_variable_str(ids[1]) : 0;
    hssize_t np = H5Sget_simple_extent_npoints(ids[2]);
    if (want < 0 || have < 0 || vstr < 0 || np < 0) {
        h5fail(c, loc, name, "cannot inspect attribute");
        goto out;
    }
    bool num = want == H5T_INTEGER || want == H5T_FLOAT;
    bool ok = num ? (have == H5T_INTEGER || have == H5T_FLOAT) : (have == want && vstr > 0);
    if (!ok || (size_t)np != n) {
        char where[256] = "";
        (void)H5Iget_name(loc, where, sizeof where);
        if (!ok)
            bad(c, "attribute '%s' of %s is not %s", name, where,
                num ? "a number" : "a variable-length string");
        else
            bad(c, "attribute '%s' of %s has %lld values, expected %zu", name, where, (long long)np,
                n);
        goto out;
    }
    if (n > 0 && H5Aread(ids[0], mtype, buf) < 0) {
        h5fail(c, loc, name, "cannot read attribute");
        goto out;
    }
    rc = 0;
out:
    return h5_close_all(c, ids, 3, rc);
}

/* Number of values in attribute `name` of loc, or -1. */
static hssize_t attr_len(ctx *c, hid_t loc, const char *name)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID};
    hssize_t np = -1;
    htri_t ex = H5Aexists(loc, name);
    if (ex <= 0) {
        if (ex < 0)
            h5fail(c, loc, name, "cannot look up attribute");
        else
            bad(c, "attribute '%s' is missing", name);
        return -1;
    }
    if ((ids[0] = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Aget_space(ids[0])) < 0 ||
        (np = H5Sget_simple_extent_npoints(ids[1])) < 0) {
        h5fail(c, loc, name, "cannot open attribute");
        np = -1;
    }
    return h5_close_all(c, ids, 2, 0) < 0 ? -1 : np;
}

/* Reads the n strings of attribute `name` into a new array of new strings
 * (free with strs_free).  NULL on error. */
static char **get_strs(ctx *c, const types *t, hid_t loc, const char *name, size_t n)
{
    char **h = rg_xcalloc(n ? n : 1, sizeof *h);
    char **s = NULL;
    if (get_attr(c, loc, name, t->str, n, h) == 0) {
        s = rg_xcalloc(n ? n : 1, sizeof *s);
        for (size_t i = 0; i < n; i++)
            s[i] = rg_xstrdup(nz(h[i]));
    }
    for (size_t i = 0; i < n; i++)
        if (h[i] != NULL)
            (void)H5free_memory(h[i]);
    free(h);
    return s;
}

static void strs_free(char **s, size_t n)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* Reads a scalar string attribute into *out (a new string). */
static int get_str(ctx *c, const types *t, hid_t loc, const char *name, char **out)
{
    char **s = get_strs(c, t, loc, name, 1);
    if (s == NULL)
        return -1;
    *out = s[0];
    free(s);
    return 0;
}

/* Reads the 1-D dataset `name` of loc (a null dataspace counts as empty) as
 * memory type mtype into a new buffer of at least one element of esize
 * bytes; *n is its length.  NULL on error. */
static void *get_dset(ctx *c, hid_t loc, const char *name, hid_t mtype, size_t esize, size_t *n)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, space */
    void *buf = NULL;
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex < 0) {
        h5fail(c, loc, name, "cannot look up");
        return NULL;
    }
    if (ex == 0) {
        char where[256] = "";
        (void)H5Iget_name(loc, where, sizeof where);
        bad(c, "dataset '%s' is missing at %s", name, where);
        return NULL;
    }
    if ((ids[0] = H5Dopen2(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Dget_space(ids[0])) < 0) {
        h5fail(c, loc, name, "cannot open dataset");
        goto out;
    }
    int rank = H5Sget_simple_extent_ndims(ids[1]);
    hssize_t np = H5Sget_simple_extent_npoints(ids[1]);
    if (rank < 0 || np < 0) {
        h5fail(c, loc, name, "cannot inspect dataset");
        goto out;
    }
    if (rank > 1) {
        bad(c, "dataset %s has %d dimensions, expected 1", name, rank);
        goto out;
    }
    buf = rg_xcalloc(np ? (size_t)np : 1, esize);
    if (np > 0 && H5Dread(ids[0], mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        h5fail(c, loc, name, "cannot read dataset");
        free(buf);
        buf = NULL;
        goto out;
    }
    *n = (size_t)np;
out:
    if (h5_close_all(c, ids, 2, buf ? 0 : -1) < 0 && buf != NULL) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

static void metrics_free(rg_metric *met, size_t n)
{
    if (met == NULL)
        return;
    for (size_t m = 0; m < n; m++) {
        free((char *)met[m].name);
        free((char *)met[m].unit);
        free((char *)met[m].desc);
    }
    free(met);
}

/* Reconstructs the metric list from the summary dataset `name` of loc: the
 * field names and classes of its compound type, and its attributes units,
 * descriptions and flags.  *met is new (metrics_free). */
static int read_metrics(ctx *c, const types *t, hid_t loc, const char *name, rg_metric **met,
                        size_t *nmet)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, type */
    char **units = NULL, **descs = NULL;
    unsigned *flags = NULL;
    rg_metric *mt = NULL;
    size_t nf = 0;
    int rc = -1;
    *met = NULL;
    *nmet = 0;
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0) {
        if (ex < 0)
            h5fail(c, loc, name, "cannot look up");
        else
            bad(c, "dataset '%s' is missing", name);
        goto out;
    }
    if ((ids[0] = H5Dopen2(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Dget_type(ids[0])) < 0) {
        h5fail(c, loc, name, "cannot open dataset");
        goto out;
    }
    int nm = H5Tget_class(ids[1]) == H5T_COMPOUND ? H5Tget_nmembers(ids[1]) : -1;
    if (nm < 1) {
        bad(c, "%s is not a compound type with a field 'rep'", name);
        goto out;
    }
    nf = (size_t)nm;
    mt = rg_xcalloc(nf, sizeof *mt);
    for (unsigned i = 0; i < nf; i++) {
        char *fname = H5Tget_member_name(ids[1], i);
        H5T_class_t cl = H5Tget_member_class(ids[1], i);
        if (fname == NULL || cl < 0) {
            h5fail(c, loc, name, "cannot inspect the fields of");
            if (fname != NULL)
                (void)H5free_memory(fname);
            goto out;
        }
        bool okf = i == 0 ? strcmp(fname, "rep") == 0 && cl == H5T_INTEGER
                          : (cl == H5T_INTEGER || cl == H5T_FLOAT) && strcmp(fname, "rep") != 0;
        if (i > 0) {
            mt[i - 1].name = rg_xstrdup(fname);
            mt[i - 1].type = cl == H5T_INTEGER ? RG_MF_INT : RG_MF_REAL;
        }
        if (!okf)
            bad(c, "%s: field %u '%s' is not %s", name, i, fname,
                i == 0 ? "the integer 'rep'" : "a number");
        (void)H5free_memory(fname);
        if (!okf)
            goto out;
    }
    flags = rg_xcalloc(nf, sizeof *flags);
    if ((units = get_strs(c, t, ids[0], "units", nf)) == NULL ||
        (descs = get_strs(c, t, ids[0], "descriptions", nf)) == NULL ||
        get_attr(c, ids[0], "flags", H5T_NATIVE_UINT, nf, flags) < 0)
        goto out;
    for (size_t m = 0; m + 1 < nf; m++) {
        mt[m].unit = rg_xstrdup(units[m + 1]);
        mt[m].desc = rg_xstrdup(descs[m + 1]);
        mt[m].flags = flags[m + 1];
    }
    *met = mt;
    *nmet = nf - 1;
    mt = NULL;
    rc = 0;
out:
    metrics_free(mt, nf ? nf - 1 : 0);
    strs_free(units, nf);
    strs_free(descs, nf);
    free(flags);
    return h5_close_all(c, ids, 2, rc);
}

/* Reads variant v from group `gname` of vars into r, whose metrics came
 * from variant 0: every variant must have the same ones. */
static int get_variant(ctx *c, const types *t, hid_t vars, const char *gname, rg_results *r,
                       size_t v)
{
    hid_t g = H5I_INVALID_HID;
    rg_metric *met = NULL;
    size_t nmet = 0, n = 0, nf = r->nmet + 1;
    cell *rows = NULL;
    hrow *h = NULL;
    int rc = -1;

    htri_t ex = H5Lexists(vars, gname, H5P_DEFAULT);
    if (ex <= 0) {
        if (ex < 0)
            h5fail(c, vars, gname, "cannot look up");
        else
            bad(c, "group /variants/%s is missing", gname);
        goto out;
    }
    if ((g = H5Gopen2(vars, gname, H5P_DEFAULT)) < 0) {
        h5fail(c, vars, gname, "cannot open group");
        goto out;
    }
    if (read_metrics(c, t, g, "summary", &met, &nmet) < 0)
        goto out;
    bool same = nmet == r->nmet;
    for (size_t m = 0; same && m < nmet; m++)
        same = strcmp(met[m].name, r->met[m].name) == 0 && met[m].type == r->met[m].type;
    if (!same) {
        bad(c, "variant '%s' has other metrics than variant '%s'", r->varnames[v], r->varnames[0]);
        goto out;
    }
    if ((rows = get_dset(c, g, "summary", t->sum_m, sizeof(cell) * nf, &n)) == NULL)
        goto out;
    if (n != r->reps_done) {
        bad(c, "variant '%s' has %zu replications, replications_done says %llu", r->varnames[v], n,
            (unsigned long long)r->reps_done);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t m = 0; m < nmet; m++) {
            rg_mval *x = &r->rows[(v * r->reps + i) * nmet + m];
            if (met[m].type == RG_MF_INT)
                x->i = rows[i * nf + m + 1].i;
            else
                x->d = rows[i * nf + m + 1].d;
        }

    if ((h = get_dset(c, g, "latency_histogram", t->hist_m, sizeof(hrow), &n)) == NULL)
        goto out;
    if (n != RG_HIST_NBINS) {
        bad(c, "variant '%s': latency_histogram has %zu rows, expected %d", r->varnames[v], n,
            RG_HIST_NBINS);
        goto out;
    }
    for (size_t b = 0; b < n; b++)
        r->hist[v * RG_HIST_NBINS + b] = h[b].count;

    if ((r->tl[v] = get_dset(c, g, "timeline", t->tl_m, sizeof(rg_tlpoint), &r->ntl[v])) == NULL)
        goto out;
    if (r->ntl[v] == 0) { /* as the runner leaves it */
        free(r->tl[v]);
        r->tl[v] = NULL;
    }

    if ((ex = H5Lexists(g, "latencies", H5P_DEFAULT)) < 0) {
        h5fail(c, g, "latencies", "cannot look up");
        goto out;
    }
    if (ex > 0 && (r->lat[v] = get_dset(c, g, "latencies", H5T_NATIVE_DOUBLE, sizeof(double),
                                        &r->nlat[v])) == NULL)
        goto out;
    rc = 0;
out:
    free(rows);
    free(h);
    metrics_free(met, nmet);
    return h5_close_all(c, &g, 1, rc);
}

/* Opens path read-only if it is an HDF5 file with revguard-sim's root
 * attributes (tool, tool_version, format_version); *f is the open file.
 * RG_ERR_INPUT for a missing file or one that is not ours. */
static int open_ours(ctx *c, const types *t, const char *path, hid_t *f)
{
    struct stat st;
    hid_t fapl = H5I_INVALID_HID;
    char *tool = NULL;
    int rc = -1;
    *f = H5I_INVALID_HID;
    if (stat(path, &st) < 0)
        return rg_err_set(c->e, RG_ERR_INPUT, "%s: cannot open results file: %s", path,
                          strerror(errno));
    if (S_ISDIR(st.st_mode))
        return rg_err_set(c->e, RG_ERR_INPUT, "%s: is a directory, not a results file", path);
    htri_t h = H5Fis_hdf5(path);
    if (h < 0)
        return h5fail(c, -1, NULL, "cannot read");
    if (h == 0)
        return rg_err_set(c->e, RG_ERR_INPUT,
                          "%s: not an HDF5 file (expected a revguard-sim results file)", path);
    if ((fapl = make_fapl(c, false)) < 0)
        goto out;
    if ((*f = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0) {
        h5fail(c, -1, NULL, "cannot open");
        goto out;
    }
    htri_t a = H5Aexists(*f, "tool"), b = a > 0 ? H5Aexists(*f, "tool_version") : 0;
    htri_t v = b > 0 ? H5Aexists(*f, "format_version") : 0;
    if (a < 0 || b < 0 || v < 0) {
        h5fail(c, *f, NULL, "cannot read the attributes of");
        goto out;
    }
    if (v == 0 || get_str(c, t, *f, "tool", &tool) < 0 || strcmp(tool, TOOL_NAME) != 0) {
        rg_err_set(c->e, RG_ERR_INPUT, "%s: an HDF5 file, but not a revguard-sim results file",
                   path);
        goto out;
    }
    rc = 0;
out:
    free(tool);
    if (rc < 0 && *f >= 0) {
        (void)H5Fclose(*f);
        *f = H5I_INVALID_HID;
    }
    return h5_close_all(c, &fapl, 1, rc);
}

int rg_results_read(const char *path, rg_results **out, rg_meta *meta, rg_err *e)
{
    h5_quiet();
    ctx c = {path, e};
    types t;
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* file, /variants */
    char **order = NULL, **groups = NULL;
    rg_metric *met = NULL;
    size_t nvar = 0, nmet = 0;
    rg_results *r = NULL;
    int fmt = 0, complete = 0, rc = -1;
    uint64_t reps = 0, done = 0;

    *out = NULL;
    memset(meta, 0, sizeof *meta);
    if (types_make(&c, NULL, 0, &t) < 0 || open_ours(&c, &t, path, &ids[0]) < 0)
        goto out;
    if (get_attr(&c, ids[0], "format_version", H5T_NATIVE_INT, 1, &fmt) < 0)
        goto out;
    if (fmt != FORMAT_VERSION) {
        rg_err_set(e, RG_ERR_INPUT,
                   "%s: results format version %d; this revguard-sim reads version %d", path, fmt,
                   FORMAT_VERSION);
        goto out;
    }
    hid_t f = ids[0];
    if (get_str(&c, &t, f, "tool_version", &meta->tool_version) < 0 ||
        get_str(&c, &t, f, "scenario_name", &meta->scenario_name) < 0 ||
        get_str(&c, &t, f, "scenario_description", &meta->description) < 0 ||
        get_str(&c, &t, f, "model", &meta->model) < 0 ||
        get_str(&c, &t, f, "resolved_scenario", &meta->resolved) < 0 ||
        get_str(&c, &t, f, "created", &meta->created) < 0 ||
        get_attr(&c, f, "seed", H5T_NATIVE_UINT64, 1, &meta->seed) < 0 ||
        get_attr(&c, f, "replications", H5T_NATIVE_UINT64, 1, &reps) < 0 ||
        get_attr(&c, f, "replications_done", H5T_NATIVE_UINT64, 1, &done) < 0 ||
        get_attr(&c, f, "complete", H5T_NATIVE_INT, 1, &complete) < 0)
        goto out;
    meta->complete = complete != 0;
    if (reps > READ_MAX_REPS || done > reps) {
        bad(&c, "replications %llu, replications_done %llu", (unsigned long long)reps,
            (unsigned long long)done);
        goto out;
    }

    if ((ids[1] = H5Gopen2(f, "variants", H5P_DEFAULT)) < 0) {
        h5fail(&c, f, "variants", "cannot open group");
        goto out;
    }
    hssize_t no = attr_len(&c, ids[1], "order"), ng = attr_len(&c, ids[1], "groups");
    if (no < 0 || ng < 0)
        goto out;
    if (no != ng) {
        bad(&c, "/variants: 'order' has %lld names but 'groups' %lld", (long long)no,
            (long long)ng);
        goto out;
    }
    nvar = (size_t)no;
    if ((order = get_strs(&c, &t, ids[1], "order", nvar)) == NULL ||
        (groups = get_strs(&c, &t, ids[1], "groups", nvar)) == NULL)
        goto out;
    if (nvar > 0) {
        if (H5Lexists(ids[1], groups[0], H5P_DEFAULT) <= 0) {
            bad(&c, "group /variants/%s is missing", groups[0]);
            goto out;
        }
        char *sp = rg_xasprintf("%s/summary", groups[0]);
        int st = read_metrics(&c, &t, ids[1], sp, &met, &nmet);
        free(sp);
        if (st < 0)
            goto out;
    }
    r = rg_results_new(nvar, (const char *const *)order, nmet, met, reps);
    r->reps_done = done;
    r->seed = meta->seed;
    r->interrupted = !meta->complete;
    if (types_close(&c, &t, 0) < 0 || types_make(&c, r->met, r->nmet, &t) < 0)
        goto out;
    for (size_t v = 0; v < nvar; v++)
        if (get_variant(&c, &t, ids[1], groups[v], r, v) < 0)
            goto out;
    /* As the runner counts them: the "events" metric over completed reps. */
    int ev = rg_results_metric(r, "events");
    for (size_t v = 0; ev >= 0 && v < nvar; v++)
        for (uint64_t i = 0; i < done; i++)
            r->events += (uint64_t)rg_results_value(r, v, i, (size_t)ev);
    rc = 0;
out:
    rc = h5_close_all(&c, ids, 2, rc);
    rc = types_close(&c, &t, rc);
    strs_free(order, nvar);
    strs_free(groups, nvar);
    metrics_free(met, nmet);
    if (rc < 0) {
        rg_results_free(r);
        rg_meta_free(meta);
    } else {
        *out = r;
    }
    return rc;
}

/* ---- checks and small things ------------------------------------------ */

bool rg_results_is_ours(const char *path)
{
    h5_quiet();
    rg_err e;
    rg_err_clear(&e);
    ctx c = {path, &e};
    types t;
    hid_t f = H5I_INVALID_HID;
    int rc = types_make(&c, NULL, 0, &t);
    if (rc == 0)
        rc = open_ours(&c, &t, path, &f);
    rc = h5_close_all(&c, &f, 1, rc);
    rc = types_close(&c, &t, rc);
    return rc == 0;
}

int rg_results_check_path(const char *path, bool force, rg_err *e)
{
    h5_quiet();
    char *dir = dir_of(path);
    struct stat st;
    int rc = -1;
    if (stat(dir, &st) < 0) {
        rg_err_set(e, RG_ERR_IO, "cannot write results to %s: %s", dir, strerror(errno));
        goto out;
    }
    if (!S_ISDIR(st.st_mode)) {
        rg_err_set(e, RG_ERR_IO, "cannot write results to %s: %s", dir, strerror(ENOTDIR));
        goto out;
    }
    if (access(dir, W_OK | X_OK) < 0) {
        rg_err_set(e, RG_ERR_IO, "cannot write results to %s: %s", dir, strerror(errno));
        goto out;
    }
    if (stat(path, &st) < 0) {
        int err = errno;
        if (err == ENOENT)
            rc = 0; /* a new file */
        else
            rg_err_set(e, RG_ERR_IO, "cannot write results to %s: %s", path, strerror(err));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rg_err_set(e, RG_ERR_INPUT, "%s is a directory; give a file name for the results", path);
        goto out;
    }
    /* Never replace a device, pipe or socket, even with --force. */
    if (!S_ISREG(st.st_mode)) {
        rg_err_set(e, RG_ERR_INPUT, "%s exists and is not a regular file", path);
        goto out;
    }
    if (!force && !rg_results_is_ours(path)) {
        rg_err_set(e, RG_ERR_INPUT,
                   "%s exists and is not a revguard-sim results file; use --force to overwrite",
                   path);
        goto out;
    }
    rc = 0;
out:
    free(dir);
    return rc;
}

void rg_meta_free(rg_meta *m)
{
    if (m == NULL)
        return;
    free(m->tool_version);
    free(m->scenario_name);
    free(m->description);
    free(m->model);
    free(m->resolved);
    free(m->created);
    m->tool_version = m->scenario_name = m->description = m->model = NULL;
    m->resolved = m->created = NULL;
}

void rg_results_lib_versions(char *buf, size_t n)
{
    unsigned maj, min, rel;
    h5_quiet();
    if (H5get_libversion(&maj, &min, &rel) < 0)
        snprintf(buf, n, "GSL %s, HDF5 unknown", gsl_version);
    else
        snprintf(buf, n, "GSL %s, HDF5 %u.%u.%u", gsl_version, maj, min, rel);
}
