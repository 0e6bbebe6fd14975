/*
 * dist.h: probability distributions parsed from text and sampled with GSL.
 *
 * A distribution describes either durations (values in nanoseconds, written
 * with units) or plain numbers; the kind is fixed when parsing.  Grammar:
 *
 *   dist  := QTY                          a constant, e.g. "5ms"
 *          | const(QTY)
 *          | uniform(a, b)                a <= b
 *          | exp(mean)      | exp(mean=m)
 *          | normal(mu, sd)               may sample below 0 (see below)
 *          | tnormal(mu, sd)              normal truncated at 0 (rejection)
 *          | absnormal(mu, sd)            |normal|, as in the AWS backoff study
 *          | lognormal(median=m, p99=q)   | lognormal(median=m, sigma=s)
 *          | lognormal(mu=u, sigma=s)     u = ln(value), for durations the
 *                                         value in seconds
 *          | gamma(shape, scale)          mean = shape * scale
 *          | pareto(scale, shape)         scale = minimum value
 *          | weibull(scale, shape)
 *          | shift(offset, dist)          offset + dist (e.g. shifted gamma)
 *          | mix(w1: dist, w2: dist, ...) weights finite and > 0 (and a
 *                                         finite sum), normalised
 *
 * The ceiling.  A duration parameter (a constant, a mean, a scale, a shift
 * offset) and the mean or median of a duration distribution may be at most
 * 10 years; a larger one (const(300000h), lognormal(mu=1e300, ...),
 * gamma(1e300, ...), pareto(1ns, 1e-300), shift(9e18ns, ...)) is a parse
 * error naming it.  Samples are clamped to 10^18 ns.  A chain of delays
 * that are each allowed can still add up past the engine's end of time
 * (about 292 years): the replication then fails with a message
 * (rg_rep_run), never with a wrong result.
 *
 * Parameters may be positional or named (name=value) in any order.  Sampling
 * a duration rounds to whole nanoseconds and clamps below 0 to 0: use
 * tnormal/absnormal when that matters.  Every parse error names the
 * distribution, the parameter and what was expected.
 */
#ifndef RG_DIST_H
#define RG_DIST_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/simtime.h"

typedef struct rg_dist rg_dist;

/* Parses `text` as a distribution of the given kind.  Returns NULL and fills
 * `e` on error.  Caller frees with rg_dist_free. */
rg_dist *rg_dist_parse(const char *text, rg_qty kind, rg_err *e);
void rg_dist_free(rg_dist *d);
/* A constant distribution (of either kind). */
rg_dist *rg_dist_const(double v, rg_qty kind);

/* One sample, in base units (ns for durations). */
double rg_dist_sample(const rg_dist *d, gsl_rng *r);
/* One duration sample: rounded to ns, clamped to [0, 10^18]. */
rg_time rg_dist_sample_time(const rg_dist *d, gsl_rng *r);

/* Analytic mean and variance (INFINITY where they do not exist). */
double rg_dist_mean(const rg_dist *d);
double rg_dist_var(const rg_dist *d);
/* Smallest possible value (may be -INFINITY). */
double rg_dist_min(const rg_dist *d);
/* True if the distribution is exponential (exp(...)), the memoryless case
 * queueing closed forms need. */
bool rg_dist_is_exp(const rg_dist *d);
/* True if the distribution always returns the same value. */
bool rg_dist_is_const(const rg_dist *d);
rg_qty rg_dist_kind(const rg_dist *d);

#endif
