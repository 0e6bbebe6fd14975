/*
 * summary.c: the text pages of the report, drawn by gnuplot as labels in
 * screen coordinates (x and y in [0, 1], y up): the summary page first (a
 * board member reads it in ten seconds: headline, one verdict per variant,
 * the key numbers, the keys the scenario file sets), the model's own check
 * (what its report_extra prints), and last the scenario in full.
 *
 * Each part of a page takes the height y where it starts and returns the
 * one below it.  Widths in characters assume the PNG's fonts: a character of
 * 11 pt sans is about 8 px of the page's 1200, one of 9 pt monospace about
 * 7 px.  Every string from the results goes through the rg_gnuplot_*
 * writers (escaped); the words are words.c's.
 */
#include "reports/pages.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"
#include "reports/words.h"

/* Left edge of every part. */
#define X0 0.04

/* Screen height of a line of text at pt points. */
static double line_h(double pt)
{
    return pt * RPT_LINE_PITCH / RPT_PAGE_H_PX;
}

/* Characters of pt-point sans text that fit in a screen width w (prose:
 * about 0.66 pt per character; keys and values, with more capitals and
 * digits, about 0.72 pt). */
static size_t fit_chars(double w, double pt)
{
    double n = w * 1200.0 / (pt * 0.70);
    return n < 8 ? 8 : (size_t)n;
}

/* The head every text page shares: no axes, screen = data coordinates. */
static void text_head(FILE *f)
{
    fprintf(f, "unset border\nunset tics\nunset key\nunset grid\nset margins 0,0,0,0\n"
               "set xrange [0:1]\nset yrange [0:1]\n");
}

/* Ends a text page: an invisible point makes gnuplot draw the labels. */
static void text_tail(FILE *f)
{
    fprintf(f, "# Nothing to plot: an invisible point makes gnuplot draw the labels.\n"
               "plot -1 notitle\n");
}

/* A light band behind a table row, from y0 to y1. */
static void band(FILE *f, double y0, double y1)
{
    fprintf(f,
            "set object rect from screen %.4f,%.4f to screen 0.98,%.4f fc rgb \"#eef2f6\" "
            "fs solid noborder behind\n",
            X0 - 0.005, y0, y1);
}

/* ---- the summary page --------------------------------------------------- */

/* Title, description, what was run and, for an interrupted run, a warning;
 * then the headline. */
static double sum_head(FILE *f, const rpt_ctx *c, double y)
{
    const rg_meta *m = c->m;
    char *t = rg_gnuplot_cut(m->scenario_name ? m->scenario_name : "(unnamed scenario)", 60);
    rg_gnuplot_label(f, t, X0, y, "left font \",22\"");
    free(t);
    y -= line_h(20);
    if (m->description && m->description[0])
        y -= line_h(12) * rg_gnuplot_label_lines(f, m->description, 125, 2, X0, y, line_h(12),
                                                 "left font \",12\"");
    char n[32];
    char *info = rg_xasprintf("%s %s of each of %zu variant%s  ·  model %s  ·  seed %" PRIu64
                              "  ·  simulated with revguard-sim %s",
                              rpt_fmt(n, sizeof n, (double)c->n, 4), rpt_rep_word(c, c->n != 1),
                              c->r->nvar, c->r->nvar == 1 ? "" : "s", m->model ? m->model : "?",
                              m->seed, m->tool_version ? m->tool_version : "?");
    rg_gnuplot_label(f, info, X0, y, "left font \",10\" textcolor rgb \"#555555\"");
    free(info);
    y -= line_h(11);
    if (!m->complete || c->r->interrupted || c->n < c->r->reps) {
        char *inc =
            rg_xasprintf("INCOMPLETE: interrupted run, %" PRIu64 " of %" PRIu64 " replications",
                         c->n, c->r->reps);
        rg_gnuplot_label(f, inc, X0, y - 0.2 * line_h(13),
                         "left font \",13\" textcolor rgb \"#B00000\"");
        free(inc);
        y -= 1.3 * line_h(13);
    }
    char *h = rpt_headline(c);
    if (h != NULL) {
        y -= 0.5 * line_h(14);
        y -= line_h(14) * rg_gnuplot_label_lines(f, h, fit_chars(0.93, 16.5), 3, X0, y, line_h(14),
                                                 "left font \"sans:Bold,14\"");
        free(h);
    }
    return y;
}

/* One line per variant: a colour swatch, the name, the verdict. */
static double sum_verdicts(FILE *f, const rpt_ctx *c, double y)
{
    const rg_results *r = c->r;
    size_t wname = 4;
    for (size_t v = 0; v < r->nvar; v++) {
        size_t k = rg_gnuplot_nchars(r->varnames[v]);
        wname = k > wname ? k : wname;
    }
    wname = wname > 26 ? 26 : wname;
    double xv = X0 + 0.022 + (double)(wname + 2) * 8.6 / 1200.0;
    size_t width = (size_t)((0.975 - xv) * 1200.0 / (11 * 0.66));
    y -= 0.4 * line_h(12);
    size_t shown = r->nvar < 8 ? r->nvar : 8;
    for (size_t v = 0; v < shown; v++) {
        char opts[96];
        snprintf(opts, sizeof opts, "left font \",15\" textcolor rgb \"%s\"", rpt_color(v));
        rg_gnuplot_label(f, "■", X0, y, opts);
        char *nm = rg_gnuplot_cut(r->varnames[v], wname);
        rg_gnuplot_label(f, nm, X0 + 0.022, y, "left font \"sans:Bold,11\"");
        free(nm);
        char *vd = rpt_verdict(c, v);
        int k = rg_gnuplot_label_lines(f, vd, width, 2, xv, y, line_h(11), "left font \",11\"");
        free(vd);
        y -= line_h(11) * (k + 0.3);
    }
    if (shown < r->nvar) {
        char *more =
            rg_xasprintf("(%zu more variants: see report.html or summary.csv)", r->nvar - shown);
        rg_gnuplot_label(f, more, X0 + 0.022, y, "left");
        free(more);
        y -= line_h(11);
    }
    if (c->extra != NULL && c->extra[strspn(c->extra, " \n")] != '\0') {
        rg_gnuplot_label(f,
                         "The model also checks itself against a closed form or a measurement: "
                         "see the page \"The model's own check\".",
                         X0 + 0.022, y, "left font \",10.5\" textcolor rgb \"#555555\"");
        y -= line_h(11);
    }
    return y;
}

/* Columns of the key numbers: the first nv variants, each colw wide from
 * xt on, right of the row labels; rows of pt points. */
typedef struct sum_cols {
    size_t nv;
    double xt, colw, pt;
} sum_cols;

/* Whether metric m was 0 in every replication of every variant. */
static bool all_zero(const rpt_ctx *c, size_t m)
{
    for (size_t v = 0; v < c->r->nvar; v++) {
        const rg_summary *s = rpt_summ(c, v, m);
        if (s->n == 0 || s->min != 0 || s->max != 0)
            return false;
    }
    return true;
}

/* One row: the label (wrapped onto two lines if need be), then a cell per
 * variant.  Returns the number of lines. */
static int sum_row(FILE *f, const rpt_ctx *c, const sum_cols *cols, size_t m, bool max, bool stripe,
                   double y)
{
    const rg_metric *me = &c->r->met[m];
    char *l = rpt_met_label_unit(c, me), *row;
    if (max)
        row = rg_xasprintf("Most in one %s: %c%s", rpt_rep_word(c, false),
                           (char)(l[0] >= 'A' && l[0] <= 'Z' ? l[0] - 'A' + 'a' : l[0]), l + 1);
    else
        row = rg_xasprintf("%s%s", l, rpt_met_is_quantile(me) ? " †" : "");
    size_t width = fit_chars(cols->xt - X0 - 0.01, cols->pt);
    int k = rg_gnuplot_wrap_count(row, width, 2);
    double lh = line_h(cols->pt);
    if (stripe)
        band(f, y - (k - 0.5) * lh, y + 0.5 * lh);
    char opts[48];
    snprintf(opts, sizeof opts, "left font \",%g\"", cols->pt);
    rg_gnuplot_label_lines(f, row, width, 2, X0, y, lh, opts);
    free(row);
    free(l);
    snprintf(opts, sizeof opts, "center font \",%g\"", cols->pt);
    for (size_t v = 0; v < cols->nv; v++) {
        char *cell = rpt_cell(c, v, m, max);
        rg_gnuplot_label(f, cell, cols->xt + cols->colw * ((double)v + 0.5), y, opts);
        free(cell);
    }
    return k;
}

/* The key numbers: one row per shown metric (and one with the maximum for
 * a metric whose maximum matters), one column per variant (at most six;
 * the rest are in summary.csv and report.html), under the variant names. */
static double sum_table(FILE *f, const rpt_ctx *c, double y)
{
    const rg_results *r = c->r;
    y -= 0.5 * line_h(12);
    char n[32];
    char *head = rg_xasprintf("Key numbers: mean over the %s %s",
                              rpt_fmt(n, sizeof n, (double)c->n, 4), rpt_rep_word(c, c->n != 1));
    rg_gnuplot_label(f, head, X0, y, "left font \",13\"");
    free(head);
    /* many rows: smaller ones, so the keys the file sets still fit */
    size_t nrows = 0;
    for (size_t k = 0; k < c->nshow; k++)
        if (!all_zero(c, c->show[k]))
            nrows += (r->met[c->show[k]].flags & RG_MF_MAX) ? 2 : 1;
    sum_cols cols = {r->nvar < 6 ? r->nvar : 6, r->nvar <= 3 ? 0.46 : 0.40, 0,
                     nrows <= 11   ? 11
                     : nrows <= 14 ? 10
                                   : 9};
    if (cols.nv < r->nvar) {
        char *more = rg_xasprintf("(%zu more variants in summary.csv)", r->nvar - cols.nv);
        rg_gnuplot_label(f, more, 0.98, y, "right");
        free(more);
    }
    cols.colw = cols.nv ? (0.98 - cols.xt) / (double)cols.nv : 0;
    y -= 1.25 * line_h(13);
    int hl = 1;
    for (size_t v = 0; v < cols.nv; v++) {
        double xc = cols.xt + cols.colw * ((double)v + 0.5);
        int k = rg_gnuplot_label_lines(f, r->varnames[v], fit_chars(cols.colw * 0.92, 11), 2, xc, y,
                                       line_h(11), "center font \"sans:Bold,11\"");
        hl = k > hl ? k : hl;
    }
    y -= (hl - 1) * line_h(11);
    for (size_t v = 0; v < cols.nv; v++) {
        double xc = cols.xt + cols.colw * ((double)v + 0.5), hw = fmin(0.05, cols.colw * 0.35);
        fprintf(f,
                "set arrow from screen %.4f,%.4f to screen %.4f,%.4f nohead lw 5 "
                "lc rgb \"%s\"\n",
                xc - hw, y - 0.6 * line_h(11), xc + hw, y - 0.6 * line_h(11), rpt_color(v));
    }
    y -= 1.3 * line_h(11);
    size_t row = 0;
    rg_buf zeros = {0};
    for (size_t k = 0; k < c->nshow; k++) {
        size_t m = c->show[k];
        if (all_zero(c, m)) {
            char *l = rpt_met_label(&r->met[m]);
            l[0] = (char)(l[0] >= 'A' && l[0] <= 'Z' ? l[0] - 'A' + 'a' : l[0]);
            rg_buf_printf(&zeros, "%s%s", zeros.len ? "; " : "", l);
            free(l);
            continue;
        }
        for (int pass = 0; pass < ((r->met[m].flags & RG_MF_MAX) ? 2 : 1); pass++) {
            if (y < 0.1) {
                rg_gnuplot_label(f, "… (more in summary.csv)", X0, y, "left");
                rg_buf_free(&zeros);
                return y - line_h(11);
            }
            y -= line_h(cols.pt) * sum_row(f, c, &cols, m, pass == 1, row++ % 2 == 0, y);
        }
    }
    if (zeros.len) {
        char *z =
            rg_xasprintf("Zero in every %s of every variant: %s.", rpt_rep_word(c, false), zeros.s);
        y -= line_h(cols.pt) * rg_gnuplot_label_lines(f, z, fit_chars(0.94, cols.pt), 2, X0, y,
                                                      line_h(cols.pt), "left font \",10\"");
        free(z);
        rg_buf_free(&zeros);
    }
    char *note = rpt_quantile_note(c);
    if (note != NULL) {
        y -= 0.2 * line_h(10);
        y -= line_h(9.5) * rg_gnuplot_label_lines(f, note, fit_chars(0.94, 9.5), 2, X0, y,
                                                  line_h(9.5),
                                                  "left font \",9.5\" textcolor rgb \"#555555\"");
        free(note);
    }
    return y;
}

/* The keys the scenario file sets, one wrapped item per section, in up to
 * two columns below y; what does not fit is on the last page. */
static void sum_params(FILE *f, const rpt_ctx *c, double y)
{
    char **lines = NULL;
    size_t n = rpt_params_set(c->m->resolved, &lines);
    y -= 0.6 * line_h(12);
    if (n > 0 && y > 0.08) {
        rg_gnuplot_label(f,
                         "What the scenario file sets (everything else is a default: see the "
                         "last page)",
                         X0, y, "left font \",13\"");
        y -= 1.2 * line_h(13);
        const double lh = line_h(9.5), ybot = 0.025;
        /* one column across the page if everything fits, else two */
        double colw = 0.94;
        size_t width = fit_chars(colw, 9.8), total = 0;
        for (size_t i = 0; i < n; i++)
            total += (size_t)rg_gnuplot_wrap_count(lines[i], width, 4);
        if (y - lh * (double)total < ybot) {
            colw = 0.47;
            width = fit_chars(colw - 0.02, 9.8);
        }
        int col = 0;
        double yy = y;
        for (size_t i = 0; i < n; i++) {
            int k = rg_gnuplot_wrap_count(lines[i], width, 4);
            if (yy - lh * (k - 1) < ybot + (i + 1 < n ? lh : 0) && col == 0 && colw < 0.9) {
                col = 1;
                yy = y;
            }
            if (yy - lh * (k - 1) < ybot + (i + 1 < n ? lh : 0)) {
                rg_gnuplot_label(f, "… the rest: last page", X0 + colw * col, yy,
                                 "left font \",9.5\"");
                break;
            }
            yy -= lh * rg_gnuplot_label_lines(f, lines[i], width, 4, X0 + colw * col, yy, lh,
                                              "left font \",9.5\"");
        }
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

int rpt_page_summary(rpt_ctx *c)
{
    FILE *f = rpt_page_open(c, "plot-summary", "summary: what each variant did, in plain words");
    if (f == NULL)
        return -1;
    rpt_page_is_text(c);
    text_head(f);
    double y = sum_head(f, c, 0.945);
    y = sum_verdicts(f, c, y);
    y = sum_table(f, c, y);
    sum_params(f, c, y);
    text_tail(f);
    return rpt_page_close(c, f);
}

/* ---- the model's own check ---------------------------------------------- */

int rpt_page_check(rpt_ctx *c)
{
    const char *x = c->extra;
    while (x && (*x == '\n' || *x == ' '))
        x++;
    if (x == NULL || *x == '\0')
        return 0;
    FILE *f = rpt_page_open(c, "plot-check", "the model's own check");
    if (f == NULL)
        return -1;
    rpt_page_is_text(c);
    text_head(f);
    double y = 0.935;
    rg_gnuplot_label(f, "The model's own check", X0, y, "left font \",20\"");
    y -= line_h(18);
    rg_gnuplot_label(f,
                     "What revguard-sim prints below its summary table for this model, "
                     "recomputed from the results file:",
                     X0, y, "left font \",11\" textcolor rgb \"#555555\"");
    y -= 1.6 * line_h(11);
    /* as large as the longest line allows: it is read from a projector */
    size_t longest = 0;
    for (const char *p = x; *p;) {
        size_t len = strcspn(p, "\n");
        longest = len > longest ? len : longest;
        p += len + (p[len] == '\n');
    }
    const double pt = longest <= 105 ? 12 : 10, lh = line_h(pt);
    char opts[48];
    snprintf(opts, sizeof opts, "left font \"Monospace,%g\"", pt);
    while (*x) {
        size_t len = strcspn(x, "\n");
        char *line = rg_xasprintf("%.*s", (int)len, x);
        x += len + (x[len] == '\n');
        if (y < 0.03) {
            rg_gnuplot_label(f, "… (the rest: the console output of revguard-sim run)", X0, y,
                             "left");
            free(line);
            break;
        }
        char *t = rg_gnuplot_cut(line, 150);
        rg_gnuplot_label(f, t, X0, y, opts);
        free(t);
        free(line);
        y -= lh;
    }
    text_tail(f);
    return rpt_page_close(c, f);
}

/* ---- the scenario in full ----------------------------------------------- */

/* One line of the scenario to draw: text, whether it is a default or a
 * section header, and whether it continues the line before. */
typedef struct sline {
    char *text;
    bool dflt, header;
} sline;

/* The resolved text as lines of at most width characters: defaults marked
 * "(default)" instead of the "; default" comment, long lines wrapped with
 * an indent, blank lines dropped. */
static size_t scn_lines(const char *res, size_t width, sline **out)
{
    static const char mark[] = "; default";
    size_t n = 0, cap = 0;
    *out = NULL;
    for (const char *p = res; *p;) {
        size_t len = strcspn(p, "\n");
        char *line = rg_xasprintf("%.*s", (int)len, p);
        p += len + (p[len] == '\n');
        size_t l = strlen(line);
        while (l > 0 && (line[l - 1] == ' ' || line[l - 1] == '\r'))
            line[--l] = '\0';
        if (l == 0) {
            free(line);
            continue;
        }
        bool dflt = false;
        if (l >= sizeof mark - 1 && strcmp(line + l - (sizeof mark - 1), mark) == 0) {
            dflt = true;
            line[l - (sizeof mark - 1)] = '\0';
            for (l = strlen(line); l > 0 && line[l - 1] == ' ';)
                line[--l] = '\0';
            char *d = rg_xasprintf("%s  (default)", line);
            free(line);
            line = d;
        }
        bool header = line[0] == '[';
        char *clean = rg_gnuplot_cut(line, 100000), *q = clean;
        free(line);
        for (bool first = true; *q; first = false) {
            size_t room = first ? width : width - 4, k = 0, bytes = 0, at_space = 0, k_space = 0;
            while (q[bytes] && k < room) {
                if (q[bytes] == ' ' && k > room / 2) {
                    at_space = bytes;
                    k_space = k;
                }
                bytes++;
                while (((unsigned char)q[bytes] & 0xc0) == 0x80)
                    bytes++;
                k++;
            }
            /* break at the last space of the line's second half */
            if (q[bytes] && at_space > 0 && k_space > 0)
                bytes = at_space + 1;
            rg_xgrow((void **)out, &cap, n + 1, sizeof **out);
            (*out)[n++] =
                (sline){rg_xasprintf("%s%.*s", first ? "" : "    ", (int)bytes, q), dflt, header};
            q += bytes;
        }
        free(clean);
    }
    return n;
}

int rpt_page_scenario(rpt_ctx *c)
{
    const char *res = c->m->resolved;
    if (res == NULL || res[0] == '\0')
        return 0;
    const size_t cols = 3, width = 51;
    const double top = 0.875, lh = line_h(8.5), colw = 0.315, ybot = 0.02;
    sline *ln = NULL;
    size_t n = scn_lines(res, width, &ln), i = 0;
    int rc = 0;
    for (int page = 1; rc == 0 && i < n; page++) {
        char *base =
            page == 1 ? rg_xstrdup("plot-scenario") : rg_xasprintf("plot-scenario-%d", page);
        FILE *f = rpt_page_open(c, base, "the scenario in full, as it ran");
        free(base);
        if (f == NULL) {
            rc = -1;
            break;
        }
        rpt_page_is_text(c);
        text_head(f);
        rg_gnuplot_label(f, page == 1 ? "The scenario in full" : "The scenario in full (continued)",
                         X0, 0.945, "left font \",20\"");
        rg_gnuplot_label(f,
                         "Every key the run used, resolved: black the file's own values, grey "
                         "the defaults it did not set.",
                         X0, 0.905, "left font \",11\" textcolor rgb \"#555555\"");
        for (size_t col = 0; col < cols && i < n; col++) {
            double y = top;
            for (size_t row = 0; y >= ybot && i < n; row++, i++) {
                /* a section header never ends a column */
                if (ln[i].header && row > 0 && y - 2.4 * lh < ybot)
                    break;
                if (ln[i].header && row > 0)
                    y -= 0.4 * lh;
                const char *opts = ln[i].header ? "left font \"Monospace:Bold,8.5\""
                                   : ln[i].dflt ? "left font \"Monospace,8.5\" textcolor rgb "
                                                  "\"#8a8a8a\""
                                                : "left font \"Monospace,8.5\"";
                rg_gnuplot_label(f, ln[i].text, X0 + colw * (double)col, y, opts);
                y -= lh;
            }
        }
        text_tail(f);
        rc = rpt_page_close(c, f);
    }
    for (size_t k = 0; k < n; k++)
        free(ln[k].text);
    free(ln);
    return rc;
}
