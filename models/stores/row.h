/*
 * row.h: a single versioned row behind a one-statement-at-a-time server, in
 * the manner of a SQL row with a version column read by SELECT and written
 * by UPDATE ... SET version = v + 1 WHERE version = v.
 *
 * Mechanism:
 *  - Server.  Statements are executed one at a time in arrival order
 *    (FIFO); each takes a `service` time sampled from the engine's
 *    "service" stream when it arrives.  Its effect and result are computed
 *    when it completes, against the row at that moment.
 *  - Read.  Answers the row's version; never refused.
 *  - Conditional commit.  First asks the injected faults (faults.h), which
 *    may refuse it with their class; then applies it only if the row's
 *    version still equals the one the caller read (else RG_BO_TRANSIENT:
 *    "the version moved on").  An applied commit adds 1 to the version, so
 *    the version counts the commits the row holds.
 *  - The row starts at version 0.  There is no network: the caller adds its
 *    own round trip around each statement.
 *
 * Ownership: the row borrows its engine, the service distribution and the
 * faults configuration, which must outlive it.
 */
#ifndef RG_ROW_H
#define RG_ROW_H

#include <stdint.h>

#include "models/mech/backoff.h"
#include "models/mech/faults.h"
#include "sim/engine/dist.h"
#include "sim/engine/engine.h"

typedef struct rg_row_res {
    rg_bo_res res;   /* read: always RG_BO_OK */
    int64_t version; /* the row's version once the statement executed */
    const char *why; /* a refused commit: why, as static text (else NULL) */
} rg_row_res;

/* Called when a statement has executed, at its completion time. */
typedef void (*rg_row_cb)(rg_engine *e, void *ctx, uint64_t tag, const rg_row_res *res);

typedef struct rg_row rg_row;

/* Creates a row at version 0 on e.  faults may be NULL: nothing is
 * injected.  The faults of the replication are prepared here (faults.h:
 * a random storm duration is sampled now). */
rg_row *rg_row_new(rg_engine *e, const rg_dist *service, const rg_faults_cfg *faults);
/* Frees the row; statements still queued are dropped without a callback.
 * rg_row_free(NULL) does nothing. */
void rg_row_free(rg_row *row);
/* A read reaching the server now; cb gets the version. */
void rg_row_read(rg_row *row, rg_row_cb cb, void *ctx, uint64_t tag);
/* A commit "version + 1 if the version is still `expected`" reaching the
 * server now; cb gets RG_BO_OK or the class it was refused with. */
void rg_row_commit(rg_row *row, int64_t expected, rg_row_cb cb, void *ctx, uint64_t tag);
/* The version now: the commits the row holds. */
int64_t rg_row_version(const rg_row *row);

/* The commit rule alone, for an application that keeps a versioned value
 * elsewhere (inside an object): the faults f (may be NULL) first, then the
 * version check against *version, which is incremented when the commit is
 * applied.  Returns the class; *why is set when the commit is refused. */
rg_bo_res rg_row_apply(rg_faults *f, rg_time now, int64_t *version, int64_t expected,
                       const char **why);

#endif
