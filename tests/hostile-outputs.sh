#!/bin/sh
# hostile-outputs.sh: what run writes (-o, --csv, --write-expect) is never
# written through a symbolic link, never replaces a FIFO, a directory or a
# file the program did not write (without --force), and two runs writing
# the same results file at once do not both win: the second is refused.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
plan 25

scn=$top_srcdir/scenarios/mm1.ini
cd "$tmpdir" || bail "cannot enter $tmpdir"
printf 'precious\n' >victim.txt

ln -s victim.txt link.h5
run_sim run "$scn" -n 2 -q -o link.h5
exit_is 2 "-o through a symbolic link is refused"
contains "$err" "symbolic link" "... saying why"
is "precious" "$(cat victim.txt)" "... and the file it points to is untouched"

# The old attack: a link planted where the temporary file goes.
ln -s victim.txt out.h5.tmp
run_sim run "$scn" -n 2 -q -o out.h5
exit_is 2 "a symbolic link planted at the temporary file is refused"
is "precious" "$(cat victim.txt)" "... and never written through"
rm -f out.h5.tmp

mkfifo pipe.csv
rc=0
timeout 120 "$REVGUARD_SIM" run "$scn" -n 2 -q -o fifo.h5 --csv pipe.csv >"$out" 2>"$err" || rc=$?
exit_is 2 "--csv onto a FIFO is refused, without blocking"
contains "$err" "not a regular file" "... saying why"

ln -s victim.txt link.csv
run_sim run "$scn" -n 2 -q -o csv.h5 --csv link.csv
exit_is 2 "--csv through a symbolic link is refused"
is "precious" "$(cat victim.txt)" "... and the file it points to is untouched"

printf '[variant.x]\nmy.mean = 1\n' >mine.ini
run_sim run "$scn" -n 2 -q -o e.h5 --write-expect mine.ini
exit_is 2 "--write-expect over a file the program did not write is refused"
contains mine.ini "my.mean = 1" "... which is left as it was"
run_sim run "$scn" -n 2 -q -o e.h5 --write-expect ours.ini
run_sim run "$scn" -n 2 -q -o e.h5 --write-expect ours.ini
exit_is 0 "--write-expect over its own file is fine"

# Two runs of one output at once: the first takes the file at its start.
"$REVGUARD_SIM" run "$scn" -n 300 -j 1 -q -o both.h5 >first.out 2>first.err &
first=$!
i=0
while [ ! -e both.h5.tmp ] && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
run_sim run "$scn" -n 2 -q -o both.h5
exit_is 2 "a second run writing the same file at once is refused"
contains "$err" "another revguard-sim is writing it" "... saying why"
wait $first
is 0 $? "... and the first one finishes"
ok "... leaving its file and no temporary" test -f both.h5 -a ! -e both.h5.tmp

# --csv follows -o's rules, and is refused before the run, not after it.
cp "$scn" scenario.ini
run_sim run "$scn" -n 2 -q -o c1.h5 --csv scenario.ini
exit_is 2 "--csv over a scenario (not written by the program) is refused"
ok "... which is left as it was" cmp -s scenario.ini "$scn"
ok "... and nothing is simulated or written" test ! -e c1.h5
run_sim run "$scn" -n 2 -q -o c2.h5 --csv rows.csv
run_sim run "$scn" -n 2 -q -o c2.h5 --csv rows.csv
exit_is 0 "--csv over its own CSV file is fine"
run_sim run "$scn" -n 2 -q -o c3.h5 --csv scenario.ini --force
exit_is 0 "--csv over another file with --force"
run_sim run "$scn" -n 2 -q -o ''
exit_is 2 "-o '' is refused before the run"
run_sim run "$scn" -n 2 -q -o c4.h5 --csv ''
exit_is 2 "--csv '' is refused before the run"
ok "... writing nothing" test ! -e c4.h5

# --extend FILE writes FILE: no results/ directory appears beside it.
mkdir ext && (cd ext && "$REVGUARD_SIM" run "$scn" -n 2 -q -o e.h5 &&
    "$REVGUARD_SIM" run "$scn" -n 4 -q --extend e.h5) >/dev/null 2>&1
ok "run --extend FILE makes no results/ directory" sh -c 'test -s ext/e.h5 && test ! -e ext/results'
