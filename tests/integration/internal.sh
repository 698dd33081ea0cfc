#!/bin/bash
# tests/integration/internal.sh — internal clients: modules run inside rilld.
#
#   1. rilld -l rill-tone:freq=1000,level=-6 (with the realtime allocation
#      trap preloaded into rilld): the tone client is there and a meter
#      measures 1000 Hz at -6 dBFS; a second -l with a missing module is
#      logged, rilld runs on.
#   2. jackd2's jack_load / jack_unload through rill-jack: a 500 Hz tone is
#      loaded, measured, unloaded; its port and client are gone after.
#   3. errors, with JACK's status bits: a missing module (JackLoadFailure
#      0x81), a relative path, a library that is no internal client, an init
#      string the module refuses (JackInitFailure 0x101), an unknown client
#      to unload.
#   4. SIGTERM: the internal client is unloaded (its jack_finish runs), exit 0;
#      the trap never fired.
#   5. the trap can fail this test: a test module (not linked against any
#      libjack: it binds to the one rilld loaded) that allocates in its
#      process callback makes the trap abort rilld;
#   6. jack_get_property from an internal client of a server not named
#      "default" reads back what it set, and rilld stops cleanly after.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

METER=$RILL_TOP_BUILDDIR/tests/clients/rill-test-meter
TONE=$RILL_TOP_BUILDDIR/internal/.libs/rill-tone.so
BADMOD=$RILL_TOP_BUILDDIR/tests/clients/.libs/rill-test-intclient.so
require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_TRAP" "$METER" "$TONE" "$BADMOD"
require_program jack_load jackd2
require_program jack_unload jackd2
export RILL_INTERNAL_DIR=$RILL_TOP_BUILDDIR/internal/.libs

trap_msg() { grep -h "rill-rt-trap:" "$RILL_TMP"/*.log 2>/dev/null | head -n 5; }

# measure PORT NAME: run the meter on PORT for 1 s; sets FREQ, PEAK, RMS
measure() {
    local out
    out=$(timeout -k 2 20 rjack "$METER" "$2" --connect-from "$1" --seconds 1 2>&1) ||
        fail "rill-test-meter on $1 failed: $out"
    FREQ=$(printf '%s\n' "$out" | sed -n 's/.*freq=\([0-9.]*\).*/\1/p')
    PEAK=$(printf '%s\n' "$out" | sed -n 's/.*peak=\([0-9.]*\).*/\1/p')
    RMS=$(printf '%s\n' "$out" | sed -n 's/.*rms=\([0-9.]*\).*/\1/p')
    [ -n "$FREQ" ] && [ -n "$PEAK" ] || fail "rill-test-meter on $1 printed no measurement: $out"
    info "$1: $out"
}

# near VALUE WANT TOL: |VALUE - WANT| <= TOL
near() { awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(d <= t) }'; }

# ---- 1. rilld -l, under the trap
RILLD_PRELOAD=$RILL_TRAP rill_start "$RILL_SERVER" -l rill-tone:freq=1000,level=-6 -l nope-not-here \
    -d dummy -r 48000 -p 256
grep -q 'librill-rt-trap' "/proc/$RILLD_PID/maps" || fail "the trap is not loaded into rilld"
wait_for 'port_exists rill-tone:out' 10 || fail "rilld -l rill-tone: no port rill-tone:out"
client_listed rill-tone || fail "rill-tone is not listed as a client: $(rctl clients)"
# rilld logs the load after jack_initialize returned, which made the port
wait_for "grep -q \"internal client 'rill-tone' loaded from $TONE\" \"$RILLD_LOG\"" 10 ||
    fail "rilld did not log the load of rill-tone"
wait_for "grep -q \"cannot load internal client 'nope-not-here': no internal client module 'nope-not-here'\" '$RILLD_LOG'" 5 ||
    fail "rilld -l nope-not-here: no clear error in the log"
measure rill-tone:out m1
near "$FREQ" 1000 1 || fail "rill-tone freq=1000 measured $FREQ Hz"
near "$PEAK" 0.5012 0.005 || fail "rill-tone level=-6 has peak $PEAK, want 0.501"
near "$RMS" 0.3544 0.02 || fail "rill-tone level=-6 has rms $RMS, want about 0.354"

# ---- 2. jack_load / jack_unload
expect_rc 0 rjack jack_load tone2 rill-tone "freq=500,level=-12"
expect_out "is running" "jack_load tone2 rill-tone: no 'is running'"
port_exists tone2:out || fail "after jack_load: no port tone2:out; ports: $(ports_list)"
measure tone2:out m2
near "$FREQ" 500 1 || fail "tone2 freq=500 measured $FREQ Hz"
near "$PEAK" 0.2512 0.005 || fail "tone2 level=-12 has peak $PEAK, want 0.251"
expect_rc 0 rjack jack_unload tone2
expect_out "tone2 unloaded" "jack_unload tone2: no 'tone2 unloaded'"
port_exists tone2:out && fail "after jack_unload: port tone2:out is still there"
client_listed tone2 && fail "after jack_unload: client tone2 is still listed"
wait_for "grep -q \"internal client 'tone2' unloaded\" \"$RILLD_LOG\"" 10 || fail "rilld did not log the unload"
port_exists rill-tone:out || fail "unloading tone2 removed rill-tone:out"

# ---- 3. errors (jack_load exits 2 when the load fails)
expect_rc 2 rjack jack_load bad1 nosuchmod
expect_out "status = 0x81" "missing module: want JackFailure|JackLoadFailure (0x81)"
expect_out "no internal client module 'nosuchmod'" "missing module: no clear message"
expect_rc 2 rjack jack_load bad2 sub/dir/mod
expect_out "status = 0x81" "relative path: want 0x81"
expect_out "relative path" "relative path: no clear message"
expect_rc 2 rjack jack_load bad3 "$RILL_JACK_LIBDIR/libjack.so.0"
expect_out "status = 0x81" "a library without jack_initialize: want 0x81"
expect_out "must export jack_initialize and jack_finish" "not an internal client: no clear message"
expect_rc 2 rjack jack_load bad4 rill-tone freq=99999
expect_out "status = 0x101" "refused init string: want JackFailure|JackInitFailure (0x101)"
expect_out "jack_initialize of .*returned 1" "refused init string: no clear message"
grep -q "rill-tone: freq=99999 is not allowed" "$RILLD_LOG" ||
    fail "refused init string: the module's own message is not in rilld's log"
expect_rc 2 rjack jack_unload nosuch
expect_out "not found" "jack_unload of an unknown client"
for c in bad1 bad2 bad3 bad4; do
    client_listed "$c" && fail "failed load $c left a client behind"
done
rill_alive || fail "rilld died: $(trap_msg)"
measure rill-tone:out m3
near "$FREQ" 1000 1 || fail "after the errors rill-tone measured $FREQ Hz"

# ---- 4. stop
[ -z "$(trap_msg)" ] || fail "the realtime trap fired in rilld: $(trap_msg)"
rill_stop
grep -q "internal client 'rill-tone' unloaded" "$RILLD_LOG" ||
    fail "SIGTERM: rill-tone was not unloaded before the server stopped"
[ -z "$(trap_msg)" ] || fail "the realtime trap fired in rilld: $(trap_msg)"

# ---- 5. the trap catches an internal client that allocates
RILLD_PRELOAD=$RILL_TRAP rill_start "$RILL_SERVER-b" -d dummy -r 48000 -p 256
expect_rc 0 rjack jack_load -s "$RILL_SERVER-b" quiet "$BADMOD"
"$RILLCTL" -s "$RILL_SERVER-b" ports | grep -qx 'quiet:out' ||
    fail "the well-behaved test module did not register quiet:out"
sleep 0.5
[ -z "$(trap_msg)" ] || fail "the trap fired for a module that does not allocate: $(trap_msg)"
pid=$RILLD_PID
timeout -k 2 20 rjack jack_load -s "$RILL_SERVER-b" allocer "$BADMOD" alloc >"$RILL_TMP/allocer.out" 2>&1
wait_exit "$pid" 10 || fail "rilld still runs 10 s after loading a module that allocates in process: the trap did not fire"
RILLD_PID=
[ "$WAIT_RC" = 134 ] || fail "rilld exited $WAIT_RC, expected 134 (aborted by the trap)"
grep -q "rill-rt-trap: malloc.* called on a realtime path" "$RILLD_LOG" ||
    fail "rilld's log has no 'rill-rt-trap: malloc ... called on a realtime path'"
info "the trap fired in rilld for the allocating internal client: $(grep -m1 'rill-rt-trap:' "$RILLD_LOG")"
mv "$RILLD_LOG" "$RILL_TMP/rilld-b.expected"

# ---- 6. an internal client's JACK calls that take no client (here
#      jack_get_property) reach the server it runs in, whatever its name
#      (rilld sets JACK_DEFAULT_SERVER to its own), and the connection they
#      open does not crash rilld when it stops (a control connection has no
#      activation slot to signal at shutdown)
rill_start "$RILL_SERVER-p" -l "$BADMOD:property" -d dummy -r 48000 -p 256
wait_for "grep -q 'rill-test-intclient: property read back' '$RILLD_LOG'" 10 ||
    fail "the property module said nothing: $(cat "$RILLD_LOG")"
grep -q 'rill-test-intclient: property read back: 42' "$RILLD_LOG" ||
    fail "jack_get_property in an internal client of server '$RILL_SERVER-p' failed: $(grep -i 'property\|reach' "$RILLD_LOG")"
rill_stop
info "ok"
