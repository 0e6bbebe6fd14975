/*
 * mpi.c: `mpirun -n P revguard-sim run|sweep ...`.  Each rank computes one
 * share of the replications (rank r the share r+1 of P, as --shard would:
 * shard.c), with its own threads; rank 0 gathers every rank's rows,
 * histograms, raw latencies and event counts, joins them in replication
 * order (rg_results_append: integers and rows, never a floating-point
 * reduction, so the result does not depend on P) and alone prints and
 * writes, with HDF5 staying serial.  The datasets equal those of -j1.
 * Rank 0 alone keeps large rows in a file beside the output (its own
 * share's and the joined run's); the other ranks, which may run where
 * that directory is not, keep theirs in memory.
 *
 * An interrupt (mpirun forwards SIGINT and SIGTERM to every rank) stops
 * every rank's run; rank 0 keeps the prefix of replications that is
 * complete across the ranks, as a local run keeps its own.
 *
 * Built only with ./configure --with-mpi; without it every function here
 * says "one process, rank 0".  MPI is initialised only when the program was
 * started by an MPI launcher, so a plain start never waits for one.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#ifdef HAVE_MPI
#include <mpi.h>
#endif

static int g_rank = 0, g_size = 1;
#ifdef HAVE_MPI
static bool g_on;
#endif

void cli_mpi_init(int *argc, char ***argv)
{
#ifdef HAVE_MPI
    if (getenv("OMPI_COMM_WORLD_SIZE") == NULL && getenv("PMI_SIZE") == NULL &&
        getenv("PMIX_RANK") == NULL)
        return;
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    g_on = true;
    if (g_rank > 0)
        rg_atomic_reserve_checks_only(); /* rank 0 writes every output */
#else
    (void)argc;
    (void)argv;
#endif
}

void cli_mpi_finalize(void)
{
#ifdef HAVE_MPI
    if (g_on)
        MPI_Finalize();
#endif
}

int cli_mpi_agree(int rc, rg_err *e)
{
#ifdef HAVE_MPI
    if (g_on) {
        int mine = rc < 0 ? 1 : 0, any = 0;
        MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        if (any && rc == 0)
            return rg_err_set(e, RG_ERR_INPUT,
                              "another MPI rank refused the run before it started (its "
                              "message says why)");
    }
#else
    (void)e;
#endif
    return rc;
}

int cli_mpi_rank(void)
{
    return g_rank;
}

int cli_mpi_size(void)
{
    return g_size;
}

#ifdef HAVE_MPI

/* ---- a share's results as bytes ------------------------------------------- */

static void put(rg_buf *b, const void *p, size_t n)
{
    rg_xgrow((void **)&b->s, &b->cap, b->len + n + 1, 1);
    memcpy(b->s + b->len, p, n);
    b->len += n;
}

static void put_u64(rg_buf *b, uint64_t x)
{
    put(b, &x, sizeof x);
}

static void pack(const rg_results *r, rg_buf *b)
{
    put_u64(b, r->reps_done);
    put_u64(b, r->interrupted);
    put_u64(b, r->events);
    for (size_t v = 0; v < r->nvar; v++)
        put(b, &r->rows[v * r->reps * r->nmet], r->reps_done * r->nmet * sizeof *r->rows);
    put(b, r->hist, r->nvar * RG_HIST_NBINS * sizeof *r->hist);
    for (size_t v = 0; v < r->nvar; v++) {
        put_u64(b, r->lat[v] ? r->nlat[v] : UINT64_MAX);
        if (r->lat[v])
            put(b, r->lat[v], r->nlat[v] * sizeof *r->lat[v]);
    }
    const char *err = r->error ? r->error : "";
    put_u64(b, strlen(err));
    put(b, err, strlen(err));
}

typedef struct reader {
    const unsigned char *p, *end;
} reader;

static void take(reader *rd, void *out, size_t n)
{
    RG_ASSERT((size_t)(rd->end - rd->p) >= n); /* ranks run the same program */
    memcpy(out, rd->p, n);
    rd->p += n;
}

static uint64_t take_u64(reader *rd)
{
    uint64_t x;
    take(rd, &x, sizeof x);
    return x;
}

/* A share's results, shaped as `like` (same variants and metrics). */
static rg_results *unpack(const rg_results *like, reader *rd)
{
    uint64_t done = take_u64(rd);
    rg_results *r = rg_results_new(like->nvar, (const char *const *)like->varnames, like->nmet,
                                   like->met, done);
    r->reps_done = done;
    r->interrupted = take_u64(rd) != 0;
    r->events = take_u64(rd);
    for (size_t v = 0; v < r->nvar; v++)
        take(rd, &r->rows[v * r->reps * r->nmet], done * r->nmet * sizeof *r->rows);
    take(rd, r->hist, r->nvar * RG_HIST_NBINS * sizeof *r->hist);
    for (size_t v = 0; v < r->nvar; v++) {
        uint64_t n = take_u64(rd);
        if (n == UINT64_MAX)
            continue;
        r->lat[v] = rg_xmalloc((n ? n : 1) * sizeof *r->lat[v]);
        take(rd, r->lat[v], n * sizeof *r->lat[v]);
        r->nlat[v] = n;
    }
    uint64_t el = take_u64(rd);
    if (el > 0) {
        char *err = rg_xcalloc(el + 1, 1);
        take(rd, err, el);
        r->error = err;
    }
    return r;
}

/* Rank 0: joins the ranks' shares in order, into rows made once for the
 * whole run (in an unnamed file in spill where they are large:
 * rg_results_grow; in memory if that file cannot be made); a share that
 * is not whole ends the complete prefix. */
static void gather(rg_results *r, uint64_t whole0, const rg_results *like, uint64_t total,
                   const char *spill)
{
    rg_err ge;
    rg_err_clear(&ge);
    if (rg_results_grow(r, total, spill, &ge) < 0)
        (void)rg_results_grow(r, total, NULL, &ge);
    bool prefix = !r->interrupted && r->reps_done == whole0;
    for (int k = 1; k < g_size; k++) {
        MPI_Status st;
        int n;
        MPI_Probe(k, 0, MPI_COMM_WORLD, &st);
        MPI_Get_count(&st, MPI_BYTE, &n);
        unsigned char *buf = rg_xmalloc(n > 0 ? (size_t)n : 1);
        MPI_Recv(buf, n, MPI_BYTE, k, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        reader rd = {buf, buf + n};
        rg_results *part = unpack(like, &rd);
        free(buf);
        uint64_t first, count;
        cli_shard_block(total, (uint64_t)k + 1, (uint64_t)g_size, &first, &count);
        if (part->error && !r->error)
            r->error = rg_xstrdup(part->error);
        if (prefix) {
            rg_err e;
            rg_err_clear(&e);
            RG_ASSERT(rg_results_append(r, part, &e) == 0);
            prefix = !part->interrupted && part->reps_done == count;
        }
        rg_results_free(part);
    }
    r->interrupted = r->reps_done < total && r->error == NULL;
    rg_results_reserve(r, total);
}

#endif

rg_results *cli_mpi_run(const args *a, const rg_study *l, rg_runopts o, rg_err *e)
{
#ifdef HAVE_MPI
    if (a->nuntil_ci > 0 || a->shard_n > 0) {
        rg_err_set(e, RG_ERR_INPUT,
                   "under mpirun the ranks share the replications: --until-ci and --shard "
                   "apply to a run on one machine");
        return NULL;
    }
    uint64_t total = o.reps, first, count;
    cli_shard_block(total, (uint64_t)g_rank + 1, (uint64_t)g_size, &first, &count);
    o.first_rep = first;
    o.reps = count;
    o.progress = o.progress && g_rank == 0;
    rg_results *r = count > 0 ? rg_run(l->ops, l->cfg, &o, e) : NULL;
    if (r == NULL) {
        /* a share with no replication (more ranks than replications) */
        size_t nmet;
        const rg_metric *met = l->ops->metrics(l->cfg, &nmet);
        size_t nvar = o.only ? o.nonly : l->ops->nvariants(l->cfg);
        const char **names = rg_xcalloc(nvar ? nvar : 1, sizeof *names);
        for (size_t v = 0; v < nvar; v++)
            names[v] = l->ops->variant_name(l->cfg, o.only ? o.only[v] : v);
        r = rg_results_new(nvar, names, nmet, met, 0);
        free(names);
        rg_results_set_timeline_names(r, l->ops->timeline);
        r->seed = o.seed;
    }
    if (g_rank > 0) {
        rg_buf b = {0};
        pack(r, &b);
        RG_ASSERT(b.len <= INT_MAX);
        MPI_Send(b.s, (int)b.len, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        rg_buf_free(&b);
        return r; /* the caller writes nothing on this rank */
    }
    rg_results *like =
        rg_results_new(r->nvar, (const char *const *)r->varnames, r->nmet, r->met, 0);
    gather(r, count, like, total, o.spill_dir);
    rg_results_free(like);
    return r;
#else
    (void)a;
    return rg_run(l->ops, l->cfg, &o, e);
#endif
}
