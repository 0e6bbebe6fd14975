#!/bin/sh
# completion.sh: the bash completion (contrib/bash-completion/revguard-sim)
# sourced in bash, with bash-completion's library first when it is
# installed: commands, a command's options, scenario files, model names and
# the variants of the scenario on the command line.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
command -v bash >/dev/null 2>&1 || skip_all "no bash"
lib=
for f in /usr/share/bash-completion/bash_completion /etc/bash_completion; do
    [ -f "$f" ] && lib=$f && break
done
[ -n "$lib" ] || skip_all "bash-completion is not installed"
plan 8

# complete WORD...: what the completion offers for the last word (one a
# line, sorted), run in the source tree so scenarios/ is there.
complete_words() {
    (cd "$top_srcdir" && bash -c '
        . "$1" >/dev/null 2>&1
        . contrib/bash-completion/revguard-sim
        shift
        COMP_WORDS=("$@")
        COMP_CWORD=$(($# - 1))
        COMP_LINE="$*"
        _revguard_sim
        printf "%s\n" "${COMPREPLY[@]}"' bash "$lib" "$REVGUARD_SIM" "$@") | sort
}

complete_words "" >"$out"
ok "the commands" grep -qx sweep "$out"
complete_words run --check >"$out"
is "--check-determinism" "$(cat "$out")" "run --check completes to --check-determinism"
complete_words report -- >"$out"
is "--help --output" "$(echo $(cat "$out"))" "report offers only its own options"
complete_words run scenarios/drop125-w >"$out"
is "scenarios/drop125-window.ini" "$(cat "$out")" "a scenario file"
complete_words models d >"$out"
is "drop" "$(cat "$out")" "a model's name"
complete_words trace scenarios/drop125.ini --variant sql_ >"$out"
is "sql_conditional sql_locked sql_naive" "$(echo $(cat "$out"))" "variant names read from the file"
complete_words run scenarios/drop125.ini --variant object,sql_n >"$out"
is "object,sql_naive" "$(cat "$out")" "a second variant after a comma"
complete_words run scenarios/drop125.ini --set variant.sql_n >"$out"
is "variant.sql_naive." "$(cat "$out")" "--set offers the file's sections"
