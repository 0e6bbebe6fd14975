/*
 * common.c: what every command of the command line shares: printing an
 * error and mapping it to an exit code, usage errors with their hint,
 * creating output directories, the run options a scenario sets, and the
 * check that named output files can be written.  main.c and the command
 * files (sweep.c, shard.c, models.c) call down into it; it calls none of
 * them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sim/run/expect.h"
#include "sim/run/results.h"
#include "sim/run/runner.h"
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

int cli_size_arg(const char *opt, const char *arg, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    int shift = 0;
    switch (*end) {
    case 'K':
    case 'k':
        shift = 10;
        end++;
        break;
    case 'M':
    case 'm':
        shift = 20;
        end++;
        break;
    case 'G':
    case 'g':
        shift = 30;
        end++;
        break;
    case 'T':
    case 't':
        shift = 40;
        end++;
        break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    v *= (double)((uint64_t)1 << shift);
    if (end == arg || *end != '\0' || errno || !(v >= 1) || v > 9e18) {
        cli_usage_error("%s '%s': expected a size such as 512M or 2G", opt, arg);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

/* n bytes as "512 kB", "3.2 MB", "1.50 GB" (powers of 1000). */
static void human_bytes(char *buf, size_t len, uint64_t n)
{
    if (n < 1000000)
        snprintf(buf, len, "%.0f kB", (double)n / 1e3);
    else if (n < 1000000000)
        snprintf(buf, len, "%.1f MB", (double)n / 1e6);
    else
        snprintf(buf, len, "%.2f GB", (double)n / 1e9);
}

/* The default memory limit: 3/4 of the machine's memory, leaving the rest
 * to the system and other programs (an assumption, not a measurement). */
static uint64_t default_mem_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    if (pages <= 0 || size <= 0)
        return 0;
    return (uint64_t)pages / 4 * 3 * (uint64_t)size;
}

/* Weak: present only in sanitizer builds, whose shadow memory a data
 * limit would count. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

int cli_memory_check(const args *a, const rg_study *l, uint64_t results_bytes, rg_err *e)
{
    uint64_t limit = a->mem_limit ? a->mem_limit : default_mem_limit();
    if (limit == 0)
        return 0;
    /* The variants that will run: with --variant, only those. */
    size_t *only = NULL, nonly = 0;
    if (cli_variants(a, l, &only, &nonly, e) < 0)
        return -1;
    size_t nvar = only != NULL ? nonly : l->ops->nvariants(l->cfg);
    uint64_t per = 0;
    size_t worst = 0;
    for (size_t k = 0; l->ops->mem_bytes && k < nvar; k++) {
        size_t v = only != NULL ? only[k] : k;
        uint64_t b = l->ops->mem_bytes(l->cfg, v, a->keep);
        if (b > per) {
            per = b;
            worst = v;
        }
    }
    free(only);
    uint64_t workers = a->threads > 0 ? (uint64_t)a->threads : (uint64_t)rg_ncores();
    /* Each worker is a thread: its stack counts against the data cap
     * below (RLIMIT_STACK's size, 8 MB by default). */
    struct rlimit st;
    uint64_t stack = getrlimit(RLIMIT_STACK, &st) == 0 && st.rlim_cur != RLIM_INFINITY
                         ? (uint64_t)st.rlim_cur
                         : UINT64_C(8) << 20;
    per += stack;
    uint64_t need = results_bytes + workers * per;
    char sneed[32], slimit[32], sres[32], sper[32];
    human_bytes(sneed, sizeof sneed, need);
    human_bytes(slimit, sizeof slimit, limit);
    human_bytes(sres, sizeof sres, results_bytes);
    human_bytes(sper, sizeof sper, per);
    if (need > limit) {
        if (per > stack)
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s: this run needs about %s (%s of results, and %s for each of "
                              "%" PRIu64 " workers: its stack and a replication of variant %s), "
                              "more than the memory limit of %s (--memory-limit; default 3/4 of "
                              "this machine's memory); use fewer workers (-j) or a smaller "
                              "scenario",
                              a->file, sneed, sres, sper, workers,
                              l->ops->variant_name(l->cfg, worst), slimit);
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s: this run needs about %s (%s of results, and %s of stack for each "
                          "of %" PRIu64 " workers), more than the memory limit of %s "
                          "(--memory-limit; default 3/4 of this machine's memory); run fewer "
                          "replications per file or use fewer workers (-j)",
                          a->file, sneed, sres, sper, workers, slimit);
    }
    char note[160];
    snprintf(note, sizeof note,
             "the run reached its memory limit of %s (--memory-limit); the scenario is too "
             "large for it",
             slimit);
    rg_oom_note(note);
    /* What the estimate cannot see (a model without one) stops at the
     * limit, with "out of memory", instead of taking the machine. */
    if (!__sanitizer_set_death_callback) {
        struct rlimit r;
        if (getrlimit(RLIMIT_DATA, &r) == 0 &&
            (r.rlim_cur == RLIM_INFINITY || r.rlim_cur > limit)) {
            r.rlim_cur = limit;
            (void)setrlimit(RLIMIT_DATA, &r);
        }
    }
    return 0;
}
