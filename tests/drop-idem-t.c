/*
 * drop-idem-t: buyers' identity and idempotency keys in the drop
 * (orders.h, the kinds' orders tables, [clients] idempotency).
 *
 * The timing is built by hand with constant latencies: client <-> PoP
 * 5 ms, PoP <-> store 1 ms, no jitter, no edge CPU; the store takes 30 ms
 * to answer (object handler, SQL statement or cache op) and the client
 * gives up after 20 ms, then tries once more 1 ms later.  One buyer, stock
 * 5: its first request reaches the store at 6 ms and sells at 36 ms; the
 * retry (sent at 21 ms) reaches the store at 27 ms, behind it.  Without a
 * key the retry is a new purchase and sells a second unit: the buyer
 * holds 2, wanted 1 (dup_units 1), was told of none (ghost_units 2).  With
 * a key the store answers the retry with the first allocation: one unit
 * held.  The quorum KV offers no idempotency: the key changes nothing.
 */
#include <stdio.h>
#include <string.h>

#include "tests/tap/basic.h"
#include "tests/tap/dropfix.h"

#define BASE                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"                                                             \
    "[workload]\nbuyers = 1\nstock = 5\narrival = burst(window=0)\ntimeout = 20ms\n"               \
    "horizon = 10s\n"                                                                              \
    "[clients]\nhuman_attempts = 2\nhuman_retry_after = 1ms\nidempotency = false\n"

/* Each kind with its store's section: an answer 30 ms after arrival. */
static const char *const kinds[][2] = {
    {"object", "[object]\nhandler = const(30ms)\nflush = const(0)\nstart = warm\n"},
    {"sql_conditional", "[sqldb]\nregion = us-east\nstmt = const(30ms)\nworkers = 1\n"},
    {"sql_locked", "[sqldb]\nregion = us-east\nstmt = const(30ms)\nworkers = 1\n"},
    {"sql_naive", "[sqldb]\nregion = us-east\nstmt = const(30ms)\nworkers = 1\npause = 0\n"},
    {"cache", "[cache]\nop = const(30ms)\nlag = const(1ms)\n"},
};

static void test_kind(const char *kind, const char *store)
{
    char text[4096];
    snprintf(text, sizeof text,
             BASE "%s[variant.nokey]\nkind = %s\n[variant.key]\nkind = %s\nidempotency = true\n",
             store, kind, kind);
    tdrop d;
    tdrop_open(&d, text);
    tdrop_run(&d, "nokey", 1, 0);
    ok(tdrop_int(&d, "requests") == 2 && tdrop_count(&d, RG_OUT_TIMEOUT) == 2,
       "%s: both attempts time out", kind);
    ok(tdrop_int(&d, "dup_units") == 1 && tdrop_int(&d, "ghost_units") == 2,
       "%s, no key: the retry allocates again (dup_units %lld, ghost_units %lld)", kind,
       (long long)tdrop_int(&d, "dup_units"), (long long)tdrop_int(&d, "ghost_units"));
    tdrop_run(&d, "key", 1, 0);
    /* one unit held: the object and SQL answer the retry after the 20 ms
     * timeout (ghost 1); the cache's SET NX finds the key at once and
     * answers "allocated" in time (ghost 0) */
    ok(tdrop_int(&d, "dup_units") == 0 &&
           tdrop_int(&d, "allocated") + tdrop_int(&d, "ghost_units") == 1 &&
           tdrop_int(&d, "told_yours_empty") == 0,
       "%s, key: allocated once (dup_units %lld, ghost_units %lld)", kind,
       (long long)tdrop_int(&d, "dup_units"), (long long)tdrop_int(&d, "ghost_units"));
    tdrop_close(&d);
}

/* The history of the object's run without a key: two invokes, two info
 * completions (timeouts), the retry on a new process (the first crashed). */
static void test_history(void)
{
    char text[4096];
    snprintf(text, sizeof text, BASE "%s[variant.o]\nkind = object\n", kinds[0][1]);
    tdrop d;
    tdrop_open(&d, text);
    tdrop_run(&d, "o", 1, 0);
    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ok(rg_drop_history_write(d.req, d.n, f, RG_DROP_HIST_JSONL) == 0, "history written");
    fclose(f);
    ok(strstr(buf, "{\"process\": 0, \"type\": \"invoke\", \"f\": \"decrement\", \"value\": 0, "
                   "\"time\": 0}\n{\"process\": 0, \"type\": \"info\"") == buf &&
           strstr(buf, "{\"process\": 1, \"type\": \"invoke\"") != NULL,
       "JSON lines: invoke, info at the timeout, the retry on process 1");
    f = fmemopen(buf, sizeof buf, "w");
    rg_drop_history_write(d.req, d.n, f, RG_DROP_HIST_EDN);
    fclose(f);
    ok(strncmp(buf, "{:process 0, :type :invoke, :f :decrement, :value 0, :time 0}", 61) == 0,
       "EDN: the same operations");
    tdrop_close(&d);
}

/* Told and held: a buyer answered "allocated" holds its unit; a buyer
 * told sold out holds none (drop125's safe object, no retries). */
static void test_told(void)
{
    tdrop d;
    tdrop_open(&d, "[workload]\nbuyers = 125\nstock = 100\n[variant.o]\nkind = object\n");
    tdrop_run(&d, "o", 7, 0);
    ok(tdrop_int(&d, "allocated") == 100 && tdrop_int(&d, "told_yours_empty") == 0 &&
           tdrop_int(&d, "told_soldout_held") == 0 && tdrop_int(&d, "ghost_units") == 0 &&
           tdrop_int(&d, "dup_units") == 0,
       "object without failures: every buyer holds exactly what it was told");
    tdrop_close(&d);
}

int main(void)
{
    size_t n = sizeof kinds / sizeof kinds[0];
    plan((int)(3 * n + 4));
    for (size_t i = 0; i < n; i++)
        test_kind(kinds[i][0], kinds[i][1]);
    test_told();
    test_history();
    return 0;
}
