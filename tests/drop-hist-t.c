/*
 * drop-hist-t: a drop replication's requests as operations (drophist.c),
 * on hand-made request records, stock 1:
 *
 *   buyer 0 sends at 0 and gives up at 20 ms (timeout); buyer 1 is told
 *   sold out between 30 and 40 ms; buyer 0's retry, sent at 50 ms, is
 *   told "allocated" at 60 ms.
 *
 * With one idempotency key on both of buyer 0's attempts they are one
 * purchase, [0, 60 ms], ok: buyer 0's unit was sold before buyer 1 was
 * told sold out, and the history is linearizable.  Without keys the retry
 * is a second purchase: an ok after a sold-out answer, with the info
 * either taking the only unit (then the ok is impossible) or not (then
 * sold out is): not linearizable.  And: a keyed purchase whose last
 * attempt was refused on the way after a timeout is info; two SKUs are
 * checked apart; the written history has one invoke per purchase and
 * names the cause of each fail.
 */
#include <stdio.h>
#include <string.h>

#include "models/drop/drop.h"
#include "tests/tap/basic.h"

#define MS 1000000

static rg_drop_req req(size_t client, int sku, rg_time sent, rg_time answered, rg_outcome o,
                       uint64_t order)
{
    rg_drop_req q;
    memset(&q, 0, sizeof q);
    q.client = client;
    q.sku = sku;
    q.sent = sent;
    q.answered = answered;
    q.admitted = -1;
    q.outcome = o;
    q.order = order;
    return q;
}

int main(void)
{
    plan(9);
    rg_drop_req keyed[] = {
        req(0, 0, 0, 20 * MS, RG_OUT_TIMEOUT, 77),
        req(1, 0, 30 * MS, 40 * MS, RG_OUT_SOLD_OUT, 0),
        req(0, 0, 50 * MS, 60 * MS, RG_OUT_ALLOCATED, 77),
    };
    is_int(1, rg_drop_history_check(keyed, 3, 1, 1), "a keyed retry is one purchase: linearizable");
    rg_drop_req nokey[3];
    memcpy(nokey, keyed, sizeof nokey);
    nokey[0].order = nokey[2].order = 0;
    is_int(0, rg_drop_history_check(nokey, 3, 1, 1), "without keys, two purchases: not");

    char buf[4096];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ok(rg_drop_history_write(keyed, 3, f, RG_DROP_HIST_JSONL) == 0, "history written");
    fclose(f);
    const char *want =
        "{\"process\": 0, \"type\": \"invoke\", \"f\": \"decrement\", \"value\": 0, "
        "\"order\": 77, \"time\": 0}\n"
        "{\"process\": 1, \"type\": \"invoke\", \"f\": \"decrement\", \"value\": 0, \"time\": "
        "30000000}\n"
        "{\"process\": 1, \"type\": \"fail\", \"f\": \"decrement\", \"value\": 0, \"error\": "
        "\"sold-out\", \"time\": 40000000}\n"
        "{\"process\": 0, \"type\": \"ok\", \"f\": \"decrement\", \"value\": 0, \"order\": 77, "
        "\"time\": 60000000}\n";
    is_string(want, buf, "one invoke and one completion per purchase; sold-out named");
    f = fmemopen(buf, sizeof buf, "w");
    rg_drop_history_write(nokey, 3, f, RG_DROP_HIST_EDN);
    fclose(f);
    ok(strstr(buf, "{:process 0, :type :info, :f :decrement, :value 0, :time 20000000}") &&
           strstr(buf, "{:process 2, :type :invoke,") && strstr(buf, ":error :sold-out"),
       "EDN without keys: an info, the retry on a new process (0 + 1 x 2 clients)");

    /* a retry refused at the edge after a timeout: the timeout may land */
    rg_drop_req refused[] = {
        req(0, 0, 0, 20 * MS, RG_OUT_TIMEOUT, 9),
        req(0, 0, 25 * MS, 26 * MS, RG_OUT_RATE_LIMITED, 9),
        req(1, 0, 30 * MS, 40 * MS, RG_OUT_SOLD_OUT, 0),
    };
    is_int(1, rg_drop_history_check(refused, 3, 1, 1),
           "a keyed purchase refused on the way after a timeout is info: it may have sold");
    refused[0].outcome = RG_OUT_OVERLOADED;
    is_int(0, rg_drop_history_check(refused, 3, 1, 1),
           "refused on every attempt: it never reached the counter");

    /* two SKUs, one unit each: SKU 1's sold-out answer is unexplained */
    rg_drop_req skus[] = {
        req(0, 0, 0, 10 * MS, RG_OUT_ALLOCATED, 0),
        req(1, 1, 20 * MS, 30 * MS, RG_OUT_SOLD_OUT, 0),
    };
    is_int(0, rg_drop_history_check(skus, 2, 2, 1), "each SKU is its own counter");
    skus[1].sku = 0;
    is_int(1, rg_drop_history_check(skus, 2, 2, 1), "... the same answers on one SKU are fine");
    return 0;
}
