/*
 * shard.c: runs split across processes or machines.  `--shard K/N` makes a
 * run or a sweep compute only its share of the replications and write a
 * part; `merge OUT.h5 PART.h5...` checks that the parts come from one run
 * and cover every share exactly once, and writes the file the whole run
 * would have written.
 *
 * The share of K of N is a contiguous block of replications, the same for
 * every point of a sweep: replications floor(R (K-1) / N) up to, not
 * including, floor(R K / N).  A replication's streams depend only on the
 * seed and its index, so where it runs changes nothing, and parts joined
 * in replication order give the unsharded datasets byte for byte.
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sim/run/sweep.h"

int cli_shard_parse(const char *arg, uint64_t *k, uint64_t *n, rg_err *e)
{
    char *end;
    unsigned long long a = strtoull(arg, &end, 10), b = 0;
    bool good = end != arg && *end == '/' && arg[0] != '-';
    if (good) {
        const char *s = end + 1;
        b = strtoull(s, &end, 10);
        good = end != s && *end == '\0' && s[0] != '-' && a >= 1 && a <= b && b <= 1000000;
    }
    if (!good)
        return rg_err_set(e, RG_ERR_INPUT,
                          "--shard '%s': expected K/N with 1 <= K <= N (this process's share "
                          "of N)",
                          arg);
    *k = a;
    *n = b;
    return 0;
}

void cli_shard_block(uint64_t total, uint64_t k, uint64_t n, uint64_t *first, uint64_t *count)
{
    /* 128-bit products: total and n are both bounded, but their product
     * need not fit 64 bits in general. */
    unsigned __int128 lo = (unsigned __int128)total * (k - 1) / n;
    unsigned __int128 hi = (unsigned __int128)total * k / n;
    *first = (uint64_t)lo;
    *count = (uint64_t)(hi - lo);
}

int cli_shard_refuse(const args *a, rg_err *e)
{
    if (a->extend || a->nuntil_ci || a->expect || a->write_expect || a->report || a->csv)
        return rg_err_set(e, RG_ERR_INPUT,
                          "--shard %" PRIu64 "/%" PRIu64 ": a part holds some replications only; "
                          "--extend, --until-ci, --expect, --write-expect, --report and --csv "
                          "apply to the merged file",
                          a->shard_k, a->shard_n);
    return 0;
}

/* ---- merge ----------------------------------------------------------------- */

/* One part: its root as looked at (rg_results_look), then its
 * replications as read. */
typedef struct part {
    const char *path;
    rg_meta m;
    uint64_t done; /* replications done (per point in a sweep) */
    bool sweep;
    rg_results *r; /* a run's */
    rg_sweep *sw;  /* a sweep's */
} part;

static void part_free(part *p)
{
    rg_meta_free(&p->m);
    rg_results_free(p->r);
    rg_sweep_free(p->sw);
}

/* Checks parts[0..n-1] (looked at) against each other: one run, every
 * share once.  Sorts them by share. */
static int check_parts(part *p, size_t n, rg_err *e)
{
    const rg_meta *m0 = &p[0].m;
    for (size_t i = 0; i < n; i++) {
        const rg_meta *m = &p[i].m;
        if (m->shards == 0)
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s is not a part of a sharded run (it was not written with "
                              "--shard)",
                              p[i].path);
        if (!m->complete)
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s is incomplete (shard %" PRIu64 " of %" PRIu64
                              " was interrupted): run that share again",
                              p[i].path, m->shard, m->shards);
        const char *what = p[i].sweep != p[0].sweep                         ? "kind (run or sweep)"
                           : m->shards != m0->shards                        ? "number of shards"
                           : m->seed != m0->seed                            ? "seed"
                           : m->total_reps != m0->total_reps                ? "replications"
                           : strcmp(m->tool_version, m0->tool_version) != 0 ? "version"
                           : strcmp(m->resolved, m0->resolved) != 0         ? "scenario text"
                                                                            : NULL;
        if (what != NULL)
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s is foreign: its %s differs from %s's; merge parts of one run",
                              p[i].path, what, p[0].path);
    }
    for (size_t i = 1; i < n; i++) /* insertion sort by share */
        for (size_t j = i; j > 0 && p[j].m.shard < p[j - 1].m.shard; j--) {
            part t = p[j];
            p[j] = p[j - 1];
            p[j - 1] = t;
        }
    uint64_t want = 1;
    for (size_t i = 0; i < n; i++) {
        if (p[i].m.shard < want)
            return rg_err_set(e, RG_ERR_INPUT,
                              "shard %" PRIu64 " of %" PRIu64 " is given twice: %s and %s",
                              p[i].m.shard, m0->shards, p[i - 1].path, p[i].path);
        if (p[i].m.shard > want)
            return rg_err_set(e, RG_ERR_INPUT,
                              "shard %" PRIu64 " of %" PRIu64
                              " is missing: merge needs every share once",
                              want, m0->shards);
        uint64_t first, count;
        cli_shard_block(m0->total_reps, p[i].m.shard, m0->shards, &first, &count);
        if (p[i].m.first_rep != first || p[i].done != count)
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s: shard %" PRIu64 " of %" PRIu64
                              " should hold replications %" PRIu64 " to %" PRIu64,
                              p[i].path, p[i].m.shard, m0->shards, first, first + count);
        want++;
    }
    if (want <= m0->shards)
        return rg_err_set(e, RG_ERR_INPUT,
                          "shard %" PRIu64 " of %" PRIu64 " is missing: merge needs every share "
                          "once",
                          want, m0->shards);
    return 0;
}

/* True if some variant of r kept its raw latencies (--keep-latencies). */
static bool keeps_latencies(const rg_results *r)
{
    for (size_t v = 0; v < r->nvar; v++)
        if (r->lat[v] != NULL)
            return true;
    return false;
}

/* Checks that part b, read, can join part a: the same variants and
 * metrics, and raw latencies kept by both or neither (one run's options:
 * --variant and --keep-latencies are not in the scenario text). */
static int same_shape(const part *a, const part *b, rg_err *e)
{
    size_t np = a->sw ? a->sw->npoints : 1;
    const char *what = a->sw && (a->sw->npoints != b->sw->npoints || a->sw->nvars != b->sw->nvars)
                           ? "points"
                           : NULL;
    for (size_t k = 0; what == NULL && k < np; k++) {
        const rg_results *x = a->sw ? a->sw->res[k] : a->r, *y = b->sw ? b->sw->res[k] : b->r;
        bool same = x->nvar == y->nvar && x->nmet == y->nmet;
        for (size_t v = 0; same && v < x->nvar; v++)
            same = strcmp(x->varnames[v], y->varnames[v]) == 0;
        for (size_t m = 0; same && m < x->nmet; m++)
            same = strcmp(x->met[m].name, y->met[m].name) == 0 && x->met[m].type == y->met[m].type;
        what = !same                                      ? "variants or metrics"
               : keeps_latencies(x) != keeps_latencies(y) ? "raw latencies (--keep-latencies)"
                                                          : NULL;
    }
    if (what != NULL)
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s is foreign: its %s differ from %s's; merge parts of one run", b->path,
                          what, a->path);
    return 0;
}

/* Reads part p, whose root check_parts passed, and checks that the file
 * still says what it said then. */
static int read_part(part *p, rg_err *e)
{
    rg_meta m;
    int rc =
        p->sweep ? rg_sweep_read(p->path, &p->sw, &m, e) : rg_results_read(p->path, &p->r, &m, e);
    if (rc < 0)
        return -1;
    bool same = m.seed == p->m.seed && m.complete == p->m.complete && m.shard == p->m.shard &&
                m.shards == p->m.shards && m.first_rep == p->m.first_rep &&
                m.total_reps == p->m.total_reps && strcmp(m.tool_version, p->m.tool_version) == 0 &&
                strcmp(m.resolved, p->m.resolved) == 0;
    for (size_t k = 0; same && k < (p->sw ? p->sw->npoints : 1); k++)
        same = (p->sw ? p->sw->res[k] : p->r)->reps_done == p->done;
    rg_meta_free(&m);
    if (!same)
        return rg_err_set(e, RG_ERR_INPUT, "%s changed while it was being merged", p->path);
    return 0;
}

/* Reads the parts, in share order, and joins their replications into
 * p[0]'s result sets, whose rows are made once for the whole run first (in
 * an unnamed file in dir where they are large: rg_results_grow).  Each
 * later part is let go once joined, so merging holds one part at a time
 * besides the whole, and spilled rows a few pages at a time. */
static int join_parts(part *p, size_t n, const char *dir, rg_err *e)
{
    uint64_t total = p[0].m.total_reps;
    if (read_part(&p[0], e) < 0)
        return -1;
    size_t np = p[0].sw ? p[0].sw->npoints : 1;
    for (size_t k = 0; k < np; k++)
        if (rg_results_grow(p[0].sw ? p[0].sw->res[k] : p[0].r, total, dir, e) < 0)
            return -1;
    for (size_t i = 1; i < n; i++) {
        if (read_part(&p[i], e) < 0 || same_shape(&p[0], &p[i], e) < 0)
            return -1;
        for (size_t k = 0; k < np; k++)
            if (rg_results_append(p[0].sw ? p[0].sw->res[k] : p[0].r,
                                  p[i].sw ? p[i].sw->res[k] : p[i].r, e) < 0)
                return -1;
        rg_results_free(p[i].r);
        rg_sweep_free(p[i].sw);
        p[i].r = NULL;
        p[i].sw = NULL;
    }
    return 0;
}

int cmd_merge(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    size_t n = a->nfiles;
    part *p = rg_xcalloc(n ? n : 1, sizeof *p);
    char *dir = NULL; /* OUT's, for the rows of a large run */
    int code = 0;
    if (n == 0) {
        code = cli_usage_error("merge needs OUT.h5 and the parts: merge OUT.h5 PART.h5...");
        goto out;
    }
    struct stat so, sp;
    for (size_t i = 0; i < n && stat(a->file, &so) == 0; i++)
        if (stat(a->files[i], &sp) == 0 && sp.st_dev == so.st_dev && sp.st_ino == so.st_ino) {
            rg_err_set(&e, RG_ERR_INPUT,
                       "%s: the merged file would replace the part %s; write it elsewhere", a->file,
                       a->files[i]);
            goto err;
        }
    if (rg_results_check_path(a->file, a->force, &e) < 0)
        goto err;
    for (size_t i = 0; i < n; i++) {
        p[i].path = a->files[i];
        if (rg_results_look(p[i].path, &p[i].m, &p[i].done, &p[i].sweep, &e) < 0)
            goto err;
    }
    dir = rg_dir_of(a->file);
    if (check_parts(p, n, &e) < 0 || join_parts(p, n, dir, &e) < 0)
        goto err;
    rg_meta m = p[0].m;
    m.shard = m.shards = m.first_rep = m.total_reps = 0;
    m.created = NULL; /* now */
    int rc = p[0].r ? rg_results_write(a->file, p[0].r, &m, &e)
                    : rg_sweep_write(a->file, p[0].sw, &m, &e);
    if (rc < 0)
        goto err;
    if (!a->quiet)
        printf("merged %zu parts (%" PRIu64 " replications%s) into %s\n", n, p[0].m.total_reps,
               p[0].sw ? " a point" : "", a->file);
    goto out;
err:
    code = cli_fail(&e);
out:
    for (size_t i = 0; i < n; i++)
        part_free(&p[i]);
    free(p);
    free(dir);
    return code;
}
