/*
 * told.c: the report page "what the buyers were told against what they
 * hold".  A board member reads it in ten seconds: one row per variant
 * across six panels, the first the units the stores took out of stock
 * beside the units buyers were told were theirs (and the stock), the
 * other five the wrongs between the two, each a bar with its number, a
 * zero in green where nothing went wrong, "n/a" where the variant's stores
 * record no buyers.  Above them one sentence names the variants in which
 * every buyer held exactly what it was told in every replication, and one
 * the variant with the most wrongs and what they were.
 *
 * Everything comes from the metrics in the identity roles (experiment.h),
 * means over the completed replications.  The units taken out of stock
 * are the checker's own identity: per SKU, decremented = told - given back
 * - lost updates + unacknowledged (max(0, a - d) and max(0, d - a) of the
 * same a and d), so their sums, and their means, add up the same way.
 *
 * Layout (the page is 1200 x 750 px, screen coordinates): title and the
 * two sentences at the top, the panels below with one shared row per
 * variant (top row first), the names on the first panel's axis only.
 * Variant names reach the script only through the rg_gnuplot_* writers;
 * told.dat holds numbers only.
 */
#include "reports/told.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "reports/gnuplot.h"
#include "reports/words.h"

/* The metrics the page reads, by role. */
enum { T_TOLD, T_LOST, T_UNACK, T_DUP, T_GHOST, T_EMPTY, T_HELD, T_LSALES, T_N };
static const rg_mrole roles[T_N] = {RG_ROLE_ALLOCATED,    RG_ROLE_LOST_UPDATES, RG_ROLE_UNACK,
                                    RG_ROLE_DUP_UNITS,    RG_ROLE_GHOST_UNITS,  RG_ROLE_TOLD_EMPTY,
                                    RG_ROLE_SOLDOUT_HELD, RG_ROLE_LOST_SALES};

/* The five panels of wrongs: metric, column of told.dat, title (two or
 * three lines of our own words) and what the number counts, for the
 * sentence at the top. */
typedef struct wrong {
    int t;
    const char *title;
    const char *words;
} wrong;
static const wrong wrongs[] = {
    {T_DUP, "Units sold twice\nto one buyer", "units sold twice to one buyer"},
    {T_GHOST, "Units sold that\nno buyer was\ntold of", "units sold that no buyer was told of"},
    {T_EMPTY, "Buyers told\n\"yours\" who\nhold nothing", "buyers told \"yours\" who hold nothing"},
    {T_HELD, "Buyers told\n\"sold out\" who\nhold a unit",
     "buyers told \"sold out\" who hold a unit"},
    {T_LSALES, "Units left while\nbuyers were\nturned away",
     "units left unsold while buyers were turned away"},
};
#define NWRONG (sizeof wrongs / sizeof wrongs[0])

/* The columns of told.dat (1-based, for the script). */
#define COL_ROW 1
#define COL_SOLD 2
#define COL_TOLD 3
#define COL_WRONG0 4 /* wrongs[k] is column COL_WRONG0 + k */

typedef struct tdata {
    int m[T_N];
    int released; /* -1 without reservations */
    double stock; /* NAN if unknown */
    double *sold, *told;
    double *w[NWRONG]; /* NAN: the variant's stores record no buyers */
    double *over;      /* units told "yours" beyond the stock (0 without the role) */
    bool *clean;       /* no wrong, no oversell, no lost update in any replication */
    double smax, wmax[NWRONG];
} tdata;

static double mean_of(const rpt_ctx *c, size_t v, int m)
{
    return m < 0 ? 0.0 : rpt_summ(c, v, (size_t)m)->mean;
}

static void tdata_free(tdata *d)
{
    free(d->sold);
    free(d->told);
    for (size_t k = 0; k < NWRONG; k++)
        free(d->w[k]);
    free(d->over);
    free(d->clean);
}

/* Fills d from the results; false if the page has nothing to show. */
static bool tdata_fill(const rpt_ctx *c, tdata *d)
{
    const rg_results *r = c->r;
    for (int t = 0; t < T_N; t++)
        if ((d->m[t] = rg_results_role(r, roles[t])) < 0)
            return false;
    d->released = rg_results_role(r, RG_ROLE_RELEASED);
    int ks = rg_results_role(r, RG_ROLE_STOCK);
    d->stock = ks >= 0 ? rpt_summ(c, 0, (size_t)ks)->mean : NAN;
    d->sold = rg_xcalloc(r->nvar, sizeof *d->sold);
    d->told = rg_xcalloc(r->nvar, sizeof *d->told);
    d->clean = rg_xcalloc(r->nvar, sizeof *d->clean);
    d->over = rg_xcalloc(r->nvar, sizeof *d->over);
    for (size_t k = 0; k < NWRONG; k++)
        d->w[k] = rg_xcalloc(r->nvar, sizeof *d->w[k]);
    bool any = false;
    for (size_t v = 0; v < r->nvar; v++) {
        d->told[v] = mean_of(c, v, d->m[T_TOLD]);
        d->sold[v] = d->told[v] - mean_of(c, v, d->released) - mean_of(c, v, d->m[T_LOST]) +
                     mean_of(c, v, d->m[T_UNACK]);
        d->smax = fmax(d->smax, fmax(d->sold[v], d->told[v]));
        /* told and held can agree while both are more than the stock
         * holds, or than its counter says: not clean */
        d->over[v] = mean_of(c, v, c->oversell);
        d->clean[v] = rpt_summ(c, v, (size_t)d->m[T_LOST])->max == 0 &&
                      (c->oversell < 0 || rpt_summ(c, v, (size_t)c->oversell)->max == 0);
        for (size_t k = 0; k < NWRONG; k++) {
            /* -1 (every value is one): the stores record no buyers */
            const rg_summary *s = rpt_summ(c, v, (size_t)d->m[wrongs[k].t]);
            bool known = s->max >= 0;
            any = any || (known && wrongs[k].t != T_LSALES);
            d->w[k][v] = known ? s->mean : NAN;
            d->wmax[k] = known ? fmax(d->wmax[k], s->mean) : d->wmax[k];
            d->clean[v] = d->clean[v] && known && s->max == 0;
        }
    }
    return any;
}

/* Writes told.dat: per variant its row (the first variant on top), units
 * taken out of stock, units told "yours", the five wrongs. */
static int told_write(rpt_ctx *c, const tdata *d)
{
    const rg_results *r = c->r;
    FILE *f = rpt_out_open(c, "told.dat");
    if (f == NULL)
        return -1;
    fprintf(f, "# row sold told dup_units ghost_units told_yours_empty told_soldout_held "
               "lost_sales\n# (means per replication; NaN: the stores record no buyers;\n"
               "# rows from the bottom, variants in scenario order from the top)\n");
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(f, "%zu", r->nvar - v);
        rg_gnuplot_put_num(f, d->sold[v]);
        rg_gnuplot_put_num(f, d->told[v]);
        for (size_t k = 0; k < NWRONG; k++)
            rg_gnuplot_put_num(f, d->w[k][v]);
        fputc('\n', f);
    }
    return rpt_out_close(c, f, "told.dat");
}

/* The two sentences above the panels, into *clean and *worst (new
 * strings; any text: variant names). */
static void told_sentences(const rpt_ctx *c, const tdata *d, char **clean, char **worst)
{
    const rg_results *r = c->r;
    rg_buf b = {0};
    size_t nclean = 0;
    for (size_t v = 0; v < r->nvar; v++)
        if (d->clean[v])
            rg_buf_printf(&b, "%s%s", nclean++ ? ", " : "", r->varnames[v]);
    char n[32];
    const char *word = rpt_rep_word(c, c->n != 1);
    rpt_fmt(n, sizeof n, (double)c->n, 6);
    if (nclean == r->nvar)
        *clean = rg_xasprintf("Every buyer held exactly what it was told, within the stock, in "
                              "all %s %s, in every variant.",
                              n, word);
    else if (nclean > 0)
        *clean = rg_xasprintf("Every buyer held exactly what it was told, within the stock, in "
                              "all %s %s: %s.",
                              n, word, b.s);
    else
        *clean = rg_xasprintf("In no variant did every buyer hold exactly what it was told, "
                              "within the stock, in all %s %s.",
                              n, word);
    rg_buf_free(&b);
    /* the worst: the most units and buyers wronged per replication */
    double most = 0;
    size_t wv = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        double sum = d->over[v];
        for (size_t k = 0; k < NWRONG; k++)
            sum += isfinite(d->w[k][v]) ? d->w[k][v] : 0;
        if (sum > most) {
            most = sum;
            wv = v;
        }
    }
    *worst = NULL;
    if (most <= 0)
        return;
    rg_buf_printf(&b, "Most wrongs: %s, per %s on average: ", r->varnames[wv],
                  rpt_rep_word(c, false));
    size_t said = 0;
    if (d->over[wv] > 0) {
        rg_buf_printf(&b, "%s units told \"yours\" beyond the stock",
                      rpt_fmt(n, sizeof n, d->over[wv], 3));
        said++;
    }
    for (size_t k = 0; k < NWRONG; k++)
        if (d->w[k][wv] > 0)
            rg_buf_printf(&b, "%s%s %s", said++ ? ", " : "", rpt_fmt(n, sizeof n, d->w[k][wv], 3),
                          wrongs[k].words);
    rg_buf_printf(&b, ".");
    *worst = b.s;
}

/* Screen geometry of the panels. */
typedef struct geom {
    double left, top, bottom; /* the panels' box */
    double x[NWRONG + 2];     /* panel i spans x[i] .. x[i + 1] - GAP */
} geom;
#define GAP 0.014

static geom told_geom(const rpt_ctx *c)
{
    geom g;
    size_t chars = 6;
    for (size_t v = 0; v < c->r->nvar; v++) {
        size_t n = rg_gnuplot_nchars(c->r->varnames[v]);
        chars = n > chars ? n : chars;
    }
    chars = chars > 26 ? 26 : chars;
    g.left = (24.0 + 7.5 * (double)chars) / 1200.0;
    g.top = 0.74;
    /* rows at most 64 px tall: a few variants do not make fat bars */
    g.bottom = fmax(0.035, g.top - 64.0 * (double)c->r->nvar / RPT_PAGE_H_PX);
    /* the first panel holds two bars a row and the stock: more room */
    double w = 0.985 - g.left, first = 0.26 * w, other = (w - first) / (double)NWRONG;
    g.x[0] = g.left;
    g.x[1] = g.left + first;
    for (size_t k = 1; k <= NWRONG; k++)
        g.x[k + 1] = g.x[k] + other;
    return g;
}

/* The margins and axes of panel i. */
static void panel_head(FILE *f, const geom *g, size_t i, double xmax)
{
    fprintf(f,
            "set lmargin at screen %.4f\nset rmargin at screen %.4f\n"
            "set tmargin at screen %.4f\nset bmargin at screen %.4f\n"
            "set xrange [0:%.10g]\n",
            g->x[i], g->x[i + 1] - GAP, g->top, g->bottom, xmax > 0 ? xmax : 1.0);
}

/* The variant names on the first panel's axis (cut to 26 characters). */
static void name_tics(FILE *f, const rpt_ctx *c, int font)
{
    fprintf(f, "set ytics (");
    for (size_t v = 0; v < c->r->nvar; v++) {
        char *s = rg_gnuplot_cut(c->r->varnames[v], 26);
        fprintf(f, "%s", v ? ", " : "");
        rg_gnuplot_put_str(f, s);
        fprintf(f, " %zu", c->r->nvar - v);
        free(s);
    }
    fprintf(f, ") scale 0 font \",%d\" noenhanced\n", font);
}

static int told_script(rpt_ctx *c, const tdata *d)
{
    const rg_results *r = c->r;
    size_t nv = r->nvar;
    FILE *f = rpt_page_open(c, "plot-told", "what the buyers were told against what they hold");
    if (f == NULL)
        return -1;
    geom g = told_geom(c);
    int font = nv > 24 ? 8 : nv > 14 ? 9 : 10;
    char n[32];
    fprintf(f,
            "set multiplot\n"
            "set label 901 \"What the buyers were told against what they hold: mean per %s over "
            "%s %s\" at screen 0.5,0.955 center font \",15\"\n",
            rpt_rep_word(c, false), rpt_fmt(n, sizeof n, (double)c->n, 6),
            rpt_rep_word(c, c->n != 1));
    char *clean, *worst;
    told_sentences(c, d, &clean, &worst);
    int lines = rg_gnuplot_label_lines(f, clean, 140, 2, 0.02, 0.905, 0.026,
                                       "left font \",11\" textcolor rgb \"#1B5E20\"");
    if (worst != NULL)
        rg_gnuplot_label_lines(f, worst, 140, 2, 0.02, 0.905 - 0.026 * lines, 0.026,
                               "left font \",11\" textcolor rgb \"#8B0000\"");
    free(clean);
    free(worst);
    /* one shared row per variant; a light band behind every other one */
    fprintf(f,
            "unset key\nunset grid\nset border 2 lc rgb \"#888888\"\nunset xtics\n"
            "set yrange [0.4:%zu.6]\n"
            "set style fill solid 0.9 noborder\n"
            "undef(x) = x != x\n",
            nv);
    for (size_t v = 1; v < nv; v += 2)
        fprintf(f,
                "set object %zu rect from graph 0, first %zu.5 to graph 1, first %zu.5 behind "
                "fc rgb \"#eef1f5\" fs solid 1 noborder\n",
                v, nv - v - 1, nv - v);

    /* panel 1: units out of stock and units told "yours", the stock */
    double stock = d->stock;
    double xmax = fmax(d->smax, isfinite(stock) ? stock : 0) * 1.3;
    panel_head(f, &g, 0, xmax);
    name_tics(f, c, font + 1);
    fprintf(f, "set title \"Units taken from the stock (grey)\\nand told \\\"yours\\\" "
               "(blue)\" font \",10.5\"\n");
    if (isfinite(stock))
        fprintf(f,
                "set arrow 1 from first %.10g, graph 0 to first %.10g, graph 1 nohead dt 2 "
                "lw 1.5 lc rgb \"#555555\" front\n"
                "set label 902 \"stock %s\" at first %.10g, graph 0 offset 0,-0.9 center "
                "font \",9\" textcolor rgb \"#555555\"\n",
                stock, stock, rpt_fmt(n, sizeof n, stock, 6), stock);
    fprintf(f,
            "plot \"told.dat\" using (0):($1+0.19):(0):%d:($1+0.03):($1+0.35) with boxxyerror "
            "lc rgb \"#8A8A8A\", \\\n"
            "    \"\" using (0):($1-0.19):(0):%d:($1-0.35):($1-0.03) with boxxyerror "
            "lc rgb \"#0072B2\", \\\n"
            "    \"\" using %d:($1+0.19):(num($%d)) with labels left offset 0.4,0 font \",%d\" "
            "textcolor rgb \"#444444\", \\\n"
            "    \"\" using %d:($1-0.19):(num($%d)) with labels left offset 0.4,0 font \",%d\" "
            "textcolor rgb \"#0072B2\"\n",
            COL_SOLD, COL_TOLD, COL_SOLD, COL_SOLD, font - 1, COL_TOLD, COL_TOLD, font - 1);
    fprintf(f, "unset arrow 1\nunset label 902\nset ytics format \"\"\nunset ytics\n");

    /* panels 2..6: the wrongs, red bars with their number, green zeros.
     * One scale for the five (all count units or buyers): a panel scaled
     * to its own largest value drew 0.07 lost sales as long as 375 ghost
     * units. */
    double wmax = 0;
    for (size_t k = 0; k < NWRONG; k++)
        wmax = fmax(wmax, d->wmax[k]);
    for (size_t k = 0; k < NWRONG; k++) {
        int col = COL_WRONG0 + (int)k;
        panel_head(f, &g, k + 1, wmax * 1.6);
        /* our own words: only the line breaks and quotes need escapes */
        fprintf(f, "set title \"");
        for (const char *p = wrongs[k].title; *p; p++)
            if (*p == '\n')
                fputs("\\n", f);
            else if (*p == '"')
                fputs("\\\"", f);
            else
                fputc(*p, f);
        fprintf(f,
                "\" font \",10.5\"\n"
                "plot \"told.dat\" using (0):1:(0):($%d > 0 ? $%d : NaN):($1-0.3):($1+0.3) "
                "with boxxyerror lc rgb \"#C0392B\", \\\n"
                "    \"\" using ($%d > 0 ? $%d : NaN):1:(num($%d)) with labels left "
                "offset 0.4,0 font \",%d\" textcolor rgb \"#8B0000\", \\\n"
                "    \"\" using ($%d == 0 ? 0 : NaN):1:(\"0\") with labels left offset 0.4,0 "
                "font \",%d\" textcolor rgb \"#1B7A2E\", \\\n"
                "    \"\" using (undef($%d) ? 0 : NaN):1:(\"n/a\") with labels left "
                "offset 0.4,0 font \",%d\" textcolor rgb \"#888888\"\n",
                col, col, col, col, col, font, col, font, col, font);
    }
    fprintf(f, "unset multiplot\n");
    return rpt_page_close(c, f);
}

int rpt_page_told(rpt_ctx *c)
{
    if (c->n == 0 || c->r->nvar == 0)
        return 0;
    tdata d = {0};
    int rc = 0;
    if (tdata_fill(c, &d) && (told_write(c, &d) < 0 || told_script(c, &d) < 0))
        rc = -1;
    tdata_free(&d);
    return rc;
}
