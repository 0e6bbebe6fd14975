/*
 * batch.h: batch-upload state ([scenario] model = batch), the story of
 * story 003.
 *
 * A client (the upload CLI) initialises a batch, then runs P uploads at a
 * time: phase 1 sends start-file for every file (each appends the file to
 * the batch's list); when all have answered, phase 2 uploads each file's
 * bytes and sends complete-file (which marks the file complete, and fails
 * with "file not found in batch" when the state it reads does not list the
 * file); finally finalize reads the state, which must list every file, and
 * marks the batch enqueued.  Requests land on an edge worker at a PoP.
 *
 * Stores ([variant.NAME] store = ...):
 *   kv      the batch state is one key in the eventually consistent KV
 *           (kv.h), updated with the story's fake optimistic locking: wait a
 *           random 0-50 ms, read the state with its version, modify, put
 *           version + 1 unconditionally, inside the story's retry loop (3
 *           attempts, waits 2^attempt x 100 ms, then it falls off its end:
 *           the legacy policy of backoff.h).  The loop retries only errors
 *           (a 429, a batch not found), never a conflict: there is no way to
 *           see one.  Lost files emerge from stale reads and last-writer-wins
 *           overwrites, never from a formula.
 *   object  one single-threaded object per batch (object.h): addFile and
 *           completeFile run atomically, one at a time.
 *
 * The checker takes what finalize read (the files it found and found
 * complete) and what the client was told; a batch succeeds when finalize
 * found every file complete and the client saw no error.
 *
 * Scenario: [network] (places.h: client_edge, local), [batch] files,
 * upload, locations (PoPs the client's requests land on), horizon, and per
 * variant (inheriting [batch], [edge], [backoff], [kv], [object]): store,
 * parallel, spread (the story's random wait before an update), the retry
 * loop (backoff.h; default: the story's 3 attempts), the KV (kv.h) or the
 * object (object.h).
 *
 * Streams: "workload" (upload times, request locations), "network",
 * "jitter" (the story's random wait and backoff draws), "service" (edge
 * CPU, object), and the KV's own.
 */
#ifndef RG_BATCH_H
#define RG_BATCH_H

#include <stdio.h>

#include "models/mech/backoff.h"
#include "sim/run/runner.h"

/* What one replication did, for tests. */
typedef struct rg_batch_result {
    int64_t files;
    int64_t tracked;     /* files finalize found listed */
    int64_t complete;    /* of those, marked complete */
    int64_t not_found;   /* "file not found in batch" answers */
    int64_t errors;      /* every error the client saw */
    int64_t stale_reads; /* KV reads older than the latest accepted put */
    int64_t rate_limited;
    rg_bo_tally t; /* the state updates (start/complete-file) */
    bool success;
    rg_time batch_time; /* init sent -> finalize answered */
} rg_batch_result;

/* Runs variant v of replication rep like the model's run and also fills
 * *res (may be NULL). */
void rg_batch_run_detail(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                         FILE *trace, rg_batch_result *res);

/* The experiment, for the table of experiments (models/registry.c). */
extern const rg_experiment rg_experiment_batch;

#endif
