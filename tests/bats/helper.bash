# tests/bats/helper.bash — shared set-up for the shell tests.
#
# Each test gets $T (a temp dir) with:
#   $T/shims/   pip, pip3, conda, mamba, micromamba -> symlinks to the built torchshim
#   $T/real/    fake real tools (record_tool) that write their argv to $T/argv.<name>
# and a PATH of "$T/shims:$T/real:/usr/bin:/bin".

TOP=${TORCHSHIM_TOP:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
BUILD=${TORCHSHIM_BUILD:-$TOP/build}
SHIM=$BUILD/torchshim

setup_shim_env() {
    T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/ts.XXXXXX")
    mkdir -p "$T/shims" "$T/real" "$T/home"   # $T/cache: torchshim makes it, 0700
    for n in pip pip3 pip3.11 conda mamba micromamba; do
        ln -s "$SHIM" "$T/shims/$n"
    done
    export HOME=$T/home
    # every mirror a closed loopback port: these tests never leave the machine
    # (tests/e2e/ serve a real mirror)
    cat > "$T/offline.ini" <<EOS
[mirror "nowhere"]
wheels = http://127.0.0.1:9/pytorch-wheels/{variant}
wheels-format = find-links
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9/anaconda/cloud
conda-channels = pytorch conda-forge
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
nvidia = http://127.0.0.1:9/nvidia
[use]
wheels = nowhere
pypi = nowhere
conda = nowhere
EOS
    export TORCHSHIM_CONFIG=$T/offline.ini
    export TORCHSHIM_CACHE_DIR=$T/cache
    export TORCHSHIM_DATADIR=$TOP/config
    export PIP_CONFIG_FILE=/dev/null
    unset TORCHSHIM_DRY_RUN TORCHSHIM_VERBOSE TORCHSHIM_DISABLE TORCHSHIM_MIRROR \
          TORCHSHIM_REAL_PIP TORCHSHIM_REAL_CONDA TORCHSHIM_ENGINE TORCHSHIM_GUARD \
          TORCHSHIM_SHIMDIR CONDA_EXE MAMBA_EXE PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS \
          PIP_NO_INDEX
    export PATH="$T/shims:$T/real:/usr/bin:/bin"
}

teardown_shim_env() {
    [ -n "${T:-}" ] && rm -rf "$T"
}

# record_tool DIR NAME: a fake real tool that writes its argv, NUL-separated,
# to $T/argv.NAME, its pid to $T/pid.NAME, and exits with $FAKE_EXIT (0).
record_tool() {
    local dir=$1 name=$2
    mkdir -p "$dir"
    cat >"$dir/$name" <<EOS
#!/bin/sh
printf '%s\0' "\$0" "\$@" > "$T/argv.$name"
echo \$\$ > "$T/pid.$name"
[ -n "\${FAKE_SLEEP:-}" ] && exec sleep "\$FAKE_SLEEP"
exit \${FAKE_EXIT:-0}
EOS
    chmod +x "$dir/$name"
}

# argv_of NAME: the recorded argv, one word per line (for readable asserts).
argv_of() {
    tr '\0' '\n' < "$T/argv.$1"
}
