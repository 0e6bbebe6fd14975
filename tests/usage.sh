#!/bin/sh
# usage.sh: the command line as a new user meets it.  Every option that
# takes a path names the file it means when that file is missing or cannot
# be written, and says so before any replication runs.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 22
scn=$top_srcdir/scenarios
mm1=$scn/mm1.ini

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
