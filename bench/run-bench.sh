#!/bin/sh
# run-bench.sh: whole-run benchmark of the flash-sale drop (issue target:
# drop125, 10,000 replications, all variants, --threads 2, under 2 s of wall
# time and under 100 MB of peak memory on a 2-core machine).  Prints wall
# time, events per second and peak RSS.  Never run as a test: timings depend
# on the machine and its load.
set -eu
bin=${REVGUARD_SIM:-./revguard-sim}
top=${top_srcdir:-$(dirname "$0")/..}
reps=${BENCH_REPS:-10000}
threads=${BENCH_THREADS:-2}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for scenario in drop125; do
    /usr/bin/time -f "%e %M" -o "$out/time" \
        "$bin" run "$top/scenarios/$scenario.ini" -n "$reps" -j "$threads" \
        -o "$out/$scenario.h5" >"$out/log" 2>&1
    read -r wall rss <"$out/time"
    events=$(sed -n 's/^\([0-9]*\) events in .*/\1/p' "$out/log")
    echo "$scenario: $reps replications x all variants, --threads $threads"
    echo "  wall time        $wall s"
    echo "  events           $events"
    awk -v e="$events" -v w="$wall" 'BEGIN { printf "  events/s         %.3g M (wall)\n", e / w / 1e6 }'
    awk -v r="$reps" -v w="$wall" 'BEGIN { printf "  replications/s   %.0f\n", r / w }'
    awk -v k="$rss" 'BEGIN { printf "  peak memory      %.1f MB\n", k / 1024 }'
done
