/*
 * expect.c: regression expectations (see expect.h).  The file is read with
 * the scenario reader, so its errors name file, line, section and key like
 * a scenario's.
 */
#include "sim/run/expect.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine/scenario.h"
#include "sim/engine/stats.h"

static const char *const stat_names[] = {"mean", "sd",  "min", "max", "p05",
                                         "p50",  "p95", "p99", NULL};

static double stat_of(const rg_summary *s, int k)
{
    switch (k) {
    case 0: return s->mean;
    case 1: return s->sd;
    case 2: return s->min;
    case 3: return s->max;
    case 4: return s->p05;
    case 5: return s->p50;
    case 6: return s->p95;
    default: return s->p99;
    }
}

typedef enum { T_EXACT, T_ABS, T_REL, T_CI } tolkind;

typedef struct spec {
    double value, tol;
    tolkind kind;
} spec;

/* Parses "V", "V abs T", "V rel T%", "V ci", "V ci K".  Returns 0, -1
 * for text of another form, -2 for "rel T" without its '%' (which would
 * otherwise be read as T * 100 %). */
static int parse_spec(const char *text, spec *sp)
{
    char *end;
    errno = 0;
    sp->value = strtod(text, &end);
    if (end == text || errno == ERANGE || !isfinite(sp->value))
        return -1;
    while (*end == ' ')
        end++;
    sp->kind = T_EXACT;
    sp->tol = 0;
    if (*end == '\0')
        return 0;
    if (strncmp(end, "abs", 3) == 0)
        sp->kind = T_ABS;
    else if (strncmp(end, "rel", 3) == 0)
        sp->kind = T_REL;
    else if (strncmp(end, "ci", 2) == 0)
        sp->kind = T_CI;
    else
        return -1;
    end += sp->kind == T_CI ? 2 : 3;
    while (*end == ' ')
        end++;
    if (*end == '\0') {
        if (sp->kind != T_CI)
            return -1;
        sp->tol = 1;
        return 0;
    }
    char *e2;
    sp->tol = strtod(end, &e2);
    if (e2 == end || !(sp->tol >= 0) || !isfinite(sp->tol))
        return -1;
    if (sp->kind == T_REL) {
        if (*e2 != '%')
            return -2;
        sp->tol /= 100;
        e2++;
    }
    while (*e2 == ' ')
        e2++;
    return *e2 == '\0' ? 0 : -1;
}

static void tol_text(const spec *sp, char *buf, size_t n)
{
    switch (sp->kind) {
    case T_EXACT: snprintf(buf, n, "exact"); break;
    case T_ABS: snprintf(buf, n, "± %g", sp->tol); break;
    case T_REL: snprintf(buf, n, "± %g%%", sp->tol * 100); break;
    case T_CI: snprintf(buf, n, "%g x CI", sp->tol); break;
    }
}

/* What the checks found so far: expectations held and failed (failed
 * also counts provenance that differs), and expectation lines read. */
typedef struct tally {
    int held, failed;
    size_t lines;
} tally;

/* Reads the provenance in [expect] and reports each way this run differs
 * from the experiment the file was written for.  An expectation is about
 * one experiment: comparing a different one proves nothing. */
static int check_provenance(rg_scn *s, const rg_results *r, const rg_meta *m, FILE *out, tally *t,
                            rg_err *e)
{
    const char *name;
    int64_t seed, reps;
    if (rg_scn_str(s, "expect", "scenario", m->scenario_name, &name, e) < 0 ||
        rg_scn_int(s, "expect", "seed", "-1", -1, INT64_MAX, &seed, e) < 0 ||
        rg_scn_int(s, "expect", "replications", "0", 0, INT64_MAX, &reps, e) < 0)
        return -1;
    if (strcmp(name, m->scenario_name) != 0) {
        fprintf(out, "MOVED  scenario is '%s', expected '%s'\n", m->scenario_name, name);
        t->failed++;
    }
    if (seed >= 0 && (uint64_t)seed != m->seed) {
        fprintf(out, "MOVED  seed is %" PRIu64 ", expected %" PRId64 "\n", m->seed, seed);
        t->failed++;
    }
    if (reps > 0 && (uint64_t)reps != r->reps_done) {
        fprintf(out, "MOVED  %" PRIu64 " replications, expected %" PRId64 "\n", r->reps_done, reps);
        t->failed++;
    }
    return 0;
}

/* One line of a [variant.NAME] section: METRIC.STAT = SPEC. */
typedef struct expectation {
    const char *key;
    char metric[128];
    int stat; /* index into stat_names */
    spec sp;
} expectation;

/* Parses the line of `key` in `sec`; a malformed line is an input error
 * naming file, line and key. */
static int parse_expectation(rg_scn *s, const char *sec, const char *key, expectation *x, rg_err *e)
{
    const char *text;
    if (rg_scn_str(s, sec, key, NULL, &text, e) < 0)
        return -1;
    x->key = key;
    const char *dot = strrchr(key, '.');
    x->stat = -1;
    for (int j = 0; dot && stat_names[j]; j++)
        if (strcmp(dot + 1, stat_names[j]) == 0)
            x->stat = j;
    if (x->stat < 0) {
        rg_buf b = {0};
        for (int j = 0; stat_names[j]; j++)
            rg_buf_printf(&b, "%s%s", j ? ", " : "", stat_names[j]);
        rg_scn_err(s, sec, key, e, "expected METRIC.STAT with STAT one of %s", b.s);
        rg_buf_free(&b);
        return -1;
    }
    snprintf(x->metric, sizeof x->metric, "%.*s", (int)(dot - key), key);
    int st = parse_spec(text, &x->sp);
    if (st == -2) {
        rg_scn_err(s, sec, key, e,
                   "a relative tolerance is a percentage, as in 'VALUE rel 5%%'; got '%s'", text);
        return -1;
    }
    if (st < 0) {
        rg_scn_err(s, sec, key, e,
                   "expected 'VALUE', 'VALUE abs TOL', 'VALUE rel TOL%%' or 'VALUE ci [K]', "
                   "got '%s'",
                   text);
        return -1;
    }
    return 0;
}

/* True if `actual` lies within the tolerance of sp; "ci" scales the run's
 * own 95 % CI half-width (none, as with one replication, allows nothing). */
static bool within(const spec *sp, const rg_summary *sum, double actual)
{
    double bound = 0;
    switch (sp->kind) {
    case T_EXACT: return actual == sp->value;
    case T_ABS: bound = sp->tol; break;
    case T_REL: bound = sp->tol * fabs(sp->value); break;
    case T_CI: bound = sp->tol * (isnan(sum->ci95) ? 0 : sum->ci95); break;
    }
    return fabs(actual - sp->value) <= bound;
}

/* Checks one expectation against variant v (named vname) and prints its
 * line of the table. */
static void check_one(const expectation *x, const rg_results *r, size_t v, const char *vname,
                      FILE *out, tally *t)
{
    int mi = rg_results_metric(r, x->metric);
    if (mi < 0) {
        fprintf(out, "MOVED  %-18s %-24s the results have no metric '%s'\n", vname, x->key,
                x->metric);
        t->failed++;
        return;
    }
    const rg_summary *sum = rg_results_summary(r, v, (size_t)mi);
    double actual = stat_of(sum, x->stat);
    bool ok = within(&x->sp, sum, actual);
    char tt[32];
    tol_text(&x->sp, tt, sizeof tt);
    fprintf(out, "%-6s %-18s %-24s %14.6g %12s %14.6g\n", ok ? "ok" : "MOVED", vname, x->key,
            x->sp.value, tt, actual);
    if (ok)
        t->held++;
    else
        t->failed++;
}

/* Reads every line of section sec (each must be well formed), counting
 * them in t->lines, and checks them against variant vname of results r;
 * r NULL (a point the results lack, see caller) checks nothing.  A
 * variant the results lack is one failure, naming it. */
static int check_variant(rg_scn *s, const char *sec, const char *vname, const rg_results *r,
                         FILE *out, tally *t, rg_err *e)
{
    rg_scn_declare(s, sec);
    int v = r != NULL ? rg_results_variant(r, vname) : -1;
    size_t nk = rg_scn_nkeys(s, sec);
    if (r != NULL && v < 0) {
        fprintf(out, "MOVED  %-18s the results have no variant '%s' (%zu expectation%s)\n", vname,
                vname, nk, nk == 1 ? "" : "s");
        t->failed++;
    }
    for (size_t k = 0; k < nk; k++) {
        expectation x;
        if (parse_expectation(s, sec, rg_scn_key(s, sec, k), &x, e) < 0)
            return -1;
        t->lines++;
        if (v >= 0)
            check_one(&x, r, (size_t)v, vname, out, t);
    }
    return 0;
}

/* The results a section is about: [variant.NAME] is point 0's (a run's),
 * [point.K.variant.NAME] point K's; *vname is NAME.  NULL for any other
 * section, and *k = SIZE_MAX for a point the results lack. */
static const rg_results *section_results(const char *sec, rg_results *const *res, size_t np,
                                         const char **vname, size_t *k)
{
    *k = 0;
    if (strncmp(sec, "variant.", 8) == 0) {
        *vname = sec + 8;
        return np == 1 ? res[0] : NULL;
    }
    if (strncmp(sec, "point.", 6) != 0)
        return NULL;
    char *end;
    unsigned long long n = strtoull(sec + 6, &end, 10);
    if (end == sec + 6 || strncmp(end, ".variant.", 9) != 0)
        return NULL;
    *vname = end + 9;
    if (n >= np) {
        *k = SIZE_MAX;
        return NULL;
    }
    *k = (size_t)n;
    return res[n];
}

int rg_expect_check_points(const char *path, rg_results *const *res, size_t np, const rg_meta *m,
                           FILE *out, rg_err *e)
{
    rg_scn *s = rg_scn_load_as(path, "expectations file", e);
    if (s == NULL)
        return -1;
    tally t = {0, 0, 0};
    int64_t points;
    fprintf(out, "check against %s (%" PRIu64 " replications, seed %" PRIu64 ")\n", path,
            res[0]->reps_done, m->seed);
    if (check_provenance(s, res[0], m, out, &t, e) < 0 ||
        rg_scn_int(s, "expect", "points", "1", 1, INT64_MAX, &points, e) < 0)
        goto bad;
    if ((uint64_t)points != np) {
        fprintf(out, "MOVED  %zu points, expected %" PRId64 "\n", np, points);
        t.failed++;
    }
    fprintf(out, "%-6s %-18s %-24s %14s %12s %14s\n", "", "variant", "metric.stat", "expected",
            "tolerance", "actual");
    for (size_t i = 0; i < rg_scn_nsections(s); i++) {
        const char *sec = rg_scn_section(s, i), *vname = NULL;
        size_t k;
        const rg_results *r = section_results(sec, res, np, &vname, &k);
        if (r == NULL && k == SIZE_MAX) {
            fprintf(out, "MOVED  [%s]: the results have no such point\n", sec);
            t.failed++;
        } else if (r == NULL) {
            continue; /* other sections are reported as unknown by rg_scn_finish */
        } else if (np > 1) {
            fprintf(out, "point %zu\n", k);
        }
        if (check_variant(s, sec, vname, r, out, &t, e) < 0)
            goto bad;
    }
    if (rg_scn_finish(s, e) < 0)
        goto bad;
    /* A file that checks nothing must not pass as "0 held, 0 moved". */
    if (t.lines == 0) {
        rg_err_set(e, RG_ERR_INPUT,
                   "%s: no expectations to check (expected %s sections with lines "
                   "METRIC.STAT = VALUE)",
                   path, np > 1 ? "[point.K.variant.NAME]" : "[variant.NAME]");
        goto bad;
    }
    fprintf(out, "%d held, %d moved\n", t.held, t.failed);
    rg_scn_free(s);
    return t.failed;
bad:
    rg_scn_free(s);
    return -1;
}

int rg_expect_check(const char *path, const rg_results *r, const rg_meta *m, FILE *out, rg_err *e)
{
    rg_results *one = (rg_results *)r; /* read only */
    return rg_expect_check_points(path, &one, 1, m, out, e);
}

/* The expectation lines of results r under section prefix pre. */
static void write_variants(FILE *f, const char *pre, const rg_results *r)
{
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(f, "\n[%svariant.%s]\n", pre, r->varnames[v]);
        for (size_t mi = 0; mi < r->nmet; mi++) {
            const rg_metric *me = &r->met[mi];
            if (!(me->flags & RG_MF_SHOW))
                continue;
            const rg_summary s = *rg_results_summary(r, v, mi);
            if (isnan(s.mean))
                continue;
            if (s.min == s.max)
                fprintf(f, "%s.mean = %.17g\n", me->name, s.mean);
            else
                fprintf(f, "%s.mean = %.10g ci 3\n", me->name, s.mean);
            if ((me->flags & RG_MF_MAX) && s.max == 0)
                fprintf(f, "%s.max = 0\n", me->name);
        }
    }
}

/* The words of the header every expectations file this program writes
 * carries (rg_expect_save), in its first lines. */
#define OURS_MARK "written by revguard-sim"

bool rg_expect_is_ours(const char *path)
{
    char head[512];
    return rg_file_head(path, head, sizeof head) > 0 && strstr(head, OURS_MARK) != NULL;
}

int rg_expect_save(const char *path, rg_results *const *res, size_t np, const rg_meta *m,
                   bool force, rg_err *e)
{
    rg_atomic a;
    if (rg_atomic_open(&a, path, force, rg_expect_is_ours, e) < 0)
        return -1;
    FILE *f = a.f;
    const rg_results *r = res[0];
    fprintf(f,
            "; Expectations for scenario %s (seed %" PRIu64 ", %" PRIu64 " replications%s),\n"
            "; " OURS_MARK " %s with --write-expect.  Review changes to this file\n"
            "; like code: they are changes in what the models predict.\n\n"
            "[expect]\nscenario = %s\nseed = %" PRIu64 "\nreplications = %" PRIu64 "\n",
            m->scenario_name, m->seed, r->reps_done, np > 1 ? " a point" : "",
            m->tool_version ? m->tool_version : "?", m->scenario_name, m->seed, r->reps_done);
    if (np > 1)
        fprintf(f, "points = %zu\n", np);
    for (size_t k = 0; k < np; k++) {
        char pre[48] = "";
        if (np > 1)
            snprintf(pre, sizeof pre, "point.%zu.", k);
        write_variants(f, pre, res[k]);
    }
    return rg_atomic_commit(&a, e);
}

int rg_expect_write_points(const char *path, rg_results *const *res, size_t np, const rg_meta *m,
                           rg_err *e)
{
    return rg_expect_save(path, res, np, m, false, e);
}

int rg_expect_write(const char *path, const rg_results *r, const rg_meta *m, rg_err *e)
{
    rg_results *one = (rg_results *)r; /* read only */
    return rg_expect_save(path, &one, 1, m, false, e);
}
