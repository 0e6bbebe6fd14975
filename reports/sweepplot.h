/*
 * sweepplot.h: what the sweep report (sweeprep.c) and its plot pages
 * (sweepplot.c) share: the sweep's axes as worked out from its points, the
 * context of one report, and the page writers.  Not a public API: the public
 * API is sweeprep.h.
 *
 * Axes.  A sweep file keeps each point's values but not which variables
 * step together, so the axes are read off the points: two variables share
 * an axis (lockstep) when two points agree on one exactly when they agree
 * on the other.  An axis has n distinct values, its positions 0..n-1, in
 * increasing order of value (in order of first appearance for text).  On a
 * numeric axis a plot's x is the value in the axis's display unit; on a
 * text axis (a value that is not a quantity) it is the position, the texts
 * being the tic labels.  Heatmaps use positions on both axes, labelled with
 * the values: a log range's values are evenly spaced in position as on a
 * log axis.
 *
 * Ownership: one swp_ctx lives for one rg_report_sweep call; it borrows the
 * sweep, the metadata, the directory and the error value (through its
 * rpt_ctx, whose pages list it owns) and owns its axes and lists.
 */
#ifndef RG_SWEEPPLOT_H
#define RG_SWEEPPLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reports/rptout.h"
#include "sim/run/sweep.h"

/* What an axis's values are, from the unit their texts carry. */
typedef enum { SWP_PLAIN, SWP_DURATION, SWP_PERCENT } swp_kind;

typedef struct swp_axis {
    size_t *vars; /* the variables on it, the one that names it first */
    size_t nvars;
    size_t n;      /* distinct values */
    size_t *at;    /* per point: its position */
    size_t *first; /* per position: the first point there */
    double *si;    /* per position: the value in SI base units, NaN for text */
    bool text;     /* some value is not a quantity: x is the position */
    bool log;      /* a log range with positive values: a log axis */
    swp_kind kind;
    double scale;     /* display unit per SI unit (linear numeric axes) */
    const char *unit; /* the display unit ("" for none), for the label */
} swp_axis;

/* One plot page: metric `met`, and for heatmaps the variants v0..v0+nv-1. */
typedef struct swp_page {
    size_t met;
    size_t v0, nv;
    char *base; /* file base name: plot-<base>.gp, <base>.dat */
} swp_page;

typedef struct swp_ctx {
    rpt_ctx c; /* dir, metadata, pages, error; c.r is point 0's results */
    const rg_sweep *sw;
    swp_axis *ax;
    size_t nax;
    uint64_t nmin, nmax; /* replications done per point: fewest and most */
    swp_page *pg;        /* the plot pages, in order */
    size_t npg;
} swp_ctx;

/* The summary of metric m of variant v at point k. */
/* sweepctx.c: the axes of s->sw (s->ax, s->nax); how many are plotted;
 * the text of variable v at point k. */
void swp_make_axes(swp_ctx *s);
size_t swp_plotted_axes(const swp_ctx *s);
const char *swp_text_of(const rg_sweep *sw, size_t k, size_t v);
const rg_summary *swp_summ(const swp_ctx *s, size_t k, size_t v, size_t m);

/* Value si of axis a for people ("711 ms", "50.6 s", "5 %"), or the text of
 * point k's value of the axis's variable on a text axis.  New string. */
char *swp_fmt_value(const swp_ctx *s, const swp_axis *a, size_t pos);

/* The axis label: its variable, "log scale" for a log range, the display
 * unit when the tics are bare numbers (not `positions`: tics that name the
 * values with their units), and those in step with it.  New string (any
 * text: write it escaped). */
char *swp_axis_label(const swp_ctx *s, const swp_axis *a, bool positions);

/* The page's title for people ("Units oversold (units) against window").
 * New string (any text). */
char *swp_page_title(const swp_ctx *s, const swp_page *p);

/* Writes the page p of a one-axis sweep: the metric's mean against the
 * axis, a CI band and a zero marker per variant.  0, or -1 with e set. */
int swp_page_lines(swp_ctx *s, const swp_page *p);

/* Writes the page p of a sweep of two axes or more: a heatmap per variant
 * over the first two axes (the others at position 0).  0, or -1. */
int swp_page_heat(swp_ctx *s, const swp_page *p);

#endif
