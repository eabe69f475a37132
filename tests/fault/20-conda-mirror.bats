#!/usr/bin/env bats
# The fault matrix, conda path: `conda install pytorch cpuonly python=3.11
# -c pytorch` (CONDA_SUBDIR=linux-64) with `[use] conda = bad late`: the
# mirrors race; "bad" (tests/fault/faultd.py) answers each fault at once,
# "late" is healthy but answers 0.7 s later, so a bad answer always completes
# first. The official channel answers 503. The real conda is a stub that
# records its argv and exits 7.
#
# Each cell asserts: bounded time; the bad answer does not win (the command
# names late's channel and its exact build); the exit code kept; nothing
# from "bad" left in the cache.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper
load fault

setup_file() { fault_setup_file --gen; }
teardown_file() { fault_teardown_file; }
setup() { fault_setup; }
teardown() { fault_teardown; }

BOUND=10

# not_cached_from SPEC: nothing bad from /fault/SPEC/ in the cache (with
# match=linux-64 the rest of that mirror is healthy: only linux-64 counts).
not_cached_from() {
    if [[ "$1" == *match=linux-64* ]]; then
        assert_not_cached "/fault/$1/anaconda/cloud/pytorch/linux-64/"
    else
        assert_not_cached "/fault/$1/"
    fi
}

# cell SPEC: bad answers SPEC; the command must run with late's builds.
cell() {
    fault_config conda "$1" late
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_pinned_from "$(late_url)"
    [ "$(fault_log_count "GET /fault/$(sed 's/[+.]/\\&/g' <<<"$1")/anaconda/cloud/pytorch/linux-64/repodata")" -ge 1 ]
    [ "$(fault_log_count 'GET /fault/delay=0\.7/anaconda/cloud/pytorch/linux-64/repodata[^ ]* HTTP/1\.1" 200')" -ge 1 ]
    not_cached_from "$1"
}

# rss_cell SPEC MAX_KIB: as cell, and the whole run's peak RSS stays below MAX_KIB.
rss_cell() {
    fault_config conda "$1" late
    fault_run 30 "$TS_TOP/tests/fault/peak-rss" "$T/rss" "${CONDA_CMD[@]}"
    assert_bounded 30
    assert_status 7
    assert_conda_pinned_from "$(late_url)"
    echo "peak RSS $(cat "$T/rss") KiB"
    fault_sanitized || [ "$(cat "$T/rss")" -lt "$2" ]
    not_cached_from "$1"
}

# ---- network faults -------------------------------------------------------

@test "404 from the first conda mirror: the second mirror's builds are used" {
    cell status=404
}

@test "500 from the first conda mirror: the second mirror's builds are used" {
    cell status=500
}

@test "the first conda mirror refuses connections: the second mirror's builds are used" {
    fault_config conda dead late
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_pinned_from "$(late_url)"
}

@test "the first conda mirror resets the connection: the second mirror's builds are used" {
    cell reset
}

@test "the first conda mirror never answers: the second mirror's builds are used" {
    cell hang
}

@test "the first conda mirror sends headers and then nothing: the second mirror's builds are used" {
    cell stall
}

@test "the first conda mirror sends repodata at 1 byte/s: the second mirror's builds are used" {
    cell slow
}

@test "the first conda mirror truncates repodata: the second mirror's builds are used" {
    cell truncate
}

# ---- data faults: the fast answer is bad and must not win the race -----------

@test "garbage repodata from the first conda mirror (answering first): the second mirror's builds are used" {
    cell garbage
}

@test "undecodable bytes as repodata.json.zst from the first conda mirror: the second mirror's builds are used" {
    cell rawgarbage
}

@test "a 200 maintenance page as repodata from the first conda mirror: the second mirror's builds are used" {
    cell maintenance
}

@test "valid JSON of the wrong structure from the first conda mirror: the second mirror's builds are used" {
    cell jsonwrong
}

@test "repodata with \"packages\": {} from the first conda mirror: the second mirror's builds are used" {
    cell nopackages
}

@test "repodata without any PyTorch record from the first conda mirror: the second mirror's builds are used" {
    cell notorch
}

@test "an empty 200 as repodata from the first conda mirror: the second mirror's builds are used" {
    cell empty
}

@test "build strings carrying option text (-c http://evil.example --override-channels, newline, --yes) are rejected: the second mirror's builds are used" {
    fault_config conda badbuild late
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    if grep -q 'evil\.example\|--override-channels\|--yes' "$T/argv.conda"; then
        echo "FAIL: a build string from repodata reached the command line"
        return 1
    fi
    assert_conda_pinned_from "$(late_url)"
    assert_not_cached "/fault/badbuild/"
}

@test "a depends entry with an exponential build regex (libevil 1.0 ^p++++...y*\$) does not make resolution slow" {
    fault_config conda regexbomb late
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    # the data is well-formed and carries the right build: either mirror may win
    grep -qx 'pytorch=2.5.1=py3.11_cpu_0' <(tr '\0' '\n' <"$T/argv.conda")
    grep -qxE -- "($FAULT_URL/fault/regexbomb|$(late_url))/anaconda/cloud/pytorch" \
        <(tr '\0' '\n' <"$T/argv.conda")
}

# ---- size: bombs and a huge index --------------------------------------------

@test "a zstd bomb (1 GiB) as repodata.json.zst: capped, the second mirror's builds are used" {
    rss_cell match=linux-64+bomb $((400 * 1024))
}

@test "a bzip2 bomb (300 MB) as repodata.json.bz2: capped, the second mirror's builds are used" {
    rss_cell match=linux-64+only=bz2+bomb $((400 * 1024))
}

@test "a gzip bomb sent with Content-Encoding: gzip as repodata.json: capped, the second mirror's builds are used" {
    rss_cell match=linux-64+only=json+bomb $((400 * 1024))
}

@test "a gzip bomb as the body of repodata.json (mislabelled): capped, the second mirror's builds are used" {
    rss_cell match=linux-64+only=json+rawgzipbomb $((400 * 1024))
}

@test "a 200 MB repodata served as 2 MB of zstd: peak memory below the document's size, under 64 MiB cached" {
    fault_config conda match=linux-64+huge late
    fault_run 30 "$TS_TOP/tests/fault/peak-rss" "$T/rss" "${CONDA_CMD[@]}"
    assert_bounded 30
    assert_status 7
    grep -qx 'pytorch=2.5.1=py3.11_cpu_0' <(tr '\0' '\n' <"$T/argv.conda")
    local rss cached
    rss=$(cat "$T/rss")
    cached=$(du -sk "$TORCHSHIM_CACHE_DIR" | cut -f1)
    echo "peak RSS $rss KiB, cache $cached KiB"
    fault_sanitized || [ "$rss" -lt $((192 * 1024)) ]
    [ "$cached" -lt $((64 * 1024)) ]
}

# ---- redirects --------------------------------------------------------------

@test "a redirect loop on the first conda mirror: the second mirror's builds are used" {
    cell redirect=loop
}

@test "a redirect to file:// on the first conda mirror is refused: the second mirror's builds are used" {
    cell redirect=file
}

@test "a redirect to conda.anaconda.org-like official host (unreachable) on the first conda mirror: the second mirror's builds are used" {
    cell redirect=official
}

@test "a redirect to another healthy host is followed and may win the race" {
    fault_config conda "redirect=port:$MIRROR_PORT" late
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_pinned_from "$FAULT_URL/fault/redirect=port:$MIRROR_PORT"
    ts_log_requests 'GET /anaconda/cloud/pytorch/linux-64/repodata.json.zst HTTP/1.1" 200'
}

# ---- every source fails ------------------------------------------------------

@test "the only conda mirror serves garbage: the official channel is tried, then the original command runs" {
    fault_config conda garbage
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_original install pytorch cpuonly python=3.11 -c pytorch
    local bad off
    bad=$(fault_log_line 'GET /fault/garbage/anaconda/cloud/pytorch/linux-64/repodata')
    off=$(fault_log_line 'GET /fault/status=503/official/pytorch/linux-64/repodata')
    [ "$bad" -gt 0 ] && [ "$off" -gt "$bad" ]
    assert_not_cached "/fault/garbage/"
}

@test "both conda mirrors serve bad repodata (empty packages, wrong JSON): the original command runs" {
    fault_config conda nopackages "delay=0.3+jsonwrong"
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_original install pytorch cpuonly python=3.11 -c pytorch
}

@test "every conda source unreachable: the original command runs, the real conda's exit code 7 is kept" {
    fault_config conda dead hang
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    assert_status 7
    assert_conda_original install pytorch cpuonly python=3.11 -c pytorch
}

# ---- what may still refuse ----------------------------------------------------

@test "pytorch>=2.6 is still refused when the healthy mirror's index says so, after a garbage mirror" {
    fault_config conda garbage late
    fault_run "$BOUND" conda install 'pytorch>=2.6' python=3.12 -c pytorch
    assert_bounded "$BOUND"
    assert_status 1
    [[ "$output" == *"stopped at 2.5.1"* ]]
    [ ! -e "$T/argv.conda" ]
}

@test "a bad conda answer is not remembered: once the mirror is healthy it is asked again and wins" {
    fault_config conda rule:flaky late
    fault_rule flaky maintenance
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_bounded "$BOUND"
    [ "$(fault_log_count 'GET /flaky/anaconda/cloud/pytorch/linux-64/repodata')" -ge 1 ]
    fault_rule flaky ok
    : >"$FAULT_STATE/access.log"
    fault_run "$BOUND" "${CONDA_CMD[@]}"
    assert_status 7
    [ "$(fault_log_count 'GET /flaky/anaconda/cloud/pytorch/linux-64/repodata[^ ]* HTTP/1.1" 200')" -ge 1 ]
    assert_conda_pinned_from "$FAULT_URL/flaky"
}
