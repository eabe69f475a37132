#!/usr/bin/env bats
# The fault matrix, local inputs: requirement files that are pipes or endless,
# odd configuration and cache locations, bad environment values, a huge
# configuration. The real tools are stubs that record their argv and what
# they read from the files they were given, and exit 7. Healthy mirror: nginx.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper
load fault

setup_file() { fault_setup_file; }
teardown_file() { fault_teardown_file; }
setup() {
    fault_setup
    fault_config wheels,conda good
}
teardown() { fault_teardown; }

BOUND=10

# got_lines TOOL LINE...: what the real TOOL read from its file holds each
# LINE as a whole line (pinned "torch==..." counts for "torch").
got_lines() {
    local tool=$1 f=$T/read.$1 l
    shift
    echo "the real $tool read:"
    cat "$f"
    for l in "$@"; do
        if ! grep -qxE -- "$l([=<>!~ ].*)?" "$f"; then
            echo "FAIL: the real $tool did not get the line '$l'"
            return 1
        fi
    done
}

# ---- requirement files the front end must not consume ------------------------

@test "pip install -r <(printf 'torch\\nnumpy\\n'): the real pip reads both lines" {
    fault_run "$BOUND" bash -c 'pip install -r <(printf "torch\nnumpy\n")'
    assert_bounded "$BOUND"
    assert_status 7
    got_lines pip torch numpy
}

@test "pip install -r <(a file naming the official index): pinned, and the real pip still reads every line" {
    fault_run "$BOUND" bash -c 'pip install -r <(printf -- "--index-url https://download.pytorch.org/whl/cu121\ntorch\nnumpy\n")'
    assert_bounded "$BOUND"
    assert_status 7
    got_lines pip torch numpy
    grep -q 'torch==2.3.1+cu121' "$T/read.pip" || grep -qx 'torch==2.3.1+cu121' <(tr '\0' '\n' <"$T/argv.pip")
}

@test "pip install -r <(a file without torch): the real pip reads both lines" {
    fault_run "$BOUND" bash -c 'pip install -r <(printf "numpy\nrequests\n")'
    assert_bounded "$BOUND"
    assert_status 7
    got_lines pip numpy requests
}

@test "printf 'torch\\nnumpy\\n' | pip install -r /dev/stdin: the real pip reads both lines" {
    fault_run "$BOUND" bash -c 'printf "torch\nnumpy\n" | pip install -r /dev/stdin'
    assert_bounded "$BOUND"
    assert_status 7
    got_lines pip torch numpy
}

@test "pip install -r FIFO (a named pipe): the real pip reads both lines" {
    mkfifo "$T/req.fifo"
    fault_run "$BOUND" bash -c "printf 'torch\nnumpy\n' >'$T/req.fifo' & pip install -r '$T/req.fifo'"
    assert_bounded "$BOUND"
    assert_status 7
    got_lines pip torch numpy
}

@test "conda install --file <(printf 'pytorch\\nnumpy\\n') -c pytorch: the real conda reads both lines" {
    fault_run "$BOUND" bash -c 'conda install --file <(printf "pytorch\nnumpy\n") -c pytorch'
    assert_bounded "$BOUND"
    assert_status 7
    got_lines conda pytorch numpy
}

# ---- endless inputs -------------------------------------------------------------

@test "pip install -r /dev/zero: bounded time, the original command runs" {
    fault_run "$BOUND" pip install -r /dev/zero
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_original install -r /dev/zero
}

@test "conda install --file /dev/zero: bounded time, the original command runs" {
    fault_run "$BOUND" conda install --file /dev/zero -c pytorch
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_original install --file /dev/zero -c pytorch
}

@test "TORCHSHIM_CONFIG=/dev/zero: bounded time, the original command runs" {
    TORCHSHIM_CONFIG=/dev/zero fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_original install torch --index-url https://download.pytorch.org/whl/cu121
}

# ---- configuration and cache locations -----------------------------------------

@test "TORCHSHIM_CONFIG naming a directory is an error like a nonexistent path: said, the original command runs" {
    local p
    mkdir -p "$T/confdir"
    for p in "$T/confdir" "$T/no-such-config.ini"; do
        rm -f "$T/argv.pip"
        TORCHSHIM_CONFIG=$p fault_run "$BOUND" "${PIP_CMD[@]}"
        assert_bounded "$BOUND"
        assert_status 7
        [[ "$output" == *configuration*"$p"* ]]
        assert_pip_original install torch --index-url https://download.pytorch.org/whl/cu121
    done
}

@test "HOME=. (relative): the configuration in the current directory is not read" {
    mkdir -p "$T/work/.config/torchshim" "$T/work/cfg/torchshim"
    for f in "$T/work/.config/torchshim/config.ini" "$T/work/cfg/torchshim/config.ini"; do
        cat >"$f" <<EOS
[mirror "cwdsite"]
wheels = $FAULT_URL/cwdsite/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $FAULT_URL/cwdsite/pypi/simple
[use]
wheels = cwdsite
pypi = cwdsite
EOS
    done
    unset TORCHSHIM_CONFIG
    cd "$T/work"
    HOME=. TORCHSHIM_DRY_RUN=1 fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    [ "$(fault_log_count '/cwdsite/')" -eq 0 ]
    [[ "$output" != *cwdsite* ]]
    HOME=$T/home XDG_CONFIG_HOME=cfg TORCHSHIM_DRY_RUN=1 fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    [ "$(fault_log_count '/cwdsite/')" -eq 0 ]
    [[ "$output" != *cwdsite* ]]
}

@test "a relative TORCHSHIM_CACHE_DIR is not created under the current directory; the pins still come" {
    mkdir -p "$T/work"
    cd "$T/work"
    TORCHSHIM_CACHE_DIR=relcache fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
    [ ! -e "$T/work/relcache" ]
}

@test "a pre-existing world-writable cache directory is not used as it is" {
    mkdir -p "$T/wwcache"
    chmod 0777 "$T/wwcache"
    TORCHSHIM_CACHE_DIR=$T/wwcache fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
    # either left alone, or made private before anything was written into it
    if [ -n "$(ls -A "$T/wwcache")" ]; then
        local mode
        mode=$(stat -c %a "$T/wwcache")
        echo "the cache was written into; its mode is now $mode"
        [ $((8#$mode & 8#022)) -eq 0 ]
    fi
}

@test "a pre-existing cache directory owned by another user is not written into" {
    [ "$(id -u)" -eq 0 ] || skip "needs root to give a directory to another user"
    mkdir -p "$T/foreign"
    chown nobody "$T/foreign"
    chmod 0700 "$T/foreign"
    TORCHSHIM_CACHE_DIR=$T/foreign fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
    [ -z "$(ls -A "$T/foreign")" ]
}

@test "a configuration with 30000 [mirror] sections loads fast" {
    cp "$T/config.ini" "$T/big.ini"
    awk 'BEGIN { for (i = 1; i <= 30000; i++)
        printf "[mirror \"s%d\"]\nwheels = http://127.0.0.1:9/w%d/{variant}\npypi = http://127.0.0.1:9/p%d\n", i, i, i }' >>"$T/big.ini"
    TORCHSHIM_CONFIG=$T/big.ini TORCHSHIM_DRY_RUN=1 fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded 1.5
    assert_status 0
}

# ---- bad values ----------------------------------------------------------------------

@test "TORCHSHIM_BACKEND=garbage torchshim install --dry-run: an error and a non-zero exit" {
    TORCHSHIM_BACKEND=garbage fault_run "$BOUND" "$SHIM" install --dry-run
    assert_bounded "$BOUND"
    [ "$status" -ne 0 ]
    [[ "$output" == *TORCHSHIM_BACKEND* ]]
    [ ! -e "$T/argv.pip" ]
}

@test "pip install 'torch====1' is passed to pip, not refused" {
    fault_run "$BOUND" pip install 'torch====1' --index-url https://download.pytorch.org/whl/cu121
    assert_bounded "$BOUND"
    assert_status 7
    grep -qx 'torch====1' <(tr '\0' '\n' <"$T/argv.pip")
}
