/*
 * runner.c: the replication runner.  Tasks are (replication, variant) pairs
 * numbered rep-major; J worker threads take the next task number from an
 * atomic counter.  The main thread draws the progress bar and watches for
 * SIGINT/SIGTERM, which stop workers from taking new tasks.
 *
 * Every task, whether a worker's, a --check-determinism rerun, a rerun
 * that takes an unfinished replication's counts out of the histograms, or
 * rg_run_one's, goes through run_task: one place builds the task's output
 * and calls the experiment.
 */
#include "sim/run/runner.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

int rg_ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* ---- signals ------------------------------------------------------------ */

/* Set by the handler, read by the workers and the main thread: a
 * lock-free atomic (see repout.c's stop_request). */
static atomic_int g_interrupt;

static void on_signal(int sig)
{
    (void)sig;
    atomic_store_explicit(&g_interrupt, 1, memory_order_relaxed);
    rg_rep_request_stop(true);
}

static bool interrupted(void)
{
    return atomic_load_explicit(&g_interrupt, memory_order_relaxed) != 0;
}

/* SIGINT, SIGTERM and SIGHUP are taken by the first rg_run and held until
 * rg_run_release_signals: a signal during the results' write, or between
 * the points of a sweep, is noted, never fatal. */
static const int held_sigs[] = {SIGINT, SIGTERM, SIGHUP};
#define NHELD (sizeof held_sigs / sizeof held_sigs[0])
static struct sigaction saved[NHELD];
static bool held;

static void hold_signals(void)
{
    if (held)
        return;
    atomic_store_explicit(&g_interrupt, 0, memory_order_relaxed);
    rg_rep_request_stop(false);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NHELD; i++)
        sigaction(held_sigs[i], &sa, &saved[i]);
    held = true;
}

bool rg_run_release_signals(void)
{
    if (held) {
        for (size_t i = 0; i < NHELD; i++)
            sigaction(held_sigs[i], &saved[i], NULL);
        held = false;
    }
    bool was = interrupted();
    atomic_store_explicit(&g_interrupt, 0, memory_order_relaxed);
    rg_rep_request_stop(false);
    return was;
}

bool rg_run_signalled(void)
{
    return interrupted();
}

/* ---- one task ------------------------------------------------------------ */

typedef struct task {
    const rg_experiment *ops;
    const void *cfg;
    const rg_runopts *o;
    const rg_metric *met;
    size_t nmet;
} task;

/* Runs variant v (of the run's selection) of replication rep (counted from
 * the run's first) into out (reset first). */
static void run_task(const task *k, rg_repout *out, size_t v, uint64_t rep, uint64_t *hist,
                     bool keep_latencies, bool want_timeline, FILE *trace)
{
    rg_repout_reset(out, hist, keep_latencies, want_timeline);
    size_t real = k->o->only ? k->o->only[v] : v;
    k->ops->run(k->cfg, real, k->o->seed, k->o->first_rep + rep, out, trace);
    RG_ASSERT(rg_repout_done(out) || rg_repout_error(out));
}

static rg_repout *task_out(const task *k)
{
    return rg_repout_new(k->met, k->nmet, k->o->max_events, k->o->rng_type);
}

rg_repout *rg_run_one(const rg_experiment *ops, const void *cfg, const rg_runopts *o, size_t v,
                      uint64_t rep, FILE *trace)
{
    rg_runopts one = *o;
    one.only = NULL;
    one.first_rep = 0;
    task k = {ops, cfg, &one, NULL, 0};
    k.met = ops->metrics(cfg, &k.nmet);
    rg_repout *out = task_out(&k);
    run_task(&k, out, v, rep, NULL, o->keep_latencies, false, trace);
    return out;
}

rg_repout *rg_run_history(const rg_experiment *ops, const void *cfg, const rg_runopts *o, size_t v,
                          uint64_t rep, FILE *f, bool edn, int *wrote)
{
    RG_ASSERT(ops->history != NULL);
    task k = {ops, cfg, o, NULL, 0};
    k.met = ops->metrics(cfg, &k.nmet);
    rg_repout *out = task_out(&k);
    rg_repout_reset(out, NULL, false, false);
    *wrote = ops->history(cfg, v, o->seed, rep, out, f, edn);
    RG_ASSERT(rg_repout_done(out) || rg_repout_error(out));
    return out;
}

/* ---- the run ------------------------------------------------------------ */

typedef struct run {
    task k;
    rg_results *r;
    uint64_t ntasks;
    atomic_uint_fast64_t next;
    atomic_uint_fast64_t ndone;
    atomic_bool stop;
    atomic_bool *task_done; /* set by the worker that ran the task, read by the bar */
    double **lat;           /* raw latencies per task if kept, else NULL */
    size_t *nlat;
    pthread_mutex_t lock; /* guards the two messages below */
    char *error;
    uint64_t error_task;
    char *nondet;
    uint64_t nondet_task;
} run;

typedef struct worker {
    run *run;
    pthread_t tid;
    uint64_t *hist;  /* nvar * RG_HIST_NBINS */
    uint64_t events; /* of the tasks this worker kept */
} worker;

/* Keeps the message of the earliest failed task in *slot. */
static void note_first(run *ru, char **slot, uint64_t *slot_task, uint64_t t, char *msg)
{
    pthread_mutex_lock(&ru->lock);
    if (*slot == NULL || t < *slot_task) {
        free(*slot);
        *slot = msg;
        *slot_task = t;
        msg = NULL;
    }
    pthread_mutex_unlock(&ru->lock);
    free(msg);
    atomic_store(&ru->stop, true);
}

/* --check-determinism: runs the task again into a scratch output and
 * compares every value bit for bit (NaNs included). */
static void check_again(run *ru, rg_repout *again, uint64_t t, size_t v, uint64_t rep,
                        rg_repout *first)
{
    rg_results *r = ru->r;
    run_task(&ru->k, again, v, rep, NULL, false, false, NULL);
    for (size_t m = 0; m < r->nmet; m++) {
        const rg_mval *a = &rg_repout_row(first)[m], *b = &rg_repout_row(again)[m];
        if (memcmp(a, b, sizeof *a) == 0)
            continue;
        bool i = r->met[m].type == RG_MF_INT;
        note_first(ru, &ru->nondet, &ru->nondet_task, t,
                   rg_xasprintf("replication %llu of variant %s: metric %s differs between "
                                "two runs (%.17g, then %.17g)",
                                (unsigned long long)(ru->k.o->first_rep + rep), r->varnames[v],
                                r->met[m].name, i ? (double)a->i : a->d, i ? (double)b->i : b->d));
        break;
    }
}

/* Files a finished task's output into the run. */
static void keep_task(run *ru, uint64_t t, size_t v, uint64_t rep, rg_repout *out)
{
    rg_results *r = ru->r;
    memcpy(&r->rows[(v * r->reps + rep) * r->nmet], rg_repout_row(out), r->nmet * sizeof(rg_mval));
    if (ru->k.o->first_rep + rep == 0)
        r->tl[v] = rg_repout_take_timeline(out, &r->ntl[v]);
    if (ru->lat != NULL)
        ru->lat[t] = rg_repout_take_latencies(out, &ru->nlat[t]);
    atomic_store_explicit(&ru->task_done[t], true, memory_order_release);
    atomic_fetch_add(&ru->ndone, 1);
}

static void *work(void *arg)
{
    worker *w = arg;
    run *ru = w->run;
    rg_results *r = ru->r;
    rg_repout *out = task_out(&ru->k);
    rg_repout *again = ru->k.o->check_determinism ? task_out(&ru->k) : NULL;
    uint64_t *scratch = rg_xcalloc(RG_HIST_NBINS, sizeof *scratch);
    for (;;) {
        if (atomic_load(&ru->stop) || interrupted())
            break;
        uint64_t t = atomic_fetch_add(&ru->next, 1);
        if (t >= ru->ntasks)
            break;
        uint64_t rep = t / r->nvar;
        size_t v = (size_t)(t % r->nvar);
        /* Into a scratch histogram, added only if the task is kept: a task
         * interrupted half-way must leave no counts behind. */
        memset(scratch, 0, RG_HIST_NBINS * sizeof *scratch);
        run_task(&ru->k, out, v, rep, scratch, ru->k.o->keep_latencies,
                 ru->k.o->first_rep + rep == 0, NULL);
        if (rg_repout_error(out) == NULL && again != NULL)
            check_again(ru, again, t, v, rep, out);
        if (rg_repout_interrupted(out))
            break; /* unfinished: the run is interrupted, not failed */
        if (rg_repout_error(out) != NULL) {
            note_first(ru, &ru->error, &ru->error_task, t,
                       rg_xasprintf("replication %llu of variant %s: %s",
                                    (unsigned long long)(ru->k.o->first_rep + rep), r->varnames[v],
                                    rg_repout_error(out)));
            continue;
        }
        for (size_t b = 0; b < RG_HIST_NBINS; b++)
            w->hist[v * RG_HIST_NBINS + b] += scratch[b];
        w->events += rg_repout_events(out);
        keep_task(ru, t, v, rep, out);
    }
    free(scratch);
    rg_repout_free(out);
    rg_repout_free(again);
    return NULL;
}

/* ---- progress ------------------------------------------------------------ */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Complete replications form a prefix: tasks are taken in order. */
static uint64_t complete_prefix(const run *ru)
{
    size_t nvar = ru->r->nvar;
    uint64_t k = 0;
    while (k < ru->k.o->reps) {
        bool all = true;
        for (size_t v = 0; v < nvar; v++)
            all = all && atomic_load_explicit(&ru->task_done[k * nvar + v], memory_order_acquire);
        if (!all)
            break;
        k++;
    }
    return k;
}

/* The progress bar counts complete replications (every variant done) and
 * estimates the time left from an exponentially weighted rate of finished
 * tasks, so that the estimate follows the recent pace instead of the
 * average since the start (which lags when tasks slow down, and made the
 * estimate climb).  Drawn on stderr when it is a terminal. */
#define PROGRESS_EVERY 0.1 /* s between redraws */
#define RATE_TAU 5.0       /* s: the time constant of the rate's average */

typedef struct progress {
    const char *label;
    uint64_t reps, prefix; /* replications asked for, complete so far */
    double t_last;         /* when the rate was last updated */
    uint64_t tasks_last;   /* tasks done then */
    double rate;           /* tasks per second, smoothed; 0: not yet known */
    bool drawn;
} progress;

/* Advances p->prefix over the replications now complete. */
static void advance_prefix(const run *ru, progress *p)
{
    size_t nvar = ru->r->nvar;
    while (p->prefix < p->reps) {
        bool all = true;
        for (size_t v = 0; all && v < nvar; v++)
            all = atomic_load_explicit(&ru->task_done[p->prefix * nvar + v], memory_order_acquire);
        if (!all)
            break;
        p->prefix++;
    }
}

static void draw_progress(const run *ru, progress *p, double el, bool final)
{
    uint64_t done = atomic_load(&ru->ndone);
    double dt = el - p->t_last;
    if (dt > 0 && done > p->tasks_last) {
        double inst = (double)(done - p->tasks_last) / dt;
        double a = p->rate > 0 ? 1 - exp(-dt / RATE_TAU) : 1;
        p->rate = a * inst + (1 - a) * p->rate;
        p->t_last = el;
        p->tasks_last = done;
    }
    advance_prefix(ru, p);
    int width = 30;
    double f = p->reps ? (double)p->prefix / (double)p->reps : 1;
    int fill = (int)(f * width);
    char eta[32] = "";
    if (final)
        snprintf(eta, sizeof eta, "in %.0fs", el);
    else if (p->rate > 0)
        snprintf(eta, sizeof eta, "eta %.0fs", (double)(ru->ntasks - done) / p->rate);
    fprintf(stderr, "\r%s [%.*s%*s] %3.0f%%  %llu/%llu replications  %s   ",
            p->label ? p->label : "run", fill, "##############################", width - fill, "",
            100 * f, (unsigned long long)p->prefix, (unsigned long long)p->reps, eta);
    fflush(stderr);
    p->drawn = true;
}

/* Starts nth workers, waits for them while drawing progress, and joins. */
static void run_workers(run *ru, worker *ws, int nth)
{
    const rg_runopts *o = ru->k.o;
    double t0 = now_s();
    for (int i = 0; i < nth; i++) {
        ws[i].run = ru;
        ws[i].hist = rg_xcalloc(ru->r->nvar * RG_HIST_NBINS, sizeof *ws[i].hist);
        int rc = pthread_create(&ws[i].tid, NULL, work, &ws[i]);
        if (rc == EAGAIN || rc == ENOMEM) {
            /* no memory for the thread's stack (a --memory-limit) */
            struct rlimit st;
            rg_oom(getrlimit(RLIMIT_STACK, &st) == 0 && st.rlim_cur != RLIM_INFINITY
                       ? (size_t)st.rlim_cur
                       : (size_t)8 << 20);
        }
        RG_ASSERT(rc == 0);
    }
    bool tty = o->progress && isatty(STDERR_FILENO);
    progress p = {o->label, o->reps, 0, 0, 0, 0, false};
    progress kept = p; /* complete replications, whose spilled rows may go */
    uint64_t *gone = rg_xcalloc(ru->r->nvar, sizeof *gone); /* per variant: let go below */
    double next_draw = 1.0, next_let_go = PROGRESS_EVERY;   /* a short run draws nothing */
    for (;;) {
        uint64_t d = atomic_load(&ru->ndone);
        if (d >= ru->ntasks)
            break;
        if (interrupted() || atomic_load(&ru->stop)) {
            atomic_store(&ru->stop, true);
            break;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        double el = now_s() - t0;
        if (tty && el >= next_draw) {
            draw_progress(ru, &p, el, false);
            next_draw = el + PROGRESS_EVERY;
        }
        if (ru->r->spilled > 0 && el >= next_let_go) {
            /* Complete replications' rows are final: to the file with them. */
            advance_prefix(ru, &kept);
            for (size_t v = 0; v < ru->r->nvar; v++)
                gone[v] = rg_results_let_go(ru->r, v, gone[v], kept.prefix);
            next_let_go = el + PROGRESS_EVERY;
        }
    }
    for (int i = 0; i < nth; i++)
        pthread_join(ws[i].tid, NULL);
    free(gone);
    ru->r->wall_seconds = now_s() - t0;
    if (p.drawn) {
        draw_progress(ru, &p, ru->r->wall_seconds, true);
        fputc('\n', stderr);
    }
}

/* When stopped early, tasks of replications beyond the complete prefix
 * may have finished and added to the histograms and the event count.
 * Tasks are deterministic, so run those few again and take their counts
 * out: the histograms and events then describe exactly the replications in
 * the file.  (Counting events per worker and taking these out, rather than
 * keeping a count per task, spares 8 bytes a task.) */
static void unhist_beyond(run *ru, uint64_t k)
{
    rg_results *r = ru->r;
    size_t nvar = r->nvar;
    uint64_t *scratch = rg_xcalloc(RG_HIST_NBINS, sizeof *scratch);
    rg_repout *again = task_out(&ru->k);
    for (uint64_t t = k * nvar; t < ru->ntasks; t++) {
        if (!atomic_load_explicit(&ru->task_done[t], memory_order_relaxed))
            continue;
        size_t v = (size_t)(t % nvar);
        memset(scratch, 0, RG_HIST_NBINS * sizeof *scratch);
        run_task(&ru->k, again, v, t / nvar, scratch, false, false, NULL);
        for (size_t b = 0; b < RG_HIST_NBINS; b++) {
            RG_ASSERT(r->hist[v * RG_HIST_NBINS + b] >= scratch[b]);
            r->hist[v * RG_HIST_NBINS + b] -= scratch[b];
        }
        RG_ASSERT(r->events >= rg_repout_events(again));
        r->events -= rg_repout_events(again);
    }
    rg_repout_free(again);
    free(scratch);
}

/* Gathers the kept raw latencies of replications 0..k-1, in order. */
static void gather_latencies(run *ru, uint64_t k)
{
    rg_results *r = ru->r;
    size_t nvar = r->nvar;
    for (size_t v = 0; v < nvar; v++) {
        size_t n = 0;
        for (uint64_t i = 0; i < k; i++)
            n += ru->nlat[i * nvar + v];
        r->lat[v] = rg_xmalloc((n ? n : 1) * sizeof *r->lat[v]);
        size_t at = 0;
        for (uint64_t i = 0; i < k; i++) {
            size_t c = ru->nlat[i * nvar + v];
            if (c)
                memcpy(r->lat[v] + at, ru->lat[i * nvar + v], c * sizeof(double));
            at += c;
        }
        r->nlat[v] = n;
    }
}

rg_results *rg_run(const rg_experiment *ops, const void *cfg, const rg_runopts *o, rg_err *e)
{
    run ru = {0};
    ru.k = (task){ops, cfg, o, NULL, 0};
    ru.k.met = ops->metrics(cfg, &ru.k.nmet);
    size_t nvar = o->only ? o->nonly : ops->nvariants(cfg);
    if (nvar == 0) {
        rg_err_set(e, RG_ERR_INPUT, "the scenario defines no variant to run");
        return NULL;
    }
    const char **names = rg_xcalloc(nvar, sizeof *names);
    for (size_t v = 0; v < nvar; v++) {
        RG_ASSERT(!o->only || o->only[v] < ops->nvariants(cfg));
        names[v] = ops->variant_name(cfg, o->only ? o->only[v] : v);
    }
    /* With a directory to spill to, the rows are made there or in memory,
     * never both: a run under --memory-limit could not allocate rows it
     * would then move to a file. */
    rg_results *r =
        rg_results_new(nvar, names, ru.k.nmet, ru.k.met, o->spill_dir != NULL ? 0 : o->reps);
    free(names);
    if (o->spill_dir != NULL) {
        int sp = rg_results_spill(r, o->spill_dir, o->reps, o->reps, e);
        if (sp < 0) {
            rg_results_free(r);
            return NULL;
        }
        if (sp == 0)
            rg_results_reserve(r, o->reps);
    }
    rg_results_set_timeline_names(r, ops->timeline);
    r->seed = o->seed;

    ru.r = r;
    ru.ntasks = o->reps * nvar;
    atomic_init(&ru.next, 0);
    atomic_init(&ru.ndone, 0);
    atomic_init(&ru.stop, false);
    ru.task_done = rg_xcalloc(ru.ntasks, sizeof *ru.task_done);
    for (uint64_t t = 0; t < ru.ntasks; t++)
        atomic_init(&ru.task_done[t], false);
    if (o->keep_latencies) { /* 16 bytes a task: only when kept */
        ru.lat = rg_xcalloc(ru.ntasks, sizeof *ru.lat);
        ru.nlat = rg_xcalloc(ru.ntasks, sizeof *ru.nlat);
    }
    pthread_mutex_init(&ru.lock, NULL);

    int nth = o->threads > 0 ? o->threads : rg_ncores();
    if ((uint64_t)nth > ru.ntasks)
        nth = (int)(ru.ntasks ? ru.ntasks : 1);
    worker *ws = rg_xcalloc((size_t)nth, sizeof *ws);

    hold_signals();
    run_workers(&ru, ws, nth);
    r->error = ru.error;
    r->nondeterministic = ru.nondet;
    pthread_mutex_destroy(&ru.lock);

    uint64_t k = complete_prefix(&ru);
    r->reps_done = k;
    /* Interrupted means incomplete: a signal that arrives after the last
     * task has finished leaves a complete run. */
    r->interrupted = k < o->reps && r->error == NULL && r->nondeterministic == NULL;
    for (int i = 0; i < nth; i++) {
        for (size_t b = 0; b < nvar * RG_HIST_NBINS; b++)
            r->hist[b] += ws[i].hist[b];
        r->events += ws[i].events;
        free(ws[i].hist);
    }
    free(ws);
    /* The reruns below must run to their end; g_interrupt stays set, and
     * the signals stay held until the caller has written the results. */
    rg_rep_request_stop(false);
    if (k < o->reps)
        unhist_beyond(&ru, k);
    if (o->keep_latencies)
        gather_latencies(&ru, k);
    for (uint64_t t = 0; ru.lat != NULL && t < ru.ntasks; t++)
        free(ru.lat[t]);
    free(ru.task_done);
    free(ru.lat);
    free(ru.nlat);
    return r;
}
