#!/bin/bash
# tests/integration/slots.sh — a client slot is not handed out again while
# the process that had it may still write into it, and control connections
# (rillctl) take no slot at all.
#
# 1. rillctl calls take no slot: two probe clients around five rillctl calls
#    get neighbouring slots (slots are handed out next-fit).
# 2. src -> old, with rilld -t 300. SIGSTOP old: rilld bypasses it and
#    removes it after 300 ms, but its process still maps the activation
#    records. Clients are opened and closed until the next one would get
#    old's slot; then new (src -> new -> snk) connects. SIGCONT old: it
#    resumes, may finish the cycle it was stopped in, learns it was removed
#    and closes (writing QUIT into what it thinks is its record). new must
#    not have old's slot, its audio must keep flowing bit-exact without a
#    silent cycle, and it must not be removed.
# 3. Once old is gone its slot is free again.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

SLOTS=$RILL_TOP_BUILDDIR/tests/clients/rill-test-slots
require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN" "$SLOTS"
slots() { "$SLOTS" -s "$RILL_SERVER" "$@"; }

rill_start "$RILL_SERVER" -t 300 -d dummy -r 48000 -p 256

# ---- 1. control connections take no slot
a=$(slots probe) || fail "rill-test-slots probe failed"
for i in 1 2 3 4 5; do rctl status >/dev/null || fail "rillctl status failed"; done
b=$(slots probe) || fail "rill-test-slots probe failed"
[ "$b" = $((a + 1)) ] ||
    fail "five rillctl calls between two clients moved the next slot from $((a + 1)) to $b: control connections take client slots"
info "rillctl takes no client slot (probes got $a and $b)"

# ---- 2. a removed client that is still alive keeps its slot
chain_start source src
# busy for most of each period: the stop most likely lands inside its
# process callback, which then returns when it resumes
chain_start pass old --connect-from src:out --busy-us 3500
old_slot=$(slots find old) || fail "cannot find old's slot"
kill -STOP "${CHAIN_PID[old]}"
wait_for '! client_listed old' 5 || fail "old (SIGSTOPped) still listed 5 s later: $(rctl clients)"
info "old (slot $old_slot) removed while stopped"

n=$(slots before "$old_slot") || fail "could not bring the next free slot to $old_slot"
chain_start pass new --connect-from src:out
chain_start sink snk --connect-from new:out
new_slot=$(slots find new) || fail "cannot find new's slot"
info "after $n clients, new got slot $new_slot"
chain_wait_key snk ok 50 5 || fail "new does not carry audio: $(chain_status snk)"

silent0=$(chain_get snk silent)
kill -CONT "${CHAIN_PID[old]}"
wait_exit "${CHAIN_PID[old]}" 5 || fail "old still running 5 s after SIGCONT"
[ "$WAIT_RC" = 3 ] || fail "old exited $WAIT_RC after SIGCONT, expected 3 (shut down): $(chain_status old)"
# a second of audio after old's resumption and exit, and longer than the
# 300 ms after which rilld removes a client whose cycle does not finish
ok0=$(chain_get snk ok)
wait_for "[ \$(chain_get snk ok) -ge $((ok0 + 180)) ]" 10 ||
    fail "new's audio stopped after old resumed: $(chain_status snk)"
client_listed new || fail "new was removed after old resumed: $(grep -i new "$RILLD_LOG")"
grep -q "client 'new'.*removed\|rill removed this client" "$RILL_TMP/new.log" &&
    fail "new was told it was removed: $(cat "$RILL_TMP/new.log")"
[ "$(chain_get snk bad)" = 0 ] || fail "snk saw wrong samples after old resumed: $(chain_status snk)"
[ "$(chain_get snk silent)" = "$silent0" ] ||
    fail "snk saw $(($(chain_get snk silent) - silent0)) silent cycle(s) after old resumed: $(chain_status snk)"
[ "$new_slot" != "$old_slot" ] ||
    fail "new got slot $old_slot while the removed client's process was still alive"
info "new kept its audio: $(chain_status snk)"

# ---- 3. the slot is free again once its process is gone
m=$(slots before "$old_slot") || fail "could not bring the next free slot to $old_slot again"
c=$(slots probe) || fail "rill-test-slots probe failed"
[ "$c" = "$old_slot" ] || fail "slot $old_slot is still held after old exited (a probe got $c)"
info "slot $old_slot free again after old exited"

rill_alive || fail "rilld died"
info "ok"
