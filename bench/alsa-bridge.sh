#!/bin/bash
# bench/alsa-bridge.sh — the ALSA bridge against its peers, in one run:
#   rill      rilld (dummy, 48 kHz, 256) through pcm.rill (clients/alsa)
#   jackd2    jackd (dummy, 48 kHz, 256) through alsa-plugins' jack PCM
#             (Debian's libasound2-plugins), behind `plug` since it only
#             takes JACK's rate and FLOAT
#   pipewire  pipewire (a null sink driving at 48 kHz, quantum forced to 256)
#             with wireplumber linking the streams, through pipewire-alsa
# All three servers run at once, each in its own private namespace (server
# names, XDG_RUNTIME_DIR, ALSA_CONFIG_PATH); the cases take turns, so load
# that comes and goes on the machine hits all three alike.
#
#  1. CPU and wake-ups per stream: N aplays (S16 stereo) at 44.1 and 48 kHz
#     (N = 1, 8, 32): CPU time of the players' and the server's threads
#     (/proc/PID/task/*/schedstat), context switches of the same threads
#     (/proc/PID/task/*/status: voluntary + involuntary: each is a wake-up or
#     a preemption), both per second of steady playing, divided by N, and
#     the underruns the aplays reported.
#  2. Most streams before an xrun: N aplays at 48 kHz for N in 16 32 64 96,
#     until one reports an underrun (after its first 2 s) or dies.
#  3. Reported against measured latency: tests/clients/rill-test-alsa-latency
#     plays clicks through each device at several period/buffer sizes and
#     compares what snd_pcm_delay said with when the click reached the graph
#     (plus the latency the server declares from there to the card), and
#     the same for a capture stream (the click written into the stream's
#     port by a JACK client, dated by the reader's snd_pcm_delay).
#  4. Ratios rill / peer of 1 and 2, and each server's error of 3.
#
# pipewire-alsa is not installed on the machine (Debian's package conflicts
# with pulseaudio and makes PipeWire every program's ALSA default; see
# tools/install-deps.sh): its plugin is fetched with `apt-get download` into
# the build directory (bench/pipewire-alsa/) and loaded by full path from
# this script's own ALSA configuration.
#
# Run by `make bench-alsa` (and `make bench`); never a timed test. About 4
# minutes. Environment: RILL_TOP_BUILDDIR (set by make), BENCH_ALSA_STREAMS
# ("1 8 32"), BENCH_ALSA_RATES ("44100 48000"), BENCH_ALSA_SECONDS (4),
# BENCH_ALSA_MAX_STEPS ("16 32 64 96"), BENCH_ALSA_LATENCY_CASES
# ("48000:256:1024 48000:4800:19200 44100:441:1764", RATE:PERIOD:BUFFER),
# BENCH_ALSA_CAPTURE_CASES ("48000:256:1024", the same for a capture stream),
# BENCH_ALSA_SERVERS ("rill jackd2 pipewire"), BENCH_ALSA_OUT (a file that
# also gets the markdown).
set -u
B=${RILL_TOP_BUILDDIR:?run through make bench-alsa}
STREAMS=${BENCH_ALSA_STREAMS:-"1 8 32"}
RATES=${BENCH_ALSA_RATES:-"44100 48000"}
SECS=${BENCH_ALSA_SECONDS:-4}
MAX_STEPS=${BENCH_ALSA_MAX_STEPS:-"16 32 64 96"}
WANT=${BENCH_ALSA_SERVERS:-"rill jackd2 pipewire"}
OUT=${BENCH_ALSA_OUT:-/dev/null}
# RATE:PERIOD:BUFFER of the latency probe
LAT_CASES=${BENCH_ALSA_LATENCY_CASES:-"48000:256:1024 48000:4800:19200 44100:441:1764"}
CAP_CASES=${BENCH_ALSA_CAPTURE_CASES:-"48000:256:1024"}
PROBE=$B/tests/clients/rill-test-alsa-latency
T_START=$(date +%s)

TMP=$(mktemp -d /tmp/rill-bench-alsa.XXXXXX)
export HOME=$TMP
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
say() { echo "$*"; echo "$*" >>"$OUT"; }
note() { echo "alsa-bench: $*" >&2; }

# ---- per-thread counters of a set of pids
ticks() { # CPU µs of all threads of the pids (schedstat: ns on CPU)
    local p
    for p in "$@"; do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done |
        awk '{ s += $1 } END { printf "%d", s / 1000 }'
}
switches() { # voluntary + involuntary context switches of all threads of the pids
    local p
    for p in "$@"; do cat /proc/"$p"/task/*/status 2>/dev/null; done |
        awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { printf "%d", s }'
}

# ---- the peers that are here
[ -x "$PROBE" ] || make -C "$B" tests/clients/rill-test-alsa-latency >/dev/null 2>&1
HAVE=()
NOTES=()
PW_PLUGIN_DIR=$B/bench/pipewire-alsa
fetch_pipewire_alsa() { # the plugin of the installed libpipewire's version, by apt-get download
    local so
    so=$(find "$PW_PLUGIN_DIR" -name libasound_module_pcm_pipewire.so 2>/dev/null | head -n 1)
    if [ -z "$so" ]; then
        mkdir -p "$PW_PLUGIN_DIR"
        local v
        v=$(dpkg-query -W -f='${Version}' libpipewire-0.3-0 2>/dev/null)
        (cd "$PW_PLUGIN_DIR" && apt-get download "pipewire-alsa${v:+=$v}" >/dev/null 2>&1 &&
            dpkg-deb -x pipewire-alsa_*.deb root) || return 1
        so=$(find "$PW_PLUGIN_DIR" -name libasound_module_pcm_pipewire.so | head -n 1)
    fi
    [ -n "$so" ] || return 1
    PW_PLUGIN=$so
}
for s in $WANT; do
    case $s in
    rill) HAVE+=(rill) ;;
    jackd2)
        if command -v jackd >/dev/null && [ -e /usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_jack.so ]; then
            HAVE+=(jackd2)
        else NOTES+=("jackd2: jackd or alsa-plugins' jack PCM (libasound2-plugins) not installed: not measured"); fi ;;
    pipewire)
        if ! command -v pipewire >/dev/null || ! command -v wireplumber >/dev/null || ! command -v pw-jack >/dev/null; then
            NOTES+=("PipeWire: pipewire, wireplumber or pw-jack not installed (tools/install-deps.sh --bench): not measured")
        elif ! fetch_pipewire_alsa; then
            NOTES+=("PipeWire: could not fetch pipewire-alsa with apt-get download: not measured")
        else HAVE+=(pipewire); fi ;;
    *) echo "alsa-bench: unknown server '$s' (rill, jackd2, pipewire)" >&2; exit 2 ;;
    esac
done

# ---- ALSA configuration: the devices, the plugins by full path
cat >"$TMP/asound.conf" <<EOF2
pcm_type.rill { lib "$B/clients/alsa/.libs/libasound_module_pcm_rill.so" }
pcm.bench_rill { type rill }
pcm.bench_jackraw { type jack playback_ports { 0 system:playback_1 1 system:playback_2 }
    capture_ports { 0 system:capture_1 1 system:capture_2 } }
pcm.bench_jackd2 { type plug slave.pcm "bench_jackraw" }
pcm_type.pipewire { lib "${PW_PLUGIN:-/nonexistent}" }
pcm.bench_pipewire { type pipewire }
EOF2
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$TMP/asound.conf

# ---- the servers, all at once, and the environment of each one's programs
declare -A SRV_PIDS=()
mkdir -m 700 "$TMP/xdg-rill" "$TMP/xdg-jackd2" "$TMP/xdg-pipewire"
# shellcheck disable=SC2034 # read through envof's nameref
ENV_rill=("XDG_RUNTIME_DIR=$TMP/xdg-rill" JACK_DEFAULT_SERVER=bench-rill "RILL_JACK_LIBDIR=$B/clients/jack/.libs")
# shellcheck disable=SC2034
ENV_jackd2=("XDG_RUNTIME_DIR=$TMP/xdg-jackd2" "JACK_DEFAULT_SERVER=bench-jackd2-$$" JACK_NO_START_SERVER=1)
# shellcheck disable=SC2034
ENV_pipewire=("XDG_RUNTIME_DIR=$TMP/xdg-pipewire" "XDG_CONFIG_HOME=$TMP/cfg-pipewire"
    DBUS_SESSION_BUS_ADDRESS=disabled: PIPEWIRE_LOG_SYSTEMD=false)
# envof SERVER: E=(its environment), for `env "${E[@]}" CMD &` (a process of
# its own: $! is CMD's pid, which a backgrounded function would not give)
envof() {
    local -n e=ENV_$1
    E=("${e[@]}")
}
# in_env SERVER CMD...: CMD in the environment of SERVER's programs (foreground)
in_env() {
    envof "$1"
    shift
    env "${E[@]}" "$@"
}
# jack_env SERVER CMD...: CMD as a JACK client of SERVER (rill's libjack, jackd2's, PipeWire's)
jack_env() {
    local s=$1
    shift
    case $s in
    rill) in_env rill "$B/tools/rill-jack" "$@" ;;
    jackd2) in_env jackd2 "$@" ;;
    pipewire) in_env pipewire pw-jack "$@" ;;
    esac
}
pipewire_config() {
    local c=$TMP/cfg-pipewire
    mkdir -p "$c/pipewire" "$c/wireplumber/main.lua.d"
    # the distribution's minimal.conf, with a null sink as the driver in
    # place of hw:0, the quantum forced to rill's and jackd2's period
    cat >"$c/pipewire/pipewire.conf" <<'EOF2'
context.properties = {
    core.daemon = true
    core.name = pipewire-0
    default.clock.rate = 48000
    default.clock.allowed-rates = [ 48000 ]
    default.clock.quantum = 256
    default.clock.min-quantum = 256
    default.clock.max-quantum = 256
    support.dbus = false
}
context.spa-libs = {
    audio.convert.* = audioconvert/libspa-audioconvert
    support.* = support/libspa-support
}
context.modules = [
    { name = libpipewire-module-rt args = { nice.level = -11 } flags = [ ifexists nofail ] }
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-profiler }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-spa-node-factory }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-access args = { } }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-link-factory }
    { name = libpipewire-module-session-manager }
]
context.objects = [
    { factory = metadata args = { metadata.name = default } }
    { factory = spa-node-factory args = { factory.name = support.node.driver node.name = Dummy-Driver
        node.group = pipewire.dummy priority.driver = 20000 } }
    { factory = spa-node-factory args = { factory.name = support.node.driver node.name = Freewheel-Driver
        priority.driver = 19000 node.group = pipewire.freewheel node.freewheel = true } }
    { factory = adapter args = {
        factory.name = support.null-audio-sink
        node.name = system
        node.description = system
        media.class = Audio/Sink
        audio.position = [ FL FR ]
        node.driver = true
        priority.driver = 30000
        priority.session = 2000
        monitor.channel-volumes = false
        adapter.auto-port-config = { mode = dsp monitor = true position = preserve } } }
    { factory = adapter args = {
        factory.name = support.null-audio-sink
        node.name = system-capture
        node.description = system-capture
        media.class = Audio/Source/Virtual
        audio.position = [ FL FR ]
        priority.session = 2000
        adapter.auto-port-config = { mode = dsp monitor = false position = preserve } } }
]
EOF2
    # wireplumber's policy (links streams to the default sink) without what
    # needs D-Bus or hardware: no bluetooth, no device monitors, no portal
    cat >"$c/wireplumber/wireplumber.conf" <<'EOF2'
context.properties = { log.level = 2 wireplumber.script-engine = lua-scripting support.dbus = false }
context.spa-libs = { audio.convert.* = audioconvert/libspa-audioconvert support.* = support/libspa-support }
context.modules = [
    { name = libpipewire-module-protocol-native }
    { name = libpipewire-module-client-node }
    { name = libpipewire-module-client-device }
    { name = libpipewire-module-adapter }
    { name = libpipewire-module-metadata }
    { name = libpipewire-module-session-manager }
]
wireplumber.components = [
    { name = libwireplumber-module-lua-scripting, type = module }
    { name = main.lua, type = config/lua }
    { name = policy.lua, type = config/lua }
]
EOF2
    cat >"$c/wireplumber/main.lua.d/51-bench.lua" <<'EOF2'
alsa_monitor.enabled = false
v4l2_monitor.enabled = false
libcamera_monitor.enabled = false
default_access.properties["enable-flatpak-portal"] = false
EOF2
}
start_server() {
    local s=$1 log=$TMP/server-$1.log
    case $s in
    rill)
        envof rill
        env "${E[@]}" "$B/engine/rilld" -n bench-rill -d dummy -r 48000 -p 256 >"$log" 2>&1 &
        SRV_PIDS[rill]=$!
        PIDS+=($!)
        for _ in $(seq 100); do grep -q ready "$log" && return 0; sleep 0.1; done ;;
    jackd2)
        envof jackd2
        env "${E[@]}" jackd -n "bench-jackd2-$$" -R -P 20 -t 500 -d dummy -r 48000 -p 256 >"$log" 2>&1 &
        SRV_PIDS[jackd2]=$!
        PIDS+=($!)
        for _ in $(seq 100); do in_env jackd2 jack_lsp >/dev/null 2>&1 && return 0; sleep 0.1; done ;;
    pipewire)
        pipewire_config
        envof pipewire
        env "${E[@]}" pipewire >"$log" 2>&1 &
        local pw=$!
        PIDS+=("$pw")
        for _ in $(seq 100); do [ -S "$TMP/xdg-pipewire/pipewire-0" ] && break; sleep 0.1; done
        env "${E[@]}" wireplumber >"$TMP/server-wireplumber.log" 2>&1 &
        local wp=$!
        PIDS+=("$wp")
        SRV_PIDS[pipewire]="$pw $wp"
        for _ in $(seq 100); do
            in_env pipewire pw-cli ls Client 2>/dev/null | grep -q -i wireplumber && return 0
            sleep 0.1
        done ;;
    esac
    return 1
}
RUN=()
for s in "${HAVE[@]}"; do
    if start_server "$s"; then RUN+=("$s"); else
        NOTES+=("$s: the server did not start ($(tail -n 2 "$TMP/server-$s.log" | tr '\n' ' ' | cut -c1-160)): not measured")
    fi
done
if [ ${#RUN[@]} -eq 0 ]; then
    note "no server started"
    for n in "${NOTES[@]}"; do note "$n"; done
    exit 1
fi
note "servers: ${RUN[*]}"

# ---- N aplays on a server; run_players SERVER N RATE SETTLE SECS LOGPREFIX
# sets CPU_US SRV_US SW UNDERRUNS ALIVE (underruns counted after SETTLE)
run_players() {
    local s=$1 n=$2 rate=$3 settle=$4 secs=$5 lp=$6 k players=() srv
    read -r -a srv <<<"${SRV_PIDS[$s]}"
    envof "$s"
    for k in $(seq "$n"); do
        env "${E[@]}" aplay -D "bench_$s" "$TMP/t$rate.wav" >/dev/null 2>"$lp.$k.log" &
        players+=($!)
        PIDS+=($!)
    done
    sleep "$settle"
    local u0 a0 s0 w0
    u0=$(cat "$lp".*.log 2>/dev/null | grep -c underrun)
    a0=$(ticks "${players[@]}")
    s0=$(ticks "${srv[@]}")
    w0=$(switches "${players[@]}" "${srv[@]}")
    sleep "$secs"
    local a1 s1 w1
    a1=$(ticks "${players[@]}")
    s1=$(ticks "${srv[@]}")
    w1=$(switches "${players[@]}" "${srv[@]}")
    ALIVE=0
    for k in "${players[@]}"; do [ -d "/proc/$k" ] && ALIVE=$((ALIVE + 1)); done
    UNDERRUNS=$(($(cat "$lp".*.log 2>/dev/null | grep -c underrun) - u0))
    for k in "${players[@]}"; do kill -KILL "$k" 2>/dev/null; done
    wait "${players[@]}" 2>/dev/null
    CPU_US=$((a1 - a0 + s1 - s0))
    SRV_US=$((s1 - s0))
    SW=$((w1 - w0))
}

for rate in $RATES 48000; do
    [ -e "$TMP/t$rate.wav" ] ||
        sox -q -n -r "$rate" -c 2 -b 16 -e signed-integer "$TMP/t$rate.wav" synth 60 sine 440 vol 0.1
done

# ---- 1. CPU and wake-ups per stream
R=$TMP/results.tsv # kind server n rate value...
: >"$R"
say ""
say "### CPU and wake-ups per stream (aplay, S16 stereo; ${SECS} s of steady playing per case)"
say ""
say "| server | streams | rate | CPU per stream (ms/s) | of which the server | wake-ups per stream (/s) | underruns | aplays alive |"
say "|---|---|---|---|---|---|---|---|"
for rate in $RATES; do
    for n in $STREAMS; do
        for s in "${RUN[@]}"; do
            run_players "$s" "$n" "$rate" 1.5 "$SECS" "$TMP/cpu-$s-$n-$rate"
            line=$(awk -v c="$CPU_US" -v sv="$SRV_US" -v w="$SW" -v n="$n" -v secs="$SECS" 'BEGIN {
                printf "%.2f %.2f %.0f", c / 1000 / secs / n, sv / 1000 / secs / n, w / secs / n }')
            read -r cpu srv wk <<<"$line"
            echo "cpu $s $n $rate $cpu $srv $wk $UNDERRUNS $ALIVE" >>"$R"
            say "| $s | $n | $rate | $cpu | $srv | $wk | $UNDERRUNS | $ALIVE/$n |"
            sleep 0.5
        done
    done
done

# ---- 2. most streams before an xrun
say ""
say "### Most streams before an xrun (aplays at 48 kHz; 2 s to start, then 4 s without an underrun)"
say ""
say "| server | most streams without an xrun | first count with one |"
say "|---|---|---|"
# the servers take turns at each count; one that had an xrun stops there.
# A count is not started past BUDGET_MAX s of the run (the rest must fit in 5 min)
BUDGET_MAX=${BENCH_ALSA_BUDGET_MAX:-180}
declare -A BEST=() FIRST=() STOPPED=()
for s in "${RUN[@]}"; do BEST[$s]=0; FIRST[$s]="none up to ${MAX_STEPS##* }"; done
for n in $MAX_STEPS; do
    if [ $(($(date +%s) - T_START)) -gt "$BUDGET_MAX" ]; then
        for s in "${RUN[@]}"; do
            [ -n "${STOPPED[$s]:-}" ] || FIRST[$s]="not tried from $n on (time budget)"
        done
        break
    fi
    for s in "${RUN[@]}"; do
        [ -z "${STOPPED[$s]:-}" ] || continue
        run_players "$s" "$n" 48000 2 4 "$TMP/max-$s-$n"
        if [ "$UNDERRUNS" -gt 0 ] || [ "$ALIVE" -lt "$n" ]; then
            FIRST[$s]="$n ($UNDERRUNS underruns, $ALIVE alive)"
            STOPPED[$s]=1
        else
            BEST[$s]=$n
        fi
        sleep 0.5
    done
done
for s in "${RUN[@]}"; do
    echo "max $s ${BEST[$s]}" >>"$R"
    say "| $s | ${BEST[$s]} | ${FIRST[$s]} |"
done

# ---- 3. reported against measured latency
say ""
say "### snd_pcm_delay against the measured latency (medians of 5 clicks, frames at the stream's rate)"
say ""
say "| server | stream | rate | period / buffer asked | reported | measured | error (frames) | error (ms) | graph latency declared |"
say "|---|---|---|---|---|---|---|---|---|"
for c in $LAT_CASES $(for x in $CAP_CASES; do echo "capture:$x"; done); do
    dir=playback opt=()
    case $c in capture:*) dir=capture opt=(--capture) c=${c#capture:} ;; esac
    IFS=: read -r rate per buf <<<"$c"
    for s in "${RUN[@]}"; do
        out=$(jack_env "$s" timeout -k 2 60 "$PROBE" "${opt[@]}" --clicks 5 "bench_$s" "$rate" "$per" "$buf" 2>&1)
        res=$(printf '%s\n' "$out" | grep '^result')
        if [ -z "$res" ]; then
            say "| $s | $dir | $rate | $per / $buf | not measured: $(printf '%s\n' "$out" | grep -m1 'cannot' | cut -c1-80) | | | | |"
            continue
        fi
        field() { printf '%s\n' "$res" | sed -n "s/.* $1=\([-+0-9.]*\).*/\1/p"; }
        L_reported=$(field reported) L_measured=$(field measured) L_error=$(field error) L_latency=$(field latency)
        ms=$(awk -v e="$L_error" -v r="$rate" 'BEGIN { printf "%+.2f", e * 1000 / r }')
        echo "lat $s $rate $per $buf $L_reported $L_measured $L_error $ms $dir" >>"$R"
        say "| $s | $dir | $rate | $per / $buf | $L_reported | $L_measured | $L_error | $ms | $L_latency |"
    done
done

# ---- 4. ratios
# col KIND SERVER N RATE FIELD: a value of results.tsv ("" when not measured)
col() { awk -v k="$1" -v s="$2" -v n="$3" -v r="$4" -v f="$5" '$1 == k && $2 == s && $3 == n && $4 == r { print $f }' "$R"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 <= 0) print "-"; else printf "%.2f", a / b }'; }
PEERS=()
for s in "${RUN[@]}"; do [ "$s" = rill ] || PEERS+=("$s"); done
if printf '%s\n' "${RUN[@]}" | grep -qx rill && [ ${#PEERS[@]} -gt 0 ]; then
    say ""
    say "### rill / peer (below 1: rill needs less)"
    say ""
    h="| streams | rate |" d="|---|---|"
    for p in "${PEERS[@]}"; do h="$h CPU vs $p | wake-ups vs $p |"; d="$d---|---|"; done
    say "$h"
    say "$d"
    for rate in $RATES; do
        for n in $STREAMS; do
            row="| $n | $rate |"
            for p in "${PEERS[@]}"; do
                row="$row $(ratio "$(col cpu rill "$n" "$rate" 5)" "$(col cpu "$p" "$n" "$rate" 5)") |"
                row="$row $(ratio "$(col cpu rill "$n" "$rate" 7)" "$(col cpu "$p" "$n" "$rate" 7)") |"
            done
            say "$row"
        done
    done
fi
say ""
say "| server | most streams without an xrun | mean abs(delay error) (frames) | worst abs(delay error) (frames) |"
say "|---|---|---|---|"
for s in "${RUN[@]}"; do
    say "| $s | $(awk -v s="$s" '$1 == "max" && $2 == s { print $3 }' "$R") | $(awk -v s="$s" '$1 == "lat" && $2 == s {
        e = $8 < 0 ? -$8 : $8; t += e; n++; if (e > w) w = e } END { if (n) printf "%.1f | %.1f", t / n, w; else printf "- | -" }' "$R") |"
done
say ""
for n in "${NOTES[@]}"; do say "- $n"; done
say "- one run, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(($(date +%s) - T_START)) s; rill $(git -C "$(dirname "$0")" describe --always --dirty 2>/dev/null), jackd2 $(dpkg-query -W -f='${Version}' jackd2 2>/dev/null), PipeWire $(dpkg-query -W -f='${Version}' pipewire 2>/dev/null)"
