/*
 * sweep.c: parameter studies on the command line: opening a point of a
 * scenario's iteration variables, running a study to a precision target,
 * `sweep` (every point) and `find` (a threshold by bisection), the JSON
 * summaries for scripts, and a sweep's report (--report, and `report` on a
 * sweep's file).
 *
 * Common random numbers: by default every point runs replication r with
 * the streams of (seed, r), so the differences between points are the
 * parameter's and not noise; --independent-points gives point k its own
 * seed, derived from (seed, k).  A point's seeds depend only on the
 * scenario, the seed and k, never on how the work is split.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/registry.h"
#include "reports/report.h"
#include "reports/sweeprep.h"
#include "sim/engine/stats.h"
#include "sim/run/expect.h"
#include "sim/run/sweep.h"

/* Scenario files are small; a larger one is a mistake. */
#define MAX_SCENARIO_BYTES ((size_t)RG_SCN_MAX_BYTES)

/* ---- points ------------------------------------------------------------- */

rg_iter *cli_iter(const args *a, bool allow_bracket, char **text, rg_err *e)
{
    size_t len;
    *text = rg_read_text(a->file, "scenario", MAX_SCENARIO_BYTES, &len, e);
    if (*text == NULL)
        return NULL;
    if (strlen(*text) != len) {
        /* binary data: the scenario reader says where, as for any file */
        rg_scn_free(rg_scn_load(a->file, e));
        if (e->kind == RG_ERR_NONE)
            rg_err_set(e, RG_ERR_INPUT, "%s: binary data (a NUL byte) in a scenario file", a->file);
        free(*text);
        *text = NULL;
        return NULL;
    }
    size_t n = 1 + a->nsets;
    const char **texts = rg_xcalloc(n, sizeof *texts);
    char **names = rg_xcalloc(n, sizeof *names);
    texts[0] = *text;
    names[0] = rg_xstrdup(a->file);
    for (size_t i = 0; i < a->nsets; i++) {
        texts[1 + i] = a->sets[i];
        names[1 + i] = rg_xasprintf("%s %s", a->origins[i], a->sets[i]);
    }
    rg_iter *it = rg_iter_scan(texts, (const char *const *)names, n, e);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(texts);
    for (size_t i = 0; it && i < a->nvaries; i++)
        if (rg_iter_vary(it, a->varies[i], e) < 0) {
            rg_iter_free(it);
            it = NULL;
        }
    if (it && rg_iter_plan(it, allow_bracket, e) < 0) {
        rg_iter_free(it);
        it = NULL;
    }
    if (it == NULL) {
        free(*text);
        *text = NULL;
    }
    return it;
}

int cli_open_point(const args *a, const rg_iter *it, size_t k, const char *const *vals, rg_study *l,
                   rg_err *e)
{
    char *text = rg_iter_subst(it, 0, k, vals);
    char **sets = rg_xcalloc(a->nsets ? a->nsets : 1, sizeof *sets);
    for (size_t i = 0; i < a->nsets; i++)
        sets[i] = rg_iter_subst(it, 1 + i, k, vals);
    int rc = rg_study_open_text(a->file, text, sets, a->origins, a->nsets, l, e);
    for (size_t i = 0; i < a->nsets; i++)
        free(sets[i]);
    free(sets);
    free(text);
    if (rc < 0)
        rg_study_close(l);
    return rc;
}

/* "window (13 values), pause (4 values)" */
static char *describe_vars(const rg_iter *it)
{
    rg_buf b = {0};
    for (size_t v = 0; v < rg_iter_nvars(it); v++)
        rg_buf_printf(&b, "%s${%s}", v ? ", " : "", rg_iter_name(it, v));
    return b.s ? b.s : rg_xstrdup("");
}

int cli_open_scenario(const args *a, rg_study *l, rg_err *e)
{
    char *text = NULL;
    memset(l, 0, sizeof *l);
    rg_iter *it = cli_iter(a, false, &text, e);
    if (it == NULL)
        return -1;
    int rc;
    if (rg_iter_nvars(it) == 0) {
        rc = rg_study_open_text(a->file, text, a->sets, a->origins, a->nsets, l, e);
        if (rc < 0)
            rg_study_close(l);
    } else if (!a->point_given) {
        char *vars = describe_vars(it);
        rc = rg_err_set(e, RG_ERR_INPUT,
                        "%s has iteration variables (%s, %zu points): run them all with "
                        "'revguard-sim sweep %s', or one with --point K (0 to %zu)",
                        a->file, vars, rg_iter_npoints(it), a->file, rg_iter_npoints(it) - 1);
        free(vars);
    } else if (a->point >= rg_iter_npoints(it)) {
        rc = rg_err_set(e, RG_ERR_INPUT, "--point %" PRIu64 ": %s has points 0 to %zu", a->point,
                        a->file, rg_iter_npoints(it) - 1);
    } else {
        rc = cli_open_point(a, it, (size_t)a->point, NULL, l, e);
    }
    rg_iter_free(it);
    free(text);
    return rc;
}

int cli_variants(const args *a, const rg_study *l, size_t **only, size_t *n, rg_err *e)
{
    *only = NULL;
    *n = 0;
    if (a->variant == NULL || strcmp(a->cmd, "trace") == 0)
        return 0;
    size_t nv = l->ops->nvariants(l->cfg);
    char *list = rg_xstrdup(a->variant);
    int rc = 0;
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t && rc == 0;
         t = strtok_r(NULL, ",", &save)) {
        size_t v = 0;
        while (v < nv && strcmp(l->ops->variant_name(l->cfg, v), t) != 0)
            v++;
        if (v == nv) {
            rg_buf b = {0};
            for (size_t i = 0; i < nv; i++)
                rg_buf_printf(&b, "%s%s", i ? ", " : "", l->ops->variant_name(l->cfg, i));
            rc = rg_err_set(e, RG_ERR_INPUT, "--variant %s: %s has no variant '%s' (it has %s)",
                            a->variant, a->file, t, b.s);
            rg_buf_free(&b);
            break;
        }
        for (size_t i = 0; i < *n; i++)
            if ((*only)[i] == v)
                rc =
                    rg_err_set(e, RG_ERR_INPUT, "--variant %s: '%s' is named twice", a->variant, t);
        *only = rg_xrealloc(*only, (*n + 1) * sizeof **only);
        (*only)[(*n)++] = v;
    }
    free(list);
    if (rc == 0 && *n == 0)
        rc = rg_err_set(e, RG_ERR_INPUT, "--variant '%s': no variant named", a->variant);
    if (rc < 0) {
        free(*only);
        *only = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- precision targets -------------------------------------------------- */

typedef struct target {
    size_t metric;
    double halfwidth; /* in the metric's unit */
} target;

/* Parses --until-ci METRIC=HALFWIDTH against r's metrics. */
static int parse_targets(const args *a, const rg_results *r, target *t, rg_err *e)
{
    for (size_t i = 0; i < a->nuntil_ci; i++) {
        const char *s = a->until_ci[i], *eq = strchr(s, '=');
        char *name = rg_xasprintf("%.*s", eq ? (int)(eq - s) : (int)strlen(s), s);
        int m = rg_results_metric(r, name);
        int u = eq ? rg_iter_quantity(eq + 1, &t[i].halfwidth) : -1;
        int rc = 0;
        if (eq == NULL || u < 0 || !(t[i].halfwidth > 0))
            rc = rg_err_set(e, RG_ERR_INPUT,
                            "--until-ci %s: expected METRIC=HALFWIDTH, the half-width a "
                            "positive number with the metric's unit (lat_p99=5ms, oversell=0.5)",
                            s);
        else if (m < 0)
            rc = rg_err_set(e, RG_ERR_INPUT, "--until-ci %s: no metric '%s'", s, name);
        free(name);
        if (rc < 0)
            return -1;
        t[i].metric = (size_t)m;
    }
    return 0;
}

/* True when every variant's CI half-width of every target is met. */
static bool precise(const rg_results *r, const target *t, size_t nt)
{
    for (size_t i = 0; i < nt; i++)
        for (size_t v = 0; v < r->nvar; v++) {
            double ci = rg_results_summary(r, v, t[i].metric)->ci95;
            if (!(ci <= t[i].halfwidth))
                return false;
        }
    return true;
}

rg_results *cli_run_study(const args *a, const rg_study *l, rg_runopts o, rg_err *e)
{
    if (cli_mpi_size() > 1)
        return cli_mpi_run(a, l, o, e);
    if (a->nuntil_ci == 0)
        return rg_run(l->ops, l->cfg, &o, e);
    /* Deterministic batches: min-reps, then doubling up to max-reps, each
     * checked on the whole prefix, so the count is the same for any -j. */
    uint64_t lo = a->min_reps ? a->min_reps : 100, hi = a->max_reps ? a->max_reps : 100000;
    if (lo < 2 || lo > hi || hi > RG_MAX_REPS) {
        rg_err_set(e, RG_ERR_INPUT,
                   "--min-reps %" PRIu64 ", --max-reps %" PRIu64 ": need 2 <= min <= max <= "
                   "10^8",
                   lo, hi);
        return NULL;
    }
    o.reps = lo;
    o.first_rep = 0;
    rg_results *r = rg_run(l->ops, l->cfg, &o, e);
    target *t = rg_xcalloc(a->nuntil_ci, sizeof *t);
    if (r != NULL && parse_targets(a, r, t, e) < 0) {
        rg_results_free(r);
        r = NULL;
    }
    while (r != NULL && !r->error && !r->interrupted && r->reps_done < hi &&
           !precise(r, t, a->nuntil_ci)) {
        o.first_rep = r->reps_done;
        o.reps = r->reps_done * 2 > hi ? hi - r->reps_done : r->reps_done;
        rg_results *more = rg_run(l->ops, l->cfg, &o, e);
        if (more == NULL ||
            rg_results_grow(r, r->reps_done + more->reps_done, o.spill_dir, e) < 0 ||
            rg_results_append(r, more, e) < 0) {
            rg_results_free(more);
            rg_results_free(r);
            r = NULL;
            break;
        }
        if (more->error)
            r->error = rg_xstrdup(more->error);
        rg_results_free(more);
    }
    if (r != NULL && !a->quiet) {
        bool met = precise(r, t, a->nuntil_ci);
        fprintf(stderr, "revguard-sim: %s: %s after %" PRIu64 " replications%s\n", l->name,
                met ? "precision reached" : "precision NOT reached", r->reps_done,
                met ? "" : " (--max-reps)");
    }
    free(t);
    return r;
}

/* ---- JSON ---------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, "%.17g", x);
    else
        fputs("null", f);
}

/* {"variant": {"metric": {"n":..,"mean":..,...}}} for r. */
static void json_variants(FILE *f, const rg_results *r)
{
    fputc('{', f);
    for (size_t v = 0; v < r->nvar; v++) {
        fputs(v ? "," : "", f);
        json_str(f, r->varnames[v]);
        fputs(":{", f);
        for (size_t m = 0; m < r->nmet; m++) {
            const rg_summary *s = rg_results_summary(r, v, m);
            fputs(m ? "," : "", f);
            json_str(f, r->met[m].name);
            fprintf(f, ":{\"unit\":");
            json_str(f, r->met[m].unit);
            fprintf(f, ",\"n\":%" PRIu64, s->n);
            const char *k[] = {"mean", "ci95", "sd", "min", "max", "p05", "p50", "p95", "p99"};
            const double x[] = {s->mean, s->ci95, s->sd,  s->min, s->max,
                                s->p05,  s->p50,  s->p95, s->p99};
            for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
                fprintf(f, ",\"%s\":", k[i]);
                json_num(f, x[i]);
            }
            fputc('}', f);
        }
        fputc('}', f);
    }
    fputc('}', f);
}

void cli_json_run(FILE *f, const rg_study *l, const rg_results *r)
{
    fputs("{\"scenario\":", f);
    json_str(f, l->name);
    fprintf(f, ",\"model\":");
    json_str(f, l->model);
    fprintf(f, ",\"seed\":%" PRIu64 ",\"replications\":%" PRIu64 ",\"complete\":%s,\"variants\":",
            r->seed, r->reps_done, r->interrupted ? "false" : "true");
    json_variants(f, r);
    fputs("}\n", f);
}

/* The points of sw as a JSON array member ("points": [...]). */
static void json_points(FILE *f, const rg_sweep *sw)
{
    fputs("\"points\":[", f);
    for (size_t k = 0; k < sw->npoints; k++) {
        fprintf(f, "%s{\"point\":%zu,\"seed\":%" PRIu64 ",\"values\":{", k ? "," : "", k,
                sw->seed[k]);
        for (size_t v = 0; v < sw->nvars; v++) {
            fputs(v ? "," : "", f);
            json_str(f, sw->vars[v]);
            fputc(':', f);
            json_num(f, sw->value[k * sw->nvars + v]);
        }
        fputs("},\"text\":{", f);
        for (size_t v = 0; v < sw->nvars; v++) {
            fputs(v ? "," : "", f);
            json_str(f, sw->vars[v]);
            fputc(':', f);
            json_str(f, sw->text[k * sw->nvars + v]);
        }
        fprintf(f, "},\"replications\":%" PRIu64 ",\"variants\":", sw->res[k]->reps_done);
        json_variants(f, sw->res[k]);
        fputc('}', f);
    }
    fputc(']', f);
}

/* ---- the console --------------------------------------------------------- */

/* The metrics the console shows: --metric's, or those the experiment marks
 * as shown.  Returns their count; *sel is new. */
static size_t chosen_metrics(const args *a, const rg_results *r, size_t **sel, rg_err *e)
{
    size_t n = 0;
    *sel = rg_xcalloc(r->nmet ? r->nmet : 1, sizeof **sel);
    if (a->metrics == NULL) {
        for (size_t m = 0; m < r->nmet; m++)
            if (r->met[m].flags & RG_MF_SHOW)
                (*sel)[n++] = m;
        return n;
    }
    char *list = rg_xstrdup(a->metrics);
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int m = rg_results_metric(r, t);
        if (m < 0 || n == r->nmet) {
            rg_err_set(e, RG_ERR_INPUT, "--metric %s: no metric '%s'", a->metrics, t);
            free(list);
            free(*sel);
            *sel = NULL;
            return SIZE_MAX;
        }
        (*sel)[n++] = (size_t)m;
    }
    free(list);
    return n;
}

/* One cell: mean ± CI in the metric's display unit. */
static void cell(char *buf, size_t n, const rg_metric *m, const rg_summary *s)
{
    double k = (m->flags & RG_MF_MS) ? 1e3 : (m->flags & RG_MF_PROB) ? 100.0 : 1.0;
    const char *pc = (m->flags & RG_MF_PROB) ? "%" : "";
    if (isnan(s->mean))
        snprintf(buf, n, "n/a"); /* no replication had a value */
    else if (isnan(s->ci95))
        snprintf(buf, n, "%.4g%s", s->mean * k, pc);
    else
        snprintf(buf, n, "%.4g ± %.2g%s", s->mean * k, s->ci95 * k, pc);
}

static void print_sweep(FILE *f, const rg_sweep *sw, const size_t *sel, size_t nsel,
                        const char *name)
{
    const rg_results *r0 = sw->res[0];
    fprintf(f, "%s: sweep of %zu points, %" PRIu64 " replications a point, seed %" PRIu64 "%s\n",
            name, sw->npoints, r0->reps, r0->seed,
            sw->crn ? " (common random numbers across points)" : " (independent points)");
    for (size_t v = 0; v < r0->nvar; v++) {
        fprintf(f, "\nvariant %s\n  %5s", r0->varnames[v], "point");
        for (size_t x = 0; x < sw->nvars; x++)
            fprintf(f, " %12s", sw->vars[x]);
        for (size_t i = 0; i < nsel; i++) {
            const rg_metric *m = &r0->met[sel[i]];
            char h[64];
            snprintf(h, sizeof h, "%s%s", m->name,
                     (m->flags & RG_MF_MS)     ? " (ms)"
                     : (m->flags & RG_MF_PROB) ? " (P)"
                                               : "");
            fprintf(f, " %20s", h);
        }
        fputc('\n', f);
        for (size_t k = 0; k < sw->npoints; k++) {
            fprintf(f, "  %5zu", k);
            for (size_t x = 0; x < sw->nvars; x++)
                fprintf(f, " %12s", sw->text[k * sw->nvars + x]);
            for (size_t i = 0; i < nsel; i++) {
                char c[64];
                cell(c, sizeof c, &r0->met[sel[i]], rg_results_summary(sw->res[k], v, sel[i]));
                fprintf(f, " %20s", c);
            }
            fputs(sw->res[k]->interrupted ? "  (incomplete)\n" : "\n", f);
        }
    }
}

/* ---- running the points --------------------------------------------------- */

/* Point k's seed: the scenario's (common random numbers), or one of its
 * own derived from (seed, k) by splitmix64. */
static uint64_t point_seed(uint64_t seed, size_t k, bool independent)
{
    if (!independent)
        return seed;
    uint64_t z = seed + UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(k + 1);
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return (z ^ (z >> 31)) & INT64_MAX;
}

/* Runs point k (its values vals, or point k's) into sw slot `slot`; the
 * study's name, description and model go to m when not yet there.
 * Returns 0, 1 if interrupted (the slot holds what finished), or -1. */
static int run_point(const args *a, const rg_iter *it, size_t k, const char *const *vals,
                     rg_sweep *sw, size_t slot, rg_meta *m, rg_err *e)
{
    rg_study l;
    if (cli_open_point(a, it, k, vals, &l, e) < 0) {
        char *msg = rg_xstrdup(e->msg);
        rg_err_set(e, e->kind, "point %zu: %s", k, msg);
        free(msg);
        return -1;
    }
    size_t *only = NULL, nonly = 0;
    int rc = -1;
    if (cli_variants(a, &l, &only, &nonly, e) < 0)
        goto out;
    rg_runopts o = cli_runopts(&l);
    o.seed = point_seed((uint64_t)l.seed, k, a->independent);
    if (a->shard_n) {
        cli_shard_block(o.reps, a->shard_k, a->shard_n, &o.first_rep, &o.reps);
        if (m->shards == 0) {
            m->shard = a->shard_k;
            m->shards = a->shard_n;
            m->first_rep = o.first_rep;
            m->total_reps = (uint64_t)l.reps;
        }
    }
    o.threads = a->threads;
    o.keep_latencies = a->keep;
    o.progress = !a->quiet;
    o.only = only;
    o.nonly = nonly;
    o.spill_dir = a->spill_dir;
    char label[96];
    snprintf(label, sizeof label, "%s %zu/%zu", l.name, slot + 1, sw->npoints);
    o.label = label;
    rg_results *r = cli_run_study(a, &l, o, e);
    if (r == NULL)
        goto out;
    if (cli_mpi_rank() > 0) { /* rank 0 holds the point */
        rg_results_free(r);
        rc = 0;
        goto out;
    }
    if (r->error) {
        rg_err_set(e, RG_ERR_INPUT, "%s: point %zu: %s; nothing written", a->file, k, r->error);
        rg_results_free(r);
        goto out;
    }
    rg_results_set_timeline_names(r, l.ops->timeline);
    rg_buf res = {0};
    rg_scn_resolved(l.scn, &res);
    sw->res[slot] = r;
    sw->seed[slot] = o.seed;
    sw->resolved[slot] = res.s ? res.s : rg_xstrdup("");
    for (size_t v = 0; v < sw->nvars; v++) {
        const char *t = vals && vals[v] ? vals[v] : rg_iter_text(it, k, v);
        double x = NAN;
        sw->text[slot * sw->nvars + v] = rg_xstrdup(t);
        if (rg_iter_quantity(t, &x) < 0)
            x = NAN;
        sw->value[slot * sw->nvars + v] = x;
    }
    if (m->scenario_name == NULL) {
        m->scenario_name = rg_xstrdup(l.name);
        m->description = rg_xstrdup(l.description);
        m->model = rg_xstrdup(l.model);
    }
    rc = r->interrupted ? 1 : 0;
out:
    free(only);
    rg_study_close(&l);
    return rc;
}

/* The sweep's meta (name, description and model already there): the
 * template (file text, --set, --vary) as its resolved text. */
static void sweep_meta(const args *a, const char *text, const rg_sweep *sw, rg_meta *m)
{
    rg_buf b = {0};
    rg_buf_printf(&b, "%s", text);
    for (size_t i = 0; i < a->nsets; i++)
        rg_buf_printf(&b, "\n; %s %s", a->origins[i], a->sets[i]);
    for (size_t i = 0; i < a->nvaries; i++)
        rg_buf_printf(&b, "\n; --vary %s", a->varies[i]);
    if (a->independent)
        rg_buf_printf(&b, "\n; --independent-points");
    m->resolved = b.s ? b.s : rg_xstrdup("");
    m->tool_version = rg_xstrdup(PACKAGE_VERSION);
    m->seed = sw->res[0]->seed;
    m->complete = true;
    for (size_t k = 0; k < sw->npoints; k++)
        m->complete = m->complete && !sw->res[k]->interrupted;
}

/* Before any simulation: the options that do not apply, point 0 opens,
 * the variants and metrics named exist, the output can be written.  The
 * output path is new in *out. */
static int sweep_checks(const args *a, const rg_iter *it, const char *kind, char **out, rg_err *e)
{
    if (a->point_given || a->extend || a->rep_given || a->csv)
        return rg_err_set(e, RG_ERR_INPUT, "%s: --point, --rep, --extend and --csv apply to run",
                          kind);
    if (cli_check_files(a, e) < 0)
        return -1;
    if (a->shard_n && strcmp(kind, "find") == 0)
        return rg_err_set(e, RG_ERR_INPUT,
                          "find: --shard splits a sweep's or a run's replications; a search "
                          "chooses its points as it goes");
    if (a->shard_n && cli_shard_refuse(a, e) < 0)
        return -1;
    rg_study l;
    if (cli_open_point(a, it, 0, NULL, &l, e) < 0)
        return -1;
    size_t *only = NULL, nonly = 0, *sel = NULL, nmet;
    const rg_metric *met = l.ops->metrics(l.cfg, &nmet);
    rg_results *probe = rg_results_new(0, NULL, nmet, met, 1);
    int rc = cli_variants(a, &l, &only, &nonly, e);
    if (rc == 0 && chosen_metrics(a, probe, &sel, e) == SIZE_MAX)
        rc = -1;
    *out = a->output    ? rg_xstrdup(a->output)
           : a->shard_n ? rg_xasprintf("results/%s-%s.part-%" PRIu64 "-of-%" PRIu64 ".h5", l.name,
                                       kind, a->shard_k, a->shard_n)
                        : rg_xasprintf("results/%s-%s.h5", l.name, kind);
    if (rc == 0 && a->output == NULL)
        rc = rg_mkdir_p("results", e);
    if (rc == 0)
        rc = rg_results_check_path(*out, a->force, e);
    if (rc == 0 && a->report)
        rc = rg_mkdir_p(a->report, e);
    if (rc == 0 && a->report)
        rc = rg_report_dir_check(a->report, true, e);
    free(only);
    free(sel);
    rg_results_free(probe);
    rg_study_close(&l);
    return rc;
}

/* Writes sw, prints it, makes its report. */
static int sweep_outputs(const args *a, const char *text, rg_sweep *sw, rg_meta *m, const char *out,
                         const char *extra_json, rg_err *e)
{
    size_t *sel = NULL;
    size_t nsel = chosen_metrics(a, sw->res[0], &sel, e);
    int rc = nsel == SIZE_MAX ? -1 : 0;
    sweep_meta(a, text, sw, m);
    if (rc == 0)
        rc = rg_sweep_write(out, sw, m, e);
    if (rc == 0 && a->write_expect &&
        (rc = rg_expect_save(a->write_expect, sw->res, sw->npoints, m, a->force, e)) == 0 &&
        !a->quiet && !a->json)
        printf("expectations: %s\n", a->write_expect);
    if (rc == 0 && a->json) {
        fputs("{\"scenario\":", stdout);
        json_str(stdout, m->scenario_name);
        fprintf(stdout, ",\"seed\":%" PRIu64 ",\"common_random_numbers\":%s,\"variables\":[",
                m->seed, sw->crn ? "true" : "false");
        for (size_t v = 0; v < sw->nvars; v++) {
            fputs(v ? "," : "", stdout);
            json_str(stdout, sw->vars[v]);
        }
        fputs("],", stdout);
        if (extra_json)
            fputs(extra_json, stdout);
        json_points(stdout, sw);
        fputs("}\n", stdout);
    } else if (rc == 0 && !a->quiet) {
        print_sweep(stdout, sw, sel, nsel, m->scenario_name);
        printf("\nresults: %s%s\n", out, m->complete ? "" : " (incomplete)");
    }
    if (rc == 0 && a->report) {
        rc = cli_report_sweep(sw, m, a->report, e);
        if (rc == 0 && !a->quiet && !a->json)
            printf("report: %s\n", a->report);
    }
    if (rc == 0 && a->expect) {
        int moved = rg_expect_check_points(a->expect, sw->res, sw->npoints, m,
                                           a->json ? stderr : stdout, e);
        if (moved < 0)
            rc = -1;
        else if (moved > 0)
            rc = rg_err_set(e, RG_ERR_CHECK, "%d expectation%s of %s moved", moved,
                            moved == 1 ? "" : "s", a->expect);
    }
    free(sel);
    return rc;
}

/* ---- reports -------------------------------------------------------------- */

int cli_report_sweep(rg_sweep *sw, const rg_meta *m, const char *dir, rg_err *e)
{
    /* Results read from a file carry no roles: the experiment gives them back. */
    const rg_experiment *ops = rg_experiment_find(m->model ? m->model : "");
    if (ops != NULL) {
        size_t n;
        const rg_metric *met = ops->metrics(NULL, &n);
        for (size_t k = 0; k < sw->npoints; k++)
            if (sw->res[k] != NULL)
                rg_results_adopt_roles(sw->res[k], met, n);
    }
    return rg_report_sweep(sw, m, dir, e);
}

int cli_report_sweep_file(const char *path, const char *dir, char **made, rg_err *e)
{
    rg_sweep *sw = NULL;
    rg_meta m = {0};
    if (rg_sweep_read(path, &sw, &m, e) < 0)
        return -1;
    char *d = cli_report_dir(&m, dir);
    int rc = rg_mkdir_p(d, e);
    if (rc == 0)
        rc = cli_report_sweep(sw, &m, d, e);
    rg_sweep_free(sw);
    rg_meta_free(&m);
    if (rc == 0 && made != NULL)
        *made = d;
    else
        free(d);
    return rc;
}

int cmd_sweep(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    char *text = NULL, *out = NULL;
    rg_sweep *sw = NULL;
    rg_meta m = {0};
    int code = 0, st = 0;
    rg_iter *it = cli_iter(a, false, &text, &e);
    if (it == NULL)
        goto err;
    if (rg_iter_nvars(it) == 0) {
        rg_err_set(&e, RG_ERR_INPUT,
                   "%s has no iteration variable (${NAME=SPEC}) in the file or in --set: "
                   "nothing to sweep; use 'revguard-sim run'",
                   a->file);
        goto err;
    }
    if (cli_mpi_agree(sweep_checks(a, it, "sweep", &out, &e), &e) < 0)
        goto err;
    if (cli_mpi_rank() == 0)
        a->spill_dir = rg_dir_of(out);
    size_t nv = rg_iter_nvars(it);
    const char **names = rg_xcalloc(nv, sizeof *names);
    bool *logs = rg_xcalloc(nv, sizeof *logs);
    for (size_t v = 0; v < nv; v++) {
        names[v] = rg_iter_name(it, v);
        logs[v] = rg_iter_is_log(it, v);
    }
    sw = rg_sweep_new(nv, names, logs, rg_iter_npoints(it));
    free(names);
    free(logs);
    sw->crn = !a->independent;
    for (size_t k = 0; k < sw->npoints && st == 0; k++) {
        st = run_point(a, it, k, NULL, sw, k, &m, &e);
        if (st < 0)
            goto err;
        if (st == 1)
            sw->npoints = k + 1; /* the rest never ran */
    }
    if (cli_mpi_rank() > 0)
        goto done; /* rank 0 writes */
    if (sweep_outputs(a, text, sw, &m, out, NULL, &e) < 0)
        goto err;
    if (st == 1) {
        fprintf(stderr, "revguard-sim: interrupted: %zu points written, the last incomplete\n",
                sw->npoints);
        code = RG_EXIT_INTERRUPTED;
    }
    goto done;
err:
    code = cli_fail(&e);
done:
    rg_sweep_free(sw);
    rg_meta_free(&m);
    rg_iter_free(it);
    free(text);
    free(out);
    free(a->spill_dir);
    a->spill_dir = NULL;
    return code;
}

/* ---- find ---------------------------------------------------------------- */

/* A condition 'VARIANT.METRIC.STAT OP VALUE'. */
typedef struct cond {
    char *variant, *metric, *stat, *op;
    double value;
} cond;

static const char *const ops[] = {"<=", ">=", "==", "!=", "<", ">"};
static const char *const stats[] = {"mean", "sd", "ci95", "min", "max", "p05", "p50", "p95", "p99"};

static void cond_free(cond *c)
{
    free(c->variant);
    free(c->metric);
    free(c->stat);
    free(c->op);
    memset(c, 0, sizeof *c);
}

static int parse_cond(const char *s, cond *c, rg_err *e)
{
    memset(c, 0, sizeof *c);
    const char *o = NULL;
    size_t ol = 0;
    for (const char *p = s; *p && o == NULL; p++)
        for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
            if (strncmp(p, ops[i], strlen(ops[i])) == 0) {
                o = p;
                ol = strlen(ops[i]);
                break;
            }
    char *lhs = o ? rg_xasprintf("%.*s", (int)(o - s), s) : rg_xstrdup(s);
    size_t n = strlen(lhs);
    while (n > 0 && lhs[n - 1] == ' ')
        lhs[--n] = '\0';
    char *d2 = strrchr(lhs, '.'), *d1 = NULL;
    if (d2) {
        *d2 = '\0';
        d1 = strrchr(lhs, '.');
    }
    int rc = 0;
    if (o == NULL || d1 == NULL || d1 == lhs || rg_iter_quantity(o + ol, &c->value) < 0)
        rc = rg_err_set(e, RG_ERR_INPUT,
                        "--until '%s': expected 'VARIANT.METRIC.STAT OP VALUE', OP one of <= < >= "
                        "> == !=, VALUE a number with the metric's unit (e.g. "
                        "'sql_naive.oversell.max == 0', 'object.lat_p99.mean <= 50ms')",
                        s);
    if (rc == 0) {
        *d1 = '\0';
        c->variant = rg_xstrdup(lhs);
        c->metric = rg_xstrdup(d1 + 1);
        c->stat = rg_xstrdup(d2 + 1);
        c->op = rg_xasprintf("%.*s", (int)ol, o);
        bool known = false;
        for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
            known = known || strcmp(stats[i], c->stat) == 0;
        if (!known)
            rc = rg_err_set(e, RG_ERR_INPUT,
                            "--until '%s': '%s' is not a statistic (mean, sd, ci95, min, max, "
                            "p05, p50, p95, p99)",
                            s, c->stat);
    }
    free(lhs);
    if (rc < 0)
        cond_free(c);
    return rc;
}

/* The statistic of c on r, or NAN with e set when r lacks it. */
static double cond_stat(const cond *c, const rg_results *r, double *ci, rg_err *e)
{
    int v = rg_results_variant(r, c->variant), m = rg_results_metric(r, c->metric);
    if (v < 0 || m < 0) {
        rg_err_set(e, RG_ERR_INPUT, "--until: the results have no %s '%s'",
                   v < 0 ? "variant" : "metric", v < 0 ? c->variant : c->metric);
        return NAN;
    }
    const rg_summary *s = rg_results_summary(r, (size_t)v, (size_t)m);
    const double x[] = {s->mean, s->sd, s->ci95, s->min, s->max, s->p05, s->p50, s->p95, s->p99};
    *ci = strcmp(c->stat, "mean") == 0 ? s->ci95 : NAN;
    for (size_t i = 0; i < sizeof stats / sizeof stats[0]; i++)
        if (strcmp(stats[i], c->stat) == 0)
            return x[i];
    return NAN;
}

static bool cond_holds(const cond *c, double x)
{
    const char *o = c->op;
    return strcmp(o, "<=") == 0   ? x <= c->value
           : strcmp(o, ">=") == 0 ? x >= c->value
           : strcmp(o, "==") == 0 ? x == c->value
           : strcmp(o, "!=") == 0 ? x != c->value
           : strcmp(o, "<") == 0  ? x < c->value
                                  : x > c->value;
}

/* One evaluated point of the search. */
typedef struct probe {
    double x;
    size_t slot;
    bool holds;
} probe;

static int by_x(const void *a, const void *b)
{
    double x = ((const probe *)a)->x, y = ((const probe *)b)->x;
    return (x > y) - (x < y);
}

/* True if, by x, the condition changes at most once. */
static bool monotone(probe *p, size_t n)
{
    probe *s = rg_xmalloc((n ? n : 1) * sizeof *s);
    memcpy(s, p, n * sizeof *s);
    qsort(s, n, sizeof *s, by_x);
    size_t changes = 0;
    for (size_t i = 1; i < n; i++)
        changes += s[i].holds != s[i - 1].holds;
    free(s);
    return changes <= 1;
}

typedef struct search {
    const args *a;
    const rg_iter *it;
    const cond *c;
    rg_sweep *sw; /* grows one slot per evaluation */
    probe *p;
    size_t n;
    rg_meta *m;
} search;

/* Evaluates the condition at x (SI): one run of the scenario there. */
static int evaluate(search *s, double x, rg_err *e)
{
    double si;
    char *t = rg_iter_format(s->it, 0, x, &si);
    const char *vals[1] = {t};
    size_t slot = s->n;
    rg_sweep *sw = s->sw;
    sw->npoints = slot + 1;
    sw->value = rg_xrealloc(sw->value, sw->npoints * sizeof *sw->value);
    sw->text = rg_xrealloc(sw->text, sw->npoints * sizeof *sw->text);
    sw->seed = rg_xrealloc(sw->seed, sw->npoints * sizeof *sw->seed);
    sw->resolved = rg_xrealloc(sw->resolved, sw->npoints * sizeof *sw->resolved);
    sw->res = rg_xrealloc(sw->res, sw->npoints * sizeof *sw->res);
    sw->text[slot] = NULL;
    sw->resolved[slot] = NULL;
    sw->res[slot] = NULL;
    int st = run_point(s->a, s->it, 0, vals, sw, slot, s->m, e);
    free(t);
    if (st != 0) {
        sw->npoints = slot + (st > 0);
        return st < 0 ? -1 : 1;
    }
    double ci = NAN, y = cond_stat(s->c, sw->res[slot], &ci, e);
    if (isnan(y) && e->kind != RG_ERR_NONE)
        return -1;
    s->p = rg_xrealloc(s->p, (s->n + 1) * sizeof *s->p);
    s->p[s->n++] = (probe){sw->value[slot], slot, cond_holds(s->c, y)};
    char pm[40] = ""; /* no "± 0" after a statistic without a CI: 25 read as 250 */
    if (!isnan(ci))
        snprintf(pm, sizeof pm, " ± %.2g", ci);
    if (!s->a->quiet && !s->a->json)
        fprintf(stderr, "revguard-sim: find: %s = %s: %s.%s.%s = %.6g%s: %s\n", sw->vars[0],
                sw->text[slot], s->c->variant, s->c->metric, s->c->stat, y, pm,
                cond_holds(s->c, y) ? "holds" : "no");
    return 0;
}

/* Bisects [lo, hi] (where the condition differs) until narrower than tol
 * (absolute, or relative when geometric). */
static int bisect(search *s, double lo, double hi, bool hold_lo, double tol, bool geometric,
                  double out[2], rg_err *e)
{
    for (int it = 0; it < 64; it++) {
        double width = geometric ? hi / lo - 1 : fabs(hi - lo);
        if (width <= tol)
            break;
        double mid = geometric ? sqrt(lo * hi) : lo + (hi - lo) / 2;
        int st = evaluate(s, mid, e);
        if (st != 0)
            return st;
        if (!monotone(s->p, s->n))
            return rg_err_set(e, RG_ERR_INPUT,
                              "find: the condition is not monotone in %s on the points evaluated "
                              "(it changes more than once): a bisection cannot bracket it",
                              s->sw->vars[0]);
        if (s->p[s->n - 1].holds == hold_lo)
            lo = s->p[s->n - 1].x;
        else
            hi = s->p[s->n - 1].x;
    }
    out[0] = lo;
    out[1] = hi;
    return 0;
}

/* Sorts the evaluated points of sw by value (slot order of p). */
static void sort_points(search *s)
{
    rg_sweep *sw = s->sw;
    qsort(s->p, s->n, sizeof *s->p, by_x);
    rg_sweep *t = rg_sweep_new(sw->nvars, (const char *const *)sw->vars, sw->log, s->n);
    for (size_t i = 0; i < s->n; i++) {
        size_t k = s->p[i].slot;
        t->value[i] = sw->value[k];
        t->text[i] = sw->text[k];
        t->seed[i] = sw->seed[k];
        t->resolved[i] = sw->resolved[k];
        t->res[i] = sw->res[k];
        sw->text[k] = sw->resolved[k] = NULL;
        sw->res[k] = NULL;
    }
    t->crn = sw->crn;
    rg_sweep_free(sw);
    s->sw = t;
}

int cmd_find(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    char *text = NULL, *out = NULL, *json = NULL;
    cond c = {0};
    rg_meta m = {0};
    search s = {0};
    int code = 0;
    rg_iter *it = NULL;
    if (a->until == NULL) {
        rg_err_set(&e, RG_ERR_INPUT, "find needs --until 'VARIANT.METRIC.STAT OP VALUE'");
        goto err;
    }
    if (cli_mpi_size() > 1) {
        rg_err_set(&e, RG_ERR_INPUT,
                   "find chooses each point from the last one's results: run it on one "
                   "machine (-j uses its cores), not under mpirun");
        goto err;
    }
    if (parse_cond(a->until, &c, &e) < 0 || (it = cli_iter(a, true, &text, &e)) == NULL)
        goto err;
    if (rg_iter_nvars(it) != 1 || isnan(rg_iter_lo(it, 0))) {
        rg_err_set(&e, RG_ERR_INPUT,
                   "find searches one variable given as a range ${NAME=lo..hi} (in %s, a --set "
                   "or --vary NAME=lo..hi); %s has %zu variable%s%s",
                   a->file, a->file, rg_iter_nvars(it), rg_iter_nvars(it) == 1 ? "" : "s",
                   rg_iter_nvars(it) == 1 ? ", not a range" : "");
        goto err;
    }
    if (cli_mpi_agree(sweep_checks(a, it, "find", &out, &e), &e) < 0)
        goto err;
    if (cli_mpi_rank() == 0)
        a->spill_dir = rg_dir_of(out);
    double lo = rg_iter_lo(it, 0), hi = rg_iter_hi(it, 0), tol;
    bool geometric = lo > 0 && hi / lo >= 10;
    if (a->tol) {
        if (rg_iter_quantity(a->tol, &tol) < 0 || !(tol > 0)) {
            rg_err_set(&e, RG_ERR_INPUT,
                       "--tol '%s': expected a positive number, with the "
                       "variable's unit",
                       a->tol);
            goto err;
        }
        if (geometric)
            tol = tol / fmin(fabs(lo), fabs(hi)); /* a width near the low end */
    } else {
        tol = geometric ? 0.01 : fabs(hi - lo) / 1000;
    }
    const char *name = rg_iter_name(it, 0);
    s = (search){a, it, &c, rg_sweep_new(1, &name, &geometric, 0), NULL, 0, &m};
    s.sw->crn = !a->independent;
    double br[2] = {lo, hi};
    int st = evaluate(&s, lo, &e);
    if (st == 0)
        st = evaluate(&s, hi, &e);
    if (st < 0)
        goto err;
    if (st == 0 && s.p[0].holds == s.p[1].holds) {
        rg_err_set(&e, RG_ERR_INPUT,
                   "find: '%s' %s at both ends of %s = %s..%s: the condition does not change "
                   "across the range, so there is nothing to bracket; widen the range",
                   a->until, s.p[0].holds ? "holds" : "does not hold", name, s.sw->text[0],
                   s.sw->text[1]);
        goto err;
    }
    if (st == 0)
        st = bisect(&s, lo, hi, s.p[0].holds, tol, geometric, br, &e);
    if (st < 0)
        goto err;
    sort_points(&s);
    char lo_t[64], hi_t[64];
    double d;
    char *t0 = rg_iter_format(it, 0, br[0], &d), *t1 = rg_iter_format(it, 0, br[1], &d);
    snprintf(lo_t, sizeof lo_t, "%s", t0);
    snprintf(hi_t, sizeof hi_t, "%s", t1);
    free(t0);
    free(t1);
    /* the condition (escaped) and the bracket, for --format json */
    size_t jlen = 0;
    FILE *jf = open_memstream(&json, &jlen);
    if (jf != NULL) {
        fputs("\"until\":", jf);
        json_str(jf, a->until);
        fprintf(jf, ",\"bracket\":[%.17g,%.17g],", br[0], br[1]);
        fclose(jf);
    }
    if (sweep_outputs(a, text, s.sw, &m, out, json, &e) < 0)
        goto err;
    if (!a->json)
        printf("\nfind: '%s' changes between %s = %s and %s = %s (%zu points evaluated)\n",
               a->until, name, lo_t, name, hi_t, s.n);
    if (st == 1) {
        fprintf(stderr, "revguard-sim: interrupted: the search stopped early\n");
        code = RG_EXIT_INTERRUPTED;
    }
    goto done;
err:
    code = cli_fail(&e);
done:
    cond_free(&c);
    rg_sweep_free(s.sw);
    free(s.p);
    rg_meta_free(&m);
    rg_iter_free(it);
    free(text);
    free(out);
    free(a->spill_dir);
    a->spill_dir = NULL;
    free(json);
    return code;
}

/* ---- validate ------------------------------------------------------------- */

int cli_validate_sweep(const args *a)
{
    rg_err e;
    rg_err_clear(&e);
    char *text = NULL;
    rg_iter *it = cli_iter(a, true, &text, &e);
    int rc = 0;
    if (it == NULL) {
        rc = cli_fail(&e);
        goto out;
    }
    if (rg_iter_nvars(it) == 0 || a->point_given) {
        rc = -1; /* not a sweep, or one point of it: a plain validate */
        goto out;
    }
    size_t np = rg_iter_npoints(it);
    rg_study l;
    for (size_t k = 0; k < np; k++) {
        if (cli_open_point(a, it, k, NULL, &l, &e) < 0) {
            char *msg = rg_xstrdup(e.msg);
            rg_err_set(&e, e.kind, "point %zu: %s", k, msg);
            free(msg);
            rc = cli_fail(&e);
            goto out;
        }
        if (k == 0) {
            char *vars = describe_vars(it);
            rg_buf b = {0};
            rg_scn_resolved(l.scn, &b);
            printf("; %s: valid sweep of %zu points over %s (model %s, %zu variant%s); point 0 "
                   "resolved:\n",
                   a->file, np, vars, l.model, l.ops->nvariants(l.cfg),
                   l.ops->nvariants(l.cfg) == 1 ? "" : "s");
            fputs(b.s ? b.s : "", stdout);
            rg_buf_free(&b);
            free(vars);
        }
        rg_study_close(&l);
    }
out:
    rg_iter_free(it);
    free(text);
    return rc;
}
