# tests/kernel/midi-check.sh — the host's checks of the guest's MIDI
# section (guest-midi.sh); sourced by kernel.sh, which provides RES, SHARE,
# ok, bad, field and within.
echo "----- midi"
M=$SHARE
line=$(grep "^midi started=" "$RES")
if [ "$(field started "$line")" != 1 ]; then
    bad "midi: rilld --midi seq did not start or the bridge's ports did not appear: $(tail -3 "$M/midi.rilld.log" 2> /dev/null | tr '\n' ' ')"
else
    grep -q "frame counter starts at 4294487296" "$M/midi.rilld.log" &&
        ok "midi: the frame counter started 10 s before 2^32" ||
        bad "midi: RILL_FRAME_START was not taken: $(head -3 "$M/midi.rilld.log" | tr '\n' ' ')"

    if grep -q "rill-rt-trap" "$M"/midi*.rilld.log; then
        bad "midi: the realtime trap fired in rilld: $(grep -m1 -A3 rill-rt-trap "$M"/midi*.rilld.log | tr '\n' ' ')"
    else
        ok "midi: rilld ran under the realtime allocation trap, which never fired"
    fi
    # ---- discovery and names
    missing=
    for p in "Midi Through Port-0" "Virtual Raw MIDI 3-0 VirMIDI 3-0" \
        "Virtual Raw MIDI 3-1 VirMIDI 3-1" "rill test visible"; do
        for d in capture playback; do
            grep -qxF "alsa_midi:$p ($d)" "$M/midi.ports1" || missing="$missing '$p ($d)'"
        done
    done
    if [ -z "$missing" ]; then
        ok "midi discovery: $(wc -l < "$M/midi.ports1") ports: $(tr '\n' ';' < "$M/midi.ports1")"
    else
        bad "midi discovery: missing$missing; have: $(tr '\n' ';' < "$M/midi.ports1")"
    fi
    if grep -q -e hidden -e "rill bridge" -e Announce -e Timer "$M/midi.ports1"; then
        bad "midi discovery: a no-export, own or system port is bridged: $(grep -e hidden -e 'rill bridge' -e Announce -e Timer "$M/midi.ports1")"
    else
        ok "midi discovery: the no-export port 'hidden', the bridge's own port and the system ports are absent"
    fi
    grep -q "alsa_seq:Midi Through/Midi Through Port-0 (capture)" "$M/midi.ports-a" &&
        grep -q "alsa_seq:14:0 (capture)" "$M/midi.ports-a" &&
        ok "midi aliases: the ALSA names and address (alsa_seq:14:0)" ||
        bad "midi aliases: $(grep -A3 'Midi Through Port-0 (capture)' "$M/midi.ports-a" | tr '\n' ' ')"
    # five ALSA clients, one after the other: their median (a stall of the
    # TCG guest may delay one; a bridge that scans instead of listening to
    # the kernel's announcements is late for most; a time below 0: the
    # bridge saw the port before the client had written down its own clock)
    bs=$(field bridge_s "$(grep '^midi appear ' "$RES")")
    med=$(echo "$bs" | tr ',' '\n' | grep -E '^-?[0-9.]+$' | sort -g | awk '{v[NR] = $1} END {if (NR == 5) print v[3]}')
    if [ -n "$med" ] && within "$med" -1 0.1; then
        ok "midi: a new ALSA port was a rill port $med s (median of 5: $bs) after the ALSA client created it (want 0.1 at most)"
    else
        bad "midi: a new ALSA port took ${med:-?} s (median of ${bs:-nothing}) to become a rill port (want 0.1 at most)"
    fi
    bs=$(field bridge_s "$(grep '^midi rename ' "$RES")")
    if within "$bs" 0 1.5 && grep -qxF "alsa_midi:rill test renamed visible (capture)" "$M/midi.ports-renamed" &&
        ! grep -q "alsa_midi:rill test visible" "$M/midi.ports-renamed"; then
        ok "midi rename: the ALSA client renamed, the rill ports followed in $bs s (the kernel does not announce client renames: the once-a-second scan)"
    else
        bad "midi rename: ${bs:-?} s; ports: $(grep 'rill test' "$M/midi.ports-renamed" | tr '\n' ';')"
    fi
    # the same names after a restart and after the other module load order
    sel() { grep -e "Midi Through" -e "Virtual Raw" "$1" 2> /dev/null; }
    for f in midi.ports2 midi.ports3; do
        what="after a restart"
        [ $f = midi.ports3 ] && what="with snd-virmidi loaded before snd-seq-dummy"
        if [ -n "$(sel "$M/midi.ports1")" ] && [ "$(sel "$M/midi.ports1")" = "$(sel "$M/$f")" ]; then
            ok "midi names $what: the same $(sel "$M/$f" | wc -l) names"
        else
            bad "midi names $what differ: $(diff <(sel "$M/midi.ports1") <(sel "$M/$f") | tr '\n' ' ')"
        fi
    done

    # ---- lazy subscription (/proc/asound/seq/clients): the bridge's port
    # is subscribed to the announcements only, until a rill port connects
    from() { awk '/^Client +[0-9]+ : "rill"/ {r = 1; next} /^Client/ {r = 0}
        r && /Connected From:/ {sub(/.*Connected From: */, ""); print; exit}' "$M/midi.clients-$1"; }
    b=$(from before)
    c=$(from connected)
    d=$(from disconnected)
    if [ "$b" = "0:1" ] && [ "$d" = "0:1" ] && [ "$(echo "$c" | tr ',' '\n' | wc -l)" = 2 ]; then
        ok "midi lazy subscription: the bridge's port takes from [$b] idle, [$c] while VirMIDI 3-0 (capture) is connected, [$d] after"
    else
        bad "midi lazy subscription: idle [$b], connected [$c], disconnected [$d] (want 0:1, 0:1 + one, 0:1)"
    fi

    # ---- ALSA -> rill: amidi -S with running status -> 3 events of 3 bytes
    got=$(awk '{$1 = ""; print substr($0, 2)}' "$M/midi.rx" 2> /dev/null | tr '\n' ';')
    if [ "$got" = "3 90 3c 40;3 90 3e 50;3 80 3c 00;" ]; then
        ok "midi amidi -S '90 3C 40 3E 50 80 3C 00' -> rill: 3 events of 3 bytes, running status expanded"
    else
        bad "midi amidi -S -> rill: got '$got'"
    fi
    n=$(grep -c -e ': 90 3c 40' -e ': 90 3e 50' -e ': 80 3c 00' "$M/midi.dump" 2> /dev/null)
    [ "$n" = 3 ] && ok "midi jack_midi_dump (rill-jack) shows the 3 events: $(grep -e ': [89]0 3' "$M/midi.dump" | tr -s ' ' | tr '\n' ';')" ||
        bad "midi jack_midi_dump: $n of 3 events: $(head -5 "$M/midi.dump" | tr '\n' ';')"
    # aplaymidi -> Midi Through -> rill: 20 events 100 ms (4800 frames) apart.
    # An event stamped by the kernel lands at its frame + one period; one
    # that reaches the bridge's input thread after the cycle it was due in
    # (a slow guest) goes to the start of the next: late by less than a
    # period (4096 frames), never early by more than a frame or two.
    out=$(awk 'BEGIN { n = 0 }
        { f[n] = $1; e[n] = $3 " " $4; n++ }
        END {
            bad = 0; max = 0; exact = 0; far = 0
            for (i = 0; i < n; i++) {
                note = sprintf("%02x", 60 + int(i / 2))
                want = (i % 2 == 0 ? "90 " : "80 ") note
                if (e[i] != want) bad++
                if (i > 0) {
                    d = f[i] - f[i - 1] - 4800; if (d < 0) d = -d
                    if (d > max) max = d
                    if (d <= 48) exact++
                    if (d > 2 * 4096) far++
                }
            }
            printf "n=%d order_errors=%d steps_within_1ms=%d of %d max_err_frames=%d beyond_2_periods=%d\n", n, bad, exact, n - 1, max, far
        }' "$M/midi.rx2" 2> /dev/null)
    if [ "$(field n "$out")" = 20 ] && [ "$(field order_errors "$out")" = 0 ] &&
        [ "$(field beyond_2_periods "$out")" = 0 ] && within "$(field steps_within_1ms "$out")" 10 19; then
        ok "midi aplaymidi -> Midi Through -> rill: $out (48 frames = 1 ms; the others are events the TCG guest delivered after their cycle)"
    else
        bad "midi aplaymidi -> rill: $out (want 20 events in order, at least 10 of 19 steps 4800 frames within 48, none off by 2 periods)"
    fi

    # ---- rill -> ALSA
    # amidi -d prints each message's bytes as hex without spaces; the
    # kernel's VirMIDI turns sequencer events into bytes with running status
    # (a line "3F40" after "903C40")
    ad=$(tr -d ' ' < "$M/midi.amidi-d" 2> /dev/null | tr 'a-f' 'A-F')
    on60=$(echo "$ad" | grep -c '^903C40$')
    off60=$(echo "$ad" | grep -c '^803C40$')
    on63=$(echo "$ad" | grep -c '^903F40$')
    other=$(echo "$ad" | grep -v -E -e '^$' -e '^(90|80)?3[CF]40$' | head -3 | tr '\n' ' ')
    if [ "$on60" -ge 1 ] && [ "$off60" -ge 1 ] && [ "$on63" -ge 1 ] && [ -z "$other" ]; then
        ok "midi jack_midiseq -> VirMIDI 3-0 -> amidi -d: $on60 note-on 60, $off60 note-off 60, $on63 note-on 63, nothing else"
    else
        bad "midi jack_midiseq -> amidi -d: on60=$on60 off60=$off60 on63=$on63 other='$other'"
    fi
    if grep -q "Note on .*note 60, velocity 64" "$M/midi.aseqdump" &&
        grep -q "Note on .*note 63, velocity 64" "$M/midi.aseqdump"; then
        ok "midi jack_midiseq -> Midi Through -> aseqdump: $(grep -c 'Note on' "$M/midi.aseqdump") note-ons"
    else
        bad "midi jack_midiseq -> aseqdump: $(head -c 300 "$M/midi.aseqdump" | tr '\n' ';')"
    fi

    # ---- sysex, byte for byte
    k=0
    for size in 6 256 257 1024 4096 65536; do
        k=$((k + 1))
        want=$(od -An -v -tx1 "$M/sx-$size.syx" | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
        gotline=$(awk -v n="$size" '$2 == n' "$M/midi.sx" 2> /dev/null | head -1)
        got=$(echo "$gotline" | cut -d' ' -f3-)
        if [ "$size" = 65536 ]; then
            # longer than a rill MIDI buffer (32 KiB): in fragments, one JACK
            # event each, in consecutive cycles: the lines after the five
            # whole ones, put together
            frags=$(tail -n +6 "$M/midi.sx" 2> /dev/null)
            nfr=$(printf '%s\n' "$frags" | grep -c .)
            got=$(printf '%s\n' "$frags" | cut -d' ' -f3- | tr '\n' ' ' | sed 's/ $//')
            frames=$(printf '%s\n' "$frags" | cut -d' ' -f1 | tr '\n' ' ')
            if [ "$nfr" -ge 2 ] && [ "$got" = "$want" ]; then
                ok "midi sysex 65536 bytes ALSA (amidi -s) -> rill: byte for byte, in $nfr fragments (JACK events at frames $frames)"
            else
                bad "midi sysex 65536 bytes ALSA -> rill: $nfr fragment(s), $(printf '%s' "$got" | wc -w) bytes, not the sysex sent"
            fi
        elif [ -n "$got" ] && [ "$got" = "$want" ]; then
            ok "midi sysex $size bytes ALSA (amidi -s) -> rill: one event, byte for byte"
        else
            bad "midi sysex $size bytes ALSA -> rill: $(echo "$gotline" | cut -c1-80) (want $size bytes)"
        fi
        how="amidi -r on VirMIDI"
        if [ "$size" = 65536 ]; then
            # the reader's tries (guest-midi.sh): one more only after the
            # kernel told the reader it had overrun its input pool
            tries=$(grep '^midi sxr ' "$RES" 2> /dev/null | sed 's/^midi sxr //' | tr '\n' ';')
            how="written by the client in fragments, read from Midi Through by a sequencer client; reader: ${tries:-no result}"
        fi
        if cmp -s "$M/sxo-$size.bin" "$M/sx-$size.syx"; then
            ok "midi sysex $size bytes rill -> ALSA ($how): byte for byte"
        else
            bad "midi sysex $size bytes rill -> ALSA ($how): $(stat -c %s "$M/sxo-$size.bin" 2> /dev/null) bytes came, $(cmp "$M/sxo-$size.bin" "$M/sx-$size.syx" 2>&1 | head -1)"
        fi
    done

    # ---- the rewriting option: in, note-on velocity 0 -> note-off 64 and
    #      everything to channel 2 (the clock has no channel); out, note-off
    #      and the clock dropped
    rwi=$(cut -d' ' -f2- "$M/midi.rwi" 2> /dev/null | tr '\n' ';')
    if [ "$rwi" = "3 81 3c 40;3 91 3e 40;1 f8;" ]; then
        ok "midi rewrite in (note-off,channel=2): 90 3c 00, 90 3e 40, f8 -> $rwi"
    else
        bad "midi rewrite in (note-off,channel=2): got '$rwi', want '3 81 3c 40;3 91 3e 40;1 f8;' ($(grep -m2 'rewrite' "$M/midi.rilld.log" | tr '\n' ' '))"
    fi
    rwo=$(od -An -v -tx1 "$M/rwo.bin" 2> /dev/null | tr -s ' \n' ' ' | sed 's/^ //; s/ $//')
    if [ "$rwo" = "80 3c 40 90 3e 40" ]; then
        ok "midi rewrite out (note-off drop=clock): 90 3c 00, f8, 90 3e 40 -> $rwo"
    else
        bad "midi rewrite out (note-off drop=clock): got '$rwo', want '80 3c 40 90 3e 40'"
    fi
    # ---- status --json: the bridge's account
    if grep -q '"midi":{"bridge":true,"dropped":[0-9]*,' "$M/midi.status.json" 2> /dev/null &&
        grep -q '"sysex_fragmented":[1-9]' "$M/midi.status.json"; then
        ok "midi: rillctl status --json has the bridge's account: $(grep -o '"midi":{[^}]*}' "$M/midi.status.json")"
    else
        bad "midi: rillctl status --json: $(cat "$M/midi.status.json" 2> /dev/null | head -c 600)"
    fi

    # ---- late cycles (the bridge's test hook: every 8th cycle 2.5 periods
    #      late): every event comes, in order; the late cycles were counted
    nl=$(grep -c ' 90 \| 80 ' "$M/midi.late-rx" 2> /dev/null)
    held=$(sed -n 's/.*"late_cycles_held":\([0-9]*\).*/\1/p' "$M/midi.late-status.json" 2> /dev/null)
    if [ "${nl:-0}" = 20 ] && [ "${held:-0}" -ge 1 ]; then
        ok "midi late cycles: with every 8th cycle of the bridge 2.5 periods late, 20 of 20 events came; $held late cycle(s) kept their events"
    else
        bad "midi late cycles: ${nl:-0} of 20 events came, late_cycles_held=${held:-?} (want 20, at least 1): $(head -c 300 "$M/midi.late-status.json" 2> /dev/null)"
    fi

    # ---- burst
    line=$(grep "^midi burst " "$RES")
    # every event that came is in order (i = note + 128 * velocity grows by
    # one, or more when events were lost); lost ones must be counted by the
    # bridge (the kernel's input FIFO holds 2000 events: a sender faster than
    # the bridge's input thread overruns it, which under TCG happens)
    out=$(awk 'function hex(x) { return (index("0123456789abcdef", substr(x, 1, 1)) - 1) * 16 + index("0123456789abcdef", substr(x, 2, 1)) - 1 }
               { if ($2 != 3 || $3 != "90") { bad++; next }
                 i = hex($4) + 128 * hex($5)
                 if (NR > 1 && i <= last) bad++
                 if ((NR == 1 && i != 0) || (NR > 1 && i != last + 1)) gaps++
                 last = i }
               END { if (last != 9999) gaps++
                     printf "n=%d out_of_order=%d gaps=%d", NR, bad + 0, gaps + 0 }' "$M/midi.bx" 2> /dev/null)
    n=$(field n "$out")
    ov=$(grep "dropped so far" "$M/midi.rilld.log" | tail -1 | sed -n 's/.* \([0-9]*\) kernel input overruns.*/\1/p')
    gaps=$(field gaps "$out")
    # cycles in which a node was late (bypassed: a late receiver never reads
    # that cycle's events), from rilld's log while bx was connected
    lc=$(sed -n "/connected 'alsa_midi:burster out (capture)' -> 'bx:in'/,/disconnected 'alsa_midi:burster out (capture)'/p" \
        "$M/midi.rilld.log" | sed -n 's/^rilld: \([0-9]*\) cycle(s) where the graph missed its deadline.*/\1/p' |
        awk '{s += $1} END {print s + 0}')
    if [ "$n" = 10000 ] && [ "$(field out_of_order "$out")" = 0 ]; then
        ok "midi burst: 10,000 events sent at once all arrived in order in $(field seconds "$line") s"
    elif [ "$(field out_of_order "$out")" = 0 ] && [ -n "$n" ] && [ "$n" -gt 0 ] &&
        [ -n "$ov" ] && [ "${gaps:-0}" -le "$ov" ] && [ "${gaps:-0}" -ge 1 ]; then
        ok "midi burst: $n of 10,000 events arrived in order; each of the $gaps gap(s) is a kernel input overrun the bridge counted and logged ($ov)"
        echo "NOTE: midi burst: the TCG guest's bridge input thread did not keep up with the sender: $(grep 'dropped so far' "$M/midi.rilld.log" | tail -1)"
    elif [ "$(field out_of_order "$out")" = 0 ] && [ -n "$n" ] && [ "$n" -gt 0 ] &&
        [ "${gaps:-0}" -ge 1 ] && [ "${gaps:-0}" -le $((${ov:-0} + lc)) ]; then
        ok "midi burst: $n of 10,000 events arrived in order; the $gaps gap(s) are no more than the kernel input overruns the bridge counted (${ov:-0}) and the cycles rilld logged with a late node ($lc: the receiving client, bypassed, never read that cycle's events)"
        echo "NOTE: midi burst: events lost to late cycles of the TCG guest; the bridge's own late cycles keep their events (late_cycles_held in status --json)"
    else
        bad "midi burst: $out, overruns counted: ${ov:-none}; $line"
    fi

    # ---- export
    # steps FILE FROM TO: of the 20 steps (note-on/off by turns, notes
    # 60..69) in lines FROM..TO, how many came and whether those are in order
    # ("N ordered"). The first events of aplaymidi -p can come before the
    # bridge made the rill side of the port (counted, logged); under TCG a
    # bridge cycle that runs too late is bypassed by the engine and its
    # events are lost: a figure.
    steps() { # FILE FROM TO
        awk -v from="$2" -v to="$3" 'BEGIN { last = -1 }
            NR >= from && NR <= to {
                k = (index("0123456789abcdef", substr($4, 1, 1)) - 1) * 16 + index("0123456789abcdef", substr($4, 2, 1)) - 1
                i = (k - 60) * 2 + ($3 == "80")
                if (i <= last) bad++
                last = i; n++ }
            END { printf "%d %s", n, bad ? "unordered" : "ordered" }' "$1" 2> /dev/null
    }
    ein=$(field port "$(grep '^midi export_in ' "$RES")")
    l1=$(field lines "$(grep '^midi export_first ' "$RES")")
    first=$(steps "$M/midi.ex" 1 "${l1:-0}")
    n1=${first%% *}
    if [ -n "$ein" ] && [ "${first#* }" = ordered ] && [ "${n1:-0}" -ge 10 ]; then
        ok "midi export: aplaymidi -p $ein (the rill port ex:in as an ALSA port) reached the JACK client: $n1 of 20 events, in order"
    else
        bad "midi export: aplaymidi -p ${ein:-?} -> ex:in: ${first:-nothing} ($(head -2 "$M/midi.ex" 2> /dev/null | tr '\n' ';'))"
    fi
    second=$(steps "$M/midi.ex" $((${l1:-0} + 1)) 1000000)
    n2=${second%% *}
    if [ "${second#* }" = ordered ] && [ "${n2:-0}" -ge 15 ]; then
        ok "midi export: aconnect 14:0 $ein and aplaymidi into Midi Through: $n2 of 20 events at ex:in, in order"
    else
        bad "midi export: aconnect 14:0 ${ein:-?}: ${second:-nothing} (want 15+ of 20 in order)"
    fi
    eout=$(field port "$(grep '^midi export_out ' "$RES")")
    if grep -q "Note on .*note 60, velocity 64" "$M/midi.ex-aseqdump" 2> /dev/null &&
        grep -q "Note on .*note 63, velocity 64" "$M/midi.ex-aseqdump"; then
        ok "midi export: aseqdump -p $eout (jack_midiseq's seq2:out as an ALSA port) read $(grep -c 'Note on' "$M/midi.ex-aseqdump") note-ons"
    else
        bad "midi export: aseqdump -p ${eout:-?}: $(head -c 200 "$M/midi.ex-aseqdump" 2> /dev/null | tr '\n' ';')"
    fi
    if [ -s "$M/midi.ports-export" ] && ! grep -v -e "(export)" -e "rill test" "$M/midi.ports-export" | grep -q "rill"; then
        ok "midi export: the bridge imports none of its own exported ports"
    else
        bad "midi export: own ports imported: $(grep rill "$M/midi.ports-export" | tr '\n' ';')"
    fi

    # ---- hot-plug
    line=$(grep "^midi hotplug " "$RES")
    r=$(field rounds "$line")
    f0=$(field fds_before "$line")
    f1=$(field fds_after "$line")
    m0=$(field rss_before "$line")
    m1=$(field rss_after "$line")
    if [ "$r" = 20 ] && [ -n "$f0" ] && [ "$f0" = "$f1" ] && within $((m1 - m0)) -100000 2048 &&
        [ "$(grep -c 'Virtual Raw' "$M/midi.ports-hotplug")" = 4 ]; then
        ok "midi hot-plug: snd-virmidi unloaded and loaded 20 times, the 4 ports went and came each time, fds $f0 -> $f1, RSS $m0 -> $m1 kB"
    else
        bad "midi hot-plug: $line; $(tail -2 "$M/midi.rmmod.log" 2> /dev/null | tr '\n' ' ')"
    fi
fi
line=$(grep "^midi noseq " "$RES")
if [ -n "$(field rc "$line")" ] && [ "$(field rc "$line")" != 0 ] &&
    grep -q "the ALSA sequencer cannot be used" "$M/midi-noseq.rilld.log"; then
    ok "midi: --midi seq without a sequencer refused: $(tail -1 "$M/midi-noseq.rilld.log")"
else
    bad "midi: --midi seq without a sequencer: $line $(tail -1 "$M/midi-noseq.rilld.log" 2> /dev/null)"
fi
