/*
 * rstream.c: stream seed derivation (see rstream.h for the contract).
 */
#include "sim/engine/rstream.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "sim/engine/util.h"

uint64_t rg_splitmix64(uint64_t x)
{
    uint64_t z = x + UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t rg_fnv1a64(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

uint64_t rg_stream_seed(uint64_t seed, uint64_t rep, const char *name)
{
    return rg_splitmix64(seed ^ rg_splitmix64(rep ^ rg_splitmix64(rg_fnv1a64(name))));
}

/* ---- xoshiro256** as a GSL generator type -------------------------------
 *
 * GSL's generators take a seed through gsl_rng_set as an unsigned long but
 * use only 32 bits of it (MT19937, taus2, ranlxd...), so two of the streams
 * of a large run share a seed with a probability that grows with the square
 * of their number: 130 colliding pairs of "arrivals" streams in 10^6
 * replications.  This type takes all 64 bits, expanding them with
 * splitmix64 into the 256-bit state of xoshiro256** (Blackman and Vigna,
 * "Scrambled linear pseudorandom number generators", 2018; period
 * 2^256 - 1), so streams collide only as 64-bit hashes do.  Written here
 * from the published description.  get() returns the top 32 bits (GSL's
 * integer samplers assume a 32-bit range); get_double() uses 53. */

typedef rg_xo_state xo_state;

static inline uint64_t xo_next(xo_state *st)
{
    uint64_t out = rg_xo_peek(st);
    rg_xo_step(st);
    return out;
}

static void zig_once(void);

/* Sets the state from a 64-bit seed, without measuring the ziggurat. */
static void xo_seed(xo_state *st, uint64_t x)
{
    for (int i = 0; i < 4; i++) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        st->s[i] = rg_splitmix64(x);
    }
    if ((st->s[0] | st->s[1] | st->s[2] | st->s[3]) == 0)
        st->s[0] = 1; /* the one state xoshiro must not be in */
}

static void xo_set(void *vstate, unsigned long seed)
{
    /* Every xoshiro256** stream is seeded here (gsl_rng_alloc seeds too)
     * before its first sample: the tables of rg_gaussian are ready, and
     * pthread_once makes them visible to the thread that seeds. */
    zig_once();
    xo_seed(vstate, (uint64_t)seed);
}

static unsigned long xo_get(void *vstate)
{
    return (unsigned long)(xo_next(vstate) >> 32);
}

static double xo_get_double(void *vstate)
{
    /* 53 random bits in [0, 1) */
    return (double)(xo_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
    "xoshiro256", 0xffffffffUL, 0, sizeof(xo_state), xo_set, xo_get, xo_get_double,
};

const gsl_rng_type *rg_rng_xoshiro256 = &xoshiro_type;

const gsl_rng_type *rg_rng_type_find(const char *name)
{
    if (strcmp(name, xoshiro_type.name) == 0)
        return &xoshiro_type;
    for (const gsl_rng_type **t = gsl_rng_types_setup(); *t != NULL; t++)
        if (strcmp((*t)->name, name) == 0)
            return *t;
    return NULL;
}

gsl_rng *rg_stream_new(const gsl_rng_type *type, uint64_t seed, uint64_t rep, const char *name)
{
    gsl_rng *r = gsl_rng_alloc(type);
    if (r == NULL) {
        /* gsl_rng_alloc fails only when out of memory. */
        RG_ASSERT(!"out of memory allocating a GSL generator");
    }
    gsl_rng_set(r, (unsigned long)rg_stream_seed(seed, rep, name));
    return r;
}

/* ---- the ziggurat's layers (rstream.h, rg_gaussian) ----------------------
 *
 * Read from gsl_ran_gaussian_ziggurat itself through a scripted generator:
 * its first word is the one under test, every later one makes GSL return
 * at once (layer 127, j = 0: zero, or the tail's first candidate with
 * U2 = 0, accepted), and it counts the words taken. */

rg_zig_layers rg_zig; /* all zero until zig_measure has checked them */

typedef struct zprobe {
    unsigned long first;
    int words;
} zprobe;

static void zprobe_set(void *v, unsigned long seed)
{
    (void)v;
    (void)seed;
}

static unsigned long zprobe_get(void *v)
{
    zprobe *p = v;
    return p->words++ == 0 ? p->first : 0xffUL;
}

static double zprobe_get_double(void *v)
{
    zprobe *p = v;
    p->words++;
    return 0.0;
}

static const gsl_rng_type zprobe_type = {
    "revguard-zig-probe", 0xffffffffUL,      0, sizeof(zprobe), zprobe_set,
    zprobe_get,           zprobe_get_double,
};

/* The words GSL takes for a normal sample whose first word has layer i,
 * positive sign and j; *x gets the sample (sigma 1). */
static int zig_words(uint32_t i, uint32_t j, double *x)
{
    zprobe p = {(unsigned long)j << 8 | 0x80 | i, 0};
    gsl_rng g = {&zprobe_type, &p};
    *x = gsl_ran_gaussian_ziggurat(&g, 1.0);
    return p.words;
}

/* The inverse of odd a modulo 2^64 (Newton's iteration: each step
 * doubles the bits that are right; a is its own inverse modulo 8). */
static uint64_t inverse64(uint64_t a)
{
    uint64_t x = a;
    for (int i = 0; i < 5; i++)
        x *= 2 - a * x;
    return x;
}

void rg_xo_aim(rg_xo_state *st, uint32_t word)
{
    /* out = rotl(s1 * 5, 7) * 9, so s1 = rotr(out / 9, 7) / 5 */
    uint64_t out = (uint64_t)word << 32 | UINT64_C(0x9e3779b9);
    uint64_t r = out * inverse64(9);
    st->s[1] = ((r >> 7) | (r << 57)) * inverse64(5);
}

/* One sample of the fast path on z and one of GSL from the same state st
 * agree, bit for bit, and leave the same state. */
static bool zig_same(const rg_zig_layers *z, const xo_state *st, double sigma)
{
    xo_state a = *st, b = *st;
    gsl_rng ga = {&xoshiro_type, &a}, gb = {&xoshiro_type, &b};
    double x = rg_gaussian_with(z, &ga, sigma), y = gsl_ran_gaussian_ziggurat(&gb, sigma);
    return memcmp(&x, &y, sizeof x) == 0 && memcmp(&a, &b, sizeof a) == 0;
}

bool rg_zig_agrees(const rg_zig_layers *z, int n)
{
    static const double sigmas[] = {1.0, 0.35, 2.5e-3, 7.0};
    xo_state st;
    xo_seed(&st, UINT64_C(0x5eed0f2199a7d1));
    /* The words at each layer's edges, both signs: a bound off by one
     * shows only there (a random word hits it once in 2^24). */
    for (uint32_t i = 0; i < 128; i++)
        for (uint32_t sign = 0; sign <= 0x80; sign += 0x80) {
            const uint64_t js[] = {
                0, 1, (uint64_t)z->k[i] - 1, z->k[i], (uint64_t)z->k[i] + 1, 0xffffff};
            for (size_t t = 0; t < sizeof js / sizeof js[0]; t++) {
                if (js[t] > 0xffffff)
                    continue;
                xo_state aimed = st;
                rg_xo_aim(&aimed, (uint32_t)js[t] << 8 | sign | i);
                if (!zig_same(z, &aimed, sigmas[t & 3]))
                    return false;
            }
        }
    /* and n words as they come */
    for (int k = 0; k < n; k++) {
        if (!zig_same(z, &st, sigmas[k & 3]))
            return false;
        (void)xo_next(&st);
    }
    return true;
}

int rg_zig_measure(rg_zig_layers *z)
{
    memset(z, 0, sizeof *z); /* all zero: every sample GSL's */
    int layers = 0;
    for (uint32_t i = 0; i < 128; i++) {
        double x;
        /* the least j of more than one word, in [0, 2^24] */
        uint32_t lo = 0, hi = UINT32_C(1) << 24;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (zig_words(i, mid, &x) == 1)
                lo = mid + 1;
            else
                hi = mid;
        }
        /* w[i] is the sample of j = 1, exact (1 * w[i] * 1); a layer that
         * takes even j = 1 to its slow path is left to GSL. */
        if (lo > 1 && zig_words(i, 1, &x) == 1 && isfinite(x) && x > 0) {
            z->k[i] = lo;
            z->w[i] = x;
            layers++;
        }
    }
    return layers;
}

static void zig_measure(void)
{
    rg_zig_layers z;
    if (rg_zig_measure(&z) > 0 && rg_zig_agrees(&z, 1 << 12))
        rg_zig = z;
}

static pthread_once_t zig_done = PTHREAD_ONCE_INIT;

static void zig_once(void)
{
    pthread_once(&zig_done, zig_measure);
}

bool rg_gaussian_fast(void)
{
    zig_once();
    for (int i = 0; i < 128; i++)
        if (rg_zig.k[i] != 0)
            return true;
    return false;
}
