/*
 * batchkind-object.c: the batch store "object" (batch.h): one
 * single-threaded object per batch (object.h), in the same colo as the
 * worker.  init-batch creates the state, start-file adds the file,
 * complete-file marks it complete ("file not found in batch" if it is not
 * listed), finalize reads the counts and then sets the status: each an
 * atomic call, one at a time, so no update is ever lost.  The object's own
 * overload (max_queue) is an error the client sees.
 *
 * Keys: the [object] catalogue (object.h; init-batch creates the object,
 * which costs a constructor run like a wake-up, an assumption: start =
 * hibernated).
 */
#include <stdbool.h>
#include <stdlib.h>

#include "models/batch/batchkind.h"
#include "models/stores/object.h"
#include "sim/engine/util.h"

/* The object's operations (the story's handlers). */
typedef enum { O_INIT, O_ADD, O_COMPLETE, O_GET, O_STATUS } objop;

/* One call to the object: its arguments and, for O_GET, its result. */
typedef struct objcall {
    objop op;
    int file;              /* O_ADD, O_COMPLETE: 0-based */
    int tracked, complete; /* O_GET: files listed, and of those complete */
} objcall;

/* A request's calls.  A request has at most one call in flight, so its
 * call lives here and the object's uint64_t argument is only the
 * request's index. */
typedef struct objreq {
    objcall call;
    int step; /* finalize: 0 read, 1 write */
} objreq;

typedef struct objstore {
    rg_object *obj;
    /* the application's state */
    uint64_t added, complete;
    bool enqueued;
    objreq *req; /* by request index */
} objstore;

static int obj_load(rg_scn *s, const char *sec, void **cfg, rg_err *e)
{
    rg_object_cfg *c = rg_xcalloc(1, sizeof *c);
    *cfg = c;
    return rg_object_load(s, sec, "object", "hibernated", c, e) < 0 ? -1 : 0;
}

static void obj_cfg_free(void *cfg)
{
    if (cfg == NULL)
        return;
    rg_object_cfg_free(cfg);
    free(cfg);
}

/* The application: arg is the calling request's index.  Answers 1, or 0
 * for a file not in the batch; O_GET's counts go in the call's record. */
static int obj_handler(void *state, uint64_t arg, bool *wrote)
{
    objstore *s = state;
    objcall *call = &s->req[arg].call;
    uint64_t bit = UINT64_C(1) << call->file;
    switch (call->op) {
    case O_INIT: s->added = s->complete = 0; break;
    case O_ADD: s->added |= bit; break;
    case O_COMPLETE:
        if (!(s->added & bit))
            return 0;
        s->complete |= bit;
        break;
    case O_GET:
        call->tracked = rg_batch_popcount(s->added);
        call->complete = rg_batch_popcount(s->added & s->complete);
        return 1;
    case O_STATUS: s->enqueued = true; break;
    }
    *wrote = true;
    return 1;
}

static objreq *req_of(const breq *q)
{
    return &((objstore *)q->run->store)->req[q - q->run->q];
}

static void obj_send(brun *r, breq *q, rg_time d);

static void on_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    breq *q = ctx;
    rg_batch_reply(q->run, q, (answer)arg);
}

static void on_reply(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    (void)tag;
    breq *q = ctx;
    brun *r = q->run;
    objreq *o = req_of(q);
    char l[48];
    rg_time hop = rg_places_hop(r->c->pl, 0, 0, r->net);
    answer a = A_OK;
    if (overloaded) {
        rg_batch_trace(r, "%s: object overloaded", rg_batch_qlabel(q, l, sizeof l));
        a = A_ERROR;
    } else if (q->kind == Q_FINALIZE && o->step == 0) {
        r->finalized = true;
        r->fin_tracked = o->call.tracked;
        r->fin_complete = o->call.complete;
        rg_batch_trace(r, "finalize: object state lists %d of %zu files, %d complete",
                       r->fin_tracked, r->F, r->fin_complete);
        o->step = 1;
        /* back to the worker, which then calls updateStatus */
        obj_send(r, q, hop);
        return;
    } else if (q->kind == Q_COMPLETE && code == 0) {
        a = A_NOT_FOUND;
    }
    if (q->kind == Q_START || q->kind == Q_COMPLETE) {
        /* one atomic call: landed, or the client is told of the error */
        r->tally.writes++;
        r->tally.attempts++;
        r->tally.landed += !overloaded;
        r->tally.loud += overloaded;
        r->tally.overloaded += overloaded;
    }
    rg_after(r->e, hop, RG_PRIO_DEFAULT, on_back, q, (uint64_t)a);
}

static void on_call(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    breq *q = ctx;
    brun *r = q->run;
    objstore *st = r->store;
    if (req_of(q)->call.op != O_GET)
        r->attempts++;
    rg_object_call(st->obj, (uint64_t)(q - r->q), on_reply, q, 0);
}

/* Sends q's next call from the worker to the object, d from now. */
static void obj_send(brun *r, breq *q, rg_time d)
{
    objreq *o = req_of(q);
    objop op = q->kind == Q_INIT       ? O_INIT
               : q->kind == Q_START    ? O_ADD
               : q->kind == Q_COMPLETE ? O_COMPLETE
               : o->step == 0          ? O_GET
                                       : O_STATUS;
    o->call = (objcall){.op = op, .file = q->file >= 0 ? q->file : 0};
    d += rg_places_hop(r->c->pl, 0, 0, r->net);
    rg_after(r->e, d, RG_PRIO_DEFAULT, on_call, q, 0);
}

static void *obj_build(brun *r)
{
    const rg_object_cfg *c = r->v->kcfg;
    objstore *st = rg_xcalloc(1, sizeof *st);
    st->req = rg_xcalloc(r->nq, sizeof *st->req);
    st->obj = rg_object_new(r->e, &c->p, obj_handler, st);
    return st;
}

static void obj_request(void *store, breq *q, rg_time d)
{
    (void)store;
    obj_send(q->run, q, d);
}

static void obj_counts(const void *store, int64_t *stale, int64_t *rate_limited)
{
    (void)store;
    *stale = *rate_limited = 0;
}

/* Story 003 measured objects: 100 %, whatever the parallelism. */
static void obj_describe(const void *cfg, int64_t parallel, const char **policy, const char **seed)
{
    (void)cfg;
    (void)parallel;
    *policy = "-";
    *seed = "100 %";
}

static void obj_free(void *store)
{
    objstore *st = store;
    if (st == NULL)
        return;
    rg_object_free(st->obj);
    free(st->req);
    free(st);
}

const rg_batch_kind rg_batch_kind_object = {
    .name = "object",
    .load = obj_load,
    .cfg_free = obj_cfg_free,
    .build = obj_build,
    .request = obj_request,
    .counts = obj_counts,
    .describe = obj_describe,
    .free = obj_free,
};
