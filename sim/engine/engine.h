/*
 * engine.h: the discrete-event engine of one replication.
 *
 * An engine owns a clock, an event queue and the replication's random
 * streams.  It has no global state: each replication builds its own engine,
 * so replications run on any thread and never see one another.
 *
 * Ordering.  Events fire in a total order: by time, then by priority (lower
 * first), then by insertion sequence (first scheduled, first fired).  Nothing
 * depends on memory addresses or the wall clock, so a run is reproducible bit
 * for bit.  Scheduling in the past is a programmer error (assertion).
 *
 * The end of time.  Simulated time ends at RG_TIME_MAX (about 292 years).
 * A delay that would end past it is no assertion, since it can come from
 * the input: distributions are limited at parse time (a mean of at most
 * 10 years, dist.c), but a long chain of long delays (a queue whose
 * customers arrive 200 hours apart, 22,000 of them) still gets there.
 * rg_after schedules such an event at RG_TIME_MAX and marks the engine
 * past its end (rg_engine_past_end); rg_engine_run fires every event due
 * before the end of time, then stops at the first event at RG_TIME_MAX
 * and fires nothing more (RG_RUN_END_OF_TIME), so the replication ends
 * cleanly and its caller can report why.
 *
 * Queue.  A 4-ary min-heap of 16-byte entries, each one integer that
 * orders as the event does (time, priority, sequence, then the slot of its
 * callback), laid out so that the four children of a node share one cache
 * line; callbacks live in a side array of slots reused through a free
 * list.  Cancellation is lazy: rg_cancel marks the slot and moves its
 * generation on (so the handle names nothing), and the heap entry is
 * dropped, its slot freed, when it reaches the top or when cancelled
 * entries outnumber live ones (a compaction).  Both push and pop are
 * O(log4 n).  Sequences are renumbered, in order, before they run out
 * (once per 2^27 events at most); at most 2^27 events and lane timers
 * (below) may be pending or cancelled at once (an assertion).
 * While a callback runs, its event's place at the top of the heap stays
 * empty; the first event the callback schedules goes there and sinks to
 * its place (one sift instead of a pop and a push); if it schedules
 * nothing, the pop is completed when it returns.  rg_engine_run must not
 * be called from inside a callback.
 *
 * Handles.  rg_at returns a handle; the all-zero handle is never a live event
 * (generations start at 1), so `rg_evh h = {0}` is a safe "no event".
 */
#ifndef RG_ENGINE_H
#define RG_ENGINE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/simtime.h"

typedef struct rg_engine rg_engine;

/* An event callback: ctx and arg are what was given to rg_at. */
typedef void (*rg_evfn)(rg_engine *e, void *ctx, uint64_t arg);

typedef struct rg_evh {
    uint32_t slot, gen;
} rg_evh;

/* Default priority; lower values fire first among events at the same time. */
#define RG_PRIO_DEFAULT 0
#define RG_PRIO_MIN (-128)
#define RG_PRIO_MAX 127

/* Why rg_engine_run returned. */
typedef enum {
    RG_RUN_EMPTY,      /* no events left */
    RG_RUN_UNTIL,      /* next event is after `until` (the clock is set to until) */
    RG_RUN_STOPPED,    /* a callback called rg_engine_stop */
    RG_RUN_BUDGET,     /* the event budget was spent */
    RG_RUN_END_OF_TIME /* what is left fell after RG_TIME_MAX (see above): it never fires */
} rg_runstop;

/* Creates an engine at time 0.  seed and rep identify the replication: they
 * seed its random streams and appear in assertion messages.  `rng_type` is
 * the GSL generator for the streams (NULL: gsl_rng_mt19937). */
rg_engine *rg_engine_new(uint64_t seed, uint64_t rep, const gsl_rng_type *rng_type);
void rg_engine_free(rg_engine *e);
/* Makes e what rg_engine_new(seed, rep, rng_type) would return, keeping its
 * arrays and generators (each reseeded on its first use by the new
 * replication): a worker that runs thousands of replications allocates
 * its engine once.  Pointers to the old replication's streams must not be
 * used after this; its handles name no event (rg_pending is false). */
void rg_engine_reset(rg_engine *e, uint64_t seed, uint64_t rep, const gsl_rng_type *rng_type);

/* Schedules fn(e, ctx, arg) at absolute time t (>= now) with a priority in
 * [RG_PRIO_MIN, RG_PRIO_MAX]. */
rg_evh rg_at(rg_engine *e, rg_time t, int prio, rg_evfn fn, void *ctx, uint64_t arg);
/* Same, dt (>= 0) after now; if now + dt is past RG_TIME_MAX, at
 * RG_TIME_MAX, and the engine is past its end (see above). */
rg_evh rg_after(rg_engine *e, rg_time dt, int prio, rg_evfn fn, void *ctx, uint64_t arg);
/* Cancels a pending event.  Returns true if it was pending; false if it has
 * fired, was cancelled already, or h is the null handle. */
bool rg_cancel(rg_engine *e, rg_evh h);
/* True if h names a pending event. */
bool rg_pending(const rg_engine *e, rg_evh h);

/* Lanes.  Timers that come due in the order they are set, such as a
 * constant timeout from now for each waiter of a queue, can share a lane:
 * only the lane's first live timer has an entry in the heap, so a million
 * waiters cost the heap one entry instead of a million (a deep heap is
 * slow: every sift crosses its levels).  Each timer takes its sequence when
 * it is set and keeps it, so events fire in exactly the order that one
 * rg_after per timer would give, ties included.  A lane belongs to one
 * engine until rg_engine_reset or rg_engine_free; free it with
 * rg_lane_free before then (freeing after only frees the memory).
 * A cancelled timer keeps its 32 bytes in the lane until the timers set
 * before it have fired or been cancelled: lanes suit queues that cancel
 * mostly their first timer (a waiter served in turn), not bulk cancels
 * behind one long wait. */
typedef struct rg_lane rg_lane;
/* A lane whose timers call fn(e, ctx, arg) with priority prio. */
rg_lane *rg_lane_new(rg_engine *e, int prio, rg_evfn fn);
/* Cancels the lane's timers and frees it; NULL is a no-op. */
void rg_lane_free(rg_lane *l);
/* Sets a timer dt (>= 0) after now, saturated at the end of time as in
 * rg_after; now + dt may not be before the lane's previous timer (an
 * assertion).  Returns the timer's id, never 0. */
uint64_t rg_lane_after(rg_lane *l, rg_time dt, void *ctx, uint64_t arg);
/* Same, at absolute time t (>= now, >= the lane's previous timer). */
uint64_t rg_lane_at(rg_lane *l, rg_time t, void *ctx, uint64_t arg);
/* Cancels a timer: true if it was pending, false if it fired, was
 * cancelled already, or id is 0. */
bool rg_lane_cancel(rg_lane *l, uint64_t id);
/* True if timer id of the lane is pending. */
bool rg_lane_pending(const rg_lane *l, uint64_t id);
/* For speed only: asks the cache for the first two 64-byte lines from p, a
 * record a callback will read soon.  p may be NULL or freed (the address
 * is only computed, never read), so a hook may fetch a guess. */
static inline void rg_prefetch_record(const void *p)
{
    __builtin_prefetch(p);
    __builtin_prefetch((const void *)((uintptr_t)p + 64));
}

/* For speed only.  A lane with many timers waiting fetches, as one fires,
 * the first 128 bytes of the context of the timer after next: they have
 * waited as long, long enough to leave the caches.  warm (NULL: none) is
 * then called with the next live timer's ctx and arg, whose 128 bytes
 * were fetched one timer before, to fetch what fn will read beyond them
 * (__builtin_prefetch); it must change nothing. */
void rg_lane_warm(rg_lane *l, void (*warm)(const void *ctx, uint64_t arg));

/* Runs events in order while the next one is at or before `until`
 * (RG_TIME_MAX for no limit) and fewer than `max_events` (0: no limit) have
 * fired in this call. */
rg_runstop rg_engine_run(rg_engine *e, rg_time until, uint64_t max_events);
/* Makes rg_engine_run return after the current callback. */
void rg_engine_stop(rg_engine *e);

/* The clock.  Inline, since nearly every callback reads it: the clock is
 * the engine's first member (engine.c checks this at compile time), and
 * only engine.c writes it. */
static inline rg_time rg_now(const rg_engine *e)
{
    return *(const rg_time *)(const void *)e;
}
/* a + b for times a, b >= 0, for a model that adds up a time itself (a
 * queue's busy_until): RG_TIME_MAX, with the engine past its end as with
 * rg_after, if the sum passes the end of time. */
rg_time rg_engine_add(rg_engine *e, rg_time a, rg_time b);
/* True once an event fell after RG_TIME_MAX (rg_after): the replication
 * cannot go on, and its results stop at rg_now. */
bool rg_engine_past_end(const rg_engine *e);
/* Events fired since creation. */
uint64_t rg_engine_events(const rg_engine *e);
/* Events pending (excluding cancelled ones), lane timers included. */
uint64_t rg_engine_pending(const rg_engine *e);
uint64_t rg_engine_seed(const rg_engine *e);
uint64_t rg_engine_rep(const rg_engine *e);

/* The replication's random stream of the given purpose ("arrivals",
 * "network", "service", "faults", ...), created on first use from
 * (seed, rep, name) as described in rstream.h.  Owned by the engine. */
gsl_rng *rg_engine_stream(rg_engine *e, const char *name);

/* Assertion that prints simulated time, seed and replication. */
/* Trace lines.  Every line a model writes to a trace (`revguard-sim trace`)
 * starts with the simulated time in the same form, "%10.3f ms  ", so the
 * traces of every model line up and read alike.  rg_trace prints that
 * prefix and then fmt; it adds no newline, so a caller may finish the line
 * with more output.  Both are no-ops when f is NULL. */
void rg_trace(const rg_engine *e, FILE *f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void rg_vtrace(const rg_engine *e, FILE *f, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#define RG_ENGINE_ASSERT(e, cond)                                                                  \
    RG_ASSERT_SIM(cond, rg_now(e), rg_engine_seed(e), rg_engine_rep(e))

#endif
