#!/bin/bash
# tests/integration/alsa-formats.sh — the ALSA bridge takes what programs
# ask for: every sample format both ways, mmap and non-interleaved access,
# channel counts, and rates other than the engine's (converted on the
# realtime side). rilld (dummy driver, 48 kHz, 6 playback ports) runs the
# internal client rill-tone (1 kHz at -6 dBFS) as the capture source.
#
#   1. aplay -t raw in U8, S16, S24_3, S32 and FLOAT, little- and big-endian
#      where ALSA has both: the port carries 1000 Hz at peak 0.5 (U8 and the
#      rest within their quantisation);
#   2. arecord -t raw from rill-tone (RILL_ALSA_TARGET names its port for
#      both channels) in the same formats: the file holds 1000 Hz at 0.5;
#   3. access: aplay -M (mmap), aplay -I (non-interleaved, one file per
#      channel), arecord -M;
#   4. 6 channels: six ports, each connected to its system port;
#   5. rates: aplay at 44100, 22050 and 96000 Hz is heard at 1000 Hz in the
#      graph; arecord at 44100 and 16000 Hz records 1000 Hz;
#   6. speaker-test over channels {1, 2, 6} x rates {22050, 44100, 96000}
#      (its first channel's sine, 1 kHz): as many ports as channels, the tone
#      measured on the first.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-240}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
require_program aplay alsa-utils
require_program arecord alsa-utils
require_program sox sox
WAVTOOL=$RILL_TOP_BUILDDIR/tests/clients/rill-test-wav
require_built "$WAVTOOL" "$RILL_TOP_BUILDDIR/internal/.libs/rill-tone.so"
export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/internal/.libs

rill_start "$RILL_SERVER" -l rill-tone:freq=1000,level=-6 -d dummy -r 48000 -p 256 -P 6
wait_for 'port_exists rill-tone:out' 10 || fail "no rill-tone:out"

# sox options of an ALSA format
sox_opts() {
    case $1 in
    U8) echo "-e unsigned-integer -b 8" ;;
    S16_LE) echo "-e signed-integer -b 16 -L" ;;
    S16_BE) echo "-e signed-integer -b 16 -B" ;;
    S24_3LE) echo "-e signed-integer -b 24 -L" ;;
    S24_3BE) echo "-e signed-integer -b 24 -B" ;;
    S32_LE) echo "-e signed-integer -b 32 -L" ;;
    S32_BE) echo "-e signed-integer -b 32 -B" ;;
    FLOAT_LE) echo "-e floating-point -b 32 -L" ;;
    FLOAT_BE) echo "-e floating-point -b 32 -B" ;;
    esac
}
# the tolerance of the peak: quantisation of U8 is 1/128
peak_tol() { [ "$1" = U8 ] && echo 0.02 || echo 0.01; }

# play_raw FORMAT RATE CHANNELS SECONDS [aplay options]: aplay in the background
play_raw() {
    local fmt=$1 rate=$2 ch=$3 secs=$4
    shift 4
    local f=$RILL_TMP/p-$fmt-$rate-$ch.raw
    # shellcheck disable=SC2046
    tone "$f" "$rate" "$ch" "$secs" 1000 -t raw $(sox_opts "$fmt")
    spawn alsa_run aplay -q -D rill -t raw -f "$fmt" -r "$rate" -c "$ch" "$@" "$f"
    APLAY=$SPAWN_PID
    wait_for 'port_exists aplay:playback_1' 10 || fail "aplay $fmt $rate Hz: no port; ports: $(ports_list)"
}

finish_play() {
    wait_exit "$APLAY" 20 || fail "$1: aplay did not finish"
    [ "$WAIT_RC" = 0 ] || fail "$1: aplay exited $WAIT_RC"
    wait_for '! client_listed aplay' 5 || fail "$1: client aplay still listed"
}

# ---- 1. playback formats
for fmt in U8 S16_LE S16_BE S24_3LE S24_3BE S32_LE S32_BE FLOAT_LE FLOAT_BE; do
    play_raw "$fmt" 48000 2 3
    meter aplay:playback_1 1
    near "$FREQ" 1000 1 || fail "aplay $fmt: $FREQ Hz, want 1000"
    near "$PEAK" 0.5 "$(peak_tol "$fmt")" || fail "aplay $fmt: peak $PEAK, want 0.5"
    finish_play "aplay $fmt"
done

# record FORMAT RATE CHANNELS [arecord options]: 1.5 s into $REC (a float WAV)
record() {
    local fmt=$1 rate=$2 ch=$3 raw
    shift 3
    raw=$RILL_TMP/r-$fmt-$rate.raw
    REC=$RILL_TMP/r-$fmt-$rate.wav
    RILL_ALSA_TARGET=rill-tone:out,rill-tone:out timeout -k 2 20 \
        alsa_run arecord -q -D rill -t raw -f "$fmt" -r "$rate" -c "$ch" -s $((rate * 3 / 2)) "$@" "$raw" \
        >"$RILL_TMP/arecord.log" 2>&1 || fail "arecord $fmt $rate Hz $*: $(cat "$RILL_TMP/arecord.log")"
    # shellcheck disable=SC2046
    sox -t raw -r "$rate" -c "$ch" $(sox_opts "$fmt") "$raw" -e floating-point -b 32 "$REC" ||
        fail "sox cannot read what arecord $fmt wrote"
}

# check_rec WHAT CHANNEL RATE: the tone in $REC after the first 0.25 s
check_rec() {
    local out freq peak
    out=$("$WAVTOOL" "$REC" tone "$2" $(($3 / 4))) || fail "$1: rill-test-wav: $out"
    info "$1 channel $2: $out"
    freq=$(printf '%s\n' "$out" | sed -n 's/.*freq=\([0-9.]*\).*/\1/p')
    peak=$(printf '%s\n' "$out" | sed -n 's/.*peak=\([0-9.]*\).*/\1/p')
    near "$freq" 1000 1 || fail "$1: recorded $freq Hz, want 1000"
    near "$peak" 0.5 "${4:-0.01}" || fail "$1: recorded peak $peak, want 0.5"
}

# ---- 2. capture formats
for fmt in U8 S16_LE S16_BE S24_3LE S24_3BE S32_LE S32_BE FLOAT_LE FLOAT_BE; do
    record "$fmt" 48000 2
    check_rec "arecord $fmt" 1 48000 "$(peak_tol "$fmt")"
    check_rec "arecord $fmt" 2 48000 "$(peak_tol "$fmt")"
done

# ---- 3. access methods
play_raw S16_LE 48000 2 3 -M
meter aplay:playback_1 1
near "$FREQ" 1000 1 && near "$PEAK" 0.5 0.01 || fail "aplay -M: $FREQ Hz peak $PEAK"
finish_play "aplay -M"
# -I: one file per channel (non-interleaved access)
tone "$RILL_TMP/ni.raw" 48000 1 3 1000 -t raw -e signed-integer -b 16 -L
spawn alsa_run aplay -q -D rill -t raw -f S16_LE -r 48000 -c 2 -I "$RILL_TMP/ni.raw" "$RILL_TMP/ni.raw"
APLAY=$SPAWN_PID
wait_for 'port_exists aplay:playback_2' 10 || fail "aplay -I: no ports"
meter aplay:playback_2 1
near "$FREQ" 1000 1 && near "$PEAK" 0.5 0.01 || fail "aplay -I: $FREQ Hz peak $PEAK"
finish_play "aplay -I"
record S32_LE 48000 2 -M
check_rec "arecord -M" 1 48000

# ---- 4. six channels
play_raw S16_LE 48000 6 3
for k in 1 2 3 4 5 6; do
    wait_for "ports_connected \"aplay:playback_$k\" \"system:playback_$k\"" 5 ||
        fail "6 channels: aplay:playback_$k is not connected to system:playback_$k"
done
meter aplay:playback_6 0.5
near "$FREQ" 1000 1 || fail "6 channels: playback_6 carries $FREQ Hz"
finish_play "aplay 6 channels"

# ---- 5. rates
for rate in 44100 22050 96000; do
    play_raw FLOAT_LE "$rate" 2 3
    meter aplay:playback_1 1
    near "$FREQ" 1000 1 || fail "aplay at $rate Hz: heard $FREQ Hz, want 1000"
    near "$PEAK" 0.5 0.02 || fail "aplay at $rate Hz: peak $PEAK, want 0.5"
    finish_play "aplay $rate Hz"
done
for rate in 44100 16000; do
    record FLOAT_LE "$rate" 1
    check_rec "arecord at $rate Hz" 1 "$rate" 0.02
done
# ---- 6. speaker-test
require_program speaker-test alsa-utils
for ch in 1 2 6; do
    for rate in 22050 44100 96000; do
        spawn alsa_run speaker-test -D rill -c "$ch" -r "$rate" -t sine -f 1000 -s 1 -l 1
        ST=$SPAWN_PID
        wait_for 'port_exists speaker-test:playback_1' 10 || fail "speaker-test -c $ch -r $rate: no port"
        n=$(ports_list | grep -c '^speaker-test:playback_')
        [ "$n" = "$ch" ] || fail "speaker-test -c $ch: $n ports"
        wait_for 'meter speaker-test:playback_1 0.3; near "$FREQ" 1000 1' 10 ||
            fail "speaker-test -c $ch -r $rate: $FREQ Hz on playback_1, want 1000"
        kill -KILL "$ST"
        wait_for '! client_listed speaker-test' 5 || fail "speaker-test's client stays"
    done
done
info "ok"
