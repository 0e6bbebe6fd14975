/*
 * faults.h: rejections injected into a store's commits, set from the
 * scenario (the emulated server of story 004 that "rejects commits on
 * demand").  A store asks rg_faults_commit for every commit that reaches it
 * and, when the answer is not RG_BO_OK, rejects the commit with that class
 * instead of applying it.
 *
 * Catalogue ([faults], each [variant.NAME] may override):
 *   storm_at        when the conflict storm begins (default 0s)
 *   storm_count     the first K commits reaching the store at or after
 *                   storm_at are rejected as transient conflicts (0: none)
 *   storm_duration  a distribution, sampled once per replication: every
 *                   commit reaching the store in [storm_at, storm_at + D) is
 *                   rejected as a transient conflict (const(0): none).
 *                   Count and duration may be combined; either rejects.
 *   permanent       probability that a commit outside the storm is rejected
 *                   permanently (say, an idempotency receipt exists)
 *   overloaded      probability that a commit outside the storm is shed as
 *                   overloaded
 * Draws come from the replication's "faults" stream, and only when a
 * probability is non-zero or the storm duration is random, so a scenario
 * without faults consumes nothing.
 */
#ifndef RG_FAULTS_H
#define RG_FAULTS_H

#include <stdint.h>

#include "models/mech/backoff.h"
#include "sim/engine/dist.h"
#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"

typedef struct rg_faults_cfg {
    rg_time storm_at;
    int64_t storm_count;
    rg_dist *storm_duration; /* owned */
    double permanent, overloaded;
} rg_faults_cfg;

/* Reads the catalogue from [shared] with [var] overrides. */
int rg_faults_load(rg_scn *s, const char *var, const char *shared, rg_faults_cfg *f, rg_err *e);
void rg_faults_cfg_free(rg_faults_cfg *f);

/* The faults of one replication (a small value, owned by the run). */
typedef struct rg_faults {
    const rg_faults_cfg *c;
    gsl_rng *r;
    rg_time storm_end;   /* duration storm: [storm_at, storm_end) */
    int64_t storm_left;  /* count storm: rejections still to inject */
    int64_t injected[4]; /* by rg_bo_res class */
} rg_faults;

/* Prepares the replication's faults on e (samples the storm duration). */
void rg_faults_init(rg_faults *f, const rg_faults_cfg *c, rg_engine *e);
/* The fate of a commit reaching the store at `now`. */
rg_bo_res rg_faults_commit(rg_faults *f, rg_time now);

#endif
