# lib.sh: TAP helpers for the shell tests (tests/*.sh), in the spirit of
# tests/tap/basic.h.  Source it, call `plan N`, then report with `ok`, `is`,
# `contains` and friends; diagnostics go to stdout as "# ..." lines.  At exit
# it checks that N tests ran, removes the scratch directory and exits non-zero
# if any test failed.
#
# Environment (the Makefile exports all of these for `make check`):
#   REVGUARD_SIM  path of the program (default: $top_builddir/revguard-sim)
#   top_srcdir    source tree (default: the directory above this file)
#   top_builddir  build tree (default: the current directory)
#   H5DUMP        path of h5dump, or empty when it is not installed
#
# After `run_sim ARGS...`: $rc is the exit status, $out and $err name files
# holding stdout and stderr.  $tmpdir is a fresh directory removed at exit.
# POSIX sh: no bashisms.

_tap_planned=
_tap_run=0
_tap_failed=0

: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$(pwd)}"
: "${REVGUARD_SIM:=$top_builddir/revguard-sim}"
: "${H5DUMP:=}"
export top_srcdir top_builddir REVGUARD_SIM H5DUMP

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/revguard-test.XXXXXX") || {
    echo "Bail out! cannot create a temporary directory"
    exit 255
}
out=$tmpdir/stdout
err=$tmpdir/stderr
rc=0

_tap_finish() {
    _st=0
    rm -rf "$tmpdir"
    if [ -n "$_tap_planned" ] && [ "$_tap_run" -ne "$_tap_planned" ]; then
        echo "# planned $_tap_planned tests but ran $_tap_run"
        _st=255
    elif [ "$_tap_failed" -gt 0 ]; then
        echo "# failed $_tap_failed of $_tap_run tests"
        _st=1
    fi
    exit $_st
}
trap _tap_finish EXIT
trap 'exit 130' INT TERM

# plan N: declares that N tests will run.
plan() {
    _tap_planned=$1
    echo "1..$1"
}

# skip_all REASON: no test will run.
skip_all() {
    echo "1..0 # skip $*"
    _tap_planned=
    exit 0
}

# bail REASON: stops the test program.
bail() {
    echo "Bail out! $*"
    _tap_planned=
    _tap_failed=1
    exit 255
}

# diag TEXT...: one "# " line per line of text.
diag() {
    printf '%s\n' "$*" | sed 's/^/# /'
}

# diag_file FILE [N]: the first N (default 20) lines of FILE as diagnostics.
diag_file() {
    [ -f "$1" ] && head -n "${2:-20}" "$1" | sed 's/^/#   /'
}

# _report STATUS DESC: prints one result line; STATUS 0 is a pass.
_report() {
    _tap_run=$((_tap_run + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $_tap_run - $2"
    else
        echo "not ok $_tap_run - $2"
        _tap_failed=$((_tap_failed + 1))
    fi
    return "$1"
}

# ok DESC CMD [ARGS...]: passes if the command succeeds.
ok() {
    _d=$1
    shift
    "$@"
    _report $? "$_d"
}

# is WANT SEEN DESC: passes if the two strings are equal.
is() {
    if [ "$1" = "$2" ]; then
        _report 0 "$3"
    else
        _report 1 "$3"
        diag "  wanted: $1"
        diag "  seen:   $2"
        return 1
    fi
}

# contains FILE TEXT DESC: passes if FILE contains TEXT (fixed string).
contains() {
    if grep -qF -- "$2" "$1" 2>/dev/null; then
        _report 0 "$3"
    else
        _report 1 "$3"
        diag "  '$2' not found in:"
        diag_file "$1"
        return 1
    fi
}

# lacks FILE TEXT DESC: passes if FILE does not contain TEXT.
lacks() {
    if grep -qF -- "$2" "$1" 2>/dev/null; then
        _report 1 "$3"
        diag "  unexpected '$2' in:"
        diag_file "$1"
        return 1
    else
        _report 0 "$3"
    fi
}

# skip REASON: reports a skipped test.
skip() {
    _tap_run=$((_tap_run + 1))
    echo "ok $_tap_run # skip $*"
}

# run_sim ARGS...: runs the program; sets $rc, fills $out and $err.
run_sim() {
    "$REVGUARD_SIM" "$@" >"$out" 2>"$err"
    rc=$?
    return 0
}

# exit_is WANT DESC: checks $rc of the last run_sim; shows stderr on failure.
exit_is() {
    if [ "$rc" -eq "$1" ]; then
        _report 0 "$2"
    else
        _report 1 "$2"
        diag "  exit status $rc, wanted $1; stderr:"
        diag_file "$err"
        return 1
    fi
}

# need_program: bails out unless the program exists.
need_program() {
    [ -x "$REVGUARD_SIM" ] || bail "$REVGUARD_SIM not built (run make first)"
}

# h5dump_data FILE: the file's contents without its name and the "created"
# attribute, floats at full precision.
h5dump_data() {
    "$H5DUMP" -m '%.17g' "$1" | sed 1d | awk '
        skip { n = gsub(/\{/, "{"); m = gsub(/\}/, "}"); depth += n - m
               if (depth <= 0) skip = 0
               next }
        /ATTRIBUTE "created" \{/ { skip = 1; depth = 1; next }
        { print }'
}
