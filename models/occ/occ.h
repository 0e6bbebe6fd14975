/*
 * occ.h: optimistic commits under contention ([scenario] model = occ).
 *
 * N clients each make W committed writes, one after another, to a single
 * versioned value.  A write is an optimistic read-modify-write: read the
 * value and its version, then commit "value + 1, version + 1 if the version
 * is still v".  Every write runs under a retry policy (backoff.h), so it
 * ends landed, rejected permanently, failed loudly or dropped silently, and
 * the checker compares what the clients were told with what the store holds
 * at the end.  Two experiments are this one model:
 *
 *   contention   (occ-backoff.ini) the AWS backoff study (FACTS.md): N
 *                clients, W = 1, network |Normal(10 ms, 2 ms)| each way, an
 *                instantaneous server; work (commit attempts) and
 *                completion time per jitter kind
 *   append storm (append-storm.ini) story 004's "three appends survive a
 *                conflict storm": N = 1, W = 3 appends, a storm of injected
 *                conflicts longer than the legacy budget (faults.h)
 *
 * Stores ([variant.NAME] store = ...):
 *   row     a SQL row with a version column (row.h): a FIFO server taking
 *           `service` per statement; the commit is UPDATE ... WHERE
 *           version = v, atomic at the server, and [faults] may reject it
 *   object  a single-threaded object (object.h): read and conditional
 *           write are two calls; [faults] may reject the write; the object's
 *           own overload (max_queue) answers "overloaded"
 *   kv      the eventually consistent KV (kv.h), written by workers in one
 *           location: it has no conditional put, so the "commit" always
 *           lands (a 429 is "overloaded") and concurrent writes overwrite
 *           each other: landed writes the store does not hold are lost.
 *           [faults] does not apply (a KV rejects nothing but rate).
 *
 * Scenario: [occ] clients, writes, arrival (a client's start time), network
 * (one way, per message), store, service (row), horizon; [backoff] the
 * retry policy (backoff.h); [faults] injected rejections (faults.h);
 * [object] or [kv] the store's parameters.  Each [variant.NAME] may
 * override any of them.
 *
 * Streams: "arrivals" (client start times), "network", "jitter" (backoff
 * draws), "faults", and the stores' own ("service", "kv").
 */
#ifndef RG_OCC_H
#define RG_OCC_H

#include <stdio.h>

#include "models/mech/backoff.h"
#include "sim/run/experiment.h"

/* What one replication did, for tests. */
typedef struct rg_occ_result {
    rg_bo_tally t;      /* every write's outcome */
    int64_t durable;    /* writes the store holds at the end */
    int64_t unfinished; /* writes still pending at the horizon */
    int64_t reads;
    rg_time completion; /* when the last client finished */
} rg_occ_result;

/* Runs variant v of replication rep like the model's run and also fills
 * *res (may be NULL). */
void rg_occ_run_detail(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                       FILE *trace, rg_occ_result *res);

/* The experiment, for the table of experiments (models/registry.c). */
extern const rg_experiment rg_experiment_occ;

#endif
