#!/bin/bash
# tools/check.sh — the one test command (the README's "test", and what CI runs).
#
#   1. install the Debian 12 packages rill needs (tools/install-deps.sh);
#   2. build in build/ and run `make -j2 check`;
#   3. build in build-asan/ with --enable-sanitizers and run `make -j2 check`;
#   4. when clang and libFuzzer are there (as root, tools/install-deps.sh
#      --fuzz installs them), build in build-fuzz/ with --enable-fuzzing and
#      run every fuzz harness for RILL_FUZZ_SECONDS seconds (default 10;
#      0 skips this step) with `make fuzz` (doc/fuzzing.md);
#   5. print the logs of failing tests, then the verdict lines of each failing
#      test again (its "FAIL:" lines, so a cut log still names them), then one
#      line "N passed, N failed".
# Exit status 0 when everything passed.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)

say() { printf '\n==== check.sh: %s\n' "$*"; }

if ! tools/install-deps.sh; then
    echo "check.sh: the packages rill needs are missing (see above)" >&2
    exit 1
fi

if [[ -f config.status ]]; then
    echo "check.sh: the source tree was configured in place (./config.status exists);" \
        "builds in build/ need a clean tree: run 'make distclean' in $root first" >&2
    exit 1
fi

if [[ ! -x configure ]]; then
    say "running ./autogen.sh"
    ./autogen.sh || { echo "check.sh: ./autogen.sh failed" >&2; exit 1; }
fi

passed=0
failed=0
broken=()
failing_logs=()

# Print the .log of every test whose .trs says FAIL, ERROR or XPASS.
print_failures() {
    local dir=$1 trs log
    while IFS= read -r trs; do
        log=${trs%.trs}.log
        say "failing test log: ${log#"$root"/}"
        cat "$log" 2>/dev/null || echo "(no log file)"
        failing_logs+=("$log")
    done < <(grep -l -E '^:test-result: (FAIL|ERROR|XPASS)' -r --include='*.trs' "$dir" 2>/dev/null)
}

# Add the counts of dir/test-suite.log to the totals.
count_results() {
    local log=$1/test-suite.log n
    if [[ ! -f $log ]]; then
        broken+=("$1: no test-suite.log")
        failed=$((failed + 1))
        return
    fi
    n=$(sed -n 's/^# PASS: *\([0-9]*\).*/\1/p' "$log" | head -n 1)
    passed=$((passed + ${n:-0}))
    for k in FAIL ERROR XPASS; do
        n=$(sed -n "s/^# $k: *\\([0-9]*\\).*/\\1/p" "$log" | head -n 1)
        failed=$((failed + ${n:-0}))
    done
}

# build_and_check DIR [CONFIGURE ARGS...]
build_and_check() {
    local dir=$1
    shift
    say "building in $dir/ (configure $*)"
    mkdir -p "$dir"
    if [[ ! -f $dir/Makefile ]]; then
        if ! (cd "$dir" && ../configure -q "$@"); then
            echo "check.sh: configure failed in $dir/ (see $dir/config.log)" >&2
            broken+=("$dir: configure failed")
            failed=$((failed + 1))
            return
        fi
    fi
    if ! make -C "$dir" -j"$jobs"; then
        echo "check.sh: the build failed in $dir/" >&2
        broken+=("$dir: build failed")
        failed=$((failed + 1))
        return
    fi
    say "running the tests in $dir/"
    rm -f "$dir/test-suite.log"
    if ! make -C "$dir" -j2 check; then
        print_failures "$root/$dir"
    fi
    count_results "$dir"
}

# Build the libFuzzer targets in build-fuzz/ and run each for a short time.
# Counts as one test: passed when no harness found anything.
fuzz_briefly() {
    local seconds=${RILL_FUZZ_SECONDS:-10}
    if [[ $seconds == 0 ]]; then
        say "fuzzing skipped (RILL_FUZZ_SECONDS=0)"
        return
    fi
    if [[ $(id -u) -eq 0 ]]; then
        tools/install-deps.sh --fuzz || echo "check.sh: cannot install clang and libFuzzer" >&2
    fi
    local cc
    cc=$(command -v clang || command -v clang-14) || {
        say "fuzzing skipped: no clang (tools/install-deps.sh --fuzz installs it)"
        return
    }
    say "building the fuzz harnesses in build-fuzz/ (configure --enable-fuzzing CC=$cc)"
    mkdir -p build-fuzz
    if [[ ! -f build-fuzz/Makefile ]] &&
        ! (cd build-fuzz && ../configure -q --enable-fuzzing CC="$cc"); then
        echo "check.sh: configure --enable-fuzzing failed (see build-fuzz/config.log)" >&2
        broken+=("build-fuzz: configure failed")
        failed=$((failed + 1))
        return
    fi
    say "fuzzing every harness for $seconds s"
    if make -C build-fuzz -j"$jobs" fuzz FUZZ_SECONDS="$seconds"; then
        passed=$((passed + 1))
    else
        broken+=("build-fuzz: make fuzz found a crasher or failed (see above)")
        failed=$((failed + 1))
    fi
}

build_and_check build
build_and_check build-asan --enable-sanitizers
fuzz_briefly

say "summary"
# The verdicts of each failing test once more, short: a long log printed
# above may be cut by whoever reads only the head and tail of this output.
for log in "${failing_logs[@]+"${failing_logs[@]}"}"; do
    echo "check.sh: ${log#"$root"/}:"
    grep -E '^(FAIL|ERROR|not ok|BAD)\b' "$log" 2>/dev/null | cut -c1-400 | head -n 12 | sed 's/^/    /'
done
for b in "${broken[@]+"${broken[@]}"}"; do
    echo "check.sh: $b"
done
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
