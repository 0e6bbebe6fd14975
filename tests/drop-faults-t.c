/*
 * drop-faults-t: the drop's outages ([faults], dropfaults.h), each built
 * by construction so that it hits known requests.
 *
 * The timing: client <-> PoP 5 ms, PoP <-> store 1 ms in one region, no
 * jitter, no edge CPU; three buyers press "buy" at 0 and reach the store
 * at 6 ms, in client order (buyers 0, 1, 2).  Details per test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tap/basic.h"
#include "tests/tap/dropfix.h"

#define NET                                                                                        \
    "[network]\nregions = us-east, eu-west\nrtt.us-east.eu-west = 90ms\n"                          \
    "client_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"                                   \
    "[edge]\ncpu = 0\ncold_prob = 0\n"
#define WORK3                                                                                      \
    "[workload]\nbuyers = 3\nstock = 5\narrival = burst(window=0)\nregions = us-east:1\n"          \
    "timeout = 1s\nhorizon = 60s\n"

static char tracebuf[1 << 16];

/* Runs variant `name` of scenario d (replication 0, seed 1) with its trace
 * into tracebuf, then again through the fixture for the metrics. */
static void run_traced(tdrop *d, const char *name)
{
    const rg_experiment *x = d->f.ops;
    size_t v = 0;
    while (strcmp(x->variant_name(d->f.cfg, v), name) != 0)
        v++;
    FILE *f = fmemopen(tracebuf, sizeof tracebuf, "w");
    rg_drop_run_detail(d->f.cfg, v, 1, 0, tfixture_out(&d->f), f, NULL, NULL);
    fclose(f);
    tdrop_run(d, name, 1, 0);
}

static bool traced(const char *s)
{
    bool yes = strstr(tracebuf, s) != NULL;
    if (!yes)
        diag("not in the trace: %s", s);
    return yes;
}

/* The object: handler 2 ms, flush 10 ms.  Buyers 0, 1, 2 are handled at
 * 6-8, 8-10 and 10-12 ms (writes 1, 2, 3); the first flush, 8-18 ms,
 * stores write 1 and releases buyer 0's reply; the second, 18-28 ms,
 * would store writes 2 and 3.
 *   restart at 20 ms: writes 2 and 3 are lost, buyers 1 and 2 (their
 *     replies held by the gate) get errors, the stock is 4 again.
 *   flush_fail at 15 ms: the flush ending at 18 ms fails: all three
 *     writes are lost, all three buyers get errors, the stock is 5.
 * With a second attempt 1 ms after the error and the object back after
 * 50 ms, the errored buyers buy on their retries. */
#define OBJ "[object]\nhandler = const(2ms)\nflush = const(10ms)\nstart = warm\n"

static void test_object(void)
{
    tdrop d;
    tdrop_open(&d, NET WORK3 OBJ "[faults]\nobject_restart_time = 50ms\n"
                                 "[variant.none]\nkind = object\n"
                                 "[variant.restart]\nkind = object\nobject_restart = 20ms\n"
                                 "[variant.flush]\nkind = object\nobject_flush_fail = 15ms\n");
    tdrop_run(&d, "none", 1, 0);
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "errors") == 0,
       "object without faults: 3 allocated");
    run_traced(&d, "restart");
    ok(tdrop_int(&d, "allocated") == 1 && tdrop_int(&d, "errors") == 2 &&
           d.req[0].outcome == RG_OUT_ALLOCATED && d.req[1].outcome == RG_OUT_DB_ERROR &&
           d.req[2].outcome == RG_OUT_DB_ERROR,
       "restart: buyer 0 allocated, buyers 1 and 2 (gated) get errors");
    ok(tdrop_int(&d, "ghost_units") == 0 && tdrop_int(&d, "told_yours_empty") == 0 &&
           tdrop_int(&d, "unacknowledged") == 0 && tdrop_int(&d, "lost_updates") == 0,
       "restart: the lost writes took their units with them (no ghosts, nothing unacknowledged)");
    ok(traced("FAULT: object 0 (sku-001) restarts: 2 unflushed writes discarded, 2 requests "
              "answered with an error; serves again at 70.000 ms") &&
           traced("FAULT: object 0 loses buyer 2's unit") &&
           traced("FAULT: object 0 loses buyer 1's unit"),
       "restart: traced, with what it destroyed");
    run_traced(&d, "flush");
    ok(tdrop_int(&d, "allocated") == 0 && tdrop_int(&d, "errors") == 3 &&
           tdrop_int(&d, "ghost_units") == 0 && tdrop_int(&d, "unacknowledged") == 0,
       "failed flush: no reply leaves the gate: 3 errors, nothing sold");
    ok(traced("FAULT: object 0 (sku-001) fails to flush to storage and restarts: 3 unflushed "
              "writes discarded, 3 requests answered with an error"),
       "failed flush: traced");
    tdrop_close(&d);

    /* the errored buyers try again once the object is back */
    tdrop_open(&d, NET WORK3 OBJ "[clients]\nhuman_attempts = 2\nhuman_retry_after = 1ms\n"
                                 "[faults]\nobject_restart_time = 50ms\nobject_restart = 20ms\n"
                                 "[variant.o]\nkind = object\n");
    tdrop_run(&d, "o", 1, 0);
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "requests") == 5 &&
           tdrop_int(&d, "dup_units") == 0 && tdrop_int(&d, "ghost_units") == 0,
       "restart with a retry: 5 requests, 3 units, no duplicate");
    tdrop_close(&d);
}

/* SQL, one worker, statements 2 ms, the application at the PoP (1 ms
 * from the database), the replica 5 ms behind each commit.
 *   sql_conditional: buyers 0, 1, 2 commit at 8, 10 and 12 ms (commits
 *     1, 2, 3), which land at the replica at 13, 15 and 17 ms; each buyer
 *     hears "allocated" 6 ms after its commit.  The primary dies at 14 ms:
 *     commits 2 and 3 are lost, with their orders: buyers 1 and 2 were
 *     told "yours" and hold nothing, the stock is 4.
 *   sql_locked, primary dead at 7 ms: buyer 0's SELECT ... FOR UPDATE is
 *     executing, the others queued: all three fail, nothing is sold. */
#define SQL "[sqldb]\nregion = us-east\nstmt = const(2ms)\nworkers = 1\n"

static void test_sql(void)
{
    tdrop d;
    tdrop_open(&d, NET WORK3 SQL "[faults]\ndb_replica_lag = const(5ms)\ndb_failover_time = 1s\n"
                                 "[variant.none]\nkind = sql_conditional\n"
                                 "[variant.cond]\nkind = sql_conditional\ndb_failover = 14ms\n"
                                 "[variant.locked]\nkind = sql_locked\ndb_failover = 7ms\n"
                                 "[variant.span]\nkind = sql_locked\ndb_failover = 9ms\n"
                                 "db_failover_time = 500us\n");
    tdrop_run(&d, "none", 1, 0);
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "told_yours_empty") == 0,
       "sql without faults: 3 allocated, all held");
    run_traced(&d, "cond");
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "told_yours_empty") == 2 &&
           tdrop_int(&d, "lost_updates") == 2 && tdrop_int(&d, "ghost_units") == 0,
       "failover: commits 2 and 3 lost: 2 buyers told yours hold nothing (told_yours_empty %lld)",
       (long long)tdrop_int(&d, "told_yours_empty"));
    ok(traced("FAULT: buyer 2's sale (commit 3) is lost with the primary") &&
           traced("FAULT: buyer 1's sale (commit 2) is lost with the primary") &&
           traced("its replica had commits up to 1: 2 committed sales lost, uncommitted writes "
                  "rolled back, sku-001 stock 2 -> 4"),
       "failover: traced, with the sales it lost");
    run_traced(&d, "locked");
    ok(tdrop_int(&d, "allocated") == 0 && tdrop_count(&d, RG_OUT_DB_ERROR) == 3 &&
           tdrop_int(&d, "ghost_units") == 0 && tdrop_int(&d, "unacknowledged") == 0,
       "failover mid-transaction: the 3 transactions in flight fail, nothing sold");
    /* buyer 0 holds the lock (its SELECT ... FOR UPDATE ran 6-8 ms, its
     * result is back at 9 ms); the primary dies at 9 ms and the replica
     * serves at 9.5 ms, before buyer 0's UPDATE arrives at 10 ms on its
     * connection to the dead primary: it fails too */
    tdrop_run(&d, "span", 1, 0);
    ok(tdrop_int(&d, "allocated") == 0 && tdrop_count(&d, RG_OUT_DB_ERROR) == 3 &&
           tdrop_int(&d, "ghost_units") == 0,
       "a transaction never spans a failover: its next statement fails");
    tdrop_close(&d);
}

/* The cache, operations 2 ms, the us-east node's replica 5 ms behind each
 * change: buyers 0, 1, 2 decrement at 8, 10 and 12 ms (changes 1, 2, 3,
 * at the replica at 13, 15, 17 ms) and hear "allocated" 6 ms later.
 *   failover at 14 ms: changes 2 and 3 are lost with buyers 1 and 2's
 *     orders (told "yours", holding nothing); the node's stock is 4.
 *   failover at 9 ms: buyer 1's operation is under way and buyer 2's
 *     queued: both fail; buyer 0's change had not reached the replica:
 *     told "yours", holding nothing. */
#define CACHE "[cache]\nop = const(2ms)\nlag = const(1ms)\n"

static void test_cache(void)
{
    tdrop d;
    tdrop_open(&d, NET WORK3 CACHE
               "[faults]\ncache_replica_lag = const(5ms)\ncache_failover_region = us-east\n"
               "[variant.none]\nkind = cache\n"
               "[variant.late]\nkind = cache\ncache_failover = 14ms\n"
               "[variant.early]\nkind = cache\ncache_failover = 9ms\n");
    tdrop_run(&d, "none", 1, 0);
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "told_yours_empty") == 0,
       "cache without faults: 3 allocated, all held");
    run_traced(&d, "late");
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "told_yours_empty") == 2 &&
           tdrop_int(&d, "lost_updates") == 2,
       "cache failover: the replication window (changes 2, 3) is lost: told_yours_empty %lld",
       (long long)tdrop_int(&d, "told_yours_empty"));
    ok(traced("FAULT: buyer 2's sale (change 3) is lost with the cache node") &&
           traced("FAULT: the cache node in us-east fails over to its replica, which had 1 of its "
                  "3 changes: 2 sales lost, sku-001 stock there 2 -> 4"),
       "cache failover: traced, with the sales it lost");
    run_traced(&d, "early");
    ok(tdrop_int(&d, "allocated") == 1 && tdrop_count(&d, RG_OUT_DB_ERROR) == 2 &&
           tdrop_int(&d, "told_yours_empty") == 1 && tdrop_int(&d, "ghost_units") == 0,
       "cache failover under way: 2 operations fail, buyer 0's unacknowledged change is lost");
    tdrop_close(&d);
}

/* A partition: the object in us-east, three buyers in eu-west (45 ms one
 * way), clients that give up after 200 ms.  Without it the requests reach
 * the object at 50 ms and the clients hear "allocated" by about 116 ms.
 * With us-east | eu-west cut from 0 to 300 ms, the requests (sent across
 * at 5 ms) wait for the heal: the object sells at 347-351 ms to clients
 * that gave up at 200 ms: 3 ghost units, nothing told. */
#define WORK_EU                                                                                    \
    "[workload]\nbuyers = 3\nstock = 5\narrival = burst(window=0)\nregions = eu-west:1\n"          \
    "timeout = 200ms\nhorizon = 60s\n"

static void test_partition(void)
{
    tdrop d;
    tdrop_open(&d, NET WORK_EU OBJ "[object]\nregion = us-east\n"
                                   "[faults]\npartition = us-east, eu-west\npartition_at = 0s\n"
                                   "partition_time = 300ms\n"
                                   "[variant.none]\nkind = object\npartition = none\n"
                                   "[variant.cut]\nkind = object\n");
    tdrop_run(&d, "none", 1, 0);
    ok(tdrop_int(&d, "allocated") == 3 && tdrop_int(&d, "ghost_units") == 0,
       "no partition (a variant turns it off): 3 allocated");
    run_traced(&d, "cut");
    ok(tdrop_int(&d, "allocated") == 0 && tdrop_int(&d, "timeouts") == 3 &&
           tdrop_int(&d, "ghost_units") == 3 && tdrop_int(&d, "unacknowledged") == 3,
       "partition: requests held until the heal, sold to clients who gave up (3 ghost units)");
    ok(traced("FAULT: partition us-east | eu-west: messages between them held until 300.000 ms") &&
           traced("message eu-west -> us-east held by the partition until 300.000 ms") &&
           traced("FAULT: partition us-east | eu-west heals") && traced("late reply ignored"),
       "partition: traced");
    tdrop_close(&d);
}

/* Clients that crash right after sending: the object (as in test_object,
 * no faults) sells to each, nobody reads the answer, nobody retries. */
static void test_crash(void)
{
    tdrop d;
    tdrop_open(&d, NET WORK3 OBJ "[clients]\nhuman_attempts = 2\nhuman_retry_after = 1ms\n"
                                 "[faults]\nclient_crash = 1\n"
                                 "[variant.all]\nkind = object\n"
                                 "[variant.half]\nkind = object\nclient_crash = 0.5\n");
    run_traced(&d, "all");
    ok(tdrop_int(&d, "requests") == 3 && tdrop_int(&d, "allocated") == 0 &&
           tdrop_int(&d, "timeouts") == 3 && tdrop_int(&d, "ghost_units") == 3,
       "every client crashes: 3 requests, no retry, 3 units sold to nobody told");
    ok(traced("FAULT: buyer 1 crashes after sending request 1") &&
           traced("request 1: reply to crashed buyer 1 lost (allocated)"),
       "crash: traced");
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    rg_drop_history_write(d.req, d.n, f, RG_DROP_HIST_JSONL);
    fclose(f);
    ok(strstr(buf, "\"type\": \"info\"") != NULL && strstr(buf, "\"type\": \"ok\"") == NULL &&
           strstr(buf, "\"type\": \"fail\"") == NULL,
       "crash: the history's completions are info");
    int64_t crashed = 0;
    for (uint64_t rep = 0; rep < 20; rep++) {
        tdrop_run(&d, "half", 1, rep);
        int64_t c = (int64_t)tdrop_count(&d, RG_OUT_TIMEOUT);
        if (c != tdrop_int(&d, "ghost_units") || c + tdrop_int(&d, "allocated") != 3 ||
            tdrop_int(&d, "requests") != 3)
            break;
        crashed += c;
    }
    ok(crashed > 10 && crashed < 50,
       "client_crash = 0.5: about half crash (%lld of 60), each a ghost unit", (long long)crashed);
    ok(tdrop_same_on_threads(&d, 1, 4), "crashes: the same rows on 1 and 2 threads");
    tdrop_close(&d);
}

int main(void)
{
    plan(24);
    test_object();
    test_sql();
    test_cache();
    test_partition();
    test_crash();
    return 0;
}
