/*
 * words.h: what the report says in plain words, computed from the results
 * alone and shared by the PDF/PNG pages (summary.c) and report.html
 * (html.c): labels for metrics, numbers formatted for people, one verdict
 * per variant, a headline, the scenario keys the file itself sets, and which
 * metrics never varied.  Not a public API: the public API is report.h.
 *
 * Metrics are found by the role their model declares (experiment.h), never
 * by name.  Labels come from a metric's description with its formula part
 * left out; names only stand in where a description is a formula.
 *
 * Every function returns text that still comes, in part, from the results
 * file (variant names, descriptions, scenario values): it is untrusted and
 * must be escaped by whoever writes it into a gnuplot script or HTML.
 * Strings returned are new: the caller frees them.
 */
#ifndef RG_WORDS_H
#define RG_WORDS_H

#include <stdbool.h>
#include <stddef.h>

#include "reports/rptout.h"

/* "drop"/"drops" for experiments with an oversell role (a flash sale),
 * "run"/"runs" otherwise: what one replication is called on every page. */
const char *rpt_rep_word(const rpt_ctx *c, bool plural);

/* x for people into buf: thousands separated by commas ("1,002"), sig
 * significant digits below 1,000 ("35.2", "0.0712"), no exponent up to
 * 10^15.  Returns buf. */
const char *rpt_fmt(char *buf, size_t n, double x, int sig);

/* A confidence half-width (> 0) as rpt_fmt writes it with two significant
 * digits, but one below 10^-4 (a count that differed in a few of a
 * million drops) in plain decimals ("0.000013"): %g's 1.3e-05 reads as a
 * typo in a table.  Returns buf. */
const char *rpt_fmt_ci(char *buf, size_t n, double ci);

/* A metric's label in words, capitalised, without its unit: the
 * description up to its first ':' with a trailing parenthesis and a leading
 * "1 if " left out; the name (underscores as spaces) if what is left reads
 * as a formula. */
char *rpt_met_label(const rg_metric *m);

/* The label with its unit in parentheses when the cell does not carry it
 * (ms is written in the cells) and the label does not already name it:
 * "Timeouts, overload and database errors (requests)"; a share says of what
 * ("(% of drops)"). */
char *rpt_met_label_unit(const rpt_ctx *c, const rg_metric *m);

/* True for the latency quantile roles: shown as the median over
 * replications of each replication's quantile, not as a mean. */
bool rpt_met_is_quantile(const rg_metric *m);

/* The key-number cell of metric m for variant v: for a latency quantile the
 * median over replications ("35.2 ms"); otherwise the mean, with its 95 % CI
 * when it is not zero ("4.13 ± 0.052"), "%" for a share ("23.3 % ± 2.6"),
 * "ms" for a time; "n/a" without values.  max: the maximum instead. */
char *rpt_cell(const rpt_ctx *c, size_t v, size_t m, bool max);

/* Whether metric m took one value in every replication of each variant
 * (the value may differ between variants), or has no value at all. */
bool rpt_met_steady(const rpt_ctx *c, size_t m);

/* One line in plain words of what variant v did, without its name: "never
 * oversold in 1,000 drops; median answer 35.2 ms, 99 % within 128 ms". */
char *rpt_verdict(const rpt_ctx *c, size_t v);

/* The page's one-sentence headline ("Oversold: sql_naive, 25 units in every
 * drop.  Never oversold in 1,000 drops: object, sql_locked."), or NULL when
 * the experiment has neither an oversell role nor a share metric. */
char *rpt_headline(const rpt_ctx *c);

/* The footnote defining what the summary's latency cells are, or NULL if
 * no shown metric is a latency quantile. */
char *rpt_quantile_note(const rpt_ctx *c);

/* The keys the scenario file itself set, from the resolved text (whose
 * defaults end in "; default", as rg_scn_resolved writes them): one line per
 * section, "workload: buyers = 125 · stock = 100", [scenario]'s keys shown
 * in the headline left out, a variant section without keys kept ("variant
 * x: nothing changed").  Returns the number of lines in *lines (free each
 * and the array). */
size_t rpt_params_set(const char *resolved, char ***lines);

#endif
