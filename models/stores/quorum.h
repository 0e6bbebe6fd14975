/*
 * quorum.h: a Dynamo-style replicated store with N replicas and read and
 * write quorums R and W, in the WARS model of Bailis et al., "Probabilistically
 * Bounded Staleness for Practical Partial Quorums" (VLDB 2012; FACTS.md,
 * "Staleness of quorum-replicated stores").
 *
 * Mechanism (one coordinator, N replicas; every delay is one message's,
 * drawn per message from the replica's distribution):
 *  - Write.  The coordinator stamps the write with the store's next version
 *    and sends it to all N replicas (delay W).  A replica applies it on
 *    arrival if its version is newer than the one it holds (last writer
 *    wins by version: versions grow in the order writes are issued, as
 *    timestamps from perfectly synchronised clocks would), then acknowledges
 *    (delay A), applied or not.  The write completes at the coordinator when
 *    W acknowledgements are back.
 *  - Read.  The coordinator sends the request to all N replicas (delay R);
 *    each answers with what it holds when the request arrives (delay S).
 *    The read returns when R answers are back, with the newest version among
 *    them.  Later answers are counted and dropped.
 *  - No read repair, no anti-entropy, no hinted handoff, no message loss (as
 *    in the paper's WARS model): a replica learns a write only from the
 *    write's own message, and every message arrives.
 * Nothing computes staleness: a stale read is a read whose first R
 * answerers had not received the write when its request reached them.
 * With R + W > N every read issued after a write completed sees it (the
 * read and write sets intersect); with R + W <= N it may not.
 *
 * Order: a write and a read reaching one replica at the same instant fire
 * in the engine's order (the message scheduled first is handled first).
 * All four delays of a message pair are drawn when the operation is
 * issued, in replica order (W then A per replica for a write, R then S for
 * a read), so an operation's delays depend only on how many draws came
 * before it on the stream.
 *
 * Ownership: the store borrows its engine, its stream and the params'
 * distributions, which must outlive it.  Operations in flight when a
 * replication stops are freed with the store.
 */
#ifndef RG_QUORUM_H
#define RG_QUORUM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/dist.h"
#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"

/* Most replicas a store may have (Dynamo-style stores use 3 to 5). */
#define RG_QUORUM_MAX_N 16

typedef struct rg_quorum_params {
    int64_t n, r, w; /* replicas, read quorum, write quorum: 1 <= r, w <= n */
    /* One-way delays to and from replica i < n (WARS): write request,
     * acknowledgement, read request, read response. */
    const rg_dist *dw[RG_QUORUM_MAX_N], *da[RG_QUORUM_MAX_N];
    const rg_dist *dr[RG_QUORUM_MAX_N], *ds[RG_QUORUM_MAX_N];
} rg_quorum_params;

/* A quorum configuration read from a scenario (distributions owned; freed
 * by rg_quorum_cfg_free), with p filled: every replica has the same four
 * distributions. */
typedef struct rg_quorum_cfg {
    rg_quorum_params p;
    rg_dist *dw, *da, *dr, *ds;
} rg_quorum_cfg;

/* Reads n, r, w, delay_w, delay_a, delay_r and delay_s of [shared] with
 * [var] overrides (var may equal shared).  Returns 0, or -1 with e filled;
 * c must be zeroed, and rg_quorum_cfg_free frees it in either case. */
int rg_quorum_load(rg_scn *s, const char *var, const char *shared, rg_quorum_cfg *c, rg_err *e);
void rg_quorum_cfg_free(rg_quorum_cfg *c);

/* What an operation returned: for a read the newest value among its R
 * answers, for a write the value written. */
typedef struct rg_quorum_res {
    int64_t value;
    uint64_t version; /* the write that produced the value (0: the initial value) */
    rg_time issued;   /* when the coordinator sent the operation */
} rg_quorum_res;

typedef void (*rg_quorum_cb)(rg_engine *e, void *ctx, uint64_t tag, const rg_quorum_res *res);

typedef struct rg_quorum_stats {
    uint64_t reads, writes, messages;
    uint64_t superseded; /* write messages a replica dropped: it held a newer version */
} rg_quorum_stats;

typedef struct rg_quorum rg_quorum;

/* A store of nkeys keys, each holding `initial` (version 0) on every
 * replica; delays are drawn from net. */
rg_quorum *rg_quorum_new(rg_engine *e, const rg_quorum_params *p, size_t nkeys, int64_t initial,
                         gsl_rng *net);
void rg_quorum_free(rg_quorum *q);
/* Traces every message to f (NULL: none) with rg_trace. */
void rg_quorum_set_trace(rg_quorum *q, FILE *f);

/* Writes value under key from the coordinator, now; cb runs when W
 * replicas acknowledged.  Returns the write's version. */
uint64_t rg_quorum_write(rg_quorum *q, size_t key, int64_t value, rg_quorum_cb cb, void *ctx,
                         uint64_t tag);
/* Reads key from the coordinator, now; cb runs when R replicas answered. */
void rg_quorum_read(rg_quorum *q, size_t key, rg_quorum_cb cb, void *ctx, uint64_t tag);

/* What replica i holds for key now; *version (may be NULL) gets its version. */
int64_t rg_quorum_replica(const rg_quorum *q, size_t i, size_t key, uint64_t *version);
/* The newest value any replica holds for key (once every message has
 * arrived, what all of them hold). */
int64_t rg_quorum_newest(const rg_quorum *q, size_t key, uint64_t *version);
const rg_quorum_stats *rg_quorum_stats_get(const rg_quorum *q);

#endif
