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
    rg_sort_doubles(s, k);
    out->min = s[0];
    out->max = s[k - 1];
    out->p05 = rg_quantile_sorted(s, k, 0.05);
    out->p50 = rg_quantile_sorted(s, k, 0.50);
    out->p95 = rg_quantile_sorted(s, k, 0.95);
    out->p99 = rg_quantile_sorted(s, k, 0.99);
    free(s);
}
