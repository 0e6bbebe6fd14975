/*
 * anim.c: the live moment of the stories' demo, replayed from the results:
 * live.gif, an animated GIF (gnuplot's gif terminal, animate) of the
 * timeline of replication 0, every variant's counter a bar climbing side by
 * side, the stock a red line across them, and each bar that passes the
 * stock labelled with how far ("+25 over the stock").  The clock runs
 * slower at the start (frame k shows time t_end ((k+1)/N)^2), so a drop that
 * is over in 300 ms gets a quarter of the frames beside one that takes
 * seconds; every frame says its time.
 *
 * Files: anim.dat (one block per frame: variant index, counter, amount over
 * the stock), live.gp (the script; "# frames: N" in its head says how many
 * frames live.gif has: 62 of 90 ms, about 700 KB).  gnuplot's "optimize"
 * would make it 100 KB but writes colour indices that ImageMagick rejects
 * and browsers draw black: it is not used.  Variant names reach the script
 * escaped.
 */
#include "reports/pages.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"
#include "reports/words.h"

/* Frames of the climb, and copies of the last frame (a pause before the
 * GIF loops). */
#define CLIMB_FRAMES 50
#define HOLD_FRAMES 12

/* Counter a of variant v at time t (seconds): its last point at or before t. */
static int64_t value_at(const rg_results *r, size_t v, double t)
{
    int64_t a = 0;
    for (size_t i = 0; i < r->ntl[v] && r->tl[v][i].t <= t; i++)
        a = r->tl[v][i].a;
    return a;
}

/* The time of the last change of any counter a, in seconds. */
static double last_change(const rg_results *r)
{
    double t = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        int64_t prev = 0;
        for (size_t i = 0; i < r->ntl[v]; i++) {
            if (r->tl[v][i].a != prev)
                t = fmax(t, r->tl[v][i].t);
            prev = r->tl[v][i].a;
        }
    }
    return t;
}

/* Writes anim.dat for frame times T[0..n-1]; *amax gets the highest count. */
static int anim_data(rpt_ctx *c, const double *T, size_t n, double stock, int64_t *amax)
{
    const rg_results *r = c->r;
    FILE *d = rpt_out_open(c, "anim.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# live.gif: one block per frame; variant_index count over_the_stock\n");
    *amax = 0;
    for (size_t k = 0; k < n; k++) {
        fprintf(d, "%s# frame %zu\n", k ? "\n\n" : "", k);
        for (size_t v = 0; v < r->nvar; v++) {
            if (r->ntl[v] == 0)
                continue;
            int64_t a = value_at(r, v, T[k]);
            double over = isfinite(stock) && (double)a > stock ? (double)a - stock : 0;
            fprintf(d, "%zu %" PRId64 " %.10g\n", v, a, over);
            *amax = a > *amax ? a : *amax;
        }
    }
    return rpt_out_close(c, d, "anim.dat");
}

int rpt_anim(rpt_ctx *c)
{
    const rg_results *r = c->r;
    size_t have = 0;
    for (size_t v = 0; v < r->nvar; v++)
        have += r->ntl[v] > 0;
    double tend = last_change(r);
    if (have == 0 || !(tend > 0))
        return 0;
    int ks = rg_results_role(r, RG_ROLE_STOCK);
    double stock = ks >= 0 && c->n > 0 ? rg_results_value(r, 0, 0, (size_t)ks) : NAN;
    const size_t n = CLIMB_FRAMES + HOLD_FRAMES;
    double T[CLIMB_FRAMES + HOLD_FRAMES];
    for (size_t k = 0; k < n; k++) {
        double x = k < CLIMB_FRAMES ? (double)(k + 1) / CLIMB_FRAMES : 1.0;
        T[k] = tend * 1.02 * x * x;
    }
    int64_t amax;
    if (anim_data(c, T, n, stock, &amax) < 0)
        return -1;

    FILE *f = rpt_out_open(c, "live.gp");
    if (f == NULL)
        return -1;
    fprintf(f,
            "# live.gp: the counters of replication 0 climbing, into live.gif.\n"
            "# Written by revguard-sim report; run 'gnuplot live.gp' in this directory.\n"
            "# frames: %zu\n"
            "set terminal gif animate delay 9 loop 0 size 720,405 font \"sans,10\" noenhanced\n"
            "set output \"live.gif\"\n"
            "set encoding utf8\n",
            n);
    for (size_t v = 0; v < 8; v++)
        fprintf(f, "set linetype %zu lc rgb \"%s\"\n", v + 1, rpt_color(v));
    double ymax = fmax((double)amax, isfinite(stock) ? stock : 0) * 1.25;
    fprintf(f,
            "set style fill solid 0.9 border lc rgb \"#333333\"\n"
            "set boxwidth 0.6 absolute\n"
            "set grid noxtics ytics lc rgb \"#dddddd\"\n"
            "set border 3 lc rgb \"#444444\"\n"
            "set tics nomirror\n"
            "unset key\n"
            "set yrange [0:%.10g]\n"
            "set ylabel ",
            ymax > 0 ? ymax : 1.0);
    char *yl = rg_xasprintf("%s so far", r->tlnames[0] ? r->tlnames[0] : "count");
    rg_gnuplot_put_str(f, yl);
    free(yl);
    fprintf(f, "\nset xrange [0.4:%zu.6]\nset xtics (", r->nvar);
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(f, "%s", v ? ", " : "");
        rg_gnuplot_put_wrapped(f, r->varnames[v], 16, 2);
        fprintf(f, " %zu", v + 1);
    }
    fprintf(f, ") font \",12\"\n");
    if (isfinite(stock)) {
        char s[32];
        fprintf(f,
                "set arrow from graph 0, first %.10g to graph 1, first %.10g nohead lw 3 dt 2 "
                "lc rgb \"#B00000\" front\n"
                "set ytics add (\"stock %s\" %.10g)\n",
                stock, stock, rpt_fmt(s, sizeof s, stock, 6), stock);
    }
    fprintf(f, "array T[%zu] = [", n);
    for (size_t k = 0; k < n; k++)
        fprintf(f, "%s%.6g", k ? "," : "", T[k] * 1e3);
    fprintf(f,
            "]\n"
            "clock(t) = t >= 1000 ? sprintf(\"%%.2f s\", t / 1000) : t >= 10 ? "
            "sprintf(\"%%.0f ms\", t) : t >= 1 ? sprintf(\"%%.1f ms\", t) : "
            "sprintf(\"%%.2f ms\", t)\n"
            "# Every frame says its time (the clock, then a countdown to the replay).\n"
            "do for [k = 0:%zu] {\n"
            "    if (k < %d) {\n"
            "        set title sprintf(\"The first %s (replication 0): %%s after the start\", "
            "clock(T[k + 1])) font \",15\"\n"
            "    } else {\n"
            "        set title sprintf(\"The first %s: over after %%s (again in %%.2f s)\", "
            "clock(T[k + 1]), (%zu - k) * 0.09) font \",15\"\n"
            "    }\n"
            "    plot \"anim.dat\" index k using ($1+1):2:($1+1) with boxes lc variable, \\\n"
            "         \"\" index k using ($1+0.7):(0):(0.6):(0):($1+1) with vectors nohead lw 8 "
            "lc variable, \\\n"
            "         \"\" index k using ($1+1):2:(sprintf(\"%%d\", $2)) with labels "
            "offset 0,0.9 font \",15\", \\\n"
            "         \"\" index k using ($1+1):($3 > 0 ? $2 : NaN):(sprintf(\"+%%d over the "
            "stock\", $3)) with labels offset 0,2.3 font \",13\" textcolor rgb \"#B00000\"\n"
            "}\n"
            "unset output\n",
            n - 1, CLIMB_FRAMES, rpt_rep_word(c, false), rpt_rep_word(c, false), n);
    if (rpt_out_close(c, f, "live.gp") < 0)
        return -1;
    c->anim = true;
    return 0;
}
