#!/bin/sh
# results-crashes.sh: every results file that ever crashed the reader (the
# results fuzzer's finds and damaged copies that crashed HDF5, kept in
# tests/fuzz/results-crashes/) must now give a clean outcome from `check`
# and `report`: success, or exit 1, 2 or 3 with a message; never a crash
# (exit >= 128, a sanitizer report) or a hang.
. "${top_srcdir:-.}/tests/lib.sh"
need_program

REVGUARD_GNUPLOT=true
export REVGUARD_GNUPLOT

files=
n=0
for f in "$top_srcdir"/tests/fuzz/results-crashes/*; do
    [ -f "$f" ] || continue
    files="$files $f"
    n=$((n + 2))
done
[ $n -gt 0 ] || skip_all "no file in tests/fuzz/results-crashes"
plan $n

# Expectations naming what the files of the corpus hold, so that a file
# that reads is also checked.
cat >"$tmpdir/expect.ini" <<'EOF'
[variant.rho_0.5]
wait_mean.mean = 1 ci 3
EOF

# clean WHAT: passes if the last command ended cleanly.
clean() {
    if [ "$rc" -lt 124 ] && ! grep -q 'Sanitizer\|runtime error\|assertion failed' "$err" &&
        { [ "$rc" -eq 0 ] || { [ "$rc" -le 3 ] && { [ -s "$err" ] || grep -q '^MOVED' "$out"; }; }; }; then
        _report 0 "$1: exit $rc"
    else
        _report 1 "$1: exit $rc"
        diag_file "$err" 8
    fi
}

for f in $files; do
    b=$(basename "$f")
    rc=0
    timeout 300 "$REVGUARD_SIM" check "$f" "$tmpdir/expect.ini" >"$out" 2>"$err" </dev/null || rc=$?
    clean "check $b"
    rm -rf "$tmpdir/rep"
    rc=0
    timeout 300 "$REVGUARD_SIM" report "$f" -o "$tmpdir/rep" >"$out" 2>"$err" </dev/null || rc=$?
    clean "report $b"
done
