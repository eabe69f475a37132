#!/usr/bin/env bats
# The promise, tested the only way that proves it: the same command, run by
# real pip against a stand-in of the official index (venv "official") and
# through torchshim against mirrors of it (venv "shim"), must install exactly
# the same packages. The releases are invented (torch 7.x, torchvision 1.x:
# tests/fixtures/make-future.py), so nothing torchshim knows in advance can
# answer: what it pins comes from what the mirror serves. The mirrors are an
# aliyun-style flat directory (torchshim reads companions' METADATA with
# range requests) and an NJU-style PEP 503 copy (it reads the PEP 658
# files); a PyPI stand-in carries a newer plain torch, the trap.

bats_require_minimum_version 1.5.0
load ../lib/common

setup_file() {
    ts_mirror_start
    export OFFICIAL=$MIRROR_URL/future/official/whl/cu130
    for v in official shim; do
        /usr/bin/python3 -m venv "$BATS_FILE_TMPDIR/$v"
    done
    export SHIMS=$BATS_FILE_TMPDIR/shims
    mkdir -p "$SHIMS"
    ln -s "$TORCHSHIM_BUILD/torchshim" "$SHIMS/pip"
    for flavour in flat simple; do
        format=find-links
        [ "$flavour" = simple ] && format=simple
        cat >"$BATS_FILE_TMPDIR/config-$flavour.ini" <<EOS
[mirror "local"]
wheels = $MIRROR_URL/future/mirror-$flavour/{variant}
wheels-format = $format
pypi = $MIRROR_URL/future/pypi/simple
; never the real upstream from a test: a closed loopback port
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
[use]
wheels = local
pypi = local
EOS
    done
}

teardown_file() {
    ts_mirror_stop
}

setup() {
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/config-flat.ini
    export TORCHSHIM_CACHE_DIR=$BATS_FILE_TMPDIR/cache
    export TORCHSHIM_DATADIR=$TS_TOP/config
    export HOME=$BATS_FILE_TMPDIR
    export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    export PIP_CONFIG_FILE=/dev/null PIP_TIMEOUT=5 PIP_RETRIES=0
    unset PIP_FIND_LINKS PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_NO_INDEX
    for v in official shim; do
        "$BATS_FILE_TMPDIR/$v/bin/pip" uninstall -q -y torch torchvision torchaudio filelock \
            typing-extensions >/dev/null 2>&1 || true
    done
    ts_log_clear
}

installed() {
    "$BATS_FILE_TMPDIR/$1/bin/pip" list --format=freeze 2>/dev/null |
        grep -E '^(torch|torchvision|torchaudio|filelock|typing.extensions)==' | sort
}

# same OFFICIAL_ARGS -- SHIM_ARGS: install with real pip from the official
# stand-in and through the shim, then compare. Prints both sets.
same() {
    local official=() shim=()
    while [ "$1" != -- ]; do official+=("$1"); shift; done
    shift
    shim=("$@")
    run "$BATS_FILE_TMPDIR/official/bin/pip" install "${official[@]}"
    echo "official: $output"
    [ "$status" -eq 0 ]
    PATH="$SHIMS:$BATS_FILE_TMPDIR/shim/bin:/usr/bin:/bin" run pip install "${shim[@]}"
    echo "shim: $output"
    [ "$status" -eq 0 ]
    echo "official set:"; installed official
    echo "shim set:"; installed shim
    [ -n "$(installed official)" ]
    [ "$(installed official)" = "$(installed shim)" ]
}

@test "torch torchvision torchaudio: the newest torch every companion has a release for (7.2.0: torchaudio lags)" {
    same torch torchvision torchaudio --index-url "$OFFICIAL" -- \
         torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cu130
    [[ "$(installed shim)" == *"torch==7.2.0+cu130"* ]]
    # the companions' METADATA was read from the flat mirror with range requests
    ts_log_requests '"GET /future/mirror-flat/cu130/torchaudio-7.2.0%2Bcu130-.*\.whl HTTP/1\.1" 206 .*range="bytes=-'
    # nothing of the trap
    ! ts_log_requests 'GET /future/pypi/packages/torch-7\.4\.0' || false
}

@test "torch torchvision: the newest release, newer than any table" {
    same torch torchvision --index-url "$OFFICIAL" -- \
         torch torchvision --index-url https://download.pytorch.org/whl/cu130
    [[ "$(installed shim)" == *"torch==7.3.0+cu130"* ]]
    [[ "$(installed shim)" == *"torchvision==1.8.0+cu130"* ]]
}

@test "a pinned torch and a companion" {
    same torch==7.2.0 torchvision --index-url "$OFFICIAL" -- \
         torch==7.2.0 torchvision --index-url https://download.pytorch.org/whl/cu130
}

@test "a companion alone decides torch through its metadata" {
    same torchvision==1.6.0 --index-url "$OFFICIAL" -- \
         torchvision==1.6.0 --index-url https://download.pytorch.org/whl/cu130
    [[ "$(installed shim)" == *"torch==7.1.0+cu130"* ]]
}

@test "ranges" {
    same 'torch>=7.1,<7.3' torchaudio --index-url "$OFFICIAL" -- \
         'torch>=7.1,<7.3' torchaudio --index-url https://download.pytorch.org/whl/cu130
}

@test "the command names the mirror itself (-f): the same pins, the trap avoided" {
    same torch torchvision --index-url "$OFFICIAL" -- \
         torch torchvision -f "$MIRROR_URL/future/mirror-flat/cu130"
    [[ "$(installed shim)" == *"torch==7.3.0+cu130"* ]]
}

@test "a bare +variant pin gets the variant's mirror" {
    same torch==7.2.0+cu130 --index-url "$OFFICIAL" -- torch==7.2.0+cu130
}

@test "a PEP 503 mirror with PEP 658 files: the metadata files are read, no ranges" {
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/config-simple.ini
    same torch torchvision torchaudio --index-url "$OFFICIAL" -- \
         torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cu130
    ts_log_requests '"GET /future/mirror-simple/cu130/torchaudio-7\.2\.0%2Bcu130-.*\.whl\.metadata HTTP/1\.1" 200'
    ! ts_log_requests 'range="bytes=' || false
}

@test "the metadata is cached for good: a second resolution asks for no wheel at all" {
    TORCHSHIM_DRY_RUN=1 PATH="$SHIMS:/usr/bin:/bin" run pip install torch torchvision torchaudio \
        --index-url https://download.pytorch.org/whl/cu130
    [ "$status" -eq 0 ]
    ts_log_clear
    TORCHSHIM_DRY_RUN=1 PATH="$SHIMS:/usr/bin:/bin" run pip install torch torchvision torchaudio \
        --index-url https://download.pytorch.org/whl/cu130
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"torch==7.2.0+cu130 torchvision==1.7.0+cu130 torchaudio==7.2.0+cu130"* ]]
    [ "$(ts_log_count '\.whl')" -eq 0 ]
}

# copycat_config NAME...: [use] wheels = those sites (copycat, copycat-nocopy, flat)
copycat_config() {
    {
        for s in copycat copycat-nocopy; do
            printf '[mirror "%s"]\nwheels = %s/future/%s/{variant}\nwheels-format = simple\n' \
                "$s" "$MIRROR_URL" "$s"
        done
        printf '[mirror "flat"]\nwheels = %s/future/mirror-flat/{variant}\nwheels-format = find-links\n' "$MIRROR_URL"
        printf '[mirror "pypi"]\npypi = %s/future/pypi/simple\n' "$MIRROR_URL"
        printf '[mirror "official"]\nwheels = http://127.0.0.1:9/whl/{variant}\npypi = http://127.0.0.1:9/pypi/simple\n'
        printf '[use]\nwheels = %s\npypi = pypi\n' "$*"
    } > "$BATS_FILE_TMPDIR/copycat.ini"
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/copycat.ini
}

@test "a mirror whose pages link back upstream: said, and its own copies of the files are what pip downloads" {
    copycat_config copycat
    same torch torchvision --index-url "$OFFICIAL" -- \
         torch torchvision --index-url https://download.pytorch.org/whl/cu130
    [[ "$output" == *"links torch to https://download-r2.pytorch.org/whl/cu130/"*"its own copy is used instead"* ]]
    ts_log_requests '"GET /future/copycat/cu130/torch-7\.3\.0%2Bcu130-.*\.whl HTTP/1\.1" 200'
}

@test "a mirror linking upstream without copies of its own: the next mirror" {
    copycat_config copycat-nocopy flat
    same torch torchvision --index-url "$OFFICIAL" -- \
         torch torchvision --index-url https://download.pytorch.org/whl/cu130
    [[ "$output" == *"copycat-nocopy"*"has no copy of its own"* ]]
    ts_log_requests '"GET /future/mirror-flat/cu130/torch-7\.3\.0%2Bcu130-.*\.whl HTTP/1\.1" 200'
}
