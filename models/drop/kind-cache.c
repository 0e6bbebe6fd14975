/*
 * kind-cache.c: the drop's `cache` kind: a replica per region (cache.h),
 * each checking and decrementing its own counter and replicating the
 * change asynchronously.  A request goes to the replica of its PoP's
 * region, so two regions can both sell the last unit within the lag.
 *
 * The checker reads the primary (region 0) after the run: once the engine
 * ran dry the replicas have converged.
 *
 * Who bought: a decrement that succeeded at a replica is a sale, recorded
 * with its buyer and order id in the store's orders table.  Idempotency:
 * Redis offers no unique constraint tied to the DECR; the usual recipe is
 * SET key NX (the order id, with a TTL) before the DECR, and DEL of the key
 * if the DECR found nothing.  That is what a call with an order id does
 * here, against its region's replica: the key is set when the call
 * arrives, the DECR takes its op time, and a failed DECR deletes the key.
 * Its own race: a retry that arrives while the first DECR is under way
 * finds the key and is answered "allocated" although the unit may not be
 * (told_yours_empty); and the key replicates like the counter, so a retry
 * through another region would not see it (a client retries through its
 * own PoP here).
 *
 * Faults ([faults], dropfaults.h): cache_failover fails the node of
 * cache_failover_region over to its in-region replica (cache.h).  The
 * sales recorded there whose change the replica had not received are
 * lost with the node (the orders and the idempotency keys live in the same
 * Redis): the kind journals the node's sales by change count, only in a
 * variant with the fault, and releases the lost ones.  An operation that
 * fails with the node is answered "database error" and its key deleted.
 * A partition delays the replication between the two regions it cuts.
 */
#include <stdlib.h>

#include "models/drop/kind.h"
#include "models/mech/mparam.h"
#include "models/stores/cache.h"

/* A managed Redis (assumption). */
const rg_billable rg_drop_cache_op = {"cache_op", "0.0000002", "managed Redis: assumption"};
static const rg_billable *const billable[] = {&rg_drop_cache_op, NULL};

typedef struct cachecfg {
    rg_dist *op, *lag;
    rg_cache_params cp;
} cachecfg;

typedef struct cachestore {
    rg_drop_run *run;
    rg_cache *cache;
    rg_orders *orders; /* the sales */
    rg_orders **keys;  /* per region: the idempotency keys SET NX */
    size_t nregions;
    /* failover: the sales at the failing node, by its change count */
    int fregion; /* -1: no failover */
    struct csale {
        uint64_t seq;
        size_t client;
        uint64_t order;
        int sku;
    } * sales;
    size_t nsales, capsales;
} cachestore;

static int cache_load(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    static const char *const modes[] = {"delta", "state", NULL};
    cachecfg *c = rg_xcalloc(1, sizeof *c);
    int m;
    (void)pl;
    *cfg = c;
    /* Redis-like op ~0.1 ms; async cross-region replication, "generally
     * under 1 s" (ElastiCache Global Datastore, FACTS.md). */
    if (mp_dist(s, sec, "cache", "op", "const(100us)", RG_QTY_DURATION, &c->op, e) < 0 ||
        mp_dist(s, sec, "cache", "lag", "lognormal(median=300ms, p99=1s)", RG_QTY_DURATION, &c->lag,
                e) < 0 ||
        mp_enum(s, sec, "cache", "replication", "delta", modes, &m, e) < 0)
        return -1;
    c->cp.op = c->op;
    c->cp.lag = c->lag;
    c->cp.mode = m == 0 ? RG_CACHE_DELTA : RG_CACHE_STATE;
    return 0;
}

static void cache_free_cfg(void *p)
{
    cachecfg *c = p;
    if (c == NULL)
        return;
    rg_dist_free(c->op);
    rg_dist_free(c->lag);
    free(c);
}

/* [faults] cache_failover: the node fails over; its sales past what the
 * replica had received are lost. */
static void on_failover(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    cachestore *st = ctx;
    rg_drop_run *r = st->run;
    const rg_dfaults *f = rg_drop_run_faults(r);
    bool tr = rg_drop_tracing(r);
    size_t reg = (size_t)st->fregion;
    int64_t before = rg_cache_value(st->cache, reg, 0);
    uint64_t had = rg_cache_seq(st->cache, reg);
    uint64_t kept = rg_cache_failover(st->cache, f->cache_down);
    size_t lost = 0;
    while (st->nsales > 0 && st->sales[st->nsales - 1].seq > kept) {
        const struct csale *x = &st->sales[--st->nsales];
        rg_orders_release(st->orders, x->client, x->sku);
        if (x->order != 0)
            rg_orders_release(st->keys[reg], x->client, x->sku);
        lost++;
        if (tr)
            rg_drop_trace(r, "FAULT: buyer %zu's sale (change %llu) is lost with the cache node",
                          x->client, (unsigned long long)x->seq);
    }
    if (tr)
        rg_drop_trace(r,
                      "FAULT: the cache node in %s fails over to its replica, which had %llu of "
                      "its %llu changes: %zu sale%s lost, sku-001 stock there %lld -> %lld; "
                      "operations fail until %.3f ms",
                      rg_drop_run_places(r)->name[reg], (unsigned long long)kept,
                      (unsigned long long)had, lost, lost == 1 ? "" : "s", (long long)before,
                      (long long)rg_cache_value(st->cache, reg, 0),
                      rg_time_ms(rg_now(e) + f->cache_down));
}

static void *cache_build(const void *cfg, rg_drop_run *r)
{
    const cachecfg *c = cfg;
    cachestore *st = rg_xcalloc(1, sizeof *st);
    st->run = r;
    st->cache = rg_cache_new(rg_drop_run_engine(r), &c->cp, rg_drop_run_places(r)->n,
                             rg_drop_run_skus(r), rg_drop_run_stock(r));
    st->orders = rg_orders_new();
    st->nregions = rg_drop_run_places(r)->n;
    st->keys = rg_xcalloc(st->nregions, sizeof *st->keys);
    for (size_t i = 0; i < st->nregions; i++)
        st->keys[i] = rg_orders_new();
    const rg_dfaults *f = rg_drop_run_faults(r);
    st->fregion = -1;
    if (f->cache_failover >= 0) {
        st->fregion = f->cache_region;
        rg_cache_standby(st->cache, (size_t)f->cache_region, f->cache_lag,
                         rg_engine_stream(rg_drop_run_engine(r), "faults"));
        rg_at(rg_drop_run_engine(r), f->cache_failover, RG_PRIO_DEFAULT, on_failover, st, 0);
    }
    if (f->cut.a >= 0)
        rg_cache_cut(st->cache, &f->cut);
    return st;
}

static void cache_free_store(void *p)
{
    cachestore *st = p;
    if (st == NULL)
        return;
    rg_cache_free(st->cache);
    rg_orders_free(st->orders);
    for (size_t i = 0; i < st->nregions; i++)
        rg_orders_free(st->keys[i]);
    free(st->keys);
    free(st->sales);
    free(st);
}

static void on_cache_done(rg_engine *e, void *ctx, uint64_t tag, int result)
{
    (void)e;
    (void)tag;
    rg_drop_call *q = ctx;
    cachestore *st = rg_drop_call_store(q);
    int region = rg_drop_call_region(q), sku = rg_drop_call_sku(q);
    if (result < 0) {
        if (rg_drop_tracing(st->run))
            rg_drop_trace(st->run,
                          "FAULT: buyer %zu's operation fails with the cache node: an error, "
                          "whether or not it bought",
                          rg_drop_call_client(q));
        if (rg_drop_call_order(q) != 0)
            rg_orders_release(st->keys[region], rg_drop_call_client(q), sku);
        rg_drop_reply(q, region, RG_OUT_DB_ERROR);
        return;
    }
    if (result && rg_cache_value(st->cache, (size_t)region, (size_t)sku) == 0)
        rg_drop_stock_zero(st->run, sku, "cache replica");
    if (result) {
        rg_orders_add(st->orders, rg_drop_call_client(q), rg_drop_call_order(q), sku);
        if (region == st->fregion) {
            rg_xgrow((void **)&st->sales, &st->capsales, st->nsales + 1, sizeof *st->sales);
            st->sales[st->nsales++] =
                (struct csale){rg_cache_seq(st->cache, (size_t)region), rg_drop_call_client(q),
                               rg_drop_call_order(q), sku};
        }
    } else if (rg_drop_call_order(q) != 0) {
        rg_orders_release(st->keys[region], rg_drop_call_client(q), sku); /* DEL key */
    }
    rg_drop_reply(q, region, result ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
}

static void on_at_cache(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_drop_call *q = ctx;
    const cachestore *st = rg_drop_call_store(q);
    int region = rg_drop_call_region(q), sku = rg_drop_call_sku(q);
    uint64_t order = rg_drop_call_order(q);
    if (order != 0) {
        /* SET order NX: a key already there answers "allocated" at once */
        rg_drop_bill(st->run, &rg_drop_cache_op);
        if (rg_orders_find(st->keys[region], order)) {
            rg_drop_reply(q, region, RG_OUT_ALLOCATED);
            return;
        }
        rg_orders_add(st->keys[region], rg_drop_call_client(q), order, sku);
    }
    rg_drop_bill(st->run, &rg_drop_cache_op);
    rg_cache_decrement(st->cache, (size_t)region, (size_t)sku, on_cache_done, q, 0);
}

static void cache_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    (void)store;
    int pop = rg_drop_call_region(q);
    d += rg_places_hop(rg_drop_run_places(r), pop, pop, rg_drop_run_net(r));
    rg_after(rg_drop_run_engine(r), d, RG_PRIO_DEFAULT, on_at_cache, q, 0);
}

static void on_cache_released(rg_engine *e, void *ctx, uint64_t tag, int result)
{
    (void)e;
    (void)tag;
    rg_drop_call *q = ctx;
    rg_drop_run *r = rg_drop_call_run(q);
    const cachestore *st = rg_drop_call_store(q);
    if (result < 0) {
        if (rg_drop_tracing(r))
            rg_drop_trace(r, "sku-%03d: buyer %zu's unit NOT released: the cache node failed",
                          rg_drop_call_sku(q) + 1, rg_drop_call_client(q));
        return;
    }
    rg_orders_release(st->orders, rg_drop_call_client(q), rg_drop_call_sku(q));
    if (rg_drop_tracing(r))
        rg_drop_trace(r, "sku-%03d: buyer %zu's unit back in stock (cache replica)",
                      rg_drop_call_sku(q) + 1, rg_drop_call_client(q));
}

static void on_release_at_cache(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_drop_call *q = ctx;
    const cachestore *st = rg_drop_call_store(q);
    rg_drop_bill(st->run, &rg_drop_cache_op);
    rg_cache_increment(st->cache, (size_t)rg_drop_call_region(q), (size_t)rg_drop_call_sku(q),
                       on_cache_released, q, 0);
}

/* The unit goes back to the replica of the call's region, which
 * replicates the increment like a sale. */
static void cache_release(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    (void)store;
    int pop = rg_drop_call_region(q);
    d += rg_places_hop(rg_drop_run_places(r), pop, pop, rg_drop_run_net(r));
    rg_after(rg_drop_run_engine(r), d, RG_PRIO_DEFAULT, on_release_at_cache, q, 0);
}

static int64_t cache_decremented(const void *store, size_t sku)
{
    const cachestore *st = store;
    /* replicas have converged once the engine ran dry; region 0 is the
     * primary the back office would read */
    return rg_drop_run_stock(st->run) - rg_cache_value(st->cache, 0, sku);
}

static const rg_orders *cache_orders(const void *store)
{
    return ((const cachestore *)store)->orders;
}

const rg_drop_kind rg_drop_kind_cache = {
    .name = "cache",
    .summary = "a replica per region, asynchronous replication",
    .section = "cache",
    .load = cache_load,
    .free_cfg = cache_free_cfg,
    .build = cache_build,
    .route = cache_route,
    .decremented = cache_decremented,
    .free_store = cache_free_store,
    .billable = billable,
    .release = cache_release,
    .orders = cache_orders,
};
