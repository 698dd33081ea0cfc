#!/bin/bash
# tests/integration/net-opus.sh — rilld -d net with the opus encoding, against
# jackd2's netmanager (jackd2 links libopus too): rilld asks for opus at
# 128 kbit/s per channel (-O 128, jackd2's flag), the master agrees, and a
# 240 Hz tone (jack_simple_client, rms 0.1414) goes each way: it must arrive
# at 240 Hz (the frequency is exact: same rate, a codec keeps the pitch) and
# at its level within 5 % (opus is lossy; at 128 kbit/s a sine keeps its
# level to a fraction of a percent, 5 % leaves room for the codec's start).
# rilld runs under the realtime allocation trap (tests/rt): encoding and
# decoding on the realtime thread allocate nothing (the codecs are made at
# open). Then -e opus alone (64 kbit/s) joins too, and -O with -e int is
# refused by name.
# A libopus whose custom modes abort on such frames (Debian 12's 1.3.1: an
# assertion in its CELT decoder for anything but 960 / 2^k frames at
# 48 kHz) cannot carry opus at rill's power-of-two periods at all (nor can
# jackd2 linked to it): rilld must then refuse by name and exit 1, which is
# what this test checks there.
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-180}
. "$(dirname "$0")/lib.sh"

expect_rc 1 "$RILLD" -n "$RILL_SERVER" -d net -e int -O 64
expect_out "-O 64 asks for opus, -e int" "-O with -e int must be refused by name"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces); run make check as root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
require_program jackd jackd2
require_program jack_load jackd2
require_program jack_connect jackd2
require_program jack_wait jackd2
require_program jack_simple_client jackd2
METER=$RILL_TOP_BUILDDIR/tests/clients/rill-test-meter
require_built "$RILLD" "$METER" "$RILL_TRAP"

. "$(dirname "$0")/net-lib.sh"
net_setup
start_master

trap_preload=$RILL_TRAP
[ "$RILL_SANITIZERS" = yes ] && trap_preload="${RILL_SAN_PRELOAD%%:*}:$RILL_TRAP"
RILLD_LOG=$RILL_TMP/rilld.log
ip netns exec "$NSB" env LD_PRELOAD="$trap_preload" "$RILLD" -n "$RILL_SERVER" -d net -C 2 -P 2 \
    -O 128 -n "$FOLLOWER" >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\\|cannot code opus frames\" '$RILLD_LOG'" 20 ||
    fail "rilld -d net -O 128 did not join the master within 20 s: $(cat "$RILLD_LOG")"
if grep -q "cannot code opus frames" "$RILLD_LOG"; then
    # this libopus aborts on 256-frame opus frames (Debian 12's does, and
    # jackd2 linked to it with it): rilld must refuse by name, exit 1, not
    # crash, and leave the master running
    wait "$RILLD_PID"
    rc=$?
    RILLD_PID=
    [ "$rc" = 1 ] || fail "rilld exited $rc (want 1) refusing opus: $(cat "$RILLD_LOG")"
    grep -q "use -e float or -e int" "$RILLD_LOG" || fail "the refusal does not say what works: $(cat "$RILLD_LOG")"
    pid_running "$JACKD_PID" || fail "the master died"
    info "this libopus cannot code 256-frame opus frames; rilld refused: $(grep 'cannot code' "$RILLD_LOG")"
    info "ok (the codec and its wire layout are checked by tests/unit/test-net-proto at 480 frames)"
    exit 0
fi
grep -q "2 in / 2 out, opus" "$RILLD_LOG" || fail "not an opus session: $(grep joined "$RILLD_LOG")"
wait_for "jm jack_lsp | grep -qxF '$FOLLOWER:to_slave_1'" 10 || fail "the master shows no $FOLLOWER ports"
grep -q "SampleEncoder : Opus\|Opus" "$RILL_TMP/jackd.log" ||
    info "(jackd2's log does not name the encoder: $(grep -i encoder "$RILL_TMP/jackd.log" | tail -1))"

check_tone() {
    local what=$1 out freq rms
    shift
    out=$("$@" --seconds 2) || fail "$what: the meter failed: $out"
    freq=$(sed -n 's/.*freq=\([0-9.]*\).*/\1/p' <<<"$out")
    rms=$(sed -n 's/.*rms=\([0-9.]*\).*/\1/p' <<<"$out")
    awk -v f="$freq" -v r="$rms" 'BEGIN { exit !(f > 239.5 && f < 240.5 && r > 0.1343 && r < 0.1485) }' ||
        fail "$what: want 240 Hz at rms 0.1414 +- 5 %, got $out"
    info "$what: $out"
}

spawn env JACK_DEFAULT_SERVER="$MASTER" jack_simple_client >"$RILL_TMP/simple-m.log" 2>&1
SIMPLE_M=$SPAWN_PID
wait_for "jm jack_lsp | grep -qxF jack_simple_client:output1" 10 || fail "jack_simple_client on the master"
jm jack_connect jack_simple_client:output1 "$FOLLOWER:to_slave_1" || fail "jack_connect on the master"
check_tone "opus 128, master -> rill" rjack "$METER" m1 --connect-from system:capture_1
kill "$SIMPLE_M"
wait_exit "$SIMPLE_M" 5

spawn rjack jack_simple_client >"$RILL_TMP/simple-r.log" 2>&1
SIMPLE_R=$SPAWN_PID
wait_for "ports_connected jack_simple_client:output1 system:playback_1" 10 ||
    fail "jack_simple_client on rill is not connected to system:playback_1"
check_tone "opus 128, rill -> master" jm "$METER" m2 --connect-from "$FOLLOWER:from_slave_1"
kill "$SIMPLE_R"
wait_exit "$SIMPLE_R" 5
grep -q 'librill-rt-trap' "/proc/$RILLD_PID/maps" || fail "the realtime trap is not loaded into rilld"
! grep -q "rill-rt-trap:" "$RILLD_LOG" || fail "the realtime trap fired: $(grep rill-rt-trap: "$RILLD_LOG")"
rill_alive || fail "rilld died"
rill_stop

# -e opus alone: 64 kbit/s
RILLD_LOG=$RILL_TMP/rilld-64.log
ip netns exec "$NSB" "$RILLD" -n "$RILL_SERVER" -d net -C 1 -P 1 -e opus -n "${FOLLOWER}o" \
    >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\" '$RILLD_LOG'" 20 ||
    fail "rilld -d net -e opus did not join the master within 20 s: $(cat "$RILLD_LOG")"
grep -q "1 in / 1 out, opus" "$RILLD_LOG" || fail "not an opus session: $(grep joined "$RILLD_LOG")"
spawn rjack jack_simple_client >"$RILL_TMP/simple-r2.log" 2>&1
wait_for "ports_connected jack_simple_client:output1 system:playback_1" 10 ||
    fail "jack_simple_client on rill is not connected to system:playback_1 (64 kbit/s)"
check_tone "opus 64, rill -> master" jm "$METER" m3 --connect-from "${FOLLOWER}o:from_slave_1"
rill_stop
info "ok"
