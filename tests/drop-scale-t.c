/*
 * drop-scale-t: what the drop does to stay cheap per replication and per
 * buyer must not move a result.
 *
 * The checker finds the latency quantiles by selection, not by sorting:
 * every p50, p95, p99 and max must equal, bit for bit, what GSL gives on
 * the sorted latencies the per-request records say (answered - sent),
 * whatever the number of requests (1, a few, many) and however many are
 * tied (constant latencies make every request's the same).
 *
 * The SQL pool's timeouts: 1,000 callers wait on a pool of one
 * connection; with constant times each must be told RG_SQL_POOL_TIMEOUT at
 * exactly its join time + pool_timeout, in FIFO order; an event scheduled
 * for the same instant after the waiters joined runs after their
 * timeouts, and a close scheduled before a waiter joined, due at its
 * deadline, runs before its timeout and serves it; a waiter served before
 * its timeout is never told it.
 *
 * The variants of a replication borrow its buyers from a cache in the
 * scenario's configuration: runs in a scrambled order over more
 * replications than the cache holds (so slots are evicted and refilled)
 * must give the same rows and records, byte for byte, as each run on a
 * configuration of its own (an empty cache).
 *
 * The buyers' arrival times, sorted by radix from 4,096 buyers on, are the
 * draws sorted as qsort sorts them, for a burst (ties included: a window
 * of 1 us for 10^5 buyers) and a long Poisson process.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "models/drop/drop.h"
#include "models/mech/workload.h"
#include "models/stores/sqldb.h"
#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"

#define NET3                                                                                       \
    "[network]\nregions = us-east, us-west, eu-west\n"                                             \
    "client_edge = lognormal(median=6ms, p99=30ms)\nlocal = lognormal(median=500us, p99=3ms)\n"    \
    "jitter = exp(mean=1ms)\n"
#define VARIANTS                                                                                   \
    "[object]\nregion = us-east\n"                                                                 \
    "[sqldb]\nregion = us-east\nworkers = 1\nstmt = lognormal(median=1ms, p99=4ms)\n"              \
    "app_at = edge\nlock_timeout = 50s\n"                                                          \
    "[variant.object]\nkind = object\n"                                                            \
    "[variant.sql_naive]\nkind = sql_naive\npause = 100ms\n"                                       \
    "[variant.sql_locked]\nkind = sql_locked\n"                                                    \
    "[variant.cache]\nkind = cache\n"

typedef struct model {
    rg_scn *s;
    void *cfg;
    size_t nmet;
    const rg_metric *met;
} model;

static model *load(const char *text)
{
    rg_err e;
    rg_err_clear(&e);
    model *m = calloc(1, sizeof *m);
    if (m == NULL)
        bail("out of memory");
    m->s = rg_scn_load_string("drop-scale-t.ini", text, &e);
    if (m->s == NULL || rg_experiment_drop.load(m->s, &m->cfg, &e) < 0 ||
        rg_scn_finish(m->s, &e) < 0)
        bail("test scenario does not load: %s", e.msg);
    m->met = rg_experiment_drop.metrics(m->cfg, &m->nmet);
    return m;
}

static void model_free(model *m)
{
    rg_experiment_drop.free_cfg(m->cfg);
    rg_scn_free(m->s);
    free(m);
}

static size_t met(const model *m, const char *name)
{
    for (size_t i = 0; i < m->nmet; i++)
        if (strcmp(m->met[i].name, name) == 0)
            return i;
    bail("no metric %s", name);
}

/* Runs variant v of replication rep; row (m->nmet values) and records. */
static void run1(const model *m, size_t v, uint64_t rep, rg_mval *row, rg_drop_req **req, size_t *n)
{
    rg_repout *out = rg_repout_new(m->met, m->nmet, 0, NULL);
    rg_drop_run_detail(m->cfg, v, 1, rep, out, NULL, req, n);
    if (!rg_repout_done(out))
        bail("replication did not complete: %s", rg_repout_error(out));
    memcpy(row, rg_repout_row(out), m->nmet * sizeof *row);
    rg_repout_free(out);
}

/* Every replication of every variant of `text`: the quantiles the model
 * reports against GSL's on the fully sorted latencies of its records.
 * Returns the number of (variant, replication) pairs that differ. */
static int quantiles_differ(const char *text, uint64_t reps, size_t *checked)
{
    model *m = load(text);
    size_t p50 = met(m, "lat_p50"), p95 = met(m, "lat_p95"), p99 = met(m, "lat_p99"),
           mx = met(m, "lat_max");
    rg_mval row[64];
    if (m->nmet > 64)
        bail("too many metrics");
    int bad = 0;
    *checked = 0;
    for (size_t v = 0; v < rg_experiment_drop.nvariants(m->cfg); v++)
        for (uint64_t rep = 0; rep < reps; rep++) {
            rg_drop_req *req;
            size_t n;
            run1(m, v, rep, row, &req, &n);
            double *lat = malloc((n ? n : 1) * sizeof *lat);
            for (size_t i = 0; i < n; i++)
                lat[i] = rg_time_sec(req[i].answered - req[i].sent);
            gsl_sort(lat, 1, n);
            double want[4] = {gsl_stats_quantile_from_sorted_data(lat, 1, n, 0.50),
                              gsl_stats_quantile_from_sorted_data(lat, 1, n, 0.95),
                              gsl_stats_quantile_from_sorted_data(lat, 1, n, 0.99), lat[n - 1]};
            double got[4] = {row[p50].d, row[p95].d, row[p99].d, row[mx].d};
            if (memcmp(want, got, sizeof want) != 0) {
                if (bad == 0)
                    diag("variant %zu rep %llu (%zu requests): p50 %.17g/%.17g p95 %.17g/%.17g "
                         "p99 %.17g/%.17g max %.17g/%.17g",
                         v, (unsigned long long)rep, n, got[0], want[0], got[1], want[1], got[2],
                         want[2], got[3], want[3]);
                bad++;
            }
            (*checked)++;
            free(lat);
            free(req);
        }
    model_free(m);
    return bad;
}

static void test_quantiles(void)
{
    static const struct {
        const char *what, *workload;
        uint64_t reps;
    } cases[] = {
        {"one buyer", "[workload]\nbuyers = 1\nstock = 1\n", 20},
        {"17 buyers (one partition step)", "[workload]\nbuyers = 17\nstock = 10\n", 20},
        {"125 buyers",
         "[workload]\nbuyers = 125\nstock = 100\narrival = burst(window=100ms)\n"
         "regions = us-east:0.7, us-west:0.2, eu-west:0.1\n",
         30},
        {"3,000 buyers",
         "[workload]\nbuyers = 3000\nstock = 500\nskus = 2\n"
         "arrival = burst(window=1s)\n",
         3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = rg_xasprintf("%s%s%s", NET3, cases[i].workload, VARIANTS);
        size_t checked;
        int bad = quantiles_differ(text, cases[i].reps, &checked);
        ok(bad == 0 && checked > 0,
           "%s: quantiles by selection equal GSL's on sorted data (%zu runs)", cases[i].what,
           checked);
        free(text);
    }
    /* constant latencies: every request of a kind ties */
    size_t checked;
    int bad = quantiles_differ(
        "[network]\nregions = us-east\nclient_edge = const(5ms)\nlocal = const(1ms)\njitter = 0\n"
        "[edge]\ncpu = 0\ncold_prob = 0\n"
        "[workload]\nbuyers = 400\nstock = 100\narrival = burst(window=0)\n"
        "[object]\nregion = us-east\n[variant.object]\nkind = object\n"
        "[variant.cache]\nkind = cache\nlag = const(0)\n",
        2, &checked);
    ok(bad == 0, "tied latencies: quantiles equal GSL's (%zu runs)", checked);
}

/* ---- the SQL pool's timeouts -------------------------------------------- */

#define NWAIT 1000

typedef struct pool_world {
    rg_engine *e;
    rg_sqldb *db;
    rg_dist *stmt;
    rg_time told_at[NWAIT + 1];
    rg_sqlstatus told[NWAIT + 1];
    size_t order[NWAIT + 1], norder;
    rg_time other_at;   /* when the same-instant event ran */
    size_t other_after; /* answers given before it */
} pool_world;

static void on_conn(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res)
{
    pool_world *w = ctx;
    w->told_at[tag] = rg_now(e);
    w->told[tag] = res->status;
    w->order[w->norder++] = tag;
}

static void on_join(rg_engine *e, void *ctx, uint64_t tag)
{
    (void)e;
    pool_world *w = ctx;
    rg_sqldb_connect(w->db, on_conn, w, tag);
}

static void on_other(rg_engine *e, void *ctx, uint64_t arg);

/* At 2 ms, every caller waiting: an event for the instant of their
 * timeouts, scheduled after they joined. */
static void on_probe(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    pool_world *w = ctx;
    rg_at(e, 51 * RG_MS, RG_PRIO_DEFAULT, on_other, w, 0);
}

static void on_other(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    pool_world *w = ctx;
    w->other_at = rg_now(e);
    w->other_after = w->norder;
}

static void on_close(rg_engine *e, void *ctx, uint64_t conn)
{
    (void)e;
    pool_world *w = ctx;
    rg_sqldb_close(w->db, (int64_t)conn);
}

/* A database with a pool of one connection, 1 ms statements and a 50 ms
 * pool timeout, on an engine of its own. */
static pool_world *pool_new(void)
{
    rg_err err;
    rg_err_clear(&err);
    pool_world *w = calloc(1, sizeof *w);
    if (w == NULL || (w->stmt = rg_dist_parse("const(1ms)", RG_QTY_DURATION, &err)) == NULL)
        bail("set-up failed");
    rg_sqldb_params p = {w->stmt, 1, 1, 50 * RG_MS, 0};
    w->e = rg_engine_new(7, 0, NULL);
    w->db = rg_sqldb_new(w->e, &p, 1, 5);
    return w;
}

static void pool_free(pool_world *w)
{
    rg_sqldb_free(w->db);
    rg_engine_free(w->e);
    rg_dist_free(w->stmt);
    free(w);
}

static void test_pool_timer(void)
{
    pool_world *w = pool_new();
    /* caller 0 holds the one connection until 30 ms, then closes it:
     * caller 1 (joined at 0) is served then; callers 2..NWAIT join at
     * 1 ms (two by two at the same instant) and time out at 51 ms */
    rg_sqldb_connect(w->db, on_conn, w, 0);
    rg_at(w->e, 0, RG_PRIO_DEFAULT, on_join, w, 1);
    for (size_t k = 2; k <= NWAIT; k++)
        rg_at(w->e, 1 * RG_MS, RG_PRIO_DEFAULT, on_join, w, k);
    rg_at(w->e, 30 * RG_MS, RG_PRIO_DEFAULT, on_close, w, 0);
    rg_at(w->e, 2 * RG_MS, RG_PRIO_DEFAULT, on_probe, w, 0);
    rg_engine_run(w->e, RG_TIME_MAX, 0);
    bool exact = w->told[1] == RG_SQL_OK && w->told_at[1] == 30 * RG_MS;
    for (size_t k = 2; k <= NWAIT; k++)
        exact = exact && w->told[k] == RG_SQL_POOL_TIMEOUT && w->told_at[k] == 51 * RG_MS;
    bool fifo = w->norder == NWAIT + 1;
    for (size_t i = 0; fifo && i < w->norder; i++)
        fifo = w->order[i] == i;
    ok(exact && fifo,
       "pool of one: the waiter served at 30 ms is never timed out; the 999 others are told "
       "RG_SQL_POOL_TIMEOUT at exactly 51 ms, in FIFO order");
    is_int(NWAIT - 1, (long long)rg_sqldb_stats_get(w->db)->pool_timeouts,
           "one pool timeout per waiter");
    ok(w->other_at == 51 * RG_MS && w->other_after == NWAIT + 1,
       "an event scheduled later for the same instant runs after every timeout (%zu before it)",
       w->other_after);
    /* one event per join, the close, the probe, the other event, and one
     * per timeout */
    is_int(NWAIT + 3 + (NWAIT - 1), (long long)rg_engine_events(w->e),
           "events: %d joins, the close, the probe, the other event, %d timeouts", NWAIT,
           NWAIT - 1);
    pool_free(w);
}

/* A connection closed at exactly a waiter's deadline, by an event scheduled
 * before the waiter joined: the two events fire in the order they were
 * scheduled (engine.h), so the close comes first and the waiter is served.
 * (A shared timer at a higher priority once made the timeout win.) */
static void test_pool_tie(void)
{
    pool_world *w = pool_new();
    rg_sqldb_connect(w->db, on_conn, w, 0); /* caller 0 holds the one connection */
    rg_at(w->e, 50 * RG_MS, RG_PRIO_DEFAULT, on_close, w, 0); /* ... until 50 ms */
    rg_at(w->e, 0, RG_PRIO_DEFAULT, on_join, w, 1);           /* caller 1: deadline 50 ms */
    rg_engine_run(w->e, RG_TIME_MAX, 0);
    ok(w->told[1] == RG_SQL_OK && w->told_at[1] == 50 * RG_MS &&
           rg_sqldb_stats_get(w->db)->pool_timeouts == 0,
       "a connection closed at exactly a waiter's deadline, by an event scheduled before it "
       "joined, serves it");
    pool_free(w);
}

/* ---- arrival times ---------------------------------------------------- */

static int cmp_time(const void *a, const void *b)
{
    rg_time x = *(const rg_time *)a, y = *(const rg_time *)b;
    return (x > y) - (x < y);
}

/* rg_workload_buyers' times against the same draws sorted by qsort. */
static bool arrivals_sorted(rg_arrkind kind, rg_time span, double rate, size_t n)
{
    rg_workload w;
    memset(&w, 0, sizeof w);
    w.buyers = (int64_t)n;
    w.skus = 1;
    w.arrival = kind;
    w.span = span;
    w.rate = rate;
    w.mix[0] = 1;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 42);
    rg_buyer *b = rg_workload_buyers(&w, 1, r);
    gsl_rng_set(r, 42);
    rg_time *t = malloc(n * sizeof *t);
    double acc = 0;
    for (size_t i = 0; i < n; i++) {
        if (kind == RG_ARR_BURST) {
            t[i] = (rg_time)llround(gsl_rng_uniform(r) * (double)span);
        } else {
            acc += -log1p(-gsl_rng_uniform(r)) / rate * 1e9;
            t[i] = (rg_time)llround(acc);
        }
    }
    qsort(t, n, sizeof *t, cmp_time);
    bool same = true;
    for (size_t i = 0; i < n; i++)
        same = same && b[i].t == t[i];
    free(t);
    free(b);
    gsl_rng_free(r);
    return same;
}

static void test_arrivals(void)
{
    ok(arrivals_sorted(RG_ARR_BURST, RG_S, 0, 200000),
       "200,000 buyers in a 1 s burst: radix-sorted times equal the sorted draws");
    ok(arrivals_sorted(RG_ARR_BURST, 1000, 0, 100000),
       "100,000 buyers in 1 us (every time tied with others): equal the sorted draws");
    ok(arrivals_sorted(RG_ARR_POISSON, 0, 0.001, 5000),
       "5,000 Poisson buyers over about 58 days (more radix passes): equal the sorted draws");
    ok(arrivals_sorted(RG_ARR_BURST, RG_S, 0, 4095),
       "4,095 buyers (quicksort): equal the sorted draws");
}

/* ---- the buyers' cache -------------------------------------------------- */

static void test_buyers_cache(void)
{
    char *text = rg_xasprintf("%s%s%s", NET3,
                              "[workload]\nbuyers = 125\nstock = 100\n"
                              "arrival = burst(window=100ms)\n"
                              "regions = us-east:0.7, us-west:0.2, eu-west:0.1\n",
                              VARIANTS);
    model *shared = load(text);
    size_t nv = rg_experiment_drop.nvariants(shared->cfg);
    int differ = 0, runs = 0;
    /* 13 replications, variants in a scrambled order, some twice */
    for (int k = 0; k < 60; k++) {
        uint64_t rep = (uint64_t)(k * 7 % 13);
        size_t v = (size_t)(k * 5 + k / 13) % nv;
        rg_mval a[64], b[64];
        rg_drop_req *ra, *rb;
        size_t na, nb;
        run1(shared, v, rep, a, &ra, &na);
        model *fresh = load(text);
        run1(fresh, v, rep, b, &rb, &nb);
        if (na != nb || memcmp(a, b, shared->nmet * sizeof *a) != 0 ||
            memcmp(ra, rb, na * sizeof *ra) != 0) {
            if (differ == 0)
                diag("variant %zu rep %llu differs", v, (unsigned long long)rep);
            differ++;
        }
        runs++;
        model_free(fresh);
        free(ra);
        free(rb);
    }
    ok(differ == 0,
       "%d runs borrowing buyers (13 replications, 8 slots) equal runs on fresh "
       "configurations, rows and records",
       runs);
    model_free(shared);
    free(text);
}

int main(void)
{
    plan(15);
    test_buyers_cache();
    test_arrivals();
    test_quantiles();
    test_pool_timer();
    test_pool_tie();
    return 0;
}
