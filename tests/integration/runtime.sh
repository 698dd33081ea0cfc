#!/bin/bash
# tests/integration/runtime.sh — changes while running: jack_bufsize changes
# the period (every client's buffer-size callback runs before its first
# process call at the new size, audio goes on bit-exact, the system ports'
# latencies follow), bad sizes are refused with a clear message, and
# jack_freewheel runs the graph as fast as it can and back.
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
expect_rc 0 rjack jack_freewheel y
fast=$(rate sleep 1)
expect_rc 0 rjack jack_freewheel n
slow=$(rate sleep 1)
# at 512 frames and 48 kHz real time is 93.75 cycles/s
[ "$fast" -gt 300 ] || fail "freewheeling ran only $fast cycles/s"
[ "$slow" -lt 150 ] || fail "still freewheeling after jack_freewheel n ($slow cycles/s)"
before=$(chain_get snk ok)
wait_for "[ \$(chain_get snk ok) -ge $((before + 20)) ]" 10 || fail "audio stopped after freewheeling"
[ "$(chain_get snk bad)" = 0 ] || fail "the sink saw wrong samples: $(chain_status snk)"
rill_alive || fail "rilld died"
info "ok"
