/*
 * registry.c: the table of experiments.  Adding one is its header's
 * include and one line here.
 */
#include "models/registry.h"

#include <string.h>

#include "models/batch/batch.h"
#include "models/drop/drop.h"
#include "models/occ/occ.h"
#include "models/pbs/pbs.h"
#include "models/queue/queue.h"

static const rg_experiment *const all[] = {
    &rg_experiment_queue, /* models/queue/ */
    &rg_experiment_drop,  /* models/drop/ */
    &rg_experiment_batch, /* models/batch/ */
    &rg_experiment_occ,   /* models/occ/ */
    &rg_experiment_pbs,   /* models/pbs/ */
    NULL,
};

const rg_experiment *const *rg_experiment_all(void)
{
    return all;
}

const rg_experiment *rg_experiment_find(const char *name)
{
    for (size_t i = 0; all[i] != NULL; i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}
