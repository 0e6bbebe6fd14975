/*
 * kind-sql.c: the drop's SQL kinds, one database (sqldb.h) holding a
 * stock row per SKU and one application that runs a protocol against it:
 *
 *   sql_naive        SELECT, app-side check, pause, UPDATE SET stock = read-1
 *                    (the stories' anti-pattern: lost updates)
 *   sql_locked       BEGIN; SELECT ... FOR UPDATE; check; UPDATE; COMMIT,
 *                    the row lock held across the round trips: MySQL or
 *                    PostgreSQL.  D1 has neither SELECT ... FOR UPDATE nor
 *                    interactive transactions
 *   sql_conditional  UPDATE stock = stock - 1 WHERE stock > 0: one statement,
 *                    the safe path D1 (or any SQL database) can run
 *   sql_naive_relative
 *                    SELECT, app-side check, pause, UPDATE SET stock =
 *                    stock - 1 with no WHERE: no update is lost, but every
 *                    buyer whose read came before the others' writes landed
 *                    subtracts one more, and the row goes below 0 by that
 *                    many (its oversell depends on timing alone)
 *
 * The kinds share the configuration, the store and the state machine; each
 * is one table entry naming its protocol (its first statement).  The
 * application runs at the PoP (`app_at = edge`: a hop to the database per
 * statement) or next to the database (`app_at = db`: one hop there, one
 * back).  A call leases a pooled connection, runs its statements one at a
 * time (each travels to the database and its result back), closes the
 * connection and answers.
 *
 * Who bought: the statement that sells (the naive UPDATE, the locked
 * transaction's UPDATE, the conditional UPDATE) also inserts the order
 * (buyer, order id) into the store's orders table, in the same statement
 * (PostgreSQL: WITH o AS (INSERT INTO orders ... RETURNING id) UPDATE ...),
 * so the insert costs a row written and no round trip; it is undone with
 * the statement when the statement sells nothing.  With idempotency keys
 * the orders table has a unique index on the order id: a retry's insert
 * fails at the database, its UPDATE does nothing (it still takes its
 * statement time), the transaction rolls back, and the application
 * returns the original answer, "allocated".  The insert is checked when
 * the statement reaches the database: with one worker statements run in
 * arrival order, and the locked protocol's UPDATE runs under the row lock,
 * so the check and the write are atomic as the unique index makes them.
 *
 * Failover ([faults] db_failover, sqldb.h): the database gets an
 * asynchronous replica, and at db_failover the primary dies.  The orders
 * table lives in the same database, so a sale whose commit the replica had
 * not received is lost with its order row: the kind keeps a journal of the
 * commits that sold (commit number, buyer), only in a variant with the
 * fault, and releases the orders of the lost ones.  A call whose statement
 * fails with the primary is answered "database error" (its client cannot
 * know whether it bought), and an order it had inserted but not committed
 * goes with its transaction.
 */
#include <stdlib.h>

#include "models/drop/kind.h"
#include "models/mech/mparam.h"
#include "models/stores/sqldb.h"

/* D1 list prices, 2024-2025 (assumptions: check current pricing before
 * quoting a number from a report). */
static const rg_billable op_read = {"sql_read", "0.000000001", "D1: $0.001 per million rows read"};
static const rg_billable op_write = {"sql_write", "0.000001", "D1: $1.00 per million rows written"};
static const rg_billable *const billable[] = {&op_read, &op_write, NULL};

/* Where a call is in its protocol: the statement it waits for. */
typedef enum {
    P_SELECT,
    P_NAIVE_UPDATE,
    P_LOCK,
    P_TXN_UPDATE,
    P_COMMIT,
    P_ROLLBACK_SOLD_OUT,
    P_ROLLBACK_ERROR,
    P_COND,
    P_RELEASE,     /* UPDATE stock = stock + 1: an expired reservation */
    P_ROLLBACK_DUP /* the order was allocated before: the original answer */
} phase;

/* A protocol is its first statement; the rest follows from the results. */
typedef struct protocol {
    phase first;
    rg_sqlop op;
    bool autocommit;
    bool pause;    /* reads `pause`: the wait between check and write */
    bool relative; /* the naive write subtracts one instead of writing read-1 */
} protocol;

static const protocol naive = {P_SELECT, RG_SQL_SELECT, true, true, false};
static const protocol locked = {P_LOCK, RG_SQL_SELECT_FOR_UPDATE, false, false, false};
static const protocol conditional = {P_COND, RG_SQL_UPDATE_DECR, true, false, false};
static const protocol relative = {P_SELECT, RG_SQL_SELECT, true, true, true};

typedef struct sqlcfg {
    const protocol *proto;
    rg_dist *stmt;
    rg_sqldb_params sp;
    int db_region;
    bool app_at_db;
    rg_time pause;
} sqlcfg;

typedef struct sqlstore {
    const sqlcfg *cfg;
    rg_drop_run *run;
    rg_sqldb *db;
    rg_orders *orders; /* the orders table */
    /* failover: the commits that sold, in commit order */
    struct sold {
        uint64_t lsn;
        size_t client;
        int sku;
    } * sold;
    size_t nsold, capsold;
    /* the run's, looked up once: every statement uses them */
    rg_engine *e;
    const rg_places *pl;
    gsl_rng *net;
} sqlstore;

/* One call's state (the kind's call data). */
/* Fields ordered widest first: one per request, 96 bytes with the
 * drop's alignment (112 in declaration order). */
typedef struct sqlcall {
    sqlstore *st;
    rg_drop_call *q;
    int64_t conn;
    rg_sqlres res;  /* its result, on its way back */
    int64_t value;  /* the statement on its way to the database: its value, */
    rg_sqlop op;    /* ... its operation */
    int sku;        /* the call's, looked up once */
    int app_region; /* where the application runs */
    phase ph;
    bool autocommit;
    bool releasing; /* the call was answered; now it gives its unit back */
    bool dup;       /* its order's insert failed: it was allocated before */
    bool recorded;  /* its order is inserted, not yet committed */
} sqlcall;

static int sql_load(rg_scn *s, const char *sec, const rg_places *pl, const protocol *proto,
                    void **cfg, rg_err *e)
{
    static const char *const where[] = {"edge", "db", NULL};
    sqlcfg *c = rg_xcalloc(1, sizeof *c);
    int w;
    *cfg = c;
    c->proto = proto;
    /* D1: one query at a time per database, ~1 ms queries; MySQL's
     * innodb_lock_wait_timeout is 50 s (FACTS.md).  The pool size is an
     * assumption. */
    if (mp_dist(s, sec, "sqldb", "stmt", "lognormal(median=1ms, p99=4ms)", RG_QTY_DURATION,
                &c->stmt, e) < 0 ||
        mp_int(s, sec, "sqldb", "workers", "1", 1, 100000, &c->sp.workers, e) < 0 ||
        mp_int(s, sec, "sqldb", "pool", "0", 0, 100000000, &c->sp.pool, e) < 0 ||
        mp_dur(s, sec, "sqldb", "pool_timeout", "5s", &c->sp.pool_timeout, e) < 0 ||
        mp_dur(s, sec, "sqldb", "lock_timeout", "50s", &c->sp.lock_timeout, e) < 0 ||
        rg_drop_load_region(s, pl, sec, "sqldb", "region", pl->name[0], false, &c->db_region, e) <
            0 ||
        mp_enum(s, sec, "sqldb", "app_at", "edge", where, &w, e) < 0)
        return -1;
    c->sp.stmt = c->stmt;
    c->app_at_db = w == 1;
    if (proto->pause && mp_dur(s, sec, "sqldb", "pause", "100ms", &c->pause, e) < 0)
        return -1;
    return 0;
}

static int load_naive(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    return sql_load(s, sec, pl, &naive, cfg, e);
}

static int load_locked(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    return sql_load(s, sec, pl, &locked, cfg, e);
}

static int load_conditional(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    return sql_load(s, sec, pl, &conditional, cfg, e);
}

static int load_relative(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e)
{
    return sql_load(s, sec, pl, &relative, cfg, e);
}

static void sql_free_cfg(void *p)
{
    sqlcfg *c = p;
    if (c == NULL)
        return;
    rg_dist_free(c->stmt);
    free(c);
}

/* [faults] db_failover: the primary dies; the sales whose commits its
 * replica had not received are lost with their order rows. */
static void on_failover(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    sqlstore *st = ctx;
    rg_drop_run *r = st->run;
    const rg_dfaults *f = rg_drop_run_faults(r);
    bool tr = rg_drop_tracing(r);
    int64_t before = rg_sqldb_row(st->db, 0);
    uint64_t kept = rg_sqldb_failover(st->db, f->db_down);
    size_t lost = 0;
    while (st->nsold > 0 && st->sold[st->nsold - 1].lsn > kept) {
        const struct sold *x = &st->sold[--st->nsold];
        rg_orders_release(st->orders, x->client, x->sku);
        lost++;
        if (tr)
            rg_drop_trace(r, "FAULT: buyer %zu's sale (commit %llu) is lost with the primary",
                          x->client, (unsigned long long)x->lsn);
    }
    if (tr)
        rg_drop_trace(r,
                      "FAULT: the database primary dies; its replica had commits up to %llu: %zu "
                      "committed sale%s lost, uncommitted writes rolled back, sku-001 stock "
                      "%lld -> %lld; statements in flight fail; it serves as primary at %.3f ms",
                      (unsigned long long)kept, lost, lost == 1 ? "" : "s", (long long)before,
                      (long long)rg_sqldb_row(st->db, 0), rg_time_ms(rg_now(e) + f->db_down));
}

/* rg_sqldb_warm: a call waiting for a connection is answered from its
 * request (rg_drop_reply reads it), most of a crowd's with a pool
 * timeout: fetch the request (64 bytes, which may straddle two lines). */
static void sql_warm(const void *ctx)
{
    rg_prefetch_record(((const sqlcall *)ctx)->q);
}

static void *sql_build(const void *cfg, rg_drop_run *r)
{
    const sqlcfg *c = cfg;
    sqlstore *st = rg_xcalloc(1, sizeof *st);
    st->cfg = c;
    st->run = r;
    st->e = rg_drop_run_engine(r);
    st->pl = rg_drop_run_places(r);
    st->net = rg_drop_run_net(r);
    st->db = rg_sqldb_new(st->e, &c->sp, rg_drop_run_skus(r), rg_drop_run_stock(r));
    rg_sqldb_warm(st->db, sql_warm);
    st->orders = rg_orders_new();
    const rg_dfaults *f = rg_drop_run_faults(r);
    if (f->db_failover >= 0) {
        rg_sqldb_replicate(st->db, f->db_lag, rg_engine_stream(st->e, "faults"));
        rg_at(st->e, f->db_failover, RG_PRIO_DEFAULT, on_failover, st, 0);
    }
    return st;
}

static void sql_free_store(void *p)
{
    sqlstore *st = p;
    if (st == NULL)
        return;
    rg_sqldb_free(st->db);
    rg_orders_free(st->orders);
    free(st->sold);
    free(st);
}

static int64_t sql_decremented(const void *store, size_t sku)
{
    const sqlstore *st = store;
    return rg_drop_run_stock(st->run) - rg_sqldb_row(st->db, sku);
}

/* A hop between two regions, drawn from the network stream (through the
 * variant's partition, if any). */
static rg_time hop(const sqlstore *st, int from, int to)
{
    return rg_drop_hop(st->run, from, to);
}

/* The application answers: it runs at the PoP itself (no hop back) or in
 * the database's region. */
static void reply_from_app(sqlcall *c, rg_outcome o)
{
    if (c->st->cfg->app_at_db)
        rg_drop_reply(c->q, c->app_region, o);
    else
        rg_drop_reply_after(c->q, 0, o);
}

static void close_and_reply(sqlcall *c, rg_outcome o)
{
    rg_sqldb_close(c->st->db, c->conn);
    reply_from_app(c, o);
}

static void on_sql_arrive(rg_engine *e, void *ctx, uint64_t arg);

/* Sends the call's next statement (phase ph) from the application. */
static void sql_send(sqlcall *c, phase ph, rg_sqlop op, int64_t value, bool autocommit)
{
    const sqlstore *st = c->st;
    c->ph = ph;
    c->op = op;
    c->value = value;
    c->autocommit = autocommit;
    if (op == RG_SQL_SELECT || op == RG_SQL_SELECT_FOR_UPDATE)
        rg_drop_bill(st->run, &op_read);
    else if (op == RG_SQL_UPDATE_SET || op == RG_SQL_UPDATE_DECR || op == RG_SQL_UPDATE_SUB ||
             op == RG_SQL_UPDATE_INCR)
        rg_drop_bill(st->run, &op_write);
    rg_time d = hop(st, c->app_region, st->cfg->db_region);
    if (ph == P_NAIVE_UPDATE)
        d += st->cfg->pause; /* the story's pause between the check and the write */
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_sql_arrive, c, 0);
}

static const char *op_name(rg_sqlop op)
{
    switch (op) {
    case RG_SQL_SELECT: return "SELECT";
    case RG_SQL_SELECT_FOR_UPDATE: return "SELECT ... FOR UPDATE";
    case RG_SQL_UPDATE_SET: return "UPDATE SET stock = read - 1";
    case RG_SQL_UPDATE_DECR: return "UPDATE ... WHERE stock > 0";
    case RG_SQL_UPDATE_INCR: return "UPDATE SET stock = stock + 1";
    case RG_SQL_UPDATE_SUB: return "UPDATE SET stock = stock - 1";
    case RG_SQL_COMMIT: return "COMMIT";
    case RG_SQL_ROLLBACK: return "ROLLBACK";
    }
    return "?";
}

/* A release that could not run leaves the unit out of stock for good: the
 * application does not retry it. */
static void release_failed(sqlcall *c, const char *why)
{
    rg_drop_run *r = c->st->run;
    if (rg_drop_tracing(r))
        rg_drop_trace(r, "sku-%03d: buyer %zu's unit NOT released (%s)", c->sku + 1,
                      rg_drop_call_client(c->q), why);
}

static void release_done(sqlcall *c)
{
    rg_drop_run *r = c->st->run;
    rg_sqldb_close(c->st->db, c->conn);
    if (c->res.status != RG_SQL_OK)
        release_failed(c, c->res.status == RG_SQL_FAILOVER ? "the database failed over"
                                                           : "the row lock wait timed out");
    else if (rg_drop_tracing(r))
        rg_drop_trace(r, "sku-%03d: buyer %zu's unit back in stock (%s)", c->sku + 1,
                      rg_drop_call_client(c->q), rg_drop_run_variant(r));
}

/* A statement's result is back at the application: the protocol's next
 * step. */
static void on_sql_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    sqlcall *c = ctx;
    const rg_sqlres *res = &c->res;
    int sku = c->sku;
    if (c->releasing) {
        release_done(c);
        return;
    }
    if (res->status == RG_SQL_FAILOVER) {
        close_and_reply(c, RG_OUT_DB_ERROR); /* whatever it was doing */
        return;
    }
    if (c->dup) {
        /* the unique violation: the original answer */
        if (c->ph == P_TXN_UPDATE) {
            sql_send(c, P_ROLLBACK_DUP, RG_SQL_ROLLBACK, 0, false);
            return;
        }
        close_and_reply(c, RG_OUT_ALLOCATED);
        return;
    }
    if (rg_sqldb_row(c->st->db, (size_t)sku) == 0)
        rg_drop_stock_zero(c->st->run, sku, rg_drop_run_variant(c->st->run));
    rg_drop_call_lock_wait(c->q, res->lock_wait);
    if (res->lock_wait > 0 && rg_drop_tracing(c->st->run))
        rg_drop_trace(c->st->run, "buyer %zu: %s waited %.3f ms for the row lock",
                      rg_drop_call_client(c->q), op_name(c->op), rg_time_ms(res->lock_wait));
    switch (c->ph) {
    case P_SELECT:
        if (res->value <= 0)
            close_and_reply(c, RG_OUT_SOLD_OUT);
        else if (c->st->cfg->proto->relative)
            sql_send(c, P_NAIVE_UPDATE, RG_SQL_UPDATE_SUB, 1, true);
        else
            sql_send(c, P_NAIVE_UPDATE, RG_SQL_UPDATE_SET, res->value - 1, true);
        break;
    case P_NAIVE_UPDATE:
        /* the write itself can fail (a lock wait timed out): not a sale */
        close_and_reply(c, res->status == RG_SQL_OK ? RG_OUT_ALLOCATED : RG_OUT_DB_ERROR);
        break;
    case P_LOCK:
        if (res->status != RG_SQL_OK)
            sql_send(c, P_ROLLBACK_ERROR, RG_SQL_ROLLBACK, 0, false);
        else if (res->value <= 0)
            sql_send(c, P_ROLLBACK_SOLD_OUT, RG_SQL_ROLLBACK, 0, false);
        else
            sql_send(c, P_TXN_UPDATE, RG_SQL_UPDATE_SET, res->value - 1, false);
        break;
    case P_TXN_UPDATE: sql_send(c, P_COMMIT, RG_SQL_COMMIT, 0, false); break;
    case P_COMMIT: close_and_reply(c, RG_OUT_ALLOCATED); break;
    case P_ROLLBACK_SOLD_OUT: close_and_reply(c, RG_OUT_SOLD_OUT); break;
    case P_ROLLBACK_ERROR: close_and_reply(c, RG_OUT_DB_ERROR); break;
    case P_ROLLBACK_DUP: close_and_reply(c, RG_OUT_ALLOCATED); break;
    case P_COND:
        if (res->status != RG_SQL_OK)
            close_and_reply(c, RG_OUT_DB_ERROR);
        else
            close_and_reply(c, res->value == 1 ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
        break;
    case P_RELEASE: break; /* handled above */
    }
}

/* The statement that sells: it inserts the order. */
static bool sells(phase ph)
{
    return ph == P_NAIVE_UPDATE || ph == P_TXN_UPDATE || ph == P_COND;
}

/* The trace line of a statement as the database ran it: what a read saw,
 * what a write left, and the sales a blind write overwrote (the naive
 * path's lost updates, visible one by one). */
static void trace_statement(const sqlcall *c, const rg_sqlres *res)
{
    rg_drop_run *r = c->st->run;
    size_t who = rg_drop_call_client(c->q);
    int sku = c->sku + 1;
    const char *what = op_name(c->op);
    if (c->dup) {
        rg_drop_trace(r,
                      "db sku-%03d: buyer %zu's %s is a retry of a recorded order: it changes "
                      "nothing",
                      sku, who, what);
        return;
    }
    if (res->status != RG_SQL_OK) {
        rg_drop_trace(r, "db sku-%03d: buyer %zu's %s failed (%s)", sku, who, what,
                      res->status == RG_SQL_LOCK_TIMEOUT ? "lock wait timeout"
                      : res->status == RG_SQL_FAILOVER   ? "the primary died"
                                                         : "pool timeout");
        return;
    }
    switch (c->op) {
    case RG_SQL_SELECT:
    case RG_SQL_SELECT_FOR_UPDATE:
        rg_drop_trace(r, "db sku-%03d: buyer %zu's %s reads stock %lld", sku, who, what,
                      (long long)res->value);
        break;
    case RG_SQL_UPDATE_SET: {
        long long read = (long long)c->value + 1, lost = read - (long long)res->before;
        if (lost > 0)
            rg_drop_trace(r,
                          "db sku-%03d: buyer %zu writes stock %lld over %lld: "
                          "overwrites %lld other sale%s",
                          sku, who, (long long)c->value, (long long)res->before, lost,
                          lost == 1 ? "" : "s");
        else
            rg_drop_trace(r, "db sku-%03d: buyer %zu writes stock %lld over %lld", sku, who,
                          (long long)c->value, (long long)res->before);
        break;
    }
    case RG_SQL_UPDATE_DECR:
        if (res->value == 1)
            rg_drop_trace(r, "db sku-%03d: buyer %zu's %s: stock %lld -> %lld", sku, who, what,
                          (long long)res->before, (long long)res->before - 1);
        else
            rg_drop_trace(r, "db sku-%03d: buyer %zu's %s matches no row (stock %lld)", sku, who,
                          what, (long long)res->before);
        break;
    case RG_SQL_UPDATE_INCR:
    case RG_SQL_UPDATE_SUB:
        rg_drop_trace(r, "db sku-%03d: buyer %zu's %s: stock %lld -> %lld", sku, who, what,
                      (long long)res->before,
                      (long long)res->before + (c->op == RG_SQL_UPDATE_INCR ? 1 : -c->value));
        break;
    case RG_SQL_COMMIT:
    case RG_SQL_ROLLBACK: rg_drop_trace(r, "db sku-%03d: buyer %zu's %s", sku, who, what); break;
    }
}

static void on_sql_result(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res)
{
    (void)tag;
    sqlcall *c = ctx;
    if (rg_drop_tracing(c->st->run))
        trace_statement(c, res);
    c->res = *res;
    /* A statement that sold nothing, or a transaction that failed, takes
     * its order insert with it; a commit that sold is journalled (only a
     * replicated database numbers its commits). */
    if (!c->releasing && c->recorded) {
        sqlstore *st = c->st;
        if (res->status != RG_SQL_OK || (c->ph == P_COND && res->value != 1)) {
            rg_orders_release(st->orders, rg_drop_call_client(c->q), c->sku);
            c->recorded = false;
        } else if (res->lsn != 0) {
            rg_xgrow((void **)&st->sold, &st->capsold, st->nsold + 1, sizeof *st->sold);
            st->sold[st->nsold++] = (struct sold){res->lsn, rg_drop_call_client(c->q), c->sku};
            c->recorded = false;
        }
    }
    if (c->releasing && c->ph == P_RELEASE && res->status == RG_SQL_OK)
        rg_orders_release(c->st->orders, rg_drop_call_client(c->q), c->sku);
    rg_after(e, hop(c->st, c->st->cfg->db_region, c->app_region), RG_PRIO_DEFAULT, on_sql_back, c,
             0);
}

/* A statement reaches the database. */
static void on_sql_arrive(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    sqlcall *c = ctx;
    sqlstore *st = c->st;
    rg_sqlop op = c->op;
    if (!c->releasing && sells(c->ph)) {
        uint64_t order = rg_drop_call_order(c->q);
        if (order != 0)
            rg_drop_bill(st->run, &op_write); /* the orders row */
        if (rg_orders_find(st->orders, order)) {
            /* unique violation: the statement runs and changes nothing */
            c->dup = true;
            op = RG_SQL_SELECT;
        } else {
            rg_orders_add(st->orders, rg_drop_call_client(c->q), order, c->sku);
            c->recorded = true;
        }
    }
    rg_sqldb_exec(st->db, c->conn, op, (size_t)c->sku, c->value, c->autocommit, on_sql_result, c,
                  0);
}

static void on_connected(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res)
{
    (void)e;
    (void)tag;
    sqlcall *c = ctx;
    if (res->status != RG_SQL_OK) {
        if (c->releasing)
            release_failed(c, "no connection");
        else
            reply_from_app(c, RG_OUT_DB_ERROR);
        return;
    }
    c->conn = res->value;
    if (c->releasing) {
        /* every protocol gives a unit back with one statement */
        sql_send(c, P_RELEASE, RG_SQL_UPDATE_INCR, 0, true);
        return;
    }
    const protocol *p = c->st->cfg->proto;
    sql_send(c, p->first, p->op, 0, p->autocommit);
}

static void on_at_app(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    sqlcall *c = ctx;
    /* Pooled connections are already established: leasing one is local. */
    rg_sqldb_connect(c->st->db, on_connected, c, 0);
}

static void sql_route(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    sqlstore *st = store;
    (void)r;
    sqlcall *c = rg_drop_call_data(q);
    int pop = rg_drop_call_region(q);
    c->st = st;
    c->q = q;
    c->sku = rg_drop_call_sku(q);
    c->conn = -1;
    c->app_region = st->cfg->app_at_db ? st->cfg->db_region : pop;
    if (st->cfg->app_at_db)
        d += hop(st, pop, st->cfg->db_region);
    if (d == 0)
        on_at_app(st->e, c, 0); /* the application is this edge worker */
    else
        rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_app, c, 0);
}

/* An expired reservation: the application (where the call's ran) gives
 * the unit back with one autocommit UPDATE stock = stock + 1 on a pooled
 * connection.  The call was answered, so its data is free for this. */
static void sql_release(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d)
{
    sqlstore *st = store;
    (void)r;
    sqlcall *c = rg_drop_call_data(q);
    c->releasing = true;
    c->conn = -1;
    if (st->cfg->app_at_db)
        d += hop(st, rg_drop_call_region(q), st->cfg->db_region);
    rg_after(st->e, d, RG_PRIO_DEFAULT, on_at_app, c, 0);
}

static const rg_orders *sql_orders(const void *store)
{
    return ((const sqlstore *)store)->orders;
}

/* The kinds differ only in name and protocol (their load). */
#define SQL_KIND(NAME, LOAD, SUMMARY)                                                              \
    {                                                                                              \
        .name = NAME, .summary = SUMMARY, .section = "sqldb", .load = LOAD,                        \
        .free_cfg = sql_free_cfg, .build = sql_build, .route = sql_route,                          \
        .decremented = sql_decremented, .free_store = sql_free_store, .billable = billable,        \
        .call_size = sizeof(sqlcall), .release = sql_release, .orders = sql_orders,                \
    }

const rg_drop_kind rg_drop_kind_sql_naive = SQL_KIND(
    "sql_naive", load_naive, "SELECT, check, pause, UPDATE SET stock = read-1 (lost updates)");
const rg_drop_kind rg_drop_kind_sql_locked =
    SQL_KIND("sql_locked", load_locked,
             "SELECT ... FOR UPDATE, UPDATE, COMMIT, the row lock held (MySQL/PostgreSQL, not D1)");
const rg_drop_kind rg_drop_kind_sql_conditional =
    SQL_KIND("sql_conditional", load_conditional,
             "UPDATE stock = stock - 1 WHERE stock > 0: one statement (the safe path on D1)");
const rg_drop_kind rg_drop_kind_sql_naive_relative =
    SQL_KIND("sql_naive_relative", load_relative,
             "SELECT, check, pause, UPDATE SET stock = stock - 1 (no guard: below 0)");
