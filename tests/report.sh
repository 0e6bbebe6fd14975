#!/bin/sh
# report.sh: the report of every shipped scenario, through the program.
# Each scenario runs 30 replications with --report; the test checks the
# pages the report has, by name and in order (report.gp loads them), that
# every PNG is a PNG and every SVG a whole SVG document, that report.html
# holds no reference outside itself, that the queue scenarios' report
# shows the closed-form check the console prints, and that the drops'
# page of what buyers were told against what they hold says who kept the
# two equal and who wronged the most.
#
# Then, where Debian's chromium is installed, report.html is opened in
# headless Chromium: it must load with no console message, fetch nothing
# from outside (its network log lists no request the page made) and give a
# screenshot.  Without chromium those tests are skipped, saying so.
. "${top_srcdir:-.}/tests/lib.sh"

need_program
command -v gnuplot >/dev/null 2>&1 || [ -n "${REVGUARD_GNUPLOT:-}" ] ||
    skip_all "gnuplot not available (Debian package gnuplot-nox)"

# scenario, then its pages at 30 replications (the report's own choice:
# an oversell that never varies has no histogram, nothing steady a page)
pages() {
    case $1 in
    append-storm) echo "plot-summary plot-latency plot-distributions plot-check plot-scenario" ;;
    batch-upload) echo "plot-summary plot-latency plot-distributions-1 plot-distributions-2 plot-check plot-scenario plot-scenario-2" ;;
    drop125) echo "plot-summary plot-timeline plot-latency plot-compare plot-told plot-scenario plot-scenario-2" ;;
    guardrail) echo "plot-summary plot-timeline plot-latency plot-compare plot-told plot-protection plot-distributions-1 plot-distributions-2 plot-distributions-3 plot-distributions-4 plot-scenario plot-scenario-2" ;;
    md1 | mm1 | mmc) echo "plot-summary plot-distributions plot-check plot-scenario" ;;
    occ-backoff) echo "plot-summary plot-latency plot-distributions plot-check plot-scenario plot-scenario-2" ;;
    retry-storm) echo "plot-summary plot-timeline plot-oversell plot-latency plot-compare plot-told plot-distributions-1 plot-distributions-2 plot-distributions-3 plot-distributions-4 plot-distributions-5 plot-scenario plot-scenario-2 plot-scenario-3 plot-scenario-4 plot-scenario-5" ;;
    sneaker-drop) echo "plot-summary plot-timeline plot-oversell plot-latency plot-compare plot-told plot-distributions plot-scenario plot-scenario-2" ;;
    *) echo "(no expectation for $1)" ;;
    esac
}

scenarios="append-storm batch-upload drop125 guardrail md1 mm1 mmc occ-backoff retry-storm sneaker-drop"
plan 41

# Whether every *.png in $1 starts with the PNG signature and every *.svg
# is one SVG document (XML declaration, one <svg, closed at the end).
pictures_ok() {
    for f in "$1"/*.png; do
        [ "$(od -An -c -N4 "$f" | tr -d ' ')" = '211PNG' ] || { diag "$f: not a PNG"; return 1; }
    done
    for f in "$1"/*.svg; do
        [ -f "$f" ] || continue
        if ! head -c 5 "$f" | grep -q '<?xml' || [ "$(grep -c '<svg' "$f")" -ne 1 ] ||
            ! tail -c 20 "$f" | grep -q '</svg>'; then
            diag "$f: not a whole SVG"
            return 1
        fi
    done
}

# Whether report.html in $1 refers to nothing outside itself: no src or
# href that is not data: or #, no script, a policy that forbids fetching.
html_ok() {
    [ -f "$1/report.html" ] && grep -q "default-src 'none'" "$1/report.html" &&
        ! grep -Eiq "(src|href)=[\"']?(https?:|//|file:|/)" "$1/report.html" &&
        ! grep -iq '<script' "$1/report.html"
}

for s in $scenarios; do
    dir=$tmpdir/$s
    run_sim run "$top_srcdir/scenarios/$s.ini" -n 30 -o "$tmpdir/$s.h5" --report "$dir" -q
    exit_is 0 "$s: run --report"
    seen=$(sed -n 's/^load "\(.*\)\.gp"$/\1/p' "$dir/report.gp" 2>/dev/null | tr '\n' ' ' |
        sed 's/ $//')
    is "$(pages "$s")" "$seen" "$s: the report's pages, in order"
    ok "$s: every PNG and SVG whole, report.html self-contained" \
        eval 'pictures_ok "$dir" && html_ok "$dir"'
done

contains "$tmpdir/mm1/plot-check.gp" "theory Wq (s)" \
    "mm1: the report shows the closed-form check the console prints"
contains "$tmpdir/drop125/plot-summary.gp" "never oversold in 30 drops" \
    "drop125: the summary says what each variant did in words"
contains "$tmpdir/drop125/plot-told.gp" \
    "Every buyer held exactly what it was told, within the stock, in all 30 drops: object, sql_locked, sql_conditional." \
    "drop125: the told-and-held page names the variants where both agree within the stock"
contains "$tmpdir/sneaker-drop/plot-told.gp" "Most wrongs: era2_cache, per drop on average" \
    "sneaker-drop: the told-and-held page names the most wronged variant"
ok "drop125: live.gif made and embedded in report.html" \
    eval '[ "$(head -c 6 "$tmpdir/drop125/live.gif")" = GIF89a ] &&
          grep -q "data:image/gif;base64," "$tmpdir/drop125/report.html"'

# ---- in a browser --------------------------------------------------------

browser=
for b in chromium chromium-browser; do
    command -v "$b" >/dev/null 2>&1 && browser=$(command -v "$b") && break
done

# Opens $1/report.html in headless Chromium: its stderr (console messages
# come as "CONSOLE" lines) in $1/browser.err, its network log in
# $1/net.json, a screenshot 1200 px wide in $1/shot.png.
open_in_browser() {
    # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --no-first-run --disable-sync --disable-background-networking \
        --disable-component-update --user-data-dir="$1/profile" \
        --enable-logging=stderr --v=0 --log-net-log="$1/net.json" \
        --window-size=1200,2000 --screenshot="$1/shot.png" \
        "file://$1/report.html" >"$1/browser.out" 2>"$1/browser.err"
}

for s in drop125 mm1; do
    dir=$tmpdir/$s
    if [ -z "$browser" ]; then
        skip "chromium not installed (Debian package chromium): $s not opened in a browser"
        skip "chromium not installed: $s's requests not checked"
        skip "chromium not installed: no screenshot of $s"
        continue
    fi
    open_in_browser "$dir"
    if grep -q 'CONSOLE' "$dir/browser.err"; then
        _report 1 "$s: report.html loads with no console message"
        diag_file "$dir/browser.err"
    else
        _report 0 "$s: report.html loads with no console message"
    fi
    # Requests the page made carry an initiator (its opaque file origin,
    # "null"); Chromium's own background requests say "not an origin".
    grep '"initiator"' "$dir/net.json" 2>/dev/null | grep -v '"initiator":"not an origin"' |
        grep -o '"url":"[a-z]*:[^"]*"' | grep -v '"url":"data:' >"$dir/requests"
    if [ -s "$dir/net.json" ] && [ ! -s "$dir/requests" ]; then
        _report 0 "$s: report.html fetches nothing"
    else
        _report 1 "$s: report.html fetches nothing"
        diag_file "$dir/requests"
    fi
    ok "$s: a screenshot of report.html" \
        eval '[ "$(od -An -c -N4 "$dir/shot.png" | tr -d " ")" = 211PNG ] &&
              [ "$(wc -c <"$dir/shot.png")" -gt 20000 ]'
    [ -z "${REPORT_SH_KEEP:-}" ] || cp "$dir/shot.png" "$REPORT_SH_KEEP/$s-shot.png"
done
