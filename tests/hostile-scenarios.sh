#!/bin/sh
# hostile-scenarios.sh: scenarios and --set values that were accepted
# silently, hung or took minutes are clear errors (exit 2) or fast.
. "${top_srcdir:-.}/tests/lib.sh"
need_program
plan 32

mm1=$top_srcdir/scenarios/mm1.ini
cd "$tmpdir" || bail "cannot enter $tmpdir"

# A chain of long delays reaches the end of simulated time: an error, not
# NaN with exit 0.
run_sim run "$mm1" -n 2 -q -o eot.h5 --set 'variant.rho_0.5.arrival=exp(mean=200h)'
exit_is 2 "arrivals 200 h apart: the end of simulated time is an error"
contains "$err" "simulated time reached its end" "... saying so"
ok "... and nothing is written" test ! -e eot.h5

run_sim validate "$mm1" --set 'queue.service=mix(1e308: const(1s), 1e308: const(2s))'
exit_is 2 "mix weights whose sum overflows are refused"
run_sim validate "$mm1" --set 'queue.service=mix(inf: const(1s), 1: const(2s))'
exit_is 2 "an infinite mix weight is refused"

cat >shadow.ini <<'INI'
[scenario]
name = shadow
model = queue
[queue]
servers = 1
service = exp(mean=1s)
customers = 100
warmup = 10
[variant.a]
servers = 2
arrival = exp(mean=2s)
INI
run_sim validate shadow.ini
exit_is 0 "a shared value every variant overrides"
run_sim validate shadow.ini --set queue.servers=banana
exit_is 2 "... is still parsed: --set queue.servers=banana is refused"
contains "$err" "[queue] servers" "... naming the shared key"

printf '[scenario]\nname = u\ndescription = caf\351\nmodel = queue\n' >latin1.ini
run_sim validate latin1.ini
exit_is 2 "a scenario that is not UTF-8 is refused"
contains "$err" "latin1.ini:3" "... at its line"
run_sim validate "$mm1" --set "scenario.name=$(printf 'a\377b')"
exit_is 2 "a --set value that is not UTF-8 is refused"
run_sim validate "$mm1" --set "scenario.description=$(printf '%0300d' 0)"
exit_is 2 "a --set value longer than a scenario line is refused"

printf '[scenario]\nname = w\nmodel = drop\n[workload\nbuyers = 10\n\n\nbuyers = 3\n' >open.ini
run_sim validate open.ini
exit_is 2 "an unclosed [workload"
contains "$err" "open.ini:4: section header" "... is reported at its own line"

mkdir adir
mkfifo apipe
for cmd in validate run; do
    for f in adir apipe; do
        rc=0
        timeout 20 "$REVGUARD_SIM" $cmd $f -q >"$out" 2>"$err" || rc=$?
        exit_is 2 "$cmd on a $(echo $f | cut -c2-): exit 2, no hang"
    done
done
run_sim run "$mm1" -n 2 -q -o x.h5
rc=0
timeout 20 "$REVGUARD_SIM" check x.h5 apipe >"$out" 2>"$err" || rc=$?
exit_is 2 "check with a FIFO: exit 2, no hang"
rc=0
timeout 20 "$REVGUARD_SIM" report apipe >"$out" 2>"$err" || rc=$?
exit_is 2 "report on a FIFO: exit 2, no hang"

# Parsing in linear time (it took 27 s and 42 s).
awk 'BEGIN { print "[scenario]\nname = mv\nmodel = queue\n[queue]\nservice = exp(mean=1s)\ncustomers = 10\nwarmup = 1"
             for (i = 0; i < 16000; i++) printf "[variant.v%d]\narrival = exp(mean=2s)\n", i }' >many.ini
start=$(date +%s)
run_sim validate many.ini
exit_is 0 "16,000 variant sections validate"
diag "took $(($(date +%s) - start)) s (a figure, not a test: the machines are noisy)"
awk 'BEGIN { print "[scenario]\nname = mk\nmodel = queue\n[queue]\nservice = exp(mean=1s)\narrival = exp(mean=2s)"
             for (i = 0; i < 100000; i++) printf "k%d = 1\n", i }' >keys.ini
start=$(date +%s)
run_sim validate keys.ini
exit_is 2 "100,000 unknown keys are refused"
diag "took $(($(date +%s) - start)) s (a figure, not a test: the machines are noisy)"

# --memory-limit: a run that will not fit is refused before it starts.
run_sim run "$mm1" -n 10 -q -o mem.h5 --memory-limit 1K
exit_is 2 "a run over --memory-limit is refused"
contains "$err" "2 kB of results" "... with the estimate"
# a drop's estimate counts its buyers and requests (about 920 MB here)
run_sim run "$top_srcdir/scenarios/sneaker-drop.ini" -n 1 -j 1 -q -o mem.h5 \
    --set workload.buyers=1000000 --memory-limit 100M
exit_is 2 "a drop of 10^6 buyers over a 100 MB limit is refused before it starts"
contains "$err" "MB for each of 1 workers: its stack and a replication of variant" "... with its estimate per replication"
ok "... writing nothing" test ! -e mem.h5
# with --variant, the estimate is that of the variants that will run
run_sim run "$top_srcdir/scenarios/sneaker-drop.ini" -n 1 -j 1 -q -o mem.h5 \
    --set workload.buyers=1000000 --memory-limit 100M --variant era3_objects
contains "$err" "a replication of variant era3_objects" "--variant: the estimate is the chosen variant's"
# ... and its stores: one object per buyer (shard = session) takes about
# 2.5 kB each, which the estimate once left out (64 MB estimated, 290 MB used)
cat >objsess.ini <<'EOF'
[scenario]
name = objsess
model = drop
[network]
regions = us-east, us-west
[workload]
buyers = 100000
stock = 100
skus = 1
arrival = burst(window=1s)
regions = us-east:0.5, us-west:0.5
[variant.sess]
kind = object
shard = session
EOF
run_sim run objsess.ini -n 1 -j 1 -q -o mem.h5 --memory-limit 200M
exit_is 2 "an object per buyer for 10^5 buyers over a 200 MB limit is refused before it starts"
# ... and the protections' state when it lives in the KV (two keys a client)
run_sim run "$top_srcdir/scenarios/guardrail.ini" -n 1 -j 1 -q -o mem.h5 --variant full \
    --set workload.buyers=100000 --set protection.state=kv --set clients.bot_attempts=3 \
    --set clients.bot_want=1 --memory-limit 180M
exit_is 2 "protections kept in the KV for 10^5 buyers over a 180 MB limit are refused before they start"
run_sim run "$mm1" -n 10 -q -o mem.h5 --memory-limit banana
exit_is 2 "--memory-limit banana is a usage error"
run_sim run "$mm1" --until-ci wait_mean_s=1 --max-reps banana -q -o mr.h5
exit_is 2 "--max-reps banana is a usage error (it was ignored)"
