/*
 * told.h: the report page "what the buyers were told against what they
 * hold" (told.c), for experiments whose metrics take the identity roles
 * (experiment.h: RG_ROLE_ALLOCATED ... RG_ROLE_LOST_SALES; the drop).
 * Registered from pages.c, after the page of answer time against
 * oversell.  Not a public API: the public API is report.h.
 */
#ifndef RG_TOLD_H
#define RG_TOLD_H

#include "reports/rptout.h"

/* Per variant, side by side: the units the stores took out of stock and
 * the units buyers were told were theirs, then the wrongs between the two
 * (units sold twice to one buyer, units nobody was told of, buyers told
 * "yours" who hold nothing, buyers told "sold out" who hold a unit, units
 * left while buyers were turned away), each the mean per replication
 * (told.dat, plot-told.gp).  Nothing when a role is missing, no
 * replication completed, or no variant's stores record their buyers.
 * Returns 0, or -1 with c->e set. */
int rpt_page_told(rpt_ctx *c);

#endif
