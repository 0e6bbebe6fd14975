/*
 * kind-quorum-t: the drop's `quorum` kind (kind-quorum.c), its races built
 * by construction.
 *
 * Constant network (client <-> PoP 5 ms, PoP <-> coordinator 1 ms) and
 * constant quorum delays of 1 ms per message:
 *  - buyers 50 ms apart never overlap: exactly the stock is sold, an
 *    allocation takes 5 + 1 + 2 (read) + 2 (write) + 1 + 5 = 16 ms and a
 *    "sold out" 14 ms;
 *  - a burst (every buyer at 0): every read reaches the replicas at 7 ms,
 *    before any write (9 ms), so all 125 buyers read 100 and write 99: all
 *    are told "allocated" (oversell 25) and the store ends at 99 (124
 *    decrements lost), whatever the quorums, a strict R = W = 2 too.
 * Random quorum delays (writes slow, exp mean 10 ms), buyers 25 ms apart:
 *  - R = W = 2 of 3 (R + W > N): in every replication where no two
 *    purchases overlap at the coordinator nothing is lost and nothing
 *    oversold (a read after a completed write sees it);
 *  - R = W = 1: some such replications still lose updates, through reads
 *    whose one answer came from a replica the previous write had not yet
 *    reached.
 * And: the trace, messages listing the kind, determinism.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/drop.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"

#define NET1                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"
#define CONST_Q                                                                                    \
    "[quorum]\ndelay_w = const(1ms)\ndelay_a = const(1ms)\ndelay_r = const(1ms)\n"                 \
    "delay_s = const(1ms)\n"

typedef struct model {
    void *cfg;
    size_t nmet;
    const rg_metric *met;
} model;

static model load(const char *text)
{
    rg_err e;
    rg_err_clear(&e);
    model m = {0};
    rg_scn *s = rg_scn_load_string("kind-quorum-t.ini", text, &e);
    if (s == NULL || rg_experiment_drop.load(s, &m.cfg, &e) < 0 || rg_scn_finish(s, &e) < 0)
        bail("test scenario does not load: %s", e.msg);
    rg_scn_free(s);
    m.met = rg_experiment_drop.metrics(m.cfg, &m.nmet);
    return m;
}

static size_t var(const model *m, const char *name)
{
    for (size_t v = 0; v < rg_experiment_drop.nvariants(m->cfg); v++)
        if (strcmp(rg_experiment_drop.variant_name(m->cfg, v), name) == 0)
            return v;
    bail("no variant %s", name);
}

typedef struct result {
    rg_mval row[64];
    rg_drop_req *req;
    size_t n;
    const model *m;
} result;

static void run1(const model *m, size_t v, uint64_t rep, result *r, FILE *trace)
{
    memset(r, 0, sizeof *r);
    if (m->nmet > 64)
        bail("too many metrics");
    rg_repout *out = rg_repout_new(m->met, m->nmet, 0, NULL);
    r->m = m;
    rg_drop_run_detail(m->cfg, v, 4, rep, out, trace, &r->req, &r->n);
    if (!rg_repout_done(out))
        bail("replication did not complete: %s", rg_repout_error(out));
    memcpy(r->row, rg_repout_row(out), m->nmet * sizeof *r->row);
    rg_repout_free(out);
}

static int64_t ival(const result *r, const char *name)
{
    for (size_t i = 0; i < r->m->nmet; i++)
        if (strcmp(r->m->met[i].name, name) == 0)
            return r->row[i].i;
    bail("no metric %s", name);
}

static void test_spaced(void)
{
    model m = load(NET1 CONST_Q "[workload]\nbuyers = 10\nstock = 5\n"
                                "arrival = spaced(interval=50ms)\n[variant.q]\nkind = quorum\n");
    result r;
    run1(&m, 0, 0, &r, NULL);
    ok(ival(&r, "allocated") == 5 && ival(&r, "rejected") == 5 && ival(&r, "oversell") == 0 &&
           ival(&r, "lost_updates") == 0,
       "50 ms apart: 5 of 5 sold, 5 sold out, nothing lost");
    bool lat = true;
    for (size_t i = 0; i < r.n; i++)
        lat = lat && r.req[i].answered - r.req[i].sent ==
                         (r.req[i].outcome == RG_OUT_ALLOCATED ? 16 : 14) * RG_MS;
    ok(lat, "allocated in 16 ms (read 2 + write 2 + hops), sold out in 14 ms");
    free(r.req);
    rg_experiment_drop.free_cfg(m.cfg);
}

static void test_burst(void)
{
    model m = load(NET1 CONST_Q "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                                "[variant.one]\nkind = quorum\n"
                                "[variant.strict]\nkind = quorum\nr = 2\nw = 2\n"
                                "[variant.all]\nkind = quorum\nr = 3\nw = 3\n");
    static const char *const names[] = {"one", "strict", "all"};
    for (size_t k = 0; k < 3; k++) {
        result r;
        run1(&m, var(&m, names[k]), 0, &r, NULL);
        ok(ival(&r, "allocated") == 125 && ival(&r, "oversell") == 25 &&
               ival(&r, "lost_updates") == 124,
           "burst, %s: all 125 read 100 and write 99: oversell 25, 124 decrements lost", names[k]);
        free(r.req);
    }
    rg_experiment_drop.free_cfg(m.cfg);
}

/* True if no purchase reached the coordinator before the previous one's
 * answer left it (the network is constant: 5 + 1 ms each way). */
static bool disjoint(const result *r)
{
    for (size_t i = 1; i < r->n; i++)
        if (r->req[i].sent + 6 * RG_MS < r->req[i - 1].answered - 6 * RG_MS)
            return false;
    return true;
}

static void test_quorums(void)
{
    model m = load(NET1 "[quorum]\ndelay_w = exp(mean=10ms)\n"
                        "[workload]\nbuyers = 20\nstock = 10\narrival = spaced(interval=25ms)\n"
                        "[variant.partial]\nkind = quorum\n"
                        "[variant.strict]\nkind = quorum\nr = 2\nw = 2\n");
    const int reps = 300;
    int strict_apart = 0, strict_bad = 0, partial_apart = 0, partial_lost = 0;
    int64_t partial_oversell = 0;
    for (int rep = 0; rep < reps; rep++) {
        result r;
        run1(&m, var(&m, "strict"), (uint64_t)rep, &r, NULL);
        if (disjoint(&r)) {
            strict_apart++;
            strict_bad += ival(&r, "oversell") != 0 || ival(&r, "lost_updates") != 0;
        }
        free(r.req);
        run1(&m, var(&m, "partial"), (uint64_t)rep, &r, NULL);
        if (disjoint(&r)) {
            partial_apart++;
            partial_lost += ival(&r, "lost_updates") > 0;
            partial_oversell += ival(&r, "oversell");
        }
        free(r.req);
    }
    diag("%d replications: strict %d without overlap, partial %d (%d of them lost updates, "
         "oversell %lld in all)",
         reps, strict_apart, partial_apart, partial_lost, (long long)partial_oversell);
    ok(strict_apart >= 30 && strict_bad == 0,
       "R=W=2 of 3: %d replications without overlapping purchases, none lost or oversold",
       strict_apart);
    ok(partial_apart >= 30 && partial_lost > 0 && partial_oversell > 0,
       "R=W=1: %d of %d replications without overlap still lose updates (stale reads)",
       partial_lost, partial_apart);
    rg_experiment_drop.free_cfg(m.cfg);
}

static void test_trace_and_messages(void)
{
    model m = load(NET1 CONST_Q "[workload]\nbuyers = 3\nstock = 1\n"
                                "arrival = spaced(interval=50ms)\n[variant.q]\nkind = quorum\n");
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    result r;
    run1(&m, 0, 0, &r, f);
    fclose(f);
    ok(text != NULL && strstr(text, "quorum: buyer 0 reads sku-001 = 1 (v0), writes one less") &&
           strstr(text, "quorum: buyer 1 reads sku-001 = 0 (v1)\n") &&
           strstr(text, "stock hits 0 (quorum)"),
       "trace: what each buyer read, and the stock hitting 0");
    free(text);
    free(r.req);
    result a, b;
    run1(&m, 0, 3, &a, NULL);
    run1(&m, 0, 3, &b, NULL);
    ok(memcmp(a.row, b.row, m.nmet * sizeof a.row[0]) == 0 && a.n == b.n &&
           memcmp(a.req, b.req, a.n * sizeof *a.req) == 0,
       "same seed and replication: the same row and requests");
    free(a.req);
    free(b.req);
    rg_experiment_drop.free_cfg(m.cfg);

    rg_err e;
    rg_err_clear(&e);
    void *cfg = NULL;
    rg_scn *s = rg_scn_load_string("kind-quorum-t.ini", NET1 "[variant.a]\nkind = nope\n", &e);
    ok(s != NULL && rg_experiment_drop.load(s, &cfg, &e) < 0 && strstr(e.msg, "cache, quorum"),
       "an unknown kind: the message lists quorum: %s", e.msg);
    rg_scn_free(s);
    rg_err_clear(&e);
    s = rg_scn_load_string("kind-quorum-t.ini",
                           NET1 "[variant.a]\nkind = quorum\nregion = mars\nw = 4\n", &e);
    int rc = s ? rg_experiment_drop.load(s, &cfg, &e) : -1;
    ok(rc < 0 && strstr(e.msg, "w: a quorum of 4"), "its keys are checked: %s", e.msg);
    rg_scn_free(s);
}

int main(void)
{
    plan(2 + 3 + 2 + 4);
    test_spaced();
    test_burst();
    test_quorums();
    test_trace_and_messages();
    return 0;
}
