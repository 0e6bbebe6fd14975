/*
 * backoff.h: commit backpressure.  A retry policy for committed writes (how
 * long to wait after a rejection, and when to give up), and the retry state
 * machine that drives one write's attempts on the engine and classifies how
 * it ended.
 *
 * Delay curve (FACTS.md, "Retries and backoff", Brooker 2015).  After the
 * n-th failed attempt (n >= 1) the nominal wait is
 *
 *     expo(n) = min(cap, base * mult^n)
 *
 * and the jitter kind turns it into the wait actually slept, with u a
 * uniform draw in [0, 1):
 *
 *     none          expo(n)
 *     full          u * expo(n)                       in [0, expo(n))
 *     equal         expo(n)/2 + u * expo(n)/2         in [expo(n)/2, expo(n))
 *     decorrelated  min(cap, base + u * (3 prev - base))   prev: the previous
 *                   wait, base before the first; ignores n
 *
 * The committed-write default (rg_bo_default) follows story 004: base =
 * 25/64 ms, multiplier 2, so the nominal waits are 0.78, 1.56, 3.125 ms
 * (near-immediate: under 5 ms for the first three), 6.25, 12.5, then 25 ms
 * after the 6th failure (the wait before the 7th attempt), 50, 100 ms, ...
 * doubling to the cap.
 *
 * Outcome of a committed write.  Every attempt reports one of
 *   ok          the write is durable: LANDED
 *   transient   a conflict that may clear: retry after a wait
 *   permanent   retrying cannot help (say, an idempotency receipt exists):
 *               never retried, REJECTED, and counted so it stays observable
 *   overloaded  the store sheds load: retried, but (window policy) never
 *               sooner than `overload_wait`: no immediate retry
 * Two policies decide what happens next:
 *   window  retries inside a time budget measured from the first attempt's
 *           start (and an optional attempt limit).  When the next attempt
 *           could not start inside the window, the write fails LOUDLY: a
 *           terminal error is surfaced at once.  A zero window therefore
 *           fails the first rejection loudly, without retry.  A window
 *           policy never drops a write silently.
 *   legacy  the fixed budget of story 004 (DEFAULT_RETRIES_FOR_EVENTS = 5)
 *           and of story 003's KV loop: every rejection, whatever its class,
 *           is retried until `legacy_retries` retries are spent; then the
 *           write is DROPPED SILENTLY (the caller is not told).  Selectable
 *           so that the difference can be shown.
 *
 * Ownership: a policy is a plain value.  An rg_bo_op borrows its engine,
 * policy and random stream, which must outlive it.
 */
#ifndef RG_BACKOFF_H
#define RG_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"

typedef enum { RG_BO_JIT_NONE, RG_BO_JIT_FULL, RG_BO_JIT_EQUAL, RG_BO_JIT_DECORR } rg_bo_jitter;
typedef enum { RG_BO_WINDOW, RG_BO_LEGACY } rg_bo_mode;

typedef struct rg_bo_policy {
    rg_bo_mode mode;
    rg_bo_jitter jitter;
    rg_time base;           /* expo(n) = min(cap, base * mult^n) */
    double mult;            /* >= 1 */
    rg_time cap;            /* largest wait */
    rg_time window;         /* window: budget from the first attempt's start */
    int64_t max_attempts;   /* window: attempts allowed in all (0: no limit) */
    rg_time overload_wait;  /* least wait after an overloaded rejection */
    int64_t legacy_retries; /* legacy: retries after the first attempt */
} rg_bo_policy;

/* The committed-write default (see above): window policy, full jitter
 * (FACTS.md: least work in the AWS study; the jitter of the Durable Objects
 * docs and of gRPC), base 25/64 ms, multiplier 2, cap 2 s (the AWS study's
 * cap), window 60 s (story 004's tests), no attempt limit, overload wait 2 s,
 * legacy budget 5 retries. */
void rg_bo_default(rg_bo_policy *p);

/* Reads a policy: [shared] keys with [var] overrides (mparam.h), defaulting
 * to *def (NULL: rg_bo_default).  Keys: policy (window|legacy), jitter
 * (none|full|equal|decorrelated), base, multiplier, cap, window,
 * max_attempts, overload_wait, legacy_retries. */
int rg_bo_load(rg_scn *s, const char *var, const char *shared, const rg_bo_policy *def,
               rg_bo_policy *p, rg_err *e);

/* The nominal wait after the n-th failed attempt (n >= 1), in ns. */
rg_time rg_bo_expo(const rg_bo_policy *p, int64_t n);
/* The wait after the n-th failed attempt with the policy's jitter: a pure
 * function of its arguments.  prev is the previous wait (decorrelated only;
 * pass p->base before the first), u a uniform draw in [0, 1). */
rg_time rg_bo_delay(const rg_bo_policy *p, int64_t n, rg_time prev, double u);

const char *rg_bo_jitter_name(rg_bo_jitter j);
const char *rg_bo_mode_name(rg_bo_mode m);

/* ---- one committed write ------------------------------------------------ */

/* How one attempt ended, as the store answered. */
typedef enum { RG_BO_OK, RG_BO_TRANSIENT, RG_BO_PERMANENT, RG_BO_OVERLOADED } rg_bo_res;
/* How the write ended. */
typedef enum { RG_BO_PENDING, RG_BO_LANDED, RG_BO_REJECTED, RG_BO_LOUD, RG_BO_SILENT } rg_bo_out;

const char *rg_bo_res_name(rg_bo_res r);
const char *rg_bo_out_name(rg_bo_out o);

typedef struct rg_bo_op rg_bo_op;

/* Starts attempt number `attempt` (1, 2, ...) now.  The application sends
 * its request and, when the store's answer is back, calls rg_bo_op_result
 * exactly once (possibly from inside this call). */
typedef void (*rg_bo_attempt_fn)(rg_bo_op *op, void *ctx, int64_t attempt);
/* The write has ended with `out` (never PENDING).  Called from inside
 * rg_bo_op_result; the op may be freed only after this returns. */
typedef void (*rg_bo_done_fn)(rg_bo_op *op, void *ctx, rg_bo_out out);

/* A write under policy p; waits draw from `jitter` (only when the policy's
 * jitter is not none).  Nothing happens until rg_bo_op_start. */
rg_bo_op *rg_bo_op_new(rg_engine *e, const rg_bo_policy *p, gsl_rng *jitter, rg_bo_attempt_fn at,
                       rg_bo_done_fn done, void *ctx);
void rg_bo_op_free(rg_bo_op *op);
/* Sends a line per attempt, rejection, wait and outcome to f (NULL: none),
 * each naming the write by `label` (copied). */
void rg_bo_op_trace(rg_bo_op *op, FILE *f, const char *label);
/* Starts the first attempt now; the window is measured from here. */
void rg_bo_op_start(rg_bo_op *op);
/* Reports how the current attempt ended; decides, waits and retries, or
 * ends the write and calls `done`. */
void rg_bo_op_result(rg_bo_op *op, rg_bo_res r);

rg_bo_out rg_bo_op_outcome(const rg_bo_op *op);
int64_t rg_bo_op_attempts(const rg_bo_op *op);
rg_time rg_bo_op_started(const rg_bo_op *op);
rg_time rg_bo_op_finished(const rg_bo_op *op); /* when done was called */
rg_time rg_bo_op_waited(const rg_bo_op *op);   /* total backoff slept */

/* Counts over many writes, for checkers. */
typedef struct rg_bo_tally {
    int64_t writes, attempts;
    int64_t landed, rejected, loud, silent;
    int64_t transient, permanent, overloaded; /* rejections seen, by class */
} rg_bo_tally;

/* Adds an ended write to t. */
void rg_bo_tally_add(rg_bo_tally *t, const rg_bo_op *op);

#endif
