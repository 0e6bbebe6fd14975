/*
 * orders.h: a store's record of who holds what: one entry per unit the
 * store allocated, naming the buyer (client index), the SKU and the order
 * id the client sent (0: the client sent none).  It is the store's own
 * table (the rows an orders table would hold), kept where the store
 * changes its stock, so the checker can compare what clients were told
 * with what the store says it sold, unit by unit and buyer by buyer.
 *
 * With order ids it is also the unique index of an idempotent store:
 * rg_orders_find answers "was this order already allocated?" in O(1)
 * (open addressing on the order id).  An entry given back (an expired
 * reservation) is marked released and its order id leaves the index, so
 * the same order could be allocated again.
 *
 * Ownership: made by rg_orders_new, freed by rg_orders_free (NULL: no-op);
 * a kind's store owns its table.  Not thread-safe (one replication).
 */
#ifndef RG_ORDERS_H
#define RG_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rg_order {
    size_t client;  /* the buyer */
    uint64_t order; /* the client's order id, 0 if none was sent */
    int sku;
    bool released; /* given back to the stock */
} rg_order;

typedef struct rg_orders rg_orders;

rg_orders *rg_orders_new(void);
void rg_orders_free(rg_orders *o);
/* Records one unit of `sku` allocated to `client` for `order` (0: none).
 * A store with a unique index checks rg_orders_find first; one without
 * (a KV, the naive paths) may record an order id twice: both units are
 * held, and the index knows the id until one of them is given back. */
void rg_orders_add(rg_orders *o, size_t client, uint64_t order, int sku);
/* True if `order` (non-zero) holds a unit that was not given back. */
bool rg_orders_find(const rg_orders *o, uint64_t order);
/* Gives back the newest unit of `sku` held by `client`.  Returns false if
 * the client holds none. */
bool rg_orders_release(rg_orders *o, size_t client, int sku);
/* Entries in allocation order (released ones included). */
size_t rg_orders_count(const rg_orders *o);
const rg_order *rg_orders_at(const rg_orders *o, size_t i);

#endif
