/*
 * study.h: a study is a scenario opened as one experiment: read the file,
 * apply --set overrides, read the common [scenario] keys, pick the
 * experiment ([scenario] model = NAME names it), let it read its sections,
 * and reject anything nobody asked for.  Used by the
 * command line and by the scenario fuzzer, so both take the same path.
 *
 * [scenario] keys: name (default: the file name without .ini; no '/'),
 * description, model (required), seed (default 1), replications (default
 * 1000, at most 10^8), max_events (per replication, default 10^8), rng
 * (the generator of the random streams, default xoshiro256; see rstream.h).
 */
#ifndef RG_STUDY_H
#define RG_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "sim/run/runner.h"
#include "sim/engine/scenario.h"

typedef struct rg_study {
    rg_scn *scn;
    const rg_experiment *ops;
    void *cfg;
    const char *name, *description, *model; /* owned by scn */
    int64_t seed, reps, max_events;
    const gsl_rng_type *rng_type; /* [scenario] rng */
} rg_study;

/* Opens the scenario file at path with overrides sets[0..nsets-1]
 * ("section.key=value"), each from the command-line option origins[i]
 * (literals such as "--set", "--reps"; origins may be NULL: "--set").  On
 * error returns -1 with e set; x must still be released with
 * rg_study_close. */
int rg_study_open(const char *path, char *const *sets, const char *const *origins, size_t nsets,
                  rg_study *x, rg_err *e);
/* Same from the scenario text of the file at path (a sweep point's text,
 * with its variables replaced: path names it in messages and gives the
 * default name). */
int rg_study_open_text(const char *path, const char *text, char *const *sets,
                       const char *const *origins, size_t nsets, rg_study *x, rg_err *e);
/* Same from len bytes of scenario text called `name`. */
int rg_study_open_mem(const char *name, const void *data, size_t len, rg_study *x, rg_err *e);
void rg_study_close(rg_study *x);

#endif
