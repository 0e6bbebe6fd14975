/*
 * hist-bin-t: the latency histogram's binning (rg_hist_bin, repout.c) is
 * the edges table's: a sample falls in the last bin i in [1, NBINS-1] whose
 * lower edge rg_hist_edge(i) is <= it, or in bin 0 below 1 us (and for
 * NaN).  Checked against a plain scan of the edges at every edge, one ulp
 * either side of it, at the ends, and at many log-uniform samples from a
 * fixed xorshift sequence, so a binning that drifts one bin off at an edge
 * (what a log10 of the sample does) fails.
 */
#include <math.h>
#include <stdint.h>

#include "sim/run/experiment.h"
#include "tests/tap/basic.h"

/* The bin by definition: a linear scan of the edges. */
static int ref_bin(double s)
{
    if (!(s >= rg_hist_edge(1)))
        return 0;
    int b = 1;
    while (b < RG_HIST_NBINS - 1 && s >= rg_hist_edge(b + 1))
        b++;
    return b;
}

static uint64_t rnd_state = UINT64_C(0x9e3779b97f4a7c15);

static double unif(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (double)(rnd_state >> 11) / 9007199254740992.0;
}

int main(void)
{
    plan(5);

    int bad = 0;
    for (int i = 1; i < RG_HIST_NBINS; i++) {
        double x = rg_hist_edge(i);
        double xs[3] = {nextafter(x, 0.0), x, nextafter(x, INFINITY)};
        for (int k = 0; k < 3; k++)
            if (rg_hist_bin(xs[k]) != ref_bin(xs[k])) {
                if (bad++ < 5)
                    diag("edge %d: %.17g in bin %d, not %d", i, xs[k], rg_hist_bin(xs[k]),
                         ref_bin(xs[k]));
            }
    }
    is_int(0, bad, "every edge and one ulp either side bin as the edges table says");

    bad = 0;
    for (int i = 1; i < RG_HIST_NBINS; i++)
        if (rg_hist_bin(rg_hist_edge(i)) != i)
            bad++;
    is_int(0, bad, "each edge is the first value of its bin");

    bad = 0;
    for (int n = 0; n < 1000000; n++) {
        double s = pow(10.0, -8.0 + 13.0 * unif()); /* 10 ns to 100000 s */
        if (rg_hist_bin(s) != ref_bin(s) && bad++ < 5)
            diag("%.17g in bin %d, not %d", s, rg_hist_bin(s), ref_bin(s));
    }
    is_int(0, bad, "a million log-uniform samples bin as the edges table says");

    ok(rg_hist_bin(0.0) == 0 && rg_hist_bin(-1.0) == 0 && rg_hist_bin(NAN) == 0 &&
           rg_hist_bin(nextafter(1e-6, 0.0)) == 0 && rg_hist_bin(5e-324) == 0,
       "zero, negatives, NaN, subnormals and just under 1 us are in the underflow bin");
    ok(rg_hist_bin(1000.0) == RG_HIST_NBINS - 1 && rg_hist_bin(1e300) == RG_HIST_NBINS - 1 &&
           rg_hist_bin(INFINITY) == RG_HIST_NBINS - 1 &&
           rg_hist_bin(nextafter(1000.0, 0.0)) == RG_HIST_NBINS - 2,
       "1000 s and more, and infinity, are in the overflow bin; just under it is not");
    return 0;
}
