#!/bin/sh
# determinism.sh: results never depend on the thread count, and `trace`
# replays a replication exactly.  Runs scenarios/mm1.ini for 20 replications
# with --threads 1, 2 and 3 and compares the CSV rows byte for byte and, when
# h5dump is available, the dumped HDF5 contents (every dataset and attribute
# at full precision, except the root attribute "created", the wall-clock time
# of writing).  A run with another seed must differ, so the comparison is not
# vacuous.  Finally the CSV row that `trace --variant rho_0.5 --rep 3` prints
# must equal replication 3's row of the run.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 19
scn=$top_srcdir/scenarios/mm1.ini
cd "$tmpdir" || bail "cannot cd to $tmpdir"

for j in 1 2 3; do
    run_sim run "$scn" -n 20 --threads $j --csv "T$j.csv" -o "T$j.h5" -q
    exit_is 0 "run -n 20 --threads $j exits 0"
done
ok "the CSV of --threads 1 exists" test -s T1.csv
is 61 "$(wc -l <T1.csv | tr -d ' ')" "header + 3 variants x 20 replications"
ok "--threads 2 gives the same CSV as --threads 1" cmp T1.csv T2.csv
ok "--threads 3 gives the same CSV as --threads 1" cmp T1.csv T3.csv

run_sim run "$scn" -n 20 --threads 2 --seed 7 --csv S7.csv -o S7.h5 -q
exit_is 0 "run with --seed 7"
ok "another seed gives different rows" test -s S7.csv -a -n "$(cmp T1.csv S7.csv 2>&1)"

if [ -n "$H5DUMP" ] && [ -x "$H5DUMP" ]; then
    h5dump_data T1.h5 >T1.dump 2>T1.dump-err
    h5dump_data T2.h5 >T2.dump 2>T2.dump-err
    h5dump_data S7.h5 >S7.dump 2>S7.dump-err
    ok "h5dump reads the results file" grep -q 'DATASET "summary"' T1.dump
    ok "the \"created\" attribute is filtered out" test -z "$(grep created T1.dump)"
    ok "--threads 2 gives the same HDF5 contents as --threads 1" cmp T1.dump T2.dump
    ok "another seed gives different HDF5 contents" test -n "$(cmp T1.dump S7.dump 2>&1)"
else
    for i in 1 2 3 4; do
        skip "h5dump not installed (Debian package hdf5-tools)"
    done
fi

# trace replays replication 3 of variant rho_0.5.
run_sim trace "$scn" --variant rho_0.5 --rep 3
exit_is 0 "trace --variant rho_0.5 --rep 3 exits 0"
cp "$out" trace1.out
ok "trace prints the event log" grep -q 'starts service' trace1.out
is "$(head -n 1 T1.csv)" "$(tail -n 2 trace1.out | head -n 1)" \
    "trace prints the CSV header of run --csv"
want=$(grep '^rho_0\.5,3,' T1.csv)
ok "the run has a row for rho_0.5 replication 3" test -n "$want"
is "$want" "$(tail -n 1 trace1.out)" "trace's row equals that replication's row in the run"
run_sim trace "$scn" --variant rho_0.5 --rep 3
ok "trace is itself deterministic" cmp -s trace1.out "$out"
