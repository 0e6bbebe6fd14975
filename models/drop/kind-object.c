/*
 * kind-object.c: the drop's `object` kind: one single-threaded object
 * (object.h) per SKU holds the SKU's stock; its application decrements if
 * positive, so it cannot oversell.  With `shard = session` there is one
 * object per buyer instead, each believing it owns the SKU's stock: the
 * mis-sharding failure.  An object lives in the region of its first
 * request unless `region` pins it (FACTS.md).
 *
 * A store is the replication's objects, each with its shard of stock; the
 * checker reads the shards of a SKU after the run.
 *
 * Each allocation is recorded, in the same handler step as the decrement
 * (so in the same durable write), in the object's orders table: the buyer
 * and the order id the client sent.  With idempotency keys the object
 * looks the order up first and answers a retry of an order it already
 * allocated with that allocation, writing nothing: the object is single
 * threaded, so the lookup and the decrement are atomic.  (The tables of
 * all objects are one rg_orders: an order only ever reaches the object of
 * its buyer's SKU or session.)
 *
 * Faults ([faults], dropfaults.h): at object_restart every object fails
 * (object.h), and object_flush_fail arms each object's next flush to fail.
 * A failed object's application reloads from storage: it undoes, newest
 * first, the writes storage never got (a sale gives its unit back to the
 * stock and its entry in the orders table is released; a release takes
 * the unit back out).  So it keeps a journal of its writes, numbered as
 * the object numbers them, only in a variant with an object fault.  The
 * requests the object failed with are answered "database error": the
 * client cannot know whether it bought.
 */
#include <stdlib.h>
#include <string.h>

#include "models/drop/kind.h"
#include "models/mech/mparam.h"
#include "models/stores/object.h"

/* Durable Objects list prices, 2024-2025 (assumptions: check current
 * pricing before quoting a number from a report). */
const rg_billable rg_drop_object_request = {"object_request", "0.00000015",
                                            "Durable Objects: $0.15 per million requests"};
const rg_billable rg_drop_object_write = {"object_write", "0.000001",
                                          "Durable Objects SQLite: $1.00 per million rows written"};
static const rg_billable *const billable[] = {&rg_drop_object_request, &rg_drop_object_write, NULL};

typedef struct objcfg {
    rg_object_cfg obj;
    bool shard_session;
    int region; /* -1: near the first request */
} objcfg;

/* One write of an object's application, kept to undo it if storage never
 * got it. */
typedef struct jwrite {
    size_t client;
    uint64_t order;
    bool release; /* a unit given back (else a sale) */
} jwrite;

/* One object's state: what its application sees. */
typedef struct shard {
    int64_t stock;
    rg_drop_run *run;
    int sku;
    size_t index;      /* the object's, for the trace */
    rg_orders *orders; /* the store's: who holds what */
    /* faults: the journal of writes (write n is journal[n - 1]) */
    bool journal_on;
    jwrite *journal;
    size_t nwrites, capj;
} shard;

typedef struct objstore {
    const objcfg *cfg;
    rg_drop_run *run;
    int64_t stock; /* initial, per shard */
    size_t n;
    rg_object **obj;
    shard *sh;
    int *region;
    rg_orders *orders;
    /* the run's, looked up once: every request uses them */
    rg_engine *e;
    const rg_places *pl;
    gsl_rng *net;
} objstore;

static int obj_load(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    static const char *const shards[] = {"sku", "session", NULL};
    objcfg *c = rg_xcalloc(1, sizeof *c);
    int sh;
    *cfg = c;
    if (rg_object_load(s, sec, "object", "hibernated", &c->obj, e) < 0 ||
        mp_enum(s, sec, "object", "shard", "sku", shards, &sh, e) < 0 ||
        rg_drop_load_region(s, pl, sec, "object", "region", "near_first", true, &c->region, e) < 0)
        return -1;
    c->shard_session = sh == 1;
    return 0;
}

static void obj_free_cfg(void *p)
{
    objcfg *c = p;
    if (c == NULL)
        return;
    rg_object_cfg_free(&c->obj);
    free(c);
}

/* What a request asks the object's application (its argument): the call,
 * whose pointer is aligned, with the low bit set for a release. */
#define OBJ_RELEASE 1u

static uint64_t obj_arg(rg_drop_call *q, unsigned what)
{
    return (uint64_t)(uintptr_t)q | what;
}

/* The object's application: allocate one unit if there is one, or take
 * back a unit whose reservation expired. */
static int obj_handler(void *state, uint64_t arg, bool *wrote)
{
    shard *s = state;
    rg_drop_call *q = (rg_drop_call *)(uintptr_t)(arg & ~(uint64_t)OBJ_RELEASE);
    if (s->journal_on) {
        /* the write this step makes, if it makes one, is the next */
        rg_xgrow((void **)&s->journal, &s->capj, s->nwrites + 1, sizeof *s->journal);
        s->journal[s->nwrites] =
            (jwrite){rg_drop_call_client(q), rg_drop_call_order(q), (arg & OBJ_RELEASE) != 0};
    }
    if (arg & OBJ_RELEASE) {
        s->stock++;
        s->nwrites++;
        rg_orders_release(s->orders, rg_drop_call_client(q), s->sku);
        *wrote = true;
        rg_drop_bill(s->run, &rg_drop_object_write);
        return 1;
    }
    uint64_t order = rg_drop_call_order(q);
    if (rg_orders_find(s->orders, order))
        return 1; /* a retry: the original answer, nothing written */
    if (s->stock <= 0)
        return 0;
    s->stock--;
    s->nwrites++;
    rg_orders_add(s->orders, rg_drop_call_client(q), order, s->sku);
    *wrote = true;
    rg_drop_bill(s->run, &rg_drop_object_write);
    if (s->stock == 0)
        rg_drop_stock_zero(s->run, s->sku, "object");
    return 1;
}

/* The object failed: its application reloads what storage holds, undoing
 * the writes after f->durable, newest first. */
static void obj_failed(void *state, const rg_obj_failure *f)
{
    shard *s = state;
    rg_drop_run *r = s->run;
    bool tr = rg_drop_tracing(r);
    if (tr)
        rg_drop_trace(r,
                      "FAULT: object %zu (sku-%03d) %s: %llu unflushed write%s discarded, %zu "
                      "request%s answered with an error; serves again at %.3f ms",
                      s->index, s->sku + 1,
                      f->flush ? "fails to flush to storage and restarts" : "restarts",
                      (unsigned long long)f->lost, f->lost == 1 ? "" : "s", f->errored,
                      f->errored == 1 ? "" : "s", rg_time_ms(f->up));
    RG_ASSERT(s->nwrites >= f->durable);
    while (s->nwrites > f->durable) {
        const jwrite *w = &s->journal[--s->nwrites];
        if (w->release) {
            s->stock--;
            rg_orders_add(s->orders, w->client, w->order, s->sku);
        } else {
            s->stock++;
            rg_orders_release(s->orders, w->client, s->sku);
        }
        if (tr)
            rg_drop_trace(
                r, "FAULT: object %zu loses buyer %zu's %s (never stored)", s->index, w->client,
                w->release ? "release: the unit is out of stock again" : "unit: back in stock");
    }
}

/* [faults] object_restart: every object of the store fails now. */
static void on_restart(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    objstore *st = ctx;
    for (size_t k = 0; k < st->n; k++)
        rg_object_restart(st->obj[k], rg_drop_run_faults(st->run)->object_down);
}

/* Memory estimate (kind.h): per object its record and first queues, its
 * shard, its pointer and its region. */
static uint64_t obj_store_bytes(const void *cfg, size_t buyers, size_t skus)
{
    const objcfg *c = cfg;
    (void)c;
    (void)buyers;
    (void)skus;
    return (uint64_t)(c->shard_session ? buyers : skus) *
           (rg_object_bytes(false) + sizeof(shard) + sizeof(void *) + sizeof(int));
}

static void *obj_build(const void *cfg, rg_drop_run *r)
{
    const objcfg *c = cfg;
    objstore *st = rg_xcalloc(1, sizeof *st);
    size_t nbuyers = rg_drop_run_buyers(r);
    st->cfg = c;
    st->run = r;
    st->e = rg_drop_run_engine(r);
    st->pl = rg_drop_run_places(r);
    st->net = rg_drop_run_net(r);
    st->stock = rg_drop_run_stock(r);
    st->n = c->shard_session ? nbuyers : rg_drop_run_skus(r);
    st->obj = rg_xcalloc(st->n, sizeof *st->obj);
    st->sh = rg_xcalloc(st->n, sizeof *st->sh);
    st->region = rg_xcalloc(st->n, sizeof *st->region);
    st->orders = rg_orders_new();
    for (size_t k = 0; k < st->n; k++) {
        st->region[k] = -1;
        /* Each shard holds the SKU's stock: correct per SKU, and the
         * mis-sharding failure when one object per buyer. */
        st->sh[k].stock = st->stock;
        st->sh[k].run = r;
        st->sh[k].orders = st->orders;
        st->sh[k].sku = c->shard_session ? rg_drop_run_buyer(r, k)->sku : (int)k;
        st->sh[k].index = k;
        st->obj[k] = rg_object_new(rg_drop_run_engine(r), &c->obj.p, obj_handler, &st->sh[k]);
    }
    const rg_dfaults *f = rg_drop_run_faults(r);
    if (f->object_restart >= 0 || f->object_flush_fail >= 0) {
        for (size_t k = 0; k < st->n; k++) {
            st->sh[k].journal_on = true;
            rg_object_on_failure(st->obj[k], obj_failed);
            if (f->object_flush_fail >= 0)
                rg_object_fail_flush(st->obj[k], f->object_flush_fail, f->object_down);
        }
        if (f->object_restart >= 0)
            rg_at(st->e, f->object_restart, RG_PRIO_DEFAULT, on_restart, st, 0);
    }
    /* An object lives where it was first asked for unless the scenario
     * pins it. */
    for (size_t i = 0; i < nbuyers; i++) {
        const rg_buyer *b = rg_drop_run_buyer(r, i);
        size_t k = c->shard_session ? i : (size_t)b->sku;
        if (st->region[k] < 0)
            st->region[k] = c->region >= 0 ? c->region : b->region;
    }
    for (size_t k = 0; k < st->n; k++)
        if (st->region[k] < 0)
            st->region[k] = c->region >= 0 ? c->region : 0;
    return st;
}

static void obj_free_store(void *p)
{
    objstore *st = p;
    if (st == NULL)
        return;
    for (size_t k = 0; k < st->n; k++) {
        rg_object_free(st->obj[k]);
        free(st->sh[k].journal);
    }
    free(st->obj);
    free(st->sh);
    free(st->region);
    rg_orders_free(st->orders);
    free(st);
}

/* The object that serves call q. */
static size_t object_of(const objstore *st, const rg_drop_call *q)
{
    return st->cfg->shard_session ? rg_drop_call_client(q) : (size_t)rg_drop_call_sku(q);
}

static void on_obj_reply(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    (void)tag;
    rg_drop_call *q = ctx;
    const objstore *st = rg_drop_call_store(q);
    if (code == RG_OBJ_ERROR && rg_drop_tracing(st->run))
        rg_drop_trace(st->run,
                      "FAULT: buyer %zu's request fails with the object: an error, whether or "
                      "not it bought",
                      rg_drop_call_client(q));
    rg_drop_reply(q, st->region[object_of(st, q)],
                  overloaded             ? RG_OUT_OVERLOADED
                  : code == RG_OBJ_ERROR ? RG_OUT_DB_ERROR
                  : code                 ? RG_OUT_ALLOCATED
                                         : RG_OUT_SOLD_OUT);
}

static void on_at_object(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_drop_call *q = ctx;
    const objstore *st = rg_drop_call_store(q);
    rg_drop_bill(st->run, &rg_drop_object_request);
    rg_object_call(st->obj[object_of(st, q)], obj_arg(q, 0), on_obj_reply, q, 0);
}

static void obj_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    const objstore *st = store;
    int to = st->region[object_of(st, q)];
    d += rg_drop_hop(r, rg_drop_call_region(q), to);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_object, q, 0);
}

/* A release leaves the object: nobody waits for it, but a release the
 * object refused as overloaded leaves the unit out of stock for good (the
 * application does not retry it). */
static void on_obj_released(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    (void)tag;
    rg_drop_call *q = ctx;
    rg_drop_run *r = rg_drop_call_run(q);
    if (rg_drop_tracing(r))
        rg_drop_trace(r, "sku-%03d: buyer %zu's unit %s", rg_drop_call_sku(q) + 1,
                      rg_drop_call_client(q),
                      overloaded             ? "NOT released: the object is overloaded"
                      : code == RG_OBJ_ERROR ? "NOT released: the object failed"
                                             : "back in stock (object)");
}

static void on_release_at_object(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_drop_call *q = ctx;
    const objstore *st = rg_drop_call_store(q);
    rg_drop_bill(st->run, &rg_drop_object_request);
    rg_object_call(st->obj[object_of(st, q)], obj_arg(q, OBJ_RELEASE), on_obj_released, q, 0);
}

/* The application at the call's PoP sends the release to the object. */
static void obj_release(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    const objstore *st = store;
    d += rg_drop_hop(r, rg_drop_call_region(q), st->region[object_of(st, q)]);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_release_at_object, q, 0);
}

static int64_t obj_decremented(const void *store, size_t sku)
{
    const objstore *st = store;
    int64_t d = 0;
    for (size_t k = 0; k < st->n; k++)
        if (st->sh[k].sku == (int)sku)
            d += st->stock - st->sh[k].stock;
    return d;
}

static const rg_orders *obj_orders(const void *store)
{
    return ((const objstore *)store)->orders;
}

const rg_drop_kind rg_drop_kind_object = {
    .name = "object",
    .summary = "one single-threaded object per SKU (shard = session: one per buyer)",
    .section = "object",
    .load = obj_load,
    .free_cfg = obj_free_cfg,
    .build = obj_build,
    .store_bytes = obj_store_bytes,
    .route = obj_route,
    .decremented = obj_decremented,
    .free_store = obj_free_store,
    .billable = billable,
    .release = obj_release,
    .orders = obj_orders,
};
