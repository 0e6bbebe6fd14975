/*
 * util.c: allocation wrappers, the error value, small string helpers.
 * Out-of-memory is the one condition handled by aborting here, in one place.
 */
#include "sim/engine/util.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
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

static char oom_text[256];
static pid_t oom_pid; /* the process that set the note */

void rg_oom_note(const char *note)
{
    snprintf(oom_text, sizeof oom_text, "%s", note ? note : "");
    oom_pid = getpid();
}

static void resv_unlink_unwritten(void);

/* Out of memory.  In the process that set a note (a run under its memory
 * limit), a runtime failure: the message, the unwritten temporaries
 * removed, exit 1, without atexit handlers (other threads may be running).
 * Anywhere else (the results reader's vetting child among them), abort. */
static void oom(size_t size)
{
    fprintf(stderr, "revguard-sim: out of memory allocating %zu bytes%s%s\n", size,
            oom_text[0] ? ": " : "", oom_text);
    if (oom_text[0] && getpid() == oom_pid) {
        resv_unlink_unwritten();
        _exit(1);
    }
    abort();
}

void rg_oom(size_t size)
{
    oom(size);
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

char *rg_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash == NULL   ? rg_xstrdup(".")
           : slash == path ? rg_xstrdup("/")
                           : rg_xasprintf("%.*s", (int)(slash - path), path);
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

/* ---- files written whole ------------------------------------------------ */

/* A reservation: path's temporary, created and locked by this process. */
typedef struct resv {
    char *path, *tmp;
    int fd;
} resv;

static resv *resvs;
static size_t nresv, resvcap;

/* True if fd is the file now at p (p not followed if a link). */
static bool same_file(int fd, const char *p)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && lstat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The temporaries of reservations never written are removed (nothing
 * freed: called from the out-of-memory path too). */
static void resv_unlink_unwritten(void)
{
    for (size_t i = 0; i < nresv; i++)
        if (same_file(resvs[i].fd, resvs[i].tmp))
            unlink(resvs[i].tmp);
}

/* Writes in progress (rg_atomic_open until commit or discard). */
static rg_atomic *writing;
/* The process that installed resv_on_signal: a forked child (the results
 * reader's vetting child) inherits the handler but removes nothing. */
static pid_t guard_pid;

/* SIGINT, SIGTERM or SIGHUP that would end the process: the temporaries
 * go first (fstat, lstat and unlink are async-signal-safe), then the
 * signal, its action reset to the default (SA_RESETHAND), ends it. */
static void resv_on_signal(int sig)
{
    int saved = errno;
    if (getpid() == guard_pid) {
        resv_unlink_unwritten();
        for (rg_atomic *a = writing; a != NULL; a = a->next)
            if (same_file(a->fd, a->tmp))
                unlink(a->tmp);
    }
    raise(sig);
    errno = saved;
}

/* Installs resv_on_signal where a signal would end the process. */
static void guard_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    if (guard_pid == getpid())
        return;
    guard_pid = getpid();
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa = {0};
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue; /* ignored (nohup, a background job), or someone's */
        sa.sa_handler = resv_on_signal;
        sa.sa_flags = SA_RESETHAND;
        sigfillset(&sa.sa_mask);
        (void)sigaction(sigs[i], &sa, NULL);
    }
}

/* Blocks (block true) or restores the guarded signals around a change
 * of the lists resv_on_signal reads. */
static void guard_block(bool block, sigset_t *old)
{
    if (block) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGINT);
        sigaddset(&s, SIGTERM);
        sigaddset(&s, SIGHUP);
        (void)sigprocmask(SIG_BLOCK, &s, old);
    } else {
        (void)sigprocmask(SIG_SETMASK, old, NULL);
    }
}

/* Takes a out of the writes in progress. */
static void writing_drop(rg_atomic *a)
{
    sigset_t old;
    guard_block(true, &old);
    for (rg_atomic **p = &writing; *p != NULL; p = &(*p)->next)
        if (*p == a) {
            *p = a->next;
            break;
        }
    guard_block(false, &old);
    a->next = NULL;
}

/* At exit: the temporaries of reservations never written are removed. */
static void resv_cleanup(void)
{
    for (size_t i = 0; i < nresv; i++) {
        if (same_file(resvs[i].fd, resvs[i].tmp))
            unlink(resvs[i].tmp);
        close(resvs[i].fd);
        free(resvs[i].path);
        free(resvs[i].tmp);
    }
    free(resvs);
    resvs = NULL;
    nresv = resvcap = 0;
}

/* Index of the reservation of path, or of the one whose temporary is the
 * file fd (when fd >= 0); -1 if none. */
static long resv_find(const char *path, int fd)
{
    for (size_t i = 0; i < nresv; i++) {
        struct stat a, b;
        if ((path != NULL && strcmp(resvs[i].path, path) == 0) ||
            (fd >= 0 && fstat(fd, &a) == 0 && fstat(resvs[i].fd, &b) == 0 && a.st_dev == b.st_dev &&
             a.st_ino == b.st_ino))
            return (long)i;
    }
    return -1;
}

/* Takes reservation i out of the table; its fd is the caller's. */
static int resv_take(long i, char **tmp)
{
    sigset_t old;
    guard_block(true, &old);
    resv r = resvs[i];
    resvs[i] = resvs[--nresv];
    guard_block(false, &old);
    free(r.path);
    *tmp = r.tmp;
    return r.fd;
}

/* Refuses to write at path if it is a symlink, a directory or not a
 * regular file, or (unless force) a file for which ours is false. */
static int check_target(const char *path, bool force, rg_ours_fn ours, rg_err *e)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return rg_err_set(e, RG_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    if (S_ISLNK(st.st_mode))
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s is a symbolic link; refusing to write through it (name the file "
                          "itself)",
                          path);
    if (S_ISDIR(st.st_mode))
        return rg_err_set(e, RG_ERR_INPUT, "%s is a directory; give a file name", path);
    if (!S_ISREG(st.st_mode))
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s exists and is not a regular file (a device, FIFO or socket); "
                          "refusing to replace it",
                          path);
    if (!force && ours != NULL && !ours(path)) {
        int why = rg_file_unreadable(path);
        if (why != 0)
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s exists and cannot be read (%s), so it cannot be told from a "
                              "file of revguard-sim; use --force to replace it",
                              path, strerror(why));
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s exists and was not written by revguard-sim; use --force to "
                          "overwrite it",
                          path);
    }
    return 0;
}

/* Creates and locks path's temporary tmp, or takes it over from a
 * process that died (its lock is gone); *resv_i is set when the
 * temporary is this process's own reservation.  Returns the fd, or -1. */
static int tmp_create(const char *path, const char *tmp, long *resv_i, rg_err *e)
{
    *resv_i = -1;
    for (int tries = 0; tries < 4; tries++) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd >= 0) {
            if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                return fd;
            close(fd);
            break; /* another writer got hold of it at once */
        }
        if (errno != EEXIST)
            return rg_err_set(e, RG_ERR_IO, "%s: cannot create %s: %s", path, tmp, strerror(errno));
        int old = open(tmp, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (old < 0) {
            if (errno == ENOENT)
                continue; /* gone meanwhile */
            return rg_err_set(e, RG_ERR_INPUT, "%s: %s exists and cannot be used: %s", path, tmp,
                              errno == ELOOP ? "it is a symbolic link" : strerror(errno));
        }
        struct stat st;
        if (fstat(old, &st) < 0 || !S_ISREG(st.st_mode)) {
            close(old);
            return rg_err_set(e, RG_ERR_INPUT, "%s: %s exists and is not a regular file", path,
                              tmp);
        }
        if ((*resv_i = resv_find(NULL, old)) >= 0) { /* our own, under another name */
            close(old);
            return -2;
        }
        if (flock(old, LOCK_EX | LOCK_NB) < 0) {
            close(old);
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s: another revguard-sim is writing it (%s is in use); try again "
                              "when it has finished",
                              path, tmp);
        }
        /* Left by a process that died: remove it if it is still there. */
        if (same_file(old, tmp))
            unlink(tmp);
        close(old);
    }
    return rg_err_set(e, RG_ERR_IO, "%s: cannot create %s: another process keeps taking it", path,
                      tmp);
}

/* Syncs the temporary fd and renames it over path, after checking that
 * tmp still is that file and path still may be replaced. */
static int tmp_commit(int fd, const char *tmp, const char *path, rg_err *e)
{
    if (fsync(fd) < 0)
        return rg_err_set(e, RG_ERR_IO, "%s: cannot write %s: %s", path, tmp, strerror(errno));
    if (!same_file(fd, tmp))
        return rg_err_set(e, RG_ERR_IO, "%s: %s was removed or replaced while being written", path,
                          tmp);
    if (check_target(path, true, NULL, e) < 0)
        return -1;
    if (rename(tmp, path) < 0)
        return rg_err_set(e, RG_ERR_IO, "%s: cannot rename %s: %s", path, tmp, strerror(errno));
    /* Make the rename itself durable; some file systems cannot sync a
     * directory, and the file is complete either way. */
    char *dir = rg_dir_of(path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(dir);
    return 0;
}

/* Opens path's temporary: the reservation, or a new one; checks path. */
static int tmp_open(const char *path, bool force, rg_ours_fn ours, char **tmp, rg_err *e)
{
    if (check_target(path, force, ours, e) < 0)
        return -1;
    long i = resv_find(path, -1);
    if (i >= 0)
        return resv_take(i, tmp);
    *tmp = rg_xasprintf("%s.tmp", path);
    int fd = tmp_create(path, *tmp, &i, e);
    if (fd == -2) {
        free(*tmp);
        fd = resv_take(i, tmp);
    }
    if (fd < 0) {
        free(*tmp);
        *tmp = NULL;
    }
    return fd;
}

static bool resv_checks_only;

void rg_atomic_reserve_checks_only(void)
{
    resv_checks_only = true;
}

int rg_atomic_reserve(const char *path, bool force, rg_ours_fn ours, rg_err *e)
{
    if (check_target(path, force, ours, e) < 0)
        return -1;
    if (resv_checks_only || resv_find(path, -1) >= 0)
        return 0;
    char *tmp = rg_xasprintf("%s.tmp", path);
    long i;
    int fd = tmp_create(path, tmp, &i, e);
    if (fd == -2) { /* reserved already under another spelling of path */
        free(tmp);
        return 0;
    }
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    static bool registered;
    if (!registered && atexit(resv_cleanup) == 0)
        registered = true;
    guard_signals();
    char *p = rg_xstrdup(path);
    sigset_t old;
    guard_block(true, &old);
    rg_xgrow((void **)&resvs, &resvcap, nresv + 1, sizeof *resvs);
    resvs[nresv++] = (resv){p, tmp, fd};
    guard_block(false, &old);
    return 0;
}

int rg_atomic_open(rg_atomic *a, const char *path, bool force, rg_ours_fn ours, rg_err *e)
{
    a->f = NULL;
    a->tmp = NULL;
    a->next = NULL;
    guard_signals();
    a->fd = tmp_open(path, force, ours, &a->tmp, e);
    if (a->fd < 0)
        return -1;
    sigset_t old;
    guard_block(true, &old);
    a->next = writing;
    writing = a;
    guard_block(false, &old);
    a->path = rg_xstrdup(path);
    a->f = fdopen(a->fd, "w");
    if (a->f == NULL) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot write %s: %s", path, a->tmp, strerror(errno));
        rg_atomic_discard(a);
        return -1;
    }
    return 0;
}

int rg_atomic_open_force(rg_atomic *a, const char *path, rg_err *e)
{
    return rg_atomic_open(a, path, true, NULL, e);
}

void rg_atomic_discard(rg_atomic *a)
{
    writing_drop(a);
    if (same_file(a->fd, a->tmp))
        unlink(a->tmp);
    if (a->f != NULL)
        fclose(a->f);
    else
        close(a->fd);
    free(a->path);
    free(a->tmp);
    a->f = NULL;
    a->fd = -1;
    a->path = a->tmp = NULL;
}

int rg_atomic_commit(rg_atomic *a, rg_err *e)
{
    int rc = 0;
    errno = 0;
    if (fflush(a->f) != 0 || ferror(a->f))
        rc = rg_err_set(e, RG_ERR_IO, "%s: cannot write %s: %s", a->path, a->tmp,
                        errno ? strerror(errno) : "error while writing");
    else
        rc = tmp_commit(a->fd, a->tmp, a->path, e);
    if (rc < 0) {
        rg_atomic_discard(a);
        return -1;
    }
    writing_drop(a);
    /* Closed after the rename: the lock is held until path is complete. */
    if (fclose(a->f) != 0)
        rc = rg_err_set(e, RG_ERR_IO, "%s: cannot close: %s", a->path, strerror(errno));
    free(a->path);
    free(a->tmp);
    a->f = NULL;
    a->fd = -1;
    a->path = a->tmp = NULL;
    return rc;
}

long rg_file_head(const char *path, char *buf, size_t n)
{
    if (n == 0)
        return -1;
    buf[0] = '\0';
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    ssize_t k = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        do
            k = read(fd, buf, n - 1);
        while (k < 0 && errno == EINTR);
    }
    close(fd);
    if (k < 0)
        return -1;
    buf[k] = '\0';
    return (long)k;
}

int rg_file_unreadable(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    close(fd);
    return 0;
}

int rg_check_writable(const char *path, const char *what, rg_err *e)
{
    size_t n = strlen(path);
    if (n == 0 || path[n - 1] == '/')
        return rg_err_set(e, RG_ERR_INPUT, "cannot write %s '%s': give a file name", what, path);
    char *dir = rg_dir_of(path);
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

/* One step of rg_mkdir_p: d exists as a directory afterwards, or e says
 * why not. */
static int mkdir_one(const char *d, rg_err *e)
{
    if (mkdir(d, 0777) == 0)
        return 0;
    int err = errno;
    if (err == ENAMETOOLONG)
        return rg_err_set(e, RG_ERR_INPUT, "cannot create directory %s: the name is too long", d);
    if (err != EEXIST)
        return rg_err_set(e, RG_ERR_IO, "cannot create directory %s: %s", d, strerror(err));
    struct stat st;
    if (stat(d, &st) == 0) {
        if (S_ISDIR(st.st_mode))
            return 0;
        return rg_err_set(e, RG_ERR_INPUT, "cannot create directory %s: a file of that name exists",
                          d);
    }
    err = errno;
    if ((err == ENOENT || err == ELOOP || err == ENOTDIR) && lstat(d, &st) == 0 &&
        S_ISLNK(st.st_mode))
        return rg_err_set(e, RG_ERR_INPUT,
                          "cannot create directory %s: a symbolic link of that name leads to "
                          "no directory (%s)",
                          d, strerror(err));
    return rg_err_set(e, RG_ERR_IO, "cannot create directory %s: %s", d, strerror(err));
}

int rg_mkdir_p(const char *dir, rg_err *e)
{
    if (dir[0] == '\0')
        return rg_err_set(e, RG_ERR_INPUT, "cannot create directory '': give a directory name");
    /* a name too long is refused before any directory of it is made */
    for (const char *p = dir; *p != '\0'; p += strspn(p, "/")) {
        size_t part = strcspn(p, "/");
        if (part > NAME_MAX)
            return rg_err_set(e, RG_ERR_INPUT,
                              "cannot create directory %s: a name in it is longer than %d bytes",
                              dir, NAME_MAX);
        p += part;
    }
    if (strlen(dir) >= PATH_MAX)
        return rg_err_set(e, RG_ERR_INPUT,
                          "cannot create directory: its name is longer than %d bytes",
                          PATH_MAX - 1);
    char *d = rg_xstrdup(dir);
    int rc = 0;
    /* each prefix that ends before a '/' (not the root's), then dir */
    for (char *p = d + 1; rc == 0 && *p != '\0'; p++) {
        if (*p != '/' || p[-1] == '/')
            continue;
        *p = '\0';
        rc = mkdir_one(d, e);
        *p = '/';
    }
    if (rc == 0)
        rc = mkdir_one(d, e);
    free(d);
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
    /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        rg_err_set(e, RG_ERR_INPUT, "%s: cannot open %s: %s", path, what, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot read %s: %s", path, what, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        rg_err_set(e, RG_ERR_INPUT, "%s: cannot open %s: %s", path, what,
                   S_ISDIR(st.st_mode) ? "it is a directory"
                                       : "not a regular file (a FIFO or a device?)");
        close(fd);
        return NULL;
    }
    if ((uint64_t)st.st_size > max) { /* refused before reading any of it */
        rg_err_set(e, RG_ERR_INPUT, "%s: %lld bytes, more than a %s may hold (%zu bytes)", path,
                   (long long)st.st_size, what, max);
        close(fd);
        return NULL;
    }
    (void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "r");
    if (f == NULL) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot read %s: %s", path, what, strerror(errno));
        close(fd);
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
