/*
 * kinds.c: the table of the drop's architectures (kind.h): the built-in
 * kinds, one line each, then the kinds a program registered.  Adding a
 * built-in kind is its own file plus one line here.
 *
 * The table's order is the order of the names in messages and of the
 * kinds' [cost] keys in the resolved scenario, so it only ever grows at
 * the end.  Registration writes a static array without a lock: it happens
 * before any scenario is opened, while the program is single-threaded.
 */
#include <stdlib.h>
#include <string.h>

#include "models/drop/dropint.h"

static const rg_drop_kind *const builtin[] = {
    &rg_drop_kind_object,             /* kind-object.c */
    &rg_drop_kind_sql_naive,          /* kind-sql.c */
    &rg_drop_kind_sql_locked,         /* kind-sql.c */
    &rg_drop_kind_sql_conditional,    /* kind-sql.c */
    &rg_drop_kind_cache,              /* kind-cache.c */
    &rg_drop_kind_quorum,             /* kind-quorum.c */
    &rg_drop_kind_sql_naive_relative, /* kind-sql.c */
    &rg_drop_kind_object_fetch,       /* kind-object-fetch.c */
    &rg_drop_kind_sharded_object,     /* kind-sharded-object.c */
    &rg_drop_kind_atomic_primary,     /* kind-atomic-primary.c */
};
#define NBUILTIN (sizeof builtin / sizeof builtin[0])

static const rg_drop_kind *extra[RG_DROP_KIND_EXTRA];
static size_t nextra;

size_t rg_drop_kind_count(void)
{
    return NBUILTIN + nextra;
}

const rg_drop_kind *rg_drop_kind_at(size_t i)
{
    RG_ASSERT(i < rg_drop_kind_count());
    return i < NBUILTIN ? builtin[i] : extra[i - NBUILTIN];
}

const rg_drop_kind *rg_drop_kind_find(const char *name)
{
    for (size_t i = 0; i < rg_drop_kind_count(); i++)
        if (strcmp(rg_drop_kind_at(i)->name, name) == 0)
            return rg_drop_kind_at(i);
    return NULL;
}

void dkinds_declare(rg_prices *p)
{
    /* The drop's own operations around the kinds' reproduce the order in
     * which [cost] has always been read. */
    RG_ASSERT(rg_prices_declare(p, &dflow_edge_request) == 0);
    for (size_t i = 0; i < rg_drop_kind_count(); i++) {
        const rg_billable *const *op = rg_drop_kind_at(i)->billable;
        for (; op != NULL && *op != NULL; op++)
            RG_ASSERT(rg_prices_declare(p, *op) == 0);
    }
    RG_ASSERT(rg_prices_declare(p, &dflow_kv_read) == 0);
    RG_ASSERT(rg_prices_declare(p, &dflow_kv_write) == 0);
}

int rg_drop_kind_register(const rg_drop_kind *k)
{
    if (nextra == RG_DROP_KIND_EXTRA || k == NULL || k->name == NULL || k->name[0] == '\0' ||
        k->build == NULL || k->route == NULL || k->decremented == NULL ||
        rg_drop_kind_find(k->name) != NULL)
        return -1;
    /* Its operations must fit the price list of the kinds so far. */
    rg_prices *p = rg_prices_new();
    dkinds_declare(p);
    int rc = 0;
    for (const rg_billable *const *op = k->billable; op != NULL && *op != NULL && rc == 0; op++)
        rc = rg_prices_declare(p, *op);
    rg_prices_free(p);
    if (rc < 0)
        return -1;
    extra[nextra++] = k;
    return 0;
}

const char **dkinds_names(void)
{
    size_t n = rg_drop_kind_count();
    const char **names = rg_xcalloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n; i++)
        names[i] = rg_drop_kind_at(i)->name;
    names[n] = NULL;
    return names;
}

char *dkinds_list(void)
{
    rg_buf b = {0};
    const char **names = dkinds_names();
    rg_buf_or_list(&b, names, rg_drop_kind_count());
    free(names);
    return b.s;
}
