#!/bin/bash
# tests/integration/alsa-states.sh — the ALSA bridge's states and faults,
# driven by tests/clients/rill-test-alsa (rilld: dummy driver, 48 kHz, 256).
#
#   1. every transfer method (RW/mmap x interleaved/non-interleaved x
#      blocking/poll): the audio arrives through the graph at 1 kHz, 0.5;
#      avail/delay sane, poll wake-ups honest;
#   2. pause freezes avail and delay; drain (blocking and non-blocking)
#      takes the delay it reported; an underrun gives -EPIPE and recovers;
#      a click lands within one engine period of where snd_pcm_delay put it
#      (dated by a capture stream connected straight to the player);
#   3. 20 threads opening and closing rill PCMs at once for 15 s
#      (RILL_ALSA_STRESS_SECONDS; `make soak-alsa` runs 60) while a steady
#      aplay plays 1 kHz into a recorder: the recording holds the tone at
#      its level throughout; every stress client goes;
#   4. no server: aplay fails at once, naming the server and how to start it;
#   5. a program killed mid-stream: its client goes, the others play on,
#      nothing of it is left in the runtime directory or /dev/shm;
#   6. rilld stopped (SIGSTOP) under a playing program: the program's call
#      fails within 1 s; rilld killed (SIGKILL): the same; a fresh rilld:
#      a fresh open plays.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-240}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
HARNESS=$RILL_TOP_BUILDDIR/tests/clients/rill-test-alsa
require_built "$HARNESS"
require_program aplay alsa-utils
require_program sox sox
STRESS_SECONDS=${RILL_ALSA_STRESS_SECONDS:-15}

harness() {
    local out
    out=$(timeout -k 2 120 alsa_run "$HARNESS" "$@" 2>&1) || fail "rill-test-alsa $*: $out"
    printf '%s\n' "$out" | sed "s/^/$RILL_TEST_NAME: /"
}

# ---- 4 first: no server at all
OUT=$(timeout -k 2 10 alsa_run aplay -q -D rill -d 1 /dev/zero 2>&1)
rc=$?
[ "$rc" != 0 ] || fail "aplay -D rill with no server exited 0"
[ "$rc" != 124 ] || fail "aplay -D rill with no server hung (10 s)"
printf '%s\n' "$OUT" | grep -q "no rill server named '$RILL_SERVER' is running" ||
    fail "no server: the message does not name the server: $OUT"
printf '%s\n' "$OUT" | grep -q "rilld -n $RILL_SERVER -d dummy" ||
    fail "no server: the message does not say how to start it: $OUT"
info "no server: $(printf '%s\n' "$OUT" | head -n 1)"

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# ---- 1, 2
harness methods
harness pause
harness drain
harness underrun
harness delay "$(awk 'BEGIN { printf "%.3f", 256 * 1000 / 48000 }')"

# ---- 3. the stress, beside a steady player that is recorded
WAVTOOL=$RILL_TOP_BUILDDIR/tests/clients/rill-test-wav
require_built "$WAVTOOL"
tone "$RILL_TMP/steady.wav" 48000 1 $((STRESS_SECONDS + 30)) 1000 -b 16 -e signed-integer
# a 1 s buffer: the churn of 20 threads on a small machine may keep aplay
# from the CPU for a while; the point is the graph's, not aplay's, health
spawn alsa_run aplay -q -D rill:SERVER=,NAME=steady,TARGET=none --buffer-time=1000000 \
    "$RILL_TMP/steady.wav"
STEADY=$SPAWN_PID
wait_for 'port_exists steady:playback_1' 10 || fail "no port steady:playback_1"
spawn alsa_run arecord -q -D rill:SERVER=,NAME=steadyrec,TARGET=steady -f FLOAT_LE -r 48000 -c 1 \
    -d "$STRESS_SECONDS" "$RILL_TMP/steady-rec.wav"
SREC=$SPAWN_PID
wait_for 'ports_connected steady:playback_1 steadyrec:capture_1' 10 ||
    fail "the recorder is not connected to steady:playback_1"
harness stress 20 "$STRESS_SECONDS"
wait_exit "$SREC" 30 || fail "the recorder of the steady player did not finish"
kill -KILL "$STEADY"
wait_for '[ "$(clients_list | grep -c "^s[0-9]")" = 0 ]' 5 ||
    fail "after the stress: clients left: $(clients_list | tr '\n' ' ')"
# the first half second is the recorder's start; the rest must be the tone
# at 0.5 with its full RMS (0.3536): 0.318 allows a tenth of the energy
# (a fifth of the time) to be missing, which a player cut off by the
# churn again and again would lose far more than
out=$("$WAVTOOL" "$RILL_TMP/steady-rec.wav" tone 1 24000)
info "steady player during the stress: $out"
f=$(printf '%s\n' "$out" | sed -n 's/.*freq=\([0-9.]*\).*/\1/p')
pk=$(printf '%s\n' "$out" | sed -n 's/.*peak=\([0-9.]*\).*/\1/p')
rms=$(printf '%s\n' "$out" | sed -n 's/.*rms=\([0-9.]*\).*/\1/p')
near "$f" 1000 1 || fail "the steady player's tone during the stress: $f Hz, want 1000"
near "$pk" 0.5 0.01 || fail "the steady player's peak during the stress: $pk, want 0.5"
awk -v r="$rms" 'BEGIN { exit !(r >= 0.318 && r <= 0.36) }' ||
    fail "the steady player's RMS during the stress: $rms, want 0.3536 (at least 0.318)"

# ---- 5. kill -9 one of two programs
tone "$RILL_TMP/long.wav" 48000 2 30 1000 -b 16 -e signed-integer
shm_before=$(ls /dev/shm 2>/dev/null | sort)
spawn alsa_run aplay -q -D rill:SERVER=,NAME=victim "$RILL_TMP/long.wav"
VICTIM=$SPAWN_PID
spawn alsa_run aplay -q -D rill:SERVER=,NAME=survivor "$RILL_TMP/long.wav"
SURVIVOR=$SPAWN_PID
wait_for 'port_exists victim:playback_1 && port_exists survivor:playback_1' 10 ||
    fail "two aplays: ports missing: $(ports_list)"
kill -KILL "$VICTIM"
wait_for '! client_listed victim' 5 || fail "the killed aplay's client is still listed"
meter survivor:playback_1 1
near "$FREQ" 1000 1 || fail "after the other was killed, survivor plays $FREQ Hz"
pid_running "$SURVIVOR" || fail "survivor died with victim"
left=$(find "$XDG_RUNTIME_DIR/rill" -mindepth 1 ! -path "*/rill/$RILL_SERVER" | head)
[ -z "$left" ] || fail "left in the runtime directory: $left"
shm_after=$(ls /dev/shm 2>/dev/null | sort)
# only what appeared and could be ours (our server's name or the killed
# program's pid in it): other programs on the machine come and go
new_shm=$(comm -13 <(echo "$shm_before") <(echo "$shm_after") | grep -E -e "$RILL_SERVER" -e "(^|[^0-9])$VICTIM([^0-9]|\$)")
[ -z "$new_shm" ] || fail "new in /dev/shm: $new_shm"
kill -KILL "$SURVIVOR"

# ---- 6. rilld stopped, then killed, under a playing program
# fault SIGNAL: returns the ms from the signal to the harness's error
fault() {
    rm -f "$RILL_TMP/forever.log"
    spawn alsa_run "$HARNESS" forever
    local h=$SPAWN_PID
    wait_for 'port_exists hplay:playback_1' 10 || fail "forever: no port hplay:playback_1"
    sleep 0.3 # let it play a little (not a wait for a condition: the stream runs)
    local t0
    t0=$(date +%s.%N)
    kill "-$1" "$RILLD_PID"
    wait_exit "$h" 10 || fail "SIG$1 of rilld: the playing program did not return within 10 s"
    [ "$WAIT_RC" = 3 ] || fail "SIG$1 of rilld: harness exited $WAIT_RC (want 3: an error)"
    local line
    line=$(grep '^error' "$RILL_TMP/forever.log") || fail "SIG$1: no error line: $(cat "$RILL_TMP/forever.log")"
    local t1=${line##* at }
    FAULT_MS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
    info "SIG$1 of rilld: '$line', $FAULT_MS ms after the signal"
}
# the harness writes its log where fault() reads it
HARNESS_REAL=$HARNESS
HARNESS=$RILL_TMP/bin/forever-logged
printf '#!/bin/bash\nexec "%s" "$@" >"%s" 2>&1\n' "$HARNESS_REAL" "$RILL_TMP/forever.log" >"$HARNESS"
chmod +x "$HARNESS"
fault STOP
[ "$FAULT_MS" -le 1000 ] || fail "rilld stopped: the program's call failed after $FAULT_MS ms (want <= 1000)"
kill -CONT "$RILLD_PID"
rill_stop TERM
rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
fault KILL
[ "$FAULT_MS" -le 1000 ] || fail "rilld killed: the program's call failed after $FAULT_MS ms (want <= 1000)"
wait "$RILLD_PID" 2>/dev/null
RILLD_PID=
rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
spawn alsa_run aplay -q -D rill "$RILL_TMP/long.wav"
APLAY=$SPAWN_PID
wait_for 'port_exists aplay:playback_1' 10 || fail "after a restart of rilld: a fresh aplay has no port"
meter aplay:playback_1 0.5
near "$FREQ" 1000 1 || fail "after a restart of rilld: $FREQ Hz"
kill -KILL "$APLAY"
info "ok"
