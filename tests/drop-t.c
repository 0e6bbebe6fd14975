/*
 * drop-t: the flash-sale drop model (drop.h) end to end, through scenario
 * strings built here and the model's own entry points.
 *
 * Most scenarios use constant latencies (client <-> PoP 5 ms, same-region
 * hop 1 ms, jitter 0, no edge CPU, no cold start) and constant service
 * times, so that each protocol's timeline can be worked out by hand and the
 * model must match it exactly: the naive SQL read-modify-write does not
 * oversell when arrivals are spaced wider than its read-to-write window and
 * oversells by exactly requests - stock when every read precedes every
 * write; the locked transaction holds the row lock, taken when its first
 * statement runs, for three statements plus the round trips between them
 * (and the k-th buyer waits k holds), the conditional UPDATE only while it
 * runs (so on one worker nobody waits for the lock); a naive UPDATE that
 * times out on the lock is not a sale; the object's output gate and write
 * coalescing shape its reply times; its queue limit rejects exactly the
 * excess; one object per session sells every buyer a unit; the cache
 * oversells exactly as a hand-run replay of its replication lag says.
 *
 * Around them: invariants over 1,000 replications of drop125-like settings
 * (no oversell and no lost sale for object, sql_locked and sql_conditional;
 * every request ends allocated, rejected or in error), common random numbers across
 * variants, determinism of a replication run twice (and of the runner on 1
 * and 2 threads), the trace, and configuration errors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/drop.h"
#include "models/registry.h"
#include "sim/run/runner.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"

/* The constant network of the exact tests: one region unless a test adds
 * more.  jitter 0 makes a cross-region hop exactly RTT/2. */
#define NET1                                                                                       \
    "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"     \
    "[edge]\ncpu = 0\ncold_prob = 0\n"
#define SQL1 "[sqldb]\nregion = us-east\nstmt = const(1ms)\nworkers = 1\nlock_timeout = 50s\n"

/* drop125.ini's settings (random latencies), with a cache variant added. */
#define DROP125                                                                                    \
    "[network]\nregions = us-east, us-west, eu-west\n"                                             \
    "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"    \
    "jitter = exp(mean=1ms)\n"                                                                     \
    "[workload]\nbuyers = 125\nstock = 100\nskus = 1\narrival = burst(window=100ms)\n"             \
    "regions = us-east:0.7, us-west:0.2, eu-west:0.1\ntimeout = 10s\n"                             \
    "[object]\nregion = us-east\n"                                                                 \
    "[sqldb]\nregion = us-east\nworkers = 1\nstmt = lognormal(median=1ms, p99=4ms)\n"              \
    "app_at = edge\nlock_timeout = 50s\n"                                                          \
    "[variant.object]\nkind = object\n"                                                            \
    "[variant.sql_naive]\nkind = sql_naive\npause = 100ms\n"                                       \
    "[variant.sql_locked]\nkind = sql_locked\n"                                                    \
    "[variant.sql_conditional]\nkind = sql_conditional\n"                                          \
    "[variant.cache]\nkind = cache\n"

/* ---- loading and running -------------------------------------------------- */

typedef struct model {
    rg_scn *s;
    void *cfg;
    size_t nmet;
    const rg_metric *met;
} model;

/* Loads a drop scenario from text; NULL with msg filled on error. */
static model *try_load(const char *text, char *msg, size_t msgsize)
{
    rg_err e;
    rg_err_clear(&e);
    model *m = calloc(1, sizeof *m);
    if (m == NULL)
        bail("out of memory");
    m->s = rg_scn_load_string("drop-t.ini", text, &e);
    if (m->s == NULL || rg_experiment_drop.load(m->s, &m->cfg, &e) < 0) {
        snprintf(msg, msgsize, "%s", e.msg);
        rg_scn_free(m->s);
        free(m);
        return NULL;
    }
    /* a key the model did not read is a typo in the test: fail loudly
     * rather than test the default */
    if (rg_scn_finish(m->s, &e) < 0)
        bail("stray key in a test scenario: %s", e.msg);
    m->met = rg_experiment_drop.metrics(m->cfg, &m->nmet);
    return m;
}

static model *load(const char *text)
{
    char msg[1024];
    model *m = try_load(text, msg, sizeof msg);
    if (m == NULL)
        bail("test scenario does not load: %s", msg);
    return m;
}

static void model_free(model *m)
{
    rg_experiment_drop.free_cfg(m->cfg);
    rg_scn_free(m->s);
    free(m);
}

static size_t var(const model *m, const char *name)
{
    for (size_t v = 0; v < rg_experiment_drop.nvariants(m->cfg); v++)
        if (strcmp(rg_experiment_drop.variant_name(m->cfg, v), name) == 0)
            return v;
    bail("no variant %s", name);
}

static size_t met(const model *m, const char *name)
{
    for (size_t i = 0; i < m->nmet; i++)
        if (strcmp(m->met[i].name, name) == 0)
            return i;
    bail("no metric %s", name);
}

/* One replication's outcome. */
typedef struct result {
    rg_mval row[64];
    rg_drop_req *req;
    size_t n;
    const model *m;
} result;

static void run1(const model *m, size_t v, uint64_t seed, uint64_t rep, result *r, FILE *trace)
{
    memset(r, 0, sizeof *r);
    if (m->nmet > 64)
        bail("too many metrics");
    rg_repout *out = rg_repout_new(m->met, m->nmet, 0, NULL);
    r->m = m;
    rg_drop_run_detail(m->cfg, v, seed, rep, out, trace, &r->req, &r->n);
    if (!rg_repout_done(out))
        bail("replication did not complete: %s", rg_repout_error(out));
    memcpy(r->row, rg_repout_row(out), m->nmet * sizeof *r->row);
    rg_repout_free(out);
}

/* Runs `text` once (variant vname, seed 1, rep 0), which must fail; returns
 * its message (new). */
static char *run_failing(const char *text, const char *vname)
{
    model *m = load(text);
    rg_repout *out = rg_repout_new(m->met, m->nmet, 0, NULL);
    rg_drop_req *req = NULL;
    size_t n = 0;
    rg_drop_run_detail(m->cfg, var(m, vname), 1, 0, out, NULL, &req, &n);
    char *msg = rg_xstrdup(rg_repout_done(out) ? "" : rg_repout_error(out));
    free(req);
    rg_repout_free(out);
    model_free(m);
    return msg;
}

static int64_t ival(const result *r, const char *name)
{
    return r->row[met(r->m, name)].i;
}
static double dval(const result *r, const char *name)
{
    return r->row[met(r->m, name)].d;
}

/* Runs `text` once (variant name, seed 1, rep 0). */
static void run_text(const char *text, const char *vname, result *r, model **mp)
{
    model *m = load(text);
    run1(m, var(m, vname), 1, 0, r, NULL);
    *mp = m;
}

static void done(result *r, model *m)
{
    free(r->req);
    model_free(m);
}

static int cmp_time(const void *a, const void *b)
{
    rg_time x = *(const rg_time *)a, y = *(const rg_time *)b;
    return (x > y) - (x < y);
}

/* Lock waits of all requests, sorted ascending (caller frees). */
static rg_time *sorted_waits(const result *r)
{
    rg_time *w = malloc(r->n * sizeof *w);
    for (size_t i = 0; i < r->n; i++)
        w[i] = r->req[i].lock_wait;
    qsort(w, r->n, sizeof *w, cmp_time);
    return w;
}

/* Latencies (answered - sent), sorted ascending (caller frees). */
static rg_time *sorted_lat(const result *r)
{
    rg_time *w = malloc(r->n * sizeof *w);
    for (size_t i = 0; i < r->n; i++)
        w[i] = r->req[i].answered - r->req[i].sent;
    qsort(w, r->n, sizeof *w, cmp_time);
    return w;
}

static size_t count_outcome(const result *r, rg_outcome o)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++)
        n += r->req[i].outcome == o;
    return n;
}

/* ---- invariants over 1,000 replications ----------------------------------- */

static void test_invariants(void)
{
    model *m = load(DROP125);
    rg_runopts o = {0};
    o.seed = 125100;
    o.reps = 1000;
    o.threads = 2;
    o.label = "drop-t";
    rg_err e;
    rg_err_clear(&e);
    rg_results *res = rg_run(&rg_experiment_drop, m->cfg, &o, &e);
    if (res == NULL)
        bail("rg_run: %s", e.msg);
    is_int(1000, (long long)res->reps_done, "1000 replications done");
    int ma = rg_results_metric(res, "allocated"), mr = rg_results_metric(res, "rejected"),
        me = rg_results_metric(res, "errors"), mo = rg_results_metric(res, "oversell"),
        mq = rg_results_metric(res, "requests"), ms = rg_results_metric(res, "stock"),
        ml = rg_results_metric(res, "lost_sales");
    static const char *const safe[] = {"object", "sql_locked", "sql_conditional"};
    for (size_t k = 0; k < 3; k++) {
        int v = rg_results_variant(res, safe[k]);
        size_t bad_over = 0, bad_alloc = 0, bad_lost = 0;
        for (uint64_t i = 0; i < res->reps_done; i++) {
            bad_over += rg_results_value(res, (size_t)v, i, (size_t)mo) != 0;
            bad_lost += rg_results_value(res, (size_t)v, i, (size_t)ml) != 0;
            bad_alloc += rg_results_value(res, (size_t)v, i, (size_t)ma) >
                         rg_results_value(res, (size_t)v, i, (size_t)ms);
        }
        is_int(0, (long long)bad_over, "%s: oversell 0 in every replication", safe[k]);
        is_int(0, (long long)bad_alloc, "%s: allocated <= stock in every replication", safe[k]);
        /* one store per SKU that refuses only at 0: no unit left behind */
        is_int(0, (long long)bad_lost, "%s: lost_sales 0 in every replication", safe[k]);
    }
    for (size_t v = 0; v < res->nvar; v++) {
        size_t bad = 0;
        for (uint64_t i = 0; i < res->reps_done; i++) {
            double a = rg_results_value(res, v, i, (size_t)ma),
                   r = rg_results_value(res, v, i, (size_t)mr),
                   er = rg_results_value(res, v, i, (size_t)me),
                   q = rg_results_value(res, v, i, (size_t)mq);
            bad += a + r + er != q || q != 125;
        }
        is_int(0, (long long)bad, "%s: allocated + rejected + errors = 125 requests, every rep",
               res->varnames[v]);
    }
    /* the checker can see oversell at all: the naive path oversells */
    int vn = rg_results_variant(res, "sql_naive");
    size_t naive_over = 0;
    for (uint64_t i = 0; i < res->reps_done; i++)
        naive_over += rg_results_value(res, (size_t)vn, i, (size_t)mo) > 0;
    ok(naive_over > 900, "sql_naive oversells in most replications (%zu of 1000)", naive_over);
    rg_results_free(res);

    /* the runner gives the same rows on 1 and 2 threads */
    o.reps = 40;
    o.threads = 1;
    rg_results *r1 = rg_run(&rg_experiment_drop, m->cfg, &o, &e);
    o.threads = 2;
    rg_results *r2 = rg_run(&rg_experiment_drop, m->cfg, &o, &e);
    if (r1 == NULL || r2 == NULL)
        bail("rg_run: %s", e.msg);
    ok(r1->nmet == r2->nmet && r1->nvar == r2->nvar &&
           memcmp(r1->rows, r2->rows, r1->nvar * r1->reps * r1->nmet * sizeof *r1->rows) == 0,
       "1 and 2 threads: identical rows");
    rg_results_free(r1);
    rg_results_free(r2);
    model_free(m);
}

/* ---- common random numbers and determinism --------------------------------- */

static void test_crn(void)
{
    model *m = load(DROP125);
    size_t nv = rg_experiment_drop.nvariants(m->cfg);
    result base[2], r;
    bool same = true;
    for (uint64_t rep = 0; rep < 2; rep++) {
        run1(m, 0, 125100, rep, &base[rep], NULL);
        for (size_t v = 1; v < nv; v++) {
            run1(m, v, 125100, rep, &r, NULL);
            for (size_t i = 0; i < r.n; i++)
                same = same && r.req[i].sent == base[rep].req[i].sent &&
                       r.req[i].region == base[rep].req[i].region &&
                       r.req[i].sku == base[rep].req[i].sku;
            same = same && r.n == base[rep].n;
            free(r.req);
        }
    }
    ok(same, "every variant of a replication sees the same buyers (sent, region, sku)");
    size_t tdiff = 0, rdiff = 0;
    for (size_t i = 0; i < base[0].n; i++) {
        tdiff += base[0].req[i].sent != base[1].req[i].sent;
        rdiff += base[0].req[i].region != base[1].req[i].region;
    }
    /* 125 uniform times on [0, 100 ms] in ns: a coincidence is practically
     * impossible; regions (0.7/0.2/0.1) coincide about half the time */
    is_int(125, (long long)tdiff, "replications 0 and 1: every arrival time differs");
    ok(rdiff > 20, "replications 0 and 1: regions differ too (%zu of 125)", rdiff);
    free(base[0].req);
    free(base[1].req);
    model_free(m);
}

static void test_determinism(void)
{
    model *m = load(DROP125);
    size_t nv = rg_experiment_drop.nvariants(m->cfg);
    for (size_t v = 0; v < nv; v++) {
        result a, b;
        run1(m, v, 125100, 7, &a, NULL);
        run1(m, v, 125100, 7, &b, NULL);
        bool same = a.n == b.n;
        for (size_t k = 0; k < m->nmet; k++)
            same = same && memcmp(&a.row[k], &b.row[k], sizeof a.row[k]) == 0;
        for (size_t i = 0; same && i < a.n; i++)
            same = a.req[i].sent == b.req[i].sent && a.req[i].answered == b.req[i].answered &&
                   a.req[i].outcome == b.req[i].outcome && a.req[i].lock_wait == b.req[i].lock_wait;
        ok(same, "%s: the same (seed, rep) twice gives identical rows and requests",
           rg_experiment_drop.variant_name(m->cfg, v));
        free(a.req);
        free(b.req);
    }
    /* and another replication is not the same */
    result a, b;
    run1(m, var(m, "object"), 125100, 7, &a, NULL);
    run1(m, var(m, "object"), 125100, 8, &b, NULL);
    ok(dval(&a, "lat_p50") != dval(&b, "lat_p50"), "object: replications 7 and 8 differ (p50)");
    free(a.req);
    free(b.req);
    model_free(m);
}

/* ---- sql_naive ------------------------------------------------------------- */

static void test_naive(void)
{
    /* Timeline of one request alone (pause 0), from its send time t:
     *   t+5   at the PoP (client_edge 5, edge cpu 0); the app runs here
     *   t+6   SELECT reaches the database (hop 1); runs 6..7: READ at t+7
     *   t+8   result back at the app; UPDATE sent at once
     *   t+9   UPDATE at the database; runs 9..10: WRITE at t+10
     * So the request occupies the database from t+6 to t+10.  Spaced 5 ms
     * apart, request k+1's SELECT arrives at t+11, after k's write: every
     * read sees every earlier write, and the worker is never contended. */
    result r;
    model *m;
    run_text(NET1 SQL1 "[workload]\nbuyers = 125\nstock = 100\narrival = spaced(interval=5ms)\n"
                       "[variant.n]\nkind = sql_naive\npause = 0\n",
             "n", &r, &m);
    ok(ival(&r, "allocated") == 100 && ival(&r, "rejected") == 25 && ival(&r, "errors") == 0,
       "naive, spaced 5 ms > 4 ms window: 100 allocated, 25 rejected");
    ok(ival(&r, "oversell") == 0 && ival(&r, "lost_updates") == 0,
       "naive spaced: no oversell, no lost update");
    bool inorder = true;
    for (size_t i = 0; i < r.n; i++)
        inorder = inorder && r.req[i].outcome == (i < 100 ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
    ok(inorder, "naive spaced: the first 100 buyers get the units, the last 25 are refused");
    done(&r, m);

    /* burst(window=0): all 125 SELECTs reach the database at 6 ms and queue
     * for its one worker; the first UPDATE arrives at 9 ms, behind the
     * queued SELECTs.  Every read (100) precedes every write (99). */
    run_text(NET1 SQL1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                       "[variant.n]\nkind = sql_naive\npause = 0\n",
             "n", &r, &m);
    is_int(125, ival(&r, "allocated"), "naive burst: all 125 told allocated");
    is_int(125 - 100, ival(&r, "oversell"), "naive burst: oversell = requests - stock = 25");
    is_int(124, ival(&r, "lost_updates"), "naive burst: the row ends at 99, 124 decrements lost");
    done(&r, m);

    /* Spaced 5 ms with the stories' 100 ms pause: request k reads at 5k + 7
     * and writes at 5k + 110 (no worker or lock contention: the SELECT slots
     * [5k+6, 5k+7] and UPDATE slots [5k+109, 5k+110] never overlap).  The
     * last write before request k's read is request k-21's, so request k
     * reads 100 - floor(k/21): everyone reads > 0, all 125 are allocated,
     * and request 124 (read 95) leaves the row at 94. */
    run_text(NET1 SQL1 "[workload]\nbuyers = 125\nstock = 100\narrival = spaced(interval=5ms)\n"
                       "[variant.n]\nkind = sql_naive\npause = 100ms\n",
             "n", &r, &m);
    ok(ival(&r, "allocated") == 125 && ival(&r, "oversell") == 25,
       "naive spaced 5 ms, pause 100 ms: all 125 allocated (oversell 25)");
    is_int(125 - (100 - 94), ival(&r, "lost_updates"), "naive pause 100 ms: row ends at 94");
    done(&r, m);

    /* A naive UPDATE that times out waiting for the row lock has failed:
     * its buyer must not be told "allocated".  The lock is taken when a
     * statement runs, so it takes two workers and long statements: two
     * buyers at once, statements of 50 ms, lock_timeout 10 ms.  Both
     * SELECTs run 6-56 ms; both UPDATEs reach the database at 58 ms and
     * start together; one takes the lock, the other times out at 68 ms. */
    run_text(NET1 "[sqldb]\nregion = us-east\nstmt = const(50ms)\nworkers = 2\n"
                  "lock_timeout = 10ms\n"
                  "[workload]\nbuyers = 2\nstock = 100\narrival = burst(window=0)\n"
                  "[variant.n]\nkind = sql_naive\npause = 0\n",
             "n", &r, &m);
    size_t timed_out = 0, told_ok = 0;
    for (size_t i = 0; i < r.n; i++)
        if (r.req[i].lock_wait >= 10 * RG_MS) {
            timed_out++;
            told_ok += r.req[i].outcome == RG_OUT_ALLOCATED;
        }
    ok(timed_out > 0, "naive, lock_timeout 10 ms: some UPDATEs time out (%zu)", timed_out);
    is_int(0, (long long)told_ok, "a buyer whose UPDATE timed out is not told allocated");
    ok(ival(&r, "errors") >= (int64_t)timed_out, "those buyers count as errors (%lld)",
       (long long)ival(&r, "errors"));
    done(&r, m);
}

/* ---- sql_locked and sql_conditional --------------------------------------- */

static void test_locked(void)
{
    /* All 125 at t = 0 in the database's region.  The SELECTs FOR UPDATE
     * reach the database at 6 ms; the first runs 6-7 ms and takes the lock,
     * the others start at 7 ms, find it held and wait from then.  A buyer
     * who gets a unit holds it:
     *   SELECT 1 + back 1 + UPDATE there 1 + UPDATE 1 + back 1 + COMMIT
     *   there 1 + COMMIT 1 = 7 ms     (3 statements + 2 round trips)
     * one who finds 0:
     *   SELECT 1 + back 1 + ROLLBACK there 1 + ROLLBACK 1 = 4 ms.
     * So the k-th (from 0) gets the lock at 6 + 7k ms while k <= 100, then
     * 6 + 700 + (k-100) x 4: it waited that minus 7 ms (0 for k = 0). */
    result r;
    model *m;
    run_text(NET1 SQL1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                       "[variant.l]\nkind = sql_locked\n",
             "l", &r, &m);
    rg_time *w = sorted_waits(&r);
    bool exact = true;
    for (size_t k = 0; k < r.n; k++) {
        rg_time want = k == 0     ? 0
                       : k <= 100 ? (rg_time)k * 7 * RG_MS - RG_MS
                                  : 700 * RG_MS + (rg_time)(k - 100) * 4 * RG_MS - RG_MS;
        if (w[k] != want) {
            diag("lock wait #%zu: %lld ns, want %lld", k, (long long)w[k], (long long)want);
            exact = false;
            break;
        }
    }
    ok(exact, "sql_locked: k-th lock wait = k x 7 - 1 ms (hold = 3 stmt + 2 round trips)");
    ok(ival(&r, "allocated") == 100 && ival(&r, "rejected") == 25 && ival(&r, "oversell") == 0,
       "sql_locked: 100 allocated, 25 rejected");
    bool first100 = true;
    for (size_t i = 0; i < r.n; i++)
        first100 = first100 &&
                   (r.req[i].lock_wait < 699 * RG_MS) == (r.req[i].outcome == RG_OUT_ALLOCATED);
    ok(first100, "sql_locked: the 100 first in the lock queue are the ones allocated");
    free(w);
    done(&r, m);

    /* Buyers in eu-west, database in us-east (RTT 90 ms, jitter 0: hop
     * 45 ms), app at the edge: every round trip crosses the Atlantic.
     * Hold = 3 x 1 + 4 x 45 = 183 ms; sold out: 2 x 1 + 2 x 45 = 92 ms;
     * the waiting ones ask 1 ms after the first (its SELECT's run). */
    run_text("[network]\nregions = us-east, eu-west\nclient_edge = const(5ms)\n"
             "local = const(1ms)\njitter = 0\n[edge]\ncpu = 0\ncold_prob = 0\n" SQL1
             "app_at = edge\n"
             "[workload]\nbuyers = 10\nstock = 8\narrival = burst(window=0)\n"
             "regions = eu-west:1\n[variant.l]\nkind = sql_locked\n",
             "l", &r, &m);
    w = sorted_waits(&r);
    exact = true;
    for (size_t k = 0; k < r.n; k++) {
        rg_time want = k == 0   ? 0
                       : k <= 8 ? (rg_time)k * 183 * RG_MS - RG_MS
                                : 8 * 183 * RG_MS + (rg_time)(k - 8) * 92 * RG_MS - RG_MS;
        exact = exact && w[k] == want;
    }
    ok(exact, "sql_locked across regions: k-th wait = k x 183 - 1 ms (2 RTTs of 90 ms held)");
    ok(ival(&r, "allocated") == 8 && ival(&r, "rejected") == 2, "across regions: 8 allocated, 2 "
                                                                "rejected");
    free(w);
    done(&r, m);

    /* The client gives up at 100 ms, the store does not.  Buyer k (lock
     * order) commits at 13 + 7k ms; the result is back at the app 1 ms
     * later and at the client 5 ms after that: 19 + 7k ms.  Only k = 0..11
     * (96 ms) hear before 100 ms; k = 12 would hear at 103 ms.  The store
     * still sells all 100: 88 units sold to buyers who were told nothing. */
    run_text(NET1 SQL1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                       "timeout = 100ms\n[variant.l]\nkind = sql_locked\n",
             "l", &r, &m);
    ok(ival(&r, "allocated") == 12 && ival(&r, "timeouts") == 113 && ival(&r, "rejected") == 0,
       "timeout 100 ms: 12 allocated in time, 113 timed out");
    ok(ival(&r, "unacknowledged") == 88 && ival(&r, "oversell") == 0 &&
           ival(&r, "lost_updates") == 0,
       "timeout 100 ms: the store sold 100, 88 of them unacknowledged");
    bool at_deadline = true;
    for (size_t i = 0; i < r.n; i++)
        if (r.req[i].outcome == RG_OUT_TIMEOUT)
            at_deadline = at_deadline && r.req[i].answered == r.req[i].sent + 100 * RG_MS;
    ok(at_deadline, "a timed-out buyer learns it at exactly sent + timeout");
    done(&r, m);
}

static void test_conditional(void)
{
    /* All at t = 0: the conditional UPDATEs reach the database at 6 ms and
     * run one at a time on its one worker, each holding the lock for its
     * own statement only (1 ms, no round trip), taken when it runs: none
     * waits for the lock (they wait for the worker: the k-th is answered
     * at 6 + (k+1) + 1 + 5 ms). */
    result r;
    model *m;
    run_text(NET1 SQL1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                       "[variant.c]\nkind = sql_conditional\n",
             "c", &r, &m);
    rg_time *w = sorted_waits(&r), *lat = sorted_lat(&r);
    bool exact = true;
    for (size_t k = 0; k < r.n; k++)
        exact = exact && w[k] == 0 && lat[k] == (rg_time)(13 + k) * RG_MS;
    ok(exact, "sql_conditional: no lock wait; the k-th answered in 13 + k ms");
    free(lat);
    ok(ival(&r, "allocated") == 100 && ival(&r, "rejected") == 25 && ival(&r, "oversell") == 0 &&
           ival(&r, "lost_updates") == 0,
       "sql_conditional: 100 allocated, 25 rejected, nothing lost");
    free(w);
    done(&r, m);

    /* One buyer alone, app at the edge of the database's region:
     *   client -> PoP 5, PoP -> db 1, UPDATE 1, db -> PoP 1, PoP -> client 5
     * = 13 ms.  The app runs in the PoP's edge worker, so no hop is due
     * between the app and the PoP, either way. */
    run_text(NET1 SQL1 "[workload]\nbuyers = 3\nstock = 100\narrival = spaced(interval=50ms)\n"
                       "[variant.c]\nkind = sql_conditional\n",
             "c", &r, &m);
    bool lat13 = true;
    for (size_t i = 0; i < r.n; i++)
        lat13 = lat13 && r.req[i].answered - r.req[i].sent == 13 * RG_MS;
    ok(lat13, "app at the edge: latency 5 + 1 + 1 + 1 + 5 = 13 ms (seen %.3f ms)",
       (double)(r.req[0].answered - r.req[0].sent) / 1e6);
    done(&r, m);

    /* The same with the app next to the database: PoP -> app 1 and
     * app -> PoP 1 are added: 15 ms. */
    run_text(NET1 SQL1 "app_at = db\n"
                       "[workload]\nbuyers = 3\nstock = 100\narrival = spaced(interval=50ms)\n"
                       "[variant.c]\nkind = sql_conditional\n",
             "c", &r, &m);
    bool lat15 = true;
    for (size_t i = 0; i < r.n; i++)
        lat15 = lat15 && r.req[i].answered - r.req[i].sent == 15 * RG_MS;
    ok(lat15, "app at the database: latency 15 ms (seen %.3f ms)",
       (double)(r.req[0].answered - r.req[0].sent) / 1e6);
    done(&r, m);
}

/* ---- object ---------------------------------------------------------------- */

static void test_object(void)
{
    /* All at t = 0, object warm in us-east: requests reach it at 6 ms.
     * Handler 100 us: handler k (1-based) ends at 6 + 0.1k ms; the first
     * 100 write.  Flush 5.05 ms: [6.1, 11.15] makes write 1 durable,
     * [11.15, 16.2] writes 2-51 (51 ends at 11.1), [16.2, 21.25] writes
     * 52-100; the 25 sold-out replies (handled 16.1-18.5 ms) wait behind
     * write 100.  Replies travel 1 + 5 ms back: latencies 17.15 ms (x1),
     * 22.2 ms (x50) and 27.25 ms (x74). */
    const char *obj = NET1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                           "[object]\nregion = us-east\nhandler = const(100us)\n"
                           "flush = const(5050us)\nstart = warm\n"
                           "[variant.o]\nkind = object\n";
    result r;
    model *m;
    run_text(obj, "o", &r, &m);
    rg_time *lat = sorted_lat(&r);
    bool exact = lat[0] == 17150 * RG_US;
    for (size_t k = 1; k <= 50; k++)
        exact = exact && lat[k] == 22200 * RG_US;
    for (size_t k = 51; k < 125; k++)
        exact = exact && lat[k] == 27250 * RG_US;
    ok(exact, "object: latencies 17.15 (1), 22.2 (50), 27.25 ms (74): gate + coalescing");
    ok(ival(&r, "allocated") == 100 && ival(&r, "rejected") == 25 && ival(&r, "oversell") == 0,
       "object: 100 allocated, 25 rejected");
    is_double(27.25e-3, dval(&r, "lat_p50"), 1e-12, "object: p50 27.25 ms");
    is_double(27.25e-3, dval(&r, "last_answer"), 1e-12, "object: last answer at 27.25 ms");
    free(lat);
    done(&r, m);

    /* the same object starting hibernated: the wake (3 ms) delays all */
    run_text(NET1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                  "[object]\nregion = us-east\nhandler = const(100us)\n"
                  "flush = const(5050us)\nstart = hibernated\nwake = const(3ms)\n"
                  "[variant.o]\nkind = object\n",
             "o", &r, &m);
    lat = sorted_lat(&r);
    ok(lat[0] == 20150 * RG_US && lat[1] == 25200 * RG_US && lat[124] == 30250 * RG_US,
       "object starting hibernated: every reply 3 ms later");
    free(lat);
    done(&r, m);

    /* max_queue 10, warm: at 6 ms the first runs, 10 wait, 114 are
     * overloaded at once (back at 6 + 6 = 12 ms) */
    run_text(NET1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                  "[object]\nregion = us-east\nhandler = const(100us)\nflush = const(5ms)\n"
                  "start = warm\nmax_queue = 10\n[variant.o]\nkind = object\n",
             "o", &r, &m);
    ok(ival(&r, "allocated") == 11 && ival(&r, "overloaded") == 114 && ival(&r, "errors") == 114 &&
           ival(&r, "rejected") == 0,
       "object max_queue 10: 11 allocated, exactly the 114 in excess overloaded");
    bool at12 = true;
    for (size_t i = 0; i < r.n; i++)
        if (r.req[i].outcome == RG_OUT_OVERLOADED)
            at12 = at12 && r.req[i].answered == 12 * RG_MS;
    ok(at12, "overloaded buyers hear it at 12 ms, without running the handler");
    done(&r, m);

    /* one object per session: each buyer's own object holds the whole
     * stock, so every buyer is sold a unit */
    const char *sess = NET1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                            "[object]\nregion = us-east\nhandler = const(100us)\n"
                            "flush = const(5ms)\n"
                            "[variant.sku]\nkind = object\nshard = sku\n"
                            "[variant.session]\nkind = object\nshard = session\n";
    m = load(sess);
    run1(m, var(m, "session"), 1, 0, &r, NULL);
    is_int(125, (long long)count_outcome(&r, RG_OUT_ALLOCATED),
           "shard = session: every one of 125 buyers allocated");
    ok(ival(&r, "allocated") == 125 && ival(&r, "oversell") == 25,
       "shard = session: allocated 125, oversell 25");
    free(r.req);
    run1(m, var(m, "sku"), 1, 0, &r, NULL);
    ok(ival(&r, "allocated") == 100 && ival(&r, "oversell") == 0, "shard = sku, same buyers: 100");
    free(r.req);
    model_free(m);
    run_text(NET1 "[workload]\nbuyers = 10\nstock = 1\narrival = burst(window=50ms)\n"
                  "[variant.s]\nkind = object\nshard = session\n",
             "s", &r, &m);
    ok(ival(&r, "allocated") == 10 && ival(&r, "oversell") == 9,
       "shard = session, stock 1, 10 buyers: all 10 sold (oversell 9)");
    done(&r, m);
}

/* ---- cache ----------------------------------------------------------------- */

#define NET2                                                                                       \
    "[network]\nregions = us-east, eu-west\nclient_edge = const(5ms)\nlocal = const(1ms)\n"        \
    "jitter = 0\n[edge]\ncpu = 0\ncold_prob = 0\n"

static void test_cache(void)
{
    /* lag 10 s, longer than the whole sale: each region's replica sells its
     * own buyers up to the stock, unaware of the other */
    result r;
    model *m;
    run_text(NET2 "[workload]\nbuyers = 125\nstock = 50\narrival = burst(window=0)\n"
                  "regions = us-east:0.5, eu-west:0.5\n"
                  "[variant.c]\nkind = cache\nlag = const(10s)\nop = const(100us)\n",
             "c", &r, &m);
    int64_t n0 = 0, n1 = 0;
    for (size_t i = 0; i < r.n; i++)
        if (r.req[i].region == 0)
            n0++;
        else
            n1++;
    int64_t want = (n0 < 50 ? n0 : 50) + (n1 < 50 ? n1 : 50);
    ok(ival(&r, "allocated") == want && ival(&r, "oversell") == want - 50,
       "cache, lag 10 s: allocated min(50, %lld) + min(50, %lld) = %lld, oversell %lld",
       (long long)n0, (long long)n1, (long long)want, (long long)(want - 50));
    ok(ival(&r, "lost_updates") == 0 && ival(&r, "unacknowledged") == 0,
       "cache delta: replicas converge to 50 - allocated: nothing lost");
    done(&r, m);

    /* lag 0 and arrivals 1 ms apart: each sale's "-1" lands everywhere at
     * the instant it is made, before the next sale: exactly the stock */
    run_text(NET2 "[workload]\nbuyers = 125\nstock = 50\narrival = spaced(interval=1ms)\n"
                  "regions = us-east:0.5, eu-west:0.5\n"
                  "[variant.c]\nkind = cache\nlag = 0\nop = const(100us)\n",
             "c", &r, &m);
    ok(ival(&r, "allocated") == 50 && ival(&r, "rejected") == 75 && ival(&r, "oversell") == 0,
       "cache, lag 0, sales 1 ms apart: exactly 50 sold");
    done(&r, m);

    /* lag 5.5 ms, arrivals 1 ms apart, regions at random: replay the
     * mechanism by hand.  Sale i is decided at c_i = sent + 5 + 1 + 0.1 ms
     * (no queueing: sales in one region are >= 1 ms apart, an op takes
     * 0.1 ms) against its replica: stock - its region's earlier sales -
     * the other region's sales decided before c_i - 5.5 ms. */
    run_text(NET2 "[workload]\nbuyers = 125\nstock = 50\narrival = spaced(interval=1ms)\n"
                  "regions = us-east:0.5, eu-west:0.5\n"
                  "[variant.c]\nkind = cache\nlag = const(5500us)\nop = const(100us)\n",
             "c", &r, &m);
    int64_t sold[2] = {0, 0}, replay_alloc = 0;
    bool *okd = calloc(r.n, sizeof *okd);
    size_t mismatch = 0;
    for (size_t i = 0; i < r.n; i++) {
        int reg = r.req[i].region;
        rg_time ci = r.req[i].sent + 6100 * RG_US;
        int64_t seen_other = 0;
        for (size_t j = 0; j < i; j++)
            if (okd[j] && r.req[j].region != reg &&
                r.req[j].sent + 6100 * RG_US + 5500 * RG_US < ci)
                seen_other++;
        okd[i] = 50 - sold[reg] - seen_other > 0;
        sold[reg] += okd[i];
        replay_alloc += okd[i];
        mismatch += okd[i] != (r.req[i].outcome == RG_OUT_ALLOCATED);
    }
    is_int(0, (long long)mismatch, "cache, lag 5.5 ms: every outcome matches the hand replay");
    ok(ival(&r, "allocated") == replay_alloc && replay_alloc > 50,
       "cache, lag 5.5 ms: %lld sold of 50 (oversell %lld, sales inside the lag window)",
       (long long)replay_alloc, (long long)(replay_alloc - 50));
    free(okd);
    done(&r, m);
}

/* ---- loss, horizon, trace, configuration errors ---------------------------- */

static void test_loss_horizon(void)
{
    result r;
    model *m;
    run_text("[network]\nregions = us-east\nloss = 1\n"
             "[workload]\nbuyers = 20\nstock = 10\ntimeout = 2s\n"
             "[variant.o]\nkind = object\n",
             "o", &r, &m);
    bool at_timeout = true;
    for (size_t i = 0; i < r.n; i++)
        at_timeout = at_timeout && r.req[i].outcome == RG_OUT_TIMEOUT &&
                     r.req[i].answered == r.req[i].sent + 2 * RG_S;
    ok(at_timeout && ival(&r, "timeouts") == 20 && ival(&r, "errors") == 20,
       "loss = 1: every request times out at sent + 2 s");
    done(&r, m);

    /* The horizon stops a replication with work in flight: here every SQL
     * statement takes 2 s and the horizon is 1 s, so no one is answered
     * before their clients' 10 s timeout.  Counting them as timeouts would
     * be a silent cut: the replication fails and says so; the run must
     * still free what is in flight (valgrind checks that).  Then a cache
     * whose replication lag (5 s) outlasts the horizon: every buyer is
     * answered, only the replication is cut, which is no one's answer. */
    char *msg = run_failing(NET1 SQL1 "[workload]\nbuyers = 5\nstock = 3\nhorizon = 1s\n"
                                      "[variant.l]\nkind = sql_locked\nstmt = const(2s)\n",
                            "l");
    ok(strstr(msg, "5 requests were still waiting") && strstr(msg, "horizon 1s"),
       "horizon 1 s with 2 s statements: the replication fails, naming the horizon: %s", msg);
    free(msg);
    msg = run_failing(NET1 "[workload]\nbuyers = 5\nstock = 3\nhorizon = 1s\n"
                           "arrival = spaced(interval=400ms)\n[variant.o]\nkind = object\n",
                      "o");
    ok(strstr(msg, "2 of 5 buyers arrive after [workload] horizon 1s"),
       "buyers arriving after the horizon fail the replication: %s", msg);
    free(msg);
    run_text(NET2 "[workload]\nbuyers = 6\nstock = 3\nhorizon = 1s\n"
                  "regions = us-east:0.5, eu-west:0.5\n"
                  "[variant.c]\nkind = cache\nlag = const(5s)\n",
             "c", &r, &m);
    ok(ival(&r, "allocated") + ival(&r, "rejected") == 6, "horizon 1 s, lag 5 s: all 6 answered");
    done(&r, m);
}

static void test_trace(void)
{
    model *m = load(NET1 "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=0)\n"
                         "[variant.o]\nkind = object\n");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    result r;
    run1(m, 0, 1, 0, &r, f);
    fclose(f);
    size_t plus = 0, zero = 0;
    for (const char *p = buf; (p = strstr(p, "+1 allocated")) != NULL; p++)
        plus++;
    for (const char *p = buf; (p = strstr(p, "stock hits 0")) != NULL; p++)
        zero++;
    is_int(100, (long long)plus, "trace: one '+1 allocated' line per unit sold");
    is_int(1, (long long)zero, "trace: one 'stock hits 0' line");
    free(buf);
    free(r.req);
    model_free(m);
}

static void test_config_errors(void)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {NET1 "[variant.x]\nkind = blockchain\n", "kind"},
        {NET1 "[variant.x]\nshard = sku\n", "kind"},
        {NET1 "[workload]\nbuyers = 5\n", "no [variant.NAME] section"},
        {NET1 "[variant.x]\nkind = sql_locked\nregion = mars\n", "mars"},
        {NET1 "[variant.x]\nkind = object\nshard = user\n", "shard"},
        {NET1 "[variant.x]\nkind = cache\nreplication = gossip\n", "replication"},
        {NET1 "[variant.x]\nkind = sql_naive\npause = soon\n", "pause"},
        {NET1 "[sqldb]\nworkers = 0\n[variant.x]\nkind = sql_locked\n", "workers"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[1024] = "";
        model *m = try_load(bad[i].text, msg, sizeof msg);
        ok(m == NULL && strstr(msg, bad[i].want) != NULL, "bad scenario %zu: error names '%s': %s",
           i + 1, bad[i].want, msg);
        if (m)
            model_free(m);
    }
}

int main(void)
{
    plan(76 + 3);
    test_invariants();
    test_crn();
    test_determinism();
    test_naive();
    test_locked();
    test_conditional();
    test_object();
    test_cache();
    test_loss_horizon();
    test_trace();
    test_config_errors();
    return 0;
}
