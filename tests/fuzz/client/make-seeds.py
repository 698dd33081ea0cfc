#!/usr/bin/env python3
# tests/fuzz/client/make-seeds.py — writes the seeds of the client harness
# (tests/fuzz/fuzz-client.c describes the input). The program's requests
# come in this order when every answer is a success: HELLO, LATENCY_CTL,
# PORT_REGISTER x2, ACTIVATE, CONNECT, HELLO (metadata connection),
# PROPERTY_READ x3, PORT_UNREGISTER, DEACTIVATE, CLOSE.
import struct

EV = dict(CLIENT_REGISTER=0, PORT_REGISTER=1, PORT_CONNECT=2, GRAPH_ORDER=3, XRUN=4, SHUTDOWN=5,
          BUFFER_SIZE=6, SAMPLE_RATE=7, FREEWHEEL=8, PORT_RENAME=9, LATENCY=10, PROPERTY=11)
REGISTRY, PORTS, PORT_SIZE, CLIENTS, CLIENT_SIZE, RATE = 536, 45616, 824, 560, 88, 40


def header(patches=(), ids=()):
    out = bytes([len(patches)])
    for off, data in patches:
        out += struct.pack('<IB', off, len(data)) + data
    out += bytes([len(ids)]) + b''.join(struct.pack('<H', i) for i in ids)
    return out


def payload(data):
    return struct.pack('<H', len(data)) + data


def event(typ, data=b'', unterminated=False):
    return bytes([EV[typ]]) + payload(data) + bytes([1 if unterminated else 0])


def events(*evs):
    return bytes([len(evs)]) + b''.join(evs)


OK = b'\0'
HELLO_OK = b'\0\0'  # action, fd mode

ev_burst = events(
    event('PORT_REGISTER', struct.pack('<II', 1, 3)),
    event('PORT_CONNECT', struct.pack('<III', 1, 0xffff, 4095)),
    event('CLIENT_REGISTER', struct.pack('<II', 1, 7) + b'n' * 64),
    event('PORT_RENAME', struct.pack('<II', 2, 0) + b'o' * 256 + b'p' * 256),
    event('LATENCY', struct.pack('<6I', 0, 1, 0, 0, 0, 9)),
    event('PROPERTY', struct.pack('<QII', 2 << 32 | 1, 1, 1) + b'k' * 256),
    event('BUFFER_SIZE', struct.pack('<II', 0, 5)),
    event('SHUTDOWN', struct.pack('<I', 0x21) + b'r' * 256, unterminated=True),
)
rec = struct.pack('<Q3I', 2 << 32 | 5, 3, 1, 0) + b'key\0v\0\0'
rec2 = struct.pack('<Q3I', 1 << 32 | 9, 1, 0, 4) + b'k\0\0type\0'
def prop_reply(data, total=None, offset=0, version=1):
    total = len(data) if total is None else total
    return struct.pack('<QQIIII', 0, version, 0, total, offset, len(data)) + data

seeds = {
    'events': header(ids=(3, 4095)) + HELLO_OK + OK * 3 + bytes([0x44]) + ev_burst + ev_burst,
    'metadata': header() + HELLO_OK + OK * 5 + HELLO_OK +
    bytes([0x08]) + payload(prop_reply(rec)) +
    bytes([0x08]) + payload(prop_reply(rec + rec2)) +
    bytes([0x08]) + payload(prop_reply(rec2, total=len(rec2) * 2)) +
    bytes([0x08]) + payload(prop_reply(rec2, total=len(rec2) * 2, offset=len(rec2), version=2)),
    'hello-fds': header() + bytes([0, 0x80 | 3]),
    'hello-wrong-fds': header() + bytes([0, 0x40, 0xc1, 0, 0xc3, 0]),
    'hello-bad': header() + bytes([0x38, 0]) + payload(struct.pack('<IIQ', 5000, 1, 7) + b'x' * 64) +
    bytes([0]) + b'E' * 256,
    'stray': header() + HELLO_OK + bytes([1, 3]) + payload(b'\0' * 8) + bytes([2]) + bytes([40]) +
    b'j' * 63 + bytes([5, 1]) + bytes([0x10, 22]) + bytes([0x30, 1]) + b'e' * 256,
    'gone': header() + HELLO_OK + OK * 3 + bytes([3]),
    'registry': header(patches=((RATE, struct.pack('<II', 0, 0)),
                                (PORTS + 3 * PORT_SIZE, b'\xff' * 31),
                                (CLIENTS + 1 * CLIENT_SIZE, b'z' * 31)), ids=(1, 2, 3)),
    'port-ids': header(ids=(0, 1, 2, 3, 64, 4095, 65535)) + HELLO_OK + OK +
    bytes([0x08]) + payload(struct.pack('<I', 0xffffffff)) + bytes([0x08]) + payload(struct.pack('<I', 63)),
}
for name, data in seeds.items():
    with open('seeds/' + name, 'wb') as f:
        f.write(data)
