/*
 * drophist.c: a replication's requests as a history of operations on one
 * stock counter per SKU ("decrement if positive"), in the invoke / ok /
 * fail / info form history checkers read (Jepsen's Knossos, Porcupine):
 * JSON lines or EDN; and the same history checked for linearizability
 * (models/mech/linz.h).  Built only from the per-request records, i.e. from
 * what clients sent and were told, never from the stores' bookkeeping.
 * Formats and the meaning of each answer: doc/histories.md.
 *
 * One operation is one purchase: a request, or with an idempotency key
 * every attempt carrying that key (the store answers a retry with the
 * first attempt's outcome and sells at most once per key), from the first
 * attempt's send to the last attempt's answer.  Without a key a retry is a
 * new purchase, hence a new operation.
 */
#include <stdlib.h>
#include <string.h>

#include "models/drop/dropint.h"
#include "models/mech/linz.h"
#include "sim/engine/util.h"

/* What a request's answer says about the counter.  Every outcome is
 * listed (no default): a new one must be classified here. */
static rg_linz_type req_type(rg_outcome o)
{
    switch (o) {
    case RG_OUT_ALLOCATED: return RG_LINZ_OK;   /* the counter was > 0: decremented */
    case RG_OUT_SOLD_OUT: return RG_LINZ_EMPTY; /* the counter was 0: no change */
    case RG_OUT_PENDING:  /* still unanswered (the checker makes it a timeout) */
    case RG_OUT_TIMEOUT:  /* the client gave up: the request may still land */
    case RG_OUT_DB_ERROR: /* a client cannot tell a failed commit from a lost reply */
        return RG_LINZ_INFO;
    case RG_OUT_OVERLOADED:   /* the object refused it before its handler ran */
    case RG_OUT_CHALLENGE:    /* the edge refused it: no session */
    case RG_OUT_RATE_LIMITED: /* the edge refused it: a token bucket was empty */
    case RG_OUT_GUARDRAIL:    /* the edge refused it: the budget is spent */
    case RG_OUT_DECLINED:     /* the payment failed: no unit (reserve_first gives it back) */
        return RG_LINZ_FAIL;
    }
    return RG_LINZ_INFO;
}

/* The name a fail completion gives its cause. */
static const char *fail_error(rg_outcome o)
{
    switch (o) {
    case RG_OUT_SOLD_OUT: return "sold-out";
    case RG_OUT_OVERLOADED: return "overloaded";
    case RG_OUT_CHALLENGE: return "challenge";
    case RG_OUT_RATE_LIMITED: return "rate-limited";
    case RG_OUT_GUARDRAIL: return "guardrail";
    case RG_OUT_DECLINED: return "declined";
    default: return "unknown";
    }
}

/* A dhist_get over an array of records. */
static void array_get(const void *ctx, size_t i, rg_drop_req *out)
{
    *out = ((const rg_drop_req *)ctx)[i];
}

/* One purchase: its last request, what it did to the counter, its
 * process (a client's number, renewed after an info), and what the history
 * needs of its requests (the first's send, client and SKU, the last's
 * answer and order id), kept here so that each request is read once. */
typedef struct hop {
    size_t last, proc, client;
    rg_time sent, answered;
    uint64_t order;
    int sku;
    rg_linz_type type;
} hop;

/* The purchases of the n requests get gives (in send order, from ncl
 * clients), in the order of their first request, and if procs their
 * processes.  Returns their count; *ops is the caller's to free. */
static size_t purchases(dhist_get get, const void *ctx, size_t n, size_t ncl, bool procs, hop **ops)
{
    /* the purchases, then per client its open purchase (its crashes) */
    hop *op = rg_xmalloc((n ? n : 1) * sizeof *op + (ncl ? ncl : 1) * sizeof(size_t));
    size_t *open = (size_t *)(op + (n ? n : 1));
    for (size_t c = 0; c < ncl; c++)
        open[c] = SIZE_MAX;
    size_t m = 0;
    rg_drop_req q;
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &q);
        size_t c = q.client, k = open[c];
        RG_ASSERT(c < ncl);
        rg_linz_type t = req_type(q.outcome);
        if (q.order != 0 && k != SIZE_MAX && op[k].order == q.order) {
            /* another attempt of the same purchase: its answer is the
             * purchase's, but a refusal on the way does not undo an
             * earlier attempt that may have landed */
            op[k].last = i;
            op[k].answered = q.answered;
            op[k].type = t == RG_LINZ_FAIL && op[k].type == RG_LINZ_INFO ? RG_LINZ_INFO : t;
            continue;
        }
        op[m] = (hop){i, 0, c, q.sent, q.answered, q.order, q.sku, t};
        open[c] = m++;
    }
    if (procs) {
        /* Jepsen's rule: a process whose operation ended in info is
         * crashed; the client's next operation runs as client + k *
         * clients */
        size_t *crashes = open;
        memset(crashes, 0, ncl * sizeof *crashes);
        for (size_t k = 0; k < m; k++) {
            size_t c = op[k].client;
            op[k].proc = c + crashes[c] * ncl;
            crashes[c] += op[k].type == RG_LINZ_INFO;
        }
    }
    *ops = op;
    return m;
}

/* The clients of an array of records: one more than the largest index. */
static size_t array_clients(const rg_drop_req *reqs, size_t n)
{
    size_t ncl = 0;
    for (size_t i = 0; i < n; i++)
        if (reqs[i].client + 1 > ncl)
            ncl = reqs[i].client + 1;
    return ncl;
}

typedef struct hev {
    rg_time t;
    size_t op;
    int done; /* 0 invoke, 1 completion: an invoke first at equal times */
} hev;

static int hev_cmp(const void *a, const void *b)
{
    const hev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->done != y->done)
        return x->done - y->done;
    return x->op < y->op ? -1 : x->op > y->op;
}

int rg_drop_history_write(const rg_drop_req *reqs, size_t n, FILE *f, rg_drop_hist_fmt fmt)
{
    hop *op;
    size_t m = purchases(array_get, reqs, n, array_clients(reqs, n), true, &op);
    hev *ev = rg_xmalloc((2 * m + 1) * sizeof *ev);
    for (size_t k = 0; k < m; k++) {
        ev[2 * k] = (hev){op[k].sent, k, 0};
        ev[2 * k + 1] = (hev){op[k].answered, k, 1};
    }
    qsort(ev, 2 * m, sizeof *ev, hev_cmp);
    static const char *const tname[] = {"ok", "fail", "info", "fail"};
    for (size_t j = 0; j < 2 * m; j++) {
        const hop *o = &op[ev[j].op];
        const rg_drop_req *q = &reqs[o->last];
        const char *type = ev[j].done ? tname[o->type] : "invoke";
        /* the cause of a fail: sold out constrains the counter, the others
         * never reached it */
        const char *err = ev[j].done && type[0] == 'f' ? fail_error(q->outcome) : NULL;
        /* the value: the SKU decremented, then the order id (null: none) */
        if (fmt == RG_DROP_HIST_JSONL) {
            fprintf(f, "{\"process\": %zu, \"type\": \"%s\", \"f\": \"decrement\", \"value\": %d, ",
                    o->proc, type, q->sku);
            if (q->order)
                fprintf(f, "\"order\": %llu, ", (unsigned long long)q->order);
            if (err)
                fprintf(f, "\"error\": \"%s\", ", err);
            fprintf(f, "\"time\": %lld}\n", (long long)ev[j].t);
        } else {
            fprintf(f, "{:process %zu, :type :%s, :f :decrement, :value %d, ", o->proc, type,
                    q->sku);
            if (q->order)
                fprintf(f, ":order %llu, ", (unsigned long long)q->order);
            if (err)
                fprintf(f, ":error :%s, ", err);
            fprintf(f, ":time %lld}\n", (long long)ev[j].t);
        }
    }
    free(ev);
    free(op);
    return ferror(f) ? -1 : 0;
}

int rg_drop_history_check(const rg_drop_req *reqs, size_t n, int skus, int64_t stock)
{
    bool keyed = false;
    for (size_t i = 0; i < n && !keyed; i++)
        keyed = reqs[i].order != 0;
    return dhist_check(array_get, reqs, n, array_clients(reqs, n), keyed, skus, stock);
}

int dhist_check(dhist_get get, const void *ctx, size_t n, size_t ncl, bool keyed, int skus,
                int64_t stock)
{
    /* The purchases as purchases() finds them, but laid out SKU by SKU
     * for the checker (linearizability is local: each SKU's counter on
     * its own) in two passes over the requests: count each SKU's
     * purchases, then place each where its SKU's run of the array says.
     * Per purchase only its rg_linz_op; per client its open purchase, and
     * only if requests carry order ids (without, each is a purchase). */
    size_t ns = (size_t)(skus > 0 ? skus : 1);
    size_t *start = rg_xcalloc(ns + 1, sizeof *start);
    size_t nopen = keyed && ncl ? ncl : 1;
    uint64_t *open_order = rg_xmalloc(nopen * sizeof *open_order);
    size_t *open_at = rg_xmalloc(nopen * sizeof *open_at);
    for (size_t c = 0; keyed && c < ncl; c++)
        open_at[c] = SIZE_MAX;
    rg_drop_req q;
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &q);
        RG_ASSERT(q.client < ncl && (keyed || q.order == 0));
        if (keyed) {
            if (q.order != 0 && open_at[q.client] != SIZE_MAX && open_order[q.client] == q.order)
                continue; /* another attempt of the same purchase */
            open_order[q.client] = q.order;
            open_at[q.client] = 0;
        }
        if (skus == 1 || (q.sku >= 0 && q.sku < skus))
            start[(skus == 1 ? 0 : (size_t)q.sku) + 1]++;
    }
    for (size_t k = 0; k < ns; k++)
        start[k + 1] += start[k];
    rg_linz_op *lo = rg_xmalloc((start[ns] ? start[ns] : 1) * sizeof *lo);
    size_t *fill = rg_xmalloc(ns * sizeof *fill);
    memcpy(fill, start, ns * sizeof *fill);
    for (size_t c = 0; keyed && c < ncl; c++)
        open_at[c] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &q);
        size_t c = q.client, k = keyed ? open_at[c] : SIZE_MAX;
        rg_linz_type t = req_type(q.outcome);
        if (q.order != 0 && k != SIZE_MAX && open_order[c] == q.order) {
            /* the same rule as purchases(): a refusal on the way does not
             * undo an earlier attempt that may have landed */
            if (k != SIZE_MAX - 1) {
                lo[k].ret = q.answered;
                lo[k].type = t == RG_LINZ_FAIL && lo[k].type == RG_LINZ_INFO ? RG_LINZ_INFO : t;
            }
            continue;
        }
        if (keyed)
            open_order[c] = q.order;
        if (skus == 1 || (q.sku >= 0 && q.sku < skus)) {
            k = fill[skus == 1 ? 0 : (size_t)q.sku]++;
            lo[k] = (rg_linz_op){q.sent, q.answered, t};
            if (keyed)
                open_at[c] = k;
        } else if (keyed) {
            open_at[c] = SIZE_MAX - 1; /* a SKU no counter checks */
        }
    }
    free(fill);
    free(open_at);
    free(open_order);
    int verdict = 1;
    for (size_t s = 0; s < ns && verdict != 0; s++) {
        rg_linz_verdict v =
            rg_linz_counter(lo + start[s], start[s + 1] - start[s], stock, NULL, NULL);
        if (v == RG_LINZ_NO)
            verdict = 0;
        else if (v == RG_LINZ_TOO_LARGE)
            verdict = -1;
    }
    free(lo);
    free(start);
    return verdict;
}
