#!/bin/bash
# tests/integration/autostart.sh — a JACK program starts rilld on demand, as
# jackd is started by libjack: the configuration file gives the command line,
# JackNoStartServer and JACK_NO_START_SERVER prevent it, a server started with
# -T leaves with its last client, and a bad command line gives a clear error.
. "${RILL_TOP_SRCDIR:-.}/tests/integration/lib.sh"

require_program jack_simple_client
require_program jack_lsp

# lib.sh forbids starting servers for every other test; this one is about it
unset JACK_NO_START_SERVER
cfg=$RILL_TMP/config
mkdir -p "$cfg/rill"
export XDG_CONFIG_HOME=$cfg RILL_RILLD=$RILLD
conf=$cfg/rill/rilld.conf
printf '# rill server started on demand\n\nrilld -T -n ignored -d dummy -p 128 -C 3\n' >"$conf"
sock=$(rill_socket)

# JackNoStartServer (jack_lsp opens with it): nothing is started
expect_rc 1 rjack jack_lsp
[ -e "$sock" ] && fail "jack_lsp (JackNoStartServer) started a server"

# JACK_NO_START_SERVER in the environment: nothing is started
expect_rc 1 env JACK_NO_START_SERVER=1 rjack jack_simple_client
[ -e "$sock" ] && fail "JACK_NO_START_SERVER=1 did not prevent the start"

# a program without JackNoStartServer starts it, with the configured command
spawn rjack jack_simple_client >"$RILL_TMP/simple.out" 2>&1
client=$SPAWN_PID
wait_for "[ -S '$sock' ] && port_exists jack_simple_client:output1" 15 ||
    fail "no server was started for jack_simple_client (output: $(cat "$RILL_TMP/simple.out"))"
grep -q "JACK server started" "$RILL_TMP/simple.out" ||
    fail "jack_simple_client did not see JackServerStarted"
spid=$(status_value pid)
[ -n "$spid" ] && RILL_PIDS+=("$spid")
[ "$(status_value period)" = 128 ] || fail "the configured period (128) was not used"
port_exists system:capture_3 || fail "the configured -C 3 was not used"
[ "$(status_value server)" = "$RILL_SERVER" ] ||
    fail "the server is not named after JACK_DEFAULT_SERVER ($RILL_SERVER)"
ports_connected jack_simple_client:output1 system:playback_1 ||
    fail "jack_simple_client is not connected to system:playback_1"

# -T: the last client leaving stops the server and removes its socket
kill -TERM "$client"
wait_exit "$client" 10 || fail "jack_simple_client did not stop"
wait_for "[ ! -e '$sock' ] && ! pid_running $spid" 10 ||
    fail "the -T server did not leave with its last client"

# a command line that cannot start: a clear error, status JackServerFailed
echo "rilld -T -d nosuchdriver" >"$conf"
out=$(timeout 20 "$RILL_TMP/bin/rjack" jack_simple_client 2>&1)
echo "$out" | grep -q "unknown driver 'nosuchdriver'" ||
    fail "rilld's own message is missing: $out"
echo "$out" | grep -q "exited before it was ready" || fail "libjack's message is missing: $out"
echo "$out" | grep -q "status = 0x11" || fail "status is not JackFailure|JackServerFailed: $out"

info "ok"
