/*
 * sqldb.c: the regional SQL database (see sqldb.h).  Statements are small
 * heap objects that move through the worker queue (FIFO) to execution; a
 * locking statement that finds its row locked by another connection when
 * it starts leaves its worker and waits in the row's FIFO, then resumes at
 * the head of the worker queue once granted.  Connections are indices into
 * a table that records the rows each one has locked.
 */
#include "models/stores/sqldb.h"

#include <stdlib.h>
#include <string.h>

typedef struct stmt stmt;
struct stmt {
    rg_sqldb *db;
    int64_t conn;
    rg_sqlop op;
    size_t row;
    int64_t arg;
    bool autocommit;
    rg_sql_cb cb;
    void *ctx;
    uint64_t tag;
    rg_time lock_asked;
    rg_time lock_wait;
    bool granted; /* it holds the row lock it needs */
    enum { S_SPARE, S_READY, S_LOCKWAIT, S_EXEC } where;
    bool dead;  /* executing when the primary died: its end does nothing */
    stmt *next; /* in a FIFO */
};

typedef struct fifo {
    stmt *head, *tail;
} fifo;

typedef struct row {
    int64_t value;
    int64_t owner; /* connection holding the lock, -1 if free */
    rg_time locked_at;
    fifo waiters;
    /* Lock timeouts: every waiter waits the same lock_timeout and the queue
     * is FIFO, so deadlines expire from the head; one timer per row walks
     * them instead of one event per waiter (which almost always gets the
     * lock and would leave a cancelled event behind). */
    rg_evh lock_timer;
} row;

/* Rows a connection keeps in the connection itself: a transaction of the
 * drop locks one row, so the first few never cost an allocation (one per
 * new connection at its first lock grant, before). */
#define CONN_INLINE 4

typedef struct conn {
    bool open;
    bool wrote;              /* its transaction wrote (replicated databases) */
    bool broken;             /* leased before a failover: its statements fail */
    size_t nlocked;          /* rows locked by this connection: */
    size_t inl[CONN_INLINE]; /* the first CONN_INLINE here, */
    size_t *more, capmore;   /* the rest here */
    int64_t next_free;       /* closed: the next closed connection */
} conn;

/* The i-th row locked by c. */
static inline size_t *conn_locked(conn *c, size_t i)
{
    return i < CONN_INLINE ? &c->inl[i] : &c->more[i - CONN_INLINE];
}

typedef struct pwait { /* a caller waiting for a connection */
    rg_sql_cb cb;
    void *ctx;
    uint64_t tag;
    uint64_t timer; /* its pool_timeout in db->pool_lane, 0 if none */
    bool gone;      /* timed out: dropped when it reaches the front */
} pwait;

struct rg_sqldb {
    rg_engine *e;
    rg_sqldb_params p;
    gsl_rng *service;
    row *rows;
    size_t nrows;
    conn *conns;
    size_t nconns, capconns;
    int64_t open;
    int64_t free_head; /* closed connections, the last closed first (-1: none) */
    /* Pool waiters, FIFO: a ring of the records themselves, not of
     * pointers to records made one by one (a crowd of 10^5 waiters was as
     * many mallocs, and a cache miss more for every grant).  A waiter is
     * named by its number in queueing order, pq_first being pq[pq_head]'s:
     * it stays in the ring until it reaches the front, timed out or not. */
    pwait *pq;
    size_t pq_head, pq_len, pq_cap;
    uint64_t pq_first;
    void (*warm)(const void *ctx); /* rg_sqldb_warm, or NULL */
    /* The waiters' pool_timeouts: all the same length and set in the
     * order the waiters queue, so they come due in that order and share
     * one heap entry (engine.h, lanes) instead of one per waiter, whose
     * thousands deepened every sift of a crowd the pool cannot serve. */
    rg_lane *pool_lane;
    fifo ready;            /* statements waiting for a worker */
    stmt *spare;           /* finished statements, reused (no malloc per
                              statement on the hot path) */
    stmt **slabs;          /* every statement made: slab i holds statements
                              i*STMT_SLAB...; freed at the end, wherever each
                              is (a run that stops at its horizon leaves some
                              executing) */
    size_t nall, capslabs; /* statements made, in the order made */
    int64_t busy;
    rg_sqldb_stats stats;
    /* the asynchronous replica (rg_sqldb_replicate), and failover */
    bool repl;
    const rg_dist *lag;
    gsl_rng *lagrng;
    int64_t *rrows;     /* the replica's rows */
    uint64_t lsn, rlsn; /* last commit; last commit at the replica */
    rg_time applied_at; /* when the last shipped commit lands */
    struct ship *ships; /* shipped, not yet applied: a FIFO ring */
    size_t sh_head, sh_len, sh_cap;
    uint64_t epoch;     /* failovers so far: older shipments do nothing */
    rg_time down_until; /* statements fail until then */
};

/* One row's value shipped to the replica with a commit. */
struct ship {
    size_t row;
    int64_t value;
    uint64_t lsn;
};

static void fifo_push(fifo *f, stmt *s)
{
    s->next = NULL;
    if (f->tail)
        f->tail->next = s;
    else
        f->head = s;
    f->tail = s;
}

static void fifo_push_front(fifo *f, stmt *s)
{
    s->next = f->head;
    f->head = s;
    if (!f->tail)
        f->tail = s;
}

static stmt *fifo_pop(fifo *f)
{
    stmt *s = f->head;
    if (s) {
        f->head = s->next;
        if (!f->head)
            f->tail = NULL;
    }
    return s;
}

/* Statements are made in slabs: a replication of the drop makes a few
 * hundred per database, and one malloc (and one free) each was a visible
 * share of its cost. */
#define STMT_SLAB 64

/* The i-th statement made. */
static stmt *stmt_at(const rg_sqldb *db, size_t i)
{
    return &db->slabs[i / STMT_SLAB][i % STMT_SLAB];
}

static stmt *stmt_new(rg_sqldb *db)
{
    stmt *s = db->spare;
    if (s != NULL) {
        db->spare = s->next;
    } else {
        if (db->nall % STMT_SLAB == 0) {
            size_t n = db->nall / STMT_SLAB;
            rg_xgrow((void **)&db->slabs, &db->capslabs, n + 1, sizeof *db->slabs);
            db->slabs[n] = rg_xmalloc(STMT_SLAB * sizeof **db->slabs);
        }
        s = stmt_at(db, db->nall++);
    }
    memset(s, 0, sizeof *s);
    return s;
}

static void stmt_done(rg_sqldb *db, stmt *s)
{
    s->where = S_SPARE;
    s->next = db->spare;
    db->spare = s;
}

rg_sqldb *rg_sqldb_new(rg_engine *e, const rg_sqldb_params *p, size_t nrows, int64_t initial)
{
    rg_sqldb *db = rg_xcalloc(1, sizeof *db);
    db->e = e;
    db->p = *p;
    db->service = rg_engine_stream(e, "service");
    db->rows = rg_xcalloc(nrows, sizeof *db->rows);
    db->nrows = nrows;
    db->free_head = -1;
    for (size_t i = 0; i < nrows; i++) {
        db->rows[i].value = initial;
        db->rows[i].owner = -1;
    }
    rg_acc_init(&db->stats.lock_wait);
    return db;
}

void rg_sqldb_free(rg_sqldb *db)
{
    if (db == NULL)
        return;
    /* Statements waiting, executing or spare at the end of a replication. */
    for (size_t i = 0; i < db->nall; i += STMT_SLAB)
        free(db->slabs[i / STMT_SLAB]);
    free(db->slabs);
    for (size_t i = 0; i < db->nconns; i++)
        free(db->conns[i].more);
    free(db->pq);
    rg_lane_free(db->pool_lane);
    free(db->conns);
    free(db->rows);
    free(db->rrows);
    free(db->ships);
    free(db);
}

int64_t rg_sqldb_row(const rg_sqldb *db, size_t r)
{
    return db->rows[r].value;
}
const rg_sqldb_stats *rg_sqldb_stats_get(const rg_sqldb *db)
{
    return &db->stats;
}

/* ---- connections ------------------------------------------------------ */

static int64_t open_conn(rg_sqldb *db)
{
    int64_t id;
    if (db->free_head >= 0) {
        id = db->free_head;
        db->free_head = db->conns[id].next_free;
    } else {
        if (db->nconns == db->capconns)
            rg_xgrow((void **)&db->conns, &db->capconns, db->nconns + 1, sizeof *db->conns);
        id = (int64_t)db->nconns++;
        memset(&db->conns[id], 0, sizeof db->conns[id]);
    }
    db->conns[id].open = true;
    db->conns[id].broken = false;
    db->conns[id].nlocked = 0;
    db->open++;
    return id;
}

/* Waiter number n, which is in the queue (engine-checked). */
static pwait *waiter(rg_sqldb *db, uint64_t n)
{
    RG_ENGINE_ASSERT(db->e, n >= db->pq_first && n - db->pq_first < db->pq_len);
    return &db->pq[(db->pq_head + (size_t)(n - db->pq_first)) % db->pq_cap];
}

/* Fetches what the waiters after the one that is served now will need:
 * `i` is the next one's place in the queue.  Two stages, one waiter
 * apart: the ctx of the one after next (its first 128 bytes), and the
 * warm hook on the next one's, fetched one turn before. */
static void fetch_ahead(rg_sqldb *db, size_t i)
{
    if (i + 1 < db->pq_len)
        rg_prefetch_record(db->pq[(db->pq_head + i + 1) % db->pq_cap].ctx);
    if (db->warm != NULL && i < db->pq_len) {
        const pwait *next = &db->pq[(db->pq_head + i) % db->pq_cap];
        if (!next->gone) /* its caller may have let go of ctx */
            db->warm(next->ctx);
    }
}

void rg_sqldb_warm(rg_sqldb *db, void (*warm)(const void *ctx))
{
    db->warm = warm;
}

/* Takes the waiter at the front off the queue. */
static pwait pop_waiter(rg_sqldb *db)
{
    pwait w = db->pq[db->pq_head];
    db->pq_head = (db->pq_head + 1) % db->pq_cap;
    db->pq_len--;
    db->pq_first++;
    return w;
}

static void on_pool_timeout(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_sqldb *db = ctx;
    pwait *w = waiter(db, arg);
    /* Timeouts come in queueing order. */
    fetch_ahead(db, arg + 1 - db->pq_first);
    w->gone = true; /* dropped when it reaches the front of the queue */
    db->stats.pool_timeouts++;
    rg_sqlres res = {RG_SQL_POOL_TIMEOUT, -1, 0, 0, 0};
    /* w is not used after the call: the callback may queue again, which
     * may move the ring */
    w->cb(e, w->ctx, w->tag, &res);
}

void rg_sqldb_connect(rg_sqldb *db, rg_sql_cb cb, void *ctx, uint64_t tag)
{
    if (db->p.pool <= 0 || db->open < db->p.pool) {
        rg_sqlres res = {RG_SQL_OK, open_conn(db), 0, 0, 0};
        cb(db->e, ctx, tag, &res);
        return;
    }
    pwait w = {cb, ctx, tag, 0, false};
    if (db->p.pool_timeout > 0) {
        if (db->pool_lane == NULL)
            db->pool_lane = rg_lane_new(db->e, RG_PRIO_DEFAULT, on_pool_timeout);
        w.timer = rg_lane_after(db->pool_lane, db->p.pool_timeout, db, db->pq_first + db->pq_len);
    }
    if (db->pq_len == db->pq_cap) {
        size_t nc = db->pq_cap ? 2 * db->pq_cap : 16;
        RG_ASSERT(nc <= SIZE_MAX / sizeof *db->pq);
        pwait *nq = rg_xmalloc(nc * sizeof *nq);
        for (size_t i = 0; i < db->pq_len; i++)
            nq[i] = db->pq[(db->pq_head + i) % db->pq_cap];
        free(db->pq);
        db->pq = nq;
        db->pq_head = 0;
        db->pq_cap = nc;
    }
    db->pq[(db->pq_head + db->pq_len++) % db->pq_cap] = w;
}

static void release_locks(rg_sqldb *db, int64_t c);
static void dispatch(rg_sqldb *db);

void rg_sqldb_close(rg_sqldb *db, int64_t c)
{
    RG_ENGINE_ASSERT(db->e, c >= 0 && (size_t)c < db->nconns && db->conns[c].open);
    release_locks(db, c);
    dispatch(db); /* a statement granted a lock may now run */
    db->conns[c].open = false;
    db->open--;
    db->conns[c].next_free = db->free_head;
    db->free_head = c;
    /* Hand the freed slot to the first caller still waiting. */
    while (db->pq_len > 0) {
        pwait w = pop_waiter(db);
        if (w.gone)
            continue;
        if (w.timer != 0)
            rg_lane_cancel(db->pool_lane, w.timer);
        fetch_ahead(db, 0);
        rg_sqlres res = {RG_SQL_OK, open_conn(db), 0, 0, 0};
        w.cb(db->e, w.ctx, w.tag, &res);
        break;
    }
}

/* ---- execution -------------------------------------------------------- */

static bool locking(rg_sqlop op)
{
    return op == RG_SQL_SELECT_FOR_UPDATE || op == RG_SQL_UPDATE_SET || op == RG_SQL_UPDATE_DECR ||
           op == RG_SQL_UPDATE_INCR || op == RG_SQL_UPDATE_SUB;
}

/* ---- the replica ------------------------------------------------------ */

static bool writes(rg_sqlop op)
{
    return op == RG_SQL_UPDATE_SET || op == RG_SQL_UPDATE_DECR || op == RG_SQL_UPDATE_INCR ||
           op == RG_SQL_UPDATE_SUB;
}

void rg_sqldb_replicate(rg_sqldb *db, const rg_dist *lag, gsl_rng *r)
{
    db->repl = true;
    db->lag = lag;
    db->lagrng = r;
    db->rrows = rg_xcalloc(db->nrows, sizeof *db->rrows);
    for (size_t i = 0; i < db->nrows; i++)
        db->rrows[i] = db->rows[i].value;
}

static void on_replica_apply(rg_engine *e, void *ctx, uint64_t epoch)
{
    rg_sqldb *db = ctx;
    (void)e;
    if (epoch != db->epoch)
        return; /* shipped by a primary that died */
    struct ship *x = &db->ships[db->sh_head];
    db->sh_head = (db->sh_head + 1) % db->sh_cap;
    db->sh_len--;
    db->rrows[x->row] = x->value;
    db->rlsn = x->lsn;
}

/* Ships row's current value with commit lsn: it lands after a lag, never
 * before an earlier commit.  Returns lsn. */
static uint64_t ship_row(rg_sqldb *db, size_t rowi, uint64_t lsn)
{
    if (db->sh_len == db->sh_cap) {
        size_t nc = db->sh_cap ? 2 * db->sh_cap : 16;
        struct ship *nv = rg_xmalloc(nc * sizeof *nv);
        for (size_t i = 0; i < db->sh_len; i++)
            nv[i] = db->ships[(db->sh_head + i) % db->sh_cap];
        free(db->ships);
        db->ships = nv;
        db->sh_head = 0;
        db->sh_cap = nc;
    }
    db->ships[(db->sh_head + db->sh_len++) % db->sh_cap] =
        (struct ship){rowi, db->rows[rowi].value, lsn};
    rg_time at = rg_now(db->e) + rg_dist_sample_time(db->lag, db->lagrng);
    if (at < db->applied_at)
        at = db->applied_at;
    db->applied_at = at;
    rg_at(db->e, at, RG_PRIO_DEFAULT, on_replica_apply, db, db->epoch);
    return lsn;
}

/* A transaction that wrote commits: the rows it locked (those it wrote
 * among them) go to the replica with one commit number. */
static uint64_t ship_commit(rg_sqldb *db, int64_t cid)
{
    conn *c = &db->conns[cid];
    uint64_t lsn = ++db->lsn;
    for (size_t i = 0; i < c->nlocked; i++)
        ship_row(db, *conn_locked(c, i), lsn);
    return lsn;
}

static void on_exec_done(rg_engine *e, void *ctx, uint64_t arg)
{
    stmt *s = ctx;
    rg_sqldb *db = s->db;
    (void)arg;
    if (s->dead) {
        stmt_done(db, s); /* failed with the primary */
        return;
    }
    row *r = &db->rows[s->row];
    rg_sqlres res = {RG_SQL_OK, 0, s->lock_wait, r->value, 0};
    if (db->repl && s->op == RG_SQL_COMMIT && db->conns[s->conn].wrote)
        res.lsn = ship_commit(db, s->conn);
    switch (s->op) {
    case RG_SQL_SELECT:
    case RG_SQL_SELECT_FOR_UPDATE: res.value = r->value; break;
    case RG_SQL_UPDATE_SET:
        r->value = s->arg;
        res.value = 1;
        break;
    case RG_SQL_UPDATE_DECR:
        if (r->value > 0) {
            r->value--;
            res.value = 1;
        }
        break;
    case RG_SQL_UPDATE_INCR:
        r->value++;
        res.value = 1;
        break;
    case RG_SQL_COMMIT:
    case RG_SQL_ROLLBACK: release_locks(db, s->conn); break;
    case RG_SQL_UPDATE_SUB:
        r->value -= s->arg;
        res.value = 1;
        break;
    }
    db->stats.statements++;
    if (db->repl && writes(s->op)) {
        if (s->autocommit)
            res.lsn = ship_row(db, s->row, ++db->lsn);
        else
            db->conns[s->conn].wrote = true;
    }
    if (s->op == RG_SQL_COMMIT || s->op == RG_SQL_ROLLBACK)
        db->conns[s->conn].wrote = false;
    if (s->autocommit && s->op != RG_SQL_SELECT)
        release_locks(db, s->conn);
    db->busy--;
    rg_sql_cb cb = s->cb;
    void *cctx = s->ctx;
    uint64_t tag = s->tag;
    stmt_done(db, s);
    cb(e, cctx, tag, &res);
    dispatch(db);
}

/* Statement s takes the lock of its row (free, or just released to it). */
static void take_lock(rg_sqldb *db, stmt *s)
{
    row *r = &db->rows[s->row];
    r->owner = s->conn;
    r->locked_at = rg_now(db->e);
    conn *c = &db->conns[s->conn];
    if (c->nlocked >= CONN_INLINE && c->nlocked - CONN_INLINE == c->capmore)
        rg_xgrow((void **)&c->more, &c->capmore, c->nlocked - CONN_INLINE + 1, sizeof *c->more);
    *conn_locked(c, c->nlocked++) = s->row;
    s->granted = true;
    s->lock_wait = rg_now(db->e) - s->lock_asked;
    rg_acc_add(&db->stats.lock_wait, rg_time_sec(s->lock_wait));
}

static void arm_lock_timer(rg_sqldb *db, size_t rowi);

/* Starts statements while a worker is free.  A locking statement takes its
 * row's lock as it starts (a database locks when the statement executes,
 * not when it arrives); if another connection holds it, the statement
 * gives its worker back and waits in the row's queue. */
static void dispatch(rg_sqldb *db)
{
    while (db->busy < db->p.workers && db->ready.head) {
        stmt *s = fifo_pop(&db->ready);
        if (locking(s->op) && !s->granted) {
            row *r = &db->rows[s->row];
            s->lock_asked = rg_now(db->e);
            if (r->owner >= 0 && r->owner != s->conn) {
                s->where = S_LOCKWAIT;
                fifo_push(&r->waiters, s);
                arm_lock_timer(db, s->row);
                continue;
            }
            if (r->owner < 0)
                take_lock(db, s);
        }
        db->busy++;
        s->where = S_EXEC;
        rg_after(db->e, rg_dist_sample_time(db->p.stmt, db->service), RG_PRIO_DEFAULT, on_exec_done,
                 s, 0);
    }
}

/* Releases every lock of connection cid; each row goes to its first
 * waiter, which resumes ahead of the statements that have not started.
 * The caller dispatches. */
static void release_locks(rg_sqldb *db, int64_t cid)
{
    conn *c = &db->conns[cid];
    rg_time now = rg_now(db->e);
    for (size_t i = 0; i < c->nlocked; i++) {
        row *r = &db->rows[*conn_locked(c, i)];
        RG_ENGINE_ASSERT(db->e, r->owner == cid);
        if (now - r->locked_at > db->stats.max_lock_hold)
            db->stats.max_lock_hold = now - r->locked_at;
        r->owner = -1;
        stmt *next = fifo_pop(&r->waiters);
        if (next) {
            take_lock(db, next);
            next->where = S_READY;
            fifo_push_front(&db->ready, next);
        }
    }
    c->nlocked = 0;
}

static void on_lock_timeout(rg_engine *e, void *ctx, uint64_t arg);

static void arm_lock_timer(rg_sqldb *db, size_t rowi)
{
    row *r = &db->rows[rowi];
    if (db->p.lock_timeout > 0 && r->waiters.head && !rg_pending(db->e, r->lock_timer))
        r->lock_timer = rg_at(db->e, r->waiters.head->lock_asked + db->p.lock_timeout,
                              RG_PRIO_DEFAULT, on_lock_timeout, db, rowi);
}

/* Fails every waiter at the head of row `arg`'s queue whose lock_timeout
 * has run out (only that statement fails: MySQL semantics). */
static void on_lock_timeout(rg_engine *e, void *ctx, uint64_t arg)
{
    rg_sqldb *db = ctx;
    row *r = &db->rows[arg];
    while (r->waiters.head && r->waiters.head->lock_asked + db->p.lock_timeout <= rg_now(e)) {
        stmt *s = fifo_pop(&r->waiters);
        db->stats.lock_timeouts++;
        rg_sqlres res = {RG_SQL_LOCK_TIMEOUT, -1, rg_now(e) - s->lock_asked, 0, 0};
        rg_sql_cb cb = s->cb;
        void *cctx = s->ctx;
        uint64_t tag = s->tag;
        stmt_done(db, s);
        cb(e, cctx, tag, &res);
    }
    arm_lock_timer(db, (size_t)arg);
}

void rg_sqldb_exec(rg_sqldb *db, int64_t c, rg_sqlop op, size_t rowi, int64_t arg, bool autocommit,
                   rg_sql_cb cb, void *ctx, uint64_t tag)
{
    RG_ENGINE_ASSERT(db->e, c >= 0 && (size_t)c < db->nconns && db->conns[c].open);
    RG_ENGINE_ASSERT(db->e, rowi < db->nrows);
    if (rg_now(db->e) < db->down_until || db->conns[c].broken) {
        rg_sqlres res = {RG_SQL_FAILOVER, -1, 0, 0, 0};
        cb(db->e, ctx, tag, &res);
        return;
    }
    stmt *s = stmt_new(db);
    s->db = db;
    s->conn = c;
    s->op = op;
    s->row = rowi;
    s->arg = arg;
    s->autocommit = autocommit;
    s->cb = cb;
    s->ctx = ctx;
    s->tag = tag;
    s->where = S_READY;
    fifo_push(&db->ready, s);
    dispatch(db);
}

/* ---- failover --------------------------------------------------------- */

uint64_t rg_sqldb_failover(rg_sqldb *db, rg_time down)
{
    rg_engine *e = db->e;
    db->epoch++;
    db->down_until = rg_now(e) + down;
    /* the replica's rows are the database's now */
    for (size_t i = 0; i < db->nrows; i++) {
        row *r = &db->rows[i];
        r->value = db->rrows != NULL ? db->rrows[i] : r->value;
        r->owner = -1;
        r->waiters.head = r->waiters.tail = NULL;
    }
    uint64_t kept = db->rlsn;
    db->repl = false;
    db->sh_len = 0;
    for (size_t i = 0; i < db->nconns; i++) {
        db->conns[i].nlocked = 0;
        db->conns[i].wrote = false;
        db->conns[i].broken = db->conns[i].open; /* to the dead primary */
    }
    db->ready.head = db->ready.tail = NULL;
    db->busy = 0;
    /* every statement in flight fails, in the order they were made */
    rg_sqlres res = {RG_SQL_FAILOVER, -1, 0, 0, 0};
    for (size_t i = 0; i < db->nall; i++) {
        stmt *s = stmt_at(db, i);
        if (s->where == S_SPARE || s->dead)
            continue;
        rg_sql_cb cb = s->cb;
        void *cctx = s->ctx;
        uint64_t tag = s->tag;
        if (s->where == S_EXEC)
            s->dead = true; /* its completion event recycles it */
        else
            stmt_done(db, s);
        cb(e, cctx, tag, &res);
    }
    while (db->pq_len > 0) {
        pwait w = pop_waiter(db);
        if (!w.gone) {
            if (w.timer != 0)
                rg_lane_cancel(db->pool_lane, w.timer);
            w.cb(e, w.ctx, w.tag, &res);
        }
    }
    return kept;
}
