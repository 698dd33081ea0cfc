#!/bin/bash
# tests/integration/alsa-ctl.sh — ctl.rill pushes changes: a volume or mute
# change made by one program wakes every other program that waits for
# control events (snd_ctl_read through `amixer events`), names the element
# that changed, and the value read after the event is the one that was set.
#
#   1. two `amixer -D rill events` wait; `amixer sset Master 30%` wakes both
#      with a value event for 'Master Playback Volume' only, and cget reads 30;
#   2. `amixer cset 'Capture Switch' off`: an event for 'Capture Switch';
#   3. a writer that is no mixer at all (jack_property on the system client's
#      urn:rill:alsa:playback-volume, through rill's libjack) is announced
#      too, and a playing aplay's level follows the value announced
#      ((70/100)^3 * 0.5 = 0.1715);
#   4. nine quick changes wake the waiters (events of one element may
#      merge); once they are quiet, one more change is announced, read back
#      and heard in aplay's level;
#   5. rilld killed under the waiters: they do not crash (the core used to
#      touch a control connection's non-existent node there).
# Before ctl.rill pushed changes, step 1 failed: nothing woke the waiters.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
require_built "$ALSA_CTL_PLUGIN"
require_program amixer alsa-utils
require_program aplay alsa-utils
require_program stdbuf coreutils
require_program jack_property jackd2
require_program sox sox

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

mixer() { timeout -k 2 10 alsa_run amixer -q -D rill "$@" || fail "amixer -D rill $* failed"; }
# value NUMID: the element's value as amixer cget prints it (values=N)
value() {
    timeout -k 2 10 alsa_run amixer -D rill cget "numid=$1" 2>&1 |
        sed -n 's/^ *: values=\([a-z0-9]*\).*/\1/p'
}
# events LOG NAME: how many value events for element NAME the log holds
events() { grep -c "^event value: numid=[0-9]*,iface=MIXER,name='$2'" "$RILL_TMP/$1.log"; }

# ---- two waiters
for w in ev1 ev2; do
    spawn alsa_run stdbuf -oL amixer -D rill events >"$RILL_TMP/$w.log" 2>&1
    eval "PID_$w=\$SPAWN_PID"
    wait_for "grep -q 'Ready to listen' '$RILL_TMP/$w.log'" 10 ||
        fail "amixer events ($w) did not start: $(cat "$RILL_TMP/$w.log")"
done

# ---- 1. Master 30%
mixer sset Master 30%
for w in ev1 ev2; do
    wait_for "[ \$(events $w 'Master Playback Volume') -ge 1 ]" 5 ||
        fail "$w was not woken by Master 30%: $(cat "$RILL_TMP/$w.log")"
done
[ "$(value 1)" = 30 ] || fail "Master Playback Volume reads $(value 1) after the event, want 30"
for e in 'Master Playback Switch' 'Capture Volume' 'Capture Switch'; do
    [ "$(events ev1 "$e")" = 0 ] || fail "an event for '$e', which did not change: $(cat "$RILL_TMP/ev1.log")"
done
info "Master 30%: both waiters woken, value 30"

# ---- 2. Capture Switch off
mixer cset "name=Capture Switch" off
for w in ev1 ev2; do
    wait_for "[ \$(events $w 'Capture Switch') -ge 1 ]" 5 ||
        fail "$w was not woken by Capture Switch off: $(cat "$RILL_TMP/$w.log")"
done
[ "$(value 4)" = off ] || fail "Capture Switch reads $(value 4) after the event, want off"
info "Capture Switch off: announced, value off"

# ---- 3. a writer that is no mixer, while aplay plays
tone "$RILL_TMP/long.wav" 48000 2 30 1000 -b 16 -e signed-integer
spawn alsa_run aplay -q -D rill "$RILL_TMP/long.wav"
wait_for 'port_exists aplay:playback_1' 10 || fail "no aplay port"
before=$(events ev1 'Master Playback Volume')
OUT=$(timeout 10 rjack jack_property -s --client system urn:rill:alsa:playback-volume 70 2>&1) ||
    fail "jack_property -s failed: $OUT"
wait_for "[ \$(events ev1 'Master Playback Volume') -gt $before ]" 5 ||
    fail "a change through jack_property was not announced: $(cat "$RILL_TMP/ev1.log")"
[ "$(value 1)" = 70 ] || fail "Master Playback Volume reads $(value 1) after jack_property, want 70"
wait_for 'meter aplay:playback_1 0.3; near "$PEAK" 0.1715 0.005' 5 ||
    fail "aplay's level does not follow the announced 70%: peak $PEAK, want 0.1715"

# ---- 4. quick changes (events of one element may merge), then the last
before=$(events ev2 'Master Playback Volume')
for v in 11 22 33 44 55 66 77 88 99; do mixer sset Master "$v%"; done
wait_for "[ \$(events ev2 'Master Playback Volume') -gt $before ]" 5 ||
    fail "nine changes woke nobody: $(tail -n 5 "$RILL_TMP/ev2.log")"
# until no new event comes for a while: then one more change must be announced
n=-1
wait_for '[ "$n" = "$(events ev2 "Master Playback Volume")" ] || { n=$(events ev2 "Master Playback Volume"); sleep 0.3; false; }' 10
mixer sset Master 42%
wait_for "[ \$(events ev2 'Master Playback Volume') -gt $n ]" 5 ||
    fail "the change after nine quick ones was not announced: $(tail -n 5 "$RILL_TMP/ev2.log")"
[ "$(value 1)" = 42 ] || fail "after the changes Master reads $(value 1), want 42"
wait_for 'meter aplay:playback_1 0.3; near "$PEAK" 0.0370 0.003' 5 ||
    fail "aplay's level after the changes: peak $PEAK, want 0.0370 (42%)"
info "nine quick changes: $((n - before)) events; the tenth announced, value 42, level ok"

# ---- 5. rilld killed under the waiters: no crash
kill -KILL "$RILLD_PID"
for w in ev1 ev2; do
    eval "p=\$PID_$w"
    # a crash comes at once; a waiter that survives keeps waiting (amixer
    # polls on: the device reports POLLERR, as an unplugged card does)
    if wait_for "! pid_running $p" 2; then
        wait_exit "$p" 1
        [ "$WAIT_RC" != 139 ] && [ "$WAIT_RC" != 134 ] ||
            fail "amixer events ($w) crashed when rilld died (exit $WAIT_RC)"
    fi
    kill -TERM "$p" 2>/dev/null
done
info "ok"
