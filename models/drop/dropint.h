/*
 * dropint.h: the drop model's internal types, shared by drop.c
 * (configuration, replication set-up, checker), dropflow.c (the life of a
 * request: clients, edge, protections, replies, and the API kinds call) and
 * kinds.c (the table of kinds).  Not a public API: nothing outside these
 * files includes it; a store kind sees only kind.h, where the run (drun)
 * and the call (dreq) are opaque.
 *
 * The drop knows nothing of any store: a variant holds its kind (a table
 * entry) and the kind's cfg, a replication holds the kind's store, and a
 * request holds the kind's per-call data.
 *
 * Ownership: a dcfg is read-only during runs; a drun and everything it
 * points to belong to one replication on one thread.
 */
#ifndef RG_DROPINT_H
#define RG_DROPINT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "models/drop/drop.h"
#include "models/drop/kind.h"
#include "models/mech/backoff.h"
#include "models/mech/dropfaults.h"
#include "models/mech/edge.h"
#include "models/mech/guardrail.h"
#include "models/mech/ledger.h"
#include "models/mech/places.h"
#include "models/mech/ratelimit.h"
#include "models/mech/workload.h"
#include "models/stores/kv.h"

typedef struct dvariant {
    char *name;
    const rg_drop_kind *kind;
    void *kcfg; /* the kind's, from its load */
    rg_edge edge;
    /* protection */
    bool challenge, rate_limit, guardrail;
    bool kv_state; /* [protection] state = kv: their counts live in the KV */
    /* the drop's options (off unless the scenario mentions them) */
    bool reserve;      /* carts held until paid or expired ([reservations]) */
    bool room;         /* a waiting room in front of the PoPs ([waiting_room]) */
    bool idem;         /* clients send order ids (idempotency keys) */
    rg_dfaults faults; /* outages ([faults]): all off unless mentioned */
} dvariant;

/* Who the buyers are ([clients]) and the protection parameters shared by
 * the variants that switch a mechanism on ([protection]). */
typedef struct dclients {
    double bots;            /* fraction of buyers that are bots */
    int64_t human_attempts; /* requests a human makes at most */
    rg_time human_retry;    /* a human's wait before trying again (fixed) */
    bool human_backoff;     /* humans retry through the backpressure policy */
    rg_bo_policy retry;     /* ... this one ([backoff]) */
    rg_dist *bot_interval;  /* a bot's wait between requests */
    int64_t bot_attempts;
    int64_t bot_want;            /* units a bot tries to collect */
    int64_t bot_ips;             /* 0: a new IP per request; N: a NAT pool of N */
    double pass_human, pass_bot; /* challenge pass probability per try */
} dclients;

typedef struct dprotect {
    double session_rate, session_burst; /* per second, tokens */
    double ip_rate, ip_burst;
    rg_guard_params guard;
    rg_dist *propagation;
    rg_time *resets; /* operator resets, in time order */
    size_t nresets;
} dprotect;

/* [reservations]: a unit told "allocated" is held in the buyer's cart
 * until paid; an unpaid cart gives it back at the TTL (dropcart.c). */
typedef struct dreserve {
    rg_time ttl;       /* a cart not paid this long after "allocated" expires */
    double pay;        /* P(the buyer pays at all) */
    rg_dist *pay_time; /* from "allocated" to paid */
    rg_time close;     /* when lost_sales is counted */
} dreserve;

typedef struct dcfg {
    rg_places *pl;
    rg_workload w;
    dclients cl;
    dprotect pr;
    rg_prices *prices; /* the billable operations of every kind */
    dvariant *var;
    size_t nvar;
    bool show_protection; /* any protection or bots: show their metrics */
    /* Options, each read only from a scenario that mentions it (so that
     * the resolved text of every other scenario stays as it was), and
     * their metrics reported only then. */
    bool has_reserve, has_room, has_state, has_idem;
    bool has_faults; /* [faults] or a fault key in a variant */
    dreserve res;
    double room_rate; /* admissions per second */
    bool kv_loaded;   /* [kv]: read by the first variant that keeps state there */
    rg_kv_cfg kv;
    struct dbuyers *buyers; /* the buyers of recent replications (drop.c) */
    rg_metric *met;         /* the metric table with this scenario's flags */
    int *col;               /* metric (enum) -> column of met, -1 if not reported */
    size_t nmet;
} dcfg;

typedef struct rg_drop_run drun;
typedef struct rg_drop_call dreq;

/* One buyer's client: 40 bytes.  Every field a request's callbacks read
 * is here, the buyer's region and SKU included, so that a reply touches
 * its request and its client only (at 10^6 buyers each is a cache miss);
 * counts are 32 bits (attempts and units are bounded by [clients] limits
 * of 10^6); the times only backoff and the waiting room use are in
 * dclientx, made only for them.  Its IP is computed (dcl_ip). */
typedef struct dclient {
    size_t id;
    int32_t units;
    int32_t attempts;
    /* what the client was told and did, for the checker's identity
     * metrics: sold-out answers, units given back by expired carts */
    int32_t soldout, gaveback;
    int32_t purchase; /* purchases completed: the next order id's number */
    int32_t sku;      /* the buyer's (rg_buyer) */
    uint8_t region;   /* the buyer's (rg_buyer; < RG_MAX_REGIONS) */
    bool bot;
    bool has_session;
    bool done;
    bool admitted; /* through the waiting room (it lets a buyer in once) */
    bool crash;    /* [faults] client_crash: crashes after its first send */
    bool crashed;  /* ... and has: it reads no answer, sends nothing more */
} dclient;

/* A client's times for the options that need them: made only for a
 * scenario whose humans retry through the backpressure policy, or a
 * variant with a waiting room (drun.clx, by client id). */
typedef struct dclientx {
    rg_time first_sent; /* start of the retry window */
    rg_time prev_wait;  /* decorrelated jitter's memory */
    rg_time pressed;    /* when the attempt waiting in the room was made */
} dclientx;

/* One request: 64 bytes, what every request needs (its buyer's region
 * and SKU included, so a kind's callback touches no client).  The kind's call data
 * and the options' fields (dreqx) live in blocks of their own, found by
 * the request's id, so a scenario without the options pays nothing for
 * them. */
struct rg_drop_call {
    drun *run;
    dclient *cl;
    size_t id;    /* creation order = send order */
    rg_time sent; /* the client's timeout runs from here; the buyer pressed
                     "buy" then too, but in the waiting room (dreq_started) */
    rg_time answered;
    rg_time lock_wait; /* reported by the kind */
    uint64_t order;    /* the order id sent (0: none) */
    uint8_t outcome;   /* what the client was told (rg_outcome) */
    uint8_t region;    /* the buyer's, copied from its client: the kinds' */
    int32_t sku;       /* callbacks read them without touching the client */
};

/* A request's fields for the options: made only for a variant with
 * protections kept in the KV or with reservations. */
typedef struct dreqx {
    /* protections kept in the KV: the reads in flight at the PoP */
    unsigned char kv_pending;
    bool kv_found[3];
    bool exact_ok; /* what exact counts said of its rate limits */
    int64_t kv_value[3];
    /* reservations: the cart of an allocated call */
    rg_time held; /* when the buyer was told (-1: no cart) */
    rg_time paid; /* when the buyer pays (-1: abandons the cart) */
    /* the waiting room: when the buyer pressed "buy", before sent */
    rg_time started;
} dreqx;

/* Requests live in fixed blocks so pointers held by events stay valid as
 * clients send more. */
#define DREQ_BLOCK 256

struct rg_drop_run {
    rg_engine *e;
    const dcfg *c;
    const dvariant *v;
    gsl_rng *net, *clients;
    const rg_buyer *buyers; /* borrowed from the dcfg's cache, or the run's own */
    dclient *cls;
    dclientx *clx; /* NULL unless the options need them */
    size_t ncl;
    dreq **blocks;
    unsigned char **kblocks; /* the kind's call data, by the same blocks */
    dreqx **xblocks;         /* the options' fields, by the same blocks */
    size_t ksize;            /* bytes of one call's data (aligned), 0: none */
    bool has_x;              /* the variant needs dreqx */
    size_t nreq, nblocks;
    size_t next_arrival;  /* clients start in time order, one event */
    size_t next_deadline; /* oldest request whose timeout may be due */
    rg_evh deadline_timer;
    rg_lane *cart_expiry; /* carts' TTLs: set in order, all as long (dcart.c) */
    rg_lane *room_lane;   /* waiting-room admissions, in slot order (droproom.c) */
    void *store;          /* the kind's, from its build */
    rg_limiter *lim_session, *lim_ip;
    rg_guard guard;
    /* reservations */
    gsl_rng *payments;
    int64_t released, *released_sku;
    /* waiting room */
    rg_time room_base; /* start of the current run of admission slots */
    int64_t room_k;    /* admissions since room_base */
    int64_t room_n;    /* buyers admitted */
    rg_time room_wait_sum, room_wait_max;
    /* the guardrail's budget as exact counts see it (both states) */
    bool exact_over;
    int64_t guard_leak;
    /* protections kept in the KV ([protection] state = kv) */
    rg_kv *pkv;
    rg_limiter *shadow_session, *shadow_ip; /* exact counts, for the leak */
    struct dsnap *snap;                     /* bucket states written to the KV */
    size_t nsnap, capsnap;
    double cost_reported; /* virtual cost added to the KV's counter so far */
    int64_t rate_leak;
    rg_ledger *ledger;
    int64_t allocated, rejected; /* as clients were told */
    int64_t decided;             /* allocations the edge has seen */
    rg_time sold_at;             /* when `allocated` reached the stock (-1: never) */
    int64_t *alloc_sku;
    bool *zero_traced;
    FILE *trace;
    rg_repout *out;
};

static inline dreq *drun_req(const drun *r, size_t i)
{
    return &r->blocks[i / DREQ_BLOCK][i % DREQ_BLOCK];
}

/* q's option fields (the variant must have them: r->has_x). */
static inline dreqx *drun_reqx(const drun *r, const dreq *q)
{
    return &r->xblocks[q->id / DREQ_BLOCK][q->id % DREQ_BLOCK];
}

/* When q's buyer pressed "buy": latency runs from here (before q was sent
 * if it waited in the waiting room). */
static inline rg_time dreq_started(const drun *r, const dreq *q)
{
    return r->v->room ? drun_reqx(r, q)->started : q->sent;
}

/* The IP a client sends from: humans an address each, bots a NAT pool of
 * bot_ips addresses (0: a fresh address per request, see dreq_ip). */
static inline uint64_t dcl_ip(const drun *r, const dclient *cl)
{
    return cl->bot && r->c->cl.bot_ips > 0 ? (UINT64_C(1) << 32) + cl->id % (size_t)r->c->cl.bot_ips
                                           : cl->id;
}

/* The IP request q came from. */
static inline uint64_t dreq_ip(const drun *r, const dreq *q)
{
    return q->cl->bot && r->c->cl.bot_ips == 0 ? (UINT64_C(1) << 40) + q->id : dcl_ip(r, q->cl);
}

/* drop.c */
/* Every buyer has arrived: their array (the arrival times) is given back,
 * long before the replication's peak at its end. */
void drun_buyers_done(drun *r);
/* True if the scenario mentions an option: a key in section `shared`, or
 * `varkey` in some [variant.NAME].  An option nobody mentions is off and
 * none of its keys is read. */
bool dopt_mentioned(const rg_scn *s, const char *shared, const char *varkey);
/* The same for an option that is one key of a shared section. */
bool dopt_key_mentioned(const rg_scn *s, const char *shared, const char *key);

/* dropflow.c */
/* Traces one line (no newline in fmt) prefixed with the simulated time, if
 * the replication is traced.  Every timed trace line of the drop goes
 * through here. */
void dtrace(drun *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dvtrace(drun *r, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Schedules the first arrival; everything else follows from events. */
void dflow_start(drun *r);
const char *dflow_outcome_name(rg_outcome o);
/* The drop's own billable operations: the edge's and the protections'. */
extern const rg_billable dflow_edge_request, dflow_kv_read, dflow_kv_write;
/* A new request of client cl, sent now; its deadline is armed. */
dreq *dflow_new_request(drun *r, dclient *cl);
/* Request q will be at its PoP with its edge work done `d` from now: the
 * protections, then the store. */
void dflow_to_pop(drun *r, dreq *q, rg_time d);
/* The protections kept in the KV decided on q, at its PoP: `blocked` is
 * the answer that stops it, or RG_OUT_PENDING to send it to the store. */
void dflow_protected(drun *r, dreq *q, rg_outcome blocked);

/* dropcart.c: reservations */
int dcart_load(rg_scn *s, dreserve *res, rg_err *e);
void dcart_free(dreserve *res);
/* Client learnt "allocated" for q: the cart holds the unit; the buyer pays
 * or, at the TTL, the unit goes back to the store through the kind. */
void dcart_hold(drun *r, dreq *q);
/* Units paid for, released and lost at the close; when the paid units
 * reached the stock (NaN if never). */
void dcart_tally(const drun *r, int64_t *confirmed, int64_t *lost_sales, double *sellout);

/* droproom.c: the waiting room */
int droom_load(rg_scn *s, double *rate, rg_err *e);
/* Client cl pressed "buy" now and was not admitted yet: to the room. */
void droom_enter(drun *r, dclient *cl);

/* dropkvp.c: rate limits and guardrail whose state lives in the KV */
void dkvp_setup(drun *r);
void dkvp_free(drun *r);
/* Reads q's rate-limit buckets and the guardrail flag at its PoP, then
 * calls dflow_protected. */
void dkvp_check(drun *r, dreq *q);
/* An allocation decided at q's PoP: read-modify-writes the budget counter
 * and trips the guardrail (puts its flag) when the counter says so. */
void dkvp_evaluate(drun *r, dreq *q);
/* An accepted operator reset, from the first region: flag and counter. */
void dkvp_reset(drun *r);

/* drophist.c */
/* Request i of a history, as rg_drop_run_detail's records give it; the
 * check reads only sent, answered, sku, client, outcome and order. */
typedef void (*dhist_get)(const void *ctx, size_t i, rg_drop_req *out);
/* rg_drop_history_check over the n records get gives (clients numbered
 * below ncl; keyed: some carry an order id, else none does), each read
 * twice: the checker reads the run's requests in
 * place instead of a copy of them all. */
int dhist_check(dhist_get get, const void *ctx, size_t n, size_t ncl, bool keyed, int skus,
                int64_t stock);

/* kinds.c */
/* Declares every billable operation, of the drop and of every kind, into
 * p in the order [cost] is read. */
void dkinds_declare(rg_prices *p);
/* The kinds' names in table order, NULL-terminated (caller frees the
 * array, not the names). */
const char **dkinds_names(void);
/* "object, ..., sql_conditional or cache" (caller frees). */
char *dkinds_list(void);

#endif
