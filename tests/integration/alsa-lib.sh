# shellcheck shell=bash
# tests/integration/alsa-lib.sh — sourced by the ALSA bridge's tests after
# lib.sh. Points alsa-lib at the plugin of the build tree with a test-only
# configuration (ALSA_CONFIG_PATH: the system's alsa.conf, then ours), so
# `aplay -D rill` works without `make install`:
#
#   pcm.rill / ctl.rill   as 50-rill.conf defines them, with the build
#                         tree's plugin paths;
#   RILL_ALSA_CONF        the file, for tests that add devices to it.
#
# meter PORT SECONDS: run rill-test-meter on PORT; sets FREQ PEAK RMS.
# near VALUE WANT TOL: |VALUE - WANT| <= TOL.

ALSA_PCM_PLUGIN=$RILL_TOP_BUILDDIR/clients/alsa/.libs/libasound_module_pcm_rill.so
ALSA_CTL_PLUGIN=$RILL_TOP_BUILDDIR/clients/alsa/.libs/libasound_module_ctl_rill.so
METER=$RILL_TOP_BUILDDIR/tests/clients/rill-test-meter
require_built "$ALSA_PCM_PLUGIN" "$METER"

RILL_ALSA_CONF=$RILL_TMP/asound.conf
sed -e "s|@ALSA_PCM_PLUGIN@|$ALSA_PCM_PLUGIN|g" -e "s|@ALSA_CTL_PLUGIN@|$ALSA_CTL_PLUGIN|g" \
    "$RILL_TOP_SRCDIR/clients/alsa/50-rill.conf.in" >"$RILL_ALSA_CONF"
export ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$RILL_ALSA_CONF

# Programs of Debian's that load our (maybe ASan-built) plugin get the
# sanitizer runtimes preloaded, as rjack does for libjack.
alsa_run() {
    if [ "$RILL_SANITIZERS" = yes ]; then
        LD_PRELOAD="$RILL_SAN_PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}" \
            ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" "$@"
    else
        "$@"
    fi
}

near() { awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(d <= t) }'; }

meter() {
    local out
    out=$(timeout -k 2 20 rjack "$METER" "m$RANDOM" --connect-from "$1" --seconds "${2:-1}" 2>&1) ||
        fail "rill-test-meter on $1 failed: $out"
    FREQ=$(printf '%s\n' "$out" | sed -n 's/.*freq=\([0-9.]*\).*/\1/p')
    PEAK=$(printf '%s\n' "$out" | sed -n 's/.*peak=\([0-9.]*\).*/\1/p')
    RMS=$(printf '%s\n' "$out" | sed -n 's/.*rms=\([0-9.]*\).*/\1/p')
    [ -n "$FREQ" ] && [ -n "$PEAK" ] || fail "rill-test-meter on $1 printed no measurement: $out"
    info "$1: $out"
}

# tone FILE RATE CHANNELS SECONDS FREQ [sox format options...]: a sine at -6 dBFS
tone() {
    local f=$1 rate=$2 ch=$3 secs=$4 freq=$5
    shift 5
    sox -q -n -r "$rate" -c "$ch" "$@" "$f" synth "$secs" sine "$freq" vol 0.5 ||
        fail "sox could not make $f"
}
