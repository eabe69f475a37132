#!/usr/bin/env bats
# The fault matrix, the cache: damaged entries (corrupt, forged, symlink,
# directory, FIFO), an unwritable or full cache directory, 20 pip + 20 conda
# runs at once on one cache, SIGKILL in the middle of a fetch, and the engine
# outliving its front end. Mirrors: nginx ("good") and faultd.
# Each test asserts bounded time, the right command (pins from a healthy
# mirror), the real tool's exit code (7) and a sane cache afterwards.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper
load fault

setup_file() { fault_setup_file --gen; }
teardown_file() { fault_teardown_file; }
setup() {
    fault_setup
    MOUNTS=()
    BG_PIDS=()
}
teardown() {
    local p m
    for p in "${BG_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    for m in "${MOUNTS[@]}"; do mountpoint -q "$m" && umount "$m"; done
    fault_teardown
}

BOUND=10

# warm: one pip run through good, so the cache holds its listing.
warm_pip() {
    fault_config wheels good
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
    ls "$TORCHSHIM_CACHE_DIR"/http/* >/dev/null
    : >"$MIRROR_STATE/access.log"
    rm -f "$T/argv.pip"
}

# pip_again: the next run still pins from good, in bounded time.
pip_again() {
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
}

no_temp_files() {
    local left
    left=$(find "$1" -name '*.tmp.*' 2>/dev/null)
    if [ -n "$left" ]; then
        echo "FAIL: temporary files left in the cache:"
        ls -la $left
        return 1
    fi
}

# ---- damaged entries -----------------------------------------------------------

@test "a corrupt cache entry (bytes appended) is discarded and the listing refetched" {
    warm_pip
    for f in "$TORCHSHIM_CACHE_DIR"/http/*; do printf 'garbage' >>"$f"; done
    pip_again
    ts_log_requests 'GET /pytorch-wheels/cu121/ HTTP/1.1" 200'
}

@test "a well-formed cache entry whose body is a maintenance page is dropped and refetched" {
    warm_pip
    printf '<html><body><h1>Down for maintenance</h1></body></html>\n' >"$T/maint"
    "$FAULT_PY" "$TS_TOP/tests/fault/cache-forge.py" "$TORCHSHIM_CACHE_DIR" "$MIRROR_URL/pytorch-wheels/cu121" "$T/maint"
    pip_again
    ts_log_requests 'GET /pytorch-wheels/cu121/ HTTP/1.1" 200'
}

@test "a well-formed cached repodata that is not repodata is dropped and refetched (conda)" {
    fault_config conda good
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_status 7
    printf '{"packages": []}\n' >"$T/bad.json"
    "$FAULT_PY" "$TS_TOP/tests/fault/cache-forge.py" "$TORCHSHIM_CACHE_DIR" "linux-64/repodata.json" "$T/bad.json"
    : >"$MIRROR_STATE/access.log"
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_pinned_from "$MIRROR_URL"
    ts_log_requests 'GET /anaconda/cloud/pytorch/linux-64/repodata.json[^ ]* HTTP/1.1" 200'
}

@test "a symlink in place of a cache entry: the page is refetched, the file it points to is left alone" {
    warm_pip
    printf 'decoy: not a cache entry\n' >"$T/decoy"
    cp "$T/decoy" "$T/decoy.orig"
    for f in "$TORCHSHIM_CACHE_DIR"/http/*; do rm "$f"; ln -s "$T/decoy" "$f"; done
    pip_again
    cmp "$T/decoy" "$T/decoy.orig"
    for f in "$TORCHSHIM_CACHE_DIR"/http/*; do [ ! -L "$f" ] || [ "$(readlink "$f")" = "$T/decoy" ]; done
}

@test "a symlink to /dev/zero in place of a cache entry: bounded time, the page is refetched" {
    warm_pip
    for f in "$TORCHSHIM_CACHE_DIR"/http/*; do rm "$f"; ln -s /dev/zero "$f"; done
    pip_again
}

@test "a directory in place of a cache entry: bounded time, the page is fetched" {
    warm_pip
    for f in "$TORCHSHIM_CACHE_DIR"/http/*; do rm "$f"; mkdir "$f"; done
    pip_again
    ts_log_requests 'GET /pytorch-wheels/cu121/ HTTP/1.1" 200'
}

@test "a FIFO in place of a cache entry does not block: bounded time, the page is fetched" {
    warm_pip
    for f in "$TORCHSHIM_CACHE_DIR"/http/*; do rm "$f"; mkfifo "$f"; done
    pip_again
    ts_log_requests 'GET /pytorch-wheels/cu121/ HTTP/1.1" 200'
}

@test "a FIFO in place of the repodata memo file does not block (conda)" {
    fault_config conda good
    mkdir -p "$TORCHSHIM_CACHE_DIR"
    chmod 700 "$TORCHSHIM_CACHE_DIR"
    mkfifo "$TORCHSHIM_CACHE_DIR/repodata-variants.memo"
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_pinned_from "$MIRROR_URL"
}

# ---- the cache directory itself -----------------------------------------------

@test "an unwritable cache directory: the command still gets its pins (pip and conda)" {
    local dir=$T/rocache
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        mount -t tmpfs -o ro,size=1m tmpfs "$dir" || skip "cannot mount a read-only tmpfs"
        MOUNTS+=("$dir")
    else
        chmod 0500 "$dir"
    fi
    export TORCHSHIM_CACHE_DIR=$dir
    fault_config wheels,conda good
    pip_again
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_pinned_from "$MIRROR_URL"
}

@test "a full disk under the cache: the command still gets its pins, no temporary files are left" {
    [ "$(id -u)" -eq 0 ] || skip "needs root to mount a small tmpfs as the cache (CI runs as root)"
    local dir=$T/fullcache
    mkdir -p "$dir"
    mount -t tmpfs -o size=256k tmpfs "$dir" || skip "cannot mount a tmpfs here"
    MOUNTS+=("$dir")
    mkdir -m 700 "$dir/cache"
    dd if=/dev/zero of="$dir/filler" bs=4k 2>/dev/null || true
    export TORCHSHIM_CACHE_DIR=$dir/cache
    fault_config wheels,conda good
    pip_again
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_pinned_from "$MIRROR_URL"
    no_temp_files "$dir/cache"
    run "$SHIM" cache info
    [ "$status" -eq 0 ]
}

# ---- concurrency and crashes ----------------------------------------------------

@test "20 pip and 20 conda runs at once on one cache: every one gets its pins, the cache stays sound" {
    fault_config wheels,conda good
    local i pids=() st failed=0
    SECONDS=0
    for i in $(seq 1 20); do
        RUN_ID=p$i "${PIP_CMD[@]}" >"$T/out.p$i" 2>&1 &
        pids+=($!)
        RUN_ID=c$i "${CONDA_CMD[@]}" >"$T/out.c$i" 2>&1 &
        pids+=($!)
    done
    BG_PIDS=("${pids[@]}")
    for i in "${pids[@]}"; do
        st=0
        wait "$i" || st=$?
        [ "$st" -eq 7 ] || { echo "a run exited $st"; failed=1; }
    done
    echo "40 runs in ${SECONDS}s"
    [ "$failed" -eq 0 ] || { cat "$T"/out.*; return 1; }
    [ "$SECONDS" -le 60 ]
    for i in $(seq 1 20); do
        RUN_ID=p$i assert_pip_pinned_from "$MIRROR_URL"
        RUN_ID=c$i assert_conda_pinned_from "$MIRROR_URL"
    done
    run "$SHIM" cache info
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" != *corrupt* ]]
    no_temp_files "$TORCHSHIM_CACHE_DIR"
}

@test "SIGKILL in the middle of fetching and caching: the next run leaves no temporary files behind" {
    # a 200 MB repodata makes the cache write long enough to be caught
    fault_config conda rule:big late
    fault_rule big "match=linux-64+huge"
    local k pid t kills=0 seen=0 before
    for k in 1 2 3; do
        before=$(find "$TORCHSHIM_CACHE_DIR" -name '*.tmp.*' 2>/dev/null | wc -l)
        setsid "${CONDA_CMD[@]}" >/dev/null 2>&1 &
        pid=$!
        BG_PIDS+=("$pid")
        for t in $(seq 1 400); do
            if [ "$(find "$TORCHSHIM_CACHE_DIR" -name '*.tmp.*' 2>/dev/null | wc -l)" -gt "$before" ]; then
                seen=$((seen + 1))
                break
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.02
        done
        kill -KILL -- "-$pid" 2>/dev/null && kills=$((kills + 1))
        wait "$pid" 2>/dev/null || true
    done
    echo "killed $kills runs, $seen of them while a temporary cache file existed"
    find "$TORCHSHIM_CACHE_DIR" -name '*.tmp.*' -exec ls -la {} + || true
    fault_rule big ok
    FAULT_TTL=0 fault_config conda rule:big late
    fault_run 30 "${CONDA_CMD[@]}"
    assert_bounded 30
    assert_status 7
    no_temp_files "$TORCHSHIM_CACHE_DIR"
}

@test "the engine dies with its front end: SIGKILL to pip mid-fetch leaves no engine running" {
    FAULT_TIMEOUT=30 fault_config wheels hang good
    "${PIP_CMD[@]}" >"$T/out" 2>&1 &
    local front=$! engine="" t
    BG_PIDS+=("$front")
    for t in $(seq 1 250); do
        engine=$(pgrep -P "$front" | head -1)
        [ -n "$engine" ] && [ "$(fault_log_count 'GET /fault/hang/')" -ge 1 ] && break
        sleep 0.02
    done
    [ -n "$engine" ]
    BG_PIDS+=("$engine")
    kill -KILL "$front"
    wait "$front" 2>/dev/null || true
    for t in $(seq 1 150); do
        kill -0 "$engine" 2>/dev/null || break
        sleep 0.02
    done
    if kill -0 "$engine" 2>/dev/null; then
        echo "FAIL: the engine (pid $engine) still runs 3 s after its front end was killed"
        return 1
    fi
}
