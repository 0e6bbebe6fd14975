/*
 * engine-t: the event engine (engine.h).  Firing order by time, then
 * priority (lower first), then insertion; cancellation by handle, including
 * stale handles whose slot has been reused; rg_engine_run's `until`, event
 * budget and rg_engine_stop; scheduling from callbacks; scheduling in the
 * past aborts; and a randomized comparison of more than 100,000 operations
 * against a reference model (a sorted array of (time, priority, sequence)
 * with cancelled entries removed), checking the exact fire order.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/engine.h"
#include "tests/tap/basic.h"

/* ---- a fire log ---------------------------------------------------------- */

typedef struct firelog {
    uint64_t ids[64];
    rg_time at[64];
    size_t n;
} firelog;

static void log_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    firelog *l = ctx;
    if (l->n < 64) {
        l->ids[l->n] = arg;
        l->at[l->n] = rg_now(e);
    }
    l->n++;
}

/* "1,2,3" from the log, for readable comparisons. */
static const char *log_str(const firelog *l, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l->n && i < 64 && len + 24 < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%llu", i ? "," : "",
                                (unsigned long long)l->ids[i]);
    return buf;
}

/* ---- ordering ------------------------------------------------------------ */

static void test_time_order(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    firelog l = {0};
    char buf[256];
    rg_at(e, 30, 0, log_fire, &l, 3);
    rg_at(e, 10, 0, log_fire, &l, 1);
    rg_at(e, 50, 0, log_fire, &l, 5);
    rg_at(e, 20, 0, log_fire, &l, 2);
    rg_at(e, 40, 0, log_fire, &l, 4);
    is_int(5, (long long)rg_engine_pending(e), "five pending");
    is_int(RG_RUN_EMPTY, rg_engine_run(e, RG_TIME_MAX, 0), "run to empty");
    is_string("1,2,3,4,5", log_str(&l, buf, sizeof buf), "fired in time order");
    ok(l.at[0] == 10 && l.at[1] == 20 && l.at[2] == 30 && l.at[3] == 40 && l.at[4] == 50,
       "clock equals each event's time when it fires");
    is_int(50, rg_now(e), "clock at the last event");
    is_int(5, (long long)rg_engine_events(e), "events counter");
    is_int(0, (long long)rg_engine_pending(e), "nothing pending");
    rg_engine_free(e);
}

static void test_ties(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    firelog l = {0};
    char buf[256];
    /* Same time: priority first, then insertion order. */
    rg_at(e, 100, 5, log_fire, &l, 1);
    rg_at(e, 100, -3, log_fire, &l, 2);
    rg_at(e, 100, 0, log_fire, &l, 3);
    rg_at(e, 100, -3, log_fire, &l, 4);
    rg_at(e, 100, 5, log_fire, &l, 5);
    rg_at(e, 100, RG_PRIO_MAX, log_fire, &l, 6);
    rg_at(e, 100, RG_PRIO_MIN, log_fire, &l, 7);
    rg_at(e, 99, RG_PRIO_MAX, log_fire, &l, 8); /* earlier time beats any priority */
    rg_at(e, 100, 0, log_fire, &l, 9);
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_string("8,7,2,4,3,9,1,5,6", log_str(&l, buf, sizeof buf),
              "ties broken by priority (lower first), then insertion order");

    /* Fifty equal events, then ten of a lower priority number scheduled
     * later: the ten fire first, each group in insertion order. */
    rg_engine *f = rg_engine_new(1, 0, NULL);
    firelog big = {0};
    for (uint64_t i = 0; i < 50; i++)
        rg_at(f, 7, 1, log_fire, &big, i);
    for (uint64_t i = 0; i < 10; i++)
        rg_at(f, 7, 0, log_fire, &big, 1000 + i);
    rg_engine_run(f, RG_TIME_MAX, 0);
    bool order = big.n == 60;
    for (size_t i = 0; i < 60 && order; i++)
        order = big.ids[i] == (i < 10 ? 1000 + i : i - 10);
    ok(order, "lower priority number first, then first-in first-out (60 events)");
    rg_engine_free(f);
    rg_engine_free(e);
}

/* Checks FIFO for more events than the log holds: each callback checks its
 * own arg against a counter. */
typedef struct fifo_check {
    uint64_t next;
    uint64_t errors;
} fifo_check;

static void fifo_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    fifo_check *c = ctx;
    (void)e;
    if (arg != c->next)
        c->errors++;
    c->next = arg + 1;
}

/* Waves of 1,000 events at one (time, priority), each wave half fired
 * before the next: 40,000 schedules with about 1,500 pending, so an engine
 * whose sequences run out early (engine-renum-t) renumbers with events of
 * several waves pending, and must keep their order. */
static void test_fifo_waves(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    fifo_check c = {0, 0};
    uint64_t id = 0;
    for (int wave = 0; wave < 40; wave++) {
        for (int k = 0; k < 1000; k++, id++)
            rg_at(e, 42, 3, fifo_fire, &c, id);
        rg_engine_run(e, RG_TIME_MAX, wave == 0 ? 500 : 1000);
    }
    rg_engine_run(e, RG_TIME_MAX, 0);
    ok(c.errors == 0 && c.next == 40000,
       "40,000 events at one (time, priority), scheduled in waves, fire in order");
    rg_engine_free(e);
}

/* A heap past the size from which the run loop fetches the next slot
 * ahead (engine.c, PREFETCH_MIN): events at scattered times, each firing
 * one more, still fire in time order.  The small-sequence build
 * (engine-renum-t) allows only 2^13 events at once. */
#if defined(RG_ENGINE_SEQ_BITS) && RG_ENGINE_SEQ_BITS < 16
#define BIG_HEAP 4000
#else
#define BIG_HEAP 20000
#endif

typedef struct big_check {
    rg_time last;
    uint64_t fired, errors, x;
} big_check;

static void big_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    big_check *c = ctx;
    if (rg_now(e) < c->last)
        c->errors++;
    c->last = rg_now(e);
    c->fired++;
    if (arg > 0) {
        c->x = c->x * 6364136223846793005u + 1442695040888963407u;
        rg_after(e, (rg_time)(c->x >> 40), RG_PRIO_DEFAULT, big_fire, c, arg - 1);
    }
}

static void test_big_heap(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    big_check c = {0, 0, 0, 12345};
    for (int i = 0; i < BIG_HEAP; i++) {
        c.x = c.x * 6364136223846793005u + 1442695040888963407u;
        rg_at(e, (rg_time)(c.x >> 40), RG_PRIO_DEFAULT, big_fire, &c, 3);
    }
    rg_engine_run(e, RG_TIME_MAX, 0);
    ok(c.errors == 0 && c.fired == 4 * (uint64_t)BIG_HEAP,
       "a large heap (%d pending) fires every event in time order", BIG_HEAP);
    rg_engine_free(e);
}

static void test_fifo_large(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    fifo_check c = {0, 0};
    for (uint64_t i = 0; i < 5000; i++)
        rg_at(e, 42, 3, fifo_fire, &c, i);
    rg_engine_run(e, RG_TIME_MAX, 0);
    ok(c.errors == 0 && c.next == 5000, "5000 events at one (time, priority) fire in order");
    rg_engine_free(e);
}

/* ---- cancellation ---------------------------------------------------------- */

static void test_cancel(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    firelog l = {0};
    char buf[256];
    rg_evh a = rg_at(e, 10, 0, log_fire, &l, 1);
    rg_evh b = rg_at(e, 20, 0, log_fire, &l, 2);
    rg_evh c = rg_at(e, 30, 0, log_fire, &l, 3);
    rg_evh null = {0, 0};

    ok(rg_pending(e, a) && rg_pending(e, b) && rg_pending(e, c), "new events are pending");
    ok(!rg_pending(e, null), "the null handle is not pending");
    ok(!rg_cancel(e, null), "cancelling the null handle returns false");
    ok(rg_cancel(e, b), "cancelling a pending event returns true");
    ok(!rg_pending(e, b), "a cancelled event is not pending");
    ok(!rg_cancel(e, b), "cancelling it again returns false");
    is_int(2, (long long)rg_engine_pending(e), "pending count excludes the cancelled one");
    /* Cancelling the head of the queue. */
    ok(rg_cancel(e, a), "cancel the earliest event");
    is_int(RG_RUN_EMPTY, rg_engine_run(e, RG_TIME_MAX, 0), "run to empty");
    is_string("3", log_str(&l, buf, sizeof buf), "cancelled events never fire");
    ok(!rg_pending(e, c), "a fired event is not pending");
    ok(!rg_cancel(e, c), "cancelling a fired event returns false");
    is_int(1, (long long)rg_engine_events(e), "cancelled events are not counted as fired");

    /* A stale handle must not cancel the event that reuses its slot. */
    l.n = 0;
    rg_evh d = rg_at(e, 40, 0, log_fire, &l, 4);
    ok(!rg_pending(e, a) && !rg_pending(e, b) && !rg_pending(e, c),
       "old handles stay dead after their slots are reused");
    ok(!rg_cancel(e, a) && !rg_cancel(e, b) && !rg_cancel(e, c),
       "cancelling stale handles returns false");
    ok(rg_pending(e, d), "the event in the reused slot is still pending");
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_string("4", log_str(&l, buf, sizeof buf), "and it fires");

    /* A handle whose slot was never allocated. */
    rg_evh bogus = {1000000, 1};
    ok(!rg_pending(e, bogus) && !rg_cancel(e, bogus), "a handle beyond the slot array is dead");
    rg_engine_free(e);
}

/* ---- run: until, budget, stop --------------------------------------------- */

static void stopper(rg_engine *e, void *ctx, uint64_t arg)
{
    log_fire(e, ctx, arg);
    rg_engine_stop(e);
}

static void test_run_limits(void)
{
    char buf[256];
    rg_engine *e = rg_engine_new(1, 0, NULL);
    firelog l = {0};
    for (uint64_t i = 1; i <= 5; i++)
        rg_at(e, (rg_time)i * 10, 0, log_fire, &l, i);

    is_int(RG_RUN_UNTIL, rg_engine_run(e, 25, 0), "run until 25 stops at the limit");
    is_string("1,2", log_str(&l, buf, sizeof buf), "events at or before until fired");
    is_int(25, rg_now(e), "clock set to until");
    is_int(3, (long long)rg_engine_pending(e), "later events stay pending");
    is_int(RG_RUN_UNTIL, rg_engine_run(e, 30, 0), "run until 30");
    is_string("1,2,3", log_str(&l, buf, sizeof buf), "an event exactly at until fires");
    is_int(30, rg_now(e), "clock at 30");

    is_int(RG_RUN_BUDGET, rg_engine_run(e, RG_TIME_MAX, 1), "budget of one event");
    is_string("1,2,3,4", log_str(&l, buf, sizeof buf), "exactly one more fired");
    is_int(40, rg_now(e), "clock at the budget's last event");
    is_int(RG_RUN_EMPTY, rg_engine_run(e, RG_TIME_MAX, 5), "budget larger than the queue");
    is_int(5, (long long)rg_engine_events(e), "events counter after all runs");
    is_int(RG_RUN_EMPTY, rg_engine_run(e, RG_TIME_MAX, 0), "running an empty engine");
    rg_engine_free(e);

    /* Stop from a callback. */
    e = rg_engine_new(1, 0, NULL);
    l.n = 0;
    rg_at(e, 1, 0, log_fire, &l, 1);
    rg_at(e, 2, 0, stopper, &l, 2);
    rg_at(e, 2, 1, log_fire, &l, 3);
    rg_at(e, 3, 0, log_fire, &l, 4);
    is_int(RG_RUN_STOPPED, rg_engine_run(e, RG_TIME_MAX, 0), "rg_engine_stop stops the run");
    is_string("1,2", log_str(&l, buf, sizeof buf), "stop takes effect after the callback");
    is_int(2, rg_now(e), "clock at the stopping event");
    is_int(RG_RUN_EMPTY, rg_engine_run(e, RG_TIME_MAX, 0), "a new run continues");
    is_string("1,2,3,4", log_str(&l, buf, sizeof buf), "with the remaining events");
    rg_engine_free(e);

    /* Budget of 2 over equal times. */
    e = rg_engine_new(1, 0, NULL);
    l.n = 0;
    for (uint64_t i = 1; i <= 4; i++)
        rg_at(e, 5, 0, log_fire, &l, i);
    is_int(RG_RUN_BUDGET, rg_engine_run(e, RG_TIME_MAX, 2), "budget of two");
    is_string("1,2", log_str(&l, buf, sizeof buf), "two fired");
    rg_engine_free(e);
}

/* ---- scheduling from callbacks --------------------------------------------- */

typedef struct chain {
    firelog *l;
    int left;
} chain;

static void chain_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    chain *c = ctx;
    log_fire(e, c->l, arg);
    if (c->left-- > 0)
        rg_after(e, 5, 0, chain_fire, c, arg + 1);
}

static void spawner(rg_engine *e, void *ctx, uint64_t arg)
{
    firelog *l = ctx;
    log_fire(e, l, arg);
    /* Same time, lower priority number than the pending id 10: fires next. */
    rg_after(e, 0, -5, log_fire, l, 11);
    /* Same time and priority as id 10 but inserted later: after it. */
    rg_at(e, rg_now(e), 0, log_fire, l, 12);
    /* Later. */
    rg_after(e, 1, -100, log_fire, l, 13);
}

static void test_callbacks(void)
{
    char buf[256];
    rg_engine *e = rg_engine_new(1, 0, NULL);
    firelog l = {0};
    chain c = {&l, 4};
    rg_at(e, 0, 0, chain_fire, &c, 1);
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_string("1,2,3,4,5", log_str(&l, buf, sizeof buf), "a callback reschedules itself");
    ok(l.at[4] == 20, "each 5 ns later (last at %lld)", (long long)l.at[4]);
    rg_engine_free(e);

    e = rg_engine_new(1, 0, NULL);
    l.n = 0;
    rg_at(e, 100, 0, log_fire, &l, 10);
    rg_at(e, 100, -1, spawner, &l, 9);
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_string("9,11,10,12,13", log_str(&l, buf, sizeof buf),
              "events scheduled at now from a callback obey priority and insertion order");
    is_int(101, rg_now(e), "clock at the last event");
    is_int(5, (long long)rg_engine_events(e), "events counter counts callback-scheduled events");
    rg_engine_free(e);
}

/* The firing event's place in the queue is reused by the first event its
 * callback schedules.  Here the callback cancels most pending events (so
 * the queue is compacted while that place is empty), checks its own handle,
 * schedules two events, and stops the run. */
typedef struct holectx {
    firelog *l;
    rg_evh h[100], self;
    int self_pending, self_cancel;
} holectx;

static void hole_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    holectx *c = ctx;
    log_fire(e, c->l, arg);
    c->self_pending = rg_pending(e, c->self);
    c->self_cancel = rg_cancel(e, c->self);
    for (int i = 0; i < 96; i++)
        rg_cancel(e, c->h[i]);
    rg_after(e, 500, 0, log_fire, c->l, 1000); /* after all: sifts down from the top */
    rg_after(e, 0, 1, log_fire, c->l, 1001);   /* same time, after the pending 999 (prio 0) */
    rg_engine_stop(e);
}

static void test_hole(void)
{
    char buf[512];
    rg_engine *e = rg_engine_new(1, 0, NULL);
    firelog l = {0};
    holectx c = {.l = &l};
    for (int i = 0; i < 100; i++)
        c.h[i] = rg_at(e, 10 + i, 0, log_fire, &l, (uint64_t)(100 + i));
    c.self = rg_at(e, 5, 0, hole_fire, &c, 1);
    rg_at(e, 5, 0, log_fire, &l, 999);
    is_int(RG_RUN_STOPPED, rg_engine_run(e, RG_TIME_MAX, 0), "stop from a callback that schedules");
    ok(!c.self_pending && !c.self_cancel, "the firing event is neither pending nor cancellable");
    is_int(7, (long long)rg_engine_pending(e), "pending after cancels and compaction: 4 + 1 + 2");
    is_int(RG_RUN_EMPTY, rg_engine_run(e, RG_TIME_MAX, 0), "the run continues");
    is_string("1,999,1001,196,197,198,199,1000", log_str(&l, buf, sizeof buf),
              "order kept across a compaction while the firing event's place was empty");
    rg_engine_free(e);

    /* A callback that schedules nothing, one event, or three, in turn. */
    e = rg_engine_new(1, 0, NULL);
    l.n = 0;
    rg_at(e, 3, 0, log_fire, &l, 3);
    rg_at(e, 1, 0, log_fire, &l, 1);
    rg_at(e, 2, 0, log_fire, &l, 2);
    rg_engine_run(e, 1, 0);
    rg_at(e, 2, -1, log_fire, &l, 20);
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_string("1,20,2,3", log_str(&l, buf, sizeof buf), "scheduling between runs");
    rg_engine_free(e);
}

/* ---- programmer errors abort ----------------------------------------------- */

static void nop(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)ctx;
    (void)arg;
}

/* Runs fn in a child and returns true if it died of SIGABRT. */
static bool aborts(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        /* No core file from the expected abort. */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(1);
        fn();
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return false;
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void schedule_in_past(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    rg_at(e, 10, 0, nop, NULL, 0);
    rg_engine_run(e, RG_TIME_MAX, 0);
    rg_at(e, 9, 0, nop, NULL, 0); /* must abort */
    rg_engine_free(e);
}

static void schedule_bad_prio(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    rg_at(e, 10, RG_PRIO_MAX + 1, nop, NULL, 0); /* must abort */
    rg_engine_free(e);
}

static void schedule_negative_delay(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    rg_after(e, -1, 0, nop, NULL, 0); /* must abort */
    rg_engine_free(e);
}

static void test_asserts(void)
{
    ok(aborts(schedule_in_past), "scheduling in the past aborts");
    ok(aborts(schedule_bad_prio), "a priority out of range aborts");
    ok(aborts(schedule_negative_delay), "a negative delay aborts");
}

/* ---- streams ----------------------------------------------------------------- */

static void test_streams(void)
{
    rg_engine *e = rg_engine_new(7, 3, NULL);
    gsl_rng *a = rg_engine_stream(e, "arrivals");
    gsl_rng *s = rg_engine_stream(e, "service");
    ok(a != NULL && s != NULL && a != s, "different names, different streams");
    ok(rg_engine_stream(e, "arrivals") == a, "same name, same stream object");
    is_int(7, (long long)rg_engine_seed(e), "seed kept");
    is_int(3, (long long)rg_engine_rep(e), "rep kept");
    rg_engine_free(e);
    rg_engine_free(NULL);
    ok(1, "rg_engine_free(NULL) is a no-op");
}

/* rg_engine_reset: an engine reused after a replication that left events
 * pending and streams drawn from is the engine rg_engine_new would give. */
static void note_arg(rg_engine *e, void *ctx, uint64_t arg)
{
    uint64_t *log = ctx;
    (void)e;
    log[log[0]++ + 1] = arg;
}

static void reset_trial(rg_engine *e, uint64_t *log, unsigned long *draws)
{
    gsl_rng *a = rg_engine_stream(e, "arrivals");
    draws[0] = gsl_rng_get(a);
    draws[1] = gsl_rng_get(rg_engine_stream(e, "service"));
    for (uint64_t i = 0; i < 20; i++)
        rg_at(e, (rg_time)(gsl_rng_get(a) % 5), (int)(i % 3), note_arg, log, i);
    rg_cancel(e, rg_at(e, 1, 0, note_arg, log, 99));
    rg_engine_run(e, RG_TIME_MAX, 0);
}

static void test_reset(void)
{
    uint64_t log1[32] = {0}, log2[32] = {0};
    unsigned long d1[2], d2[2];
    rg_engine *fresh = rg_engine_new(11, 4, NULL);
    reset_trial(fresh, log1, d1);
    rg_engine *e = rg_engine_new(5, 0, NULL);
    rg_engine_stream(e, "network");
    gsl_rng_get(rg_engine_stream(e, "arrivals"));
    rg_evh old = rg_at(e, 50, 0, note_arg, log2, 1000); /* left pending */
    rg_engine_run(e, 10, 0);
    rg_after(e, RG_TIME_MAX, 0, note_arg, log2, 1001); /* past the end of time */
    rg_engine_reset(e, 11, 4, NULL);
    memset(log2, 0, sizeof log2);
    ok(rg_now(e) == 0 && rg_engine_events(e) == 0 && rg_engine_pending(e) == 0 &&
           rg_engine_seed(e) == 11 && rg_engine_rep(e) == 4 && !rg_engine_past_end(e),
       "reset: time 0, nothing pending, not past the end, the new seed and replication");
    bool old_gone = !rg_pending(e, old) && !rg_cancel(e, old);
    reset_trial(e, log2, d2);
    ok(old_gone && !rg_pending(e, old) && !rg_cancel(e, old),
       "reset: a handle of the old replication names no event of the new one");
    ok(d1[0] == d2[0] && d1[1] == d2[1], "reset: the streams draw as new ones would");
    ok(memcmp(log1, log2, sizeof log1) == 0 && rg_engine_events(e) == rg_engine_events(fresh),
       "reset: the same events in the same order");
    rg_engine_free(fresh);
    rg_engine_free(e);
}

/* ---- randomized comparison with a reference model ------------------------- */

/* The reference: the pending events as an array sorted by (t, prio, seq).
 * Cancelled entries are removed at once, so the head is the next to fire. */
typedef struct rkey {
    rg_time t;
    int prio;
    uint64_t seq; /* insertion number == event id */
} rkey;

typedef struct ref {
    rkey *a;
    size_t n, cap;
} ref;

static int rkey_cmp(const rkey *x, const rkey *y)
{
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->prio != y->prio)
        return x->prio < y->prio ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

/* Index of the first element not less than k. */
static size_t ref_lower(const ref *r, const rkey *k)
{
    size_t lo = 0, hi = r->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rkey_cmp(&r->a[mid], k) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void ref_insert(ref *r, rkey k)
{
    rg_xgrow((void **)&r->a, &r->cap, r->n + 1, sizeof *r->a);
    size_t i = ref_lower(r, &k);
    memmove(&r->a[i + 1], &r->a[i], (r->n - i) * sizeof *r->a);
    r->a[i] = k;
    r->n++;
}

static bool ref_remove(ref *r, const rkey *k)
{
    size_t i = ref_lower(r, k);
    if (i >= r->n || rkey_cmp(&r->a[i], k) != 0)
        return false;
    memmove(&r->a[i], &r->a[i + 1], (r->n - i - 1) * sizeof *r->a);
    r->n--;
    return true;
}

enum { ST_PENDING, ST_FIRED, ST_CANCELLED };

typedef struct fuzz {
    rg_engine *e;
    gsl_rng *r;
    ref ref;
    rkey *keys;        /* by id */
    rg_evh *h;         /* by id */
    unsigned char *st; /* by id */
    size_t nids, capids;
    uint64_t *live; /* ids believed pending, for picking a random one */
    size_t nlive, caplive;
    size_t *live_pos; /* by id: index in live[] */
    /* what the last run fired */
    uint64_t fired_id;
    rg_time fired_at;
    int fired_count;
    /* mismatches */
    uint64_t bad_order, bad_time, bad_status, bad_pending, bad_cancel, bad_stale, bad_rc;
    uint64_t pushes, cancels, stale, pops, nested, nested_cancels, stops;
    bool stopped;           /* the last callback called rg_engine_stop */
    bool fired_was_pending; /* the last callback's event was pending */
    size_t max_pending;
} fuzz;

static void fuzz_fire(rg_engine *e, void *ctx, uint64_t arg);
static void fuzz_cancel(fuzz *f);

static void live_add(fuzz *f, uint64_t id)
{
    rg_xgrow((void **)&f->live, &f->caplive, f->nlive + 1, sizeof *f->live);
    f->live_pos[id] = f->nlive;
    f->live[f->nlive++] = id;
}

static void live_del(fuzz *f, uint64_t id)
{
    size_t i = f->live_pos[id];
    uint64_t last = f->live[--f->nlive];
    f->live[i] = last;
    f->live_pos[last] = i;
}

/* Schedules a random event at now + d and mirrors it in the reference. */
static void fuzz_push(fuzz *f)
{
    size_t id = f->nids;
    if (f->nids == f->capids) {
        size_t nc = f->capids ? f->capids * 2 : 1024;
        f->keys = rg_xrealloc(f->keys, nc * sizeof *f->keys);
        f->h = rg_xrealloc(f->h, nc * sizeof *f->h);
        f->st = rg_xrealloc(f->st, nc * sizeof *f->st);
        f->live_pos = rg_xrealloc(f->live_pos, nc * sizeof *f->live_pos);
        f->capids = nc;
    }
    f->nids++;
    rg_time now = rg_now(f->e);
    /* Small ranges make ties in time and priority common. */
    unsigned long u = gsl_rng_uniform_int(f->r, 10);
    rg_time dt = u < 2   ? 0
                 : u < 8 ? (rg_time)gsl_rng_uniform_int(f->r, 50)
                         : (rg_time)gsl_rng_uniform_int(f->r, 1000000);
    int prio;
    unsigned long p = gsl_rng_uniform_int(f->r, 20);
    if (p == 0)
        prio = RG_PRIO_MIN;
    else if (p == 1)
        prio = RG_PRIO_MAX;
    else
        prio = (int)gsl_rng_uniform_int(f->r, 7) - 3;
    rkey k = {now + dt, prio, id};
    f->keys[id] = k;
    f->st[id] = ST_PENDING;
    f->h[id] = rg_at(f->e, k.t, prio, fuzz_fire, f, id);
    ref_insert(&f->ref, k);
    live_add(f, id);
    f->pushes++;
    if (f->ref.n > f->max_pending)
        f->max_pending = f->ref.n;
}

static void fuzz_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    fuzz *f = ctx;
    f->fired_id = arg;
    f->fired_at = rg_now(e);
    f->fired_count++;
    /* The firing event stops pending at once, although its place in the
     * queue waits for what the callback schedules. */
    f->fired_was_pending = arg < f->nids && f->st[arg] == ST_PENDING;
    if (f->fired_was_pending) {
        if (rg_pending(e, f->h[arg]) || rg_cancel(e, f->h[arg]))
            f->bad_status++;
        f->st[arg] = ST_FIRED;
        live_del(f, arg);
    }
    /* Schedule nothing, one event or two from inside the callback;
     * sometimes cancel pending events (and so compact the queue while the
     * firing event's place is empty), sometimes stop the run. */
    unsigned long u = gsl_rng_uniform_int(f->r, 64);
    for (unsigned long k = 0; k < (u < 12 ? 1 : u < 20 ? 2 : 0); k++) {
        fuzz_push(f);
        f->nested++;
    }
    if (u >= 20 && u <= 24) {
        int burst = u == 24 && gsl_rng_uniform_int(f->r, 8) == 0 ? 40 : 1;
        for (int k = 0; k < burst; k++)
            fuzz_cancel(f);
        f->nested_cancels++;
    }
    if (u >= 24 && u <= 26) {
        rg_engine_stop(e);
        f->stopped = true;
        f->stops++;
    }
}

static void fuzz_pop(fuzz *f)
{
    bool expect_fire = f->ref.n > 0;
    rkey want = expect_fire ? f->ref.a[0] : (rkey){0, 0, 0};
    if (expect_fire) {
        /* The callback may push; remove the head before running. */
        memmove(&f->ref.a[0], &f->ref.a[1], (f->ref.n - 1) * sizeof *f->ref.a);
        f->ref.n--;
    }
    f->fired_count = 0;
    f->stopped = false;
    rg_runstop rc = rg_engine_run(f->e, RG_TIME_MAX, 1);
    f->pops++;
    if (!expect_fire) {
        if (f->fired_count != 0 || rc != RG_RUN_EMPTY)
            f->bad_rc++;
        return;
    }
    if (f->fired_count != 1) {
        f->bad_order++;
        return;
    }
    if (f->fired_id != want.seq) {
        if (f->bad_order < 5)
            diag("pop %llu: fired id %llu (t %lld), reference says id %llu (t %lld prio %d)",
                 (unsigned long long)f->pops, (unsigned long long)f->fired_id,
                 (long long)f->fired_at, (unsigned long long)want.seq, (long long)want.t,
                 want.prio);
        f->bad_order++;
        /* Resynchronise the reference so one error does not cascade. */
        if (f->fired_was_pending) {
            ref_insert(&f->ref, want);
            ref_remove(&f->ref, &f->keys[f->fired_id]);
            want = f->keys[f->fired_id];
        }
    }
    if (f->fired_at != want.t || rg_now(f->e) != want.t)
        f->bad_time++;
    if (!f->fired_was_pending) {
        f->bad_status++;
        return;
    }
    if (rg_pending(f->e, f->h[f->fired_id]))
        f->bad_status++;
    rg_runstop wrc = f->stopped ? RG_RUN_STOPPED : f->ref.n > 0 ? RG_RUN_BUDGET : RG_RUN_EMPTY;
    if (rc != wrc)
        f->bad_rc++;
}

static void fuzz_cancel(fuzz *f)
{
    if (f->nlive == 0)
        return;
    uint64_t id = f->live[gsl_rng_uniform_int(f->r, f->nlive)];
    bool was = rg_pending(f->e, f->h[id]);
    bool rc = rg_cancel(f->e, f->h[id]);
    if (!was || !rc)
        f->bad_cancel++;
    if (rg_pending(f->e, f->h[id]))
        f->bad_cancel++;
    if (!ref_remove(&f->ref, &f->keys[id]))
        f->bad_cancel++;
    f->st[id] = ST_CANCELLED;
    live_del(f, id);
    f->cancels++;
}

/* Cancels a fired or cancelled event through its stale handle: must be a
 * no-op even if the slot now holds another event. */
static void fuzz_stale(fuzz *f)
{
    if (f->nids == 0)
        return;
    uint64_t id = gsl_rng_uniform_int(f->r, f->nids);
    if (f->st[id] == ST_PENDING)
        return;
    if (rg_pending(f->e, f->h[id]) || rg_cancel(f->e, f->h[id]))
        f->bad_stale++;
    f->stale++;
}

static void test_random(void)
{
    fuzz f;
    memset(&f, 0, sizeof f);
    f.e = rg_engine_new(1, 0, NULL);
    f.r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(f.r, 20261123);
    const size_t ops = 150000, block = 5000;
    for (size_t i = 0; i < ops; i++) {
        /* Alternate growing and draining phases so the heap gets deep and
         * then empties (exercising sift-down over many levels). */
        bool grow = (i / block) % 2 == 0;
        double u = gsl_rng_uniform(f.r);
        double p_push = grow ? 0.60 : 0.25, p_cancel = 0.12, p_stale = 0.05;
        if (u < p_push)
            fuzz_push(&f);
        else if (u < p_push + p_cancel)
            fuzz_cancel(&f);
        else if (u < p_push + p_cancel + p_stale)
            fuzz_stale(&f);
        else
            fuzz_pop(&f);
        if (rg_engine_pending(f.e) != f.ref.n)
            f.bad_pending++;
    }
    /* Drain what is left, still one event at a time. */
    while (f.ref.n > 0)
        fuzz_pop(&f);
    fuzz_pop(&f); /* on an empty engine */

    diag("random: %zu ops: %llu pushes (%llu from callbacks), %llu cancels (from %llu "
         "callbacks), %llu stale cancels, %llu pops (%llu stopping the run), max %zu pending",
         ops, (unsigned long long)f.pushes, (unsigned long long)f.nested,
         (unsigned long long)f.cancels, (unsigned long long)f.nested_cancels,
         (unsigned long long)f.stale, (unsigned long long)f.pops, (unsigned long long)f.stops,
         f.max_pending);
    ok(f.pushes + f.cancels + f.stale + f.pops >= 100000 && f.max_pending >= 1000,
       "random test ran >= 100,000 operations with >= 1000 pending at once");
    is_int(0, (long long)f.bad_order, "fire order equals the reference (t, prio, seq) order");
    is_int(0, (long long)f.bad_time, "clock equals the fired event's time");
    is_int(0, (long long)f.bad_status, "only pending events fire, and fired ones stop pending");
    is_int(0, (long long)f.bad_pending, "rg_engine_pending equals the reference size");
    is_int(0, (long long)f.bad_cancel, "cancelling a pending event succeeds exactly once");
    is_int(0, (long long)f.bad_stale, "stale handles neither pend nor cancel");
    is_int(0, (long long)f.bad_rc,
           "rg_engine_run returns STOPPED if asked, else BUDGET while events remain, then EMPTY");
    uint64_t fired = 0;
    for (size_t i = 0; i < f.nids; i++)
        fired += f.st[i] == ST_FIRED;
    is_int((long long)fired, (long long)rg_engine_events(f.e),
           "events counter equals the events fired");
    is_int((long long)f.pushes, (long long)(fired + f.cancels),
           "every event either fired or was cancelled");

    rg_engine_free(f.e);
    gsl_rng_free(f.r);
    free(f.ref.a);
    free(f.keys);
    free(f.h);
    free(f.st);
    free(f.live);
    free(f.live_pos);
}

/* ---- lanes --------------------------------------------------------------- */

static void test_lanes(void)
{
    rg_engine *e = rg_engine_new(1, 0, NULL);
    firelog l = {0};
    char buf[512];
    rg_lane *a = rg_lane_new(e, RG_PRIO_DEFAULT, log_fire);
    /* At t = 10 in the order set: a plain event, lane timer 1, another
     * plain event, lane timer 2 (cancelled), lane timer 3. */
    rg_at(e, 10, RG_PRIO_DEFAULT, log_fire, &l, 100);
    uint64_t t1 = rg_lane_after(a, 10, &l, 1);
    rg_at(e, 10, RG_PRIO_DEFAULT, log_fire, &l, 101);
    uint64_t t2 = rg_lane_after(a, 10, &l, 2);
    uint64_t t3 = rg_lane_after(a, 10, &l, 3);
    ok(t1 != 0 && t2 == t1 + 1 && t3 == t2 + 1, "lane timer ids count up from 1");
    is_int(5, (long long)rg_engine_pending(e), "pending counts the lane's timers");
    ok(rg_lane_cancel(a, t2) && !rg_lane_cancel(a, t2) && !rg_lane_pending(a, t2),
       "a lane timer is cancelled once");
    ok(!rg_lane_cancel(a, 0) && !rg_lane_cancel(a, t3 + 1), "ids 0 and not yet given name nothing");
    is_int(4, (long long)rg_engine_pending(e), "pending after the cancel");
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_string("100,1,101,3", log_str(&l, buf, sizeof buf),
              "lane timers fire in their place among events of the same time");
    ok(!rg_lane_pending(a, t1) && !rg_lane_cancel(a, t1), "a fired timer is no longer pending");
    is_int(4, (long long)rg_engine_events(e), "each timer that fired is one event");

    /* Cancelling the first timer hands the heap entry to the next one. */
    l.n = 0;
    uint64_t u1 = rg_lane_after(a, 5, &l, 1);
    uint64_t u2 = rg_lane_after(a, 5, &l, 2);
    rg_at(e, rg_now(e) + 5, RG_PRIO_DEFAULT, log_fire, &l, 100);
    uint64_t u3 = rg_lane_after(a, 7, &l, 3);
    ok(rg_lane_cancel(a, u1), "the first timer cancelled");
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_string("2,100,3", log_str(&l, buf, sizeof buf), "the next timer keeps its own place");
    (void)u2;
    (void)u3;

    /* Freed with timers pending: their events are gone. */
    l.n = 0;
    rg_lane *b = rg_lane_new(e, -1, log_fire);
    rg_lane_after(b, 3, &l, 7);
    rg_lane_after(b, 4, &l, 8);
    rg_lane_free(b);
    is_int(0, (long long)rg_engine_pending(e), "a freed lane leaves nothing pending");
    rg_engine_run(e, RG_TIME_MAX, 0);
    is_int(0, (long long)l.n, "and nothing fires");

    /* Timers cancelled behind a first one still waiting count for
     * nothing: 20,000 of them (more than the renumbering build's 8,192
     * events pending at once) while sequences run out. */
    {
        rg_engine *e2 = rg_engine_new(1, 0, NULL);
        firelog l2 = {0};
        rg_lane *c = rg_lane_new(e2, RG_PRIO_DEFAULT, log_fire);
        rg_lane_after(c, 1000000, &l2, 1);
        for (int i = 0; i < 20000; i++)
            rg_lane_cancel(c, rg_lane_after(c, 1000000, &l2, 2));
        rg_lane_after(c, 1000000, &l2, 3);
        is_int(2, (long long)rg_engine_pending(e2),
               "cancelled timers behind the first are not pending");
        rg_engine_run(e2, RG_TIME_MAX, 0);
        is_string("1,3", log_str(&l2, buf, sizeof buf), "and never fire");
        rg_lane_free(c);
        rg_engine_free(e2);
    }

    /* Reset detaches a lane; freeing it later only frees its memory. */
    rg_lane_after(a, 1, &l, 9);
    rg_engine_reset(e, 1, 1, NULL);
    is_int(0, (long long)rg_engine_pending(e), "reset leaves no lane timer pending");
    rg_lane_free(a);
    rg_engine_free(e);
}

/* The same random program run twice, once with lane timers and once with
 * one rg_after per timer; the fire logs must be equal, ties included
 * (times are small integers, so ties are common).  Three lanes with a
 * constant delay each (two share a priority, one differs), plain events at
 * every priority, cancels of timers and events, and timers set, cancelled
 * and fired from callbacks.  In tests/engine-renum-t the sequences run out
 * every 2^14 events, so this also renumbers with timers waiting in lanes. */
#define LW_LANES 3
#define LW_MAXT 3000

typedef struct lworld {
    rg_engine *e;
    bool lanes;
    rg_lane *lane[LW_LANES];
    uint64_t lcg;
    uint64_t left;        /* actions still to take */
    uint64_t id[LW_MAXT]; /* a timer: lane id, or handle packed */
    rg_evh h[LW_MAXT];
    int which[LW_MAXT]; /* its lane, or -1 */
    size_t ntimers;
    uint64_t *log;
    size_t nlog, caplog;
    uint64_t events;
} lworld;

static const rg_time lw_delay[LW_LANES] = {3, 3, 0};
static const int lw_prio[LW_LANES] = {0, 0, -1};

static uint32_t lw_rand(lworld *w, uint32_t n)
{
    w->lcg = w->lcg * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((w->lcg >> 33) % n);
}

static void lw_record(lworld *w, uint64_t what)
{
    if (w->nlog == w->caplog) {
        w->caplog = w->caplog ? 2 * w->caplog : 1024;
        w->log = realloc(w->log, w->caplog * sizeof *w->log);
        if (w->log == NULL)
            abort();
    }
    w->log[w->nlog++] = what ^ ((uint64_t)rg_now(w->e) << 32);
}

static void lw_act(lworld *w);

static void lw_timer(rg_engine *e, void *ctx, uint64_t arg)
{
    lworld *w = ctx;
    (void)e;
    lw_record(w, arg);
    lw_act(w);
}

static void lw_plain(rg_engine *e, void *ctx, uint64_t arg)
{
    lworld *w = ctx;
    (void)e;
    lw_record(w, arg | (UINT64_C(1) << 31));
    lw_act(w);
}

/* One to three random actions. */
static void lw_act(lworld *w)
{
    for (uint32_t k = lw_rand(w, 3) + 1; k > 0 && w->left > 0; k--, w->left--) {
        uint32_t u = lw_rand(w, 100);
        /* At most about 2,000 pending (the renumbering build allows
         * 8,192): past that, only cancels. */
        if (rg_engine_pending(w->e) > 2000)
            u = 40 + u % 20;
        if (u < 40) {
            /* Records are reused round the ring: a cancel through an old
             * one names a timer long fired, in both runs. */
            int q = (int)lw_rand(w, LW_LANES);
            size_t i = w->ntimers++ % LW_MAXT;
            w->which[i] = q;
            if (w->lanes)
                w->id[i] = rg_lane_after(w->lane[q], lw_delay[q], w, i);
            else
                w->h[i] = rg_after(w->e, lw_delay[q], lw_prio[q], lw_timer, w, i);
        } else if (u < 60 && w->ntimers > 0) {
            size_t i = lw_rand(w, (uint32_t)(w->ntimers < LW_MAXT ? w->ntimers : LW_MAXT));
            bool was = w->lanes ? rg_lane_cancel(w->lane[w->which[i]], w->id[i])
                                : rg_cancel(w->e, w->h[i]);
            lw_record(w, (uint64_t)was << 30 | i);
        } else if (u < 95) {
            rg_after(w->e, lw_rand(w, 5), (int)lw_rand(w, 3) - 1, lw_plain, w, lw_rand(w, 1000));
        } else {
            lw_record(w, rg_engine_pending(w->e) << 40);
        }
    }
    /* Keep something scheduled while actions are left. */
    if (w->left > 0 && rg_engine_pending(w->e) == 0)
        rg_after(w->e, 1, 0, lw_plain, w, 7);
}

static void lw_run(lworld *w, bool lanes, uint64_t actions)
{
    memset(w, 0, sizeof *w);
    w->e = rg_engine_new(1, 0, NULL);
    w->lanes = lanes;
    w->lcg = 20261203;
    w->left = actions;
    for (int q = 0; q < LW_LANES; q++)
        w->lane[q] = rg_lane_new(w->e, lw_prio[q], lw_timer);
    /* Timers whose slots get reused: rg_cancel by a stale handle. */
    for (size_t i = 0; i < LW_MAXT; i++)
        w->h[i] = (rg_evh){0, 0};
    rg_after(w->e, 0, 0, lw_plain, w, 0);
    rg_engine_run(w->e, RG_TIME_MAX, 0);
    w->events = rg_engine_events(w->e);
    lw_record(w, w->events);
    for (int q = 0; q < LW_LANES; q++)
        rg_lane_free(w->lane[q]);
    rg_engine_free(w->e);
}

static void test_lanes_random(void)
{
    static lworld a, b;
    const uint64_t actions = 150000;
    lw_run(&a, true, actions);
    lw_run(&b, false, actions);
    size_t first = 0;
    while (first < a.nlog && first < b.nlog && a.log[first] == b.log[first])
        first++;
    diag("lanes: %zu records, %zu timers set, %llu events", a.nlog, a.ntimers,
         (unsigned long long)a.events);
    /* 2^16 events: the renumbering build runs out of sequences 4 times. */
    ok(a.ntimers >= 10000 && a.events >= 65536, "the random program set >= 10,000 timers");
    ok(a.nlog == b.nlog && first == a.nlog,
       "lane timers fire exactly as one event per timer (first difference at %zu of %zu)", first,
       a.nlog);
    free(a.log);
    free(b.log);
}

/* ---- rg_lane_warm ------------------------------------------------------ */

#define LWARM_N 300

typedef struct lwarm {
    uint64_t fired[LWARM_N];
    size_t nfired;
    uint64_t warmed[LWARM_N]; /* the timer warmed ... */
    size_t warm_at[LWARM_N];  /* ... when this many had fired */
    size_t nwarm;
} lwarm;

static void lwarm_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    lwarm *w = ctx;
    (void)e;
    if (w->nfired < LWARM_N)
        w->fired[w->nfired++] = arg;
}

static void lwarm_hook(const void *ctx, uint64_t arg)
{
    lwarm *w = (lwarm *)(uintptr_t)ctx;
    if (w->nwarm < LWARM_N) {
        w->warmed[w->nwarm] = arg;
        w->warm_at[w->nwarm++] = w->nfired;
    }
}

/* LWARM_N timers in one lane, one every ms, every seventh cancelled. */
static void lwarm_run(lwarm *w, bool warm)
{
    memset(w, 0, sizeof *w);
    rg_engine *e = rg_engine_new(1, 0, NULL);
    rg_lane *l = rg_lane_new(e, 0, lwarm_fire);
    if (warm)
        rg_lane_warm(l, lwarm_hook);
    uint64_t id[LWARM_N];
    for (uint64_t i = 0; i < LWARM_N; i++)
        id[i] = rg_lane_at(l, (rg_time)(i + 1) * RG_MS, w, i);
    for (uint64_t i = 3; i < LWARM_N; i += 7)
        rg_lane_cancel(l, id[i]);
    rg_engine_run(e, RG_TIME_MAX, 0);
    rg_lane_free(l);
    rg_engine_free(e);
}

static void test_lane_warm(void)
{
    static lwarm a, b;
    lwarm_run(&a, true);
    lwarm_run(&b, false);
    ok(a.nfired == b.nfired && memcmp(a.fired, b.fired, a.nfired * sizeof a.fired[0]) == 0,
       "rg_lane_warm changes no firing");
    /* Each call names the live timer that fires next, as the one before
     * it fires; none is for a cancelled timer. */
    bool next = true;
    for (size_t k = 0; k < a.nwarm; k++)
        next = next && a.warmed[k] % 7 != 3 && a.warm_at[k] + 1 < a.nfired &&
               a.fired[a.warm_at[k] + 1] == a.warmed[k];
    ok(next, "the hook is called with the next live timer, as the one before it fires");
    /* While more than 64 timers wait (about the first 230 of 300), each
     * firing warms the next; not in the short queue at the end. */
    ok(a.nwarm > 150 && a.nwarm < a.nfired - 40, "... while the lane is long (%zu of %zu)", a.nwarm,
       a.nfired);
}

int main(void)
{
    plan(7 + 2 + 1 + 1 + 1 + 18 + 20 + 5 + 6 + 3 + 5 + 4 + 10 + 15 + 2 + 3);
    test_time_order();
    test_ties();
    test_fifo_large();
    test_fifo_waves();
    test_big_heap();
    test_cancel();
    test_run_limits();
    test_callbacks();
    test_hole();
    test_asserts();
    test_streams();
    test_reset();
    test_random();
    test_lanes();
    test_lanes_random();
    test_lane_warm();
    return 0;
}
