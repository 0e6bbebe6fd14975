/*
 * experiment.h: opening a scenario as an experiment: read the file, apply
 * --set overrides, read the common [scenario] keys, pick the model, let it
 * read its sections, and reject anything nobody asked for.  Used by the
 * command line and by the scenario fuzzer, so both take the same path.
 *
 * [scenario] keys: name (default: the file name without .ini; no '/'),
 * description, model (required), seed (default 1), replications (default
 * 1000, at most 10^8), max_events (per replication, default 10^8), rng
 * (the generator of the random streams, default xoshiro256; see rstream.h).
 */
#ifndef RG_EXPERIMENT_H
#define RG_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "sim/run/runner.h"
#include "sim/engine/scenario.h"

typedef struct rg_experiment {
    rg_scn *scn;
    const rg_model_ops *ops;
    void *cfg;
    const char *name, *description, *model; /* owned by scn */
    int64_t seed, reps, max_events;
    const gsl_rng_type *rng_type; /* [scenario] rng */
} rg_experiment;

/* Opens the scenario file at path with overrides sets[0..nsets-1]
 * ("section.key=value"), each from the command-line option origins[i]
 * (literals such as "--set", "--reps"; origins may be NULL: "--set").  On
 * error returns -1 with e set; x must still be released with
 * rg_experiment_close. */
int rg_experiment_open(const char *path, char *const *sets, const char *const *origins,
                       size_t nsets, rg_experiment *x, rg_err *e);
/* Same from len bytes of scenario text called `name`. */
int rg_experiment_open_mem(const char *name, const void *data, size_t len, rg_experiment *x,
                           rg_err *e);
void rg_experiment_close(rg_experiment *x);

#endif
