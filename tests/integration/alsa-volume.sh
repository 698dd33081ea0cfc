#!/bin/bash
# tests/integration/alsa-volume.sh — ctl.rill: amixer -D rill changes the
# level that is measured in the graph (playback) and in a recording
# (capture). The gain is (volume/100)^3, 0 when switched off.
#
#   1. the ctl plugin exports alsa-lib's entry points only;
#   2. amixer lists Master (playback volume+switch) and Capture;
#   3. a playing aplay (1 kHz at 0.5): Master 50% -> peak 0.0625, mute -> 0,
#      unmute and 100% -> 0.5, all while it plays;
#   4. a new stream starts at the current value (Master 50%);
#   5. arecord from rill-tone (0.5) with Capture 50% -> 0.0625 in the file.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
require_built "$ALSA_CTL_PLUGIN" "$RILL_TOP_BUILDDIR/tests/clients/rill-test-wav"
require_program amixer alsa-utils
require_program aplay alsa-utils
require_program arecord alsa-utils
require_program sox sox
export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/internal/.libs

exports=$(nm -D --defined-only "$ALSA_CTL_PLUGIN" | awk '{ print $3 }' | sort | tr '\n' ' ')
[ "$exports" = "__snd_ctl_rill_open_dlsym_control_001 _snd_ctl_rill_open " ] ||
    fail "the ctl plugin exports more (or other) than alsa-lib's entry points: $exports"

rill_start "$RILL_SERVER" -l rill-tone:freq=1000,level=-6 -d dummy -r 48000 -p 256

mixer() { timeout -k 2 10 alsa_run amixer -q -D rill "$@" || fail "amixer -D rill $* failed"; }
OUT=$(timeout 10 alsa_run amixer -D rill scontents 2>&1) || fail "amixer -D rill scontents: $OUT"
expect_out "Simple mixer control 'Master',0" "amixer lists no Master"
expect_out "Capabilities: pvolume pvolume-joined pswitch" "Master is not a playback volume + switch"
expect_out "Simple mixer control 'Capture',0" "amixer lists no Capture"
expect_out "Playback 100 \[100%\] \[on\]" "Master does not start at 100%, on"

tone "$RILL_TMP/long.wav" 48000 2 30 1000 -b 16 -e signed-integer
spawn alsa_run aplay -q -D rill "$RILL_TMP/long.wav"
APLAY=$SPAWN_PID
wait_for 'port_exists aplay:playback_1' 10 || fail "no aplay port"
meter aplay:playback_1 0.5
near "$PEAK" 0.5 0.01 || fail "at 100%: peak $PEAK, want 0.5"
mixer sset Master 50%
wait_for 'meter aplay:playback_1 0.3; near "$PEAK" 0.0625 0.003' 5 || fail "Master 50%: peak $PEAK, want 0.0625"
mixer sset Master mute
wait_for 'meter aplay:playback_1 0.3; near "$PEAK" 0 0.0001' 5 || fail "Master muted: peak $PEAK, want 0"
mixer sset Master unmute
wait_for 'meter aplay:playback_1 0.3; near "$PEAK" 0.0625 0.003' 5 || fail "Master unmuted at 50%: peak $PEAK"
kill -KILL "$APLAY"
wait_for '! client_listed aplay' 5 || fail "aplay's client stays"

# ---- 4. a new stream starts at the current value
spawn alsa_run aplay -q -D rill "$RILL_TMP/long.wav"
APLAY=$SPAWN_PID
wait_for 'port_exists aplay:playback_1' 10 || fail "no aplay port"
meter aplay:playback_1 0.5
near "$PEAK" 0.0625 0.003 || fail "a new stream at Master 50%: peak $PEAK, want 0.0625"
mixer sset Master 100%
wait_for 'meter aplay:playback_1 0.3; near "$PEAK" 0.5 0.01' 5 || fail "back at 100%: peak $PEAK"
kill -KILL "$APLAY"

# ---- 5. capture
mixer sset Capture 50%
RILL_ALSA_TARGET=rill-tone:out timeout -k 2 20 alsa_run arecord -q -D rill -f FLOAT_LE -r 48000 -c 1 \
    -d 1 "$RILL_TMP/rec.wav" || fail "arecord failed"
out=$("$RILL_TOP_BUILDDIR/tests/clients/rill-test-wav" "$RILL_TMP/rec.wav" tone 1 4800)
info "Capture 50%: $out"
peak=$(printf '%s\n' "$out" | sed -n 's/.*peak=\([0-9.]*\).*/\1/p')
near "$peak" 0.0627 0.003 || fail "Capture 50%: recorded peak $peak, want 0.0627"
info "ok"
