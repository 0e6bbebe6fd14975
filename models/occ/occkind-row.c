/*
 * occkind-row.c: the occ store "row" (occ.h): a SQL row with a version
 * column (row.h) one network hop from the clients.  A read is a SELECT of
 * the version, the commit an UPDATE ... WHERE version = v that [faults]
 * may refuse; each statement waits its turn at the row's server.
 *
 * Keys: service ([occ], the time per statement) and the [faults]
 * catalogue (faults.h).
 */
#include <stdlib.h>

#include "models/mech/faults.h"
#include "models/mech/mparam.h"
#include "models/occ/occkind.h"
#include "models/stores/row.h"
#include "sim/engine/util.h"

typedef struct rowcfg {
    rg_dist *service;
    rg_faults_cfg faults;
} rowcfg;

static int row_load(rg_scn *s, const char *sec, void **cfg, rg_err *e)
{
    rowcfg *c = rg_xcalloc(1, sizeof *c);
    *cfg = c;
    if (mp_dist(s, sec, "occ", "service", "const(0s)", RG_QTY_DURATION, &c->service, e) < 0 ||
        rg_faults_load(s, sec, "faults", &c->faults, e) < 0)
        return -1;
    return 0;
}

static void row_cfg_free(void *cfg)
{
    rowcfg *c = cfg;
    if (c == NULL)
        return;
    rg_dist_free(c->service);
    rg_faults_cfg_free(&c->faults);
    free(c);
}

static void *row_build(rg_engine *e, size_t clients, const void *cfg)
{
    const rowcfg *c = cfg;
    (void)clients;
    return rg_row_new(e, c->service, &c->faults);
}

static void on_read_done(rg_engine *e, void *ctx, uint64_t tag, const rg_row_res *res)
{
    (void)e;
    (void)tag;
    rg_occ_reply_read(ctx, res->version);
}

static void on_read_arrives(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_row_read(rg_occ_store(ctx), on_read_done, ctx, 0);
}

static void row_read(void *store, rg_occ_client *c)
{
    (void)store;
    rg_occ_send(c, on_read_arrives, 0);
}

static void on_committed(rg_engine *e, void *ctx, uint64_t tag, const rg_row_res *res)
{
    (void)e;
    (void)tag;
    rg_occ_client *c = ctx;
    if (res->res == RG_BO_OK)
        rg_occ_trace(c, "row commits version %lld", (long long)res->version);
    else
        rg_occ_trace(c, "row rejects the commit: %s (%s)", rg_bo_res_name(res->res), res->why);
    rg_occ_reply_commit(c, res->res);
}

/* arg: the version the client read. */
static void on_commit_arrives(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    rg_row_commit(rg_occ_store(ctx), (int64_t)arg, on_committed, ctx, 0);
}

static void row_commit(void *store, rg_occ_client *c, int64_t version)
{
    (void)store;
    rg_occ_send(c, on_commit_arrives, (uint64_t)version);
}

static int64_t row_durable(const void *store)
{
    return rg_row_version(store);
}

static void row_free(void *store)
{
    rg_row_free(store);
}

const rg_occ_kind rg_occ_kind_row = {
    .name = "row",
    .load = row_load,
    .cfg_free = row_cfg_free,
    .build = row_build,
    .read = row_read,
    .commit = row_commit,
    .durable = row_durable,
    .free = row_free,
};
