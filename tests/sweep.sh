#!/bin/sh
# sweep.sh: parameter studies from the command line: run refuses a file with
# iteration variables but runs one --point; sweep's datasets do not depend
# on -j; --extend equals one run of the total; --until-ci stops at the same
# count for any -j; find brackets M/M/1's closed form; a sweep of the M/M/1
# load matches rho/(mu - lambda) at every point; --vary, --variant,
# --format json; and never a silent cut at the horizon.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
plan 27

src=$top_srcdir/scenarios
cd "$tmpdir" || bail "no scratch directory"
have_py=false
command -v python3 >/dev/null 2>&1 && have_py=true
have_h5=false
[ -n "$H5DUMP" ] && [ -x "$H5DUMP" ] && have_h5=true

# ---- run and points --------------------------------------------------------
run_sim run "$src/drop125-window.ini" -n 5 -o r.h5
exit_is 2 "run on a file with \${} is an input error"
contains "$err" "revguard-sim sweep" "and says to use sweep"
contains "$err" "--point K (0 to 12)" "or --point K, with the points there are"
run_sim run "$src/drop125-window.ini" -n 5 --point 6 -q -o p6.h5
exit_is 0 "run --point 6 runs one point"
run_sim run "$src/drop125-window.ini" -n 5 --point 13 -q -o p13.h5
exit_is 2 "--point past the last is refused"
run_sim sweep "$src/drop125.ini" -n 5 -q -o s.h5
exit_is 2 "sweep of a file without variables is refused"
contains "$err" "nothing to sweep" "saying why"

# ---- sweep: threads, --vary, --variant ------------------------------------
set -- --set 'workload.arrival=burst(window=${w=10ms, 1s, 60s})' -n 8 --seed 3 -q
run_sim sweep "$src/drop125.ini" "$@" -j1 -o s1.h5
exit_is 0 "a sweep given in --set runs (-j1)"
run_sim sweep "$src/drop125.ini" "$@" -j2 -o s2.h5
exit_is 0 "the same sweep with -j2"
if $have_h5; then
    h5dump_data s1.h5 >s1.dump
    h5dump_data s2.h5 >s2.dump
    ok "-j1 and -j2 give identical datasets" cmp -s s1.dump s2.dump
    ok "the file has the points table and the sweep summary" \
        sh -c 'grep -q "DATASET \"points\"" s1.dump && grep -q "DATASET \"sweep_summary\"" s1.dump'
else
    skip "h5dump not installed"
    skip "h5dump not installed"
fi
run_sim sweep "$src/drop125.ini" "$@" --vary 'w=10ms, 1h' --variant sql_naive,object \
    --format json -o s3.h5
exit_is 0 "--vary and --variant"
if $have_py; then
    ok "--vary gives 2 points, --variant only those variants, in that order" python3 -c "
import json, sys
d = json.load(open('$out'))
assert len(d['points']) == 2, d['points']
assert list(d['points'][0]['variants']) == ['sql_naive', 'object']
assert d['points'][1]['text']['w'] == '1h'
"
else
    skip "python3 not installed"
fi
run_sim sweep "$src/drop125.ini" "$@" --variant sql_nave -o s4.h5
exit_is 2 "an unknown --variant is refused"
contains "$err" "has no variant 'sql_nave'" "naming it"

# ---- --extend and --until-ci ------------------------------------------------
run_sim run "$src/drop125.ini" -n 12 --seed 5 -q -o all.h5
run_sim run "$src/drop125.ini" -n 5 --seed 5 -q -o ext.h5
run_sim run "$src/drop125.ini" -n 12 --seed 5 -q --extend ext.h5
exit_is 0 "--extend adds replications 5..11"
if $have_h5; then
    h5dump_data all.h5 >all.dump
    h5dump_data ext.h5 >ext.dump
    ok "the extended file's datasets equal one run of 12" cmp -s all.dump ext.dump
else
    skip "h5dump not installed"
fi
run_sim run "$src/drop125.ini" -n 20 --seed 6 -q --extend ext.h5
exit_is 2 "--extend of a file from another seed is refused"
set -- --until-ci 'wait_mean=15ms' --min-reps 4 --max-reps 64 --variant rho_0.5 -q
run_sim run "$src/mm1.ini" "$@" -j1 -o c1.h5 --format json
cp "$out" c1.json
run_sim run "$src/mm1.ini" "$@" -j2 -o c2.h5 --format json
if $have_py; then
    ok "--until-ci stops at the same count for -j1 and -j2" python3 -c "
import json
a = json.load(open('c1.json')); b = json.load(open('$out'))
assert a['replications'] == b['replications'] and 4 < a['replications'] <= 64, (a, b)
assert a['variants'] == b['variants']
assert a['variants']['rho_0.5']['wait_mean']['ci95'] <= 0.015
"
else
    skip "python3 not installed"
fi

# ---- find -------------------------------------------------------------------
set -- --set 'variant.rho_0.8.arrival=exp(mean=${m=1.1s..2s})' --variant rho_0.8 -n 50 -q
run_sim find "$src/mm1.ini" "$@" --until 'rho_0.8.wait_mean.mean <= 4s' --tol 10ms \
    --format json -o f.h5
exit_is 0 "find on M/M/1's mean inter-arrival time"
if $have_py; then
    ok "it brackets 1.25 s, the closed form (lambda = 0.8 at mu = 1)" python3 -c "
import json
d = json.load(open('$out'))
lo, hi = d['bracket']
assert lo <= 1.25 <= hi and hi - lo <= 0.0101, d['bracket']
"
else
    skip "python3 not installed"
fi
run_sim find "$src/mm1.ini" "$@" --until 'rho_0.8.wait_mean.mean <= 100s' -o f2.h5
exit_is 2 "find refuses a condition that holds across the whole range"
contains "$err" "does not change across the range" "and says so"
run_sim find "$src/mm1.ini" "$@" --until 'rho_0.8.wait_mean.avg <= 4s' -o f3.h5
exit_is 2 "an unknown statistic is refused"

# ---- the M/M/1 load against theory -------------------------------------------
run_sim sweep "$src/mm1.ini" --set 'variant.rho_0.8.arrival=exp(mean=${m=1.25s..4s:5})' \
    --variant rho_0.8 -n 40 -q --format json -o q.h5
if $have_py; then
    ok "Wq = rho/(mu - lambda) at every point, within 3 CI half-widths" python3 -c "
import json
d = json.load(open('$out'))
for p in d['points']:
    m = p['values']['m']; lam = 1 / m
    theory = lam / (1 - lam)
    s = p['variants']['rho_0.8']['wait_mean']
    assert abs(s['mean'] - theory) <= 3 * s['ci95'], (m, s['mean'], theory, s['ci95'])
"
else
    skip "python3 not installed"
fi

# ---- never a silent cut --------------------------------------------------------
run_sim run "$src/drop125.ini" -n 2 -q -o h.h5 --set 'workload.arrival=burst(window=2h)'
exit_is 2 "buyers after the horizon are an error, not a quiet cut"
contains "$err" "after [workload] horizon" "naming the horizon"
