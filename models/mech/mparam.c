/*
 * mparam.c: inherited variant parameters (see mparam.h).  Each getter
 * validates the shared value with the same typed getter, so an error points
 * at the line where the bad value is.
 */
#include "models/mech/mparam.h"

#include <string.h>

/* The text of shared.key after validation (the file's or the default). */
static const char *shared_text(rg_scn *s, const char *shared, const char *key, const char *def,
                               rg_err *e)
{
    const char *t;
    if (rg_scn_str(s, shared, key, def, &t, e) < 0)
        return NULL;
    return t;
}

/* Passes rc on; on success marks var.key as inherited from shared.key when
 * the variant does not give it, so the resolved text says where it came
 * from. */
static int inherited(rg_scn *s, const char *var, const char *shared, const char *key, int rc)
{
    if (rc == 0)
        rg_scn_inherit(s, var, key, shared);
    return rc;
}

int mp_int(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
           int64_t min, int64_t max, int64_t *out, rg_err *e)
{
    if (rg_scn_int(s, shared, key, def, min, max, out, e) < 0)
        return -1;
    const char *t = shared_text(s, shared, key, def, e);
    return t ? inherited(s, var, shared, key, rg_scn_int(s, var, key, t, min, max, out, e)) : -1;
}

int mp_real(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
            double min, double max, double *out, rg_err *e)
{
    if (rg_scn_real(s, shared, key, def, min, max, out, e) < 0)
        return -1;
    const char *t = shared_text(s, shared, key, def, e);
    return t ? inherited(s, var, shared, key, rg_scn_real(s, var, key, t, min, max, out, e)) : -1;
}

int mp_dur(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
           rg_time *out, rg_err *e)
{
    if (rg_scn_dur(s, shared, key, def, out, e) < 0)
        return -1;
    const char *t = shared_text(s, shared, key, def, e);
    return t ? inherited(s, var, shared, key, rg_scn_dur(s, var, key, t, out, e)) : -1;
}

int mp_dist(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
            rg_qty kind, rg_dist **out, rg_err *e)
{
    rg_dist *d;
    if (rg_scn_dist(s, shared, key, def, kind, &d, e) < 0)
        return -1;
    rg_dist_free(d);
    const char *t = shared_text(s, shared, key, def, e);
    return t ? inherited(s, var, shared, key, rg_scn_dist(s, var, key, t, kind, out, e)) : -1;
}

int mp_enum(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
            const char *const *choices, int *out, rg_err *e)
{
    if (rg_scn_enum(s, shared, key, def, choices, out, e) < 0)
        return -1;
    const char *t = shared_text(s, shared, key, def, e);
    return t ? inherited(s, var, shared, key, rg_scn_enum(s, var, key, t, choices, out, e)) : -1;
}

int mp_str(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
           const char **out, rg_err *e)
{
    const char *t = shared_text(s, shared, key, def, e);
    return t ? inherited(s, var, shared, key, rg_scn_str(s, var, key, t, out, e)) : -1;
}

/* True if a is close enough to b to be a typo of it: a few edits apart,
 * or a part of it ("naive" for "sql_naive"). */
static bool looks_like(const char *a, const char *b)
{
    size_t len = strlen(a), limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    return rg_edit_distance(a, b) <= limit || (len >= 3 && strstr(b, a) != NULL);
}

/* A [variant.NAME] section that only an option (--set) created is a typo
 * or a variant the file lacks: an option changes a variant, it cannot
 * define one.  Names the variants the file has, the closest first. */
static int set_only_variant(rg_scn *s, size_t i, size_t plen, rg_err *e)
{
    const char *sec = rg_scn_section(s, i), *name = sec + plen, *best = NULL;
    const char **have = rg_xcalloc(rg_scn_nsections(s) + 1, sizeof *have);
    size_t nhave = 0, bd = SIZE_MAX;
    for (size_t j = 0; j < rg_scn_nsections(s); j++) {
        const char *o = rg_scn_section(s, j);
        if (strncmp(o, sec, plen) != 0 || rg_scn_section_origin(s, j) != NULL)
            continue;
        have[nhave++] = o + plen;
        size_t d = rg_edit_distance(name, o + plen);
        if (looks_like(name, o + plen) && d < bd) {
            bd = d;
            best = o + plen;
        }
    }
    rg_buf b = {0};
    rg_buf_or_list(&b, have, nhave);
    const char *key = rg_scn_key(s, sec, 0);
    if (best != NULL)
        rg_err_set(e, RG_ERR_INPUT, "%s %s.%s: no variant '%s' in %s; did you mean %s?",
                   rg_scn_section_origin(s, i), sec, key ? key : "", name, rg_scn_path(s), best);
    else
        rg_err_set(e, RG_ERR_INPUT,
                   "%s %s.%s: no variant '%s' in %s (expected %s); an option changes a variant, "
                   "a new one needs its [variant.NAME] section in the file",
                   rg_scn_section_origin(s, i), sec, key ? key : "", name, rg_scn_path(s),
                   nhave ? b.s : "none");
    rg_buf_free(&b);
    free(have);
    return -1;
}

int mp_variants(rg_scn *s, size_t size, mp_variant_fn load, void *ctx, const char *none, void **var,
                size_t *n, rg_err *e)
{
    static const char prefix[] = "variant.";
    const size_t plen = sizeof prefix - 1;
    for (size_t i = 0; i < rg_scn_nsections(s); i++)
        if (strncmp(rg_scn_section(s, i), prefix, plen) == 0 && rg_scn_section_origin(s, i) != NULL)
            return set_only_variant(s, i, plen, e);
    for (size_t i = 0; i < rg_scn_nsections(s); i++) {
        const char *sec = rg_scn_section(s, i);
        if (strncmp(sec, prefix, plen) != 0)
            continue;
        if (sec[plen] == '\0')
            return rg_err_set(e, RG_ERR_INPUT, "%s: section [variant.] needs a name",
                              rg_scn_path(s));
        rg_scn_declare(s, sec);
        *var = rg_xrealloc(*var, (*n + 1) * size);
        char *v = (char *)*var + *n * size;
        memset(v, 0, size);
        ++*n;
        if (load(s, sec, v, ctx, e) < 0)
            return -1;
    }
    if (*n == 0 && none != NULL)
        return rg_err_set(e, RG_ERR_INPUT, "%s: no [variant.NAME] section: %s", rg_scn_path(s),
                          none);
    return 0;
}
