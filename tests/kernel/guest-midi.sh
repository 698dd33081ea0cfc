# tests/kernel/guest-midi.sh — section "midi" of guest.sh (sourced there;
# RILL_KERNEL_ONLY=midi runs it alone, midi-PART one part of it): the ALSA
# sequencer bridge (module alsa_midi, rilld --midi seq) against the kernel's
# sequencer with snd-seq-dummy (Midi Through, client 14) and snd-virmidi
# (card 3, two devices: "Virtual Raw MIDI 3-0", "3-1"). rilld runs the dummy
# driver at 4096 frames (85 ms: a TCG guest on a loaded machine misses
# shorter cycles, and the engine bypasses a late client, whose events are
# then lost) with its frame counter started 10 s before 2^32 (the 32-bit
# frame time wraps during the section), with -v so that its log says
# when each port is registered and when the bridge added it (t=, seconds of
# CLOCK_MONOTONIC). Under TCG every new process is slow, so the section waits
# on that log and on /proc/asound/seq/clients rather than calling rillctl,
# and the test clients make their own connections. Writes what it sees to
# $OUT; the host (midi-check.sh) judges. results.txt lines: "midi KEY=VALUE".
MK=$B/tests/kernel
KMIDI=$MK/rill-kernel-midi
KSEQ=$MK/rill-kernel-seq
MODS=$OUT/modules
export RILL_INTERNAL_DIR=$B/midi/.libs
VM0="alsa_midi:Virtual Raw MIDI 3-0 VirMIDI 3-0"
VM1="alsa_midi:Virtual Raw MIDI 3-1 VirMIDI 3-1"
MT="alsa_midi:Midi Through Port-0"
MPIDS=()
MLOG=
# mwant PART: run PART (names flow out sysex rewrite burst export hotplug restart)? All
# of them for "midi", one for "midi-PART" (while working on it)
mwant() { want midi || want "midi-$1"; }

mports() { "$RILLCTL" -s k ports 2> /dev/null | grep '^alsa_midi:' | sort; }
# Waits below have deadlines in seconds ($SECONDS, a bash builtin): under
# TCG every process they start takes long, so a count of tries says nothing.
# wait_log PATTERN [COUNT] [SECONDS]: until rilld's log has COUNT lines with
# the fixed string PATTERN
wait_log() {
    local end=$((SECONDS + ${3:-20}))
    while [ "$(grep -cF -- "$1" "$MLOG")" -lt "${2:-1}" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
start_midi_rilld() { # TAG
    MLOG=$OUT/$1.rilld.log
    # under the realtime allocation trap: the bridge's process callback
    # runs on a client realtime thread inside rilld
    LD_PRELOAD=$B/tests/rt/.libs/librill-rt-trap.so \
        RILL_MIDI_TEST_STALL=${MIDI_STALL:-} \
        RILL_FRAME_START=$(((1 << 32) - 48000 * 10)) "$RILLD" -n k -v -t 5000 --midi seq -d dummy \
        -r 48000 -p 4096 > "$MLOG" 2>&1 &
    RPID=$!
    local end=$((SECONDS + 60))
    until grep -q "ready" "$MLOG"; do
        kill -0 "$RPID" 2> /dev/null || return 1
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
    wait_log "port 'Virtual Raw MIDI 3-1 VirMIDI 3-1 (playback)' added" 1 60
}
# bg LOG CMD...: start in the background, wait for "ready" in LOG
bg() {
    local log=$1 end=$((SECONDS + 60))
    shift
    "$@" > "$log" 2>&1 &
    BGPID=$!
    MPIDS+=("$BGPID")
    until grep -q ready "$log"; do
        kill -0 "$BGPID" 2> /dev/null || return 1
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
# a JACK program through rill-jack (which execs it: in bg, BGPID is the
# program itself, so signals reach it)
JK=(env JACK_DEFAULT_SERVER=k "$RJ")
jk() { "${JK[@]}" "$@"; }
# lines FILE N [SECONDS]: until FILE has N lines
lines() {
    local end=$((SECONDS + ${3:-20}))
    while [ "$(wc -l < "$1" 2> /dev/null || echo 0)" -lt "$2" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
# rill_subs KIND: the "Connected From" (KIND From) or "Connecting To" (To)
# list of the bridge's sequencer port
rill_subs() {
    awk -v k="$1" '/^Client +[0-9]+ : "rill"/ {r = 1; next} /^Client/ {r = 0}
        r && $0 ~ ("Connect(ed|ing) " k ":") {sub(/^.*Connect(ed|ing) (From|To): */, ""); print; exit}' \
        /proc/asound/seq/clients
}
# wait_subs KIND N [SECONDS]: until that list has exactly N entries (the
# bridge subscribes lazily, a moment after a rill connection comes or goes)
wait_subs() {
    local end=$((SECONDS + ${3:-20}))
    while [ "$(rill_subs "$1" | tr ',' '\n' | grep -c .)" != "$2" ]; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
# sx_done FILE N [SECONDS]: until FILE has N lines or more and its last
# line ends a sysex (f7)
sx_done() {
    local end=$((SECONDS + ${3:-20}))
    until [ "$(wc -l < "$1" 2> /dev/null || echo 0)" -ge "$2" ] &&
        tail -1 "$1" | grep -q ' f7$'; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}
killall_m() {
    for p in "${MPIDS[@]}"; do kill "$p" 2> /dev/null; done
    for p in "${MPIDS[@]}"; do wait "$p" 2> /dev/null; done
    MPIDS=()
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "") print "?"; else printf "%.3f", b - a }'; }

say "midi: discovery"
bg "$OUT/midi.hold.log" "$KSEQ" hold "rill test"
HOLD=$BGPID
MPIDS=()
if ! start_midi_rilld midi; then
    res "midi started=0"
else
    res "midi started=1"
    wait_log "port 'rill test visible (playback)' added" 1 20
    mports > "$OUT/midi.ports1"
    "$RILLCTL" -s k ports -a > "$OUT/midi.ports-a"
    cat /proc/asound/seq/clients > "$OUT/midi.clients-before"

    if mwant names; then
        # ---- a port appearing: from the ALSA client's ports existing (its
        #      "ready t=") to the rill port registered (the bridge's "t=")
        #      Five clients one after the other (the last four gone again
        #      at once): the check takes their median, so that one stall of
        #      the TCG guest is not the verdict
        all=""
        for nm in late late2 late3 late4 late5; do
            pre=("${MPIDS[@]}")
            bg "$OUT/midi.$nm.log" "$KSEQ" hold $nm
            lpid=$BGPID
            wait_log "port '$nm visible (playback)' added" 1 20
            tr=$(sed -n 's/^ready t=//p' "$OUT/midi.$nm.log")
            ta=$(sed -n "s/.*port '$nm visible (capture)' added.*t=\([0-9.]*\)).*/\1/p" "$MLOG" | head -1)
            all="$all${all:+,}$(secs "$tr" "$ta")"
            if [ "$nm" != late ]; then
                kill "$lpid" 2> /dev/null
                wait "$lpid" 2> /dev/null
                MPIDS=("${pre[@]}")
                wait_log "port '$nm visible (playback)' removed" 1 20
            fi
        done
        res "midi appear bridge_s=$all"
        # ---- a rename (not announced by the kernel: the once-a-second scan)
        kill -USR1 "$HOLD"
        wait_log "renamed to 'rill test renamed visible (playback)'" 1 20
        tr=$(sed -n 's/^renamed t=//p' "$OUT/midi.hold.log")
        ta=$(sed -n "s/.*renamed to 'rill test renamed visible (capture)'.*t=\([0-9.]*\)).*/\1/p" "$MLOG" | head -1)
        mports > "$OUT/midi.ports-renamed"
        res "midi rename bridge_s=$(secs "$tr" "$ta")"
    fi

    if mwant flow; then
        # ---- ALSA -> rill: amidi -S on VirMIDI 3-0 (running status in the
        #      bytes), read by our client and by jack_midi_dump
        say "midi: amidi -S, aplaymidi"
        bg "$OUT/midi.rx.log" "${JK[@]}" "$KMIDI" recv rx "$OUT/midi.rx" "$VM0 (capture)"
        "${JK[@]}" jack_midi_dump -a dump > "$OUT/midi.dump" 2>&1 &
        MPIDS+=("$!")
        wait_log "port 'dump:input' registered" 1 60
        "$RILLCTL" -s k connect "$VM0 (capture)" dump:input
        wait_subs From 2
        cat /proc/asound/seq/clients > "$OUT/midi.clients-connected"
        amidi -p hw:3,0 -S '90 3C 40 3E 50 80 3C 00' > "$OUT/midi.amidi-S.log" 2>&1
        lines "$OUT/midi.rx" 3 20
        # aplaymidi into Midi Through: 20 events 100 ms apart
        bg "$OUT/midi.rx2.log" "${JK[@]}" "$KMIDI" recv rx2 "$OUT/midi.rx2" "$MT (capture)"
        wait_subs From 3
        aplaymidi -p 14:0 "$OUT/steps.mid" > "$OUT/midi.aplaymidi.log" 2>&1
        lines "$OUT/midi.rx2" 20 30
        lines "$OUT/midi.dump" 3 10
        killall_m
        wait_subs From 1
        cat /proc/asound/seq/clients > "$OUT/midi.clients-disconnected"
    fi

    if mwant out; then
        # ---- rill -> ALSA: jack_midiseq to VirMIDI 3-0 (amidi -d) and to
        #      Midi Through (aseqdump -p 14:0)
        say "midi: jack_midiseq"
        "${JK[@]}" jack_midiseq seq 24000 0 60 8000 12000 63 8000 > "$OUT/midi.seq.log" 2>&1 &
        MPIDS+=("$!")
        wait_log "port 'seq:out' registered" 1 60
        # the readers run until 8 s after the bridge subscribed (a loaded
        # TCG guest can take longer than that to make the connections)
        stdbuf -oL timeout -s INT 60 amidi -p hw:3,0 -d > "$OUT/midi.amidi-d" 2>&1 &
        apid=$!
        stdbuf -oL timeout -s INT 60 aseqdump -p 14:0 > "$OUT/midi.aseqdump" 2>&1 &
        spid=$!
        end=$((SECONDS + 20))
        until grep -q '"aseqdump"' /proc/asound/seq/clients || [ $SECONDS -ge $end ]; do sleep 0.1; done
        "$RILLCTL" -s k connect seq:out "$VM0 (playback)"
        "$RILLCTL" -s k connect seq:out "$MT (playback)"
        wait_subs To 2
        sleep 8
        kill -INT "$apid" "$spid" 2> /dev/null
        wait "$apid" "$spid"
        killall_m
        wait_subs To 0
    fi

    if mwant sysex; then
        # ---- sysex both ways, byte for byte
        say "midi: sysex"
        bg "$OUT/midi.sx.log" "${JK[@]}" "$KMIDI" recv sx "$OUT/midi.sx" "$VM0 (capture)"
        wait_subs From 2
        n=0
        for size in 6 256 257 1024 4096 65536; do
            n=$((n + 1))
            amidi -p hw:3,0 -s "$OUT/sx-$size.syx" > /dev/null 2>&1
            # one line per JACK event: the 65536 bytes come in fragments
            # (longer than a rill MIDI buffer); until the one with the f7
            sx_done "$OUT/midi.sx" "$n" 30
            # rill -> ALSA: a client sends into VirMIDI 3-1, amidi reads it
            # back; the sender waits for SIGUSR1 (the bridge subscribes first).
            # 65536 bytes (sent by the client in fragments) go to Midi
            # Through, read by a sequencer client: a rawmidi reader (amidi)
            # holds 4 KiB in the kernel, and the bridge sends 4 KiB chunks
            # 2 ms apart, faster than a TCG guest's amidi reads
            # The reader's input pool (2000 cells, the kernel's most) holds
            # 13 of the 16 chunks: a reader the TCG guest stalls for longer
            # than the chunks take loses them, and the kernel tells it so
            # (-ENOSPC, "overruns N"). Such a run is tried again, up to 3
            # times; a short file without an overrun is rill's fault and is
            # not tried again. The reader runs SCHED_FIFO where chrt is.
            if [ "$size" = 65536 ]; then
                rt=()
                command -v chrt > /dev/null && rt=(chrt -f 60)
                for try in 1 2 3; do
                    pre=("${MPIDS[@]}")
                    rm -f "$OUT/midi.sxr.log"
                    bg "$OUT/midi.sxr.log" "${rt[@]}" "$MK/rill-kernel-jitter" seq-sysex sxr 14:0 "$OUT/sxo-$size.bin"
                    bg "$OUT/midi.sxs-$size.log" "${JK[@]}" "$KMIDI" send sxs "$OUT/sx-$size.syx" "$MT (playback)"
                    spid=$BGPID
                    wait_subs To 1
                    # the reader subscribed to Midi Through before anything flows
                    end=$((SECONDS + 20))
                    until grep -q ready "$OUT/midi.sxr.log" || [ $SECONDS -ge $end ]; do sleep 0.1; done
                    kill -USR1 "$spid"
                    end=$((SECONDS + 60))
                    until grep -q done "$OUT/midi.sxr.log" || [ $SECONDS -ge $end ]; do sleep 0.2; done
                    kill "$spid" 2> /dev/null
                    wait "$spid" 2> /dev/null
                    MPIDS=("${pre[@]}")
                    wait_subs To 0
                    ov=$(sed -n 's/^done .* overruns \([0-9]*\).*/\1/p' "$OUT/midi.sxr.log")
                    res "midi sxr try=$try $(grep '^done' "$OUT/midi.sxr.log")"
                    cmp -s "$OUT/sxo-$size.bin" "$OUT/sx-$size.syx" && break
                    [ "${ov:-0}" -gt 0 ] || break
                done
                continue
            fi
            pre=("${MPIDS[@]}")
            bg "$OUT/midi.sxs-$size.log" "${JK[@]}" "$KMIDI" send sxs "$OUT/sx-$size.syx" "$VM1 (playback)"
            spid=$BGPID
            wait_subs To 1
            timeout -s INT 30 amidi -p hw:3,1 -r "$OUT/sxo-$size.bin" -t 3 > /dev/null 2>&1 &
            apid=$!
            # until amidi has the device's input open (VirMIDI drops what
            # comes while nobody reads)
            end=$((SECONDS + 20))
            until awk '/^Input/ {i = 1} i && /Owner PID/ {f = 1} END {exit !f}' /proc/asound/card3/midi1 ||
                [ $SECONDS -ge $end ]; do
                sleep 0.1
            done
            kill -USR1 "$spid"
            wait "$apid"
            kill "$spid" 2> /dev/null
            wait "$spid" 2> /dev/null
            MPIDS=("${pre[@]}")
            wait_subs To 0
        done
        killall_m
        wait_subs From 1
    fi

    if mwant rewrite; then
        # ---- the per-port rewriting option (metadata #rewrite on a bridge
        #      port): in, note-off and channel=2 on VirMIDI 3-0 (capture);
        #      out, note-off and drop=clock on VirMIDI 3-1 (playback)
        say "midi: rewrite"
        RWK="http://rill.audio/ns/midi#rewrite"
        jk jack_property -s --port "$VM0 (capture)" "$RWK" "note-off,channel=2" > "$OUT/midi.rw-prop.log" 2>&1
        jk jack_property -s --port "$VM1 (playback)" "$RWK" "note-off drop=clock" >> "$OUT/midi.rw-prop.log" 2>&1
        wait_log "rewrite rules 'note-off drop=clock'" 1 20
        bg "$OUT/midi.rwi.log" "${JK[@]}" "$KMIDI" recv rwi "$OUT/midi.rwi" "$VM0 (capture)"
        wait_subs From 2
        amidi -p hw:3,0 -S '90 3C 00 90 3E 40 F8' > /dev/null 2>&1
        lines "$OUT/midi.rwi" 3 20
        printf '\x90\x3c\x00\xf8\x90\x3e\x40' > "$OUT/rw-out.bin"
        pre=("${MPIDS[@]}")
        bg "$OUT/midi.rwo.log" "${JK[@]}" "$KMIDI" send rwo "$OUT/rw-out.bin" "$VM1 (playback)"
        spid=$BGPID
        wait_subs To 1
        timeout -s INT 30 amidi -p hw:3,1 -r "$OUT/rwo.bin" -t 3 > /dev/null 2>&1 &
        apid=$!
        end=$((SECONDS + 20))
        until awk '/^Input/ {i = 1} i && /Owner PID/ {f = 1} END {exit !f}' /proc/asound/card3/midi1 ||
            [ $SECONDS -ge $end ]; do
            sleep 0.1
        done
        kill -USR1 "$spid"
        wait "$apid"
        kill "$spid" 2> /dev/null
        wait "$spid" 2> /dev/null
        MPIDS=("${pre[@]}")
        killall_m
        jk jack_property -d --port "$VM0 (capture)" "$RWK" >> "$OUT/midi.rw-prop.log" 2>&1
        jk jack_property -d --port "$VM1 (playback)" "$RWK" >> "$OUT/midi.rw-prop.log" 2>&1
        wait_subs From 1
    fi

    if mwant burst; then
        # ---- a burst of 10,000 events sent at once by a sequencer client
        say "midi: burst"
        bg "$OUT/midi.burster.log" "$KSEQ" burst burster 10000
        BPID=$BGPID
        wait_log "port 'burster out (capture)' added" 1 20
        # (written to the guest's tmpfs: 10,000 lines over 9p take minutes)
        bg "$OUT/midi.bx.log" "${JK[@]}" "$KMIDI" recv bx "$TMPDIR/midi.bx" "alsa_midi:burster out (capture)"
        wait_subs From 2
        t0=$(up)
        kill -USR1 "$BPID"
        lines "$TMPDIR/midi.bx" 10000 60
        t1=$(up)
        res "midi burst lines=$(wc -l < "$TMPDIR/midi.bx") seconds=$(secs "$t0" "$t1") clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2> /dev/null)"
        killall_m
        cp "$TMPDIR/midi.bx" "$OUT/midi.bx"
    fi

    if mwant export; then
        # ---- export: a JACK client's MIDI input reached by aplaymidi -p and
        #      by aconnect, a JACK client's output read by aseqdump -p
        say "midi: export"
        bg "$OUT/midi.ex.log" "${JK[@]}" "$KMIDI" recv ex "$OUT/midi.ex"
        wait_log "rill port 'ex:in' exported as ALSA port" 1 20
        EXP=$(sed -n "s/.*rill port 'ex:in' exported as ALSA port \([0-9]*:[0-9]*\).*/\1/p" "$MLOG" | tail -1)
        res "midi export_in port=$EXP"
        # steps-late.mid: the same 20 events after 1 s of silence (the
        # bridge makes the rill side of the port once aplaymidi subscribes)
        aplaymidi -p "$EXP" "$OUT/steps-late.mid" > "$OUT/midi.ex-aplaymidi.log" 2>&1
        lines "$OUT/midi.ex" 20 10
        res "midi export_first lines=$(wc -l < "$OUT/midi.ex")"
        aconnect 14:0 "$EXP" > "$OUT/midi.aconnect.log" 2>&1
        wait_log "exported port 'ex:in' in use" 2 20
        aplaymidi -p 14:0 "$OUT/steps.mid" >> "$OUT/midi.ex-aplaymidi.log" 2>&1
        lines "$OUT/midi.ex" 40 15
        aconnect -d 14:0 "$EXP" >> "$OUT/midi.aconnect.log" 2>&1
        "${JK[@]}" jack_midiseq seq2 24000 0 60 8000 12000 63 8000 > "$OUT/midi.seq2.log" 2>&1 &
        MPIDS+=("$!")
        wait_log "rill port 'seq2:out' exported as ALSA port" 1 60
        OEXP=$(sed -n "s/.*rill port 'seq2:out' exported as ALSA port \([0-9]*:[0-9]*\).*/\1/p" "$MLOG" | tail -1)
        res "midi export_out port=$OEXP"
        stdbuf -oL timeout -s INT 8 aseqdump -p "$OEXP" > "$OUT/midi.ex-aseqdump" 2>&1
        mports > "$OUT/midi.ports-export"
        cat /proc/asound/seq/clients > "$OUT/midi.clients-export"
        killall_m
    fi

    if mwant hotplug; then
        # ---- hot-plug: snd-virmidi unloaded and loaded 20 times
        say "midi: hot-plug"
        fd0=$(ls /proc/$RPID/fd | wc -l)
        rss0=$(awk '/VmRSS/{print $2}' /proc/$RPID/status)
        ok=0
        gone="port 'Virtual Raw MIDI 3-1 VirMIDI 3-1 (playback)' removed"
        back="port 'Virtual Raw MIDI 3-1 VirMIDI 3-1 (playback)' added"
        for i in $(seq 20); do
            rmmod snd_virmidi 2>> "$OUT/midi.rmmod.log" || break
            wait_log "$gone" "$i" 20 || break
            insmod "$MODS/snd-virmidi.ko" index=3 midi_devs=2 2>> "$OUT/midi.rmmod.log" || break
            wait_log "$back" $((i + 1)) 20 || break
            ok=$i
        done
        mports > "$OUT/midi.ports-hotplug"
        fd1=$(ls /proc/$RPID/fd | wc -l)
        rss1=$(awk '/VmRSS/{print $2}' /proc/$RPID/status)
        res "midi hotplug rounds=$ok fds_before=$fd0 fds_after=$fd1 rss_before=$rss0 rss_after=$rss1"
    fi
    "$RILLCTL" -s k status > "$OUT/midi.status" 2>&1
    "$RILLCTL" -s k status --json > "$OUT/midi.status.json" 2>&1
    killall_m
    stop_rilld

    if mwant restart; then
        # ---- the names after a restart, and after the modules are loaded
        #      in the other order (snd-virmidi first)
        say "midi: restart, module order"
        # ... with the bridge's test hook: every 8th cycle runs 2.5 periods
        # late (bypassed by the engine); 20 events through Midi Through
        # must all come, the late cycles' events one cycle later
        MIDI_STALL=8 start_midi_rilld midi2
        mports > "$OUT/midi.ports2"
        bg "$OUT/midi.late-rx.log" "${JK[@]}" "$KMIDI" recv lrx "$OUT/midi.late-rx" "$MT (capture)"
        wait_subs From 2
        aplaymidi -p 14:0 "$OUT/steps.mid" > "$OUT/midi.late-aplaymidi.log" 2>&1
        lines "$OUT/midi.late-rx" 20 10
        "$RILLCTL" -s k status --json > "$OUT/midi.late-status.json" 2>&1
        killall_m
        stop_rilld
        rmmod snd_virmidi snd_seq_dummy 2>> "$OUT/midi.rmmod.log"
        insmod "$MODS/snd-virmidi.ko" index=3 midi_devs=2 2>> "$OUT/midi.rmmod.log"
        insmod "$MODS/snd-seq-dummy.ko" 2>> "$OUT/midi.rmmod.log"
        start_midi_rilld midi3
        wait_log "port 'Midi Through Port-0 (playback)' added" 1 20
        mports > "$OUT/midi.ports3"
        cat /proc/asound/seq/clients > "$OUT/midi.clients-order"
        stop_rilld
    fi
fi
kill "$HOLD" 2> /dev/null
wait "$HOLD" 2> /dev/null
# --midi seq where there is no sequencer device: refused with a reason
RILL_SEQ_DEVICE=/dev/snd/nonexistent timeout 20 "$RILLD" -n k --midi seq -d dummy -p 1024 \
    > "$OUT/midi-noseq.rilld.log" 2>&1
res "midi noseq rc=$?"
