#!/bin/bash
# tests/integration/access.sh — no other user gets in (issue 15).
#
# rilld runs as the test's user (root: the test needs to switch users and
# is skipped otherwise); user nobody, through setpriv, with the same
# XDG_RUNTIME_DIR:
#   1. cannot connect to the control socket, and rillctl says why (the
#      directory belongs to another uid; a server serves only its user);
#   2. cannot list rilld's fds nor open any of its memfds (the state, the
#      activation records, the port buffers) through /proc;
#   3. even with the socket made accessible by hand, is refused by rilld
#      (SO_PEERCRED) with an error that names both uids, and rilld serves
#      its own user on;
#   4. finds no state of the server anywhere else (/dev/shm holds nothing
#      of rill's: the segments are memfds, passed over the socket only).
#   0. cannot send to the OSC socket (--osc) either.
# (With the sockets opened up by hand, rilld checks the peer's uid on the
# control socket; its OSC socket takes datagrams from anyone who can reach
# it: see doc/fuzzing.md.)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root to run commands as user nobody"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
id nobody >/dev/null 2>&1 || skip "there is no user nobody"
require_built "$RILLD" "$RILLCTL"
require_program python3 python3
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)

# as_nobody CMD...: run CMD as nobody; output in $OUT, status in $RC
as_nobody() {
    OUT=$(timeout -k 2 20 setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups \
        env XDG_RUNTIME_DIR="$XDG_RUNTIME_DIR" "$@" 2>&1)
    RC=$?
}

rill_start "$RILL_SERVER" --osc -d dummy -r 48000 -p 256
pid=$RILLD_PID
sock=$(rill_socket)
wait_for "[ -S '$sock.osc' ]" 10 || fail "rilld --osc made no OSC socket at $sock.osc"

# 0. the OSC socket (a Unix datagram socket beside the control socket)
as_nobody python3 -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.sendto(b'/rill/ping\0\0,\0\0\0', sys.argv[1])
except OSError as e:
    print('cannot send to', sys.argv[1] + ':', e.strerror)
    sys.exit(1)
print('sent')" "$sock.osc"
[ "$RC" != 0 ] || fail "nobody could send to rilld's OSC socket: $OUT"
printf '%s\n' "$OUT" | grep -qi "permission denied" || fail "sending OSC as nobody failed without 'permission denied': $OUT"
info "nobody, OSC: $OUT"

# 1. the socket
as_nobody "$RILLCTL" -s "$RILL_SERVER" status
[ "$RC" != 0 ] || fail "nobody ran rillctl status on root's server: $OUT"
printf '%s\n' "$OUT" | grep -q "permission denied: .* belongs to uid $(id -u), and a rill server serves only the user who started it (you are uid $NOBODY_UID)" ||
    fail "rillctl as nobody does not say why it cannot connect: $OUT"
info "nobody: $OUT"

# 2. the memfds through /proc
memfds=()
for f in /proc/"$pid"/fd/*; do
    case $(readlink "$f") in /memfd:* | memfd:*) memfds+=("${f##*/}") ;; esac
done
[ "${#memfds[@]}" -ge 3 ] || fail "rilld shows ${#memfds[@]} memfds, expected its 3 segments and more"
as_nobody ls "/proc/$pid/fd"
[ "$RC" != 0 ] || fail "nobody can list rilld's fds: $OUT"
for n in "${memfds[@]}"; do
    as_nobody head -c 16 "/proc/$pid/fd/$n"
    [ "$RC" != 0 ] || fail "nobody can read rilld's memfd /proc/$pid/fd/$n"
    printf '%s\n' "$OUT" | grep -qi "permission denied" ||
        fail "opening /proc/$pid/fd/$n as nobody failed without 'permission denied': $OUT"
    as_nobody sh -c "echo x >> /proc/$pid/fd/$n"
    [ "$RC" != 0 ] || fail "nobody can write rilld's memfd /proc/$pid/fd/$n"
done
as_nobody head -c 16 "/proc/$pid/mem"
[ "$RC" != 0 ] || fail "nobody can read /proc/$pid/mem"
info "nobody cannot list rilld's fds nor open its ${#memfds[@]} memfds"

# 3. a socket opened up by hand: rilld itself refuses
chmod 755 "$RILL_TMP" "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/rill"
chmod 777 "$sock"
as_nobody "$RILLCTL" -s "$RILL_SERVER" status
[ "$RC" != 0 ] || fail "rilld served nobody through an opened socket: $OUT"
printf '%s\n' "$OUT" | grep -q "this rill server belongs to uid $(id -u) and only that user may use it (you are uid $NOBODY_UID)" ||
    fail "rilld's refusal does not name the uids: $OUT"
info "nobody, socket opened: $OUT"
grep -q "refused a connection from uid $NOBODY_UID" "$RILLD_LOG" ||
    fail "rilld did not log the refused connection: $(tail -5 "$RILLD_LOG")"
chmod 700 "$RILL_TMP" "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/rill"
chmod 600 "$sock"
expect_rc 0 rctl status
rill_alive || fail "rilld died"

# 4. nothing of the server outside its memfds
if [ -d /dev/shm ]; then
    # named rill* or after this server: jackd2 servers that other tests run
    # meanwhile (jack-test's are called rill-jack-test-N) make jack_* entries
    leftovers=$(find /dev/shm -maxdepth 1 -user "$(id -u)" -newer "$RILLD_LOG" \
        \( -iname 'rill*' -o -iname "*$RILL_SERVER*" \) 2>/dev/null)
    [ -z "$leftovers" ] || fail "rill state in /dev/shm: $leftovers"
fi
rill_stop
echo "PASS"
