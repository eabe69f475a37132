# torchshim.fish — torchshim's fish integration:  torchshim init fish | source
#
# `torchshim init fish` prints this file with, in its code (comment lines are
# printed as they are), @TORCHSHIM@ replaced by the absolute path of torchshim
# and @SHIMDIR@ by its shim directory ('' if none), both quoted, and
# @PYMINORS@ by the Python 3 minor versions that get functions of their own
# (8 to 15). Sourcing it again changes nothing.
#
# Why functions and not only the shim directory on PATH:
#   - `conda activate` puts the environment's bin/ first on PATH, so after it
#     the environment's own pip wins over a pip in the shim directory;
#   - once conda's hook ran (`conda shell.fish hook | source`), `conda` is a
#     function that runs $CONDA_EXE: a conda on PATH is never reached.
# So:
#   pip, pip3, pip3.X (X: @PYMINORS@)
#               -> torchshim pip|pip3|pip3.X, which runs the next real one on
#                  PATH (the active environment's), skipping the shim dir;
#   python, python3, python3.X:
#     -m pip [general options] install|download|wheel ...
#               -> torchshim pip --python PY ..., PY the interpreter the shell
#                  would run (command -s), so the install targets it;
#     anything else (a script, -c, -m venv, -m pip list, ...) -> the
#                  interpreter, with the same words: `command python3 $argv`
#                  (no fork added; the test of $argv[1] is all it costs);
#   conda, mamba, micromamba:
#     install|create|update|upgrade -> torchshim <tool> (the real conda is
#                  $CONDA_EXE, mamba's $MAMBA_EXE), then the tool's own
#                  reactivation, as its function does after an install;
#     anything else (activate, deactivate, env, run, ...) -> the tool's own
#                  function, kept as __torchshim_orig_<tool>, or the command
#                  on PATH when the tool has no function.
# A conda or mamba hook sourced after this snippet defines its function
# again: __torchshim_wrap, run now and before every prompt (fish_prompt
# event), keeps that one as the original and wraps it again. A tool is
# wrapped only when it is there: a function, or a command on PATH outside
# the shim directory.
# The shim directory stays on PATH (once) for scripts; TORCHSHIM_SHIMDIR
# tells torchshim to skip it when it looks for the real tools.
# __torchshim_uninit undoes all of it (torchshim init --uninstall fish).

function pip --description 'pip through torchshim'
    command @TORCHSHIM@ pip $argv
end

function pip3 --description 'pip3 through torchshim'
    command @TORCHSHIM@ pip3 $argv
end

function python --description 'python, with -m pip installs through torchshim'
    __torchshim_python python $argv
end

function python3 --description 'python3, with -m pip installs through torchshim'
    __torchshim_python python3 $argv
end

# __torchshim_run ARGS...: torchshim ARGS (for the functions defined by eval).
function __torchshim_run --description 'torchshim'
    command @TORCHSHIM@ $argv
end

for __ts_v in @PYMINORS@
    eval "function pip3.$__ts_v --description 'pip3.$__ts_v through torchshim'; __torchshim_run pip3.$__ts_v \$argv; end"
    eval "function python3.$__ts_v --description 'python3.$__ts_v, with -m pip installs through torchshim'; __torchshim_python python3.$__ts_v \$argv; end"
end
set -e __ts_v

# __torchshim_python NAME ARGS...: the interpreter NAME with ARGS; through
# torchshim when ARGS are `-m pip` (or -mpip) and a pip command line that
# installs (__torchshim_pip_installs).
function __torchshim_python --description 'python, with -m pip installs through torchshim'
    set -l __ts_n 0
    switch "$argv[2]"
        case -m
            test "$argv[3]" = pip
            and set __ts_n 4
        case -mpip
            set __ts_n 3
    end
    set -l __ts_py
    if test $__ts_n -gt 0
        and __torchshim_pip_installs $argv[$__ts_n..-1]
        and set __ts_py (command -s -- $argv[1])
        command @TORCHSHIM@ pip --python $__ts_py[1] $argv[$__ts_n..-1]
    else
        command $argv
    end
end

# __torchshim_pip_installs ARGS...: is ARGS a pip command line (the words
# after `pip`) whose subcommand, the first word after pip's general options,
# is install, download or wheel?
function __torchshim_pip_installs
    set -l __ts_skip 0
    for __ts_a in $argv
        if test $__ts_skip = 1
            set __ts_skip 0
            continue
        else if test $__ts_skip = 2
            contains -- $__ts_a install download wheel
            return
        end
        switch $__ts_a
            case --python --log --log-file --local-log --keyring-provider --proxy --retries \
                --timeout --exists-action --trusted-host --cert --client-cert --cache-dir \
                --use-feature --use-deprecated --resume-retries
                set __ts_skip 1
            case --
                set __ts_skip 2
            case -
                return 1
            case '-*'
            case '*'
                contains -- $__ts_a install download wheel
                return
        end
    end
    return 1
end

# __torchshim_tool TOOL [ARGS...]: conda, mamba or micromamba.
function __torchshim_tool --description 'conda, mamba or micromamba through torchshim'
    set -l __ts_tool $argv[1]
    set -e argv[1]
    switch "$argv[1]"
        case install create update upgrade
            command @TORCHSHIM@ $__ts_tool $argv
            or return
            __torchshim_reactivate $__ts_tool
        case '*'
            if functions -q __torchshim_orig_$__ts_tool
                __torchshim_orig_$__ts_tool $argv
            else
                command $__ts_tool $argv
            end
    end
end

# After an install, what the tool's own function does: reactivate the
# environment (packages may bring activation scripts). Only when the tool's
# hook ran.
function __torchshim_reactivate --argument-names __ts_tool
    functions -q __torchshim_orig_$__ts_tool
    or return 0
    if test $__ts_tool = conda
        set -q CONDA_EXE
        and $CONDA_EXE shell.fish reactivate | source
    else
        set -q MAMBA_EXE
        and $MAMBA_EXE shell reactivate --shell fish | source
    end
end

# __torchshim_have TOOL: is TOOL a command on PATH, outside the shim directory?
function __torchshim_have --argument-names __ts_name
    for __ts_dir in $PATH
        string match -q -- '/*' $__ts_dir
        or continue
        set -q TORCHSHIM_SHIMDIR; and test $__ts_dir = $TORCHSHIM_SHIMDIR
        and continue
        test -f $__ts_dir/$__ts_name -a -x $__ts_dir/$__ts_name
        and return 0
    end
    return 1
end

# Wrap conda, mamba and micromamba, keeping a function of theirs that is not
# ours as __torchshim_orig_<tool>. Keeps $status for the prompt.
function __torchshim_wrap --on-event fish_prompt
    set -l __ts_status $status
    for __ts_tool in conda mamba micromamba
        if functions -q $__ts_tool
            string match -q -- "*__torchshim_tool $__ts_tool *" (functions $__ts_tool)
            and continue
            functions -e __torchshim_orig_$__ts_tool
            functions -c $__ts_tool __torchshim_orig_$__ts_tool
        else
            functions -e __torchshim_orig_$__ts_tool
            __torchshim_have $__ts_tool
            or continue
        end
        functions -e $__ts_tool
        eval "function $__ts_tool --description '$__ts_tool through torchshim'; __torchshim_tool $__ts_tool \$argv; end"
    end
    return $__ts_status
end

function __torchshim_uninit
    for __ts_tool in conda mamba micromamba
        if functions -q __torchshim_orig_$__ts_tool
            functions -e $__ts_tool
            functions -c __torchshim_orig_$__ts_tool $__ts_tool
            functions -e __torchshim_orig_$__ts_tool
        else if functions -q $__ts_tool
            string match -q -- "*__torchshim_tool $__ts_tool *" (functions $__ts_tool)
            and functions -e $__ts_tool
        end
    end
    if set -q TORCHSHIM_SHIMDIR
        if set -l __ts_i (contains -i -- $TORCHSHIM_SHIMDIR $PATH)
            set -e PATH[$__ts_i]
        end
        set -e TORCHSHIM_SHIMDIR
    end
    for __ts_v in @PYMINORS@
        functions -e pip3.$__ts_v python3.$__ts_v
    end
    functions -e pip pip3 python python3 __torchshim_run __torchshim_python \
        __torchshim_pip_installs __torchshim_tool __torchshim_reactivate __torchshim_have \
        __torchshim_wrap __torchshim_uninit
end

if test -n @SHIMDIR@; and test -d @SHIMDIR@
    set -gx TORCHSHIM_SHIMDIR @SHIMDIR@
    contains -- $TORCHSHIM_SHIMDIR $PATH
    or set -gx PATH $TORCHSHIM_SHIMDIR $PATH
end

__torchshim_wrap

for __ts_name in pip pip3 conda mamba micromamba
    if abbr -q $__ts_name
        echo "torchshim: warning: the abbreviation $__ts_name expands before the $__ts_name function torchshim defines; remove it (abbr -e $__ts_name)" >&2
    end
end
set -e __ts_name
