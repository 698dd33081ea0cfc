#!/bin/bash
# tests/integration/net-jnm.sh — rilld -d net following jackd2's
# jack_net_master (libjacknet's stand-alone master, which echoes what its
# follower sends back to it, paced by usleep at about a third of real time).
#
# Until this session rilld gave up on it: jack_net_master waits a whole
# second after START_MASTER before its first cycle, rilld took that second
# of silence for a master gone (it now waits 5 s for a session's first
# cycle), and between its slow cycles rilld played periods of silence of its
# own (it now follows a master slower than its period at its pace).
#
#   1. rilld joins jack_net_master (48 kHz, 256 frames) and takes its rate;
#   2. float bit-exact both ways: rill-test-ramp's counter goes out on
#      system:playback_1 and comes back on system:capture_1, every sample in
#      place, period after period (a period echoed twice is allowed only
#      after a period rill played without the master, see below);
#   3. a 240 Hz tone (jack_simple_client) comes back at 240 Hz, its level.
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-180}
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces); run make check as root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
require_program jack_net_master jackd2
require_program jack_simple_client jackd2
RAMP=$RILL_TOP_BUILDDIR/tests/clients/rill-test-ramp
METER=$RILL_TOP_BUILDDIR/tests/clients/rill-test-meter
require_built "$RILLD" "$RILLCTL" "$RAMP" "$METER"

. "$(dirname "$0")/net-lib.sh"
net_setup

RILLD_LOG=$RILL_TMP/rilld.log
ip netns exec "$NSB" "$RILLD" -n "$RILL_SERVER" -d net -C 2 -P 2 -n "$FOLLOWER" \
    >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
ip netns exec "$NSA" jack_net_master -r 48000 -b 256 >"$RILL_TMP/jnm.log" 2>&1 &
JNM_PID=$!
RILL_PIDS+=("$JNM_PID")
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\" '$RILLD_LOG'" 20 ||
    fail "rilld -d net did not join jack_net_master within 20 s: $(cat "$RILLD_LOG" "$RILL_TMP/jnm.log")"
grep -q "joined a master: 48000 Hz, 256 frames, 2 in / 2 out, float" "$RILLD_LOG" ||
    fail "rilld did not take jack_net_master's rate and period: $(grep joined "$RILLD_LOG")"
info "rilld joined jack_net_master (pid $JNM_PID)"

# 2. the counter, through jack_net_master's echo
spawn rjack "$RAMP" source src --connect-to system:playback_1 >"$RILL_TMP/src.log" 2>&1
SRC_PID=$SPAWN_PID
spawn rjack "$RAMP" check chk --connect-from system:capture_1 --block 256 \
    --status "$RILL_TMP/chk.status" >"$RILL_TMP/chk.log" 2>&1
CHK_PID=$SPAWN_PID
chk() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" "$RILL_TMP/chk.status" 2>/dev/null; }
wait_for "[ \"\$(chk ok)\" -ge 100 ] 2>/dev/null" 30 ||
    fail "the counter did not come back: $(cat "$RILL_TMP/chk.status" 2>/dev/null) $(cat "$RILL_TMP/chk.log"); $("$RILLCTL" -s "$RILL_SERVER" status | grep -A1 '^network:')"
# jack_net_master echoes its last buffer again when rill did not answer a
# cycle, which happens only after rill played a period of its own while the
# master was late (counted as empty): each such period may bring back one
# period again (a backward jump for the checker); and a cycle whose
# datagrams came only in part (counted as incomplete: the master, starved
# on a loaded machine, sent them too late) plays the missing part as
# silence (a partly silent block). Nothing else may be wrong
netc() { "$RILLCTL" -s "$RILL_SERVER" status --json | python3 -c 'import json,sys; n = json.load(sys.stdin)["network"]; print(n["empty"] + n["incomplete"])'; }
z_ok=$(chk ok) z_bad=$(chk bad) z_empty=$(netc)
wait_for "[ \$(( \$(chk ok) - z_ok )) -ge 200 ]" 30 ||
    fail "the echo stopped: $(cat "$RILL_TMP/chk.status")"
nbad=$(($(chk bad) - z_bad)) nempty=$(($(netc) - z_empty))
[ "$nbad" -le "$nempty" ] ||
    fail "the echo came back wrong $nbad times with $nempty periods played without the master or incomplete: $(cat "$RILL_TMP/chk.status"); $("$RILLCTL" -s "$RILL_SERVER" status | grep -A1 '^network:')"
info "float through jack_net_master bit-exact: $(cat "$RILL_TMP/chk.status") ($nbad wrong periods, $nempty periods without the master)"
kill "$CHK_PID" "$SRC_PID"
wait_exit "$CHK_PID" 5
wait_exit "$SRC_PID" 5

# 3. a tone
spawn rjack jack_simple_client >"$RILL_TMP/simple.log" 2>&1
wait_for "ports_connected jack_simple_client:output1 system:playback_1" 10 ||
    fail "jack_simple_client on rill is not connected to system:playback_1"
out=$(rjack "$METER" m1 --connect-from system:capture_1 --seconds 3) || fail "the meter failed: $out"
freq=$(sed -n 's/.*freq=\([0-9.]*\).*/\1/p' <<<"$out")
rms=$(sed -n 's/.*rms=\([0-9.]*\).*/\1/p' <<<"$out")
awk -v f="$freq" -v r="$rms" 'BEGIN { exit !(f > 239.5 && f < 240.5 && r > 0.139 && r < 0.144) }' ||
    fail "the tone through jack_net_master: want 240 Hz at rms 0.1414, got $out"
info "tone through jack_net_master: $out"
info "$("$RILLCTL" -s "$RILL_SERVER" status | grep -A1 '^network:' | tr -s ' ' | tr '\n' ' ')"
rill_alive || fail "rilld died"
rill_stop
info "ok"
