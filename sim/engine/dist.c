/*
 * dist.c: distribution parser (recursive descent over the grammar in dist.h)
 * and GSL-based samplers.  A parsed distribution is a small tree: mixtures
 * and shifts have children, everything else is a leaf with <= 2 parameters.
 * Each distribution name has one entry in a table (its parameters and the
 * function that reads its arguments), so adding a distribution is adding an
 * entry, and messages listing the known names cannot fall out of date.
 *
 * Ceiling.  A duration distribution is limited to what a scenario's
 * durations are (at most 10 years, MAX_DURATION): every duration parameter
 * (a constant, a bound, a mean, a scale, a median, an offset, a standard
 * deviation) in absolute value, and the mean of the distribution it makes
 * (the median where the mean is infinite, as for a Pareto of shape <= 1).
 * A distribution past that is a parse error naming the value, never a
 * sample that overflows simulated time at run time ("exp(mean=300000h)",
 * "gamma(1e300, 1ms)", "shift(9e18ns, ...)").  The engine still copes with
 * a long chain of long delays (engine.h, rg_after).
 */
#include "sim/engine/dist.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_gamma.h>

#include "sim/engine/rstream.h"

typedef enum {
    D_CONST,
    D_UNIFORM,
    D_EXP,
    D_NORMAL,
    D_TNORMAL,
    D_ABSNORMAL,
    D_LOGNORMAL,
    D_GAMMA,
    D_PARETO,
    D_WEIBULL,
    D_SHIFT,
    D_MIX
} dkind;

struct rg_dist {
    dkind k;
    rg_qty qty;
    double a, b; /* parameters, see sample() */
    size_t n;    /* children (mix, shift) */
    rg_dist **child;
    double *cum; /* mix: cumulative normalised weights */
    double *w;   /* mix: normalised weights */
};

/* ---- parsing ---------------------------------------------------------- */

/* The ceiling of a duration (ns): 10 years, as for the durations of a
 * scenario (scenario.h, RG_SCN_MAX_DURATION). */
#define MAX_DURATION (10.0 * 365 * 24 * 3600 * 1e9)
#define MAX_DURATION_TEXT "10 years"

typedef struct parser {
    const char *text; /* whole input, for messages */
    const char *p;
    rg_qty qty;
    rg_err *e;
    int depth;
} parser;

static void skip_ws(parser *ps)
{
    while (isspace((unsigned char)*ps->p))
        ps->p++;
}

static int perr(parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(parser *ps, const char *fmt, ...)
{
    char m[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return rg_err_set(ps->e, RG_ERR_INPUT, "in distribution '%s': %s", ps->text, m);
}

/* True if v (ns) is past the ceiling of a duration; numbers have none. */
static bool too_long(const parser *ps, double v)
{
    return ps->qty == RG_QTY_DURATION && !(fabs(v) <= MAX_DURATION);
}

static rg_dist *node(dkind k, rg_qty q)
{
    rg_dist *d = rg_xcalloc(1, sizeof *d);
    d->k = k;
    d->qty = q;
    return d;
}

/* Reads a raw argument up to the next ',' or ')' at depth 0. */
static int raw_arg(parser *ps, const char **start, size_t *len)
{
    skip_ws(ps);
    *start = ps->p;
    int depth = 0;
    while (*ps->p && !(depth == 0 && (*ps->p == ',' || *ps->p == ')'))) {
        if (*ps->p == '(')
            depth++;
        else if (*ps->p == ')')
            depth--;
        ps->p++;
    }
    if (*ps->p == '\0')
        return perr(ps, "missing ')'");
    *len = (size_t)(ps->p - *start);
    while (*len > 0 && isspace((unsigned char)(*start)[*len - 1]))
        (*len)--;
    return 0;
}

typedef struct pspec {
    const char *name;
    bool number; /* plain number even in a duration distribution */
} pspec;

typedef struct pvals {
    double v[4];
    bool set[4];
} pvals;

typedef struct dentry dentry;

/* Parses the arguments of one distribution: ps->p is just past its '(' and
 * is left just past the matching ')'.  Returns NULL with ps->e set. */
typedef rg_dist *parse_fn(parser *ps, const dentry *de);

/* One distribution name of the grammar.  Leaf distributions describe their
 * parameters here, so argument errors can name them; shift and mix read
 * their own arguments (they contain distributions). */
struct dentry {
    const char *name;
    parse_fn *parse;
    dkind k;
    const pspec *spec; /* parameters in positional order */
    size_t nspec;
};

/* Finds the parameter named by `nlen` bytes at `s`; if there is none, the
 * message lists the names the distribution does take. */
static int param_index(parser *ps, const dentry *de, const char *s, size_t nlen, size_t *idx)
{
    for (size_t i = 0; i < de->nspec; i++)
        if (strlen(de->spec[i].name) == nlen && strncmp(de->spec[i].name, s, nlen) == 0) {
            *idx = i;
            return 0;
        }
    rg_buf b = {0};
    for (size_t k = 0; k < de->nspec; k++)
        rg_buf_printf(&b, "%s%s", k ? ", " : "", de->spec[k].name);
    perr(ps, "%s has no parameter '%.*s' (expected %s)", de->name, (int)nlen, s, b.s);
    rg_buf_free(&b);
    return -1;
}

/* Parses "(p1, name=p2, ...)" for a leaf distribution.  Positional arguments
 * fill in order; names may come in any order. */
static int leaf_args(parser *ps, const dentry *de, pvals *out)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0;
    bool named_seen = false;
    skip_ws(ps);
    if (*ps->p == ')') {
        ps->p++;
        return 0;
    }
    for (;;) {
        const char *s, *vs;
        size_t len, vlen, idx;
        if (raw_arg(ps, &s, &len) < 0)
            return -1;
        const char *eq = memchr(s, '=', len);
        if (eq != NULL) {
            size_t nlen = (size_t)(eq - s);
            while (nlen > 0 && isspace((unsigned char)s[nlen - 1]))
                nlen--;
            if (param_index(ps, de, s, nlen, &idx) < 0)
                return -1;
            vs = eq + 1;
            vlen = len - (size_t)(vs - s);
            named_seen = true;
        } else {
            if (named_seen)
                return perr(ps, "%s: positional parameter after a named one", de->name);
            if (pos >= de->nspec)
                return perr(ps, "%s takes at most %zu parameter%s", de->name, de->nspec,
                            de->nspec == 1 ? "" : "s");
            idx = pos++;
            vs = s;
            vlen = len;
        }
        const pspec *sp = &de->spec[idx];
        if (out->set[idx])
            return perr(ps, "%s: parameter '%s' given twice", de->name, sp->name);
        rg_err sub;
        rg_err_clear(&sub);
        if (rg_qty_parse(vs, vlen, sp->number ? RG_QTY_NUMBER : ps->qty, &out->v[idx], &sub) < 0)
            return perr(ps, "%s parameter '%s': %s", de->name, sp->name, sub.msg);
        if (!sp->number && too_long(ps, out->v[idx]))
            return perr(ps, "%s parameter '%s' is %.*s, longer than a duration may be (at most %s)",
                        de->name, sp->name, (int)vlen, vs, MAX_DURATION_TEXT);
        out->set[idx] = true;
        skip_ws(ps);
        if (*ps->p != ',')
            break;
        ps->p++;
    }
    RG_ASSERT(*ps->p == ')');
    ps->p++;
    return 0;
}

/* leaf_args for distributions whose every parameter is required. */
static int all_args(parser *ps, const dentry *de, pvals *v)
{
    if (leaf_args(ps, de, v) < 0)
        return -1;
    for (size_t i = 0; i < de->nspec; i++)
        if (!v->set[i])
            return perr(ps, "%s needs parameter '%s'", de->name, de->spec[i].name);
    return 0;
}

static int positive(parser *ps, const char *dname, const char *pname, double v)
{
    if (!(v > 0))
        return perr(ps, "%s parameter '%s' must be > 0", dname, pname);
    return 0;
}

static rg_dist *leaf(parser *ps, const dentry *de, double a, double b)
{
    rg_dist *d = node(de->k, ps->qty);
    d->a = a;
    d->b = b;
    return d;
}

static rg_dist *parse_dist(parser *ps);

/* The size of a duration distribution that the ceiling applies to: its
 * mean, or its median where the mean is infinite (a Pareto of shape <= 1,
 * a heavy tail but a usable one); *what names which. */
static double typical(const rg_dist *d, const char **what)
{
    *what = "mean";
    if (d->k == D_PARETO && !(d->b > 1)) {
        *what = "median";
        return d->a * pow(2.0, 1.0 / d->b);
    }
    return rg_dist_mean(d);
}

/* Checks the distribution d just parsed (called name) against the
 * ceiling: its parameters were checked one by one, what they make is
 * checked here. */
static int check_typical(parser *ps, const char *name, const rg_dist *d)
{
    if (ps->qty != RG_QTY_DURATION)
        return 0;
    const char *what;
    double x = typical(d, &what);
    if (fabs(x) <= MAX_DURATION)
        return 0;
    char buf[RG_TIME_STRLEN];
    if (isfinite(x))
        rg_time_format_d(x, buf);
    else
        snprintf(buf, sizeof buf, "infinite");
    return perr(ps, "the %s of this %s is %s, longer than a duration may be (at most %s)", what,
                name, buf, MAX_DURATION_TEXT);
}

static rg_dist *parse_const(parser *ps, const dentry *de)
{
    pvals v;
    if (all_args(ps, de, &v) < 0)
        return NULL;
    return leaf(ps, de, v.v[0], 0);
}

static rg_dist *parse_uniform(parser *ps, const dentry *de)
{
    pvals v;
    if (all_args(ps, de, &v) < 0)
        return NULL;
    if (v.v[0] > v.v[1]) {
        perr(ps, "uniform needs min <= max");
        return NULL;
    }
    return leaf(ps, de, v.v[0], v.v[1]);
}

/* exp, gamma, pareto, weibull: every parameter is a mean, scale or shape,
 * so must be > 0; the first one that is not is reported. */
static rg_dist *parse_positive(parser *ps, const dentry *de)
{
    pvals v;
    if (all_args(ps, de, &v) < 0)
        return NULL;
    for (size_t i = 0; i < de->nspec; i++)
        if (positive(ps, de->name, de->spec[i].name, v.v[i]) < 0)
            return NULL;
    return leaf(ps, de, v.v[0], v.v[1]);
}

/* normal, tnormal, absnormal: (mean, sd). */
static rg_dist *parse_normal(parser *ps, const dentry *de)
{
    pvals v;
    if (all_args(ps, de, &v) < 0)
        return NULL;
    if (v.v[1] < 0) {
        perr(ps, "%s parameter 'sd' must be >= 0", de->name);
        return NULL;
    }
    if (de->k == D_TNORMAL && v.v[0] < -3 * v.v[1]) {
        perr(ps, "tnormal needs mean > -3 sd (otherwise almost every draw is rejected)");
        return NULL;
    }
    return leaf(ps, de, v.v[0], v.v[1]);
}

/* lognormal in its three forms (see dist.h).  The node holds a = zeta, the
 * log-space mean in base units, and b = sigma, as the sampler wants them. */
static rg_dist *parse_lognormal(parser *ps, const dentry *de)
{
    pvals v;
    if (leaf_args(ps, de, &v) < 0)
        return NULL;
    const bool *set = v.set; /* median, p99, mu, sigma */
    /* mu is ln of a value in seconds; durations are sampled in ns. */
    double unit_ln = ps->qty == RG_QTY_DURATION ? log(1e9) : 0.0;
    double zeta, sigma;
    if (set[0] && set[1] && !set[2] && !set[3]) {
        if (positive(ps, de->name, "median", v.v[0]) < 0)
            return NULL;
        if (!(v.v[1] > v.v[0])) {
            perr(ps, "lognormal needs p99 > median");
            return NULL;
        }
        zeta = log(v.v[0]);
        sigma = (log(v.v[1]) - zeta) / gsl_cdf_ugaussian_Pinv(0.99);
    } else if (set[0] && set[3] && !set[1] && !set[2]) {
        if (positive(ps, de->name, "median", v.v[0]) < 0)
            return NULL;
        zeta = log(v.v[0]);
        sigma = v.v[3];
    } else if (set[2] && set[3] && !set[0] && !set[1]) {
        zeta = v.v[2] + unit_ln;
        sigma = v.v[3];
    } else {
        perr(ps, "lognormal is given as (median=M, p99=Q), (median=M, sigma=S) or "
                 "(mu=U, sigma=S)");
        return NULL;
    }
    if (!(sigma >= 0) || !isfinite(sigma) || !isfinite(zeta)) {
        perr(ps, "lognormal sigma must be >= 0");
        return NULL;
    }
    return leaf(ps, de, zeta, sigma);
}

/* shift(OFFSET, DIST). */
static rg_dist *parse_shift(parser *ps, const dentry *de)
{
    const char *a;
    size_t alen;
    if (raw_arg(ps, &a, &alen) < 0)
        return NULL;
    double off;
    rg_err sub;
    rg_err_clear(&sub);
    if (rg_qty_parse(a, alen, ps->qty, &off, &sub) < 0) {
        perr(ps, "shift offset: %s", sub.msg);
        return NULL;
    }
    if (too_long(ps, off)) {
        perr(ps, "shift offset %.*s is longer than a duration may be (at most %s)", (int)alen, a,
             MAX_DURATION_TEXT);
        return NULL;
    }
    if (*ps->p != ',') {
        perr(ps, "shift is written shift(OFFSET, DIST)");
        return NULL;
    }
    ps->p++;
    rg_dist *ch = parse_dist(ps);
    if (ch == NULL)
        return NULL;
    skip_ws(ps);
    if (*ps->p != ')') {
        rg_dist_free(ch);
        perr(ps, "shift is written shift(OFFSET, DIST)");
        return NULL;
    }
    ps->p++;
    rg_dist *d = node(de->k, ps->qty);
    d->a = off;
    d->n = 1;
    d->child = rg_xcalloc(1, sizeof *d->child);
    d->child[0] = ch;
    return d;
}

/* Normalises the weights of a parsed mix and builds their cumulative sums;
 * the last is exactly 1 so that rounding can never leave u past the end. */
static void mix_normalise(rg_dist *d, double total)
{
    d->cum = rg_xcalloc(d->n, sizeof *d->cum);
    double acc = 0;
    for (size_t i = 0; i < d->n; i++) {
        d->w[i] /= total;
        acc += d->w[i];
        d->cum[i] = acc;
    }
    d->cum[d->n - 1] = 1.0;
}

/* mix(W1: DIST1, W2: DIST2, ...). */
static rg_dist *parse_mix(parser *ps, const dentry *de)
{
    rg_dist *d = node(de->k, ps->qty);
    double total = 0;
    for (;;) {
        skip_ws(ps);
        const char *c = strchr(ps->p, ':');
        rg_err sub;
        rg_err_clear(&sub);
        double w;
        if (c == NULL || rg_qty_parse(ps->p, (size_t)(c - ps->p), RG_QTY_NUMBER, &w, &sub) < 0) {
            perr(ps, "mix components are written WEIGHT: DIST, e.g. mix(0.99: exp(2ms), 0.01: "
                     "const(1s))");
            goto fail;
        }
        if (!(w > 0) || !isfinite(w)) {
            perr(ps, "mix weights must be finite and > 0");
            goto fail;
        }
        ps->p = c + 1;
        rg_dist *ch = parse_dist(ps);
        if (ch == NULL)
            goto fail;
        d->child = rg_xrealloc(d->child, (d->n + 1) * sizeof *d->child);
        d->w = rg_xrealloc(d->w, (d->n + 1) * sizeof *d->w);
        d->child[d->n] = ch;
        d->w[d->n] = w;
        d->n++;
        total += w;
        if (!isfinite(total)) {
            /* normalised, every weight would be 0 */
            perr(ps, "mix weights add up to more than a number can hold: give shares such as "
                     "0.99 and 0.01");
            goto fail;
        }
        skip_ws(ps);
        if (*ps->p == ')')
            break;
        if (*ps->p != ',') {
            perr(ps, "expected ',' or ')' after a mix component");
            goto fail;
        }
        ps->p++;
    }
    ps->p++;
    mix_normalise(d, total);
    return d;
fail:
    rg_dist_free(d);
    return NULL;
}

static const pspec p_const[] = {{"value", false}};
static const pspec p_unif[] = {{"min", false}, {"max", false}};
static const pspec p_exp[] = {{"mean", false}};
static const pspec p_norm[] = {{"mean", false}, {"sd", false}};
static const pspec p_logn[] = {{"median", false}, {"p99", false}, {"mu", true}, {"sigma", true}};
static const pspec p_gamma[] = {{"shape", true}, {"scale", false}};
static const pspec p_scale_shape[] = {{"scale", false}, {"shape", true}};

#define SPEC(p) p, sizeof p / sizeof p[0]

/* The grammar's distributions, in the order messages list them. */
static const dentry dists[] = {
    {"const", parse_const, D_CONST, SPEC(p_const)},
    {"uniform", parse_uniform, D_UNIFORM, SPEC(p_unif)},
    {"exp", parse_positive, D_EXP, SPEC(p_exp)},
    {"normal", parse_normal, D_NORMAL, SPEC(p_norm)},
    {"tnormal", parse_normal, D_TNORMAL, SPEC(p_norm)},
    {"absnormal", parse_normal, D_ABSNORMAL, SPEC(p_norm)},
    {"lognormal", parse_lognormal, D_LOGNORMAL, SPEC(p_logn)},
    {"gamma", parse_positive, D_GAMMA, SPEC(p_gamma)},
    {"pareto", parse_positive, D_PARETO, SPEC(p_scale_shape)},
    {"weibull", parse_positive, D_WEIBULL, SPEC(p_scale_shape)},
    {"shift", parse_shift, D_SHIFT, NULL, 0},
    {"mix", parse_mix, D_MIX, NULL, 0},
};

#undef SPEC

static const dentry *find_dist(const char *s, size_t nlen)
{
    for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
        if (strlen(dists[i].name) == nlen && strncmp(dists[i].name, s, nlen) == 0)
            return &dists[i];
    return NULL;
}

static rg_dist *unknown_dist(parser *ps, const char *s, size_t nlen)
{
    /* A word this long is no misspelt name: it is quoted without the list
     * (as messages always did). */
    if (nlen >= 24) {
        perr(ps, "unknown distribution '%.*s'", (int)nlen, s);
        return NULL;
    }
    rg_buf b = {0};
    for (size_t i = 0; i < sizeof dists / sizeof dists[0]; i++)
        rg_buf_printf(&b, "%s%s", i ? ", " : "", dists[i].name);
    perr(ps, "unknown distribution '%.*s' (known: %s)", (int)nlen, s, b.s);
    rg_buf_free(&b);
    return NULL;
}

/* A bare quantity ("5ms") is a constant. */
static rg_dist *parse_bare(parser *ps)
{
    const char *end = ps->p;
    while (*end && *end != ',' && *end != ')')
        end++;
    double v;
    rg_err sub;
    rg_err_clear(&sub);
    if (rg_qty_parse(ps->p, (size_t)(end - ps->p), ps->qty, &v, &sub) < 0) {
        perr(ps,
             "%s (or a distribution such as exp(mean=2ms), uniform(0, 50ms), "
             "lognormal(median=12ms, p99=50ms))",
             sub.msg);
        return NULL;
    }
    if (too_long(ps, v)) {
        perr(ps, "%.*s is longer than a duration may be (at most %s)", (int)(end - ps->p), ps->p,
             MAX_DURATION_TEXT);
        return NULL;
    }
    ps->p = end;
    rg_dist *d = node(D_CONST, ps->qty);
    d->a = v;
    return d;
}

/* dist := QTY | NAME(ARGS): finds NAME in the table and lets its entry read
 * the arguments. */
static rg_dist *parse_dist(parser *ps)
{
    if (++ps->depth > 16) {
        perr(ps, "nested too deeply");
        return NULL;
    }
    skip_ws(ps);
    const char *s = ps->p;
    while (isalpha((unsigned char)*ps->p))
        ps->p++;
    size_t nlen = (size_t)(ps->p - s);
    skip_ws(ps);
    rg_dist *d;
    if (nlen == 0 || *ps->p != '(') {
        ps->p = s;
        d = parse_bare(ps);
    } else {
        const dentry *de = find_dist(s, nlen);
        if (de == NULL)
            return unknown_dist(ps, s, nlen);
        ps->p++; /* '(' */
        d = de->parse(ps, de);
        if (d != NULL && check_typical(ps, de->name, d) < 0) {
            rg_dist_free(d);
            d = NULL;
        }
    }
    ps->depth--;
    return d;
}

rg_dist *rg_dist_parse(const char *text, rg_qty kind, rg_err *e)
{
    parser ps = {text, text, kind, e, 0};
    rg_dist *d = parse_dist(&ps);
    if (d == NULL)
        return NULL;
    skip_ws(&ps);
    if (*ps.p != '\0') {
        perr(&ps, "unexpected '%s' after the distribution", ps.p);
        rg_dist_free(d);
        return NULL;
    }
    return d;
}

rg_dist *rg_dist_const(double v, rg_qty kind)
{
    rg_dist *d = node(D_CONST, kind);
    d->a = v;
    return d;
}

void rg_dist_free(rg_dist *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        rg_dist_free(d->child[i]);
    free(d->child);
    free(d->cum);
    free(d->w);
    free(d);
}

/* ---- sampling --------------------------------------------------------- */

/* A draw, inline in both entry points below (rg_dist_sample_time is the
 * hot one: every network hop and service time); composite kinds call the
 * out-of-line rg_dist_sample for their children. */
__attribute__((always_inline)) static inline double sample(const rg_dist *d, gsl_rng *r)
{
    switch (d->k) {
    case D_CONST: return d->a;
    case D_UNIFORM: return d->a + (d->b - d->a) * gsl_rng_uniform(r);
    case D_EXP: return gsl_ran_exponential(r, d->a);
    case D_NORMAL: return d->a + rg_gaussian(r, d->b);
    case D_TNORMAL: {
        double x;
        do
            x = d->a + rg_gaussian(r, d->b);
        while (x < 0);
        return x;
    }
    case D_ABSNORMAL: return fabs(d->a + rg_gaussian(r, d->b));
    case D_LOGNORMAL:
        /* exp of a ziggurat normal: the same distribution as
         * gsl_ran_lognormal, about twice as fast (no polar rejection). */
        return exp(d->a + rg_gaussian(r, d->b));
    case D_GAMMA: return gsl_ran_gamma(r, d->a, d->b);
    case D_PARETO: return gsl_ran_pareto(r, d->b, d->a);
    case D_WEIBULL: return gsl_ran_weibull(r, d->a, d->b);
    case D_SHIFT: return d->a + rg_dist_sample(d->child[0], r);
    case D_MIX: {
        double u = gsl_rng_uniform(r);
        size_t i = 0;
        while (i + 1 < d->n && u >= d->cum[i])
            i++;
        return rg_dist_sample(d->child[i], r);
    }
    }
    RG_ASSERT(!"unknown distribution kind");
    return 0;
}

double rg_dist_sample(const rg_dist *d, gsl_rng *r)
{
    return sample(d, r);
}

rg_time rg_dist_sample_time(const rg_dist *d, gsl_rng *r)
{
    double x = sample(d, r);
    if (!(x > 0))
        return 0;
    if (x > 1e18)
        return (rg_time)1000000000000000000LL;
    /* x > 0: adding one half and truncating rounds half away from zero like
     * llround, without the library call on this hot path. */
    return (rg_time)(x + 0.5);
}

/* ---- moments ---------------------------------------------------------- */

static double gauss_pdf(double x)
{
    return exp(-0.5 * x * x) / sqrt(2 * M_PI);
}

double rg_dist_mean(const rg_dist *d)
{
    switch (d->k) {
    case D_CONST: return d->a;
    case D_UNIFORM: return 0.5 * (d->a + d->b);
    case D_EXP: return d->a;
    case D_NORMAL: return d->a;
    case D_TNORMAL: {
        if (d->b == 0)
            return d->a;
        double al = -d->a / d->b;
        return d->a + d->b * gauss_pdf(al) / gsl_cdf_ugaussian_Q(al);
    }
    case D_ABSNORMAL: {
        if (d->b == 0)
            return fabs(d->a);
        double m = d->a, s = d->b;
        return s * sqrt(2 / M_PI) * exp(-m * m / (2 * s * s)) +
               m * (1 - 2 * gsl_cdf_ugaussian_P(-m / s));
    }
    case D_LOGNORMAL: return exp(d->a + 0.5 * d->b * d->b);
    case D_GAMMA: return d->a * d->b;
    case D_PARETO: return d->b > 1 ? d->b * d->a / (d->b - 1) : INFINITY;
    /* Through lngamma: Gamma(1 + 1/shape) overflows for a shape below
     * about 0.006, and gsl_sf_gamma would call GSL's error handler. */
    case D_WEIBULL: return d->a * exp(gsl_sf_lngamma(1 + 1 / d->b));
    case D_SHIFT: return d->a + rg_dist_mean(d->child[0]);
    case D_MIX: {
        double m = 0;
        for (size_t i = 0; i < d->n; i++)
            m += d->w[i] * rg_dist_mean(d->child[i]);
        return m;
    }
    }
    return NAN;
}

double rg_dist_var(const rg_dist *d)
{
    switch (d->k) {
    case D_CONST: return 0;
    case D_UNIFORM: return (d->b - d->a) * (d->b - d->a) / 12;
    case D_EXP: return d->a * d->a;
    case D_NORMAL: return d->b * d->b;
    case D_TNORMAL: {
        if (d->b == 0)
            return 0;
        double al = -d->a / d->b;
        double lam = gauss_pdf(al) / gsl_cdf_ugaussian_Q(al);
        return d->b * d->b * (1 + al * lam - lam * lam);
    }
    case D_ABSNORMAL: {
        double m = rg_dist_mean(d);
        return d->a * d->a + d->b * d->b - m * m;
    }
    case D_LOGNORMAL: {
        double s2 = d->b * d->b;
        return (exp(s2) - 1) * exp(2 * d->a + s2);
    }
    case D_GAMMA: return d->a * d->b * d->b;
    case D_PARETO:
        return d->b > 2 ? d->a * d->a * d->b / ((d->b - 1) * (d->b - 1) * (d->b - 2)) : INFINITY;
    case D_WEIBULL: {
        double g1 = exp(gsl_sf_lngamma(1 + 1 / d->b)), g2 = exp(gsl_sf_lngamma(1 + 2 / d->b));
        return d->a * d->a * (g2 - g1 * g1);
    }
    case D_SHIFT: return rg_dist_var(d->child[0]);
    case D_MIX: {
        double m = rg_dist_mean(d), s = 0;
        for (size_t i = 0; i < d->n; i++) {
            double mi = rg_dist_mean(d->child[i]);
            s += d->w[i] * (rg_dist_var(d->child[i]) + mi * mi);
        }
        return s - m * m;
    }
    }
    return NAN;
}

double rg_dist_min(const rg_dist *d)
{
    switch (d->k) {
    case D_CONST: return d->a;
    case D_UNIFORM: return d->a;
    case D_EXP:
    case D_TNORMAL:
    case D_ABSNORMAL:
    case D_LOGNORMAL:
    case D_GAMMA:
    case D_WEIBULL: return 0;
    case D_NORMAL: return d->b == 0 ? d->a : -INFINITY;
    case D_PARETO: return d->a;
    case D_SHIFT: return d->a + rg_dist_min(d->child[0]);
    case D_MIX: {
        double m = INFINITY;
        for (size_t i = 0; i < d->n; i++)
            m = fmin(m, rg_dist_min(d->child[i]));
        return m;
    }
    }
    return NAN;
}

bool rg_dist_is_const(const rg_dist *d)
{
    switch (d->k) {
    case D_CONST: return true;
    case D_UNIFORM: return d->a == d->b;
    case D_NORMAL:
    case D_TNORMAL:
    case D_ABSNORMAL: return d->b == 0;
    case D_LOGNORMAL: return d->b == 0;
    case D_SHIFT: return rg_dist_is_const(d->child[0]);
    default: return false;
    }
}

bool rg_dist_is_exp(const rg_dist *d)
{
    return d->k == D_EXP;
}

rg_qty rg_dist_kind(const rg_dist *d)
{
    return d->qty;
}
