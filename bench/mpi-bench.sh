#!/bin/sh
# mpi-bench.sh: the efficiency of `mpirun -n 2` against `-j2` on this
# machine (drop125, BENCH_REPS replications, one thread a rank), and what
# merging parts costs per replication.  Needs a build configured --with-mpi
# (REVGUARD_SIM_MPI) and mpirun for the first figure; never run as a test.
set -eu
bin=${REVGUARD_SIM:-./revguard-sim}
mpibin=${REVGUARD_SIM_MPI:-}
top=${top_srcdir:-$(dirname "$0")/..}
reps=${BENCH_REPS:-10000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
scn=$top/scenarios/drop125.ini
now() { date +%s.%N; }
span() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

t0=$(now)
"$bin" run "$scn" -n "$reps" -j2 -q -o "$out/j2.h5"
t1=$(now)
j2=$(span "$t0" "$t1")
echo "drop125: $reps replications"
echo "  -j2              $j2 s"
if [ -n "$mpibin" ] && command -v mpirun >/dev/null; then
    t0=$(now)
    mpirun --allow-run-as-root --oversubscribe -n 2 "$mpibin" run "$scn" -n "$reps" -j1 -q \
        -o "$out/mpi.h5"
    t1=$(now)
    m=$(span "$t0" "$t1")
    echo "  mpirun -n 2 -j1  $m s"
    awk -v a="$j2" -v b="$m" 'BEGIN { printf "  efficiency       %.2f (-j2 time / mpirun time)\n", a / b }'
else
    echo "  mpirun -n 2      skipped (no MPI build: REVGUARD_SIM_MPI, or no mpirun)"
fi
# merge: 8 parts of the same run, then the merge alone
k=1
while [ $k -le 8 ]; do
    "$bin" run "$scn" -n "$reps" -j2 -q --shard $k/8 -o "$out/p$k.h5"
    k=$((k + 1))
done
t0=$(now)
"$bin" merge "$out/m.h5" "$out"/p*.h5 -q
t1=$(now)
mg=$(span "$t0" "$t1")
awk -v s="$mg" -v r="$reps" 'BEGIN { printf "  merge of 8 parts %.3f s, %.2f us per replication\n", s, s / r * 1e6 }'
