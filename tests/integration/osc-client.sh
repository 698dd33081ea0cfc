#!/bin/bash
# tests/integration/osc-client.sh — rilld's OSC namespace from a client made
# of Python's standard library only (tests/integration/osc_client.py): ids
# echoed, list counts equal to rillctl's, every rillctl error case with its
# code and rillctl's sentence, malformed input refused, reply addresses
# FORBIDDEN outside loopback, a lease that runs out, the 17th subscriber
# refused, a slow subscriber under 10,000 connects getting overflow and a
# consistent snapshot, transport from surface paths, `ended` at shutdown, and
# a rate limit that answers every request.
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-300}
. "$(dirname "$0")/lib.sh"

require_program python3 python3
require_program jack_midiseq jackd2
CLIENT=$RILL_TOP_SRCDIR/tests/integration/osc_client.py

run_client() {
    python3 "$CLIENT" --udp "$(sed -n 1p "$(rill_socket).osc-url")" \
        --unix "$(sed -n 2p "$(rill_socket).osc-url")" --server "$RILL_SERVER" \
        --rillctl "$RILLCTL" --rilld-pid "$RILLD_PID" "$@" ||
        fail "osc_client.py $*"
}

# 100 + 100 system ports (the slow subscriber's 10,000 connections), no rate
# limit
rill_start "$RILL_SERVER" -v --osc --osc-udp 0 --osc-rate 0 -d dummy -C 100 -P 100
spawn rjack jack_midiseq oscseq 24000 0 60 8000 >"$RILL_TMP/seq.log" 2>&1
wait_for "port_exists oscseq:out" 10 || fail "jack_midiseq's port did not appear"
run_client --midi-port oscseq:out ids lists errors forbidden subscribe lease max surface topics \
    slow
kill "$SPAWN_PID"
run_client shutdown
wait_exit "$RILLD_PID" 10 || fail "rilld did not stop"
RILLD_PID=
[ -e "$(rill_socket).osc" ] && fail "the OSC socket is left after shutdown"

# the rate limit
rill_start "$RILL_SERVER" --osc-udp 0 --osc-rate 100 -d dummy
run_client rate
rill_stop
exit 0
