/*
 * drop-state-t: the rate limits and the guardrail with their state in the
 * eventually consistent KV ([protection] state = kv, dropkvp.c), against
 * exact counts, through the drop model with constant latencies.
 *
 * Network of drop-t (client <-> PoP 5 ms, hop 1 ms, no jitter, no edge
 * CPU), one region, a conditional SQL UPDATE of 1 ms at the edge (3 ms from
 * the PoP and back).  The KV keeps no cache (ttl 0, negative_ttl 0: every
 * read goes to the central store), central 10 ms each way, no write limit,
 * propagation P.  Ten buyers, 50 ms apart.
 *
 * Guardrail, budget 1 unit.  Buyer i is at its PoP at 50i + 5 ms; its flag
 * read reaches the central store at 50i + 15 and is back at 50i + 25; the
 * store answers at 50i + 28, when the PoP reads the counter (at the central
 * store 50i + 38, back 50i + 48).  Buyer 0 reads "not found", writes 1 >= 1
 * and puts the flag at 48 ms: accepted at 58 ms, visible at 58 + P.  So
 * buyer i is blocked iff 50i + 15 >= 58 + P: with P = 200 ms buyers 1..4
 * are still sold a unit after the budget was spent: a leak of exactly 4
 * (buyers 5..9 blocked); with P = 0 the leak is 0; with exact counts the
 * flag is seen at once at the PoP that tripped it (at 28 ms): leak 0.
 *
 * Rate limits: all ten buyers are bots behind one NAT address, one request
 * each, per-IP bucket of 1 token with a negligible refill.  Exact counts
 * admit bot 0 only.  In the KV, bot 0's bucket write (at 25 ms) is accepted
 * at 35 ms and visible at 35 + P; bot i's read reaches the central store at
 * 50i + 15, so with P = 200 ms bots 1..4 find a full bucket: 4 requests the
 * exact limit would have refused (rate_leak = 4); bots 5..9 see an empty
 * bucket (the newest visible write is a taken token) and get 429.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/drop.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"
#include "tests/tap/fixture.h"

#define BASE                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"                                                             \
    "[sqldb]\nregion = us-east\nstmt = const(1ms)\nworkers = 1\n"                                  \
    "[workload]\nbuyers = 10\nstock = 100\narrival = spaced(interval=50ms)\n"

/* A scenario: BASE, the KV (only when the state is kept there: a section
 * nobody reads is an error), [protection] with `state` and the given
 * lines, then the variant's lines. */
static void scenario(char *buf, size_t size, const char *state, const char *prop,
                     const char *protection, const char *variant)
{
    char kv[256] = "";
    if (strcmp(state, "kv") == 0)
        snprintf(kv, sizeof kv,
                 "[kv]\nhit = const(1ms)\ncentral = const(10ms)\nttl = 0\nnegative_ttl = 0\n"
                 "local_miss = 0\nwrite_rate = 0\npropagation = const(%s)\n",
                 prop);
    snprintf(buf, size, BASE "%s[protection]\nstate = %s\n%s%s", kv, state, protection, variant);
}

typedef struct run {
    tfixture f;
    rg_drop_req *req;
    size_t n;
} run;

static void run_open(run *x, const char *text)
{
    tfixture_open(&x->f, &rg_experiment_drop, "drop-state-t.ini", text);
    rg_drop_run_detail(x->f.cfg, 0, 1, 0, tfixture_out(&x->f), NULL, &x->req, &x->n);
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

static int64_t ival(const run *x, const char *name)
{
    return x->f.row[col(x, name)].i;
}

/* "AAAAABBBBB": outcomes in order (A allocated, B 403, R 429). */
static void outcomes(const run *x, char *buf)
{
    for (size_t i = 0; i < x->n; i++)
        buf[i] = x->req[i].outcome == RG_OUT_ALLOCATED      ? 'A'
                 : x->req[i].outcome == RG_OUT_GUARDRAIL    ? 'B'
                 : x->req[i].outcome == RG_OUT_RATE_LIMITED ? 'R'
                                                            : '?';
    buf[x->n] = '\0';
}

static void guard(const char *state, const char *prop, const char *want, int64_t leak)
{
    char text[2048], prot[256], got[16];
    snprintf(prot, sizeof prot, "budget_kind = units\nbudget = 1\nflag_propagation = const(%s)\n",
             prop);
    scenario(text, sizeof text, state, prop, prot,
             "[variant.g]\nkind = sql_conditional\nguardrail = true\n");
    run x;
    run_open(&x, text);
    outcomes(&x, got);
    is_string(want, got, "guardrail, state %s, propagation %s: outcomes", state, prop);
    is_int(leak, ival(&x, "guardrail_leak"), "state %s, propagation %s: a leak of %lld units",
           state, prop, (long long)leak);
    run_close(&x);
}

static void test_guardrail(void)
{
    guard("kv", "200ms", "AAAAABBBBB", 4);
    guard("kv", "0", "ABBBBBBBBB", 0);
    guard("exact", "200ms", "ABBBBBBBBB", 0);

    /* The trip time in the KV state: when buyer 0's PoP read the counter
     * back (48 ms), not when the flag was seen anywhere. */
    char text[2048];
    scenario(text, sizeof text, "kv", "200ms", "budget_kind = units\nbudget = 1\n",
             "[variant.g]\nkind = sql_conditional\nguardrail = true\n");
    run x;
    run_open(&x, text);
    is_double(0.048, x.f.row[col(&x, "guardrail_trip_time")].d, 1e-12,
              "kv: tripped at 48 ms, when the counter was read back over the budget");
    run_close(&x);
}

static void rate(const char *state, const char *want, int64_t leak)
{
    char text[2048], got[16];
    scenario(text, sizeof text, state, "200ms",
             "ip_per_min = 0.000001\nip_burst = 1\nsession_per_min = 600\nsession_burst = 10\n",
             "[clients]\nbots = 1\nbot_attempts = 1\nbot_ips = 1\n"
             "[variant.r]\nkind = sql_conditional\nrate_limit = true\n");
    run x;
    run_open(&x, text);
    outcomes(&x, got);
    is_string(want, got, "rate limits, state %s: outcomes", state);
    is_int(leak, ival(&x, "rate_leak"), "rate limits, state %s: %lld requests leaked", state,
           (long long)leak);
    run_close(&x);
}

static void test_rate(void)
{
    rate("kv", "AAAAARRRRR", 4);
    rate("exact", "ARRRRRRRRR", 0);
}

static void test_variant(void)
{
    /* a variant may keep its state elsewhere than the shared setting */
    char text[2048], got[16];
    scenario(text, sizeof text, "kv", "200ms", "budget_kind = units\nbudget = 1\n",
             "[variant.x]\nkind = sql_conditional\nguardrail = true\nstate = exact\n"
             "[variant.k]\nkind = sql_conditional\nguardrail = true\n");
    run x;
    tfixture_open(&x.f, &rg_experiment_drop, "drop-state-t.ini", text);
    rg_drop_run_detail(x.f.cfg, 0, 1, 0, tfixture_out(&x.f), NULL, &x.req, &x.n);
    outcomes(&x, got);
    is_string("ABBBBBBBBB", got, "state = exact in one variant of a kv scenario: exact there");
    free(x.req);
    rg_drop_run_detail(x.f.cfg, 1, 1, 0, tfixture_out(&x.f), NULL, &x.req, &x.n);
    outcomes(&x, got);
    is_string("AAAAABBBBB", got, "and the KV in the other");
    free(x.req);
    tfixture_close(&x.f);
}

int main(void)
{
    plan(6 + 1 + 4 + 2);
    test_guardrail();
    test_rate();
    test_variant();
    return 0;
}
