#!/bin/bash
# tests/kernel/guest.sh BUILD OUT — runs inside the qemu guest (chroot of the
# host's root), against the real kernel ALSA cards snd-aloop (Loopback) and
# snd-dummy (Dummy). Runs rilld -d alsa and alsa-utils with host-built
# binaries; writes what it sees into OUT (results.txt, captures, logs). The
# host checks the results (kernel.sh): nothing here decides pass or fail.
#
# results.txt lines:
#   loop TAG FORMAT PERIOD NPERIODS started=0|1 xruns=N
#   refuse TAG rc=N
#   latency measured=... (the client's line)
#   xrun before=N after=N client_alive=0|1
#   duplex cycles=N xruns=N (client) engine_cycles=N
B=$1
OUT=$2
export TMPDIR=/run/rill-tmp XDG_RUNTIME_DIR=/run/rill-xdg
mkdir -p "$TMPDIR"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
export RILL_JACK_LIBDIR=$B/clients/jack/.libs
RILLD=$B/engine/rilld
RILLCTL=$B/tools/rillctl
RJ=$B/tools/rill-jack
CL=$B/tests/kernel/rill-kernel-client
RES=$OUT/results.txt
: > "$RES"
up() { cut -d' ' -f1 /proc/uptime; }
res() { echo "$*" >> "$RES"; }
say() { echo "guest $(up): $*"; }

cat /proc/asound/cards
RPID=
# start_rilld TAG ARGS...: rilld -n k -d alsa ARGS; waits until ready (0) or
# until it exits (its status).
start_rilld() {
    local tag=$1
    shift
    # -t 5000: under TCG a client can be slow; it must not be cut out
    "$RILLD" -n k -t 5000 -d alsa "$@" > "$OUT/$tag.rilld.log" 2>&1 &
    RPID=$!
    for _ in $(seq 150); do
        grep -q "ready" "$OUT/$tag.rilld.log" && return 0
        if ! kill -0 "$RPID" 2> /dev/null; then
            wait "$RPID"
            local rc=$?
            RPID=
            return $rc
        fi
        sleep 0.1
    done
    return 124
}
stop_rilld() {
    [ -n "$RPID" ] || return 0
    kill -TERM "$RPID" 2> /dev/null
    for _ in $(seq 50); do kill -0 "$RPID" 2> /dev/null || break; sleep 0.1; done
    kill -KILL "$RPID" 2> /dev/null
    wait "$RPID" 2> /dev/null
    RPID=
}
# client MODE NAME ARGS... in the background; CPID; waits for its "ready"
client() {
    local log=$OUT/$2.client.log
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" "$@" > "$log" 2>&1 &
    CPID=$!
    for _ in $(seq 100); do
        grep -q ready "$log" && return 0
        kill -0 "$CPID" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}
status_field() { "$RILLCTL" -s k status 2> /dev/null | awk -v k="$1" '$1 == k":" {print $2; exit}'; }

# ---- 1. tone out to hw:Loopback,0,0 (arecord hw:Loopback,1,0 checks it) and
#         aplay into hw:Loopback,1,0 (a client in rilld records it)
loop_case() { # TAG FORMAT PERIOD NPERIODS
    local tag=$1 fmt=$2 p=$3 n=$4
    say "loop $tag: $fmt, $p x $n"
    if ! start_rilld "$tag" -d hw:Loopback,0,0 -r 48000 -p "$p" -n "$n" -i 2 -o 2 \
        --format "$fmt"; then
        res "loop $tag $fmt $p $n started=0 xruns=0"
        return
    fi
    client tone tone 440 0.5
    local tpid=$CPID
    aplay -q -D hw:Loopback,1,0 -f "$fmt" -c 2 -r 48000 -t raw "$OUT/gen-$fmt.raw" \
        > "$OUT/$tag.aplay.log" 2>&1 &
    local apid=$!
    # until aplay really plays (it reads its file over 9p, which can be slow)
    for _ in $(seq 50); do
        grep -q RUNNING /proc/asound/Loopback/pcm1p/sub0/status 2> /dev/null && break
        sleep 0.1
    done
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" record rec 1.0 "$OUT/$tag.cap.f32" \
        > "$OUT/$tag.record.log" 2>&1 &
    local rpid=$!
    arecord -q -D hw:Loopback,1,0 -f "$fmt" -c 2 -r 48000 -t raw -d 1 "$OUT/$tag.arec.raw" \
        > "$OUT/$tag.arecord.log" 2>&1
    wait "$rpid"
    "$RILLCTL" -s k status > "$OUT/$tag.status" 2>&1
    "$RILLCTL" -s k ports -a > "$OUT/$tag.ports" 2>&1
    local xr
    xr=$(status_field xruns)
    kill "$apid" "$tpid" 2> /dev/null
    wait "$apid" "$tpid" 2> /dev/null
    stop_rilld
    res "loop $tag $fmt $p $n started=1 xruns=${xr:-?}"
}

# ---- 2. refusals: rilld must not start, and must say why
refuse_case() { # TAG ARGS...
    local tag=$1
    shift
    say "refuse $tag: $*"
    start_rilld "$tag" "$@"
    local rc=$?
    [ "$rc" = 0 ] && stop_rilld
    res "refuse $tag rc=$rc"
}

loop_case s32-1024x3 S32_LE 1024 3

refuse_case rate -d hw:Loopback,0,0 -r 384000 -p 256
refuse_case format -d hw:Dummy -p 256 --format S32_LE
refuse_case nperiods -d hw:Dummy -p 8192 -n 8
refuse_case nodev -d hw:9 -p 256
refuse_case channels -d hw:Dummy -p 256 -i 64
arecord -q -D hw:Loopback,1,0 -f S16_LE -c 2 -r 48000 -t raw -d 5 /dev/null &
ARPID=$!
sleep 0.5
refuse_case busy -C hw:Loopback,1,0 -p 256
kill "$ARPID" 2> /dev/null
wait "$ARPID" 2> /dev/null

# ---- 3. round-trip latency: playback hw:Loopback,0,0 -> capture hw:Loopback,1,0
say "latency"
if start_rilld latency -C hw:Loopback,1,0 -P hw:Loopback,0,0 -r 48000 -p 1024 -n 2 -i 1 -o 1; then
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" latency lat 3 > "$OUT/latency.client.log" 2>&1
    grep '^latency' "$OUT/latency.client.log" >> "$RES"
    stop_rilld
else
    res "latency start-failed"
fi
say "latency 3 periods"
if start_rilld latency3 -C hw:Loopback,1,0 -P hw:Loopback,0,0 -r 48000 -p 512 -n 3 -i 1 -o 1 -I 7 -O 11; then
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" latency lat 2 > "$OUT/latency3.client.log" 2>&1
    grep '^latency' "$OUT/latency3.client.log" | sed 's/^latency/latency3/' >> "$RES"
    stop_rilld
else
    res "latency3 start-failed"
fi

# ---- 4. xrun: rilld stopped for 300 ms mid-run, then must carry on
say "xrun"
if start_rilld xrun -d hw:Loopback,0,0 -r 48000 -p 1024 -n 2 -i 2 -o 2 --format S24_LE; then
    client tone tone 440 0.5
    tpid=$CPID
    sleep 1
    before=$(status_field xruns)
    kill -STOP "$RPID"
    sleep 0.3
    kill -CONT "$RPID"
    sleep 1.5
    after=$(status_field xruns)
    arecord -q -D hw:Loopback,1,0 -f S24_LE -c 2 -r 48000 -t raw -d 1 "$OUT/xrun.arec.raw" \
        > "$OUT/xrun.arecord.log" 2>&1
    alive=0
    "$RILLCTL" -s k clients 2> /dev/null | grep -q tone && alive=1
    "$RILLCTL" -s k status > "$OUT/xrun.status" 2>&1
    kill "$tpid" 2> /dev/null
    wait "$tpid" 2> /dev/null
    stop_rilld
    res "xrun before=${before:-?} after=${after:-?} client_alive=$alive"
else
    res "xrun start-failed"
fi

# ---- 5. snd-dummy, full duplex through a client
say "dummy duplex"
if start_rilld dummy -d hw:Dummy -r 48000 -p 1024 -n 2; then
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" duplex dup 3 > "$OUT/dummy.client.log" 2>&1
    c=$(status_field cycles)
    "$RILLCTL" -s k ports -a > "$OUT/dummy.ports" 2>&1
    stop_rilld
    echo "$(grep '^duplex' "$OUT/dummy.client.log") engine_cycles=${c:-?}" >> "$RES"
else
    res "duplex start-failed"
fi
# ---- 5b. the card disappears (its driver unbound: as an unplug) while rilld
#          runs on it with a client: rilld stops with a message, the client is
#          told (exit 3), nothing hangs
say "unplug"
if start_rilld unplug -d hw:Dummy -r 48000 -p 1024 -n 2; then
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" duplex dup2 30 > "$OUT/unplug.client.log" 2>&1 &
    upid=$!
    sleep 1.5
    t0=$(up)
    echo snd_dummy.0 > /sys/bus/platform/drivers/snd_dummy/unbind &
    ubpid=$!
    for _ in $(seq 100); do kill -0 "$RPID" 2> /dev/null || break; sleep 0.1; done
    if kill -0 "$RPID" 2> /dev/null; then
        rrc=running
        stop_rilld
    else
        wait "$RPID"
        rrc=$?
        RPID=
    fi
    t1=$(up)
    for _ in $(seq 50); do kill -0 "$upid" 2> /dev/null || break; sleep 0.1; done
    kill "$upid" 2> /dev/null
    wait "$upid"
    crc=$?
    wait "$ubpid" 2> /dev/null
    res "unplug rilld_rc=$rrc client_rc=$crc seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')"
else
    res "unplug start-failed"
fi

# ---- 6. short periods, each format (last: under TCG they glitch, and slowly)
loop_case s16-256x2 S16_LE 256 2
loop_case s24_3-128x3 S24_3LE 128 3
loop_case float-64x2 FLOAT_LE 64 2
say "done"
