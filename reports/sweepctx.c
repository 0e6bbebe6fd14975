/*
 * sweepctx.c: what the pages of a sweep report share (sweepplot.h): the
 * sweep's axes read off its points (which variables step on their own, log
 * or linear, their units and positions) and the values and titles written
 * for people.  Kept apart so that the report (sweeprep.c) and its plot
 * pages (sweepplot.c) both depend on it and not on each other.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/gnuplot.h"
#include "reports/sweepplot.h"

/* ---- axes --------------------------------------------------------------- */

const char *swp_text_of(const rg_sweep *sw, size_t k, size_t v)
{
    return sw->text[k * sw->nvars + v] ? sw->text[k * sw->nvars + v] : "";
}

/* True if variables u and v step together: any two points agree on u
 * exactly when they agree on v.  Quadratic in points: a sweep has at most
 * some thousands. */
static bool lockstep(const rg_sweep *sw, size_t u, size_t v)
{
    for (size_t a = 0; a < sw->npoints; a++)
        for (size_t b = a + 1; b < sw->npoints; b++) {
            bool su = strcmp(swp_text_of(sw, a, u), swp_text_of(sw, b, u)) == 0;
            bool sv = strcmp(swp_text_of(sw, a, v), swp_text_of(sw, b, v)) == 0;
            if (su != sv)
                return false;
        }
    return true;
}

/* The kind of quantity text t is, from its unit. */
static swp_kind kind_of(const char *t, bool *zero)
{
    char *end;
    double x = strtod(t, &end);
    while (*end == ' ')
        end++;
    *zero = x == 0;
    static const char *const durations[] = {"ns", "us", "ms", "s", "min", "h"};
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++)
        if (strncmp(end, durations[i], strlen(durations[i])) == 0 &&
            strspn(end + strlen(durations[i]), " ") == strlen(end + strlen(durations[i])))
            return SWP_DURATION;
    return end[0] == '%' ? SWP_PERCENT : SWP_PLAIN;
}

/* A duration's display unit for values up to m seconds, and its factor. */
static const char *duration_unit(double m, double *scale)
{
    static const struct {
        double below, scale;
        const char *name;
    } u[] = {{1e-6, 1e9, "ns"},
             {1e-3, 1e6, "µs"},
             {1, 1e3, "ms"},
             {120, 1, "s"},
             {7200, 1.0 / 60, "min"}};
    for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
        if (m < u[i].below) {
            *scale = u[i].scale;
            return u[i].name;
        }
    *scale = 1.0 / 3600;
    return "h";
}

/* Positions: the distinct values of the axis's first variable, in order of
 * value (text axes: of first appearance). */
static void axis_positions(swp_axis *a, const rg_sweep *sw)
{
    size_t var = a->vars[0];
    a->at = rg_xcalloc(sw->npoints, sizeof *a->at);
    a->first = rg_xcalloc(sw->npoints, sizeof *a->first);
    a->si = rg_xcalloc(sw->npoints, sizeof *a->si);
    for (size_t k = 0; k < sw->npoints; k++) {
        size_t p = 0;
        while (p < a->n && strcmp(swp_text_of(sw, a->first[p], var), swp_text_of(sw, k, var)) != 0)
            p++;
        if (p == a->n) {
            a->first[a->n] = k;
            a->si[a->n++] = sw->value[k * sw->nvars + var];
        }
        a->at[k] = p;
    }
    for (size_t p = 0; p < a->n; p++)
        a->text = a->text || !isfinite(a->si[p]);
    if (a->text)
        return;
    /* Sort positions by value (insertion: few values), then renumber. */
    size_t *order = rg_xcalloc(a->n, sizeof *order), *rank = rg_xcalloc(a->n, sizeof *rank);
    for (size_t p = 0; p < a->n; p++) {
        size_t i = p;
        while (i > 0 && a->si[order[i - 1]] > a->si[p]) {
            order[i] = order[i - 1];
            i--;
        }
        order[i] = p;
    }
    size_t *first = rg_xcalloc(a->n, sizeof *first);
    double *si = rg_xcalloc(a->n, sizeof *si);
    for (size_t i = 0; i < a->n; i++) {
        rank[order[i]] = i;
        first[i] = a->first[order[i]];
        si[i] = a->si[order[i]];
    }
    for (size_t k = 0; k < sw->npoints; k++)
        a->at[k] = rank[a->at[k]];
    memcpy(a->first, first, a->n * sizeof *first);
    memcpy(a->si, si, a->n * sizeof *si);
    free(first);
    free(si);
    free(order);
    free(rank);
}

/* The kind and display unit of a numeric axis. */
static void axis_units(swp_axis *a, const rg_sweep *sw)
{
    a->scale = 1;
    a->unit = "";
    a->kind = SWP_PLAIN;
    if (a->text)
        return;
    bool dur = false, pct = false, plain = false;
    double m = 0;
    for (size_t p = 0; p < a->n; p++) {
        bool zero;
        swp_kind k = kind_of(swp_text_of(sw, a->first[p], a->vars[0]), &zero);
        dur = dur || k == SWP_DURATION;
        pct = pct || k == SWP_PERCENT;
        plain = plain || (k == SWP_PLAIN && !zero); /* a bare 0 fits any unit */
        m = fmax(m, fabs(a->si[p]));
    }
    a->kind = dur && !pct && !plain   ? SWP_DURATION
              : pct && !dur && !plain ? SWP_PERCENT
                                      : SWP_PLAIN;
    bool pos = true;
    for (size_t p = 0; p < a->n; p++)
        pos = pos && a->si[p] > 0;
    a->log = sw->log[a->vars[0]] && pos && a->n > 1;
    if (a->kind == SWP_PERCENT) {
        a->scale = 100;
        a->unit = "%";
    } else if (a->kind == SWP_DURATION && !a->log) {
        a->unit = duration_unit(m, &a->scale);
    }
}

/* Groups the variables into axes, those with more than one value first. */
void swp_make_axes(swp_ctx *s)
{
    const rg_sweep *sw = s->sw;
    size_t nv = sw->nvars ? sw->nvars : 1;
    swp_axis *ax = rg_xcalloc(nv, sizeof *ax);
    size_t nax = 0;
    for (size_t v = 0; v < sw->nvars; v++) {
        size_t g = 0;
        while (g < nax && !lockstep(sw, ax[g].vars[0], v))
            g++;
        if (g == nax)
            ax[nax++].vars = rg_xcalloc(sw->nvars, sizeof *ax[g].vars);
        ax[g].vars[ax[g].nvars++] = v;
    }
    for (size_t g = 0; g < nax; g++) {
        axis_positions(&ax[g], sw);
        axis_units(&ax[g], sw);
    }
    /* Stable: varying axes first, constants (held anyway) after. */
    s->ax = rg_xcalloc(nv, sizeof *s->ax);
    for (int pass = 0; pass < 2; pass++)
        for (size_t g = 0; g < nax; g++)
            if ((ax[g].n > 1) == (pass == 0))
                s->ax[s->nax++] = ax[g];
    free(ax);
}

/* Axes with more than one value (at least one axis counts). */
size_t swp_plotted_axes(const swp_ctx *s)
{
    size_t n = 0;
    while (n < s->nax && s->ax[n].n > 1)
        n++;
    return n ? n : 1;
}

/* ---- values for people -------------------------------------------------- */

const rg_summary *swp_summ(const swp_ctx *s, size_t k, size_t v, size_t m)
{
    return rg_results_summary(s->sw->res[k], v, m);
}

char *swp_fmt_value(const swp_ctx *s, const swp_axis *a, size_t pos)
{
    double x = a->si[pos];
    if (a->text)
        return rg_gnuplot_cut(swp_text_of(s->sw, a->first[pos], a->vars[0]), 24);
    if (a->kind == SWP_PERCENT)
        return rg_xasprintf("%.3g %%", x * 100);
    if (a->kind == SWP_DURATION) {
        if (x == 0)
            return rg_xstrdup("0");
        /* the largest unit the value is at least one of: 90 s is 1.5 min */
        static const struct {
            double s;
            const char *name;
        } u[] = {{3600, "h"}, {60, "min"}, {1, "s"}, {1e-3, "ms"}, {1e-6, "µs"}};
        size_t i = 0;
        while (i < sizeof u / sizeof u[0] && fabs(x) < u[i].s * (1 - 1e-9))
            i++;
        if (i == sizeof u / sizeof u[0])
            return rg_xasprintf("%.3g ns", x * 1e9);
        return rg_xasprintf("%.3g %s", x / u[i].s, u[i].name);
    }
    return rg_xasprintf("%.4g", x);
}

char *swp_axis_label(const swp_ctx *s, const swp_axis *a, bool positions)
{
    rg_buf b = {0};
    const char *u = positions ? "" : a->unit;
    rg_buf_printf(&b, "%s", s->sw->vars[a->vars[0]]);
    if (a->log)
        rg_buf_printf(&b, " (log scale%s%s)", u[0] ? ", " : "", u);
    else if (u[0])
        rg_buf_printf(&b, " (%s)", u);
    for (size_t i = 1; i < a->nvars; i++)
        rg_buf_printf(&b, "%s%s", i == 1 ? "; in step: " : ", ", s->sw->vars[a->vars[i]]);
    return b.s;
}

char *swp_page_title(const swp_ctx *s, const swp_page *p)
{
    char *mt = rpt_met_title(&s->c.r->met[p->met]);
    char *t;
    if (swp_plotted_axes(s) == 1)
        t = rg_xasprintf("%s against %s", mt, s->sw->vars[s->ax[0].vars[0]]);
    else if (p->nv == s->c.r->nvar)
        t = rg_xasprintf("%s over %s and %s", mt, s->sw->vars[s->ax[0].vars[0]],
                         s->sw->vars[s->ax[1].vars[0]]);
    else
        t = rg_xasprintf("%s over %s and %s (variants %zu to %zu)", mt,
                         s->sw->vars[s->ax[0].vars[0]], s->sw->vars[s->ax[1].vars[0]], p->v0 + 1,
                         p->v0 + p->nv);
    free(mt);
    /* the axes held at their first value */
    for (size_t g = 2; g < swp_plotted_axes(s); g++) {
        char *v = swp_fmt_value(s, &s->ax[g], 0);
        char *u = rg_xasprintf("%s%s %s = %s", t, g == 2 ? "," : " and",
                               s->sw->vars[s->ax[g].vars[0]], v);
        free(t);
        free(v);
        t = u;
    }
    return t;
}
