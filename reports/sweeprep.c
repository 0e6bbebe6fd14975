/*
 * sweeprep.c: the report of a parameter sweep as a whole (sweeprep.h): the
 * sweep's axes read off its points, which metrics get pages, the title page,
 * sweep-summary.csv, report.gp, and running gnuplot.  The plot pages are in
 * sweepplot.c; what they share is sweepplot.h (sweepctx.c), and what
 * every report page shares (files, page head, palette, metric titles) is
 * rptout.h, the same as a run's report.
 *
 * Order of work: axes, then the plan of plot pages (so that the title page
 * can list them), then the CSV, the title page, the plot pages, report.gp,
 * and gnuplot once per page script and once on report.gp.
 *
 * Safety as in report.c: strings from the sweep (scenario, variables, their
 * texts, variants, metrics) reach scripts only through the rg_gnuplot_*
 * writers, escaped, never comments or data files; file names are ours.
 */
#include "reports/sweeprep.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"
#include "reports/sweepplot.h"

/* At most this many heatmaps (variants) on one page: 2 rows of 3. */
#define HEAT_PER_PAGE 6

/* ---- the plan ----------------------------------------------------------- */

/* True if some point and variant has a value of metric m. */
static bool has_values(const swp_ctx *s, size_t m)
{
    for (size_t k = 0; k < s->sw->npoints; k++)
        for (size_t v = 0; v < s->c.r->nvar; v++)
            if (swp_summ(s, k, v, m)->n > 0)
                return true;
    return false;
}

/* A file name part for metric m: its name when it is one ([a-z0-9_]+, as
 * experiments name metrics), else m-<index>, which no metric name is. */
static char *met_stem(const rg_metric *met, size_t m)
{
    const char *n = met->name ? met->name : "";
    size_t len = strlen(n);
    if (len > 0 && len <= 48 && strspn(n, "abcdefghijklmnopqrstuvwxyz0123456789_") == len)
        return rg_xstrdup(n);
    return rg_xasprintf("m-%zu", m);
}

static void add_page(swp_ctx *s, size_t m, size_t v0, size_t nv, char *base)
{
    s->pg = rg_xrealloc(s->pg, (s->npg + 1) * sizeof *s->pg);
    s->pg[s->npg++] = (swp_page){m, v0, nv, base};
}

/* The plot pages: per key metric one line plot (one axis) or heatmaps of
 * up to HEAT_PER_PAGE variants a page. */
static void plan_pages(swp_ctx *s)
{
    const rg_results *r = s->c.r;
    static const rg_mrole roles[] = {RG_ROLE_OVERSELL, RG_ROLE_LAT_P50, RG_ROLE_LAT_P99,
                                     RG_ROLE_COST};
    size_t *key = rg_xcalloc(r->nmet ? r->nmet : 1, sizeof *key), nkey = 0;
    bool any_role = false;
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        int m = rg_results_role(r, roles[i]);
        any_role = any_role || m >= 0;
        if (m >= 0 && has_values(s, (size_t)m))
            key[nkey++] = (size_t)m;
    }
    for (size_t m = 0; !any_role && m < r->nmet; m++)
        if ((r->met[m].flags & RG_MF_SHOW) && has_values(s, m))
            key[nkey++] = m;
    bool heat = swp_plotted_axes(s) >= 2;
    size_t parts = (r->nvar + HEAT_PER_PAGE - 1) / HEAT_PER_PAGE;
    for (size_t i = 0; i < nkey; i++) {
        char *stem = met_stem(&r->met[key[i]], key[i]);
        if (!heat)
            add_page(s, key[i], 0, r->nvar, rg_xasprintf("sweep-%s", stem));
        for (size_t p = 0; heat && p < parts; p++) {
            size_t v0 = p * HEAT_PER_PAGE;
            size_t nv = r->nvar - v0 < HEAT_PER_PAGE ? r->nvar - v0 : HEAT_PER_PAGE;
            add_page(s, key[i], v0, nv,
                     parts > 1 ? rg_xasprintf("heat-%s-%zu", stem, p + 1)
                               : rg_xasprintf("heat-%s", stem));
        }
        free(stem);
    }
    free(key);
}

/* ---- sweep-summary.csv -------------------------------------------------- */

static void csv_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, ",%.17g", x);
    else
        fputc(',', f);
}

/* One row per (point, variant, metric), every metric: the point, each
 * variable's value (SI base units, empty for text) and text, then n, mean,
 * ci95 and p50 in the metric's own unit. */
static int write_csv(swp_ctx *s)
{
    const rg_sweep *sw = s->sw;
    const rg_results *r = s->c.r;
    FILE *f = rpt_out_open(&s->c, "sweep-summary.csv");
    if (f == NULL)
        return -1;
    fputs("point", f);
    for (size_t v = 0; v < sw->nvars; v++) {
        char *t = rg_xasprintf("%s_text", sw->vars[v]);
        fputc(',', f);
        rg_csv_field(f, sw->vars[v]);
        fputc(',', f);
        rg_csv_field(f, t);
        free(t);
    }
    fputs(",variant,metric,n,mean,ci95,p50\n", f);
    for (size_t k = 0; k < sw->npoints; k++)
        for (size_t vr = 0; vr < r->nvar; vr++)
            for (size_t m = 0; m < r->nmet; m++) {
                fprintf(f, "%zu", k);
                for (size_t v = 0; v < sw->nvars; v++) {
                    csv_num(f, sw->value[k * sw->nvars + v]);
                    fputc(',', f);
                    rg_csv_field(f, swp_text_of(sw, k, v));
                }
                fputc(',', f);
                rg_csv_field(f, r->varnames[vr]);
                fputc(',', f);
                rg_csv_field(f, r->met[m].name);
                const rg_summary *u = swp_summ(s, k, vr, m);
                fprintf(f, ",%" PRIu64, u->n);
                csv_num(f, u->mean);
                csv_num(f, u->ci95);
                csv_num(f, u->p50);
                fputc('\n', f);
            }
    return rpt_out_close(&s->c, f, "sweep-summary.csv");
}

/* ---- the title page ----------------------------------------------------- */

#define TX0 0.04

/* Screen height of a line of text at pt points. */
static double line_h(double pt)
{
    return pt * RPT_LINE_PITCH / RPT_PAGE_H_PX;
}

/* The values of axis a's variable in words: "10 ms to 1 h, 13 values,
 * evenly spaced in log" or a list of up to six. */
static char *describe_values(const swp_ctx *s, const swp_axis *a)
{
    rg_buf b = {0};
    if (a->n <= 6 || a->text) {
        for (size_t p = 0; p < a->n && p < 6; p++) {
            char *t = swp_fmt_value(s, a, p);
            rg_buf_printf(&b, "%s%s", p ? ", " : "", t);
            free(t);
        }
        if (a->n > 6)
            rg_buf_printf(&b, ", … (%zu values)", a->n);
    } else {
        char *lo = swp_fmt_value(s, a, 0), *hi = swp_fmt_value(s, a, a->n - 1);
        rg_buf_printf(&b, "%s to %s, %zu values%s", lo, hi, a->n,
                      s->sw->log[a->vars[0]] ? ", evenly spaced in log(value)" : "");
        free(lo);
        free(hi);
    }
    return b.s ? b.s : rg_xstrdup("");
}

/* The head: name, description, what was run, replications, random numbers,
 * and a warning for an interrupted sweep. */
static double title_head(FILE *f, const swp_ctx *s, double y)
{
    const rg_meta *m = s->c.m;
    char *t = rg_gnuplot_cut(m->scenario_name ? m->scenario_name : "(unnamed scenario)", 64);
    rg_gnuplot_label(f, t, TX0, y, "left font \",22\"");
    free(t);
    y -= line_h(22);
    if (m->description && m->description[0])
        y -= line_h(12) * rg_gnuplot_label_lines(f, m->description, 130, 2, TX0, y, line_h(12),
                                                 "left font \",12\"");
    y -= 0.2 * line_h(11);
    char *info = rg_xasprintf("Parameter sweep of %zu points      Model: %s      Seed: %" PRIu64
                              "      Simulated with revguard-sim %s",
                              s->sw->npoints, m->model ? m->model : "?", m->seed,
                              m->tool_version ? m->tool_version : "?");
    rg_gnuplot_label(f, info, TX0, y, "left textcolor rgb \"#444444\"");
    free(info);
    y -= 1.5 * line_h(11);
    char *reps =
        s->nmin == s->nmax
            ? rg_xasprintf("Replications per point: %" PRIu64, s->nmin)
            : rg_xasprintf("Replications per point: %" PRIu64 " to %" PRIu64, s->nmin, s->nmax);
    rg_gnuplot_label(f, reps, TX0, y, "left");
    free(reps);
    y -= line_h(11);
    rg_gnuplot_label(f,
                     s->sw->crn ? "Common random numbers: replication r draws the same random "
                                  "streams at every point, so differences between points are "
                                  "the parameters', not noise"
                                : "Independent points: every point draws its own random streams "
                                  "(--independent-points)",
                     TX0, y, "left");
    y -= line_h(11);
    if (!m->complete) {
        rg_gnuplot_label(f,
                         "INCOMPLETE: the sweep was interrupted; the last point has fewer "
                         "replications and later points are missing",
                         TX0, y - 0.2 * line_h(13), "left font \",13\" textcolor rgb \"#CC0000\"");
        y -= 1.4 * line_h(13);
    }
    return y;
}

/* The variables, one row each: name, values, and where it is plotted. */
static double title_vars(FILE *f, const swp_ctx *s, double y)
{
    y -= 0.8 * line_h(11);
    rg_gnuplot_label(f, "Variables", TX0, y, "left font \",13\"");
    y -= 1.3 * line_h(13);
    size_t np = swp_plotted_axes(s), w = 8;
    for (size_t v = 0; v < s->sw->nvars; v++) {
        size_t n = rg_gnuplot_nchars(s->sw->vars[v]);
        w = n > w ? n : w;
    }
    /* a character of 10 pt monospace is about 1/160 of the page */
    double xv = TX0 + (double)(w < 24 ? w + 3 : 27) / 160.0;
    for (size_t g = 0; g < s->nax; g++) {
        const swp_axis *a = &s->ax[g];
        char *vals = describe_values(s, a);
        char *held = swp_fmt_value(s, a, 0);
        char *where =
            g == 0 && np == 1 ? rg_xstrdup("x axis")
            : g == 0          ? rg_xstrdup("x axis of the heatmaps")
            : g == 1 && np >= 2
                ? rg_xstrdup("y axis of the heatmaps")
                : rg_xasprintf("held at %s in the plots; sweep-summary.csv has all", held);
        for (size_t i = 0; i < a->nvars && y > 0.3; i++) {
            char *name = rg_gnuplot_cut(s->sw->vars[a->vars[i]], 24);
            rg_gnuplot_label(f, name, TX0, y, "left font \"Monospace,10\"");
            char *row = i == 0 ? rg_xasprintf("%s   (%s)", vals, where)
                               : rg_xasprintf("in step with %s", s->sw->vars[a->vars[0]]);
            char *cut = rg_gnuplot_cut(row, 110);
            rg_gnuplot_label(f, cut, xv, y, "left");
            free(cut);
            free(row);
            free(name);
            y -= line_h(11);
        }
        free(where);
        free(held);
        free(vals);
    }
    return y;
}

/* The variants in their plot colours, side by side. */
static double title_variants(FILE *f, const swp_ctx *s, double y)
{
    y -= 0.8 * line_h(11);
    rg_gnuplot_label(f, "Variants", TX0, y, "left font \",13\"");
    y -= 1.3 * line_h(13);
    double x = TX0;
    for (size_t v = 0; v < s->c.r->nvar; v++) {
        char *t = rg_gnuplot_cut(s->c.r->varnames[v], 30);
        double w = (double)(rg_gnuplot_nchars(t) + 4) / 150.0;
        if (x + w > 0.98 && x > TX0) {
            x = TX0;
            y -= line_h(11);
        }
        char opts[64];
        snprintf(opts, sizeof opts, "left textcolor rgb \"%s\"", rpt_color(v));
        rg_gnuplot_label(f, t, x, y, opts);
        x += w;
        free(t);
    }
    return y - line_h(11);
}

/* The pages that follow, numbered, in two columns when many. */
static void title_pages(FILE *f, const swp_ctx *s, double y)
{
    y -= 0.8 * line_h(11);
    rg_gnuplot_label(f, "Pages", TX0, y, "left font \",13\"");
    y -= 1.3 * line_h(13);
    if (s->npg == 0) {
        rg_gnuplot_label(f, "No plots: no key metric has values.", TX0, y, "left");
        return;
    }
    const double lh = line_h(10), ybot = 0.04;
    size_t per_col = y > ybot ? (size_t)((y - ybot) / lh) + 1 : 1, col = 0, row = 0;
    for (size_t i = 0; i < s->npg && col < 2; i++) {
        bool last = col == 1 && row + 1 == per_col && i + 1 < s->npg;
        char *t = swp_page_title(s, &s->pg[i]);
        char *line =
            last ? rg_xasprintf("… and %zu more", s->npg - i) : rg_xasprintf("%zu. %s", i + 2, t);
        char *cut = rg_gnuplot_cut(line, s->npg + 1 > per_col ? 70 : 140);
        rg_gnuplot_label(f, cut, TX0 + 0.48 * (double)col, y - lh * (double)row,
                         "left font \",10\"");
        free(cut);
        free(line);
        free(t);
        if (last)
            break;
        if (++row == per_col) {
            row = 0;
            col++;
        }
    }
}

static int page_title(swp_ctx *s)
{
    FILE *f = rpt_page_open(&s->c, "plot-sweep-summary",
                            "title page (sweep, variables, replications, pages)");
    if (f == NULL)
        return -1;
    fprintf(f, "unset border\nunset tics\nunset key\nunset grid\nset margins 0,0,0,0\n"
               "set xrange [0:1]\nset yrange [0:1]\n");
    double y = title_head(f, s, 0.935);
    y = title_vars(f, s, y);
    y = title_variants(f, s, y);
    title_pages(f, s, y);
    fprintf(f, "# Nothing to plot: an invisible point makes gnuplot draw the labels.\n"
               "plot -1 notitle\n");
    return rpt_page_close(&s->c, f);
}

/* ---- report.gp and gnuplot ---------------------------------------------- */

static int write_pdf_script(swp_ctx *s)
{
    FILE *f = rpt_out_open(&s->c, "report.gp");
    if (f == NULL)
        return -1;
    fprintf(f, "# report.gp: every page, in order, into report.pdf.\n"
               "# Written by revguard-sim report; run 'gnuplot report.gp' in this directory.\n"
               "set terminal " RPT_PDF_TERM "\n"
               "set output \"report.pdf\"\n"
               "rg_pdf = 1\n");
    for (size_t i = 0; i < s->c.npages; i++)
        fprintf(f, "%sload \"%s.gp\"\n", i ? "reset\n" : "", s->c.pages[i]);
    fprintf(f, "unset output\n");
    return rpt_out_close(&s->c, f, "report.gp");
}

static int run_gnuplot(swp_ctx *s)
{
    size_t n = s->c.npages + 1;
    char **scripts = rg_xcalloc(n, sizeof *scripts);
    for (size_t i = 0; i < s->c.npages; i++)
        scripts[i] = rg_xasprintf("%s.gp", s->c.pages[i]);
    scripts[s->c.npages] = rg_xstrdup("report.gp");
    int rc = rg_gnuplot_run(s->c.dir, s->c.outdir, (const char *const *)scripts, n, s->c.e);
    for (size_t i = 0; i < n; i++)
        free(scripts[i]);
    free(scripts);
    return rc;
}

/* ---- entry point -------------------------------------------------------- */

int rg_report_sweep(const rg_sweep *sw, const rg_meta *m, const char *dir, rg_err *e)
{
    if (sw->npoints == 0 || sw->res == NULL || sw->nvars == 0)
        return rg_err_set(e, RG_ERR_INPUT, "the sweep has no %s: nothing to report",
                          sw->nvars == 0 ? "variables" : "points");
    for (size_t k = 0; k < sw->npoints; k++)
        if (sw->res[k] == NULL)
            return rg_err_set(e, RG_ERR_INPUT, "point %zu of the sweep has no results", k);
    if (rg_mkdir_p(dir, e) < 0)
        return -1;
    swp_ctx s = {0};
    s.sw = sw;
    s.c.r = sw->res[0];
    s.c.m = m;
    s.c.dir = dir;
    s.c.e = e;
    s.c.oversell = rg_results_role(sw->res[0], RG_ROLE_OVERSELL);
    s.nmin = UINT64_MAX;
    for (size_t k = 0; k < sw->npoints; k++) {
        s.nmin = sw->res[k]->reps_done < s.nmin ? sw->res[k]->reps_done : s.nmin;
        s.nmax = sw->res[k]->reps_done > s.nmax ? sw->res[k]->reps_done : s.nmax;
    }
    s.c.n = s.nmin;
    swp_make_axes(&s);
    plan_pages(&s);
    bool heat = swp_plotted_axes(&s) >= 2;
    int rc = rpt_stage_open(&s.c, dir, true);
    if (rc == 0)
        rc = write_csv(&s) < 0 || page_title(&s) < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < s.npg; i++)
        rc = heat ? swp_page_heat(&s, &s.pg[i]) : swp_page_lines(&s, &s.pg[i]);
    if (rc == 0)
        rc = write_pdf_script(&s) < 0 || run_gnuplot(&s) < 0 ? -1 : 0;
    if (rc == 0)
        rc = rpt_stage_commit(&s.c);
    rpt_stage_abort(&s.c);
    rpt_ctx_free_pages(&s.c);
    for (size_t i = 0; i < s.npg; i++)
        free(s.pg[i].base);
    free(s.pg);
    for (size_t g = 0; g < s.nax; g++) {
        free(s.ax[g].vars);
        free(s.ax[g].at);
        free(s.ax[g].first);
        free(s.ax[g].si);
    }
    free(s.ax);
    return rc;
}
