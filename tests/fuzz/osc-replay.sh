#!/bin/sh
# tests/fuzz/osc-replay.sh — replay the OSC harness's seeds (and any saved
# crashers in tests/fuzz/osc/crashers/) under `make check`.
set -e
dirs="$RILL_TOP_SRCDIR/tests/fuzz/osc/seeds"
[ -d "$RILL_TOP_SRCDIR/tests/fuzz/osc/crashers" ] && dirs="$dirs $RILL_TOP_SRCDIR/tests/fuzz/osc/crashers"
exec "$RILL_TOP_BUILDDIR/tests/fuzz/osc-replay" $dirs
