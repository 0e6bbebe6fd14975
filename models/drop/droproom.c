/*
 * droproom.c: a virtual waiting room in front of any drop architecture
 * ([waiting_room]), in the manner of an edge waiting room.
 *
 * A buyer's first press of "buy" travels to its PoP (client_edge, never
 * lost: the queue page is retried by the browser) and joins one FIFO queue
 * for the whole site.  The room lets buyers in at a fixed `rate`: slot k of
 * a busy period is `k / rate` after the period began, so a crowd that
 * arrives at once is let in at exactly 0, 1/rate, 2/rate, ...; a buyer who
 * finds the room idle (the next slot already past) is let in at once and
 * starts a new period.  Slots are computed from the period's start, not
 * added up, so they do not drift with rounding.
 *
 * The request starts when the buyer is let in: the edge worker runs, then
 * the protections and the store, and the client's timeout runs from there
 * (a buyer on the queue page is not waiting for a response).  Its latency
 * runs from the press, so the wait counts.  An admitted buyer keeps its
 * pass: retries do not queue again.  A buyer still queued at the horizon
 * never sent a request and is in no count.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/dropint.h"

int droom_load(rg_scn *s, double *rate, rg_err *e)
{
    /* Default: the documented soft limit of one object, about 1,000
     * requests/s (FACTS.md), so that the room protects the store behind
     * it; set it to what your origin sustains. */
    const char *text;
    if (rg_scn_str(s, "waiting_room", "rate", "1000/s", &text, e) < 0)
        return -1;
    char *end;
    double v = strtod(text, &end);
    double per = 1;
    if (strcmp(end, "/s") == 0 || *end == '\0')
        per = 1;
    else if (strcmp(end, "/min") == 0)
        per = 60;
    else
        end = NULL;
    if (end == NULL || end == text || !isfinite(v) || v <= 0 || v / per > 1e9)
        return rg_scn_err(s, "waiting_room", "rate", e,
                          "expected admissions per second or minute, as N/s or N/min "
                          "(0 < N/s <= 1e9), got '%s'",
                          text);
    *rate = v / per;
    return 0;
}

/* The time of admission slot k of a period that began at `base`. */
static rg_time slot(const drun *r, int64_t k)
{
    return r->room_base + (rg_time)llround((double)k * (double)RG_S / r->c->room_rate);
}

/* Buyer `arg` is let in: its request starts here, at the PoP. */
static void on_admitted(rg_engine *e, void *ctx, uint64_t arg)
{
    drun *r = ctx;
    dclient *cl = &r->cls[arg];
    cl->admitted = true;
    dreq *q = dflow_new_request(r, cl);
    drun_reqx(r, q)->started = r->clx[cl->id].pressed;
    if (r->trace)
        dtrace(r, "%s %zu let in after %.1f ms in the waiting room", cl->bot ? "bot" : "buyer",
               cl->id, rg_time_ms(rg_now(e) - r->clx[cl->id].pressed));
    bool cold;
    dflow_to_pop(r, q, rg_edge_delay(&r->v->edge, r->net, &cold));
}

/* Buyer `arg` reaches the room: its slot is the next one of the period,
 * or now if the room is idle. */
static void on_room(rg_engine *e, void *ctx, uint64_t arg)
{
    drun *r = ctx;
    rg_time now = rg_now(e), at;
    if (r->room_k == 0 || slot(r, r->room_k) <= now) {
        r->room_base = now;
        r->room_k = 0;
        at = now;
    } else {
        at = slot(r, r->room_k);
    }
    r->room_k++;
    rg_time wait = at - now;
    r->room_n++;
    r->room_wait_sum += wait;
    if (wait > r->room_wait_max)
        r->room_wait_max = wait;
    if (wait == 0) {
        on_admitted(e, r, arg);
    } else {
        /* Slots are handed out in order and a new period starts only once
         * the last slot has passed: admissions come due in the order they
         * are set, one heap entry for the whole room (engine.h, lanes). */
        if (r->room_lane == NULL)
            r->room_lane = rg_lane_new(e, RG_PRIO_DEFAULT, on_admitted);
        rg_lane_at(r->room_lane, at, r, arg);
    }
}

void droom_enter(drun *r, dclient *cl)
{
    r->clx[cl->id].pressed = rg_now(r->e);
    rg_after(r->e, rg_places_client(r->c->pl, r->net), RG_PRIO_DEFAULT, on_room, r, cl->id);
}
