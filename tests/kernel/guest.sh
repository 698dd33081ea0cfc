#!/bin/bash
# tests/kernel/guest.sh BUILD OUT — runs inside the qemu guest (chroot of the
# host's root), against the real kernel ALSA cards snd-aloop (Loopback) and
# snd-dummy (Dummy). Runs rilld -d alsa and alsa-utils with host-built
# binaries; writes what it sees into OUT (results.txt, captures, logs). The
# host checks the results (kernel.sh): nothing here decides pass or fail.
#
# results.txt lines:
#   loop TAG FORMAT PERIOD NPERIODS started=0|1 xruns=N rate=R aplay_alive=0|1
#   refuse TAG rc=N
#   latency measured=... (the client's line)
#   xrun before=N after=N client_alive=0|1
#   duplex cycles=N xruns=N (client) engine_cycles=N
#   probe TAG dev=D p=P n=N r=R cycles=... (rill-kernel-probe's figures)
#   aplay TAG rc=N underruns=N wall=SECONDS
#   period before=P rc=N after=P client_alive=0|1; period2 rc=N after=P cycles_...
#   ponly started=0|1; conly started=0|1 aplay_alive=0|1; hda card=0|1 started=0|1 ...
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
# want SECTION: run it? (RILL_ONLY, comma-separated, from kernel.sh's
# RILL_KERNEL_ONLY; all sections when unset)
want() { [ -z "${RILL_ONLY:-}" ] || [[ ",$RILL_ONLY," == *",$1,"* ]]; }
PROBE=$B/tests/kernel/rill-kernel-probe

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
loop_case() { # TAG FORMAT PERIOD NPERIODS [RATE]
    local tag=$1 fmt=$2 p=$3 n=$4 r=${5:-48000} gen=gen-$2.raw
    [ "$r" = 48000 ] || gen=gen-$2-$r.raw
    say "loop $tag: $fmt, $p x $n at $r Hz"
    if ! start_rilld "$tag" -d hw:Loopback,0,0 -r "$r" -p "$p" -n "$n" -i 2 -o 2 \
        --format "$fmt"; then
        res "loop $tag $fmt $p $n started=0 xruns=0 rate=$r"
        return
    fi
    client tone tone 440 0.5
    local tpid=$CPID
    aplay -q -D hw:Loopback,1,0 -f "$fmt" -c 2 -r "$r" -t raw "$OUT/$gen" \
        > "$OUT/$tag.aplay.log" 2>&1 &
    local apid=$!
    # until aplay really plays (it reads its file over 9p, which can be slow)
    for _ in $(seq 50); do
        grep -q RUNNING /proc/asound/Loopback/pcm1p/sub0/status 2> /dev/null && break
        sleep 0.1
    done
    # (bounded: a guest too slow for the period must not hang the run)
    JACK_DEFAULT_SERVER=k timeout 40 "$RJ" "$CL" record rec 1.0 "$OUT/$tag.cap.f32" \
        > "$OUT/$tag.record.log" 2>&1 &
    local rpid=$!
    timeout -s INT 20 arecord -q -D hw:Loopback,1,0 -f "$fmt" -c 2 -r "$r" -t raw -d 1 \
        "$OUT/$tag.arec.raw" > "$OUT/$tag.arecord.log" 2>&1
    wait "$rpid"
    local aplay_alive=0 # aplay still playing when the recording ended
    kill -0 "$apid" 2> /dev/null && aplay_alive=1
    "$RILLCTL" -s k status > "$OUT/$tag.status" 2>&1
    "$RILLCTL" -s k ports -a > "$OUT/$tag.ports" 2>&1
    local xr
    xr=$(status_field xruns)
    kill "$apid" "$tpid" 2> /dev/null
    wait "$apid" "$tpid" 2> /dev/null
    stop_rilld
    res "loop $tag $fmt $p $n started=1 xruns=${xr:-?} rate=$r aplay_alive=$aplay_alive"
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

if want loop; then
loop_case s32-1024x3 S32_LE 1024 3
fi

if want refuse; then
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
fi

# ---- 3. round-trip latency: playback hw:Loopback,0,0 -> capture hw:Loopback,1,0
# measure_latency TAG ARG: one "TAG measured=... min=... max=..." line in RES.
# Every impulse must come back after the same delay; under TCG a late cycle
# in the loop now and then shifts one impulse by a whole period, so a run
# whose impulses disagree is measured once more (the first line is kept in
# RES as TAG-first, which the host's check does not read).
measure_latency() {
    local tag=$1 arg=$2 line try
    for try in 1 2; do
        JACK_DEFAULT_SERVER=k "$RJ" "$CL" latency lat "$arg" > "$OUT/$tag.client.log" 2>&1
        line=$(grep -m 1 '^latency measured=' "$OUT/$tag.client.log")
        line=${line/#latency/$tag}
        case " $line " in
        *" min="*" max="*)
            local lo=${line#* min=} hi=${line#* max=}
            [ "${lo%% *}" = "${hi%% *}" ] && break ;;
        esac
        [ $try = 1 ] && { echo "${line/#$tag/$tag-first}" >> "$RES"; say "$tag: impulses disagree, measuring again"; }
    done
    echo "$line" >> "$RES"
}
if want latency; then
say "latency"
if start_rilld latency -C hw:Loopback,1,0 -P hw:Loopback,0,0 -r 48000 -p 1024 -n 2 -i 1 -o 1; then
    measure_latency latency 3
    stop_rilld
else
    res "latency start-failed"
fi
say "latency 3 periods"
if start_rilld latency3 -C hw:Loopback,1,0 -P hw:Loopback,0,0 -r 48000 -p 512 -n 3 -i 1 -o 1 -I 7 -O 11; then
    measure_latency latency3 2
    stop_rilld
else
    res "latency3 start-failed"
fi
fi

# ---- 4. xrun: rilld stopped for 300 ms mid-run, then must carry on
if want xrun; then
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
fi

# ---- 5. snd-dummy, full duplex through a client
if want dummy; then
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
fi
# ---- 5a. the driver by itself at short periods (rill-kernel-probe: no
#          engine, no clients) next to aplay at the same period: tells what
#          the guest's ALSA layer carries from what rill's cycle adds
probe_case() { # TAG DEVICE PERIOD NPERIODS RATE
    local tag=$1 dev=$2 p=$3 n=$4 r=$5 line
    say "probe $tag: $dev $p x $n at $r Hz"
    line=$(timeout 30 "$PROBE" 2 -d "$dev" -r "$r" -p "$p" -n "$n" -i 2 -o 2 --format S16_LE \
        2> "$OUT/probe-$tag.log" | sed -n 's/^\(probe\|driver\) //p' | tr '\n' ' ')
    res "probe $tag dev=$dev p=$p n=$n r=$r ${line:-failed}"
    # aplay on the same device and period, SCHED_FIFO as rilld: how long it
    # takes to play 2 s (stopped after 5 s), and its underruns
    local t0 t1 rc
    t0=$(up)
    timeout -s INT 5 chrt -f 70 aplay -D "$dev" -M --period-size="$p" \
        --buffer-size=$((p * n)) -f S16_LE -c 2 -r "$r" -t raw -d 2 /dev/zero \
        > "$OUT/aplay-$tag.log" 2>&1
    rc=$?
    t1=$(up)
    res "aplay $tag rc=$rc underruns=$(grep -c underrun "$OUT/aplay-$tag.log") wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
}
if want probe; then
probe_case L64x2 hw:Loopback,0,0 64 2 48000
probe_case L128x3 hw:Loopback,0,0 128 3 48000
probe_case L128x3r8k hw:Loopback,0,0 128 3 8000
probe_case D128x3 hw:Dummy 128 3 48000
fi

# ---- 5c. the period changed while running (jack_bufsize): taken on the
#          loopback (the tone goes on at the new period), refused on
#          snd-dummy (8192 x 4 is more than its buffer: the old period stays)
if want period; then
say "period"
if start_rilld period -d hw:Loopback,0,0 -r 48000 -p 1024 -n 3 -i 2 -o 2 --format S32_LE; then
    client tone tone 440 0.5
    tpid=$CPID
    p0=$(status_field period)
    JACK_DEFAULT_SERVER=k timeout 60 "$RJ" jack_bufsize 512 > "$OUT/period.bufsize.log" 2>&1
    brc=$?
    p1=$(status_field period)
    arecord -q -D hw:Loopback,1,0 -f S32_LE -c 2 -r 48000 -t raw -d 1 "$OUT/period.arec.raw" \
        > "$OUT/period.arecord.log" 2>&1
    alive=0
    "$RILLCTL" -s k clients 2> /dev/null | grep -q tone && alive=1
    kill "$tpid" 2> /dev/null
    wait "$tpid" 2> /dev/null
    stop_rilld
    res "period before=${p0:-?} rc=$brc after=${p1:-?} client_alive=$alive"
else
    res "period start-failed"
fi
if start_rilld period2 -d hw:Dummy -r 48000 -p 1024 -n 4; then
    JACK_DEFAULT_SERVER=k timeout 60 "$RJ" jack_bufsize 8192 > "$OUT/period2.bufsize.log" 2>&1
    brc=$?
    p1=$(status_field period)
    c1=$(status_field cycles)
    for _ in $(seq 50); do
        c2=$(status_field cycles)
        [ "${c2:-0}" -gt $((${c1:-0} + 10)) ] && break
        sleep 0.1
    done
    stop_rilld
    res "period2 rc=$brc after=${p1:-?} cycles_then=${c1:-?} cycles_later=${c2:-?}"
else
    res "period2 start-failed"
fi
fi

# ---- 5d. one direction: playback only and capture only on the loopback
#          (-P DEV, -C DEV), and a card that only plays (qemu's HDA with an
#          output-only codec): refused for capture, run with -P
if want onedir; then
say "playback only"
if start_rilld ponly -P hw:Loopback,0,0 -r 48000 -p 1024 -n 3 -o 2 --format S16_LE; then
    client tone tone 440 0.5
    tpid=$CPID
    arecord -q -D hw:Loopback,1,0 -f S16_LE -c 2 -r 48000 -t raw -d 1 "$OUT/ponly.arec.raw" \
        > "$OUT/ponly.arecord.log" 2>&1
    "$RILLCTL" -s k ports -a > "$OUT/ponly.ports" 2>&1
    kill "$tpid" 2> /dev/null
    wait "$tpid" 2> /dev/null
    stop_rilld
    res "ponly started=1"
else
    res "ponly started=0"
fi
say "capture only"
if start_rilld conly -C hw:Loopback,0,0 -r 48000 -p 1024 -n 3 -i 2 --format S16_LE; then
    aplay -q -D hw:Loopback,1,0 -f S16_LE -c 2 -r 48000 -t raw "$OUT/gen-S16_LE.raw" \
        > "$OUT/conly.aplay.log" 2>&1 &
    apid=$!
    for _ in $(seq 50); do
        grep -q RUNNING /proc/asound/Loopback/pcm1p/sub0/status 2> /dev/null && break
        sleep 0.1
    done
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" record rec 1.0 "$OUT/conly.cap.f32" \
        > "$OUT/conly.record.log" 2>&1
    aplay_alive=0
    kill -0 "$apid" 2> /dev/null && aplay_alive=1
    "$RILLCTL" -s k ports -a > "$OUT/conly.ports" 2>&1
    kill "$apid" 2> /dev/null
    wait "$apid" 2> /dev/null
    stop_rilld
    res "conly started=1 aplay_alive=$aplay_alive"
else
    res "conly started=0"
fi
say "HDA (output only)"
grep -q HDA /proc/asound/cards && hda=1 || hda=0
refuse_case hdaboth -d hw:HDA -r 48000 -p 1024 -n 2
if start_rilld hda -d hw:HDA -P -r 48000 -p 1024 -n 2; then
    c1=$(status_field cycles)
    sleep 1
    c2=$(status_field cycles)
    "$RILLCTL" -s k ports -a > "$OUT/hda.ports" 2>&1
    stop_rilld
    res "hda card=$hda started=1 cycles_then=${c1:-?} cycles_later=${c2:-?}"
else
    res "hda card=$hda started=0"
fi
fi

# ---- 5b. the card disappears (its driver unbound: as an unplug) while rilld
#          runs on it with a client: rilld stops with a message, the client is
#          told (exit 3), nothing hangs
if want unplug; then
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
fi

# ---- 6. short periods, each format, at 8000 Hz: 256, 128 and 64 frames are
#         32, 16 and 8 ms there, which the TCG guest carries with rilld and
#         two clients; at 48 kHz it does not (the probe, 5a, gives figures)
if want short; then
loop_case s16-256x2-8k S16_LE 256 2 8000
loop_case s24_3-128x3-8k S24_3LE 128 3 8000
loop_case float-64x4-8k FLOAT_LE 64 4 8000
fi
# ---- 7. the ALSA MIDI bridge (guest-midi.sh)
if want midi || [[ ",${RILL_ONLY:-}," == *",midi-"* ]]; then
    . "$(dirname "$0")/guest-midi.sh"
fi
say "done"
