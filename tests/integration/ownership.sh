#!/bin/bash
# tests/integration/ownership.sh — what rilld creates is the user's alone:
# the control socket (0600, in a 0700 directory), every memfd it holds (0600
# or less, owned by the user), nothing in /dev/shm; and it cleans up after
# itself on SIGTERM.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
uid=$(id -u)

shm_list() { find /dev/shm -mindepth 1 -maxdepth 1 -user "$uid" 2>/dev/null | sort; }
shm_before=$(shm_list)
# shm_check WHEN: no new /dev/shm entry that rill could have made (named
# rill*, or after this test's server). Entries other programs on the machine
# made meanwhile are only reported: this test runs beside others, among
# them jackd2 servers (jack-test, net, netmanager) whose jack_sem.*/jack_*
# entries come and go under their own server names.
shm_check() {
    local new
    new=$(comm -13 <(printf '%s\n' "$shm_before") <(shm_list))
    [ -z "$new" ] && return 0
    if printf '%s\n' "$new" | grep -Eqi -e '^/dev/shm/rill' -e "$RILL_SERVER"; then
        fail "/dev/shm entries appeared $1: $(printf '%s\n' "$new" | tr '\n' ' ')"
    fi
    info "note: unrelated /dev/shm entries appeared $1: $(printf '%s\n' "$new" | tr '\n' ' ')"
}

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
sock=$(rill_socket)
dir=$(dirname "$sock")

[ -S "$sock" ] || fail "$sock is not a socket"
[ "$(stat -c %A "$sock")" = "srw-------" ] || fail "socket mode is $(stat -c %A "$sock"), expected srw-------"
[ "$(stat -c %u "$sock")" = "$uid" ] || fail "socket owned by uid $(stat -c %u "$sock"), expected $uid"
[ "$(stat -c %a "$dir")" = 700 ] || fail "socket directory $dir has mode $(stat -c %a "$dir"), expected 700"
[ "$(stat -c %u "$dir")" = "$uid" ] || fail "socket directory owned by uid $(stat -c %u "$dir"), expected $uid"

# a client, so that every kind of segment exists
chain_start source src
chain_start sink snk --connect-from src:out
chain_wait_key snk ok 10 5 || fail "no audio: $(chain_status snk)"

# check_memfds PID WHO: every memfd that PID holds open (/proc/PID/fd) or has
# mapped (/proc/PID/map_files) is mode 0600 or less and the user's.
check_memfds() {
    local pid=$1 who=$2 f link mode owner nfd=0 nmap=0
    for f in /proc/"$pid"/fd/* /proc/"$pid"/map_files/*; do
        link=$(readlink "$f" 2>/dev/null) || continue
        case $link in
        /memfd:*) ;;
        *) continue ;;
        esac
        mode=$(stat -L -c %a "$f") || fail "cannot stat $f ($link)"
        owner=$(stat -L -c %u "$f")
        [ $((8#$mode & 8#177)) = 0 ] || fail "$who holds $link ($f) with mode $mode, expected 600 or less"
        [ "$owner" = "$uid" ] || fail "$who holds $link ($f) owned by uid $owner, expected $uid"
        case $f in
        */fd/*) nfd=$((nfd + 1)) ;;
        *) nmap=$((nmap + 1)) ;;
        esac
    done
    [ $((nfd + nmap)) -ge 1 ] || fail "$who has no memfd open or mapped (expected the shared segments)"
    info "$who: $nfd memfd(s) open, $nmap mapping(s) of memfds, all mode <= 600 and owned by uid $uid"
    MEMFD_OPEN=$nfd
}
check_memfds "$RILLD_PID" rilld
[ "$MEMFD_OPEN" -ge 1 ] || fail "rilld holds no memfd open (expected its shared segments)"
check_memfds "${CHAIN_PID[snk]}" "client snk"

# no shared memory through /dev/shm: nothing of rilld or a client is there
for pid in "$RILLD_PID" "${CHAIN_PID[snk]}"; do
    if grep -q ' /dev/shm/' "/proc/$pid/maps"; then
        fail "pid $pid maps /dev/shm files: $(grep ' /dev/shm/' "/proc/$pid/maps" | head -n 3)"
    fi
    for fd in /proc/"$pid"/fd/*; do
        case $(readlink "$fd" 2>/dev/null) in
        /dev/shm/*) fail "pid $pid holds $(readlink "$fd") open" ;;
        esac
    done
done
shm_check "while running"

chain_stop src
chain_stop snk
rill_stop TERM
[ -e "$sock" ] && fail "the socket $sock is still there after rilld stopped"
shm_check "after rilld stopped"
info "ok"
