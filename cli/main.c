/*
 * main.c: the revguard-sim command line.  Parses arguments, loads the
 * scenario, picks the subcommand, and is the only place that maps errors to
 * exit codes (util.h) and prints them.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <gsl/gsl_errno.h>

#include "cli/cli.h"
#include "models/drop/kind.h"
#include "cli/demo.h"
#include "models/study.h"
#include "sim/run/expect.h"
#include "models/registry.h"
#include "reports/report.h"
#include "sim/run/results.h"
#include "sim/run/runner.h"
#include "sim/run/sweep.h"
#include "sim/engine/scenario.h"

/* Per-replication results are held in memory until written: refuse runs
 * whose table alone would not fit, and say how big a large one will be. */
#define MAX_RESULT_BYTES (UINT64_C(4) << 30)
#define NOTE_RESULT_BYTES (UINT64_C(256) << 20)

static void usage(FILE *f)
{
    cli_usage(f, rg_report_gnuplot()[0] ? rg_report_gnuplot() : "gnuplot on PATH");
}

static void version(void)
{
    char libs[256];
    rg_results_lib_versions(libs, sizeof libs);
    printf("revguard-sim %s (%s)\n", PACKAGE_VERSION, libs);
}

static char *seed_set(const char *opt, const char *key, const char *arg, rg_err *e)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || errno == ERANGE || arg[0] == '-') {
        rg_err_set(e, RG_ERR_INPUT, "%s '%s': expected a non-negative integer", opt, arg);
        return NULL;
    }
    return rg_xasprintf("scenario.%s=%llu", key, v);
}

/* The CSV header of run --csv and trace: units in the column names. */
static void csv_header(FILE *f, const rg_metric *met, size_t nmet)
{
    fprintf(f, "variant,rep");
    for (size_t m = 0; m < nmet; m++) {
        char c[96];
        rg_csv_column(c, sizeof c, &met[m]);
        fprintf(f, ",%s", c);
    }
    fputc('\n', f);
}

static int write_csv(const char *path, bool force, const rg_results *r, rg_err *e)
{
    rg_atomic a;
    if (rg_atomic_open(&a, path, force, cli_csv_is_ours, e) < 0)
        return -1;
    FILE *f = a.f;
    csv_header(f, r->met, r->nmet);
    for (size_t v = 0; v < r->nvar; v++) {
        uint64_t gone = 0; /* spilled rows go back to their file as written */
        for (uint64_t i = 0; i < r->reps_done; i++) {
            rg_csv_field(f, r->varnames[v]);
            fprintf(f, ",%" PRIu64, i);
            for (size_t m = 0; m < r->nmet; m++)
                rg_csv_value(f, &r->met[m], r->rows[(v * r->reps + i) * r->nmet + m]);
            fputc('\n', f);
            if ((i + 1) % 4096 == 0)
                gone = rg_results_let_go(r, v, gone, i + 1);
        }
    }
    return rg_atomic_commit(&a, e);
}

static void args_free(args *a)
{
    for (size_t i = 0; i < a->nsets; i++)
        free(a->sets[i]);
    free(a->sets);
    free(a->origins);
    free(a->varies);
    free(a->until_ci);
}

static void push(char ***list, size_t *n, char *s)
{
    *list = rg_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = s;
}

/* A non-negative integer option value into *out; -1 if it is not one. */
static int count_arg(const char *opt, const char *arg, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (*arg == '\0' || *end != '\0' || errno || arg[0] == '-') {
        cli_usage_error("%s '%s': expected a non-negative integer", opt, arg);
        return -1; /* cli_usage_error's status is the exit code, not < 0 */
    }
    *out = v;
    return 0;
}

static void add_set(args *a, char *s, const char *origin)
{
    a->sets = rg_xrealloc(a->sets, (a->nsets + 1) * sizeof *a->sets);
    a->origins = rg_xrealloc(a->origins, (a->nsets + 1) * sizeof *a->origins);
    a->origins[a->nsets] = origin;
    a->sets[a->nsets++] = s;
}

/* getopt_long's view of the options table: every long name once, and
 * the short letters.  Both are static: built once. */
static const struct option *getopt_table(const char **shorts)
{
    static struct option lo[64];
    static char so[64] = ":";
    if (lo[0].name == NULL) {
        size_t n, k = 0;
        const cli_opt *o = cli_opts(&n);
        for (size_t i = 0; i < n; i++) {
            bool seen = false;
            for (size_t j = 0; j < k; j++)
                seen = seen || strcmp(lo[j].name, o[i].name) == 0;
            if (seen)
                continue;
            RG_ASSERT(k + 1 < sizeof lo / sizeof lo[0]);
            lo[k++] = (struct option){o[i].name, o[i].arg ? required_argument : no_argument, NULL,
                                      o[i].id};
            if (o[i].shortc) {
                size_t l = strlen(so);
                RG_ASSERT(l + 3 < sizeof so);
                so[l] = (char)o[i].shortc;
                so[l + 1] = o[i].arg ? ':' : '\0';
                so[l + 2] = '\0';
            }
        }
    }
    *shorts = so;
    return lo;
}

/* -1 (after a usage error) unless option id is one of command cmd's. */
static int check_applies(const char *cmd, int id)
{
    size_t n;
    const cli_opt *o = cli_opts(&n);
    const char *name = NULL;
    rg_buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (o[i].id != id)
            continue;
        if (cli_opt_applies(&o[i], cmd)) {
            rg_buf_free(&b);
            return 0;
        }
        name = o[i].name;
        rg_buf_printf(&b, "%s%s", b.len ? " " : "", o[i].cmds);
    }
    cli_usage_error("--%s is not an option of %s (it is one of: %s)%s", name ? name : "?", cmd,
                    b.s ? b.s : "",
                    id == OPT_REP ? "; run, sweep and find run every replication: -n sets how "
                                    "many"
                                  : "");
    rg_buf_free(&b);
    return -1;
}

/* Parses options after the command.  Returns 0, -1 after printing help,
 * or an exit code. */
static int parse_args(int argc, char **argv, args *a)
{
    rg_err e;
    rg_err_clear(&e);
    optind = 2;
    opterr = 0;
    int c;
    const char *shorts;
    const struct option *long_opts = getopt_table(&shorts);
    while ((c = getopt_long(argc, argv, shorts, long_opts, NULL)) != -1) {
        if (c != ':' && c != '?' && check_applies(a->cmd, c) < 0)
            return RG_EXIT_USAGE;
        char *s = NULL;
        switch (c) {
        case 'o': a->output = optarg; break;
        case 'n':
            if ((s = seed_set("--reps", "replications", optarg, &e)) == NULL)
                return cli_fail(&e);
            add_set(a, s, "--reps");
            break;
        case 's':
            if ((s = seed_set("--seed", "seed", optarg, &e)) == NULL)
                return cli_fail(&e);
            add_set(a, s, "--seed");
            break;
        case 'j': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 1 || v > 1024)
                return cli_usage_error("--threads '%s': expected an integer in [1, 1024]", optarg);
            a->threads = (int)v;
            break;
        }
        case 'q': a->quiet = true; break;
        case OPT_SET: add_set(a, rg_xstrdup(optarg), "--set"); break;
        case OPT_REPORT: a->report = optarg; break;
        case OPT_CSV: a->csv = optarg; break;
        case OPT_KEEP: a->keep = true; break;
        case OPT_FORCE: a->force = true; break;
        case OPT_VARIANT: a->variant = optarg; break;
        case OPT_EXPECT: a->expect = optarg; break;
        case OPT_WRITE_EXPECT: a->write_expect = optarg; break;
        case OPT_CHECK_DET: a->check_det = true; break;
        case OPT_REP:
            if (count_arg("--rep", optarg, &a->rep) < 0)
                return RG_EXIT_USAGE;
            a->rep_given = true;
            break;
        case OPT_POINT:
            if (count_arg("--point", optarg, &a->point) < 0)
                return RG_EXIT_USAGE;
            a->point_given = true;
            break;
        case OPT_MIN_REPS:
            if (count_arg("--min-reps", optarg, &a->min_reps) < 0)
                return RG_EXIT_USAGE;
            break;
        case OPT_MAX_REPS:
            if (count_arg("--max-reps", optarg, &a->max_reps) < 0)
                return RG_EXIT_USAGE;
            break;
        case OPT_MEMORY_LIMIT:
            if (cli_size_arg("--memory-limit", optarg, &a->mem_limit) < 0)
                return RG_EXIT_USAGE;
            break;
        case OPT_VARY: push(&a->varies, &a->nvaries, optarg); break;
        case OPT_UNTIL_CI: push(&a->until_ci, &a->nuntil_ci, optarg); break;
        case OPT_INDEPENDENT: a->independent = true; break;
        case OPT_METRIC: a->metrics = optarg; break;
        case OPT_UNTIL: a->until = optarg; break;
        case OPT_TOL: a->tol = optarg; break;
        case OPT_EXTEND: a->extend = optarg; break;
        case OPT_SHARD:
            if (cli_shard_parse(optarg, &a->shard_k, &a->shard_n, &e) < 0)
                return cli_fail(&e);
            break;
        case OPT_HISTORY: a->history = optarg; break;
        case OPT_HISTORIES: a->histories = optarg; break;
        case OPT_REP_LIST: a->rep_list = optarg; break;
        case OPT_HISTORY_FORMAT:
            if (strcmp(optarg, "jsonl") != 0 && strcmp(optarg, "edn") != 0)
                return cli_usage_error("--history-format '%s': expected jsonl or edn", optarg);
            a->history_edn = strcmp(optarg, "edn") == 0;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "json") != 0 && strcmp(optarg, "text") != 0)
                return cli_usage_error("--format '%s': expected json or text", optarg);
            a->json = strcmp(optarg, "json") == 0;
            break;
        case 'h': cli_help(stdout, a->cmd); return -1;
        case ':': return cli_usage_error("option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        a->file = argv[optind++];
    if (optind < argc && strcmp(a->cmd, "check") == 0)
        a->file2 = argv[optind++];
    if (strcmp(a->cmd, "merge") == 0) {
        a->files = argv + optind;
        a->nfiles = (size_t)(argc - optind);
        optind = argc;
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    return 0;
}

size_t cli_nmetrics(const rg_study *l)
{
    size_t n;
    l->ops->metrics(l->cfg, &n);
    return n;
}

/* What the experiment's report_extra prints for results r, captured for the
 * report's "model's own check" page, or NULL.  Its configuration comes from
 * the resolved scenario the results file stores. */
static char *report_extra_text(const rg_meta *m, const rg_results *r)
{
    char *text = NULL;
    size_t len = 0;
    rg_study l;
    rg_err e;
    rg_err_clear(&e);
    if (m->resolved == NULL || rg_study_open_mem(m->scenario_name ? m->scenario_name : "results",
                                                 m->resolved, strlen(m->resolved), &l, &e) < 0) {
        if (m->resolved != NULL)
            rg_study_close(&l);
        return NULL;
    }
    FILE *f = l.ops->report_extra ? open_memstream(&text, &len) : NULL;
    if (f != NULL) {
        l.ops->report_extra(l.cfg, r, f);
        fclose(f);
    }
    rg_study_close(&l);
    return text;
}

/* Writes the report of the results file at path into dir.  Roles are not
 * stored in results files: they come back from the experiment that wrote it. */
char *cli_report_dir(const rg_meta *m, const char *dir)
{
    if (dir != NULL)
        return rg_xstrdup(dir);
    /* The name comes from the file: never let it leave reports/out, and
     * never make a directory name of control characters or escapes:
     * anything but letters, digits and "._+-" becomes '_'. */
    const char *name = m->scenario_name ? m->scenario_name : "";
    bool tame = name[0] != '\0' && name[0] != '.' && strlen(name) <= 100;
    char *d = rg_xasprintf("reports/out/%s", tame ? name : "results");
    for (char *p = d + strlen("reports/out/"); *p; p++)
        if (!isalnum((unsigned char)*p) || (unsigned char)*p >= 0x80)
            *p = strchr("._+-", *p) ? *p : '_';
    return d;
}

int cli_report_file(const char *path, const char *dir, char **made, rg_err *e)
{
    rg_results *r = NULL;
    rg_meta m = {0};
    if (rg_results_read(path, &r, &m, e) < 0)
        return -1;
    char *d = cli_report_dir(&m, dir);
    const rg_experiment *ops = rg_experiment_find(m.model ? m.model : "");
    if (ops != NULL) {
        size_t n;
        const rg_metric *met = ops->metrics(NULL, &n);
        rg_results_adopt_roles(r, met, n);
    }
    char *extra = report_extra_text(&m, r);
    int rc = rg_mkdir_p(d, e);
    if (rc == 0)
        rc = rg_report_make(r, &m, extra, d, e);
    free(extra);
    rg_results_free(r);
    rg_meta_free(&m);
    if (rc == 0 && made != NULL)
        *made = d;
    else
        free(d);
    return rc;
}

/* check on a sweep's file: every point against [point.K.variant.NAME]. */
static int check_sweep(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    rg_sweep *sw = NULL;
    rg_meta m = {0};
    if (rg_sweep_read(a->file, &sw, &m, &e) < 0)
        return cli_fail(&e);
    int rc = 0, moved = rg_expect_check_points(a->file2, sw->res, sw->npoints, &m, stdout, &e);
    if (moved < 0)
        rc = cli_fail(&e);
    else if (moved > 0)
        rc = RG_EXIT_CHECK;
    rg_sweep_free(sw);
    rg_meta_free(&m);
    return rc;
}

static int cmd_check(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    if (a->file2 == NULL)
        return cli_usage_error("check needs RESULTS.h5 and EXPECTED");
    if (rg_results_is_sweep(a->file))
        return check_sweep(a);
    rg_results *r = NULL;
    rg_meta m = {0};
    int rc = 0;
    if (rg_results_read(a->file, &r, &m, &e) < 0) {
        rc = cli_fail(&e);
        goto out;
    }
    if (!m.complete)
        printf("note: %s holds an interrupted run (%" PRIu64 " of %" PRIu64 " replications)\n",
               a->file, r->reps_done, r->reps);
    int moved = rg_expect_check(a->file2, r, &m, stdout, &e);
    if (moved < 0)
        rc = cli_fail(&e);
    else if (moved > 0)
        rc = RG_EXIT_CHECK;
out:
    rg_results_free(r);
    rg_meta_free(&m);
    return rc;
}

static int cmd_validate(args *a)
{
    int sweep = cli_validate_sweep(a);
    if (sweep >= 0)
        return sweep;
    rg_err e;
    rg_err_clear(&e);
    rg_study l;
    if (cli_open_scenario(a, &l, &e) < 0)
        return cli_fail(&e);
    rg_buf b = {0};
    rg_scn_resolved(l.scn, &b);
    printf("; %s: valid (model %s, %zu variant%s)\n", a->file, l.model, l.ops->nvariants(l.cfg),
           l.ops->nvariants(l.cfg) == 1 ? "" : "s");
    fputs(b.s ? b.s : "", stdout);
    rg_buf_free(&b);
    rg_study_close(&l);
    return 0;
}

/* Before simulating: every output can be written, and the results fit in
 * memory. */
static int check_outputs(const args *a, const rg_study *l, const char *out, const char *spill,
                         rg_err *e)
{
    /* results/ for a default name; --extend writes the file it names */
    if (a->output == NULL && a->extend == NULL && rg_mkdir_p("results", e) < 0)
        return -1;
    if (rg_results_check_path(out, a->force, e) < 0)
        return -1;
    if (a->report && (rg_mkdir_p(a->report, e) < 0 || rg_report_dir_check(a->report, false, e) < 0))
        return -1;
    uint64_t bytes = (uint64_t)l->reps * l->ops->nvariants(l->cfg) *
                     (uint64_t)(sizeof(rg_mval) * (cli_nmetrics(l) + 1));
    if (bytes > MAX_RESULT_BYTES)
        return rg_scn_err(l->scn, "scenario", "replications", e,
                          "%" PRId64 " replications of %zu variants would hold %.1f GB of "
                          "results in memory (limit %.0f GB); run fewer replications per file",
                          l->reps, l->ops->nvariants(l->cfg), (double)bytes / 1e9,
                          (double)MAX_RESULT_BYTES / 1e9);
    /* What this process holds: a part holds its share (--shard). */
    uint64_t first = 0, reps = (uint64_t)l->reps;
    if (a->shard_n)
        cli_shard_block(reps, a->shard_k, a->shard_n, &first, &reps);
    uint64_t held =
        reps * l->ops->nvariants(l->cfg) * (uint64_t)(sizeof(rg_mval) * (cli_nmetrics(l) + 1));
    /* From REVGUARD_SPILL_MIN bytes the rows go to a file beside the
     * output (rg_results_spill; cmd_run): not into memory.  The same rows
     * the runner will make: the variants that run, this shard's share. */
    bool spills = false;
    uint64_t spill_min = 0;
    if (spill != NULL) {
        if (rg_results_spill_min(&spill_min, e) < 0)
            return -1;
        size_t *only = NULL, nonly = 0;
        if (cli_variants(a, l, &only, &nonly, e) < 0)
            return -1;
        size_t nvar = only != NULL ? nonly : l->ops->nvariants(l->cfg);
        free(only);
        uint64_t rows = (reps ? reps : 1) * nvar * (uint64_t)(sizeof(rg_mval) * cli_nmetrics(l));
        spills = rows >= spill_min && !rg_in_memory_fs(spill);
    }
    if (held > NOTE_RESULT_BYTES)
        fprintf(stderr,
                spills ? "revguard-sim: note: this run keeps about %.0f MB of per-replication "
                         "results in a file beside its output, not in memory\n"
                       : "revguard-sim: note: this run holds about %.0f MB of per-replication "
                         "results in memory\n",
                (double)held / 1e6);
    uint64_t resident = RG_SPILL_RESIDENT(reps, spill_min);
    if (cli_memory_check(a, l, spills && resident < held ? resident : held, e) < 0)
        return -1;
    return cli_check_files(a, e);
}

/* After a complete run: the report and the expectations.  Returns -1 with
 * e set, or 0. */
static int after_run(const args *a, const rg_results *r, const rg_meta *meta, const char *out,
                     rg_err *e)
{
    if (a->report) {
        if (cli_report_file(out, a->report, NULL, e) < 0)
            return -1;
        if (!a->quiet)
            printf("report: %s\n", a->report);
    }
    if (a->check_det && !a->quiet)
        printf("determinism: every replication ran twice with identical results\n");
    if (a->write_expect) {
        rg_results *one = (rg_results *)r;
        if (rg_expect_save(a->write_expect, &one, 1, meta, a->force, e) < 0)
            return -1;
        if (!a->quiet)
            printf("expectations: %s\n", a->write_expect);
    }
    if (a->expect) {
        printf("\n");
        int moved = rg_expect_check(a->expect, r, meta, stdout, e);
        if (moved < 0)
            return -1;
        if (moved > 0) {
            rg_err_set(e, RG_ERR_CHECK, "%d expectation%s of %s moved", moved,
                       moved == 1 ? "" : "s", a->expect);
            return -1;
        }
    }
    return 0;
}

void cli_fill_meta(const rg_study *l, const rg_results *r, rg_meta *meta)
{
    rg_buf resolved = {0};
    rg_scn_resolved(l->scn, &resolved);
    meta->tool_version = rg_xstrdup(PACKAGE_VERSION);
    meta->scenario_name = rg_xstrdup(l->name);
    meta->description = rg_xstrdup(l->description);
    meta->model = rg_xstrdup(l->model);
    meta->resolved = rg_xstrdup(resolved.s ? resolved.s : "");
    meta->seed = (uint64_t)l->seed;
    meta->complete = !r->interrupted;
    rg_buf_free(&resolved);
}

/* The values of a resolved text, without its comments (where each value
 * came from) and, unless keep_reps, without its [scenario] replications
 * line: the same for two runs that differ only in where a value was given,
 * or in how many replications they ask for.  New. */
static char *values_of(const char *resolved, bool keep_reps)
{
    rg_buf b = {0};
    for (const char *p = resolved; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
        /* values never hold " ;" (scenario.c): it starts the comment */
        const char *c = p;
        while (c < p + n && !(*c == ';' && (c == p || c[-1] == ' ')))
            c++;
        while (c > p && c[-1] == ' ')
            c--;
        if (c > p && (keep_reps || strncmp(p, "replications =", 14) != 0))
            rg_buf_printf(&b, "%.*s\n", (int)(c - p), p);
        p += n;
    }
    return b.s ? b.s : rg_xstrdup("");
}

/* --extend FILE: FILE's replications, then the ones after them up to the
 * scenario's count; none of the old ones runs again.  FILE must come from
 * the same scenario text, seed and version. */
static rg_results *extend_run(const args *a, const rg_study *l, rg_runopts o, rg_err *e)
{
    rg_results *old = NULL;
    rg_meta om = {0};
    if (rg_results_read(a->extend, &old, &om, e) < 0)
        return NULL;
    rg_buf res = {0};
    rg_scn_resolved(l->scn, &res);
    char *x = values_of(res.s ? res.s : "", false),
         *y = values_of(om.resolved ? om.resolved : "", false);
    int rc = 0;
    if (strcmp(x, y) != 0 || om.seed != o.seed ||
        strcmp(om.tool_version ? om.tool_version : "", PACKAGE_VERSION) != 0)
        rc = rg_err_set(e, RG_ERR_INPUT,
                        "--extend %s: the file comes from another scenario text, seed or "
                        "version (%s, seed %" PRIu64 "): extend only a run of the same ones",
                        a->extend, om.tool_version ? om.tool_version : "?", om.seed);
    else if (o.reps <= old->reps_done)
        rc = rg_err_set(e, RG_ERR_INPUT,
                        "--extend %s: it holds %" PRIu64 " replications already; ask for more "
                        "with -n",
                        a->extend, old->reps_done);
    else if (a->nuntil_ci > 0)
        rc = rg_err_set(e, RG_ERR_INPUT, "--extend and --until-ci do not go together");
    free(x);
    free(y);
    rg_buf_free(&res);
    rg_meta_free(&om);
    if (rc == 0) {
        /* Room for all the replications asked for: an interrupted extension
         * says how many were asked, as an interrupted run does. */
        uint64_t total = o.reps;
        o.first_rep = old->reps_done;
        o.reps -= old->reps_done;
        rg_results *more = rg_run(l->ops, l->cfg, &o, e);
        if (more == NULL || rg_results_grow(old, total, o.spill_dir, e) < 0 ||
            rg_results_append(old, more, e) < 0)
            rc = -1;
        else if (more->error)
            old->error = rg_xstrdup(more->error);
        rg_results_free(more);
    }
    if (rc < 0) {
        rg_results_free(old);
        return NULL;
    }
    old->seed = o.seed;
    return old;
}

/* True when the command line changes what a run of the scenario computes:
 * its values (--set, -n, -s, --vary), its variants or its replications. */
static bool overridden(const args *a)
{
    return a->nsets > 0 || a->nvaries > 0 || a->variant != NULL || a->nuntil_ci > 0;
}

/* The results file of a run: -o, the file --extend names, or under
 * results/ the scenario's name, its point, and for a run the command line
 * changed, a hash of what it computes (the resolved values, the variants,
 * the precision targets), so that such a run never replaces the results
 * of the scenario as shipped (which quickstart keeps) and two equal runs
 * share a name.  New. */
static char *default_output(const args *a, const rg_study *l)
{
    if (a->shard_n && !a->output)
        return rg_xasprintf("results/%s.part-%" PRIu64 "-of-%" PRIu64 ".h5", l->name, a->shard_k,
                            a->shard_n);
    if (a->extend)
        return rg_xstrdup(a->output ? a->output : a->extend);
    if (a->output)
        return rg_xstrdup(a->output);
    rg_buf b = {0};
    rg_buf_printf(&b, "results/%s", l->name);
    if (a->point_given)
        rg_buf_printf(&b, "-point%" PRIu64, a->point);
    if (overridden(a)) {
        rg_buf res = {0};
        rg_scn_resolved(l->scn, &res);
        char *vals = values_of(res.s ? res.s : "", true);
        rg_buf what = {0};
        rg_buf_printf(&what, "%s\n--variant %s\n", vals, a->variant ? a->variant : "");
        for (size_t i = 0; i < a->nuntil_ci; i++)
            rg_buf_printf(&what, "--until-ci %s\n", a->until_ci[i]);
        if (a->nuntil_ci > 0)
            rg_buf_printf(&what, "--min-reps %" PRIu64 " --max-reps %" PRIu64 "\n", a->min_reps,
                          a->max_reps);
        /* FNV-1a, 64 bits; 32 of them name the file */
        uint64_t h = UINT64_C(0xcbf29ce484222325);
        for (const unsigned char *p = (const unsigned char *)what.s; *p; p++)
            h = (h ^ *p) * UINT64_C(0x100000001b3);
        rg_buf_printf(&b, "-%08" PRIx64, h >> 32);
        rg_buf_free(&what);
        free(vals);
        rg_buf_free(&res);
    }
    rg_buf_printf(&b, ".h5");
    return b.s;
}

static int cmd_run(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    rg_study l = {0};
    rg_results *r = NULL;
    char *out = NULL, *spill = NULL;
    size_t *only = NULL, nonly = 0;
    int code = 0;
    rg_meta meta = {0};
    cli_histories hist = {0};
    bool json = a->json;
    if (json)
        a->quiet = true; /* stdout holds the JSON document alone */
    if (cli_open_scenario(a, &l, &e) < 0 || cli_variants(a, &l, &only, &nonly, &e) < 0)
        goto err;
    if (a->shard_n && cli_shard_refuse(a, &e) < 0)
        goto err;
    out = default_output(a, &l);
    /* A large run keeps its rows in a file beside the results (they are
     * written there anyway), not in memory (rg_results_spill), and so do
     * the replications an extension or a batch (--until-ci) joins to
     * earlier ones (rg_results_grow).  Under MPI, rank 0 only: it joins the
     * shares there, and the others may run where that directory is not. */
    if (cli_mpi_rank() == 0)
        spill = rg_dir_of(out);
    /* Fail before simulating if an output cannot be written. */
    int ready = check_outputs(a, &l, out, spill, &e);
    if (ready == 0)
        ready = cli_histories_prepare(a, &l, only, nonly, &hist, &e);
    if (cli_mpi_agree(ready, &e) < 0)
        goto err;

    rg_runopts o = cli_runopts(&l);
    o.check_determinism = a->check_det;
    o.threads = a->threads;
    o.keep_latencies = a->keep;
    o.progress = !a->quiet;
    o.only = only;
    o.nonly = nonly;
    o.spill_dir = spill;
    if (a->shard_n)
        cli_shard_block(o.reps, a->shard_k, a->shard_n, &o.first_rep, &o.reps);
    if (a->shard_n && o.reps == 0) {
        rg_err_set(&e, RG_ERR_INPUT,
                   "--shard %" PRIu64 "/%" PRIu64 ": %" PRId64 " replications leave this share "
                   "none; use fewer shards",
                   a->shard_k, a->shard_n, l.reps);
        goto err;
    }
    r = a->extend ? extend_run(a, &l, o, &e) : cli_run_study(a, &l, o, &e);
    if (r == NULL)
        goto err;
    if (cli_mpi_rank() > 0)
        goto done; /* rank 0 holds the run and writes it */
    if (r->error) {
        rg_err_set(&e, RG_ERR_INPUT, "%s: %s; nothing written", a->file, r->error);
        goto err;
    }
    if (r->nondeterministic) {
        rg_err_set(&e, RG_ERR_CHECK, "determinism check failed: %s; nothing written",
                   r->nondeterministic);
        goto err;
    }
    if (json) {
        cli_json_run(stdout, &l, r);
    } else if (!a->quiet) {
        rg_results_print(r, l.name, stdout);
        if (l.ops->report_extra)
            l.ops->report_extra(l.cfg, r, stdout);
    }
    cli_fill_meta(&l, r, &meta);
    if (a->shard_n) {
        meta.shard = a->shard_k;
        meta.shards = a->shard_n;
        meta.first_rep = o.first_rep;
        meta.total_reps = (uint64_t)l.reps;
    }
    if (r->reps_done > 0 || !r->interrupted) {
        if (rg_results_write(out, r, &meta, &e) < 0)
            goto err;
        if (!a->quiet)
            printf("\nresults: %s%s%s\n", out, r->interrupted ? " (incomplete)" : "",
                   a->output || a->extend || !overridden(a)
                       ? ""
                       : " (a name of its own: the command line changed the run)");
        if (a->csv && write_csv(a->csv, a->force, r, &e) < 0)
            goto err;
    }
    if (r->interrupted) {
        fprintf(stderr,
                "revguard-sim: interrupted: %" PRIu64 " of %" PRIu64 " replications complete%s\n",
                r->reps_done, r->reps, r->reps_done ? " and written" : "; nothing written");
        code = RG_EXIT_INTERRUPTED;
        goto done;
    }
    if (rg_run_signalled()) { /* after the last replication: all of it is written */
        fprintf(stderr, "revguard-sim: interrupted after the run; the results are written, "
                        "nothing more is done\n");
        code = RG_EXIT_INTERRUPTED;
        goto done;
    }
    if (hist.dir != NULL) {
        if (cli_histories_write(&hist, &l, &o, &e) < 0)
            goto err;
        if (!a->quiet)
            printf("histories: %s (%zu files)\n", hist.dir, hist.nvars * hist.nreps);
    }
    if (after_run(a, r, &meta, out, &e) < 0)
        goto err;
    goto done;
err:
    code = cli_fail(&e);
done:
    cli_histories_free(&hist);
    rg_meta_free(&meta);
    rg_results_free(r);
    free(out);
    free(spill);
    free(only);
    rg_study_close(&l);
    return code;
}

/* Before trace --history runs: the experiment writes histories and the
 * file can be written. */
static int check_history(const args *a, const rg_study *l, rg_err *e)
{
    if (l->ops->history == NULL)
        return rg_err_set(e, RG_ERR_INPUT,
                          "--history: the %s experiment writes no histories (the drop does)",
                          l->model);
    return rg_check_writable(a->history, "history file", e);
}

/* trace --history: the replication again (the same, by its seed), its
 * history written whole or not at all. */
static int write_history(const args *a, const rg_study *l, const rg_runopts *o, size_t v, rg_err *e)
{
    size_t n = strlen(a->history);
    bool edn = a->history_edn >= 0 ? a->history_edn == 1
                                   : n >= 4 && strcmp(a->history + n - 4, ".edn") == 0;
    return cli_history_write(l, o, v, a->rep, a->history, edn, true, e);
}

static int cmd_trace(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    rg_study l;
    if (cli_open_scenario(a, &l, &e) < 0)
        return cli_fail(&e);
    size_t nv = l.ops->nvariants(l.cfg), v;
    for (v = 0; v < nv; v++)
        if (a->variant && strcmp(l.ops->variant_name(l.cfg, v), a->variant) == 0)
            break;
    if (v == nv) {
        rg_buf b = {0};
        for (size_t i = 0; i < nv; i++)
            rg_buf_printf(&b, "%s%s", i ? ", " : "", l.ops->variant_name(l.cfg, i));
        rg_err_set(&e, RG_ERR_INPUT, "%s: --variant %s: expected one of %s", a->file,
                   a->variant ? a->variant : "(missing)", b.s);
        rg_buf_free(&b);
        rg_study_close(&l);
        return cli_fail(&e);
    }
    if (a->rep >= (uint64_t)l.reps) {
        rg_err_set(&e, RG_ERR_INPUT, "--rep %" PRIu64 ": the scenario has replications 0..%" PRId64,
                   a->rep, l.reps - 1);
        rg_study_close(&l);
        return cli_fail(&e);
    }
    if (a->history != NULL && check_history(a, &l, &e) < 0) {
        rg_study_close(&l);
        return cli_fail(&e);
    }
    size_t nmet;
    const rg_metric *met = l.ops->metrics(l.cfg, &nmet);
    rg_runopts o = cli_runopts(&l);
    printf("# %s: variant %s, replication %" PRIu64 ", seed %" PRId64 "\n", l.name,
           l.ops->variant_name(l.cfg, v), a->rep, l.seed);
    rg_repout *out = rg_run_one(l.ops, l.cfg, &o, v, a->rep, stdout);
    int rc = 0;
    if (rg_repout_error(out)) {
        rg_err_set(&e, RG_ERR_INPUT, "%s: replication %" PRIu64 " of variant %s: %s", a->file,
                   a->rep, l.ops->variant_name(l.cfg, v), rg_repout_error(out));
        rc = cli_fail(&e);
        goto out;
    }
    /* The same row as `run --csv` writes for this replication. */
    const rg_mval *row = rg_repout_row(out);
    printf("\n");
    csv_header(stdout, met, nmet);
    rg_csv_field(stdout, l.ops->variant_name(l.cfg, v));
    printf(",%" PRIu64, a->rep);
    for (size_t m = 0; m < nmet; m++)
        rg_csv_value(stdout, &met[m], row[m]);
    printf("\n");
    if (a->history != NULL && write_history(a, &l, &o, v, &e) < 0)
        rc = cli_fail(&e);
out:
    rg_repout_free(out);
    rg_study_close(&l);
    return rc;
}

static int cmd_report(args *a)
{
    rg_err e;
    rg_err_clear(&e);
    char *dir = NULL;
    int rc = 0;
    /* The file is read once, and the directory made only once it has been:
     * a file that cannot be read leaves nothing behind. */
    if ((rg_results_is_sweep(a->file) ? cli_report_sweep_file(a->file, a->output, &dir, &e)
                                      : cli_report_file(a->file, a->output, &dir, &e)) < 0)
        rc = cli_fail(&e);
    else
        printf("report: %s\n", dir);
    free(dir);
    return rc;
}

static int dispatch(int argc, char **argv);

/* The allocator, for a run of a million buyers: each variant's run frees
 * hundreds of MB of arrays of a few MB each, which the next variant
 * allocates again.  glibc maps such blocks one by one, from a threshold
 * it raises only as it goes, and gives them back at free: the next
 * variant pays a page fault per 4 KB to take them back.  Blocks under 32
 * MB now come from the arenas from the start and are reused.  At 10^6
 * buyers (sneaker-drop, three variants) this, with malloc_trim no longer
 * called after each replication, cuts the page faults of three
 * replications on one thread from 560,000 to 206,000, and of six on two
 * threads from 1.21 M to 0.40 M (10.3 s to 7.9 s), at peaks of 415 MB
 * against 413 and 689 MB against 658.  The trim threshold is left as it
 * is: raised too, it saved a third of the faults left, but each thread's
 * arena then kept that much freed memory (762 MB against 658). */
static void tune_allocator(void)
{
#ifdef __GLIBC__
    (void)mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

int main(int argc, char **argv)
{
    tune_allocator();
    cli_mpi_init(&argc, &argv);
    int rc = dispatch(argc, argv);
    cli_mpi_finalize();
    return rc;
}

static int dispatch(int argc, char **argv)
{
    /* Errors are statuses, never aborts inside GSL. */
    gsl_set_error_handler_off();
    /* Under `ulimit -f` a write fails with EFBIG, reported as an I/O error,
     * instead of killing the process half-way through a file. */
    (void)signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        usage(stderr);
        return RG_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "help") == 0 && argc > 2) {
        if (cli_help(stdout, argv[2]) == 0)
            return 0;
        return cli_usage_error("no command '%s'", argv[2]);
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        version();
        return 0;
    }
    if (strcmp(cmd, "demo") == 0)
        return rg_demo_main(argc, argv); /* it parses its own options */
    args a = {0};
    a.cmd = cmd;
    a.history_edn = -1;
    int rc;
    if (!cli_is_command(cmd)) {
        rc = cli_usage_error("unknown command '%s'", cmd);
        goto out;
    }
    cli_set_command(cmd);
    rc = parse_args(argc, argv, &a);
    if (rc != 0) {
        rc = rc < 0 ? 0 : rc;
        goto out;
    }
    if (strcmp(cmd, "models") == 0) {
        rc = cli_models(a.file);
        goto out;
    }
    if (a.file == NULL) {
        rc =
            cli_usage_error("%s needs a file: revguard-sim %s %s", cmd, cmd, cli_command_args(cmd));
        goto out;
    }
    /* REVGUARD_SPILL_MIN, read by every command that runs or reads
     * results: refused at once if malformed, not only where a table is
     * large enough to ask it. */
    uint64_t spill_min;
    rg_err se;
    rg_err_clear(&se);
    if (rg_results_spill_min(&spill_min, &se) < 0) {
        rc = cli_fail(&se);
        goto out;
    }
    if (strcmp(cmd, "run") == 0)
        rc = cmd_run(&a);
    else if (strcmp(cmd, "validate") == 0)
        rc = cmd_validate(&a);
    else if (strcmp(cmd, "trace") == 0)
        rc = cmd_trace(&a);
    else if (strcmp(cmd, "check") == 0)
        rc = cmd_check(&a);
    else if (strcmp(cmd, "sweep") == 0)
        rc = cmd_sweep(&a);
    else if (strcmp(cmd, "find") == 0)
        rc = cmd_find(&a);
    else if (strcmp(cmd, "merge") == 0)
        rc = cmd_merge(&a);
    else
        rc = cmd_report(&a);
out:
    /* A signal held by the runner while the results were written. */
    if (rg_run_release_signals() && rc == 0)
        rc = RG_EXIT_INTERRUPTED;
    args_free(&a);
    return rc;
}
