#!/usr/bin/env bash
# tests/run.sh — run every test and print one closing line "N passed, N failed".
#
#   unit:  build/tests/test_*   cmocka, TAP output
#   shell: tests/bats/*.bats    bats (PATH lookup, exit codes, dry-run, ...)
#   e2e:   tests/e2e/*.bats     bats against nginx on loopback and a real venv
#   fault: tests/fault/*.bats   the fault matrix: a scripted mirror answering
#                               each fault, a healthy one behind it
#   fuzz:  tests/fuzz/run-short a few seconds per libFuzzer target (when clang
#                               with libFuzzer is present)
#
# TESTS_ONLY="unit bats ..." (of unit bats e2e fault fuzz) limits the run; arguments name .bats files to run
# instead of the whole directory (e.g. tests/run.sh tests/e2e/10-pip-venv.bats).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
BUILD=${BUILD:-build}
export TORCHSHIM_BUILD="$top/$BUILD"
export TORCHSHIM_TOP="$top"
only=${TESTS_ONLY:-}
# want GROUP: is GROUP part of this run?
want() { [ -z "$only" ] || [[ " $only " == *" $1 "* ]]; }
log=$(mktemp -d "${TMPDIR:-/tmp}/torchshim-tests.XXXXXX")
trap 'rm -rf "$log"' EXIT

passed=0 failed=0 skipped=0
# count_tap FILE LABEL: add a TAP stream's results to the totals.
count_tap() {
    local f=$1 label=$2 ok nok skip plan ran
    ok=$(grep -cE '^ok [0-9]+' "$f")
    nok=$(grep -cE '^not ok [0-9]+' "$f")
    skip=$(grep -cE '^ok [0-9]+.*# (skip|SKIP)' "$f")
    plan=$(grep -oE '^1\.\.[0-9]+' "$f" | head -1 | cut -d. -f3)
    ran=$((ok + nok))
    if [ -n "$plan" ] && [ "$ran" -lt "$plan" ]; then
        echo "not ok - $label: planned $plan tests, ran $ran (crashed?)"
        nok=$((nok + plan - ran))
    fi
    passed=$((passed + ok - skip))
    skipped=$((skipped + skip))
    failed=$((failed + nok))
}

if want unit; then
    for t in "$BUILD"/tests/test_*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        out="$log/$name.tap"
        CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>&1
        rc=$?
        sed "s/^/[$name] /" "$out" | grep -vE '^\[[^]]*\] ok ' || true
        count_tap "$out" "$name"
        if [ "$rc" -ne 0 ] && ! grep -qE '^not ok' "$out"; then
            echo "not ok - $name exited with status $rc"
            failed=$((failed + 1))
        fi
    done
fi

run_bats() {
    local dir=$1 label=$2 files out f
    files=$(ls "$dir"/*.bats 2>/dev/null) || return 0
    if [ $# -gt 2 ]; then  # only the named files that live in this directory
        files=
        for f in "${@:3}"; do [ "$(dirname "$f")" = "$dir" ] && files="$files $f"; done
    fi
    [ -n "$files" ] || return 0
    out="$log/$label.tap"
    # shellcheck disable=SC2086
    bats --tap $files >"$out" 2>&1
    grep -vE '^ok ' "$out" | sed "s/^/[$label] /" || true
    count_tap "$out" "$label"
}
if want bats; then run_bats tests/bats bats "$@"; fi
if want e2e; then run_bats tests/e2e e2e "$@"; fi
if want fault; then run_bats tests/fault fault "$@"; fi
if want fuzz && [ $# -eq 0 ] && [ -x tests/fuzz/run-short ]; then
    out="$log/fuzz.tap"
    tests/fuzz/run-short >"$out" 2>&1
    grep -vE '^ok ' "$out" | sed "s/^/[fuzz] /" || true
    count_tap "$out" fuzz
fi

if [ "$skipped" -gt 0 ]; then
    echo "$passed passed, $failed failed, $skipped skipped"
else
    echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
