/*
 * results-t.c: tests of the results file (sim/run/results.c).  A hand-built
 * rg_results with awkward variant names, both kinds of metric, a timeline
 * and raw latencies is written, read back and compared field by field;
 * equal data must give equal bytes (whole files with a fixed "created",
 * every dataset and attribute but "created" otherwise, and no object time
 * stamps); the path checks, bad input files and failed writes must give
 * clear errors and never leave a file that looks finished.
 *
 * The test looks into the files with HDF5 itself, to check what the module
 * claims without trusting its reader.  Files live in a mkdtemp directory
 * under /tmp that is removed at the end.
 */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "sim/run/results.h"
#include "sim/engine/stats.h"
#include "tests/tap/basic.h"
#include "tests/tap/files.h"

#define NVAR 4
#define NMET 5
#define REPS 5
#define NLAT 70000 /* more than one 65536-double chunk */

static const char *const varnames[NVAR] = {"object", "sql naive/odd", "sql naive_odd", ".hidden"};
/* What the writer must call their groups: clean names first, then the
 * sanitised ones, with "~1" where a sanitised name clashes. */
static const char *const groupnames[NVAR] = {"object", "sql naive_odd~1", "sql naive_odd",
                                             "_hidden"};

static const rg_metric metrics[NMET] = {
    {"allocated", RG_MF_INT, "units", "Units sold to buyers.", RG_MF_SHOW, RG_ROLE_NONE},
    {"oversell", RG_MF_INT, "units", "Units sold beyond the stock.", RG_MF_SHOW | RG_MF_MAX,
     RG_ROLE_NONE},
    {"p99_latency", RG_MF_REAL, "s", "99th percentile of request latency.", RG_MF_SHOW | RG_MF_MS,
     RG_ROLE_NONE},
    {"lost", RG_MF_REAL, "1", "1 if a write was lost (\"last writer wins\").", RG_MF_PROB,
     RG_ROLE_NONE},
    {"events", RG_MF_INT, "events", "Events processed: ±, ü, 日本.", 0, RG_ROLE_EVENTS},
};

static const char *resolved_text = "[scenario]\nname = drop\nmodel = drop\n"
                                   "description = \"quoted\" and ±5 ms\n\n[variant.object]\n";

/* ---- fixture ----------------------------------------------------------- */

/* A small deterministic generator for incompressible latencies. */
static uint64_t xs(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The fixture: every value distinct; reps_done replications of REPS done. */
static rg_results *make_results(uint64_t reps_done)
{
    rg_results *r = rg_results_new(NVAR, varnames, NMET, metrics, REPS);
    r->reps_done = reps_done;
    r->seed = UINT64_C(18446744073709551557); /* needs all 64 bits */
    r->interrupted = reps_done < REPS;
    for (size_t v = 0; v < NVAR; v++)
        for (uint64_t i = 0; i < REPS; i++)
            for (size_t m = 0; m < NMET; m++) {
                rg_mval *x = &r->rows[(v * REPS + i) * NMET + m];
                if (metrics[m].type == RG_MF_INT)
                    x->i = (int64_t)((v + 1) * 1000 + i * 10 + m);
                else
                    x->d = (double)(v + 1) + (double)i * 0.125 + (double)m * 1e-3 + 1.0 / 3.0;
            }
    /* An int64 that a double cannot hold exactly. */
    r->rows[(1 * REPS + 2) * NMET + 1].i = -INT64_C(9007199254740993);
    for (size_t v = 0; v < NVAR; v++)
        for (size_t b = 0; b < RG_HIST_NBINS; b++)
            r->hist[v * RG_HIST_NBINS + b] = (uint64_t)((v + 1) * b * b + 7);
    r->hist[RG_HIST_NBINS - 1] = UINT64_MAX - 1;

    r->ntl[0] = 4;
    r->tl[0] = calloc(4, sizeof *r->tl[0]);
    for (size_t k = 0; k < 4; k++)
        r->tl[0][k] = (rg_tlpoint){0.001 * (double)(k + 1) / 3.0, (int64_t)k * 25, (int64_t)k * k};
    /* Variant 1 keeps latencies; variant 3 kept them but had none. */
    uint64_t s = 88172645463325252u;
    r->nlat[1] = NLAT;
    r->lat[1] = calloc(NLAT, sizeof(double));
    for (size_t k = 0; k < NLAT; k++)
        r->lat[1][k] = (double)(xs(&s) >> 11) * 0x1.0p-53 * 0.5;
    r->nlat[3] = 0;
    r->lat[3] = calloc(1, sizeof(double));
    return r;
}

static void make_meta(rg_meta *m, const char *created)
{
    memset(m, 0, sizeof *m);
    m->tool_version = strdup("0.1.0-test");
    m->scenario_name = strdup("drop");
    m->description = strdup("Sneaker drop: 125 buyers, 100 units; \"quoted\", ±.");
    m->model = strdup("drop");
    m->resolved = strdup(resolved_text);
    m->created = created ? strdup(created) : NULL;
    m->seed = UINT64_C(18446744073709551557);
    m->complete = true;
}

/* ---- helpers --------------------------------------------------------------- */

static char tmpdir[64];

static char *tpath(const char *name)
{
    return rg_xasprintf("%s/%s", tmpdir, name);
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static bool contains(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* Number of entries in tmpdir whose name contains ".tmp-". */
static int temp_files(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL)
        n += strstr(de->d_name, ".tmp-") != NULL;
    if (d)
        closedir(d);
    return n;
}

static bool same_file(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa != NULL && fb != NULL;
    while (same) {
        int ca = getc(fa), cb = getc(fb);
        same = ca == cb;
        if (ca == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

static bool copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    bool good = in != NULL && out != NULL;
    int ch;
    while (good && (ch = getc(in)) != EOF)
        good = putc(ch, out) != EOF;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        good = false;
    return good;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        bail("cannot create %s", path);
    fputs(text, f);
    fclose(f);
}

/* A scalar or array string attribute of object obj in file path, element k,
 * as a new string; NULL if anything is missing. */
static char *h5_attr_str(const char *path, const char *obj, const char *name, size_t k)
{
    char *out = NULL;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = f < 0 ? -1 : H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    hid_t s = a < 0 ? -1 : H5Aget_space(a);
    hssize_t n = s < 0 ? -1 : H5Sget_simple_extent_npoints(s);
    if (t >= 0 && H5Tis_variable_str(t) > 0 && n > (hssize_t)k) {
        char **v = calloc((size_t)n, sizeof *v);
        if (H5Aread(a, t, v) >= 0) {
            out = strdup(v[k]);
            for (hssize_t i = 0; i < n; i++)
                H5free_memory(v[i]);
        }
        free(v);
    }
    if (s >= 0)
        H5Sclose(s);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    if (f >= 0)
        H5Fclose(f);
    return out;
}

/* A scalar double attribute, NAN if missing. */
static double h5_attr_f64(const char *path, const char *obj, const char *name)
{
    double x = NAN;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t a = f < 0 ? -1 : H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a >= 0 && H5Aread(a, H5T_NATIVE_DOUBLE, &x) < 0)
        x = NAN;
    if (a >= 0)
        H5Aclose(a);
    if (f >= 0)
        H5Fclose(f);
    return x;
}

/* ---- raw dump: every dataset and attribute, bytes as stored --------------- */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
    bool failed;
    int nobj, nattr;
    char obj[512]; /* object being dumped */
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    rg_xgrow((void **)&b->p, &b->cap, b->n + n, 1);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_s(bytes *b, const char *s)
{
    put(b, s, strlen(s) + 1);
}

/* Appends the n values of attribute or dataset id, of type t: variable-length
 * strings as their text, everything else as the raw bytes stored. */
static void put_values(bytes *b, hid_t id, bool attr, hid_t t, size_t n)
{
    if (H5Tis_variable_str(t) > 0) {
        char **v = calloc(n ? n : 1, sizeof *v);
        herr_t st = n == 0 ? 0
                    : attr ? H5Aread(id, t, v)
                           : H5Dread(id, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v);
        b->failed |= st < 0;
        for (size_t i = 0; st >= 0 && i < n; i++) {
            put_s(b, v[i] ? v[i] : "(null)");
            H5free_memory(v[i]);
        }
        free(v);
        return;
    }
    size_t sz = H5Tget_size(t) * n;
    unsigned char *buf = calloc(sz ? sz : 1, 1);
    herr_t st = n == 0 ? 0
                : attr ? H5Aread(id, t, buf)
                       : H5Dread(id, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    b->failed |= st < 0;
    put(b, buf, sz);
    free(buf);
}

static herr_t dump_attr(hid_t loc, const char *name, const H5A_info_t *ai, void *data)
{
    bytes *b = data;
    (void)ai;
    if (strcmp(b->obj, ".") == 0 && strcmp(name, "created") == 0)
        return 0;
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT), t = H5Aget_type(a), s = H5Aget_space(a);
    hssize_t n = H5Sget_simple_extent_npoints(s);
    b->failed |= a < 0 || t < 0 || s < 0 || n < 0;
    put_s(b, name);
    if (n >= 0)
        put_values(b, a, true, t, (size_t)n);
    b->nattr++;
    H5Sclose(s);
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

static herr_t dump_obj(hid_t loc, const char *name, const H5O_info_t *info, void *data)
{
    bytes *b = data;
    snprintf(b->obj, sizeof b->obj, "%s", name);
    put_s(b, name);
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    b->failed |= o < 0;
    if (info->type == H5O_TYPE_DATASET) {
        hid_t t = H5Dget_type(o), s = H5Dget_space(o);
        hssize_t n = H5Sget_simple_extent_npoints(s);
        b->failed |= t < 0 || s < 0 || n < 0;
        if (n >= 0)
            put_values(b, o, false, t, (size_t)n);
        H5Sclose(s);
        H5Tclose(t);
    }
    b->failed |= H5Aiterate2(o, H5_INDEX_NAME, H5_ITER_INC, NULL, dump_attr, b) < 0;
    b->nobj++;
    H5Oclose(o);
    return 0;
}

/* Dumps the file into b, in name order, without the root's "created". */
static void raw_dump(const char *path, bytes *b)
{
    memset(b, 0, sizeof *b);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    b->failed = f < 0 || H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, dump_obj, b, H5O_INFO_BASIC) < 0;
    if (f >= 0)
        H5Fclose(f);
}

static herr_t count_stamped(hid_t loc, const char *name, const H5O_info_t *info, void *data)
{
    (void)loc;
    if (info->atime || info->mtime || info->ctime || info->btime) {
        diag("object %s has a time stamp", name);
        ++*(int *)data;
    }
    return 0;
}

/* Number of objects with a time stamp, or -1 if the file cannot be walked. */
static int stamped_objects(const char *path)
{
    int n = 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    if (H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, count_stamped, &n, H5O_INFO_TIME) < 0)
        n = -1;
    H5Fclose(f);
    return n;
}

/* ---- comparisons ----------------------------------------------------------- */

static bool same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Compares rows of variant v over the first n replications, bit for bit. */
static bool same_rows(const rg_results *a, const rg_results *b, size_t v, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        for (size_t m = 0; m < NMET; m++) {
            const rg_mval *x = &a->rows[(v * a->reps + i) * NMET + m];
            const rg_mval *y = &b->rows[(v * b->reps + i) * NMET + m];
            if (memcmp(x, y, sizeof *x) != 0) {
                diag("variant %zu rep %llu metric %s differs", v, (unsigned long long)i,
                     a->met[m].name);
                return false;
            }
        }
    return true;
}

static bool same_hist(const rg_results *a, const rg_results *b, size_t v)
{
    return memcmp(&a->hist[v * RG_HIST_NBINS], &b->hist[v * RG_HIST_NBINS],
                  RG_HIST_NBINS * sizeof(uint64_t)) == 0;
}

static bool same_timeline(const rg_results *a, const rg_results *b, size_t v)
{
    if (a->ntl[v] != b->ntl[v] || (a->tl[v] == NULL) != (b->tl[v] == NULL))
        return false;
    for (size_t k = 0; k < a->ntl[v]; k++)
        if (memcmp(&a->tl[v][k].t, &b->tl[v][k].t, sizeof(double)) != 0 ||
            a->tl[v][k].a != b->tl[v][k].a || a->tl[v][k].b != b->tl[v][k].b)
            return false;
    return true;
}

static bool same_latencies(const rg_results *a, const rg_results *b, size_t v)
{
    if ((a->lat[v] == NULL) != (b->lat[v] == NULL) || a->nlat[v] != b->nlat[v])
        return false;
    return a->nlat[v] == 0 || memcmp(a->lat[v], b->lat[v], a->nlat[v] * sizeof(double)) == 0;
}

static bool same_metric(const rg_metric *a, const rg_metric *b)
{
    return same_str(a->name, b->name) && a->type == b->type && same_str(a->unit, b->unit) &&
           same_str(a->desc, b->desc) && a->flags == b->flags;
}

/* ---- the tests ------------------------------------------------------------- */

static void test_roundtrip(const char *path)
{
    rg_results *r = make_results(REPS), *b = NULL;
    rg_meta m, mb = {0};
    rg_err e;
    make_meta(&m, "2000-01-02T03:04:05Z");
    rg_err_clear(&e);
    int rc = rg_results_write(path, r, &m, &e);
    if (!is_int(0, rc, "write a complete run"))
        diag("%s", e.msg);
    ok(exists(path) && temp_files() == 0, "the file is in place, no temporary file left");
    rc = rg_results_read(path, &b, &mb, &e);
    if (!is_int(0, rc, "read it back"))
        diag("%s", e.msg);
    if (b == NULL)
        bail("cannot go on without the results read back");

    is_int(NVAR, (long long)b->nvar, "variants");
    is_int(NMET, (long long)b->nmet, "metrics");
    is_int(REPS, (long long)b->reps, "replications asked");
    is_int(REPS, (long long)b->reps_done, "replications done");
    ok(b->seed == r->seed && mb.seed == m.seed, "seed, all 64 bits");
    ok(!b->interrupted && mb.complete, "complete, not interrupted");
    bool names = true;
    for (size_t v = 0; v < NVAR; v++)
        names = names && strcmp(b->varnames[v], varnames[v]) == 0;
    ok(names, "variant names and their order");
    for (size_t k = 0; k < NMET; k++)
        ok(same_metric(&r->met[k], &b->met[k]), "metric %s: name, type, unit, description, flags",
           metrics[k].name);
    for (size_t v = 0; v < NVAR; v++) {
        ok(same_rows(r, b, v, REPS), "variant '%s': every row", varnames[v]);
        ok(same_hist(r, b, v), "variant '%s': histogram", varnames[v]);
        ok(same_timeline(r, b, v), "variant '%s': timeline (%zu points)", varnames[v], r->ntl[v]);
        ok(same_latencies(r, b, v), "variant '%s': latencies (%s, %zu)", varnames[v],
           r->lat[v] ? "kept" : "none", r->nlat[v]);
    }
    is_string(m.tool_version, mb.tool_version, "tool_version");
    is_string(m.scenario_name, mb.scenario_name, "scenario_name");
    is_string(m.description, mb.description, "scenario description");
    is_string(m.model, mb.model, "model");
    is_string(resolved_text, mb.resolved, "resolved scenario text");
    is_string("2000-01-02T03:04:05Z", mb.created, "created, as given");
    long long events = 0;
    for (size_t v = 0; v < NVAR; v++)
        for (uint64_t i = 0; i < REPS; i++)
            events += r->rows[(v * REPS + i) * NMET + 4].i;
    is_int(events, (long long)b->events, "events: the sum of the events metric");

    /* What other readers see: group names, true names, statistics, layout. */
    bool groups = true;
    for (size_t v = 0; v < NVAR; v++) {
        char *g = h5_attr_str(path, "/variants", "groups", v);
        char *obj = rg_xasprintf("/variants/%s", groupnames[v]);
        char *n = h5_attr_str(path, obj, "name", 0);
        if (!same_str(g, groupnames[v]) || !same_str(n, varnames[v])) {
            diag("variant %zu: group '%s', name '%s'", v, g ? g : "(none)", n ? n : "(none)");
            groups = false;
        }
        free(g);
        free(n);
        free(obj);
    }
    ok(groups, "sanitised group names; true names in 'name'");
    double col[REPS];
    rg_summary s;
    rg_results_column(r, 1, 2, col);
    rg_summarize(col, REPS, &s);
    const char *sum1 = "/variants/sql naive_odd~1/summary";
    ok(h5_attr_f64(path, sum1, "p99_latency.mean") == s.mean &&
           h5_attr_f64(path, sum1, "p99_latency.ci95") == s.ci95 &&
           h5_attr_f64(path, sum1, "p99_latency.p95") == s.p95 &&
           h5_attr_f64(path, sum1, "p99_latency.max") == s.max,
       "summary statistics as attributes");

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/variants/sql naive_odd~1/latencies", H5P_DEFAULT);
    hid_t p = H5Dget_create_plist(d);
    hsize_t chunk = 0;
    unsigned flags, cd[4];
    size_t ncd = 4;
    bool deflate = false;
    for (int i = 0; p >= 0 && i < H5Pget_nfilters(p); i++)
        deflate |=
            H5Pget_filter2(p, (unsigned)i, &flags, &ncd, cd, 0, NULL, NULL) == H5Z_FILTER_DEFLATE &&
            ncd >= 1 && cd[0] == 4;
    ok(p >= 0 && H5Pget_layout(p) == H5D_CHUNKED && H5Pget_chunk(p, 1, &chunk) == 1 &&
           chunk == 65536 && deflate,
       "latencies: chunks of 65536, deflate level 4");
    H5Pclose(p);
    H5Dclose(d);
    H5Fclose(f);

    rg_meta_free(&mb);
    rg_meta_free(&m);
    rg_results_free(b);
    rg_results_free(r);
}

static void test_interrupted(const char *path)
{
    rg_results *r = make_results(3), *b = NULL;
    rg_meta m, mb;
    rg_err e;
    /* The caller claims complete; three of five replications say otherwise. */
    make_meta(&m, NULL);
    rg_err_clear(&e);
    is_int(0, rg_results_write(path, r, &m, &e), "write an interrupted run");
    is_int(0, rg_results_read(path, &b, &mb, &e), "read it back");
    if (b == NULL)
        bail("cannot read the interrupted run: %s", e.msg);
    ok(!mb.complete && b->interrupted, "marked incomplete: complete = 0, interrupted");
    ok(b->reps == REPS && b->reps_done == 3, "5 replications asked, 3 done");
    bool rows = true;
    for (size_t v = 0; v < NVAR; v++)
        rows = rows && same_rows(r, b, v, 3);
    ok(rows, "the rows of the completed replications");
    rg_meta_free(&mb);
    rg_meta_free(&m);
    rg_results_free(b);
    rg_results_free(r);
}

static void test_determinism(const char *a, const char *other)
{
    rg_results *r = make_results(REPS);
    rg_meta fixed, now;
    rg_err e;
    char *b = tpath("same-b.h5"), *c = tpath("same-c.h5");
    make_meta(&fixed, "2000-01-02T03:04:05Z");
    make_meta(&now, NULL);
    rg_err_clear(&e);
    int rc = rg_results_write(b, r, &fixed, &e);
    rc |= rg_results_write(c, r, &now, &e);
    if (!is_int(0, rc, "write the same results twice more"))
        diag("%s", e.msg);
    ok(same_file(a, b), "same data and created: byte-identical files");
    is_int(0, stamped_objects(a), "no object carries a time stamp");

    char *ca = h5_attr_str(a, "/", "created", 0), *cc = h5_attr_str(c, "/", "created", 0);
    int y, mo, d, h, mi, sec;
    char z = 0;
    ok(cc != NULL && strlen(cc) == 20 &&
           sscanf(cc, "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &sec, &z) == 7 &&
           z == 'Z' && y >= 2024 && !same_str(ca, cc),
       "created: the wall time in ISO 8601 UTC (%s)", cc ? cc : "missing");
    bytes da, dc, dx;
    raw_dump(a, &da);
    raw_dump(c, &dc);
    raw_dump(other, &dx);
    diag("raw dump: %d objects, %d attributes, %zu bytes", da.nobj, da.nattr, da.n);
    /* Objects: /, /variants, per variant a group and 3 datasets, 2 latencies. */
    ok(!da.failed && !dc.failed && da.nobj == 2 + NVAR * 4 + 2 && da.n > NLAT * 8 && da.n == dc.n &&
           memcmp(da.p, dc.p, da.n) == 0,
       "every dataset and attribute but created is byte-identical");
    ok(!dx.failed && (dx.n != da.n || memcmp(dx.p, da.p, da.n) != 0),
       "the comparison sees a difference in the data");
    free(da.p);
    free(dc.p);
    free(dx.p);
    free(ca);
    free(cc);
    free(b);
    free(c);
    rg_meta_free(&fixed);
    rg_meta_free(&now);
    rg_results_free(r);
}

static void test_check_path(const char *ours)
{
    rg_err e;
    char *nodir = tpath("no/such/dir/out.h5"), *text = tpath("notes.txt");
    char *foreign = tpath("foreign.h5"), *fresh = tpath("fresh.h5");
    char *dir = tpath("no/such/dir");

    rg_err_clear(&e);
    int rc = rg_results_check_path(nodir, true, &e);
    ok(rc == -1 && e.kind == RG_ERR_IO, "nonexistent directory: an I/O error");
    char *want = rg_xasprintf(
        "cannot write results file %s: directory %s: No such file or directory", nodir, dir);
    is_string(want, e.msg, "... naming the directory and the reason");
    free(want);

    rg_err_clear(&e);
    is_int(0, rg_results_check_path(fresh, false, &e), "a new file in a writable directory");

    write_text(text, "not HDF5\n");
    rg_err_clear(&e);
    rc = rg_results_check_path(text, false, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT, "an existing text file: refused");
    ok(contains(e.msg, text) && contains(e.msg, "not a revguard-sim results file") &&
           contains(e.msg, "--force"),
       "... with a message that names it and --force (%s)", e.msg);
    rg_err_clear(&e);
    is_int(0, rg_results_check_path(text, true, &e), "... accepted with force");

    hid_t f = H5Fcreate(foreign, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0 || H5Fclose(f) < 0)
        bail("cannot create %s", foreign);
    rg_err_clear(&e);
    rc = rg_results_check_path(foreign, false, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT, "an HDF5 file of someone else: refused");
    rg_err_clear(&e);
    is_int(0, rg_results_check_path(ours, false, &e), "our own results file: accepted");
    rg_err_clear(&e);
    rc = rg_results_check_path(tmpdir, true, &e);
    ok(rc == -1 && e.kind != RG_ERR_NONE, "a directory: refused, even with force");

    ok(rg_results_is_ours(ours), "is_ours: our file");
    ok(!rg_results_is_ours(text) && !rg_results_is_ours(foreign) && !rg_results_is_ours(nodir) &&
           !rg_results_is_ours(tmpdir),
       "is_ours: not text, a foreign HDF5 file, a missing file or a directory");

    /* Reading what is not ours. */
    rg_results *r = (rg_results *)1;
    rg_meta m;
    memset(&m, 0x5a, sizeof m);
    rg_err_clear(&e);
    rc = rg_results_read(text, &r, &m, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT, "read a text file: an input error");
    ok(contains(e.msg, text) && contains(e.msg, "not an HDF5 file"), "... saying so (%s)", e.msg);
    ok(r == NULL && m.tool_version == NULL && m.created == NULL, "... no results, meta zeroed");
    rg_meta_free(&m);
    rg_err_clear(&e);
    rc = rg_results_read(foreign, &r, &m, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && contains(e.msg, "not a revguard-sim results file"),
       "read a foreign HDF5 file: refused (%s)", e.msg);
    rg_err_clear(&e);
    rc = rg_results_read(nodir, &r, &m, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && contains(e.msg, nodir),
       "read a missing file: refused (%s)", e.msg);

    free(nodir);
    free(text);
    free(foreign);
    free(fresh);
    free(dir);
}

static void test_write_errors(const char *ours)
{
    rg_results *r = make_results(REPS);
    rg_meta m;
    rg_err e;
    char *nodir = tpath("missing/out.h5");
    make_meta(&m, NULL);

    rg_err_clear(&e);
    int rc = rg_results_write(nodir, r, &m, &e);
    ok(rc == -1 && e.kind == RG_ERR_IO, "write into a nonexistent directory fails");
    ok(contains(e.msg, nodir) && contains(e.msg, "No such file or directory"),
       "... naming the file and the reason (%s)", e.msg);
    ok(!exists(nodir), "... and leaves no file");

    /* A write that fails midway: the file size limit stands in for a full
     * disk.  The file already at the path must survive untouched. */
    char *keep = tpath("before.h5");
    rg_err ec;
    rg_err_clear(&ec);
    struct rlimit old, lim;
    bool limited = false;
    if (copy_file(ours, keep) && getrlimit(RLIMIT_FSIZE, &old) == 0) {
        signal(SIGXFSZ, SIG_IGN);
        lim = old;
        lim.rlim_cur = 64 * 1024;
        limited = setrlimit(RLIMIT_FSIZE, &lim) == 0;
    }
    rg_err_clear(&e);
    rc = limited ? rg_results_write(ours, r, &m, &e) : 0;
    if (limited)
        setrlimit(RLIMIT_FSIZE, &old);
    ok(limited && rc == -1 && e.kind == RG_ERR_IO, "a write that hits the file size limit fails");
    ok(contains(e.msg, ours) && contains(e.msg, "File too large"),
       "... naming the file and the reason (%s)", e.msg);
    ok(temp_files() == 0 && same_file(ours, keep) && rg_results_is_ours(ours),
       "... removes its temporary file and leaves the old file untouched");

    /* What the format cannot hold is refused before anything is created. */
    rg_metric bad[1] = {{"rep", RG_MF_INT, "1", "clashes with the index", 0, RG_ROLE_NONE}};
    const char *one[1] = {"v"};
    rg_results *rb = rg_results_new(1, one, 1, bad, 1);
    rb->reps_done = 1;
    char *bp = tpath("bad.h5");
    rg_err_clear(&e);
    rc = rg_results_write(bp, rb, &m, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && !exists(bp) && temp_files() == 0,
       "a metric called 'rep' is refused (%s)", e.msg);

    free(bp);
    rg_results_free(rb);
    free(keep);
    free(nodir);
    rg_meta_free(&m);
    rg_results_free(r);
}

int main(void)
{
    plan(78);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/results-t.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        bail("mkdtemp failed");

    char *a = tpath("run.h5"), *part = tpath("partial.h5");
    test_roundtrip(a);
    test_interrupted(part);
    test_determinism(a, part);
    test_check_path(a);
    test_write_errors(a);

    rg_meta z = {0};
    rg_meta_free(&z);
    ok(true, "rg_meta_free takes a zeroed struct");
    char v[128];
    rg_results_lib_versions(v, sizeof v);
    ok(strncmp(v, "GSL ", 4) == 0 && contains(v, ", HDF5 1."), "library versions: %s", v);

    const char *h5dump = getenv("H5DUMP");
    if (h5dump != NULL && h5dump[0] != '\0') {
        char *cmd = rg_xasprintf("'%s' -H '%s' >/dev/null", h5dump, a);
        is_int(0, system(cmd), "h5dump -H reads the file");
        free(cmd);
    } else {
        skip("H5DUMP not set");
    }

    free(a);
    free(part);
    tfiles_remove_tree(tmpdir);
    return 0;
}
