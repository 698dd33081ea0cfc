#!/bin/bash
# tests/integration/hostile.sh — a hostile client against a live rilld
# (issue 15): tests/clients/rill-test-hostile speaks the control protocol
# directly and
#   1. replays every input of the control fuzz harness (its seeds and saved
#      crashers: requests with any payload, raw datagrams, fds where none
#      belong, clients that go away, answers on the event socket),
#   2. sends every request type with malformed payloads (zeros, 0xff,
#      strings without terminators, ids out of range), with and without
#      fds, and datagrams of the wrong sizes,
#   3. dies (SIGKILL) at each of the 7 steps of the handshake, 10 rounds,
#   4. writes garbage into its own activation record, transport slot and
#      port buffers for 3 s, its MIDI output connected to jack_midisine,
#      which also gets a real sender's events (so the garbage is merged),
# while a chain src -> p1 -> snk runs: snk must see every cycle bit-exact
# (no bad cycle), every error reply must carry a message, and rilld must
# live on, answer rillctl, and end with as many fds as it had (+2).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

HOSTILE=$RILL_TOP_BUILDDIR/tests/clients/rill-test-hostile
MIDI_CLIENT=$RILL_TOP_BUILDDIR/tests/clients/rill-test-midi
CORPUS=$RILL_TOP_SRCDIR/tests/fuzz/control
require_built "$RILLD" "$RILLCTL" "$RILL_CHAIN" "$HOSTILE" "$MIDI_CLIENT"
require_program jack_midisine

rill_start "$RILL_SERVER" -t 500 -d dummy -r 48000 -p 256
fds0=$(fd_count "$RILLD_PID")

chain_start source src
chain_start pass p1
chain_start sink snk --latency 0
expect_rc 0 rctl connect src:out p1:in
expect_rc 0 rctl connect p1:out snk:in
chain_wait_key snk ok 20 10 || fail "snk saw no correct cycle within 10 s: $(chain_status snk)"

# 1. the fuzz corpus, live
inputs=("$CORPUS"/seeds/* "$CORPUS"/crashers/*)
expect_rc 0 "$HOSTILE" "$RILL_SERVER" replay "${inputs[@]}"
info "$OUT"
rill_alive || fail "rilld died during the replay of the control corpus; log: $(tail -20 "$RILLD_LOG")"

# 2. malformed requests of every type
expect_rc 0 "$HOSTILE" "$RILL_SERVER" malformed
info "$OUT"
rill_alive || fail "rilld died from a malformed request; log: $(tail -20 "$RILLD_LOG")"

# 3. deaths during the handshake
expect_rc 0 "$HOSTILE" "$RILL_SERVER" handshake
info "$OUT"
rill_alive || fail "rilld died when clients died during the handshake"

# 4. garbage in shared memory, read by jack_midisine with a real sender
spawn rjack jack_midisine >"$RILL_TMP/midisine.log" 2>&1
sine=$SPAWN_PID
spawn rjack "$MIDI_CLIENT" send snd 60 >"$RILL_TMP/snd.log" 2>&1
wait_for "port_exists midisine:midi_in && port_exists snd:out" 10 ||
    fail "jack_midisine or rill-test-midi send did not register their ports"
expect_rc 0 rctl connect snd:out midisine:midi_in
RILL_HOSTILE_MIDI_DST=midisine:midi_in expect_rc 0 "$HOSTILE" "$RILL_SERVER" garbage 3
info "$OUT"
rill_alive || fail "rilld died from garbage in shared memory; log: $(tail -20 "$RILLD_LOG")"
pid_running "$sine" || fail "jack_midisine died reading a hostile MIDI buffer: $(tail -5 "$RILL_TMP/midisine.log")"

# the chain never broke, the server answers, nothing was left behind
expect_rc 0 rctl status
client_listed snk || fail "snk is no longer listed"
c0=$(chain_get snk cycles)
chain_wait_key snk cycles $((c0 + 20)) 10 || fail "snk stopped running: $(chain_status snk)"
check_audio snk 100
wait_for "! client_listed h-garbage" 10 || fail "the garbage client was not removed after it left"
kill -TERM "$sine" 2>/dev/null
fds1=$(fd_count "$RILLD_PID")
info "rilld fds: $fds0 at start, $fds1 at the end (with the chain, jack_midisine and snd)"
# the chain's 3 clients, and snd and jack_midisine on their way out: each
# client holds 2 fds in rilld (its request and event sockets)
[ "$fds1" -le $((fds0 + 2 * 5 + 2)) ] || fail "rilld has $fds1 fds, $fds0 at the start: a leak?"
grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$RILLD_LOG" &&
    fail "rilld's log has a sanitizer report"
rill_stop
echo "PASS"
