#!/usr/bin/env bats
# End to end with real pip: a venv of Debian's python3, torchshim standing in
# for its pip, nginx on loopback serving an aliyun-style wheel mirror and a
# PyPI mirror. The commands are the tutorials' commands, unchanged.

bats_require_minimum_version 1.5.0
load ../lib/common

setup_file() {
    ts_mirror_start
    export VENV=$BATS_FILE_TMPDIR/venv
    /usr/bin/python3 -m venv "$VENV"
    export SHIMS=$BATS_FILE_TMPDIR/shims
    mkdir -p "$SHIMS"
    ln -s "$TORCHSHIM_BUILD/torchshim" "$SHIMS/pip"
    ts_local_config "$BATS_FILE_TMPDIR/config.ini"
}

teardown_file() {
    ts_mirror_stop
}

setup() {
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/config.ini
    export TORCHSHIM_CACHE_DIR=$BATS_FILE_TMPDIR/cache
    export TORCHSHIM_DATADIR=$TS_TOP/config
    export HOME=$BATS_FILE_TMPDIR
    export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    export PIP_CONFIG_FILE=/dev/null PIP_TIMEOUT=5 PIP_RETRIES=0
    unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_NO_INDEX
    export PATH="$SHIMS:$VENV/bin:/usr/bin:/bin"
    "$VENV/bin/pip" uninstall -q -y torch torchvision torchaudio filelock typing-extensions >/dev/null 2>&1 || true
    ts_log_clear
}

torch_version() {
    "$VENV/bin/python" -c 'import torch; print(torch.__version__)'
}

@test "seed 000: pip install ... --index-url download.pytorch.org/whl/cu118 installs 2.0.0+cu118 from the mirror" {
    run pip install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 --index-url https://download.pytorch.org/whl/cu118
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.0.0+cu118" ]
    "$VENV/bin/python" -c 'import torchvision, torchaudio; assert torchvision.__version__ == "0.15.1+cu118"; assert torchaudio.__version__ == "2.0.1+cu118"'
    # the wheels came from the wheel mirror, the dependencies from the PyPI mirror
    ts_log_requests '"GET /pytorch-wheels/cu118/torch-2.0.0%2Bcu118-.*\.whl HTTP/1\.1" 200'
    ts_log_requests '"GET /pypi/simple/filelock/ HTTP/1\.1" 200'
}

@test "the CPU variant: --index-url download.pytorch.org/whl/cpu installs 2.0.0+cpu" {
    run pip install torch==2.0.0 --index-url https://download.pytorch.org/whl/cpu
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.0.0+cpu" ]
    ts_log_requests '"GET /pytorch-wheels/cpu/'
}

@test "the PyPI-newer trap: PyPI has torch 2.5.1, the cu121 mirror 2.3.1: the venv gets 2.3.1+cu121" {
    run pip install torch torchvision --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    "$VENV/bin/python" -c 'import torchvision; assert torchvision.__version__ == "0.18.1+cu121", torchvision.__version__'
    # nothing was taken from the PyPI mirror's torch
    ! ts_log_requests 'GET /pypi/simple/torch/.*torch-2\.5\.1' || false
}

@test "dry run shows the exact pins" {
    TORCHSHIM_DRY_RUN=1 run pip install torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cu121
    [ "$status" -eq 0 ]
    [ "$output" = "$VENV/bin/pip install torch==2.3.1+cu121 torchvision==0.18.1+cu121 torchaudio==2.3.1+cu121 -f $MIRROR_URL/pytorch-wheels/cu121 -i $MIRROR_URL/pypi/simple" ]
}

@test "a pin that cannot exist for the variant: an error listing what exists, nothing runs" {
    run pip install torch==2.4.0 --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"2.3.1+cu121"* ]]
    [ -z "$(ts_log_requests 'GET /pypi/simple/' || true)" ]
}

@test "a dead wheels mirror: announced, the next configured one is used" {
    ts_blackhole_start
    cat > "$BATS_TEST_TMPDIR/two.ini" <<EOS
[mirror "dead"]
wheels = $BLACKHOLE_URL/pytorch-wheels/{variant}
wheels-format = find-links
[mirror "local"]
wheels = $MIRROR_URL/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $MIRROR_URL/pypi/simple
; never the real upstream from a test: a closed loopback port
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
[use]
wheels = dead local
pypi = local
[network]
connect-timeout = 1
timeout = 2
EOS
    TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/two.ini TORCHSHIM_DRY_RUN=1 run pip install torch==2.0.0 --index-url https://download.pytorch.org/whl/cu118
    ts_blackhole_stop
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"wheels mirror 'dead' failed"* ]]
    [[ "$output" == *"install torch==2.0.0+cu118 -f $MIRROR_URL/pytorch-wheels/cu118 -i $MIRROR_URL/pypi/simple" ]]
}

@test "no mirror answers: announced, the original command runs untouched" {
    cat > "$BATS_TEST_TMPDIR/none.ini" <<EOS
[mirror "gone"]
wheels = http://127.0.0.1:9/pytorch-wheels/{variant}
wheels-format = find-links
pypi = http://127.0.0.1:9/pypi/simple
; never the real upstream from a test: a closed loopback port
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
[use]
wheels = gone
pypi = gone
EOS
    TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/none.ini TORCHSHIM_DRY_RUN=1 run pip install torch==2.0.0 --index-url https://download.pytorch.org/whl/cu118
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"no wheels mirror answered"* ]]
    [[ "$output" == *"$VENV/bin/pip install torch==2.0.0 --index-url https://download.pytorch.org/whl/cu118" ]]
}

@test "the same command without the shim cannot reach download.pytorch.org (the test is honest)" {
    run "$VENV/bin/pip" download --no-deps -d "$BATS_TEST_TMPDIR/w" torch==2.0.0 --index-url https://download.pytorch.org/whl/cu118
    [ "$status" -ne 0 ]
}

@test "a requirements file naming the official index installs from the mirror; the file is untouched" {
    printf -- '--index-url https://download.pytorch.org/whl/cu118\ntorch==2.0.0\n' > "$BATS_TEST_TMPDIR/req.txt"
    cp "$BATS_TEST_TMPDIR/req.txt" "$BATS_TEST_TMPDIR/req.orig"
    run pip install -r "$BATS_TEST_TMPDIR/req.txt"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.0.0+cu118" ]
    cmp "$BATS_TEST_TMPDIR/req.txt" "$BATS_TEST_TMPDIR/req.orig"
}

@test "passthrough: pip list through the shim is pip list" {
    run pip list --format freeze
    [ "$status" -eq 0 ]
    [ "$output" = "$("$VENV/bin/pip" list --format freeze)" ]
}

@test "python -m pip, as the shell functions hand it over (torchshim pip --python PY): that venv gets the mirror's pins" {
    run "$TORCHSHIM_BUILD/torchshim" pip --python "$VENV/bin/python" install torch torchvision --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    ts_log_requests '"GET /pytorch-wheels/cu121/torch-2\.3\.1%2Bcu121-.*\.whl HTTP/1\.1" 200'
    TORCHSHIM_DRY_RUN=1 run "$TORCHSHIM_BUILD/torchshim" pip --python "$VENV" install torch --index-url https://download.pytorch.org/whl/cu121
    [ "$output" = "$VENV/bin/python -m pip install torch==2.3.1+cu121 -f $MIRROR_URL/pytorch-wheels/cu121 -i $MIRROR_URL/pypi/simple" ]
    # anything else of pip: one exec of the interpreter, untouched
    TORCHSHIM_DRY_RUN=1 run "$TORCHSHIM_BUILD/torchshim" pip --python "$VENV/bin/python" list --format json
    [ "$output" = "$VENV/bin/python -m pip list --format json" ]
}

@test "a wheel URL on download.pytorch.org becomes the same file on the mirror (bare URL and name @ URL)" {
    local f="torch-2.3.1%2Bcu121-$(/usr/bin/python3 -c 'import sys; t="cp%d%d" % sys.version_info[:2]; print(t + "-" + t)')-linux_$(uname -m).whl"
    TORCHSHIM_DRY_RUN=1 run pip install "https://download.pytorch.org/whl/cu121/$f"
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == "$VENV/bin/pip install $MIRROR_URL/pytorch-wheels/cu121/$f "* ]]
    run pip install "torch @ https://download.pytorch.org/whl/cu121/$f"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    ts_log_requests '"GET /pytorch-wheels/cu121/torch-2\.3\.1%2Bcu121-.*\.whl HTTP/1\.1" 200'
}

@test "a nightly index with no mirror carrying nightlies: said, naming nightly, and left upstream" {
    TORCHSHIM_DRY_RUN=1 run pip install --pre torch --index-url https://download.pytorch.org/whl/nightly/cu121
    echo "$output"
    [[ "$output" == *"carries nightly wheels"* ]]
    [[ "$output" == *"--index-url https://download.pytorch.org/whl/nightly/cu121"* ]]
}

@test "a requirements file that includes -r base.txt and -c cons.txt (relative to it), run from elsewhere" {
    mkdir -p "$BATS_TEST_TMPDIR/proj/reqs" "$BATS_TEST_TMPDIR/elsewhere"
    printf -- '--index-url https://download.pytorch.org/whl/cu121\n-r base.txt\n-c cons.txt\n' \
        > "$BATS_TEST_TMPDIR/proj/reqs/main.txt"
    printf 'torch\n' > "$BATS_TEST_TMPDIR/proj/reqs/base.txt"
    printf 'filelock<4\n' > "$BATS_TEST_TMPDIR/proj/reqs/cons.txt"
    cd "$BATS_TEST_TMPDIR/elsewhere"
    run pip install -r ../proj/reqs/main.txt
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    # the user's files are unchanged
    [ "$(cat "$BATS_TEST_TMPDIR/proj/reqs/base.txt")" = "torch" ]
}
