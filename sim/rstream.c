/*
 * rstream.c: stream seed derivation (see rstream.h for the contract).
 */
#include "rstream.h"

#include <string.h>

#include "util.h"

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

const gsl_rng_type *rg_rng_type_find(const char *name)
{
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
