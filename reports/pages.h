/*
 * pages.h: the plot pages of the report, written by pages.c and called by
 * report.c in this order after the summary page.  Each takes the report's
 * context (rptout.h, which also says what a page writer does and returns)
 * and adds at most a few pages; one without data adds none.  Not a public
 * API: the public API is report.h.
 */
#ifndef RG_PAGES_H
#define RG_PAGES_H

#include "reports/rptout.h"

/* The summary page (summary.c): headline, a verdict per variant, the key
 * numbers, the keys the scenario file sets.  Text only. */
int rpt_page_summary(rpt_ctx *c);

/* What the model's report_extra wrote (c->extra), if anything.  Text only. */
int rpt_page_check(rpt_ctx *c);

/* The resolved scenario in full, defaults in grey: one or more pages.  Text
 * only. */
int rpt_page_scenario(rpt_ctx *c);

/* Units allocated over time in replication 0 (timeline.dat). */
int rpt_page_timeline(rpt_ctx *c);

/* Units oversold per replication, per variant (oversell.dat). */
int rpt_page_oversell(rpt_ctx *c);

/* Request latency CDF per variant from the histograms (latency.dat). */
int rpt_page_latency(rpt_ctx *c);

/* Latency and oversell side by side (compare.dat). */
int rpt_page_compare(rpt_ctx *c);

/* Units won by humans vs bots and cost per variant (drop with protections). */
int rpt_page_protection(rpt_ctx *c);

/* Mean bars (experiments without an oversell role) and distributions of the
 * shown metrics (means.dat, replications.dat). */
int rpt_page_metrics(rpt_ctx *c);

/* The animation of replication 0's counters (anim.c): anim.dat and live.gp,
 * which gnuplot turns into live.gif; sets c->anim.  Nothing without a
 * timeline. */
int rpt_anim(rpt_ctx *c);

#endif
