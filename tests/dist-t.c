/*
 * dist-t: distributions parsed from text and sampled with GSL (dist.h).
 *
 * For every distribution of the grammar, parse it, draw 200,000 samples from
 * a fixed MT19937 stream and compare the sample mean and variance with the
 * analytic values worked out here by hand (textbook formulas evaluated with
 * libm; never rg_dist_mean).  The tolerance is 5 standard errors: sqrt(var/n)
 * for the mean and sqrt((mu4 - var^2)/n) for the variance (mu4, the fourth
 * central moment, is derived by hand for the heavy-tailed Pareto and
 * estimated from the sample otherwise).  rg_dist_mean / rg_dist_var must match
 * the same hand values.  Duration distributions sample nanoseconds.  Then
 * quantiles of lognormal(median, p99), the clamping of rg_dist_sample_time,
 * the helpers, and one parse error per class, each returning NULL with a
 * message that names the problem; messages that list names are pinned
 * word for word.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/dist.h"
#include "sim/engine/stats.h"
#include "tests/tap/basic.h"

#define NSAMP 200000
#define NSE 5.0

/* Published: the 0.99 quantile of the standard normal. */
#define Z99 2.3263478740408408

static double phi(double x)
{
    return exp(-0.5 * x * x) / sqrt(2 * M_PI);
}
static double Phi(double x)
{
    return 0.5 * erfc(-x / sqrt(2.0));
}

typedef struct dcase {
    const char *text;
    rg_qty kind;
    double mean, var;
    double mu4; /* fourth central moment, 0: estimate from the sample */
} dcase;

static dcase cases[40];
static size_t ncases;

static void add(const char *text, rg_qty kind, double mean, double var, double mu4)
{
    cases[ncases++] = (dcase){text, kind, mean, var, mu4};
}

/* The hand-derived moments.  D = duration (ns), N = plain number. */
static void build_cases(void)
{
    const rg_qty D = RG_QTY_DURATION, N = RG_QTY_NUMBER;

    add("5ms", D, 5e6, 0, 0);
    add("const(5ms)", D, 5e6, 0, 0);
    add("const(value=-2.5)", N, -2.5, 0, 0);
    /* uniform(a, b): (a + b) / 2, (b - a)^2 / 12 */
    add("uniform(10ms, 30ms)", D, 20e6, 20e6 * 20e6 / 12, 0);
    add("uniform(max=1, min=-1)", N, 0, 4.0 / 12, 0);
    /* exp(m): m, m^2 */
    add("exp(mean=2ms)", D, 2e6, 4e12, 0);
    add("exp(250us)", D, 250e3, 250e3 * 250e3, 0);
    add("normal(10, 2)", N, 10, 4, 0);
    add("normal(mean=50ms, sd=5ms)", D, 50e6, 25e12, 0);
    {
        /* Normal(mu, s) truncated below 0: alpha = -mu/s, lambda =
         * phi(alpha) / (1 - Phi(alpha)); mean mu + s lambda, variance
         * s^2 (1 + alpha lambda - lambda^2). */
        double mu = 1, s = 1, al = -mu / s, lam = phi(al) / (1 - Phi(al));
        add("tnormal(1, 1)", N, mu + s * lam, s * s * (1 + al * lam - lam * lam), 0);
    }
    {
        /* |Normal(mu, s)| (folded normal): mean s sqrt(2/pi) exp(-mu^2/2s^2)
         * + mu (1 - 2 Phi(-mu/s)); E[X^2] = mu^2 + s^2. */
        double mu = 1, s = 2;
        double m = s * sqrt(2 / M_PI) * exp(-mu * mu / (2 * s * s)) + mu * (1 - 2 * Phi(-mu / s));
        add("absnormal(1, 2)", N, m, mu * mu + s * s - m * m, 0);
        mu = 10e6;
        s = 2e6;
        m = s * sqrt(2 / M_PI) * exp(-mu * mu / (2 * s * s)) + mu * (1 - 2 * Phi(-mu / s));
        add("absnormal(10ms, 2ms)", D, m, mu * mu + s * s - m * m, 0);
    }
    {
        /* Lognormal with median M and sigma S: mean M e^{S^2/2},
         * variance M^2 e^{S^2} (e^{S^2} - 1).  With p99 Q:
         * S = ln(Q / M) / z_0.99. */
        double M = 12e6, S = log(50.0 / 12.0) / Z99;
        add("lognormal(median=12ms, p99=50ms)", D, M * exp(S * S / 2),
            M * M * exp(S * S) * (exp(S * S) - 1), 0);
        S = 0.5;
        add("lognormal(median=12ms, sigma=0.5)", D, M * exp(S * S / 2),
            M * M * exp(S * S) * (exp(S * S) - 1), 0);
        /* mu in ln(seconds): median e^-4 s = e^-4 * 1e9 ns. */
        M = exp(-4.0) * 1e9;
        add("lognormal(mu=-4, sigma=0.5)", D, M * exp(S * S / 2),
            M * M * exp(S * S) * (exp(S * S) - 1), 0);
        M = 1;
        S = 0.25;
        add("lognormal(mu=0, sigma=0.25)", N, exp(S * S / 2), exp(S * S) * (exp(S * S) - 1), 0);
    }
    /* gamma(k, theta): k theta, k theta^2 */
    add("gamma(2, 3ms)", D, 6e6, 2 * 9e12, 0);
    add("gamma(scale=4, shape=0.5)", N, 2, 8, 0);
    {
        /* Pareto(xm, a): E[X^k] = a xm^k / (a - k).  a = 5, xm = 1 ms. */
        double a = 5, xm = 1e6;
        double m1 = a * xm / (a - 1), m2 = a * xm * xm / (a - 2), m3 = a * pow(xm, 3) / (a - 3),
               m4 = a * pow(xm, 4) / (a - 4);
        double mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * pow(m1, 4);
        add("pareto(1ms, 5)", D, m1, m2 - m1 * m1, mu4);
        /* a = 6, xm = 2 (plain numbers) */
        a = 6;
        xm = 2;
        m1 = a * xm / (a - 1);
        m2 = a * xm * xm / (a - 2);
        m3 = a * pow(xm, 3) / (a - 3);
        m4 = a * pow(xm, 4) / (a - 4);
        mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * pow(m1, 4);
        add("pareto(shape=6, scale=2)", N, m1, m2 - m1 * m1, mu4);
    }
    {
        /* Weibull(l, k): l G(1 + 1/k), l^2 (G(1 + 2/k) - G(1 + 1/k)^2). */
        double l = 2e6, k = 1.5;
        double g1 = tgamma(1 + 1 / k), g2 = tgamma(1 + 2 / k);
        add("weibull(2ms, 1.5)", D, l * g1, l * l * (g2 - g1 * g1), 0);
        /* shape 1 is the exponential with mean = scale */
        add("weibull(scale=3, shape=1)", N, 3, 9, 0);
    }
    /* shift(c, X): c + E[X], Var X */
    add("shift(20ms, gamma(2, 1ms))", D, 22e6, 2e12, 0);
    /* mix: sum w_i E[X_i]; sum w_i E[X_i^2] - mean^2 */
    {
        double m = 0.9 * 1e6 + 0.1 * 50e6;
        double ex2 = 0.9 * 2e12 + 0.1 * 2500e12;
        add("mix(0.9: exp(1ms), 0.1: const(50ms))", D, m, ex2 - m * m, 0);
        add("mix(9: exp(1ms), 1: 50ms)", D, m, ex2 - m * m, 0);
        /* weights 1, 1, 2 -> 1/4, 1/4, 1/2 */
        m = 0.25 * 1 + 0.25 * 10 + 0.5 * 4;
        ex2 = 0.25 * (4.0 / 12 + 1) + 0.25 * (1 + 100) + 0.5 * 16;
        add("mix(1: uniform(0, 2), 1: normal(10, 1), 2: const(4))", N, m, ex2 - m * m, 0);
        /* 1 ms + (exp(1ms) or 2 ms, even odds) */
        m = 1e6 + 0.5 * 1e6 + 0.5 * 2e6;
        ex2 = 0.5 * 2e12 + 0.5 * 4e12; /* of the mixture */
        add("shift(1ms, mix(0.5: exp(1ms), 0.5: const(2ms)))", D, m, ex2 - (m - 1e6) * (m - 1e6),
            0);
    }
}

/* Relative comparison for analytic values. */
static bool close_rel(double want, double seen, double rel)
{
    if (want == seen)
        return true;
    return fabs(want - seen) <= rel * fabs(want);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double *samples;

static void test_case(const dcase *c, unsigned long seed)
{
    rg_err e;
    rg_err_clear(&e);
    rg_dist *d = rg_dist_parse(c->text, c->kind, &e);
    if (!ok(d != NULL, "parse '%s'", c->text)) {
        diag("%s", e.msg);
        for (int i = 0; i < 4; i++)
            ok(0, "'%s' (not parsed)", c->text);
        return;
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double sum = 0;
    for (size_t i = 0; i < NSAMP; i++) {
        samples[i] = rg_dist_sample(d, r);
        sum += samples[i];
    }
    double mean = sum / NSAMP, m2 = 0, m4 = 0;
    for (size_t i = 0; i < NSAMP; i++) {
        double x = samples[i] - mean;
        m2 += x * x;
        m4 += x * x * x * x;
    }
    double var = m2 / (NSAMP - 1);
    m4 /= NSAMP;

    if (c->var == 0) {
        bool all = true;
        for (size_t i = 0; i < NSAMP && all; i++)
            all = samples[i] == c->mean;
        ok(all, "'%s': every sample is %g", c->text, c->mean);
        is_double(0, var, 0, "'%s': sample variance 0", c->text);
    } else {
        double se = sqrt(c->var / NSAMP);
        double mu4 = c->mu4 > 0 ? c->mu4 : m4;
        double se_var = sqrt((mu4 - c->var * c->var) / NSAMP);
        ok(fabs(mean - c->mean) <= NSE * se, "'%s': sample mean %.6g vs %.6g (%.2f SE)", c->text,
           mean, c->mean, (mean - c->mean) / se);
        ok(fabs(var - c->var) <= NSE * se_var, "'%s': sample variance %.6g vs %.6g (%.2f SE)",
           c->text, var, c->var, (var - c->var) / se_var);
    }
    ok(close_rel(c->mean, rg_dist_mean(d), 1e-9) || fabs(c->mean - rg_dist_mean(d)) < 1e-12,
       "'%s': rg_dist_mean %.10g = %.10g", c->text, rg_dist_mean(d), c->mean);
    ok(close_rel(c->var, rg_dist_var(d), 1e-9) || fabs(c->var - rg_dist_var(d)) < 1e-12,
       "'%s': rg_dist_var %.10g = %.10g", c->text, rg_dist_var(d), c->var);
    gsl_rng_free(r);
    rg_dist_free(d);
}

/* Sample quantiles of lognormal(median=12ms, p99=50ms).  The standard error
 * of the sample q-quantile is sqrt(q (1 - q) / n) / f(x_q), with the
 * lognormal density f(x) = phi(z) / (x sigma) at z = (ln x - ln M) / sigma. */
static void test_lognormal_quantiles(void)
{
    rg_err e;
    rg_err_clear(&e);
    rg_dist *d = rg_dist_parse("lognormal(median=12ms, p99=50ms)", RG_QTY_DURATION, &e);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 4242);
    for (size_t i = 0; i < NSAMP; i++)
        samples[i] = d ? rg_dist_sample(d, r) : 0;
    qsort(samples, NSAMP, sizeof *samples, cmp_double);
    double S = log(50.0 / 12.0) / Z99;
    double med = rg_quantile_sorted(samples, NSAMP, 0.5);
    double p99 = rg_quantile_sorted(samples, NSAMP, 0.99);
    double se_med = sqrt(0.25 / NSAMP) / (phi(0) / (12e6 * S));
    double se_p99 = sqrt(0.99 * 0.01 / NSAMP) / (phi(Z99) / (50e6 * S));
    ok(fabs(med - 12e6) <= NSE * se_med, "lognormal sample median %.4g ms ~ 12 ms (+- %.3g ms)",
       med * 1e-6, NSE * se_med * 1e-6);
    ok(fabs(p99 - 50e6) <= NSE * se_p99, "lognormal sample p99 %.4g ms ~ 50 ms (+- %.3g ms)",
       p99 * 1e-6, NSE * se_p99 * 1e-6);
    gsl_rng_free(r);
    rg_dist_free(d);
}

/* rg_dist_sample_time: whole nanoseconds, negatives clamped to 0. */
static void test_sample_time(void)
{
    rg_err e;
    rg_err_clear(&e);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 77);

    rg_dist *d = rg_dist_parse("exp(mean=2ms)", RG_QTY_DURATION, &e);
    double sum = 0;
    bool nonneg = true;
    for (size_t i = 0; i < NSAMP; i++) {
        rg_time t = rg_dist_sample_time(d, r);
        nonneg = nonneg && t >= 0;
        sum += (double)t;
    }
    ok(nonneg && fabs(sum / NSAMP - 2e6) <= NSE * 2e6 / sqrt(NSAMP),
       "exp(mean=2ms) as rg_time: mean %.6g ns ~ 2e6", sum / NSAMP);
    rg_dist_free(d);

    /* max(0, Normal(0, s)): mean s phi(0) = s / sqrt(2 pi); E[X^2] = s^2/2. */
    d = rg_dist_parse("normal(0, 1ms)", RG_QTY_DURATION, &e);
    double s = 1e6, want = s / sqrt(2 * M_PI), var = s * s / 2 - want * want;
    sum = 0;
    nonneg = true;
    size_t zeros = 0;
    for (size_t i = 0; i < NSAMP; i++) {
        rg_time t = rg_dist_sample_time(d, r);
        nonneg = nonneg && t >= 0;
        zeros += t == 0;
        sum += (double)t;
    }
    ok(nonneg, "normal(0, 1ms) as rg_time is never negative");
    ok(fabs(sum / NSAMP - want) <= NSE * sqrt(var / NSAMP),
       "clamped at 0: mean %.6g ns ~ s/sqrt(2 pi) = %.6g", sum / NSAMP, want);
    /* Half the draws are clamped: binomial(n, 1/2), sd sqrt(n)/2. */
    ok(fabs((double)zeros - NSAMP / 2.0) <= NSE * sqrt(NSAMP) / 2, "%zu of %d draws clamped to 0",
       zeros, NSAMP);
    rg_dist_free(d);

    d = rg_dist_parse("const(1.4ns)", RG_QTY_DURATION, &e);
    is_int(1, rg_dist_sample_time(d, r), "1.4 ns rounds to 1 ns");
    rg_dist_free(d);
    d = rg_dist_parse("uniform(2ms, 3ms)", RG_QTY_DURATION, &e);
    bool inside = true;
    for (size_t i = 0; i < 10000; i++) {
        rg_time t = rg_dist_sample_time(d, r);
        inside = inside && t >= 2000000 && t <= 3000000;
    }
    ok(inside, "uniform(2ms, 3ms) samples stay in [2ms, 3ms]");
    rg_dist_free(d);
    d = rg_dist_parse("pareto(1ms, 3)", RG_QTY_DURATION, &e);
    inside = true;
    for (size_t i = 0; i < 10000; i++)
        inside = inside && rg_dist_sample(d, r) >= 1e6;
    ok(inside, "pareto(1ms, 3) samples are >= the scale");
    rg_dist_free(d);
    gsl_rng_free(r);
}

static rg_dist *P(const char *text, rg_qty kind)
{
    rg_err e;
    rg_err_clear(&e);
    rg_dist *d = rg_dist_parse(text, kind, &e);
    if (d == NULL)
        diag("'%s': %s", text, e.msg);
    return d;
}

static void test_helpers(void)
{
    const rg_qty D = RG_QTY_DURATION, N = RG_QTY_NUMBER;
    rg_dist *d;

    d = P("pareto(1ms, 2)", D);
    ok(d && rg_dist_mean(d) == 2e6 && isinf(rg_dist_var(d)),
       "pareto shape 2: mean 2 xm, infinite variance");
    rg_dist_free(d);
    d = P("pareto(1ms, 1)", D);
    ok(d && isinf(rg_dist_mean(d)) && rg_dist_mean(d) > 0, "pareto shape 1: infinite mean");
    rg_dist_free(d);

    d = P("pareto(3ms, 4)", D);
    is_double(3e6, d ? rg_dist_min(d) : 0, 0, "min of pareto is its scale");
    rg_dist_free(d);
    d = P("shift(20ms, gamma(2, 1ms))", D);
    is_double(20e6, d ? rg_dist_min(d) : 0, 0, "min of shift(20ms, gamma) is 20 ms");
    rg_dist_free(d);
    d = P("normal(1, 2)", N);
    ok(d && isinf(rg_dist_min(d)) && rg_dist_min(d) < 0, "min of normal is -inf");
    rg_dist_free(d);
    d = P("mix(1: uniform(3, 4), 1: const(2))", N);
    is_double(2, d ? rg_dist_min(d) : 0, 0, "min of a mix is its smallest component's");
    rg_dist_free(d);

    d = P("5ms", D);
    ok(d && rg_dist_is_const(d) && rg_dist_kind(d) == D, "'5ms' is a constant duration");
    rg_dist_free(d);
    d = P("uniform(1ms, 1ms)", D);
    ok(d && rg_dist_is_const(d), "uniform(1ms, 1ms) is constant");
    rg_dist_free(d);
    d = P("exp(1ms)", D);
    ok(d && !rg_dist_is_const(d), "exp is not constant");
    rg_dist_free(d);
    d = P("normal(3, 0)", N);
    ok(d && rg_dist_is_const(d) && rg_dist_kind(d) == N, "normal with sd 0 is a constant number");
    rg_dist_free(d);
    d = rg_dist_const(2.5, N);
    ok(rg_dist_mean(d) == 2.5 && rg_dist_var(d) == 0 && rg_dist_is_const(d) && rg_dist_kind(d) == N,
       "rg_dist_const(2.5)");
    rg_dist_free(d);
    rg_dist_free(NULL);

    d = P("  exp ( mean = 2ms )  ", D);
    ok(d && rg_dist_mean(d) == 2e6, "spaces around names, '=' and parentheses are allowed");
    rg_dist_free(d);
}

/* Parse errors: NULL, and a message naming the problem. */
static const struct {
    const char *text;
    rg_qty kind;
    const char *word; /* matched case-insensitively */
} errors[] = {
    {"foo(1ms)", RG_QTY_DURATION, "unknown distribution"},
    {"uniform(1ms)", RG_QTY_DURATION, "max"},
    {"exp()", RG_QTY_DURATION, "mean"},
    {"exp(rate=2)", RG_QTY_NUMBER, "rate"},
    {"lognormal(median=12ms, p95=40ms)", RG_QTY_DURATION, "p95"},
    {"normal(10ms, -1ms)", RG_QTY_DURATION, "sd"},
    {"absnormal(1, -2)", RG_QTY_NUMBER, "sd"},
    {"uniform(5ms, 1ms)", RG_QTY_DURATION, "min <= max"},
    {"exp(mean=2ms", RG_QTY_DURATION, "missing ')'"},
    {"mix(1: exp(1ms)", RG_QTY_DURATION, ")"},
    {"exp(2ms) x", RG_QTY_DURATION, "unexpected"},
    {"exp(2ms))", RG_QTY_DURATION, "unexpected"},
    {"mix(-1: exp(1ms), 2: exp(2ms))", RG_QTY_DURATION, "weight"},
    {"mix(0: exp(1ms))", RG_QTY_DURATION, "weight"},
    {"mix(abc: exp(1ms))", RG_QTY_DURATION, "weight"},
    {"mix(exp(1ms))", RG_QTY_DURATION, "weight"},
    {"exp(mean=2)", RG_QTY_DURATION, "unit"},
    {"uniform(0, 50)", RG_QTY_DURATION, "unit"},
    {"exp(2ms)", RG_QTY_NUMBER, "number"},
    {"exp(2ms, 3ms)", RG_QTY_DURATION, "at most"},
    {"exp(mean=2ms, mean=3ms)", RG_QTY_DURATION, "twice"},
    {"normal(mean=1ms, 2ms)", RG_QTY_DURATION, "positional"},
    {"lognormal(median=12ms)", RG_QTY_DURATION, "lognormal"},
    {"lognormal(median=50ms, p99=12ms)", RG_QTY_DURATION, "p99"},
    {"gamma(0, 1ms)", RG_QTY_DURATION, "shape"},
    {"pareto(1ms, 0)", RG_QTY_DURATION, "shape"},
    {"weibull(0, 1)", RG_QTY_NUMBER, "scale"},
    {"exp(0ms)", RG_QTY_DURATION, "> 0"},
    {"tnormal(-10ms, 1ms)", RG_QTY_DURATION, "tnormal"},
    {"shift(1ms)", RG_QTY_DURATION, "shift"},
    {"exp(nan)", RG_QTY_NUMBER, "nan"},
    {"", RG_QTY_DURATION, "nothing"},
    {"shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, "
     "shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, shift(1ms, "
     "shift(1ms, 1ms)))))))))))))))))",
     RG_QTY_DURATION, "nested"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        rg_err e;
        rg_err_clear(&e);
        rg_dist *d = rg_dist_parse(errors[i].text, errors[i].kind, &e);
        bool named = strcasestr(e.msg, errors[i].word) != NULL;
        bool quoted = strstr(e.msg, errors[i].text) != NULL;
        if (d != NULL)
            diag("'%s' parsed", errors[i].text);
        else if (!named || !quoted || e.kind != RG_ERR_INPUT)
            diag("'%s': %s", errors[i].text, e.msg);
        ok(d == NULL && named && quoted && e.kind == RG_ERR_INPUT,
           "'%.40s' rejected: message quotes it and mentions '%s'", errors[i].text, errors[i].word);
        rg_dist_free(d);
    }
}

/* Messages built from the table of distributions: pinned word for word, so
 * a table entry added or moved shows up here. */
static const struct {
    const char *text, *msg;
} messages[] = {
    {"expo(1ms)",
     "in distribution 'expo(1ms)': unknown distribution 'expo' (known: const, uniform, "
     "exp, normal, tnormal, absnormal, lognormal, gamma, pareto, weibull, shift, mix)"},
    {"averyveryverylongdistnam(1)",
     "in distribution 'averyveryverylongdistnam(1)': unknown distribution "
     "'averyveryverylongdistnam'"},
    {"lognormal(median=1ms, p50=4ms)",
     "in distribution 'lognormal(median=1ms, p50=4ms)': lognormal has no parameter 'p50' "
     "(expected median, p99, mu, sigma)"},
    {"gamma(-1, -1ms)", "in distribution 'gamma(-1, -1ms)': gamma parameter 'shape' must be > 0"},
    {"weibull(1ms, 0)", "in distribution 'weibull(1ms, 0)': weibull parameter 'shape' must be > 0"},
};

static void test_messages(void)
{
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        rg_err e;
        rg_err_clear(&e);
        rg_dist *d = rg_dist_parse(messages[i].text, RG_QTY_DURATION, &e);
        ok(d == NULL, "'%s' rejected", messages[i].text);
        is_string(messages[i].msg, e.msg, "message for '%s'", messages[i].text);
        rg_dist_free(d);
    }
}

int main(void)
{
    build_cases();
    size_t nerr = sizeof errors / sizeof errors[0];
    size_t nmsg = sizeof messages / sizeof messages[0];
    plan(5 * ncases + 2 + 7 + 12 + nerr + 2 * nmsg);
    samples = rg_xmalloc(NSAMP * sizeof *samples);
    for (size_t i = 0; i < ncases; i++)
        test_case(&cases[i], 1000 + i);
    test_lognormal_quantiles();
    test_sample_time();
    test_helpers();
    test_errors();
    test_messages();
    free(samples);
    return 0;
}
