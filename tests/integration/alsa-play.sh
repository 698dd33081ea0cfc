#!/bin/bash
# tests/integration/alsa-play.sh — the ALSA bridge plays: aplay -D rill into
# a rilld (dummy driver, 48 kHz).
#
#   1. the plugin exports alsa-lib's entry points only, and no jack_* symbol
#      (defined or wanted);
#   2. aplay of a 1 kHz sine at -6 dBFS, S16_LE and FLOAT_LE, stereo: the
#      client is named aplay, its ports playback_1/2 are connected to
#      system:playback_1/2, and what they carry measures 1000 Hz, peak 0.5;
#   3. mono (S16_LE): one port, connected to both system playback ports;
#   4. aplay exits 0 once the file is played, and its client is gone;
#   5. rilld -d alsa refuses the rill device (and plug:rill): no loop;
#   6. the realtime allocation trap preloaded into aplay (resampling from
#      44.1 kHz) and arecord: their realtime threads never allocate or lock.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
require_program aplay alsa-utils
require_program sox sox

# ---- 1. symbols
exports=$(nm -D --defined-only "$ALSA_PCM_PLUGIN" | awk '{ print $3 }' | sort | tr '\n' ' ')
[ "$exports" = "__snd_pcm_rill_open_dlsym_pcm_001 _snd_pcm_rill_open " ] ||
    fail "the plugin exports more (or other) than alsa-lib's entry points: $exports"
nm -D "$ALSA_PCM_PLUGIN" | grep -q ' jack_' && fail "the plugin refers to jack_* symbols"
ldd "$ALSA_PCM_PLUGIN" | grep -q libjack && fail "the plugin links a libjack"

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# play FILE CLIENT: aplay in the background until CLIENT's first port exists
play() {
    rm -f "$RILL_TMP/aplay.log"
    spawn alsa_run aplay -q -D rill "$1" 
    APLAY=$SPAWN_PID
    wait_for "port_exists $2:playback_1" 10 || fail "aplay of $1: no port $2:playback_1; ports: $(ports_list)"
}

for fmt in S16_LE FLOAT_LE; do
    case $fmt in
    S16_LE) opts=(-b 16 -e signed-integer) ;;
    FLOAT_LE) opts=(-b 32 -e floating-point) ;;
    esac
    tone "$RILL_TMP/t-$fmt.wav" 48000 2 4 1000 "${opts[@]}"
    play "$RILL_TMP/t-$fmt.wav" aplay
    client_listed aplay || fail "no client named aplay: $(rctl clients)"
    wait_for "ports_connected aplay:playback_1 system:playback_1" 5 || fail "$fmt: aplay:playback_1 is not connected to system:playback_1"
    wait_for "ports_connected aplay:playback_2 system:playback_2" 5 || fail "$fmt: aplay:playback_2 is not connected to system:playback_2"
    meter aplay:playback_1 1
    near "$FREQ" 1000 1 || fail "$fmt: aplay:playback_1 carries $FREQ Hz, want 1000"
    near "$PEAK" 0.5 0.01 || fail "$fmt: aplay:playback_1 has peak $PEAK, want 0.5"
    meter aplay:playback_2 0.5
    near "$FREQ" 1000 1 || fail "$fmt: aplay:playback_2 carries $FREQ Hz, want 1000"
    wait_exit "$APLAY" 10 || fail "$fmt: aplay did not finish a 4 s file within 10 s more"
    [ "$WAIT_RC" = 0 ] || fail "$fmt: aplay exited $WAIT_RC"
    wait_for '! client_listed aplay' 5 || fail "$fmt: client aplay still listed after aplay exited"
done

# ---- 3. mono
tone "$RILL_TMP/mono.wav" 48000 1 3 440 -b 16 -e signed-integer
play "$RILL_TMP/mono.wav" aplay
port_exists aplay:playback_2 && fail "mono: a second port aplay:playback_2 exists"
wait_for "ports_connected aplay:playback_1 system:playback_1" 5 || fail "mono: not connected to system:playback_1"
wait_for "ports_connected aplay:playback_1 system:playback_2" 5 || fail "mono: not connected to system:playback_2"
meter aplay:playback_1 1
near "$FREQ" 440 1 || fail "mono: $FREQ Hz, want 440"
wait_exit "$APLAY" 10 && [ "$WAIT_RC" = 0 ] || fail "mono: aplay failed ($WAIT_RC)"

# ---- 5. the loop guard: rilld's ALSA driver refuses a device built on rill
expect_rc 1 "$RILLD" -n "$RILL_SERVER-loop" -d alsa -d rill -r 48000
expect_out "device rill leads back to rill" "rilld -d alsa -d rill: no loop message"
expect_rc 1 "$RILLD" -n "$RILL_SERVER-loop" -d alsa -d plug:rill -r 48000
expect_out "leads back to rill \(type rill <- plug:rill" "rilld -d alsa -d plug:rill: no loop message"
info "loop guard: $OUT"
# ---- 6. the allocation trap in the plugin's realtime thread
require_built "$RILL_TRAP"
trap_preload=$RILL_TRAP
[ "$RILL_SANITIZERS" = yes ] && trap_preload="${RILL_SAN_PRELOAD%%:*}:$RILL_TRAP"
tone "$RILL_TMP/t441.wav" 44100 2 2 1000 -b 16 -e signed-integer
OUT=$(LD_PRELOAD=$trap_preload timeout -k 2 20 alsa_run aplay -q -D rill "$RILL_TMP/t441.wav" 2>&1) ||
    fail "aplay under the allocation trap failed: $OUT"
OUT=$(LD_PRELOAD=$trap_preload timeout -k 2 20 alsa_run arecord -q -D rill -f S16_LE -r 22050 -c 2 -d 1 \
    "$RILL_TMP/trap.wav" 2>&1) || fail "arecord under the allocation trap failed: $OUT"
printf '%s\n' "$OUT" | grep -q rill-rt-trap && fail "the trap fired: $OUT"
info "ok"
