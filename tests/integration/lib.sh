# shellcheck shell=bash
# tests/integration/lib.sh — sourced by every integration test (bash).
#
# Gives each test:
#   - an overall time limit (the script re-executes itself under `timeout`);
#   - a private temp dir $RILL_TMP, with XDG_RUNTIME_DIR inside it, so every
#     test has its own socket directory, and a unique server name $RILL_SERVER;
#   - rill_start NAME [rilld args] / rill_stop: one rilld per test;
#   - spawn CMD...: a background process whose PID is recorded; every recorded
#     PID is killed (by PID, never by name) on exit;
#   - rjack PROGRAM ARGS: run a JACK program on rill (tools/rill-jack) with
#     JACK_DEFAULT_SERVER set (a small script in $RILL_TMP/bin, so that `spawn
#     rjack ...` records the PID of the program itself);
#   - chain_start MODE NAME [opts]: a tests/clients/rill-test-chain client
#     with its status file $RILL_TMP/NAME.status, waited for until active;
#   - wait_for "CONDITION" TIMEOUT, fail MSG, skip MSG, info MSG.
#
# Environment (set by automake's AM_TESTS_ENVIRONMENT): RILL_TOP_BUILDDIR,
# RILL_TOP_SRCDIR, RILL_SANITIZERS (yes/no). RILL_TEST_TIMEOUT overrides the
# overall limit (seconds); RILL_KEEP_TMP=1 keeps the temp dir for debugging.

if [ -z "${BASH_VERSION:-}" ]; then
    echo "lib.sh: these tests need bash" >&2
    exit 1
fi

RILL_TEST_NAME=$(basename "$0" .sh)

# ---- overall time limit: re-exec under timeout(1), once.
if [ -z "${RILL_UNDER_TIMEOUT:-}" ]; then
    export RILL_UNDER_TIMEOUT=1
    if command -v timeout >/dev/null 2>&1; then
        exec timeout -k 10 "${RILL_TEST_TIMEOUT:-120}" bash "$0" "$@"
    fi
    echo "$RILL_TEST_NAME: timeout(1) not found: running without an overall limit" >&2
fi

if [ -z "${RILL_TOP_BUILDDIR:-}" ]; then
    echo "$RILL_TEST_NAME: RILL_TOP_BUILDDIR is not set (run through 'make check', or" \
        "export RILL_TOP_BUILDDIR=/path/to/build)" >&2
    exit 1
fi
RILL_TOP_SRCDIR=${RILL_TOP_SRCDIR:-$RILL_TOP_BUILDDIR}
RILL_SANITIZERS=${RILL_SANITIZERS:-no}

RILLD=$RILL_TOP_BUILDDIR/engine/rilld
RILLCTL=$RILL_TOP_BUILDDIR/tools/rillctl
RILL_JACK=$RILL_TOP_BUILDDIR/tools/rill-jack
RILL_CHAIN=$RILL_TOP_BUILDDIR/tests/clients/rill-test-chain
RILL_TRAP=$RILL_TOP_BUILDDIR/tests/rt/.libs/librill-rt-trap.so
export RILL_JACK_LIBDIR=$RILL_TOP_BUILDDIR/clients/jack/.libs

# ---- temp dir, socket dir, server name
RILL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rill-$RILL_TEST_NAME.XXXXXX") || {
    echo "$RILL_TEST_NAME: cannot create a temp dir" >&2
    exit 1
}
export XDG_RUNTIME_DIR=$RILL_TMP/xdg
mkdir -m 700 "$XDG_RUNTIME_DIR" "$RILL_TMP/bin"
RILL_SERVER="t-$RILL_TEST_NAME-$$"
export JACK_DEFAULT_SERVER=$RILL_SERVER
export JACK_NO_START_SERVER=1
RILL_PIDS=()
RILLD_PID=
RILLD_LOG=
RILLD_NAME=
declare -A CHAIN_PID=()

# ---- output
info() { echo "$RILL_TEST_NAME: $*"; }

# Dump what helps to understand a failure: the tail of every log we made.
dump_logs() {
    local f
    for f in "$RILL_TMP"/*.log; do
        [ -e "$f" ] || continue
        echo "---- ${f##*/} (last 25 lines)" >&2
        tail -n 25 "$f" >&2
    done
}

fail() {
    echo "FAIL: $RILL_TEST_NAME: $*" >&2
    dump_logs
    exit 1
}

skip() {
    echo "SKIP: $RILL_TEST_NAME: $*" >&2
    echo "SKIP: $RILL_TEST_NAME: $*"
    exit 77
}

# ---- process bookkeeping

# 0 when PID is a live process (not a zombie).
pid_running() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# Wait up to TIMEOUT s for child PID to exit; WAIT_RC = its exit status.
# Returns 1 (WAIT_RC empty) on timeout.
wait_exit() {
    local pid=$1 timeout=$2 end
    WAIT_RC=
    end=$((SECONDS + timeout))
    while pid_running "$pid"; do
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.05
    done
    wait "$pid" 2>/dev/null
    WAIT_RC=$?
    return 0
}

# spawn CMD... : run in the background, record the PID (also in SPAWN_PID).
spawn() {
    "$@" &
    SPAWN_PID=$!
    RILL_PIDS+=("$SPAWN_PID")
}

# wait_for "CONDITION" TIMEOUT: eval CONDITION every 50 ms until it succeeds.
wait_for() {
    local cond=$1 timeout=${2:-10} end
    end=$((SECONDS + timeout))
    while :; do
        eval "$cond" >/dev/null 2>&1 && return 0
        [ "$SECONDS" -ge "$end" ] && return 1
        sleep 0.05
    done
}

rill_cleanup() {
    local pid rc=$?
    trap - EXIT INT TERM
    for pid in "${RILL_PIDS[@]}"; do
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    done
    if [ -n "$RILLD_PID" ]; then
        kill -KILL "$RILLD_PID" 2>/dev/null
    fi
    wait 2>/dev/null
    if [ "${RILL_KEEP_TMP:-0}" = 1 ]; then
        echo "$RILL_TEST_NAME: kept $RILL_TMP" >&2
    else
        rm -rf "$RILL_TMP"
    fi
    exit "$rc"
}
trap rill_cleanup EXIT
# On the time limit: what the test was waiting on (its children, and every
# process of its server or its directory, with where each sleeps) and where
# rilld's threads were, before the logs.
dump_stuck() {
    echo "---- still running when the time limit came" >&2
    ps -e -o pid=,ppid=,stat=,wchan:22=,etime=,args= 2>/dev/null |
        awk -v me="$$" -v s="${RILL_SERVER:-}" -v d="${RILL_TMP:-}" \
            '$2 == me || (s != "" && index($0, s)) || (d != "" && index($0, d))' |
        grep -v -e ' ps -e ' -e ' awk -v me' | cut -c1-200 | head -n 30 >&2
    local t
    if [ -n "${RILLD_PID:-}" ] && [ -d "/proc/$RILLD_PID" ]; then
        echo "---- rilld's threads (pid $RILLD_PID: name, state, wait channel)" >&2
        for t in /proc/"$RILLD_PID"/task/*; do
            echo "$(cat "$t/comm" 2>/dev/null) $(awk '{ s = $0; sub(/.*\) /, "", s); print substr(s, 1, 1) }' "$t/stat" 2>/dev/null) $(cat "$t/wchan" 2>/dev/null)" >&2
        done
    fi
}
trap 'echo "FAIL: $RILL_TEST_NAME: interrupted (overall time limit reached?)" >&2; dump_stuck; dump_logs; exit 1' INT TERM

# ---- sanitizers: programs not built by us load our ASan-built libjack, so
# they get the ASan and UBSan runtimes preloaded (ASan first) and no leak
# check (their leaks are not ours).
RILL_SAN_PRELOAD=
if [ "$RILL_SANITIZERS" = yes ]; then
    for lib in libasan.so libubsan.so; do
        p=$(${CC:-gcc} -print-file-name=$lib 2>/dev/null)
        case $p in
        /*) RILL_SAN_PRELOAD="$RILL_SAN_PRELOAD${RILL_SAN_PRELOAD:+:}$(readlink -f "$p")" ;;
        *) echo "$RILL_TEST_NAME: warning: ${CC:-gcc} -print-file-name=$lib found nothing" >&2 ;;
        esac
    done
fi

# The rjack script: tools/rill-jack with JACK_DEFAULT_SERVER, the sanitizer
# runtimes for foreign programs, and the realtime trap when RILL_TEST_TRAP=1.
cat >"$RILL_TMP/bin/rjack" <<EOF
#!/bin/bash
# generated by tests/integration/lib.sh
export JACK_DEFAULT_SERVER="\${JACK_DEFAULT_SERVER:-$RILL_SERVER}"
export RILL_JACK_LIBDIR="$RILL_JACK_LIBDIR"
prog=\$(command -v "\$1") || { echo "rjack: no program '\$1'" >&2; exit 127; }
prog=\$(readlink -f "\$prog")
preload=
case \$prog in
"$RILL_TOP_BUILDDIR"/*) ours=1 ;;
*) ours=0 ;;
esac
if [ "$RILL_SANITIZERS" = yes ]; then
    if [ \$ours = 0 ]; then
        preload="$RILL_SAN_PRELOAD"
        export ASAN_OPTIONS="detect_leaks=0\${ASAN_OPTIONS:+:\$ASAN_OPTIONS}"
    elif [ "\${RILL_TEST_TRAP:-0}" = 1 ]; then
        preload="${RILL_SAN_PRELOAD%%:*}"
    fi
fi
if [ "\${RILL_TEST_TRAP:-0}" = 1 ]; then
    preload="\$preload\${preload:+:}$RILL_TRAP"
fi
if [ -n "\$preload" ]; then
    export LD_PRELOAD="\$preload\${LD_PRELOAD:+:\$LD_PRELOAD}"
fi
exec "$RILL_JACK" "\$@"
EOF
chmod +x "$RILL_TMP/bin/rjack"
export PATH="$RILL_TMP/bin:$PATH"

# Programs of ours that a test needs: fail (not skip) when one is missing,
# `make check` builds them all.
require_built() {
    local f
    for f in "$@"; do
        [ -x "$f" ] || [ -f "$f" ] || fail "$f is missing: build the tree first (make check builds it)"
    done
}

# A program not built here that a test needs.
require_program() {
    command -v "$1" >/dev/null 2>&1 || fail "$1 is not installed (Debian package: $2)"
}

# ---- rilld

# rctl: rillctl -s $RILL_SERVER (a script in $RILL_TMP/bin, so that timeout
# and spawn can run it too). A rilld that does not answer within 60 s (it
# answers in milliseconds) is a failure of its own: exit 124, and the
# script says where rilld's threads were waiting (their state, wait
# channel and system call), which the test's overall time limit, killing
# everything at once, could not show.
cat >"$RILL_TMP/bin/rctl" <<EOF
#!/bin/bash
timeout -k 5 60 "$RILLCTL" -s "$RILL_SERVER" "\$@"
rc=\$?
if [ "\$rc" = 124 ]; then
    echo "rctl: 'rillctl \$*' got no answer from rilld within 60 s; rilld's threads:" >&2
    for p in \$(pgrep -f -- "rilld -n $RILL_SERVER( |\\\$)"); do
        for t in /proc/\$p/task/*; do
            echo "  \$p/\${t##*/} \$(cat "\$t/comm") \$(cut -d' ' -f3 "\$t/stat" 2>/dev/null) wchan=\$(cat "\$t/wchan" 2>/dev/null) syscall=\$(cut -d' ' -f1 "\$t/syscall" 2>/dev/null)" >&2
        done
    done
fi
exit "\$rc"
EOF
chmod +x "$RILL_TMP/bin/rctl"

rill_socket() { echo "$XDG_RUNTIME_DIR/rill/${1:-$RILL_SERVER}"; }

# rill_start NAME [rilld args]: start rilld in the background, wait until it
# is ready (socket, ready line, `rillctl status`). RILLD_PRELOAD: libraries to
# LD_PRELOAD into rilld (the sanitizer runtime is put first when needed).
rill_start() {
    local name=$1 sock preload=
    shift
    require_built "$RILLD" "$RILLCTL"
    RILLD_NAME=$name
    RILLD_LOG=$RILL_TMP/rilld-$name.log
    sock=$(rill_socket "$name")
    if [ -n "${RILLD_PRELOAD:-}" ]; then
        preload=$RILLD_PRELOAD
        [ "$RILL_SANITIZERS" = yes ] && preload="${RILL_SAN_PRELOAD%%:*}:$preload"
        LD_PRELOAD="$preload${LD_PRELOAD:+:$LD_PRELOAD}" "$RILLD" -n "$name" "$@" >"$RILLD_LOG" 2>&1 &
    else
        "$RILLD" -n "$name" "$@" >"$RILLD_LOG" 2>&1 &
    fi
    RILLD_PID=$!
    local end=$((SECONDS + 10))
    while :; do
        if ! pid_running "$RILLD_PID"; then
            wait "$RILLD_PID"
            local rc=$?
            RILLD_PID=
            fail "rilld -n $name $* exited with status $rc before it was ready"
        fi
        if [ -S "$sock" ] && grep -q "^rilld: server '$name' ready:" "$RILLD_LOG" &&
            "$RILLCTL" -s "$name" status >/dev/null 2>&1; then
            break
        fi
        [ "$SECONDS" -ge "$end" ] && fail "rilld -n $name $* not ready within 10 s" \
            "(socket $sock, ready line, rillctl status)"
        sleep 0.05
    done
    info "rilld '$name' ready (pid $RILLD_PID)"
}

# rill_stop [SIGNAL]: stop rilld (default SIGTERM), wait up to 5 s, then
# SIGKILL and fail; fail unless it exited 0.
rill_stop() {
    local sig=${1:-TERM} pid=$RILLD_PID
    [ -n "$pid" ] || fail "rill_stop: no rilld running"
    kill "-$sig" "$pid" 2>/dev/null
    if ! wait_exit "$pid" 5; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        RILLD_PID=
        fail "rilld did not exit within 5 s of SIG$sig"
    fi
    RILLD_PID=
    [ "$WAIT_RC" = 0 ] || fail "rilld exited with status $WAIT_RC after SIG$sig (expected 0)"
    info "rilld stopped by SIG$sig, exit 0"
}

rill_alive() {
    [ -n "$RILLD_PID" ] && pid_running "$RILLD_PID"
}

# ---- ports and clients as rillctl shows them

# Port names only (lines that are not indented).
ports_list() { rctl ports "$@" | grep -v '^[[:space:]]'; }

port_exists() { ports_list | grep -qxF -- "$1"; }

# 0 when `rillctl ports -c` lists B under A (A's connections are the indented
# lines that follow it).
ports_connected() {
    rctl ports -c | awk -v a="$1" -v b="$2" '
        /^[^ \t]/ { cur = $0; next }
        { sub(/^[ \t]+/, ""); if (cur == a && $0 == b) found = 1 }
        END { exit !found }'
}

# Client names as `rillctl clients` shows them: the first word of each line
# (a header line, if any, starts with an upper-case word and is skipped).
clients_list() { rctl clients | awk 'NF && $1 !~ /^[A-Z]+$/ { print $1 }'; }

client_listed() { clients_list | grep -qxF -- "$1"; }

# status_value KEY: the first word after the ':' or '=' of the first line of
# `rillctl status` whose label contains KEY ("sample rate:  48000 Hz" -> 48000
# for KEY rate).
status_value() {
    rctl status | awk -v k="$1" '
        {
            i = index($0, ":"); if (!i) i = index($0, "=")
            if (!i || index(tolower(substr($0, 1, i - 1)), k) == 0) next
            line = substr($0, i + 1); sub(/^[ \t]+/, "", line)
            split(line, w, /[ \t]/); print w[1]; exit
        }'
}

# ---- rill-test-chain clients

# chain_start MODE NAME [opts]: start a test client through rjack, wait until
# it has written its status file (it is active and connected as asked).
chain_start() {
    local mode=$1 name=$2
    shift 2
    require_built "$RILL_CHAIN" "$RILL_JACK"
    rm -f "$RILL_TMP/$name.status"
    spawn rjack "$RILL_CHAIN" "$mode" "$name" --status "$RILL_TMP/$name.status" "$@" \
        >"$RILL_TMP/$name.log" 2>&1
    CHAIN_PID[$name]=$SPAWN_PID
    # generous: a loaded 2-core machine (a neighbouring test freewheeling
    # takes both cores at SCHED_OTHER) has needed more than 10 s
    local end=$((SECONDS + 30))
    while [ ! -s "$RILL_TMP/$name.status" ]; do
        if ! pid_running "${CHAIN_PID[$name]}"; then
            wait "${CHAIN_PID[$name]}"
            fail "rill-test-chain $mode $name $* exited with status $? before it was active"
        fi
        [ "$SECONDS" -ge "$end" ] && fail "rill-test-chain $mode $name: not active within 30 s"
        sleep 0.05
    done
}

# chain_get NAME KEY: a value from NAME's status file ("" when absent).
chain_get() {
    local f=$RILL_TMP/$1.status
    [ -r "$f" ] || return 0
    tr ' ' '\n' <"$f" | sed -n "s/^$2=//p"
}

chain_status() { cat "$RILL_TMP/$1.status" 2>/dev/null; }

# chain_wait_key NAME KEY MIN TIMEOUT: wait until KEY >= MIN.
chain_wait_key() {
    wait_for "[ \"\$(chain_get $1 $2)\" -ge $3 ]" "$4"
}

# chain_stop NAME [SIGNAL [WANT_RC]]: signal a chain client (default TERM),
# wait up to 5 s, fail unless it exits with WANT_RC (default 0).
chain_stop() {
    local name=$1 sig=${2:-TERM} want=${3:-0} pid=${CHAIN_PID[$1]}
    kill "-$sig" "$pid" 2>/dev/null
    wait_exit "$pid" 5 || fail "$name (pid $pid) did not exit within 5 s of SIG$sig"
    [ "$WAIT_RC" = "$want" ] ||
        fail "$name exited with status $WAIT_RC after SIG$sig (expected $want); status: $(chain_status "$name")"
}

# check_audio NAME MIN_OK: NAME (a sink) has at least MIN_OK ok cycles and no
# bad one.
check_audio() {
    local name=$1 min=$2 ok bad
    ok=$(chain_get "$name" ok)
    bad=$(chain_get "$name" bad)
    [ -n "$ok" ] || fail "$name: no status ($RILL_TMP/$name.status)"
    [ "$bad" = 0 ] || fail "$name: $bad bad cycle(s), want 0: $(chain_status "$name")"
    [ "$ok" -ge "$min" ] || fail "$name: only $ok ok cycle(s), want >= $min: $(chain_status "$name")"
    info "$name: $(chain_status "$name")"
}

# fd count and RSS (kB) of a process.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# expect_rc WANT CMD...: run CMD, keep its stdout+stderr in $OUT and fail
# unless it exits with WANT (a crash or a hang is a failure too: 20 s limit).
expect_rc() {
    local want=$1 rc
    shift
    OUT=$(timeout -k 2 20 "$@" 2>&1)
    rc=$?
    [ "$rc" = "$want" ] || fail "'$*' exited $rc, expected $want; output: $OUT"
}

# expect_out REGEX WHAT: $OUT (from expect_rc) matches the extended REGEX
# (case-insensitive), else fail saying WHAT was expected.
expect_out() {
    printf '%s\n' "$OUT" | grep -Eqi -- "$1" || fail "$2; output was: $OUT"
}
