# shellcheck shell=bash
# SPDX-License-Identifier: MIT
#
# Bash completion for supctl(1): verbs, options, unit names (from `supctl list --json`, asking the
# same supd as the command line being completed), signal names for kill -s, and for exec, after
# NAME, the command as any command line.
#
# Installed as $(bash-completion's completionsdir)/supctl; or source it from ~/.bashrc.

# The unit names of the supd the command line talks to. No jq: the names are the values of
# "name" in the pretty-printed JSON, one per line.
__supctl_units() {
        local -a sock=()
        [[ -n ${1-} ]] && sock=(--socket "$1")
        supctl "${sock[@]}" --json list 2>/dev/null |
                sed -n 's/^ *"name": *"\([^"]*\)",\{0,1\} *$/\1/p'
}

__supctl_signals() {
        local s
        for s in HUP INT QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV USR2 PIPE ALRM TERM STKFLT CHLD CONT STOP \
                TSTP TTIN TTOU URG XCPU XFSZ VTALRM PROF WINCH IO PWR SYS; do
                echo "SIG$s"
        done
}

_supctl() {
        # COMP_WORDS as is (not _init_completion's words): _command_offset counts in it.
        local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]-}
        local -a words=("${COMP_WORDS[@]}")
        local cword=$COMP_CWORD

        local verbs="list status start stop restart kill reset-failed logs stats freeze thaw exec reload daemon-reexec verify
                poweroff reboot"
        local global_opts="--socket --json --no-block --wait --help --version"
        local verb="" socket="" i n_args=0 verb_at=0

        # The verb, --socket, and how many arguments the verb has before the word being completed.
        for ((i = 1; i < cword; i++)); do
                case ${words[i]} in
                --socket)
                        socket=${words[i + 1]-}
                        i=$((i + 1))
                        ;;
                --socket=*) socket=${words[i]#--socket=} ;;
                -s | --signal | -n | --lines)
                        [[ -n $verb ]] && i=$((i + 1))
                        ;;
                -*) ;;
                *)
                        if [[ -z $verb ]]; then
                                verb=${words[i]}
                                verb_at=$i
                        else
                                n_args=$((n_args + 1))
                        fi
                        ;;
                esac
        done

        case $prev in
        --socket)
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                return
                ;;
        -s | --signal)
                if [[ $verb == kill ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "$(__supctl_signals)" -- "$cur")
                        return
                fi
                ;;
        -n | --lines)
                if [[ $verb == logs ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "10 50 100 all" -- "$cur")
                        return
                fi
                ;;
        esac

        if [[ -z $verb ]]; then
                if [[ $cur == -* ]]; then
                        mapfile -t COMPREPLY < <(compgen -W "$global_opts" -- "$cur")
                else
                        mapfile -t COMPREPLY < <(compgen -W "$verbs" -- "$cur")
                fi
                return
        fi

        # exec NAME CMD…: after NAME, complete the command as bash would.
        if [[ $verb == exec && $n_args -ge 1 ]]; then
                local first=$((verb_at + 1))
                while [[ ${words[first]-} == -* ]]; do
                        first=$((first + 1))
                done
                if declare -F _command_offset >/dev/null; then
                        _command_offset $((first + 1))
                else
                        mapfile -t COMPREPLY < <(compgen -c -- "$cur")
                fi
                return
        fi

        local opts="--json"
        case $verb in
        start) opts+=" --no-block --wait" ;;
        stop | restart) opts+=" --no-block" ;;
        kill) opts+=" -s --signal --all" ;;
        logs) opts+=" -f --follow -n --lines" ;;
        exec) opts+=" -t --tty" ;;
        esac
        if [[ $cur == -* ]]; then
                mapfile -t COMPREPLY < <(compgen -W "$opts --socket" -- "$cur")
                return
        fi

        case $verb in
        status | logs | stats | exec)
                ((n_args == 0)) && mapfile -t COMPREPLY < <(compgen -W "$(__supctl_units "$socket")" -- "$cur")
                ;;
        start | stop | restart | kill | reset-failed | freeze | thaw)
                mapfile -t COMPREPLY < <(compgen -W "$(__supctl_units "$socket")" -- "$cur")
                ;;
        verify)
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
                ;;
        esac
}

complete -F _supctl supctl
