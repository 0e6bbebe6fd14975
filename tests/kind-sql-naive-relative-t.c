/*
 * kind-sql-naive-relative-t: the drop's sql_naive_relative kind
 * (kind-sql.c): SELECT, an application-side check, then UPDATE SET stock =
 * stock - 1 with no guard.
 *
 * The race is built by hand with constant latencies (client <-> PoP 5 ms,
 * PoP <-> database 1 ms, no jitter, no edge CPU) and a database running one
 * 1 ms statement at a time, the application at the edge and no pause: a
 * buyer alone reads at +7 ms and writes at +10 ms.  Every buyer whose read
 * lands before the others' writes subtracts one more: the row goes below 0
 * by that many, and no decrement is lost (sql_naive, writing read - 1 from
 * the same reads, loses them instead).  Over drop125's random latencies
 * the kind never loses an update, and its rows are deterministic.
 */
#include <stdlib.h>

#include "tests/tap/basic.h"
#include "tests/tap/dropfix.h"

#define NET1                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"                                                             \
    "[sqldb]\nregion = us-east\nstmt = const(1ms)\nworkers = 1\npause = 0\n"

#define BOTH "[variant.rel]\nkind = sql_naive_relative\n[variant.naive]\nkind = sql_naive\n"

static void test_race(void)
{
    /* Stock 1, three buyers at t = 0.  Their SELECTs reach the database at
     * 6 ms and run 6..7, 7..8, 8..9 (all read 1); the UPDATEs follow each
     * read by a round trip (arrive 9, 10, 11) and run 9..10, 10..11,
     * 11..12: every read precedes the first write.  Each subtracts one:
     * the row ends at 1 - 3 = -2, three buyers are told allocated (oversell
     * 2), nothing is lost.  Replies: write done + 1 + 5 = 16, 17, 18 ms. */
    tdrop d;
    tdrop_open(&d, NET1 "[workload]\nbuyers = 3\nstock = 1\narrival = burst(window=0)\n" BOTH);
    tdrop_run(&d, "rel", 1, 0);
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "oversell") == 2,
       "relative, three reads before the first write: 3 allocated, oversell 2");
    ok(tdrop_int(&d, "lost_updates") == 0 && tdrop_int(&d, "unacknowledged") == 0,
       "relative: the row holds every sale (ends at -2): no lost update");
    rg_time *lat = tdrop_latencies(&d);
    ok(lat[0] == 16 * RG_MS && lat[1] == 17 * RG_MS && lat[2] == 18 * RG_MS,
       "relative: replies at 16, 17 and 18 ms");
    free(lat);
    /* sql_naive, same reads: every write is 1 - 1 = 0 */
    tdrop_run(&d, "naive", 1, 0);
    ok(tdrop_int(&d, "oversell") == 2 && tdrop_int(&d, "lost_updates") == 2,
       "sql_naive, the same race: oversell 2 too, but the row ends at 0 (2 updates lost)");
    tdrop_close(&d);

    /* Spaced 2.5 ms: buyer 0 reads 6..7 and writes 9.5..10.5 (behind
     * buyer 1's read, 8.5..9.5, which still sees 1); buyer 2's read
     * (11..12) comes after that write and sees 0.  Two racers: 2
     * allocated, 1 refused, oversell 1; buyer 1's write (12..13) takes the
     * row to -1. */
    tdrop_open(&d, NET1 "[workload]\nbuyers = 3\nstock = 1\narrival = spaced(interval=2500us)\n"
                        "[variant.rel]\nkind = sql_naive_relative\n");
    tdrop_run(&d, "rel", 1, 0);
    ok(tdrop_int(&d, "allocated") == 2 && tdrop_int(&d, "rejected") == 1 &&
           tdrop_int(&d, "oversell") == 1 && tdrop_int(&d, "lost_updates") == 0,
       "relative, spaced 2.5 ms: 2 racers allocated, the third refused, oversell 1");
    ok(d.req[0].outcome == RG_OUT_ALLOCATED && d.req[1].outcome == RG_OUT_ALLOCATED &&
           d.req[2].outcome == RG_OUT_SOLD_OUT,
       "relative, spaced 2.5 ms: the buyer who read after a write is the one refused");
    tdrop_close(&d);

    /* Spaced 5 ms: each buyer's read comes after the previous write (the
     * request holds the database from +6 to +10 ms): no race. */
    tdrop_open(&d, NET1 "[workload]\nbuyers = 3\nstock = 1\narrival = spaced(interval=5ms)\n"
                        "[variant.rel]\nkind = sql_naive_relative\n");
    tdrop_run(&d, "rel", 1, 0);
    ok(tdrop_int(&d, "allocated") == 1 && tdrop_int(&d, "rejected") == 2 &&
           tdrop_int(&d, "oversell") == 0,
       "relative, spaced 5 ms > its 4 ms window: 1 allocated, 2 refused, no oversell");
    tdrop_close(&d);
}

/* drop125's settings with the stories' 100 ms pause. */
#define DROP125                                                                                    \
    "[network]\nregions = us-east, us-west, eu-west\n"                                             \
    "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"    \
    "jitter = exp(mean=1ms)\n"                                                                     \
    "[workload]\nbuyers = 125\nstock = 100\nskus = 1\narrival = burst(window=100ms)\n"             \
    "regions = us-east:0.7, us-west:0.2, eu-west:0.1\ntimeout = 10s\n"                             \
    "[sqldb]\nregion = us-east\nworkers = 1\nstmt = lognormal(median=1ms, p99=4ms)\n"              \
    "pause = 100ms\n" BOTH

static void test_drop125(void)
{
    tdrop d;
    tdrop_open(&d, DROP125);
    int reps = 100, lost = 0, over = 0, naive_lost = 0;
    for (int rep = 0; rep < reps; rep++) {
        tdrop_run(&d, "rel", 125100, (uint64_t)rep);
        lost += tdrop_int(&d, "lost_updates") != 0 || tdrop_int(&d, "unacknowledged") != 0;
        over += tdrop_int(&d, "oversell") > 0;
        tdrop_run(&d, "naive", 125100, (uint64_t)rep);
        naive_lost += tdrop_int(&d, "lost_updates") > 0;
    }
    is_int(0, lost, "drop125: the row holds every relative decrement in all %d replications", reps);
    ok(over > reps / 2, "drop125: the relative form still oversells (%d of %d replications)", over,
       reps);
    is_int(reps, naive_lost, "drop125: sql_naive loses updates in every replication");
    ok(tdrop_same_on_threads(&d, 125100, 30),
       "determinism: 30 replications, identical rows twice and on 1 and 2 threads");
    tdrop_close(&d);
}

int main(void)
{
    plan(7 + 4);
    test_race();
    test_drop125();
    return 0;
}
