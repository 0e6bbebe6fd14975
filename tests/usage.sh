#!/bin/sh
# usage.sh: the command line as a new user meets it.  Every option that
# takes a path names the file it means when that file is missing or cannot
# be written, and says so before any replication runs.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 100
scn=$top_srcdir/scenarios
mm1=$scn/mm1.ini

# ---- every command's own help -------------------------------------------------

# The options a help text lists: "--name" or "--name VALUE", one a line.
listed() {
    sed -n 's/^  \(-[a-z], \)\{0,1\}--\([a-z-]*\)\( [^ ]*\)\{0,1\}.*$/--\2\3/p' "$1"
}
# a value the option takes
sample() {
    case $1 in
    '') ;;
    N | S | J | K) echo 1 ;;
    K/N) echo 1/2 ;;
    SIZE) echo 1G ;;
    'json|text') echo text ;;
    'jsonl|edn') echo edn ;;
    *) echo x ;;
    esac
}
all_opts=$tmpdir/all-opts
: >"$all_opts"
for cmd in run sweep find report trace validate check models; do
    run_sim "$cmd" --help
    exit_is 0 "$cmd --help exits 0"
    ok "$cmd --help starts with its own usage line" \
        grep -q "^usage: revguard-sim $cmd " "$out"
    listed "$out" >"$tmpdir/$cmd.opts"
    cat "$tmpdir/$cmd.opts" >>"$all_opts"
done
run_sim --help
ok "the global --help stays the overview" grep -q "^usage: revguard-sim COMMAND" "$out"
ok "and points at the commands' own help" grep -q "COMMAND --help" "$out"
for cmd in run sweep find report trace validate check models; do
    # every option the help lists is accepted (with --help after it, the
    # parser stops there), every other option is refused
    bad=0
    while read -r opt val; do
        "$REVGUARD_SIM" "$cmd" "$opt" $(sample "$val") --help >/dev/null 2>&1 || {
            diag "  $cmd does not accept $opt, which its help lists"
            bad=1
        }
    done <"$tmpdir/$cmd.opts"
    _report $bad "$cmd accepts every option its help lists"
    bad=0
    sort -u "$all_opts" | while read -r opt val; do
        grep -q -- "^$opt\( \|\$\)" "$tmpdir/$cmd.opts" && continue
        "$REVGUARD_SIM" "$cmd" "$opt" $(sample "$val") --help >/dev/null 2>"$tmpdir/e"
        [ $? -eq 2 ] && grep -q "is not an option of $cmd" "$tmpdir/e" || {
            diag "  $cmd accepts $opt, which its help does not list"
            echo 1 >"$tmpdir/bad"
        }
    done
    [ -f "$tmpdir/bad" ] && bad=1
    rm -f "$tmpdir/bad"
    _report $bad "$cmd refuses every option its help does not list"
done
run_sim help trace
ok "help CMD is CMD --help" grep -q "^usage: revguard-sim trace " "$out"
run_sim run "$mm1" --rep 3
exit_is 2 "run --rep is refused"
contains "$err" "-n sets how many" "and the message says what -n does"

# ---- options that take a path ---------------------------------------------------

run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5" --expect "$tmpdir/nope.ini"
exit_is 2 "--expect of a missing file: exit 2"
contains "$err" "nope.ini: cannot open expectations file" "and it names the expectations file"
ok "before anything is written" test ! -e "$tmpdir/r.h5"

run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5" --write-expect "$tmpdir/nodir/x.ini"
exit_is 1 "--write-expect into a missing directory: exit 1"
contains "$err" "cannot write expectations file $tmpdir/nodir/x.ini: directory $tmpdir/nodir" \
    "and it names the expectations file and the directory"
ok "before anything is written" test ! -e "$tmpdir/r.h5"

run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5" --csv "$tmpdir/nodir/x.csv"
contains "$err" "cannot write CSV file $tmpdir/nodir/x.csv" "--csv into a missing directory"
ok "is refused before anything is written" test ! -e "$tmpdir/r.h5"

run_sim run "$mm1" -n 5 -q -o "$tmpdir/nodir/r.h5"
contains "$err" "cannot write results file $tmpdir/nodir/r.h5" "-o into a missing directory"

run_sim run "$mm1" -n 5 -q -o "$tmpdir"
exit_is 2 "-o naming a directory: exit 2"
contains "$err" "it is a directory; give a file name" "and it says to give a file name"

: >"$tmpdir/afile"
run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5" --report "$tmpdir/afile"
contains "$err" "cannot create directory $tmpdir/afile: a file of that name exists" \
    "--report naming a file"
ok "is refused before anything is written" test ! -e "$tmpdir/r.h5"
exit_is 2 "with exit 2 (a name that cannot be a directory)"
run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5" --report "$tmpdir/afile/sub"
exit_is 2 "--report below a file: exit 2"
contains "$err" "cannot create directory $tmpdir/afile: a file of that name exists" \
    "and it names the file in the way"
run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5" --report ""
exit_is 2 "--report '': exit 2"
contains "$err" "give a directory name" "and it asks for a name"
ok "is refused before anything is written" test ! -e "$tmpdir/r.h5"
run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5" --report "$tmpdir//two//levels/"
exit_is 0 "--report with doubled and trailing slashes makes the directories"
ok "and writes the report there" test -s "$tmpdir/two/levels/report.pdf"
run_sim report "$tmpdir/r.h5" -o "$tmpdir/afile"
exit_is 2 "report -o naming a file: exit 2"
run_sim report "$tmpdir/r.h5" -o ""
exit_is 2 "report -o '': exit 2"
ln -s "$tmpdir/nowhere" "$tmpdir/dangling"
run_sim report "$tmpdir/r.h5" -o "$tmpdir/dangling/sub"
exit_is 2 "report -o below a symbolic link to nothing: exit 2"
contains "$err" "a symbolic link of that name leads to no directory" "and it says so"
long=$(printf 'y%.0s' $(seq 300))
run_sim report "$tmpdir/r.h5" -o "$tmpdir/made/$long/x"
exit_is 2 "report -o with a name over 255 bytes: exit 2"
ok "and no directory of it is made first" test ! -e "$tmpdir/made"

# An existing output that cannot be read cannot be recognised as ours: the
# message says why, not that it is some other file.  Needs a user who
# cannot read it: this one, or nobody (setpriv) when the tests run as root.
as_reader() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    else
        setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
    fi
}
mkdir "$tmpdir/shut" && chmod 777 "$tmpdir/shut" && chmod 755 "$tmpdir"
printf 'locked\n' >"$tmpdir/shut/r.h5" && chmod 000 "$tmpdir/shut/r.h5"
if { [ "$(id -u)" -ne 0 ] || command -v setpriv >/dev/null 2>&1; } &&
    as_reader "$REVGUARD_SIM" --version >/dev/null 2>&1 && as_reader test -r "$mm1" &&
    ! as_reader cat "$tmpdir/shut/r.h5" >/dev/null 2>&1; then
    rc=0
    as_reader "$REVGUARD_SIM" run "$mm1" -n 2 -q -o "$tmpdir/shut/r.h5" >"$out" 2>"$err" || rc=$?
    exit_is 2 "-o over a file that cannot be read: exit 2"
    contains "$err" "shut/r.h5 exists and cannot be read (Permission denied)" \
        "and the message says it cannot be read, not that it is not a results file"
else
    skip "no user here who cannot read a file (root without setpriv, or the program or scenario unreachable)"
    skip "no user here who cannot read a file"
fi

run_sim check "$tmpdir/nope.h5" "$tmpdir/nope.ini"
contains "$err" "nope.h5: cannot open results file" "check names a missing results file"
run_sim run "$mm1" -n 5 -q -o "$tmpdir/r.h5"
run_sim check "$tmpdir/r.h5" "$tmpdir/nope.ini"
exit_is 2 "check with a missing expectations file: exit 2"
contains "$err" "nope.ini: cannot open expectations file" "and it names the expectations file"

# ---- --set into a variant the file lacks ----------------------------------------

drop=$scn/drop125.ini
run_sim validate "$drop" --set variant.sql_naiv.pause=50ms
exit_is 2 "--set into a misspelt variant: exit 2"
contains "$err" "no variant 'sql_naiv' in $drop; did you mean sql_naive?" \
    "and it names the variant, the file and the likely one"
lacks "$err" "missing required key" "not a missing key of a new section"
run_sim validate "$drop" --set variant.naive.pause=50ms
contains "$err" "did you mean sql_naive?" "a part of a variant's name is suggested too"
run_sim validate "$drop" --set variant.sql_naive.pause=50ms
exit_is 0 "the man page's example works"
run_sim validate "$scn/mm1.ini" --set variant.other.servers=2
contains "$err" "no variant 'other' in $scn/mm1.ini (expected rho_0.5, rho_0.8 or rho_0.9)" \
    "a name like none of them lists them all"

# ---- models ------------------------------------------------------------------------

run_sim models
exit_is 0 "models exits 0"
contains "$out" "drop " "and lists the drop"
run_sim models nope
exit_is 2 "models nope: exit 2"
contains "$err" "no model 'nope' (known: queue, drop, batch, occ, pbs)" "and it names the known ones"
for m in queue drop batch occ pbs; do
    run_sim models "$m"
    exit_is 0 "models $m exits 0"
done
run_sim models drop
bad=0
for w in "variant kinds ([variant.NAME] kind = ...):" "  sql_conditional    UPDATE" \
    "  quorum             N replicas" "[sqldb]    (read when a variant has kind = sql_naive" \
    "  pool = 0 " "; default from [sqldb]" "  buyers = 125 " "arrival forms" \
    "  poisson(rate=1000) " "  lat_p99              * s          99th percentile"; do
    grep -qF -- "$w" "$out" || {
        diag "  models drop lacks: $w"
        bad=1
    }
done
_report $bad "models drop lists its kinds, keys with defaults, arrival forms and metrics"
run_sim models queue
ok "a key the model requires is shown as required" grep -qE '^  arrival = \(required\) +a duration distribution$' "$out"

# ---- the progress bar, under a pseudo-terminal ------------------------------------

# mm1 has three variants: the bar counts replications, not variants x
# replications, and ends at 200/200.
if command -v script >/dev/null 2>&1 &&
    script -qec "true" /dev/null >/dev/null 2>&1; then
    script -qec "'$REVGUARD_SIM' run '$mm1' -n 200 -j 1 -o '$tmpdir/bar.h5'" /dev/null \
        >"$tmpdir/bar.txt" 2>&1
    tr '\r' '\n' <"$tmpdir/bar.txt" >"$tmpdir/bar.lines"
fi
if [ -f "$tmpdir/bar.lines" ] && grep -q "\[#" "$tmpdir/bar.lines"; then
    contains "$tmpdir/bar.lines" "200/200 replications" "the bar ends at 200/200 replications"
    lacks "$tmpdir/bar.lines" "/600" "and never counts variants"
elif [ -f "$tmpdir/bar.lines" ]; then
    skip "the run ended before the bar is drawn (1 s)"
    skip "the run ended before the bar is drawn (1 s)"
else
    skip "script (util-linux) cannot make a pseudo-terminal here"
    skip "script (util-linux) cannot make a pseudo-terminal here"
fi

# ---- a run the command line changed has results of its own ---------------------

mkdir "$tmpdir/cwd"
(cd "$tmpdir/cwd" && "$REVGUARD_SIM" run "$mm1" -n 5 >"$out" 2>"$err")
ok "run -n 5 leaves results/mm1.h5 alone" test ! -e "$tmpdir/cwd/results/mm1.h5"
set -- "$tmpdir"/cwd/results/mm1-*.h5
ok "and writes results/mm1-HASH.h5" test -f "$1"
contains "$out" "results: results/${1##*/} (a name of its own" "and says so"
(cd "$tmpdir/cwd" && "$REVGUARD_SIM" run "$mm1" --set scenario.replications=5 -q)
set -- "$tmpdir"/cwd/results/*.h5
is 1 "$#" "the same values given another way share the name"
(cd "$tmpdir/cwd" && "$REVGUARD_SIM" run "$mm1" -n 6 -q)
set -- "$tmpdir"/cwd/results/*.h5
is 2 "$#" "other values get another name"

# ---- the console table and the CSV -----------------------------------------------

run_sim run "$scn/guardrail.ini" -n 20 -o "$tmpdir/g.h5" --csv "$tmpdir/g.csv"
exit_is 0 "guardrail.ini -n 20 runs"
ok "a metric no replication had a value of reads n/a" \
    grep -qE '^guardrail_trip_time \(ms\) +n/a +n/a +n/a +[0-9]' "$out"
ok "costs carry their currency" grep -qE '^cost_real \([mµ]?USD\) ' "$out"
ok "columns never run into each other" \
    sh -c "sed -n '/^metric/,/^\$/p' '$out' | grep -vqE '[0-9%a] [0-9n]' || exit 1; exit 0"
head -1 "$tmpdir/g.csv" >"$tmpdir/header"
ok "the CSV header names the units of measured metrics" \
    grep -qE ',lat_p50_s,.*,cost_real_usd,' "$tmpdir/header"
ok "and keeps counts as they are" grep -qE '^variant,rep,allocated,rejected,' "$tmpdir/header"
# %.17g wrote this median as 0.031692972999999999
run_sim run "$scn/drop125.ini" -n 1 -s 7 --variant object -o "$tmpdir/d.h5" --csv "$tmpdir/d.csv" -q
ok "reals are written in the fewest digits that read back exactly" \
    grep -q '^object,0,100,25,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1,0.048969507,' "$tmpdir/d.csv"
