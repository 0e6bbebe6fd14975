#!/bin/sh
# hostile-reports.sh: a report is written whole or not at all.  A symbolic
# link planted in the report directory is never written through; a file
# size limit leaves no cut picture under its final name (exit 1); a
# report written over another scenario's report leaves none of the old
# pages behind; a file that cannot be read makes no directory; a file of
# the user's own at one of the report's names is never replaced.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
command -v gnuplot >/dev/null 2>&1 || [ -n "${REVGUARD_GNUPLOT:-}" ] ||
    skip_all "gnuplot not available (Debian package gnuplot-nox)"
plan 44

cd "$tmpdir" || bail "cannot enter $tmpdir"
run_sim run "$top_srcdir/scenarios/drop125.ini" -n 4 -q -o drop.h5
exit_is 0 "a drop run to report"
run_sim run "$top_srcdir/scenarios/mm1.ini" -n 3 -q -o mm1.h5
exit_is 0 "a queue run to report"

# A file that cannot be read makes no report directory, named or not.
printf 'not a results file\n' >junk.h5
run_sim report junk.h5 -o never
exit_is 2 "a report of a file that is not a results file fails (exit 2)"
ok "... and makes no directory" test ! -e never
mkdir dflt
(cd dflt && "$REVGUARD_SIM" report ../junk.h5 >/dev/null 2>&1)
ok "... nor reports/out without -o" test ! -e dflt/reports

printf 'precious\n' >victim
for name in summary.csv plot-summary.png gnuplot.log; do
    rm -rf rep && mkdir rep && ln -s ../victim "rep/$name"
    run_sim report drop.h5 -o rep
    exit_is 2 "a symbolic link planted at $name is refused"
    is precious "$(cat victim)" "... and never written through"
done
lacks "$(ls -A rep)" ".revguard-report-" "... and the working directory is removed"

# A file size limit of 20 KiB: gnuplot cannot finish the first picture.
rm -rf lim && mkdir lim
rc=0
(ulimit -f 40 && exec "$REVGUARD_SIM" report drop.h5 -o lim) >"$out" 2>"$err" || rc=$?
exit_is 1 "a report under ulimit -f fails with exit 1"
is "" "$(cd lim && ls *.png *.pdf *.svg 2>/dev/null)" "... and leaves no cut picture"

run_sim report drop.h5 -o rep2
exit_is 0 "a drop report"
run_sim report mm1.h5 -o rep2
exit_is 0 "then a queue report into the same directory"
stale=
for f in plot-timeline.png plot-latency.gp latency.dat timeline.dat live.gif; do
    [ -e "rep2/$f" ] && stale="$stale $f"
done
is "" "$stale" "... leaves none of the drop report's pages"
ok "... and writes its own" test -s rep2/plot-summary.png

# A report directory without a manifest (an older report): the files a
# report writes are recognised by name once report.gp says it is ours,
# and nothing else is touched.
rm -f rep2/.revguard-report
run_sim report drop.h5 -o rep2
rm -f rep2/.revguard-report
printf 'mine\n' >rep2/notes.txt
run_sim report mm1.h5 -o rep2
is "" "$(cd rep2 && ls plot-timeline.png latency.dat live.gif 2>/dev/null)" \
    "an older report's pages are removed too"
is mine "$(cat rep2/notes.txt)" "... but not the user's own files"

# A directory of the user's own: a file at one of the report's names that
# no report wrote is never replaced, and nothing else is written either.
rm -rf own && mkdir own
printf 'my own\n' >own/summary.csv
run_sim report drop.h5 -o own
exit_is 2 "a file of the user's own at a report's name is refused"
contains "$err" "own/summary.csv exists and no report of revguard-sim wrote it" \
    "... and the message names it"
is "my own" "$(cat own/summary.csv)" "... it is left as it was"
is "summary.csv" "$(ls -A own)" "... and nothing else is written (no log, no list)"
mv own/summary.csv own/mine.csv
run_sim report drop.h5 -o own
exit_is 0 "moved aside, the report goes in"
is "my own" "$(cat own/mine.csv)" "... beside it"

# A failed report leaves gnuplot's log to say why; the next report there
# replaces it (it is gnuplot's log, not a file of the user's).
printf '#!/bin/sh\nexit 3\n' >failgp && chmod +x failgp
rm -rf again
rc=0
REVGUARD_GNUPLOT="$tmpdir/failgp" "$REVGUARD_SIM" report drop.h5 -o again >"$out" 2>"$err" || rc=$?
exit_is 1 "a report whose gnuplot fails: exit 1"
ok "... and its log is left to say why" test -s again/gnuplot.log
run_sim report drop.h5 -o again
exit_is 0 "the next report into that directory replaces the log"

# run --report and sweep --report check the names every report writes
# before the run: a long run is not spent on a report that cannot go in.
rm -rf own2 && mkdir own2 && printf 'my own\n' >own2/summary.csv
run_sim run "$top_srcdir/scenarios/drop125.ini" -n 2 -q -o early.h5 --report own2
exit_is 2 "run --report over a file of the user's own is refused"
ok "... before the run: no results file" test ! -e early.h5
mv own2/summary.csv own2/report.pdf
run_sim sweep "$top_srcdir/scenarios/drop125-window.ini" -n 2 -q -o early.h5 --report own2
exit_is 2 "so is sweep --report"
ok "... before the sweep" test ! -e early.h5
printf 'my page\n' >own2/report.html && rm -f own2/report.pdf
run_sim sweep "$top_srcdir/scenarios/drop125-window.ini" -n 2 -q -o early.h5 --report own2
exit_is 0 "a sweep's report leaves a report.html of the user's alone (it writes none)"
is "my page" "$(cat own2/report.html)" "... untouched"
rm -rf own3 && mkdir own3 && printf 'mine\n' >own3/gnuplot.log
run_sim run "$top_srcdir/scenarios/drop125.ini" -n 2 -q -o early3.h5 --report own3
exit_is 2 "a gnuplot.log of the user's is refused before the run too"
ok "... no results file" test ! -e early3.h5
# ... and before gnuplot runs: a gnuplot that failed there had nowhere to
# leave its log, and the message pointed to the user's file as if it were.
rc=0
REVGUARD_GNUPLOT="$tmpdir/failgp" "$REVGUARD_SIM" report drop.h5 -o own3 >"$out" 2>"$err" || rc=$?
exit_is 2 "report over a gnuplot.log of the user's is refused before gnuplot runs"
contains "$err" "own3/gnuplot.log exists and no report of revguard-sim wrote it" \
    "... and the message names it"
is "mine" "$(cat own3/gnuplot.log)" "... which is left as it was"

# A list that is not one of ours (here: over 1 MB) vouches for nothing:
# the user's files beside an earlier report are never taken for its pages.
rm -rf big && mkdir big
run_sim report drop.h5 -o big
printf 'data\n' >big/own.dat
head -c 1100000 /dev/zero | tr '\0' '\n' >>big/.revguard-report
run_sim report drop.h5 -o big
is "data" "$(cat big/own.dat 2>/dev/null)" "a damaged report list deletes no file of the user's"
contains "$err" "(.revguard-report) is over 1 MB" "... and the refusal says what is wrong with it"
printf 'my notes\n' >big/.revguard-report
run_sim report drop.h5 -o big
exit_is 2 "a list that is not one of revguard-sim's is refused too"
contains "$err" "(.revguard-report) is not one that revguard-sim wrote" "... and says so"
