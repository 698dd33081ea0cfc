#!/usr/bin/env python3
"""tests/fuzz/osc/make-seeds.py — writes the seed corpus of tests/fuzz/osc.c
into tests/fuzz/osc/seeds/ (run it again after changing the namespace).
Each seed is records of [flags u8][length u16 BE][datagram] (see osc.c)."""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
URL = "osc.udp://127.0.0.1:9001/"


def s(x):
    b = x.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def msg(path, *args, types=None):
    t, d = ",", b""
    for a in args:
        if isinstance(a, tuple):
            t += "h"
            d += struct.pack(">q", a[1])
        elif isinstance(a, int):
            t += "i"
            d += struct.pack(">i", a)
        elif isinstance(a, float):
            t += "f"
            d += struct.pack(">f", a)
        else:
            t += "s"
            d += s(a)
    return s(path) + s(types if types is not None else t) + d


def bundle(msgs, tt=1):
    return b"#bundle\0" + struct.pack(">Q", tt) + b"".join(struct.pack(">i", len(m)) + m for m in msgs)


def rec(dgram, flags=0, length=None):
    return bytes([flags]) + struct.pack(">H", len(dgram) if length is None else length) + dgram


seeds = {
    "ping": rec(msg("/rill/ping", URL, 1)),
    "ping-bare": rec(msg("/rill/ping")),
    "version-status": rec(msg("/rill/version", 2)) + rec(msg("/rill/status", URL, 3)),
    "lists": rec(msg("/rill/ports/list", URL, 4)) + rec(msg("/rill/clients/list", 5, "sys")) +
             rec(msg("/rill/connections/list", "capture")) + rec(msg("/rill/ports/list", "*_[12]")),
    "connect": rec(msg("/rill/connect", URL, 6, "system:capture_2", "system:playback_3")) +
               rec(msg("/rill/connect", "system:playback_3", "system:capture_2")) +
               rec(msg("/rill/disconnect", "system:capture_2", "system:playback_3")) +
               rec(msg("/rill/disconnect", "system:capture_2", "system:playback_3")),
    "connect-errors": b"".join(rec(msg("/rill/connect", a, b)) for a, b in [
        ("nope:x", "system:playback_1"), ("system:capture_1", "system:capture_1"),
        ("system:capture_1", "system:capture_2"), ("synth:midi_in", "system:capture_1"),
        ("", "x"), ("y" * 300, "system:playback_1")]),
    "disconnect-all": rec(msg("/rill/disconnect_all", "system:playback_1")) +
                      rec(msg("/rill/disconnect_all", "nope:x")),
    "transport": rec(msg("/rill/transport/start")) + rec(msg("/rill/transport/locate", 48000)) +
                 rec(msg("/rill/transport/locate", 1, ("h", 1 << 40))) +
                 rec(msg("/rill/transport/locate", -5)) + rec(msg("/rill/transport/query", 9)) +
                 rec(msg("/rill/transport/stop")),
    "surface": rec(msg("/rill/subscribe", URL, "surface", 60, 100)) +
               rec(msg("/rill/transport/rolling", 1.0), 0x02) +
               rec(msg("/rill/transport/toggle", 1.0), 0x06) +
               rec(msg("/rill/transport/toggle", 0.0)) + rec(msg("/rill/status/dsp_load")),
    "subscribe-all": rec(msg("/rill/subscribe", URL, 7, "all,position", 1, 20)) +
                     rec(b"", 0x06) + rec(b"", 0x04) + rec(msg("/rill/resync", URL), 0x02) +
                     rec(b"", 0x02) + rec(b"", 0x02),
    "subscribe-unix": rec(msg("/rill/subscribe", "graph,log"), 0x01) + rec(b"", 0x05) +
                      rec(msg("/rill/unsubscribe"), 0x01) + rec(msg("/rill/unsubscribe"), 0x01),
    "unix-reply-url": rec(msg("/rill/ping", "osc.unix:///tmp/fuzz-other", 3), 0x01) +
                      rec(msg("/rill/ping", "osc.unix:///tmp/fuzz-other", 3)),
    "overflow": rec(msg("/rill/subscribe", "graph"), 0x01) + rec(b"", 0x0d) * 2100 + rec(b"", 0x03),
    "many-subscribers": b"".join(rec(msg("/rill/subscribe", "osc.udp://127.0.0.1:%d/" % (9100 + i), "xrun"))
                                 for i in range(18)) + rec(b"", 0x04),
    "sync": rec(msg("/rill/sync", 5)) + rec(msg("/rill/sync", 1, 5)) + rec(msg("/rill/sync")),
    "forbidden": rec(msg("/rill/ping", "osc.udp://192.0.2.1:9000/", 1)) +
                 rec(msg("/rill/ping", "osc.tcp://127.0.0.1:9/")) + rec(msg("/rill/ping", "osc.udp://x")) +
                 rec(msg("/rill/ping", "osc.udp://127.0.0.1:99999/")),
    "bad-types": rec(msg("/rill/connect", 1, 2)) + rec(msg("/rill/ping", 1.5)) +
                 rec(msg("/rill/subscribe", "graph", 0)) + rec(msg("/rill/subscribe", "bogus")),
    "patterns": rec(msg("/rill/*")) + rec(msg("/rill/p?ng")) + rec(msg("/rill/{a,b}")) +
                rec(msg("/rill/[pq]ing")) + rec(msg("/rill/nothing")) + rec(msg("/other")),
    "no-typetag": rec(s("/rill/ping")),
    "bad-typetag": rec(s("/rill/ping") + b"abc\0"),
    "unterminated": rec(s("/rill/connect") + s(",ss") + b"abcd"),
    "unterminated-path": rec(b"/rill/pingpong"),
    "huge-blob": rec(s("/rill/ping") + s(",b") + struct.pack(">i", 0x7fffffff)),
    "oversized": rec(s("/rill/ping") + s(",") + b"\0" * 9000),
    "oversized-bundle": rec(bundle([msg("/rill/ping")] * 700)),
    "bundle": rec(bundle([msg("/rill/ping", URL, 1), msg("/rill/status", URL, 2)])),
    "bundle-nested": rec(bundle([msg("/rill/ping", 1), bundle([msg("/rill/ping", 2)])])),
    "bundle-65": rec(bundle([msg("/rill/ping")] * 65)),
    "bundle-future": rec(bundle([msg("/rill/ping", 4)], tt=0xe0000000_00000000)),
    "bundle-broken": rec(b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">i", 100)) +
                     rec(b"#bundle\0\0\0") + rec(b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">i", -4)),
    "send-fails": rec(msg("/rill/ports/list"), 0x08) + rec(msg("/rill/ping"), 0x0a) + rec(b"", 0x02),
    "truncated-record": b"\x00\x10\x00/rill/pi",
}

os.makedirs(HERE, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(seeds), HERE))
