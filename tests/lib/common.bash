# tests/lib/common.bash — helpers for bats tests; `load ../lib/common` at the
# top of a .bats file (top level, so tests and setup_file both see them).
#
#   ts_fixtures_build        build every fixture (tests/fixtures/make-all.sh)
#                            into $TS_FIXTURES, once per run (idempotent,
#                            flock-serialised), and print that directory.
#   ts_mirror_start [--copy] [ROOT]
#                            start tests/lib/nginx-serve on ROOT (default: the
#                            built fixtures).  --copy serves a private copy in
#                            the test file's tmpdir, for tests that edit files.
#                            Exports MIRROR_PORT, MIRROR_URL
#                            (http://127.0.0.1:PORT), MIRROR_STATE (state dir,
#                            access.log inside), MIRROR_ROOT.
#   ts_mirror_stop           stop it (harmless if not running).
#   ts_log_requests PATTERN  print access-log lines matching the extended
#                            regex PATTERN; status 1 when none.
#   ts_log_count PATTERN     print how many access-log lines match.
#   ts_log_clear             empty the access log.
#   ts_blackhole_start / ts_blackhole_stop
#                            a dead mirror (tests/lib/blackhole); exports
#                            BLACKHOLE_PORT, BLACKHOLE_URL, BLACKHOLE_STATE.
#
# Environment: TORCHSHIM_TOP (set by tests/run.sh; derived from this file's
# path otherwise), TS_FIXTURES_DIR overrides the fixture cache directory
# (default tests/fixtures/out, git-ignored).

TS_TOP=${TORCHSHIM_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
TS_LIB=$TS_TOP/tests/lib
TS_FIXTURES=${TS_FIXTURES_DIR:-$TS_TOP/tests/fixtures/out}
export TS_TOP TS_LIB TS_FIXTURES

# _ts_tmp: the most durable per-file temp dir bats offers.
_ts_tmp() {
    local d=${BATS_FILE_TMPDIR:-${BATS_TEST_TMPDIR:-}}
    if [ -z "$d" ]; then
        d=$(mktemp -d "${TMPDIR:-/tmp}/torchshim-test.XXXXXX") || return 1
    fi
    printf '%s\n' "$d"
}

ts_fixtures_build() {
    "$TS_TOP/tests/fixtures/make-all.sh" "$TS_FIXTURES" >&2 || {
        echo "ts_fixtures_build: make-all.sh failed" >&2
        return 1
    }
    printf '%s\n' "$TS_FIXTURES"
}

ts_mirror_start() {
    local copy=0 root tmp port
    if [ "${1:-}" = --copy ]; then copy=1; shift; fi
    if [ $# -ge 1 ]; then
        root=$1
    else
        root=$(ts_fixtures_build) || return 1
    fi
    tmp=$(_ts_tmp) || return 1
    if [ "$copy" -eq 1 ]; then
        rm -rf "$tmp/mirror-root"
        cp -a "$root/." "$tmp/mirror-root" || return 1
        root=$tmp/mirror-root
    fi
    port=$("$TS_LIB/nginx-serve" start "$root" "$tmp/mirror") || return 1
    export MIRROR_PORT=$port
    export MIRROR_URL=http://127.0.0.1:$port
    export MIRROR_STATE=$tmp/mirror
    export MIRROR_ROOT=$root
}

ts_mirror_stop() {
    [ -n "${MIRROR_STATE:-}" ] || return 0
    "$TS_LIB/nginx-serve" stop "$MIRROR_STATE"
}

ts_log_requests() {
    grep -E -- "$1" "$MIRROR_STATE/access.log"
}

ts_log_count() {
    grep -cE -- "$1" "$MIRROR_STATE/access.log" || true
}

ts_log_clear() {
    : >"$MIRROR_STATE/access.log"
}

ts_blackhole_start() {
    local tmp port
    tmp=$(_ts_tmp) || return 1
    port=$("$TS_LIB/blackhole" start "$tmp/blackhole") || return 1
    export BLACKHOLE_PORT=$port
    export BLACKHOLE_URL=http://127.0.0.1:$port
    export BLACKHOLE_STATE=$tmp/blackhole
}

ts_blackhole_stop() {
    [ -n "${BLACKHOLE_STATE:-}" ] || return 0
    "$TS_LIB/blackhole" stop "$BLACKHOLE_STATE"
}

# ts_local_config FILE: a torchshim configuration with every role on the
# loopback mirror (aliyun-style wheels, a PyPI simple index, the pytorch
# conda channel), and "official" on a closed loopback port, so that no test
# can ever reach the real upstream.
ts_local_config() {
    cat >"$1" <<EOS
[mirror "local"]
wheels = $MIRROR_URL/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $MIRROR_URL/pypi/simple
conda = $MIRROR_URL/anaconda/cloud
conda-channels = pytorch
; never the real upstream from a test: a closed loopback port
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
nvidia = http://127.0.0.1:9/nvidia
[use]
wheels = local
pypi = local
conda = local
EOS
}
