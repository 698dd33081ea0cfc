#!/bin/bash
# tests/integration/rilld-options.sh — rilld's command line: driver help, bad
# values refused with exit 2 and the option named, a second server of the
# same name refused with exit 1, the rate/period given are the ones used,
# SIGINT stops it cleanly and its clients are told.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"

# ---- help
expect_rc 0 "$RILLD" --help
for o in --name --timeout --realtime-priority --port-max --exit-on-device-loss -d; do
    expect_out "$o" "rilld --help does not mention $o"
done
expect_rc 0 "$RILLD" -d dummy --help
for p in rate period capture playback; do
    expect_out "$p" "rilld -d dummy --help does not list the parameter '$p'"
done
if ! printf '%s\n' "$OUT" | grep -i period | grep -qw 16 ||
    ! printf '%s\n' "$OUT" | grep -i period | grep -qw 8192; then
    fail "rilld -d dummy --help does not give the period range 16..8192: $OUT"
fi

# ---- bad command lines: exit 2, the message names the option
# bad "REGEX naming the option" ARGS...: rilld must refuse with exit 2
bad() {
    local what=$1
    shift
    expect_rc 2 "$RILLD" -n "$RILL_SERVER-bad" "$@"
    expect_out "$what" "rilld $*: the message must name '$what'"
    [ ! -e "$(rill_socket "$RILL_SERVER-bad")" ] || fail "rilld $* left a socket behind"
}
bad "period|-p" -d dummy -p 100
bad "period|-p" -d dummy -p 0
bad "period|-p" -d dummy -p 16384
bad "rate|-r" -d dummy -r 5
bad "capture|-C" -d dummy --capture 999
bad "playback|-P" -d dummy --playback -1
bad "--bogus" --bogus -d dummy
bad "nosuchdriver" -d nosuchdriver
bad "driver|-d"
bad "timeout|-t" -t abc -d dummy
bad "port-max|-p" --port-max 99999 -d dummy
bad "name|-n" -n 'bad/name' -d dummy
bad "--frobnicate" -d dummy --frobnicate

# ---- a server with the rate and period we ask for
rill_start "$RILL_SERVER" -d dummy -r 44100 -p 128
expect_rc 0 rctl status
printf '%s\n' "$OUT" | grep -qw 44100 || fail "rillctl status does not show the rate 44100: $OUT"
printf '%s\n' "$OUT" | grep -qw 128 || fail "rillctl status does not show the period 128: $OUT"
r=$(status_value rate)
p=$(status_value period)
[ -z "$r" ] || [ "$r" = 44100 ] || fail "rillctl status: rate $r, expected 44100: $OUT"
[ -z "$p" ] || [ "$p" = 128 ] || fail "rillctl status: period $p, expected 128: $OUT"

# ---- the same name twice: refused, the first one unharmed
expect_rc 1 "$RILLD" -n "$RILL_SERVER" -d dummy
expect_out "already running" "a second rilld named '$RILL_SERVER' must say one is already running"
expect_out "$RILL_SERVER" "the refusal must name the server"
rill_alive || fail "the first rilld died when a second one with its name started"
expect_rc 0 rctl status

# ---- a client sees the period, and is told when the server goes
chain_start source src
chain_start sink victim --connect-from src:out
chain_wait_key victim ok 10 5 || fail "no audio: $(chain_status victim)"
[ "$(chain_get victim nframes)" = 128 ] || fail "the client's period is not 128: $(chain_status victim)"

sock=$(rill_socket)
rill_stop INT
[ ! -e "$sock" ] || fail "the socket $sock is still there after SIGINT"
for c in src victim; do
    wait_exit "${CHAIN_PID[$c]}" 5 || fail "$c still running 5 s after rilld stopped"
    [ "$WAIT_RC" = 3 ] || fail "$c exited $WAIT_RC after rilld stopped, expected 3 (shutdown)"
    grep -q shutdown=1 "$RILL_TMP/$c.status" || fail "$c's status has no shutdown=1: $(chain_status "$c")"
done
check_audio victim 10
info "ok"
