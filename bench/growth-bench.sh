#!/bin/sh
# growth-bench.sh: how the flash-sale drop scales with its buyers (issue
# 18).  Runs scenarios/sneaker-drop.ini (all variants, one thread) with
# --set workload.buyers=N at 125, 125,000 and 1,250,000 buyers, and prints
# the time per event at each size (the process's CPU time, user and system,
# over the events `run` prints: on a shared machine, time spent waiting for
# a core is not the program's), the ratio of the largest to the smallest, and the
# heap per buyer at 10^6 buyers (peak RSS / buyers).  Targets: the ratio at
# most 2, the heap at most 0.4 KB per buyer; each is reported met or NOT
# met.
#
# The scenario's buyers all arrive within one second, so 10^4 times the
# buyers is also 10^4 times the crowd in flight at once.  To tell the two
# apart, 1.25 M buyers also run spread over 10,000 s (the rate of the 125
# buyers, 125 a second; horizon 4 h): the same total, the small run's
# crowd.  That ratio is printed beside the target's, for information.
#
# The machine may be shared and noisy: the sizes are run in turn, GROWTH_ROUNDS
# times (default 3), and each size keeps its fastest round, so that the
# ratio compares rounds taken side by side.  125 buyers run GROWTH_SMALL_REPS
# replications (default 2000, about 6 M events) so that its time is not
# start-up; the large sizes one replication each.  Needs about 4 GB of free
# memory and a minute or two.  Never run as a test: timings depend on the
# machine and its load.
set -eu
bin=${REVGUARD_SIM:-./revguard-sim}
top=${top_srcdir:-$(dirname "$0")/..}
scenario=$top/scenarios/sneaker-drop.ini
rounds=${GROWTH_ROUNDS:-3}
small_reps=${GROWTH_SMALL_REPS:-2000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# run BUYERS REPS [--set KEY=VALUE...]: prints "EVENTS NS_PER_EVENT PEAK_KB"
run() {
    buyers=$1 reps=$2
    shift 2
    /usr/bin/time -f "%M %U %S" -o "$out/time" \
        "$bin" run "$scenario" --set workload.buyers="$buyers" "$@" -n "$reps" -j 1 \
        -o "$out/run.h5" --force >"$out/log" 2>&1 || {
        echo "growth-bench: the run of $buyers buyers failed:" >&2
        cat "$out/log" >&2
        exit 1
    }
    # "N events in W s of wall time (R M events/s)"
    read -r kb user sys <"$out/time"
    sed -n 's/^\([0-9]*\) events in .*/\1/p' "$out/log" |
        awk -v kb="$kb" -v u="$user" -v s="$sys" '{ printf "%s %.6g %s\n", $1, (u + s) / $1 * 1e9, kb }'
}

best() { # best FILE: the smallest ns/event of the rounds in FILE
    sort -g -k2 "$1" | head -n 1
}

: >"$out/small"
: >"$out/mid"
: >"$out/large"
: >"$out/spread"
i=0
while [ "$i" -lt "$rounds" ]; do
    run 125 "$small_reps" >>"$out/small"
    run 125000 1 >>"$out/mid"
    run 1250000 1 >>"$out/large"
    run 1250000 1 --set 'workload.arrival=burst(window=10000s)' --set workload.horizon=4h \
        >>"$out/spread"
    i=$((i + 1))
done
set -- $(best "$out/small") $(best "$out/mid") $(best "$out/large") $(best "$out/spread")
ev_s=$1 ns_s=$2 ev_m=$4 ns_m=$5 ev_l=$7 ns_l=$8 ev_w=${10} ns_w=${11}
heap=$(run 1000000 1 | awk '{ print $3 }')

echo "sneaker-drop.ini, all variants, --threads 1, best of $rounds rounds:"
printf "  %9s buyers  %9s events  %6.1f ns/event (%s replications)\n" 125 "$ev_s" "$ns_s" "$small_reps"
printf "  %9s buyers  %9s events  %6.1f ns/event\n" 125000 "$ev_m" "$ns_m"
printf "  %9s buyers  %9s events  %6.1f ns/event\n" 1250000 "$ev_l" "$ns_l"
printf "  %9s buyers  %9s events  %6.1f ns/event (over 10,000 s: 125 a second, as the 125 buyers)\n" \
    1250000 "$ev_w" "$ns_w"
awk -v a="$ns_l" -v b="$ns_s" 'BEGIN {
    r = a / b
    printf "  time per event, 1.25 M / 125 buyers: %.2fx (target <= 2): %s\n", r,
        r <= 2 ? "met" : "NOT met"
}'
awk -v a="$ns_w" -v b="$ns_s" 'BEGIN {
    printf "  the same at the same arrival rate (10^4 x the buyers, the same crowd): %.2fx\n", a / b
}'
awk -v kb="$heap" 'BEGIN {
    k = kb / 1e6
    printf "  heap at 10^6 buyers: %.1f MB peak RSS, %.3f KB per buyer (target <= 0.4): %s\n",
        kb / 1024, k, k <= 0.4 ? "met" : "NOT met"
}'
