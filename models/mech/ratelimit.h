/*
 * ratelimit.h: token buckets keyed by an integer (a session, an IP).
 *
 * A bucket holds at most `burst` tokens and gains `rate` tokens per second;
 * a request takes one token or is refused (HTTP 429).  Over any window of
 * length T starting with a full bucket, at most burst + rate * T requests
 * are admitted, and exactly that many when requests keep coming.  Buckets
 * are created full on first use.  Time is the engine's: refills are
 * computed from elapsed simulated time, no events are needed.
 */
#ifndef RG_RATELIMIT_H
#define RG_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/simtime.h"

typedef struct rg_limiter rg_limiter;

/* rate: tokens per second (> 0); burst: bucket size (>= 1). */
rg_limiter *rg_limiter_new(double rate, double burst);
void rg_limiter_free(rg_limiter *l);
/* Takes a token from key's bucket at time now; false if empty. */
bool rg_limiter_take(rg_limiter *l, uint64_t key, rg_time now);
uint64_t rg_limiter_refused(const rg_limiter *l);

#endif
