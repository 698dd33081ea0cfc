#!/bin/bash
# tests/integration/net-midi.sh — MIDI through rilld -d net, both ways, against
# jackd2's netmanager: rilld -i 1 -o 1 shows the master's MIDI channel as
# system:midi_capture_1 and returns system:midi_playback_1.
#
# jack_midiseq (jackd2's) loops two notes over 24000 frames: note 60 on at
# 0, off at 1000, note 64 on at 12000, off at 14000. jack_midi_dump -a on the
# other side prints every event with its absolute frame: the master and rill
# run the same periods, so every event must arrive with its bytes intact and
# every interval between two events must be the sequence's own (1000, 11000,
# 2000, 10000 frames; a loaded machine may add or take away whole periods,
# or lose a cycle's events, which are counted), and every event's frame must keep its
# place in the period (mod 64, see check_dump): an event offset wrong by one
# frame fails, even when all are. The master runs synchronous (-S). Each way:
# master -> rill (seq on jackd2, dump on rill) and rill -> master.
# rilld runs under the realtime allocation trap (tests/rt).
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-180}
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (network namespaces); run make check as root"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) is not installed"
require_program jackd jackd2
require_program jack_load jackd2
require_program jack_connect jackd2
require_program jack_wait jackd2
require_program jack_midiseq jackd2
require_program jack_midi_dump jackd2
require_built "$RILLD" "$RILL_TRAP"

. "$(dirname "$0")/net-lib.sh"
net_setup
start_master -S

trap_preload=$RILL_TRAP
[ "$RILL_SANITIZERS" = yes ] && trap_preload="${RILL_SAN_PRELOAD%%:*}:$RILL_TRAP"
RILLD_LOG=$RILL_TMP/rilld.log
ip netns exec "$NSB" env LD_PRELOAD="$trap_preload" "$RILLD" -n "$RILL_SERVER" -d net -C 1 -P 1 \
    -i 1 -o 1 -n "$FOLLOWER" >"$RILLD_LOG" 2>&1 &
RILLD_PID=$!
wait_for "grep -q \"^rilld: server '$RILL_SERVER' ready:\" '$RILLD_LOG'" 20 ||
    fail "rilld -d net -i 1 -o 1 did not join the master within 20 s: $(cat "$RILLD_LOG")"
grep -q "1 in / 1 out, MIDI 1 in / 1 out, float" "$RILLD_LOG" ||
    fail "not a session with one MIDI channel each way: $(grep joined "$RILLD_LOG")"
port_exists system:midi_capture_1 && port_exists system:midi_playback_1 ||
    fail "rill has no system:midi_capture_1 / system:midi_playback_1: $(rjack jack_lsp)"
rjack jack_lsp -t system:midi_capture_1 | grep -q "midi" || fail "system:midi_capture_1 is not a MIDI port"
wait_for "jm jack_lsp | grep -q '^$FOLLOWER:.*midi'" 10 || fail "the master shows no MIDI ports of $FOLLOWER: $(jm jack_lsp)"
MIDI_TO=$(jm jack_lsp | grep "^$FOLLOWER:midi_to_slave" | head -1)
MIDI_FROM=$(jm jack_lsp | grep "^$FOLLOWER:midi_from_slave" | head -1)
[ -n "$MIDI_TO" ] && [ -n "$MIDI_FROM" ] || fail "the master's MIDI ports of $FOLLOWER: $(jm jack_lsp | grep "^$FOLLOWER:")"
info "rill: system:midi_capture_1, system:midi_playback_1; master: $MIDI_TO, $MIDI_FROM"

# check_dump WHAT FILE: at least 12 events, the sequence's bytes in order,
# every interval the sequence's own (called as a command, not in $(...): its
# fail must end the test)
check_dump() {
    python3 - "$1" "$2" <<'PY' || fail "$1: $(head -c 1500 "$2")"
import re, sys
what, path = sys.argv[1:3]
ev = []
for line in open(path, errors="replace"):
    m = re.match(r"\s*(\d+):\s+((?:[0-9a-f]{2} ?)+)", line)
    if m:
        ev.append((int(m.group(1)), m.group(2).split()))
want = [["90", "3c", "40"], ["80", "3c", "40"], ["90", "40", "40"], ["80", "40", "40"]]
# where each event lies in the 24000-frame loop (which starts at a period's
# start): an event keeps its place mod 64 in every period it falls in, on
# the sender and, delayed by whole periods, on the receiver, so an offset
# moved inside its period shows; and the frames between two events are
# their distance in the loop, give or take whole periods where the follower
# played a period of its own while the master was late (a loaded machine:
# towards rill such a period adds one, towards the master it takes one
# away, since what rill plays then goes nowhere; counted)
place = [0, 1000, 12000, 14000]
if len(ev) < 12:
    sys.exit("%s: only %d events" % (what, len(ev)))
idx = []
for i, (t, data) in enumerate(ev):
    if data not in want:
        sys.exit("%s: event %d is %s, not one of the sequence's" % (what, i, data))
    k = want.index(data)
    if t % 64 != place[k] % 64:
        sys.exit("%s: event %d (%s) at frame %d: %d mod 64, want %d (its offset in the "
                 "period moved)" % (what, i, " ".join(data), t, t % 64, place[k] % 64))
    idx.append(k)
missing = stretched = 0
for i in range(len(ev) - 1):
    k1, k2 = idx[i], idx[i + 1]
    steps = (k2 - k1) % 4 or 4
    missing += steps - 1
    dist = (place[k2] - place[k1]) % 24000 or 24000
    d = ev[i + 1][0] - ev[i][0]
    if d <= 0 or (d - dist) % 256:
        sys.exit("%s: %d frames from event %d (%s) to the next, want %d (+- whole periods)" %
                 (what, d, i, " ".join(ev[i][1]), dist))
    stretched += d != dist
if missing * 4 > len(ev):
    sys.exit("%s: %d events missing among %d" % (what, missing, len(ev)))
print("%s: %d events, every byte and place in the period right (%d missing, %d intervals "
      "off by whole periods: cycles late on a loaded machine)" % (what, len(ev), missing, stretched))
PY
}

# master -> rill
spawn env JACK_DEFAULT_SERVER="$MASTER" jack_midiseq seqm 24000 0 60 1000 12000 64 2000 \
    >"$RILL_TMP/seqm.log" 2>&1
SEQM=$SPAWN_PID
wait_for "jm jack_lsp | grep -qxF seqm:out" 10 || fail "jack_midiseq on the master did not start"
spawn rjack jack_midi_dump -a dumpr >"$RILL_TMP/dumpr.txt" 2>&1
DUMPR=$SPAWN_PID
wait_for "rjack jack_lsp | grep -qxF dumpr:input" 10 || fail "jack_midi_dump on rill did not start"
rjack jack_connect system:midi_capture_1 dumpr:input || fail "connect system:midi_capture_1 on rill"
jm jack_connect seqm:out "$MIDI_TO" || fail "connect seqm:out $MIDI_TO on the master"
wait_for "[ \$(grep -c 'note o' '$RILL_TMP/dumpr.txt') -ge 16 ]" 20 ||
    fail "master -> rill: $(grep -c 'note o' "$RILL_TMP/dumpr.txt") events in 20 s: $(head -c 800 "$RILL_TMP/dumpr.txt")"
kill "$DUMPR" "$SEQM"
wait_exit "$DUMPR" 5
wait_exit "$SEQM" 5
check_dump "master -> rill" "$RILL_TMP/dumpr.txt" >"$RILL_TMP/check-r.txt"
info "$(cat "$RILL_TMP/check-r.txt")"

# rill -> master
spawn rjack jack_midiseq seqr 24000 0 60 1000 12000 64 2000 >"$RILL_TMP/seqr.log" 2>&1
SEQR=$SPAWN_PID
wait_for "rjack jack_lsp | grep -qxF seqr:out" 10 || fail "jack_midiseq on rill did not start"
spawn env JACK_DEFAULT_SERVER="$MASTER" jack_midi_dump -a dumpm >"$RILL_TMP/dumpm.txt" 2>&1
DUMPM=$SPAWN_PID
wait_for "jm jack_lsp | grep -qxF dumpm:input" 10 || fail "jack_midi_dump on the master did not start"
jm jack_connect "$MIDI_FROM" dumpm:input || fail "connect $MIDI_FROM on the master"
rjack jack_connect seqr:out system:midi_playback_1 || fail "connect seqr:out on rill"
wait_for "[ \$(grep -c 'note o' '$RILL_TMP/dumpm.txt') -ge 16 ]" 20 ||
    fail "rill -> master: $(grep -c 'note o' "$RILL_TMP/dumpm.txt") events in 20 s: $(head -c 800 "$RILL_TMP/dumpm.txt")"
kill "$DUMPM" "$SEQR"
wait_exit "$DUMPM" 5
wait_exit "$SEQR" 5
check_dump "rill -> master" "$RILL_TMP/dumpm.txt" >"$RILL_TMP/check-m.txt"
info "$(cat "$RILL_TMP/check-m.txt")"

grep -q 'librill-rt-trap' "/proc/$RILLD_PID/maps" || fail "the realtime trap is not loaded into rilld"
! grep -q "rill-rt-trap:" "$RILLD_LOG" || fail "the realtime trap fired: $(grep rill-rt-trap: "$RILLD_LOG")"
rill_alive || fail "rilld died"
rill_stop
info "ok"
