/*
 * ledger.c: prices and the running ledger.
 *
 * Default prices are assumptions taken from public list prices of the
 * platforms the seeds name (Cloudflare Workers, Durable Objects, D1, KV;
 * a managed Redis for the cache), per single operation, as of 2024-2025:
 * check current pricing before quoting a number from a report.
 */
#include "models/mech/ledger.h"

#include <string.h>

static const struct {
    const char *key, *def, *what;
} price_keys[RG_OP_COUNT] = {
    [RG_OP_EDGE_REQUEST] = {"edge_request", "0.0000003", "Workers: $0.30 per million requests"},
    [RG_OP_OBJECT_REQUEST] = {"object_request", "0.00000015",
                              "Durable Objects: $0.15 per million requests"},
    [RG_OP_OBJECT_WRITE] = {"object_write", "0.000001",
                            "Durable Objects SQLite: $1.00 per million rows written"},
    [RG_OP_SQL_READ] = {"sql_read", "0.000000001", "D1: $0.001 per million rows read"},
    [RG_OP_SQL_WRITE] = {"sql_write", "0.000001", "D1: $1.00 per million rows written"},
    [RG_OP_CACHE_OP] = {"cache_op", "0.0000002", "managed Redis: assumption"},
    [RG_OP_KV_READ] = {"kv_read", "0.0000005", "Workers KV: $0.50 per million reads"},
    [RG_OP_KV_WRITE] = {"kv_write", "0.000005", "Workers KV: $5.00 per million writes"},
};

const char *rg_op_name(rg_opkind k)
{
    return price_keys[k].key;
}

int rg_prices_load(rg_scn *s, rg_prices *p, rg_err *e)
{
    for (int k = 0; k < RG_OP_COUNT; k++)
        if (rg_scn_real(s, "cost", price_keys[k].key, price_keys[k].def, 0, 1e6, &p->price[k], e) <
            0)
            return -1;
    /* The seeds' BILLING_SCALE: virtual cost = real cost x scale. */
    return rg_scn_real(s, "cost", "billing_scale", "1e-9", 0, 1e12, &p->billing_scale, e);
}

void rg_ledger_init(rg_ledger *l, const rg_prices *p)
{
    memset(l, 0, sizeof *l);
    l->p = p;
}

void rg_ledger_add(rg_ledger *l, rg_opkind k)
{
    l->count[k]++;
    l->real += l->p->price[k];
}
