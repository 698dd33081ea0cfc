# tests/integration/net-lib.sh — sourced by the NetJACK2 tests after lib.sh:
# two network namespaces joined by a veth pair (A: 10.219.0.1, the master;
# B: 10.219.0.2, the follower), jackd2 as master, and their cleanup.
#
#   net_setup           create the namespaces (skips when it cannot)
#   start_master [ARGS] jackd -d dummy in A with the netmanager loaded
#                       (ARGS: jackd server options, e.g. -S: synchronous, so
#                       that a client late on a loaded machine delays the
#                       cycle instead of leaving its last period in its
#                       port, which the master would send again)
#   jm CMD...           run a JACK program on the master
# Needs root, ip (iproute2) and jackd2.
NSA=rillnA$$
NSB=rillnB$$
VA=rna$$
VB=rnb$$
MASTER=rnm$$                   # jackd2's server name
FOLLOWER=rillf$$               # the follower's name on the master
JACKD_PID=
NET_UP=0

# jackd2 1.9.21 keeps a server killed by SIGKILL in its machine-wide shm
# registry (8 slots, /dev/shm/jack-shm-registry) forever, and leaves its shm
# files: free this test's own server's slot (only when its process is dead)
# and files, or every kill here would take a slot from every jackd on the
# machine.
jack_forget_master() {
    python3 - "$MASTER" <<'PY' || info "warning: could not clean jackd2's shm registry"
import os, struct, sys
name = ("jack-%d:%s:" % (os.getuid(), sys.argv[1])).encode()
path = "/dev/shm/jack-shm-registry"
if not os.path.exists(path):
    sys.exit(0)
with open(path, "r+b") as f:
    d = bytearray(f.read())
    hdr_len, entry = struct.unpack_from("<II", d, 16)
    slot = (hdr_len - 24) // 8 if hdr_len > 24 else 0
    if not 0 < slot <= 512:
        sys.exit(1)
    for i in range(8):
        o = 24 + slot * i
        pid = struct.unpack_from("<i", d, o)[0]
        if d[o + 4:o + 4 + len(name) + 1] == name + b"\0" and pid > 0 and \
                not os.path.exists("/proc/%d" % pid):
            d[o:o + slot] = bytes(slot)
    f.seek(0)
    f.write(d)
PY
    rm -f /dev/shm/jack_"$MASTER"_* /dev/shm/jack_sem.*_"$MASTER"_*
}

net_cleanup() {
    local rc=$?
    if [ -n "$JACKD_PID" ]; then
        kill -KILL "$JACKD_PID" 2>/dev/null
        wait "$JACKD_PID" 2>/dev/null
    fi
    jack_forget_master
    [ -n "$RILLD_PID" ] && kill -KILL "$RILLD_PID" 2>/dev/null
    if [ "$NET_UP" = 1 ]; then
        ip netns del "$NSA" 2>/dev/null
        ip netns del "$NSB" 2>/dev/null
        ip link del "$VA" 2>/dev/null
    fi
    (exit "$rc")
    rill_cleanup
}
trap net_cleanup EXIT

net_setup() {
    ip netns add "$NSA" 2>/dev/null || skip "ip netns add failed (no network namespaces here)"
    NET_UP=1
    ip netns add "$NSB" || fail "ip netns add $NSB"
    ip link add "$VA" type veth peer name "$VB" || fail "cannot create a veth pair"
    ip link set "$VA" netns "$NSA" && ip link set "$VB" netns "$NSB" || fail "moving the veth ends"
    ip -n "$NSA" addr add 10.219.0.1/24 dev "$VA" && ip -n "$NSB" addr add 10.219.0.2/24 dev "$VB" ||
        fail "addresses"
    for x in "$NSA:$VA" "$NSB:$VB"; do
        ns=${x%%:*}
        dev=${x##*:}
        ip -n "$ns" link set lo up && ip -n "$ns" link set "$dev" up &&
            ip -n "$ns" route add 224.0.0.0/4 dev "$dev" || fail "bringing up $dev in $ns"
    done
    info "namespaces $NSA and $NSB joined by $VA/$VB"
}

# jack: JACK programs on the master
jm() { JACK_DEFAULT_SERVER=$MASTER "$@"; }

start_master() {
    ip netns exec "$NSA" jackd -n "$MASTER" "$@" -d dummy -r 48000 -p 256 >>"$RILL_TMP/jackd.log" 2>&1 &
    JACKD_PID=$!
    RILL_PIDS+=("$JACKD_PID")
    timeout 45 jack_wait -s "$MASTER" -w -t 40 >/dev/null 2>&1 ||
        fail "jackd -n $MASTER did not come up"
    jm jack_load netmanager >>"$RILL_TMP/jack_load.log" 2>&1 || fail "jack_load netmanager failed"
    info "master: jackd -d dummy + netmanager (pid $JACKD_PID)"
}
