#!/bin/bash
# tests/kernel/midi-files.sh DIR — the inputs of the kernel tests' MIDI
# section: sx-N.syx (a sysex of N bytes, f0 and f7 included, a counting
# pattern of data bytes) for N in 6 256 257 1024 4096 65536 65537 (one
# over the bridges' default limit), and steps.mid
# (a standard MIDI file: 20 events 100 ms apart, note-on and note-off by
# turns, notes 60..69; 480 ticks per quarter at 120 bpm: 96 ticks per event)
# and steps-late.mid (the same after 1 s of silence); bench-1ms.mid for the
# jitter benchmark (RILL_BENCH_MIDI_EVENTS note-ons 1 ms apart, default 300).
set -eu
D=$1
python3 - "$D" "${RILL_BENCH_MIDI_EVENTS:-300}" <<'PY'
import struct, sys
d = sys.argv[1]
for n in (6, 256, 257, 1024, 4096, 65536, 65537):
    body = bytes((i * 7 + 3) & 0x7f for i in range(n - 2))
    open(f"{d}/sx-{n}.syx", "wb").write(b"\xf0" + body + b"\xf7")
for name, first in (("steps", b"\x00"), ("steps-late", b"\x87\x40")): # 0, 960 ticks (1 s)
    track = b""
    for i in range(20):
        note = 60 + i // 2
        status = 0x90 if i % 2 == 0 else 0x80
        delta = first if i == 0 else b"\x60"
        track += delta + bytes([status, note, 0x40 if status == 0x90 else 0])
    track += b"\x00\xff\x2f\x00"
    mid = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 480) + b"MTrk" + struct.pack(">I", len(track)) + track
    open(f"{d}/{name}.mid", "wb").write(mid)
# bench-1ms.mid (the jitter benchmark, guest-benchmidi.sh): 500 ticks per
# quarter at 500000 us per quarter, so one tick is 1 ms; 12700 note-ons at
# most, one a tick from tick 0 on: note 20 + i % 100, velocity 1 + i // 100
n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
track = b"\x00\xff\x51\x03" + (500000).to_bytes(3, "big")
for i in range(n):
    track += (b"\x00" if i == 0 else b"\x01") + bytes([0x90, 20 + i % 100, 1 + i // 100])
track += b"\x00\xff\x2f\x00"
mid = b"MThd" + struct.pack(">IHHH", 6, 0, 1, 500) + b"MTrk" + struct.pack(">I", len(track)) + track
open(f"{d}/bench-1ms.mid", "wb").write(mid)
PY
