#!/bin/bash
# tests/integration/midi.sh — JACK MIDI on rill with jackd2's own programs:
#   - jack_midiseq into jack_midi_dump: every note at the frame the sequence
#     puts it (checked on absolute frame times, over several loops);
#   - jack_midiseq driving jack_midisine, recorded by rill-test-midi rec (a
#     process-thread client): sound while the note is on, silence otherwise;
#   - two jack_midiseq into one jack_midi_dump: both sequences intact, merged
#     in time order;
#   - two rill-test-midi senders into one input: equal times keep the
#     connection order (the merge is stable);
#   - jack_evmon reports the registrations and connections.
# Our own clients run under the realtime allocation trap (jack_midi_dump
# cannot: it calls pthread_mutex_trylock in its process callback).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

MIDI_CLIENT=$RILL_TOP_BUILDDIR/tests/clients/rill-test-midi
require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$MIDI_CLIENT" "$RILL_TRAP"
for t in jack_midiseq jack_midi_dump jack_midisine jack_evmon; do
    require_program "$t" jackd2
done

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# wait until PORT exists
want_port() {
    wait_for "port_exists $1" 10 || fail "port $1 did not appear; ports: $(ports_list | tr '\n' ' ')"
}

# stop PID with SIGTERM and wait for it
stop_pid() {
    kill -TERM "$1" 2>/dev/null
    wait_exit "$1" 5 || fail "pid $1 did not exit within 5 s of SIGTERM"
}

# check_seq FILE NOTES...: FILE holds jack_midi_dump -a lines
# "  FRAME: 90 3c 40 note on ..."; the events of the notes given (hex, e.g.
# 3c) must follow jack_midiseq's sequence: each NOTE is "hexnote:on:off"
# with on/off the frame offsets in the loop; LOOP is the loop length.
# Consecutive events of the sequence must be exactly the next one of the
# loop, at exactly the expected distance; at least MIN events.
check_seq() {
    local file=$1 loop=$2 min=$3
    shift 3
    awk -v loop="$loop" -v min="$min" -v spec="$*" '
        BEGIN {
            n = split(spec, s, " ")
            k = 0
            for (i = 1; i <= n; i++) {
                split(s[i], f, ":")
                off[k] = f[2]; key[k] = "90 " f[1]; idx["90 " f[1]] = k; k++
                off[k] = f[3]; key[k] = "80 " f[1]; idx["80 " f[1]] = k; k++
            }
            # the loop in time order
            for (i = 0; i < k; i++) order[i] = i
            for (i = 0; i < k; i++) for (j = i + 1; j < k; j++)
                if (off[order[j]] < off[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
            for (i = 0; i < k; i++) pos[order[i]] = i
            nk = k; count = 0; bad = ""
        }
        /^ *[0-9]+: [89]0 / {
            t = $1; sub(":", "", t); t += 0
            e = $2 " " $3
            if (!(e in idx)) next
            p = pos[idx[e]]
            if (count > 0) {
                want = (lastp + 1) % nk
                d = off[order[p]] - off[order[lastp]]
                if (d <= 0) d += loop
                # An overloaded machine loses periods (xruns, a late client
                # bypassed): the sequencer counts its own frames, the dump
                # those of the engine, so they may differ by whole periods or
                # an event may be missing. Tolerated for a third of the
                # steps at most; any other offset is an error.
                if (p != want) irregular++
                else if (t - lastt == d) exact++
                else if ((t - lastt - d) % 256 == 0) irregular++
                else bad = bad sprintf("event %s at %d: %d frames after the last, want %d; ", e, t, t - lastt, d)
            }
            lastp = p; lastt = t; count++
        }
        END {
            if (bad != "") { print bad; exit 1 }
            if (count < min) { printf "only %d events, want >= %d\n", count, min; exit 1 }
            if (irregular * 3 > count) { printf "%d of %d steps off by whole periods or missing\n", irregular, count; exit 1 }
            printf "%d events in order at the right frames (%d steps exact, %d shifted by lost periods)\n", count, exact, irregular
        }' "$file"
}

# ---- 1. jack_midiseq -> jack_midi_dump
spawn rjack jack_midi_dump -a dump1 >"$RILL_TMP/dump1.out" 2>"$RILL_TMP/dump1.log"
dump1=$SPAWN_PID
spawn rjack jack_midiseq seq1 24000 0 60 8000 12000 63 8000 >"$RILL_TMP/seq1.log" 2>&1
seq1=$SPAWN_PID
want_port dump1:input
want_port seq1:out
rctl ports -t | grep -A1 -x "seq1:out" | grep -qx $'\t8 bit raw midi' ||
    fail "seq1:out is not an '8 bit raw midi' port: $(rctl ports -t)"
rctl connect seq1:out dump1:input || fail "cannot connect seq1:out dump1:input"
# 1.6 s at 48 kHz: more than 3 loops of 24000 frames
sleep 1.6
stop_pid "$seq1"
stop_pid "$dump1"
# C4 (3c) from 0 to 8000, D#4 (3f) from 12000 to 20000, a loop of 24000
res=$(check_seq "$RILL_TMP/dump1.out" 24000 10 3c:0:8000 3f:12000:20000) ||
    fail "jack_midiseq -> jack_midi_dump: $res; output: $(head -20 "$RILL_TMP/dump1.out")"
info "jack_midiseq -> jack_midi_dump: $res"

# ---- 2. jack_midiseq -> jack_midisine -> rill-test-midi rec
RILL_TEST_TRAP=1 spawn rjack "$MIDI_CLIENT" rec rec2 "$RILL_TMP/rec2.txt" >"$RILL_TMP/rec2.log" 2>&1
rec2=$SPAWN_PID
spawn rjack jack_midisine >"$RILL_TMP/midisine.log" 2>&1
sine=$SPAWN_PID
spawn rjack jack_midiseq seq2 24000 0 60 8000 >"$RILL_TMP/seq2.log" 2>&1
seq2=$SPAWN_PID
want_port rec2:in
want_port midisine:midi_in
want_port midisine:audio_out
want_port seq2:out
wait_for "grep -qx ready '$RILL_TMP/rec2.txt'" 10 || fail "rill-test-midi rec did not get ready"
rctl connect seq2:out midisine:midi_in || fail "cannot connect seq2:out midisine:midi_in"
rctl connect midisine:audio_out rec2:in || fail "cannot connect midisine:audio_out rec2:in"
sleep 2.2
stop_pid "$seq2"
stop_pid "$sine"
stop_pid "$rec2"
[ "$WAIT_RC" = 0 ] || fail "rill-test-midi rec exited $WAIT_RC: $(cat "$RILL_TMP/rec2.log")"
# rec2.txt: "FRAME PEAK" per period. A note is a run of sounding periods
# (peak > 0.05); measured in frames (so a period lost to an overloaded
# machine moves an edge by one period at most): each note lasts 8000 frames
# and starts 24000 frames after the one before, give or take 2 periods.
res=$(awk 'NR > 1 {
        on = ($2 > 0.05)
        # the first note may be cut by the connection: not measured
        # An overloaded machine may drop a late client for a cycle and so
        # an event: a third of the measures may be off, not more.
        # A note ends after 3 silent periods (a single dropped period of
        # jack_midisine, bypassed for being late, does not end it).
        if (on && !innote) { if (n >= 2) { d = $1 - start; if (d < 23488 || d > 24512) { odd++; bad = bad "notes " d " frames apart; " } else good++ } start = $1; n++; innote = 1 }
        if (on) quiet = 0
        else if (innote && ++quiet == 1) end = $1
        if (innote && quiet == 3) {
            innote = 0
            if (n > 1) { len = end - start; if (len < 7488 || len > 8512) { odd++; bad = bad "a note of " len " frames; " } else good++ }
        }
    }
    END {
        if (n < 3) { printf "only %d notes heard, want >= 3\n", n; exit 1 }
        if (good < 2 || odd * 3 > good + odd) { print bad; exit 1 }
        printf "%d notes, %d measures right (8000 frames long, 24000 apart, +-512), %d off (%s)\n", n, good, odd, bad
    }' "$RILL_TMP/rec2.txt") ||
    fail "jack_midisine: $res; recording: $(awk 'NR > 1 { printf "%s", ($2 > 0.05) ? "#" : "." }' "$RILL_TMP/rec2.txt")"
info "jack_midisine: $res"

# ---- 3. two jack_midiseq -> one jack_midi_dump (merge)
spawn rjack jack_midi_dump -a dump3 >"$RILL_TMP/dump3.out" 2>"$RILL_TMP/dump3.log"
dump3=$SPAWN_PID
spawn rjack jack_midiseq seq3a 24000 0 60 8000 12000 63 8000 >"$RILL_TMP/seq3a.log" 2>&1
seq3a=$SPAWN_PID
spawn rjack jack_midiseq seq3b 6000 100 70 50 >"$RILL_TMP/seq3b.log" 2>&1
seq3b=$SPAWN_PID
want_port dump3:input
want_port seq3a:out
want_port seq3b:out
rctl connect seq3a:out dump3:input || fail "cannot connect seq3a:out dump3:input"
rctl connect seq3b:out dump3:input || fail "cannot connect seq3b:out dump3:input"
sleep 1.6
stop_pid "$seq3a"
stop_pid "$seq3b"
stop_pid "$dump3"
res=$(check_seq "$RILL_TMP/dump3.out" 24000 10 3c:0:8000 3f:12000:20000) ||
    fail "merge: the first sequence: $res; output: $(head -30 "$RILL_TMP/dump3.out")"
info "merge, sequence 1: $res"
res=$(check_seq "$RILL_TMP/dump3.out" 6000 20 46:100:150) ||
    fail "merge: the second sequence: $res; output: $(head -30 "$RILL_TMP/dump3.out")"
info "merge, sequence 2: $res"
awk '/^ *[0-9]+:/ { t = $1 + 0; if (n++ && t < last) { print "frame " t " after " last; exit 1 } last = t }' \
    "$RILL_TMP/dump3.out" || fail "merge: events out of time order: $(head -30 "$RILL_TMP/dump3.out")"

# ---- 4. equal times keep the connection order
spawn rjack jack_midi_dump -a dump4 >"$RILL_TMP/dump4.out" 2>"$RILL_TMP/dump4.log"
dump4=$SPAWN_PID
RILL_TEST_TRAP=1 spawn rjack "$MIDI_CLIENT" send snd1 1 >"$RILL_TMP/snd1.log" 2>&1
snd1=$SPAWN_PID
RILL_TEST_TRAP=1 spawn rjack "$MIDI_CLIENT" send snd2 2 >"$RILL_TMP/snd2.log" 2>&1
snd2=$SPAWN_PID
want_port dump4:input
want_port snd1:out
want_port snd2:out
# snd2 first: its events come first at equal times
rctl connect snd2:out dump4:input || fail "cannot connect snd2:out dump4:input"
rctl connect snd1:out dump4:input || fail "cannot connect snd1:out dump4:input"
sleep 0.6
stop_pid "$dump4" # first: every group it printed has both senders
stop_pid "$snd1"
stop_pid "$snd2"
# From the first event of snd1 on, each frame time holds either the four
# events at frame 0 of a period or the two at frame 128, in this order.
res=$(awk '
    /^ *[0-9]+: 90 0[12] 0[012]/ {
        t = $1 + 0; e = $3 "/" $4
        if (!seen && $3 != "01") next
        if (!seen) { seen = 1; skip = 1 } # the group where snd1 begins may lack snd2 events
        if (t != cur) { check(); cur = t; g = "" }
        g = g (g == "" ? "" : ",") e
    }
    function check() {
        if (cur == "" || g == "") return
        if (skip) { skip = 0; return }
        if (g == "02/00,02/01,01/00,01/01") full++
        else if (g == "02/02,01/02") half++
        else if (g ~ /^(02\/0[0-2],?)*(01\/0[0-2],?)*$/) partial++ # a sender bypassed (overload)
        else bad = bad "frame " cur ": " g "; "
    }
    END {
        # the last group may be cut by the stop: not checked
        if (bad != "") { print bad; exit 1 }
        if (partial * 5 > full + half) { printf "%d groups lack events\n", partial; exit 1 }
        if (full < 20 || half < 20) { printf "only %d + %d merged groups\n", full, half; exit 1 }
        printf "%d groups at frame 0 and %d at mid-period, all in connection order\n", full, half
    }' "$RILL_TMP/dump4.out") || fail "stable merge: $res; output: $(sed -n '1,30p' "$RILL_TMP/dump4.out")"
info "stable merge: $res"

# ---- 5. jack_evmon sees registrations and connections
spawn rjack jack_evmon >"$RILL_TMP/evmon.out" 2>&1
evmon=$SPAWN_PID
sleep 0.5
RILL_TEST_TRAP=1 spawn rjack "$MIDI_CLIENT" send snd5 5 >"$RILL_TMP/snd5.log" 2>&1
snd5=$SPAWN_PID
spawn rjack jack_midi_dump dump5 >/dev/null 2>"$RILL_TMP/dump5.log"
dump5=$SPAWN_PID
want_port snd5:out
want_port dump5:input
rctl connect snd5:out dump5:input || fail "cannot connect snd5:out dump5:input"
sleep 0.2
rctl disconnect snd5:out dump5:input || fail "cannot disconnect snd5:out dump5:input"
sleep 0.2
stop_pid "$snd5"
sleep 0.3
stop_pid "$dump5"
stop_pid "$evmon"
ev=$(cat "$RILL_TMP/evmon.out")
for want in "Client snd5 registered" "Client dump5 registered" "Client snd5 unregistered"; do
    printf '%s\n' "$ev" | grep -qx "$want" || fail "jack_evmon did not print '$want'; output: $ev"
done
# the ports of the connect and disconnect lines are snd5's and dump5's
# (nothing else registers ports meanwhile: the two after the first of them
# came are theirs)
ids=$(printf '%s\n' "$ev" | awk '/^Client (snd5|dump5) registered/ { c = 1; next }
    c && /^Port [0-9]+ registered/ { print $2 }' | sort -n | tr '\n' ' ')
set -- $ids
[ $# = 2 ] || fail "jack_evmon: want the registration of 2 ports, got '$ids'; output: $ev"
printf '%s\n' "$ev" | grep -Eqx "Ports ($1 and $2|$2 and $1) connected" ||
    fail "jack_evmon: no 'Ports $1 and $2 connected'; output: $ev"
printf '%s\n' "$ev" | grep -Eqx "Ports ($1 and $2|$2 and $1) disconnected" ||
    fail "jack_evmon: no 'Ports $1 and $2 disconnected'; output: $ev"
info "jack_evmon: registrations, connect and disconnect of ports $1 and $2 reported"

rill_stop
info "ok"
