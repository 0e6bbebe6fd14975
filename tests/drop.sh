#!/bin/sh
# drop.sh: the drop model through the command line.  `run` on drop125.ini
# writes its per-replication CSV; `trace` of a (variant, replication) replays
# that replication and ends with the very same CSV header and row; the
# object's trace narrates the sale ("+1 allocated" once per unit sold, as
# many as its row's allocated column, and "stock hits 0"); `validate`
# accepts the scenario; a variant of an unknown kind is a scenario error
# (exit 2) naming the key; the thread count never changes the CSV.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 28
scn=$top_srcdir/scenarios/drop125.ini

# ---- run ------------------------------------------------------------------

run_sim run "$scn" -n 50 -q --csv "$tmpdir/a.csv" -o "$tmpdir/a.h5"
exit_is 0 "run drop125.ini -n 50 exits 0"
ok "the results file exists" test -s "$tmpdir/a.h5"
ok "the CSV exists" test -s "$tmpdir/a.csv"
# a header and one row per variant and replication
nvar=$(grep -c '^\[variant\.' "$scn")
is $((nvar * 50 + 1)) "$(wc -l <"$tmpdir/a.csv" | tr -d ' ')" \
    "CSV: a header and $nvar variants x 50 rows"
header=$(head -n 1 "$tmpdir/a.csv")
case $header in
variant,rep,allocated,rejected,errors,*) _h=0 ;;
*) _h=1 ;;
esac
is 0 "$_h" "CSV header starts variant,rep,allocated,rejected,errors"

# Column number of a metric in the CSV header.
col() {
    printf '%s\n' "$header" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1
}
c_over=$(col oversell)
c_alloc=$(col allocated)
ok "the header has oversell and allocated columns" test -n "$c_over" -a -n "$c_alloc"
# no oversell in any replication of the safe variants
bad=$(awk -F, -v c="$c_over" 'NR > 1 && ($1 == "object" || $1 == "sql_locked" ||
    $1 == "sql_conditional") && $c != 0' "$tmpdir/a.csv" | wc -l | tr -d ' ')
is 0 "$bad" "object, sql_locked, sql_conditional: oversell 0 in all 50 replications"

# ---- trace reproduces a replication's row ---------------------------------------

for pair in object:7 sql_naive:31; do
    v=${pair%%:*}
    n=${pair#*:}
    run_sim trace "$scn" --variant "$v" --rep "$n"
    exit_is 0 "trace --variant $v --rep $n exits 0"
    want=$(grep "^$v,$n," "$tmpdir/a.csv")
    seen=$(tail -n 1 "$out")
    ok "a.csv has a row for ($v, $n)" test -n "$want"
    is "$want" "$seen" "trace $v rep $n: last line equals its row of run --csv"
    is "$header" "$(tail -n 2 "$out" | head -n 1)" "trace $v rep $n: the CSV header before it"
    cp "$out" "$tmpdir/trace-$v.txt"
done

t=$tmpdir/trace-object.txt
contains "$t" "+1 allocated" "object trace shows '+1 allocated' lines"
contains "$t" "stock hits 0" "object trace shows the 'stock hits 0' line"
is 1 "$(grep -c 'stock hits 0' "$t")" "object trace: 'stock hits 0' exactly once"
alloc=$(grep "^object,7," "$tmpdir/a.csv" | cut -d, -f"$c_alloc")
is "$alloc" "$(grep -c '+1 allocated' "$t")" "object trace: one '+1 allocated' per unit allocated"
# each '+1 allocated' line carries the running count, up to the total
ok "object trace: the running count reaches [allocated $alloc," grep -qF "[allocated $alloc," "$t"

# ---- validate, scenario errors ----------------------------------------------

run_sim validate "$scn"
exit_is 0 "validate drop125.ini exits 0"
contains "$out" "kind = sql_conditional" "validate prints the resolved variants"

sed 's/^kind = sql_locked$/kind = blockchain/' "$scn" >"$tmpdir/bad.ini"
run_sim validate "$tmpdir/bad.ini"
exit_is 2 "a variant of unknown kind: exit 2"
contains "$err" "[variant.sql_locked] kind" "the error names the section and key"
contains "$err" "blockchain" "the error quotes the bad value"
run_sim run "$tmpdir/bad.ini" -n 2 -q -o "$tmpdir/bad.h5"
exit_is 2 "run with the unknown kind: exit 2 too"

# ---- threads ------------------------------------------------------------------

run_sim run "$scn" -n 30 -q -j 1 --csv "$tmpdir/j1.csv" -o "$tmpdir/j1.h5"
_r1=$rc
run_sim run "$scn" -n 30 -q -j 2 --csv "$tmpdir/j2.csv" -o "$tmpdir/j2.h5"
is "0 0" "$_r1 $rc" "runs on 1 and 2 threads exit 0"
ok "--threads 1 and --threads 2 give identical CSV" cmp -s "$tmpdir/j1.csv" "$tmpdir/j2.csv"
