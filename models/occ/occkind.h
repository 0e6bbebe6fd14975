/*
 * occkind.h: the occ experiment's store kinds (occ.h, "Stores"), and what
 * of the experiment a kind sees.  Not a public API: only models/occ
 * includes it.
 *
 * A kind is one table entry: its name as a variant writes it (store =
 * NAME), how it reads its own keys, how it builds its store for one
 * replication, the experiment's two requests on that store, and what the
 * store holds for the checker.  occ.c dispatches through the table only,
 * so a new store is one file and one line in the table (occ.c).
 *
 * The protocol, for every kind: the client's attempt calls read; the kind
 * brings the version it read back to the client (rg_occ_read_back or, over
 * the network, rg_occ_reply_read), and the client then calls commit; the
 * kind brings the commit's class back (rg_occ_commit_back or
 * rg_occ_reply_commit).  Each attempt ends with exactly one commit answer,
 * a read that cannot be served included.
 *
 * Ownership: a kind's configuration belongs to the variant (freed by
 * cfg_free, also after a failed load); its store belongs to one
 * replication (freed by free) and borrows the engine and configuration.
 */
#ifndef RG_OCCKIND_H
#define RG_OCCKIND_H

#include <stdint.h>

#include "models/mech/backoff.h"
#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"

/* A client, opaque to the kinds. */
typedef struct rg_occ_client rg_occ_client;

typedef struct rg_occ_kind {
    const char *name;
    /* Reads the kind's keys of [sec] (shared sections as defaults) into a
     * new configuration *cfg, set before anything is read.  Returns 0, or
     * -1 with e filled. */
    int (*load)(rg_scn *s, const char *sec, void **cfg, rg_err *e);
    void (*cfg_free)(void *cfg);
    /* The store of one replication on e, for `clients` clients. */
    void *(*build)(rg_engine *e, size_t clients, const void *cfg);
    /* Client c reads the value's version. */
    void (*read)(void *store, rg_occ_client *c);
    /* Client c, having read `version`, commits version + 1. */
    void (*commit)(void *store, rg_occ_client *c, int64_t version);
    /* The writes the store holds now. */
    int64_t (*durable)(const void *store);
    void (*free)(void *store);
} rg_occ_kind;

extern const rg_occ_kind rg_occ_kind_row, rg_occ_kind_object, rg_occ_kind_kv;

/* ---- what the experiment offers the kinds (occ.c) ---- */

/* The client's index, 0-based, below the `clients` given to build. */
size_t rg_occ_client_id(const rg_occ_client *c);
/* The store of the client's replication. */
void *rg_occ_store(const rg_occ_client *c);
/* Schedules fn(e, c, arg) one network hop from now: a message from the
 * client to the store ([occ] network, the "network" stream). */
void rg_occ_send(rg_occ_client *c, rg_evfn fn, uint64_t arg);
/* The version read is at the client now: it sends its commit. */
void rg_occ_read_back(rg_occ_client *c, int64_t version);
/* The commit's class is at the client now: its attempt ends. */
void rg_occ_commit_back(rg_occ_client *c, rg_bo_res res);
/* The same, one network hop from now. */
void rg_occ_reply_read(rg_occ_client *c, int64_t version);
void rg_occ_reply_commit(rg_occ_client *c, rg_bo_res res);
/* A trace line about the client's current write (no-op without trace). */
void rg_occ_trace(const rg_occ_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
