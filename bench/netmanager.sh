#!/bin/bash
# bench/netmanager.sh — rill's netmanager against jackd2's, as NetJACK2
# masters of the same follower, in the same run (make bench-netmanager, as
# root; never part of make check).
#
# Two network namespaces joined by a veth pair (as the tests). In A the
# master: `rilld -l netmanager -d dummy` or `jackd -d dummy` + `jack_load
# netmanager`, 48 kHz, at 64, 128 and 256 frames. In B jackd2's
# jack_net_slave (1 channel each way, latency 2, echoing its input). On the
# master jackd2's jack_iodelay measures the round trip through the follower
# (to_slave_1 -> the follower -> from_slave_1; its "total roundtrip
# latency": the loop through jack_delay closes a cycle in the graph, whose
# feedback connection adds a period to the network's L), and the master process's CPU
# time (utime + stime from /proc) over BENCH_SECONDS is divided by the cycles
# in that time: CPU per cycle of the whole server (driver, graph, the
# netmanager's network I/O). The two masters alternate, BENCH_ROUNDS rounds;
# each figure is the median.
#
# Results: a table on stdout, and into doc/network.md between the markers
# (BENCH_DOC=FILE elsewhere, BENCH_DOC= nowhere).
set -u
: "${RILL_TOP_BUILDDIR:?run through make bench-netmanager}"
RILL_TOP_SRCDIR=${RILL_TOP_SRCDIR:-$RILL_TOP_BUILDDIR}
SECONDS_PER=${BENCH_SECONDS:-5}
ROUNDS=${BENCH_ROUNDS:-3}
PERIODS=${BENCH_PERIODS:-64 128 256}
DOC=${BENCH_DOC-$RILL_TOP_SRCDIR/doc/network.md}
RILLD=$RILL_TOP_BUILDDIR/engine/rilld
RILLCTL=$RILL_TOP_BUILDDIR/tools/rillctl
RILL_JACK=$RILL_TOP_BUILDDIR/tools/rill-jack
export RILL_JACK_LIBDIR=$RILL_TOP_BUILDDIR/clients/jack/.libs
export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/internal/.libs
TMP=$(mktemp -d /tmp/rill-bench-net.XXXXXX)
export XDG_RUNTIME_DIR=$TMP/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR"
export JACK_NO_START_SERVER=1

[ "$(id -u)" = 0 ] || { echo "bench-netmanager: needs root (network namespaces)"; exit 77; }
for p in jackd jack_load jack_net_slave jack_iodelay jack_connect jack_lsp; do
    command -v "$p" >/dev/null || { echo "bench-netmanager: $p (jackd2) is missing"; exit 77; }
done

NSA=rbnA$$ NSB=rbnB$$ VA=rbna$$ VB=rbnb$$
# measure() runs in a subshell and stops what it started; what an
# interrupted run leaves is in $TMP/pids
cleanup() {
    [ -f "$TMP/pids" ] && while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$TMP/pids"
    ip netns del "$NSA" 2>/dev/null
    ip netns del "$NSB" 2>/dev/null
    jack_forget
    [ -n "${BENCH_KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$NSA" && ip netns add "$NSB" && ip link add "$VA" type veth peer name "$VB" &&
    ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" &&
    ip -n "$NSA" addr add 10.221.0.1/24 dev "$VA" && ip -n "$NSB" addr add 10.221.0.2/24 dev "$VB" ||
    { echo "bench-netmanager: cannot set up the namespaces"; exit 1; }
for x in "$NSA:$VA" "$NSB:$VB"; do
    ip -n "${x%%:*}" link set lo up && ip -n "${x%%:*}" link set "${x##*:}" up &&
        ip -n "${x%%:*}" route add 224.0.0.0/4 dev "${x##*:}"
done

wait_for() { # CONDITION TIMEOUT
    local end=$((SECONDS + $2))
    until eval "$1" >/dev/null 2>&1; do
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.1
    done
}
stop() { kill -TERM "$1" 2>/dev/null; wait_for "! kill -0 $1" 10 || kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
# jackd2 keeps a killed server in its machine-wide shm registry: free the
# slot of this run's server if its process is gone (as the tests do)
jack_forget() {
    python3 - "rbj$$" <<'PY' 2>/dev/null
import os, struct, sys
name = ("jack-%d:%s:" % (os.getuid(), sys.argv[1])).encode()
path = "/dev/shm/jack-shm-registry"
if os.path.exists(path):
    with open(path, "r+b") as f:
        d = bytearray(f.read())
        hdr_len, entry = struct.unpack_from("<II", d, 16)
        slot = (hdr_len - 24) // 8 if hdr_len > 24 else 0
        for i in range(8 if 0 < slot <= 512 else 0):
            o = 24 + slot * i
            pid = struct.unpack_from("<i", d, o)[0]
            if d[o + 4:o + 4 + len(name) + 1] == name + b"\0" and pid > 0 and \
                    not os.path.exists("/proc/%d" % pid):
                d[o:o + slot] = bytes(slot)
        f.seek(0)
        f.write(d)
PY
    rm -f /dev/shm/jack_rbj$$_* /dev/shm/jack_sem.*_rbj$$_* 2>/dev/null
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# one measurement: MASTER (rill|jackd2) PERIOD -> "roundtrip_frames cpu_us_per_cycle"
measure() {
    local master=$1 p=$2 srv mpid run lsp fport t0 t1 c0 c1 out rt
    if [ "$master" = rill ]; then
        srv=rbr$$
        ip netns exec "$NSA" "$RILLD" -n "$srv" -l netmanager -d dummy -r 48000 -p "$p" \
            >"$TMP/$srv-$p.log" 2>&1 &
        mpid=$!
        echo "$mpid" >>"$TMP/pids"
        run() { "$RILL_JACK" -s "$srv" "$@"; }
        wait_for "grep -q 'netmanager: listening' '$TMP/$srv-$p.log'" 10 || { stop "$mpid"; return 1; }
    else
        srv=rbj$$
        ip netns exec "$NSA" jackd -n "$srv" -R -P 20 -d dummy -r 48000 -p "$p" \
            >"$TMP/$srv-$p.log" 2>&1 &
        mpid=$!
        echo "$mpid" >>"$TMP/pids"
        run() { JACK_DEFAULT_SERVER=$srv "$@"; }
        wait_for "JACK_DEFAULT_SERVER=$srv jack_lsp" 20 || { stop "$mpid"; jack_forget; return 1; }
        JACK_DEFAULT_SERVER=$srv jack_load netmanager >/dev/null 2>&1 ||
            { stop "$mpid"; jack_forget; return 1; }
    fi
    ip netns exec "$NSB" jack_net_slave -C 1 -P 1 >"$TMP/slave.log" 2>&1 &
    local spid=$!
    echo "$spid" >>"$TMP/pids"
    wait_for "run jack_lsp | grep -q ':to_slave_1\$'" 20 || { stop "$spid"; stop "$mpid"; return 1; }
    fport=$(run jack_lsp | grep ':to_slave_1$' | head -1)
    fport=${fport%:to_slave_1}
    # (started directly, not through run(): $! must be jack_iodelay itself)
    # (unbuffered: it is stopped by a signal and would lose its output)
    if [ "$master" = rill ]; then
        "$RILL_JACK" -s "$srv" stdbuf -o0 jack_iodelay >"$TMP/iodelay.log" 2>&1 &
    else
        JACK_DEFAULT_SERVER=$srv stdbuf -o0 jack_iodelay >"$TMP/iodelay.log" 2>&1 &
    fi
    local ipid=$!
    echo "$ipid" >>"$TMP/pids"
    wait_for "run jack_lsp | grep -q '^jack_delay:out\$'" 10
    run jack_connect jack_delay:out "$fport:to_slave_1" >/dev/null 2>&1
    run jack_connect "$fport:from_slave_1" jack_delay:in >/dev/null 2>&1
    sleep 1
    c0=$(cpu_ticks "$mpid")
    t0=$(date +%s%N)
    sleep "$SECONDS_PER"
    c1=$(cpu_ticks "$mpid")
    t1=$(date +%s%N)
    stop "$ipid"
    rt=$(tr '\r' '\n' <"$TMP/iodelay.log" | grep -a 'total roundtrip latency' | tail -1 |
        awk '{ print $1 }')
    out=$(awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v ns="$((t1 - t0))" -v p="$p" \
        'BEGIN { cycles = ns / 1e9 * 48000 / p; printf "%.1f", c / hz * 1e6 / cycles }')
    stop "$spid"
    stop "$mpid"
    [ "$master" = jackd2 ] && jack_forget
    echo "${rt:-none} $out"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'; }

declare -A RT CPU
for p in $PERIODS; do
    for r in $(seq "$ROUNDS"); do
        order="rill jackd2"
        [ $((r % 2)) = 0 ] && order="jackd2 rill"
        for m in $order; do
            res=$(measure "$m" "$p") || res="none -"
            echo "bench-netmanager: $m, $p frames, round $r: round trip ${res% *} frames, ${res#* } us CPU per cycle"
            RT[$m,$p]="${RT[$m,$p]:-} ${res% *}"
            CPU[$m,$p]="${CPU[$m,$p]:-} ${res#* }"
        done
    done
done

table=$(
    echo "| period | master | round trip (jack_iodelay) | CPU per cycle, whole server |"
    echo "|---|---|---|---|"
    for p in $PERIODS; do
        for m in rill jackd2; do
            rt=$(tr ' ' '\n' <<<"${RT[$m,$p]}" | grep -v '^$' | grep -v none | median)
            cpu=$(tr ' ' '\n' <<<"${CPU[$m,$p]}" | grep -v '^$' | grep -v -- - | median)
            echo "| $p | $m | $rt frames | $cpu µs |"
        done
    done
)
echo "$table"
if [ -n "$DOC" ] && grep -q '<!-- bench-netmanager:begin -->' "$DOC"; then
    {
        sed '/<!-- bench-netmanager:begin -->/q' "$DOC"
        echo
        echo "Last run: $(date -u +%Y-%m-%d), $(nproc) CPUs, $ROUNDS rounds of ${SECONDS_PER} s" \
            "(medians), jack_net_slave -C 1 -P 1 (latency 2) in the other namespace; the round" \
            "trip includes the period of the feedback connection that closes jack_iodelay's loop."
        echo
        echo "$table"
        echo
        sed -n '/<!-- bench-netmanager:end -->/,$p' "$DOC"
    } >"$TMP/doc" && cat "$TMP/doc" >"$DOC"
    echo "bench-netmanager: table written to $DOC"
fi
