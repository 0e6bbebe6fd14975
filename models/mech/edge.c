/*
 * edge.c: edge worker delay (see edge.h).
 */
#include "models/mech/edge.h"

#include "models/mech/mparam.h"

int rg_edge_load(rg_scn *s, const char *var, rg_edge *ed, rg_err *e)
{
    /* "most requests use under 1 ms CPU" (Workers limits docs). */
    if (mp_dist(s, var, "edge", "cpu", "lognormal(median=300us, p99=1ms)", RG_QTY_DURATION,
                &ed->cpu, e) < 0 ||
        mp_real(s, var, "edge", "cold_prob", "0.0001", 0, 1, &ed->cold_prob, e) < 0 ||
        mp_dist(s, var, "edge", "cold", "uniform(1ms, 5ms)", RG_QTY_DURATION, &ed->cold, e) < 0)
        return -1;
    return 0;
}

void rg_edge_free(rg_edge *ed)
{
    rg_dist_free(ed->cpu);
    rg_dist_free(ed->cold);
    ed->cpu = ed->cold = NULL;
}

rg_time rg_edge_delay(const rg_edge *ed, gsl_rng *r, bool *cold)
{
    rg_time t = rg_dist_sample_time(ed->cpu, r);
    *cold = ed->cold_prob > 0 && gsl_rng_uniform(r) < ed->cold_prob;
    if (*cold)
        t += rg_dist_sample_time(ed->cold, r);
    return t;
}
