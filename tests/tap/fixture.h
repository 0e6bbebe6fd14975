/*
 * fixture.h: a test fixture for driving one experiment straight from scenario
 * text: load (bailing out with the message on any error, including keys
 * nobody asked for), the metric count, and a row to run replications into.
 * Part of the test helper library, built only for make check.
 */
#ifndef TAP_FIXTURE_H
#define TAP_FIXTURE_H

#include <stddef.h>

#include "sim/run/experiment.h"

typedef struct tfixture {
    const rg_experiment *ops;
    void *cfg;
    size_t nmet;
    rg_repout *out; /* the task output replications run into */
    rg_mval *row;   /* its row: nmet values, for one replication at a time */
} tfixture;

/* Loads `text` (called `name` in messages) with ops; bails out on error. */
void tfixture_open(tfixture *m, const rg_experiment *ops, const char *name, const char *text);
void tfixture_close(tfixture *m);
/* The task output, cleared for the next replication (no histogram, no
 * raw latencies, no timeline; no event budget; the engine's default
 * generator, MT19937, as the tests' expected numbers were made with). */
rg_repout *tfixture_out(tfixture *m);

#endif
