#!/bin/bash
# tests/integration/rt-syscalls.sh — the realtime threads make no system call
# but one futex wait and one futex wake per node and cycle (plus the
# driver's own), and every JACK call allowed in a process callback is free of
# allocation, locks and system calls.
#
#   1. rilld (dummy driver, 256 frames) with the allocation trap preloaded;
#      three tests/clients/rill-test-rtapi clients in a chain
#      system:capture_1 -> a -> b -> c -> system:playback_1, also under the
#      trap. Each calls, every cycle, the JACK functions that JACK allows in
#      a process callback and checks what they return.
#   2. one strace is attached to the realtime thread of rilld ("rilld-rt")
#      and to each client's (its id reported by the thread init callback)
#      only, for 3 s; the engine's timerfd reads count the cycles. Per cycle:
#      a client's thread may make at most one futex wait and one futex wake
#      (its successor), rilld's one wake (the first node) and no wait: the
#      dummy driver discards playback, so the engine checks the end of the
#      graph at the next cycle's start instead of sleeping on it, and the
#      last client (c) wakes nobody. Plus the dummy driver's own read(2) of
#      its timerfd and, rarely, a timerfd_settime(2) (the timer is periodic: re-armed
#      after an xrun or every few thousand periods, at most a quarter of
#      the cycles here even under strace). Anything else fails the test
#      (clock_gettime, a syscall only where the clock has no vDSO, is listed
#      but allowed).
#   3. The same check must fail for a client that makes a getppid(2) in its
#      process callback (--syscall): the test can fail.
#   4. The ALSA plugin's realtime thread (rill-alsa-rt in an aplay that
#      plays 44.1 kHz into the 48 kHz graph, so the resampler runs too),
#      with the allocation trap preloaded into aplay: per cycle at most one
#      futex wait and one wake, and the write(2) that raises the stream's
#      eventfd (at most once per cycle; in practice once per aplay period);
#      nothing else. Its tone reaches the graph (1 kHz at -6 dBFS).
#   5. No client aborted (trap), every cycle's checks held.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

RTAPI=$RILL_TOP_BUILDDIR/tests/clients/rill-test-rtapi
require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RTAPI" "$RILL_TRAP"
require_program strace strace

WINDOW=3
SLACK=8 # calls per thread: a wait interrupted by the attach restarts, edges

rtapi_start() {
    local name=$1
    shift
    rm -f "$RILL_TMP/$name.status"
    spawn rjack "$RTAPI" "$name" --status "$RILL_TMP/$name.status" "$@" >"$RILL_TMP/$name.log" 2>&1
    CHAIN_PID[$name]=$SPAWN_PID
    wait_for "[ \"\$(chain_get $name cycles)\" -ge 20 ]" 10 ||
        fail "rill-test-rtapi $name: no 20 cycles within 10 s; status: $(chain_status "$name"); log: $(cat "$RILL_TMP/$name.log")"
}

trap_msg() { grep -h "rill-rt-trap:" "$RILL_TMP"/*.log 2>/dev/null | head -n 5; }
cycles_now() { status_value cycles; }

# strace_threads LABEL TID...: one strace attached to these threads only, for
# WINDOW s; its trace is $RILL_TMP/strace-LABEL.txt ("TID  syscall(...)").
# W = the engine's cycles in the window: its timerfd reads (the dummy
# driver reads once per cycle), when the engine thread is traced.
strace_threads() {
    local label=$1 tid args=() spid
    shift
    for tid in "$@"; do args+=(-p "$tid"); done
    strace -qq -o "$RILL_TMP/strace-$label.txt" "${args[@]}" 2>"$RILL_TMP/strace-$label.log" &
    spid=$!
    RILL_PIDS+=("$spid")
    sleep "$WINDOW"
    kill -INT "$spid" 2>/dev/null
    wait_exit "$spid" 10 || fail "strace (pid $spid) did not stop"
    [ -s "$RILL_TMP/strace-$label.txt" ] ||
        fail "strace ${args[*]} traced nothing: $(cat "$RILL_TMP/strace-$label.log")"
}

# counts LABEL TID: "syscall calls" lines for one thread (calls started in
# the window; "<... resumed>" lines are the second half of a call)
counts() {
    awk -v t="$2" '$1 == t && $2 ~ /^[a-z_0-9]+\(/ { sub(/\(.*/, "", $2); n[$2]++ }
        END { for (s in n) print s, n[s] }' "$RILL_TMP/strace-$1.txt" | sort
}

# calls LABEL TID SYSCALL
calls() {
    counts "$1" "$2" | awk -v s="$3" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'
}

# check_thread WHAT LABEL TID MAX_FUTEX MAX_DRIVER: prints why and returns 1
# when the thread made more calls than allowed. The driver's own calls
# (dummy: read and timerfd_settime of its timerfd) count for the engine only.
check_thread() {
    local what=$1 label=$2 tid=$3 maxf=$4 maxd=$5 name n bad= all
    all=$(counts "$label" "$tid" | tr '\n' ' ')
    while read -r name n; do
        [ -n "$name" ] || continue
        case $name in
        futex) [ "$n" -le "$maxf" ] || bad="$bad futex=$n>$maxf" ;;
        read | timerfd_settime) [ "$n" -le "$maxd" ] || bad="$bad $name=$n>$maxd" ;;
        clock_gettime | clock_gettime64) info "$what: $n clock_gettime calls (no vDSO clock here)" ;;
        # the kernel going on with a wait (futex, ppoll) that a signal or
        # strace's attach interrupted: the same wait, not a call of ours
        restart_syscall) info "$what: $n restart_syscall (an interrupted wait going on)" ;;
        *) bad="$bad $name=$n" ;;
        esac
    done < <(counts "$label" "$tid")
    if [ -n "$bad" ]; then
        echo "$what: over the limit in $W cycles:$bad (all: $all)"
        return 1
    fi
    info "$what: $all in $W cycles: ok"
    return 0
}

rt_tid() {
    local t
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = rilld-rt ] && { basename "$t"; return 0; }
    done
    return 1
}

# ---- 1. the chain under the trap
RILLD_PRELOAD=$RILL_TRAP rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
export RILL_TEST_TRAP=1
rtapi_start a --connect-from system:capture_1
rtapi_start b --connect-from a:out
rtapi_start c --connect-from b:out --connect-to system:playback_1
ENGINE_TID=$(rt_tid "$RILLD_PID") || fail "no thread named rilld-rt in rilld (pid $RILLD_PID)"
for c in a b c; do
    [ "$(chain_get $c tid)" -gt 0 ] 2>/dev/null || fail "client $c reported no realtime thread id: $(chain_status $c)"
done

# ---- 2. count the realtime threads' system calls
A=$(chain_get a tid) Bt=$(chain_get b tid) C=$(chain_get c tid)
strace_threads clean "$ENGINE_TID" "$A" "$Bt" "$C"
W=$(calls clean "$ENGINE_TID" read)
[ "$W" -ge 100 ] || fail "only $W engine cycles (timerfd reads) in ${WINDOW} s under strace (want >= 100)"
# per cycle: one wait + one wake per node; the driver's own calls besides.
# The engine and the sink c: one futex call (the engine wakes a, c waits).
MAXF=$((2 * W + SLACK))
check_thread "rilld-rt" clean "$ENGINE_TID" "$((W + SLACK))" "$((W + SLACK))" ||
    fail "$(check_thread "rilld-rt" clean "$ENGINE_TID" "$((W + SLACK))" "$((W + SLACK))")"
S=$(calls clean "$ENGINE_TID" timerfd_settime)
[ "${S:-0}" -le $((W / 4 + SLACK)) ] ||
    fail "rilld-rt re-armed its timer $S times in $W cycles: the dummy driver's timer should be periodic"
info "rilld-rt: $W cycles, ${S:-0} timer re-arms"
for t in "a $A $MAXF" "b $Bt $MAXF" "c $C $((W + SLACK))"; do
    set -- $t
    check_thread "client $1" clean "$2" "$3" 0 || fail "$(check_thread "client $1" clean "$2" "$3" 0)"
done
# the whole graph: 1 (engine) + 2 + 2 + 1 (c) per cycle
total=0
for tid in "$ENGINE_TID" "$A" "$Bt" "$C"; do total=$((total + $(calls clean "$tid" futex))); done
[ "$total" -le $((6 * W + 4 * SLACK)) ] ||
    fail "the realtime threads made $total futex calls in $W cycles (at most $((6 * W)) + slack)"
# and the counts are real: every client slept and was woken about once a cycle
for tid in "$A" "$Bt" "$C"; do
    [ "$(calls clean "$tid" futex)" -ge $((W / 2)) ] ||
        fail "thread $tid made $(calls clean "$tid" futex) futex calls in $W cycles: is strace tracing the right thread?"
done
info "futex calls of the 4 realtime threads: $total in $W cycles"

# ---- 3. the negative control: a syscall in the process callback is caught
rtapi_start noisy --syscall --connect-from c:out
N=$(chain_get noisy tid)
strace_threads noisy "$ENGINE_TID" "$N"
W=$(calls noisy "$ENGINE_TID" read)
[ "$(calls noisy "$N" getppid)" -ge $((W / 2)) ] ||
    fail "client noisy: strace saw $(calls noisy "$N" getppid) getppid calls in $W cycles (want about $W)"
if check_thread "client noisy" noisy "$N" $((2 * W + SLACK)) 0 >/dev/null; then
    fail "the check accepted a client that makes a system call in every cycle"
fi
info "negative control: $(check_thread "client noisy" noisy "$N" $((2 * W + SLACK)) 0)"

# ---- 4. the ALSA plugin's realtime thread
. "$(dirname "$0")/alsa-lib.sh"
require_program aplay alsa-utils
require_program sox sox
# alsa_tid PID: the plugin's realtime thread in process PID
alsa_tid() {
    local t
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = rill-alsa-rt ] && { basename "$t"; return 0; }
    done
    return 1
}
tone "$RILL_TMP/t441.wav" 44100 2 30 1000 -b 16 -e signed-integer
trap_preload=$RILL_TRAP
[ "$RILL_SANITIZERS" = yes ] && trap_preload="${RILL_SAN_PRELOAD%%:*}:$RILL_TRAP"
LD_PRELOAD=$trap_preload RILL_ALSA_NAME=alsa spawn alsa_run aplay -q -D rill "$RILL_TMP/t441.wav" \
    >"$RILL_TMP/aplay.log" 2>&1
APLAY=$SPAWN_PID
wait_for 'port_exists alsa:playback_1' 10 || fail "aplay through the plugin: no port alsa:playback_1; $(cat "$RILL_TMP/aplay.log")"
grep -q librill-rt-trap "/proc/$APLAY/maps" || fail "the trap is not loaded into aplay"
wait_for 'AT=$(alsa_tid $APLAY)' 5 || fail "no thread named rill-alsa-rt in aplay (pid $APLAY)"
meter alsa:playback_1 0.5
near "$FREQ" 1000 1 && near "$PEAK" 0.5 0.01 || fail "aplay through the plugin: $FREQ Hz, peak $PEAK (want 1000, 0.5)"
strace_threads alsa "$ENGINE_TID" "$AT"
W=$(calls alsa "$ENGINE_TID" read)
[ "$W" -ge 100 ] || fail "only $W engine cycles (timerfd reads) in ${WINDOW} s under strace (want >= 100)"
# check_thread counts read(2) with the driver's calls: the plugin's thread
# may make none (its only other call is the eventfd write, counted here)
WR=$(calls alsa "$AT" write)
[ "$WR" -le $((W + SLACK)) ] || fail "rill-alsa-rt wrote $WR times in $W cycles (at most one eventfd write a cycle)"
[ "$WR" -ge 1 ] || fail "rill-alsa-rt made no eventfd write in $W cycles: is strace tracing the right thread?"
bad=$(grep -E "^$AT +write\(" "$RILL_TMP/strace-alsa.txt" | grep -vE ', 8(\) *=| <unfinished)')
[ -z "$bad" ] || fail "rill-alsa-rt made a write(2) that is not the 8-byte eventfd write: $(head -n 3 <<<"$bad")"
sed -E "/^$AT +write\(/d" "$RILL_TMP/strace-alsa.txt" >"$RILL_TMP/strace-alsa-nw.txt"
mv "$RILL_TMP/strace-alsa-nw.txt" "$RILL_TMP/strace-alsa.txt"
check_thread "rill-alsa-rt" alsa "$AT" $((2 * W + SLACK)) 0 ||
    fail "$(check_thread "rill-alsa-rt" alsa "$AT" $((2 * W + SLACK)) 0)"
[ "$(calls alsa "$AT" futex)" -ge $((W / 2)) ] ||
    fail "rill-alsa-rt made $(calls alsa "$AT" futex) futex calls in $W cycles: is strace tracing the right thread?"
info "rill-alsa-rt: $WR eventfd writes and $(calls alsa "$AT" futex) futex calls in $W cycles"
pid_running "$APLAY" || fail "aplay died under the trap: $(trap_msg) $(cat "$RILL_TMP/aplay.log")"
kill -TERM "$APLAY"
wait_exit "$APLAY" 10 || fail "aplay did not stop"

# ---- 5. nobody aborted, every check held
for c in a b c noisy; do
    pid_running "${CHAIN_PID[$c]}" || fail "client $c died: $(trap_msg) $(cat "$RILL_TMP/$c.log")"
done
rill_alive || fail "rilld died: $(trap_msg)"
[ -z "$(trap_msg)" ] || fail "the allocation trap fired: $(trap_msg)"
for c in noisy c b a; do chain_stop "$c"; done
for c in a b c noisy; do
    [ "$(chain_get $c bad)" = 0 ] || fail "client $c: failed checks in its process callback: $(chain_status $c)"
    [ "$(chain_get $c ok)" -ge 100 ] || fail "client $c: only $(chain_get $c ok) ok cycles: $(chain_status $c)"
    info "$c: $(chain_status $c)"
done
rill_stop
info "ok"
