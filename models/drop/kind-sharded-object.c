/*
 * kind-sharded-object.c: the drop's `sharded_object` kind: the stock of a
 * hot SKU split across `shards` single-threaded objects (object.h), each
 * deciding alone (decrement if positive: none oversells), behind a router
 * in the edge worker at the buyer's PoP:
 *
 *   router = random       a shard drawn per request ("router" stream)
 *            session      a shard per buyer: a hash of the buyer's session
 *                         (salted per replication), so retries stick
 *            round_robin  each PoP deals a SKU's requests to its shards in
 *                         turn (a counter per PoP and SKU: PoPs share none)
 *   on_empty = lost_sale  the shard's "sold out" is the answer
 *              fallback   the router tries the next shard (another round
 *                         trip from the PoP), up to `shards` tries
 *
 * Shard i of a SKU holds stock / shards units, plus one for i < stock mod
 * shards.  With lost_sale a shard that runs dry refuses its buyers while
 * other shards still hold units: the checker's lost_sales (units left while
 * buyers were told sold out) comes from that imbalance, never from a
 * formula.  fallback sells them at the price of extra round trips.
 *
 * Object parameters and `region` come from [object] (as for `object`; a
 * shard lives near its first request unless pinned); the kind's own keys
 * from [sharded_object].
 *
 * Who bought, and idempotency.  A shard records each unit it allocates
 * (buyer, order id) in its handler, with the decrement: the same durable
 * write.  With idempotency keys each shard keeps its own table of answered
 * orders, as `object` does, and answers a retry of an order it allocated
 * with "allocated", writing nothing.  A shard knows only its own table: a
 * retry dedupes only if the router sends it to the shard that sold the
 * original.  router = session does (a buyer's requests stick to one
 * shard); random and round_robin send a retry to another shard as often
 * as not, which sells the buyer a second unit (dup_units), and so does
 * on_empty = fallback when the original's shard ran dry meanwhile and the
 * retry walks on.  (A router that hashed the order id would stick too; the
 * routers here route buyers, as the stories' design did.)
 */
#include <stdint.h>
#include <stdlib.h>

#include "models/drop/kind.h"
#include "models/mech/mparam.h"
#include "models/stores/object.h"
#include "sim/engine/rstream.h"

enum { R_RANDOM, R_SESSION, R_ROUND_ROBIN };

typedef struct shcfg {
    rg_object_cfg obj;
    int region; /* -1: near the first request */
    int64_t shards;
    int router;
    bool fallback;
} shcfg;

/* One shard's state: what its object's application sees. */
typedef struct shard {
    struct shstore *st;
    int64_t stock;
    int sku;
    size_t index;    /* within its SKU */
    rg_orders *seen; /* this shard's answered orders (made at its first key) */
} shard;

typedef struct shstore {
    const shcfg *cfg;
    rg_drop_run *run;
    size_t k;      /* shards per SKU */
    size_t n;      /* objects: SKUs x k; object sku * k + i is shard i */
    int64_t stock; /* initial, per SKU */
    rg_object **obj;
    shard *sh;
    int *region;     /* -1 until its first request */
    uint64_t *rr;    /* round_robin: next shard, per PoP and SKU */
    uint64_t salt;   /* session: this replication's session ids */
    gsl_rng *router; /* random, session */
    /* the run's, looked up once: every request uses them */
    rg_engine *e;
    const rg_places *pl;
    gsl_rng *net;
    /* Who bought: every shard's allocations, for the checker. */
    rg_orders *orders;
} shstore;

/* One call's state (the kind's call data). */
typedef struct shcall {
    shstore *st;
    rg_drop_call *q;
    size_t first; /* the shard the router picked */
    size_t tries; /* shards asked so far, minus one */
} shcall;

static int sh_load(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    static const char *const routers[] = {"random", "session", "round_robin", NULL};
    static const char *const empties[] = {"lost_sale", "fallback", NULL};
    shcfg *c = rg_xcalloc(1, sizeof *c);
    int oe;
    *cfg = c;
    /* Four shards, a random router and no fallback: assumptions, the
     * simplest split a team would try first. */
    if (rg_object_load(s, sec, "object", "hibernated", &c->obj, e) < 0 ||
        rg_drop_load_region(s, pl, sec, "object", "region", "near_first", true, &c->region, e) <
            0 ||
        mp_int(s, sec, "sharded_object", "shards", "4", 1, 1024, &c->shards, e) < 0 ||
        mp_enum(s, sec, "sharded_object", "router", "random", routers, &c->router, e) < 0 ||
        mp_enum(s, sec, "sharded_object", "on_empty", "lost_sale", empties, &oe, e) < 0)
        return -1;
    c->fallback = oe == 1;
    return 0;
}

static void sh_free_cfg(void *p)
{
    shcfg *c = p;
    if (c == NULL)
        return;
    rg_object_cfg_free(&c->obj);
    free(c);
}

/* The shard's application: allocate one unit if this shard has one (arg:
 * the call's shcall). */
static int sh_handler(void *state, uint64_t arg, bool *wrote)
{
    shard *s = state;
    shstore *st = s->st;
    const shcall *c = (const shcall *)(uintptr_t)arg;
    uint64_t order = rg_drop_call_order(c->q);
    if (s->seen != NULL && rg_orders_find(s->seen, order))
        return 1; /* a retry this shard sold: the original answer, nothing written */
    if (s->stock <= 0)
        return 0;
    s->stock--;
    *wrote = true;
    rg_drop_bill(st->run, &rg_drop_object_write);
    size_t client = rg_drop_call_client(c->q);
    rg_orders_add(st->orders, client, order, s->sku);
    if (order != 0) {
        if (s->seen == NULL)
            s->seen = rg_orders_new();
        rg_orders_add(s->seen, client, order, s->sku);
    }
    if (s->stock > 0 || !rg_drop_tracing(st->run))
        return 1;
    /* the SKU is sold out only when every shard is */
    int64_t left = 0;
    for (size_t i = 0; i < st->k; i++)
        left += st->sh[(size_t)s->sku * st->k + i].stock;
    if (left == 0)
        rg_drop_stock_zero(st->run, s->sku, "every shard");
    else
        rg_drop_trace(st->run, "sku-%03d: shard %zu dry, %lld unit%s left in other shards",
                      s->sku + 1, s->index, (long long)left, left == 1 ? "" : "s");
    return 1;
}

/* Memory estimate (kind.h): per object its record and first queues, its
 * shard, its pointer and its region. */
static uint64_t sh_store_bytes(const void *cfg, size_t buyers, size_t skus)
{
    const shcfg *c = cfg;
    (void)c;
    (void)buyers;
    (void)skus;
    return (uint64_t)(skus * (size_t)c->shards) *
           (rg_object_bytes(false) + sizeof(shard) + sizeof(void *) + sizeof(int));
}

static void *sh_build(const void *cfg, rg_drop_run *r)
{
    const shcfg *c = cfg;
    shstore *st = rg_xcalloc(1, sizeof *st);
    st->orders = rg_orders_new();
    size_t skus = rg_drop_run_skus(r);
    st->cfg = c;
    st->run = r;
    st->e = rg_drop_run_engine(r);
    st->pl = rg_drop_run_places(r);
    st->net = rg_drop_run_net(r);
    st->stock = rg_drop_run_stock(r);
    st->k = (size_t)c->shards;
    st->n = skus * st->k;
    st->obj = rg_xcalloc(st->n, sizeof *st->obj);
    st->sh = rg_xcalloc(st->n, sizeof *st->sh);
    st->region = rg_xcalloc(st->n, sizeof *st->region);
    for (size_t j = 0; j < st->n; j++) {
        size_t i = j % st->k;
        st->region[j] = -1;
        st->sh[j] = (shard){st, st->stock / c->shards + ((int64_t)i < st->stock % c->shards),
                            (int)(j / st->k), i, NULL};
        st->obj[j] = rg_object_new(st->e, &c->obj.p, sh_handler, &st->sh[j]);
    }
    /* The router's stream exists only for this kind: other kinds' draws
     * do not move. */
    if (c->router == R_RANDOM || c->router == R_SESSION)
        st->router = rg_engine_stream(st->e, "router");
    if (c->router == R_SESSION)
        st->salt = gsl_rng_get(st->router);
    if (c->router == R_ROUND_ROBIN)
        st->rr = rg_xcalloc(st->pl->n * skus, sizeof *st->rr);
    return st;
}

static void sh_free_store(void *p)
{
    shstore *st = p;
    if (st == NULL)
        return;
    for (size_t j = 0; j < st->n; j++) {
        rg_object_free(st->obj[j]);
        rg_orders_free(st->sh[j].seen);
    }
    free(st->obj);
    free(st->sh);
    free(st->region);
    free(st->rr);
    rg_orders_free(st->orders);
    free(st);
}

/* The router's choice of a first shard for call q. */
static size_t pick(shstore *st, const rg_drop_call *q)
{
    size_t sku = (size_t)rg_drop_call_sku(q);
    switch (st->cfg->router) {
    case R_RANDOM: return (size_t)gsl_rng_uniform_int(st->router, st->k);
    case R_SESSION: return (size_t)(rg_splitmix64(st->salt ^ rg_drop_call_client(q)) % st->k);
    default: {
        uint64_t *next = &st->rr[(size_t)rg_drop_call_region(q) * rg_drop_run_skus(st->run) + sku];
        return (size_t)((*next)++ % st->k);
    }
    }
}

/* The object call c is bound for now. */
static size_t object_of(const shcall *c)
{
    return (size_t)rg_drop_call_sku(c->q) * c->st->k + (c->first + c->tries) % c->st->k;
}

static void on_at_shard(rg_engine *e, void *ctx, uint64_t arg);

/* Sends call c from its PoP to its current shard, `d` from now. */
static void send_to_shard(shcall *c, rg_time d)
{
    shstore *st = c->st;
    size_t j = object_of(c);
    int pop = rg_drop_call_region(c->q);
    if (st->region[j] < 0) /* created near its first request unless pinned */
        st->region[j] = st->cfg->region >= 0 ? st->cfg->region : pop;
    d += rg_places_hop(st->pl, pop, st->region[j], st->net);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_shard, c, 0);
}

static void on_shard_reply(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    (void)tag;
    shcall *c = ctx;
    shstore *st = c->st;
    int where = st->region[object_of(c)];
    if (!overloaded && code == 0 && st->cfg->fallback && c->tries + 1 < st->k) {
        /* the refusal travels back to the router, which asks the next shard */
        rg_time back = rg_places_hop(st->pl, where, rg_drop_call_region(c->q), st->net);
        c->tries++;
        send_to_shard(c, back);
        return;
    }
    rg_drop_reply(c->q, where,
                  overloaded ? RG_OUT_OVERLOADED
                  : code     ? RG_OUT_ALLOCATED
                             : RG_OUT_SOLD_OUT);
}

static void on_at_shard(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    shcall *c = ctx;
    rg_drop_bill(c->st->run, &rg_drop_object_request);
    rg_object_call(c->st->obj[object_of(c)], (uint64_t)(uintptr_t)c, on_shard_reply, c, 0);
}

static void sh_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    shstore *st = store;
    (void)r;
    shcall *c = rg_drop_call_data(q);
    c->st = st;
    c->q = q;
    c->tries = 0;
    c->first = pick(st, q);
    send_to_shard(c, d);
}

static int64_t sh_decremented(const void *store, size_t sku)
{
    const shstore *st = store;
    int64_t left = 0;
    for (size_t i = 0; i < st->k; i++)
        left += st->sh[sku * st->k + i].stock;
    return st->stock - left;
}

static const rg_billable *const billable[] = {&rg_drop_object_request, &rg_drop_object_write, NULL};

static const rg_orders *sh_orders(const void *store)
{
    return ((const shstore *)store)->orders;
}

const rg_drop_kind rg_drop_kind_sharded_object = {
    .name = "sharded_object",
    .summary = "a SKU's stock split over N objects behind a router",
    .section = "sharded_object",
    .load = sh_load,
    .free_cfg = sh_free_cfg,
    .build = sh_build,
    .store_bytes = sh_store_bytes,
    .route = sh_route,
    .decremented = sh_decremented,
    .free_store = sh_free_store,
    .billable = billable,
    .call_size = sizeof(shcall),
    .orders = sh_orders,
    .fault_gaps = RG_DROP_FAULT_OBJECT | RG_DROP_FAULT_PARTITION,
};
