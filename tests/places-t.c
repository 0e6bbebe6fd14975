/*
 * places-t: the network of a drop (places.h) and its buyers (workload.h).
 *
 * places: the region list (order, lookup, the errors of a bad list), the RTT
 * defaults of FACTS.md's Azure P95 table (checked pair by pair against the
 * table, not against places.c), rtt.A.B overrides written in either order, a
 * pair with no default and no key failing with a message that names the key,
 * and the one-way latencies: a cross-region hop is RTT/2 + jitter, so with
 * jitter 0 the us-east -> eu-west hop is exactly 45 ms.
 *
 * workload: burst(window=0) puts every buyer at t = 0; spaced(interval=10ms)
 * puts buyer k at k * 10 ms; burst, ramp and Poisson times have the moments
 * of their distributions (uniform mean W/2; ramp density 2t/D^2, mean 2D/3;
 * exponential gaps of mean 1/rate, sd = mean); the region mix matches its
 * weights; the buyers depend only on (seed, rep); bad arrival and region
 * strings are errors that name the key.  Statistical checks use 5 standard
 * errors of a fixed-seed sample: a wrong mechanism (say, a mean off by 10 %)
 * misses by far more.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine.h"
#include "models/mech/places.h"
#include "tests/tap/basic.h"
#include "models/mech/workload.h"

#define NSE 5.0

/* A scenario from text, or bail: every test string is meant to parse. */
static rg_scn *scn(const char *text)
{
    rg_err e;
    rg_err_clear(&e);
    rg_scn *s = rg_scn_load_string("places-t.ini", text, &e);
    if (s == NULL)
        bail("scenario text does not parse: %s", e.msg);
    return s;
}

/* Loads [network] from text; NULL with *msg set (static buffer) on error. */
static rg_places *places(const char *text, const char **msg)
{
    static rg_err e;
    rg_err_clear(&e);
    rg_scn *s = scn(text);
    rg_places *p = rg_places_load(s, &e);
    rg_scn_free(s);
    if (msg)
        *msg = e.msg;
    return p;
}

/* Loads [network] and [workload]; returns 0 or -1 with *msg set. */
static int workload(const char *text, rg_places **pp, rg_workload *w, const char **msg)
{
    static rg_err e;
    rg_err_clear(&e);
    rg_scn *s = scn(text);
    rg_places *p = rg_places_load(s, &e);
    int rc = p ? rg_workload_load(s, p, w, &e) : -1;
    /* every key of the test text must have been read (typos in a test
     * would otherwise silently test the defaults) */
    if (rc == 0 && rg_scn_finish(s, &e) < 0)
        bail("test scenario has a stray key: %s", e.msg);
    rg_scn_free(s);
    if (msg)
        *msg = e.msg;
    if (rc < 0) {
        rg_places_free(p);
        p = NULL;
    }
    *pp = p;
    return rc;
}

/* Buyers of (seed, rep), drawn from that replication's "arrivals" stream as
 * the drop model draws them. */
static rg_buyer *buyers(const rg_workload *w, const rg_places *p, uint64_t seed, uint64_t rep)
{
    rg_engine *e = rg_engine_new(seed, rep, NULL);
    rg_buyer *b = rg_workload_buyers(w, p->n, rg_engine_stream(e, "arrivals"));
    rg_engine_free(e);
    return b;
}

static bool has(const char *msg, const char *what)
{
    return strstr(msg, what) != NULL;
}

/* ---- regions ------------------------------------------------------------ */

static void test_regions(void)
{
    const char *msg;
    rg_places *p = places("[network]\nregions = us-east, eu-west,us-west\n", &msg);
    if (p == NULL)
        bail("three regions do not load: %s", msg);
    is_int(3, (long long)p->n, "three regions");
    ok(strcmp(p->name[0], "us-east") == 0 && strcmp(p->name[1], "eu-west") == 0 &&
           strcmp(p->name[2], "us-west") == 0,
       "names kept in file order, spaces trimmed");
    ok(rg_places_find(p, "us-west") == 2 && rg_places_find(p, "eu-west") == 1 &&
           rg_places_find(p, "mars") == -1 && rg_places_find(p, "us") == -1,
       "rg_places_find: index of a name, -1 otherwise (no prefix match)");
    ok(p->rtt[0][1] == 90 * RG_MS && p->rtt[0][2] == 73 * RG_MS && p->rtt[1][2] == 153 * RG_MS &&
           p->rtt[2][1] == 153 * RG_MS,
       "three regions: every pair gets its table RTT (90, 73, 153 ms)");
    rg_places_free(p);

    p = places("[network]\nregions = somewhere\n", &msg);
    ok(p != NULL && p->n == 1 && p->rtt[0][0] == 0,
       "a single region needs no RTT (name outside the FACTS table is fine)");
    rg_places_free(p);

    p = places("[network]\n", &msg);
    ok(p != NULL && p->n == 1 && strcmp(p->name[0], "us-east") == 0,
       "default region list is us-east");
    rg_places_free(p);

    static const struct {
        const char *list, *want;
    } bad[] = {
        {"us-east, us-east", "listed twice"},
        {"us.east", "may contain only"},
        {" , ,", "comma-separated"},
        {"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "at most 16"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[network]\nregions = %s\n", bad[i].list);
        p = places(text, &msg);
        ok(p == NULL && has(msg, bad[i].want) && has(msg, "regions"),
           "regions = '%s' is an error naming the key: %s", bad[i].list, msg);
        rg_places_free(p);
    }
}

/* ---- RTTs and hops -------------------------------------------------------- */

static void test_rtt_defaults(void)
{
    /* FACTS.md, "Network latency": Azure P95 RTTs (ms); where the table
     * gives a range (US East <-> US West 72-74, US East <-> West Europe
     * 89-91) the default is its middle. */
    static const struct {
        const char *a, *b;
        int ms;
    } table[] = {
        {"us-east", "us-east-2", 11},       {"us-east", "us-west", 73},
        {"us-east", "eu-west", 90},         {"us-east", "eu-north", 76},
        {"us-west", "eu-west", 153},        {"us-east", "japan-east", 165},
        {"us-east", "asia-southeast", 229}, {"us-east", "australia-east", 206},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char text[256];
        /* listed both ways round: the default must not depend on order */
        for (int rev = 0; rev < 2; rev++) {
            snprintf(text, sizeof text, "[network]\nregions = %s, %s\n",
                     rev ? table[i].b : table[i].a, rev ? table[i].a : table[i].b);
            const char *msg;
            rg_places *p = places(text, &msg);
            ok(p != NULL && p->rtt[0][1] == table[i].ms * RG_MS &&
                   p->rtt[1][0] == table[i].ms * RG_MS && p->rtt[0][0] == 0 && p->rtt[1][1] == 0,
               "RTT %s <-> %s defaults to %d ms (listed %s)", table[i].a, table[i].b, table[i].ms,
               rev ? "reversed" : "in table order");
            rg_places_free(p);
        }
    }
}

static void test_hops(void)
{
    const char *msg;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);

    /* jitter written as a bare 0 and as const(0): the hop is RTT/2 exactly */
    const char *zero[] = {"0", "const(0)", "0ms"};
    for (size_t i = 0; i < 3; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "[network]\nregions = us-east, eu-west\njitter = %s\nlocal = const(1ms)\n"
                 "client_edge = const(5ms)\n",
                 zero[i]);
        rg_places *p = places(text, &msg);
        if (p == NULL) {
            ok(false, "jitter = %s loads: %s", zero[i], msg);
            continue;
        }
        bool exact = true;
        for (int k = 0; k < 100; k++)
            exact = exact && rg_places_hop(p, 0, 1, r) == 45 * RG_MS &&
                    rg_places_hop(p, 1, 0, r) == 45 * RG_MS;
        ok(exact, "jitter = %s: us-east <-> eu-west hop is exactly 45 ms both ways", zero[i]);
        rg_places_free(p);
    }

    /* hop = RTT/2 + jitter; same region = local; client = client_edge */
    rg_places *p = places("[network]\nregions = us-east, eu-west\njitter = const(2500us)\n"
                          "local = const(700us)\nclient_edge = const(5ms)\n",
                          &msg);
    if (p == NULL)
        bail("constant network does not load: %s", msg);
    is_int(45 * RG_MS + 2500 * RG_US, rg_places_hop(p, 0, 1, r), "hop = 45 ms + jitter 2.5 ms");
    is_int(700 * RG_US, rg_places_hop(p, 1, 1, r), "same-region hop is [network] local");
    is_int(5 * RG_MS, rg_places_client(p, r), "client <-> PoP is [network] client_edge");
    rg_places_free(p);

    /* random jitter: hop - 45 ms is the jitter sample, mean 1 ms, never < 0 */
    p = places("[network]\nregions = us-east, eu-west\njitter = exp(mean=1ms)\n", &msg);
    if (p == NULL)
        bail("exp jitter does not load: %s", msg);
    double sum = 0;
    bool above = true;
    const int n = 100000;
    for (int k = 0; k < n; k++) {
        rg_time h = rg_places_hop(p, 0, 1, r);
        above = above && h >= 45 * RG_MS;
        sum += (double)(h - 45 * RG_MS);
    }
    ok(above, "exp jitter: no hop below RTT/2");
    /* exponential: sd = mean = 1 ms */
    is_double(1e6, sum / n, NSE * 1e6 / sqrt(n), "exp jitter: mean of hop - RTT/2 is 1 ms");
    rg_places_free(p);

    /* loss: 0 never (and draws nothing), 1 always */
    p = places("[network]\nregions = us-east\nloss = 0\n", &msg);
    gsl_rng *r2 = gsl_rng_clone(r);
    bool never = true;
    for (int k = 0; k < 1000; k++)
        never = never && !rg_places_lost(p, r);
    ok(never && gsl_rng_get(r) == gsl_rng_get(r2), "loss = 0: never lost, no draw consumed");
    rg_places_free(p);
    p = places("[network]\nregions = us-east\nloss = 1\n", &msg);
    bool always = true;
    for (int k = 0; k < 1000; k++)
        always = always && rg_places_lost(p, r);
    ok(always, "loss = 1: always lost");
    rg_places_free(p);
    p = places("[network]\nregions = us-east\nloss = 1.5\n", &msg);
    ok(p == NULL && has(msg, "loss"), "loss = 1.5 is an error naming the key: %s", msg);
    rg_places_free(p);
    gsl_rng_free(r2);
    gsl_rng_free(r);
}

static void test_rtt_override(void)
{
    const char *msg;
    rg_places *p =
        places("[network]\nregions = us-east, eu-west\nrtt.us-east.eu-west = 100ms\n", &msg);
    ok(p && p->rtt[0][1] == 100 * RG_MS && p->rtt[1][0] == 100 * RG_MS,
       "rtt.us-east.eu-west = 100ms overrides the 90 ms default");
    rg_places_free(p);
    p = places("[network]\nregions = us-east, eu-west\nrtt.eu-west.us-east = 100ms\n", &msg);
    ok(p && p->rtt[0][1] == 100 * RG_MS && p->rtt[1][0] == 100 * RG_MS,
       "rtt.eu-west.us-east = 100ms (reverse order) overrides it too");
    rg_places_free(p);
    p = places("[network]\nregions = us-east, eu-west\njitter = 0\nrtt.eu-west.us-east = 30ms\n",
               &msg);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    ok(p && rg_places_hop(p, 0, 1, r) == 15 * RG_MS, "the hop follows the override (15 ms)");
    rg_places_free(p);

    /* a pair with no published default: its key is required */
    p = places("[network]\nregions = paris, tokyo\n", &msg);
    ok(p == NULL && has(msg, "rtt.paris.tokyo"),
       "paris <-> tokyo without a key is an error naming rtt.paris.tokyo: %s", msg);
    rg_places_free(p);
    p = places("[network]\nregions = us-east, paris\n", &msg);
    ok(p == NULL && has(msg, "rtt.us-east.paris"),
       "us-east <-> paris (one side in the table) needs its key too: %s", msg);
    rg_places_free(p);
    p = places("[network]\nregions = us-west, japan-east\n", &msg);
    ok(p == NULL && has(msg, "rtt.us-west.japan-east"),
       "two table regions whose pair is not in the table need the key: %s", msg);
    rg_places_free(p);
    p = places("[network]\nregions = us-east, eu-west, japan-east\n", &msg);
    ok(p == NULL && has(msg, "rtt.eu-west.japan-east"),
       "among three regions, the one pair without a default needs its key: %s", msg);
    rg_places_free(p);
    p = places("[network]\nregions = paris, tokyo\nrtt.tokyo.paris = 220ms\njitter = 0\n", &msg);
    ok(p && p->rtt[0][1] == 220 * RG_MS && rg_places_hop(p, 1, 0, r) == 110 * RG_MS,
       "the reverse-order key satisfies the required pair");
    rg_places_free(p);
    p = places("[network]\nregions = paris, tokyo\nrtt.paris.tokyo = 220\n", &msg);
    ok(p == NULL && has(msg, "rtt.paris.tokyo"), "an RTT without a unit is an error: %s", msg);
    rg_places_free(p);
    gsl_rng_free(r);
}

/* ---- workload ------------------------------------------------------------- */

static void test_arrivals(void)
{
    const char *msg;
    rg_places *p;
    rg_workload w;

    if (workload("[network]\nregions = us-east\n[workload]\nbuyers = 125\n"
                 "arrival = burst(window=0)\n",
                 &p, &w, &msg) < 0)
        bail("burst(window=0): %s", msg);
    rg_buyer *b = buyers(&w, p, 1, 0);
    bool zero = true;
    for (size_t i = 0; i < 125; i++)
        zero = zero && b[i].t == 0 && b[i].region == 0 && b[i].sku == 0;
    ok(zero, "burst(window=0): all 125 buyers at t = 0, region 0, sku 0");
    free(b);
    rg_places_free(p);

    if (workload("[network]\nregions = us-east\n[workload]\nbuyers = 50\n"
                 "arrival = spaced(interval=10ms)\n",
                 &p, &w, &msg) < 0)
        bail("spaced: %s", msg);
    b = buyers(&w, p, 1, 0);
    bool spaced = true;
    for (size_t k = 0; k < 50; k++)
        spaced = spaced && b[k].t == (rg_time)k * 10 * RG_MS;
    ok(spaced, "spaced(interval=10ms): buyer k at k * 10 ms (0, 10, ..., 490 ms)");
    free(b);
    rg_places_free(p);

    /* burst(window=100ms): uniform on [0, 100 ms], mean 50 ms, sd 100/sqrt(12) */
    const size_t n = 100000;
    if (workload("[network]\nregions = us-east\n[workload]\nbuyers = 100000\n"
                 "arrival = burst(window=100ms)\n",
                 &p, &w, &msg) < 0)
        bail("burst: %s", msg);
    b = buyers(&w, p, 3, 0);
    double sum = 0;
    bool inside = true, sorted = true;
    for (size_t i = 0; i < n; i++) {
        sum += (double)b[i].t;
        inside = inside && b[i].t >= 0 && b[i].t <= 100 * RG_MS;
        sorted = sorted && (i == 0 || b[i].t >= b[i - 1].t);
    }
    ok(inside && sorted, "burst(window=100ms): times in [0, 100 ms], sorted");
    is_double(50e6, sum / (double)n, NSE * 100e6 / sqrt(12.0 * (double)n),
              "burst(window=100ms): mean time 50 ms");
    free(b);
    rg_places_free(p);

    /* ramp(duration=1s): density 2t/D^2, mean 2D/3, var D^2/18 */
    if (workload("[network]\nregions = us-east\n[workload]\nbuyers = 100000\n"
                 "arrival = ramp(duration=1s)\n",
                 &p, &w, &msg) < 0)
        bail("ramp: %s", msg);
    b = buyers(&w, p, 3, 0);
    sum = 0;
    size_t first_half = 0;
    inside = true;
    for (size_t i = 0; i < n; i++) {
        sum += (double)b[i].t;
        first_half += b[i].t < RG_S / 2;
        inside = inside && b[i].t >= 0 && b[i].t <= RG_S;
    }
    ok(inside, "ramp(duration=1s): times in [0, 1 s]");
    is_double(2e9 / 3, sum / (double)n, NSE * 1e9 / sqrt(18.0 * (double)n),
              "ramp(duration=1s): mean time 2/3 s");
    /* P(t < D/2) = 1/4 */
    is_double(0.25, (double)first_half / (double)n, NSE * sqrt(0.25 * 0.75 / (double)n),
              "ramp: a quarter of the buyers in the first half");
    free(b);
    rg_places_free(p);

    /* poisson(rate=1000): exponential gaps, mean 1 ms, sd 1 ms */
    if (workload("[network]\nregions = us-east\n[workload]\nbuyers = 100000\n"
                 "arrival = poisson(rate=1000)\n",
                 &p, &w, &msg) < 0)
        bail("poisson: %s", msg);
    b = buyers(&w, p, 3, 0);
    double gsum = 0, gsq = 0;
    rg_time prev = 0;
    for (size_t i = 0; i < n; i++) {
        double g = (double)(b[i].t - prev);
        gsum += g;
        gsq += g * g;
        prev = b[i].t;
    }
    double mean = gsum / (double)n, sd = sqrt(gsq / (double)n - mean * mean);
    is_double(1e6, mean, NSE * 1e6 / sqrt((double)n), "poisson(rate=1000): mean gap 1 ms");
    /* the sd of the sample sd of an exponential is about mean * sqrt(2/n)... a
     * loose 5 % band tells exponential gaps (sd = mean) from spaced (sd 0) */
    is_double(1e6, sd, 0.05e6, "poisson: sd of gaps = mean (exponential)");
    free(b);
    rg_places_free(p);
}

static void test_mix(void)
{
    const char *msg;
    rg_places *p;
    rg_workload w;
    const size_t n = 100000;
    if (workload("[network]\nregions = us-east, us-west, eu-west\n[workload]\nbuyers = 100000\n"
                 "regions = us-east:0.7, us-west:0.2, eu-west:0.1\nskus = 4\n",
                 &p, &w, &msg) < 0)
        bail("mix: %s", msg);
    rg_buyer *b = buyers(&w, p, 11, 0);
    size_t cnt[3] = {0}, sku[4] = {0};
    bool range = true;
    for (size_t i = 0; i < n; i++) {
        range = range && b[i].region >= 0 && b[i].region < 3 && b[i].sku >= 0 && b[i].sku < 4;
        if (range) {
            cnt[b[i].region]++;
            sku[b[i].sku]++;
        }
    }
    ok(range, "regions in [0, 3), skus in [0, 4)");
    const double want[3] = {0.7, 0.2, 0.1};
    for (int k = 0; k < 3; k++)
        is_double(want[k], (double)cnt[k] / (double)n,
                  NSE * sqrt(want[k] * (1 - want[k]) / (double)n), "region %s frequency %.1f",
                  p->name[k], want[k]);
    for (int k = 0; k < 4; k++)
        is_double(0.25, (double)sku[k] / (double)n, NSE * sqrt(0.25 * 0.75 / (double)n),
                  "sku %d frequency 1/4", k);
    free(b);
    rg_places_free(p);

    /* weights that do not sum to 1 are an error, not a silent rescale */
    ok(workload("[network]\nregions = us-east, us-west, eu-west\n[workload]\n"
                "regions = eu-west:3, us-east:1\n",
                &p, &w, &msg) < 0 &&
           strstr(msg, "sum to 4, not 1"),
       "weights 3 and 1 are refused: %s", msg);
    /* weights in another order, with a zero */
    if (workload("[network]\nregions = us-east, us-west, eu-west\n[workload]\nbuyers = 100000\n"
                 "regions = eu-west:0.75, us-east:0.25, us-west:0\n",
                 &p, &w, &msg) < 0)
        bail("mix2: %s", msg);
    b = buyers(&w, p, 12, 0);
    memset(cnt, 0, sizeof cnt);
    for (size_t i = 0; i < n; i++)
        cnt[b[i].region]++;
    is_int(0, (long long)cnt[1], "weight 0: us-west never picked");
    is_double(0.75, (double)cnt[2] / (double)n, NSE * sqrt(0.75 * 0.25 / (double)n),
              "eu-west:0.75 against us-east:0.25 is 3/4");
    free(b);
    rg_places_free(p);

    /* default: every buyer in the first region */
    if (workload("[network]\nregions = eu-west, us-east\n[workload]\nbuyers = 1000\n", &p, &w,
                 &msg) < 0)
        bail("mix3: %s", msg);
    b = buyers(&w, p, 12, 0);
    bool first = true;
    for (size_t i = 0; i < 1000; i++)
        first = first && b[i].region == 0;
    ok(first, "no [workload] regions: every buyer in the first listed region");
    free(b);
    rg_places_free(p);

    static const struct {
        const char *mix, *want;
    } bad[] = {
        {"mars:1", "not in [network] regions"},
        {"us-east:-1", "must be a number >= 0"},
        {"us-east:abc", "must be a number >= 0"},
        {"us-east:0, us-west:0", "positive total"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "[network]\nregions = us-east, us-west\n[workload]\nregions = %s\n", bad[i].mix);
        int rc = workload(text, &p, &w, &msg);
        ok(rc < 0 && has(msg, bad[i].want) && has(msg, "[workload] regions"),
           "regions = '%s' is an error naming the key: %s", bad[i].mix, msg);
        rg_places_free(p);
    }
}

static void test_crn(void)
{
    const char *msg;
    rg_places *p;
    rg_workload w;
    if (workload("[network]\nregions = us-east, us-west, eu-west\n[workload]\nbuyers = 125\n"
                 "regions = us-east:0.7, us-west:0.2, eu-west:0.1\nskus = 3\n"
                 "arrival = burst(window=100ms)\n",
                 &p, &w, &msg) < 0)
        bail("crn: %s", msg);
    rg_buyer *a = buyers(&w, p, 125100, 4);
    rg_buyer *b = buyers(&w, p, 125100, 4);
    rg_buyer *c = buyers(&w, p, 125100, 5);
    rg_buyer *d = buyers(&w, p, 125101, 4);
    bool same = true;
    size_t tdiff_c = 0, tdiff_d = 0, rdiff_c = 0;
    for (size_t i = 0; i < 125; i++) {
        same = same && a[i].t == b[i].t && a[i].region == b[i].region && a[i].sku == b[i].sku;
        tdiff_c += a[i].t != c[i].t;
        tdiff_d += a[i].t != d[i].t;
        rdiff_c += a[i].region != c[i].region;
    }
    ok(same, "same (seed, rep): identical buyers (times, regions, skus)");
    /* 125 continuous uniform times: another stream matches none of them;
     * regions agree by chance about 54 % of the time (0.7^2+0.2^2+0.1^2) */
    is_int(125, (long long)tdiff_c, "another rep: every arrival time differs");
    is_int(125, (long long)tdiff_d, "another seed: every arrival time differs");
    ok(rdiff_c > 20, "another rep: regions differ too (%zu of 125)", rdiff_c);
    free(a);
    free(b);
    free(c);
    free(d);
    rg_places_free(p);
}

static void test_bad_workload(void)
{
    static const struct {
        const char *arr, *want;
    } bad[] = {
        {"burst", "expected burst(window=100ms)"},
        {"burst(100ms)", "expected burst(window=100ms)"},
        {"burst(width=100ms)", "takes 'window='"},
        {"poisson(rate=0)", "rate must be a number > 0"},
        {"poisson(rate=-5)", "rate must be a number > 0"},
        {"poisson(rate=fast)", "rate must be a number > 0"},
        {"spaced(interval=10)", "spaced"},
        {"spaced(interval=-1ms)", "spaced"},
        {"ramp(duration=soon)", "ramp"},
        {"storm(window=1s)", "expected burst(window=100ms)"},
        {"burst(window=1ms) now", "expected burst(window=100ms)"},
        {"", "expected burst(window=100ms)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[network]\nregions = us-east\n[workload]\narrival = %s\n",
                 bad[i].arr);
        const char *msg;
        rg_places *p;
        rg_workload w;
        int rc = workload(text, &p, &w, &msg);
        ok(rc < 0 && has(msg, "[workload] arrival") && has(msg, bad[i].want),
           "arrival = '%s' is an error: %s", bad[i].arr, msg);
        rg_places_free(p);
    }
    static const struct {
        const char *kv, *key;
    } badk[] = {
        {"buyers = 0", "buyers"},
        {"stock = -1", "stock"},
        {"timeout = 0", "timeout"},
        {"skus = 0", "skus"},
    };
    for (size_t i = 0; i < sizeof badk / sizeof badk[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "[network]\nregions = us-east\n[workload]\n%s\n", badk[i].kv);
        const char *msg;
        rg_places *p;
        rg_workload w;
        int rc = workload(text, &p, &w, &msg);
        ok(rc < 0 && has(msg, badk[i].key), "%s is an error naming the key: %s", badk[i].kv, msg);
        rg_places_free(p);
    }
}

int main(void)
{
    plan(91);
    test_regions();
    test_rtt_defaults();
    test_hops();
    test_rtt_override();
    test_arrivals();
    test_mix();
    test_crn();
    test_bad_workload();
    return 0;
}
