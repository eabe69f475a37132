#!/usr/bin/env bats
# The fault matrix, pip path: `pip install torch --index-url
# https://download.pytorch.org/whl/cu121` with `[use] wheels = bad good`,
# where "bad" (tests/fault/faultd.py) answers each fault below and "good"
# (nginx) is healthy; the official upstream answers 503. The real pip is a
# stub that records its argv and exits 7.
#
# Each cell asserts: bounded time; failover to the next mirror (the command
# names good's pins and find-links page); the real tool's exit code kept;
# for data faults, nothing from "bad" left in the cache. Cells where every
# source fails assert the original command runs untouched.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper
load fault

setup_file() { fault_setup_file --gen; }
teardown_file() { fault_teardown_file; }
# the healthy mirror is nginx, answering at once: a 1 s transfer timeout is
# plenty and keeps the hang/stall/slow cells short
setup() {
    fault_setup
    export FAULT_TIMEOUT=1
}
teardown() { fault_teardown; }

BOUND=10

# cell SPEC: bad answers SPEC; the command must run with good's pins.
cell() {
    fault_config wheels "$1" good
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
    [ "$(fault_log_count "GET /fault/$(sed 's/[+.]/\\&/g' <<<"$1")/pytorch-wheels/cu121/? ")" -ge 1 ]
    [ "$(ts_log_count 'GET /pytorch-wheels/cu121/ HTTP/1.1" 200')" -ge 1 ]
    assert_not_cached "/fault/$1/"
}

# ---- network faults -------------------------------------------------------

@test "404 from the first wheels mirror: the second mirror's pins are used" {
    cell status=404
}

@test "500 from the first wheels mirror: the second mirror's pins are used" {
    cell status=500
}

@test "the first wheels mirror refuses connections: the second mirror's pins are used" {
    fault_config wheels dead good
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
}

@test "the first wheels mirror resets the connection: the second mirror's pins are used" {
    cell reset
}

@test "the first wheels mirror accepts and never answers: the second mirror's pins are used within the timeout" {
    cell hang
}

@test "the first wheels mirror sends headers and then nothing: the second mirror's pins are used" {
    cell stall
}

@test "the first wheels mirror sends its page at 1 byte/s: the second mirror's pins are used" {
    cell slow
}

@test "the first wheels mirror closes before Content-Length is reached: the second mirror's pins are used" {
    cell truncate
}

# ---- data faults (200 OK with a bad body) ---------------------------------

@test "garbage listing from the first wheels mirror: the second mirror's pins are used" {
    cell garbage
}

@test "a 200 maintenance page from the first wheels mirror: the second mirror's pins are used" {
    cell maintenance
}

@test "JSON instead of a listing from the first wheels mirror: the second mirror's pins are used" {
    cell jsonwrong
}

@test "a listing with wheels but no torch from the first wheels mirror: the second mirror's pins are used" {
    cell notorch
}

@test "an empty 200 from the first wheels mirror: the second mirror's pins are used" {
    cell empty
}

@test "a 200 MB listing (gzip on the wire) from the first wheels mirror: the second mirror's pins are used" {
    cell huge
}

@test "a gzip bomb (Content-Encoding) from the first wheels mirror: the second mirror's pins are used" {
    cell bomb
}

# ---- redirects --------------------------------------------------------------

@test "a redirect loop on the first wheels mirror: the second mirror's pins are used" {
    cell redirect=loop
}

@test "a redirect to file:// on the first wheels mirror is refused: the second mirror's pins are used" {
    cell redirect=file
}

@test "a redirect to download.pytorch.org (unreachable) on the first wheels mirror: the second mirror's pins are used" {
    cell redirect=official
}

@test "a redirect to a host that refuses on the first wheels mirror: the second mirror's pins are used" {
    cell redirect=port:9
}

@test "a redirect to another healthy host is followed: the first mirror's URL is kept in the command" {
    fault_config wheels "redirect=port:$MIRROR_PORT" good
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$FAULT_URL/fault/redirect=port:$MIRROR_PORT"
}

@test "a configured file:// wheels mirror is reported as unusable (not as a redirect): the next mirror's pins are used" {
    fault_config wheels file good
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_pinned_from "$MIRROR_URL"
    [[ "$output" == *"local-file"* ]]
    if [[ "$output" == *redirect* ]]; then
        echo "FAIL: a configured file:// URL is not a redirect"
        return 1
    fi
}

# ---- every source fails -------------------------------------------------------

@test "the only wheels mirror serves garbage and the official index fails: the original command runs, exit code kept" {
    fault_config wheels garbage
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_original install torch --index-url https://download.pytorch.org/whl/cu121
    # the mirror first, then the official index
    local bad off
    bad=$(fault_log_line 'GET /fault/garbage/pytorch-wheels/cu121/ ')
    off=$(fault_log_line 'GET /fault/status=503/official/whl/cu121/torch/ ')
    [ "$bad" -gt 0 ] && [ "$off" -gt "$bad" ]
    assert_not_cached "/fault/garbage/"
}

@test "both wheels mirrors serve bad pages (maintenance, then no torch): the original command runs" {
    fault_config wheels maintenance notorch
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_original install torch --index-url https://download.pytorch.org/whl/cu121
    [ "$(fault_log_count 'GET /fault/notorch/pytorch-wheels/cu121/ ')" -ge 1 ]
}

@test "every wheels source unreachable: the original command runs, the real pip's exit code 7 is kept" {
    fault_config wheels dead hang
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_pip_original install torch --index-url https://download.pytorch.org/whl/cu121
}

# ---- what may still refuse --------------------------------------------------

@test "a version absent from a healthy listing that carries torch is still refused, after a garbage mirror" {
    fault_config wheels garbage good
    fault_run "$BOUND" pip install torch==2.4.0 --index-url https://download.pytorch.org/whl/cu121
    assert_bounded "$BOUND"
    assert_status 1
    [[ "$output" == *"2.3.1+cu121"* ]]
    [ ! -e "$T/argv.pip" ]
}

@test "a garbage mirror is not remembered: once it is healthy again it is used first" {
    fault_config wheels rule:flaky good
    fault_rule flaky maintenance
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_bounded "$BOUND"
    [ "$(fault_log_count 'GET /flaky/pytorch-wheels/cu121/ HTTP/1.1" 200')" -ge 1 ]
    # (what this run did is the garbage cells' business; here: the next run)
    fault_rule flaky ok
    : >"$FAULT_STATE/access.log"
    fault_run "$BOUND" "${PIP_CMD[@]}"
    assert_status 7
    [ "$(fault_log_count 'GET /flaky/pytorch-wheels/cu121/ HTTP/1.1" 200')" -ge 1 ]
    assert_pip_pinned_from "$FAULT_URL/flaky"
}
