/*
 * util.h: the few things every module needs: allocation that cannot fail,
 * always-on assertions, and the error value that carries a message from where
 * an input or I/O problem is found up to main, which alone picks an exit code.
 *
 * Two kinds of error, two mechanisms (see STYLE.md):
 *   - programmer errors: RG_ASSERT, which prints file:line and aborts;
 *     simulation code passes the simulated time and seed through
 *     RG_ASSERT_SIM so a failure can be replayed;
 *   - input and I/O errors: a function returns -1 (or NULL) and fills the
 *     caller-owned `rg_err`.  Nothing here calls exit().
 */
#ifndef RG_UTIL_H
#define RG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit codes of the program (DESIGN.md). */
enum {
    RG_EXIT_OK = 0,
    RG_EXIT_RUNTIME = 1, /* I/O, gnuplot, out of disk */
    RG_EXIT_USAGE = 2,   /* command line or scenario error */
    RG_EXIT_CHECK = 3,   /* a regression check failed */
    RG_EXIT_INTERRUPTED = 130
};

/* Error classes: which exit code main maps an error to. */
typedef enum { RG_ERR_NONE = 0, RG_ERR_INPUT, RG_ERR_IO, RG_ERR_CHECK } rg_errkind;

/* A caller-owned error value.  The first error set wins: later calls to
 * rg_err_set on a set error are ignored, so the root cause is reported. */
typedef struct rg_err {
    rg_errkind kind;
    char msg[1024];
} rg_err;

void rg_err_clear(rg_err *e);
/* Sets the error (if not already set) and returns -1, so call sites can
 * `return rg_err_set(e, ...)`. */
int rg_err_set(rg_err *e, rg_errkind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int rg_err_vset(rg_err *e, rg_errkind kind, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
/* Exit code for an error kind. */
int rg_err_exit_code(const rg_err *e);

/* Allocation wrappers: abort with a message on out-of-memory, so call sites
 * stay clean.  rg_xcalloc checks n * size for overflow. */
void *rg_xmalloc(size_t size) __attribute__((malloc));
void *rg_xcalloc(size_t n, size_t size) __attribute__((malloc));
void *rg_xrealloc(void *p, size_t size);
/* A sentence the out-of-memory message adds (a copy is kept; NULL: none),
 * e.g. which memory limit was reached. */
void rg_oom_note(const char *note);
/* Out of memory for `size` bytes: what rg_xmalloc does when malloc fails
 * (the note's message and exit 1 under a memory limit, else abort), for
 * memory taken otherwise (a thread's stack). */
void rg_oom(size_t size);
/* Grows *p (an array of elements of `size` bytes with capacity *cap) so that
 * it holds at least `need` elements; doubles the capacity. */
void rg_xgrow(void **p, size_t *cap, size_t need, size_t size);
char *rg_xstrdup(const char *s) __attribute__((malloc));
char *rg_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2), malloc));
/* The directory part of path, new: "." for a bare name, "/" for one at the
 * root (a trailing name is dropped, whether or not it exists). */
char *rg_dir_of(const char *path) __attribute__((malloc));

/* A growable string, for building messages and text files. */
typedef struct rg_buf {
    char *s;
    size_t len, cap;
} rg_buf;
void rg_buf_printf(rg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rg_buf_free(rg_buf *b);
/* Reads the regular file at path whole, as text (a new string; *len its
 * length, may be NULL).  A missing or unreadable file, a directory or
 * anything else that is not a regular file, or more than max bytes, is an
 * input error (e) naming path and `what` the file was to be ("scenario"). */
char *rg_read_text(const char *path, const char *what, size_t max, size_t *len, rg_err *e);
/* Appends names[0..n-1] as a list in words: "a", "a or b", "a, b or c". */
void rg_buf_or_list(rg_buf *b, const char *const *names, size_t n);

/* Files written whole or not at all, never through a link and never over
 * what the program did not write.
 *
 * A file at path is written to its temporary "<path>.tmp", created
 * exclusively (O_EXCL, so never through a symlink) and locked (flock) by
 * the writing process, then synced and renamed over path.  Path itself is
 * checked with lstat first and again just before the rename: a symbolic
 * link, a directory, a device, a FIFO or a socket is never replaced, even
 * with force (`--csv /dev/null` as root must not replace /dev/null).  Two
 * processes writing one path at once: the second finds the temporary
 * locked and is refused ("another revguard-sim is writing it"); a
 * temporary left by a process that died is unlocked, and is taken over.
 *
 * rg_atomic_reserve takes the temporary early, at the start of a run, so
 * that a second run of the same output is refused at its start, not
 * minutes later; the process's next rg_atomic_open(_force) of that path uses it,
 * and a reservation never used is removed at exit.  Reservations belong
 * to the main thread: take them before starting workers. */

/* Tells whether the existing regular file at path was written by this
 * program (its results format, its CSV header, its expectations header). */
typedef bool (*rg_ours_fn)(const char *path);

typedef struct rg_atomic {
    FILE *f; /* write here (or write(2) to fd, never both) */
    int fd;  /* the temporary, locked */
    char *path, *tmp;
    struct rg_atomic *next; /* the writes in progress, for a fatal signal */
} rg_atomic;

/* Opens path for writing whole: refuses a symlink, a directory or a file
 * that is not regular at path, and an existing file for which ours (if
 * not NULL) is false unless force; then takes path's reservation or
 * creates its temporary.  RG_ERR_INPUT for what is refused, RG_ERR_IO
 * for a failing system call. */
int rg_atomic_open(rg_atomic *a, const char *path, bool force, rg_ours_fn ours, rg_err *e);
/* From the first reservation or open on, SIGINT, SIGTERM and SIGHUP (where
 * they would end the process: not ignored, not taken by the runner, which
 * holds them during a run) first remove the temporaries of reservations
 * and of writes in progress, then end the process as before: a command
 * stopped before or while it writes (merge reading its parts, --extend
 * reading the old file) leaves no "<path>.tmp" behind.  a must stay where
 * it is (not copied) from rg_atomic_open to its commit or discard. */
/* rg_atomic_open with force: any regular file at path may be replaced
 * (still never a link, a directory or a device).  For files whose names
 * the program chose itself or that the user asked to replace. */
int rg_atomic_open_force(rg_atomic *a, const char *path, rg_err *e);
/* Flushes, syncs and renames the temporary over path (checked again),
 * or removes it and reports the error (with the path) if anything failed.
 * Either way the rg_atomic is released. */
int rg_atomic_commit(rg_atomic *a, rg_err *e);
/* Removes the temporary and releases the rg_atomic: nothing is written. */
void rg_atomic_discard(rg_atomic *a);
/* Checks path as rg_atomic_open does and reserves it for this
 * process (see above).  Reserving a path twice is one reservation. */
int rg_atomic_reserve(const char *path, bool force, rg_ours_fn ours, rg_err *e);
/* In a process that writes none of its outputs (an MPI rank above 0: rank
 * 0 writes), rg_atomic_reserve only checks: taking rank 0's reservation
 * would refuse one of them at random. */
void rg_atomic_reserve_checks_only(void);

/* Reads up to n - 1 bytes from the start of the regular file at path into
 * buf, NUL-terminated (never blocking on a FIFO, never through a
 * symlink).  Returns the bytes read, or -1 if path is no readable regular
 * file.  For rg_ours_fn predicates. */
long rg_file_head(const char *path, char *buf, size_t n);
/* 0 if the regular file at path can be opened for reading, else the errno
 * of the failed open (never through a symlink): says why an existing file
 * could not be recognised as ours (rg_ours_fn). */
int rg_file_unreadable(const char *path);
/* Before any work: whether a file can be created or replaced at path: its
 * directory exists and is writable, and path is not a directory.  Returns
 * 0, or -1 with e naming `what` the file is ("CSV file") and the cause. */
int rg_check_writable(const char *path, const char *what, rg_err *e);
/* mkdir -p for an output directory the user named: creates dir and the
 * directories above it that are missing.  RG_ERR_INPUT for a name that
 * cannot be one (empty, too long; a file that is not a directory, or a
 * symbolic link that leads to none, here or above), RG_ERR_IO for a
 * failing system call (no permission, a read-only file system). */
int rg_mkdir_p(const char *dir, rg_err *e);

/* Writes s as one CSV field, quoted (RFC 4180) when it holds a comma, a
 * quote or a line break (names from scenarios can hold anything). */
void rg_csv_field(FILE *f, const char *s);

/* Formats x with the fewest significant digits ("%.{n}g", n <= 17) that
 * read back as exactly x: 0.03440695, not 0.034406950000000006.  "nan",
 * "inf" and "-inf" for those. */
void rg_fmt_shortest(char *buf, size_t n, double x);

/* Levenshtein distance, for "did you mean" suggestions (short strings only). */
size_t rg_edit_distance(const char *a, const char *b);

/* Always-on assertion (never compiled out).  Prints the expression, file and
 * line, then aborts. */
/* RG_SANITIZED is defined in a build under AddressSanitizer (GCC or clang)
 * or MemorySanitizer, which reserve terabytes of shadow memory: memory
 * caps and measurements of resident memory mean nothing there. */
#if defined(__SANITIZE_ADDRESS__)
#define RG_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define RG_SANITIZED 1
#endif
#endif

#define RG_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            rg_assert_fail(#cond, __FILE__, __LINE__, -1, 0, 0);                                   \
    } while (0)
/* Same, also printing simulated time (ns) and the run's seed and replication,
 * so the failing replication can be replayed with `trace`. */
#define RG_ASSERT_SIM(cond, now_ns, seed, rep)                                                     \
    do {                                                                                           \
        if (!(cond))                                                                               \
            rg_assert_fail(#cond, __FILE__, __LINE__, (now_ns), (seed), (rep));                    \
    } while (0)
void rg_assert_fail(const char *expr, const char *file, int line, int64_t now_ns, uint64_t seed,
                    uint64_t rep) __attribute__((noreturn));

#endif
