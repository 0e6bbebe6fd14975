/*
 * kind-sharded-object-t: the drop's sharded_object kind
 * (kind-sharded-object.c): a SKU's stock split over N single-threaded
 * objects behind a router at the PoP.
 *
 * Checked: one shard is exactly the `object` kind (every metric of the
 * same replications equal); the fallback's extra round trip, timed by hand
 * with constant latencies (client <-> PoP 5 ms, PoP <-> object 1 ms,
 * handler 0.1 ms, flush 5 ms); lost sales from per-PoP round robin across
 * two regions, against a hand replay of the router (a PoP's k-th buyer
 * goes to shard k mod N; a shard sells once per unit); the random router
 * over drop125's settings: no oversell, and with on_empty = lost_sale
 * every unit not sold is a lost sale (the checker's identity allocated +
 * lost_sales = stock when nothing errs), with fallback none, paid in
 * latency; and determinism on 1 and 2 threads.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/tap/basic.h"
#include "tests/tap/dropfix.h"

/* drop125's settings: random latencies, the objects pinned in us-east. */
#define DROP125                                                                                    \
    "[network]\nregions = us-east, us-west, eu-west\n"                                             \
    "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"    \
    "jitter = exp(mean=1ms)\n"                                                                     \
    "[workload]\nbuyers = 125\nstock = 100\nskus = 1\narrival = burst(window=100ms)\n"             \
    "regions = us-east:0.7, us-west:0.2, eu-west:0.1\ntimeout = 10s\n"                             \
    "[object]\nregion = us-east\n"

static void test_one_shard(void)
{
    tdrop d;
    tdrop_open(&d, DROP125 "[variant.object]\nkind = object\n"
                           "[variant.one]\nkind = sharded_object\nshards = 1\n");
    size_t nmet;
    d.f.ops->metrics(d.f.cfg, &nmet);
    rg_mval *a = malloc(nmet * sizeof *a);
    bool same = a != NULL;
    for (uint64_t rep = 0; same && rep < 5; rep++) {
        tdrop_run(&d, "object", 125100, rep);
        memcpy(a, d.f.row, nmet * sizeof *a);
        tdrop_run(&d, "one", 125100, rep);
        same = memcmp(a, d.f.row, nmet * sizeof *a) == 0;
    }
    ok(same, "shards = 1: every metric equals the object kind's, replication by replication");
    free(a);
    tdrop_close(&d);
}

#define NET1                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"                                                             \
    "[object]\nregion = us-east\nhandler = const(100us)\nflush = const(5ms)\nstart = warm\n"       \
    "[sharded_object]\nshards = 2\nrouter = round_robin\n"

static void test_fallback_timing(void)
{
    /* Stock 2 over 2 shards (1 unit each), 3 buyers 50 ms apart, dealt
     * 0, 1, 0.  Buyers 0 and 1 each get their shard's unit: 5 + 1 + 0.1,
     * flush 5, back 1 + 5 = 17.1 ms.  Buyer 2 finds shard 0 dry at 6.1 ms
     * after sending (nothing to flush): refused at 12.1 ms; with fallback
     * the refusal goes back to the router (1), on to shard 1 (1), which is
     * dry too (0.1): refused after both, at 14.2 ms. */
    tdrop d;
    tdrop_open(&d, NET1 "[workload]\nbuyers = 3\nstock = 2\narrival = spaced(interval=50ms)\n"
                        "[variant.lost]\nkind = sharded_object\n"
                        "[variant.fallback]\nkind = sharded_object\non_empty = fallback\n");
    tdrop_run(&d, "lost", 1, 0);
    ok(tdrop_int(&d, "allocated") == 2 && tdrop_int(&d, "rejected") == 1 &&
           tdrop_int(&d, "lost_sales") == 0,
       "round robin, one PoP: 2 sold, the third refused, nothing left behind");
    ok(d.req[0].answered - d.req[0].sent == 17100 * RG_US &&
           d.req[2].answered - d.req[2].sent == 12100 * RG_US,
       "a sale takes 17.1 ms (flush), a dry shard's refusal 12.1 ms");
    tdrop_run(&d, "fallback", 1, 0);
    ok(tdrop_int(&d, "allocated") == 2 && d.req[2].outcome == RG_OUT_SOLD_OUT &&
           d.req[2].answered - d.req[2].sent == 14200 * RG_US,
       "fallback: refused after asking both shards, 14.2 ms (one more round trip)");
    tdrop_close(&d);
}

/* Two PoPs, the shards pinned in us-east, 4 buyers 100 ms apart (wider than
 * any request's life, so they reach the shards in send order). */
#define NET2                                                                                       \
    "[network]\nregions = us-east, eu-west\nclient_edge = const(5ms)\nlocal = const(1ms)\n"        \
    "jitter = 0\n[edge]\ncpu = 0\ncold_prob = 0\n"                                                 \
    "[object]\nregion = us-east\nhandler = const(100us)\nflush = const(5ms)\nstart = warm\n"       \
    "[workload]\nbuyers = 4\nstock = 3\narrival = spaced(interval=100ms)\n"                        \
    "regions = us-east:0.5, eu-west:0.5\n"                                                         \
    "[sharded_object]\nshards = 3\nrouter = round_robin\n"                                         \
    "[variant.lost]\nkind = sharded_object\n"                                                      \
    "[variant.fallback]\nkind = sharded_object\non_empty = fallback\n"

static void test_round_robin_pops(void)
{
    /* Each PoP deals from shard 0: two buyers per PoP both use shards 0
     * and 1, the second of each pair refused while shard 2 keeps its unit
     * (lost_sales 1); three from one PoP and one from the other sell all
     * three.  The replay: buyer i's shard is (its PoP's count so far) mod 3;
     * it is sold a unit iff nobody used that shard before. */
    tdrop d;
    tdrop_open(&d, NET2);
    int mismatch = 0, with_lost = 0, fb_bad = 0;
    for (uint64_t rep = 0; rep < 20; rep++) {
        tdrop_run(&d, "lost", 3, rep);
        int count[2] = {0, 0};
        bool used[3] = {false, false, false};
        int64_t sold = 0, refused = 0;
        for (size_t i = 0; i < d.n; i++) {
            int s = count[d.req[i].region]++ % 3;
            bool sale = !used[s];
            used[s] = true;
            sold += sale;
            refused += !sale;
            mismatch += sale != (d.req[i].outcome == RG_OUT_ALLOCATED);
        }
        int64_t lost = 3 - sold < refused ? 3 - sold : refused;
        mismatch += tdrop_int(&d, "lost_sales") != lost;
        with_lost += lost > 0;
        tdrop_run(&d, "fallback", 3, rep);
        fb_bad += tdrop_int(&d, "allocated") != 3 || tdrop_int(&d, "lost_sales") != 0;
    }
    is_int(0, mismatch, "round robin per PoP: every outcome and lost_sales match the replay");
    ok(with_lost > 0, "round robin per PoP: a shard left unsold in %d of 20 replications",
       with_lost);
    is_int(0, fb_bad, "fallback: all 3 units sold, no lost sale, in all 20");
    tdrop_close(&d);
}

static void test_random_router(void)
{
    tdrop d;
    tdrop_open(&d, DROP125 "[variant.lost]\nkind = sharded_object\n"
                           "[variant.fallback]\nkind = sharded_object\non_empty = fallback\n"
                           "[variant.session]\nkind = sharded_object\nrouter = session\n");
    int reps = 100, over = 0, identity = 0, with_lost = 0, fb_bad = 0, sess_lost = 0;
    double p99_lost = 0, p99_fb = 0;
    for (int rep = 0; rep < reps; rep++) {
        tdrop_run(&d, "lost", 125100, (uint64_t)rep);
        over += tdrop_int(&d, "oversell") != 0;
        identity += tdrop_int(&d, "errors") == 0 &&
                    tdrop_int(&d, "allocated") + tdrop_int(&d, "lost_sales") != 100;
        with_lost += tdrop_int(&d, "lost_sales") > 0;
        p99_lost += tdrop_real(&d, "lat_p99");
        tdrop_run(&d, "fallback", 125100, (uint64_t)rep);
        over += tdrop_int(&d, "oversell") != 0;
        fb_bad += tdrop_int(&d, "errors") == 0 &&
                  (tdrop_int(&d, "allocated") != 100 || tdrop_int(&d, "lost_sales") != 0);
        p99_fb += tdrop_real(&d, "lat_p99");
        tdrop_run(&d, "session", 125100, (uint64_t)rep);
        sess_lost += tdrop_int(&d, "lost_sales") > 0;
    }
    is_int(0, over, "random router: no shard oversells, either on_empty");
    is_int(0, identity, "lost_sale: allocated + lost_sales = stock whenever nothing errs");
    /* 125 buyers dealt at random over 4 shards of 25: a shard drawing fewer
     * than 25 buyers (about 8 % each) strands units while others refuse */
    ok(with_lost > reps / 10, "random router, 4 shards: sales lost in %d of %d replications",
       with_lost, reps);
    is_int(0, fb_bad, "fallback: 100 sold and nothing lost whenever nothing errs");
    ok(p99_fb > p99_lost, "fallback pays in latency: mean p99 %.1f ms against %.1f ms",
       p99_fb / reps * 1e3, p99_lost / reps * 1e3);
    ok(sess_lost > reps / 10, "session router: sales lost in %d of %d replications", sess_lost,
       reps);
    ok(tdrop_same_on_threads(&d, 125100, 20),
       "determinism: 20 replications, identical rows twice and on 1 and 2 threads");
    tdrop_close(&d);
}

int main(void)
{
    plan(1 + 3 + 3 + 7);
    test_one_shard();
    test_fallback_timing();
    test_round_robin_pops();
    test_random_router();
    return 0;
}
