#!/bin/bash
# tests/integration/osc.sh — rilld's OSC front door driven by liblo's own
# tools: oscsend (with a reply URL, since it sends from a throwaway port)
# and oscdump receiving the replies and events.
#   - --osc-udp binds 127.0.0.1 only (/proc/net/udp), --osc makes a 0600
#     Unix socket, NAME.osc-url holds the URLs; off by default;
#   - subscribe: the snapshot (begin, the ports, end);
#   - connect: /rill/ok and the connection/added event; the same again:
#     ALREADY_CONNECTED; an unknown port: NO_SUCH_PORT with rillctl's text;
#   - a list of 500 ports arrives whole (every index, the end's count);
#   - an address outside loopback needs --osc-allow; the sockets and the URL
#     file go away at shutdown.
. "$(dirname "$0")/lib.sh"

require_program oscsend liblo-tools
require_program oscdump liblo-tools
require_program python3 python3

free_udp_port() {
    python3 -c 'import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- off by default
rill_start "$RILL_SERVER" -d dummy
[ -e "$(rill_socket).osc" ] && fail "an OSC socket exists without --osc"
[ -e "$(rill_socket).osc-url" ] && fail "an OSC URL file exists without --osc"
rill_stop
info "OSC is off by default"

# ---- refused: an address outside loopback without --osc-allow
if "$RILLD" -n "$RILL_SERVER" --osc-udp 0.0.0.0:0 -d dummy >"$RILL_TMP/refused.log" 2>&1; then
    fail "rilld --osc-udp 0.0.0.0:0 without --osc-allow started"
fi
grep -q -- "--osc-allow" "$RILL_TMP/refused.log" ||
    fail "the refusal does not name --osc-allow: $(cat "$RILL_TMP/refused.log")"
info "--osc-udp 0.0.0.0 without --osc-allow: refused ($(head -1 "$RILL_TMP/refused.log"))"

# ---- 250 + 250 system ports: 500 in all
rill_start "$RILL_SERVER" --osc --osc-udp 0 -d dummy -C 250 -P 250
URLFILE=$(rill_socket).osc-url
[ -s "$URLFILE" ] || fail "no $URLFILE"
URL=$(sed -n 1p "$URLFILE")
UNIXURL=$(sed -n 2p "$URLFILE")
case $URL in osc.udp://127.0.0.1:*/) ;; *) fail "UDP URL '$URL'" ;; esac
[ "$UNIXURL" = "osc.unix://$(rill_socket).osc" ] || fail "Unix URL '$UNIXURL'"
grep -qF "OSC on $URL" "$RILLD_LOG" || fail "rilld did not print $URL"
PORT=${URL##*:}
PORT=${PORT%/}
hexport=$(printf '%04X' "$PORT")
grep -q " 0100007F:$hexport " /proc/net/udp ||
    fail "/proc/net/udp has no 127.0.0.1:$PORT: $(grep ":$hexport " /proc/net/udp)"
grep -q " 00000000:$hexport " /proc/net/udp && fail "the OSC port is bound to every interface"
info "UDP socket bound to 127.0.0.1:$PORT (/proc/net/udp: 0100007F:$hexport)"
mode=$(stat -c %a "$(rill_socket).osc")
[ "$mode" = 600 ] || fail "the Unix socket has mode $mode, not 600"
[ -S "$(rill_socket).osc" ] || fail "$(rill_socket).osc is not a socket"
info "Unix socket $(rill_socket).osc, mode 0600"

DPORT=$(free_udp_port)
DUMP=$RILL_TMP/dump.txt
spawn oscdump -L "$DPORT" >"$DUMP" 2>"$RILL_TMP/oscdump.log"
DUMP_PID=$SPAWN_PID
ME="osc.udp://127.0.0.1:$DPORT/"
# oscdump is up once it prints a ping's reply
wait_for "oscsend '$URL' /rill/ping si '$ME' 1; grep -q '/rill/reply/ping i 1' '$DUMP'" 10 ||
    fail "oscdump received no reply to /rill/ping: $(cat "$DUMP" "$RILL_TMP/oscdump.log")"
info "oscsend /rill/ping with a reply URL: $(grep -m1 '/rill/reply/ping' "$DUMP" | cut -d' ' -f2-)"

# ---- subscribe: the snapshot
oscsend "$URL" /rill/subscribe sis "$ME" 2 graph
wait_for "grep -q '/rill/event/snapshot/end' '$DUMP'" 10 || fail "no snapshot: $(tail "$DUMP")"
grep -q '/rill/ok is 2 "/rill/subscribe"' "$DUMP" || fail "no /rill/ok for subscribe"
grep -q '/rill/event/snapshot/begin iiiii [0-9]* [0-9]* 1 500 0' "$DUMP" ||
    fail "snapshot/begin does not say 1 client, 500 ports, 0 connections: $(grep begin "$DUMP")"
n=$(grep -c '/rill/event/port/added' "$DUMP")
[ "$n" = 500 ] || fail "the snapshot has $n port/added events, not 500"
info "subscribe: /rill/ok, then a snapshot of 1 client and $n ports"

# ---- connect: ok and the event; again: ALREADY_CONNECTED
oscsend "$URL" /rill/connect siss "$ME" 3 system:capture_7 system:playback_9
wait_for "grep -q '/rill/ok is 3 \"/rill/connect\"' '$DUMP'" 10 || fail "no /rill/ok for connect"
wait_for "grep -q '/rill/event/connection/added iiss [0-9]* [0-9]* \"system:capture_7\" \"system:playback_9\"' '$DUMP'" 10 ||
    fail "no connection/added event: $(tail -5 "$DUMP")"
ports_connected system:capture_7 system:playback_9 || fail "rillctl does not show the connection"
info "connect: /rill/ok, connection/added, and rillctl shows it"
oscsend "$URL" /rill/connect siss "$ME" 4 system:playback_9 system:capture_7
wait_for "grep -q '/rill/error isiss 4 \"/rill/connect\" [0-9]* \"ALREADY_CONNECTED\"' '$DUMP'" 10 ||
    fail "the same connect again: no ALREADY_CONNECTED: $(grep 'isiss 4' "$DUMP")"
info "the same connect again: $(grep 'isiss 4' "$DUMP" | cut -d' ' -f4-)"

# ---- unknown port: NO_SUCH_PORT with rillctl's sentence
ctl=$(rctl connect system:capture_1 nosuch:port 2>&1) && fail "rillctl connect to nosuch:port succeeded"
sentence=${ctl#rillctl: }
oscsend "$URL" /rill/connect siss "$ME" 5 system:capture_1 nosuch:port
wait_for "grep -q 'isiss 5 ' '$DUMP'" 10 || fail "no answer to connect id 5"
line=$(grep 'isiss 5 ' "$DUMP")
case $line in
*"\"NO_SUCH_PORT\" \"$sentence\""*) ;;
*) fail "NO_SUCH_PORT with rillctl's text '$sentence' expected, got: $line" ;;
esac
info "unknown port: NO_SUCH_PORT \"$sentence\""

# ---- 500 ports listed whole
oscsend "$URL" /rill/ports/list si "$ME" 6
wait_for "grep -q '/rill/reply/end isii 6 \"/rill/ports/list\" 500' '$DUMP'" 10 ||
    fail "no end of the port list with 500: $(grep 'end isii 6' "$DUMP")"
n=$(grep -c '/rill/reply/port iiisssi 6 ' "$DUMP")
[ "$n" = 500 ] || fail "$n port items, not 500"
missing=$(grep '/rill/reply/port iiisssi 6 ' "$DUMP" | awk '{print $5}' | sort -n |
    awk 'BEGIN { want = 0 } { if ($1 != want) { print want; exit } want++ } END { if (want != 500) print "count " want }')
[ -z "$missing" ] || fail "port list: index $missing missing"
diff <(grep '/rill/reply/port iiisssi 6 ' "$DUMP" | awk '{print $7}' | tr -d '"') <(ports_list) >/dev/null ||
    fail "the OSC port list differs from rillctl ports"
info "a list of 500 ports arrives whole: indexes 0..499, end count 500, same as rillctl ports"

# ---- the Unix socket: oscsend speaks osc.unix too
oscsend "$UNIXURL" /rill/ping si "$ME" 7 2>"$RILL_TMP/oscsend-unix.log" ||
    fail "oscsend to $UNIXURL failed: $(cat "$RILL_TMP/oscsend-unix.log")"
wait_for "grep -q '/rill/reply/ping i 7' '$DUMP'" 10 || fail "no reply to a ping over the Unix socket"
info "oscsend over the Unix socket: replied to the UDP reply URL"

rill_stop
wait_for "grep -q '/rill/event/ended is [0-9]* \"server shutdown\"' '$DUMP'" 5 ||
    fail "no 'ended server shutdown' event: $(tail -3 "$DUMP")"
[ -e "$(rill_socket).osc" ] && fail "the Unix OSC socket is still there after shutdown"
[ -e "$URLFILE" ] && fail "the URL file is still there after shutdown"
info "shutdown: 'ended server shutdown' sent; socket and URL file removed"
kill "$DUMP_PID" 2>/dev/null
exit 0
