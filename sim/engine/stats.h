/*
 * stats.h: summaries of per-replication values.
 *
 * rg_acc is a running accumulator (Welford's update, numerically stable) for
 * quantities observed inside a replication (waits, latencies).  rg_summary
 * describes a sample of per-replication values: mean, standard deviation,
 * the half-width of the 95 % confidence interval of the mean (Student t with
 * n - 1 degrees of freedom, from GSL), extremes and quantiles.
 */
#ifndef RG_STATS_H
#define RG_STATS_H

#include <stddef.h>
#include <stdint.h>

typedef struct rg_acc {
    uint64_t n;
    double mean, m2, min, max;
} rg_acc;

void rg_acc_init(rg_acc *a);
void rg_acc_add(rg_acc *a, double x);
double rg_acc_var(const rg_acc *a); /* sample variance (n - 1), 0 if n < 2 */

typedef struct rg_summary {
    uint64_t n;
    double mean, sd, ci95; /* ci95: half-width; NAN if n < 2 */
    double min, max, p05, p50, p95, p99;
} rg_summary;

/* Summarises x[0..n-1] (not modified).  NAN values mean "no value in this
 * replication" and are left out: out->n counts the others.  With no value
 * left every field is NAN and n is 0. */
void rg_summarize(const double *x, size_t n, rg_summary *out);

/* Half-width of the 95 % CI of a mean of n values with standard deviation sd. */
double rg_ci95(double sd, uint64_t n);

/* Quantile q in [0, 1] of sorted data (linear interpolation, as GSL). */
double rg_quantile_sorted(const double *sorted, size_t n, double q);

/* Sorts doubles ascending in place (no NaN allowed). */
void rg_sort_doubles(double *x, size_t n);
/* Rearranges x[0..n-1] (no NaN) so that x[n-1] and the values that
 * rg_quantile_sorted(x, n, q[i]) reads, for each of the nq (at most 16)
 * q[i], are what sorting x would put there: those quantiles (q = 0: the
 * minimum, x[0]) and the maximum are exactly as after rg_sort_doubles, in
 * linear time on average and O(n log n) at worst.  The rest of x is in no
 * particular order. */
void rg_select_quantiles(double *x, size_t n, const double *q, size_t nq);

#endif
