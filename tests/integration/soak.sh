#!/bin/bash
# tests/integration/soak.sh — client lives by the thousand (issue 15).
#
# While a chain src -> p1 -> snk runs, rill-test-hostile soak starts client
# after client (each a process: connect, HELLO, two ports, ACTIVATE,
# src:out -> its input, its output -> system:playback_1, DEACTIVATE,
# CLOSE), a tenth of them killed with SIGKILL at a random step. rilld's
# RSS, fds, memfds, threads, the entries of its runtime directory and the
# /dev/shm files it holds (none: its segments are memfds; /dev/shm itself is
# shared with every program on the machine) must end where they were after a warm-up
# (RSS within the bound below, the rest exactly), and snk must see every
# cycle bit-exact throughout. In the sanitizer build RSS is not bounded
# (ASan's quarantine) and rilld's exit runs LeakSanitizer instead.
#
# make check: about a minute (RILL_SOAK_SECONDS, default 60).
# make soak:  RILL_SOAK_CYCLES=10000, no time limit (tens of minutes).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
if [ -z "${RILL_UNDER_TIMEOUT:-}" ]; then
    # the overall limit of lib.sh, sized for the soak asked for
    export RILL_TEST_TIMEOUT=$(( ${RILL_SOAK_CYCLES:+7200} + 0 ))
    [ "$RILL_TEST_TIMEOUT" = 0 ] && export RILL_TEST_TIMEOUT=$(( ${RILL_SOAK_SECONDS:-60} + 120 ))
fi
. "$(dirname "$0")/lib.sh"

HOSTILE=$RILL_TOP_BUILDDIR/tests/clients/rill-test-hostile
require_built "$RILLD" "$RILLCTL" "$RILL_CHAIN" "$HOSTILE"
CYCLES=${RILL_SOAK_CYCLES:-1000000}
SECONDS_MAX=${RILL_SOAK_SECONDS:-60}
[ -n "${RILL_SOAK_CYCLES:-}" ] && SECONDS_MAX=0
# bounds: RSS may grow by this much (malloc's caches, the plans' pages
# touched once), everything else must come back exactly
RSS_SLACK_KB=${RILL_SOAK_RSS_SLACK_KB:-4096}

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256

chain_start source src
chain_start pass p1
chain_start sink snk --latency 0
expect_rc 0 rctl connect src:out p1:in
expect_rc 0 rctl connect p1:out snk:in
chain_wait_key snk ok 20 10 || fail "snk saw no correct cycle within 10 s: $(chain_status snk)"

export RILL_SOAK_SRC=src:out RILL_SOAK_DST=system:playback_1
memfds() {
    local n=0 f
    for f in /proc/"$RILLD_PID"/fd/*; do
        case $(readlink "$f") in /memfd:* | memfd:*) n=$((n + 1)) ;; esac
    done
    echo "$n"
}
# /dev/shm files rilld has open or mapped (none: its segments are memfds;
# /dev/shm itself is shared with every program on the machine)
shm_entries() {
    { grep -o ' /dev/shm/.*' "/proc/$RILLD_PID/maps"
      for f in /proc/"$RILLD_PID"/fd/*; do readlink "$f"; done | grep '^/dev/shm/'
    } 2>/dev/null | sort -u | wc -l
}
snapshot() {
    echo "rss=$(rss_kb "$RILLD_PID") fds=$(fd_count "$RILLD_PID") memfds=$(memfds)" \
        "threads=$(find "/proc/$RILLD_PID/task" -mindepth 1 -maxdepth 1 | wc -l)" \
        "runtime=$(find "$XDG_RUNTIME_DIR" | wc -l)" \
        "shm=$(shm_entries)"
}
val() { printf '%s\n' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# warm-up: the first lives touch pages that stay
expect_rc 0 "$HOSTILE" "$RILL_SERVER" soak 200 0
before=$(snapshot)
info "after the warm-up: $before"
ok0=$(chain_get snk ok)

timeout -k 5 $((SECONDS_MAX ? SECONDS_MAX + 60 : 7000)) \
    "$HOSTILE" "$RILL_SERVER" soak "$CYCLES" "$SECONDS_MAX" >"$RILL_TMP/soak.out" 2>&1
rc=$?
info "$(cat "$RILL_TMP/soak.out")"
[ "$rc" = 0 ] || fail "the soak ended with status $rc: $(tail -5 "$RILL_TMP/soak.out")"
rill_alive || fail "rilld died during the soak; log: $(tail -20 "$RILLD_LOG")"
lives=$(sed -n 's/^hostile soak: \([0-9]*\) client lives.*/\1/p' "$RILL_TMP/soak.out")
[ "${lives:-0}" -ge 100 ] || fail "only ${lives:-0} client lives in the soak"

# the last clients' removal is done once nobody but the chain is listed
wait_for "[ \"\$(clients_list | grep -c '^soak')\" = 0 ]" 10 ||
    fail "soak clients are still listed: $(clients_list | tr '\n' ' ')"
after=$(snapshot)
info "after the soak:   $after"
for k in fds memfds threads runtime shm; do
    [ "$(val "$after" $k)" = "$(val "$before" $k)" ] ||
        fail "rilld's $k went from $(val "$before" $k) to $(val "$after" $k) in $lives client lives"
done
grow=$(( $(val "$after" rss) - $(val "$before" rss) ))
if [ "$RILL_SANITIZERS" = yes ]; then
    # ASan keeps freed memory in quarantine (up to 256 MB): RSS says
    # nothing here; LeakSanitizer checks rilld's heap when it exits
    info "rilld's RSS grew by $grow kB in $lives client lives (ASan's quarantine; not bounded)"
else
    [ "$grow" -le "$RSS_SLACK_KB" ] ||
        fail "rilld's RSS grew by $grow kB in $lives client lives (bound $RSS_SLACK_KB kB)"
    info "rilld's RSS grew by $grow kB in $lives client lives"
fi

c0=$(chain_get snk cycles)
chain_wait_key snk cycles $((c0 + 20)) 10 || fail "snk stopped running: $(chain_status snk)"
check_audio snk $((ok0 + 100))
grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$RILLD_LOG" &&
    fail "rilld's log has a sanitizer report"
rill_stop
echo "PASS"
