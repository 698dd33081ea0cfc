#!/bin/bash
# tests/integration/jack-order.sh — the order and audience of notifications
# that jackd2's jack_test relies on (tests/clients/rill-test-order.c): latency
# callbacks before the graph-order callback after a connection; a port of an
# inactive client announced at its activation, once; the caller's own
# unregistration callback done when jack_port_unregister returns. Also
# jack_is_realtime as JACK answers it (realtime server, freewheeling or not).
. "$(dirname "$0")/lib.sh"

ORDER=$RILL_TOP_BUILDDIR/tests/clients/rill-test-order
require_built "$ORDER"
rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

expect_rc 0 rjack "$ORDER"
info "$OUT"
# rilld says in its ready line whether it runs realtime; jack_is_realtime agrees
if grep -q "^rilld: server .* ready:.*, realtime," "$RILLD_LOG"; then want_rt=1; else want_rt=0; fi
expect_out "^realtime=$want_rt\$" "jack_is_realtime before jack_activate: want $want_rt (rilld's mode)"
expect_out "^ok: jack_is_realtime $want_rt, 0 while freewheeling" "jack_is_realtime while freewheeling"
for want in "latency callbacks first" "announced once, at activation" "removal announced once" \
    "before jack_port_unregister returned"; do
    expect_out "^ok: .*$want" "rill-test-order: '$want'"
done
rill_stop
info "ok"
