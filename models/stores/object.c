/*
 * object.c: the single-threaded object (see object.h for the mechanism)
 * and the reading of its parameters from a scenario.
 * States: idle, busy (a handler is running), waking, hibernated.  The input
 * queue, the requests ready to resume and the gated replies are FIFO rings;
 * a request awaiting an outbound call is parked in a slot of `parked`
 * (the slot index rides on the call's completion event).
 *
 * Synchronous objects never park or resume anything: the rings and counts
 * that awaiting adds stay empty, so they run the same events and draws as
 * before awaiting existed.
 *
 * A failure starts a new instance: `epoch` counts them, and every event the
 * object schedules carries the epoch it was scheduled in, so an event of a
 * dead instance (its handler finishing, its flush, its wake, an outbound
 * call returning) does nothing.  An object that never fails has epoch 0:
 * the same events and arguments as before failures existed.
 */
#include "models/stores/object.h"

#include <stdlib.h>
#include <string.h>

#include "models/mech/mparam.h"

typedef struct oreq {
    uint64_t arg, tag;
    rg_obj_reply cb;
    void *ctx;
    rg_time arrived;
    uint64_t gate; /* write sequence that must be durable before reply */
    int code;
    unsigned step;  /* async: steps done (awaits so far) */
    uint64_t local; /* async: the application's memory across awaits */
} oreq;

typedef struct ring {
    oreq *v;
    size_t head, len, cap;
} ring;

typedef enum { O_IDLE, O_BUSY, O_WAKING, O_HIBERNATED } ostate;

struct rg_object {
    rg_engine *e;
    rg_obj_params p;
    rg_obj_handler handler;
    rg_obj_step_fn step_fn; /* async objects: the application, else NULL */
    void *state;
    gsl_rng *service;
    ostate st;
    ring in;     /* waiting requests */
    ring gated;  /* replies waiting for the output gate */
    ring resume; /* async: requests whose outbound call returned */
    oreq cur;    /* the request in the handler */
    /* async: requests awaiting an outbound call, by slot; free slots are
     * chained through free_slot (slot + 1, 0 ends the chain) */
    oreq *parked;
    size_t *free_slot;
    size_t nparked, capparked, capfree, free_head, awaiting;
    uint64_t write_seq, durable_seq, flushing_to;
    bool flushing;
    rg_evh hib_timer; /* at most one pending; see maybe_idle */
    rg_time idle_since;
    rg_object_stats stats;
    /* failures */
    uint64_t epoch;        /* instances that failed so far */
    rg_obj_failed failed;  /* the application's, or NULL */
    rg_time flush_fail_at; /* -1: no flush is to fail */
    rg_time flush_fail_down;
};

static void ring_push(ring *r, const oreq *x)
{
    if (r->len == r->cap) {
        size_t nc = r->cap ? 2 * r->cap : 16;
        oreq *nv = rg_xmalloc(nc * sizeof *nv);
        for (size_t i = 0; i < r->len; i++)
            nv[i] = r->v[(r->head + i) % r->cap];
        free(r->v);
        r->v = nv;
        r->head = 0;
        r->cap = nc;
    }
    r->v[(r->head + r->len++) % r->cap] = *x;
}

static oreq *ring_front(ring *r)
{
    return &r->v[r->head];
}

static void ring_pop(ring *r)
{
    r->head = (r->head + 1) % r->cap;
    r->len--;
}

int rg_object_load(rg_scn *s, const char *var, const char *shared, const char *start,
                   rg_object_cfg *c, rg_err *e)
{
    static const char *const starts[] = {"hibernated", "warm", NULL};
    int st;
    /* Defaults (FACTS.md, "Single-threaded objects"):
     *  - handler: the DO docs' soft limit of about 1,000 requests/s per
     *    object is a CPU budget of about 1 ms per request: mean 0.99 ms
     *    (median 0.9 ms, a tail to 2.5 ms), so an object serves about
     *    1,000 requests/s and queues past it.  (It was 0.25 ms on average,
     *    which served about 3,900 requests/s.)  The third-party
     *    measurement of about 410 durable transactions/s is of a heavier
     *    transaction (parse, validate, SQL write: about 2.4 ms each):
     *    `handler = const(2.4ms)` reproduces it.
     *  - flush: the same measurement's output-gate flush, 5-13 ms; it
     *    delays replies but, coalescing writes, not throughput.
     *  - overload: the docs name three classes but no limits.  Assumptions:
     *    1,000 requests waiting (a second of work at the soft limit);
     *    1 KB per drop request and at most the isolate's 128 MB queued
     *    (Workers limits); 30 s in the queue.
     *  - hibernate after 10 s idle (lifecycle docs); wake-up (constructor
     *    and state load) an assumption of a few ms. */
    if (mp_dist(s, var, shared, "handler", "lognormal(median=900us, p99=2500us)", RG_QTY_DURATION,
                &c->handler, e) < 0 ||
        mp_dist(s, var, shared, "flush", "uniform(5ms, 13ms)", RG_QTY_DURATION, &c->flush, e) < 0 ||
        mp_int(s, var, shared, "max_queue", "1000", 0, INT64_C(100000000), &c->p.max_queue, e) <
            0 ||
        mp_int(s, var, shared, "request_bytes", "1024", 1, INT64_C(1) << 40, &c->p.request_bytes,
               e) < 0 ||
        mp_int(s, var, shared, "max_queue_bytes", "134217728", 0, INT64_C(1) << 50,
               &c->p.max_queue_bytes, e) < 0 ||
        mp_dur(s, var, shared, "max_queue_age", "30s", &c->p.max_queue_age, e) < 0 ||
        mp_dur(s, var, shared, "hibernate_after", "10s", &c->p.hibernate_after, e) < 0 ||
        mp_dist(s, var, shared, "wake", "lognormal(median=5ms, p99=30ms)", RG_QTY_DURATION,
                &c->wake, e) < 0 ||
        mp_enum(s, var, shared, "start", start, starts, &st, e) < 0)
        return -1;
    c->p.handler = c->handler;
    c->p.flush = c->flush;
    c->p.wake = c->wake;
    c->p.start_hibernated = st == 0;
    return 0;
}

void rg_object_cfg_free(rg_object_cfg *c)
{
    rg_dist_free(c->handler);
    rg_dist_free(c->flush);
    rg_dist_free(c->wake);
    c->handler = c->flush = c->wake = NULL;
}

static rg_object *object_new(rg_engine *e, const rg_obj_params *p, rg_obj_handler h,
                             rg_obj_step_fn step_fn, void *state)
{
    rg_object *o = rg_xcalloc(1, sizeof *o);
    o->e = e;
    o->p = *p;
    o->handler = h;
    o->step_fn = step_fn;
    o->state = state;
    o->service = rg_engine_stream(e, "service");
    o->st = p->start_hibernated ? O_HIBERNATED : O_IDLE;
    o->flush_fail_at = -1;
    rg_acc_init(&o->stats.wait);
    return o;
}

size_t rg_object_bytes(bool async)
{
    /* the record, and a first ring of 16 for the queue and for the output
     * gate, each with malloc's 16-byte header; async: a ring of resumed
     * requests, and the first 8 parked slots (rg_xgrow) with their chain */
    size_t first_ring = 16 * sizeof(oreq) + 16;
    size_t b = sizeof(rg_object) + 16 + 2 * first_ring;
    if (async)
        b += first_ring + 8 * sizeof(oreq) + 16 + 8 * sizeof(size_t) + 16;
    return b;
}

rg_object *rg_object_new(rg_engine *e, const rg_obj_params *p, rg_obj_handler h, void *state)
{
    return object_new(e, p, h, NULL, state);
}

rg_object *rg_object_new_async(rg_engine *e, const rg_obj_params *p, rg_obj_step_fn h, void *state)
{
    return object_new(e, p, NULL, h, state);
}

void rg_object_free(rg_object *o)
{
    if (o == NULL)
        return;
    free(o->in.v);
    free(o->gated.v);
    free(o->resume.v);
    free(o->parked);
    free(o->free_slot);
    free(o);
}

const rg_object_stats *rg_object_stats_get(const rg_object *o)
{
    return &o->stats;
}

static void start_next(rg_object *o);

/* The hibernation timer is lazy: at most one is pending, armed when the
 * object first becomes idle; when it fires early (the object worked in the
 * meantime) it re-arms itself for the new deadline.  Re-arming on every
 * request instead would leave a cancelled event per request in the queue. */
static void on_hibernate(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_object *o = ctx;
    (void)arg;
    if (o->st != O_IDLE || o->in.len > 0 || o->flushing || o->awaiting > 0 || o->resume.len > 0)
        return; /* busy: maybe_idle arms a new timer when it is idle again */
    rg_time due = o->idle_since + o->p.hibernate_after;
    if (rg_now(e) < due) {
        o->hib_timer = rg_at(e, due, RG_PRIO_DEFAULT, on_hibernate, o, 0);
        return;
    }
    o->st = O_HIBERNATED;
}

/* Notes the start of an idle period and makes sure a timer will look. */
static void maybe_idle(rg_object *o)
{
    if (o->st != O_IDLE || o->in.len > 0 || o->flushing || o->awaiting > 0 || o->resume.len > 0 ||
        o->p.hibernate_after <= 0)
        return;
    o->idle_since = rg_now(o->e);
    if (!rg_pending(o->e, o->hib_timer))
        o->hib_timer =
            rg_at(o->e, o->idle_since + o->p.hibernate_after, RG_PRIO_DEFAULT, on_hibernate, o, 0);
}

static void release_gated(rg_object *o)
{
    while (o->gated.len > 0 && ring_front(&o->gated)->gate <= o->durable_seq) {
        oreq r = *ring_front(&o->gated);
        ring_pop(&o->gated);
        r.cb(o->e, r.ctx, r.tag, r.code, false);
    }
}

static void on_flush_done(rg_engine *e, void *ctx, uint64_t arg);

static void start_flush(rg_object *o)
{
    o->flushing = true;
    o->flushing_to = o->write_seq;
    o->stats.flushes++;
    rg_after(o->e, rg_dist_sample_time(o->p.flush, o->service), RG_PRIO_DEFAULT, on_flush_done, o,
             o->epoch);
}

static void fail(rg_object *o, rg_time down, bool flush);

static void on_flush_done(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_object *o = ctx;
    if (arg != o->epoch)
        return; /* a dead instance's flush */
    if (o->flush_fail_at >= 0 && rg_now(e) >= o->flush_fail_at) {
        o->flush_fail_at = -1;
        fail(o, o->flush_fail_down, true);
        return;
    }
    o->durable_seq = o->flushing_to;
    o->flushing = false;
    release_gated(o);
    if (o->write_seq > o->durable_seq)
        start_flush(o);
    maybe_idle(o);
}

/* A request's last step is done: its reply leaves through the output
 * gate, behind the writes issued so far. */
static void reply_gated(rg_object *o, oreq *r)
{
    r->gate = o->write_seq;
    o->st = O_IDLE;
    if (r->gate <= o->durable_seq && o->gated.len == 0)
        r->cb(o->e, r->ctx, r->tag, r->code, false);
    else
        ring_push(&o->gated, r);
}

static void on_call_back(rg_engine *e, void *ctx, uint64_t slot);

/* Parks request r while its outbound call is out, `d` long. */
static void park(rg_object *o, const oreq *r, rg_time d)
{
    size_t slot;
    if (o->free_head > 0) {
        slot = o->free_head - 1;
        o->free_head = o->free_slot[slot];
    } else {
        rg_xgrow((void **)&o->parked, &o->capparked, o->nparked + 1, sizeof *o->parked);
        rg_xgrow((void **)&o->free_slot, &o->capfree, o->nparked + 1, sizeof *o->free_slot);
        slot = o->nparked++;
    }
    o->parked[slot] = *r;
    o->awaiting++;
    o->stats.awaits++;
    rg_after(o->e, d, RG_PRIO_DEFAULT, on_call_back, o, slot | o->epoch << 32);
}

/* The outbound call of the request in `slot` returned: it queues to
 * resume, and runs at once if the object is free. */
static void on_call_back(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_object *o = ctx;
    (void)e;
    if (arg >> 32 != (o->epoch & 0xffffffffu))
        return; /* a dead instance's call */
    size_t slot = (size_t)(arg & 0xffffffffu);
    ring_push(&o->resume, &o->parked[slot]);
    o->free_slot[slot] = o->free_head;
    o->free_head = slot + 1;
    o->awaiting--;
    start_next(o);
}

/* One step of an async object's request: the application runs; the
 * request either awaits (the object is free meanwhile) or is done. */
static void step_done(rg_object *o)
{
    oreq r = o->cur;
    rg_obj_step s = {r.arg, r.step, r.local, false, 0, false};
    int code = o->step_fn(o->state, &s);
    if (s.wrote) {
        o->write_seq++;
        if (!o->flushing)
            start_flush(o);
    }
    if (s.awaits) {
        r.step++;
        r.local = s.local;
        o->st = O_IDLE;
        park(o, &r, s.await);
    } else {
        o->stats.handled++;
        r.code = code;
        reply_gated(o, &r);
    }
}

static void on_handler_done(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_object *o = ctx;
    (void)e;
    if (arg != o->epoch)
        return; /* a dead instance's handler */
    if (o->step_fn != NULL) {
        step_done(o);
    } else {
        bool wrote = false;
        oreq r = o->cur;
        r.code = o->handler(o->state, r.arg, &wrote);
        o->stats.handled++;
        if (wrote) {
            o->write_seq++;
            if (!o->flushing)
                start_flush(o);
        }
        reply_gated(o, &r);
    }
    start_next(o);
    maybe_idle(o);
}

static void reject(rg_object *o, const oreq *r, uint64_t *class)
{
    ++*class;
    o->stats.overloaded++;
    r->cb(o->e, r->ctx, r->tag, 0, true);
}

/* Starts the next step if the object is free: a resuming request first,
 * then the next request in the input queue. */
static void start_next(rg_object *o)
{
    if (o->st == O_IDLE && o->resume.len > 0) {
        o->cur = *ring_front(&o->resume);
        ring_pop(&o->resume);
        o->st = O_BUSY;
        rg_after(o->e, rg_dist_sample_time(o->p.handler, o->service), RG_PRIO_DEFAULT,
                 on_handler_done, o, o->epoch);
        return;
    }
    while (o->st == O_IDLE && o->in.len > 0) {
        oreq r = *ring_front(&o->in);
        ring_pop(&o->in);
        rg_time now = rg_now(o->e);
        if (o->p.max_queue_age > 0 && now - r.arrived > o->p.max_queue_age) {
            reject(o, &r, &o->stats.over_age);
            continue;
        }
        rg_acc_add(&o->stats.wait, rg_time_sec(now - r.arrived));
        o->cur = r;
        o->st = O_BUSY;
        rg_after(o->e, rg_dist_sample_time(o->p.handler, o->service), RG_PRIO_DEFAULT,
                 on_handler_done, o, o->epoch);
    }
}

static void on_woken(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_object *o = ctx;
    (void)e;
    if (arg != o->epoch)
        return; /* a dead instance's wake-up */
    o->st = O_IDLE;
    start_next(o);
    maybe_idle(o);
}

void rg_object_call(rg_object *o, uint64_t arg, rg_obj_reply cb, void *ctx, uint64_t tag)
{
    oreq r = {0};
    r.arg = arg;
    r.tag = tag;
    r.cb = cb;
    r.ctx = ctx;
    r.arrived = rg_now(o->e);
    if (o->p.max_queue > 0 && (int64_t)o->in.len >= o->p.max_queue) {
        reject(o, &r, &o->stats.over_count);
        return;
    }
    if (o->p.max_queue_bytes > 0 &&
        ((int64_t)o->in.len + 1) * o->p.request_bytes > o->p.max_queue_bytes) {
        reject(o, &r, &o->stats.over_bytes);
        return;
    }
    ring_push(&o->in, &r);
    if (o->in.len > o->stats.max_waiting)
        o->stats.max_waiting = o->in.len;
    if (o->st == O_HIBERNATED) {
        o->st = O_WAKING;
        o->stats.wakes++;
        rg_after(o->e, rg_dist_sample_time(o->p.wake, o->service), RG_PRIO_DEFAULT, on_woken, o,
                 o->epoch);
        return;
    }
    start_next(o);
}

/* ---- failures ----------------------------------------------------------- */

void rg_object_on_failure(rg_object *o, rg_obj_failed fn)
{
    o->failed = fn;
}

static void error_reply(rg_object *o, const oreq *r)
{
    o->stats.errored++;
    r->cb(o->e, r->ctx, r->tag, RG_OBJ_ERROR, false);
}

/* Answers every request of ring r RG_OBJ_ERROR and empties it. */
static void error_ring(rg_object *o, ring *r)
{
    while (r->len > 0) {
        oreq x = *ring_front(r);
        ring_pop(r);
        error_reply(o, &x);
    }
}

/* The instance dies: a new epoch, so its pending events do nothing; the
 * application reloads; every request it held is answered with an error,
 * oldest first (the gated replies, the one in the handler, those awaiting
 * or resuming, then the queue); a new instance serves `down` later. */
static void fail(rg_object *o, rg_time down, bool flush)
{
    ostate was = o->st;
    o->epoch++;
    o->stats.failures++;
    rg_obj_failure f = {flush, o->durable_seq, o->write_seq - o->durable_seq, 0,
                        rg_now(o->e) + down};
    f.errored = o->gated.len + (was == O_BUSY) + o->awaiting + o->resume.len + o->in.len;
    o->write_seq = o->durable_seq;
    o->flushing = false;
    o->st = O_WAKING; /* requests queue for the new instance */
    if (o->failed != NULL)
        o->failed(o->state, &f);
    error_ring(o, &o->gated);
    if (was == O_BUSY)
        error_reply(o, &o->cur);
    for (size_t slot = 0; slot < o->nparked; slot++) {
        /* a parked slot is free if it is on the free chain */
        bool free_slot = false;
        for (size_t k = o->free_head; k > 0; k = o->free_slot[k - 1])
            free_slot = free_slot || k - 1 == slot;
        if (!free_slot)
            error_reply(o, &o->parked[slot]);
    }
    o->nparked = o->free_head = o->awaiting = 0;
    error_ring(o, &o->resume);
    error_ring(o, &o->in);
    rg_after(o->e, down, RG_PRIO_DEFAULT, on_woken, o, o->epoch);
}

void rg_object_restart(rg_object *o, rg_time down)
{
    fail(o, down, false);
}

void rg_object_fail_flush(rg_object *o, rg_time at, rg_time down)
{
    o->flush_fail_at = at;
    o->flush_fail_down = down;
}
