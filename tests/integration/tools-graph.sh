#!/bin/bash
# tests/integration/tools-graph.sh — rillctl graph: the DOT of a known graph
# holds exactly its nodes and edges, MIDI and feedback edges marked, and
# Graphviz renders it.
#
# The graph: a -> b -> c -> system:playback_1, c -> b (closes a cycle:
# feedback), and jackd2's jack_midiseq (seq:out) -> jack_midi_dump
# (midi-monitor:input), a MIDI edge. Graphviz's own gvpr reads the DOT back:
# every node with the client named in its label, every edge with its ports and
# class, compared with the expected lists.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
require_program dot graphviz
require_program gvpr graphviz
require_program jack_midiseq jackd2

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
chain_start source a
chain_start pass b --connect-from a:out
chain_start pass c --connect-from b:out
expect_rc 0 rctl connect c:out b:in
expect_rc 0 rctl connect c:out system:playback_1
spawn rjack jack_midiseq seq 24000 0 60 8000 >"$RILL_TMP/seq.log" 2>&1
spawn rjack jack_midi_dump >"$RILL_TMP/dump.log" 2>&1
wait_for 'port_exists seq:out && port_exists midi-monitor:input' 10 ||
    fail "jack_midiseq / jack_midi_dump ports did not appear: $(rctl ports)"
expect_rc 0 rctl connect seq:out midi-monitor:input

expect_rc 0 rctl graph --dot
printf '%s\n' "$OUT" >"$RILL_TMP/g.dot"
# nodes as "NODE CLIENT" (the client named in the label's <B>...</B>),
# edges as "TAILCLIENT:TAILPORT -> HEADCLIENT:HEADPORT CLASS"
gvpr '
N { string l = $.label; int s = index(l, "<B>"); int e = index(l, "</B>");
    if (s >= 0 && e > s) printf("N %s %s\n", $.name, substr(l, s + 3, e - s - 3));
    else printf("N %s ?\n", $.name); }
E { printf("E %s:%s -> %s:%s %s\n", $.tail.name, $.tailport, $.head.name, $.headport, $.class); }
' "$RILL_TMP/g.dot" 2>"$RILL_TMP/gvpr.err" >"$RILL_TMP/g.parsed" ||
    fail "gvpr could not read rillctl's DOT: $(cat "$RILL_TMP/gvpr.err")"
info "parsed:"
cat "$RILL_TMP/g.parsed"

# node name -> client name; ports by id -> full name
declare -A client_of
while read -r kind node label; do
    [ "$kind" = N ] && client_of[$node]=${label%% (*}
done <"$RILL_TMP/g.parsed"
expect_rc 0 rctl ports --json
printf '%s\n' "$OUT" >"$RILL_TMP/ports.json"

got_nodes=$(awk '$1 == "N" { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' "$RILL_TMP/g.parsed" | sort)
want_nodes=$(printf '%s\n' "a" "b" "c" "midi-monitor" "seq" "system (capture)" "system (playback)" | sort)
[ "$got_nodes" = "$want_nodes" ] || fail "nodes: got [$got_nodes], want [$want_nodes]"

# edges, with port ids mapped back to names
got_edges=$(python3 - "$RILL_TMP/g.parsed" "$RILL_TMP/ports.json" <<'PY'
import json, re, sys
ports = {p["id"]: p["name"] for p in json.load(open(sys.argv[2]))["ports"]}
for line in open(sys.argv[1]):
    m = re.match(r"E \S+?:(o\d+):e -> \S+?:(i\d+):w (.*)$", line.strip())
    if line.startswith("E "):
        if not m:
            print("UNPARSED", line.strip())
            continue
        print(ports[int(m.group(1)[1:])], "->", ports[int(m.group(2)[1:])], m.group(3))
PY
)
got_edges=$(printf '%s\n' "$got_edges" | sort)
want_edges=$(printf '%s\n' \
    "a:out -> b:in audio" \
    "b:out -> c:in audio" \
    "c:out -> b:in audio feedback" \
    "c:out -> system:playback_1 audio" \
    "seq:out -> midi-monitor:input midi" | sort)
[ "$got_edges" = "$want_edges" ] || fail "edges: got
$got_edges
want
$want_edges"
# the feedback edge is drawn apart and labelled; MIDI is dashed
grep -E 'class="audio feedback"' "$RILL_TMP/g.dot" | grep -q 'label="feedback"' ||
    fail "the feedback edge is not labelled feedback"
grep -E 'class="midi"' "$RILL_TMP/g.dot" | grep -q 'style=dashed' || fail "the MIDI edge is not dashed"
# system's capture and playback boxes sit at the edges
grep -A1 'rank=source' "$RILL_TMP/g.dot" | grep -q system_capture || fail "capture not at the left edge"
grep -A1 'rank=sink' "$RILL_TMP/g.dot" | grep -q system_playback || fail "playback not at the right edge"

# rendering
expect_rc 0 rctl graph --svg "$RILL_TMP/g.svg" --png "$RILL_TMP/g.png" -o "$RILL_TMP/g2.dot"
grep -q '<svg' "$RILL_TMP/g.svg" || fail "--svg did not write an SVG"
[ "$(head -c 8 "$RILL_TMP/g.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    fail "--png did not write a PNG"
grep -q 'digraph rill' "$RILL_TMP/g2.dot" || fail "-o did not write the DOT"
# without Graphviz on PATH: a clear message
OUT=$(PATH=/nonexistent "$RILLCTL" -s "$RILL_SERVER" graph --svg "$RILL_TMP/x.svg" 2>&1)
[ $? = 1 ] || fail "graph --svg without dot should exit 1: $OUT"
printf '%s\n' "$OUT" | grep -q 'apt-get install graphviz' || fail "no install hint without dot: $OUT"
expect_rc 2 rctl graph --svg
expect_rc 2 rctl graph extra
info "ok"
