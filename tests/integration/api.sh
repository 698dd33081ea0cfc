#!/bin/bash
# tests/integration/api.sh — latency, port names and aliases, metadata through
# unmodified jackd2 programs (jack_alias, jack_lsp -A/-l/-L, jack_property,
# jack_latent_client) and tests/clients/rill-test-api (rename, latency and
# property callbacks, monitoring, type sizes, uuids, pid).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

RILL_TEST_API=$RILL_TOP_BUILDDIR/tests/clients/rill-test-api
require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_TEST_API"
for t in jack_lsp jack_alias jack_property jack_latent_client; do
    require_program "$t" jackd2
done

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# the indented lines after PORT in $OUT (jack_lsp -A/-l/-L)
details() {
    printf '%s\n' "$OUT" | awk -v p="$1" '/^[^ \t]/ { cur = $0; next } cur == p { sub(/^[ \t]+/, ""); print }'
}

# ---- our test client: callbacks and the functions no jackd2 tool calls
expect_rc 0 rjack "$RILL_TEST_API"
expect_out "^PASS$" "rill-test-api must pass every check"
expect_out "^ok rename: api:out -> api:renamed$" "the rename callback must report old and new names"
expect_out "^ok 3001 properties read back whole" "jack_get_properties must read back every property"
expect_out "^ok the store took .*metadata store is full" "a store past its limit must be refused"
info "rill-test-api: $(printf '%s\n' "$OUT" | grep -c '^ok') checks passed"
info "$(printf '%s\n' "$OUT" | grep -E '^ok (3001|the store)')"
wait_for '! client_listed api' 5 || fail "client api still listed after it closed"

# ---- jack_alias: an alias shows in jack_lsp -A and rillctl ports -a, and names the port
expect_rc 0 rjack jack_alias system:capture_1 rill-test:mic
expect_rc 0 rjack jack_lsp -A
details system:capture_1 | grep -qxF "rill-test:mic" || fail "jack_lsp -A does not show the alias; output: $OUT"
rctl ports -a | grep -qx "   rill-test:mic" || fail "rillctl ports -a does not show the alias: $(rctl ports -a)"
expect_rc 0 rctl connect rill-test:mic system:playback_1
ports_connected system:capture_1 system:playback_1 || fail "connecting by alias did not connect system:capture_1"
expect_rc 0 rctl disconnect system:capture_1 system:playback_1
expect_rc 0 rjack jack_alias -u system:capture_1 rill-test:mic
expect_rc 0 rjack jack_lsp -A
details system:capture_1 | grep -q . && fail "the alias is still there after jack_alias -u; output: $OUT"

# ---- latency: jack_latent_client adds 1000 frames; the ports downstream show it
spawn rjack jack_latent_client 1000 >"$RILL_TMP/latent.log" 2>&1
latent=$SPAWN_PID
wait_for 'port_exists latent:output' 10 || fail "jack_latent_client did not register its ports"
for pair in "system:capture_1 latent:input" "latent:output system:playback_1"; do
    # jack_latent_client connects them itself, maybe while we look
    # shellcheck disable=SC2086
    ports_connected $pair || rctl connect $pair >/dev/null 2>&1 || ports_connected $pair ||
        fail "cannot connect $pair"
done
# driver: 256 in and 256 out (the dummy driver's one period each way)
want_cap="port capture latency = [ 1256 1256 ] frames"
lsp_ok() {
    OUT=$(timeout 10 "$RILL_TMP/bin/rjack" jack_lsp -l -L 2>&1)
    details system:playback_1 | grep -qxF "$want_cap"
}
wait_for lsp_ok 10 || fail "system:playback_1 does not report jack_latent_client's latency; jack_lsp -l -L: $OUT"
details latent:output | grep -qxF "$want_cap" || fail "latent:output capture latency; output: $OUT"
details latent:input | grep -qxF "port playback latency = [ 1256 1256 ] frames" ||
    fail "latent:input playback latency; output: $OUT"
details latent:input | grep -qxF "port capture latency = [ 256 256 ] frames" ||
    fail "latent:input capture latency; output: $OUT"
details system:playback_1 | grep -qxF "total latency = 1512 frames" ||
    fail "system:playback_1 total latency (capture 256 + latent 1000 + playback 256); output: $OUT"
details system:capture_2 | grep -qxF "total latency = 256 frames" ||
    fail "an unconnected capture port has only the driver's latency; output: $OUT"
info "latency: system:playback_1 $(details system:playback_1 | tr '\n' ' ')"

# ---- jack_property on a client and a port; removed with the subject
expect_rc 0 rjack jack_property -c -s latent urn:rill:client-key "client value"
expect_rc 0 rjack jack_property -p -s latent:input urn:rill:port-key "port value" text/plain
expect_rc 0 rjack jack_property -p -s system:capture_1 urn:rill:sys-key "stays"
expect_rc 0 rjack jack_property -c -l latent urn:rill:client-key
[ "$OUT" = "client value" ] || fail "jack_property get on a client gave '$OUT'"
expect_rc 0 rjack jack_property -p -l latent:input
expect_out "key: urn:rill:port-key value: port value type: text/plain" "jack_property -l on a port"
expect_rc 0 rjack jack_property -l
for v in "client value" "port value" "stays"; do
    expect_out "value: $v" "jack_property -l lists every property"
done
expect_rc 0 rjack jack_property -p -s latent:input urn:rill:port-key2 "second"
expect_rc 0 rjack jack_property -p -d latent:input urn:rill:port-key2
expect_rc 0 rjack jack_property -p -l latent:input
printf '%s\n' "$OUT" | grep -q "port-key2" && fail "jack_property -d left the key: $OUT"
expect_rc 1 rjack jack_property -p -l latent:input urn:rill:no-such-key
kill -TERM "$latent"
wait_exit "$latent" 10 || fail "jack_latent_client did not exit on SIGTERM"
wait_for '! port_exists latent:input' 5 || fail "latent's ports outlived it"
expect_rc 0 rjack jack_property -l
printf '%s\n' "$OUT" | grep -q "client value\|port value" && fail "properties outlived their subject: $OUT"
expect_out "value: stays" "the property of system:capture_1 must stay"
expect_rc 0 rjack jack_property -D
expect_rc 0 rjack jack_property -l
printf '%s\n' "$OUT" | grep -q "stays" && fail "jack_property -D left a property: $OUT"

rill_alive || fail "rilld died during the test"
info "PASS"
