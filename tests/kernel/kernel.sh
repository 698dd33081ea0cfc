#!/bin/bash
# tests/kernel/kernel.sh — the ALSA driver against the real kernel ALSA layer.
#
# The build machines have no sound in their kernel, so this boots Debian's own
# kernel under qemu (TCG) with snd-aloop (card "Loopback") and snd-dummy
# (card "Dummy"), shares the host's / read-only and a result directory
# read-write over 9p, and runs tests/kernel/guest.sh in a chroot of the
# host's root: rilld, rillctl, the test client and alsa-utils are the
# host-built binaries. The host then checks what came back:
#   - tone out (440 Hz from a client, through rilld, to hw:Loopback,0,0,
#     recorded by arecord on hw:Loopback,1,0): frequency by DFT, level;
#   - tone in (1000 Hz from aplay on hw:Loopback,1,0, recorded by a client in
#     rilld): frequency, level; per format / period / period count;
#   - round-trip latency in frames vs what the system ports report;
#   - an xrun forced by stopping rilld: counted, recovered, client kept;
#   - snd-dummy in full duplex; refusals of impossible parameters;
#   - the period changed while running (jack_bufsize), and refused;
#   - one direction: -P / -C on the loopback, and qemu's output-only HDA card;
#   - the driver alone at short periods (rill-kernel-probe) next to aplay;
#   - the card's faults (issue 17): unbound and bound again (lost), stalled
#     with rilld (stall), its clock stopped (clockstop), short periods with
#     every channel for 10 s each (periods); the cycle times' jitter with and
#     without the delay-locked loop (jitter).
# RILL_KERNEL_ONLY=probe,period,... runs only those sections of guest.sh.
# Glitches (places where the tone breaks) are reported as a figure: under TCG
# the guest is slow and short periods glitch.
#
# Exit 77 (skipped) with a loud message when qemu, busybox-static, kmod or the
# kernel package are not available (tools/install-deps.sh installs them).
# Cache: $RILL_TOP_BUILDDIR/tests/kernel/cache (kernel .deb and modules).
set -u
B=${RILL_TOP_BUILDDIR:?run through make check, or export RILL_TOP_BUILDDIR}
S=${RILL_TOP_SRCDIR:-$B}
B=$(cd "$B" && pwd)
S=$(cd "$S" && pwd)
K=$B/tests/kernel
CACHE=$K/cache
SHARE=$K/run
T0=$(date +%s)

skip() {
    echo "######################################################################"
    echo "## kernel.sh SKIPPED: $*"
    echo "## (tools/install-deps.sh installs qemu-system-x86 busybox-static kmod cpio)"
    echo "######################################################################"
    exit 77
}
FAILS=0
ok() { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

if [ "${RILL_SANITIZERS:-no}" = yes ] && [ -z "${RILL_KERNEL_ASAN:-}" ]; then
    skip "sanitizer build: the kernel tests run in the plain build (ASan under TCG is too" \
        "slow for realtime periods; RILL_KERNEL_ASAN=1 runs them anyway)"
fi
for c in qemu-system-x86_64 busybox cpio gzip depmod modprobe dpkg-deb apt-get apt-cache \
    aplay arecord timeout; do
    command -v "$c" > /dev/null 2>&1 || skip "'$c' is not installed"
done
BUSYBOX=$(command -v busybox)
file -L "$BUSYBOX" 2> /dev/null | grep -q "statically linked" ||
    ldd "$BUSYBOX" 2>&1 | grep -q "not a dynamic" || skip "busybox is not static (busybox-static)"
for f in "$B/engine/rilld" "$B/tools/rillctl" "$B/tools/rill-jack" \
    "$K/rill-kernel-client" "$K/rill-kernel-analyse"; do
    [ -x "$f" ] || { echo "kernel.sh: $f is missing (make check builds it)"; exit 1; }
done
case $B in /run/* | /dev/* | /proc/* | /sys/*)
    # the guest mounts over these: the build must be visible under another path
    skip "the build directory $B is under a path the guest mounts over (/run, /dev)" ;;
esac

# ---- 1. the kernel: the package linux-image-amd64 depends on, cached
mkdir -p "$CACHE" "$SHARE"
if [ ! -f "$CACHE/kernel/.done-2" ]; then
    PKG=$(apt-cache depends linux-image-amd64 2> /dev/null |
        awk '/Depends: linux-image-/{print $2; exit}')
    [ -n "$PKG" ] || skip "apt-cache cannot resolve linux-image-amd64"
    if ! ls "$CACHE/${PKG}"_*.deb > /dev/null 2>&1; then
        (cd "$CACHE" && timeout 300 apt-get download "$PKG" > "$CACHE/download.log" 2>&1) ||
            skip "apt-get download $PKG failed (no network?): see $CACHE/download.log"
    fi
    rm -rf "$CACHE/kernel" && mkdir -p "$CACHE/kernel"
    dpkg-deb --fsys-tarfile "$CACHE/${PKG}"_*.deb | tar -x -C "$CACHE/kernel" --wildcards \
        './boot/vmlinuz-*' './lib/modules/*/modules.order' './lib/modules/*/modules.builtin*' \
        './lib/modules/*/kernel/sound/*' './lib/modules/*/kernel/drivers/virtio/*' \
        './lib/modules/*/kernel/net/9p/*' './lib/modules/*/kernel/fs/9p/*' \
        './lib/modules/*/kernel/fs/netfs/*' './lib/modules/*/kernel/fs/fscache/*' \
        './lib/modules/*/kernel/drivers/leds/*' ||
        skip "cannot unpack the kernel package"
    KV=$(ls "$CACHE/kernel/lib/modules")
    depmod -b "$CACHE/kernel" "$KV" || skip "depmod failed"
    touch "$CACHE/kernel/.done-2"
fi
KV=$(ls "$CACHE/kernel/lib/modules")
VMLINUZ=$CACHE/kernel/boot/vmlinuz-$KV
[ -f "$VMLINUZ" ] || skip "no vmlinuz in the kernel package"

# ---- 2. the initramfs: busybox, the modules in load order, our init
R=$K/initramfs
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,proc,sys,dev,tmp,host,modules}
cp "$BUSYBOX" "$R/bin/busybox"
for a in $("$R/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
: > "$R/modules.order"
for m in virtio_pci 9pnet_virtio 9p snd-aloop snd-dummy snd-hda-codec-generic snd-hda-intel \
    snd-hrtimer snd-seq snd-seq-dummy snd-virmidi; do
    modprobe -d "$CACHE/kernel" -S "$KV" --show-depends "$m" | awk '$1 == "insmod" {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
    cp "$ko" "$R/modules/"
    b=$(basename "$ko")
    case $b in
    snd-aloop.ko) p="index=0 id=Loopback pcm_substreams=2" ;;
    snd-dummy.ko) p="index=1 id=Dummy" ;;
    snd-hda-intel.ko) p="index=2 id=HDA" ;;
    snd-virmidi.ko) p="index=3 midi_devs=2" ;;
    *) p="" ;;
    esac
    echo "$b $p" >> "$R/modules.order"
done
install -m 755 "$S/tests/kernel/guest-init.sh" "$R/init"
(cd "$R" && find . | cpio -o -H newc -R 0:0 --quiet | gzip -1) > "$K/initrd.gz" ||
    skip "cannot build the initramfs"

# ---- 3. inputs the guest plays: a 1000 Hz tone in each format
rm -rf "$SHARE" && mkdir -p "$SHARE"
for f in S16_LE S24_3LE S24_LE S32_LE FLOAT_LE; do
    "$K/rill-kernel-analyse" gen "$f" 2 1000 0.5 8 "$SHARE/gen-$f.raw" || exit 1
done
for f in S16_LE S24_3LE FLOAT_LE; do # the short periods run at 8000 Hz
    RILL_KERNEL_RATE=8000 "$K/rill-kernel-analyse" gen "$f" 2 1000 0.5 8 \
        "$SHARE/gen-$f-8000.raw" || exit 1
done

# the MIDI section: modules it unloads and loads again, and its inputs
mkdir -p "$SHARE/modules"
for m in snd-virmidi snd-seq-dummy; do
    f=$(modprobe -d "$CACHE/kernel" -S "$KV" --show-depends "$m" | awk '$1 == "insmod" {p = $2} END {print p}')
    [ -n "$f" ] && cp "$f" "$SHARE/modules/"
done
"$S/tests/kernel/midi-files.sh" "$SHARE" || exit 1

# ---- 4. boot (TCG: the /dev/kvm of these machines cannot boot a stock kernel)
echo "kernel.sh: booting $KV under qemu (TCG), $(($(date +%s) - T0)) s so far"
# an HDA controller with an output-only codec: a real card with no capture
# stream (qemu's "none" audio backend consumes what it plays at the rate)
ONLY=
[ -n "${RILL_KERNEL_ONLY:-}" ] && ONLY="rill_only=$RILL_KERNEL_ONLY"
timeout 1800 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 -nographic -no-reboot -net none \
    -audiodev none,id=rillsnd -device intel-hda -device hda-output,audiodev=rillsnd \
    -kernel "$VMLINUZ" -initrd "$K/initrd.gz" \
    -append "console=ttyS0 quiet loglevel=3 panic=-1 rill_share=$SHARE rill_src=$S rill_build=$B $ONLY" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$SHARE,mount_tag=hostshare,security_model=none,multidevs=remap" \
    < /dev/null > "$K/qemu.log" 2>&1
QRC=$?
tr -d '\r' < "$K/qemu.log" | grep RILLK
echo "kernel.sh: qemu exited with $QRC after $(($(date +%s) - T0)) s"
echo "----- guest log"
cat "$SHARE/guest.log" 2> /dev/null
echo "----- results"
RES=$SHARE/results.txt
cat "$RES" 2> /dev/null
grep -q RILLK_DONE "$K/qemu.log" || bad "the guest did not finish (qemu status $QRC)"
[ -s "$RES" ] || { bad "no results from the guest"; exit 1; }
echo "----- checks"

# field KEY LINE -> value of KEY=value in LINE
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1; }
# within VALUE LO HI
within() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }

# the MIDI jitter benchmark (make bench-midi): figures, no verdicts; its
# table comes from bench/midi-jitter.sh
if [ "${RILL_KERNEL_ONLY:-}" = benchmidi ]; then
    echo "kernel.sh: $FAILS failure(s), $(($(date +%s) - T0)) s in all"
    [ "$FAILS" = 0 ]
    exit
fi

# the MIDI bridge (section midi; alone with RILL_KERNEL_ONLY=midi)
if [ -z "${RILL_KERNEL_ONLY:-}" ] || [[ ",$RILL_KERNEL_ONLY," =~ ,midi(-[a-z]+)?, ]]; then
    . "$S/tests/kernel/midi-check.sh"
fi
# the raw MIDI bridge (section midiraw)
if [ -z "${RILL_KERNEL_ONLY:-}" ] || [[ ",$RILL_KERNEL_ONLY," == *",midiraw,"* ]]; then
    . "$S/tests/kernel/midi-raw-check.sh"
fi
if [[ "${RILL_KERNEL_ONLY:-}" =~ ^midi(raw|-[a-z]+)?(,midi(raw|-[a-z]+)?)*$ ]]; then
    echo "kernel.sh: $FAILS failure(s), $(($(date +%s) - T0)) s in all"
    [ "$FAILS" = 0 ]
    exit
fi

# tone FILE FORMAT CHANNELS FREQ LABEL SHORT
# Long periods: frequency (DFT) and level over the capture, glitches at most
# 20. Short periods (SHORT=1; under TCG they drop out): the samples that
# arrive must be the tone: of the non-silent ones at least 90 % follow the
# FREQ sine's recurrence, and the peak is the amplitude played (0.5), which
# wrong scaling or byte order cannot give; dropouts are a figure.
check_tone() {
    local out
    out=$("$K/rill-kernel-analyse" tone "$2" "$3" "$1" "$4")
    local fr lv gl fr_n live fit peak
    fr=$(field freq "$out")
    lv=$(field level "$out")
    gl=$(field glitches "$out")
    fr_n=$(field frames "$out")
    live=$(field live "$out")
    fit=$(field fit "$out")
    peak=$(field peak "$out")
    echo "  $5: $out"
    if [ "$6" = 1 ]; then
        if within "${live:-0}" 0 1999; then
            echo "WARN: $5: almost nothing arrived (${live:-0} samples; $gl dropouts): the guest is too slow for this period under TCG (not counted as a failure)"
        elif within "$live" 2000 10000000 && within "$fit" 0.90 1 && within "$peak" 0.49 0.51; then
            ok "$5: $live samples of the $4 Hz tone arrived, ${fit} of them exact, peak $peak; $gl dropout(s) in $fr_n frames"
        else
            bad "$5: ${live:-0} non-silent samples, ${fit:-0} fit a $4 Hz sine, peak ${peak:-0} (want 0.5)"
        fi
        return
    fi
    if within "$fr" $(($4 - 2)) $(($4 + 2)) && within "$lv" 0.40 0.60 &&
        within "$fr_n" 24000 10000000 && within "$gl" 0 20; then
        ok "$5: ${fr} Hz (want $4), level $lv (want 0.5), $gl glitch(es) in $fr_n frames"
    else
        bad "$5: ${fr:-?} Hz (want $4), level ${lv:-?} (want 0.40..0.60), ${gl:-?} glitches (at most 20), ${fr_n:-0} frames"
    fi
}

# check_flow FILE FORMAT CHANNELS FREQ RATE LABEL: the tone goes through:
# at least a quarter of the second's samples arrive, 90 % of those follow
# the FREQ sine exactly, with the amplitude played. Dropouts are a figure
# (a loaded machine may drop a period or two; wrong data cannot pass).
check_flow() {
    local out live fit peak fr_n
    out=$(RILL_KERNEL_RATE=$5 "$K/rill-kernel-analyse" tone "$2" "$3" "$1" "$4")
    live=$(field live "$out")
    fit=$(field fit "$out")
    peak=$(field peak "$out")
    fr_n=$(field frames "$out")
    if within "${live:-0}" $(($5 / 4)) 10000000 && within "$fit" 0.90 1 &&
        within "$peak" 0.49 0.51; then
        ok "$6: $live of $fr_n samples are the $4 Hz tone (${fit} exact), peak $peak, $(field glitches "$out") dropout(s)"
    else
        bad "$6: ${live:-0} non-silent samples (want $(($5 / 4))+), ${fit:-0} fit a $4 Hz sine (want 0.9+), peak ${peak:-0} (want 0.5): $out"
    fi
}

# the loop cases at 8000 Hz must deliver where aplay carries 128 x 3 there
ap8=$(grep "^aplay L128x3r8k " "$RES")
carry8=0
[ "$(field rc "$ap8")" = 0 ] && within "$(field wall "$ap8")" 0 4 && carry8=1
while read -r kind tag fmt p n rest; do
    [ "$kind" = loop ] || continue
    line="$tag $fmt $p $n $rest"
    if [ "$(field started "$line")" != 1 ]; then
        bad "loop $tag: rilld did not start ($fmt, $p x $n): $(tail -2 "$SHARE/$tag.rilld.log")"
        continue
    fi
    rate=$(field rate "$line")
    rate=${rate:-48000}
    short=1
    [ "$p" -ge 1024 ] && short=0
    if [ "$rate" != 48000 ] && [ "$carry8" = 0 ]; then
        echo "NOTE: loop $tag: not judged: aplay did not carry 128 x 3 at 8000 Hz in this guest (probe L128x3r8k: $ap8)"
        RILL_KERNEL_RATE=$rate "$K/rill-kernel-analyse" tone "$fmt" 2 "$SHARE/$tag.arec.raw" 440 | sed 's/^/  playback: /'
    elif [ "$rate" != 48000 ]; then
        # short periods at a low rate: what the guest carries (see the probe)
        check_flow "$SHARE/$tag.arec.raw" "$fmt" 2 440 "$rate" "loop $tag: playback (rilld -> arecord)"
        check_flow "$SHARE/$tag.cap.f32" FLOAT_LE 1 1000 "$rate" "loop $tag: capture (aplay -> rilld)"
        [ "$(field aplay_alive "$line")" = 1 ] ||
            echo "  loop $tag: aplay had ended before the client's recording did (a slow guest)"
    else
        check_tone "$SHARE/$tag.arec.raw" "$fmt" 2 440 "loop $tag: playback (rilld -> arecord)" $short
        check_tone "$SHARE/$tag.cap.f32" FLOAT_LE 1 1000 "loop $tag: capture (aplay -> rilld)" $short
    fi
    [ $short = 1 ] || grep -q "frames=48000" "$SHARE/$tag.record.log" ||
        bad "loop $tag: the client recorded $(cat "$SHARE/$tag.record.log")"
    echo "  loop $tag: xruns counted by rilld: $(field xruns "$line")"
    grep -q "$p frames" "$SHARE/$tag.rilld.log" ||
        bad "loop $tag: rilld does not report a period of $p: $(grep ready "$SHARE/$tag.rilld.log")"
done < "$RES"
for tag in s32-1024x3 s16-256x2-8k s24_3-128x3-8k float-64x4-8k; do
    grep -q "^loop $tag " "$RES" || bad "loop $tag: did not run"
done
# aliases carry the card's name
if grep -q "Loopback:capture_1" "$SHARE/s32-1024x3.ports" &&
    grep -q "Loopback:playback_2" "$SHARE/s32-1024x3.ports"; then
    ok "system port aliases name the card (Loopback:capture_1)"
else
    bad "system port aliases: $(head -8 "$SHARE/s32-1024x3.ports" 2> /dev/null | tr '\n' ' ')"
fi

# refusals: rilld exits non-zero with a message naming device, value, offer
check_refusal() { # TAG PATTERN...
    local tag=$1
    shift
    local line rc
    line=$(grep "^refuse $tag " "$RES")
    rc=$(field rc "$line")
    local msg
    msg=$(grep -v "^$" "$SHARE/$tag.rilld.log" 2> /dev/null | tail -1)
    if [ -z "$rc" ] || [ "$rc" = 0 ]; then
        bad "refusal $tag: rilld started (rc=${rc:-?})"
        return
    fi
    for pat in "$@"; do
        if ! grep -q -- "$pat" "$SHARE/$tag.rilld.log"; then
            bad "refusal $tag: '$pat' not in: $msg"
            return
        fi
    done
    ok "refusal $tag: $msg"
}
check_refusal rate "hw:Loopback,0,0" "refused the rate 384000 Hz" "it offers"
check_refusal format "hw:Dummy" "refused the sample format S32_LE" "it offers: S16_LE"
check_refusal nperiods "hw:Dummy" "refused 8 periods of 8192 frames" "accepts there: 2"
check_refusal nodev "no such device hw:9" "sound cards present: 0 (Loopback)"
check_refusal channels "hw:Dummy" "refused 64 channel(s)" "it offers 1 to 2"
check_refusal busy "hw:Loopback,1,0" "is busy"

# latency: what the ports report = what the loopback measures
# latency3 runs with -I 7 -O 11: the ports report those 18 frames on top
for key in latency latency3; do
    line=$(grep "^$key " "$RES")
    extra=0
    [ $key = latency3 ] && extra=18
    m=$(field measured "$line")
    r=$(field reported "$line")
    n=$(field n "$line")
    lo=$(field min "$line")
    hi=$(field max "$line")
    if [ -z "$m" ] || [ "$m" -lt 0 ] || [ "${n:-0}" -lt 3 ]; then
        bad "$key: no impulses came back: ${line:-nothing}"
    elif [ $((m + extra)) = "$r" ] && [ "$lo" = "$hi" ]; then
        ok "$key: round trip $m frames measured (min $lo, max $hi, $n impulses); reported $r = $m + $extra (-I/-O)"
    else
        bad "$key: round trip $m frames measured (min $lo, max $hi, $n impulses); reported $r, want $m + $extra"
    fi
done

# xrun: counted, recovered, client kept, tone back
line=$(grep "^xrun " "$RES")
b=$(field before "$line")
a=$(field after "$line")
if [ -n "$b" ] && [ -n "$a" ] && [ "$a" != "?" ] && [ "$b" != "?" ] && [ "$a" -gt "$b" ]; then
    ok "xrun: counted ($b before, $a after stopping rilld for 300 ms)"
else
    bad "xrun: not counted: ${line:-nothing}"
fi
grep -q "xrun: .* late" "$SHARE/xrun.rilld.log" && ok "xrun: delay logged: $(grep -m1 'xrun:' "$SHARE/xrun.rilld.log")" ||
    bad "xrun: no delay in rilld's log"
[ "$(field client_alive "$line")" = 1 ] && ok "xrun: the client is still there" ||
    bad "xrun: the client was lost"
check_tone "$SHARE/xrun.arec.raw" S24_LE 2 440 "xrun: the tone after recovery" 0

# snd-dummy duplex: about 3 s of cycles at 1024 frames
line=$(grep "^duplex " "$RES")
c=$(field cycles "$line")
if within "${c:-0}" 100 200; then
    ok "snd-dummy duplex: client ran $c cycles in 3 s (about 140 expected), $(field xruns "$line") xrun(s)"
else
    bad "snd-dummy duplex: ${line:-nothing}"
fi
grep -q "Dummy:capture_1" "$SHARE/dummy.ports" 2> /dev/null || bad "snd-dummy: no Dummy alias"

# unplug: rilld stops by itself with a message, the client is told
line=$(grep "^unplug " "$RES")
if [ "$(field rilld_rc "$line")" = 1 ] && [ "$(field client_rc "$line")" = 3 ] &&
    grep -q "the alsa driver failed: No such device" "$SHARE/unplug.rilld.log"; then
    ok "unplug: rilld stopped in $(field seconds "$line") s: $(grep -m1 'driver failed' "$SHARE/unplug.rilld.log"); the client was told"
else
    bad "unplug: ${line:-nothing}; rilld: $(tail -2 "$SHARE/unplug.rilld.log" 2> /dev/null | tr '\n' ' ')"
fi

# ---- the driver by itself at short periods, next to aplay at the same
# device, period and rate: is a dropout rill's or the guest's? aplay
# "carries" a setting when it plays 2 s within 4 s. Where aplay carries it,
# rill's driver alone (rill-kernel-probe: duplex, no engine, no clients) must
# deliver at least half the periods; where aplay does not, the figures say so.
# Measured cause at 48 kHz: snd-aloop is paced by the jiffies timer (HZ=250:
# a 4 ms tick, 192 frames at 48 kHz); a buffer of at most two ticks (64 x 2,
# 128 x 3, 96 x 4) stalls or xruns for any program, aplay included.
carried=0
while read -r kind tag rest; do
    [ "$kind" = probe ] || continue
    line="$tag $rest"
    c=$(field cycles "$line")
    e=$(field expected "$line")
    ap=$(grep "^aplay $tag " "$RES")
    fig="$(field dev "$line") $(field p "$line") x $(field n "$line") at $(field r "$line") Hz: rill's driver alone ran ${c:-?} of ${e:-?} periods ($(field xruns "$line") xruns, longest gap $(field gap_max_ms "$line") ms, $(field poll_timeouts "$line") poll timeouts); aplay played 2 s in $(field wall "$ap") s (status $(field rc "$ap"), $(field underruns "$ap") underruns)"
    if [ "$(field rc "$ap")" = 0 ] && within "$(field wall "$ap")" 0 4; then
        carried=$((carried + 1))
        if [ -n "$c" ] && [ -n "$e" ] && [ "$e" -gt 0 ] && [ $((c * 2)) -ge "$e" ]; then
            ok "probe $tag: $fig"
        else
            bad "probe $tag: aplay carries this setting, rill's driver does not: $fig"
        fi
    else
        echo "NOTE: probe $tag: the guest does not carry this setting, for aplay either: $fig"
    fi
done < "$RES"
for tag in L64x2 L128x3 L128x3r8k D128x3; do
    grep -q "^probe $tag " "$RES" || bad "probe $tag: did not run"
done
[ $carried -ge 1 ] ||
    echo "NOTE: probe: aplay carried none of the short settings: this guest is too slow (a loaded host?) to judge the driver at short periods"

# ---- the period changed while running (jack_bufsize)
line=$(grep "^period " "$RES")
if [ "$(field before "$line")" = 1024 ] && [ "$(field rc "$line")" = 0 ] &&
    [ "$(field after "$line")" = 512 ] && [ "$(field client_alive "$line")" = 1 ] &&
    grep -q "running at 512 frames" "$SHARE/period.rilld.log"; then
    ok "period: jack_bufsize 512 on hw:Loopback,0,0: rilld went from 1024 to 512 frames, the client kept"
else
    bad "period: ${line:-nothing}; rilld: $(tail -2 "$SHARE/period.rilld.log" 2> /dev/null | tr '\n' ' ')"
fi
check_flow "$SHARE/period.arec.raw" S32_LE 2 440 48000 "period: the tone at 512 frames"
line=$(grep "^period2 " "$RES")
c1=$(field cycles_then "$line")
c2=$(field cycles_later "$line")
if [ -n "$(field rc "$line")" ] && [ "$(field rc "$line")" != 0 ] &&
    [ "$(field after "$line")" = 1024 ] && [ -n "$c1" ] && [ -n "$c2" ] &&
    [ "$c1" != "?" ] && [ "$c2" != "?" ] && [ "$c2" -gt "$c1" ] &&
    grep -q "refused 4 periods of 8192 frames.*still running at 1024 frames" \
        "$SHARE/period2.bufsize.log"; then
    ok "period: 8192 refused on hw:Dummy, still at 1024 and cycling ($c1 -> $c2): $(grep -m1 refused "$SHARE/period2.bufsize.log")"
else
    bad "period refusal: ${line:-nothing}; jack_bufsize: $(tr '\n' ' ' < "$SHARE/period2.bufsize.log" 2> /dev/null)"
fi

# ---- one direction
if [ "$(field started "$(grep '^ponly ' "$RES")")" = 1 ] &&
    grep -q "system:playback_1" "$SHARE/ponly.ports" &&
    ! grep -q "system:capture" "$SHARE/ponly.ports"; then
    ok "playback only (-P hw:Loopback,0,0): started with playback ports only"
else
    bad "playback only: $(grep '^ponly ' "$RES"); $(tail -1 "$SHARE/ponly.rilld.log" 2> /dev/null)"
fi
check_flow "$SHARE/ponly.arec.raw" S16_LE 2 440 48000 "playback only: the tone"
if [ "$(field started "$(grep '^conly ' "$RES")")" = 1 ] &&
    grep -q "system:capture_1" "$SHARE/conly.ports" &&
    ! grep -q "system:playback" "$SHARE/conly.ports"; then
    ok "capture only (-C hw:Loopback,0,0): started with capture ports only"
else
    bad "capture only: $(grep '^conly ' "$RES"); $(tail -1 "$SHARE/conly.rilld.log" 2> /dev/null)"
fi
check_flow "$SHARE/conly.cap.f32" FLOAT_LE 1 1000 48000 "capture only: aplay's tone"
line=$(grep "^hda " "$RES")
if [ "$(field card "$line")" != 1 ]; then
    bad "HDA: qemu's output-only HDA card did not appear in the guest: $(grep -i 'hda' "$K/qemu.log" | head -2)"
else
    check_refusal hdaboth "device hw:HDA has no capture stream" "use -P"
    c1=$(field cycles_then "$line")
    c2=$(field cycles_later "$line")
    if [ "$(field started "$line")" = 1 ] && [ -n "$c1" ] && [ -n "$c2" ] && [ "$c1" != "?" ] &&
        [ "$c2" != "?" ] && [ "$c2" -gt "$c1" ] && grep -q "system:playback_1" "$SHARE/hda.ports" &&
        ! grep -q "system:capture" "$SHARE/hda.ports"; then
        ok "HDA output-only card with -P: runs ($c1 -> $c2 cycles), playback ports only"
    else
        bad "HDA with -P: ${line:-nothing}; $(tail -1 "$SHARE/hda.rilld.log" 2> /dev/null)"
    fi
fi

# ---- faults of the device (issue 17) and the cycle times (fault 9 of 18)
only() { [ -z "${RILL_KERNEL_ONLY:-}" ] || [[ ",$RILL_KERNEL_ONLY," == *",$1,"* ]]; }
# jitter: the spread of jack_get_cycle_times' starts around the period, and
# of jack_frame_time's jumps, without the loop (RILL_DLL=0) and with it
if only jitter; then
for p in 1024; do
    l0=$(grep "^jitter p=$p dll=0 " "$RES")
    l1=$(grep "^jitter p=$p dll=1 " "$RES")
    s0=$(field step_p50_us "$l0")
    s1=$(field step_p50_us "$l1")
    fig="median |cycle start step - period| ${s0:-?} -> ${s1:-?} us (90th percentile $(field step_p90_us "$l0") -> $(field step_p90_us "$l1"), sd $(field step_sd_us "$l0") -> $(field step_sd_us "$l1"), max $(field step_max_us "$l0") -> $(field step_max_us "$l1")); jack_frame_time jumps, median $(field ft_p50_frames "$l0") -> $(field ft_p50_frames "$l1") frames (90th percentile $(field ft_p90_frames "$l0") -> $(field ft_p90_frames "$l1"), max $(field ft_max_frames "$l0") -> $(field ft_max_frames "$l1")); $(field cycles_measured "$l0") / $(field cycles_measured "$l1") cycles, $(field xruns "$l0") / $(field xruns "$l1") xruns"
    if [ -z "$s0" ] || [ -z "$s1" ] || [ "$(field bad "$l0")$(field bad "$l1")" != 00 ] ||
        [ "$(field timebad "$l0")$(field timebad "$l1")" != 00 ]; then
        bad "jitter $p x 3: ${l0:-nothing} / ${l1:-nothing}"
    elif awk -v a="$s0" -v b="$s1" 'BEGIN { exit !(b < a) }'; then
        ok "jitter $p x 3 on hw:Loopback,0,0, without -> with the loop: $fig"
    else
        bad "jitter $p x 3: the loop does not smooth the cycle times: $fig"
    fi
done
fi

# stall: rilld and a client stopped together for 0.8 s three times
if only stall; then
line=$(grep "^stall " "$RES")
x0=$(field xruns_before "$line")
x1=$(field xruns_after "$line")
lostp=$(grep -o "[0-9]* period(s) lost" "$SHARE/stall.rilld.log" 2> /dev/null | awk '{s += $1} END {print s + 0}')
if [ "$(field rilld_alive "$line")" = 1 ] && [ "$(field tone_alive "$line")" = 1 ] &&
    [ "$(field watch_alive "$line")" = 1 ] && grep -q "^tone " "$SHARE/stall.clients" &&
    grep -q "^wstall " "$SHARE/stall.clients" && [ -n "$x0" ] && [ -n "$x1" ] &&
    [ "$x1" -ge $((x0 + 3)) ] && [ "$lostp" -ge 30 ] && [ "$(field bad "$line")" = 0 ] &&
    [ "$(field timebad "$line")" = 0 ] &&
    [ "$(field cycles_after "$line")" -gt "$(field cycles_before "$line")" ]; then
    ok "stall: rilld and every client kept (timeout 500 ms), $((x1 - x0)) xruns, $lostp periods lost counted in the log, $(field restarts "$line") restarts; frame time by whole periods ($(field skips "$line") jumps, none by the stall itself otherwise)"
else
    bad "stall: ${line:-nothing}; $lostp periods lost logged; clients: $(tr '\n' ' ' < "$SHARE/stall.clients" 2> /dev/null); rilld: $(tail -3 "$SHARE/stall.rilld.log" 2> /dev/null | tr '\n' ' ')"
fi
check_tone "$SHARE/stall.arec.raw" S16_LE 2 440 "stall: the tone after the stalls" 0
fi

# clockstop: the loopback's clock (snd-dummy's PCM timer) stopped and
# started again
if only clockstop; then
line=$(grep "^clockstop " "$RES")
c0=$(field c0 "$line") c1=$(field c1 "$line") c2=$(field c2 "$line")
if [ "$(field started "$line")" != 1 ]; then
    bad "clockstop: ${line:-nothing}"
else
    if [ "$(field rilld_alive_stopped "$line")" = 1 ] && [ -n "$c0" ] && [ -n "$c1" ] &&
        [ "$c1" -ge $((c0 + 20)) ] && within "$(field stalls "$line")" 1 100000 &&
        within "$(field losses "$line")" 1 100000 && grep -q "^tone " "$SHARE/clockstop.clients" &&
        grep -q "stalled and a restart did not help" "$SHARE/clockstop.rilld.log"; then
        ok "clockstop: the device's clock stopped for 4 s: rilld and the clients ran on ($c0 -> $c1 cycles), $(field stalls "$line") stall(s), $(field losses "$line") move(s) to the fallback clock, $(field reopenings "$line") reopening(s), state $(field state_stopped "$line")"
    else
        bad "clockstop: while stopped: $line; rilld: $(tail -4 "$SHARE/clockstop.rilld.log" | tr '\n' ' ')"
    fi
    if [ "$(field state_back "$line")" = running ] && [ "$(field rilld_alive "$line")" = 1 ] &&
        [ "$(field tone_alive "$line")" = 1 ] && [ "$(field watch_alive "$line")" = 1 ] &&
        [ -n "$c2" ] && [ "$c2" -gt "$c1" ] && [ "$(field bad "$line")" = 0 ] &&
        [ "$(field timebad "$line")" = 0 ]; then
        ok "clockstop: the clock started again: the device runs the cycle again, the same clients ($c0 -> $c2 cycles, frame time by whole periods)"
    else
        bad "clockstop: after the clock came back: $line; rilld: $(tail -4 "$SHARE/clockstop.rilld.log" | tr '\n' ' ')"
    fi
    check_flow "$SHARE/clockstop.arec.raw" S16_LE 2 440 48000 "clockstop: the tone once the clock runs again"
fi
fi

# periods: 64/128/256 x 2/3, every channel in duplex for 10 s: never a stop
if only periods; then
for pn in 64x2 64x3 128x2 128x3 256x2 256x3; do
    line=$(grep "^periods $pn " "$RES")
    fig="$(field channels "$line") channels, $(field cycles "$line") client cycles, $(field engine_xruns "$line") xruns, $(field stalls "$line") stalls, $(field restarts "$line") restarts, $(field losses "$line") moves to the fallback clock, $(field reopenings "$line") reopenings"
    if [ "$(field started "$line")" = 1 ] && [ "$(field client_rc "$line")" = 0 ] &&
        [ "$(field rilld_alive "$line")" = 1 ] && within "$(field cycles "$line")" 1 1000000000 &&
        within "$(field channels "$line")" 2 256; then
        ok "periods $pn (48 kHz, hw:Loopback,0,0): ran 10 s without a stop: $fig"
        grep -q "xrun\|stalled\|is back" "$SHARE/per-$pn.rilld.log" &&
            echo "  per-$pn: $(grep -c 'xrun' "$SHARE/per-$pn.rilld.log") xrun line(s) in rilld's log"
    else
        bad "periods $pn: ${line:-nothing}; rilld: $(tail -2 "$SHARE/per-$pn.rilld.log" 2> /dev/null | tr '\n' ' ')"
    fi
done
fi

# lost: snd-aloop unbound and bound again under a running rilld
if only lost; then
line=$(grep "^lost " "$RES")
c0=$(field c0 "$line") c1=$(field c1 "$line") c2=$(field c2 "$line") c3=$(field c3 "$line")
if [ "$(field started "$line")" != 1 ]; then
    bad "lost: ${line:-nothing}"
else
    if [ "$(field rilld_alive_away "$line")" = 1 ] && [ "$(field away "$line")" = lost ] &&
        [ -n "$c1" ] && [ -n "$c2" ] && [ "$c2" -ge $((c1 + 20)) ] &&
        grep -q "^tone " "$SHARE/lost.clients-away" && grep -q "^losses: *1" "$SHARE/lost.status-away" &&
        grep -q "device is gone" "$SHARE/lost.rilld.log"; then
        ok "lost: unbound in $(field lost_s "$line") s: rilld runs on, the clients' cycles go on ($c1 -> $c2 in 2 s), status: $(sed -n 's/^device: *//p' "$SHARE/lost.status-away")"
    else
        bad "lost: while away: ${line}; status: $(tr '\n' ' ' < "$SHARE/lost.status-away" 2> /dev/null); rilld: $(tail -3 "$SHARE/lost.rilld.log" | tr '\n' ' ')"
    fi
    [ "$(field unbind_blocked "$line")" = 0 ] || bad "lost: the unbind did not finish: rilld still holds the card"
    if [ "$(field back "$line")" = running ] && within "$(field back_after_bind_s "$line")" 0 2 &&
        [ "$(field rilld_alive "$line")" = 1 ] && [ "$(field tone_alive "$line")" = 1 ] &&
        [ "$(field watch_alive "$line")" = 1 ] && [ -n "$c3" ] && [ "$c3" -gt "$c2" ] &&
        [ "$(field bad "$line")" = 0 ] && [ "$(field timebad "$line")" = 0 ] &&
        grep -q "^tone " "$SHARE/lost.clients-back" && grep -q "^wlost " "$SHARE/lost.clients-back" &&
        grep -q "^reopenings: *[1-9]" "$SHARE/lost.status-back"; then
        ok "lost: bound again, the device runs the cycle again $(field back_after_bind_s "$line") s after the bind (the clients' notice, timed to 0.2 s), the same clients (cycles $c0 -> $c3, frame time by one period a cycle across both switches, $(field skips "$line") xrun jump(s)): $(grep -m1 'is back' "$SHARE/lost.rilld.log")"
    else
        bad "lost: after the bind: ${line}; status: $(tr '\n' ' ' < "$SHARE/lost.status-back" 2> /dev/null); clients: $(tr '\n' ' ' < "$SHARE/lost.clients-back" 2> /dev/null)"
    fi
    line2=$(grep "^lost2 " "$RES")
    if [ "$(field refused "$line2")" = refused ] && [ "$(field back "$line2")" = running ] &&
        [ "$(field rilld_alive "$line2")" = 1 ] && [ "$(field tone_alive "$line2")" = 1 ] &&
        [ "$(field unbind_blocked "$line2")" = 0 ] &&
        grep -q "is back but cannot run as before: .*refused the rate 48000 Hz" "$SHARE/lost.rilld.log"; then
        ok "lost: the card back but taken at 44100 Hz: $(grep -m1 'cannot run as before' "$SHARE/lost.rilld.log" | cut -c1-160)...; on the device again once it was free"
    else
        bad "lost: back at another rate: ${line2:-nothing}; rilld: $(tail -3 "$SHARE/lost.rilld.log" | tr '\n' ' ')"
    fi
    # the recording began right after the bind: its third second must be
    # the tone (the card back and playing within 2 s)
    tail -c $((48000 * 4)) "$SHARE/lost.arec.raw" > "$SHARE/lost.arec3.raw"
    check_flow "$SHARE/lost.arec3.raw" S16_LE 2 440 48000 "lost: the tone on hw:Loopback,1,0 from 2 s after the bind"
fi
fi

echo "kernel.sh: $FAILS failure(s), $(($(date +%s) - T0)) s in all"
[ "$FAILS" = 0 ]
