/*
 * linz.h: is a history of operations on one stock counter linearizable?
 *
 * The object: a counter, initially `initial`, with one operation,
 * "decrement if positive".  A history is a set of operations, each with
 * its invoke and completion times (any integer clock) and what its client
 * was told:
 *
 *   RG_LINZ_OK     it got a unit: the counter was > 0 at the operation's
 *                  linearisation point, and was decremented there;
 *   RG_LINZ_EMPTY  "sold out": the counter was 0 at that point; it
 *                  constrains, it changes nothing;
 *   RG_LINZ_INFO   the outcome is unknown (a timeout, a crash): it may take
 *                  effect at any time after its invoke, or never; it has no
 *                  completion bound (`ret` is ignored);
 *   RG_LINZ_FAIL   it never reached the counter (refused on the way): no
 *                  effect; the checker drops it.
 *
 * The history is linearizable if every OK and EMPTY operation can be given
 * a point inside its [call, ret] interval (closed: an operation invoked at
 * the instant another completes may follow it), and any subset of the INFO
 * operations a point after its call, such that the counter, run in the
 * points' order, answers each as its client was told (Herlihy & Wing).
 * The caller checks each counter (SKU) on its own: linearizability is
 * local, so a history of several counters is linearizable if and only if
 * each counter's is.
 *
 * The search is Wing & Gong's, with Lowe's memoisation: operations are
 * linearised one at a time, each one "minimal" (invoked no later than the
 * earliest completion among the non-INFO operations not yet linearised),
 * tried in invoke order, the model pruning what it cannot answer (an OK on
 * a counter at 0, an EMPTY on one above 0, a counter below the OKs still to
 * come), and a (set of linearised operations, counter) pair met before is
 * not searched again.  Beside this plain search (`exhaustive`), the default
 * prunes branches that cannot succeed where a sibling failed; each rule is
 * proven in linz.c:
 *   - while the counter is > 0, a minimal OK is taken first, alone: every
 *     OK must precede the counter's reaching 0, and decrements commute
 *     above 0;
 *   - at 0, a minimal EMPTY is taken alone: it changes nothing;
 *   - an INFO is taken only when nothing else can move (an EMPTY completes
 *     next and the counter is above 0), and of the minimal INFOs only one:
 *     they are interchangeable.
 * With these, a level has at most one choice: the default search takes at
 * most one step per operation, linearizable or not (the verdict is exact;
 * tests/linz-t.c checks it against the exhaustive search and a closed
 * form on random histories).  The exhaustive search can take exponential
 * time; `max_steps` bounds both: past it the verdict is RG_LINZ_TOO_LARGE,
 * never a guess.
 */
#ifndef RG_LINZ_H
#define RG_LINZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an operation's client was told (see above). */
typedef enum { RG_LINZ_OK, RG_LINZ_EMPTY, RG_LINZ_INFO, RG_LINZ_FAIL } rg_linz_type;

/* One operation: invoked at call, completed at ret (ret >= call; ignored
 * for INFO). */
typedef struct rg_linz_op {
    int64_t call, ret;
    rg_linz_type type;
} rg_linz_op;

typedef enum {
    RG_LINZ_NO = 0,        /* no linearisation exists */
    RG_LINZ_YES = 1,       /* one exists */
    RG_LINZ_TOO_LARGE = -1 /* the search stopped at max_steps or max_bytes */
} rg_linz_verdict;

/* Default bounds.  One step is one operation linearised (a model call).
 * The default search needs at most one step per operation, so a million
 * steps only stops a history of over a million operations, or the
 * exhaustive search; the memo table (one bit per operation per state
 * remembered) stops at 64 MB.  Both are assumptions: large enough for the
 * shipped scenarios, small enough to answer within a second. */
#define RG_LINZ_MAX_STEPS UINT64_C(1000000)
#define RG_LINZ_MAX_BYTES ((size_t)64 << 20)

typedef struct rg_linz_opts {
    uint64_t max_steps; /* 0: RG_LINZ_MAX_STEPS */
    size_t max_bytes;   /* memo table; 0: RG_LINZ_MAX_BYTES */
    bool exhaustive;    /* plain Wing-Gong-Lowe: no sibling pruning */
} rg_linz_opts;

/* What a check did, for tests and measurements. */
typedef struct rg_linz_stats {
    uint64_t steps;     /* operations linearised, backtracked ones included */
    uint64_t memo_hits; /* states found in the memo table */
} rg_linz_stats;

/* Checks the history ops[0..n-1] of one counter starting at initial (>=
 * 0).  opts and stats may be NULL (defaults; no statistics).  The ops are
 * borrowed, in any order. */
rg_linz_verdict rg_linz_counter(const rg_linz_op *ops, size_t n, int64_t initial,
                                const rg_linz_opts *opts, rg_linz_stats *stats);

#endif
