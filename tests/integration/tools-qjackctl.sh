#!/bin/bash
# tests/integration/tools-qjackctl.sh — rilld started the way qjackctl starts
# jackd.
#
# qjackctl builds the server's command line from its Setup dialog
# (qjackctlMainForm::startJack): server options (-n, -v, -P or -r, -p, -t, -m
# or -u, -S, -c, -a), then -dDRIVER and the driver's options, each glued to
# its value as qjackctl writes them. qj_args below builds the same argument
# list from the same settings, and every combination is run with rilld as
# the "Server Prefix":
#   - dummy driver: each combination starts, `rillctl status` shows the rate,
#     period, name and realtime setting asked for, SIGTERM stops it cleanly;
#   - ALSA driver (no sound card here): each combination gets past option
#     parsing and fails only on the device (exit 1, the device named), or,
#     when the machine has a card, starts (the MIDI Driver -Xseq among
#     them: rill's own bridge, --midi seq);
#   - the settings rill cannot honour (Monitor, a dummy wait
#     that is not the period) are refused (exit 1 or 2, never started) with a
#     message naming qjackctl's setting;
#   - jackd's self-connect modes (-a) do what jackd2 does.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-240}
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"

# qj_args: the arguments qjackctl passes for the settings in the Q_* variables
# (qjackctl's preset fields; empty/0 means qjackctl's default).
qj_args() {
    ARGS=()
    [ -n "${Q_NAME:-}" ] && ARGS+=("-n$Q_NAME")
    [ "${Q_VERBOSE:-0}" = 1 ] && ARGS+=(-v)
    if [ "${Q_REALTIME:-1}" = 1 ]; then
        [ "${Q_PRIORITY:-0}" -gt 5 ] && ARGS+=("-P$Q_PRIORITY")
    else
        ARGS+=(-r)
    fi
    [ "${Q_PORTMAX:-256}" -gt 0 ] && [ "${Q_PORTMAX:-256}" != 256 ] && ARGS+=("-p$Q_PORTMAX")
    [ "${Q_TIMEOUT:-500}" -gt 0 ] && [ "${Q_TIMEOUT:-500}" != 500 ] && ARGS+=("-t$Q_TIMEOUT")
    if [ "${Q_NOMLOCK:-0}" = 1 ]; then ARGS+=(-m); elif [ "${Q_UNLOCK:-0}" = 1 ]; then ARGS+=(-u); fi
    [ "${Q_SYNC:-0}" = 1 ] && ARGS+=(-S)
    [ -n "${Q_CLOCK:-}" ] && [ "$Q_CLOCK" != " " ] && ARGS+=("-c$Q_CLOCK")
    [ -n "${Q_SELFCONNECT:-}" ] && [ "$Q_SELFCONNECT" != " " ] && ARGS+=("-a$Q_SELFCONNECT")
    ARGS+=("-d$Q_DRIVER")
    local audio=${Q_AUDIO:-duplex}
    if [ "$Q_DRIVER" = alsa ] && { [ "$audio" != duplex ] || [ -z "${Q_INDEV:-}" ] || [ -z "${Q_OUTDEV:-}" ]; }; then
        ARGS+=("-d${Q_INTERFACE:-hw:0}")
    fi
    [ "${Q_RATE:-0}" -gt 0 ] && ARGS+=("-r$Q_RATE")
    [ "${Q_FRAMES:-0}" -gt 0 ] && ARGS+=("-p$Q_FRAMES")
    if [ "$Q_DRIVER" = alsa ]; then
        [ "${Q_PERIODS:-0}" -gt 1 ] && ARGS+=("-n$Q_PERIODS")
        [ "${Q_SOFTMODE:-0}" = 1 ] && ARGS+=(-s)
        [ "${Q_MONITOR:-0}" = 1 ] && ARGS+=(-m)
        [ "${Q_SHORTS:-0}" = 1 ] && ARGS+=(-S)
        [ "${Q_HWMETER:-0}" = 1 ] && ARGS+=(-M)
        [ -n "${Q_MIDI:-}" ] && ARGS+=("-X$Q_MIDI")
        case $audio in
        duplex)
            { [ -n "${Q_INDEV:-}" ] || [ -n "${Q_OUTDEV:-}" ]; } && ARGS+=(-D)
            [ -n "${Q_INDEV:-}" ] && ARGS+=("-C$Q_INDEV")
            [ -n "${Q_OUTDEV:-}" ] && ARGS+=("-P$Q_OUTDEV")
            ;;
        capture) ARGS+=("-C${Q_INDEV:-}") ;;
        playback) ARGS+=("-P${Q_OUTDEV:-}") ;;
        esac
        [ "${Q_INCH:-0}" -gt 0 ] && [ "$audio" != playback ] && ARGS+=("-i$Q_INCH")
        [ "${Q_OUTCH:-0}" -gt 0 ] && [ "$audio" != capture ] && ARGS+=("-o$Q_OUTCH")
        case ${Q_DITHER:-0} in 1) ARGS+=(-zr) ;; 2) ARGS+=(-zs) ;; 3) ARGS+=(-zt) ;; esac
        [ "${Q_INLAT:-0}" -gt 0 ] && ARGS+=("-I$Q_INLAT")
        [ "${Q_OUTLAT:-0}" -gt 0 ] && ARGS+=("-O$Q_OUTLAT")
    fi
    if [ "$Q_DRIVER" = dummy ] && [ "${Q_WAIT:-0}" -gt 0 ] && [ "${Q_WAIT:-0}" != 21333 ]; then
        ARGS+=("-w$Q_WAIT")
    fi
    return 0
}

# run_preset "SETTINGS": clear the Q_* variables, set SETTINGS, build ARGS
run_preset() {
    unset "${!Q_@}"
    eval "$1"
    qj_args
}

n=0
# ---- dummy: start, check, stop
dummy_presets=(
    "Q_DRIVER=dummy Q_RATE=48000 Q_FRAMES=1024"
    "Q_DRIVER=dummy Q_RATE=44100 Q_FRAMES=256 Q_VERBOSE=1 Q_PRIORITY=70"
    "Q_DRIVER=dummy Q_RATE=96000 Q_FRAMES=128 Q_REALTIME=0 Q_PORTMAX=512 Q_TIMEOUT=2000"
    "Q_DRIVER=dummy Q_RATE=48000 Q_FRAMES=64 Q_NOMLOCK=1 Q_SYNC=1 Q_CLOCK=s"
    "Q_DRIVER=dummy Q_RATE=48000 Q_FRAMES=512 Q_UNLOCK=1 Q_CLOCK=h Q_SELFCONNECT=e"
    "Q_DRIVER=dummy Q_RATE=48000 Q_FRAMES=1024 Q_WAIT=21333 Q_SELFCONNECT=E"
    "Q_DRIVER=dummy Q_RATE=48000 Q_FRAMES=256 Q_WAIT=5333 Q_PRIORITY=5 Q_CLOCK=c"
    "Q_DRIVER=dummy Q_RATE=22050 Q_FRAMES=2048 Q_TIMEOUT=10000 Q_SELFCONNECT=A"
)
for p in "${dummy_presets[@]}"; do
    n=$((n + 1))
    run_preset "$p Q_NAME=$RILL_SERVER-$n"
    info "qjackctl: rilld ${ARGS[*]}"
    "$RILLD" "${ARGS[@]}" >"$RILL_TMP/q$n.log" 2>&1 &
    pid=$!
    RILL_PIDS+=("$pid")
    wait_for "'$RILLCTL' -s '$RILL_SERVER-$n' status >/dev/null 2>&1" 10 ||
        fail "rilld ${ARGS[*]} did not start: $(cat "$RILL_TMP/q$n.log")"
    st=$("$RILLCTL" -s "$RILL_SERVER-$n" status)
    printf '%s\n' "$st" | grep -q "sample rate:  $Q_RATE Hz" || fail "rilld ${ARGS[*]}: $st"
    printf '%s\n' "$st" | grep -q "period:       $Q_FRAMES frames" || fail "rilld ${ARGS[*]}: $st"
    if [ "${Q_REALTIME:-1}" = 0 ]; then
        printf '%s\n' "$st" | grep -q 'not realtime' || fail "-r did not make rilld non-realtime: $st"
    fi
    kill -TERM "$pid"
    wait_exit "$pid" 5 || fail "rilld ${ARGS[*]} did not stop on SIGTERM"
    [ "$WAIT_RC" = 0 ] || fail "rilld ${ARGS[*]} exited $WAIT_RC on SIGTERM"
done

# ---- ALSA: past the options, then the device
alsa_presets=(
    "Q_DRIVER=alsa Q_RATE=48000 Q_FRAMES=1024 Q_PERIODS=2"
    "Q_DRIVER=alsa Q_INTERFACE=hw:1 Q_RATE=44100 Q_FRAMES=256 Q_PERIODS=3 Q_SOFTMODE=1 Q_SHORTS=1"
    # qjackctl's MIDI Driver: -Xseq is rill's --midi seq (midi-bridge.sh)
    "Q_DRIVER=alsa Q_RATE=48000 Q_FRAMES=256 Q_PERIODS=2 Q_MIDI=seq"
    "Q_DRIVER=alsa Q_INDEV=hw:1,0 Q_OUTDEV=hw:2,0 Q_RATE=96000 Q_FRAMES=128 Q_INCH=2 Q_OUTCH=8"
    "Q_DRIVER=alsa Q_AUDIO=capture Q_INDEV=hw:1 Q_RATE=48000 Q_FRAMES=64 Q_INLAT=32 Q_OUTLAT=64"
    "Q_DRIVER=alsa Q_AUDIO=playback Q_RATE=48000 Q_FRAMES=512 Q_DITHER=1 Q_HWMETER=1"
    "Q_DRIVER=alsa Q_RATE=48000 Q_FRAMES=256 Q_DITHER=2 Q_PRIORITY=80 Q_NOMLOCK=1 Q_SYNC=1"
    "Q_DRIVER=alsa Q_INTERFACE=hw:PCH Q_RATE=48000 Q_FRAMES=128 Q_PERIODS=2 Q_DITHER=3 Q_CLOCK=s"
    "Q_DRIVER=alsa Q_AUDIO=playback Q_OUTDEV=hw:0 Q_RATE=192000 Q_FRAMES=2048 Q_OUTCH=2"
)
for p in "${alsa_presets[@]}"; do
    n=$((n + 1))
    run_preset "$p Q_NAME=$RILL_SERVER-$n"
    info "qjackctl: rilld ${ARGS[*]}"
    # on a machine with that card it starts: then the time limit stops it
    timeout -k 2 5 "$RILLD" "${ARGS[@]}" >"$RILL_TMP/q$n.log" 2>&1
    rc=$?
    OUT=$(cat "$RILL_TMP/q$n.log")
    if printf '%s\n' "$OUT" | grep -q "ready:"; then
        info "  started on a real card"
        continue
    fi
    [ "$rc" = 1 ] || fail "rilld ${ARGS[*]}: exit $rc (a usage error?): $OUT"
    printf '%s\n' "$OUT" | grep -qE 'hw:|device' || fail "rilld ${ARGS[*]}: no device named: $OUT"
done

# ---- refused, with qjackctl's setting named
refused() { # REGEX SETTINGS
    local want=$1
    n=$((n + 1))
    run_preset "$2 Q_NAME=$RILL_SERVER-$n"
    # 2 when the option parser refuses it, 1 when the driver does at open
    OUT=$(timeout -k 2 10 "$RILLD" "${ARGS[@]}" 2>&1)
    local rc=$?
    [ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "rilld ${ARGS[*]}: exit $rc, expected a refusal: $OUT"
    printf '%s\n' "$OUT" | grep -q 'ready:' && fail "rilld ${ARGS[*]} started: $OUT"
    expect_out "$want" "rilld ${ARGS[*]} should name what to change"
}
refused 'Monitor' "Q_DRIVER=alsa Q_RATE=48000 Q_FRAMES=256 Q_MONITOR=1"
refused 'leave -w out' "Q_DRIVER=dummy Q_RATE=48000 Q_FRAMES=256 Q_WAIT=10000"
expect_rc 2 "$RILLD" -aZ -d dummy
expect_out "self-connect" "a bad -a value should list the self-connect modes"

# ---- self-connect modes, as jackd2: a client's own connect requests
# selfconnect MODE TAG: rilld -aMODE; a client (ownTAG) connects its own out
# to system:playback_1 after activating. SC_RC: 0 when it came up (its
# connect succeeded), else its exit status; SC_CONN: yes when the
# connection exists while it runs.
selfconnect() {
    local mode=$1 tag=$2 st=$RILL_TMP/own$2.status
    rill_start "$RILL_SERVER-sc$tag" "-a$mode" -d dummy -p 256
    RILL_SERVER_SC=$RILL_SERVER-sc$tag
    JACK_DEFAULT_SERVER=$RILL_SERVER_SC "$RILL_JACK" "$RILL_CHAIN" source "own$tag" \
        --connect-to system:playback_1 --status "$st" --seconds 20 >"$RILL_TMP/own$tag.log" 2>&1 &
    local pid=$!
    RILL_PIDS+=("$pid")
    wait_for "[ -s '$st' ] || ! kill -0 $pid 2>/dev/null" 10 || fail "own$tag neither came up nor exited"
    SC_RC=0
    if [ ! -s "$st" ]; then
        wait "$pid"
        SC_RC=$?
    fi
    SC_CONN=no
    "$RILLCTL" -s "$RILL_SERVER_SC" ports -c | awk -v p="own$tag:out" '
        /^[^ \t]/ { cur = $0; next } cur == p && /system:playback_1/ { f = 1 } END { exit !f }' &&
        SC_CONN=yes
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
# ' ' (qjackctl's default, no -a): allowed, the connection is made
selfconnect ' ' 0
[ "$SC_RC" = 0 ] && [ "$SC_CONN" = yes ] ||
    fail "-a ' ': the client's self-connect (rc $SC_RC, connected $SC_CONN): $(cat "$RILL_TMP/own0.log")"
rill_stop
# E: refused, the client's jack_connect fails
selfconnect E 1
[ "$SC_RC" != 0 ] && grep -q 'cannot connect' "$RILL_TMP/own1.log" ||
    fail "-aE: the client's connect to system:playback_1 was not refused (rc $SC_RC): $(cat "$RILL_TMP/own1.log")"
# a patchbay (rillctl) may still connect anything
expect_rc 0 "$RILLCTL" -s "$RILL_SERVER_SC" connect system:capture_1 system:playback_1
rill_stop
# e: ignored, jack_connect succeeds and nothing is connected
selfconnect e 2
[ "$SC_RC" = 0 ] && [ "$SC_CONN" = no ] ||
    fail "-ae: an ignored self-connect must succeed and connect nothing (rc $SC_RC, connected $SC_CONN)"
rill_stop
# A: refused too
selfconnect A 3
[ "$SC_RC" != 0 ] || fail "-aA: the client's self-connect was not refused"
rill_stop
info "ok"
