/*
 * report.c: the report writer.  From results in memory it writes, into one
 * directory, a data file (.dat) and a gnuplot script (.gp) per page, then runs
 * gnuplot once per script (one PNG each) and once on report.gp, which loads
 * every page script in turn into the multi-page report.pdf.  summary.csv holds
 * the key numbers; gnuplot.log whatever gnuplot said.
 *
 * Pages, each only when its data exist: the summary (text, here), then the
 * plot pages of pages.c: the allocation timeline of replication 0, the
 * oversell histogram, the latency CDF, latency and oversell side by side,
 * mean ± 95 % CI bars of every shown metric (experiments without an oversell
 * role), and the distribution of every shown metric over replications.
 * Pages find the metrics they plot by role (runner.h), never by name.
 * This file owns the report as a whole: the context of one report, the
 * directory, summary.csv, report.gp and running gnuplot; what every page
 * shares (output files, page head, metric titles) is in rptout.c.
 *
 * Safety: strings from the results (scenario, variant and metric texts) go
 * only into scripts, always escaped (the rg_gnuplot_* writers of gnuplot.h:
 * put_str, put_wrapped, label, label_lines), never into comments or data
 * files; data files hold numbers only.  Every script sets `noenhanced`.
 * gnuplot runs with fork/execv in the output directory with -d (no init
 * files), so a page redraws the same from `gnuplot plot-x.gp`.
 */
#include "reports/report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "reports/gnuplot.h"
#include "reports/pages.h"
#include "reports/rptout.h"
#include "sim/engine/stats.h"

/* ---- numbers ------------------------------------------------------------ */

/* "12.3 ± 0.45": mean and CI half-width of summary s in the metric's display
 * unit (which the row label names). */
static void fmt_mean(char *buf, size_t n, const rg_metric *m, const rg_summary *s)
{
    double k = rpt_met_scale(m);
    if (isnan(s->mean))
        snprintf(buf, n, "n/a");
    else if (isnan(s->ci95))
        snprintf(buf, n, fabs(s->mean * k) >= 1000 ? "%.0f" : "%.4g", s->mean * k);
    else if (fabs(s->mean * k) >= 1000)
        snprintf(buf, n, "%.0f ± %.0f", s->mean * k, s->ci95 * k);
    else
        snprintf(buf, n, "%.4g ± %.2g", s->mean * k, s->ci95 * k);
}

/* ---- files -------------------------------------------------------------- */

/* mkdir -p. */
static int make_dir(const char *dir, rg_err *e)
{
    char *d = rg_xstrdup(dir);
    int rc = 0;
    for (char *p = d + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char was = *p;
        *p = '\0';
        if (mkdir(d, 0777) < 0 && errno != EEXIST) {
            rc = rg_err_set(e, RG_ERR_IO, "cannot create directory %s: %s", d, strerror(errno));
            break;
        }
        *p = was;
        if (was == '\0')
            break;
    }
    free(d);
    struct stat st;
    if (rc == 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
        rc = rg_err_set(e, RG_ERR_IO, "%s: not a directory", dir);
    return rc;
}

/* ---- summary.csv -------------------------------------------------------- */

static int write_csv(rpt_ctx *c)
{
    const rg_results *r = c->r;
    FILE *f = rpt_out_open(c, "summary.csv");
    if (f == NULL)
        return -1;
    fprintf(f, "variant");
    for (size_t m = 0; m < r->nmet; m++)
        for (int k = 0; k < 2; k++) {
            char *h = rg_xasprintf("%s_%s", r->met[m].name, k ? "ci95" : "mean");
            fputc(',', f);
            rg_csv_field(f, h);
            free(h);
        }
    fputc('\n', f);
    for (size_t v = 0; v < r->nvar; v++) {
        rg_csv_field(f, r->varnames[v]);
        for (size_t m = 0; m < r->nmet; m++)
            fprintf(f, ",%.17g,%.17g", rpt_summ(c, v, m)->mean, rpt_summ(c, v, m)->ci95);
        fputc('\n', f);
    }
    return rpt_out_close(c, f, "summary.csv");
}

/* ---- page: summary ------------------------------------------------------ */

/* The summary page is text placed top down in screen coordinates: each part
 * takes the height y where it starts and returns the one below it. */

/* Left edge of every part. */
#define SUM_X0 0.04

/* Screen height of a line of text at pt points. */
static double line_h(double pt)
{
    return pt * RPT_LINE_PITCH / RPT_PAGE_H_PX;
}

/* The headline: scenario name, description, the run (model, seed,
 * replications, variants, version) and, for an interrupted run, a
 * warning. */
static double summary_headline(FILE *f, const rpt_ctx *c, double y)
{
    const rg_meta *m = c->m;
    char *t = rg_gnuplot_cut(m->scenario_name ? m->scenario_name : "(unnamed scenario)", 64);
    rg_gnuplot_label(f, t, SUM_X0, y, "left font \",22\"");
    free(t);
    y -= line_h(22);
    if (m->description)
        y -= line_h(12) * rg_gnuplot_label_lines(f, m->description, 130, 2, SUM_X0, y, line_h(12),
                                                 "left font \",12\"");
    y -= 0.2 * line_h(11);
    char *info = rg_xasprintf("Model: %s      Seed: %" PRIu64 "      Replications: %" PRIu64
                              "      Variants: %zu      Simulated with revguard-sim %s",
                              m->model ? m->model : "?", m->seed, c->n, c->r->nvar,
                              m->tool_version ? m->tool_version : "?");
    rg_gnuplot_label(f, info, SUM_X0, y, "left textcolor rgb \"#444444\"");
    free(info);
    y -= line_h(11);
    if (!m->complete || c->r->interrupted || c->n < c->r->reps) {
        char *inc =
            rg_xasprintf("INCOMPLETE: interrupted run, %" PRIu64 " of %" PRIu64 " replications",
                         c->n, c->r->reps);
        rg_gnuplot_label(f, inc, SUM_X0, y - 0.2 * line_h(13),
                         "left font \",13\" textcolor rgb \"#CC0000\"");
        free(inc);
        y -= 1.4 * line_h(13);
    }
    return y;
}

/* Columns of the key numbers: the first nv variants, each colw wide from
 * xt on, right of the row labels. */
typedef struct sum_cols {
    size_t nv;
    double xt, colw;
} sum_cols;

/* The rows of the key numbers: per shown metric its mean ± CI per variant,
 * and for a metric whose maximum matters a second row with the maximum.
 * Rows that do not fit end in a pointer to summary.csv. */
static double summary_rows(FILE *f, const rpt_ctx *c, const sum_cols *cols, double y)
{
    for (size_t k = 0; k < c->nshow; k++) {
        const rg_metric *me = &c->r->met[c->show[k]];
        for (int pass = 0; pass < ((me->flags & RG_MF_MAX) ? 2 : 1); pass++) {
            if (y < 0.04) {
                rg_gnuplot_label(f, "… (more in summary.csv)", SUM_X0, y, "left");
                return y;
            }
            char *mt = rpt_met_title(me);
            char *row = pass ? rg_xasprintf("Maximum of: %s", mt) : rg_xstrdup(mt);
            char *t = rg_gnuplot_cut(row, 50);
            rg_gnuplot_label(f, t, SUM_X0, y, "left");
            free(t);
            free(row);
            free(mt);
            for (size_t v = 0; v < cols->nv; v++) {
                const rg_summary *s = rpt_summ(c, v, c->show[k]);
                char cell[96];
                if (pass)
                    snprintf(cell, sizeof cell, "%.6g", s->max * rpt_met_scale(me));
                else
                    fmt_mean(cell, sizeof cell, me, s);
                rg_gnuplot_label(f, cell, cols->xt + cols->colw * ((double)v + 0.5), y, "center");
            }
            y -= line_h(11);
        }
    }
    return y;
}

/* The key numbers: one row per shown metric, one column per variant (at
 * most six; the rest are in summary.csv), under a caption and the variant
 * names. */
static double summary_table(FILE *f, const rpt_ctx *c, double y)
{
    const rg_results *r = c->r;
    y -= 0.8 * line_h(11);
    char *head = rg_xasprintf(
        "Key numbers per variant: mean ± 95 %% confidence interval over %" PRIu64 " replications",
        c->n);
    rg_gnuplot_label(f, head, SUM_X0, y, "left font \",13\"");
    free(head);
    sum_cols cols = {r->nvar < 6 ? r->nvar : 6, 0.40, 0};
    if (cols.nv < r->nvar) {
        char *more = rg_xasprintf("(%zu more variants in summary.csv)", r->nvar - cols.nv);
        rg_gnuplot_label(f, more, 0.98, y, "right");
        free(more);
    }
    cols.colw = cols.nv ? (0.98 - cols.xt) / (double)cols.nv : 0;
    y -= 1.3 * line_h(13);
    /* Variant names in their plot colour, wrapped to their column (a
     * character of 11 pt is about 1/150 of the page). */
    int hl = 1;
    for (size_t v = 0; v < cols.nv; v++) {
        char opts[64];
        snprintf(opts, sizeof opts, "center textcolor rgb \"%s\"", rpt_color(v));
        int n =
            rg_gnuplot_label_lines(f, r->varnames[v], (size_t)(cols.colw * 150 * 0.9), 2,
                                   cols.xt + cols.colw * ((double)v + 0.5), y, line_h(11), opts);
        hl = n > hl ? n : hl;
    }
    y -= (hl - 1) * line_h(11);
    fprintf(f,
            "set arrow from screen %.4f,%.4f to screen 0.98,%.4f nohead lc rgb \"#888888\" "
            "lw 1\n",
            SUM_X0, y - 0.55 * line_h(11), y - 0.55 * line_h(11));
    y -= 1.15 * line_h(11);
    return summary_rows(f, c, &cols, y);
}

/* The resolved scenario: as many lines as fit below y, in two columns;
 * nothing if too little room is left. */
static void summary_params(FILE *f, const rpt_ctx *c, double y)
{
    const char *res = c->m->resolved ? c->m->resolved : "";
    y -= 0.6 * line_h(11);
    if (!res[0] || y <= 0.12)
        return;
    rg_gnuplot_label(f, "Scenario parameters (resolved)", SUM_X0, y, "left font \",13\"");
    y -= 1.2 * line_h(13);
    const double lh = line_h(9), ybot = 0.03;
    size_t per_col = (size_t)((y - ybot) / lh) + 1, col = 0, row = 0;
    for (const char *p = res; *p && col < 2;) {
        size_t len = strcspn(p, "\n");
        char *line = rg_xmalloc(len + 1);
        memcpy(line, p, len);
        line[len] = '\0';
        p += len + (p[len] == '\n');
        bool blank = strspn(line, " \t\r") == len;
        if (!blank) {
            bool last = col == 1 && row + 1 == per_col && *p;
            char *t =
                last ? rg_xstrdup("… (the rest is in the results file)") : rg_gnuplot_cut(line, 76);
            rg_gnuplot_label(f, t, SUM_X0 + 0.48 * (double)col, y - lh * (double)row,
                             "left font \"Monospace,9\"");
            free(t);
            if (++row == per_col) {
                row = 0;
                col++;
            }
        }
        free(line);
    }
}

/* The summary page: what was run, the key numbers, the parameters. */
static int page_summary(rpt_ctx *c)
{
    FILE *f = rpt_page_open(c, "plot-summary", "summary page (scenario, key numbers, parameters)");
    if (f == NULL)
        return -1;
    fprintf(f, "unset border\nunset tics\nunset key\nunset grid\nset margins 0,0,0,0\n"
               "set xrange [0:1]\nset yrange [0:1]\n");
    double y = summary_headline(f, c, 0.935);
    y = summary_table(f, c, y);
    summary_params(f, c, y);
    fprintf(f, "# Nothing to plot: an invisible point makes gnuplot draw the labels.\n"
               "plot -1 notitle\n");
    return rpt_page_close(c, f);
}

/* ---- report.gp ---------------------------------------------------------- */

static int write_pdf_script(rpt_ctx *c)
{
    FILE *f = rpt_out_open(c, "report.gp");
    if (f == NULL)
        return -1;
    fprintf(f, "# report.gp: every page, in order, into report.pdf.\n"
               "# Written by revguard-sim report; run 'gnuplot report.gp' in this directory.\n"
               "set terminal " RPT_PDF_TERM "\n"
               "set output \"report.pdf\"\n"
               "rg_pdf = 1\n");
    for (size_t i = 0; i < c->npages; i++)
        fprintf(f, "%sload \"%s.gp\"\n", i ? "reset\n" : "", c->pages[i]);
    fprintf(f, "unset output\n");
    return rpt_out_close(c, f, "report.gp");
}

/* ---- running gnuplot ---------------------------------------------------- */

/* Runs gnuplot on every page script, then on report.gp; stops at the first
 * failure. */
static int run_all(rpt_ctx *c)
{
    size_t n = c->npages + 1;
    char **scripts = rg_xcalloc(n, sizeof *scripts);
    for (size_t i = 0; i < c->npages; i++)
        scripts[i] = rg_xasprintf("%s.gp", c->pages[i]);
    scripts[c->npages] = rg_xstrdup("report.gp");
    int rc = rg_gnuplot_run(c->dir, (const char *const *)scripts, n, c->e);
    for (size_t i = 0; i < n; i++)
        free(scripts[i]);
    free(scripts);
    return rc;
}

/* ---- entry points ------------------------------------------------------- */

const char *rg_report_gnuplot(void)
{
    return rg_gnuplot_program();
}

char *rg_report_escape(const char *s)
{
    return rg_gnuplot_escape(s);
}

int rg_report_make_from(const rg_results *r, const rg_meta *m, const char *h5path,
                        const char *outdir, rg_err *e)
{
    (void)h5path; /* not shown: equal runs must give equal reports */
    if (make_dir(outdir, e) < 0)
        return -1;
    rpt_ctx c = {0};
    c.r = r;
    c.m = m;
    c.dir = outdir;
    c.e = e;
    c.n = r->reps_done;
    c.oversell = rg_results_role(r, RG_ROLE_OVERSELL);
    c.show = rg_xcalloc(r->nmet, sizeof *c.show);
    for (size_t k = 0; k < r->nmet; k++)
        if (r->met[k].flags & RG_MF_SHOW)
            c.show[c.nshow++] = k;

    int rc = -1;
    if (write_csv(&c) < 0 || page_summary(&c) < 0 || rpt_page_timeline(&c) < 0 ||
        rpt_page_oversell(&c) < 0 || rpt_page_latency(&c) < 0 || rpt_page_compare(&c) < 0 ||
        rpt_page_protection(&c) < 0 || rpt_page_metrics(&c) < 0 || write_pdf_script(&c) < 0 ||
        run_all(&c) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < c.npages; i++)
        free(c.pages[i]);
    free(c.pages);
    free(c.show);
    return rc;
}
