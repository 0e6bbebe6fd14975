/*
 * rptout.c: the output every page of the report shares.  It creates and
 * closes the files of the report directory, opens a page script with the
 * common head (terminal, palette, line styles) and registers the page for
 * report.gp, and says how a metric is titled and scaled for display.
 * report.c and pages.c build on it; it knows neither, so the pages need
 * nothing from the report as a whole (rptout.h is the contract).
 */
#include "reports/rptout.h"

#include "reports/gnuplot.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Colour-blind-safe palette (Okabe and Ito), one per variant, cycled.  The
 * first three differ for every kind of colour blindness: blue, vermillion,
 * reddish purple (blue and bluish green, the next, are alike to a
 * tritanope, so they are not neighbours).  Yellow is left out (unreadable
 * on white), and lines also differ by dash type (rpt_dash), so no two
 * variants rely on hue alone. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#CC79A7", "#009E73",
                                      "#56B4E9", "#E69F00", "#000000", "#999999"};
#define NPALETTE (sizeof palette / sizeof palette[0])
/* gnuplot dash types: solid, dashes, dash-dot, dash-dot-dot (dots are the
 * reference lines' own) */
static const int dashes[] = {1, 2, 4, 5, 1, 2, 4, 5};

const char *rpt_color(size_t v)
{
    return palette[v % NPALETTE];
}

int rpt_dash(size_t v)
{
    return dashes[v % NPALETTE];
}

/* ---- metrics ------------------------------------------------------------ */

double rpt_met_scale(const rg_metric *m)
{
    return (m->flags & RG_MF_MS) ? 1e3 : (m->flags & RG_MF_PROB) ? 100.0 : 1.0;
}

/* The unit a metric is shown in ("" for plain counts). */
static const char *met_unit(const rg_metric *m)
{
    if (m->flags & RG_MF_MS)
        return "ms";
    if (m->flags & RG_MF_PROB)
        return "%";
    if (m->unit == NULL || strcmp(m->unit, "1") == 0)
        return "";
    return m->unit;
}

/* A readable title for a metric: its description (or name), capitalised,
 * with the unit in parentheses.  Free with free(). */
char *rpt_met_title(const rg_metric *m)
{
    const char *u = met_unit(m);
    char *t = rg_xasprintf("%s%s%s%s", m->desc && m->desc[0] ? m->desc : m->name, u[0] ? " (" : "",
                           u, u[0] ? ")" : "");
    if (t[0] >= 'a' && t[0] <= 'z')
        t[0] = (char)(t[0] - 'a' + 'A');
    return t;
}

void rpt_log_ms_tics(FILE *f, const char *axis, double lo, double hi)
{
    rpt_log_tics(f, axis, lo, hi, true);
}

void rpt_log_tics(FILE *f, const char *axis, double lo, double hi, bool ms)
{
    static const double steps[] = {1, 2, 5};
    int every = log10(hi / lo) > 4 ? 3 : 1; /* only the powers of ten */
    fprintf(f, "set logscale %s 10\nset m%stics 10\nset %stics (", axis, axis, axis);
    bool first = true;
    for (int d = (int)floor(log10(lo)) - 1; d <= (int)ceil(log10(hi)); d++)
        for (int k = 0; k < 3; k += every) {
            double x = steps[k] * pow(10.0, d);
            if (x < lo * 0.999 || x > hi * 1.001)
                continue;
            char lab[32];
            if (!ms)
                snprintf(lab, sizeof lab, "%g", x);
            else if (x >= 1000)
                snprintf(lab, sizeof lab, "%g s", x / 1000);
            else if (x >= 1)
                snprintf(lab, sizeof lab, "%g ms", x);
            else
                snprintf(lab, sizeof lab, "%g µs", x * 1000);
            fprintf(f, "%s\"%s\" %.10g", first ? "" : ", ", lab, x);
            first = false;
        }
    fprintf(f, ")\n");
}

/* Writes `set xtics ("a" 1, "b" 2, ...)` naming the variants at x = 1..nvar
 * in a panel `panel_frac` of the page wide.  Names too long for their slot
 * are wrapped onto up to three lines (a character of 11 pt is about 8 px of
 * the 1200; axis margins take ~90 px), and the bottom margin is made room
 * for them: multiplot does not do that by itself. */
void rpt_variant_tics(FILE *f, const rpt_ctx *c, double panel_frac)
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

/* ---- files and page heads ----------------------------------------------- */

FILE *rpt_out_open(rpt_ctx *c, const char *name)
{
    char *p = rg_xasprintf("%s/%s", c->dir, name);
    FILE *f = fopen(p, "w");
    if (f == NULL)
        rg_err_set(c->e, RG_ERR_IO, "%s: cannot create: %s", p, strerror(errno));
    free(p);
    return f;
}

int rpt_out_close(rpt_ctx *c, FILE *f, const char *name)
{
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return rg_err_set(c->e, RG_ERR_IO, "%s/%s: write failed: %s", c->dir, name,
                          strerror(errno));
    return 0;
}

/* Opens page script <base>.gp, registers the page, and writes the common
 * head: the PNG terminal unless report.gp (which sets rg_pdf) loads it, and
 * the line styles.  `what` is our own text, never user input. */
void rpt_ctx_free_pages(rpt_ctx *c)
{
    for (size_t i = 0; i < c->npages; i++) {
        free(c->pages[i]);
        free(c->titles[i]);
    }
    free(c->pages);
    free(c->titles);
    free(c->text);
    free(c->show);
}

FILE *rpt_page_open(rpt_ctx *c, const char *base, const char *what)
{
    char *name = rg_xasprintf("%s.gp", base);
    FILE *f = rpt_out_open(c, name);
    free(name);
    if (f == NULL)
        return NULL;
    c->pages = rg_xrealloc(c->pages, (c->npages + 1) * sizeof *c->pages);
    c->titles = rg_xrealloc(c->titles, (c->npages + 1) * sizeof *c->titles);
    c->text = rg_xrealloc(c->text, (c->npages + 1) * sizeof *c->text);
    c->titles[c->npages] = rg_xstrdup(what);
    c->titles[c->npages][0] = (char)toupper((unsigned char)what[0]);
    c->text[c->npages] = false;
    c->pages[c->npages++] = rg_xstrdup(base);
    fprintf(f,
            "# %s.gp: %s.\n"
            "# Written by revguard-sim report.  To restyle, edit this file and run\n"
            "# 'gnuplot %s.gp' in this directory (redraws %s.png), then\n"
            "# 'gnuplot report.gp' (redraws report.pdf) and 'gnuplot report-svg.gp'\n"
            "# (redraws the SVG pictures of report.html; rerun 'revguard-sim report'\n"
            "# to rebuild report.html itself).\n"
            "if (exists(\"rg_svg\")) {\n"
            "    set terminal " RPT_SVG_TERM "\n"
            "    set output \"%s.svg\"\n"
            "} else {\n"
            "    if (!exists(\"rg_pdf\")) {\n"
            "        set terminal " RPT_PNG_TERM "\n"
            "        set output \"%s.png\"\n"
            "    }\n"
            "}\n"
            "set termoption noenhanced\n"
            "set encoding utf8\n",
            base, what, base, base, base, base);
    for (size_t i = 0; i < NPALETTE; i++)
        fprintf(f, "set linetype %zu lc rgb \"%s\" lw 2 pt 7 ps 1\n", i + 1, palette[i]);
    fprintf(f,
            "set linetype cycle %zu\n"
            "set border lc rgb \"#444444\"\n"
            "set grid lc rgb \"#dddddd\" lw 1 dt 1\n"
            "set key noenhanced\n"
            "# Number format of the value labels on bars.\n"
            "num(x) = abs(x) >= 1000 ? sprintf(\"%%.0f\", x) : sprintf(\"%%.3g\", x)\n",
            NPALETTE);
    return f;
}

void rpt_page_is_text(rpt_ctx *c)
{
    RG_ASSERT(c->npages > 0);
    c->text[c->npages - 1] = true;
}

int rpt_page_close(rpt_ctx *c, FILE *f)
{
    char *name = rg_xasprintf("%s.gp", c->pages[c->npages - 1]);
    int rc = rpt_out_close(c, f, name);
    free(name);
    return rc;
}
