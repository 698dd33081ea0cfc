#!/bin/bash
# tests/integration/ctl-errors.sh — rillctl's errors: every bad request gets
# the right exit status (1 runtime, 2 usage) and a message naming the
# problem, and none of them hurts the server.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL"

# ---- no server yet
expect_rc 1 "$RILLCTL" -s "$RILL_SERVER" status
expect_out "no (rill )?server|not running" "rillctl status without a server must say there is no server"
expect_rc 1 "$RILLCTL" -s "$RILL_SERVER" ports
expect_out "no (rill )?server|not running" "rillctl ports without a server must say there is no server"

# ---- usage errors need no server
expect_rc 2 "$RILLCTL" -s "$RILL_SERVER" frobnicate
expect_out "frobnicate" "an unknown command must be named in the message"
expect_rc 2 "$RILLCTL" -s "$RILL_SERVER" connect only-one-port
expect_rc 2 "$RILLCTL" -s "$RILL_SERVER" ports --no-such-option
expect_out "no-such-option" "an unknown option must be named in the message"
expect_rc 0 "$RILLCTL" --help
for cmd in ports connect disconnect clients status; do
    expect_rc 0 "$RILLCTL" "$cmd" --help
    expect_out "$cmd" "rillctl $cmd --help must describe '$cmd'"
done

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# ---- runtime errors (exit 1) against a running server
expect_rc 1 rctl connect nosuch:port system:playback_1
expect_out "nosuch:port" "an unknown port must be named in the message"
expect_rc 1 rctl connect system:capture_1 nosuch:port
expect_out "nosuch:port" "an unknown port must be named in the message"

expect_rc 1 rctl connect system:capture_1 system:capture_2
expect_out "output" "output -> output must be refused saying both are outputs"
expect_rc 1 rctl connect system:playback_1 system:playback_2
expect_out "input" "input -> input must be refused saying both are inputs"

long=$(printf 'x%.0s' $(seq 300))
OUT=$(timeout 20 "$RILLCTL" -s "$RILL_SERVER" connect "$long:out" system:playback_1 2>&1)
rc=$?
case $rc in
1 | 2) ;;
*) fail "a 300-byte port name: exit $rc, expected 1 or 2; output: $OUT" ;;
esac
expect_out "long|at most|25[56]|size" "a 300-byte port name must be refused as too long"

expect_rc 0 rctl connect system:capture_1 system:playback_1
ports_connected system:capture_1 system:playback_1 ||
    fail "rillctl ports -c does not show system:capture_1 -> system:playback_1 after connect"
expect_rc 1 rctl connect system:capture_1 system:playback_1
expect_out "already" "a second connect of the same pair must say it is already connected"

expect_rc 1 rctl disconnect system:capture_2 system:playback_2
expect_out "not connected" "disconnecting a pair that is not connected must say so"

# ---- the server is unharmed and the state is what we made it
rill_alive || fail "rilld died during the error checks"
expect_rc 0 rctl status
expect_rc 0 rctl ports
for p in system:capture_1 system:capture_2 system:playback_1 system:playback_2; do
    printf '%s\n' "$OUT" | grep -qxF "$p" || fail "rillctl ports does not list $p; output: $OUT"
done
ports_connected system:capture_1 system:playback_1 ||
    fail "the connection system:capture_1 -> system:playback_1 was lost"
if ports_connected system:capture_2 system:playback_2; then
    fail "system:capture_2 -> system:playback_2 appeared without being asked for"
fi
expect_rc 0 rctl disconnect system:capture_1 system:playback_1
if ports_connected system:capture_1 system:playback_1; then
    fail "system:capture_1 -> system:playback_1 still listed after disconnect"
fi

# ---- a client name with control bytes (JACK allows them): rilld's log
#      writes them as \xHH, so that a name can neither drive the terminal
#      that shows the log nor forge a line of it
require_program jack_metro jackd2
evil=$'evil\e[31mred\nrilld fake line'
spawn rjack jack_metro -n "$evil" -b 120 >"$RILL_TMP/metro.log" 2>&1
wait_for "rctl clients | grep -q evil" 10 || fail "jack_metro -n '<evil name>' did not come: $(cat "$RILL_TMP/metro.log")"
# killed, not closed: rilld logs the client's name with why it went
kill -KILL "$SPAWN_PID"
wait_for "grep -qF 'evil\x1b[31mred\x0arilld fake line' '$RILLD_LOG'" 10 ||
    fail "rilld did not log the name escaped: $(grep -a evil "$RILLD_LOG" | cat -A | head -3)"
! grep -q $'\e' "$RILLD_LOG" || fail "rilld's log holds a raw escape byte: $(grep -a $'\e' "$RILLD_LOG" | cat -A | head -2)"
! grep -q '^rilld fake line' "$RILLD_LOG" || fail "a client name forged a line of rilld's log"

rill_stop
info "ok"
