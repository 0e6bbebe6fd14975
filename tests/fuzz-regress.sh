#!/bin/sh
# fuzz-regress.sh: every input the fuzzer ever crashed on, and a fixed set of
# malformed scenarios, must give a clean error: exit code 2 and a message,
# never a crash (exit >= 128 or a sanitizer report).
bin=${REVGUARD_SIM:-./revguard-sim}
src=${top_srcdir:-.}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Malformed scenarios made here (issue 7's list).
printf '[scenario]\nmodel = drop\nname = trunc\n[variant.a]\nkind = obj' > "$tmp/truncated.ini"
# binary garbage, the same bytes every run
awk 'BEGIN { srand(7); for (i = 0; i < 3000; i++) printf "%c", int(rand() * 256) }' >"$tmp/garbage.ini"
printf '[scenario]\nmodel = drop\n[workload]\nbuyers = 99999999999999999999999\n[variant.a]\nkind = object\n' > "$tmp/huge.ini"
printf '[scenario]\nmodel = drop\n[workload]\nbuyers = 1e999\n[variant.a]\nkind = object\n' > "$tmp/huge2.ini"
printf '[scenario]\nmodel = drop\n[network]\nloss = nan\n[variant.a]\nkind = object\n' > "$tmp/nan.ini"
printf '[scenario]\nmodel = drop\n[object]\nflush = exp(mean=nan)\n[variant.a]\nkind = object\n' > "$tmp/nan2.ini"
printf '[scenario]\nmodel = drop\nmodel = queue\n' > "$tmp/duplicate.ini"
: > "$tmp/empty.ini"
printf '[scenario]\nmodel = drop\n[variant.a]\nkind = object\nhandler = const(99999999999h)\n' > "$tmp/overflow.ini"

files="$tmp/truncated.ini $tmp/garbage.ini $tmp/huge.ini $tmp/huge2.ini $tmp/nan.ini $tmp/nan2.ini $tmp/duplicate.ini $tmp/empty.ini $tmp/overflow.ini"
for f in "$src"/tests/fuzz/crashes/*; do
    [ -f "$f" ] && files="$files $f"
done
n=0
for f in $files; do n=$((n + 1)); done
echo "1..$n"
i=0
for f in $files; do
    i=$((i + 1))
    "$bin" validate "$f" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ $rc -eq 2 ] && [ -s "$tmp/err" ] && ! grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
        echo "ok $i - $(basename "$f"): exit 2: $(head -c 120 "$tmp/err" | tr '\n' ' ')"
    else
        echo "not ok $i - $(basename "$f"): exit $rc"
        sed 's/^/# /' "$tmp/err" | head -5
    fi
done
