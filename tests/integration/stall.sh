#!/bin/bash
# tests/integration/stall.sh — a stall of the engine itself (a stalled
# machine, a device that delivers nothing) is nobody's fault: a client is
# late, and in the end removed, only for cycles the engine ran on time.
#
#   rilld -t 500 -d dummy -p 256 (a 500 ms timeout holds 93 cycles)
#   src -> p1 -> snk
#
# 1. p1 stopped (SIGSTOP) for 0.2 s: late in about 37 cycles; then rilld
#    stopped for 0.7 s as well (no cycle at all), resumed, and p1 resumed
#    0.1 s later. p1 was late for a second of wall time but in only about 56
#    cycles the engine ran on time: it must stay, and carry audio again.
# 2. p1 stopped for good: removed once it has been late in the timeout's
#    worth of on-time cycles (within 3 s), told so on SIGCONT (exit 3).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
rill_start "$RILL_SERVER" -t 500 -d dummy -r 48000 -p 256

chain_start source src
chain_start pass p1 --connect-from src:out
chain_start sink snk --connect-from p1:out
chain_wait_key snk ok 50 5 || fail "the chain carries no audio: $(chain_status snk)"

# ---- 1. the client late, then the whole engine stalled
kill -STOP "${CHAIN_PID[p1]}"
sleep 0.2
kill -STOP "$RILLD_PID"
sleep 0.7
kill -CONT "$RILLD_PID"
sleep 0.1
kill -CONT "${CHAIN_PID[p1]}"
sleep 0.3
client_listed p1 || fail "p1 was removed for a stall of the engine: $(tail -3 "$RILLD_LOG")"
pid_running "${CHAIN_PID[p1]}" || fail "p1 exited: $(chain_status p1)"
ok=$(chain_get snk ok)
chain_wait_key snk ok $((ok + 50)) 5 || fail "the chain does not carry audio again: $(chain_status snk)"
grep -q "removed this client" "$RILLD_LOG" && fail "rilld removed a client: $(grep removed "$RILLD_LOG")"
info "p1 kept through a stall of 0.7 s: $(chain_status snk)"

# ---- 2. the client stuck for good: still removed
kill -STOP "${CHAIN_PID[p1]}"
wait_for '! client_listed p1' 3 || fail "p1 (SIGSTOPped) still listed 3 s later: $(rctl clients)"
kill -CONT "${CHAIN_PID[p1]}"
wait_exit "${CHAIN_PID[p1]}" 5 || fail "p1 still running 5 s after SIGCONT"
[ "$WAIT_RC" = 3 ] || fail "p1 exited $WAIT_RC after SIGCONT, expected 3 (shut down by the server)"

rill_alive || fail "rilld died"
chain_stop src
chain_stop snk
rill_stop
info "ok"
