/*
 * report.h: stakeholder reports from simulation results: PNG plots, one
 * multi-page PDF (summary page first), summary.csv, and the generated gnuplot
 * scripts and data next to them so a plot can be restyled by hand.
 *
 * gnuplot is an external program, found at configure time or named by the
 * environment variable REVGUARD_GNUPLOT; it is run on a script file with
 * fork/exec, never through a shell.  Every string that comes from a
 * scenario (names, descriptions) is escaped before it is written into a
 * script, because gnuplot can run shell commands and a scenario file is
 * untrusted input.
 */
#ifndef RG_REPORT_H
#define RG_REPORT_H

#include "sim/run/results.h" /* rg_results, rg_meta */
#include "sim/engine/util.h"

/* Writes the report of results r with metadata m into directory `outdir`
 * (created if missing).  Pages find their metrics by role (runner.h);
 * results read from a file carry none, and only the program knows the
 * experiment that gives them back, so for a results file the caller reads it
 * (rg_results_read) and adopts the experiment's roles (rg_results_adopt_roles).
 * A page whose role no metric has is left out.  `h5path`, the results
 * file, is never opened nor shown.  Errors: RG_ERR_IO
 * (gnuplot missing or failing, unwritable directory). */
int rg_report_make_from(const rg_results *r, const rg_meta *m, const char *h5path,
                        const char *outdir, rg_err *e);

/* Same, with `extra` (may be NULL): the text the experiment's report_extra
 * prints for these results, shown on a page of its own ("the model's own
 * check"; a closed form beside the simulation, say).  The report itself
 * cannot make it: only the program knows the experiment and its
 * configuration. */
int rg_report_make(const rg_results *r, const rg_meta *m, const char *extra, const char *outdir,
                   rg_err *e);

/* Before a run that ends in a report into dir: refuses (RG_ERR_INPUT) if a
 * name that every report (of a sweep, if sweep) writes is taken by what
 * the report would not replace: a link, a directory, a device, or a file
 * that no earlier report there wrote.  The report checks every name again
 * as it puts its files in place. */
int rg_report_dir_check(const char *dir, bool sweep, rg_err *e);

/* The gnuplot program that will be used: REVGUARD_GNUPLOT if set and not
 * empty, else the one configure found, else gnuplot on PATH; "" if none.
 * Same as rg_gnuplot_program (gnuplot.h). */
const char *rg_report_gnuplot(void);

/* Escapes s for use inside a double-quoted gnuplot string, into a new string:
 * backslash and double quote are escaped, backquote (command substitution,
 * which gnuplot performs even inside double quotes) and '@' (macros) become
 * octal escapes, control characters become spaces and invalid UTF-8 '?'.
 * Enhanced-text markup (^ _ @ & { } ~) is left as is: every generated script
 * turns enhanced text off, so it is shown literally.  Same as
 * rg_gnuplot_escape (gnuplot.h). */
char *rg_report_escape(const char *s);

#endif
