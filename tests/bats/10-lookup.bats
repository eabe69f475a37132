#!/usr/bin/env bats
# Finding the real tool: the next executable of the same name on PATH that is
# not torchshim, whatever way torchshim was put there.

bats_require_minimum_version 1.5.0
load helper

setup() { setup_shim_env; record_tool "$T/real" pip; record_tool "$T/real" conda; }
teardown() { teardown_shim_env; }

@test "shim first on PATH runs the next pip" {
    run pip --version
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
    [ "$(argv_of pip | sed -n 2p)" = "--version" ]
}

@test "shim last on PATH, started by path, still finds the real pip earlier on PATH" {
    export PATH="$T/real:/usr/bin:/bin:$T/shims"
    run "$T/shims/pip" list
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
}

@test "shim twice on PATH (two directories) skips both" {
    mkdir "$T/shims2" && ln -s "$SHIM" "$T/shims2/pip"
    export PATH="$T/shims:$T/shims2:$T/real:/usr/bin:/bin"
    run pip list
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
}

@test "a hard link of the shim is recognised by its inode" {
    mkdir "$T/hard" && ln "$SHIM" "$T/hard/pip" 2>/dev/null || skip "no hard links here"
    export PATH="$T/hard:$T/shims:$T/real:/usr/bin:/bin"
    run pip list
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
}

@test "a symlink chain to the shim is recognised" {
    mkdir "$T/chain" && ln -s "$T/shims/pip" "$T/chain/pip"
    export PATH="$T/shims:$T/chain:$T/real:/usr/bin:/bin"
    run pip list
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
}

@test "a copy of the shim in TORCHSHIM_SHIMDIR is skipped" {
    mkdir "$T/copydir" && cp "$SHIM" "$T/copydir/pip"
    export PATH="$T/shims:$T/copydir:$T/real:/usr/bin:/bin" TORCHSHIM_SHIMDIR=$T/copydir
    run pip list
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
}

@test "a copy of the shim elsewhere on PATH fails clearly instead of looping" {
    mkdir "$T/copydir" && cp "$SHIM" "$T/copydir/pip"
    export PATH="$T/shims:$T/copydir:$T/real:/usr/bin:/bin"
    run -127 timeout 10 pip list
    [[ "$output" == *"another copy of torchshim"* ]]
    [ ! -e "$T/argv.pip" ]
}

@test "recursion guard: a wrapper that execs the shim again stops with an error" {
    mkdir "$T/wrap"
    printf '#!/bin/sh\nexec "%s" "$@"\n' "$T/shims/pip" > "$T/wrap/pip"
    chmod +x "$T/wrap/pip"
    export PATH="$T/shims:$T/wrap:$T/real:/usr/bin:/bin"
    run -127 timeout 10 pip list
    [[ "$output" == *"another copy of torchshim"* ]]
}

@test "a nested call from the real tool (another process) is not mistaken for recursion" {
    cat > "$T/real/pip" <<EOS
#!/bin/sh
# the real pip runs a child that calls pip again (a build backend, say)
if [ "\$1" = outer ]; then "$T/shims/pip" inner; exit \$?; fi
printf '%s\0' "\$0" "\$@" > "$T/argv.pip"
EOS
    run pip outer
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | sed -n 2p)" = "inner" ]
}

@test "empty and relative PATH entries are never searched" {
    mkdir -p "$T/cwd" && record_tool "$T/cwd" pip
    cd "$T/cwd"
    export PATH="$T/shims::.:rel:$T/real:/usr/bin:/bin"
    run pip list
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
}

@test "TORCHSHIM_REAL_PIP wins over PATH" {
    mkdir "$T/other" && record_tool "$T/other" pip
    TORCHSHIM_REAL_PIP=$T/other/pip run pip list
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/other/pip" ]
}

@test "TORCHSHIM_REAL_PIP pointing at the shim itself is refused" {
    TORCHSHIM_REAL_PIP=$T/shims/pip run -127 pip list
    [[ "$output" == *"torchshim itself"* ]]
}

@test "pip3.11 looks for pip3.11" {
    record_tool "$T/real" pip3.11
    run pip3.11 --version
    [ "$status" -eq 0 ]
    [ "$(argv_of pip3.11 | head -1)" = "$T/real/pip3.11" ]
}

@test "conda uses CONDA_EXE when it is not the shim" {
    mkdir "$T/miniconda" && record_tool "$T/miniconda" conda
    CONDA_EXE=$T/miniconda/conda run conda env list
    [ "$status" -eq 0 ]
    [ "$(argv_of conda | head -1)" = "$T/miniconda/conda" ]
}

@test "conda ignores CONDA_EXE pointing at the shim and searches PATH" {
    CONDA_EXE=$T/shims/conda run conda env list
    [ "$status" -eq 0 ]
    [ "$(argv_of conda | head -1)" = "$T/real/conda" ]
}

@test "micromamba uses MAMBA_EXE" {
    mkdir "$T/mm" && record_tool "$T/mm" micromamba
    MAMBA_EXE=$T/mm/micromamba run micromamba env list
    [ "$status" -eq 0 ]
    [ "$(argv_of micromamba | head -1)" = "$T/mm/micromamba" ]
}

@test "torchshim pip ... runs pip mode explicitly" {
    run "$SHIM" pip --version
    [ "$status" -eq 0 ]
    [ "$(argv_of pip | head -1)" = "$T/real/pip" ]
}
