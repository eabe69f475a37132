#!/usr/bin/env bash
# bench/conda-forge.sh — selecting the PyTorch family from a conda-forge-sized
# channel: cold (stream the whole linux-64 repodata.json.zst), warm (the
# compact index of the kept records, as the cache holds it) and CEP 16
# shards (the shard index plus one shard per name).
#
#   bench/conda-forge.sh              BUILD=build by default; needs hyperfine,
#                                     python3, zstd, /usr/bin/time (Debian `time`)
#   BENCH_QUICK=1 bench/conda-forge.sh   a few runs only
#
# The fixture (tests/fixtures/make-conda-forge.py, 300,000 linux-64 records,
# ~200 MB of JSON, ~35 MB as .zst; 45 s to build) is built once into
# ${BENCH_CACHE:-~/.cache/torchshim-bench}/conda-forge-<records> and reused
# while the generator is unchanged. The driver, bench/forge-scan.c, is
# compiled against $BUILD/libtorchshim.a into a temp dir removed on exit.
# "Cold" reads the file from the page cache: it measures torchshim's work
# (decompression and scanning), not the disk or the network.
#
# Goals (issue 13): cold under 2 s and under 60 MB peak RSS; warm in
# milliseconds. Prints one table: hyperfine's median for the whole process
# (start-up and dynamic linking of the engine's libraries included: about
# 40 ms here), the driver's own measure of the work, and /usr/bin/time's
# peak RSS. Exit 1 when a goal is missed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
records=${BENCH_FORGE_RECORDS:-300000}
runs=10
[ "${BENCH_QUICK:-}" = 1 ] && runs=3

for tool in hyperfine zstd; do
    command -v $tool >/dev/null || { echo "conda-forge.sh: $tool is required" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "conda-forge.sh: /usr/bin/time (Debian 'time') is required" >&2; exit 2; }
[ -f "$build/libtorchshim.a" ] || { echo "conda-forge.sh: $build/libtorchshim.a missing: run make" >&2; exit 2; }
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# ---- the fixture, once ----
gen=$top/tests/fixtures/make-conda-forge.py
stamp=$(sha256sum "$gen" | cut -c1-16)
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/torchshim-bench}/conda-forge-$records
if [ "$(cat "$cache/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
    echo "conda-forge.sh: building the $records-record fixture into $cache (once, ~1 min)" >&2
    mkdir -p "$cache"
    "$py" "$gen" "$cache" --records "$records" >&2
    echo "$stamp" > "$cache/.stamp"
fi
lx=$cache/conda-forge/linux-64

# ---- the driver ----
pc=$(pkg-config --cflags --libs libcurl libarchive libcjson libuv inih yaml-0.1 msgpack zlib libcrypto)
# shellcheck disable=SC2086
cc -O2 -std=c11 -D_GNU_SOURCE -I"$top/src/common" -I"$top/src/conda" -I"$top/src/net" \
   -o "$tmp/forge-scan" "$here/forge-scan.c" "$build/libtorchshim.a" $pc
drv=$tmp/forge-scan

gpu="pytorch-gpu"
family="pytorch pytorch-gpu pytorch-cpu libtorch torchvision torchaudio"
# the warm blobs, written by one cold run each
# shellcheck disable=SC2086
"$drv" scan "$lx/repodata.json.zst" --save "$tmp/gpu.idx" $gpu >/dev/null
# shellcheck disable=SC2086
"$drv" scan "$lx/repodata.json.zst" --save "$tmp/family.idx" $family >/dev/null

rss() { # peak RSS in KB of one run
    /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1
}

rows=()
measure() { # label, runs, command...
    local label=$1 n=$2
    shift 2
    hyperfine -N --warmup 1 --runs "$n" --export-json "$tmp/h.json" "$*" >/dev/null 2>&1
    local med
    med=$("$py" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.1f" % (r["median"]*1000))' "$tmp/h.json")
    local out kb
    out=$("$@")
    kb=$(rss "$@")
    local inproc=${out##* in }
    rows+=("$label|$med|${inproc% ms}|$((kb / 1024))|${out%% in *}")
}

# shellcheck disable=SC2086
measure "cold .zst: pytorch-gpu" "$runs" "$drv" scan "$lx/repodata.json.zst" $gpu
# shellcheck disable=SC2086
measure "cold .zst: family (6 names)" "$runs" "$drv" scan "$lx/repodata.json.zst" $family
# shellcheck disable=SC2086
measure "cold .json: family" "$runs" "$drv" scan "$lx/repodata.json" $family
# shellcheck disable=SC2086
measure "warm index: pytorch-gpu" $((runs * 5)) "$drv" warm "$tmp/gpu.idx" $gpu
# shellcheck disable=SC2086
measure "warm index: family" $((runs * 5)) "$drv" warm "$tmp/family.idx" $family
# shellcheck disable=SC2086
measure "CEP 16 shards: family" "$runs" "$drv" shards "$lx" $family

zsize=$(stat -c %s "$lx/repodata.json.zst")
jsize=$(stat -c %s "$lx/repodata.json")
echo "conda-forge fixture: $records linux-64 records, repodata.json $((jsize >> 20)) MB, .zst $((zsize >> 20)) MB; $(nproc) cores"
printf '%-30s %10s %12s %12s  %s\n' "case" "median ms" "in-proc ms" "peak RSS MB" "result"
fail=0
for r in "${rows[@]}"; do
    IFS='|' read -r label ms inproc mb res <<<"$r"
    printf '%-30s %10s %12s %12s  %s\n' "$label" "$ms" "$inproc" "$mb" "$res"
    case $label in
    cold*)
        awk -v ms="$ms" 'BEGIN { exit !(ms < 2000) }' || { echo "  goal missed: cold over 2 s"; fail=1; }
        [ "$mb" -lt 60 ] || { echo "  goal missed: cold over 60 MB"; fail=1; } ;;
    warm*)
        [ "$inproc" -lt 10 ] || { echo "  goal missed: warm not in milliseconds"; fail=1; } ;;
    esac
done
echo "goals: cold < 2000 ms and < 60 MB; warm in milliseconds: $([ $fail = 0 ] && echo met || echo MISSED)"
exit $fail
