/*
 * repout.c: one task's output and the replication skeleton (experiment.h), and
 * the latency histogram's bins.
 *
 * A task output is made once per worker and reused for every task it runs
 * (rg_repout_reset); what a task leaves behind (timeline, raw latencies)
 * is handed to the runner with the take functions, so nothing is freed by
 * hand anywhere else.
 */
#include "sim/run/experiment.h"

#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* ---- histogram --------------------------------------------------------- */

/* Bin edges, computed once (pthread_once: runners call this from every
 * worker).  edges[i] is the lower edge of bin i. */
static double edges[RG_HIST_NBINS + 1];
static pthread_once_t edges_once = PTHREAD_ONCE_INIT;

/* Binning without log10 (it was a visible share of a replication): a
 * positive double's bits, read as an integer, grow with its value, so the
 * top bits (exponent and HIST_SUB_BITS of mantissa) cut [edges[1],
 * edges[NBINS-1]) into buckets 2^(1/64) wide, much narrower than a bin
 * (10^(1/20)).  hist_start[k] is the bin of bucket k's smallest value; a sample
 * then steps up past the edges it reaches, at most one.  The result is the
 * bin the edges table says, exactly as before. */
#define HIST_SUB_BITS 6
#define HIST_SHIFT (52 - HIST_SUB_BITS)
/* buckets over 9 decades: log2(10) < 4 binades a decade, plus the ends */
#define HIST_NKEYS ((RG_HIST_DECADES * 4 + 2) << HIST_SUB_BITS)
static uint8_t hist_start[HIST_NKEYS];
static uint64_t key0; /* bucket of edges[1] */

static uint64_t hist_key(double s)
{
    uint64_t u;
    memcpy(&u, &s, sizeof u);
    return u >> HIST_SHIFT;
}

static void init_edges(void)
{
    edges[0] = 0.0;
    for (int i = 1; i < RG_HIST_NBINS; i++)
        edges[i] = pow(10.0, -6.0 + (double)(i - 1) / RG_HIST_PER_DECADE);
    edges[RG_HIST_NBINS] = INFINITY;
    key0 = hist_key(edges[1]);
    uint64_t nkeys = hist_key(edges[RG_HIST_NBINS - 1]) - key0 + 1;
    RG_ASSERT(nkeys <= HIST_NKEYS && RG_HIST_NBINS <= 256);
    int b = 1;
    for (uint64_t k = 0; k < nkeys; k++) {
        uint64_t u = (key0 + k) << HIST_SHIFT;
        double x;
        memcpy(&x, &u, sizeof x);
        while (b < RG_HIST_NBINS - 1 && x >= edges[b + 1])
            b++;
        hist_start[k] = (uint8_t)b;
    }
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

/* The bin of s: the last i in [1, NBINS-1] with edges[i] <= s, or 0 (below
 * 1 us, or NaN). */
int rg_hist_bin(double s)
{
    pthread_once(&edges_once, init_edges);
    if (!(s >= edges[1]))
        return 0;
    if (s >= edges[RG_HIST_NBINS - 1])
        return RG_HIST_NBINS - 1;
    int b = hist_start[hist_key(s) - key0];
    while (s >= edges[b + 1])
        b++;
    return b;
}

/* ---- task output -------------------------------------------------------- */

struct rg_repout {
    rg_mval *row; /* one value per metric, filled by the experiment; owned */
    size_t nmet;
    int col_events, col_sim_end; /* columns of those roles, or -1 */
    bool done;
    uint64_t events; /* events of the engine, set by rg_rep_end */
    uint64_t *hist;  /* the worker's histogram for this variant (borrowed) */
    bool keep_latencies;
    double *lat; /* raw latencies (s), if keep_latencies */
    size_t nlat, latcap;
    bool want_timeline; /* true for replication 0 */
    rg_tlpoint *tl;
    size_t ntl, tlcap;
    /* Event budget of the replication (0: none).  A run whose engine stops
     * on the budget fails (error) instead of reporting a truncated
     * replication. */
    uint64_t max_events;
    /* The GSL generator type of the replication's streams ([scenario] rng);
     * NULL: the engine's default, MT19937. */
    const gsl_rng_type *rng_type;
    /* The engine of the last task, kept for the next one (rg_rep_begin
     * resets it): its heap, slots and generators are allocated once per
     * worker, not once per replication.  NULL while a task holds it. */
    rg_engine *spare;
    bool interrupted; /* stopped by rg_rep_request_stop: not a failure */
    char error[256];
};

rg_mval *rg_repout_row(rg_repout *o)
{
    return o->row;
}

void rg_repout_fail(rg_repout *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->error, sizeof o->error, fmt, ap);
    va_end(ap);
    if (o->error[0] == '\0')
        snprintf(o->error, sizeof o->error, "failed");
}

const char *rg_repout_error(const rg_repout *o)
{
    return o->error[0] ? o->error : NULL;
}

bool rg_repout_done(const rg_repout *o)
{
    return o->done;
}

uint64_t rg_repout_events(const rg_repout *o)
{
    return o->events;
}

rg_repout *rg_repout_new(const rg_metric *met, size_t nmet, uint64_t max_events,
                         const gsl_rng_type *rng_type)
{
    rg_repout *o = rg_xcalloc(1, sizeof *o);
    o->nmet = nmet;
    o->row = rg_xcalloc(nmet ? nmet : 1, sizeof *o->row);
    o->col_events = o->col_sim_end = -1;
    for (size_t m = 0; m < nmet; m++) {
        if (met[m].role == RG_ROLE_EVENTS && o->col_events < 0)
            o->col_events = (int)m;
        if (met[m].role == RG_ROLE_SIM_END && o->col_sim_end < 0)
            o->col_sim_end = (int)m;
    }
    o->max_events = max_events;
    o->rng_type = rng_type;
    return o;
}

void rg_repout_free(rg_repout *o)
{
    if (o == NULL)
        return;
    free(o->row);
    free(o->lat);
    free(o->tl);
    rg_engine_free(o->spare);
    free(o);
}

void rg_repout_reset(rg_repout *o, uint64_t *hist, bool keep_latencies, bool want_timeline)
{
    memset(o->row, 0, (o->nmet ? o->nmet : 1) * sizeof *o->row);
    o->done = false;
    o->events = 0;
    o->interrupted = false;
    o->error[0] = '\0';
    o->hist = hist;
    o->keep_latencies = keep_latencies;
    o->want_timeline = want_timeline;
    o->nlat = 0;
    o->ntl = 0;
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

rg_tlpoint *rg_repout_take_timeline(rg_repout *o, size_t *n)
{
    rg_tlpoint *tl = o->tl;
    *n = o->ntl;
    o->tl = NULL;
    o->ntl = o->tlcap = 0;
    return tl;
}

double *rg_repout_take_latencies(rg_repout *o, size_t *n)
{
    double *lat = o->lat;
    *n = o->nlat;
    o->lat = NULL;
    o->nlat = o->latcap = 0;
    return lat;
}

/* ---- the replication skeleton ------------------------------------------- */

rg_engine *rg_rep_begin(rg_repout *out, uint64_t seed, uint64_t rep)
{
    rg_engine *e = out->spare;
    if (e == NULL)
        return rg_engine_new(seed, rep, out->rng_type);
    out->spare = NULL;
    rg_engine_reset(e, seed, rep, out->rng_type);
    return e;
}

/* A stop request (SIGINT, SIGTERM, SIGHUP): replications in flight end at
 * their next slice of events instead of running for minutes.  Set from a
 * signal handler and read by the workers: a lock-free atomic, which both
 * may touch (a volatile sig_atomic_t is for one thread and its handler;
 * across threads its use is a data race). */
static atomic_int stop_request;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler may store to an atomic_int");

void rg_rep_request_stop(bool stop)
{
    atomic_store_explicit(&stop_request, stop, memory_order_relaxed);
}

bool rg_repout_interrupted(const rg_repout *o)
{
    return o->interrupted;
}

/* Events between two looks at the stop request: about 0.1 s of work. */
#define STOP_SLICE ((uint64_t)1 << 20)

bool rg_rep_run(rg_repout *out, rg_engine *e, rg_time until)
{
    uint64_t start = rg_engine_events(e);
    for (;;) {
        uint64_t used = rg_engine_events(e) - start;
        uint64_t slice = STOP_SLICE;
        if (out->max_events != 0 && out->max_events - used < slice)
            slice = out->max_events - used;
        /* Stopping and resuming between slices fires the same events in the
         * same order: the slices change nothing but when the flag is read. */
        rg_runstop st = slice == 0 ? RG_RUN_BUDGET : rg_engine_run(e, until, slice);
        if (st == RG_RUN_END_OF_TIME) {
            snprintf(out->error, sizeof out->error,
                     "simulated time reached its end (about 292 years) after %llu events: the "
                     "scenario's delays add up to more than that; make them shorter or fewer",
                     (unsigned long long)(rg_engine_events(e) - start));
            return false;
        }
        if (st != RG_RUN_BUDGET)
            return true;
        if (out->max_events != 0 && rg_engine_events(e) - start >= out->max_events) {
            snprintf(out->error, sizeof out->error,
                     "stopped after the event budget of %llu events ([scenario] max_events) at "
                     "simulated %.3f s",
                     (unsigned long long)out->max_events, rg_time_sec(rg_now(e)));
            return false;
        }
        if (atomic_load_explicit(&stop_request, memory_order_relaxed)) {
            out->interrupted = true;
            snprintf(out->error, sizeof out->error, "interrupted");
            return false;
        }
    }
}

void rg_rep_end(rg_repout *out, rg_engine *e)
{
    out->events = rg_engine_events(e);
    if (out->col_events >= 0)
        out->row[out->col_events].i = (int64_t)out->events;
    if (out->col_sim_end >= 0)
        out->row[out->col_sim_end].d = rg_time_sec(rg_now(e));
    out->done = out->error[0] == '\0';
    if (out->spare == NULL)
        out->spare = e;
    else
        rg_engine_free(e);
}
