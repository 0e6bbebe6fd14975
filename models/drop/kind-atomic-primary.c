/*
 * kind-atomic-primary.c: the drop's `atomic_primary` kind: the stock of
 * every SKU on one primary in one region (`region`, default the first of
 * [network] regions), decremented by an atomic conditional operation (a
 * Redis DECR in a Lua script, a DynamoDB conditional UpdateItem: primary.h).
 * The application runs in the edge worker at the buyer's PoP; every sale
 * pays the round trip from there to the primary's region, and nothing can
 * oversell.
 *
 * Read replicas (`replicas`: a count N, the first N regions other than
 * the primary's in [network] order, or a list of region names) serve one
 * thing only: the stock pre-check (`precheck = true`), a read from the
 * copy nearest the PoP (by RTT; the primary counts as a copy) before the
 * decrement.  A read of 0 or less turns the buyer away at once; otherwise
 * the primary decides.  Reads never decide a sale, so the pre-check cannot
 * oversell; since stock only goes down here, a replica is never below the
 * primary: a stale read can only say "available" (a wasted trip, the
 * primary still refuses), never a false "sold out".  Without the pre-check
 * replicas would do nothing, so listing them without it is an error.
 *
 * Keys come from [atomic_primary].  Operations are billed as managed Redis
 * operations (the cache kind's), reads and decrements alike.
 *
 * Who bought, and idempotency.  The decrement records the buyer and the
 * order id in the same atomic operation: a Lua script that DECRs and SADDs
 * the order (Redis runs a script alone: assumption, not in FACTS.md), or a
 * DynamoDB TransactWriteItems that decrements under `stock > 0` and puts
 * the order under attribute_not_exists (conditions: FACTS.md, conditional
 * writes; one transaction over both items: assumption).  With idempotency
 * keys the operation looks the order up first and, if it is there, answers
 * "allocated" and changes nothing.  The primary runs its operations one at
 * a time in arrival order (primary.h), and only an operation of the same
 * order changes whether that order is recorded, so the lookup can be made
 * when the operation is queued, provided the operations of that order
 * already queued ahead of it are counted: a retry queued behind its
 * original becomes an operation that takes the primary's time (a read) and
 * answers, when its turn comes, with what the original did: "allocated" if
 * the order is recorded, else "sold out" (the original found no unit, and
 * stock here only goes down).  So a retry allocates at most once, whenever
 * it arrives.  What it cannot dedupe: the pre-check reads the stock on a
 * replica, not the orders, so a retry whose original took the last unit is
 * turned away by the pre-check with "sold out" although its buyer holds the
 * unit (told_soldout_held).
 */
#include <stdlib.h>
#include <string.h>

#include "models/drop/kind.h"
#include "models/mech/mparam.h"
#include "models/stores/primary.h"

typedef struct apcfg {
    rg_dist *op, *lag;
    int region;                  /* the primary's */
    int replica[RG_MAX_REGIONS]; /* replica i's region */
    size_t nreplicas;
    bool precheck;
    size_t nearest[RG_MAX_REGIONS]; /* per PoP: the copy its pre-check reads */
} apcfg;

typedef struct apstore {
    const apcfg *cfg;
    rg_drop_run *run;
    rg_primary *p;
    /* the run's, looked up once: every request uses them */
    rg_engine *e;
    const rg_places *pl;
    gsl_rng *net;
    /* Who bought: recorded by the operation that decrements. */
    rg_orders *orders;
    /* Order ids of the operations queued at the primary (with keys only),
     * one entry per operation: a short list, scanned. */
    uint64_t *queued;
    size_t nqueued, capqueued;
} apstore;

/* One call's state (the kind's call data). */
typedef struct apcall {
    apstore *st;
    rg_drop_call *q;
    size_t copy; /* the copy its pre-check reads */
} apcall;

/* The region of copy c (0: the primary). */
static int copy_region(const apcfg *c, size_t copy)
{
    return copy == 0 ? c->region : c->replica[copy - 1];
}

/* Parses `replicas`: "" (none), a count, or a list of region names. */
static int load_replicas(rg_scn *s, const char *sec, const rg_places *pl, apcfg *c, rg_err *e)
{
    const char *text;
    if (mp_str(s, sec, "atomic_primary", "replicas", "", &text, e) < 0)
        return -1;
    const char *where = rg_scn_has(s, sec, "replicas") ? sec : "atomic_primary";
    size_t len = strlen(text);
    if (len > 0 && strspn(text, "0123456789") == len) {
        long n = strtol(text, NULL, 10);
        if (n < 0 || (size_t)n >= pl->n)
            return rg_scn_err(s, where, "replicas", e,
                              "%s replicas: only %zu other region%s in [network]", text, pl->n - 1,
                              pl->n == 2 ? "" : "s");
        for (size_t r = 0; r < pl->n && c->nreplicas < (size_t)n; r++)
            if ((int)r != c->region)
                c->replica[c->nreplicas++] = (int)r;
        return 0;
    }
    for (const char *q = text; *q;) {
        q += strspn(q, " ,");
        size_t n = strcspn(q, " ,");
        if (n == 0)
            break;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)n, q);
        q += n;
        int r = rg_places_find(pl, name);
        if (r < 0)
            return rg_scn_err(s, where, "replicas", e, "'%s' is not one of [network] regions",
                              name);
        if (r == c->region)
            return rg_scn_err(s, where, "replicas", e, "'%s' is the primary's region", name);
        for (size_t i = 0; i < c->nreplicas; i++)
            if (c->replica[i] == r)
                return rg_scn_err(s, where, "replicas", e, "'%s' is listed twice", name);
        c->replica[c->nreplicas++] = r;
    }
    return 0;
}

static int ap_load(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    static const char *const bools[] = {"false", "true", NULL};
    apcfg *c = rg_xcalloc(1, sizeof *c);
    int pre;
    *cfg = c;
    /* A Redis-like op ~0.1 ms (assumption, as the cache kind's); replicas
     * behind by "generally under 1 s" (ElastiCache Global Datastore,
     * FACTS.md), as the cache kind's lag. */
    if (rg_drop_load_region(s, pl, sec, "atomic_primary", "region", pl->name[0], false, &c->region,
                            e) < 0 ||
        mp_dist(s, sec, "atomic_primary", "op", "const(100us)", RG_QTY_DURATION, &c->op, e) < 0 ||
        load_replicas(s, sec, pl, c, e) < 0 ||
        mp_enum(s, sec, "atomic_primary", "precheck", "false", bools, &pre, e) < 0)
        return -1;
    c->precheck = pre == 1;
    if (c->nreplicas > 0 && !c->precheck)
        return rg_scn_err(s, rg_scn_has(s, sec, "replicas") ? sec : "atomic_primary", "replicas", e,
                          "replicas serve only the stock pre-check: set precheck = true");
    if (c->nreplicas > 0 &&
        mp_dist(s, sec, "atomic_primary", "lag", "lognormal(median=300ms, p99=1s)", RG_QTY_DURATION,
                &c->lag, e) < 0)
        return -1;
    /* Each PoP reads the copy with the smallest RTT from it (the primary
     * first among equals, then replicas in order). */
    for (size_t pop = 0; pop < pl->n; pop++)
        for (size_t k = 1; k <= c->nreplicas; k++)
            if (pl->rtt[pop][copy_region(c, k)] < pl->rtt[pop][copy_region(c, c->nearest[pop])])
                c->nearest[pop] = k;
    return 0;
}

static void ap_free_cfg(void *p)
{
    apcfg *c = p;
    if (c == NULL)
        return;
    rg_dist_free(c->op);
    rg_dist_free(c->lag);
    free(c);
}

static void *ap_build(const void *cfg, rg_drop_run *r)
{
    const apcfg *c = cfg;
    apstore *st = rg_xcalloc(1, sizeof *st);
    st->orders = rg_orders_new();
    st->cfg = c;
    st->run = r;
    st->e = rg_drop_run_engine(r);
    st->pl = rg_drop_run_places(r);
    st->net = rg_drop_run_net(r);
    rg_primary_params pp = {c->op, c->lag};
    st->p = rg_primary_new(st->e, &pp, c->nreplicas, rg_drop_run_skus(r), rg_drop_run_stock(r));
    return st;
}

static void ap_free_store(void *p)
{
    apstore *st = p;
    if (st == NULL)
        return;
    rg_primary_free(st->p);
    rg_orders_free(st->orders);
    free(st->queued);
    free(st);
}

/* Whether an operation of `order` is queued at the primary. */
static bool is_queued(const apstore *st, uint64_t order)
{
    for (size_t i = 0; i < st->nqueued; i++)
        if (st->queued[i] == order)
            return true;
    return false;
}

static void queue_order(apstore *st, uint64_t order)
{
    if (st->nqueued == st->capqueued) {
        st->capqueued = st->capqueued ? 2 * st->capqueued : 16;
        st->queued = rg_xrealloc(st->queued, st->capqueued * sizeof *st->queued);
    }
    st->queued[st->nqueued++] = order;
}

/* An operation of `order` left the primary: one entry goes. */
static void unqueue_order(apstore *st, uint64_t order)
{
    for (size_t i = 0; i < st->nqueued; i++)
        if (st->queued[i] == order) {
            st->queued[i] = st->queued[--st->nqueued];
            return;
        }
}

static void on_decremented(rg_engine *e, void *ctx, uint64_t tag, int64_t result)
{
    (void)e;
    (void)tag;
    apcall *c = ctx;
    int sku = rg_drop_call_sku(c->q);
    uint64_t order = rg_drop_call_order(c->q);
    if (order != 0)
        unqueue_order(c->st, order);
    if (result && rg_primary_value(c->st->p, 0, (size_t)sku) == 0)
        rg_drop_stock_zero(c->st->run, sku, "primary");
    if (result)
        rg_orders_add(c->st->orders, rg_drop_call_client(c->q), order, sku);
    rg_drop_reply(c->q, c->st->cfg->region, result ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
}

/* A retry's operation had its turn at the primary (result: the stock). */
static void on_replayed(rg_engine *e, void *ctx, uint64_t tag, int64_t result)
{
    (void)tag;
    apcall *c = ctx;
    uint64_t order = rg_drop_call_order(c->q);
    unqueue_order(c->st, order);
    bool had = rg_orders_find(c->st->orders, order);
    /* the original found no unit: none has appeared since */
    RG_ENGINE_ASSERT(e, had || result <= 0);
    rg_drop_reply(c->q, c->st->cfg->region, had ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
}

static void on_at_primary(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    apcall *c = ctx;
    apstore *st = c->st;
    size_t sku = (size_t)rg_drop_call_sku(c->q);
    uint64_t order = rg_drop_call_order(c->q);
    rg_drop_bill(st->run, &rg_drop_cache_op);
    if (order == 0) {
        rg_primary_decrement(st->p, sku, on_decremented, c, 0);
        return;
    }
    bool seen = rg_orders_find(st->orders, order) || is_queued(st, order);
    queue_order(st, order);
    if (seen)
        rg_primary_read(st->p, 0, sku, on_replayed, c, 0);
    else
        rg_primary_decrement(st->p, sku, on_decremented, c, 0);
}

/* Sends call c from its PoP to the primary, `d` from now. */
static void to_primary(apcall *c, rg_time d)
{
    apstore *st = c->st;
    d += rg_places_hop(st->pl, rg_drop_call_region(c->q), st->cfg->region, st->net);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_primary, c, 0);
}

/* The pre-check's read is back at the PoP (arg: the value read). */
static void on_read_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    apcall *c = ctx;
    if ((int64_t)arg <= 0)
        rg_drop_reply_after(c->q, 0, RG_OUT_SOLD_OUT); /* the edge worker answers */
    else
        to_primary(c, 0);
}

static void on_read(rg_engine *e, void *ctx, uint64_t tag, int64_t value)
{
    (void)tag;
    apcall *c = ctx;
    const apstore *st = c->st;
    rg_time back =
        rg_places_hop(st->pl, copy_region(st->cfg, c->copy), rg_drop_call_region(c->q), st->net);
    rg_after(e, back, RG_PRIO_DEFAULT, on_read_back, c, value > 0 ? (uint64_t)value : 0);
}

static void on_at_copy(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    apcall *c = ctx;
    rg_drop_bill(c->st->run, &rg_drop_cache_op);
    rg_primary_read(c->st->p, c->copy, (size_t)rg_drop_call_sku(c->q), on_read, c, 0);
}

static void ap_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    apstore *st = store;
    (void)r;
    apcall *c = rg_drop_call_data(q);
    int pop = rg_drop_call_region(q);
    c->st = st;
    c->q = q;
    if (!st->cfg->precheck) {
        to_primary(c, d);
        return;
    }
    c->copy = st->cfg->nearest[pop];
    d += rg_places_hop(st->pl, pop, copy_region(st->cfg, c->copy), st->net);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_copy, c, 0);
}

static int64_t ap_decremented(const void *store, size_t sku)
{
    const apstore *st = store;
    return rg_drop_run_stock(st->run) - rg_primary_value(st->p, 0, sku);
}

static const rg_billable *const billable[] = {&rg_drop_cache_op, NULL};

static const rg_orders *ap_orders(const void *store)
{
    return ((const apstore *)store)->orders;
}

const rg_drop_kind rg_drop_kind_atomic_primary = {
    .name = "atomic_primary",
    .summary = "one primary, an atomic conditional decrement; replicas for a pre-check",
    .section = "atomic_primary",
    .load = ap_load,
    .free_cfg = ap_free_cfg,
    .build = ap_build,
    .route = ap_route,
    .decremented = ap_decremented,
    .free_store = ap_free_store,
    .billable = billable,
    .call_size = sizeof(apcall),
    .orders = ap_orders,
    .fault_gaps = RG_DROP_FAULT_DB | RG_DROP_FAULT_PARTITION,
};
