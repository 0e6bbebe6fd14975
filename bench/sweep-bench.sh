#!/bin/sh
# sweep-bench.sh: what a sweep costs beyond its simulations.  A 20-point
# sweep of drop125 (the arrival window from 10 ms to 1 h) at BENCH_REPS
# replications a point, against the same 20 points run one by one with
# `run --point K`, both with the same threads; interleaved twice, so a
# drift of the machine's speed falls on both.  Target: the sweep takes at
# most 1.1x the twenty runs.  Never run as a test.
set -eu
bin=${REVGUARD_SIM:-./revguard-sim}
top=${top_srcdir:-$(dirname "$0")/..}
reps=${BENCH_REPS:-1000}
threads=${BENCH_THREADS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
scn=$top/scenarios/drop125-window.ini
vary='window=10ms..1h:20 log'
now() { date +%s.%N; }
sweep_t=0
runs_t=0
for round in 1 2; do
    t0=$(now)
    "$bin" sweep "$scn" --vary "$vary" -n "$reps" -j "$threads" -q -o "$out/s.h5" >/dev/null
    t1=$(now)
    k=0
    while [ $k -lt 20 ]; do
        "$bin" run "$scn" --vary "$vary" --point $k -n "$reps" -j "$threads" -q \
            -o "$out/p$k.h5" >/dev/null
        k=$((k + 1))
    done
    t2=$(now)
    sweep_t=$(awk -v a="$sweep_t" -v b="$t0" -v c="$t1" 'BEGIN { print a + c - b }')
    runs_t=$(awk -v a="$runs_t" -v b="$t1" -v c="$t2" 'BEGIN { print a + c - b }')
done
echo "sweep: drop125-window, 20 points x $reps replications x 4 variants, --threads $threads"
awk -v s="$sweep_t" -v r="$runs_t" 'BEGIN {
    printf "  sweep            %.2f s (mean of 2)\n", s / 2
    printf "  20 runs          %.2f s (mean of 2)\n", r / 2
    printf "  ratio            %.3f (target <= 1.1)\n", s / r }'
