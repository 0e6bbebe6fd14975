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

/* One part as read. */
typedef struct part {
    const char *path;
    rg_meta m;
    rg_results *r; /* a run's */
    rg_sweep *sw;  /* a sweep's */
} part;

static void part_free(part *p)
{
    rg_meta_free(&p->m);
    rg_results_free(p->r);
    rg_sweep_free(p->sw);
}

/* Checks parts[0..n-1] (read) against each other: one run, every share
 * once.  Sorts them by share. */
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
        const char *what = (p[i].sw != NULL) != (p[0].sw != NULL)           ? "kind (run or sweep)"
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
        uint64_t done = p[i].r ? p[i].r->reps_done : p[i].sw->res[0]->reps_done;
        if (p[i].m.first_rep != first || done != count)
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

/* Joins the parts' replications, in share order, into p[0]. */
static int join_parts(part *p, size_t n, rg_err *e)
{
    for (size_t i = 1; i < n; i++) {
        if (p[0].r != NULL) {
            if (rg_results_append(p[0].r, p[i].r, e) < 0)
                return -1;
            continue;
        }
        rg_sweep *a = p[0].sw, *b = p[i].sw;
        if (a->npoints != b->npoints || a->nvars != b->nvars)
            return rg_err_set(e, RG_ERR_INPUT, "%s: its points differ from %s's", p[i].path,
                              p[0].path);
        for (size_t k = 0; k < a->npoints; k++)
            if (rg_results_append(a->res[k], b->res[k], e) < 0)
                return -1;
    }
    return 0;
}

int cmd_merge(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    size_t n = a->nfiles;
    part *p = rg_xcalloc(n ? n : 1, sizeof *p);
    int code = 0;
    if (n == 0) {
        code = cli_usage_error("merge needs OUT.h5 and the parts: merge OUT.h5 PART.h5...");
        goto out;
    }
    if (rg_results_check_path(a->file, a->force, &e) < 0)
        goto err;
    for (size_t i = 0; i < n; i++) {
        p[i].path = a->files[i];
        int rc = rg_results_is_sweep(p[i].path) ? rg_sweep_read(p[i].path, &p[i].sw, &p[i].m, &e)
                                                : rg_results_read(p[i].path, &p[i].r, &p[i].m, &e);
        if (rc < 0)
            goto err;
    }
    if (check_parts(p, n, &e) < 0 || join_parts(p, n, &e) < 0)
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
    return code;
}
