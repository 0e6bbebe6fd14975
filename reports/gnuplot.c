/*
 * gnuplot.c: talking to gnuplot safely (the API and its invariants are in
 * gnuplot.h): finding the program, making untrusted text safe inside a
 * script, and running gnuplot on script files.
 *
 * Text: every writer here first makes its text one line of printable UTF-8
 * (clean: control characters become spaces, invalid UTF-8 '?'), then
 * escapes it for a double-quoted string (esc_clean).  Cutting and wrapping
 * count characters, not bytes, and never split a UTF-8 sequence.
 *
 * Running: fork, then in the child chdir, dup2 and execv only (async-signal-
 * safe calls), so no shell ever sees a file name.  gnuplot gets -d (no init
 * files), so a page redraws the same when run by hand.  The log is opened
 * once, O_APPEND, above fd 2, and shared by every run; its excerpt for a
 * failing script goes into the error message.
 */
#include "reports/gnuplot.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef GNUPLOT_PATH
#define GNUPLOT_PATH ""
#endif

/* ---- text for scripts --------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (2 to 4 bytes), or 0. */
static size_t utf8_len(const unsigned char *p)
{
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        len = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3;
        if (p[0] == 0xe0)
            lo = 0xa0; /* overlong */
        if (p[0] == 0xed)
            hi = 0x9f; /* surrogates */
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4;
        if (p[0] == 0xf0)
            lo = 0x90;
        if (p[0] == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    return len;
}

/* A copy of s as one line of printable text: C0 and C1 control characters
 * and DEL become spaces, bytes that are not valid UTF-8 become '?'. */
static char *clean(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char *d = rg_xmalloc(strlen(s) + 1), *o = d;
    while (*p) {
        size_t len = *p < 0x80 ? 1 : utf8_len(p);
        if (*p < 0x20 || *p == 0x7f || (len == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
            *o++ = ' ';
            p += len ? len : 1;
        } else if (len == 0) {
            *o++ = '?';
            p++;
        } else {
            memcpy(o, p, len);
            o += len;
            p += len;
        }
    }
    *o = '\0';
    return d;
}

/* Appends clean text s escaped for a double-quoted gnuplot string.  The
 * backquote must go: gnuplot substitutes `cmd` even inside double quotes. */
static void esc_clean(rg_buf *b, const char *s)
{
    rg_buf_printf(b, "%s", "");
    for (; *s; s++) {
        switch (*s) {
        case '\\': rg_buf_printf(b, "\\\\"); break;
        case '"': rg_buf_printf(b, "\\\""); break;
        case '`': rg_buf_printf(b, "\\140"); break;
        case '@': rg_buf_printf(b, "\\100"); break;
        default: rg_buf_printf(b, "%c", *s);
        }
    }
}

char *rg_gnuplot_escape(const char *s)
{
    rg_buf b = {0};
    char *c = clean(s);
    esc_clean(&b, c);
    free(c);
    return b.s;
}

/* Number of characters (code points) of UTF-8 text s. */
size_t rg_gnuplot_nchars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* Byte offset of character k of s (or strlen(s)). */
static size_t char_off(const char *s, size_t k)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80 && k-- == 0)
            break;
    return i;
}

/* A clean copy of s cut to at most max characters, ending in "…" if cut. */
char *rg_gnuplot_cut(const char *s, size_t max)
{
    char *c = clean(s);
    if (rg_gnuplot_nchars(c) > max && max > 1) {
        size_t o = char_off(c, max - 1);
        c = rg_xrealloc(c, o + sizeof "…");
        memcpy(c + o, "…", sizeof "…");
    }
    return c;
}

/* Writes s (any text) as a quoted, escaped gnuplot string. */
void rg_gnuplot_put_str(FILE *f, const char *s)
{
    char *x = rg_gnuplot_escape(s);
    fprintf(f, "\"%s\"", x);
    free(x);
}

/* Splits clean text s into lines of at most width characters, at most
 * maxlines (<= RG_GNUPLOT_MAX_LINES) of them, the last one ending in "…" if text is
 * left.  Lines break at spaces, after '-', '_', '/' and '.', or inside a word
 * longer than a line.  Returns the number of lines, each a new string. */
static int wrap_split(const char *s, size_t width, int maxlines, char **out)
{
    int n = 0;
    RG_ASSERT(maxlines <= RG_GNUPLOT_MAX_LINES && width > 0);
    while (*s == ' ')
        s++;
    while (*s && n < maxlines) {
        size_t brk = strlen(s);
        if (rg_gnuplot_nchars(s) > width) {
            size_t lim = char_off(s, width);
            brk = s[lim] == ' ' ? lim : 0;
            for (size_t i = lim; brk == 0 && i > 0; i--)
                if (s[i] == ' ' || strchr("-_/.", s[i - 1]) != NULL)
                    brk = i;
            if (brk == 0)
                brk = lim;
        }
        char *line = rg_xmalloc(brk + sizeof " …");
        memcpy(line, s, brk);
        line[brk] = '\0';
        s += brk;
        while (*s == ' ')
            s++;
        if (n + 1 == maxlines && *s)
            strcat(line, " …");
        out[n++] = line;
    }
    return n;
}

/* Writes s (any text) as one quoted gnuplot string, wrapped as by
 * wrap_split with \n escapes between the lines.  Returns the line count. */
int rg_gnuplot_put_wrapped(FILE *f, const char *s, size_t width, int maxlines)
{
    char *c = clean(s), *lines[RG_GNUPLOT_MAX_LINES];
    int n = wrap_split(c, width, maxlines, lines);
    rg_buf b = {0};
    rg_buf_printf(&b, "%s", "");
    for (int i = 0; i < n; i++) {
        if (i)
            rg_buf_printf(&b, "\\n");
        esc_clean(&b, lines[i]);
        free(lines[i]);
    }
    fprintf(f, "\"%s\"", b.s);
    rg_buf_free(&b);
    free(c);
    return n;
}

int rg_gnuplot_wrap_count(const char *s, size_t width, int maxlines)
{
    char *c = clean(s), *lines[RG_GNUPLOT_MAX_LINES];
    int n = wrap_split(c, width, maxlines, lines);
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(c);
    return n;
}

/* Writes a number for a data file; gnuplot reads "NaN" as undefined. */
void rg_gnuplot_put_num(FILE *f, double x)
{
    if (isfinite(x))
        fprintf(f, " %.10g", x);
    else
        fprintf(f, " NaN");
}

void rg_gnuplot_label(FILE *f, const char *text, double x, double y, const char *opts)
{
    fprintf(f, "set label ");
    rg_gnuplot_put_str(f, text);
    fprintf(f, " at screen %.4f,%.4f %s noenhanced\n", x, y, opts);
}

/* Writes text wrapped (see wrap_split) as one label per line, the first at
 * y, the next lh lower each.  Returns the number of lines. */
int rg_gnuplot_label_lines(FILE *f, const char *text, size_t width, int maxlines, double x,
                           double y, double lh, const char *opts)
{
    char *c = clean(text), *lines[RG_GNUPLOT_MAX_LINES];
    int n = wrap_split(c, width, maxlines, lines);
    for (int i = 0; i < n; i++) {
        rg_gnuplot_label(f, lines[i], x, y - lh * i, opts);
        free(lines[i]);
    }
    free(c);
    return n;
}

/* ---- the program and running it ----------------------------------------- */

/* Finds prog in PATH into buf; returns buf or NULL.  Empty PATH entries
 * (the current directory, for a shell) are skipped: a report run in a
 * directory holding a file named gnuplot must not run that file. */
static const char *search_path(const char *prog, char *buf, size_t n)
{
    const char *path = getenv("PATH");
    if (path == NULL || *path == '\0')
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; p++) {
        size_t len = strcspn(p, ":");
        int w = len ? snprintf(buf, n, "%.*s/%s", (int)len, p, prog) : -1;
        if (w > 0 && (size_t)w < n && access(buf, X_OK) == 0)
            return buf;
        p += len;
        if (*p == '\0')
            return NULL;
    }
}

const char *rg_gnuplot_program(void)
{
    static char found[PATH_MAX];
    const char *env = getenv("REVGUARD_GNUPLOT");
    if (env != NULL && env[0] != '\0')
        return env;
    if (GNUPLOT_PATH[0] != '\0')
        return GNUPLOT_PATH;
    return search_path("gnuplot", found, sizeof found) ? found : "";
}

/* The gnuplot to run, as an absolute path (the child changes directory), or
 * NULL with e set. */
static char *gnuplot_prog(rg_err *e)
{
    const char *g = rg_gnuplot_program();
    char buf[PATH_MAX];
    const char *why = "not configured and not on PATH";
    if (g[0] != '\0' && strchr(g, '/') == NULL) {
        if (search_path(g, buf, sizeof buf) == NULL) {
            why = "not on PATH";
            g = "";
        } else
            g = buf;
    }
    if (g[0] != '\0') {
        char *abs = realpath(g, NULL);
        if (abs != NULL && access(abs, X_OK) == 0)
            return abs;
        why = strerror(errno);
        free(abs);
    }
    rg_err_set(e, RG_ERR_IO,
               "gnuplot not found (%s%s%s): install the Debian package gnuplot-nox or set "
               "REVGUARD_GNUPLOT",
               g[0] ? g : "", g[0] ? ": " : "", why);
    return NULL;
}

/* The first non-blank lines of the log from byte `from`, joined by " | ",
 * into buf: gnuplot echoes the failing line, a caret, then the message. */
static void log_excerpt(int fd, off_t from, char *buf, size_t n)
{
    char raw[600], *save = NULL;
    ssize_t got = pread(fd, raw, sizeof raw - 1, from);
    raw[got > 0 ? got : 0] = '\0';
    rg_buf b = {0};
    int lines = 0;
    for (char *l = strtok_r(raw, "\n", &save); l && lines < 4; l = strtok_r(NULL, "\n", &save)) {
        for (char *p = l; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                *p = ' ';
        if (l[strspn(l, " ")] != '\0')
            rg_buf_printf(&b, "%s%s", lines++ ? " | " : "", l);
    }
    snprintf(buf, n, "%s", b.s ? b.s : "(no message)");
    rg_buf_free(&b);
}

/* Runs `prog -d script` in dir with stdout and stderr appended to the log
 * (fd logfd), stdin from /dev/null.  No shell is involved. */
static int run_one(const char *prog, const char *dir, const char *shown, const char *script,
                   int logfd, rg_err *e)
{
    char head[256];
    int hl = snprintf(head, sizeof head, RG_GNUPLOT_LOG_HEAD "%s\n", script);
    if (write(logfd, head, (size_t)hl) != hl)
        return rg_err_set(e, RG_ERR_IO, "%s/gnuplot.log: write failed: %s", shown, strerror(errno));
    off_t from = lseek(logfd, 0, SEEK_END);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0)
        return rg_err_set(e, RG_ERR_IO, "/dev/null: %s", strerror(errno));
    char *argv[] = {(char *)prog, (char *)"-d", (char *)script, NULL};
    pid_t pid = fork();
    if (pid < 0) {
        close(devnull);
        return rg_err_set(e, RG_ERR_IO, "cannot start gnuplot: %s", strerror(errno));
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls until execv. */
        static const char msg[] = "revguard-sim: cannot run gnuplot\n";
        /* The parent ignores SIGXFSZ to see EFBIG; gnuplot must die of a
         * file size limit, not write a cut picture and exit 0. */
        (void)signal(SIGXFSZ, SIG_DFL);
        if (chdir(dir) == 0 && dup2(devnull, 0) >= 0 && dup2(logfd, 1) >= 0 && dup2(logfd, 2) >= 0)
            execv(prog, argv);
        if (write(logfd, msg, sizeof msg - 1) < 0)
            _exit(127);
        _exit(127);
    }
    close(devnull);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return rg_err_set(e, RG_ERR_IO, "waiting for gnuplot: %s", strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    char what[64], msg[640];
    if (WIFEXITED(st))
        snprintf(what, sizeof what, "exit status %d", WEXITSTATUS(st));
    else
        snprintf(what, sizeof what, "killed by signal %d", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    log_excerpt(logfd, from, msg, sizeof msg);
    /* the script by its name alone: it was in the staging directory, which
     * is gone by the time the message is read */
    return rg_err_set(e, RG_ERR_IO, "gnuplot failed on %s (%s): %s (full log: %s/gnuplot.log)",
                      script, what, msg, shown);
}

int rg_gnuplot_run(const char *dir, const char *shown, const char *const *scripts, size_t n,
                   rg_err *e)
{
    char *prog = gnuplot_prog(e);
    if (prog == NULL)
        return -1;
    char *logpath = rg_xasprintf("%s/gnuplot.log", dir);
    int logfd = open(logpath, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (logfd >= 0 && logfd <= 2) {
        /* With a standard stream closed the log could land on fd 0-2, which
         * the child's dup2 calls would overwrite. */
        int hi = fcntl(logfd, F_DUPFD_CLOEXEC, 3);
        close(logfd);
        logfd = hi;
    }
    int rc = 0;
    if (logfd < 0)
        rc = rg_err_set(e, RG_ERR_IO, "%s: cannot create: %s", logpath, strerror(errno));
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = run_one(prog, dir, shown ? shown : dir, scripts[i], logfd, e);
    if (logfd >= 0 && close(logfd) < 0 && rc == 0)
        rc = rg_err_set(e, RG_ERR_IO, "%s: %s", logpath, strerror(errno));
    free(logpath);
    free(prog);
    return rc;
}
