/*
 * stats-t: summaries (stats.h).  The Welford accumulator against a two-pass
 * computation in long double, also on data with a large offset where the
 * naive sum-of-squares formula loses every digit; rg_summarize on small data
 * sets whose mean, standard deviation, quantiles (GSL's linear
 * interpolation: index q (n - 1)) and 95 % CI half-width were worked out by
 * hand, with Student t quantiles taken from published tables; n = 0 and
 * n = 1; rg_ci95, rg_quantile_sorted and rg_sort_doubles; and
 * rg_select_quantiles and rg_summarize's quantiles against sorting.  Built
 * twice: tests/stats-heap-t makes the selection sort by heapsort at once.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/stats.h"
#include "sim/engine/util.h"
#include "tests/tap/basic.h"

/* Published two-sided 95 % Student t quantiles t_{0.975, df}. */
#define T975_1 12.706205
#define T975_9 2.262157
#define T975_29 2.045230

static void two_pass(const double *x, size_t n, double *mean, double *var)
{
    long double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    long double m = s / n;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = (double)m;
    *var = n > 1 ? (double)(ss / (n - 1)) : 0;
}

static void test_acc(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    size_t n = 10000;
    double *x = rg_xmalloc(n * sizeof *x);

    /* Plain data. */
    rg_acc a;
    rg_acc_init(&a);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        x[i] = 3.0 + 2.0 * gsl_rng_uniform(r);
        lo = fmin(lo, x[i]);
        hi = fmax(hi, x[i]);
        rg_acc_add(&a, x[i]);
    }
    double m, v;
    two_pass(x, n, &m, &v);
    is_int((long long)n, (long long)a.n, "accumulator counts");
    is_double(m, a.mean, 1e-12 * fabs(m), "Welford mean = two-pass mean");
    is_double(v, rg_acc_var(&a), 1e-10 * v, "Welford variance = two-pass variance");
    ok(a.min == lo && a.max == hi, "min and max");

    /* Large offset, small spread: 1e9 + U(0, 1).  The one-pass formula
     * (sum x^2 - n mean^2) / (n - 1) cancels catastrophically here. */
    rg_acc_init(&a);
    for (size_t i = 0; i < n; i++) {
        x[i] = 1e9 + gsl_rng_uniform(r);
        rg_acc_add(&a, x[i]);
    }
    two_pass(x, n, &m, &v);
    is_double(m, a.mean, 1e-14 * m, "offset data: mean (relative 1e-14)");
    is_double(v, rg_acc_var(&a), 1e-6 * v, "offset data: variance %.6f (1/12 expected)", v);
    /* Uniform(0, 1) has variance 1/12; sd of s^2 is about sqrt(1/180 / n). */
    ok(fabs(rg_acc_var(&a) - 1.0 / 12) < 5 * sqrt(1.0 / 180 / (double)n),
       "offset data: variance close to 1/12");

    /* n < 2 */
    rg_acc_init(&a);
    is_double(0, rg_acc_var(&a), 0, "variance of nothing is 0");
    rg_acc_add(&a, 5);
    ok(a.n == 1 && a.mean == 5 && rg_acc_var(&a) == 0 && a.min == 5 && a.max == 5,
       "one value: mean 5, variance 0, min = max = 5");

    /* Exact small case: {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, sum of squared
     * deviations 32, sample variance 32/7. */
    static const double w[] = {2, 4, 4, 4, 5, 5, 7, 9};
    rg_acc_init(&a);
    for (size_t i = 0; i < 8; i++)
        rg_acc_add(&a, w[i]);
    is_double(5, a.mean, 1e-12, "{2,4,4,4,5,5,7,9}: mean 5");
    is_double(32.0 / 7, rg_acc_var(&a), 1e-12, "{2,4,4,4,5,5,7,9}: variance 32/7");
    free(x);
    gsl_rng_free(r);
}

static void test_summarize(void)
{
    rg_summary s;

    /* Digits of pi: 3 1 4 1 5 9 2 6 5 3.  Sorted: 1 1 2 3 3 4 5 5 6 9.
     * Sum 39, mean 3.9; squared deviations 8.41 + 8.41 + 3.61 + 0.81 + 0.81
     * + 0.01 + 1.21 + 1.21 + 4.41 + 26.01 = 54.9; variance 54.9 / 9 = 6.1.
     * Quantile q at index h = 9 q: p05 h = 0.45 between 1 and 1 -> 1;
     * p50 h = 4.5 -> (3 + 4) / 2 = 3.5; p95 h = 8.55 -> 6 + 0.55 * 3 = 7.65;
     * p99 h = 8.91 -> 6 + 0.91 * 3 = 8.73.  CI: t_{0.975,9} sd / sqrt(10). */
    double x[] = {3, 1, 4, 1, 5, 9, 2, 6, 5, 3};
    double copy[10];
    memcpy(copy, x, sizeof x);
    rg_summarize(x, 10, &s);
    is_int(10, (long long)s.n, "n");
    is_double(3.9, s.mean, 1e-12, "mean 3.9");
    is_double(sqrt(6.1), s.sd, 1e-12, "sd sqrt(6.1)");
    is_double(T975_9 * sqrt(6.1) / sqrt(10.0), s.ci95, 1e-5,
              "ci95 = 2.262157 sd / sqrt(10) = 1.76680");
    is_double(1, s.min, 0, "min 1");
    is_double(9, s.max, 0, "max 9");
    is_double(1, s.p05, 1e-12, "p05 1");
    is_double(3.5, s.p50, 1e-12, "p50 3.5");
    is_double(7.65, s.p95, 1e-12, "p95 7.65");
    is_double(8.73, s.p99, 1e-12, "p99 8.73");
    ok(memcmp(x, copy, sizeof x) == 0, "input not modified");

    /* 1..10 shuffled: mean 5.5, variance n(n+1)/12 = 110/12;
     * p05 = 1 + 0.45 = 1.45, p95 = 9 + 0.55 = 9.55. */
    double y[] = {7, 3, 10, 1, 5, 9, 2, 8, 6, 4};
    rg_summarize(y, 10, &s);
    is_double(5.5, s.mean, 1e-12, "1..10: mean 5.5");
    is_double(sqrt(110.0 / 12), s.sd, 1e-12, "1..10: sd sqrt(110/12)");
    is_double(1.45, s.p05, 1e-12, "1..10: p05 1.45");
    is_double(9.55, s.p95, 1e-12, "1..10: p95 9.55");
    is_double(T975_9 * sqrt(110.0 / 12) / sqrt(10.0), s.ci95, 1e-5, "1..10: ci95 2.16585");

    /* Constant data: sd 0, ci 0. */
    double z[] = {4, 4, 4, 4};
    rg_summarize(z, 4, &s);
    ok(s.mean == 4 && s.sd == 0 && s.ci95 == 0 && s.p05 == 4 && s.p99 == 4,
       "constant data: sd 0, ci95 0, every quantile 4");

    /* n = 0: everything NAN. */
    rg_summarize(NULL, 0, &s);
    ok(s.n == 0 && isnan(s.mean) && isnan(s.sd) && isnan(s.ci95) && isnan(s.min) && isnan(s.max) &&
           isnan(s.p05) && isnan(s.p50) && isnan(s.p95) && isnan(s.p99),
       "n = 0: every field NAN");

    /* n = 1: the value itself, no interval. */
    double one = 2.5;
    rg_summarize(&one, 1, &s);
    ok(s.n == 1 && s.mean == 2.5 && s.min == 2.5 && s.max == 2.5 && s.p50 == 2.5 && s.p99 == 2.5,
       "n = 1: mean, extremes and quantiles are the value");
    ok(isnan(s.ci95), "n = 1: ci95 is NAN");
    if (s.sd != 0 && !isnan(s.sd))
        diag("n = 1: sd is %g", s.sd);
    ok(s.sd == 0 || isnan(s.sd), "n = 1: sd is 0 or NAN (never a made-up spread)");
}

static void test_ci95(void)
{
    is_double(T975_1 / sqrt(2.0), rg_ci95(1, 2), 1e-5, "n = 2: t_{0.975,1} / sqrt(2)");
    is_double(3 * T975_29 / sqrt(30.0), rg_ci95(3, 30), 1e-5, "n = 30, sd 3");
    /* For large n, t approaches z_0.975 = 1.959964. */
    is_double(1.959964 * 10 / 1000, rg_ci95(10, 1000000), 1e-6, "n = 1e6: normal limit");
    ok(isnan(rg_ci95(1, 1)) && isnan(rg_ci95(1, 0)), "n < 2: NAN");
}

static int is_sorted(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i - 1] > x[i])
            return 0;
    return 1;
}

static void test_quantile_sort(void)
{
    double s[] = {10, 20, 30, 40, 50};
    is_double(10, rg_quantile_sorted(s, 5, 0), 0, "q = 0 is the minimum");
    is_double(50, rg_quantile_sorted(s, 5, 1), 0, "q = 1 is the maximum");
    is_double(30, rg_quantile_sorted(s, 5, 0.5), 0, "q = 0.5 of an odd count is the middle");
    is_double(25, rg_quantile_sorted(s, 5, 0.375), 1e-12, "q = 0.375 interpolates: 25");
    ok(isnan(rg_quantile_sorted(s, 0, 0.5)), "no data: NAN");

    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 5);
    size_t n = 5000;
    double *x = rg_xmalloc(n * sizeof *x);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = gsl_rng_uniform_int(r, 100) - 50.0; /* many ties */
        sum += x[i];
    }
    rg_sort_doubles(x, n);
    double sum2 = 0;
    for (size_t i = 0; i < n; i++)
        sum2 += x[i];
    ok(is_sorted(x, n) && sum == sum2, "rg_sort_doubles sorts ascending and keeps the values");
    free(x);
    gsl_rng_free(r);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* rg_sort_doubles is a hand-written quicksort: compare it with qsort on
 * many random arrays, including short ones, heavy duplicates and sorted or
 * reversed input (the cases that break a careless partition). */
static void test_sort_vs_qsort(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 99);
    int bad = 0;
    for (int t = 0; t < 3000; t++) {
        size_t n = gsl_rng_uniform_int(r, 400);
        double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
        unsigned long range = t % 3 == 0 ? 3 : 100000;
        for (size_t i = 0; i < n; i++)
            a[i] = (double)gsl_rng_uniform_int(r, range);
        if (t % 5 == 1)
            qsort(a, n, sizeof *a, cmp_double);
        if (t % 5 == 2)
            for (size_t i = 0; i < n / 2; i++) {
                double x = a[i];
                a[i] = a[n - 1 - i];
                a[n - 1 - i] = x;
            }
        memcpy(b, a, n * sizeof *a);
        rg_sort_doubles(a, n);
        qsort(b, n, sizeof *b, cmp_double);
        bad += memcmp(a, b, n * sizeof *a) != 0;
        free(a);
        free(b);
    }
    is_int(0, bad, "rg_sort_doubles equals qsort on 3,000 random, sorted, reversed arrays");
    gsl_rng_free(r);
}

/* Fills a[0..n-1] with pattern p of nine: random over 3 values, random
 * over 10^5, sorted, reversed, all equal, organ pipe, sawtooth, random with
 * NaN-free extremes (+-inf), and a median-of-three killer (Musser's). */
static void fill(double *a, size_t n, int p, gsl_rng *r)
{
    for (size_t i = 0; i < n; i++) {
        switch (p) {
        case 0: a[i] = (double)gsl_rng_uniform_int(r, 3); break;
        case 1:
        case 2:
        case 3: a[i] = (double)gsl_rng_uniform_int(r, 100000); break;
        case 4: a[i] = 7.5; break;
        case 5: a[i] = (double)(i < n / 2 ? i : n - i); break;
        case 6: a[i] = (double)(i % 17); break;
        case 7: a[i] = i % 97 == 0 ? (i % 2 ? INFINITY : -INFINITY) : gsl_rng_uniform(r); break;
        default: {
            size_t k = n / 2;
            a[i] = i < k ? (double)(i % 2 ? k + i : i + 1) : (double)(2 * (i - k + 1));
        }
        }
    }
    if (p == 2)
        qsort(a, n, sizeof *a, cmp_double);
    if (p == 3) {
        qsort(a, n, sizeof *a, cmp_double);
        for (size_t i = 0; i < n / 2; i++) {
            double x = a[i];
            a[i] = a[n - 1 - i];
            a[n - 1 - i] = x;
        }
    }
}

/* rg_select_quantiles leaves, and rg_summarize reads, exactly what
 * sorting would: compared with qsort on thousands of arrays of every
 * pattern above, small and large, bit for bit. */
static void test_select(void)
{
    static const double qs[6] = {0.0, 0.05, 0.25, 0.5, 0.95, 0.99};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    int bad_q = 0, bad_perm = 0, bad_sum = 0, arrays = 0;
    for (int t = 0; t < 2700 + 9 * 3; t++) {
        size_t n = t < 2700 ? gsl_rng_uniform_int(r, 600) : 20000 + 3331 * (size_t)(t % 3);
        double *a = malloc((n ? n : 1) * sizeof *a), *b = malloc((n ? n : 1) * sizeof *b);
        fill(a, n, t % 9, r);
        memcpy(b, a, n * sizeof *a);
        rg_summary got, want;
        rg_summarize(a, n, &got);
        qsort(b, n, sizeof *b, cmp_double);
        want.n = n;
        if (n > 0) {
            want.min = b[0];
            want.max = b[n - 1];
            want.p05 = rg_quantile_sorted(b, n, 0.05);
            want.p50 = rg_quantile_sorted(b, n, 0.50);
            want.p95 = rg_quantile_sorted(b, n, 0.95);
            want.p99 = rg_quantile_sorted(b, n, 0.99);
            bad_sum += memcmp(&got.min, &want.min, sizeof got.min) != 0 ||
                       memcmp(&got.max, &want.max, sizeof got.max) != 0 ||
                       memcmp(&got.p05, &want.p05, sizeof got.p05) != 0 ||
                       memcmp(&got.p50, &want.p50, sizeof got.p50) != 0 ||
                       memcmp(&got.p95, &want.p95, sizeof got.p95) != 0 ||
                       memcmp(&got.p99, &want.p99, sizeof got.p99) != 0;
        }
        rg_select_quantiles(a, n, qs, 6);
        if (n > 0) {
            bad_q += a[0] != b[0] || a[n - 1] != b[n - 1];
            for (int j = 0; j < 6; j++) {
                double x = rg_quantile_sorted(a, n, qs[j]), y = rg_quantile_sorted(b, n, qs[j]);
                bad_q += memcmp(&x, &y, sizeof x) != 0;
            }
        }
        qsort(a, n, sizeof *a, cmp_double);
        bad_perm += memcmp(a, b, n * sizeof *a) != 0;
        arrays++;
        free(a);
        free(b);
    }
    diag("%d arrays", arrays);
    is_int(0, bad_q, "rg_select_quantiles: min, max and 6 quantiles as after sorting");
    is_int(0, bad_perm, "rg_select_quantiles: only moves the values");
    is_int(0, bad_sum, "rg_summarize: min, max, p05, p50, p95 and p99 as from a sorted copy");
    gsl_rng_free(r);
}

int main(void)
{
    plan(12 + 20 + 4 + 6 + 1 + 3);
    test_acc();
    test_summarize();
    test_ci95();
    test_quantile_sort();
    test_sort_vs_qsort();
    test_select();
    return 0;
}
