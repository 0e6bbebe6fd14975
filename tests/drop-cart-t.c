/*
 * drop-cart-t: reservations that expire ([reservations], dropcart.c),
 * through the drop model with constant latencies worked out by hand.
 *
 * The network of drop-t: client <-> PoP 5 ms, same-region hop 1 ms, no
 * jitter, no edge CPU.  One unit, three buyers 700 ms apart, nobody pays
 * (pay = 0).  With a warm object (handler 100 us, flush 5 ms):
 *   buyer 0  at the object 6 ms, unit sold (write durable 11.1 ms), told
 *            at 17.1 ms: the cart holds the unit from 17.1 ms
 *   buyer 1  at the object 706 ms: stock 0, sold out
 *   expiry   17.1 ms + ttl; the release reaches the object 1 ms later and
 *            its handler gives the unit back 0.1 ms after that
 *   buyer 2  at the object 1406 ms: gets the unit iff the release's
 *            handler finished before, i.e. 18.2 ms + ttl <= 1406 ms
 * so ttl = 1387 ms sells buyer 2 the unit and ttl = 1389 ms does not.
 * The same race through the SQL and cache kinds (whose release is a store
 * operation too), the metrics (released, lost_sales at the close,
 * confirmed and sellout_time), a variant that turns reservations off, and
 * the payments stream: turning reservations on moves no other draw.
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
    "[edge]\ncpu = 0\ncold_prob = 0\n"
#define OBJ "[object]\nregion = us-east\nhandler = const(100us)\nflush = const(5ms)\nstart = warm\n"
#define THREE "[workload]\nbuyers = 3\nstock = 1\narrival = spaced(interval=700ms)\n"

/* One replication of variant v of `text`: its metrics and requests. */
typedef struct run {
    tfixture f;
    rg_drop_req *req;
    size_t n;
} run;

static void run_open(run *x, const char *text, size_t v)
{
    tfixture_open(&x->f, &rg_experiment_drop, "drop-cart-t.ini", text);
    rg_drop_run_detail(x->f.cfg, v, 1, 0, tfixture_out(&x->f), NULL, &x->req, &x->n);
    if (!rg_repout_done(x->f.out))
        bail("replication did not complete: %s", rg_repout_error(x->f.out));
}

static void run_close(run *x)
{
    free(x->req);
    tfixture_close(&x->f);
}

static size_t col(const run *x, const char *name)
{
    size_t n;
    const rg_metric *m = rg_experiment_drop.metrics(x->f.cfg, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0)
            return i;
    bail("no metric %s", name);
}

static bool has_col(const run *x, const char *name)
{
    size_t n;
    const rg_metric *m = rg_experiment_drop.metrics(x->f.cfg, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].name, name) == 0)
            return true;
    return false;
}

static int64_t ival(const run *x, const char *name)
{
    return x->f.row[col(x, name)].i;
}

static double dval(const run *x, const char *name)
{
    return x->f.row[col(x, name)].d;
}

/* "ASA": the buyers' outcomes in order, A allocated, S sold out. */
static void outcomes(const run *x, char *buf)
{
    for (size_t i = 0; i < x->n; i++)
        buf[i] = x->req[i].outcome == RG_OUT_ALLOCATED  ? 'A'
                 : x->req[i].outcome == RG_OUT_SOLD_OUT ? 'S'
                                                        : '?';
    buf[x->n] = '\0';
}

static void test_object_ttl(void)
{
    char got[8], text[1024];
    run x;
    snprintf(text, sizeof text,
             NET1 OBJ THREE "[reservations]\nttl = 1387ms\npay = 0\nclose = 1500ms\n"
                            "[variant.o]\nkind = object\n");
    run_open(&x, text, 0);
    outcomes(&x, got);
    is_string("ASA", got, "ttl 1387 ms: the unit is back at 1405.2 ms, buyer 2 (1406 ms) gets it");
    is_int(2, ival(&x, "released"), "both unpaid carts expired and gave their unit back");
    is_int(0, ival(&x, "confirmed"), "nobody paid: nothing confirmed");
    ok(isnan(dval(&x, "sellout_time")), "never sold out: sellout_time is NaN");
    /* at the close (1.5 s) buyer 2's cart (17.1 + 1400 ms .. + 1387 ms) holds */
    is_int(1, ival(&x, "held_at_close"), "one abandoned cart holds its unit at the close");
    ok(ival(&x, "oversell") == 0 && ival(&x, "lost_updates") == 0 &&
           ival(&x, "unacknowledged") == 0,
       "allocated 2 - released 2 = what the store gave out: nothing lost or oversold");
    /* the release's write is being flushed (1405.2-1410.2 ms) when buyer
     * 2 writes at 1406.1 ms: its write waits for the next flush (1410.2-
     * 1415.2 ms), then 1 + 5 ms back: answered at 1421.2 ms */
    is_int(21200 * RG_US, x.req[2].answered - x.req[2].sent,
           "buyer 2's reply waits behind the release's flush: 21.2 ms");
    run_close(&x);

    snprintf(text, sizeof text,
             NET1 OBJ THREE "[reservations]\nttl = 1389ms\npay = 0\n[variant.o]\nkind = object\n");
    run_open(&x, text, 0);
    outcomes(&x, got);
    is_string("ASS", got, "ttl 1389 ms: the unit is back at 1407.2 ms, too late for buyer 2");
    is_int(1, ival(&x, "released"), "only buyer 0's cart expired");
    run_close(&x);
}

static void test_other_kinds(void)
{
    /* SQL, app at the edge, statement 1 ms: buyer 0 told at 13 ms; the
     * release (UPDATE stock = stock + 1) reaches the database 1 ms after
     * the expiry and is done 1 ms later, at 15 ms + ttl.  Buyer 2's
     * conditional UPDATE runs 1406-1407 ms and takes its effect at its end.
     * Cache (one replica, op 1 ms): buyer 0 told at 13 ms, the increment
     * done at 15 ms + ttl; buyer 2's decrement at 1407 ms. */
    static const struct {
        const char *kind, *sec;
    } k[] = {
        {"sql_conditional", "[sqldb]\nregion = us-east\nstmt = const(1ms)\nworkers = 1\n"},
        {"sql_locked", "[sqldb]\nregion = us-east\nstmt = const(1ms)\nworkers = 1\n"},
        {"cache", "[cache]\nop = const(1ms)\n"},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        char got[8], text[1024];
        run x;
        snprintf(text, sizeof text,
                 NET1 THREE "%s[reservations]\nttl = 1s\npay = 0\n[variant.v]\nkind = %s\n",
                 k[i].sec, k[i].kind);
        run_open(&x, text, 0);
        outcomes(&x, got);
        ok(strcmp(got, "ASA") == 0 && ival(&x, "released") == 2 && ival(&x, "lost_updates") == 0 &&
               ival(&x, "unacknowledged") == 0,
           "%s: the expired cart's unit goes back through the store and is sold again (%s)",
           k[i].kind, got);
        run_close(&x);
    }
}

static void test_pay(void)
{
    /* One buyer who pays 10 s after being told (object: at 17.1 ms):
     * confirmed, sold out at 10.0171 s, nothing released. */
    run x;
    run_open(&x,
             NET1 OBJ "[workload]\nbuyers = 1\nstock = 1\narrival = burst(window=0)\n"
                      "[reservations]\nttl = 1min\npay = 1\npay_time = const(10s)\n"
                      "[variant.o]\nkind = object\n",
             0);
    ok(ival(&x, "confirmed") == 1 && ival(&x, "released") == 0 && ival(&x, "lost_sales") == 0,
       "a buyer who pays within the TTL confirms; nothing goes back");
    is_double(10.0171, dval(&x, "sellout_time"), 1e-12,
              "sellout_time: the last unit paid at 17.1 ms + 10 s");
    run_close(&x);

    /* Paying after the TTL is abandoning: the cart expired first. */
    run_open(&x,
             NET1 OBJ "[workload]\nbuyers = 1\nstock = 1\narrival = burst(window=0)\n"
                      "[reservations]\nttl = 5s\npay = 1\npay_time = const(10s)\n"
                      "[variant.o]\nkind = object\n",
             0);
    ok(ival(&x, "confirmed") == 0 && ival(&x, "released") == 1,
       "a payment after the TTL comes too late: the unit went back");
    run_close(&x);
}

static void test_off(void)
{
    /* A variant may turn the option off: every allocation is then a sale
     * at once (confirmed = allocated, sellout_time = the answer that
     * reached the stock). */
    run x;
    run_open(&x,
             NET1 OBJ THREE "[reservations]\nttl = 1s\npay = 0\n"
                            "[variant.on]\nkind = object\n"
                            "[variant.off]\nkind = object\nreservations = false\n",
             1);
    char got[8];
    outcomes(&x, got);
    ok(strcmp(got, "ASS") == 0 && ival(&x, "released") == 0 && ival(&x, "confirmed") == 1,
       "reservations = false: no cart, no release (%s)", got);
    is_double(0.0171, dval(&x, "sellout_time"), 1e-12, "without carts: sold out when told");
    run_close(&x);

    /* A scenario that does not mention reservations has no such columns. */
    run_open(&x, NET1 OBJ THREE "[variant.o]\nkind = object\n", 0);
    ok(!has_col(&x, "released") && !has_col(&x, "sellout_time"),
       "no [reservations]: the results keep their columns");
    run_close(&x);
}

static void test_streams(void)
{
    /* drop125's random latencies: with carts that never expire within the
     * horizon, every request's times and outcome are those of the run
     * without reservations (the payment draws have their own stream). */
    static const char *base =
        "[network]\nregions = us-east, us-west, eu-west\n"
        "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"
        "jitter = exp(mean=1ms)\n"
        "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=100ms)\n"
        "regions = us-east:0.7, us-west:0.2, eu-west:0.1\n"
        "[object]\nregion = us-east\n[sqldb]\nregion = us-east\n"
        "[variant.o]\nkind = object\n[variant.n]\nkind = sql_naive\n";
    char text[2048];
    snprintf(text, sizeof text, "%s[reservations]\nttl = 2h\n", base);
    bool same = true;
    for (size_t v = 0; v < 2; v++) {
        run a, b;
        run_open(&a, base, v);
        run_open(&b, text, v);
        same = same && a.n == b.n;
        for (size_t i = 0; same && i < a.n; i++)
            same = a.req[i].sent == b.req[i].sent && a.req[i].answered == b.req[i].answered &&
                   a.req[i].outcome == b.req[i].outcome;
        run_close(&a);
        run_close(&b);
    }
    ok(same, "reservations on: every request's times and outcome as without (own stream)");
}

int main(void)
{
    plan(19);
    test_object_ttl();
    test_other_kinds();
    test_pay();
    test_off();
    test_streams();
    return 0;
}
