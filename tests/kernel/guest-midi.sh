# tests/kernel/guest-midi.sh — section "midi" of guest.sh (sourced there;
# RILL_KERNEL_ONLY=midi runs it alone): the ALSA sequencer bridge (module
# alsa_midi, rilld --midi seq) against the kernel's sequencer with
# snd-seq-dummy (Midi Through, client 14) and snd-virmidi (card 3, two
# devices: "Virtual Raw MIDI 3-0", "3-1"). rilld runs the dummy driver at
# 1024 frames with its frame counter started 10 s before 2^32 (the 32-bit
# frame time wraps during the section). Writes what it sees to $OUT; the
# host (midi-check.sh) judges. results.txt lines: "midi KEY=VALUE ...".
MK=$B/tests/kernel
KMIDI=$MK/rill-kernel-midi
KSEQ=$MK/rill-kernel-seq
MODS=$OUT/modules
export RILL_INTERNAL_DIR=$B/midi/.libs
VM0="alsa_midi:Virtual Raw MIDI 3-0 VirMIDI 3-0"
VM1="alsa_midi:Virtual Raw MIDI 3-1 VirMIDI 3-1"
MT="alsa_midi:Midi Through Port-0"
MPIDS=()

mports() { "$RILLCTL" -s k ports 2> /dev/null | grep '^alsa_midi:' | sort; }
# wait_port NAME [present=1] [tenths]: until NAME is (not) a port
wait_port() {
    local want=${2:-1}
    for _ in $(seq "${3:-100}"); do
        if "$RILLCTL" -s k ports 2> /dev/null | grep -qxF "$1"; then
            [ "$want" = 1 ] && return 0
        else
            [ "$want" = 0 ] && return 0
        fi
        sleep 0.1
    done
    return 1
}
start_midi_rilld() { # TAG
    RILL_FRAME_START=$(((1 << 32) - 48000 * 10)) "$RILLD" -n k -t 5000 --midi seq -d dummy \
        -r 48000 -p 1024 > "$OUT/$1.rilld.log" 2>&1 &
    RPID=$!
    for _ in $(seq 150); do
        grep -q "ready" "$OUT/$1.rilld.log" && break
        kill -0 "$RPID" 2> /dev/null || return 1
        sleep 0.1
    done
    wait_port "$MT (capture)"
}
# bg LOG CMD...: start in the background, wait for "ready" in LOG
bg() {
    local log=$1
    shift
    "$@" > "$log" 2>&1 &
    BGPID=$!
    MPIDS+=("$BGPID")
    for _ in $(seq 100); do
        grep -q ready "$log" && return 0
        kill -0 "$BGPID" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}
jk() { JACK_DEFAULT_SERVER=k "$RJ" "$@"; }
# lines FILE N [tenths]: until FILE has N lines
lines() {
    for _ in $(seq "${3:-100}"); do
        [ "$(wc -l < "$1" 2> /dev/null || echo 0)" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
subscribed() { cat /proc/asound/seq/clients > "$OUT/midi.clients-$1"; }

say "midi: modules"
ls /dev/snd > "$OUT/midi.devsnd" 2>&1
bg "$OUT/midi.hold.log" "$KSEQ" hold "rill test"
HOLD=$BGPID
if ! start_midi_rilld midi; then
    res "midi started=0"
else
    res "midi started=1"
    mports > "$OUT/midi.ports1"
    "$RILLCTL" -s k ports -a > "$OUT/midi.ports-a"
    subscribed before

    # ---- a port appearing: how long until rill has it
    t0=$(up)
    bg "$OUT/midi.late.log" "$KSEQ" hold late
    wait_port "alsa_midi:late visible (capture)" 1 300
    t1=$(up)
    res "midi appear seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')"
    # ---- rename
    kill -USR1 "$HOLD"
    wait_port "alsa_midi:rill test renamed visible (capture)" 1 50 && ren=1 || ren=0
    res "midi rename followed=$ren"
    mports > "$OUT/midi.ports-renamed"

    # ---- ALSA -> rill: amidi -S on VirMIDI 3-0 (running status in the bytes)
    say "midi: amidi -S, aplaymidi"
    bg "$OUT/midi.rx.log" jk "$KMIDI" recv rx "$OUT/midi.rx"
    jk jack_midi_dump -a dump > "$OUT/midi.dump" 2>&1 &
    MPIDS+=("$!")
    sleep 1
    "$RILLCTL" -s k connect "$VM0 (capture)" rx:in
    "$RILLCTL" -s k connect "$VM0 (capture)" dump:input
    sleep 0.5
    subscribed connected
    amidi -p hw:3,0 -S '90 3C 40 3E 50 80 3C 00' > "$OUT/midi.amidi-S.log" 2>&1
    lines "$OUT/midi.rx" 3 50
    # aplaymidi into Midi Through: 20 events 100 ms apart
    bg "$OUT/midi.rx2.log" jk "$KMIDI" recv rx2 "$OUT/midi.rx2"
    "$RILLCTL" -s k connect "$MT (capture)" rx2:in
    sleep 0.5
    aplaymidi -p 14:0 "$OUT/steps.mid" > "$OUT/midi.aplaymidi.log" 2>&1
    lines "$OUT/midi.rx2" 20 50
    "$RILLCTL" -s k disconnect "$VM0 (capture)" rx:in
    "$RILLCTL" -s k disconnect "$VM0 (capture)" dump:input
    "$RILLCTL" -s k disconnect "$MT (capture)" rx2:in
    sleep 0.5
    subscribed disconnected

    # ---- rill -> ALSA: jack_midiseq to VirMIDI 3-0 (amidi -d) and to Midi
    #      Through (aseqdump -p 14:0)
    say "midi: jack_midiseq"
    jk jack_midiseq seq 24000 0 60 8000 12000 63 8000 > "$OUT/midi.seq.log" 2>&1 &
    MPIDS+=("$!")
    wait_port "seq:out" 1 100
    # the readers first (aseqdump subscribes to Midi Through's output), then
    # the connections; stdbuf: their output reaches the files line by line
    stdbuf -oL timeout -s INT 8 amidi -p hw:3,0 -d > "$OUT/midi.amidi-d" 2>&1 &
    apid=$!
    stdbuf -oL timeout -s INT 8 aseqdump -p 14:0 > "$OUT/midi.aseqdump" 2>&1 &
    spid=$!
    sleep 1
    "$RILLCTL" -s k connect seq:out "$VM0 (playback)"
    "$RILLCTL" -s k connect seq:out "$MT (playback)"
    wait "$apid" "$spid"
    "$RILLCTL" -s k disconnect seq:out "$VM0 (playback)"
    "$RILLCTL" -s k disconnect seq:out "$MT (playback)"

    # ---- sysex both ways, byte for byte
    say "midi: sysex"
    bg "$OUT/midi.sx.log" jk "$KMIDI" recv sx "$OUT/midi.sx"
    "$RILLCTL" -s k connect "$VM0 (capture)" sx:in
    sleep 0.5
    n=0
    for size in 6 256 257 1024 4096 65536; do
        n=$((n + 1))
        amidi -p hw:3,0 -s "$OUT/sx-$size.syx" > /dev/null 2>&1
        lines "$OUT/midi.sx" "$n" 50 || true
        # rill -> ALSA: amidi reads VirMIDI 3-1 while a client sends
        timeout -s INT 20 amidi -p hw:3,1 -r "$OUT/sxo-$size.bin" -t 3 > /dev/null 2>&1 &
        apid=$!
        bg "$OUT/midi.sxs-$size.log" jk "$KMIDI" send sxs "$OUT/sx-$size.syx"
        spid=$BGPID
        "$RILLCTL" -s k connect sxs:out "$VM1 (playback)"
        wait "$apid"
        kill "$spid" 2> /dev/null
        wait "$spid" 2> /dev/null
    done
    "$RILLCTL" -s k disconnect "$VM0 (capture)" sx:in

    # ---- a burst of 10,000 events sent at once by a sequencer client
    say "midi: burst"
    bg "$OUT/midi.burster.log" "$KSEQ" burst burster 10000
    BPID=$BGPID
    wait_port "alsa_midi:burster out (capture)" 1 50
    bg "$OUT/midi.bx.log" jk "$KMIDI" recv bx "$OUT/midi.bx"
    "$RILLCTL" -s k connect "alsa_midi:burster out (capture)" bx:in
    sleep 1
    t0=$(up)
    kill -USR1 "$BPID"
    lines "$OUT/midi.bx" 10000 300
    t1=$(up)
    res "midi burst lines=$(wc -l < "$OUT/midi.bx") seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}')"

    # ---- hot-plug: snd-virmidi unloaded and loaded 20 times
    say "midi: hot-plug"
    fd0=$(ls /proc/$RPID/fd | wc -l)
    rss0=$(awk '/VmRSS/{print $2}' /proc/$RPID/status)
    ok=0
    worst=0
    for i in $(seq 20); do
        rmmod snd_virmidi 2>> "$OUT/midi.rmmod.log" || break
        wait_port "$VM0 (capture)" 0 50 || break
        t0=$(up)
        insmod "$MODS/snd-virmidi.ko" index=3 midi_devs=2 2>> "$OUT/midi.rmmod.log" || break
        wait_port "$VM1 (playback)" 1 50 || break
        t1=$(up)
        worst=$(awk -v a="$t0" -v b="$t1" -v w="$worst" 'BEGIN{d=b-a; printf "%.2f", d>w?d:w}')
        ok=$i
    done
    mports > "$OUT/midi.ports-hotplug"
    fd1=$(ls /proc/$RPID/fd | wc -l)
    rss1=$(awk '/VmRSS/{print $2}' /proc/$RPID/status)
    res "midi hotplug rounds=$ok worst_seconds=$worst fds_before=$fd0 fds_after=$fd1 rss_before=$rss0 rss_after=$rss1"
    "$RILLCTL" -s k status > "$OUT/midi.status" 2>&1
    for p in "${MPIDS[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${MPIDS[@]}"; do wait "$p" 2> /dev/null; done
    MPIDS=("$HOLD")
    stop_rilld

    # ---- the names after a restart, and after the modules are loaded in
    #      the other order (snd-virmidi first)
    say "midi: restart, module order"
    start_midi_rilld midi2 && wait_port "$VM1 (playback)" 1 50
    mports > "$OUT/midi.ports2"
    stop_rilld
    rmmod snd_virmidi snd_seq_dummy 2>> "$OUT/midi.rmmod.log"
    insmod "$MODS/snd-virmidi.ko" index=3 midi_devs=2 2>> "$OUT/midi.rmmod.log"
    insmod "$MODS/snd-seq-dummy.ko" 2>> "$OUT/midi.rmmod.log"
    start_midi_rilld midi3 && wait_port "$VM1 (playback)" 1 50
    mports > "$OUT/midi.ports3"
    cat /proc/asound/seq/clients > "$OUT/midi.clients-order"
    stop_rilld
    kill "$HOLD" 2> /dev/null
    wait "$HOLD" 2> /dev/null
fi
# --midi seq where there is no sequencer device: refused with a reason
RILL_SEQ_DEVICE=/dev/snd/nonexistent timeout 20 "$RILLD" -n k --midi seq -d dummy -p 1024 \
    > "$OUT/midi-noseq.rilld.log" 2>&1
res "midi noseq rc=$?"
