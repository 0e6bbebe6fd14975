#!/bin/sh
# sweep-report.sh: reports of parameter sweeps.  sweep --report writes, for
# one variable, a title page and a page per key metric (mean against the
# variable, log axis for a log range, a marker where a mean reaches or
# leaves 0), for two variables heatmaps; the PNGs are PNGs and report.pdf
# has one page per page script; `report` on the sweep's file writes the same
# scripts and data as sweep --report; find --report, an experiment without
# key roles, and text values (escaped) work too.  Needs gnuplot.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
# The help names the gnuplot the program will use, or "gnuplot on PATH"
# when it found none.
if [ -z "${REVGUARD_GNUPLOT:-}" ] &&
    "$REVGUARD_SIM" --help | grep -qF '(default: gnuplot on PATH)'; then
    skip_all "gnuplot not available (Debian package gnuplot-nox)"
fi
plan 26

src=$top_srcdir/scenarios
cd "$tmpdir" || bail "no scratch directory"

# all_exist DIR FILE...: every file is in DIR (the missing ones as diagnostics).
all_exist() {
    _dir=$1
    shift
    _miss=
    for _f in "$@"; do
        [ -s "$_dir/$_f" ] || _miss="$_miss $_f"
    done
    [ -z "$_miss" ] || diag "missing in $_dir:$_miss"
    [ -z "$_miss" ]
}

# pngs_ok DIR: at least one PNG, and every one starts with the PNG signature.
pngs_ok() {
    _n=0
    for _f in "$1"/*.png; do
        [ -f "$_f" ] || return 1
        [ "$(head -c 8 "$_f" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || {
            diag "$_f is not a PNG"
            return 1
        }
        _n=$((_n + 1))
    done
    [ "$_n" -gt 0 ]
}

# pdf_pages FILE: the number of pages of a PDF ("/Type /Page" objects, not
# "/Type /Pages"), or -1 if it does not start with %PDF-.
pdf_pages() {
    if [ "$(head -c 5 "$1" 2>/dev/null)" != "%PDF-" ]; then
        echo -1
        return
    fi
    LC_ALL=C tr '\n\r' '  ' <"$1" | grep -a -o '/Type */Page[^s]' | wc -l | tr -d ' '
}

# same_scripts DIR1 DIR2: the .gp, .dat and .csv files of the two are equal.
same_scripts() {
    _st=0
    for _f in "$1"/*.gp "$1"/*.dat "$1"/*.csv; do
        cmp -s "$_f" "$2/$(basename "$_f")" || {
            diag "$(basename "$_f") differs"
            _st=1
        }
    done
    [ "$(ls "$1"/*.gp "$1"/*.dat | wc -l)" -eq "$(ls "$2"/*.gp "$2"/*.dat | wc -l)" ] || _st=1
    return $_st
}

# ---- one variable ------------------------------------------------------------
run_sim sweep "$src/drop125-window.ini" --vary 'window=10ms..1h:4 log' -n 5 -q -o one.h5 \
    --report one
exit_is 0 "sweep --report of one variable"
set --
for m in oversell lat_p50 lat_p99 cost_real; do
    set -- "$@" "plot-sweep-$m.gp" "plot-sweep-$m.png" "sweep-$m.dat"
done
ok "a title page, a page per key metric, report.gp, report.pdf, sweep-summary.csv" \
    all_exist one plot-sweep-summary.gp plot-sweep-summary.png report.gp report.pdf \
    sweep-summary.csv "$@"
ok "every PNG starts with the PNG signature" pngs_ok one
is 5 "$(pdf_pages one/report.pdf)" "report.pdf: %PDF- and 5 pages, the title page first"
contains one/report.gp 'load "plot-sweep-summary.gp"' "report.gp loads the title page"
contains one/plot-sweep-oversell.gp "set logscale x" "a log range has a log x axis"
contains one/plot-sweep-oversell.gp '"10 ms" 0.01' "whose tics name round durations"
contains one/plot-sweep-oversell.gp 'set xlabel "window (log scale)"' \
    "the x axis is labelled with the variable"
contains one/plot-sweep-oversell.gp "with filledcurves" "the CI is a band"
contains one/sweep-summary.csv "point,window,window_text,variant,metric,n,mean,ci95,p50" \
    "sweep-summary.csv: point, the variable's value and text, variant, metric, statistics"
contains one/sweep-summary.csv "0,0.01,10ms,sql_naive,oversell,5,25,0,25" \
    "with sql_naive's oversell of 25 at 10 ms"
ok "one row per point, variant and metric" awk -F, '
    NR > 1 { rows++; p[$1]; v[$4]; m[$5] }
    END { np = 0; for (k in p) np++; nv = 0; for (k in v) nv++; nm = 0; for (k in m) nm++
          exit !(np == 4 && nv == 4 && nm > 4 && rows == np * nv * nm) }' one/sweep-summary.csv

run_sim report one.h5 -o again
exit_is 0 "report on the sweep's file"
ok "writes the same scripts, data and CSV as sweep --report" same_scripts one again
mkdir dflt && (cd dflt && "$REVGUARD_SIM" report ../one.h5 >/dev/null 2>&1)
ok "report's default directory is reports/out/<scenario>" \
    test -s dflt/reports/out/drop125-window/report.pdf

# ---- a marker where a mean leaves 0 -------------------------------------------
run_sim sweep "$src/sneaker-lag.ini" --vary 'lag=0ms..100ms:3' -n 2 -q -o lag.h5 --report lag
exit_is 0 "sweep --report of the cache's replication lag"
contains lag/plot-sweep-oversell.gp 'set arrow from first 50, graph 0 to first 50, graph 1' \
    "a dashed line where the oversell leaves 0"
contains lag/plot-sweep-oversell.gp '"cache: 0 at 0, not 0 from 50 ms"' "labelled with the bracket"
contains lag/plot-sweep-oversell.gp 'set xlabel "lag (ms)"' "a linear axis of durations in ms"

# ---- two variables -------------------------------------------------------------
run_sim sweep "$src/drop125-window.ini" --vary 'window=10ms..1h:4 log' -n 5 -q -o two.h5 \
    --set 'variant.sql_naive.pause=${pause=0ms, 100ms}' --report two
exit_is 0 "sweep --report of two variables"
ok "a heatmap page per key metric" \
    all_exist two plot-heat-oversell.png plot-heat-lat_p50.png plot-heat-lat_p99.png \
    plot-heat-cost_real.png heat-oversell.dat
is 5 "$(pdf_pages two/report.pdf)" "report.pdf: 5 pages"
ok "heatmaps with both axes labelled" sh -c \
    'grep -q "with image" two/plot-heat-oversell.gp &&
     grep -q "set xlabel \"window (log scale)\"" two/plot-heat-oversell.gp &&
     grep -q "set ylabel \"pause\"" two/plot-heat-oversell.gp'
run_sim report two.h5 -o two-again
ok "report on its file writes the same scripts and data" same_scripts two two-again

# ---- find, no key roles, text values ---------------------------------------------
run_sim find "$src/mm1.ini" --set 'variant.rho_0.8.arrival=exp(mean=${m=1.1s..2s})' \
    --variant rho_0.8 -n 5 -q --until 'rho_0.8.wait_mean.mean <= 4s' --tol 100ms \
    -o f.h5 --report f
ok "find --report plots the queue's shown metrics (it declares no key role)" \
    all_exist f plot-sweep-wait_mean.png plot-sweep-utilization.png report.pdf
run_sim sweep "$src/mm1.ini" -n 2 -q -o t.h5 --report t \
    --set 'queue.service=${svc=exp(mean=1s), const(1s)}' \
    --set 'scenario.description=${d=a`touch pwned`b @x, "q"}'
ok "text values: the points' index as x, the texts escaped as tics, no command run" sh -c \
    'grep -qF "(\"exp(mean=1s)\" 0" t/plot-heat-wait_mean.gp &&
     grep -qF "a\\140touch pwned\\140b \\100x" t/plot-heat-wait_mean.gp && test ! -e t/pwned'
