#!/bin/bash
# tests/integration/alsa-buffer.sh — the edges of the rill PCM's buffer cap.
#
# The issue caps the buffer at 2 s. alsa-lib's ioplug lets a plugin state
# its limits in bytes only (nothing that follows the rate a program picks),
# so the cap is 352,800 bytes: 2 s of 44.1 kHz stereo S16, less time for
# larger frames, more for smaller ones, where the plugin says so
# (doc/alsa-bridge.md, "Accepted parameters"). Here, aplay -v asking for a
# 10 s buffer (--buffer-time=10000000):
#
#   1. S16 stereo 44.1 kHz: clamped to 88200 frames (2.0 s), no message; its
#      tone reaches the graph (1 kHz at 0.5);
#   2. FLOAT stereo 48 kHz: clamped to 44100 frames (0.92 s), no message;
#   3. RILL_ALSA_LATENCY=100: S16 stereo 44.1 kHz gets 4410 frames (100 ms);
#   4. S16 mono 8 kHz: 10 s fit in the bytes and are accepted, with the
#      plugin's message naming the buffer's length and how to ask for less;
#      its tone reaches the graph (440 Hz at 0.5);
#   5. a short buffer (--buffer-time=20000) is taken as asked: 882 frames.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
require_program aplay alsa-utils
require_program sox sox

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# buffer LOG: the buffer_size aplay -v printed
buffer() { sed -n 's/^ *buffer_size *: *\([0-9]*\).*/\1/p' "$1" | head -n 1; }
# play NAME FILE [aplay options]: aplay -v in the background, its output in NAME.log
play() {
    local name=$1 file=$2
    shift 2
    RILL_ALSA_NAME=$name spawn alsa_run aplay -v -D rill "$@" "$file" >"$RILL_TMP/$name.log" 2>&1
    PLAYER=$SPAWN_PID
}
notice() { grep -c "more than the 2 s rill means to allow" "$RILL_TMP/$1.log"; }

tone "$RILL_TMP/s16.wav" 44100 2 8 1000 -b 16 -e signed-integer
tone "$RILL_TMP/f32.wav" 48000 2 2 1000 -b 32 -e floating-point
tone "$RILL_TMP/m8.wav" 8000 1 14 440 -b 16 -e signed-integer

# ---- 1. S16 stereo 44.1 kHz
play s16 "$RILL_TMP/s16.wav" --buffer-time=10000000
wait_for 'port_exists s16:playback_1' 10 || fail "s16: no port: $(cat "$RILL_TMP/s16.log")"
wait_for '[ -n "$(buffer "$RILL_TMP/s16.log")" ]' 10 || fail "aplay -v printed no buffer_size"
[ "$(buffer "$RILL_TMP/s16.log")" = 88200 ] ||
    fail "S16 stereo 44.1 kHz asking 10 s: buffer $(buffer "$RILL_TMP/s16.log") frames, want 88200 (2 s)"
[ "$(notice s16)" = 0 ] || fail "a 2 s buffer drew the message: $(cat "$RILL_TMP/s16.log")"
wait_for 'meter s16:playback_1 0.5; near "$FREQ" 1000 1 && near "$PEAK" 0.5 0.01' 10 ||
    fail "s16 with a 2 s buffer: $FREQ Hz at $PEAK, want 1000 Hz at 0.5"
info "S16 stereo 44.1 kHz, 10 s asked: 88200 frames (2.0 s), tone $FREQ Hz at $PEAK"
kill -KILL "$PLAYER"

# ---- 2. FLOAT stereo 48 kHz
OUT=$(timeout -k 2 20 alsa_run aplay -v -D rill --buffer-time=10000000 "$RILL_TMP/f32.wav" 2>&1) ||
    fail "aplay FLOAT 48 kHz: $OUT"
b=$(printf '%s\n' "$OUT" | sed -n 's/^ *buffer_size *: *\([0-9]*\).*/\1/p' | head -n 1)
[ "$b" = 44100 ] || fail "FLOAT stereo 48 kHz asking 10 s: buffer $b frames, want 44100 (352800 bytes)"
printf '%s\n' "$OUT" | grep -q "more than the 2 s" && fail "a 0.92 s buffer drew the message: $OUT"
info "FLOAT stereo 48 kHz, 10 s asked: $b frames (0.92 s)"

# ---- 3. the LATENCY argument lowers the cap
OUT=$(RILL_ALSA_LATENCY=100 timeout -k 2 20 alsa_run aplay -v -D rill --buffer-time=10000000 \
    -d 1 "$RILL_TMP/s16.wav" 2>&1) || fail "aplay with RILL_ALSA_LATENCY=100: $OUT"
b=$(printf '%s\n' "$OUT" | sed -n 's/^ *buffer_size *: *\([0-9]*\).*/\1/p' | head -n 1)
[ "$b" = 4410 ] || fail "RILL_ALSA_LATENCY=100, S16 stereo 44.1 kHz: buffer $b frames, want 4410 (100 ms)"
info "RILL_ALSA_LATENCY=100: $b frames (100 ms)"

# ---- 4. S16 mono 8 kHz: more than 2 s fit in the bytes, and the plugin says so
play m8 "$RILL_TMP/m8.wav" --buffer-time=10000000
wait_for 'port_exists m8:playback_1' 10 || fail "m8: no port: $(cat "$RILL_TMP/m8.log")"
wait_for '[ -n "$(buffer "$RILL_TMP/m8.log")" ]' 10 || fail "aplay -v printed no buffer_size"
[ "$(buffer "$RILL_TMP/m8.log")" = 80000 ] ||
    fail "S16 mono 8 kHz asking 10 s: buffer $(buffer "$RILL_TMP/m8.log") frames, want 80000"
grep -q "buffer of 80000 frames holds 10.0 s at 8000 Hz, more than the 2 s rill means to allow" \
    "$RILL_TMP/m8.log" || fail "no message about the 10 s buffer: $(cat "$RILL_TMP/m8.log")"
grep -q "aplay --buffer-time=2000000" "$RILL_TMP/m8.log" || fail "the message does not say how to ask for less"
# aplay starts when its buffer is full: 10 s of the file, then the tone
wait_for 'meter m8:playback_1 0.5; near "$FREQ" 440 1 && near "$PEAK" 0.5 0.01' 20 ||
    fail "m8 with a 10 s buffer: $FREQ Hz at $PEAK, want 440 Hz at 0.5"
info "S16 mono 8 kHz, 10 s asked: 80000 frames (10.0 s), the message, tone $FREQ Hz at $PEAK"
kill -KILL "$PLAYER"

# ---- 5. a short buffer as asked
OUT=$(timeout -k 2 20 alsa_run aplay -v -D rill --buffer-time=20000 -d 1 "$RILL_TMP/s16.wav" 2>&1) ||
    fail "aplay --buffer-time=20000: $OUT"
b=$(printf '%s\n' "$OUT" | sed -n 's/^ *buffer_size *: *\([0-9]*\).*/\1/p' | head -n 1)
[ "$b" = 882 ] || fail "--buffer-time=20000 at 44.1 kHz: buffer $b frames, want 882"
info "--buffer-time=20000: $b frames"
info "ok"
