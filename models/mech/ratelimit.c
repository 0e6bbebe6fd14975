/*
 * ratelimit.c: keyed token buckets in an open-addressing hash table (keys
 * are dense small integers in practice, but IP rotation makes them many).
 */
#include "models/mech/ratelimit.h"

#include <stdlib.h>

#include "sim/engine/rstream.h"

typedef struct bucket {
    uint64_t key;
    double tokens;
    rg_time last;
    bool used;
} bucket;

struct rg_limiter {
    double rate, burst;
    bucket *tab;
    size_t cap, n;
    uint64_t refused;
};

rg_limiter *rg_limiter_new(double rate, double burst)
{
    RG_ASSERT(rate > 0 && burst >= 1);
    rg_limiter *l = rg_xcalloc(1, sizeof *l);
    l->rate = rate;
    l->burst = burst;
    /* The table comes with the first key: every replication of a drop
     * makes a guardrail's reset limiter, which most never use. */
    return l;
}

void rg_limiter_free(rg_limiter *l)
{
    if (l == NULL)
        return;
    free(l->tab);
    free(l);
}

static bucket *find(rg_limiter *l, uint64_t key)
{
    size_t mask = l->cap - 1, i = (size_t)rg_splitmix64(key) & mask;
    while (l->tab[i].used && l->tab[i].key != key)
        i = (i + 1) & mask;
    return &l->tab[i];
}

static void grow(rg_limiter *l)
{
    bucket *old = l->tab;
    size_t oc = l->cap;
    l->cap = oc ? 2 * oc : 64;
    l->tab = rg_xcalloc(l->cap, sizeof *l->tab);
    for (size_t i = 0; i < oc; i++)
        if (old[i].used)
            *find(l, old[i].key) = old[i];
    free(old);
}

bool rg_limiter_take(rg_limiter *l, uint64_t key, rg_time now)
{
    if (2 * (l->n + 1) > l->cap)
        grow(l);
    bucket *b = find(l, key);
    if (!b->used) {
        b->used = true;
        b->key = key;
        b->tokens = l->burst;
        b->last = now;
        l->n++;
    }
    b->tokens += l->rate * rg_time_sec(now - b->last);
    if (b->tokens > l->burst)
        b->tokens = l->burst;
    b->last = now;
    /* a tiny tolerance so that exactly-due tokens are not lost to rounding */
    if (b->tokens >= 1.0 - 1e-9) {
        b->tokens -= 1.0;
        return true;
    }
    l->refused++;
    return false;
}

uint64_t rg_limiter_refused(const rg_limiter *l)
{
    return l->refused;
}
