/*
 * rstream.c: stream seed derivation (see rstream.h for the contract).
 */
#include "sim/engine/rstream.h"

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

typedef struct xo_state {
    uint64_t s[4];
} xo_state;

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t xo_next(xo_state *st)
{
    uint64_t *s = st->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static void xo_set(void *vstate, unsigned long seed)
{
    xo_state *st = vstate;
    uint64_t x = (uint64_t)seed;
    for (int i = 0; i < 4; i++) {
        x += UINT64_C(0x9e3779b97f4a7c15);
        st->s[i] = rg_splitmix64(x);
    }
    if ((st->s[0] | st->s[1] | st->s[2] | st->s[3]) == 0)
        st->s[0] = 1; /* the one state xoshiro must not be in */
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
