#!/bin/bash
# tests/integration/placement.sh — where rilld puts the realtime threads
# (engine/placement.c, doc/design.md "Where the realtime threads run").
#
# 1. --affinity auto (the default): a chain a -> b -> c runs on one CPU, the
#    realtime thread of each of a, b, c pinned to it; a second, independent
#    source d (a parallel branch) that does real work (1400 us of CPU per
#    256-frame cycle, more than the quarter period a core takes of
#    branches) is pinned to another CPU once rilld has measured it; one of
#    the two is the engine's (rilld's realtime thread is pinned too). A third
#    source e that does nothing is not spread: it joins the chain's CPU.
#    Audio still flows through the chain bit-exact.
#    Then a pass client s joins the chain (b -> s -> c) and, after 300
#    cycles, spins in its process callback (a hung plugin) on the core of
#    a and b: rilld must unpin every client thread within a few periods so
#    that a and b, starved there at the same SCHED_FIFO priority, move to
#    another core and keep running (only s is removed, after -t 5000 ms);
#    once s exits and the graph is quiet, the chain is pinned again.
# 2. --affinity off: no realtime thread is pinned.
# 3. a bad --affinity value is refused with a message naming auto and off.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"

all_cpus=$(awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status)
ncpus=$(nproc)
[ "$ncpus" -ge 2 ] || skip "one CPU: nothing to place"

# pinned PID: the CPU lists of PID's threads that differ from its main
# thread's (the threads rilld pinned), one per line
pinned() {
    local main t
    main=$(awk '/^Cpus_allowed_list:/ { print $2 }' "/proc/$1/status")
    for t in /proc/"$1"/task/*; do
        awk -v m="$main" '/^Cpus_allowed_list:/ && $2 != m { print $2 }' "$t/status" 2>/dev/null
    done
}
# the CPU the one pinned thread of PID is on, or "" unless exactly one
pinned_one() {
    local p
    p=$(pinned "$1")
    [ "$(printf '%s\n' "$p" | grep -c .)" = 1 ] && printf '%s' "$p"
}

# ---- 1. auto. SCHED_FIFO priority 5 (clients 4): the spinning client of
# 1b then never takes a core from the realtime threads of a test that runs
# beside this one (make -j2 check), whose clients have priority 19.
# -t 5000: s spins for 5 s before rilld removes it, long enough to measure
# a and b over a second while it spins (their status files are rewritten
# every 100 ms by a normal thread, late by tens of ms on a loaded machine;
# with the spinner on one core and the tests beside this one on the other,
# the polls around that second took more than the 2 s given before).
rill_start "$RILL_SERVER" -P 5 -t 5000 -d dummy -r 48000 -p 256
engine_cpu=$(pinned_one "$RILLD_PID")
[ -n "$engine_cpu" ] || fail "rilld's realtime thread is not pinned to one CPU: $(pinned "$RILLD_PID" | tr '\n' ' ')"
case $engine_cpu in *[!0-9]*) fail "rilld's realtime thread runs on '$engine_cpu', not one CPU" ;; esac
chain_start source a
chain_start pass b
chain_start sink c --latency 0
chain_start source d --busy-us 1400
chain_start source e
expect_rc 0 rctl connect a:out b:in
expect_rc 0 rctl connect b:out c:in
same_cpu() {
    local x
    x=$(pinned_one "${CHAIN_PID[a]}") && [ -n "$x" ] &&
        [ "$(pinned_one "${CHAIN_PID[b]}")" = "$x" ] &&
        [ "$(pinned_one "${CHAIN_PID[c]}")" = "$x" ] && CHAIN_CPU=$x
}
wait_for same_cpu 5 || fail "a, b, c are not pinned to one CPU: a=[$(pinned "${CHAIN_PID[a]}" | tr '\n' ' ')] b=[$(pinned "${CHAIN_PID[b]}" | tr '\n' ' ')] c=[$(pinned "${CHAIN_PID[c]}" | tr '\n' ' ')]"
# d is weighed on rilld's housekeeping ticks and placed again every 2 s
spread() {
    same_cpu && D_CPU=$(pinned_one "${CHAIN_PID[d]}") && [ -n "$D_CPU" ] && [ "$D_CPU" != "$CHAIN_CPU" ]
}
wait_for spread 10 ||
    fail "d (1400 us of work per cycle) does not run on a CPU of its own: chain on CPU ${CHAIN_CPU:-?}, d=[$(pinned "${CHAIN_PID[d]}" | tr '\n' ' ')]"
d_cpu=$D_CPU
[ "$engine_cpu" = "$CHAIN_CPU" ] || [ "$engine_cpu" = "$d_cpu" ] ||
    fail "the engine's CPU $engine_cpu is neither the chain's ($CHAIN_CPU) nor d's ($d_cpu)"
e_cpu=$(pinned_one "${CHAIN_PID[e]}")
[ "$e_cpu" = "$CHAIN_CPU" ] ||
    fail "e (a source that does nothing) is on CPU [${e_cpu:-$(pinned "${CHAIN_PID[e]}" | tr '\n' ' ')}], not with the chain on CPU $CHAIN_CPU: a trivial branch should not be spread"
info "engine on CPU $engine_cpu, chain a -> b -> c and e on CPU $CHAIN_CPU, d on CPU $d_cpu (allowed: $all_cpus)"
ok0=$(chain_get c ok)
wait_for "[ \$(chain_get c ok) -ge $((ok0 + 50)) ]" 10 || fail "c stopped seeing the chain's signal: $(chain_status c)"
check_audio c 50

# ---- 1b. a client that spins on the chain's core
chain_start pass s --spin-after 300
expect_rc 0 rctl disconnect b:out c:in
expect_rc 0 rctl connect b:out s:in
expect_rc 0 rctl connect s:out c:in
wait_for "[ \"\$(pinned_one ${CHAIN_PID[s]})\" = $CHAIN_CPU ]" 5 ||
    fail "s (after b) is not pinned to the chain's CPU $CHAIN_CPU: [$(pinned "${CHAIN_PID[s]}" | tr '\n' ' ')]"
wait_for "[ \$(chain_get s cycles) -ge 300 ]" 10 || fail "s never reached 300 cycles: $(chain_status s)"
# s now spins; rilld unpins the clients once a has been late for a few
# periods. From then on a and b must run, on the other core: over one
# second (187 periods) while s still spins, at least a third of the cycles.
if grep -q "ready:.* realtime," "$RILLD_LOG"; then
    wait_for "grep -q 'every client.s realtime thread is unpinned' '$RILLD_LOG'" 3 ||
        fail "rilld did not log unpinning the clients: $(tail -5 "$RILLD_LOG")"
else
    sleep 0.2 # normal threads: nothing to unpin, the scheduler shares the core
fi
a0=$(chain_get a cycles) b0=$(chain_get b cycles)
sleep 1
a1=$(chain_get a cycles) b1=$(chain_get b cycles)
client_listed s || fail "s was removed before the second of measuring ended (rilld -t 5000): $(tail -3 "$RILLD_LOG")"
[ "$a1" -ge $((a0 + 60)) ] && [ "$b1" -ge $((b0 + 60)) ] ||
    fail "a or b stalled while s spun: in 1 s (187 periods) a $a0 -> $a1, b $b0 -> $b1; at least 60 each expected"
info "while s spun, in 1 s: a ran $((a1 - a0)) cycles, b $((b1 - b0)) (the second is about 187 periods)"
wait_for "! client_listed s" 10 || fail "s (spinning) was not removed: $(rctl clients)"
for n in a b c; do
    client_listed "$n" || fail "$n was removed while s spun on its core: $(tail -5 "$RILLD_LOG")"
done
info "while s spun: $(grep -m1 "unpinned" "$RILLD_LOG" | sed 's/^rilld: //')"
# removed by rilld: s is told (its shutdown callback, on a normal thread that
# may run late on a loaded machine, marks its status) and exits 3 once a
# signal ends its spin. s's own realtime thread still spins, at SCHED_FIFO,
# on one core while the tests beside this one fill the other: its normal
# threads then get little more than the kernel's 5 % for them, hence 20 s
wait_for "grep -q shutdown=1 '$RILL_TMP/s.status'" 20 || fail "s was not told it was removed: $(chain_status s)"
chain_stop s TERM 3
sleep 0.3
for n in a b c; do client_listed "$n" || fail "$n was removed after s's spin: $(tail -5 "$RILLD_LOG")"; done
expect_rc 0 rctl connect b:out c:in
wait_for same_cpu 30 || fail "the chain was not pinned again after s left: a=[$(pinned "${CHAIN_PID[a]}" | tr '\n' ' ')] b=[$(pinned "${CHAIN_PID[b]}" | tr '\n' ' ')] c=[$(pinned "${CHAIN_PID[c]}" | tr '\n' ' ')]; $(tail -3 "$RILLD_LOG")"
info "pinned again: $(grep -m1 "pinned again" "$RILLD_LOG" | sed 's/^rilld: //')"
check_audio c 50
for n in a b c d e; do chain_stop "$n"; done
rill_stop

# ---- 2. off
rill_start "$RILL_SERVER" --affinity off -d dummy -r 48000 -p 256
chain_start source a
chain_start sink c --latency 0
expect_rc 0 rctl connect a:out c:in
sleep 0.3
for p in "$RILLD_PID" "${CHAIN_PID[a]}" "${CHAIN_PID[c]}"; do
    [ -z "$(pinned "$p")" ] || fail "--affinity off: process $p has pinned threads: $(pinned "$p" | tr '\n' ' ')"
done
chain_wait_key c ok 50 10 || fail "c saw too few correct cycles with --affinity off: $(chain_status c)"
for n in a c; do chain_stop "$n"; done
rill_stop

# ---- 3. bad value
expect_rc 2 "$RILLD" -n "$RILL_SERVER" --affinity sometimes -d dummy
expect_out "affinity.*sometimes.*auto.*off" "an error naming the value and auto/off"
info "ok"
