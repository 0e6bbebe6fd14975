/*
 * ledger.h: the cost ledger.
 *
 * A billable operation is declared by the code that bills it: an
 * rg_billable names its [cost] key, its default price (scenario text, US
 * dollars per operation) and where that price comes from.  A price list
 * gathers the declarations a scenario can bill, in the order given, and
 * reads their prices from [cost] in that order (then billing_scale), so the
 * resolved scenario lists them in a fixed order.  A ledger counts each
 * operation of one replication and keeps the real cost, summed in the order
 * the operations happened, and the virtual cost (real x billing_scale, the
 * stories' BILLING_SCALE = 1e-9) that a guardrail budget is written in.
 *
 * Ownership: declarations are static and outlive everything; a price list
 * borrows them and is read-only once loaded; a ledger borrows its price list
 * and belongs to one replication.
 */
#ifndef RG_LEDGER_H
#define RG_LEDGER_H

#include <stdint.h>

#include "sim/engine/scenario.h"

/* One billable operation.  Its address is its identity: bill with the
 * same declaration the price list was given. */
typedef struct rg_billable {
    const char *key;  /* [cost] key, also its name in traces */
    const char *def;  /* default price per operation, as scenario text */
    const char *what; /* where the default comes from */
} rg_billable;

typedef struct rg_prices rg_prices;
typedef struct rg_ledger rg_ledger;

/* An empty price list (billing_scale 1 until loaded). */
rg_prices *rg_prices_new(void);
void rg_prices_free(rg_prices *p);
/* Adds op at the end of the list.  0 if added or already there (the same
 * declaration); -1 if another declaration has its key, or the list holds
 * 32 operations already. */
int rg_prices_declare(rg_prices *p, const rg_billable *op);
/* Reads [cost]: every declared key in list order (each has a default),
 * then billing_scale.  Returns 0, or -1 with e filled. */
int rg_prices_load(rg_scn *s, rg_prices *p, rg_err *e);
/* The list: its length, the i-th declaration and its price. */
size_t rg_prices_count(const rg_prices *p);
const rg_billable *rg_prices_op(const rg_prices *p, size_t i);
double rg_prices_price(const rg_prices *p, size_t i);

/* A ledger with every count 0 over the price list p (borrowed). */
rg_ledger *rg_ledger_new(const rg_prices *p);
void rg_ledger_free(rg_ledger *l);
/* Records one op (a programmer error if p does not declare it). */
void rg_ledger_add(rg_ledger *l, const rg_billable *op);
/* How many times the i-th operation of the price list was recorded. */
uint64_t rg_ledger_count(const rg_ledger *l, size_t i);
double rg_ledger_real(const rg_ledger *l);
double rg_ledger_virtual(const rg_ledger *l);

#endif
