/*
 * dropfix.h: a fixture for the tests of the drop's store kinds: a drop
 * scenario loaded from text (through tfixture: any error, stray keys
 * included, bails out), one replication of a variant run with its
 * per-request records, its metrics by name, and the determinism check
 * every kind's test makes (the same rows twice, on 1 and 2 threads).
 * Part of the test helper library, built only for make check.
 */
#ifndef TAP_DROPFIX_H
#define TAP_DROPFIX_H

#include <stdbool.h>
#include <stdint.h>

#include "models/drop/drop.h"
#include "tests/tap/fixture.h"

typedef struct tdrop {
    tfixture f;
    rg_drop_req *req; /* the last replication's requests, in send order */
    size_t n;
} tdrop;

/* Loads drop scenario `text`; bails out on error. */
void tdrop_open(tdrop *d, const char *text);
void tdrop_close(tdrop *d);
/* Runs replication rep of the variant called name at seed; bails out if
 * there is no such variant or the replication does not complete. */
void tdrop_run(tdrop *d, const char *name, uint64_t seed, uint64_t rep);
/* The last replication's value of a metric, by name (bails if unknown). */
int64_t tdrop_int(const tdrop *d, const char *metric);
double tdrop_real(const tdrop *d, const char *metric);
/* Requests of the last replication that ended with outcome o. */
size_t tdrop_count(const tdrop *d, rg_outcome o);
/* Sorted latencies (answered - sent) of the last replication (caller
 * frees). */
rg_time *tdrop_latencies(const tdrop *d);
/* Runs every variant for reps replications at seed on 1 thread, then
 * again on 2 running every task twice: true if no task differed from
 * itself and the two result sets have identical rows. */
bool tdrop_same_on_threads(const tdrop *d, uint64_t seed, uint64_t reps);

#endif
