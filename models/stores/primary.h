/*
 * primary.h: one primary counter server with asynchronous read replicas
 * (Redis with replicas, a DynamoDB table with its global replicas read
 * eventually consistently): a counter per key on the primary, where every
 * change happens, and a copy of each counter on every replica.
 *
 * Mechanism:
 *  - Each copy (the primary, copy 0, and replicas 1..n) is a single-
 *    threaded server: operations run one at a time in arrival order, an
 *    `op` service time each; an operation takes effect, and reads its
 *    value, when it completes.
 *  - decrement: an atomic conditional decrement on the primary (DECR in a
 *    Lua script, a conditional UpdateItem): 1 if the counter was positive
 *    (it is now one less), else 0.  Nothing else writes: it cannot go
 *    below 0.
 *  - Replication: every change the primary makes is shipped to each replica
 *    as "the counter is now v" and applied after a `lag` delay drawn per
 *    message, in order (a replication stream: a change never lands before
 *    an earlier one).  Applying takes no service time.
 *  - read: a plain read at any copy.  A replica can be behind the primary,
 *    never ahead; since counters only go down here, a stale read is never
 *    lower than the primary's value.
 *
 * The store knows no workload: the caller adds the network around each
 * operation.
 */
#ifndef RG_PRIMARY_H
#define RG_PRIMARY_H

#include "sim/engine/dist.h"
#include "sim/engine/engine.h"

typedef struct rg_primary_params {
    const rg_dist *op;  /* service time of one operation at a copy */
    const rg_dist *lag; /* replication delay of one change to one replica */
} rg_primary_params;

/* Result of an operation: decrement gives 1 or 0, read the value. */
typedef void (*rg_primary_cb)(rg_engine *e, void *ctx, uint64_t tag, int64_t result);

typedef struct rg_primary rg_primary;

/* A primary and `nreplicas` replicas of `nkeys` counters, each `initial`.
 * p's distributions are borrowed and must outlive the store. */
rg_primary *rg_primary_new(rg_engine *e, const rg_primary_params *p, size_t nreplicas, size_t nkeys,
                           int64_t initial);
/* Frees the store and any operation or change still in flight; NULL is a
 * no-op. */
void rg_primary_free(rg_primary *p);
/* Queues a conditional decrement of key at the primary. */
void rg_primary_decrement(rg_primary *p, size_t key, rg_primary_cb cb, void *ctx, uint64_t tag);
/* Queues a read of key at copy `copy` (0: the primary, 1..n: a replica). */
void rg_primary_read(rg_primary *p, size_t copy, size_t key, rg_primary_cb cb, void *ctx,
                     uint64_t tag);
/* The value of key at a copy now. */
int64_t rg_primary_value(const rg_primary *p, size_t copy, size_t key);
/* Changes applied at replicas so far. */
uint64_t rg_primary_replicated(const rg_primary *p);

#endif
