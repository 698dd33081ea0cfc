# tests/kernel/midi-raw-check.sh — the host's checks of the guest's section
# midiraw (guest-midi-raw.sh); sourced by kernel.sh, which provides RES,
# SHARE, ok, bad, field and within.
echo "----- midiraw"
M=$SHARE
line=$(grep "^midiraw started=" "$RES")
if [ "$(field started "$line")" != 1 ]; then
    bad "midiraw: rilld --midi seq,raw did not start or its ports did not appear: $(tail -3 "$M/midiraw.rilld.log" 2> /dev/null | tr '\n' ' ')"
else
    if grep -q "rill-rt-trap" "$M/midiraw.rilld.log"; then
        bad "midiraw: the realtime trap fired in rilld: $(grep -m1 -A3 rill-rt-trap "$M/midiraw.rilld.log" | tr '\n' ' ')"
    else
        ok "midiraw: rilld ran under the realtime allocation trap, which never fired"
    fi
    # ---- 1. names, not twice, lazy
    missing=
    for p in "Virtual Raw MIDI 0" "Virtual Raw MIDI 1"; do
        for d in capture playback; do
            grep -qxF "alsa_rawmidi:$p ($d)" "$M/midiraw.ports1" || missing="$missing '$p ($d)'"
        done
    done
    if [ -z "$missing" ] && grep -qxF "alsa_midi:Midi Through Port-0 (capture)" "$M/midiraw.ports1"; then
        ok "midiraw names: $(tr '\n' ';' < "$M/midiraw.ports1")"
    else
        bad "midiraw names: missing$missing; have: $(tr '\n' ';' < "$M/midiraw.ports1")"
    fi
    if grep -q "^alsa_midi:.*VirMIDI" "$M/midiraw.ports1"; then
        bad "midiraw: a VirMIDI device is bridged twice (raw and through the sequencer): $(grep VirMIDI "$M/midiraw.ports1" | tr '\n' ';')"
    else
        ok "midiraw: the VirMIDI devices are bridged raw only; the sequencer bridge left their ports out"
    fi
    if grep -q "rill port 'alsa_rawmidi:.*exported" "$M/midiraw.rilld.log"; then
        bad "midiraw: the sequencer bridge exported the raw bridge's ports (the devices are ALSA ports already): $(grep -m1 "rill port 'alsa_rawmidi:.*exported" "$M/midiraw.rilld.log")"
    else
        ok "midiraw: the raw bridge's ports are not exported as sequencer ports again"
    fi
    grep -q "alsa_raw:hw:3,0 (capture)" "$M/midiraw.ports-a" &&
        grep -q "alsa_raw:VirMIDI,0/Virtual Raw MIDI (capture)" "$M/midiraw.ports-a" &&
        grep -q "alsa_raw:VirMIDI,1/Virtual Raw MIDI (playback)" "$M/midiraw.ports-a" &&
        ! grep -q "already names a port" "$M/midiraw.rilld.log" &&
        ok "midiraw aliases: the card id, device name and hw:3,0" ||
        bad "midiraw aliases: $(grep -A3 'Virtual Raw MIDI 0 (capture)' "$M/midiraw.ports-a" | tr '\n' ' ')"
    line=$(grep "^midiraw idle " "$RES")
    c=$(grep "^midiraw connected " "$RES")
    if [ "$(field open0 "$line")" = 0 ] && [ "$(field open1 "$line")" = 0 ] && [ "$(field open0 "$c")" = 1 ]; then
        ok "midiraw lazy: hw:3,0 and hw:3,1 not open while nothing in rill is connected to them; hw:3,0 open once a client is"
    else
        bad "midiraw lazy: idle $line; connected $c"
    fi

    # ---- 2. rill -> ALSA, byte for byte
    if cmp -s "$M/midiraw.out.bin" "$M/raw-out.bin"; then
        ok "midiraw rill -> hw:3,1 -> VirMIDI -> hw:3,0 (read raw): $(stat -c %s "$M/raw-out.bin") bytes byte for byte (note, CC, pitch bend, program, clock, channel pressure, sysex of 6, 256, 257, 1024 and 4096 bytes)"
    else
        bad "midiraw rill -> ALSA: $(stat -c %s "$M/midiraw.out.bin" 2> /dev/null || echo 0) of $(stat -c %s "$M/raw-out.bin") bytes came; $(cmp "$M/midiraw.out.bin" "$M/raw-out.bin" 2>&1 | head -1); reader: $(tail -1 "$M/midiraw.rawread.log" 2> /dev/null)"
    fi

    # ---- 2b. 65536 bytes rill -> ALSA (written by the client in fragments)
    if cmp -s "$M/midiraw.sxo-65536.bin" "$M/sx-65536.syx"; then
        ok "midiraw sysex 65536 bytes rill (client's fragments) -> raw hw:3,1 -> VirMIDI 3-1 (read by a sequencer client): byte for byte"
    else
        bad "midiraw sysex 65536 bytes rill -> ALSA: $(stat -c %s "$M/midiraw.sxo-65536.bin" 2> /dev/null || echo 0) bytes came; $(cmp "$M/midiraw.sxo-65536.bin" "$M/sx-65536.syx" 2>&1 | head -1); reader: $(tail -1 "$M/midiraw.sxr.log" 2> /dev/null); $(grep -m2 'dropped so far' "$M/midiraw.rilld.log")"
    fi

    raw=$(grep -o '"midi_raw":{[^}]*}' "$M/midiraw.drop-out.json" 2> /dev/null)
    if printf '%s' "$raw" | grep -q '"bridge":true,"dropped":1,"malformed":1,"sysex_too_long":1,'; then
        ok "midiraw: a sysex of 65537 bytes (limit 65536) written by a client in fragments: dropped whole, counted ($raw)"
    else
        bad "midiraw: a sysex of 65537 bytes from a client: not counted as one sysex over the limit: $raw"
    fi

    # ---- 3. timing out: jack_midiseq's events (on 60 at 0, off at 8000, on
    # 63 at 12000, off at 20000 of each 24000) through the raw output, VirMIDI
    # and Midi Through back into rill (sequencer bridge, kernel stamps): the
    # steps between events are 8000 and 4000 frames. The verdict is on the
    # content: the events come, in the order sent (a gap only where the
    # engine lost more than a period, in which jack_midiseq made none). The
    # steps' errors are a
    # figure: the TCG guest on a shared 2-core machine wakes threads late by
    # tens of ms and the engine itself loses periods (its xruns, counted
    # below), which moves frames by whole periods.
    out=$(awk 'BEGIN { want = ""; n = 0 }
               { ev = $3 " " $4
                 if (ev !~ /^(90 3c|80 3c|90 3f|80 3f)$/ || $2 != 3) other++
                 if (NR > 1) {
                     nxt = (last == "90 3c") ? "80 3c" : (last == "80 3c") ? "90 3f" : (last == "90 3f") ? "80 3f" : "90 3c"
                     d = $1 - lf; w = ($3 == "80") ? 8000 : 4000; e = d - w; if (e < 0) e = -e
                     # events may be missing only where time was lost (the
                     # engine lost periods: jack_midiseq never made them)
                     if (ev != nxt && d < w + 4096) order++
                     n++; if (e <= 48) good++; if (e > max) max = e; errs[n] = e
                 }
                 last = ev; lf = $1 }
               END { for (i = 2; i <= n; i++) { v = errs[i]; j = i - 1
                                                while (j >= 1 && errs[j] > v) { errs[j + 1] = errs[j]; j-- }
                                                errs[j + 1] = v }
                     printf "steps=%d order_errors=%d other=%d within_1ms=%d median_err_frames=%d max_err_frames=%d", n, order, other, good, errs[int((n + 1) / 2)], max }' \
        "$M/midiraw.tm" 2> /dev/null)
    n=$(field steps "$out")
    xr=$(grep -c "rilld: xrun" "$M/midiraw.rilld.log")
    if [ "${n:-0}" -ge 12 ] && [ "$(field order_errors "$out")" = 0 ] && [ "$(field other "$out")" = 0 ]; then
        ok "midiraw jack_midiseq -> raw hw:3,1 -> Midi Through -> rill: $((n + 1)) events in the order sent"
        echo "NOTE: midiraw timing out: $out (48 frames = 1 ms; the engine logged $xr xrun lines in this section)"
    else
        bad "midiraw jack_midiseq -> raw -> rill: $out (want 12+ steps, in order, nothing else)"
    fi

    # ---- 4. ALSA -> rill: the messages, running status expanded, sysex whole
    want=$(python3 - "$M" <<'PY'
import sys
d = sys.argv[1]
msgs = ["b0 07 64", "b0 0a 20", "e0 00 40", "e0 7f 7f", "90 3c 40", "90 3e 50", "80 3c 00", "c0 05", "f8", "d0 20"]
for n in (6, 256, 257, 1024, 4096):
    msgs.append(" ".join("%02x" % b for b in open(f"{d}/sx-{n}.syx", "rb").read()))
print("\n".join(msgs))
PY
)
    nin=$(field in_lines "$(grep '^midiraw in_lines=' "$RES")")
    got=$(head -n "${nin:-0}" "$M/midiraw.rx" 2> /dev/null | cut -d' ' -f3-)
    if [ -n "$got" ] && [ "$got" = "$want" ]; then
        ok "midiraw amidi -s (running status, sysex 6..4096) -> hw:3,0 -> rill: the 15 messages, each one event, byte for byte"
    else
        bad "midiraw ALSA -> rill: got $(echo "$got" | wc -l) events: $(echo "$got" | cut -c1-40 | tr '\n' ';')"
    fi
    # aplaymidi: 20 events 100 ms (4800 frames) apart
    out=$(tail -n +"$((${nin:-0} + 1))" "$M/midiraw.rx" 2> /dev/null | head -20 | awk '
        BEGIN { n = 0 }
        { f[n] = $1; e[n] = $3 " " $4; n++ }
        END {
            for (i = 0; i < n; i++) {
                want = sprintf("%s %02x", i % 2 == 0 ? "90" : "80", 60 + int(i / 2))
                if (e[i] != want) bad++
                if (i > 0) {
                    d = f[i] - f[i - 1] - 4800; if (d < 0) d = -d
                    if (d > max) max = d
                    if (d <= 48) exact++
                    if (d > 2 * 4096) far++
                }
            }
            printf "n=%d order_errors=%d steps_within_1ms=%d of %d max_err_frames=%d beyond_2_periods=%d", n, bad, exact, n - 1, max, far
        }')
    # (the verdict as above: all of them, in order; the steps' errors are
    # a figure)
    if [ "$(field n "$out")" = 20 ] && [ "$(field order_errors "$out")" = 0 ]; then
        ok "midiraw aplaymidi -> VirMIDI 3-0 -> hw:3,0 -> rill (kernel stamps): 20 events in order"
        echo "NOTE: midiraw timing in: $out (48 frames = 1 ms)"
    else
        bad "midiraw aplaymidi -> rill: $out (want 20 events in order)"
    fi

    # ---- 4c. 65536 bytes ALSA -> rill: in fragments, one JACK event each,
    # the first from f0, the last to f7, together the sysex sent
    n3=$(field lines_before "$(grep '^midiraw long ' "$RES")")
    n2=$(field lines_before "$(grep '^midiraw drop ' "$RES")")
    frags=$(sed -n "$((${n3:-0} + 1)),${n2:-0}p" "$M/midiraw.rx" 2> /dev/null)
    nfr=$(printf '%s\n' "$frags" | grep -c .)
    got=$(printf '%s\n' "$frags" | cut -d' ' -f3- | tr '\n' ' ' | sed 's/ $//')
    want=$(od -An -v -tx1 "$M/sx-65536.syx" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
    if [ -n "$n3" ] && [ "$nfr" -ge 2 ] && [ "$got" = "$want" ]; then
        ok "midiraw sysex 65536 bytes amidi -s -> hw:3,0 -> rill: byte for byte, in $nfr fragments (JACK events at frames $(printf '%s\n' "$frags" | cut -d' ' -f1 | tr '\n' ' '))"
    else
        bad "midiraw sysex 65536 bytes ALSA -> rill: $nfr event(s), $(printf '%s' "$got" | wc -w) bytes, not the sysex sent (want 2 or more fragments); $(grep -m2 'dropped so far' "$M/midiraw.rilld.log")"
    fi
    grep -q '"sysex_fragmented":[1-9]' "$M/midiraw.drop.json" &&
        ok "midiraw status --json counts the fragmented sysex: $(grep -o '"sysex_fragmented":[0-9]*' "$M/midiraw.drop.json" | tail -1)" ||
        bad "midiraw status --json has no sysex_fragmented count: $(grep -o '"midi_raw":{[^}]*}' "$M/midiraw.drop.json")"

    # ---- 4b. a drop, counted and shown (the second: 2b's was the first)
    n2=$(field lines_before "$(grep '^midiraw drop ' "$RES")")
    # (what came between the drop and the replug below)
    n1=$(field lines_before "$(grep '^midiraw replug ' "$RES")")
    after=$(sed -n "$((${n2:-0} + 1)),${n1:-0}p" "$M/midiraw.rx" 2> /dev/null | head -5 | cut -d' ' -f3- | cut -c1-20 | tr '\n' ';')
    raw=$(grep -o '"midi_raw":{[^}]*}' "$M/midiraw.drop.json" 2> /dev/null)
    if [ -n "$n2" ] && [ "$after" = "90 43 7f;" ] &&
        printf '%s' "$raw" | grep -q '"bridge":true,"dropped":2,"malformed":2,"sysex_too_long":2,"kernel_overruns":0,' &&
        grep -q '^midi raw dropped: 2 ' "$M/midiraw.drop.status" &&
        grep -q 'alsa_rawmidi: 2 MIDI events dropped so far: 2 malformed input (2 sysex over 65536 bytes)' "$M/midiraw.rilld.log"; then
        ok "midiraw drop: a sysex of 65537 bytes (limit 65536) dropped whole and counted: $(grep '^midi raw dropped' "$M/midiraw.drop.status"); $raw; logged; the note after it came"
    else
        bad "midiraw drop: after it: '$after'; status: $(grep '^midi' "$M/midiraw.drop.status" 2> /dev/null); json: $raw; log: $(grep -m2 'dropped so far' "$M/midiraw.rilld.log")"
    fi
    nlog=$(grep -c 'alsa_rawmidi: .* MIDI events dropped so far' "$M/midiraw.rilld.log")
    echo "NOTE: midiraw: the raw bridge logged its drop count $nlog time(s) in this section"

    # ---- 5. unplug
    line=$(grep "^midiraw rmmod_open " "$RES")
    if [ -n "$(field rc "$line")" ] && [ "$(field rc "$line")" != 0 ] && [ "$(field open0 "$line")" = 1 ]; then
        ok "midiraw: rmmod snd-virmidi while rill has hw:3,0 open is refused by the kernel ($(head -1 "$M/midiraw.rmmod-open.log")); rill keeps it open"
    else
        bad "midiraw: rmmod while open: $line $(head -1 "$M/midiraw.rmmod-open.log" 2> /dev/null)"
    fi
    line=$(grep "^midiraw unbind " "$RES")
    if [ "$(field alive "$line")" = 1 ] && [ "$(field rc "$line")" = 0 ] &&
        ! grep -q "Virtual Raw" "$M/midiraw.ports-unbound" &&
        grep -q -e "hw:3,0 input closed.*the device failed" -e "hw:3,0 input closed.*the device is gone" "$M/midiraw.rilld.log"; then
        ok "midiraw unplug: card unbound while rill read hw:3,0: $(grep -m1 'hw:3,0 input closed' "$M/midiraw.rilld.log" | cut -c1-120); ports gone, rilld alive ($line)"
    else
        bad "midiraw unplug: $line; ports after: $(grep Virtual "$M/midiraw.ports-unbound" | tr '\n' ';'); $(grep -m2 -e 'closed' -e 'failed' "$M/midiraw.rilld.log" | tr '\n' ' ')"
    fi
    n1=$(field lines_before "$(grep '^midiraw replug ' "$RES")")
    after=$(tail -n +"$((${n1:-0} + 1))" "$M/midiraw.rx" 2> /dev/null | cut -d' ' -f3- | tr '\n' ';')
    if [ "$(grep -c 'Virtual Raw' "$M/midiraw.ports-bound")" = 4 ] && [ "$after" = "90 41 7f;" ]; then
        ok "midiraw replug: card bound again, the 4 ports back, data flows (90 41 7f)"
    else
        bad "midiraw replug: ports $(grep -c 'Virtual Raw' "$M/midiraw.ports-bound" 2> /dev/null); after: '$after'"
    fi
    # ports appear on inotify's word; the scan once a second is the
    # fallback, so 1.5 s is the bound that fails only when both fail
    ap=$(field seconds "$(grep '^midiraw appear ' "$RES")")
    worst=$(echo "$ap" | tr ',' '\n' | sort -g | tail -1)
    if [ -n "$worst" ] && within "$worst" -5 1.5; then
        ok "midiraw hot-plug: the ports were there $ap s after insmod returned (want at most 1.5)"
    else
        bad "midiraw hot-plug: the ports came ${ap:-never} s after insmod (want at most 1.5)"
    fi
    line=$(grep "^midiraw reload " "$RES")
    f0=$(field fds_before "$line")
    f1=$(field fds_after "$line")
    m0=$(field rss_before "$line")
    m1=$(field rss_after "$line")
    dm=$((${m1:-0} - ${m0:-0}))
    # (RSS is no measure under ASan: its quarantine holds freed memory)
    [ "${RILL_SANITIZERS:-no}" = yes ] && dm=0
    if [ "$(field rounds "$line")" = 3 ] && [ -n "$f0" ] && [ "$f0" = "$f1" ] &&
        within "$dm" -100000 2048 && [ "$(grep -c 'Virtual Raw' "$M/midiraw.ports-reload")" = 4 ]; then
        ok "midiraw hot-plug: snd-virmidi unloaded and loaded 3 times, ports followed, fds $f0 -> $f1, RSS $m0 -> $m1 kB"
    else
        bad "midiraw hot-plug: $line; $(tail -2 "$M/midiraw.mod.log" 2> /dev/null | tr '\n' ' ')"
    fi
fi

# ---- 6. per device: --midi seq --midi-raw hw:VirMIDI,0
line=$(grep "^midiraw perdev " "$RES")
if [ "$(field started "$line")" != 1 ]; then
    bad "midiraw per device: rilld --midi seq --midi-raw hw:VirMIDI,0 did not start or its ports did not come: $(tail -3 "$M/midiraw.pd.rilld.log" 2> /dev/null | tr '\n' ' '); $(head -c 1500 "$M/midiraw.pd.diag" 2> /dev/null | tr '\n' ' ')"
else
    P=$M/midiraw.pd.ports
    if grep -qxF "alsa_rawmidi:Virtual Raw MIDI 0 (capture)" "$P" &&
        grep -qxF "alsa_rawmidi:Virtual Raw MIDI 0 (playback)" "$P" &&
        ! grep -q "^alsa_rawmidi:Virtual Raw MIDI 1" "$P" &&
        grep -q "^alsa_midi:.*VirMIDI 3-1 (capture)$" "$P" && grep -q "^alsa_midi:.*VirMIDI 3-1 (playback)$" "$P" &&
        ! grep -q "^alsa_midi:.*VirMIDI 3-0" "$P" && grep -q "^alsa_midi:Midi Through" "$P"; then
        ok "midiraw per device: hw:3,0 (named hw:VirMIDI,0) raw only, hw:3,1 through the sequencer only: $(grep -e VirMIDI -e 'Virtual Raw' "$P" | tr '\n' ';')"
    else
        bad "midiraw per device: the ports are not hw:3,0 raw and hw:3,1 through the sequencer, each once: $(tr '\n' ';' < "$P")"
    fi
    if grep -q "rill-rt-trap" "$M/midiraw.pd.rilld.log"; then
        bad "midiraw per device: the realtime trap fired: $(grep -m1 -A3 rill-rt-trap "$M/midiraw.pd.rilld.log" | tr '\n' ' ')"
    fi
    r=$(cut -d' ' -f3- "$M/midiraw.pdr" 2> /dev/null | tr '\n' ';')
    q=$(cut -d' ' -f3- "$M/midiraw.pds" 2> /dev/null | tr '\n' ';')
    if [ "$r" = "90 3c 40;80 3c 00;" ] && [ "$q" = "90 3c 40;80 3c 00;" ] && [ "$(field open1 "$line")" = 0 ]; then
        ok "midiraw per device: amidi -S into hw:3,1 reached rill through the sequencer bridge (VirMIDI 3-1) and the raw bridge (hw:3,0): '$r'; rill never opened hw:3,1"
    else
        bad "midiraw per device: raw hw:3,0 got '$r', sequencer VirMIDI 3-1 got '$q' (want 90 3c 40;80 3c 00; each); $line"
    fi
fi
