#!/bin/bash
# bench/alsa-bridge.sh — the ALSA bridge's cost per stream against its peers:
# N aplays (S16 stereo) at 44.1 and 48 kHz into
#   rill     rilld (dummy, 48 kHz, 256) through pcm.rill (clients/alsa)
#   jackd2   jackd (dummy, 48 kHz, 256) through alsa-plugins' jack PCM
#            (Debian's libasound2-plugins), behind `plug` since it only
#            takes JACK's rate and FLOAT
#   pipewire pipewire + pipewire-alsa, when both are installed
# and reports the CPU time per stream (the players' and the server's, all
# threads, from /proc/PID/task/*/schedstat, over BENCH_ALSA_SECONDS of
# steady playing, divided by N) in ms per second.
# Run by `make bench-alsa` (and `make bench`); never a timed test.
#
# Environment: RILL_TOP_BUILDDIR (set by make), BENCH_ALSA_STREAMS ("1 8 32"),
# BENCH_ALSA_RATES ("44100 48000"), BENCH_ALSA_SECONDS (10).
set -u
B=${RILL_TOP_BUILDDIR:?run through make bench-alsa}
STREAMS=${BENCH_ALSA_STREAMS:-"1 8 32"}
RATES=${BENCH_ALSA_RATES:-"44100 48000"}
SECS=${BENCH_ALSA_SECONDS:-10}
TMP=$(mktemp -d /tmp/rill-bench-alsa.XXXXXX)
export XDG_RUNTIME_DIR=$TMP/xdg HOME=$TMP
mkdir -m 700 "$XDG_RUNTIME_DIR"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
HZ=1000000 # ticks() counts microseconds

ticks() { # CPU time of all threads of a pid, in microseconds (schedstat: ns on CPU)
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d", s / 1000 }'
}

cat >"$TMP/asound.conf" <<EOF2
pcm_type.rill { lib "$B/clients/alsa/.libs/libasound_module_pcm_rill.so" }
pcm.bench_rill { type rill }
pcm.bench_jackraw { type jack playback_ports { 0 system:playback_1 1 system:playback_2 } }
pcm.bench_jackd2 { type plug slave.pcm "bench_jackraw" }
pcm.bench_pipewire { type pipewire }
EOF2
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$TMP/asound.conf

start_server() {
    SERVER_PID=
    case $1 in
    rill)
        "$B/engine/rilld" -n bench -d dummy -r 48000 -p 256 >"$TMP/server.log" 2>&1 &
        SERVER_PID=$!
        export JACK_DEFAULT_SERVER=bench
        for _ in $(seq 100); do grep -q ready "$TMP/server.log" && return 0; sleep 0.1; done ;;
    jackd2)
        command -v jackd >/dev/null || return 1
        [ -e /usr/lib/x86_64-linux-gnu/alsa-lib/libasound_module_pcm_jack.so ] || return 1
        JACK_NO_START_SERVER=1 jackd -n bench -R -P 20 -t 500 -d dummy -r 48000 -p 256 >"$TMP/server.log" 2>&1 &
        SERVER_PID=$!
        export JACK_DEFAULT_SERVER=bench JACK_NO_START_SERVER=1
        for _ in $(seq 100); do JACK_DEFAULT_SERVER=bench jack_lsp >/dev/null 2>&1 && return 0; sleep 0.1; done ;;
    pipewire)
        command -v pipewire >/dev/null || return 1
        ls /usr/lib/*/alsa-lib/libasound_module_pcm_pipewire.so >/dev/null 2>&1 || return 1
        pipewire >"$TMP/server.log" 2>&1 &
        SERVER_PID=$!
        sleep 2; return 0 ;;
    esac
    return 1
}

echo "| server | streams | rate | CPU per stream (ms/s) | of which the server | aplays alive |"
echo "|---|---|---|---|---|---|"
for server in rill jackd2 pipewire; do
    if ! start_server "$server"; then
        echo "| $server | - | - | not measured: not installed or did not start | | |"
        [ -n "$SERVER_PID" ] && kill -KILL "$SERVER_PID" 2>/dev/null
        continue
    fi
    PIDS+=("$SERVER_PID")
    for rate in $RATES; do
        sox -q -n -r "$rate" -c 2 -b 16 -e signed-integer "$TMP/t$rate.wav" synth $((SECS + 10)) sine 440 vol 0.1
        for n in $STREAMS; do
            players=()
            for k in $(seq "$n"); do
                aplay -q -D "bench_$server" "$TMP/t$rate.wav" 2>>"$TMP/aplay.log" &
                players+=($!)
                PIDS+=($!)
            done
            sleep 2
            t0=0; for p in "${players[@]}"; do t0=$((t0 + $(ticks "$p"))); done
            s0=$(ticks "$SERVER_PID")
            sleep "$SECS"
            t1=0; alive=0
            for p in "${players[@]}"; do
                [ -d "/proc/$p" ] && alive=$((alive + 1))
                t1=$((t1 + $(ticks "$p")))
            done
            s1=$(ticks "$SERVER_PID")
            for p in "${players[@]}"; do kill -KILL "$p" 2>/dev/null; done
            wait "${players[@]}" 2>/dev/null
            awk -v a=$((t1 - t0)) -v s=$((s1 - s0)) -v n="$n" -v hz="$HZ" -v secs="$SECS" \
                -v srv="$server" -v rate="$rate" -v alive="$alive" 'BEGIN {
                    per = (a + s) * 1000 / hz / secs / n; sv = s * 1000 / hz / secs / n
                    printf "| %s | %d | %d | %.2f | %.2f | %d/%d |\n", srv, n, rate, per, sv, alive, n }'
            sleep 1
        done
    done
    kill -TERM "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null
    sleep 1
done
