#!/usr/bin/env python3
"""tests/integration/netmanager_follower.py — a NetJACK2 follower in async
mode for tests/integration/netmanager.sh, one audio channel each way, float.

    netmanager_follower.py NAME LATENCY SKIP_AT SKIP_N SECONDS

It finds the master by multicast (225.3.19.154:19000), confirms its SETUP,
and then answers every cycle of the master with the same samples (an echo
within the cycle), numbering its answers with a counter of its own, one
step per cycle it received, as jackd2's `jackd -d net` does in async mode.
From the master's cycle SKIP_AT on it ignores SKIP_N cycles entirely (as if
they had been lost on the way): its counter then lags the master's by
SKIP_N for good (it prints "skipping from cycle N" then). Exits after SECONDS;
prints "answered=N" on stdout.
"""
import socket
import struct
import sys
import time

GROUP, PORT = "225.3.19.154", 19000
name, latency, skip_at, skip_n, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), float(sys.argv[5])


def params(kind, ident=0, rate=0, period=0):
    s = b"params\0\0" + struct.pack(">Ii", 8, kind)
    s += name.encode().ljust(64, b"\0") + b"".ljust(256, b"\0") + b"fake".ljust(256, b"\0")
    # mtu, id, transport, send audio, return audio, send MIDI, return MIDI,
    # rate, period, encoder (float), kbps, sync mode (0: async), latency
    return s + struct.pack(">13I", 1500, ident, 0, 1, 1, 0, 0, rate, period, 0, 0, 0, latency)


def header(dtype, ident, size, active, cycle, frames, last):
    return b"header\0\0" + struct.pack(">IIIIIIIIiI", ord(dtype), ord("r"), ident, 1, size,
                                       active, cycle, 0, frames, last)


sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("0.0.0.0", PORT))
sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
sock.settimeout(1.0)
end = time.time() + seconds
while True:
    if time.time() > end:
        sys.exit("no master answered")
    sock.sendto(params(0), (GROUP, PORT))
    try:
        data, master = sock.recvfrom(2000)
    except socket.timeout:
        continue
    if len(data) == 644 and data[:6] == b"params" and struct.unpack_from(">i", data, 12)[0] == 1:
        break
ident, rate, period = [struct.unpack_from(">I", data, 592 + 4 * i)[0] for i in (1, 7, 8)]
sock.connect(master)
sock.send(params(2, ident, rate, period))
sock.settimeout(2.0)

counter = answered = 0
while time.time() < end:
    try:
        data = sock.recv(2000)
    except socket.timeout:
        break
    except ConnectionRefusedError:
        break
    if len(data) < 48 or data[:6] != b"header":
        continue
    dtype, stream, hid, npk, size, active, cycle, sub, frames, last = \
        struct.unpack_from(">IIIIIIIIiI", data, 8)
    if hid != ident or stream != ord("s") or dtype != ord("a") or not last:
        continue
    if skip_at <= cycle < skip_at + skip_n:
        if cycle == skip_at:
            print("skipping from cycle %d" % cycle, flush=True)
        continue            # this cycle "was lost": no answer, no count
    samples = data[48 + 4:] if active == 1 else bytes(4 * period)
    counter += 1
    sock.send(header("s", ident, 52, 1, counter, -1, 0) + struct.pack(">I", 0))
    sock.send(header("a", ident, 48 + 4 + len(samples), 1, counter, period, 1) +
              struct.pack(">I", 0) + samples)
    answered += 1
print("answered=%d" % answered)
