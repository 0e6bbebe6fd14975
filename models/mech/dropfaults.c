/*
 * dropfaults.c: reading the drop's outage catalogue (see dropfaults.h).
 *
 * Defaults, each an assumption where FACTS.md has no figure:
 *  - object_restart_time 1s: a new instance is started and reloads its
 *    state; the platform publishes no figure (a wake from hibernation is
 *    a few ms, a machine loss longer).
 *  - db_failover_time 30s and db_replica_lag lognormal(median=20ms,
 *    p99=200ms): a managed MySQL/PostgreSQL promoting an asynchronous
 *    standby in the same region; FACTS.md has no figure for either.
 *  - cache_failover_time 1s; cache_replica_lag lognormal(median=100ms,
 *    p99=1s): FACTS.md, "cross-region cache": asynchronous replication,
 *    loss on failover generally under 1 s.
 *  - partition_time 1s; client_crash 0.
 */
#include "models/mech/dropfaults.h"

#include <string.h>

#include "models/mech/mparam.h"

const char *const rg_dfaults_keys[] = {"object_restart",
                                       "object_flush_fail",
                                       "object_restart_time",
                                       "db_failover",
                                       "db_failover_time",
                                       "db_replica_lag",
                                       "cache_failover",
                                       "cache_failover_region",
                                       "cache_failover_time",
                                       "cache_replica_lag",
                                       "partition",
                                       "partition_at",
                                       "partition_time",
                                       "client_crash",
                                       NULL};

void rg_dfaults_none(rg_dfaults *f)
{
    *f = (rg_dfaults){0};
    f->object_restart = f->object_flush_fail = f->db_failover = f->cache_failover = -1;
    f->cut.a = f->cut.b = -1;
}

void rg_dfaults_free(rg_dfaults *f)
{
    rg_dist_free(f->db_lag);
    rg_dist_free(f->cache_lag);
    f->db_lag = f->cache_lag = NULL;
}

/* The section that gave `key` its value, for messages. */
static const char *origin(const rg_scn *s, const char *var, const char *shared, const char *key)
{
    return var != NULL && rg_scn_has(s, var, key) ? var : shared;
}

/* A time or "never" (-1). */
static int load_when(rg_scn *s, const char *var, const char *shared, const char *key, rg_time *out,
                     rg_err *e)
{
    const char *text;
    if (mp_str(s, var, shared, key, "never", &text, e) < 0)
        return -1;
    if (strcmp(text, "never") == 0) {
        *out = -1;
        return 0;
    }
    rg_err sub;
    rg_err_clear(&sub);
    if (rg_time_parse(text, false, out, &sub) < 0)
        return rg_scn_err(s, origin(s, var, shared, key), key, e,
                          "expected never or a time (2s, 150ms): %s", sub.msg);
    return 0;
}

/* "none" or "A, B": two different regions of pl. */
static int load_cut(rg_scn *s, const char *var, const char *shared, const rg_places *pl,
                    rg_partition *cut, rg_err *e)
{
    const char *text;
    if (mp_str(s, var, shared, "partition", "none", &text, e) < 0)
        return -1;
    cut->a = cut->b = -1;
    if (strcmp(text, "none") == 0)
        return 0;
    const char *sec = origin(s, var, shared, "partition");
    const char *comma = strchr(text, ',');
    char a[64], b[64];
    if (comma == NULL || comma - text >= (long)sizeof a || strlen(comma + 1) >= sizeof b)
        return rg_scn_err(s, sec, "partition", e, "expected none or two regions, 'A, B' (got '%s')",
                          text);
    snprintf(a, sizeof a, "%.*s", (int)(comma - text), text);
    snprintf(b, sizeof b, "%s", comma + 1);
    char *names[2] = {a, b};
    int idx[2];
    for (int i = 0; i < 2; i++) {
        char *n = names[i];
        while (*n == ' ')
            n++;
        size_t len = strlen(n);
        while (len > 0 && n[len - 1] == ' ')
            n[--len] = '\0';
        idx[i] = rg_places_find(pl, n);
        if (idx[i] < 0)
            return rg_scn_err(s, sec, "partition", e, "'%s' is not one of [network] regions", n);
    }
    if (idx[0] == idx[1])
        return rg_scn_err(s, sec, "partition", e, "expected two different regions");
    cut->a = idx[0];
    cut->b = idx[1];
    return 0;
}

int rg_dfaults_load(rg_scn *s, const char *var, const char *shared, const rg_places *pl,
                    rg_dfaults *f, rg_err *e)
{
    rg_dfaults_none(f);
    const char *region;
    rg_time at, len;
    if (load_when(s, var, shared, "object_restart", &f->object_restart, e) < 0 ||
        load_when(s, var, shared, "object_flush_fail", &f->object_flush_fail, e) < 0 ||
        mp_dur(s, var, shared, "object_restart_time", "1s", &f->object_down, e) < 0 ||
        load_when(s, var, shared, "db_failover", &f->db_failover, e) < 0 ||
        mp_dur(s, var, shared, "db_failover_time", "30s", &f->db_down, e) < 0 ||
        mp_dist(s, var, shared, "db_replica_lag", "lognormal(median=20ms, p99=200ms)",
                RG_QTY_DURATION, &f->db_lag, e) < 0 ||
        load_when(s, var, shared, "cache_failover", &f->cache_failover, e) < 0 ||
        mp_str(s, var, shared, "cache_failover_region", pl->name[0], &region, e) < 0)
        return -1;
    f->cache_region = rg_places_find(pl, region);
    if (f->cache_region < 0)
        return rg_scn_err(s, origin(s, var, shared, "cache_failover_region"),
                          "cache_failover_region", e, "'%s' is not one of [network] regions",
                          region);
    if (mp_dur(s, var, shared, "cache_failover_time", "1s", &f->cache_down, e) < 0 ||
        mp_dist(s, var, shared, "cache_replica_lag", "lognormal(median=100ms, p99=1s)",
                RG_QTY_DURATION, &f->cache_lag, e) < 0 ||
        load_cut(s, var, shared, pl, &f->cut, e) < 0 ||
        mp_dur(s, var, shared, "partition_at", "0s", &at, e) < 0 ||
        mp_dur(s, var, shared, "partition_time", "1s", &len, e) < 0 ||
        mp_real(s, var, shared, "client_crash", "0", 0, 1, &f->client_crash, e) < 0)
        return -1;
    f->cut.from = at;
    f->cut.until = at + len;
    return 0;
}
