#!/bin/bash
# tests/integration/runtime.sh — changes while running: jack_bufsize changes
# the period (every client's buffer-size callback runs before its first
# process call at the new size, audio goes on bit-exact, the system ports'
# latencies follow), bad sizes are refused with a clear message, and
# jack_freewheel runs the graph as fast as it can and back, with the engine's
# and the clients' threads at SCHED_OTHER meanwhile, and an idle engine
# freewheels without spinning.
. "${RILL_TOP_SRCDIR:-.}/tests/integration/lib.sh"

require_program jack_bufsize
require_program jack_freewheel

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
chain_start source src
chain_start pass mid --connect-from src:out
chain_start sink snk --connect-from mid:out
wait_for "[ \$(chain_get snk ok) -ge 20 ]" 10 || fail "the chain does not carry audio: $(chain_status snk)"

# jack_bufsize prints the current size
expect_rc 0 rjack jack_bufsize
expect_out "256" "jack_bufsize to print 256"

for size in 1024 64 512; do
    expect_rc 0 rjack jack_bufsize "$size"
    [ "$(status_value period)" = "$size" ] || fail "rillctl status does not show period $size"
    wait_for "[ \$(chain_get snk nframes) = $size ]" 10 ||
        fail "the sink does not run at $size frames: $(chain_status snk)"
    wait_for "[ \$(chain_get mid nframes) = $size ]" 5 || fail "mid does not run at $size"
done
out=$(rjack jack_lsp -l system:capture_1 2>&1)
echo "$out" | grep -q "capture latency = \[ 512 512 \]" ||
    fail "system:capture_1 does not report the new period as its latency: $out"
for name in src mid snk; do
    # the status file is rewritten every 100 ms by a normal thread, which
    # may lag on a loaded machine: wait for it before reading the counts
    wait_for "[ \$(chain_get $name bufsize_calls) -ge 4 ]" 5 ||
        fail "$name's buffer-size callback did not run for each change: $(chain_status $name)"
    [ "$(chain_get $name bufsize_mismatch)" = 0 ] ||
        fail "$name ran process at a size its buffer-size callback had not announced: $(chain_status $name)"
done
before=$(chain_get snk ok)
wait_for "[ \$(chain_get snk ok) -ge $((before + 20)) ]" 10 || fail "audio stopped after the changes"
[ "$(chain_get snk bad)" = 0 ] || fail "the sink saw wrong samples: $(chain_status snk)"

# sizes that cannot be: a clear refusal, the period stays
OUT=$(timeout 20 rjack jack_bufsize 100 2>&1) && fail "jack_bufsize 100 succeeded"
expect_out "power of two" "a refusal naming what is allowed"
[ "$(status_value period)" = 512 ] || fail "a refused size changed the period"

# freewheel: cycles run much faster than real time, then back. Rates are
# cycles per measured second (a loaded machine may stretch a sleep).
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# rate CMD...: cycles per second while CMD runs
rate() {
    local c0 t0 c1 t1
    c0=$(status_value cycles); t0=$(now_ms)
    "$@"
    c1=$(status_value cycles); t1=$(now_ms)
    echo $(((c1 - c0) * 1000 / (t1 - t0 + 1)))
}
# fifo_threads PID: how many of PID's threads run at SCHED_FIFO (field 41
# of /proc/PID/task/TID/stat: the policy, 1 = SCHED_FIFO)
fifo_threads() {
    local t n=0 pol
    for t in /proc/"$1"/task/*; do
        pol=$(awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[39] }' "$t/stat" 2>/dev/null)
        [ "$pol" = 1 ] && n=$((n + 1))
    done
    echo "$n"
}
# rilld runs its engine thread at SCHED_FIFO here (the test runs as a user
# that may, or rilld says it cannot): then so do the clients' threads
realtime=0
grep -q "not realtime" "$RILLD_LOG" || realtime=1
if [ "$realtime" = 1 ]; then
    [ "$(fifo_threads "$RILLD_PID")" -ge 1 ] || fail "rilld has no SCHED_FIFO thread before freewheeling"
    wait_for "[ \$(fifo_threads ${CHAIN_PID[mid]}) -ge 1 ]" 5 ||
        fail "the client mid has no SCHED_FIFO thread before freewheeling"
fi
expect_rc 0 rjack jack_freewheel y
fast=$(rate sleep 1)
# freewheeling, nothing runs at SCHED_FIFO: the engine's thread runs cycles
# back to back and would own its core (as jackd, engine and clients drop to
# SCHED_OTHER). The clients follow their FREEWHEEL event: wait for it.
if [ "$realtime" = 1 ]; then
    [ "$(fifo_threads "$RILLD_PID")" = 0 ] ||
        fail "rilld keeps $(fifo_threads "$RILLD_PID") SCHED_FIFO thread(s) while freewheeling"
    for name in src mid snk; do
        wait_for "[ \$(fifo_threads ${CHAIN_PID[$name]}) = 0 ]" 5 ||
            fail "client $name keeps a SCHED_FIFO thread while freewheeling"
    done
    # a client that starts meanwhile starts at SCHED_OTHER
    chain_start sink late --connect-from mid:out
    [ "$(fifo_threads "${CHAIN_PID[late]}")" = 0 ] ||
        fail "a client started while freewheeling runs a SCHED_FIFO thread"
fi
expect_rc 0 rjack jack_freewheel n
slow=$(rate sleep 1)
if [ "$realtime" = 1 ]; then
    [ "$(fifo_threads "$RILLD_PID")" -ge 1 ] || fail "rilld is not back at SCHED_FIFO after freewheeling"
    for name in src mid snk late; do
        wait_for "[ \$(fifo_threads ${CHAIN_PID[$name]}) -ge 1 ]" 5 ||
            fail "client $name is not back at SCHED_FIFO after freewheeling"
    done
fi
# at 512 frames and 48 kHz real time is 93.75 cycles/s
[ "$fast" -gt 300 ] || fail "freewheeling ran only $fast cycles/s"
[ "$slow" -lt 150 ] || fail "still freewheeling after jack_freewheel n ($slow cycles/s)"
before=$(chain_get snk ok)
wait_for "[ \$(chain_get snk ok) -ge $((before + 20)) ]" 10 || fail "audio stopped after freewheeling"
[ "$(chain_get snk bad)" = 0 ] || fail "the sink saw wrong samples: $(chain_status snk)"

# an idle engine that freewheels (no client node at all) sleeps instead of
# spinning through empty cycles: its cycle rate stays near real time and it
# uses a small part of a core. Both hold however loaded the machine is (a
# spinning thread at SCHED_OTHER still runs hundreds of thousands of cycles
# per second, and a core's worth of CPU time when a core is free).
for name in src mid snk; do chain_stop "$name"; done
[ "$realtime" = 1 ] && chain_stop late
wait_for "[ -z \"\$(clients_list | grep -v '^system\$')\" ]" 10 || fail "clients left behind: $(clients_list)"
cpu_ticks() { awk '{ s = $0; sub(/.*\) /, "", s); split(s, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; }
expect_rc 0 rjack jack_freewheel y
hz=$(getconf CLK_TCK)
t0=$(now_ms); k0=$(cpu_ticks "$RILLD_PID")
idle=$(rate sleep 1)
t1=$(now_ms); k1=$(cpu_ticks "$RILLD_PID")
cpu_pct=$(( (k1 - k0) * 1000 * 100 / hz / (t1 - t0 + 1) ))
expect_rc 0 rjack jack_freewheel n
info "idle freewheeling: $idle cycles/s, rilld used ${cpu_pct}% of a core"
[ "$idle" -lt 300 ] || fail "an idle freewheeling engine spins: $idle cycles/s (real time is 93.75)"
[ "$cpu_pct" -lt 20 ] || fail "an idle freewheeling engine uses ${cpu_pct}% of a core"
rill_alive || fail "rilld died"
info "ok"
