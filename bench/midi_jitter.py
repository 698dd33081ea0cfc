#!/usr/bin/env python3
"""bench/midi_jitter.py DIR — the MIDI jitter benchmark's figures (make
bench-midi): reads DIR/bench-{rill,a2j,jackd}-{in,out}.txt written by the
kernel guest (tests/kernel/guest-benchmidi.sh), fits a line through each
series of events sent 1 ms apart (event i from its note and velocity:
i = (velocity - 1) * 100 + note - 20) and prints, per bridge and direction,
the events that came, and the median, 99th percentile and largest distance
from that line in microseconds, then the ratios to rill's bridge, as a
Markdown table."""
import sys

RATE = 48000.0


def series(path, direction):
    pts = []
    try:
        lines = open(path).read().split("\n")
    except OSError:
        return None
    for ln in lines:
        f = ln.split()
        try:
            if direction == "in":  # FRAME LEN 90 NN VV (hex)
                if len(f) != 5 or f[1] != "3" or f[2] != "90":
                    continue
                t = int(f[0]) / RATE * 1e6
                note, vel = int(f[3], 16), int(f[4], 16)
            else:  # NS NOTE VEL
                if len(f) != 3:
                    continue
                t = int(f[0]) / 1000.0
                note, vel = int(f[1]), int(f[2])
        except ValueError:
            continue
        pts.append(((vel - 1) * 100 + note - 20, t))
    return pts


def fit(pts):
    n = len(pts)
    if n < 3:
        return None
    mx = sum(i for i, _ in pts) / n
    my = sum(t for _, t in pts) / n
    sxx = sum((i - mx) ** 2 for i, _ in pts)
    b = sum((i - mx) * (t - my) for i, t in pts) / sxx
    a = my - b * mx
    r = sorted(abs(t - (a + b * i)) for i, t in pts)
    pct = lambda p: r[min(len(r) - 1, int(p * len(r)))]
    return {"n": n, "step_us": b, "p50": pct(0.5), "p99": pct(0.99), "max": r[-1]}


def main():
    d = sys.argv[1]
    want = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    rows = {}
    for tag in ("rill", "a2j", "jackd"):
        for direction in ("in", "out"):
            pts = series(f"{d}/bench-{tag}-{direction}.txt", direction)
            rows[(tag, direction)] = fit(pts) if pts else None
    names = {"rill": "rill's bridge", "a2j": "a2jmidid -e on rill", "jackd": "jackd2 -X seq"}
    dirs = {"in": "ALSA -> JACK", "out": "JACK -> ALSA"}
    print("| bridge | direction | events | step (us) | p50 (us) | p99 (us) | max (us) | p99 / rill's |")
    print("|---|---|---|---|---|---|---|---|")
    for direction in ("in", "out"):
        base = rows[("rill", direction)]
        for tag in ("rill", "a2j", "jackd"):
            r = rows[(tag, direction)]
            if not r:
                print(f"| {names[tag]} | {dirs[direction]} | 0 of {want} | - | - | - | - | - |")
                continue
            ratio = "-"
            if base and base["p99"] > 0:
                ratio = f"{r['p99'] / base['p99']:.1f}"
            print(f"| {names[tag]} | {dirs[direction]} | {r['n']} of {want} | {r['step_us']:.1f} | "
                  f"{r['p50']:.0f} | {r['p99']:.0f} | {r['max']:.0f} | {ratio} |")


main()
