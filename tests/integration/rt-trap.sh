#!/bin/bash
# tests/integration/rt-trap.sh — the realtime paths never allocate or lock.
#
# tests/rt/librill-rt-trap.so is preloaded into rilld and into the clients; it
# aborts a process whose realtime section calls malloc/free or locks a mutex.
#   1. source -> pass -> sink run 3 s under the trap: nobody aborts, audio ok.
#   2. a client with --alloc (malloc in its process callback) is aborted by
#      the trap, with its message: the trap can fail a test. Same for --mutex.
#      rilld survives both and removes the dead client.
#   3. jack_simple_client (jackd2's, unmodified) runs 2 s under the trap.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN" "$RILL_TRAP"
require_program jack_simple_client jackd2

trap_loaded() { grep -q 'librill-rt-trap' "/proc/$1/maps"; }
trap_msg() { grep -h "rill-rt-trap:" "$RILL_TMP"/*.log 2>/dev/null | head -n 5; }

RILLD_PRELOAD=$RILL_TRAP rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
trap_loaded "$RILLD_PID" || fail "the trap is not loaded into rilld (LD_PRELOAD=$RILL_TRAP)"

# ---- 1. a clean graph under the trap
export RILL_TEST_TRAP=1
chain_start source src
chain_start pass p --connect-from src:out
chain_start sink snk --connect-from p:out
for c in src p snk; do
    trap_loaded "${CHAIN_PID[$c]}" || fail "the trap is not loaded into client $c"
done
sleep 3
for c in src p snk; do
    pid_running "${CHAIN_PID[$c]}" || fail "client $c died under the trap: $(trap_msg)"
done
rill_alive || fail "rilld died under the trap: $(trap_msg)"
[ -z "$(trap_msg)" ] || fail "the trap fired: $(trap_msg)"
check_audio snk 100

# ---- 2. the trap fires on a realtime allocation / mutex
# expect_trap NAME OPTION FUNCTION: the client is aborted, its log names FUNCTION
expect_trap() {
    local name=$1 opt=$2 fn=$3 log=$RILL_TMP/$1.log
    spawn rjack "$RILL_CHAIN" source "$name" "$opt" --status "$RILL_TMP/$name.status" >"$log" 2>&1
    wait_exit "$SPAWN_PID" 10 || fail "client with $opt still running 10 s later: the trap did not fire"
    # 134 = 128 + SIGABRT
    [ "$WAIT_RC" = 134 ] || fail "client with $opt exited $WAIT_RC, expected 134 (aborted by the trap); log: $(cat "$log")"
    grep -Eq "rill-rt-trap: $fn.* called on a realtime path" "$log" ||
        fail "client with $opt: no 'rill-rt-trap: $fn ... called on a realtime path' message; log: $(cat "$log")"
    info "$opt: $(grep -m1 'rill-rt-trap:' "$log")"
    mv "$log" "$RILL_TMP/$name.expected"
    wait_for "! client_listed $name" 3 || fail "the aborted client $name is still listed"
}
expect_trap allocer --alloc malloc
expect_trap locker --mutex pthread_mutex_lock
rill_alive || fail "rilld died"
[ -z "$(trap_msg)" ] || fail "the trap fired elsewhere: $(trap_msg)"
check_audio snk 100

# ---- 3. an unmodified JACK client under the trap
spawn rjack jack_simple_client >"$RILL_TMP/simple.log" 2>&1
simple=$SPAWN_PID
wait_for 'ports_list | grep -q ":output1$"' 10 || fail "jack_simple_client did not register its ports"
trap_loaded "$simple" || fail "the trap is not loaded into jack_simple_client"
sleep 2
pid_running "$simple" || fail "jack_simple_client died under the trap: $(cat "$RILL_TMP/simple.log")"
[ -z "$(trap_msg)" ] || fail "the trap fired: $(trap_msg)"
# SIGKILL: its SIGTERM handler closes the client from whatever thread the
# signal lands on, which may be the realtime one; that is not what we test.
kill -KILL "$simple"
wait_exit "$simple" 5

rill_alive || fail "rilld died"
for c in src p snk; do chain_stop "$c"; done
check_audio snk 300
[ -z "$(trap_msg)" ] || fail "the trap fired: $(trap_msg)"
rill_stop
info "ok"
