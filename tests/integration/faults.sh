#!/bin/bash
# tests/integration/faults.sh — one broken client never stalls the others.
#
#   chain A: srcA -> p1 -> p2 -> p3 -> snkA
#   chain B: srcB -> snkB            (independent)
#
# 1. SIGKILL p2: within 2 s its ports and client are gone; chain B keeps
#    carrying audio with no bad cycle; srcA, p1, p3 and snkA keep cycling.
# 2. SIGSTOP p1 (rilld -t 500): the graph keeps running meanwhile (the engine
#    bypasses p1); within 3 s p1 is removed; SIGCONT: p1 learns it was shut
#    down and exits 3.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
rill_start "$RILL_SERVER" -t 500 -d dummy -r 48000 -p 256

chain_start source srcA
chain_start pass p1 --connect-from srcA:out
chain_start pass p2 --connect-from p1:out
chain_start pass p3 --connect-from p2:out
chain_start sink snkA --connect-from p3:out
chain_start source srcB
chain_start sink snkB --connect-from srcB:out

chain_wait_key snkA ok 50 5 || fail "chain A carries no audio: $(chain_status snkA)"
chain_wait_key snkB ok 50 5 || fail "chain B carries no audio: $(chain_status snkB)"
check_audio snkA 50
check_audio snkB 50

# cycles of every client in $@, as "name=N ..."
snapshot() {
    local c s=
    for c in "$@"; do s="$s $c=$(chain_get "$c" cycles)"; done
    echo "$s"
}
# fail unless every client in $@ ran more cycles than in the snapshot $SNAP
advanced() {
    local c before
    for c in "$@"; do
        before=$(printf '%s\n' "$SNAP" | tr ' ' '\n' | sed -n "s/^$c=//p")
        [ "$(chain_get "$c" cycles)" -gt "$before" ] ||
            fail "$c stopped cycling ($before -> $(chain_get "$c" cycles) cycles)"
    done
}

# ---- 1. SIGKILL p2
okB=$(chain_get snkB ok)
kill -KILL "${CHAIN_PID[p2]}"
wait_exit "${CHAIN_PID[p2]}" 2
wait_for '! port_exists p2:in && ! port_exists p2:out' 2 ||
    fail "p2's ports still listed 2 s after SIGKILL: $(rctl ports)"
wait_for '! client_listed p2' 2 || fail "p2 still listed by rillctl clients: $(rctl clients)"
ports_connected p1:out p2:in && fail "p1:out -> p2:in still listed"
info "p2 killed: its ports are gone"
SNAP=$(snapshot srcA p1 p3 snkA srcB snkB)
sleep 1
advanced srcA p1 p3 snkA srcB snkB
[ "$(chain_get snkB ok)" -ge $((okB + 100)) ] ||
    fail "chain B slowed down after p2 was killed (ok $okB -> $(chain_get snkB ok) in > 1 s)"
check_audio snkB 100
[ "$(chain_get snkA bad)" = 0 ] || fail "snkA saw bad cycles around p2's death: $(chain_status snkA)"
info "after the kill: snkA $(chain_status snkA)"

# ---- 2. SIGSTOP p1: bypassed at once, removed after the 500 ms timeout
okB=$(chain_get snkB ok)
cyclesA=$(chain_get snkA cycles)
kill -STOP "${CHAIN_PID[p1]}"
stopped_at=$SECONDS
sleep 0.4
# the status files lag by up to 100 ms: the graph ran about 0.3 s of this window
[ "$(chain_get snkB ok)" -ge $((okB + 20)) ] ||
    fail "chain B stalled while p1 was stopped (ok $okB -> $(chain_get snkB ok) in 0.4 s)"
[ "$(chain_get snkA cycles)" -ge $((cyclesA + 20)) ] ||
    fail "snkA stalled while p1 was stopped (cycles $cyclesA -> $(chain_get snkA cycles) in 0.4 s)"
wait_for '! client_listed p1' 3 || fail "p1 (SIGSTOPped) still listed 3 s later: $(rctl clients)"
info "p1 removed after about $((SECONDS - stopped_at)) s"
wait_for '! port_exists p1:in && ! port_exists p1:out' 2 || fail "p1's ports still listed after its removal"
ports_connected srcA:out p1:in && fail "srcA:out -> p1:in still listed after p1's removal"
SNAP=$(snapshot srcA p3 snkA srcB snkB)
okB=$(chain_get snkB ok)
sleep 1
advanced srcA p3 snkA srcB snkB
[ "$(chain_get snkB ok)" -ge $((okB + 100)) ] || fail "chain B slowed down after p1's removal"
check_audio snkB 100

kill -CONT "${CHAIN_PID[p1]}"
wait_exit "${CHAIN_PID[p1]}" 5 || fail "p1 still running 5 s after SIGCONT (was it told of its removal?)"
[ "$WAIT_RC" = 3 ] || fail "p1 exited $WAIT_RC after SIGCONT, expected 3 (shut down by the server): $(chain_status p1)"
grep -q "shutdown=1" "$RILL_TMP/p1.status" || fail "p1's status has no shutdown=1: $(chain_status p1)"

# ---- rilld still serves, the survivors leave cleanly
rill_alive || fail "rilld died"
expect_rc 0 rctl status
for c in srcA p3 snkA srcB snkB; do chain_stop "$c"; done
check_audio snkB 300
[ "$(chain_get snkA bad)" = 0 ] || fail "snkA saw bad cycles: $(chain_status snkA)"
rill_stop
info "ok"
