/*
 * dropcart.c: reservations that expire ([reservations]), for any kind.
 *
 * A buyer told "allocated" holds the unit in a cart.  Whether and when the
 * buyer pays is drawn at that moment from the "payments" stream (two draws
 * per cart, whatever their values, so no other draw of the replication
 * moves and a change of `pay` leaves every payment time as it was).  A
 * buyer who pays within `ttl` confirms the sale then; a cart not paid by
 * `ttl` after "allocated" (the payment failed, or came too late) expires,
 * and the application at the buyer's PoP gives the unit back through the
 * kind's release operation, where a later buyer can get it.
 *
 * Confirmations need no event: the checker reads the carts.  Only an
 * expiry is an event, because it changes the store.  The hold starts when
 * the client learns "allocated" (what the application can know of a
 * sale); a reply the client never heard holds nothing (the checker counts
 * that unit as unacknowledged, as without reservations).
 *
 * Defaults are assumptions (no figure in FACTS.md), each a parameter.
 */
#include <math.h>
#include <stdlib.h>

#include "models/drop/dropint.h"
#include "sim/engine/sort.h"

int dcart_load(rg_scn *s, dreserve *res, rg_err *e)
{
    /* Assumptions: a ten-minute checkout hold (a common choice of ticket
     * and sneaker shops), most buyers of a drop pay, within a minute or
     * two; the drop closes five minutes after it opens. */
    return rg_scn_dur(s, "reservations", "ttl", "10min", &res->ttl, e) < 0 ||
                   rg_scn_real(s, "reservations", "pay", "0.8", 0, 1, &res->pay, e) < 0 ||
                   rg_scn_dist(s, "reservations", "pay_time", "lognormal(median=45s, p99=5min)",
                               RG_QTY_DURATION, &res->pay_time, e) < 0 ||
                   rg_scn_dur(s, "reservations", "close", "5min", &res->close, e) < 0
               ? -1
               : 0;
}

void dcart_free(dreserve *res)
{
    rg_dist_free(res->pay_time);
    res->pay_time = NULL;
}

/* The cart of request `arg` expired unpaid: the unit goes back. */
static void on_expired(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    drun *r = ctx;
    dreq *q = drun_req(r, (size_t)arg);
    r->released++;
    r->released_sku[q->cl->sku]++;
    q->cl->gaveback++;
    if (r->trace)
        dtrace(r, "%s %zu's cart expired unpaid: sku-%03d unit released",
               q->cl->bot ? "bot" : "buyer", q->cl->id, q->cl->sku + 1);
    r->v->kind->release(r->store, r, q, 0);
}

void dcart_hold(drun *r, dreq *q)
{
    const dreserve *res = &r->c->res;
    rg_time now = rg_now(r->e);
    bool pays = gsl_rng_uniform(r->payments) < res->pay;
    rg_time t = rg_dist_sample_time(res->pay_time, r->payments);
    dreqx *x = drun_reqx(r, q);
    x->held = now;
    x->paid = pays && t < res->ttl ? now + t : -1;
    if (x->paid < 0) {
        /* Every cart waits the same TTL from its hold, so expiries come
         * due in the order they are set: one lane, one heap entry, the
         * same event order as one event per cart. */
        if (r->cart_expiry == NULL)
            r->cart_expiry = rg_lane_new(r->e, RG_PRIO_DEFAULT, on_expired);
        rg_lane_at(r->cart_expiry, now + res->ttl, r, q->id);
    }
    if (r->trace) {
        if (x->paid >= 0)
            dtrace(r, "%s %zu holds the unit and pays %.1f s later", q->cl->bot ? "bot" : "buyer",
                   q->cl->id, rg_time_sec(t));
        else
            dtrace(r, "%s %zu holds the unit and abandons the cart (%s)",
                   q->cl->bot ? "bot" : "buyer", q->cl->id,
                   pays ? "would pay after the TTL" : "the payment fails");
    }
}

RG_DEFINE_SORT(sort_times, rg_time)

void dcart_tally(const drun *r, int64_t *confirmed, int64_t *lost_sales, double *sellout)
{
    const dreserve *res = &r->c->res;
    rg_time horizon = r->c->w.horizon;
    rg_time *paid = rg_xmalloc((r->nreq ? r->nreq : 1) * sizeof *paid);
    size_t npaid = 0;
    *lost_sales = 0;
    for (size_t i = 0; i < r->nreq; i++) {
        const dreqx *x = drun_reqx(r, drun_req(r, i));
        if (x->held < 0)
            continue;
        if (x->paid >= 0 && x->paid <= horizon)
            paid[npaid++] = x->paid;
        /* an abandoned cart still holding its unit when the drop closes */
        if (x->paid < 0 && x->held <= res->close && res->close < x->held + res->ttl)
            ++*lost_sales;
    }
    sort_times(paid, 0, npaid);
    int64_t stock = r->c->w.stock * r->c->w.skus;
    *confirmed = (int64_t)npaid;
    *sellout = stock > 0 && (int64_t)npaid >= stock ? rg_time_sec(paid[stock - 1]) : NAN;
    free(paid);
}
