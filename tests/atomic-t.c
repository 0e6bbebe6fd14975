/*
 * atomic-t.c: tests of the files written whole (sim/engine/util.c,
 * rg_atomic_*): a file appears complete or not at all; a symbolic link,
 * a directory, a FIFO at the path, or a link planted at its temporary, is
 * never written through or replaced; a file the program did not write is
 * replaced only with force; a second writer of the same path is refused
 * while the first holds it, a temporary left by a dead process is taken
 * over, and a reservation never used is removed at exit.
 *
 * Files live in a mkdtemp directory under /tmp that is removed at the end.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/engine/util.h"
#include "tests/tap/basic.h"
#include "tests/tap/files.h"

static char tmpdir[64];

static char *tpath(const char *name)
{
    return rg_xasprintf("%s/%s", tmpdir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
        bail("cannot write %s", path);
}

/* The whole text of path (static buffer), or "" if unreadable. */
static const char *text_of(const char *path)
{
    static char buf[4096];
    if (rg_file_head(path, buf, sizeof buf) < 0)
        buf[0] = '\0';
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Writes text to path with rg_atomic_open; the error in *e. */
static int put(const char *path, bool force, rg_ours_fn ours, const char *text, rg_err *e)
{
    rg_atomic a;
    rg_err_clear(e);
    if (rg_atomic_open(&a, path, force, ours, e) < 0)
        return -1;
    fputs(text, a.f);
    return rg_atomic_commit(&a, e);
}

static bool ours_if_marked(const char *path)
{
    char head[64];
    return rg_file_head(path, head, sizeof head) > 0 && strncmp(head, "variant,rep", 11) == 0;
}

/* This program, for run_self. */
static const char *self;

/* Runs this program as another process: "put PATH" writes PATH (exit 0;
 * 3 if refused because another process writes it), "reserve PATH"
 * reserves PATH and exits (0).  Returns the exit status. */
static int run_self(const char *what, const char *path)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* under AddressSanitizer, a failed malloc returns NULL as libc's
         * does, instead of ending the test */
        const char *asan = getenv("ASAN_OPTIONS");
        char *opts = rg_xasprintf("%s%sallocator_may_return_null=1", asan ? asan : "",
                                  asan && *asan ? ":" : "");
        setenv("ASAN_OPTIONS", opts, 1);
        execl(self, self, what, path, (char *)NULL);
        _exit(127);
    }
    int st = -1;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* The other process of run_self. */
static int other(const char *what, const char *path)
{
    rg_err e;
    rg_err_clear(&e);
    if (strcmp(what, "reserve") == 0)
        return rg_atomic_reserve(path, true, NULL, &e) == 0 ? 0 : 1;
    if (strcmp(what, "oom") == 0 || strcmp(what, "oom-child") == 0) {
        /* a run under its memory limit that runs out: the reservation's
         * temporary goes, exit 1; a process forked after the note aborts */
        if (rg_atomic_reserve(path, true, NULL, &e) < 0)
            return 2;
        rg_oom_note("the test's limit");
        if (strcmp(what, "oom-child") == 0) {
            pid_t pid = fork();
            if (pid == 0)
                free(rg_xmalloc(SIZE_MAX / 2));
            int st = 0;
            waitpid(pid, &st, 0);
            return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT ? 5 : 6;
        }
        free(rg_xmalloc(SIZE_MAX / 2));
        return 4; /* not reached */
    }
    if (put(path, true, NULL, "other\n", &e) == 0)
        return 0;
    return strstr(e.msg, "another revguard-sim is writing") != NULL ? 3 : 1;
}

static void test_plain(void)
{
    rg_err e;
    char *p = tpath("plain.csv"), *tmp = tpath("plain.csv.tmp");
    ok(put(p, false, ours_if_marked, "variant,rep\nA,0\n", &e) == 0 &&
           strcmp(text_of(p), "variant,rep\nA,0\n") == 0 && !exists(tmp),
       "a new file is written whole, no temporary left");
    ok(put(p, false, ours_if_marked, "variant,rep\nB,1\n", &e) == 0 &&
           strcmp(text_of(p), "variant,rep\nB,1\n") == 0,
       "a file of ours is replaced without force");

    rg_atomic a;
    rg_err_clear(&e);
    ok(rg_atomic_open_force(&a, p, &e) == 0 && exists(tmp), "open creates the temporary");
    fputs("never", a.f);
    rg_atomic_discard(&a);
    ok(!exists(tmp) && strcmp(text_of(p), "variant,rep\nB,1\n") == 0,
       "discard removes it and leaves the file");
    free(p);
    free(tmp);
}

static void test_not_ours(void)
{
    rg_err e;
    char *p = tpath("notes.txt");
    write_text(p, "my notes\n");
    int rc = put(p, false, ours_if_marked, "variant,rep\n", &e);
    ok(rc < 0 && e.kind == RG_ERR_INPUT && strstr(e.msg, "--force") != NULL &&
           strcmp(text_of(p), "my notes\n") == 0,
       "a file the program did not write is refused without force (%s)", e.msg);
    ok(put(p, true, ours_if_marked, "variant,rep\n", &e) == 0 &&
           strcmp(text_of(p), "variant,rep\n") == 0,
       "... and replaced with force");
    free(p);
}

static void test_links(void)
{
    rg_err e;
    char *victim = tpath("victim.txt"), *link = tpath("link.csv");
    write_text(victim, "precious\n");
    if (symlink(victim, link) < 0)
        bail("cannot make a symlink");
    int rc = put(link, true, NULL, "clobbered\n", &e);
    struct stat st;
    ok(rc < 0 && e.kind == RG_ERR_INPUT && strstr(e.msg, "symbolic link") != NULL &&
           lstat(link, &st) == 0 && S_ISLNK(st.st_mode) &&
           strcmp(text_of(victim), "precious\n") == 0,
       "a symlink at the path is refused, even with force (%s)", e.msg);

    /* The old attack: a link planted where the temporary will be. */
    char *out = tpath("out.csv"), *planted = tpath("out.csv.tmp");
    if (symlink(victim, planted) < 0)
        bail("cannot make a symlink");
    rc = put(out, true, NULL, "clobbered\n", &e);
    ok(rc < 0 && strstr(e.msg, "symbolic link") != NULL && !exists(out) &&
           strcmp(text_of(victim), "precious\n") == 0,
       "a symlink planted at the temporary is never written through (%s)", e.msg);
    unlink(planted);

    /* A link that appears at the path while the file is being written. */
    rg_atomic a;
    rg_err_clear(&e);
    rc = rg_atomic_open_force(&a, out, &e);
    fputs("late\n", a.f);
    if (rc == 0 && symlink(victim, out) < 0)
        bail("cannot make a symlink");
    rg_err_clear(&e);
    rc = rc == 0 ? rg_atomic_commit(&a, &e) : rc;
    ok(rc < 0 && lstat(out, &st) == 0 && S_ISLNK(st.st_mode) && !exists(planted) &&
           strcmp(text_of(victim), "precious\n") == 0,
       "a symlink that appears before the rename is left alone (%s)", e.msg);
    free(victim);
    free(link);
    free(out);
    free(planted);
}

static void test_special(void)
{
    rg_err e;
    char *fifo = tpath("fifo.csv");
    if (mkfifo(fifo, 0600) < 0)
        bail("cannot make a FIFO");
    struct stat st;
    int rc = put(fifo, true, NULL, "x\n", &e);
    ok(rc < 0 && e.kind == RG_ERR_INPUT && strstr(e.msg, "not a regular file") != NULL &&
           lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode),
       "a FIFO is never replaced, even with force (%s)", e.msg);
    char head[16];
    ok(rg_file_head(fifo, head, sizeof head) == -1, "rg_file_head does not block on a FIFO");
    rc = put(tmpdir, true, NULL, "x\n", &e);
    ok(rc < 0 && e.kind == RG_ERR_INPUT && strstr(e.msg, "directory") != NULL,
       "a directory is refused (%s)", e.msg);
    free(fifo);
}

static void test_writers(void)
{
    rg_err e;
    char *p = tpath("busy.csv"), *tmp = tpath("busy.csv.tmp");
    rg_atomic a;
    rg_err_clear(&e);
    if (rg_atomic_open_force(&a, p, &e) < 0)
        bail("%s", e.msg);
    fputs("first\n", a.f);
    int rc = put(p, true, NULL, "second\n", &e);
    ok(rc < 0 && e.kind == RG_ERR_INPUT && strstr(e.msg, "another revguard-sim is writing") != NULL,
       "a second writer of the same path is refused (%s)", e.msg);
    rg_err_clear(&e);
    ok(rg_atomic_commit(&a, &e) == 0 && strcmp(text_of(p), "first\n") == 0,
       "... and the first one finishes");

    write_text(tmp, "left by a crash");
    ok(put(p, true, NULL, "after\n", &e) == 0 && strcmp(text_of(p), "after\n") == 0 && !exists(tmp),
       "a temporary left by a dead process is taken over");

    /* A reservation holds the path against other processes. */
    rg_err_clear(&e);
    ok(rg_atomic_reserve(p, true, NULL, &e) == 0 && exists(tmp),
       "a reservation takes the temporary");
    ok(run_self("put", p) == 3, "another process cannot write the reserved path");
    ok(put(p, true, NULL, "mine\n", &e) == 0 && strcmp(text_of(p), "mine\n") == 0 && !exists(tmp),
       "this process writes it through the reservation");

    /* A reservation never used is gone when its process exits. */
    char *q = tpath("unused.csv"), *qtmp = tpath("unused.csv.tmp");
    ok(run_self("reserve", q) == 0 && !exists(qtmp) && !exists(q),
       "an unused reservation is removed at exit");
    free(p);
    free(tmp);
    free(q);
    free(qtmp);
}

/* Out of memory under a memory limit: exit 1, no temporary left; a
 * forked process (the results reader's vetting child) still aborts. */
static void test_oom(void)
{
    char *p = rg_xasprintf("%s/oom.h5", tmpdir), *tmp = rg_xasprintf("%s.tmp", p);
    is_int(1, run_self("oom", p), "out of memory under the limit: exit 1 ...");
    ok(!exists(tmp) && !exists(p), "... the reserved temporary removed, nothing written");
    free(p);
    free(tmp);
    p = rg_xasprintf("%s/oom2.h5", tmpdir);
    is_int(5, run_self("oom-child", p), "a process forked after the note aborts");
    free(p);
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc == 3)
        return other(argv[1], argv[2]);
    plan(22);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/atomic-t.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        bail("mkdtemp failed");
    test_plain();
    test_not_ours();
    test_links();
    test_special();
    test_writers();
    test_oom();
    tfiles_remove_tree(tmpdir);
    return 0;
}
