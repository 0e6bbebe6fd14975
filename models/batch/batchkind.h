/*
 * batchkind.h: the batch model's internal types, shared by batch.c
 * (configuration, the client, the edge worker, the checker) and the store
 * kinds (batch.h, "Stores"), one file each: batchkind-kv.c and
 * batchkind-object.c.  Not a public API: only models/batch includes it.
 *
 * A kind is one table entry (the table is in batch.c): its name as a
 * variant writes it (store = NAME), how it reads its own keys, how it
 * builds its store for one replication, what it does with a request that
 * reached the edge worker, and what it reports.  batch.c dispatches through
 * the table only.
 *
 * The contract, for every kind: each request handed to `request` is
 * answered exactly once through rg_batch_reply; a kind counts its write
 * attempts in brun.attempts and the start/complete-file updates in
 * brun.tally, and finalize's reading of the state in brun.finalized,
 * fin_tracked and fin_complete.
 *
 * Ownership: a bcfg is read-only during runs and a kind's configuration
 * belongs to its variant (freed by cfg_free, also after a failed load); a
 * brun, its store and everything they point to belong to one replication
 * on one thread.
 */
#ifndef RG_BATCHKIND_H
#define RG_BATCHKIND_H

#include <stdbool.h>
#include <stdio.h>

#include "models/batch/batch.h"
#include "models/mech/edge.h"
#include "models/mech/places.h"
#include "sim/engine/scenario.h"

#define MAX_FILES 64 /* the file sets are 64-bit masks */

typedef struct rg_batch_kind rg_batch_kind;

typedef struct bvariant {
    char *name;
    const rg_batch_kind *kind;
    void *kcfg; /* the kind's configuration, owned */
    int64_t parallel;
    rg_edge edge;
} bvariant;

typedef struct bcfg {
    rg_places *pl;
    int64_t files, locations;
    rg_dist *upload;
    rg_time horizon;
    bvariant *var;
    size_t nvar;
} bcfg;

typedef enum { Q_INIT, Q_START, Q_COMPLETE, Q_FINALIZE } qkind;

/* What the client is answered. */
typedef enum { A_OK, A_NOT_FOUND, A_ERROR } answer;

typedef struct brun brun;

/* Requests of one replication live in one array: [0] init-batch, [1 + k]
 * start-file k, [1 + F + k] complete-file k, [1 + 2F] finalize. */
typedef struct breq {
    brun *run;
    qkind kind;
    int file;   /* 0-based; -1 for init and finalize */
    size_t loc; /* the PoP (KV location) the request lands on */
    rg_time sent;
} breq;

struct brun {
    rg_engine *e;
    const bcfg *c;
    const bvariant *v;
    FILE *trace;
    rg_repout *out;
    gsl_rng *net, *jit, *svc, *wl;
    size_t F;
    breq *q;
    size_t nq; /* 2F + 2 */
    rg_time *upload;
    int phase; /* 0 init, 1 start-file, 2 complete-file, 3 finalize */
    size_t next, ndone, inflight;
    void *store; /* built by the variant's kind */
    /* what happened */
    int64_t not_found, errors, attempts;
    rg_bo_tally tally;
    bool finalized;
    int fin_tracked, fin_complete;
    rg_time finished;
};

struct rg_batch_kind {
    const char *name;
    /* Reads the kind's keys of [sec] (shared sections as defaults) into a
     * new configuration *cfg, set before anything is read.  Returns 0, or
     * -1 with e filled. */
    int (*load)(rg_scn *s, const char *sec, void **cfg, rg_err *e);
    void (*cfg_free)(void *cfg);
    /* The store of replication r (its requests are set up). */
    void *(*build)(brun *r);
    /* Request q reached the edge worker, whose own work takes d. */
    void (*request)(void *store, breq *q, rg_time d);
    /* KV reads older than the latest accepted put, and puts refused with
     * 429 (0 for a store that has neither). */
    void (*counts)(const void *store, int64_t *stale, int64_t *rate_limited);
    /* The console extra's columns: the retry policy (or "-") and what seed
     * 003 measured for a variant of this store at parallelism `parallel`
     * (or "-"). */
    void (*describe)(const void *cfg, int64_t parallel, const char **policy, const char **seed);
    void (*free)(void *store);
};

extern const rg_batch_kind rg_batch_kind_kv, rg_batch_kind_object;

/* ---- what batch.c offers the kinds ---- */

/* Sends answer a from the worker back to the client (one network hop). */
void rg_batch_reply(brun *r, breq *q, answer a);
/* A trace line at the current time (no-op without trace). */
void rg_batch_trace(brun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "complete-file 3": the request as a trace names it. */
const char *rg_batch_qlabel(const breq *q, char *buf, size_t n);

static inline int rg_batch_popcount(uint64_t x)
{
    int n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

#endif
