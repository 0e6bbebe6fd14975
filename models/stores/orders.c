/*
 * orders.c: a store's orders table (orders.h).  Entries are an array in
 * allocation order; the order ids held form an open-addressing hash set
 * (linear probing, tombstones for released orders, at most half full), made
 * only when the first order id arrives so that a store whose clients send
 * none pays for the array alone.
 */
#include "models/stores/orders.h"

#include <stdlib.h>

#include "sim/engine/util.h"

#define TOMB UINT64_MAX

struct rg_orders {
    rg_order *v;
    size_t n, cap;
    uint64_t *set; /* order ids held; 0 empty, TOMB removed */
    size_t setcap, setused;
};

rg_orders *rg_orders_new(void)
{
    return rg_xcalloc(1, sizeof(rg_orders));
}

void rg_orders_free(rg_orders *o)
{
    if (o == NULL)
        return;
    free(o->v);
    free(o->set);
    free(o);
}

/* A 64-bit mix (splitmix64's finaliser): order ids are dense integers. */
static size_t slot_of(uint64_t x, size_t cap)
{
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return (size_t)(x & (cap - 1));
}

static void set_insert(rg_orders *o, uint64_t id);

static void set_grow(rg_orders *o)
{
    uint64_t *old = o->set;
    size_t oldcap = o->setcap;
    o->setcap = oldcap ? 2 * oldcap : 64;
    o->set = rg_xcalloc(o->setcap, sizeof *o->set);
    o->setused = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i] != 0 && old[i] != TOMB)
            set_insert(o, old[i]);
    free(old);
}

static void set_insert(rg_orders *o, uint64_t id)
{
    if (2 * (o->setused + 1) > o->setcap)
        set_grow(o);
    size_t i = slot_of(id, o->setcap);
    while (o->set[i] != 0 && o->set[i] != TOMB)
        i = (i + 1) & (o->setcap - 1);
    if (o->set[i] == 0)
        o->setused++;
    o->set[i] = id;
}

/* The slot holding id, or SIZE_MAX. */
static size_t set_find(const rg_orders *o, uint64_t id)
{
    if (o->setcap == 0)
        return SIZE_MAX;
    size_t i = slot_of(id, o->setcap);
    while (o->set[i] != 0) {
        if (o->set[i] == id)
            return i;
        i = (i + 1) & (o->setcap - 1);
    }
    return SIZE_MAX;
}

void rg_orders_add(rg_orders *o, size_t client, uint64_t order, int sku)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 64;
        o->v = rg_xrealloc(o->v, o->cap * sizeof *o->v);
    }
    o->v[o->n++] = (rg_order){client, order, sku, false};
    RG_ASSERT(order != TOMB);
    if (order != 0 && set_find(o, order) == SIZE_MAX)
        set_insert(o, order);
}

bool rg_orders_find(const rg_orders *o, uint64_t order)
{
    return order != 0 && set_find(o, order) != SIZE_MAX;
}

bool rg_orders_release(rg_orders *o, size_t client, int sku)
{
    for (size_t i = o->n; i-- > 0;) {
        rg_order *x = &o->v[i];
        if (x->client == client && x->sku == sku && !x->released) {
            x->released = true;
            size_t s = x->order != 0 ? set_find(o, x->order) : SIZE_MAX;
            if (s != SIZE_MAX)
                o->set[s] = TOMB;
            return true;
        }
    }
    return false;
}

size_t rg_orders_count(const rg_orders *o)
{
    return o->n;
}

const rg_order *rg_orders_at(const rg_orders *o, size_t i)
{
    return &o->v[i];
}
