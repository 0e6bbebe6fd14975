/*
 * droptrace.c: the drop's trace lines (dropint.h), written by the life of a
 * request (dropflow.c) and by the options beside it (dropcart.c,
 * droproom.c, dropkvp.c): the engine's time prefix, the line, a newline.
 * Kept in a file of its own so that the options depend on it and not on
 * dropflow.c, which calls them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "models/drop/dropint.h"

/* A trace line of the drop: the engine's time prefix, the line, a newline. */
void dvtrace(drun *r, const char *fmt, va_list ap)
{
    if (r->trace == NULL)
        return;
    rg_vtrace(r->e, r->trace, fmt, ap);
    fputc('\n', r->trace);
}

void dtrace(drun *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    dvtrace(r, fmt, ap);
    va_end(ap);
}
