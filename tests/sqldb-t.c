/*
 * sqldb-t: the regional SQL database (sqldb.h), driven directly on an engine
 * by scripted clients with no network in between: each client connects,
 * then issues its statements one after another, each as soon as the
 * previous one's result is back (or after a scripted delay).  Statement
 * times are constant, so every lock wait and completion time is worked out
 * by hand.
 *
 * Checked: a statement takes its row lock when it starts executing, not when
 * it arrives (a blocked one gives its worker back and resumes first when
 * granted); row locks are granted in FIFO order and held until COMMIT, so
 * with one worker and a statement time s the k-th (k > 1) of N simultaneous
 * SELECT FOR UPDATE / UPDATE / COMMIT transactions asks for the lock when
 * the first SELECT is done (s) and gets it at (k - 1) * 3s; statements on
 * other rows share the worker queue but not the lock; a plain SELECT takes no
 * lock; the conditional UPDATE never goes below 0 and exactly `stock`
 * succeed; the naive SELECT -> UPDATE SET read - 1 with every read before any
 * write loses all but one decrement, while the relative UPDATE SET stock =
 * stock - 1 (no WHERE) after the same reads loses none and takes the row
 * below 0; the lock timeout fails only the waiting
 * statement, exactly lock_timeout after it asked, and leaves no ghost in the
 * row's queue; closing a connection releases its locks; the pool grants
 * `pool` connections, queues the next until a close, and fails it with
 * RG_SQL_POOL_TIMEOUT after pool_timeout.
 * A unit given back (UPDATE stock = stock + 1) is sold once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "models/stores/sqldb.h"
#include "tests/tap/basic.h"

#define OP_CLOSE 100
#define MAXSTEP 8
#define MAXTXN 32

typedef struct step {
    int op;        /* an rg_sqlop, or OP_CLOSE */
    rg_time delay; /* after the previous result (0: issued in its callback) */
    bool autocommit;
} step;

typedef struct txn {
    rg_engine *e;
    rg_sqldb *db;
    size_t row;
    rg_time start;
    step steps[MAXSTEP];
    size_t nsteps, cur;
    /* what happened */
    rg_sqlstatus conn_status;
    rg_time conn_at;
    bool connected;
    int64_t conn;
    int64_t last_read;
    rg_sqlres res[MAXSTEP];
    rg_time at[MAXSTEP];
    rg_time issued[MAXSTEP];
    int retries; /* connects left to make again after a pool timeout */
    bool warmed; /* rg_sqldb_warm's hook saw it before its answer */
    size_t ndone;
    int64_t min_row_seen; /* smallest row value seen at any result */
} txn;

typedef struct world {
    rg_engine *e;
    rg_sqldb *db;
    rg_dist *stmt;
    txn t[MAXTXN];
    size_t n;
} world;

static world *world_new(const char *stmt, int64_t workers, int64_t pool, rg_time pool_timeout,
                        rg_time lock_timeout, size_t nrows, int64_t initial)
{
    world *w = calloc(1, sizeof *w);
    if (w == NULL)
        bail("out of memory");
    rg_err err;
    rg_err_clear(&err);
    w->stmt = rg_dist_parse(stmt, RG_QTY_DURATION, &err);
    if (w->stmt == NULL)
        bail("stmt '%s': %s", stmt, err.msg);
    rg_sqldb_params p = {w->stmt, workers, pool, pool_timeout, lock_timeout};
    w->e = rg_engine_new(7, 0, NULL);
    w->db = rg_sqldb_new(w->e, &p, nrows, initial);
    return w;
}

static void world_free(world *w)
{
    rg_sqldb_free(w->db);
    rg_engine_free(w->e);
    rg_dist_free(w->stmt);
    free(w);
}

static void issue(txn *t);

static void on_issue(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    issue(ctx);
}

/* Moves to the next step: now if its delay is 0, else after the delay. */
static void next(txn *t)
{
    if (t->cur >= t->nsteps)
        return;
    if (t->steps[t->cur].delay == 0)
        issue(t);
    else
        rg_after(t->e, t->steps[t->cur].delay, RG_PRIO_DEFAULT, on_issue, t, 0);
}

static void on_result(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res)
{
    txn *t = ctx;
    if (tag != t->cur)
        bail("result for step %llu while at step %zu", (unsigned long long)tag, t->cur);
    t->res[t->cur] = *res;
    t->at[t->cur] = rg_now(e);
    int64_t v = rg_sqldb_row(t->db, t->row);
    if (v < t->min_row_seen)
        t->min_row_seen = v;
    int op = t->steps[t->cur].op;
    if (res->status == RG_SQL_OK && (op == RG_SQL_SELECT || op == RG_SQL_SELECT_FOR_UPDATE))
        t->last_read = res->value;
    t->ndone++;
    t->cur++;
    next(t);
}

static void issue(txn *t)
{
    const step *s = &t->steps[t->cur];
    t->issued[t->cur] = rg_now(t->e);
    if (s->op == OP_CLOSE) {
        rg_sqldb_close(t->db, t->conn);
        t->at[t->cur] = rg_now(t->e);
        t->ndone++;
        t->cur++;
        next(t);
        return;
    }
    /* UPDATE SET writes what the client read, minus one; the relative
     * UPDATE subtracts one */
    int64_t arg = s->op == RG_SQL_UPDATE_SUB ? 1 : t->last_read - 1;
    rg_sqldb_exec(t->db, t->conn, (rg_sqlop)s->op, t->row, arg, s->autocommit, on_result, t,
                  t->cur);
}

static void on_connected(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res)
{
    txn *t = ctx;
    (void)tag;
    t->conn_status = res->status;
    t->conn_at = rg_now(e);
    if (res->status == RG_SQL_POOL_TIMEOUT && t->retries > 0) {
        /* queues again from inside the timeout's callback */
        t->retries--;
        rg_sqldb_connect(t->db, on_connected, t, 0);
        return;
    }
    if (res->status != RG_SQL_OK)
        return;
    t->connected = true;
    t->conn = res->value;
    next(t);
}

static void on_start(rg_engine *e, void *ctx, uint64_t arg)
{
    txn *t = ctx;
    (void)e;
    (void)arg;
    rg_sqldb_connect(t->db, on_connected, t, 0);
}

/* Adds a client starting at `start` on `row` with the given script. */
static txn *client(world *w, rg_time start, size_t row, const step *steps, size_t nsteps)
{
    if (w->n == MAXTXN || nsteps > MAXSTEP)
        bail("too many clients or steps");
    txn *t = &w->t[w->n++];
    t->e = w->e;
    t->db = w->db;
    t->row = row;
    t->start = start;
    memcpy(t->steps, steps, nsteps * sizeof *steps);
    t->nsteps = nsteps;
    t->conn = -1;
    t->min_row_seen = INT64_MAX;
    rg_at(w->e, start, RG_PRIO_DEFAULT, on_start, t, 0);
    return t;
}

static void run(world *w)
{
    rg_engine_run(w->e, RG_TIME_MAX, 0);
}

#define S RG_SQL_SELECT
#define SFU RG_SQL_SELECT_FOR_UPDATE
#define SET RG_SQL_UPDATE_SET
#define DECR RG_SQL_UPDATE_DECR
#define SUB RG_SQL_UPDATE_SUB
#define INCR RG_SQL_UPDATE_INCR
#define COMMIT RG_SQL_COMMIT
#define ROLLBACK RG_SQL_ROLLBACK

/* ---- row locks ---------------------------------------------------------- */

static void test_lock_fifo(void)
{
    /* N = 8 transactions at t = 0 on row 0 (value 100), stmt 2 ms, one
     * worker.  Transaction 1's SELECT FOR UPDATE runs 0-2 ms holding the
     * lock; the other seven start executing at 2 ms, find it held, give the
     * worker back and wait for the lock from then.  Transaction k (1-based)
     * gets the lock when k-1 commits: each holds it for SELECT FOR UPDATE
     * + UPDATE + COMMIT = 3 x 2 ms (the next statement is issued in the
     * previous one's callback; a granted statement resumes first), so its
     * lock wait is (k - 1) * 6 - 2 ms (0 for k = 1), it reads 100 - (k - 1),
     * commits at k * 6 ms, and the row ends at 92. */
    const int N = 8;
    const rg_time s = 2 * RG_MS, hold = 3 * s;
    world *w = world_new("const(2ms)", 1, 0, 0, 0, 1, 100);
    const step script[] = {
        {SFU, 0, false}, {SET, 0, false}, {COMMIT, 0, false}, {OP_CLOSE, 0, false}};
    for (int k = 0; k < N; k++)
        client(w, 0, 0, script, 4);
    run(w);
    bool waits = true, reads = true, commits = true, later = true;
    for (int k = 0; k < N; k++) {
        txn *t = &w->t[k];
        rg_time want = k == 0 ? 0 : k * hold - s;
        if (t->ndone != 4 || t->res[0].lock_wait != want) {
            diag("txn %d: %zu steps, lock wait %lld ns, want %lld", k + 1, t->ndone,
                 (long long)t->res[0].lock_wait, (long long)want);
            waits = false;
        }
        reads = reads && t->res[0].value == 100 - k;
        commits = commits && t->at[2] == (k + 1) * hold && t->res[2].status == RG_SQL_OK;
        /* statements issued while holding the lock do not wait for it */
        later = later && t->res[1].lock_wait == 0 && t->res[2].lock_wait == 0;
    }
    ok(waits, "k-th transaction waits (k-1) x 3 stmt - 1 stmt = (k-1) x 6 - 2 ms for the lock");
    ok(reads, "k-th transaction reads 100 - (k-1): serialised");
    ok(commits, "k-th transaction commits at k x 6 ms");
    ok(later, "UPDATE and COMMIT under a held lock report no lock wait");
    is_int(100 - N, rg_sqldb_row(w->db, 0), "row ends at 92: no update lost");
    const rg_sqldb_stats *st = rg_sqldb_stats_get(w->db);
    is_int(3 * N, (long long)st->statements, "stats: 24 statements");
    is_int(hold, st->max_lock_hold, "stats: longest hold 6 ms");
    is_int(N, (long long)st->lock_wait.n, "stats: one lock wait per transaction");
    /* mean of 0, 4, 10, ..., 40 ms = 154 / 8 ms */
    is_double(19.25e-3, st->lock_wait.mean, 1e-12, "stats: mean lock wait 19.25 ms");
    world_free(w);
}

static void test_other_rows(void)
{
    /* Two transactions on different rows at t = 0, one worker, stmt 1 ms:
     * no lock wait, but the worker queue interleaves them: A SFU 0-1,
     * B SFU 1-2, A UPDATE 2-3, B UPDATE 3-4, A COMMIT 4-5, B COMMIT 5-6. */
    world *w = world_new("const(1ms)", 1, 0, 0, 0, 2, 10);
    const step script[] = {
        {SFU, 0, false}, {SET, 0, false}, {COMMIT, 0, false}, {OP_CLOSE, 0, false}};
    txn *a = client(w, 0, 0, script, 4);
    txn *b = client(w, 0, 1, script, 4);
    run(w);
    ok(a->res[0].lock_wait == 0 && b->res[0].lock_wait == 0, "different rows: no lock wait");
    ok(a->at[0] == 1 * RG_MS && b->at[0] == 2 * RG_MS && a->at[1] == 3 * RG_MS &&
           b->at[1] == 4 * RG_MS && a->at[2] == 5 * RG_MS && b->at[2] == 6 * RG_MS,
       "one worker: statements of both run one at a time in FIFO order");
    ok(rg_sqldb_row(w->db, 0) == 9 && rg_sqldb_row(w->db, 1) == 9, "each row decremented once");
    world_free(w);

    /* Two workers: the same two transactions run side by side. */
    w = world_new("const(1ms)", 2, 0, 0, 0, 2, 10);
    a = client(w, 0, 0, script, 4);
    b = client(w, 0, 1, script, 4);
    run(w);
    ok(a->at[2] == 3 * RG_MS && b->at[2] == 3 * RG_MS, "two workers: both commit at 3 ms");
    world_free(w);

    /* A plain SELECT takes no lock: it reads past a held lock at once. */
    w = world_new("const(1ms)", 1, 0, 0, 0, 1, 10);
    const step holder[] = {{SFU, 0, false}, {SET, 0, false}, {COMMIT, 100 * RG_MS, false}};
    const step reader[] = {{S, 10 * RG_MS, true}};
    const step locker[] = {{SFU, 10 * RG_MS, false}, {COMMIT, 0, false}};
    a = client(w, 0, 0, holder, 3);
    b = client(w, 0, 0, reader, 1);
    txn *c = client(w, 0, 0, locker, 2);
    run(w);
    ok(b->res[0].lock_wait == 0 && b->at[0] == 11 * RG_MS && b->res[0].value == 9,
       "plain SELECT under another's lock: no wait, reads the current value 9 at 11 ms");
    /* holder: SFU 0-1, SET 1-2, COMMIT issued 102, done 103.  C's SFU,
     * issued at 10 ms behind B's SELECT, starts at 11 ms and waits from
     * then: 92 ms */
    ok(c->res[0].lock_wait == 92 * RG_MS && c->at[0] == 104 * RG_MS,
       "SELECT FOR UPDATE waits for the holder's COMMIT (92 ms), reads at 104 ms");
    world_free(w);
}

/* ---- conditional and naive updates --------------------------------------- */

static void test_conditional(void)
{
    /* stock 3, 10 autocommit UPDATE ... WHERE stock > 0 at t = 0, stmt 1 ms,
     * one worker: each takes the row lock as it runs and releases it when
     * done, so none ever waits for the lock (they wait for the worker: the
     * k-th is done at k ms); the first 3 succeed, the other 7 affect no
     * row. */
    world *w = world_new("const(1ms)", 1, 0, 0, 0, 1, 3);
    const step script[] = {{DECR, 0, true}, {OP_CLOSE, 0, false}};
    for (int k = 0; k < 10; k++)
        client(w, 0, 0, script, 2);
    run(w);
    int ones = 0;
    bool first3 = true, waits = true;
    int64_t minv = INT64_MAX;
    for (int k = 0; k < 10; k++) {
        txn *t = &w->t[k];
        ones += t->res[0].value == 1;
        first3 = first3 && t->res[0].value == (k < 3 ? 1 : 0);
        waits = waits && t->res[0].lock_wait == 0 && t->at[0] == (k + 1) * RG_MS;
        if (t->min_row_seen < minv)
            minv = t->min_row_seen;
    }
    is_int(3, ones, "exactly stock = 3 conditional UPDATEs succeed");
    ok(first3, "the first 3 in lock order succeed, the rest see 0");
    ok(waits, "autocommit, one worker: no lock wait; the k-th is done at k ms");
    is_int(0, rg_sqldb_row(w->db, 0), "row ends at 0");
    is_int(0, minv, "row never seen below 0");
    world_free(w);

    /* A unit given back (UPDATE stock = stock + 1) at 20 ms, after the
     * stock ran out, is sold to the conditional UPDATE issued at 30 ms;
     * the one at 40 ms finds 0 again. */
    w = world_new("const(1ms)", 1, 0, 0, 0, 1, 1);
    const step sell[] = {{DECR, 0, true}, {OP_CLOSE, 0, false}};
    const step give[] = {{INCR, 20 * RG_MS, true}, {OP_CLOSE, 0, false}};
    const step later[] = {{DECR, 30 * RG_MS, true}, {OP_CLOSE, 0, false}};
    const step last[] = {{DECR, 40 * RG_MS, true}, {OP_CLOSE, 0, false}};
    txn *a = client(w, 0, 0, sell, 2), *g = client(w, 0, 0, give, 2);
    txn *b = client(w, 0, 0, later, 2), *c = client(w, 0, 0, last, 2);
    run(w);
    ok(a->res[0].value == 1 && g->res[0].value == 1 && g->at[0] == 21 * RG_MS,
       "UPDATE stock = stock + 1 gives a unit back (done at 21 ms)");
    ok(b->res[0].value == 1 && c->res[0].value == 0 && rg_sqldb_row(w->db, 0) == 0,
       "the unit given back is sold once, then the row is at 0 again");
    world_free(w);
}

static void test_naive(void)
{
    /* 10 clients SELECT (autocommit) at t = 0, then each UPDATE SET
     * read - 1 at 1 s, long after every read (the last read ends at
     * 10 ms).  All read 100, all write 99: 10 sales, one decrement. */
    world *w = world_new("const(1ms)", 1, 0, 0, 0, 1, 100);
    for (int k = 0; k < 10; k++) {
        const step script[] = {
            {S, 0, true}, {SET, 1 * RG_S - (k + 1) * RG_MS, true}, {OP_CLOSE, 0, false}};
        client(w, 0, 0, script, 3);
    }
    run(w);
    bool read100 = true, set_ok = true, before = true;
    for (int k = 0; k < 10; k++) {
        txn *t = &w->t[k];
        read100 = read100 && t->res[0].value == 100;
        set_ok = set_ok && t->res[1].status == RG_SQL_OK && t->res[1].value == 1;
        before = before && t->at[0] <= 10 * RG_MS && t->issued[1] == 1 * RG_S;
    }
    ok(before, "every read completes before any write is issued (all at 1 s)");
    ok(read100, "every SELECT reads 100");
    ok(set_ok, "every UPDATE SET affects its row");
    is_int(99, rg_sqldb_row(w->db, 0), "final row 99 = initial - 1: nine decrements lost");
    world_free(w);

    /* the same ten, each writing right after its own read: with one FIFO
     * worker the reads, queued first, still all run before the writes */
    w = world_new("const(1ms)", 1, 0, 0, 0, 1, 100);
    const step quick[] = {{S, 0, true}, {SET, 0, true}, {OP_CLOSE, 0, false}};
    for (int k = 0; k < 10; k++)
        client(w, 0, 0, quick, 3);
    run(w);
    is_int(99, rg_sqldb_row(w->db, 0), "read-then-write back to back: still ends at 99");
    world_free(w);

    /* The relative form: stock 3, ten SELECTs at t = 0 (all read 3), then
     * each UPDATE SET stock = stock - 1 right after its read.  The UPDATEs
     * queue behind the reads (SELECTs 0..10 ms, UPDATEs 10..20 ms, each
     * holding the lock for its own statement): every one applies, nothing
     * is lost, and the row ends at 3 - 10 = -7. */
    w = world_new("const(1ms)", 1, 0, 0, 0, 1, 3);
    const step rel[] = {{S, 0, true}, {SUB, 0, true}, {OP_CLOSE, 0, false}};
    for (int k = 0; k < 10; k++)
        client(w, 0, 0, rel, 3);
    run(w);
    bool read3 = true, applied = true;
    for (int k = 0; k < 10; k++) {
        txn *t = &w->t[k];
        read3 = read3 && t->res[0].value == 3;
        applied = applied && t->res[1].status == RG_SQL_OK && t->res[1].value == 1 &&
                  t->at[1] == (11 + k) * RG_MS;
    }
    ok(read3, "relative: every SELECT reads 3 (all reads before the first write)");
    ok(applied, "relative: every UPDATE applies, the k-th at (11 + k) ms");
    is_int(-7, rg_sqldb_row(w->db, 0), "relative: the row ends at 3 - 10 = -7, nothing lost");
    world_free(w);
}

/* ---- when the lock is taken ---------------------------------------------- */

static void test_lock_at_execution(void)
{
    /* One worker, stmt 1 ms.  Five SELECTs at t = 0 occupy it until 5 ms;
     * X's autocommit UPDATE arrives at 0.5 ms, Y's at 1 ms, both behind
     * them.  A database takes the row lock when the statement executes: X
     * runs 5-6 ms and holds the lock only then, Y runs 6-7 ms, and neither
     * waits for the lock.  (Taking it on arrival, X would hold it 0.5-6 ms
     * while queued, and Y would wait 5 ms for it.) */
    world *w = world_new("const(1ms)", 1, 0, 0, 0, 1, 10);
    const step sel[] = {{S, 0, true}, {OP_CLOSE, 0, false}};
    const step upx[] = {{SET, 500 * RG_US, true}, {OP_CLOSE, 0, false}};
    const step upy[] = {{DECR, 1 * RG_MS, true}, {OP_CLOSE, 0, false}};
    for (int k = 0; k < 5; k++)
        client(w, 0, 0, sel, 2);
    txn *x = client(w, 0, 0, upx, 2), *y = client(w, 0, 0, upy, 2);
    run(w);
    ok(x->at[0] == 6 * RG_MS && y->at[0] == 7 * RG_MS,
       "the UPDATEs run after the SELECTs: 6, 7 ms");
    ok(x->res[0].lock_wait == 0 && y->res[0].lock_wait == 0,
       "no lock wait: a queued UPDATE does not hold the row lock");
    is_int(1 * RG_MS, rg_sqldb_stats_get(w->db)->max_lock_hold,
           "the lock is held for one statement's execution (1 ms)");
    world_free(w);

    /* Two workers, stmt 50 ms, lock_timeout 10 ms: two UPDATEs at t = 0
     * start together; one takes the lock, the other finds it held, gives
     * its worker back and fails at 10 ms (only that statement). */
    w = world_new("const(50ms)", 2, 0, 0, 10 * RG_MS, 1, 10);
    const step up[] = {{DECR, 0, true}, {OP_CLOSE, 0, false}};
    txn *a = client(w, 0, 0, up, 2), *b = client(w, 0, 0, up, 2);
    run(w);
    ok(a->res[0].status == RG_SQL_OK && a->at[0] == 50 * RG_MS &&
           b->res[0].status == RG_SQL_LOCK_TIMEOUT && b->at[0] == 10 * RG_MS,
       "two workers: the second UPDATE waits for the running one's lock and times out at 10 ms");
    is_int(9, rg_sqldb_row(w->db, 0), "one decrement applied");
    world_free(w);
}

/* ---- lock timeout -------------------------------------------------------- */

static void test_lock_timeout(void)
{
    /* lock_timeout 50 ms, stmt 1 ms.  A: SFU at 0 (lock 0..), COMMIT
     * issued at 200 ms, done 201 ms.  B: SFU at 10 ms: fails at 60 ms with
     * RG_SQL_LOCK_TIMEOUT, lock wait 50 ms; B retries SFU at 160 ms and
     * gets the lock when A's COMMIT completes (201 ms): wait 41 ms, result
     * 202 ms.  C: SFU at 300 ms, after B committed: no wait. */
    world *w = world_new("const(1ms)", 1, 0, 0, 50 * RG_MS, 1, 5);
    const step sa[] = {{SFU, 0, false}, {COMMIT, 199 * RG_MS, false}, {OP_CLOSE, 0, false}};
    const step sb[] = {{SFU, 10 * RG_MS, false},
                       {SFU, 100 * RG_MS, false},
                       {COMMIT, 0, false},
                       {OP_CLOSE, 0, false}};
    const step sc[] = {{SFU, 300 * RG_MS, false}, {COMMIT, 0, false}, {OP_CLOSE, 0, false}};
    txn *a = client(w, 0, 0, sa, 3);
    txn *b = client(w, 0, 0, sb, 4);
    txn *c = client(w, 0, 0, sc, 3);
    run(w);
    is_int(RG_SQL_LOCK_TIMEOUT, b->res[0].status, "B's SELECT FOR UPDATE times out");
    is_int(60 * RG_MS, b->at[0], "B is told exactly lock_timeout after asking (10 + 50 ms)");
    is_int(50 * RG_MS, b->res[0].lock_wait, "B's lock wait is 50 ms");
    is_int(201 * RG_MS, a->at[1], "A's COMMIT is unaffected (201 ms)");
    ok(b->res[1].status == RG_SQL_OK && b->res[1].lock_wait == 41 * RG_MS &&
           b->at[1] == 202 * RG_MS,
       "B's retry (only the statement failed) waits 41 ms for A's commit, reads at 202 ms");
    ok(c->res[0].status == RG_SQL_OK && c->res[0].lock_wait == 0 && c->at[0] == 301 * RG_MS,
       "C after B's commit: no wait, so no ghost of B's timed-out request holds the row");
    const rg_sqldb_stats *st = rg_sqldb_stats_get(w->db);
    is_int(1, (long long)st->lock_timeouts, "stats: one lock timeout");
    world_free(w);

    /* lock_timeout 0: wait forever (here 10 s) */
    w = world_new("const(1ms)", 1, 0, 0, 0, 1, 5);
    const step longa[] = {{SFU, 0, false}, {COMMIT, 10 * RG_S, false}, {OP_CLOSE, 0, false}};
    const step longb[] = {{SFU, 0, false}, {COMMIT, 0, false}, {OP_CLOSE, 0, false}};
    a = client(w, 0, 0, longa, 3);
    b = client(w, 0, 0, longb, 3);
    run(w);
    /* B's SFU starts when A's is done (1 ms), and waits until A's COMMIT
     * is done (10.002 s) */
    ok(b->res[0].status == RG_SQL_OK && b->res[0].lock_wait == 10 * RG_S + 1 * RG_MS,
       "lock_timeout 0: B waits the whole 10.001 s for A's commit");
    world_free(w);

    /* closing a connection mid-transaction releases its lock */
    w = world_new("const(1ms)", 1, 0, 0, 0, 1, 5);
    const step quit[] = {{SFU, 0, false}, {OP_CLOSE, 9 * RG_MS, false}};
    const step wait[] = {{SFU, 1 * RG_MS, false}, {COMMIT, 0, false}, {OP_CLOSE, 0, false}};
    a = client(w, 0, 0, quit, 2);
    b = client(w, 0, 0, wait, 3);
    run(w);
    ok(b->res[0].lock_wait == 9 * RG_MS && b->at[0] == 11 * RG_MS,
       "close without COMMIT releases the lock: B waits 1..10 ms, reads at 11 ms");
    world_free(w);
}

/* ---- pool ---------------------------------------------------------------- */

static void test_pool(void)
{
    /* pool 2, no pool timeout: the third connect waits until the first
     * connection closes at 100 ms. */
    world *w = world_new("const(1ms)", 1, 2, 0, 0, 1, 5);
    const step hold[] = {{OP_CLOSE, 100 * RG_MS, false}};
    const step hold2[] = {{OP_CLOSE, 500 * RG_MS, false}};
    txn *a = client(w, 0, 0, hold, 1);
    txn *b = client(w, 0, 0, hold2, 1);
    txn *c = client(w, 0, 0, hold2, 1);
    run(w);
    ok(a->connected && a->conn_at == 0 && b->connected && b->conn_at == 0 && a->conn != b->conn,
       "pool 2: two connections granted at once, distinct ids");
    ok(c->connected && c->conn_status == RG_SQL_OK && c->conn_at == 100 * RG_MS,
       "the third waits for the first close (100 ms)");
    world_free(w);

    /* FIFO among waiters: pool 1; B then C wait; A closes at 10 ms, B at
     * 30 ms */
    w = world_new("const(1ms)", 1, 1, 0, 0, 1, 5);
    const step h10[] = {{OP_CLOSE, 10 * RG_MS, false}};
    const step h20[] = {{OP_CLOSE, 20 * RG_MS, false}};
    a = client(w, 0, 0, h10, 1);
    b = client(w, 1 * RG_MS, 0, h20, 1);
    c = client(w, 2 * RG_MS, 0, h20, 1);
    run(w);
    ok(b->conn_at == 10 * RG_MS && c->conn_at == 30 * RG_MS, "pool waiters served in FIFO order");
    world_free(w);

    /* pool 2, pool_timeout 50 ms: the third gets RG_SQL_POOL_TIMEOUT at
     * 50 ms; at 100 ms the first closes, and nobody stale takes the slot:
     * a fourth connect at 120 ms is granted at once. */
    w = world_new("const(1ms)", 1, 2, 50 * RG_MS, 0, 1, 5);
    a = client(w, 0, 0, hold, 1);
    b = client(w, 0, 0, hold2, 1);
    c = client(w, 0, 0, hold2, 1);
    txn *d = client(w, 120 * RG_MS, 0, hold2, 1);
    run(w);
    ok(!c->connected && c->conn_status == RG_SQL_POOL_TIMEOUT && c->conn_at == 50 * RG_MS,
       "pool_timeout 50 ms: the third is told RG_SQL_POOL_TIMEOUT at exactly 50 ms");
    ok(d->connected && d->conn_at == 120 * RG_MS,
       "after a close, a new connect is granted at once (the timed-out waiter is gone)");
    is_int(1, (long long)rg_sqldb_stats_get(w->db)->pool_timeouts, "stats: one pool timeout");
    world_free(w);

    /* a waiter granted before its pool timeout is not failed later */
    w = world_new("const(1ms)", 1, 1, 50 * RG_MS, 0, 1, 5);
    a = client(w, 0, 0, h10, 1);
    b = client(w, 0, 0, hold2, 1);
    run(w);
    ok(b->connected && b->conn_status == RG_SQL_OK && b->conn_at == 10 * RG_MS,
       "granted at 10 ms, before its 50 ms pool timeout, and never failed afterwards");
    world_free(w);
}

/* rg_sqldb_warm's hook: marks a waiter seen before its answer came. */
static void warm_mark(const void *ctx)
{
    txn *t = (txn *)(uintptr_t)ctx;
    if (t->conn_status == RG_SQL_OK && t->conn_at == 0)
        t->warmed = true;
}

/* A crowd in the pool's queue, by construction.  Pool 2, pool_timeout
 * 30 ms: b holds one connection for 500 ms; a holds the other until
 * 25 ms, then it passes from waiter to waiter, each holding it 3 ms.
 * Twenty waiters queue at k + 0.5 ms (k = 1..20; more than the queue's
 * first 16 places), each timing out at its start + 30 ms: waiter k is
 * served at 25 + 3j ms (j: the waiters served before it) if that is
 * before its timeout.  Waiter 20 connects again when it times out, from
 * the timeout's callback.  Then ten more queue from 60.5 ms, behind the
 * front of the ring: it wraps around.  Returns the world, run. */
static world *pool_crowd(bool warm)
{
    world *w = world_new("const(1ms)", 1, 2, 30 * RG_MS, 0, 1, 5);
    if (warm)
        rg_sqldb_warm(w->db, warm_mark);
    const step h25[] = {{OP_CLOSE, 25 * RG_MS, false}};
    const step h500[] = {{OP_CLOSE, 500 * RG_MS, false}};
    const step h3[] = {{OP_CLOSE, 3 * RG_MS, false}};
    client(w, 0, 0, h25, 1);
    client(w, 0, 0, h500, 1);
    for (int k = 1; k <= 20; k++)
        client(w, k * RG_MS + RG_MS / 2, 0, h3, 1);
    w->t[21].retries = 1;
    for (int k = 21; k <= 30; k++)
        client(w, 60 * RG_MS + RG_MS / 2 + (k - 21) * RG_MS, 0, h3, 1);
    run(w);
    return w;
}

static void test_pool_crowd(void)
{
    world *w = pool_crowd(false);
    /* by hand, from the rule above: 1-4 at 25, 28, 31, 34; 5 and 6 time
     * out (35.5, 36.5); 7 at 37; then every third: 10, 13, 16, 19 at 40,
     * 43, 46, 49; 20 times out at 50.5 and, queued again, is served when
     * 19 closes at 52 */
    static const int served[] = {1, 2, 3, 4, 7, 10, 13, 16, 19};
    bool fine = true;
    size_t nserved = sizeof served / sizeof served[0];
    for (int k = 1, j = 0; k <= 19; k++) {
        const txn *t = &w->t[k + 1];
        rg_time start = k * RG_MS + RG_MS / 2;
        if (j < (int)nserved && served[j] == k) {
            fine = fine && t->connected && t->conn_at == 25 * RG_MS + 3 * j * RG_MS;
            j++;
        } else {
            fine = fine && !t->connected && t->conn_status == RG_SQL_POOL_TIMEOUT &&
                   t->conn_at == start + 30 * RG_MS;
        }
    }
    ok(fine, "a crowd of 20 waiters: each served in turn or told POOL_TIMEOUT at exactly +30 ms");
    ok(w->t[21].connected && w->t[21].retries == 0 && w->t[21].conn_at == 52 * RG_MS,
       "a waiter that connects again from its timeout's callback is served behind it");
    is_int(11, (long long)rg_sqldb_stats_get(w->db)->pool_timeouts, "stats: eleven pool timeouts");
    /* 21 gets the free connection at once; 22..30 are served one after
     * the other, every 3 ms from 63.5 ms */
    fine = w->t[22].connected && w->t[22].conn_at == 60 * RG_MS + RG_MS / 2;
    for (int k = 22; k <= 30; k++)
        fine = fine && w->t[k + 1].connected &&
               w->t[k + 1].conn_at == 63 * RG_MS + RG_MS / 2 + 3 * (k - 22) * RG_MS;
    ok(fine, "a queue that wraps around the ring keeps its order");

    world *h = pool_crowd(true);
    bool same = true, warmed = true;
    for (size_t i = 0; i < w->n; i++) {
        same = same && h->t[i].conn_status == w->t[i].conn_status &&
               h->t[i].conn_at == w->t[i].conn_at && h->t[i].connected == w->t[i].connected;
        /* waiters 2..20 queued behind another when it was served */
        if (i >= 3 && i <= 21)
            warmed = warmed && h->t[i].warmed;
    }
    ok(same, "rg_sqldb_warm changes nothing");
    ok(warmed, "... and its hook sees every waiter queued behind another before its turn");
    world_free(h);
    world_free(w);

    /* Waiters numbered after others left, in a ring grown while it wraps
     * around.  Pool 1, pool_timeout 30 ms: a holds the connection until
     * 10 ms, then ten waiters (queued at k + 0.5 ms) take it in turn for
     * 1 ms each, leaving the ring's front at its 11th place; b takes the
     * free connection at 21 ms for 100 ms, and twenty waiters queue behind
     * it (22.5 .. 41.5 ms): the 7th wraps round the 16 places, the 17th
     * grows the ring.  All twenty time out, each at exactly +30 ms. */
    w = world_new("const(1ms)", 1, 1, 30 * RG_MS, 0, 1, 5);
    const step h10[] = {{OP_CLOSE, 10 * RG_MS, false}};
    const step h100[] = {{OP_CLOSE, 100 * RG_MS, false}};
    const step h1[] = {{OP_CLOSE, 1 * RG_MS, false}};
    client(w, 0, 0, h10, 1);
    for (int k = 1; k <= 10; k++)
        client(w, k * RG_MS + RG_MS / 2, 0, h1, 1);
    client(w, 21 * RG_MS, 0, h100, 1);
    for (int k = 0; k < 20; k++)
        client(w, 22 * RG_MS + RG_MS / 2 + k * RG_MS, 0, h1, 1);
    run(w);
    fine = true;
    for (int k = 1; k <= 10; k++)
        fine = fine && w->t[k].connected && w->t[k].conn_at == (9 + k) * RG_MS;
    ok(fine, "ten waiters served in turn, every 1 ms from 10 ms");
    fine = w->t[11].connected && w->t[11].conn_at == 21 * RG_MS;
    for (int k = 0; k < 20; k++)
        fine = fine && !w->t[12 + k].connected && w->t[12 + k].conn_status == RG_SQL_POOL_TIMEOUT &&
               w->t[12 + k].conn_at == 52 * RG_MS + RG_MS / 2 + k * RG_MS;
    ok(fine, "twenty behind them, in a ring that wrapped and grew: each times out at +30 ms");
    world_free(w);
}

int main(void)
{
    plan(48 + 3 + 8);
    test_lock_fifo();
    test_other_rows();
    test_conditional();
    test_naive();
    test_lock_at_execution();
    test_lock_timeout();
    test_pool();
    test_pool_crowd();
    return 0;
}
