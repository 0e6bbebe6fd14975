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

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"
#include "reports/html.h"
#include "reports/pages.h"
#include "reports/rptout.h"
#include "sim/engine/stats.h"

/* ---- files -------------------------------------------------------------- */

int rg_report_dir_check(const char *dir, bool sweep, rg_err *e)
{
    return rpt_dir_check(dir, sweep, e);
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

/* report-svg.gp: every plot page again, each into its own SVG for
 * report.html (text pages are HTML there). */
static int write_svg_script(rpt_ctx *c)
{
    FILE *f = rpt_out_open(c, "report-svg.gp");
    if (f == NULL)
        return -1;
    fprintf(f, "# report-svg.gp: every plot page into <page>.svg, for report.html.\n"
               "# Written by revguard-sim report; run 'gnuplot report-svg.gp' in this directory.\n"
               "rg_svg = 1\n");
    for (size_t i = 0; i < c->npages; i++)
        if (!c->text[i])
            fprintf(f, "load \"%s.gp\"\nunset output\nreset\n", c->pages[i]);
    return rpt_out_close(c, f, "report-svg.gp");
}

/* ---- running gnuplot ---------------------------------------------------- */

/* Runs gnuplot on every page script, then on report.gp; stops at the first
 * failure. */
static int run_all(rpt_ctx *c)
{
    size_t n = c->npages + 2 + c->anim;
    char **scripts = rg_xcalloc(n, sizeof *scripts);
    for (size_t i = 0; i < c->npages; i++)
        scripts[i] = rg_xasprintf("%s.gp", c->pages[i]);
    scripts[c->npages] = rg_xstrdup("report.gp");
    scripts[c->npages + 1] = rg_xstrdup("report-svg.gp");
    if (c->anim)
        scripts[c->npages + 2] = rg_xstrdup("live.gp");
    int rc = rg_gnuplot_run(c->dir, c->outdir, (const char *const *)scripts, n, c->e);
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
    return rg_report_make(r, m, NULL, outdir, e);
}

int rg_report_make(const rg_results *r, const rg_meta *m, const char *extra, const char *outdir,
                   rg_err *e)
{
    if (rg_mkdir_p(outdir, e) < 0)
        return -1;
    rpt_ctx c = {0};
    c.r = r;
    c.m = m;
    c.extra = extra;
    c.dir = outdir;
    c.e = e;
    c.n = r->reps_done;
    c.oversell = rg_results_role(r, RG_ROLE_OVERSELL);
    c.show = rg_xcalloc(r->nmet, sizeof *c.show);
    for (size_t k = 0; k < r->nmet; k++)
        if (r->met[k].flags & RG_MF_SHOW)
            c.show[c.nshow++] = k;

    int rc = -1;
    if (rpt_stage_open(&c, outdir, false) < 0)
        goto out;
    if (write_csv(&c) < 0 || rpt_page_summary(&c) < 0 || rpt_page_timeline(&c) < 0 ||
        rpt_page_oversell(&c) < 0 || rpt_page_latency(&c) < 0 || rpt_page_compare(&c) < 0 ||
        rpt_page_protection(&c) < 0 || rpt_page_metrics(&c) < 0 || rpt_page_check(&c) < 0 ||
        rpt_page_scenario(&c) < 0 || rpt_anim(&c) < 0 || write_pdf_script(&c) < 0 ||
        write_svg_script(&c) < 0 || run_all(&c) < 0 || rpt_html(&c) < 0)
        goto out;
    rc = rpt_stage_commit(&c);
out:
    rpt_stage_abort(&c);
    rpt_ctx_free_pages(&c);
    return rc;
}
