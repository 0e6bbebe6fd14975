/*
 * stats.c: Welford accumulator, sample summaries with Student-t intervals.
 */
#include "sim/engine/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/engine/sort.h"
#include "sim/engine/util.h"

void rg_acc_init(rg_acc *a)
{
    a->n = 0;
    a->mean = a->m2 = 0;
    a->min = INFINITY;
    a->max = -INFINITY;
}

void rg_acc_add(rg_acc *a, double x)
{
    a->n++;
    double d = x - a->mean;
    a->mean += d / (double)a->n;
    a->m2 += d * (x - a->mean);
    if (x < a->min)
        a->min = x;
    if (x > a->max)
        a->max = x;
}

double rg_acc_var(const rg_acc *a)
{
    return a->n < 2 ? 0.0 : a->m2 / (double)(a->n - 1);
}

double rg_ci95(double sd, uint64_t n)
{
    if (n < 2)
        return NAN;
    return gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sd / sqrt((double)n);
}

/* qsort's call through a comparison pointer showed up in profiles: every
 * replication sorts its latencies. */
RG_DEFINE_SORT(sort_range, double)

void rg_sort_doubles(double *x, size_t n)
{
    if (n > 1)
        sort_range(x, 0, n);
}

double rg_quantile_sorted(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    return gsl_stats_quantile_from_sorted_data(sorted, 1, n, q);
}

/* 0 only in a test build (tests/stats-heap-t): select_rank sorts by
 * heapsort at once, so that the tests take that path too. */
#ifndef RG_SELECT_PATIENCE
#define RG_SELECT_PATIENCE 1
#endif

/* Sorts x[0, n) by heapsort: select_rank's way out when its partitions
 * keep coming out lopsided, so that no order of the input (a results file
 * is input) makes it quadratic. */
static void heap_sort(double *x, size_t n)
{
    for (size_t end = n, start = n / 2; end > 1;) {
        if (start > 0) {
            start--; /* building the heap */
        } else {
            end--; /* the largest to the end */
            double t = x[0];
            x[0] = x[end];
            x[end] = t;
        }
        for (size_t i = start;;) {
            size_t c = 2 * i + 1;
            if (c >= end)
                break;
            if (c + 1 < end && x[c] < x[c + 1])
                c++;
            if (!(x[i] < x[c]))
                break;
            double t = x[i];
            x[i] = x[c];
            x[c] = t;
            i = c;
        }
    }
}

/* Puts into x[k] the value sorting x[lo, hi) would put there, with nothing
 * greater before it and nothing smaller after it (lo <= k < hi):
 * quickselect with the partition of sort_range, following only the side
 * that holds k.  After 2 log2(n) + 16 rounds the rest is sorted instead
 * (a sort was a visible share of a short replication's time, and of
 * summarizing 10^6 replications; a results file's values are input, so
 * no order of them may make it quadratic). */
static void select_rank(double *x, size_t lo, size_t hi, size_t k)
{
    int rounds = 0;
    for (size_t m = hi - lo; RG_SELECT_PATIENCE && m > 1; m >>= 1)
        rounds += 2;
    rounds += RG_SELECT_PATIENCE ? 16 : 0;
    while (hi - lo > 16) {
        if (rounds-- == 0) {
            heap_sort(x + lo, hi - lo);
            return;
        }
        size_t mid = lo + (hi - lo) / 2;
        double a = x[lo], b = x[mid], c = x[hi - 1];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        size_t i = lo, j = hi - 1;
        for (;;) {
            while (x[i] < pivot)
                i++;
            while (pivot < x[j])
                j--;
            if (i >= j)
                break;
            double t = x[i];
            x[i] = x[j];
            x[j] = t;
            i++;
            j--;
        }
        /* [lo, j] <= pivot <= [j + 1, hi) */
        if (k <= j)
            hi = j + 1;
        else
            lo = j + 1;
    }
    sort_range(x, lo, hi);
}

void rg_select_quantiles(double *x, size_t n, const double *q, size_t nq)
{
    if (n < 2)
        return;
    /* The ranks: n - 1, and the two each quantile reads (as GSL's
     * gsl_stats_quantile_from_sorted_data picks them), in order. */
    size_t r[1 + 2 * 16], nr = 0;
    RG_ASSERT(nq <= 16);
    r[nr++] = n - 1;
    for (size_t i = 0; i < nq; i++) {
        size_t lhs = (size_t)(int)(q[i] * (double)(n - 1));
        r[nr++] = lhs < n ? lhs : n - 1;
        r[nr++] = lhs + 1 < n ? lhs + 1 : n - 1;
    }
    for (size_t i = 1; i < nr; i++) /* insertion sort: a few ranks */
        for (size_t j = i; j > 0 && r[j - 1] > r[j]; j--) {
            size_t t = r[j];
            r[j] = r[j - 1];
            r[j - 1] = t;
        }
    size_t lo = 0;
    for (size_t i = 0; i < nr; i++) {
        if (r[i] < lo)
            continue; /* a repeat: in place already */
        select_rank(x, lo, n, r[i]);
        lo = r[i] + 1;
    }
}

void rg_summarize(const double *x, size_t n, rg_summary *out)
{
    /* NaN marks "no value in this replication" (e.g. a trip time when
     * nothing tripped): summaries are over the replications that have one. */
    double *s = rg_xmalloc((n ? n : 1) * sizeof *s);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(x[i]))
            s[k++] = x[i];
    out->n = k;
    if (k == 0) {
        out->mean = out->sd = out->ci95 = out->min = out->max = NAN;
        out->p05 = out->p50 = out->p95 = out->p99 = NAN;
        free(s);
        return;
    }
    rg_acc a;
    rg_acc_init(&a);
    for (size_t i = 0; i < k; i++)
        rg_acc_add(&a, s[i]);
    out->mean = a.mean;
    out->sd = sqrt(rg_acc_var(&a));
    out->ci95 = rg_ci95(out->sd, k);
    static const double qs[5] = {0.0, 0.05, 0.50, 0.95, 0.99}; /* 0: the minimum */
    rg_select_quantiles(s, k, qs, 5); /* as sorting would, for what is read below */
    out->min = s[0];
    out->max = s[k - 1];
    out->p05 = rg_quantile_sorted(s, k, 0.05);
    out->p50 = rg_quantile_sorted(s, k, 0.50);
    out->p95 = rg_quantile_sorted(s, k, 0.95);
    out->p99 = rg_quantile_sorted(s, k, 0.99);
    free(s);
}
