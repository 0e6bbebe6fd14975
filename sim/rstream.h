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
 * The generator type is the scenario's [scenario] rng: any GSL generator
 * name, default "taus2" (L'Ecuyer's maximally equidistributed combined
 * Tausworthe generator, period 2^88: a simulation-quality generator that
 * is cheap to seed, which matters when every replication seeds several
 * streams; with MT19937 seeding and drawing took a sixth of a drop run).
 * An engine created without a type uses MT19937.
 *
 * where splitmix64(x) is the finaliser of Steele, Lea & Flood's SplitMix64
 * applied to x + 0x9e3779b97f4a7c15.  GSL's MT19937 uses the low 32 bits of
 * s, so two of the ~10^5 streams of a large run may share a seed with small
 * probability; such a pair is statistically harmless (they feed different
 * purposes) and is deterministic like everything else.
 */
#ifndef RG_RSTREAM_H
#define RG_RSTREAM_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

uint64_t rg_splitmix64(uint64_t x);
uint64_t rg_fnv1a64(const char *s);
/* The 64-bit seed of stream `name` of replication `rep`. */
uint64_t rg_stream_seed(uint64_t seed, uint64_t rep, const char *name);
/* The GSL generator type called name ("taus2", "mt19937", ...), or NULL. */
const gsl_rng_type *rg_rng_type_find(const char *name);
/* A new generator of `type` seeded as above.  Caller frees with gsl_rng_free. */
gsl_rng *rg_stream_new(const gsl_rng_type *type, uint64_t seed, uint64_t rep, const char *name);

#endif
