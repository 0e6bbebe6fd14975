/*
 * dropflow.c: the life of a request in the drop, and the API a store kind
 * calls (kind.h).
 *
 *   client --client_edge--> PoP: [the waiting room, droproom.c: queued,
 *     let in at a fixed rate; the request starts when let in]
 *     edge worker (cpu, cold start)
 *     protection, in the story's order: session (challenge) -> 403,
 *     token buckets (session, IP) -> 429, guardrail flag (KV) -> 403
 *   PoP -> the variant's kind (its route): the store decides, and answers
 *     with rg_drop_reply (one hop back) or rg_drop_reply_after
 *   back at the PoP: guardrail budget evaluated on an allocation
 *   PoP --client_edge--> client, who decides whether to try again
 *
 * Nothing here knows a store: the kind's route, store and per-call data are
 * all this file passes on.  Latencies come from the "network" stream,
 * challenge results from "clients", service times from "service" (inside
 * the stores).  The client gives up on a request at `timeout`; a reply
 * arriving later is ignored (the store may still have sold the unit: the
 * checker counts it as unacknowledged).  Every billable operation goes into
 * the run's ledger where it happens; the edge's and the protections' are
 * declared here, the stores' by their kinds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/dropint.h"

/* ---- billable operations -------------------------------------------------- */

/* What the edge and the protections bill; the stores' operations are
 * declared by their kinds.  Default prices are assumptions taken from
 * public list prices of Cloudflare Workers and KV per single operation, as
 * of 2024-2025: check current pricing before quoting a number from a
 * report. */
const rg_billable dflow_edge_request = {"edge_request", "0.0000003",
                                        "Workers: $0.30 per million requests"};
const rg_billable dflow_kv_read = {"kv_read", "0.0000005", "Workers KV: $0.50 per million reads"};
const rg_billable dflow_kv_write = {"kv_write", "0.000005", "Workers KV: $5.00 per million writes"};

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
    case RG_OUT_DECLINED: return "payment declined (402)";
    case RG_OUT_PENDING: break;
    }
    return "pending";
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
    if (cl->crashed) {
        cl->done = true; /* it never retries */
        return;
    }
    if (o == RG_OUT_ALLOCATED) {
        cl->units++;
        cl->purchase++; /* the next unit is a new order */
    } else if (o == RG_OUT_SOLD_OUT) {
        cl->soldout++;
    }
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
        dclientx *x = &r->clx[cl->id];
        wait = rg_bo_delay(bp, cl->attempts, x->prev_wait ? x->prev_wait : bp->base,
                           gsl_rng_uniform(r->clients));
        if ((o == RG_OUT_OVERLOADED || o == RG_OUT_RATE_LIMITED) && wait < bp->overload_wait)
            wait = bp->overload_wait;
        x->prev_wait = wait;
        /* the same rules as rg_bo_op_result: the next attempt must start
         * strictly inside the window, within the attempt limit */
        bool out_of_budget = bp->mode == RG_BO_WINDOW
                                 ? rg_now(r->e) + wait - x->first_sent >= bp->window ||
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
    if (q->cl->crashed && o != RG_OUT_TIMEOUT) {
        /* nobody reads it: the request ends at its deadline, unknown */
        if (r->trace && q->outcome == RG_OUT_PENDING)
            dtrace(r, "request %zu: reply to crashed buyer %zu lost (%s)", q->id, q->cl->id,
                   dflow_outcome_name(o));
        return;
    }
    if (q->outcome != RG_OUT_PENDING) {
        if (r->trace && o != RG_OUT_TIMEOUT)
            dtrace(r, "request %zu: late reply ignored (%s)", q->id, dflow_outcome_name(o));
        return;
    }
    q->outcome = o;
    q->answered = now;
    if (o == RG_OUT_ALLOCATED) {
        r->allocated++;
        r->alloc_sku[q->cl->sku]++;
        if (r->allocated == r->c->w.stock * r->c->w.skus)
            r->sold_at = now;
    } else if (o == RG_OUT_SOLD_OUT) {
        r->rejected++;
    }
    rg_repout_timeline(r->out, rg_time_sec(now), r->allocated, r->rejected);
    if (r->trace)
        dtrace(r,
               "%s %zu (%s) sku-%03d: %s (%s) latency %.1f ms  "
               "[allocated %lld, rejected %lld]",
               q->cl->bot ? "bot" : "buyer", q->cl->id, r->c->pl->name[q->cl->region],
               q->cl->sku + 1, o == RG_OUT_ALLOCATED ? "+1 allocated" : dflow_outcome_name(o),
               r->v->name, rg_time_ms(now - dreq_started(r, q)), (long long)r->allocated,
               (long long)r->rejected);
    if (o == RG_OUT_ALLOCATED && r->v->reserve)
        dcart_hold(r, q);
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

/* The backend's answer is back at the PoP: the story's "emit metrics,
 * evaluate budget, trip when exceeded" happens here. */
static void on_result_at_pop(rg_engine *e, void *ctx, uint64_t arg)
{
    dreq *q = ctx;
    drun *r = q->run;
    rg_outcome o = (rg_outcome)arg;
    if (o == RG_OUT_ALLOCATED) {
        /* Exact counts: an allocation decided after the budget was
         * exceeded is a leak, whatever the state says. */
        const rg_guard_params *g = &r->c->pr.guard;
        r->guard_leak += r->exact_over;
        r->decided++;
        r->exact_over =
            r->exact_over || (g->kind == RG_BUDGET_UNITS
                                  ? (double)(r->decided - r->guard.units_base) >= g->budget
                                  : rg_ledger_virtual(r->ledger) - r->guard.cost_base > g->budget);
        if (r->v->kv_state) {
            dkvp_evaluate(r, q);
        } else if (rg_guard_evaluate(&r->guard, r->decided, r->ledger, q->cl->region, rg_now(e),
                                     r->net)) {
            rg_ledger_add(r->ledger, &dflow_kv_write); /* the flag */
            if (r->trace)
                dtrace(r,
                       "GUARDRAIL TRIPPED at %s after %lld units, virtual cost "
                       "%.3g: no further allocations",
                       r->c->pl->name[q->cl->region], (long long)r->decided,
                       rg_ledger_virtual(r->ledger));
        }
    }
    answer_from_pop(r, q, 0, o);
}

/* ---- replies ---------------------------------------------------------------- */

void rg_drop_reply_after(dreq *q, rg_time d, rg_outcome o)
{
    drun *r = q->run;
    if (r->v->guardrail) {
        rg_after(r->e, d, RG_PRIO_DEFAULT, on_result_at_pop, q, (uint64_t)o);
        return;
    }
    if (o == RG_OUT_ALLOCATED)
        r->decided++;
    answer_from_pop(r, q, d, o);
}

void rg_drop_reply(dreq *q, int from, rg_outcome o)
{
    drun *r = q->run;
    rg_drop_reply_after(q, rg_drop_hop(r, from, q->region), o);
}

/* The trace line of a held message, out of rg_drop_hop's way: the hop is
 * on every message's path, the trace on almost none. */
static void __attribute__((noinline, cold)) hop_trace(drun *r, int from, int to, rg_time now)
{
    const rg_partition *cut = &r->v->faults.cut;
    if (rg_partition_holds(cut, from, to, now))
        dtrace(r, "message %s -> %s held by the partition until %.3f ms", r->c->pl->name[from],
               r->c->pl->name[to], rg_time_ms(cut->until));
}

rg_time rg_drop_hop(drun *r, int from, int to)
{
    rg_time now = rg_now(r->e);
    if (r->trace)
        hop_trace(r, from, to, now);
    return rg_places_hop_at(r->c->pl, &r->v->faults.cut, from, to, now, r->net);
}

/* ---- what a kind sees ------------------------------------------------------- */

rg_engine *rg_drop_run_engine(const drun *r)
{
    return r->e;
}

const rg_places *rg_drop_run_places(const drun *r)
{
    return r->c->pl;
}

gsl_rng *rg_drop_run_net(const drun *r)
{
    return r->net;
}

int64_t rg_drop_run_stock(const drun *r)
{
    return r->c->w.stock;
}

size_t rg_drop_run_skus(const drun *r)
{
    return (size_t)r->c->w.skus;
}

size_t rg_drop_run_buyers(const drun *r)
{
    return r->ncl;
}

const rg_buyer *rg_drop_run_buyer(const drun *r, size_t i)
{
    /* kinds ask while they build, before the buyers arrive */
    RG_ENGINE_ASSERT(r->e, i < r->ncl && r->buyers != NULL);
    return &r->buyers[i];
}

const char *rg_drop_run_variant(const drun *r)
{
    return r->v->name;
}

const rg_dfaults *rg_drop_run_faults(const drun *r)
{
    return &r->v->faults;
}

void rg_drop_bill(drun *r, const rg_billable *op)
{
    rg_ledger_add(r->ledger, op);
}

bool rg_drop_tracing(const drun *r)
{
    return r->trace != NULL;
}

void rg_drop_trace(drun *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dvtrace(r, fmt, ap);
    va_end(ap);
}

void rg_drop_stock_zero(drun *r, int sku, const char *where)
{
    if (r->trace == NULL || r->zero_traced[sku])
        return;
    r->zero_traced[sku] = true;
    dtrace(r, "sku-%03d: stock hits 0 (%s)", sku + 1, where);
}

drun *rg_drop_call_run(const dreq *q)
{
    return q->run;
}

void *rg_drop_call_store(const dreq *q)
{
    return q->run->store;
}

void *rg_drop_call_data(const dreq *q)
{
    const drun *r = q->run;
    return r->ksize ? r->kblocks[q->id / DREQ_BLOCK] + q->id % DREQ_BLOCK * r->ksize : NULL;
}

int rg_drop_call_region(const dreq *q)
{
    return q->region;
}

int rg_drop_call_sku(const dreq *q)
{
    return q->sku;
}

size_t rg_drop_call_client(const dreq *q)
{
    return q->cl->id;
}

uint64_t rg_drop_call_order(const dreq *q)
{
    return q->order;
}

void rg_drop_call_lock_wait(dreq *q, rg_time w)
{
    q->lock_wait += w;
}

/* ---- the edge ------------------------------------------------------------ */

/* The protections a variant switched on, in the story's order.  Returns the
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
        rg_ledger_add(r->ledger, &dflow_kv_read); /* the session lookup */
        if (!cl->has_session) {
            double p = cl->bot ? r->c->cl.pass_bot : r->c->cl.pass_human;
            cl->has_session = gsl_rng_uniform(r->clients) < p;
            if (!cl->has_session)
                return RG_OUT_CHALLENGE;
        }
    }
    /* Kept in the KV, the rate limits and the guardrail decide when their
     * reads are back (dropkvp.c). */
    if (v->rate_limit && !v->kv_state) {
        /* Without a challenge every client still has a session id. */
        if (!rg_limiter_take(r->lim_session, cl->id, now) ||
            !rg_limiter_take(r->lim_ip, dreq_ip(r, q), now))
            return RG_OUT_RATE_LIMITED;
    }
    if (v->guardrail && !v->kv_state) {
        rg_ledger_add(r->ledger, &dflow_kv_read); /* the guardrail flag */
        if (rg_guard_blocks(&r->guard, cl->region, now))
            return RG_OUT_GUARDRAIL;
    }
    return RG_OUT_PENDING;
}

/* Sends a request on from its PoP to the store; it is at the PoP, its
 * edge work done, `d` from now (0: now). */
static void route(drun *r, dreq *q, rg_time d)
{
    r->v->kind->route(r->store, r, q, d);
}

/* A request of a protected variant is at the PoP, its edge work done: the
 * protections decide now, with what the PoP sees at this moment. */
static void on_at_pop(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    dreq *q = ctx;
    drun *r = q->run;
    rg_ledger_add(r->ledger, &dflow_edge_request);
    rg_outcome blocked = protect(r, q);
    if (blocked == RG_OUT_PENDING && r->v->kv_state && (r->v->rate_limit || r->v->guardrail))
        dkvp_check(r, q);
    else
        dflow_protected(r, q, blocked);
}

void dflow_protected(drun *r, dreq *q, rg_outcome blocked)
{
    if (blocked != RG_OUT_PENDING)
        answer_from_pop(r, q, 0, blocked);
    else
        route(r, q, 0);
}

static dreq *new_request(drun *r, dclient *cl)
{
    size_t ksize = r->ksize;
    if (r->nreq == r->nblocks * DREQ_BLOCK) {
        /* not zeroed: each request is cleared as it is handed out */
        r->blocks = rg_xrealloc(r->blocks, (r->nblocks + 1) * sizeof *r->blocks);
        r->blocks[r->nblocks] = rg_xmalloc(DREQ_BLOCK * sizeof **r->blocks);
        if (ksize > 0) {
            r->kblocks = rg_xrealloc(r->kblocks, (r->nblocks + 1) * sizeof *r->kblocks);
            r->kblocks[r->nblocks] = rg_xmalloc(DREQ_BLOCK * ksize);
        }
        if (r->has_x) {
            r->xblocks = rg_xrealloc(r->xblocks, (r->nblocks + 1) * sizeof *r->xblocks);
            r->xblocks[r->nblocks] = rg_xmalloc(DREQ_BLOCK * sizeof **r->xblocks);
        }
        r->nblocks++;
    }
    dreq *q = drun_req(r, r->nreq);
    memset(q, 0, sizeof *q);
    q->run = r;
    q->id = r->nreq++;
    if (ksize > 0)
        memset(rg_drop_call_data(q), 0, ksize);
    if (r->has_x) {
        dreqx *x = drun_reqx(r, q);
        memset(x, 0, sizeof *x);
        x->held = x->paid = -1;
        x->started = rg_now(r->e);
    }
    q->cl = cl;
    q->region = cl->region;
    q->sku = cl->sku;
    q->sent = rg_now(r->e);
    /* An idempotency key: constant across the retries of one purchase,
     * never 0 (the client index above 24 bits of purchase number). */
    if (r->v->idem)
        q->order = ((uint64_t)(cl->id + 1) << 24) | (uint64_t)cl->purchase;
    return q;
}

dreq *dflow_new_request(drun *r, dclient *cl)
{
    dreq *q = new_request(r, cl);
    arm_deadline(r);
    if (cl->crash && !cl->crashed) {
        /* [faults] client_crash: gone right after sending */
        cl->crashed = true;
        if (r->trace)
            dtrace(r,
                   "FAULT: buyer %zu crashes after sending request %zu: it reads no answer "
                   "and never retries",
                   cl->id, q->id);
    }
    return q;
}

void dflow_to_pop(drun *r, dreq *q, rg_time d)
{
    const dvariant *v = r->v;
    if (v->challenge || v->rate_limit || v->guardrail) {
        rg_after(r->e, d, RG_PRIO_DEFAULT, on_at_pop, q, 0);
        return;
    }
    /* Nothing to decide at the PoP: one event fewer per request. */
    rg_ledger_add(r->ledger, &dflow_edge_request);
    route(r, q, d);
}

static void send_request(drun *r, dclient *cl)
{
    const dvariant *v = r->v;
    if (cl->attempts++ == 0)
        if (r->clx != NULL)
            r->clx[cl->id].first_sent = rg_now(r->e);
    if (v->room && !cl->admitted) {
        droom_enter(r, cl);
        return;
    }
    dreq *q = dflow_new_request(r, cl);
    if (rg_places_lost(r->c->pl, r->net))
        return;
    /* To the PoP, then the edge worker's CPU (and a cold start, rarely). */
    bool cold;
    rg_time d = rg_places_client(r->c->pl, r->net) + rg_edge_delay(&v->edge, r->net, &cold);
    dflow_to_pop(r, q, d);
}

/* Clients start in time order: one pending arrival event at a time. */
static void on_arrival(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    drun *r = ctx;
    dclient *cl = &r->cls[r->next_arrival++];
    if (r->next_arrival < r->ncl)
        rg_at(e, r->buyers[r->next_arrival].t, RG_PRIO_DEFAULT, on_arrival, r, 0);
    else
        drun_buyers_done(r);
    send_request(r, cl);
}

/* An operator presses reset (from one IP); itself rate-limited. */
static void on_reset(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)arg;
    drun *r = ctx;
    bool ok = rg_guard_reset(&r->guard, 0, r->decided, r->ledger, rg_now(e));
    if (ok) {
        r->exact_over = false;
        if (r->v->kv_state)
            dkvp_reset(r);
    }
    if (r->trace)
        dtrace(r, "operator reset: %s",
               ok ? "guardrail cleared" : "refused (429: one reset per limit window)");
}

/* [faults] partition: its start and its heal, in the trace. */
static void on_partition(rg_engine *e, void *ctx, uint64_t healed)
{
    (void)e;
    drun *r = ctx;
    const rg_partition *cut = &r->v->faults.cut;
    if (r->trace == NULL)
        return;
    if (healed)
        dtrace(r, "FAULT: partition %s | %s heals: held messages travel on", r->c->pl->name[cut->a],
               r->c->pl->name[cut->b]);
    else
        dtrace(r, "FAULT: partition %s | %s: messages between them held until %.3f ms",
               r->c->pl->name[cut->a], r->c->pl->name[cut->b], rg_time_ms(cut->until));
}

void dflow_start(drun *r)
{
    const rg_partition *cut = &r->v->faults.cut;
    if (cut->a >= 0) {
        rg_at(r->e, cut->from, RG_PRIO_DEFAULT, on_partition, r, 0);
        rg_at(r->e, cut->until, RG_PRIO_DEFAULT, on_partition, r, 1);
    }
    if (r->ncl > 0)
        rg_at(r->e, r->buyers[0].t, RG_PRIO_DEFAULT, on_arrival, r, 0);
    if (r->v->guardrail)
        for (size_t i = 0; i < r->c->pr.nresets; i++)
            rg_at(r->e, r->c->pr.resets[i], RG_PRIO_DEFAULT, on_reset, r, i);
}
