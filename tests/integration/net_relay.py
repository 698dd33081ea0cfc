#!/usr/bin/env python3
"""tests/integration/net_relay.py — a lossy UDP relay between a NetJACK2
master and one follower, for tests/integration/net-lossy.sh.

  net_relay.py FOLLOWER_SIDE MASTER_SIDE MASTER STATS [SEED]

FOLLOWER_SIDE (ADDR:PORT) is where the follower sends (rilld -d net -a ADDR
-p PORT); MASTER_SIDE (ADDR:PORT) the relay's own address towards the
master; MASTER (ADDR:PORT) the master's well-known port (its netmanager).
Datagrams from the follower go to the master address that last spoke (the
netmanager first, then the master's session port, which answers from a
port of its own); datagrams from the master go to the follower.

It forwards everything untouched until SIGUSR1; from then until SIGUSR2 the
master's cycle packets (header packets of stream 's', master -> follower) are
  dropped     with probability DROP (3 %),
  delayed     by 100 ms (about 19 periods of 256 frames at 48 kHz: late for
              sure) with probability LATE (1 %),
  swapped     with the next datagram of the same cycle, with probability
              SWAP (10 %) (only when that next one is forwarded; a held one
              is sent after 1 ms at the latest, in order),
and with probability FORGE (2 %) a copy of the datagram with another
session's id is sent as well (the follower must ignore it). The other way
(follower -> master) is never touched.

With NET_RELAY_STREAM=r in its environment the other direction is the
lossy one instead: the follower's answers (stream 'r', follower -> master),
for a test of rill as the master (netmanager-lossy.sh); the master's
datagrams then pass untouched.

On SIGUSR2 it writes STATS as JSON: dropped and delayed per data type
('s' sync, 'a' audio, 'm' MIDI), swapped, forged; SIGTERM ends it.
Counts are of what it did, so the test compares them with what the follower
counted and what its clients heard.
"""
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

DROP, LATE, SWAP, FORGE = 0.03, 0.01, 0.10, 0.02
LATE_S = 0.100
HOLD_S = 0.001


def addr(text):
    host, port = text.rsplit(":", 1)
    return host, int(port)


def main():
    f_side, m_side, master, stats_path = sys.argv[1:5]
    random.seed(int(sys.argv[5]) if len(sys.argv) > 5 else 14)
    lossy_stream = os.environ.get("NET_RELAY_STREAM", "s")
    if lossy_stream not in ("s", "r"):
        sys.exit("NET_RELAY_STREAM is 's' (master -> follower, the default) or 'r'")
    fs = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    fs.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    fs.bind(addr(f_side))
    ms = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ms.bind(addr(m_side))
    master_addr = addr(master)
    follower_addr = None
    state = {"lossy": False, "quit": False, "dump": False}
    stats = {"dropped": {"s": 0, "a": 0, "m": 0}, "delayed": {"s": 0, "a": 0, "m": 0},
             "swapped": 0, "forged": 0, "forwarded": 0}

    def on_usr1(*_):
        state["lossy"] = True

    def on_usr2(*_):
        state["lossy"] = False
        state["dump"] = True

    def on_term(*_):
        state["quit"] = True

    signal.signal(signal.SIGUSR1, on_usr1)
    signal.signal(signal.SIGUSR2, on_usr2)
    signal.signal(signal.SIGTERM, on_term)

    delayed = []            # (due, datagram)
    held = None             # (due, cycle, datagram)

    def send_f(d):
        if follower_addr:
            fs.sendto(d, follower_addr)
            stats["forwarded"] += 1

    def send_m(d):
        ms.sendto(d, master_addr)
        stats["forwarded"] += 1

    # the lossy direction's sender
    send_l = send_f if lossy_stream == "s" else send_m

    def header(d):
        """(data_type, stream, cycle) of a header packet, else None"""
        if len(d) < 48 or not d.startswith(b"header\0"):
            return None
        dt, stream, _id, _np, _ps, _ap, cycle = struct.unpack_from(">7I", d, 8)
        return chr(dt & 0xff), chr(stream & 0xff), cycle

    def lossy(d):
        """a datagram of the lossy direction"""
        nonlocal held
        send_f = send_l
        h = header(d)
        if not state["lossy"] or h is None or h[1] != lossy_stream:
            if held:
                send_f(held[2])
                held = None
            send_f(d)
            return
        kind, _, cycle = h
        if random.random() < FORGE:
            forged = bytearray(d)
            struct.pack_into(">I", forged, 16, (struct.unpack_from(">I", d, 16)[0] + 7) & 0xffffffff)
            send_f(bytes(forged))
            stats["forged"] += 1
        r = random.random()
        if r < DROP:
            stats["dropped"][kind] += 1
            return
        if r < DROP + LATE:
            stats["delayed"][kind] += 1
            delayed.append((time.monotonic() + LATE_S, d))
            return
        if held:
            if held[1] == cycle:
                send_f(d)
                send_f(held[2])
                stats["swapped"] += 1
                held = None
                return
            send_f(held[2])
            held = None
        if random.random() < SWAP:
            held = (time.monotonic() + HOLD_S, cycle, d)
            return
        send_f(d)

    while not state["quit"]:
        now = time.monotonic()
        due = [t for t, _ in delayed] + ([held[0]] if held else [])
        timeout = max(0.0, min(due) - now) if due else 0.1
        try:
            ready, _, _ = select.select([fs, ms], [], [], min(timeout, 0.1))
        except InterruptedError:
            ready = []
        for s in ready:
            try:
                d, src = s.recvfrom(65536)
            except (BlockingIOError, InterruptedError):
                continue
            if s is fs:
                follower_addr = src
                if lossy_stream == "r":
                    lossy(d)
                else:
                    ms.sendto(d, master_addr)
            else:
                master_addr = src
                if lossy_stream == "s":
                    lossy(d)
                else:
                    send_f(d)
        now = time.monotonic()
        if held and held[0] <= now:
            send_l(held[2])
            held = None
        keep = []
        for t, d in delayed:
            if t <= now:
                send_l(d)
            else:
                keep.append((t, d))
        delayed = keep
        if state["dump"] and not delayed:
            state["dump"] = False
            with open(stats_path + ".tmp", "w") as f:
                json.dump(stats, f)
            os.replace(stats_path + ".tmp", stats_path)


if __name__ == "__main__":
    main()
