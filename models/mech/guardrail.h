/*
 * guardrail.h: the stories' budget guardrail (000_*, 001_*).
 *
 * Flow per allocation request, at the edge: guardrail tripped (as this PoP
 * sees it)? -> 403; otherwise allocate, record the cost, evaluate the
 * budget, and trip when it is exceeded.  The budget is either units
 * allocated (trips when the count reaches it) or virtual cost (trips when it
 * exceeds it).
 *
 * The trip flag lives in an eventually consistent KV (the story: "set
 * guardrail flag in KV"): the PoP that trips it sees it at once, every other
 * region after a `propagation` delay drawn per region, so requests
 * elsewhere keep being served meanwhile.  A reset (an operator's button)
 * clears the flag and restarts the budget; resets are rate-limited per IP
 * (the story: 1 per minute per IP) and a refused reset changes nothing.
 * The counts here are exact and global; the drop can instead keep the
 * counter and the flag in a KV store (models/drop/dropkvp.c), and then
 * only records trips here (rg_guard_mark).
 */
#ifndef RG_GUARDRAIL_H
#define RG_GUARDRAIL_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/dist.h"
#include "models/mech/ledger.h"
#include "models/mech/places.h"
#include "models/mech/ratelimit.h"

typedef enum { RG_BUDGET_UNITS, RG_BUDGET_COST } rg_budget_kind;

typedef struct rg_guard_params {
    rg_budget_kind kind;
    double budget;              /* units, or virtual dollars */
    const rg_dist *propagation; /* flag visibility delay to other regions */
    double reset_rate;          /* resets per second per IP */
} rg_guard_params;

typedef struct rg_guard {
    rg_guard_params p;
    size_t nregions;
    bool tripped;
    rg_time trip_time; /* first trip of the replication, -1 if none */
    rg_time visible[RG_MAX_REGIONS];
    int64_t units_base; /* allocations before the last reset */
    double cost_base;
    uint64_t trips, resets, resets_refused;
    rg_limiter *reset_limit;
} rg_guard;

void rg_guard_init(rg_guard *g, const rg_guard_params *p, size_t nregions);
void rg_guard_free(rg_guard *g);
/* True if a request at a PoP of `region` at `now` sees the flag. */
bool rg_guard_blocks(const rg_guard *g, int region, rg_time now);
/* Evaluates the budget after an allocation decided in `region`; trips the
 * guardrail if exceeded.  Returns true if this call tripped it. */
bool rg_guard_evaluate(rg_guard *g, int64_t units, const rg_ledger *l, int region, rg_time now,
                       gsl_rng *r);
/* Records a trip decided elsewhere (a flag kept in a KV store, which
 * spreads it itself): no propagation is drawn.  Returns true if this call
 * tripped it. */
bool rg_guard_mark(rg_guard *g, rg_time now);
/* An operator's reset from `ip`: false (429) if rate-limited. */
bool rg_guard_reset(rg_guard *g, uint64_t ip, int64_t units, const rg_ledger *l, rg_time now);

#endif
