/*
 * runner.c: the replication runner.  Tasks are (replication, variant) pairs
 * numbered rep-major; J worker threads take the next task number from an
 * atomic counter.  The main thread draws the progress bar and watches for
 * SIGINT/SIGTERM, which stop workers from taking new tasks.
 */
#include "sim/run/runner.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sim/engine/stats.h"

/* ---- histogram --------------------------------------------------------- */

/* Bin edges, computed once (pthread_once: runners call this from every
 * worker).  edges[i] is the lower edge of bin i. */
static double edges[RG_HIST_NBINS + 1];
static pthread_once_t edges_once = PTHREAD_ONCE_INIT;

static void init_edges(void)
{
    edges[0] = 0.0;
    for (int i = 1; i < RG_HIST_NBINS; i++)
        edges[i] = pow(10.0, -6.0 + (double)(i - 1) / RG_HIST_PER_DECADE);
    edges[RG_HIST_NBINS] = INFINITY;
}

double rg_hist_edge(int i)
{
    pthread_once(&edges_once, init_edges);
    if (i <= 0)
        return 0.0;
    if (i >= RG_HIST_NBINS)
        return INFINITY;
    return edges[i];
}

int rg_hist_bin(double s)
{
    pthread_once(&edges_once, init_edges);
    if (!(s >= edges[1]))
        return 0;
    double k = floor((log10(s) + 6.0) * RG_HIST_PER_DECADE + 1e-9);
    int b = (int)k + 1;
    if (b >= RG_HIST_NBINS - 1)
        b = RG_HIST_NBINS - 1;
    /* log10 may land one bin off at an edge: settle against the table */
    while (b > 1 && s < edges[b])
        b--;
    while (b < RG_HIST_NBINS - 1 && s >= edges[b + 1])
        b++;
    return b;
}

void rg_repout_latency(rg_repout *o, double seconds)
{
    if (o->hist != NULL)
        o->hist[rg_hist_bin(seconds)]++;
    if (o->keep_latencies) {
        rg_xgrow((void **)&o->lat, &o->latcap, o->nlat + 1, sizeof *o->lat);
        o->lat[o->nlat++] = seconds;
    }
}

void rg_repout_timeline(rg_repout *o, double t, int64_t a, int64_t b)
{
    if (!o->want_timeline)
        return;
    rg_xgrow((void **)&o->tl, &o->tlcap, o->ntl + 1, sizeof *o->tl);
    o->tl[o->ntl++] = (rg_tlpoint){t, a, b};
}

/* ---- results object ---------------------------------------------------- */

rg_results *rg_results_new(size_t nvar, const char *const *varnames, size_t nmet,
                           const rg_metric *met, uint64_t reps)
{
    rg_results *r = rg_xcalloc(1, sizeof *r);
    r->nvar = nvar;
    r->nmet = nmet;
    r->reps = reps;
    r->varnames = rg_xcalloc(nvar, sizeof *r->varnames);
    for (size_t v = 0; v < nvar; v++)
        r->varnames[v] = rg_xstrdup(varnames[v]);
    r->met = rg_xcalloc(nmet, sizeof *r->met);
    for (size_t m = 0; m < nmet; m++) {
        r->met[m] = met[m];
        r->met[m].name = rg_xstrdup(met[m].name);
        r->met[m].unit = rg_xstrdup(met[m].unit ? met[m].unit : "");
        r->met[m].desc = rg_xstrdup(met[m].desc ? met[m].desc : "");
    }
    r->rows = rg_xcalloc(nvar * (reps ? reps : 1) * (nmet ? nmet : 1), sizeof *r->rows);
    r->hist = rg_xcalloc(nvar * RG_HIST_NBINS, sizeof *r->hist);
    r->lat = rg_xcalloc(nvar, sizeof *r->lat);
    r->nlat = rg_xcalloc(nvar, sizeof *r->nlat);
    r->tl = rg_xcalloc(nvar, sizeof *r->tl);
    r->ntl = rg_xcalloc(nvar, sizeof *r->ntl);
    return r;
}

void rg_results_free(rg_results *r)
{
    if (r == NULL)
        return;
    for (size_t v = 0; v < r->nvar; v++) {
        free(r->varnames[v]);
        free(r->lat[v]);
        free(r->tl[v]);
    }
    for (size_t m = 0; m < r->nmet; m++) {
        free((char *)r->met[m].name);
        free((char *)r->met[m].unit);
        free((char *)r->met[m].desc);
    }
    free(r->varnames);
    free(r->met);
    free(r->error);
    free(r->nondeterministic);
    free(r->sum);
    free(r->rows);
    free(r->hist);
    free(r->lat);
    free(r->nlat);
    free(r->tl);
    free(r->ntl);
    free(r);
}

double rg_results_value(const rg_results *r, size_t v, uint64_t i, size_t m)
{
    const rg_mval *x = &r->rows[(v * r->reps + i) * r->nmet + m];
    return r->met[m].type == RG_MF_INT ? (double)x->i : x->d;
}

void rg_results_column(const rg_results *r, size_t v, size_t m, double *x)
{
    for (uint64_t i = 0; i < r->reps_done; i++)
        x[i] = rg_results_value(r, v, i, m);
}

const rg_summary *rg_results_summary(const rg_results *r, size_t v, size_t m)
{
    RG_ASSERT(v < r->nvar && m < r->nmet);
    if (r->sum == NULL) {
        /* a cache: logically const */
        rg_results *w = (rg_results *)r;
        w->sum = rg_xcalloc(r->nvar * (r->nmet ? r->nmet : 1), sizeof *w->sum);
        double *x = rg_xmalloc((r->reps_done ? r->reps_done : 1) * sizeof *x);
        for (size_t vv = 0; vv < r->nvar; vv++)
            for (size_t mm = 0; mm < r->nmet; mm++) {
                rg_results_column(r, vv, mm, x);
                rg_summarize(x, r->reps_done, &w->sum[vv * r->nmet + mm]);
            }
        free(x);
    }
    return &r->sum[v * r->nmet + m];
}

int rg_results_metric(const rg_results *r, const char *name)
{
    for (size_t m = 0; m < r->nmet; m++)
        if (strcmp(r->met[m].name, name) == 0)
            return (int)m;
    return -1;
}

int rg_results_role(const rg_results *r, rg_mrole role)
{
    for (size_t m = 0; m < r->nmet; m++)
        if (r->met[m].role == role)
            return (int)m;
    return -1;
}

void rg_results_adopt_roles(rg_results *r, const rg_metric *met, size_t nmet)
{
    for (size_t m = 0; m < r->nmet; m++)
        for (size_t k = 0; k < nmet; k++)
            if (strcmp(r->met[m].name, met[k].name) == 0)
                r->met[m].role = met[k].role;
}

int rg_results_variant(const rg_results *r, const char *name)
{
    for (size_t v = 0; v < r->nvar; v++)
        if (strcmp(r->varnames[v], name) == 0)
            return (int)v;
    return -1;
}

int rg_ncores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t g_interrupt;

static void on_signal(int sig)
{
    (void)sig;
    g_interrupt = 1;
}

/* ---- the run ------------------------------------------------------------ */

typedef struct worker worker;

typedef struct run {
    const rg_model_ops *ops;
    const void *cfg;
    const rg_runopts *o;
    rg_results *r;
    uint64_t ntasks;
    atomic_uint_fast64_t next;
    atomic_uint_fast64_t ndone;
    atomic_bool stop;
    bool *task_done; /* written by the worker that ran the task */
    rg_tlpoint **tl; /* rep 0 timelines per variant */
    size_t *ntl;
    double **lat; /* raw latencies per task if kept */
    size_t *nlat;
    pthread_mutex_t lock; /* guards the two messages below */
    char *error;
    uint64_t error_task;
    char *nondet;
    uint64_t nondet_task;
} run;

struct worker {
    run *run;
    pthread_t tid;
    uint64_t *hist; /* nvar * RG_HIST_NBINS */
};

/* --check-determinism: runs the task again into a scratch row and compares
 * every value bit for bit (NaNs included). */
static void check_again(run *ru, uint64_t t, size_t v, uint64_t rep, const rg_repout *first)
{
    rg_results *r = ru->r;
    rg_mval *row = rg_xcalloc(r->nmet, sizeof *row);
    rg_repout again = {0};
    again.row = row;
    again.max_events = ru->o->max_events;
    again.rng_type = ru->o->rng_type;
    ru->ops->run(ru->cfg, v, ru->o->seed, rep, &again, NULL);
    for (size_t m = 0; m < r->nmet; m++) {
        if (memcmp(&row[m], &first->row[m], sizeof row[m]) == 0)
            continue;
        pthread_mutex_lock(&ru->lock);
        if (ru->nondet == NULL || t < ru->nondet_task) {
            free(ru->nondet);
            ru->nondet = rg_xasprintf("replication %llu of variant %s: metric %s differs between "
                                      "two runs (%.17g, then %.17g)",
                                      (unsigned long long)rep, r->varnames[v], r->met[m].name,
                                      rg_results_value(r, v, rep, m),
                                      r->met[m].type == RG_MF_INT ? (double)row[m].i : row[m].d);
            ru->nondet_task = t;
        }
        pthread_mutex_unlock(&ru->lock);
        atomic_store(&ru->stop, true);
        break;
    }
    free(again.tl);
    free(again.lat);
    free(row);
}

static void *work(void *arg)
{
    worker *w = arg;
    run *ru = w->run;
    rg_results *r = ru->r;
    for (;;) {
        if (atomic_load(&ru->stop) || g_interrupt)
            break;
        uint64_t t = atomic_fetch_add(&ru->next, 1);
        if (t >= ru->ntasks)
            break;
        uint64_t rep = t / r->nvar;
        size_t v = (size_t)(t % r->nvar);
        rg_repout out = {0};
        out.row = &r->rows[(v * r->reps + rep) * r->nmet];
        out.hist = &w->hist[v * RG_HIST_NBINS];
        out.keep_latencies = ru->o->keep_latencies;
        out.want_timeline = rep == 0;
        out.max_events = ru->o->max_events;
        out.rng_type = ru->o->rng_type;
        ru->ops->run(ru->cfg, v, ru->o->seed, rep, &out, NULL);
        RG_ASSERT(out.done || out.error[0]);
        if (out.error[0] == '\0' && ru->o->check_determinism)
            check_again(ru, t, v, rep, &out);
        if (out.error[0] != '\0') {
            pthread_mutex_lock(&ru->lock);
            if (ru->error == NULL || t < ru->error_task) {
                free(ru->error);
                ru->error = rg_xasprintf("replication %llu of variant %s: %s",
                                         (unsigned long long)rep, r->varnames[v], out.error);
                ru->error_task = t;
            }
            pthread_mutex_unlock(&ru->lock);
            atomic_store(&ru->stop, true);
            free(out.tl);
            free(out.lat);
            continue;
        }
        if (rep == 0) {
            ru->tl[v] = out.tl;
            ru->ntl[v] = out.ntl;
        } else {
            free(out.tl);
        }
        ru->lat[t] = out.lat;
        ru->nlat[t] = out.nlat;
        ru->task_done[t] = true;
        atomic_fetch_add(&ru->ndone, 1);
    }
    return NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void draw_progress(const char *label, uint64_t done, uint64_t total, double elapsed)
{
    int width = 30;
    double f = total ? (double)done / (double)total : 1;
    int fill = (int)(f * width);
    double eta = done ? elapsed * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\r%s [%.*s%*s] %3.0f%%  %llu/%llu  eta %.0fs ", label ? label : "run", fill,
            "##############################", width - fill, "", 100 * f, (unsigned long long)done,
            (unsigned long long)total, eta);
    fflush(stderr);
}

rg_results *rg_run(const rg_model_ops *ops, const void *cfg, const rg_runopts *o, rg_err *e)
{
    size_t nvar = ops->nvariants(cfg), nmet;
    const rg_metric *met = ops->metrics(cfg, &nmet);
    if (nvar == 0) {
        rg_err_set(e, RG_ERR_INPUT, "the scenario defines no variant to run");
        return NULL;
    }
    const char **names = rg_xcalloc(nvar, sizeof *names);
    for (size_t v = 0; v < nvar; v++)
        names[v] = ops->variant_name(cfg, v);
    rg_results *r = rg_results_new(nvar, names, nmet, met, o->reps);
    free(names);
    r->seed = o->seed;

    run ru = {0};
    ru.ops = ops;
    ru.cfg = cfg;
    ru.o = o;
    ru.r = r;
    ru.ntasks = o->reps * nvar;
    atomic_init(&ru.next, 0);
    atomic_init(&ru.ndone, 0);
    atomic_init(&ru.stop, false);
    ru.task_done = rg_xcalloc(ru.ntasks, sizeof *ru.task_done);
    ru.tl = rg_xcalloc(nvar, sizeof *ru.tl);
    ru.ntl = rg_xcalloc(nvar, sizeof *ru.ntl);
    ru.lat = rg_xcalloc(ru.ntasks, sizeof *ru.lat);
    ru.nlat = rg_xcalloc(ru.ntasks, sizeof *ru.nlat);
    pthread_mutex_init(&ru.lock, NULL);

    int nth = o->threads > 0 ? o->threads : rg_ncores();
    if ((uint64_t)nth > ru.ntasks)
        nth = (int)(ru.ntasks ? ru.ntasks : 1);
    worker *ws = rg_xcalloc((size_t)nth, sizeof *ws);

    g_interrupt = 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);

    double t0 = now_s();
    for (int i = 0; i < nth; i++) {
        ws[i].run = &ru;
        ws[i].hist = rg_xcalloc(nvar * RG_HIST_NBINS, sizeof *ws[i].hist);
        RG_ASSERT(pthread_create(&ws[i].tid, NULL, work, &ws[i]) == 0);
    }

    bool tty = o->progress && isatty(STDERR_FILENO);
    bool drawn = false;
    for (;;) {
        uint64_t d = atomic_load(&ru.ndone);
        if (d >= ru.ntasks)
            break;
        if (g_interrupt || atomic_load(&ru.stop)) {
            atomic_store(&ru.stop, true);
            break;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
        double el = now_s() - t0;
        if (tty && el > 1.0) {
            draw_progress(o->label, atomic_load(&ru.ndone), ru.ntasks, el);
            drawn = true;
        }
    }
    for (int i = 0; i < nth; i++)
        pthread_join(ws[i].tid, NULL);
    r->wall_seconds = now_s() - t0;
    if (drawn) {
        draw_progress(o->label, atomic_load(&ru.ndone), ru.ntasks, r->wall_seconds);
        fputc('\n', stderr);
    }
    r->error = ru.error;
    r->nondeterministic = ru.nondet;
    pthread_mutex_destroy(&ru.lock);

    /* Complete replications form a prefix: tasks are taken in order. */
    uint64_t k = 0;
    while (k < o->reps) {
        bool all = true;
        for (size_t v = 0; v < nvar; v++)
            all = all && ru.task_done[k * nvar + v];
        if (!all)
            break;
        k++;
    }
    r->reps_done = k;
    /* Interrupted means incomplete: a signal that arrives after the last
     * task has finished leaves a complete run. */
    r->interrupted = k < o->reps && r->error == NULL && r->nondeterministic == NULL;

    for (int i = 0; i < nth; i++) {
        for (size_t b = 0; b < nvar * RG_HIST_NBINS; b++)
            r->hist[b] += ws[i].hist[b];
        free(ws[i].hist);
    }
    free(ws);
    /* When stopped early, tasks of replications beyond the complete prefix
     * may have finished and added to the histograms.  Tasks are
     * deterministic, so run those few again and take their counts out:
     * the histograms then describe exactly the replications in the file. */
    if (k < o->reps) {
        uint64_t *scratch = rg_xcalloc(RG_HIST_NBINS, sizeof *scratch);
        rg_mval *row = rg_xcalloc(nmet ? nmet : 1, sizeof *row);
        for (uint64_t t = k * nvar; t < ru.ntasks; t++) {
            if (!ru.task_done[t])
                continue;
            size_t v = (size_t)(t % nvar);
            memset(scratch, 0, RG_HIST_NBINS * sizeof *scratch);
            rg_repout again = {0};
            again.row = row;
            again.hist = scratch;
            again.max_events = o->max_events;
            again.rng_type = o->rng_type;
            ops->run(cfg, v, o->seed, t / nvar, &again, NULL);
            for (size_t b = 0; b < RG_HIST_NBINS; b++) {
                RG_ASSERT(r->hist[v * RG_HIST_NBINS + b] >= scratch[b]);
                r->hist[v * RG_HIST_NBINS + b] -= scratch[b];
            }
            free(again.tl);
            free(again.lat);
        }
        free(scratch);
        free(row);
    }
    /* Only now: a second Ctrl-C while the tasks above run again must not
     * kill the process before the finished replications are written. */
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    for (size_t v = 0; v < nvar; v++) {
        r->tl[v] = ru.tl[v];
        r->ntl[v] = ru.ntl[v];
        if (o->keep_latencies) {
            size_t n = 0;
            for (uint64_t i = 0; i < k; i++)
                n += ru.nlat[i * nvar + v];
            r->lat[v] = rg_xmalloc((n ? n : 1) * sizeof *r->lat[v]);
            size_t at = 0;
            for (uint64_t i = 0; i < k; i++) {
                size_t c = ru.nlat[i * nvar + v];
                if (c)
                    memcpy(r->lat[v] + at, ru.lat[i * nvar + v], c * sizeof(double));
                at += c;
            }
            r->nlat[v] = n;
        }
    }
    for (uint64_t t = 0; t < ru.ntasks; t++)
        free(ru.lat[t]);
    int ev = rg_results_metric(r, "events");
    if (ev >= 0)
        for (size_t v = 0; v < nvar; v++)
            for (uint64_t i = 0; i < k; i++)
                r->events += (uint64_t)rg_results_value(r, v, i, (size_t)ev);
    free(ru.task_done);
    free(ru.tl);
    free(ru.ntl);
    free(ru.lat);
    free(ru.nlat);
    return r;
}

/* ---- console summary ------------------------------------------------- */

static void cell(char *buf, size_t n, const rg_metric *m, const rg_summary *s, bool max)
{
    double k = (m->flags & RG_MF_MS) ? 1e3 : (m->flags & RG_MF_PROB) ? 100.0 : 1.0;
    const char *suffix = (m->flags & RG_MF_PROB) ? "%" : "";
    if (max) {
        snprintf(buf, n, "%.6g", s->max * k);
        return;
    }
    if (isnan(s->ci95))
        snprintf(buf, n, "%.4g%s", s->mean * k, suffix);
    else if (fabs(s->mean * k) >= 1000)
        snprintf(buf, n, "%.0f ± %.0f%s", s->mean * k, s->ci95 * k, suffix);
    else
        snprintf(buf, n, "%.4g ± %.2g%s", s->mean * k, s->ci95 * k, suffix);
}

void rg_results_print(const rg_results *r, const char *title, FILE *f)
{
    size_t n = r->reps_done;
    fprintf(f, "%s: %llu replication%s%s, seed %llu\n", title, (unsigned long long)n,
            n == 1 ? "" : "s", r->interrupted ? " (INTERRUPTED: incomplete)" : "",
            (unsigned long long)r->seed);
    if (n == 0)
        return;
    int colw = 18;
    for (size_t v = 0; v < r->nvar; v++) {
        int l = (int)strlen(r->varnames[v]) + 2;
        if (l > colw)
            colw = l;
    }
    fprintf(f, "\n%-26s", "metric (mean ± 95% CI)");
    for (size_t v = 0; v < r->nvar; v++)
        fprintf(f, "%*s", colw, r->varnames[v]);
    fputc('\n', f);
    for (size_t m = 0; m < r->nmet; m++) {
        const rg_metric *me = &r->met[m];
        if (!(me->flags & RG_MF_SHOW))
            continue;
        for (int pass = 0; pass < ((me->flags & RG_MF_MAX) ? 2 : 1); pass++) {
            char label[64];
            snprintf(label, sizeof label, "%s%s%s%s", pass ? "max " : "", me->name,
                     (me->flags & RG_MF_MS) ? " (ms)" : "", (me->flags & RG_MF_PROB) ? " (P)" : "");
            fprintf(f, "%-26s", label);
            for (size_t v = 0; v < r->nvar; v++) {
                char c[64];
                cell(c, sizeof c, me, rg_results_summary(r, v, m), pass == 1);
                /* "±" is two bytes but one column; keep one space between
                 * columns even when a cell is wider than planned */
                int pad = colw - 1 + (strstr(c, "±") ? 1 : 0);
                fprintf(f, " %*s", pad, c);
            }
            fputc('\n', f);
        }
    }
    fprintf(f, "\n%llu events in %.2f s of wall time (%.3g M events/s)\n",
            (unsigned long long)r->events, r->wall_seconds,
            r->wall_seconds > 0 ? (double)r->events / r->wall_seconds / 1e6 : 0.0);
}
