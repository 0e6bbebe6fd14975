/*
 * drop-room-t: the waiting room ([waiting_room], droproom.c) through the
 * drop model, with the constant network of drop-t (client <-> PoP 5 ms,
 * same-region hop 1 ms, no jitter, no edge CPU) and a conditional SQL
 * UPDATE of 1 ms, so that a buyer alone is answered in 5 + 1 + 1 + 1 + 5
 * = 13 ms.
 *
 * Checked: buyers who all press at once reach the room at 5 ms and are let
 * in at exactly 5 ms + k / rate (k = 0, 1, ...), for a rate of whole
 * milliseconds (50/s) and one that is not (3/s); their latency is the
 * wait plus 13 ms (spaced by the room, they never contend at the
 * database); buyers who find the room idle are let in at once; the
 * client's timeout runs from admission, not from the press; the room's
 * metrics; N/min and N/s agree; bad rates are refused.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/drop.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"
#include "tests/tap/fixture.h"

#define NET1                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"                                                             \
    "[sqldb]\nregion = us-east\nstmt = const(1ms)\nworkers = 1\n"

typedef struct run {
    tfixture f;
    rg_drop_req *req;
    size_t n;
} run;

static void run_open(run *x, const char *text)
{
    tfixture_open(&x->f, &rg_experiment_drop, "drop-room-t.ini", text);
    rg_drop_run_detail(x->f.cfg, 0, 1, 0, tfixture_out(&x->f), NULL, &x->req, &x->n);
    if (!rg_repout_done(x->f.out))
        bail("replication did not complete: %s", rg_repout_error(x->f.out));
}

static void run_close(run *x)
{
    free(x->req);
    tfixture_close(&x->f);
}

static double dval(const run *x, const char *name)
{
    size_t n;
    const rg_metric *m = rg_experiment_drop.metrics(x->f.cfg, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0)
            return x->f.row[i].d;
    bail("no metric %s", name);
}

static int cmp_time(const void *a, const void *b)
{
    rg_time x = *(const rg_time *)a, y = *(const rg_time *)b;
    return (x > y) - (x < y);
}

/* The admission times, sorted (caller frees). */
static rg_time *admissions(const run *x)
{
    rg_time *t = malloc(x->n * sizeof *t);
    if (t == NULL)
        bail("out of memory");
    for (size_t i = 0; i < x->n; i++)
        t[i] = x->req[i].admitted;
    qsort(t, x->n, sizeof *t, cmp_time);
    return t;
}

static void test_slots(void)
{
    run x;
    run_open(&x, NET1 "[workload]\nbuyers = 10\nstock = 100\narrival = burst(window=0)\n"
                      "[waiting_room]\nrate = 50/s\n[variant.c]\nkind = sql_conditional\n");
    rg_time *t = admissions(&x);
    bool exact = x.n == 10, lat = true;
    for (size_t k = 0; k < x.n; k++)
        exact = exact && t[k] == 5 * RG_MS + (rg_time)k * 20 * RG_MS;
    ok(exact, "50/s: ten buyers let in at exactly 5 ms + k x 20 ms");
    for (size_t i = 0; i < x.n; i++)
        lat = lat && x.req[i].sent == 0 &&
              x.req[i].answered - x.req[i].sent == x.req[i].admitted + 8 * RG_MS;
    ok(lat, "latency = the wait in the room + 13 ms: the wait counts");
    is_double(0.09, dval(&x, "room_wait_mean"), 1e-12, "room_wait_mean: (0 + ... + 180) / 10 ms");
    is_double(0.18, dval(&x, "room_wait_max"), 1e-12, "room_wait_max: 9 x 20 ms");
    free(t);
    run_close(&x);

    /* 3/s: slot k is round(k x 10^9 / 3) ns after the first, no drift */
    run_open(&x, NET1 "[workload]\nbuyers = 7\nstock = 100\narrival = burst(window=0)\n"
                      "[waiting_room]\nrate = 3/s\n[variant.c]\nkind = sql_conditional\n");
    t = admissions(&x);
    exact = x.n == 7;
    for (size_t k = 0; k < x.n; k++)
        exact = exact && t[k] == 5 * RG_MS + (rg_time)llround((double)k * 1e9 / 3);
    ok(exact, "3/s: buyer k let in at exactly 5 ms + k/3 s (to the ns: %lld ns for k = 6)",
       (long long)(t[x.n - 1] - 5 * RG_MS));
    free(t);
    run_close(&x);

    /* the same rate per minute */
    run_open(&x, NET1 "[workload]\nbuyers = 7\nstock = 100\narrival = burst(window=0)\n"
                      "[waiting_room]\nrate = 180/min\n[variant.c]\nkind = sql_conditional\n");
    t = admissions(&x);
    is_int(5 * RG_MS + 2 * RG_S, t[6], "180/min lets the 7th buyer in at 5 ms + 2 s, as 3/s");
    free(t);
    run_close(&x);
}

static void test_idle(void)
{
    /* buyers 100 ms apart, rate 50/s: the room is idle whenever one comes,
     * so each is let in on arrival (and a new period starts) */
    run x;
    run_open(&x, NET1 "[workload]\nbuyers = 5\nstock = 100\narrival = spaced(interval=100ms)\n"
                      "[waiting_room]\nrate = 50/s\n[variant.c]\nkind = sql_conditional\n");
    bool at_once = true;
    for (size_t i = 0; i < x.n; i++)
        at_once = at_once && x.req[i].admitted == x.req[i].sent + 5 * RG_MS &&
                  x.req[i].answered - x.req[i].sent == 13 * RG_MS;
    ok(at_once, "an idle room lets a buyer in at once: latency 13 ms");
    is_double(0, dval(&x, "room_wait_max"), 0, "room_wait_max 0");
    run_close(&x);

    run_open(&x, NET1 "[workload]\nbuyers = 6\nstock = 100\narrival = spaced(interval=30ms)\n"
                      "[waiting_room]\nrate = 50/s\n[variant.c]\nkind = sql_conditional\n");
    rg_time *t = admissions(&x);
    /* spaced 30 ms: buyers reach the room at 5, 35, 65, 95, 125, 155 ms;
     * slots of the period begun at 5 ms: 5, 25 (< 35: idle, restart at
     * 35), 55 (< 65: restart at 65), 85 (< 95: restart), ...: each at once */
    bool arrival = true;
    for (size_t k = 0; k < x.n; k++)
        arrival = arrival && t[k] == 5 * RG_MS + (rg_time)k * 30 * RG_MS;
    ok(arrival, "arrivals slower than the rate are never held");
    free(t);
    run_close(&x);
}

static void test_timeout(void)
{
    /* rate 5/s, timeout 100 ms: the last of 10 buyers waits 1.8 s in the
     * room, longer than the timeout, and is still sold a unit: the timeout
     * runs from admission */
    run x;
    run_open(&x, NET1 "[workload]\nbuyers = 10\nstock = 100\narrival = burst(window=0)\n"
                      "timeout = 100ms\n[waiting_room]\nrate = 5/s\n"
                      "[variant.c]\nkind = sql_conditional\n");
    bool all = true;
    rg_time longest = 0;
    for (size_t i = 0; i < x.n; i++) {
        all = all && x.req[i].outcome == RG_OUT_ALLOCATED;
        if (x.req[i].answered - x.req[i].sent > longest)
            longest = x.req[i].answered - x.req[i].sent;
    }
    ok(all, "timeout 100 ms, 1.8 s in the room: every buyer is still allocated");
    is_int(1813 * RG_MS, longest, "the last buyer's latency: 1.8 s in the room + 13 ms");
    run_close(&x);
}

static void test_errors(void)
{
    static const char *const bad[] = {"fast", "0/s", "-3/s", "10/h", "1e12/s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, NET1 "[waiting_room]\nrate = %s\n[variant.c]\nkind = object\n",
                 bad[i]);
        rg_err e;
        rg_err_clear(&e);
        void *cfg = NULL;
        rg_scn *s = rg_scn_load_string("drop-room-t.ini", text, &e);
        int rc = rg_experiment_drop.load(s, &cfg, &e);
        ok(rc < 0 && strstr(e.msg, "[waiting_room] rate") != NULL, "rate = %s refused: %s", bad[i],
           e.msg);
        if (rc == 0)
            rg_experiment_drop.free_cfg(cfg);
        rg_scn_free(s);
    }
}

int main(void)
{
    plan(11 + 5);
    test_slots();
    test_idle();
    test_timeout();
    test_errors();
    return 0;
}
