/*
 * report-t.c: tests of the report writer (reports/report.c).
 *
 * Results are built by hand (flash-sale metric names, known values, latency
 * histograms, timelines) and turned into reports in temporary directories;
 * the checks read the output back: PNG signature and size from the IHDR
 * chunk, PDF page count, summary.csv against rg_summarize, the scripts and
 * data next to the pictures, PNGs byte-identical between two runs.  Scenario
 * strings built to attack the generated scripts (quotes, system(),
 * backquotes, macros, line breaks) must leave no trace.  Needs gnuplot.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/report.h"
#include "reports/words.h"
#include "sim/run/results.h"
#include "sim/run/runner.h"
#include "sim/engine/stats.h"
#include "tests/tap/basic.h"

/* ---- test data -------------------------------------------------------- */

static uint64_t rng_state;

/* splitmix64: deterministic test data. */
static uint64_t rnd(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}
static double unif(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}
static double gauss(void)
{
    double s = 0;
    for (int i = 0; i < 12; i++)
        s += unif();
    return s - 6.0;
}

static const rg_metric flash_met[] = {
    {"allocated", RG_MF_INT, "units", "units the store allocated to buyers", RG_MF_SHOW,
     RG_ROLE_NONE},
    {"rejected", RG_MF_INT, "requests", "requests told sold out", RG_MF_SHOW, RG_ROLE_NONE},
    {"errors", RG_MF_INT, "requests", "requests that failed", 0, RG_ROLE_NONE},
    {"oversell", RG_MF_INT, "units", "units sold beyond the stock", RG_MF_SHOW | RG_MF_MAX,
     RG_ROLE_OVERSELL},
    {"oversold", RG_MF_INT, "1", "whether the replication oversold", RG_MF_SHOW | RG_MF_PROB,
     RG_ROLE_NONE},
    {"lost_updates", RG_MF_INT, "writes", "writes overwritten by a concurrent write", RG_MF_SHOW,
     RG_ROLE_NONE},
    {"lat_p50", RG_MF_REAL, "s", "median request latency", RG_MF_SHOW | RG_MF_MS, RG_ROLE_LAT_P50},
    {"lat_p95", RG_MF_REAL, "s", "95th percentile of request latency", RG_MF_MS, RG_ROLE_LAT_P95},
    {"lat_p99", RG_MF_REAL, "s", "99th percentile of request latency", RG_MF_SHOW | RG_MF_MS,
     RG_ROLE_LAT_P99},
    {"lat_max", RG_MF_REAL, "s", "slowest request", RG_MF_MS | RG_MF_MAX, RG_ROLE_NONE},
    {"stock", RG_MF_INT, "units", "units on sale", 0, RG_ROLE_STOCK},
    {"events", RG_MF_INT, "events", "events processed by the engine", 0, RG_ROLE_EVENTS},
    {"sim_end", RG_MF_REAL, "s", "simulated time at the end of the replication", 0,
     RG_ROLE_SIM_END},
};
#define FLASH_NMET (sizeof flash_met / sizeof flash_met[0])

static const rg_metric queue_met[] = {
    {"wait_mean", RG_MF_REAL, "s", "mean time in queue of the measured customers",
     RG_MF_SHOW | RG_MF_MS, RG_ROLE_NONE},
    {"sojourn_mean", RG_MF_REAL, "s", "mean time in system (wait + service)", RG_MF_SHOW | RG_MF_MS,
     RG_ROLE_NONE},
    {"queue_len_mean", RG_MF_REAL, "customers",
     "time-average number waiting over the measurement period", RG_MF_SHOW, RG_ROLE_NONE},
    {"utilization", RG_MF_REAL, "1", "busy server time / (servers x measured time)", RG_MF_SHOW,
     RG_ROLE_NONE},
    {"served", RG_MF_INT, "customers", "customers measured", 0, RG_ROLE_NONE},
    {"events", RG_MF_INT, "events", "events processed by the engine", 0, RG_ROLE_EVENTS},
};
#define QUEUE_NMET (sizeof queue_met / sizeof queue_met[0])

static void setv(rg_results *r, size_t v, uint64_t i, const char *name, double x)
{
    int m = rg_results_metric(r, name);
    if (m < 0)
        bail("no metric %s", name);
    rg_mval *p = &r->rows[(v * r->reps + i) * r->nmet + (size_t)m];
    if (r->met[m].type == RG_MF_INT)
        p->i = (int64_t)x;
    else
        p->d = x;
}

/* A flash sale: 125 buyers, 100 units; variant 0 oversells a lot, variant 1
 * never, variant 2 rarely.  Latencies lognormal around a variant's median. */
static rg_results *make_flash(const char *const *names, size_t nv, uint64_t reps)
{
    static const char *const tlnames[] = {"allocated", "rejected"};
    rg_results *r = rg_results_new(nv, names, FLASH_NMET, flash_met, reps);
    rg_results_set_timeline_names(r, tlnames);
    r->reps_done = reps;
    r->seed = 42;
    rng_state = 7;
    for (size_t v = 0; v < nv; v++) {
        double med = 0.012 * (double)(v + 1), sig = 0.35 + 0.1 * (double)v;
        for (uint64_t i = 0; i < reps; i++) {
            int64_t over = v % 3 == 0   ? (int64_t)(rnd() % 13)
                           : v % 3 == 1 ? 0
                                        : (rnd() % 10 == 0 ? 1 : 0);
            double l[4];
            for (int k = 0; k < 4; k++)
                l[k] = med * exp(sig * (gauss() + (k == 0   ? 0
                                                   : k == 1 ? 1.64
                                                   : k == 2 ? 2.33
                                                            : 3)));
            setv(r, v, i, "allocated", (double)(100 + over));
            setv(r, v, i, "rejected", (double)(25 - over));
            setv(r, v, i, "errors", (double)(rnd() % 3));
            setv(r, v, i, "oversell", (double)over);
            setv(r, v, i, "oversold", over > 0);
            setv(r, v, i, "lost_updates", (double)(over + (int64_t)(rnd() % 2)));
            setv(r, v, i, "lat_p50", l[0]);
            setv(r, v, i, "lat_p95", l[1]);
            setv(r, v, i, "lat_p99", l[2]);
            setv(r, v, i, "lat_max", l[3]);
            setv(r, v, i, "stock", 100);
            setv(r, v, i, "events", (double)(2000 + rnd() % 100));
            setv(r, v, i, "sim_end", 0.5 + unif());
            for (int q = 0; q < 125; q++)
                r->hist[v * RG_HIST_NBINS + (size_t)rg_hist_bin(med * exp(sig * gauss()))]++;
        }
        /* Timeline of replication 0: one point per answered request. */
        r->ntl[v] = 125;
        r->tl[v] = calloc(125, sizeof *r->tl[v]);
        int64_t a = 0, b = 0;
        int64_t cap = 100 + (int64_t)rg_results_value(r, v, 0, 3);
        for (size_t q = 0; q < 125; q++) {
            if (a < cap)
                a++;
            else
                b++;
            r->tl[v][q] =
                (rg_tlpoint){0.002 + 0.0004 * (double)q * (double)(v + 1) + 0.0001 * unif(), a, b};
        }
    }
    return r;
}

/* The queue-validation model: no oversell, no histogram, no timeline. */
static rg_results *make_queue(uint64_t reps)
{
    static const char *const names[] = {"rho_0.5", "rho_0.8", "rho_0.9"};
    rg_results *r = rg_results_new(3, names, QUEUE_NMET, queue_met, reps);
    r->reps_done = reps;
    r->seed = 20261123;
    rng_state = 11;
    for (size_t v = 0; v < 3; v++) {
        double rho = v == 0 ? 0.5 : v == 1 ? 0.8 : 0.9, wq = rho / (1 - rho);
        for (uint64_t i = 0; i < reps; i++) {
            double w = wq * (1 + 0.1 * gauss());
            setv(r, v, i, "wait_mean", w);
            setv(r, v, i, "sojourn_mean", w + 1);
            setv(r, v, i, "queue_len_mean", w * rho);
            setv(r, v, i, "utilization", rho + 0.01 * gauss());
            setv(r, v, i, "served", 20000);
            setv(r, v, i, "events", 44000 + (double)(rnd() % 100));
        }
    }
    return r;
}

static rg_meta make_meta(const char *name, const char *desc, const char *model, uint64_t seed)
{
    rg_meta m = {0};
    m.tool_version = (char *)"0.1.0";
    m.scenario_name = (char *)name;
    m.description = (char *)desc;
    m.model = (char *)model;
    m.resolved = (char *)"[scenario]\nname = drop\nmodel = flashsale\nseed = 42\n"
                         "replications = 50\n\n[workload]\nbuyers = 125\nstock = 100\n"
                         "arrival = uniform(0, 50ms)\n\n[variant.naive]\nprotocol = naive\n";
    m.seed = seed;
    m.complete = true;
    return m;
}

/* ---- file helpers ----------------------------------------------------- */

static char *path2(const char *dir, const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    if (p == NULL)
        bail("out of memory");
    sprintf(p, "%s/%s", dir, name);
    return p;
}

/* Reads a whole file; NULL if it cannot be read. */
static char *slurp(const char *dir, const char *name, size_t *len)
{
    char *p = path2(dir, name);
    FILE *f = fopen(p, "rb");
    free(p);
    if (f == NULL)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    size_t got;
    while (b != NULL && (got = fread(b + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            b = realloc(b, cap + 1);
        }
    }
    fclose(f);
    if (b == NULL)
        bail("out of memory");
    b[n] = '\0';
    if (len)
        *len = n;
    return b;
}

static bool exists(const char *dir, const char *name)
{
    char *p = path2(dir, name);
    struct stat st;
    bool ok_ = stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    free(p);
    return ok_;
}

/* Checks dir/name is a PNG of w x h pixels (signature, then IHDR). */
static void check_png(const char *dir, const char *name, long w, long h)
{
    size_t n = 0;
    char *b = slurp(dir, name, &n);
    const unsigned char *u = (const unsigned char *)b;
    ok(b != NULL && n > 33 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0 &&
           memcmp(b + 12, "IHDR", 4) == 0,
       "%s is a PNG", name);
    long pw = -1, ph = -1;
    if (b != NULL && n > 24) {
        pw = (long)u[16] << 24 | (long)u[17] << 16 | (long)u[18] << 8 | (long)u[19];
        ph = (long)u[20] << 24 | (long)u[21] << 16 | (long)u[22] << 8 | (long)u[23];
    }
    ok(pw == w && ph == h, "%s is %ldx%ld (got %ldx%ld)", name, w, h, pw, ph);
    free(b);
}

/* Pages of a PDF: "/Type /Page" objects, not "/Type /Pages". */
static int pdf_pages(const char *dir)
{
    size_t n = 0;
    char *b = slurp(dir, "report.pdf", &n);
    if (b == NULL || n < 5 || memcmp(b, "%PDF-", 5) != 0) {
        free(b);
        return -1;
    }
    int pages = 0;
    static const char key[] = "/Type /Page";
    for (size_t i = 0; i + sizeof key < n; i++)
        if (memcmp(b + i, key, sizeof key - 1) == 0 && b[i + sizeof key - 1] != 's')
            pages++;
    free(b);
    return pages;
}

/* The pages of report.gp in order, as "a b c" (the page scripts it loads,
 * without .gp).  New string; "" if there is no report.gp. */
static char *page_list(const char *dir)
{
    char *b = slurp(dir, "report.gp", NULL);
    size_t cap = 1024, n = 0;
    char *out = calloc(cap, 1);
    for (char *p = b ? strstr(b, "load \"") : NULL; p && out; p = strstr(p + 1, "load \"")) {
        char *e = strstr(p + 6, ".gp\"");
        size_t len = e ? (size_t)(e - (p + 6)) : 0;
        if (n + len + 2 >= cap)
            break;
        n += (size_t)sprintf(out + n, "%s%.*s", n ? " " : "", (int)len, p + 6);
    }
    free(b);
    if (out == NULL)
        bail("out of memory");
    return out;
}

/* Whether dir/<page>.svg is a whole SVG document of gnuplot's: the XML
 * declaration, one <svg ...> element, closed at the end. */
static bool svg_ok(const char *dir, const char *page)
{
    char name[128];
    snprintf(name, sizeof name, "%s.svg", page);
    size_t n = 0;
    char *b = slurp(dir, name, &n);
    bool good = b != NULL && strncmp(b, "<?xml", 5) == 0 && strstr(b, "<svg") != NULL &&
                strstr(strstr(b, "<svg") + 4, "<svg") == NULL;
    if (good) {
        while (n > 0 && (b[n - 1] == '\n' || b[n - 1] == ' '))
            b[--n] = '\0';
        good = n > 6 && strcmp(b + n - 6, "</svg>") == 0;
    }
    free(b);
    return good;
}

/* Checks report.html in dir is self-contained: every src and href value is
 * a data: URI or a "#" link (no http:, https: or file reference), there is
 * no <script, and a Content-Security-Policy forbids fetching anything.
 * Returns the number of inline pictures (<svg plus data: images), or -1. */
static int html_pictures(const char *dir)
{
    char *b = slurp(dir, "report.html", NULL);
    if (b == NULL || strncmp(b, "<!DOCTYPE html>", 15) != 0) {
        free(b);
        return -1;
    }
    int pics = 0;
    bool bad = strstr(b, "default-src 'none'") == NULL;
    for (char *p = b; *p && !bad; p++) {
        if (strncasecmp(p, "<script", 7) == 0)
            bad = true;
        if (strncmp(p, "<svg", 4) == 0)
            pics++;
        bool src = strncmp(p, "src=", 4) == 0, href = strncmp(p, "href=", 5) == 0;
        if (!src && !href)
            continue;
        char *v = p + (src ? 4 : 5);
        if (*v == '"' || *v == '\'')
            v++;
        if (strncmp(v, "data:", 5) == 0)
            pics += strncmp(v, "data:image/", 11) == 0;
        else if (*v != '#')
            bad = true;
        if (strncasecmp(v, "http:", 5) == 0 || strncasecmp(v, "https:", 6) == 0)
            bad = true;
    }
    free(b);
    return bad ? -1 : pics;
}

/* Frames of the GIF dir/name (image descriptors), or -1 if it is not a
 * well-formed GIF: header, screen descriptor, colour tables, extension and
 * image blocks walked to the trailer.  *delay gets the sum of the frames'
 * delays (centiseconds). */
static int gif_frames(const char *dir, const char *name, long *delay)
{
    *delay = 0;
    size_t n = 0;
    char *b = slurp(dir, name, &n);
    const unsigned char *u = (const unsigned char *)b;
    int frames = -1;
    if (b == NULL || n < 13 || (memcmp(b, "GIF89a", 6) != 0 && memcmp(b, "GIF87a", 6) != 0))
        goto out;
    size_t p = 13;
    if (u[10] & 0x80)
        p += 3u << ((u[10] & 7) + 1);
    frames = 0;
    while (p < n && u[p] != 0x3b) {
        if (u[p] == 0x21) { /* extension: label, then sub-blocks */
            if (p + 6 < n && u[p + 1] == 0xf9 && u[p + 2] == 4) /* graphic control */
                *delay += u[p + 4] | (long)u[p + 5] << 8;
            p += 2;
        } else if (u[p] == 0x2c && p + 10 <= n) { /* image: descriptor, LZW size */
            unsigned fl = u[p + 9];
            p += 10;
            if (fl & 0x80)
                p += 3u << ((fl & 7) + 1);
            p += 1;
            frames++;
        } else {
            frames = -1;
            goto out;
        }
        while (p < n && u[p] != 0)
            p += u[p] + 1u;
        p++;
    }
    if (p >= n)
        frames = -1;
out:
    free(b);
    return frames;
}

static bool contains(const char *dir, const char *name, const char *needle)
{
    char *b = slurp(dir, name, NULL);
    bool found = b != NULL && strstr(b, needle) != NULL;
    free(b);
    return found;
}

/* Whether any file in dir has a name starting with prefix. */
static bool any_file(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL)
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
            found = true;
    if (d)
        closedir(d);
    return found;
}

/* Whether any file in dir whose name ends in suffix contains needle. */
static bool any_contains(const char *dir, const char *suffix, const char *needle)
{
    DIR *d = opendir(dir);
    bool found = false;
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name), s = strlen(suffix);
        if (l >= s && strcmp(de->d_name + l - s, suffix) == 0 && contains(dir, de->d_name, needle))
            found = true;
    }
    if (d)
        closedir(d);
    return found;
}

/* Removes dir and everything in it (two levels are enough here). */
static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d != NULL && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *p = path2(dir, de->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rm_rf(p);
        else
            unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

/* Compares summary.csv in dir with rg_summarize of r: header, names, every
 * mean and CI bit for bit (printed with %.17g).  Returns mismatches. */
static int csv_mismatches(const char *dir, const rg_results *r, bool verbose)
{
    char *csv = slurp(dir, "summary.csv", NULL);
    if (csv == NULL)
        return -1;
    int bad = 0;
    char *save = NULL, *line = strtok_r(csv, "\n", &save);
    char head[4096] = "variant";
    for (size_t m = 0; m < r->nmet; m++)
        snprintf(head + strlen(head), sizeof head - strlen(head), ",%s_mean,%s_ci95",
                 r->met[m].name, r->met[m].name);
    if (line == NULL || strcmp(line, head) != 0)
        bad++;
    double *x = calloc(r->reps_done + 1, sizeof *x);
    for (size_t v = 0; v < r->nvar; v++) {
        line = strtok_r(NULL, "\n", &save);
        size_t nl = strlen(r->varnames[v]);
        if (line == NULL || strncmp(line, r->varnames[v], nl) != 0 || line[nl] != ',') {
            bad++;
            continue;
        }
        char *p = line + nl;
        for (size_t m = 0; m < r->nmet; m++) {
            rg_summary s;
            rg_results_column(r, v, m, x);
            rg_summarize(x, r->reps_done, &s);
            double mean = strtod(p + 1, &p), ci = strtod(p + 1, &p);
            if (verbose)
                is_double(s.mean, mean, 0.0, "summary.csv: %s %s mean", r->varnames[v],
                          r->met[m].name);
            if (!(mean == s.mean || (isnan(mean) && isnan(s.mean))) ||
                !(ci == s.ci95 || (isnan(ci) && isnan(s.ci95))))
                bad++;
        }
    }
    free(x);
    free(csv);
    return bad;
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/report-t.XXXXXX";
    if (mkdtemp(tmpl) == NULL)
        bail("mkdtemp: %s", strerror(errno));
    char *d = malloc(sizeof tmpl);
    if (d == NULL)
        bail("out of memory");
    memcpy(d, tmpl, sizeof tmpl);
    return d;
}

/* ---- tests ------------------------------------------------------------ */

static const char *const flash_pages[] = {"plot-summary", "plot-timeline", "plot-oversell",
                                          "plot-latency", "plot-compare",  "plot-distributions",
                                          "plot-scenario"};
#define NFLASH_PAGES 7
static const char *const flash_data[] = {"timeline.dat", "oversell.dat", "latency.dat",
                                         "compare.dat",  "means.dat",    "replications.dat"};
#define NFLASH_DATA 6

static void test_escape(void)
{
    char *s;
    s = rg_report_escape("a\"b\\c");
    is_string("a\\\"b\\\\c", s, "escape: quote and backslash");
    free(s);
    s = rg_report_escape("`id`");
    is_string("\\140id\\140", s, "escape: backquote becomes an octal escape");
    free(s);
    s = rg_report_escape("@m x");
    is_string("\\100m x", s, "escape: @ becomes an octal escape");
    free(s);
    s = rg_report_escape("l1\nl2\tx\r\x7f");
    is_string("l1 l2 x  ", s, "escape: control characters become spaces");
    free(s);
    s = rg_report_escape("\xff ok \xc3\xa9 \xc2\x85!");
    is_string("? ok \xc3\xa9  !", s, "escape: invalid UTF-8 and C1 controls replaced");
    free(s);
    s = rg_report_escape("x^2_{i} & ~y # ; '$");
    is_string("x^2_{i} & ~y # ; '$", s, "escape: markup left to noenhanced");
    free(s);
}

/* Labels in words and numbers for people (words.h). */
static void test_words(void)
{
    static const struct {
        rg_metric m;
        const char *want;
    } cases[] = {
        {{"oversell", RG_MF_INT, "units", "sum over SKUs of max(0, allocated - stock)", 0,
          RG_ROLE_OVERSELL},
         "Units sold beyond the stock"},
        {{"oversold", RG_MF_INT, "1", "1 if any SKU oversold in this replication", RG_MF_PROB, 0},
         "Any SKU oversold"},
        {{"blocked_guardrail", RG_MF_INT, "requests", "403: guardrail tripped", 0, 0},
         "Guardrail tripped"},
        {{"utilization", RG_MF_REAL, "1", "busy server time / (servers x measured time)", 0, 0},
         "Utilization"},
        {{"sojourn_mean", RG_MF_REAL, "s", "mean time in system (wait + service)", RG_MF_MS, 0},
         "Mean time in system"},
        {{"batch_time", RG_MF_REAL, "s", "batch time: init-batch sent to finalize answered",
          RG_MF_MS, 0},
         "Batch time"},
        {{"lost_updates", RG_MF_INT, "units",
          "allocations the store does not hold: max(0, allocated - decremented)", 0, 0},
         "Allocations the store does not hold"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *l = rpt_met_label(&cases[i].m);
        is_string(cases[i].want, l, "label of %s: words, no formula", cases[i].m.name);
        free(l);
    }
    char b[32];
    is_string("138", rpt_fmt(b, sizeof b, 138.4, 2), "rpt_fmt: no exponent for 138 at 2 digits");
    is_string("100", rpt_fmt(b, sizeof b, 99.7, 2), "rpt_fmt: 99.7 at 2 digits is 100");
    is_string("1,234,568", rpt_fmt(b, sizeof b, 1234567.8, 3), "rpt_fmt: thousands separated");
    is_string("0.000162", rpt_fmt(b, sizeof b, 0.000162, 3), "rpt_fmt: small numbers as is");
    is_string("-2,500", rpt_fmt(b, sizeof b, -2500, 3), "rpt_fmt: negative thousands");
    is_string("0.000013", rpt_fmt_ci(b, sizeof b, 1.3e-05), "rpt_fmt_ci: tiny, without exponent");
    is_string("0.00042", rpt_fmt_ci(b, sizeof b, 0.00042), "rpt_fmt_ci: small, two digits");
    is_string("1,234", rpt_fmt_ci(b, sizeof b, 1234.4), "rpt_fmt_ci: large, as rpt_fmt");
    is_string("0.0001", rpt_fmt_ci(b, sizeof b, 9.96e-05), "rpt_fmt_ci: 9.96e-05 rounds to 0.0001");
    is_string("0.00001", rpt_fmt_ci(b, sizeof b, 1e-05), "rpt_fmt_ci: no trailing zero");
}

/* The flash-sale report: every page, file, size and number. */
static void test_flash(const char *tmp)
{
    static const char *const names[] = {"naive read-check-write", "locked", "conditional"};
    rg_results *r = make_flash(names, 3, 50);
    rg_meta m = make_meta("sneaker-drop",
                          "125 buyers race for 100 pairs of sneakers; which "
                          "design oversells?",
                          "flashsale", 42);
    char *dir = path2(tmp, "flash/nested");
    rg_err e;
    rg_err_clear(&e);
    int rc = rg_report_make_from(r, &m, "results/x.h5", dir, &e);
    if (!ok(rc == 0, "flash report written (mkdir -p of the output directory)"))
        diag("%s", e.msg);
    for (size_t i = 0; i < NFLASH_PAGES; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.png", flash_pages[i]);
        check_png(dir, name, 1200, 750);
        snprintf(name, sizeof name, "%s.gp", flash_pages[i]);
        ok(exists(dir, name), "%s kept", name);
    }
    for (size_t i = 0; i < NFLASH_DATA; i++)
        ok(exists(dir, flash_data[i]), "%s kept", flash_data[i]);
    ok(exists(dir, "report.gp") && exists(dir, "summary.csv"), "report.gp, summary.csv");
    ok(!exists(dir, "plot-means.png"), "no mean-bar page");
    is_int(NFLASH_PAGES, pdf_pages(dir), "report.pdf: %%PDF- and one page per plot");
    is_int(0, csv_mismatches(dir, r, true), "summary.csv: header, names, means, CIs");
    ok(contains(dir, "plot-summary.gp", "\"naive read-check-write\"") &&
           contains(dir, "plot-summary.gp", "sneaker-drop"),
       "summary page names scenario and variants");
    ok(!contains(dir, "plot-summary.gp", "INCOMPLETE"), "complete run not marked incomplete");
    ok(contains(dir, "plot-summary.gp", "never oversold in 50 drops") &&
           contains(dir, "plot-summary.gp", "Never oversold in 50 drops:") &&
           contains(dir, "plot-summary.gp", "label \"locked.\""),
       "summary page: a verdict per variant and the headline, in words");
    ok(contains(dir, "plot-summary.gp", "workload: buyers = 125") &&
           contains(dir, "plot-scenario.gp", "arrival = uniform(0, 50ms)"),
       "summary page: the keys the file sets; last page: the scenario in full");
    ok(contains(dir, "plot-timeline.gp", "stock = 100"), "timeline draws the stock");
    long delay = 0;
    int frames = gif_frames(dir, "live.gif", &delay);
    ok(frames == 62 && delay == 62 * 9,
       "live.gif: a well-formed GIF of 62 frames of 90 ms (%d, %ld cs)", frames, delay);
    ok(contains(dir, "live.gp", "# frames: 62") && contains(dir, "anim.dat", "# frame 61"),
       "live.gp and anim.dat agree on the frames");
    char *pl = page_list(dir);
    is_string("plot-summary plot-timeline plot-oversell plot-latency plot-compare "
              "plot-distributions plot-scenario",
              pl, "flash report: its pages, in order");
    free(pl);
    bool svgs = true;
    for (size_t i = 1; i + 1 < NFLASH_PAGES; i++)
        if (!svg_ok(dir, flash_pages[i])) {
            diag("%s.svg is not a whole SVG", flash_pages[i]);
            svgs = false;
        }
    ok(svgs && !exists(dir, "plot-summary.svg") && !exists(dir, "plot-scenario.svg"),
       "an SVG for every plot page, none for text pages");
    /* five plot pages and the GIF; the text pages are HTML */
    is_int(6, html_pictures(dir), "report.html: self-contained, every picture inline");
    ok(contains(dir, "report.html", "never oversold in 50 drops") &&
           contains(dir, "report.html", "<td>Units sold beyond the stock</td>") &&
           contains(dir, "report.html", "data:image/gif;base64,R0lGOD"),
       "report.html: verdicts, key numbers and the animation");
    ok(!any_contains(dir, ".dat", "naive"), "data files hold no names");

    /* Same input, second directory: same pictures, scripts and data. */
    char *dir2 = path2(tmp, "flash2");
    rg_err_clear(&e);
    rc = rg_report_make_from(r, &m, "results/y.h5", dir2, &e);
    bool same = rc == 0;
    for (size_t i = 0; same && i < NFLASH_PAGES; i++) {
        const char *ext[] = {".png", ".gp"};
        for (int k = 0; k < 2; k++) {
            char name[64];
            size_t n1 = 0, n2 = 0;
            snprintf(name, sizeof name, "%s%s", flash_pages[i], ext[k]);
            char *a = slurp(dir, name, &n1), *b = slurp(dir2, name, &n2);
            if (a == NULL || b == NULL || n1 != n2 || memcmp(a, b, n1) != 0) {
                diag("%s differs", name);
                same = false;
            }
            free(a);
            free(b);
        }
    }
    ok(same, "second report: PNGs and scripts byte-identical");
    free(dir2);
    free(dir);
    rg_results_free(r);
}

/* The queue model: no oversell, histogram or timeline. */
static void test_queue(const char *tmp)
{
    rg_results *r = make_queue(40);
    rg_meta m = make_meta("mm1", "M/M/1 queue", "queue", 20261123);
    char *dir = path2(tmp, "queue");
    rg_err e;
    rg_err_clear(&e);
    if (!ok(rg_report_make_from(r, &m, "mm1.h5", dir, &e) == 0, "queue report written"))
        diag("%s", e.msg);
    check_png(dir, "plot-summary.png", 1200, 750);
    check_png(dir, "plot-distributions.png", 1200, 750);
    check_png(dir, "plot-scenario.png", 1200, 750);
    ok(!exists(dir, "plot-oversell.png") && !exists(dir, "plot-latency.png") &&
           !exists(dir, "plot-timeline.png") && !exists(dir, "plot-compare.png"),
       "no pages without data");
    ok(!exists(dir, "plot-means.png"), "no mean bars: the key numbers say the means");
    ok(!exists(dir, "plot-check.png"), "no check page without report_extra's text");
    char *pl = page_list(dir);
    is_string("plot-summary plot-distributions plot-scenario", pl, "queue report: its pages");
    free(pl);
    ok(!exists(dir, "live.gif") && html_pictures(dir) == 1, "no timeline, no GIF; one SVG");
    char *dir2 = path2(tmp, "queue-check");
    rg_err_clear(&e);
    if (!ok(rg_report_make(r, &m,
                           "\nmean wait vs. closed form:\nrho_0.5  M/M/1  1.002  `x` \"q\"\n", dir2,
                           &e) == 0,
            "queue report with report_extra's text written"))
        diag("%s", e.msg);
    check_png(dir2, "plot-check.png", 1200, 750);
    ok(contains(dir2, "plot-check.gp", "rho_0.5  M/M/1  1.002  \\140x\\140 \\\"q\\\"") &&
           contains(dir2, "plot-summary.gp", "The model's own check"),
       "check page: the text, escaped; the summary points to it");
    is_int(4, pdf_pages(dir2), "queue report.pdf with the check has 4 pages");
    free(dir2);
    is_int(3, pdf_pages(dir), "queue report.pdf has 3 pages");
    is_int(0, csv_mismatches(dir, r, false), "queue summary.csv matches rg_summarize");
    free(dir);
    rg_results_free(r);
}

/* A drop with bots and protections: the page of units won by humans vs
 * bots and the cost per variant, with the means in its data file equal to
 * rg_summarize's. */
static void test_protection(const char *tmp)
{
    static const rg_metric pmet[] = {
        {"units_humans", RG_MF_INT, "units", "units won by human buyers", RG_MF_SHOW,
         RG_ROLE_UNITS_HUMANS},
        {"units_bots", RG_MF_INT, "units", "units won by bots", RG_MF_SHOW, RG_ROLE_UNITS_BOTS},
        {"cost_real", RG_MF_REAL, "USD", "real cost", RG_MF_SHOW, RG_ROLE_COST},
    };
    static const char *const names[] = {"none", "rate_limits"};
    rg_results *r = rg_results_new(2, names, 3, pmet, 30);
    r->reps_done = 30;
    for (size_t v = 0; v < 2; v++)
        for (uint64_t i = 0; i < 30; i++) {
            r->rows[(v * 30 + i) * 3 + 0].i = 70 + (int64_t)(10 * v) + (int64_t)(i % 5);
            r->rows[(v * 30 + i) * 3 + 1].i = 30 - (int64_t)(10 * v) - (int64_t)(i % 5);
            r->rows[(v * 30 + i) * 3 + 2].d = 0.0002 * (double)(v + 1) + 1e-6 * (double)i;
        }
    rg_meta m = make_meta("guardrail", "bots", "drop", 6001);
    char *dir = path2(tmp, "protection");
    rg_err e;
    rg_err_clear(&e);
    if (!ok(rg_report_make_from(r, &m, "g.h5", dir, &e) == 0, "protection report written"))
        diag("%s", e.msg);
    check_png(dir, "plot-protection.png", 1200, 750);
    /* By hand: humans 70 + mean(i % 5) = 72 for variant 0, 82 for 1. */
    size_t n = 0;
    char *d = slurp(dir, "protection.dat", &n);
    double v0 = NAN, h0 = NAN, b0 = NAN, v1 = NAN, h1 = NAN, b1 = NAN, x;
    const char *line = d ? strstr(d, "\n0 ") : NULL;
    if (line)
        sscanf(line + 1, "%lf %lf %lf %lf %lf %lf %lf", &v0, &h0, &x, &b0, &x, &x, &x);
    line = line ? strstr(line + 1, "\n1 ") : NULL;
    if (line)
        sscanf(line + 1, "%lf %lf %lf %lf %lf %lf %lf", &v1, &h1, &x, &b1, &x, &x, &x);
    ok(h0 == 72 && b0 == 28 && h1 == 82 && b1 == 18,
       "protection.dat: mean units of humans and bots per variant (%g %g %g %g)", h0, b0, h1, b1);
    free(d);
    free(dir);
    rg_results_free(r);
}

/* An interrupted run: 20 of 50 replications; variant b oversells hundreds
 * of units, so the oversell page has a panel per variant. */
static void test_incomplete(const char *tmp)
{
    static const char *const names[] = {"a", "b"};
    rg_results *r = make_flash(names, 2, 50);
    for (uint64_t i = 0; i < 50; i++)
        setv(r, 1, i, "oversell", (double)(400 + (i * 37) % 200));
    r->reps_done = 20;
    r->interrupted = true;
    rg_meta m = make_meta("cut", "", "flashsale", 1);
    m.complete = false;
    char *dir = path2(tmp, "incomplete");
    rg_err e;
    rg_err_clear(&e);
    if (!ok(rg_report_make_from(r, &m, "cut.h5", dir, &e) == 0, "incomplete report written"))
        diag("%s", e.msg);
    ok(contains(dir, "plot-summary.gp", "INCOMPLETE: interrupted run, 20 of 50 replications"),
       "summary page says INCOMPLETE, 20 of 50");
    is_int(0, csv_mismatches(dir, r, false), "summary.csv over the 20 completed replications");
    ok(contains(dir, "plot-oversell.gp", "set multiplot layout 2,1") &&
           contains(dir, "plot-oversell.gp", "bins of 5 units"),
       "wide oversell range: one panel per variant, binned");
    check_png(dir, "plot-oversell.png", 1200, 750);
    free(dir);
    rg_results_free(r);
}

/* Rows of block `block` (0-based) of replications.dat whose first field is
 * rep, or all of its rows if rep is UINT64_MAX. */
static size_t dat_rows(const char *dir, size_t block, uint64_t rep)
{
    char *b = slurp(dir, "replications.dat", NULL);
    size_t at = 0, rows = 0;
    bool blank = false; /* blocks are parted by two empty lines */
    for (char *q = b; q != NULL && *q != '\0';) {
        char *nl = strchr(q, '\n');
        size_t len = nl ? (size_t)(nl - q) : strlen(q);
        if (len == 0 && !blank) {
            at++;
            blank = true;
        } else if (len > 0) {
            blank = false;
            if (q[0] != '#' && at == block && (rep == UINT64_MAX || strtoull(q, NULL, 10) == rep))
                rows++;
        }
        q = nl ? nl + 1 : NULL;
    }
    free(b);
    return rows;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The quantile q of sorted x[0..n-1], interpolated between the two
 * nearest ranks (as GSL's, computed here apart from the program's). */
static double quantile(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)h;
    return lo + 1 < n ? x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]) : x[lo];
}

/* True if row v of boxes.dat holds, among its 5-value groups, the box of
 * metric `name` of variant v over all its replications in ms: q1, q3,
 * median, and the lowest and highest value within 1.5 box heights. */
static bool has_exact_box(const char *dir, const rg_results *r, size_t v, const char *name)
{
    int m = rg_results_metric(r, name);
    uint64_t n = r->reps_done;
    double *x = malloc(n * sizeof *x);
    uint64_t finite = 0;
    for (uint64_t i = 0; i < n; i++)
        if (isfinite(rg_results_value(r, v, i, (size_t)m)))
            x[finite++] = rg_results_value(r, v, i, (size_t)m) * 1000;
    n = finite; /* an infinity is no point on the page */
    qsort(x, n, sizeof *x, cmp_double);
    double q1 = quantile(x, n, 0.25), q3 = quantile(x, n, 0.75), reach = 1.5 * (q3 - q1);
    double want[5] = {q1, q3, quantile(x, n, 0.5), NAN, NAN};
    for (uint64_t i = 0; i < n; i++)
        if (x[i] >= q1 - reach && isnan(want[3]))
            want[3] = x[i];
    for (uint64_t i = n; i-- > 0;)
        if (x[i] <= q3 + reach && isnan(want[4]))
            want[4] = x[i];
    free(x);
    char *b = slurp(dir, "boxes.dat", NULL);
    bool found = false;
    for (char *q = b; q != NULL && *q != '\0' && !found;) {
        char *end;
        if (*q != '#' && strtoull(q, &end, 10) == v) {
            double got[256];
            size_t k = 0;
            for (q = end; k < 256;) {
                got[k] = strtod(q, &end);
                if (end == q)
                    break;
                q = end;
                k++;
            }
            for (size_t g = 0; g + 5 <= k && !found; g += 5) {
                found = true;
                for (int j = 0; j < 5; j++)
                    found = found && fabs(got[g + j] - want[j]) <= 1e-8 * fabs(want[j]);
            }
        }
        q = q != NULL ? strchr(q, '\n') : NULL;
        q = q != NULL ? q + 1 : NULL;
    }
    free(b);
    return found;
}

/* Many replications: the spread page draws a sample of about 4,000 of
 * each variant, the extremes always among them, and the boxes over all
 * of them; few: every one, boxes by gnuplot. */
static void test_sampled(const char *tmp)
{
    static const char *const names[] = {"a", "b"};
    rg_results *r = make_flash(names, 2, 9000);
    setv(r, 0, 4321, "lost_updates", 999);
    rg_meta m = make_meta("big", "", "flashsale", 1);
    char *dir = path2(tmp, "sampled");
    rg_err e;
    rg_err_clear(&e);
    if (!ok(rg_report_make_from(r, &m, "big.h5", dir, &e) == 0, "report of 9,000 written"))
        diag("%s", e.msg);
    size_t n0 = dat_rows(dir, 0, UINT64_MAX), n1 = dat_rows(dir, 1, UINT64_MAX);
    diag("replications drawn: %zu and %zu of 9,000", n0, n1);
    ok(n0 >= 3700 && n0 <= 4300 && n1 >= 3700 && n1 <= 4300,
       "about 4,000 of 9,000 drawn per variant (%zu, %zu)", n0, n1);
    ok(contains(dir, "plot-distributions.gp", "drawn: about 4,000 drops of each variant"),
       "the page says what is drawn");
    check_png(dir, "plot-distributions.png", 1200, 750);
    /* the dots of counts: the highest kept */
    size_t high = dat_rows(dir, 0, 4321);
    free(dir);
    rg_results_free(r);

    /* boxes of times: the highest and the lowest kept, in every variant */
    r = make_queue(9000);
    setv(r, 1, 7777, "wait_mean", 99.0);
    setv(r, 2, 12, "wait_mean", 1e-6);
    setv(r, 0, 99, "sojourn_mean", INFINITY); /* only a damaged file holds one */
    m = make_meta("mm1", "M/M/1 queue", "queue", 1);
    dir = path2(tmp, "sampled-queue");
    if (rg_report_make_from(r, &m, "q.h5", dir, &e) < 0)
        diag("%s", e.msg);
    ok(high == 1 && dat_rows(dir, 1, 7777) == 1 && dat_rows(dir, 2, 12) == 1,
       "the highest and the lowest of a count and of a time are drawn");
    ok(has_exact_box(dir, r, 1, "wait_mean") && has_exact_box(dir, r, 2, "wait_mean") &&
           has_exact_box(dir, r, 0, "sojourn_mean"),
       "the boxes are the quartiles, median and whisker ends of all 9,000 (an infinity left "
       "out, and the page still drawn)");
    ok(contains(dir, "plot-distributions.gp", "with candlesticks") &&
           !contains(dir, "plot-distributions.gp", "with boxplot") &&
           contains(dir, "plot-distributions.gp", "the means and the boxes are over all 9,000"),
       "drawn as candlesticks, and the page says they are over all");
    check_png(dir, "plot-distributions.png", 1200, 750);
    free(dir);
    rg_results_free(r);

    r = make_flash(names, 2, 300);
    m = make_meta("small", "", "flashsale", 1);
    dir = path2(tmp, "unsampled");
    if (rg_report_make_from(r, &m, "small.h5", dir, &e) < 0)
        diag("%s", e.msg);
    ok(dat_rows(dir, 0, UINT64_MAX) == 300 && dat_rows(dir, 1, UINT64_MAX) == 300 &&
           !contains(dir, "plot-distributions.gp", "drawn:"),
       "300 replications: every one drawn");
    free(dir);
    rg_results_free(r);

    r = make_queue(300);
    m = make_meta("mm1", "M/M/1 queue", "queue", 1);
    dir = path2(tmp, "unsampled-queue");
    if (rg_report_make_from(r, &m, "q.h5", dir, &e) < 0)
        diag("%s", e.msg);
    char *bx = path2(dir, "boxes.dat");
    ok(contains(dir, "plot-distributions.gp", "with boxplot") && access(bx, F_OK) != 0,
       "300 replications: the boxes are gnuplot's, of every one");
    free(bx);
    free(dir);
    rg_results_free(r);
}

/* Hostile scenario strings: nothing may run, the report must still work. */
static void test_injection(const char *tmp)
{
    static const char *const names[] = {
        "v1\"; system(\"touch PWNED3\"); \"",
        "`touch PWNED4` $(touch PWNED5)",
        "@evil {x}^_y & ~z # hash \\ <script>alert(1)</script> \" onload=\"x",
    };
    rg_results *r = make_flash(names, 3, 20);
    free((char *)r->met[0].desc);
    r->met[0].desc = strdup("allocated `touch PWNED6` \" ; system(\"touch PWNED7\")");
    rg_meta m =
        make_meta("evil\"; system(\"touch PWNED\"); \"",
                  "desc `touch PWNED2`\n@evil\nset output \"/tmp/x\" {}^_ \\", "flashsale", 1);
    m.resolved = (char *)"[scenario]\nname = `touch PWNED8`\nx = \"; system(\"touch PWNED9\") #\n";
    char *dir = path2(tmp, "inject");
    char *cwd = path2(tmp, "cwd");
    char *old = getcwd(NULL, 0);
    mkdir(cwd, 0777);
    if (chdir(cwd) != 0)
        bail("chdir %s", cwd);
    rg_err e;
    rg_err_clear(&e);
    int rc = rg_report_make_from(r, &m, "evil.h5", dir, &e);
    if (!ok(rc == 0, "hostile strings: gnuplot succeeded"))
        diag("%s", e.msg);
    if (old == NULL || chdir(old) != 0)
        bail("chdir back");
    free(old);
    ok(!any_file(dir, "PWNED") && !any_file(cwd, "PWNED") && !any_file(tmp, "PWNED"),
       "no command ran");
    ok(contains(dir, "plot-summary.gp", "\"evil\\\"; system(\\\"touch PWNED\\\"); \\\"\""),
       "scenario name written with escaped quotes");
    ok(contains(dir, "plot-summary.gp", "desc \\140touch PWNED2\\140 \\100evil"),
       "backquotes and @ written as octal escapes, newlines as spaces");
    ok(contains(dir, "plot-timeline.gp", "title \"v1\\\"; system(\\\"touch PWNED3\\\"); \\\"\""),
       "variant name escaped in the key");
    ok(!any_contains(dir, ".gp", "`"), "no backquote in any script");
    ok(!any_contains(dir, ".dat", "PWNED"), "no scenario text in data files");
    is_int(NFLASH_PAGES, pdf_pages(dir), "report.pdf complete");
    check_png(dir, "plot-summary.png", 1200, 750);
    ok(html_pictures(dir) == 6 && contains(dir, "report.html", "&lt;script&gt;alert(1)") &&
           contains(dir, "report.html", "&quot; onload=&quot;x"),
       "report.html: hostile names escaped, no script, every picture still inline");
    free(cwd);
    free(dir);
    rg_results_free(r);
}

/* gnuplot missing or failing. */
static void test_gnuplot_errors(const char *tmp)
{
    static const char *const names[] = {"a"};
    rg_results *r = make_flash(names, 1, 5);
    rg_meta m = make_meta("g", "", "flashsale", 1);
    char *dir = path2(tmp, "nognuplot");
    rg_err e;
    rg_err_clear(&e);
    setenv("REVGUARD_GNUPLOT", "/nonexistent", 1);
    is_string("/nonexistent", rg_report_gnuplot(), "REVGUARD_GNUPLOT names the program");
    int rc = rg_report_make_from(r, &m, "g.h5", dir, &e);
    ok(rc < 0 && e.kind == RG_ERR_IO, "missing gnuplot: RG_ERR_IO");
    ok(strstr(e.msg, "gnuplot not found") && strstr(e.msg, "gnuplot-nox") &&
           strstr(e.msg, "REVGUARD_GNUPLOT"),
       "message names gnuplot and the fix: %s", e.msg);
    ok(!exists(dir, "summary.csv") && !exists(dir, "plot-summary.gp"),
       "a report that fails leaves nothing (written whole or not at all)");

    /* A gnuplot that fails with a message on stderr. */
    char *fake = path2(tmp, "fake-gnuplot");
    FILE *f = fopen(fake, "w");
    if (f == NULL)
        bail("%s: %s", fake, strerror(errno));
    fprintf(f, "#!/bin/sh\necho '\"$2\" line 3: boom: undefined variable' >&2\nexit 1\n");
    fclose(f);
    chmod(fake, 0755);
    setenv("REVGUARD_GNUPLOT", fake, 1);
    rg_err_clear(&e);
    rc = rg_report_make_from(r, &m, "g.h5", dir, &e);
    ok(rc < 0 && e.kind == RG_ERR_IO, "failing gnuplot: RG_ERR_IO");
    ok(strstr(e.msg, "plot-summary.gp") && strstr(e.msg, "boom") && strstr(e.msg, "exit status 1"),
       "message names the script and quotes stderr: %s", e.msg);
    ok(contains(dir, "gnuplot.log", "boom"), "stderr kept in gnuplot.log");
    unsetenv("REVGUARD_GNUPLOT");
    free(fake);
    free(dir);
    rg_results_free(r);
}

/* Whether every file of dir a named in names (NULL-terminated) is
 * byte-identical in dir b. */
static bool same_files(const char *a, const char *b, const char *const *names)
{
    bool same = true;
    for (; *names; names++) {
        size_t n1 = 0, n2 = 0;
        char *x = slurp(a, *names, &n1), *y = slurp(b, *names, &n2);
        if (x == NULL || y == NULL || n1 != n2 || memcmp(x, y, n1) != 0) {
            diag("%s differs", *names);
            same = false;
        }
        free(x);
        free(y);
    }
    return same;
}

/* What the program does for a results file: read it, give the results the
 * roles of the model's metrics (a file stores none), write the report. */
static int report_from_file(const char *h5, const char *dir, rg_err *e)
{
    rg_results *r = NULL;
    rg_meta m = {0};
    if (rg_results_read(h5, &r, &m, e) < 0)
        return -1;
    rg_results_adopt_roles(r, flash_met, FLASH_NMET);
    int rc = rg_report_make_from(r, &m, h5, dir, e);
    rg_results_free(r);
    rg_meta_free(&m);
    return rc;
}

/* Through the results file: rg_results_write, then reading it back gives
 * the report the in-memory results give. */
static void test_end_to_end(const char *tmp)
{
    static const char *const names[] = {"naive", "locked"};
    static const char *const files[] = {
        "plot-summary.gp",   "plot-timeline.gp", "plot-oversell.gp",
        "plot-latency.gp",   "plot-compare.gp",  "plot-distributions.gp",
        "report.gp",         "timeline.dat",     "oversell.dat",
        "latency.dat",       "compare.dat",      "means.dat",
        "replications.dat",  "summary.csv",      "plot-summary.png",
        "plot-timeline.png", "plot-latency.png", NULL};
    rg_results *r = make_flash(names, 2, 30);
    rg_meta m = make_meta("e2e", "end to end", "flashsale", 42);
    char *h5 = path2(tmp, "e2e.h5"), *dir = path2(tmp, "e2e"), *mem = path2(tmp, "e2e-mem");
    rg_err e;
    rg_err_clear(&e);
    if (!ok(rg_results_write(h5, r, &m, &e) == 0, "results file written"))
        diag("%s", e.msg);
    rg_err_clear(&e);
    if (!ok(report_from_file(h5, dir, &e) == 0, "report from the results file"))
        diag("%s", e.msg);
    is_int(0, csv_mismatches(dir, r, false), "summary.csv from the file matches the data");
    is_int(NFLASH_PAGES, pdf_pages(dir), "report.pdf from the file has every page");
    ok(contains(dir, "plot-summary.gp", "end to end"), "description read back");
    rg_err_clear(&e);
    if (rg_report_make_from(r, &m, h5, mem, &e) < 0)
        diag("%s", e.msg);
    ok(same_files(dir, mem, files), "report from the file equals the report from memory");
    char *missing = path2(tmp, "missing.h5");
    rg_err_clear(&e);
    ok(report_from_file(missing, dir, &e) < 0 && e.kind != RG_ERR_NONE,
       "a missing results file is an error");
    free(missing);
    free(h5);
    free(dir);
    free(mem);
    rg_results_free(r);
}

int main(void)
{
    unsetenv("REVGUARD_GNUPLOT");
    const char *g = rg_report_gnuplot();
    if (g[0] == '\0' || access(g, X_OK) != 0)
        skip_all("gnuplot not available (Debian package gnuplot-nox)");
    plan(6 + 17 + (1 + 3 * NFLASH_PAGES + NFLASH_DATA + 17 + 3 * FLASH_NMET) + 19 + 6 + 10 + 13 +
         7 + 4 + 7);
    char *tmp = make_tmpdir();
    diag("gnuplot: %s; output under %s", g, tmp);
    test_escape();
    test_words();
    test_flash(tmp);
    test_queue(tmp);
    test_protection(tmp);
    test_incomplete(tmp);
    test_sampled(tmp);
    test_injection(tmp);
    test_gnuplot_errors(tmp);
    test_end_to_end(tmp);
    if (tap_failures() == 0 && getenv("REPORT_T_KEEP") == NULL)
        rm_rf(tmp);
    else
        diag("output kept in %s", tmp);
    free(tmp);
    return 0;
}
