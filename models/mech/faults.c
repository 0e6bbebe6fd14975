/*
 * faults.c: injected commit rejections (see faults.h).
 */
#include "models/mech/faults.h"

#include "models/mech/mparam.h"

int rg_faults_load(rg_scn *s, const char *var, const char *shared, rg_faults_cfg *f, rg_err *e)
{
    if (mp_dur(s, var, shared, "storm_at", "0s", &f->storm_at, e) < 0 ||
        mp_int(s, var, shared, "storm_count", "0", 0, INT64_C(1000000000), &f->storm_count, e) <
            0 ||
        mp_dist(s, var, shared, "storm_duration", "const(0s)", RG_QTY_DURATION, &f->storm_duration,
                e) < 0 ||
        mp_real(s, var, shared, "permanent", "0", 0, 1, &f->permanent, e) < 0 ||
        mp_real(s, var, shared, "overloaded", "0", 0, 1, &f->overloaded, e) < 0)
        return -1;
    if (f->permanent + f->overloaded > 1) {
        const char *sec = var && rg_scn_has(s, var, "overloaded") ? var : shared;
        return rg_scn_err(s, sec, "overloaded", e, "permanent + overloaded must be <= 1");
    }
    return 0;
}

void rg_faults_cfg_free(rg_faults_cfg *f)
{
    rg_dist_free(f->storm_duration);
    f->storm_duration = NULL;
}

void rg_faults_init(rg_faults *f, const rg_faults_cfg *c, rg_engine *e)
{
    *f = (rg_faults){0};
    f->c = c;
    f->storm_left = c->storm_count;
    bool fixed = rg_dist_is_const(c->storm_duration);
    if (!fixed || c->permanent > 0 || c->overloaded > 0)
        f->r = rg_engine_stream(e, "faults");
    rg_time d = fixed ? (rg_time)rg_dist_mean(c->storm_duration)
                      : rg_dist_sample_time(c->storm_duration, f->r);
    f->storm_end = c->storm_at + d;
}

rg_bo_res rg_faults_commit(rg_faults *f, rg_time now)
{
    rg_bo_res r = RG_BO_OK;
    if (now >= f->c->storm_at && (now < f->storm_end || f->storm_left > 0)) {
        /* A commit inside a duration storm also uses up the count, so the
         * two kinds combine as "whichever lasts longer". */
        if (f->storm_left > 0)
            f->storm_left--;
        r = RG_BO_TRANSIENT;
    } else if (f->c->permanent > 0 || f->c->overloaded > 0) {
        double u = gsl_rng_uniform(f->r);
        if (u < f->c->permanent)
            r = RG_BO_PERMANENT;
        else if (u < f->c->permanent + f->c->overloaded)
            r = RG_BO_OVERLOADED;
    }
    f->injected[r]++;
    return r;
}
