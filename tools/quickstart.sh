#!/bin/bash
# tools/quickstart.sh — build rill and show it running (the README's "run").
#
#   1. install the Debian 12 packages rill needs (tools/install-deps.sh);
#   2. ./autogen.sh if needed, configure and build in build/;
#   3. start rilld -n rill-demo with the dummy driver (no sound card needed),
#      run jack_simple_client on it through rill-jack (a sine tone into
#      system:playback_1/2), list the graph with rillctl, then print
#      `rillctl status` every second for DEMO_SECONDS (default 10; 0 runs
#      until Ctrl-C);
#   4. stop every process it started, by PID.
# Exit status 0, or non-zero with a message when something failed to start.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
server=rill-demo
seconds=${DEMO_SECONDS:-10}
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
    echo "quickstart.sh: DEMO_SECONDS='$seconds' is not a number of seconds (0 = until Ctrl-C)" >&2
    exit 2
fi

say() { printf '==== quickstart: %s\n' "$*"; }
fail() { echo "quickstart.sh: $*" >&2; exit 1; }

# ---- build
tools/install-deps.sh || fail "the packages rill needs are missing (see above)"
if [[ -f config.status ]]; then
    fail "the source tree was configured in place (./config.status exists); run 'make distclean' in $root first"
fi
if [[ ! -x configure ]]; then
    say "running ./autogen.sh"
    ./autogen.sh || fail "./autogen.sh failed"
fi
mkdir -p build
if [[ ! -f build/Makefile ]]; then
    say "configuring in build/"
    (cd build && ../configure -q) || fail "configure failed (see build/config.log)"
fi
say "building in build/"
make -C build -j"$(nproc)" || fail "the build failed (see above)"

rilld=$root/build/engine/rilld
rillctl=$root/build/tools/rillctl
rilljack=$root/build/tools/rill-jack
export RILL_JACK_LIBDIR=$root/build/clients/jack/.libs
for f in "$rilld" "$rillctl" "$rilljack"; do
    [[ -x $f ]] || fail "the build did not produce $f"
done

# ---- the demo
rilld_pid=
client_pid=
logdir=$(mktemp -d "${TMPDIR:-/tmp}/rill-quickstart.XXXXXX") || fail "cannot make a temporary directory"
stop=0

cleanup() {
    if [[ -n $client_pid ]] && kill -0 "$client_pid" 2>/dev/null; then
        kill -TERM "$client_pid" 2>/dev/null
        wait "$client_pid" 2>/dev/null
    fi
    if [[ -n $rilld_pid ]] && kill -0 "$rilld_pid" 2>/dev/null; then
        kill -TERM "$rilld_pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$rilld_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$rilld_pid" 2>/dev/null && kill -KILL "$rilld_pid" 2>/dev/null
        wait "$rilld_pid" 2>/dev/null
    fi
    rm -rf "$logdir"
}
trap cleanup EXIT
trap 'stop=1' INT TERM

say "starting rilld -n $server -d dummy -r 48000 -p 256"
echo "    (no sound card is used: the dummy driver paces the cycles with a timer,"
echo "     so the tone below goes nowhere; use -d alsa for a real card once it exists)"
"$rilld" -n "$server" -d dummy -r 48000 -p 256 2>"$logdir/rilld.log" &
rilld_pid=$!
ready=0
for _ in $(seq 100); do
    if grep -q "^rilld: server '$server' ready:" "$logdir/rilld.log" 2>/dev/null; then
        ready=1
        break
    fi
    kill -0 "$rilld_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ $ready -ne 1 ]]; then
    cat "$logdir/rilld.log" >&2
    fail "rilld did not start (its messages are above)"
fi
sed 's/^/    /' "$logdir/rilld.log"

say "running jack_simple_client through rill-jack (a sine tone into system:playback_1/2)"
"$rilljack" -s "$server" jack_simple_client >"$logdir/client.log" 2>&1 &
client_pid=$!
up=0
for _ in $(seq 100); do
    if [[ -n $("$rillctl" -s "$server" ports 'jack_simple_client:*' 2>/dev/null) ]]; then
        up=1
        break
    fi
    kill -0 "$client_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ $up -ne 1 ]]; then
    if [[ -s $logdir/client.log ]]; then cat "$logdir/client.log" >&2; else echo "(jack_simple_client printed nothing)" >&2; fi
    fail "jack_simple_client did not register its ports on rill within 10 s"
fi

say "rillctl -s $server ports -c"
"$rillctl" -s "$server" ports -c || fail "rillctl ports failed"

if [[ $seconds -eq 0 ]]; then
    say "rillctl -s $server status, every second until Ctrl-C"
else
    say "rillctl -s $server status, every second for $seconds s (DEMO_SECONDS)"
fi
n=0
while [[ $stop -eq 0 ]] && { [[ $seconds -eq 0 ]] || [[ $n -lt $seconds ]]; }; do
    "$rillctl" -s "$server" status || fail "rillctl status failed: is rilld still running?"
    echo
    kill -0 "$client_pid" 2>/dev/null || { cat "$logdir/client.log" >&2; fail "jack_simple_client stopped"; }
    sleep 1
    n=$((n + 1))
done

say "stopping jack_simple_client (pid $client_pid) and rilld (pid $rilld_pid)"
cleanup
trap - EXIT
say "done"
exit 0
