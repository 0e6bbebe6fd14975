/*
 * html.c: report.html, the whole report in one self-contained file: the
 * headline, the verdicts and the key numbers as HTML text, every plot page
 * as an inline SVG (gnuplot's svg terminal, drawn by report-svg.gp), the
 * animation as a data: URI, the model's own check and the scenario as text.
 * No script, no style sheet, font or picture from elsewhere: it opens the
 * same from a USB stick, a mail attachment or a projector's laptop, and its
 * CSS reflows it for a phone.
 *
 * Safety: every string from the results goes through html_put (escaped:
 * & < > " ' and control characters).  The SVGs are gnuplot's, which escapes
 * the text it draws; they are embedded only if they hold no <script>,
 * <foreignObject> or on...= attribute, and their ids get a per-picture
 * prefix so the pictures of one page do not share them.
 */
#include "reports/html.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "reports/gnuplot.h"
#include "reports/words.h"

/* ---- text --------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (2 to 4 bytes), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t len = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
                 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
                 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                                : 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

void rpt_html_put(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t len = *p < 0x80 ? 1 : utf8_len(p);
        if (len == 0) {
            fputc('?', f);
            p++;
            continue;
        }
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fputc(' ', f);
            else
                fwrite(p, 1, len, f);
        }
        p += len;
    }
}

/* ---- files -------------------------------------------------------------- */

/* The whole of file dir/name, NUL-terminated; NULL if it cannot be read. */
static char *slurp(const rpt_ctx *c, const char *name, size_t *len)
{
    char *p = rg_xasprintf("%s/%s", c->dir, name);
    FILE *f = fopen(p, "rb");
    free(p);
    if (f == NULL)
        return NULL;
    rg_buf b = {0};
    char chunk[65536];
    size_t got;
    rg_buf_printf(&b, "%s", "");
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        rg_xgrow((void **)&b.s, &b.cap, b.len + got + 1, 1);
        memcpy(b.s + b.len, chunk, got);
        b.len += got;
        b.s[b.len] = '\0';
    }
    fclose(f);
    *len = b.len;
    return b.s;
}

/* Writes n bytes of data as base64. */
static void base64(FILE *f, const unsigned char *d, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (i + 1 < n ? (unsigned)d[i + 1] << 8 : 0) |
                     (i + 2 < n ? d[i + 2] : 0);
        fputc(t[v >> 18 & 63], f);
        fputc(t[v >> 12 & 63], f);
        fputc(i + 1 < n ? t[v >> 6 & 63] : '=', f);
        fputc(i + 2 < n ? t[v & 63] : '=', f);
    }
}

/* Whether svg holds anything that could run or fetch: a script, a foreign
 * object, an event attribute, or a reference that is not to itself. */
static bool svg_unsafe(const char *svg)
{
    for (const char *p = svg; *p; p++) {
        if (*p == '<' &&
            (strncasecmp(p + 1, "script", 6) == 0 || strncasecmp(p + 1, "foreignobject", 13) == 0))
            return true;
        if (isspace((unsigned char)*p) && tolower((unsigned char)p[1]) == 'o' &&
            tolower((unsigned char)p[2]) == 'n' && isalpha((unsigned char)p[3])) {
            const char *q = p + 3;
            while (isalpha((unsigned char)*q))
                q++;
            if (*q == '=')
                return true;
        }
        if (strncmp(p, "href=", 5) == 0 && p[5] != '\0' && p[6] != '#')
            return true;
    }
    return false;
}

/* Writes SVG document svg inline: from its <svg on, with every id and the
 * references to it prefixed by "p<k>-", its title made `title`. */
static void svg_inline(FILE *f, const char *svg, size_t k, const char *title)
{
    const char *p = strstr(svg, "<svg");
    fprintf(f, "<svg role=\"img\" class=\"plot\" aria-label=\"");
    rpt_html_put(f, title);
    fprintf(f, "\"");
    p += 4;
    while (*p) {
        if (strncmp(p, "<title>", 7) == 0) {
            const char *e = strstr(p, "</title>");
            if (e != NULL) {
                fprintf(f, "<title>");
                rpt_html_put(f, title);
                fprintf(f, "</title>");
                p = e + 8;
                continue;
            }
        }
        if ((strncmp(p, " id='", 5) == 0 || strncmp(p, " id=\"", 5) == 0) ||
            (strncmp(p, "href='#", 7) == 0 || strncmp(p, "href=\"#", 7) == 0) ||
            strncmp(p, "url(#", 5) == 0) {
            size_t n = p[0] == ' ' ? 5 : p[0] == 'h' ? 7 : 5;
            fwrite(p, 1, n, f);
            fprintf(f, "p%zu-", k);
            p += n;
            continue;
        }
        fputc(*p++, f);
    }
}

/* ---- parts of the page -------------------------------------------------- */

static const char css[] =
    ":root{--ink:#1a1a1a;--soft:#555;--band:#eef2f6;--line:#c9d1da}"
    "*{box-sizing:border-box}"
    "body{margin:0;color:var(--ink);background:#fff;font-family:system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;line-height:1.45;"
    "font-size:clamp(15px,0.55vw + 12px,22px)}"
    "main{max-width:76em;margin:0 auto;padding:1.2em clamp(0.8em,3vw,2.5em) 3em}"
    "h1{font-size:2em;margin:0 0 .2em;line-height:1.15;overflow-wrap:anywhere}"
    "h2{font-size:1.3em;margin:2em 0 .5em;border-bottom:1px solid var(--line);padding-bottom:.2em}"
    ".desc{font-size:1.1em;margin:0 0 .3em}"
    ".meta{color:var(--soft);margin:0}"
    ".warn{color:#b00000;font-weight:bold}"
    ".headline{font-size:1.35em;font-weight:bold;margin:1em 0 .6em;line-height:1.3}"
    ".verdicts{list-style:none;padding:0;margin:0}"
    ".verdicts li{padding:.35em 0 .35em 1.6em;position:relative;border-bottom:1px solid "
    "var(--band)}"
    ".sw{position:absolute;left:0;top:.6em;width:1em;height:1em;border-radius:2px}"
    ".verdicts b{margin-right:.5em}"
    ".note{color:var(--soft);font-size:.9em}"
    ".scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    "table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}"
    "th,td{padding:.3em .6em;text-align:center;white-space:nowrap}"
    "th:first-child,td:first-child{text-align:left;white-space:normal;min-width:12em}"
    "thead th{border-bottom:3px solid var(--c,var(--line))}"
    "tbody tr:nth-child(odd){background:var(--band)}"
    ".params{padding-left:1.2em;margin:.3em 0}"
    ".params li{margin:.15em 0;overflow-wrap:anywhere}"
    "figure{margin:1em 0}"
    "figure img,svg.plot{display:block;width:100%;height:auto;max-width:100%}"
    "figure img.live{max-width:720px}"
    "figcaption{color:var(--soft);font-size:.9em;margin-top:.3em}"
    "pre{font-size:.8em;overflow-x:auto;background:#f7f7f7;padding:.8em;border-radius:4px}"
    "pre .d{color:#8a8a8a}"
    "details summary{cursor:pointer;font-weight:bold}"
    "footer{color:var(--soft);font-size:.85em;margin-top:3em}"
    "@media (max-width:640px){th,td{padding:.25em .35em}.headline{font-size:1.15em}"
    "figure.wide{overflow-x:auto}figure.wide svg.plot,figure.wide img{min-width:640px}}"
    "@media print{body{font-size:11pt}main{max-width:none}h2{break-after:avoid}"
    "figure,svg.plot{break-inside:avoid}}";

/* The head of the page and its first part: name, description, the run. */
static void html_head(FILE *f, const rpt_ctx *c)
{
    const rg_meta *m = c->m;
    const char *name = m->scenario_name ? m->scenario_name : "(unnamed scenario)";
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "img-src data:; style-src 'unsafe-inline'\">\n"
               "<meta name=\"generator\" content=\"revguard-sim report\">\n<title>");
    rpt_html_put(f, name);
    fprintf(f, ": what each design did</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n<h1>",
            css);
    rpt_html_put(f, name);
    fprintf(f, "</h1>\n");
    if (m->description && m->description[0]) {
        fprintf(f, "<p class=\"desc\">");
        rpt_html_put(f, m->description);
        fprintf(f, "</p>\n");
    }
    char n[32];
    fprintf(f, "<p class=\"meta\">%s %s of each of %zu variant%s · model ",
            rpt_fmt(n, sizeof n, (double)c->n, 6), rpt_rep_word(c, c->n != 1), c->r->nvar,
            c->r->nvar == 1 ? "" : "s");
    rpt_html_put(f, m->model ? m->model : "?");
    fprintf(f, " · seed %" PRIu64 " · simulated with revguard-sim ", m->seed);
    rpt_html_put(f, m->tool_version ? m->tool_version : "?");
    fprintf(f, "</p>\n");
    if (!m->complete || c->r->interrupted || c->n < c->r->reps)
        fprintf(f,
                "<p class=\"warn\">INCOMPLETE: interrupted run, %" PRIu64 " of %" PRIu64
                " replications</p>\n",
                c->n, c->r->reps);
}

/* The headline and a verdict per variant. */
static void html_verdicts(FILE *f, const rpt_ctx *c)
{
    char *h = rpt_headline(c);
    if (h != NULL) {
        fprintf(f, "<p class=\"headline\">");
        rpt_html_put(f, h);
        fprintf(f, "</p>\n");
        free(h);
    }
    fprintf(f, "<ul class=\"verdicts\">\n");
    for (size_t v = 0; v < c->r->nvar; v++) {
        char *vd = rpt_verdict(c, v);
        fprintf(f, "<li><span class=\"sw\" style=\"background:%s\"></span><b>", rpt_color(v));
        rpt_html_put(f, c->r->varnames[v]);
        fprintf(f, "</b>");
        rpt_html_put(f, vd);
        fprintf(f, "</li>\n");
        free(vd);
    }
    fprintf(f, "</ul>\n");
    if (c->extra != NULL && c->extra[strspn(c->extra, " \n")] != '\0')
        fprintf(f, "<p class=\"note\">The model also checks itself against a closed form or a "
                   "measurement: see <a href=\"#check\">the model's own check</a>.</p>\n");
}

/* The key numbers of every variant. */
static void html_table(FILE *f, const rpt_ctx *c)
{
    const rg_results *r = c->r;
    char n[32];
    fprintf(f, "<h2 id=\"numbers\">Key numbers: mean over the %s %s</h2>\n",
            rpt_fmt(n, sizeof n, (double)c->n, 6), rpt_rep_word(c, c->n != 1));
    fprintf(f, "<div class=\"scroll\"><table>\n<thead><tr><th></th>");
    for (size_t v = 0; v < r->nvar; v++) {
        fprintf(f, "<th style=\"--c:%s\">", rpt_color(v));
        rpt_html_put(f, r->varnames[v]);
        fprintf(f, "</th>");
    }
    fprintf(f, "</tr></thead>\n<tbody>\n");
    for (size_t k = 0; k < c->nshow; k++) {
        size_t m = c->show[k];
        for (int pass = 0; pass < ((r->met[m].flags & RG_MF_MAX) ? 2 : 1); pass++) {
            char *l = rpt_met_label_unit(c, &r->met[m]);
            fprintf(f, "<tr><td>");
            if (pass) {
                fprintf(f, "Most in one %s: ", rpt_rep_word(c, false));
                l[0] = (char)(l[0] >= 'A' && l[0] <= 'Z' ? l[0] - 'A' + 'a' : l[0]);
            }
            rpt_html_put(f, l);
            fprintf(f, "%s</td>", !pass && rpt_met_is_quantile(&r->met[m]) ? " †" : "");
            free(l);
            for (size_t v = 0; v < r->nvar; v++) {
                char *cell = rpt_cell(c, v, m, pass == 1);
                fprintf(f, "<td>");
                rpt_html_put(f, cell);
                fprintf(f, "</td>");
                free(cell);
            }
            fprintf(f, "</tr>\n");
        }
    }
    fprintf(f, "</tbody></table></div>\n");
    char *note = rpt_quantile_note(c);
    if (note != NULL) {
        fprintf(f, "<p class=\"note\">");
        rpt_html_put(f, note);
        fprintf(f, "</p>\n");
        free(note);
    }
}

/* The keys the scenario file sets. */
static void html_params(FILE *f, const rpt_ctx *c)
{
    char **lines = NULL;
    size_t n = rpt_params_set(c->m->resolved, &lines);
    if (n > 0) {
        fprintf(f, "<h2 id=\"set\">What the scenario file sets</h2>\n"
                   "<p class=\"note\">Everything else is a default: see <a href=\"#scenario\">the "
                   "scenario in full</a>.</p>\n<ul class=\"params\">\n");
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "<li>");
            rpt_html_put(f, lines[i]);
            fprintf(f, "</li>\n");
        }
        fprintf(f, "</ul>\n");
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* The animation, embedded, if gnuplot made it. */
static void html_gif(FILE *f, const rpt_ctx *c)
{
    size_t n = 0;
    char *gif = c->anim ? slurp(c, "live.gif", &n) : NULL;
    if (gif == NULL || n < 6 || memcmp(gif, "GIF8", 4) != 0) {
        free(gif);
        return;
    }
    fprintf(f,
            "<h2 id=\"live\">The live moment: the first %s, replayed</h2>\n"
            "<figure><img alt=\"The counters of every variant climbing in the first %s; "
            "a dashed line marks the stock\" src=\"data:image/gif;base64,",
            rpt_rep_word(c, false), rpt_rep_word(c, false));
    base64(f, (const unsigned char *)gif, n);
    fprintf(f, "\"><figcaption>Replication 0 of each variant, counted as its clients were "
               "told; the clock runs slowly at the start.</figcaption></figure>\n");
    free(gif);
}

/* An SVG larger than this (a strip plot of thousands of dots) is embedded
 * as its PNG instead: a few hundred kilobytes of picture, not megabytes. */
#define SVG_MAX_BYTES 400000

/* Embeds <page>.png as a data: URI; false if it is missing. */
static bool png_inline(FILE *f, const rpt_ctx *c, size_t i)
{
    char *name = rg_xasprintf("%s.png", c->pages[i]);
    size_t n = 0;
    char *png = slurp(c, name, &n);
    free(name);
    bool ok = png != NULL && n > 8 && memcmp(png, "\x89PNG", 4) == 0;
    if (ok) {
        fprintf(f, "<img alt=\"");
        rpt_html_put(f, c->titles[i]);
        fprintf(f, "\" src=\"data:image/png;base64,");
        base64(f, (const unsigned char *)png, n);
        fprintf(f, "\">");
    }
    free(png);
    return ok;
}

/* Every plot page under its heading: an inline SVG, or its PNG when the
 * SVG is too large. */
static void html_plots(FILE *f, const rpt_ctx *c)
{
    for (size_t i = 0; i < c->npages; i++) {
        if (c->text[i])
            continue;
        char *name = rg_xasprintf("%s.svg", c->pages[i]);
        size_t n = 0;
        char *svg = slurp(c, name, &n);
        fprintf(f, "<h2 id=\"%s\">", c->pages[i]);
        rpt_html_put(f, c->titles[i]);
        fprintf(f, "</h2>\n<figure class=\"wide\">");
        bool done = false;
        if (svg != NULL && n <= SVG_MAX_BYTES && strstr(svg, "<svg") != NULL && !svg_unsafe(svg)) {
            svg_inline(f, svg, i, c->titles[i]);
            done = true;
        }
        if (!done && !png_inline(f, c, i)) {
            fprintf(f, "<p class=\"warn\">(picture missing: see ");
            rpt_html_put(f, c->pages[i]);
            fprintf(f, ".png)</p>");
        }
        fprintf(f, "</figure>\n");
        free(svg);
        free(name);
    }
}

/* The model's own check and the scenario in full, as text. */
static void html_text(FILE *f, const rpt_ctx *c)
{
    const char *x = c->extra;
    if (x != NULL && x[strspn(x, " \n")] != '\0') {
        fprintf(f, "<h2 id=\"check\">The model's own check</h2>\n<p class=\"note\">What "
                   "revguard-sim prints below its summary table for this model, recomputed from "
                   "the results file:</p>\n<pre>");
        rpt_html_put(f, x + strspn(x, "\n"));
        fprintf(f, "</pre>\n");
    }
    const char *res = c->m->resolved;
    if (res == NULL || res[0] == '\0')
        return;
    fprintf(f, "<h2 id=\"scenario\">The scenario in full</h2>\n<p class=\"note\">Every key the "
               "run used, resolved; the defaults the file did not set in grey.</p>\n<pre>");
    static const char mark[] = "; default";
    for (const char *p = res; *p;) {
        size_t len = strcspn(p, "\n");
        char *line = rg_xasprintf("%.*s", (int)len, p);
        p += len + (p[len] == '\n');
        size_t l = strlen(line);
        bool dflt = l >= sizeof mark - 1 && strcmp(line + l - (sizeof mark - 1), mark) == 0;
        if (dflt) {
            line[l - (sizeof mark - 1)] = '\0';
            for (l = strlen(line); l > 0 && line[l - 1] == ' ';)
                line[--l] = '\0';
            fprintf(f, "<span class=\"d\">");
            rpt_html_put(f, line);
            fprintf(f, "  (default)</span>\n");
        } else {
            rpt_html_put(f, line);
            fputc('\n', f);
        }
        free(line);
    }
    fprintf(f, "</pre>\n");
}

int rpt_html(rpt_ctx *c)
{
    FILE *f = rpt_out_open(c, "report.html");
    if (f == NULL)
        return -1;
    html_head(f, c);
    html_verdicts(f, c);
    html_table(f, c);
    html_params(f, c);
    html_gif(f, c);
    html_plots(f, c);
    html_text(f, c);
    fprintf(f, "<footer>Made by revguard-sim report from a results file. The pictures' data, "
               "their gnuplot scripts, report.pdf and summary.csv are in the same "
               "directory.</footer>\n</main>\n</body>\n</html>\n");
    return rpt_out_close(c, f, "report.html");
}
