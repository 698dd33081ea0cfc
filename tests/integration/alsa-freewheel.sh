#!/bin/bash
# tests/integration/alsa-freewheel.sh — the ALSA plugin's realtime thread
# follows the server's freewheel as the engine's other clients do: at
# SCHED_FIFO normally, at SCHED_OTHER while the engine runs cycles back to
# back (jack_freewheel y), at SCHED_FIFO again after; and the audio carries
# on once freewheeling ends.
#
#   1. aplay plays a 1 kHz tone (-6 dBFS) into rill: its thread
#      rill-alsa-rt runs at SCHED_FIFO, the port carries 1000 Hz at 0.5;
#   2. jack_freewheel y: the thread drops to SCHED_OTHER; a second aplay
#      opened meanwhile starts at SCHED_OTHER;
#   3. jack_freewheel n: both threads are back at SCHED_FIFO, and both
#      ports carry the tone at its level again (aplay recovers from the
#      underruns that freewheeling causes: the graph drains its ring faster
#      than real time).
# When rilld cannot run at SCHED_FIFO here (it says "not realtime"), the
# policy checks are skipped and the audio checks still run.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
require_program aplay alsa-utils
require_program jack_freewheel jackd2
require_program sox sox

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
realtime=1
grep -q "not realtime" "$RILLD_LOG" && realtime=0

# rt_tid PID: the plugin's realtime thread in process PID
rt_tid() {
    local t
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = rill-alsa-rt ] && { basename "$t"; return 0; }
    done
    return 1
}
# policy PID TID: the scheduling policy (field 41 of stat: 0 OTHER, 1 FIFO)
policy() {
    awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[39] }' \
        "/proc/$1/task/$2/stat" 2>/dev/null
}

# play NAME: an aplay fed an hour of tone by sox through a fifo (the graph
# consumes as fast as it can while freewheeling: a file would run out)
play() {
    mkfifo "$RILL_TMP/$1.fifo" || fail "mkfifo failed"
    spawn sox -q -n -r 48000 -c 2 -b 16 -e signed-integer -t raw "$RILL_TMP/$1.fifo" \
        synth 3600 sine 1000 vol 0.5
    RILL_ALSA_NAME=$1 spawn alsa_run aplay -q -D rill -t raw -f S16_LE -r 48000 -c 2 \
        "$RILL_TMP/$1.fifo"
}
play one
P1=$SPAWN_PID
wait_for 'port_exists one:playback_1' 10 || fail "no port one:playback_1: $(ports_list)"
wait_for 'T1=$(rt_tid $P1)' 5 || fail "no thread named rill-alsa-rt in aplay (pid $P1)"
meter one:playback_1 0.5
near "$FREQ" 1000 1 && near "$PEAK" 0.5 0.01 || fail "before freewheeling: $FREQ Hz, peak $PEAK"
if [ "$realtime" = 1 ]; then
    wait_for '[ "$(policy $P1 $T1)" = 1 ]' 5 ||
        fail "the plugin's realtime thread runs at policy $(policy "$P1" "$T1"), not SCHED_FIFO"
fi

# ---- 2. freewheel
expect_rc 0 rjack jack_freewheel y
if [ "$realtime" = 1 ]; then
    wait_for '[ "$(policy $P1 $T1)" = 0 ]' 5 ||
        fail "the plugin's realtime thread stays at policy $(policy "$P1" "$T1") while the server freewheels"
fi
play two
P2=$SPAWN_PID
wait_for 'port_exists two:playback_1' 10 || fail "no port two:playback_1: $(ports_list)"
wait_for 'T2=$(rt_tid $P2)' 5 || fail "no thread named rill-alsa-rt in the second aplay (pid $P2)"
if [ "$realtime" = 1 ]; then
    [ "$(policy "$P2" "$T2")" = 0 ] ||
        fail "a stream opened while freewheeling starts at policy $(policy "$P2" "$T2"), not SCHED_OTHER"
    info "freewheeling: both realtime threads at SCHED_OTHER"
fi

# ---- 3. back
expect_rc 0 rjack jack_freewheel n
if [ "$realtime" = 1 ]; then
    for p in "$P1 $T1" "$P2 $T2"; do
        set -- $p
        wait_for "[ \"\$(policy $1 $2)\" = 1 ]" 5 ||
            fail "thread $2 of aplay $1 is not back at SCHED_FIFO after freewheeling (policy $(policy "$1" "$2"))"
    done
    info "after freewheeling: both at SCHED_FIFO"
fi
for c in one two; do
    wait_for "meter $c:playback_1 0.5; near \"\$FREQ\" 1000 1 && near \"\$PEAK\" 0.5 0.01" 10 ||
        fail "$c after freewheeling: $FREQ Hz, peak $PEAK (want 1000 Hz, 0.5)"
    info "$c after freewheeling: $FREQ Hz, peak $PEAK"
done
rill_alive || fail "rilld died"
info "ok"
