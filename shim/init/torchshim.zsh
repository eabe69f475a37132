# torchshim.zsh — torchshim's zsh integration:  eval "$(torchshim init zsh)"
#
# `torchshim init zsh` prints this file with, in its code (comment lines are
# printed as they are), @TORCHSHIM@ replaced by the absolute path of torchshim
# and @SHIMDIR@ by its shim directory ('' if none), both quoted, and
# @PYMINORS@ by the Python 3 minor versions that get functions of their own
# (8 to 15). Evaluating it again changes nothing.
#
# Why shell functions and not only the shim directory on PATH:
#   - `conda activate` puts the environment's bin/ first on PATH, so after it
#     the environment's own pip wins over a pip in the shim directory;
#   - once conda's hook ran (`conda shell.zsh hook`), `conda` is a shell
#     function that runs $CONDA_EXE: a conda on PATH is never reached.
# So:
#   pip, pip3, pip3.X (X: @PYMINORS@)
#               -> torchshim pip|pip3|pip3.X, which runs the next real one on
#                  PATH (the active environment's), skipping the shim dir;
#   python, python3, python3.X:
#     -m pip [general options] install|download|wheel ...
#               -> torchshim pip --python PY ..., PY the interpreter the shell
#                  would run ($commands[NAME]), so the install targets it;
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
# again: __torchshim_wrap, run now and before every prompt (precmd hook),
# keeps that one as the original and wraps it again. A tool is wrapped only
# when it is there: a function, or a command on PATH outside the shim dir.
# The shim directory stays on PATH (once) for scripts; TORCHSHIM_SHIMDIR
# tells torchshim to skip it when it looks for the real tools.
# __torchshim_uninit undoes all of it (torchshim init --uninstall zsh).

zmodload zsh/parameter 2>/dev/null

function pip { command @TORCHSHIM@ pip "$@"; }
function pip3 { command @TORCHSHIM@ pip3 "$@"; }
function python { __torchshim_python python "$@"; }
function python3 { __torchshim_python python3 "$@"; }

# __torchshim_run ARGS...: torchshim ARGS (for the functions defined below).
function __torchshim_run { command @TORCHSHIM@ "$@"; }

() {
    emulate -L zsh
    local v
    for v in @PYMINORS@; do
        functions[pip3.$v]="__torchshim_run pip3.$v \"\$@\""
        functions[python3.$v]="__torchshim_python python3.$v \"\$@\""
    done
}

# __torchshim_python NAME ARGS...: the interpreter NAME with ARGS; through
# torchshim when ARGS are `-m pip` (or -mpip) and a pip command line that
# installs (__torchshim_pip_installs).
function __torchshim_python {
    case ${2-} in
    (-m) [[ ${3-} == pip ]] || { command "$@"; return; } ;;
    (-mpip) ;;
    (*) command "$@"; return ;;
    esac
    emulate -L zsh
    local -i n=4
    [[ $2 == -m ]] || n=3
    local py=${commands[$1]-}
    if [[ -n $py ]] && __torchshim_pip_installs "${@[n,-1]}"; then
        command @TORCHSHIM@ pip --python "$py" "${@[n,-1]}"
    else
        command "$@"
    fi
}

# __torchshim_pip_installs ARGS...: is ARGS a pip command line (the words
# after `pip`) whose subcommand, the first word after pip's general options,
# is install, download or wheel?
function __torchshim_pip_installs {
    emulate -L zsh
    local -i i=1
    while (( i <= $# )); do
        case ${@[i]} in
        (--python | --log | --log-file | --local-log | --keyring-provider | --proxy | --retries | \
            --timeout | --exists-action | --trusted-host | --cert | --client-cert | --cache-dir | \
            --use-feature | --use-deprecated | --resume-retries)
            i+=1 ;;
        (--) i+=1; break ;;
        (-?*) ;;
        (*) break ;;
        esac
        i+=1
    done
    [[ ${@[i]-} == (install|download|wheel) ]]
}

# __torchshim_tool TOOL [ARGS...]: conda, mamba or micromamba.
function __torchshim_tool {
    local __ts_tool=$1
    shift
    case ${1-} in
    (install | create | update | upgrade)
        command @TORCHSHIM@ "$__ts_tool" "$@" || return
        __torchshim_reactivate "$__ts_tool"
        ;;
    (*)
        if (( ${+functions[__torchshim_orig_$__ts_tool]} )); then
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
    (( ${+functions[__torchshim_orig_$1]} )) || return 0
    if [[ $1 != conda ]] && (( ${+functions[__mamba_activate]} )); then
        __mamba_activate reactivate
    elif (( ${+functions[__conda_activate]} )); then
        __conda_activate reactivate
    fi
}

# __torchshim_have TOOL: is TOOL a command on PATH, outside the shim directory?
function __torchshim_have {
    emulate -L zsh
    local __ts_dir
    for __ts_dir in $path; do
        [[ $__ts_dir == /* && $__ts_dir != ${TORCHSHIM_SHIMDIR-} ]] || continue
        [[ -f $__ts_dir/$1 && -x $__ts_dir/$1 ]] && return 0
    done
    return 1
}

# Wrap conda, mamba and micromamba, keeping a function of theirs that is not
# ours as __torchshim_orig_<tool>. Keeps $? for the prompt.
function __torchshim_wrap {
    local __ts_status=$?
    emulate -L zsh
    local __ts_tool
    for __ts_tool in conda mamba micromamba; do
        if (( ${+functions[$__ts_tool]} )); then
            [[ $functions[$__ts_tool] == *"__torchshim_tool $__ts_tool "* ]] && continue
            functions[__torchshim_orig_$__ts_tool]=$functions[$__ts_tool]
        else
            unset "functions[__torchshim_orig_$__ts_tool]"
            __torchshim_have $__ts_tool || continue
        fi
        functions[$__ts_tool]="__torchshim_tool $__ts_tool \"\$@\""
    done
    return $__ts_status
}

function __torchshim_uninit {
    emulate -L zsh
    local __ts_tool
    for __ts_tool in conda mamba micromamba; do
        if (( ${+functions[__torchshim_orig_$__ts_tool]} )); then
            functions[$__ts_tool]=$functions[__torchshim_orig_$__ts_tool]
            unset "functions[__torchshim_orig_$__ts_tool]"
        elif [[ $functions[$__ts_tool] == *"__torchshim_tool $__ts_tool "* ]]; then
            unset "functions[$__ts_tool]"
        fi
    done
    if [[ -n ${TORCHSHIM_SHIMDIR-} ]]; then
        path=(${path:#$TORCHSHIM_SHIMDIR})
        unset TORCHSHIM_SHIMDIR
    fi
    precmd_functions=(${precmd_functions:#__torchshim_wrap})
    for __ts_tool in @PYMINORS@; do
        unset "functions[pip3.$__ts_tool]" "functions[python3.$__ts_tool]"
    done
    unset -f pip pip3 python python3 __torchshim_run __torchshim_python __torchshim_pip_installs \
        __torchshim_tool __torchshim_reactivate __torchshim_have __torchshim_wrap __torchshim_uninit
}

() {
    emulate -L zsh
    if [[ -n @SHIMDIR@ && -d @SHIMDIR@ ]]; then
        export TORCHSHIM_SHIMDIR=@SHIMDIR@
        (( ${path[(Ie)$TORCHSHIM_SHIMDIR]} )) || path=("$TORCHSHIM_SHIMDIR" $path)
        export PATH
    fi
    (( ${precmd_functions[(Ie)__torchshim_wrap]} )) || precmd_functions+=(__torchshim_wrap)
    __torchshim_wrap
    local n
    for n in pip pip3 conda mamba micromamba; do
        if (( ${+aliases[$n]} )); then
            print -ru2 -- "torchshim: warning: the alias $n hides the $n function torchshim defines; remove it (unalias $n)"
        fi
    done
}
