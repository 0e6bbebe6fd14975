/*
 * row-t: the single versioned row (row.h), driven directly on an engine by
 * scripted statements with no network in between.  Service times are
 * constant, so every completion time is worked out by hand.
 *
 * Checked: with a 1 ms service time, a read and two commits of version 0
 * arriving together complete at 1, 2 and 3 ms in arrival order; the read
 * sees 0, the first commit lands (version 1), the second meets the changed
 * version and is refused as a transient conflict, "the version moved on",
 * leaving the version at 1; a read arriving when the server is idle takes
 * one service time.  Twenty commits arriving every 0.5 ms, each expecting
 * the version the previous one made, queue up (the ring wraps and grows)
 * and all land, the k-th at k ms.  A fault storm of one commit refuses the
 * first commit even though its version is right ("injected by [faults]")
 * and lets the next one land.  rg_row_apply alone, and rg_row_free(NULL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/stores/row.h"
#include "sim/engine/engine.h"
#include "tests/tap/basic.h"

#define MAXSTMT 32

/* One scripted statement and what became of it. */
typedef struct stmt {
    rg_row *row;
    rg_time at;       /* arrival at the server */
    bool commit;      /* else a read */
    int64_t expected; /* commit: the version it was read at */
    bool done;
    rg_time done_at;
    rg_row_res res;
    int order; /* 1 for the first statement to complete, ... */
} stmt;

static int completed;

static void on_done(rg_engine *e, void *ctx, uint64_t tag, const rg_row_res *res)
{
    (void)tag;
    stmt *s = ctx;
    s->done = true;
    s->done_at = rg_now(e);
    s->res = *res;
    s->order = ++completed;
}

static void on_arrive(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    stmt *s = ctx;
    if (s->commit)
        rg_row_commit(s->row, s->expected, on_done, s, 0);
    else
        rg_row_read(s->row, on_done, s, 0);
}

/* Runs the statements st[0..n) against a fresh row; returns its final
 * version.  faults may be NULL. */
static int64_t run(stmt *st, size_t n, const char *service, const rg_faults_cfg *faults)
{
    rg_err err;
    rg_err_clear(&err);
    rg_dist *svc = rg_dist_parse(service, RG_QTY_DURATION, &err);
    if (svc == NULL)
        bail("service '%s': %s", service, err.msg);
    rg_engine *e = rg_engine_new(7, 0, NULL);
    rg_row *row = rg_row_new(e, svc, faults);
    completed = 0;
    for (size_t i = 0; i < n; i++) {
        st[i].row = row;
        rg_at(e, st[i].at, RG_PRIO_DEFAULT, on_arrive, &st[i], 0);
    }
    rg_engine_run(e, RG_TIME_MAX, 0);
    int64_t v = rg_row_version(row);
    rg_row_free(row);
    rg_engine_free(e);
    rg_dist_free(svc);
    return v;
}

static void conflict(void)
{
    stmt st[4] = {
        {.at = 0},
        {.at = 0, .commit = true, .expected = 0},
        {.at = 0, .commit = true, .expected = 0},
        {.at = 10 * RG_MS},
    };
    int64_t v = run(st, 4, "const(1ms)", NULL);
    is_int(1, st[0].order, "FIFO: the read completes first");
    is_int(2, st[1].order, "FIFO: the first commit second");
    is_int(3, st[2].order, "FIFO: the second commit third");
    is_int(1 * RG_MS, st[0].done_at, "read done after one service time");
    is_int(2 * RG_MS, st[1].done_at, "first commit waits for the read: done at 2 ms");
    is_int(3 * RG_MS, st[2].done_at, "second commit done at 3 ms");
    is_int(0, st[0].res.version, "the read sees version 0");
    is_int(RG_BO_OK, st[1].res.res, "the first commit of version 0 lands");
    is_int(1, st[1].res.version, "... making version 1");
    is_int(RG_BO_TRANSIENT, st[2].res.res,
           "a commit that meets a changed version is refused as a conflict");
    is_string("the version moved on", st[2].res.why ? st[2].res.why : "(null)",
              "... saying the version moved on");
    is_int(1, st[2].res.version, "... and changes nothing");
    is_int(11 * RG_MS, st[3].done_at, "a read reaching an idle server: one service time");
    is_int(1, st[3].res.version, "... and sees the landed commit");
    is_int(1, v, "the row holds one commit");
}

static void queue_grows(void)
{
    stmt st[20];
    memset(st, 0, sizeof st);
    for (int i = 0; i < 20; i++)
        st[i] = (stmt){.at = i * RG_MS / 2, .commit = true, .expected = i};
    int64_t v = run(st, 20, "const(1ms)", NULL);
    bool fifo = true, landed = true, timed = true;
    for (int i = 0; i < 20; i++) {
        fifo = fifo && st[i].order == i + 1;
        landed = landed && st[i].res.res == RG_BO_OK && st[i].res.version == i + 1;
        timed = timed && st[i].done_at == (i + 1) * RG_MS;
    }
    ok(fifo, "20 queued commits complete in arrival order");
    ok(landed, "each expects the version the previous one made: all land");
    ok(timed, "the k-th completes at k ms (one server, 1 ms each)");
    is_int(20, v, "the row holds 20 commits");
}

static void faults(void)
{
    rg_err err;
    rg_err_clear(&err);
    rg_faults_cfg f = {0};
    f.storm_count = 1;
    f.storm_duration = rg_dist_parse("const(0)", RG_QTY_DURATION, &err);
    if (f.storm_duration == NULL)
        bail("storm_duration: %s", err.msg);
    stmt st[2] = {
        {.at = 0, .commit = true, .expected = 0},
        {.at = 5 * RG_MS, .commit = true, .expected = 0},
    };
    int64_t v = run(st, 2, "const(0)", &f);
    is_int(RG_BO_TRANSIENT, st[0].res.res, "a storm of one refuses a commit of the right version");
    is_string("injected by [faults]", st[0].res.why ? st[0].res.why : "(null)", "... as injected");
    is_int(RG_BO_OK, st[1].res.res, "the storm spent, the next commit lands");
    is_int(1, v, "the row holds one commit");
    rg_faults_cfg_free(&f);
}

static void apply(void)
{
    int64_t version = 3;
    const char *why = NULL;
    is_int(RG_BO_TRANSIENT, rg_row_apply(NULL, 0, &version, 2, &why),
           "rg_row_apply: a stale version is refused");
    is_int(3, version, "... and the version is unchanged");
    is_int(RG_BO_OK, rg_row_apply(NULL, 0, &version, 3, &why), "rg_row_apply: the current lands");
    is_int(4, version, "... and the version is incremented");
    rg_row_free(NULL);
    ok(true, "rg_row_free(NULL) is a no-op");
}

int main(void)
{
    plan(15 + 4 + 4 + 5);
    conflict();
    queue_grows();
    faults();
    apply();
    return 0;
}
