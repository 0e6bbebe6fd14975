/*
 * occkind-object.c: the occ store "object" (occ.h): a single-threaded
 * object (object.h) one network hop from the clients, holding the
 * versioned value.  Read and conditional write are two calls; the
 * application inside the object applies a write with the row's commit rule
 * (rg_row_apply: [faults] first, then the version check).  The object's
 * own overload (max_queue) answers "overloaded", a read's included: that
 * ends the attempt, nothing having been committed.
 *
 * Keys: the [object] catalogue (object.h; the object already exists when
 * the clients start, an assumption: start = warm) and [faults] (faults.h).
 */
#include <stdbool.h>
#include <stdlib.h>

#include "models/mech/faults.h"
#include "models/occ/occkind.h"
#include "models/stores/object.h"
#include "models/stores/row.h"
#include "sim/engine/util.h"

typedef struct objcfg {
    rg_object_cfg obj;
    rg_faults_cfg faults;
} objcfg;

/* The arguments of a call to the object.  A client has at most one call
 * in flight, so each client has one record and the object's uint64_t
 * argument is only the client's index. */
typedef struct objcall {
    bool write;       /* false: read the version */
    int64_t expected; /* write: commit only if the version is still this */
} objcall;

/* Reply tags: which call the reply answers. */
enum { OBJ_READ, OBJ_WRITE };

typedef struct objstore {
    rg_engine *e;
    rg_object *obj;
    rg_faults faults;
    int64_t version; /* the application's state: the commits it holds */
    objcall *call;   /* by client index */
} objstore;

static int obj_load(rg_scn *s, const char *sec, void **cfg, rg_err *e)
{
    objcfg *c = rg_xcalloc(1, sizeof *c);
    *cfg = c;
    if (rg_object_load(s, sec, "object", "warm", &c->obj, e) < 0 ||
        rg_faults_load(s, sec, "faults", &c->faults, e) < 0)
        return -1;
    return 0;
}

static void obj_cfg_free(void *cfg)
{
    objcfg *c = cfg;
    if (c == NULL)
        return;
    rg_object_cfg_free(&c->obj);
    rg_faults_cfg_free(&c->faults);
    free(c);
}

/* The application: arg is the calling client's index.  A read answers the
 * version; a write answers its class (an rg_bo_res). */
static int obj_handler(void *state, uint64_t arg, bool *wrote)
{
    objstore *st = state;
    const objcall *call = &st->call[arg];
    if (!call->write)
        return (int)st->version;
    const char *why;
    rg_bo_res res = rg_row_apply(&st->faults, rg_now(st->e), &st->version, call->expected, &why);
    *wrote = res == RG_BO_OK;
    return (int)res;
}

static void *obj_build(rg_engine *e, size_t clients, const void *cfg)
{
    const objcfg *c = cfg;
    objstore *st = rg_xcalloc(1, sizeof *st);
    st->e = e;
    st->call = rg_xcalloc(clients, sizeof *st->call);
    rg_faults_init(&st->faults, &c->faults, e);
    st->obj = rg_object_new(e, &c->obj.p, obj_handler, st);
    return st;
}

static void on_reply(rg_engine *e, void *ctx, uint64_t tag, int code, bool overloaded)
{
    (void)e;
    rg_occ_client *c = ctx;
    if (tag == OBJ_WRITE || overloaded)
        rg_occ_reply_commit(c, overloaded ? RG_BO_OVERLOADED : (rg_bo_res)code);
    else
        rg_occ_reply_read(c, code);
}

static void on_arrives(rg_engine *e, void *ctx, uint64_t arg)
{
    (void)e;
    (void)arg;
    rg_occ_client *c = ctx;
    objstore *st = rg_occ_store(c);
    size_t id = rg_occ_client_id(c);
    rg_object_call(st->obj, id, on_reply, c, st->call[id].write ? OBJ_WRITE : OBJ_READ);
}

static void obj_read(void *store, rg_occ_client *c)
{
    objstore *st = store;
    st->call[rg_occ_client_id(c)] = (objcall){.write = false};
    rg_occ_send(c, on_arrives, 0);
}

static void obj_commit(void *store, rg_occ_client *c, int64_t version)
{
    objstore *st = store;
    st->call[rg_occ_client_id(c)] = (objcall){.write = true, .expected = version};
    rg_occ_send(c, on_arrives, 0);
}

static int64_t obj_durable(const void *store)
{
    return ((const objstore *)store)->version;
}

static void obj_free(void *store)
{
    objstore *st = store;
    if (st == NULL)
        return;
    rg_object_free(st->obj);
    free(st->call);
    free(st);
}

const rg_occ_kind rg_occ_kind_object = {
    .name = "object",
    .load = obj_load,
    .cfg_free = obj_cfg_free,
    .build = obj_build,
    .read = obj_read,
    .commit = obj_commit,
    .durable = obj_durable,
    .free = obj_free,
};
