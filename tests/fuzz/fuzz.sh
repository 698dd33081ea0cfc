#!/bin/bash
# tests/fuzz/fuzz.sh — `make fuzz` in a build configured with
# --enable-fuzzing (doc/fuzzing.md): run each libFuzzer harness for a time.
#
#   fuzz.sh SRCDIR SECONDS "ONLY" tests/fuzz/fuzz-NAME...
#
# Each harness NAME starts from its seeds and saved crashers
# (SRCDIR/tests/fuzz/NAME/seeds, .../grown when there is one, .../crashers)
# plus the corpus it grew in
# earlier runs (tests/fuzz/NAME/corpus in the build directory), runs for
# SECONDS seconds (ONLY: a space-separated list of NAMEs, empty for all) and
# writes any input that crashes, leaks, hangs or runs out of memory into
# SRCDIR/tests/fuzz/NAME/crashers/, where make check's replay runs it from
# then on: commit it with the fix. A summary line per harness (executions,
# executions per second, corpus size, new crashers) goes to stdout and is
# appended, dated, to tests/fuzz/fuzz-results.txt. Exit status 1 when any harness found
# something, or a crasher saved before still crashes.
set -uo pipefail

srcdir=$1
seconds=$2
only=$3
shift 3

if ! [[ $seconds =~ ^[0-9]+$ ]] || [[ $seconds -lt 1 ]]; then
    echo "make fuzz: FUZZ_SECONDS must be a number of seconds (1 or more), not '$seconds'" >&2
    exit 2
fi

results=tests/fuzz/fuzz-results.txt
mkdir -p tests/fuzz
status=0
for prog in "$@"; do
    name=${prog##*/fuzz-}
    if [[ -n $only && " $only " != *" $name "* ]]; then
        continue
    fi
    dir=$srcdir/tests/fuzz/$name
    if [[ ! -d $dir/seeds ]]; then
        echo "make fuzz: $name has no seed directory $dir/seeds" >&2
        status=1
        continue
    fi
    corpus=tests/fuzz/$name/corpus
    mkdir -p "$corpus" "$dir/crashers"
    log=tests/fuzz/$name/fuzz.log
    before=$(ls "$dir/crashers" | wc -l)
    echo "make fuzz: $name for $seconds s (log: $log)"
    # -close_fd_mask=3: the code under test may log; libFuzzer keeps its own
    # output and the sanitizers' reports on a copy of stderr
    # leaks inside alsa-lib's own parser are not ours (tests/fuzz/lsan.supp)
    LSAN_OPTIONS=suppressions=$srcdir/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS} \
    "./$prog" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 \
        -print_final_stats=1 -artifact_prefix="$dir/crashers/" \
        "$corpus" "$dir/seeds" $([[ -d $dir/grown ]] && echo "$dir/grown") "$dir/crashers" \
        > "$log" 2>&1
    rc=$?
    after=$(ls "$dir/crashers" | wc -l)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    files=$(ls "$corpus" | wc -l)
    line=$(printf '%-14s %12s executions in %5s s %8s/s  corpus %6s  new crashers %s  exit %s' \
        "$name" "${execs:-?}" "$seconds" "${rate:-?}" "$files" "$((after - before))" "$rc")
    echo "$line"
    echo "$(date -u '+%F %T') $line" >> "$results"
    if [[ $rc -ne 0 || $after -ne $before ]]; then
        status=1
        echo "make fuzz: $name failed; the end of its log:" >&2
        tail -n 40 "$log" >&2
    fi
done
exit $status
