#!/usr/bin/env bats
# Prefetch of torch's CUDA dependencies end to end (src/pip/pipdeps.h): real
# pip in a venv, torchshim standing in for it, nginx on loopback serving a
# copy of the fixtures edited by tests/fixtures/make-deps-wheels.py: torch
# 2.3.1+cu121 requires nvidia-cublas-cu12==12.1.3.1, nvidia-cudnn-cu12==
# 8.9.2.26 and triton==2.3.1 (4 MiB each on the PyPI mirror; cublas also
# on the wheels index), nvidia-nvtx-cu12==12.1.105 (1 KB: below the 1M
# threshold), nvidia-cufft-cu12 for aarch64 only, nvidia-cusparse-cu12 for
# an extra, an unpinned nvidia-nvjitlink-cu12; torch 2.3.0+cu121 requires
# nvidia-nccl-cu12, which no mirror carries. nginx's access log tells who
# fetched what: torchshim's user agent with Range headers, pip's without.

bats_require_minimum_version 1.5.0
load ../lib/common

CUBLAS='nvidia_cublas_cu12-12\.1\.3\.1-py3-none-manylinux1_x86_64\.whl'
CUDNN='nvidia_cudnn_cu12-8\.9\.2\.26-py3-none-manylinux1_x86_64\.whl'
TRITON='triton-2\.3\.1-cp[0-9]+-cp[0-9]+-manylinux2014_x86_64\.whl'
NVTX='nvidia_nvtx_cu12-12\.1\.105-py3-none-manylinux1_x86_64\.whl'

# config FILE WHEELS-URL FORMAT: loopback mirrors only, threshold 1M.
config() {
    cat >"$1" <<EOS
[mirror "local"]
wheels = $2
wheels-format = $3
pypi = $MIRROR_URL/pypi/simple
; never the real upstream from a test: a closed loopback port
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
[use]
wheels = local
pypi = local
[prefetch]
threshold = 1M
EOS
}

setup_file() {
    local fixtures root
    fixtures=$(ts_fixtures_build) || return 1
    root=$BATS_FILE_TMPDIR/root
    cp -a "$fixtures/." "$root"
    /usr/bin/python3 "$TS_TOP/tests/fixtures/make-deps-wheels.py" "$root" 4
    ts_mirror_start "$root"
    export VENV=$BATS_FILE_TMPDIR/venv
    /usr/bin/python3 -m venv "$VENV"
    export SHIMS=$BATS_FILE_TMPDIR/shims
    mkdir -p "$SHIMS"
    ln -s "$TORCHSHIM_BUILD/torchshim" "$SHIMS/pip"
    config "$BATS_FILE_TMPDIR/simple.ini" "$MIRROR_URL/whl/{variant}" simple
    config "$BATS_FILE_TMPDIR/flat.ini" "$MIRROR_URL/pytorch-wheels/{variant}" find-links
}

teardown_file() {
    ts_mirror_stop
}

# Everything but pip and setuptools out of the venv.
empty_venv() {
    "$VENV/bin/pip" freeze --all | grep -vE '^(pip|setuptools)==' | cut -d= -f1 |
        xargs -r "$VENV/bin/pip" uninstall -q -y >/dev/null 2>&1 || true
}

setup() {
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/simple.ini
    export TORCHSHIM_CACHE_DIR=$BATS_TEST_TMPDIR/cache
    export TORCHSHIM_DATADIR=$TS_TOP/config
    export HOME=$BATS_FILE_TMPDIR
    export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    export PIP_CONFIG_FILE=/dev/null PIP_TIMEOUT=5 PIP_RETRIES=0
    unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_NO_INDEX TORCHSHIM_PREFETCH
    export PATH="$SHIMS:$VENV/bin:/usr/bin:/bin"
    empty_venv
    ts_log_clear
}

# ours FILE-RE / pips FILE-RE: GET requests for a file by torchshim / by pip
ours() { ts_log_count "\"GET [^ ]*/$1 HTTP/1\.1\" 206 .*ua=\"torchshim/.* range=\"bytes=[0-9]+-[0-9]+\""; }
pips() { ts_log_count "\"GET [^ ]*/$1 .*ua=\"pip/"; }

install_torch() {
    run pip install "$@" --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
}

@test "the big nvidia wheels and triton: fetched by torchshim in ranges, pip downloads none of them" {
    TORCHSHIM_VERBOSE=1 install_torch torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" != *"warning"* ]]
    [[ "$output" != *WARNING* ]]
    [[ "$output" == *"prefetch: torch requires nvidia-cublas-cu12==12.1.3.1: nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux1_x86_64.whl"* ]]
    [[ "$output" == *"Looking in links: $TORCHSHIM_CACHE_DIR/wheels/.links/"* ]]
    [[ "$output" == *"Processing "*"/.links/"*"/nvidia_cublas_cu12-12.1.3.1-1torchshim-py3-none-manylinux1_x86_64.whl"* ]]
    [[ "$output" == *"Processing "*"/.links/"*"/nvidia_cudnn_cu12-8.9.2.26-1torchshim-py3-none-manylinux1_x86_64.whl"* ]]
    [[ "$output" == *"Processing "*"/.links/"*"/triton-2.3.1-1torchshim-"* ]]
    sleep 0.3
    # torch's METADATA from its PEP 658 file, by torchshim
    ts_log_requests 'GET /whl/cu121/torch-2\.3\.1%2Bcu121-[^ ]*\.whl\.metadata HTTP/1\.1" 200 .*ua="torchshim/'
    # 4 MiB each: several ranges (1 MiB pieces); cublas from both mirrors that list it
    [ "$(ours "$CUBLAS")" -ge 2 ]
    [ "$(ours "$CUDNN")" -ge 2 ]
    [ "$(ours "$TRITON")" -ge 2 ]
    [ "$(ts_log_count "GET /whl/$CUBLAS .*ua=\"torchshim/")" -ge 1 ]
    [ "$(ts_log_count "GET /pypi/packages/$CUBLAS .*ua=\"torchshim/")" -ge 1 ]
    [ "$(pips "$CUBLAS")" -eq 0 ]
    [ "$(pips "$CUDNN")" -eq 0 ]
    [ "$(pips "$TRITON")" -eq 0 ]
    # below the threshold: its size asked, the file left to pip
    [[ "$output" == *"nvidia_nvtx_cu12-12.1.105-py3-none-manylinux1_x86_64.whl: 1."*"not above the threshold"* ]]
    [ "$(ts_log_count "GET [^ ]*$NVTX .*ua=\"torchshim/")" -eq 0 ]
    [ "$(pips "$NVTX")" -eq 1 ]
    # not pinned exactly: left to pip, which installs it
    [[ "$output" == *"prefetch: nvidia-nvjitlink-cu12: not pinned exactly by torch: left to pip"* ]]
    # a marker for aarch64, an extra not asked: nobody asks anything about them
    [ "$(ts_log_count 'nvidia[-_]cufft')" -eq 0 ]
    [ "$(ts_log_count 'nvidia[-_]cusparse')" -eq 0 ]
    # the files in the store are the mirror's
    [ "$(sha256sum "$TORCHSHIM_CACHE_DIR/wheels/nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux1_x86_64.whl" | cut -d' ' -f1)" = \
      "$(sha256sum "$MIRROR_ROOT/pypi/packages/nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux1_x86_64.whl" | cut -d' ' -f1)" ]
    "$VENV/bin/python" -c 'import nvidia_cublas_cu12_fixture, nvidia_cudnn_cu12_fixture, triton_fixture'
}

@test "the installed set is the one of the same command without prefetch" {
    install_torch torch==2.3.1
    [ "$status" -eq 0 ]
    "$VENV/bin/pip" freeze --all >"$BATS_TEST_TMPDIR/with"
    # installed as index candidates: no direct_url.json, name==version
    ! ls "$VENV"/lib/python3*/site-packages/nvidia_cublas_cu12-*.dist-info/direct_url.json || false
    ! ls "$VENV"/lib/python3*/site-packages/triton-*.dist-info/direct_url.json || false
    grep -qx 'nvidia-cublas-cu12==12.1.3.1' "$BATS_TEST_TMPDIR/with"
    empty_venv
    ts_log_clear
    TORCHSHIM_PREFETCH=0 install_torch torch==2.3.1
    [ "$status" -eq 0 ]
    "$VENV/bin/pip" freeze --all >"$BATS_TEST_TMPDIR/without"
    sleep 0.3
    # without prefetch pip downloads them itself (the comparison means something)
    [ "$(pips "$CUBLAS")" -eq 1 ]
    [ "$(ts_log_count 'ua="torchshim/.* range="bytes')" -eq 0 ]
    cat "$BATS_TEST_TMPDIR/with"
    diff "$BATS_TEST_TMPDIR/with" "$BATS_TEST_TMPDIR/without"
    [ "$(wc -l <"$BATS_TEST_TMPDIR/with")" -ge 9 ]
}

@test "a second install takes the dependencies from the store: no request for them at all" {
    install_torch torch==2.3.1
    [ "$status" -eq 0 ]
    empty_venv
    ts_log_clear
    install_torch torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"Processing "*"/.links/"*"/nvidia_cudnn_cu12-8.9.2.26-1torchshim-"* ]]
    sleep 0.3
    [ "$(ts_log_count "$CUBLAS")" -eq 0 ]
    [ "$(ts_log_count "$CUDNN")" -eq 0 ]
    [ "$(ts_log_count "$TRITON")" -eq 0 ]
    [ "$(ts_log_count '"HEAD ')" -eq 0 ]
    # torch's metadata came from the cache too
    [ "$(ts_log_count 'torch-2\.3\.1%2Bcu121-[^ ]*\.metadata .*ua="torchshim/')" -eq 0 ]
}

@test "a dependency no mirror carries: skipped without a warning, pip as usual" {
    TORCHSHIM_VERBOSE=1 install_torch torch==2.3.0
    local with_status=$status with_output=$output
    [[ "$output" == *"prefetch: nvidia-nccl-cu12==2.20.5: no wheel for "*"left to pip"* ]]
    [[ "$output" != *"torchshim: warning"* ]]
    [[ "$output" == *"No matching distribution found for nvidia-nccl-cu12==2.20.5"* ]]
    sleep 0.3
    # torch 2.3.0 has no PEP 658 file: its METADATA read with range requests
    ts_log_requests 'GET /whl/cu121/torch-2\.3\.0%2Bcu121-[^ ]*\.whl HTTP/1\.1" 206 .*ua="torchshim/.*range="bytes=-'
    # the one it carries was prefetched all the same
    [ "$(ours "$CUBLAS")" -ge 2 ]
    [ "$(pips "$CUBLAS")" -eq 0 ]
    empty_venv
    TORCHSHIM_PREFETCH=0 install_torch torch==2.3.0
    [ "$status" -eq "$with_status" ]
    [ "$status" -ne 0 ]
    [[ "$output" == *"No matching distribution found for nvidia-nccl-cu12==2.20.5"* ]]
    [[ "$with_output" != *WARNING* ]]
}

@test "an aliyun-style find-links wheels mirror: the dependencies come from the PyPI mirror" {
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/flat.ini
    TORCHSHIM_VERBOSE=1 install_torch torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"Looking in links: $MIRROR_URL/pytorch-wheels/cu121, $TORCHSHIM_CACHE_DIR/wheels/.links/"* ]]
    [[ "$output" == *"Processing "*"/.links/"*"/nvidia_cublas_cu12-12.1.3.1-1torchshim-"* ]]
    sleep 0.3
    [ "$(ts_log_count "GET /pypi/packages/$CUBLAS HTTP/1\.1\" 206 .*ua=\"torchshim/")" -ge 2 ]
    [ "$(ts_log_count "GET /whl/$CUBLAS")" -eq 0 ]
    [ "$(pips "$CUBLAS")" -eq 0 ]
    [ "$(pips "$CUDNN")" -eq 0 ]
}

@test "pip would not take torch's dependencies from what torchshim reads: they are left to pip" {
    # --no-deps: pip installs none
    TORCHSHIM_VERBOSE=1 install_torch --no-deps torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"prefetch: torch's dependencies left to pip (--no-deps)"* ]]
    # an index of the user's own that torchshim does not read (it answers 404)
    TORCHSHIM_VERBOSE=1 install_torch torch==2.3.1 --extra-index-url "$MIRROR_URL/status/404/simple"
    [ "$status" -eq 0 ]
    [[ "$output" == *"prefetch: torch's dependencies left to pip (pip also reads $MIRROR_URL/status/404/simple)"* ]]
    empty_venv
    # a requirements file with its own --index-url (it replaces pip's list)
    printf -- '--index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.1\n' >"$BATS_TEST_TMPDIR/req.txt"
    TORCHSHIM_VERBOSE=1 run pip install -r "$BATS_TEST_TMPDIR/req.txt"
    echo "$output"
    [[ "$output" == *"prefetch: torch's dependencies left to pip (a requirements file names indexes of its own)"* ]]
    sleep 0.3
    [ "$(ts_log_count 'nvidia.*ua="torchshim/')" -eq 0 ]
    [ "$(ts_log_count 'triton.*ua="torchshim/')" -eq 0 ]
}
