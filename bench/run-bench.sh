#!/bin/sh
# run-bench.sh: whole-run benchmark of the flash-sale drop (drop125, all
# variants).  Two measurements, each the fastest of BENCH_ROUNDS runs (a
# slow run on a shared machine says more about the neighbours than about
# the program):
#   - one thread: CPU time per replication, -n BENCH_REPS1 -j1;
#   - BENCH_THREADS threads: wall time of -n BENCH_REPS replications,
#     events per second and peak memory.
# Targets (issue "Speed and memory at scale"): at most 200 us per
# replication on one thread; 10,000 replications on 2 threads in at most
# 1.0 s.  Never run as a test: timings depend on the machine and its load.
set -eu
bin=${REVGUARD_SIM:-./revguard-sim}
top=${top_srcdir:-$(dirname "$0")/..}
reps=${BENCH_REPS:-10000}
reps1=${BENCH_REPS1:-2000}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# best CMD...: runs CMD rounds times under time(1); leaves the fastest
# run's "wall user rss" in $out/best and its output in $out/log.
best() {
    : >"$out/best"
    i=0
    while [ "$i" -lt "$rounds" ]; do
        /usr/bin/time -f "%e %U %M" -o "$out/time" "$@" >"$out/log.try" 2>&1
        if [ ! -s "$out/best" ] ||
            awk -v a="$(cut -d' ' -f"$key" "$out/time")" -v b="$(cut -d' ' -f"$key" "$out/best")" \
                'BEGIN { exit !(a < b) }'; then
            cp "$out/time" "$out/best"
            cp "$out/log.try" "$out/log"
        fi
        i=$((i + 1))
    done
}

scenario=drop125
echo "$scenario: all variants, fastest of $rounds runs"

key=2 # user time
best "$bin" run "$top/scenarios/$scenario.ini" -n "$reps1" -j 1 -q -o "$out/one.h5"
read -r wall user rss <"$out/best"
awk -v u="$user" -v r="$reps1" 'BEGIN {
    us = u / r * 1e6
    printf "  1 thread:        %.0f us of CPU per replication (-n %d; includes start-up and the write)  target <= 200: %s\n",
        us, r, us <= 200 ? "met" : "NOT met" }'

key=1 # wall time
best "$bin" run "$top/scenarios/$scenario.ini" -n "$reps" -j "$threads" -o "$out/$scenario.h5"
read -r wall user rss <"$out/best"
events=$(sed -n 's/^\([0-9]*\) events in .*/\1/p' "$out/log")
echo "  $threads threads:       $reps replications"
awk -v w="$wall" -v r="$reps" -v t="$threads" 'BEGIN {
    printf "    wall time      %.2f s", w
    if (r == 10000 && t == 2)
        printf "  target <= 1.0 s: %s", w <= 1.0 ? "met" : "NOT met"
    printf "\n" }'
echo "    events         $events"
awk -v e="$events" -v w="$wall" 'BEGIN { printf "    events/s       %.3g M (wall)\n", e / w / 1e6 }'
awk -v r="$reps" -v w="$wall" 'BEGIN { printf "    replications/s %.0f\n", r / w }'
awk -v k="$rss" 'BEGIN { printf "    peak memory    %.1f MB\n", k / 1024 }'
