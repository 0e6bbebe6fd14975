/*
 * kind-atomic-primary-t: the drop's atomic_primary kind
 * (kind-atomic-primary.c): one primary, an atomic conditional decrement
 * per sale, and read replicas for an optional stock pre-check.
 *
 * Timed by hand with constant latencies (client <-> PoP 5 ms, within a
 * region 1 ms, us-east <-> eu-west RTT 90 ms: a hop of 45 ms, no jitter,
 * no edge CPU) and a 0.1 ms operation: the k-th of simultaneous buyers is
 * answered 0.1 k ms after the first, a buyer across the Atlantic pays the
 * round trip (100.1 ms), and a pre-check read from a replica 50 ms behind
 * the primary says "available" for a unit sold within the lag (the
 * primary then refuses: no harm but the trip) and "sold out" once the
 * change landed (the buyer is turned away at the PoP).  Over drop125's
 * random latencies it never oversells nor loses a sale, with or without
 * the pre-check; rows are deterministic; configuration errors name the
 * key.
 */
#include <stdlib.h>
#include <string.h>

#include "models/drop/drop.h"
#include "models/registry.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"
#include "tests/tap/dropfix.h"

#define NET1                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n[atomic_primary]\nop = const(100us)\n"

#define NET2                                                                                       \
    "[network]\nregions = us-east, eu-west\nclient_edge = const(5ms)\nlocal = const(1ms)\n"        \
    "jitter = 0\n[edge]\ncpu = 0\ncold_prob = 0\n[atomic_primary]\nop = const(100us)\n"

static void test_primary(void)
{
    /* Three buyers at t = 0, stock 2: at the primary at 6 ms, decrements
     * done at 6.1, 6.2, 6.3 ms, answers back 1 + 5 ms later. */
    tdrop d;
    tdrop_open(&d, NET1 "[workload]\nbuyers = 3\nstock = 2\narrival = burst(window=0)\n"
                        "[variant.p]\nkind = atomic_primary\n");
    tdrop_run(&d, "p", 1, 0);
    ok(tdrop_int(&d, "allocated") == 2 && tdrop_int(&d, "rejected") == 1 &&
           tdrop_int(&d, "oversell") == 0 && tdrop_int(&d, "lost_updates") == 0,
       "three buyers, stock 2: 2 sold, 1 refused, nothing oversold or lost");
    rg_time *lat = tdrop_latencies(&d);
    ok(lat[0] == 12100 * RG_US && lat[1] == 12200 * RG_US && lat[2] == 12300 * RG_US,
       "one operation at a time: answers at 12.1, 12.2, 12.3 ms");
    free(lat);
    tdrop_close(&d);

    /* Buyers in eu-west: the primary in us-east (the first region, by
     * default) costs 5 + 45 + 0.1 + 45 + 5 = 100.1 ms; in eu-west 12.1. */
    tdrop_open(&d, NET2 "[workload]\nbuyers = 2\nstock = 5\narrival = spaced(interval=1s)\n"
                        "regions = eu-west:1\n"
                        "[variant.far]\nkind = atomic_primary\n"
                        "[variant.near]\nkind = atomic_primary\nregion = eu-west\n");
    tdrop_run(&d, "far", 1, 0);
    ok(d.req[0].answered - d.req[0].sent == 100100 * RG_US,
       "primary in us-east, buyer in eu-west: 100.1 ms (the RTT is paid)");
    tdrop_run(&d, "near", 1, 0);
    ok(d.req[0].answered - d.req[0].sent == 12100 * RG_US, "primary in eu-west: 12.1 ms");
    tdrop_close(&d);
}

static void test_precheck(void)
{
    /* Stock 1, four eu-west buyers 40 ms apart; primary in us-east, a
     * replica in eu-west 50 ms behind it.
     *   B0 (0):   reads 1 at the replica (6..6.1, back 7.1), decrements at
     *             the primary (52.1..52.2: sold; the replica learns at
     *             102.2), answer at 102.2 ms.
     *   B1 (40):  reads 1 at 46.1, stale: the primary refuses at 92.2,
     *             answer 102.2 ms after sending.
     *   B2 (80):  reads 1 at 86.1, still stale: refused, 102.2 ms.
     *   B3 (120): reads 0 at 126.1: turned away at the PoP, 12.1 ms. */
    tdrop d;
    tdrop_open(&d, NET2 "[workload]\nbuyers = 4\nstock = 1\narrival = spaced(interval=40ms)\n"
                        "regions = eu-west:1\n"
                        "[variant.pre]\nkind = atomic_primary\nreplicas = eu-west\n"
                        "precheck = true\nlag = const(50ms)\n"
                        "[variant.primary_read]\nkind = atomic_primary\nprecheck = true\n"
                        "[variant.plain]\nkind = atomic_primary\n");
    tdrop_run(&d, "pre", 1, 0);
    bool want = d.n == 4;
    static const rg_time lat[4] = {102200 * RG_US, 102200 * RG_US, 102200 * RG_US, 12100 * RG_US};
    for (size_t i = 0; want && i < 4; i++)
        want = d.req[i].answered - d.req[i].sent == lat[i] &&
               d.req[i].outcome == (i == 0 ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
    ok(want, "pre-check at a replica 50 ms behind: 102.2 ms x3 (two stale reads), then 12.1 ms");
    ok(tdrop_int(&d, "allocated") == 1 && tdrop_int(&d, "oversell") == 0 &&
           tdrop_int(&d, "lost_sales") == 0,
       "a stale read never sells: 1 sold, nothing oversold, no sale lost");
    /* Pre-check at the primary itself: read 5 + 45 + 0.1 + 45, then the
     * decrement 45 + 0.1 + 45 + 5: 190.2 ms; without it 100.1 ms. */
    tdrop_run(&d, "primary_read", 1, 0);
    ok(d.req[0].answered - d.req[0].sent == 190200 * RG_US,
       "pre-check at the primary (no replica): two round trips, 190.2 ms");
    tdrop_run(&d, "plain", 1, 0);
    ok(d.req[0].answered - d.req[0].sent == 100100 * RG_US &&
           d.req[3].answered - d.req[3].sent == 100100 * RG_US,
       "no pre-check: every buyer pays the trip, 100.1 ms");
    tdrop_close(&d);
}

#define DROP125                                                                                    \
    "[network]\nregions = us-east, us-west, eu-west\n"                                             \
    "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"    \
    "jitter = exp(mean=1ms)\n"                                                                     \
    "[workload]\nbuyers = 125\nstock = 100\nskus = 1\narrival = burst(window=100ms)\n"             \
    "regions = us-east:0.7, us-west:0.2, eu-west:0.1\ntimeout = 10s\n"                             \
    "[variant.primary]\nkind = atomic_primary\n"                                                   \
    "[variant.replicas]\nkind = atomic_primary\nreplicas = 2\nprecheck = true\n"

static void test_drop125(void)
{
    tdrop d;
    tdrop_open(&d, DROP125);
    int reps = 100, bad = 0;
    for (int rep = 0; rep < reps; rep++)
        for (int v = 0; v < 2; v++) {
            tdrop_run(&d, v ? "replicas" : "primary", 125100, (uint64_t)rep);
            bad += tdrop_int(&d, "allocated") != 100 || tdrop_int(&d, "rejected") != 25 ||
                   tdrop_int(&d, "oversell") != 0 || tdrop_int(&d, "lost_sales") != 0;
        }
    is_int(0, bad,
           "drop125: 100 sold, 25 refused, nothing oversold or lost, with or without "
           "replicas");
    ok(tdrop_same_on_threads(&d, 125100, 20),
       "determinism: 20 replications, identical rows twice and on 1 and 2 threads");
    tdrop_close(&d);
}

/* Loads text; returns the error message ("" if it loaded). */
static void load_error(const char *text, char *msg, size_t size)
{
    rg_err e;
    rg_err_clear(&e);
    void *cfg = NULL;
    msg[0] = '\0';
    rg_scn *s = rg_scn_load_string("kind-t.ini", text, &e);
    if (s == NULL || rg_experiment_drop.load(s, &cfg, &e) < 0)
        snprintf(msg, size, "%s", e.msg);
    else
        rg_experiment_drop.free_cfg(cfg);
    rg_scn_free(s);
}

static void test_config(void)
{
    static const struct {
        const char *keys, *want;
    } bad[] = {
        {"replicas = eu-west\n", "set precheck = true"},
        {"replicas = us-east\nprecheck = true\n", "'us-east' is the primary's region"},
        {"replicas = mars\nprecheck = true\n", "'mars' is not one of [network] regions"},
        {"replicas = eu-west, eu-west\nprecheck = true\n", "listed twice"},
        {"replicas = 2\nprecheck = true\n", "only 1 other region in [network]"},
        {"region = mars\n", "mars"},
        {"precheck = maybe\n", "precheck"},
    };
    char msg[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, "%s[variant.x]\nkind = atomic_primary\n%s", NET2, bad[i].keys);
        load_error(text, msg, sizeof msg);
        /* the replicas errors name their key; the others name theirs */
        bool names_key = i >= 5 || strstr(msg, "replicas") != NULL;
        ok(strstr(msg, bad[i].want) != NULL && names_key,
           "bad [variant.x] %zu: error names '%s': %s", i + 1, bad[i].want, msg);
    }
    /* replicas = 1: the first region that is not the primary's */
    load_error(NET2 "[variant.x]\nkind = atomic_primary\nreplicas = 1\nprecheck = true\n", msg,
               sizeof msg);
    is_string("", msg, "replicas = 1 with two regions loads");
}

int main(void)
{
    plan(4 + 4 + 2 + 8);
    test_primary();
    test_precheck();
    test_drop125();
    test_config();
    return 0;
}
