/*
 * registry.h: the models a scenario can name with [scenario] model = NAME.
 */
#ifndef RG_REGISTRY_H
#define RG_REGISTRY_H

#include <stdio.h>

#include "sim/run/runner.h"

/* The model called name, or NULL. */
const rg_model_ops *rg_model_find(const char *name);
/* NULL-terminated list of all models. */
const rg_model_ops *const *rg_model_all(void);

/* Models. */
extern const rg_model_ops rg_model_queue;
extern const rg_model_ops rg_model_drop;
extern const rg_model_ops rg_model_batch;
extern const rg_model_ops rg_model_occ;

#endif
