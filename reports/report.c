/*
 * report.c: the report writer.  From results in memory it writes, into one
 * directory, a data file (.dat) and a gnuplot script (.gp) per page, then runs
 * gnuplot once per script (one PNG each) and once on report.gp, which loads
 * every page script in turn into the multi-page report.pdf.  summary.csv holds
 * the key numbers; gnuplot.log whatever gnuplot said.
 *
 * Pages, each only when its data exist: the summary (text), the allocation
 * timeline of replication 0, the oversell histogram, the latency CDF, latency
 * and oversell side by side, mean ± 95 % CI bars of every shown metric (models
 * without an "oversell" metric), and the distribution of every shown metric
 * over replications.
 *
 * Safety: strings from the results (scenario, variant and metric texts) go
 * only into scripts, always escaped (rg_report_escape, via put_str, put_wrapped
 * and label), never into comments or data files; data files hold numbers
 * only.  Every script sets
 * `noenhanced`.  gnuplot runs with fork/execv in the output directory with
 * -d (no init files), so a page redraws the same from `gnuplot plot-x.gp`.
 */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "stats.h"

#ifndef GNUPLOT_PATH
#define GNUPLOT_PATH ""
#endif

/* Page geometry.  The PDF page has the PNG's aspect ratio and a fontscale
 * that makes text take the same share of a page in both (measured), so the
 * layout computed for the PNG fits both.  In the PNG a character of 11 pt
 * sans is about 8 px wide, one of 9 pt monospace about 7 px. */
#define PNG_TERM "pngcairo size 1200,750 font \"sans,11\" noenhanced"
#define PDF_TERM "pdfcairo size 11in,6.875in font \"sans,11\" fontscale 0.66 noenhanced"
#define PAGE_H_PX 750.0
#define LINE_PITCH 1.7 /* line spacing / font size */

/* Colour-blind-safe palette (Okabe and Ito), one per variant, cycled. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                      "#E69F00", "#56B4E9", "#000000", "#999999"};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* 95 % CI bars: plot style for using x:(mean-ci):(0):(2*ci).  Vectors, because
 * gnuplot 5.4 leaves a gap in the middle of error bars. */
#define CI_BARS "with vectors heads size screen 0.008,90 lc rgb \"#000000\" lw 1 notitle"

typedef struct ctx {
    const rg_results *r;
    const rg_meta *m;
    const char *dir;
    uint64_t n;      /* completed replications */
    rg_summary *sum; /* [v * nmet + k] */
    size_t *show;    /* indices of the shown metrics */
    size_t nshow;
    int oversell; /* metric index or -1 */
    char **pages; /* page base names, in page order */
    size_t npages;
    rg_err *e;
} ctx;

/* ---- strings ------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p (2 to 4 bytes), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        if (p[0] == 0xe0)
            lo = 0xa0; /* overlong */
        if (p[0] == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        if (p[0] == 0xf0)
            lo = 0x90;
        if (p[0] == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* A copy of s as one line of printable text: C0 and C1 control characters
 * and DEL become spaces, bytes that are not valid UTF-8 become '?'. */
static char *clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char *d = rg_xmalloc(strlen(s) + 1), *o = d;
    while (*p) {
        size_t len = *p < 0x80 ? 1 : utf8_len(p);
        if (*p < 0x20 || *p == 0x7f || (len == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
            *o++ = ' ';
            p += len ? len : 1;
        } else if (len == 0) {
            *o++ = '?';
            p++;
        } else {
            memcpy(o, p, len);
            o += len;
            p += len;
        }
    }
    *o = '\0';
    return d;
}

/* Appends clean text s escaped for a double-quoted gnuplot string.  The
 * backquote must go: gnuplot substitutes `cmd` even inside double quotes. */
static void esc_clean(rg_buf *b, const char *s)
{
    rg_buf_printf(b, "%s", "");
    for (; *s; s++) {
        switch (*s) {
        case '\\': rg_buf_printf(b, "\\\\"); break;
        case '"': rg_buf_printf(b, "\\\""); break;
        case '`': rg_buf_printf(b, "\\140"); break;
        case '@': rg_buf_printf(b, "\\100"); break;
        default: rg_buf_printf(b, "%c", *s);
        }
    }
}

char *rg_report_escape(const char *s)
{
    rg_buf b = {0};
    char *c = clean(s);
    esc_clean(&b, c);
    free(c);
    return b.s;
}

/* Number of characters (code points) of UTF-8 text s. */
static size_t nchars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Byte offset of character k of s (or strlen(s)). */
static size_t char_off(const char *s, size_t k)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && k-- == 0)
            break;
    return i;
}

/* A clean copy of s cut to at most max characters, ending in "…" if cut. */
static char *cut(const char *s, size_t max)
{
    char *c = clean(s);
    if (nchars(c) > max && max > 1) {
        size_t o = char_off(c, max - 1);
        c = rg_xrealloc(c, o + sizeof "…");
        memcpy(c + o, "…", sizeof "…");
    }
    return c;
}

/* Writes s (any text) as a quoted, escaped gnuplot string. */
static void put_str(FILE *f, const char *s)
{
    char *x = rg_report_escape(s);
    fprintf(f, "\"%s\"", x);
    free(x);
}

#define MAX_LINES 4

/* Splits clean text s into lines of at most width characters, at most
 * maxlines (<= MAX_LINES) of them, the last one ending in "…" if text is
 * left.  Lines break at spaces, after '-', '_', '/' and '.', or inside a word
 * longer than a line.  Returns the number of lines, each a new string. */
static int wrap_split(const char *s, size_t width, int maxlines, char **out)
{
    int n = 0;
    RG_ASSERT(maxlines <= MAX_LINES && width > 0);
    while (*s == ' ')
        s++;
    while (*s && n < maxlines) {
        size_t brk = strlen(s);
        if (nchars(s) > width) {
            size_t lim = char_off(s, width);
            brk = s[lim] == ' ' ? lim : 0;
            for (size_t i = lim; brk == 0 && i > 0; i--)
                if (s[i] == ' ' || strchr("-_/.", s[i - 1]) != NULL)
                    brk = i;
            if (brk == 0)
                brk = lim;
        }
        char *line = rg_xmalloc(brk + sizeof " …");
        memcpy(line, s, brk);
        line[brk] = '\0';
        s += brk;
        while (*s == ' ')
            s++;
        if (n + 1 == maxlines && *s)
            strcat(line, " …");
        out[n++] = line;
    }
    return n;
}

/* Writes s (any text) as one quoted gnuplot string, wrapped as by
 * wrap_split with \n escapes between the lines.  Returns the line count. */
static int put_wrapped(FILE *f, const char *s, size_t width, int maxlines)
{
    char *c = clean(s), *lines[MAX_LINES];
    int n = wrap_split(c, width, maxlines, lines);
    rg_buf b = {0};
    rg_buf_printf(&b, "%s", "");
    for (int i = 0; i < n; i++) {
        if (i)
            rg_buf_printf(&b, "\\n");
        esc_clean(&b, lines[i]);
        free(lines[i]);
    }
    fprintf(f, "\"%s\"", b.s);
    rg_buf_free(&b);
    free(c);
    return n;
}

/* ---- metrics and numbers ------------------------------------------------ */

static double met_scale(const rg_metric *m)
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
static char *met_title(const rg_metric *m)
{
    const char *u = met_unit(m);
    char *t = rg_xasprintf("%s%s%s%s", m->desc && m->desc[0] ? m->desc : m->name, u[0] ? " (" : "",
                           u, u[0] ? ")" : "");
    if (t[0] >= 'a' && t[0] <= 'z')
        t[0] = (char)(t[0] - 'a' + 'A');
    return t;
}

/* "12.3 ± 0.45": mean and CI half-width of summary s in the metric's display
 * unit (which the row label names). */
static void fmt_mean(char *buf, size_t n, const rg_metric *m, const rg_summary *s)
{
    double k = met_scale(m);
    if (isnan(s->mean))
        snprintf(buf, n, "n/a");
    else if (isnan(s->ci95))
        snprintf(buf, n, fabs(s->mean * k) >= 1000 ? "%.0f" : "%.4g", s->mean * k);
    else if (fabs(s->mean * k) >= 1000)
        snprintf(buf, n, "%.0f ± %.0f", s->mean * k, s->ci95 * k);
    else
        snprintf(buf, n, "%.4g ± %.2g", s->mean * k, s->ci95 * k);
}

/* A number for people: 3 significant digits, no exponent up to 10^15.
 * Returns buf. */
static const char *fmt_num(char *buf, size_t n, double x)
{
    snprintf(buf, n, fabs(x) >= 1000 && fabs(x) < 1e15 ? "%.0f" : "%.3g", x);
    return buf;
}

/* Writes a number for a data file; gnuplot reads "NaN" as undefined. */
static void put_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, " %.10g", x);
    else
        fprintf(f, " NaN");
}

static double ci_or_zero(double ci)
{
    return isfinite(ci) ? ci : 0.0;
}

static const rg_summary *summ(const ctx *c, size_t v, size_t m)
{
    return &c->sum[v * c->r->nmet + m];
}

/* ---- files -------------------------------------------------------------- */

/* mkdir -p. */
static int make_dir(const char *dir, rg_err *e)
{
    char *d = rg_xstrdup(dir);
    int rc = 0;
    for (char *p = d + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char was = *p;
        *p = '\0';
        if (mkdir(d, 0777) < 0 && errno != EEXIST) {
            rc = rg_err_set(e, RG_ERR_IO, "cannot create directory %s: %s", d, strerror(errno));
            break;
        }
        *p = was;
        if (was == '\0')
            break;
    }
    free(d);
    struct stat st;
    if (rc == 0 && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
        rc = rg_err_set(e, RG_ERR_IO, "%s: not a directory", dir);
    return rc;
}

static FILE *out_open(ctx *c, const char *name)
{
    char *p = rg_xasprintf("%s/%s", c->dir, name);
    FILE *f = fopen(p, "w");
    if (f == NULL)
        rg_err_set(c->e, RG_ERR_IO, "%s: cannot create: %s", p, strerror(errno));
    free(p);
    return f;
}

static int out_close(ctx *c, FILE *f, const char *name)
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
static FILE *page_open(ctx *c, const char *base, const char *what)
{
    char *name = rg_xasprintf("%s.gp", base);
    FILE *f = out_open(c, name);
    free(name);
    if (f == NULL)
        return NULL;
    c->pages = rg_xrealloc(c->pages, (c->npages + 1) * sizeof *c->pages);
    c->pages[c->npages++] = rg_xstrdup(base);
    fprintf(f,
            "# %s.gp: %s.\n"
            "# Written by revguard-sim report.  To restyle, edit this file and run\n"
            "# 'gnuplot %s.gp' in this directory (redraws %s.png), then\n"
            "# 'gnuplot report.gp' (redraws report.pdf).\n"
            "if (!exists(\"rg_pdf\")) {\n"
            "    set terminal " PNG_TERM "\n"
            "    set output \"%s.png\"\n"
            "}\n"
            "set termoption noenhanced\n"
            "set encoding utf8\n",
            base, what, base, base, base);
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

static int page_close(ctx *c, FILE *f)
{
    char *name = rg_xasprintf("%s.gp", c->pages[c->npages - 1]);
    int rc = out_close(c, f, name);
    free(name);
    return rc;
}

/* Writes `set xtics ("a" 1, "b" 2, ...)` naming the variants at x = 1..nvar
 * in a panel `panel_frac` of the page wide.  Names too long for their slot
 * are wrapped onto up to three lines (a character of 11 pt is about 8 px of
 * the 1200; axis margins take ~90 px), and the bottom margin is made room
 * for them: multiplot does not do that by itself. */
static void put_variant_tics(FILE *f, const ctx *c, double panel_frac)
{
    int lines = 1;
    double slot = (1200.0 * panel_frac - 90.0) / (double)(c->r->nvar ? c->r->nvar : 1);
    size_t fit = (size_t)(0.9 * slot / 8.0);
    fprintf(f, "set xtics (");
    for (size_t v = 0; v < c->r->nvar; v++) {
        fprintf(f, "%s", v ? ", " : "");
        int n = put_wrapped(f, c->r->varnames[v], fit < 6 ? 6 : fit, 3);
        lines = n > lines ? n : lines;
        fprintf(f, " %zu", v + 1);
    }
    fprintf(f, ") noenhanced\nset bmargin %d\n", lines + 1);
    fprintf(f, "set xrange [0.4:%zu.6]\n", c->r->nvar);
}

/* ---- summary.csv ---------------------------------------------------------- */

/* Writes a CSV field, quoted when it holds a separator, quote or line break. */
static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static int write_csv(ctx *c)
{
    const rg_results *r = c->r;
    FILE *f = out_open(c, "summary.csv");
    if (f == NULL)
        return -1;
    fprintf(f, "variant");
    for (size_t m = 0; m < r->nmet; m++)
        for (int k = 0; k < 2; k++) {
            char *h = rg_xasprintf("%s_%s", r->met[m].name, k ? "ci95" : "mean");
            fputc(',', f);
            csv_field(f, h);
            free(h);
        }
    fputc('\n', f);
    for (size_t v = 0; v < r->nvar; v++) {
        csv_field(f, r->varnames[v]);
        for (size_t m = 0; m < r->nmet; m++)
            fprintf(f, ",%.17g,%.17g", summ(c, v, m)->mean, summ(c, v, m)->ci95);
        fputc('\n', f);
    }
    return out_close(c, f, "summary.csv");
}

/* ---- page: summary ------------------------------------------------------ */

/* Screen height of a line of text at pt points. */
static double line_h(double pt)
{
    return pt * LINE_PITCH / PAGE_H_PX;
}

static void label(FILE *f, const char *text, double x, double y, const char *opts)
{
    fprintf(f, "set label ");
    put_str(f, text);
    fprintf(f, " at screen %.4f,%.4f %s noenhanced\n", x, y, opts);
}

/* Writes text wrapped (see wrap_split) as one label per line, the first at
 * y, the next lh lower each.  Returns the number of lines. */
static int label_lines(FILE *f, const char *text, size_t width, int maxlines, double x, double y,
                       double lh, const char *opts)
{
    char *c = clean(text), *lines[MAX_LINES];
    int n = wrap_split(c, width, maxlines, lines);
    for (int i = 0; i < n; i++) {
        label(f, lines[i], x, y - lh * i, opts);
        free(lines[i]);
    }
    free(c);
    return n;
}

static int page_summary(ctx *c)
{
    const rg_results *r = c->r;
    const rg_meta *m = c->m;
    FILE *f = page_open(c, "plot-summary", "summary page (scenario, key numbers, parameters)");
    if (f == NULL)
        return -1;
    fprintf(f, "unset border\nunset tics\nunset key\nunset grid\nset margins 0,0,0,0\n"
               "set xrange [0:1]\nset yrange [0:1]\n");
    const double x0 = 0.04;
    double y = 0.935;
    char *t = cut(m->scenario_name ? m->scenario_name : "(unnamed scenario)", 64);
    label(f, t, x0, y, "left font \",22\"");
    free(t);
    y -= line_h(22);
    if (m->description)
        y -= line_h(12) *
             label_lines(f, m->description, 130, 2, x0, y, line_h(12), "left font \",12\"");
    y -= 0.2 * line_h(11);
    char *info = rg_xasprintf("Model: %s      Seed: %" PRIu64 "      Replications: %" PRIu64
                              "      Variants: %zu      Simulated with revguard-sim %s",
                              m->model ? m->model : "?", m->seed, c->n, r->nvar,
                              m->tool_version ? m->tool_version : "?");
    label(f, info, x0, y, "left textcolor rgb \"#444444\"");
    free(info);
    y -= line_h(11);
    if (!m->complete || r->interrupted || c->n < r->reps) {
        char *inc = rg_xasprintf(
            "INCOMPLETE: interrupted run, %" PRIu64 " of %" PRIu64 " replications", c->n, r->reps);
        label(f, inc, x0, y - 0.2 * line_h(13), "left font \",13\" textcolor rgb \"#CC0000\"");
        free(inc);
        y -= 1.4 * line_h(13);
    }

    /* The key numbers: one row per shown metric, one column per variant. */
    y -= 0.8 * line_h(11);
    char *head = rg_xasprintf(
        "Key numbers per variant: mean ± 95 %% confidence interval over %" PRIu64 " replications",
        c->n);
    label(f, head, x0, y, "left font \",13\"");
    free(head);
    size_t nv = r->nvar < 6 ? r->nvar : 6;
    if (nv < r->nvar) {
        char *more = rg_xasprintf("(%zu more variants in summary.csv)", r->nvar - nv);
        label(f, more, 0.98, y, "right");
        free(more);
    }
    y -= 1.3 * line_h(13);
    /* Variant names in their plot colour, wrapped to their column (a
     * character of 11 pt is about 1/150 of the page). */
    const double xt = 0.40, colw = nv ? (0.98 - xt) / (double)nv : 0;
    int hl = 1;
    for (size_t v = 0; v < nv; v++) {
        char opts[64];
        snprintf(opts, sizeof opts, "center textcolor rgb \"%s\"", palette[v % NPALETTE]);
        int n = label_lines(f, r->varnames[v], (size_t)(colw * 150 * 0.9), 2,
                            xt + colw * ((double)v + 0.5), y, line_h(11), opts);
        hl = n > hl ? n : hl;
    }
    y -= (hl - 1) * line_h(11);
    fprintf(f,
            "set arrow from screen %.4f,%.4f to screen 0.98,%.4f nohead lc rgb \"#888888\" "
            "lw 1\n",
            x0, y - 0.55 * line_h(11), y - 0.55 * line_h(11));
    y -= 1.15 * line_h(11);
    for (size_t k = 0; k < c->nshow; k++) {
        const rg_metric *me = &r->met[c->show[k]];
        for (int pass = 0; pass < ((me->flags & RG_MF_MAX) ? 2 : 1); pass++) {
            if (y < 0.04) {
                label(f, "… (more in summary.csv)", x0, y, "left");
                k = c->nshow;
                break;
            }
            char *mt = met_title(me);
            char *row = pass ? rg_xasprintf("Maximum of: %s", mt) : rg_xstrdup(mt);
            t = cut(row, 50);
            label(f, t, x0, y, "left");
            free(t);
            free(row);
            free(mt);
            for (size_t v = 0; v < nv; v++) {
                const rg_summary *s = summ(c, v, c->show[k]);
                char cell[96];
                if (pass)
                    snprintf(cell, sizeof cell, "%.6g", s->max * met_scale(me));
                else
                    fmt_mean(cell, sizeof cell, me, s);
                label(f, cell, xt + colw * ((double)v + 0.5), y, "center");
            }
            y -= line_h(11);
        }
    }

    /* The resolved scenario: as many lines as fit, in two columns. */
    const char *res = m->resolved ? m->resolved : "";
    y -= 0.6 * line_h(11);
    if (res[0] && y > 0.12) {
        label(f, "Scenario parameters (resolved)", x0, y, "left font \",13\"");
        y -= 1.2 * line_h(13);
        const double lh = line_h(9), ybot = 0.03;
        size_t per_col = (size_t)((y - ybot) / lh) + 1, col = 0, row = 0;
        for (const char *p = res; *p && col < 2;) {
            size_t len = strcspn(p, "\n");
            char *line = rg_xmalloc(len + 1);
            memcpy(line, p, len);
            line[len] = '\0';
            p += len + (p[len] == '\n');
            bool blank = strspn(line, " \t\r") == len;
            if (!blank) {
                bool last = col == 1 && row + 1 == per_col && *p;
                t = last ? rg_xstrdup("… (the rest is in the results file)") : cut(line, 76);
                label(f, t, x0 + 0.48 * (double)col, y - lh * (double)row,
                      "left font \"Monospace,9\"");
                free(t);
                if (++row == per_col) {
                    row = 0;
                    col++;
                }
            }
            free(line);
        }
    }
    fprintf(f, "# Nothing to plot: an invisible point makes gnuplot draw the labels.\n"
               "plot -1 notitle\n");
    return page_close(c, f);
}

/* ---- page: allocation timeline ------------------------------------------ */

static int page_timeline(ctx *c)
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
    /* The line at the stock: "stock_total" if the model reports it, else
     * "stock"; its legend uses the metric's own description. */
    int ks = rg_results_metric(r, "stock_total");
    if (ks < 0)
        ks = rg_results_metric(r, "stock");
    double stock = ks >= 0 && c->n > 0 ? rg_results_value(r, 0, 0, (size_t)ks) : NAN;

    FILE *d = out_open(c, "timeline.dat");
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
    if (out_close(c, d, "timeline.dat") < 0)
        return -1;

    FILE *f = page_open(c, "plot-timeline", "units allocated over time in replication 0");
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
        put_str(f, r->varnames[v]);
        blk++;
    }
    if (isfinite(stock)) {
        const rg_metric *sm = &r->met[ks];
        char *t = rg_xasprintf("%s: %.10g %s", sm->desc && sm->desc[0] ? sm->desc : sm->name, stock,
                               sm->unit && strcmp(sm->unit, "1") ? sm->unit : "");
        if (t[0] >= 'a' && t[0] <= 'z')
            t[0] = (char)(t[0] - 'a' + 'A');
        fprintf(f, ", \\\n    stock with lines dt 2 lw 2 lc rgb \"#444444\" title ");
        put_str(f, t);
        free(t);
    }
    fprintf(f, "\n");
    return page_close(c, f);
}

/* ---- page: oversell histogram ------------------------------------------- */

/* Replications of one variant by value bins: bin b holds the replications
 * whose value, rounded down, is in [lo + b * bw, lo + (b + 1) * bw). */
typedef struct bins {
    double lo, bw;
    size_t nb;
    uint64_t *cnt, cmax;
} bins;

static void bins_fill(bins *h, const ctx *c, size_t v, size_t m, double lo, double hi, size_t maxb)
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

/* The oversell histogram.  When all values lie within 60 units, one chart
 * with the variants' bars side by side per value; otherwise one panel per
 * variant with its own range, as a shared axis would squeeze every bar. */
static int page_oversell(ctx *c)
{
    const rg_results *r = c->r;
    if (c->oversell < 0 || c->n == 0 || r->nvar == 0)
        return 0;
    size_t m = (size_t)c->oversell, nv = r->nvar;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t v = 0; v < nv; v++) {
        lo = fmin(lo, floor(summ(c, v, m)->min));
        hi = fmax(hi, floor(summ(c, v, m)->max));
    }
    if (!isfinite(lo) || !isfinite(hi))
        return 0;
    bool shared = hi - lo < 60;
    bins *h = rg_xcalloc(nv, sizeof *h);
    uint64_t cmax = 1;
    for (size_t v = 0; v < nv; v++) {
        const rg_summary *s = summ(c, v, m);
        if (shared)
            bins_fill(&h[v], c, v, m, lo, hi, 60);
        else
            bins_fill(&h[v], c, v, m, floor(s->min), floor(s->max), 40);
        cmax = h[v].cmax > cmax ? h[v].cmax : cmax;
    }
    int rc = -1;
    FILE *f = NULL, *d = out_open(c, "oversell.dat");
    if (d == NULL)
        goto out;
    if (shared) {
        fprintf(d, "# Replications by units oversold: value, then one count per variant\n"
                   "# (in scenario order).\n");
        for (size_t b = 0; b < h[0].nb; b++) {
            fprintf(d, "%.10g", bins_x(&h[0], b));
            for (size_t v = 0; v < nv; v++)
                fprintf(d, " %" PRIu64, h[v].cnt[b]);
            fputc('\n', d);
        }
    } else {
        fprintf(d, "# Replications by units oversold, one block per variant (scenario order):\n"
                   "# bin centre, count.\n");
        for (size_t v = 0; v < nv; v++) {
            fprintf(d, "%s", v ? "\n\n" : "");
            for (size_t b = 0; b < h[v].nb; b++)
                fprintf(d, "%.10g %" PRIu64 "\n", bins_x(&h[v], b), h[v].cnt[b]);
        }
    }
    if (out_close(c, d, "oversell.dat") < 0)
        goto out;

    f = page_open(c, "plot-oversell", "units oversold per replication, per variant");
    if (f == NULL)
        goto out;
    fprintf(f, "set style fill solid 0.85 border lc rgb \"#333333\"\n"
               "set grid noxtics ytics\n"
               "set ylabel \"replications\"\n");
    if (shared) {
        double w = 0.8 / (double)nv;
        fprintf(f,
                "set title \"Units oversold per replication (%" PRIu64
                " replications per variant)\" font \",15\"\n"
                "set xlabel \"units oversold\"\n"
                "set key top right box opaque\n"
                "set boxwidth %.10g absolute\n"
                "set xrange [%.10g:%.10g]\n"
                "set yrange [0:%.10g]\n%s"
                "plot \\\n",
                c->n, w, lo - 0.5, hi + 0.5, ceil((double)cmax * 1.25),
                hi - lo <= 30 ? "set xtics 1\n" : "");
    } else {
        int rows = nv <= 4 ? (int)nv : (int)((nv + 1) / 2), cols = nv <= 4 ? 1 : 2;
        fprintf(f,
                "set multiplot layout %d,%d title \"Units oversold per replication (%" PRIu64
                " replications per variant; each panel has its own scale)\" font \",15\"\n"
                "unset key\n",
                rows, cols, c->n);
    }
    for (size_t v = 0; v < nv; v++) {
        double pos = 0;
        for (uint64_t i = 0; i < c->n; i++)
            pos += rg_results_value(r, v, i, m) > 0;
        char mean[32];
        char *t = rg_xasprintf("%s: oversold in %.3g %% of replications, mean %s units",
                               r->varnames[v], 100.0 * pos / (double)c->n,
                               fmt_num(mean, sizeof mean, summ(c, v, m)->mean));
        if (shared) {
            double off = ((double)v - 0.5 * (double)(nv - 1)) * 0.8 / (double)nv;
            fprintf(f, "%s    \"oversell.dat\" using ($1+%.10g):%zu with boxes lt %zu title ",
                    v ? ", \\\n" : "", off, v + 2, v + 1);
            put_str(f, t);
        } else {
            /* At least 5 bins wide, so a lone bar does not fill the panel,
             * and no negative axis for counts that cannot be negative. */
            double pad = h[v].nb < 5 ? (double)(5 - h[v].nb) * h[v].bw / 2 : 0;
            double x0 = h[v].lo - 0.5 - pad, x1 = bins_x(&h[v], h[v].nb - 1) + 0.5 * h[v].bw + pad;
            if (h[v].lo >= 0 && x0 < -0.5) {
                x1 += -0.5 - x0;
                x0 = -0.5;
            }
            fprintf(f, "set title ");
            put_str(f, t);
            fprintf(f, " font \",12\" noenhanced\n");
            if (h[v].bw > 1)
                fprintf(f,
                        "set xlabel \"units oversold (bars: bins of %.0f units)\"\n"
                        "set xtics autofreq\n",
                        h[v].bw);
            else
                fprintf(f, "set xlabel \"units oversold\"\nset xtics %s\n",
                        x1 - x0 <= 30 ? "1" : "autofreq");
            fprintf(f,
                    "set boxwidth %.10g absolute\n"
                    "set xrange [%.10g:%.10g]\n"
                    "set yrange [0:%.10g]\n"
                    "plot \"oversell.dat\" index %zu using 1:2 with boxes lt %zu notitle\n",
                    0.85 * h[v].bw, x0, x1, ceil((double)h[v].cmax * 1.15), v, v + 1);
        }
        free(t);
    }
    fprintf(f, shared ? "\n" : "unset multiplot\n");
    rc = page_close(c, f);
out:
    for (size_t v = 0; v < nv; v++)
        free(h[v].cnt);
    free(h);
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

static int page_latency(ctx *c)
{
    const rg_results *r = c->r;
    size_t have = 0;
    for (size_t v = 0; v < r->nvar; v++)
        for (int b = 0; b < RG_HIST_NBINS; b++)
            if (r->hist[v * RG_HIST_NBINS + (size_t)b]) {
                have++;
                break;
            }
    if (have == 0)
        return 0;
    uint64_t *tot = rg_xcalloc(r->nvar, sizeof *tot);
    FILE *d = out_open(c, "latency.dat");
    if (d == NULL) {
        free(tot);
        return -1;
    }
    fprintf(d, "# Latency CDF over all replications: one block per variant with data\n"
               "# (latency_ms fraction_at_most), then one block per such variant with the\n"
               "# p50 and p99 points.\n");
    size_t blk = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        const uint64_t *h = &r->hist[v * RG_HIST_NBINS];
        for (int b = 0; b < RG_HIST_NBINS; b++)
            tot[v] += h[b];
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
    if (out_close(c, d, "latency.dat") < 0) {
        free(tot);
        return -1;
    }

    FILE *f = page_open(c, "plot-latency", "request latency CDF per variant");
    if (f == NULL) {
        free(tot);
        return -1;
    }
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
    blk = 0;
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
        put_str(f, t);
        free(t);
        fprintf(f,
                ", \\\n    \"latency.dat\" index %zu using 1:2 with points lt %zu pt 7 "
                "ps 1.6 notitle",
                have + blk, v + 1);
        blk++;
    }
    fprintf(f, "\n");
    free(tot);
    return page_close(c, f);
}

/* ---- page: latency and oversell side by side ---------------------------- */

static int page_compare(ctx *c)
{
    const rg_results *r = c->r;
    int p50 = rg_results_metric(r, "lat_p50"), p99 = rg_results_metric(r, "lat_p99");
    bool lat = p50 >= 0 && p99 >= 0;
    if ((!lat && c->oversell < 0) || c->n == 0 || r->nvar == 0)
        return 0;
    FILE *d = out_open(c, "compare.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# variant_index p50_ms p50_ci95 p99_ms p99_ci95 oversell oversell_ci95\n"
               "# (means over replications; variants in scenario order)\n");
    double lmax = 0, omax = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(d, "%zu", v);
        int ms[3] = {p50, p99, c->oversell};
        for (int k = 0; k < 3; k++) {
            if (ms[k] < 0) {
                fprintf(d, " 0 0");
                continue;
            }
            const rg_summary *s = summ(c, v, (size_t)ms[k]);
            double sc = k < 2 ? 1e3 : 1.0;
            put_num(d, s->mean * sc);
            put_num(d, ci_or_zero(s->ci95) * sc);
            double top = (s->mean + ci_or_zero(s->ci95)) * sc;
            if (isfinite(top)) {
                if (k < 2)
                    lmax = fmax(lmax, top);
                else
                    omax = fmax(omax, top);
            }
        }
        fputc('\n', d);
    }
    if (out_close(c, d, "compare.dat") < 0)
        return -1;

    FILE *f = page_open(c, "plot-compare", "latency and oversell per variant");
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
    return page_close(c, f);
}

/* ---- pages: per-metric panels ------------------------------------------- */

/* Writes means.dat (variant index, then mean and CI per shown metric) and
 * replications.dat (a block per variant: replication, then each shown
 * metric), in display units. */
static int write_metric_data(ctx *c)
{
    const rg_results *r = c->r;
    FILE *d = out_open(c, "means.dat");
    if (d == NULL)
        return -1;
    fprintf(d, "# variant_index, then mean and ci95 of each shown metric (in the order of\n"
               "# the page scripts; ms for times, %% for probabilities)\n");
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(d, "%zu", v);
        for (size_t k = 0; k < c->nshow; k++) {
            double sc = met_scale(&r->met[c->show[k]]);
            put_num(d, summ(c, v, c->show[k])->mean * sc);
            put_num(d, ci_or_zero(summ(c, v, c->show[k])->ci95) * sc);
        }
        fputc('\n', d);
    }
    if (out_close(c, d, "means.dat") < 0)
        return -1;
    d = out_open(c, "replications.dat");
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
                put_num(d, rg_results_value(r, v, i, c->show[k]) * met_scale(&r->met[c->show[k]]));
            fputc('\n', d);
        }
    }
    return out_close(c, d, "replications.dat");
}

/* Writes pages of up to two rows of panels, one per metric in sel (positions
 * in c->show): bars of the means (dist false) or box plots of the
 * distributions (dist true). */
static int metric_pages(ctx *c, const size_t *sel, size_t nsel, bool dist)
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
        FILE *f = page_open(c, base,
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
            char *mt = met_title(&r->met[c->show[sel[i]]]);
            if (nchars(mt) > width)
                tl = 2;
            free(mt);
        }
        fprintf(f, "set grid noxtics ytics\nunset key\nset tmargin %.1f\n", 1.5 + 1.4 * (double)tl);
        put_variant_tics(f, c, 1.0 / cols);
        for (size_t i = first; i < first + np; i++) {
            size_t k = sel[i], m = c->show[k];
            char *mt = met_title(&r->met[m]);
            fprintf(f, "set title ");
            put_wrapped(f, mt, width, 2);
            fprintf(f, " font \",12\" noenhanced\n");
            free(mt);
            double lo = INFINITY, hi = -INFINITY;
            for (size_t v = 0; v < r->nvar; v++) {
                const rg_summary *s = summ(c, v, m);
                double sc = met_scale(&r->met[m]);
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
                    fprintf(f,
                            "    \"replications.dat\" index %zu using (%zu):%zu with boxplot "
                            "lt %zu notitle, \\\n",
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
        if (page_close(c, f) < 0)
            return -1;
    }
    return 0;
}

static int page_metrics(ctx *c)
{
    if (c->nshow == 0 || c->n == 0 || c->r->nvar == 0)
        return 0;
    if (write_metric_data(c) < 0)
        return -1;
    size_t *sel = rg_xcalloc(c->nshow, sizeof *sel);
    size_t nsel = 0;
    int rc = 0;
    /* Mean bars for models without the flash-sale comparison page. */
    if (c->oversell < 0) {
        for (size_t k = 0; k < c->nshow; k++)
            sel[nsel++] = k;
        rc = metric_pages(c, sel, nsel, false);
    }
    /* Distributions, except 0/1 indicators (their mean says it all) and
     * oversell (it has its own histogram). */
    nsel = 0;
    for (size_t k = 0; k < c->nshow; k++)
        if (!(c->r->met[c->show[k]].flags & RG_MF_PROB) && (int)c->show[k] != c->oversell)
            sel[nsel++] = k;
    if (rc == 0 && nsel > 0)
        rc = metric_pages(c, sel, nsel, true);
    free(sel);
    return rc;
}

/* ---- report.gp -------------------------------------------------------------- */

static int write_pdf_script(ctx *c)
{
    FILE *f = out_open(c, "report.gp");
    if (f == NULL)
        return -1;
    fprintf(f, "# report.gp: every page, in order, into report.pdf.\n"
               "# Written by revguard-sim report; run 'gnuplot report.gp' in this directory.\n"
               "set terminal " PDF_TERM "\n"
               "set output \"report.pdf\"\n"
               "rg_pdf = 1\n");
    for (size_t i = 0; i < c->npages; i++)
        fprintf(f, "%sload \"%s.gp\"\n", i ? "reset\n" : "", c->pages[i]);
    fprintf(f, "unset output\n");
    return out_close(c, f, "report.gp");
}

/* ---- running gnuplot ---------------------------------------------------- */

/* Finds prog in PATH into buf; returns buf or NULL.  Empty PATH entries
 * (the current directory, for a shell) are skipped: a report run in a
 * directory holding a file named gnuplot must not run that file. */
static const char *search_path(const char *prog, char *buf, size_t n)
{
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; p++) {
        size_t len = strcspn(p, ":");
        int w = len ? snprintf(buf, n, "%.*s/%s", (int)len, p, prog) : -1;
        if (w > 0 && (size_t)w < n && access(buf, X_OK) == 0)
            return buf;
        p += len;
        if (*p == '\0')
            return NULL;
    }
}

const char *rg_report_gnuplot(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("REVGUARD_GNUPLOT");
    if (env != NULL && env[0] != '\0')
        return env;
    if (GNUPLOT_PATH[0] != '\0')
        return GNUPLOT_PATH;
    return search_path("gnuplot", found, sizeof found) ? found : "";
}

/* The gnuplot to run, as an absolute path (the child changes directory), or
 * NULL with e set. */
static char *gnuplot_prog(rg_err *e)
{
    const char *g = rg_report_gnuplot();
    char buf[PATH_MAX];
    const char *why = "not configured and not on PATH";
    if (g[0] != '\0' && strchr(g, '/') == NULL) {
        if (search_path(g, buf, sizeof buf) == NULL) {
            why = "not on PATH";
            g = "";
        } else
            g = buf;
    }
    if (g[0] != '\0') {
        char *abs = realpath(g, NULL);
        if (abs != NULL && access(abs, X_OK) == 0)
            return abs;
        why = strerror(errno);
        free(abs);
    }
    rg_err_set(e, RG_ERR_IO,
               "gnuplot not found (%s%s%s): install the Debian package gnuplot-nox or set "
               "REVGUARD_GNUPLOT",
               g[0] ? g : "", g[0] ? ": " : "", why);
    return NULL;
}

/* The first non-blank lines of the log from byte `from`, joined by " | ",
 * into buf: gnuplot echoes the failing line, a caret, then the message. */
static void log_excerpt(int fd, off_t from, char *buf, size_t n)
{
    char raw[600], *save = NULL;
    ssize_t got = pread(fd, raw, sizeof raw - 1, from);
    raw[got > 0 ? got : 0] = '\0';
    rg_buf b = {0};
    int lines = 0;
    for (char *l = strtok_r(raw, "\n", &save); l && lines < 4; l = strtok_r(NULL, "\n", &save)) {
        for (char *p = l; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
        if (l[strspn(l, " ")] != '\0')
            rg_buf_printf(&b, "%s%s", lines++ ? " | " : "", l);
    }
    snprintf(buf, n, "%s", b.s ? b.s : "(no message)");
    rg_buf_free(&b);
}

/* Runs `prog -d script` in dir with stdout and stderr appended to the log
 * (fd logfd), stdin from /dev/null.  No shell is involved. */
static int run_gnuplot(const char *prog, const char *dir, const char *script, int logfd, rg_err *e)
{
    char head[256];
    int hl = snprintf(head, sizeof head, "=== gnuplot -d %s\n", script);
    if (write(logfd, head, (size_t)hl) != hl)
        return rg_err_set(e, RG_ERR_IO, "%s/gnuplot.log: write failed: %s", dir, strerror(errno));
    off_t from = lseek(logfd, 0, SEEK_END);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0)
        return rg_err_set(e, RG_ERR_IO, "/dev/null: %s", strerror(errno));
    char *argv[] = {(char *)prog, (char *)"-d", (char *)script, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        close(devnull);
        return rg_err_set(e, RG_ERR_IO, "cannot start gnuplot: %s", strerror(errno));
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls until execv. */
        static const char msg[] = "revguard-sim: cannot run gnuplot\n";
        if (chdir(dir) == 0 && dup2(devnull, 0) >= 0 && dup2(logfd, 1) >= 0 && dup2(logfd, 2) >= 0)
            execv(prog, argv);
        if (write(logfd, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    close(devnull);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return rg_err_set(e, RG_ERR_IO, "waiting for gnuplot: %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    char what[64], msg[640];
    if (WIFEXITED(st))
        snprintf(what, sizeof what, "exit status %d", WEXITSTATUS(st));
    else
        snprintf(what, sizeof what, "killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    log_excerpt(logfd, from, msg, sizeof msg);
    return rg_err_set(e, RG_ERR_IO, "gnuplot failed on %s/%s (%s): %s (full log: %s/gnuplot.log)",
                      dir, script, what, msg, dir);
}

/* Runs gnuplot on every page script, then on report.gp; stops at the first
 * failure. */
static int run_all(ctx *c)
{
    char *prog = gnuplot_prog(c->e);
    if (prog == NULL)
        return -1;
    char *logpath = rg_xasprintf("%s/gnuplot.log", c->dir);
    int logfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0666);
    if (logfd >= 0 && logfd <= 2) {
        /* With a standard stream closed the log could land on fd 0-2, which
         * the child's dup2 calls would overwrite. */
        int hi = fcntl(logfd, F_DUPFD_CLOEXEC, 3);
        close(logfd);
        logfd = hi;
    }
    int rc = 0;
    if (logfd < 0)
        rc = rg_err_set(c->e, RG_ERR_IO, "%s: cannot create: %s", logpath, strerror(errno));
    for (size_t i = 0; rc == 0 && i <= c->npages; i++) {
        char *script = i < c->npages ? rg_xasprintf("%s.gp", c->pages[i]) : rg_xstrdup("report.gp");
        rc = run_gnuplot(prog, c->dir, script, logfd, c->e);
        free(script);
    }
    if (logfd >= 0 && close(logfd) < 0 && rc == 0)
        rc = rg_err_set(c->e, RG_ERR_IO, "%s: %s", logpath, strerror(errno));
    free(logpath);
    free(prog);
    return rc;
}

/* ---- entry points ------------------------------------------------------- */

int rg_report_make_from(const rg_results *r, const rg_meta *m, const char *h5path,
                        const char *outdir, rg_err *e)
{
    (void)h5path; /* not shown: equal runs must give equal reports */
    if (make_dir(outdir, e) < 0)
        return -1;
    ctx c = {0};
    c.r = r;
    c.m = m;
    c.dir = outdir;
    c.e = e;
    c.n = r->reps_done;
    c.oversell = rg_results_metric(r, "oversell");
    c.sum = rg_xcalloc(r->nvar * r->nmet, sizeof *c.sum);
    double *x = rg_xcalloc(c.n, sizeof *x);
    for (size_t v = 0; v < r->nvar; v++)
        for (size_t k = 0; k < r->nmet; k++) {
            rg_results_column(r, v, k, x);
            rg_summarize(x, c.n, &c.sum[v * r->nmet + k]);
        }
    free(x);
    c.show = rg_xcalloc(r->nmet, sizeof *c.show);
    for (size_t k = 0; k < r->nmet; k++)
        if (r->met[k].flags & RG_MF_SHOW)
            c.show[c.nshow++] = k;

    int rc = -1;
    if (write_csv(&c) < 0 || page_summary(&c) < 0 || page_timeline(&c) < 0 ||
        page_oversell(&c) < 0 || page_latency(&c) < 0 || page_compare(&c) < 0 ||
        page_metrics(&c) < 0 || write_pdf_script(&c) < 0 || run_all(&c) < 0)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < c.npages; i++)
        free(c.pages[i]);
    free(c.pages);
    free(c.show);
    free(c.sum);
    return rc;
}

int rg_report_make(const char *h5path, const char *outdir, rg_err *e)
{
    rg_results *r = NULL;
    rg_meta m = {0};
    if (rg_results_read(h5path, &r, &m, e) < 0)
        return -1;
    int rc = rg_report_make_from(r, &m, h5path, outdir, e);
    rg_results_free(r);
    rg_meta_free(&m);
    return rc;
}
