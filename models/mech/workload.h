/*
 * workload.h: the buyers of a drop: how many, when they arrive, where from,
 * which SKU they want, and how long they wait for an answer.
 *
 * Arrival processes ([workload] arrival):
 *   burst(window=W)    every buyer at an independent uniform time in [0, W]
 *                      (W = 0: all at once); the stories' "125 concurrent"
 *   poisson(rate=R)    a Poisson process of R buyers per second
 *   ramp(duration=D)   rate rising linearly from 0 over D (a hype build-up)
 *   spaced(interval=I) deterministic: buyer k at k * I
 * Regions ([workload] regions): "us-east:0.7, eu-west:0.3" (weights), the
 * region names being those of [network] regions.
 *
 * The buyers of replication r are drawn from the "arrivals" stream only, so
 * every variant of r sees exactly the same buyers (common random numbers).
 */
#ifndef RG_WORKLOAD_H
#define RG_WORKLOAD_H

#include <gsl/gsl_rng.h>

#include "models/mech/places.h"
#include "sim/engine/scenario.h"

typedef enum { RG_ARR_BURST, RG_ARR_POISSON, RG_ARR_RAMP, RG_ARR_SPACED } rg_arrkind;

typedef struct rg_workload {
    int64_t buyers;
    int64_t skus;
    int64_t stock; /* per SKU */
    rg_arrkind arrival;
    rg_time span; /* window, ramp duration or spacing */
    double rate;  /* poisson: buyers per second */
    double mix[RG_MAX_REGIONS];
    rg_time timeout; /* client gives up after this */
    rg_time horizon; /* a replication never simulates past this */
} rg_workload;

typedef struct rg_buyer {
    rg_time t;
    int region;
    int sku;
} rg_buyer;

/* One form of [workload] arrival, for listings and messages. */
typedef struct rg_arrival_form {
    const char *name;    /* "burst" */
    const char *param;   /* its one parameter, "window" */
    const char *example; /* "burst(window=100ms)" */
    const char *summary; /* one line */
} rg_arrival_form;

/* The arrival forms, *n of them, in a fixed order. */
const rg_arrival_form *rg_workload_arrivals(size_t *n);

/* Reads [workload]; regions are resolved against p. */
int rg_workload_load(rg_scn *s, const rg_places *p, rg_workload *w, rg_err *e);
/* Draws the buyers (w->buyers of them, sorted by time) from r. */
rg_buyer *rg_workload_buyers(const rg_workload *w, size_t nregions, gsl_rng *r);

#endif
