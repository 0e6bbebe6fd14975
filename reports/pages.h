/*
 * pages.h: the report writer's internals, shared by report.c (the report
 * as a whole: context, output files, page heads, summary.csv, the summary
 * page, report.gp, running gnuplot) and pages.c (the plot pages).  Not a
 * public API: only those two files include it; the public API is report.h.
 *
 * Ownership: one rpt_ctx lives for one rg_report_make_from call; it borrows
 * the results, the metadata, the directory name and the error value, and
 * owns sum, show and pages.  A page writer writes its data file(s) and its
 * script <base>.gp into c->dir and registers <base> (rpt_page_open) so that
 * report.gp loads it and gnuplot draws <base>.png; a page whose data are
 * missing writes nothing and returns 0.  Every writer returns 0, or -1 with
 * c->e set (RG_ERR_IO).
 *
 * Safety: strings from the results (scenario, variant and metric texts) go
 * into scripts only through the rg_gnuplot_* writers (gnuplot.h), which
 * escape them, and never into comments or data files.
 */
#ifndef RG_PAGES_H
#define RG_PAGES_H

#include <stdint.h>
#include <stdio.h>

#include "reports/report.h"
#include "sim/engine/stats.h"

typedef struct rpt_ctx {
    const rg_results *r;
    const rg_meta *m;
    const char *dir;
    uint64_t n;   /* completed replications */
    size_t *show; /* indices of the shown metrics */
    size_t nshow;
    int oversell; /* metric index or -1 */
    char **pages; /* page base names, in page order */
    size_t npages;
    rg_err *e;
} rpt_ctx;

/* The summary of metric m of variant v over the completed replications. */
static inline const rg_summary *rpt_summ(const rpt_ctx *c, size_t v, size_t m)
{
    return rg_results_summary(c->r, v, m);
}

/* ---- report.c ----------------------------------------------------------- */

/* The factor from a metric's unit to the one it is shown in (ms for times,
 * % for probabilities). */
double rpt_met_scale(const rg_metric *m);

/* A readable title for a metric: its description (or name), capitalised,
 * with the unit it is shown in in parentheses.  New string. */
char *rpt_met_title(const rg_metric *m);

/* Creates file `name` in c->dir for writing; NULL with c->e set on error. */
FILE *rpt_out_open(rpt_ctx *c, const char *name);

/* Closes f (file `name` of c->dir), reporting any write error. */
int rpt_out_close(rpt_ctx *c, FILE *f, const char *name);

/* Opens page script <base>.gp, registers the page, and writes the common
 * head (PNG terminal unless report.gp loads it, palette, styles).  `what`
 * describes the page in a comment: our own text, never user input. */
FILE *rpt_page_open(rpt_ctx *c, const char *base, const char *what);

/* Closes the script of the page registered last. */
int rpt_page_close(rpt_ctx *c, FILE *f);

/* ---- pages.c: the plot pages, in page order ----------------------------- */

/* Units allocated over time in replication 0 (timeline.dat). */
int rpt_page_timeline(rpt_ctx *c);

/* Units oversold per replication, per variant (oversell.dat). */
int rpt_page_oversell(rpt_ctx *c);

/* Request latency CDF per variant from the histograms (latency.dat). */
int rpt_page_latency(rpt_ctx *c);

/* Latency and oversell side by side (compare.dat). */
int rpt_page_compare(rpt_ctx *c);
/* Units won by humans vs bots and cost per variant (drop with protections). */
int rpt_page_protection(rpt_ctx *c);

/* Mean bars (models without an oversell metric) and distributions of the
 * shown metrics (means.dat, replications.dat). */
int rpt_page_metrics(rpt_ctx *c);

#endif
