# tests/kernel/guest-midi-raw.sh — section "midiraw" of guest.sh (sourced
# there; RILL_KERNEL_ONLY=midiraw runs it alone): the raw MIDI bridge
# (module alsa_rawmidi) with the sequencer bridge beside it (rilld --midi
# seq,raw) against snd-virmidi (card 3, devices hw:3,0 and hw:3,1; each is
# tied to a sequencer port "VirMIDI 3-D": what a program writes to the
# rawmidi device comes out of the port, what is sent to the port can be read
# from the device) and snd-seq-dummy (Midi Through, 14:0). The virmidi ports
# are wired with aconnect: VirMIDI 3-1 -> VirMIDI 3-0, so that bytes written
# to hw:3,1 are read from hw:3,0 (after the kernel turned them into events
# and back: it may use running status there).
#   1. names: alsa_rawmidi has "Virtual Raw MIDI 0/1 (capture/playback)",
#      alsa_midi has Midi Through but not the VirMIDI ports (not twice);
#      nothing is open while nothing is connected (/proc/asound/card3/midiD);
#   2. rill -> ALSA: a JACK client sends note, CC, pitch bend, program,
#      clock, channel pressure and sysex of 6..4096 bytes to hw:3,1 (raw),
#      tests/kernel/rill-kernel-rawmidi reads hw:3,0: byte for byte;
#   3. timing out: jack_midiseq -> hw:3,1 (raw) -> VirMIDI 3-1 -> Midi
#      Through -> alsa_midi (sequencer bridge) -> a JACK client: the spacing
#      of the events (8000 / 4000 frames);
#   4. ALSA -> rill: amidi -s of the same kind of stream (with running
#      status) into hw:3,1 -> hw:3,0 read raw by rill -> a JACK client; and
#      aplaymidi of 20 events 100 ms apart into VirMIDI 3-0: their frames;
#      a sysex of 65536 bytes (the limit) both ways, in fragments on the
#      rill side, byte for byte; a sysex one byte over the limit: dropped, counted in rillctl status
#      (midi raw dropped, status --json's midi_raw) and logged;
#   5. unplug: rmmod snd-virmidi while rill reads hw:3,0 is refused by the
#      kernel (module in use); the virmidi card unbound from its driver
#      while rill reads hw:3,0 (what a USB unplug does): rilld survives, the
#      ports go; bound again: they come back and carry data; then
#      snd-virmidi unloaded and loaded 3 times (devices closed: lazy), fds
#      and RSS.
#   6. per device: rilld --midi seq --midi-raw hw:VirMIDI,0: hw:3,0 raw,
#      hw:3,1 through the sequencer, neither twice; a note reaches rill
#      through both bridges.
# Writes what it sees to $OUT; the host (midi-raw-check.sh) judges.
# results.txt lines: "midiraw KEY=VALUE ...".
RK=$B/tests/kernel/rill-kernel-midi
RMODS=$OUT/modules
export RILL_INTERNAL_DIR=$B/midi/.libs
RV0="alsa_rawmidi:Virtual Raw MIDI 0"
RV1="alsa_rawmidi:Virtual Raw MIDI 1"
RMT="alsa_midi:Midi Through Port-0"
RPIDS=()
RLOG=
RJK=(env JACK_DEFAULT_SERVER=k "$RJ")
# a sanitizer build (RILL_KERNEL_ASAN=1): ASan's runtime goes before the
# realtime trap in LD_PRELOAD, and every deadline is 3 times longer
# jackd2's programs (jack_midiseq) load our ASan-built libjack: they get
# the sanitizer runtimes preloaded and no leak check, as in
# tests/integration/lib.sh
RMUL=1
RFJK=("${RJK[@]}")
if ldd "$RILLD" 2> /dev/null | grep -q libasan; then
    RMUL=3
    RTRAP_ASAN="$(gcc -print-file-name=libasan.so):"
    RFJK=(env "LD_PRELOAD=$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
        ASAN_OPTIONS=detect_leaks=0 JACK_DEFAULT_SERVER=k "$RJ")
fi

# rw_log PATTERN [COUNT] [SECONDS]: until rilld's log has COUNT lines with
# the fixed string PATTERN (deadlines in seconds: under TCG every process
# is slow)
rw_log() {
    local end=$((SECONDS + ${3:-20} * RMUL))
    while [ "$(grep -cF -- "$1" "$RLOG")" -lt "${2:-1}" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
# rbg LOG CMD...: in the background, until "ready" in LOG; RBGPID
rbg() {
    local log=$1 end=$((SECONDS + 60 * RMUL))
    shift
    "$@" > "$log" 2>&1 &
    RBGPID=$!
    RPIDS+=("$RBGPID")
    until grep -q ready "$log"; do
        kill -0 "$RBGPID" 2> /dev/null || return 1
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
# rlines FILE N [SECONDS]: until FILE has N lines
rlines() {
    local end=$((SECONDS + ${3:-20} * RMUL))
    while [ "$(wc -l < "$1" 2> /dev/null || echo 0)" -lt "$2" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
# rsize FILE N [SECONDS]: until FILE has N bytes
rsize() {
    local end=$((SECONDS + ${3:-20} * RMUL))
    while [ "$(stat -c %s "$1" 2> /dev/null || echo 0)" -lt "$2" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
# rjson PATTERN FILE [SECONDS]: until rillctl status --json (into FILE)
# matches the regular expression PATTERN
rjson() {
    local end=$((SECONDS + ${3:-20} * RMUL))
    until "$RILLCTL" -s k status --json > "$2" 2>&1 && grep -q "$1" "$2"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.2
    done
}
rkill() {
    for p in "${RPIDS[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${RPIDS[@]}"; do wait "$p" 2> /dev/null; done
    RPIDS=()
}
# vclient D: the sequencer client number of VirMIDI 3-D
vclient() { awk -v n="Virtual Raw MIDI 3-$1" '$1 == "Client" && index($0, "\"" n "\"") {print $2; exit}' /proc/asound/seq/clients; }
# opened D: how many substreams of hw:3,D are open (Owner PID lines)
opened() { grep -c "Owner PID" "/proc/asound/card3/midi$1" 2> /dev/null; }
# until amidi (or anyone) has N substreams of hw:3,D open
wait_opened() { # D N [SECONDS]
    local end=$((SECONDS + ${3:-20} * RMUL))
    until [ "$(opened "$1")" -ge "$2" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
rports() { "$RILLCTL" -s k ports 2> /dev/null | grep -e '^alsa_rawmidi:' -e '^alsa_midi:' | sort; }

say "midiraw: start"
# the inputs: out.bin (what a JACK client sends: one message per event, no
# two of the same status in a row, so the kernel's re-encoding on the other
# side gives the same bytes) and in.bin (what amidi sends: with running
# status, which the kernel parses and the bridge expands)
printf '\x90\x3c\x40\xb0\x07\x64\xe0\x00\x40\xc0\x05\xf8\x80\x3c\x00\xd0\x20\xe0\x7f\x7f' > "$TMPDIR/mix-out.bin"
printf '\xb0\x07\x64\x0a\x20\xe0\x00\x40\xe0\x7f\x7f\x90\x3c\x40\x3e\x50\x80\x3c\x00\xc0\x05\xf8\xd0\x20' > "$TMPDIR/mix-in.bin"
cat "$TMPDIR/mix-out.bin" "$OUT"/sx-{6,256,257,1024,4096}.syx > "$OUT/raw-out.bin"
cat "$TMPDIR/mix-in.bin" "$OUT"/sx-{6,256,257,1024,4096}.syx > "$OUT/raw-in.bin"
grep -q snd_virmidi /proc/modules ||
    insmod "$RMODS/snd-virmidi.ko" index=3 midi_devs=2 2>> "$OUT/midiraw.mod.log"
RLOG=$OUT/midiraw.rilld.log
RTRAP=${RTRAP_ASAN:-}$B/tests/rt/.libs/librill-rt-trap.so
LD_PRELOAD=$RTRAP \
    "$RILLD" -n k -v -t 5000 --midi seq,raw -d dummy -r 48000 -p 4096 > "$RLOG" 2>&1 &
RPID=$!
if ! rw_log "ready" 1 60 || ! rw_log "port 'Virtual Raw MIDI 1 (playback)' added" 1 30 ||
    ! rw_log "port 'Midi Through Port-0 (playback)' added" 1 30; then
    res "midiraw started=0"
else
    res "midiraw started=1"
    rports > "$OUT/midiraw.ports1"
    "$RILLCTL" -s k ports -a > "$OUT/midiraw.ports-a"
    res "midiraw idle open0=$(opened 0) open1=$(opened 1)"
    V0=$(vclient 0)
    V1=$(vclient 1)
    res "midiraw clients v0=$V0 v1=$V1"
    aconnect "$V1:0" "$V0:0" > "$OUT/midiraw.aconnect.log" 2>&1

    # ---- 2. rill -> ALSA, byte for byte
    say "midiraw: rill -> ALSA"
    rbg "$OUT/midiraw.send.log" "${RJK[@]}" "$RK" send rs "$OUT/raw-out.bin" "$RV1 (playback)"
    SPID=$RBGPID
    rw_log "hw:3,1 opened for output" 1 20
    # (amidi -r's 4 KiB input buffer overflows when the guest does not run
    # it for a while: our reader asks for 32 KiB)
    "$B/tests/kernel/rill-kernel-rawmidi" read hw:3,0 "$OUT/midiraw.out.bin" 3 > "$OUT/midiraw.rawread.log" 2>&1 &
    apid=$!
    wait_opened 0 1 20
    kill -USR1 "$SPID"
    wait "$apid"
    res "midiraw out bytes=$(stat -c %s "$OUT/midiraw.out.bin" 2> /dev/null || echo 0) open1=$(opened 1)"
    rkill
    rw_log "hw:3,1 output closed" 1 20

    # ---- 2b. a sysex of 65536 bytes rill -> ALSA: longer than a rill MIDI
    # buffer, so the client writes it in fragments over consecutive cycles;
    # the bridge writes it whole to hw:3,1. Read from the sequencer port
    # VirMIDI 3-1 by a sequencer client (a rawmidi reader of hw:3,0 holds
    # at most 32 KiB in the kernel, less than the burst)
    say "midiraw: sysex 65536 rill -> ALSA"
    aconnect -d "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    rbg "$OUT/midiraw.sxr.log" "$B/tests/kernel/rill-kernel-jitter" seq-sysex rsxr "$V1:0" "$OUT/midiraw.sxo-65536.bin"
    rbg "$OUT/midiraw.sxs.log" "${RJK[@]}" "$RK" send rsxs "$OUT/sx-65536.syx" "$RV1 (playback)"
    SPID=$RBGPID
    rw_log "hw:3,1 opened for output" 2 20
    kill -USR1 "$SPID"
    end=$((SECONDS + 60 * RMUL))
    until grep -q done "$OUT/midiraw.sxr.log" || [ $SECONDS -ge $end ]; do sleep 0.2; done
    rkill
    rw_log "hw:3,1 output closed" 2 20
    # one byte over the limit (65537), written by a client in fragments:
    # dropped whole, counted
    rbg "$OUT/midiraw.sxs2.log" "${RJK[@]}" "$RK" send rsxs "$OUT/sx-65537.syx" "$RV1 (playback)"
    SPID=$RBGPID
    rw_log "hw:3,1 opened for output" 3 20
    kill -USR1 "$SPID"
    rjson '"midi_raw":{"bridge":true,"dropped":[1-9]' "$OUT/midiraw.drop-out.json"
    rkill
    rw_log "hw:3,1 output closed" 3 20
    aconnect "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1

    # ---- 3. timing out: rill (raw) -> VirMIDI 3-1 -> Midi Through -> rill (seq)
    say "midiraw: timing out"
    aconnect -d "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    aconnect "$V1:0" 14:0 >> "$OUT/midiraw.aconnect.log" 2>&1
    rbg "$OUT/midiraw.tm.log" "${RJK[@]}" "$RK" recv tm "$OUT/midiraw.tm" "$RMT (capture)"
    "${RFJK[@]}" jack_midiseq rseq 24000 0 60 8000 12000 63 8000 > "$OUT/midiraw.seq.log" 2>&1 &
    RPIDS+=("$!")
    rw_log "port 'rseq:out' registered" 1 60
    "$RILLCTL" -s k connect rseq:out "$RV1 (playback)"
    rlines "$OUT/midiraw.tm" 17 30
    rkill
    aconnect -d "$V1:0" 14:0 >> "$OUT/midiraw.aconnect.log" 2>&1
    aconnect "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    rw_log "hw:3,1 output closed" 4 20

    # ---- 4. ALSA -> rill
    say "midiraw: ALSA -> rill"
    rbg "$OUT/midiraw.rx.log" "${RJK[@]}" "$RK" recv rx "$OUT/midiraw.rx" "$RV0 (capture)"
    RXPID=$RBGPID
    rw_log "hw:3,0 opened for input" 1 20
    res "midiraw connected open0=$(opened 0)"
    amidi -p hw:3,1 -s "$OUT/raw-in.bin" > "$OUT/midiraw.amidi-s.log" 2>&1
    rlines "$OUT/midiraw.rx" 15 20
    n0=$(wc -l < "$OUT/midiraw.rx")
    res "midiraw in_lines=$n0"
    aconnect -d "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    aplaymidi -p "$V0:0" "$OUT/steps.mid" > "$OUT/midiraw.aplaymidi.log" 2>&1
    rlines "$OUT/midiraw.rx" $((n0 + 20)) 20

    # ---- 4b. a drop, counted: a sysex one byte over the limit (65537 of
    # 65536) is dropped whole, the note after it arrives; rillctl status
    # shows the raw bridge's count (and --json its breakdown), the log
    # says it (at most once a second)
    say "midiraw: drops"
    aconnect "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    # first a sysex of 65536 bytes, the limit: carried, in fragments (one
    # JACK event each) over consecutive cycles, until all its bytes came
    n3=$(wc -l < "$OUT/midiraw.rx")
    amidi -p hw:3,1 -s "$OUT/sx-65536.syx" > "$OUT/midiraw.amidi-long.log" 2>&1
    end=$((SECONDS + 30 * RMUL))
    until [ "$(awk -v s="$n3" 'NR > s {t += $2} END {print t + 0}' "$OUT/midiraw.rx")" -ge 65536 ]; do
        [ $SECONDS -ge $end ] && break
        sleep 0.2
    done
    res "midiraw long lines_before=$n3"
    n2=$(wc -l < "$OUT/midiraw.rx")
    amidi -p hw:3,1 -s "$OUT/sx-65537.syx" > "$OUT/midiraw.amidi-drop.log" 2>&1
    amidi -p hw:3,1 -S '90 43 7f' >> "$OUT/midiraw.amidi-drop.log" 2>&1
    rlines "$OUT/midiraw.rx" $((n2 + 1)) 30
    res "midiraw drop lines_before=$n2"
    rjson '"midi_raw":{"bridge":true,"dropped":2,' "$OUT/midiraw.drop.json"
    "$RILLCTL" -s k status > "$OUT/midiraw.drop.status" 2>&1
    rw_log "2 MIDI events dropped so far" 1 10
    aconnect -d "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1

    # ---- 5. unplug while open, rilld survives; bound again
    say "midiraw: unplug"
    # removing the module while rill has hw:3,0 open: the kernel refuses
    # (an open rawmidi device holds its card's module), rill runs on
    rmmod snd_virmidi 2> "$OUT/midiraw.rmmod-open.log"
    res "midiraw rmmod_open rc=$? open0=$(opened 0)"
    VD=/sys/bus/platform/drivers/snd_virmidi
    dev=$(basename "$(ls -d "$VD"/snd_virmidi.* 2> /dev/null | head -1)")
    t0=$(up)
    timeout 30 sh -c "echo $dev > $VD/unbind" 2>> "$OUT/midiraw.mod.log"
    urc=$?
    rw_log "port 'Virtual Raw MIDI 1 (playback)' removed" 1 20
    t1=$(up)
    rports > "$OUT/midiraw.ports-unbound"
    alive=0
    kill -0 "$RPID" 2> /dev/null && alive=1
    res "midiraw unbind dev=$dev rc=$urc seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}') alive=$alive"
    timeout 30 sh -c "echo $dev > $VD/bind" 2>> "$OUT/midiraw.mod.log"
    rw_log "port 'Virtual Raw MIDI 1 (playback)' added" 2 20
    rports > "$OUT/midiraw.ports-bound"
    # the new port carries data again
    "$RILLCTL" -s k connect "$RV0 (capture)" rx:in
    rw_log "hw:3,0 opened for input" 2 20
    n1=$(wc -l < "$OUT/midiraw.rx")
    V0=$(vclient 0)
    V1=$(vclient 1)
    aconnect "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    amidi -p hw:3,1 -S '90 41 7F' > /dev/null 2>&1
    rlines "$OUT/midiraw.rx" $((n1 + 1)) 20
    res "midiraw replug lines_before=$n1"
    # (a subscription to a VirMIDI port holds the module)
    aconnect -d "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    rkill
    rw_log "hw:3,0 input closed" 2 20
    # ---- snd-virmidi unloaded and loaded (the devices are closed: lazy)
    fd0=$(ls /proc/$RPID/fd | wc -l)
    rss0=$(awk '/VmRSS/{print $2}' /proc/$RPID/status)
    ok=0
    appear=
    for i in 1 2 3; do
        rmmod snd_virmidi 2>> "$OUT/midiraw.mod.log" || break
        rw_log "port 'Virtual Raw MIDI 1 (playback)' removed" $((i + 1)) 20 || break
        insmod "$RMODS/snd-virmidi.ko" index=3 midi_devs=2 2>> "$OUT/midiraw.mod.log" || break
        ti=$(up)
        rw_log "port 'Virtual Raw MIDI 1 (playback)' added" $((i + 2)) 20 || break
        # from insmod's return (the card is there) to the last port added
        # (the bridge's t=, CLOCK_MONOTONIC, the same clock as /proc/uptime
        # in a guest that never suspends)
        ta=$(grep -F "port 'Virtual Raw MIDI 1 (playback)' added" "$RLOG" | tail -1 | sed -n 's/.*t=\([0-9.]*\)).*/\1/p')
        appear="$appear $(awk -v a="$ti" -v b="$ta" 'BEGIN {printf "%.3f", b - a}')"
        ok=$i
    done
    res "midiraw appear seconds=$(echo $appear | tr ' ' ',')"
    rports > "$OUT/midiraw.ports-reload"
    fd1=$(ls /proc/$RPID/fd | wc -l)
    rss1=$(awk '/VmRSS/{print $2}' /proc/$RPID/status)
    res "midiraw reload rounds=$ok fds_before=$fd0 fds_after=$fd1 rss_before=$rss0 rss_after=$rss1"
    "$RILLCTL" -s k status > "$OUT/midiraw.status" 2>&1
fi
rkill
stop_rilld

# ---- 6. per device: --midi seq --midi-raw hw:VirMIDI,0 (by the card's id):
# hw:3,0 raw (alsa_rawmidi), hw:3,1 through the sequencer (alsa_midi), each
# bridged once. A note written to hw:3,1 comes out of the port VirMIDI 3-1
# (read by the sequencer bridge) and, wired to VirMIDI 3-0, out of hw:3,0
# (read by the raw bridge): both bridges carry it.
say "midiraw: per device"
grep -q snd_virmidi /proc/modules ||
    insmod "$RMODS/snd-virmidi.ko" index=3 midi_devs=2 2>> "$OUT/midiraw.mod.log"
RLOG=$OUT/midiraw.pd.rilld.log
LD_PRELOAD=$RTRAP \
    "$RILLD" -n k -v -t 5000 --midi seq --midi-raw hw:VirMIDI,0 -d dummy -r 48000 -p 4096 > "$RLOG" 2>&1 &
RPID=$!
if ! rw_log "ready" 1 120 || ! rw_log "port 'Virtual Raw MIDI 0 (playback)' added" 1 30 ||
    ! rw_log "VirMIDI 3-1 (capture)' added" 1 30; then
    # once (a combined midi,midiraw run on a loaded machine) rilld wrote
    # nothing in 60 s: where it waits, for the next time
    {
        echo "alive=$(kill -0 "$RPID" 2> /dev/null && echo 1 || echo 0) uptime=$(up)"
        grep -E '^(State|VmRSS|VmLck)' "/proc/$RPID/status"
        for t in /proc/$RPID/task/*; do
            echo "task $(cat "$t/comm" 2> /dev/null) wchan=$(cat "$t/wchan" 2> /dev/null)"
            head -8 "$t/stack" 2> /dev/null
        done
        free -m
        kill -0 "$RPID" 2> /dev/null || { wait "$RPID"; echo "rilld exit status $?"; }
    } > "$OUT/midiraw.pd.diag" 2>&1
    res "midiraw perdev started=0"
else
    rports > "$OUT/midiraw.pd.ports"
    V0=$(vclient 0)
    V1=$(vclient 1)
    aconnect "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
    PDSEQ=$(grep -m1 '^alsa_midi:.*VirMIDI 3-1 (capture)$' "$OUT/midiraw.pd.ports")
    rbg "$OUT/midiraw.pdr.log" "${RJK[@]}" "$RK" recv pdr "$OUT/midiraw.pdr" "$RV0 (capture)"
    rbg "$OUT/midiraw.pds.log" "${RJK[@]}" "$RK" recv pds "$OUT/midiraw.pds" "$PDSEQ"
    rw_log "hw:3,0 opened for input" 1 20
    # (the sequencer bridge subscribes lazily: until it did, VirMIDI drops)
    rw_log "subscribed to ALSA port $V1:0" 1 20
    res "midiraw perdev started=1 open0=$(opened 0) open1=$(opened 1)"
    amidi -p hw:3,1 -S '90 3c 40 80 3c 00' > "$OUT/midiraw.pd-amidi.log" 2>&1
    rlines "$OUT/midiraw.pdr" 2 20
    rlines "$OUT/midiraw.pds" 2 20
    aconnect -d "$V1:0" "$V0:0" >> "$OUT/midiraw.aconnect.log" 2>&1
fi
rkill
stop_rilld
