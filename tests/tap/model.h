/*
 * model.h: a test fixture for driving one model straight from scenario
 * text: load (bailing out with the message on any error, including keys
 * nobody asked for), the metric count, and a row to run replications into.
 * Part of the test helper library, built only for make check.
 */
#ifndef TAP_MODEL_H
#define TAP_MODEL_H

#include <stddef.h>

#include "sim/run/model.h"

typedef struct tmodel {
    const rg_model_ops *ops;
    void *cfg;
    size_t nmet;
    rg_repout *out; /* the task output replications run into */
    rg_mval *row;   /* its row: nmet values, for one replication at a time */
} tmodel;

/* Loads `text` (called `name` in messages) with ops; bails out on error. */
void tmodel_open(tmodel *m, const rg_model_ops *ops, const char *name, const char *text);
void tmodel_close(tmodel *m);
/* The task output, cleared for the next replication (no histogram, no
 * raw latencies, no timeline; no event budget; the engine's default
 * generator, MT19937, as the tests' expected numbers were made with). */
rg_repout *tmodel_out(tmodel *m);

#endif
