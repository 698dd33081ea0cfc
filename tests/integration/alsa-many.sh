#!/bin/bash
# tests/integration/alsa-many.sh — the ALSA bridge as dmix/dsnoop, and
# Debian's ALSA programs other than alsa-utils.
#
#   1. 16 aplays at once (RILL_ALSA_STREAMS; `make soak-alsa` runs 32), at
#      22050/44100/48000/96000 Hz, each its own tone (300 Hz up in steps of
#      100 Hz, 50 Hz beyond 16 streams; 0.04 each), into one recorder (an
#      arecord whose capture_1 every aplay feeds): every tone is in the
#      recording at its level, and no tone that was not played; the engine's
#      xruns meanwhile are reported (a shared machine's, not a verdict);
#   2. two arecords at once from rill-tone: both record it;
#   3. sox -t alsa rill, ffmpeg -f alsa rill, mpv --ao=alsa play a tone that
#      is measured on their ports; sox and ffmpeg record from rill.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-240}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
WAVTOOL=$RILL_TOP_BUILDDIR/tests/clients/rill-test-wav
require_built "$WAVTOOL"
require_program aplay alsa-utils
require_program arecord alsa-utils
require_program sox sox
require_program ffmpeg ffmpeg
require_program mpv mpv
export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/internal/.libs

rill_start "$RILL_SERVER" -l rill-tone:freq=1000,level=-6 -d dummy -r 48000 -p 256
wait_for 'port_exists rill-tone:out' 10 || fail "no rill-tone:out"

# ---- 1. sixteen (or RILL_ALSA_STREAMS) players into one recorder
N=${RILL_ALSA_STREAMS:-16}
[ "$N" -ge 1 ] && [ "$N" -le 32 ] || fail "RILL_ALSA_STREAMS=$N: 1 to 32 streams"
step=100
[ "$N" -gt 16 ] && step=50
# the recording: long enough for at least 4 s with every player on, however
# long a loaded machine takes to start them (32 take longer)
REC_S=14
[ "$N" -gt 16 ] && REC_S=24
rates=(22050 44100 48000 96000)
freqs=()
for k in $(seq 0 $((N - 1))); do
    f=$((300 + k * step))
    freqs+=("$f")
    sox -q -n -r "${rates[$((k % 4))]}" -c 1 -b 16 -e signed-integer "$RILL_TMP/p$k.wav" \
        synth $((REC_S + 16)) sine "$f" vol 0.04 || fail "sox"
done
RILL_ALSA_NAME=mix RILL_ALSA_TARGET=none spawn alsa_run arecord -q -D rill -f FLOAT_LE -r 48000 -c 1 \
    -d "$REC_S" "$RILL_TMP/mix.wav"
REC=$SPAWN_PID
wait_for 'port_exists mix:capture_1' 10 || fail "no recorder port mix:capture_1"
t_rec=$(date +%s.%N)
for k in $(seq 0 $((N - 1))); do
    RILL_ALSA_NAME=p$k RILL_ALSA_TARGET=mix:capture_1 spawn alsa_run aplay -q -D rill "$RILL_TMP/p$k.wav"
    PLAYER[$k]=$SPAWN_PID
done
for k in $(seq 0 $((N - 1))); do
    wait_for "ports_connected p$k:playback_1 mix:capture_1" 10 ||
        fail "p$k:playback_1 is not connected to mix:capture_1: $(rctl ports -c | head -40)"
done
# the recording counts from when all N were connected (a loaded machine
# may take seconds to start them), plus a margin
skip=$(awk -v a="$t_rec" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", (b - a + 0.5) * 48000 }')
[ "$skip" -le $((48000 * (REC_S - 4))) ] || fail "starting $N aplays took more than $((REC_S - 4)) s"
x0=$(status_value xrun)
wait_exit "$REC" 30 || fail "the recorder did not finish"
[ "$WAIT_RC" = 0 ] || fail "the recorder exited $WAIT_RC"
x1=$(status_value xrun)
for k in $(seq 0 $((N - 1))); do kill -KILL "${PLAYER[$k]}" 2>/dev/null; done
# from when all N play to the end of the recording (at least 4 s), in
# blocks of one second: each tone's level is the median of its blocks'
# levels. A block where the recorder itself missed a cycle (bypassed by the
# engine for finishing late, on a machine loaded far beyond its cores) holds
# a jump of phase, which lowers every tone's fitted level in that block
# alone; a player that lost its own audio loses level in most blocks.
absent=(250 $((300 + N * step)))
total=$(soxi -s "$RILL_TMP/mix.wav") || fail "soxi failed"
nb=0
: >"$RILL_TMP/levels.txt"
for ((b = skip; b + 48000 <= total; b += 48000)); do
    sox "$RILL_TMP/mix.wav" "$RILL_TMP/block.wav" trim "${b}s" 48000s || fail "sox trim"
    "$WAVTOOL" "$RILL_TMP/block.wav" levels 1 0 "${freqs[@]}" "${absent[@]}" >>"$RILL_TMP/levels.txt" ||
        fail "rill-test-wav levels failed"
    nb=$((nb + 1))
done
[ "$nb" -ge 4 ] || fail "only $nb one-second blocks with every player on"
# median LEVELS FREQ
median() {
    sed -n "s/^level freq=$1 amp=//p" "$RILL_TMP/levels.txt" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.5f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
out=
for f in "${freqs[@]}" "${absent[@]}"; do out="$out $f:$(median "$f")"; done
info "median levels over $nb one-second blocks:$out"
for f in "${freqs[@]}"; do
    amp=$(median "$f")
    near "$amp" 0.04 0.004 || fail "the tone at $f Hz has level $amp in the mix, want 0.04"
done
for f in "${absent[@]}"; do
    amp=$(median "$f")
    near "$amp" 0 0.002 || fail "a tone at $f Hz (never played) has level $amp"
done
# The engine's xruns are the machine's business here (CI runs this beside
# a qemu guest on 2 cores, in a VM whose host may steal a vCPU for more than
# a period): reported, never a verdict. The levels above are the verdict:
# a player whose audio went missing for a while would lose level.
xr=$((x1 - x0))
info "xruns: $x0 before, $x1 after ($xr while $N aplays played)"

# ---- 2. two recorders at once
for k in 1 2; do
    RILL_ALSA_NAME=r$k RILL_ALSA_TARGET=rill-tone:out spawn alsa_run arecord -q -D rill -f S16_LE \
        -r 48000 -c 1 -d 2 "$RILL_TMP/r$k.wav"
    R[$k]=$SPAWN_PID
done
for k in 1 2; do
    wait_exit "${R[$k]}" 20 && [ "$WAIT_RC" = 0 ] || fail "recorder r$k failed ($WAIT_RC)"
    out=$("$WAVTOOL" "$RILL_TMP/r$k.wav" tone 1 12000)
    info "recorder r$k: $out"
    printf '%s\n' "$out" | grep -q 'freq=1000.00 peak=0.50' || fail "recorder r$k: $out"
done

# ---- 3. other programs
tone "$RILL_TMP/t.wav" 44100 2 8 700 -b 16 -e signed-integer
# other_play NAME CMD...: the program plays t.wav; its port carries 700 Hz
other_play() {
    local name=$1
    shift
    RILL_ALSA_NAME=$name spawn alsa_run "$@"
    local pid=$SPAWN_PID
    wait_for "port_exists $name:playback_1" 15 || fail "$*: no port $name:playback_1; ports: $(ports_list)"
    # the ports are registered first, then connected: wait for it
    wait_for "ports_connected $name:playback_1 system:playback_1" 5 ||
        fail "$*: not connected to system:playback_1"
    meter "$name:playback_1" 1
    near "$FREQ" 700 1 || fail "$*: $FREQ Hz, want 700"
    near "$PEAK" 0.5 0.02 || fail "$*: peak $PEAK, want 0.5"
    kill -KILL "$pid"
    wait_for "! client_listed $name" 5 || fail "$*: client $name stays"
}
other_play sox sox -q "$RILL_TMP/t.wav" -t alsa rill
other_play ffmpeg ffmpeg -nostdin -loglevel error -i "$RILL_TMP/t.wav" -f alsa rill
other_play mpv mpv --no-config --really-quiet --no-video --ao=alsa --audio-device=alsa/rill "$RILL_TMP/t.wav"
# recording
RILL_ALSA_TARGET=rill-tone:out timeout -k 2 20 alsa_run sox -q -t alsa -r 48000 -c 1 rill -b 16 \
    "$RILL_TMP/sox.wav" trim 0 1.5 || fail "sox -t alsa rill (recording) failed"
out=$("$WAVTOOL" "$RILL_TMP/sox.wav" tone 1 12000)
info "sox recording: $out"
printf '%s\n' "$out" | grep -q 'freq=1000.00 peak=0.50' || fail "sox recorded: $out"
RILL_ALSA_TARGET=rill-tone:out timeout -k 2 20 alsa_run ffmpeg -nostdin -loglevel error -f alsa \
    -sample_rate 48000 -channels 1 -i rill -t 1.5 "$RILL_TMP/ffmpeg.wav" || fail "ffmpeg -f alsa -i rill failed"
out=$("$WAVTOOL" "$RILL_TMP/ffmpeg.wav" tone 1 12000)
info "ffmpeg recording: $out"
printf '%s\n' "$out" | grep -q 'freq=1000.00 peak=0.50' || fail "ffmpeg recorded: $out"
info "ok"
