#!/bin/sh
# demo.sh: `revguard-sim demo`.  Its usage errors; its plain lines when
# stdout is not a terminal (the events, the counters against the stock, the
# guardrail's banner); then, under tmux, the live replay in a terminal: keys
# sent with send-keys, the screen read with capture-pane.  Without tmux the
# terminal tests are skipped, saying so.
. "${top_srcdir:-.}/tests/lib.sh"

need_program
plan 13
drop=$top_srcdir/scenarios/drop125.ini

run_sim demo
exit_is 2 "demo without a scenario: usage error"
run_sim demo "$drop" --speed 0
exit_is 2 "demo --speed 0: usage error"
run_sim demo "$drop" --variant object,nope
exit_is 2 "demo --variant with an unknown name: usage error"
contains "$err" "expected one of object, sql_naive, sql_locked, sql_conditional" \
    "the error lists the variants"

# ---- plain lines -----------------------------------------------------------

run_sim demo "$drop" --variant object,sql_naive
exit_is 0 "demo into a pipe: plain lines"
contains "$out" "sku-001: +1 allocated (object) latency" "the feed: the model's trace lines"
contains "$out" "object: allocated 100, rejected 25 (stock 100): stopped at the stock" \
    "the safe path stops at the stock"
contains "$out" "sql_naive: allocated 125, rejected 0 (stock 100): +25 over the stock" \
    "the eventual path passes it by 25"
run_sim demo "$top_srcdir/scenarios/guardrail.ini" --variant full
contains "$out" "*** GUARDRAIL TRIPPED at us-east" "the guardrail's announcement is a banner"

# ---- in a terminal, under tmux -------------------------------------------

if ! command -v tmux >/dev/null 2>&1; then
    for t in "space pauses" "the counters climb, stop or pass the stock" "r replays" "q quits"; do
        skip "tmux not installed (Debian package tmux): $t not tested"
    done
    exit 0
fi

# A tmux server of our own (its socket in the scratch directory), ended at
# exit; the demo runs in its one pane, 130 x 34.
sock=$tmpdir/tmux.sock
end_tmux() { tmux -S "$sock" kill-server >/dev/null 2>&1; }
trap 'end_tmux; _tap_finish' EXIT
screen=$tmpdir/screen

capture() { tmux -S "$sock" capture-pane -p -t demo >"$screen" 2>/dev/null; }

# wait_for TEXT [absent]: polls the screen for up to 20 s until it shows
# TEXT (or, with "absent", no longer shows it).
wait_for() {
    _i=0
    while [ $_i -lt 100 ]; do
        capture
        if grep -qF -- "$1" "$screen"; then
            [ "${2:-}" = absent ] || return 0
        else
            [ "${2:-}" != absent ] || return 0
        fi
        sleep 0.2
        _i=$((_i + 1))
    done
    diag "waited in vain for '$1' ${2:-}; the screen:"
    diag_file "$screen" 40
    return 1
}

# At a tenth of real time: sql_naive's 407 ms take 4 s.
tmux -S "$sock" new-session -d -s demo -x 130 -y 34 \
    "\"$REVGUARD_SIM\" demo \"$drop\" --variant object,sql_naive --speed 0.1; echo DEMO-EXITED; sleep 60"

wait_for "[space] pause" && tmux -S "$sock" send-keys -t demo ' ' && wait_for ")   paused" &&
    cp "$screen" "$tmpdir/paused1" && sleep 1 && capture && cmp -s "$tmpdir/paused1" "$screen"
_report $? "space pauses: the screen stands still"

tmux -S "$sock" send-keys -t demo ' '
wait_for "finished" && grep -q "100 / 100  stopped at the stock" "$screen" &&
    grep -q "125 / 100  +25 over the stock" "$screen" &&
    grep -q "sku-001: +1 allocated (sql_naive)" "$screen"
_report $? "the counters climb: object stops at the stock, sql_naive passes it by 25"

# One capture must show both: the status line without "finished" and the
# counters below it without the last run's "+25" (a capture taken while a
# frame is being drawn can hold the new first line above the old counters).
tmux -S "$sock" send-keys -t demo r
_i=0
while [ $_i -lt 100 ]; do
    capture
    grep -qF "finished" "$screen" || grep -qF "+25 over the stock" "$screen" || break
    sleep 0.2
    _i=$((_i + 1))
done
[ $_i -lt 100 ] || { diag "no replay on the screen:"; diag_file "$screen" 40; false; }
_report $? "r replays from the start"

tmux -S "$sock" send-keys -t demo q
wait_for "DEMO-EXITED" && grep -q "sql_naive: allocated 125" "$screen"
_report $? "q quits, leaving how the replication ended on the screen"
