/*
 * places.h: regions, edge PoPs and the network between them.
 *
 * Every region has one edge PoP (where a client's request lands) and may
 * host stores (an object, a SQL database, a cache replica).  Latencies are
 * one-way and sampled per message from the "network" stream:
 *
 *   client <-> its region's PoP       [network] client_edge
 *   within one region (PoP <-> store) [network] local
 *   region A <-> region B             RTT(A,B)/2 + [network] jitter
 *
 * RTT(A,B) comes from [network] rtt.A.B (either order), defaulting to the
 * published P95 inter-region RTTs in FACTS.md for the regions named there
 * (us-east, us-east-2, us-west, eu-west, eu-north, japan-east,
 * asia-southeast, australia-east).  [network] loss is the probability that a
 * message is lost; the sender learns nothing and the client times out.
 */
#ifndef RG_PLACES_H
#define RG_PLACES_H

#include <stdbool.h>

#include <gsl/gsl_rng.h>

#include "sim/engine/dist.h"
#include "sim/engine/scenario.h"

#define RG_MAX_REGIONS 16

typedef struct rg_places {
    size_t n;
    char *name[RG_MAX_REGIONS];
    rg_time rtt[RG_MAX_REGIONS][RG_MAX_REGIONS]; /* 0 on the diagonal */
    rg_dist *client_edge, *local, *jitter;
    double loss;
} rg_places;

/* Reads [network].  Returns NULL with e set on error. */
rg_places *rg_places_load(rg_scn *s, rg_err *e);
void rg_places_free(rg_places *p);
/* Index of the region called name, or -1. */
int rg_places_find(const rg_places *p, const char *name);
/* One-way latency of one message between client and PoP of region r. */
rg_time rg_places_client(const rg_places *p, gsl_rng *r);
/* One-way latency of one message from region a to region b. */
rg_time rg_places_hop(const rg_places *p, int a, int b, gsl_rng *r);
/* True if a message is lost (consumes a draw only when loss > 0). */
bool rg_places_lost(const rg_places *p, gsl_rng *r);

/* A network partition between regions a and b from `from` until `until`
 * (a < 0: none).  A message between a and b sent while it lasts is held
 * until it heals, then travels as usual: what a TCP connection does by
 * retransmitting, and what a client whose deadline passes meanwhile sees
 * as a timeout.  (The alternative, dropping it, would need every sender
 * to handle a lost hop; held messages also show the partition's real
 * damage: a store acts, after the heal, on a request its client gave up
 * on.)  A message already in flight when the cut begins arrives. */
typedef struct rg_partition {
    int a, b;
    rg_time from, until;
} rg_partition;

/* True if a message from region x to region y sent at `now` is held. */
bool rg_partition_holds(const rg_partition *cut, int x, int y, rg_time now);
/* rg_places_hop for a message sent at `now` across an optional partition
 * (NULL: none): the same draw, delayed to the heal if the cut holds it. */
rg_time rg_places_hop_at(const rg_places *p, const rg_partition *cut, int a, int b, rg_time now,
                         gsl_rng *r);

#endif
