/*
 * results-read.c: the results file in HDF5, reading side: rg_results_read,
 * which loads a whole file back into an rg_results and its rg_meta,
 * rg_results_is_ours, which tells a revguard-sim results file from
 * anything else, and rg_results_is_sweep.  The layout is in
 * results.h; the names, row types and shared helpers (errors, closing,
 * types, reading a file safely) come from the private header results-h5.h
 * and are defined in results-h5.c.
 *
 * A results file is hostile input.  Every read goes through rh5_read_file
 * (a child process reads first, on an in-memory image, so that a file that
 * crashes HDF5 is an error here), and every object is checked before it is
 * used:
 *   - links: the reader opens only hard links, one name at a time; a soft,
 *     external or user-defined link is an error, so nothing outside the
 *     file is ever opened;
 *   - datasets: no external storage (its bytes would come from another
 *     file, say /etc/passwd), no virtual layout, no filter but deflate and
 *     shuffle; the class of the type, the rank and the number of elements
 *     are checked before anything is allocated: a table must have the rows
 *     the root attributes promise (replications_done, RG_HIST_NBINS), and
 *     whatever a file claims draws on the reader's budget (rh5_spend), so
 *     no claim can exceed what a file of its size can hold;
 *   - attributes: class (number or variable-length string) and count
 *     before reading; at most READ_MAX_VALUES values.
 * A file that is HDF5 but not laid out as expected gives RG_ERR_INPUT ("not
 * a valid revguard-sim results file: ..."), naming what is wrong.  HDF5
 * failures give RG_ERR_IO with the system's reason, as in the writer.
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
 * (resultset.h, RG_MAX_REPS): a corrupt attribute must not size the
 * allocation. */
#define READ_MAX_REPS ((uint64_t)RG_MAX_REPS)
/* At most this many values in one attribute (variant names, units). */
#define READ_MAX_VALUES ((hssize_t)1 << 20)

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

/* The name of loc in the file ("/variants"), for messages. */
typedef struct where {
    char s[256];
} where;

static where where_of(hid_t loc)
{
    where w = {""};
    if (H5Iget_name(loc, w.s, sizeof w.s) < 0)
        w.s[0] = '\0';
    return w;
}

/* A new zeroed buffer of n elements of size bytes, drawn on the budget;
 * NULL with c->e filled (never an abort: the sizes come from the file). */
static void *rdalloc(rh5_ctx *c, uint64_t n, size_t size, const char *what)
{
    if (rh5_spend(c, n, size, what) < 0)
        return NULL;
    void *p = calloc(n ? (size_t)n : 1, size ? size : 1);
    if (p == NULL)
        rg_err_set(c->e, RG_ERR_IO, "%s: out of memory reading %s (%llu bytes)", c->prefix, what,
                   (unsigned long long)(n * size));
    return p;
}

/* ---- links and objects -------------------------------------------------- */

/* 1 if loc has a hard link called name (one link name, never a path), 0
 * if it has none, -1 with c->e filled for any other kind of link: soft and
 * external links can point anywhere, in this file or another, and the
 * reader never follows them. */
static int has_link(rh5_ctx *c, hid_t loc, const char *name)
{
    if (name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0)
        return bad(c, "'%s' at %s is not the name of a group or dataset", name, where_of(loc).s);
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex < 0)
        return rh5_fail(c, loc, name, "cannot look up");
    if (ex == 0)
        return 0;
    H5L_info_t li;
    if (H5Lget_info(loc, name, &li, H5P_DEFAULT) < 0)
        return rh5_fail(c, loc, name, "cannot look up");
    if (li.type != H5L_TYPE_HARD)
        return bad(c, "'%s' at %s is %s link (a results file holds its own objects only)", name,
                   where_of(loc).s,
                   li.type == H5L_TYPE_SOFT       ? "a soft"
                   : li.type == H5L_TYPE_EXTERNAL ? "an external"
                                                  : "a user-defined");
    return 1;
}

hid_t rh5_open_group(rh5_ctx *c, hid_t loc, const char *name)
{
    int h = has_link(c, loc, name);
    if (h <= 0) {
        if (h == 0)
            bad(c, "group '%s' is missing at %s", name, where_of(loc).s);
        return H5I_INVALID_HID;
    }
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        rh5_fail(c, loc, name, "cannot open group");
    return g;
}

static const char *class_name(H5T_class_t k)
{
    switch (k) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a real";
    case H5T_STRING: return "a string";
    case H5T_COMPOUND: return "a table";
    default: return "of another type";
    }
}

/* Checks how dataset d stores its data: in this file (no external
 * storage, no virtual layout) and with no filter but the two the writer
 * uses. */
static int check_storage(rh5_ctx *c, hid_t d)
{
    hid_t p = H5Dget_create_plist(d);
    int rc = -1;
    if (p < 0) {
        rh5_fail(c, d, NULL, "cannot inspect dataset");
        goto out;
    }
    int next = H5Pget_external_count(p), nf = H5Pget_nfilters(p);
    H5D_layout_t lay = H5Pget_layout(p);
    if (next < 0 || nf < 0 || lay < 0) {
        rh5_fail(c, d, NULL, "cannot inspect dataset");
        goto out;
    }
    if (next > 0) {
        bad(c, "dataset %s has external storage (its data would come from another file)",
            where_of(d).s);
        goto out;
    }
    if (lay == H5D_VIRTUAL) {
        bad(c, "dataset %s is virtual (its data would come from other files)", where_of(d).s);
        goto out;
    }
    for (unsigned i = 0; i < (unsigned)nf; i++) {
        unsigned flags;
        size_t ncd = 0;
        H5Z_filter_t id = H5Pget_filter2(p, i, &flags, &ncd, NULL, 0, NULL, NULL);
        if (id != H5Z_FILTER_DEFLATE && id != H5Z_FILTER_SHUFFLE) {
            bad(c, "dataset %s uses filter %d (results files use deflate and shuffle only)",
                where_of(d).s, (int)id);
            goto out;
        }
    }
    rc = 0;
out:
    return rh5_close_all(c, &p, 1, rc);
}

/* Opens dataset `name` of loc into ids[0] and its type into ids[1] (the
 * caller closes both): a hard link, stored in this file, whose type is of
 * class cls. */
static int open_dset(rh5_ctx *c, hid_t loc, const char *name, H5T_class_t cls, hid_t ids[2])
{
    int h = has_link(c, loc, name);
    if (h <= 0)
        return h < 0 ? -1 : bad(c, "dataset '%s' is missing at %s", name, where_of(loc).s);
    if ((ids[0] = H5Dopen2(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Dget_type(ids[0])) < 0)
        return rh5_fail(c, loc, name, "cannot open dataset");
    H5T_class_t k = H5Tget_class(ids[1]);
    if (k < 0)
        return rh5_fail(c, loc, name, "cannot inspect dataset");
    if (k != cls)
        return bad(c, "dataset '%s' at %s is %s, expected %s", name, where_of(loc).s, class_name(k),
                   class_name(cls));
    return check_storage(c, ids[0]);
}

/* ---- typed reads -------------------------------------------------------- */

/* Reads attribute `name` of loc, which must hold exactly n values (a scalar
 * holds one), as memory type mtype into buf.  Its class must match mtype's
 * (any number for a number; a variable-length string for a string), and
 * all is checked before HDF5 reads a byte of its data.  The strings read
 * belong to HDF5 (H5free_memory). */
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
        bad(c, "attribute '%s' of %s is missing", name, where_of(loc).s);
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
        if (!ok)
            bad(c, "attribute '%s' of %s is not %s", name, where_of(loc).s,
                num ? "a number" : "a variable-length string");
        else
            bad(c, "attribute '%s' of %s has %lld values, expected %zu", name, where_of(loc).s,
                (long long)np, n);
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

/* Number of values in attribute `name` of loc (at most READ_MAX_VALUES),
 * or -1. */
static hssize_t attr_len(rh5_ctx *c, hid_t loc, const char *name)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID};
    hssize_t np = -1;
    htri_t ex = H5Aexists(loc, name);
    if (ex <= 0) {
        if (ex < 0)
            rh5_fail(c, loc, name, "cannot look up attribute");
        else
            bad(c, "attribute '%s' of %s is missing", name, where_of(loc).s);
        return -1;
    }
    if ((ids[0] = H5Aopen(loc, name, H5P_DEFAULT)) < 0 || (ids[1] = H5Aget_space(ids[0])) < 0 ||
        (np = H5Sget_simple_extent_npoints(ids[1])) < 0) {
        rh5_fail(c, loc, name, "cannot open attribute");
        np = -1;
    } else if (np > READ_MAX_VALUES) {
        bad(c, "attribute '%s' of %s claims %lld values", name, where_of(loc).s, (long long)np);
        np = -1;
    }
    return rh5_close_all(c, ids, 2, 0) < 0 ? -1 : np;
}

static void strs_free(char **s, size_t n)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

/* Reads the n strings of attribute `name` into a new array of new strings
 * (free with strs_free).  NULL on error. */
static char **get_strs(rh5_ctx *c, const rh5_types *t, hid_t loc, const char *name, size_t n)
{
    char **h = rdalloc(c, n, sizeof *h, name);
    char **s = NULL;
    if (h == NULL)
        return NULL;
    if (get_attr(c, loc, name, t->str, n, h) == 0 && (s = rdalloc(c, n, sizeof *s, name)) != NULL) {
        for (size_t i = 0; i < n; i++)
            s[i] = rg_xstrdup(rh5_nz(h[i]));
    }
    for (size_t i = 0; i < n; i++)
        if (h[i] != NULL)
            (void)H5free_memory(h[i]);
    free(h);
    return s;
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

/* Opens the dataset `name` of loc to be read as memory type mtype: its
 * dataset, type and space into ids[0..2] (the caller closes them), its
 * rank (0, a scalar, or 1) into *rank and its length into *rows, which
 * must be `want` unless want is UINT64_MAX.  -1 with c->e filled. */
static int open_table(rh5_ctx *c, hid_t loc, const char *name, hid_t mtype, uint64_t want,
                      hid_t ids[3], int *rank, uint64_t *rows)
{
    H5T_class_t k = H5Tget_class(mtype);
    if (k < 0)
        return rh5_fail(c, -1, name, "cannot inspect the memory type for");
    if (open_dset(c, loc, name, k, ids) < 0)
        return -1;
    if ((ids[2] = H5Dget_space(ids[0])) < 0)
        return rh5_fail(c, loc, name, "cannot open dataset");
    *rank = H5Sget_simple_extent_ndims(ids[2]);
    hssize_t np = H5Sget_simple_extent_npoints(ids[2]);
    if (*rank < 0 || np < 0)
        return rh5_fail(c, loc, name, "cannot inspect dataset");
    if (*rank > 1)
        return bad(c, "dataset '%s' at %s has %d dimensions, expected 1", name, where_of(loc).s,
                   *rank);
    if (want != UINT64_MAX && (uint64_t)np != want)
        return bad(c, "dataset '%s' at %s has %lld rows, expected %llu", name, where_of(loc).s,
                   (long long)np, (unsigned long long)want);
    *rows = (uint64_t)np;
    return 0;
}

/* Reads the 1-D dataset `name` of loc (a null dataspace counts as empty) as
 * memory type mtype into a new buffer of at least one element of esize
 * bytes; *n is its length, which must be `want` unless want is SIZE_MAX.
 * The length is checked, and drawn on the budget, before anything is
 * allocated.  NULL on error. */
static void *get_dset(rh5_ctx *c, hid_t loc, const char *name, hid_t mtype, size_t esize,
                      size_t want, size_t *n)
{
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, type, space */
    void *buf = NULL;
    int rank;
    uint64_t np;
    if (open_table(c, loc, name, mtype, want == SIZE_MAX ? UINT64_MAX : want, ids, &rank, &np) < 0)
        goto out;
    char what[300];
    snprintf(what, sizeof what, "dataset %s", where_of(ids[0]).s);
    if ((buf = rdalloc(c, (uint64_t)np, esize, what)) == NULL)
        goto out;
    if (np > 0 && H5Dread(ids[0], mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        rh5_fail(c, loc, name, "cannot read dataset");
        free(buf);
        buf = NULL;
        goto out;
    }
    *n = (size_t)np;
out:
    if (rh5_close_all(c, ids, 3, buf ? 0 : -1) < 0 && buf != NULL) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* ---- metrics and variants ----------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name that appears twice in names[0..n-1], or NULL; O(n log n). */
static const char *duplicate(char *const *names, size_t n)
{
    const char *dup = NULL;
    char **s = rg_xcalloc(n ? n : 1, sizeof *s);
    memcpy(s, names, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_str);
    for (size_t i = 1; i < n && dup == NULL; i++)
        if (strcmp(s[i - 1], s[i]) == 0)
            dup = s[i];
    free(s);
    return dup;
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

/* The names of the timeline's two counters: fields 1 and 2 of the
 * compound type of dataset `name` of loc (field 0 is "t").  names[] are
 * new strings (free both). */
static int read_tlnames(rh5_ctx *c, hid_t loc, const char *name, char *names[2])
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, type */
    int rc = -1;
    names[0] = names[1] = NULL;
    if (open_dset(c, loc, name, H5T_COMPOUND, ids) < 0)
        goto out;
    if (H5Tget_nmembers(ids[1]) != 3) {
        bad(c, "%s at %s is not a table of three fields", name, where_of(loc).s);
        goto out;
    }
    for (unsigned i = 0; i <= 2; i++) {
        char *fname = H5Tget_member_name(ids[1], i);
        H5T_class_t cl = H5Tget_member_class(ids[1], i);
        if (fname == NULL || cl < 0) {
            rh5_fail(c, loc, name, "cannot inspect the fields of");
            if (fname != NULL)
                (void)H5free_memory(fname);
            goto out;
        }
        bool okf = i == 0 ? strcmp(fname, "t") == 0 : strcmp(fname, "t") != 0;
        okf = okf && (cl == H5T_INTEGER || cl == H5T_FLOAT);
        if (i > 0)
            names[i - 1] = rg_xstrdup(fname);
        if (!okf)
            bad(c, "%s at %s: field %u '%s' is not %s", name, where_of(loc).s, i, fname,
                i == 0 ? "the time 't'" : "a counter");
        (void)H5free_memory(fname);
        if (!okf)
            goto out;
    }
    if (strcmp(names[0], names[1]) == 0) {
        bad(c, "%s at %s: two fields are called '%s'", name, where_of(loc).s, names[0]);
        goto out;
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
 * descriptions and flags.  Names follow the writer's rule (non-empty, no
 * '.' or '/', never "rep", each once).  *met is new (metrics_free). */
static int read_metrics(rh5_ctx *c, const rh5_types *t, hid_t loc, const char *name,
                        rg_metric **met, size_t *nmet)
{
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* dataset, type */
    char **units = NULL, **descs = NULL, **names = NULL;
    unsigned *flags = NULL;
    rg_metric *mt = NULL;
    size_t nf = 0;
    int rc = -1;
    *met = NULL;
    *nmet = 0;
    if (open_dset(c, loc, name, H5T_COMPOUND, ids) < 0)
        goto out;
    int nm = H5Tget_nmembers(ids[1]);
    if (nm < 1) {
        bad(c, "%s at %s is not a table with a field 'rep'", name, where_of(loc).s);
        goto out;
    }
    nf = (size_t)nm;
    if ((mt = rdalloc(c, nf, sizeof *mt, name)) == NULL ||
        (names = rdalloc(c, nf, sizeof *names, name)) == NULL)
        goto out;
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
                          : (cl == H5T_INTEGER || cl == H5T_FLOAT) && fname[0] != '\0' &&
                                strpbrk(fname, "./") == NULL && strcmp(fname, RH5_F_REP) != 0;
        names[i] = rg_xstrdup(fname);
        if (i > 0) {
            mt[i - 1].name = rg_xstrdup(fname);
            mt[i - 1].type = cl == H5T_INTEGER ? RG_MF_INT : RG_MF_REAL;
        }
        if (!okf)
            bad(c, "%s at %s: field %u '%s' is not %s", name, where_of(loc).s, i, fname,
                i == 0 ? "the integer 'rep'" : "a number with a metric's name");
        (void)H5free_memory(fname);
        if (!okf)
            goto out;
    }
    const char *dup = duplicate(names, nf);
    if (dup != NULL) {
        bad(c, "%s at %s: two fields are called '%s'", name, where_of(loc).s, dup);
        goto out;
    }
    if ((flags = rdalloc(c, nf, sizeof *flags, name)) == NULL ||
        (units = get_strs(c, t, ids[0], RH5_A_UNITS, nf)) == NULL ||
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
    strs_free(names, nf);
    strs_free(units, nf);
    strs_free(descs, nf);
    free(flags);
    return rh5_close_all(c, ids, 2, rc);
}

/* Replications read at a time from a summary table: they go into the
 * result set a block at a time (spilled rows back to their file as they
 * go), so the table is never held whole beside the rows. */
#define ROWS_BLOCK 16384

/* Reads the summary table of variant v (group g) into r's rows: as many
 * rows as replications done, one field per metric after the index. */
static int get_rows(rh5_ctx *c, const rh5_types *t, hid_t g, rg_results *r, size_t v,
                    const rg_metric *met)
{
    hid_t ids[4] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID,
                    H5I_INVALID_HID}; /* dataset, type, file space, memory space */
    size_t nf = r->nmet + 1;
    rh5_cell *buf = NULL;
    int rc = -1;
    int rank;
    uint64_t n;
    if (open_table(c, g, RH5_SUMMARY, t->sum_m, r->reps_done, ids, &rank, &n) < 0)
        goto out;
    char what[300];
    snprintf(what, sizeof what, "dataset %s", where_of(ids[0]).s);
    uint64_t blk = n < ROWS_BLOCK ? n : ROWS_BLOCK, gone = 0;
    if ((buf = rdalloc(c, blk, sizeof(rh5_cell) * nf, what)) == NULL)
        goto out;
    for (uint64_t at = 0; at < n; at += blk) {
        hsize_t start = at, count = n - at < blk ? n - at : blk;
        /* a scalar table (one replication) is read whole */
        if (rank == 1 &&
            (H5Sselect_hyperslab(ids[2], H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
             (ids[3] = H5Screate_simple(1, &count, NULL)) < 0)) {
            rh5_fail(c, g, RH5_SUMMARY, "cannot read dataset");
            goto out;
        }
        if (H5Dread(ids[0], t->sum_m, rank == 1 ? ids[3] : H5S_ALL, rank == 1 ? ids[2] : H5S_ALL,
                    H5P_DEFAULT, buf) < 0) {
            rh5_fail(c, g, RH5_SUMMARY, "cannot read dataset");
            goto out;
        }
        if (rh5_close_all(c, &ids[3], 1, 0) < 0)
            goto out;
        for (uint64_t i = 0; i < count; i++)
            for (size_t m = 0; m < r->nmet; m++) {
                rg_mval *x = &r->rows[(v * r->reps + at + i) * r->nmet + m];
                if (met[m].type == RG_MF_INT)
                    x->i = buf[i * nf + m + 1].i;
                else
                    x->d = buf[i * nf + m + 1].d;
            }
        gone = rg_results_let_go(r, v, gone, at + count);
        rh5_let_image_go(c); /* and the block's bytes in the file's copy */
    }
    rc = 0;
out:
    free(buf);
    return rh5_close_all(c, ids, 4, rc);
}

/* Reads variant v from group `gname` of vars into r, whose metrics and
 * timeline came from variant 0: every variant must have the same ones. */
static int get_variant(rh5_ctx *c, const rh5_types *t, hid_t vars, const char *gname, rg_results *r,
                       size_t v)
{
    hid_t g = H5I_INVALID_HID;
    rg_metric *met = NULL;
    char *tln[2] = {NULL, NULL};
    size_t nmet = 0, n = 0;
    rh5_hrow *h = NULL;
    int rc = -1;

    if ((g = rh5_open_group(c, vars, gname)) < 0)
        goto out;
    if (read_metrics(c, t, g, RH5_SUMMARY, &met, &nmet) < 0 ||
        read_tlnames(c, g, RH5_TIMELINE, tln) < 0)
        goto out;
    bool same = nmet == r->nmet;
    for (size_t m = 0; same && m < nmet; m++)
        same = strcmp(met[m].name, r->met[m].name) == 0 && met[m].type == r->met[m].type;
    for (int k = 0; same && k < 2; k++)
        same = strcmp(tln[k], r->tlnames[k] ? r->tlnames[k] : "") == 0;
    if (!same) {
        bad(c, "variant '%s' has other metrics or timeline than variant '%s'", r->varnames[v],
            r->varnames[0]);
        goto out;
    }
    if (get_rows(c, t, g, r, v, met) < 0)
        goto out;

    if ((h = get_dset(c, g, RH5_HISTOGRAM, t->hist_m, sizeof(rh5_hrow), RG_HIST_NBINS, &n)) == NULL)
        goto out;
    for (size_t b = 0; b < n; b++)
        r->hist[v * RG_HIST_NBINS + b] = h[b].count;

    if ((r->tl[v] = get_dset(c, g, RH5_TIMELINE, t->tl_m, sizeof(rg_tlpoint), SIZE_MAX,
                             &r->ntl[v])) == NULL)
        goto out;
    if (r->ntl[v] == 0) { /* as the runner leaves it */
        free(r->tl[v]);
        r->tl[v] = NULL;
    }

    int ex = has_link(c, g, RH5_LATENCIES);
    if (ex < 0)
        goto out;
    if (ex > 0 && (r->lat[v] = get_dset(c, g, RH5_LATENCIES, H5T_NATIVE_DOUBLE, sizeof(double),
                                        SIZE_MAX, &r->nlat[v])) == NULL)
        goto out;
    rh5_let_image_go(c);
    rc = 0;
out:
    free(h);
    free(tln[0]);
    free(tln[1]);
    metrics_free(met, nmet);
    return rh5_close_all(c, &g, 1, rc);
}

/* ---- the root ----------------------------------------------------------- */

/* Checks that f has revguard-sim's root attributes (tool, tool_version,
 * format_version) and tool says so.  RG_ERR_INPUT if not. */
static int check_ours(rh5_ctx *c, const rh5_types *t, hid_t f)
{
    char *tool = NULL;
    int rc = -1;
    htri_t a = H5Aexists(f, RH5_A_TOOL), b = a > 0 ? H5Aexists(f, RH5_A_TOOL_VERSION) : 0;
    htri_t v = b > 0 ? H5Aexists(f, RH5_A_FORMAT_VERSION) : 0;
    if (a < 0 || b < 0 || v < 0) {
        rh5_fail(c, f, NULL, "cannot read the attributes of");
        goto out;
    }
    if (v == 0 || get_str(c, t, f, RH5_A_TOOL, &tool) < 0 || strcmp(tool, RH5_TOOL_NAME) != 0) {
        rg_err_set(c->e, RG_ERR_INPUT, "%s: an HDF5 file, but not a revguard-sim results file",
                   c->prefix);
        goto out;
    }
    rc = 0;
out:
    free(tool);
    return rc;
}

/* The root attributes of file f: the format version (checked), meta, the
 * replications asked for and done (bounded, and equal when the run says
 * it is complete). */
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
    if (*reps > READ_MAX_REPS || *done > *reps || (meta->complete && *done != *reps))
        return bad(c, "replications %llu, replications_done %llu%s", (unsigned long long)*reps,
                   (unsigned long long)*done, meta->complete ? " in a complete run" : "");
    htri_t part = H5Aexists(f, RH5_A_SHARDS);
    if (part < 0)
        return rh5_fail(c, f, RH5_A_SHARDS, "cannot look up attribute");
    if (part > 0 && (get_attr(c, f, RH5_A_SHARD, H5T_NATIVE_UINT64, 1, &meta->shard) < 0 ||
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

int rh5_get_root(rh5_ctx *c, hid_t f, rg_meta *meta, uint64_t *reps, uint64_t *done, bool *sweep)
{
    rh5_types t;
    int rc = rh5_types_make(c, NULL, 0, NULL, &t);
    if (rc == 0)
        rc = check_ours(c, &t, f);
    if (rc == 0)
        rc = get_root(c, &t, f, meta, reps, done);
    if (rc == 0) {
        htri_t ex = H5Aexists(f, RH5_A_SWEEP);
        if (ex < 0)
            rc = rh5_fail(c, f, RH5_A_SWEEP, "cannot look up attribute");
        *sweep = ex > 0;
    }
    return rh5_types_close(c, &t, rc);
}

/* ---- the variants ------------------------------------------------------- */

int rh5_read_variants(rh5_ctx *c, hid_t loc, uint64_t reps, uint64_t done, rg_results **out)
{
    rh5_types t;
    hid_t ids[2] = {H5I_INVALID_HID, H5I_INVALID_HID}; /* variants, group of variant 0 */
    char **order = NULL, **groups = NULL;
    rg_metric *met = NULL;
    char *tlnames[2] = {NULL, NULL};
    size_t nvar = 0, nmet = 0;
    rg_results *r = NULL;
    int rc = -1;
    *out = NULL;
    if (rh5_types_make(c, NULL, 0, NULL, &t) < 0)
        goto out;
    if ((ids[0] = rh5_open_group(c, loc, RH5_VARIANTS)) < 0)
        goto out;
    hssize_t no = attr_len(c, ids[0], RH5_A_ORDER), ng = attr_len(c, ids[0], RH5_A_GROUPS);
    if (no < 0 || ng < 0)
        goto out;
    if (no != ng || no == 0) {
        bad(c, "variants: 'order' has %lld names and 'groups' %lld", (long long)no, (long long)ng);
        goto out;
    }
    nvar = (size_t)no;
    if ((order = get_strs(c, &t, ids[0], RH5_A_ORDER, nvar)) == NULL ||
        (groups = get_strs(c, &t, ids[0], RH5_A_GROUPS, nvar)) == NULL)
        goto out;
    const char *dup = duplicate(order, nvar);
    if (dup != NULL || (dup = duplicate(groups, nvar)) != NULL) {
        bad(c, "variants: '%s' is named twice", dup);
        goto out;
    }
    if ((ids[1] = rh5_open_group(c, ids[0], groups[0])) < 0 ||
        read_metrics(c, &t, ids[1], RH5_SUMMARY, &met, &nmet) < 0 ||
        read_tlnames(c, ids[1], RH5_TIMELINE, tlnames) < 0)
        goto out;
    /* The table of replications asked for, and the histograms, before
     * rg_results_new allocates them (it aborts when memory runs out). */
    char what[128];
    snprintf(what, sizeof what, "the table of %llu replications of %zu variants",
             (unsigned long long)reps, nvar);
    if (rh5_spend(c, nvar * reps, (nmet ? nmet : 1) * sizeof(rg_mval), what) < 0 ||
        rh5_spend(c, nvar, RG_HIST_NBINS * sizeof(uint64_t), "the latency histograms") < 0)
        goto out;
    r = rg_results_new(nvar, (const char *const *)order, nmet, met, 0);
    /* A large table goes into an unnamed file beside the results file, as
     * a run's does (rg_results_spill); where that cannot be (no room, a
     * directory that is read-only or in memory), into memory as before. */
    rg_err se;
    rg_err_clear(&se);
    /* sized by the replications done: the rest of a run that stopped
     * early is never written, and gets no space */
    int sp = 0;
    if (reps > 0 && done <= reps) {
        if (c->pass_through && rg_results_scratch(r, reps))
            sp = 1; /* the vetting child: rows passed through, never kept */
        else if (c->spill_dir != NULL)
            sp = rg_results_spill(r, c->spill_dir, reps, done, &se);
    }
    if (sp < 0 && se.kind == RG_ERR_INPUT) { /* a malformed REVGUARD_SPILL_MIN */
        rg_err_set(c->e, se.kind, "%s", se.msg);
        goto out;
    }
    if (sp <= 0) {
        void *probe =
            calloc((size_t)(nvar * (reps ? reps : 1)), (nmet ? nmet : 1) * sizeof(rg_mval));
        if (probe == NULL) {
            rg_err_set(c->e, RG_ERR_IO, "%s: out of memory for %llu replications of %zu variants",
                       c->prefix, (unsigned long long)reps, nvar);
            goto out;
        }
        free(probe);
        rg_results_reserve(r, reps);
    }
    r->reps_done = done;
    rg_results_set_timeline_names(r, (const char *const *)tlnames);
    if (rh5_types_close(c, &t, 0) < 0 ||
        rh5_types_make(c, r->met, r->nmet, (const char *const *)r->tlnames, &t) < 0)
        goto out;
    for (size_t v = 0; v < nvar; v++)
        if (get_variant(c, &t, ids[0], groups[v], r, v) < 0)
            goto out;
    /* As the runner counts them: the events of completed replications.
     * Roles are not stored in the file; this one is the run layer's own. */
    static const rg_metric std[] = {RG_METRIC_EVENTS};
    rg_results_adopt_roles(r, std, 1);
    int ev = rg_results_role(r, RG_ROLE_EVENTS);
    for (size_t v = 0; ev >= 0 && v < nvar; v++) {
        uint64_t gone = 0; /* spilled rows go back to their file as read */
        for (uint64_t i = 0; i < done; i++) {
            r->events += (uint64_t)rg_results_value(r, v, i, (size_t)ev);
            gone = rg_results_read_past(r, v, gone, i, done);
        }
    }
    rc = 0;
out:
    rc = rh5_close_all(c, ids, 2, rc);
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

/* ---- public reading ----------------------------------------------------- */

/* What one read of a run's file fills (rh5_read_fn). */
typedef struct runread {
    rg_results *r;
    rg_meta meta;
} runread;

static void runread_drop(void *arg)
{
    runread *j = arg;
    rg_results_free(j->r);
    rg_meta_free(&j->meta);
    j->r = NULL;
}

static int read_run(rh5_ctx *c, hid_t f, void *arg)
{
    runread *j = arg;
    uint64_t reps = 0, done = 0;
    bool sweep = false;
    memset(j, 0, sizeof *j);
    if (rh5_get_root(c, f, &j->meta, &reps, &done, &sweep) < 0)
        goto bad;
    if (sweep) {
        rg_err_set(c->e, RG_ERR_INPUT,
                   "%s holds a sweep (the results of several points), not a single run", c->prefix);
        goto bad;
    }
    if (rh5_read_variants(c, f, reps, done, &j->r) < 0)
        goto bad;
    j->r->seed = j->meta.seed;
    j->r->interrupted = !j->meta.complete;
    return 0;
bad:
    runread_drop(j);
    return -1;
}

int rg_results_read(const char *path, rg_results **out, rg_meta *meta, rg_err *e)
{
    /* the file's own directory, for a large table of replications */
    char *dir = rg_dir_of(path);
    rh5_ctx c = {.prefix = path, .e = e, .spill_dir = dir};
    runread j = {NULL, {0}};
    *out = NULL;
    memset(meta, 0, sizeof *meta);
    int rc = rh5_read_file(&c, path, read_run, runread_drop, &j);
    free(dir);
    if (rc < 0) {
        runread_drop(&j);
        return -1;
    }
    *out = j.r;
    *meta = j.meta;
    return 0;
}

/* What a look at the root finds (rh5_read_fn): whether the file is ours,
 * and a sweep. */
typedef struct rootread {
    bool root; /* read every root attribute, not only the marks of ours */
    bool sweep;
} rootread;

static void rootread_drop(void *arg)
{
    (void)arg;
}

static int read_root(rh5_ctx *c, hid_t f, void *arg)
{
    rootread *j = arg;
    rg_meta m = {0};
    uint64_t reps, done;
    int rc;
    if (j->root) {
        rc = rh5_get_root(c, f, &m, &reps, &done, &j->sweep);
    } else {
        rh5_types t;
        rc = rh5_types_make(c, NULL, 0, NULL, &t);
        if (rc == 0)
            rc = check_ours(c, &t, f);
        rc = rh5_types_close(c, &t, rc);
    }
    rg_meta_free(&m);
    return rc;
}

/* What rg_results_look fills (rh5_read_fn). */
typedef struct lookread {
    rg_meta meta;
    uint64_t reps, done;
    bool sweep;
} lookread;

static void lookread_drop(void *arg)
{
    rg_meta_free(&((lookread *)arg)->meta);
}

static int read_look(rh5_ctx *c, hid_t f, void *arg)
{
    lookread *j = arg;
    memset(j, 0, sizeof *j);
    return rh5_get_root(c, f, &j->meta, &j->reps, &j->done, &j->sweep);
}

int rg_results_look(const char *path, rg_meta *meta, uint64_t *done, bool *sweep, rg_err *e)
{
    rh5_ctx c = {.prefix = path, .e = e, .keep_image = true};
    lookread j = {{0}, 0, 0, false};
    memset(meta, 0, sizeof *meta);
    if (rh5_read_file(&c, path, read_look, lookread_drop, &j) < 0) {
        lookread_drop(&j);
        return -1;
    }
    *meta = j.meta;
    *done = j.done;
    *sweep = j.sweep;
    return 0;
}

bool rg_results_is_sweep(const char *path)
{
    rg_err e;
    rg_err_clear(&e);
    rh5_ctx c = {.prefix = path, .e = &e, .keep_image = true};
    rootread j = {true, false};
    return rh5_read_file(&c, path, read_root, rootread_drop, &j) == 0 && j.sweep;
}

bool rg_results_is_ours(const char *path)
{
    rg_err e;
    rg_err_clear(&e);
    /* Only whether the file is ours: read in place in the vetting child,
     * never copied, however large. */
    rh5_ctx c = {.prefix = path, .e = &e, .verdict_only = true};
    rootread j = {false, false};
    return rh5_read_file(&c, path, read_root, rootread_drop, &j) == 0;
}
