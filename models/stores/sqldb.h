/*
 * sqldb.h: a regional SQL database: rows holding integers (stock counts), a
 * connection pool, statement execution on a fixed number of workers, and
 * exclusive row locks with FIFO wait queues and a lock timeout.
 *
 * Mechanism:
 *  - connect: a connection is granted at once while fewer than `pool` are
 *    open, otherwise the caller waits in FIFO order, up to `pool_timeout`.
 *  - Every statement queues (FIFO) for one of `workers` executors and runs
 *    for a `stmt` service time.  Its effect and result are computed when it
 *    completes, against the row's value at that moment (Read Committed: a
 *    blocked conditional UPDATE re-checks its WHERE on the current value).
 *  - A locking statement (SELECT ... FOR UPDATE, UPDATE) takes the row's
 *    lock when it starts executing, as a database does, not when it
 *    arrives: granted if free or already held by the same connection;
 *    otherwise it gives its executor back and waits in the row's FIFO
 *    queue, up to `lock_timeout` (0: forever; on timeout only the
 *    statement fails: MySQL semantics), and once granted it resumes ahead
 *    of the statements that have not started.  So a queued statement
 *    holds no lock, and an autocommit one holds it only while it runs.
 *  - Autocommit statements release their lock when they complete; inside a
 *    transaction locks are held until COMMIT or ROLLBACK.
 *
 *  - Failover (optional, rg_sqldb_replicate then rg_sqldb_failover): an
 *    asynchronous replica receives every commit (an autocommit write, or
 *    the COMMIT of a transaction that wrote: the values of the rows it
 *    wrote) after a lag drawn per commit, in commit order.  When the
 *    primary dies the replica's rows become the database's: commits it had
 *    not received are lost, and with them uncommitted writes (written in
 *    place here).  Every statement in flight (queued, waiting for a lock,
 *    executing) and every caller waiting for a connection gets
 *    RG_SQL_FAILOVER; for the failover time every statement fails at once
 *    the same way, and so does every later statement on a connection
 *    leased before the failover (it was to the dead primary: a
 *    transaction never spans a failover).  Connections stay leased to
 *    their callers, who close them.  There is one failover: the promoted replica has no replica.
 *
 * The caller (a protocol) adds the network round trip around each
 * statement: the database only models the server side.
 */
#ifndef RG_SQLDB_H
#define RG_SQLDB_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/dist.h"
#include "sim/engine/engine.h"
#include "sim/engine/stats.h"

typedef struct rg_sqldb_params {
    const rg_dist *stmt;  /* service time of one statement */
    int64_t workers;      /* statements executing at once (D1: 1) */
    int64_t pool;         /* open connections allowed (0: unbounded) */
    rg_time pool_timeout; /* 0: wait forever */
    rg_time lock_timeout; /* 0: wait forever */
} rg_sqldb_params;

typedef enum {
    RG_SQL_SELECT,            /* value = row value; no lock */
    RG_SQL_SELECT_FOR_UPDATE, /* value = row value; takes the lock */
    RG_SQL_UPDATE_SET,        /* row = arg; value = rows affected (1) */
    RG_SQL_UPDATE_DECR,       /* row = row - 1 WHERE row > 0; value = 0 or 1 */
    RG_SQL_UPDATE_INCR,       /* row = row + 1; value = rows affected (1) */
    RG_SQL_COMMIT,            /* releases the connection's locks */
    RG_SQL_ROLLBACK,          /* same (writes are applied in place: the
                                 protocols only roll back before writing) */
    RG_SQL_UPDATE_SUB         /* row = row - arg, no WHERE: may go below 0;
                                 value = rows affected (1) */
} rg_sqlop;

typedef enum { RG_SQL_OK, RG_SQL_LOCK_TIMEOUT, RG_SQL_POOL_TIMEOUT, RG_SQL_FAILOVER } rg_sqlstatus;

typedef struct rg_sqlres {
    rg_sqlstatus status;
    int64_t value;
    rg_time lock_wait; /* time spent waiting for the row lock */
    int64_t before;    /* the row's value just before the statement ran */
    uint64_t lsn;      /* the commit it made, numbered from 1 (0: none, or
                          the database does not replicate) */
} rg_sqlres;

typedef void (*rg_sql_cb)(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res);

typedef struct rg_sqldb_stats {
    uint64_t statements, lock_timeouts, pool_timeouts;
    rg_acc lock_wait; /* seconds, locking statements */
    rg_time max_lock_hold;
} rg_sqldb_stats;

typedef struct rg_sqldb rg_sqldb;

rg_sqldb *rg_sqldb_new(rg_engine *e, const rg_sqldb_params *p, size_t nrows, int64_t initial);
void rg_sqldb_free(rg_sqldb *db);
/* Asks for a connection; cb gets status OK with value = connection id, or
 * RG_SQL_POOL_TIMEOUT. */
void rg_sqldb_connect(rg_sqldb *db, rg_sql_cb cb, void *ctx, uint64_t tag);
/* Optional, for speed only: warm(ctx) is called with a pool waiter's ctx
 * when the waiter before it is served (granted or timed out), after ctx's
 * first 128 bytes were fetched, so that it can fetch what the callback
 * will read beyond them (__builtin_prefetch; it must change nothing).  A
 * crowd the pool cannot serve waits seconds, long enough to leave the
 * caches. */
void rg_sqldb_warm(rg_sqldb *db, void (*warm)(const void *ctx));
/* Runs one statement on connection conn.  `autocommit` statements release
 * their lock at completion. */
void rg_sqldb_exec(rg_sqldb *db, int64_t conn, rg_sqlop op, size_t row, int64_t arg,
                   bool autocommit, rg_sql_cb cb, void *ctx, uint64_t tag);
/* Returns the connection to the pool (releasing any locks it holds). */
void rg_sqldb_close(rg_sqldb *db, int64_t conn);
int64_t rg_sqldb_row(const rg_sqldb *db, size_t row);
/* Gives the database an asynchronous replica whose lag per commit is drawn
 * from `lag` with r (both borrowed; call before the first statement). */
void rg_sqldb_replicate(rg_sqldb *db, const rg_dist *lag, gsl_rng *r);
/* The primary dies now and its replica serves `down` later (see above).
 * Returns the last commit the replica had received (commits after it are
 * lost).  Without a replica nothing survives but the initial rows. */
uint64_t rg_sqldb_failover(rg_sqldb *db, rg_time down);
const rg_sqldb_stats *rg_sqldb_stats_get(const rg_sqldb *db);

#endif
