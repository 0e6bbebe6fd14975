/*
 * basic.h: a small TAP (Test Anything Protocol) library for the test
 * programs, in the spirit of rra's c-tap-harness.  Output goes to stdout,
 * line-buffered (so a crashing test still shows what it ran); automake's
 * tap-driver.sh reads it.
 */
#ifndef TAP_BASIC_H
#define TAP_BASIC_H

#include <stdbool.h>
#include <stdint.h>

/* Declares that n tests will run.  Makes stdout line-buffered.  At exit,
 * prints a diagnostic if the count differs and fails the program. */
void plan(unsigned long n);
/* Declares that no test will run, with a reason, and exits 0. */
void skip_all(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Reports one test: passes if `success`.  Returns success. */
bool ok(bool success, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Passes if wanted == seen; prints both on failure. */
bool is_int(long long wanted, long long seen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Passes if |wanted - seen| <= eps (or both NaN). */
bool is_double(double wanted, double seen, double eps, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Passes if the strings are equal (NULL equals NULL only). */
bool is_string(const char *wanted, const char *seen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a skipped test. */
void skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a diagnostic line "# ...". */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Aborts the test program with "Bail out!". */
void bail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Number of failed tests so far. */
unsigned long tap_failures(void);

#endif
