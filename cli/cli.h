/*
 * cli.h: what the subcommands of the program share: the parsed command
 * line, error reporting and exit codes, opening a scenario (or one point
 * of a sweep), run options from a scenario, and the report of a results
 * file.  The program is the only layer that prints errors and picks exit
 * codes.
 */
#ifndef RG_CLI_H
#define RG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/study.h"
#include "sim/engine/iter.h"
#include "sim/run/results.h"
#include "sim/run/runner.h"
#include "sim/run/sweep.h"

typedef struct args {
    const char *cmd, *file, *file2;
    const char *output, *report, *csv, *variant, *expect, *write_expect;
    char **sets;
    const char **origins; /* the option each override came from */
    size_t nsets;
    char **varies; /* --vary NAME=SPEC */
    size_t nvaries;
    int threads;
    bool quiet, keep, force, rep_given, check_det;
    uint64_t rep;
    bool point_given, independent;
    uint64_t point;
    const char *metrics; /* --metric a,b */
    bool json;           /* --format json */
    const char *until, *tol;
    const char *extend;
    char **until_ci; /* --until-ci METRIC=HALFWIDTH */
    size_t nuntil_ci;
    uint64_t min_reps, max_reps;
    uint64_t mem_limit;        /* --memory-limit in bytes; 0: a share of the machine's */
    uint64_t shard_k, shard_n; /* --shard K/N; shard_n 0: the whole run */
    char **files;              /* merge's parts */
    size_t nfiles;
    const char *history;              /* trace --history FILE */
    int history_edn;                  /* --history-format: -1 from the name, 0 jsonl, 1 edn */
    const char *histories, *rep_list; /* run --histories DIR --rep-list LIST */
    /* sweep and find: where each point keeps rows that reach
     * REVGUARD_SPILL_MIN (the output's directory; NULL: in memory, as on
     * MPI ranks but rank 0) */
    char *spill_dir;
} args;

/* The values getopt returns for options without a short form. */
enum {
    OPT_SET = 256,
    OPT_REPORT,
    OPT_CSV,
    OPT_KEEP,
    OPT_FORCE,
    OPT_VARIANT,
    OPT_REP,
    OPT_EXPECT,
    OPT_WRITE_EXPECT,
    OPT_CHECK_DET,
    OPT_VARY,
    OPT_POINT,
    OPT_INDEPENDENT,
    OPT_METRIC,
    OPT_FORMAT,
    OPT_UNTIL,
    OPT_TOL,
    OPT_UNTIL_CI,
    OPT_MIN_REPS,
    OPT_MAX_REPS,
    OPT_MEMORY_LIMIT,
    OPT_EXTEND,
    OPT_SHARD,
    OPT_HISTORY,
    OPT_HISTORY_FORMAT,
    OPT_HISTORIES,
    OPT_REP_LIST
};

/* One row of the options table (help.c): the parser accepts an option for
 * a command only if a row names both, and the command's help lists those
 * rows. */
typedef struct cli_opt {
    const char *name; /* the long name, without "--" */
    int shortc;       /* the short letter, or 0 */
    int id;           /* what getopt_long returns for it */
    const char *arg;  /* the value's name in the help; NULL: takes none */
    const char *cmds; /* the commands that take it: "run sweep find" */
    const char *help; /* one sentence, for COMMAND --help */
} cli_opt;

/* The table, *n rows. */
const cli_opt *cli_opts(size_t *n);
/* True if row o is an option of command cmd. */
bool cli_opt_applies(const cli_opt *o, const char *cmd);
/* True if cmd is a command of the program. */
bool cli_is_command(const char *cmd);
/* What command cmd takes after its name ("SCENARIO.ini [options]"). */
const char *cli_command_args(const char *cmd);
/* The overview (--help); gnuplot names the default gnuplot program. */
void cli_usage(FILE *f, const char *gnuplot);
/* Command cmd's help (COMMAND --help): usage, options, an example.
 * Returns -1 if cmd is no command. */
int cli_help(FILE *f, const char *cmd);

/* Prints "revguard-sim: <message>" and returns e's exit code. */
int cli_fail(const rg_err *e);
/* The command whose --help a usage error points to. */
void cli_set_command(const char *cmd);
/* Prints a usage error and returns the usage exit code. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The scenario's iteration variables: its text and the --set values
 * scanned, --vary applied, and planned (brackets allowed for find).  The
 * scenario's text is kept in *text (new).  NULL with e set on error. */
rg_iter *cli_iter(const args *a, bool allow_bracket, char **text, rg_err *e);
/* Opens point k of it (from cli_iter) as a study; its values in vals[v]
 * where not NULL (find), else point k's. */
int cli_open_point(const args *a, const rg_iter *it, size_t k, const char *const *vals, rg_study *l,
                   rg_err *e);
/* Opens the scenario of the command line.  A scenario with iteration
 * variables needs --point K (else an error that says to use sweep). */
int cli_open_scenario(const args *a, rg_study *l, rg_err *e);

/* Before any simulation: --expect reads as an expectations file, and
 * --write-expect and --csv can be written and are reserved (never a link,
 * a device, a FIFO or a file the program did not write, without --force).
 * -1 with e naming the file. */
int cli_check_files(const args *a, rg_err *e);
/* Parses SIZE (bytes, or with K, M, G or T: binary multiples) of option
 * opt into *out; prints the usage error and returns -1 if it is none. */
int cli_size_arg(const char *opt, const char *arg, uint64_t *out);
/* --memory-limit: estimates the run's memory (results_bytes, plus one
 * replication per worker where the experiment can estimate it) and
 * refuses, with the estimate, a run that will not fit the limit (the
 * option, or 3/4 of the machine's memory); then caps the process's data
 * at the limit, so that a run the estimate missed stops at the limit
 * instead of taking the machine's memory.  -1 with e set. */
int cli_memory_check(const args *a, const rg_study *l, uint64_t results_bytes, rg_err *e);
/* True if the file at path is a CSV file of run --csv (its header). */
bool cli_csv_is_ours(const char *path);

/* Histories (histories.c).  Writes replication rep of variant v as a
 * history to path (EDN if edn, else JSON lines), whole or not at all;
 * an existing file is replaced only if force or it is a history. */
int cli_history_write(const rg_study *l, const rg_runopts *o, size_t v, uint64_t rep,
                      const char *path, bool edn, bool force, rg_err *e);
/* run --histories DIR --rep-list LIST: what to write. */
typedef struct cli_histories {
    const char *dir; /* NULL: none */
    bool edn;
    uint64_t *reps; /* the replications, sorted */
    size_t nreps;
    size_t *vars; /* the variants run */
    size_t nvars;
} cli_histories;
/* Before the run: checks the list (each replication below the run's),
 * that the experiment writes histories, and that DIR is (or is made) a
 * directory where every file can be written.  -1 with e set (input errors
 * exit 2). */
int cli_histories_prepare(const args *a, const rg_study *l, const size_t *only, size_t nonly,
                          cli_histories *h, rg_err *e);
/* After the run: writes every chosen replication of every variant. */
int cli_histories_write(const cli_histories *h, const rg_study *l, const rg_runopts *o, rg_err *e);
void cli_histories_free(cli_histories *h);

size_t cli_nmetrics(const rg_study *l);
rg_runopts cli_runopts(const rg_study *l);
void cli_fill_meta(const rg_study *l, const rg_results *r, rg_meta *meta);
/* Parses --variant A,B against the study's variants into *only (new) and
 * *n; no --variant: *only NULL.  -1 with e set for a name it lacks. */
int cli_variants(const args *a, const rg_study *l, size_t **only, size_t *n, rg_err *e);
/* The directory of a report: dir (copied), or for dir NULL
 * reports/out/<m's scenario name>, tamed so that it stays there. */
char *cli_report_dir(const rg_meta *m, const char *dir);
/* Writes the report of the results file at path into dir (cli_report_dir
 * when NULL), made once the file has been read: a file that cannot be read
 * makes nothing.  On success *made, if made is not NULL, is the directory
 * (free it). */
int cli_report_file(const char *path, const char *dir, char **made, rg_err *e);
/* Gives every point of sw the roles of its experiment (m->model), then
 * writes the sweep's report into dir (reports/sweeprep.h). */
int cli_report_sweep(rg_sweep *sw, const rg_meta *m, const char *dir, rg_err *e);
/* The same for the sweep's results file at path. */
int cli_report_sweep_file(const char *path, const char *dir, char **made, rg_err *e);

/* Runs the study with o: once, or with --until-ci in deterministic
 * batches until every target is met (within --min-reps, --max-reps). */
rg_results *cli_run_study(const args *a, const rg_study *l, rg_runopts o, rg_err *e);
/* The summary of a run as one JSON document (--format json). */
void cli_json_run(FILE *f, const rg_study *l, const rg_results *r);

/* validate on a file with iteration variables and no --point: opens
 * every point.  Returns an exit code, or -1 if the file is no sweep. */
int cli_validate_sweep(const args *a);

/* --shard K/N (shard.c): parses it; the block of replications share K of
 * N holds of `total`; refuses the options that apply to whole runs. */
int cli_shard_parse(const char *arg, uint64_t *k, uint64_t *n, rg_err *e);
void cli_shard_block(uint64_t total, uint64_t k, uint64_t n, uint64_t *first, uint64_t *count);
int cli_shard_refuse(const args *a, rg_err *e);
int cmd_merge(args *a);

/* MPI (mpi.c): starts it when an MPI launcher started the program; this
 * process's rank and the number of ranks (0 and 1 without MPI); a run of
 * the study's replications split over the ranks, joined on rank 0 (other
 * ranks get their own share and write nothing). */
void cli_mpi_init(int *argc, char ***argv);
void cli_mpi_finalize(void);
/* Before a run: rc (0 or -1, from this rank's checks of its inputs and
 * outputs) agreed by every rank, so that no rank starts a run another
 * refused (it would wait for that rank for ever).  Without MPI, rc. */
int cli_mpi_agree(int rc, rg_err *e);
int cli_mpi_rank(void);
int cli_mpi_size(void);
rg_results *cli_mpi_run(const args *a, const rg_study *l, rg_runopts o, rg_err *e);

/* models [NAME] (models.c): the experiments, or one experiment's kinds,
 * keys and metrics.  Returns the exit code. */
int cli_models(const char *name);

/* The subcommands of sweep.c. */
int cmd_sweep(args *a);
int cmd_find(args *a);

#endif
