/*
 * occkind-kv.c: the occ store "kv" (occ.h): the eventually consistent KV
 * (kv.h), one key written by the clients from one location.  The read is
 * a get; the "commit" is an unconditional put of the value read + 1, for
 * the KV has no conditional put: it always lands (a 429 is "overloaded")
 * and concurrent writes overwrite each other.  The KV's own latencies
 * stand for the network.
 *
 * Keys: the [kv] catalogue (kv.h).  [faults] does not apply.
 */
#include <stdlib.h>

#include "models/occ/occkind.h"
#include "models/stores/kv.h"
#include "sim/engine/util.h"

static int kv_load(rg_scn *s, const char *sec, void **cfg, rg_err *e)
{
    rg_kv_cfg *c = rg_xcalloc(1, sizeof *c);
    *cfg = c;
    return rg_kv_load(s, sec, "kv", c, e) < 0 ? -1 : 0;
}

static void kv_cfg_free(void *cfg)
{
    if (cfg == NULL)
        return;
    rg_kv_cfg_free(cfg);
    free(cfg);
}

static void *kv_build(rg_engine *e, size_t clients, const void *cfg)
{
    const rg_kv_cfg *c = cfg;
    (void)clients;
    return rg_kv_new(e, &c->p, 1, 1);
}

static void on_get(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    rg_occ_read_back(ctx, res->status == RG_KV_OK ? res->value : 0);
}

static void kv_read(void *store, rg_occ_client *c)
{
    rg_kv_get(store, 0, 0, on_get, c, 0);
}

static void on_put(rg_engine *e, void *ctx, uint64_t tag, const rg_kv_res *res)
{
    (void)e;
    (void)tag;
    rg_occ_commit_back(ctx, res->status == RG_KV_RATE_LIMITED ? RG_BO_OVERLOADED : RG_BO_OK);
}

static void kv_commit(void *store, rg_occ_client *c, int64_t version)
{
    rg_kv_put(store, 0, 0, version + 1, on_put, c, 0);
}

/* The last writer's value: the writes the key holds. */
static int64_t kv_durable(const void *store)
{
    int64_t v = 0;
    rg_kv_latest(store, 0, &v, NULL);
    return v;
}

static void kv_free(void *store)
{
    rg_kv_free(store);
}

const rg_occ_kind rg_occ_kind_kv = {
    .name = "kv",
    .load = kv_load,
    .cfg_free = kv_cfg_free,
    .build = kv_build,
    .read = kv_read,
    .commit = kv_commit,
    .durable = kv_durable,
    .free = kv_free,
};
