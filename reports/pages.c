/*
 * pages.c: the plot pages of the report (report.c writes the summary page
 * and calls these after it; what every page shares is in rptout.c).
 * In page order: the allocation timeline of replication 0, the oversell
 * histogram, the latency CDF, latency and oversell side by side, then one
 * or more pages of per-metric panels (mean bars, distributions).
 *
 * Each page writer computes its layout from the data (ranges, panels per
 * row, room for wrapped variant names), writes its data file(s) with numbers
 * only, then its script through rpt_page_open, which registers the page.  A
 * page without data writes nothing.  Variant, metric and scenario texts reach
 * a script only through the rg_gnuplot_* writers, escaped.
 */
#include "reports/pages.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"
#include "reports/rptout.h"

/* 95 % CI bars: plot style for using x:(mean-ci):(0):(2*ci).  Vectors, because
 * gnuplot 5.4 leaves a gap in the middle of error bars. */
#define CI_BARS "with vectors heads size screen 0.008,90 lc rgb \"#000000\" lw 1 notitle"

/* ---- numbers and axes --------------------------------------------------- */

/* A number for people: 3 significant digits, no exponent up to 10^15.
 * Returns buf. */
static const char *fmt_num(char *buf, size_t n, double x)
{
    snprintf(buf, n, fabs(x) >= 1000 && fabs(x) < 1e15 ? "%.0f" : "%.3g", x);
    return buf;
}

/* A CI half-width to plot: 0 where it is undefined (fewer than two values). */
static double ci_or_zero(double ci)
{
    return isfinite(ci) ? ci : 0.0;
}

/* Writes `set xtics ("a" 1, "b" 2, ...)` naming the variants at x = 1..nvar
 * in a panel `panel_frac` of the page wide.  Names too long for their slot
 * are wrapped onto up to three lines (a character of 11 pt is about 8 px of
 * the 1200; axis margins take ~90 px), and the bottom margin is made room
 * for them: multiplot does not do that by itself. */
static void put_variant_tics(FILE *f, const rpt_ctx *c, double panel_frac)
{
    int lines = 1;
    double slot = (1200.0 * panel_frac - 90.0) / (double)(c->r->nvar ? c->r->nvar : 1);
    size_t fit = (size_t)(0.9 * slot / 8.0);
    fprintf(f, "set xtics (");
    for (size_t v = 0; v < c->r->nvar; v++) {
        fprintf(f, "%s", v ? ", " : "");
        int n = rg_gnuplot_put_wrapped(f, c->r->varnames[v], fit < 6 ? 6 : fit, 3);
        lines = n > lines ? n : lines;
        fprintf(f, " %zu", v + 1);
    }
    fprintf(f, ") noenhanced\nset bmargin %d\n", lines + 1);
    fprintf(f, "set xrange [0.4:%zu.6]\n", c->r->nvar);
}

/* ---- page: allocation timeline ------------------------------------------ */

int rpt_page_timeline(rpt_ctx *c)
{
    const rg_results *r = c->r;
    double tmax = 0, amax = 0;
    size_t have = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        if (r->ntl[v] == 0)
            continue;
        have++;
        for (size_t i = 0; i < r->ntl[v]; i++) {
            tmax = fmax(tmax, r->tl[v][i].t);
            amax = fmax(amax, (double)r->tl[v][i].a);
        }
    }
    if (have == 0)
        return 0;
    /* The line at the stock, if a metric has that role (replication 0 of
     * the first variant); its legend uses the metric's own description. */
    int ks = rg_results_role(r, RG_ROLE_STOCK);
    double stock = ks >= 0 && c->n > 0 ? rg_results_value(r, 0, 0, (size_t)ks) : NAN;

    FILE *d = rpt_out_open(c, "timeline.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# Allocation timeline of replication 0, one block per variant with data\n"
               "# (blocks in the order of the plot script).\n"
               "# time_ms allocated rejected\n");
    size_t blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        if (r->ntl[v] == 0)
            continue;
        if (blk++)
            fprintf(d, "\n\n");
        const rg_tlpoint *p = r->tl[v];
        size_t n = r->ntl[v];
        /* Counters are zero at the drop; the last value holds to the end. */
        if (p[0].t > 0)
            fprintf(d, "0 0 0\n");
        for (size_t i = 0; i < n; i++)
            fprintf(d, "%.10g %" PRId64 " %" PRId64 "\n", p[i].t * 1e3, p[i].a, p[i].b);
        if (p[n - 1].t < tmax)
            fprintf(d, "%.10g %" PRId64 " %" PRId64 "\n", tmax * 1e3, p[n - 1].a, p[n - 1].b);
    }
    if (rpt_out_close(c, d, "timeline.dat") < 0)
        return -1;

    FILE *f = rpt_page_open(c, "plot-timeline", "units allocated over time in replication 0");
    if (f == NULL)
        return -1;
    double ymax = fmax(amax, isfinite(stock) ? stock : 0) * 1.1;
    fprintf(f,
            "set title \"Units allocated over time (replication 0)\" font \",15\"\n"
            "set xlabel \"time since the drop (ms)\"\n"
            "set ylabel \"units allocated\"\n"
            "set key bottom right box opaque\n"
            "set xrange [0:%.10g]\n"
            "set yrange [0:%.10g]\n",
            tmax > 0 ? tmax * 1e3 : 1.0, ymax > 0 ? ymax : 1.0);
    if (isfinite(stock))
        fprintf(f, "stock = %.10g\n", stock);
    fprintf(f, "plot \\\n");
    blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        if (r->ntl[v] == 0)
            continue;
        fprintf(f, "%s    \"timeline.dat\" index %zu using 1:2 with steps lt %zu title ",
                blk ? ", \\\n" : "", blk, v + 1);
        rg_gnuplot_put_str(f, r->varnames[v]);
        blk++;
    }
    if (isfinite(stock)) {
        const rg_metric *sm = &r->met[ks];
        char *t = rg_xasprintf("%s: %.10g %s", sm->desc && sm->desc[0] ? sm->desc : sm->name, stock,
                               sm->unit && strcmp(sm->unit, "1") ? sm->unit : "");
        if (t[0] >= 'a' && t[0] <= 'z')
            t[0] = (char)(t[0] - 'a' + 'A');
        fprintf(f, ", \\\n    stock with lines dt 2 lw 2 lc rgb \"#444444\" title ");
        rg_gnuplot_put_str(f, t);
        free(t);
    }
    fprintf(f, "\n");
    return rpt_page_close(c, f);
}

/* ---- page: oversell histogram ------------------------------------------- */

/* Replications of one variant by value bins: bin b holds the replications
 * whose value, rounded down, is in [lo + b * bw, lo + (b + 1) * bw). */
typedef struct bins {
    double lo, bw;
    size_t nb;
    uint64_t *cnt, cmax;
} bins;

static void bins_fill(bins *h, const rpt_ctx *c, size_t v, size_t m, double lo, double hi,
                      size_t maxb)
{
    h->lo = lo;
    h->bw = fmax(1.0, ceil((hi - lo + 1) / (double)maxb));
    h->nb = (size_t)((hi - lo) / h->bw) + 1;
    h->cnt = rg_xcalloc(h->nb, sizeof *h->cnt);
    h->cmax = 1;
    for (uint64_t i = 0; i < c->n; i++) {
        double x = floor(rg_results_value(c->r, v, i, m));
        if (!isfinite(x))
            continue;
        size_t b = (size_t)((x - lo) / h->bw);
        b = b < h->nb ? b : h->nb - 1;
        if (++h->cnt[b] > h->cmax)
            h->cmax = h->cnt[b];
    }
}

/* Centre of bin b. */
static double bins_x(const bins *h, size_t b)
{
    return h->lo + ((double)b + 0.5) * h->bw - 0.5;
}

/* The oversell histograms of every variant.  When all values lie within 60
 * units, one chart on the shared range [lo, hi] with the variants' bars side
 * by side per value; otherwise one panel per variant with its own range, as
 * a shared axis would squeeze every bar. */
typedef struct ohist {
    size_t m, nv;  /* the oversell metric; variants */
    bool shared;   /* one chart on [lo, hi], else a panel per variant */
    double lo, hi; /* range of the values, rounded down, of all variants */
    uint64_t cmax; /* highest count of any bin */
    bins *h;       /* per variant */
} ohist;

/* Bins the values of metric m of every variant into o; false, with
 * nothing allocated, if no value is finite. */
static bool ohist_fill(ohist *o, const rpt_ctx *c, size_t m)
{
    o->m = m;
    o->nv = c->r->nvar;
    o->lo = INFINITY;
    o->hi = -INFINITY;
    for (size_t v = 0; v < o->nv; v++) {
        o->lo = fmin(o->lo, floor(rpt_summ(c, v, m)->min));
        o->hi = fmax(o->hi, floor(rpt_summ(c, v, m)->max));
    }
    if (!isfinite(o->lo) || !isfinite(o->hi))
        return false;
    o->shared = o->hi - o->lo < 60;
    o->h = rg_xcalloc(o->nv, sizeof *o->h);
    o->cmax = 1;
    for (size_t v = 0; v < o->nv; v++) {
        const rg_summary *s = rpt_summ(c, v, m);
        if (o->shared)
            bins_fill(&o->h[v], c, v, m, o->lo, o->hi, 60);
        else
            bins_fill(&o->h[v], c, v, m, floor(s->min), floor(s->max), 40);
        o->cmax = o->h[v].cmax > o->cmax ? o->h[v].cmax : o->cmax;
    }
    return true;
}

static void ohist_free(ohist *o)
{
    for (size_t v = 0; v < o->nv; v++)
        free(o->h[v].cnt);
    free(o->h);
}

/* Writes oversell.dat: one table with a count column per variant (shared),
 * else one block per variant. */
static int ohist_write(rpt_ctx *c, const ohist *o)
{
    FILE *d = rpt_out_open(c, "oversell.dat");
    if (d == NULL)
        return -1;
    if (o->shared) {
        fprintf(d, "# Replications by units oversold: value, then one count per variant\n"
                   "# (in scenario order).\n");
        for (size_t b = 0; b < o->h[0].nb; b++) {
            fprintf(d, "%.10g", bins_x(&o->h[0], b));
            for (size_t v = 0; v < o->nv; v++)
                fprintf(d, " %" PRIu64, o->h[v].cnt[b]);
            fputc('\n', d);
        }
    } else {
        fprintf(d, "# Replications by units oversold, one block per variant (scenario order):\n"
                   "# bin centre, count.\n");
        for (size_t v = 0; v < o->nv; v++) {
            fprintf(d, "%s", v ? "\n\n" : "");
            for (size_t b = 0; b < o->h[v].nb; b++)
                fprintf(d, "%.10g %" PRIu64 "\n", bins_x(&o->h[v], b), o->h[v].cnt[b]);
        }
    }
    return rpt_out_close(c, d, "oversell.dat");
}

/* The page's title and axes: of the one shared chart, or the layout of the
 * panels. */
static void ohist_head(FILE *f, const rpt_ctx *c, const ohist *o)
{
    fprintf(f, "set style fill solid 0.85 border lc rgb \"#333333\"\n"
               "set grid noxtics ytics\n"
               "set ylabel \"replications\"\n");
    if (o->shared) {
        double w = 0.8 / (double)o->nv;
        fprintf(f,
                "set title \"Units oversold per replication (%" PRIu64
                " replications per variant)\" font \",15\"\n"
                "set xlabel \"units oversold\"\n"
                "set key top right box opaque\n"
                "set boxwidth %.10g absolute\n"
                "set xrange [%.10g:%.10g]\n"
                "set yrange [0:%.10g]\n%s"
                "plot \\\n",
                c->n, w, o->lo - 0.5, o->hi + 0.5, ceil((double)o->cmax * 1.25),
                o->hi - o->lo <= 30 ? "set xtics 1\n" : "");
    } else {
        size_t nv = o->nv;
        int rows = nv <= 4 ? (int)nv : (int)((nv + 1) / 2), cols = nv <= 4 ? 1 : 2;
        fprintf(f,
                "set multiplot layout %d,%d title \"Units oversold per replication (%" PRIu64
                " replications per variant; each panel has its own scale)\" font \",15\"\n"
                "unset key\n",
                rows, cols, c->n);
    }
}

/* What variant v oversold, for its legend entry or panel title: how often
 * and how much on average.  New string. */
static char *ohist_caption(const rpt_ctx *c, const ohist *o, size_t v)
{
    double pos = 0;
    for (uint64_t i = 0; i < c->n; i++)
        pos += rg_results_value(c->r, v, i, o->m) > 0;
    char mean[32];
    return rg_xasprintf("%s: oversold in %.3g %% of replications, mean %s units", c->r->varnames[v],
                        100.0 * pos / (double)c->n,
                        fmt_num(mean, sizeof mean, rpt_summ(c, v, o->m)->mean));
}

/* The panel of variant v on its own range, titled `title`: at least 5 bins
 * wide, so a lone bar does not fill the panel, and no negative axis for
 * counts that cannot be negative. */
static void ohist_panel(FILE *f, const ohist *o, size_t v, const char *title)
{
    const bins *h = &o->h[v];
    double pad = h->nb < 5 ? (double)(5 - h->nb) * h->bw / 2 : 0;
    double x0 = h->lo - 0.5 - pad, x1 = bins_x(h, h->nb - 1) + 0.5 * h->bw + pad;
    if (h->lo >= 0 && x0 < -0.5) {
        x1 += -0.5 - x0;
        x0 = -0.5;
    }
    fprintf(f, "set title ");
    rg_gnuplot_put_str(f, title);
    fprintf(f, " font \",12\" noenhanced\n");
    if (h->bw > 1)
        fprintf(f,
                "set xlabel \"units oversold (bars: bins of %.0f units)\"\n"
                "set xtics autofreq\n",
                h->bw);
    else
        fprintf(f, "set xlabel \"units oversold\"\nset xtics %s\n",
                x1 - x0 <= 30 ? "1" : "autofreq");
    fprintf(f,
            "set boxwidth %.10g absolute\n"
            "set xrange [%.10g:%.10g]\n"
            "set yrange [0:%.10g]\n"
            "plot \"oversell.dat\" index %zu using 1:2 with boxes lt %zu notitle\n",
            0.85 * h->bw, x0, x1, ceil((double)h->cmax * 1.15), v, v + 1);
}

/* Writes the page script: the head, then per variant its bars in the
 * shared chart (offset so they stand side by side) or its panel. */
static int ohist_script(rpt_ctx *c, const ohist *o)
{
    FILE *f = rpt_page_open(c, "plot-oversell", "units oversold per replication, per variant");
    if (f == NULL)
        return -1;
    ohist_head(f, c, o);
    size_t nv = o->nv;
    for (size_t v = 0; v < nv; v++) {
        char *t = ohist_caption(c, o, v);
        if (o->shared) {
            double off = ((double)v - 0.5 * (double)(nv - 1)) * 0.8 / (double)nv;
            fprintf(f, "%s    \"oversell.dat\" using ($1+%.10g):%zu with boxes lt %zu title ",
                    v ? ", \\\n" : "", off, v + 2, v + 1);
            rg_gnuplot_put_str(f, t);
        } else
            ohist_panel(f, o, v, t);
        free(t);
    }
    fprintf(f, o->shared ? "\n" : "unset multiplot\n");
    return rpt_page_close(c, f);
}

/* The oversell histogram (ohist): units oversold per replication. */
int rpt_page_oversell(rpt_ctx *c)
{
    if (c->oversell < 0 || c->n == 0 || c->r->nvar == 0)
        return 0;
    ohist o;
    if (!ohist_fill(&o, c, (size_t)c->oversell))
        return 0;
    int rc = ohist_write(c, &o) < 0 || ohist_script(c, &o) < 0 ? -1 : 0;
    ohist_free(&o);
    return rc;
}

/* ---- page: latency CDF -------------------------------------------------- */

/* Plot positions (ms) of the edges of histogram bin b: the underflow bin
 * starts one bin width below 1 us (a log axis has no 0), the overflow bin
 * ends one bin width above 1000 s. */
static double bin_lo_ms(int b)
{
    return b == 0 ? rg_hist_edge(1) * 1e3 / pow(10.0, 1.0 / RG_HIST_PER_DECADE)
                  : rg_hist_edge(b) * 1e3;
}
static double bin_hi_ms(int b)
{
    return b == RG_HIST_NBINS - 1 ? bin_lo_ms(b) * pow(10.0, 1.0 / RG_HIST_PER_DECADE)
                                  : rg_hist_edge(b + 1) * 1e3;
}

/* Quantile q (ms) of histogram h with total count n, interpolating
 * log-linearly inside the bin, as the plotted CDF does. */
static double hist_quantile(const uint64_t *h, uint64_t n, double q)
{
    uint64_t cum = 0;
    for (int b = 0; b < RG_HIST_NBINS; b++) {
        if (h[b] == 0)
            continue;
        double flo = (double)cum / (double)n;
        cum += h[b];
        double fhi = (double)cum / (double)n;
        if (fhi >= q) {
            double a = bin_lo_ms(b), z = bin_hi_ms(b);
            return a * pow(z / a, (q - flo) / (fhi - flo));
        }
    }
    return NAN;
}

/* The request count of each variant's histogram into tot[v]; returns how
 * many variants have requests (a curve each). */
static size_t latency_totals(const rg_results *r, uint64_t *tot)
{
    size_t have = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        const uint64_t *h = &r->hist[v * RG_HIST_NBINS];
        for (int b = 0; b < RG_HIST_NBINS; b++)
            tot[v] += h[b];
        have += tot[v] > 0;
    }
    return have;
}

/* Writes latency.dat: the CDF of each variant with requests, from the
 * lower edge of its first non-empty bin to the bin that reaches 1, then
 * each one's p50 and p99 points. */
static int latency_write(rpt_ctx *c, const uint64_t *tot)
{
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, "latency.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# Latency CDF over all replications: one block per variant with data\n"
               "# (latency_ms fraction_at_most), then one block per such variant with the\n"
               "# p50 and p99 points.\n");
    size_t blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        const uint64_t *h = &r->hist[v * RG_HIST_NBINS];
        if (tot[v] == 0)
            continue;
        if (blk++)
            fprintf(d, "\n\n");
        uint64_t cum = 0;
        bool started = false;
        for (int b = 0; b < RG_HIST_NBINS && cum < tot[v]; b++) {
            if (h[b] == 0 && !started)
                continue;
            if (!started)
                fprintf(d, "%.10g 0\n", bin_lo_ms(b));
            started = true;
            cum += h[b];
            fprintf(d, "%.10g %.10g\n", bin_hi_ms(b), (double)cum / (double)tot[v]);
        }
    }
    for (size_t v = 0; v < r->nvar; v++) {
        if (tot[v] == 0)
            continue;
        const uint64_t *h = &r->hist[v * RG_HIST_NBINS];
        fprintf(d, "\n\n%.10g 0.5\n%.10g 0.99\n", hist_quantile(h, tot[v], 0.5),
                hist_quantile(h, tot[v], 0.99));
    }
    return rpt_out_close(c, d, "latency.dat");
}

/* Writes the page script: log axis, guides at p50 and p99, and per variant
 * with requests its curve (block k of latency.dat) and its quantile points
 * (block have + k). */
static int latency_script(rpt_ctx *c, const uint64_t *tot, size_t have)
{
    const rg_results *r = c->r;
    FILE *f = rpt_page_open(c, "plot-latency", "request latency CDF per variant");
    if (f == NULL)
        return -1;
    fprintf(f,
            "set title \"Request latency over all %" PRIu64
            " replications: share of requests answered within x\" font \",15\"\n"
            "set xlabel \"request latency (ms)\"\n"
            "set ylabel \"fraction of requests ≤ x\"\n"
            "set logscale x 10\n"
            "set format x \"%%g\"\n"
            "set mxtics 10\n"
            "set yrange [0:1.02]\n"
            "set ytics 0.1\n"
            "set key bottom right box opaque\n"
            "set arrow from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 "
            "lc rgb \"#888888\" lw 1\n"
            "set arrow from graph 0, first 0.99 to graph 1, first 0.99 nohead dt 3 "
            "lc rgb \"#888888\" lw 1\n"
            "set label \"half of the requests (p50)\" at graph 0.01, first 0.5 "
            "offset 0,0.7 textcolor rgb \"#555555\"\n"
            "set label \"99 %% of the requests (p99)\" at graph 0.01, first 0.99 "
            "offset 0,-0.8 textcolor rgb \"#555555\"\n"
            "plot \\\n",
            c->n);
    size_t blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        if (tot[v] == 0)
            continue;
        const uint64_t *h = &r->hist[v * RG_HIST_NBINS];
        fprintf(f, "%s    \"latency.dat\" index %zu using 1:2 with lines lt %zu title ",
                blk ? ", \\\n" : "", blk, v + 1);
        char q50[32], q99[32];
        char *t = rg_xasprintf("%s: p50 %s ms, p99 %s ms", r->varnames[v],
                               fmt_num(q50, sizeof q50, hist_quantile(h, tot[v], 0.5)),
                               fmt_num(q99, sizeof q99, hist_quantile(h, tot[v], 0.99)));
        rg_gnuplot_put_str(f, t);
        free(t);
        fprintf(f,
                ", \\\n    \"latency.dat\" index %zu using 1:2 with points lt %zu pt 7 "
                "ps 1.6 notitle",
                have + blk, v + 1);
        blk++;
    }
    fprintf(f, "\n");
    return rpt_page_close(c, f);
}

/* The latency CDF of each variant from its histogram (all replications). */
int rpt_page_latency(rpt_ctx *c)
{
    if (c->r->nvar == 0)
        return 0;
    uint64_t *tot = rg_xcalloc(c->r->nvar, sizeof *tot);
    size_t have = latency_totals(c->r, tot);
    int rc = 0;
    if (have > 0 && (latency_write(c, tot) < 0 || latency_script(c, tot, have) < 0))
        rc = -1;
    free(tot);
    return rc;
}

/* Writes `name`: per variant, its index then the mean and 95 % CI half-width
 * of metrics ms[0..2] (each times sc[k]; a missing metric, -1, as 0 0), for
 * the side-by-side bar pages.  *max01 and *max2 get the largest mean + CI of
 * the first two metrics and of the third, to size the axes. */
static int write_three_means(rpt_ctx *c, const char *name, const char *columns, const int ms[3],
                             const double sc[3], double *max01, double *max2)
{
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, name);
    if (d == NULL)
        return -1;
    fprintf(d, "# variant_index %s\n# (means over replications; variants in scenario order)\n",
            columns);
    *max01 = *max2 = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(d, "%zu", v);
        for (int k = 0; k < 3; k++) {
            if (ms[k] < 0) {
                fprintf(d, " 0 0");
                continue;
            }
            const rg_summary *s = rpt_summ(c, v, (size_t)ms[k]);
            rg_gnuplot_put_num(d, s->mean * sc[k]);
            rg_gnuplot_put_num(d, ci_or_zero(s->ci95) * sc[k]);
            double top = (s->mean + ci_or_zero(s->ci95)) * sc[k];
            if (isfinite(top)) {
                double *mx = k < 2 ? max01 : max2;
                *mx = fmax(*mx, top);
            }
        }
        fputc('\n', d);
    }
    return rpt_out_close(c, d, name);
}

/* ---- page: latency and oversell side by side ---------------------------- */

int rpt_page_compare(rpt_ctx *c)
{
    const rg_results *r = c->r;
    int p50 = rg_results_role(r, RG_ROLE_LAT_P50), p99 = rg_results_role(r, RG_ROLE_LAT_P99);
    bool lat = p50 >= 0 && p99 >= 0;
    if ((!lat && c->oversell < 0) || c->n == 0 || r->nvar == 0)
        return 0;
    int ms[3] = {p50, p99, c->oversell};
    double sc[3] = {1e3, 1e3, 1.0}, lmax, omax;
    if (write_three_means(c, "compare.dat",
                          "p50_ms p50_ci95 p99_ms p99_ci95 oversell oversell_ci95", ms, sc, &lmax,
                          &omax) < 0)
        return -1;

    FILE *f = rpt_page_open(c, "plot-compare", "latency and oversell per variant");
    if (f == NULL)
        return -1;
    int panels = lat + (c->oversell >= 0);
    fprintf(f,
            "set multiplot layout 1,%d title \"Latency and oversell per variant: means over "
            "%" PRIu64 " replications, error bars 95 %% confidence interval\" font \",15\"\n"
            "set style fill solid 0.85 border lc rgb \"#333333\"\n"
            "set grid noxtics ytics\n"
            "set key top left box opaque\n",
            panels, c->n);
    put_variant_tics(f, c, 1.0 / panels);
    if (lat) {
        fprintf(f,
                "set title \"Request latency\" font \",13\"\n"
                "set ylabel \"latency (ms)\"\n"
                "set yrange [0:%.10g]\n"
                "set boxwidth 0.36 absolute\n"
                "plot \"compare.dat\" using ($1+0.8):2 with boxes lc rgb \"#56B4E9\" "
                "title \"median (p50)\", \\\n"
                "    \"\" using ($1+0.8):($2-$3):(0):(2*$3) " CI_BARS ", \\\n"
                "    \"\" using ($1+1.2):4 with boxes lc rgb \"#0072B2\" "
                "title \"99th percentile (p99)\", \\\n"
                "    \"\" using ($1+1.2):($4-$5):(0):(2*$5) " CI_BARS ", \\\n"
                "    \"\" using ($1+0.8):($2+$3):(num($2)) with labels offset 0,0.8 notitle, "
                "\\\n"
                "    \"\" using ($1+1.2):($4+$5):(num($4)) with labels offset 0,0.8 notitle\n",
                lmax > 0 ? lmax * 1.18 : 1.0);
    }
    if (c->oversell >= 0) {
        fprintf(f,
                "unset key\n"
                "set title \"Units oversold\" font \",13\"\n"
                "set ylabel \"units oversold per replication (mean)\"\n"
                "set yrange [0:%.10g]\n"
                "set boxwidth 0.6 absolute\n"
                "plot \"compare.dat\" using ($1+1):6:(0.6):($1+1) with boxes lc variable "
                "notitle, \\\n"
                "    \"\" using ($1+1):($6-$7):(0):(2*$7) " CI_BARS ", \\\n"
                "    \"\" using ($1+1):($6+$7):(num($6)) with labels offset 0,0.8 notitle\n",
                omax > 0 ? omax * 1.18 : 1.0);
    }
    fprintf(f, "unset multiplot\n");
    return rpt_page_close(c, f);
}

/* ---- page: who got the units, and what it cost ------------------------- */

/* The protections page (drop scenarios with bots or protections): units won
 * by humans and by bots per variant, side by side, and the real cost per
 * variant.  Only when those metrics are shown. */
int rpt_page_protection(rpt_ctx *c)
{
    const rg_results *r = c->r;
    int mh = rg_results_role(r, RG_ROLE_UNITS_HUMANS), mb = rg_results_role(r, RG_ROLE_UNITS_BOTS);
    int mc = rg_results_role(r, RG_ROLE_COST);
    if (mh < 0 || mb < 0 || mc < 0 || !(r->met[mh].flags & RG_MF_SHOW) || c->n == 0 || r->nvar == 0)
        return 0;
    int ms[3] = {mh, mb, mc};
    double sc[3] = {1, 1, 1}, umax, cmax;
    if (write_three_means(c, "protection.dat",
                          "humans humans_ci95 bots bots_ci95 cost_usd cost_ci95", ms, sc, &umax,
                          &cmax) < 0)
        return -1;
    FILE *f = rpt_page_open(c, "plot-protection", "units won by humans and bots, and cost");
    if (f == NULL)
        return -1;
    fprintf(f,
            "set multiplot layout 1,2 title \"Who got the units, and what it cost: means over "
            "%" PRIu64 " replications, error bars 95 %% confidence interval\" font \",15\"\n"
            "set style fill solid 0.85 border lc rgb \"#333333\"\n"
            "set grid noxtics ytics\n"
            "set key top right box opaque\n",
            c->n);
    put_variant_tics(f, c, 0.5);
    fprintf(f,
            "set title \"Units won per replication\" font \",13\"\n"
            "set ylabel \"units (mean)\"\n"
            "set yrange [0:%.10g]\n"
            "set boxwidth 0.36 absolute\n"
            "plot \"protection.dat\" using ($1+0.8):2 with boxes lc rgb \"#009E73\" "
            "title \"human buyers\", \\\n"
            "    \"\" using ($1+0.8):($2-$3):(0):(2*$3) " CI_BARS ", \\\n"
            "    \"\" using ($1+1.2):4 with boxes lc rgb \"#D55E00\" title \"bots\", \\\n"
            "    \"\" using ($1+1.2):($4-$5):(0):(2*$5) " CI_BARS ", \\\n"
            "    \"\" using ($1+0.8):($2+$3):(num($2)) with labels offset 0,0.8 notitle, \\\n"
            "    \"\" using ($1+1.2):($4+$5):(num($4)) with labels offset 0,0.8 notitle\n",
            umax > 0 ? umax * 1.25 : 1.0);
    fprintf(f,
            "unset key\n"
            "set title \"Real cost of the drop\" font \",13\"\n"
            "set ylabel \"US dollars per replication (mean)\"\n"
            "set yrange [0:%.10g]\n"
            "set boxwidth 0.6 absolute\n"
            "plot \"protection.dat\" using ($1+1):6:(0.6):($1+1) with boxes lc variable "
            "notitle, \\\n"
            "    \"\" using ($1+1):($6-$7):(0):(2*$7) " CI_BARS ", \\\n"
            "    \"\" using ($1+1):($6+$7):(num($6)) with labels offset 0,0.8 notitle\n",
            cmax > 0 ? cmax * 1.18 : 1.0);
    fprintf(f, "unset multiplot\n");
    return rpt_page_close(c, f);
}

/* ---- pages: per-metric panels ------------------------------------------- */

/* Writes means.dat (variant index, then mean and CI per shown metric) and
 * replications.dat (a block per variant: replication, then each shown
 * metric), in display units. */
static int write_metric_data(rpt_ctx *c)
{
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, "means.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# variant_index, then mean and ci95 of each shown metric (in the order of\n"
               "# the page scripts; ms for times, %% for probabilities)\n");
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(d, "%zu", v);
        for (size_t k = 0; k < c->nshow; k++) {
            double sc = rpt_met_scale(&r->met[c->show[k]]);
            rg_gnuplot_put_num(d, rpt_summ(c, v, c->show[k])->mean * sc);
            rg_gnuplot_put_num(d, ci_or_zero(rpt_summ(c, v, c->show[k])->ci95) * sc);
        }
        fputc('\n', d);
    }
    if (rpt_out_close(c, d, "means.dat") < 0)
        return -1;
    d = rpt_out_open(c, "replications.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# One block per variant (scenario order): replication, then each shown\n"
               "# metric (ms for times, %% for probabilities)\n");
    for (size_t v = 0; v < r->nvar; v++) {
        if (v)
            fprintf(d, "\n\n");
        for (uint64_t i = 0; i < c->n; i++) {
            fprintf(d, "%" PRIu64, i);
            for (size_t k = 0; k < c->nshow; k++)
                rg_gnuplot_put_num(d, rg_results_value(r, v, i, c->show[k]) *
                                          rpt_met_scale(&r->met[c->show[k]]));
            fputc('\n', d);
        }
    }
    return rpt_out_close(c, d, "replications.dat");
}

/* Writes pages of up to two rows of panels, one per metric in sel (positions
 * in c->show): bars of the means (dist false) or box plots of the
 * distributions (dist true). */
static int metric_pages(rpt_ctx *c, const size_t *sel, size_t nsel, bool dist)
{
    const rg_results *r = c->r;
    /* Fewer, wider panels per row when there are many variants to name. */
    size_t maxcols = r->nvar <= 3 ? 3 : r->nvar <= 5 ? 2 : 1, per_page = 2 * maxcols;
    size_t npg = (nsel + per_page - 1) / per_page;
    for (size_t pg = 0; pg < npg; pg++) {
        size_t first = pg * per_page;
        size_t np = nsel - first < per_page ? nsel - first : per_page;
        const char *stem = dist ? "plot-distributions" : "plot-means";
        char *base = npg > 1 ? rg_xasprintf("%s-%zu", stem, pg + 1) : rg_xstrdup(stem);
        FILE *f = rpt_page_open(c, base,
                                dist ? "distribution of each metric over replications"
                                     : "mean and 95 % CI of each metric per variant");
        free(base);
        if (f == NULL)
            return -1;
        int rows = np <= maxcols ? 1 : 2, cols = (int)((np + (size_t)rows - 1) / (size_t)rows);
        if (dist)
            fprintf(f,
                    "set multiplot layout %d,%d title \"Spread over the %" PRIu64
                    " replications (box: middle half, line: median, whiskers: 1.5 "
                    "box lengths, dots: beyond; diamond: mean)\" font \",14\"\n"
                    "set style boxplot outliers pointtype 7\n"
                    "set boxwidth 0.55 absolute\n"
                    "set style fill solid 0.35 border -1\n"
                    "set pointsize 0.4\n",
                    rows, cols, c->n);
        else
            fprintf(f,
                    "set multiplot layout %d,%d title \"Mean per variant over %" PRIu64
                    " replications (error bars: 95 %% confidence interval)\" "
                    "font \",14\"\n"
                    "set style fill solid 0.85 border lc rgb \"#333333\"\n",
                    rows, cols, c->n);
        /* The same top margin in every panel, so the plots line up. */
        size_t width = (size_t)(130 / cols), tl = 1;
        for (size_t i = first; i < first + np; i++) {
            char *mt = rpt_met_title(&r->met[c->show[sel[i]]]);
            if (rg_gnuplot_nchars(mt) > width)
                tl = 2;
            free(mt);
        }
        fprintf(f, "set grid noxtics ytics\nunset key\nset tmargin %.1f\n", 1.5 + 1.4 * (double)tl);
        put_variant_tics(f, c, 1.0 / cols);
        for (size_t i = first; i < first + np; i++) {
            size_t k = sel[i], m = c->show[k];
            char *mt = rpt_met_title(&r->met[m]);
            fprintf(f, "set title ");
            rg_gnuplot_put_wrapped(f, mt, width, 2);
            fprintf(f, " font \",12\" noenhanced\n");
            free(mt);
            double lo = INFINITY, hi = -INFINITY;
            for (size_t v = 0; v < r->nvar; v++) {
                const rg_summary *s = rpt_summ(c, v, m);
                double sc = rpt_met_scale(&r->met[m]);
                lo = fmin(lo, dist ? s->min * sc : s->mean * sc);
                hi = fmax(hi, dist ? s->max * sc : (s->mean + ci_or_zero(s->ci95)) * sc);
            }
            if (!dist && lo >= 0 && isfinite(hi))
                fprintf(f, "set yrange [0:%.10g]\n", hi > 0 ? hi * 1.18 : 1.0);
            else if (lo == hi) /* a constant: gnuplot would warn of an empty range */
                fprintf(f, "set yrange [%.10g:%.10g]\n", lo - 1, hi + 1);
            else
                fprintf(f, "set yrange [*:*]\n");
            size_t mc = 2 + 2 * k, cc = 3 + 2 * k;
            if (dist) {
                fprintf(f, "plot \\\n");
                for (size_t v = 0; v < r->nvar; v++)
                    /* a variant with no value (all NaN: say, a guardrail
                     * that never tripped) has no box; gnuplot would fail */
                    if (rpt_summ(c, v, m)->n > 0)
                        fprintf(f,
                                "    \"replications.dat\" index %zu using (%zu):%zu with "
                                "boxplot lt %zu notitle, \\\n",
                                v, v + 1, k + 2, v + 1);
                fprintf(f,
                        "    \"means.dat\" using ($1+1):%zu with points pt 13 ps 1.6 "
                        "lc rgb \"#000000\" notitle\n",
                        mc);
            } else
                fprintf(f,
                        "plot \"means.dat\" using ($1+1):%zu:(0.6):($1+1) with boxes "
                        "lc variable notitle, \\\n"
                        "    \"\" using ($1+1):($%zu-$%zu):(0):(2*$%zu) " CI_BARS ", \\\n"
                        "    \"\" using ($1+1):($%zu+$%zu):(num($%zu)) "
                        "with labels offset 0,0.8 notitle\n",
                        mc, mc, cc, cc, mc, cc, mc);
        }
        fprintf(f, "unset multiplot\n");
        if (rpt_page_close(c, f) < 0)
            return -1;
    }
    return 0;
}

/* True if some variant has a value of metric m (not every one NaN). */
static bool has_values(const rpt_ctx *c, size_t m)
{
    for (size_t v = 0; v < c->r->nvar; v++)
        if (rpt_summ(c, v, m)->n > 0)
            return true;
    return false;
}

int rpt_page_metrics(rpt_ctx *c)
{
    if (c->nshow == 0 || c->n == 0 || c->r->nvar == 0)
        return 0;
    if (write_metric_data(c) < 0)
        return -1;
    size_t *sel = rg_xcalloc(c->nshow, sizeof *sel);
    size_t nsel = 0;
    int rc = 0;
    /* Mean bars for experiments without the flash-sale comparison page. */
    if (c->oversell < 0) {
        for (size_t k = 0; k < c->nshow; k++)
            if (has_values(c, c->show[k]))
                sel[nsel++] = k;
        if (nsel > 0)
            rc = metric_pages(c, sel, nsel, false);
    }
    /* Distributions, except 0/1 indicators (their mean says it all) and
     * oversell (it has its own histogram). */
    nsel = 0;
    for (size_t k = 0; k < c->nshow; k++)
        if (!(c->r->met[c->show[k]].flags & RG_MF_PROB) && (int)c->show[k] != c->oversell &&
            has_values(c, c->show[k]))
            sel[nsel++] = k;
    if (rc == 0 && nsel > 0)
        rc = metric_pages(c, sel, nsel, true);
    free(sel);
    return rc;
}
