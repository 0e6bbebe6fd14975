#!/bin/sh
# hostile-signals.sh: a signal never loses a finished run.  SIGTERM and
# SIGHUP while the results file is being written: the write finishes, the
# file is complete, exit 130.  SIGHUP during the run is SIGTERM.  A
# replication in flight (one that would run for minutes) stops within a
# second or two of the signal.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
plan 7

scn=$top_srcdir/scenarios/drop125.ini
cd "$tmpdir" || bail "cannot enter $tmpdir"

# The results file's temporary is reserved empty at the start and grows
# only while HDF5 writes it: signal then.
"$REVGUARD_SIM" run "$scn" -n 4000 -j 2 --keep-latencies -q -o w.h5 >"$out" 2>"$err" &
pid=$!
i=0
while [ ! -s w.h5.tmp ] && [ $i -lt 6000 ]; do
    sleep 0.01
    i=$((i + 1))
done
kill -s TERM "$pid" 2>/dev/null
kill -s HUP "$pid" 2>/dev/null
wait "$pid"
rc=$?
exit_is 130 "SIGTERM and SIGHUP during the write: exit 130"
ok "... the results file is there, and no temporary" test -s w.h5 -a ! -e w.h5.tmp
if [ -n "$H5DUMP" ]; then
    "$H5DUMP" -a /replications_done w.h5 >"$out"
    contains "$out" "(0): 4000" "... holding every replication"
else
    skip "h5dump not available"
fi

"$REVGUARD_SIM" run "$scn" -n 100000 -j 2 -q -o hup.h5 >"$out" 2>"$err" &
pid=$!
sleep 2
kill -s HUP "$pid"
wait "$pid"
rc=$?
exit_is 130 "SIGHUP during the run is handled as SIGTERM"
contains "$err" "replications complete and written" "... writing what finished"

# One replication of two million buyers: minutes of work.
"$REVGUARD_SIM" run "$scn" -n 1 -j 1 -q -o long.h5 --set workload.buyers=2000000 \
    >"$out" 2>"$err" &
pid=$!
sleep 2
kill -s TERM "$pid"
start=$(date +%s)
wait "$pid"
rc=$?
took=$(($(date +%s) - start))
exit_is 130 "SIGTERM stops a replication in flight"
diag "stopped ${took} s after the signal"
ok "... writing nothing, as nothing finished" test ! -e long.h5 -a ! -e long.h5.tmp
