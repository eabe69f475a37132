#!/usr/bin/env bats
# torchshim init: the shell functions, in real bash, zsh and fish, against a
# fake conda install whose shell hook is written like conda's own
# (`conda shell.bash hook`: a conda() function running $CONDA_EXE, activate
# through `conda shell.posix activate`, reactivation after installs).
#
#   $P  an installed torchshim: bin/torchshim (a copy of the built one),
#       libexec/torchshim/torchshim-engine, share/torchshim/init/ (the
#       snippets), share/torchshim/shims/{pip,pip3,conda,mamba,micromamba}
#   $C  the conda install: bin/conda (the CLI, logs to $C/conda.log),
#       bin/pip{,3} (base), envs/myenv/bin/pip{,3}; the pips log to $T/pip.log.
#       Logged lines start with guard=yes when torchshim ran the tool.
#       The python tests add (make_pythons) python, python3, python3.11 and
#       pip3.11 to bin/ and envs/myenv/bin/; the pythons log to $T/py.log.
# PATH is "$P/bin:$C/bin:/usr/bin:/bin". A zsh or fish test is skipped when
# that shell is not installed.

bats_require_minimum_version 1.5.0
load helper

setup() {
    setup_shim_env
    P=$T/prefix C=$T/conda
    SHIMDIR=$P/share/torchshim/shims
    export P C T SHIMDIR
    make_prefix
    make_conda
    export PATH="$P/bin:$C/bin:/usr/bin:/bin"
    unset PROMPT_COMMAND ZDOTDIR XDG_CONFIG_HOME
}
teardown() { teardown_shim_env; }

make_prefix() {
    mkdir -p "$P/bin" "$P/libexec/torchshim" "$P/share/torchshim/init" "$SHIMDIR"
    cp "$SHIM" "$P/bin/torchshim"
    ln -s "$BUILD/torchshim-engine" "$P/libexec/torchshim/torchshim-engine"
    cp "$TOP"/shim/init/torchshim.* "$P/share/torchshim/init/"
    for n in pip pip3 conda mamba micromamba; do ln -s "$P/bin/torchshim" "$SHIMDIR/$n"; done
}

# A pip that logs where it is, its arguments, and whether torchshim ran it.
fake_pip() {
    mkdir -p "$(dirname "$1")"
    cat >"$1" <<'EOS'
#!/bin/sh
echo "guard=${TORCHSHIM_GUARD:+yes} $0 $*" >> "$T/pip.log"
EOS
    chmod +x "$1"
}

make_conda() {
    mkdir -p "$C/bin" "$C/etc" "$C/envs/myenv/bin"
    for n in pip pip3; do
        fake_pip "$C/bin/$n"
        fake_pip "$C/envs/myenv/bin/$n"
    done
    cat >"$C/bin/conda" <<'EOS'
#!/bin/sh
# conda's CLI, the parts the shell hooks use; anything else is logged.
root=${0%/bin/conda}
case $1 in
shell.posix | shell.bash | shell.zsh)
    case $2 in
    hook)
        printf "export CONDA_EXE='%s'\n" "$0"
        cat "$root/etc/hook.sh" ;;
    activate)
        printf "export CONDA_PREFIX='%s' CONDA_DEFAULT_ENV='%s' PATH='%s'\n" \
            "$root/envs/$3" "$3" "$root/envs/$3/bin:$PATH" ;;
    deactivate)
        printf "export PATH='%s'; unset CONDA_PREFIX CONDA_DEFAULT_ENV\n" \
            "$(printf '%s' "$PATH" | sed "s|$CONDA_PREFIX/bin:||")" ;;
    reactivate)
        echo "export FAKE_REACTIVATED=yes" ;;
    esac ;;
shell.fish)
    case $2 in
    hook)
        printf "set -gx CONDA_EXE '%s'\n" "$0"
        cat "$root/etc/hook.fish" ;;
    activate)
        printf "set -gx CONDA_PREFIX '%s'; set -gx CONDA_DEFAULT_ENV '%s'; set -gx PATH '%s' \$PATH\n" \
            "$root/envs/$3" "$3" "$root/envs/$3/bin" ;;
    reactivate)
        echo "set -gx FAKE_REACTIVATED yes" ;;
    esac ;;
*)
    echo "guard=${TORCHSHIM_GUARD:+yes} $0 $*" >> "$root/conda.log" ;;
esac
EOS
    chmod +x "$C/bin/conda"
    cat >"$C/etc/hook.sh" <<'EOS'
__conda_exe() (
    "$CONDA_EXE" "$@"
)
__conda_hashr() {
    if [ -n "${ZSH_VERSION:+x}" ]; then
        \rehash
    else
        \hash -r
    fi
}
__conda_activate() {
    \local ask_conda
    ask_conda="$(PS1="${PS1:-}" __conda_exe shell.posix "$@")" || \return
    \eval "$ask_conda"
    __conda_hashr
}
conda() {
    \local cmd="${1-__missing__}"
    case "$cmd" in
        activate|deactivate)
            __conda_activate "$@"
            ;;
        install|update|upgrade|remove|uninstall)
            __conda_exe "$@" || \return
            __conda_activate reactivate
            ;;
        *)
            __conda_exe "$@"
            ;;
    esac
}
EOS
    cat >"$C/etc/hook.fish" <<'EOS'
function conda --inherit-variable CONDA_EXE
    if [ (count $argv) -lt 1 ]
        $CONDA_EXE
    else
        set -l cmd $argv[1]
        set -e argv[1]
        switch $cmd
            case activate deactivate
                eval ($CONDA_EXE shell.fish $cmd $argv)
            case install update upgrade remove uninstall
                $CONDA_EXE $cmd $argv
                and eval ($CONDA_EXE shell.fish reactivate)
            case '*'
                $CONDA_EXE $cmd $argv
        end
    end
end
EOS
}

# A Python interpreter that appends "guard=[yes] $0 [arg]..." (each argument
# in brackets) to $T/py.log; `-c 'print(1)'` prints 1, `-` copies stdin to
# stdout with "stdin: " before each line; exits with $FAKE_EXIT (0). The
# engine's question `-E -S -c ...` (which Python is this) gets 3.11.9, unlogged.
fake_python() {
    mkdir -p "$(dirname "$1")"
    cat >"$1" <<'EOS'
#!/bin/sh
[ "$1 $2" = "-E -S" ] && echo 3.11.9 && exit 0
{ printf 'guard=%s %s' "${TORCHSHIM_GUARD:+yes}" "$0"; printf ' [%s]' "$@"; echo; } >> "$T/py.log"
case $1 in
-c) [ "$2" = 'print(1)' ] && echo 1 ;;
-) sed 's/^/stdin: /' ;;
esac
exit "${FAKE_EXIT:-0}"
EOS
    chmod +x "$1"
}

# Pythons and a pip3.11 in conda's base and in myenv (only for the tests that
# use them: the other tests' tools must not find a fake python3 on PATH).
make_pythons() {
    for d in "$C/bin" "$C/envs/myenv/bin"; do
        fake_python "$d/python"
        fake_python "$d/python3"
        fake_python "$d/python3.11"
        fake_pip "$d/pip3.11"
    done
}

# The python part of the shell tests, for bash and zsh ($? for @RC@) and fish
# ($status): routed and untouched uses of python3, then the same after
# `conda activate myenv` (its bin/ first on PATH). check_python_run checks
# what it prints and what the tools logged.
python_script() {
    sed "s/@RC@/$1/g" <<'EOS'
TORCHSHIM_DRY_RUN=1 python3 -m pip install torch --index-url https://download.pytorch.org/whl/cu121
python3 -m pip install numpy
python -m pip download numpy
python3 -m pip --proxy http://127.0.0.1:9 --isolated download "numpy<2" -d "a dir"
python3 -mpip wheel numpy
python3.11 -m pip --cache-dir install -v wheel numpy
python3 -m pip list; echo "rc=@RC@"
python3 -m pip --cache-dir install list
python3 -m pip --log install.txt --proxy install list
python3 -m piprocks install torch
python3 -m venv "my env"
python3 -c 'print(1)'; echo "rc=@RC@"
FAKE_EXIT=3 python3 script.py "a b" "" '*'; echo "rc=@RC@"
FAKE_EXIT=4 python3 -m pip install torch -i http://127.0.0.1:9/simple; echo "rc=@RC@"
echo hello | python3 -
conda activate myenv; echo "prefix=$CONDA_PREFIX"
pip3.11 install numpy
pip3.11 list
python3 -m pip install numpy
TORCHSHIM_DRY_RUN=1 python3.11 -m pip install torch
EOS
}

# check_python_run TYPES: $output, $status and the logs after a shell ran
# one line printing the types of python python3 python3.8 python3.15 pip3.11
# (TYPES), then python_script.
check_python_run() {
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$1" ]
    # the dry run prints `PY -m pip ...`: torchshim pip --python PY, PY as
    # the shell found python3 (first on PATH: conda's base)
    [[ "${lines[1]}" == "$C/bin/python3 -m pip install torch "* ]]
    [ "${lines[2]}" = rc=0 ]             # pip list
    [ "${lines[3]}" = 1 ]                # -c 'print(1)': its stdout
    [ "${lines[4]}" = rc=0 ]
    [ "${lines[5]}" = rc=3 ]             # a script's exit status
    [ "${lines[6]}" = rc=4 ]             # ... and pip's, through torchshim
    [ "${lines[7]}" = "stdin: hello" ]   # stdin reaches the interpreter
    [ "${lines[8]}" = "prefix=$C/envs/myenv" ]
    [[ "${lines[9]}" == "$C/envs/myenv/bin/python3.11 -m pip install torch "* ]]
    [ "${#lines[@]}" -eq 10 ]
    # guard=yes: torchshim ran it; every word kept as it was
    diff -u - "$T/py.log" <<EOS
guard=yes $C/bin/python3 [-m] [pip] [install] [numpy]
guard=yes $C/bin/python [-m] [pip] [download] [numpy]
guard=yes $C/bin/python3 [-m] [pip] [--proxy] [http://127.0.0.1:9] [--isolated] [download] [numpy<2] [-d] [a dir]
guard=yes $C/bin/python3 [-m] [pip] [wheel] [numpy]
guard=yes $C/bin/python3.11 [-m] [pip] [--cache-dir] [install] [-v] [wheel] [numpy]
guard= $C/bin/python3 [-m] [pip] [list]
guard= $C/bin/python3 [-m] [pip] [--cache-dir] [install] [list]
guard= $C/bin/python3 [-m] [pip] [--log] [install.txt] [--proxy] [install] [list]
guard= $C/bin/python3 [-m] [piprocks] [install] [torch]
guard= $C/bin/python3 [-m] [venv] [my env]
guard= $C/bin/python3 [-c] [print(1)]
guard= $C/bin/python3 [script.py] [a b] [] [*]
guard=yes $C/bin/python3 [-m] [pip] [install] [torch] [-i] [http://127.0.0.1:9/simple]
guard= $C/bin/python3 [-]
guard=yes $C/envs/myenv/bin/python3 [-m] [pip] [install] [numpy]
EOS
    # after conda activate, the environment's pip3.11, through torchshim
    diff -u - "$T/pip.log" <<EOS
guard=yes $C/envs/myenv/bin/pip3.11 install numpy
guard=yes $C/envs/myenv/bin/pip3.11 list
EOS
}

need() { command -v "$1" >/dev/null || skip "$1 is not installed"; }

# in_shell SHELL SCRIPT: run SCRIPT in a fresh, non-interactive SHELL, no rc files.
in_shell() {
    case $1 in
    bash) bash --noprofile --norc -c "$2" ;;
    zsh) zsh -f -c "$2" ;;
    fish) fish --no-config -c "$2" ;;
    esac
}

# The set-up lines of an rc file for SHELL: conda's block, then torchshim's.
conda_then_init() {
    case $1 in
    bash | zsh) printf '%s\n' "eval \"\$(\"\$C/bin/conda\" shell.$1 hook)\"" \
        "eval \"\$(\"\$P/bin/torchshim\" init $1)\"" ;;
    fish) printf '%s\n' '$C/bin/conda shell.fish hook | source' \
        '$P/bin/torchshim init fish | source' ;;
    esac
}

# ---- torchshim init itself -------------------------------------------------

@test "init from the build tree: the snippet in shim/init, torchshim's real path, no shim dir" {
    run --separate-stderr "$SHIM" init bash
    [ "$status" -eq 0 ]
    local real
    real=$(readlink -f "$SHIM")
    [[ "$output" == *"function pip { command '$real' pip \"\$@\"; }"* ]]
    [[ "$output" == *"if [ -n '' ] && [ -d '' ]; then"* ]]
    [[ "$(code_of "$output")" != *@TORCHSHIM@* && "$(code_of "$output")" != *@SHIMDIR@* ]]
    [ -z "$stderr" ]
}

# code_of TEXT / comments_of TEXT: TEXT's lines that are code / whole-line comments.
code_of() { grep -v '^[[:space:]]*#' <<<"$1"; }
comments_of() { grep '^[[:space:]]*#' <<<"$1"; }

@test "init from a prefix: every placeholder replaced, the prefix's shim dir quoted" {
    for sh in bash zsh fish; do
        run --separate-stderr "$P/bin/torchshim" init "$sh"
        [ "$status" -eq 0 ]
        [[ "$output" == *"command '$P/bin/torchshim' pip"* ]]
        [[ "$output" == *"TORCHSHIM_SHIMDIR '$SHIMDIR'"* || "$output" == *"TORCHSHIM_SHIMDIR='$SHIMDIR'"* ]]
        local code comments
        code=$(code_of "$output") comments=$(comments_of "$output")
        [[ "$code" != *@TORCHSHIM@* && "$code" != *@SHIMDIR@* && "$code" != *@PYMINORS@* ]]
        [[ "$code" == *" in 8 9 10 11 12 13 14 15"* ]]
        # the header (issue 10 item 6): the placeholders by name, no path
        [[ "$comments" == *"@TORCHSHIM@ replaced by the absolute path of torchshim"* ]]
        [[ "$comments" == *"@SHIMDIR@ by its shim directory"* ]]
        [[ "$comments" != *"$T"* ]]
        [[ "$comments" == "# torchshim.$sh — torchshim's $sh integration:"* ]]
    done
}

@test "a path with a quote and a space survives the quoting in every shell" {
    local odd="$T/it's a dir"
    mkdir -p "$odd/bin" "$odd/share/torchshim"
    cp "$P/bin/torchshim" "$odd/bin/"
    cp -r "$P/share/torchshim/init" "$odd/share/torchshim/"
    run bash --noprofile --norc -c 'eval "$("$1/bin/torchshim" init bash)" && type pip && TORCHSHIM_DRY_RUN=1 pip list' _ "$odd"
    [ "$status" -eq 0 ]
    [[ "$output" == *"$C/bin/pip list"* ]]
    if command -v fish >/dev/null; then
        run fish --no-config -c '$argv[1]/bin/torchshim init fish | source; and TORCHSHIM_DRY_RUN=1 pip list' "$odd"
        [ "$status" -eq 0 ]
        [ "$output" = "$C/bin/pip list" ]
    fi
}

@test "init without a shell reads SHELL; an unknown shell is an error naming bash|zsh|fish" {
    SHELL=/usr/bin/zsh run "$P/bin/torchshim" init
    [ "$status" -eq 0 ]
    [[ "$output" == "# torchshim.zsh"* ]]
    SHELL=/usr/local/bin/fish run "$P/bin/torchshim" init
    [ "$status" -eq 0 ]
    [[ "$output" == "# torchshim.fish"* ]]
    SHELL=/bin/tcsh run "$P/bin/torchshim" init
    [ "$status" -eq 2 ]
    [[ "$output" == *"SHELL=/bin/tcsh"*"bash|zsh|fish"* ]]
    run env -u SHELL "$P/bin/torchshim" init
    [ "$status" -eq 2 ]
    [[ "$output" == *"(unset)"*"bash|zsh|fish"* ]]
    run "$P/bin/torchshim" init ksh
    [ "$status" -eq 2 ]
    [[ "$output" == *"unsupported shell 'ksh'"*"bash|zsh|fish"* ]]
    run "$P/bin/torchshim" init --bogus
    [ "$status" -eq 2 ]
    [[ "$output" == *"unknown option '--bogus'"* ]]
    run "$P/bin/torchshim" init bash zsh
    [ "$status" -eq 2 ]
    run "$P/bin/torchshim" init --help
    [ "$status" -eq 0 ]
    [[ "$output" == "usage: torchshim init"* ]]
}

@test "no snippet anywhere: an error listing the places looked in" {
    rm -r "$P/share/torchshim/init"
    TORCHSHIM_DATADIR=$T/nowhere run "$P/bin/torchshim" init bash
    [ "$status" -eq 1 ]
    [[ "$output" == *"torchshim.bash was not found"* ]]
    [[ "$output" == *"$T/nowhere/init"* ]]
    [[ "$output" == *"$P/share/torchshim/init"* ]]
}

@test "TORCHSHIM_SHIMDIR names the shim dir when it is a directory" {
    mkdir "$T/myshims"
    TORCHSHIM_SHIMDIR=$T/myshims run "$P/bin/torchshim" init bash
    [[ "$output" == *"export TORCHSHIM_SHIMDIR='$T/myshims'"* ]]
    TORCHSHIM_SHIMDIR=$T/missing run "$P/bin/torchshim" init bash
    [[ "$output" == *"export TORCHSHIM_SHIMDIR='$SHIMDIR'"* ]]
}

# ---- bash ----------------------------------------------------------------------

@test "bash: pip and pip3 are functions running torchshim by its absolute path" {
    run in_shell bash "$(conda_then_init bash)"'
        type -t pip pip3
        declare -f pip
        TORCHSHIM_DRY_RUN=1 pip list
        TORCHSHIM_DRY_RUN=1 pip3 install numpy'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = function ] && [ "${lines[1]}" = function ]
    [[ "$output" == *"command '$P/bin/torchshim' pip \"\$@\""* ]]
    [ "${lines[-2]}" = "$C/bin/pip list" ]
    [ "${lines[-1]}" = "$C/bin/pip3 install numpy" ]
}

@test "bash: after conda activate, pip goes through torchshim to the environment's pip" {
    run in_shell bash "$(conda_then_init bash)"'
        conda activate myenv || exit 1
        echo "prefix=$CONDA_PREFIX"
        echo "path=$PATH"
        TORCHSHIM_DRY_RUN=1 pip list
        pip install -U numpy'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "prefix=$C/envs/myenv" ]
    [ "${lines[1]}" = "path=$C/envs/myenv/bin:$SHIMDIR:$P/bin:$C/bin:/usr/bin:/bin" ]
    [ "${lines[2]}" = "$C/envs/myenv/bin/pip list" ]
    [ "$(cat "$T/pip.log")" = "guard=yes $C/envs/myenv/bin/pip install -U numpy" ]
}

@test "bash: conda install goes through torchshim to \$CONDA_EXE, then reactivates" {
    run --separate-stderr in_shell bash "$(conda_then_init bash)"'
        TORCHSHIM_DRY_RUN=1 conda install pytorch -c pytorch
        echo "reactivated=${FAKE_REACTIVATED-no}"
        conda install -y numpy'
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "$C/bin/conda install pytorch "* ]]
    [ "${lines[-1]}" = "reactivated=yes" ]
    [ "$(cat "$C/conda.log")" = "guard=yes $C/bin/conda install -y numpy" ]
}

@test "bash: conda create/update/upgrade go through torchshim too" {
    run in_shell bash "$(conda_then_init bash)"'
        export TORCHSHIM_DRY_RUN=1
        conda create -n x numpy
        conda update numpy
        conda upgrade numpy'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$C/bin/conda create -n x numpy" ]
    [ "${lines[1]}" = "$C/bin/conda update numpy" ]
    [ "${lines[2]}" = "$C/bin/conda upgrade numpy" ]
    [ ! -e "$C/conda.log" ]
}

@test "bash: conda env list, activate and deactivate go to conda's own function" {
    run in_shell bash "$(conda_then_init bash)"'
        export TORCHSHIM_DRY_RUN=1
        conda env list
        conda activate myenv && echo "in=$CONDA_PREFIX"
        conda deactivate && echo "out=${CONDA_PREFIX-none} $PATH"
        conda'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "in=$C/envs/myenv" ]
    [ "${lines[1]}" = "out=none $SHIMDIR:$P/bin:$C/bin:/usr/bin:/bin" ]
    # Not through torchshim (no guard), and run for real despite the dry run.
    [ "$(sed -n 1p "$C/conda.log")" = "guard= $C/bin/conda env list" ]
    [ "$(sed -n 2p "$C/conda.log")" = "guard= $C/bin/conda " ]
}

@test "bash: init twice changes nothing" {
    run in_shell bash "$(conda_then_init bash)"'
        one=$(declare -f; echo "$PATH|$PROMPT_COMMAND|$TORCHSHIM_SHIMDIR")
        eval "$("$P/bin/torchshim" init bash)"
        two=$(declare -f; echo "$PATH|$PROMPT_COMMAND|$TORCHSHIM_SHIMDIR")
        [ "$one" = "$two" ] && echo same
        echo "$PATH"
        echo "$PROMPT_COMMAND"
        declare -f __torchshim_orig_conda | grep -c __torchshim_tool
        TORCHSHIM_DRY_RUN=1 conda install numpy
        conda activate myenv && echo "$CONDA_PREFIX"'
    [ "${lines[0]}" = same ]
    [ "${lines[1]}" = "$SHIMDIR:$P/bin:$C/bin:/usr/bin:/bin" ]
    [ "${lines[2]}" = "__torchshim_wrap" ]
    [ "${lines[3]}" = 0 ]
    [ "${lines[4]}" = "$C/bin/conda install numpy" ]
    [ "${lines[5]}" = "$C/envs/myenv" ]
}

@test "bash: the shim dir already on PATH (install.sh's line) is not added again" {
    run in_shell bash 'export PATH="$SHIMDIR:$PATH"
        eval "$("$P/bin/torchshim" init bash)"
        echo "$PATH"'
    [ "$output" = "$SHIMDIR:$P/bin:$C/bin:/usr/bin:/bin" ]
}

@test "bash: conda's hook evaluated after init is wrapped again at the next prompt" {
    printf '%s\n' 'eval "$("$P/bin/torchshim" init bash)"' \
        'eval "$("$C/bin/conda" shell.bash hook)"' >"$T/bashrc"
    run bash --noprofile --rcfile "$T/bashrc" -i <<'EOS'
TORCHSHIM_DRY_RUN=1 conda install numpy
conda activate myenv
echo "prefix=$CONDA_PREFIX"
TORCHSHIM_DRY_RUN=1 pip list
EOS
    [[ "$output" == *$'\n'"$C/bin/conda install numpy"$'\n'* ]]
    [[ "$output" == *"prefix=$C/envs/myenv"* ]]
    [[ "$output" == *$'\n'"$C/envs/myenv/bin/pip list"$'\n'* ]]
    [ ! -e "$C/conda.log" ]
}

@test "bash: without a prompt, the later hook wins until __torchshim_wrap runs" {
    run in_shell bash 'eval "$("$P/bin/torchshim" init bash)"
        eval "$("$C/bin/conda" shell.bash hook)"
        TORCHSHIM_DRY_RUN=1 conda install numpy
        __torchshim_wrap
        TORCHSHIM_DRY_RUN=1 conda install scipy
        conda activate myenv && echo "$CONDA_PREFIX"'
    [ "$status" -eq 0 ]
    [ "$(cat "$C/conda.log")" = "guard= $C/bin/conda install numpy" ]
    [ "${lines[0]}" = "$C/bin/conda install scipy" ]
    [ "${lines[1]}" = "$C/envs/myenv" ]
}

@test "bash: the prompt hook keeps \$? for the user's PROMPT_COMMAND" {
    printf '%s\n' 'PROMPT_COMMAND='\''echo "status=$?"'\' \
        'eval "$("$P/bin/torchshim" init bash)"' >"$T/bashrc"
    run bash --noprofile --rcfile "$T/bashrc" -i <<'EOS'
(exit 7)
EOS
    [[ "$output" == *"status=7"* ]]
}

@test "bash: conda as a plain command (no hook): installs through torchshim, the rest to the command" {
    run --separate-stderr in_shell bash 'eval "$("$P/bin/torchshim" init bash)"
        type -t conda
        TORCHSHIM_DRY_RUN=1 conda install pytorch -c pytorch
        conda env list'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = function ]
    [[ "${lines[1]}" == "$C/bin/conda install pytorch "* ]]
    # `command conda` finds the shim dir's conda first: torchshim passes it on.
    [ "$(cat "$C/conda.log")" = "guard=yes $C/bin/conda env list" ]
}

@test "bash: mamba and micromamba are wrapped only when they are there" {
    mkdir -p "$T/mm"
    printf '#!/bin/sh\necho "guard=${TORCHSHIM_GUARD:+yes} $0 $*" >> "$T/mm.log"\n' >"$T/mm/micromamba"
    chmod +x "$T/mm/micromamba"
    run --separate-stderr in_shell bash 'eval "$("$P/bin/torchshim" init bash)"
        echo "mamba=$(declare -F mamba) micromamba=$(declare -F micromamba)"
        PATH=$PATH:$T/mm
        __torchshim_wrap
        echo "micromamba=$(declare -F micromamba)"
        TORCHSHIM_DRY_RUN=1 micromamba install pytorch -c pytorch
        micromamba env list'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "mamba= micromamba=" ]
    [ "${lines[1]}" = "micromamba=micromamba" ]
    [[ "${lines[2]}" == "$T/mm/micromamba install pytorch "* ]]
    [ "$(cat "$T/mm.log")" = "guard=yes $T/mm/micromamba env list" ]
}

@test "bash: an alias for pip is reported, and does not break the definitions" {
    run --separate-stderr in_shell bash 'shopt -s expand_aliases
        alias pip="echo aliased"
        eval "$("$P/bin/torchshim" init bash)"
        unalias pip
        declare -f pip | grep -c "command .*/bin/torchshim. pip"
        TORCHSHIM_DRY_RUN=1 pip list'
    [ "$status" -eq 0 ]
    [[ "$stderr" == *"the alias pip hides the pip function"* ]]
    [ "${lines[0]}" = 1 ]
    [ "${lines[1]}" = "$C/bin/pip list" ]
}

@test "bash: --uninstall says what to delete, and evaluating it undoes init" {
    run --separate-stderr "$P/bin/torchshim" init --uninstall bash
    [ "$status" -eq 0 ]
    [[ "$output" == *"from ~/.bashrc:"*"eval \"\$($P/bin/torchshim init bash)\""* ]]
    [[ "$output" == *"rm -r $SHIMDIR"* ]]
    [[ "$output" == *"unset -f pip pip3 pip3.8 pip3.9 "* ]]
    [[ "$output" == *" python python3 python3.8 "*" python3.15 "*"__torchshim_uninit"$'\n'* ]]
    run in_shell bash "$(conda_then_init bash)"'
        before=$(declare -f __torchshim_orig_conda | tail -n +2)
        eval "$("$P/bin/torchshim" init --uninstall bash)" || exit 1
        [ "$(declare -f conda | tail -n +2)" = "$before" ] && echo "conda restored"
        declare -F | grep -c torchshim
        declare -F pip || echo "no pip function"
        echo "path=$PATH shimdir=${TORCHSHIM_SHIMDIR-unset} pc=${PROMPT_COMMAND-unset}"
        echo "left:" $(declare -F python python3 python3.8 python3.11 python3.15 pip3.11)
        conda activate myenv && echo "$CONDA_PREFIX"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "conda restored" ]
    [ "${lines[1]}" = 0 ]
    [ "${lines[2]}" = "no pip function" ]
    [ "${lines[3]}" = "path=$P/bin:$C/bin:/usr/bin:/bin shimdir=unset pc=unset" ]
    [ "${lines[4]}" = "left:" ]
    [ "${lines[5]}" = "$C/envs/myenv" ]
}

@test "bash: set -u and a PROMPT_COMMAND array are handled, and uninit keeps the user's entries" {
    run --separate-stderr in_shell bash 'set -u
        PROMPT_COMMAND=(first)
        '"$(conda_then_init bash)"'
        PROMPT_COMMAND+=(second)
        __torchshim_wrap
        TORCHSHIM_DRY_RUN=1 conda install numpy
        conda activate myenv && echo "$CONDA_PREFIX"
        __torchshim_uninit
        declare -p PROMPT_COMMAND'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$C/bin/conda install numpy" ]
    [ "${lines[1]}" = "$C/envs/myenv" ]
    [ "${lines[2]}" = 'declare -a PROMPT_COMMAND=([0]="first" [1]="second")' ]
    [ -z "$stderr" ]
}

@test "bash: --uninstall in a shell that was never initialised does nothing" {
    run in_shell bash 'eval "$("$P/bin/torchshim" init --uninstall bash)"; echo "rc=$? $PATH"'
    [ "$output" = "rc=0 $P/bin:$C/bin:/usr/bin:/bin" ]
}

@test "bash: python -m pip install|download|wheel goes through torchshim --python; the rest of python runs untouched" {
    make_pythons
    run --separate-stderr in_shell bash 'set -u
        '"$(conda_then_init bash)"'
        echo $(type -t python python3 python3.8 python3.15 pip3.11)
        '"$(python_script '$?')"
    check_python_run "function function function function function"
}

@test "bash: in POSIX mode, no dotted names (pip3.X, python3.X), and python3 still works" {
    make_pythons
    run --separate-stderr in_shell bash 'set -o posix
        eval "$("$P/bin/torchshim" init bash)"
        declare -F | grep -c "pip3\.\|python3\."
        TORCHSHIM_DRY_RUN=1 python3 -m pip install torch
        __torchshim_uninit
        echo "[$(declare -F python3)]"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = 0 ]
    [[ "${lines[1]}" == "$C/bin/python3 -m pip install torch "* ]]
    [ "${lines[2]}" = "[]" ]
    [[ "$stderr" != *"not a valid identifier"* ]]
}

@test "bash: a real venv, activated: python -m pip install reaches torchshim for that venv's python; python -c runs it" {
    need python3
    /usr/bin/env python3 -m venv --without-pip "$T/venv" || skip "python3 -m venv does not work here"
    run --separate-stderr in_shell bash 'eval "$("$P/bin/torchshim" init bash)"
        . "$T/venv/bin/activate"
        python -c "import sys; print(sys.prefix); sys.exit(5)"; echo "rc=$?"
        TORCHSHIM_DRY_RUN=1 python -m pip install torch --index-url https://download.pytorch.org/whl/cu121
        deactivate
        python3 -c "import sys; print(sys.prefix == sys.base_prefix)"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$T/venv" ]
    [ "${lines[1]}" = rc=5 ]
    [ "${lines[2]}" = "$T/venv/bin/python -m pip install torch --index-url https://download.pytorch.org/whl/cu121" ]
    [ "${lines[3]}" = True ]
    # the engine looked for torch for it (every mirror is a closed port here)
    [[ "$stderr" == *"no wheels mirror answered for cu121"* ]]
}

# ---- zsh -----------------------------------------------------------------------

@test "zsh: pip, conda install and conda activate, as in bash" {
    need zsh
    run --separate-stderr in_shell zsh "$(conda_then_init zsh)"'
        whence -w pip pip3 conda
        TORCHSHIM_DRY_RUN=1 pip list
        TORCHSHIM_DRY_RUN=1 conda install pytorch -c pytorch
        echo "reactivated=${FAKE_REACTIVATED-no}"
        conda activate myenv && echo "prefix=$CONDA_PREFIX"
        TORCHSHIM_DRY_RUN=1 pip list
        pip3 install numpy
        conda env list'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "pip: function" ] && [ "${lines[1]}" = "pip3: function" ]
    [ "${lines[2]}" = "conda: function" ]
    [ "${lines[3]}" = "$C/bin/pip list" ]
    [[ "${lines[4]}" == "$C/bin/conda install pytorch "* ]]
    [ "${lines[5]}" = "reactivated=yes" ]
    [ "${lines[6]}" = "prefix=$C/envs/myenv" ]
    [ "${lines[7]}" = "$C/envs/myenv/bin/pip list" ]
    [ "$(cat "$T/pip.log")" = "guard=yes $C/envs/myenv/bin/pip3 install numpy" ]
    [ "$(cat "$C/conda.log")" = "guard= $C/bin/conda env list" ]
}

@test "zsh: the user's options (ksh_arrays, sh_word_split, no_unset) do not get in the way" {
    need zsh
    run --separate-stderr in_shell zsh 'setopt ksh_arrays sh_word_split no_unset
        '"$(conda_then_init zsh)"'
        TORCHSHIM_DRY_RUN=1 conda install numpy
        conda activate myenv && echo "$CONDA_PREFIX"
        TORCHSHIM_DRY_RUN=1 pip list
        __torchshim_uninit
        whence -w pip'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "$C/bin/conda install numpy" ]
    [ "${lines[1]}" = "$C/envs/myenv" ]
    [ "${lines[2]}" = "$C/envs/myenv/bin/pip list" ]
    [ "${lines[3]}" = "pip: command" ]
    [ -z "$stderr" ]
}

@test "zsh: python -m pip install|download|wheel goes through torchshim --python; the rest of python runs untouched" {
    need zsh
    make_pythons
    local opts types="python: function python3: function python3.8: function python3.15: function pip3.11: function"
    for opts in '' 'setopt ksh_arrays sh_word_split no_unset'; do
        rm -f "$T/py.log" "$T/pip.log"
        run --separate-stderr in_shell zsh "$opts"'
            '"$(conda_then_init zsh)"'
            print -r -- $(whence -w python python3 python3.8 python3.15 pip3.11)
            '"$(python_script '$?')"
        check_python_run "$types"
    done
}

@test "zsh: init twice changes nothing" {
    need zsh
    run in_shell zsh "$(conda_then_init zsh)"'
        one="$(typeset -f) $PATH $precmd_functions"
        eval "$("$P/bin/torchshim" init zsh)"
        two="$(typeset -f) $PATH $precmd_functions"
        [[ $one == $two ]] && echo same
        print -r -- "$PATH"
        print -r -- "$precmd_functions"'
    [ "${lines[0]}" = same ]
    [ "${lines[1]}" = "$SHIMDIR:$P/bin:$C/bin:/usr/bin:/bin" ]
    [ "${lines[2]}" = "__torchshim_wrap" ]
}

@test "zsh: conda's hook evaluated after init is wrapped again at the next prompt" {
    need zsh
    mkdir -p "$T/zdot"
    printf '%s\n' 'eval "$("$P/bin/torchshim" init zsh)"' \
        'eval "$("$C/bin/conda" shell.zsh hook)"' >"$T/zdot/.zshrc"
    ZDOTDIR=$T/zdot run zsh -i <<'EOS'
TORCHSHIM_DRY_RUN=1 conda install numpy
conda activate myenv
echo "prefix=$CONDA_PREFIX"
TORCHSHIM_DRY_RUN=1 pip list
EOS
    [[ "$output" == *"$C/bin/conda install numpy"* ]]
    [[ "$output" == *"prefix=$C/envs/myenv"* ]]
    [[ "$output" == *"$C/envs/myenv/bin/pip list"* ]]
    [ ! -e "$C/conda.log" ]
}

@test "zsh: --uninstall says what to delete, and evaluating it undoes init" {
    need zsh
    ZDOTDIR=$T/zdot run "$P/bin/torchshim" init --uninstall zsh
    [[ "$output" == *"from $T/zdot/.zshrc:"*"eval \"\$($P/bin/torchshim init zsh)\""* ]]
    [[ "$output" == *"rm -r $SHIMDIR"* ]]
    run in_shell zsh "$(conda_then_init zsh)"'
        before=$functions[__torchshim_orig_conda]
        eval "$("$P/bin/torchshim" init --uninstall zsh)" || exit 1
        [[ $functions[conda] == $before ]] && echo "conda restored"
        print -r -- ${(k)functions[(I)*torchshim*]} "|" $precmd_functions "|" $PATH \
            "|" ${(k)functions[(I)(python|pip)*]}
        (( $+functions[pip] )) || echo "no pip function"
        conda activate myenv && echo "$CONDA_PREFIX"'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "conda restored" ]
    [ "${lines[1]}" = "| | $P/bin:$C/bin:/usr/bin:/bin |" ]
    [ "${lines[2]}" = "no pip function" ]
    [ "${lines[3]}" = "$C/envs/myenv" ]
}

# ---- fish ----------------------------------------------------------------------

@test "fish: pip, conda install and conda activate, as in bash" {
    need fish
    run --separate-stderr in_shell fish "$(conda_then_init fish)"'
        type -t pip pip3 conda
        TORCHSHIM_DRY_RUN=1 pip list
        TORCHSHIM_DRY_RUN=1 conda install pytorch -c pytorch
        echo "reactivated=$FAKE_REACTIVATED"
        conda activate myenv; and echo "prefix=$CONDA_PREFIX"
        TORCHSHIM_DRY_RUN=1 pip list
        pip install numpy
        conda env list'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = function ] && [ "${lines[1]}" = function ] && [ "${lines[2]}" = function ]
    [ "${lines[3]}" = "$C/bin/pip list" ]
    [[ "${lines[4]}" == "$C/bin/conda install pytorch "* ]]
    [ "${lines[5]}" = "reactivated=yes" ]
    [ "${lines[6]}" = "prefix=$C/envs/myenv" ]
    [ "${lines[7]}" = "$C/envs/myenv/bin/pip list" ]
    [ "$(cat "$T/pip.log")" = "guard=yes $C/envs/myenv/bin/pip install numpy" ]
    [ "$(cat "$C/conda.log")" = "guard= $C/bin/conda env list" ]
}

@test "fish: python -m pip install|download|wheel goes through torchshim --python; the rest of python runs untouched" {
    need fish
    make_pythons
    run --separate-stderr in_shell fish "$(conda_then_init fish)"'
        echo (type -t python python3 python3.8 python3.15 pip3.11)
        '"$(python_script '$status')"
    check_python_run "function function function function function"
}

@test "fish: init twice changes nothing" {
    need fish
    run in_shell fish "$(conda_then_init fish)"'
        set one (functions -a | string match "*torchshim*" | while read f; functions $f; end) "$PATH"
        $P/bin/torchshim init fish | source
        set two (functions -a | string match "*torchshim*" | while read f; functions $f; end) "$PATH"
        test "$one" = "$two"; and echo same
        functions conda | string match -q "*__torchshim_tool conda *"; and echo wrapped
        functions __torchshim_orig_conda | string match -q "*__torchshim_tool*"; or echo original
        echo "$PATH"'
    [ "${lines[0]}" = same ]
    [ "${lines[1]}" = wrapped ]
    [ "${lines[2]}" = original ]
    [ "${lines[3]}" = "$SHIMDIR:$P/bin:$C/bin:/usr/bin:/bin" ]
}

@test "fish: conda's hook sourced after init is wrapped again at the next prompt" {
    need fish
    run in_shell fish '$P/bin/torchshim init fish | source
        $C/bin/conda shell.fish hook | source
        TORCHSHIM_DRY_RUN=1 conda install numpy
        emit fish_prompt
        TORCHSHIM_DRY_RUN=1 conda install scipy
        conda activate myenv; and echo "prefix=$CONDA_PREFIX"'
    [ "$status" -eq 0 ]
    [ "$(cat "$C/conda.log")" = "guard= $C/bin/conda install numpy" ]
    [ "${lines[0]}" = "$C/bin/conda install scipy" ]
    [ "${lines[1]}" = "prefix=$C/envs/myenv" ]
}

@test "fish: --uninstall says what to delete, and evaluating it undoes init" {
    need fish
    XDG_CONFIG_HOME=$T/xdg run "$P/bin/torchshim" init --uninstall fish
    [[ "$output" == *"from $T/xdg/fish/config.fish:"*"$P/bin/torchshim init fish | source"* ]]
    [[ "$output" == *"functions -e pip pip3 pip3.8 pip3.9 "* ]]
    [[ "$output" == *" python python3 python3.8 "*" python3.15 "*"__torchshim_uninit"$'\n'* ]]
    run in_shell fish "$(conda_then_init fish)"'
        set before (functions __torchshim_orig_conda | string match -v "#*" | string replace __torchshim_orig_conda conda)
        $P/bin/torchshim init --uninstall fish | source
        set after (functions conda | string match -v "#*")
        test "$before" = "$after"; and echo "conda restored"
        echo (count (functions -a | string match "*torchshim*")) "|$PATH" \
            "|"(count (functions -a | string match -r "^(python|pip)"))
        functions -q pip; or echo "no pip function"
        conda activate myenv; and echo $CONDA_PREFIX'
    [ "$status" -eq 0 ]
    [ "${lines[0]}" = "conda restored" ]
    [ "${lines[1]}" = "0 |$P/bin:$C/bin:/usr/bin:/bin |0" ]
    [ "${lines[2]}" = "no pip function" ]
    [ "${lines[3]}" = "$C/envs/myenv" ]
}
