/*
 * results-sink-t.c: tests of how the results file is written (results.c,
 * the sink: HDF5 writes through a driver of ours straight to the
 * temporary).  Issue 18: writing must not hold the file's image in memory,
 * a failed write must never reach HDF5, and what is written must be what
 * the result set holds.
 *
 * - A result set of many replications (more than one block of summary
 *   rows, and not a multiple of it) is written and read back: every value
 *   and every "rep" index is where it belongs.
 * - The file size limit (standing in for a full disk) is hit at points
 *   spread over the whole write, from the superblock to the last bytes:
 *   each write fails with the system's reason, leaves neither the file nor
 *   a temporary, and afterwards the same process writes the same file
 *   cleanly, byte for byte as before (so HDF5 came through every failure
 *   unharmed: HDF5 1.10 cannot recover from a failed write it sees).
 * - Memory: the peak resident size while writing grows by much less than
 *   the file's size (the former writer held the image twice).  Measured
 *   with VmHWM after resetting it (/proc/self/clear_refs); skipped where
 *   that is unavailable and under sanitizers or valgrind, whose own
 *   allocations make resident sizes meaningless.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/run/results.h"
#include "tests/tap/basic.h"
#include "tests/tap/files.h"

#define NVAR 2
#define NMET 40
#define REPS 20001 /* summary rows go 2048 at a time: 9 full blocks and a short one */

static char tmpdir[64];

static char *tpath(const char *name)
{
    return rg_xasprintf("%s/%s", tmpdir, name);
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static bool contains(const char *hay, const char *needle)
{
    return hay != NULL && strstr(hay, needle) != NULL;
}

/* Files in tmpdir whose name ends in ".tmp". */
static int temp_files(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;
    for (struct dirent *de; d != NULL && (de = readdir(d)) != NULL;) {
        size_t len = strlen(de->d_name);
        n += len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* The whole file at path (new), its size in *n; NULL if unreadable. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    struct stat st;
    if (f != NULL && fstat(fileno(f), &st) == 0) {
        buf = malloc((size_t)st.st_size + 1);
        *n = fread(buf, 1, (size_t)st.st_size, f);
    }
    if (f != NULL)
        fclose(f);
    return buf;
}

static rg_metric metrics[NMET];
static char names[NMET][16];

/* NVAR variants of REPS replications; every value tells its place. */
static rg_results *make_results(void)
{
    static const char *const vn[NVAR] = {"object", "sql_naive"};
    for (size_t m = 0; m < NMET; m++) {
        snprintf(names[m], sizeof names[m], "m%02zu", m);
        metrics[m] = (rg_metric){
            names[m], m % 3 ? RG_MF_REAL : RG_MF_INT, "1", "a metric", RG_MF_SHOW, RG_ROLE_NONE};
    }
    rg_results *r = rg_results_new(NVAR, vn, NMET, metrics, REPS);
    r->reps_done = REPS;
    for (size_t v = 0; v < NVAR; v++)
        for (uint64_t i = 0; i < REPS; i++)
            for (size_t m = 0; m < NMET; m++) {
                rg_mval *x = &r->rows[(v * REPS + i) * NMET + m];
                if (metrics[m].type == RG_MF_INT)
                    x->i = (int64_t)(v * 100000000 + i * 100 + m);
                else
                    x->d = (double)v + (double)i / 8.0 + (double)m / 1024.0;
            }
    return r;
}

static void make_meta(rg_meta *m)
{
    memset(m, 0, sizeof *m);
    m->tool_version = rg_xstrdup("0.1.0-test");
    m->scenario_name = rg_xstrdup("sink");
    m->description = rg_xstrdup("many replications");
    m->model = rg_xstrdup("drop");
    m->resolved = rg_xstrdup("[scenario]\nname = sink\n");
    m->created = rg_xstrdup("2026-01-01T00:00:00Z");
    m->seed = 18;
    m->complete = true;
}

#ifndef RG_SANITIZED
/* Peak resident size (VmHWM) in KiB, or -1. */
static long peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f != NULL && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return kb;
}

/* Resets VmHWM to the current resident size; false where Linux does not
 * let us. */
static bool reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f == NULL)
        return false;
    bool ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok;
}
#endif

static void test_roundtrip(const rg_results *r, const rg_meta *meta, const char *path)
{
    rg_err e;
    rg_err_clear(&e);
    ok(rg_results_write(path, r, meta, &e) == 0, "%d replications are written (%s)", REPS, e.msg);
    rg_results *b = NULL;
    rg_meta mb;
    memset(&mb, 0, sizeof mb);
    rg_err_clear(&e);
    bool read = rg_results_read(path, &b, &mb, &e) == 0;
    ok(read && b->reps_done == REPS && b->nvar == NVAR && b->nmet == NMET,
       "... and read back whole (%s)", e.msg);
    size_t bad = 0;
    for (size_t v = 0; read && v < NVAR; v++)
        for (uint64_t i = 0; i < REPS; i++)
            bad += memcmp(&r->rows[(v * REPS + i) * NMET], &b->rows[(v * b->reps + i) * NMET],
                          NMET * sizeof(rg_mval)) != 0;
    ok(read && bad == 0, "... every row where it belongs, across the blocks (%zu differ)", bad);
    rg_results_free(b);
    rg_meta_free(&mb);
}

static void test_failures(const rg_results *r, const rg_meta *meta, const char *path)
{
    size_t n = 0;
    unsigned char *good = slurp(path, &n);
    if (good == NULL || n < 65536)
        bail("no good file to compare with");
    char *out = tpath("limited.h5");
    struct rlimit old;
    if (getrlimit(RLIMIT_FSIZE, &old) < 0)
        bail("getrlimit");
    signal(SIGXFSZ, SIG_IGN);
    /* From inside the superblock's first block to the very last byte. */
    const rlim_t limits[] = {4096, (rlim_t)n / 3, (rlim_t)n / 2, (rlim_t)n - 4096, (rlim_t)n - 1};
    for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++) {
        struct rlimit lim = old;
        lim.rlim_cur = limits[k];
        rg_err e;
        rg_err_clear(&e);
        int rc = -2;
        if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
            rc = rg_results_write(out, r, meta, &e);
            setrlimit(RLIMIT_FSIZE, &old);
        }
        ok(rc == -1 && e.kind == RG_ERR_IO && contains(e.msg, "File too large") &&
               contains(e.msg, out),
           "a limit of %llu of %zu bytes fails the write, saying why (%s)",
           (unsigned long long)limits[k], n, e.msg);
        ok(!exists(out) && temp_files() == 0, "... and leaves neither the file nor a temporary");
    }
    rg_err e;
    rg_err_clear(&e);
    ok(rg_results_write(out, r, meta, &e) == 0, "after those, the same process writes it (%s)",
       e.msg);
    size_t n2 = 0;
    unsigned char *again = slurp(out, &n2);
    ok(again != NULL && n2 == n && memcmp(good, again, n) == 0,
       "... byte for byte as the first time (%zu and %zu bytes)", n, n2);
    free(again);
    free(good);
    free(out);
}

static void test_memory(const rg_results *r, const rg_meta *meta, const char *path)
{
#ifdef RG_SANITIZED
    (void)r;
    (void)meta;
    (void)path;
    skip("resident sizes mean nothing under a sanitizer");
#else
    const char *pre = getenv("LD_PRELOAD");
    if (pre != NULL && strstr(pre, "vgpreload") != NULL) {
        skip("resident sizes mean nothing under valgrind");
        return;
    }
    /* The summaries are cached on first use: compute them first, so that
     * the write itself is what is measured. */
    (void)rg_results_summary(r, 0, 0);
    char *p = tpath("mem.h5");
    rg_err e;
    rg_err_clear(&e);
    if (!reset_peak()) {
        skip("cannot reset the peak resident size here");
        free(p);
        return;
    }
    long before = peak_kib();
    int rc = rg_results_write(p, r, meta, &e);
    long after = peak_kib();
    struct stat st;
    long file_kib = stat(p, &st) == 0 ? (long)(st.st_size / 1024) : -1;
    ok(rc == 0 && before > 0 && file_kib > 0 && after - before < file_kib / 4,
       "writing a %ld KiB file raises the peak by %ld KiB (under a quarter of it)", file_kib,
       after - before);
    free(p);
    (void)path;
#endif
}

int main(void)
{
    plan(16);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/results-sink-t.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        bail("mkdtemp failed");
    rg_results *r = make_results();
    rg_meta meta;
    make_meta(&meta);
    char *path = tpath("run.h5");

    test_roundtrip(r, &meta, path);
    test_failures(r, &meta, path);
    test_memory(r, &meta, path);

    free(path);
    rg_meta_free(&meta);
    rg_results_free(r);
    tfiles_remove_tree(tmpdir);
    return 0;
}
