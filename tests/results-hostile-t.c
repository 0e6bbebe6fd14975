/*
 * results-hostile-t.c: tests that the results reader (sim/run/results-read.c,
 * sweep.c) treats a file as hostile input.  Each case writes a good file
 * with the module, then edits it with HDF5 itself into something a damaged
 * or crafted file could be: data in external storage (another file's
 * bytes), a virtual dataset, soft and external links, a table claiming
 * 2^40 rows, replications the memory cannot hold, a fixed-length string
 * where the format has variable-length ones, an unknown filter, variants
 * named twice.  Every case must be a clear input error naming the
 * problem, and the bytes of the other file must never be read.
 *
 * Files live in a mkdtemp directory under /tmp that is removed at the end.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include "sim/run/results.h"
#include "sim/run/sweep.h"
#include "tests/tap/basic.h"
#include "tests/tap/files.h"

#define NVAR 2
#define NMET 2
#define REPS 3

static const char *const varnames[NVAR] = {"object", "sql"};
static const rg_metric metrics[NMET] = {
    {"allocated", RG_MF_INT, "units", "Units sold.", RG_MF_SHOW, RG_ROLE_NONE},
    {"p99_latency", RG_MF_REAL, "s", "99th percentile latency.", RG_MF_SHOW, RG_ROLE_NONE},
};

static char tmpdir[64];

static char *tpath(const char *name)
{
    return rg_xasprintf("%s/%s", tmpdir, name);
}

static rg_results *make_results(void)
{
    rg_results *r = rg_results_new(NVAR, varnames, NMET, metrics, REPS);
    r->reps_done = REPS;
    for (size_t v = 0; v < NVAR; v++)
        for (uint64_t i = 0; i < REPS; i++) {
            r->rows[(v * REPS + i) * NMET].i = (int64_t)(v * 10 + i);
            r->rows[(v * REPS + i) * NMET + 1].d = 0.25 * (double)(i + 1);
        }
    r->ntl[0] = 3;
    r->tl[0] = rg_xcalloc(3, sizeof *r->tl[0]);
    for (size_t k = 0; k < 3; k++)
        r->tl[0][k] = (rg_tlpoint){0.001 * (double)k, (int64_t)k, 0};
    return r;
}

static void make_meta(rg_meta *m)
{
    memset(m, 0, sizeof *m);
    m->tool_version = rg_xstrdup("0.1.0-test");
    m->scenario_name = rg_xstrdup("hostile");
    m->description = rg_xstrdup("");
    m->model = rg_xstrdup("drop");
    m->resolved = rg_xstrdup("[scenario]\nmodel = drop\n");
    m->created = rg_xstrdup("2026-01-01T00:00:00Z");
    m->seed = 7;
    m->complete = true;
}

/* Writes a good run file at path. */
static void write_good(const char *path)
{
    rg_results *r = make_results();
    rg_meta m;
    make_meta(&m);
    rg_err e;
    rg_err_clear(&e);
    if (rg_results_write(path, r, &m, &e) < 0)
        bail("cannot write %s: %s", path, e.msg);
    rg_results_free(r);
    rg_meta_free(&m);
}

/* Reads path as a run; true if that fails with an input error whose
 * message contains `want`. */
static bool refused(const char *path, const char *want)
{
    rg_results *r = NULL;
    rg_meta m;
    rg_err e;
    rg_err_clear(&e);
    if (rg_results_read(path, &r, &m, &e) == 0) {
        diag("%s was read", path);
        rg_results_free(r);
        rg_meta_free(&m);
        return false;
    }
    diag("%s", e.msg);
    return e.kind == RG_ERR_INPUT && strstr(e.msg, want) != NULL;
}

/* Opens path for editing with HDF5 (bails on failure). */
static hid_t edit(const char *path)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0)
        bail("cannot open %s for editing", path);
    return f;
}

/* A fresh good file called name, for one case to edit. */
static char *fresh(const char *name)
{
    char *p = tpath(name);
    write_good(p);
    return p;
}

/* The memory type of a timeline row, as the writer stores it. */
static hid_t tl_type(void)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, 24);
    H5Tinsert(t, "t", 0, H5T_IEEE_F64LE);
    H5Tinsert(t, "allocated", 8, H5T_STD_I64LE);
    H5Tinsert(t, "rejected", 16, H5T_STD_I64LE);
    return t;
}

/* Replaces /variants/object/timeline by a dataset of n rows made with
 * creation list dcpl (data written only if write). */
static void replace_timeline(const char *path, hsize_t n, hid_t dcpl, bool write)
{
    hid_t f = edit(path), g = H5Gopen2(f, "/variants/object", H5P_DEFAULT);
    H5Ldelete(g, "timeline", H5P_DEFAULT);
    hid_t t = tl_type(), sp = H5Screate_simple(1, &n, NULL);
    hid_t d = H5Dcreate2(g, "timeline", t, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0)
        bail("cannot recreate the timeline of %s", path);
    if (write) {
        unsigned char *zero = calloc(n, 24);
        H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, zero);
        free(zero);
    }
    H5Dclose(d);
    H5Sclose(sp);
    H5Tclose(t);
    H5Gclose(g);
    H5Fclose(f);
}

/* ---- cases ------------------------------------------------------------- */

static void test_external_storage(void)
{
    char *secret = tpath("secret.txt"), *p = fresh("external.h5");
    FILE *s = fopen(secret, "w");
    for (int i = 0; i < 8; i++)
        fputs("root:x:0:0:root:/root:/bin/bash\n", s);
    fclose(s);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_external(dcpl, secret, 0, 3 * 24);
    replace_timeline(p, 3, dcpl, false);
    H5Pclose(dcpl);
    ok(refused(p, "external storage"), "a dataset with external storage is refused");
    free(secret);
    free(p);
}

static void test_virtual(void)
{
    char *p = fresh("virtual.h5"), *src = fresh("virtual-source.h5");
    hsize_t n = 3;
    hid_t sp = H5Screate_simple(1, &n, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    herr_t st = H5Pset_virtual(dcpl, sp, src, "/variants/object/timeline", sp);
    replace_timeline(p, 3, dcpl, false);
    H5Pclose(dcpl);
    H5Sclose(sp);
    if (st < 0)
        skip("this HDF5 cannot make virtual datasets");
    else
        ok(refused(p, "virtual"), "a virtual dataset is refused");
    free(p);
    free(src);
}

static void test_links(void)
{
    char *p = fresh("soft.h5"), *q = fresh("extlink.h5"), *other = fresh("other.h5");
    hid_t f = edit(p), g = H5Gopen2(f, "/variants", H5P_DEFAULT);
    H5Ldelete(g, "sql", H5P_DEFAULT);
    H5Lcreate_soft("/variants/object", g, "sql", H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    H5Fclose(f);
    ok(refused(p, "soft link"), "a soft link is refused");

    f = edit(q);
    g = H5Gopen2(f, "/variants/object", H5P_DEFAULT);
    H5Ldelete(g, "summary", H5P_DEFAULT);
    H5Lcreate_external(other, "/variants/object/summary", g, "summary", H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    H5Fclose(f);
    ok(refused(q, "external link"), "an external link is refused");
    free(p);
    free(q);
    free(other);
}

static void test_huge_claims(void)
{
    /* 2^40 rows that were never written: a file of a few kilobytes. */
    char *p = fresh("huge-rows.h5");
    hsize_t chunk = 1024;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    replace_timeline(p, (hsize_t)1 << 40, dcpl, false);
    H5Pclose(dcpl);
    ok(refused(p, "more than this file can hold"), "a table claiming 2^40 rows is refused");

    /* An interrupted run that asked for 10^8 replications of each variant. */
    char *q = fresh("huge-reps.h5");
    hid_t f = edit(q);
    uint64_t reps = 100000000;
    int zero = 0;
    hid_t a = H5Aopen(f, "replications", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_UINT64, &reps);
    H5Aclose(a);
    a = H5Aopen(f, "complete", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_INT, &zero);
    H5Aclose(a);
    H5Fclose(f);
    ok(refused(q, "more than this file can hold"), "10^8 replications asked for are refused");

    /* replications_done that the tables do not have. */
    char *d = fresh("huge-done.h5");
    f = edit(d);
    a = H5Aopen(f, "replications", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_UINT64, &reps);
    H5Aclose(a);
    a = H5Aopen(f, "replications_done", H5P_DEFAULT);
    H5Awrite(a, H5T_NATIVE_UINT64, &reps);
    H5Aclose(a);
    H5Fclose(f);
    ok(refused(d, "not a valid revguard-sim results file"),
       "replications_done of 10^8 with tables of 3 rows is refused");
    free(p);
    free(q);
    free(d);
}

static void test_types(void)
{
    char *p = fresh("fixed-string.h5");
    hid_t f = edit(p);
    H5Adelete(f, "model");
    hid_t t = H5Tcopy(H5T_C_S1), sp = H5Screate(H5S_SCALAR);
    H5Tset_size(t, 8);
    hid_t a = H5Acreate2(f, "model", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "drop\0\0\0");
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Fclose(f);
    ok(refused(p, "not a variable-length string"), "a fixed-length string attribute is refused");

    char *q = fresh("filter.h5");
    hsize_t chunk = 3;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 1, &chunk);
    H5Pset_fletcher32(dcpl);
    replace_timeline(q, 3, dcpl, true);
    H5Pclose(dcpl);
    ok(refused(q, "filter"), "a filter the writer never uses is refused");

    char *d = fresh("twice.h5");
    f = edit(d);
    hid_t g = H5Gopen2(f, "/variants", H5P_DEFAULT);
    H5Adelete(g, "groups");
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    hsize_t n = 2;
    sp = H5Screate_simple(1, &n, NULL);
    const char *names[2] = {"object", "object"};
    a = H5Acreate2(g, "groups", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, names);
    H5Aclose(a);
    H5Sclose(sp);
    H5Tclose(t);
    H5Gclose(g);
    H5Fclose(f);
    ok(refused(d, "named twice"), "two variants in one group are refused");
    free(p);
    free(q);
    free(d);
}

static void test_sweep_link(void)
{
    static const char *const vars[1] = {"window"};
    rg_sweep *sw = rg_sweep_new(1, vars, NULL, 2);
    for (size_t k = 0; k < 2; k++) {
        sw->res[k] = make_results();
        sw->text[k] = rg_xasprintf("%zums", k + 1);
        sw->value[k] = 0.001 * (double)(k + 1);
        sw->resolved[k] = rg_xstrdup("[scenario]\n");
    }
    rg_meta m;
    make_meta(&m);
    rg_err e;
    rg_err_clear(&e);
    char *p = tpath("sweep.h5");
    if (rg_sweep_write(p, sw, &m, &e) < 0)
        bail("cannot write %s: %s", p, e.msg);
    rg_sweep_free(sw);
    hid_t f = edit(p), g = H5Gopen2(f, "/point", H5P_DEFAULT);
    H5Ldelete(g, "1", H5P_DEFAULT);
    H5Lcreate_soft("/point/0", g, "1", H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g);
    H5Fclose(f);
    rg_meta mm;
    rg_err_clear(&e);
    sw = NULL;
    int rc = rg_sweep_read(p, &sw, &mm, &e);
    diag("%s", e.msg);
    ok(rc < 0 && e.kind == RG_ERR_INPUT && strstr(e.msg, "soft link") != NULL,
       "a sweep whose point is a soft link is refused");
    if (rc == 0) {
        rg_sweep_free(sw);
        rg_meta_free(&mm);
    }
    ok(rg_results_is_sweep(p) && rg_results_is_ours(p), "its root still says what it is");
    rg_meta_free(&m);
    free(p);
}

/* Files that are no HDF5 at all, and one that is HDF5 but damaged so
 * badly HDF5 cannot open it. */
static void test_not_files(void)
{
    char *p = tpath("garbage.h5");
    FILE *f = fopen(p, "w");
    fputs("\211HDF\r\n\032\n this is not a superblock", f);
    fclose(f);
    ok(refused(p, "") && !rg_results_is_ours(p), "a signature and garbage is refused");
    char *fifo = tpath("fifo.h5");
    if (mkfifo(fifo, 0600) == 0)
        ok(refused(fifo, "not a regular file") && !rg_results_is_ours(fifo),
           "a FIFO is refused without blocking");
    else
        skip("cannot make a FIFO");
    ok(refused(tmpdir, "is a directory"), "a directory is refused");
    free(p);
    free(fifo);
}

int main(void)
{
    plan(16);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rg-hostile-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        bail("cannot make a temporary directory");

    char *good = fresh("good.h5");
    rg_results *r = NULL;
    rg_meta m;
    rg_err e;
    rg_err_clear(&e);
    ok(rg_results_read(good, &r, &m, &e) == 0 && r->nvar == NVAR && r->reps_done == REPS,
       "the good file reads");
    if (r != NULL) {
        rg_results_free(r);
        rg_meta_free(&m);
    }
    free(good);

    test_external_storage();
    test_virtual();
    test_links();
    test_huge_claims();
    test_types();
    test_sweep_link();
    test_not_files();
    tfiles_remove_tree(tmpdir);
    return 0;
}
