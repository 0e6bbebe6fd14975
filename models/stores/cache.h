/*
 * cache.h: a regional cache with asynchronous replication (the "Cloud 1.0"
 * era of 002_*): one replica per region holding a counter per key.
 *
 * Mechanism: a replica is a single-threaded server (operations run one at a
 * time, `op` service time each, as in Redis).  decrement_if_positive checks
 * and decrements the LOCAL counter atomically (increment adds one: a unit
 * given back), then sends the change to every other replica, where it is
 * applied after a `lag` delay drawn per message.  Replication mode:
 *   delta  the change is "minus one" or "plus one" (replicas converge to
 *          initial - sold + given back, possibly negative: oversell is
 *          visible but nothing is lost)
 *   state  the change is "set to v, written at t" (last writer wins by
 *          write time: replicas converge on the latest write, and a sale
 *          whose write is overwritten by a concurrent one is lost)
 * Nothing coordinates replicas, so two regions can both sell the last unit
 * within the lag window: oversell grows with sale rate x lag (FACTS.md).
 *
 * Failover (optional, rg_cache_standby then rg_cache_failover): one
 * region's node has an in-region replica that receives every change the
 * node applies (its own and those replicated to it), as "the counter is
 * now v", after a lag drawn per change, in order.  When the node fails
 * over, the replica's counters become the node's: the changes it had not
 * received (the replication window) are lost there, while the copies
 * already sent to other regions stand.  Operations queued at the node get
 * result -1, and so does every operation at it for the failover time;
 * replication messages from other regions still land (their senders keep
 * them until the new node takes them).
 *
 * Partition (rg_cache_cut): a replication message between two cut regions
 * sent while the cut lasts waits for the heal (places.h).
 */
#ifndef RG_CACHE_H
#define RG_CACHE_H

#include <gsl/gsl_rng.h>

#include "models/mech/places.h"
#include "sim/engine/dist.h"
#include "sim/engine/engine.h"

typedef enum { RG_CACHE_DELTA, RG_CACHE_STATE } rg_cache_mode;

typedef struct rg_cache_params {
    const rg_dist *op;  /* service time of one operation at a replica */
    const rg_dist *lag; /* replication delay of one message */
    rg_cache_mode mode;
} rg_cache_params;

/* Result of decrement_if_positive: 1 (decremented) or 0 (was <= 0); -1:
 * the node failed over with the operation (it may or may not have been
 * applied). */
typedef void (*rg_cache_cb)(rg_engine *e, void *ctx, uint64_t tag, int result);

typedef struct rg_cache rg_cache;

rg_cache *rg_cache_new(rg_engine *e, const rg_cache_params *p, size_t nregions, size_t nkeys,
                       int64_t initial);
void rg_cache_free(rg_cache *c);
/* Queues a check-and-decrement of key at the replica of `region`. */
void rg_cache_decrement(rg_cache *c, size_t region, size_t key, rg_cache_cb cb, void *ctx,
                        uint64_t tag);
/* Queues an increment of key at the replica of `region` (a unit given
 * back), replicated like a decrement: "plus one" in delta mode, the new
 * value in state mode (where a concurrent write can overwrite it).  The
 * result is always 1. */
void rg_cache_increment(rg_cache *c, size_t region, size_t key, rg_cache_cb cb, void *ctx,
                        uint64_t tag);
int64_t rg_cache_value(const rg_cache *c, size_t region, size_t key);
/* Replication messages applied so far. */
uint64_t rg_cache_replicated(const rg_cache *c);
/* Changes applied at the node of `region` so far (its own and replicated
 * ones, counted from 1; a failover sets it back to what survived). */
uint64_t rg_cache_seq(const rg_cache *c, size_t region);
/* Gives the node of `region` an in-region replica lagging by `lag`, drawn
 * with r (both borrowed; call before the first operation). */
void rg_cache_standby(rg_cache *c, size_t region, const rg_dist *lag, gsl_rng *r);
/* The node of the standby's region fails over to it now and serves again
 * `down` later.  Returns the node's change count that survived (changes
 * after it are lost).  One failover: the promoted replica has none. */
uint64_t rg_cache_failover(rg_cache *c, rg_time down);
/* Cuts the replication between two regions while it lasts (borrowed). */
void rg_cache_cut(rg_cache *c, const rg_partition *cut);

#endif
