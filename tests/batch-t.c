/*
 * batch-t: the batch-upload model (batch.h), story 003's story.
 *
 * Shape, over 200 replications of the shipped defaults (the scenario text is
 * inline, so the test does not move when the shipped file is retuned): the
 * single-threaded object succeeds every time, at parallelism 5 and 1; the
 * KV with fake optimistic locking loses files in most replications at
 * parallelism 5 and mostly succeeds serially; KV at 5 loses more files than
 * serial KV.  Every replication's outcome is consistent: files tracked +
 * lost = files, complete <= tracked, success only when finalize found every
 * file complete and the client saw no error.
 *
 * Mechanism, by hand, with constant latencies (client <-> PoP 1 ms, KV hit
 * 2 ms, central 10 ms each way, uploads 10 ms, no jitter): the five
 * start-files all read state v1 at 23 ms and each puts v2 listing only its
 * own file; the last put accepted (file 5's) wins.  The five complete-files
 * then all read {5}: four answer "file not found in batch" (and put {5}
 * back), file 5's marks it complete.  Finalize (sent at 80 ms, answered at
 * 104 ms) finds 1 file of 5: 4 lost, 4 not-found errors.  Serially, nothing
 * overlaps and the batch succeeds; the object succeeds either way.
 *
 * Also: determinism of a replication, the strict rate limit (updates lost
 * through 429s and the story's loop falling off its end), several PoPs, and
 * the console extra beside the story's measurements.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/batch/batch.h"
#include "models/registry.h"
#include "sim/run/runner.h"
#include "tests/tap/basic.h"
#include "tests/tap/fixture.h"

#define REPS 200

/* The shipped scenario's settings, spelled out. */
static const char *const shipped =
    "[network]\nregions = us-east\nclient_edge = lognormal(median=6ms, p99=30ms)\n"
    "local = lognormal(median=500us, p99=3ms)\n"
    "[batch]\nfiles = 5\nupload = lognormal(median=40ms, p99=200ms)\nspread = uniform(0, 50ms)\n"
    "[backoff]\npolicy = legacy\njitter = none\nbase = 100ms\nmultiplier = 2\nlegacy_retries = 2\n"
    "[kv]\nttl = 60s\nnegative_ttl = 60s\nhit = lognormal(median=2ms, p99=10ms)\n"
    "central = lognormal(median=20ms, p99=100ms)\npropagation = lognormal(median=200ms, p99=2s)\n"
    "local_miss = 0.01\nwrite_rate = 0\n"
    "[variant.object]\nstore = object\nparallel = 5\n"
    "[variant.object_serial]\nstore = object\nparallel = 1\n"
    "[variant.kv]\nstore = kv\nparallel = 5\n"
    "[variant.kv_serial]\nstore = kv\nparallel = 1\n"
    "[variant.kv_ratelimit]\nstore = kv\nparallel = 5\nwrite_rate = 1\n";

enum { V_OBJ, V_OBJ_SERIAL, V_KV, V_KV_SERIAL, V_KV_RATE };

/* Everything constant, for the hand calculation. */
static const char *const fixed =
    "[network]\nclient_edge = const(1ms)\nlocal = const(0)\n"
    "[edge]\ncpu = const(0)\ncold_prob = 0\n"
    "[batch]\nfiles = 5\nupload = const(10ms)\nspread = const(0)\n"
    "[kv]\nhit = const(2ms)\ncentral = const(10ms)\npropagation = const(0)\nlocal_miss = 0\n"
    "write_rate = 0\n"
    "[object]\nhandler = const(100us)\nflush = const(5ms)\nstart = warm\n"
    "[variant.kv]\nstore = kv\nparallel = 5\n"
    "[variant.kv_serial]\nstore = kv\nparallel = 1\n"
    "[variant.object]\nstore = object\nparallel = 5\n";

typedef tfixture model;

static void open_model(model *m, const char *text)
{
    tfixture_open(m, &rg_experiment_batch, "batch-t.ini", text);
}

static void close_model(model *m)
{
    tfixture_close(m);
}

static void rep(model *m, size_t v, uint64_t seed, uint64_t r, rg_batch_result *res)
{
    rg_repout *out = tfixture_out(m);
    rg_batch_run_detail(m->cfg, v, seed, r, out, NULL, res);
    if (!rg_repout_done(out))
        bail("replication %llu did not finish: %s", (unsigned long long)r, rg_repout_error(out));
}

/* Index of a metric by name. */
static size_t met(const model *m, const char *name)
{
    size_t n;
    const rg_metric *mt = rg_experiment_batch.metrics(m->cfg, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(mt[i].name, name) == 0)
            return i;
    bail("no metric %s", name);
}

static bool consistent(const model *m, const rg_batch_result *r)
{
    const rg_mval *row = m->row;
    bool ok_row = row[met(m, "files_tracked")].i == r->tracked &&
                  row[met(m, "lost_files")].i == r->files - r->tracked &&
                  row[met(m, "success")].i == r->success;
    bool ok_res = r->tracked >= 0 && r->tracked <= r->files && r->complete <= r->tracked &&
                  r->not_found <= r->files && r->not_found <= r->errors;
    bool ok_success =
        !r->success || (r->tracked == r->files && r->complete == r->files && r->errors == 0);
    return ok_row && ok_res && ok_success;
}

static void test_shape(void)
{
    model m;
    open_model(&m, shipped);
    int succ[5] = {0}, losing[5] = {0};
    double lost[5] = {0};
    bool cons = true, obj_clean = true;
    int64_t silent_rate = 0, limited = 0;
    for (uint64_t i = 0; i < REPS; i++)
        for (size_t v = 0; v < 5; v++) {
            rg_batch_result r;
            rep(&m, v, 3003, i, &r);
            cons = cons && consistent(&m, &r);
            succ[v] += r.success;
            losing[v] += r.tracked < r.files;
            lost[v] += (double)(r.files - r.tracked);
            if (v <= V_OBJ_SERIAL)
                obj_clean =
                    obj_clean && r.t.silent == 0 && r.not_found == 0 && r.t.landed == 2 * r.files;
            if (v == V_KV_RATE) {
                silent_rate += r.t.silent;
                limited += r.rate_limited;
            }
        }
    is_int(REPS, succ[V_OBJ], "object, 5 parallel: every batch succeeds");
    is_int(REPS, succ[V_OBJ_SERIAL], "object, serial: every batch succeeds");
    ok(obj_clean, "object: every update lands, none lost or not found");
    ok(losing[V_KV] > REPS / 2, "KV, 5 parallel: files lost in most replications (%d of %d)",
       losing[V_KV], REPS);
    ok(succ[V_KV_SERIAL] > REPS * 3 / 4, "KV, serial: mostly succeeds (%d of %d)",
       succ[V_KV_SERIAL], REPS);
    ok(lost[V_KV] > 3 * lost[V_KV_SERIAL],
       "KV loses more files at 5 parallel (%.3f) than "
       "serially (%.3f)",
       lost[V_KV] / REPS, lost[V_KV_SERIAL] / REPS);
    ok(succ[V_KV] < succ[V_KV_SERIAL], "KV, 5 parallel, succeeds less often than serial");
    ok(cons, "every replication: tracked + lost = files, complete <= tracked, success "
             "only with every file complete and no error");
    ok(limited > 0 && silent_rate > 0 && succ[V_KV_RATE] < succ[V_KV],
       "1 write/s enforced: %lld 429s, %lld updates dropped by the story's loop",
       (long long)limited, (long long)silent_rate);

    /* A replication replays exactly. */
    rg_batch_result a, b;
    rep(&m, V_KV, 3003, 17, &a);
    rg_mval *first = rg_xcalloc(m.nmet, sizeof *first);
    memcpy(first, m.row, m.nmet * sizeof *first);
    rep(&m, V_KV, 3003, 17, &b);
    ok(memcmp(first, m.row, m.nmet * sizeof *first) == 0, "a replication replays bit for bit");
    free(first);
    close_model(&m);
}

static void test_mechanism(void)
{
    model m;
    open_model(&m, fixed);
    rg_batch_result r;
    rep(&m, 0, 1, 0, &r);
    is_int(1, r.tracked, "by hand: the five start-files overwrite each other: 1 file tracked");
    is_int(4, r.not_found, "by hand: 4 complete-files answer 'file not found in batch'");
    is_int(1, r.complete, "by hand: the surviving file is complete");
    ok(!r.success && r.errors == 4, "by hand: the batch fails with 4 errors");
    ok(r.t.landed == 10 && r.t.silent == 0,
       "by hand: every update 'landed' (the put never fails), none dropped by the loop");
    is_int(104 * RG_MS, r.batch_time, "by hand: finalize answered at 104 ms");
    is_int(12, m.row[met(&m, "attempts")].i, "by hand: 12 puts (init, 5 + 5 updates, finalize)");
    rep(&m, 1, 1, 0, &r);
    ok(r.success && r.tracked == 5 && r.complete == 5, "by hand: serial KV succeeds");
    rep(&m, 2, 1, 0, &r);
    ok(r.success && r.tracked == 5 && r.complete == 5, "by hand: the object succeeds");
    close_model(&m);
}

static void test_locations(void)
{
    /* Requests spread over 3 PoPs: caches disagree more, outcomes stay
     * consistent, the object still always succeeds. */
    char *text = rg_xasprintf("%s", shipped);
    char *at = strstr(text, "files = 5\n");
    char *t2 = rg_xasprintf("%.*slocations = 3\n%s", (int)(at - text), text, at);
    model m;
    open_model(&m, t2);
    bool cons = true;
    int obj = 0;
    for (uint64_t i = 0; i < 50; i++) {
        rg_batch_result r;
        rep(&m, V_KV, 5, i, &r);
        cons = cons && consistent(&m, &r);
        rep(&m, V_OBJ, 5, i, &r);
        obj += r.success;
    }
    ok(cons && obj == 50, "3 PoPs: consistent outcomes; the object still always succeeds");
    close_model(&m);
    free(text);
    free(t2);
}

static void test_extra(void)
{
    model m;
    open_model(&m, shipped);
    rg_runopts o = {0};
    o.seed = 3003;
    o.reps = 40;
    o.threads = 1;
    rg_err e;
    rg_err_clear(&e);
    rg_results *res = rg_run(&rg_experiment_batch, m.cfg, &o, &e);
    if (res == NULL)
        bail("rg_run: %s", e.msg);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    rg_experiment_batch.report_extra(m.cfg, res, f);
    fclose(f);
    ok(strstr(buf, "story measured") && strstr(buf, "80-100 %") && strstr(buf, "100.0 %"),
       "the console extra shows success rates beside the story's measurements");
    free(buf);
    rg_results_free(res);
    close_model(&m);
}

int main(void)
{
    plan(21);
    test_shape();
    test_mechanism();
    test_locations();
    test_extra();
    return 0;
}
