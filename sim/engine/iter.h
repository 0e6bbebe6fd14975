/*
 * iter.h: iteration variables, the parameter studies of a scenario.
 *
 * Any value of a scenario file, and any --set value, may hold expressions
 * in the style of OMNeT++ parameter studies:
 *
 *     ${NAME=a, b, c}           a list (items may hold parentheses and
 *                               commas inside them: uniform(0, 5ms))
 *     ${NAME=lo..hi:N}          N values evenly spaced from lo to hi
 *     ${NAME=lo..hi:N log}      N values evenly spaced in log(value)
 *     ${NAME=lo..hi}            a bracket, for a threshold search only
 *     ${NAME=SPEC ! OTHER}      steps with OTHER instead of on its own axis
 *     ${NAME}                   the value of a variable defined elsewhere
 *
 * lo and hi carry units as every value does (10ms, 1h, 5, 2.5%).  The
 * variables that do not step with another span a Cartesian product, the
 * first defined varying slowest; point k is one combination.  A point's
 * text is the scenario text with every expression replaced by its value:
 * lines keep their numbers, so errors still name file:line.
 *
 * Lines whose first non-blank character is ';' or '#' are comments and are
 * not scanned.  Nothing here knows what a value means: a variable's value is
 * text, plus its quantity in SI base units (seconds, or the plain number;
 * NaN for text that is not a quantity) for tables and plots.
 *
 * Ownership: an rg_iter copies what it scans and owns every string it
 * returns unless a function says "new".
 */
#ifndef RG_ITER_H
#define RG_ITER_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/engine/util.h"

typedef struct rg_iter rg_iter;

/* Scans texts[0..n-1], called names[i] in messages (a file name, "--set
 * 2"), for expressions.  Returns NULL with e set (RG_ERR_INPUT, naming the
 * text and line) on a malformed one, a variable defined twice, or a
 * reference to a variable never defined.  A text without any expression
 * gives an rg_iter with no variables. */
rg_iter *rg_iter_scan(const char *const *texts, const char *const *names, size_t n, rg_err *e);
void rg_iter_free(rg_iter *it);

/* Replaces the SPEC of a defined variable: "NAME=SPEC" (--vary). */
int rg_iter_vary(rg_iter *it, const char *assignment, rg_err *e);

/* Works out the points.  With allow_bracket, a range without :N stands for
 * its two ends (a threshold search's bracket).  Returns 0, or -1 with e
 * set: a range without :N, lockstep variables of different lengths, a log
 * range that crosses 0, ends of different units. */
int rg_iter_plan(rg_iter *it, bool allow_bracket, rg_err *e);

size_t rg_iter_nvars(const rg_iter *it);
const char *rg_iter_name(const rg_iter *it, size_t v);
/* True if the variable is a log range (plots take a log axis). */
bool rg_iter_is_log(const rg_iter *it, size_t v);
/* True if the variable steps on its own axis (not in lockstep). */
bool rg_iter_is_axis(const rg_iter *it, size_t v);
/* A range's ends in SI base units (NaN for a list). */
double rg_iter_lo(const rg_iter *it, size_t v);
double rg_iter_hi(const rg_iter *it, size_t v);

/* After rg_iter_plan: the number of points (1 when there are no
 * variables), and variable v's value at point k, as text and in SI base
 * units (NaN if the text is not a quantity). */
size_t rg_iter_npoints(const rg_iter *it);
const char *rg_iter_text(const rg_iter *it, size_t k, size_t v);
double rg_iter_value(const rg_iter *it, size_t k, size_t v);

/* Text i with variable v's expressions set to vals[v] (vals[v] NULL: its
 * value at point k).  New string. */
char *rg_iter_subst(const rg_iter *it, size_t i, size_t k, const char *const *vals);
/* A value of range variable v for x in SI base units, as text in the
 * range's own units, and its exact SI value back in *si (what the
 * scenario will read).  New string. */
char *rg_iter_format(const rg_iter *it, size_t v, double x, double *si);

/* Reads a quantity: a number with an optional unit (ns, us, ms, s, min, h,
 * %).  *si is in seconds for durations, a fraction for %.  Returns the
 * unit's index (0: none), or -1 if s is not a quantity. */
int rg_iter_quantity(const char *s, double *si);

#endif
