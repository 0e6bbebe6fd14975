/*
 * backoff-t: commit backpressure (backoff.h), the properties of story 004
 * as tests on the model, each with its expected values worked out by hand:
 *
 *   1. a burst of transient conflicts longer than the legacy budget (8 >
 *      5 retries) still lets the write land under the window policy: 9
 *      attempts, landing at 9 x 1 ms + the waits 0.78125 ms x (2 + 4 + ...
 *      + 256) = 208.21875 ms with the nominal curve; the legacy policy
 *      drops the same write silently after 6 attempts (30.21875 ms);
 *   2. the default curve: waits after the 1st-3rd failures under 5 ms,
 *      25 ms after the 6th (before the 7th attempt), 50 and 100 ms after,
 *      doubling to the 2 s cap;
 *   3. a permanent rejection is not retried (1 attempt) and is counted;
 *   4. a transient conflict that never clears fails loudly within the
 *      window with bounded attempts: base 1 ms, cap 2 ms, window 40 ms and
 *      instant answers give attempts at 0, 2, ..., 38 ms: 20 attempts,
 *      loud at 38 ms; with the default policy, loud within 60 s in < 500;
 *   5. a zero window fails the first conflict loudly, without a retry and
 *      without a silent drop;
 *   6. three appends through a storm of 8 conflicts all land (durable 3)
 *      under the window policy; the legacy policy drops the first (durable
 *      2) -- through the occ model, as a scenario runs it;
 * and: dropped-silently is 0 in every replication under the window policy
 * (200 replications with storms, permanent and overloaded rejections); the
 * jitter kinds' ranges and means; decorrelated bounds; overloaded
 * rejections never retried sooner than overload_wait; the loader's
 * defaults agree with rg_bo_default; trace lines name each step.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>

#include "models/mech/backoff.h"
#include "sim/engine/engine.h"
#include "models/occ/occ.h"
#include "models/registry.h"
#include "tests/tap/basic.h"
#include "tests/tap/fixture.h"

#define MS RG_MS

/* ---- a scripted store ----------------------------------------------------- */

typedef struct store {
    int reject;      /* the first `reject` attempts are rejected */
    rg_bo_res kind;  /* ... with this class; then OK */
    rg_bo_res then;  /* class after the rejections (normally OK) */
    rg_time latency; /* 0: answer inside the attempt callback */
    int seen;        /* attempts the store saw */
    int done_calls;
    rg_bo_out out;
    rg_time done_at;
    rg_bo_tally tally;
    rg_engine *e;
} store;

static void on_answer(rg_engine *e, void *ctx, uint64_t arg);

static rg_bo_op *g_op;

static void st_attempt(rg_bo_op *op, void *ctx, int64_t n)
{
    (void)n;
    store *st = ctx;
    st->seen++;
    rg_bo_res r = st->seen <= st->reject ? st->kind : st->then;
    if (st->latency == 0)
        rg_bo_op_result(op, r);
    else
        rg_after(st->e, st->latency, RG_PRIO_DEFAULT, on_answer, st, (uint64_t)r);
}

static void on_answer(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)ctx;
    rg_bo_op_result(g_op, (rg_bo_res)arg);
}

static void st_done(rg_bo_op *op, void *ctx, rg_bo_out out)
{
    store *st = ctx;
    st->done_calls++;
    st->out = out;
    st->done_at = rg_now(st->e);
    rg_bo_tally_add(&st->tally, op);
}

/* Runs one write under p against the store; returns its attempts. */
static int64_t run_write(const rg_bo_policy *p, store *st, FILE *trace)
{
    rg_engine *e = rg_engine_new(42, 0, NULL);
    st->e = e;
    g_op = rg_bo_op_new(e, p, rg_engine_stream(e, "jitter"), st_attempt, st_done, st);
    if (trace)
        rg_bo_op_trace(g_op, trace, "write");
    rg_bo_op_start(g_op);
    rg_engine_run(e, RG_TIME_MAX, 0);
    int64_t n = rg_bo_op_attempts(g_op);
    rg_bo_op_free(g_op);
    rg_engine_free(e);
    return n;
}

static rg_bo_policy nominal(void)
{
    rg_bo_policy p;
    rg_bo_default(&p);
    p.jitter = RG_BO_JIT_NONE;
    return p;
}

/* ---- the properties --------------------------------------------------- */

static void test_burst(void)
{
    rg_bo_policy p = nominal();
    store st = {.reject = 8, .kind = RG_BO_TRANSIENT, .then = RG_BO_OK, .latency = 1 * MS};
    int64_t n = run_write(&p, &st, NULL);
    ok(st.out == RG_BO_LANDED && st.done_calls == 1,
       "1: 8 transient conflicts (> the legacy budget of 5): the write lands");
    is_int(9, n, "1: after 9 attempts");
    is_int(208218750, st.done_at, "1: at 9 x 1 ms + 0.78125 ms x 510 = 208.21875 ms");
    ok(st.tally.loud == 0 && st.tally.silent == 0 && st.tally.transient == 8,
       "1: no terminal error, nothing dropped, 8 conflicts counted");
    /* The same burst under the default (jittered) policy. */
    rg_bo_default(&p);
    store sj = {.reject = 8, .kind = RG_BO_TRANSIENT, .then = RG_BO_OK, .latency = 1 * MS};
    n = run_write(&p, &sj, NULL);
    ok(sj.out == RG_BO_LANDED && n == 9, "1: lands too with the default full jitter");
    /* The legacy budget: 6 attempts, then dropped without a word. */
    p = nominal();
    p.mode = RG_BO_LEGACY;
    store sl = {.reject = 8, .kind = RG_BO_TRANSIENT, .then = RG_BO_OK, .latency = 1 * MS};
    n = run_write(&p, &sl, NULL);
    ok(sl.out == RG_BO_SILENT && n == 6 && sl.seen == 6,
       "1: the legacy policy drops the same write silently after 6 attempts");
    is_int(30218750, sl.done_at, "1: legacy gives up at 6 x 1 ms + 0.78125 ms x 62");
}

static void test_curve(void)
{
    rg_bo_policy p;
    rg_bo_default(&p);
    /* step(n): the nominal wait after the n-th failure, i.e. before attempt
     * n + 1 (story 004's indexing). */
    ok(rg_bo_expo(&p, 1) < 5 * MS && rg_bo_expo(&p, 2) < 5 * MS && rg_bo_expo(&p, 3) < 5 * MS,
       "2: the first three waits are under 5 ms (near-immediate)");
    is_int(781250, rg_bo_expo(&p, 1), "2: step(1) = 0.78125 ms");
    is_int(25 * MS, rg_bo_expo(&p, 6), "2: step(6) = 25 ms, the wait before the 7th attempt");
    is_int(50 * MS, rg_bo_expo(&p, 7), "2: step(7) = 50 ms");
    is_int(100 * MS, rg_bo_expo(&p, 8), "2: step(8) = 100 ms");
    bool doubling = true;
    for (int64_t n = 1; n <= 11; n++)
        doubling = doubling && rg_bo_expo(&p, n + 1) == 2 * rg_bo_expo(&p, n);
    ok(doubling, "2: each wait doubles the previous one up to step(12) = 1.6 s");
    is_int(2 * RG_S, rg_bo_expo(&p, 13), "2: step(13) is capped at 2 s");
    is_int(p.cap, rg_bo_expo(&p, 20), "2: step(20) = the cap");
    is_int(p.cap, rg_bo_expo(&p, 5000), "2: no overflow far out: still the cap");
    p.jitter = RG_BO_JIT_NONE;
    ok(rg_bo_delay(&p, 6, 0, 0.7) == 25 * MS, "2: with no jitter the wait is the curve");
}

static void test_permanent(void)
{
    rg_bo_policy p;
    rg_bo_default(&p);
    store st = {.reject = INT_MAX, .kind = RG_BO_PERMANENT, .latency = 1 * MS};
    int64_t n = run_write(&p, &st, NULL);
    ok(st.out == RG_BO_REJECTED && n == 1 && st.seen == 1,
       "3: a permanent rejection is not retried (1 attempt)");
    ok(st.tally.rejected == 1 && st.tally.permanent == 1 && st.tally.silent == 0 &&
           st.tally.loud == 0,
       "3: it is counted as rejected-permanent, neither loud nor silent");
    is_int(1 * MS, st.done_at, "3: and reported as soon as the answer is back");
    /* The old path knew no classes: it retried and then dropped it. */
    p.mode = RG_BO_LEGACY;
    store sl = {.reject = INT_MAX, .kind = RG_BO_PERMANENT, .latency = 1 * MS};
    n = run_write(&p, &sl, NULL);
    ok(sl.out == RG_BO_SILENT && n == 6, "3: legacy retries it 5 times and drops it silently");
}

static void test_never_clears(void)
{
    rg_bo_policy p = nominal();
    p.base = 1 * MS;
    p.cap = 2 * MS;
    p.window = 40 * MS;
    store st = {.reject = INT_MAX, .kind = RG_BO_TRANSIENT, .latency = 0};
    int64_t n = run_write(&p, &st, NULL);
    ok(st.out == RG_BO_LOUD && st.done_calls == 1,
       "4: a conflict that never clears fails loudly (terminal error)");
    is_int(20, n, "4: attempts at 0, 2, ..., 38 ms: 20 (the next would start at 40 ms)");
    is_int(38 * MS, st.done_at, "4: the error surfaces at 38 ms, within the 40 ms window");
    rg_bo_default(&p);
    store sd = {.reject = INT_MAX, .kind = RG_BO_TRANSIENT, .latency = 1 * MS};
    n = run_write(&p, &sd, NULL);
    ok(sd.out == RG_BO_LOUD && sd.done_at < 60 * RG_S,
       "4: default policy: loud within the 60 s window (at %.3f s)", rg_time_sec(sd.done_at));
    ok(n > 1 && n < 500, "4: default policy: bounded attempts (%lld)", (long long)n);
    ok(sd.tally.silent == 0, "4: not dropped silently");
    p.max_attempts = 4;
    store sm = {.reject = INT_MAX, .kind = RG_BO_TRANSIENT, .latency = 1 * MS};
    n = run_write(&p, &sm, NULL);
    ok(sm.out == RG_BO_LOUD && n == 4, "4: an attempt limit of 4 fails loudly after 4");
}

static void test_zero_window(void)
{
    rg_bo_policy p;
    rg_bo_default(&p);
    p.window = 0;
    store st = {.reject = INT_MAX, .kind = RG_BO_TRANSIENT, .latency = 1 * MS};
    int64_t n = run_write(&p, &st, NULL);
    ok(st.out == RG_BO_LOUD, "5: a zero window fails the first conflict loudly");
    ok(n == 1 && st.seen == 1, "5: without a retry");
    ok(st.tally.silent == 0 && st.done_calls == 1, "5: and without a silent drop");
    is_int(1 * MS, st.done_at, "5: at once, when the conflict is back");
}

static void test_overloaded(void)
{
    rg_bo_policy p = nominal();
    store st = {.reject = 1, .kind = RG_BO_OVERLOADED, .then = RG_BO_OK, .latency = 1 * MS};
    run_write(&p, &st, NULL);
    is_int(2002 * MS, st.done_at,
           "overloaded: no immediate retry: the wait is overload_wait (2 s), landed at 2.002 s");
    p.mode = RG_BO_LEGACY;
    store sl = {.reject = 1, .kind = RG_BO_OVERLOADED, .then = RG_BO_OK, .latency = 1 * MS};
    run_write(&p, &sl, NULL);
    is_int(2781250, sl.done_at, "overloaded under legacy: just the curve (2.78125 ms)");
    /* A window too short for the overload wait fails loudly at once. */
    p = nominal();
    p.window = 1 * RG_S;
    store sw = {.reject = INT_MAX, .kind = RG_BO_OVERLOADED, .latency = 1 * MS};
    int64_t n = run_write(&p, &sw, NULL);
    ok(sw.out == RG_BO_LOUD && n == 1, "overloaded with a 1 s window: loud after 1 attempt");
}

/* ---- the jitter kinds ------------------------------------------------------ */

static void test_jitter(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2015);
    rg_bo_policy p;
    rg_bo_default(&p);
    p.base = 5 * MS; /* the AWS study */
    const int N = 20000;
    const int64_t n = 4; /* expo = 80 ms */
    double ex = (double)rg_bo_expo(&p, n);
    is_int(80 * MS, (long long)ex, "expo(4) with base 5 ms is 80 ms");
    double sum[3] = {0};
    bool in[3] = {true, true, true};
    rg_bo_jitter kinds[3] = {RG_BO_JIT_FULL, RG_BO_JIT_EQUAL, RG_BO_JIT_NONE};
    for (int k = 0; k < 3; k++) {
        p.jitter = kinds[k];
        double lo = k == 0 ? 0 : k == 1 ? ex / 2 : ex;
        for (int i = 0; i < N; i++) {
            double d = (double)rg_bo_delay(&p, n, 0, gsl_rng_uniform(r));
            sum[k] += d;
            in[k] = in[k] && d >= lo && d <= ex;
        }
    }
    /* Means: full U(0, v): v/2, sd v/sqrt(12); equal: 3v/4, sd v/sqrt(48).
     * 5 standard errors. */
    double se_full = ex / sqrt(12.0 * N), se_equal = ex / sqrt(48.0 * N);
    ok(in[0], "full jitter: every wait in [0, expo]");
    ok(fabs(sum[0] / N - ex / 2) < 5 * se_full, "full jitter: mean %.3f ms ~ expo/2 = 40 ms",
       sum[0] / N / 1e6);
    ok(in[1], "equal jitter: every wait in [expo/2, expo]");
    ok(fabs(sum[1] / N - 0.75 * ex) < 5 * se_equal, "equal jitter: mean %.3f ms ~ 3/4 expo",
       sum[1] / N / 1e6);
    ok(in[2] && sum[2] == ex * N, "no jitter: every wait is expo");

    /* Decorrelated: min(cap, U(base, 3 prev)), whatever n. */
    p.jitter = RG_BO_JIT_DECORR;
    bool bounded = true;
    rg_time prev = p.base;
    for (int i = 0; i < N; i++) {
        rg_time d = rg_bo_delay(&p, 1, prev, gsl_rng_uniform(r));
        rg_time hi = 3 * prev < p.cap ? 3 * prev : p.cap;
        bounded = bounded && d >= p.base && d <= hi;
        prev = d;
    }
    ok(bounded, "decorrelated: every wait in [base, min(cap, 3 x previous)]");
    is_int(p.base, rg_bo_delay(&p, 7, 40 * MS, 0.0), "decorrelated: u = 0 gives base");
    is_int(15 * MS, rg_bo_delay(&p, 1, p.base, 1.0), "decorrelated: first wait at most 3 base");
    is_int(p.cap, rg_bo_delay(&p, 1, p.cap, 0.999), "decorrelated: capped");
    gsl_rng_free(r);
}

/* ---- loading --------------------------------------------------------------- */

static void test_load(void)
{
    rg_err e;
    rg_err_clear(&e);
    rg_scn *s = rg_scn_load_string("backoff-t.ini", "[backoff]\n", &e);
    if (s == NULL)
        bail("scenario: %s", e.msg);
    rg_bo_policy a, d;
    rg_bo_default(&d);
    int rc = rg_bo_load(s, "backoff", "backoff", NULL, &a, &e);
    ok(rc == 0 && a.mode == d.mode && a.jitter == d.jitter && a.base == d.base &&
           a.mult == d.mult && a.cap == d.cap && a.window == d.window &&
           a.max_attempts == d.max_attempts && a.overload_wait == d.overload_wait &&
           a.legacy_retries == d.legacy_retries,
       "the loader's defaults are rg_bo_default's");
    rg_scn_free(s);
    rg_err_clear(&e);
    s = rg_scn_load_string("backoff-t.ini", "[backoff]\nbase = 10ms\ncap = 5ms\n", &e);
    rc = s ? rg_bo_load(s, "backoff", "backoff", NULL, &a, &e) : -1;
    ok(rc < 0 && strstr(e.msg, "cap") != NULL, "cap < base is an error naming cap");
    rg_scn_free(s);
    rg_err_clear(&e);
    s = rg_scn_load_string("backoff-t.ini", "[backoff]\njitter = some\n", &e);
    rc = s ? rg_bo_load(s, "backoff", "backoff", NULL, &a, &e) : -1;
    ok(rc < 0 && strstr(e.msg, "jitter") != NULL, "an unknown jitter kind names the key");
    rg_scn_free(s);
}

/* ---- trace ---------------------------------------------------------------- */

static bool contains(FILE *f, const char *what)
{
    char line[512];
    rewind(f);
    while (fgets(line, sizeof line, f))
        if (strstr(line, what))
            return true;
    return false;
}

static void test_trace(void)
{
    rg_bo_policy p = nominal();
    FILE *f = tmpfile();
    if (f == NULL)
        bail("tmpfile failed");
    store st = {.reject = 2, .kind = RG_BO_TRANSIENT, .then = RG_BO_OK, .latency = 1 * MS};
    run_write(&p, &st, f);
    ok(contains(f, "write: attempt 1") && contains(f, "conflict (transient)") &&
           contains(f, "backoff 0.781 ms") && contains(f, "landed (after 3 attempts"),
       "trace: attempts, conflicts, backoff waits and the landing");
    fclose(f);
    f = tmpfile();
    p.mode = RG_BO_LEGACY;
    store sl = {.reject = INT_MAX, .kind = RG_BO_TRANSIENT, .latency = 1 * MS};
    run_write(&p, &sl, f);
    ok(contains(f, "DROPPED SILENTLY"), "trace: a silent drop says so");
    fclose(f);
    f = tmpfile();
    p.mode = RG_BO_WINDOW;
    p.window = 0;
    store sw = {.reject = INT_MAX, .kind = RG_BO_TRANSIENT, .latency = 1 * MS};
    run_write(&p, &sw, f);
    ok(contains(f, "FAILED LOUDLY"), "trace: a loud failure says so");
    fclose(f);
}

/* ---- through the occ model -------------------------------------------------- */

typedef tfixture occrun;

static void occ_open(occrun *o, const char *text)
{
    tfixture_open(o, &rg_experiment_occ, "backoff-t.ini", text);
}

static void occ_close(occrun *o)
{
    tfixture_close(o);
}

static void occ_rep(occrun *o, size_t v, uint64_t seed, uint64_t rep, rg_occ_result *res)
{
    rg_repout *out = tfixture_out(o);
    rg_occ_run_detail(o->cfg, v, seed, rep, out, NULL, res);
}

static void test_appends(void)
{
    /* Story 004's test 6: eight forced conflicts, three appends. */
    occrun o;
    occ_open(&o, "[occ]\nclients = 1\nwrites = 3\nnetwork = const(1ms)\n"
                 "[faults]\nstorm_count = 8\n"
                 "[variant.window]\npolicy = window\n[variant.legacy]\npolicy = legacy\n");
    rg_occ_result w, l;
    occ_rep(&o, 0, 4004, 0, &w);
    occ_rep(&o, 1, 4004, 0, &l);
    ok(w.durable == 3 && w.t.landed == 3, "6: window: all three appends land (durable count 3)");
    ok(w.t.silent == 0 && w.t.loud == 0, "6: window: no error, nothing dropped");
    is_int(11, w.t.attempts, "6: window: 8 rejected attempts + 3 that land");
    ok(l.durable == 2 && l.t.silent == 1 && l.t.landed == 2,
       "6: legacy: the first append is dropped silently (durable count 2)");
    is_int(10, l.t.attempts, "6: legacy: 6 attempts, then 3 (the last 2 conflicts), then 1");
    occ_close(&o);
}

static void test_never_silent(void)
{
    /* A rough mix: staggered clients, storms of random length (often
     * longer than the 2 s window), permanent and overloaded rejections. */
    occrun o;
    occ_open(&o, "[occ]\nclients = 20\nwrites = 2\narrival = uniform(0, 50ms)\n"
                 "[backoff]\nwindow = 2s\n"
                 "[faults]\nstorm_count = 5\nstorm_duration = uniform(0, 3s)\n"
                 "permanent = 0.05\noverloaded = 0.05\n"
                 "[variant.window]\npolicy = window\n[variant.legacy]\npolicy = legacy\n");
    const int R = 200;
    bool never = true, accounted = true;
    int64_t loud = 0, rejected = 0, legacy_silent = 0;
    for (int i = 0; i < R; i++) {
        rg_occ_result w, l;
        occ_rep(&o, 0, 77, (uint64_t)i, &w);
        occ_rep(&o, 1, 77, (uint64_t)i, &l);
        never = never && w.t.silent == 0;
        accounted = accounted && w.t.landed + w.t.rejected + w.t.loud == 40 && w.unfinished == 0 &&
                    w.durable == w.t.landed;
        loud += w.t.loud;
        rejected += w.t.rejected;
        legacy_silent += l.t.silent;
    }
    ok(never, "window policy: dropped-silently is 0 in every one of %d replications", R);
    ok(accounted, "window policy: every write landed, was rejected or failed loudly");
    ok(loud > 0 && rejected > 0, "the mix did exercise loud (%lld) and permanent (%lld) outcomes",
       (long long)loud, (long long)rejected);
    ok(legacy_silent > 0, "the legacy policy, on the same replications, drops %lld silently",
       (long long)legacy_silent);
    occ_close(&o);
}

int main(void)
{
    plan(60);
    test_burst();
    test_curve();
    test_permanent();
    test_never_clears();
    test_zero_window();
    test_overloaded();
    test_jitter();
    test_load();
    test_trace();
    test_appends();
    test_never_silent();
    return 0;
}
