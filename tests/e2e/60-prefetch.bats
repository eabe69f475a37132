#!/usr/bin/env bats
# Prefetch end to end (src/pip/pipfetch.h, prefetch.h): real pip in a venv,
# torchshim standing in for it, nginx on loopback serving a copy of the
# fixtures in which torch 2.3.1+cu121 is a real wheel padded to 8 MiB (its
# PEP 503 page's #sha256= updated), and a [prefetch] threshold of 1M so that
# torch is prefetched and torchvision (2 KB) is left to pip. nginx's access
# log tells who fetched what: torchshim's user agent with Range headers,
# pip's without.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/prefetch

WHEEL=torch-2.3.1+cu121-cp311-cp311-linux_x86_64.whl
WHEEL_URL_NAME='torch-2\.3\.1%2Bcu121-cp311-cp311-linux_x86_64\.whl'

# pad WHEEL_PATH MIB: the wheel with a stored member of MIB MiB of
# pseudo-random bytes added, RECORD updated: pip installs it.
pad() {
    /usr/bin/python3 - "$1" "$2" <<'EOF'
import base64, hashlib, os, random, sys, zipfile
path, mib = sys.argv[1], int(sys.argv[2])
pad = random.Random(mib).randbytes(mib << 20)
digest = base64.urlsafe_b64encode(hashlib.sha256(pad).digest()).rstrip(b"=").decode()
src = zipfile.ZipFile(path)
with zipfile.ZipFile(path + ".new", "w") as z:
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename.endswith(".dist-info/RECORD"):
            lines = data.decode().splitlines()
            lines.insert(len(lines) - 1, f"torch/lib/_pad.bin,sha256={digest},{len(pad)}")
            data = ("\n".join(lines) + "\n").encode()
        z.writestr(info, data)
    z.writestr(zipfile.ZipInfo("torch/lib/_pad.bin", (2024, 6, 5, 0, 0, 0)), pad)
src.close()
os.replace(path + ".new", path)
EOF
}

# config FILE WHEELS-URL FORMAT [LINES...]: loopback mirrors only, the
# [prefetch] threshold at 1M, then LINES appended under [prefetch].
config() {
    local file=$1 wheels=$2 format=$3
    shift 3
    cat >"$file" <<EOS
[mirror "local"]
wheels = $wheels
wheels-format = $format
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
    printf '%s\n' "$@" >>"$file"
}

setup_file() {
    local fixtures root
    fixtures=$(ts_fixtures_build) || return 1
    root=$BATS_FILE_TMPDIR/root
    cp -a "$fixtures/." "$root"
    pad "$root/whl/cu121/$WHEEL" 8
    cp "$root/whl/cu121/$WHEEL" "$root/pytorch-wheels/cu121/$WHEEL"
    cp "$root/whl/cu121/$WHEEL" "$BATS_FILE_TMPDIR/good.whl"
    sha=$(sha256sum "$root/whl/cu121/$WHEEL" | cut -d' ' -f1)
    sed -i "s|\(torch-2.3.1%2Bcu121-cp311-cp311-linux_x86_64.whl#sha256=\)[0-9a-f]*|\1$sha|" \
        "$root/whl/cu121/torch/index.html"
    grep -q "$sha" "$root/whl/cu121/torch/index.html"
    export WHEEL_SHA=$sha
    # /rate/ caps each connection: 8 connections take about 4 s for 8 MiB
    NGINX_SERVE_RATE=256k ts_mirror_start "$root"
    export VENV=$BATS_FILE_TMPDIR/venv
    /usr/bin/python3 -m venv "$VENV"
    export SHIMS=$BATS_FILE_TMPDIR/shims
    mkdir -p "$SHIMS"
    ln -s "$TORCHSHIM_BUILD/torchshim" "$SHIMS/pip"
    config "$BATS_FILE_TMPDIR/simple.ini" "$MIRROR_URL/whl/{variant}" simple
}

teardown_file() {
    ts_mirror_stop
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
    "$VENV/bin/pip" uninstall -q -y torch torchvision torchaudio filelock typing-extensions >/dev/null 2>&1 || true
    ts_log_clear
}

torch_version() {
    "$VENV/bin/python" -c 'import torch; print(torch.__version__)'
}

# The access-log lines for the torch wheel by torchshim / by pip.
ours() { ts_log_count "GET [^ ]*$WHEEL_URL_NAME .*ua=\"torchshim/"; }
pips() { ts_log_count "GET [^ ]*$WHEEL_URL_NAME .*ua=\"pip/"; }

install_torch() {
    run pip install torch==2.3.1 torchvision --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
}

@test "a prefetched install: several ranged requests by torchshim, pip installs the local file" {
    TORCHSHIM_VERBOSE=1 install_torch
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    [[ "$output" == *"torch==2.3.1+cu121 -> torch @ file://$TORCHSHIM_CACHE_DIR/wheels/torch-2.3.1%2Bcu121-"* ]]
    [[ "$output" == *"Processing $TORCHSHIM_CACHE_DIR/wheels/$WHEEL"* ]]
    sleep 0.3
    # the size asked first (HEAD), then the wheel in ranges over several connections
    [ "$(ts_log_count "\"HEAD [^ ]*$WHEEL_URL_NAME HTTP/1\.1\" 200 0 .*ua=\"torchshim/")" -eq 1 ]
    [ "$(ts_log_count "$WHEEL_URL_NAME HTTP/1\.1\" 206 .*ua=\"torchshim/.* range=\"bytes=[0-9]+-[0-9]+\"")" -ge 5 ]
    [ "$(pips)" -eq 0 ]
    # torchvision is below the threshold: pip downloads it itself
    ts_log_requests 'GET /whl/cu121/torchvision-0\.18\.1%2Bcu121-.*ua="pip/'
    [ "$(sha256sum "$TORCHSHIM_CACHE_DIR/wheels/$WHEEL" | cut -d' ' -f1)" = "$WHEEL_SHA" ]
    [ -f "$TORCHSHIM_CACHE_DIR/wheels/.verified/$WHEEL" ]
    ! ls "$TORCHSHIM_CACHE_DIR/wheels/"*.part || false
}

@test "a second install takes the wheel from the store: no request for it at all" {
    install_torch
    [ "$status" -eq 0 ]
    "$VENV/bin/pip" uninstall -q -y torch torchvision
    ts_log_clear
    install_torch
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    [[ "$output" == *"Processing $TORCHSHIM_CACHE_DIR/wheels/$WHEEL"* ]]
    sleep 0.3
    [ "$(ts_log_count "$WHEEL_URL_NAME")" -eq 0 ]
    # nor for the sizes: torchvision's (below the threshold) was remembered
    [ "$(ts_log_count '"HEAD ')" -eq 0 ]
    # torchshim cache shows it; clean --keep 0 removes it
    run "$TORCHSHIM_BUILD/torchshim" cache info
    [[ "$output" == *"wheel store: $TORCHSHIM_CACHE_DIR/wheels"* ]]
    [[ "$output" == *"1 wheels, 8."*" MiB"* ]]
    [[ "$output" == *"wheel "*"$WHEEL"* ]]
    run "$TORCHSHIM_BUILD/torchshim" cache clean --keep 0
    [ "$status" -eq 0 ]
    [ ! -e "$TORCHSHIM_CACHE_DIR/wheels/$WHEEL" ]
    [ ! -e "$TORCHSHIM_CACHE_DIR/wheels/.verified/$WHEEL" ]
}

@test "torch already installed in that version: nothing is prefetched (pip downloads nothing either); --force-reinstall is" {
    TORCHSHIM_PREFETCH=0 run pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121
    [ "$status" -eq 0 ]
    ts_log_clear
    TORCHSHIM_VERBOSE=1 run pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"prefetch: torch 2.3.1+cu121 is installed already: left to pip"* ]]
    [[ "$output" == *"Requirement already satisfied: torch==2.3.1+cu121"* ]]
    sleep 0.3
    [ "$(ts_log_count "$WHEEL_URL_NAME")" -eq 0 ]
    run pip install --force-reinstall --no-deps torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Processing $TORCHSHIM_CACHE_DIR/wheels/$WHEEL"* ]]
    [ "$(ours)" -ge 2 ]
}

@test "a requirements file: its copy gets the direct reference, marker kept" {
    printf -- '--index-url https://download.pytorch.org/whl/cu121\ntorch==2.3.1 ; python_version >= "3.8"\n' \
        >"$BATS_TEST_TMPDIR/req.txt"
    cp "$BATS_TEST_TMPDIR/req.txt" "$BATS_TEST_TMPDIR/req.orig"
    TORCHSHIM_VERBOSE=1 run pip install -r "$BATS_TEST_TMPDIR/req.txt"
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    [[ "$output" == *"Processing $TORCHSHIM_CACHE_DIR/wheels/$WHEEL"* ]]
    cmp "$BATS_TEST_TMPDIR/req.txt" "$BATS_TEST_TMPDIR/req.orig"
    copy=$(grep -o "rewritten into [^ ]*" <<<"$output" | head -1 | cut -d' ' -f3)
    grep -qF "torch @ file://$TORCHSHIM_CACHE_DIR/wheels/torch-2.3.1%2Bcu121-cp311-cp311-linux_x86_64.whl ; python_version >= \"3.8\"" "$copy"
}

@test "two configured mirrors list the wheel: both carry ranges; the sha256 comes from the one that lists it" {
    # "flat" answers first (an autoindex: no hashes); "simple" lists the
    # same file with its #sha256=: the digest is taken from there, and the
    # connections are spread over both (each capped: /rate/)
    cat >"$BATS_TEST_TMPDIR/two.ini" <<EOS
[mirror "flat"]
wheels = $MIRROR_URL/rate/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $MIRROR_URL/pypi/simple
[mirror "simple"]
wheels = $MIRROR_URL/rate/whl/{variant}
wheels-format = simple
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
[use]
wheels = flat simple
pypi = flat
[prefetch]
threshold = 1M
EOS
    TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/two.ini TORCHSHIM_VERBOSE=1 \
        run pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    [[ "$output" == *"prefetch: $WHEEL: sha256 from mirror 'simple'"* ]]
    [[ "$output" == *"2 mirror(s)"* ]]
    [[ "$output" == *"Processing $TORCHSHIM_CACHE_DIR/wheels/$WHEEL"* ]]
    sleep 0.3
    [ "$(ts_log_count "GET /rate/pytorch-wheels/cu121/$WHEEL_URL_NAME HTTP/1\.1\" 206 .*ua=\"torchshim/")" -ge 1 ]
    [ "$(ts_log_count "GET /rate/whl/cu121/$WHEEL_URL_NAME HTTP/1\.1\" 206 .*ua=\"torchshim/")" -ge 1 ]
    [ "$(pips)" -eq 0 ]
}

@test "TORCHSHIM_PREFETCH=0: no prefetch, pip downloads the wheel" {
    TORCHSHIM_PREFETCH=0 install_torch
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    sleep 0.3
    [ "$(ours)" -eq 0 ]
    [ "$(pips)" -eq 1 ]
    [ ! -e "$TORCHSHIM_CACHE_DIR/wheels/$WHEEL" ]
}

@test "[prefetch] enabled = never: no prefetch" {
    config "$BATS_TEST_TMPDIR/never.ini" "$MIRROR_URL/whl/{variant}" simple "enabled = never"
    TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/never.ini install_torch
    [ "$status" -eq 0 ]
    sleep 0.3
    [ "$(ours)" -eq 0 ]
    [ "$(pips)" -eq 1 ]
}

@test "enabled = always: below the threshold too, and without asking the size" {
    config "$BATS_TEST_TMPDIR/always.ini" "$MIRROR_URL/whl/{variant}" simple "enabled = always"
    TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/always.ini install_torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"Processing $TORCHSHIM_CACHE_DIR/wheels/torchvision-0.18.1+cu121-"* ]]
    sleep 0.3
    [ "$(ts_log_count '"HEAD ')" -eq 0 ]
    [ "$(ts_log_count 'GET /whl/cu121/torchvision-.*ua="pip/')" -eq 0 ]
}

@test "pip download and --dry-run are not prefetched" {
    run pip download --no-deps -d "$BATS_TEST_TMPDIR/dl" torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 0 ]
    run pip install --dry-run torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121
    [ "$status" -eq 0 ]
    sleep 0.3
    [ "$(ours)" -eq 0 ]
    [ ! -e "$TORCHSHIM_CACHE_DIR/wheels/$WHEEL" ]
}

@test "a corrupted byte on the mirror: the sha256 check rejects it, nothing is installed from it" {
    printf 'X' | dd of="$MIRROR_ROOT/whl/cu121/$WHEEL" bs=1 seek=4000000 conv=notrunc 2>/dev/null
    install_torch
    cp "$BATS_FILE_TMPDIR/good.whl" "$MIRROR_ROOT/whl/cu121/$WHEEL"
    # the prefetch fails and says so; the command then runs as without
    # prefetch: pip downloads the wheel and rejects it by the listing's hash
    [[ "$output" == *"warning: prefetch of $WHEEL failed (SHA-256 mismatch"* ]]
    [[ "$output" == *"pip downloads it from the mirror"* ]]
    [[ "$output" == *"DO NOT MATCH THE HASHES"* ]]
    [ "$status" -ne 0 ]
    run "$VENV/bin/python" -c 'import torch'
    [ "$status" -ne 0 ]
    [ ! -e "$TORCHSHIM_CACHE_DIR/wheels/$WHEEL" ]
    ! ls "$TORCHSHIM_CACHE_DIR/wheels/$WHEEL".part* || false
}

@test "a server that ignores ranges: one stream still works" {
    config "$BATS_TEST_TMPDIR/norange.ini" "$MIRROR_URL/norange/whl/{variant}" simple
    TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/norange.ini TORCHSHIM_VERBOSE=1 \
        run pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    [[ "$output" == *"Processing $TORCHSHIM_CACHE_DIR/wheels/$WHEEL"* ]]
    sleep 0.3
    # the size probe (HEAD), then the one stream: a complete 200
    ts_log_requests "GET /norange/whl/cu121/$WHEEL_URL_NAME HTTP/1\.1\" 200 $(stat -c %s "$MIRROR_ROOT/whl/cu121/$WHEEL") .*ua=\"torchshim/"
    [ "$(ts_log_count "/norange/.*$WHEEL_URL_NAME HTTP/1\.1\" 206")" -eq 0 ]
    [ "$(pips)" -eq 0 ]
}


@test "torchshim fetch interrupted half-way (SIGINT): exit 130, then only the missing ranges are asked" {
    config "$BATS_TEST_TMPDIR/rate.ini" "$MIRROR_URL/rate/whl/{variant}" simple
    export TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/rate.ini
    local dest=$BATS_TEST_TMPDIR/wheels size st pid done_bytes i
    size=$(stat -c %s "$MIRROR_ROOT/whl/cu121/$WHEEL")
    st=$dest/$WHEEL.part.state
    "$TORCHSHIM_BUILD/torchshim" fetch --dest "$dest" --backend cu121 torch==2.3.1 \
        >"$BATS_TEST_TMPDIR/out1" 2>"$BATS_TEST_TMPDIR/err1" &
    pid=$!
    for ((i = 0; i < 400; i++)); do
        done_bytes=$(state_done "$st")
        [ "${done_bytes:-0}" -ge $((size / 4)) ] && break
        sleep 0.05
    done
    kill -INT "$pid"
    local rc=0
    wait "$pid" || rc=$?
    cat "$BATS_TEST_TMPDIR/err1"
    [ "$rc" -eq 130 ]
    [ ! -s "$BATS_TEST_TMPDIR/out1" ]
    [ ! -e "$dest/$WHEEL" ]
    [ -f "$st" ]
    done_bytes=$(state_done "$st")
    echo "done at the interruption: $done_bytes of $size"
    [ "$done_bytes" -ge $((size / 4)) ]
    [ "$done_bytes" -lt "$size" ]
    grep -P '^done\t' "$st" | cut -f2,3 >"$BATS_TEST_TMPDIR/done-ranges"
    sleep 1  # nginx logs the cut requests when it sees their sockets close
    ts_log_clear
    run "$TORCHSHIM_BUILD/torchshim" fetch --dest "$dest" --backend cu121 torch==2.3.1
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"$dest/$WHEEL"* ]]
    [ "$(sha256sum "$dest/$WHEEL" | cut -d' ' -f1)" = "$WHEEL_SHA" ]
    sleep 0.3
    # every range asked is outside the ranges done; the bytes sent are the missing ones
    grep -E "GET [^ ]*$WHEEL_URL_NAME .*ua=\"torchshim/" "$MIRROR_STATE/access.log" |
        check_resumed "$BATS_TEST_TMPDIR/done-ranges" "$size"
}

@test "pip install killed while prefetching (SIGKILL): the next install resumes the part in the store" {
    config "$BATS_TEST_TMPDIR/rate.ini" "$MIRROR_URL/rate/whl/{variant}" simple
    export TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/rate.ini
    local store=$TORCHSHIM_CACHE_DIR/wheels size st pid done_bytes i
    size=$(stat -c %s "$MIRROR_ROOT/whl/cu121/$WHEEL")
    st=$store/$WHEEL.part.state
    pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121 \
        >"$BATS_TEST_TMPDIR/out1" 2>&1 &
    pid=$!
    for ((i = 0; i < 400; i++)); do
        done_bytes=$(state_done "$st")
        [ "${done_bytes:-0}" -ge $((size / 4)) ] && break
        sleep 0.05
    done
    kill -KILL "$pid"  # the front end; the engine dies with it (PR_SET_PDEATHSIG)
    wait "$pid" || true
    sleep 0.5
    [ ! -e "$store/$WHEEL" ]
    done_bytes=$(state_done "$st")
    echo "done at the kill: $done_bytes of $size"
    [ "$done_bytes" -gt 0 ]
    [ "$done_bytes" -lt "$size" ]
    grep -P '^done\t' "$st" | cut -f2,3 >"$BATS_TEST_TMPDIR/done-ranges"
    run "$VENV/bin/python" -c 'import torch'
    [ "$status" -ne 0 ]
    sleep 1
    ts_log_clear
    install_torch
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    [[ "$output" == *"Processing $store/$WHEEL"* ]]
    sleep 0.3
    grep -E "GET [^ ]*$WHEEL_URL_NAME .*ua=\"torchshim/" "$MIRROR_STATE/access.log" |
        check_resumed "$BATS_TEST_TMPDIR/done-ranges" "$size"
}

@test "pip install interrupted while prefetching (Ctrl-C to the process group): exit 130, pip never runs, the part stays" {
    config "$BATS_TEST_TMPDIR/rate.ini" "$MIRROR_URL/rate/whl/{variant}" simple
    export TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/rate.ini
    local store=$TORCHSHIM_CACHE_DIR/wheels size st pid done_bytes i rc=0
    size=$(stat -c %s "$MIRROR_ROOT/whl/cu121/$WHEEL")
    st=$store/$WHEEL.part.state
    # its own process group, as a terminal's foreground job: Ctrl-C signals
    # the front end and the engine together
    setsid pip install torch==2.3.1 --index-url https://download.pytorch.org/whl/cu121 \
        >"$BATS_TEST_TMPDIR/out1" 2>&1 &
    pid=$!
    for ((i = 0; i < 400; i++)); do
        done_bytes=$(state_done "$st")
        [ "${done_bytes:-0}" -ge $((size / 4)) ] && break
        sleep 0.05
    done
    kill -INT -- -"$pid"
    wait "$pid" || rc=$?
    cat "$BATS_TEST_TMPDIR/out1"
    [ "$rc" -eq 130 ]
    # neither the rewritten command nor the original ran
    [[ "$(cat "$BATS_TEST_TMPDIR/out1")" != *"running the command unchanged"* ]]
    [[ "$(cat "$BATS_TEST_TMPDIR/out1")" != *Collecting* ]]
    [ "$(pips)" -eq 0 ]
    [ ! -e "$store/$WHEEL" ]
    done_bytes=$(state_done "$st")
    echo "done at the interruption: $done_bytes of $size"
    [ "$done_bytes" -gt 0 ]
    [ "$done_bytes" -lt "$size" ]
}

@test "a prefetch that outlasts the engine's deadline: the front end waits for it, pip installs the local file" {
    # connect-timeout 1 + timeout 1: the engine announces 3 x 2 s + 5 s = 11 s;
    # 2 connections at 256 KiB/s take about 16 s for the 8 MiB wheel
    config "$BATS_TEST_TMPDIR/slow.ini" "$MIRROR_URL/rate/whl/{variant}" simple "connections = 2"
    printf '[network]\nconnect-timeout = 1\ntimeout = 1\n' >>"$BATS_TEST_TMPDIR/slow.ini"
    export TORCHSHIM_CONFIG=$BATS_TEST_TMPDIR/slow.ini
    local t0=$SECONDS
    install_torch
    echo "took $((SECONDS - t0)) s"
    [ "$status" -eq 0 ]
    [[ "$output" != *"no answer within"* ]]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    [ "$(pips)" -eq 0 ]
    [ "$(ours)" -ge 2 ]
    [ $((SECONDS - t0)) -gt 11 ]
}

@test "torchshim fetch into a directory, then an offline pip install --no-index" {
    local dest=$BATS_TEST_TMPDIR/offline
    run --separate-stderr "$TORCHSHIM_BUILD/torchshim" fetch --dest "$dest" --backend cu121 torch==2.3.1 torchvision
    echo "$output"
    echo "$stderr"
    [ "$status" -eq 0 ]
    # stdout: the paths, one a line
    [ "${#lines[@]}" -eq 2 ]
    [ "${lines[0]}" = "$dest/$WHEEL" ]
    [ "${lines[1]}" = "$dest/torchvision-0.18.1+cu121-cp311-cp311-linux_x86_64.whl" ]
    [[ "$stderr" == *"pip install $dest/*.whl"* ]]
    # the dependencies beside them, as the --help says (real pip, PyPI mirror)
    run "$VENV/bin/pip" download -q -d "$dest" "$dest"/torch-*.whl -i "$MIRROR_URL/pypi/simple"
    [ "$status" -eq 0 ]
    ls "$dest"/filelock-*.whl
    ts_log_clear
    run "$VENV/bin/pip" install --no-index --find-links "$dest" "$dest"/torch-*.whl "$dest"/torchvision-*.whl
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(torch_version)" = "2.3.1+cu121" ]
    sleep 0.3
    [ ! -s "$MIRROR_STATE/access.log" ]
    # fetch again: everything is there and verified, nothing is asked
    run "$TORCHSHIM_BUILD/torchshim" fetch -q --dest "$dest" --backend cu121 torch==2.3.1
    [ "$status" -eq 0 ]
    sleep 0.3
    [ "$(ts_log_count "$WHEEL_URL_NAME")" -eq 0 ]
}
