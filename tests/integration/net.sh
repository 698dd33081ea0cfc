#!/bin/bash
# tests/integration/net.sh — rilld -d net as a NetJACK2 follower of jackd2.
#
# Two network namespaces joined by a veth pair, created here and removed at
# the end (jackd2's follower side does not work over one namespace's
# loopback; see doc/network.md). In namespace A: `jackd -d dummy` with
# jackd2's netmanager loaded (the master). In namespace B: rilld -d net.
# JACK and rill clients run in the root namespace: their Unix sockets live
# in the filesystem, so they reach both servers.
#
#   1. rilld finds the master and takes its rate and period;
#   2. a 240 Hz tone (jack_simple_client) on the master is heard on rill's
#      system:capture_1 at 240 Hz and its level, and the other way round;
#   3. float is bit-exact: rill's known signal goes out, loops back through
#      the master (from_slave_1 -> to_slave_1) and comes back sample for
#      sample after a whole number of periods;
#   4. the master killed with SIGKILL: rilld says so and keeps running, its
#      clients keep cycling; 2000 malformed datagrams are refused and counted;
#   5. the master restarted: rilld rejoins and the tone is heard again;
#      from the kill to here strace follows rilld's realtime thread: only
#      ppoll, recvfrom, sendto and futex (connect is the housekeeping
#      thread's);
#   6. a new rilld with -e int (16-bit samples): rill's tone heard on the
#      master (jackd2's own int16 sender is broken: see below).
#
# Network traffic only inside the two namespaces. Needs root and `ip netns`.
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-300}
. "$(dirname "$0")/lib.sh"

# refusals that need no network: clear messages, exit 1 (2: a usage error
# the option parser catches), nothing sent
expect_rc 2 "$RILLD" -n "$RILL_SERVER" -d net -i 257
expect_out "midi-in-ports" "-i 257 must be refused by name"
expect_rc 1 "$RILLD" -n "$RILL_SERVER" -d net -t 1
expect_out "transport sync .* not supported" "-t 1 must be refused by name"
expect_rc 1 "$RILLD" -n "$RILL_SERVER" -d net -a 300.1.1.1
expect_out "not an IPv4 address" "a bad -a must be refused"
expect_rc 2 "$RILLD" -n "$RILL_SERVER" -d net -e mp3
expect_out "one of float, int, opus" "-e mp3 must be refused with the choices"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces); run make check as root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
require_program jackd jackd2
require_program jack_load jackd2
require_program jack_connect jackd2
require_program jack_wait jackd2
require_program jack_simple_client jackd2
require_program strace strace
require_built "$RILLD" "$RILL_TOP_BUILDDIR/tests/clients/rill-test-meter" "$RILL_CHAIN"
METER=$RILL_TOP_BUILDDIR/tests/clients/rill-test-meter

. "$(dirname "$0")/net-lib.sh"
net_setup

start_master
RILLD_LOG=$RILL_TMP/rilld.log
# the realtime allocation/lock trap (tests/rt) in this rilld: every realtime
# path of the driver below (rolling, lost, rejoining, the flood) runs under it
require_built "$RILL_TRAP"
trap_preload=$RILL_TRAP
[ "$RILL_SANITIZERS" = yes ] && trap_preload="${RILL_SAN_PRELOAD%%:*}:$RILL_TRAP"
ip netns exec "$NSB" env LD_PRELOAD="$trap_preload" "$RILLD" -n "$RILL_SERVER" -d net -C 2 -P 2 \
    -n "$FOLLOWER" >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\" '$RILLD_LOG'" 20 ||
    fail "rilld -d net did not join the master within 20 s"
grep -q "joined a master: 48000 Hz, 256 frames, 2 in / 2 out, float" "$RILLD_LOG" ||
    fail "rilld did not take the master's rate and period: $(grep joined "$RILLD_LOG")"
wait_for "jm jack_lsp | grep -qxF '$FOLLOWER:to_slave_1'" 10 ||
    fail "the master shows no $FOLLOWER ports"
port_exists system:capture_1 && port_exists system:playback_2 || fail "rill has no system ports"
info "rilld joined (pid $RILLD_PID)"

# meter NAME SERVER-RUNNER PORT: prints freq and rms
check_tone() {
    local what=$1 out freq rms
    shift
    out=$("$@" --seconds 2) || fail "$what: the meter failed: $out"
    freq=$(sed -n 's/.*freq=\([0-9.]*\).*/\1/p' <<<"$out")
    rms=$(sed -n 's/.*rms=\([0-9.]*\).*/\1/p' <<<"$out")
    awk -v f="$freq" -v r="$rms" 'BEGIN { exit !(f > 239.5 && f < 240.5 && r > 0.139 && r < 0.144) }' ||
        fail "$what: want 240 Hz at rms 0.1414 (jack_simple_client), got $out"
    info "$what: $out"
}

# 2a. master -> rill
spawn env JACK_DEFAULT_SERVER=$MASTER jack_simple_client >"$RILL_TMP/simple-m.log" 2>&1
SIMPLE_M=$SPAWN_PID
wait_for "jm jack_lsp | grep -qxF jack_simple_client:output1" 10 || fail "jack_simple_client on the master"
jm jack_connect jack_simple_client:output1 "$FOLLOWER:to_slave_1" || fail "jack_connect on the master"
check_tone "master -> rill" rjack "$METER" m1 --connect-from system:capture_1
kill "$SIMPLE_M"
wait_exit "$SIMPLE_M" 5

# 2b. rill -> master (jack_simple_client connects itself to system:playback_1/2)
spawn rjack jack_simple_client >"$RILL_TMP/simple-r.log" 2>&1
SIMPLE_R=$SPAWN_PID
wait_for "ports_connected jack_simple_client:output1 system:playback_1" 10 ||
    fail "jack_simple_client on rill is not connected to system:playback_1"
check_tone "rill -> master" jm "$METER" m2 --connect-from "$FOLLOWER:from_slave_1"
kill "$SIMPLE_R"
wait_exit "$SIMPLE_R" 5

# 3. bit-exact round trip: rill's source -> master loops it back -> sinks,
# one per candidate delay in periods (latency + 1 = 6 expected); exactly one
# must see every sample.
jm jack_connect "$FOLLOWER:from_slave_1" "$FOLLOWER:to_slave_1" || fail "loopback on the master"
chain_start source src --connect-to system:playback_1
for k in 4 5 6 7 8; do
    chain_start sink "k$k" --connect-from system:capture_1 --latency $((k * 256))
done
any_exact() {
    local k
    for k in 4 5 6 7 8; do
        [ "$(chain_get "k$k" ok)" -ge 150 ] && return 0
    done
    return 1
}
wait_for any_exact 20 ||
    fail "no delay of 4..8 periods gives the signal back bit for bit: $(for k in 4 5 6 7 8; do echo "k$k: $(chain_status k$k)"; done)"
exact=
for k in 4 5 6 7 8; do
    [ "$(chain_get "k$k" ok)" -ge 150 ] && exact=$k
done
[ "$(chain_get "k$exact" bad)" = 0 ] || fail "delay $exact periods: $(chain_status "k$exact")"
info "float round trip bit-exact after $exact periods: $(chain_status "k$exact")"
for k in 4 5 6 7 8; do
    [ "$k" = "$exact" ] || chain_stop "k$k"
done

# 4. the master killed. From here until rill has rejoined and carried a tone
# again, one strace follows rilld's realtime thread (rilld-rt): rolling,
# losing the master, the flood, rejoining. Its system calls must be the
# driver's wait (ppoll, recvfrom), its sends (sendto) and the engine's futex
# calls: the socket's connect and disconnect belong to the driver's
# housekeeping thread.
RT_TID=
for t in /proc/"$RILLD_PID"/task/*; do
    [ "$(cat "$t/comm" 2>/dev/null)" = rilld-rt ] && RT_TID=$(basename "$t")
done
[ -n "$RT_TID" ] || fail "no thread named rilld-rt in rilld (pid $RILLD_PID)"
strace -qq -o "$RILL_TMP/strace-rt.txt" -p "$RT_TID" 2>"$RILL_TMP/strace-rt.log" &
STRACE_PID=$!
RILL_PIDS+=("$STRACE_PID")
wait_for "[ -s '$RILL_TMP/strace-rt.txt' ]" 10 || fail "strace traced nothing: $(cat "$RILL_TMP/strace-rt.log")"
kill -KILL "$JACKD_PID"
wait_exit "$JACKD_PID" 5
JACKD_PID=
jack_forget_master
before=$(chain_get src cycles)
wait_for "grep -q 'the master is gone' '$RILLD_LOG'" 5 || fail "rilld did not notice the master's end"
rill_alive || fail "rilld died with the master"
chain_wait_key src cycles $((before + 300)) 10 ||
    fail "rill's clients stopped cycling without the master: $(chain_status src)"
info "master killed: rilld alive, clients cycling ($(chain_status src))"

# 4b. a flood of malformed datagrams while rilld listens for a master:
# empty, short, truncated and oversized params and header packets, random
# bytes; all refused and counted, rilld and its clients unaffected
ip netns exec "$NSA" python3 - <<'PY' || fail "the malformed-packet sender failed"
import os, random, socket, struct, time
random.seed(14)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ("10.219.0.2", 19000)
good_params = b"params\0\0" + struct.pack(">Ii", 8, 1) + bytes(628)
hdr = b"header\0\0" + struct.pack(">IIIIIIIIiI", ord("a"), ord("s"), 1, 0xffffffff, 48, 0xffff,
                                    1, 0xfffffff0, -1, 1)
cases = [b"", b"p", b"params\0\0", good_params[:643], good_params + b"x",
         good_params[:12] + b"\xff" * 632, hdr, hdr[:47], hdr + bytes(1400)]
for i in range(2000):
    if i < len(cases) * 20:
        d = cases[i % len(cases)]
    else:
        d = os.urandom(random.randrange(0, 1500))
    s.sendto(d, dst)
    if i % 50 == 49:  # 5000 a second: a flood, paced so that the socket's
        time.sleep(0.01)  # queue (256 kB) does not overflow every time
PY
rill_alive || fail "rilld died of malformed datagrams"
before=$(chain_get src cycles)
chain_wait_key src cycles $((before + 100)) 10 ||
    fail "rill's clients stopped cycling after malformed datagrams: $(chain_status src)"
info "2000 malformed datagrams: rilld alive, clients cycling"

# 5. the master restarted: rill rejoins
start_master
wait_for "grep -q 'rejoined the master' '$RILLD_LOG'" 20 || fail "rilld did not rejoin the master"
# the datagrams of 4b were counted (rillctl status); the kernel may drop
# some of the flood before rilld reads it, so at least half of them
net_status() { "$RILLCTL" -s "$RILL_SERVER" status --json; }
refused=$(net_status | python3 -c 'import json,sys; n=json.load(sys.stdin)["network"]; print(n["malformed"] + n["foreign"])')
[ "${refused:-0}" -ge 1000 ] 2>/dev/null ||
    fail "rilld did not count the malformed datagrams: $(net_status)"
info "refused and counted: $refused datagrams ($("$RILLCTL" -s "$RILL_SERVER" status | grep -A1 '^network:' | tr -s ' ' | tr '\n' ' '))"
wait_for "jm jack_lsp | grep -q ':to_slave_1\$'" 10 || fail "the restarted master shows no follower"
grep -q 'librill-rt-trap' "/proc/$RILLD_PID/maps" || fail "the realtime trap is not loaded into rilld"
! grep -q "rill-rt-trap:" "$RILLD_LOG" || fail "the realtime trap fired: $(grep rill-rt-trap: "$RILLD_LOG")"
fport=$(jm jack_lsp | grep ':to_slave_1$' | head -1)
spawn env JACK_DEFAULT_SERVER=$MASTER jack_simple_client >"$RILL_TMP/simple-m2.log" 2>&1
SIMPLE_M=$SPAWN_PID
wait_for "jm jack_lsp | grep -qxF jack_simple_client:output1" 10 || fail "jack_simple_client on the master"
jm jack_connect jack_simple_client:output1 "$fport" || fail "jack_connect on the restarted master"
check_tone "after rejoin, master -> rill" rjack "$METER" m3 --connect-from system:capture_1
kill -INT "$STRACE_PID" 2>/dev/null
wait_exit "$STRACE_PID" 10 || fail "strace (pid $STRACE_PID) did not stop"
# "syscall(" lines (one thread: no TID column): calls started in the
# window, by name ("<... resumed>" lines are second halves)
awk '$1 ~ /^[a-z_0-9]+\(/ { sub(/\(.*/, "", $1); n[$1]++ } END { for (s in n) print s, n[s] }' \
    "$RILL_TMP/strace-rt.txt" | sort >"$RILL_TMP/strace-rt.counts"
info "rilld-rt through loss and rejoin: $(tr '\n' ' ' <"$RILL_TMP/strace-rt.counts")"
# (restart_syscall: the kernel going on with a ppoll that strace's own
# attach or a stop interrupted, the same wait, not a call of rill's; seen
# once in a fresh-clone run)
bad=$(awk '$1 !~ /^(ppoll|recvfrom|sendto|futex|clock_gettime|clock_gettime64|restart_syscall)$/' "$RILL_TMP/strace-rt.counts" | tr '\n' ' ')
[ -z "$bad" ] || fail "rilld's realtime thread made other system calls than the driver's wait, its sends and futex: $bad"
for sc in ppoll recvfrom sendto; do
    grep -q "^$sc " "$RILL_TMP/strace-rt.counts" || fail "strace saw no $sc on rilld-rt: is it tracing the right thread? $(tr '\n' ' ' <"$RILL_TMP/strace-rt.counts")"
done
grep -q "\"rejoins\":[1-9]" <(net_status) || fail "rillctl status does not count the rejoin: $(net_status)"
nfollowers=$(jm jack_lsp | grep -c ':to_slave_1$')
[ "$nfollowers" = 1 ] || fail "the restarted master has $nfollowers followers for one rilld"
kill "$SIMPLE_M"
wait_exit "$SIMPLE_M" 5
rill_stop

# 6. int16: rill's tone on the master, within the encoding's step
RILLD_LOG=$RILL_TMP/rilld-int.log
ip netns exec "$NSB" "$RILLD" -n "$RILL_SERVER" -d net -C 2 -P 2 -e int -n "${FOLLOWER}i" \
    >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\" '$RILLD_LOG'" 20 ||
    fail "rilld -d net -e int did not join the master within 20 s"
grep -q "2 in / 2 out, int16" "$RILLD_LOG" || fail "not an int16 session: $(grep joined "$RILLD_LOG")"
wait_for "jm jack_lsp | grep -qxF '${FOLLOWER}i:to_slave_1'" 10 || fail "no ${FOLLOWER}i ports on the master"
# (jackd2 1.9.21's own int16 sender converts no frame at all: it passes -1
# as the frame count, so master -> follower int16 is silence from jackd2;
# rill -> jackd2 is what can be checked.)
spawn rjack jack_simple_client >"$RILL_TMP/simple-r2.log" 2>&1
wait_for "ports_connected jack_simple_client:output1 system:playback_1" 10 ||
    fail "jack_simple_client on rill is not connected to system:playback_1 (int16)"
check_tone "int16, rill -> master" jm "$METER" m5 --connect-from "${FOLLOWER}i:from_slave_1"
rill_stop
info "ok"
