/*
 * primary-t: the primary counter server with asynchronous read replicas
 * (primary.h), driven directly on an engine with constant times so that
 * each result is worked out by hand.
 *
 * Checked: operations at a copy run one at a time in arrival order, each
 * taking effect when it completes; the conditional decrement sells exactly
 * the initial count and never goes below 0; a replica shows a change
 * exactly `lag` after the primary made it and is stale before; changes
 * land in order even when the lags drawn would reorder them (the replica's
 * value never goes back up); the primary reads fresh; copies are
 * independent servers.
 */
#include <stdlib.h>

#include "models/stores/primary.h"
#include "sim/engine/engine.h"
#include "tests/tap/basic.h"

#define MAXOP 256

typedef struct world {
    rg_engine *e;
    rg_primary *p;
    rg_dist *op, *lag;
    int64_t result[MAXOP];
    rg_time at[MAXOP];
    size_t n;
} world;

static rg_dist *dist(const char *text)
{
    rg_err err;
    rg_err_clear(&err);
    rg_dist *d = rg_dist_parse(text, RG_QTY_DURATION, &err);
    if (d == NULL)
        bail("dist '%s': %s", text, err.msg);
    return d;
}

static world *world_new(const char *op, const char *lag, size_t nreplicas, int64_t initial)
{
    world *w = calloc(1, sizeof *w);
    if (w == NULL)
        bail("out of memory");
    w->op = dist(op);
    w->lag = dist(lag);
    rg_primary_params p = {w->op, w->lag};
    w->e = rg_engine_new(11, 0, NULL);
    w->p = rg_primary_new(w->e, &p, nreplicas, 1, initial);
    return w;
}

static void world_free(world *w)
{
    rg_primary_free(w->p);
    rg_engine_free(w->e);
    rg_dist_free(w->op);
    rg_dist_free(w->lag);
    free(w);
}

static void on_result(rg_engine *e, void *ctx, uint64_t tag, int64_t result)
{
    world *w = ctx;
    if (tag >= MAXOP)
        bail("tag out of range");
    w->result[tag] = result;
    w->at[tag] = rg_now(e);
    w->n++;
}

/* arg: tag * 16 + copy * 2 + (1: decrement) */
static void on_issue(rg_engine *e, void *ctx, uint64_t arg)
{
    world *w = ctx;
    (void)e;
    uint64_t tag = arg / 16;
    size_t copy = (size_t)(arg % 16) / 2;
    if (arg & 1)
        rg_primary_decrement(w->p, 0, on_result, w, tag);
    else
        rg_primary_read(w->p, copy, 0, on_result, w, tag);
}

static void decr_at(world *w, rg_time t, int tag)
{
    rg_at(w->e, t, RG_PRIO_DEFAULT, on_issue, w, (uint64_t)tag * 16 + 1);
}

static void read_at(world *w, rg_time t, int tag, size_t copy)
{
    rg_at(w->e, t, RG_PRIO_DEFAULT, on_issue, w, (uint64_t)tag * 16 + copy * 2);
}

static void test_primary(void)
{
    /* 5 decrements at t = 0 of a counter at 3, op 1 ms: they complete at
     * 1, 2, 3, 4, 5 ms; the first three succeed. */
    world *w = world_new("const(1ms)", "const(50ms)", 0, 3);
    for (int k = 0; k < 5; k++)
        decr_at(w, 0, k);
    rg_engine_run(w->e, RG_TIME_MAX, 0);
    bool fifo = true, first3 = true;
    for (int k = 0; k < 5; k++) {
        fifo = fifo && w->at[k] == (k + 1) * RG_MS;
        first3 = first3 && w->result[k] == (k < 3);
    }
    ok(fifo, "one operation at a time: the k-th completes at k ms");
    ok(first3, "conditional decrement: the first 3 of 5 succeed");
    is_int(0, rg_primary_value(w->p, 0, 0), "the counter ends at 0, never below");
    is_int(0, (long long)rg_primary_replicated(w->p), "no replica, nothing replicated");
    world_free(w);
}

static void test_replica(void)
{
    /* Counter 2, one replica, op 1 ms, lag 50 ms.  A decrement at 0
     * completes at 1 ms: the replica shows it at 51 ms.  Replica reads at
     * 10 ms (done 11) and 60 ms (done 61): 2 (stale), then 1.  A primary
     * read at 10 ms (done 11) is fresh: 1.  The replica's server is its
     * own: its read at 10 ms does not queue behind the primary's. */
    world *w = world_new("const(1ms)", "const(50ms)", 1, 2);
    decr_at(w, 0, 0);
    read_at(w, 10 * RG_MS, 1, 1);
    read_at(w, 10 * RG_MS, 2, 0);
    read_at(w, 60 * RG_MS, 3, 1);
    rg_engine_run(w->e, RG_TIME_MAX, 0);
    ok(w->result[0] == 1 && w->at[0] == 1 * RG_MS, "the decrement succeeds at 1 ms");
    ok(w->result[1] == 2 && w->at[1] == 11 * RG_MS, "replica read within the lag: stale 2");
    ok(w->result[2] == 1 && w->at[2] == 11 * RG_MS, "primary read at the same time: fresh 1");
    ok(w->result[3] == 1, "replica read after the lag: 1");
    is_int(1, (long long)rg_primary_replicated(w->p), "one change applied at the replica");
    world_free(w);

    /* Lags drawn from uniform(0, 100 ms), 50 decrements 1 ms apart of a
     * counter at 50: later changes may draw shorter lags, but land in
     * order.  A replica read every 0.5 ms never sees the value go up. */
    w = world_new("const(100us)", "uniform(0, 100ms)", 2, 50);
    for (int k = 0; k < 50; k++)
        decr_at(w, k * RG_MS, k);
    for (int k = 0; k < 200; k++)
        read_at(w, k * 500 * RG_US, 50 + k, 1 + (size_t)(k % 2));
    rg_engine_run(w->e, RG_TIME_MAX, 0);
    bool down[2] = {true, true};
    int64_t last[2] = {50, 50};
    for (int k = 0; k < 200; k++) {
        int r = k % 2;
        down[r] = down[r] && w->result[50 + k] <= last[r];
        last[r] = w->result[50 + k];
    }
    ok(down[0] && down[1], "in-order replication: a replica's value never goes back up");
    ok(rg_primary_value(w->p, 1, 0) == 0 && rg_primary_value(w->p, 2, 0) == 0,
       "after the last change landed, both replicas hold 0");
    is_int(100, (long long)rg_primary_replicated(w->p), "50 changes x 2 replicas applied");
    world_free(w);
}

int main(void)
{
    plan(4 + 8);
    test_primary();
    test_replica();
    return 0;
}
