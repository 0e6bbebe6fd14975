#!/bin/sh
# cli.sh: the revguard-sim command line.  --help, --version and exit codes;
# `run` on one bad scenario per error class (exit 2, a message on stderr
# naming file:line and the key, no output file left behind); `validate`
# printing the resolved scenario with its defaults marked, and loading its own
# output back; --set overrides; a real `run` writing its results file.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 121
scn=$top_srcdir/scenarios

# ---- help, version, usage errors ---------------------------------------------

run_sim --help
exit_is 0 "--help exits 0"
for cmd in run report trace validate models; do
    contains "$out" "$cmd" "--help mentions $cmd"
done
run_sim --version
exit_is 0 "--version exits 0"
ok "--version prints 'revguard-sim VERSION'" grep -qE '^revguard-sim [0-9]+\.[0-9]+' "$out"
run_sim
exit_is 2 "no arguments: exit 2"
run_sim frobnicate "$scn/mm1.ini"
exit_is 2 "unknown command: exit 2"
contains "$err" "frobnicate" "unknown command: stderr names it"
run_sim models
exit_is 0 "models exits 0"
contains "$out" "queue" "models lists the queue model"
run_sim models drop
contains "$out" "atomic_primary" "models drop lists the drop's kinds"
run_sim run "$scn/mm1.ini" --bogus -o "$tmpdir/u.h5"
exit_is 2 "unknown option: exit 2"
run_sim run "$scn/mm1.ini" --threads 0 -o "$tmpdir/u.h5"
exit_is 2 "--threads 0: exit 2"
run_sim run
exit_is 2 "run without a scenario: exit 2"
run_sim run "$scn/mm1.ini" --seed abc -o "$tmpdir/u.h5"
exit_is 2 "--seed abc: exit 2"
run_sim run "$scn/mm1.ini" -n 0 -q -o "$tmpdir/u.h5"
exit_is 2 "-n 0: exit 2"
contains "$err" "replications" "-n 0: stderr names replications"
ok "usage errors leave no output file" test ! -e "$tmpdir/u.h5"

# ---- scenario errors: one per class --------------------------------------------

# bad_case NAME WHERE WORD...: runs `run` on $tmpdir/NAME.ini and checks
# exit status 2, that stderr names WHERE (file:line) and every WORD, and that
# neither the output file nor a temporary file next to it exists (4 tests).
bad_case() {
    _name=$1
    _where=$2
    shift 2
    _f=$tmpdir/$_name.ini
    _o=$tmpdir/out-$_name.h5
    run_sim run "$_f" -n 2 -q -o "$_o"
    exit_is 2 "$_name: exit status 2"
    contains "$err" "$_where" "$_name: stderr names $_where"
    _missing=0
    for _w in "$@"; do
        if ! grep -qF -- "$_w" "$err"; then
            diag "  '$_w' not in stderr:"
            diag_file "$err"
            _missing=1
        fi
    done
    _report $_missing "$_name: stderr names $*"
    _left=$(ls "$tmpdir" | grep -F "out-$_name.h5")
    is "" "$_left" "$_name: no output file created"
}

# A valid scenario to start from; line numbers below refer to it.
good() {
    cat <<'EOF'
[scenario]
model = queue
[queue]
arrival = exp(mean=2s)
service = exp(mean=1s)
EOF
}

{ good; echo "srevers = 2"; } >"$tmpdir/unknown_key.ini"
bad_case unknown_key "$tmpdir/unknown_key.ini:6" "srevers" "did you mean 'servers'"

{ good; printf '[qeueu]\nservers = 1\n'; } >"$tmpdir/unknown_section.ini"
bad_case unknown_section "$tmpdir/unknown_section.ini:6" "[qeueu]" "did you mean [queue]"

{ good; echo "service = exp(mean=2s)"; } >"$tmpdir/duplicate_key.ini"
bad_case duplicate_key "$tmpdir/duplicate_key.ini:6" "duplicate key 'service'" "line 5"

{ good; echo "servers = many"; } >"$tmpdir/bad_int.ini"
bad_case bad_int "$tmpdir/bad_int.ini:6" "servers" "'many'"

good | sed 's/^arrival = .*/arrival = exp(mean=2)/' >"$tmpdir/bad_duration.ini"
bad_case bad_duration "$tmpdir/bad_duration.ini:4" "arrival" "unit"

good | sed 's/^model = .*/model = nope/' >"$tmpdir/unknown_model.ini"
bad_case unknown_model "$tmpdir/unknown_model.ini:2" "model" "nope" "queue"

good | sed '/^model/d' >"$tmpdir/missing_model.ini"
bad_case missing_model "$tmpdir/missing_model.ini" "[scenario]" "'model'"

{
    good
    printf 'description = '
    i=0
    while [ $i -lt 25 ]; do
        printf 'ten chars '
        i=$((i + 1))
    done
    echo
} >"$tmpdir/long_line.ini"
bad_case long_line "$tmpdir/long_line.ini:6" "199"

: >"$tmpdir/empty.ini"
bad_case empty "$tmpdir/empty.ini" "'model'"

bad_case nonexistent "$tmpdir/nonexistent.ini" "cannot open"

{ good; printf 'servers = 1\000\001\002\n'; } >"$tmpdir/binary.ini"
bad_case binary "$tmpdir/binary.ini:6" "0x00"

{ good; printf '   servers = 2\n'; } >"$tmpdir/indented.ini"
bad_case indented "$tmpdir/indented.ini:6" "indented" "service"

{ echo "name = early"; good; } >"$tmpdir/before_section.ini"
bad_case before_section "$tmpdir/before_section.ini:1" "'name'" "[section]"

# ---- validate ---------------------------------------------------------------

run_sim validate "$scn/mm1.ini"
exit_is 0 "validate mm1.ini exits 0"
contains "$out" "valid (model queue, 3 variants)" "validate reports the model and variants"
ok "a value from the file names its file and line" grep -qE '^warmup = 2000 +; mm1.ini:21$' "$out"
ok "a defaulted key is marked '; default'" grep -qE '^max_events = 100000000 +; default$' "$out"
ok "a variant's value from [queue] names the section and line" \
    grep -qE '^service = exp\(mean=1s\) +; from \[queue\], mm1.ini:18$' "$out"
cp "$out" "$tmpdir/mm1-resolved.ini"

good >"$tmpdir/minimal.ini"
run_sim validate "$tmpdir/minimal.ini"
exit_is 0 "validate a minimal scenario"
missing=0
for pat in '^name = minimal +; default$' '^seed = 1 +; default$' \
    '^replications = 1000 +; default$' '^customers = 10000 +; default$' \
    '^warmup = 1000 +; default$' '^servers = 1 +; default$'; do
    grep -qE "$pat" "$out" || {
        diag "  no line matching $pat"
        missing=1
    }
done
_report $missing "the minimal scenario's defaults are all shown and marked"
ok "given values are marked with their line" grep -qE '^arrival = exp\(mean=2s\) +; minimal.ini:[0-9]+$' "$out"

# The resolved text is itself a scenario that resolves to the same values.
run_sim validate "$tmpdir/mm1-resolved.ini"
exit_is 0 "the resolved text validates"
strip() { sed -e '1d' -e '/^;/d' -e 's/ *; .*$//' "$1"; }
strip "$tmpdir/mm1-resolved.ini" >"$tmpdir/r1"
strip "$out" >"$tmpdir/r2"
ok "and resolves to the same values" cmp -s "$tmpdir/r1" "$tmpdir/r2"

# ---- --set --------------------------------------------------------------------

run_sim validate "$scn/mm1.ini" --set queue.warmup=500
exit_is 0 "--set queue.warmup=500"
ok "validate shows warmup = 500 from --set" grep -qE '^warmup = 500 +; --set$' "$out"
lacks "$out" "warmup = 2000" "and not the file's value"
run_sim validate "$scn/mm1.ini" --set 'variant.rho_0.5.arrival=exp(mean=3s)' \
    --set variant.rho_0.5.servers=2
exit_is 0 "--set into a section whose name has dots"
ok "validate shows the new arrival" grep -qE '^arrival = exp\(mean=3s\) +; --set$' "$out"
ok "a key the file lacked is no longer a default" grep -qE '^servers = 2 +; --set$' "$out"
run_sim validate "$scn/mm1.ini" --set queue.bogus=1
exit_is 2 "--set of an unknown key: exit 2"
contains "$err" "unknown key 'bogus'" "and stderr names the key"
contains "$err" "--set" "and says it came from --set"
run_sim validate "$scn/mm1.ini" --set noequals
exit_is 2 "malformed --set: exit 2"
contains "$err" "section.key=value" "and stderr shows the expected form"
run_sim validate "$scn/mm1.ini" --set queue.servers=0
exit_is 2 "--set of a value out of range: exit 2"

# ---- run and trace ------------------------------------------------------------

mkdir "$tmpdir/runs"
run_sim run "$scn/mm1.ini" -n 5 -q -o "$tmpdir/runs/x.h5"
exit_is 0 "run mm1.ini -n 5 -q exits 0"
ok "and writes the results file" test -s "$tmpdir/runs/x.h5"
is "" "$(cat "$out")" "-q prints nothing on stdout"
run_sim run "$scn/mm1.ini" -n 5 -o "$tmpdir/runs/y.h5"
exit_is 0 "run without -q exits 0"
contains "$out" "wait_mean" "and prints the summary table"
contains "$out" "theory" "and the closed-form comparison"
is "x.h5 y.h5" "$(ls "$tmpdir/runs" | tr '\n' ' ' | sed 's/ $//')" \
    "no temporary files left next to the results"
# An existing file that is not ours is kept unless --force.
echo "precious" >"$tmpdir/notours.h5"
run_sim run "$scn/mm1.ini" -n 2 -q -o "$tmpdir/notours.h5"
ok "run onto a file that is not a results file fails" test "$rc" -ne 0
is "precious" "$(cat "$tmpdir/notours.h5")" "and leaves the file alone"
run_sim run "$scn/mm1.ini" -n 2 -q -o "$tmpdir/notours.h5" --force
exit_is 0 "with --force it is overwritten"
run_sim run "$scn/mm1.ini" -n 2 -q -o "$tmpdir/runs/x.h5"
exit_is 0 "a results file of ours is overwritten without --force"
run_sim run "$scn/mm1.ini" -n 5 -q -o "$tmpdir/no/such/dir/z.h5"
ok "run into a missing directory fails" test "$rc" -ne 0
contains "$err" "$tmpdir/no/such/dir" "and stderr names the path"
run_sim trace "$scn/mm1.ini" --variant nope
exit_is 2 "trace of an unknown variant: exit 2"
contains "$err" "rho_0.5" "and stderr lists the variants"
run_sim trace "$scn/mm1.ini" --variant rho_0.5 --rep 200
exit_is 2 "trace of a replication beyond the scenario's: exit 2"
# The drop's trace shows the database's reads and writes: the naive path's
# blind writes name the sales they overwrite, and those add up to the
# replication's lost_updates (the metric counts them from the row itself).
for v in sql_locked sql_naive; do
    run_sim trace "$scn/drop125.ini" --variant $v --rep 1
    lost=$(tail -n 1 "$out" | cut -d, -f11)
    sum=$(grep -o 'overwrites [0-9]*' "$out" | awk '{ s += $2 } END { print s + 0 }')
    is "$lost" "$sum" "trace $v: the overwritten sales add up to lost_updates ($lost)"
done
ok "trace sql_naive: buyers' SELECTs read stock 100" grep -q "buyer [0-9]*'s SELECT reads stock 100" "$out"
ok "trace sql_naive: a blind write overwrites a sale" grep -qE "writes stock 99 over 99: overwrites 1 other sale$" "$out"
# trace --history: one invoke and one completion per request; the ok
# completions are the buyers told "yours" (the row's allocated).
run_sim trace "$scn/drop125.ini" --variant sql_naive --rep 1 --history "$tmpdir/h.jsonl"
exit_is 0 "trace --history exits 0"
alloc=$(tail -n 1 "$out" | cut -d, -f3)
is "$alloc" "$(grep -c '"type": "ok"' "$tmpdir/h.jsonl")" "the history's ok completions are the allocated ($alloc)"
is 125 "$(grep -c '"type": "invoke"' "$tmpdir/h.jsonl")" "and it invokes once per request"
run_sim trace "$scn/drop125.ini" --variant object --history "$tmpdir/h.edn"
ok "a .edn history is EDN" grep -q '^{:process 0, :type :invoke, :f :decrement' "$tmpdir/h.edn"
run_sim trace "$scn/mm1.ini" --variant rho_0.5 --history "$tmpdir/q.jsonl"
exit_is 2 "--history for an experiment without histories: exit 2"
ok "and writes nothing" test ! -e "$tmpdir/q.jsonl"
