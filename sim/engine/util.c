/*
 * util.c: allocation wrappers, the error value, small string helpers.
 * Out-of-memory is the one condition handled by aborting here, in one place.
 */
#include "sim/engine/util.h"

#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rg_err_clear(rg_err *e)
{
    e->kind = RG_ERR_NONE;
    e->msg[0] = '\0';
}

int rg_err_vset(rg_err *e, rg_errkind kind, const char *fmt, va_list ap)
{
    if (e == NULL || e->kind != RG_ERR_NONE)
        return -1;
    e->kind = kind;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return -1;
}

int rg_err_set(rg_err *e, rg_errkind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rg_err_vset(e, kind, fmt, ap);
    va_end(ap);
    return -1;
}

int rg_err_exit_code(const rg_err *e)
{
    switch (e->kind) {
    case RG_ERR_NONE: return RG_EXIT_OK;
    case RG_ERR_INPUT: return RG_EXIT_USAGE;
    case RG_ERR_CHECK: return RG_EXIT_CHECK;
    case RG_ERR_IO: break;
    }
    return RG_EXIT_RUNTIME;
}

static void oom(size_t size)
{
    fprintf(stderr, "revguard-sim: out of memory allocating %zu bytes\n", size);
    abort();
}

void *rg_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
        oom(size);
    return p;
}

void *rg_xcalloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        oom(SIZE_MAX);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        oom(n * size);
    return p;
}

void *rg_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (q == NULL)
        oom(size);
    return q;
}

void rg_xgrow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 8;
    while (c < need) {
        if (c > SIZE_MAX / 2 / size)
            oom(SIZE_MAX);
        c *= 2;
    }
    *p = rg_xrealloc(*p, c * size);
    *cap = c;
}

char *rg_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = rg_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *rg_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    RG_ASSERT(n >= 0);
    char *s = rg_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

void rg_buf_printf(rg_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    RG_ASSERT(n >= 0);
    rg_xgrow((void **)&b->s, &b->cap, b->len + (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void rg_buf_free(rg_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

int rg_atomic_open(rg_atomic *a, const char *path, rg_err *e)
{
    a->path = rg_xstrdup(path);
    a->tmp = rg_xasprintf("%s.tmp-%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "w");
    if (a->f != NULL)
        return 0;
    rg_err_set(e, RG_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    free(a->path);
    free(a->tmp);
    return -1;
}

int rg_atomic_commit(rg_atomic *a, rg_err *e)
{
    int bad = ferror(a->f);
    int rc = 0;
    if (fclose(a->f) != 0 || bad || rename(a->tmp, a->path) != 0) {
        rc = rg_err_set(e, RG_ERR_IO, "%s: write failed: %s", a->path,
                        bad ? "error while writing" : strerror(errno));
        unlink(a->tmp);
    }
    free(a->path);
    free(a->tmp);
    return rc;
}

void rg_atomic_abort(rg_atomic *a)
{
    fclose(a->f);
    unlink(a->tmp);
    free(a->path);
    free(a->tmp);
}

int rg_check_writable(const char *path, const char *what, rg_err *e)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL   ? rg_xstrdup(".")
                : slash == path ? rg_xstrdup("/")
                                : rg_xasprintf("%.*s", (int)(slash - path), path);
    struct stat st;
    int rc = 0;
    if (stat(dir, &st) < 0)
        rc = rg_err_set(e, RG_ERR_IO, "cannot write %s %s: directory %s: %s", what, path, dir,
                        strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        rc = rg_err_set(e, RG_ERR_IO, "cannot write %s %s: %s is not a directory", what, path, dir);
    else if (access(dir, W_OK | X_OK) < 0)
        rc = rg_err_set(e, RG_ERR_IO, "cannot write %s %s: directory %s: %s", what, path, dir,
                        strerror(errno));
    else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        rc = rg_err_set(e, RG_ERR_INPUT, "cannot write %s %s: it is a directory; give a file name",
                        what, path);
    free(dir);
    return rc;
}

void rg_fmt_shortest(char *buf, size_t n, double x)
{
    if (isnan(x) || isinf(x)) {
        snprintf(buf, n, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, n, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

void rg_csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

size_t rg_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return SIZE_MAX;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

void rg_assert_fail(const char *expr, const char *file, int line, int64_t now_ns, uint64_t seed,
                    uint64_t rep)
{
    if (now_ns >= 0)
        fprintf(stderr,
                "revguard-sim: %s:%d: assertion failed: %s (sim time %" PRId64 " ns, seed %" PRIu64
                ", replication %" PRIu64 "; replay with `revguard-sim trace --rep %" PRIu64 "`)\n",
                file, line, expr, now_ns, seed, rep, rep);
    else
        fprintf(stderr, "revguard-sim: %s:%d: assertion failed: %s\n", file, line, expr);
    fflush(stderr);
    abort();
}

void rg_buf_or_list(rg_buf *b, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rg_buf_printf(b, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " or ", names[i]);
}

char *rg_read_text(const char *path, const char *what, size_t max, size_t *len, rg_err *e)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rg_err_set(e, RG_ERR_INPUT, "%s: cannot open %s: %s", path, what, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode)) {
        rg_err_set(e, RG_ERR_INPUT, "%s: cannot open %s: %s", path, what,
                   S_ISDIR(st.st_mode) ? "it is a directory" : "not a regular file");
        fclose(f);
        return NULL;
    }
    char *buf = NULL;
    size_t cap = 0, got = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (got + n > max) {
            rg_err_set(e, RG_ERR_INPUT, "%s: the %s is larger than %zu bytes", path, what, max);
            fclose(f);
            free(buf);
            return NULL;
        }
        rg_xgrow((void **)&buf, &cap, got + n + 1, 1);
        memcpy(buf + got, chunk, n);
        got += n;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot read %s", path, what);
        free(buf);
        return NULL;
    }
    rg_xgrow((void **)&buf, &cap, got + 1, 1);
    buf[got] = '\0';
    if (len)
        *len = got;
    return buf;
}
