#!/bin/bash
# bench/osc.sh — OSC requests per second (ping, status, connect/disconnect)
# over UDP and the Unix socket, and the time from /rill/connect to the
# connection being live in the cycle (rill-tone's output into a bench
# client), at 64 and 256 frames. Run by `make bench` (bench-osc); prints a
# markdown table. Never a test: the numbers depend on the machine.
# Processes are stopped by PID.
set -u
B=${RILL_TOP_BUILDDIR:?run through make bench, or set RILL_TOP_BUILDDIR}
N=${OSC_BENCH_N:-20000}
LIVE_N=${OSC_BENCH_LIVE_N:-50}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/rill-osc-bench.XXXXXX")
export XDG_RUNTIME_DIR=$TMP/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
export RILL_INTERNAL_DIR=$B/internal/.libs
export RILL_JACK_LIBDIR=$B/clients/jack/.libs
NAME=osc-bench-$$
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait; rm -rf "$TMP"' EXIT

start() {
    "$B/engine/rilld" -n "$NAME" --osc --osc-udp 0 --osc-rate 0 -l rill-tone:freq=1000 \
        -d dummy -r 48000 -p "$1" >"$TMP/rilld.log" 2>&1 &
    PID=$!
    for _ in $(seq 200); do
        [ -s "$XDG_RUNTIME_DIR/rill/$NAME.osc-url" ] && "$B/tools/rillctl" -s "$NAME" ports |
            grep -q '^rill-tone:out$' && return 0
        sleep 0.05
    done
    echo "osc bench: rilld did not start: $(cat "$TMP/rilld.log")" >&2
    exit 1
}
stop() {
    kill "$PID"
    wait "$PID"
    PID=
}

echo "| transport | ping /s | status /s | connect or disconnect /s |"
echo "|---|---|---|---|"
start 256
UDP=$(sed -n 1p "$XDG_RUNTIME_DIR/rill/$NAME.osc-url")
UNIX=$(sed -n 2p "$XDG_RUNTIME_DIR/rill/$NAME.osc-url")
for url in "$UDP" "$UNIX"; do
    row="| ${url%%://*} |"
    for kind in ping status connect; do
        r=$("$B/bench/rill-bench-osc" rps "$url" "$kind" "$N") || { echo "osc bench: $kind failed" >&2; exit 1; }
        row="$row $(echo "$r" | awk '{print $5}') |"
    done
    echo "$row"
done
stop
echo
echo "| period | /rill/ok after (median / p95) | live in the cycle after (median / p95) |"
echo "|---|---|---|"
for p in 64 256; do
    start "$p"
    UDP=$(sed -n 1p "$XDG_RUNTIME_DIR/rill/$NAME.osc-url")
    r=$(JACK_DEFAULT_SERVER=$NAME "$B/tools/rill-jack" "$B/bench/rill-bench-osc" live "$UDP" \
        rill-tone:out "$LIVE_N") || { echo "osc bench: live failed" >&2; exit 1; }
    eval "$(echo "$r" | tr ' ' '\n' | grep '=')"
    echo "| $p frames ($(awk -v p="$p" 'BEGIN { printf "%.2f", p / 48 }') ms) | ${ok_median_us} / ${ok_p95_us} µs | ${live_median_us} / ${live_p95_us} µs |"
    stop
done
