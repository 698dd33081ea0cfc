#!/bin/sh
# tests/fuzz/net_packet-replay.sh — replay the NetJACK2 packet harness's seeds
# (and any saved crashers in tests/fuzz/net_packet/crashers/) under `make check`.
set -e
dirs="$RILL_TOP_SRCDIR/tests/fuzz/net_packet/seeds"
[ -d "$RILL_TOP_SRCDIR/tests/fuzz/net_packet/crashers" ] &&
    dirs="$dirs $RILL_TOP_SRCDIR/tests/fuzz/net_packet/crashers"
exec "$RILL_TOP_BUILDDIR/tests/fuzz/net_packet-replay" $dirs
