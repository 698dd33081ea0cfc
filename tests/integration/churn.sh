#!/bin/bash
# tests/integration/churn.sh — 200 clients come and go; rilld ends where it
# started: only the system client and ports, the same number of fds, about
# the same memory, and a fresh chain still carries audio.
#
# Batches of 8 in parallel; client k is, by k mod 5:
#   0 source, exits by itself after 0.2 s (clean close)
#   1 pass, SIGKILLed once active (mid-run)
#   2 jack_lsp (a short-lived client that only lists ports)
#   3 sink connected from system:capture_1, exits after 0.2 s (connections churn)
#   4 pass, SIGKILLed after a random 0-90 ms (may die while connecting)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# 10 s unloaded, 21 s under ASan; a fresh-clone run beside runtime.sh's
# freewheeling (which takes both cores at SCHED_OTHER) went past 120 s
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-360}
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
require_program jack_lsp jackd2

TOTAL=200
BATCH=8
# ASan keeps freed memory in quarantine: keep it small so RSS means something.
rss_slack=8192
if [ "$RILL_SANITIZERS" = yes ]; then
    export ASAN_OPTIONS="quarantine_size_mb=8${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    rss_slack=32768
fi
rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

# warm up once (first-use allocations), then take the baseline
chain_start source warm
chain_start sink warmsink --connect-from warm:out
chain_wait_key warmsink ok 10 5 || fail "warm-up chain carries no audio"
chain_stop warm
chain_stop warmsink
wait_for '[ "$(clients_list | wc -l)" = 1 ]' 5 || fail "warm-up clients still listed: $(rctl clients)"
base_fds=$(fd_count "$RILLD_PID")
base_rss=$(rss_kb "$RILLD_PID")
info "baseline: $base_fds fds, RSS $base_rss kB"

# an independent chain runs through the whole churn: the others' comings and
# goings (and deaths) must never corrupt it, and only rarely silence it
chain_start source asrc
chain_start sink asnk --connect-from asrc:out
chain_wait_key asnk ok 10 5 || fail "the anchor chain carries no audio"
anchor_silent=$(chain_get asnk silent)

started=$SECONDS
k=0
while [ "$k" -lt "$TOTAL" ]; do
    pids=()
    kinds=()
    names=()
    for ((j = 0; j < BATCH && k < TOTAL; j++, k++)); do
        name=c$k
        kind=$((k % 5))
        rm -f "$RILL_TMP/$name.status"
        case $kind in
        0) spawn rjack "$RILL_CHAIN" source "$name" --seconds 0.2 --status "$RILL_TMP/$name.status" ;;
        1) spawn rjack "$RILL_CHAIN" pass "$name" --status "$RILL_TMP/$name.status" ;;
        2) spawn rjack jack_lsp ;;
        3) spawn rjack "$RILL_CHAIN" sink "$name" --seconds 0.2 --connect-from system:capture_1 \
            --status "$RILL_TMP/$name.status" ;;
        4) spawn rjack "$RILL_CHAIN" pass "$name" ;;
        esac >"$RILL_TMP/churn-$name.out" 2>&1
        pids+=("$SPAWN_PID")
        kinds+=("$kind")
        names+=("$name")
    done
    for i in "${!pids[@]}"; do
        pid=${pids[$i]} name=${names[$i]}
        case ${kinds[$i]} in
        1)
            wait_for "[ -s '$RILL_TMP/$name.status' ] || ! pid_running $pid" 10 ||
                fail "$name never became active"
            kill -KILL "$pid" 2>/dev/null
            wait_exit "$pid" 5 || fail "$name survived SIGKILL"
            ;;
        4)
            sleep "0.0$((RANDOM % 10))"
            kill -KILL "$pid" 2>/dev/null
            wait_exit "$pid" 5 || fail "$name survived SIGKILL"
            ;;
        *)
            wait_exit "$pid" 10 || fail "$name (kind ${kinds[$i]}) still running after 10 s"
            [ "$WAIT_RC" = 0 ] ||
                fail "$name (kind ${kinds[$i]}) exited $WAIT_RC: $(cat "$RILL_TMP/churn-$name.out")"
            ;;
        esac
        if [ "${kinds[$i]}" = 2 ]; then
            grep -qxF system:capture_1 "$RILL_TMP/churn-$name.out" ||
                fail "jack_lsp ($name) did not list system:capture_1: $(cat "$RILL_TMP/churn-$name.out")"
        fi
        rm -f "$RILL_TMP/churn-$name.out"
    done
    rill_alive || fail "rilld died during the churn (after $k clients)"
done
info "$TOTAL clients in $((SECONDS - started)) s"
check_audio asnk 100
silent=$(($(chain_get asnk silent) - anchor_silent))
[ "$silent" -le $(($(chain_get asnk cycles) / 10)) ] ||
    fail "the anchor chain was silent in $silent cycles during the churn: $(chain_status asnk)"
chain_stop asnk
chain_stop asrc

# ---- rilld is back where it started
wait_for '[ "$(clients_list | wc -l)" = 1 ]' 5 ||
    fail "clients left over after the churn: $(rctl clients)"
client_listed system || fail "rillctl clients does not list system: $(rctl clients)"
leftover=$(ports_list | grep -v '^system:')
[ -z "$leftover" ] || fail "ports left over after the churn: $leftover"
[ "$(ports_list | wc -l)" = 4 ] || fail "expected the 4 system ports, got: $(ports_list)"
wait_for '[ "$(fd_count "$RILLD_PID")" -le "$base_fds" ]' 5 ||
    fail "rilld holds $(fd_count "$RILLD_PID") fds after the churn, $base_fds before: $(ls -l /proc/"$RILLD_PID"/fd)"
rss=$(rss_kb "$RILLD_PID")
info "after: $(fd_count "$RILLD_PID") fds, RSS $rss kB (+$((rss - base_rss)) kB)"
[ $((rss - base_rss)) -le "$rss_slack" ] ||
    fail "rilld's RSS grew by $((rss - base_rss)) kB over $TOTAL clients (allowed $rss_slack kB)"
expect_rc 0 rctl status

# ---- a fresh chain still works
chain_start source fsrc
chain_start pass fp --connect-from fsrc:out
chain_start sink fsnk --connect-from fp:out
chain_wait_key fsnk ok 100 5 || fail "the fresh chain carries no audio: $(chain_status fsnk)"
check_audio fsnk 100
for c in fsrc fp fsnk; do chain_stop "$c"; done
rill_stop
info "ok"
