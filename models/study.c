/*
 * study.c: a scenario opened as an experiment (see study.h).
 */
#include "models/study.h"

#include <string.h>

#include "models/registry.h"
#include "sim/engine/rstream.h"

void rg_study_close(rg_study *x)
{
    if (x->cfg)
        x->ops->free_cfg(x->cfg);
    rg_scn_free(x->scn);
    memset(x, 0, sizeof *x);
}

static char *basename_noext(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char *s = rg_xstrdup(b);
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    return s;
}

static int finish_open(rg_study *x, const char *path, char *const *sets, const char *const *origins,
                       size_t nsets, rg_err *e)
{
    rg_scn *s = x->scn;
    for (size_t i = 0; i < nsets; i++)
        if (rg_scn_set_from(s, sets[i], origins ? origins[i] : "--set", e) < 0)
            return -1;
    char *defname = basename_noext(path);
    int rc = rg_scn_str(s, "scenario", "name", defname[0] ? defname : "scenario", &x->name, e);
    free(defname);
    if (rc < 0 || rg_scn_str(s, "scenario", "description", "", &x->description, e) < 0 ||
        rg_scn_str(s, "scenario", "model", NULL, &x->model, e) < 0 ||
        rg_scn_int(s, "scenario", "seed", "1", 0, INT64_MAX, &x->seed, e) < 0 ||
        rg_scn_int(s, "scenario", "replications", "1000", 1, RG_MAX_REPS, &x->reps, e) < 0 ||
        rg_scn_int(s, "scenario", "max_events", "100000000", 1000, INT64_C(100000000000),
                   &x->max_events, e) < 0)
        return -1;
    const char *rng;
    if (rg_scn_str(s, "scenario", "rng", "xoshiro256", &rng, e) < 0)
        return -1;
    x->rng_type = rg_rng_type_find(rng);
    if (x->rng_type == NULL)
        return rg_scn_err(s, "scenario", "rng", e,
                          "'%s' is not a generator (xoshiro256, or a GSL name such as taus2, "
                          "mt19937, ranlxd2)",
                          rng);
    /* The name becomes a file name and a plot title: keep it tame. */
    if (strchr(x->name, '/') || strchr(x->name, '\\'))
        return rg_scn_err(s, "scenario", "name", e, "must not contain '/'");
    if (x->name[0] == '\0' || x->name[0] == '.')
        return rg_scn_err(s, "scenario", "name", e, "must be non-empty and not start with '.'");
    const rg_experiment *ops = rg_experiment_find(x->model);
    if (ops == NULL) {
        rg_buf b = {0};
        for (const rg_experiment *const *m = rg_experiment_all(); *m; m++)
            rg_buf_printf(&b, "%s%s", b.len ? ", " : "", (*m)->name);
        rg_scn_err(s, "scenario", "model", e, "unknown model '%s' (known: %s)", x->model, b.s);
        rg_buf_free(&b);
        return -1;
    }
    if (ops->load(s, &x->cfg, e) < 0)
        return -1;
    x->ops = ops;
    return rg_scn_finish(s, e);
}

int rg_study_open(const char *path, char *const *sets, const char *const *origins, size_t nsets,
                  rg_study *x, rg_err *e)
{
    memset(x, 0, sizeof *x);
    x->scn = rg_scn_load(path, e);
    if (x->scn == NULL)
        return -1;
    return finish_open(x, path, sets, origins, nsets, e);
}

int rg_study_open_text(const char *path, const char *text, char *const *sets,
                       const char *const *origins, size_t nsets, rg_study *x, rg_err *e)
{
    memset(x, 0, sizeof *x);
    x->scn = rg_scn_load_mem(path, text, strlen(text), e);
    if (x->scn == NULL)
        return -1;
    return finish_open(x, path, sets, origins, nsets, e);
}

int rg_study_open_mem(const char *name, const void *data, size_t len, rg_study *x, rg_err *e)
{
    memset(x, 0, sizeof *x);
    x->scn = rg_scn_load_mem(name, data, len, e);
    if (x->scn == NULL)
        return -1;
    return finish_open(x, name, NULL, NULL, 0, e);
}
