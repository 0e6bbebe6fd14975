/*
 * fuzz-scenario.c: libFuzzer target for everything that reads untrusted
 * text: the scenario reader and the whole open path of every model
 * (experiment.h), the distribution parser (both kinds) and the duration
 * parser.  Built and run by `make fuzz` with clang's
 * -fsanitize=fuzzer,address,undefined; a crash, a leak or undefined
 * behaviour stops it and saves the input, which then belongs in
 * tests/fuzz/crashes/ (replayed by tests/fuzz-regress.sh).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/dist.h"
#include "models/study.h"
#include "sim/engine/simtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rg_err e;
    rg_err_clear(&e);
    rg_study x;
    rg_study_open_mem("fuzz.ini", data, size, &x, &e);
    rg_study_close(&x);

    /* The parsers of single values take NUL-terminated text. */
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    rg_err_clear(&e);
    rg_dist_free(rg_dist_parse(s, RG_QTY_DURATION, &e));
    rg_err_clear(&e);
    rg_dist_free(rg_dist_parse(s, RG_QTY_NUMBER, &e));
    rg_err_clear(&e);
    rg_time t;
    rg_time_parse(s, true, &t, &e);
    free(s);
    return 0;
}
