/*
 * models.c: `models` and `models NAME`.  Without a name, the experiments a
 * scenario can name; with one, what a scenario of that experiment can say:
 * its variant kinds, every key it reads with its default and what a value
 * is, its arrival forms, and its metrics.
 *
 * The keys come from the experiment itself, never from a list kept here: a
 * minimal scenario ("[scenario] model = NAME" and one empty variant) is
 * opened once per kind, and the scenario layer lists every key that was
 * asked for.  A key the experiment requires is filled with a placeholder
 * of its type and shown as required; a required choice in the variant
 * section is the kind (the drop's `kind`), as is an optional one called
 * `kind` or `store`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "models/drop/kind.h"
#include "models/mech/workload.h"
#include "models/registry.h"

#define VARSEC "variant.NAME"
/* Placeholders for required keys: a model with more is not minimal. */
#define MAX_FILLED 16
/* Where the description of a key starts. */
#define WHAT_COLUMN 38

typedef struct filled {
    char *sec, *key, *val;
} filled;

typedef struct listing {
    const rg_experiment *ops;
    filled fill[MAX_FILLED];
    size_t nfill;
    char *kind_key;     /* the variant key that picks the kind, or NULL */
    char *kind_default; /* its default, or NULL: required */
    char **kinds;
    size_t nkinds;
    rg_study *per; /* open, one per kind (or one) */
    size_t nper;
} listing;

static void listing_free(listing *li)
{
    for (size_t i = 0; i < li->nfill; i++) {
        free(li->fill[i].sec);
        free(li->fill[i].key);
        free(li->fill[i].val);
    }
    for (size_t i = 0; i < li->nkinds; i++)
        free(li->kinds[i]);
    free(li->kinds);
    free(li->kind_key);
    free(li->kind_default);
    for (size_t i = 0; i < li->nper; i++)
        rg_study_close(&li->per[i]);
    free(li->per);
}

/* The choices of an enum's description "one of a, b, c" into *out (new),
 * or 0 when what describes no choice. */
static size_t choices(const char *what, char ***out)
{
    static const char pre[] = "one of ";
    *out = NULL;
    if (strncmp(what, pre, sizeof pre - 1) != 0)
        return 0;
    size_t n = 0;
    char *list = rg_xstrdup(what + sizeof pre - 1);
    for (char *save = NULL, *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        *out = rg_xrealloc(*out, (n + 1) * sizeof **out);
        (*out)[n++] = rg_xstrdup(t);
    }
    free(list);
    return n;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* A value of the type `what` describes, for a required key (new). */
static char *placeholder(const char *what)
{
    char **c;
    size_t n = choices(what, &c);
    if (n > 0) {
        char *v = rg_xstrdup(c[0]);
        free_list(c, n);
        return v;
    }
    long long lo;
    if (sscanf(what, "an integer in [%lld", &lo) == 1 ||
        sscanf(what, "a number in [%lld", &lo) == 1)
        return rg_xasprintf("%lld", lo > 1 ? lo : 1);
    if (strstr(what, "duration distribution"))
        return rg_xstrdup("exp(mean=1s)");
    if (strstr(what, "distribution"))
        return rg_xstrdup("const(1)");
    if (strstr(what, "duration"))
        return rg_xstrdup("1s");
    return rg_xstrdup("1");
}

/* The minimal scenario text with kind (may be NULL) and the placeholders. */
static char *minimal_text(const listing *li, const char *kind)
{
    rg_buf b = {0};
    const char *secs[MAX_FILLED + 2] = {"scenario", VARSEC};
    size_t nsecs = 2;
    for (size_t i = 0; i < li->nfill; i++) {
        bool seen = false;
        for (size_t j = 0; j < nsecs; j++)
            seen = seen || strcmp(secs[j], li->fill[i].sec) == 0;
        if (!seen)
            secs[nsecs++] = li->fill[i].sec;
    }
    for (size_t j = 0; j < nsecs; j++) {
        rg_buf_printf(&b, "[%s]\n", secs[j]);
        if (j == 0)
            rg_buf_printf(&b, "model = %s\n", li->ops->name);
        if (j == 1 && kind != NULL)
            rg_buf_printf(&b, "%s = %s\n", li->kind_key, kind);
        for (size_t i = 0; i < li->nfill; i++)
            if (strcmp(li->fill[i].sec, secs[j]) == 0)
                rg_buf_printf(&b, "%s = %s\n", li->fill[i].key, li->fill[i].val);
    }
    return b.s;
}

/* Opens the minimal scenario with kind (NULL: the first kind, once known),
 * filling required keys as they turn up; the first required choice of the
 * variant section becomes the kind key.  Returns 0 with l open, or -1
 * with e set. */
static int open_minimal(listing *li, const char *kind, rg_study *l, rg_err *e)
{
    for (;;) {
        char *text = minimal_text(li, kind ? kind : li->nkinds ? li->kinds[0] : NULL);
        rg_err_clear(e);
        /* the name a scenario gets by default is its file's */
        int rc = rg_study_open_mem("<the file's name>.ini", text, strlen(text), l, e);
        free(text);
        if (rc == 0)
            return 0;
        const char *sec, *key, *what;
        bool fill = l->scn && rg_scn_missing(l->scn, &sec, &key, &what) && li->nfill < MAX_FILLED;
        for (size_t i = 0; fill && i < li->nfill; i++)
            fill = strcmp(li->fill[i].sec, sec) != 0 || strcmp(li->fill[i].key, key) != 0;
        if (fill && li->kind_key == NULL && strcmp(sec, VARSEC) == 0 &&
            (li->nkinds = choices(what, &li->kinds)) > 0)
            li->kind_key = rg_xstrdup(key);
        else if (fill)
            li->fill[li->nfill++] = (filled){rg_xstrdup(sec), rg_xstrdup(key), placeholder(what)};
        rg_study_close(l);
        if (!fill)
            return -1;
    }
}

static bool filled_key(const listing *li, const char *sec, const char *key)
{
    for (size_t i = 0; i < li->nfill; i++)
        if (strcmp(li->fill[i].sec, sec) == 0 && strcmp(li->fill[i].key, key) == 0)
            return true;
    return false;
}

/* Study i's record of sec.key, or false. */
static bool asked(const listing *li, size_t i, const char *sec, const char *key, rg_scn_asked *out)
{
    for (size_t j = 0; j < rg_scn_nasked(li->per[i].scn); j++) {
        rg_scn_asked_at(li->per[i].scn, j, out);
        if (strcmp(out->sec, sec) == 0 && strcmp(out->key, key) == 0)
            return true;
    }
    return false;
}

/* "  key = default            what", the kind key and required keys
 * marked. */
static void print_key(const listing *li, const rg_scn_asked *a)
{
    const char *val = a->val[0] ? a->val : "(empty)";
    bool kind = li->kind_key && strcmp(a->sec, VARSEC) == 0 && strcmp(a->key, li->kind_key) == 0;
    if (kind)
        val = li->kind_default ? li->kind_default : "(required)";
    else if (filled_key(li, a->sec, a->key))
        val = "(required)";
    int n = printf("  %s = %s", a->key, val);
    printf("%*s%s", n < WHAT_COLUMN ? WHAT_COLUMN - n : 2, "",
           kind ? "the kind, see above" : a->what);
    if (a->from)
        printf("; default from [%s]", a->from);
    putchar('\n');
}

/* The keys of section sec (not the variant's) over every study, each
 * once, in the order first asked. */
static void print_section(const listing *li, const char *sec)
{
    rg_buf by = {0};
    size_t nby = 0;
    for (size_t i = 0; i < li->nper; i++) {
        bool reads = false;
        rg_scn_asked a;
        for (size_t j = 0; !reads && j < rg_scn_nasked(li->per[i].scn); j++) {
            rg_scn_asked_at(li->per[i].scn, j, &a);
            reads = strcmp(a.sec, sec) == 0;
        }
        if (reads && li->nkinds)
            rg_buf_printf(&by, "%s%s", nby++ ? ", " : "", li->kinds[i]);
    }
    if (nby > 0 && nby < li->nper)
        printf("\n[%s]    (read when a variant has %s = %s)\n", sec, li->kind_key, by.s);
    else
        printf("\n[%s]\n", sec);
    rg_buf_free(&by);
    for (size_t i = 0; i < li->nper; i++)
        for (size_t j = 0; j < rg_scn_nasked(li->per[i].scn); j++) {
            rg_scn_asked a, b;
            rg_scn_asked_at(li->per[i].scn, j, &a);
            bool before = false;
            for (size_t k = 0; !before && k < i; k++)
                before = asked(li, k, a.sec, a.key, &b);
            if (strcmp(a.sec, sec) == 0 && !before)
                print_key(li, &a);
        }
}

/* The variant section: the keys every kind reads, then each kind's own. */
static void print_variant(const listing *li)
{
    printf("\n[%s]%s\n", VARSEC, li->nkinds ? "    (every kind)" : "");
    for (size_t j = 0; j < rg_scn_nasked(li->per[0].scn); j++) {
        rg_scn_asked a, b;
        rg_scn_asked_at(li->per[0].scn, j, &a);
        bool all = strcmp(a.sec, VARSEC) == 0;
        for (size_t i = 1; all && i < li->nper; i++)
            all = asked(li, i, a.sec, a.key, &b);
        if (all)
            print_key(li, &a);
    }
    for (size_t i = 0; li->nkinds && i < li->nper; i++) {
        bool header = false;
        for (size_t j = 0; j < rg_scn_nasked(li->per[i].scn); j++) {
            rg_scn_asked a, b;
            rg_scn_asked_at(li->per[i].scn, j, &a);
            bool all = strcmp(a.sec, VARSEC) == 0;
            for (size_t k = 0; all && k < li->nper; k++)
                all = asked(li, k, a.sec, a.key, &b);
            if (strcmp(a.sec, VARSEC) != 0 || all)
                continue;
            if (!header)
                printf("\n[%s]    (%s = %s)\n", VARSEC, li->kind_key, li->kinds[i]);
            header = true;
            print_key(li, &a);
        }
    }
}

static void print_listing(const listing *li)
{
    const rg_experiment *ops = li->ops;
    printf("%s: %s\n", ops->name, ops->summary);
    printf("\nA scenario says [scenario] model = %s and has one [%s] section per variant\n"
           "compared; it gives only the keys it changes.\n",
           ops->name, VARSEC);
    if (li->nkinds) {
        printf("\nvariant kinds ([%s] %s = ...):\n", VARSEC, li->kind_key);
        for (size_t i = 0; i < li->nkinds; i++) {
            const rg_drop_kind *k =
                strcmp(ops->name, "drop") == 0 ? rg_drop_kind_find(li->kinds[i]) : NULL;
            if (k && k->summary)
                printf("  %-18s %s\n", li->kinds[i], k->summary);
            else
                printf("  %s\n", li->kinds[i]);
        }
    }
    printf("\nkeys, with their defaults:\n");
    /* the sections in the order first asked, over every kind */
    rg_buf done = {0};
    bool arrival = false;
    for (size_t i = 0; i < li->nper; i++)
        for (size_t j = 0; j < rg_scn_nasked(li->per[i].scn); j++) {
            rg_scn_asked a;
            rg_scn_asked_at(li->per[i].scn, j, &a);
            arrival = arrival || (strcmp(a.sec, "workload") == 0 && strcmp(a.key, "arrival") == 0);
            char *tag = rg_xasprintf("\n%s\n", a.sec);
            if (strcmp(a.sec, VARSEC) != 0 && (done.s == NULL || strstr(done.s, tag) == NULL)) {
                rg_buf_printf(&done, "%s", tag);
                print_section(li, a.sec);
            }
            free(tag);
        }
    rg_buf_free(&done);
    print_variant(li); /* last: its keys say which shared section they default to */
    if (arrival) {
        size_t n;
        const rg_arrival_form *f = rg_workload_arrivals(&n);
        printf("\narrival forms ([workload] arrival = ...):\n");
        for (size_t i = 0; i < n; i++)
            printf("  %-24s %s\n", f[i].example, f[i].summary);
    }
    size_t n;
    const rg_metric *m = ops->metrics(NULL, &n);
    printf("\nmetrics (one value per replication; * shown in the console summary, where the\n"
           "scenario uses them):\n");
    for (size_t i = 0; i < n; i++)
        printf("  %-20s %c %-10s %s\n", m[i].name, (m[i].flags & RG_MF_SHOW) ? '*' : ' ', m[i].unit,
               m[i].desc);
}

/* Opens the studies of li: one per kind, or one.  -1 with e set. */
static int open_studies(listing *li, rg_err *e)
{
    rg_study l;
    if (open_minimal(li, NULL, &l, e) < 0)
        return -1;
    if (li->kind_key == NULL) /* an optional choice called kind or store */
        for (size_t j = 0; j < rg_scn_nasked(l.scn); j++) {
            rg_scn_asked a;
            rg_scn_asked_at(l.scn, j, &a);
            if (strcmp(a.sec, VARSEC) != 0 ||
                (strcmp(a.key, "kind") != 0 && strcmp(a.key, "store") != 0) ||
                (li->nkinds = choices(a.what, &li->kinds)) == 0)
                continue;
            li->kind_key = rg_xstrdup(a.key);
            li->kind_default = rg_xstrdup(a.val);
            break;
        }
    if (li->nkinds == 0) {
        li->per = rg_xcalloc(1, sizeof *li->per);
        li->per[li->nper++] = l;
        return 0;
    }
    rg_study_close(&l);
    li->per = rg_xcalloc(li->nkinds, sizeof *li->per);
    for (size_t i = 0; i < li->nkinds; i++) {
        if (open_minimal(li, li->kinds[i], &li->per[i], e) < 0)
            return -1;
        li->nper++;
    }
    return 0;
}

int cli_models(const char *name)
{
    if (name == NULL) {
        for (const rg_experiment *const *m = rg_experiment_all(); *m; m++)
            printf("%-10s %s\n", (*m)->name, (*m)->summary);
        printf("\n'revguard-sim models NAME' lists one model's kinds, keys and metrics.\n");
        return 0;
    }
    listing li = {0};
    li.ops = rg_experiment_find(name);
    rg_err e;
    rg_err_clear(&e);
    if (li.ops == NULL) {
        rg_buf b = {0};
        for (const rg_experiment *const *m = rg_experiment_all(); *m; m++)
            rg_buf_printf(&b, "%s%s", b.len ? ", " : "", (*m)->name);
        rg_err_set(&e, RG_ERR_INPUT, "models %s: no model '%s' (known: %s)", name, name, b.s);
        rg_buf_free(&b);
        return cli_fail(&e);
    }
    int rc = 0;
    if (open_studies(&li, &e) < 0) {
        char *msg = rg_xstrdup(e.msg);
        rg_err_set(&e, RG_ERR_INPUT, "models %s: a minimal scenario does not open: %s", name, msg);
        free(msg);
        rc = cli_fail(&e);
    } else {
        print_listing(&li);
    }
    listing_free(&li);
    return rc;
}
