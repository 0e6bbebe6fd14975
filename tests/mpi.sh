#!/bin/sh
# mpi.sh: under mpirun the ranks share the replications and rank 0 writes
# the one results file: with 2 and 3 ranks (more ranks than cores: Open MPI
# needs --oversubscribe) the datasets equal those of -j1, for a run and for
# a sweep, and with rank 0's rows spilled.  Skips unless the program was
# built with --with-mpi (REVGUARD_SIM_MPI names that build; .ci/run makes
# one) and mpirun exists.
. "${top_srcdir:-.}/tests/lib.sh"
bin=${REVGUARD_SIM_MPI:-}
[ -n "$bin" ] && [ -x "$bin" ] || skip_all "no MPI build (configure --with-mpi; REVGUARD_SIM_MPI)"
command -v mpirun >/dev/null 2>&1 || skip_all "mpirun not found (Debian package openmpi-bin)"
[ -n "$H5DUMP" ] && [ -x "$H5DUMP" ] || skip_all "h5dump not installed"
plan 14

src=$top_srcdir/scenarios
cd "$tmpdir" || bail "no scratch directory"
mpi() { # mpi P ARGS...: the program under mpirun with P ranks
    _p=$1
    shift
    timeout 300 mpirun --allow-run-as-root --oversubscribe -n "$_p" "$bin" "$@" >"$out" 2>"$err"
    rc=$?
}

set -- run "$src/drop125.ini" -n 17 --seed 3 -q -j1
"$bin" "$@" -o r1.h5 || bail "the MPI build does not run alone"
h5dump_data r1.h5 >r1.dump
for p in 2 3; do
    mpi $p "$@" -o r$p.h5
    exit_is 0 "run under mpirun -n $p"
    h5dump_data r$p.h5 >r$p.dump
    ok "mpirun -n $p: the datasets equal -j1's" cmp -s r1.dump r$p.dump
done

# With every table spilled, rank 0 joins the shares in a file beside the
# output: the same datasets, and nothing left there.
mkdir sp
REVGUARD_SPILL_MIN=1 mpi 3 "$@" -o sp/r3.h5
h5dump_data sp/r3.h5 >sp3.dump
ok "mpirun -n 3 with its rows spilled: the datasets equal -j1's, nothing left beside" \
    sh -c "test $rc = 0 && cmp -s r1.dump sp3.dump && test \"\$(ls -A sp)\" = r3.h5"

# Shares travel in pieces (cli/mpi.c): made tiny, a row or 125 latencies
# a message, with raw latencies kept, the datasets are still -j1's.
"$bin" "$@" --keep-latencies -o k1.h5 || bail "the MPI build cannot keep latencies alone"
h5dump_data k1.h5 >k1.dump
REVGUARD_MPI_CHUNK=1000 mpi 3 "$@" --keep-latencies -o k3.h5
exit_is 0 "mpirun -n 3, shares sent in pieces of 1,000 bytes"
h5dump_data k3.h5 >k3.dump
ok "... the datasets, raw latencies included, equal -j1's" cmp -s k1.dump k3.dump

set -- sweep "$src/drop125-window.ini" --vary 'window=10ms, 1h' -n 7 -q -j1
"$bin" "$@" -o s1.h5 || bail "the MPI build cannot sweep alone"
h5dump_data s1.h5 >s1.dump
mpi 3 "$@" -o s3.h5
exit_is 0 "sweep under mpirun -n 3"
h5dump_data s3.h5 >s3.dump
ok "mpirun -n 3 sweep: the datasets equal -j1's" cmp -s s1.dump s3.dump
mpi 2 find "$src/mm1.ini" --set 'variant.rho_0.8.arrival=exp(mean=${m=1.1s..2s})' \
    --until 'rho_0.8.wait_mean.mean <= 4s' -n 5 -o f.h5
exit_is 2 "find under mpirun is refused"
contains "$err" "not under mpirun" "saying why"

# Rank 0 alone reserves the outputs; a run one rank refuses is refused by
# all of them, before any work (a rank left running waited for ever).
mpi 3 run "$src/drop125.ini" -n 6 -q -o h.h5 --histories hist --rep-list 0,5
exit_is 0 "run --histories under mpirun -n 3"
ok "... rank 0 wrote the 8 histories" test "$(ls hist | wc -l)" -eq 8
: >busy.h5.tmp
flock busy.h5.tmp sleep 30 &
holder=$!
sleep 0.5
mpi 2 run "$src/drop125.ini" -n 6 -q -o busy.h5
exit_is 2 "an output another process is writing: every rank refuses, none waits"
kill "$holder" 2>/dev/null

