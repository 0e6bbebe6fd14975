#!/bin/sh
# docs.sh: every command a user may copy from the documentation works: each
# `revguard-sim ...` line of the README's code blocks, of the man page's
# EXAMPLES and of every command's --help example runs and exits 0.
#
# They run in a scratch directory holding a copy of scenarios/ and
# tests/expect/ (so nothing in the tree is written), with the program as
# ./revguard-sim and on PATH as revguard-sim.  To keep the suite quick the
# copied scenarios ask for 20 replications and a "-n N" becomes "-n 20";
# nothing else of a command changes.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
work=$tmpdir/work
mkdir -p "$work/tests" "$tmpdir/bin"
cp -R "$top_srcdir/scenarios" "$work/scenarios"
cp -R "$top_srcdir/tests/expect" "$work/tests/expect"
for f in "$work"/scenarios/*.ini; do
    sed 's/^replications = .*/replications = 20/' "$f" >"$f.new" && mv "$f.new" "$f"
done
ln -s "$REVGUARD_SIM" "$work/revguard-sim"
ln -s "$REVGUARD_SIM" "$tmpdir/bin/revguard-sim"

# The lines of file $1 that hold a command, continuation lines joined.
readme_commands() {
    awk '/^```/ { block = !block; next }
         block && /^(\.\/)?revguard-sim / {
             line = $0
             while (line ~ /\\$/ && (getline more) > 0)
                 line = substr(line, 1, length(line) - 1) more
             print line
         }' "$1"
}
man_commands() {
    awk '/^\.SH / { ex = ($2 == "EXAMPLES"); next }
         ex && /^\.EX/ { block = 1; next }
         ex && /^\.EE/ { block = 0; next }
         ex && block && /^revguard-sim / { print }' "$1" |
        sed -e 's/\\-/-/g' -e 's/\\e/\\/g'
}
help_commands() {
    for c in run sweep find report trace validate check models; do
        "$REVGUARD_SIM" "$c" --help | sed -n '/^example:/{n;s/^ *//;p;}'
    done
}

{
    readme_commands "$top_srcdir/README.md"
    man_commands "$top_srcdir/doc/revguard-sim.1"
    help_commands
} | sed 's/ -n [0-9][0-9]*/ -n 20/g' >"$tmpdir/commands"

n=$(wc -l <"$tmpdir/commands")
[ "$n" -ge 20 ] || bail "found only $n commands in the README, the man page and the help"
plan $((n + 2))

# Every option of every command's help is in the man page's OPTIONS and
# in that command's SYNOPSIS line.
sed -n '/^\.SH OPTIONS/,/^\.SH MODELS/p' "$top_srcdir/doc/revguard-sim.1" >"$tmpdir/man-opts"
bad=0
for c in run sweep find report trace validate check models; do
    "$REVGUARD_SIM" "$c" --help |
        sed -n 's/^  \(-[a-z], \)\{0,1\}--\([a-z-]*\).*$/\2/p' >"$tmpdir/opts"
    while read -r o; do
        [ "$o" = help ] && continue
        m=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
        grep -q "^\.BR* .*\\\\-\\\\-$m\b" "$tmpdir/man-opts" || {
            diag "  the man page's OPTIONS lack --$o ($c)"
            bad=1
        }
    done <"$tmpdir/opts"
done
_report $bad "the man page describes every option a command's help lists"
man_synopsis() {
    sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$top_srcdir/doc/revguard-sim.1" |
        sed 's/\\-/-/g' | awk -v c="$1" '/^\.B revguard-sim / { on = ($3 == c) } on'
}
bad=0
for c in run sweep trace validate; do
    "$REVGUARD_SIM" "$c" --help |
        sed -n 's/^  \(-[a-z], \)\{0,1\}--\([a-z-]*\).*$/\2/p' >"$tmpdir/opts"
    man_synopsis "$c" >"$tmpdir/syn"
    while read -r o; do
        case $o in help | reps | seed | threads | quiet | output) continue ;; esac
        grep -q -- "--$o\b" "$tmpdir/syn" || {
            diag "  the SYNOPSIS of $c lacks --$o"
            bad=1
        }
    done <"$tmpdir/opts"
done
_report $bad "the man page's SYNOPSIS lists every option of run, sweep, trace and validate"
gnuplot_ok=1
command -v "${REVGUARD_GNUPLOT:-gnuplot}" >/dev/null 2>&1 || gnuplot_ok=0
while IFS= read -r cmd; do
    (cd "$work" && PATH="$tmpdir/bin:$PATH" sh -c "$cmd") >"$out" 2>"$err" </dev/null
    rc=$?
    if [ $rc -ne 0 ] && [ $gnuplot_ok -eq 0 ] && grep -q gnuplot "$err"; then
        skip "no gnuplot: $cmd"
        continue
    fi
    exit_is 0 "$cmd"
done <"$tmpdir/commands"
