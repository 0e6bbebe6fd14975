/*
 * rptout.c: the output every page of the report shares.  It creates and
 * closes the files of the report directory, opens a page script with the
 * common head (terminal, palette, line styles) and registers the page for
 * report.gp, and says how a metric is titled and scaled for display.
 * report.c and pages.c build on it; it knows neither, so the pages need
 * nothing from the report as a whole (rptout.h is the contract).
 */
#include "reports/rptout.h"

#include "reports/gnuplot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Colour-blind-safe palette (Okabe and Ito), one per variant, cycled.  The
 * first three differ for every kind of colour blindness: blue, vermillion,
 * reddish purple (blue and bluish green, the next, are alike to a
 * tritanope, so they are not neighbours).  Yellow is left out (unreadable
 * on white), and lines also differ by dash type (rpt_dash), so no two
 * variants rely on hue alone. */
static const char *const palette[] = {"#0072B2", "#D55E00", "#CC79A7", "#009E73",
                                      "#56B4E9", "#E69F00", "#000000", "#999999"};
#define NPALETTE (sizeof palette / sizeof palette[0])
/* gnuplot dash types: solid, dashes, dash-dot, dash-dot-dot (dots are the
 * reference lines' own) */
static const int dashes[] = {1, 2, 4, 5, 1, 2, 4, 5};

const char *rpt_color(size_t v)
{
    return palette[v % NPALETTE];
}

int rpt_dash(size_t v)
{
    return dashes[v % NPALETTE];
}

/* ---- metrics ------------------------------------------------------------ */

double rpt_met_scale(const rg_metric *m)
{
    return (m->flags & RG_MF_MS) ? 1e3 : (m->flags & RG_MF_PROB) ? 100.0 : 1.0;
}

/* The unit a metric is shown in ("" for plain counts). */
static const char *met_unit(const rg_metric *m)
{
    if (m->flags & RG_MF_MS)
        return "ms";
    if (m->flags & RG_MF_PROB)
        return "%";
    if (m->unit == NULL || strcmp(m->unit, "1") == 0)
        return "";
    return m->unit;
}

/* A readable title for a metric: its description (or name), capitalised,
 * with the unit in parentheses.  Free with free(). */
char *rpt_met_title(const rg_metric *m)
{
    const char *u = met_unit(m);
    char *t = rg_xasprintf("%s%s%s%s", m->desc && m->desc[0] ? m->desc : m->name, u[0] ? " (" : "",
                           u, u[0] ? ")" : "");
    if (t[0] >= 'a' && t[0] <= 'z')
        t[0] = (char)(t[0] - 'a' + 'A');
    return t;
}

void rpt_log_ms_tics(FILE *f, const char *axis, double lo, double hi)
{
    rpt_log_tics(f, axis, lo, hi, true);
}

void rpt_log_tics(FILE *f, const char *axis, double lo, double hi, bool ms)
{
    static const double steps[] = {1, 2, 5};
    int every = log10(hi / lo) > 4 ? 3 : 1; /* only the powers of ten */
    fprintf(f, "set logscale %s 10\nset m%stics 10\nset %stics (", axis, axis, axis);
    bool first = true;
    for (int d = (int)floor(log10(lo)) - 1; d <= (int)ceil(log10(hi)); d++)
        for (int k = 0; k < 3; k += every) {
            double x = steps[k] * pow(10.0, d);
            if (x < lo * 0.999 || x > hi * 1.001)
                continue;
            char lab[32];
            if (!ms)
                snprintf(lab, sizeof lab, "%g", x);
            else if (x >= 1000)
                snprintf(lab, sizeof lab, "%g s", x / 1000);
            else if (x >= 1)
                snprintf(lab, sizeof lab, "%g ms", x);
            else
                snprintf(lab, sizeof lab, "%g µs", x * 1000);
            fprintf(f, "%s\"%s\" %.10g", first ? "" : ", ", lab, x);
            first = false;
        }
    fprintf(f, ")\n");
}

/* Writes `set xtics ("a" 1, "b" 2, ...)` naming the variants at x = 1..nvar
 * in a panel `panel_frac` of the page wide.  Names too long for their slot
 * are wrapped onto up to three lines (a character of 11 pt is about 8 px of
 * the 1200; axis margins take ~90 px), and the bottom margin is made room
 * for them: multiplot does not do that by itself. */
void rpt_variant_tics(FILE *f, const rpt_ctx *c, double panel_frac)
{
    int lines = 1;
    double slot = (1200.0 * panel_frac - 90.0) / (double)(c->r->nvar ? c->r->nvar : 1);
    size_t fit = (size_t)(0.9 * slot / 8.0);
    fprintf(f, "set xtics (");
    for (size_t v = 0; v < c->r->nvar; v++) {
        fprintf(f, "%s", v ? ", " : "");
        int n = rg_gnuplot_put_wrapped(f, c->r->varnames[v], fit < 6 ? 6 : fit, 3);
        lines = n > lines ? n : lines;
        fprintf(f, " %zu", v + 1);
    }
    fprintf(f, ") noenhanced\nset bmargin %d\n", lines + 1);
    fprintf(f, "set xrange [0.4:%zu.6]\n", c->r->nvar);
}

/* ---- files and page heads ----------------------------------------------- */

/* The directory the user named, for messages: never the staging one. */
static const char *shown_dir(const rpt_ctx *c)
{
    return c->outdir ? c->outdir : c->dir;
}

FILE *rpt_out_open(rpt_ctx *c, const char *name)
{
    char *p = rg_xasprintf("%s/%s", c->dir, name);
    /* The staging directory is ours alone: a name already there is a bug or
     * an intruder, never something to write through. */
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "w");
    if (f == NULL) {
        rg_err_set(c->e, RG_ERR_IO, "%s/%s: cannot create: %s", shown_dir(c), name,
                   strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    free(p);
    return f;
}

int rpt_out_close(rpt_ctx *c, FILE *f, const char *name)
{
    int bad = ferror(f);
    int err = bad ? EIO : 0;
    if (fflush(f) != 0 && err == 0)
        err = errno;
    if (fclose(f) != 0 && err == 0)
        err = errno;
    if (bad || err)
        return rg_err_set(c->e, RG_ERR_IO, "%s/%s: write failed: %s", shown_dir(c), name,
                          strerror(err ? err : EIO));
    return 0;
}

/* Opens page script <base>.gp, registers the page, and writes the common
 * head: the PNG terminal unless report.gp (which sets rg_pdf) loads it, and
 * the line styles.  `what` is our own text, never user input. */
void rpt_ctx_free_pages(rpt_ctx *c)
{
    for (size_t i = 0; i < c->npages; i++) {
        free(c->pages[i]);
        free(c->titles[i]);
    }
    free(c->pages);
    free(c->titles);
    free(c->text);
    free(c->show);
}

FILE *rpt_page_open(rpt_ctx *c, const char *base, const char *what)
{
    char *name = rg_xasprintf("%s.gp", base);
    FILE *f = rpt_out_open(c, name);
    free(name);
    if (f == NULL)
        return NULL;
    c->pages = rg_xrealloc(c->pages, (c->npages + 1) * sizeof *c->pages);
    c->titles = rg_xrealloc(c->titles, (c->npages + 1) * sizeof *c->titles);
    c->text = rg_xrealloc(c->text, (c->npages + 1) * sizeof *c->text);
    c->titles[c->npages] = rg_xstrdup(what);
    c->titles[c->npages][0] = (char)toupper((unsigned char)what[0]);
    c->text[c->npages] = false;
    c->pages[c->npages++] = rg_xstrdup(base);
    fprintf(f,
            "# %s.gp: %s.\n"
            "# Written by revguard-sim report.  To restyle, edit this file and run\n"
            "# 'gnuplot %s.gp' in this directory (redraws %s.png), then\n"
            "# 'gnuplot report.gp' (redraws report.pdf) and 'gnuplot report-svg.gp'\n"
            "# (redraws the SVG pictures of report.html; rerun 'revguard-sim report'\n"
            "# to rebuild report.html itself).\n"
            "if (exists(\"rg_svg\")) {\n"
            "    set terminal " RPT_SVG_TERM "\n"
            "    set output \"%s.svg\"\n"
            "} else {\n"
            "    if (!exists(\"rg_pdf\")) {\n"
            "        set terminal " RPT_PNG_TERM "\n"
            "        set output \"%s.png\"\n"
            "    }\n"
            "}\n"
            "set termoption noenhanced\n"
            "set encoding utf8\n",
            base, what, base, base, base, base);
    for (size_t i = 0; i < NPALETTE; i++)
        fprintf(f, "set linetype %zu lc rgb \"%s\" lw 2 pt 7 ps 1\n", i + 1, palette[i]);
    fprintf(f,
            "set linetype cycle %zu\n"
            "set border lc rgb \"#444444\"\n"
            "set grid lc rgb \"#dddddd\" lw 1 dt 1\n"
            "set key noenhanced\n"
            "# Number format of the value labels on bars.\n"
            "num(x) = abs(x) >= 1000 ? sprintf(\"%%.0f\", x) : sprintf(\"%%.3g\", x)\n",
            NPALETTE);
    return f;
}

void rpt_page_is_text(rpt_ctx *c)
{
    RG_ASSERT(c->npages > 0);
    c->text[c->npages - 1] = true;
}

int rpt_page_close(rpt_ctx *c, FILE *f)
{
    char *name = rg_xasprintf("%s.gp", c->pages[c->npages - 1]);
    int rc = rpt_out_close(c, f, name);
    free(name);
    return rc;
}

/* ---- staging ------------------------------------------------------------ */

/* The list of the files a report put in its directory, so that the next
 * report there removes those it does not write again. */
#define MANIFEST ".revguard-report"
#define MANIFEST_HEAD "# revguard-sim report: the files it wrote here, one a line\n"

int rpt_stage_open(rpt_ctx *c, const char *outdir, bool sweep)
{
    struct stat st;
    if (lstat(outdir, &st) == 0 && S_ISLNK(st.st_mode) && stat(outdir, &st) == 0 &&
        !S_ISDIR(st.st_mode))
        return rg_err_set(c->e, RG_ERR_INPUT, "%s: not a directory", outdir);
    if (rpt_dir_check(outdir, sweep, c->e) < 0)
        return -1;
    char *tmpl = rg_xasprintf("%s/.revguard-report-XXXXXX", outdir);
    if (mkdtemp(tmpl) == NULL) {
        rg_err_set(c->e, RG_ERR_IO, "%s: cannot create a working directory: %s", outdir,
                   strerror(errno));
        free(tmpl);
        return -1;
    }
    c->outdir = outdir;
    c->stage = tmpl;
    c->dir = tmpl;
    return 0;
}

/* The names of the regular files in dir (not starting with '.'), or NULL
 * with *n = 0 if dir cannot be read. */
static char **list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return NULL;
    char **v = NULL;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.')
            continue;
        v = rg_xrealloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = rg_xstrdup(de->d_name);
    }
    closedir(d);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Whether the file that gnuplot wrote at path is whole: a PNG ends in its
 * IEND chunk, a PDF in %%EOF, an SVG in </svg>, a GIF in its trailer.  A
 * full disk or a file size limit cuts them short, and gnuplot does not
 * always say so. */
static bool picture_whole(const char *path, const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL ||
        (strcmp(dot, ".png") && strcmp(dot, ".pdf") && strcmp(dot, ".svg") && strcmp(dot, ".gif")))
        return true;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    char tail[65] = {0};
    struct stat st;
    ssize_t got = -1;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        off_t from = st.st_size > 64 ? st.st_size - 64 : 0;
        got = pread(fd, tail, 64, from);
    }
    close(fd);
    if (got <= 0)
        return false;
    if (strcmp(dot, ".png") == 0)
        return got >= 8 && memcmp(tail + got - 8, "IEND\xae\x42\x60\x82", 8) == 0;
    if (strcmp(dot, ".gif") == 0)
        return tail[got - 1] == 0x3b;
    const char *end = strcmp(dot, ".pdf") == 0 ? "%%EOF" : "</svg>";
    for (ssize_t i = 0; i + (ssize_t)strlen(end) <= got; i++)
        if (memcmp(tail + i, end, strlen(end)) == 0)
            return true;
    return false;
}

/* Whether name (a line of an old manifest) is a plain file name. */
static bool plain_name(const char *name)
{
    return name[0] != '\0' && name[0] != '.' && strchr(name, '/') == NULL;
}

/* Whether name is one a report of this program writes (for a report
 * written before reports kept a manifest). */
static bool report_name(const char *name)
{
    static const char *const fixed[] = {"report.gp",   "report-svg.gp", "report.pdf",
                                        "report.html", "summary.csv",   "sweep-summary.csv",
                                        "live.gp",     "live.gif",      "gnuplot.log"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(name, fixed[i]) == 0)
            return true;
    const char *dot = strrchr(name, '.');
    if (dot == NULL)
        return false;
    if (strcmp(dot, ".dat") == 0)
        return true;
    return strncmp(name, "plot-", 5) == 0 &&
           (strcmp(dot, ".gp") == 0 || strcmp(dot, ".png") == 0 || strcmp(dot, ".svg") == 0);
}

/* The most bytes of an earlier report's list that are read: a report
 * lists a few dozen names (half a KB), so a longer list is not one of
 * ours and counts as none. */
#define MANIFEST_MAX (1 << 20)

/* The names of the files an earlier report wrote in outdir, one a line (a
 * new string): its manifest, or, where there is no manifest at all, for a
 * report older than manifests (its report.gp says it was written by
 * revguard-sim report) the files whose names a report gives.  NULL if
 * outdir holds no report of ours, or a manifest that is not ours; then
 * *bad (if bad is not NULL) says what is wrong with the manifest, or is
 * NULL where there is none. */
static char *old_report(const char *outdir, const char **bad)
{
    char *mp = rg_xasprintf("%s/" MANIFEST, outdir);
    rg_err quiet = {0};
    size_t len = 0;
    struct stat st;
    char *text = NULL; /* never through a link */
    bool seen = lstat(mp, &st) == 0;
    bool present = seen || errno != ENOENT; /* or cannot be told */
    const char *why = seen ? "is not a regular file" : "cannot be looked at";
    if (seen && S_ISREG(st.st_mode)) {
        text = rg_read_text(mp, "report list", MANIFEST_MAX, &len, &quiet);
        why = text == NULL ? (st.st_size > MANIFEST_MAX ? "is over 1 MB" : "cannot be read")
                           : "is not one that revguard-sim wrote";
    }
    free(mp);
    if (bad != NULL)
        *bad = NULL;
    if (text != NULL && strncmp(text, MANIFEST_HEAD, strlen(MANIFEST_HEAD)) == 0) {
        memmove(text, text + strlen(MANIFEST_HEAD), len - strlen(MANIFEST_HEAD) + 1);
        return text;
    }
    free(text);
    /* A list there that is not one of ours (too long, a link, damaged)
     * vouches for nothing: no file is taken for the earlier report's. */
    if (present) {
        if (bad != NULL)
            *bad = why;
        return NULL;
    }
    char head[512];
    char *gp = rg_xasprintf("%s/report.gp", outdir);
    long got = rg_file_head(gp, head, sizeof head);
    free(gp);
    if (got <= 0 || strstr(head, "Written by revguard-sim report") == NULL)
        return NULL;
    size_t k;
    char **all = list_dir(outdir, &k);
    rg_buf b = {0};
    for (size_t i = 0; i < k; i++)
        if (report_name(all[i]))
            rg_buf_printf(&b, "%s\n", all[i]);
    free_list(all, k);
    return b.s ? b.s : rg_xstrdup("");
}

/* Removes the files an earlier report wrote in c->outdir (old, its list, or
 * NULL) that this one does not write (names, n): never stale pages beside
 * new ones.  Only regular files are removed. */
static void remove_stale(const rpt_ctx *c, char *old, char **names, size_t n)
{
    if (old == NULL)
        return;
    char *save = NULL;
    for (char *l = strtok_r(old, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (!plain_name(l))
            continue;
        bool again = false;
        for (size_t i = 0; i < n && !again; i++)
            again = strcmp(names[i], l) == 0;
        char *p = rg_xasprintf("%s/%s", c->outdir, l);
        struct stat st;
        if (!again && lstat(p, &st) == 0 && S_ISREG(st.st_mode))
            (void)unlink(p);
        free(p);
    }
}

/* Whether name is listed in old (old_report's lines). */
static bool listed(const char *old, const char *name)
{
    size_t k = strlen(name);
    for (const char *l = old ? old : ""; *l != '\0';) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        if (len == k && memcmp(l, name, k) == 0)
            return true;
        if (nl == NULL)
            break;
        l = nl + 1;
    }
    return false;
}

/* Whether the regular file at dp, named name, may be replaced by this
 * report: an earlier report listed it (old), or it is gnuplot's log as a
 * failed report leaves it (no list is written then): every such log
 * starts with RG_GNUPLOT_LOG_HEAD. */
static bool replaceable(const char *old, const char *name, const char *dp)
{
    if (listed(old, name))
        return true;
    char head[32];
    return strcmp(name, "gnuplot.log") == 0 && rg_file_head(dp, head, sizeof head) > 0 &&
           strncmp(head, RG_GNUPLOT_LOG_HEAD, strlen(RG_GNUPLOT_LOG_HEAD)) == 0;
}

/* Whether the report may write name at dp: nothing is there, or a regular
 * file it may replace (old: the earlier report's list; bad: what is wrong
 * with a list there that old_report could not use, or NULL).  A link, a
 * directory or a device is never replaced; a file of the user's own
 * neither.  -1 with e saying which. */
static int check_place(const char *old, const char *bad, const char *name, const char *dp,
                       rg_err *e)
{
    struct stat st;
    if (lstat(dp, &st) < 0)
        return 0;
    if (!S_ISREG(st.st_mode))
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s exists and is %s; refusing to replace it, no report written", dp,
                          S_ISLNK(st.st_mode)   ? "a symbolic link"
                          : S_ISDIR(st.st_mode) ? "a directory"
                                                : "not a regular file");
    if (replaceable(old, name, dp))
        return 0;
    if (bad != NULL)
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s exists, and the list of the report there (" MANIFEST ") %s, so "
                          "it cannot be told from a file of yours; refusing to replace it, no "
                          "report written: move it, or write the report to another directory",
                          dp, bad);
    return rg_err_set(e, RG_ERR_INPUT,
                      "%s exists and no report of revguard-sim wrote it; refusing to replace "
                      "it, no report written: move it, or write the report to another "
                      "directory",
                      dp);
}

int rpt_dir_check(const char *dir, bool sweep, rg_err *e)
{
    /* the names every report of the kind writes; the others are checked
     * as the report is put in place */
    static const char *const run_names[] = {"report.pdf",    "report.html", "report.gp",
                                            "report-svg.gp", "summary.csv", "gnuplot.log"};
    static const char *const sweep_names[] = {"report.pdf", "report.gp", "sweep-summary.csv",
                                              "gnuplot.log"};
    const char *const *names = sweep ? sweep_names : run_names;
    size_t nnames =
        sweep ? sizeof sweep_names / sizeof sweep_names[0] : sizeof run_names / sizeof run_names[0];
    const char *bad;
    char *old = old_report(dir, &bad);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < nnames; i++) {
        char *dp = rg_xasprintf("%s/%s", dir, names[i]);
        rc = check_place(old, bad, names[i], dp, e);
        free(dp);
    }
    free(old);
    return rc;
}

int rpt_stage_commit(rpt_ctx *c)
{
    size_t n;
    char **names = list_dir(c->stage, &n);
    int rc = 0;
    bool refused = false; /* a place in the way: gnuplot's log is no news */
    /* One report at a time goes in here: another one's, put in place
     * between this one's reading of the earlier list and its renames,
     * would be listed nowhere (and its files taken for the user's). */
    int lock = open(c->outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock >= 0)
        (void)flock(lock, LOCK_EX);
    /* A file of one of the report's names replaces only a file that an
     * earlier report wrote there: never somebody's own summary.csv. */
    const char *bad;
    char *old = old_report(c->outdir, &bad);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *sp = rg_xasprintf("%s/%s", c->stage, names[i]);
        char *dp = rg_xasprintf("%s/%s", c->outdir, names[i]);
        if (!picture_whole(sp, names[i]))
            rc = rg_err_set(c->e, RG_ERR_IO,
                            "%s: gnuplot left it incomplete (disk full or a file size limit?); "
                            "nothing written",
                            dp);
        else if (check_place(old, bad, names[i], dp, c->e) < 0) {
            rc = -1;
            refused = true;
        }
        free(sp);
        free(dp);
    }
    if (refused) {
        /* gnuplot did its part: its log would only be one more file in
         * the way (rpt_stage_abort keeps it) */
        char *lp = rg_xasprintf("%s/gnuplot.log", c->stage);
        (void)unlink(lp);
        free(lp);
    }
    if (rc == 0) {
        /* The new manifest goes in with the rest. */
        rpt_ctx mc = *c;
        FILE *f = rpt_out_open(&mc, MANIFEST);
        if (f == NULL)
            rc = -1;
        else {
            fputs(MANIFEST_HEAD, f);
            for (size_t i = 0; i < n; i++)
                fprintf(f, "%s\n", names[i]);
            rc = rpt_out_close(&mc, f, MANIFEST);
        }
    }
    if (rc == 0)
        remove_stale(c, old, names, n);
    free(old);
    for (size_t i = 0; rc == 0 && i <= n; i++) {
        const char *name = i < n ? names[i] : MANIFEST;
        char *sp = rg_xasprintf("%s/%s", c->stage, name);
        char *dp = rg_xasprintf("%s/%s", c->outdir, name);
        /* rename never follows a link at dp: it would replace the link. */
        if (rename(sp, dp) < 0)
            rc = rg_err_set(c->e, RG_ERR_IO, "%s: cannot rename into place: %s", dp,
                            strerror(errno));
        free(sp);
        free(dp);
    }
    free_list(names, n);
    rpt_stage_abort(c);
    if (lock >= 0)
        close(lock); /* and the lock with it */
    return rc;
}

void rpt_stage_abort(rpt_ctx *c)
{
    if (c->stage == NULL)
        return;
    size_t n;
    char **names = list_dir(c->stage, &n);
    for (size_t i = 0; i < n; i++) {
        char *sp = rg_xasprintf("%s/%s", c->stage, names[i]);
        /* gnuplot's log tells why a report failed: keep it, unless the name
         * holds something else than gnuplot's log of an earlier report. */
        if (strcmp(names[i], "gnuplot.log") == 0) {
            char *dp = rg_xasprintf("%s/%s", c->outdir, names[i]);
            struct stat st;
            if (lstat(dp, &st) < 0) {
                if (errno == ENOENT)
                    (void)rename(sp, dp);
            } else if (S_ISREG(st.st_mode)) {
                char *old = old_report(c->outdir, NULL);
                if (replaceable(old, names[i], dp))
                    (void)rename(sp, dp);
                free(old);
            }
            free(dp);
        }
        (void)unlink(sp);
        free(sp);
    }
    free_list(names, n);
    char *mp = rg_xasprintf("%s/" MANIFEST, c->stage);
    (void)unlink(mp);
    free(mp);
    (void)rmdir(c->stage);
    free(c->stage);
    c->stage = NULL;
    c->dir = c->outdir;
}
