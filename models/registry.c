/*
 * registry.c: the table of experiments.  Adding one is its header's
 * include and one line here.
 */
#include "models/registry.h"

#include <string.h>

#include "models/batch/batch.h"
#include "models/drop/drop.h"
#include "models/occ/occ.h"
#include "models/queue/qmodel.h"

static const rg_model_ops *const all[] = {
    &rg_model_queue, &rg_model_drop, &rg_model_batch, &rg_model_occ, NULL,
};

const rg_model_ops *const *rg_model_all(void)
{
    return all;
}

const rg_model_ops *rg_model_find(const char *name)
{
    for (size_t i = 0; all[i] != NULL; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
