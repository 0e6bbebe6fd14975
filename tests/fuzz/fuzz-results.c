/*
 * fuzz-results.c: libFuzzer target for everything that reads a results
 * file, which is untrusted input: rg_results_read, rg_sweep_read,
 * rg_results_is_ours and rg_results_is_sweep on a file holding the
 * fuzzer's bytes, and the regression checks (rg_expect_check,
 * rg_expect_check_points) against what they read.  Built and run by
 * `make fuzz` (or `make fuzz-run-results`) with clang's
 * -fsanitize=fuzzer,address,undefined over the corpus in
 * tests/fuzz/results-corpus/; a crash, a leak or undefined behaviour stops
 * it and saves the input, which then belongs in
 * tests/fuzz/results-crashes/ (replayed by tests/results-crashes.sh).
 *
 * The reader forks a child to read each file first (results-h5.c), so a
 * crash inside HDF5 is an error, not a finding; what the fuzzer finds is
 * what goes wrong in this process.  The build sets RH5_VET_SECONDS below
 * libFuzzer's -timeout.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/run/expect.h"
#include "sim/run/results.h"
#include "sim/run/sweep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The scratch directory, the file the bytes go to, the expectations. */
static char dir[64], path[96], exp_run[96], exp_sweep[96];
static FILE *devnull;

/* Expectations in both forms, naming variants and metrics of the corpus
 * (and some that no file has). */
static const char run_text[] = "[expect]\nscenario = drop125\n"
                               "[variant.object]\nallocated.mean = 100\noversell.max = 0\n"
                               "lat_p50.mean = 0.035 rel 5%\n"
                               "[variant.rho_0.5]\nwait_mean.mean = 1 ci 3\n";
static const char sweep_text[] = "[expect]\npoints = 2\n"
                                 "[point.0.variant.object]\nallocated.mean = 100 abs 1\n"
                                 "[point.1.variant.object]\noversell.max = 0\n";

static void write_file(const char *p, const void *buf, size_t n)
{
    FILE *f = fopen(p, "wb");
    if (f == NULL || fwrite(buf, 1, n, f) != n || fclose(f) != 0)
        abort();
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/rg-fuzz-results-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof path, "%s/input.h5", dir);
    snprintf(exp_run, sizeof exp_run, "%s/run.ini", dir);
    snprintf(exp_sweep, sizeof exp_sweep, "%s/sweep.ini", dir);
    write_file(exp_run, run_text, sizeof run_text - 1);
    write_file(exp_sweep, sweep_text, sizeof sweep_text - 1);
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0')
        setup();
    write_file(path, data, size);

    /* Each read forks (and the parent reads again): one look at the root,
     * then the read it chooses, as `check` and `report` do. */
    rg_err e;
    rg_meta m;
    rg_err_clear(&e);
    if (rg_results_is_sweep(path)) {
        rg_sweep *sw = NULL;
        if (rg_sweep_read(path, &sw, &m, &e) == 0) {
            rg_err_clear(&e);
            rg_expect_check_points(exp_sweep, sw->res, sw->npoints, &m, devnull, &e);
            rg_sweep_free(sw);
            rg_meta_free(&m);
        }
    } else if (rg_results_is_ours(path)) {
        rg_results *r = NULL;
        if (rg_results_read(path, &r, &m, &e) == 0) {
            rg_err_clear(&e);
            rg_expect_check(exp_run, r, &m, devnull, &e);
            rg_results_free(r);
            rg_meta_free(&m);
        }
    }
    return 0;
}
