/*
 * resultset.c: the result set of a run (resultset.h) and the console
 * summary table.
 */
#include "sim/run/resultset.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#ifdef __linux__
#include <sys/vfs.h>
#endif
#include <unistd.h>

#include "sim/engine/stats.h"

/* ---- results object ---------------------------------------------------- */

/* Frees r's rows, mapped or allocated. */
static void rows_drop(rg_results *r)
{
    if (r->spilled > 0)
        munmap(r->rows, r->spilled);
    else
        free(r->rows);
    r->rows = NULL;
    r->spilled = 0;
}

rg_results *rg_results_new(size_t nvar, const char *const *varnames, size_t nmet,
                           const rg_metric *met, uint64_t reps)
{
    rg_results *r = rg_xcalloc(1, sizeof *r);
    r->nvar = nvar;
    r->nmet = nmet;
    r->reps = reps;
    r->varnames = rg_xcalloc(nvar, sizeof *r->varnames);
    for (size_t v = 0; v < nvar; v++)
        r->varnames[v] = rg_xstrdup(varnames[v]);
    r->met = rg_xcalloc(nmet, sizeof *r->met);
    for (size_t m = 0; m < nmet; m++) {
        r->met[m] = met[m];
        r->met[m].name = rg_xstrdup(met[m].name);
        r->met[m].unit = rg_xstrdup(met[m].unit ? met[m].unit : "");
        r->met[m].desc = rg_xstrdup(met[m].desc ? met[m].desc : "");
    }
    r->rows = rg_xcalloc(nvar * (reps ? reps : 1) * (nmet ? nmet : 1), sizeof *r->rows);
    r->hist = rg_xcalloc(nvar * RG_HIST_NBINS, sizeof *r->hist);
    r->lat = rg_xcalloc(nvar, sizeof *r->lat);
    r->nlat = rg_xcalloc(nvar, sizeof *r->nlat);
    r->tl = rg_xcalloc(nvar, sizeof *r->tl);
    r->ntl = rg_xcalloc(nvar, sizeof *r->ntl);
    return r;
}

void rg_results_free(rg_results *r)
{
    if (r == NULL)
        return;
    for (size_t v = 0; v < r->nvar; v++) {
        free(r->varnames[v]);
        free(r->lat[v]);
        free(r->tl[v]);
    }
    for (size_t m = 0; m < r->nmet; m++) {
        free((char *)r->met[m].name);
        free((char *)r->met[m].unit);
        free((char *)r->met[m].desc);
    }
    free(r->varnames);
    free(r->met);
    free(r->error);
    free(r->nondeterministic);
    free(r->sum);
    rows_drop(r);
    free(r->hist);
    free(r->lat);
    free(r->nlat);
    free(r->tl);
    free(r->ntl);
    free(r->tlnames[0]);
    free(r->tlnames[1]);
    free(r);
}

/* Gives r rows in memory for exactly `reps` replications (>= those
 * done), the done ones copied over. */
static void rows_resize(rg_results *r, uint64_t reps)
{
    size_t cells = r->nvar * reps * r->nmet;
    rg_mval *rows = rg_xcalloc(cells > 0 ? cells : 1, sizeof *rows);
    for (size_t v = 0; v < r->nvar; v++)
        if (r->reps_done > 0)
            memcpy(&rows[v * reps * r->nmet], &r->rows[v * r->reps * r->nmet],
                   r->reps_done * r->nmet * sizeof *rows);
    rows_drop(r);
    r->rows = rows;
    r->reps = reps;
}

/* Copies n replications' rows of variant v from src (replication `from`)
 * to dst (replication `to`), letting spilled rows of both go back to their
 * files as they are copied: a few pages in memory at a time, not the
 * table. */
static void copy_rows(rg_results *dst, uint64_t to, const rg_results *src, size_t v, uint64_t from,
                      uint64_t n)
{
    const uint64_t blk = 4096;
    uint64_t gone_d = to, gone_s = from;
    for (uint64_t i = 0; i < n; i += blk) {
        uint64_t k = n - i < blk ? n - i : blk;
        memcpy(&dst->rows[(v * dst->reps + to + i) * dst->nmet],
               &src->rows[(v * src->reps + from + i) * src->nmet],
               k * src->nmet * sizeof *src->rows);
        gone_d = rg_results_let_go(dst, v, gone_d, to + i + k);
        gone_s = rg_results_let_go(src, v, gone_s, from + i + k);
    }
}

int rg_results_append(rg_results *a, const rg_results *b, rg_err *e)
{
    bool same = a->nvar == b->nvar && a->nmet == b->nmet;
    for (size_t v = 0; same && v < a->nvar; v++)
        same = strcmp(a->varnames[v], b->varnames[v]) == 0;
    for (size_t m = 0; same && m < a->nmet; m++)
        same = strcmp(a->met[m].name, b->met[m].name) == 0 && a->met[m].type == b->met[m].type;
    if (!same)
        return rg_err_set(e, RG_ERR_INPUT,
                          "the replications to add have other variants or metrics than the "
                          "results they extend");
    uint64_t n = a->reps_done + b->reps_done;
    if (a->reps < n) /* no room made (rg_results_grow): rows for exactly n */
        rows_resize(a, n);
    for (size_t v = 0; v < a->nvar; v++) {
        copy_rows(a, a->reps_done, b, v, 0, b->reps_done);
        for (size_t k = 0; k < RG_HIST_NBINS; k++)
            a->hist[v * RG_HIST_NBINS + k] += b->hist[v * RG_HIST_NBINS + k];
        if (a->lat[v] != NULL && b->lat[v] != NULL) {
            a->lat[v] = rg_xrealloc(a->lat[v], (a->nlat[v] + b->nlat[v] + 1) * sizeof *a->lat[v]);
            if (b->nlat[v])
                memcpy(a->lat[v] + a->nlat[v], b->lat[v], b->nlat[v] * sizeof *b->lat[v]);
            a->nlat[v] += b->nlat[v];
        } else {
            free(a->lat[v]);
            a->lat[v] = NULL;
            a->nlat[v] = 0;
        }
    }
    a->reps_done = n;
    a->events += b->events;
    a->interrupted = b->interrupted;
    a->wall_seconds += b->wall_seconds;
    free(a->sum);
    a->sum = NULL;
    return 0;
}

void rg_results_reserve(rg_results *r, uint64_t reps)
{
    if (reps > r->reps)
        rows_resize(r, reps);
}

int rg_unnamed_file(const char *dir)
{
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
        return fd;
#endif
    char *path = rg_xasprintf("%s/.revguard-rows-XXXXXX", dir);
    int fd2 = mkstemp(path);
    if (fd2 >= 0) {
        unlink(path);
        (void)fcntl(fd2, F_SETFD, FD_CLOEXEC);
    }
    free(path);
    return fd2;
}

int rg_results_spill_min(uint64_t *min, rg_err *e)
{
    *min = RG_SPILL_MIN;
    const char *env = getenv("REVGUARD_SPILL_MIN");
    if (env == NULL || *env == '\0')
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(env, &end, 10);
    if (*end != '\0' || errno != 0 || !isdigit((unsigned char)*env))
        return rg_err_set(e, RG_ERR_INPUT,
                          "REVGUARD_SPILL_MIN: expected a number of bytes, got '%s'", env);
    *min = v;
    return 0;
}

bool rg_in_memory_fs(const char *dir)
{
#ifdef __linux__
    struct statfs st;
    if (statfs(dir, &st) == 0)
        return st.f_type == 0x01021994 /* TMPFS_MAGIC */ || st.f_type == 0x858458f6 /* RAMFS */;
#else
    (void)dir;
#endif
    return false;
}

/* Maps an unnamed file in dir for the rows of r's variants and metrics at
 * `reps` replications, of which the first `used` of each variant will be
 * written (rg_results_spill).  1 with *rows and *bytes set, 0 if the rows
 * are not to be spilled, -1 with e set. */
static int spill_map(const rg_results *r, const char *dir, uint64_t reps, uint64_t used,
                     rg_mval **rows, size_t *bytes, rg_err *e)
{
    size_t row = (r->nmet ? r->nmet : 1) * sizeof *r->rows;
    size_t all = r->nvar * (reps ? reps : 1) * row, in_use = r->nvar * used * row;
    uint64_t min;
    if (rg_results_spill_min(&min, e) < 0)
        return -1;
    if (in_use == 0 || in_use < min || rg_in_memory_fs(dir))
        return 0;
    int fd = rg_unnamed_file(dir);
    if (fd < 0)
        return rg_err_set(e, RG_ERR_IO, "cannot make a file in %s for the rows: %s", dir,
                          strerror(errno));
    /* The space of the rows that will be written is set aside now: a file
     * system that filled up later would otherwise fail a write to the
     * mapping with SIGBUS.  The rest of each variant's part (replications
     * asked for but never run, in a file read back) stays a hole. */
    int rc = 0;
    if (used == reps)
        rc = posix_fallocate(fd, 0, (off_t)all);
    else if (ftruncate(fd, (off_t)all) != 0)
        rc = errno;
    else
        for (size_t v = 0; rc == 0 && v < r->nvar; v++)
            rc = posix_fallocate(fd, (off_t)(v * reps * row), (off_t)(used * row));
    if (rc != 0) {
        close(fd);
        return rg_err_set(e, RG_ERR_IO,
                          "cannot set aside %.1f MB in %s for the results' rows: %s "
                          "(REVGUARD_SPILL_MIN keeps them in memory)",
                          (double)in_use / 1e6, dir, strerror(rc));
    }
    void *map = mmap(NULL, all, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int err = errno;
    close(fd);
    if (map == MAP_FAILED)
        return rg_err_set(e, RG_ERR_IO, "cannot map the rows' file in %s: %s", dir, strerror(err));
    *rows = map;
    *bytes = all;
    return 1;
}

int rg_results_spill(rg_results *r, const char *dir, uint64_t reps, uint64_t used, rg_err *e)
{
    RG_ASSERT(r->reps == 0 && r->reps_done == 0 && r->spilled == 0 && used <= reps);
    rg_mval *rows;
    size_t bytes;
    int sp = spill_map(r, dir, reps, used, &rows, &bytes, e);
    if (sp <= 0)
        return sp;
    free(r->rows);
    r->rows = rows;
    r->spilled = bytes;
    r->reps = reps;
    return 1;
}

int rg_results_grow(rg_results *r, uint64_t reps, const char *dir, rg_err *e)
{
    RG_ASSERT(reps >= r->reps_done);
    if (reps == r->reps)
        return 0;
    rg_mval *rows;
    size_t bytes;
    int sp = dir != NULL ? spill_map(r, dir, reps, reps, &rows, &bytes, e) : 0;
    if (sp < 0)
        return -1;
    if (sp == 0) {
        rows_resize(r, reps);
        return 0;
    }
    rg_results old = *r;
    r->rows = rows;
    r->spilled = bytes;
    r->reps = reps;
    for (size_t v = 0; v < r->nvar; v++)
        copy_rows(r, 0, &old, v, 0, r->reps_done);
    rows_drop(&old);
    return 0;
}

bool rg_results_scratch(rg_results *r, uint64_t reps)
{
    RG_ASSERT(r->reps == 0 && r->reps_done == 0 && r->spilled == 0);
    size_t bytes = r->nvar * (reps ? reps : 1) * (r->nmet ? r->nmet : 1) * sizeof *r->rows;
    void *map = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED)
        return false;
    free(r->rows);
    r->rows = map;
    r->spilled = bytes; /* let go and unmapped as spilled rows are */
    r->reps = reps;
    return true;
}

uint64_t rg_results_let_go(const rg_results *r, size_t v, uint64_t from, uint64_t to)
{
    if (r->spilled == 0 || to <= from)
        return from;
    /* Whole pages inside the range only: the pages at its ends may hold
     * rows still in use.  The page at the end is let go by a later call,
     * which starts from the replication returned. */
    size_t page = (size_t)sysconf(_SC_PAGESIZE), row = r->nmet * sizeof *r->rows;
    uintptr_t base = (uintptr_t)&r->rows[v * r->reps * r->nmet];
    uintptr_t a = base + from * row, b = base + to * row;
    a = (a + page - 1) & ~(uintptr_t)(page - 1);
    b &= ~(uintptr_t)(page - 1);
    if (b <= a || row == 0)
        return from;
    (void)madvise((void *)a, b - a, MADV_DONTNEED);
    return (b - base) / row;
}

void rg_results_set_timeline_names(rg_results *r, const char *const *names)
{
    for (int i = 0; i < 2; i++) {
        free(r->tlnames[i]);
        r->tlnames[i] = names && names[i] ? rg_xstrdup(names[i]) : NULL;
    }
}

double rg_results_value(const rg_results *r, size_t v, uint64_t i, size_t m)
{
    const rg_mval *x = &r->rows[(v * r->reps + i) * r->nmet + m];
    return r->met[m].type == RG_MF_INT ? (double)x->i : x->d;
}

void rg_results_column(const rg_results *r, size_t v, size_t m, double *x)
{
    for (uint64_t i = 0; i < r->reps_done; i++)
        x[i] = rg_results_value(r, v, i, m);
}

/* Spilled rows, summarized without bringing them all back: for each
 * variant, as many columns at a time as fit in a quarter of the size from
 * which rows spill, at most RG_SPILL_COLS bytes, read in blocks of
 * SPILL_BLOCK replications that are let go once read.  The columns are
 * the same numbers in the same order, so the summaries are. */
#define SPILL_BLOCK 4096

static void summarize_spilled(rg_results *r)
{
    size_t n = r->reps_done, nmet = r->nmet;
    if (nmet == 0)
        return;
    uint64_t budget = RG_SPILL_COLS, min;
    rg_err e;
    if (rg_results_spill_min(&min, &e) == 0 && min / 4 < budget)
        budget = min / 4;
    size_t k = n > 0 ? (size_t)(budget / (n * sizeof(double))) : nmet;
    k = k < 1 ? 1 : k > nmet ? nmet : k;
    double *cols = rg_xmalloc((n ? n : 1) * k * sizeof *cols);
    for (size_t v = 0; v < r->nvar; v++)
        for (size_t m0 = 0; m0 < nmet; m0 += k) {
            size_t kk = nmet - m0 < k ? nmet - m0 : k;
            uint64_t gone = 0;
            for (uint64_t i0 = 0; i0 < n; i0 += SPILL_BLOCK) {
                uint64_t i1 = n - i0 < SPILL_BLOCK ? n : i0 + SPILL_BLOCK;
                for (uint64_t i = i0; i < i1; i++)
                    for (size_t j = 0; j < kk; j++)
                        cols[j * n + i] = rg_results_value(r, v, i, m0 + j);
                gone = rg_results_let_go(r, v, gone, i1);
            }
            for (size_t j = 0; j < kk; j++)
                rg_summarize(cols + j * n, n, &r->sum[v * nmet + m0 + j]);
        }
    free(cols);
}

const rg_summary *rg_results_summary(const rg_results *r, size_t v, size_t m)
{
    RG_ASSERT(v < r->nvar && m < r->nmet);
    if (r->sum == NULL) {
        /* a cache: logically const */
        rg_results *w = (rg_results *)r;
        w->sum = rg_xcalloc(r->nvar * (r->nmet ? r->nmet : 1), sizeof *w->sum);
        if (r->spilled > 0) {
            summarize_spilled(w);
        } else {
            double *x = rg_xmalloc((r->reps_done ? r->reps_done : 1) * sizeof *x);
            for (size_t vv = 0; vv < r->nvar; vv++)
                for (size_t mm = 0; mm < r->nmet; mm++) {
                    rg_results_column(r, vv, mm, x);
                    rg_summarize(x, r->reps_done, &w->sum[vv * r->nmet + mm]);
                }
            free(x);
        }
    }
    return &r->sum[v * r->nmet + m];
}

int rg_results_metric(const rg_results *r, const char *name)
{
    for (size_t m = 0; m < r->nmet; m++)
        if (strcmp(r->met[m].name, name) == 0)
            return (int)m;
    return -1;
}

int rg_results_role(const rg_results *r, rg_mrole role)
{
    for (size_t m = 0; m < r->nmet; m++)
        if (r->met[m].role == role)
            return (int)m;
    return -1;
}

void rg_results_adopt_roles(rg_results *r, const rg_metric *met, size_t nmet)
{
    for (size_t m = 0; m < r->nmet; m++)
        for (size_t k = 0; k < nmet; k++)
            if (strcmp(r->met[m].name, met[k].name) == 0)
                r->met[m].role = met[k].role;
}

int rg_results_variant(const rg_results *r, const char *name)
{
    for (size_t v = 0; v < r->nvar; v++)
        if (strcmp(r->varnames[v], name) == 0)
            return (int)v;
    return -1;
}

/* ---- CSV ------------------------------------------------------------- */

void rg_csv_column(char *buf, size_t n, const rg_metric *m)
{
    const char *u = m->unit ? m->unit : "";
    if (m->type != RG_MF_REAL || u[0] == '\0' || strcmp(u, "1") == 0) {
        snprintf(buf, n, "%s", m->name);
        return;
    }
    int k = snprintf(buf, n, "%s_", m->name);
    for (const char *p = u; *p && k > 0 && (size_t)k + 1 < n; p++)
        buf[k++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
    if (k > 0 && (size_t)k < n)
        buf[k] = '\0';
}

void rg_csv_value(FILE *f, const rg_metric *m, rg_mval x)
{
    if (m->type == RG_MF_INT) {
        fprintf(f, ",%" PRId64, x.i);
        return;
    }
    char b[40];
    rg_fmt_shortest(b, sizeof b, x.d);
    fprintf(f, ",%s", b);
}

/* ---- console summary ------------------------------------------------- */

/* A measured metric's row is scaled by an SI prefix that brings its
 * largest mean into [1, 1000): cost_real (µUSD) 168.7 ± 0.76, not
 * 0.0001687 ± 7.6e-07.  Times with RG_MF_MS are in ms, as they always were. */
static const struct {
    double k;
    const char *p;
} prefixes[] = {{1e-9, "n"}, {1e-6, "µ"}, {1e-3, "m"}, {1, ""}, {1e3, "k"}, {1e6, "M"}};

/* The unit a metric's row names (into buf) and the factor its values are
 * multiplied by: ms, % (P), a prefixed unit, or none for counts. */
static double row_unit(const rg_results *r, size_t m, char *buf, size_t n)
{
    const rg_metric *me = &r->met[m];
    buf[0] = '\0';
    if (me->flags & RG_MF_MS) {
        snprintf(buf, n, "ms");
        return 1e3;
    }
    if (me->flags & RG_MF_PROB) {
        snprintf(buf, n, "P");
        return 100;
    }
    if (me->type != RG_MF_REAL || !me->unit || !me->unit[0] || strcmp(me->unit, "1") == 0)
        return 1;
    double big = 0;
    for (size_t v = 0; v < r->nvar; v++) {
        double x = fabs(rg_results_summary(r, v, m)->mean);
        if (isfinite(x) && x > big)
            big = x;
    }
    size_t i = 3; /* no prefix */
    if (big > 0) {
        i = 0;
        while (i + 1 < sizeof prefixes / sizeof prefixes[0] && big >= prefixes[i + 1].k)
            i++;
    }
    snprintf(buf, n, "%s%s", prefixes[i].p, me->unit);
    return 1 / prefixes[i].k;
}

static void cell(char *buf, size_t n, const rg_metric *m, const rg_summary *s, double k, bool max)
{
    const char *suffix = (m->flags & RG_MF_PROB) ? "%" : "";
    double x = max ? s->max : s->mean;
    if (isnan(x))
        snprintf(buf, n, "n/a"); /* no replication had a value */
    else if (max)
        snprintf(buf, n, "%.6g", x * k);
    else if (isnan(s->ci95))
        snprintf(buf, n, "%.4g%s", x * k, suffix);
    else if (fabs(x * k) >= 1000)
        snprintf(buf, n, "%.0f ± %.0f%s", x * k, s->ci95 * k, suffix);
    else
        snprintf(buf, n, "%.4g ± %.2g%s", x * k, s->ci95 * k, suffix);
}

/* Columns on a terminal: "±" is two bytes and one column. */
static int columns(const char *s)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

#define CELL 64

void rg_results_print(const rg_results *r, const char *title, FILE *f)
{
    size_t n = r->reps_done;
    fprintf(f, "%s: %llu replication%s%s, seed %llu\n", title, (unsigned long long)n,
            n == 1 ? "" : "s", r->interrupted ? " (INTERRUPTED: incomplete)" : "",
            (unsigned long long)r->seed);
    if (n == 0)
        return;
    /* the rows first, then the widths: columns never run into each other */
    size_t nrow = 0, ncol = r->nvar + 1;
    char *t = rg_xcalloc((2 * r->nmet + 1) * ncol, CELL);
#define AT(i, j) (t + ((i)*ncol + (j)) * CELL)
    snprintf(AT(0, 0), CELL, "metric (mean ± 95%% CI)");
    for (size_t v = 0; v < r->nvar; v++)
        snprintf(AT(0, v + 1), CELL, "%s", r->varnames[v]);
    nrow = 1;
    for (size_t m = 0; m < r->nmet; m++) {
        const rg_metric *me = &r->met[m];
        if (!(me->flags & RG_MF_SHOW))
            continue;
        char u[32];
        double k = row_unit(r, m, u, sizeof u);
        for (int pass = 0; pass < ((me->flags & RG_MF_MAX) ? 2 : 1); pass++, nrow++) {
            snprintf(AT(nrow, 0), CELL, "%s%s%s%s%s", pass ? "max " : "", me->name,
                     u[0] ? " (" : "", u, u[0] ? ")" : "");
            for (size_t v = 0; v < r->nvar; v++)
                cell(AT(nrow, v + 1), CELL, me, rg_results_summary(r, v, m), k, pass == 1);
        }
    }
    int *w = rg_xcalloc(ncol, sizeof *w);
    for (size_t i = 0; i < nrow; i++)
        for (size_t j = 0; j < ncol; j++)
            if (columns(AT(i, j)) > w[j])
                w[j] = columns(AT(i, j));
    fputc('\n', f);
    for (size_t i = 0; i < nrow; i++) {
        /* the label left-aligned, the values right-aligned, two spaces apart */
        fprintf(f, "%s%*s", AT(i, 0), w[0] - columns(AT(i, 0)), "");
        for (size_t j = 1; j < ncol; j++)
            fprintf(f, "  %*s%s", w[j] - columns(AT(i, j)), "", AT(i, j));
        fputc('\n', f);
    }
#undef AT
    free(w);
    free(t);
    fprintf(f, "\n%llu events in %.2f s of wall time (%.3g M events/s)\n",
            (unsigned long long)r->events, r->wall_seconds,
            r->wall_seconds > 0 ? (double)r->events / r->wall_seconds / 1e6 : 0.0);
}
