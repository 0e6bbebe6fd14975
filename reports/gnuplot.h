/*
 * gnuplot.h: talking to gnuplot safely.  Three jobs:
 *
 *   - finding the program: REVGUARD_GNUPLOT, else the one configure found
 *     (GNUPLOT_PATH), else gnuplot on PATH;
 *   - writing untrusted text into a script: every string that comes from a
 *     scenario (names, descriptions) goes through rg_gnuplot_escape or one
 *     of the writers built on it (put_str, put_wrapped, label, label_lines),
 *     because gnuplot can run shell commands (backquotes, system()) and a
 *     scenario file is untrusted input;
 *   - running gnuplot on script files with fork/chdir/execv, never through
 *     a shell, its output captured in a log.
 *
 * Invariants: text written by this module into a script is one line of
 * printable UTF-8 inside double quotes, with backslash, double quote,
 * backquote and '@' escaped; scripts must turn enhanced text off (the
 * report's do), so markup characters are shown literally.  Strings returned
 * are new (the caller frees them) unless said otherwise; FILE arguments are
 * borrowed.
 */
#ifndef RG_GNUPLOT_H
#define RG_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "sim/engine/util.h"

/* How every gnuplot.log a report writes starts (a line per script run). */
#define RG_GNUPLOT_LOG_HEAD "=== gnuplot -d "

/* The most lines rg_gnuplot_put_wrapped and rg_gnuplot_label_lines make. */
#define RG_GNUPLOT_MAX_LINES 4

/* ---- the program -------------------------------------------------------- */

/* The gnuplot program that will be used: REVGUARD_GNUPLOT if set and not
 * empty, else the one configure found, else gnuplot on PATH (empty PATH
 * entries skipped); "" if none.  Borrowed: the environment's string, a
 * constant, or a static buffer that the next call overwrites. */
const char *rg_gnuplot_program(void);

/* Runs gnuplot on each of the n script files scripts[0..n-1] in turn, as
 * `gnuplot -d <script>` with dir as working directory, stdin from
 * /dev/null, stdout and stderr into dir/gnuplot.log (created or truncated;
 * each run is preceded by a "=== gnuplot -d <script>" line).  Stops at the
 * first failure.  Returns 0, or -1 with e set (RG_ERR_IO): gnuplot not
 * found, the log not writable, or gnuplot failing, in which case the
 * message quotes the first lines gnuplot wrote for that script.  Messages
 * name the directory `shown` (the one the user named; dir if NULL). */
int rg_gnuplot_run(const char *dir, const char *shown, const char *const *scripts, size_t n,
                   rg_err *e);

/* ---- text for scripts --------------------------------------------------- */

/* Escapes s for use inside a double-quoted gnuplot string, into a new string:
 * backslash and double quote are escaped, backquote (command substitution,
 * which gnuplot performs even inside double quotes) and '@' (macros) become
 * octal escapes, control characters become spaces and invalid UTF-8 '?'.
 * Enhanced-text markup (^ _ @ & { } ~) is left as is: every generated script
 * turns enhanced text off, so it is shown literally. */
char *rg_gnuplot_escape(const char *s);

/* Number of characters (code points) of UTF-8 text s. */
size_t rg_gnuplot_nchars(const char *s);

/* A copy of s (any text) made one line of printable text as by
 * rg_gnuplot_escape (but not escaped), cut to at most max characters and
 * ending in "…" if cut.  New string. */
char *rg_gnuplot_cut(const char *s, size_t max);

/* Writes s (any text) to f as a quoted, escaped gnuplot string. */
void rg_gnuplot_put_str(FILE *f, const char *s);

/* Writes s (any text) as one quoted gnuplot string wrapped into lines of at
 * most width characters (\n escapes between them), at most maxlines
 * (<= RG_GNUPLOT_MAX_LINES) of them, the last ending in "…" if text is left.
 * Lines break at spaces, after '-', '_', '/' and '.', or inside a word longer
 * than a line.  Returns the number of lines. */
int rg_gnuplot_put_wrapped(FILE *f, const char *s, size_t width, int maxlines);

/* The number of lines rg_gnuplot_put_wrapped would make of s. */
int rg_gnuplot_wrap_count(const char *s, size_t width, int maxlines);

/* Writes `set label "<text>" at screen x,y <opts> noenhanced`, text (any
 * text) escaped; opts is our own gnuplot text, never user input. */
void rg_gnuplot_label(FILE *f, const char *text, double x, double y, const char *opts);

/* Writes text (any text) wrapped as by rg_gnuplot_put_wrapped, as one label
 * per line, the first at y and each next one lh lower.  Returns the number
 * of lines. */
int rg_gnuplot_label_lines(FILE *f, const char *text, size_t width, int maxlines, double x,
                           double y, double lh, const char *opts);

/* Writes " <x>" for a data file: %.10g, or NaN (undefined for gnuplot) for a
 * value that is not finite. */
void rg_gnuplot_put_num(FILE *f, double x);

#endif
