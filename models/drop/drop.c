/*
 * drop.c: the flash-sale drop model: configuration, the metric table, the
 * set-up of one replication and the checker that runs after it.  The life
 * of a request is in dropflow.c; the architectures are kinds (kind.h), one
 * file each (kind-NAME.c; the SQL protocols share kind-sql.c) and one line
 * each in the table (kinds.c); the types the drop's files share are in
 * dropint.h.
 * This file reaches a kind only through its table entry: load and free its
 * cfg, build and free its store, ask what the store gave out.  The drop's
 * options live in files of their own (dropcart.c: reservations,
 * droproom.c: the waiting room, dropkvp.c: protections kept in the KV);
 * their
 * keys are read, and their metrics reported, only in a scenario that
 * mentions them, so every other scenario resolves and reports as before.
 *
 * The checker works only from what clients were told and what the stores
 * hold at the end: allocated and rejected count the answers, oversell is
 * allocated beyond the stock per SKU, lost updates are allocations the
 * store does not show, unacknowledged units are decrements no client heard
 * of, lost sales are units the stores still hold of a SKU whose buyers were
 * told sold out (with reservations, held_at_close counts the units
 * abandoned carts held when the drop closed); units given back by expired
 * carts count as sold no more.  Nothing is
 * computed from a formula of the parameters.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "models/drop/dropint.h"
#include "models/mech/linz.h"
#include "models/mech/mparam.h"
#include "sim/engine/stats.h"

/* ---- the buyers, shared by the variants of a replication ------------------ */

/* Every variant of replication (seed, rep) draws the same buyers from the
 * "arrivals" stream (workload.h: common random numbers), and drawing and
 * sorting them was a visible share of a short replication: the first
 * variant to run draws them, the others of the same replication borrow
 * them.  The cache belongs to the scenario's dcfg, whose runs may be on
 * any thread in any order, hence the lock; a slot in use is never
 * evicted, and when every slot is in use a variant draws its own.  Only
 * small crowds are cached (BC_MAX_BUYERS), so the cache adds at most
 * BC_SLOTS x 1 MB to a run's memory.  Buyers depend on nothing but the
 * workload, the regions and the stream, so a borrowed array is the one the
 * variant would have drawn. */
#define BC_SLOTS 8
#define BC_MAX_BUYERS 65536

typedef struct dbuyers {
    pthread_mutex_t lock;
    struct {
        uint64_t seed, rep;
        rg_buyer *b; /* NULL: empty slot */
        unsigned refs;
        uint64_t used; /* for least-recently-used eviction */
    } slot[BC_SLOTS];
    uint64_t tick;
} dbuyers;

static dbuyers *dbuyers_new(void)
{
    dbuyers *bc = rg_xcalloc(1, sizeof *bc);
    pthread_mutex_init(&bc->lock, NULL);
    return bc;
}

static void dbuyers_free(dbuyers *bc)
{
    if (bc == NULL)
        return;
    for (size_t i = 0; i < BC_SLOTS; i++)
        free(bc->slot[i].b);
    pthread_mutex_destroy(&bc->lock);
    free(bc);
}

/* The slot holding (seed, rep), or -1; bc locked. */
static int dbuyers_find(const dbuyers *bc, uint64_t seed, uint64_t rep)
{
    for (int i = 0; i < BC_SLOTS; i++)
        if (bc->slot[i].b != NULL && bc->slot[i].seed == seed && bc->slot[i].rep == rep)
            return i;
    return -1;
}

/* The buyers of replication (seed, rep) of engine e, borrowed from the
 * cache or drawn; give them back with dbuyers_release. */
static rg_buyer *dbuyers_get(const dcfg *c, rg_engine *e)
{
    dbuyers *bc = c->buyers;
    uint64_t seed = rg_engine_seed(e), rep = rg_engine_rep(e);
    if (c->w.buyers > BC_MAX_BUYERS)
        return rg_workload_buyers(&c->w, c->pl->n, rg_engine_stream(e, "arrivals"));
    pthread_mutex_lock(&bc->lock);
    int i = dbuyers_find(bc, seed, rep);
    if (i >= 0) {
        bc->slot[i].refs++;
        bc->slot[i].used = ++bc->tick;
        rg_buyer *b = bc->slot[i].b;
        pthread_mutex_unlock(&bc->lock);
        return b;
    }
    pthread_mutex_unlock(&bc->lock);
    /* drawn outside the lock: another thread may draw the same meanwhile */
    rg_buyer *b = rg_workload_buyers(&c->w, c->pl->n, rg_engine_stream(e, "arrivals"));
    pthread_mutex_lock(&bc->lock);
    i = dbuyers_find(bc, seed, rep);
    if (i < 0) {
        /* an empty slot, else the least recently used one not in use */
        for (int k = 0; k < BC_SLOTS; k++)
            if (bc->slot[k].refs == 0 &&
                (i < 0 || bc->slot[k].b == NULL ||
                 (bc->slot[i].b != NULL && bc->slot[k].used < bc->slot[i].used)))
                i = k;
        if (i >= 0) {
            free(bc->slot[i].b);
            bc->slot[i].seed = seed;
            bc->slot[i].rep = rep;
            bc->slot[i].b = b;
            b = NULL;
        }
    }
    rg_buyer *got = b;
    if (i >= 0) {
        bc->slot[i].refs++;
        bc->slot[i].used = ++bc->tick;
        got = bc->slot[i].b;
    }
    pthread_mutex_unlock(&bc->lock);
    if (got != b)
        free(b); /* another thread's copy of the same buyers was there */
    return got;
}

/* Gives back buyers from dbuyers_get. */
static void dbuyers_release(const dcfg *c, const rg_buyer *b)
{
    dbuyers *bc = c->buyers;
    pthread_mutex_lock(&bc->lock);
    for (int i = 0; i < BC_SLOTS; i++)
        if (bc->slot[i].b == b) {
            bc->slot[i].refs--;
            b = NULL;
            break;
        }
    pthread_mutex_unlock(&bc->lock);
    free((void *)b); /* not cached: the variant's own */
}

/* ---- configuration ------------------------------------------------------ */

static void variant_free(dvariant *v)
{
    free(v->name);
    rg_edge_free(&v->edge);
    rg_dfaults_free(&v->faults);
    /* a variant whose kind did not load has none */
    if (v->kind != NULL && v->kind->free_cfg != NULL)
        v->kind->free_cfg(v->kcfg);
}

static void dcfg_free(void *p)
{
    dcfg *c = p;
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nvar; i++)
        variant_free(&c->var[i]);
    free(c->var);
    rg_places_free(c->pl);
    rg_dist_free(c->cl.bot_interval);
    rg_dist_free(c->pr.propagation);
    free(c->pr.resets);
    rg_prices_free(c->prices);
    dcart_free(&c->res);
    rg_kv_cfg_free(&c->kv);
    free(c->met);
    free(c->col);
    dbuyers_free(c->buyers);
    free(c);
}

/* True if some [variant.NAME] gives `key`. */
static bool variant_has(const rg_scn *s, const char *key)
{
    for (size_t i = 0; i < rg_scn_nsections(s); i++) {
        const char *sec = rg_scn_section(s, i);
        if (strncmp(sec, "variant.", 8) == 0 && rg_scn_has(s, sec, key))
            return true;
    }
    return false;
}

bool dopt_mentioned(const rg_scn *s, const char *shared, const char *varkey)
{
    return rg_scn_nkeys(s, shared) > 0 || variant_has(s, varkey);
}

bool dopt_key_mentioned(const rg_scn *s, const char *shared, const char *key)
{
    return rg_scn_has(s, shared, key) || variant_has(s, key);
}

int rg_drop_load_region(rg_scn *s, const rg_places *pl, const char *var, const char *shared,
                        const char *key, const char *def, bool allow_near, int *out, rg_err *e)
{
    const char *name;
    if (mp_str(s, var, shared, key, def, &name, e) < 0)
        return -1;
    if (allow_near && strcmp(name, "near_first") == 0) {
        *out = -1;
        return 0;
    }
    *out = rg_places_find(pl, name);
    if (*out < 0)
        return rg_scn_err(s, rg_scn_has(s, var, key) ? var : shared, key, e,
                          "'%s' is not one of [network] regions%s", name,
                          allow_near ? " (or near_first)" : "");
    return 0;
}

/* A fault the variant sets that would strike its kind's stores unmodelled
 * (rg_drop_kind.fault_gaps) is an error at the key that sets it. */
static int check_fault_gaps(rg_scn *s, const char *sec, const dvariant *v, rg_err *e)
{
    const rg_dfaults *f = &v->faults;
    const struct {
        const char *key;
        unsigned bit;
        bool set;
    } gaps[] = {{"object_restart", RG_DROP_FAULT_OBJECT, f->object_restart >= 0},
                {"object_flush_fail", RG_DROP_FAULT_OBJECT, f->object_flush_fail >= 0},
                {"db_failover", RG_DROP_FAULT_DB, f->db_failover >= 0},
                {"partition", RG_DROP_FAULT_PARTITION, f->cut.a >= 0}};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++)
        if (gaps[i].set && (v->kind->fault_gaps & gaps[i].bit))
            return rg_scn_err(s, rg_scn_has(s, sec, gaps[i].key) ? sec : "faults", gaps[i].key, e,
                              "kind %s does not model this fault (doc/faults.md lists the kinds "
                              "that do); set it only for other variants",
                              v->kind->name);
    return 0;
}

/* An mp_variant_fn: ctx is the dcfg (its places must be loaded).  The keys
 * are read in a fixed order: kind, the edge's, the kind's own, then the
 * protections. */
static int load_variant(rg_scn *s, const char *sec, void *var, void *ctx, rg_err *e)
{
    dcfg *c = ctx;
    dvariant *v = var;
    const char **names = dkinds_names();
    int k;
    v->name = rg_xstrdup(sec + strlen("variant."));
    int rc = rg_scn_enum(s, sec, "kind", NULL, names, &k, e);
    free(names);
    if (rc < 0)
        return -1;
    v->kind = rg_drop_kind_at((size_t)k);
    if (rg_edge_load(s, sec, &v->edge, e) < 0 ||
        (v->kind->load != NULL && v->kind->load(s, sec, c->pl, &v->kcfg, e) < 0))
        return -1;
    /* The stories' protections, each off unless the variant switches it on. */
    if (rg_scn_bool(s, sec, "challenge", "false", &v->challenge, e) < 0 ||
        rg_scn_bool(s, sec, "rate_limit", "false", &v->rate_limit, e) < 0 ||
        rg_scn_bool(s, sec, "guardrail", "false", &v->guardrail, e) < 0)
        return -1;
    /* The drop's options: every variant of a scenario that mentions one
     * has it unless it says otherwise. */
    if (c->has_reserve) {
        if (rg_scn_bool(s, sec, "reservations", "true", &v->reserve, e) < 0)
            return -1;
        if (v->reserve && v->kind->release == NULL)
            return rg_scn_err(s, sec, "kind", e,
                              "kind %s cannot give a unit back (no release operation): "
                              "set reservations = false for this variant",
                              v->kind->name);
    }
    if (c->has_room && rg_scn_bool(s, sec, "waiting_room", "true", &v->room, e) < 0)
        return -1;
    if (c->has_idem) {
        /* Clients send an order id with every request, the same across
         * the retries of one purchase ([clients], a variant may differ). */
        static const char *const tf[] = {"false", "true", NULL};
        int idem;
        if (mp_enum(s, sec, "clients", "idempotency", "false", tf, &idem, e) < 0)
            return -1;
        v->idem = idem == 1;
    }
    if (c->has_state) {
        /* Where the rate limits and the guardrail keep their counts: exact
         * global counts, or the eventually consistent KV ([kv], read once
         * by the first variant that needs it). */
        static const char *const states[] = {"exact", "kv", NULL};
        int st;
        if (mp_enum(s, sec, "protection", "state", "exact", states, &st, e) < 0)
            return -1;
        v->kv_state = st == 1;
        if (v->kv_state && !c->kv_loaded) {
            c->kv_loaded = true;
            if (rg_kv_load(s, "kv", "kv", &c->kv, e) < 0)
                return -1;
        }
    }
    /* Outages ([faults], dropfaults.h): read only in a scenario that
     * mentions one, so every other scenario resolves as before. */
    if (c->has_faults)
        return rg_dfaults_load(s, sec, "faults", c->pl, &v->faults, e) < 0
                   ? -1
                   : check_fault_gaps(s, sec, v, e);
    rg_dfaults_none(&v->faults);
    return 0;
}

/* True if the scenario mentions a fault: a key in [faults] or a fault key
 * in some variant. */
static bool faults_mentioned(const rg_scn *s)
{
    if (rg_scn_nkeys(s, "faults") > 0)
        return true;
    for (const char *const *k = rg_dfaults_keys; *k != NULL; k++)
        if (variant_has(s, *k))
            return true;
    return false;
}

/* [clients]: who the buyers are.  Defaults make every buyer a human who
 * sends one request, as in the stories' demo. */
static int load_clients(rg_scn *s, dclients *cl, rg_err *e)
{
    /* How a human retries after an error: a fixed wait, or the commit
     * backpressure policy of backoff.h ([backoff]: exponential waits with
     * jitter inside a retry window; overload answers never retried at
     * once; a guardrail 403 never retried). */
    static const char *const retry_kinds[] = {"fixed", "backoff", NULL};
    int rk;
    if (rg_scn_enum(s, "clients", "human_retry", "fixed", retry_kinds, &rk, e) < 0)
        return -1;
    cl->human_backoff = rk == 1;
    if (cl->human_backoff && rg_bo_load(s, "backoff", "backoff", NULL, &cl->retry, e) < 0)
        return -1;
    return rg_scn_real(s, "clients", "bots", "0", 0, 1, &cl->bots, e) < 0 ||
                   rg_scn_int(s, "clients", "human_attempts", "1", 1, 1000, &cl->human_attempts,
                              e) < 0 ||
                   rg_scn_dur(s, "clients", "human_retry_after", "1s", &cl->human_retry, e) < 0 ||
                   /* scalper scripts: assumptions, made parameters */
                   rg_scn_dist(s, "clients", "bot_interval", "exp(mean=50ms)", RG_QTY_DURATION,
                               &cl->bot_interval, e) < 0 ||
                   rg_scn_int(s, "clients", "bot_attempts", "200", 1, 1000000, &cl->bot_attempts,
                              e) < 0 ||
                   rg_scn_int(s, "clients", "bot_want", "10", 1, 1000000, &cl->bot_want, e) < 0 ||
                   rg_scn_int(s, "clients", "bot_ips", "4", 0, 1000000000, &cl->bot_ips, e) < 0 ||
                   /* Turnstile-style challenge: assumptions */
                   rg_scn_real(s, "clients", "challenge_pass_human", "0.98", 0, 1, &cl->pass_human,
                               e) < 0 ||
                   rg_scn_real(s, "clients", "challenge_pass_bot", "0.05", 0, 1, &cl->pass_bot, e) <
                       0
               ? -1
               : 0;
}

/* Parses "5s, 65s, ..." (non-decreasing times) into p->resets. */
static int parse_resets(rg_scn *s, const char *text, dprotect *p, rg_err *e)
{
    const char *q = text;
    while (*q) {
        while (*q == ' ' || *q == ',')
            q++;
        if (!*q)
            break;
        const char *st = q;
        while (*q && *q != ',')
            q++;
        char buf[64];
        snprintf(buf, sizeof buf, "%.*s", (int)(q - st), st);
        rg_err sub;
        rg_err_clear(&sub);
        rg_time t;
        if (rg_time_parse(buf, false, &t, &sub) < 0)
            return rg_scn_err(s, "protection", "resets", e, "%s", sub.msg);
        if (p->nresets > 0 && t < p->resets[p->nresets - 1])
            return rg_scn_err(s, "protection", "resets", e, "times must not decrease");
        p->resets = rg_xrealloc(p->resets, (p->nresets + 1) * sizeof *p->resets);
        p->resets[p->nresets++] = t;
    }
    return 0;
}

/* [protection]: the stories' limits, shared by the variants that use them. */
static int load_protection(rg_scn *s, dprotect *p, rg_err *e)
{
    static const char *const kinds[] = {"units", "cost", NULL};
    double per_min, ip_per_min, resets_per_min;
    int k;
    const char *resets;
    /* 001_*: "200/min allocate throttle" per session; "1/min reset
     * throttle" per IP.  Bucket sizes and the IP limit are assumptions. */
    if (rg_scn_real(s, "protection", "session_per_min", "200", 1e-6, 1e9, &per_min, e) < 0 ||
        rg_scn_real(s, "protection", "session_burst", "5", 1, 1e9, &p->session_burst, e) < 0 ||
        rg_scn_real(s, "protection", "ip_per_min", "600", 1e-6, 1e9, &ip_per_min, e) < 0 ||
        rg_scn_real(s, "protection", "ip_burst", "20", 1, 1e9, &p->ip_burst, e) < 0 ||
        rg_scn_enum(s, "protection", "budget_kind", "cost", kinds, &k, e) < 0 ||
        /* DEMO_COST_LIMIT = 0.0 in the story: the first billable sale trips. */
        rg_scn_real(s, "protection", "budget", "0", 0, 1e15, &p->guard.budget, e) < 0 ||
        /* KV propagation: "up to 60 s or more" elsewhere (FACTS.md) */
        rg_scn_dist(s, "protection", "flag_propagation", "uniform(0, 60s)", RG_QTY_DURATION,
                    &p->propagation, e) < 0 ||
        rg_scn_real(s, "protection", "resets_per_min", "1", 1e-6, 1e9, &resets_per_min, e) < 0 ||
        rg_scn_str(s, "protection", "resets", "", &resets, e) < 0 ||
        parse_resets(s, resets, p, e) < 0)
        return -1;
    p->session_rate = per_min / 60;
    p->ip_rate = ip_per_min / 60;
    p->guard.kind = k == 0 ? RG_BUDGET_UNITS : RG_BUDGET_COST;
    p->guard.propagation = p->propagation;
    p->guard.reset_rate = resets_per_min / 60;
    return 0;
}

/* Drop-only flags.  PROTECTION: shown only in scenarios with bots or
 * protections.  The others: reported (a column of the results) only in a
 * scenario that mentions the option, so that every other scenario's
 * results keep their columns. */
#define RG_MF_PROTECTION (1u << 16)
#define RG_MF_OPT_RESERVE (1u << 17)
#define RG_MF_OPT_ROOM (1u << 18)
#define RG_MF_OPT_STATE (1u << 19)
#define RG_MF_OPTS (RG_MF_OPT_RESERVE | RG_MF_OPT_ROOM | RG_MF_OPT_STATE)

enum {
    M_ALLOCATED,
    M_REJECTED,
    M_ERRORS,
    M_BLOCKED,
    M_TIMEOUTS,
    M_OVERLOADED,
    M_OVERSELL,
    M_OVERSOLD,
    M_LOST,
    M_UNACK,
    M_LOST_SALES,
    M_DUP,
    M_GHOST,
    M_TOLD_EMPTY,
    M_SOLDOUT_HELD,
    M_HELD_OVERSELL,
    M_LINZ,
    M_P50,
    M_P95,
    M_P99,
    M_MAX,
    M_LAST,
    M_STOCK,
    M_STOCK_TOTAL,
    M_REQUESTS,
    M_UNITS_HUMANS,
    M_UNITS_BOTS,
    M_HUMANS_EMPTY,
    M_BLK_CHALLENGE,
    M_BLK_RATE,
    M_BLK_GUARD,
    M_GUARD_TRIPPED,
    M_GUARD_TIME,
    M_RESETS,
    M_COST_REAL,
    M_COST_VIRTUAL,
    M_COST_UNIT,
    M_CONFIRMED,
    M_RELEASED,
    M_HELD,
    M_SELLOUT,
    M_ROOM_MEAN,
    M_ROOM_MAX,
    M_GUARD_LEAK,
    M_RATE_LEAK,
    M_EVENTS,
    M_SIM_END,
    M_COUNT
};

#define PROT (RG_MF_SHOW | RG_MF_PROTECTION)
static const rg_metric dmetrics[M_COUNT] = {
    [M_ALLOCATED] = {"allocated", RG_MF_INT, "units", "requests told they got a unit", RG_MF_SHOW,
                     RG_ROLE_ALLOCATED},
    [M_REJECTED] = {"rejected", RG_MF_INT, "requests", "requests told sold out (409)", RG_MF_SHOW},
    [M_ERRORS] = {"errors", RG_MF_INT, "requests",
                  "timeouts, overload, database errors and declined payments", RG_MF_SHOW},
    [M_BLOCKED] = {"blocked", RG_MF_INT, "requests",
                   "requests refused by a protection (challenge, rate limit, guardrail)", PROT},
    [M_TIMEOUTS] = {"timeouts", RG_MF_INT, "requests", "requests the client gave up on", 0},
    [M_OVERLOADED] = {"overloaded", RG_MF_INT, "requests",
                      "requests rejected as overloaded by the object", 0},
    [M_OVERSELL] = {"oversell", RG_MF_INT, "units", "sum over SKUs of max(0, allocated - stock)",
                    RG_MF_SHOW | RG_MF_MAX, RG_ROLE_OVERSELL},
    [M_OVERSOLD] = {"oversold", RG_MF_INT, "1", "1 if any SKU oversold in this replication",
                    RG_MF_SHOW | RG_MF_PROB},
    [M_LOST] = {"lost_updates", RG_MF_INT, "units",
                "allocations the store does not hold: max(0, allocated - decremented)", RG_MF_SHOW,
                RG_ROLE_LOST_UPDATES},
    [M_UNACK] = {"unacknowledged", RG_MF_INT, "units",
                 "units the store decremented but no client was told of", 0, RG_ROLE_UNACK},
    [M_LOST_SALES] = {"lost_sales", RG_MF_INT, "units",
                      "units left in the stores while buyers were told sold out: sum over SKUs "
                      "of min(max(0, stock - decremented), sold-out answers)",
                      RG_MF_SHOW, RG_ROLE_LOST_SALES},
    /* Identity: the stores' orders tables (who holds what) against what
     * each buyer was told; -1 if a store records no buyers. */
    [M_DUP] = {"dup_units", RG_MF_INT, "units",
               "units a buyer holds beyond what it asked for (1 for a human, bot_want for a "
               "bot): duplicate allocations of retries",
               RG_MF_SHOW, RG_ROLE_DUP_UNITS},
    [M_GHOST] = {"ghost_units", RG_MF_INT, "units",
                 "units the stores hold for buyers beyond the allocations they were told of: "
                 "sum over buyers of max(0, held - told allocated)",
                 RG_MF_SHOW, RG_ROLE_GHOST_UNITS},
    [M_TOLD_EMPTY] = {"told_yours_empty", RG_MF_INT, "buyers",
                      "buyers told they got a unit who hold none in the stores", RG_MF_SHOW,
                      RG_ROLE_TOLD_EMPTY},
    [M_SOLDOUT_HELD] = {"told_soldout_held", RG_MF_INT, "buyers",
                        "buyers told sold out (409) who hold a unit in the stores", RG_MF_SHOW,
                        RG_ROLE_SOLDOUT_HELD},
    [M_HELD_OVERSELL] = {"held_oversell", RG_MF_INT, "units",
                         "units the stores hold for buyers beyond the stock, told or not: the "
                         "sum over SKUs of max(0, units the orders tables hold - stock)",
                         RG_MF_SHOW, RG_ROLE_HELD_OVERSELL},
    [M_LINZ] = {"linearizable", RG_MF_REAL, "1",
                "1 if what clients were told fits one stock counter per SKU: the history is "
                "linearizable (doc/histories.md); NaN if too large to tell, or with "
                "reservations",
                RG_MF_SHOW | RG_MF_PROB},
    [M_P50] = {"lat_p50", RG_MF_REAL, "s", "median request latency", RG_MF_SHOW | RG_MF_MS,
               RG_ROLE_LAT_P50},
    [M_P95] = {"lat_p95", RG_MF_REAL, "s", "95th percentile request latency", RG_MF_MS,
               RG_ROLE_LAT_P95},
    [M_P99] = {"lat_p99", RG_MF_REAL, "s", "99th percentile request latency", RG_MF_SHOW | RG_MF_MS,
               RG_ROLE_LAT_P99},
    [M_MAX] = {"lat_max", RG_MF_REAL, "s", "slowest request", RG_MF_MS},
    [M_LAST] = {"last_answer", RG_MF_REAL, "s", "when the last client learnt its outcome",
                RG_MF_MS},
    [M_STOCK] = {"stock", RG_MF_INT, "units", "stock per SKU at the start", 0},
    [M_STOCK_TOTAL] = {"stock_total", RG_MF_INT, "units", "stock of all SKUs at the start", 0,
                       RG_ROLE_STOCK},
    [M_REQUESTS] = {"requests", RG_MF_INT, "requests", "requests sent by all clients", 0},
    [M_UNITS_HUMANS] = {"units_humans", RG_MF_INT, "units", "units won by human buyers", PROT,
                        RG_ROLE_UNITS_HUMANS},
    [M_UNITS_BOTS] = {"units_bots", RG_MF_INT, "units", "units won by bots", PROT,
                      RG_ROLE_UNITS_BOTS},
    [M_HUMANS_EMPTY] = {"humans_turned_away", RG_MF_INT, "buyers", "human buyers who got nothing",
                        PROT},
    [M_BLK_CHALLENGE] = {"blocked_challenge", RG_MF_INT, "requests",
                         "403: no session, challenge failed", PROT},
    [M_BLK_RATE] = {"blocked_rate", RG_MF_INT, "requests", "429: session or IP rate limit", PROT},
    [M_BLK_GUARD] = {"blocked_guardrail", RG_MF_INT, "requests", "403: guardrail tripped", PROT},
    [M_GUARD_TRIPPED] = {"guardrail_tripped", RG_MF_INT, "1",
                         "1 if the guardrail tripped in this replication", PROT | RG_MF_PROB},
    [M_GUARD_TIME] = {"guardrail_trip_time", RG_MF_REAL, "s",
                      "when the guardrail first tripped (NaN if it did not)", PROT | RG_MF_MS},
    [M_RESETS] = {"resets", RG_MF_INT, "resets", "operator resets that were accepted",
                  RG_MF_PROTECTION},
    [M_COST_REAL] = {"cost_real", RG_MF_REAL, "USD", "real cost of every billable operation", PROT,
                     RG_ROLE_COST},
    [M_COST_VIRTUAL] = {"cost_virtual", RG_MF_REAL, "USD",
                        "virtual cost: real cost x billing_scale", RG_MF_PROTECTION},
    [M_COST_UNIT] = {"cost_per_unit", RG_MF_REAL, "USD",
                     "real cost per unit allocated (NaN if none)", PROT},
    [M_CONFIRMED] = {"confirmed", RG_MF_INT, "units",
                     "units paid for by the horizon (without reservations: allocated)",
                     RG_MF_SHOW | RG_MF_OPT_RESERVE},
    [M_RELEASED] = {"released", RG_MF_INT, "units",
                    "units given back to the store when an unpaid cart expired",
                    RG_MF_SHOW | RG_MF_OPT_RESERVE, RG_ROLE_RELEASED},
    [M_HELD] = {"held_at_close", RG_MF_INT, "units",
                "units held by abandoned carts when the drop closed",
                RG_MF_SHOW | RG_MF_OPT_RESERVE},
    [M_SELLOUT] = {"sellout_time", RG_MF_REAL, "s",
                   "when sales reached the stock: paid units with reservations, allocated "
                   "without (NaN if never)",
                   RG_MF_SHOW | RG_MF_MS | RG_MF_OPT_RESERVE},
    [M_ROOM_MEAN] = {"room_wait_mean", RG_MF_REAL, "s",
                     "mean wait of a buyer in the waiting room (NaN if none was let in)",
                     RG_MF_SHOW | RG_MF_MS | RG_MF_OPT_ROOM},
    [M_ROOM_MAX] = {"room_wait_max", RG_MF_REAL, "s", "longest wait in the waiting room",
                    RG_MF_SHOW | RG_MF_MS | RG_MF_OPT_ROOM},
    [M_GUARD_LEAK] = {"guardrail_leak", RG_MF_INT, "units",
                      "units allocated after the budget, counted exactly, was exceeded",
                      RG_MF_SHOW | RG_MF_OPT_STATE},
    [M_RATE_LEAK] = {"rate_leak", RG_MF_INT, "requests",
                     "requests the rate limits let through that exact counts would have refused",
                     RG_MF_SHOW | RG_MF_OPT_STATE},
    [M_EVENTS] = RG_METRIC_EVENTS,
    [M_SIM_END] =
        RG_METRIC_SIM_END("simulated time when the last event ran (idle timers such as an object's "
                          "hibernation included; last_answer is when the drop was over)"),
};
#undef PROT
static const size_t ndmetrics = M_COUNT;

static const rg_metric *dmet(const void *p, size_t *n)
{
    if (p == NULL) {
        *n = M_COUNT;
        return dmetrics;
    }
    *n = ((const dcfg *)p)->nmet;
    return ((const dcfg *)p)->met;
}

/* This scenario's metric table: the options it does not mention have no
 * column, the protections' metrics are shown only when something can
 * produce them. */
static void make_metrics(dcfg *c)
{
    unsigned opts = (c->has_reserve ? RG_MF_OPT_RESERVE : 0) | (c->has_room ? RG_MF_OPT_ROOM : 0) |
                    (c->has_state ? RG_MF_OPT_STATE : 0);
    c->met = rg_xcalloc(ndmetrics, sizeof *c->met);
    c->col = rg_xcalloc(ndmetrics, sizeof *c->col);
    for (size_t m = 0; m < ndmetrics; m++) {
        unsigned f = dmetrics[m].flags;
        if ((f & RG_MF_OPTS) && !(f & opts)) {
            c->col[m] = -1;
            continue;
        }
        c->col[m] = (int)c->nmet;
        rg_metric *x = &c->met[c->nmet++];
        *x = dmetrics[m];
        if ((f & RG_MF_PROTECTION) && !c->show_protection)
            x->flags &= ~(unsigned)(RG_MF_SHOW | RG_MF_MAX);
    }
}

/* [cost]: the prices of every operation the drop or any kind can bill,
 * whatever kinds the variants use. */
static int load_prices(rg_scn *s, dcfg *c, rg_err *e)
{
    c->prices = rg_prices_new();
    dkinds_declare(c->prices);
    return rg_prices_load(s, c->prices, e);
}

static int dload(rg_scn *s, void **out, rg_err *e)
{
    dcfg *c = rg_xcalloc(1, sizeof *c);
    c->pl = rg_places_load(s, e);
    if (c->pl == NULL || rg_workload_load(s, c->pl, &c->w, e) < 0 ||
        load_clients(s, &c->cl, e) < 0 || load_protection(s, &c->pr, e) < 0 ||
        load_prices(s, c, e) < 0)
        goto fail;
    c->has_reserve = dopt_mentioned(s, "reservations", "reservations");
    if (c->has_reserve && dcart_load(s, &c->res, e) < 0)
        goto fail;
    c->has_state = dopt_key_mentioned(s, "protection", "state");
    c->has_idem = dopt_key_mentioned(s, "clients", "idempotency");
    c->has_room = dopt_mentioned(s, "waiting_room", "waiting_room");
    c->has_faults = faults_mentioned(s);
    if (c->has_room && droom_load(s, &c->room_rate, e) < 0)
        goto fail;
    void *var = NULL;
    char *kinds = dkinds_list();
    char *none = rg_xasprintf("a drop compares at least one architecture (kind = %s)", kinds);
    int rc = mp_variants(s, sizeof *c->var, load_variant, c, none, &var, &c->nvar, e);
    free(none);
    free(kinds);
    c->var = var;
    if (rc < 0)
        goto fail;
    /* Shared sections are optional: the drop's, and each kind's. */
    static const char *const shared[] = {"edge", "clients", "protection",
                                         "cost", "backoff", "faults"};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++)
        rg_scn_declare(s, shared[i]);
    for (size_t i = 0; i < rg_drop_kind_count(); i++)
        if (rg_drop_kind_at(i)->section != NULL)
            rg_scn_declare(s, rg_drop_kind_at(i)->section);
    /* Show the protection metrics only when something can produce them. */
    c->show_protection = c->cl.bots > 0;
    for (size_t i = 0; i < c->nvar; i++)
        c->show_protection = c->show_protection || c->var[i].challenge || c->var[i].rate_limit ||
                             c->var[i].guardrail;
    make_metrics(c);
    c->buyers = dbuyers_new();
    *out = c;
    return 0;
fail:
    dcfg_free(c);
    return -1;
}

static size_t dnvar(const void *p)
{
    return ((const dcfg *)p)->nvar;
}
static const char *dvarname(const void *p, size_t v)
{
    return ((const dcfg *)p)->var[v].name;
}

/* ---- one replication ---------------------------------------------------- */

/* The buyers of one replication and who they are: every draw here comes
 * before the first event, in this order. */
static void setup_clients(drun *r)
{
    const dcfg *c = r->c;
    r->ncl = (size_t)c->w.buyers;
    r->buyers = dbuyers_get(c, r->e);
    r->net = rg_engine_stream(r->e, "network");
    /* Who is a bot, and challenge results, come from their own stream, so
     * adding bots leaves every other draw of the replication unchanged; it
     * is only created when used (seeding a generator is not free). */
    if (c->cl.bots > 0 || r->v->challenge || c->cl.human_backoff)
        r->clients = rg_engine_stream(r->e, "clients");
    /* Not calloc: each client is written whole below (the rest of its
     * fields zero), where calloc cleared the array first. */
    r->cls = rg_xmalloc((r->ncl ? r->ncl : 1) * sizeof *r->cls);
    for (size_t i = 0; i < r->ncl; i++)
        r->cls[i] = (dclient){
            .id = i,
            .region = (uint8_t)r->buyers[i].region,
            .sku = r->buyers[i].sku,
            .bot = c->cl.bots > 0 && gsl_rng_uniform(r->clients) < c->cl.bots,
            .has_session = !r->v->challenge,
        };
    if (c->cl.human_backoff || r->v->room)
        r->clx = rg_xcalloc(r->ncl ? r->ncl : 1, sizeof *r->clx);
    /* [faults] client_crash: who crashes after sending, from the faults
     * stream (made only when used), after every other set-up draw. */
    double crash = r->v->faults.client_crash;
    if (crash > 0) {
        gsl_rng *f = rg_engine_stream(r->e, "faults");
        for (size_t i = 0; i < r->ncl; i++)
            r->cls[i].crash = gsl_rng_uniform(f) < crash;
    }
}

/* The rest of the replication's state: checker counters, protections,
 * the ledger and the store. */
static void setup_run(drun *r)
{
    const dcfg *c = r->c;
    /* rounded up so that every call's data is aligned for any type */
    size_t align = _Alignof(max_align_t);
    r->ksize = (r->v->kind->call_size + align - 1) / align * align;
    r->has_x = r->v->kv_state || r->v->reserve || r->v->room;
    r->alloc_sku = rg_xcalloc((size_t)c->w.skus, sizeof *r->alloc_sku);
    r->zero_traced = rg_xcalloc((size_t)c->w.skus, sizeof *r->zero_traced);
    r->ledger = rg_ledger_new(c->prices);
    rg_guard_init(&r->guard, &c->pr.guard, c->pl->n);
    if (r->v->rate_limit) { /* only a variant that limits reads them (no draws) */
        r->lim_session = rg_limiter_new(c->pr.session_rate, c->pr.session_burst);
        r->lim_ip = rg_limiter_new(c->pr.ip_rate, c->pr.ip_burst);
    }
    if (r->v->reserve) {
        /* created only when used: every other draw stays where it was */
        r->payments = rg_engine_stream(r->e, "payments");
        r->released_sku = rg_xcalloc((size_t)c->w.skus, sizeof *r->released_sku);
    }
    dkvp_setup(r);
    r->store = r->v->kind->build(r->v->kcfg, r);
}

/* ---- the checker ---- */

/* What the checker counts from the answers and from the stores. */
typedef struct dtally {
    int64_t timeouts, overloaded, dberr, declined, blk_challenge, blk_rate, blk_guard;
    int64_t units_h, units_b, humans_empty;
    int64_t oversell, lost, unack, lost_sales;
    int64_t *soldout_sku; /* sold-out answers per SKU */
    double *lat;          /* seconds per request, the quantiles' ranks in place */
    rg_time last;
    size_t cut; /* requests the horizon cut short (their client had not given up) */
} dtally;

/* Outcomes and latencies as clients saw them; a request still unanswered
 * at the horizon is one the client gave up on. */
static void tally_requests(drun *r, dtally *t)
{
    t->lat = rg_xmalloc((r->nreq ? r->nreq : 1) * sizeof *t->lat);
    t->soldout_sku = rg_xcalloc((size_t)r->c->w.skus, sizeof *t->soldout_sku);
    for (size_t i = 0; i < r->nreq; i++) {
        dreq *q = drun_req(r, i);
        if (q->outcome == RG_OUT_PENDING) {
            q->outcome = RG_OUT_TIMEOUT;
            q->answered = q->sent + r->c->w.timeout;
            t->cut += q->answered > r->c->w.horizon;
        }
        switch (q->outcome) {
        case RG_OUT_TIMEOUT: t->timeouts++; break;
        case RG_OUT_OVERLOADED: t->overloaded++; break;
        case RG_OUT_DB_ERROR: t->dberr++; break;
        case RG_OUT_DECLINED: t->declined++; break;
        case RG_OUT_CHALLENGE: t->blk_challenge++; break;
        case RG_OUT_RATE_LIMITED: t->blk_rate++; break;
        case RG_OUT_GUARDRAIL: t->blk_guard++; break;
        case RG_OUT_SOLD_OUT: t->soldout_sku[q->cl->sku]++; break;
        case RG_OUT_PENDING:
        case RG_OUT_ALLOCATED: break;
        }
        t->lat[i] = rg_time_sec(q->answered - dreq_started(r, q));
        rg_repout_latency(r->out, t->lat[i]);
        if (q->answered > t->last)
            t->last = q->answered;
    }
    for (size_t i = 0; i < r->ncl; i++) {
        if (r->cls[i].bot)
            t->units_b += r->cls[i].units;
        else {
            t->units_h += r->cls[i].units;
            t->humans_empty += r->cls[i].units == 0;
        }
    }
}

/* Per SKU, what clients were told against what the store gave out.  A
 * unit still in a store is a lost sale only while a buyer of its SKU was
 * told sold out: one lost sale per such answer, at most the units left. */
static void tally_stores(const drun *r, dtally *t)
{
    int64_t stock = r->c->w.stock;
    for (size_t k = 0; k < (size_t)r->c->w.skus; k++) {
        /* units given back by expired carts are no longer sold */
        int64_t a = r->alloc_sku[k] - (r->released_sku ? r->released_sku[k] : 0);
        int64_t d = r->v->kind->decremented(r->store, k);
        int64_t left = stock > d ? stock - d : 0;
        t->oversell += a > stock ? a - stock : 0;
        t->lost += a > d ? a - d : 0;
        t->unack += d > a ? d - a : 0;
        t->lost_sales += left < t->soldout_sku[k] ? left : t->soldout_sku[k];
    }
}

/* Buyer by buyer, the stores' orders tables against what the buyer was
 * told: units held beyond what it wanted (duplicates), beyond what it was
 * told of (ghosts), told "yours" and holding nothing, told "sold out" and
 * holding a unit.  A unit an expired cart gave back is held no more, and
 * no longer counts as told. */
static void tally_identity(const drun *r, rg_mval *row)
{
    const rg_orders *o = r->v->kind->orders ? r->v->kind->orders(r->store) : NULL;
    if (o == NULL) {
        row[M_DUP].i = row[M_GHOST].i = row[M_TOLD_EMPTY].i = row[M_SOLDOUT_HELD].i =
            row[M_HELD_OVERSELL].i = -1;
        return;
    }
    int64_t *held = rg_xcalloc(r->ncl ? r->ncl : 1, sizeof *held);
    int64_t *held_sku = rg_xcalloc((size_t)r->c->w.skus, sizeof *held_sku);
    for (size_t i = 0; i < rg_orders_count(o); i++) {
        const rg_order *x = rg_orders_at(o, i);
        RG_ENGINE_ASSERT(r->e, x->client < r->ncl && x->sku >= 0 && x->sku < r->c->w.skus);
        held[x->client] += !x->released;
        held_sku[x->sku] += !x->released;
    }
    int64_t over = 0;
    for (int k = 0; k < r->c->w.skus; k++)
        over += held_sku[k] > r->c->w.stock ? held_sku[k] - r->c->w.stock : 0;
    row[M_HELD_OVERSELL].i = over;
    free(held_sku);
    int64_t dup = 0, ghost = 0, empty = 0, soldout_held = 0;
    for (size_t i = 0; i < r->ncl; i++) {
        const dclient *cl = &r->cls[i];
        int64_t want = cl->bot ? r->c->cl.bot_want : 1;
        int64_t told = cl->units - cl->gaveback;
        dup += held[i] > want ? held[i] - want : 0;
        ghost += held[i] > told ? held[i] - told : 0;
        empty += told > 0 && held[i] == 0;
        soldout_held += cl->soldout > 0 && held[i] > 0;
    }
    row[M_DUP].i = dup;
    row[M_GHOST].i = ghost;
    row[M_TOLD_EMPTY].i = empty;
    row[M_SOLDOUT_HELD].i = soldout_held;
    free(held);
}

/* What the history check reads of request i of run r (a dhist_get): its
 * times, buyer, SKU, order id and outcome, as req_record gives them; the
 * check reads every request twice, so the rest is left unset. */
static void req_hist(const void *run, size_t i, rg_drop_req *d)
{
    const drun *r = run;
    const dreq *q = drun_req(r, i);
    d->sent = dreq_started(r, q);
    d->answered = q->answered;
    d->sku = q->cl->sku;
    d->client = q->cl->id;
    d->outcome = q->outcome;
    d->order = q->order;
}

/* The history of what clients sent and were told, checked for a stock
 * counter per SKU (drophist.c), reading the requests in place.  NaN when
 * too large to tell, and with reservations: an expired cart gives its unit
 * back, which the counter of the history cannot do. */
static double tally_linearizable(const drun *r)
{
    if (r->v->reserve)
        return NAN;
    int v = dhist_check(req_hist, r, r->nreq, r->ncl, r->v->idem, (int)r->c->w.skus, r->c->w.stock);
    return v < 0 ? NAN : v;
}

/* The kinds' call data is dead once the stores have been asked what they
 * hold: freed before the history check's arrays, for a lower peak. */
static void drun_free_calldata(drun *r)
{
    if (r->kblocks == NULL)
        return;
    for (size_t b = 0; b < r->nblocks; b++)
        free(r->kblocks[b]);
    free(r->kblocks);
    r->kblocks = NULL;
}

/* Runs the checker and fills `row`, one value per metric of the drop's
 * declaration (the enum), but the engine's own metrics. */
static void check(drun *r, rg_mval *row)
{
    const rg_workload *w = &r->c->w;
    dtally t = {0};
    tally_requests(r, &t);
    tally_stores(r, &t);
    static const double qs[] = {0.50, 0.95, 0.99};
    rg_select_quantiles(t.lat, r->nreq, qs, 3); /* as sorting would, for what is read */
    row[M_P50].d = rg_quantile_sorted(t.lat, r->nreq, 0.50);
    row[M_P95].d = rg_quantile_sorted(t.lat, r->nreq, 0.95);
    row[M_P99].d = rg_quantile_sorted(t.lat, r->nreq, 0.99);
    row[M_MAX].d = r->nreq ? t.lat[r->nreq - 1] : NAN;
    free(t.lat); /* before the history check's arrays: a lower peak */
    row[M_ALLOCATED].i = r->allocated;
    row[M_REJECTED].i = r->rejected;
    row[M_ERRORS].i = t.timeouts + t.overloaded + t.dberr + t.declined;
    row[M_BLOCKED].i = t.blk_challenge + t.blk_rate + t.blk_guard;
    row[M_TIMEOUTS].i = t.timeouts;
    row[M_OVERLOADED].i = t.overloaded;
    row[M_OVERSELL].i = t.oversell;
    row[M_OVERSOLD].i = t.oversell > 0;
    row[M_LOST].i = t.lost;
    row[M_UNACK].i = t.unack;
    row[M_LOST_SALES].i = t.lost_sales;
    tally_identity(r, row);
    /* The stores and the kinds' call data have said all they hold: freed
     * before the history check's arrays, for a lower peak. */
    if (r->v->kind->free_store != NULL)
        r->v->kind->free_store(r->store);
    r->store = NULL;
    drun_free_calldata(r);
    row[M_LINZ].d = tally_linearizable(r);
    row[M_LAST].d = rg_time_sec(t.last);
    row[M_STOCK].i = w->stock;
    row[M_STOCK_TOTAL].i = w->stock * w->skus;
    row[M_REQUESTS].i = (int64_t)r->nreq;
    row[M_UNITS_HUMANS].i = t.units_h;
    row[M_UNITS_BOTS].i = t.units_b;
    row[M_HUMANS_EMPTY].i = t.humans_empty;
    row[M_BLK_CHALLENGE].i = t.blk_challenge;
    row[M_BLK_RATE].i = t.blk_rate;
    row[M_BLK_GUARD].i = t.blk_guard;
    row[M_GUARD_TRIPPED].i = r->guard.trip_time >= 0;
    row[M_GUARD_TIME].d = r->guard.trip_time >= 0 ? rg_time_sec(r->guard.trip_time) : NAN;
    row[M_RESETS].i = (int64_t)r->guard.resets;
    row[M_COST_REAL].d = rg_ledger_real(r->ledger);
    row[M_COST_VIRTUAL].d = rg_ledger_virtual(r->ledger);
    row[M_COST_UNIT].d = r->allocated > 0 ? rg_ledger_real(r->ledger) / (double)r->allocated : NAN;
    if (t.cut > 0) {
        char h[RG_TIME_STRLEN];
        rg_repout_fail(r->out,
                       "%zu requests were still waiting for an answer at [workload] horizon %s, "
                       "before their clients' timeout: lengthen the horizon",
                       t.cut, rg_time_format(w->horizon, h));
    }
    if (r->v->reserve) {
        dcart_tally(r, &row[M_CONFIRMED].i, &row[M_HELD].i, &row[M_SELLOUT].d);
        row[M_RELEASED].i = r->released;
    } else {
        /* every allocation is a sale at once */
        row[M_CONFIRMED].i = r->allocated;
        row[M_SELLOUT].d = r->sold_at >= 0 ? rg_time_sec(r->sold_at) : NAN;
    }
    row[M_ROOM_MEAN].d = r->room_n > 0 ? rg_time_sec(r->room_wait_sum) / (double)r->room_n : NAN;
    row[M_ROOM_MAX].d = r->room_n > 0 ? rg_time_sec(r->room_wait_max) : NAN;
    row[M_GUARD_LEAK].i = r->guard_leak;
    row[M_RATE_LEAK].i = r->rate_leak;
    free(t.soldout_sku);
}

/* The trace's last lines: the replication's summary and its cost ledger. */
static void trace_summary(const drun *r, const rg_mval *row)
{
    const rg_prices *p = r->c->prices;
    fprintf(r->trace,
            "\n%s: %zu requests: allocated %lld, rejected %lld, errors %lld, blocked %lld, "
            "oversell %lld, lost updates %lld; p50 %.1f ms, p99 %.1f ms; %llu events\n",
            r->v->name, r->nreq, (long long)r->allocated, (long long)r->rejected,
            (long long)row[M_ERRORS].i, (long long)row[M_BLOCKED].i, (long long)row[M_OVERSELL].i,
            (long long)row[M_LOST].i, row[M_P50].d * 1e3, row[M_P99].d * 1e3,
            (unsigned long long)rg_engine_events(r->e));
    fprintf(r->trace, "cost ledger:");
    for (size_t k = 0; k < rg_prices_count(p); k++)
        if (rg_ledger_count(r->ledger, k))
            fprintf(r->trace, " %s %llu x $%g;", rg_prices_op(p, k)->key,
                    (unsigned long long)rg_ledger_count(r->ledger, k), rg_prices_price(p, k));
    fprintf(r->trace, " total $%.9g real, $%.9g virtual\n", rg_ledger_real(r->ledger),
            rg_ledger_virtual(r->ledger));
}

/* The record of request i of run r (a dhist_get); fills every field but
 * the padding. */
static void req_record(const void *run, size_t i, rg_drop_req *d)
{
    const drun *r = run;
    const dreq *q = drun_req(r, i);
    d->sent = dreq_started(r, q);
    d->admitted = r->v->room ? q->sent : -1;
    d->answered = q->answered;
    d->region = q->cl->region;
    d->sku = q->cl->sku;
    d->client = q->cl->id;
    d->bot = q->cl->bot;
    d->outcome = q->outcome;
    d->lock_wait = q->lock_wait;
    d->order = q->order;
}

/* The per-request records for rg_drop_run_detail's caller. */
static rg_drop_req *copy_requests(const drun *r)
{
    /* Zeroed, padding included: callers compare records with memcmp
     * (the same seed must give the same bytes). */
    rg_drop_req *d = rg_xcalloc(r->nreq ? r->nreq : 1, sizeof *d);
    for (size_t i = 0; i < r->nreq; i++)
        req_record(r, i, &d[i]);
    return d;
}

void drun_buyers_done(drun *r)
{
    if (r->buyers != NULL)
        dbuyers_release(r->c, r->buyers);
    r->buyers = NULL;
}

/* Frees everything the replication holds but its engine, stores first
 * (they may hold events of the engine). */
static void drun_free(drun *r)
{
    if (r->v->kind->free_store != NULL)
        r->v->kind->free_store(r->store);
    rg_lane_free(r->cart_expiry);
    rg_lane_free(r->room_lane);
    rg_limiter_free(r->lim_session);
    rg_limiter_free(r->lim_ip);
    rg_guard_free(&r->guard);
    dkvp_free(r);
    rg_ledger_free(r->ledger);
    for (size_t b = 0; b < r->nblocks; b++) {
        free(r->blocks[b]);
        if (r->kblocks != NULL)
            free(r->kblocks[b]);
        if (r->xblocks != NULL)
            free(r->xblocks[b]);
    }
    free(r->blocks);
    free(r->kblocks);
    free(r->xblocks);
    free(r->alloc_sku);
    free(r->released_sku);
    free(r->zero_traced);
    free(r->cls);
    free(r->clx);
    drun_buyers_done(r);
}

/* Never a silent cut: buyers who would arrive after the horizon fail the
 * replication with a message that says so. */
static void horizon_arrivals(drun *r)
{
    size_t late = 0;
    for (size_t i = 0; i < r->ncl; i++)
        late += r->buyers[i].t > r->c->w.horizon;
    if (late > 0) {
        char h[RG_TIME_STRLEN];
        rg_repout_fail(r->out,
                       "%zu of %zu buyers arrive after [workload] horizon %s (the last at "
                       "%.1f s): lengthen the horizon or shorten the arrivals",
                       late, r->ncl, rg_time_format(r->c->w.horizon, h),
                       rg_time_sec(r->buyers[r->ncl - 1].t));
    }
}

void rg_drop_run_detail(const void *cfg, size_t vi, uint64_t seed, uint64_t rep, rg_repout *out,
                        FILE *trace, rg_drop_req **reqs_out, size_t *nreqs)
{
    const dcfg *c = cfg;
    drun r = {0};
    r.c = c;
    r.v = &c->var[vi];
    r.e = rg_rep_begin(out, seed, rep);
    r.trace = trace;
    r.out = out;
    r.sold_at = -1;
    setup_clients(&r);
    setup_run(&r);
    horizon_arrivals(&r);
    dflow_start(&r);
    rg_rep_run(out, r.e, c->w.horizon);

    rg_mval full[M_COUNT];
    memset(full, 0, sizeof full);
    check(&r, full);
    RG_ENGINE_ASSERT(r.e, r.allocated + r.rejected + full[M_ERRORS].i + full[M_BLOCKED].i ==
                              (int64_t)r.nreq);
    /* the scenario's columns only */
    rg_mval *row = rg_repout_row(out);
    for (size_t m = 0; m < M_COUNT; m++)
        if (c->col[m] >= 0)
            row[c->col[m]] = full[m];
    if (trace)
        trace_summary(&r, full);
    if (reqs_out) {
        *reqs_out = copy_requests(&r);
        *nreqs = r.nreq;
    }
    drun_free(&r);
    rg_rep_end(out, r.e);
}

static void drun_task(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out,
                      FILE *trace)
{
    rg_drop_run_detail(cfg, v, seed, rep, out, trace, NULL, NULL);
}

static int dhistory(const void *cfg, size_t v, uint64_t seed, uint64_t rep, rg_repout *out, FILE *f,
                    bool edn)
{
    rg_drop_req *reqs = NULL;
    size_t n = 0;
    rg_drop_run_detail(cfg, v, seed, rep, out, NULL, &reqs, &n);
    int rc = rg_drop_history_write(reqs, n, f, edn ? RG_DROP_HIST_EDN : RG_DROP_HIST_JSONL);
    free(reqs);
    return rc;
}

/* The timeline of replication 0 counts what clients were told. */
static const char *const dtimeline[] = {"allocated", "rejected"};

/* An estimate of one replication's peak memory, for --memory-limit.  Per
 * buyer: its arrival, its client and the history check's two words.  Per
 * request (every attempt a buyer may make): its record, the kind's call
 * data and the options' block, its latency (twice with raw latencies
 * kept), the history check's operation, an orders entry, a point of the
 * timeline, and the events it keeps pending (a deadline, a hop, a reply:
 * three heap entries with their slots).  The stores' own state (SQL
 * statements, pool waiters and connections, cache and replica entries) is
 * taken as 256 B a request: an assumption, checked against the peak
 * resident memory of sneaker-drop.ini with `--set workload.buyers=N -n 1
 * -j1`: 73.6 MB estimated (the largest variant) for a peak RSS of
 * 48,416 KB for the whole run at 10^5 buyers, 736 MB for 371,740 KB at
 * 10^6.  The events and the stores' share are what a scenario whose
 * requests all wait at once would need, so the estimate stays above the
 * peak. */
static uint64_t dmem_bytes(const void *cfg, size_t v, bool keep)
{
    const dcfg *c = cfg;
    const dvariant *var = &c->var[v];
    double buyers = (double)c->w.buyers, bots = buyers * c->cl.bots;
    double reqs = (buyers - bots) * (double)c->cl.human_attempts +
                  bots * (double)c->cl.bot_attempts * (double)c->cl.bot_want;
    double per_req = (double)(sizeof(dreq) + var->kind->call_size +
                              (var->kv_state || var->reserve || var->room ? sizeof(dreqx) : 0) +
                              (keep ? 2 : 1) * sizeof(double) + sizeof(rg_linz_op) +
                              sizeof(rg_order) + 24 + 3 * (24 + 32) + 256);
    double per_buyer =
        (double)(sizeof(rg_buyer) + sizeof(dclient) +
                 (c->cl.human_backoff || var->room ? sizeof(dclientx) : 0) + 2 * sizeof(size_t));
    double b = buyers * per_buyer + reqs * per_req;
    /* [protection] state = kv: two keys per client (its session and its
     * address), one per address of the bots' pool, two of the store's own
     * (dkvp_setup) */
    if (var->kv_state)
        b += (2 * buyers + (double)c->cl.bot_ips + 2) * (double)rg_kv_key_bytes(c->pl->n);
    if (var->kind->store_bytes != NULL)
        b += (double)var->kind->store_bytes(var->kcfg, (size_t)c->w.buyers, (size_t)c->w.skus);
    return b >= 1.8e19 ? UINT64_MAX : (uint64_t)b;
}

const rg_experiment rg_experiment_drop = {
    .name = "drop",
    .summary = "flash-sale drop: buyers race for stock through objects, SQL or caches",
    .load = dload,
    .free_cfg = dcfg_free,
    .nvariants = dnvar,
    .variant_name = dvarname,
    .metrics = dmet,
    .timeline = dtimeline,
    .run = drun_task,
    .report_extra = NULL,
    .history = dhistory,
    .mem_bytes = dmem_bytes,
};
