#!/bin/bash
# tests/integration/tools-json.sh — rillctl's --json outputs: each one
# validated against its documented shape (doc/rillctl.md, json-shape blocks,
# read by json_shape.py: exactly the documented keys, each of its type), and
# the values against what rillctl prints as text: the same ports, types,
# connections, clients and status figures.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
require_program python3 python3
SHAPE="python3 $RILL_TOP_SRCDIR/tests/integration/json_shape.py $RILL_TOP_SRCDIR/doc/rillctl.md"

rill_start "$RILL_SERVER" -d dummy -r 44100 -p 128 -C 3 -P 2
chain_start source 'src "quoted" \name'
chain_start sink snk --connect-from 'src "quoted" \name:out'
expect_rc 0 rctl connect 'src "quoted" \name:out' system:playback_2

for what in ports clients status "top --once -d 0.3"; do
    name=${what%% *}
    # shellcheck disable=SC2086
    expect_rc 0 rctl $what --json
    printf '%s\n' "$OUT" >"$RILL_TMP/$name.json"
    $SHAPE "$name" "$RILL_TMP/$name.json" || fail "rillctl $what --json does not match its documented shape"
done
# a shape check that cannot fail proves nothing: a document with an extra
# key, and one with a wrong type, must be refused
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["extra"]=1; json.dump(d, open(sys.argv[2], "w"))' \
    "$RILL_TMP/status.json" "$RILL_TMP/bad1.json"
! $SHAPE status "$RILL_TMP/bad1.json" >/dev/null || fail "json_shape.py accepted an undocumented key"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["rate"]="48000"; json.dump(d, open(sys.argv[2], "w"))' \
    "$RILL_TMP/status.json" "$RILL_TMP/bad2.json"
! $SHAPE status "$RILL_TMP/bad2.json" >/dev/null || fail "json_shape.py accepted a string for a uint"

# values against the text outputs
expect_rc 0 rctl ports -c -t -a
printf '%s\n' "$OUT" >"$RILL_TMP/ports.txt"
expect_rc 0 rctl clients
printf '%s\n' "$OUT" >"$RILL_TMP/clients.txt"
python3 - "$RILL_TMP" <<'PY' || fail "the JSON and text outputs disagree (above)"
import json, sys
d = sys.argv[1]
def die(m):
    print("tools-json:", m); sys.exit(1)
ports = json.load(open(f"{d}/ports.json"))["ports"]
# text: name, then indented lines: 3 spaces = connection or alias, tab = type
text = {}
cur = None
for line in open(f"{d}/ports.txt"):
    line = line.rstrip("\n")
    if not line:
        continue
    if line[0] not in " \t":
        cur = line; text[cur] = {"type": None, "other": []}
    elif line.startswith("\t"):
        text[cur]["type"] = line[1:]
    else:
        text[cur]["other"].append(line[3:])
if [p["name"] for p in ports] != list(text):
    die(f"port lists differ: {[p['name'] for p in ports]} vs {list(text)}")
for p in ports:
    t = text[p["name"]]
    if p["type"] != t["type"]:
        die(f"{p['name']}: type {p['type']} vs {t['type']}")
    if sorted(p["connections"] + p["aliases"]) != sorted(t["other"]):
        die(f"{p['name']}: connections/aliases {p['connections'] + p['aliases']} vs {t['other']}")
    if p["client"] != p["name"].split(":")[0]:
        die(f"{p['name']}: client {p['client']}")
src = next(p for p in ports if p["name"] == 'src "quoted" \\name:out')
if sorted(src["connections"]) != ["snk:in", "system:playback_2"] or src["direction"] != "output":
    die(f"src's entry: {src}")
cap = [p for p in ports if p["name"].startswith("system:capture_")]
if len(cap) != 3 or not all(p["physical"] and p["direction"] == "output" for p in cap):
    die(f"system capture ports: {cap}")
clients = json.load(open(f"{d}/clients.json"))["clients"]
names = sorted(c["name"] for c in clients)
tnames = sorted(l.split("  ")[0].strip() for l in open(f"{d}/clients.txt") if l.strip())
if names != tnames:
    die(f"clients {names} vs {tnames}")
st = json.load(open(f"{d}/status.json"))
if (st["rate"], st["period"], st["driver"], st["clients"]) != (44100, 128, "dummy", 3):
    die(f"status: {st}")
print("tools-json: ok,", len(ports), "ports,", len(clients), "clients")
PY
info "ok"
