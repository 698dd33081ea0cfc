#!/usr/bin/env python3
# tests/fuzz/control/make-seeds.py — writes the seeds of the control harness
# (tests/fuzz/fuzz-control.c describes the input). Run from this directory
# after a change of the protocol's layout (rill/protocol.h: the offsets
# below) and commit the result.
import struct

VERSION = 1
T = dict(HELLO=0, ACTIVATE=1, DEACTIVATE=2, PORT_REGISTER=3, PORT_UNREGISTER=4, CONNECT=5,
         DISCONNECT=6, PORT_DISCONNECT=7, CLOSE=8, SET_BUFFER_SIZE=9, SET_FREEWHEEL=10,
         BUFFER_SIZE_DONE=11, INTERNAL_LOAD=12, INTERNAL_UNLOAD=13, INTERNAL_HANDLE=14,
         INTERNAL_NAME=15, XRUN_RESET=16, PORT_NAME=17, PORT_MONITOR=18, LATENCY_SET=19,
         LATENCY_CTL=20, PROPERTY_SET=21, PROPERTY_REMOVE=22, PROPERTY_READ=23, TIMEBASE=24,
         RELEASE=25, SYNC=26, TIMEOUT=27, REQUEST=28, NONE=31)
AUDIO = b"32 bit float mono audio"
MIDI = b"8 bit raw midi"
IN, OUT = 1, 2
CLIENT_UUID = 2 << 32  # | counter: system is 1, its ports next, then clients and ports


def step(conn, what, typ, payload, seq=0, nfds=0):
    op = conn | (what << 2) | (nfds << 5)
    return struct.pack('<BBBH', op, T[typ], seq, len(payload)) + payload


def req(conn, typ, payload=b'', **kw):
    return step(conn, 0, typ, payload, **kw)


def answer(conn, typ, payload=b''):
    return step(conn, 6, typ, payload)


def raw(conn, data, nfds=0):
    return struct.pack('<BH', conn | (4 << 2) | (nfds << 5), len(data)) + data


def gone(conn):
    return bytes([conn | (5 << 2)])


def cstr(s, size):
    return s.ljust(size, b'\0')[:size]


def hello(conn, name, flags=0):
    return req(conn, 'HELLO', struct.pack('<IIiI', VERSION, flags, 0, 0) + cstr(name, 64))


def port(conn, name, flags, typ=AUDIO):
    return req(conn, 'PORT_REGISTER', cstr(name, 256) + cstr(typ, 32) + struct.pack('<II', flags, 0))


def connect(conn, a, b, typ='CONNECT'):
    return req(conn, typ, cstr(a, 256) + cstr(b, 256))


def u32(conn, typ, *vals):
    return req(conn, typ, struct.pack('<%dI' % len(vals), *vals))


def prop(conn, typ, subject, op, data, offset=0, total=None):
    total = len(data) if total is None else total
    return req(conn, typ, struct.pack('<QQIIII', subject, 0, op, total, offset, len(data)) + data)


def internal(conn, typ, handle=0, name=b'', data=b'', options=0):
    return req(conn, typ, struct.pack('<QII', handle, options, 0) + cstr(name, 64) + data)


seeds = {
    'graph': hello(0, b'a') + port(0, b'out', OUT) + u32(0, 'ACTIVATE') + hello(1, b'b') +
    port(1, b'in', IN) + u32(1, 'ACTIVATE') + connect(0, b'a:out', b'b:in') +
    connect(2, b'system:capture_1', b'b:in') + connect(1, b'a:out', b'b:in', 'DISCONNECT') +
    u32(1, 'PORT_DISCONNECT', 5) + u32(1, 'PORT_UNREGISTER', 5) + u32(0, 'DEACTIVATE') +
    req(0, 'CLOSE'),
    'midi-ports': hello(0, b'm') + port(0, b'midi_out', OUT, MIDI) + hello(1, b'n') +
    port(1, b'midi_in', IN, MIDI) + u32(0, 'ACTIVATE') + u32(1, 'ACTIVATE') +
    connect(0, b'm:midi_out', b'n:midi_in') + gone(0) + hello(0, b'm'),
    'names': hello(0, b'x') + port(0, b'p', OUT) +
    req(0, 'PORT_NAME', struct.pack('<II', 5, 0) + cstr(b'q', 256)) +
    req(0, 'PORT_NAME', struct.pack('<II', 5, 1) + cstr(b'alias:one', 256)) +
    req(0, 'PORT_NAME', struct.pack('<II', 5, 2) + cstr(b'alias:one', 256)) +
    u32(0, 'PORT_MONITOR', 5, 1) + u32(0, 'PORT_MONITOR', 5, 3) + hello(1, b'x') +
    hello(2, b'x', flags=2),
    'latency': hello(0, b'l') + port(0, b'o', OUT) + u32(0, 'ACTIVATE') +
    u32(0, 'LATENCY_SET', 5, 1, 64, 128, 0, 0) + u32(0, 'LATENCY_CTL', 0, 0, 0, 0, 1, 0) +
    u32(0, 'LATENCY_CTL', 0, 0, 0, 0, 3, 0) + u32(0, 'LATENCY_CTL', 0, 0, 0, 0, 2, 1),
    'metadata': hello(0, b'md') +
    prop(0, 'PROPERTY_SET', CLIENT_UUID | 5, 0, b'http://example/key\0value\0text/plain\0') +
    prop(0, 'PROPERTY_SET', CLIENT_UUID | 5, 0, b'k2\0v', 0, 10) +
    prop(0, 'PROPERTY_SET', CLIENT_UUID | 5, 0, b'\0t\0', 4, 10) +
    prop(0, 'PROPERTY_READ', 0, 2, b'') + prop(0, 'PROPERTY_READ', CLIENT_UUID | 5, 1, b'') +
    prop(0, 'PROPERTY_REMOVE', CLIENT_UUID | 5, 0, b'k2\0') + prop(0, 'PROPERTY_REMOVE', 0, 2, b''),
    'internal': hello(0, b'ctl', flags=1) +
    internal(0, 'INTERNAL_LOAD', name=b'tone', data=b'rill-tone\0freq=1000\0') +
    internal(0, 'INTERNAL_LOAD', name=b'abs', data=b'/nonexistent/x.so\0\0') +
    internal(0, 'INTERNAL_HANDLE', name=b'tone') + internal(0, 'INTERNAL_NAME', handle=1) +
    internal(0, 'INTERNAL_UNLOAD', handle=1) + u32(0, 'XRUN_RESET'),
    'transport': hello(0, b't') + u32(0, 'ACTIVATE') + u32(0, 'TIMEBASE', 0) +
    u32(0, 'SYNC', 1) + req(0, 'TIMEOUT', struct.pack('<IIQ', 0, 0, 2000000)) +
    req(0, 'REQUEST', struct.pack('<IIQ', 1, 0, 0)) +
    req(0, 'REQUEST', struct.pack('<IIQ', 3, 0, 0) + struct.pack('<QQ', 48000, 0)) +
    u32(0, 'RELEASE') + hello(1, b'ctl', flags=1) + req(1, 'REQUEST', struct.pack('<IIQ', 2, 0, 0)),
    'buffer-size': hello(0, b'b') + u32(0, 'ACTIVATE') + u32(1, 'SET_BUFFER_SIZE', 128) +
    hello(1, b'c') + u32(1, 'SET_BUFFER_SIZE', 128) + answer(0, 'BUFFER_SIZE_DONE', struct.pack('<II', 128, 1)) +
    u32(1, 'SET_BUFFER_SIZE', 100) + u32(1, 'SET_FREEWHEEL', 1) + u32(1, 'SET_BUFFER_SIZE', 64) +
    u32(1, 'SET_FREEWHEEL', 0),
    'malformed': u32(0, 'ACTIVATE') + raw(1, b'\x01\0\0\0') + raw(2, b'\0' * 900, nfds=2) +
    hello(3, b'h') + hello(3, b'h') + req(3, 'NONE', nfds=3) +
    req(0, 'HELLO', struct.pack('<IIiI', VERSION, 0, 0, 0) + b'z' * 64) +
    req(2, 'HELLO', struct.pack('<IIiI', 7, 0, 0, 0) + cstr(b'old', 64)) +
    port(3, b'x' * 256, OUT) + port(3, b'y', OUT, b'z' * 32) + port(3, b'y', OUT, b'video') +
    connect(3, b'a' * 256, b'b') + u32(3, 'PORT_UNREGISTER', 0xffffffff) +
    u32(3, 'PORT_UNREGISTER', 0) + gone(3) + gone(3),
}
for name, data in seeds.items():
    with open('seeds/' + name, 'wb') as f:
        f.write(data)
