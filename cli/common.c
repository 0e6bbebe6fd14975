/*
 * common.c: what every command of the command line shares: printing an
 * error and mapping it to an exit code, usage errors with their hint,
 * creating output directories, the run options a scenario sets, and the
 * check that named output files can be written.  main.c and the command
 * files (sweep.c, shard.c, models.c) call down into it; it calls none of
 * them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "sim/run/expect.h"
#include "sim/run/results.h"
#include "sim/engine/scenario.h"

int cli_fail(const rg_err *e)
{
    fprintf(stderr, "revguard-sim: %s\n", e->msg);
    return rg_err_exit_code(e);
}

/* The command being parsed, for the hint of a usage error. */
static const char *g_cmd;

void cli_set_command(const char *cmd)
{
    g_cmd = cmd;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "revguard-sim: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'revguard-sim %s%s--help'.\n", g_cmd ? g_cmd : "", g_cmd ? " " : "");
    return RG_EXIT_USAGE;
}

int cli_mkdir_p(const char *dir, rg_err *e)
{
    char *d = rg_xstrdup(dir);
    for (char *p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(d, 0777) < 0 && errno != EEXIST) {
            rg_err_set(e, RG_ERR_IO, "cannot create directory %s: %s", d, strerror(errno));
            free(d);
            return -1;
        }
        *p = '/';
    }
    int rc = 0;
    struct stat st;
    if (mkdir(d, 0777) < 0 && errno != EEXIST)
        rc = rg_err_set(e, RG_ERR_IO, "cannot create directory %s: %s", d, strerror(errno));
    else if (stat(d, &st) < 0 || !S_ISDIR(st.st_mode))
        rc = rg_err_set(e, RG_ERR_IO, "cannot create directory %s: a file of that name exists", d);
    free(d);
    return rc;
}

/* The run options that come from the scenario itself. */
rg_runopts cli_runopts(const rg_study *l)
{
    rg_runopts o = {0};
    o.seed = (uint64_t)l->seed;
    o.reps = (uint64_t)l->reps;
    o.max_events = (uint64_t)l->max_events;
    o.rng_type = l->rng_type;
    o.label = l->name;
    return o;
}

int cli_check_files(const args *a, rg_err *e)
{
    if (a->expect) {
        rg_scn *x = rg_scn_load_as(a->expect, "expectations file", e);
        if (x == NULL)
            return -1;
        rg_scn_free(x);
    }
    /* Reserved now (rg_atomic_reserve): refused before the run if they
     * cannot be written or are not ours to replace, not after it. */
    if (a->write_expect && (rg_check_writable(a->write_expect, "expectations file", e) < 0 ||
                            rg_atomic_reserve(a->write_expect, a->force, rg_expect_is_ours, e) < 0))
        return -1;
    if (a->csv && (rg_check_writable(a->csv, "CSV file", e) < 0 ||
                   rg_atomic_reserve(a->csv, a->force, cli_csv_is_ours, e) < 0))
        return -1;
    return 0;
}

bool cli_csv_is_ours(const char *path)
{
    char head[16];
    return rg_file_head(path, head, sizeof head) > 0 && strncmp(head, "variant,rep,", 12) == 0;
}
