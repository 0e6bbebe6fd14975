/*
 * cache-t: the regional cache with asynchronous replication (cache.h),
 * driven directly on an engine with a constant operation time and a constant
 * replication lag, so that each result and replica value is known by hand.
 *
 * Checked: a replica is a FIFO single server whose check-and-decrement is
 * atomic locally (stock 2, three requests: two succeed); delta replication:
 * two regions holding the last unit both sell it at the same moment
 * (oversell 1) and both replicas converge to -1 once the lag has passed; a
 * sale in the other region after the lag sees 0 and is refused, one within
 * the lag is accepted (the oversell window); with a zero lag, sales that are
 * not simultaneous see each other; state replication ("set to v", last
 * writer wins) loses a decrement: two sales, the replicas show one, and
 * replicas that received concurrent writes agree on the last one written;
 * an increment (a unit given back) is applied locally at once and sold
 * elsewhere only after it replicated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/stores/cache.h"
#include "sim/engine/engine.h"
#include "tests/tap/basic.h"

#define MAXOP 32
#define MAXPROBE 16

typedef struct world {
    rg_engine *e;
    rg_cache *c;
    rg_dist *op, *lag;
    size_t nreg;
    /* sales: region and time in, result and time out */
    size_t region[MAXOP];
    bool give[MAXOP]; /* an increment (a unit given back), not a sale */
    int result[MAXOP];
    rg_time done[MAXOP];
    bool answered[MAXOP];
    size_t nops;
    /* probes: replica values at chosen times */
    int64_t probe[MAXPROBE][4];
    size_t nprobes;
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

static world *world_new(const char *op, const char *lag, rg_cache_mode mode, size_t nreg,
                        int64_t stock)
{
    world *w = calloc(1, sizeof *w);
    if (w == NULL)
        bail("out of memory");
    w->op = dist(op);
    w->lag = dist(lag);
    rg_cache_params p = {w->op, w->lag, mode};
    w->e = rg_engine_new(3, 0, NULL);
    w->c = rg_cache_new(w->e, &p, nreg, 1, stock);
    w->nreg = nreg;
    return w;
}

static void world_free(world *w)
{
    rg_cache_free(w->c);
    rg_engine_free(w->e);
    rg_dist_free(w->op);
    rg_dist_free(w->lag);
    free(w);
}

static void on_done(rg_engine *e, void *ctx, uint64_t tag, int result)
{
    world *w = ctx;
    w->result[tag] = result;
    w->done[tag] = rg_now(e);
    w->answered[tag] = true;
}

static void on_sell(rg_engine *e, void *ctx, uint64_t arg)
{
    world *w = ctx;
    (void)e;
    if (w->give[arg])
        rg_cache_increment(w->c, w->region[arg], 0, on_done, w, arg);
    else
        rg_cache_decrement(w->c, w->region[arg], 0, on_done, w, arg);
}

/* A sale in `region` at time t; returns its index. */
static size_t sell(world *w, rg_time t, size_t region)
{
    size_t i = w->nops++;
    w->region[i] = region;
    rg_at(w->e, t, RG_PRIO_DEFAULT, on_sell, w, i);
    return i;
}

/* A unit given back in `region` at time t; returns its index. */
static size_t give(world *w, rg_time t, size_t region)
{
    size_t i = sell(w, t, region);
    w->give[i] = true;
    return i;
}

static void on_probe(rg_engine *e, void *ctx, uint64_t arg)
{
    world *w = ctx;
    (void)e;
    for (size_t r = 0; r < w->nreg; r++)
        w->probe[arg][r] = rg_cache_value(w->c, r, 0);
}

/* Records every replica's value at time t (after the events already
 * scheduled for t); returns the probe's index. */
static size_t probe(world *w, rg_time t)
{
    size_t i = w->nprobes++;
    rg_at(w->e, t, RG_PRIO_MAX, on_probe, w, i);
    return i;
}

static void run(world *w)
{
    rg_engine_run(w->e, RG_TIME_MAX, 0);
}

static void test_single_server(void)
{
    /* one region, stock 2, op 1 ms, three requests at t = 0: FIFO single
     * server, results at 1, 2, 3 ms; the third finds 0 */
    world *w = world_new("const(1ms)", "const(50ms)", RG_CACHE_DELTA, 1, 2);
    for (int k = 0; k < 3; k++)
        sell(w, 0, 0);
    run(w);
    ok(w->done[0] == 1 * RG_MS && w->done[1] == 2 * RG_MS && w->done[2] == 3 * RG_MS,
       "one replica: operations one at a time, done at 1, 2, 3 ms");
    ok(w->result[0] == 1 && w->result[1] == 1 && w->result[2] == 0,
       "stock 2: two succeed, the third sees 0");
    is_int(0, rg_cache_value(w->c, 0, 0), "local value never below 0");
    is_int(0, (long long)rg_cache_replicated(w->c), "one region: nothing to replicate");
    world_free(w);
}

static void test_delta(void)
{
    /* two regions, stock 1, op 100 us, lag 50 ms; both sell at t = 0.
     * Both checks run at 100 us against their own replica's 1: both
     * succeed.  Each replica is then 0 until the other's "-1" lands at
     * 50.1 ms, after which both are -1. */
    world *w = world_new("const(100us)", "const(50ms)", RG_CACHE_DELTA, 2, 1);
    size_t a = sell(w, 0, 0), b = sell(w, 0, 1);
    size_t p1 = probe(w, 1 * RG_MS), p2 = probe(w, 50 * RG_MS), p3 = probe(w, 60 * RG_MS);
    run(w);
    ok(w->result[a] == 1 && w->result[b] == 1 && w->done[a] == 100 * RG_US &&
           w->done[b] == 100 * RG_US,
       "stock 1, both regions sell at once: both succeed at 100 us (oversell 1)");
    ok(w->probe[p1][0] == 0 && w->probe[p1][1] == 0, "at 1 ms each replica shows 0");
    ok(w->probe[p2][0] == 0 && w->probe[p2][1] == 0, "at 50 ms (lag not yet over) still 0");
    ok(w->probe[p3][0] == -1 && w->probe[p3][1] == -1,
       "at 60 ms both replicas converged to -1 = 1 - 2 sold");
    is_int(2, (long long)rg_cache_replicated(w->c), "two replication messages applied");
    world_free(w);

    /* one sale in region 0 at t = 0; region 1 sells at 60 ms, after the
     * "-1" landed at 50.1 ms: it sees 0 and is refused */
    w = world_new("const(100us)", "const(50ms)", RG_CACHE_DELTA, 2, 1);
    a = sell(w, 0, 0);
    b = sell(w, 60 * RG_MS, 1);
    run(w);
    ok(w->result[a] == 1 && w->result[b] == 0,
       "a sale in the other region after the lag sees 0 and is refused");
    ok(rg_cache_value(w->c, 0, 0) == 0 && rg_cache_value(w->c, 1, 0) == 0,
       "both replicas end at 0: no oversell");
    world_free(w);

    /* the same with the second sale at 30 ms, inside the lag window */
    w = world_new("const(100us)", "const(50ms)", RG_CACHE_DELTA, 2, 1);
    a = sell(w, 0, 0);
    b = sell(w, 30 * RG_MS, 1);
    run(w);
    ok(w->result[a] == 1 && w->result[b] == 1 && rg_cache_value(w->c, 0, 0) == -1 &&
           rg_cache_value(w->c, 1, 0) == -1,
       "a sale within the lag window is accepted: replicas end at -1");
    world_free(w);

    /* lag 0: region 0's "-1" lands at 100 us, before region 1 asks at
     * 1 ms, which is refused */
    w = world_new("const(100us)", "0", RG_CACHE_DELTA, 2, 1);
    a = sell(w, 0, 0);
    b = sell(w, 1 * RG_MS, 1);
    run(w);
    ok(w->result[a] == 1 && w->result[b] == 0, "lag 0: a later sale elsewhere sees 0");
    world_free(w);

    /* three regions: a sale is sent to each of the two others */
    w = world_new("const(100us)", "const(5ms)", RG_CACHE_DELTA, 3, 10);
    sell(w, 0, 0);
    sell(w, 0, 2);
    run(w);
    ok(rg_cache_value(w->c, 0, 0) == 8 && rg_cache_value(w->c, 1, 0) == 8 &&
           rg_cache_value(w->c, 2, 0) == 8 && rg_cache_replicated(w->c) == 4,
       "three regions: two sales, four messages, every replica at 8");
    world_free(w);
}

static void test_state(void)
{
    /* state mode, stock 2: both regions sell at t = 0, each replica goes
     * 2 -> 1 and sends "set 1" to the other.  Two units sold, yet after the
     * lag both replicas say 1: one decrement lost. */
    world *w = world_new("const(100us)", "const(50ms)", RG_CACHE_STATE, 2, 2);
    size_t a = sell(w, 0, 0), b = sell(w, 0, 1);
    run(w);
    ok(w->result[a] == 1 && w->result[b] == 1, "state: both sales succeed");
    ok(rg_cache_value(w->c, 0, 0) == 1 && rg_cache_value(w->c, 1, 0) == 1,
       "state: both replicas end at 1: two sales, the store shows one (lost update)");
    world_free(w);

    /* the same in delta mode ends at 0: nothing lost */
    w = world_new("const(100us)", "const(50ms)", RG_CACHE_DELTA, 2, 2);
    sell(w, 0, 0);
    sell(w, 0, 1);
    run(w);
    ok(rg_cache_value(w->c, 0, 0) == 0 && rg_cache_value(w->c, 1, 0) == 0,
       "delta with the same sales: both replicas at 0");
    world_free(w);

    /* Concurrent writes, last writer wins: region 0 sells at 0 and 1 ms
     * (writes "4" at 0.1 ms and "3" at 1.1 ms), region 1 at 0 (writes "4"
     * at 0.1 ms).  The last write is region 0's "3" (1.1 ms): once the
     * messages have landed every replica must hold it.  (Applying each
     * message on arrival regardless of when it was written would leave
     * region 0 at 4 and region 1 at 3: diverged forever.) */
    w = world_new("const(100us)", "const(50ms)", RG_CACHE_STATE, 2, 5);
    sell(w, 0, 0);
    sell(w, 1 * RG_MS, 0);
    sell(w, 0, 1);
    run(w);
    int64_t v0 = rg_cache_value(w->c, 0, 0), v1 = rg_cache_value(w->c, 1, 0);
    ok(v0 == v1,
       "state: replicas converge after concurrent writes (region 0 %lld, region 1 "
       "%lld)",
       (long long)v0, (long long)v1);
    is_int(3, v0, "state: the last write (3, at 1.1 ms) wins everywhere");
    world_free(w);
}

static void test_increment(void)
{
    /* Delta mode, two regions, stock 1, op 100 us, lag 50 ms.  Region 0
     * sells the unit at 0 (0.1 ms: r0 = 0); region 1 gives one back at
     * 10 ms (10.1 ms: r1 = 2, "+1" lands in r0 at 60.1 ms); region 0's
     * "-1" lands in r1 at 50.1 ms (r1 = 1).  Region 0 sells again at 30 ms
     * (sees 0: refused) and at 70 ms (sees the unit given back: sold). */
    world *w = world_new("const(100us)", "const(50ms)", RG_CACHE_DELTA, 2, 1);
    size_t a = sell(w, 0, 0), g = give(w, 10 * RG_MS, 1);
    size_t early = sell(w, 30 * RG_MS, 0), late = sell(w, 70 * RG_MS, 0);
    size_t p = probe(w, 65 * RG_MS);
    run(w);
    ok(w->result[a] == 1 && w->result[g] == 1 && w->done[g] == 10100 * RG_US,
       "increment: a unit given back is applied locally at once (result 1)");
    ok(w->result[early] == 0 && w->result[late] == 1,
       "the other region sells it only once the \"+1\" has replicated");
    ok(w->probe[p][0] == 1 && w->probe[p][1] == 1, "at 65 ms both replicas show the unit");
    ok(rg_cache_value(w->c, 0, 0) == 0 && rg_cache_value(w->c, 1, 0) == 0,
       "both replicas end at 0 = 1 - 2 sold + 1 given back");
    world_free(w);
}

static void on_failover(rg_engine *e, void *ctx, uint64_t arg)
{
    world *w = ctx;
    (void)e;
    rg_cache_failover(w->c, (rg_time)arg);
}

/* A failover voids the operations still queued at the node, and they keep
 * their completion events; an operation queued after it is served from
 * then on, so it completes before the void ones do (their completions share
 * one heap entry in service order: the new ones must not join them). */
static void test_failover_queue(void)
{
    world *w = world_new("const(10ms)", "const(1ms)", RG_CACHE_DELTA, 1, 10);
    rg_cache_standby(w->c, 0, w->lag, rg_engine_stream(w->e, "faults"));
    for (int i = 0; i < 5; i++)
        sell(w, 0, 0); /* complete at 10, 20, 30, 40, 50 ms */
    rg_at(w->e, (15 * RG_MS), RG_PRIO_DEFAULT, on_failover, w, (uint64_t)(1 * RG_MS));
    size_t late = sell(w, (21 * RG_MS), 0);
    run(w);
    ok(w->answered[0] && w->result[0] == 1 && w->done[0] == (10 * RG_MS),
       "the first sale completed before the failover");
    int voided = 0;
    for (size_t i = 1; i < 5; i++)
        voided += w->answered[i] && w->result[i] == -1;
    is_int(4, voided, "the four still queued failed with the node");
    ok(w->answered[late] && w->result[late] == 1 && w->done[late] == (31 * RG_MS),
       "a sale after the failover completes at 31 ms, before the void ones' events");
    world_free(w);
}

/* Operations of 9.5 years each: a queue of 32 passes the end of time
 * (292 years).  Those that would end after it never complete, and
 * the run ends there (engine.h) instead of overflowing the clock. */
static void test_end_of_time(void)
{
    world *w = world_new("const(300000000s)", "const(1ms)", RG_CACHE_DELTA, 1, 1000);
    for (int i = 0; i < MAXOP; i++)
        sell(w, 0, 0);
    rg_runstop why = rg_engine_run(w->e, RG_TIME_MAX, 0);
    int done = 0;
    for (size_t i = 0; i < w->nops; i++)
        done += w->answered[i];
    ok(why == RG_RUN_END_OF_TIME && rg_engine_past_end(w->e),
       "a queue that passes the end of time stops the run there");
    is_int(30, done, "the 30 operations that end within 292 years complete");
    world_free(w);
}

int main(void)
{
    plan(23 + 3 + 2);
    test_single_server();
    test_delta();
    test_state();
    test_increment();
    test_failover_queue();
    test_end_of_time();
    return 0;
}
