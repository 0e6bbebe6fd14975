#!/bin/sh
# reps-bench.sh: peak memory per replication (issue 18).  Runs drop125 at
# two replication counts (arguments N1 N2, default 2000 and 20000: under a
# minute at -j2) and prints the peak resident size of each run, the slope
# (peak(N2) - peak(N1)) / (N2 - N1), the result set's own rows per
# replication and what the run holds beyond them, against the issue's
# target: at most 1.2 KB per replication beyond the rows.  Then the same
# two counts with the rows spilled to a file (rg_results_spill), as a run
# of 256 MB of rows or more does: the slope left is what stays in memory.
# Last, reading the files back (`check`), in memory and spilled.
#
# The rows are variants x metrics x 8 bytes a replication; they are read
# off the two files: each file grows by variants x (metrics + 1) x 8 bytes a
# replication (the summary tables: the rows plus the "rep" index), and
# h5ls counts the variants.  KB are KiB, as GNU time's %M reports them.
# Each output is removed before its run: a run over an existing results
# file first reads it, to check that it is one of ours, which would count
# in the peak.  Never run as a test: resident sizes depend on the machine.
set -eu
bin=${REVGUARD_SIM:-./revguard-sim}
top=${top_srcdir:-$(dirname "$0")/..}
threads=${BENCH_THREADS:-2}
n1=${1:-2000}
n2=${2:-20000}
target=1.2
if [ "$n2" -le "$n1" ]; then
    echo "usage: reps-bench.sh [N1 N2] with N1 < N2" >&2
    exit 2
fi
# The files go in the current directory (a build directory, on disk): a
# tmpfs /tmp, the default on some systems, would spill nothing, by design.
out=$(mktemp -d ./reps-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
case $(stat -f -c %T "$out" 2>/dev/null) in
tmpfs | ramfs) echo "reps-bench: $out is in memory (tmpfs): nothing spills there; run it from a directory on disk" >&2 ;;
esac
scn=$top/scenarios/drop125.ini

peak() { # N [SPILL_MIN] -> peak KB; leaves the file as $out/N.h5
    rm -f "$out/$1.h5"
    REVGUARD_SPILL_MIN=${2:-} /usr/bin/time -f "%M" -o "$out/time" \
        "$bin" run "$scn" -n "$1" -j "$threads" -q -o "$out/$1.h5" >"$out/log" 2>&1 || {
        cat "$out/log" >&2
        exit 1
    }
    tail -n 1 "$out/time"
}
size() { wc -c <"$1" | tr -d ' '; }

# In memory (as runs below 256 MB of rows are), then spilled to a file
# beside the output (REVGUARD_SPILL_MIN=1, as runs above are).
never=99999999999999
p1=$(peak "$n1" $never)
p2=$(peak "$n2" $never)
s1=$(size "$out/$n1.h5")
s2=$(size "$out/$n2.h5")
q1=$(peak "$n1" 1)
q2=$(peak "$n2" 1)
nvar=
if command -v h5ls >/dev/null 2>&1; then
    nvar=$(h5ls -r "$out/$n2.h5" | grep -c '/summary ' || true)
fi

echo "drop125, -j$threads: peak resident size at two replication counts"
printf '  %-9s replications  %8s KB  (file %s bytes)\n' "$n1" "$p1" "$s1"
printf '  %-9s replications  %8s KB  (file %s bytes)\n' "$n2" "$p2" "$s2"
awk -v p1="$p1" -v p2="$p2" -v n1="$n1" -v n2="$n2" -v s1="$s1" -v s2="$s2" \
    -v nvar="$nvar" -v target="$target" 'BEGIN {
    slope = (p2 - p1) / (n2 - n1)
    printf "  slope            %.3f KB per replication\n", slope
    if (nvar == "" || nvar == 0) {
        printf "  rows             unknown (no h5ls): the slope itself is held to the target\n"
        rows = 0
    } else {
        file = (s2 - s1) / (n2 - n1)
        rows = (file - 8 * nvar) / 1024
        printf "  rows             %.3f KB per replication (%d variants x %d metrics x 8 bytes)\n",
            rows, nvar, (file / nvar / 8) - 1
    }
    beyond = slope - rows
    printf "  beyond the rows  %.3f KB per replication\n", beyond
    printf "  target           at most %.1f KB per replication beyond the rows: %s\n",
        target, beyond <= target ? "met" : "NOT met"
}'
awk -v p1="$q1" -v p2="$q2" -v n1="$n1" -v n2="$n2" 'BEGIN {
    printf "  rows spilled     %s KB and %s KB: slope %.3f KB per replication (REVGUARD_SPILL_MIN=1)\n",
        p1, p2, (p2 - p1) / (n2 - n1)
}'

# Reading the two files back (check, against expectations written by a
# small run): in memory, then with the table spilled and the file read
# through its copy, as files of 256 MB or more are.
"$bin" run "$scn" -n 20 -j 1 -q -o "$out/e.h5" --write-expect "$out/e.exp" >"$out/log" 2>&1 || {
    cat "$out/log" >&2
    exit 1
}
rpeak() { # N SPILL_MIN -> peak KB of `check` of the N file (exit 3, moved, is fine)
    rc=0
    REVGUARD_SPILL_MIN=$2 /usr/bin/time -f "%M" -o "$out/time" \
        "$bin" check "$out/$1.h5" "$out/e.exp" >"$out/log" 2>&1 || rc=$?
    if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then
        cat "$out/log" >&2
        exit 1
    fi
    tail -n 1 "$out/time"
}
r1=$(rpeak "$n1" $never)
r2=$(rpeak "$n2" $never)
t1=$(rpeak "$n1" 1)
t2=$(rpeak "$n2" 1)
awk -v a1="$r1" -v a2="$r2" -v b1="$t1" -v b2="$t2" -v n1="$n1" -v n2="$n2" 'BEGIN {
    printf "  reading (check)  in memory %s KB and %s KB: slope %.3f KB per replication\n",
        a1, a2, (a2 - a1) / (n2 - n1)
    printf "  reading spilled  %s KB and %s KB: slope %.3f KB per replication (REVGUARD_SPILL_MIN=1)\n",
        b1, b2, (b2 - b1) / (n2 - n1)
}'
