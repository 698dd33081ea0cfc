#!/bin/bash
# tests/integration/cycle-wrap.sh — audio keeps flowing when the 32-bit
# cycle words wrap (rill/shm.h, "32-bit cycle words").
#
# rilld starts 3000 cycles before the wrap (RILL_TEST_FIRST_CYCLE), -p 128:
# the low 32 bits of the cycle go 0xfffffffe -> 1 about 8 s later. Graph,
# as chain.sh's feedback part:
#     fsrc:out -> x:in, fb:out -> x:in, x:out -> fb:in (feedback, read one
#     period late), x:out -> fwd:in (forward)
# Across the wrap, fwd must see the source bit for bit in every cycle, and
# fb must see it exactly one period late in every cycle: a feedback source
# counts as produced in the previous cycle only when its word equals the
# previous cycle word, and the one before 1 is 0xfffffffe, not 0 (before
# the fix fb heard one period of silence at each wrap).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
period=128
before=3000
# cycles run when the wrap comes: first cycle N + 1 = 2^32 - 2 - before + 1,
# the cycle after 0xfffffffe is 2^32 + 1 (0 and 0xffffffff are skipped)
wrap_at=$((before + 1))
RILL_TEST_FIRST_CYCLE=$((4294967294 - before)) rill_start "$RILL_SERVER" -d dummy -r 48000 -p $period
grep -q "test hook: the first cycle is $((4294967294 - before + 1))" "$RILLD_LOG" ||
    fail "rilld did not take RILL_TEST_FIRST_CYCLE: $(cat "$RILLD_LOG")"

chain_start source fsrc
chain_start pass x
chain_start sink fb --latency "$period" --silent-out
chain_start sink fwd --latency 0
expect_rc 0 rctl connect fsrc:out x:in
expect_rc 0 rctl connect fb:out x:in
expect_rc 0 rctl connect x:out fb:in
expect_rc 0 rctl connect x:out fwd:in
chain_wait_key fb ok 20 10 || fail "fb saw no correct cycle within 10 s: $(chain_status fb)"
chain_wait_key fwd ok 20 10 || fail "fwd saw no correct cycle within 10 s: $(chain_status fwd)"
# a status file is rewritten every 100 ms: let it catch up once more
sleep 0.3

cycles0=$(status_value cycles)
xruns0=$(status_value xruns)
fb_silent0=$(chain_get fb silent)
fb_ok0=$(chain_get fb ok)
fwd_ok0=$(chain_get fwd ok)
info "before the wrap: engine cycles $cycles0 (wrap at $wrap_at), fb: $(chain_status fb)"
[ "$cycles0" -lt $((wrap_at - 100)) ] ||
    fail "the clients took until cycle $cycles0 to run, too close to the wrap at $wrap_at"

wait_for "[ \"\$(status_value cycles)\" -ge $((wrap_at + 300)) ]" 30 ||
    fail "rilld did not reach cycle $((wrap_at + 300)): $(rctl status)"
sleep 0.3
cycles1=$(status_value cycles)
xruns1=$(status_value xruns)
info "after the wrap: engine cycles $cycles1, fb: $(chain_status fb), fwd: $(chain_status fwd)"

rill_alive || fail "rilld died"
check_audio fwd 100
check_audio fb 100
fb_ok1=$(chain_get fb ok)
fwd_ok1=$(chain_get fwd ok)
fb_silent1=$(chain_get fb silent)
# both sinks ran through the wrap: at least 300 correct cycles after it
[ $((fwd_ok1 - fwd_ok0)) -ge 300 ] ||
    fail "fwd got only $((fwd_ok1 - fwd_ok0)) correct cycles across the wrap: $(chain_status fwd)"
[ $((fb_ok1 - fb_ok0)) -ge 300 ] ||
    fail "fb got only $((fb_ok1 - fb_ok0)) correct cycles across the wrap: $(chain_status fb)"
# fb heard silence only where the engine lost periods (a node then misses
# its cycle), never at the wrap itself
silent=$((fb_silent1 - fb_silent0))
xruns=$((xruns1 - xruns0))
[ "$silent" -le "$xruns" ] ||
    fail "fb heard $silent period(s) of silence across the wrap ($xruns xrun(s)): $(chain_status fb)"

for c in fsrc x fb fwd; do chain_stop "$c"; done
rill_stop
info "ok"
