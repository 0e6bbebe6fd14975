/*
 * guard-t.c: the stories' protections as mechanisms (issue: guardrails, cost
 * ledger, rate limits and abusive clients).
 *
 *  - a token bucket admits exactly burst + rate x T over a window of
 *    deterministic arrivals, per key;
 *  - a guardrail with a budget of k units trips on the k-th allocation,
 *    blocks every later request where its flag is visible, and its flag
 *    reaches other regions only after the propagation delay;
 *  - a reset works once per limit window;
 *  - a price list holds each declared operation once, in declaration order,
 *    and a ledger counts and sums what was billed;
 *  - through the drop model: exactly k allocations with a k-unit guardrail
 *    and sequential buyers, every later one blocked; the cost ledger's total
 *    is the sum of the priced operations the mechanism performed (counted
 *    by hand and read back from the trace);
 *  - with rate limits on, bots win a smaller share of the units than with
 *    no protection (direction only: it is computed by the mechanism).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/drop.h"
#include "sim/engine/engine.h"
#include "models/study.h"
#include "models/mech/guardrail.h"
#include "models/mech/ledger.h"
#include "models/mech/ratelimit.h"
#include "models/registry.h"
#include "sim/run/runner.h"
#include "sim/engine/scenario.h"
#include "sim/engine/stats.h"
#include "tests/tap/basic.h"

static void test_bucket(void)
{
    /* 10 tokens/s, burst 5; a request every ms over [0, 2 s]: the bucket
     * starts full (5) and gains 20 tokens over the 2 s. */
    rg_limiter *l = rg_limiter_new(10, 5);
    int admitted = 0, other = 0;
    for (rg_time t = 0; t <= 2 * RG_S; t += RG_MS) {
        admitted += rg_limiter_take(l, 1, t);
        if (t < 10 * RG_MS)
            other += rg_limiter_take(l, 2, t); /* a second key, 10 tries */
    }
    is_int(5 + 20, admitted, "token bucket: burst + rate x T admitted over 2 s");
    is_int(5, other, "token bucket: another key has its own full bucket");
    is_int(2001 - 25 + 5, (long long)rg_limiter_refused(l), "refusals are counted");
    rg_limiter_free(l);
}

static void test_guardrail(void)
{
    rg_err e;
    rg_err_clear(&e);
    rg_dist *prop = rg_dist_parse("const(5s)", RG_QTY_DURATION, &e);
    rg_guard_params p = {RG_BUDGET_UNITS, 3, prop, 1.0 / 60};
    rg_prices *prices = rg_prices_new();
    rg_ledger *l = rg_ledger_new(prices);
    rg_guard g;
    rg_guard_init(&g, &p, 3);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    ok(!rg_guard_evaluate(&g, 1, l, 0, RG_S, r) && !rg_guard_evaluate(&g, 2, l, 0, RG_S, r),
       "guardrail: 1 and 2 units of a 3-unit budget do not trip");
    ok(!rg_guard_blocks(&g, 0, RG_S), "guardrail: not tripped, nothing blocked");
    ok(rg_guard_evaluate(&g, 3, l, 0, 2 * RG_S, r), "guardrail: the 3rd unit trips it");
    ok(rg_guard_blocks(&g, 0, 2 * RG_S), "guardrail: blocks at once where it tripped");
    ok(!rg_guard_blocks(&g, 1, 2 * RG_S + 4 * RG_S),
       "guardrail: another region does not see the flag before the propagation delay");
    ok(rg_guard_blocks(&g, 1, 2 * RG_S + 5 * RG_S),
       "guardrail: another region sees it after the propagation delay");
    ok(!rg_guard_evaluate(&g, 4, l, 0, 3 * RG_S, r), "guardrail: trips once");
    is_int(2 * RG_S, g.trip_time, "guardrail: trip time recorded");

    /* Resets: one per minute per IP. */
    ok(rg_guard_reset(&g, 7, 4, l, 10 * RG_S), "reset: the first one works");
    ok(!rg_guard_blocks(&g, 0, 10 * RG_S), "reset: the flag is cleared");
    ok(!rg_guard_evaluate(&g, 6, l, 0, 11 * RG_S, r),
       "reset: the budget restarts (2 more units after the reset do not trip)");
    ok(!rg_guard_reset(&g, 7, 6, l, 40 * RG_S), "reset: a second one 30 s later is refused");
    ok(rg_guard_reset(&g, 8, 6, l, 40 * RG_S), "reset: another IP has its own limit");
    ok(rg_guard_reset(&g, 7, 6, l, 70 * RG_S), "reset: the same IP after a minute works");
    is_int(3, (long long)g.resets, "reset: accepted resets counted");
    is_int(1, (long long)g.resets_refused, "reset: refused resets counted");
    rg_guard_free(&g);
    rg_ledger_free(l);
    rg_prices_free(prices);
    gsl_rng_free(r);
    rg_dist_free(prop);
}

/* A price list holds what its billers declared, each key once, and reads
 * the prices in declaration order; a ledger sums them as billed. */
static void test_prices(void)
{
    static const rg_billable a = {"op_a", "2", "test"}, b = {"op_b", "0.5", "test"},
                             a2 = {"op_a", "3", "another declaration of op_a"};
    rg_prices *p = rg_prices_new();
    ok(rg_prices_declare(p, &b) == 0 && rg_prices_declare(p, &a) == 0 &&
           rg_prices_declare(p, &b) == 0,
       "prices: declaring the same operation twice is one entry");
    is_int(-1, rg_prices_declare(p, &a2), "prices: another declaration of a key is refused");
    rg_err e;
    rg_err_clear(&e);
    rg_scn *s = rg_scn_load_string("prices.ini", "[cost]\nop_a = 4\nbilling_scale = 10\n", &e);
    ok(s != NULL && rg_prices_load(s, p, &e) == 0, "prices: [cost] loads");
    ok(rg_prices_count(p) == 2 && rg_prices_op(p, 0) == &b && rg_prices_op(p, 1) == &a,
       "prices: in declaration order");
    is_double(0.5, rg_prices_price(p, 0), 0, "prices: the declared default");
    is_double(4, rg_prices_price(p, 1), 0, "prices: the scenario's price");
    rg_ledger *l = rg_ledger_new(p);
    rg_ledger_add(l, &a);
    rg_ledger_add(l, &b);
    rg_ledger_add(l, &a);
    ok(rg_ledger_count(l, 0) == 1 && rg_ledger_count(l, 1) == 2, "ledger: counts per operation");
    is_double(8.5, rg_ledger_real(l), 0, "ledger: real cost");
    is_double(85, rg_ledger_virtual(l), 1e-12, "ledger: virtual cost = real x billing_scale");
    rg_ledger_free(l);
    rg_prices_free(p);
    rg_scn_free(s);
    rg_prices_free(NULL);
    rg_ledger_free(NULL);
}

/* Opens a drop scenario from text; bails out on error. */
static void *load_drop(const char *text, rg_study *x)
{
    rg_err e;
    rg_err_clear(&e);
    if (rg_study_open_mem("guard-t.ini", text, strlen(text), x, &e) < 0)
        bail("scenario: %s", e.msg);
    return x->cfg;
}

static double metric(const rg_mval *row, const rg_metric *met, size_t n, const char *name)
{
    for (size_t m = 0; m < n; m++)
        if (strcmp(met[m].name, name) == 0)
            return met[m].type == RG_MF_INT ? (double)row[m].i : row[m].d;
    bail("no metric %s", name);
}

/* Constant latencies and buyers 100 ms apart: each request is answered long
 * before the next is sent, so the budget is evaluated between requests. */
static const char *sequential =
    "[scenario]\nmodel = drop\n"
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\n"
    "jitter = const(0)\n"
    "[edge]\ncpu = const(0)\ncold_prob = 0\n"
    "[workload]\nbuyers = 30\nstock = 100\narrival = spaced(interval=100ms)\n"
    "[object]\nhandler = const(100us)\nflush = const(5ms)\nstart = warm\n"
    "[protection]\nbudget_kind = units\nbudget = 10\nflag_propagation = const(0)\n"
    "[cost]\nedge_request = 1\nobject_request = 10\nobject_write = 100\nkv_read = 1000\n"
    "kv_write = 10000\nbilling_scale = 1\n"
    "[variant.plain]\nkind = object\n"
    "[variant.guarded]\nkind = object\nguardrail = true\n";

static void test_drop_guardrail_and_ledger(void)
{
    rg_study xp;
    void *cfg = load_drop(sequential, &xp);
    size_t n;
    const rg_metric *met = rg_experiment_drop.metrics(cfg, &n);
    rg_repout *out = rg_repout_new(met, n, 0, NULL);
    rg_mval *row = rg_repout_row(out);

    /* Without protection: 30 requests, 30 allocations. */
    char *tr = NULL;
    size_t trlen = 0;
    FILE *trace = open_memstream(&tr, &trlen);
    rg_drop_run_detail(cfg, 0, 1, 0, out, trace, NULL, NULL);
    fclose(trace);
    is_int(30, (long long)metric(row, met, n, "allocated"), "plain: every buyer allocated");
    /* By hand: 30 edge requests x 1 + 30 object requests x 10 + 30 writes
     * x 100; no KV use without protections. */
    is_double(30 * 1 + 30 * 10 + 30 * 100, metric(row, met, n, "cost_real"), 1e-9,
              "ledger: the sum of the priced operations the mechanism performed");
    ok(tr && strstr(tr, "edge_request 30 x $1;") && strstr(tr, "object_request 30 x $10;") &&
           strstr(tr, "object_write 30 x $100;") && strstr(tr, "total $3330 real"),
       "ledger: the trace records the same operations and total");
    free(tr);

    /* With a 10-unit guardrail and an immediately visible flag: exactly 10
     * allocations, every later request blocked. */
    rg_repout_reset(out, NULL, false, false);
    rg_drop_req *reqs;
    size_t nreqs;
    rg_drop_run_detail(cfg, 1, 1, 0, out, NULL, &reqs, &nreqs);
    is_int(10, (long long)metric(row, met, n, "allocated"),
           "guardrail of 10 units: exactly 10 allocations");
    is_int(20, (long long)metric(row, met, n, "blocked_guardrail"),
           "guardrail: every later request blocked (403)");
    bool order = nreqs == 30;
    for (size_t i = 0; i < nreqs; i++)
        order = order && reqs[i].outcome == (i < 10 ? RG_OUT_ALLOCATED : RG_OUT_GUARDRAIL);
    ok(order, "guardrail: the first 10 buyers allocated, the other 20 blocked, in order");
    is_double(1.0, metric(row, met, n, "guardrail_tripped"), 0, "guardrail: tripped");
    /* The 10th buyer was sent at 900 ms; its allocation reaches the PoP
     * after 5 ms to the PoP, 1 ms hop, 0.1 ms handler, 5 ms flush, 1 ms
     * back: the trip is evaluated there. */
    is_double(0.9 + 0.005 + 0.001 + 0.0001 + 0.005 + 0.001,
              metric(row, met, n, "guardrail_trip_time"), 1e-9,
              "guardrail: trip time = when the 10th allocation reached the PoP");
    /* Ledger with the guardrail: 30 edge requests, 30 flag reads, 10 object
     * requests and writes, 1 flag write. */
    is_double(30 * 1 + 30 * 1000 + 10 * 10 + 10 * 100 + 1 * 10000, metric(row, met, n, "cost_real"),
              1e-9, "ledger: flag reads and the flag write are priced too");
    free(reqs);
    rg_repout_free(out);
    rg_study_close(&xp);
}

static const char *bots =
    "[scenario]\nmodel = drop\n"
    "[network]\nregions = us-east\n"
    "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=100ms)\n"
    "[clients]\nbots = 0.2\nbot_interval = exp(mean=5ms)\nbot_want = 10\nbot_ips = 4\n"
    "[protection]\nsession_per_min = 200\nsession_burst = 1\nip_per_min = 600\nip_burst = 10\n"
    "[variant.none]\nkind = object\n"
    "[variant.rate_limits]\nkind = object\nrate_limit = true\n";

static void test_bot_share(void)
{
    rg_study xp;
    void *cfg = load_drop(bots, &xp);
    rg_runopts o = {0};
    o.seed = 42;
    o.reps = 200;
    o.threads = 2;
    rg_err e;
    rg_err_clear(&e);
    rg_results *r = rg_run(&rg_experiment_drop, cfg, &o, &e);
    if (r == NULL)
        bail("run: %s", e.msg);
    int m = rg_results_metric(r, "units_bots"), a = rg_results_metric(r, "allocated");
    double *x = malloc(r->reps_done * sizeof *x);
    rg_summary none, limited, alloc;
    rg_results_column(r, 0, (size_t)m, x);
    rg_summarize(x, r->reps_done, &none);
    rg_results_column(r, 1, (size_t)m, x);
    rg_summarize(x, r->reps_done, &limited);
    rg_results_column(r, 1, (size_t)a, x);
    rg_summarize(x, r->reps_done, &alloc);
    diag("units won by bots: %.2f without protection, %.2f with rate limits", none.mean,
         limited.mean);
    ok(none.mean > 0, "bots win units when nothing stops them");
    ok(limited.mean + limited.ci95 + none.ci95 < none.mean,
       "with rate limits on, bots win fewer units (beyond both CIs)");
    is_double(100, alloc.mean, 0, "rate limits never cost a sale: still 100 allocated");
    free(x);
    rg_results_free(r);
    rg_study_close(&xp);
}

/* A human whose every message is lost retries through the backpressure
 * policy: waits expo(n) = base * 2^n without jitter (200, 400, 800 ms ...)
 * after each 1 s timeout, until the next try could not start inside the
 * 5 s window. */
static const char *lost =
    "[scenario]\nmodel = drop\n"
    "[network]\nregions = us-east\nloss = 1\n"
    "[workload]\nbuyers = 1\nstock = 1\narrival = spaced(interval=1s)\ntimeout = 1s\n"
    "[clients]\nhuman_attempts = 10\nhuman_retry = backoff\n"
    "[backoff]\njitter = none\nbase = 100ms\nmultiplier = 2\nwindow = 5s\n"
    "[variant.object]\nkind = object\n";

static void test_human_backoff(void)
{
    rg_study xp;
    void *cfg = load_drop(lost, &xp);
    size_t n;
    const rg_metric *met = rg_experiment_drop.metrics(cfg, &n);
    rg_repout *out = rg_repout_new(met, n, 0, NULL);
    rg_drop_req *reqs;
    size_t nreqs;
    rg_drop_run_detail(cfg, 0, 1, 0, out, NULL, &reqs, &nreqs);
    /* sent at 0; timeout 1 s + 200 ms -> 1.2 s; + 1 s + 400 ms -> 2.6 s;
     * + 1 s + 800 ms -> 4.4 s; the next would start at 4.4 + 1 + 1.6 = 7 s,
     * beyond the 5 s window: not made. */
    is_int(4, (long long)nreqs, "backoff retries: 4 requests inside the 5 s window");
    rg_time want[4] = {0, 1200 * RG_MS, 2600 * RG_MS, 4400 * RG_MS};
    bool same = nreqs == 4;
    for (size_t i = 0; same && i < 4; i++)
        same = reqs[i].sent == want[i] && reqs[i].outcome == RG_OUT_TIMEOUT;
    ok(same, "backoff retries: sent at 0, 1.2, 2.6, 4.4 s, each timed out");
    free(reqs);
    rg_repout_free(out);
    rg_study_close(&xp);
}

/* Blocks are outcomes the client hears: with lossy links and short
 * timeouts some 403/429 answers never arrive, and those requests are
 * timeouts.  Every request still has exactly one outcome. */
static void test_lossy_invariant(void)
{
    /* the shared scenario of test_bot_share, made lossy with overrides */
    rg_study xp = {0};
    void *cfg = NULL;
    rg_err e;
    rg_err_clear(&e);
    xp.scn = rg_scn_load_string("lossy.ini", bots, &e);
    if (xp.scn == NULL || rg_scn_set(xp.scn, "network.loss=0.05", &e) < 0 ||
        rg_scn_set(xp.scn, "workload.timeout=40ms", &e) < 0 ||
        rg_scn_set(xp.scn, "variant.rate_limits.challenge=true", &e) < 0 ||
        rg_scn_set(xp.scn, "variant.rate_limits.guardrail=true", &e) < 0 ||
        rg_scn_set(xp.scn, "protection.budget_kind=units", &e) < 0 ||
        rg_scn_set(xp.scn, "protection.budget=50", &e) < 0 ||
        rg_experiment_drop.load(xp.scn, &cfg, &e) < 0)
        bail("lossy scenario: %s", e.msg);
    rg_runopts o = {0};
    o.seed = 7;
    o.reps = 100;
    o.threads = 2;
    rg_results *r = rg_run(&rg_experiment_drop, cfg, &o, &e);
    if (r == NULL)
        bail("run: %s", e.msg);
    int ma = rg_results_metric(r, "allocated"), mr = rg_results_metric(r, "rejected");
    int me = rg_results_metric(r, "errors"), mb = rg_results_metric(r, "blocked");
    int mq = rg_results_metric(r, "requests"), mt = rg_results_metric(r, "timeouts");
    int bad = 0, timeouts = 0, blocked = 0;
    for (size_t v = 0; v < r->nvar; v++)
        for (uint64_t i = 0; i < r->reps_done; i++) {
            double sum =
                rg_results_value(r, v, i, (size_t)ma) + rg_results_value(r, v, i, (size_t)mr) +
                rg_results_value(r, v, i, (size_t)me) + rg_results_value(r, v, i, (size_t)mb);
            bad += sum != rg_results_value(r, v, i, (size_t)mq);
            timeouts += rg_results_value(r, v, i, (size_t)mt) > 0;
            blocked += rg_results_value(r, v, i, (size_t)mb) > 0;
        }
    ok(timeouts > 0 && blocked > 0, "lossy links: timeouts and blocks both happen");
    is_int(0, bad, "lossy links: allocated + rejected + errors + blocked = requests, every row");
    rg_results_free(r);
    rg_experiment_drop.free_cfg(cfg);
    rg_scn_free(xp.scn);
}

int main(void)
{
    plan(3 + 16 + 9 + 9 + 3 + 2 + 2);
    test_bucket();
    test_guardrail();
    test_prices();
    test_drop_guardrail_and_ledger();
    test_bot_share();
    test_human_backoff();
    test_lossy_invariant();
    return 0;
}
