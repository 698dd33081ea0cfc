#!/bin/bash
# tests/integration/alsa-pulse.sh — sound servers and OSS programs on top of
# the ALSA bridge.
#
#   1. PulseAudio with module-alsa-sink device=rill, tsched=0 (period
#      wake-ups) and tsched=1 (timer scheduling, rewinds): paplay's 700 Hz
#      tone at 0.5 is measured on the pulseaudio client's port;
#   2. an OSS program (Python's ossaudiodev writing /dev/dsp) through
#      alsa-oss's libaoss.so onto pcm.dsp0 = plug:rill: 700 Hz at 0.5 on the
#      python3 client's port. (`aoss PROGRAM` is the same LD_PRELOAD; the
#      script refuses to run without /proc/asound, which containers lack,
#      so the test preloads the library itself.)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
RILL_TEST_TIMEOUT=${RILL_TEST_TIMEOUT:-180}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/alsa-lib.sh"
require_program pulseaudio pulseaudio
require_program paplay pulseaudio-utils
require_program python3 python3
require_program sox sox
LIBAOSS=$(ls /usr/lib/*/libaoss.so 2>/dev/null | head -n 1)
[ -n "$LIBAOSS" ] || fail "libaoss.so is not installed (Debian package: alsa-oss)"
export HOME=$RILL_TMP/home
mkdir -p "$HOME"

rill_start "$RILL_SERVER" -d dummy -r 48000 -p 256
tone "$RILL_TMP/t.wav" 44100 2 20 700 -b 16 -e signed-integer

# ---- 1. PulseAudio, both schedulers. Not in a sanitizer build: our
# ASan-built plugin needs the ASan runtime preloaded, and with it preloaded
# pulseaudio re-executes itself over and over (22 execve in 3 s) and never
# starts.
tscheds="0 1"
if [ "$RILL_SANITIZERS" = yes ]; then
    info "sanitizer build: PulseAudio part not run (pulseaudio re-executes itself endlessly with the ASan runtime preloaded)"
    tscheds=
fi
for tsched in $tscheds; do
    sock=$RILL_TMP/pa$tsched.sock
    spawn alsa_run pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no \
        --disable-shm=yes -L "module-alsa-sink device=rill tsched=$tsched sink_name=rill" \
        -L "module-native-protocol-unix socket=$sock auth-anonymous=1" >"$RILL_TMP/pa$tsched.log" 2>&1
    PA=$SPAWN_PID
    wait_for "[ -S '$sock' ] && port_exists pulseaudio:playback_1" 20 ||
        fail "tsched=$tsched: pulseaudio did not open the rill device: $(tail -n 5 "$RILL_TMP/pa$tsched.log")"
    PULSE_SERVER=unix:$sock spawn paplay "$RILL_TMP/t.wav"
    PAPLAY=$SPAWN_PID
    wait_for 'meter pulseaudio:playback_1 0.3; near "$FREQ" 700 1' 10 ||
        fail "tsched=$tsched: pulseaudio's port carries $FREQ Hz, want 700"
    meter pulseaudio:playback_1 1
    near "$FREQ" 700 1 || fail "tsched=$tsched: $FREQ Hz, want 700"
    near "$PEAK" 0.5 0.02 || fail "tsched=$tsched: peak $PEAK, want 0.5"
    wait_for "ports_connected pulseaudio:playback_1 system:playback_1" 5 || fail "tsched=$tsched: not connected to the system"
    kill -KILL "$PAPLAY" "$PA"
    wait_for '! client_listed pulseaudio' 5 || fail "tsched=$tsched: pulseaudio's client stays"
done

# ---- 2. an OSS program through alsa-oss
printf 'pcm.dsp0 { type plug slave.pcm "rill" }\n' >>"$RILL_ALSA_CONF"
cat >"$RILL_TMP/oss.py" <<'PY'
import math, struct, warnings
warnings.simplefilter("ignore")
import ossaudiodev
d = ossaudiodev.open('/dev/dsp', 'w')
d.setparameters(ossaudiodev.AFMT_S16_LE, 2, 48000)
one = b''.join(struct.pack('<hh', v, v) for v in
               (int(16384 * math.sin(2 * math.pi * 700 * i / 48000)) for i in range(48000)))
for k in range(20):
    d.writeall(one)
d.close()
PY
LD_PRELOAD=$LIBAOSS spawn alsa_run python3 "$RILL_TMP/oss.py"
OSS=$SPAWN_PID
wait_for 'port_exists python3:playback_1' 10 || fail "the OSS program did not reach rill: $(ports_list)"
meter python3:playback_1 1
near "$FREQ" 700 1 || fail "OSS through aoss: $FREQ Hz, want 700"
near "$PEAK" 0.5 0.01 || fail "OSS through aoss: peak $PEAK, want 0.5"
kill -KILL "$OSS"
info "ok"
