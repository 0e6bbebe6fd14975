/*
 * workload.c: arrival processes and region mix.
 */
#include "models/mech/workload.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/sort.h"

/* Parses "name(key=value)" into its parts; returns 0 on shape match. */
static int split_call(const char *s, char *name, size_t nn, char *key, size_t kn, char *val,
                      size_t vn)
{
    const char *open = strchr(s, '('), *close = strrchr(s, ')');
    const char *eq = open ? strchr(open, '=') : NULL;
    if (!open || !close || !eq || close < eq || close[1] != '\0')
        return -1;
    snprintf(name, nn, "%.*s", (int)(open - s), s);
    snprintf(key, kn, "%.*s", (int)(eq - open - 1), open + 1);
    snprintf(val, vn, "%.*s", (int)(close - eq - 1), eq + 1);
    /* trim */
    for (char *p[] = {name, key, val}, **q = p; q < p + 3; q++) {
        char *x = *q;
        size_t l = strlen(x);
        while (l && x[l - 1] == ' ')
            x[--l] = '\0';
        size_t i = 0;
        while (x[i] == ' ')
            i++;
        memmove(x, x + i, strlen(x + i) + 1);
    }
    return 0;
}

/* The forms in the order of rg_arrkind's table below. */
static const rg_arrival_form forms[] = {
    {"burst", "window", "burst(window=100ms)",
     "every buyer at an independent uniform time in [0, window] (0: all at once)"},
    {"poisson", "rate", "poisson(rate=1000)", "a Poisson process of rate buyers per second"},
    {"ramp", "duration", "ramp(duration=1s)",
     "the rate rising linearly from 0 over duration (a hype build-up)"},
    {"spaced", "interval", "spaced(interval=10ms)", "deterministic: buyer k at k x interval"},
};
static const rg_arrkind form_kind[] = {RG_ARR_BURST, RG_ARR_POISSON, RG_ARR_RAMP, RG_ARR_SPACED};
#define NFORMS (sizeof forms / sizeof forms[0])

const rg_arrival_form *rg_workload_arrivals(size_t *n)
{
    *n = NFORMS;
    return forms;
}

static int parse_arrival(rg_scn *s, const char *text, rg_workload *w, rg_err *e)
{
    char name[32], key[32], val[64];
    const char *ex[NFORMS];
    for (size_t i = 0; i < NFORMS; i++)
        ex[i] = forms[i].example;
    rg_buf expect = {0};
    rg_buf_printf(&expect, "expected ");
    rg_buf_or_list(&expect, ex, NFORMS);
    int rc = 0;
    size_t i = 0;
    if (split_call(text, name, sizeof name, key, sizeof key, val, sizeof val) < 0) {
        rc = rg_scn_err(s, "workload", "arrival", e, "%s, got '%s'", expect.s, text);
        goto out;
    }
    while (i < NFORMS && strcmp(name, forms[i].name) != 0)
        i++;
    rg_err sub;
    rg_err_clear(&sub);
    if (i == NFORMS)
        rc = rg_scn_err(s, "workload", "arrival", e, "%s, got '%s'", expect.s, text);
    else if (strcmp(key, forms[i].param) != 0)
        rc = rg_scn_err(s, "workload", "arrival", e, "%s takes '%s=', got '%s'", forms[i].name,
                        forms[i].param, key);
    else if ((w->arrival = form_kind[i]) == RG_ARR_POISSON) {
        if (rg_qty_parse(val, strlen(val), RG_QTY_NUMBER, &w->rate, &sub) < 0 || !(w->rate > 0))
            rc = rg_scn_err(s, "workload", "arrival", e,
                            "poisson rate must be a number > 0 (buyers per second), got '%s'", val);
    } else if (rg_time_parse(val, false, &w->span, &sub) < 0)
        rc = rg_scn_err(s, "workload", "arrival", e, "%s: %s", forms[i].name, sub.msg);
out:
    rg_buf_free(&expect);
    return rc;
}

static int parse_mix(rg_scn *s, const rg_places *p, const char *text, rg_workload *w, rg_err *e)
{
    memset(w->mix, 0, sizeof w->mix);
    double total = 0;
    bool weighted = false;
    const char *q = text;
    while (*q) {
        while (*q == ' ' || *q == ',')
            q++;
        if (!*q)
            break;
        const char *st = q;
        while (*q && *q != ',' && *q != ':' && *q != ' ')
            q++;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(q - st), st);
        int r = rg_places_find(p, name);
        if (r < 0)
            return rg_scn_err(s, "workload", "regions", e,
                              "region '%s' is not in [network] regions", name);
        double wt = 1;
        while (*q == ' ')
            q++;
        if (*q == ':') {
            weighted = true;
            q++;
            const char *ws = q;
            while (*q && *q != ',')
                q++;
            rg_err sub;
            rg_err_clear(&sub);
            if (rg_qty_parse(ws, (size_t)(q - ws), RG_QTY_NUMBER, &wt, &sub) < 0 || !(wt >= 0))
                return rg_scn_err(s, "workload", "regions", e,
                                  "weight of '%s' must be a number >= 0", name);
        }
        w->mix[r] += wt;
        total += wt;
    }
    if (!(total > 0))
        return rg_scn_err(s, "workload", "regions", e,
                          "expected REGION:WEIGHT, ... with a positive total, got '%s'", text);
    /* Shares must say what they mean: weights given are fractions of the
     * buyers (regions without a weight count 1, so mix none with some). */
    if (weighted && fabs(total - 1) > 1e-9)
        return rg_scn_err(s, "workload", "regions", e,
                          "the weights sum to %.6g, not 1: give each region its share of the "
                          "buyers (us-east:0.7, eu-west:0.3), or no weights for equal shares",
                          total);
    for (size_t i = 0; i < p->n; i++)
        w->mix[i] /= total;
    return 0;
}

int rg_workload_load(rg_scn *s, const rg_places *p, rg_workload *w, rg_err *e)
{
    memset(w, 0, sizeof *w);
    const char *arr, *mix;
    if (rg_scn_int(s, "workload", "buyers", "125", 1, 10000000, &w->buyers, e) < 0 ||
        rg_scn_int(s, "workload", "skus", "1", 1, 100000, &w->skus, e) < 0 ||
        rg_scn_int(s, "workload", "stock", "100", 0, INT64_C(1000000000), &w->stock, e) < 0 ||
        rg_scn_str(s, "workload", "arrival", "burst(window=100ms)", &arr, e) < 0 ||
        parse_arrival(s, arr, w, e) < 0 ||
        rg_scn_str(s, "workload", "regions", p->name[0], &mix, e) < 0 ||
        parse_mix(s, p, mix, w, e) < 0 ||
        rg_scn_dur(s, "workload", "timeout", "10s", &w->timeout, e) < 0 ||
        rg_scn_dur(s, "workload", "horizon", "1h", &w->horizon, e) < 0)
        return -1;
    if (w->timeout <= 0)
        return rg_scn_err(s, "workload", "timeout", e, "must be > 0");
    if (w->horizon <= 0)
        return rg_scn_err(s, "workload", "horizon", e, "must be > 0");
    /* The arrival times must stay far from int64 overflow (scenario.h). */
    if (w->span > RG_SCN_MAX_DURATION || (w->arrival == RG_ARR_SPACED && w->span > 0 &&
                                          w->buyers - 1 > RG_SCN_MAX_DURATION / w->span))
        return rg_scn_err(s, "workload", "arrival", e,
                          "the buyers would arrive over more than 10 years of simulated time");
    return 0;
}

RG_DEFINE_SORT(sort_times, rg_time)

/* Sorts n arrival times by least-significant-digit radix, 11 bits a pass,
 * as many passes as the largest time needs (3 for times below 8.6 s): O(n)
 * where the quicksort was O(n log n) with a cache miss per comparison at
 * 10^6 buyers.  The times alone are sorted, so the result is the
 * quicksort's bit for bit.  Returns false, sorting nothing, if a time is
 * negative. */
static bool radix_times(rg_time *x, size_t n)
{
    enum { BITS = 11, BUCKETS = 1 << BITS };
    rg_time max = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < 0)
            return false;
        if (x[i] > max)
            max = x[i];
    }
    rg_time *tmp = rg_xmalloc(n * sizeof *tmp);
    rg_time *src = x, *dst = tmp;
    size_t *count = rg_xmalloc(BUCKETS * sizeof *count);
    for (unsigned shift = 0; shift < 63 && (max >> shift) > 0; shift += BITS) {
        memset(count, 0, BUCKETS * sizeof *count);
        for (size_t i = 0; i < n; i++)
            count[(uint64_t)src[i] >> shift & (BUCKETS - 1)]++;
        size_t at = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            size_t c = count[b];
            count[b] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++)
            dst[count[(uint64_t)src[i] >> shift & (BUCKETS - 1)]++] = src[i];
        rg_time *t = src;
        src = dst;
        dst = t;
    }
    if (src != x)
        memcpy(x, src, n * sizeof *x);
    free(count);
    free(tmp);
    return true;
}

/* Below this many buyers the quicksort is as fast and allocates nothing. */
#define RADIX_MIN 4096

rg_buyer *rg_workload_buyers(const rg_workload *w, size_t nregions, gsl_rng *r)
{
    size_t n = (size_t)w->buyers;
    rg_buyer *b = rg_xcalloc(n, sizeof *b);
    rg_time *times = rg_xmalloc(n * sizeof *times);
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        switch (w->arrival) {
        case RG_ARR_BURST: times[i] = (rg_time)llround(gsl_rng_uniform(r) * (double)w->span); break;
        case RG_ARR_RAMP:
            /* density 2t/D^2 on [0, D]: inverse CDF D * sqrt(u) */
            times[i] = (rg_time)llround(sqrt(gsl_rng_uniform(r)) * (double)w->span);
            break;
        case RG_ARR_SPACED: times[i] = (rg_time)i * w->span; break;
        case RG_ARR_POISSON:
            /* saturate far beyond any horizon instead of overflowing */
            t += -log1p(-gsl_rng_uniform(r)) / w->rate * 1e9;
            times[i] = t < 1e18 ? (rg_time)llround(t) : (rg_time)1000000000000000000LL;
            break;
        }
    }
    /* Buyers are numbered in time order; regions and SKUs are drawn after
     * sorting, so equal times need no stable sort. */
    if (n > 1 && !(n >= RADIX_MIN && radix_times(times, n)))
        sort_times(times, 0, n);
    for (size_t i = 0; i < n; i++)
        b[i].t = times[i];
    free(times);
    for (size_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r), acc = 0;
        int reg = (int)nregions - 1;
        for (size_t k = 0; k < nregions; k++) {
            acc += w->mix[k];
            if (u < acc) {
                reg = (int)k;
                break;
            }
        }
        /* a region with weight 0 is never picked, even at u ~ 1 */
        while (reg > 0 && w->mix[reg] == 0)
            reg--;
        b[i].region = reg;
        b[i].sku = w->skus > 1 ? (int)gsl_rng_uniform_int(r, (unsigned long)w->skus) : 0;
    }
    return b;
}
