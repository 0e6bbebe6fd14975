/*
 * guardrail.c: budget guardrail with an eventually consistent flag (see
 * guardrail.h).
 */
#include "models/mech/guardrail.h"

#include <string.h>

void rg_guard_init(rg_guard *g, const rg_guard_params *p, size_t nregions)
{
    memset(g, 0, sizeof *g);
    g->p = *p;
    g->nregions = nregions;
    g->trip_time = -1;
    /* one reset per 1/rate seconds, no saving up: burst 1 */
    g->reset_limit = rg_limiter_new(p->reset_rate, 1);
}

void rg_guard_free(rg_guard *g)
{
    rg_limiter_free(g->reset_limit);
}

bool rg_guard_blocks(const rg_guard *g, int region, rg_time now)
{
    return g->tripped && now >= g->visible[region];
}

bool rg_guard_evaluate(rg_guard *g, int64_t units, const rg_ledger *l, int region, rg_time now,
                       gsl_rng *r)
{
    if (g->tripped)
        return false;
    bool over = g->p.kind == RG_BUDGET_UNITS ? (double)(units - g->units_base) >= g->p.budget
                                             : rg_ledger_virtual(l) - g->cost_base > g->p.budget;
    if (!over)
        return false;
    g->tripped = true;
    g->trips++;
    if (g->trip_time < 0)
        g->trip_time = now;
    for (size_t k = 0; k < g->nregions; k++)
        g->visible[k] = (int)k == region ? now : now + rg_dist_sample_time(g->p.propagation, r);
    return true;
}

bool rg_guard_mark(rg_guard *g, rg_time now)
{
    if (g->tripped)
        return false;
    g->tripped = true;
    g->trips++;
    if (g->trip_time < 0)
        g->trip_time = now;
    return true;
}

bool rg_guard_reset(rg_guard *g, uint64_t ip, int64_t units, const rg_ledger *l, rg_time now)
{
    if (!rg_limiter_take(g->reset_limit, ip, now)) {
        g->resets_refused++;
        return false;
    }
    g->resets++;
    g->tripped = false;
    g->units_base = units;
    g->cost_base = rg_ledger_virtual(l);
    return true;
}
