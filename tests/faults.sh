#!/bin/sh
# faults.sh: the drop's faults ([faults]) through the command line.
# failover.ini gives the same CSV on 1 and 2 threads; its trace shows the
# fault firing and what it destroyed; a bad value of a fault key is a
# scenario error (exit 2) naming the file, line and key; a scenario that
# mentions no fault reads none of their keys.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 20
scn=$top_srcdir/scenarios/failover.ini

# ---- threads ----------------------------------------------------------------

run_sim run "$scn" -n 30 -q -j 1 --csv "$tmpdir/j1.csv" -o "$tmpdir/j1.h5"
_r1=$rc
run_sim run "$scn" -n 30 -q -j 2 --csv "$tmpdir/j2.csv" -o "$tmpdir/j2.h5"
is "0 0" "$_r1 $rc" "failover.ini on 1 and 2 threads exits 0"
ok "failover.ini: --threads 1 and --threads 2 give identical CSV" \
    cmp -s "$tmpdir/j1.csv" "$tmpdir/j2.csv"

# ---- trace --------------------------------------------------------------------

run_sim trace "$scn" --variant sql_locked_failover --rep 0
exit_is 0 "trace of the database failover exits 0"
contains "$out" "FAULT: the database primary dies" "the failover is traced"
run_sim trace "$scn" --variant object_restart --rep 0
contains "$out" "FAULT: object 0 (sku-001) restarts" "the object restart is traced"
contains "$out" "fails with the object: an error" "its errored requests are traced"
run_sim trace "$scn" --variant cache_failover --rep 0
contains "$out" "FAULT: the cache node in us-east fails over" "the cache failover is traced"
run_sim trace "$scn" --variant object_partition --rep 0
contains "$out" "FAULT: partition us-east | eu-west" "the partition is traced"

# ---- bad values -----------------------------------------------------------------

# bad KEY VALUE MESSAGE: the scenario with one more line in [faults]
bad() {
    sed "s/^\[faults\]\$/[faults]\\n$1 = $2/" "$scn" >"$tmpdir/bad.ini"
    run_sim validate "$tmpdir/bad.ini"
    exit_is 2 "$1 = $2: exit 2"
    line=$(grep -n "^$1 = " "$tmpdir/bad.ini" | head -1 | cut -d: -f1)
    contains "$err" "bad.ini:$line: [faults] $1: $3" "$1 = $2: file, line, key and what is expected"
}
bad db_failover soon "expected never or a time"
bad partition "us-east, mars" "'mars' is not one of [network] regions"
bad client_crash 2 ""
bad object_flush_fail later "expected never or a time"

# a fault the variant's kind does not model: refused at the key, not ignored
printf '[variant.sharded_restart]\nkind = sharded_object\nobject_restart = 60ms\n' | cat "$scn" - >"$tmpdir/gap.ini"
run_sim validate "$tmpdir/gap.ini"
exit_is 2 "object_restart on a sharded_object variant: exit 2"
line=$(grep -n "^object_restart = 60ms" "$tmpdir/gap.ini" | tail -1 | cut -d: -f1)
contains "$err" "gap.ini:$line: [variant.sharded_restart] object_restart: kind sharded_object does not model this fault" \
    "... naming file, line, key and the kind"

# ---- no faults ------------------------------------------------------------------

run_sim validate "$top_srcdir/scenarios/drop125.ini"
exit_is 0 "validate drop125.ini exits 0"
lacks "$out" "client_crash" "a scenario without faults reads none of their keys"
