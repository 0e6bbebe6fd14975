#!/bin/sh
# interrupt.sh: a run stopped by SIGINT or SIGTERM writes the replications
# that finished, marks the file incomplete and exits 130 (an extension
# too, saying how many were asked for); a run killed outright (SIGKILL)
# leaves no file at the output path.
bin=${REVGUARD_SIM:-./revguard-sim}
src=${top_srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "1..7"

# A run long enough to be interrupted on any machine (minutes if left alone).
start_run() { # $1: output file
    "$bin" run "$src/scenarios/sneaker-drop.ini" -n 100000 -j 2 -q -o "$1" \
        >"$tmp/out" 2>"$tmp/err" &
    pid=$!
}
wait_for_progress() { sleep 3; }

i=0
for sig in INT TERM; do
    start_run "$tmp/$sig.h5"
    wait_for_progress
    kill -s "$sig" "$pid"
    wait "$pid"
    rc=$?
    i=$((i + 1))
    if [ $rc -eq 130 ]; then echo "ok $i - SIG$sig: exit 130"; else
        echo "not ok $i - SIG$sig: exit $rc"; sed 's/^/# /' "$tmp/err"; fi
    i=$((i + 1))
    if [ -s "$tmp/$sig.h5" ] && grep -q 'interrupted: [0-9]* of 100000 replications complete and written' "$tmp/err"; then
        echo "ok $i - SIG$sig: the finished replications are written ($(cat "$tmp/err"))"
    else
        echo "not ok $i - SIG$sig: no file or no message"; sed 's/^/# /' "$tmp/err"
    fi
done

i=$((i + 1))
if [ -n "${H5DUMP:-}" ]; then
    if "$H5DUMP" -a /complete "$tmp/INT.h5" | grep -q '(0): 0'; then
        echo "ok $i - the interrupted file is marked complete = 0"
    else
        echo "not ok $i - complete attribute"; "$H5DUMP" -a /complete "$tmp/INT.h5" | sed 's/^/# /'
    fi
else
    echo "ok $i # skip h5dump not available"
fi

# SIGKILL: no chance to write; nothing may look finished.
start_run "$tmp/KILL.h5"
wait_for_progress
kill -s KILL "$pid"
wait "$pid" 2>/dev/null
i=$((i + 1))
if [ ! -e "$tmp/KILL.h5" ]; then echo "ok $i - SIGKILL leaves no file at the output path"; else
    echo "not ok $i - SIGKILL left $tmp/KILL.h5"; fi

# An extension stopped: what finished is written, out of all asked for.
"$bin" run "$src/scenarios/sneaker-drop.ini" -n 3 -j 2 -q -o "$tmp/X.h5" >/dev/null 2>&1
"$bin" run "$src/scenarios/sneaker-drop.ini" -n 100000 -j 2 -q --extend "$tmp/X.h5" \
    >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_for_progress
kill -s TERM "$pid"
wait "$pid"
rc=$?
i=$((i + 1))
if [ $rc -eq 130 ] && grep -q 'interrupted: [0-9]* of 100000 replications complete' "$tmp/err"; then
    echo "ok $i - an extension stopped by SIGTERM writes what finished of all asked for"
else
    echo "not ok $i - extension: exit $rc"; sed 's/^/# /' "$tmp/err"
fi
