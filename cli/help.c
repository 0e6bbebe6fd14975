/*
 * help.c: the commands and options of the command line, in one table that
 * the parser (main.c) and the help texts share, so that `revguard-sim
 * COMMAND --help` lists exactly the options COMMAND accepts.
 *
 * An option may have several rows when its meaning differs by command (-o
 * is a results file for run and a directory for report); the rows of one
 * option never name the same command twice.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* "--set" and friends: the command line's words, wrapped at this width. */
#define HELP_WIDTH 79
#define HELP_LEFT 30

static const cli_opt opts[] = {
    {"output", 'o', 'o', "FILE.h5", "run",
     "results file (default results/<scenario>.h5; a run that --set, -n, -s, --vary, --variant "
     "or --until-ci changes gets results/<scenario>-<hash>.h5, a hash of what it computes)"},
    {"output", 'o', 'o', "FILE.h5", "sweep", "results file (default results/<scenario>-sweep.h5)"},
    {"output", 'o', 'o', "FILE.h5", "find", "results file (default results/<scenario>-find.h5)"},
    {"output", 'o', 'o', "DIR", "report", "output directory (default reports/out/<scenario>)"},
    {"reps", 'n', 'n', "N", "run validate", "replications (overrides [scenario] replications)"},
    {"reps", 'n', 'n', "N", "sweep find",
     "replications of every point (overrides [scenario] replications)"},
    {"seed", 's', 's', "S", "run sweep find trace validate", "seed (overrides [scenario] seed)"},
    {"threads", 'j', 'j', "J", "run sweep find",
     "worker threads (default: online cores); never changes the results"},
    {"set", 0, OPT_SET, "SECTION.KEY=VALUE", "run sweep find trace validate",
     "override a scenario value (repeatable); the section may hold dots: "
     "variant.sql_naive.pause=50ms"},
    {"variant", 0, OPT_VARIANT, "A,B", "run sweep find", "run only these variants"},
    {"variant", 0, OPT_VARIANT, "V", "trace", "the variant to replay (required)"},
    {"rep", 0, OPT_REP, "N", "trace", "the replication to replay (default 0)"},
    {"point", 0, OPT_POINT, "K", "run trace validate",
     "point K (from 0) of a scenario with iteration variables ${NAME=SPEC}"},
    {"vary", 0, OPT_VARY, "NAME=SPEC", "run sweep find trace validate",
     "give iteration variable NAME other values, e.g. w=0..2s:5 (repeatable)"},
    {"report", 0, OPT_REPORT, "DIR", "run sweep find", "also write the report into DIR"},
    {"csv", 0, OPT_CSV, "FILE", "run",
     "also write every replication's row as CSV (units in the column names)"},
    {"keep-latencies", 0, OPT_KEEP, NULL, "run sweep find",
     "store every request latency in the results file"},
    {"force", 0, OPT_FORCE, NULL, "run sweep find merge",
     "overwrite a file revguard-sim did not write (-o, --csv, --write-expect)"},
    {"expect", 0, OPT_EXPECT, "FILE", "run sweep find",
     "compare with an expectations file; exit 3 if anything moved"},
    {"write-expect", 0, OPT_WRITE_EXPECT, "FILE", "run sweep find",
     "write an expectations file from this run"},
    {"check-determinism", 0, OPT_CHECK_DET, NULL, "run",
     "run every replication twice; exit 3 at the first difference"},
    {"extend", 0, OPT_EXTEND, "FILE.h5", "run",
     "add the replications after FILE.h5's up to -n, into FILE.h5 (same scenario text, seed "
     "and version)"},
    {"until-ci", 0, OPT_UNTIL_CI, "METRIC=HALFWIDTH", "run sweep find",
     "run in batches until every variant's 95% CI half-width of METRIC is at most HALFWIDTH "
     "(in the metric's unit: lat_p99=5ms); repeatable"},
    {"min-reps", 0, OPT_MIN_REPS, "N", "run sweep find",
     "with --until-ci: the first batch (default 100)"},
    {"max-reps", 0, OPT_MAX_REPS, "N", "run sweep find",
     "with --until-ci: at most N replications (default 100000)"},
    {"memory-limit", 0, OPT_MEMORY_LIMIT, "SIZE", "run",
     "refuse a run estimated to need more memory, and stop one that does (e.g. 2G; default 3/4 "
     "of the machine's memory)"},
    {"metric", 0, OPT_METRIC, "A,B", "sweep find",
     "the metrics shown (default: those the experiment shows)"},
    {"format", 0, OPT_FORMAT, "json|text", "run sweep find",
     "json: the summary as one JSON document on stdout (default text)"},
    {"independent-points", 0, OPT_INDEPENDENT, NULL, "sweep find",
     "give every point its own seed (default: the same random numbers at every point)"},
    {"until", 0, OPT_UNTIL, "'V.METRIC.STAT OP X'", "find",
     "the condition whose change find brackets (required), e.g. 'sql_naive.oversell.max == 0'"},
    {"tol", 0, OPT_TOL, "X", "find",
     "stop when the bracket is narrower than X, in the variable's unit (default: 1/1000 of "
     "the range, or 1% on a range of a decade or more)"},
    {"shard", 0, OPT_SHARD, "K/N", "run sweep",
     "compute only share K of N of the replications and write a part (join the parts with "
     "merge)"},
    {"history", 0, OPT_HISTORY, "FILE", "trace",
     "also write the replication's history of operations (invoke/ok/fail/info) to FILE, for "
     "linearizability checkers (drop only)"},
    {"history-format", 0, OPT_HISTORY_FORMAT, "jsonl|edn", "trace",
     "the history's form: JSON lines, or EDN as Jepsen's Knossos reads it (default: edn if "
     "FILE ends in .edn, else jsonl)"},
    {"histories", 0, OPT_HISTORIES, "DIR", "run",
     "also write the chosen replications' histories of operations (invoke/ok/fail/info) of "
     "every variant run, as DIR/<variant>-rep<N>.jsonl (drop only; DIR is created)"},
    {"rep-list", 0, OPT_REP_LIST, "LIST", "run",
     "the replications --histories writes: numbers and ranges, e.g. 0,5,10-12 (default 0)"},
    {"history-format", 0, OPT_HISTORY_FORMAT, "jsonl|edn", "run",
     "the form of --histories' files: JSON lines (.jsonl, the default) or EDN (.edn)"},
    {"quiet", 'q', 'q', NULL, "run sweep find merge",
     "no summary table, progress bar or file names (errors still go to stderr)"},
    {"help", 'h', 'h', NULL, "run sweep find report trace validate check models merge",
     "this help"},
};

typedef struct command {
    const char *name, *args, *summary, *text, *example;
} command;

static const command cmds[] = {
    {"run", "SCENARIO.ini [options]", "run every variant for N replications",
     "Runs every variant of the scenario for its replications (default 1000), prints the mean "
     "and 95% confidence interval of each metric per variant, and writes the results file.",
     "revguard-sim run scenarios/drop125.ini -n 200 --csv rows.csv"},
    {"sweep", "SCENARIO.ini [options]", "run every point of a parameter study",
     "Runs every point of the scenario's iteration variables (${NAME=SPEC} in the file or in "
     "--set, e.g. workload.buyers=${b=100..200:5}) and prints one table per variant.",
     "revguard-sim sweep scenarios/drop125-window.ini -n 100"},
    {"find", "SCENARIO.ini --until COND [options]", "bisect a variable for a threshold",
     "Bisects the scenario's one range variable ${NAME=lo..hi} for where the condition "
     "changes, running the scenario at every value it tries.",
     "revguard-sim find scenarios/drop125-window.ini --vary window=10ms..1h "
     "--until 'sql_naive.oversell.mean <= 1' -n 50"},
    {"report", "RESULTS.h5 [-o DIR]", "plots (PNG, PDF) and summary.csv",
     "Writes the report of a results file: PNG plots, a PDF whose first page is a summary, "
     "summary.csv, and the gnuplot scripts and data that made them.",
     "revguard-sim report results/drop125.h5 -o my-report/"},
    {"trace", "SCENARIO.ini --variant V [--rep N] [options]",
     "replay one replication and print its events",
     "Replays one replication of one variant, prints its event log (what each buyer was "
     "told; for the SQL designs also every statement as the database ran it: what a read "
     "saw, what a write left, the sales a blind write overwrote), then its row of metrics "
     "as CSV, identical to that replication's row in a full run.",
     "revguard-sim trace scenarios/drop125.ini --variant sql_naive --rep 17"},
    {"validate", "SCENARIO.ini [options]", "check a scenario, print it fully resolved",
     "Checks the scenario and prints it fully resolved: every key the model reads, each with "
     "where its value came from (the file's line, --set, a shared section, or the default).",
     "revguard-sim validate scenarios/drop125.ini --set sqldb.pool=50"},
    {"check", "RESULTS.h5 EXPECTED.ini", "compare a results file with expectations",
     "Compares a results file with an expectations file (per variant, METRIC.STAT = VALUE "
     "with a tolerance) and prints what held and what moved; exit 3 if anything moved.",
     "revguard-sim check results/drop125.h5 tests/expect/drop125.ini"},
    {"merge", "OUT.h5 PART.h5...", "join the parts of a sharded run or sweep",
     "Joins the parts that --shard K/N wrote into the results file the whole run would have "
     "written, after checking that they come from one run and cover every share once.",
     "revguard-sim merge results/drop125.h5 part-1.h5 part-2.h5"},
    {"demo", "SCENARIO.ini [--variant A,B] [--speed X]",
     "replay replication 0 live in the terminal",
     "Replays replication 0 at real time (or --speed X faster): per variant a counter climbing "
     "to the stock or past it, the events as they happen; space pauses, r replays, q quits.",
     "revguard-sim demo scenarios/drop125.ini --speed 10"},
    {"models", "[NAME]", "the models a scenario can name; one model's keys",
     "Without NAME, lists the models a scenario can name with [scenario] model = NAME.  With "
     "NAME, lists that model's variant kinds, every key it reads with its default, its "
     "arrival forms and its metrics.",
     "revguard-sim models drop"},
};

#define NOPTS (sizeof opts / sizeof opts[0])
#define NCMDS (sizeof cmds / sizeof cmds[0])

const cli_opt *cli_opts(size_t *n)
{
    *n = NOPTS;
    return opts;
}

bool cli_opt_applies(const cli_opt *o, const char *cmd)
{
    size_t len = strlen(cmd);
    for (const char *p = o->cmds; (p = strstr(p, cmd)) != NULL; p += len)
        if ((p == o->cmds || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0'))
            return true;
    return false;
}

static const command *find_cmd(const char *name)
{
    for (size_t i = 0; i < NCMDS; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return &cmds[i];
    return NULL;
}

bool cli_is_command(const char *cmd)
{
    return find_cmd(cmd) != NULL;
}

const char *cli_command_args(const char *cmd)
{
    const command *c = find_cmd(cmd);
    return c ? c->args : "";
}

/* Prints text from column `at` (where the cursor is) wrapped to the help
 * width, continuation lines indented by `indent`. */
static void wrap(FILE *f, const char *text, int at, int indent)
{
    int col = at;
    for (const char *p = text; *p;) {
        size_t w = strcspn(p, " ");
        if (col > indent && col + 1 + (int)w > HELP_WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)w, p);
        col += (int)w;
        p += w;
        while (*p == ' ')
            p++;
    }
    fputc('\n', f);
}

void cli_usage(FILE *f, const char *gnuplot)
{
    fprintf(f, "usage: revguard-sim COMMAND [OPTIONS]\n\n");
    wrap(f,
         "Deterministic discrete-event simulator of flash-sale architectures: replays a "
         "scenario thousands of times and reports oversell and latency distributions.",
         0, 0);
    fprintf(f, "\ncommands:\n");
    for (size_t i = 0; i < NCMDS; i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
    fprintf(f, "\n'revguard-sim COMMAND --help' lists a command's options.  Also:\n"
               "  --help, --version\n\n");
    wrap(f,
         "exit codes: 0 ok; 1 runtime failure (I/O, gnuplot); 2 usage or scenario error; "
         "3 a regression check failed; 130 interrupted (what finished is written).",
         0, 0);
    fprintf(f,
            "\nenvironment: REVGUARD_GNUPLOT names the gnuplot program (default: %s).\n"
            "See revguard-sim(1).\n",
            gnuplot);
}

int cli_help(FILE *f, const char *cmd)
{
    const command *c = find_cmd(cmd);
    if (c == NULL)
        return -1;
    fprintf(f, "usage: revguard-sim %s %s\n\n", c->name, c->args);
    wrap(f, c->text, 0, 0);
    fprintf(f, "\noptions:\n");
    for (size_t i = 0; i < NOPTS; i++) {
        const cli_opt *o = &opts[i];
        if (!cli_opt_applies(o, cmd))
            continue;
        char left[96];
        int n = snprintf(left, sizeof left, "  %s%c%s--%s%s%s", o->shortc ? "-" : "",
                         o->shortc ? o->shortc : ' ', o->shortc ? ", " : "   ", o->name,
                         o->arg ? " " : "", o->arg ? o->arg : "");
        if (!o->shortc) /* no short form: the long one starts the column */
            n = snprintf(left, sizeof left, "  --%s%s%s", o->name, o->arg ? " " : "",
                         o->arg ? o->arg : "");
        fputs(left, f);
        if (n + 1 >= HELP_LEFT) {
            fprintf(f, "\n%*s", HELP_LEFT, "");
            n = HELP_LEFT;
        } else {
            fprintf(f, "%*s", HELP_LEFT - n, "");
            n = HELP_LEFT;
        }
        wrap(f, o->help, n, HELP_LEFT);
    }
    /* never wrapped: a user copies it */
    fprintf(f, "\nexample:\n  %s\n", c->example);
    return 0;
}
