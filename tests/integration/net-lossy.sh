#!/bin/bash
# tests/integration/net-lossy.sh — rilld -d net on a lossy link: a missing or
# late datagram is silence for its frames and is counted, datagrams out of
# order within their cycle are placed correctly, another session's are
# ignored, and the stream recovers.
#
# Namespace A: jackd -d dummy + netmanager (jackd2, the master). Namespace B:
# rilld -d net and the test's own relay (net_relay.py) between them: rilld
# talks to the relay on 127.0.0.2:19000, the relay to the master from
# 10.219.0.2:19001. On the master rill-test-ramp plays a counter into
# FOLLOWER:to_slave_1; on rill rill-test-ramp checks system:capture_1 in
# blocks of 128 frames (2 channels, float, 256 frames, MTU 1500: each cycle
# is a sync datagram and two audio datagrams of 128 frames).
#
# While the relay is lossy (about 4 s) it drops 3 % of the master's cycle
# datagrams, delays 1 % by 100 ms, swaps 10 % with the next one of their
# cycle and forges 2 % as another session's. Then, with L the datagrams
# that came too late for their cycle because of the machine's own load
# (rill's late count minus the relay's delayed ones; 0 on an idle machine):
#   - rill's lost minus its late = what the relay dropped (exactly);
#   - rill's foreign = what the relay forged (exactly);
#   - swapped - L <= rill's reordered <= swapped;
#   - the checker heard silence in exactly the blocks whose audio datagram
#     was dropped or delayed (+ at most L), and every other sample was right
#     (bad=0: no glitch, no sample out of place);
#   - after the relay stops losing, the checker counts whole correct periods
#     again (recovery), and rilld logged the counters at most once a second.
# With netem in the kernel (tc qdisc ... netem), a second round loses 5 % on
# the master's veth instead: counted, silence only there, nothing bad.
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-240}
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces); run make check as root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
require_program jackd jackd2
require_program jack_load jackd2
require_program jack_wait jackd2
require_program python3 python3
RAMP=$RILL_TOP_BUILDDIR/tests/clients/rill-test-ramp
RELAY=$RILL_TOP_SRCDIR/tests/integration/net_relay.py
require_built "$RILLD" "$RILLCTL" "$RAMP"

. "$(dirname "$0")/net-lib.sh"
net_setup
start_master -S # a late source on jackd2 would repeat its last period (async mode)

# SCHED_FIFO, as the servers: a relay that the machine's load delays would
# make datagrams late that it did not mean to
ip netns exec "$NSB" chrt -f 10 python3 "$RELAY" 127.0.0.2:19000 10.219.0.2:19001 10.219.0.1:19000 \
    "$RILL_TMP/relay.json" >"$RILL_TMP/relay.log" 2>&1 &
RELAY_PID=$!
RILL_PIDS+=("$RELAY_PID")

RILLD_LOG=$RILL_TMP/rilld.log
ip netns exec "$NSB" "$RILLD" -n "$RILL_SERVER" -d net -a 127.0.0.2 -p 19000 -C 2 -P 2 \
    -n "$FOLLOWER" >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\" '$RILLD_LOG'" 20 ||
    fail "rilld -d net did not join the master through the relay within 20 s: $(cat "$RILLD_LOG" "$RILL_TMP/relay.log")"
wait_for "jm jack_lsp | grep -qxF '$FOLLOWER:to_slave_1'" 10 || fail "the master shows no $FOLLOWER ports"
info "rilld joined through the relay (pid $RILLD_PID)"

spawn env JACK_DEFAULT_SERVER="$MASTER" "$RAMP" source src --connect-to "$FOLLOWER:to_slave_1" \
    >"$RILL_TMP/src.log" 2>&1
# into both channels: jackd2's master sends only the ports that carry
# something, and with both each audio datagram is 128 frames of a period
wait_for "jm jack_lsp | grep -qxF src:out" 10 || fail "the ramp source on the master did not start"
jm jack_connect src:out "$FOLLOWER:to_slave_2" || fail "jack_connect src:out $FOLLOWER:to_slave_2"
spawn rjack "$RAMP" check chk --connect-from system:capture_1 --block 128 \
    --status "$RILL_TMP/chk.status" >"$RILL_TMP/chk.log" 2>&1
CHK_PID=$SPAWN_PID

chk() { sed -n "s/.*\\b$1=\\([0-9]*\\).*/\\1/p" "$RILL_TMP/chk.status" 2>/dev/null; }
net() {
    "$RILLCTL" -s "$RILL_SERVER" status --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["network"][sys.argv[1]])' "$1"
}
relay() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); k=sys.argv[2].split("."); v=d[k[0]]
print(sum(v.values()) if isinstance(v, dict) and len(k) == 1 else v[k[1]] if len(k) > 1 else v)' \
        "$RILL_TMP/relay.json" "$1"
}
wait_for "[ \"\$(chk ok)\" -ge 200 ] 2>/dev/null" 20 ||
    fail "the checker did not hear 200 correct periods: $(cat "$RILL_TMP/chk.status" 2>/dev/null) $(cat "$RILL_TMP/chk.log")"
# the start of the stream is not judged (the master's first cycles, the
# checker connecting mid-stream): from here on the clean link must be clean
z_bad=$(chk bad) z_ok=$(chk ok)
wait_for "[ \$(( \$(chk ok) - z_ok )) -ge 300 ]" 20 || fail "the stream stopped: $(cat "$RILL_TMP/chk.status")"
[ "$(chk bad)" = "$z_bad" ] ||
    fail "wrong samples on a clean link: $(cat "$RILL_TMP/chk.status") (was bad=$z_bad); $("$RILLCTL" -s "$RILL_SERVER" status | grep -A1 '^network:')"

# ---- the lossy round (relay)
snap() { # PREFIX: the checker's and rill's counts into PREFIX_*
    local k
    for k in lost_blocks gap_frames bad ok; do eval "$1_$k=\$(chk $k)"; done
    for k in lost late reordered foreign; do eval "$1_n$k=\$(net $k)"; done
}
snap a
T0=$(date +%s)
kill -USR1 "$RELAY_PID"
wait_for "[ \$(( \$(net lost) - a_nlost )) -ge 60 ]" 30 ||
    fail "rill counted only $(($(net lost) - a_nlost)) lost datagrams in 30 s of a 3 % loss"
kill -USR2 "$RELAY_PID"
wait_for "[ -s '$RILL_TMP/relay.json' ]" 10 || fail "the relay wrote no statistics"
info "relay: $(cat "$RILL_TMP/relay.json")"
# recovery: whole correct periods again
before_ok=$(chk ok)
wait_for "[ \$(( \$(chk ok) - before_ok )) -ge 200 ]" 20 ||
    fail "no recovery: $(( $(chk ok) - before_ok )) correct periods after the loss stopped: $(cat "$RILL_TMP/chk.status")"
snap b
T1=$(date +%s)

D=$(relay dropped) LATE=$(relay delayed) DA=$(relay dropped.a) LA=$(relay delayed.a)
SW=$(relay swapped) FG=$(relay forged)
lost=$((b_nlost - a_nlost)) late=$((b_nlate - a_nlate))
reord=$((b_nreordered - a_nreordered)) foreign=$((b_nforeign - a_nforeign))
L=$((late - LATE))
heard=$(((b_lost_blocks - a_lost_blocks) + (b_gap_frames - a_gap_frames) / 128))
info "rill: lost $lost late $late reordered $reord foreign $foreign; checker: $heard blocks of 128 frames silent ($(cat "$RILL_TMP/chk.status")); load-late L=$L"
[ "$b_bad" = "$a_bad" ] || fail "the checker heard wrong samples (a glitch, or a datagram misplaced): $(cat "$RILL_TMP/chk.status")"
[ "$L" -ge 0 ] || fail "rill counted $late late datagrams, fewer than the $LATE the relay delayed"
[ $((lost - late)) = "$D" ] ||
    fail "rill counted $lost lost - $late late = $((lost - late)) datagrams that never came; the relay dropped $D"
[ "$foreign" = "$FG" ] || fail "rill ignored $foreign foreign datagrams; the relay forged $FG"
[ "$reord" -le "$SW" ] && [ "$reord" -ge $((SW - L)) ] ||
    fail "rill placed $reord datagrams out of order; the relay swapped $SW (load-late $L)"
[ "$heard" -ge $((DA + LA)) ] && [ "$heard" -le $((DA + LA + L)) ] ||
    fail "the checker heard $heard silent blocks; the relay dropped $DA and delayed $LA audio datagrams (load-late $L)"
[ "$D" -gt 0 ] && [ "$SW" -gt 0 ] && [ "$FG" -gt 0 ] && [ "$LATE" -gt 0 ] ||
    fail "the relay did not drop, swap, forge and delay: $(cat "$RILL_TMP/relay.json")"
# the counters were logged, at most once a second
nlog=$(grep -c '^net: last second:' "$RILLD_LOG")
secs=$(($(date +%s) - T0 + 2))
[ "$nlog" -ge 1 ] && [ "$nlog" -le "$secs" ] ||
    fail "rilld logged its counters $nlog times in about $secs s (want 1..$secs: rate-limited)"
"$RILLCTL" -s "$RILL_SERVER" status | grep -q "^datagrams: .* lost, .* late, .* reordered" ||
    fail "rillctl status shows no datagrams line: $("$RILLCTL" -s "$RILL_SERVER" status)"
info "lossy link: counted silence = drops; $nlog log lines in $((T1 - T0)) s; $("$RILLCTL" -s "$RILL_SERVER" status | grep -A1 '^network:' | tr -s ' ' | tr '\n' ' ')"

# ---- netem, when the kernel has it: loss on the master's side of the veth
if ip -n "$NSA" link >/dev/null 2>&1 && ip netns exec "$NSA" tc qdisc add dev "$VA" root netem loss 5% 2>/dev/null; then
    snap c
    wait_for "[ \$(( \$(net lost) - c_nlost )) -ge 40 ]" 30 ||
        fail "netem: rill counted only $(($(net lost) - c_nlost)) lost datagrams in 30 s of a 5 % loss"
    ip netns exec "$NSA" tc qdisc del dev "$VA" root || fail "netem: cannot remove the qdisc"
    before_ok=$(chk ok)
    wait_for "[ \$(( \$(chk ok) - before_ok )) -ge 200 ]" 20 ||
        fail "netem: no recovery: $(cat "$RILL_TMP/chk.status")"
    snap d
    [ "$d_bad" = "$c_bad" ] || fail "netem: the checker heard wrong samples: $(cat "$RILL_TMP/chk.status")"
    heard=$(((d_lost_blocks - c_lost_blocks) + (d_gap_frames - c_gap_frames) / 128))
    lost=$((d_nlost - c_nlost))
    [ "$heard" -ge 1 ] && [ "$heard" -le "$lost" ] ||
        fail "netem: $heard silent blocks heard for $lost datagrams lost"
    info "netem 5 %: $lost datagrams lost, $heard blocks silent, nothing wrong"
else
    info "netem is not in this kernel (tc qdisc ... netem failed): the relay round only"
fi

kill "$CHK_PID"
wait_exit "$CHK_PID" 5
rill_alive || fail "rilld died"
rill_stop
info "ok"
