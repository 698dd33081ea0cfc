#!/usr/bin/env python3
"""tests/integration/osc_client.py — rill's OSC namespace driven by a client
made of Python's standard library only (an encoder and decoder of OSC 1.0
messages and bundles below), run by tests/integration/osc-client.sh.

    osc_client.py --udp URL --unix PATH --server NAME --rillctl RILLCTL TEST...

Each TEST prints "ok: ..." lines and raises on the first failure (exit 1).
Every datagram received is checked to be at most 8192 bytes.
"""
import argparse
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

MAX_DGRAM = 8192


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


# ---- OSC encoding

def osc_str(s):
    b = s.encode() + b"\0"
    return b + b"\0" * (-len(b) % 4)


def encode(path, *args, types=None):
    """args: int -> i, float -> f, str -> s, ("h", n) -> h; types overrides."""
    t = ","
    data = b""
    for a in args:
        if isinstance(a, tuple) and a[0] == "h":
            t += "h"
            data += struct.pack(">q", a[1])
        elif isinstance(a, bool):
            raise TypeError("no bools")
        elif isinstance(a, int):
            t += "i"
            data += struct.pack(">i", a)
        elif isinstance(a, float):
            t += "f"
            data += struct.pack(">f", a)
        elif isinstance(a, str):
            t += "s"
            data += osc_str(a)
        else:
            raise TypeError(a)
    return osc_str(path) + osc_str(types if types is not None else t) + data


def bundle(msgs, timetag=1):
    b = b"#bundle\0" + struct.pack(">Q", timetag)
    for m in msgs:
        b += struct.pack(">i", len(m)) + m
    return b


# ---- OSC decoding

def read_str(data, pos):
    end = data.index(b"\0", pos)
    s = data[pos:end].decode()
    return s, (end + 4) & ~3


def decode_message(data):
    path, pos = read_str(data, 0)
    types, pos = read_str(data, pos)
    check(types.startswith(","), "reply without a type tag: %r" % data[:64])
    args = []
    for t in types[1:]:
        if t == "i":
            args.append(struct.unpack_from(">i", data, pos)[0])
            pos += 4
        elif t == "f":
            args.append(struct.unpack_from(">f", data, pos)[0])
            pos += 4
        elif t == "h":
            args.append(struct.unpack_from(">q", data, pos)[0])
            pos += 8
        elif t == "s":
            s, pos = read_str(data, pos)
            args.append(s)
        else:
            raise Fail("unexpected type %r in a reply" % t)
    check(pos == len(data), "message %s: %d bytes left over" % (path, len(data) - pos))
    return (path, types[1:], args)


def decode_packet(data):
    if data.startswith(b"#bundle\0"):
        tt = struct.unpack_from(">Q", data, 8)[0]
        check(tt == 1, "a reply bundle's timetag is not 'immediately'")
        out, pos = [], 16
        while pos < len(data):
            n = struct.unpack_from(">i", data, pos)[0]
            out.extend(decode_packet(data[pos + 4:pos + 4 + n]))
            pos += 4 + n
        return out
    return [decode_message(data)]


# ---- a client

class Client:
    """One socket (UDP on 127.0.0.1, or a bound Unix datagram socket)."""

    def __init__(self, args, unix=False, rcvbuf=None):
        self.args = args
        self.unix = unix
        self.backlog = []
        self.sizes = []
        self.next_id = 1
        if unix:
            self.dir = tempfile.mkdtemp(prefix="rill-osc-py.")
            self.path = os.path.join(self.dir, "s")
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.bind(self.path)
            self.target = args.unix
            self.url = "osc.unix://" + self.path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            if rcvbuf:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
            self.sock.bind(("127.0.0.1", 0))
            host_port = args.udp[len("osc.udp://"):].rstrip("/")
            host, port = host_port.rsplit(":", 1)
            self.target = (host, int(port))
            self.url = "osc.udp://127.0.0.1:%d/" % self.sock.getsockname()[1]

    def close(self):
        self.sock.close()
        if self.unix:
            os.unlink(self.path)
            os.rmdir(self.dir)

    def send_raw(self, data):
        self.sock.sendto(data, self.target)

    def send(self, path, *args, url=False, rid=None):
        pre = []
        if url:
            pre.append(self.url)
        if rid is not None:
            pre.append(rid)
        self.send_raw(encode(path, *pre, *args))

    def pump(self, timeout):
        """Read what arrives within timeout into the backlog."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return False
        while True:
            try:
                data = self.sock.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return True
            check(len(data) <= MAX_DGRAM, "a datagram of %d bytes (limit 8192)" % len(data))
            self.sizes.append(len(data))
            self.backlog.extend(decode_packet(data))

    def take(self, pred, timeout=5.0, what="a message"):
        end = time.monotonic() + timeout
        while True:
            for i, m in enumerate(self.backlog):
                if pred(m):
                    del self.backlog[i]
                    return m
            left = end - time.monotonic()
            if left <= 0:
                raise Fail("no %s within %.1f s; got %s" % (what, timeout, self.backlog[-8:]))
            self.pump(left)

    def request(self, path, *args, timeout=5.0):
        """Send with our URL and a fresh id; return the one answer."""
        rid = self.next_id
        self.next_id += 1
        self.send(path, *args, url=True, rid=rid)
        return self.answer(rid, path, timeout)

    def answer(self, rid, path, timeout=5.0):
        return self.take(lambda m: m[0].startswith("/rill/") and not m[0].startswith("/rill/event/")
                         and m[2] and m[2][0] == rid, timeout, "answer to %s id %d" % (path, rid))

    def listing(self, path, *args):
        rid = self.next_id
        self.next_id += 1
        self.send(path, *args, url=True, rid=rid)
        items = []
        while True:
            m = self.answer(rid, path)
            check(m[0] != "/rill/error", "%s: %s" % (path, m))
            if m[0] == "/rill/reply/end":
                check(m[2][2] == len(items), "%s: end says %d, got %d" % (path, m[2][2], len(items)))
                return items, m
            check(m[2][1] == len(items), "%s: item index %d, expected %d" % (path, m[2][1], len(items)))
            items.append(m)

    def ok(self, path, *args):
        m = self.request(path, *args)
        check(m[0] == "/rill/ok" and m[2][1] == path, "%s %s: %s" % (path, args, m))

    def error(self, path, *args, code=None):
        m = self.request(path, *args)
        check(m[0] == "/rill/error", "%s %s: expected an error, got %s" % (path, args, m))
        if code:
            check(m[2][3] == code, "%s %s: expected %s, got %s" % (path, args, code, m))
        return m


def rillctl(args, *cmd):
    p = subprocess.run([args.rillctl, "-s", args.server] + list(cmd), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def rillctl_ports(args, *extra):
    _, out, _ = rillctl(args, "ports", *extra)
    return [line for line in out.splitlines() if line and not line[0].isspace()]


def rillctl_connections(args):
    _, out, _ = rillctl(args, "ports", "-c")
    conns, cur = set(), None
    for line in out.splitlines():
        if line and not line[0].isspace():
            cur = line
        elif line.strip():
            conns.add(tuple(sorted((cur, line.strip()))))
    return conns


# ---- tests

def t_ids(args):
    c = Client(args)
    for rid in (1, 42, -7, 2**31 - 1):
        c.send("/rill/ping", url=True, rid=rid)
        m = c.answer(rid, "/rill/ping")
        check(m == ("/rill/reply/ping", "i", [rid]), "ping %d: %s" % (rid, m))
    # no URL: the reply goes to the sender; no id: 0
    c.send("/rill/ping")
    m = c.take(lambda m: m[0] == "/rill/reply/ping")
    check(m[2] == [0], "ping without an id: %s" % (m,))
    m = c.request("/rill/version")
    check(m[0] == "/rill/reply/version" and m[2][1:3] == [1, 0], "version: %s" % (m,))
    m = c.request("/rill/status")
    check(m[0] == "/rill/reply/status" and m[2][1] == args.server and m[2][3] == 48000,
          "status: %s" % (m,))
    c.send("/rill/sync", 77, 99, url=True)  # url, id 77, sync id 99
    m = c.answer(77, "/rill/sync")
    check(m == ("/rill/reply/synced", "ii", [77, 99]), "sync: %s" % (m,))
    c.send("/rill/sync", 5, url=True)  # a lone int is the sync id
    m = c.take(lambda m: m[0] == "/rill/reply/synced")
    check(m[2] == [0, 5], "sync with one int: %s" % (m,))
    print("ok: request ids echoed (ping, version, status, sync); no id answers 0")
    c.close()


def t_lists(args):
    c = Client(args)
    items, end = c.listing("/rill/ports/list")
    names = [m[2][3] for m in items]
    want = rillctl_ports(args)
    check(names == want, "ports/list differs from rillctl ports: %d vs %d" % (len(names), len(want)))
    check(all(m[2][2] == len(want) for m in items), "a port item with the wrong total")
    print("ok: /rill/ports/list: %d ports, as rillctl ports, in %d datagrams of at most %d bytes"
          % (len(names), len(c.sizes), max(c.sizes)))
    items, _ = c.listing("/rill/ports/list", "capture")
    check([m[2][3] for m in items] == rillctl_ports(args, "capture"), "ports/list capture")
    items, _ = c.listing("/rill/ports/list", "system:playback_1?")
    check([m[2][3] for m in items] == rillctl_ports(args, "system:playback_1?"), "ports/list glob")
    _, out, _ = rillctl(args, "clients")
    items, _ = c.listing("/rill/clients/list")
    check(len(items) == len(out.splitlines()), "clients/list %d vs rillctl clients %d"
          % (len(items), len(out.splitlines())))
    for a, b in (("system:capture_1", "system:playback_1"), ("system:capture_2", "system:playback_1"),
                 ("system:playback_2", "system:capture_3")):
        c.ok("/rill/connect", a, b)
    items, _ = c.listing("/rill/connections/list")
    got = {tuple(sorted((m[2][3], m[2][4]))) for m in items}
    check(got == rillctl_connections(args), "connections/list differs from rillctl ports -c")
    items, _ = c.listing("/rill/connections/list", "capture_2")
    check(len(items) == 1 and items[0][2][3:] == ["system:capture_2", "system:playback_1"],
          "connections/list capture_2: %s" % items)
    c.ok("/rill/disconnect_all", "system:playback_1")
    items, _ = c.listing("/rill/connections/list")
    check(len(items) == 1, "after disconnect_all playback_1: %s" % items)
    c.ok("/rill/disconnect", "system:capture_3", "system:playback_2")
    print("ok: list counts equal rillctl's (ports, patterns, clients, connections)")
    c.close()


def rillctl_sentence(args, *cmd):
    rc, _, err = rillctl(args, *cmd)
    check(rc != 0, "rillctl %s succeeded" % (cmd,))
    line = err.splitlines()[0]
    check(line.startswith("rillctl: "), "rillctl said %r" % err)
    return line[len("rillctl: "):]


def t_errors(args):
    c = Client(args)
    midi = args.midi_port
    c.ok("/rill/connect", "system:capture_1", "system:playback_1")
    long_name = "x" * 300
    cases = [
        ("connect", "system:capture_1", "nope:nothing", "NO_SUCH_PORT"),
        ("connect", "system:capture_1", "system:capture_1", "SAME_PORT"),
        ("connect", "system:capture_1", "system:capture_2", "SAME_DIRECTION"),
        ("connect", "system:playback_1", "system:playback_2", "SAME_DIRECTION"),
        ("connect", "system:capture_1", "system:playback_1", "ALREADY_CONNECTED"),
        ("connect", "system:playback_1", "system:capture_1", "ALREADY_CONNECTED"),
        ("disconnect", "system:capture_2", "system:playback_2", "NOT_CONNECTED"),
        ("disconnect", "nope:a", "system:playback_2", "NO_SUCH_PORT"),
        ("connect", long_name, "system:playback_2", "NAME_TOO_LONG"),
        ("connect", "", "system:playback_2", "BAD_ARGS"),
    ]
    if midi:
        cases.append(("connect", midi, "system:playback_2", "TYPE_MISMATCH"))
    for verb, a, b, code in cases:
        sentence = rillctl_sentence(args, verb, a, b)
        m = c.error("/rill/" + verb, a, b, code=code)
        check(m[2][4] == sentence, "%s %s %s: OSC says %r, rillctl %r" % (verb, a, b, m[2][4], sentence))
        check(m[2][2] > 0, "error code %s" % (m,))
    # a frame out of range: rillctl's usage sentence
    sentence = rillctl_sentence(args, "transport", "locate", "-1")
    m = c.error("/rill/transport/locate", ("h", -1), code="BAD_FRAME")
    check(m[2][4] == sentence, "locate -1: %r vs %r" % (m[2][4], sentence))
    m = c.error("/rill/transport/locate", ("h", 2**32), code="BAD_FRAME")
    print("ok: every rillctl error case maps to its code with rillctl's sentence (%d cases)"
          % (len(cases) + 1))

    # OSC's own refusals: wrong types, no coercion
    c.error("/rill/connect", "system:capture_1", 3, code="BAD_ARGS")
    c.error("/rill/connect", "system:capture_1", code="BAD_ARGS")
    c.error("/rill/transport/locate", 1.5, code="BAD_ARGS")
    c.error("/rill/transport/rolling", 1, code="BAD_ARGS")
    c.error("/rill/subscribe", "graph", 0, code="BAD_ARGS")
    c.error("/rill/subscribe", "nonsense", code="BAD_ARGS")
    c.error("/rill/nothing", code="UNKNOWN_COMMAND")
    c.error("/rill/p?ng", code="PATTERN_NOT_ALLOWED")
    c.error("/rill/{ping,status}", code="PATTERN_NOT_ALLOWED")
    c.error("/rill/unsubscribe", code="NOT_SUBSCRIBED")
    c.error("/rill/resync", code="NOT_SUBSCRIBED")
    # malformed datagrams: answered to the sender with id 0
    def raw(data, code, path_ok=lambda p: True):
        c.send_raw(data)
        m = c.take(lambda m: m[0] == "/rill/error" and m[2][3] == code, what=code)
        check(path_ok(m[2][1]), "%s: path %r" % (code, m[2][1]))
    raw(osc_str("/rill/ping"), "BAD_ARGS")                              # no type tag
    raw(osc_str("/rill/connect") + osc_str(",ss") + b"abcd", "BAD_MESSAGE")  # unterminated
    raw(osc_str("/rill/ping") + b"\xff\xff\xff\xff", "BAD_ARGS")      # type tag without ','
    raw(osc_str("/rill/ping") + osc_str(",b") + struct.pack(">i", 1 << 30), "BAD_MESSAGE")  # blob
    raw(osc_str("/rill/ping") + osc_str(",") + b"x" * 9000, "TOO_BIG")
    raw(b"/rill", "BAD_MESSAGE")                                         # path not terminated
    raw(encode("/rill/" + "x" * 8000, c.url, 3), "UNKNOWN_COMMAND")     # a long path: answered, clipped
    ping = encode("/rill/ping", c.url, 5)
    raw(bundle([ping, bundle([ping])]), "BAD_BUNDLE", lambda p: p in ("#bundle", "/rill/ping"))
    c.send_raw(bundle([ping] * 65))
    for _ in range(65):
        c.take(lambda m: m[0] == "/rill/error" and m[2][3] == "BAD_BUNDLE" and m[2][1] == "/rill/ping")
    raw(bundle([ping], timetag=(1 << 32) * 4000000000), "TIMETAG_NOT_SUPPORTED")
    c.send_raw(b"#bundle\0" + b"\0" * 7 + b"\1" + struct.pack(">i", 1000))
    c.take(lambda m: m[0] == "/rill/error" and m[2][3] == "BAD_BUNDLE")
    # a bundle of three, run in order
    c.send_raw(bundle([encode("/rill/ping", c.url, 101), encode("/rill/ping", c.url, 102),
                       encode("/rill/sync", c.url, 103, 1)]))
    for rid in (101, 102, 103):
        c.answer(rid, "bundle")
    # not ours: ignored, never answered, counted
    before = c.request("/rill/status")[2][12]
    c.send_raw(encode("/other/thing", 1))
    c.send_raw(encode("/rillx", 1))
    c.send("/rill/ping", url=True, rid=555)
    m = c.answer(555, "/rill/ping")
    check(not any(x[0] == "/rill/error" for x in c.backlog), "an unknown non-/rill path was answered")
    after = c.request("/rill/status")[2][12]
    check(after == before + 2, "ignored count %d -> %d after two foreign messages" % (before, after))
    print("ok: wrong types, patterns, unknown commands, malformed messages and bundles refused "
          "with their code; ping still answers")
    c.ok("/rill/disconnect", "system:capture_1", "system:playback_1")
    c.close()


def t_forbidden(args):
    c = Client(args)
    for url in ("osc.udp://192.0.2.1:9000/", "osc.udp://10.1.2.3:9/", "osc.unix:///tmp/x.sock"):
        c.send_raw(encode("/rill/ping", url, 9))
        m = c.take(lambda m: m[0] == "/rill/error" and m[2][0] == 9)
        check(m[2][3] == "FORBIDDEN", "reply URL %s: %s" % (url, m))
    c.send_raw(encode("/rill/ping", "osc.tcp://127.0.0.1:9000/", 10))
    m = c.take(lambda m: m[0] == "/rill/error" and m[2][0] == 10)
    check(m[2][3] == "BAD_ARGS", "tcp URL: %s" % (m,))
    c.send_raw(encode("/rill/ping", "osc.udp://example.com:9000/", 11))
    m = c.take(lambda m: m[0] == "/rill/error" and m[2][0] == 11)
    check(m[2][3] == "BAD_ARGS", "a host name: %s" % (m,))
    # a reply URL on loopback: the reply goes there, not to the sender
    other = Client(args)
    c.send_raw(encode("/rill/ping", other.url, 12))
    m = other.take(lambda m: m[0] == "/rill/reply/ping")
    check(m[2] == [12], "ping to another URL: %s" % (m,))
    print("ok: reply URLs outside loopback / the allow-list are FORBIDDEN; loopback URLs work")
    other.close()
    c.close()


def snapshot_state(c, sub_seq_check=True):
    """Read events until the next snapshot/end; return the snapshot's connections."""
    c.take(lambda m: m[0] == "/rill/event/snapshot/begin", what="snapshot/begin")
    conns = set()
    while True:
        m = c.take(lambda m: m[0].startswith("/rill/event/"), what="snapshot items")
        if m[0] == "/rill/event/connection/added":
            conns.add(tuple(sorted(m[2][2:4])))
        if m[0] == "/rill/event/snapshot/end":
            return conns


def t_subscribe(args):
    c = Client(args)
    c.ok("/rill/subscribe", "graph")
    conns = snapshot_state(c)
    check(conns == rillctl_connections(args), "snapshot connections differ from rillctl")
    c.ok("/rill/connect", "system:capture_1", "system:playback_2")
    m = c.take(lambda m: m[0] == "/rill/event/connection/added", what="connection/added")
    check(m[2][2:] == ["system:capture_1", "system:playback_2"], "added: %s" % (m,))
    c.ok("/rill/disconnect", "system:capture_1", "system:playback_2")
    c.take(lambda m: m[0] == "/rill/event/connection/removed", what="connection/removed")
    c.ok("/rill/unsubscribe")
    m = c.take(lambda m: m[0] == "/rill/event/ended", what="ended")
    check(m[2][1] == "unsubscribed", "ended: %s" % (m,))
    print("ok: subscribe: snapshot equals rillctl; connection added/removed events; unsubscribe ends")
    c.close()


def t_lease(args):
    c = Client(args)
    t0 = time.monotonic()
    c.ok("/rill/subscribe", "graph", 2)
    m = c.take(lambda m: m[0] == "/rill/event/ended", timeout=6, what="ended (lease)")
    dt = time.monotonic() - t0
    check(m[2][1] == "lease expired", "ended: %s" % (m,))
    check(1.9 <= dt <= 5.0, "a 2 s lease ended after %.2f s" % dt)
    c.error("/rill/resync", code="NOT_SUBSCRIBED")
    # renewal: subscribing again before the end extends the lease
    c.ok("/rill/subscribe", "graph", 2)
    snapshot_state(c)
    time.sleep(1.2)
    c.ok("/rill/subscribe", "graph", 2)
    time.sleep(1.2)
    c.pump(0.01)
    check(not any(m[0] == "/rill/event/ended" for m in c.backlog), "a renewed lease ended early")
    c.take(lambda m: m[0] == "/rill/event/ended", timeout=4, what="ended after renewal")
    print("ok: a 2 s lease ends after %.2f s with 'lease expired'; renewal extends it" % dt)
    c.close()


def t_max_subscribers(args):
    subs = [Client(args) for _ in range(16)]
    for s in subs:
        s.ok("/rill/subscribe", "xrun", 60)
    extra = Client(args)
    m = extra.error("/rill/subscribe", "xrun", code="TOO_MANY_SUBSCRIBERS")
    subs[0].ok("/rill/unsubscribe")
    extra.ok("/rill/subscribe", "xrun")
    for s in subs[1:] + [extra]:
        s.ok("/rill/unsubscribe")
        s.close()
    subs[0].close()
    print("ok: 16 subscribers live, the 17th refused (%s); a place freed is taken" % m[2][4])


def t_slow(args):
    """A subscriber on the Unix socket that does not read while 10,000
    connections are made: it gets overflow and a fresh snapshot, and what it
    ends up with equals the graph."""
    slow = Client(args, unix=True, rcvbuf=4096)
    slow.ok("/rill/subscribe", "graph", 300)
    fast = Client(args)
    window, sent, done = 64, 0, 0
    pairs = [("system:capture_%d" % (i + 1), "system:playback_%d" % (j + 1))
             for i in range(100) for j in range(100)]
    # 10,000 connects; from the 5,000th on each also drops the connection
    # made 5,000 before (the table holds 8,192)
    ops = []
    for k, p in enumerate(pairs):
        ops.append(("/rill/connect", p))
        if k >= 5000:
            ops.append(("/rill/disconnect", pairs[k - 5000]))
    t0 = time.monotonic()
    pending = {}
    while done < len(ops):
        while sent < len(ops) and len(pending) < window:
            rid = fast.next_id
            fast.next_id += 1
            fast.send(ops[sent][0], *ops[sent][1], url=True, rid=rid)
            pending[rid] = ops[sent]
            sent += 1
        m = fast.take(lambda m: m[0] in ("/rill/ok", "/rill/error") and m[2][0] in pending)
        check(m[0] == "/rill/ok", "%s: %s" % (pending[m[2][0]], m))
        del pending[m[2][0]]
        done += 1
    dt = time.monotonic() - t0
    print("ok: 10000 connects and 5000 disconnects over UDP in %.2f s (%.0f requests/s)"
          % (dt, len(ops) / dt))
    # now read everything the slow one was sent
    state, seq, overflows, last_seq = None, None, 0, 0
    in_snap = False
    snap = set()
    end = time.monotonic() + 60
    while time.monotonic() < end:
        if not slow.pump(1.0) and not slow.backlog:
            break
        while slow.backlog:
            m = slow.backlog.pop(0)
            if not m[0].startswith("/rill/event/"):
                continue
            s = m[2][0]
            if last_seq and m[0] != "/rill/event/overflow" and state is not None and not in_snap:
                check(s == last_seq + 1, "a gap after the snapshot: %d -> %d (%s)" % (last_seq, s, m[0]))
            last_seq = s
            if m[0] == "/rill/event/overflow":
                overflows += 1
                state = None
            elif m[0] == "/rill/event/snapshot/begin":
                in_snap, snap = True, set()
            elif m[0] == "/rill/event/snapshot/end":
                in_snap, state = False, snap
            elif m[0] == "/rill/event/connection/added":
                (snap if in_snap else state if state is not None else set()).add(tuple(sorted(m[2][2:4])))
            elif m[0] == "/rill/event/connection/removed" and state is not None and not in_snap:
                state.discard(tuple(sorted(m[2][2:4])))
        if state is not None and len(state) >= 5000 and not slow.backlog:
            slow.pump(0.3)
            if not slow.backlog:
                break
    check(overflows >= 1, "the slow subscriber never got overflow")
    check(state is not None, "no complete snapshot after the overflow")
    want = rillctl_connections(args)
    check(state == want, "the slow subscriber's graph: %d connections, rillctl %d"
          % (len(state), len(want)))
    print("ok: slow subscriber: %d overflow(s), then a snapshot + events equal to the graph (%d "
          "connections)" % (overflows, len(want)))
    slow.ok("/rill/unsubscribe")
    # clean up the 10000 connections
    for p in ("system:capture_%d" % (i + 1) for i in range(100)):
        fast.ok("/rill/disconnect_all", p)
    slow.close()
    fast.close()


def transport_state(args):
    _, out, _ = rillctl(args, "transport", "status")
    for line in out.splitlines():
        if line.startswith("state:"):
            return line.split()[1]
    return None


def wait_state(args, want, timeout=5):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if transport_state(args) == want:
            return
        time.sleep(0.05)
    raise Fail("transport not %s within %d s (%s)" % (want, timeout, transport_state(args)))


def t_surface(args):
    c = Client(args)
    c.ok("/rill/subscribe", "surface", 60, 100)
    m = c.take(lambda m: m[0] == "/rill/transport/rolling", what="rolling feedback")
    check(m[1] == "f" and m[2] == [0.0], "initial rolling: %s" % (m,))
    c.take(lambda m: m[0] == "/rill/status/dsp_load" and m[1] == "f", what="dsp_load feedback")
    c.take(lambda m: m[0] == "/rill/status/xruns", what="xruns feedback")
    # a TouchOSC-style surface: no reply URL, no id, one float
    c.send("/rill/transport/rolling", 1.0)
    m = c.take(lambda m: m[0] in ("/rill/ok", "/rill/error") and m[2][1] == "/rill/transport/rolling")
    check(m[0] == "/rill/ok", "rolling 1: %s" % (m,))
    wait_state(args, "Rolling")
    m = c.take(lambda m: m[0] == "/rill/transport/rolling" and m[2] == [1.0], what="rolling 1.0 feedback")
    c.take(lambda m: m[0] == "/rill/transport/toggle" and m[2] == [1.0], what="toggle 1.0 feedback")
    c.send("/rill/transport/toggle", 1.0)
    wait_state(args, "Stopped")
    c.take(lambda m: m[0] == "/rill/transport/rolling" and m[2] == [0.0], what="rolling 0.0 feedback")
    c.send("/rill/transport/toggle", 0.0)  # a button's release: nothing happens
    time.sleep(0.2)
    check(transport_state(args) == "Stopped", "toggle 0.0 moved the transport")
    c.ok("/rill/transport/start")
    wait_state(args, "Rolling")
    c.ok("/rill/transport/locate", 48000 * 5)
    m = c.request("/rill/transport/query")
    check(m[0] == "/rill/reply/transport" and m[2][1] in ("rolling", "starting"), "query: %s" % (m,))
    c.ok("/rill/transport/stop")
    wait_state(args, "Stopped")
    c.ok("/rill/unsubscribe")
    print("ok: transport from surface paths (rolling, toggle) with feedback on the same paths")
    c.close()


def t_shutdown(args):
    c = Client(args)
    u = Client(args, unix=True)
    c.ok("/rill/subscribe", "graph")
    u.ok("/rill/subscribe", "graph,status")
    snapshot_state(c)
    os.kill(args.rilld_pid, signal.SIGTERM)
    for x in (c, u):
        m = x.take(lambda m: m[0] == "/rill/event/ended", timeout=5, what="ended at shutdown")
        check(m[2][1] == "server shutdown", "ended: %s" % (m,))
    print("ok: 'ended server shutdown' on UDP and the Unix socket")
    c.close()
    u.close()


def t_topics(args):
    """position at the interval (at least 20 ms), status (at least 100 ms),
    log lines (rilld -v logs each connection), xruns (rilld stopped for a
    moment misses periods)."""
    c = Client(args)
    c.ok("/rill/subscribe", "position,status,log,xrun,transport", 60, 30)
    snapshot_state(c)
    t0 = time.monotonic()
    c.backlog.clear()
    while time.monotonic() - t0 < 1.0:
        c.pump(0.1)
    pos = [m for m in c.backlog if m[0] == "/rill/event/position"]
    sts = [m for m in c.backlog if m[0] == "/rill/event/status"]
    check(15 <= len(pos) <= 40, "%d position events in 1 s at a 30 ms interval" % len(pos))
    check(5 <= len(sts) <= 11, "%d status events in 1 s (at least 100 ms apart)" % len(sts))
    check(all(m[1] == "ihiiif" for m in pos) and all(m[1] == "iffhhii" for m in sts), "event types")
    seqs = [m[2][0] for m in c.backlog if m[0].startswith("/rill/event/")]
    check(seqs == list(range(seqs[0], seqs[0] + len(seqs))), "a gap in the sequence numbers")
    c.ok("/rill/connect", "system:capture_4", "system:playback_4")
    m = c.take(lambda m: m[0] == "/rill/event/log" and "system:capture_4" in m[2][1], what="log line")
    c.ok("/rill/disconnect", "system:capture_4", "system:playback_4")
    _, out, _ = rillctl(args, "status")
    before = int([l for l in out.splitlines() if l.startswith("xruns:")][0].split()[1])
    os.kill(args.rilld_pid, signal.SIGSTOP)
    time.sleep(0.1)
    os.kill(args.rilld_pid, signal.SIGCONT)
    m = c.take(lambda m: m[0] == "/rill/event/xrun", timeout=5, what="xrun event")
    check(m[2][1] > before, "xrun total %d, before %d" % (m[2][1], before))
    c.ok("/rill/unsubscribe")
    print("ok: topics: %d position and %d status events in 1 s, a log line, an xrun (total %d)"
          % (len(pos), len(sts), m[2][1]))
    c.close()


def t_rate(args):
    """The server runs with --osc-rate 100: a burst of 300 pings gets 300
    answers, the ones past the budget RATE_LIMITED. The 300 answers arrive
    before the first is read: the socket's default buffer (212 KB, about 1 KB
    a datagram in the kernel's accounting) would drop some on a busy machine."""
    c = Client(args, rcvbuf=1 << 21)
    for rid in range(1000, 1300):
        c.send("/rill/ping", url=True, rid=rid)
    got = {}
    for rid in range(1000, 1300):
        m = c.answer(rid, "/rill/ping")
        got[rid] = m[0] if m[0] != "/rill/error" else m[2][3]
    limited = sum(1 for v in got.values() if v == "RATE_LIMITED")
    answered = sum(1 for v in got.values() if v == "/rill/reply/ping")
    check(limited + answered == 300, "answers: %s" % set(got.values()))
    check(90 <= answered <= 200 and limited >= 100, "%d answered, %d limited" % (answered, limited))
    c.pump(0.2)
    check(not c.backlog, "more than one answer per request: %s" % c.backlog[:4])
    time.sleep(1.1)
    c.send("/rill/ping", url=True, rid=2000)
    check(c.answer(2000, "/rill/ping")[0] == "/rill/reply/ping", "the budget did not come back")
    print("ok: rate limit: %d of 300 pings answered, %d RATE_LIMITED, one answer each" %
          (answered, limited))
    c.close()


TESTS = {
    "topics": t_topics,
    "rate": t_rate,
    "ids": t_ids, "lists": t_lists, "errors": t_errors, "forbidden": t_forbidden,
    "subscribe": t_subscribe, "lease": t_lease, "max": t_max_subscribers, "slow": t_slow,
    "surface": t_surface, "shutdown": t_shutdown,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--udp", required=True)
    ap.add_argument("--unix", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--rillctl", required=True)
    ap.add_argument("--midi-port", default="")
    ap.add_argument("--rilld-pid", type=int, default=0)
    ap.add_argument("tests", nargs="+")
    args = ap.parse_args()
    if args.unix.startswith("osc.unix://"):
        args.unix = args.unix[len("osc.unix://"):]
    for t in args.tests:
        try:
            TESTS[t](args)
        except Fail as e:
            print("FAIL: %s: %s" % (t, e), file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
