/*
 * expect-t.c: tests of regression expectations (sim/run/expect.c): a file
 * that checks nothing never passes as "0 held, 0 moved" (an input error),
 * a variant, metric or point the results lack is a failure naming it, a
 * relative tolerance must carry its '%', and the writer replaces only a
 * file it wrote (unless forced); what it writes checks clean.
 *
 * Files live in a mkdtemp directory under /tmp that is removed at the end.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run/expect.h"
#include "tests/tap/basic.h"
#include "tests/tap/files.h"

static const char *const varnames[2] = {"object", "sql"};
static const rg_metric metrics[2] = {
    {"allocated", RG_MF_INT, "units", "Units sold.", RG_MF_SHOW, RG_ROLE_NONE},
    {"p99", RG_MF_REAL, "s", "Latency.", RG_MF_SHOW, RG_ROLE_NONE},
};

static char tmpdir[64];
static rg_results *res;
static rg_meta meta;

/* Two variants, three replications: allocated 100 everywhere, p99 0.1,
 * 0.2, 0.3 (mean 0.2). */
static void make(void)
{
    res = rg_results_new(2, varnames, 2, metrics, 3);
    res->reps_done = 3;
    for (size_t v = 0; v < 2; v++)
        for (size_t i = 0; i < 3; i++) {
            res->rows[(v * 3 + i) * 2].i = 100;
            res->rows[(v * 3 + i) * 2 + 1].d = 0.1 * (double)(i + 1);
        }
    memset(&meta, 0, sizeof meta);
    meta.scenario_name = rg_xstrdup("t");
    meta.tool_version = rg_xstrdup("0.1.0-test");
    meta.seed = 1;
}

/* Checks text (as an expectations file) against the results; the table
 * goes to *table (static), the error to *e.  Returns what
 * rg_expect_check_points does. */
static int check(const char *text, size_t np, const char **table, rg_err *e)
{
    static char buf[8192];
    char *path = rg_xasprintf("%s/e.ini", tmpdir);
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        bail("cannot write %s", path);
    FILE *out = fmemopen(buf, sizeof buf, "w");
    rg_results *pts[2] = {res, res};
    rg_err_clear(e);
    int rc = rg_expect_check_points(path, pts, np, &meta, out, e);
    fclose(out);
    *table = buf;
    free(path);
    return rc;
}

static void test_nothing(void)
{
    const char *t;
    rg_err e;
    int rc = check("", 1, &t, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && strstr(e.msg, "no expectations") != NULL,
       "an empty file is an input error (%s)", e.msg);
    rc = check("[expect]\nscenario = t\nseed = 1\n", 1, &t, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT, "provenance alone checks nothing: an input error");
    rc = check("[variant.object]\n", 1, &t, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT, "an empty section checks nothing: an input error");
    rc = check("[expect]\npoints = 2\n[point.0.variant.object]\n", 2, &t, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && strstr(e.msg, "[point.K.variant.NAME]") != NULL,
       "... and for a sweep (%s)", e.msg);
}

static void test_missing(void)
{
    const char *t;
    rg_err e;
    int rc = check("[variant.object]\nallocated.mean = 100\n[variant.nosuch]\nallocated.mean = "
                   "100\np99.max = 1\n",
                   1, &t, &e);
    ok(rc == 1 && strstr(t, "no variant 'nosuch' (2 expectations)") != NULL &&
           strstr(t, "1 held, 1 moved") != NULL,
       "a variant the results lack is one failure, naming it");
    rc = check("[variant.object]\nlost.mean = 0\n", 1, &t, &e);
    ok(rc == 1 && strstr(t, "no metric 'lost'") != NULL, "a metric the results lack fails, named");
    rc = check("[variant.nosuch]\nallocated.avg = 100\n", 1, &t, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && strstr(e.msg, "allocated.avg") != NULL,
       "the lines of a missing variant must still be well formed (%s)", e.msg);
    rc = check("[expect]\npoints = 2\n[point.0.variant.object]\nallocated.mean = 100\n"
               "[point.5.variant.object]\nallocated.mean = 100\n",
               2, &t, &e);
    ok(rc == 1 && strstr(t, "[point.5.variant.object]: the results have no such point") != NULL,
       "a point the results lack is a failure, named");
}

static void test_tolerances(void)
{
    const char *t;
    rg_err e;
    int rc = check("[variant.object]\np99.mean = 0.21 rel 5\n", 1, &t, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && strstr(e.msg, "percentage") != NULL,
       "'rel 5' without '%%' is an error, not 500 %% (%s)", e.msg);
    rc = check("[variant.object]\np99.mean = 0.21 rel 5%\nallocated.max = 100\n", 1, &t, &e);
    ok(rc == 0 && strstr(t, "2 held, 0 moved") != NULL, "'rel 5%%' holds within 5 %%");
    rc = check("[variant.object]\np99.mean = 0.25 rel 5%\n", 1, &t, &e);
    ok(rc == 1, "... and moves beyond it");
    rc = check("[variant.object]\np99.mean = 0.2 abs -1\n", 1, &t, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT, "a negative tolerance is an error");
}

static void test_writer(void)
{
    rg_err e;
    char *p = rg_xasprintf("%s/written.ini", tmpdir), *mine = rg_xasprintf("%s/mine.ini", tmpdir);
    rg_err_clear(&e);
    ok(rg_expect_write(p, res, &meta, &e) == 0 && rg_expect_is_ours(p),
       "the writer marks its file");
    FILE *out = fopen("/dev/null", "w");
    rg_err_clear(&e);
    ok(rg_expect_check(p, res, &meta, out, &e) == 0, "what it writes checks clean");
    fclose(out);
    rg_err_clear(&e);
    ok(rg_expect_write(p, res, &meta, &e) == 0, "it replaces its own file");

    FILE *f = fopen(mine, "w");
    fputs("[variant.object]\nallocated.mean = 1\n", f);
    fclose(f);
    rg_err_clear(&e);
    int rc = rg_expect_write(mine, res, &meta, &e);
    ok(rc == -1 && e.kind == RG_ERR_INPUT && !rg_expect_is_ours(mine),
       "it refuses a file it did not write (%s)", e.msg);
    rg_results *one[1] = {res};
    rg_err_clear(&e);
    ok(rg_expect_save(mine, one, 1, &meta, true, &e) == 0 && rg_expect_is_ours(mine),
       "... unless forced");
    free(p);
    free(mine);
}

int main(void)
{
    plan(17);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/expect-t.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        bail("mkdtemp failed");
    make();
    test_nothing();
    test_missing();
    test_tolerances();
    test_writer();
    rg_results_free(res);
    rg_meta_free(&meta);
    tfiles_remove_tree(tmpdir);
    return 0;
}
