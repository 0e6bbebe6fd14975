/*
 * rptout.h: what every page of the report shares, below both report.c (the
 * report as a whole and its summary page) and pages.c (the plot pages): the
 * context of one report, the output files, the page head with its terminal
 * and palette, and how a metric is titled and scaled for display.  Not a
 * public API: only the report writer includes it; the public API is
 * report.h.
 *
 * Ownership: one rpt_ctx lives for one rg_report_make_from call; it borrows
 * the results, the metadata, the directory name and the error value, and
 * owns show and pages.  A page writer writes its data file(s) and its
 * script <base>.gp into c->dir and registers <base> (rpt_page_open) so that
 * report.gp loads it and gnuplot draws <base>.png; a page whose data are
 * missing writes nothing and returns 0.  Every writer returns 0, or -1 with
 * c->e set (RG_ERR_IO).
 *
 * Safety: strings from the results (scenario, variant and metric texts) go
 * into scripts only through the rg_gnuplot_* writers (gnuplot.h), which
 * escape them, and never into comments or data files.
 */
#ifndef RG_RPTOUT_H
#define RG_RPTOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/run/results.h"
#include "sim/engine/stats.h"
#include "sim/engine/util.h"

/* Page geometry.  The PDF page has the PNG's aspect ratio and a fontscale
 * that makes text take the same share of a page in both (measured), so the
 * layout computed for the PNG fits both.  In the PNG a character of 11 pt
 * sans is about 8 px wide, one of 9 pt monospace about 7 px. */
#define RPT_PNG_TERM "pngcairo size 1200,750 font \"sans,11\" noenhanced"
#define RPT_PDF_TERM "pdfcairo size 11in,6.875in font \"sans,11\" fontscale 0.66 noenhanced"
/* cairo's points are 4/3 of SVG's pixels: fontscale 1.33 gives the SVG the
 * PNG's text sizes, so one layout fits all three. */
#define RPT_SVG_TERM "svg size 1200,750 dynamic font \"sans-serif,11\" fontscale 1.33 noenhanced"
#define RPT_PAGE_H_PX 750.0
#define RPT_LINE_PITCH 1.7 /* line spacing / font size */

typedef struct rpt_ctx {
    const rg_results *r;
    const rg_meta *m;
    const char *dir;    /* where files are written: the staging directory */
    const char *outdir; /* the directory the user named (borrowed) */
    char *stage;        /* the staging directory inside outdir (owned), or NULL */
    uint64_t n;         /* completed replications */
    size_t *show;       /* indices of the shown metrics */
    size_t nshow;
    int oversell;      /* index of the metric in the oversell role, or -1 */
    const char *extra; /* what the model's report_extra wrote, or NULL */
    char **pages;      /* page base names, in page order */
    char **titles;     /* page headings (our own words), same order */
    bool *text;        /* whether a page is text only (no SVG for the HTML) */
    bool anim;         /* live.gp written: gnuplot makes live.gif */
    size_t npages;
    rg_err *e;
} rpt_ctx;

/* The summary of metric m of variant v over the completed replications. */
static inline const rg_summary *rpt_summ(const rpt_ctx *c, size_t v, size_t m)
{
    return rg_results_summary(c->r, v, m);
}

/* The plot colour of variant v ("#rrggbb"): linetype v + 1 of every page. */
const char *rpt_color(size_t v);

/* The factor from a metric's unit to the one it is shown in (ms for times,
 * % for probabilities). */
double rpt_met_scale(const rg_metric *m);

/* A readable title for a metric: its description (or name), capitalised,
 * with the unit it is shown in in parentheses.  New string. */
char *rpt_met_title(const rg_metric *m);

/* Writes `set <axis>tics (...)` for a log axis of milliseconds from lo to hi
 * (> 0): 1-2-5 steps labelled "1 ms", "20 ms", "1 s", fewer steps when the
 * range spans many decades.  axis is "x" or "y". */
void rpt_log_ms_tics(FILE *f, const char *axis, double lo, double hi);

/* The same for plain numbers (ms false) or milliseconds (ms true). */
void rpt_log_tics(FILE *f, const char *axis, double lo, double hi, bool ms);

/* Writes `set xtics ("a" 1, "b" 2, ...)` naming the variants at x = 1..nvar
 * in a panel `panel_frac` of the page wide, names wrapped onto up to three
 * lines, with the bottom margin and the x range to match. */
void rpt_variant_tics(FILE *f, const rpt_ctx *c, double panel_frac);

/* Creates file `name` in c->dir for writing; NULL with c->e set on error. */
FILE *rpt_out_open(rpt_ctx *c, const char *name);

/* Closes f (file `name` of c->dir), reporting any write error. */
int rpt_out_close(rpt_ctx *c, FILE *f, const char *name);

/* rg_report_dir_check (report.h). */
int rpt_dir_check(const char *dir, bool sweep, rg_err *e);

/* A report is written whole or not at all.  rpt_stage_open creates a
 * private staging directory inside outdir (mkdtemp) and points c->dir at
 * it: every file, ours and gnuplot's, is created there (exclusively, never
 * through a link).  rpt_stage_commit checks that every picture is whole
 * (a full disk or `ulimit -f` cuts them short), refuses if a name in
 * outdir is a symbolic link, a directory or another non-regular file,
 * removes the files that the previous report there listed in its
 * manifest (.revguard-report; for an older report whose report.gp is
 * ours, the files named as a report names them) and this one does not
 * write, then renames
 * every file into outdir with a new manifest.  rpt_stage_abort removes
 * the staging directory, keeping only gnuplot.log (the reason a report
 * failed).  Both return c->dir to outdir.  0, or -1 with c->e set.
 * rpt_stage_open first checks the names every report of the kind writes
 * (rpt_dir_check; `sweep`: a sweep's report), so that a file of the
 * user's own there is refused before gnuplot runs, whose log would
 * otherwise have no place if it failed. */
int rpt_stage_open(rpt_ctx *c, const char *outdir, bool sweep);
int rpt_stage_commit(rpt_ctx *c);
void rpt_stage_abort(rpt_ctx *c);

/* The dash type of variant v's lines: colour is never the only cue. */
int rpt_dash(size_t v);

/* Opens page script <base>.gp, registers the page, and writes the common
 * head (PNG terminal unless report.gp or report-svg.gp loads it, palette,
 * styles).  `what` describes the page in a comment and is its heading in
 * report.html: our own text, never user input. */
/* Frees the page list (names, titles, text flags, shown metrics) of c. */
void rpt_ctx_free_pages(rpt_ctx *c);
FILE *rpt_page_open(rpt_ctx *c, const char *base, const char *what);

/* Marks the page registered last as text only: report.html writes its
 * content as HTML instead of embedding a picture of it. */
void rpt_page_is_text(rpt_ctx *c);

/* Closes the script of the page registered last. */
int rpt_page_close(rpt_ctx *c, FILE *f);

#endif
