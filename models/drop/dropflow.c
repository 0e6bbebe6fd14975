/*
 * dropflow.c: the life of a request in the drop.
 *
 *   client --client_edge--> PoP: edge worker (cpu, cold start)
 *     protection, in the seed's order: session (challenge) -> 403,
 *     token buckets (session, IP) -> 429, guardrail flag (KV) -> 403
 *   PoP --hop--> backend: object | SQL protocol | cache replica
 *   backend --hop--> PoP: guardrail budget evaluated on an allocation
 *   PoP --client_edge--> client, who decides whether to try again
 *
 * Latencies come from the "network" stream, challenge results from
 * "clients", service times from "service" (inside the stores).  The client
 * gives up on a request at `timeout`; a reply arriving later is ignored
 * (the store may still have sold the unit: the checker counts it as
 * unacknowledged).  Every billable operation goes into the run's ledger
 * where it happens.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/dropint.h"

/* ---- billable operations -------------------------------------------------- */

/* Default prices are assumptions taken from public list prices of the
 * platforms the seeds name (Cloudflare Workers, Durable Objects, D1, KV; a
 * managed Redis for the cache), per single operation, as of 2024-2025:
 * check current pricing before quoting a number from a report. */
static const rg_billable op_edge_request = {"edge_request", "0.0000003",
                                            "Workers: $0.30 per million requests"};
static const rg_billable op_object_request = {"object_request", "0.00000015",
                                              "Durable Objects: $0.15 per million requests"};
static const rg_billable op_object_write = {
    "object_write", "0.000001", "Durable Objects SQLite: $1.00 per million rows written"};
static const rg_billable op_sql_read = {"sql_read", "0.000000001",
                                        "D1: $0.001 per million rows read"};
static const rg_billable op_sql_write = {"sql_write", "0.000001",
                                         "D1: $1.00 per million rows written"};
static const rg_billable op_cache_op = {"cache_op", "0.0000002", "managed Redis: assumption"};
static const rg_billable op_kv_read = {"kv_read", "0.0000005",
                                       "Workers KV: $0.50 per million reads"};
static const rg_billable op_kv_write = {"kv_write", "0.000005",
                                        "Workers KV: $5.00 per million writes"};

const rg_billable *const dflow_billable[] = {&op_edge_request, &op_object_request, &op_object_write,
                                             &op_sql_read,     &op_sql_write,      &op_cache_op,
                                             &op_kv_read,      &op_kv_write,       NULL};

/* The one place a trace line is formatted: simulated time, then the line. */
void dvtrace(drun *r, const char *fmt, va_list ap)
{
    if (r->trace == NULL)
        return;
    fprintf(r->trace, "%10.3f ms  ", rg_time_ms(rg_now(r->e)));
    vfprintf(r->trace, fmt, ap);
    fputc('\n', r->trace);
}

void dtrace(drun *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dvtrace(r, fmt, ap);
    va_end(ap);
}

const char *dflow_outcome_name(rg_outcome o)
{
    switch (o) {
    case RG_OUT_ALLOCATED: return "allocated";
    case RG_OUT_SOLD_OUT: return "sold out (409)";
    case RG_OUT_TIMEOUT: return "timed out";
    case RG_OUT_OVERLOADED: return "overloaded (503)";
    case RG_OUT_DB_ERROR: return "database error";
    case RG_OUT_CHALLENGE: return "no session: challenge failed (403)";
    case RG_OUT_RATE_LIMITED: return "rate limited (429)";
    case RG_OUT_GUARDRAIL: return "guardrail tripped (403)";
    case RG_OUT_PENDING: break;
    }
    return "pending";
}

void dflow_trace_zero(drun *r, int sku, const char *where)
{
    if (r->trace == NULL || r->zero_traced[sku])
        return;
    r->zero_traced[sku] = true;
    dtrace(r, "sku-%03d: stock hits 0 (%s)", sku + 1, where);
}

static void send_request(drun *r, dclient *cl);

/* ---- the client ------------------------------------------------------- */

static void on_retry(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    drun *r = ctx;
    send_request(r, &r->cls[arg]);
}

/* What a client does after an answer: humans want one unit and try again
 * only after an error; bots collect units and retry on every failure but
 * a sold-out answer. */
static void next_move(drun *r, dclient *cl, rg_outcome o)
{
    const dclients *p = &r->c->cl;
    if (o == RG_OUT_ALLOCATED)
        cl->units++;
    bool satisfied = cl->units >= (cl->bot ? p->bot_want : 1);
    if (satisfied || o == RG_OUT_SOLD_OUT) {
        cl->done = true;
        return;
    }
    if (cl->attempts >= (cl->bot ? p->bot_attempts : p->human_attempts)) {
        cl->done = true;
        return;
    }
    rg_time wait;
    if (cl->bot) {
        wait = rg_dist_sample_time(p->bot_interval, r->clients);
    } else if (!p->human_backoff) {
        wait = p->human_retry;
    } else {
        /* The backpressure policy: a guardrail 403 is permanent (never
         * retried); an overload or rate-limit answer waits at least
         * overload_wait; the rest back off exponentially, and a retry that
         * could not start inside the window is not made: the buyer gets
         * the error (loudly). */
        const rg_bo_policy *bp = &p->retry;
        if (o == RG_OUT_GUARDRAIL) {
            cl->done = true;
            return;
        }
        wait = rg_bo_delay(bp, cl->attempts, cl->prev_wait ? cl->prev_wait : bp->base,
                           gsl_rng_uniform(r->clients));
        if ((o == RG_OUT_OVERLOADED || o == RG_OUT_RATE_LIMITED) && wait < bp->overload_wait)
            wait = bp->overload_wait;
        cl->prev_wait = wait;
        /* the same rules as rg_bo_op_result: the next attempt must start
         * strictly inside the window, within the attempt limit */
        bool out_of_budget = bp->mode == RG_BO_WINDOW
                                 ? rg_now(r->e) + wait - cl->first_sent >= bp->window ||
                                       (bp->max_attempts > 0 && cl->attempts >= bp->max_attempts)
                                 : cl->attempts > bp->legacy_retries;
        if (out_of_budget) {
            cl->done = true;
            return;
        }
    }
    rg_after(r->e, wait, RG_PRIO_DEFAULT, on_retry, r, cl->id);
}

/* The client learns an outcome (first answer wins; later ones are late). */
static void client_answer(drun *r, dreq *q, rg_outcome o)
{
    rg_time now = rg_now(r->e);
    if (q->outcome != RG_OUT_PENDING) {
        if (r->trace && o != RG_OUT_TIMEOUT)
            dtrace(r, "request %zu: late reply ignored (%s)", q->id, dflow_outcome_name(o));
        return;
    }
    q->outcome = o;
    q->answered = now;
    if (o == RG_OUT_ALLOCATED) {
        r->allocated++;
        r->alloc_sku[q->cl->b->sku]++;
    } else if (o == RG_OUT_SOLD_OUT) {
        r->rejected++;
    }
    rg_repout_timeline(r->out, rg_time_sec(now), r->allocated, r->rejected);
    if (r->trace)
        dtrace(r,
               "%s %zu (%s) sku-%03d: %s (%s) latency %.1f ms  "
               "[allocated %lld, rejected %lld]",
               q->cl->bot ? "bot" : "buyer", q->cl->id, r->c->pl->name[q->cl->b->region],
               q->cl->b->sku + 1, o == RG_OUT_ALLOCATED ? "+1 allocated" : dflow_outcome_name(o),
               r->v->name, rg_time_ms(now - q->sent), (long long)r->allocated,
               (long long)r->rejected);
    next_move(r, q->cl, o);
}

/* Client timeouts.  Every request waits the same `timeout` and requests
 * are numbered in send order, so deadlines expire in that order: one timer
 * event walks them, instead of one event per request that is almost always
 * cancelled. */
static void arm_deadline(drun *r);

static void on_deadline(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    drun *r = ctx;
    rg_time now = rg_now(e);
    while (r->next_deadline < r->nreq &&
           drun_req(r, r->next_deadline)->sent + r->c->w.timeout <= now) {
        dreq *q = drun_req(r, r->next_deadline++);
        if (q->outcome == RG_OUT_PENDING)
            client_answer(r, q, RG_OUT_TIMEOUT);
    }
    arm_deadline(r);
}

static void arm_deadline(drun *r)
{
    while (r->next_deadline < r->nreq && drun_req(r, r->next_deadline)->outcome != RG_OUT_PENDING)
        r->next_deadline++;
    if (r->next_deadline < r->nreq && !rg_pending(r->e, r->deadline_timer))
        r->deadline_timer = rg_at(r->e, drun_req(r, r->next_deadline)->sent + r->c->w.timeout,
                                  RG_PRIO_DEFAULT, on_deadline, r, 0);
}

static void on_client_reply(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    dreq *q = ctx;
    client_answer(q->run, q, (rg_outcome)arg);
}

/* The PoP's answer travels to the client (unless lost). */
static void answer_from_pop(drun *r, dreq *q, rg_time delay, rg_outcome o)
{
    if (rg_places_lost(r->c->pl, r->net))
        return; /* the client will time out */
    rg_after(r->e, delay + rg_places_client(r->c->pl, r->net), RG_PRIO_DEFAULT, on_client_reply, q,
             (uint64_t)o);
}

/* The backend's answer is back at the PoP: the seed's "emit metrics,
 * evaluate budget, trip when exceeded" happens here. */
static void on_result_at_pop(rg_engine *e, void *ctx, uint64_t arg)
{
    dreq *q = ctx;
    drun *r = q->run;
    rg_outcome o = (rg_outcome)arg;
    if (o == RG_OUT_ALLOCATED) {
        r->decided++;
        if (rg_guard_evaluate(&r->guard, r->decided, r->ledger, q->cl->b->region, rg_now(e),
                              r->net)) {
            rg_ledger_add(r->ledger, &op_kv_write); /* the flag */
            if (r->trace)
                dtrace(r,
                       "GUARDRAIL TRIPPED at %s after %lld units, virtual cost "
                       "%.3g: no further allocations",
                       r->c->pl->name[q->cl->b->region], (long long)r->decided,
                       rg_ledger_virtual(r->ledger));
        }
    }
    answer_from_pop(r, q, 0, o);
}

/* The outcome leaves the backend and reaches the PoP after `d`. */
static void reply_after(drun *r, dreq *q, rg_time d, rg_outcome o)
{
    if (r->v->guardrail) {
        rg_after(r->e, d, RG_PRIO_DEFAULT, on_result_at_pop, q, (uint64_t)o);
        return;
    }
    if (o == RG_OUT_ALLOCATED)
        r->decided++;
    answer_from_pop(r, q, d, o);
}

/* Sends the outcome from a store in region `from` back to the client's PoP. */
static void reply(drun *r, dreq *q, int from, rg_outcome o)
{
    reply_after(r, q, rg_places_hop(r->c->pl, from, q->cl->b->region, r->net), o);
}

/* The SQL application answers: it runs at the PoP itself (no hop back) or
 * in the database's region. */
static void reply_from_app(drun *r, dreq *q, rg_outcome o)
{
    if (r->v->app_at_db)
        reply(r, q, q->app_region, o);
    else
        reply_after(r, q, 0, o);
}

/* ---- object ------------------------------------------------------------ */

int dflow_obj_handler(void *state, uint64_t arg, bool *wrote)
{
    objstate *s = state;
    (void)arg;
    if (s->stock <= 0)
        return 0;
    s->stock--;
    *wrote = true;
    rg_ledger_add(s->run->ledger, &op_object_write);
    if (s->stock == 0)
        dflow_trace_zero(s->run, s->sku, "object");
    return 1;
}

static size_t object_of(const drun *r, const dreq *q)
{
    return r->v->shard_session ? q->cl->id : (size_t)q->cl->b->sku;
}

static void on_obj_reply(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    (void)tag;
    dreq *q = ctx;
    drun *r = q->run;
    reply(r, q, r->obj_region[object_of(r, q)],
          overloaded ? RG_OUT_OVERLOADED
          : code     ? RG_OUT_ALLOCATED
                     : RG_OUT_SOLD_OUT);
}

static void on_at_object(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    dreq *q = ctx;
    rg_ledger_add(q->run->ledger, &op_object_request);
    rg_object_call(q->run->obj[arg], 0, on_obj_reply, q, 0);
}

/* ---- SQL ---------------------------------------------------------------- */

static void sql_send(drun *r, dreq *q, phase ph, rg_sqlop op, int64_t arg, bool autocommit);

static void close_and_reply(drun *r, dreq *q, rg_outcome o)
{
    rg_sqldb_close(r->db, q->conn);
    reply_from_app(r, q, o);
}

/* A statement's result is back at the application. */
static void on_sql_back(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    dreq *q = ctx;
    drun *r = q->run;
    const rg_sqlres *res = &q->res;
    if (rg_sqldb_row(r->db, (size_t)q->cl->b->sku) == 0)
        dflow_trace_zero(r, q->cl->b->sku, r->v->name);
    q->lock_wait += res->lock_wait;
    switch (q->ph) {
    case P_SELECT:
        if (res->value <= 0)
            close_and_reply(r, q, RG_OUT_SOLD_OUT);
        else /* the seed's pause between the check and the write: see sql_send */
            sql_send(r, q, P_NAIVE_UPDATE, RG_SQL_UPDATE_SET, res->value - 1, true);
        break;
    case P_NAIVE_UPDATE:
        /* the write itself can fail (a lock wait timed out): not a sale */
        close_and_reply(r, q, res->status == RG_SQL_OK ? RG_OUT_ALLOCATED : RG_OUT_DB_ERROR);
        break;
    case P_LOCK:
        if (res->status != RG_SQL_OK)
            sql_send(r, q, P_ROLLBACK_ERROR, RG_SQL_ROLLBACK, 0, false);
        else if (res->value <= 0)
            sql_send(r, q, P_ROLLBACK_SOLD_OUT, RG_SQL_ROLLBACK, 0, false);
        else
            sql_send(r, q, P_TXN_UPDATE, RG_SQL_UPDATE_SET, res->value - 1, false);
        break;
    case P_TXN_UPDATE: sql_send(r, q, P_COMMIT, RG_SQL_COMMIT, 0, false); break;
    case P_COMMIT: close_and_reply(r, q, RG_OUT_ALLOCATED); break;
    case P_ROLLBACK_SOLD_OUT: close_and_reply(r, q, RG_OUT_SOLD_OUT); break;
    case P_ROLLBACK_ERROR: close_and_reply(r, q, RG_OUT_DB_ERROR); break;
    case P_COND:
        if (res->status != RG_SQL_OK)
            close_and_reply(r, q, RG_OUT_DB_ERROR);
        else
            close_and_reply(r, q, res->value == 1 ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
        break;
    }
}

static void on_sql_result(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res)
{
    (void)e;
    (void)tag;
    dreq *q = ctx;
    drun *r = q->run;
    q->res = *res;
    rg_after(r->e, rg_places_hop(r->c->pl, r->v->db_region, q->app_region, r->net), RG_PRIO_DEFAULT,
             on_sql_back, q, 0);
}

/* A statement reaches the database; arg packs (op, autocommit, value). */
static void on_sql_arrive(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    dreq *q = ctx;
    drun *r = q->run;
    rg_sqlop op = (rg_sqlop)(arg & 0xff);
    bool autocommit = (arg >> 8) & 1;
    int64_t value = (int64_t)(arg >> 16);
    rg_sqldb_exec(r->db, q->conn, op, (size_t)q->cl->b->sku, value, autocommit, on_sql_result, q,
                  0);
}

static void sql_send(drun *r, dreq *q, phase ph, rg_sqlop op, int64_t arg, bool autocommit)
{
    RG_ENGINE_ASSERT(r->e, arg >= 0 && arg < (INT64_C(1) << 47));
    q->ph = ph;
    if (op == RG_SQL_SELECT || op == RG_SQL_SELECT_FOR_UPDATE)
        rg_ledger_add(r->ledger, &op_sql_read);
    else if (op == RG_SQL_UPDATE_SET || op == RG_SQL_UPDATE_DECR)
        rg_ledger_add(r->ledger, &op_sql_write);
    rg_time d = rg_places_hop(r->c->pl, q->app_region, r->v->db_region, r->net);
    if (ph == P_NAIVE_UPDATE)
        d += r->v->pause;
    uint64_t packed = (uint64_t)op | ((uint64_t)autocommit << 8) | ((uint64_t)arg << 16);
    rg_after(r->e, d, RG_PRIO_DEFAULT, on_sql_arrive, q, packed);
}

static void on_connected(rg_engine *e, void *ctx, uint64_t tag, const rg_sqlres *res)
{
    (void)e;
    (void)tag;
    dreq *q = ctx;
    drun *r = q->run;
    if (res->status != RG_SQL_OK) {
        reply_from_app(r, q, RG_OUT_DB_ERROR);
        return;
    }
    q->conn = res->value;
    switch (r->v->kind) {
    case K_SQL_NAIVE: sql_send(r, q, P_SELECT, RG_SQL_SELECT, 0, true); break;
    case K_SQL_LOCKED: sql_send(r, q, P_LOCK, RG_SQL_SELECT_FOR_UPDATE, 0, false); break;
    case K_SQL_COND: sql_send(r, q, P_COND, RG_SQL_UPDATE_DECR, 0, true); break;
    default: RG_ENGINE_ASSERT(r->e, !"not a SQL variant");
    }
}

static void on_at_app(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    dreq *q = ctx;
    /* Pooled connections are already established: leasing one is local. */
    rg_sqldb_connect(q->run->db, on_connected, q, 0);
}

/* ---- cache ------------------------------------------------------------- */

static void on_cache_done(rg_engine *e, void *ctx, uint64_t tag, int result)
{
    (void)e;
    (void)tag;
    dreq *q = ctx;
    drun *r = q->run;
    const rg_buyer *b = q->cl->b;
    if (result && rg_cache_value(r->cache, (size_t)b->region, (size_t)b->sku) == 0)
        dflow_trace_zero(r, b->sku, "cache replica");
    reply(r, q, b->region, result ? RG_OUT_ALLOCATED : RG_OUT_SOLD_OUT);
}

static void on_at_cache(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    dreq *q = ctx;
    rg_ledger_add(q->run->ledger, &op_cache_op);
    rg_cache_decrement(q->run->cache, (size_t)q->cl->b->region, (size_t)q->cl->b->sku,
                       on_cache_done, q, 0);
}

/* ---- the edge ------------------------------------------------------------ */

/* The protections a variant switched on, in the seed's order.  Returns the
 * outcome that blocks the request, or RG_OUT_PENDING to let it through.
 * Blocks are counted by the checker from what clients were told, like every
 * other outcome: a 403 or 429 that is lost or arrives after the client gave
 * up is a timeout for the client, not a block. */
static rg_outcome protect(drun *r, dreq *q)
{
    const dvariant *v = r->v;
    dclient *cl = q->cl;
    rg_time now = rg_now(r->e);
    if (v->challenge) {
        rg_ledger_add(r->ledger, &op_kv_read); /* the session lookup */
        if (!cl->has_session) {
            double p = cl->bot ? r->c->cl.pass_bot : r->c->cl.pass_human;
            cl->has_session = gsl_rng_uniform(r->clients) < p;
            if (!cl->has_session)
                return RG_OUT_CHALLENGE;
        }
    }
    if (v->rate_limit) {
        /* Without a challenge every client still has a session id. */
        if (!rg_limiter_take(r->lim_session, cl->id, now) ||
            !rg_limiter_take(r->lim_ip, q->ip, now))
            return RG_OUT_RATE_LIMITED;
    }
    if (v->guardrail) {
        rg_ledger_add(r->ledger, &op_kv_read); /* the guardrail flag */
        if (rg_guard_blocks(&r->guard, cl->b->region, now))
            return RG_OUT_GUARDRAIL;
    }
    return RG_OUT_PENDING;
}

/* Sends a request on from its PoP to the backend; it is at the PoP, its
 * edge work done, `d` from now (0: now). */
static void route(drun *r, dreq *q, rg_time d)
{
    const dvariant *v = r->v;
    int pop = q->cl->b->region;
    switch (v->kind) {
    case K_OBJECT: {
        size_t k = object_of(r, q);
        d += rg_places_hop(r->c->pl, pop, r->obj_region[k], r->net);
        rg_after(r->e, d, RG_PRIO_DEFAULT, on_at_object, q, k);
        break;
    }
    case K_SQL_NAIVE:
    case K_SQL_LOCKED:
    case K_SQL_COND:
        q->app_region = v->app_at_db ? v->db_region : pop;
        if (v->app_at_db)
            d += rg_places_hop(r->c->pl, pop, v->db_region, r->net);
        if (d == 0)
            on_at_app(r->e, q, 0); /* the application is this edge worker */
        else
            rg_after(r->e, d, RG_PRIO_DEFAULT, on_at_app, q, 0);
        break;
    case K_CACHE:
        d += rg_places_hop(r->c->pl, pop, pop, r->net);
        rg_after(r->e, d, RG_PRIO_DEFAULT, on_at_cache, q, 0);
        break;
    }
}

/* A request of a protected variant is at the PoP, its edge work done: the
 * protections decide now, with what the PoP sees at this moment. */
static void on_at_pop(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    dreq *q = ctx;
    drun *r = q->run;
    rg_ledger_add(r->ledger, &op_edge_request);
    rg_outcome blocked = protect(r, q);
    if (blocked != RG_OUT_PENDING)
        answer_from_pop(r, q, 0, blocked);
    else
        route(r, q, 0);
}

static dreq *new_request(drun *r, dclient *cl)
{
    if (r->nreq == r->nblocks * DREQ_BLOCK) {
        r->blocks = rg_xrealloc(r->blocks, (r->nblocks + 1) * sizeof *r->blocks);
        /* not zeroed: each request is cleared as it is handed out */
        r->blocks[r->nblocks++] = rg_xmalloc(DREQ_BLOCK * sizeof **r->blocks);
    }
    dreq *q = drun_req(r, r->nreq);
    memset(q, 0, sizeof *q);
    q->run = r;
    q->id = r->nreq++;
    q->cl = cl;
    q->conn = -1;
    q->sent = rg_now(r->e);
    /* Bots without a NAT pool rotate: a fresh address per request. */
    q->ip = cl->bot && r->c->cl.bot_ips == 0 ? (UINT64_C(1) << 40) + q->id : cl->ip;
    return q;
}

static void send_request(drun *r, dclient *cl)
{
    const dvariant *v = r->v;
    if (cl->attempts++ == 0)
        cl->first_sent = rg_now(r->e);
    dreq *q = new_request(r, cl);
    arm_deadline(r);
    if (rg_places_lost(r->c->pl, r->net))
        return;
    /* To the PoP, then the edge worker's CPU (and a cold start, rarely). */
    bool cold;
    rg_time d = rg_places_client(r->c->pl, r->net) + rg_edge_delay(&v->edge, r->net, &cold);
    if (v->challenge || v->rate_limit || v->guardrail) {
        rg_after(r->e, d, RG_PRIO_DEFAULT, on_at_pop, q, 0);
        return;
    }
    /* Nothing to decide at the PoP: one event fewer per request. */
    rg_ledger_add(r->ledger, &op_edge_request);
    route(r, q, d);
}

/* Clients start in time order: one pending arrival event at a time. */
static void on_arrival(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    drun *r = ctx;
    dclient *cl = &r->cls[r->next_arrival++];
    if (r->next_arrival < r->ncl)
        rg_at(e, r->cls[r->next_arrival].b->t, RG_PRIO_DEFAULT, on_arrival, r, 0);
    send_request(r, cl);
}

/* An operator presses reset (from one IP); itself rate-limited. */
static void on_reset(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    drun *r = ctx;
    bool ok = rg_guard_reset(&r->guard, 0, r->decided, r->ledger, rg_now(e));
    if (r->trace)
        dtrace(r, "operator reset: %s",
               ok ? "guardrail cleared" : "refused (429: one reset per limit window)");
}

void dflow_start(drun *r)
{
    if (r->ncl > 0)
        rg_at(r->e, r->cls[0].b->t, RG_PRIO_DEFAULT, on_arrival, r, 0);
    if (r->v->guardrail)
        for (size_t i = 0; i < r->c->pr.nresets; i++)
            rg_at(r->e, r->c->pr.resets[i], RG_PRIO_DEFAULT, on_reset, r, i);
}
