/*
 * drophist.c: a replication's requests as a history of operations on one
 * stock counter ("decrement if positive"), in the invoke / ok / fail /
 * info form history checkers read (Jepsen's Knossos, Porcupine): JSON
 * lines or EDN.  Built only from the per-request records, i.e. from what
 * clients sent and were told.  Formats: doc/histories.md.
 */
#include <stdlib.h>

#include "models/drop/drop.h"
#include "sim/engine/util.h"

typedef struct hev {
    rg_time t;
    size_t req;
    int done; /* 0 invoke, 1 completion: an invoke first at equal times */
} hev;

static int hev_cmp(const void *a, const void *b)
{
    const hev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->done != y->done)
        return x->done - y->done;
    return x->req < y->req ? -1 : x->req > y->req;
}

/* What a completion says: ok, fail (did not happen) or info (unknown). */
static const char *htype(rg_outcome o)
{
    switch (o) {
    case RG_OUT_ALLOCATED: return "ok";
    case RG_OUT_TIMEOUT:
    case RG_OUT_DB_ERROR:
    case RG_OUT_PENDING: return "info";
    default: return "fail";
    }
}

int rg_drop_history_write(const rg_drop_req *reqs, size_t n, FILE *f, rg_drop_hist_fmt fmt)
{
    size_t ncl = 0;
    for (size_t i = 0; i < n; i++)
        if (reqs[i].client + 1 > ncl)
            ncl = reqs[i].client + 1;
    hev *ev = rg_xmalloc((2 * n + 1) * sizeof *ev);
    size_t *crashes = rg_xcalloc(ncl + 1, sizeof *crashes);
    size_t *proc = rg_xmalloc((n + 1) * sizeof *proc);
    /* requests are in send order: a client's crash count at its send */
    for (size_t i = 0; i < n; i++) {
        proc[i] = reqs[i].client + crashes[reqs[i].client] * ncl;
        crashes[reqs[i].client] += htype(reqs[i].outcome)[0] == 'i';
        ev[2 * i] = (hev){reqs[i].sent, i, 0};
        ev[2 * i + 1] = (hev){reqs[i].answered, i, 1};
    }
    qsort(ev, 2 * n, sizeof *ev, hev_cmp);
    for (size_t k = 0; k < 2 * n; k++) {
        const rg_drop_req *q = &reqs[ev[k].req];
        const char *type = ev[k].done ? htype(q->outcome) : "invoke";
        /* the value: the SKU decremented, then the order id (null: none) */
        if (fmt == RG_DROP_HIST_JSONL) {
            fprintf(f, "{\"process\": %zu, \"type\": \"%s\", \"f\": \"decrement\", \"value\": %d, ",
                    proc[ev[k].req], type, q->sku);
            if (q->order)
                fprintf(f, "\"order\": %llu, ", (unsigned long long)q->order);
            fprintf(f, "\"time\": %lld}\n", (long long)ev[k].t);
        } else {
            fprintf(f, "{:process %zu, :type :%s, :f :decrement, :value %d, ", proc[ev[k].req],
                    type, q->sku);
            if (q->order)
                fprintf(f, ":order %llu, ", (unsigned long long)q->order);
            fprintf(f, ":time %lld}\n", (long long)ev[k].t);
        }
    }
    free(ev);
    free(crashes);
    free(proc);
    return ferror(f) ? -1 : 0;
}
