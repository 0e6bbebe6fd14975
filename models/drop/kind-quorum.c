/*
 * kind-quorum.c: the drop's `quorum` kind: each SKU's stock is one key of
 * a Dynamo-style quorum store (models/stores/quorum.h: N replicas, read
 * and write quorums R and W, a delay per message) whose coordinator runs
 * in `region`.  A purchase travels from its PoP to the coordinator, reads
 * the stock with quorum R and, if it is positive, writes stock - 1 with
 * quorum W (last writer wins by version), then answers: the lost-update
 * anti-pattern of sql_naive, on replicas.
 *
 * What it shows.  Two ways to sell a unit twice, both emerging from the
 * messages:
 *  - R + W <= N (Cassandra's default R = W = 1): a read issued after an
 *    earlier purchase's write completed can still miss it, when its first
 *    R answers come from replicas the write has not reached (PBS):
 *    oversell even when purchases never overlap in time.
 *  - R + W > N (e.g. R = W = 2 of 3) removes that: a read that starts
 *    after a write completed sees it.  But two purchases whose read and
 *    write overlap both read the same stock and both write stock - 1; the
 *    later version wins and one decrement is lost.  A strict quorum is not
 *    a compare-and-set, so a burst still oversells by up to buyers - stock.
 * tests/kind-quorum-t.c builds both by construction.
 *
 * Billing: none.  Declaring quorum_read / quorum_write as billable
 * operations would add two [cost] keys to the price list the drop reads
 * for every kind, whatever the variants use, and so to the resolved
 * scenario text of every drop results file: every shipped drop scenario's
 * results would move.  Bill it once the cost page needs it.
 *
 * The checker reads the newest version any replica holds: once the engine
 * ran dry every replica holds it (no message is lost).
 *
 * Who bought, and idempotency.  A stock write acknowledged by W replicas
 * is a sale the application records (buyer, order id).  A Dynamo-style
 * store offers at most a conditional write on one key (Cassandra's
 * INSERT ... IF NOT EXISTS, per partition: assumption, not in FACTS.md;
 * DynamoDB's single-item conditional write is FACTS.md's), never on two
 * keys at once, and the stock and the order are two keys.  So with
 * idempotency keys the application first writes the order's key if it
 * does not exist, and only then runs its read-then-write of the stock; a
 * purchase that finds no unit deletes the key again (the Redis SET NX
 * recipe of kind-cache.c, on a quorum store).  The conditional write is
 * modelled as one quorum write round on the order's key, decided when the
 * coordinator issues it (assumptions: a lightweight transaction
 * serialises the key, as Paxos does, and costs one round here;
 * Cassandra's takes several).  What it dedupes: a retry whose order key
 * exists is answered "allocated" and touches no stock.  What it cannot:
 *  - the stock's read-then-write is as unconditional as without keys:
 *    concurrent purchases still lose updates and oversell;
 *  - the key says "an attempt started", not "a unit was sold": a retry
 *    that arrives while its original is still reading the stock is told
 *    "allocated", and if the original then finds no unit the buyer was
 *    told "yours" and holds nothing (told_yours_empty);
 *  - under sloppy quorums (a partition, hinted handoff) two coordinators
 *    can both see the key absent; this store has no partitions, so that
 *    is not shown.
 */
#include <stdlib.h>

#include "models/drop/kind.h"
#include "models/stores/quorum.h"

typedef struct qcfg {
    rg_quorum_cfg qc;
    int region; /* the coordinator's, with the replicas */
} qcfg;

typedef struct qstore {
    rg_drop_run *run;
    const qcfg *cfg;
    rg_quorum *q;
    /* Who bought: a write acknowledged by W replicas is a sale the
     * application records. */
    rg_orders *orders;
    /* With idempotency keys: the order keys that exist (one entry per key
     * written and not deleted), and the store's key they are written to
     * (one key: only its messages' delays matter), made at the first key. */
    rg_orders *keys;
    rg_quorum *kq;
    /* the run's, looked up once */
    rg_engine *e;
    const rg_places *pl;
    gsl_rng *net;
} qstore;

/* One purchase's state (the kind's call data). */
typedef struct qcall {
    qstore *st;
    rg_drop_call *q;
    int sku;
} qcall;

static int quorum_load(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    qcfg *c = rg_xcalloc(1, sizeof *c);
    *cfg = c;
    if (rg_quorum_load(s, sec, "quorum", &c->qc, e) < 0)
        return -1;
    return rg_drop_load_region(s, pl, sec, "quorum", "region", pl->name[0], false, &c->region, e);
}

static void quorum_free_cfg(void *p)
{
    qcfg *c = p;
    if (c == NULL)
        return;
    rg_quorum_cfg_free(&c->qc);
    free(c);
}

static void *quorum_build(const void *cfg, rg_drop_run *r)
{
    const qcfg *c = cfg;
    qstore *st = rg_xcalloc(1, sizeof *st);
    st->run = r;
    st->cfg = c;
    st->e = rg_drop_run_engine(r);
    st->pl = rg_drop_run_places(r);
    st->net = rg_drop_run_net(r);
    st->q = rg_quorum_new(st->e, &c->qc.p, rg_drop_run_skus(r), rg_drop_run_stock(r), st->net);
    st->orders = rg_orders_new();
    return st;
}

static void quorum_free_store(void *p)
{
    qstore *st = p;
    if (st == NULL)
        return;
    rg_quorum_free(st->q);
    rg_orders_free(st->orders);
    rg_orders_free(st->keys);
    rg_quorum_free(st->kq);
    free(st);
}

static int64_t quorum_decremented(const void *store, size_t sku)
{
    const qstore *st = store;
    return rg_drop_run_stock(st->run) - rg_quorum_newest(st->q, sku, NULL);
}

static void on_written(rg_engine *e, void *ctx, uint64_t tag, const rg_quorum_res *res)
{
    (void)e;
    (void)tag;
    qcall *c = ctx;
    if (res->value == 0)
        rg_drop_stock_zero(c->st->run, c->sku, "quorum");
    /* recorded, not checked: a retry's order id may already be there */
    rg_orders_add(c->st->orders, rg_drop_call_client(c->q), rg_drop_call_order(c->q), c->sku);
    rg_drop_reply(c->q, c->st->cfg->region, RG_OUT_ALLOCATED);
}

static void on_read(rg_engine *e, void *ctx, uint64_t tag, const rg_quorum_res *res)
{
    (void)e;
    (void)tag;
    qcall *c = ctx;
    qstore *st = c->st;
    if (rg_drop_tracing(st->run))
        rg_drop_trace(st->run, "quorum: buyer %zu reads sku-%03d = %lld (v%llu)%s",
                      rg_drop_call_client(c->q), c->sku + 1, (long long)res->value,
                      (unsigned long long)res->version, res->value > 0 ? ", writes one less" : "");
    if (res->value <= 0) {
        /* no unit: the order's key is deleted (not waited for) */
        if (rg_drop_call_order(c->q) != 0)
            rg_orders_release(st->keys, rg_drop_call_client(c->q), c->sku);
        rg_drop_reply(c->q, st->cfg->region, RG_OUT_SOLD_OUT);
        return;
    }
    /* unconditional: nothing checks that the version read is still the newest */
    rg_quorum_write(st->q, (size_t)c->sku, res->value - 1, on_written, c, 0);
}

/* The conditional write of the order's key is acknowledged (tag: 1 if
 * the key existed, so nothing was written). */
static void on_key_written(rg_engine *e, void *ctx, uint64_t tag, const rg_quorum_res *res)
{
    (void)e;
    (void)res;
    qcall *c = ctx;
    qstore *st = c->st;
    if (tag) {
        if (rg_drop_tracing(st->run))
            rg_drop_trace(st->run,
                          "quorum: buyer %zu's order key exists: \"allocated\", no stock read",
                          rg_drop_call_client(c->q));
        rg_drop_reply(c->q, st->cfg->region, RG_OUT_ALLOCATED);
        return;
    }
    rg_quorum_read(st->q, (size_t)c->sku, on_read, c, 0);
}

static void on_at_coordinator(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    qcall *c = ctx;
    qstore *st = c->st;
    uint64_t order = rg_drop_call_order(c->q);
    if (order == 0) {
        rg_quorum_read(st->q, (size_t)c->sku, on_read, c, 0);
        return;
    }
    /* INSERT order IF NOT EXISTS: decided as the coordinator issues it */
    if (st->keys == NULL) {
        st->keys = rg_orders_new();
        st->kq = rg_quorum_new(st->e, &st->cfg->qc.p, 1, 0, st->net);
    }
    bool exists = rg_orders_find(st->keys, order);
    if (!exists)
        rg_orders_add(st->keys, rg_drop_call_client(c->q), order, c->sku);
    rg_quorum_write(st->kq, 0, 1, on_key_written, c, exists);
}

static void quorum_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    qstore *st = store;
    (void)r;
    qcall *c = rg_drop_call_data(q);
    c->st = st;
    c->q = q;
    c->sku = rg_drop_call_sku(q);
    d += rg_places_hop(st->pl, rg_drop_call_region(q), st->cfg->region, st->net);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_coordinator, c, 0);
}

static const rg_orders *quorum_orders(const void *store)
{
    return ((const qstore *)store)->orders;
}

const rg_drop_kind rg_drop_kind_quorum = {
    .name = "quorum",
    .summary = "N replicas, read quorum R then write quorum W of stock - 1 (lost updates)",
    .section = "quorum",
    .load = quorum_load,
    .free_cfg = quorum_free_cfg,
    .build = quorum_build,
    .route = quorum_route,
    .decremented = quorum_decremented,
    .free_store = quorum_free_store,
    .billable = NULL, /* see the top of the file */
    .call_size = sizeof(qcall),
    .orders = quorum_orders,
    .fault_gaps = RG_DROP_FAULT_PARTITION,
};
