#!/bin/bash
# tests/integration/midi-raw.sh — rilld --midi raw and the alsa_rawmidi
# module on a machine without sound cards (the build machines have none;
# the bridge itself is tested against the kernel's VirMIDI devices in
# tests/kernel/guest-midi-raw.sh):
#   - --midi raw starts with no device at all (cards may come later): the
#     client alsa_rawmidi is there, without ports, and rilld stops cleanly;
#   - --midi-raw DEVICE / --midi [seq,]raw=DEVICE: bad devices refused
#     (exit 2) naming what is wrong and what is right; the raw bridge gets
#     the devices named (the kernel test shows it bridges only those);
#   - --midi seq,raw without a sequencer: refused (the sequencer half was
#     asked for), saying why; --midi raw,seq is the same choice;
#   - jackd's -X raw on the ALSA driver (alsa-lib's "null" device as the
#     card) is --midi raw: the raw bridge, not the sequencer's; with
#     --midi seq,raw it agrees;
#   - the module loaded by hand (jack_load) with bad arguments: each named,
#     no client left behind, rilld runs on; loaded by hand correctly: a
#     second raw bridge, which unloads cleanly.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK"
require_program jack_load jackd2
require_program jack_unload jackd2
export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/midi/.libs
[ -f "$RILL_INTERNAL_DIR/alsa_rawmidi.so" ] || fail "$RILL_INTERNAL_DIR/alsa_rawmidi.so is not built"
export RILL_SEQ_DEVICE=$RILL_TMP/no-such-seq

expect_rc 0 "$RILLD" --help
expect_out "--midi none|seq|raw|seq,raw" "rilld --help must list --midi raw"
expect_out "alsa_rawmidi" "rilld --help must name the raw bridge's client"

expect_out "--midi-raw DEVICE" "rilld --help must list --midi-raw"

# ---- the per-device choice: bad devices refused with exit 2, naming them
for bad in "--midi-raw foo:hw:1,0|not a rawmidi device" "--midi-raw hw:3|no card and device" \
    "--midi-raw hw:1,40|the device '40' is not a number 0..31" \
    "--midi-raw hw:1,0,x|the subdevice 'x' is not a number 0..31" \
    "--midi-raw hw:a.b,0|'a.b' is no card id" \
    "--midi none,raw=hw:1,0|raw=DEVICE comes alone or after seq" \
    "--midi seq,raw=|--midi raw=DEVICE '': not a rawmidi device"; do
    args=${bad%%|*}
    # shellcheck disable=SC2086
    expect_rc 2 "$RILLD" -n "$RILL_SERVER-bad" $args -d dummy
    expect_out "${bad#*|}" "rilld $args must say what is wrong"
    expect_out "hw:CARD,DEVICE" "rilld $args must say what is right"
done
expect_rc 2 "$RILLD" -n "$RILL_SERVER-bad" --midi none --midi-raw hw:1,0 -d dummy
expect_out "--midi none and --midi-raw hw:1,0 contradict each other" "--midi none with --midi-raw"
many=()
for k in $(seq 0 16); do many+=(--midi-raw "hw:1,$((k % 32))"); done
expect_rc 2 "$RILLD" -n "$RILL_SERVER-bad" "${many[@]}" -d dummy
expect_out "at most 16 devices" "17 --midi-raw devices must be refused"

# ---- --midi seq,raw without a sequencer: refused, with the reason
expect_rc 1 "$RILLD" -n "$RILL_SERVER-sr" --midi seq,raw -d dummy
expect_out "ALSA sequencer cannot be used" "--midi seq,raw without a sequencer must say why"
expect_rc 1 "$RILLD" -n "$RILL_SERVER-sr" --midi raw,seq -d dummy
expect_out "ALSA sequencer cannot be used" "--midi raw,seq without a sequencer must say why"
[ ! -e "$(rill_socket "$RILL_SERVER-sr")" ] || fail "the refused rilld left its socket"

# ---- --midi raw: runs without devices
rill_start "$RILL_SERVER" --midi raw -v -d dummy -p 256
wait_for "client_listed alsa_rawmidi" 10 || fail "no client alsa_rawmidi: $(cat "$RILLD_LOG")"
wait_for "grep -q 'alsa_rawmidi: bridging ALSA rawmidi devices, sysex up to 65536 bytes' '$RILLD_LOG'" 10 ||
    fail "the raw bridge did not say it runs: $(cat "$RILLD_LOG")"
if [ ! -e /dev/snd ]; then
    ports_list | grep -q '^alsa_rawmidi:' && fail "raw MIDI ports without a sound card: $(ports_list)"
fi
ports_list | grep -q '^alsa_midi:' && fail "--midi raw loaded the sequencer bridge too"
client_listed alsa_midi && fail "--midi raw loaded the sequencer bridge too"

# ---- by hand: bad arguments named, nothing left behind
expect_rc 2 rjack jack_load rx alsa_rawmidi "sysex=1"
wait_for "grep -q 'sysex=1 is not allowed' '$RILLD_LOG'" 5 ||
    fail "alsa_rawmidi sysex=1: no message naming it: $(cat "$RILLD_LOG")"
expect_rc 2 rjack jack_load rx alsa_rawmidi "frob=1"
wait_for "grep -q \"'frob=1' is not an argument of alsa_rawmidi\" '$RILLD_LOG'" 5 ||
    fail "alsa_rawmidi frob=1: no message naming it: $(cat "$RILLD_LOG")"
client_listed rx && fail "a failed alsa_rawmidi load left its client behind"
expect_rc 0 rjack jack_load rx alsa_rawmidi "sysex=1024,verbose=1"
wait_for "client_listed rx" 10 || fail "alsa_rawmidi loaded by hand: no client rx"
wait_for "grep -q 'sysex up to 1024 bytes' '$RILLD_LOG'" 10 || fail "sysex=1024 not taken: $(cat "$RILLD_LOG")"
expect_rc 0 rjack jack_unload rx
wait_for "! client_listed rx" 10 || fail "jack_unload rx left the client"
expect_rc 2 rjack jack_load rx alsa_rawmidi "devices=hw:1"
wait_for "grep -q \"alsa_rawmidi devices= 'hw:1': no card and device\" '$RILLD_LOG'" 5 ||
    fail "alsa_rawmidi devices=hw:1: no message naming it: $(cat "$RILLD_LOG")"
rill_alive || fail "rilld died"
rill_stop

# ---- --midi-raw: the raw bridge takes the devices named (no card here:
# the kernel test has VirMIDI), by number or card id, repeatable
rill_start "$RILL_SERVER" --midi raw=hw:VirMIDI,1 --midi-raw hw:3,0,2 -v -d dummy -p 256
wait_for "grep -q 'alsa_rawmidi: bridging ALSA rawmidi devices hw:VirMIDI,1+hw:3,0,2, sysex up to 65536 bytes' '$RILLD_LOG'" 10 ||
    fail "--midi raw=hw:VirMIDI,1 --midi-raw hw:3,0,2: not the devices named: $(cat "$RILLD_LOG")"
client_listed alsa_midi && fail "--midi raw=DEVICE loaded the sequencer bridge too"
rill_stop

# ---- jackd's -X raw (qjackctl's MIDI Driver "raw") is --midi raw
rill_start "$RILL_SERVER" -d alsa -d null -r 48000 -p 1024 -X raw
wait_for "client_listed alsa_rawmidi" 10 || fail "-X raw: no client alsa_rawmidi: $(cat "$RILLD_LOG")"
client_listed alsa_midi && fail "-X raw loaded the sequencer bridge too"
rill_stop
expect_rc 1 "$RILLD" -n "$RILL_SERVER-x" --midi seq,raw -d alsa -d null -r 48000 -p 1024 -X raw
expect_out "ALSA sequencer cannot be used" "--midi seq,raw with -X raw: both bridges asked for"
info "ok"
