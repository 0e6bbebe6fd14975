/*
 * edge.h: the edge worker at a PoP that receives a client's request, runs
 * the application's entry code and forwards to the backend.  Per request it
 * costs `cpu` time and, with probability `cold_prob`, a cold start of `cold`
 * (FACTS.md: isolate cold start under 5 ms; since 2025 99.99 % of requests
 * hit a warm isolate, so the default probability is 1e-4).  Isolates run
 * requests concurrently, so there is no queue here.
 */
#ifndef RG_EDGE_H
#define RG_EDGE_H

#include <gsl/gsl_rng.h>

#include "sim/engine/dist.h"
#include "sim/engine/scenario.h"

typedef struct rg_edge {
    rg_dist *cpu, *cold;
    double cold_prob;
} rg_edge;

/* Reads the edge parameters of variant section `var`, inheriting [edge]. */
int rg_edge_load(rg_scn *s, const char *var, rg_edge *ed, rg_err *e);
void rg_edge_free(rg_edge *ed);
/* Delay one request spends in the edge worker; *cold tells if it was cold. */
rg_time rg_edge_delay(const rg_edge *ed, gsl_rng *r, bool *cold);

#endif
