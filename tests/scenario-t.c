/*
 * scenario-t: scenario files (scenario.h).  Typed getters with defaults and
 * ranges; every error class with a message naming the file, the line, the
 * section and the key (unknown key with a "did you mean" suggestion, unknown
 * section, duplicate key, missing required key, bad values of each type, key
 * before any section, a line over 199 characters, binary data, an indented
 * continuation line, syntax errors); empty sections still listed; --set
 * overrides; and the resolved text, whose defaults are marked and which
 * loads back to the same values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/engine/scenario.h"
#include "tests/tap/basic.h"

#define NAME "t.ini"

static rg_scn *load(const char *text, rg_err *e)
{
    rg_err_clear(e);
    return rg_scn_load_string(NAME, text, e);
}

/* True if msg contains every word of the NULL-terminated list; says which
 * one is missing. */
static bool has_all(const char *msg, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (strstr(msg, words[i]) == NULL) {
            diag("message lacks \"%s\": %s", words[i], msg);
            return false;
        }
    return true;
}

#define WORDS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Loading `text` fails with a message containing `words`. */
static void load_fails(const char *what, const char *text, const char *const *words)
{
    rg_err e;
    rg_scn *s = load(text, &e);
    ok(s == NULL && e.kind == RG_ERR_INPUT && has_all(e.msg, words), "%s", what);
    rg_scn_free(s);
}

/* ---- typed getters --------------------------------------------------------- */

/* clang-format off */
static const char good_text[] =
    "; a comment\n"
    "# another comment\n"
    "\n"
    "[scenario]\n"
    "name = demo\n"
    "seed = 42\n"
    "neg = -5\n"
    "ratio = 0.25\n"
    "flag = yes\n"
    "flag2 = off\n"
    "timeout = 12ms\n"
    "zero = 0\n"
    "latency = exp(mean=2ms)\n"
    "policy = lifo\n"
    "spaced =   some words   ; an inline comment\n"
    "crlf = 5\r\n"
    "[variant.rho_0.5]\n"
    "arrival = exp(mean=2s)\n";
/* clang-format on */

static void test_getters(void)
{
    static const char *const policies[] = {"fifo", "lifo", "random", NULL};
    rg_err e;
    rg_scn *s = load(good_text, &e);
    if (!ok(s != NULL, "a good scenario loads")) {
        diag("%s", e.msg);
        bail("cannot continue");
    }
    const char *str;
    int64_t i;
    double d;
    bool b;
    rg_time t;
    rg_dist *dist = NULL;
    int en;

    ok(rg_scn_str(s, "scenario", "name", NULL, &str, &e) == 0 && strcmp(str, "demo") == 0,
       "str: file value");
    ok(rg_scn_str(s, "scenario", "owner", "nobody", &str, &e) == 0 && strcmp(str, "nobody") == 0,
       "str: default when absent");
    ok(rg_scn_int(s, "scenario", "seed", "1", 0, 100, &i, &e) == 0 && i == 42, "int: 42");
    ok(rg_scn_int(s, "scenario", "reps", "7", 1, 10, &i, &e) == 0 && i == 7, "int: default 7");
    ok(rg_scn_int(s, "scenario", "neg", "0", -10, 10, &i, &e) == 0 && i == -5, "int: -5");
    ok(rg_scn_real(s, "scenario", "ratio", "0.5", 0, 1, &d, &e) == 0 && d == 0.25, "real: 0.25");
    ok(rg_scn_real(s, "scenario", "load", "1.5", 0, 2, &d, &e) == 0 && d == 1.5,
       "real: default 1.5");
    ok(rg_scn_bool(s, "scenario", "flag", "false", &b, &e) == 0 && b, "bool: yes");
    ok(rg_scn_bool(s, "scenario", "flag2", "true", &b, &e) == 0 && !b, "bool: off");
    ok(rg_scn_bool(s, "scenario", "flag3", "on", &b, &e) == 0 && b, "bool: default on");
    ok(rg_scn_dur(s, "scenario", "timeout", "1s", &t, &e) == 0 && t == 12000000,
       "dur: 12ms = 12000000 ns");
    ok(rg_scn_dur(s, "scenario", "zero", "1s", &t, &e) == 0 && t == 0, "dur: 0");
    ok(rg_scn_dur(s, "scenario", "hold", "1.5s", &t, &e) == 0 && t == 1500000000,
       "dur: default 1.5s");
    ok(rg_scn_dist(s, "scenario", "latency", NULL, RG_QTY_DURATION, &dist, &e) == 0 &&
           rg_dist_mean(dist) == 2e6,
       "dist: exp(mean=2ms), mean 2e6 ns");
    rg_dist_free(dist);
    dist = NULL;
    ok(rg_scn_dist(s, "scenario", "jitter", "uniform(0, 4)", RG_QTY_NUMBER, &dist, &e) == 0 &&
           rg_dist_mean(dist) == 2,
       "dist: default uniform(0, 4)");
    rg_dist_free(dist);
    ok(rg_scn_enum(s, "scenario", "policy", "fifo", policies, &en, &e) == 0 && en == 1,
       "enum: lifo is choice 1");
    ok(rg_scn_enum(s, "scenario", "order", "random", policies, &en, &e) == 0 && en == 2,
       "enum: default random is choice 2");
    ok(rg_scn_str(s, "scenario", "spaced", NULL, &str, &e) == 0 && strcmp(str, "some words") == 0,
       "value trimmed, inline comment dropped: '%s'", str);
    ok(rg_scn_int(s, "scenario", "crlf", NULL, 0, 10, &i, &e) == 0 && i == 5,
       "CRLF line ending: 5");
    ok(rg_scn_has(s, "scenario", "seed") && !rg_scn_has(s, "scenario", "reps") &&
           rg_scn_has(s, "variant.rho_0.5", "arrival"),
       "rg_scn_has");
    is_string(NAME, rg_scn_path(s), "rg_scn_path is the name given");
    ok(e.kind == RG_ERR_NONE, "no error set by the getters");
    /* Every key is asked for; [variant.rho_0.5] never was. */
    rg_err_clear(&e);
    ok(rg_scn_finish(s, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:17", "unknown section [variant.rho_0.5]")),
       "finish reports the section nobody asked about");
    ok(rg_scn_str(s, "variant.rho_0.5", "arrival", NULL, &str, &e) == 0, "ask for it");
    rg_err_clear(&e);
    ok(rg_scn_finish(s, &e) == 0, "then finish is happy");
    rg_scn_free(s);
    rg_scn_free(NULL);
}

/* ---- value errors (the getter fails) ----------------------------------------- */

/* clang-format off */
static const char bad_values[] =
    "[a]\n"                       /* 1 */
    "n = 4x\n"                    /* 2 */
    "big = 99\n"                  /* 3 */
    "huge = 99999999999999999999\n" /* 4 */
    "r = abc\n"                   /* 5 */
    "rbig = 2.5\n"                /* 6 */
    "timeout = 50\n"              /* 7 */
    "back = -5ms\n"               /* 8 */
    "policy = lifx\n"             /* 9 */
    "flag = maybe\n"              /* 10 */
    "lat = exp(rate=2)\n"         /* 11 */
    "negc = -5ms\n"               /* 12 */
    "rnan = nan\n";               /* 13 */
/* clang-format on */

static void test_value_errors(void)
{
    static const char *const policies[] = {"fifo", "lifo", "random", NULL};
    rg_err e;
    rg_scn *s = load(bad_values, &e);
    if (!ok(s != NULL, "the bad-values file loads (values are checked by the getters)")) {
        diag("%s", e.msg);
        bail("cannot continue");
    }
    int64_t i;
    double d;
    bool b;
    rg_time t;
    int en;
    rg_dist *dist = NULL;

    rg_err_clear(&e);
    ok(rg_scn_int(s, "a", "n", NULL, 0, 10, &i, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:2", "[a]", "n:", "integer", "'4x'")),
       "int garbage: file:line, section, key, what was expected");
    rg_err_clear(&e);
    ok(rg_scn_int(s, "a", "big", NULL, 1, 10, &i, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:3", "[a] big", "out of range", "[1, 10]")),
       "int out of range names the range");
    rg_err_clear(&e);
    ok(rg_scn_int(s, "a", "huge", NULL, 0, INT64_MAX, &i, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:4", "[a] huge")),
       "int overflow is an error, not a clamp");
    rg_err_clear(&e);
    ok(rg_scn_real(s, "a", "r", NULL, 0, 1, &d, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:5", "[a] r", "number", "'abc'")),
       "real garbage");
    rg_err_clear(&e);
    ok(rg_scn_real(s, "a", "rbig", NULL, 0, 1, &d, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:6", "[a] rbig", "out of range")),
       "real out of range");
    rg_err_clear(&e);
    ok(rg_scn_real(s, "a", "rnan", NULL, -1e300, 1e300, &d, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:13", "[a] rnan")),
       "real 'nan' rejected");
    rg_err_clear(&e);
    ok(rg_scn_dur(s, "a", "timeout", NULL, &t, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:7", "[a] timeout", "unit")),
       "duration without a unit");
    rg_err_clear(&e);
    ok(rg_scn_dur(s, "a", "back", NULL, &t, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:8", "[a] back", "negative")),
       "negative duration");
    rg_err_clear(&e);
    ok(rg_scn_enum(s, "a", "policy", NULL, policies, &en, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:9", "[a] policy", "one of fifo, lifo, random", "'lifx'")),
       "bad enum lists the choices");
    rg_err_clear(&e);
    ok(rg_scn_bool(s, "a", "flag", NULL, &b, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:10", "[a] flag", "true", "false", "'maybe'")),
       "bad bool lists the choices");
    rg_err_clear(&e);
    ok(rg_scn_dist(s, "a", "lat", NULL, RG_QTY_DURATION, &dist, &e) == -1 && dist == NULL &&
           has_all(e.msg, WORDS("t.ini:11", "[a] lat", "rate")),
       "bad distribution");
    rg_err_clear(&e);
    ok(rg_scn_dist(s, "a", "negc", NULL, RG_QTY_DURATION, &dist, &e) == -1 && dist == NULL &&
           has_all(e.msg, WORDS("t.ini:12", "[a] negc", ">= 0")),
       "negative constant duration distribution");
    rg_err_clear(&e);
    ok(rg_scn_str(s, "a", "needed", NULL, &(const char *){NULL}, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini", "[a]", "missing required key 'needed'")),
       "missing required key names file, section and key");
    rg_err_clear(&e);
    ok(rg_scn_int(s, "b", "count", NULL, 0, 9, &i, &e) == -1 &&
           has_all(e.msg, WORDS("[b]", "'count'", "integer in [0, 9]")),
       "missing required key of an absent section says what is expected");
    rg_err_clear(&e);
    rg_scn_err(s, "a", "n", &e, "custom %d", 5);
    is_string("t.ini:2: [a] n: custom 5", e.msg, "rg_scn_err format: FILE:LINE: [sec] key: msg");
    rg_scn_free(s);
}

/* ---- load errors --------------------------------------------------------------- */

static void test_load_errors(void)
{
    load_fails("duplicate key names both lines", "[a]\nk = 1\nj = 2\nk = 3\n",
               WORDS("t.ini:4", "[a]", "duplicate key 'k'", "line 2"));
    load_fails("key before any section", "k = 1\n[a]\nj = 2\n",
               WORDS("t.ini:1", "'k'", "before any [section]"));
    load_fails("indented continuation line", "[a]\nk = 1\n   more text\n",
               WORDS("t.ini:3", "[a]", "indented", "'k'"));
    load_fails("indented key after a key", "[a]\nk = 1\n\tj = 2\n", WORDS("t.ini:3", "indented"));
    load_fails("a line that is not INI", "[a]\nk = 1\njust words\n", WORDS("t.ini:3", "expected"));
    load_fails("an unclosed section header", "[a]\nk = 1\n[b\nj = 2\n", WORDS("t.ini:3"));
    load_fails("a control byte is binary data", "[a]\nk = 1\x01\n", WORDS("t.ini:2", "0x01"));

    /* 199 characters load; 200 do not, and nothing is split. */
    char line[512];
    char text[600];
    memset(line, 'x', sizeof line);
    memcpy(line, "k = ", 4);
    line[199] = '\0';
    snprintf(text, sizeof text, "[a]\n%s\nj = 1\n", line);
    rg_err e;
    rg_scn *s = load(text, &e);
    const char *v = NULL;
    rg_err_clear(&e);
    ok(s != NULL && rg_scn_str(s, "a", "k", NULL, &v, &e) == 0 && strlen(v) == 195,
       "a 199-character line loads whole (value of 195 characters)");
    if (s == NULL)
        diag("%s", e.msg);
    rg_scn_free(s);
    line[199] = 'x';
    line[200] = '\0';
    snprintf(text, sizeof text, "[a]\n%s\nj = 1\n", line);
    load_fails("a 200-character line is an error", text, WORDS("t.ini:2", "longer than 199"));
    line[200] = 'x';
    line[300] = '\0';
    snprintf(text, sizeof text, "[a]\nk = 1\n%s\n", line);
    load_fails("a 300-character line is an error, not split", text,
               WORDS("t.ini:3", "longer than 199"));
    /* The same without a final newline. */
    snprintf(text, sizeof text, "[a]\n%s", line);
    load_fails("a long last line without newline", text, WORDS("t.ini:2", "longer"));

    /* A NUL byte: rg_scn_load_string stops at it, so use a real file. */
    char path[] = "/tmp/scenario-t-XXXXXX";
    int fd = mkstemp(path);
    static const char bin[] = "[a]\nk = 1\nj = a\0b\n";
    bool wrote = fd >= 0 && write(fd, bin, sizeof bin - 1) == (ssize_t)(sizeof bin - 1);
    if (fd >= 0)
        close(fd);
    rg_err_clear(&e);
    s = wrote ? rg_scn_load(path, &e) : NULL;
    ok(wrote && s == NULL && has_all(e.msg, WORDS(path, ":3", "0x00")),
       "a NUL byte is rejected with file:line");
    rg_scn_free(s);
    unlink(path);

    rg_err_clear(&e);
    s = rg_scn_load("/nonexistent/dir/x.ini", &e);
    ok(s == NULL && e.kind == RG_ERR_INPUT &&
           has_all(e.msg, WORDS("/nonexistent/dir/x.ini", "cannot open")),
       "a missing file names the path");
    rg_scn_free(s);

    /* An empty text is a scenario without sections. */
    s = load("", &e);
    ok(s != NULL && rg_scn_nsections(s) == 0, "an empty scenario loads with no sections");
    rg_scn_free(s);
}

/* ---- unknown keys and sections (rg_scn_finish) -------------------------------- */

static void test_unknown(void)
{
    rg_err e;
    int64_t i;
    rg_scn *s = load("[queue]\nservers = 1\nsrevers = 2\n", &e);
    rg_err_clear(&e);
    rg_scn_int(s, "queue", "servers", "1", 1, 10, &i, &e);
    rg_scn_int(s, "queue", "customers", "100", 1, 1000, &i, &e);
    ok(rg_scn_finish(s, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:3", "[queue]", "unknown key 'srevers'", "did you mean",
                                "'servers'")),
       "unknown key: file:line, section, key and a suggestion");
    rg_scn_free(s);

    s = load("[queue]\nservers = 1\nzzzzzzzz = 2\n", &e);
    rg_err_clear(&e);
    rg_scn_int(s, "queue", "servers", "1", 1, 10, &i, &e);
    ok(rg_scn_finish(s, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:3", "[queue]", "'zzzzzzzz'", "servers")) &&
           strstr(e.msg, "did you mean") == NULL,
       "unknown key far from any known one: lists the known keys instead");
    rg_scn_free(s);

    s = load("[queue]\nservers = 1\n\n[qeueu]\nx = 1\n", &e);
    rg_err_clear(&e);
    rg_scn_int(s, "queue", "servers", "1", 1, 10, &i, &e);
    ok(rg_scn_finish(s, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:4", "unknown section [qeueu]", "did you mean [queue]")),
       "unknown section: file:line and a suggestion");
    rg_scn_free(s);

    /* A misspelt section when the right one is absent from the file. */
    s = load("[queu]\nservers = 1\n", &e);
    rg_err_clear(&e);
    rg_scn_int(s, "queue", "servers", "1", 1, 10, &i, &e);
    ok(rg_scn_finish(s, &e) == -1 &&
           has_all(e.msg, WORDS("t.ini:1", "[queu]", "did you mean [queue]")),
       "misspelt section suggests a section that was asked about");
    rg_scn_free(s);

    /* Empty sections are listed in file order; undeclared ones are unknown. */
    s = load("[a]\nk = 1\n[variant.x]\n[b]\nj = 2\n[variant.y]\n; only a comment\n[zzz]\n", &e);
    ok(s != NULL && rg_scn_nsections(s) == 5, "five sections, three of them empty");
    ok(s && strcmp(rg_scn_section(s, 0), "a") == 0 &&
           strcmp(rg_scn_section(s, 1), "variant.x") == 0 &&
           strcmp(rg_scn_section(s, 2), "b") == 0 &&
           strcmp(rg_scn_section(s, 3), "variant.y") == 0 &&
           strcmp(rg_scn_section(s, 4), "zzz") == 0,
       "rg_scn_section lists them in file order, empty [variant.x] included");
    rg_err_clear(&e);
    rg_scn_int(s, "a", "k", NULL, 0, 9, &i, &e);
    rg_scn_int(s, "b", "j", NULL, 0, 9, &i, &e);
    rg_scn_declare(s, "variant.x");
    rg_scn_declare(s, "variant.y");
    ok(rg_scn_finish(s, &e) == -1 && has_all(e.msg, WORDS("t.ini:8", "unknown section [zzz]")),
       "an empty undeclared section is reported with its line");
    rg_scn_declare(s, "zzz");
    rg_err_clear(&e);
    ok(rg_scn_finish(s, &e) == 0, "declared empty sections are fine");
    rg_scn_free(s);
}

/* ---- --set ----------------------------------------------------------------------- */

static void test_set(void)
{
    rg_err e;
    int64_t i;
    const char *str;
    rg_scn *s = load("[a]\nk = 1\nn = 2\n[variant.rho_0.5]\narrival = exp(mean=2s)\n", &e);
    size_t nsec = rg_scn_nsections(s);

    rg_err_clear(&e);
    ok(rg_scn_set(s, "a.k=5", &e) == 0 && rg_scn_int(s, "a", "k", NULL, 0, 9, &i, &e) == 0 &&
           i == 5,
       "--set replaces a value");
    ok(rg_scn_set(s, "a.new =  7 ", &e) == 0 &&
           rg_scn_int(s, "a", "new", NULL, 0, 9, &i, &e) == 0 && i == 7,
       "--set adds a key (spaces trimmed)");
    ok(rg_scn_set(s, "variant.rho_0.5.arrival=exp(mean=3.5s)", &e) == 0 &&
           rg_scn_str(s, "variant.rho_0.5", "arrival", NULL, &str, &e) == 0 &&
           strcmp(str, "exp(mean=3.5s)") == 0,
       "--set: the key is what follows the last dot before '='");
    ok(rg_scn_set(s, "fresh.x=1", &e) == 0 && rg_scn_has(s, "fresh", "x") &&
           rg_scn_nsections(s) == nsec + 1 &&
           strcmp(rg_scn_section(s, rg_scn_nsections(s) - 1), "fresh") == 0,
       "--set creates a new section");
    ok(rg_scn_set(s, "a.n=abc", &e) == 0, "--set stores any text");
    rg_err_clear(&e);
    ok(rg_scn_int(s, "a", "n", NULL, 0, 9, &i, &e) == -1 &&
           has_all(e.msg, WORDS("--set", "[a] n", "'abc'")),
       "a bad value from --set is reported as coming from --set");

    static const char *const bad[] = {"noequals", "nodot=5", ".k=5", "a.=5", "=5", ""};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        rg_err_clear(&e);
        ok(rg_scn_set(s, bad[k], &e) == -1 && e.kind == RG_ERR_INPUT &&
               has_all(e.msg, WORDS("section.key=value")),
           "malformed --set '%s' rejected", bad[k]);
    }
    rg_scn_free(s);
}

/* ---- resolved text ------------------------------------------------------------ */

/* Asks the same keys with the given defaults. */
static int ask_all(rg_scn *s, const char *seed_def, const char *cust_def, int64_t *seed,
                   int64_t *servers, int64_t *cust, rg_time *hold, const char **name,
                   const char **desc, rg_err *e)
{
    rg_dist *d = NULL;
    int rc = 0;
    rc |= rg_scn_str(s, "scenario", "name", NULL, name, e);
    rc |= rg_scn_int(s, "scenario", "seed", seed_def, 0, INT64_MAX, seed, e);
    rc |= rg_scn_str(s, "scenario", "description", "", desc, e);
    rc |= rg_scn_int(s, "queue", "servers", "1", 1, 100, servers, e);
    rc |= rg_scn_int(s, "queue", "customers", cust_def, 1, 1000000, cust, e);
    rc |= rg_scn_dur(s, "queue", "hold", "250us", hold, e);
    rc |= rg_scn_dist(s, "queue", "arrival", "exp(mean=1s)", RG_QTY_DURATION, &d, e);
    rg_dist_free(d);
    return rc;
}

static bool line_in(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
            return true;
    return false;
}

static void test_resolved(void)
{
    rg_err e;
    rg_scn *s = load("[queue]\nservers = 2\n\n[scenario]\nname = demo\n", &e);
    int64_t seed, servers, cust, seed2, servers2, cust2;
    rg_time hold, hold2;
    const char *name, *desc, *name2, *desc2;
    rg_err_clear(&e);
    ok(ask_all(s, "1", "10000", &seed, &servers, &cust, &hold, &name, &desc, &e) == 0 &&
           seed == 1 && servers == 2 && cust == 10000,
       "first load: values and defaults");
    rg_buf b = {0};
    rg_scn_resolved(s, &b);
    const char *r = b.s ? b.s : "";
    diag("resolved text:");
    for (const char *p = r; *p;) {
        size_t n = strcspn(p, "\n");
        diag("  %.*s", (int)n, p);
        p += n + (p[n] == '\n');
    }
    ok(line_in(r, "[scenario]") && line_in(r, "[queue]"), "resolved text has both sections");
    ok(strstr(r, "\nname = demo") && strstr(r, "\nservers = 2") &&
           !strstr(r, "demo    ; default") && !strstr(r, "2    ; default"),
       "given values appear without a default marker");
    ok(strstr(r, "; t.ini:5\n") && strstr(r, "; t.ini:2\n"),
       "and with the line of the file they come from");
    ok(strstr(r, "seed = 1") && strstr(r, "customers = 10000") && strstr(r, "hold = 250us") &&
           strstr(r, "arrival = exp(mean=1s)"),
       "defaults appear with their values");
    {
        /* every default line carries "; default", no given line does */
        int marked = 0;
        for (const char *p = r; (p = strstr(p, "; default")) != NULL; p++)
            marked++;
        is_int(5, marked,
               "five keys marked '; default' (seed, description, customers, hold, "
               "arrival)");
    }
    ok(strstr(r, "[scenario]") < strstr(r, "[queue]"),
       "sections in the order they were first asked about");

    rg_scn *t = rg_scn_load_string("resolved.ini", r, &e);
    if (t == NULL)
        diag("%s", e.msg);
    rg_err_clear(&e);
    /* Different defaults now: the resolved text must pin the old values. */
    ok(t != NULL &&
           ask_all(t, "999", "5", &seed2, &servers2, &cust2, &hold2, &name2, &desc2, &e) == 0,
       "resolved text loads back");
    ok(t && seed2 == seed && servers2 == servers && cust2 == cust && hold2 == hold &&
           strcmp(name, name2) == 0 && strcmp(desc, desc2) == 0,
       "and gives the same values, whatever the defaults");
    rg_err_clear(&e);
    ok(t && rg_scn_finish(t, &e) == 0, "with no unknown keys");
    rg_buf b2 = {0};
    if (t)
        rg_scn_resolved(t, &b2);
    ok(b2.s && strstr(b2.s, "; default") == NULL, "nothing is a default any more");
    rg_buf_free(&b2);
    rg_scn_free(t);
    rg_buf_free(&b);
    rg_scn_free(s);

    /* A --set value that a scenario file could not hold (" ;" starts a
     * comment there) is refused, so the resolved text always reloads to
     * the same values. */
    s = load("[scenario]\nname = demo\n", &e);
    rg_err_clear(&e);
    int rc = rg_scn_set(s, "scenario.description=low load ; high variance", &e);
    ok(rc < 0 && strstr(e.msg, "comment") != NULL,
       "--set refuses a value containing ' ;' (it would not survive the resolved text)");
    rg_scn_free(s);
}

/* An indented key right after a section header is not a continuation for
 * inih (no key before it), but it is still refused: indentation never
 * means anything in a scenario. */
static void test_indented_first_key(void)
{
    rg_err e;
    rg_err_clear(&e);
    rg_scn *s = rg_scn_load_string("ind.ini", "[scenario]\n   model = queue\n", &e);
    ok(s == NULL && strstr(e.msg, "ind.ini:2") && strstr(e.msg, "indented"),
       "an indented first key is an error naming the line: %s", e.msg);
    rg_scn_free(s);
}

/* The resolved text says where every value came from: the file's line, an
 * option, the default, or the shared section a variant inherited it from. */
static void test_origins(void)
{
    rg_err e;
    char longval[191];
    memset(longval, 'x', sizeof longval - 1);
    longval[sizeof longval - 1] = '\0';
    char *text =
        rg_xasprintf("[shared]\nx = 3\n[variant.a]\n[variant.b]\nx = 4\n[long]\nk = %s\n", longval);
    rg_scn *s = load(text, &e);
    free(text);
    int64_t v;
    const char *t;
    ok(s && rg_scn_set_from(s, "shared.y=7", "--set", &e) == 0, "loaded, with one --set");
    for (const char *const *var = (const char *const[]){"variant.a", "variant.b", NULL}; *var;
         var++)
        for (const char *const *k = (const char *const[]){"x", "y", "z", NULL}; *k; k++) {
            rg_scn_str(s, "shared", *k, "1", &t, &e);
            rg_scn_int(s, *var, *k, t, 0, 9, &v, &e);
            rg_scn_inherit(s, *var, *k, "shared");
        }
    rg_scn_str(s, "long", "k", "", &t, &e);
    rg_buf b = {0};
    rg_scn_resolved(s, &b);
    const char *r = b.s ? b.s : "";
    ok(strstr(r, "[variant.a]\nx = 3                               ; from [shared], t.ini:2\n"
                 "y = 7                               ; from [shared], --set\n"
                 "z = 1                               ; default\n") != NULL,
       "a variant's values: inherited from the file, from --set, the default");
    ok(strstr(r, "[variant.b]\nx = 4                               ; t.ini:5\n") != NULL,
       "a variant's own value names its line");
    ok(strstr(r, "; t.ini:7:\nk = xxx") != NULL,
       "a line too long for its comment has it on the line above");
    rg_scn *again = rg_scn_load_string("again.ini", r, &e);
    ok(again != NULL, "and the text loads back (%s)", again ? "ok" : e.msg);
    rg_scn_free(again);
    rg_buf_free(&b);
    rg_scn_free(s);
}

int main(void)
{
    plan(26 + 16 + 14 + 8 + 12 + 12 + 1 + 5);
    test_getters();
    test_value_errors();
    test_load_errors();
    test_unknown();
    test_set();
    test_resolved();
    test_indented_first_key();
    test_origins();
    return 0;
}
