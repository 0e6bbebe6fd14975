/*
 * drop.h: the flash-sale drop experiment ([scenario] model = drop).
 *
 * Buyers (workload.h) race for a limited stock through one of several
 * architectures, each a [variant.NAME] section with `kind =`:
 *
 *   object           one single-threaded object per SKU (object.h); with
 *                    `shard = session` one object per buyer instead, each
 *                    believing it owns the SKU's stock (the mis-sharding
 *                    failure)
 *   sql_naive        SELECT, app-side check, pause, UPDATE SET stock = read-1
 *                    (the stories' anti-pattern: lost updates)
 *   sql_locked       BEGIN; SELECT ... FOR UPDATE; check; UPDATE; COMMIT,
 *                    the row lock held across the round trips (MySQL or
 *                    PostgreSQL: D1 has no FOR UPDATE and no interactive
 *                    transactions)
 *   sql_conditional  UPDATE stock = stock - 1 WHERE stock > 0, one
 *                    statement: the safe path on D1
 *   cache            regional replicas with asynchronous replication
 *   quorum           N replicas, read quorum R, then a write of stock - 1
 *                    with write quorum W (lost updates, stale reads)
 *   sql_naive_relative
 *                    SELECT, check, pause, UPDATE SET stock = stock - 1
 *                    (no guard: the row goes below 0 by the racers)
 *   object_fetch     an object per SKU whose handler awaits a payment call
 *                    between its check and its write (the input gate is
 *                    open meanwhile: oversell); reserve_first decrements
 *                    before the call and gives the unit back if it fails
 *   sharded_object   a SKU's stock split over N objects behind a router
 *                    (random, session, round_robin); a dry shard refuses
 *                    (lost sales) or the router falls back to the next
 *   atomic_primary   one primary in one region, an atomic conditional
 *                    decrement per sale; read replicas serve an optional
 *                    stock pre-check
 *
 * Each is an entry of the table of kinds (kind.h), which a program can
 * extend with kinds of its own.
 *
 * Buyers are humans (one request; another try after an error) or bots
 * ([clients] bots = fraction: many requests, retry on failure, shared or
 * rotating IPs).  A variant may switch on the stories' protections: a
 * challenge before a session (`challenge`), per-session and per-IP token
 * buckets (`rate_limit`), and the budget guardrail (`guardrail`); every
 * billable operation is priced into a cost ledger ([cost]).
 *
 * Options for any architecture, off unless the scenario mentions them (a
 * variant may then turn one off):
 *   [reservations]  a unit told "allocated" is held in a cart until the
 *                   buyer pays; an unpaid cart gives it back to the store
 *                   at `ttl`, through the kind's release (dropcart.c)
 *   [waiting_room]  buyers queue at the edge and are let in, first come
 *                   first served, at a fixed `rate` (droproom.c)
 *   [protection] state = kv
 *                   the rate limits and the guardrail keep their counts in
 *                   the eventually consistent KV (kv.h) instead of exact
 *                   global counts; the leak is measured (dropkvp.c)
 *
 * The checker runs after each replication on what clients were told and
 * what the store holds: oversell is never computed from a formula.
 */
#ifndef RG_DROP_H
#define RG_DROP_H

#include <stdio.h>

#include "sim/run/runner.h"

/* Outcome of one buyer's request, as the client saw it. */
typedef enum {
    RG_OUT_PENDING,
    RG_OUT_ALLOCATED,
    RG_OUT_SOLD_OUT,
    RG_OUT_TIMEOUT,
    RG_OUT_OVERLOADED,
    RG_OUT_DB_ERROR,
    RG_OUT_CHALLENGE,    /* 403: no session (the challenge was failed) */
    RG_OUT_RATE_LIMITED, /* 429: a session or IP token bucket was empty */
    RG_OUT_GUARDRAIL,    /* 403: the budget guardrail is tripped */
    RG_OUT_DECLINED      /* 402: the payment the store called out to failed */
} rg_outcome;

/* One request's record, for tests and trace.  Requests are listed in the
 * order they were sent; a client that tries again sends another request. */
typedef struct rg_drop_req {
    rg_time sent, answered; /* sent: the buyer pressed "buy"; answered: when
                               the client learnt the outcome */
    rg_time admitted;       /* let through the waiting room (-1: none) */
    int region, sku;
    size_t client; /* index of the buyer (time order) */
    bool bot;
    rg_outcome outcome;
    rg_time lock_wait; /* SQL: total row-lock wait of its statements */
    uint64_t order;    /* the order id it sent (0: none) */
} rg_drop_req;

/* Runs variant v of replication rep like the model's run, and also returns
 * the per-request records (caller frees *reqs). */
void rg_drop_run_detail(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                        FILE *trace, rg_drop_req **reqs, size_t *nreqs);

/* History formats for rg_drop_history_write. */
typedef enum { RG_DROP_HIST_JSONL, RG_DROP_HIST_EDN } rg_drop_hist_fmt;

/* Writes the history of one replication's requests (from
 * rg_drop_run_detail) to f, one operation "decrement" per purchase (a
 * request, or every attempt sharing an idempotency key), in time order:
 * an invoke when the buyer pressed "buy", then ok (allocated), fail (a
 * definite answer: sold out, which says the counter was 0, or a refusal
 * before the store: overloaded, blocked, declined; its "error" names
 * which) or info (the client cannot know: a timeout or a database error).
 * A process that saw info is crashed (Jepsen's rule): its next operation
 * gets a new process number, client + k * (clients).  Formats in
 * doc/histories.md.  Returns 0, or -1 if writing failed. */
int rg_drop_history_write(const rg_drop_req *reqs, size_t n, FILE *f, rg_drop_hist_fmt fmt);

/* Whether that history is linearizable, each of the skus SKUs a counter
 * starting at stock with "decrement if positive" (models/mech/linz.h):
 * 1, 0, or -1 if a SKU's history is too large to tell. */
int rg_drop_history_check(const rg_drop_req *reqs, size_t n, int skus, int64_t stock);

/* The experiment, for the table of experiments (models/registry.c). */
extern const rg_experiment rg_experiment_drop;

#endif
