/*
 * simtime.h: simulated time and the text form of durations.
 *
 * Simulated time is an int64_t count of nanoseconds from the start of a
 * replication (about 292 years of range).  Files and the command line carry
 * durations with units: ns, us, ms, s, min (and h).  A number without a unit
 * is an error, except 0, so "timeout = 50" can never silently mean 50 ns.
 *
 * Quantities: a distribution samples either a duration (its values are
 * nanoseconds, parsed with units) or a plain number (a count, a rate, a
 * probability).  rg_qty_parse reads either kind.
 */
#ifndef RG_SIMTIME_H
#define RG_SIMTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/engine/util.h"

typedef int64_t rg_time;

#define RG_NS ((rg_time)1)
#define RG_US ((rg_time)1000)
#define RG_MS ((rg_time)1000000)
#define RG_S ((rg_time)1000000000)
#define RG_MIN (60 * RG_S)
#define RG_TIME_MAX INT64_MAX

typedef enum { RG_QTY_DURATION, RG_QTY_NUMBER } rg_qty;

/* Parses a duration ("12ms", "1.5 s", "0") into nanoseconds, rounded to the
 * nearest nanosecond.  Rejects garbage, missing units, NaN/inf, overflow of
 * int64 nanoseconds, and negative values unless allow_negative.  On error
 * fills `e` (message says what was expected) and returns -1. */
int rg_time_parse(const char *s, bool allow_negative, rg_time *out, rg_err *e);

/* Parses one quantity of the given kind into a double (nanoseconds for a
 * duration).  `len` bytes of `s` are read (the string need not be
 * terminated there).  Negative values are allowed; callers check ranges. */
int rg_qty_parse(const char *s, size_t len, rg_qty kind, double *out, rg_err *e);

/* Writes the shortest exact text form of t ("12ms", "1.5s", "250us",
 * "-3ns") into buf, which must hold RG_TIME_STRLEN bytes; returns buf. */
#define RG_TIME_STRLEN 48
char *rg_time_format(rg_time t, char *buf);

/* Same for a double nanosecond value: up to 6 significant digits. */
char *rg_time_format_d(double ns, char *buf);

/* t in seconds and milliseconds, for output. */
static inline double rg_time_sec(rg_time t)
{
    return (double)t * 1e-9;
}
static inline double rg_time_ms(rg_time t)
{
    return (double)t * 1e-6;
}

#endif
