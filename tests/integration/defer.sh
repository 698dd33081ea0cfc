#!/bin/bash
# tests/integration/defer.sh — the main thread never waits for the realtime
# thread inside a request (engine/server.c, rill_server_after_plan).
#
# With periods of about a second, client A's ACTIVATE and DEACTIVATE wait
# for the plan, and so does a PORT_REGISTER whose only free id was given
# back a moment before; control client B's PROPERTY_READ, sent right after, is
# answered while A still waits (tests/clients/rill-test-defer checks the
# order of the replies, not a time), and A is answered after.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

DEFER=$RILL_TOP_BUILDDIR/tests/clients/rill-test-defer
require_built "$RILLD" "$RILLCTL" "$DEFER"
rill_start "$RILL_SERVER" -t 20000 --port-max 16 -d dummy -r 8000 -p 8192

expect_rc 0 "$DEFER" "$RILL_SERVER"
expect_out "^ok ACTIVATE" "ACTIVATE must wait while the other request is answered"
expect_out "^ok DEACTIVATE" "DEACTIVATE must wait while the other request is answered"
expect_out "^ok PORT_REGISTER of a held id" \
    "a registration that waits for a held port id must not hold up other requests"
expect_out "^ok a second request while one waits is refused" \
    "a connection's second request while one waits must be refused whole"
info "$(printf '%s\n' "$OUT" | tr '\n' ';')"

# the server goes on serving: its clients list no longer holds defer-a
expect_rc 0 rctl clients
printf '%s\n' "$OUT" | grep -q "defer-a" && fail "defer-a is still listed after it left: $OUT"
rill_stop
info "ok"
