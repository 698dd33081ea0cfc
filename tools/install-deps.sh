#!/bin/bash
# tools/install-deps.sh — install the Debian 12 packages rill needs to build,
# test and run. Prints nothing and exits 0 when everything is there; as root
# installs what is missing; otherwise prints the sudo command and exits 1.
set -euo pipefail

packages=(
    # build
    gcc make autoconf automake libtool pkg-config
    libasound2-dev liblo-dev libjack-jackd2-dev libspeexdsp-dev
    libopus-dev     # NetJACK2's opus encoding (drivers/net/net_opus.c)
    # tests
    libcmocka-dev
    jackd2          # jack_lsp, jack_connect, ... (the peer programs of the tests)
    alsa-utils      # aplay, arecord
    sox             # the ALSA bridge tests make and analyse tones
    ffmpeg mpv      # the ALSA bridge: other programs play and record through it
    pulseaudio pulseaudio-utils alsa-oss   # the ALSA bridge: PulseAudio and OSS on top
    liblo-tools     # oscsend, oscdump
    procps          # pgrep, ps
    psmisc          # fuser
    file            # checks what the built libraries are
    binutils        # nm, readelf: the exported-symbol check of libjack.so.0
    strace          # tests/integration/rt-syscalls.sh counts the realtime threads' syscalls
    iproute2        # ip netns, veth: tests/integration/net.sh (NetJACK2 between namespaces)
    python3         # tests read JSON and analyse recordings; osc_client.py (stdlib only)
    tmux            # tools-top.sh drives rillctl top in a terminal
    graphviz        # rillctl graph --svg/--png, and tools-graph.sh reads the DOT back
    man-db groff-base   # tools-docs.sh renders the man pages
    systemd         # systemd-analyze verify of the user unit
    bash-completion # tools-docs.sh runs the completion
    # tests/kernel (real kernel ALSA under qemu; the kernel itself is fetched
    # by the test with apt-get download into the build directory)
    qemu-system-x86 busybox-static cpio kmod
)

# `make bench` also measures PipeWire's libjack (bench/run.sh)
bench_packages=(pipewire pipewire-bin pipewire-jack
    libasound2-plugins                  # the ALSA bridge against alsa-plugins' jack PCM
    wireplumber                         # links the bench's pipewire-alsa streams to its sink
    libsamplerate0-dev libsoxr-dev)     # bench/rill-bench-resamplers
# Not pipewire-alsa: Debian 12's package Conflicts with pulseaudio (which the
# tests need: apt would remove it) and links /etc/alsa/conf.d/99-pipewire-default.conf,
# which makes PipeWire every program's ALSA `default` device on the machine (every
# aplay of the test suite would go to a PipeWire server that is not running).
# bench/alsa-bridge.sh instead fetches the package with `apt-get download` into
# the build directory and loads its plugin by full path from a private ALSA
# configuration (ALSA_CONFIG_PATH), so nothing on the machine changes.
# optional: `../configure --enable-fuzzing CC=clang` and `make fuzz` (libFuzzer;
# doc/fuzzing.md), and `make check-valgrind`; tools/check.sh fuzzes briefly
# when clang is there
fuzz_packages=(clang-14 libclang-rt-14-dev valgrind)

for arg in "$@"; do
    case $arg in
    -h | --help)
        echo "usage: tools/install-deps.sh [--bench] [--fuzz]"
        echo "Installs the Debian 12 packages rill needs (build, tests, run): ${packages[*]}"
        echo "--bench: also the peers that \`make bench\` measures: ${bench_packages[*]}"
        echo "--fuzz: also clang, libFuzzer and valgrind for \`make fuzz\` and \`make check-valgrind\`: ${fuzz_packages[*]}"
        exit 0
        ;;
    --bench)
        packages+=("${bench_packages[@]}")
        ;;
    --fuzz)
        packages+=("${fuzz_packages[@]}")
        ;;
    *)
        echo "install-deps.sh: unknown argument '$arg' (--bench, --fuzz, or none; --help says what it does)" >&2
        exit 2
        ;;
    esac
done

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    if [[ $status != installed ]]; then
        missing+=("$p")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps.sh: missing packages: ${missing[*]}" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "install-deps.sh: installing ${missing[*]}" >&2
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
