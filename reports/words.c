/*
 * words.c: the report's plain words (words.h): labels, numbers for people,
 * verdicts, the headline and the keys a scenario file sets.  Everything is
 * computed from the results and the metrics' roles; nothing here knows a
 * model or a metric name.  Text from the results is passed through as is:
 * escaping is the writers' job (gnuplot.h, html.c).
 */
#include "reports/words.h"

#include <ctype.h>
#include <strings.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/stats.h"

const char *rpt_rep_word(const rpt_ctx *c, bool plural)
{
    if (c->oversell >= 0)
        return plural ? "drops" : "drop";
    return plural ? "runs" : "run";
}

/* ---- numbers ------------------------------------------------------------ */

const char *rpt_fmt(char *buf, size_t n, double x, int sig)
{
    if (!isfinite(x)) {
        snprintf(buf, n, "n/a");
        return buf;
    }
    /* %g would write 138 with two digits as 1.4e+02: a number of 1 or more
     * that it would write with an exponent is written in full */
    if (fabs(x) < 999.5) {
        snprintf(buf, n, "%.*g", sig, x);
        if (strchr(buf, 'e') == NULL || fabs(x) < 1)
            return buf;
    }
    if (fabs(x) >= 1e15) {
        snprintf(buf, n, "%.*g", sig, x);
        return buf;
    }
    char digits[32];
    snprintf(digits, sizeof digits, "%.0f", fabs(x));
    size_t len = strlen(digits), o = 0;
    if (x < 0 && o + 1 < n)
        buf[o++] = '-';
    for (size_t i = 0; i < len && o + 1 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0 && o + 2 < n)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* ---- labels ------------------------------------------------------------- */

/* Whether text reads as a formula rather than words. */
static bool formula_like(const char *s)
{
    return strchr(s, '=') || strstr(s, " / ") || strstr(s, "max(") || strstr(s, "min(") ||
           strstr(s, " - ") || strstr(s, " + ") || strstr(s, " x ");
}

/* The label without capitalising: see rpt_met_label. */
static char *label_raw(const rg_metric *m)
{
    const char *d = m->desc && m->desc[0] ? m->desc : m->name;
    if (strncmp(d, "1 if ", 5) == 0 && d[5])
        d += 5;
    char *t = rg_xstrdup(d);
    char *colon = strchr(t, ':');
    /* "403: guardrail tripped": a code before the colon, words after it */
    if (colon != NULL && colon - t < 5 && colon[1] == ' ') {
        char *rest = rg_xstrdup(colon + 2);
        free(t);
        t = rest;
    } else if (colon != NULL && colon > t)
        *colon = '\0';
    size_t len = strlen(t);
    while (len > 0 && t[len - 1] == ' ')
        t[--len] = '\0';
    /* a trailing parenthesis: "(409)", "(uploaded, not listed)" */
    if (len > 0 && t[len - 1] == ')') {
        char *open = strrchr(t, '(');
        if (open != NULL && open > t + 1 && open[-1] == ' ') {
            open[-1] = '\0';
            len = strlen(t);
        }
    }
    /* a share's "in this replication": the cell says of what */
    static const char rep[] = " in this replication";
    if (len > sizeof rep && strcmp(t + len - (sizeof rep - 1), rep) == 0)
        t[len -= sizeof rep - 1] = '\0';
    /* what is left of "busy server time / (servers x measured time)" ends
     * in an operator: a formula too */
    if (len == 0 || formula_like(t) || strchr("/*=+-", t[len - 1]) != NULL) {
        free(t);
        t = rg_xstrdup(m->name);
        for (char *p = t; *p; p++)
            if (*p == '_')
                *p = ' ';
    }
    return t;
}

char *rpt_met_label(const rg_metric *m)
{
    if (m->role == RG_ROLE_OVERSELL)
        return rg_xstrdup("Units sold beyond the stock");
    char *t = label_raw(m);
    if (t[0] >= 'a' && t[0] <= 'z')
        t[0] = (char)(t[0] - 'a' + 'A');
    return t;
}

/* Whether text names the unit (its singular, case-insensitively). */
static bool names_unit(const char *text, const char *unit)
{
    size_t ul = strlen(unit);
    if (ul > 1 && unit[ul - 1] == 's')
        ul--;
    for (const char *p = text; *p; p++)
        if (strncasecmp(p, unit, ul) == 0)
            return true;
    return false;
}

char *rpt_met_label_unit(const rpt_ctx *c, const rg_metric *m)
{
    char *t = rpt_met_label(m);
    if (m->flags & RG_MF_PROB) {
        char *u = rg_xasprintf("%s (%% of %s)", t, rpt_rep_word(c, true));
        free(t);
        return u;
    }
    if (m->flags & RG_MF_MS)
        return t;
    if (m->unit == NULL || !m->unit[0] || strcmp(m->unit, "1") == 0 || names_unit(t, m->unit))
        return t;
    char *u = rg_xasprintf("%s (%s)", t, m->unit);
    free(t);
    return u;
}

bool rpt_met_is_quantile(const rg_metric *m)
{
    return m->role == RG_ROLE_LAT_P50 || m->role == RG_ROLE_LAT_P95 || m->role == RG_ROLE_LAT_P99;
}

/* ---- cells -------------------------------------------------------------- */

const char *rpt_fmt_ci(char *buf, size_t n, double ci)
{
    /* the exponent after rounding to two digits: 9.96e-05 is 0.0001 */
    char e[32];
    snprintf(e, sizeof e, "%.1e", ci);
    const char *x = strchr(e, 'e');
    int exp10 = x != NULL ? atoi(x + 1) : 0;
    if (exp10 >= -4 || exp10 < -9)
        return rpt_fmt(buf, n, ci, 2);
    /* two significant digits, trailing zeros dropped as %g drops them */
    snprintf(buf, n, "%.*f", 1 - exp10, ci);
    size_t len = strlen(buf);
    while (len > 0 && buf[len - 1] == '0')
        buf[--len] = '\0';
    return buf;
}

char *rpt_cell(const rpt_ctx *c, size_t v, size_t m, bool max)
{
    const rg_metric *me = &c->r->met[m];
    const rg_summary *s = rpt_summ(c, v, m);
    if (s->n == 0)
        return rg_xstrdup("n/a");
    double k = rpt_met_scale(me);
    const char *unit = (me->flags & RG_MF_MS) ? " ms" : (me->flags & RG_MF_PROB) ? " %" : "";
    char a[48], b[48];
    if (max)
        return rg_xasprintf("%s%s", rpt_fmt(a, sizeof a, s->max * k, 3), unit);
    if (rpt_met_is_quantile(me))
        return rg_xasprintf("%s%s", rpt_fmt(a, sizeof a, s->p50 * k, 3), unit);
    double ci = s->ci95 * k;
    if (!isfinite(ci) || ci <= 0 || s->min == s->max)
        return rg_xasprintf("%s%s", rpt_fmt(a, sizeof a, s->mean * k, 4), unit);
    return rg_xasprintf("%s ± %s%s", rpt_fmt(a, sizeof a, s->mean * k, 3),
                        rpt_fmt_ci(b, sizeof b, ci), unit);
}

bool rpt_met_steady(const rpt_ctx *c, size_t m)
{
    for (size_t v = 0; v < c->r->nvar; v++) {
        const rg_summary *s = rpt_summ(c, v, m);
        if (s->n > 0 && s->min != s->max)
            return false;
    }
    return true;
}

/* ---- verdicts ----------------------------------------------------------- */

/* The shown metric of role `role` with values for variant v, or -1. */
static int role_for(const rpt_ctx *c, rg_mrole role, size_t v)
{
    int m = rg_results_role(c->r, role);
    if (m < 0 || rpt_summ(c, v, (size_t)m)->n == 0)
        return -1;
    return m;
}

/* Replications of variant v in which metric m is above zero. */
static uint64_t count_positive(const rpt_ctx *c, size_t v, size_t m)
{
    uint64_t k = 0, gone = 0;
    for (uint64_t i = 0; i < c->n; i++) {
        k += rg_results_value(c->r, v, i, m) > 0;
        gone = rg_results_read_past(c->r, v, gone, i, c->n);
    }
    return k;
}

/* Replications of variant v that oversold: units told "yours" beyond the
 * stock (the oversell role), or units the stores' orders hold beyond it
 * though no buyer was told (RG_ROLE_HELD_OVERSELL, where the experiment
 * has it: a naive write whose clients all timed out still sold them). */
static uint64_t count_oversold(const rpt_ctx *c, size_t v)
{
    int h = role_for(c, RG_ROLE_HELD_OVERSELL, v);
    uint64_t k = 0, gone = 0;
    for (uint64_t i = 0; i < c->n; i++) {
        k += rg_results_value(c->r, v, i, (size_t)c->oversell) > 0 ||
             (h >= 0 && rg_results_value(c->r, v, i, (size_t)h) > 0);
        gone = rg_results_read_past(c->r, v, gone, i, c->n);
    }
    return k;
}

/* "<pre>25 % of the stock<post>" for x units, or nothing without a stock
 * role. */
static void stock_share(rg_buf *b, const rpt_ctx *c, size_t v, double x, const char *pre,
                        const char *post)
{
    int ks = role_for(c, RG_ROLE_STOCK, v);
    double stock = ks >= 0 ? rpt_summ(c, v, (size_t)ks)->mean : NAN;
    if (isfinite(stock) && stock > 0) {
        char p[32];
        rg_buf_printf(b, "%s%s %% of the stock%s", pre, rpt_fmt(p, sizeof p, 100.0 * x / stock, 2),
                      post);
    }
}

/* What variant v oversold, in words. */
static void verdict_oversell(rg_buf *b, const rpt_ctx *c, size_t v)
{
    size_t m = (size_t)c->oversell;
    const rg_summary *s = rpt_summ(c, v, m);
    uint64_t pos = count_positive(c, v, m);
    char n[32], x[32], y[32];
    rpt_fmt(n, sizeof n, (double)c->n, 4);
    int h = role_for(c, RG_ROLE_HELD_OVERSELL, v);
    uint64_t held = h >= 0 ? count_positive(c, v, (size_t)h) : 0;
    if (pos == 0 && held > 0) {
        /* nobody was told, yet the stores sold beyond the stock */
        const rg_summary *hs = rpt_summ(c, v, (size_t)h);
        rg_buf_printf(b,
                      "no buyer was told of a unit beyond the stock, yet the stores hold %s "
                      "units beyond it on average",
                      rpt_fmt(x, sizeof x, hs->mean, 3));
        stock_share(b, c, v, hs->mean, " (", ")");
        if (held == c->n)
            rg_buf_printf(b, ", in every %s", rpt_rep_word(c, false));
        else
            rg_buf_printf(b, ", in %s %% of %s",
                          rpt_fmt(y, sizeof y, 100.0 * (double)held / (double)c->n, 3),
                          rpt_rep_word(c, true));
    } else if (pos == 0) {
        rg_buf_printf(b, "never oversold in %s %s", n, rpt_rep_word(c, c->n != 1));
    } else if (pos == c->n && s->min == s->max) {
        rg_buf_printf(b, "oversold %s units", rpt_fmt(x, sizeof x, s->max, 4));
        stock_share(b, c, v, s->max, ", ", ",");
        rg_buf_printf(b, " in every %s", rpt_rep_word(c, false));
    } else if (pos == c->n) {
        rg_buf_printf(b, "oversold in every %s: %s units on average", rpt_rep_word(c, false),
                      rpt_fmt(x, sizeof x, s->mean, 3));
        stock_share(b, c, v, s->mean, " (", ")");
        rg_buf_printf(b, ", at most %s", rpt_fmt(y, sizeof y, s->max, 4));
    } else {
        rg_buf_printf(b, "oversold in %s %% of %s (%s of %s), at most %s units",
                      rpt_fmt(x, sizeof x, 100.0 * (double)pos / (double)c->n, 3),
                      rpt_rep_word(c, true), rpt_fmt(y, sizeof y, (double)pos, 4), n,
                      rpt_fmt(y, sizeof y, s->max, 4));
        stock_share(b, c, v, s->max, " (", ")");
    }
}

/* "; median answer 35.2 ms, 99 % within 128 ms" from the latency roles. */
static void verdict_latency(rg_buf *b, const rpt_ctx *c, size_t v)
{
    int p50 = role_for(c, RG_ROLE_LAT_P50, v), p99 = role_for(c, RG_ROLE_LAT_P99, v);
    char x[32];
    if (p50 >= 0)
        rg_buf_printf(b, "; median answer %s ms",
                      rpt_fmt(x, sizeof x, rpt_summ(c, v, (size_t)p50)->p50 * 1e3, 3));
    if (p99 >= 0)
        rg_buf_printf(b, "%s99 %% within %s ms", p50 >= 0 ? ", " : "; ",
                      rpt_fmt(x, sizeof x, rpt_summ(c, v, (size_t)p99)->p50 * 1e3, 3));
}

/* "; humans won 72 units, bots 28; cost $0.00016 a drop" from the buyer
 * and cost roles, when the model shows them. */
static void verdict_buyers(rg_buf *b, const rpt_ctx *c, size_t v)
{
    int h = role_for(c, RG_ROLE_UNITS_HUMANS, v), k = role_for(c, RG_ROLE_UNITS_BOTS, v);
    int cost = role_for(c, RG_ROLE_COST, v);
    char x[32], y[32];
    if (h >= 0 && k >= 0 && (c->r->met[h].flags & RG_MF_SHOW))
        rg_buf_printf(b, "; humans won %s units, bots %s",
                      rpt_fmt(x, sizeof x, rpt_summ(c, v, (size_t)h)->mean, 3),
                      rpt_fmt(y, sizeof y, rpt_summ(c, v, (size_t)k)->mean, 3));
    if (cost >= 0 && (c->r->met[cost].flags & RG_MF_SHOW))
        rg_buf_printf(b, "; cost $%s a %s",
                      rpt_fmt(x, sizeof x, rpt_summ(c, v, (size_t)cost)->mean, 2),
                      rpt_rep_word(c, false));
}

/* Without an oversell role: the first shown share ("batch succeeded in
 * 23.3 % of 1,000 runs"), then the first shown time, or else the first
 * other shown metric. */
static void verdict_generic(rg_buf *b, const rpt_ctx *c, size_t v)
{
    int prob = -1, first = -1, time = -1;
    for (size_t k = 0; k < c->nshow; k++) {
        size_t m = c->show[k];
        unsigned fl = c->r->met[m].flags;
        if (rpt_summ(c, v, m)->n == 0)
            continue;
        if ((fl & RG_MF_PROB) && prob < 0)
            prob = (int)m;
        if (!(fl & RG_MF_PROB) && first < 0)
            first = (int)m;
        if ((fl & RG_MF_MS) && time < 0 && !(fl & RG_MF_PROB))
            time = (int)m;
    }
    const char *sep = "";
    char x[32], n[32];
    if (prob >= 0) {
        char *l = label_raw(&c->r->met[prob]);
        rg_buf_printf(b, "%s in %s %% of %s %s", l,
                      rpt_fmt(x, sizeof x, rpt_summ(c, v, (size_t)prob)->mean * 100, 3),
                      rpt_fmt(n, sizeof n, (double)c->n, 4), rpt_rep_word(c, c->n != 1));
        free(l);
        sep = "; ";
    }
    int more[2] = {time >= 0 ? -1 : first, time};
    for (int i = 0; i < 2; i++) {
        if (more[i] < 0)
            continue;
        char *l = label_raw(&c->r->met[more[i]]), *cell = rpt_cell(c, v, (size_t)more[i], false);
        rg_buf_printf(b, "%s%s: %s", sep, l, cell);
        free(l);
        free(cell);
        sep = "; ";
    }
}

char *rpt_verdict(const rpt_ctx *c, size_t v)
{
    rg_buf b = {0};
    rg_buf_printf(&b, "%s", "");
    if (c->n == 0)
        rg_buf_printf(&b, "no complete %s", rpt_rep_word(c, false));
    else if (c->oversell >= 0 && rpt_summ(c, v, (size_t)c->oversell)->n > 0) {
        verdict_oversell(&b, c, v);
        verdict_latency(&b, c, v);
        verdict_buyers(&b, c, v);
    } else
        verdict_generic(&b, c, v);
    return b.s;
}

/* ---- headline ----------------------------------------------------------- */

/* Appends names[0..n-1] as "a", "a and b", "a, b and c". */
static void and_list(rg_buf *b, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rg_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " and ", names[i]);
}

/* The oversell headline: which variants oversold always, sometimes, never. */
static void headline_oversell(rg_buf *b, const rpt_ctx *c)
{
    size_t nv = c->r->nvar, cnt[3] = {0, 0, 0};
    char **grp[3];
    for (int g = 0; g < 3; g++)
        grp[g] = rg_xcalloc(nv, sizeof *grp[g]);
    for (size_t v = 0; v < nv; v++) {
        if (rpt_summ(c, v, (size_t)c->oversell)->n == 0)
            continue;
        uint64_t pos = count_oversold(c, v);
        int g = pos == c->n ? 0 : pos > 0 ? 1 : 2;
        grp[g][cnt[g]++] = c->r->varnames[v];
    }
    char n[32];
    rpt_fmt(n, sizeof n, (double)c->n, 4);
    for (int g = 0; g < 3; g++) {
        if (cnt[g] == 0)
            continue;
        if (b->len)
            rg_buf_printf(b, "  ");
        if (g == 0)
            rg_buf_printf(b, "Oversold in every %s: ", rpt_rep_word(c, false));
        else if (g == 1)
            rg_buf_printf(b, "Oversold in some %s: ", rpt_rep_word(c, true));
        else
            rg_buf_printf(b, "Never oversold in %s %s: ", n, rpt_rep_word(c, c->n != 1));
        and_list(b, grp[g], cnt[g]);
        rg_buf_printf(b, ".");
    }
    for (int g = 0; g < 3; g++)
        free(grp[g]);
}

/* The share headline: the first shown share, variants grouped by value,
 * highest first. */
static void headline_share(rg_buf *b, const rpt_ctx *c, size_t m)
{
    size_t nv = c->r->nvar;
    bool *done = rg_xcalloc(nv, sizeof *done);
    char **names = rg_xcalloc(nv, sizeof *names);
    char *l = rpt_met_label(&c->r->met[m]);
    rg_buf_printf(b, "%s:", l);
    free(l);
    const char *sep = " ";
    for (;;) {
        double best = -INFINITY;
        char bestf[32] = "", f[32];
        for (size_t v = 0; v < nv; v++) {
            double x = rpt_summ(c, v, m)->mean * 100;
            if (!done[v] && isfinite(x) && x > best) {
                best = x;
                rpt_fmt(bestf, sizeof bestf, x, 3);
            }
        }
        if (best == -INFINITY)
            break;
        size_t k = 0;
        for (size_t v = 0; v < nv; v++)
            if (!done[v] && isfinite(rpt_summ(c, v, m)->mean) &&
                strcmp(rpt_fmt(f, sizeof f, rpt_summ(c, v, m)->mean * 100, 3), bestf) == 0) {
                done[v] = true;
                names[k++] = c->r->varnames[v];
            }
        if (strcmp(bestf, "100") == 0)
            rg_buf_printf(b, "%salways with ", sep);
        else if (strcmp(bestf, "0") == 0)
            rg_buf_printf(b, "%snever with ", sep);
        else
            rg_buf_printf(b, "%sin %s %% of %s with ", sep, bestf, rpt_rep_word(c, true));
        and_list(b, names, k);
        sep = "; ";
    }
    rg_buf_printf(b, ".");
    free(names);
    free(done);
}

char *rpt_headline(const rpt_ctx *c)
{
    if (c->n == 0 || c->r->nvar == 0)
        return NULL;
    rg_buf b = {0};
    if (c->oversell >= 0)
        headline_oversell(&b, c);
    else
        for (size_t k = 0; k < c->nshow; k++)
            if (c->r->met[c->show[k]].flags & RG_MF_PROB) {
                headline_share(&b, c, c->show[k]);
                break;
            }
    return b.s;
}

char *rpt_quantile_note(const rpt_ctx *c)
{
    bool any = false;
    for (size_t k = 0; k < c->nshow; k++)
        any = any || rpt_met_is_quantile(&c->r->met[c->show[k]]);
    if (!any)
        return NULL;
    char n[32];
    return rg_xasprintf("† the median over the %s %s of each %s's own percentile (in the middle "
                        "%s, half the answers came within the p50); other numbers: the mean "
                        "over the %s, ± its 95 %% confidence interval where it varied.",
                        rpt_fmt(n, sizeof n, (double)c->n, 4), rpt_rep_word(c, true),
                        rpt_rep_word(c, false), rpt_rep_word(c, false), rpt_rep_word(c, true));
}

/* ---- the keys a file sets ----------------------------------------------- */

/* [scenario] keys the headline already shows. */
static bool in_headline(const char *sec, const char *key, size_t klen)
{
    static const char *const keys[] = {"name", "description", "model", "seed", "replications"};
    if (strcmp(sec, "scenario") != 0)
        return false;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strlen(keys[i]) == klen && strncmp(keys[i], key, klen) == 0)
            return true;
    return false;
}

/* Ends section sec's line (text in b, nkeys keys) into the list. */
static void flush_section(char ***lines, size_t *n, const char *sec, rg_buf *b, size_t nkeys)
{
    bool variant = strncmp(sec, "variant.", 8) == 0;
    if (sec[0] && (nkeys > 0 || variant)) {
        *lines = rg_xrealloc(*lines, (*n + 1) * sizeof **lines);
        (*lines)[(*n)++] =
            rg_xasprintf("%s%s: %s", variant ? "variant " : "", variant ? sec + 8 : sec,
                         nkeys ? b->s : "as the sections above");
    }
    rg_buf_free(b);
}

size_t rpt_params_set(const char *resolved, char ***lines)
{
    static const char mark[] = "; default";
    *lines = NULL;
    size_t n = 0, nkeys = 0;
    char *sec = rg_xstrdup("");
    rg_buf b = {0};
    for (const char *p = resolved ? resolved : ""; *p;) {
        size_t len = strcspn(p, "\n");
        const char *line = p;
        p += len + (p[len] == '\n');
        while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\r'))
            len--;
        if (len == 0)
            continue;
        if (line[0] == '[' && line[len - 1] == ']') {
            flush_section(lines, &n, sec, &b, nkeys);
            free(sec);
            sec = rg_xasprintf("%.*s", (int)(len - 2), line + 1);
            nkeys = 0;
            continue;
        }
        if (len >= sizeof mark - 1 &&
            memcmp(line + len - (sizeof mark - 1), mark, sizeof mark - 1) == 0)
            continue;
        size_t klen = strcspn(line, " =");
        if (klen > len || in_headline(sec, line, klen))
            continue;
        rg_buf_printf(&b, "%s%.*s", nkeys++ ? " · " : "", (int)len, line);
    }
    flush_section(lines, &n, sec, &b, nkeys);
    free(sec);
    return n;
}
