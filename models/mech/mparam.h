/*
 * mparam.h: variant parameters with inheritance.
 *
 * A scenario states shared defaults once ([object], [sqldb], [cache], ...)
 * and each [variant.NAME] section may override any of them.  These getters
 * read SHARED.key (validating it, with the built-in default), then
 * VARIANT.key with the shared value as its default, so the resolved scenario
 * shows every variant's effective values.
 *
 * mp_variants collects the [variant.NAME] sections themselves, for every
 * model that compares variants.
 */
#ifndef RG_MPARAM_H
#define RG_MPARAM_H

#include "sim/engine/scenario.h"

int mp_int(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
           int64_t min, int64_t max, int64_t *out, rg_err *e);
int mp_real(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
            double min, double max, double *out, rg_err *e);
int mp_dur(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
           rg_time *out, rg_err *e);
int mp_dist(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
            rg_qty kind, rg_dist **out, rg_err *e);
int mp_enum(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
            const char *const *choices, int *out, rg_err *e);
int mp_str(rg_scn *s, const char *var, const char *shared, const char *key, const char *def,
           const char **out, rg_err *e);

/* Loads one variant from section sec ("variant.NAME") into the zeroed
 * element v; ctx is the caller's.  Returns 0, or -1 with e filled. */
typedef int (*mp_variant_fn)(rg_scn *s, const char *sec, void *v, void *ctx, rg_err *e);

/* Collects the [variant.NAME] sections in file order: declares each one,
 * appends a zeroed element of `size` bytes to the array *var (counted in *n
 * before `load` runs, so that the caller's free sees a half-loaded variant)
 * and calls load on it.  An empty NAME is an error.  With no variant
 * section it is the error "FILE: no [variant.NAME] section: `none`", unless
 * none is NULL (then *n is 0 and the caller supplies a default).  Returns 0
 * or -1 with e filled; *var and its *n elements belong to the caller, also
 * on error. */
int mp_variants(rg_scn *s, size_t size, mp_variant_fn load, void *ctx, const char *none, void **var,
                size_t *n, rg_err *e);

#endif
