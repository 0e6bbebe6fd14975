/*
 * places.c: region table, RTT defaults and latency sampling.
 */
#include "models/mech/places.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* P95 round-trip times between cloud regions, ms (FACTS.md: Azure network
 * latency table, 2026).  Used as defaults for the regions named here. */
static const struct {
    const char *a, *b;
    int ms;
} rtt_defaults[] = {
    {"us-east", "us-east-2", 11},       {"us-east", "us-west", 73},
    {"us-east", "eu-west", 90},         {"us-east", "eu-north", 76},
    {"us-west", "eu-west", 153},        {"us-east", "japan-east", 165},
    {"us-east", "asia-southeast", 229}, {"us-east", "australia-east", 206},
};

static int default_rtt(const char *a, const char *b)
{
    for (size_t i = 0; i < sizeof rtt_defaults / sizeof rtt_defaults[0]; i++)
        if ((strcmp(rtt_defaults[i].a, a) == 0 && strcmp(rtt_defaults[i].b, b) == 0) ||
            (strcmp(rtt_defaults[i].a, b) == 0 && strcmp(rtt_defaults[i].b, a) == 0))
            return rtt_defaults[i].ms;
    return -1;
}

void rg_places_free(rg_places *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->name[i]);
    rg_dist_free(p->client_edge);
    rg_dist_free(p->local);
    rg_dist_free(p->jitter);
    free(p);
}

int rg_places_find(const rg_places *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->name[i], name) == 0)
            return (int)i;
    return -1;
}

static int parse_regions(rg_scn *s, rg_places *p, const char *list, rg_err *e)
{
    const char *q = list;
    while (*q) {
        while (*q == ' ' || *q == ',')
            q++;
        const char *st = q;
        while (*q && *q != ',' && *q != ' ')
            q++;
        if (q == st)
            break;
        if (p->n == RG_MAX_REGIONS)
            return rg_scn_err(s, "network", "regions", e, "at most %d regions", RG_MAX_REGIONS);
        char *name = rg_xasprintf("%.*s", (int)(q - st), st);
        for (char *c = name; *c; c++)
            if (!(isalnum((unsigned char)*c) || *c == '-' || *c == '_')) {
                rg_scn_err(s, "network", "regions", e,
                           "region name '%s' may contain only letters, digits, '-' and '_'", name);
                free(name);
                return -1;
            }
        if (rg_places_find(p, name) >= 0) {
            rg_scn_err(s, "network", "regions", e, "region '%s' listed twice", name);
            free(name);
            return -1;
        }
        p->name[p->n++] = name;
    }
    if (p->n == 0)
        return rg_scn_err(s, "network", "regions", e, "expected a comma-separated list of regions");
    return 0;
}

rg_places *rg_places_load(rg_scn *s, rg_err *e)
{
    rg_places *p = rg_xcalloc(1, sizeof *p);
    const char *list;
    if (rg_scn_str(s, "network", "regions", "us-east", &list, e) < 0 ||
        parse_regions(s, p, list, e) < 0)
        goto fail;
    /* Client to nearest PoP, one way: open in FACTS.md; an assumption of a
     * few ms with a tail, typical of metro last-mile paths. */
    if (rg_scn_dist(s, "network", "client_edge", "lognormal(median=6ms, p99=30ms)", RG_QTY_DURATION,
                    &p->client_edge, e) < 0 ||
        /* Same-colo worker -> object/store: "sub-ms to a few ms" (FACTS.md). */
        rg_scn_dist(s, "network", "local", "lognormal(median=500us, p99=3ms)", RG_QTY_DURATION,
                    &p->local, e) < 0 ||
        rg_scn_dist(s, "network", "jitter", "exp(mean=1ms)", RG_QTY_DURATION, &p->jitter, e) < 0 ||
        rg_scn_real(s, "network", "loss", "0", 0, 1, &p->loss, e) < 0)
        goto fail;
    for (size_t a = 0; a < p->n; a++)
        for (size_t b = a + 1; b < p->n; b++) {
            char *k1 = rg_xasprintf("rtt.%s.%s", p->name[a], p->name[b]);
            char *k2 = rg_xasprintf("rtt.%s.%s", p->name[b], p->name[a]);
            const char *key =
                rg_scn_has(s, "network", k2) && !rg_scn_has(s, "network", k1) ? k2 : k1;
            int d = default_rtt(p->name[a], p->name[b]);
            char def[32];
            snprintf(def, sizeof def, "%dms", d);
            rg_time t;
            int rc = rg_scn_dur(s, "network", key, d >= 0 ? def : NULL, &t, e);
            free(k1);
            free(k2);
            if (rc < 0)
                goto fail;
            p->rtt[a][b] = p->rtt[b][a] = t;
        }
    return p;
fail:
    rg_places_free(p);
    return NULL;
}

rg_time rg_places_client(const rg_places *p, gsl_rng *r)
{
    return rg_dist_sample_time(p->client_edge, r);
}

rg_time rg_places_hop(const rg_places *p, int a, int b, gsl_rng *r)
{
    if (a == b)
        return rg_dist_sample_time(p->local, r);
    return p->rtt[a][b] / 2 + rg_dist_sample_time(p->jitter, r);
}

bool rg_places_lost(const rg_places *p, gsl_rng *r)
{
    return p->loss > 0 && gsl_rng_uniform(r) < p->loss;
}

bool rg_partition_holds(const rg_partition *cut, int x, int y, rg_time now)
{
    return cut != NULL && cut->a >= 0 && now >= cut->from && now < cut->until &&
           ((x == cut->a && y == cut->b) || (x == cut->b && y == cut->a));
}

rg_time rg_places_hop_at(const rg_places *p, const rg_partition *cut, int a, int b, rg_time now,
                         gsl_rng *r)
{
    /* Every network hop of a run comes here: with no cut holding the
     * message (nearly always) it is the draw alone, a tail call. */
    if (!rg_partition_holds(cut, a, b, now))
        return rg_places_hop(p, a, b, r);
    return rg_places_hop(p, a, b, r) + (cut->until - now);
}
