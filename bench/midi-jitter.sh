#!/bin/bash
# bench/midi-jitter.sh — `make bench-midi` (and part of `make bench`): the
# timing jitter of MIDI events through rill's ALSA sequencer bridge, through
# a2jmidid on rill and through jackd2's -X seq, both ways, measured in the
# qemu kernel guest of the kernel tests (the build machines have no
# sequencer): tests/kernel/kernel.sh with RILL_KERNEL_ONLY=benchmidi runs
# tests/kernel/guest-benchmidi.sh, then bench/midi_jitter.py prints the
# table (doc/midi.md has the last one). RILL_BENCH_MIDI_EVENTS (300) and
# RILL_BENCH_MIDI_PERIOD (4096 frames) change the run.
set -u
B=${RILL_TOP_BUILDDIR:?run through make bench-midi}
S=${RILL_TOP_SRCDIR:-$B}
export RILL_TOP_BUILDDIR=$B RILL_TOP_SRCDIR=$S
RILL_KERNEL_ONLY=benchmidi bash "$S/tests/kernel/kernel.sh"
rc=$?
if [ "$rc" = 77 ]; then
    echo "bench-midi: skipped (no qemu or no kernel package: see above)"
    exit 0
fi
[ "$rc" = 0 ] || { echo "bench-midi: the guest run failed (status $rc)"; exit 1; }
echo "MIDI jitter, events 1 ms apart ($(grep '^benchmidi events' "$B/tests/kernel/run/results.txt")):"
python3 "$S/bench/midi_jitter.py" "$B/tests/kernel/run" "${RILL_BENCH_MIDI_EVENTS:-300}"
