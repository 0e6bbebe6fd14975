/*
 * dropfaults.h: the outages a drop scenario can inject ([faults], each
 * [variant.NAME] may override any key; every fault is off by default).
 * Beside the commit rejections of faults.h (occ, row), these are crashes
 * and failovers of whole stores, a partition of the network, and clients
 * that crash:
 *
 *   object_restart       never | TIME: every object of the variant fails at
 *                        TIME: unflushed writes are discarded, every request
 *                        it holds (queued, in its handler, or a reply held by
 *                        the output gate) is answered with an error, and it
 *                        reloads its state from storage
 *   object_flush_fail    never | TIME: the first storage flush of an object
 *                        that completes at or after TIME fails: the replies
 *                        it gated become errors and the object restarts as
 *                        above (FACTS.md, "output gate")
 *   object_restart_time  how long a failed object takes to serve again
 *   db_failover          never | TIME: the SQL primary dies at TIME; its
 *                        asynchronous replica, which lags by db_replica_lag
 *                        per commit, becomes primary after db_failover_time:
 *                        commits it had not received are lost, statements in
 *                        flight fail, statements in the meantime fail at once
 *   cache_failover       never | TIME: the cache node of cache_failover_region
 *                        fails over to its in-region replica, which lags by
 *                        cache_replica_lag per change: changes it had not
 *                        received are lost; operations in flight fail, and
 *                        for cache_failover_time every operation fails
 *   partition            none | A, B: two regions cut apart from partition_at
 *                        for partition_time (messages held until the heal,
 *                        places.h)
 *   client_crash         the chance that a buyer crashes right after sending
 *                        its first request: it never reads the answer and
 *                        never retries
 *
 * Timings are fixed values, so a test can aim a fault at a known request;
 * the replica lags and the crash draws come from the replication's
 * "faults" stream, made only when a fault needs it, so a scenario without
 * faults draws nothing more.
 */
#ifndef RG_DROPFAULTS_H
#define RG_DROPFAULTS_H

#include <stdbool.h>

#include "models/mech/places.h"
#include "sim/engine/dist.h"
#include "sim/engine/scenario.h"

typedef struct rg_dfaults {
    rg_time object_restart;    /* -1: never */
    rg_time object_flush_fail; /* -1: never */
    rg_time object_down;
    rg_time db_failover; /* -1: never */
    rg_time db_down;
    rg_dist *db_lag;        /* owned */
    rg_time cache_failover; /* -1: never */
    int cache_region;
    rg_time cache_down;
    rg_dist *cache_lag; /* owned */
    rg_partition cut;   /* cut.a < 0: none */
    double client_crash;
} rg_dfaults;

/* The keys, for "is the option mentioned" checks (NULL-terminated). */
extern const char *const rg_dfaults_keys[];

/* Reads the catalogue from [shared] with [var] overrides; pl names the
 * regions.  Returns 0, or -1 with e filled; f is to be freed in either
 * case. */
int rg_dfaults_load(rg_scn *s, const char *var, const char *shared, const rg_places *pl,
                    rg_dfaults *f, rg_err *e);
void rg_dfaults_free(rg_dfaults *f);
/* The catalogue with every fault off (nothing to free). */
void rg_dfaults_none(rg_dfaults *f);

#endif
