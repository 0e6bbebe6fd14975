/*
 * kv-t: the eventually consistent KV store (kv.h), driven by scripts of
 * gets and puts at fixed times with constant latencies, so every expected
 * value and time is worked out by hand from the mechanism:
 *
 *   hit = 1 ms (a get answered by the location's cache), central = 10 ms
 *   each way (a miss answers after 20 ms; a put reaches the central store
 *   after 10 ms and is acknowledged 10 ms later), propagation = 100 ms (a
 *   put accepted at t is shown to other locations' misses from t + 100 ms).
 *
 * Checked: last writer wins, with no conditional put (two writers both
 * read 7 and write 8: one increment is lost and both are told OK); the
 * writer's location sees its put at once (and, with local_refresh = ack,
 * only after the acknowledgement); propagation to other locations; negative
 * lookups cached for negative_ttl; TTL staleness (a cached copy hides a
 * newer write until it expires); the local-miss case; the write-rate token
 * bucket (429s, burst, refill, and a rejected put taken back out of the
 * writer's cache); hit and miss latencies; the loader's defaults and
 * errors; and messages in flight freed with the store (under valgrind).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "models/stores/kv.h"
#include "tests/tap/basic.h"

#define MS RG_MS

typedef struct act {
    rg_time t;
    size_t loc;
    bool put;
    int64_t value;
    /* filled when answered */
    bool done;
    rg_time at;
    rg_kv_res res;
} act;

static rg_kv *g_kv;

static void on_res(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)tag;
    act *a = ctx;
    a->done = true;
    a->at = rg_now(e);
    a->res = *res;
}

static void on_act(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    act *a = ctx;
    if (a->put)
        rg_kv_put(g_kv, a->loc, 0, a->value, on_res, a, 0);
    else
        rg_kv_get(g_kv, a->loc, 0, on_res, a, 0);
}

typedef struct setup {
    rg_kv_params p;
    rg_dist *hit, *central, *prop;
} setup;

/* Constant latencies as in the header comment; no limit, no local miss. */
static void setup_init(setup *s)
{
    memset(s, 0, sizeof *s);
    s->hit = rg_dist_const(1e6, RG_QTY_DURATION);
    s->central = rg_dist_const(10e6, RG_QTY_DURATION);
    s->prop = rg_dist_const(100e6, RG_QTY_DURATION);
    s->p.hit = s->hit;
    s->p.central = s->central;
    s->p.propagation = s->prop;
    s->p.ttl = 60 * RG_S;
    s->p.neg_ttl = 60 * RG_S;
    s->p.local_miss = 0;
    s->p.write_rate = 0;
    s->p.write_burst = 1;
}

static void setup_free(setup *s)
{
    rg_dist_free(s->hit);
    rg_dist_free(s->central);
    rg_dist_free(s->prop);
}

/* Runs the script to completion; copies the store's stats and last
 * writer's value out before freeing it. */
static void run_script(const setup *s, size_t nloc, act *a, size_t n, rg_kv_stats *st,
                       int64_t *latest)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    g_kv = rg_kv_new(e, &s->p, nloc, 1);
    for (size_t i = 0; i < n; i++)
        rg_at(e, a[i].t, RG_PRIO_DEFAULT, on_act, &a[i], 0);
    rg_engine_run(e, RG_TIME_MAX, 0);
    if (st)
        *st = *rg_kv_stats_get(g_kv);
    if (latest && !rg_kv_latest(g_kv, 0, latest, NULL))
        *latest = -1;
    rg_kv_free(g_kv);
    rg_engine_free(e);
}

static void test_lww(void)
{
    setup s;
    setup_init(&s);
    /* Two writers in two locations both read 7 (from a seeded value), then
     * both put 8: both are accepted and told OK; the store holds 8, not 9. */
    act a[] = {
        {.t = 0, .loc = 0, .put = true, .value = 7},
        {.t = 200 * MS, .loc = 0}, /* miss: 7 */
        {.t = 200 * MS, .loc = 1}, /* miss: 7 */
        {.t = 221 * MS, .loc = 0, .put = true, .value = 8},
        {.t = 222 * MS, .loc = 1, .put = true, .value = 8},
        {.t = 300 * MS, .loc = 2, .put = true, .value = 20},
        {.t = 305 * MS, .loc = 3, .put = true, .value = 30},
    };
    int64_t latest;
    rg_kv_stats st;
    run_script(&s, 4, a, 5, &st, &latest);
    ok(a[1].res.status == RG_KV_OK && a[1].res.value == 7 && a[2].res.value == 7,
       "LWW: both writers read 7");
    ok(a[3].res.status == RG_KV_OK && a[4].res.status == RG_KV_OK,
       "no conditional put: both writes of 8 are accepted and acknowledged");
    is_int(8, latest, "LWW: the store holds 8 after two increments of 7 (one is lost)");
    is_int(3, (long long)a[4].res.stamp, "the later put has the later stamp (3)");
    /* The later-accepted put wins whatever location it came from: 30 is
     * accepted at 315 ms, 20 at 310 ms. */
    run_script(&s, 4, a, 7, &st, &latest);
    is_int(30, latest, "LWW: the last put accepted (from location 3) is the value");
    is_int(5, (long long)st.accepted, "all five puts were accepted: nothing is ever refused");
    setup_free(&s);
}

static void test_local(void)
{
    setup s;
    setup_init(&s);
    /* A put at 0 from location 0; location 0 reads at 1 ms, before the put
     * even reaches the central store (10 ms): it sees its write at once. */
    act a[] = {
        {.t = 0, .loc = 0, .put = true, .value = 5},
        {.t = 1 * MS, .loc = 0},
    };
    run_script(&s, 2, a, 2, NULL, NULL);
    ok(a[1].res.status == RG_KV_OK && a[1].res.value == 5 && a[1].res.cached,
       "the writing location sees its own put at once (from its cache)");
    ok(!a[1].res.stale, "a location's own pending put is not a stale read");
    is_int(2 * MS, a[1].at, "a cache hit answers after the hit latency (1 ms)");
    is_int(20 * MS, a[0].at, "a put is acknowledged after the round trip (2 x 10 ms)");

    /* With local_refresh = ack the read at 1 ms misses; it reaches the
     * central store at 11 ms, where the put (accepted at 10 ms) is not yet
     * visible (100 ms propagation): not found, answered at 21 ms. */
    act b[] = {
        {.t = 0, .loc = 0, .put = true, .value = 5},
        {.t = 1 * MS, .loc = 0},
        {.t = 25 * MS, .loc = 0},
    };
    s.p.refresh_at_ack = true;
    rg_kv_stats st;
    run_script(&s, 1, b, 3, &st, NULL);
    ok(b[1].res.status == RG_KV_NOT_FOUND && !b[1].res.cached && b[1].at == 21 * MS,
       "refresh at ack: a read before the ack misses and finds nothing (21 ms)");
    /* The ack refreshed the cache at 20 ms, but the negative answer filled
     * it at 21 ms: the latest fill wins, until negative_ttl. */
    ok(b[2].res.status == RG_KV_NOT_FOUND && b[2].res.cached,
       "the later negative fill overwrites the ack's refresh (latest fill wins)");
    is_int(1, (long long)st.neg_hits, "one negative cache hit");
    setup_free(&s);
}

static void test_propagation_negative(void)
{
    setup s;
    setup_init(&s);
    s.p.neg_ttl = 30 * RG_S;
    /* Put at 0 from location 0: accepted at 10 ms, visible elsewhere from
     * 110 ms.  Location 1 reads at 50 ms (central at 60 ms: not found, the
     * negative answer cached at 70 ms until 30.07 s); location 2 at 95 ms
     * (central at 105 ms: not found); location 3 at 101 ms (central at 111
     * ms: found). */
    act a[] = {
        {.t = 0, .loc = 0, .put = true, .value = 5},
        {.t = 50 * MS, .loc = 1},
        {.t = 95 * MS, .loc = 2},
        {.t = 101 * MS, .loc = 3},
        {.t = 200 * MS, .loc = 1},   /* negative hit */
        {.t = 30069 * MS, .loc = 1}, /* still cached (expires 30.070 s) */
        {.t = 30071 * MS, .loc = 1}, /* expired: miss, found */
    };
    rg_kv_stats st;
    run_script(&s, 4, a, 7, &st, NULL);
    ok(a[1].res.status == RG_KV_NOT_FOUND && a[2].res.status == RG_KV_NOT_FOUND,
       "propagation: reads reaching the central store before 110 ms find nothing");
    ok(a[3].res.status == RG_KV_OK && a[3].res.value == 5 && a[3].at == 121 * MS,
       "propagation: a read reaching it at 111 ms finds the put (answered at 121 ms)");
    ok(a[4].res.status == RG_KV_NOT_FOUND && a[4].res.cached && a[4].res.stale,
       "negative caching: location 1 still answers 'not found' from its cache (stale)");
    ok(a[5].res.status == RG_KV_NOT_FOUND && a[5].res.cached,
       "negative caching: until negative_ttl has passed");
    ok(a[6].res.status == RG_KV_OK && a[6].res.value == 5 && !a[6].res.cached,
       "after negative_ttl the read misses and finds the value");
    is_int(2, (long long)st.neg_hits, "two negative cache hits");
    is_int(4, (long long)st.misses, "four misses");
    setup_free(&s);
}

static void test_ttl(void)
{
    setup s;
    setup_init(&s);
    s.p.ttl = 60 * RG_S;
    /* 5 is visible from 110 ms.  Location 1 reads at 1 s (miss: 5, cached
     * at 1.020 s until 61.020 s).  Location 0 puts 6 at 2 s (visible from
     * 2.110 s).  Location 1 reads at 3 s: its cached 5 (stale); at 61.019
     * s: still 5; at 61.021 s: a miss, 6. */
    act a[] = {
        {.t = 0, .loc = 0, .put = true, .value = 5},
        {.t = 1 * RG_S, .loc = 1},
        {.t = 2 * RG_S, .loc = 0, .put = true, .value = 6},
        {.t = 3 * RG_S, .loc = 1},
        {.t = 61019 * MS, .loc = 1},
        {.t = 61021 * MS, .loc = 1},
        {.t = 3 * RG_S, .loc = 0},
    };
    rg_kv_stats st;
    run_script(&s, 2, a, 7, &st, NULL);
    ok(a[1].res.value == 5 && !a[1].res.cached, "TTL: the first read misses and finds 5");
    ok(a[3].res.value == 5 && a[3].res.cached && a[3].res.stale,
       "TTL: a cached copy hides the newer put (stale 5 instead of 6)");
    ok(a[4].res.value == 5 && a[4].res.cached, "TTL: until the copy expires (60 s)");
    ok(a[5].res.value == 6 && !a[5].res.cached && !a[5].res.stale,
       "TTL: after expiry the read fetches 6");
    ok(a[6].res.value == 6 && a[6].res.cached, "the writer's location reads 6 at once");
    is_int(2, (long long)st.stale_reads, "two stale reads counted");

    /* local_miss = 1: the writer's cache keeps what it had (5), so its own
     * next read is stale. */
    s.p.local_miss = 1;
    act b[] = {
        {.t = 0, .loc = 0, .put = true, .value = 5},
        {.t = 1 * RG_S, .loc = 0}, /* miss: 5, cached */
        {.t = 2 * RG_S, .loc = 0, .put = true, .value = 6},
        {.t = 2 * RG_S + 50 * MS, .loc = 0},
    };
    run_script(&s, 1, b, 4, &st, NULL);
    ok(b[3].res.value == 5 && b[3].res.cached && b[3].res.stale,
       "local miss: the writer's own location reads its stale copy (5, not 6)");
    is_int(2, (long long)st.local_missed, "both puts missed the local refresh");
    setup_free(&s);
}

static void test_rate(void)
{
    setup s;
    setup_init(&s);
    s.p.write_rate = 1;
    s.p.write_burst = 1;
    /* Puts from location 0 at 0, 100 ms and 1.2 s reach the store at 10,
     * 110 ms and 1.21 s.  Bucket: 1 token, spent at 10 ms; 0.1 at 110 ms:
     * 429; 0.1 + 1.1 at 1.21 s (capped at 1): accepted. */
    act a[] = {
        {.t = 0, .loc = 0, .put = true, .value = 1},
        {.t = 100 * MS, .loc = 0, .put = true, .value = 2},
        {.t = 105 * MS, .loc = 0}, /* hit: the refreshed (still pending) 2 */
        {.t = 125 * MS, .loc = 0}, /* the 429 came back at 120 ms: miss */
        {.t = 1200 * MS, .loc = 0, .put = true, .value = 3},
    };
    rg_kv_stats st;
    int64_t latest;
    run_script(&s, 1, a, 5, &st, &latest);
    is_int(RG_KV_OK, a[0].res.status, "rate limit: the first put is accepted");
    is_int(RG_KV_RATE_LIMITED, a[1].res.status, "rate limit: a second put 100 ms later is a 429");
    is_int(RG_KV_OK, a[4].res.status, "rate limit: a put after the bucket refilled is accepted");
    ok(a[2].res.value == 2 && a[2].res.cached,
       "a put refreshed at once shows locally before its rejection arrives");
    ok(a[3].res.status == RG_KV_OK && a[3].res.value == 1 && !a[3].res.cached,
       "after the 429 the location no longer shows the rejected value (reads 1)");
    is_int(3, latest, "the rejected put changed nothing; the last accepted is 3");
    is_int(1, (long long)st.rate_limited, "one put rate-limited");

    /* Burst 3: four puts 1 ms apart: three accepted, the fourth a 429. */
    s.p.write_burst = 3;
    act b[] = {
        {.t = 0, .loc = 0, .put = true, .value = 1},
        {.t = 1 * MS, .loc = 0, .put = true, .value = 2},
        {.t = 2 * MS, .loc = 0, .put = true, .value = 3},
        {.t = 3 * MS, .loc = 0, .put = true, .value = 4},
    };
    run_script(&s, 1, b, 4, &st, &latest);
    ok(b[0].res.status == RG_KV_OK && b[1].res.status == RG_KV_OK && b[2].res.status == RG_KV_OK,
       "burst 3: three puts in 3 ms are accepted");
    is_int(RG_KV_RATE_LIMITED, b[3].res.status, "burst 3: the fourth is a 429");
    /* No limit: write_rate 0. */
    s.p.write_rate = 0;
    run_script(&s, 1, b, 4, &st, &latest);
    is_int(0, (long long)st.rate_limited, "write_rate 0: no limit");
    setup_free(&s);
}

static void test_load(void)
{
    rg_err e;
    rg_err_clear(&e);
    rg_scn *s = rg_scn_load_string("kv-t.ini", "[kv]\n", &e);
    if (s == NULL)
        bail("test scenario does not parse: %s", e.msg);
    rg_kv_cfg c = {0};
    int rc = rg_kv_load(s, "kv", "kv", &c, &e);
    ok(rc == 0 && c.p.ttl == 60 * RG_S && c.p.neg_ttl == 60 * RG_S,
       "defaults: TTL and negative TTL 60 s (FACTS.md)");
    ok(rc == 0 && c.p.write_rate == 1 && c.p.write_burst == 1 && !c.p.refresh_at_ack,
       "defaults: 1 write/s per key (FACTS.md), refresh at once");
    rg_kv_cfg_free(&c);
    rg_scn_free(s);

    rg_err_clear(&e);
    s = rg_scn_load_string("kv-t.ini", "[kv]\nlocal_refresh = later\n", &e);
    memset(&c, 0, sizeof c);
    rc = rg_kv_load(s, "kv", "kv", &c, &e);
    ok(rc < 0 && strstr(e.msg, "local_refresh") != NULL, "a bad local_refresh names the key");
    rg_kv_cfg_free(&c);
    rg_scn_free(s);

    /* A variant section overrides the shared one. */
    rg_err_clear(&e);
    s = rg_scn_load_string("kv-t.ini", "[kv]\nttl = 90s\n[variant.x]\nttl = 120s\n", &e);
    if (s == NULL)
        bail("test scenario does not parse: %s", e.msg);
    memset(&c, 0, sizeof c);
    rc = rg_kv_load(s, "variant.x", "kv", &c, &e);
    is_int(120 * RG_S, rc == 0 ? c.p.ttl : -1, "a variant overrides [kv] ttl");
    rg_kv_cfg_free(&c);
    rg_scn_free(s);
}

/* Operations still in flight when the store is freed are freed with it
 * (the test is that valgrind finds no leak). */
static void test_in_flight(void)
{
    setup s;
    setup_init(&s);
    rg_engine *e = rg_engine_new(1, 0, NULL);
    g_kv = rg_kv_new(e, &s.p, 2, 1);
    /* a put (20 ms) and a miss at another location (20 ms) */
    act a[] = {{.t = 0, .put = true, .value = 1}, {.t = 0, .loc = 1}};
    rg_at(e, 0, RG_PRIO_DEFAULT, on_act, &a[0], 0);
    rg_at(e, 0, RG_PRIO_DEFAULT, on_act, &a[1], 0);
    rg_engine_run(e, 5 * MS, 0);
    ok(!a[0].done && !a[1].done, "operations are in flight at the horizon");
    rg_kv_free(g_kv);
    rg_engine_free(e);
    setup_free(&s);
}

int main(void)
{
    plan(43);
    test_lww();
    test_local();
    test_propagation_negative();
    test_ttl();
    test_rate();
    test_load();
    test_in_flight();
    return 0;
}
