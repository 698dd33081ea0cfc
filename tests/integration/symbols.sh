#!/bin/bash
# tests/integration/symbols.sh — rill's libjack.so.0 defines every JACK symbol
# that the distribution's jackd2 libjack.so.0 defines, and nothing else.
#
#   1. every jack_* function and JACK_METADATA_* constant in
#      `nm -D --defined-only` of jackd2's libjack.so.0 is defined by ours;
#      the test fails listing each one that is missing (jackd2's C++
#      template instantiations, also exported by its library, are not API);
#   2. ours exports nothing but jack_* and JACK_METADATA_* (libjack.map).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

OURS=$RILL_JACK_LIBDIR/libjack.so.0
require_built "$OURS"
require_program nm binutils

multiarch=$(${CC:-gcc} -print-multiarch 2>/dev/null)
THEIRS=
for f in "/usr/lib/$multiarch/libjack.so.0" /usr/lib64/libjack.so.0 /usr/lib/libjack.so.0; do
    [ -e "$f" ] && { THEIRS=$(readlink -f "$f"); break; }
done
[ -n "$THEIRS" ] || fail "jackd2's libjack.so.0 is not installed (Debian package: libjack-jackd2-0)"

api_symbols() { nm -D --defined-only "$1" | awk '{ print $NF }' | grep -E '^(jack_|JACK_METADATA_)' | sort -u; }

api_symbols "$THEIRS" >"$RILL_TMP/theirs"
api_symbols "$OURS" >"$RILL_TMP/ours"
n_theirs=$(wc -l <"$RILL_TMP/theirs")
[ "$n_theirs" -ge 150 ] || fail "only $n_theirs JACK symbols in $THEIRS: is it jackd2's libjack?"

missing=$(comm -23 "$RILL_TMP/theirs" "$RILL_TMP/ours")
if [ -n "$missing" ]; then
    fail "rill's libjack.so.0 lacks $(printf '%s\n' "$missing" | wc -l) of the $n_theirs symbols that $THEIRS defines:
$missing"
fi
info "all $n_theirs jack_*/JACK_METADATA_* symbols of $THEIRS are defined"

extra=$(nm -D --defined-only "$OURS" | awk '{ print $NF }' | grep -vE '^(jack_|JACK_METADATA_)')
[ -z "$extra" ] || fail "rill's libjack.so.0 exports symbols outside the JACK API: $extra"
info "ok"
