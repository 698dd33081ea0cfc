#!/bin/bash
# tests/integration/tools-docs.sh — the man pages, the systemd user unit and
# bash completion.
#
# 1. Each page (doc/man) renders with `man -l` and groff reports no warning.
# 2. Every option that a program's --help lists appears in its page: rilld
#    (server options and every driver's), rillctl (global and every
#    command's), rill-jack.
# 3. The built rilld.service passes `systemd-analyze verify` (with ExecStart
#    pointed at the built rilld and the pages as its documentation), and one
#    with a missing ExecStart does not (so the check can fail).
# 4. bash completion, against a live server: rillctl's commands, a command's
#    options, port names with ':' (`rillctl connect system:cap<TAB>`), server
#    names, rilld's drivers and a driver's options.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
. "$(dirname "$0")/lib.sh"

require_built "$RILLD" "$RILLCTL" "$RILL_JACK"
require_program man man-db
require_program groff groff-base
MANDIR=$RILL_TOP_SRCDIR/doc/man

# ---- 1. render
for page in "$MANDIR"/*.[17]; do
    warn=$(groff -man -ww -z "$page" 2>&1) || fail "groff failed on ${page##*/}: $warn"
    [ -z "$warn" ] || fail "groff warns about ${page##*/}: $warn"
    MANWIDTH=200 man -E ascii -l "$page" >"$RILL_TMP/${page##*/}.txt" 2>"$RILL_TMP/man.err" ||
        fail "man -l ${page##*/} failed: $(cat "$RILL_TMP/man.err")"
    grep -q '^NAME' "$RILL_TMP/${page##*/}.txt" || fail "${page##*/} renders without a NAME section"
done

# ---- 2. every option of --help in the page
# opts_of CMD...: the -x and --long options a --help output lists
opts_of() {
    "$@" --help 2>&1 | grep -oE -- '(^|[[:space:],])--?[A-Za-z][A-Za-z0-9-]*' | tr -d ' ,\t' |
        sort -u
}
covers() { # PAGE CMD...: each option of CMD's --help is in PAGE's text
    local page=$1 o missing=
    shift
    for o in $(opts_of "$@"); do
        grep -qE -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|$)" "$RILL_TMP/$page.txt" || missing="$missing $o"
    done
    [ -z "$missing" ] || fail "$page does not document$missing (from '$* --help')"
}
covers rilld.1 "$RILLD"
drivers=$("$RILLD" --help | sed -n '/^Drivers:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$drivers" ] || fail "rilld --help lists no drivers"
for d in $drivers; do
    covers rilld.1 "$RILLD" -d "$d"
    grep -qi "^$d driver" "$RILL_TMP/rilld.1.txt" || fail "rilld.1 has no section for the $d driver"
done
covers rillctl.1 "$RILLCTL"
commands=$("$RILLCTL" --help | sed -n '/^commands:/,$p' | awk 'NR > 1 && NF { print $1 }')
for c in $commands; do
    covers rillctl.1 "$RILLCTL" "$c"
    grep -qE "^ +$c( |$)" "$RILL_TMP/rillctl.1.txt" || fail "rillctl.1 does not describe the command $c"
done
covers rill-jack.1 "$RILL_JACK"
info "man pages cover every option"

# ---- 3. systemd
if command -v systemd-analyze >/dev/null 2>&1; then
    mkdir -p "$RILL_TMP/man/man1" "$RILL_TMP/man/man7" "$RILL_TMP/unit" "$RILL_TMP/bad"
    cp "$MANDIR"/*.1 "$RILL_TMP/man/man1/" && cp "$MANDIR"/*.7 "$RILL_TMP/man/man7/"
    sed "s|@bindir@|$RILL_TOP_BUILDDIR/engine|" "$RILL_TOP_SRCDIR/tools/systemd/rilld.service.in" \
        >"$RILL_TMP/unit/rilld.service"
    grep -q -- '--from-config' "$RILL_TMP/unit/rilld.service" || fail "the unit does not use --from-config"
    OUT=$(MANPATH=$RILL_TMP/man systemd-analyze verify "$RILL_TMP/unit/rilld.service" 2>&1) ||
        fail "systemd-analyze verify refuses rilld.service: $OUT"
    sed "s|@bindir@|/nonexistent|" "$RILL_TOP_SRCDIR/tools/systemd/rilld.service.in" \
        >"$RILL_TMP/bad/rilld.service"
    ! MANPATH=$RILL_TMP/man systemd-analyze verify "$RILL_TMP/bad/rilld.service" >/dev/null 2>&1 ||
        fail "systemd-analyze verify accepts a unit whose ExecStart does not exist"
    # what the unit runs: the configuration file's line, without -T
    printf '# test\n\nrilld -T -d dummy -p 128 -r 44100\n' >"$RILL_TMP/rilld.conf"
    RILL_SERVER_CONFIG=$RILL_TMP/rilld.conf "$RILLD" --from-config -n "$RILL_SERVER-unit" \
        >"$RILL_TMP/unit.log" 2>&1 &
    upid=$!
    RILL_PIDS+=("$upid")
    wait_for "'$RILLCTL' -s '$RILL_SERVER-unit' status >/dev/null 2>&1" 10 ||
        fail "rilld --from-config did not start: $(cat "$RILL_TMP/unit.log")"
    grep -q "starting as 'rilld -T -d dummy -p 128 -r 44100' (from $RILL_TMP/rilld.conf)" \
        "$RILL_TMP/unit.log" || fail "rilld --from-config did not say what it runs: $(cat "$RILL_TMP/unit.log")"
    OUT=$("$RILLCTL" -s "$RILL_SERVER-unit" status)
    printf '%s\n' "$OUT" | grep -q '128 frames' || fail "--from-config did not use -p 128: $OUT"
    kill -TERM "$upid"
    wait_exit "$upid" 5 || fail "rilld --from-config did not stop on SIGTERM"
    [ "$WAIT_RC" = 0 ] || fail "rilld --from-config exited $WAIT_RC on SIGTERM"
    expect_rc 2 "$RILLD" --from-config -d dummy
    expect_out "only -n NAME" "--from-config with other options"
    info "systemd unit ok"
else
    info "systemd-analyze not installed: the unit is not verified here"
fi

# ---- 4. completion against a live server
if [ -r /usr/share/bash-completion/bash_completion ]; then
    rill_start "$RILL_SERVER" -d dummy
    comp() { # WORDS...: the completions of the last word
        PATH=$RILL_TOP_BUILDDIR/tools:$RILL_TOP_BUILDDIR/engine:$PATH bash -c '
            . /usr/share/bash-completion/bash_completion
            . "$0"
            COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            case $1 in rilld) _rilld ;; rillctl) _rillctl ;; rill-jack) _rill_jack ;; esac
            printf "%s\n" "${COMPREPLY[@]}"' "$RILL_TOP_SRCDIR/tools/completion/rill.bash" "$@"
    }
    has() { # WANT WORDS...
        local want=$1
        shift
        comp "$@" | grep -qxF -- "$want" || fail "completing '$*' does not offer '$want': $(comp "$@" | tr '\n' ' ')"
    }
    has top rillctl ""
    has graph rillctl gr
    has --json rillctl status --j
    has capture_1 rillctl -s "$RILL_SERVER" connect system:cap
    has playback_2 rillctl -s "$RILL_SERVER" disconnect system:playback_
    has "$RILL_SERVER" rillctl -s ""
    has dummy rilld -d ""
    has --period rilld -d dummy --p
    has --realtime-priority rilld --realtime-p
    has locate rillctl transport ""
    has --server rill-jack --s
    info "completion ok"
else
    info "bash-completion not installed: completion is not checked here"
fi
info "ok"
