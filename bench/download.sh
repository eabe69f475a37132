#!/usr/bin/env bash
# bench/download.sh — torchshim's downloader (src/net/download.h) against
# one-stream and multi-stream baselines, on a big wheel served by nginx from
# loopback with a per-connection rate cap (tests/lib/nginx-serve /rate/).
#
#   bench/download.sh            (after `make`: it needs BUILD/libtorchshim.a,
#                                BUILD/torchshim and BUILD/torchshim-engine)
#   make bench                   runs it after bench/run.sh (BENCH_DOWNLOAD=0: not)
#
# Rows, each measured once in this run (plain timing: a row takes seconds to
# minutes, so hyperfine's repetitions would take an hour):
#   torchshim  bench/dl.c (a tiny driver of download_run) with N connections
#   fetch      `torchshim fetch --backend cpu torch==2.3.1`: the command a user
#              runs (the mirror's listing read, the wheel pinned, downloaded
#              by prefetch_files with [prefetch] connections = N, verified)
#   aria2c     aria2c -x N -s N (Debian's aria2)
#   curl       one stream
#   pip        `pip download --no-deps` of the same wheel URL, from a venv
# and the goals:
#   throughput(torchshim) >= 0.8 x N x cap, and >= aria2c's
#   resume: killed (SIGKILL) once half of the file is recorded done, the
#     second run transfers (nginx's body bytes) <= the missing part + 1%
#   peak RSS of the torchshim run < 30 MB (/usr/bin/time)
#
# The wheel is a real one named as a torch wheel for this machine's Python
# (python3's zipfile: a stored member of mostly zeros with random blocks,
# plus a dist-info with METADATA) so that pip accepts it, the downloader's
# zip check runs and `torchshim fetch` resolves it from the flat directory
# listing (nginx autoindex, aliyun style) it sits in; it lives in a temp
# dir that is removed on exit, with nginx stopped (Ctrl-C included).
#
# Environment:
#   BUILD             build directory (default build)
#   BENCH_DL_SIZE     wheel size in MiB (default 512; the issue's 2 GB case:
#                     BENCH_DL_SIZE=2048, about 4 minutes)
#   BENCH_DL_RATE     per-connection cap, nginx syntax (default 20m)
#   BENCH_DL_CONNS    connections for torchshim and aria2c (default 8)
#   BENCH_DL_SKIP     space-separated rows to skip: fetch aria2c curl pip resume
#   BENCH_UPDATE_README=0|1  write the table into bench/README.md between
#                     the bench-download-<MiB> markers (default 1)
#   BENCH_QUICK=1     a 64 MiB wheel, README left alone (to try the script)
#   CC                compiler for bench/dl.c (default cc)
# Progress on stderr, the table on stdout; exit 0 when the table printed.
set -u

top=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
cd "$top" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) build=$BUILD ;; *) build=$top/$BUILD ;; esac
serve=$top/tests/lib/nginx-serve
if [ "${BENCH_QUICK:-0}" = 1 ]; then
    size_mib=${BENCH_DL_SIZE:-64}
    update_readme=${BENCH_UPDATE_README:-0}
else
    size_mib=${BENCH_DL_SIZE:-512}
    update_readme=${BENCH_UPDATE_README:-1}
fi
rate=${BENCH_DL_RATE:-20m}
conns=${BENCH_DL_CONNS:-8}
skip=" ${BENCH_DL_SKIP:-} "
CC=${CC:-cc}

say() { printf 'bench-download: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }
skipped() { case $skip in *" $1 "*) return 0 ;; esac; return 1; }

[ -f "$build/libtorchshim.a" ] && [ -x "$build/torchshim" ] && [ -x "$build/torchshim-engine" ] ||
    die "$build/libtorchshim.a, torchshim, torchshim-engine not built: run make first"
[ -x "${NGINX:-/usr/sbin/nginx}" ] || die "nginx is required (Debian: apt-get install nginx-light)"
command -v curl >/dev/null || die "curl is required"
[ -x /usr/bin/time ] || die "/usr/bin/time is required (Debian: apt-get install time)"
if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=$(command -v python3) || die "python3 is required"; fi
case $rate in
    *[kK]) cap=$(( ${rate%?} * 1024 )) ;;
    *[mM]) cap=$(( ${rate%?} * 1024 * 1024 )) ;;
    *[0-9]) cap=$rate ;;
    *) die "BENCH_DL_RATE=$rate: a number with k or m" ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/torchshim-bench-dl.XXXXXX") || die "cannot create a temp dir"
state=$tmp/nginx
bgpid=
# shellcheck disable=SC2317  # run by the EXIT trap
cleanup() {
    trap '' INT TERM HUP
    [ -n "$bgpid" ] && kill -9 "$bgpid" 2>/dev/null
    "$serve" stop "$state" >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'exit 143' TERM HUP

# ---- the driver, the wheel, the mirror --------------------------------------

say "building bench/dl.c"
pkgs="libcurl libarchive libcjson libuv inih yaml-0.1 msgpack zlib libcrypto"
# shellcheck disable=SC2046,SC2086  # pkg-config's words, on purpose
"$CC" -O2 -D_GNU_SOURCE -Isrc/common -Isrc/net -o "$tmp/dl" bench/dl.c "$build/libtorchshim.a" \
    $(pkg-config --cflags --libs $pkgs) || die "cannot build bench/dl.c"

pytag=$("$py" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')
pyver=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
wheel=torch-2.3.1+cpu-$pytag-$pytag-linux_$(uname -m).whl
wheel_url_name=${wheel/+/%2B}
mkdir -p "$tmp/root/pytorch-wheels/cpu" "$tmp/out"
say "writing a ${size_mib} MiB wheel"
"$py" - "$tmp/root/pytorch-wheels/cpu/$wheel" "$size_mib" <<'EOF' || die "cannot write the wheel"
import os, sys, zipfile
path, mib = sys.argv[1], int(sys.argv[2])
zero, chunk = bytes(1 << 20), 1 << 20
with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
    z.writestr("torch/__init__.py", "")
    with z.open("torch/blob.bin", "w", force_zip64=True) as f:
        for i in range(mib - 1):
            f.write(os.urandom(chunk) if i % 64 == 0 else zero)
    z.writestr("torch-2.3.1+cpu.dist-info/METADATA",
               "Metadata-Version: 2.1\nName: torch\nVersion: 2.3.1+cpu\n")
    z.writestr("torch-2.3.1+cpu.dist-info/WHEEL",
               "Wheel-Version: 1.0\nGenerator: bench\nRoot-Is-Purelib: false\nTag: any\n")
    z.writestr("torch-2.3.1+cpu.dist-info/RECORD", "")
EOF
bytes=$(stat -c %s "$tmp/root/pytorch-wheels/cpu/$wheel")
sha=$(openssl dgst -sha256 -r "$tmp/root/pytorch-wheels/cpu/$wheel" | cut -d' ' -f1)
port=$(NGINX_SERVE_RATE=$rate "$serve" start "$tmp/root" "$state") || die "nginx did not start"
url=http://127.0.0.1:$port/rate/pytorch-wheels/cpu/$wheel_url_name
log=$state/access.log
say "serving $bytes bytes at $url, $rate per connection"
# torchshim fetch: a configuration with only this loopback mirror
cat >"$tmp/config.ini" <<EOS
[mirror "bench"]
wheels = http://127.0.0.1:$port/rate/pytorch-wheels/{variant}
wheels-format = find-links
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
[use]
wheels = bench
[prefetch]
connections = $conns
EOS

# ---- rows -------------------------------------------------------------------

# timed NAME CMD...: run, record seconds and peak RSS (KB) in $tmp/NAME.time
timed() {
    local name=$1
    shift
    /usr/bin/time -o "$tmp/$name.time" -f '%e %M' "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
}
secs() { cut -d' ' -f1 "$tmp/$1.time"; }
rss() { cut -d' ' -f2 "$tmp/$1.time"; }
fresh() { rm -rf "$tmp/out" && mkdir -p "$tmp/out"; }
# log_sum FROM-LINE: body bytes nginx sent for requests logged after line FROM
log_sum() { tail -n +"$(($1 + 1))" "$log" | awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9][0-9][0-9]$/ && $(i-1) ~ /HTTP\/1\.1"$/) { s += $(i+1); break } } END { printf "%d\n", s }'; }

say "torchshim, $conns connections"
fresh
timed torchshim "$tmp/dl" -c "$conns" --sha256 "$sha" "$tmp/out/$wheel" "$url" ||
    { cat "$tmp/torchshim.err" >&2; die "the torchshim download failed"; }
ts_reqs=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' "$tmp/torchshim.out")

if ! skipped fetch; then
    say "torchshim fetch, $conns connections"
    fresh
    mark=$(wc -l <"$log")
    TORCHSHIM_CONFIG=$tmp/config.ini TORCHSHIM_CACHE_DIR=$tmp/cache TORCHSHIM_DATADIR=$top/config \
        timed fetch "$build/torchshim" fetch -q --dest "$tmp/out" --backend cpu --python "$pyver" \
        torch==2.3.1 || { cat "$tmp/fetch.err" >&2; die "torchshim fetch failed"; }
    [ "$(cat "$tmp/fetch.out")" = "$tmp/out/$wheel" ] || die "torchshim fetch printed $(cat "$tmp/fetch.out")"
    fetch_reqs=$(tail -n +"$((mark + 1))" "$log" | grep -c "GET [^ ]*$wheel_url_name ")
fi

if ! skipped aria2c && command -v aria2c >/dev/null; then
    say "aria2c -x $conns -s $conns"
    fresh
    timed aria2c aria2c -q -x "$conns" -s "$conns" --allow-overwrite=true --file-allocation=falloc \
        -d "$tmp/out" -o "$wheel" "$url" || say "aria2c failed"
fi
if ! skipped curl; then
    say "curl, one stream"
    fresh
    timed curl curl -sS -o "$tmp/out/$wheel" "$url" || say "curl failed"
fi
if ! skipped pip; then
    say "pip download (a venv of $py)"
    if "$py" -m venv "$tmp/venv" >/dev/null 2>&1; then
        fresh
        timed pip "$tmp/venv/bin/pip" download -q --no-deps --no-cache-dir --progress-bar off \
            --disable-pip-version-check -d "$tmp/out" "$url" || say "pip failed"
    else
        say "cannot create a venv: no pip row"
    fi
fi

resume_line=
if ! skipped resume; then
    say "resume: kill -9 at half, then run again"
    fresh
    st=$tmp/out/$wheel.part.state
    "$tmp/dl" -c "$conns" --sha256 "$sha" "$tmp/out/$wheel" "$url" >/dev/null 2>&1 &
    bgpid=$!
    done_bytes=0
    for ((i = 0; i < 6000; i++)); do
        done_bytes=$(awk -F'\t' '$1 == "done" { s += $3 - $2 } END { printf "%d\n", s }' "$st" 2>/dev/null)
        [ "${done_bytes:-0}" -ge $((bytes / 2)) ] && break
        kill -0 "$bgpid" 2>/dev/null || break
        sleep 0.05
    done
    kill -9 "$bgpid" 2>/dev/null
    wait "$bgpid" 2>/dev/null
    bgpid=
    sleep 1.5  # nginx logs the killed requests when it sees their sockets close
    done_bytes=$(awk -F'\t' '$1 == "done" { s += $3 - $2 } END { printf "%d\n", s }' "$st")
    missing=$((bytes - done_bytes))
    mark=$(wc -l <"$log")
    timed resume "$tmp/dl" -c "$conns" --sha256 "$sha" "$tmp/out/$wheel" "$url" ||
        { cat "$tmp/resume.err" >&2; die "the resumed download failed"; }
    sent=$(log_sum "$mark")
    fetched=$(sed -n 's/.* fetched=\([0-9]*\).*/\1/p' "$tmp/resume.out")
    reused=$(sed -n 's/.* reused=\([0-9]*\).*/\1/p' "$tmp/resume.out")
    resume_line=$(awk -v m="$missing" -v s="$sent" -v f="$fetched" -v r="$reused" -v b="$bytes" \
        -v t="$(secs resume)" 'BEGIN {
            ok = (s <= m + b / 100) ? "met" : "MISSED"
            printf "resume     state at kill: %.1f%% done; 2nd run: reused %d, fetched %d, nginx sent %d = missing %+.3f%% of the file (goal <= +1%%: %s), %.1f s\n",
                100 * (b - m) / b, r, f, s, 100 * (s - m) / b, ok, t }')
fi
"$serve" stop "$state" >/dev/null 2>&1

# ---- the table --------------------------------------------------------------

mibs() { awk -v b="$bytes" -v s="$1" 'BEGIN { printf "%.1f", b / s / 1048576 }'; }
ideal=$(awk -v c="$cap" -v n="$conns" 'BEGIN { printf "%.1f", c * n / 1048576 }')
ts_s=$(secs torchshim)
# table: the measurements, one row a line
table() {
    echo "download of a $((bytes / 1048576)) MiB wheel from nginx on loopback, $rate per connection ($(nproc) CPUs, $(uname -r))"
    printf '%-10s %8s %10s %9s  %s\n' tool seconds MiB/s "peak RSS" notes
    printf '%-10s %8.2f %10s %7d K  %d connections, %s requests; N x cap = %s MiB/s\n' torchshim "$ts_s" \
        "$(mibs "$ts_s")" "$(rss torchshim)" "$conns" "$ts_reqs" "$ideal"
    if [ -f "$tmp/fetch.time" ]; then
        printf '%-10s %8.2f %10s %7d K  torchshim fetch: listing, pin, %s requests for the wheel, verified\n' \
            fetch "$(secs fetch)" "$(mibs "$(secs fetch)")" "$(rss fetch)" "$fetch_reqs"
    fi
    for row in aria2c curl pip; do
        [ -f "$tmp/$row.time" ] || continue
        printf '%-10s %8.2f %10s %7d K\n' "$row" "$(secs "$row")" "$(mibs "$(secs "$row")")" "$(rss "$row")"
    done
    awk -v b="$bytes" -v t="$ts_s" -v c="$cap" -v n="$conns" -v r="$(rss torchshim)" 'BEGIN {
        x = b / t / (c * n)
        printf "goal       torchshim / (N x cap) = %.2f (>= 0.8: %s); peak RSS %.1f MB (< 30: %s)\n",
            x, (x >= 0.8 ? "met" : "MISSED"), r / 1024, (r < 30 * 1024 ? "met" : "MISSED") }'
    if [ -f "$tmp/fetch.time" ]; then
        awk -v b="$bytes" -v t="$(secs fetch)" -v c="$cap" -v n="$conns" -v r="$(rss fetch)" 'BEGIN {
            x = b / t / (c * n)
            printf "goal       fetch / (N x cap) = %.2f (>= 0.8: %s); peak RSS %.1f MB (< 30: %s)\n",
                x, (x >= 0.8 ? "met" : "MISSED"), r / 1024, (r < 30 * 1024 ? "met" : "MISSED") }'
    fi
    if [ -f "$tmp/aria2c.time" ]; then
        awk -v a="$(secs aria2c)" -v t="$ts_s" 'BEGIN {
            printf "goal       torchshim vs aria2c: %.2fx its throughput (>= 1: %s)\n", a / t, (a >= t ? "met" : "MISSED") }'
    fi
    for row in curl pip; do
        [ -f "$tmp/$row.time" ] && awk -v a="$(secs $row)" -v t="$ts_s" -v n="$row" 'BEGIN {
            printf "ratio      torchshim vs %s: %.2fx its throughput\n", n, a / t }'
    done
    [ -z "$resume_line" ] || echo "$resume_line"
}

table >"$tmp/table"
cat "$tmp/table"
if [ "$update_readme" = 1 ]; then
    "$py" - "$top/bench/README.md" "$tmp/table" "$(uname -srm)" "$size_mib" <<'EOF' ||
import datetime, os, sys
readme, table, uname, mib = sys.argv[1:5]
begin = "<!-- bench-download-%s:begin -->" % mib
end = "<!-- bench-download-%s:end -->" % mib
doc = open(readme).read()
if begin not in doc or end not in doc:
    doc = doc.rstrip("\n") + "\n\n" + begin + "\n" + end + "\n"
cpu = "?"
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip()
        break
cmd = "make bench" if mib == "512" else "BENCH_DL_SIZE=%s bench/download.sh" % mib
head = "machine: %s, nproc %d, %s\ncommand: `%s`\ndate: %s UTC\n\n```\n" % (
    cpu, os.cpu_count(), uname, cmd,
    datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M"))
text = head + open(table).read() + "```\n"
b, e = doc.index(begin), doc.index(end)
doc = doc[:b + len(begin)] + "\n" + text + doc[e:]
open(readme + ".tmp", "w").write(doc)
os.replace(readme + ".tmp", readme)
EOF
        say "could not update bench/README.md"
fi
exit 0
