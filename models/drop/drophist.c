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

/* One purchase: its first and last request, what it did to the counter,
 * and its process (a client's number, renewed after an info). */
typedef struct hop {
    size_t first, last;
    rg_linz_type type;
    size_t proc;
} hop;

/* The purchases of reqs[0..n-1] (in send order), in the order of their
 * first request, and if procs their processes.  Returns their count;
 * *ops is the caller's to free. */
static size_t purchases(dhist_get get, const void *ctx, size_t n, bool procs, hop **ops)
{
    size_t ncl = 0;
    rg_drop_req q, o;
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &q);
        if (q.client + 1 > ncl)
            ncl = q.client + 1;
    }
    /* the purchases, then per client its open purchase (its crashes) */
    hop *op = rg_xmalloc((n ? n : 1) * sizeof *op + (ncl ? ncl : 1) * sizeof(size_t));
    size_t *open = (size_t *)(op + (n ? n : 1));
    for (size_t c = 0; c < ncl; c++)
        open[c] = SIZE_MAX;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        get(ctx, i, &q);
        size_t c = q.client, k = open[c];
        rg_linz_type t = req_type(q.outcome);
        if (q.order != 0 && k != SIZE_MAX && (get(ctx, op[k].last, &o), o.order == q.order)) {
            /* another attempt of the same purchase: its answer is the
             * purchase's, but a refusal on the way does not undo an
             * earlier attempt that may have landed */
            op[k].last = i;
            op[k].type = t == RG_LINZ_FAIL && op[k].type == RG_LINZ_INFO ? RG_LINZ_INFO : t;
            continue;
        }
        op[m] = (hop){i, i, t, 0};
        open[c] = m++;
    }
    if (procs) {
        /* Jepsen's rule: a process whose operation ended in info is
         * crashed; the client's next operation runs as client + k *
         * clients */
        size_t *crashes = open;
        memset(crashes, 0, ncl * sizeof *crashes);
        for (size_t k = 0; k < m; k++) {
            get(ctx, op[k].first, &q);
            size_t c = q.client;
            op[k].proc = c + crashes[c] * ncl;
            crashes[c] += op[k].type == RG_LINZ_INFO;
        }
    }
    *ops = op;
    return m;
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
    size_t m = purchases(array_get, reqs, n, true, &op);
    hev *ev = rg_xmalloc((2 * m + 1) * sizeof *ev);
    for (size_t k = 0; k < m; k++) {
        ev[2 * k] = (hev){reqs[op[k].first].sent, k, 0};
        ev[2 * k + 1] = (hev){reqs[op[k].last].answered, k, 1};
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
    return dhist_check(array_get, reqs, n, skus, stock);
}

int dhist_check(dhist_get get, const void *ctx, size_t n, int skus, int64_t stock)
{
    hop *op;
    size_t m = purchases(get, ctx, n, false, &op);
    rg_linz_op *lo = rg_xmalloc((m ? m : 1) * sizeof *lo);
    int verdict = 1;
    /* linearizability is local: each SKU's counter on its own */
    for (int s = 0; s < skus && verdict != 0; s++) {
        size_t k = 0;
        rg_drop_req first, last;
        for (size_t j = 0; j < m; j++) {
            get(ctx, op[j].first, &first);
            if (skus == 1 || first.sku == s) {
                get(ctx, op[j].last, &last);
                lo[k++] = (rg_linz_op){first.sent, last.answered, op[j].type};
            }
        }
        rg_linz_verdict v = rg_linz_counter(lo, k, stock, NULL, NULL);
        if (v == RG_LINZ_NO)
            verdict = 0;
        else if (v == RG_LINZ_TOO_LARGE)
            verdict = -1;
    }
    free(lo);
    free(op);
    return verdict;
}
