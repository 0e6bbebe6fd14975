/*
 * drop-kind-t: the seam between the drop and its store kinds (kind.h).
 *
 * A store kind defined only here, `test_counter` (one counter per SKU in
 * one region, decrement-if-positive, the answer sent back over the hop to
 * the PoP), is registered and run through the drop like a built-in one:
 * a scenario names it with `kind = test_counter`, and over several
 * replications every unit is sold exactly once (allocated = stock, no
 * oversell, rejected = buyers - stock), its store is built and freed once
 * per replication, its billable operation is priced from [cost] and its
 * per-call data reaches its events.  Messages listing the kinds include it,
 * registration refuses what would break the table, and reservations are
 * refused for it (it has no release operation).
 *
 * Only kind.h is used to write the kind: nothing of the drop's internals.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/drop.h"
#include "models/drop/kind.h"
#include "models/registry.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"
#include "tests/tap/fixture.h"

/* ---- the kind -------------------------------------------------------------- */

static const rg_billable op_counter = {"counter_op", "0.25", "test: a made-up price"};
static const rg_billable *const counter_billable[] = {&op_counter, NULL};

typedef struct tcfg {
    int region; /* where the counters live */
} tcfg;

typedef struct tstore {
    rg_drop_run *run;
    const tcfg *cfg;
    int64_t *left; /* per SKU */
    size_t nsku;
} tstore;

/* The kind's per-call data. */
typedef struct tcall {
    tstore *st;
    rg_drop_call *q;
} tcall;

static int builds, frees, cfg_frees;

static int counter_load(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    tcfg *c = calloc(1, sizeof *c);
    if (c == NULL)
        bail("out of memory");
    *cfg = c;
    return rg_drop_load_region(s, pl, sec, "counter", "region", pl->name[0], false, &c->region, e);
}

static void counter_free_cfg(void *cfg)
{
    cfg_frees += cfg != NULL;
    free(cfg);
}

static void *counter_build(const void *cfg, rg_drop_run *r)
{
    tstore *st = calloc(1, sizeof *st);
    if (st == NULL)
        bail("out of memory");
    st->run = r;
    st->cfg = cfg;
    st->nsku = rg_drop_run_skus(r);
    st->left = calloc(st->nsku, sizeof *st->left);
    if (st->left == NULL)
        bail("out of memory");
    for (size_t k = 0; k < st->nsku; k++)
        st->left[k] = rg_drop_run_stock(r);
    builds++;
    return st;
}

static void counter_free_store(void *p)
{
    tstore *st = p;
    if (st == NULL)
        return;
    free(st->left);
    free(st);
    frees++;
}

/* The call reached the counter: decrement if positive, answer over the
 * hop back to its PoP. */
static void on_at_counter(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    tcall *c = ctx;
    tstore *st = c->st;
    int sku = rg_drop_call_sku(c->q);
    rg_drop_bill(st->run, &op_counter);
    if (st->left[sku] <= 0) {
        rg_drop_reply(c->q, st->cfg->region, RG_OUT_SOLD_OUT);
        return;
    }
    if (--st->left[sku] == 0)
        rg_drop_stock_zero(st->run, sku, "test_counter");
    rg_drop_reply(c->q, st->cfg->region, RG_OUT_ALLOCATED);
}

static void counter_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    tstore *st = store;
    tcall *c = rg_drop_call_data(q);
    c->st = st;
    c->q = q;
    d += rg_places_hop(rg_drop_run_places(r), rg_drop_call_region(q), st->cfg->region,
                       rg_drop_run_net(r));
    rg_after(rg_drop_run_engine(r), d, RG_PRIO_DEFAULT, on_at_counter, c, 0);
}

static int64_t counter_decremented(const void *store, size_t sku)
{
    const tstore *st = store;
    return rg_drop_run_stock(st->run) - st->left[sku];
}

static const rg_drop_kind test_counter = {
    .name = "test_counter",
    .summary = "one counter per SKU in one region (a test)",
    .section = "counter",
    .load = counter_load,
    .free_cfg = counter_free_cfg,
    .build = counter_build,
    .route = counter_route,
    .decremented = counter_decremented,
    .free_store = counter_free_store,
    .billable = counter_billable,
    .call_size = sizeof(tcall),
};

/* ---- the scenarios --------------------------------------------------------- */

/* drop125's network, with the counter far from most buyers. */
#define NET                                                                                        \
    "[network]\nregions = us-east, us-west, eu-west\n"                                             \
    "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"    \
    "jitter = exp(mean=1ms)\n"                                                                     \
    "[workload]\nbuyers = 125\nstock = 100\nskus = 1\narrival = burst(window=100ms)\n"             \
    "regions = us-east:0.7, us-west:0.2, eu-west:0.1\ntimeout = 10s\n"

/* [counter] is the kind's shared section: the drop declares it. */
static const char *counter_text = NET "[counter]\nregion = us-west\n"
                                      "[cost]\ncounter_op = 0.5\n"
                                      "[variant.counter]\nkind = test_counter\n"
                                      "[variant.object]\nkind = object\n";

static int64_t metric(const tfixture *m, const char *name)
{
    size_t n;
    const rg_metric *met = m->ops->metrics(m->cfg, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(met[i].name, name) == 0)
            return m->row[i].i;
    bail("no metric %s", name);
}

static double dmetric(const tfixture *m, const char *name)
{
    size_t n;
    const rg_metric *met = m->ops->metrics(m->cfg, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(met[i].name, name) == 0)
            return m->row[i].d;
    bail("no metric %s", name);
}

/* Runs replication rep of variant v into m->row; returns its trace if
 * asked (caller frees). */
static char *run1(tfixture *m, size_t v, uint64_t rep, bool trace)
{
    rg_repout *out = tfixture_out(m);
    char *text = NULL;
    size_t len = 0;
    FILE *f = trace ? open_memstream(&text, &len) : NULL;
    rg_drop_run_detail(m->cfg, v, 7, rep, out, f, NULL, NULL);
    if (f != NULL)
        fclose(f);
    if (!rg_repout_done(out))
        bail("replication did not complete: %s", rg_repout_error(out));
    return text;
}

static void test_counter_kind(void)
{
    tfixture m;
    tfixture_open(&m, &rg_experiment_drop, "drop-kind-t.ini", counter_text);
    const int reps = 20;
    bool sold = true, exact = true, rejected = true, no_errors = true, billed = true;
    int builds0 = builds, frees0 = frees;
    for (int rep = 0; rep < reps; rep++) {
        run1(&m, 0, (uint64_t)rep, false);
        sold = sold && metric(&m, "allocated") == 100;
        exact = exact && metric(&m, "oversell") == 0 && metric(&m, "lost_updates") == 0 &&
                metric(&m, "unacknowledged") == 0;
        rejected = rejected && metric(&m, "rejected") == 125 - 100;
        no_errors = no_errors && metric(&m, "errors") == 0;
        /* one counter operation per request, at the scenario's price, plus
         * the edge's default price per request */
        billed = billed && fabs(dmetric(&m, "cost_real") - (125 * 0.0000003 + 125 * 0.5)) < 1e-9;
    }
    ok(sold, "test_counter: allocated = stock in every replication");
    ok(exact, "test_counter: no oversell, no lost update, nothing unacknowledged");
    ok(rejected, "test_counter: rejected = buyers - stock");
    ok(no_errors, "test_counter: no errors");
    ok(billed, "test_counter: its operation is priced from [cost] and billed once per request");
    is_int(reps, builds - builds0, "test_counter: one store built per replication");
    is_int(reps, frees - frees0, "test_counter: one store freed per replication");

    char *tr = run1(&m, 0, 3, true);
    int zero = 0;
    for (const char *p = tr; p != NULL && (p = strstr(p, "stock hits 0 (test_counter)")); p++)
        zero++;
    is_int(1, zero, "trace: the kind's 'stock hits 0' line, once");
    ok(tr != NULL && strstr(tr, " counter_op 125 x $0.5;") != NULL,
       "trace: the cost ledger lists the kind's operation");
    free(tr);

    /* A built-in kind next to it runs as before. */
    run1(&m, 1, 0, false);
    is_int(100, metric(&m, "allocated"), "object next to test_counter: allocated = stock");
    int cfg_frees0 = cfg_frees;
    tfixture_close(&m);
    is_int(1, cfg_frees - cfg_frees0, "test_counter: its cfg freed with the scenario");
}

/* Loads text; returns the error message ("" if it loaded). */
static void load_error(const char *text, char *msg, size_t size)
{
    rg_err e;
    rg_err_clear(&e);
    void *cfg = NULL;
    msg[0] = '\0';
    rg_scn *s = rg_scn_load_string("drop-kind-t.ini", text, &e);
    if (s == NULL || rg_experiment_drop.load(s, &cfg, &e) < 0)
        snprintf(msg, size, "%s", e.msg);
    else
        rg_experiment_drop.free_cfg(cfg);
    rg_scn_free(s);
}

/* The kinds' names in table order, separated by ", " but the last two by
 * `last` (", " or " or "). */
static void kind_list(char *buf, size_t size, const char *last)
{
    size_t n = rg_drop_kind_count(), len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                i == 0       ? ""
                                : i + 1 == n ? last
                                             : ", ",
                                rg_drop_kind_at(i)->name);
}

static void test_messages(void)
{
    char msg[1024], want[1024];
    load_error(NET "[variant.a]\nkind = nope\n", msg, sizeof msg);
    kind_list(want, sizeof want, ", ");
    ok(strstr(want, "object, sql_naive, ") == want && strstr(want, ", test_counter") != NULL &&
           strstr(msg, want) != NULL,
       "an unknown kind: the error lists every kind, the registered one too");
    diag("%s", msg);
    load_error(NET, msg, sizeof msg);
    kind_list(want, sizeof want, " or ");
    ok(strstr(want, " or test_counter") != NULL && strstr(msg, want) != NULL,
       "no variant: the message lists every kind");
    load_error(NET "[variant.a]\nkind = test_counter\nregion = mars\n", msg, sizeof msg);
    ok(strstr(msg, "'mars' is not one of [network] regions") != NULL,
       "the kind's own keys are checked by its load");
    load_error(NET "[reservations]\nttl = 1min\n[variant.a]\nkind = test_counter\n", msg,
               sizeof msg);
    ok(strstr(msg, "kind test_counter cannot give a unit back") != NULL,
       "reservations with a kind that has no release: refused at load");
}

static rg_drop_kind clones[RG_DROP_KIND_EXTRA];
static char clone_names[RG_DROP_KIND_EXTRA][32];

static void test_register(void)
{
    size_t builtin = rg_drop_kind_count();
    is_int(0, rg_drop_kind_register(&test_counter), "register: test_counter");
    ok(rg_drop_kind_find("test_counter") == &test_counter &&
           rg_drop_kind_at(rg_drop_kind_count() - 1) == &test_counter,
       "register: found by name, after the built-in kinds");
    is_int(-1, rg_drop_kind_register(&test_counter), "register: a name only once");

    static const rg_billable clash = {"kv_read", "1", "test: the drop's key"};
    static const rg_billable *const clash_list[] = {&clash, NULL};
    rg_drop_kind k = test_counter;
    k.name = "test_clash";
    k.billable = clash_list;
    is_int(-1, rg_drop_kind_register(&k), "register: no second declaration of a [cost] key");
    k.billable = NULL;
    k.route = NULL;
    is_int(-1, rg_drop_kind_register(&k), "register: a kind without route is refused");
    is_int(-1, rg_drop_kind_register(NULL), "register: NULL is refused");
    is_int((long long)builtin + 1, (long long)rg_drop_kind_count(),
           "register: refused kinds left no trace");
}

/* Last: fills the table. */
static void test_full(void)
{
    int rc = 0;
    size_t i = 0;
    while (rc == 0 && i < RG_DROP_KIND_EXTRA) {
        clones[i] = test_counter;
        clones[i].billable = NULL;
        snprintf(clone_names[i], sizeof clone_names[i], "clone_%zu", i);
        clones[i].name = clone_names[i];
        rc = rg_drop_kind_register(&clones[i++]);
    }
    ok(rc == -1 && i == RG_DROP_KIND_EXTRA, "register: the table holds RG_DROP_KIND_EXTRA kinds");
}

int main(void)
{
    plan(7 + 11 + 4 + 1);
    test_register();
    test_counter_kind();
    test_messages();
    test_full();
    return 0;
}
