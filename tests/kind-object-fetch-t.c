/*
 * kind-object-fetch-t: the drop's object_fetch kind (kind-object-fetch.c):
 * an object whose handler awaits a payment call between its stock check
 * and its write, and its fixed form, reserve_first.
 *
 * The race is built by hand with constant times: client <-> PoP 5 ms,
 * PoP <-> object 1 ms (no jitter, no edge CPU), handler 0.1 ms per step,
 * flush 5 ms, the object warm in the buyers' region, the payment call
 * 10 ms.  Two buyers at t = 0 for one unit: both handlers check before
 * either writes, so both are sold the unit (oversell 1, and the second
 * write overwrites the first: a lost update); reserving first sells it
 * once.  Failed payments: a reservation given back after another buyer
 * was refused leaves a unit behind a "sold out" (lost_sales 1).  Over
 * drop125's random latencies and the default payment call the plain form
 * oversells and reserve_first never does, payments failing or not; rows
 * are deterministic.
 */
#include <stdlib.h>

#include "tests/tap/basic.h"
#include "tests/tap/dropfix.h"

#define NET1                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"                                                             \
    "[object]\nregion = us-east\nhandler = const(100us)\nflush = const(5ms)\nstart = warm\n"       \
    "[object_fetch]\nfetch = const(10ms)\n"

#define TWO "[workload]\nbuyers = 2\nstock = 1\narrival = burst(window=0)\n"

#define FORMS                                                                                      \
    "[variant.plain]\nkind = object_fetch\n"                                                       \
    "[variant.reserve]\nkind = object_fetch\nreserve_first = true\n"

static void test_race(void)
{
    /* Both reach the object at 6 ms.  A: step 0 6.0..6.1 reads 1, awaits
     * until 16.1; B: step 0 6.1..6.2 reads 1 too (the gate is open), back
     * at 16.2.  A: step 1 16.1..16.2 writes 0, flush 16.2..21.2; B: step 1
     * 16.2..16.3 writes 0 again, flushed 21.2..26.2.  Replies + 1 + 5 ms:
     * 27.2 and 32.2 ms. */
    tdrop d;
    tdrop_open(&d, NET1 TWO FORMS);
    tdrop_run(&d, "plain", 1, 0);
    ok(tdrop_int(&d, "allocated") == 2 && tdrop_int(&d, "oversell") == 1,
       "fetch 10 ms, stock 1, two buyers: both see 1, both sold (oversell 1)");
    is_int(1, tdrop_int(&d, "lost_updates"), "the second write (1 - 1) overwrites the first");
    rg_time *lat = tdrop_latencies(&d);
    ok(lat[0] == 27200 * RG_US && lat[1] == 32200 * RG_US,
       "replies at 27.2 and 32.2 ms (second steps, then flushes)");
    free(lat);

    /* Reserving: A: step 0 6.0..6.1 takes the unit (flush 6.1..11.1) and
     * awaits; B: step 0 6.1..6.2 finds 0: sold out, held by the output
     * gate until 11.1 (17.1 ms).  A: step 1 16.1..16.2, paid, nothing to
     * write: 22.2 ms. */
    tdrop_run(&d, "reserve", 1, 0);
    ok(tdrop_int(&d, "allocated") == 1 && tdrop_int(&d, "rejected") == 1 &&
           tdrop_int(&d, "oversell") == 0 && tdrop_int(&d, "lost_updates") == 0,
       "reserve_first: one sold, one refused, no oversell");
    lat = tdrop_latencies(&d);
    ok(lat[0] == 17100 * RG_US && lat[1] == 22200 * RG_US,
       "reserve_first: refused at 17.1 ms (behind the reservation's flush), sold at 22.2 ms");
    free(lat);
    tdrop_close(&d);

    /* The second buyer 50 ms later reads after the write: no race. */
    tdrop_open(&d,
               NET1 "[workload]\nbuyers = 2\nstock = 1\narrival = spaced(interval=50ms)\n" FORMS);
    tdrop_run(&d, "plain", 1, 0);
    ok(tdrop_int(&d, "allocated") == 1 && tdrop_int(&d, "rejected") == 1 &&
           tdrop_int(&d, "oversell") == 0,
       "second buyer after the first write: refused, no oversell");
    tdrop_close(&d);
}

static void test_payment_fails(void)
{
    /* pay_fail = 1, reserving: A reserves the unit, B is refused (6.1..6.2),
     * A's payment fails and the unit goes back (16.1..16.2): nobody has it,
     * one buyer was told sold out while it is in stock. */
    tdrop d;
    tdrop_open(&d, NET1 "pay_fail = 1\n" TWO FORMS);
    tdrop_run(&d, "reserve", 1, 0);
    ok(tdrop_int(&d, "allocated") == 0 && tdrop_int(&d, "rejected") == 1 &&
           tdrop_int(&d, "errors") == 1 && tdrop_count(&d, RG_OUT_DECLINED) == 1,
       "reserve_first, every payment fails: one declined (an error), one refused");
    is_int(1, tdrop_int(&d, "lost_sales"),
           "the unit given back after a buyer was refused: lost_sales 1");
    /* Without the reservation nothing is written: both declined. */
    tdrop_run(&d, "plain", 1, 0);
    ok(tdrop_int(&d, "allocated") == 0 && tdrop_int(&d, "errors") == 2 &&
           tdrop_int(&d, "lost_sales") == 0,
       "plain, every payment fails: both declined, the unit untouched, no one refused");
    tdrop_close(&d);
}

/* drop125's settings with the default payment call. */
#define DROP125                                                                                    \
    "[network]\nregions = us-east, us-west, eu-west\n"                                             \
    "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"    \
    "jitter = exp(mean=1ms)\n"                                                                     \
    "[workload]\nbuyers = 125\nstock = 100\nskus = 1\narrival = burst(window=100ms)\n"             \
    "regions = us-east:0.7, us-west:0.2, eu-west:0.1\ntimeout = 10s\n"                             \
    "[object]\nregion = us-east\n" FORMS                                                           \
    "[variant.reserve_fail]\nkind = object_fetch\nreserve_first = true\npay_fail = 0.1\n"

static void test_drop125(void)
{
    tdrop d;
    tdrop_open(&d, DROP125);
    int reps = 100, plain_over = 0, reserve_bad = 0, fail_bad = 0, declined = 0;
    for (int rep = 0; rep < reps; rep++) {
        tdrop_run(&d, "plain", 125100, (uint64_t)rep);
        plain_over += tdrop_int(&d, "oversell") > 0;
        tdrop_run(&d, "reserve", 125100, (uint64_t)rep);
        reserve_bad += tdrop_int(&d, "oversell") != 0 || tdrop_int(&d, "allocated") != 100;
        tdrop_run(&d, "reserve_fail", 125100, (uint64_t)rep);
        fail_bad += tdrop_int(&d, "oversell") != 0 || tdrop_int(&d, "lost_updates") != 0;
        declined += (int)tdrop_count(&d, RG_OUT_DECLINED);
    }
    ok(plain_over > reps * 9 / 10, "drop125: the plain form oversells (%d of %d replications)",
       plain_over, reps);
    is_int(0, reserve_bad, "drop125: reserve_first sells exactly 100 in every replication");
    is_int(0, fail_bad, "drop125: reserve_first with 10%% failed payments never oversells");
    ok(declined > 0, "drop125: payments were declined (%d)", declined);
    ok(tdrop_same_on_threads(&d, 125100, 20),
       "determinism: 20 replications, identical rows twice and on 1 and 2 threads");
    tdrop_close(&d);
}

int main(void)
{
    plan(6 + 3 + 5);
    test_race();
    test_payment_fails();
    test_drop125();
    return 0;
}
