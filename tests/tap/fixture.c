/*
 * fixture.c: the experiment test fixture (see fixture.h).
 */
#include "tests/tap/fixture.h"

#include <stdlib.h>

#include "tests/tap/basic.h"
#include "sim/engine/scenario.h"

void tfixture_open(tfixture *m, const rg_experiment *ops, const char *name, const char *text)
{
    rg_err e;
    rg_err_clear(&e);
    m->ops = ops;
    m->cfg = NULL;
    rg_scn *s = rg_scn_load_string(name, text, &e);
    if (s == NULL || ops->load(s, &m->cfg, &e) < 0 || rg_scn_finish(s, &e) < 0)
        bail("%s: %s", name, e.msg);
    rg_scn_free(s);
    const rg_metric *met = ops->metrics(m->cfg, &m->nmet);
    m->out = rg_repout_new(met, m->nmet, 0, NULL);
    m->row = rg_repout_row(m->out);
}

rg_repout *tfixture_out(tfixture *m)
{
    rg_repout_reset(m->out, NULL, false, false);
    return m->out;
}

void tfixture_close(tfixture *m)
{
    m->ops->free_cfg(m->cfg);
    rg_repout_free(m->out);
}
