/*
 * iter.c: iteration variables (iter.h).
 *
 * rg_iter_scan finds every ${...} of the texts and records where it stands
 * (text, offsets, line) and which variable it names; specs are parsed by
 * rg_iter_plan, so that --vary can replace one first.  Values are planned
 * once: a point's text is made by copying the text with each expression
 * replaced, in order.
 */
#include "sim/engine/iter.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Units a quantity may carry; index 0 is none.  Durations are in seconds,
 * percentages fractions. */
enum { K_PLAIN, K_DURATION, K_PERCENT };
static const struct {
    const char *name;
    double scale;
    int kind;
} units[] = {
    {"", 1, K_PLAIN},         {"ns", 1e-9, K_DURATION}, {"us", 1e-6, K_DURATION},
    {"ms", 1e-3, K_DURATION}, {"s", 1, K_DURATION},     {"min", 60, K_DURATION},
    {"h", 3600, K_DURATION},  {"%", 0.01, K_PERCENT},
};
#define NUNITS (sizeof units / sizeof units[0])

typedef struct expr {
    size_t text, line;
    size_t start, end; /* offsets of "${" and one past "}" */
    size_t var;
} expr;

typedef struct var {
    char *name;
    char *spec;  /* as written (or from --vary) */
    char *lock;  /* the variable it steps with, or NULL */
    char *where; /* "file:line" of its definition */
    size_t master;
    bool range, log, bracket;
    double lo, hi;
    int kind; /* of a range's ends */
    size_t n;
    char **text; /* planned values */
    double *si;
} var;

struct rg_iter {
    char **texts, **names;
    size_t ntext;
    expr *ex;
    size_t nex;
    var *v;
    size_t nvar;
    size_t npoints;
    bool planned;
};

static int fail(rg_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(rg_err *e, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rg_err_set(e, RG_ERR_INPUT, "%s", msg);
}

static char *trimdup(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return rg_xasprintf("%.*s", (int)n, s);
}

static bool is_name(const char *s)
{
    if (!(isalpha((unsigned char)*s) || *s == '_'))
        return false;
    for (; *s; s++)
        if (!(isalnum((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

int rg_iter_quantity(const char *s, double *si)
{
    while (isspace((unsigned char)*s))
        s++;
    char *end;
    double x = strtod(s, &end);
    if (end == s || !isfinite(x))
        return -1;
    size_t n = strlen(end);
    while (n > 0 && isspace((unsigned char)end[n - 1]))
        n--;
    for (size_t u = 0; u < NUNITS; u++)
        if (strlen(units[u].name) == n && strncmp(end, units[u].name, n) == 0) {
            *si = x * units[u].scale;
            return (int)u;
        }
    return -1;
}

/* Offset of the first c at parenthesis depth 0 in s[0..n), or n. */
static size_t find_top(const char *s, size_t n, const char *c)
{
    size_t cl = strlen(c);
    int depth = 0;
    for (size_t i = 0; i + cl <= n; i++) {
        if (s[i] == '(')
            depth++;
        else if (s[i] == ')' && depth > 0)
            depth--;
        else if (depth == 0 && strncmp(s + i, c, cl) == 0)
            return i;
    }
    return n;
}

static var *find_var(rg_iter *it, const char *name)
{
    for (size_t i = 0; i < it->nvar; i++)
        if (strcmp(it->v[i].name, name) == 0)
            return &it->v[i];
    return NULL;
}

/* Records the expression body b[0..n) of text t at line `line`.  Names of
 * references are kept in ex->var as an index into refs (resolved later). */
static int add_expr(rg_iter *it, size_t t, size_t line, size_t start, size_t end, const char *b,
                    size_t n, char ***refs, size_t *nrefs, rg_err *e)
{
    const char *where = it->names[t];
    size_t eq = find_top(b, n, "=");
    char *name = trimdup(b, eq);
    if (!is_name(name)) {
        fail(e, "%s:%zu: ${%.*s}: expected ${NAME=SPEC} or ${NAME}, NAME a word", where, line,
             (int)n, b);
        free(name);
        return -1;
    }
    it->ex = rg_xrealloc(it->ex, (it->nex + 1) * sizeof *it->ex);
    expr *x = &it->ex[it->nex++];
    *x = (expr){t, line, start, end, 0};
    if (eq == n) { /* a reference, resolved once every text is scanned */
        *refs = rg_xrealloc(*refs, (*nrefs + 1) * sizeof **refs);
        (*refs)[(*nrefs)++] = name;
        x->var = SIZE_MAX - (*nrefs - 1);
        return 0;
    }
    var *old = find_var(it, name);
    if (old != NULL) {
        fail(e, "%s:%zu: variable '%s' is defined twice (first at %s); write ${%s} to use it again",
             where, line, name, old->where, name);
        free(name);
        return -1;
    }
    const char *sp = b + eq + 1;
    size_t sn = n - eq - 1, bang = find_top(sp, sn, "!");
    it->v = rg_xrealloc(it->v, (it->nvar + 1) * sizeof *it->v);
    var *v = &it->v[it->nvar];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->spec = trimdup(sp, bang);
    v->lock = bang < sn ? trimdup(sp + bang + 1, sn - bang - 1) : NULL;
    v->where = rg_xasprintf("%s:%zu", where, line);
    x->var = it->nvar++;
    if (v->spec[0] == '\0')
        return fail(e, "%s: ${%s=}: the variable has no values", v->where, name);
    if (v->lock && !is_name(v->lock))
        return fail(e, "%s: ${%s=... ! %s}: expected the name of another variable after '!'",
                    v->where, name, v->lock);
    return 0;
}

/* Scans text t for expressions. */
static int scan_text(rg_iter *it, size_t t, char ***refs, size_t *nrefs, rg_err *e)
{
    const char *s = it->texts[t];
    size_t line = 1;
    bool line_start = true, comment = false;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '\n') {
            line++;
            line_start = true;
            comment = false;
            continue;
        }
        if (line_start && !isspace((unsigned char)s[i])) {
            comment = s[i] == ';' || s[i] == '#';
            line_start = false;
        }
        if (comment || s[i] != '$' || s[i + 1] != '{')
            continue;
        size_t b = i + 2, depth = 0, j = b;
        for (; s[j] && s[j] != '\n'; j++) {
            if (s[j] == '(')
                depth++;
            else if (s[j] == ')' && depth > 0)
                depth--;
            else if (s[j] == '$' && s[j + 1] == '{')
                return fail(e, "%s:%zu: an expression cannot hold another ${", it->names[t], line);
            else if (s[j] == '}' && depth == 0)
                break;
        }
        if (s[j] != '}')
            return fail(e, "%s:%zu: '${' without its closing '}' on the same line", it->names[t],
                        line);
        if (add_expr(it, t, line, i, j + 1, s + b, j - b, refs, nrefs, e) < 0)
            return -1;
        i = j;
    }
    return 0;
}

rg_iter *rg_iter_scan(const char *const *texts, const char *const *names, size_t n, rg_err *e)
{
    rg_iter *it = rg_xcalloc(1, sizeof *it);
    it->ntext = n;
    it->texts = rg_xcalloc(n ? n : 1, sizeof *it->texts);
    it->names = rg_xcalloc(n ? n : 1, sizeof *it->names);
    for (size_t i = 0; i < n; i++) {
        it->texts[i] = rg_xstrdup(texts[i]);
        it->names[i] = rg_xstrdup(names[i]);
    }
    char **refs = NULL;
    size_t nrefs = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = scan_text(it, i, &refs, &nrefs, e);
    for (size_t i = 0; i < it->nex && rc == 0; i++) {
        expr *x = &it->ex[i];
        if (x->var < it->nvar)
            continue;
        const char *name = refs[SIZE_MAX - x->var];
        var *v = find_var(it, name);
        if (v == NULL)
            rc = fail(e, "%s:%zu: ${%s} names no variable (define it once as ${%s=SPEC})",
                      it->names[x->text], x->line, name, name);
        else
            x->var = (size_t)(v - it->v);
    }
    for (size_t i = 0; i < nrefs; i++)
        free(refs[i]);
    free(refs);
    if (rc < 0) {
        rg_iter_free(it);
        return NULL;
    }
    return it;
}

static void var_values_free(var *v)
{
    for (size_t i = 0; i < v->n && v->text; i++)
        free(v->text[i]);
    free(v->text);
    free(v->si);
    v->text = NULL;
    v->si = NULL;
    v->n = 0;
}

void rg_iter_free(rg_iter *it)
{
    if (it == NULL)
        return;
    for (size_t i = 0; i < it->ntext; i++) {
        free(it->texts[i]);
        free(it->names[i]);
    }
    for (size_t i = 0; i < it->nvar; i++) {
        var_values_free(&it->v[i]);
        free(it->v[i].name);
        free(it->v[i].spec);
        free(it->v[i].lock);
        free(it->v[i].where);
    }
    free(it->texts);
    free(it->names);
    free(it->ex);
    free(it->v);
    free(it);
}

int rg_iter_vary(rg_iter *it, const char *assignment, rg_err *e)
{
    const char *eq = strchr(assignment, '=');
    char *name = trimdup(assignment, eq ? (size_t)(eq - assignment) : strlen(assignment));
    var *v = eq ? find_var(it, name) : NULL;
    if (v == NULL) {
        rg_buf b = {0};
        for (size_t i = 0; i < it->nvar; i++)
            rg_buf_printf(&b, "%s%s", i ? ", " : "", it->v[i].name);
        if (eq == NULL)
            fail(e, "--vary %s: expected NAME=SPEC", assignment);
        else
            fail(e, "--vary %s: no variable '%s' in the scenario (%s%s)", assignment, name,
                 it->nvar ? "its variables: " : "it has no ${NAME=SPEC}", b.s ? b.s : "");
        rg_buf_free(&b);
        free(name);
        return -1;
    }
    free(name);
    const char *sp = eq + 1;
    size_t sn = strlen(sp), bang = find_top(sp, sn, "!");
    free(v->spec);
    v->spec = trimdup(sp, bang);
    if (bang < sn) {
        free(v->lock);
        v->lock = trimdup(sp + bang + 1, sn - bang - 1);
    }
    free(v->where);
    v->where = rg_xasprintf("--vary %s", assignment);
    it->planned = false;
    return v->spec[0] ? 0 : fail(e, "--vary %s: the variable has no values", assignment);
}

/* Formats x (SI) in the units of kind: durations in the largest unit that
 * keeps the number at least 1. */
static char *format_si(int kind, double x)
{
    if (kind == K_PERCENT)
        return rg_xasprintf("%.6g%%", x * 100);
    if (kind == K_PLAIN)
        return rg_xasprintf("%.6g", x);
    if (x == 0)
        return rg_xstrdup("0s");
    static const size_t order[] = {6, 4, 3, 2, 1}; /* h, s, ms, us, ns */
    size_t u = 1;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (fabs(x) >= units[order[i]].scale * (1 - 1e-12)) {
            u = order[i];
            break;
        }
    return rg_xasprintf("%.6g%s", x / units[u].scale, units[u].name);
}

/* Parses a range "lo..hi[:N[ log]]" into v. */
static int parse_range(var *v, size_t dots, bool allow_bracket, rg_err *e)
{
    const char *s = v->spec;
    char *lo = trimdup(s, dots);
    const char *rest = s + dots + 2;
    size_t colon = find_top(rest, strlen(rest), ":");
    char *hi = trimdup(rest, colon);
    double a, b;
    int ua = rg_iter_quantity(lo, &a), ub = rg_iter_quantity(hi, &b);
    int rc = 0;
    if (ua < 0 || ub < 0) {
        rc = fail(e,
                  "%s: ${%s=%s}: a range's ends must be numbers, with a unit if any "
                  "(10ms..1h, 1..5, 1%%..50%%)",
                  v->where, v->name, v->spec);
        goto out;
    }
    /* A bare 0 fits any unit. */
    int ka = a == 0 && ua == 0 ? units[ub].kind : units[ua].kind;
    int kb = b == 0 && ub == 0 ? units[ua].kind : units[ub].kind;
    if (ka != kb) {
        rc = fail(e, "%s: ${%s=%s}: '%s' and '%s' are not the same kind of quantity", v->where,
                  v->name, v->spec, lo, hi);
        goto out;
    }
    v->range = true;
    v->lo = a;
    v->hi = b;
    v->kind = ka;
    if (rest[colon] == '\0') {
        if (!allow_bracket) {
            rc = fail(e,
                      "%s: ${%s=%s}: give the number of points, as %s..%s:N (a range without "
                      ":N is a bracket for `find`)",
                      v->where, v->name, v->spec, lo, hi);
            goto out;
        }
        v->bracket = true;
        v->n = 2;
        goto out;
    }
    char *end;
    const char *ns = rest + colon + 1;
    long n = strtol(ns, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (strcmp(end, "log") == 0)
        v->log = true;
    else if (*end != '\0')
        n = -1;
    if (end == ns || n < 1 || n > 100000) {
        rc = fail(e,
                  "%s: ${%s=%s}: after ':' expected a count of points from 1 to 100000, "
                  "then 'log' or nothing",
                  v->where, v->name, v->spec);
        goto out;
    }
    if (v->log && !(a > 0 && b > 0) && !(a < 0 && b < 0)) {
        rc = fail(e, "%s: ${%s=%s}: a log range needs ends of the same sign, not 0", v->where,
                  v->name, v->spec);
        goto out;
    }
    v->n = (size_t)n;
out:
    free(lo);
    free(hi);
    return rc;
}

/* Parses v's spec and makes its values. */
static int plan_var(var *v, bool allow_bracket, rg_err *e)
{
    var_values_free(v);
    v->range = v->log = v->bracket = false;
    size_t len = strlen(v->spec), dots = find_top(v->spec, len, "..");
    if (dots < len) {
        if (parse_range(v, dots, allow_bracket, e) < 0)
            return -1;
        v->text = rg_xcalloc(v->n, sizeof *v->text);
        v->si = rg_xcalloc(v->n, sizeof *v->si);
        for (size_t i = 0; i < v->n; i++) {
            double f = v->n > 1 ? (double)i / (double)(v->n - 1) : 0;
            double x = v->log ? v->lo * pow(v->hi / v->lo, f) : v->lo + (v->hi - v->lo) * f;
            if (i + 1 == v->n && v->n > 1)
                x = v->hi;
            v->text[i] = format_si(v->kind, x);
            if (rg_iter_quantity(v->text[i], &v->si[i]) < 0)
                v->si[i] = x;
        }
        return 0;
    }
    /* a list: items split at commas outside parentheses */
    const char *s = v->spec;
    while (1) {
        size_t c = find_top(s, strlen(s), ",");
        char *item = trimdup(s, c);
        if (item[0] == '\0') {
            free(item);
            return fail(e, "%s: ${%s=%s}: an empty item in the list", v->where, v->name, v->spec);
        }
        v->text = rg_xrealloc(v->text, (v->n + 1) * sizeof *v->text);
        v->si = rg_xrealloc(v->si, (v->n + 1) * sizeof *v->si);
        v->text[v->n] = item;
        if (rg_iter_quantity(item, &v->si[v->n]) < 0)
            v->si[v->n] = NAN;
        v->n++;
        if (s[c] == '\0')
            break;
        s += c + 1;
    }
    return 0;
}

int rg_iter_plan(rg_iter *it, bool allow_bracket, rg_err *e)
{
    for (size_t i = 0; i < it->nvar; i++)
        if (plan_var(&it->v[i], allow_bracket, e) < 0)
            return -1;
    /* Resolve lockstep chains to the variable on its own axis. */
    for (size_t i = 0; i < it->nvar; i++) {
        var *v = &it->v[i];
        size_t m = i, hops = 0;
        while (it->v[m].lock != NULL) {
            var *next = find_var(it, it->v[m].lock);
            if (next == NULL)
                return fail(e, "%s: ${%s=... ! %s}: no variable '%s'", it->v[m].where,
                            it->v[m].name, it->v[m].lock, it->v[m].lock);
            m = (size_t)(next - it->v);
            if (++hops > it->nvar)
                return fail(e, "%s: ${%s}: the '!' links go round in a circle", v->where, v->name);
        }
        v->master = m;
        if (v->n != it->v[m].n)
            return fail(e, "%s: ${%s} has %zu values but steps with ${%s}, which has %zu", v->where,
                        v->name, v->n, it->v[m].name, it->v[m].n);
    }
    size_t np = 1;
    for (size_t i = 0; i < it->nvar; i++)
        if (it->v[i].master == i) {
            if (np > 1000000 / it->v[i].n)
                return fail(e, "the variables span more than 1,000,000 points");
            np *= it->v[i].n;
        }
    it->npoints = np;
    it->planned = true;
    return 0;
}

size_t rg_iter_nvars(const rg_iter *it)
{
    return it->nvar;
}

const char *rg_iter_name(const rg_iter *it, size_t v)
{
    return it->v[v].name;
}

bool rg_iter_is_log(const rg_iter *it, size_t v)
{
    return it->v[v].log;
}

bool rg_iter_is_axis(const rg_iter *it, size_t v)
{
    return it->v[v].master == v;
}

double rg_iter_lo(const rg_iter *it, size_t v)
{
    return it->v[v].range ? it->v[v].lo : NAN;
}

double rg_iter_hi(const rg_iter *it, size_t v)
{
    return it->v[v].range ? it->v[v].hi : NAN;
}

size_t rg_iter_npoints(const rg_iter *it)
{
    RG_ASSERT(it->planned);
    return it->npoints;
}

/* Index of variable v's value at point k: the variables on their own axes
 * form a mixed-radix number, the first defined the most significant. */
static size_t index_at(const rg_iter *it, size_t k, size_t v)
{
    size_t m = it->v[v].master;
    for (size_t i = it->nvar; i-- > 0;) {
        if (it->v[i].master != i)
            continue;
        size_t idx = k % it->v[i].n;
        if (i == m)
            return idx;
        k /= it->v[i].n;
    }
    return 0;
}

const char *rg_iter_text(const rg_iter *it, size_t k, size_t v)
{
    RG_ASSERT(it->planned && k < it->npoints && v < it->nvar);
    return it->v[v].text[index_at(it, k, v)];
}

double rg_iter_value(const rg_iter *it, size_t k, size_t v)
{
    RG_ASSERT(it->planned && k < it->npoints && v < it->nvar);
    return it->v[v].si[index_at(it, k, v)];
}

char *rg_iter_subst(const rg_iter *it, size_t i, size_t k, const char *const *vals)
{
    RG_ASSERT(i < it->ntext);
    const char *s = it->texts[i];
    rg_buf b = {0};
    size_t at = 0;
    for (size_t x = 0; x < it->nex; x++) {
        const expr *ex = &it->ex[x];
        if (ex->text != i)
            continue;
        const char *val = vals && vals[ex->var] ? vals[ex->var] : rg_iter_text(it, k, ex->var);
        rg_buf_printf(&b, "%.*s%s", (int)(ex->start - at), s + at, val);
        at = ex->end;
    }
    rg_buf_printf(&b, "%s", s + at);
    return b.s ? b.s : rg_xstrdup("");
}

char *rg_iter_format(const rg_iter *it, size_t v, double x, double *si)
{
    const var *p = &it->v[v];
    RG_ASSERT(p->range);
    char *t = format_si(p->kind, x);
    if (rg_iter_quantity(t, si) < 0)
        *si = x;
    return t;
}
