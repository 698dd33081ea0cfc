#!/bin/bash
# tests/integration/tools-top.sh — rillctl top, as a user sees it and as a
# script reads it.
#
# 1. `rillctl top` in tmux (80x24) against a live server with a chain of
#    three clients (src -> mid -> snk, mid burning 300 us a cycle): the screen
#    shows every client, no line is wider than 80 columns, the cycle count on
#    the screen moves, and q quits (the program exits 0).
# 2. `top --once --json` parses; its status object agrees with `rillctl
#    status --json` (server, driver, rate, period, version; cycles no more
#    than a later status says); every chain client is there, in the plan's
#    order, all three in one serial branch, each sampled, mid's busy time at
#    least its 300 us, and its share of the period consistent with it.
# 3. Bad arguments are refused with exit 2.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK" "$RILL_CHAIN"
require_program tmux tmux
require_program python3 python3

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 512
chain_start source src
chain_start pass mid --busy-us 300 --connect-from src:out
chain_start sink snk --connect-from mid:out
chain_wait_key snk ok 20 10 || fail "snk saw no audio: $(chain_status snk)"

# ---- 2. --once --json (first: it needs no terminal)
expect_rc 0 rctl top --once --json -d 1
printf '%s\n' "$OUT" >"$RILL_TMP/top.json"
expect_rc 0 rctl status --json
printf '%s\n' "$OUT" >"$RILL_TMP/status.json"
python3 - "$RILL_TMP/top.json" "$RILL_TMP/status.json" <<'PY' || fail "top --once --json: see above"
import json, sys
top = json.load(open(sys.argv[1]))
st = json.load(open(sys.argv[2]))
def die(msg):
    print("tools-top:", msg, file=sys.stderr)
    sys.exit(1)
for k in ("server", "driver", "rate", "period", "version", "libjack", "pid"):
    if top["status"][k] != st[k]:
        die(f"top's status.{k} is {top['status'][k]!r}, rillctl status says {st[k]!r}")
if not 0 < top["status"]["cycles"] <= st["cycles"]:
    die(f"top's cycles {top['status']['cycles']} vs a later status {st['cycles']}")
rows = {c["name"]: c for c in top["clients"]}
for n in ("src", "mid", "snk", "system"):
    if n not in rows:
        die(f"client {n} missing from top: {sorted(rows)}")
names = [c["name"] for c in top["clients"]]
if not names.index("src") < names.index("mid") < names.index("snk"):
    die(f"rows not in the plan's order: {names}")
if not rows["src"]["order"] < rows["mid"]["order"] < rows["snk"]["order"]:
    die("order numbers do not follow the chain")
if len({rows[n]["branch"] for n in ("src", "mid", "snk")}) != 1:
    die(f"a serial chain is not one branch: {[rows[n]['branch'] for n in ('src', 'mid', 'snk')]}")
for n in ("src", "mid", "snk"):
    r = rows[n]
    # "late" too: on a loaded machine a client may miss a cycle in the second
    if r["state"] not in ("running", "late") or r["cycles_sampled"] < 10:
        die(f"{n}: state {r['state']}, {r['cycles_sampled']} cycles sampled in 1 s")
    if r["busy_us_mean"] is None or r["busy_us_max"] < r["busy_us_mean"]:
        die(f"{n}: busy mean {r['busy_us_mean']} max {r['busy_us_max']}")
m = rows["mid"]
if m["busy_us_mean"] < 290:
    die(f"mid burns 300 us a cycle but top says {m['busy_us_mean']} us")
period_us = st["period"] * 1e6 / st["rate"]
if abs(m["period_share"] - m["busy_us_mean"] / period_us) > 0.002:
    die(f"mid's share {m['period_share']} does not match {m['busy_us_mean']} / {period_us}")
if rows["src"]["busy_us_mean"] >= m["busy_us_mean"]:
    die("src (no work) is not cheaper than mid (300 us)")
print("tools-top: json ok:", {n: (rows[n]["busy_us_mean"], rows[n]["branch"]) for n in ("src", "mid", "snk")})
PY

# ---- 1. the live view in tmux
TMUX_SOCK=$RILL_TMP/tmux.sock
tm() { tmux -S "$TMUX_SOCK" "$@"; }
cleanup_tmux() { tm kill-server 2>/dev/null || true; }
trap 'cleanup_tmux; rill_cleanup' EXIT
tm -f /dev/null new-session -d -s top -x 80 -y 24 \
    "env XDG_RUNTIME_DIR='$XDG_RUNTIME_DIR' '$RILLCTL' -s '$RILL_SERVER' top; echo \"top exited \$?\" > '$RILL_TMP/top.rc'; sleep 60"
screen() { tm capture-pane -p -t top; }
wait_for "screen | grep -q '^snk ' && screen | grep -q '^src ' && screen | grep -q '^mid '" 10 ||
    fail "rillctl top does not show src, mid and snk: $(screen)"
screen >"$RILL_TMP/screen1"
info "first screen:"
cat "$RILL_TMP/screen1"
# a wider line would wrap: the header and each row must end on their own line
awk 'length($0) > 80 { bad = 1 } END { exit bad }' "$RILL_TMP/screen1" ||
    fail "a line of top's screen is wider than 80 columns"
grep -Eq '^CLIENT .* BR$' "$RILL_TMP/screen1" || fail "top's column header is cut or wrapped"
for n in src mid snk; do
    grep -Eq "^$n +(running|late) +[0-9]+ .* [0-9]+\$" "$RILL_TMP/screen1" ||
        fail "top's row of $n is cut or wrapped, or $n is not running"
done
grep -q 'DSP load' "$RILL_TMP/screen1" || fail "no DSP load in top's header"
cycles() { screen | sed -n 's/.*cycles \([0-9][0-9]*\).*/\1/p' | head -n 1; }
c1=$(cycles)
[ -n "$c1" ] || fail "no cycle count on top's screen"
wait_for '[ "$(cycles)" -gt "$c1" ]' 10 || fail "the cycle count on top's screen does not move ($c1)"
info "cycles on screen: $c1 -> $(cycles)"
tm send-keys -t top q
wait_for "[ -s '$RILL_TMP/top.rc' ]" 10 || fail "rillctl top did not quit on q"
grep -qx 'top exited 0' "$RILL_TMP/top.rc" || fail "rillctl top: $(cat "$RILL_TMP/top.rc") after q"

# ---- 3. usage errors
expect_rc 2 rctl top --json
expect_out "once" "top --json without --once should say it needs --once"
expect_rc 2 rctl top -d 0
expect_rc 2 rctl top --bogus
info "ok"
