/*
 * html.h: report.html (html.c), the report in one self-contained file:
 * verdicts and tables as HTML, every plot page as an inline SVG, the
 * animation as a data: URI, no script and no reference outside the file.
 * Not a public API: the public API is report.h.
 */
#ifndef RG_HTML_H
#define RG_HTML_H

#include <stdio.h>

#include "reports/rptout.h"

/* Writes s (any text, NULL as "") to f escaped for HTML text and attribute
 * values: & < > " ' as entities, control characters as spaces, bytes that
 * are not UTF-8 as '?'. */
void rpt_html_put(FILE *f, const char *s);

/* Writes report.html into c->dir from the context, the <page>.svg files
 * report-svg.gp drew for the plot pages and live.gif (after gnuplot ran).
 * Returns 0, or -1 with c->e set. */
int rpt_html(rpt_ctx *c);

#endif
