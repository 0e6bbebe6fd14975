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

#include <stdbool.h>
#include <stdint.h>

#include <gsl/gsl_randist.h>
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

/* ---- normal samples ------------------------------------------------------
 *
 * rg_gaussian(r, sigma) returns what gsl_ran_gaussian_ziggurat(r, sigma)
 * returns, bit for bit, and leaves r as it leaves it: the results are the
 * same whichever is called.  On an xoshiro256** stream it takes the
 * ziggurat's fast path itself (97 % of samples): one 32-bit word
 * gives the layer i (7 bits), the sign (1 bit) and j (24 bits); if j is
 * below the layer's bound k[i], the sample is j * w[i] with the sign, and
 * that word is consumed.  Otherwise the stream is left untouched and GSL's
 * function draws the same word again and goes on from it.  This saves the
 * library call and the generator's indirect call on nearly every sample.
 *
 * k[] and w[] are read from the GSL in use, not copied: at the first
 * seeding of an xoshiro256** stream, rstream.c feeds gsl_ran_gaussian_
 * ziggurat words of its choosing through a scripted generator (w[i] is the
 * sample of j = 1; k[i] the least j whose sample takes more than one word)
 * and then checks it against GSL: the words at both edges of every
 * layer's bound with both signs (a bound off by one shows only there),
 * then 4,096 samples of a stream.  If anything disagrees, k[] stays all
 * zero and every sample is GSL's own.  Any sigma, a NaN included, gives
 * GSL's bits. */
typedef struct rg_xo_state {
    uint64_t s[4];
} rg_xo_state;

typedef struct rg_zig_layers {
    uint32_t k[128];
    double w[128];
} rg_zig_layers;

extern rg_zig_layers rg_zig;

/* xoshiro256**'s next output (Blackman and Vigna, 2018), without moving
 * the state; rg_xo_step moves it. */
static inline uint64_t rg_xo_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rg_xo_peek(const rg_xo_state *st)
{
    return rg_xo_rotl(st->s[1] * 5, 7) * 9;
}

static inline void rg_xo_step(rg_xo_state *st)
{
    uint64_t *s = st->s;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rg_xo_rotl(s[3], 45);
}

/* The fast path on a given table (rstream.c checks its tables with it). */
static inline double rg_gaussian_with(const rg_zig_layers *z, const gsl_rng *r, double sigma)
{
    if (r->type == rg_rng_xoshiro256) {
        rg_xo_state *st = r->state;
        uint64_t k = rg_xo_peek(st) >> 32; /* get(): the top 32 bits */
        uint32_t i = (uint32_t)k & 0x7f, j = (uint32_t)(k >> 8) & 0xffffff;
        if (j < z->k[i]) {
            rg_xo_step(st);
            /* GSL: sign * sigma * x, sign an int of +1 or -1.  The sign is
             * loaded and multiplied, not folded into a negation, so that
             * even a NaN sigma keeps GSL's sign bit. */
            static const double sign[2] = {-1.0, 1.0};
            return sign[(k >> 7) & 1] * sigma * ((double)j * z->w[i]);
        }
    }
    return gsl_ran_gaussian_ziggurat(r, sigma);
}

static inline double rg_gaussian(const gsl_rng *r, double sigma)
{
    return rg_gaussian_with(&rg_zig, r, sigma);
}

/* Whether the fast path is on (the tables were measured and agreed). */
bool rg_gaussian_fast(void);
/* Measures the tables from the linked GSL into *z (as at the first
 * seeding); returns the layers measured (GSL's own: 127, all but the top). */
int rg_zig_measure(rg_zig_layers *z);
/* Whether the fast path on z gives GSL's samples and states: at both edges
 * of every layer's bound with both signs, then n samples of a stream. */
bool rg_zig_agrees(const rg_zig_layers *z, int n);
/* Sets s[1] of st so that its next 32-bit word (get) is `word`: tests
 * reach chosen words with it. */
void rg_xo_aim(rg_xo_state *st, uint32_t word);

#endif
