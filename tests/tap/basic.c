/*
 * basic.c: the TAP library (see basic.h).
 */
#include "tests/tap/basic.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long planned, run, failed;
static bool plan_done;

static void finish(void)
{
    if (!plan_done)
        return;
    fflush(stdout);
    if (run != planned) {
        printf("# planned %lu tests but ran %lu\n", planned, run);
        fflush(stdout);
        _Exit(255);
    }
    if (failed > 0) {
        printf("# failed %lu of %lu tests\n", failed, run);
        fflush(stdout);
        _Exit(failed > 254 ? 254 : (int)failed);
    }
}

void plan(unsigned long n)
{
    setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
    planned = n;
    plan_done = true;
    printf("1..%lu\n", n);
    atexit(finish);
}

void skip_all(const char *fmt, ...)
{
    va_list ap;
    setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
    printf("1..0 # skip ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(0);
}

static void report(bool success, const char *fmt, va_list ap)
{
    run++;
    if (!success)
        failed++;
    printf("%sok %lu", success ? "" : "not ", run);
    if (fmt != NULL && *fmt) {
        printf(" - ");
        vprintf(fmt, ap);
    }
    printf("\n");
}

bool ok(bool success, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(success, fmt, ap);
    va_end(ap);
    return success;
}

bool is_int(long long wanted, long long seen, const char *fmt, ...)
{
    bool s = wanted == seen;
    va_list ap;
    va_start(ap, fmt);
    report(s, fmt, ap);
    va_end(ap);
    if (!s)
        printf("#   wanted: %lld\n#     seen: %lld\n", wanted, seen);
    return s;
}

bool is_double(double wanted, double seen, double eps, const char *fmt, ...)
{
    bool s = (isnan(wanted) && isnan(seen)) || fabs(wanted - seen) <= eps ||
             (isinf(wanted) && wanted == seen);
    va_list ap;
    va_start(ap, fmt);
    report(s, fmt, ap);
    va_end(ap);
    if (!s)
        printf("#   wanted: %.10g (+- %g)\n#     seen: %.10g\n", wanted, eps, seen);
    return s;
}

bool is_string(const char *wanted, const char *seen, const char *fmt, ...)
{
    bool s = (wanted == NULL && seen == NULL) ||
             (wanted != NULL && seen != NULL && strcmp(wanted, seen) == 0);
    va_list ap;
    va_start(ap, fmt);
    report(s, fmt, ap);
    va_end(ap);
    if (!s)
        printf("#   wanted: %s\n#     seen: %s\n", wanted ? wanted : "(null)",
               seen ? seen : "(null)");
    return s;
}

void skip(const char *fmt, ...)
{
    va_list ap;
    run++;
    printf("ok %lu # skip ", run);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void diag(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

void bail(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    printf("Bail out! ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    exit(255);
}

unsigned long tap_failures(void)
{
    return failed;
}
