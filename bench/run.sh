#!/bin/bash
# bench/run.sh — rilld, jackd2 and PipeWire side by side, with one JACK client.
#
# Run by `make bench` (RILL_TOP_BUILDDIR, RILL_TOP_SRCDIR and BENCH_DOC set).
# For every topology and period, each server in turn (the order alternates
# from one case to the next) is started with its dummy (timer) driver at
# 48 kHz, the clients are started, 1 s of warm-up, then SECONDS of
# measurement, then everything is stopped. The same program,
# bench/rill-bench-client (built against the distribution's libjack), is the
# client on every server: on rilld through tools/rill-jack, on jackd2 as is,
# on PipeWire through pw-jack.
#
# Topologies: idle (no client), chain-N (b1 -> b2 -> ... -> bN; b1 generates,
# bN only reads), par-M (M branches, each feeding one input of a mixer).
# Figures: CPU time of the server and the clients per cycle (sum over all
# their threads of /proc/PID/task/TID/schedstat, divided by the periods of
# wall time in the window), DSP load (jack_cpu_load seen by the clients,
# mean and max), xruns (the server's reports through the xrun callback),
# misses (sink cycles that ended later than one period after the cycle
# start, plus cycles the sink never saw), latency = cycle start (the
# server's jack_get_cycle_times) -> end of the last client's process
# (mean, p99, max). See bench/rill-bench-report.c.
#
# Environment: QUICK=1 (about 2 minutes: one round of 2 s per case, chains
# 1 4 16, par-4; else 3 rounds of 4 s, about 45 minutes), BENCH_SECONDS, BENCH_ROUNDS (the
# table shows medians), BENCH_PERIODS ("64 256"), BENCH_CHAINS, BENCH_PARS,
# BENCH_SERVERS ("rill jackd2 pipewire"), BENCH_DOC (where the markdown goes;
# empty: nowhere), BENCH_KEEP=1 keeps the temp dir, BENCH_PIN=CPUS pins every
# process (taskset -c CPUS), BENCH_RILLD_ARGS adds server options to rilld
# (e.g. "--affinity off").
# Processes are stopped by PID, never by name.
set -u

B=${RILL_TOP_BUILDDIR:?run through make bench, or set RILL_TOP_BUILDDIR}
S=${RILL_TOP_SRCDIR:-$B}
QUICK=${QUICK:-0}
RATE=48000
if [ "$QUICK" = 1 ]; then
    SECS=${BENCH_SECONDS:-2}
    ROUNDS=${BENCH_ROUNDS:-1}
    CHAINS=${BENCH_CHAINS-"1 4 16"}
    PARS=${BENCH_PARS-"4"}
else
    SECS=${BENCH_SECONDS:-4}
    ROUNDS=${BENCH_ROUNDS:-3}
    CHAINS=${BENCH_CHAINS-"1 4 16 32 64"}
    PARS=${BENCH_PARS-"4 16"}
fi
case $ROUNDS in '' | *[!0-9]* | 0) echo "bench: BENCH_ROUNDS must be a whole number from 1 up, not '$ROUNDS'" >&2; exit 2 ;; esac
PERIODS=${BENCH_PERIODS:-"64 256"}
SERVERS=${BENCH_SERVERS:-"rill jackd2 pipewire"}
DOC=${BENCH_DOC-}
# BENCH_PIN=CPUS: run servers and clients under taskset -c CPUS (an experiment:
# where the wake-ups cross cores and where they do not)
PIN=()
[ -n "${BENCH_PIN:-}" ] && PIN=(taskset -c "$BENCH_PIN")

# the peers: jackd2 and PipeWire's libjack (as root installed when missing,
# else the command is printed and what is missing is left out below)
"$S/tools/install-deps.sh" --bench || echo "bench: measuring only what is installed" >&2

CLIENT=$B/bench/rill-bench-client
REPORT=$B/bench/rill-bench-report
FUTEX=$B/bench/rill-bench-futex
for f in "$CLIENT" "$REPORT" "$FUTEX" "$B/engine/rilld" "$B/tools/rill-jack"; do
    [ -x "$f" ] || { echo "bench: $f is missing (run: make bench)" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/rill-bench.XXXXXX) || exit 1
PIDS=()
SRV_PID=
cleanup() {
    local p
    for p in "${PIDS[@]}" $SRV_PID; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    [ "${BENCH_KEEP:-0}" = 1 ] && echo "bench: kept $TMP" >&2 || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM
RESULTS=$TMP/results
: >"$RESULTS"
NOTES=()

note() { echo "bench: $*" >&2; }

# 0 when PID is alive (not a zombie)
alive() {
    local st
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# ---- which servers can run here
HAVE=()
for s in $SERVERS; do
    case $s in
    rill) HAVE+=(rill) ;;
    jackd2)
        if command -v jackd >/dev/null; then HAVE+=(jackd2); else
            NOTES+=("jackd2: not installed (Debian package jackd2): not measured")
        fi ;;
    pipewire)
        if command -v pipewire >/dev/null && command -v pw-jack >/dev/null; then HAVE+=(pipewire); else
            NOTES+=("PipeWire: not installed (Debian packages pipewire, pipewire-jack): not measured")
        fi ;;
    *) echo "bench: unknown server '$s' in BENCH_SERVERS (rill, jackd2, pipewire)" >&2; exit 2 ;;
    esac
done

# ---- servers. server_start KIND PERIOD: sets SRV_PID and CLIENT_CMD
# (the prefix that runs a JACK program on that server); 1 on failure.
N=0
server_start() {
    local kind=$1 p=$2 end
    N=$((N + 1))
    local log=$TMP/$kind-$N.log
    SRV_LOG=$log
    case $kind in
    rill)
        export XDG_RUNTIME_DIR=$TMP/xdg-rill
        mkdir -p -m 700 "$XDG_RUNTIME_DIR"
        local name=rb$$-$N
        # shellcheck disable=SC2086 # BENCH_RILLD_ARGS: words on purpose
        "${PIN[@]}" "$B/engine/rilld" -n "$name" ${BENCH_RILLD_ARGS:-} -d dummy -r $RATE -p "$p" >"$log" 2>&1 &
        SRV_PID=$!
        CLIENT_CMD=(env RILL_JACK_LIBDIR="$B/clients/jack/.libs" "$B/tools/rill-jack" -s "$name")
        end=$((SECONDS + 10))
        until grep -q "ready" "$log"; do
            alive "$SRV_PID" && [ $SECONDS -lt $end ] || return 1
            sleep 0.05
        done ;;
    jackd2)
        # one fixed name: jackd2 keeps a server's slot in its registry in
        # /dev/shm (room for 8) after an unclean exit until a server of the
        # same name starts again; a new name per case filled it after a few
        # killed servers, and no jackd2 could start after that
        local name=rill-bench
        JACK_NO_START_SERVER=1 "${PIN[@]}" jackd -n "$name" -R -P 20 -t 500 -d dummy -r $RATE -p "$p" >"$log" 2>&1 &
        SRV_PID=$!
        CLIENT_CMD=(env JACK_DEFAULT_SERVER="$name" JACK_NO_START_SERVER=1)
        end=$((SECONDS + 10))
        until JACK_DEFAULT_SERVER=$name JACK_NO_START_SERVER=1 timeout 5 jack_lsp >/dev/null 2>&1; do
            alive "$SRV_PID" && [ $SECONDS -lt $end ] || return 1
            sleep 0.1
        done ;;
    pipewire)
        local xdg=$TMP/xdg-pw-$N
        mkdir -p -m 700 "$xdg"
        # the distribution's pipewire.conf (its modules that want a session
        # bus fail and are skipped); the quantum is forced through the
        # settings metadata and asked for by every client (pw-jack -p)
        XDG_RUNTIME_DIR=$xdg DBUS_SESSION_BUS_ADDRESS=disabled: "${PIN[@]}" pipewire >"$log" 2>&1 &
        SRV_PID=$!
        CLIENT_CMD=(env XDG_RUNTIME_DIR="$xdg" DBUS_SESSION_BUS_ADDRESS=disabled: PIPEWIRE_LOG_SYSTEMD=false pw-jack -p "$p" -s $RATE)
        end=$((SECONDS + 10))
        until [ -S "$xdg/pipewire-0" ]; do
            alive "$SRV_PID" && [ $SECONDS -lt $end ] || return 1
            sleep 0.05
        done
        for kv in "clock.force-rate $RATE" "clock.force-quantum $p"; do
            # shellcheck disable=SC2086
            XDG_RUNTIME_DIR=$xdg timeout -s KILL 5 pw-metadata -n settings 0 $kv >/dev/null 2>&1 ||
                note "pw-metadata -n settings 0 $kv failed"
        done ;;
    esac
    return 0
}

server_stop() {
    [ -n "$SRV_PID" ] || return 0
    kill -TERM "$SRV_PID" 2>/dev/null
    local end=$((SECONDS + 5))
    while alive "$SRV_PID" && [ $SECONDS -lt $end ]; do sleep 0.05; done
    kill -KILL "$SRV_PID" 2>/dev/null
    wait "$SRV_PID" 2>/dev/null
    SRV_PID=
}

# client_start NAME [client args]: start one bench client, wait until ready
CLIENT_PIDS=()
client_start() {
    local name=$1 end
    shift
    rm -f "$RUN/$name.ready"
    "${PIN[@]}" "${CLIENT_CMD[@]}" "$CLIENT" "$name" --rec "$RUN/$name.rec" --ready "$RUN/$name.ready" \
        --max-cycles $((SECS * RATE / 64 + 4000)) "$@" >"$RUN/$name.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    CLIENT_PIDS+=("$pid")
    end=$((SECONDS + 15))
    until [ -e "$RUN/$name.ready" ]; do
        if ! alive "$pid" || [ $SECONDS -ge $end ]; then
            note "client $name did not start: $(tail -n 3 "$RUN/$name.log" | tr '\n' ' ')"
            return 1
        fi
        sleep 0.02
    done
}

# CPU time (ns) of the server and the clients: all their threads
cpu_ns() {
    local p files=()
    for p in "$SRV_PID" "${CLIENT_PIDS[@]}"; do files+=(/proc/"$p"/task/*/schedstat); done
    cat "${files[@]}" 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# run_case KIND TOPO PERIOD: one measurement; appends a line to $RESULTS
run_case() {
    local kind=$1 topo=$2 p=$3 i
    RUN=$TMP/run-$kind-$topo-$p
    mkdir -p "$RUN"
    CLIENT_PIDS=()
    local line="server=$kind topo=$topo period=$p"
    if ! server_start "$kind" "$p"; then
        note "$kind did not start: $(tail -n 3 "$SRV_LOG" | tr '\n' ' ')"
        server_stop
        echo "$line failed=server" >>"$RESULTS"
        return
    fi
    local ok=1 sink= others=()
    case $topo in
    chain-*)
        local n=${topo#chain-}
        for ((i = 1; i <= n && ok; i++)); do
            local args=(--ins 0 --outs 1)
            [ $i -gt 1 ] && args=(--ins 1 --outs 1 --from "b$((i - 1)):out")
            [ $i -eq "$n" ] && [ "$n" -gt 1 ] && args=(--ins 1 --outs 0 --from "b$((i - 1)):out")
            client_start "b$i" "${args[@]}" || ok=0
            others+=("$RUN/b$i.rec")
        done
        sink=$RUN/b$n.rec ;;
    par-*)
        local m=${topo#par-} from=()
        for ((i = 1; i <= m && ok; i++)); do
            client_start "br$i" --ins 0 --outs 1 || ok=0
            others+=("$RUN/br$i.rec")
            from+=(--from "br$i:out")
        done
        [ $ok = 1 ] && { client_start mix --ins "$m" --outs 0 "${from[@]}" || ok=0; }
        sink=$RUN/mix.rec ;;
    idle) ;;
    esac
    if [ $ok = 0 ]; then
        echo "$line failed=clients" >>"$RESULTS"
        if [ "$kind" = pipewire ] && [ -z "${PW_BROKEN:-}" ]; then
            PW_BROKEN=1
            NOTES+=("PipeWire: a client did not start ($(tail -n 2 "$RUN"/*.log 2>/dev/null | tr '\n' ' ' | cut -c1-200)); PipeWire was left out of the remaining cases")
        fi
    else
        sleep 1
        [ ${#CLIENT_PIDS[@]} -gt 0 ] && kill -USR1 "${CLIENT_PIDS[@]}"
        local c0 c1 t0 t1
        c0=$(cpu_ns)
        t0=$(date +%s%N)
        sleep "$SECS"
        c1=$(cpu_ns)
        t1=$(date +%s%N)
        alive "$SRV_PID" || line="$line server_died=1"
        local cyc
        cyc=$(awk -v t="$((t1 - t0))" -v r=$RATE -v p="$p" -v c="$((c1 - c0))" \
            'BEGIN { n = t / 1e9 * r / p; printf "%.1f", c / n / 1000 }')
        line="$line cpu_us=$cyc"
        if [ ${#CLIENT_PIDS[@]} -gt 0 ]; then
            kill -TERM "${CLIENT_PIDS[@]}" 2>/dev/null
            for pid in "${CLIENT_PIDS[@]}"; do
                local end=$((SECONDS + 10))
                while alive "$pid" && [ $SECONDS -lt $end ]; do sleep 0.05; done
            done
            local fig
            if fig=$("$REPORT" "$sink" "${others[@]}" 2>"$RUN/report.err"); then
                line="$line $fig"
            else
                line="$line failed=report"
                note "$kind $topo $p: $(cat "$RUN/report.err")"
            fi
        fi
        echo "$line" >>"$RESULTS"
    fi
    for pid in "${CLIENT_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    server_stop
    wait 2>/dev/null
    PIDS=()
    note "$(tail -n 1 "$RESULTS")"
}

# ---- the floor
LOADSTART=$(cut -d" " -f1-3 /proc/loadavg)
note "futex floor ..."
FLOOR=$("$FUTEX" --iterations $([ "$QUICK" = 1 ] && echo 3000 || echo 20000) 2>&1)
echo "$FLOOR"

# ---- the cases, servers alternating
TOPOS="idle"
for n in $CHAINS; do TOPOS="$TOPOS chain-$n"; done
for m in $PARS; do TOPOS="$TOPOS par-$m"; done
# rounds: the whole list again, so that a slow spell of the host (they come
# and go on a virtual machine) falls on every server alike
k=0
for ((round = 1; round <= ROUNDS; round++)); do
    [ "$ROUNDS" -gt 1 ] && note "round $round of $ROUNDS"
    for p in $PERIODS; do
        for t in $TOPOS; do
            order=("${HAVE[@]}")
            # alternate: rotate the order by one each case
            r=$((k % ${#order[@]}))
            order=("${order[@]:r}" "${order[@]:0:r}")
            k=$((k + 1))
            for s in "${order[@]}"; do
                [ "$s" = pipewire ] && [ -n "${PW_BROKEN:-}" ] && continue
                run_case "$s" "$t" "$p"
            done
        done
    done
done

# ---- the table
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
MACHINE="$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n1), $(nproc) CPUs online, \
$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), \
kernel $(uname -r), clock source $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null), \
$(grep -q '^flags.* hypervisor' /proc/cpuinfo && echo 'virtual machine' || echo 'no hypervisor flag')"
VERSIONS="rill $(git -C "$S" describe --always --dirty 2>/dev/null || echo '?'), \
$(jackd --version 2>/dev/null | head -n1 | sed 's/ tmpdir.*//'), \
PipeWire $(pipewire --version 2>/dev/null | sed -n 's/.*libpipewire //p' | head -n1)"
TABLE=$(awk -v have="${HAVE[*]}" -v rounds="$ROUNDS" -f "$S/bench/table.awk" "$RESULTS")

{
    echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), $ROUNDS round(s) of $SECS s per case, ${RATE} Hz, QUICK=$QUICK${BENCH_PIN:+, all processes pinned to CPU(s) $BENCH_PIN}"
    echo
    echo "Machine: $MACHINE; load average before the run: $LOADSTART, after: $LOAD0"
    echo
    echo "Versions: $VERSIONS"
    echo
    for n in "${NOTES[@]}"; do echo "Note: $n"; echo; done
    echo "The floor (bench/rill-bench-futex, one-way hand-off between two processes):"
    echo
    echo '```'
    echo "$FLOOR"
    echo '```'
    echo
    echo "$TABLE"
} >"$TMP/out.md"
cat "$TMP/out.md"

if [ -n "$DOC" ]; then
    if [ -f "$DOC" ] && grep -q '^<!-- bench:begin -->' "$DOC"; then
        awk -v f="$TMP/out.md" '
            /^<!-- bench:begin -->/ { print; while ((getline l < f) > 0) print l; skip = 1; next }
            /^<!-- bench:end -->/ { skip = 0 }
            !skip' "$DOC" >"$TMP/doc.md" && cat "$TMP/doc.md" >"$DOC"
    else
        { echo "# Benchmarks"; echo; echo "<!-- bench:begin -->"; cat "$TMP/out.md"
          echo "<!-- bench:end -->"; } >"$DOC"
    fi
    note "results written to $DOC"
fi
