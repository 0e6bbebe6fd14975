/*
 * report-told-t: the report page "what the buyers were told against what
 * they hold" (reports/told.c), on results built by hand with the identity
 * roles (experiment.h) and known values.
 *
 * Variants: "clean" (told 100, nothing wrong), "retry" (told 90, 8 units
 * nobody was told of, 2 of them sold twice to one buyer, 3 buyers told
 * sold out holding a unit, 1 sale lost; its stock went down by 90 - 0 + 8
 * = 98), "over" (told 110 of 100 and held as told: oversold, so not
 * clean), "norec" (its stores record no buyers: -1).  Checked: told.dat's
 * rows (the units taken out of stock from the checker's identity, NaN for
 * "norec"), the two sentences, that gnuplot drew the page and report.gp
 * loads it, that a hostile variant name reaches the script escaped, and
 * that results without the roles have no such page.  Needs gnuplot.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/report.h"
#include "sim/run/results.h"
#include "tests/tap/basic.h"

static const rg_metric met[] = {
    {"allocated", RG_MF_INT, "units", "units told yours", RG_MF_SHOW, RG_ROLE_ALLOCATED},
    {"oversell", RG_MF_INT, "units", "units sold beyond the stock", RG_MF_SHOW | RG_MF_MAX,
     RG_ROLE_OVERSELL},
    {"lost_updates", RG_MF_INT, "units", "told units the stock does not reflect", RG_MF_SHOW,
     RG_ROLE_LOST_UPDATES},
    {"unacknowledged", RG_MF_INT, "units", "units out of stock nobody was told of", 0,
     RG_ROLE_UNACK},
    {"dup_units", RG_MF_INT, "units", "units sold twice", RG_MF_SHOW, RG_ROLE_DUP_UNITS},
    {"ghost_units", RG_MF_INT, "units", "units nobody was told of", RG_MF_SHOW,
     RG_ROLE_GHOST_UNITS},
    {"told_yours_empty", RG_MF_INT, "buyers", "told yours, hold none", RG_MF_SHOW,
     RG_ROLE_TOLD_EMPTY},
    {"told_soldout_held", RG_MF_INT, "buyers", "told sold out, hold one", RG_MF_SHOW,
     RG_ROLE_SOLDOUT_HELD},
    {"lost_sales", RG_MF_INT, "units", "units left while buyers were refused", RG_MF_SHOW,
     RG_ROLE_LOST_SALES},
    {"stock_total", RG_MF_INT, "units", "stock", 0, RG_ROLE_STOCK},
};
#define NMET (sizeof met / sizeof met[0])

/* Per variant, the value of each metric in every replication (in met's
 * order). */
static const int64_t vals[][NMET] = {
    {100, 0, 0, 0, 0, 0, 0, 0, 0, 100},    /* clean */
    {90, 0, 0, 8, 2, 8, 0, 3, 1, 100},     /* retry */
    {110, 10, 10, 0, 0, 0, 0, 0, 0, 100},  /* over */
    {100, 0, 0, 0, -1, -1, -1, -1, 0, 100} /* norec */
};
#define REPS 20

static rg_results *make(const char *const *names, bool roles)
{
    rg_metric m[NMET];
    memcpy(m, met, sizeof m);
    if (!roles)
        for (size_t k = 0; k < NMET; k++)
            m[k].role = k == 1 ? RG_ROLE_OVERSELL : RG_ROLE_NONE;
    rg_results *r = rg_results_new(4, names, NMET, m, REPS);
    r->reps_done = REPS;
    r->seed = 1;
    for (size_t v = 0; v < 4; v++)
        for (size_t i = 0; i < REPS; i++)
            for (size_t k = 0; k < NMET; k++)
                r->rows[(v * REPS + i) * NMET + k].i = vals[v][k];
    return r;
}

static rg_meta meta(void)
{
    rg_meta m = {0};
    m.tool_version = (char *)"0.1.0";
    m.scenario_name = (char *)"told";
    m.description = (char *)"told against held";
    m.model = (char *)"drop";
    m.resolved = (char *)"[scenario]\nname = told\nmodel = drop\n";
    m.seed = 1;
    m.complete = true;
    return m;
}

/* The file dir/name, NUL-terminated, or NULL. */
static char *slurp(const char *dir, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *s = NULL;
    size_t n = 0, cap = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        if (n + 2 > cap) {
            cap = cap ? 2 * cap : 4096;
            s = realloc(s, cap);
            if (s == NULL)
                bail("out of memory");
        }
        s[n++] = (char)ch;
    }
    fclose(f);
    if (s == NULL)
        s = calloc(1, 1);
    else
        s[n] = '\0';
    return s;
}

static bool contains(const char *dir, const char *name, const char *what)
{
    char *s = slurp(dir, name);
    bool yes = s != NULL && strstr(s, what) != NULL;
    free(s);
    return yes;
}

static bool exists(const char *dir, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void test_page(const char *tmp)
{
    static const char *const names[] = {"clean", "retry", "over", "norec"};
    rg_results *r = make(names, true);
    rg_meta m = meta();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/told", tmp);
    rg_err e;
    rg_err_clear(&e);
    if (!ok(rg_report_make_from(r, &m, "told.h5", dir, &e) == 0, "report written"))
        diag("%s", e.msg);
    ok(contains(dir, "told.dat", "\n4 100 100 0 0 0 0 0\n") &&
           contains(dir, "told.dat", "\n3 98 90 2 8 0 3 1\n") &&
           contains(dir, "told.dat", "\n2 100 110 0 0 0 0 0\n") &&
           contains(dir, "told.dat", "\n1 100 100 NaN NaN NaN NaN 0\n"),
       "told.dat: taken from stock = told - lost + unacknowledged; NaN where no buyers are "
       "recorded");
    ok(contains(dir, "plot-told.gp",
                "Every buyer held exactly what it was told, within the stock, in all 20 drops: "
                "clean."),
       "the clean variants named: not the one that oversold, not the one without records");
    ok(contains(dir, "plot-told.gp",
                "Most wrongs: retry, per drop on average: 2 units sold twice "
                "to one buyer, 8 units sold that no buyer was told of, 3 "),
       "the variant with the most wrongs, and what they were");
    ok(contains(dir, "report.gp", "load \"plot-told.gp\"") && contains(dir, "plot-told.png", "PNG"),
       "report.gp loads the page; gnuplot drew it");
    rg_results_free(r);

    /* Oversold and nothing else: the worst sentence says so. */
    static const char *const two[] = {"clean", "over", "c", "d"};
    static const size_t as[] = {0, 2, 0, 0};
    r = make(two, true);
    for (size_t v = 0; v < 4; v++)
        for (size_t i = 0; i < REPS; i++)
            for (size_t k = 0; k < NMET; k++)
                r->rows[(v * REPS + i) * NMET + k].i = vals[as[v]][k];
    snprintf(dir, sizeof dir, "%s/over", tmp);
    rg_err_clear(&e);
    ok(rg_report_make_from(r, &m, "told.h5", dir, &e) == 0 &&
           contains(dir, "plot-told.gp",
                    "Most wrongs: over, per drop on average: 10 units told \\\"yours\\\" beyond "
                    "the stock."),
       "an oversell alone is a wrong");
    rg_results_free(r);

    /* A name made to attack the script: escaped, and gnuplot still runs. */
    static const char *const bad[] = {"a\"b`echo x`@c", "retry", "over", "norec"};
    r = make(bad, true);
    snprintf(dir, sizeof dir, "%s/bad", tmp);
    rg_err_clear(&e);
    ok(rg_report_make_from(r, &m, "told.h5", dir, &e) == 0 &&
           contains(dir, "plot-told.gp", "\"a\\\"b\\140echo x\\140\\100c\"") &&
           !contains(dir, "plot-told.gp", "`echo"),
       "a hostile variant name reaches the script escaped");
    rg_results_free(r);

    /* Without the roles: no page. */
    r = make(names, false);
    snprintf(dir, sizeof dir, "%s/none", tmp);
    rg_err_clear(&e);
    ok(rg_report_make_from(r, &m, "told.h5", dir, &e) == 0 &&
           !contains(dir, "report.gp", "plot-told") && !exists(dir, "told.dat"),
       "results without the identity roles: no page");
    rg_results_free(r);
}

int main(void)
{
    unsetenv("REVGUARD_GNUPLOT");
    const char *g = rg_report_gnuplot();
    if (g[0] == '\0' || access(g, X_OK) != 0)
        skip_all("gnuplot not available (Debian package gnuplot-nox)");
    plan(8);
    char tmp[] = "/tmp/report-told-t.XXXXXX";
    if (mkdtemp(tmp) == NULL)
        bail("mkdtemp: %s", strerror(errno));
    test_page(tmp);
    nftw(tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}
