/*
 * ledger.h: the cost ledger.  Every billable operation a replication
 * performs is recorded with its price from [cost]; the ledger keeps the
 * count per kind, the real cost, and the virtual cost (real x
 * billing_scale, the seeds' BILLING_SCALE = 1e-9) that a guardrail budget
 * is written in.  Prices are per operation, in US dollars.
 */
#ifndef RG_LEDGER_H
#define RG_LEDGER_H

#include <stdint.h>

#include "sim/engine/scenario.h"

typedef enum {
    RG_OP_EDGE_REQUEST,
    RG_OP_OBJECT_REQUEST,
    RG_OP_OBJECT_WRITE,
    RG_OP_SQL_READ,
    RG_OP_SQL_WRITE,
    RG_OP_CACHE_OP,
    RG_OP_KV_READ,
    RG_OP_KV_WRITE,
    RG_OP_COUNT
} rg_opkind;

typedef struct rg_prices {
    double price[RG_OP_COUNT];
    double billing_scale;
} rg_prices;

typedef struct rg_ledger {
    const rg_prices *p;
    uint64_t count[RG_OP_COUNT];
    double real;
} rg_ledger;

/* Reads [cost] (every price has a default, see ledger.c). */
int rg_prices_load(rg_scn *s, rg_prices *p, rg_err *e);
const char *rg_op_name(rg_opkind k);

void rg_ledger_init(rg_ledger *l, const rg_prices *p);
void rg_ledger_add(rg_ledger *l, rg_opkind k);
static inline double rg_ledger_virtual(const rg_ledger *l)
{
    return l->real * l->p->billing_scale;
}

#endif
