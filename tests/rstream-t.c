/*
 * rstream-t: deterministic random streams (rstream.h).  SplitMix64 and
 * FNV-1a 64 against their published test vectors; rg_stream_seed against
 * the derivation documented in rstream.h, computed here independently; the
 * same (seed, rep, name) gives the same outputs, a different seed, rep or
 * name gives a different stream; the engine's named streams are these
 * streams; seeds of neighbouring replications look unrelated; rg_gaussian
 * gives GSL's ziggurat samples bit for bit.  No stream seed is hard-coded
 * from the program's output.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_version.h>

#include "sim/engine/engine.h"
#include "sim/engine/rstream.h"
#include "tests/tap/basic.h"

#define NOUT 1000

/* Reference implementations, written from the published algorithms. */
static uint64_t ref_splitmix64(uint64_t state)
{
    /* Steele, Lea & Flood (2014); the generator's first output from state. */
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t ref_fnv1a64(const char *s)
{
    uint64_t h = 14695981039346656037ULL; /* offset basis */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL; /* FNV prime */
    return h;
}

/* The first NOUT outputs of a stream. */
static void outputs(const gsl_rng_type *t, uint64_t seed, uint64_t rep, const char *name,
                    unsigned long *out)
{
    gsl_rng *r = rg_stream_new(t, seed, rep, name);
    for (size_t i = 0; i < NOUT; i++)
        out[i] = gsl_rng_get(r);
    gsl_rng_free(r);
}

static size_t same_positions(const unsigned long *a, const unsigned long *b)
{
    size_t n = 0;
    for (size_t i = 0; i < NOUT; i++)
        n += a[i] == b[i];
    return n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_vectors(void)
{
    /* Published: SplitMix64 seeded with 0 first returns 0xe220a8397b1dcdaf. */
    ok(rg_splitmix64(0) == 0xe220a8397b1dcdafULL, "splitmix64(0) = 0xe220a8397b1dcdaf");
    ok(rg_splitmix64(12345) == ref_splitmix64(12345) &&
           rg_splitmix64(UINT64_MAX) == ref_splitmix64(UINT64_MAX),
       "splitmix64 agrees with the reference on other inputs");
    /* Published FNV-1a 64 vectors (Fowler/Noll/Vo test suite). */
    ok(rg_fnv1a64("") == 0xcbf29ce484222325ULL, "fnv1a64(\"\") is the offset basis");
    ok(rg_fnv1a64("a") == 0xaf63dc4c8601ec8cULL, "fnv1a64(\"a\") = 0xaf63dc4c8601ec8c");
    ok(rg_fnv1a64("foobar") == 0x85944171f73967e8ULL, "fnv1a64(\"foobar\") = 0x85944171f73967e8");
    ok(rg_fnv1a64("arrivals") == ref_fnv1a64("arrivals"), "fnv1a64 agrees with the reference");
}

static void test_derivation(void)
{
    static const struct {
        uint64_t seed, rep;
        const char *name;
    } c[] = {
        {0, 0, ""},
        {1, 0, "arrivals"},
        {20261123, 7, "service"},
        {UINT64_MAX, 99999, "faults"},
    };
    bool all = true;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint64_t want = ref_splitmix64(
            c[i].seed ^ ref_splitmix64(c[i].rep ^ ref_splitmix64(ref_fnv1a64(c[i].name))));
        if (rg_stream_seed(c[i].seed, c[i].rep, c[i].name) != want) {
            diag("seed %llu rep %llu name '%s': %016llx, documented derivation gives %016llx",
                 (unsigned long long)c[i].seed, (unsigned long long)c[i].rep, c[i].name,
                 (unsigned long long)rg_stream_seed(c[i].seed, c[i].rep, c[i].name),
                 (unsigned long long)want);
            all = false;
        }
    }
    ok(all, "rg_stream_seed follows the derivation documented in rstream.h");

    /* rg_stream_new is gsl_rng_set with that seed. */
    gsl_rng *a = rg_stream_new(gsl_rng_mt19937, 42, 3, "network");
    gsl_rng *b = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(b, (unsigned long)rg_stream_seed(42, 3, "network"));
    bool same = true;
    for (size_t i = 0; i < NOUT; i++)
        same = same && gsl_rng_get(a) == gsl_rng_get(b);
    ok(same, "rg_stream_new(type, seed, rep, name) = gsl_rng_set(rg_stream_seed(...))");
    ok(a->type == gsl_rng_mt19937, "the requested generator type is used");
    gsl_rng_free(a);
    gsl_rng_free(b);
}

static void test_streams(void)
{
    static unsigned long base[NOUT], again[NOUT], other[NOUT];
    outputs(gsl_rng_mt19937, 20261123, 5, "arrivals", base);
    outputs(gsl_rng_mt19937, 20261123, 5, "arrivals", again);
    is_int(NOUT, (long long)same_positions(base, again),
           "same (seed, rep, name): identical first 1000 outputs");

    /* For two independent 32-bit streams, equal outputs at the same position
     * happen about 1000 / 2^32 times: any is suspicious. */
    outputs(gsl_rng_mt19937, 20261123, 6, "arrivals", other);
    ok(same_positions(base, other) <= 1, "different rep: a different stream");
    outputs(gsl_rng_mt19937, 20261123, 5, "service", other);
    ok(same_positions(base, other) <= 1, "different name: a different stream");
    outputs(gsl_rng_mt19937, 20261124, 5, "arrivals", other);
    ok(same_positions(base, other) <= 1, "different seed: a different stream");
    outputs(gsl_rng_mt19937, 20261123, 5, "arrival", other);
    ok(same_positions(base, other) <= 1, "a one-letter change of name: a different stream");
    /* Names are compared byte for byte. */
    outputs(gsl_rng_mt19937, 20261123, 5, "Arrivals", other);
    ok(same_positions(base, other) <= 1, "names are case-sensitive");

    /* Another generator type is deterministic too. */
    static unsigned long t1[NOUT], t2[NOUT];
    outputs(gsl_rng_taus2, 1, 2, "x", t1);
    outputs(gsl_rng_taus2, 1, 2, "x", t2);
    is_int(NOUT, (long long)same_positions(t1, t2), "taus2 streams are deterministic as well");

    /* Seeds of (rep, name) pairs are all distinct: 3 names x 10000 reps. */
    static const char *const names[] = {"arrivals", "service", "network"};
    size_t n = 3 * 10000;
    uint64_t *s = rg_xmalloc(n * sizeof *s);
    for (size_t k = 0; k < 3; k++)
        for (uint64_t r = 0; r < 10000; r++)
            s[k * 10000 + r] = rg_stream_seed(1, r, names[k]);
    qsort(s, n, sizeof *s, cmp_u64);
    size_t dups = 0;
    for (size_t i = 1; i < n; i++)
        dups += s[i] == s[i - 1];
    is_int(0, (long long)dups, "30000 stream seeds, no two equal");
    free(s);

    /* Neighbouring reps' seeds differ in about half their 64 bits: the mean
     * Hamming distance over 1000 pairs is 32 with a standard error of
     * sqrt(16 / 1000) = 0.13, so [31, 33] is over 7 standard errors wide. */
    double sum = 0;
    for (uint64_t r = 0; r < 1000; r++)
        sum += __builtin_popcountll(rg_stream_seed(7, r, "arrivals") ^
                                    rg_stream_seed(7, r + 1, "arrivals"));
    double mean = sum / 1000;
    ok(mean > 31 && mean < 33, "seeds of rep r and r+1 differ in %.2f bits on average", mean);
    sum = 0;
    for (uint64_t sd = 0; sd < 1000; sd++)
        sum += __builtin_popcountll(rg_stream_seed(sd, 0, "arrivals") ^
                                    rg_stream_seed(sd + 1, 0, "arrivals"));
    mean = sum / 1000;
    ok(mean > 31 && mean < 33, "seeds of seed s and s+1 differ in %.2f bits on average", mean);
}

static void test_engine_streams(void)
{
    static unsigned long want[NOUT];
    outputs(gsl_rng_mt19937, 99, 4, "arrivals", want);
    rg_engine *e = rg_engine_new(99, 4, NULL);
    /* Creating another stream first must not change "arrivals". */
    gsl_rng *svc = rg_engine_stream(e, "service");
    gsl_rng *arr = rg_engine_stream(e, "arrivals");
    (void)gsl_rng_get(svc);
    size_t same = 0;
    for (size_t i = 0; i < NOUT; i++)
        same += gsl_rng_get(arr) == want[i];
    is_int(NOUT, (long long)same,
           "engine stream \"arrivals\" = rg_stream_new(mt19937, seed, rep, \"arrivals\")");
    rg_engine_free(e);

    e = rg_engine_new(99, 4, gsl_rng_taus2);
    arr = rg_engine_stream(e, "arrivals");
    ok(arr->type == gsl_rng_taus2, "the engine uses the generator type it was given");
    rg_engine_free(e);
}

/* How many of n streams ("arrivals" of replications 0..n-1) start with the
 * same first two draws as another stream, for generator type t. */
static size_t colliding_streams(const gsl_rng_type *t, size_t n)
{
    uint64_t *sig = malloc(n * sizeof *sig);
    for (size_t i = 0; i < n; i++) {
        gsl_rng *r = rg_stream_new(t, 125100, i, "arrivals");
        uint64_t a = gsl_rng_get(r), b = gsl_rng_get(r);
        sig[i] = a << 32 | b;
        gsl_rng_free(r);
    }
    qsort(sig, n, sizeof *sig, cmp_u64);
    size_t same = 0;
    for (size_t i = 1; i < n; i++)
        same += sig[i] == sig[i - 1];
    free(sig);
    return same;
}

/* The default generator takes 64-bit seeds: streams of a large run do not
 * collide the way 32-bit-seeded GSL generators do. */
static void test_xoshiro(void)
{
    ok(rg_rng_type_find("xoshiro256") == rg_rng_xoshiro256, "xoshiro256 is found by name");
    ok(rg_rng_type_find("mt19937") == gsl_rng_mt19937 && rg_rng_type_find("nope") == NULL,
       "GSL names are found too, unknown names are not");
    size_t n = 300000;
    size_t xo = colliding_streams(rg_rng_xoshiro256, n);
    size_t mt = colliding_streams(gsl_rng_mt19937, n);
    /* 32-bit seeds: about n^2 / 2^33 = 10 expected collisions for MT. */
    diag("streams sharing their first draws among %zu: xoshiro256 %zu, mt19937 %zu", n, xo, mt);
    is_int(0, (long long)xo, "xoshiro256: no two of 300,000 streams start alike");
    ok(mt > 0, "mt19937 (32-bit seeds) does show collisions: the reason for the default");
    /* The GSL samplers run on it: uniform mean and an exponential mean. */
    gsl_rng *r = rg_stream_new(rg_rng_xoshiro256, 1, 0, "service");
    double su = 0, se = 0;
    for (int i = 0; i < 1000000; i++) {
        su += gsl_rng_uniform(r);
        se += gsl_ran_exponential(r, 2.0);
    }
    ok(fabs(su / 1e6 - 0.5) < 5 * sqrt(1.0 / 12 / 1e6), "xoshiro256: uniform mean 0.5 (%g)",
       su / 1e6);
    ok(fabs(se / 1e6 - 2.0) < 5 * 2.0 / 1e3, "xoshiro256: gsl_ran_exponential mean 2 (%g)",
       se / 1e6);
    gsl_rng_free(r);
}

static const double gsigmas[] = {1.0, 0.5, 3e-4, 12.0, 0.0, -0.0, NAN};
#define NGSIGMAS (sizeof gsigmas / sizeof gsigmas[0])

/* One sample of rg_gaussian_with(z) and one of gsl_ran_gaussian_ziggurat
 * from the same state of r (c: scratch): true if the samples' bits and the
 * states after them agree; r is left as GSL leaves it.  The first
 * disagreement of a series (*bad 0) is shown. */
static bool gauss_same(const rg_zig_layers *z, gsl_rng *r, gsl_rng *c, double sigma, size_t *bad)
{
    gsl_rng_memcpy(c, r);
    double x = rg_gaussian_with(z, r, sigma), y = gsl_ran_gaussian_ziggurat(c, sigma);
    bool same = memcmp(&x, &y, sizeof x) == 0 &&
                memcmp(gsl_rng_state(r), gsl_rng_state(c), gsl_rng_size(r)) == 0;
    if (!same) {
        if ((*bad)++ == 0)
            diag("first disagreement (sigma %g): %a against GSL's %a", sigma, x, y);
        gsl_rng_memcpy(r, c);
    }
    return same;
}

/* Samples of rg_gaussian_with(z) and of GSL from the same states of r, n
 * of them, sigma changing each time: the ones that differ; *slow gets
 * those whose first word z leaves to GSL. */
static size_t gauss_mismatches(const rg_zig_layers *z, gsl_rng *r, size_t n, size_t *slow)
{
    gsl_rng *c = gsl_rng_clone(r);
    size_t bad = 0;
    *slow = 0;
    for (size_t k = 0; k < n; k++) {
        if (r->type == rg_rng_xoshiro256) {
            uint64_t w = rg_xo_peek(r->state) >> 32;
            if (((w >> 8) & 0xffffff) >= z->k[w & 0x7f])
                (*slow)++;
        }
        gauss_same(z, r, c, gsigmas[k % NGSIGMAS], &bad);
    }
    gsl_rng_free(c);
    return bad;
}

/* xoshiro256**'s output is rotl(s1 * 5, 7) * 9, so a chosen output comes
 * from s1 = rotr(out * 9^-1, 7) * 5^-1 (inverses modulo 2^64, worked out
 * here by Newton's iteration, apart from rstream.c's). */
static uint64_t inv64(uint64_t a)
{
    uint64_t x = 1;
    for (int i = 0; i < 64; i++)
        x *= 2 - a * x;
    return x;
}

static void aim(gsl_rng *r, uint32_t word)
{
    uint64_t out = (uint64_t)word << 32 | 0x5a5a5a5au, t = out * inv64(9);
    rg_xo_state *st = gsl_rng_state(r);
    st->s[1] = ((t >> 7) | (t << 57)) * inv64(5);
}

/* Samples of the fast path on z from words at the edges of every layer's
 * bound in `at` (j = 0, 1, k - 1, k, k + 1, 2^24 - 1), both signs, every
 * sigma: the ones that differ from GSL's.  A bound off by one shows only
 * there (a random word hits it once in 2^24). */
static size_t gauss_edges(const rg_zig_layers *z, const rg_zig_layers *at)
{
    gsl_rng *r = rg_stream_new(rg_rng_xoshiro256, 5, 5, "edges"), *c = gsl_rng_clone(r);
    size_t bad = 0, n = 0;
    for (uint32_t i = 0; i < 128; i++)
        for (uint32_t sign = 0; sign <= 0x80; sign += 0x80) {
            uint64_t k = at->k[i];
            const uint64_t js[] = {0, 1, k - 1, k, k + 1, 0xffffff};
            for (size_t t = 0; t < 6; t++) {
                if (js[t] > 0xffffff)
                    continue;
                aim(r, (uint32_t)js[t] << 8 | sign | i);
                if (rg_xo_peek(gsl_rng_state(r)) >> 32 != ((uint32_t)js[t] << 8 | sign | i))
                    bail("aim: the next word is not the one chosen");
                gauss_same(z, r, c, gsigmas[n++ % NGSIGMAS], &bad);
            }
        }
    gsl_rng_free(c);
    gsl_rng_free(r);
    return bad;
}

/* rg_gaussian is gsl_ran_gaussian_ziggurat, bit for bit, state for state. */
static void test_gaussian(void)
{
#if GSL_MAJOR_VERSION != 2
    for (int i = 0; i < 8; i++)
        skip("GSL %s: a ziggurat not checked against; every normal sample may be GSL's own "
             "(same results, slower)",
             GSL_VERSION);
    return;
#endif
    /* The tables as the program measures them, measured here again: a
     * wrong fast path then fails below instead of turning itself off.
     * Layers 1 to 127: bounds in (1, 2^24], widths positive and rising
     * towards the base.  Layer 0, the top, has no part taken at once
     * (GSL's bound there is 0): its samples are GSL's. */
    rg_zig_layers z;
    int measured = rg_zig_measure(&z), layers = 0;
    for (int i = 1; i < 128; i++)
        layers +=
            z.k[i] > 1 && z.k[i] <= (1u << 24) && z.w[i] > 0 && (i == 1 || z.w[i] > z.w[i - 1]);
    ok(measured == 127 && layers == 127 && z.k[0] == 0,
       "the ziggurat's layers 1 to 127 measured (%d), widths rising", layers);
    ok(rg_gaussian_fast() && memcmp(&z, &rg_zig, sizeof z) == 0,
       "the program's fast path is on, with these tables");
    size_t bad = 0, slow = 0, n = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        gsl_rng *r = rg_stream_new(rg_rng_xoshiro256, seed, seed * 7, "service");
        size_t s;
        bad += gauss_mismatches(&z, r, 50000, &s);
        slow += s;
        n += 50000;
        gsl_rng_free(r);
    }
    is_int(0, (long long)bad, "xoshiro256: 400,000 samples and states as GSL's");
    diag("first words left to GSL's slow path: %zu of %zu (%.2f %%)", slow, n, 100.0 * slow / n);
    ok(slow > n / 1000 && slow < n / 10, "both paths taken: %zu of %zu to GSL", slow, n);
    is_int(0, (long long)gauss_edges(&z, &z), "every layer's edge words, both signs: as GSL's");
    /* The checks can fail: a bound one too high (j = k taken at once where
     * GSL draws a second word), or a width one unit in the last place
     * off. */
    rg_zig_layers off = z;
    off.k[5]++;
    ok(gauss_edges(&off, &z) > 0 && !rg_zig_agrees(&off, 16), "a bound one too high disagrees");
    off = z;
    off.w[3] = nextafter(off.w[3], 1.0);
    gsl_rng *r = rg_stream_new(rg_rng_xoshiro256, 9, 0, "service");
    size_t s;
    ok(gauss_mismatches(&off, r, 20000, &s) > 0 && !rg_zig_agrees(&off, 1 << 12),
       "a width one ulp off disagrees");
    gsl_rng_free(r);
    /* Another generator type goes to GSL as it is. */
    r = rg_stream_new(gsl_rng_mt19937, 9, 0, "service");
    is_int(0, (long long)gauss_mismatches(&z, r, 20000, &s), "mt19937: samples as GSL's");
    gsl_rng_free(r);
}

int main(void)
{
    plan(6 + 3 + 10 + 2 + 6 + 8);
    test_vectors();
    test_derivation();
    test_streams();
    test_engine_streams();
    test_xoshiro();
    test_gaussian();
    return 0;
}
