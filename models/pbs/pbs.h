/*
 * pbs.h: probabilistically bounded staleness ([scenario] model = pbs): how
 * often a read of a quorum-replicated store (models/stores/quorum.h) sees
 * a write that completed Δ before it, as in Bailis et al., VLDB 2012
 * (FACTS.md, "Staleness of quorum-replicated stores").
 *
 * Each replication writes a new version of one key (held at version 0 by
 * every replica) and, once the write has completed, reads the key at
 * completion + Δ for every Δ of [pbs] delays.  Metric fresh_Δ is 1 if
 * that read returned the write (or newer), so its mean over replications
 * is the probability of a consistent read Δ after a write: the paper's
 * t-visibility curve, sampled at the delays.  Nothing computes it: a read
 * is fresh or not by what its first R answerers held when its request
 * reached them.
 *
 * Scenario: [pbs] delays; n, r, w and delay_w, delay_a, delay_r, delay_s
 * (the WARS delays) in [pbs] with [variant.NAME] overrides; per variant,
 * `published` lists figures to check against ("0ms: 94%, 1ms: 99.9%"),
 * which the console prints beside the simulated probabilities.
 */
#ifndef RG_PBS_H
#define RG_PBS_H

#include "sim/run/experiment.h"

/* The experiment, for the table of experiments (models/registry.c). */
extern const rg_experiment rg_experiment_pbs;

#endif
