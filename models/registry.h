/*
 * registry.h: the table of experiments: the experiments a scenario can name
 * with [scenario] model = NAME.  Each experiment declares its own
 * rg_experiment in its header; registry.c lists them.
 */
#ifndef RG_REGISTRY_H
#define RG_REGISTRY_H

#include <stdio.h>

#include "sim/run/experiment.h"

/* The experiment called name, or NULL. */
const rg_experiment *rg_experiment_find(const char *name);
/* NULL-terminated list of all experiments. */
const rg_experiment *const *rg_experiment_all(void);

#endif
