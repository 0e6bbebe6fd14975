/*
 * mparam.h: variant parameters with inheritance.
 *
 * A scenario states shared defaults once ([object], [sqldb], [cache], ...)
 * and each [variant.NAME] section may override any of them.  These getters
 * read SHARED.key (validating it, with the built-in default), then
 * VARIANT.key with the shared value as its default, so the resolved scenario
 * shows every variant's effective values.
 */
#ifndef RG_MPARAM_H
#define RG_MPARAM_H

#include "scenario.h"

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

#endif
