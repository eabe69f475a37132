# torchshim.bash — torchshim's bash integration:  eval "$(torchshim init bash)"
#
# `torchshim init bash` prints this file with, in its code (comment lines are
# printed as they are), @TORCHSHIM@ replaced by the absolute path of torchshim
# and @SHIMDIR@ by its shim directory ('' if none), both quoted, and
# @PYMINORS@ by the Python 3 minor versions that get functions of their own
# (8 to 15). Evaluating it again changes nothing.
#
# Why shell functions and not only the shim directory on PATH:
#   - `conda activate` puts the environment's bin/ first on PATH, so after it
#     the environment's own pip wins over a pip in the shim directory;
#   - once conda's hook ran (`conda shell.bash hook`), `conda` is a shell
#     function that runs $CONDA_EXE: a conda on PATH is never reached.
# So:
#   pip, pip3, pip3.X (X: @PYMINORS@)
#               -> torchshim pip|pip3|pip3.X, which runs the next real one on
#                  PATH (the active environment's), skipping the shim dir;
#   python, python3, python3.X:
#     -m pip [general options] install|download|wheel ...
#               -> torchshim pip --python PY ..., PY the interpreter the shell
#                  would run (type -P), so the install targets it;
#     anything else (a script, -c, -m venv, -m pip list, ...) -> the
#                  interpreter, with the same words: `command python3 "$@"`
#                  (no fork added; the test of $1 is all it costs);
#   conda, mamba, micromamba:
#     install|create|update|upgrade -> torchshim <tool> (the real conda is
#                  $CONDA_EXE, mamba's $MAMBA_EXE), then the tool's own
#                  reactivation, as its function does after an install;
#     anything else (activate, deactivate, env, run, ...) -> the tool's own
#                  function, kept as __torchshim_orig_<tool>, or the command
#                  on PATH when the tool has no function.
# A conda or mamba hook evaluated after this snippet defines its function
# again: __torchshim_wrap, run now and before every prompt (PROMPT_COMMAND),
# keeps that one as the original and wraps it again. A tool is wrapped only
# when it is there: a function, or a command on PATH outside the shim dir.
# The shim directory stays on PATH (once) for scripts; TORCHSHIM_SHIMDIR
# tells torchshim to skip it when it looks for the real tools.
# __torchshim_uninit undoes all of it (torchshim init --uninstall bash).

function pip { command @TORCHSHIM@ pip "$@"; }
function pip3 { command @TORCHSHIM@ pip3 "$@"; }
function python { __torchshim_python python "$@"; }
function python3 { __torchshim_python python3 "$@"; }

# __torchshim_run ARGS...: torchshim ARGS (for the functions defined by eval).
function __torchshim_run { command @TORCHSHIM@ "$@"; }

# pip3.X and python3.X; not in POSIX mode, where a function name cannot have
# a dot.
if ! shopt -oq posix; then
    for __ts_v in @PYMINORS@; do
        eval "function pip3.$__ts_v { __torchshim_run pip3.$__ts_v \"\$@\"; }"
        eval "function python3.$__ts_v { __torchshim_python python3.$__ts_v \"\$@\"; }"
    done
    unset __ts_v
fi

# __torchshim_python NAME ARGS...: the interpreter NAME with ARGS; through
# torchshim when ARGS are `-m pip` (or -mpip) and a pip command line that
# installs (__torchshim_pip_installs).
function __torchshim_python {
    case ${2-} in
    -m) [ "${3-}" = pip ] || { command "$@"; return; } ;;
    -mpip) ;;
    *) command "$@"; return ;;
    esac
    local __ts_n=4 __ts_py
    [ "$2" = -m ] || __ts_n=3
    if __torchshim_pip_installs "${@:__ts_n}" && __ts_py=$(type -P -- "$1") && [ -n "$__ts_py" ]; then
        command @TORCHSHIM@ pip --python "$__ts_py" "${@:__ts_n}"
    else
        command "$@"
    fi
}

# __torchshim_pip_installs ARGS...: is ARGS a pip command line (the words
# after `pip`) whose subcommand, the first word after pip's general options,
# is install, download or wheel?
function __torchshim_pip_installs {
    while [ $# -gt 0 ]; do
        case $1 in
        --python | --log | --log-file | --local-log | --keyring-provider | --proxy | --retries | \
            --timeout | --exists-action | --trusted-host | --cert | --client-cert | --cache-dir | \
            --use-feature | --use-deprecated | --resume-retries)
            shift ;;
        --) shift; break ;;
        -?*) ;;
        *) break ;;
        esac
        [ $# -gt 0 ] && shift
    done
    case ${1-} in
    install | download | wheel) return 0 ;;
    esac
    return 1
}

# __torchshim_tool TOOL [ARGS...]: conda, mamba or micromamba.
function __torchshim_tool {
    local __ts_tool=$1
    shift
    case ${1-} in
    install | create | update | upgrade)
        command @TORCHSHIM@ "$__ts_tool" "$@" || return
        __torchshim_reactivate "$__ts_tool"
        ;;
    *)
        if declare -F "__torchshim_orig_$__ts_tool" >/dev/null; then
            "__torchshim_orig_$__ts_tool" "$@"
        else
            command "$__ts_tool" "$@"
        fi
        ;;
    esac
}

# After an install, what the tool's own function does: reactivate the
# environment (packages may bring activation scripts). Only when the tool's
# hook ran.
function __torchshim_reactivate {
    declare -F "__torchshim_orig_$1" >/dev/null || return 0
    if [ "$1" != conda ] && declare -F __mamba_activate >/dev/null; then
        __mamba_activate reactivate
    elif declare -F __conda_activate >/dev/null; then
        __conda_activate reactivate
    fi
}

# __torchshim_have TOOL: is TOOL a command on PATH, outside the shim directory?
function __torchshim_have {
    local __ts_dir __ts_dirs
    IFS=: read -r -a __ts_dirs <<<"${PATH-}"
    for __ts_dir in "${__ts_dirs[@]}"; do
        case $__ts_dir in
        "${TORCHSHIM_SHIMDIR-}" | [!/]*) continue ;;
        esac
        [ -f "$__ts_dir/$1" ] && [ -x "$__ts_dir/$1" ] && return 0
    done
    return 1
}

# Wrap conda, mamba and micromamba, keeping a function of theirs that is not
# ours as __torchshim_orig_<tool>. Runs before every prompt, so the usual
# case costs at most one fork: the tools' functions are all ours (checked
# against the text `declare -f` prints for them) and PATH is what it was
# last time (no new command to wrap). Keeps $? for the prompt.
function __torchshim_wrap {
    local __ts_status=$? __ts_tool __ts_def __ts_check=() __ts_ours=
    for __ts_tool in conda mamba micromamba; do
        declare -F "$__ts_tool" >/dev/null || continue
        __ts_check+=("$__ts_tool")
        __ts_ours+="${__ts_ours:+$'\n'}$__ts_tool () "$'\n'"{ "$'\n'"    __torchshim_tool $__ts_tool \"\$@\""$'\n'"}"
    done
    if [ ${#__ts_check[@]} -eq 0 ] || [ "$(declare -f "${__ts_check[@]}")" = "$__ts_ours" ]; then
        __ts_check=()
        [ "${PATH-}" = "${__torchshim_path-}" ] && return "$__ts_status"
    fi
    for __ts_tool in conda mamba micromamba; do
        if declare -F "$__ts_tool" >/dev/null; then
            case " ${__ts_check[*]-} " in *" $__ts_tool "*) ;; *) continue ;; esac
            __ts_def=$(declare -f "$__ts_tool")
            case $__ts_def in *"__torchshim_tool $__ts_tool "*) continue ;; esac
            eval "function __torchshim_orig_$__ts_tool ${__ts_def#"$__ts_tool" }"
        else
            unset -f "__torchshim_orig_$__ts_tool"
            __torchshim_have "$__ts_tool" || continue
        fi
        eval "function $__ts_tool { __torchshim_tool $__ts_tool \"\$@\"; }"
    done
    __torchshim_path=${PATH-}
    return "$__ts_status"
}

function __torchshim_uninit {
    local __ts_tool __ts_def __ts_path
    for __ts_tool in conda mamba micromamba; do
        if declare -F "__torchshim_orig_$__ts_tool" >/dev/null; then
            __ts_def=$(declare -f "__torchshim_orig_$__ts_tool")
            eval "function $__ts_tool ${__ts_def#"__torchshim_orig_$__ts_tool" }"
            unset -f "__torchshim_orig_$__ts_tool"
        elif declare -F "$__ts_tool" >/dev/null; then
            __ts_def=$(declare -f "$__ts_tool")
            case $__ts_def in *"__torchshim_tool $__ts_tool "*) unset -f "$__ts_tool" ;; esac
        fi
    done
    if [ -n "${TORCHSHIM_SHIMDIR-}" ]; then
        __ts_path=:$PATH:
        while [ "${__ts_path#*:"$TORCHSHIM_SHIMDIR":}" != "$__ts_path" ]; do
            __ts_path=${__ts_path/:"$TORCHSHIM_SHIMDIR":/:}
        done
        __ts_path=${__ts_path#:}
        PATH=${__ts_path%:}
        unset TORCHSHIM_SHIMDIR
    fi
    if [ -n "${PROMPT_COMMAND-}" ]; then
        PROMPT_COMMAND=${PROMPT_COMMAND//__torchshim_wrap;/}
        PROMPT_COMMAND=${PROMPT_COMMAND//__torchshim_wrap/}
    fi
    [ -n "${PROMPT_COMMAND[*]-}" ] || unset PROMPT_COMMAND
    for __ts_tool in @PYMINORS@; do
        unset -f "pip3.$__ts_tool" "python3.$__ts_tool" 2>/dev/null
    done
    unset -f pip pip3 python python3 __torchshim_run __torchshim_python __torchshim_pip_installs \
        __torchshim_tool __torchshim_reactivate __torchshim_have __torchshim_wrap __torchshim_uninit
    unset __torchshim_path
}

if [ -n @SHIMDIR@ ] && [ -d @SHIMDIR@ ]; then
    export TORCHSHIM_SHIMDIR=@SHIMDIR@
    case :${PATH-}: in
    *:"$TORCHSHIM_SHIMDIR":*) ;;
    *) export PATH="$TORCHSHIM_SHIMDIR${PATH:+:$PATH}" ;;
    esac
fi

case ";${PROMPT_COMMAND[*]-};" in
*__torchshim_wrap*) ;;
*) PROMPT_COMMAND="__torchshim_wrap${PROMPT_COMMAND:+;$PROMPT_COMMAND}" ;;
esac

__torchshim_wrap

for __ts_tool in pip pip3 conda mamba micromamba; do
    if alias "$__ts_tool" >/dev/null 2>&1; then
        printf 'torchshim: warning: the alias %s hides the %s function torchshim defines; remove it (unalias %s)\n' \
            "$__ts_tool" "$__ts_tool" "$__ts_tool" >&2
    fi
done
unset __ts_tool
