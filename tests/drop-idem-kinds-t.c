/*
 * drop-idem-kinds-t: idempotency keys in the kinds object_fetch,
 * sharded_object, atomic_primary and quorum: what each store can dedupe,
 * and the damage where it cannot, each race built by construction.
 *
 * The timing is made by hand with constant latencies, as in drop-idem-t:
 * client <-> PoP 5 ms, PoP <-> store 1 ms, no jitter, no edge CPU; one
 * buyer; the client gives up after 20 ms and tries once more 1 ms later
 * (sent at 21 ms, at the store at 27 ms).  The store is made slow enough
 * that the first attempt has changed the stock when, or before, the retry
 * arrives, and the client gave up on it.  Without a key the retry is a new
 * purchase: the buyer holds two units (dup_units 1).  With a key:
 *
 *  - object_fetch (object handler 1 ms, payment 30 ms): the retry's step 0
 *    (28 ms) runs while the original awaits its payment, so it passes the
 *    lookup; its step 1 (59 ms) finds the original's entry (38 ms) and
 *    writes nothing.  With a 10 ms payment the original has written
 *    (18 ms) when the retry arrives: step 0 answers "allocated" at once,
 *    in time for the client (34 ms < 41 ms).  With reserve_first and every
 *    payment failing, the retry finds the original's reservation and is
 *    told "allocated" (34 ms) before the original's payment fails (38 ms):
 *    told "yours", holds nothing.
 *  - sharded_object (two shards, handler 30 ms): router = session sends
 *    the retry to the original's shard, whose table knows the order;
 *    round_robin sends it to the other shard, which does not: two units
 *    even with the key.
 *  - atomic_primary (op 30 ms): the retry queues behind its original at
 *    the primary (at 27 ms, the original done at 36 ms) and answers from
 *    the order the original recorded; with op 10 ms the original is done
 *    (16 ms) before the retry arrives.  With the pre-check, stock 1, op
 *    5 ms: the original takes the last unit at 18 ms and times out (24 ms);
 *    the retry's pre-check reads 0 at 32 ms and the edge tells the buyer
 *    "sold out" (38 ms) although it holds the unit.
 *  - quorum (N 3, R = W = 2, every message 5 ms): the original's order key
 *    is written (16 ms), then the stock read and written (36 ms); the
 *    retry's conditional write finds the key and sells nothing.  With
 *    stock 0, key messages 3 ms and read messages 15 ms: the original's
 *    key is written at 12 ms, its read ends at 42 ms with no unit; the
 *    retry's conditional write (27 to 33 ms) finds the key and the buyer
 *    is told "allocated" at 39 ms: told "yours", holds nothing.
 */
#include <stdio.h>

#include "tests/tap/basic.h"
#include "tests/tap/dropfix.h"

#define BASE                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"                                                             \
    "[clients]\nhuman_attempts = 2\nhuman_retry_after = 1ms\nidempotency = false\n"
#define ONE_BUYER(stock)                                                                           \
    "[workload]\nbuyers = 1\nstock = " #stock "\narrival = burst(window=0)\ntimeout = 20ms\n"      \
    "horizon = 10s\n"
#define OBJ "[object]\nhandler = const(1ms)\nflush = const(0)\nstart = warm\n"
#define OBJ30 "[object]\nhandler = const(30ms)\nflush = const(0)\nstart = warm\n"

/* Runs variants nokey and key (the same keys plus idempotency = true) of
 * the scenario BASE + store + [variant] keys, and leaves d open on the
 * key variant's replication; *nokey_dup gets the other's dup_units. */
static void run_pair(tdrop *d, const char *store, const char *keys, int64_t *nokey_dup)
{
    char text[4096];
    snprintf(text, sizeof text, BASE "%s[variant.nokey]\n%s[variant.key]\n%sidempotency = true\n",
             store, keys, keys);
    tdrop_open(d, text);
    tdrop_run(d, "nokey", 1, 0);
    *nokey_dup = tdrop_int(d, "dup_units");
    tdrop_run(d, "key", 1, 0);
}

/* A retry the store dedupes: two units without the key, one with it. */
static void dedupes(const char *what, const char *store, const char *keys, int64_t allocated)
{
    tdrop d;
    int64_t nokey;
    run_pair(&d, store, keys, &nokey);
    int64_t dup = tdrop_int(&d, "dup_units"), ghost = tdrop_int(&d, "ghost_units");
    ok(nokey == 1 && dup == 0 && tdrop_int(&d, "allocated") == allocated &&
           ghost == 1 - allocated && tdrop_int(&d, "told_yours_empty") == 0,
       "%s: without a key two units (dup %lld), with it one (dup %lld, told %lld, ghost %lld)",
       what, (long long)nokey, (long long)dup, (long long)tdrop_int(&d, "allocated"),
       (long long)ghost);
    tdrop_close(&d);
}

static void test_object_fetch(void)
{
    dedupes("object_fetch, retry during the original's payment",
            ONE_BUYER(5) OBJ "[object_fetch]\nfetch = const(30ms)\n", "kind = object_fetch\n", 0);
    dedupes("object_fetch, retry after the original's write",
            ONE_BUYER(5) OBJ "[object_fetch]\nfetch = const(10ms)\n", "kind = object_fetch\n", 1);
    tdrop d;
    int64_t nokey;
    run_pair(&d, ONE_BUYER(5) OBJ "[object_fetch]\nfetch = const(30ms)\n",
             "kind = object_fetch\nreserve_first = true\npay_fail = 1\n", &nokey);
    ok(tdrop_int(&d, "allocated") == 1 && tdrop_int(&d, "told_yours_empty") == 1,
       "object_fetch, reserve_first, payment fails: the retry is told yours from the "
       "reservation, the buyer holds nothing");
    tdrop_close(&d);
}

static void test_sharded(void)
{
    dedupes("sharded_object, router = session", ONE_BUYER(5) OBJ30,
            "kind = sharded_object\nshards = 2\nrouter = session\n", 0);
    tdrop d;
    int64_t nokey;
    run_pair(&d, ONE_BUYER(5) OBJ30, "kind = sharded_object\nshards = 2\nrouter = round_robin\n",
             &nokey);
    ok(nokey == 1 && tdrop_int(&d, "dup_units") == 1,
       "sharded_object, round_robin: the retry reaches the other shard, two units with the key "
       "too");
    tdrop_close(&d);
}

static void test_atomic_primary(void)
{
    dedupes("atomic_primary, retry queued behind the original",
            ONE_BUYER(5) "[atomic_primary]\nop = const(30ms)\n", "kind = atomic_primary\n", 0);
    dedupes("atomic_primary, retry after the original",
            ONE_BUYER(5) "[atomic_primary]\nop = const(10ms)\n", "kind = atomic_primary\n", 0);
    tdrop d;
    int64_t nokey;
    run_pair(&d, ONE_BUYER(1) "[atomic_primary]\nop = const(5ms)\n",
             "kind = atomic_primary\nprecheck = true\n", &nokey);
    ok(tdrop_int(&d, "rejected") == 1 && tdrop_int(&d, "told_soldout_held") == 1 &&
           tdrop_int(&d, "dup_units") == 0,
       "atomic_primary, pre-check: the retry is told sold out holding the last unit");
    tdrop_close(&d);
}

#define QUORUM(dw, dr)                                                                             \
    "[quorum]\nn = 3\nr = 2\nw = 2\nregion = us-east\ndelay_w = const(" dw ")\n"                   \
    "delay_a = const(" dw ")\ndelay_r = const(" dr ")\ndelay_s = const(" dr ")\n"

static void test_quorum(void)
{
    dedupes("quorum, the order key exists", ONE_BUYER(5) QUORUM("5ms", "5ms"), "kind = quorum\n",
            0);
    tdrop d;
    int64_t nokey;
    run_pair(&d, ONE_BUYER(0) QUORUM("3ms", "15ms"), "kind = quorum\n", &nokey);
    int64_t empty = tdrop_int(&d, "told_yours_empty");
    tdrop_run(&d, "nokey", 1, 0);
    ok(empty == 1 && tdrop_int(&d, "told_yours_empty") == 0,
       "quorum, no stock: the key tells the retry yours while the original finds none "
       "(told_yours_empty %lld with the key, %lld without)",
       (long long)empty, (long long)tdrop_int(&d, "told_yours_empty"));
    tdrop_close(&d);
}

/* Random timings (drop125's, a 50 ms client timeout, three attempts): the
 * same rows on 1 and 2 threads, every kind with keys. */
static void test_threads(void)
{
    tdrop d;
    tdrop_open(&d, "[network]\nregions = us-east, us-west, eu-west\n"
                   "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=100ms)\n"
                   "timeout = 50ms\n"
                   "[clients]\nhuman_attempts = 3\nhuman_retry = backoff\nidempotency = true\n"
                   "[object]\nregion = us-east\n"
                   "[variant.fetch]\nkind = object_fetch\n"
                   "[variant.sharded]\nkind = sharded_object\n"
                   "[variant.primary]\nkind = atomic_primary\n"
                   "[variant.quorum]\nkind = quorum\n");
    ok(tdrop_same_on_threads(&d, 5, 6), "keys: the same rows on 1 and 2 threads");
    tdrop_close(&d);
}

int main(void)
{
    plan(11);
    test_object_fetch();
    test_sharded();
    test_atomic_primary();
    test_quorum();
    test_threads();
    return 0;
}
