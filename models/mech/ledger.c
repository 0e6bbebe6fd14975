/*
 * ledger.c: price lists and the running ledger (see ledger.h).
 *
 * A price list is a handful of operations, so finding one is a scan of
 * pointers: cheaper than any hashing at this size.
 */
#include "models/mech/ledger.h"

#include <stdlib.h>
#include <string.h>

typedef struct priced {
    const rg_billable *op;
    double price;
} priced;

/* Billing finds an operation's index by its declaration's address in an
 * open-addressing table (index + 1; 0: empty), so a bill costs a hash and a
 * compare, not a scan of the list: it runs several times per request. */
#define SLOTS 64
#define MAX_OPS (SLOTS / 2)

struct rg_prices {
    priced *op; /* in declaration order */
    size_t n, cap;
    double billing_scale;
    uint8_t slot[SLOTS];
};

static size_t slot_of(const rg_billable *op)
{
    return (size_t)(((uint64_t)(uintptr_t)op * UINT64_C(0x9E3779B97F4A7C15)) >> 58);
}

struct rg_ledger {
    const rg_prices *p;
    uint64_t *count; /* per operation of p */
    double real;
};

rg_prices *rg_prices_new(void)
{
    rg_prices *p = rg_xcalloc(1, sizeof *p);
    p->billing_scale = 1;
    return p;
}

void rg_prices_free(rg_prices *p)
{
    if (p == NULL)
        return;
    free(p->op);
    free(p);
}

int rg_prices_declare(rg_prices *p, const rg_billable *op)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->op[i].op == op)
            return 0;
        if (strcmp(p->op[i].op->key, op->key) == 0)
            return -1;
    }
    if (p->n == MAX_OPS)
        return -1;
    rg_xgrow((void **)&p->op, &p->cap, p->n + 1, sizeof *p->op);
    p->op[p->n++] = (priced){op, 0};
    size_t h = slot_of(op);
    while (p->slot[h] != 0)
        h = (h + 1) % SLOTS;
    p->slot[h] = (uint8_t)p->n;
    return 0;
}

int rg_prices_load(rg_scn *s, rg_prices *p, rg_err *e)
{
    for (size_t i = 0; i < p->n; i++)
        if (rg_scn_real(s, "cost", p->op[i].op->key, p->op[i].op->def, 0, 1e6, &p->op[i].price, e) <
            0)
            return -1;
    /* The stories' BILLING_SCALE: virtual cost = real cost x scale. */
    return rg_scn_real(s, "cost", "billing_scale", "1e-9", 0, 1e12, &p->billing_scale, e);
}

size_t rg_prices_count(const rg_prices *p)
{
    return p->n;
}

const rg_billable *rg_prices_op(const rg_prices *p, size_t i)
{
    return p->op[i].op;
}

double rg_prices_price(const rg_prices *p, size_t i)
{
    return p->op[i].price;
}

rg_ledger *rg_ledger_new(const rg_prices *p)
{
    rg_ledger *l = rg_xcalloc(1, sizeof *l);
    l->p = p;
    l->count = rg_xcalloc(p->n ? p->n : 1, sizeof *l->count);
    return l;
}

void rg_ledger_free(rg_ledger *l)
{
    if (l == NULL)
        return;
    free(l->count);
    free(l);
}

void rg_ledger_add(rg_ledger *l, const rg_billable *op)
{
    const rg_prices *p = l->p;
    size_t h = slot_of(op);
    while (p->slot[h] != 0 && p->op[p->slot[h] - 1].op != op)
        h = (h + 1) % SLOTS;
    RG_ASSERT(p->slot[h] != 0); /* billed an operation the price list lacks */
    size_t i = p->slot[h] - 1u;
    l->count[i]++;
    l->real += p->op[i].price;
}

uint64_t rg_ledger_count(const rg_ledger *l, size_t i)
{
    return l->count[i];
}

double rg_ledger_real(const rg_ledger *l)
{
    return l->real;
}

double rg_ledger_virtual(const rg_ledger *l)
{
    return l->real * l->p->billing_scale;
}
