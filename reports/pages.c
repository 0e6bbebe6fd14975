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
#include "reports/told.h"
#include "reports/words.h"

/* 95 % CI bars: plot style for using x:(mean-ci):(0):(2*ci).  Vectors, because
 * gnuplot 5.4 leaves a gap in the middle of error bars. */
#define CI_BARS "with vectors heads size screen 0.008,90 lc rgb \"#000000\" lw 1 notitle"

/* ---- numbers and axes --------------------------------------------------- */

/* A CI half-width to plot: 0 where it is undefined (fewer than two values). */
static double ci_or_zero(double ci)
{
    return isfinite(ci) ? ci : 0.0;
}

/* ---- page: allocation timeline ------------------------------------------ */

/* The timeline's range: its first and last point over every variant (s),
 * the largest first counter, and how many variants have one. */
typedef struct tlrange {
    double t0, t1, amax;
    size_t have;
} tlrange;

static tlrange tl_range(const rg_results *r)
{
    tlrange g = {INFINITY, 0, 0, 0};
    for (size_t v = 0; v < r->nvar; v++) {
        if (r->ntl[v] == 0)
            continue;
        g.have++;
        for (size_t i = 0; i < r->ntl[v]; i++) {
            if (r->tl[v][i].t > 0)
                g.t0 = fmin(g.t0, r->tl[v][i].t);
            g.t1 = fmax(g.t1, r->tl[v][i].t);
            g.amax = fmax(g.amax, (double)r->tl[v][i].a);
        }
    }
    return g;
}

/* Writes timeline.dat: per variant with a timeline a block of (time in ms,
 * counter a, counter b), starting at zero at tstart and holding its last
 * value to tend. */
static int tl_write(rpt_ctx *c, double tstart, double tend)
{
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, "timeline.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# Allocation timeline of replication 0, one block per variant with data\n"
               "# (blocks in the order of the plot script).\n"
               "# time_ms counter_a counter_b\n");
    size_t blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        if (r->ntl[v] == 0)
            continue;
        if (blk++)
            fprintf(d, "\n\n");
        const rg_tlpoint *p = r->tl[v];
        size_t n = r->ntl[v];
        /* Counters are zero at the drop; the last value holds to the end. */
        fprintf(d, "%.10g 0 0\n", tstart * 1e3);
        for (size_t i = 0; i < n; i++)
            if (p[i].t >= tstart)
                fprintf(d, "%.10g %" PRId64 " %" PRId64 "\n", p[i].t * 1e3, p[i].a, p[i].b);
        fprintf(d, "%.10g %" PRId64 " %" PRId64 "\n", tend * 1e3, p[n - 1].a, p[n - 1].b);
    }
    return rpt_out_close(c, d, "timeline.dat");
}

/* Labels at the right of the plot: the final count of every variant, the
 * variants that end on the same count sharing one label, with how far
 * above the stock it is. */
static void tl_end_labels(FILE *f, const rpt_ctx *c, double stock)
{
    const rg_results *r = c->r;
    bool *done = rg_xcalloc(r->nvar, sizeof *done);
    for (size_t v = 0; v < r->nvar; v++) {
        if (done[v] || r->ntl[v] == 0)
            continue;
        int64_t a = r->tl[v][r->ntl[v] - 1].a;
        rg_buf b = {0};
        for (size_t w = v; w < r->nvar; w++)
            if (!done[w] && r->ntl[w] > 0 && r->tl[w][r->ntl[w] - 1].a == a) {
                done[w] = true;
                rg_buf_printf(&b, "%s%s", b.len ? ", " : "", r->varnames[w]);
            }
        char n[32];
        rg_buf_printf(&b, ": %s", rpt_fmt(n, sizeof n, (double)a, 6));
        bool over = isfinite(stock) && (double)a > stock;
        if (over)
            rg_buf_printf(&b, " (+%s over the stock)", rpt_fmt(n, sizeof n, (double)a - stock, 6));
        fprintf(f, "set label ");
        rg_gnuplot_put_wrapped(f, b.s, 32, 3);
        fprintf(f, " at graph 1.01, first %" PRId64 " left font \",10\" textcolor rgb \"%s\"\n", a,
                over ? "#B00000" : "#222222");
        rg_buf_free(&b);
    }
    free(done);
}

int rpt_page_timeline(rpt_ctx *c)
{
    const rg_results *r = c->r;
    tlrange g = tl_range(r);
    if (g.have == 0 || !isfinite(g.t0))
        return 0;
    /* A log time axis: a fast variant's first 100 ms get as much room as a
     * slow one's seconds.  It starts a little before the first change. */
    double tstart = g.t0 / 1.5, tend = fmax(g.t1 * 1.2, tstart * 10);
    int ks = rg_results_role(r, RG_ROLE_STOCK);
    double stock = ks >= 0 && c->n > 0 ? rg_results_value(r, 0, 0, (size_t)ks) : NAN;
    if (tl_write(c, tstart, tend) < 0)
        return -1;

    FILE *f = rpt_page_open(c, "plot-timeline", "how the counters climbed in replication 0");
    if (f == NULL)
        return -1;
    double ymax = fmax(g.amax, isfinite(stock) ? stock : 0) * 1.12;
    fprintf(f,
            "set title \"How the counter climbed in the first %s (replication 0) of each "
            "variant; time on a log scale\" font \",15\"\n"
            "set xlabel \"time since the start\"\n",
            rpt_rep_word(c, false));
    fprintf(f, "set ylabel ");
    char *yl = rg_xasprintf("%s so far", r->tlnames[0] ? r->tlnames[0] : "count");
    rg_gnuplot_put_str(f, yl);
    free(yl);
    fprintf(f,
            " noenhanced\n"
            "set key top left box opaque\n"
            "set rmargin 34\n"
            "set grid xtics mxtics ytics\n"
            "set xrange [%.10g:%.10g]\n"
            "set yrange [0:%.10g]\n",
            tstart * 1e3, tend * 1e3, ymax > 0 ? ymax : 1.0);
    rpt_log_ms_tics(f, "x", tstart * 1e3, tend * 1e3);
    if (isfinite(stock))
        fprintf(f, "stock = %.10g\n", stock);
    tl_end_labels(f, c, stock);
    /* the stock first, so the variants' lines are drawn over it */
    fprintf(f, "plot \\\n");
    if (isfinite(stock)) {
        char n[32];
        char *t = rg_xasprintf("the stock: %s units", rpt_fmt(n, sizeof n, stock, 6));
        fprintf(f, "    stock with lines dt 1 lw 6 lc rgb \"#C8C8C8\" title ");
        rg_gnuplot_put_str(f, t);
        free(t);
    }
    size_t blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        if (r->ntl[v] == 0)
            continue;
        fprintf(f,
                "%s    \"timeline.dat\" index %zu using 1:2 with steps lt %zu lw 2.5 dt %d "
                "title ",
                blk || isfinite(stock) ? ", \\\n" : "", blk, v + 1, rpt_dash(v));
        rg_gnuplot_put_str(f, r->varnames[v]);
        blk++;
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
    uint64_t gone = 0;
    for (uint64_t i = 0; i < c->n; i++) {
        double x = floor(rg_results_value(c->r, v, i, m));
        gone = rg_results_read_past(c->r, v, gone, i, c->n);
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
    fprintf(f,
            "set style fill solid 0.85 border lc rgb \"#333333\"\n"
            "set grid noxtics ytics\n"
            "set ylabel \"%s\"\n",
            rpt_rep_word(c, true));
    if (o->shared) {
        double w = 0.8 / (double)o->nv;
        fprintf(f,
                "set title \"Units oversold per %s (%" PRIu64 " %s per variant)\" font \",15\"\n"
                "set xlabel \"units oversold\"\n"
                "set key top right box opaque\n"
                "set boxwidth %.10g absolute\n"
                "set xrange [%.10g:%.10g]\n"
                "set yrange [0:%.10g]\n%s"
                "plot \\\n",
                rpt_rep_word(c, false), c->n, rpt_rep_word(c, true), w, o->lo - 1, o->hi + 1,
                ceil((double)o->cmax * 1.25), o->hi - o->lo <= 30 ? "set xtics 1\n" : "");
    } else {
        /* a panel for each variant whose oversell varied; the others, one
         * value in every replication, are named in the title */
        size_t nv = 0;
        rg_buf same = {0};
        char x[32];
        for (size_t v = 0; v < o->nv; v++) {
            const rg_summary *s = rpt_summ(c, v, o->m);
            if (s->min != s->max)
                nv++;
            else if (s->n > 0)
                rg_buf_printf(&same, "%s%s %s", same.len ? ", " : "", c->r->varnames[v],
                              rpt_fmt(x, sizeof x, s->max, 6));
        }
        int rows = nv <= 4 ? (int)nv : (int)((nv + 1) / 2), cols = nv <= 4 ? 1 : 2;
        fprintf(f,
                "set multiplot layout %d,%d title \"Units oversold per %s (%" PRIu64
                " %s per variant; each panel its own scale)",
                rows, cols, rpt_rep_word(c, false), c->n, rpt_rep_word(c, true));
        if (same.len) {
            char *e = rg_gnuplot_escape(same.s);
            fprintf(f, "\\nthe same in every %s: %s", rpt_rep_word(c, false), e);
            free(e);
        }
        fprintf(f, "\" font \",14\"\nunset key\n");
        rg_buf_free(&same);
    }
}

/* What variant v oversold, for its legend entry or panel title: how often
 * and how much on average.  New string. */
static char *ohist_caption(const rpt_ctx *c, const ohist *o, size_t v)
{
    double pos = 0;
    uint64_t gone = 0;
    for (uint64_t i = 0; i < c->n; i++) {
        pos += rg_results_value(c->r, v, i, o->m) > 0;
        gone = rg_results_read_past(c->r, v, gone, i, c->n);
    }
    char mean[32];
    return rg_xasprintf("%s: oversold in %.3g %% of %s, %s units on average", c->r->varnames[v],
                        100.0 * pos / (double)c->n, rpt_rep_word(c, true),
                        rpt_fmt(mean, sizeof mean, rpt_summ(c, v, o->m)->mean, 3));
}

/* The panel of variant v on its own range, titled `title`: at least 5 bins
 * wide, so a lone bar does not fill the panel, and no negative axis for
 * counts that cannot be negative. */
static void ohist_panel(FILE *f, const ohist *o, size_t v, const char *title)
{
    const bins *h = &o->h[v];
    double pad = h->nb < 5 ? (double)(5 - h->nb) * h->bw / 2 : 0;
    /* a bin of room each side: no bar touches the frame */
    double x0 = h->lo - 0.5 - h->bw - pad, x1 = bins_x(h, h->nb - 1) + 1.5 * h->bw + pad;
    if (h->lo >= 0 && x0 < -1) {
        x1 += -1 - x0;
        x0 = -1;
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
        } else if (rpt_summ(c, v, o->m)->min != rpt_summ(c, v, o->m)->max)
            ohist_panel(f, o, v, t);
        free(t);
    }
    fprintf(f, o->shared ? "\n" : "unset multiplot\n");
    return rpt_page_close(c, f);
}

/* The oversell histogram (ohist): units oversold per replication. */
int rpt_page_oversell(rpt_ctx *c)
{
    /* A histogram of one value per variant says nothing the verdicts and
     * the key numbers do not: no page. */
    if (c->oversell < 0 || c->n == 0 || c->r->nvar == 0 || rpt_met_steady(c, (size_t)c->oversell))
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
    FILE *f = rpt_page_open(c, "plot-latency", "answer times of all requests");
    if (f == NULL)
        return -1;
    /* the x range: from the first non-empty bin to the last */
    double lo = INFINITY, hi = 0;
    uint64_t all = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        const uint64_t *h = &r->hist[v * RG_HIST_NBINS];
        all += tot[v];
        for (int b = 0; b < RG_HIST_NBINS; b++)
            if (h[b] > 0) {
                lo = fmin(lo, bin_lo_ms(b));
                hi = fmax(hi, bin_hi_ms(b));
            }
    }
    char na[32], nr[32];
    fprintf(f,
            "set title \"Answer time of every request (%s in all) of all %s %s: the share "
            "answered within x\" font \",15\"\n"
            "set xlabel \"answer time (log scale)\"\n"
            "set ylabel \"share of the requests answered within x\"\n"
            "set xrange [%.10g:%.10g]\n"
            "set yrange [0:1.02]\n"
            "set ytics (\"0\" 0, \"25 %%%%\" 0.25, \"50 %%%%\" 0.5, \"75 %%%%\" 0.75, "
            "\"99 %%%%\" 0.99)\n"
            "set grid xtics ytics\n"
            "set key bottom right box opaque title \"p50 and p99 over all requests\"\n"
            "set arrow from graph 0, first 0.5 to graph 1, first 0.5 nohead dt 3 "
            "lc rgb \"#888888\" lw 1\n"
            "set arrow from graph 0, first 0.99 to graph 1, first 0.99 nohead dt 3 "
            "lc rgb \"#888888\" lw 1\n"
            "set label \"half of all requests (p50)\" at graph 0.01, first 0.5 "
            "offset 0,0.7 textcolor rgb \"#555555\"\n"
            "set label \"99 %% of all requests (p99)\" at graph 0.01, first 0.99 "
            "offset 0,-0.8 textcolor rgb \"#555555\"\n",
            rpt_fmt(na, sizeof na, (double)all, 6), rpt_fmt(nr, sizeof nr, (double)c->n, 6),
            rpt_rep_word(c, c->n != 1), lo / 1.2, hi * 1.2);
    rpt_log_ms_tics(f, "x", lo / 1.2, hi * 1.2);
    fprintf(f, "plot \\\n");
    size_t blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        if (tot[v] == 0)
            continue;
        const uint64_t *h = &r->hist[v * RG_HIST_NBINS];
        fprintf(f,
                "%s    \"latency.dat\" index %zu using 1:2 with lines lt %zu lw 2.5 dt %d title ",
                blk ? ", \\\n" : "", blk, v + 1, rpt_dash(v));
        char q50[32], q99[32];
        char *t = rg_xasprintf("%s: %s ms, %s ms", r->varnames[v],
                               rpt_fmt(q50, sizeof q50, hist_quantile(h, tot[v], 0.5), 3),
                               rpt_fmt(q99, sizeof q99, hist_quantile(h, tot[v], 0.99), 3));
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

/* Writes compare.dat: per variant its index, the median over replications
 * of its p50 and of its p99 (ms), and its mean oversell with CI.  *lo and
 * *hi get the latency range, *omax the top of the oversell bars. */
static int compare_write(rpt_ctx *c, int p50, int p99, double *lo, double *hi, double *omax)
{
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, "compare.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# variant_index p50_ms p99_ms oversell oversell_ci95\n"
               "# (p50, p99: the median over replications of each replication's own;\n"
               "# oversell: mean over replications; variants in scenario order)\n");
    *lo = INFINITY;
    *hi = *omax = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(d, "%zu", v);
        int q[2] = {p50, p99};
        for (int k = 0; k < 2; k++) {
            double x = q[k] >= 0 ? rpt_summ(c, v, (size_t)q[k])->p50 * 1e3 : NAN;
            rg_gnuplot_put_num(d, x);
            if (isfinite(x) && x > 0) {
                *lo = fmin(*lo, x);
                *hi = fmax(*hi, x);
            }
        }
        const rg_summary *s = c->oversell >= 0 ? rpt_summ(c, v, (size_t)c->oversell) : NULL;
        rg_gnuplot_put_num(d, s ? s->mean : NAN);
        rg_gnuplot_put_num(d, s ? ci_or_zero(s->ci95) : NAN);
        if (s && isfinite(s->mean))
            *omax = fmax(*omax, s->mean + ci_or_zero(s->ci95));
        fputc('\n', d);
    }
    return rpt_out_close(c, d, "compare.dat");
}

int rpt_page_compare(rpt_ctx *c)
{
    const rg_results *r = c->r;
    int p50 = rg_results_role(r, RG_ROLE_LAT_P50), p99 = rg_results_role(r, RG_ROLE_LAT_P99);
    bool lat = p50 >= 0 && p99 >= 0;
    if ((!lat && c->oversell < 0) || c->n == 0 || r->nvar == 0)
        return 0;
    double lo, hi, omax;
    if (compare_write(c, p50, p99, &lo, &hi, &omax) < 0)
        return -1;
    lat = lat && isfinite(lo) && hi > 0;
    /* an oversell of zero everywhere is a panel of zeros: the verdicts
     * already say "never oversold" */
    bool over = c->oversell >= 0 && omax > 0;
    if (!lat && !over)
        return 0;
    FILE *f = rpt_page_open(c, "plot-compare",
                            over ? "answer time against oversell, per variant"
                                 : "answer time, per variant");
    if (f == NULL)
        return -1;
    int panels = lat + over;
    char n[32];
    fprintf(f,
            "set multiplot layout 1,%d title \"What each variant costs in answer time%s (%s %s "
            "each)\" font \",15\"\n"
            "set style fill solid 0.85 border lc rgb \"#333333\"\n"
            "set grid noxtics ytics\n"
            "set key outside top center horizontal\n",
            panels, over ? ", and what it oversells" : "", rpt_fmt(n, sizeof n, (double)c->n, 6),
            rpt_rep_word(c, c->n != 1));
    rpt_variant_tics(f, c, 1.0 / panels);
    if (lat) {
        /* A log axis: 35 ms and 5 s both readable.  Each variant a line from
         * its p50 to its p99, both marked and labelled. */
        fprintf(f,
                "set title \"Answer time: median over the %s of each %s's p50 and p99\" "
                "font \",12\"\n"
                "set ylabel \"answer time (log scale)\"\n"
                "set yrange [%.10g:%.10g]\n"
                "set grid ytics mytics\n",
                rpt_rep_word(c, true), rpt_rep_word(c, false), lo / 2, hi * 2.5);
        rpt_log_ms_tics(f, "y", lo / 2, hi * 2.5);
        fprintf(f,
                "fmt(x) = x >= 1000 ? sprintf(\"%%.3g s\", x / 1000) : sprintf(\"%%.3g ms\", x)\n"
                "plot \"compare.dat\" using ($1+1):2:(0):($3-$2):($1+1) with vectors nohead "
                "lw 3 lc variable notitle, \\\n"
                "    \"\" using ($1+1):2:($1+1) with points pt 7 ps 2 lc variable notitle, \\\n"
                "    \"\" using ($1+1):3:($1+1) with points pt 9 ps 2.2 lc variable notitle, "
                "\\\n"
                "    NaN with points pt 7 ps 2 lc rgb \"#444444\" title \"p50 (median)\", \\\n"
                "    NaN with points pt 9 ps 2.2 lc rgb \"#444444\" title \"p99\", \\\n"
                "    \"\" using ($1+1):2:(fmt($2)) with labels offset 4.5,0 notitle, \\\n"
                "    \"\" using ($1+1):3:(fmt($3)) with labels offset 0,1.3 notitle\n");
        fprintf(f, "unset logscale y\nset ytics autofreq\nset mytics default\n");
    }
    if (over) {
        fprintf(f,
                "unset key\n"
                "set title \"Units oversold: mean per %s, with its 95 %% confidence "
                "interval\" font \",12\"\n"
                "set ylabel \"units oversold\"\n"
                "set yrange [0:%.10g]\n"
                "set boxwidth 0.6 absolute\n"
                "plot \"compare.dat\" using ($1+1):4:(0.6):($1+1) with boxes lc variable "
                "notitle, \\\n"
                "    \"\" using ($1+1):($4-$5):(0):(2*$5) " CI_BARS ", \\\n"
                "    \"\" using ($1+1):($4+$5):(num($4)) with labels offset 0,0.8 notitle\n",
                rpt_rep_word(c, false), omax > 0 ? omax * 1.18 : 1.0);
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
    /* What the buyers were told against what they hold (told.c) comes
     * first: it follows answer time against oversell. */
    if (rpt_page_told(c) < 0)
        return -1;
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
    char n[32];
    fprintf(f,
            "set multiplot layout 1,2 title \"Who got the units, and what it cost: mean per %s "
            "over %s %s, with its 95 %% confidence interval\" font \",15\"\n"
            "set style fill solid 0.85 border lc rgb \"#333333\"\n"
            "set grid noxtics ytics\n"
            "set key top right box opaque\n",
            rpt_rep_word(c, false), rpt_fmt(n, sizeof n, (double)c->n, 6),
            rpt_rep_word(c, c->n != 1));
    rpt_variant_tics(f, c, 0.5);
    fprintf(f,
            "set title \"Units won per %s\" font \",13\"\n"
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
            rpt_rep_word(c, false), umax > 0 ? umax * 1.25 : 1.0);
    fprintf(f,
            "unset key\n"
            "set title \"Real cost\" font \",13\"\n"
            "set ylabel \"US dollars per %s (mean)\"\n"
            "set yrange [0:%.10g]\n"
            "set boxwidth 0.6 absolute\n"
            "plot \"protection.dat\" using ($1+1):6:(0.6):($1+1) with boxes lc variable "
            "notitle, \\\n"
            "    \"\" using ($1+1):($6-$7):(0):(2*$7) " CI_BARS ", \\\n"
            "    \"\" using ($1+1):($6+$7):(num($6)) with labels offset 0,0.8 notitle\n",
            rpt_rep_word(c, false), cmax > 0 ? cmax * 1.18 : 1.0);
    fprintf(f, "unset multiplot\n");
    return rpt_page_close(c, f);
}
