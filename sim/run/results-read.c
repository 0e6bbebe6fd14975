/*
 * results-read.c: the results file in HDF5, reading side: rg_results_read,
 * which loads a whole file back into an rg_results and its rg_meta, and
 * rg_results_is_ours, which tells a revguard-sim results file from anything
 * else, and rg_results_check_path, which uses it before a run to refuse
 * overwriting anything that is not ours.  The layout is in results.h; the names, row types and
 * shared helpers (errors, closing, types, file access) come from the private header results-h5.h
 * and are defined in results-h5.c.
 *
 * A results file is input: every attribute and dataset is checked for
 * presence, type class and size before it is read, and a file that is HDF5
 * but not laid out as expected gives RG_ERR_INPUT ("not a valid revguard-sim
 * results file: ..."), naming what is wrong.  The replication count, which
 * sizes the tables, is bounded (READ_MAX_REPS); every variant must have the
 * metrics of the first.  HDF5 failures give RG_ERR_IO with the system's
 * reason, as in the writer.  Files are opened read-only, with file locking
 * where the file system has it.
 *
 * Ownership: every string and array that reaches the caller is a copy made
 * with rg_x* (strings HDF5 allocates are freed with H5free_memory at once);
 * on failure nothing is handed out.  Each function has one cleanup path that
 * closes its handles in reverse order.
 */
#include "sim/run/results.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/run/results-h5.h"

/* The reader refuses more replications than the command line allows
 * (runner.h, RG_MAX_REPS): a corrupt attribute must not size the allocation. */
#define READ_MAX_REPS ((uint64_t)RG_MAX_REPS)

/* ---- errors ------------------------------------------------------------- */

/* Fills c->e for a file that is HDF5 but not laid out as expected. */
static int bad(rh5_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(rh5_ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rg_err_set(c->e, RG_ERR_INPUT, "%s: not a valid revguard-sim results file: %s",
                      c->prefix, msg);
}

int rh5_bad(rh5_ctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return bad(c, "%s", msg);
}

/* ---- typed reads -------------------------------------------------------- */

/* Reads attribute `name` of loc, which must hold exactly n values (a scalar
 * holds one), as memory type mtype into buf.  String attributes must be
 * variable-length; the strings read belong to HDF5 (H5free_memory). */
static int get_attr(rh5_ctx *c, hid_t loc, const char *name, hid_t mtype, size_t n, void *buf)
{
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* attr, type, space */
    int rc = -1;
    htri_t ex = H5Aexists(loc, name);
    if (ex < 0) {
        rh5_fail(c, loc, name, "cannot look up attribute");
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
        rh5_fail(c, loc, name, "cannot open attribute");
        goto out;
    }
    H5T_class_t want = H5Tget_class(mtype), have = H5Tget_class(ids[1]);
    htri_t vstr = have == H5T_STRING ? H5Tis_variable_str(ids[1]) : 0;
    hssize_t np = H5Sget_simple_extent_npoints(ids[2]);
    if (want < 0 || have < 0 || vstr < 0 || np < 0) {
        rh5_fail(c, loc, name, "cannot inspect attribute");
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
        rh5_fail(c, loc, name, "cannot read attribute");
        goto out;
    }
    rc = 0;
out:
    return rh5_close_all(c, ids, 3, rc);
}

/* Number of values in attribute `name` of loc, or -1. */
static hssize_t attr_len(rh5_ctx *c, hid_t loc, const char *name)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID};
    hssize_t np = -1;
    htri_t ex = H5Aexists(loc, name);
    if (ex <= 0) {
        if (ex < 0)
            rh5_fail(c, loc, name, "cannot look up attribute");
        else
            bad(c, "attribute '%s' is missing", name);
        return -1;
    }
    if ((ids[0] = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Aget_space(ids[0])) < 0 ||
        (np = H5Sget_simple_extent_npoints(ids[1])) < 0) {
        rh5_fail(c, loc, name, "cannot open attribute");
        np = -1;
    }
    return rh5_close_all(c, ids, 2, 0) < 0 ? -1 : np;
}

/* Reads the n strings of attribute `name` into a new array of new strings
 * (free with strs_free).  NULL on error. */
static char **get_strs(rh5_ctx *c, const rh5_types *t, hid_t loc, const char *name, size_t n)
{
    char **h = rg_xcalloc(n ? n : 1, sizeof *h);
    char **s = NULL;
    if (get_attr(c, loc, name, t->str, n, h) == 0) {
        s = rg_xcalloc(n ? n : 1, sizeof *s);
        for (size_t i = 0; i < n; i++)
            s[i] = rg_xstrdup(rh5_nz(h[i]));
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
static int get_str(rh5_ctx *c, const rh5_types *t, hid_t loc, const char *name, char **out)
{
    char **s = get_strs(c, t, loc, name, 1);
    if (s == NULL)
        return -1;
    *out = s[0];
    free(s);
    return 0;
}

int rh5_get_attr(rh5_ctx *c, hid_t loc, const char *name, hid_t mtype, size_t n, void *buf)
{
    return get_attr(c, loc, name, mtype, n, buf);
}

char **rh5_get_strs(rh5_ctx *c, hid_t loc, const char *name, size_t n)
{
    rh5_types t;
    char **v = NULL;
    if (rh5_types_make(c, NULL, 0, NULL, &t) == 0)
        v = get_strs(c, &t, loc, name, n);
    if (rh5_types_close(c, &t, 0) < 0) {
        strs_free(v, n);
        return NULL;
    }
    return v;
}

hssize_t rh5_attr_len(rh5_ctx *c, hid_t loc, const char *name)
{
    return attr_len(c, loc, name);
}

int rh5_get_str(rh5_ctx *c, hid_t loc, const char *name, char **out)
{
    rh5_types t;
    int rc = rh5_types_make(c, NULL, 0, NULL, &t);
    if (rc == 0)
        rc = get_str(c, &t, loc, name, out);
    return rh5_types_close(c, &t, rc);
}

/* Reads the 1-D dataset `name` of loc (a null dataspace counts as empty) as
 * memory type mtype into a new buffer of at least one element of esize
 * bytes; *n is its length.  NULL on error. */
static void *get_dset(rh5_ctx *c, hid_t loc, const char *name, hid_t mtype, size_t esize, size_t *n)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, space */
    void *buf = NULL;
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex < 0) {
        rh5_fail(c, loc, name, "cannot look up");
        return NULL;
    }
    if (ex == 0) {
        char where[256] = "";
        (void)H5Iget_name(loc, where, sizeof where);
        bad(c, "dataset '%s' is missing at %s", name, where);
        return NULL;
    }
    if ((ids[0] = H5Dopen2(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Dget_space(ids[0])) < 0) {
        rh5_fail(c, loc, name, "cannot open dataset");
        goto out;
    }
    int rank = H5Sget_simple_extent_ndims(ids[1]);
    hssize_t np = H5Sget_simple_extent_npoints(ids[1]);
    if (rank < 0 || np < 0) {
        rh5_fail(c, loc, name, "cannot inspect dataset");
        goto out;
    }
    if (rank > 1) {
        bad(c, "dataset %s has %d dimensions, expected 1", name, rank);
        goto out;
    }
    buf = rg_xcalloc(np ? (size_t)np : 1, esize);
    if (np > 0 && H5Dread(ids[0], mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rh5_fail(c, loc, name, "cannot read dataset");
        free(buf);
        buf = NULL;
        goto out;
    }
    *n = (size_t)np;
out:
    if (rh5_close_all(c, ids, 2, buf ? 0 : -1) < 0 && buf != NULL) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* ---- metrics and variants ----------------------------------------------- */

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

/* Opens dataset `name` of loc and its type into ids[0] and ids[1] (the
 * caller closes both). */
static int open_typed(rh5_ctx *c, hid_t loc, const char *name, hid_t ids[2])
{
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex <= 0)
        return ex < 0 ? rh5_fail(c, loc, name, "cannot look up")
                      : bad(c, "dataset '%s' is missing", name);
    if ((ids[0] = H5Dopen2(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Dget_type(ids[0])) < 0)
        return rh5_fail(c, loc, name, "cannot open dataset");
    return 0;
}

/* The names of the timeline's two counters: fields 1 and 2 of the
 * compound type of dataset `name` of loc (field 0 is "t").  names[] are
 * new strings (free both). */
static int read_tlnames(rh5_ctx *c, hid_t loc, const char *name, char *names[2])
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, type */
    int rc = -1;
    names[0] = names[1] = NULL;
    if (open_typed(c, loc, name, ids) < 0)
        goto out;
    if (H5Tget_class(ids[1]) != H5T_COMPOUND || H5Tget_nmembers(ids[1]) != 3) {
        bad(c, "%s is not a compound type of three fields", name);
        goto out;
    }
    for (unsigned i = 1; i <= 2; i++) {
        char *fname = H5Tget_member_name(ids[1], i);
        if (fname == NULL) {
            rh5_fail(c, loc, name, "cannot inspect the fields of");
            goto out;
        }
        names[i - 1] = rg_xstrdup(fname);
        (void)H5free_memory(fname);
        if (strcmp(names[i - 1], "t") == 0 || strcmp(names[0], names[1] ? names[1] : "") == 0) {
            bad(c, "%s: field %u '%s' clashes with another field", name, i, names[i - 1]);
            goto out;
        }
    }
    rc = 0;
out:
    if (rc < 0) {
        free(names[0]);
        free(names[1]);
        names[0] = names[1] = NULL;
    }
    return rh5_close_all(c, ids, 2, rc);
}

/* Reconstructs the metric list from the summary dataset `name` of loc: the
 * field names and classes of its compound type, and its attributes units,
 * descriptions and flags.  *met is new (metrics_free). */
static int read_metrics(rh5_ctx *c, const rh5_types *t, hid_t loc, const char *name,
                        rg_metric **met, size_t *nmet)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, type */
    char **units = NULL, **descs = NULL;
    unsigned *flags = NULL;
    rg_metric *mt = NULL;
    size_t nf = 0;
    int rc = -1;
    *met = NULL;
    *nmet = 0;
    if (open_typed(c, loc, name, ids) < 0)
        goto out;
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
            rh5_fail(c, loc, name, "cannot inspect the fields of");
            if (fname != NULL)
                (void)H5free_memory(fname);
            goto out;
        }
        bool okf = i == 0 ? strcmp(fname, RH5_F_REP) == 0 && cl == H5T_INTEGER
                          : (cl == H5T_INTEGER || cl == H5T_FLOAT) && strcmp(fname, RH5_F_REP) != 0;
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
    if ((units = get_strs(c, t, ids[0], RH5_A_UNITS, nf)) == NULL ||
        (descs = get_strs(c, t, ids[0], RH5_A_DESCRIPTIONS, nf)) == NULL ||
        get_attr(c, ids[0], RH5_A_FLAGS, H5T_NATIVE_UINT, nf, flags) < 0)
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
    return rh5_close_all(c, ids, 2, rc);
}

/* Reads variant v from group `gname` of vars into r, whose metrics came
 * from variant 0: every variant must have the same ones. */
static int get_variant(rh5_ctx *c, const rh5_types *t, hid_t vars, const char *gname, rg_results *r,
                       size_t v)
{
    hid_t g = H5I_INVALID_HID;
    rg_metric *met = NULL;
    size_t nmet = 0, n = 0, nf = r->nmet + 1;
    rh5_cell *rows = NULL;
    rh5_hrow *h = NULL;
    int rc = -1;

    htri_t ex = H5Lexists(vars, gname, H5P_DEFAULT);
    if (ex <= 0) {
        if (ex < 0)
            rh5_fail(c, vars, gname, "cannot look up");
        else
            bad(c, "group /variants/%s is missing", gname);
        goto out;
    }
    if ((g = H5Gopen2(vars, gname, H5P_DEFAULT)) < 0) {
        rh5_fail(c, vars, gname, "cannot open group");
        goto out;
    }
    if (read_metrics(c, t, g, RH5_SUMMARY, &met, &nmet) < 0)
        goto out;
    bool same = nmet == r->nmet;
    for (size_t m = 0; same && m < nmet; m++)
        same = strcmp(met[m].name, r->met[m].name) == 0 && met[m].type == r->met[m].type;
    if (!same) {
        bad(c, "variant '%s' has other metrics than variant '%s'", r->varnames[v], r->varnames[0]);
        goto out;
    }
    if ((rows = get_dset(c, g, RH5_SUMMARY, t->sum_m, sizeof(rh5_cell) * nf, &n)) == NULL)
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

    if ((h = get_dset(c, g, RH5_HISTOGRAM, t->hist_m, sizeof(rh5_hrow), &n)) == NULL)
        goto out;
    if (n != RG_HIST_NBINS) {
        bad(c, "variant '%s': latency_histogram has %zu rows, expected %d", r->varnames[v], n,
            RG_HIST_NBINS);
        goto out;
    }
    for (size_t b = 0; b < n; b++)
        r->hist[v * RG_HIST_NBINS + b] = h[b].count;

    if ((r->tl[v] = get_dset(c, g, RH5_TIMELINE, t->tl_m, sizeof(rg_tlpoint), &r->ntl[v])) == NULL)
        goto out;
    if (r->ntl[v] == 0) { /* as the runner leaves it */
        free(r->tl[v]);
        r->tl[v] = NULL;
    }

    if ((ex = H5Lexists(g, RH5_LATENCIES, H5P_DEFAULT)) < 0) {
        rh5_fail(c, g, RH5_LATENCIES, "cannot look up");
        goto out;
    }
    if (ex > 0 && (r->lat[v] = get_dset(c, g, RH5_LATENCIES, H5T_NATIVE_DOUBLE, sizeof(double),
                                        &r->nlat[v])) == NULL)
        goto out;
    rc = 0;
out:
    free(rows);
    free(h);
    metrics_free(met, nmet);
    return rh5_close_all(c, &g, 1, rc);
}

/* ---- opening and reading ------------------------------------------------ */

/* Opens path read-only if it is an HDF5 file with revguard-sim's root
 * attributes (tool, tool_version, format_version); *f is the open file.
 * RG_ERR_INPUT for a missing file or one that is not ours. */
static int open_ours(rh5_ctx *c, const rh5_types *t, const char *path, hid_t *f)
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
        return rh5_fail(c, -1, NULL, "cannot read");
    if (h == 0)
        return rg_err_set(c->e, RG_ERR_INPUT,
                          "%s: not an HDF5 file (expected a revguard-sim results file)", path);
    if ((fapl = rh5_fapl(c, false)) < 0)
        goto out;
    if ((*f = H5Fopen(path, H5F_ACC_RDONLY, fapl)) < 0) {
        rh5_fail(c, -1, NULL, "cannot open");
        goto out;
    }
    htri_t a = H5Aexists(*f, RH5_A_TOOL), b = a > 0 ? H5Aexists(*f, RH5_A_TOOL_VERSION) : 0;
    htri_t v = b > 0 ? H5Aexists(*f, RH5_A_FORMAT_VERSION) : 0;
    if (a < 0 || b < 0 || v < 0) {
        rh5_fail(c, *f, NULL, "cannot read the attributes of");
        goto out;
    }
    if (v == 0 || get_str(c, t, *f, RH5_A_TOOL, &tool) < 0 || strcmp(tool, RH5_TOOL_NAME) != 0) {
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
    return rh5_close_all(c, &fapl, 1, rc);
}

/* The root attributes of file f: the format version (checked), meta, the
 * replications asked for and done (bounded). */
static int get_root(rh5_ctx *c, const rh5_types *t, hid_t f, rg_meta *meta, uint64_t *reps,
                    uint64_t *done)
{
    int fmt = 0, complete = 0;
    if (get_attr(c, f, RH5_A_FORMAT_VERSION, H5T_NATIVE_INT, 1, &fmt) < 0)
        return -1;
    if (fmt != RH5_FORMAT_VERSION) {
        rg_err_set(c->e, RG_ERR_INPUT,
                   "%s: results format version %d; this revguard-sim reads version %d", c->prefix,
                   fmt, RH5_FORMAT_VERSION);
        return -1;
    }
    if (get_str(c, t, f, RH5_A_TOOL_VERSION, &meta->tool_version) < 0 ||
        get_str(c, t, f, RH5_A_SCENARIO_NAME, &meta->scenario_name) < 0 ||
        get_str(c, t, f, RH5_A_SCENARIO_DESC, &meta->description) < 0 ||
        get_str(c, t, f, RH5_A_MODEL, &meta->model) < 0 ||
        get_str(c, t, f, RH5_A_RESOLVED, &meta->resolved) < 0 ||
        get_str(c, t, f, RH5_A_CREATED, &meta->created) < 0 ||
        get_attr(c, f, RH5_A_SEED, H5T_NATIVE_UINT64, 1, &meta->seed) < 0 ||
        get_attr(c, f, RH5_A_REPS, H5T_NATIVE_UINT64, 1, reps) < 0 ||
        get_attr(c, f, RH5_A_REPS_DONE, H5T_NATIVE_UINT64, 1, done) < 0 ||
        get_attr(c, f, RH5_A_COMPLETE, H5T_NATIVE_INT, 1, &complete) < 0)
        return -1;
    meta->complete = complete != 0;
    if (*reps > READ_MAX_REPS || *done > *reps)
        return bad(c, "replications %llu, replications_done %llu", (unsigned long long)*reps,
                   (unsigned long long)*done);
    htri_t part = H5Aexists(f, RH5_A_SHARDS);
    if (part < 0)
        return rh5_fail(c, f, RH5_A_SHARDS, "cannot look up attribute");
    if (part > 0 &&
        (get_attr(c, f, RH5_A_SHARD, H5T_NATIVE_UINT64, 1, &meta->shard) < 0 ||
         get_attr(c, f, RH5_A_SHARDS, H5T_NATIVE_UINT64, 1, &meta->shards) < 0 ||
         get_attr(c, f, RH5_A_FIRST_REP, H5T_NATIVE_UINT64, 1, &meta->first_rep) < 0 ||
         get_attr(c, f, RH5_A_TOTAL_REPS, H5T_NATIVE_UINT64, 1, &meta->total_reps) < 0))
        return -1;
    if (part > 0 && (meta->shards == 0 || meta->shard < 1 || meta->shard > meta->shards ||
                     meta->total_reps > READ_MAX_REPS || meta->first_rep > meta->total_reps ||
                     *reps > meta->total_reps - meta->first_rep))
        return bad(c, "shard %llu of %llu, replications %llu from %llu of %llu",
                   (unsigned long long)meta->shard, (unsigned long long)meta->shards,
                   (unsigned long long)*reps, (unsigned long long)meta->first_rep,
                   (unsigned long long)meta->total_reps);
    return 0;
}

int rh5_read_variants(rh5_ctx *c, hid_t loc, uint64_t reps, uint64_t done, rg_results **out)
{
    rh5_types t;
    hid_t vars = H5I_INVALID_HID;
    char **order = NULL, **groups = NULL;
    rg_metric *met = NULL;
    char *tlnames[2] = {NULL, NULL};
    size_t nvar = 0, nmet = 0;
    rg_results *r = NULL;
    int rc = -1;
    *out = NULL;
    if (rh5_types_make(c, NULL, 0, NULL, &t) < 0)
        goto out;
    if ((vars = H5Gopen2(loc, RH5_VARIANTS, H5P_DEFAULT)) < 0) {
        rh5_fail(c, loc, RH5_VARIANTS, "cannot open group");
        goto out;
    }
    hssize_t no = attr_len(c, vars, RH5_A_ORDER), ng = attr_len(c, vars, RH5_A_GROUPS);
    if (no < 0 || ng < 0)
        goto out;
    if (no != ng) {
        bad(c, "variants: 'order' has %lld names but 'groups' %lld", (long long)no, (long long)ng);
        goto out;
    }
    nvar = (size_t)no;
    if ((order = get_strs(c, &t, vars, RH5_A_ORDER, nvar)) == NULL ||
        (groups = get_strs(c, &t, vars, RH5_A_GROUPS, nvar)) == NULL)
        goto out;
    if (nvar > 0) {
        if (H5Lexists(vars, groups[0], H5P_DEFAULT) <= 0) {
            bad(c, "group variants/%s is missing", groups[0]);
            goto out;
        }
        char *sp = rg_xasprintf("%s/" RH5_SUMMARY, groups[0]);
        char *tp = rg_xasprintf("%s/" RH5_TIMELINE, groups[0]);
        int st = read_metrics(c, &t, vars, sp, &met, &nmet);
        if (st == 0)
            st = read_tlnames(c, vars, tp, tlnames);
        free(sp);
        free(tp);
        if (st < 0)
            goto out;
    }
    r = rg_results_new(nvar, (const char *const *)order, nmet, met, reps);
    r->reps_done = done;
    rg_results_set_timeline_names(r, (const char *const *)tlnames);
    if (rh5_types_close(c, &t, 0) < 0 ||
        rh5_types_make(c, r->met, r->nmet, (const char *const *)r->tlnames, &t) < 0)
        goto out;
    for (size_t v = 0; v < nvar; v++)
        if (get_variant(c, &t, vars, groups[v], r, v) < 0)
            goto out;
    /* As the runner counts them: the events of completed replications.
     * Roles are not stored in the file; this one is the run layer's own. */
    static const rg_metric std[] = {RG_METRIC_EVENTS};
    rg_results_adopt_roles(r, std, 1);
    int ev = rg_results_role(r, RG_ROLE_EVENTS);
    for (size_t v = 0; ev >= 0 && v < nvar; v++)
        for (uint64_t i = 0; i < done; i++)
            r->events += (uint64_t)rg_results_value(r, v, i, (size_t)ev);
    rc = 0;
out:
    rc = rh5_close_all(c, &vars, 1, rc);
    rc = rh5_types_close(c, &t, rc);
    strs_free(order, nvar);
    strs_free(groups, nvar);
    metrics_free(met, nmet);
    free(tlnames[0]);
    free(tlnames[1]);
    if (rc < 0)
        rg_results_free(r);
    else
        *out = r;
    return rc;
}

int rh5_open_root(rh5_ctx *c, hid_t *f, rg_meta *meta, uint64_t *reps, uint64_t *done, bool *sweep)
{
    rh5_types t;
    int rc = rh5_types_make(c, NULL, 0, NULL, &t);
    if (rc == 0)
        rc = open_ours(c, &t, c->prefix, f);
    if (rc == 0)
        rc = get_root(c, &t, *f, meta, reps, done);
    if (rc == 0) {
        htri_t ex = H5Aexists(*f, RH5_A_SWEEP);
        if (ex < 0)
            rc = rh5_fail(c, *f, RH5_A_SWEEP, "cannot look up attribute");
        *sweep = ex > 0;
    }
    return rh5_types_close(c, &t, rc);
}

int rg_results_read(const char *path, rg_results **out, rg_meta *meta, rg_err *e)
{
    rh5_quiet();
    rh5_ctx c = {path, e};
    hid_t f = H5I_INVALID_HID;
    uint64_t reps = 0, done = 0;
    bool sweep = false;
    int rc = -1;
    *out = NULL;
    memset(meta, 0, sizeof *meta);
    if (rh5_open_root(&c, &f, meta, &reps, &done, &sweep) < 0)
        goto out;
    if (sweep) {
        rg_err_set(e, RG_ERR_INPUT,
                   "%s holds a sweep (the results of several points), not a single run", path);
        goto out;
    }
    if (rh5_read_variants(&c, f, reps, done, out) < 0)
        goto out;
    (*out)->seed = meta->seed;
    (*out)->interrupted = !meta->complete;
    rc = 0;
out:
    rc = rh5_close_all(&c, &f, 1, rc);
    if (rc < 0) {
        rg_results_free(*out);
        *out = NULL;
        rg_meta_free(meta);
    }
    return rc;
}

bool rg_results_is_sweep(const char *path)
{
    rh5_quiet();
    rg_err e;
    rg_err_clear(&e);
    rh5_ctx c = {path, &e};
    hid_t f = H5I_INVALID_HID;
    rg_meta m = {0};
    uint64_t reps, done;
    bool sweep = false;
    int rc = rh5_open_root(&c, &f, &m, &reps, &done, &sweep);
    rc = rh5_close_all(&c, &f, 1, rc);
    rg_meta_free(&m);
    return rc == 0 && sweep;
}

bool rg_results_is_ours(const char *path)
{
    rh5_quiet();
    rg_err e;
    rg_err_clear(&e);
    rh5_ctx c = {path, &e};
    rh5_types t;
    hid_t f = H5I_INVALID_HID;
    int rc = rh5_types_make(&c, NULL, 0, NULL, &t);
    if (rc == 0)
        rc = open_ours(&c, &t, path, &f);
    rc = rh5_close_all(&c, &f, 1, rc);
    rc = rh5_types_close(&c, &t, rc);
    return rc == 0;
}

int rg_results_check_path(const char *path, bool force, rg_err *e)
{
    rh5_quiet();
    struct stat st;
    if (rg_check_writable(path, "results file", e) < 0)
        return -1;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0; /* a new file */
        return rg_err_set(e, RG_ERR_IO, "cannot write results file %s: %s", path, strerror(errno));
    }
    /* Never replace a device, pipe or socket, even with --force. */
    if (!S_ISREG(st.st_mode))
        return rg_err_set(e, RG_ERR_INPUT, "%s exists and is not a regular file", path);
    if (!force && !rg_results_is_ours(path))
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s exists and is not a revguard-sim results file; use --force to "
                          "overwrite",
                          path);
    return 0;
}
