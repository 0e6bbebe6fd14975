#!/bin/sh
# shard.sh: runs split into shares (--shard K/N) and merged: the merged
# datasets equal a plain run's, for a run and for a sweep, whatever order
# the parts are given in; merge refuses a missing, a doubled and a foreign
# part, a whole run given as a part, parts of other variants or raw
# latencies, and an output that is one of the parts; a part's memory is
# its share's.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
plan 22

src=$top_srcdir/scenarios
cd "$tmpdir" || bail "no scratch directory"
have_h5=false
[ -n "$H5DUMP" ] && [ -x "$H5DUMP" ] && have_h5=true
same() { # same A.h5 B.h5 DESC: identical datasets and attributes
    if $have_h5; then
        h5dump_data "$1" >"$1.dump"
        h5dump_data "$2" >"$2.dump"
        ok "$3" cmp -s "$1.dump" "$2.dump"
    else
        skip "h5dump not installed"
    fi
}

set -- "$src/drop125.ini" -n 23 --seed 4 -q
run_sim run "$@" -o all.h5
for k in 1 2 3; do
    "$REVGUARD_SIM" run "$@" --shard $k/3 -o p$k.h5 || bail "shard $k/3 failed"
done
run_sim merge m.h5 p3.h5 p1.h5 p2.h5
exit_is 0 "merge of three shares, given out of order"
same all.h5 m.h5 "the merged run equals the plain run, datasets and attributes"
run_sim merge m2.h5 p1.h5 p3.h5
exit_is 2 "a missing share is refused"
contains "$err" "shard 2 of 3 is missing" "naming it"
run_sim merge m3.h5 p1.h5 p2.h5 p2.h5 p3.h5
exit_is 2 "a doubled share is refused"
contains "$err" "shard 2 of 3 is given twice" "naming it"
"$REVGUARD_SIM" run "$src/drop125.ini" -n 23 --seed 5 -q --shard 2/3 -o f2.h5
run_sim merge m4.h5 p1.h5 f2.h5 p3.h5
exit_is 2 "a part of another run is refused"
contains "$err" "f2.h5 is foreign: its seed differs" "saying what differs"
run_sim merge m5.h5 all.h5
exit_is 2 "a whole run is not a part"
# What the scenario text does not say must match too: the variants run
# and whether raw latencies were kept.
"$REVGUARD_SIM" run "$src/drop125.ini" -n 23 --seed 4 -q --shard 2/3 --variant object \
    -o v2.h5 || bail "a part of one variant failed"
run_sim merge m6.h5 p1.h5 v2.h5 p3.h5
exit_is 2 "a part of other variants is refused"
contains "$err" "v2.h5 is foreign: its variants or metrics differ" "naming it"
"$REVGUARD_SIM" run "$src/drop125.ini" -n 23 --seed 4 -q --shard 2/3 --keep-latencies \
    -o l2.h5 || bail "a part with latencies failed"
run_sim merge m7.h5 p1.h5 l2.h5 p3.h5
exit_is 2 "a part that kept raw latencies does not merge with parts that did not"
ok "... and nothing is written" test ! -e m7.h5
cp p2.h5 keep.h5
run_sim merge p2.h5 p1.h5 p2.h5 p3.h5
exit_is 2 "the merged file may not replace one of its parts"
ok "... which is left as it was" cmp -s keep.h5 p2.h5
run_sim run "$src/drop125.ini" -n 23 -q --shard 4/3 -o x.h5
exit_is 2 "--shard 4/3 is a usage error"
run_sim run "$src/drop125.ini" -n 23 -q --shard 1/3 --csv x.csv -o x.h5
exit_is 2 "--csv belongs to the merged file"
# A part holds its share only, and --memory-limit counts that: share 1 of
# 1,000 of 2,000,000 replications is 2,000 (2.6 MB of rows, not 2.6 GB).
run_sim run "$src/drop125.ini" -n 2000000 -q --shard 1/1000 --memory-limit 60M -o big.h5
exit_is 0 "a part within --memory-limit runs though the whole run would not fit"
lacks "$err" "2560 MB" "and no note counts the whole run's rows"

set -- "$src/drop125-window.ini" --vary 'window=10ms, 1s, 1h' -n 9 -q
run_sim sweep "$@" -o sall.h5
for k in 1 2; do
    "$REVGUARD_SIM" sweep "$@" --shard $k/2 -o sp$k.h5 || bail "sweep shard $k/2 failed"
done
run_sim merge sm.h5 sp2.h5 sp1.h5
exit_is 0 "merge of a sweep's two shares"
same sall.h5 sm.h5 "the merged sweep equals the plain sweep"
run_sim merge sm2.h5 sp1.h5 p2.h5
exit_is 2 "a run's part and a sweep's part do not merge"
