/*
 * sweep.c: a sweep's results (sweep.h) and its HDF5 file, written and read
 * with the run file's parts (results-h5.h), so that each point's group of
 * variants is exactly what a run of that point writes.
 */
#include "sim/run/sweep.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/stats.h"
#include "sim/run/results-h5.h"

#define A_VARS "sweep_variables"
#define A_LOG "sweep_log"
#define A_NPOINTS "sweep_points"
#define A_CRN "common_random_numbers"
#define D_POINTS "points"
#define D_SUMMARY "sweep_summary"
#define G_POINT "point"
#define F_POINT "point"
#define A_POINT_SEED "seed"

/* The statistics of a sweep_summary row, in order. */
static const char *const stat_names[] = {"mean", "sd",  "ci95", "min", "max",
                                         "p05",  "p50", "p95",  "p99"};
#define NSTATS 9

rg_sweep *rg_sweep_new(size_t nvars, const char *const *names, const bool *log, size_t npoints)
{
    rg_sweep *sw = rg_xcalloc(1, sizeof *sw);
    sw->nvars = nvars;
    sw->npoints = npoints;
    sw->vars = rg_xcalloc(nvars ? nvars : 1, sizeof *sw->vars);
    sw->log = rg_xcalloc(nvars ? nvars : 1, sizeof *sw->log);
    for (size_t v = 0; v < nvars; v++) {
        sw->vars[v] = rg_xstrdup(names[v]);
        sw->log[v] = log ? log[v] : false;
    }
    size_t nc = npoints * nvars > 0 ? npoints * nvars : 1;
    sw->value = rg_xcalloc(nc, sizeof *sw->value);
    sw->text = rg_xcalloc(nc, sizeof *sw->text);
    sw->seed = rg_xcalloc(npoints ? npoints : 1, sizeof *sw->seed);
    sw->resolved = rg_xcalloc(npoints ? npoints : 1, sizeof *sw->resolved);
    sw->res = rg_xcalloc(npoints ? npoints : 1, sizeof *sw->res);
    sw->crn = true;
    return sw;
}

void rg_sweep_free(rg_sweep *sw)
{
    if (sw == NULL)
        return;
    for (size_t v = 0; v < sw->nvars; v++)
        free(sw->vars[v]);
    for (size_t i = 0; i < sw->npoints * sw->nvars; i++)
        free(sw->text[i]);
    for (size_t k = 0; k < sw->npoints; k++) {
        free(sw->resolved[k]);
        rg_results_free(sw->res[k]);
    }
    free(sw->vars);
    free(sw->log);
    free(sw->value);
    free(sw->text);
    free(sw->seed);
    free(sw->resolved);
    free(sw->res);
    free(sw);
}

int rg_sweep_check(const rg_sweep *sw, rg_err *e)
{
    if (sw->npoints == 0 || sw->res[0] == NULL)
        return rg_err_set(e, RG_ERR_INPUT, "the sweep has no point");
    const rg_results *a = sw->res[0];
    for (size_t v = 0; v < sw->nvars; v++) {
        bool clash = strcmp(sw->vars[v], F_POINT) == 0;
        for (size_t u = 0; u < sw->nvars && !clash; u++) {
            size_t n = strlen(sw->vars[u]);
            clash = u != v && strncmp(sw->vars[v], sw->vars[u], n) == 0 &&
                    strcmp(sw->vars[v] + n, "_text") == 0;
        }
        if (clash)
            return rg_err_set(e, RG_ERR_INPUT,
                              "variable '%s': its name clashes with a column of the points table",
                              sw->vars[v]);
    }
    for (size_t k = 1; k < sw->npoints; k++) {
        const rg_results *b = sw->res[k];
        bool same = b != NULL && b->nvar == a->nvar && b->nmet == a->nmet;
        for (size_t v = 0; same && v < a->nvar; v++)
            same = strcmp(a->varnames[v], b->varnames[v]) == 0;
        for (size_t m = 0; same && m < a->nmet; m++)
            same = strcmp(a->met[m].name, b->met[m].name) == 0 && a->met[m].type == b->met[m].type;
        if (!same)
            return rg_err_set(e, RG_ERR_INPUT,
                              "point %zu has other variants or metrics than point 0: the "
                              "variables may change values, not which variants exist",
                              k);
    }
    return 0;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct job {
    const rg_sweep *sw;
    const rg_meta *meta;
} job;

/* A compound of `n` fields: names, offsets and types. */
static hid_t compound(rh5_wctx *w, size_t size, const char *const *names, const size_t *off,
                      const hid_t *types, size_t n)
{
    hid_t t = H5Tcreate(H5T_COMPOUND, size);
    if (t < 0) {
        rh5_fail(&w->c, -1, NULL, "cannot create a compound type");
        return H5I_INVALID_HID;
    }
    for (size_t i = 0; i < n; i++)
        if (H5Tinsert(t, names[i], off[i], types[i]) < 0) {
            rh5_fail(&w->c, -1, names[i], "cannot add field");
            (void)H5Tclose(t);
            return H5I_INVALID_HID;
        }
    return t;
}

/* The points table: point, then each variable's value, then its text. */
static int put_points(rh5_wctx *w, hid_t f, const rg_sweep *sw)
{
    size_t nv = sw->nvars, nf = 1 + 2 * nv, ps = sizeof(char *);
    size_t row = 8 + 8 * nv + ps * nv;
    const char **names = rg_xcalloc(nf, sizeof *names);
    char **own = rg_xcalloc(nv ? nv : 1, sizeof *own);
    size_t *off = rg_xcalloc(nf, sizeof *off);
    hid_t *ft = rg_xcalloc(nf, sizeof *ft), *mt = rg_xcalloc(nf, sizeof *mt);
    unsigned char *buf = rg_xcalloc(sw->npoints ? sw->npoints : 1, row);
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID}; /* ftype, mtype, dset */
    int rc = -1;
    names[0] = F_POINT;
    ft[0] = H5T_STD_U64LE;
    mt[0] = H5T_NATIVE_UINT64;
    for (size_t v = 0; v < nv; v++) {
        names[1 + v] = sw->vars[v];
        off[1 + v] = 8 + 8 * v;
        ft[1 + v] = H5T_IEEE_F64LE;
        mt[1 + v] = H5T_NATIVE_DOUBLE;
        own[v] = rg_xasprintf("%s_text", sw->vars[v]);
        names[1 + nv + v] = own[v];
        off[1 + nv + v] = 8 + 8 * nv + ps * v;
        ft[1 + nv + v] = mt[1 + nv + v] = w->t.str;
    }
    for (size_t k = 0; k < sw->npoints; k++) {
        unsigned char *r = buf + k * row;
        uint64_t pk = k;
        memcpy(r, &pk, 8);
        for (size_t v = 0; v < nv; v++) {
            memcpy(r + 8 + 8 * v, &sw->value[k * nv + v], 8);
            const char *t = sw->text[k * nv + v] ? sw->text[k * nv + v] : "";
            memcpy(r + 8 + 8 * nv + ps * v, &t, ps);
        }
    }
    if ((ids[0] = compound(w, row, names, off, ft, nf)) < 0 ||
        (ids[1] = compound(w, row, names, off, mt, nf)) < 0)
        goto out;
    ids[2] = rh5_put_dset(w, f, D_POINTS, ids[0], ids[1], sw->npoints, buf, w->dcpl);
    rc = ids[2] < 0 ? -1 : 0;
out:
    rc = rh5_close_all(&w->c, ids, 3, rc);
    for (size_t v = 0; v < nv; v++)
        free(own[v]);
    free(own);
    free(names);
    free(off);
    free(ft);
    free(mt);
    free(buf);
    return rc;
}

/* One row of sweep_summary in memory. */
typedef struct srow {
    uint64_t point;
    const char *variant, *metric;
    uint64_t n;
    double st[NSTATS];
} srow;

static int put_summary(rh5_wctx *w, hid_t f, const rg_sweep *sw)
{
    const rg_results *a = sw->res[0];
    size_t nrow = sw->npoints * a->nvar * a->nmet, nf = 4 + NSTATS;
    srow *rows = rg_xcalloc(nrow ? nrow : 1, sizeof *rows);
    const char *names[4 + NSTATS] = {F_POINT, "variant", "metric", "n"};
    size_t off[4 + NSTATS] = {offsetof(srow, point), offsetof(srow, variant),
                              offsetof(srow, metric), offsetof(srow, n)};
    hid_t ft[4 + NSTATS] = {H5T_STD_U64LE, w->t.str, w->t.str, H5T_STD_U64LE};
    hid_t mt[4 + NSTATS] = {H5T_NATIVE_UINT64, w->t.str, w->t.str, H5T_NATIVE_UINT64};
    for (size_t s = 0; s < NSTATS; s++) {
        names[4 + s] = stat_names[s];
        off[4 + s] = offsetof(srow, st) + s * sizeof(double);
        ft[4 + s] = H5T_IEEE_F64LE;
        mt[4 + s] = H5T_NATIVE_DOUBLE;
    }
    size_t i = 0;
    for (size_t k = 0; k < sw->npoints; k++)
        for (size_t v = 0; v < a->nvar; v++)
            for (size_t m = 0; m < a->nmet; m++) {
                const rg_summary *s = rg_results_summary(sw->res[k], v, m);
                rows[i++] = (srow){
                    k,
                    a->varnames[v],
                    a->met[m].name,
                    s->n,
                    {s->mean, s->sd, s->ci95, s->min, s->max, s->p05, s->p50, s->p95, s->p99}};
            }
    hid_t ids[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID};
    int rc = -1;
    if ((ids[0] = compound(w, sizeof(srow), names, off, ft, nf)) < 0 ||
        (ids[1] = compound(w, sizeof(srow), names, off, mt, nf)) < 0)
        goto out;
    ids[2] = rh5_put_dset(w, f, D_SUMMARY, ids[0], ids[1], nrow, rows, w->dcpl);
    rc = ids[2] < 0 ? -1 : 0;
out:
    rc = rh5_close_all(&w->c, ids, 3, rc);
    free(rows);
    return rc;
}

/* Group point/<k>: its attributes and its variants. */
static int put_point(rh5_wctx *w, hid_t pts, const rg_sweep *sw, size_t k)
{
    const rg_results *r = sw->res[k];
    char name[32];
    snprintf(name, sizeof name, "%zu", k);
    hid_t g = H5Gcreate2(pts, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
    if (g < 0)
        return rh5_fail(&w->c, pts, name, "cannot create group");
    int rc = 0;
    bool complete = !r->interrupted && r->reps_done == r->reps;
    if (rh5_put_u64(w, g, A_POINT_SEED, sw->seed[k]) < 0 ||
        rh5_put_str(w, g, RH5_A_RESOLVED, sw->resolved[k]) < 0 ||
        rh5_put_u64(w, g, RH5_A_REPS_DONE, r->reps_done) < 0 ||
        rh5_put_int(w, g, RH5_A_COMPLETE, complete) < 0)
        rc = -1;
    for (size_t v = 0; v < sw->nvars && rc == 0; v++) {
        char *tn = rg_xasprintf("%s.text", sw->vars[v]);
        if (rh5_put_f64(w, g, sw->vars[v], sw->value[k * sw->nvars + v]) < 0 ||
            rh5_put_str(w, g, tn, sw->text[k * sw->nvars + v]) < 0)
            rc = -1;
        free(tn);
    }
    if (rc == 0)
        rc = rh5_put_variants(w, g, r);
    return rh5_close_all(&w->c, &g, 1, rc);
}

static int put_sweep(rh5_wctx *w, hid_t f, const void *jv)
{
    const job *j = jv;
    const rg_sweep *sw = j->sw;
    /* The root carries a run's attributes: the fewest replications done. */
    rg_results root = *sw->res[0];
    int *logs = rg_xcalloc(sw->nvars ? sw->nvars : 1, sizeof *logs);
    for (size_t k = 0; k < sw->npoints; k++) {
        if (sw->res[k]->reps_done < root.reps_done)
            root.reps_done = sw->res[k]->reps_done;
        root.interrupted = root.interrupted || sw->res[k]->interrupted;
    }
    for (size_t v = 0; v < sw->nvars; v++)
        logs[v] = sw->log[v];
    hid_t pts = H5I_INVALID_HID;
    int rc = -1;
    if (rh5_put_root(w, f, &root, j->meta) < 0 || rh5_put_int(w, f, RH5_A_SWEEP, 1) < 0 ||
        rh5_put_strs(w, f, A_VARS, (const char *const *)sw->vars, sw->nvars) < 0 ||
        rh5_put_attr(w, f, A_LOG, H5T_STD_I32LE, H5T_NATIVE_INT, false, sw->nvars, logs) < 0 ||
        rh5_put_u64(w, f, A_NPOINTS, sw->npoints) < 0 || rh5_put_int(w, f, A_CRN, sw->crn) < 0 ||
        put_points(w, f, sw) < 0 || put_summary(w, f, sw) < 0)
        goto out;
    if ((pts = H5Gcreate2(f, G_POINT, H5P_DEFAULT, w->gcpl, H5P_DEFAULT)) < 0) {
        rh5_fail(&w->c, f, G_POINT, "cannot create group");
        goto out;
    }
    for (size_t k = 0; k < sw->npoints; k++)
        if (put_point(w, pts, sw, k) < 0)
            goto out;
    rc = 0;
out:
    free(logs);
    return rh5_close_all(&w->c, &pts, 1, rc);
}

int rg_sweep_write(const char *path, const rg_sweep *sw, const rg_meta *meta, rg_err *e)
{
    if (rg_sweep_check(sw, e) < 0)
        return -1;
    job j = {sw, meta};
    return rh5_write_file(path, sw->res[0], put_sweep, &j, e);
}

/* ---- reading ------------------------------------------------------------ */

/* At most this many points and variables: more than any sweep the command
 * line can make, and a bound a damaged file cannot pass. */
#define READ_MAX_POINTS 1000000
#define READ_MAX_VARS 1000

/* Reads group point/<k> into sw. */
static int get_point(rh5_ctx *c, hid_t pts, rg_sweep *sw, size_t k, uint64_t reps)
{
    char name[32];
    snprintf(name, sizeof name, "%zu", k);
    hid_t g = rh5_open_group(c, pts, name);
    if (g < 0)
        return -1;
    uint64_t done = 0;
    int complete = 0, rc = 0;
    if (rh5_get_attr(c, g, A_POINT_SEED, H5T_NATIVE_UINT64, 1, &sw->seed[k]) < 0 ||
        rh5_get_str(c, g, RH5_A_RESOLVED, &sw->resolved[k]) < 0 ||
        rh5_get_attr(c, g, RH5_A_REPS_DONE, H5T_NATIVE_UINT64, 1, &done) < 0 ||
        rh5_get_attr(c, g, RH5_A_COMPLETE, H5T_NATIVE_INT, 1, &complete) < 0)
        rc = -1;
    if (rc == 0 && (done > reps || (complete && done != reps)))
        rc = rh5_bad(c, "point %zu: replications_done %llu of %llu%s", k, (unsigned long long)done,
                     (unsigned long long)reps, complete ? " in a complete point" : "");
    for (size_t v = 0; v < sw->nvars && rc == 0; v++) {
        char *tn = rg_xasprintf("%s.text", sw->vars[v]);
        if (rh5_get_attr(c, g, sw->vars[v], H5T_NATIVE_DOUBLE, 1, &sw->value[k * sw->nvars + v]) <
                0 ||
            rh5_get_str(c, g, tn, &sw->text[k * sw->nvars + v]) < 0)
            rc = -1;
        free(tn);
    }
    if (rc == 0 && rh5_read_variants(c, g, reps, done, &sw->res[k]) == 0) {
        sw->res[k]->seed = sw->seed[k];
        sw->res[k]->interrupted = !complete;
    } else {
        rc = -1;
    }
    return rh5_close_all(c, &g, 1, rc);
}

/* The sweep's own root attributes, into a new sweep. */
static rg_sweep *get_sweep_root(rh5_ctx *c, hid_t f)
{
    uint64_t np = 0;
    int crn = 0;
    hssize_t nv = rh5_attr_len(c, f, A_VARS);
    if (nv < 0 || rh5_get_attr(c, f, A_NPOINTS, H5T_NATIVE_UINT64, 1, &np) < 0 ||
        rh5_get_attr(c, f, A_CRN, H5T_NATIVE_INT, 1, &crn) < 0)
        return NULL;
    if (np == 0 || np > READ_MAX_POINTS || nv > READ_MAX_VARS) {
        rh5_bad(c, "a sweep of %llu points over %lld variables", (unsigned long long)np,
                (long long)nv);
        return NULL;
    }
    /* What rg_sweep_new allocates: per point and variable a value and a
     * text, per point a seed, a text and a result set. */
    if (rh5_spend(c, np * (uint64_t)(nv ? nv : 1), 16, "the points of the sweep") < 0 ||
        rh5_spend(c, np, 24, "the points of the sweep") < 0)
        return NULL;
    char **names = rh5_get_strs(c, f, A_VARS, (size_t)nv);
    int *logs = rg_xcalloc(nv ? (size_t)nv : 1, sizeof *logs);
    rg_sweep *sw = NULL;
    if (names != NULL && rh5_get_attr(c, f, A_LOG, H5T_NATIVE_INT, (size_t)nv, logs) == 0) {
        bool *lg = rg_xcalloc(nv ? (size_t)nv : 1, sizeof *lg);
        for (hssize_t v = 0; v < nv; v++)
            lg[v] = logs[v] != 0;
        sw = rg_sweep_new((size_t)nv, (const char *const *)names, lg, (size_t)np);
        sw->crn = crn != 0;
        free(lg);
    }
    for (hssize_t v = 0; names && v < nv; v++)
        free(names[v]);
    free(names);
    free(logs);
    return sw;
}

/* What one read of a sweep's file fills (rh5_read_fn). */
typedef struct sweepread {
    rg_sweep *sw;
    rg_meta meta;
} sweepread;

static void sweepread_drop(void *arg)
{
    sweepread *j = arg;
    rg_sweep_free(j->sw);
    rg_meta_free(&j->meta);
    j->sw = NULL;
}

static int read_sweep(rh5_ctx *c, hid_t f, void *arg)
{
    sweepread *j = arg;
    hid_t pts = H5I_INVALID_HID;
    uint64_t reps = 0, done = 0;
    bool sweep = false;
    int rc = -1;
    memset(j, 0, sizeof *j);
    if (rh5_get_root(c, f, &j->meta, &reps, &done, &sweep) < 0)
        goto out;
    if (!sweep) {
        rg_err_set(c->e, RG_ERR_INPUT, "%s holds a single run, not a sweep", c->prefix);
        goto out;
    }
    if ((j->sw = get_sweep_root(c, f)) == NULL || (pts = rh5_open_group(c, f, G_POINT)) < 0)
        goto out;
    for (size_t k = 0; k < j->sw->npoints; k++)
        if (get_point(c, pts, j->sw, k, reps) < 0)
            goto out;
    if (rg_sweep_check(j->sw, c->e) < 0)
        goto out;
    rc = 0;
out:
    rc = rh5_close_all(c, &pts, 1, rc);
    if (rc < 0)
        sweepread_drop(j);
    return rc;
}

int rg_sweep_read(const char *path, rg_sweep **out, rg_meta *meta, rg_err *e)
{
    /* the file's own directory, for a point's large table of replications */
    char *dir = rg_dir_of(path);
    rh5_ctx c = {.prefix = path, .e = e, .spill_dir = dir};
    sweepread j = {NULL, {0}};
    *out = NULL;
    memset(meta, 0, sizeof *meta);
    int rc = rh5_read_file(&c, path, read_sweep, sweepread_drop, &j);
    free(dir);
    if (rc < 0) {
        sweepread_drop(&j);
        return -1;
    }
    *out = j.sw;
    *meta = j.meta;
    return 0;
}
