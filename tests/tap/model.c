/*
 * model.c: the model test fixture (see model.h).
 */
#include "tests/tap/model.h"

#include <stdlib.h>

#include "tests/tap/basic.h"
#include "sim/engine/scenario.h"

void tmodel_open(tmodel *m, const rg_model_ops *ops, const char *name, const char *text)
{
    rg_err e;
    rg_err_clear(&e);
    m->ops = ops;
    m->cfg = NULL;
    rg_scn *s = rg_scn_load_string(name, text, &e);
    if (s == NULL || ops->load(s, &m->cfg, &e) < 0 || rg_scn_finish(s, &e) < 0)
        bail("%s: %s", name, e.msg);
    rg_scn_free(s);
    ops->metrics(m->cfg, &m->nmet);
    m->row = rg_xcalloc(m->nmet, sizeof *m->row);
}

void tmodel_close(tmodel *m)
{
    m->ops->free_cfg(m->cfg);
    free(m->row);
}
