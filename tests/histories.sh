#!/bin/sh
# histories.sh: the linearizable metric over many replications, and run
# --histories.  In every replication of drop125 the safe designs (object,
# sql_locked, sql_conditional) are linearizable and sql_naive is not; in
# retry-storm the safe designs stay linearizable with and without
# idempotency keys, and with a timeout long enough for sql_naive's clients
# to hear its answers (300 ms) sql_naive is linearizable in no replication
# (as shipped its clients hear nothing: every request times out).  run
# --histories writes the chosen replications of every variant, the same
# bytes trace --history writes; bad lists, replications beyond -n, a DIR
# that is a file, links and foreign files are refused before anything runs.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 34
scn=$top_srcdir/scenarios

# lin CSV VARIANT: "ones zeros others" of the linearizable column
lin() {
    awk -F, -v v="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "linearizable") c = i; next }
        $1 == v { if ($c == "1") o++; else if ($c == "0") z++; else x++ }
        END { printf "%d %d %d\n", o, z, x }' "$1"
}

run_sim run "$scn/drop125.ini" -n 400 -q -o "$tmpdir/d.h5" --csv "$tmpdir/d.csv"
exit_is 0 "drop125, 400 replications"
for v in object sql_locked sql_conditional; do
    is "400 0 0" "$(lin "$tmpdir/d.csv" $v)" "drop125 $v: linearizable in every replication"
done
is "0 400 0" "$(lin "$tmpdir/d.csv" sql_naive)" "drop125 sql_naive: linearizable in none"

run_sim run "$scn/retry-storm.ini" -q -o "$tmpdir/r.h5" --csv "$tmpdir/r.csv"
exit_is 0 "retry-storm, 200 replications"
for v in object object_key sql_locked sql_locked_key sql_conditional sql_conditional_key; do
    is "200 0 0" "$(lin "$tmpdir/r.csv" $v)" "retry-storm $v: linearizable in every replication"
done
run_sim run "$scn/retry-storm.ini" -q -o "$tmpdir/t.h5" --csv "$tmpdir/t.csv" \
    --set workload.timeout=300ms --variant sql_naive,sql_naive_key,object,object_key
for v in sql_naive sql_naive_key; do
    is "0 200 0" "$(lin "$tmpdir/t.csv" $v)" "retry-storm, 300 ms timeout, $v: linearizable in none"
done
is "200 0 0" "$(lin "$tmpdir/t.csv" object_key)" "retry-storm, 300 ms timeout, object_key: in every one"

# ---- run --histories ---------------------------------------------------------
h=$tmpdir/hist
run_sim run "$scn/drop125.ini" -n 20 -o "$tmpdir/h.h5" --histories "$h" --rep-list 0,5,10-12
exit_is 0 "run --histories --rep-list 0,5,10-12"
is 20 "$(ls "$h" | wc -l | tr -d ' ')" "5 replications of 4 variants: 20 files"
contains "$out" "histories: $h (20 files)" "it says where"
run_sim trace "$scn/drop125.ini" --variant sql_naive --rep 11 --history "$tmpdir/t11.jsonl"
ok "sql_naive-rep11.jsonl is what trace --rep 11 --history writes" \
    cmp -s "$h/sql_naive-rep11.jsonl" "$tmpdir/t11.jsonl"
run_sim run "$scn/drop125.ini" -n 3 -q -o "$tmpdir/h.h5" --force --histories "$tmpdir/e" \
    --rep-list 2 --history-format edn --variant object
ok "--history-format edn: object-rep2.edn, EDN" \
    grep -q '^{:process [0-9]*, :type :invoke' "$tmpdir/e/object-rep2.edn"
# one operation per purchase: with keys, retries share an order id
run_sim run "$scn/retry-storm.ini" -n 1 -q -o "$tmpdir/k.h5" --histories "$tmpdir/k" \
    --variant object_key
inv=$(grep -c '"type": "invoke"' "$tmpdir/k/object_key-rep0.jsonl")
ord=$(grep -o '"order": [0-9]*' "$tmpdir/k/object_key-rep0.jsonl" | sort -u | wc -l | tr -d ' ')
is "$ord" "$inv" "object_key: one invoke per order id ($ord)"

for bad in "1-" "a" "3,,4" "5-2" ""; do
    run_sim run "$scn/drop125.ini" -n 20 -q -o "$tmpdir/b.h5" --histories "$tmpdir/b" \
        --rep-list "$bad"
    exit_is 2 "--rep-list '$bad': exit 2"
done
contains "$err" "--rep-list '': expected replications and ranges" "the message says what is expected"
run_sim run "$scn/drop125.ini" -n 20 -q -o "$tmpdir/b.h5" --histories "$tmpdir/b" --rep-list 3,20
exit_is 2 "a replication beyond -n: exit 2"
ok "nothing simulated, nothing written" test ! -e "$tmpdir/b.h5" -a ! -e "$tmpdir/b"
: >"$tmpdir/file"
run_sim run "$scn/drop125.ini" -n 2 -q -o "$tmpdir/b.h5" --histories "$tmpdir/file"
exit_is 2 "--histories naming a file: exit 2"
mkdir "$tmpdir/l"
echo precious >"$tmpdir/target"
ln -s "$tmpdir/target" "$tmpdir/l/object-rep0.jsonl"
run_sim run "$scn/drop125.ini" -n 2 -q -o "$tmpdir/b.h5" --histories "$tmpdir/l" --variant object
ok "a link at a history's path is refused, its target untouched" \
    sh -c "[ $rc = 2 ] && [ \"\$(cat '$tmpdir/target')\" = precious ]"
echo mine >"$tmpdir/l/object-rep1.jsonl"
run_sim run "$scn/drop125.ini" -n 2 -q -o "$tmpdir/b.h5" --histories "$tmpdir/l" --variant object \
    --rep-list 1
exit_is 2 "a file that is no history is not replaced"
run_sim run "$scn/drop125.ini" -n 2 -q -o "$tmpdir/b.h5" --force --histories "$tmpdir/l" \
    --variant object --rep-list 1
ok "... but with --force it is" grep -q '"process"' "$tmpdir/l/object-rep1.jsonl"
run_sim run "$scn/mm1.ini" -n 2 -q -o "$tmpdir/q.h5" --histories "$tmpdir/q"
exit_is 2 "--histories for an experiment without histories: exit 2"
