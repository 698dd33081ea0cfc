#!/bin/bash
# tests/integration/stats.sh — jack_set_thread_creator, the session API's
# documented failures and the xrun delay statistics (tests/clients/
# rill-test-stats.c says what it checks), and the <jack/intclient.h> calls
# that jack_load does not use. The test stops rilld for 300 ms so
# that the driver wakes late: an xrun with a delay of about 300 ms.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

STATS=$RILL_TOP_BUILDDIR/tests/clients/rill-test-stats
require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$STATS"

export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/internal/.libs
rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
spawn rjack "$STATS" >"$RILL_TMP/stats.log" 2>&1
pid=$SPAWN_PID
wait_for "grep -q '^waiting' '$RILL_TMP/stats.log'" 10 ||
    fail "rill-test-stats did not get to the xrun part: $(cat "$RILL_TMP/stats.log")"
kill -STOP "$RILLD_PID"
sleep 0.3
kill -CONT "$RILLD_PID"
wait_exit "$pid" 15 || fail "rill-test-stats did not finish: $(cat "$RILL_TMP/stats.log")"
[ "$WAIT_RC" = 0 ] || fail "rill-test-stats exited $WAIT_RC: $(cat "$RILL_TMP/stats.log")"
grep -q '^ok ' "$RILL_TMP/stats.log" || fail "no ok line: $(cat "$RILL_TMP/stats.log")"
info "$(grep '^ok ' "$RILL_TMP/stats.log")"
rill_stop
info "ok"
