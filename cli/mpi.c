/*
 * mpi.c: `mpirun -n P revguard-sim run|sweep ...`.  Each rank computes one
 * share of the replications (rank r the share r+1 of P, as --shard would:
 * shard.c), with its own threads; rank 0 gathers every rank's rows,
 * histograms, raw latencies and event counts, joins them in replication
 * order (as rg_results_append does: integers and rows, never a
 * floating-point reduction, so the result does not depend on P) and alone
 * prints and writes, with HDF5 staying serial.  The datasets equal those
 * of -j1.  Shares travel in pieces of at most 16 MB (below).
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

/* ---- a share's results, sent in pieces ------------------------------------
 *
 * Each rank but 0 sends, in this order and with tag 0 (MPI keeps the order
 * of one sender's messages with one tag):
 *
 *   a head: replications done, interrupted, events, the error's length,
 *           for each variant its raw latencies' count (UINT64_MAX: none
 *           kept), the histograms, the error's text;
 *   the rows of each variant in turn, whole replications per message;
 *   the raw latencies of each variant that kept them.
 *
 * Rows and latencies go straight from the share's arrays, at most
 * `chunk` bytes a message, and rank 0 receives them straight into their
 * place in the joined run (letting spilled rows go back to their file as
 * they come): no rank copies a share whole, and no message nears MPI's
 * limit of INT_MAX elements, whatever the number of replications.  Rank 0
 * takes the size of each piece from the message itself, so the ranks need
 * not agree on `chunk`. */

/* Bytes a message carries at most: 16 MB, or REVGUARD_MPI_CHUNK (bytes,
 * 1 to 1 GB; for tests, which make pieces small to have many). */
static size_t chunk_bytes(void)
{
    const char *s = getenv("REVGUARD_MPI_CHUNK");
    if (s != NULL && *s >= '0' && *s <= '9') {
        char *end;
        unsigned long long x = strtoull(s, &end, 10);
        if (*end == '\0' && x >= 1 && x <= (1u << 30))
            return (size_t)x;
    }
    return (size_t)16 << 20;
}

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

/* Sends n bytes from p in messages of at most `most` bytes, each a whole
 * number of `unit`s. */
static void send_pieces(const void *p, size_t n, size_t unit, size_t most)
{
    size_t per = most / unit > 0 ? most / unit * unit : unit;
    for (size_t at = 0; at < n; at += per) {
        size_t k = n - at < per ? n - at : per;
        RG_ASSERT(k <= INT_MAX);
        MPI_Send((const char *)p + at, (int)k, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
}

/* Rank k > 0: sends its share r to rank 0. */
static void send_share(const rg_results *r)
{
    rg_buf b = {0};
    const char *err = r->error ? r->error : "";
    put_u64(&b, r->reps_done);
    put_u64(&b, r->interrupted);
    put_u64(&b, r->events);
    put_u64(&b, strlen(err));
    for (size_t v = 0; v < r->nvar; v++)
        put_u64(&b, r->lat[v] ? r->nlat[v] : UINT64_MAX);
    put(&b, r->hist, r->nvar * RG_HIST_NBINS * sizeof *r->hist);
    put(&b, err, strlen(err));
    RG_ASSERT(b.len <= INT_MAX);
    MPI_Send(b.s, (int)b.len, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    rg_buf_free(&b);
    size_t most = chunk_bytes(), row = r->nmet * sizeof *r->rows;
    for (size_t v = 0; v < r->nvar; v++)
        if (row > 0)
            send_pieces(&r->rows[v * r->reps * r->nmet], r->reps_done * row, row, most);
    for (size_t v = 0; v < r->nvar; v++)
        if (r->lat[v])
            send_pieces(r->lat[v], r->nlat[v] * sizeof *r->lat[v], sizeof *r->lat[v], most);
}

/* The size in bytes of rank k's next message (waits for it). */
static size_t next_message(int k)
{
    MPI_Status st;
    int count;
    MPI_Probe(k, 0, MPI_COMM_WORLD, &st);
    MPI_Get_count(&st, MPI_BYTE, &count);
    RG_ASSERT(count >= 0);
    return (size_t)count;
}

/* Receives n bytes from rank k, sent by send_pieces, into dst (NULL: read
 * and thrown away).  After each piece, `got(ctx, bytes so far)`, if not
 * NULL. */
static void recv_pieces(int k, void *dst, size_t n, size_t unit,
                        void (*got)(void *ctx, size_t bytes), void *ctx)
{
    unsigned char *scratch = NULL;
    size_t scap = 0;
    for (size_t at = 0; at < n;) {
        size_t m = next_message(k);
        /* the ranks run the same program on the same scenario */
        RG_ASSERT(m > 0 && m <= n - at && m % unit == 0);
        void *to = dst ? (char *)dst + at : NULL;
        if (to == NULL) {
            if (m > scap) {
                free(scratch);
                scratch = rg_xmalloc(m);
                scap = m;
            }
            to = scratch;
        }
        MPI_Recv(to, (int)m, MPI_BYTE, k, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        at += m;
        if (got)
            got(ctx, at);
    }
    free(scratch);
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

/* A share's head (send_share). */
typedef struct share_head {
    uint64_t done, events;
    bool interrupted;
    uint64_t *nlat; /* per variant; UINT64_MAX: none kept */
    uint64_t *hist;
    char *error; /* NULL: none */
} share_head;

static void recv_head(int k, size_t nvar, share_head *h)
{
    size_t n = next_message(k);
    unsigned char *buf = rg_xmalloc(n > 0 ? n : 1);
    MPI_Recv(buf, (int)n, MPI_BYTE, k, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    reader rd = {buf, buf + n};
    h->done = take_u64(&rd);
    h->interrupted = take_u64(&rd) != 0;
    h->events = take_u64(&rd);
    uint64_t el = take_u64(&rd);
    h->nlat = rg_xcalloc(nvar ? nvar : 1, sizeof *h->nlat);
    for (size_t v = 0; v < nvar; v++)
        h->nlat[v] = take_u64(&rd);
    h->hist = rg_xcalloc(nvar > 0 ? nvar * RG_HIST_NBINS : 1, sizeof *h->hist);
    take(&rd, h->hist, nvar * RG_HIST_NBINS * sizeof *h->hist);
    RG_ASSERT(el == (uint64_t)(rd.end - rd.p));
    h->error = NULL;
    if (el > 0) {
        h->error = rg_xcalloc(el + 1, 1);
        take(&rd, h->error, el);
    }
    free(buf);
}

static void head_free(share_head *h)
{
    free(h->nlat);
    free(h->hist);
    free(h->error);
}

/* Letting rows of variant v that arrived go back to their file. */
typedef struct arriving {
    rg_results *r;
    size_t v;
    uint64_t base, gone; /* the first replication received into; let go up to */
} arriving;

static void rows_arrived(void *ctx, size_t bytes)
{
    arriving *a = ctx;
    uint64_t reps = bytes / (a->r->nmet * sizeof *a->r->rows);
    a->gone = rg_results_let_go(a->r, a->v, a->gone, a->base + reps);
}

/* Rank 0: receives rank k's share and joins it after r's replications
 * (as rg_results_append would, in place: r has room for every rank's), if
 * `join`; else reads it and throws it away.  *h: the share's head (free
 * it with head_free). */
static void recv_share(rg_results *r, int k, bool join, share_head *h)
{
    recv_head(k, r->nvar, h);
    size_t row = r->nmet * sizeof *r->rows;
    if (join)
        RG_ASSERT(r->reps_done + h->done <= r->reps);
    for (size_t v = 0; v < r->nvar; v++) {
        if (row == 0)
            continue;
        arriving a = {r, v, r->reps_done, r->reps_done};
        recv_pieces(k, join ? &r->rows[(v * r->reps + r->reps_done) * r->nmet] : NULL,
                    h->done * row, row, join ? rows_arrived : NULL, &a);
    }
    for (size_t v = 0; v < r->nvar; v++) {
        uint64_t n = h->nlat[v];
        bool keep = join && r->lat[v] != NULL && n != UINT64_MAX;
        if (keep)
            r->lat[v] = rg_xrealloc(r->lat[v], (r->nlat[v] + n + 1) * sizeof *r->lat[v]);
        if (n != UINT64_MAX)
            recv_pieces(k, keep ? r->lat[v] + r->nlat[v] : NULL, n * sizeof *r->lat[v],
                        sizeof *r->lat[v], NULL, NULL);
        if (keep) {
            r->nlat[v] += n;
        } else if (join) { /* raw latencies are kept only if every share kept them */
            free(r->lat[v]);
            r->lat[v] = NULL;
            r->nlat[v] = 0;
        }
    }
    if (!join)
        return;
    for (size_t i = 0; i < r->nvar * RG_HIST_NBINS; i++)
        r->hist[i] += h->hist[i];
    r->reps_done += h->done;
    r->events += h->events;
    r->interrupted = h->interrupted;
    free(r->sum);
    r->sum = NULL;
}

/* Rank 0: joins the ranks' shares in order, into rows made once for the
 * whole run (in an unnamed file in spill where they are large:
 * rg_results_grow; in memory if that file cannot be made); a share that
 * is not whole ends the complete prefix. */
static void gather(rg_results *r, uint64_t whole0, uint64_t total, const char *spill)
{
    rg_err ge;
    rg_err_clear(&ge);
    if (rg_results_grow(r, total, spill, &ge) < 0)
        (void)rg_results_grow(r, total, NULL, &ge);
    bool prefix = !r->interrupted && r->reps_done == whole0;
    for (int k = 1; k < g_size; k++) {
        share_head h;
        recv_share(r, k, prefix, &h);
        uint64_t first, count;
        cli_shard_block(total, (uint64_t)k + 1, (uint64_t)g_size, &first, &count);
        if (h.error && !r->error)
            r->error = rg_xstrdup(h.error);
        if (prefix)
            prefix = !h.interrupted && h.done == count;
        head_free(&h);
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
        send_share(r);
        return r; /* the caller writes nothing on this rank */
    }
    gather(r, count, total, o.spill_dir);
    return r;
#else
    (void)a;
    return rg_run(l->ops, l->cfg, &o, e);
#endif
}
