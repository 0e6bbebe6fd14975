/*
 * row.c: a single versioned row behind a FIFO server (see row.h).
 *
 * Each arriving statement is queued and one completion event is scheduled
 * at the time the server will have executed it.  Completion times never
 * decrease and the engine breaks ties by insertion order, so completion
 * events fire in arrival order: each one executes the statement at the
 * head of the queue.  The queue is a ring that grows on demand; it holds
 * the statements between arrival and completion.
 */
#include "models/stores/row.h"

#include <stdbool.h>
#include <stdlib.h>

#include "sim/engine/util.h"

typedef struct stmt {
    bool commit;
    int64_t expected;
    rg_row_cb cb;
    void *ctx;
    uint64_t tag;
} stmt;

struct rg_row {
    rg_engine *e;
    const rg_dist *service;
    gsl_rng *svc;
    bool has_faults;
    rg_faults faults;
    int64_t version;
    rg_time busy_until; /* when the server has executed every queued statement */
    stmt *q;            /* ring of queued statements */
    size_t cap, head, len;
};

rg_row *rg_row_new(rg_engine *e, const rg_dist *service, const rg_faults_cfg *faults)
{
    rg_row *row = rg_xcalloc(1, sizeof *row);
    row->e = e;
    row->service = service;
    row->svc = rg_engine_stream(e, "service");
    if (faults != NULL) {
        row->has_faults = true;
        rg_faults_init(&row->faults, faults, e);
    }
    return row;
}

void rg_row_free(rg_row *row)
{
    if (row == NULL)
        return;
    free(row->q);
    free(row);
}

rg_bo_res rg_row_apply(rg_faults *f, rg_time now, int64_t *version, int64_t expected,
                       const char **why)
{
    rg_bo_res res = f ? rg_faults_commit(f, now) : RG_BO_OK;
    if (res != RG_BO_OK) {
        *why = "injected by [faults]";
        return res;
    }
    if (*version != expected) {
        *why = "the version moved on";
        return RG_BO_TRANSIENT;
    }
    (*version)++;
    return RG_BO_OK;
}

static void on_executed(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    rg_row *row = ctx;
    RG_ENGINE_ASSERT(e, row->len > 0);
    stmt s = row->q[row->head];
    row->head = (row->head + 1) % row->cap;
    row->len--;
    rg_row_res r = {RG_BO_OK, 0, NULL};
    if (s.commit)
        r.res = rg_row_apply(row->has_faults ? &row->faults : NULL, rg_now(e), &row->version,
                             s.expected, &r.why);
    r.version = row->version;
    s.cb(e, s.ctx, s.tag, &r);
}

/* Queues s and schedules its completion: the server starts it when it has
 * finished every statement before it. */
static void arrive(rg_row *row, stmt s)
{
    if (row->len == row->cap) {
        size_t cap = row->cap ? 2 * row->cap : 8;
        stmt *q = rg_xcalloc(cap, sizeof *q);
        for (size_t i = 0; i < row->len; i++)
            q[i] = row->q[(row->head + i) % row->cap];
        free(row->q);
        row->q = q;
        row->cap = cap;
        row->head = 0;
    }
    row->q[(row->head + row->len++) % row->cap] = s;
    rg_time now = rg_now(row->e);
    rg_time start = row->busy_until > now ? row->busy_until : now;
    row->busy_until = start + rg_dist_sample_time(row->service, row->svc);
    rg_at(row->e, row->busy_until, RG_PRIO_DEFAULT, on_executed, row, 0);
}

void rg_row_read(rg_row *row, rg_row_cb cb, void *ctx, uint64_t tag)
{
    arrive(row, (stmt){false, 0, cb, ctx, tag});
}

void rg_row_commit(rg_row *row, int64_t expected, rg_row_cb cb, void *ctx, uint64_t tag)
{
    arrive(row, (stmt){true, expected, cb, ctx, tag});
}

int64_t rg_row_version(const rg_row *row)
{
    return row->version;
}
