/*
 * engine-bench: raw speed of the event engine on an M/M/1 queue at rho = 0.9
 * (mean interarrival 1/0.9 s, mean service 1 s), 10 million customers by
 * default, two events per customer (arrival and departure), samples from
 * GSL's MT19937 through the engine's named streams.
 *
 * Three measurements, printed as plain lines (bench/README.md explains them):
 *   1. rg_queue_sim (the validation model, with its FIFO of arrival times,
 *      wait accounting and distribution objects) on one thread;
 *   2. a minimal dedicated loop on rg_engine (two callbacks, a queue counter,
 *      gsl_ran_exponential), to show how much of (1) is the engine and how
 *      much is the model's bookkeeping; then the same queue on a bare 4-ary
 *      heap with no engine at all (same streams, same W), and the ratio of
 *      (1) and (2) to it: what the engine's handles, cancellation and
 *      checks cost;
 *   3. rg_queue_sim replicated on rg_ncores() threads, each with its own
 *      engine and replication index (weak scaling: every thread simulates the
 *      full customer count), and the scaling factor against (1);
 *   4. the same scaling for a CPU-bound loop that touches no memory (the
 *      machine's own ceiling: on a shared or throttled virtual machine two
 *      "cores" may not give twice the work, whatever the program does).
 * Then the peak resident memory of the process.
 *
 * Wall-clock time is used here, and only here: it measures the program, it
 * never feeds the simulation.  Never run as a test (timings depend on the
 * machine and its load).
 *
 * Usage: engine-bench [CUSTOMERS]
 */
#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_randist.h>

#include "sim/engine/engine.h"
#include "models/queue/queue.h"
#include "sim/engine/rstream.h"
#include "sim/run/runner.h"

#define SEED 20261123
#define MEAN_IA_NS (1e9 / 0.9)
#define MEAN_SVC_NS 1e9
#define THEORY_WQ_S 9.0 /* rho / (mu - lambda) = 0.9 / 0.1 */
#define ROUNDS 5        /* one-thread measurements: the fastest of 5 */

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the calling thread: what the one-thread measurements use, so
 * that time the thread spends descheduled (a shared machine) is not
 * counted.  Cache and memory contention from other processes still is,
 * hence the repeated rounds (main). */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- 1 and 3: rg_queue_sim ------------------------------------------------ */

typedef struct qjob {
    uint64_t rep;
    int64_t customers;
    const rg_dist *arrival, *service;
    /* results */
    uint64_t events;
    double wq, seconds, wall_seconds; /* seconds: the thread's CPU time */
} qjob;

static void *qjob_run(void *p)
{
    qjob *j = p;
    double t0 = cpu(), w0 = wall();
    rg_engine *e = rg_engine_new(SEED, j->rep, NULL);
    rg_queue_sim *q = rg_queue_sim_new(e, 1, j->arrival, j->service, 0, j->customers);
    rg_engine_run(e, RG_TIME_MAX, 0);
    rg_queue_result r;
    rg_queue_sim_result(q, &r);
    j->events = rg_engine_events(e);
    j->wq = r.wait_mean;
    rg_queue_sim_free(q);
    rg_engine_free(e);
    j->seconds = cpu() - t0;
    j->wall_seconds = wall() - w0;
    return NULL;
}

/* ---- 2: a minimal M/M/1 on the engine ------------------------------------ */

typedef struct mm1 {
    gsl_rng *ra, *rs;
    int64_t to_arrive; /* arrivals still to generate */
    int64_t waiting;
    int busy;
    rg_time last; /* time of the last change of `waiting` */
    double area;  /* integral of the number waiting, ns */
    int64_t arrived;
} mm1;

static rg_time draw(gsl_rng *r, double mean)
{
    return (rg_time)(gsl_ran_exponential(r, mean) + 0.5);
}

static void mm1_departure(rg_engine *e, void *ctx, uint64_t arg);

static void mm1_arrival(rg_engine *e, void *ctx, uint64_t arg)
{
    mm1 *m = ctx;
    (void)arg;
    rg_time now = rg_now(e);
    m->area += (double)m->waiting * (double)(now - m->last);
    m->last = now;
    m->arrived++;
    if (--m->to_arrive > 0)
        rg_after(e, draw(m->ra, MEAN_IA_NS), RG_PRIO_DEFAULT, mm1_arrival, m, 0);
    if (m->busy) {
        m->waiting++;
    } else {
        m->busy = 1;
        rg_after(e, draw(m->rs, MEAN_SVC_NS), RG_PRIO_DEFAULT, mm1_departure, m, 0);
    }
}

static void mm1_departure(rg_engine *e, void *ctx, uint64_t arg)
{
    mm1 *m = ctx;
    (void)arg;
    rg_time now = rg_now(e);
    m->area += (double)m->waiting * (double)(now - m->last);
    m->last = now;
    if (m->waiting > 0) {
        m->waiting--;
        rg_after(e, draw(m->rs, MEAN_SVC_NS), RG_PRIO_DEFAULT, mm1_departure, m, 0);
    } else {
        m->busy = 0;
    }
}

/* Runs the minimal loop; returns events, fills the mean wait (Little:
 * area / customers) and the time taken. */
__attribute__((noinline)) static uint64_t run_minimal(int64_t customers, double *wq,
                                                      double *seconds)
{
    double t0 = cpu();
    rg_engine *e = rg_engine_new(SEED, 0, NULL);
    mm1 m;
    memset(&m, 0, sizeof m);
    m.ra = rg_engine_stream(e, "arrivals");
    m.rs = rg_engine_stream(e, "service");
    m.to_arrive = customers;
    rg_after(e, draw(m.ra, MEAN_IA_NS), RG_PRIO_DEFAULT, mm1_arrival, &m, 0);
    rg_engine_run(e, RG_TIME_MAX, 0);
    uint64_t ev = rg_engine_events(e);
    *wq = m.area / (double)m.arrived * 1e-9;
    rg_engine_free(e);
    *seconds = cpu() - t0;
    return ev;
}

/* ---- 2b: a bare 4-ary heap, no engine ----------------------------------- */

/* The same M/M/1 on a dedicated 4-ary min-heap of 16-byte entries (time,
 * then insertion sequence with the event's kind in the low bit): no
 * handles, no cancellation, no callbacks, no assertions.  Same streams,
 * same rounding and the same tie order as the engine (time, then first
 * scheduled), so it prints the same W: the floor for an event queue, and
 * the yardstick for the engine's overhead. */
typedef struct bent {
    int64_t t;
    uint64_t key; /* seq << 1 | (1: departure) */
} bent;

typedef struct bheap {
    bent *h;
    size_t n, cap;
    uint64_t seq;
} bheap;

__extension__ typedef unsigned __int128 bu128;

static inline bool bbefore(const bent *a, const bent *b)
{
    return (((bu128)(uint64_t)a->t << 64) | a->key) < (((bu128)(uint64_t)b->t << 64) | b->key);
}

static void bpush(bheap *q, int64_t t, int departure)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? 2 * q->cap : 256;
        q->h = realloc(q->h, q->cap * sizeof *q->h);
        if (q->h == NULL)
            abort();
    }
    bent x = {t, q->seq++ << 1 | (uint64_t)departure};
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!bbefore(&x, &q->h[p]))
            break;
        q->h[i] = q->h[p];
        i = p;
    }
    q->h[i] = x;
}

static bent bpop(bheap *q)
{
    bent top = q->h[0], x = q->h[--q->n];
    size_t i = 0, n = q->n;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t best = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (bbefore(&q->h[k], &q->h[best]))
                best = k;
        if (!bbefore(&q->h[best], &x))
            break;
        q->h[i] = q->h[best];
        i = best;
    }
    if (n > 0)
        q->h[i] = x;
    return top;
}

/* Runs the bare-heap M/M/1; returns events, fills W and the time taken. */
__attribute__((noinline)) static uint64_t run_bare(int64_t customers, double *wq, double *seconds)
{
    double t0 = cpu();
    gsl_rng *ra = rg_stream_new(gsl_rng_mt19937, SEED, 0, "arrivals");
    gsl_rng *rs = rg_stream_new(gsl_rng_mt19937, SEED, 0, "service");
    bheap q = {0};
    int64_t to_arrive = customers, waiting = 0, arrived = 0;
    int busy = 0;
    int64_t last = 0;
    double area = 0;
    uint64_t ev = 0;
    bpush(&q, draw(ra, MEAN_IA_NS), 0);
    while (q.n > 0) {
        bent b = bpop(&q);
        int64_t now = b.t;
        ev++;
        area += (double)waiting * (double)(now - last);
        last = now;
        if ((b.key & 1) == 0) { /* arrival */
            arrived++;
            if (--to_arrive > 0)
                bpush(&q, now + draw(ra, MEAN_IA_NS), 0);
            if (busy) {
                waiting++;
            } else {
                busy = 1;
                bpush(&q, now + draw(rs, MEAN_SVC_NS), 1);
            }
        } else if (waiting > 0) {
            waiting--;
            bpush(&q, now + draw(rs, MEAN_SVC_NS), 1);
        } else {
            busy = 0;
        }
    }
    *wq = area / (double)arrived * 1e-9;
    free(q.h);
    gsl_rng_free(ra);
    gsl_rng_free(rs);
    *seconds = cpu() - t0;
    return ev;
}

/* ---- 5: the hold model, pending events from 100 to a million ------------- */

/* The classic "hold" benchmark of event queues: n events pending; each one
 * that fires schedules one more at now + exp(mean 1 s).  The queue stays
 * at n, so the cost per event shows how the queue grows with its size
 * (cache misses once the heap outgrows the caches), apart from any model.
 * Run on the engine and on the bare heap, with the same stream. */
typedef struct hold {
    gsl_rng *r;
    uint64_t left; /* events still to schedule */
} hold;

static void hold_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    hold *h = ctx;
    (void)arg;
    if (h->left > 0) {
        h->left--;
        rg_after(e, draw(h->r, MEAN_SVC_NS), RG_PRIO_DEFAULT, hold_fire, h, 0);
    }
}

/* ns per event on the engine (bare: on the bare heap) with n pending. */
__attribute__((noinline)) static double run_hold(size_t n, uint64_t events, bool bare)
{
    gsl_rng *r = rg_stream_new(gsl_rng_mt19937, SEED, 0, "hold");
    double t0 = 0, fired = 0;
    if (bare) {
        bheap q = {0};
        for (size_t i = 0; i < n; i++)
            bpush(&q, draw(r, MEAN_SVC_NS), 0);
        t0 = cpu();
        for (uint64_t i = 0; i < events; i++) {
            bent b = bpop(&q);
            bpush(&q, b.t + draw(r, MEAN_SVC_NS), 0);
        }
        fired = (double)events;
        free(q.h);
    } else {
        rg_engine *e = rg_engine_new(SEED, 0, NULL);
        hold h = {r, events};
        for (size_t i = 0; i < n; i++)
            rg_at(e, draw(r, MEAN_SVC_NS), RG_PRIO_DEFAULT, hold_fire, &h, 0);
        t0 = cpu();
        rg_engine_run(e, RG_TIME_MAX, events);
        fired = (double)rg_engine_events(e);
        rg_engine_free(e);
    }
    double ns = (cpu() - t0) / fired * 1e9;
    gsl_rng_free(r);
    return ns;
}

/* ---- 6: timeouts, one event each or in a lane ------------------------------- */

/* K waiters, each with a timeout of the same length T: a pool that cannot
 * serve its crowd.  Each timeout that fires lets a new waiter join with
 * its own (so K stay waiting).  With one event per timeout the heap holds
 * K entries; in a lane (engine.h) it holds one, and the events are the
 * same, in the same order. */
#define TIMEOUT_NS 5000000000LL

typedef struct tmo {
    rg_lane *lane; /* NULL: one event per timeout */
    uint64_t left;
} tmo;

static void tmo_fire(rg_engine *e, void *ctx, uint64_t arg)
{
    tmo *w = ctx;
    (void)arg;
    if (w->left == 0)
        return;
    w->left--;
    if (w->lane != NULL)
        rg_lane_after(w->lane, TIMEOUT_NS, w, 0);
    else
        rg_after(e, TIMEOUT_NS, RG_PRIO_DEFAULT, tmo_fire, w, 0);
}

/* ns per event with k waiting, in a lane or not. */
__attribute__((noinline)) static double run_timeouts(size_t k, uint64_t events, bool lane)
{
    rg_engine *e = rg_engine_new(SEED, 0, NULL);
    tmo w = {lane ? rg_lane_new(e, RG_PRIO_DEFAULT, tmo_fire) : NULL, events};
    for (size_t i = 0; i < k; i++) {
        rg_time t = (rg_time)((double)TIMEOUT_NS * (double)i / (double)k);
        if (lane)
            rg_lane_at(w.lane, t, &w, 0);
        else
            rg_at(e, t, RG_PRIO_DEFAULT, tmo_fire, &w, 0);
    }
    double t0 = cpu();
    rg_engine_run(e, RG_TIME_MAX, events);
    double ns = (cpu() - t0) / (double)rg_engine_events(e) * 1e9;
    rg_lane_free(w.lane);
    rg_engine_free(e);
    return ns;
}

/* ---- 4: the machine's ceiling ------------------------------------------------ */

typedef struct spin {
    uint64_t n, out;
    double seconds;
} spin;

static void *spin_run(void *p)
{
    spin *s = p;
    double t0 = wall();
    uint64_t x = s->n;
    for (uint64_t i = 0; i < s->n; i++)
        x = rg_splitmix64(x);
    s->out = x;
    s->seconds = wall() - t0;
    return NULL;
}

/* Scaling of a CPU-bound loop on n threads (1.0 = no gain). */
static double machine_scaling(int n)
{
    spin one = {50000000, 0, 0};
    spin_run(&one);
    spin *s = calloc((size_t)n, sizeof *s);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    if (s == NULL || th == NULL)
        return NAN;
    double t0 = wall();
    for (int i = 0; i < n; i++) {
        s[i].n = one.n;
        if (pthread_create(&th[i], NULL, spin_run, &s[i]) != 0)
            n = i;
    }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    double tp = wall() - t0;
    free(s);
    free(th);
    return (double)n * one.seconds / tp;
}

/* ---- main ------------------------------------------------------------------- */

static void line(const char *what, int64_t customers, uint64_t events, double s, double wq)
{
    printf("%-28s %8.3f s  %7.2f M customers/s  %7.2f M events/s  (Wq %.3f s, theory %.0f)\n", what,
           s, (double)customers / s * 1e-6, (double)events / s * 1e-6, wq, THEORY_WQ_S);
}

int main(int argc, char **argv)
{
    int64_t customers = 10000000;
    if (argc > 1) {
        char *end;
        long long v = strtoll(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || v < 1000) {
            fprintf(stderr, "usage: engine-bench [CUSTOMERS >= 1000]\n");
            return 2;
        }
        customers = v;
    }
    int ncores = rg_ncores();
    rg_err err;
    rg_err_clear(&err);
    rg_dist *arr = rg_dist_parse("exp(mean=1.111111111s)", RG_QTY_DURATION, &err);
    rg_dist *svc = rg_dist_parse("exp(mean=1s)", RG_QTY_DURATION, &err);
    if (arr == NULL || svc == NULL) {
        fprintf(stderr, "engine-bench: %s\n", err.msg);
        return 1;
    }

    printf("engine-bench: M/M/1, rho = 0.9, %" PRId64 " customers per run, 2 events per "
           "customer, MT19937, %d core%s\n",
           customers, ncores, ncores == 1 ? "" : "s");

    /* 1, 2 and 2b, in ROUNDS rounds, each keeping its fastest run: on a
     * shared machine a slow run says something about the neighbours, the
     * fastest about the program.  The three take turns, so a burst of
     * load elsewhere slows one round of each rather than all of one. */
    qjob one = {0, customers, arr, svc, 0, 0, 0, 0};
    double s2 = INFINITY, s3 = INFINITY, wq2 = 0, wq3 = 0;
    uint64_t ev2 = 0, ev3 = 0;
    for (int round = 0; round < ROUNDS; round++) {
        qjob j = {0, customers, arr, svc, 0, 0, 0, 0};
        qjob_run(&j);
        if (round == 0 || j.seconds < one.seconds)
            one = j;
        double w, t;
        ev2 = run_minimal(customers, &w, &t);
        wq2 = w;
        s2 = t < s2 ? t : s2;
        ev3 = run_bare(customers, &w, &t);
        wq3 = w;
        s3 = t < s3 ? t : s3;
    }
    double rate1 = (double)customers / one.seconds;
    line("rg_queue_sim, 1 thread:", customers, one.events, one.seconds, one.wq);
    line("minimal engine loop, 1 thread:", customers, ev2, s2, wq2);
    printf("%-28s %8.0f %% of rg_queue_sim's time is the engine and sampling\n",
           "engine share:", 100 * s2 / one.seconds);
    line("bare 4-ary heap, 1 thread:", customers, ev3, s3, wq3);
    /* Rates, so > 1 is faster than the bare heap. */
    printf("%-28s %8.3f rg_queue_sim / bare heap, %.3f minimal loop / bare heap (target >= "
           "0.95)\n",
           "ratio to bare heap:", s3 / one.seconds, s3 / s2);

    /* 3. One rg_queue_sim per core, in parallel. */
    qjob *jobs = calloc((size_t)ncores, sizeof *jobs);
    pthread_t *th = calloc((size_t)ncores, sizeof *th);
    if (jobs == NULL || th == NULL) {
        fprintf(stderr, "engine-bench: out of memory\n");
        return 1;
    }
    double t0 = wall();
    for (int i = 0; i < ncores; i++) {
        jobs[i] = (qjob){(uint64_t)i + 1, customers, arr, svc, 0, 0, 0, 0};
        if (pthread_create(&th[i], NULL, qjob_run, &jobs[i]) != 0) {
            fprintf(stderr, "engine-bench: cannot create thread %d\n", i);
            return 1;
        }
    }
    uint64_t events = 0;
    double wqsum = 0;
    for (int i = 0; i < ncores; i++) {
        pthread_join(th[i], NULL);
        events += jobs[i].events;
        wqsum += jobs[i].wq;
    }
    double sp = wall() - t0;
    char what[64];
    snprintf(what, sizeof what, "rg_queue_sim, %d threads:", ncores);
    line(what, customers * ncores, events, sp, wqsum / ncores);
    /* Wall time against wall time: what the user waits for. */
    double ratep = (double)customers * ncores / sp, ratew = (double)customers / one.wall_seconds;
    printf("%-28s %8.2f x on %d cores (ideal %d; efficiency %.0f %%)\n", "scaling:", ratep / ratew,
           ncores, ncores, 100 * ratep / ratew / ncores);

    printf("%-28s %8.2f x on %d cores for a CPU-bound loop without memory traffic\n",
           "machine ceiling:", machine_scaling(ncores), ncores);

    /* 5. The hold model at three queue sizes. */
    static const size_t holds[] = {100, 10000, 1000000};
    double first = 0;
    for (size_t k = 0; k < sizeof holds / sizeof holds[0]; k++) {
        double ne = INFINITY, nb = INFINITY;
        for (int round = 0; round < 3; round++) {
            double x = run_hold(holds[k], 2000000, false), y = run_hold(holds[k], 2000000, true);
            ne = x < ne ? x : ne;
            nb = y < nb ? y : nb;
        }
        if (k == 0)
            first = ne;
        char label[64];
        snprintf(label, sizeof label, "hold, %zu pending:", holds[k]);
        printf("%-28s %8.1f ns/event engine, %.1f ns/event bare heap (ratio %.3f; %.2f x the "
               "engine at %zu)\n",
               label, ne, nb, nb / ne, ne / first, holds[0]);
    }

    /* 6. Timeouts of one length: one event each, or a lane. */
    static const size_t waiting[] = {10000, 1000000};
    for (size_t k = 0; k < sizeof waiting / sizeof waiting[0]; k++) {
        double ne = INFINITY, nl = INFINITY;
        for (int round = 0; round < 3; round++) {
            double x = run_timeouts(waiting[k], 2000000, false);
            double y = run_timeouts(waiting[k], 2000000, true);
            ne = x < ne ? x : ne;
            nl = y < nl ? y : nl;
        }
        char label[64];
        snprintf(label, sizeof label, "timeouts, %zu waiting:", waiting[k]);
        printf("%-28s %8.1f ns/event one event each, %.1f ns/event in a lane (%.2f x)\n", label, ne,
               nl, ne / nl);
    }

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("%-28s %8.1f MB\n", "peak RSS:", (double)ru.ru_maxrss / 1024);
    printf("%-28s >= 10 M customers/s on one core: %s (%.2f M with rg_queue_sim, %.2f M "
           "minimal)\n",
           "target:", rate1 >= 10e6 ? "met" : "NOT met", rate1 * 1e-6,
           (double)customers / s2 * 1e-6);

    free(jobs);
    free(th);
    rg_dist_free(arr);
    rg_dist_free(svc);
    return 0;
}
