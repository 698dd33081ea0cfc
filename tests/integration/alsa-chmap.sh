#!/bin/bash
# tests/integration/alsa-chmap.sh — the rill PCM's channel maps
# (clients/alsa/chmap.h): a stream's ports are ALSA's usual layout for its
# channel count (6: FL FR RL RR FC LFE), a program may order its channels
# otherwise (snd_pcm_set_chmap), and each channel reaches the port of its
# position.
#
#   1. tests/clients/rill-test-alsa chmap: what snd_pcm_query_chmaps offers
#      (1, 2, 4, 6, 8 channels), get before and after hw_params, a set order
#      read back, the refusals (-EINVAL, -ENXIO for 3 channels);
#   2. speaker-test -c 6 -m FL,FR,FC,LFE,RL,RR -s 3 (a sine on its third
#      channel, which it called FC): the tone is on playback_5, the FC port,
#      and nowhere else;
#   3. aplay --chmap=FC,FL,FR,LFE,RL,RR of a 6-channel file whose channels
#      carry 300, 500, ... 1300 Hz: aplay reads rill's map and reorders, so
#      the FC port carries 300 Hz, FL 500, FR 700, LFE 900, RL 1100, RR 1300;
#   4. arecord --chmap=FR,FL from two players (capture_1 from a 500 Hz one,
#      capture_2 from a 700 Hz one): the file's first channel (FR) holds
#      700 Hz, its second (FL) 500 Hz.
# Before the plugin had channel maps, speaker-test refused to start ("Unable
# to set channel map") and aplay played its channels in file order.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
HARNESS=$RILL_TOP_BUILDDIR/tests/clients/rill-test-alsa
require_built "$HARNESS"
require_program speaker-test alsa-utils
require_program aplay alsa-utils
require_program arecord alsa-utils
require_program sox sox
WAVTOOL=$RILL_TOP_BUILDDIR/tests/clients/rill-test-wav
require_built "$WAVTOOL"

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# ---- 1. the harness
OUT=$(timeout -k 2 60 alsa_run "$HARNESS" chmap 2>&1) || fail "rill-test-alsa chmap: $OUT"
expect_out "ok chmap" "rill-test-alsa chmap"
info "$(printf '%s\n' "$OUT" | grep '^ok')"
# the refusals say what was wrong and what would do
expect_out "position FL is in the map twice \\(a 6-channel stream has FL FR RL RR FC LFE\\)" \
    "a clear refusal of a map with a position twice"

# ---- 2. speaker-test sets a map and plays one channel
RILL_ALSA_NAME=st spawn alsa_run speaker-test -D rill -c 6 -r 48000 -m FL,FR,FC,LFE,RL,RR \
    -t sine -f 1000 -s 3 >"$RILL_TMP/speaker-test.log" 2>&1
ST=$SPAWN_PID
wait_for 'port_exists st:playback_6' 10 ||
    fail "speaker-test -m: no port st:playback_6: $(cat "$RILL_TMP/speaker-test.log")"
wait_for 'meter st:playback_5 0.5; near "$FREQ" 1000 1' 10 ||
    fail "speaker-test's FC channel: playback_5 (FC) carries $FREQ Hz, peak $PEAK; want 1000 Hz"
[ "$(awk -v p="$PEAK" 'BEGIN { print (p > 0.1) }')" = 1 ] || fail "playback_5 (FC): peak $PEAK, want a tone"
for i in 1 2 3 4 6; do
    meter "st:playback_$i" 0.3
    near "$PEAK" 0 0.0001 || fail "speaker-test -s 3 -m ...: playback_$i carries peak $PEAK, want silence"
done
kill -TERM "$ST"
wait_exit "$ST" 10 || fail "speaker-test did not stop"

# ---- 3. aplay --chmap reorders by the map rill reports
sox -q -n -r 48000 -c 6 -b 16 -e signed-integer "$RILL_TMP/six.wav" synth 30 \
    sine 300 sine 500 sine 700 sine 900 sine 1100 sine 1300 vol 0.5 || fail "sox failed"
RILL_ALSA_NAME=ap spawn alsa_run aplay -q -D rill --chmap=FC,FL,FR,LFE,RL,RR "$RILL_TMP/six.wav" \
    >"$RILL_TMP/aplay.log" 2>&1
AP=$SPAWN_PID
wait_for 'port_exists ap:playback_6' 10 || fail "aplay --chmap: no port ap:playback_6: $(cat "$RILL_TMP/aplay.log")"
# ports in rill's order FL FR RL RR FC LFE, and the file's FC FL FR LFE RL RR
want=(500 700 1100 1300 300 900)
for i in 1 2 3 4 5 6; do
    f=${want[$((i - 1))]}
    wait_for "meter ap:playback_$i 0.5; near \"\$FREQ\" $f 1 && near \"\$PEAK\" 0.5 0.01" 10 ||
        fail "aplay --chmap: playback_$i carries $FREQ Hz at $PEAK, want $f Hz at 0.5"
done
grep -q "unable to get channel map" "$RILL_TMP/aplay.log" && fail "aplay: $(cat "$RILL_TMP/aplay.log")"
info "aplay --chmap=FC,FL,FR,LFE,RL,RR: FL 500, FR 700, RL 1100, RR 1300, FC 300, LFE 900 Hz"
kill -TERM "$AP"

# ---- 4. arecord --chmap reorders a capture by the map rill reports
for f in 500 700; do
    tone "$RILL_TMP/t$f.wav" 48000 1 30 "$f" -b 16 -e signed-integer
    RILL_ALSA_NAME=src$f RILL_ALSA_TARGET=none spawn alsa_run aplay -q -D rill "$RILL_TMP/t$f.wav"
    wait_for "port_exists src$f:playback_1" 10 || fail "no port src$f:playback_1"
done
RILL_ALSA_NAME=rec RILL_ALSA_TARGET=src500:playback_1,src700:playback_1 timeout -k 2 20 \
    alsa_run arecord -q -D rill -f FLOAT_LE -r 48000 -c 2 --chmap=FR,FL -d 2 "$RILL_TMP/rec.wav" ||
    fail "arecord --chmap=FR,FL failed"
for c in "1 700" "2 500"; do
    set -- $c
    out=$("$WAVTOOL" "$RILL_TMP/rec.wav" tone "$1" 24000)
    f=$(printf '%s\n' "$out" | sed -n 's/.*freq=\([0-9.]*\).*/\1/p')
    pk=$(printf '%s\n' "$out" | sed -n 's/.*peak=\([0-9.]*\).*/\1/p')
    near "$f" "$2" 1 && near "$pk" 0.5 0.01 ||
        fail "arecord --chmap=FR,FL: channel $1 holds $f Hz at $pk, want $2 Hz at 0.5"
done
info "arecord --chmap=FR,FL: FR (capture_2) 700 Hz first, FL (capture_1) 500 Hz second"
info "ok"
