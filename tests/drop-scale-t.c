/*
 * drop-scale-t: what the drop does to stay cheap per replication and per
 * buyer must not move a result.
 *
 * The checker finds the latency quantiles by selection, not by sorting:
 * every p50, p95, p99 and max must equal, bit for bit, what GSL gives on
 * the sorted latencies the per-request records say (answered - sent),
 * whatever the number of requests (1, a few, many) and however many are
 * tied (constant latencies make every request's the same).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "models/drop/drop.h"
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

int main(void)
{
    plan(5);
    test_quantiles();
    return 0;
}
