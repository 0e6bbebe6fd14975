#!/bin/sh
# extreme-dists.sh: a scenario that validate accepts never aborts at run
# time.  Distributions past the ceiling of a duration (10 years) are
# refused by validate and run alike (exit 2, naming the value); one that
# passes but adds up past the end of simulated time (22,000 customers
# arriving 200 hours apart: 500 years) fails with a message instead of
# tripping the engine's assertion or reporting NaN.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
plan 14

scn=$top_srcdir/scenarios/mm1.ini
set_arrival() { printf 'variant.rho_0.5.arrival=%s' "$1"; }

run_sim run "$scn" --variant rho_0.5 -n 2 -q -o "$tmpdir/a.h5" --set "$(set_arrival 'exp(mean=200h)')"
exit_is 2 "exp(mean=200h) arrivals reach the end of time: an error (exit 2), not NaN"
lacks "$err" "assertion" "... and say nothing of an assertion"

for d in 'const(300000h)' 'lognormal(mu=1e300, sigma=1)' 'gamma(1e300, 1ms)' \
    'pareto(1ns, 1e-300)' 'shift(9e18ns, exp(1ms))' 'weibull(1ms, 0.001)'; do
    run_sim validate "$scn" --set "$(set_arrival "$d")"
    v=$rc
    run_sim run "$scn" --variant rho_0.5 -n 2 -q -o "$tmpdir/b.h5" --set "$(set_arrival "$d")"
    if [ $v -eq 2 ] && [ $rc -eq 2 ] && grep -q 'at most 10 years' "$err"; then
        _report 0 "$d: refused by validate and run (exit 2)"
    else
        _report 1 "$d: validate exit $v, run exit $rc"
        diag_file "$err" 5
    fi
    contains "$err" "in distribution '$d'" "... naming it"
done
