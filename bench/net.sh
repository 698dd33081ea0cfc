#!/bin/bash
# bench/net.sh — rill's NetJACK2 follower against jackd2's, in the same
# network namespaces and run (`make bench-net`, part of `make bench`; needs
# root for `ip netns`; never a test).
#
# Namespace A: jackd -d dummy at 48 kHz, period P, with jackd2's netmanager
# (the master). Namespace B: the follower, in turn rilld -d net and jackd2's
# own jackd -d net, both -C 1 -P 1 at the default network latency (5
# cycles), with system:capture_1 connected to system:playback_1 (the
# follower sends back what it gets). For P in 64, 128, 256:
#   latency  jack_iodelay on the master, out -> FOLLOWER:to_slave_1,
#            FOLLOWER:from_slave_1 -> in: the round trip across the link and
#            the follower, in frames (its last stable reading);
#   CPU      the follower process's CPU time (every thread's schedstat) over
#            BENCH_NET_SECONDS, per period of wall time, in microseconds.
# The table gives both followers' figures and rill / jackd2 as ratios.
# Environment: RILL_TOP_BUILDDIR (set by make), BENCH_NET_PERIODS
# ("64 128 256"), BENCH_NET_SECONDS (4), BENCH_DOC (a markdown file to
# append the table to; empty: stdout only).
set -u
B=${RILL_TOP_BUILDDIR:?run through make bench-net}
PERIODS=${BENCH_NET_PERIODS:-"64 128 256"}
SECS=${BENCH_NET_SECONDS:-4}
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1 || ! command -v jack_iodelay >/dev/null 2>&1; then
    echo "bench-net: needs root, ip (iproute2) and jackd2's jack_iodelay: skipped" >&2
    exit 0
fi
TMP=$(mktemp -d /tmp/rill-bench-net.XXXXXX)
export XDG_RUNTIME_DIR=$TMP/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
NSA=rbnA$$ NSB=rbnB$$ VA=rbna$$ VB=rbnb$$
M=rbm$$ F=rbf$$ FN=rbfollow$$
PIDS=()
stop_pid() { kill "$1" 2>/dev/null; for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done; kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
cleanup() {
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    [ -n "${BENCH_KEEP:-}" ] && echo "bench-net: kept $TMP" >&2 || rm -rf "$TMP"
    rm -rf /dev/shm/jack_"$M"_* /dev/shm/jack_"$F"_*
}
trap cleanup EXIT
ip netns add "$NSA" && ip netns add "$NSB" && ip link add "$VA" type veth peer name "$VB" &&
    ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
    ip -n "$NSA" addr add 10.221.0.1/24 dev "$VA" && ip -n "$NSB" addr add 10.221.0.2/24 dev "$VB" || {
    echo "bench-net: cannot make the namespaces" >&2
    exit 1
}
for x in "$NSA:$VA" "$NSB:$VB"; do
    ip -n "${x%%:*}" link set lo up
    ip -n "${x%%:*}" link set "${x##*:}" up
    ip -n "${x%%:*}" route add 224.0.0.0/4 dev "${x##*:}"
done

ticks() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s / 1000 }'; }
wait_port() { # SERVER-ENV PORT
    for _ in $(seq 100); do env $1 jack_lsp 2>/dev/null | grep -qxF "$2" && return 0; sleep 0.1; done
    return 1
}

# one case: FOLLOWER-KIND PERIOD -> "latency_frames cpu_us_per_cycle"
measure() {
    local kind=$1 p=$2 jpid fpid ipid t0 t1 w0 w1 lat
    ip netns exec "$NSA" jackd -n "$M" -d dummy -r 48000 -p "$p" >"$TMP/jackd-$kind-$p.log" 2>&1 &
    jpid=$!
    PIDS+=("$jpid")
    timeout 20 jack_wait -s "$M" -w -t 15 >/dev/null 2>&1 || { echo "- -"; stop_pid "$jpid"; return; }
    JACK_DEFAULT_SERVER=$M jack_load netmanager >/dev/null 2>&1
    if [ "$kind" = rill ]; then
        ip netns exec "$NSB" "$B/engine/rilld" -n "$F" -d net -C 1 -P 1 -n "$FN" >"$TMP/f-$kind-$p.log" 2>&1 &
        fpid=$!
        for _ in $(seq 100); do grep -q "ready:" "$TMP/f-$kind-$p.log" && break; sleep 0.1; done
        "$B/tools/rillctl" -s "$F" connect system:capture_1 system:playback_1 >/dev/null 2>&1
    else
        ip netns exec "$NSB" jackd -n "$F" -d net -C 1 -P 1 -n "$FN" >"$TMP/f-$kind-$p.log" 2>&1 &
        fpid=$!
        timeout 20 jack_wait -s "$F" -w -t 15 >/dev/null 2>&1
        JACK_DEFAULT_SERVER=$F jack_connect system:capture_1 system:playback_1 >/dev/null 2>&1
    fi
    PIDS+=("$fpid")
    if ! wait_port "JACK_DEFAULT_SERVER=$M" "$FN:to_slave_1"; then
        echo "- -"
        stop_pid "$fpid"
        stop_pid "$jpid"
        return
    fi
    JACK_DEFAULT_SERVER=$M stdbuf -oL jack_iodelay >"$TMP/iodelay-$kind-$p.txt" 2>&1 &
    ipid=$!
    PIDS+=("$ipid")
    wait_port "JACK_DEFAULT_SERVER=$M" "jack_delay:in"
    JACK_DEFAULT_SERVER=$M jack_connect jack_delay:out "$FN:to_slave_1" >/dev/null 2>&1
    JACK_DEFAULT_SERVER=$M jack_connect "$FN:from_slave_1" jack_delay:in >/dev/null 2>&1
    sleep 1
    t0=$(ticks "$fpid") w0=$(date +%s%N)
    sleep "$SECS"
    t1=$(ticks "$fpid") w1=$(date +%s%N)
    stop_pid "$ipid"
    lat=$(grep -o '^ *[0-9.]* frames' "$TMP/iodelay-$kind-$p.txt" | tail -1 | awk '{ printf "%.0f", $1 }')
    awk -v l="${lat:--}" -v dt=$((t1 - t0)) -v w=$((w1 - w0)) -v p="$p" \
        'BEGIN { c = w / 1e9 * 48000 / p; printf "%s %.2f\n", l, (c > 0 ? dt / c : 0) }'
    stop_pid "$fpid"
    stop_pid "$jpid"
    rm -f /dev/shm/jack_"$M"_* /dev/shm/jack_"$F"_*
}

out=$TMP/table.md
{
    echo "NetJACK2 follower, rill vs jackd2 (jackd2 $(jackd --version 2>/dev/null | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1) netmanager as master, 48 kHz, -C 1 -P 1, latency 5 cycles, $SECS s, $(date -u +%Y-%m-%d), $(nproc) CPUs):"
    echo
    echo "| period | round trip rill (frames) | jackd2 (frames) | ratio | CPU/cycle rill (µs) | jackd2 (µs) | ratio |"
    echo "|---|---|---|---|---|---|---|"
} >"$out"
for p in $PERIODS; do
    measure rill "$p" >"$TMP/res-rill-$p" 2>>"$TMP/measure.err"
    measure jackd2 "$p" >"$TMP/res-jackd2-$p" 2>>"$TMP/measure.err"
    r=$(cat "$TMP/res-rill-$p") j=$(cat "$TMP/res-jackd2-$p")
    echo "bench-net: $p frames: rill: ${r:-nothing}; jackd2: ${j:-nothing}" >&2
    set -- ${r:-- -} ${j:-- -}
    awk -v p="$p" -v rl="$1" -v rc="$2" -v jl="$3" -v jc="$4" 'function ratio(a, b) {
            return (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) ? sprintf("%.2f", a / b) : "-" }
        BEGIN { printf "| %d | %s | %s | %s | %s | %s | %s |\n", p, rl, jl, ratio(rl, jl), rc, jc, ratio(rc, jc) }' >>"$out"
done
cat "$out"
if [ -n "${BENCH_DOC:-}" ]; then
    { echo; cat "$out"; } >>"$BENCH_DOC"
fi
