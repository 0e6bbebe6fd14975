#!/bin/sh
# spill.sh: a large run keeps its rows in an unnamed file beside the
# results instead of in memory (rg_results_spill), and gets exactly the
# same results.  REVGUARD_SPILL_MIN sets the size from which rows are
# spilled: 1 spills every run, a huge value none.  Checks the HDF5 contents
# (every dataset and attribute but "created") and the CSV of a spilled and
# an in-memory run of drop125 are the same, that nothing is left beside
# the results, that a spilled run's peak memory is lower by at least half
# the rows' size, that a rows' file without room fails the run cleanly,
# and that a malformed REVGUARD_SPILL_MIN is refused.  Reading a results
# file (check, report) spills its table the same way, beside the file,
# and reads the file through an unnamed copy there, with the same
# outputs, a lower peak, nothing left behind, and memory where the table
# or the copy cannot get its space.
. "${top_srcdir:-$(dirname "$0")/..}/tests/lib.sh"

need_program
plan 38
scn=$top_srcdir/scenarios/drop125.ini
cd "$tmpdir" || bail "cannot cd to $tmpdir"
never=99999999999999

mkdir mem spill
REVGUARD_SPILL_MIN=$never run_sim run "$scn" -n 300 -j2 -q -o mem/r.h5 --csv mem/r.csv \
    --write-expect r.exp
exit_is 0 "an in-memory run exits 0"
REVGUARD_SPILL_MIN=1 run_sim run "$scn" -n 300 -j2 -q -o spill/r.h5 --csv spill/r.csv
exit_is 0 "a spilled run exits 0"
ok "the CSV of the spilled run is the in-memory run's" cmp mem/r.csv spill/r.csv
is "r.csv r.h5" "$(ls -A spill | tr '\n' ' ' | sed 's/ $//')" \
    "nothing is left beside the results of a spilled run"
if [ -n "$H5DUMP" ] && [ -x "$H5DUMP" ]; then
    h5dump_data mem/r.h5 >mem.dump 2>mem.err
    h5dump_data spill/r.h5 >spill.dump 2>spill.err
    ok "h5dump reads the spilled run's file" grep -q 'DATASET "summary"' spill.dump
    ok "the spilled run's HDF5 contents are the in-memory run's (summaries included)" \
        cmp mem.dump spill.dump
else
    skip "h5dump not installed (Debian package hdf5-tools)"
    skip "h5dump not installed (Debian package hdf5-tools)"
fi

# Reading: check and report with the table in a file are as in memory.
REVGUARD_SPILL_MIN=$never "$REVGUARD_SIM" check mem/r.h5 r.exp >check.mem 2>&1
REVGUARD_SPILL_MIN=$never run_sim check mem/r.h5 r.exp
mem_out=$out
REVGUARD_SPILL_MIN=1 run_sim check mem/r.h5 r.exp
exit_is 0 "check of a results file with its table spilled exits 0"
is "$mem_out" "$out" "and prints what check in memory prints"
if command -v gnuplot >/dev/null 2>&1 || [ -n "${REVGUARD_GNUPLOT:-}" ]; then
    REVGUARD_SPILL_MIN=$never run_sim report mem/r.h5 -o rep.mem
    REVGUARD_SPILL_MIN=1 run_sim report mem/r.h5 -o rep.spill
    exit_is 0 "report with the table spilled exits 0"
    ok "and writes the summary and the plots' data of the report in memory" \
        sh -c 'for f in rep.mem/*.csv rep.mem/*.dat; do cmp "$f" "rep.spill/${f#rep.mem/}" || exit 1; done'
else
    skip "gnuplot not available (Debian package gnuplot-nox)"
    skip "gnuplot not available (Debian package gnuplot-nox)"
fi
is "r.csv r.h5" "$(ls -A mem | tr '\n' ' ' | sed 's/ $//')" \
    "nothing is left beside a results file read with its table spilled"
# No room for the table's file: read in memory, as before.
(
    ulimit -f 100
    REVGUARD_SPILL_MIN=1 "$REVGUARD_SIM" check mem/r.h5 r.exp >check.full 2>&1
    echo $? >check.rc
)
ok "a table that cannot get its file's space is read in memory" \
    sh -c 'test "$(cat check.rc)" = 0 && cmp -s check.full check.mem'

# An output in the current directory spills there.
REVGUARD_SPILL_MIN=1 run_sim run "$scn" -n 20 -j1 -q -o here.h5
exit_is 0 "a spilled run into the current directory exits 0"

# Replications joined to earlier ones, by --extend and in --until-ci's
# batches, join them in the rows' file: the same results as in memory.
if [ -n "$H5DUMP" ] && [ -x "$H5DUMP" ]; then
    cp mem/r.h5 mem/x.h5
    cp mem/r.h5 spill/x.h5
    REVGUARD_SPILL_MIN=$never "$REVGUARD_SIM" run "$scn" -n 600 -j2 -q --extend mem/x.h5 \
        -o mem/x.h5 --force >/dev/null 2>&1
    REVGUARD_SPILL_MIN=1 run_sim run "$scn" -n 600 -j2 -q --extend spill/x.h5 -o spill/x.h5 --force
    h5dump_data mem/x.h5 >xmem.dump 2>&1
    h5dump_data spill/x.h5 >xspill.dump 2>&1
    ok "an extension with its rows spilled exits 0 and writes what one in memory writes" \
        sh -c "test $rc = 0 && grep -q 'replications_done' xspill.dump && cmp xmem.dump xspill.dump"
    set -- "$scn" --until-ci lat_p99=2ms --min-reps 100 --max-reps 700 -j2 -q --force
    REVGUARD_SPILL_MIN=$never "$REVGUARD_SIM" run "$@" -o mem/u.h5 >/dev/null 2>&1
    REVGUARD_SPILL_MIN=1 run_sim run "$@" -o spill/u.h5
    h5dump_data mem/u.h5 >umem.dump 2>&1
    h5dump_data spill/u.h5 >uspill.dump 2>&1
    ok "--until-ci's batches joined spilled write what they write in memory" \
        sh -c "test $rc = 0 && grep -q 'replications_done' uspill.dump && cmp umem.dump uspill.dump"
    rm -f mem/x.h5 spill/x.h5 mem/u.h5 spill/u.h5
    # A sweep's points spill as runs do, and so does reading them back.
    set -- "$top_srcdir/scenarios/drop125-window.ini" --vary 'window=10ms, 1s' -n 200 -j2 -q
    REVGUARD_SPILL_MIN=$never "$REVGUARD_SIM" sweep "$@" -o mem/s.h5 --write-expect s.exp \
        >/dev/null 2>&1
    REVGUARD_SPILL_MIN=1 run_sim sweep "$@" -o spill/s.h5
    h5dump_data mem/s.h5 >smem.dump 2>&1
    h5dump_data spill/s.h5 >sspill.dump 2>&1
    ok "a sweep with its points' rows spilled writes what one in memory writes" \
        sh -c "test $rc = 0 && grep -q 'sweep_summary' sspill.dump && cmp smem.dump sspill.dump"
    REVGUARD_SPILL_MIN=$never "$REVGUARD_SIM" check mem/s.h5 s.exp >scheck.mem 2>&1
    REVGUARD_SPILL_MIN=1 "$REVGUARD_SIM" check mem/s.h5 s.exp >scheck.spill 2>&1
    ok "check of a sweep read spilled prints what it prints in memory" \
        sh -c 'grep -q "point 1" scheck.spill && cmp scheck.mem scheck.spill'
    is "r.csv r.h5 s.h5" "$(ls -A spill | tr '\n' ' ' | sed 's/ $//')" \
        "nothing is left beside a spilled sweep"
    rm -f mem/s.h5 spill/s.h5
else
    for i in 1 2 3 4 5; do skip "h5dump not installed (Debian package hdf5-tools)"; done
fi

# Where the test directory is itself in memory (a tmpfs /tmp), nothing
# spills, by design: the checks that need a spill are skipped there.
in_memory=
case $(stat -f -c %T . 2>/dev/null) in
tmpfs | ramfs) in_memory="the test directory is in memory (tmpfs), where nothing spills" ;;
esac

# Peak memory: 30,000 replications of drop125 hold about 36 MB of rows.
if [ -n "$in_memory" ]; then
    for i in 1 2 3 4 5 6 7 8 9; do skip "$in_memory"; done
elif [ -x /usr/bin/time ]; then
    REVGUARD_SPILL_MIN=$never /usr/bin/time -f %M -o mem.kb \
        "$REVGUARD_SIM" run "$scn" -n 30000 -j2 -q -o mem/big.h5 >/dev/null 2>&1
    REVGUARD_SPILL_MIN=1 /usr/bin/time -f %M -o spill.kb \
        "$REVGUARD_SIM" run "$scn" -n 30000 -j2 -q -o spill/big.h5 >/dev/null 2>&1
    m=$(tail -n 1 mem.kb)
    s=$(tail -n 1 spill.kb)
    diag "peak resident memory, 30,000 replications: $m KB in memory, $s KB spilled"
    ok "the spilled run's peak is lower by at least half the rows (18 MB)" \
        test "$((s + 18000))" -lt "$m"
    ok "both big runs wrote their results" test -s mem/big.h5 -a -s spill/big.h5
    REVGUARD_SPILL_MIN=$never /usr/bin/time -f %M -o rmem.kb \
        "$REVGUARD_SIM" check mem/big.h5 r.exp >/dev/null 2>&1
    REVGUARD_SPILL_MIN=1 /usr/bin/time -f %M -o rspill.kb \
        "$REVGUARD_SIM" check mem/big.h5 r.exp >/dev/null 2>&1
    m=$(tail -n 1 rmem.kb)
    s=$(tail -n 1 rspill.kb)
    f=$(($(wc -c <mem/big.h5) / 2048)) # half the file, in KB
    diag "peak resident memory, check of 30,000 replications: $m KB in memory, $s KB spilled"
    ok "reading spilled (the table, and the file's copy) peaks lower by half the rows and half the file ($((18000 + f)) KB)" \
        test "$((s + 18000 + f))" -lt "$m"
    # What that check wrote to disk: the file's copy once (its look at the
    # root and its read share it) and the table once (the vetting child
    # passes it through memory), about 1.9 times the file, not 3.9.
    REVGUARD_SPILL_MIN=1 /usr/bin/time -f %O -o rspill.io \
        "$REVGUARD_SIM" check mem/big.h5 r.exp >/dev/null 2>&1
    w=$(($(tail -n 1 rspill.io) / 2)) # KB
    diag "written by that check: $w KB for a file of $((f * 2)) KB"
    ok "reading spilled writes the file's copy and the table once each (< 2.5 x the file)" \
        test "$w" -lt "$((f * 5))"
    # A run over an existing results file looks at its root in place to
    # tell it is ours: the old file is never copied, however large.
    cp mem/big.h5 over.h5
    REVGUARD_SPILL_MIN=1 /usr/bin/time -f %O -o over.io \
        "$REVGUARD_SIM" run "$scn" -n 5 -j1 -q -o over.h5 >/dev/null 2>&1
    w=$(($(tail -n 1 over.io) / 2))
    diag "written by a run of 5 replications over a results file of $((f * 2)) KB: $w KB"
    ok "a run over an existing results file does not copy it (< 4 MB written)" test "$w" -lt 4096
    rm -f over.h5
    # Merging three parts of the same 30,000: the whole run's rows are made
    # once, in a file beside the output, and each part's go back to their
    # file as they are joined (with three, the second part joins a whole
    # that is not yet full).
    for k in 1 2 3; do
        REVGUARD_SPILL_MIN=$never "$REVGUARD_SIM" run "$scn" -n 30000 -j2 -q --shard "$k/3" \
            -o "part$k.h5" >/dev/null 2>&1
    done
    REVGUARD_SPILL_MIN=$never /usr/bin/time -f %M -o mmem.kb \
        "$REVGUARD_SIM" merge mem/merged.h5 part3.h5 part1.h5 part2.h5 >/dev/null 2>&1
    REVGUARD_SPILL_MIN=1 /usr/bin/time -f %M -o mspill.kb \
        "$REVGUARD_SIM" merge spill/merged.h5 part3.h5 part1.h5 part2.h5 >/dev/null 2>&1
    m=$(tail -n 1 mmem.kb)
    s=$(tail -n 1 mspill.kb)
    diag "peak resident memory, merge of 3 x 10,000 replications: $m KB in memory, $s KB spilled"
    ok "merging spilled peaks lower by the whole run's rows (36 MB)" test "$((s + 36000))" -lt "$m"
    if [ -n "$H5DUMP" ] && [ -x "$H5DUMP" ]; then
        h5dump_data mem/big.h5 >big.dump 2>&1
        h5dump_data spill/merged.h5 >merged.dump 2>&1
        ok "and writes the datasets and attributes of the run in one piece" \
            sh -c 'grep -q replications_done merged.dump && cmp big.dump merged.dump'
    else
        skip "h5dump not installed (Debian package hdf5-tools)"
    fi
    is "big.h5 merged.h5 r.csv r.h5" "$(ls -A spill | tr '\n' ' ' | sed 's/ $//')" \
        "nothing is left beside a merged file"
    # Ended by a signal while it reads its parts (0.3 s into a merge of
    # about 0.7 s), merge leaves no temporary beside its output.
    "$REVGUARD_SIM" merge spill/killed.h5 part2.h5 part1.h5 part3.h5 >/dev/null 2>&1 &
    pid=$!
    sleep 0.3
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    st=$?
    ok "a merge ended by SIGTERM leaves no temporary (exit status $st)" \
        test ! -e spill/killed.h5.tmp
    rm -f spill/killed.h5
    rm -f part1.h5 part2.h5 part3.h5 mem/merged.h5
else
    for i in 1 2 3 4 5 6 7 8 9; do skip "/usr/bin/time not installed (Debian package time)"; done
fi

# Under a --memory-limit below the rows' size: refused in memory, run when
# spilled (the rows are never allocated in memory first).
REVGUARD_SPILL_MIN=$never run_sim run "$scn" -n 30000 -j2 -q -o mem/lim.h5 --memory-limit 30M
exit_is 2 "rows in memory over --memory-limit are refused"
if [ -n "$in_memory" ]; then
    skip "$in_memory"
else
    REVGUARD_SPILL_MIN=1 run_sim run "$scn" -n 30000 -j2 -q -o spill/lim.h5 --memory-limit 30M
    exit_is 0 "spilled, the same run fits its --memory-limit"
fi

# No room for the rows' file (a file size limit): refused before the run.
if [ -n "$in_memory" ]; then
    skip "$in_memory"
    skip "$in_memory"
    skip "$in_memory"
else
    (
        ulimit -f 100
        REVGUARD_SPILL_MIN=1 "$REVGUARD_SIM" run "$scn" -n 2000 -q -o full.h5 >full.out 2>full.err
        echo $? >full.rc
    )
    is 1 "$(cat full.rc)" "a rows' file that cannot get its space fails the run (exit 1)"
    contains full.err "REVGUARD_SPILL_MIN" "the error says how to keep the rows in memory"
    ok "and nothing is written" test ! -e full.h5
fi

# A file is copied as it is on disk: a sparse one that claims 1 GB is not
# written out in full (blocks written, GNU time's %O), and a large file that
# is not HDF5 is refused before anything is copied.
if [ -x /usr/bin/time ] && [ -z "$in_memory" ]; then
    dd if=/dev/zero of=sparse.h5 bs=1 count=0 seek=1073741824 2>/dev/null
    printf '\211HDF\r\n\032\n' | dd of=sparse.h5 conv=notrunc 2>/dev/null
    REVGUARD_SPILL_MIN=1 /usr/bin/time -f %O -o sparse.io "$REVGUARD_SIM" check sparse.h5 r.exp \
        >sparse.out 2>sparse.err
    echo $? >sparse.rc
    diag "blocks written reading a sparse file of 1 GB: $(tail -n 1 sparse.io)"
    ok "a sparse file of 1 GB is refused (exit 2) and not copied in full (< 16 MB written)" \
        sh -c 'test "$(cat sparse.rc)" = 2 && test "$(tail -n 1 sparse.io)" -lt 32768'
    dd if=/dev/zero of=junk.h5 bs=1 count=0 seek=1073741824 2>/dev/null
    REVGUARD_SPILL_MIN=1 /usr/bin/time -f %O -o junk.io "$REVGUARD_SIM" check junk.h5 r.exp \
        >junk.out 2>junk.err
    echo $? >junk.rc
    ok "a large file that is not HDF5 is refused (exit 2) without a copy" \
        sh -c 'test "$(cat junk.rc)" = 2 && grep -q "not an HDF5 file" junk.err &&
               test "$(tail -n 1 junk.io)" -lt 64'
    rm -f sparse.h5 junk.h5
else
    skip "${in_memory:-/usr/bin/time not installed (Debian package time)}"
    skip "${in_memory:-/usr/bin/time not installed (Debian package time)}"
fi

REVGUARD_SPILL_MIN=lots run_sim run "$scn" -n 5 -q -o bad.h5
exit_is 2 "a malformed REVGUARD_SPILL_MIN is refused"
contains "$err" "REVGUARD_SPILL_MIN" "the error names the variable"
ok "and nothing is written" test ! -e bad.h5
REVGUARD_SPILL_MIN=lots run_sim check mem/r.h5 r.exp
exit_is 2 "reading, too, refuses a malformed REVGUARD_SPILL_MIN"
