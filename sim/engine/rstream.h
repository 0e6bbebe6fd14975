/*
 * rstream.h: deterministic random streams on GSL generators.
 *
 * Every stream of a run is named by (scenario seed, replication index,
 * stream name) and nothing else: never the environment (gsl_rng_env_setup is
 * not called), the wall clock, the thread or the variant.  Because the
 * variant is not part of the name, every variant of replication r sees the
 * same "arrivals" stream, i.e. the same buyers at the same moments: common
 * random numbers, so differences between variants are the architecture's.
 *
 * Derivation (stable across versions; changing it changes every result):
 *
 *     h    = FNV-1a 64 of the stream name's bytes
 *     s    = splitmix64(seed ^ splitmix64(rep ^ splitmix64(h)))
 *     gsl_rng_set(r, s)            (r of the chosen GSL type)
 *
 * The generator type is the scenario's [scenario] rng, default
 * "xoshiro256": xoshiro256** registered as a GSL generator type (see
 * rstream.c), so every GSL sampler works on it.  It is seeded with all 64
 * bits of s; GSL's own generators ("mt19937", "taus2", ...: any GSL name is
 * accepted) use only 32 bits of it, so among the ~10^5-10^6 streams of a
 * large run some pairs would share a seed.  It is also cheap to seed, which
 * matters when every replication seeds several streams.  An engine created
 * without a type uses MT19937 (the engine benchmark's generator).
 *
 * where splitmix64(x) is the finaliser of Steele, Lea & Flood's SplitMix64
 * applied to x + 0x9e3779b97f4a7c15.
 */
#ifndef RG_RSTREAM_H
#define RG_RSTREAM_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

uint64_t rg_splitmix64(uint64_t x);
uint64_t rg_fnv1a64(const char *s);
/* The 64-bit seed of stream `name` of replication `rep`. */
uint64_t rg_stream_seed(uint64_t seed, uint64_t rep, const char *name);
/* xoshiro256** as a GSL generator type, seeded with 64 bits. */
extern const gsl_rng_type *rg_rng_xoshiro256;
/* The generator type called name ("xoshiro256" or any GSL name such as
 * "taus2", "mt19937"), or NULL. */
const gsl_rng_type *rg_rng_type_find(const char *name);
/* A new generator of `type` seeded as above.  Caller frees with gsl_rng_free. */
gsl_rng *rg_stream_new(const gsl_rng_type *type, uint64_t seed, uint64_t rep, const char *name);

#endif
