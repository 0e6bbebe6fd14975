/*
 * registry.h: the table of experiments: the models a scenario can name
 * with [scenario] model = NAME.  Each experiment declares its own
 * rg_model_ops in its header; registry.c lists them.
 */
#ifndef RG_REGISTRY_H
#define RG_REGISTRY_H

#include <stdio.h>

#include "sim/run/model.h"

/* The model called name, or NULL. */
const rg_model_ops *rg_model_find(const char *name);
/* NULL-terminated list of all models. */
const rg_model_ops *const *rg_model_all(void);

#endif
