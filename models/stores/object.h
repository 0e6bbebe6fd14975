/*
 * object.h: a single-threaded object (in the manner of a Cloudflare Durable
 * Object): one instance per id, requests handled one at a time in arrival
 * order, storage writes made durable by an asynchronous flush, and replies
 * held by the output gate until the writes before them are durable.
 *
 * Mechanism (FACTS.md, "Single-threaded objects"):
 *  - Input: a FIFO queue.  Past what the handler can serve, requests
 *    queue, then fail as overloaded (never retried by the caller) in the
 *    three documented classes: too many queued (a request that finds
 *    `max_queue` waiting), too much data queued (one whose `request_bytes`
 *    would take the queue past `max_queue_bytes`), queued too long (one
 *    that waited longer than `max_queue_age` when its turn comes).  The
 *    platform publishes none of the three limits: the defaults are
 *    assumptions.
 *  - Handler: the application code runs for a `handler` CPU time, then
 *    reads and changes the object's state through the rg_obj_handler
 *    callback, atomically: nothing else runs in between.
 *  - Storage: a write marks the state dirty.  One flush at a time makes all
 *    writes so far durable after a `flush` delay; writes made during a flush
 *    wait for the next one (write coalescing).
 *  - Output gate: a reply is released only when every write issued before
 *    it is durable, whether or not its own handler wrote.
 *  - Hibernation: after `hibernate_after` without work the object
 *    hibernates; the next request first pays a `wake` delay (the
 *    constructor re-runs), during which requests queue.
 *  - Awaiting an outbound call (rg_object_new_async only): a handler step
 *    may await a call (a payment, a fraud check) of a duration it chooses.
 *    The input gate is open while it waits: the object takes the next
 *    request, so a check made before the await can be stale after it.
 *    When the call returns, the request queues to resume (ahead of requests
 *    not yet started: it was admitted first) and its next step runs, for
 *    its own `handler` CPU time, when the object is free.  An object with a
 *    request awaiting is not idle: it does not hibernate.
 *
 * Throughput is the handler's: one request per `handler` time, whatever
 * the flush (writes made during a flush are coalesced into the next one).
 * The default handler, about 1 ms on average, makes an object serve about
 * 1,000 requests/s, the documented soft limit.
 *
 *  - Failure (rg_object_restart, rg_object_fail_flush): the instance dies.
 *    Writes not yet durable are discarded, and so is a flush under way;
 *    every request it holds, queued, in its handler, awaiting or resuming,
 *    or a reply held by the output gate, is answered RG_OBJ_ERROR (its
 *    caller cannot know whether its write happened: the gate never
 *    released it).  The application is told (rg_object_on_failure) and
 *    puts its state back to what storage holds; after a `down` time a new
 *    instance serves again, and requests arriving meanwhile queue for it.
 *    A failed flush does the same when the flush completes (FACTS.md,
 *    "output gate": if the write fails the replies become errors and the
 *    object restarts).
 *
 * The object knows nothing of inventory: the handler callback is the
 * application.  A synchronous handler (rg_object_new) is one step that
 * never awaits; objects made that way behave exactly as before awaiting
 * existed (same events, same draws).
 */
#ifndef RG_OBJECT_H
#define RG_OBJECT_H

#include <stdbool.h>

#include "sim/engine/dist.h"
#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"
#include "sim/engine/stats.h"

typedef struct rg_obj_params {
    const rg_dist *handler;  /* CPU time per request */
    const rg_dist *flush;    /* storage flush (output gate) duration */
    int64_t max_queue;       /* requests waiting; 0: unbounded */
    int64_t request_bytes;   /* size of one request as queued */
    int64_t max_queue_bytes; /* bytes waiting; 0: unbounded */
    rg_time max_queue_age;   /* 0: unbounded */
    rg_time hibernate_after; /* 0: never hibernates */
    const rg_dist *wake;     /* wake-up cost after hibernation */
    bool start_hibernated;   /* the first request pays a wake-up */
} rg_obj_params;

/* Parameters read by rg_object_load: p borrows the distributions, which
 * the cfg owns (freed by rg_object_cfg_free). */
typedef struct rg_object_cfg {
    rg_obj_params p;
    rg_dist *handler, *flush, *wake;
} rg_object_cfg;

/* Reads [shared] with [var] overrides (var may equal shared).  Keys:
 * handler, flush, max_queue, request_bytes, max_queue_bytes, max_queue_age,
 * hibernate_after, wake, start
 * (hibernated|warm; `start` is its default, which depends on the model).
 * Returns 0, or -1 with e filled; c is to be freed in either case. */
int rg_object_load(rg_scn *s, const char *var, const char *shared, const char *start,
                   rg_object_cfg *c, rg_err *e);
void rg_object_cfg_free(rg_object_cfg *c);

/* The application inside the object: reads/changes `state` for a request
 * with argument `arg`, returns a result code for the reply and sets *wrote
 * when it wrote storage. */
typedef int (*rg_obj_handler)(void *state, uint64_t arg, bool *wrote);

/* Delivery of a reply as it leaves the object.  `overloaded` means the
 * request was rejected without running (code is then 0). */
typedef void (*rg_obj_reply)(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded);

/* One step of a request in an object made by rg_object_new_async. */
typedef struct rg_obj_step {
    uint64_t arg;   /* in: the request's argument */
    unsigned step;  /* in: 0 when the request is delivered, k after its k-th await */
    uint64_t local; /* in/out: the request's own memory across awaits (0 at step 0) */
    bool awaits;    /* out: the request awaits an outbound call, then runs step + 1 */
    rg_time await;  /* out: how long the call takes (>= 0; 0 still yields) */
    bool wrote;     /* out: the step wrote storage (made durable by a flush) */
} rg_obj_step;

/* The application of an async object: runs one step of a request against
 * `state`, atomically.  Unless it sets s->awaits, the step is the request's
 * last and its return value is the reply's code. */
typedef int (*rg_obj_step_fn)(void *state, rg_obj_step *s);

/* The code of a reply whose request the object failed with (see above). */
#define RG_OBJ_ERROR (-1)

/* What the application learns when its object fails.  Writes are counted
 * from the object's creation: the n-th handler step that wrote is write n;
 * writes after `durable` were never stored. */
typedef struct rg_obj_failure {
    bool flush;       /* a flush failed (else a restart) */
    uint64_t durable; /* writes stored: the state to reload */
    uint64_t lost;    /* writes discarded */
    size_t errored;   /* requests about to be answered RG_OBJ_ERROR */
    rg_time up;       /* when the new instance serves */
} rg_obj_failure;

/* Called when the object fails, before the errors are sent: the
 * application reloads `state` from storage (undoes writes after
 * f->durable). */
typedef void (*rg_obj_failed)(void *state, const rg_obj_failure *f);

typedef struct rg_object_stats {
    uint64_t handled, overloaded, wakes, flushes;
    uint64_t failures, errored; /* failures, requests answered RG_OBJ_ERROR */
    uint64_t awaits;            /* outbound calls awaited (async objects) */
    /* overloaded, by class: too many queued, too much data, too long */
    uint64_t over_count, over_bytes, over_age;
    uint64_t max_waiting;
    rg_acc wait; /* seconds from arrival to handler start */
} rg_object_stats;

typedef struct rg_object rg_object;

/* Creates an idle (or hibernated) object on e.  p's distributions and
 * `state` are borrowed and must outlive the object. */
rg_object *rg_object_new(rg_engine *e, const rg_obj_params *p, rg_obj_handler h, void *state);
/* The same with an application whose steps may await outbound calls. */
rg_object *rg_object_new_async(rg_engine *e, const rg_obj_params *p, rg_obj_step_fn h, void *state);
/* Bytes an idle object holds once it has served a request: its record and
 * the first allocation of its queues (requests queued beyond that are the
 * caller's to count, about 64 bytes each); `async`: an object of
 * rg_object_new_async, with its parked and resumed requests.  For memory
 * estimates. */
size_t rg_object_bytes(bool async);
/* Frees o, with any request still waiting, awaiting or resuming; NULL is a
 * no-op. */
void rg_object_free(rg_object *o);
/* Delivers a request now; `cb(e, ctx, tag, ...)` is called when the reply
 * leaves the object. */
void rg_object_call(rg_object *o, uint64_t arg, rg_obj_reply cb, void *ctx, uint64_t tag);
const rg_object_stats *rg_object_stats_get(const rg_object *o);
/* Tells fn about failures (NULL: nobody; the state is then not reloaded). */
void rg_object_on_failure(rg_object *o, rg_obj_failed fn);
/* The object fails now and serves again `down` later. */
void rg_object_restart(rg_object *o, rg_time down);
/* The first flush that completes at or after `at` fails: the object fails
 * then, and serves again `down` later. */
void rg_object_fail_flush(rg_object *o, rg_time at, rg_time down);

#endif
