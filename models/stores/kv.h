/*
 * kv.h: an eventually consistent key-value store in the manner of Workers
 * KV: one central store, a cache per location, unconditional last-writer-
 * wins puts, no atomic operations (FACTS.md, "Eventually consistent KV").
 *
 * Mechanism (every latency sampled per message):
 *  - Central store.  A put travels `central` (one way) to the central store,
 *    which accepts it (or rejects it, see the rate limit) and stamps it with
 *    the next acceptance number.  Last writer wins: the accepted put with
 *    the highest stamp is the key's value.  There is no conditional put.
 *  - Propagation.  An accepted put becomes visible to reads that miss their
 *    location's cache only `propagation` after acceptance; until then those
 *    reads see the newest put already visible (or "not found").  A later
 *    put that becomes visible first hides an earlier one for good (LWW).
 *  - Location caches.  A get first looks in its location's cache: a live
 *    entry (positive or negative) answers after `hit`.  Otherwise the read
 *    goes to the central store (`central` each way), and the answer fills
 *    the cache for `ttl` (FACTS: default and minimum 60 s) or, for "not
 *    found", for `negative_ttl` (negative lookups are cached too).
 *  - The writing location.  A put refreshes its own location's cache with
 *    the value written ("visible at once in the writing location"): when
 *    it leaves for the central store (`local_refresh = put`, the default)
 *    or only when its acknowledgement is back (`ack`).  With probability
 *    `local_miss` ("not guaranteed") the cache keeps what it had instead.
 *    A put refreshed at once that the central store then rejects (429) is
 *    taken back out of the cache when the rejection arrives, if the entry
 *    is still its own.  Caches are plain: the latest fill or refresh wins,
 *    with no version check, so a slow miss can overwrite a fresher local
 *    refresh.
 *  - Write-rate limit.  Per key, a token bucket of `write_burst` tokens
 *    refilled at `write_rate` per second (FACTS: 1 write/s per key); a put
 *    finding no token is rejected with RG_KV_RATE_LIMITED (HTTP 429) and
 *    changes nothing.  write_rate = 0 turns the limit off.
 *
 * Values are int64_t (an application keeps immutable snapshots and stores
 * their index, as it would store a JSON blob).  Streams: "network" for
 * latencies and propagation, "kv" for the local-miss coin.
 *
 * Ownership: the store borrows its engine and the params' distributions,
 * which must outlive it.
 */
#ifndef RG_KV_H
#define RG_KV_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/engine/dist.h"
#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"

typedef struct rg_kv_params {
    const rg_dist *hit;         /* get answered by the location's cache */
    const rg_dist *central;     /* one way, location <-> central store */
    const rg_dist *propagation; /* accepted -> visible to other reads' misses */
    rg_time ttl, neg_ttl;
    double local_miss;   /* P(a put does not refresh its location) */
    bool refresh_at_ack; /* refresh on the ack, not as the put leaves */
    double write_rate;   /* tokens per second per key (0: no limit) */
    double write_burst;  /* bucket capacity, >= 1 */
} rg_kv_params;

/* Distributions read by rg_kv_load (owned; freed by rg_kv_cfg_free). */
typedef struct rg_kv_cfg {
    rg_kv_params p;
    rg_dist *hit, *central, *propagation;
} rg_kv_cfg;

/* Reads [shared] with [var] overrides (var may equal shared).  Keys: hit, central, propagation,
 * ttl, negative_ttl, local_miss, local_refresh (put|ack), write_rate,
 * write_burst. */
int rg_kv_load(rg_scn *s, const char *var, const char *shared, rg_kv_cfg *c, rg_err *e);
void rg_kv_cfg_free(rg_kv_cfg *c);

typedef enum { RG_KV_OK, RG_KV_NOT_FOUND, RG_KV_RATE_LIMITED } rg_kv_status;

typedef struct rg_kv_res {
    rg_kv_status status;
    int64_t value;  /* get: the value read; put: the value written */
    uint64_t stamp; /* the put that produced the value (0: none;
                       UINT64_MAX: the location's own put, not yet
                       accepted by the central store) */
    bool cached;    /* get: answered by the location's cache */
    bool stale;     /* get: older than the latest accepted put when read */
} rg_kv_res;

typedef void (*rg_kv_cb)(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res);

typedef struct rg_kv_stats {
    uint64_t gets, hits, neg_hits, misses, stale_reads;
    uint64_t puts, accepted, rate_limited, local_missed;
} rg_kv_stats;

typedef struct rg_kv rg_kv;

rg_kv *rg_kv_new(rg_engine *e, const rg_kv_params *p, size_t nloc, size_t nkeys);
/* Bytes a store of nloc locations holds per key once the key was written:
 * its central record, a cache entry per location and the first block of
 * its write log (8 writes; more are the caller's to count).  For memory
 * estimates. */
size_t rg_kv_key_bytes(size_t nloc);
void rg_kv_free(rg_kv *kv);
/* Reads key at location loc; cb gets RG_KV_OK or RG_KV_NOT_FOUND. */
void rg_kv_get(rg_kv *kv, size_t loc, size_t key, rg_kv_cb cb, void *ctx, uint64_t tag);
/* Writes value under key from location loc; cb gets RG_KV_OK (accepted) or
 * RG_KV_RATE_LIMITED when the acknowledgement is back at loc. */
void rg_kv_put(rg_kv *kv, size_t loc, size_t key, int64_t value, rg_kv_cb cb, void *ctx,
               uint64_t tag);
/* The last writer's value (the accepted put with the highest stamp), which
 * every location converges to; false if nothing was accepted. */
bool rg_kv_latest(const rg_kv *kv, size_t key, int64_t *value, uint64_t *stamp);
const rg_kv_stats *rg_kv_stats_get(const rg_kv *kv);

#endif
