/*
 * scenario.c: scenario loading through inih's stream interface, typed
 * getters and the record of what was asked for.
 *
 * inih (Debian's build: 200-byte line buffer, handler without line numbers)
 * pulls lines through our reader, so the reader counts lines, rejects lines
 * that would not fit the buffer and rejects binary data; the handler then
 * knows the line it is called for.
 */
#include "sim/engine/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

typedef struct entry {
    char *sec, *key, *val;
    int line;           /* 0: from the command line */
    const char *origin; /* line 0: the option it came from ("--set", "--reps") */
    bool used;
} entry;

typedef struct section {
    char *name;
    int line;
    bool known;
} section;

/* A key asked for, with where its value came from: the file (line > 0),
 * an option (line 0, origin), or the default (line < 0); `from` names the
 * shared section a variant's value was inherited from (rg_scn_inherit). */
typedef struct asked {
    char *sec, *key, *val;
    bool is_default;
    int line;
    const char *origin;
    char *from;
    char *what; /* what the value is: "an integer in [1, 10]" */
} asked;

/* An open-addressing hash index of the items of one array: slot holds
 * item index + 1 (0: empty); cap is a power of two, at most half full. */
typedef struct hindex {
    size_t *slot;
    size_t cap, n;
} hindex;

static uint64_t hash2(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ 0x1f) * 1099511628211ULL;
    for (const char *p = b ? b : ""; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

/* The first slot of the index for (a, b) whose item matches (eq) or that
 * is empty. */
typedef bool (*hix_eq)(const void *items, size_t i, const char *a, const char *b);
static size_t *hix_slot(const hindex *x, const void *items, hix_eq eq, const char *a, const char *b)
{
    size_t m = x->cap - 1;
    for (size_t i = (size_t)hash2(a, b) & m;; i = (i + 1) & m)
        if (x->slot[i] == 0 || eq(items, x->slot[i] - 1, a, b))
            return &x->slot[i];
}

/* Adds item i (with key a, b) to the index, growing it as needed. */
static void hix_add(hindex *x, const void *items, hix_eq eq, size_t i, const char *a, const char *b,
                    const char *(*ka)(const void *, size_t),
                    const char *(*kb)(const void *, size_t))
{
    if (2 * (x->n + 1) > x->cap) {
        size_t oldcap = x->cap, *old = x->slot;
        x->cap = oldcap ? 2 * oldcap : 64;
        x->slot = rg_xcalloc(x->cap, sizeof *x->slot);
        for (size_t k = 0; k < oldcap; k++)
            if (old[k] != 0)
                *hix_slot(x, items, eq, ka(items, old[k] - 1), kb ? kb(items, old[k] - 1) : NULL) =
                    old[k];
        free(old);
    }
    *hix_slot(x, items, eq, a, b) = i + 1;
    x->n++;
}

static void hix_free(hindex *x)
{
    free(x->slot);
    *x = (hindex){0};
}

struct rg_scn {
    char *path;
    const char *base; /* the file name of path, for the resolved text */
    entry *ent;
    size_t nent, capent;
    section *sec;
    size_t nsec, capsec;
    asked *ask;
    size_t nask, capask;
    char **old; /* superseded recorded values (see record) */
    size_t nold, capold;
    char *missing[3]; /* the last required key found missing: sec, key, what */
    /* Hash indexes of ent (by section and key), sec (by name) and ask (by
     * section and key): a scenario of 16,000 variants or 100,000 keys
     * parses in linear time, not quadratic. */
    hindex ient, isec, iask;
    bool probing; /* lookup returns the default untouched (see shadowed) */
    /* parse state */
    FILE *f;
    int line;
    int prev_indent_line;
    rg_err *e;
};

static bool sec_eq(const void *items, size_t i, const char *a, const char *b)
{
    (void)b;
    return strcmp(((const section *)items)[i].name, a) == 0;
}
static const char *sec_name(const void *items, size_t i)
{
    return ((const section *)items)[i].name;
}
static bool ent_eq(const void *items, size_t i, const char *a, const char *b)
{
    const entry *x = &((const entry *)items)[i];
    return strcmp(x->sec, a) == 0 && strcmp(x->key, b) == 0;
}
static const char *ent_sec(const void *items, size_t i)
{
    return ((const entry *)items)[i].sec;
}
static const char *ent_key(const void *items, size_t i)
{
    return ((const entry *)items)[i].key;
}

static section *find_section(const rg_scn *s, const char *name)
{
    if (s->isec.cap == 0)
        return NULL;
    size_t k = *hix_slot(&s->isec, s->sec, sec_eq, name, NULL);
    return k ? &s->sec[k - 1] : NULL;
}

static section *add_section(rg_scn *s, const char *name, int line)
{
    section *x = find_section(s, name);
    if (x != NULL)
        return x;
    rg_xgrow((void **)&s->sec, &s->capsec, s->nsec + 1, sizeof *s->sec);
    x = &s->sec[s->nsec++];
    x->name = rg_xstrdup(name);
    x->line = line;
    x->known = false;
    hix_add(&s->isec, s->sec, sec_eq, s->nsec - 1, name, NULL, sec_name, NULL);
    return x;
}

static entry *find_entry(const rg_scn *s, const char *sec, const char *key)
{
    if (s->ient.cap == 0)
        return NULL;
    size_t k = *hix_slot(&s->ient, s->ent, ent_eq, sec, key);
    return k ? &s->ent[k - 1] : NULL;
}

/* Appends an entry (strings owned by the scenario from now on). */
static entry *add_entry(rg_scn *s, char *sec, char *key, char *val, int line, const char *origin)
{
    rg_xgrow((void **)&s->ent, &s->capent, s->nent + 1, sizeof *s->ent);
    entry *x = &s->ent[s->nent++];
    *x = (entry){sec, key, val, line, origin, false};
    hix_add(&s->ient, s->ent, ent_eq, s->nent - 1, sec, key, ent_sec, ent_key);
    return x;
}

static void where(const rg_scn *s, int line, const char *origin, char *buf, size_t n)
{
    if (line > 0)
        snprintf(buf, n, "%s:%d", s->path, line);
    else
        snprintf(buf, n, "%s", origin ? origin : "--set");
}

/* ---- reading ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0 if
 * invalid: overlong forms, surrogates and code points past U+10FFFF
 * are refused, as results files promise UTF-8. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80)
        return 1;
    size_t len = p[0] >= 0xc2 && p[0] <= 0xdf   ? 2
                 : p[0] >= 0xe0 && p[0] <= 0xef ? 3
                 : p[0] >= 0xf0 && p[0] <= 0xf4 ? 4
                                                : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80)
            return 0;
    if ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] > 0x9f) ||
        (p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] > 0x8f))
        return 0;
    return len;
}

/* Offset of the first byte of s[0..n) that is not valid UTF-8, or n. */
static size_t utf8_bad(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t k = utf8_len((const unsigned char *)s + i, n - i);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

/* inih's reader: one line into str (at most num - 1 bytes).  Lines longer
 * than the buffer and bytes that cannot be text stop the parse with an
 * error instead of being split or passed on. */
static char *reader(char *str, int num, void *stream)
{
    rg_scn *s = stream;
    if (s->e->kind != RG_ERR_NONE)
        return NULL;
    int c, len = 0;
    c = getc(s->f);
    if (c == EOF)
        return NULL;
    s->line++;
    for (; c != EOF; c = getc(s->f)) {
        if (c == '\n')
            break;
        if (c == '\0' || (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
            rg_err_set(s->e, RG_ERR_INPUT,
                       "%s:%d: byte 0x%02x is not text: a scenario is a text INI file", s->path,
                       s->line, c);
            return NULL;
        }
        if (len >= num - 1 || len >= RG_SCN_MAX_LINE) {
            rg_err_set(s->e, RG_ERR_INPUT,
                       "%s:%d: line is longer than %d characters (the INI reader's limit); "
                       "shorten it (e.g. move a long description into a comment)",
                       s->path, s->line, RG_SCN_MAX_LINE);
            return NULL;
        }
        str[len++] = (char)c;
    }
    str[len] = '\0';
    size_t bad = utf8_bad(str, (size_t)len);
    if (bad < (size_t)len) {
        rg_err_set(s->e, RG_ERR_INPUT,
                   "%s:%d: byte 0x%02x at column %zu is not UTF-8: a scenario is UTF-8 text",
                   s->path, s->line, (unsigned char)str[bad], bad + 1);
        return NULL;
    }
    /* inih treats an indented line after a key as a continuation of that
     * key's value; remember where indentation starts so the handler can say
     * so. */
    s->prev_indent_line = (len > 0 && (str[0] == ' ' || str[0] == '\t')) ? s->line : 0;
    /* Record section headers here: inih (as built by Debian) never calls the
     * handler for a section without keys, and an empty [variant.x] is a
     * meaningful "all defaults" variant. */
    if (len > 0 && str[0] == '[') {
        char *close = memchr(str, ']', (size_t)len);
        if (close == NULL) {
            /* inih would take the line for a key of the section before */
            rg_err_set(s->e, RG_ERR_INPUT, "%s:%d: section header '%.40s' has no closing ']'",
                       s->path, s->line, str);
            return NULL;
        }
        *close = '\0';
        add_section(s, str + 1, s->line);
        *close = ']';
    }
    if (len < num - 1) {
        str[len++] = '\n';
        str[len] = '\0';
    }
    return str;
}

static int handler(void *user, const char *sec, const char *key, const char *val)
{
    rg_scn *s = user;
    if (s->e->kind != RG_ERR_NONE)
        return 0;
    if (sec[0] == '\0') {
        rg_err_set(s->e, RG_ERR_INPUT, "%s:%d: key '%s' comes before any [section]", s->path,
                   s->line, key);
        return 0;
    }
    entry *old = find_entry(s, sec, key);
    if (old == NULL && s->prev_indent_line == s->line) {
        rg_err_set(s->e, RG_ERR_INPUT,
                   "%s:%d: [%s] key '%s' is indented; keys start at the beginning of the line "
                   "(indented lines would continue the previous value, which is not supported)",
                   s->path, s->line, sec, key);
        return 0;
    }
    if (old != NULL) {
        if (s->prev_indent_line == s->line)
            rg_err_set(s->e, RG_ERR_INPUT,
                       "%s:%d: [%s] indented line continues key '%s' of line %d; multi-line "
                       "values are not supported: remove the indentation",
                       s->path, s->line, sec, key, old->line);
        else
            rg_err_set(s->e, RG_ERR_INPUT,
                       "%s:%d: [%s] duplicate key '%s' (first given on line %d)", s->path, s->line,
                       sec, key, old->line);
        return 0;
    }
    add_section(s, sec, s->line);
    add_entry(s, rg_xstrdup(sec), rg_xstrdup(key), rg_xstrdup(val), s->line, NULL);
    return 1;
}

static rg_scn *load_stream(const char *name, FILE *f, rg_err *e)
{
    rg_scn *s = rg_xcalloc(1, sizeof *s);
    s->path = rg_xstrdup(name);
    s->base = strrchr(s->path, '/') ? strrchr(s->path, '/') + 1 : s->path;
    s->f = f;
    s->e = e;
    int rc = ini_parse_stream(reader, s, handler, s);
    s->f = NULL;
    if (e->kind == RG_ERR_NONE && ferror(f))
        rg_err_set(e, RG_ERR_IO, "%s: read error: %s", name, strerror(errno));
    if (e->kind == RG_ERR_NONE && rc > 0)
        rg_err_set(e, RG_ERR_INPUT,
                   "%s:%d: expected '[section]', 'key = value' or a comment starting with ';' "
                   "or '#'",
                   name, rc);
    if (e->kind == RG_ERR_NONE && rc < 0)
        rg_err_set(e, RG_ERR_IO, "%s: cannot parse (inih error %d)", name, rc);
    s->e = NULL;
    if (e->kind != RG_ERR_NONE) {
        rg_scn_free(s);
        return NULL;
    }
    return s;
}

rg_scn *rg_scn_load_as(const char *path, const char *what, rg_err *e)
{
    size_t len;
    char *text = rg_read_text(path, what, RG_SCN_MAX_BYTES, &len, e);
    if (text == NULL)
        return NULL;
    rg_scn *s = rg_scn_load_mem(path, text, len, e);
    free(text);
    return s;
}

rg_scn *rg_scn_load(const char *path, rg_err *e)
{
    return rg_scn_load_as(path, "scenario", e);
}

rg_scn *rg_scn_load_mem(const char *name, const void *data, size_t len, rg_err *e)
{
    /* fmemopen refuses a zero-length buffer: an empty scenario reads as an
     * empty stream. */
    FILE *f = len ? fmemopen((void *)data, len, "r") : fopen("/dev/null", "r");
    if (f == NULL) {
        rg_err_set(e, RG_ERR_IO, "%s: cannot read scenario text: %s", name, strerror(errno));
        return NULL;
    }
    rg_scn *s = load_stream(name, f, e);
    fclose(f);
    return s;
}

rg_scn *rg_scn_load_string(const char *name, const char *text, rg_err *e)
{
    return rg_scn_load_mem(name, text, strlen(text), e);
}

void rg_scn_free(rg_scn *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nent; i++) {
        free(s->ent[i].sec);
        free(s->ent[i].key);
        free(s->ent[i].val);
    }
    for (size_t i = 0; i < s->nsec; i++)
        free(s->sec[i].name);
    for (size_t i = 0; i < s->nask; i++) {
        free(s->ask[i].sec);
        free(s->ask[i].key);
        free(s->ask[i].val);
        free(s->ask[i].from);
        free(s->ask[i].what);
    }
    for (int i = 0; i < 3; i++)
        free(s->missing[i]);
    for (size_t i = 0; i < s->nold; i++)
        free(s->old[i]);
    free(s->old);
    hix_free(&s->ient);
    hix_free(&s->isec);
    hix_free(&s->iask);
    free(s->ent);
    free(s->sec);
    free(s->ask);
    free(s->path);
    free(s);
}

const char *rg_scn_path(const rg_scn *s)
{
    return s->path;
}

int rg_scn_set(rg_scn *s, const char *assignment, rg_err *e)
{
    return rg_scn_set_from(s, assignment, "--set", e);
}

int rg_scn_set_from(rg_scn *s, const char *assignment, const char *origin, rg_err *e)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = NULL;
    for (const char *p = assignment; eq != NULL && p < eq; p++)
        if (*p == '.')
            dot = p;
    if (eq == NULL || dot == NULL || dot == assignment || dot + 1 == eq)
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s '%s': expected section.key=value (e.g. workload.buyers=200)", origin,
                          assignment);
    /* A value the scenario file could not hold would not survive the
     * resolved text (results files store it): refuse it here. */
    for (const char *p = eq + 1; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f ||
            (*p == ';' && p > eq + 1 && isspace((unsigned char)p[-1])))
            return rg_err_set(e, RG_ERR_INPUT,
                              "%s '%s': the value contains %s, which a scenario file "
                              "cannot hold",
                              origin, assignment,
                              *p == ';' ? "' ;' (a comment)" : "a control character");
    size_t bad = utf8_bad(assignment, strlen(assignment));
    if (assignment[bad] != '\0')
        return rg_err_set(e, RG_ERR_INPUT, "%s: byte 0x%02x at offset %zu is not UTF-8", origin,
                          (unsigned char)assignment[bad], bad);
    /* The resolved text holds it as "key = value" on one line. */
    if (strlen(dot + 1) + 2 > RG_SCN_MAX_LINE)
        return rg_err_set(e, RG_ERR_INPUT,
                          "%s %.40s...: %zu characters, longer than a scenario line may be (%d)",
                          origin, assignment, strlen(dot + 1) + 2, RG_SCN_MAX_LINE);
    char *sec = rg_xasprintf("%.*s", (int)(dot - assignment), assignment);
    char *key = rg_xasprintf("%.*s", (int)(eq - dot - 1), dot + 1);
    /* trim spaces around key and value, as the INI reader does */
    const char *val = eq + 1;
    while (isspace((unsigned char)*val))
        val++;
    char *v = rg_xstrdup(val);
    for (size_t n = strlen(v); n > 0 && isspace((unsigned char)v[n - 1]); n--)
        v[n - 1] = '\0';
    for (size_t n = strlen(key); n > 0 && isspace((unsigned char)key[n - 1]); n--)
        key[n - 1] = '\0';
    entry *x = find_entry(s, sec, key);
    if (x != NULL) {
        free(x->val);
        x->val = v;
        x->line = 0;
        x->origin = origin;
        free(sec);
        free(key);
        return 0;
    }
    add_section(s, sec, 0);
    add_entry(s, sec, key, v, 0, origin);
    return 0;
}

/* ---- getters ---------------------------------------------------------- */

bool rg_scn_has(const rg_scn *s, const char *sec, const char *key)
{
    return find_entry(s, sec, key) != NULL;
}

static bool ask_eq(const void *items, size_t i, const char *a, const char *b)
{
    const asked *x = &((const asked *)items)[i];
    return strcmp(x->sec, a) == 0 && strcmp(x->key, b) == 0;
}
static const char *ask_sec(const void *items, size_t i)
{
    return ((const asked *)items)[i].sec;
}
static const char *ask_key(const void *items, size_t i)
{
    return ((const asked *)items)[i].key;
}

static asked *find_asked(const rg_scn *s, const char *sec, const char *key)
{
    if (s->iask.cap == 0)
        return NULL;
    size_t k = *hix_slot(&s->iask, s->ask, ask_eq, sec, key);
    return k ? &s->ask[k - 1] : NULL;
}

/* Records that sec.key was asked for with value val, from entry en (NULL:
 * the default), and returns the scenario's own copy of val, which lives as
 * long as the scenario (so a default passed in a temporary buffer is safe
 * to keep).  Asking again with another value (a different default) updates
 * the record; the old copy is kept until rg_scn_free because a caller may
 * still hold it. */
static const char *record(rg_scn *s, const char *sec, const char *key, const char *val,
                          const entry *en, const char *what)
{
    asked *a = find_asked(s, sec, key);
    if (a == NULL) {
        rg_xgrow((void **)&s->ask, &s->capask, s->nask + 1, sizeof *s->ask);
        a = &s->ask[s->nask++];
        a->sec = rg_xstrdup(sec);
        a->key = rg_xstrdup(key);
        a->val = rg_xstrdup(val);
        a->from = NULL;
        a->what = NULL;
        hix_add(&s->iask, s->ask, ask_eq, s->nask - 1, sec, key, ask_sec, ask_key);
    } else if (strcmp(a->val, val) != 0) {
        rg_xgrow((void **)&s->old, &s->capold, s->nold + 1, sizeof *s->old);
        s->old[s->nold++] = a->val;
        a->val = rg_xstrdup(val);
    }
    a->is_default = en == NULL;
    a->line = en ? en->line : -1;
    a->origin = en ? en->origin : NULL;
    free(a->from);
    a->from = NULL;
    /* mparam.c reads a shared key typed, then as text: keep the type */
    if (a->what == NULL || strcmp(what, "a text") != 0) {
        free(a->what);
        a->what = rg_xstrdup(what);
    }
    return a->val;
}

void rg_scn_inherit(rg_scn *s, const char *sec, const char *key, const char *from)
{
    asked *a = find_asked(s, sec, key), *b = find_asked(s, from, key);
    if (a == NULL || b == NULL || !a->is_default || strcmp(a->val, b->val) != 0)
        return;
    free(a->from);
    a->from = rg_xstrdup(from);
    if (b->is_default)
        return; /* the built-in default, through the shared section */
    a->is_default = false;
    a->line = b->line;
    a->origin = b->origin;
}

size_t rg_scn_nasked(const rg_scn *s)
{
    return s->nask;
}

void rg_scn_asked_at(const rg_scn *s, size_t i, rg_scn_asked *out)
{
    RG_ASSERT(i < s->nask);
    const asked *a = &s->ask[i];
    *out = (rg_scn_asked){a->sec, a->key, a->val, a->what ? a->what : "", a->is_default, a->from};
}

bool rg_scn_missing(const rg_scn *s, const char **sec, const char **key, const char **what)
{
    if (s->missing[0] == NULL)
        return false;
    *sec = s->missing[0];
    *key = s->missing[1];
    *what = s->missing[2];
    return true;
}

void rg_scn_declare(rg_scn *s, const char *sec)
{
    section *x = find_section(s, sec);
    if (x != NULL)
        x->known = true;
}

int rg_scn_err(const rg_scn *s, const char *sec, const char *key, rg_err *e, const char *fmt, ...)
{
    char w[512], m[768];
    entry *x = find_entry(s, sec, key);
    if (x != NULL)
        where(s, x->line, x->origin, w, sizeof w);
    else
        snprintf(w, sizeof w, "%s", s->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    return rg_err_set(e, RG_ERR_INPUT, "%s: [%s] %s: %s", w, sec, key, m);
}

/* Looks sec.key up, records it, and returns the text to parse (the file's
 * value or the default); NULL with an error if required and missing. */
static const char *lookup(rg_scn *s, const char *sec, const char *key, const char *def,
                          const char *what, rg_err *e)
{
    if (s->probing)
        return def;
    section *x = find_section(s, sec);
    if (x != NULL)
        x->known = true;
    entry *en = find_entry(s, sec, key);
    if (en != NULL) {
        en->used = true;
        record(s, sec, key, en->val, en, what);
        return en->val;
    }
    if (def == NULL) {
        const char *m[3] = {sec, key, what};
        for (int i = 0; i < 3; i++) {
            free(s->missing[i]);
            s->missing[i] = rg_xstrdup(m[i]);
        }
        rg_err_set(e, RG_ERR_INPUT, "%s: [%s] missing required key '%s' (%s)", s->path, sec, key,
                   what);
        return NULL;
    }
    return record(s, sec, key, def, NULL, what);
}

/* Shadowed defaults.  A model passes a shared value as the default of a
 * variant's key ([queue] servers for [variant.a] servers); when every
 * variant sets the key, the shared value would never be parsed, and
 * `--set queue.servers=banana` would pass.  So when the file gives sec.key
 * and a default def is shadowed by it, def is parsed too, by the same
 * getter (s->probing: lookup returns def and records nothing).  True if
 * that is to be done. */
static bool shadows(const rg_scn *s, const char *sec, const char *key, const char *def)
{
    if (s->probing || def == NULL)
        return false;
    const entry *en = find_entry(s, sec, key);
    return en != NULL && strcmp(en->val, def) != 0;
}

/* The error of a shadowed default that does not parse (sub), placed at
 * where the default came from: the asked key whose value is def. */
static int shadow_err(const rg_scn *s, const char *sec, const char *key, const char *def,
                      const rg_err *sub, rg_err *e)
{
    const asked *a = NULL;
    for (size_t i = 0; a == NULL && i < s->nask; i++)
        if (s->ask[i].val == def)
            a = &s->ask[i];
    /* else the shared section's key of that value */
    for (size_t i = 0; a == NULL && i < s->nask; i++)
        if (!s->ask[i].is_default && strcmp(s->ask[i].key, key) == 0 &&
            strcmp(s->ask[i].sec, sec) != 0 && strcmp(s->ask[i].val, def) == 0)
            a = &s->ask[i];
    if (a != NULL) {
        const char *msg = strstr(sub->msg, "]");
        msg = msg && strncmp(msg, "] ", 2) == 0 ? msg + 2 : sub->msg;
        msg = strncmp(msg, key, strlen(key)) == 0 && msg[strlen(key)] == ':' ? msg + strlen(key) + 2
                                                                             : msg;
        return rg_scn_err(s, a->sec, a->key, e, "%s (the default of [%s] %s, which sets its own)",
                          msg, sec, key);
    }
    return rg_err_set(e, RG_ERR_INPUT, "%s", sub->msg);
}

#define PROBE(call)                                                                                \
    do {                                                                                           \
        if (shadows(s, sec, key, def)) {                                                           \
            rg_err sub_;                                                                           \
            rg_err_clear(&sub_);                                                                   \
            s->probing = true;                                                                     \
            int rc_ = (call);                                                                      \
            s->probing = false;                                                                    \
            if (rc_ < 0)                                                                           \
                return shadow_err(s, sec, key, def, &sub_, e);                                     \
        }                                                                                          \
    } while (0)

int rg_scn_str(rg_scn *s, const char *sec, const char *key, const char *def, const char **out,
               rg_err *e)
{
    const char *v = lookup(s, sec, key, def, "a text", e);
    if (v == NULL)
        return -1;
    *out = v;
    return 0;
}

int rg_scn_int(rg_scn *s, const char *sec, const char *key, const char *def, int64_t min,
               int64_t max, int64_t *out, rg_err *e)
{
    int64_t probe_;
    PROBE(rg_scn_int(s, sec, key, def, min, max, &probe_, &sub_));
    char what[128];
    snprintf(what, sizeof what, "an integer in [%" PRId64 ", %" PRId64 "]", min, max);
    const char *v = lookup(s, sec, key, def, what, e);
    if (v == NULL)
        return -1;
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    while (isspace((unsigned char)*end))
        end++;
    if (end == v || *end != '\0' || errno == ERANGE)
        return rg_scn_err(s, sec, key, e, "expected %s, got '%s'", what, v);
    if (x < min || x > max)
        return rg_scn_err(s, sec, key, e, "%lld is out of range: expected %s", x, what);
    *out = x;
    return 0;
}

int rg_scn_real(rg_scn *s, const char *sec, const char *key, const char *def, double min,
                double max, double *out, rg_err *e)
{
    double probe_;
    PROBE(rg_scn_real(s, sec, key, def, min, max, &probe_, &sub_));
    char what[128];
    snprintf(what, sizeof what, "a number in [%g, %g]", min, max);
    const char *v = lookup(s, sec, key, def, what, e);
    if (v == NULL)
        return -1;
    double x;
    rg_err sub;
    rg_err_clear(&sub);
    if (rg_qty_parse(v, strlen(v), RG_QTY_NUMBER, &x, &sub) < 0)
        return rg_scn_err(s, sec, key, e, "expected %s, got '%s'", what, v);
    if (x < min || x > max)
        return rg_scn_err(s, sec, key, e, "%g is out of range: expected %s", x, what);
    *out = x;
    return 0;
}

static int enum_as(rg_scn *s, const char *sec, const char *key, const char *def,
                   const char *const *choices, const char *what, int *out, rg_err *e);

int rg_scn_bool(rg_scn *s, const char *sec, const char *key, const char *def, bool *out, rg_err *e)
{
    static const char *const choices[] = {"false", "true", "no", "yes", "off",
                                          "on",    "0",    "1",  NULL};
    int i;
    if (enum_as(s, sec, key, def, choices, "true or false (or yes/no, on/off, 1/0)", &i, e) < 0)
        return -1;
    *out = (i % 2) == 1;
    return 0;
}

int rg_scn_dur(rg_scn *s, const char *sec, const char *key, const char *def, rg_time *out,
               rg_err *e)
{
    rg_time probe_;
    PROBE(rg_scn_dur(s, sec, key, def, &probe_, &sub_));
    const char *v = lookup(s, sec, key, def, "a duration such as 12ms", e);
    if (v == NULL)
        return -1;
    rg_err sub;
    rg_err_clear(&sub);
    if (rg_time_parse(v, false, out, &sub) < 0)
        return rg_scn_err(s, sec, key, e, "%s", sub.msg);
    if (*out > RG_SCN_MAX_DURATION)
        return rg_scn_err(s, sec, key, e,
                          "'%s' is longer than a scenario allows (at most 10 years of "
                          "simulated time)",
                          v);
    return 0;
}

int rg_scn_dist(rg_scn *s, const char *sec, const char *key, const char *def, rg_qty kind,
                rg_dist **out, rg_err *e)
{
    rg_dist *probe_ = NULL;
    PROBE(rg_scn_dist(s, sec, key, def, kind, &probe_, &sub_));
    rg_dist_free(probe_);
    const char *v =
        lookup(s, sec, key, def,
               kind == RG_QTY_DURATION ? "a duration distribution" : "a number distribution", e);
    if (v == NULL)
        return -1;
    rg_err sub;
    rg_err_clear(&sub);
    rg_dist *d = rg_dist_parse(v, kind, &sub);
    if (d == NULL)
        return rg_scn_err(s, sec, key, e, "%s", sub.msg);
    if (kind == RG_QTY_DURATION && rg_dist_min(d) < 0 && !rg_dist_is_const(d) &&
        rg_dist_mean(d) < 0) {
        rg_dist_free(d);
        return rg_scn_err(s, sec, key, e, "a duration distribution must have a mean >= 0");
    }
    if (kind == RG_QTY_DURATION && rg_dist_is_const(d) && rg_dist_min(d) < 0) {
        rg_dist_free(d);
        return rg_scn_err(s, sec, key, e, "a duration must be >= 0");
    }
    *out = d;
    return 0;
}

int rg_scn_enum(rg_scn *s, const char *sec, const char *key, const char *def,
                const char *const *choices, int *out, rg_err *e)
{
    return enum_as(s, sec, key, def, choices, NULL, out, e);
}

/* rg_scn_enum, described as `what` (NULL: "one of a, b, c"). */
static int enum_as(rg_scn *s, const char *sec, const char *key, const char *def,
                   const char *const *choices, const char *what, int *out, rg_err *e)
{
    int probe_;
    PROBE(enum_as(s, sec, key, def, choices, what, &probe_, &sub_));
    rg_buf b = {0};
    for (size_t i = 0; choices[i] != NULL; i++)
        rg_buf_printf(&b, "%s%s", i ? ", " : "one of ", choices[i]);
    const char *v = lookup(s, sec, key, def, what ? what : b.s, e);
    if (v == NULL) {
        rg_buf_free(&b);
        return -1;
    }
    for (int i = 0; choices[i] != NULL; i++)
        if (strcmp(v, choices[i]) == 0) {
            *out = i;
            rg_buf_free(&b);
            return 0;
        }
    rg_scn_err(s, sec, key, e, "expected %s, got '%s'", b.s, v);
    rg_buf_free(&b);
    return -1;
}

size_t rg_scn_nkeys(const rg_scn *s, const char *sec)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nent; i++)
        n += strcmp(s->ent[i].sec, sec) == 0;
    return n;
}

const char *rg_scn_key(const rg_scn *s, const char *sec, size_t i)
{
    for (size_t k = 0; k < s->nent; k++)
        if (strcmp(s->ent[k].sec, sec) == 0 && i-- == 0)
            return s->ent[k].key;
    return NULL;
}

size_t rg_scn_nsections(const rg_scn *s)
{
    return s->nsec;
}
const char *rg_scn_section(const rg_scn *s, size_t i)
{
    return s->sec[i].name;
}

const char *rg_scn_section_origin(const rg_scn *s, size_t i)
{
    if (s->sec[i].line > 0)
        return NULL;
    for (size_t k = 0; k < s->nent; k++)
        if (strcmp(s->ent[k].sec, s->sec[i].name) == 0 && s->ent[k].origin)
            return s->ent[k].origin;
    return "--set";
}

/* The known name closest to `name` among `cands` (NULL if none is close). */
static const char *closest(const char *name, const char **cands, size_t n)
{
    const char *best = NULL;
    size_t bd = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = rg_edit_distance(name, cands[i]);
        if (d < bd) {
            bd = d;
            best = cands[i];
        }
    }
    size_t len = strlen(name);
    size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return bd <= limit ? best : NULL;
}

int rg_scn_finish(rg_scn *s, rg_err *e)
{
    for (size_t i = 0; i < s->nsec; i++) {
        if (s->sec[i].known)
            continue;
        const char **c = rg_xcalloc(s->nsec, sizeof *c);
        size_t n = 0;
        for (size_t j = 0; j < s->nsec; j++)
            if (s->sec[j].known)
                c[n++] = s->sec[j].name;
        /* also sections that were asked about but absent from the file */
        const char *sug = closest(s->sec[i].name, c, n);
        for (size_t j = 0; sug == NULL && j < s->nask; j++)
            if (rg_edit_distance(s->sec[i].name, s->ask[j].sec) <= 2)
                sug = s->ask[j].sec;
        char w[512];
        where(s, s->sec[i].line, NULL, w, sizeof w);
        if (sug != NULL)
            rg_err_set(e, RG_ERR_INPUT, "%s: unknown section [%s]; did you mean [%s]?", w,
                       s->sec[i].name, sug);
        else
            rg_err_set(e, RG_ERR_INPUT, "%s: unknown section [%s] for this scenario's model", w,
                       s->sec[i].name);
        free(c);
        return -1;
    }
    for (size_t i = 0; i < s->nent; i++) {
        entry *x = &s->ent[i];
        if (x->used)
            continue;
        const char **c = rg_xcalloc(s->nask + 1, sizeof *c);
        size_t n = 0;
        for (size_t j = 0; j < s->nask; j++)
            if (strcmp(s->ask[j].sec, x->sec) == 0)
                c[n++] = s->ask[j].key;
        const char *sug = closest(x->key, c, n);
        char w[512];
        where(s, x->line, x->origin, w, sizeof w);
        if (sug != NULL)
            rg_err_set(e, RG_ERR_INPUT, "%s: [%s] unknown key '%s'; did you mean '%s'?", w, x->sec,
                       x->key, sug);
        else {
            rg_buf b = {0};
            for (size_t j = 0; j < n; j++)
                rg_buf_printf(&b, "%s%s", j ? ", " : "", c[j]);
            rg_err_set(e, RG_ERR_INPUT, "%s: [%s] unknown key '%s' (known keys: %s)", w, x->sec,
                       x->key, n ? b.s : "none");
            rg_buf_free(&b);
        }
        free(c);
        return -1;
    }
    return 0;
}

/* Where the value of a came from, as the comment of its resolved line. */
static void origin_of(const rg_scn *s, const asked *a, char *buf, size_t n)
{
    char w[256];
    if (a->line > 0)
        snprintf(w, sizeof w, "%s:%d", s->base, a->line);
    else
        snprintf(w, sizeof w, "%s", a->origin ? a->origin : "--set");
    if (a->is_default)
        snprintf(buf, n, "default");
    else if (a->from)
        snprintf(buf, n, "from [%s], %s", a->from, w);
    else
        snprintf(buf, n, "%s", w);
}

/* Values are aligned in a column, so that the comments line up. */
#define RESOLVED_COLUMN 36

static bool asksec_eq(const void *items, size_t i, const char *a, const char *b)
{
    (void)b;
    return strcmp(((const asked *)items)[i].sec, a) == 0;
}

void rg_scn_resolved(const rg_scn *s, rg_buf *b)
{
    /* Group by section in the order sections were first asked about:
     * chain every asked key to the next of its section (linear time). */
    size_t *next = rg_xcalloc(s->nask + 1, sizeof *next);
    size_t *tail = rg_xcalloc(s->nask + 1, sizeof *tail);
    bool *head = rg_xcalloc(s->nask + 1, sizeof *head);
    hindex g = {0};
    for (size_t i = 0; i < s->nask; i++) {
        size_t *sl = g.cap ? hix_slot(&g, s->ask, asksec_eq, s->ask[i].sec, NULL) : NULL;
        next[i] = SIZE_MAX;
        if (sl == NULL || *sl == 0) {
            hix_add(&g, s->ask, asksec_eq, i, s->ask[i].sec, NULL, ask_sec, NULL);
            head[i] = true;
            tail[i] = i;
        } else {
            size_t h = *sl - 1;
            next[tail[h]] = i;
            tail[h] = i;
        }
    }
    for (size_t i = 0; i < s->nask; i++) {
        if (!head[i])
            continue;
        rg_buf_printf(b, "%s[%s]\n", b->len ? "\n" : "", s->ask[i].sec);
        for (size_t j = i; j != SIZE_MAX; j = next[j]) {
            const asked *a = &s->ask[j];
            char o[512];
            origin_of(s, a, o, sizeof o);
            int len = (int)(strlen(a->key) + 3 + strlen(a->val));
            int pad = len < RESOLVED_COLUMN - 1 ? RESOLVED_COLUMN - len : 2;
            /* the text must load back: a line too long for a comment
             * gets it on the line above */
            if (len + pad + 2 + (int)strlen(o) > RG_SCN_MAX_LINE)
                rg_buf_printf(b, "; %s:\n%s = %s\n", o, a->key, a->val);
            else
                rg_buf_printf(b, "%s = %s%*s; %s\n", a->key, a->val, pad, "", o);
        }
    }
    hix_free(&g);
    free(next);
    free(tail);
    free(head);
}
