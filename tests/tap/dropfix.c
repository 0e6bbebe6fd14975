/*
 * dropfix.c: the drop kinds' test fixture (see dropfix.h).
 */
#include "tests/tap/dropfix.h"

#include <stdlib.h>
#include <string.h>

#include "sim/run/runner.h"
#include "tests/tap/basic.h"

void tdrop_open(tdrop *d, const char *text)
{
    memset(d, 0, sizeof *d);
    tfixture_open(&d->f, &rg_experiment_drop, "kind-t.ini", text);
}

void tdrop_close(tdrop *d)
{
    free(d->req);
    d->req = NULL;
    tfixture_close(&d->f);
}

void tdrop_run(tdrop *d, const char *name, uint64_t seed, uint64_t rep)
{
    const rg_experiment *x = d->f.ops;
    size_t v = 0, nv = x->nvariants(d->f.cfg);
    while (v < nv && strcmp(x->variant_name(d->f.cfg, v), name) != 0)
        v++;
    if (v == nv)
        bail("no variant %s", name);
    free(d->req);
    d->req = NULL;
    rg_repout *out = tfixture_out(&d->f);
    rg_drop_run_detail(d->f.cfg, v, seed, rep, out, NULL, &d->req, &d->n);
    if (!rg_repout_done(out))
        bail("replication did not complete: %s", rg_repout_error(out));
}

static size_t metric_index(const tdrop *d, const char *name)
{
    size_t n;
    const rg_metric *met = d->f.ops->metrics(d->f.cfg, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(met[i].name, name) == 0)
            return i;
    bail("no metric %s", name);
}

int64_t tdrop_int(const tdrop *d, const char *metric)
{
    return d->f.row[metric_index(d, metric)].i;
}

double tdrop_real(const tdrop *d, const char *metric)
{
    return d->f.row[metric_index(d, metric)].d;
}

size_t tdrop_count(const tdrop *d, rg_outcome o)
{
    size_t n = 0;
    for (size_t i = 0; i < d->n; i++)
        n += d->req[i].outcome == o;
    return n;
}

static int cmp_time(const void *a, const void *b)
{
    rg_time x = *(const rg_time *)a, y = *(const rg_time *)b;
    return (x > y) - (x < y);
}

rg_time *tdrop_latencies(const tdrop *d)
{
    rg_time *w = malloc((d->n ? d->n : 1) * sizeof *w);
    if (w == NULL)
        bail("out of memory");
    for (size_t i = 0; i < d->n; i++)
        w[i] = d->req[i].answered - d->req[i].sent;
    qsort(w, d->n, sizeof *w, cmp_time);
    return w;
}

bool tdrop_same_on_threads(const tdrop *d, uint64_t seed, uint64_t reps)
{
    rg_runopts o = {0};
    o.seed = seed;
    o.reps = reps;
    o.label = "kind-t";
    rg_err e;
    rg_err_clear(&e);
    o.threads = 1;
    rg_results *r1 = rg_run(d->f.ops, d->f.cfg, &o, &e);
    /* and every task twice: a replication must not differ from itself */
    o.threads = 2;
    o.check_determinism = true;
    rg_results *r2 = rg_run(d->f.ops, d->f.cfg, &o, &e);
    if (r1 == NULL || r2 == NULL)
        bail("rg_run: %s", e.msg);
    if (r2->nondeterministic != NULL)
        diag("nondeterministic: %s", r2->nondeterministic);
    bool same = r2->nondeterministic == NULL && r1->reps_done == reps && r2->reps_done == reps &&
                r1->nmet == r2->nmet && r1->nvar == r2->nvar &&
                memcmp(r1->rows, r2->rows, r1->nvar * r1->reps * r1->nmet * sizeof *r1->rows) == 0;
    rg_results_free(r1);
    rg_results_free(r2);
    return same;
}
