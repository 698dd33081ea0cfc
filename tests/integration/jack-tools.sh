#!/bin/bash
# tests/integration/jack-tools.sh — unmodified JACK tools (jackd2's, from
# /usr/bin) on rill's libjack: jack_lsp, jack_connect, jack_disconnect,
# jack_simple_client, jack_cpu_load, jack_wait. The state they report and
# change is cross-checked with rillctl.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK"
for t in jack_lsp jack_connect jack_disconnect jack_simple_client jack_cpu_load jack_wait; do
    require_program "$t" jackd2
done

# ---- jack_wait -w waits for a server that is not there yet
spawn rjack jack_wait -w -t 15 >"$RILL_TMP/jack_wait.log" 2>&1
waiter=$SPAWN_PID
sleep 0.5
pid_running "$waiter" || fail "jack_wait -w exited before the server started: $(cat "$RILL_TMP/jack_wait.log")"

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

wait_exit "$waiter" 10 || fail "jack_wait -w still waiting 10 s after the server started"
[ "$WAIT_RC" = 0 ] || fail "jack_wait -w exited $WAIT_RC: $(cat "$RILL_TMP/jack_wait.log")"
expect_rc 0 rjack jack_wait -c
expect_out "^running" "jack_wait -c must print 'running' with the server up"

# ---- jack_lsp: the system ports with their types and properties
expect_rc 0 rjack jack_lsp
for p in system:capture_1 system:capture_2 system:playback_1 system:playback_2; do
    printf '%s\n' "$OUT" | grep -qxF "$p" || fail "jack_lsp does not list $p; output: $OUT"
done

# the indented lines after PORT in $OUT (jack_lsp with -t/-p/-l/-c)
details() {
    printf '%s\n' "$OUT" | awk -v p="$1" '/^[^ \t]/ { cur = $0; next } cur == p { sub(/^[ \t]+/, ""); print }'
}

expect_rc 0 rjack jack_lsp -t
for p in system:capture_1 system:capture_2 system:playback_1 system:playback_2; do
    details "$p" | grep -qxF "32 bit float mono audio" ||
        fail "jack_lsp -t: $p is not '32 bit float mono audio'; output: $OUT"
done

expect_rc 0 rjack jack_lsp -p
for n in 1 2; do
    details "system:capture_$n" | grep -Eq "properties: output,(can-monitor,)?physical,terminal," ||
        fail "jack_lsp -p: system:capture_$n is not output,physical,terminal; output: $OUT"
    details "system:playback_$n" | grep -Eq "properties: input,(can-monitor,)?physical,terminal," ||
        fail "jack_lsp -p: system:playback_$n is not input,physical,terminal; output: $OUT"
done

expect_rc 0 rjack jack_lsp -l
for p in system:capture_1 system:playback_1; do
    details "$p" | grep -Eq "playback latency = \[ [0-9]+ [0-9]+ \] frames" ||
        fail "jack_lsp -l: no playback latency range for $p; output: $OUT"
    details "$p" | grep -Eq "capture latency = \[ [0-9]+ [0-9]+ \] frames" ||
        fail "jack_lsp -l: no capture latency range for $p; output: $OUT"
done
# a physical capture port has a capture latency, a playback port a playback one
details system:capture_1 | grep -Eq "capture latency = \[ [1-9][0-9]* " ||
    fail "jack_lsp -l: system:capture_1 has no (non-zero) capture latency; output: $OUT"
details system:playback_1 | grep -Eq "playback latency = \[ [1-9][0-9]* " ||
    fail "jack_lsp -l: system:playback_1 has no (non-zero) playback latency; output: $OUT"

# ---- jack_connect / jack_disconnect, checked with both rillctl and jack_lsp -c
expect_rc 0 rjack jack_connect system:capture_1 system:playback_2
ports_connected system:capture_1 system:playback_2 ||
    fail "after jack_connect, rillctl ports -c does not show system:capture_1 -> system:playback_2"
expect_rc 0 rjack jack_lsp -c
details system:capture_1 | grep -qxF system:playback_2 ||
    fail "jack_lsp -c: system:capture_1 is not connected to system:playback_2; output: $OUT"
details system:playback_2 | grep -qxF system:capture_1 ||
    fail "jack_lsp -c: system:playback_2 is not connected to system:capture_1; output: $OUT"

expect_rc 0 rjack jack_disconnect system:capture_1 system:playback_2
if ports_connected system:capture_1 system:playback_2; then
    fail "after jack_disconnect, rillctl still shows system:capture_1 -> system:playback_2"
fi
expect_rc 0 rjack jack_lsp -c
[ -z "$(details system:capture_1)" ] ||
    fail "jack_lsp -c: system:capture_1 still has connections after jack_disconnect: $OUT"

# a connection made with rillctl is seen by jack_lsp
expect_rc 0 rctl connect system:capture_2 system:playback_1
expect_rc 0 rjack jack_lsp -c system:capture_2
details system:capture_2 | grep -qxF system:playback_1 ||
    fail "jack_lsp -c does not show the rillctl connection capture_2 -> playback_1: $OUT"
expect_rc 0 rctl disconnect system:capture_2 system:playback_1

# ---- jack_simple_client: a sine to the first two physical playback ports
spawn rjack jack_simple_client >"$RILL_TMP/simple.log" 2>&1
simple=$SPAWN_PID
simple_port() { ports_list | grep -E ':output1$' | head -n 1; }
wait_for '[ -n "$(simple_port)" ] && ports_connected "$(simple_port)" system:playback_1' 10 ||
    fail "jack_simple_client: no port *:output1 connected to system:playback_1 within 10 s"
out1=$(simple_port)
sc=${out1%%:*}
out2=$sc:output2
port_exists "$out2" || fail "jack_simple_client: no port $out2"
ports_connected "$out2" system:playback_2 || fail "$out2 is not connected to system:playback_2"
client_listed "$sc" || fail "rillctl clients does not list '$sc': $(rctl clients)"
expect_rc 0 rjack jack_lsp -c system:playback_1
details system:playback_1 | grep -qxF "$out1" || fail "jack_lsp -c: $out1 not on system:playback_1: $OUT"
sleep 1
pid_running "$simple" || fail "jack_simple_client stopped by itself"

# ---- jack_cpu_load prints the DSP load while the graph runs
OUT=$(timeout 3 rjack jack_cpu_load 2>&1)
printf '%s\n' "$OUT" | grep -Eq "load[^0-9]*[0-9]+(\.[0-9]+)?" ||
    fail "jack_cpu_load printed no load in 3 s; output: $OUT"
info "jack_cpu_load: $(printf '%s\n' "$OUT" | grep -E 'load' | tail -n 1)"

# ---- stop jack_simple_client by PID: it leaves, its ports go
kill -TERM "$simple"
wait_exit "$simple" 5 || fail "jack_simple_client did not exit within 5 s of SIGTERM"
[ "$WAIT_RC" = 0 ] || fail "jack_simple_client exited $WAIT_RC after SIGTERM (expected 0)"
wait_for '! port_exists "$out1"' 3 || fail "$out1 still listed 3 s after jack_simple_client exited"
wait_for '! client_listed "$sc"' 3 || fail "rillctl clients still lists '$sc' after it exited"
ports_connected system:playback_1 "$out1" && fail "a connection of the gone client is still listed"

rill_alive || fail "rilld died"
rill_stop
expect_rc 0 rjack jack_wait -c
expect_out "not running" "jack_wait -c must print 'not running' once the server stopped"
info "ok"
