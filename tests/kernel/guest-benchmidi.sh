# tests/kernel/guest-benchmidi.sh — section "benchmidi" of guest.sh, run
# only when asked for (RILL_KERNEL_ONLY=benchmidi: `make bench-midi`, part
# of `make bench`): the timing jitter of MIDI events through rill's ALSA
# sequencer bridge, through a2jmidid on rill and through jackd2's -X seq,
# in the same guest, at the same rate and period, on the same sound card
# (hw:Loopback, so that both servers run on the card's clock).
#
#   in:  aplaymidi plays $BN note-ons 1 ms apart (bench-1ms.mid) into Midi
#        Through (14:0); a JACK client (rill-kernel-midi recv) records the
#        frame of each as it comes out of the bridge;
#   out: a JACK client (rill-kernel-jitter jack-steps) writes $BN note-ons
#        48 frames (1 ms) apart into the bridge's port for Midi Through; an
#        ALSA client (rill-kernel-jitter seq-stamp) reads them from 14:0
#        with the kernel's real-time stamps.
# Files bench-SERVER-DIR.txt in $OUT; the host (bench/midi-jitter.sh) fits
# a line through each series and reports the residuals.
MK=$B/tests/kernel
KMIDI=$MK/rill-kernel-midi
KJ=$MK/rill-kernel-jitter
export RILL_INTERNAL_DIR=$B/midi/.libs
BN=${RILL_BENCH_MIDI_EVENTS:-300}
BP=${RILL_BENCH_MIDI_PERIOD:-4096} # long: a TCG guest misses shorter cycles
CARD=(-d hw:Loopback,0 -r 48000 -p "$BP" -n 3) # start_rilld adds -d alsa
BPIDS=()
bpids_kill() {
    for p in "${BPIDS[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${BPIDS[@]}"; do wait "$p" 2> /dev/null; done
    BPIDS=()
}
# until FILE has N lines (or SECONDS passed)
blines() {
    local end=$((SECONDS + ${3:-30}))
    while [ "$(wc -l < "$1" 2> /dev/null || echo 0)" -lt "$2" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.2
    done
}
# until FILE has the fixed string S (or SECONDS passed)
bgrep() {
    local end=$((SECONDS + ${3:-30}))
    until grep -qF -- "$2" "$1" 2> /dev/null; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.2
    done
}
# bench_in TAG SERVER-ENV SOURCE: aplaymidi into 14:0, recorded in JACK
bench_in() {
    local tag=$1 srv=$2 src=$3
    say "benchmidi: $tag in ($src)"
    env JACK_DEFAULT_SERVER="$srv" $JPRE "$KMIDI" recv "bi$tag" "$TMPDIR/bench-$tag-in.txt" "$src" \
        > "$OUT/bench-$tag-in.log" 2>&1 &
    BPIDS+=("$!")
    bgrep "$OUT/bench-$tag-in.log" ready 60 || { res "benchmidi $tag in=0"; return; }
    sleep 2 # the bridge subscribes lazily, a moment after the connection
    aplaymidi -p 14:0 "$OUT/bench-1ms.mid" > "$OUT/bench-$tag-aplaymidi.log" 2>&1
    blines "$TMPDIR/bench-$tag-in.txt" "$BN" 20
    bpids_kill
    cp "$TMPDIR/bench-$tag-in.txt" "$OUT/"
    res "benchmidi $tag in=$(wc -l < "$OUT/bench-$tag-in.txt")"
}
# bench_out TAG SERVER-ENV DEST: JACK note-ons at exact frames, stamped by
# the kernel where they come out of Midi Through
bench_out() {
    local tag=$1 srv=$2 dst=$3
    say "benchmidi: $tag out ($dst)"
    "$KJ" seq-stamp "bo$tag" 14:0 "$BN" "$TMPDIR/bench-$tag-out.txt" > "$OUT/bench-$tag-stamp.log" 2>&1 &
    local spid=$!
    BPIDS+=("$spid")
    bgrep "$OUT/bench-$tag-stamp.log" ready 30 || { res "benchmidi $tag out=0"; return; }
    env JACK_DEFAULT_SERVER="$srv" $JPRE "$KJ" jack-steps "bs$tag" "$BN" 48 "$dst" \
        > "$OUT/bench-$tag-steps.log" 2>&1
    bgrep "$OUT/bench-$tag-stamp.log" done 10
    bpids_kill
    cp "$TMPDIR/bench-$tag-out.txt" "$OUT/"
    res "benchmidi $tag out=$(wc -l < "$OUT/bench-$tag-out.txt")"
}

say "benchmidi: $BN events 1 ms apart, 48000 Hz, $BP frames"
res "benchmidi events=$BN period=$BP"
# ---- rill's bridge
JPRE=$RJ
RILLD_OPTS="-v --midi seq" start_rilld benchmidi-rill "${CARD[@]}"
bgrep "$OUT/benchmidi-rill.rilld.log" "port 'Midi Through Port-0 (playback)' added" 30
bench_in rill k "alsa_midi:Midi Through Port-0 (capture)"
bench_out rill k "alsa_midi:Midi Through Port-0 (playback)"
stop_rilld

# ---- a2jmidid on rill (rill's own bridge off: the two would bridge each
#      other's ports back and forth)
RILLD_OPTS="--midi none" start_rilld benchmidi-a2j "${CARD[@]}"
HOME=$TMPDIR JACK_DEFAULT_SERVER=k "$RJ" a2jmidid -j k -e > "$OUT/bench-a2jmidid.log" 2>&1 &
A2J=$!
end=$((SECONDS + 60))
until "$RILLCTL" -s k ports 2> /dev/null | grep -q '^a2j:Midi Through.*(playback)'; do
    [ $SECONDS -ge $end ] && break
    sleep 0.5
done
"$RILLCTL" -s k ports > "$OUT/bench-a2j.ports" 2>&1
AIN=$(grep -m1 '^a2j:Midi Through.*(capture)' "$OUT/bench-a2j.ports")
AOUT=$(grep -m1 '^a2j:Midi Through.*(playback)' "$OUT/bench-a2j.ports")
if [ -n "$AIN" ] && [ -n "$AOUT" ]; then
    bench_in a2j k "$AIN"
    bench_out a2j k "$AOUT"
else
    res "benchmidi a2j ports=0"
fi
kill "$A2J" 2> /dev/null
wait "$A2J" 2> /dev/null
stop_rilld

# ---- jackd2 -X seq (its own libjack: no rill-jack)
JPRE=
mkdir -p /dev/shm
mountpoint -q /dev/shm || mount -t tmpfs shm /dev/shm
JACK_NO_AUDIO_RESERVATION=1 jackd -n jb -R -P 20 -d alsa -d hw:Loopback,0 -r 48000 -p "$BP" -n 3 -X seq \
    > "$OUT/bench-jackd.log" 2>&1 &
JPID=$!
end=$((SECONDS + 60))
until JACK_DEFAULT_SERVER=jb jack_lsp 2> /dev/null | grep -q midi_playback; do
    [ $SECONDS -ge $end ] && break
    kill -0 "$JPID" 2> /dev/null || break
    sleep 0.5
done
JACK_DEFAULT_SERVER=jb jack_lsp -A > "$OUT/bench-jackd.ports" 2>&1
# the system:midi_* port whose alias names Midi Through
JIN=$(awk '/^system:midi_capture/ {p = $0; next} /^ / && p && /Midi.Through/ {print p; exit} /^[^ ]/ {p = ""}' "$OUT/bench-jackd.ports")
JOUT=$(awk '/^system:midi_playback/ {p = $0; next} /^ / && p && /Midi.Through/ {print p; exit} /^[^ ]/ {p = ""}' "$OUT/bench-jackd.ports")
if [ -n "$JIN" ] && [ -n "$JOUT" ]; then
    bench_in jackd jb "$JIN"
    bench_out jackd jb "$JOUT"
else
    res "benchmidi jackd ports=0"
fi
kill "$JPID" 2> /dev/null
wait "$JPID" 2> /dev/null
