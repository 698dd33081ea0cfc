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
# until it exits (its status). RILLD_OPTS: more server options; RILLD_T: the
# client timeout in ms.
start_rilld() {
    local tag=$1
    shift
    # -t 5000: under TCG a client can be slow; it must not be cut out
    # shellcheck disable=SC2086
    "$RILLD" -n k -t "${RILLD_T:-5000}" ${RILLD_OPTS:-} -d alsa "$@" > "$OUT/$tag.rilld.log" 2>&1 &
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
#          runs on it with a client and -E (jackd's behaviour): rilld stops
#          with a message, the client is told (exit 3), nothing hangs. (The
#          default, running on, is section "lost".)
if want unplug; then
say "unplug"
if RILLD_OPTS=-E start_rilld unplug -d hw:Dummy -r 48000 -p 1024 -n 2; then
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" duplex dup2 30 > "$OUT/unplug.client.log" 2>&1 &
    upid=$!
    # until the client runs (a slow guest takes seconds to start it)
    for _ in $(seq 100); do grep -q ready "$OUT/unplug.client.log" && break; sleep 0.1; done
    sleep 0.5
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
    # bound again for the sections after this one
    [ -e /sys/bus/platform/drivers/snd_dummy/snd_dummy.0 ] ||
        echo snd_dummy.0 > /sys/bus/platform/drivers/snd_dummy/bind 2> /dev/null
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
# ---- 7. faults of the device (issue 17) and the cycle times (fault 9 of 18)
# statusv KEY: the rest of rillctl status's "KEY:" line
statusv() { "$RILLCTL" -s k status 2> /dev/null | sed -n "s/^$1: *//p" | head -1; }
# wlast FILE: the watch client's last "watch ..." line
wlast() { grep "^watch " "$1" 2> /dev/null | tail -n 1; }
# watch_start TAG: a watch client in the background (WPID), until its first line
watch_start() {
    JACK_DEFAULT_SERVER=k "$RJ" "$CL" watch "w$1" 0 > "$OUT/$1.watch.log" 2>&1 &
    WPID=$!
    for _ in $(seq 100); do
        grep -q "^watch " "$OUT/$1.watch.log" && return 0
        kill -0 "$WPID" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}
alive() { kill -0 "$1" 2> /dev/null && echo 1 || echo 0; }
wfield() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }

# 7a. jitter of jack_get_cycle_times / jack_frame_time, without the loop
#     (RILL_DLL=0: the times as poll woke) and with it, on the loopback at
#     1024 x 3 (doc/alsa.md also gives 256 x 3, measured the same way)
if want jitter; then
for p in 1024; do
    for dll in 0 1; do
        tag=jitter-$p-dll$dll
        say "$tag"
        if RILL_DLL=$dll start_rilld "$tag" -d hw:Loopback,0,0 -r 48000 -p "$p" -n 3 -i 2 -o 2; then
            JACK_DEFAULT_SERVER=k timeout 60 "$RJ" "$CL" watch jw 5 > "$OUT/$tag.watch.log" 2>&1
            stop_rilld
            res "jitter p=$p dll=$dll $(wlast "$OUT/$tag.watch.log" | cut -d' ' -f2-) $(grep '^jitter' "$OUT/$tag.watch.log" | cut -d' ' -f2-)"
        else
            res "jitter p=$p dll=$dll started=0"
        fi
    done
done
fi

# 7b. a stall of the whole machine, made on purpose: rilld and the tone
#     client stopped together (SIGSTOP) for 0.8 s, three times; the poll
#     timeout is 256 ms at 1024 x 3. The client timeout is rilld's default
#     500 ms: a stall is nobody's fault, no client may be removed.
if want stall; then
say "stall"
if RILLD_T=500 start_rilld stall -d hw:Loopback,0,0 -r 48000 -p 1024 -n 3 -i 2 -o 2 \
    --format S16_LE; then
    client tone tone 440 0.5
    tpid=$CPID
    watch_start stall
    sleep 1
    x0=$(status_field xruns)
    w0=$(wlast "$OUT/stall.watch.log")
    for _ in 1 2 3; do
        kill -STOP "$RPID" "$tpid"
        sleep 0.8
        kill -CONT "$tpid" "$RPID"
        sleep 1.5
    done
    x1=$(status_field xruns)
    arecord -q -D hw:Loopback,1,0 -f S16_LE -c 2 -r 48000 -t raw -d 1 "$OUT/stall.arec.raw" \
        > "$OUT/stall.arecord.log" 2>&1
    w1=$(wlast "$OUT/stall.watch.log")
    "$RILLCTL" -s k status > "$OUT/stall.status" 2>&1
    "$RILLCTL" -s k clients > "$OUT/stall.clients" 2>&1
    ta=$(alive "$tpid")
    wa=$(alive "$WPID")
    ra=$(alive "$RPID")
    kill "$tpid" "$WPID" 2> /dev/null
    wait "$tpid" "$WPID" 2> /dev/null
    stop_rilld
    res "stall xruns_before=${x0:-?} xruns_after=${x1:-?} restarts=$(sed -n 's/^restarts: *//p' "$OUT/stall.status") tone_alive=$ta watch_alive=$wa rilld_alive=$ra cycles_before=$(wfield cycles "$w0") cycles_after=$(wfield cycles "$w1") bad=$(wfield bad "$w1") skips=$(wfield skips "$w1") timebad=$(wfield timebad "$w1")"
else
    res "stall started=0"
fi
fi

# 7c. the device's clock stops: the loopback is clocked by snd-dummy's PCM
#     timer (/proc/asound/Loopback/timer_source, latched when a cable
#     opens), which runs only while aplay plays to hw:Dummy. aplay stopped:
#     the loopback delivers nothing (poll timeouts), rilld restarts it, moves
#     to its fallback clock and reopens it with a growing back-off; aplay
#     started again: the clock is back, so is the device and the tone.
if want clockstop; then
say "clockstop"
TS=/proc/asound/Loopback/timer_source
# the clock: aplay on snd-dummy, SCHED_FIFO and a long buffer, so that a
# slow guest does not make it underrun (an underrun stops the clock a moment)
dplay() {
    chrt -f 70 aplay -q -D hw:Dummy,0,0 -f S16_LE -c 2 -r 48000 --period-size=1024 \
        --buffer-size=16384 -t raw /dev/zero >> "$OUT/clockstop.aplay.log" 2>&1 &
    DPID=$!
}
if [ ! -w "$TS" ] || ! grep -q Dummy /proc/asound/cards; then
    res "clockstop started=0 timer_source=$([ -w "$TS" ] && echo 1 || echo 0) dummy=$(grep -c Dummy /proc/asound/cards)"
else
    echo "hw:Dummy,0,0" > "$TS"
    dplay
    sleep 0.5
    if start_rilld clockstop -d hw:Loopback,0,0 -r 48000 -p 1024 -n 3 -i 2 -o 2 --format S16_LE; then
        client tone tone 440 0.5
        tpid=$CPID
        watch_start clockstop
        sleep 1
        w0=$(wlast "$OUT/clockstop.watch.log")
        kill "$DPID" 2> /dev/null
        wait "$DPID" 2> /dev/null
        sleep 4
        w1=$(wlast "$OUT/clockstop.watch.log")
        "$RILLCTL" -s k status > "$OUT/clockstop.status-stopped" 2>&1
        "$RILLCTL" -s k clients > "$OUT/clockstop.clients" 2>&1
        ra_stopped=$(alive "$RPID")
        dplay
        # the back-off is at most 4 s, and each try costs two poll timeouts
        for _ in $(seq 120); do
            [[ $(statusv device) == running* ]] &&
                sleep 1 && [[ $(statusv device) == running* ]] && break
            sleep 0.1
        done
        # once more if the recording broke off (the guest's own clock, aplay,
        # hiccupped: arecord then ends with an I/O error)
        for _ in 1 2; do
            arecord -q -D hw:Loopback,1,0 -f S16_LE -c 2 -r 48000 -t raw -d 1 \
                --period-size=1024 --buffer-size=3072 "$OUT/clockstop.arec.raw" \
                >> "$OUT/clockstop.arecord.log" 2>&1 && break
        done
        w2=$(wlast "$OUT/clockstop.watch.log")
        "$RILLCTL" -s k status > "$OUT/clockstop.status-back" 2>&1
        ta=$(alive "$tpid")
        wa=$(alive "$WPID")
        ra=$(alive "$RPID")
        kill "$tpid" "$WPID" 2> /dev/null
        wait "$tpid" "$WPID" 2> /dev/null
        stop_rilld
        g() { sed -n "s/^$1: *//p" "$OUT/clockstop.status-$2" | head -1 | cut -d' ' -f1; }
        res "clockstop started=1 rilld_alive_stopped=$ra_stopped rilld_alive=$ra tone_alive=$ta watch_alive=$wa c0=$(wfield cycles "$w0") c1=$(wfield cycles "$w1") c2=$(wfield cycles "$w2") bad=$(wfield bad "$w2") timebad=$(wfield timebad "$w2") state_stopped=$(g device stopped) stalls=$(g stalls stopped) losses=$(g losses stopped) reopenings=$(g reopenings stopped) state_back=$(g device back)"
    else
        res "clockstop started=0"
    fi
    kill "$DPID" 2> /dev/null
    wait "$DPID" 2> /dev/null
    echo "" > "$TS"
fi
fi

# 7d. the small periods and counts, every channel the loopback has, in
#     duplex through one client, 10 s each: rilld must never stop; the
#     glitches (xruns, stalls, moves to the fallback clock) are figures
if want periods; then
for pn in 64x2 64x3 128x2 128x3 256x2 256x3; do
    p=${pn%x*}
    n=${pn#*x}
    tag=per-$pn
    say "periods $pn"
    if start_rilld "$tag" -d hw:Loopback,0,0 -r 48000 -p "$p" -n "$n"; then
        JACK_DEFAULT_SERVER=k timeout 60 "$RJ" "$CL" duplexall dall 10 > "$OUT/$tag.client.log" 2>&1
        crc=$?
        ra=$(alive "$RPID")
        "$RILLCTL" -s k status > "$OUT/$tag.status" 2>&1
        stop_rilld
        g() { sed -n "s/^$1: *//p" "$OUT/$tag.status" | head -1; }
        res "periods $pn p=$p n=$n started=1 client_rc=$crc rilld_alive=$ra $(grep '^duplexall channels' "$OUT/$tag.client.log" | cut -d' ' -f2-) engine_xruns=$(g xruns) stalls=$(g stalls) restarts=$(g restarts) reopenings=$(g reopenings) losses=$(g losses)"
    else
        res "periods $pn p=$p n=$n started=0"
    fi
done
fi

# 7e. the card goes away and comes back: snd-aloop unbound from its driver
#     through sysfs (as an unplug) while rilld plays a tone to
#     hw:Loopback,0,0 with clients running, then bound again (a replug)
if want lost; then
say "lost"
AL=/sys/bus/platform/drivers/snd_aloop
if [ ! -e "$AL/snd_aloop.0" ]; then
    res "lost started=0 nodevice=1"
elif start_rilld lost -d hw:Loopback,0,0 -r 48000 -p 1024 -n 3 -i 2 -o 2 --format S16_LE; then
    client tone tone 440 0.5
    tpid=$CPID
    watch_start lost
    sleep 1
    w0=$(wlast "$OUT/lost.watch.log")
    t0=$(up)
    echo snd_aloop.0 > "$AL/unbind" &
    ubpid=$!
    # a timeline for the log: uptime, the unbind still running, the device
    # state, the watch client's cycles
    (for _ in $(seq 120); do
        echo "$(up) unbind=$(alive "$ubpid") device=$(statusv device | cut -d' ' -f1) $(wlast "$OUT/lost.watch.log")"
        sleep 0.1
    done > "$OUT/lost.timeline" 2>&1) &
    tlpid=$!
    for _ in $(seq 100); do [[ $(statusv device) == lost* ]] && break; sleep 0.1; done
    t1=$(up)
    away=$(statusv device)
    # the unbind returns once rilld has let go of the card
    for _ in $(seq 100); do kill -0 "$ubpid" 2> /dev/null || break; sleep 0.1; done
    ub=$(alive "$ubpid")
    w1=$(wlast "$OUT/lost.watch.log")
    sleep 2
    w2=$(wlast "$OUT/lost.watch.log")
    "$RILLCTL" -s k status > "$OUT/lost.status-away" 2>&1
    "$RILLCTL" -s k clients > "$OUT/lost.clients-away" 2>&1
    ra_away=$(alive "$RPID")
    t2=$(up)
    echo snd_aloop.0 > "$AL/bind"
    # recording at once, with rilld's period and buffer (the loopback makes
    # its two ends agree): the tone must be there 2 s later (the host
    # checks the third second)
    arecord -q -D hw:Loopback,1,0 -f S16_LE -c 2 -r 48000 -t raw -d 3 --period-size=1024 \
        --buffer-size=3072 "$OUT/lost.arec.raw" > "$OUT/lost.arecord.log" 2>&1
    for _ in $(seq 100); do [[ $(statusv device) == running* ]] && break; sleep 0.1; done
    t3=$(up)
    w3=$(wlast "$OUT/lost.watch.log")
    "$RILLCTL" -s k status > "$OUT/lost.status-back" 2>&1
    "$RILLCTL" -s k clients > "$OUT/lost.clients-back" 2>&1
    ta=$(alive "$tpid")
    wa=$(alive "$WPID")
    ra=$(alive "$RPID")
    kill "$tlpid" 2> /dev/null
    wait "$tlpid" 2> /dev/null
    sed "s/^/  lost timeline: /" "$OUT/lost.timeline"
    # when the clients heard that the device is back: the watch line that
    # follows the notice in the client's output (200 ms apart), from the bind
    tb=$(awk '/device is back/ { f = 1; next } f && /^watch / { sub(/.* t=/, ""); print; exit }' "$OUT/lost.watch.log")
    # 7f. once more, and the card comes back taken at another rate: the
    #     loopback's other end opened first by arecord at 44100 Hz while
    #     rilld was stopped (so that arecord wins the card): rilld must say
    #     that it cannot run as before and stay on its timer, then take the
    #     device once arecord is done
    echo snd_aloop.0 > "$AL/unbind" &
    ubpid=$!
    for _ in $(seq 100); do kill -0 "$ubpid" 2> /dev/null || break; sleep 0.1; done
    ub2=$(alive "$ubpid")
    kill -STOP "$RPID"
    echo snd_aloop.0 > "$AL/bind"
    arecord -q -D hw:Loopback,1,0 -f S16_LE -c 2 -r 44100 -t raw -d 4 /dev/null \
        > "$OUT/lost2.arecord.log" 2>&1 &
    arpid=$!
    for _ in $(seq 50); do
        grep -q "RUNNING" /proc/asound/Loopback/pcm1c/sub0/status 2> /dev/null && break
        sleep 0.1
    done
    kill -CONT "$RPID"
    for _ in $(seq 100); do [[ $(statusv device) == refused* ]] && break; sleep 0.1; done
    "$RILLCTL" -s k status > "$OUT/lost2.status-refused" 2>&1
    wait "$arpid" 2> /dev/null
    for _ in $(seq 100); do [[ $(statusv device) == running* ]] && break; sleep 0.1; done
    "$RILLCTL" -s k status > "$OUT/lost2.status-back" 2>&1
    ra2=$(alive "$RPID")
    ta2=$(alive "$tpid")
    res "lost2 unbind_blocked=$ub2 refused=$(sed -n 's/^device: *//p' "$OUT/lost2.status-refused" | cut -d' ' -f1) back=$(sed -n 's/^device: *//p' "$OUT/lost2.status-back" | cut -d' ' -f1) rilld_alive=$ra2 tone_alive=$ta2"
    kill "$tpid" "$WPID" 2> /dev/null
    wait "$tpid" "$WPID" 2> /dev/null
    stop_rilld
    [ -e "$AL/snd_aloop.0" ] || echo snd_aloop.0 > "$AL/bind"
    res "lost back_after_bind_s=$(awk -v a="$t2" -v b="${tb:-0}" 'BEGIN { printf "%.1f", (b > 0 ? b - a : -1) }') bind_at=$t2 back_at=${tb:-?} started=1 lost_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') unbind_blocked=$ub back_s=$(awk -v a="$t2" -v b="$t3" 'BEGIN{printf "%.1f", b-a}') away=${away%% *} back=$(sed -n 's/^device: *//p' "$OUT/lost.status-back" | cut -d' ' -f1) rilld_alive_away=$ra_away rilld_alive=$ra tone_alive=$ta watch_alive=$wa c0=$(wfield cycles "$w0") c1=$(wfield cycles "$w1") c2=$(wfield cycles "$w2") c3=$(wfield cycles "$w3") bad=$(wfield bad "$w3") skips=$(wfield skips "$w3") timebad=$(wfield timebad "$w3")"
else
    res "lost started=0"
fi
fi

# ---- 8. the ALSA MIDI bridge (guest-midi.sh)
if want midi || [[ ",${RILL_ONLY:-}," == *",midi-"* ]]; then
    . "$(dirname "$0")/guest-midi.sh"
fi
# ---- 9. the raw MIDI bridge (guest-midi-raw.sh)
if want midiraw; then
    . "$(dirname "$0")/guest-midi-raw.sh"
fi
# ---- the MIDI jitter benchmark: only when asked for (make bench-midi)
if [[ ",${RILL_ONLY:-}," == *",benchmidi,"* ]]; then
    . "$(dirname "$0")/guest-benchmidi.sh"
fi
say "done"
