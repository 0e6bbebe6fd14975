/*
 * histories.c: histories of operations from the command line: `trace
 * --history FILE` (one replication) and `run --histories DIR --rep-list
 * LIST` (the chosen replications of every variant run, as
 * DIR/<variant>-rep<N>.jsonl or .edn).  Each replication runs again by its
 * seed through the experiment's history operation (rg_run_history), so a
 * history is the one the run's row came from; each file is written whole
 * or not at all (util.h), never through a link.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "models/study.h"
#include "sim/run/runner.h"

/* A history file this program wrote: its first record's opening. */
static bool history_is_ours(const char *path)
{
    char head[16];
    return rg_file_head(path, head, sizeof head) >= 0 &&
           (head[0] == '\0' || strncmp(head, "{\"process\": ", 12) == 0 ||
            strncmp(head, "{:process ", 10) == 0);
}

int cli_history_write(const rg_study *l, const rg_runopts *o, size_t v, uint64_t rep,
                      const char *path, bool edn, bool force, rg_err *e)
{
    rg_atomic f;
    if (rg_atomic_open(&f, path, force, history_is_ours, e) < 0)
        return -1;
    int wrote;
    rg_repout *out = rg_run_history(l->ops, l->cfg, o, v, rep, f.f, edn, &wrote);
    bool failed = wrote < 0 || rg_repout_error(out) != NULL;
    if (failed && rg_repout_error(out) != NULL)
        rg_err_set(e, RG_ERR_INPUT, "%s: replication %" PRIu64 " of variant %s: %s", path, rep,
                   l->ops->variant_name(l->cfg, v), rg_repout_error(out));
    else if (failed)
        rg_err_set(e, RG_ERR_IO, "%s: cannot write the history", path);
    rg_repout_free(out);
    if (failed) {
        rg_atomic_discard(&f);
        return -1;
    }
    return rg_atomic_commit(&f, e);
}

/* Parses LIST ("0,5,10-12": replications and inclusive ranges) into
 * a sorted list without repeats, each below reps. */
static int parse_list(const char *list, uint64_t reps, uint64_t **out, size_t *n, rg_err *e)
{
    /* a bitmap of the replications named: reps is bounded by the run */
    uint8_t *seen = rg_xcalloc(reps / 8 + 1, 1);
    const char *p = list;
    int rc = 0;
    for (;;) {
        char *end;
        uint64_t a, b;
        if (*p < '0' || *p > '9')
            goto bad;
        errno = 0;
        a = b = strtoull(p, &end, 10);
        if (errno)
            goto bad;
        p = end;
        if (*p == '-') {
            p++;
            if (*p < '0' || *p > '9')
                goto bad;
            b = strtoull(p, &end, 10);
            if (errno || b < a)
                goto bad;
            p = end;
        }
        if (b >= reps) {
            rc = rg_err_set(e, RG_ERR_INPUT,
                            "--rep-list '%s': replication %" PRIu64 " is beyond the run's "
                            "%" PRIu64 " (replications 0..%" PRIu64 ")",
                            list, b, reps, reps - 1);
            goto out;
        }
        for (uint64_t r = a; r <= b; r++)
            seen[r / 8] |= (uint8_t)(1u << (r % 8));
        if (*p == '\0')
            break;
        if (*p++ != ',')
            goto bad;
    }
    *n = 0;
    *out = NULL;
    for (uint64_t r = 0; r < reps; r++)
        if (seen[r / 8] >> (r % 8) & 1) {
            *out = rg_xrealloc(*out, (*n + 1) * sizeof **out);
            (*out)[(*n)++] = r;
        }
    goto out;
bad:
    rc = rg_err_set(e, RG_ERR_INPUT,
                    "--rep-list '%s': expected replications and ranges separated by commas, "
                    "e.g. 0,5,10-12",
                    list);
out:
    free(seen);
    return rc;
}

/* The path of variant v's replication r under dir. */
static char *history_path(const cli_histories *h, const rg_study *l, size_t v, uint64_t r)
{
    return rg_xasprintf("%s/%s-rep%" PRIu64 ".%s", h->dir, l->ops->variant_name(l->cfg, v), r,
                        h->edn ? "edn" : "jsonl");
}

int cli_histories_prepare(const args *a, const rg_study *l, const size_t *only, size_t nonly,
                          cli_histories *h, rg_err *e)
{
    memset(h, 0, sizeof *h);
    if (a->histories == NULL)
        return a->rep_list ? rg_err_set(e, RG_ERR_INPUT, "--rep-list needs --histories DIR") : 0;
    if (l->ops->history == NULL)
        return rg_err_set(e, RG_ERR_INPUT,
                          "--histories: the %s experiment writes no histories (the drop does)",
                          l->model);
    if (parse_list(a->rep_list ? a->rep_list : "0", (uint64_t)l->reps, &h->reps, &h->nreps, e) < 0)
        return -1;
    h->dir = a->histories;
    h->edn = a->history_edn == 1;
    size_t nv = only ? nonly : l->ops->nvariants(l->cfg);
    h->vars = rg_xmalloc((nv ? nv : 1) * sizeof *h->vars);
    h->nvars = nv;
    for (size_t i = 0; i < nv; i++) {
        h->vars[i] = only ? only[i] : i;
        const char *name = l->ops->variant_name(l->cfg, h->vars[i]);
        if (strchr(name, '/') != NULL || name[0] == '.')
            return rg_err_set(e, RG_ERR_INPUT,
                              "--histories: variant '%s' cannot name a file (a '/' or a "
                              "leading '.')",
                              name);
    }
    struct stat st;
    if (lstat(h->dir, &st) == 0 && !S_ISDIR(st.st_mode))
        return rg_err_set(e, RG_ERR_INPUT, "--histories %s: not a directory", h->dir);
    if (rg_mkdir_p(h->dir, e) < 0)
        return -1;
    /* every file can be written, checked (and reserved) now, not after
     * the run */
    for (size_t i = 0; i < h->nvars; i++)
        for (size_t k = 0; k < h->nreps; k++) {
            char *p = history_path(h, l, h->vars[i], h->reps[k]);
            int rc = rg_atomic_reserve(p, a->force, history_is_ours, e);
            free(p);
            if (rc < 0)
                return -1;
        }
    return 0;
}

int cli_histories_write(const cli_histories *h, const rg_study *l, const rg_runopts *o, rg_err *e)
{
    rg_runopts one = *o;
    one.first_rep = 0;
    for (size_t i = 0; i < h->nvars; i++)
        for (size_t k = 0; k < h->nreps; k++) {
            char *p = history_path(h, l, h->vars[i], h->reps[k]);
            int rc = cli_history_write(l, &one, h->vars[i], h->reps[k], p, h->edn, true, e);
            free(p);
            if (rc < 0)
                return -1;
        }
    return 0;
}

void cli_histories_free(cli_histories *h)
{
    free(h->reps);
    free(h->vars);
    memset(h, 0, sizeof *h);
}
