#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/net_packet.c into seeds/ (run from
this directory). Input format: a session byte, then datagrams, each a 2-byte
little-endian length and its bytes. The session byte's bits: 0 MTU 1500
(else 576), 1-2 capture audio channels - 1, 3 two capture MIDI ports,
4 int16 (else float), 6 period 256 (else 32)."""
import math, os, struct

def header(dtype, stream, ident, npk, size, active, cycle, sub, frames, last):
    return b"header\0\0" + struct.pack(">IIIIIIIIiI", ord(dtype), ord(stream), ident, npk,
                                       size, active, cycle, sub, frames, last)

def pkt(dtype, payload, cycle, sub=0, npk=1, active=0, last=0, ident=7, stream="s"):
    return header(dtype, stream, ident, npk, 48 + len(payload), active, cycle, sub, -1,
                  last) + payload

def params(kind, **kw):
    f = dict(version=8, name=b"rill", mhost=b"master", fhost=b"follower", mtu=1500, ident=7,
             tsync=0, sa=2, ra=2, sm=0, rm=1, rate=48000, period=256, enc=0, kbps=0, sync=1,
             lat=2)
    f.update(kw)
    return (b"params\0\0" + struct.pack(">Ii", f["version"], kind) +
            f["name"].ljust(64, b"\0") + f["mhost"].ljust(256, b"\0") +
            f["fhost"].ljust(256, b"\0") +
            struct.pack(">IIIiiiiIIIIII", f["mtu"], f["ident"], f["tsync"], f["sa"], f["ra"],
                        f["sm"], f["rm"], f["rate"], f["period"], f["enc"], f["kbps"],
                        f["sync"], f["lat"]))

def float_frames(mtu, active):
    q = (mtu - 112) / (active * 4.0)
    return 1 << int(math.log(q) / math.log(2.0))

def float_cycle(cycle, nports, period, mtu, midi_ports=0):
    out = [pkt("s", struct.pack(">II", 0, 1), cycle, active=2)]
    if midi_ports:
        stream = b""
        for p in range(midi_ports):
            ev = struct.pack("<II", 3, 3) + b"\x90\x3c\x64\0"
            stream += struct.pack(">IIIIII", 0x900DF00D, 32768, period, 0, 1, 0) + ev + b"\0" * 12
        out.append(pkt("m", stream, cycle, npk=1))
    frames = min(float_frames(mtu, nports), period)
    n = period // frames
    for sub in range(n):
        payload = b""
        for p in range(nports):
            payload += struct.pack(">I", p)
            payload += b"".join(struct.pack("<f", math.sin((sub * frames + i) * 0.1 * (p + 1)))
                                for i in range(frames))
        out.append(pkt("a", payload, cycle, sub=sub, npk=n, active=nports, last=int(sub == n - 1)))
    return out

def int16_cycle(cycle, nports, period, mtu):
    out = [pkt("s", b"", cycle)]
    avail = mtu - 112
    total = nports * period * 2
    n = -(-total // avail)
    sub = period * 2 // n
    last = sub + period * 2 % n
    for k in range(n):
        b = last if k == n - 1 else sub
        payload = b"".join(bytes((i * 7 + p) & 0xff for i in range(b)) for p in range(nports))
        out.append(pkt("a", payload, cycle, sub=k, npk=n, active=nports, last=int(k == n - 1)))
    return out

def seed(name, pick, dgrams):
    data = bytes([pick]) + b"".join(struct.pack("<H", len(d)) + d for d in dgrams)
    with open(os.path.join("seeds", name), "wb") as f:
        f.write(data)

os.makedirs("seeds", exist_ok=True)
F2M = 0x01 | (1 << 1) | 0x08 | 0x40          # mtu 1500, 2 audio, 2 MIDI, period 256, float
c1 = float_cycle(1, 2, 256, 1500, midi_ports=2)
c2 = float_cycle(2, 2, 256, 1500, midi_ports=2)
seed("float-two-cycles", F2M, c1 + c2)
seed("float-reordered-lossy", F2M, list(reversed(c1))[1:] + c2[::2] + c1[:1])
seed("int16-cycle", 0x01 | (1 << 1) | 0x10 | 0x40, int16_cycle(5, 2, 256, 1500) +
     int16_cycle(6, 2, 256, 1500))
seed("small-mtu-float", 0x00 | (3 << 1), float_cycle(9, 4, 32, 576))
seed("params", F2M, [params(0, sa=-1), params(1), params(2), params(4), params(1, version=7),
                     params(1, enc=3, kbps=64)])
bad = [b"", b"header\0\0", pkt("a", b"\0" * 8, 3, npk=0xffffffff, sub=0xfffffffe, active=0xffff),
       pkt("s", struct.pack(">I", 0x7fffffff), 3, active=1),
       pkt("m", struct.pack(">IIIIII", 0x900DF00D, 0xffffffff, 256, 0xfffffff0, 0x7fffffff, 0),
           4, npk=1),
       pkt("m", b"\xff" * 100, 4, npk=0x10000, sub=0xffff),
       pkt("a", b"", 2, ident=8), pkt("a", b"", 1, stream="r"),
       c1[0][:47], c1[2][:-1]]
seed("malformed", F2M, bad)
