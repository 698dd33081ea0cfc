# bash completion for rill's programs: rilld, rillctl, rill-jack.
# Installed as $(datadir)/bash-completion/completions/rilld, with rillctl and
# rill-jack as links to it. Options come from each program's own --help, so
# they never fall behind; port and server names are asked of the running
# server (rillctl ports) and the socket directory.

# The options (-x and --long) that "$@" --help lists, one per line.
_rill_help_opts()
{
    "$@" --help 2>/dev/null | grep -oE -- '(^|[[:space:],])--?[A-Za-z][A-Za-z0-9-]*' |
        tr -d ' ,\t' | sort -u
}

# Server names: the sockets in rill's runtime directory.
_rill_servers()
{
    local dir=${XDG_RUNTIME_DIR:-/tmp/rill-$(id -u)}
    [[ -n $XDG_RUNTIME_DIR ]] && dir=$XDG_RUNTIME_DIR/rill
    local s
    for s in "$dir"/*; do
        [[ -S $s ]] && printf '%s\n' "${s##*/}"
    done
}

# Complete port names of server $1 ("" for the default) into COMPREPLY.
_rill_ports()
{
    local server=$1 cur=$2 IFS=$'\n'
    local -a args=()
    [[ -n $server ]] && args=(-s "$server")
    COMPREPLY=($(compgen -W "$(rillctl "${args[@]}" ports 2>/dev/null | grep -v '^[[:space:]]')" -- "$cur"))
    declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
}

_rilld()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local prog=${words[0]} driver= i
    # the first -d DRIVER ends the server options
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -d | --driver)
            driver=${words[i + 1]}
            break
            ;;
        -d?*) driver=${words[i]#-d}; break ;;
        --driver=*) driver=${words[i]#--driver=}; break ;;
        esac
    done
    if [[ -z $driver || ($prev == -d && $((i + 1)) -eq $cword) ]]; then
        case $prev in
        -d | --driver)
            COMPREPLY=($(compgen -W "$("$prog" --help 2>/dev/null | sed -n '/^Drivers:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')" -- "$cur"))
            return
            ;;
        -n | --name) COMPREPLY=($(compgen -W "$(_rill_servers)" -- "$cur")); return ;;
        -a) COMPREPLY=($(compgen -W "auto off e E a A" -- "$cur")); return ;;
        --affinity) COMPREPLY=($(compgen -W "auto off" -- "$cur")); return ;;
        -c | --clocksource) COMPREPLY=($(compgen -W "h s c" -- "$cur")); return ;;
        -t | --timeout | -P | --realtime-priority | -p | --port-max | -l | --load | --osc-udp | --osc-allow | --osc-rate) return ;;
        esac
        COMPREPLY=($(compgen -W "$(_rill_help_opts "$prog") --from-config" -- "$cur"))
        return
    fi
    # driver options
    case $prev in
    -d | --device | -C | --capture | -P | --playback)
        if [[ $driver == alsa ]]; then
            local ids
            ids=$(sed -n 's/^ *[0-9]* \[\([^] ]*\) *\].*/\1/p' /proc/asound/cards 2>/dev/null)
            COMPREPLY=($(compgen -W "$(for c in $ids; do printf 'hw:%s\n' "$c"; done)" -- "$cur"))
            declare -F __ltrim_colon_completions >/dev/null && __ltrim_colon_completions "$cur"
            [[ $prev == -d || $prev == --device ]] && return
            [[ ${#COMPREPLY[@]} -gt 0 ]] && return
        fi
        ;;
    -z | --dither) COMPREPLY=($(compgen -W "none triangular shaped rectangular" -- "$cur")); return ;;
    --format) COMPREPLY=($(compgen -W "auto S16_LE S24_3LE S24_LE S32_LE FLOAT_LE" -- "$cur")); return ;;
    -r | --rate) COMPREPLY=($(compgen -W "44100 48000 88200 96000 192000" -- "$cur")); return ;;
    -p | --period) COMPREPLY=($(compgen -W "16 32 64 128 256 512 1024 2048" -- "$cur")); return ;;
    esac
    COMPREPLY=($(compgen -W "$(_rill_help_opts "$prog" -d "$driver")" -- "$cur"))
}

_rillctl()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local prog=${words[0]} server= cmd= ci=0 i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -s | --server) server=${words[i + 1]}; ((i++)) ;;
        -s?*) server=${words[i]#-s} ;;
        --server=*) server=${words[i]#--server=} ;;
        -*) ;;
        *) cmd=${words[i]}; ci=$i; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        case $prev in
        -s | --server) COMPREPLY=($(compgen -W "$(_rill_servers)" -- "$cur")); return ;;
        esac
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$(_rill_help_opts "$prog")" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$("$prog" --help 2>/dev/null | sed -n '/^commands:/,$p' | awk 'NR > 1 && NF { print $1 }')" -- "$cur"))
        fi
        return
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_rill_help_opts "$prog" "$cmd")" -- "$cur"))
        return
    fi
    case $cmd in
    connect | disconnect | ports) _rill_ports "$server" "$cur" ;;
    transport)
        ((cword == ci + 1)) && COMPREPLY=($(compgen -W "start stop locate status" -- "$cur"))
        ;;
    graph)
        case $prev in
        --svg | --png | -o | --output) COMPREPLY=($(compgen -f -- "$cur")) ;;
        esac
        ;;
    esac
}

_rill_jack()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -s | --server) ((i++)) ;;
        -*) ;;
        *)
            # the program and its own arguments
            declare -F _command_offset >/dev/null && _command_offset "$i"
            return
            ;;
        esac
    done
    case $prev in
    -s | --server) COMPREPLY=($(compgen -W "$(_rill_servers)" -- "$cur")); return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-s --server -h --help -V --version" -- "$cur"))
    else
        COMPREPLY=($(compgen -c -- "$cur"))
    fi
}

complete -F _rilld rilld
complete -F _rillctl rillctl
complete -F _rill_jack rill-jack
