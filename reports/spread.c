/*
 * spread.c: how much each shown metric varied from replication to
 * replication, one panel per metric, one column of marks per variant.
 *
 * A count (an integer metric) is drawn as a jittered strip: one dot per
 * replication, shifted a little at random (a fixed hash of variant and
 * replication, so the picture is the same every time) so that a thousand
 * replications with the same value show as a dense patch, not one dot.  Box
 * plots would spread tied outliers sideways into the next panel.  A time or
 * other real value is a box plot, on a log axis when it spans more than a
 * factor of 20.  The mean is a black diamond in both.  Beyond SPREAD_DRAWN
 * replications a fixed sample of each variant's is drawn, with each
 * metric's highest and lowest; the means, and the boxes (quartiles,
 * median and whisker ends, computed here and drawn as candlesticks), stay
 * over all of them, and the sample gives only the dots beyond the
 * whiskers.
 *
 * Metrics that took one value in every replication of each variant would
 * be flat panels: they are a small table instead, below the panels of the
 * last page (or on a page of their own if it is too big to fit there); when
 * nothing varied at all, the summary's key numbers say it and there is no
 * page.  Left out
 * altogether: shares (the key numbers say them), the oversell role (its own
 * page) and, when the comparison page shows them, the latency quantiles.
 */
#include "reports/pages.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"
#include "reports/words.h"

/* Top of the panels (the page title is above). */
#define TOP 0.92

/* At most about this many replications of a variant are drawn (dots and
 * boxes).  More add nothing a reader can see in a panel a few centimetres
 * wide, while every point costs gnuplot memory and the vector files bytes:
 * 100,000 replications of drop125 drawn whole took gnuplot 800 MB and made
 * a 47 MB SVG, so 10^6 would have taken about 8 GB. */
#define SPREAD_DRAWN 4000

/* One box of the exact box plot of a sampled variant and metric (display
 * units; all NAN when it has no value). */
typedef struct box {
    double q1, q3, med, wlo, whi;
} box;

typedef struct spread {
    size_t *var, nvar; /* varying metrics (indices into the results) */
    size_t *st, nst;   /* steady metrics */
    bool sampled;      /* more replications than SPREAD_DRAWN: a sample drawn */
    box *bx;           /* sampled: the exact box of variant v, metric k at [v * nvar + k] */
} spread;

/* Sorts the shown metrics into varying, steady and left out. */
static void spread_pick(const rpt_ctx *c, spread *s)
{
    const rg_results *r = c->r;
    bool quant_elsewhere =
        rg_results_role(r, RG_ROLE_LAT_P50) >= 0 && rg_results_role(r, RG_ROLE_LAT_P99) >= 0;
    s->var = rg_xcalloc(c->nshow + 1, sizeof *s->var);
    s->st = rg_xcalloc(c->nshow + 1, sizeof *s->st);
    s->nvar = s->nst = 0;
    s->sampled = c->n > SPREAD_DRAWN;
    s->bx = NULL;
    for (size_t k = 0; k < c->nshow; k++) {
        size_t m = c->show[k];
        const rg_metric *me = &r->met[m];
        if ((me->flags & RG_MF_PROB) || (int)m == c->oversell ||
            (quant_elsewhere && rpt_met_is_quantile(me)))
            continue;
        bool any = false;
        for (size_t v = 0; v < r->nvar; v++)
            any = any || rpt_summ(c, v, m)->n > 0;
        if (!any)
            continue;
        if (rpt_met_steady(c, m))
            s->st[s->nst++] = m;
        else
            s->var[s->nvar++] = m;
    }
}

/* splitmix64 of x: the jitter's fixed randomness. */
static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

/* A number in [-1, 1) from (v, i, k). */
static double jit(size_t v, uint64_t i, int k)
{
    uint64_t h = mix(((uint64_t)v << 40) ^ (i << 2) ^ (uint64_t)k);
    return (double)(h >> 11) / 4503599627370496.0 - 1.0;
}

/* Marks in keep[] the replications of variant v that hold the lowest and
 * the highest value (the first such) of each varying metric: a sample
 * must not lose the extremes. */
static void mark_extremes(const rpt_ctx *c, const spread *s, size_t v, bool *keep)
{
    for (size_t k = 0; k < s->nvar; k++) {
        uint64_t lo = UINT64_MAX, hi = UINT64_MAX, gone = 0;
        double vlo = INFINITY, vhi = -INFINITY;
        for (uint64_t i = 0; i < c->n; i++) {
            double x = rg_results_value(c->r, v, i, s->var[k]);
            gone = rg_results_read_past(c->r, v, gone, i, c->n);
            if (x < vlo) {
                vlo = x;
                lo = i;
            }
            if (x > vhi) {
                vhi = x;
                hi = i;
            }
        }
        if (lo != UINT64_MAX)
            keep[lo] = true;
        if (hi != UINT64_MAX)
            keep[hi] = true;
    }
}

/* Whether replication i of variant v is drawn: all of them up to
 * SPREAD_DRAWN; beyond, each with probability SPREAD_DRAWN / n by a fixed
 * hash (the same picture every time, whatever the thread count), and the
 * extremes marked in keep. */
static bool drawn(const rpt_ctx *c, size_t v, uint64_t i, const bool *keep)
{
    if (keep == NULL || keep[i])
        return true;
    return (double)(mix(((uint64_t)v << 40) ^ (i << 2) ^ 3) >> 11) <
           (double)SPREAD_DRAWN / (double)c->n * 9007199254740992.0;
}

/* How far the whiskers reach beyond the box, in box heights: gnuplot's
 * boxplot default, so that sampled and whole boxes mean the same. */
#define WHISKER_RANGE 1.5

/* The exact box of metric m of variant v over all c->n replications with
 * a finite value (what replications.dat gives gnuplot; an infinity, which
 * only a damaged file can hold, is no value there either): x is scratch
 * for c->n values. */
static box box_of(const rpt_ctx *c, size_t v, size_t m, double *x)
{
    double sc = rpt_met_scale(&c->r->met[m]);
    size_t k = 0;
    uint64_t gone = 0;
    for (uint64_t i = 0; i < c->n; i++) {
        double y = rg_results_value(c->r, v, i, m);
        if (isfinite(y * sc))
            x[k++] = y * sc;
        gone = rg_results_read_past(c->r, v, gone, i, c->n);
    }
    box b = {NAN, NAN, NAN, NAN, NAN};
    if (k == 0)
        return b;
    static const double qs[3] = {0.25, 0.5, 0.75};
    rg_select_quantiles(x, k, qs, 3);
    b.q1 = rg_quantile_sorted(x, k, 0.25);
    b.med = rg_quantile_sorted(x, k, 0.5);
    b.q3 = rg_quantile_sorted(x, k, 0.75);
    double reach = WHISKER_RANGE * (b.q3 - b.q1);
    b.wlo = INFINITY;  /* the lowest value within reach of the box */
    b.whi = -INFINITY; /* the highest */
    for (size_t j = 0; j < k; j++) {
        if (x[j] < b.wlo && x[j] >= b.q1 - reach)
            b.wlo = x[j];
        if (x[j] > b.whi && x[j] <= b.q3 + reach)
            b.whi = x[j];
    }
    return b;
}

/* Writes boxes.dat for a sampled report: a row per variant, its index,
 * then for each varying metric its exact box (q1, q3, median, lower and
 * upper whisker end; "NaN" for counts, which have no box).  Fills bx[v *
 * s->nvar + k] with the same. */
static int boxes_write(rpt_ctx *c, const spread *s)
{
    box *bx = s->bx;
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, "boxes.dat");
    if (d == NULL)
        return -1;
    fprintf(d,
            "# variant_index, then for each metric of the spread pages, over all\n"
            "# replications: lower quartile, upper quartile, median, and the whiskers'\n"
            "# ends (the lowest and the highest value within %.1f times the box's\n"
            "# height of it); ms for times; NaN for counts (drawn as dots, no box)\n",
            WHISKER_RANGE);
    double *x = rg_xmalloc((size_t)c->n * sizeof *x);
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(d, "%zu", v);
        for (size_t k = 0; k < s->nvar; k++) {
            box *b = &bx[v * s->nvar + k];
            *b = r->met[s->var[k]].type == RG_MF_INT ? (box){NAN, NAN, NAN, NAN, NAN}
                                                     : box_of(c, v, s->var[k], x);
            double cell[5] = {b->q1, b->q3, b->med, b->wlo, b->whi};
            for (int j = 0; j < 5; j++)
                rg_gnuplot_put_num(d, cell[j]);
        }
        fputc('\n', d);
    }
    free(x);
    return rpt_out_close(c, d, "boxes.dat");
}

/* Writes replications.dat (a block per variant: replication, x jitter, y
 * jitter, then each varying metric in display units; only the drawn
 * replications) and means.dat (variant index, then the mean of each
 * varying metric, over all replications). */
static int spread_write(rpt_ctx *c, const spread *s)
{
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, "replications.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# One block per variant (scenario order): replication, x jitter, y jitter,\n"
               "# then each metric of the spread pages (ms for times)\n");
    if (s->sampled)
        fprintf(d,
                "# A sample: about %d of the %" PRIu64 " replications of each variant, by a\n"
                "# fixed hash, and those with the lowest and the highest value of each metric\n"
                "# (every replication's row: --csv)\n",
                SPREAD_DRAWN, c->n);
    bool *keep = s->sampled ? rg_xmalloc((size_t)c->n * sizeof *keep) : NULL;
    for (size_t v = 0; v < r->nvar; v++) {
        if (v)
            fprintf(d, "\n\n");
        if (keep != NULL) {
            memset(keep, 0, (size_t)c->n * sizeof *keep);
            mark_extremes(c, s, v, keep);
        }
        uint64_t gone = 0;
        for (uint64_t i = 0; i < c->n; i++) {
            if (drawn(c, v, i, keep)) {
                fprintf(d, "%" PRIu64 " %.4f %.4f", i, 0.27 * jit(v, i, 0), 0.16 * jit(v, i, 1));
                for (size_t k = 0; k < s->nvar; k++)
                    rg_gnuplot_put_num(d, rg_results_value(r, v, i, s->var[k]) *
                                              rpt_met_scale(&r->met[s->var[k]]));
                fputc('\n', d);
            }
            gone = rg_results_read_past(r, v, gone, i, c->n);
        }
    }
    free(keep);
    if (rpt_out_close(c, d, "replications.dat") < 0)
        return -1;
    d = rpt_out_open(c, "means.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# variant_index, then the mean of each metric of the spread pages\n");
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(d, "%zu", v);
        for (size_t k = 0; k < s->nvar; k++)
            rg_gnuplot_put_num(d,
                               rpt_summ(c, v, s->var[k])->mean * rpt_met_scale(&r->met[s->var[k]]));
        fputc('\n', d);
    }
    if (rpt_out_close(c, d, "means.dat") < 0)
        return -1;
    return s->bx != NULL ? boxes_write(c, s) : 0;
}

/* The plot elements of the exact box of variant v, varying metric k (a
 * sampled report): box and whiskers from boxes.dat, the median, and the
 * drawn replications beyond the whiskers as dots, as gnuplot's boxplot
 * draws a whole one. */
static void exact_box(FILE *f, const spread *s, size_t v, size_t k)
{
    const box *b = &s->bx[v * s->nvar + k];
    size_t col = 2 + 5 * k; /* q1; then q3, median, whisker ends */
    if (isnan(b->q1))
        return;
    fprintf(f,
            "    \"boxes.dat\" every ::%zu::%zu using ($1+1):%zu:%zu:%zu:%zu with candlesticks "
            "whiskerbars 0.15 lt %zu notitle, \\\n"
            "    \"boxes.dat\" every ::%zu::%zu using ($1+1):%zu:%zu:%zu:%zu with candlesticks "
            "lt -1 notitle, \\\n"
            "    \"replications.dat\" index %zu using (%zu):($%zu < %.10g || $%zu > %.10g ? $%zu : "
            "NaN) with points pt 7 ps 0.8 lc rgb \"#000000\" notitle, \\\n",
            v, v, col, col + 3, col + 4, col + 1, v + 1, v, v, col + 2, col + 2, col + 2, col + 2,
            v, v + 1, 4 + k, b->wlo, 4 + k, b->whi, 4 + k);
}

/* The range of metric m's finite values in display units, over every
 * variant and replication, into *lo and *hi (0 and 1 if it has none): an
 * infinity, which only a damaged file can hold, is no point on the page
 * (gnuplot is given NaN), so it must not set the axis either. */
static void finite_range(const rpt_ctx *c, size_t m, double *lo, double *hi)
{
    double sc = rpt_met_scale(&c->r->met[m]);
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t v = 0; v < c->r->nvar; v++) {
        uint64_t gone = 0;
        for (uint64_t i = 0; i < c->n; i++) {
            double y = rg_results_value(c->r, v, i, m) * sc;
            if (isfinite(y)) {
                *lo = fmin(*lo, y);
                *hi = fmax(*hi, y);
            }
            gone = rg_results_read_past(c->r, v, gone, i, c->n);
        }
    }
    if (*lo > *hi) {
        *lo = 0;
        *hi = 1;
    }
}

/* The panel of varying metric number k (column 4 + k of replications.dat,
 * 2 + k of means.dat). */
static void spread_panel(FILE *f, const rpt_ctx *c, const spread *s, size_t k, size_t width)
{
    const rg_results *r = c->r;
    size_t m = s->var[k];
    const rg_metric *me = &r->met[m];
    char *t = rpt_met_label_unit(c, me);
    char *tt = rg_xasprintf("%s%s", t, (me->flags & RG_MF_MS) ? " (ms)" : "");
    fprintf(f, "set title ");
    rg_gnuplot_put_wrapped(f, tt, width, 2);
    fprintf(f, " font \",12\" noenhanced\n");
    free(tt);
    free(t);
    double sc = rpt_met_scale(me), lo = INFINITY, hi = -INFINITY;
    for (size_t v = 0; v < r->nvar; v++) {
        const rg_summary *su = rpt_summ(c, v, m);
        if (su->n == 0)
            continue;
        lo = fmin(lo, su->min * sc);
        hi = fmax(hi, su->max * sc);
    }
    if (!isfinite(lo) || !isfinite(hi))
        finite_range(c, m, &lo, &hi);
    bool count = me->type == RG_MF_INT;
    bool logy = !count && lo > 0 && hi / lo > 20;
    if (logy) {
        fprintf(f, "set logscale y 10\n");
        rpt_log_tics(f, "y", lo / 1.3, hi * 1.3, (me->flags & RG_MF_MS) != 0);
        fprintf(f, "set yrange [%.10g:%.10g]\n", lo / 1.3, hi * 1.3);
    } else {
        double pad = count && hi - lo <= 40 ? 0.7 : (hi - lo) * 0.08;
        fprintf(f, "unset logscale y\nset ytics autofreq\nset yrange [%.10g:%.10g]\n", lo - pad,
                hi + pad);
    }
    /* integers in a small range: y jitter inside the value's own band */
    const char *yj = count && hi - lo <= 40 ? "+$3" : "";
    fprintf(f, "plot \\\n");
    for (size_t v = 0; v < r->nvar; v++) {
        if (rpt_summ(c, v, m)->n == 0)
            continue; /* no value at all (a guardrail that never tripped) */
        if (count)
            fprintf(f,
                    "    \"replications.dat\" index %zu using (%zu+$2):($%zu%s) with points "
                    "pt 7 ps 0.45 lc rgb \"#A0%s\" notitle, \\\n",
                    v, v + 1, 4 + k, yj, rpt_color(v) + 1);
        else if (s->bx == NULL)
            fprintf(f,
                    "    \"replications.dat\" index %zu using (%zu):%zu with boxplot lt %zu "
                    "notitle, \\\n",
                    v, v + 1, 4 + k, v + 1);
        else
            exact_box(f, s, v, k);
    }
    fprintf(f,
            "    \"means.dat\" using ($1+1):%zu with points pt 13 ps 1.8 lc rgb \"#000000\" "
            "notitle\n"
            "unset logscale y\n",
            2 + k);
}

/* The table of steady metrics from y down: label, then the value of each
 * of the first six variants. */
static void steady_table(FILE *f, const rpt_ctx *c, const spread *s, double y)
{
    const double lh = 10.5 * RPT_LINE_PITCH / RPT_PAGE_H_PX, xt = 0.42;
    size_t nv = c->r->nvar < 6 ? c->r->nvar : 6;
    double colw = (0.98 - xt) / (double)(nv ? nv : 1);
    char *cap = rg_xasprintf("The same in every %s (nothing to plot):", rpt_rep_word(c, false));
    rg_gnuplot_label(f, cap, 0.04, y, "left font \",12\"");
    free(cap);
    for (size_t v = 0; v < nv; v++)
        rg_gnuplot_label_lines(f, c->r->varnames[v], (size_t)(colw * 150), 1,
                               xt + colw * ((double)v + 0.5), y, lh,
                               "center font \"sans:Bold,10.5\"");
    y -= 1.4 * lh;
    for (size_t k = 0; k < s->nst; k++, y -= lh) {
        if (k % 2 == 0)
            fprintf(f,
                    "set object rect from screen 0.035,%.4f to screen 0.98,%.4f fc rgb "
                    "\"#eef2f6\" fs solid noborder behind\n",
                    y - 0.5 * lh, y + 0.5 * lh);
        char *l = rpt_met_label_unit(c, &c->r->met[s->st[k]]);
        char *t = rg_gnuplot_cut(l, 60);
        rg_gnuplot_label(f, t, 0.04, y, "left font \",10.5\"");
        free(t);
        free(l);
        for (size_t v = 0; v < nv; v++) {
            char *cell = rpt_cell(c, v, s->st[k], false);
            rg_gnuplot_label(f, cell, xt + colw * ((double)v + 0.5), y, "center font \",10.5\"");
            free(cell);
        }
    }
}

/* Height the steady table takes. */
static double steady_height(const spread *s)
{
    return ((double)s->nst + 2.6) * 10.5 * RPT_LINE_PITCH / RPT_PAGE_H_PX;
}

/* Draws the labels set so far on an empty full-page plot (they would
 * otherwise repeat on every panel). */
static void labels_only(FILE *f)
{
    fprintf(f, "set origin 0,0\nset size 1,1\nunset title\nunset xlabel\nunset ylabel\n"
               "unset border\nunset tics\nunset key\nunset grid\nset margins 0,0,0,0\n"
               "set xrange [0:1]\nset yrange [0:1]\nplot -1 notitle\n");
}

/* One page: the panels of varying metrics first..first+np-1, and the
 * steady table below them if `table`. */
static int spread_page(rpt_ctx *c, const spread *s, const char *base, size_t first, size_t np,
                       size_t maxcols, bool table)
{
    FILE *f =
        rpt_page_open(c, base, "how much each number varied from one replication to the next");
    if (f == NULL)
        return -1;
    char n[32];
    bool counts = false, reals = false;
    for (size_t i = first; i < first + np; i++) {
        counts = counts || c->r->met[s->var[i]].type == RG_MF_INT;
        reals = reals || c->r->met[s->var[i]].type != RG_MF_INT;
    }
    if (np == 0)
        fprintf(f, "set multiplot title \"Numbers that were the same in every %s\" font \",13\"\n",
                rpt_rep_word(c, false));
    else {
        fprintf(f, "set multiplot title \"Spread over the %s %s: %s%s%sdiamond: the mean",
                rpt_fmt(n, sizeof n, (double)c->n, 6), rpt_rep_word(c, c->n != 1),
                counts ? "a dot per " : "", counts ? rpt_rep_word(c, false) : "",
                counts && reals ? "; boxes: middle half and median; "
                : counts        ? " (shifted a little so equal values make a patch); "
                : reals         ? "boxes: middle half, line: median, dots: far out; "
                                : "");
        if (s->sampled) {
            char d[32];
            fprintf(f,
                    "\\ndrawn: about %s %s of each variant (a fixed choice, extremes kept); "
                    "the means%s are over all %s",
                    rpt_fmt(d, sizeof d, SPREAD_DRAWN, 6), rpt_rep_word(c, true),
                    reals ? " and the boxes" : "", n);
        }
        fprintf(f, "\" font \",13\"\n");
    }
    fprintf(f, "set style boxplot outliers pointtype 7\n"
               "set boxwidth 0.5 absolute\n"
               "set style fill solid 0.35 border -1\n"
               "set pointsize 0.4\n"
               "set grid noxtics ytics\n"
               "unset key\n");
    double ybot = table ? steady_height(s) + 0.02 : 0.0;
    if (np > 0) {
        size_t rows = np <= maxcols ? 1 : 2, cols = (np + rows - 1) / rows;
        double w = 1.0 / (double)cols, h = (TOP - ybot) / (double)rows;
        size_t width = 130 / cols;
        fprintf(f, "set tmargin 3.2\n");
        rpt_variant_tics(f, c, w);
        for (size_t i = 0; i < np; i++) {
            size_t row = i / cols, col = i % cols;
            fprintf(f, "set origin %.4f,%.4f\nset size %.4f,%.4f\n", w * (double)col,
                    ybot + h * (double)(rows - 1 - row), w, h);
            spread_panel(f, c, s, first + i, width);
        }
    }
    if (table) {
        steady_table(f, c, s, ybot - 0.03 > 0.0 && np > 0 ? ybot - 0.03 : TOP - 0.03);
        labels_only(f);
    }
    fprintf(f, "unset multiplot\n");
    return rpt_page_close(c, f);
}

int rpt_page_metrics(rpt_ctx *c)
{
    if (c->nshow == 0 || c->n == 0 || c->r->nvar == 0)
        return 0;
    spread s;
    spread_pick(c, &s);
    bool reals = false; /* drawn as boxes */
    for (size_t k = 0; k < s.nvar; k++)
        reals = reals || c->r->met[s.var[k]].type != RG_MF_INT;
    if (s.sampled && reals)
        s.bx = rg_xcalloc(c->r->nvar * s.nvar, sizeof *s.bx);
    int rc = 0;
    if (s.nvar + s.nst > 0)
        rc = spread_write(c, &s);
    /* Fewer, wider panels per row when there are many variants to name. */
    size_t nv = c->r->nvar, maxcols = nv <= 3 ? 3 : nv <= 5 ? 2 : 1, per_page = 2 * maxcols;
    size_t npg = (s.nvar + per_page - 1) / per_page;
    size_t last = s.nvar - (npg ? (npg - 1) * per_page : 0);
    /* a small table fits under the panels of the last page; a big one has
     * a page of its own */
    bool table_here = s.nst > 0 && npg > 0 && steady_height(&s) < (last <= maxcols ? 0.45 : 0.3);
    for (size_t pg = 0; rc == 0 && pg < npg; pg++) {
        char *base = npg > 1 ? rg_xasprintf("plot-distributions-%zu", pg + 1)
                             : rg_xstrdup("plot-distributions");
        size_t np = pg + 1 < npg ? per_page : last;
        rc = spread_page(c, &s, base, pg * per_page, np, maxcols, pg + 1 == npg && table_here);
        free(base);
    }
    /* without a single panel the key numbers say it all: no page */
    if (rc == 0 && s.nst > 0 && npg > 0 && !table_here)
        rc = spread_page(c, &s, "plot-steady", 0, 0, maxcols, true);
    free(s.bx);
    free(s.var);
    free(s.st);
    return rc;
}
