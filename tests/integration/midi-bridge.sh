#!/bin/bash
# tests/integration/midi-bridge.sh — rilld --midi and the alsa_midi module
# where there is no ALSA sequencer (the build machines have none; the
# bridge itself is tested against the kernel's sequencer in
# tests/kernel/guest-midi.sh):
#   - bad --midi / --midi-sysex values refused with exit 2, naming the option
#     (--midi raw: tests/integration/midi-raw.sh);
#   - --midi seq without a sequencer: rilld refuses to start (exit 1) and
#     says why; without --midi it starts and stays quiet about MIDI;
#   - jackd's ALSA driver option -X seq|raw means --midi seq|raw;
#   - the module loaded by hand (jack_load) without a sequencer: its
#     jack_initialize fails with a sentence, rilld runs on; a bad argument
#     is named;
#   - rillctl status (and --json, with the breakdown of #drops) shows the
#     bridge's drop count (the property
#     http://rill.audio/ns/midi#dropped of client alsa_midi; here set by
#     jack_property on a stand-in client of that name).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK"
require_program jack_load jackd2
require_program jack_property jackd2
require_program jack_midiseq jackd2
export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/midi/.libs
[ -f "$RILL_INTERNAL_DIR/alsa_midi.so" ] || fail "$RILL_INTERNAL_DIR/alsa_midi.so is not built"
# this test is about a machine without a sequencer, whatever this one has
export RILL_SEQ_DEVICE=$RILL_TMP/no-such-seq

# ---- bad values
expect_rc 2 "$RILLD" -n "$RILL_SERVER-bad" --midi bogus -d dummy
expect_out "--midi 'bogus'.*none, seq" "--midi bogus must be named with the allowed values"
expect_rc 2 "$RILLD" -n "$RILL_SERVER-bad" --midi-sysex 1 -d dummy
expect_out "--midi-sysex" "--midi-sysex 1 must be named"
expect_rc 0 "$RILLD" --help
expect_out "--midi none\|seq" "rilld --help must list --midi"

# ---- --midi seq without a sequencer: refused, with the reason
expect_rc 1 "$RILLD" -n "$RILL_SERVER-seq" --midi seq -d dummy
expect_out "ALSA sequencer cannot be used: .*no-such-seq.*snd-seq" \
    "rilld --midi seq without a sequencer must say why it cannot run"
[ ! -e "$(rill_socket "$RILL_SERVER-seq")" ] || fail "the refused rilld left its socket"

# ---- jackd's -X seq on the ALSA driver (qjackctl's MIDI Driver: -Xseq) is
#      rill's --midi seq: asked for, so refused here with the sequencer's
#      reason (alsa-lib's "null" device stands in for a sound card); -X raw
#      is --midi raw (tests/integration/midi-raw.sh), against --midi seq a
#      contradiction, as -X seq against --midi none
expect_rc 1 "$RILLD" -n "$RILL_SERVER-x" -d alsa -d null -r 48000 -p 1024 -Xseq
expect_out "ALSA sequencer cannot be used: .*no-such-seq" "-Xseq must start the sequencer bridge"
expect_rc 2 "$RILLD" -n "$RILL_SERVER-x" --midi seq -d alsa -d null -X raw
expect_out "contradict" "-X raw with --midi seq must be refused"
expect_rc 2 "$RILLD" -n "$RILL_SERVER-x" --midi none -d alsa -d null -X seq
expect_out "contradict" "-X seq with --midi none must be refused"
# -X none (jackd's default) changes nothing: without --midi, rilld starts
# without a sequencer as it always does (the null device runs the cycle)
rill_start "$RILL_SERVER-x" -d alsa -d null -r 48000 -p 1024 -X none
rill_stop

# ---- no --midi: starts, and says nothing about MIDI
rill_start "$RILL_SERVER" -d dummy -p 256
grep -qi "alsa_midi\|sequencer\|MIDI bridge" "$RILLD_LOG" && fail "rilld without --midi talked about MIDI: $(cat "$RILLD_LOG")"
port_exists "system:capture_1" || fail "no system ports"
ports_list | grep -q '^alsa_midi:' && fail "alsa_midi ports without a sequencer"

# ---- the module by hand: fails cleanly, rilld runs on
expect_rc 2 rjack jack_load am alsa_midi "sysex=1"
wait_for "grep -q 'sysex=1 is not allowed' '$RILLD_LOG'" 5 ||
    fail "alsa_midi sysex=1: no message naming it: $(cat "$RILLD_LOG")"
expect_rc 2 rjack jack_load am alsa_midi "frob=1"
wait_for "grep -q \"'frob=1' is not an argument of alsa_midi\" '$RILLD_LOG'" 5 ||
    fail "alsa_midi frob=1: no message naming it: $(cat "$RILLD_LOG")"
# the real sequencer device is absent here too (no snd-seq on build machines);
# where it exists the module loads, and the kernel tests cover that
if [ ! -e /dev/snd/seq ]; then
    expect_rc 2 rjack jack_load am alsa_midi
    wait_for "grep -q 'cannot open the ALSA sequencer' '$RILLD_LOG'" 5 ||
        fail "alsa_midi without a sequencer: no message: $(cat "$RILLD_LOG")"
fi
client_listed am && fail "a failed alsa_midi load left its client behind"
expect_rc 0 rctl status
printf '%s\n' "$OUT" | grep -q "midi dropped" && fail "rillctl status shows MIDI drops without a bridge: $OUT"

# ---- rillctl status: the bridge's drop count
spawn rjack jack_midiseq alsa_midi 24000 0 60 8000
wait_for "client_listed alsa_midi" 10 || fail "the stand-in client alsa_midi did not come"
expect_rc 0 rctl status
printf '%s\n' "$OUT" | grep -q "midi dropped" && fail "rillctl status shows a drop count before there is one: $OUT"
expect_rc 0 rctl status -j
printf '%s\n' "$OUT" | grep -q '"midi":{"bridge":false,"dropped":0,' ||
    fail "rillctl status -j without a count must say bridge false: $OUT"
expect_rc 0 rjack jack_property --client -s alsa_midi "http://rill.audio/ns/midi#dropped" 7
expect_rc 0 rjack jack_property --client -s alsa_midi "http://rill.audio/ns/midi#drops" \
    "malformed=1 sysex_too_long=1 kernel_overruns=2 input_ring_full=0 output_ring_full=0 too_large=0 refused=3 before_export=1 late_cycles_held=5 sysex_fragmented=4"
expect_rc 0 rctl status
expect_out "^midi dropped: 7 " "rillctl status must show the bridge's drop count"
expect_rc 0 rctl status --json
printf '%s\n' "$OUT" > "$RILL_TMP/status-midi.json"
python3 "$RILL_TOP_SRCDIR/tests/integration/json_shape.py" "$RILL_TOP_SRCDIR/doc/rillctl.md" status \
    "$RILL_TMP/status-midi.json" > /dev/null || fail "status --json with MIDI drops does not fit its documented shape: $OUT"
for kv in '"bridge":true' '"dropped":7' '"malformed":1' '"kernel_overruns":2' '"refused":3' \
    '"before_export":1' '"late_cycles_held":5' '"sysex_fragmented":4' '"too_large":0'; do
    printf '%s\n' "$OUT" | grep -qF "$kv" || fail "rillctl status --json lacks $kv: $OUT"
done

# ---- the raw bridge's count (client alsa_rawmidi): its own line and object
printf '%s\n' "$OUT" | grep -q '"midi_raw":{"bridge":false,"dropped":0,' ||
    fail "rillctl status -j without a raw bridge must say bridge false in midi_raw: $OUT"
spawn rjack jack_midiseq alsa_rawmidi 24000 0 60 8000
wait_for "client_listed alsa_rawmidi" 10 || fail "the stand-in client alsa_rawmidi did not come"
expect_rc 0 rjack jack_property --client -s alsa_rawmidi "http://rill.audio/ns/midi#dropped" 11
expect_rc 0 rjack jack_property --client -s alsa_rawmidi "http://rill.audio/ns/midi#drops" \
    "malformed=2 sysex_too_long=1 kernel_overruns=3 input_ring_full=0 output_ring_full=0 too_large=0 not_written=4 left_at_close=2 sysex_fragmented=5"
expect_rc 0 rctl status
expect_out "^midi dropped: 7 " "rillctl status must still show the sequencer bridge's count"
expect_out "^midi raw dropped: 11 " "rillctl status must show the raw bridge's drop count"
expect_rc 0 rctl status --json
printf '%s\n' "$OUT" > "$RILL_TMP/status-midi-raw.json"
python3 "$RILL_TOP_SRCDIR/tests/integration/json_shape.py" "$RILL_TOP_SRCDIR/doc/rillctl.md" status \
    "$RILL_TMP/status-midi-raw.json" > /dev/null || fail "status --json with raw MIDI drops does not fit its documented shape: $OUT"
for kv in '"midi_raw":{"bridge":true,"dropped":11,"malformed":2,"sysex_too_long":1,"kernel_overruns":3,' \
    '"not_written":4,"left_at_close":2,"sysex_fragmented":5}' '"midi":{"bridge":true,"dropped":7,'; do
    printf '%s\n' "$OUT" | grep -qF "$kv" || fail "rillctl status --json lacks $kv: $OUT"
done
rill_stop
info "ok"
