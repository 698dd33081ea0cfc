#!/bin/bash
# tests/integration/net-transport.sh — the JACK transport on a NetJACK2 link
# with jackd2, as it really is (doc/network.md, "Transport").
#
# jackd2 1.9.21 carries no transport over NetJACK2: its `-d net` has no -t
# (the parameter is commented out, "Deactivated for now"), and the transport
# parts of its sync packets are commented out in both directions (the sync
# payload is only the active-port list). So each machine's transport is its
# own. What rill must get right, checked here:
#
#   1. rilld -d net -t 1 is refused, saying why;
#   2. rill following jackd2's netmanager (jackd -d dummy + jack_load
#      netmanager): rill's own transport, started with rillctl, rolls on
#      the cycles the master's
#      packets clock, its position advancing by exactly a period per cycle
#      (rill-test-transport watching: no jump, no torn read), and stops
#      again.
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-120}
. "$(dirname "$0")/lib.sh"

TT=$RILL_TOP_BUILDDIR/tests/clients/rill-test-transport
require_built "$RILLD" "$RILLCTL" "$TT"

# ---- 1. (no network needed) rilld -d net -t 1
out=$("$RILLD" -n "t$$" -d net -t 1 2>&1) && fail "rilld -d net -t 1 started"
grep -q "transport sync" <<<"$out" || fail "rilld -d net -t 1 does not say why it refuses: $out"
info "rilld -d net -t 1 refused: $(grep 'transport sync' <<<"$out" | head -1)"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces); run make check as root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
require_program jackd jackd2
require_program jack_load jackd2
require_program jack_wait jackd2
SLOW=1
[ "$RILL_SANITIZERS" = yes ] && SLOW=3

. "$(dirname "$0")/net-lib.sh"
net_setup
start_master

# ---- 2. rill following jackd2
RILLD_LOG=$RILL_TMP/rilld.log
ip netns exec "$NSB" "$RILLD" -n "$RILL_SERVER" -d net -C 2 -P 2 -n "$FOLLOWER" >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\" '$RILLD_LOG'" $((20 * SLOW)) ||
    fail "rilld -d net did not join jackd2's netmanager: $(cat "$RILLD_LOG")"

spawn rjack "$TT" watch tw --status "$RILL_TMP/tw.status"
wait_for "[ -s '$RILL_TMP/tw.status' ]" 15 || fail "the transport watcher on rill did not start"
tw() { sed -n "s/.*\\b$1=\\([0-9A-Za-z_]*\\).*/\\1/p" "$RILL_TMP/tw.status" 2>/dev/null; }
rctl transport start || fail "rillctl transport start"
wait_for "[ \"\$(tw rolling)\" -ge 200 ] 2>/dev/null" $((15 * SLOW)) ||
    fail "rill's transport does not roll under -d net: $(cat "$RILL_TMP/tw.status")"
f0=$(tw frame)
wait_for "[ \"\$(tw frame)\" -ge \$((f0 + 48000)) ] 2>/dev/null" $((10 * SLOW)) ||
    fail "rill's transport position does not advance: $(cat "$RILL_TMP/tw.status")"
[ "$(tw jumps)" = 0 ] && [ "$(tw torn)" = 0 ] && [ "$(tw bad_advance)" = 0 ] ||
    fail "rill's transport position jumped under -d net: $(cat "$RILL_TMP/tw.status")"
info "rill's transport rolls under -d net: $(cat "$RILL_TMP/tw.status")"
rctl transport stop || fail "rillctl transport stop"
s0=$(tw stopped)
wait_for "[ \"\$(tw stopped)\" -ge \$((s0 + 50)) ] 2>/dev/null" $((10 * SLOW)) ||
    fail "rill's transport does not stop: $(cat "$RILL_TMP/tw.status")"
rill_alive || fail "rilld died"
rill_stop
info "ok"
