/*
 * kind-object-fetch.c: the drop's `object_fetch` kind: one single-threaded
 * object per SKU (object.h, made with rg_object_new_async) whose handler
 * calls out to a payment (or fraud) service between its stock check and
 * its write:
 *
 *   step 0  read the stock; none left: sold out.  Await the payment call
 *           (`fetch`, drawn from the "fetch" stream).
 *   step 1  the call is back (failed with probability `pay_fail`, one draw
 *           per call from the "payment" stream): write stock = read - 1
 *           and answer allocated, or answer declined (402).
 *
 * While a handler awaits, the object's input gate is open (FACTS.md) and
 * the next request runs its step 0 against the same stock: every request
 * that reads before the first write lands sees the same units, so the
 * check-then-write races and oversells (and the writes overwrite each
 * other: lost updates).  Nothing here counts it: it emerges from the await.
 *
 * With `reserve_first = true`, step 0 decrements (reserves) before the
 * call and step 1 gives the unit back if the payment failed: no oversell,
 * at the price of refusing buyers while units are only reserved (a
 * reservation that fails later leaves a unit behind a "sold out": the
 * checker's lost_sales).
 *
 * Object parameters and `region` come from [object] (as for `object`); the
 * kind's own keys (fetch, reserve_first, pay_fail) from [object_fetch].
 * The payment call is not billed (another company's invoice).
 *
 * Who bought, and idempotency.  Each allocation is recorded in the
 * object's orders table (the buyer, the order id the client sent) in the
 * step that takes the unit out: step 1's write, or step 0's reservation
 * (given back if the payment fails), so in the same durable write as the
 * stock.  With idempotency keys the object keeps its table of answered
 * orders as `object` does, and looks the order up in every step that
 * could sell: step 0 answers a retry of an order it holds with "allocated"
 * and no write, no payment call; step 1 looks again before its write,
 * because the input gate was open during the call: a retry that arrived
 * while the original awaited its payment passed step 0's lookup, and
 * whichever of the two writes second finds the other's entry and writes
 * nothing.  (Each step runs atomically: FACTS.md, input gate.)  What it
 * cannot dedupe: the retry's payment call is made twice (the buyer may be
 * charged twice; not modelled), and with reserve_first a retry that
 * arrives while the original awaits finds the reservation and is told
 * "allocated" at once; if the original's payment then fails the buyer was
 * told "yours" and holds nothing (told_yours_empty; pay_fail > 0 only).
 * An object could park the retry until the original's call returns; this
 * one answers from its table (assumption: the simplest table an
 * application keeps).
 */
#include <stdint.h>
#include <stdlib.h>

#include "models/drop/kind.h"
#include "models/mech/mparam.h"
#include "models/stores/object.h"

/* The reply codes of the application. */
enum { C_SOLD_OUT, C_ALLOCATED, C_DECLINED };

typedef struct fetchcfg {
    rg_object_cfg obj;
    int region; /* -1: near the first request */
    rg_dist *fetch;
    bool reserve_first;
    double pay_fail;
} fetchcfg;

/* One object's state: what its application sees. */
typedef struct fshard {
    const fetchcfg *cfg;
    rg_drop_run *run;
    int64_t stock;
    int sku;
    gsl_rng *fetch, *pay;
    rg_orders *orders; /* the store's: who holds what (one table for all objects) */
} fshard;

typedef struct fstore {
    rg_drop_run *run;
    int64_t stock; /* initial, per SKU */
    size_t n;      /* objects: one per SKU */
    rg_object **obj;
    fshard *sh;
    int *region;
    /* the run's, looked up once: every request uses them */
    rg_engine *e;
    const rg_places *pl;
    gsl_rng *net;
    /* Who bought: every object's entries (an order only ever reaches the
     * object of its SKU, so one table is each object's table). */
    rg_orders *orders;
} fstore;

static int fetch_load(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    static const char *const bools[] = {"false", "true", NULL};
    fetchcfg *c = rg_xcalloc(1, sizeof *c);
    int rf;
    *cfg = c;
    /* A payment API call: an assumption (FACTS.md has no figure), a few
     * hundred ms with a tail.  Every payment succeeds unless the scenario
     * says otherwise (assumption). */
    if (rg_object_load(s, sec, "object", "hibernated", &c->obj, e) < 0 ||
        rg_drop_load_region(s, pl, sec, "object", "region", "near_first", true, &c->region, e) <
            0 ||
        mp_dist(s, sec, "object_fetch", "fetch", "lognormal(median=200ms, p99=1s)", RG_QTY_DURATION,
                &c->fetch, e) < 0 ||
        mp_enum(s, sec, "object_fetch", "reserve_first", "false", bools, &rf, e) < 0 ||
        mp_real(s, sec, "object_fetch", "pay_fail", "0", 0, 1, &c->pay_fail, e) < 0)
        return -1;
    c->reserve_first = rf == 1;
    return 0;
}

static void fetch_free_cfg(void *p)
{
    fetchcfg *c = p;
    if (c == NULL)
        return;
    rg_object_cfg_free(&c->obj);
    rg_dist_free(c->fetch);
    free(c);
}

/* Takes one unit out (or puts it back): a storage write. */
static void write_stock(fshard *sh, int64_t v, rg_obj_step *s)
{
    sh->stock = v;
    s->wrote = true;
    rg_drop_bill(sh->run, &rg_drop_object_write);
    if (v == 0)
        rg_drop_stock_zero(sh->run, sh->sku, "object_fetch");
}

/* The object's application, one step at a time (see the top of the file).
 * s->arg is the call. */
static int fetch_step(void *state, rg_obj_step *s)
{
    fshard *sh = state;
    const fetchcfg *c = sh->cfg;
    rg_drop_call *q = (rg_drop_call *)(uintptr_t)s->arg;
    uint64_t order = rg_drop_call_order(q);
    if (s->step == 0) {
        if (rg_orders_find(sh->orders, order))
            return C_ALLOCATED; /* a retry: the original answer, nothing written */
        if (sh->stock <= 0)
            return C_SOLD_OUT;
        if (c->reserve_first) {
            write_stock(sh, sh->stock - 1, s);
            rg_orders_add(sh->orders, rg_drop_call_client(q), order, sh->sku);
        }
        s->local = (uint64_t)sh->stock; /* what this request read (or left) */
        s->awaits = true;
        s->await = rg_dist_sample_time(c->fetch, sh->fetch);
        return 0;
    }
    /* one draw per payment, whatever the form, so both see the same ones */
    bool failed = gsl_rng_uniform(sh->pay) < c->pay_fail;
    if (c->reserve_first) {
        if (failed) {
            write_stock(sh, sh->stock + 1, s); /* the reservation goes back */
            rg_orders_release(sh->orders, rg_drop_call_client(q), sh->sku);
        }
        return failed ? C_DECLINED : C_ALLOCATED;
    }
    if (failed)
        return C_DECLINED;
    /* the original (or a retry of it) wrote while this one awaited */
    if (rg_orders_find(sh->orders, order))
        return C_ALLOCATED;
    /* the write follows the read made before the call, whatever happened
     * to the stock in between */
    write_stock(sh, (int64_t)s->local - 1, s);
    rg_orders_add(sh->orders, rg_drop_call_client(q), order, sh->sku);
    return C_ALLOCATED;
}

/* Memory estimate (kind.h): per object its record and first queues, its
 * shard, its pointer and its region. */
static uint64_t fetch_store_bytes(const void *cfg, size_t buyers, size_t skus)
{
    const fetchcfg *c = cfg;
    (void)c;
    (void)buyers;
    (void)skus;
    return (uint64_t)(skus) *
           (rg_object_bytes(true) + sizeof(fshard) + sizeof(void *) + sizeof(int));
}

static void *fetch_build(const void *cfg, rg_drop_run *r)
{
    const fetchcfg *c = cfg;
    fstore *st = rg_xcalloc(1, sizeof *st);
    st->orders = rg_orders_new();
    st->run = r;
    st->e = rg_drop_run_engine(r);
    st->pl = rg_drop_run_places(r);
    st->net = rg_drop_run_net(r);
    st->stock = rg_drop_run_stock(r);
    st->n = rg_drop_run_skus(r);
    st->obj = rg_xcalloc(st->n, sizeof *st->obj);
    st->sh = rg_xcalloc(st->n, sizeof *st->sh);
    st->region = rg_xcalloc(st->n, sizeof *st->region);
    gsl_rng *fetch = rg_engine_stream(st->e, "fetch"), *pay = rg_engine_stream(st->e, "payment");
    for (size_t k = 0; k < st->n; k++) {
        st->region[k] = c->region;
        st->sh[k] = (fshard){c, r, st->stock, (int)k, fetch, pay, st->orders};
        st->obj[k] = rg_object_new_async(st->e, &c->obj.p, fetch_step, &st->sh[k]);
    }
    /* An object lives where it was first asked for unless pinned. */
    for (size_t i = 0; i < rg_drop_run_buyers(r); i++) {
        const rg_buyer *b = rg_drop_run_buyer(r, i);
        if (st->region[b->sku] < 0)
            st->region[b->sku] = b->region;
    }
    for (size_t k = 0; k < st->n; k++)
        if (st->region[k] < 0)
            st->region[k] = 0;
    return st;
}

static void fetch_free_store(void *p)
{
    fstore *st = p;
    if (st == NULL)
        return;
    for (size_t k = 0; k < st->n; k++)
        rg_object_free(st->obj[k]);
    free(st->obj);
    free(st->sh);
    free(st->region);
    rg_orders_free(st->orders);
    free(st);
}

static void on_fetch_reply(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    (void)tag;
    rg_drop_call *q = ctx;
    const fstore *st = rg_drop_call_store(q);
    rg_outcome o = overloaded            ? RG_OUT_OVERLOADED
                   : code == C_ALLOCATED ? RG_OUT_ALLOCATED
                   : code == C_DECLINED  ? RG_OUT_DECLINED
                                         : RG_OUT_SOLD_OUT;
    rg_drop_reply(q, st->region[rg_drop_call_sku(q)], o);
}

static void on_at_fetch_object(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_drop_call *q = ctx;
    const fstore *st = rg_drop_call_store(q);
    rg_drop_bill(st->run, &rg_drop_object_request);
    rg_object_call(st->obj[rg_drop_call_sku(q)], (uint64_t)(uintptr_t)q, on_fetch_reply, q, 0);
}

static void fetch_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    const fstore *st = store;
    (void)r;
    d += rg_places_hop(st->pl, rg_drop_call_region(q), st->region[rg_drop_call_sku(q)], st->net);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_fetch_object, q, 0);
}

static int64_t fetch_decremented(const void *store, size_t sku)
{
    const fstore *st = store;
    return st->stock - st->sh[sku].stock;
}

static const rg_billable *const billable[] = {&rg_drop_object_request, &rg_drop_object_write, NULL};

static const rg_orders *fetch_orders(const void *store)
{
    return ((const fstore *)store)->orders;
}

const rg_drop_kind rg_drop_kind_object_fetch = {
    .name = "object_fetch",
    .summary = "an object per SKU that awaits a payment between check and write",
    .section = "object_fetch",
    .load = fetch_load,
    .free_cfg = fetch_free_cfg,
    .build = fetch_build,
    .store_bytes = fetch_store_bytes,
    .route = fetch_route,
    .decremented = fetch_decremented,
    .free_store = fetch_free_store,
    .billable = billable,
    .orders = fetch_orders,
    .fault_gaps = RG_DROP_FAULT_OBJECT | RG_DROP_FAULT_PARTITION,
};
