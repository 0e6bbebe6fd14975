/*
 * kind.h: the drop's architectures (store kinds) as a table of operations,
 * and everything a kind needs to take part in a replication.
 *
 * A [variant.NAME] section names its architecture with `kind =`.  Each kind
 * is one rg_drop_kind: it reads its own keys of the variant section, builds
 * its store for one replication, takes requests that reached their PoP and
 * answers each one (eventually) through rg_drop_reply or
 * rg_drop_reply_after, and tells the checker what it gave out.  The drop
 * dispatches through the table only: it never looks inside a store, and a
 * kind never looks inside the drop (the run and the call are opaque).  The
 * built-in kinds are declared below; a program can add its own with
 * rg_drop_kind_register, so a kind can live outside models/.
 *
 * Every billable operation a kind performs is declared in its `billable`
 * list (ledger.h) and billed with rg_drop_bill; the drop reads the prices
 * of every kind's operations from [cost], in table order, whatever kinds the
 * variants use, so the resolved scenario does not depend on them.
 *
 * Determinism: a kind draws network latencies only from the run's "network"
 * stream (rg_drop_run_net) and schedules everything on the run's engine;
 * the events of a replication run on one thread, so nothing here locks.
 *
 * Ownership: a kind's cfg is made by load and freed by free_cfg, read-only
 * while replications run (possibly on several threads at once); a store is
 * made by build and freed by free_store, and belongs to one replication.
 * The run and the calls belong to the drop: a kind borrows them.
 */
#ifndef RG_DROP_KIND_H
#define RG_DROP_KIND_H

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_rng.h>

#include "models/drop/drop.h"
#include "models/mech/dropfaults.h"
#include "models/mech/ledger.h"
#include "models/mech/places.h"
#include "models/mech/workload.h"
#include "models/stores/orders.h"
#include "sim/engine/engine.h"
#include "sim/engine/scenario.h"

/* One replication of one variant. */
typedef struct rg_drop_run rg_drop_run;
/* One request in flight: a buyer's attempt, from its PoP to the store and
 * back.  A client that tries again sends another call. */
typedef struct rg_drop_call rg_drop_call;

typedef struct rg_drop_kind {
    const char *name;    /* the value of `kind =` */
    const char *summary; /* one line, for listings */
    /* The shared section its keys fall back to ([object], ...), declared
     * by the drop so that a scenario may have it; NULL if none. */
    const char *section;
    /* Reads the kind's keys of variant section sec (with mp_* for the
     * shared-section fallback); pl are the scenario's regions.  Sets *cfg
     * (before anything can fail) and returns 0, or -1 with e filled; the
     * drop calls free_cfg(*cfg) in either case.  NULL: the kind has no
     * keys, and its cfg is NULL. */
    int (*load)(rg_scn *s, const char *sec, const rg_places *pl, void **cfg, rg_err *e);
    void (*free_cfg)(void *cfg); /* NULL is a no-op */
    /* The store of one replication, built before its first event. */
    void *(*build)(const void *cfg, rg_drop_run *r);
    /* Takes call q, which is at its PoP (edge work and protections done)
     * `d` from now (0: now); the kind must answer it exactly once, or let
     * the client time out (a lost message). */
    void (*route)(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d);
    /* After the run: units of `sku` the store has given out (its initial
     * stock minus what it holds now), for the checker. */
    int64_t (*decremented)(const void *store, size_t sku);
    void (*free_store)(void *store); /* NULL is a no-op */
    /* The operations it bills, NULL-terminated (NULL: none).  Kinds may
     * share a list; two declarations may not share a key. */
    const rg_billable *const *billable;
    /* Bytes of per-call state the kind wants (0: none), zeroed when the
     * call is made: rg_drop_call_data. */
    size_t call_size;
    /* Optional (NULL: none worth counting): an upper bound of the bytes
     * one replication's store holds beyond its per-call data, for the
     * drop's memory estimate (--memory-limit): objects, shards, rows. */
    uint64_t (*store_bytes)(const void *cfg, size_t buyers, size_t skus);
    /* Optional (NULL: the kind cannot take a unit back, and the drop
     * refuses reservations for its variants): gives back the unit that
     * call q was allocated, whose buyer abandoned the cart.  The
     * application at q's PoP increments the SKU's stock `d` from now
     * through the store's own operations (so a release races like any
     * other write, and bills like one).  Nothing answers the drop.  Called
     * at most once per call, after the kind answered it "allocated"; the
     * call's data is the kind's again. */
    void (*release)(void *store, rg_drop_run *r, rg_drop_call *q, rg_time d);
    /* After the run: the store's orders table (orders.h), one entry per
     * unit it allocated, naming the buyer (rg_drop_call_client) and the
     * order id the client sent (rg_drop_call_order), recorded where the
     * store changes its stock; a release marks its entry released.  NULL
     * (the operation, or its result): the store records no buyers, and the
     * checker reports the identity metrics as -1. */
    const rg_orders *(*orders)(const void *store);
    /* The outages of [faults] (dropfaults.h) that would strike this kind's
     * stores but that it does not model (RG_DROP_FAULT_* bits): a variant
     * of the kind that sets one is refused, never run as if nothing had
     * happened.  A fault on a store the kind does not have (a database
     * failover for the object) simply does not apply. */
    unsigned fault_gaps;
} rg_drop_kind;

#define RG_DROP_FAULT_OBJECT 1u    /* object_restart, object_flush_fail */
#define RG_DROP_FAULT_DB 2u        /* db_failover */
#define RG_DROP_FAULT_PARTITION 4u /* partition: the kind's own store hops */

/* ---- the table ------------------------------------------------------------ */

/* The built-in kinds (one file each; the SQL protocols share one). */
extern const rg_drop_kind rg_drop_kind_object, rg_drop_kind_sql_naive, rg_drop_kind_sql_locked,
    rg_drop_kind_sql_conditional, rg_drop_kind_cache, rg_drop_kind_quorum,
    rg_drop_kind_sql_naive_relative, rg_drop_kind_object_fetch, rg_drop_kind_sharded_object,
    rg_drop_kind_atomic_primary;

/* Operations of one product billed by several kinds, declared once (in the
 * file named) so that the [cost] keys do not depend on how many kinds use
 * the product: a Durable Object's request and row write (kind-object.c),
 * a managed Redis operation (kind-cache.c). */
extern const rg_billable rg_drop_object_request, rg_drop_object_write, rg_drop_cache_op;

/* Kinds in table order: the built-in ones, then the registered ones. */
size_t rg_drop_kind_count(void);
const rg_drop_kind *rg_drop_kind_at(size_t i);
/* The kind called name, or NULL. */
const rg_drop_kind *rg_drop_kind_find(const char *name);

/* Most kinds a program may register. */
#define RG_DROP_KIND_EXTRA 16

/* Adds kind k (borrowed: it must outlive every scenario) after the
 * built-in ones.  Returns 0, or -1 if the table is full, k lacks a name,
 * build, route or decremented, a kind of that name exists, or one of its
 * billable operations has the key of another declaration.  Call it before
 * opening scenarios: a scenario sees the kinds registered when it was
 * loaded.  Not thread-safe. */
int rg_drop_kind_register(const rg_drop_kind *k);

/* For load: reads a region name with shared-section fallback into *out
 * (its index in pl); with allow_near, "near_first" gives -1.  Returns 0,
 * or -1 with e filled. */
int rg_drop_load_region(rg_scn *s, const rg_places *pl, const char *var, const char *shared,
                        const char *key, const char *def, bool allow_near, int *out, rg_err *e);

/* ---- the replication ------------------------------------------------------ */

rg_engine *rg_drop_run_engine(const rg_drop_run *r);
const rg_places *rg_drop_run_places(const rg_drop_run *r);
/* The "network" stream: every latency a kind draws comes from it. */
gsl_rng *rg_drop_run_net(const rg_drop_run *r);
/* Initial stock per SKU, and the number of SKUs. */
int64_t rg_drop_run_stock(const rg_drop_run *r);
size_t rg_drop_run_skus(const rg_drop_run *r);
/* The buyers, in the order (and time) they arrive; buyer i is client i.
 * A kind asks while it builds its store: once the last buyer has arrived
 * their array is given back (a programmer error to ask then). */
size_t rg_drop_run_buyers(const rg_drop_run *r);
const rg_buyer *rg_drop_run_buyer(const rg_drop_run *r, size_t i);
/* The variant's name ([variant.NAME]). */
const char *rg_drop_run_variant(const rg_drop_run *r);
/* The variant's outages ([faults], dropfaults.h): every fault is off in a
 * scenario that sets none.  A kind whose store can fail schedules its
 * faults when it builds the store. */
const rg_dfaults *rg_drop_run_faults(const rg_drop_run *r);
/* One message from region `from` to region `to`, sent now: its latency,
 * drawn like rg_places_hop from the network stream, held by the variant's
 * partition while the two regions are cut apart. */
rg_time rg_drop_hop(rg_drop_run *r, int from, int to);

/* Records one billable operation (declared in the kind's list) in the
 * run's cost ledger. */
void rg_drop_bill(rg_drop_run *r, const rg_billable *op);
/* True if the replication is traced (to skip costly arguments). */
bool rg_drop_tracing(const rg_drop_run *r);
/* Traces one line (no newline in fmt), prefixed with the simulated time. */
void rg_drop_trace(rg_drop_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Traces "sku-NNN: stock hits 0 (where)", once per SKU and replication. */
void rg_drop_stock_zero(rg_drop_run *r, int sku, const char *where);

/* ---- a call --------------------------------------------------------------- */

rg_drop_run *rg_drop_call_run(const rg_drop_call *q);
/* The store of the call's replication (what build returned). */
void *rg_drop_call_store(const rg_drop_call *q);
/* The kind's call_size bytes for this call; NULL if call_size is 0. */
void *rg_drop_call_data(const rg_drop_call *q);
/* The buyer's region (its PoP), SKU and client index. */
int rg_drop_call_region(const rg_drop_call *q);
int rg_drop_call_sku(const rg_drop_call *q);
size_t rg_drop_call_client(const rg_drop_call *q);
/* The order id the client sent with the call (an idempotency key), or 0
 * if it sent none ([clients] idempotency = false).  A client's retries of
 * one purchase send the same id; its next purchase (a bot's next unit) a
 * new one.  A kind that offers idempotency answers a call whose order it
 * already allocated with that allocation, and allocates nothing. */
uint64_t rg_drop_call_order(const rg_drop_call *q);
/* Adds time the call waited for a lock (rg_drop_req.lock_wait). */
void rg_drop_call_lock_wait(rg_drop_call *q, rg_time w);

/* The store answers o from region `from`: the answer travels one hop to
 * the call's PoP, then to the client. */
void rg_drop_reply(rg_drop_call *q, int from, rg_outcome o);
/* The answer reaches the call's PoP `d` from now (0: the application runs
 * at the PoP), then travels to the client. */
void rg_drop_reply_after(rg_drop_call *q, rg_time d, rg_outcome o);

#endif
