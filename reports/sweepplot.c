/*
 * sweepplot.c: the plot pages of a sweep's report (sweeprep.c plans them and
 * writes the title page): a metric's mean against one axis with its CI band
 * and zero markers, and heatmaps over two axes.  Each page writes its data
 * file, numbers only, then its script through rpt_page_open (rptout.h),
 * which registers it.  Texts from the sweep reach a script only through the
 * rg_gnuplot_* writers, escaped; the comments and file names are ours.
 */
#include "reports/sweepplot.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"

/* Sequential colour-blind-safe palette for heatmaps (viridis), dark for
 * low values; cell labels turn black above VIRIDIS_LIGHT. */
#define VIRIDIS                                                                                    \
    "set palette defined (0 \"#440154\", 0.25 \"#3B528B\", 0.5 \"#21908C\", 0.75 \"#5DC863\", "    \
    "1 \"#FDE725\")\n"
#define VIRIDIS_LIGHT 0.6

/* Point types of the variants' curves: open circle, square, triangle,
 * diamond, ..., drawn smaller and smaller, so that curves lying on top of
 * each other still show every variant's shape nested in the others. */
static const int point_types[] = {6, 4, 8, 12, 10, 14, 3, 1};
#define NPT (sizeof point_types / sizeof point_types[0])

/* ---- axes --------------------------------------------------------------- */

/* x of position pos on axis a: the position on a text axis, else the value
 * in display units (seconds on a log axis of durations, whose tics name
 * their units). */
static double axis_x(const swp_axis *a, size_t pos)
{
    return a->text ? (double)pos : a->si[pos] * a->scale;
}

/* Where x falls between lo and hi on axis a, from 0 to 1. */
static double axis_frac(const swp_axis *a, double x, double lo, double hi)
{
    if (a->log && !a->text)
        return hi > lo ? log(x / lo) / log(hi / lo) : 0.5;
    return hi > lo ? (x - lo) / (hi - lo) : 0.5;
}

/* Writes `set <xy>tics (...)` naming positions 0..n-1 of axis a, every
 * step-th one; the others get unlabelled tics. */
static void put_position_tics(FILE *f, const swp_ctx *s, const swp_axis *a, const char *xy,
                              size_t step)
{
    fprintf(f, "set %stics (", xy);
    for (size_t p = 0; p < a->n; p++) {
        char *t = p % step == 0 ? swp_fmt_value(s, a, p) : rg_xstrdup("");
        fprintf(f, "%s", p ? ", " : "");
        rg_gnuplot_put_str(f, t);
        fprintf(f, " %zu", p);
        free(t);
    }
    fprintf(f, ") noenhanced\n");
}

/* Longest tic label of axis a, in characters. */
static size_t longest_value(const swp_ctx *s, const swp_axis *a)
{
    size_t n = 1;
    for (size_t p = 0; p < a->n; p++) {
        char *t = swp_fmt_value(s, a, p);
        size_t c = rg_gnuplot_nchars(t);
        n = c > n ? c : n;
        free(t);
    }
    return n;
}

/* Writes tics at the values of axis a's positions, labelled as in the
 * tables, at most about ten of them. */
static void put_value_tics(FILE *f, const swp_ctx *s, const swp_axis *a)
{
    size_t step = (a->n + 9) / 10;
    fprintf(f, "set xtics (");
    for (size_t p = 0; p < a->n; p++) {
        char *t = p % step == 0 ? swp_fmt_value(s, a, p) : rg_xstrdup("");
        fprintf(f, "%s", p ? ", " : "");
        rg_gnuplot_put_str(f, t);
        fprintf(f, " %.10g", a->si[p] * a->scale);
        free(t);
    }
    fprintf(f, ")\n");
}

/* Tics of a log axis.  Durations: at round durations (x in seconds): 1, 10
 * and 100 of ns, µs and ms, 1 and 10 s, min and h.  Less than a decade, or
 * fewer than two round durations in range: at the points' values (gnuplot
 * would label one tic or none).  Otherwise gnuplot's own. */
static void put_log_tics(FILE *f, const swp_ctx *s, const swp_axis *a, double lo, double hi)
{
    static const struct {
        double s;
        const char *t;
    } nice[] = {{1e-9, "1 ns"},     {1e-8, "10 ns"},  {1e-7, "100 ns"}, {1e-6, "1 µs"},
                {1e-5, "10 µs"},    {1e-4, "100 µs"}, {1e-3, "1 ms"},   {1e-2, "10 ms"},
                {0.1, "100 ms"},    {1, "1 s"},       {10, "10 s"},     {60, "1 min"},
                {600, "10 min"},    {3600, "1 h"},    {36000, "10 h"},  {86400, "1 day"},
                {864000, "10 days"}};
    size_t n = 0;
    for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++)
        n += nice[i].s >= lo && nice[i].s <= hi;
    if (a->si[a->n - 1] / a->si[0] < 10 || (a->kind == SWP_DURATION && n < 2)) {
        put_value_tics(f, s, a);
        return;
    }
    if (a->kind != SWP_DURATION)
        return;
    fprintf(f, "set xtics (");
    n = 0;
    for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++)
        if (nice[i].s >= lo && nice[i].s <= hi)
            fprintf(f, "%s\"%s\" %.10g", n++ ? ", " : "", nice[i].t, nice[i].s);
    fprintf(f, ")\n");
}

/* The x range of axis a, with room for the points at its ends. */
static void axis_range(const swp_axis *a, double *lo, double *hi)
{
    double x0 = axis_x(a, 0), x1 = axis_x(a, a->n - 1);
    if (a->text) {
        *lo = -0.5;
        *hi = (double)a->n - 0.5;
    } else if (a->log) {
        double g = a->n > 1 ? pow(x1 / x0, 0.03) : 2;
        *lo = x0 / g;
        *hi = x1 * g;
    } else if (x1 > x0) {
        *lo = x0 - 0.03 * (x1 - x0);
        *hi = x1 + 0.03 * (x1 - x0);
    } else {
        *lo = x0 - (x0 != 0 ? fabs(x0) / 2 : 1);
        *hi = x0 + (x0 != 0 ? fabs(x0) / 2 : 1);
    }
}

/* Writes the x axis of a line page: range, scale, tics, label. */
static void put_line_xaxis(FILE *f, const swp_ctx *s, const swp_axis *a, double lo, double hi)
{
    fprintf(f, "set xrange [%.10g:%.10g]\n", lo, hi);
    if (a->text) {
        /* about 800 px of plot width, 8 px a character */
        size_t slot = 800 / a->n, len = longest_value(s, a);
        put_position_tics(f, s, a, "x", 1);
        if (len * 8 > slot)
            fprintf(f, "set xtics rotate by 30 right\n");
    } else if (a->log) {
        fprintf(f, "set logscale x 10\n");
        put_log_tics(f, s, a, lo, hi);
    }
    char *lab = swp_axis_label(s, a, a->text);
    fprintf(f, "set xlabel ");
    rg_gnuplot_put_str(f, lab);
    fprintf(f, " font \",12\"\n");
    free(lab);
}

/* ---- page: a metric against one axis ------------------------------------ */

/* A metric's short label: its name and display unit ("lat_p99 (ms)"), the
 * name being what sweep-summary.csv calls it.  New string. */
static char *met_label(const rg_metric *m)
{
    const char *u = (m->flags & RG_MF_MS)                      ? "ms"
                    : (m->flags & RG_MF_PROB)                  ? "%"
                    : m->unit == NULL || !strcmp(m->unit, "1") ? ""
                                                               : m->unit;
    return rg_xasprintf("%s%s%s%s", m->name, u[0] ? " (" : "", u, u[0] ? ")" : "");
}

/* Writes a y tic format that shows small values (below 10^-3, where %g
 * turns to exponents: costs in USD) as decimals. */
static void put_yformat(FILE *f, double top)
{
    if (top > 0 && top < 1e-3)
        fprintf(f, "set format y \"%%.%df\"\n", (int)ceil(-log10(top)) + 1);
}

/* The points of the sweep in axis order (position, then point). */
static size_t *points_in_order(const swp_ctx *s, const swp_axis *a)
{
    size_t n = s->sw->npoints, *o = rg_xcalloc(n, sizeof *o);
    for (size_t k = 0; k < n; k++) {
        size_t i = k;
        while (i > 0 && a->at[o[i - 1]] > a->at[k]) {
            o[i] = o[i - 1];
            i--;
        }
        o[i] = k;
    }
    return o;
}

/* Where variant v's mean of metric m first reaches 0 (*leaves false) or
 * first leaves it (*leaves true) along the ordered points: the index into
 * order, or SIZE_MAX if it never does; *prev the index of the point with a
 * value before it. */
static size_t zero_change(const swp_ctx *s, const size_t *order, size_t v, size_t m, bool *leaves,
                          size_t *prev)
{
    bool started = false, zero = false;
    for (size_t i = 0; i < s->sw->npoints; i++) {
        double x = swp_summ(s, order[i], v, m)->mean;
        if (!isfinite(x))
            continue;
        if (!started) {
            started = true;
            zero = x == 0;
        } else if ((x == 0) != zero) {
            *leaves = zero;
            return i;
        }
        *prev = i;
    }
    return SIZE_MAX;
}

/* The data file: one block per variant, rows x, mean, mean - ci, mean + ci
 * in display units.  *ylo and *yhi get the extent of the bands. */
static int write_line_data(swp_ctx *s, const swp_page *p, const size_t *order, const char *name,
                           double *ylo, double *yhi)
{
    const swp_axis *a = &s->ax[0];
    double k = rpt_met_scale(&s->c.r->met[p->met]);
    FILE *d = rpt_out_open(&s->c, name);
    if (d == NULL)
        return -1;
    fprintf(d, "# One block per variant (in the order of the plot script), one row per\n"
               "# point in axis order: x, mean, mean - ci95, mean + ci95 (display units;\n"
               "# x the position on a text axis)\n");
    *ylo = INFINITY;
    *yhi = -INFINITY;
    for (size_t v = p->v0; v < p->v0 + p->nv; v++) {
        if (v > p->v0)
            fprintf(d, "\n\n");
        for (size_t i = 0; i < s->sw->npoints; i++) {
            const rg_summary *u = swp_summ(s, order[i], v, p->met);
            double ci = isfinite(u->ci95) ? u->ci95 : 0, y = u->mean * k;
            fprintf(d, "%.10g", axis_x(a, a->at[order[i]]));
            rg_gnuplot_put_num(d, y);
            rg_gnuplot_put_num(d, y - ci * k);
            rg_gnuplot_put_num(d, y + ci * k);
            fputc('\n', d);
            if (isfinite(y)) {
                *ylo = fmin(*ylo, y - ci * k);
                *yhi = fmax(*yhi, y + ci * k);
            }
        }
    }
    return rpt_out_close(&s->c, d, name);
}

/* Dashed markers where a variant's mean first reaches or leaves 0, each
 * labelled in the variant's colour, stacked from the top of the plot. */
static void put_zero_markers(FILE *f, const swp_ctx *s, const swp_page *p, const size_t *order,
                             double xlo, double xhi)
{
    const swp_axis *a = &s->ax[0];
    size_t j = 0;
    for (size_t v = p->v0; v < p->v0 + p->nv; v++) {
        bool leaves = false;
        size_t prev = 0, i = zero_change(s, order, v, p->met, &leaves, &prev);
        if (i == SIZE_MAX)
            continue;
        size_t pos = a->at[order[i]];
        double x = axis_x(a, pos);
        bool right = axis_frac(a, x, xlo, xhi) > 0.6;
        const char *col = rpt_color(v);
        fprintf(f,
                "set arrow from first %.10g, graph 0 to first %.10g, graph 1 nohead dt 2 lw 1.5 "
                "lc rgb \"%s\" front\n",
                x, x, col);
        /* the bracket, as find gives it: the last point before and the first
         * after the change */
        char *was = swp_fmt_value(s, a, a->at[order[prev]]), *val = swp_fmt_value(s, a, pos);
        char *t = rg_xasprintf("%s: %s at %s, %s from %s", s->c.r->varnames[v],
                               leaves ? "0" : "not 0", was, leaves ? "not 0" : "0", val);
        free(was);
        fprintf(f, "set label ");
        rg_gnuplot_put_str(f, t);
        fprintf(f,
                " at first %.10g, graph %.4f %s offset %s,0 textcolor rgb \"%s\" boxed "
                "front noenhanced\n",
                x, 0.95 - 0.06 * (double)(j % 12), right ? "right" : "left", right ? "-0.8" : "0.8",
                col);
        j++;
        free(t);
        free(val);
    }
}

int swp_page_lines(swp_ctx *s, const swp_page *p)
{
    const swp_axis *a = &s->ax[0];
    const rg_results *r = s->c.r;
    size_t *order = points_in_order(s, a);
    char *dat = rg_xasprintf("%s.dat", p->base), *base = rg_xasprintf("plot-%s", p->base);
    double ylo, yhi, xlo, xhi;
    int rc = -1;
    if (write_line_data(s, p, order, dat, &ylo, &yhi) < 0)
        goto out;
    FILE *f = rpt_page_open(&s->c, base, "a metric's mean and 95 % CI against the sweep's axis");
    if (f == NULL)
        goto out;
    char *title = swp_page_title(s, p);
    char *sub = s->nmin == s->nmax
                    ? rg_xasprintf("%s: mean of %" PRIu64 " replications per point; shaded "
                                   "band: 95 %% confidence interval of the mean",
                                   s->c.m->scenario_name ? s->c.m->scenario_name : "sweep", s->nmin)
                    : rg_xasprintf("%s: mean of %" PRIu64 " to %" PRIu64
                                   " replications per point; shaded band: 95 %% confidence "
                                   "interval of the mean",
                                   s->c.m->scenario_name ? s->c.m->scenario_name : "sweep", s->nmin,
                                   s->nmax);
    fprintf(f, "set tmargin 5\nset style textbox opaque noborder margins 1,1\n");
    /* one line each: 15 pt takes about 11 px a character, 11 pt 8 */
    char *t1 = rg_gnuplot_cut(title, 105), *t2 = rg_gnuplot_cut(sub, 145);
    rg_gnuplot_label(f, t1, 0.5, 0.955, "center font \",15\"");
    rg_gnuplot_label(f, t2, 0.5, 0.915, "center textcolor rgb \"#444444\"");
    free(t1);
    free(t2);
    free(title);
    free(sub);
    axis_range(a, &xlo, &xhi);
    put_line_xaxis(f, s, a, xlo, xhi);
    char *yl = met_label(&r->met[p->met]);
    fprintf(f, "set ylabel ");
    rg_gnuplot_put_str(f, yl);
    fprintf(f, " font \",12\"\n");
    free(yl);
    /* From 0 when nothing is negative, 0 lifted off the border so that a
     * curve at 0 stays visible. */
    if (!isfinite(ylo))
        fprintf(f, "set yrange [*:*]\n");
    else if (ylo >= 0) {
        double top = yhi > 0 ? yhi * 1.12 : 1;
        fprintf(f, "set yrange [%.10g:%.10g]\n", -0.03 * top, top);
    } else {
        double pad = yhi > ylo ? 0.06 * (yhi - ylo) : 1;
        fprintf(f, "set yrange [%.10g:%.10g]\n", ylo - pad, yhi + pad);
    }
    put_yformat(f, fmax(fabs(ylo), fabs(yhi)));
    fprintf(f, "set key outside right top vertical Left reverse noenhanced samplen 3 spacing 1.4\n"
               "set grid xtics ytics\n");
    put_zero_markers(f, s, p, order, xlo, xhi);
    fprintf(f, "plot \\\n");
    for (size_t v = p->v0; v < p->v0 + p->nv; v++)
        fprintf(f,
                "    \"%s\" index %zu using 1:3:4 with filledcurves fc rgb \"%s\" "
                "fs transparent solid 0.18 noborder notitle, \\\n",
                dat, v - p->v0, rpt_color(v));
    for (size_t v = p->v0; v < p->v0 + p->nv; v++) {
        size_t i = v - p->v0;
        /* later variants smaller, so one on top of another leaves it seen */
        double ps = fmax(0.7, 2.2 - 0.4 * (double)i);
        fprintf(f, "    \"%s\" index %zu using 1:2 with linespoints lt %zu pt %d ps %.2f title ",
                dat, i, v + 1, point_types[i % NPT], ps);
        rg_gnuplot_put_str(f, r->varnames[v]);
        fprintf(f, "%s", v + 1 < p->v0 + p->nv ? ", \\\n" : "\n");
    }
    rc = rpt_page_close(&s->c, f);
out:
    free(order);
    free(dat);
    free(base);
    return rc;
}

/* ---- page: heatmaps over two axes --------------------------------------- */

/* The point in each cell (i, j) of axes 0 and 1, at position 0 of every
 * other axis, or SIZE_MAX; cell[i * ny + j]. */
static size_t *cells(const swp_ctx *s)
{
    const swp_axis *ax = &s->ax[0], *ay = &s->ax[1];
    size_t n = ax->n * ay->n, *c = rg_xcalloc(n, sizeof *c);
    for (size_t i = 0; i < n; i++)
        c[i] = SIZE_MAX;
    for (size_t k = 0; k < s->sw->npoints; k++) {
        bool held = true;
        for (size_t g = 2; g < s->nax; g++)
            held = held && s->ax[g].at[k] == 0;
        size_t *cell = &c[ax->at[k] * ay->n + ay->at[k]];
        if (held && *cell == SIZE_MAX)
            *cell = k;
    }
    return c;
}

/* The colour range of metric m over every cell and variant, in display
 * units; a single value gets a range around it. */
static void heat_range(const swp_ctx *s, const size_t *cell, size_t m, double *lo, double *hi)
{
    double k = rpt_met_scale(&s->c.r->met[m]);
    size_t n = s->ax[0].n * s->ax[1].n;
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t v = 0; cell[i] != SIZE_MAX && v < s->c.r->nvar; v++) {
            double x = swp_summ(s, cell[i], v, m)->mean * k;
            if (isfinite(x)) {
                *lo = fmin(*lo, x);
                *hi = fmax(*hi, x);
            }
        }
    if (!isfinite(*lo)) {
        *lo = 0;
        *hi = 1;
    } else if (*hi == *lo) {
        double d = *lo != 0 ? fabs(*lo) * 0.5 : 1;
        *lo -= *lo == 0 ? 0 : d;
        *hi += d;
    }
}

/* The data file: per variant two blocks: every cell (i j value, NaN where
 * no point) for the image, then the cells with a value (i j value
 * label-colour) for the labels. */
static int write_heat_data(swp_ctx *s, const swp_page *p, const size_t *cell, const char *name,
                           double lo, double hi)
{
    const swp_axis *ax = &s->ax[0], *ay = &s->ax[1];
    double k = rpt_met_scale(&s->c.r->met[p->met]);
    FILE *d = rpt_out_open(&s->c, name);
    if (d == NULL)
        return -1;
    fprintf(d, "# Per variant (in the order of the plot script) two blocks: every cell as\n"
               "# x-position y-position mean (display units), then the cells with a mean\n"
               "# with the colour of their label.\n");
    for (size_t v = p->v0; v < p->v0 + p->nv; v++) {
        for (int pass = 0; pass < 2; pass++) {
            if (v > p->v0 || pass)
                fprintf(d, "\n\n");
            for (size_t j = 0; j < ay->n; j++) {
                for (size_t i = 0; i < ax->n; i++) {
                    size_t c = cell[i * ay->n + j];
                    double x = c == SIZE_MAX ? NAN : swp_summ(s, c, v, p->met)->mean * k;
                    if (pass && !isfinite(x))
                        continue;
                    fprintf(d, "%zu %zu", i, j);
                    rg_gnuplot_put_num(d, x);
                    if (pass)
                        fprintf(d, " %d", (x - lo) / (hi - lo) > VIRIDIS_LIGHT ? 0 : 0xFFFFFF);
                    fputc('\n', d);
                }
                if (!pass)
                    fputc('\n', d);
            }
        }
    }
    return rpt_out_close(&s->c, d, name);
}

int swp_page_heat(swp_ctx *s, const swp_page *p)
{
    const swp_axis *ax = &s->ax[0], *ay = &s->ax[1];
    const rg_results *r = s->c.r;
    size_t *cell = cells(s);
    char *dat = rg_xasprintf("%s.dat", p->base), *base = rg_xasprintf("plot-%s", p->base);
    double lo, hi;
    int rc = -1;
    heat_range(s, cell, p->met, &lo, &hi);
    if (write_heat_data(s, p, cell, dat, lo, hi) < 0)
        goto out;
    FILE *f = rpt_page_open(&s->c, base, "heatmaps of a metric's mean over the sweep's axes");
    if (f == NULL)
        goto out;
    int rows = p->nv <= 3 ? 1 : 2, cols = (int)((p->nv + (size_t)rows - 1) / (size_t)rows);
    char *title = swp_page_title(s, p);
    char *full =
        s->nmin == s->nmax
            ? rg_xasprintf("%s: mean of %" PRIu64 " replications per point", title, s->nmin)
            : rg_xasprintf("%s: mean of %" PRIu64 " to %" PRIu64 " replications per point", title,
                           s->nmin, s->nmax);
    fprintf(f, "set multiplot layout %d,%d title ", rows, cols);
    rg_gnuplot_put_wrapped(f, full, 105, 2);
    fprintf(f, " font \",15\"\n");
    free(full);
    free(title);
    fprintf(f,
            VIRIDIS "set cbrange [%.10g:%.10g]\n"
                    "set xrange [-0.5:%.1f]\nset yrange [-0.5:%.1f]\n"
                    "unset key\nunset grid\nset tics out nomirror\nset border lc rgb \"#444444\"\n",
            lo, hi, (double)ax->n - 0.5, (double)ay->n - 0.5);
    /* A panel is about 1100/cols by 620/rows px of plot; labels of 11 pt
     * take 8 px a character, 18 px a line. */
    double pw = 1100.0 / cols * 0.75, ph = 620.0 / rows * 0.7;
    double sx = pw / (double)ax->n, sy = ph / (double)ay->n;
    size_t stepx = (size_t)ceil((double)(longest_value(s, ax) * 8 + 8) / sx);
    size_t stepy = (size_t)ceil(18.0 / sy);
    put_position_tics(f, s, ax, "x", stepx ? stepx : 1);
    put_position_tics(f, s, ay, "y", stepy ? stepy : 1);
    char *xl = swp_axis_label(s, ax, true), *yl = swp_axis_label(s, ay, true);
    fprintf(f, "set xlabel ");
    rg_gnuplot_put_str(f, xl);
    fprintf(f, "\nset ylabel ");
    rg_gnuplot_put_str(f, yl);
    fprintf(f, "\n");
    free(xl);
    free(yl);
    bool labels = sx >= 44 && sy >= 16;
    for (size_t v = p->v0; v < p->v0 + p->nv; v++) {
        size_t i = v - p->v0;
        fprintf(f, "set title ");
        rg_gnuplot_put_str(f, r->varnames[v]);
        fprintf(f, " font \",13\" textcolor rgb \"%s\"\n", rpt_color(v));
        fprintf(f, "plot \"%s\" index %zu using 1:2:3 with image notitle", dat, 2 * i);
        if (labels)
            fprintf(f,
                    ", \\\n    \"\" index %zu using 1:2:(num($3)):4 with labels "
                    "textcolor rgb variable font \",10\" notitle",
                    2 * i + 1);
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
    rc = rpt_page_close(&s->c, f);
out:
    free(cell);
    free(dat);
    free(base);
    return rc;
}
