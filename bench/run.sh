#!/usr/bin/env bash
# bench/run.sh — measure torchshim against its baselines; print ONE table.
#
#   make bench                    (= BUILD=build bench/run.sh after building)
#   BUILD=build-san bench/run.sh  the sanitizer build instead
#
# Rows (bench/README.md says what each compares and why):
#   1  passthrough: the shim as `pip` exec'ing a static no-op tool vs
#      bench/bare-exec.c doing the same execv                 goal <= 1.2x
#   2  `pip install torch --index-url .../whl/cu121` through the shim, warm
#      cache, loopback mirror, to the exec of a python3 stub  goal <= 25 ms
#   3  `torchshim resolve --tool conda ...`, cold cache, loopback mirror,
#      with the engine's TORCHSHIM_TIMING=1 phases
#   4  row 3 against a mirror 200 ms of round trip away: netem in a network
#      namespace; when the kernel or the user cannot do that, a user-space
#      delay proxy (bench/delay-proxy.py); BENCH_LATENCY=off skips the row
#   5  peak RSS of the engine during row 3 (/usr/bin/time -f %M) goal <= 20 MB
#   6  `pip install torch torchvision torchaudio --index-url .../whl/cu130`
#      on releases no table knows (tests/fixtures/make-future.py): the
#      pairing read from the companions' METADATA (range requests on a flat
#      mirror), cold cache (listing and metadata fetched)
#   7  row 6 warm: metadata cached, no request made          goal <= 25 ms
#
# Every row is measured in this run (hyperfine --export-json, medians); the
# machine and the command are printed with the table, which also replaces
# the one between the markers in bench/README.md.
#
# Environment:
#   BUILD                  build directory (default build)
#   BENCH_QUICK=1          few runs, for trying the script out (README left alone)
#   BENCH_UPDATE_README=0|1  write the table into bench/README.md (default 1,
#                          0 with BENCH_QUICK=1)
#   BENCH_LATENCY=auto|netem|proxy|off   how row 4 adds latency (default auto:
#                          netem, else the proxy)
#   TS_FIXTURES_DIR        fixture directory (default tests/fixtures/out,
#                          shared with the tests; built if needed)
#   CC                     compiler for the helpers (default cc)
#
# Everything it starts (nginx, the delay proxy, the namespace, temp dirs) is
# removed on exit, Ctrl-C included. Progress goes to stderr, the table to
# stdout. Exit status 0 when the table was printed (missed goals included).

# Subshells export per-row variables on purpose:
# shellcheck disable=SC2030,SC2031
set -u

top=$(cd "$(dirname "$0")/.." && pwd -P) || exit 2
cd "$top" || exit 2
BUILD=${BUILD:-build}
case $BUILD in /*) build=$BUILD ;; *) build=$top/$BUILD ;; esac
front=$build/torchshim
engine=$build/torchshim-engine
serve=$top/tests/lib/nginx-serve

say() { printf 'bench: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
    R1_WARMUP=10 R1_RUNS=100 R1_ROUNDS=2 R2_WARMUP=2 R2_RUNS=10 R2_ROUNDS=2 R3_WARMUP=1 R3_RUNS=5 R3_PHASE_RUNS=3
    R6_RUNS=5
    R4_WARMUP=1 R4_RUNS=3 R4_ONE_RUNS=3 R4_PHASE_RUNS=1
    update_readme=${BENCH_UPDATE_README:-0}
else
    R1_WARMUP=50 R1_RUNS=1000 R1_ROUNDS=10 R2_WARMUP=8 R2_RUNS=100 R2_ROUNDS=4 R3_WARMUP=3 R3_RUNS=30 R3_PHASE_RUNS=10
    R6_RUNS=30
    R4_WARMUP=1 R4_RUNS=10 R4_ONE_RUNS=10 R4_PHASE_RUNS=5
    update_readme=${BENCH_UPDATE_README:-1}
fi
RTT_MS=200
latency=${BENCH_LATENCY:-auto}
case $latency in auto|netem|proxy|off) ;; *) die "BENCH_LATENCY=$latency: auto, netem, proxy or off" ;; esac

# ---- prerequisites ----------------------------------------------------------

if [ ! -x "$front" ] || [ ! -x "$engine" ]; then die "$front and $engine not built: run make first"; fi
hyperfine=$(command -v hyperfine) || die "hyperfine is required (Debian: apt-get install hyperfine)"
command -v curl >/dev/null || die "curl is required"
# Debian's python3 starts fastest (a pyenv shim costs ~0.3 s per start)
if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=$(command -v python3) || die "python3 is required"; fi
[ -x "${NGINX:-/usr/sbin/nginx}" ] || die "nginx is required (Debian: apt-get install nginx-light)"
CC=${CC:-cc}
command -v "$CC" >/dev/null || die "no C compiler ($CC)"

# ---- temp dir and clean-up --------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/torchshim-bench.XXXXXX") || die "cannot create a temp dir"
res=$tmp/results
mkdir -p "$res" "$tmp/bin" "$tmp/shimbin" "$tmp/realbin" "$tmp/stubbin" || die "cannot populate $tmp"
nginx_states=()
proxy_pid=
netns=

cleanup() {
    trap '' INT TERM HUP
    if [ -n "$proxy_pid" ]; then
        kill "$proxy_pid" 2>/dev/null
        wait "$proxy_pid" 2>/dev/null
    fi
    local s
    for s in "${nginx_states[@]}"; do
        "$serve" stop "$s" >/dev/null 2>&1 || say "could not stop nginx of $s"
    done
    if [ -n "$netns" ]; then
        ip netns del "$netns" 2>/dev/null || say "could not delete network namespace $netns"
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# fact KEY VALUE: one line of results/facts for report.py (values one line).
fact() { printf '%s=%s\n' "$1" "$(printf '%s' "$2" | tr '\n' ' ')" >>"$res/facts"; }

# q WORD...: the words quoted for hyperfine's own command splitting (-N).
q() { local out='' w; for w in "$@"; do out+="${out:+ }$(printf '%q' "$w")"; done; printf '%s' "$out"; }

# hf NAME HYPERFINE-ARGS...: run hyperfine -N, export results/NAME.json;
# its own output goes to results/NAME.log, shown when it fails.
hf() {
    local name=$1
    shift
    if "$hyperfine" -N --style basic --export-json "$res/$name.json" "$@" \
        >"$res/$name.log" 2>&1; then
        return 0
    fi
    say "hyperfine failed ($name):"
    tail -n 15 "$res/$name.log" | sed 's/^/    /' >&2
    rm -f "$res/$name.json"
    return 1
}

# hf_pair NAME ROUNDS N1 C1 N2 C2 HYPERFINE-OPTIONS...: compare two commands
# in ROUNDS hyperfine runs (results/NAME.K.json), swapping their order every
# round, so that a change in the machine's load during the bench falls on
# both alike; report.py merges the rounds by command name.
hf_pair() {
    local name=$1 rounds=$2 n1=$3 c1=$4 n2=$5 c2=$6 k
    shift 6
    for ((k = 1; k <= rounds; k++)); do
        if ((k % 2)); then
            hf "$name.$k" "$@" -n "$n1" "$c1" -n "$n2" "$c2" || return 1
        else
            hf "$name.$k" "$@" -n "$n2" "$c2" -n "$n1" "$c1" || return 1
        fi
    done
}

# A clean environment: nothing of the caller's may steer the shim.
for v in $(compgen -e); do
    case $v in
        TORCHSHIM_*|PIP_*|CONDA_*|MAMBA_*|VIRTUAL_ENV|XDG_CONFIG_HOME|XDG_CACHE_HOME) unset "$v" ;;
    esac
done
export XDG_CONFIG_HOME=$tmp/xdg-config XDG_CACHE_HOME=$tmp/xdg-cache

# ---- the machine --------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(LC_ALL=C lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
fact nproc "$(nproc 2>/dev/null || echo '?')"
fact cpu "${cpu:-unknown CPU}"
fact kernel "$(uname -s) $(uname -r) $(uname -m)"
fact loadavg "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
fact date "$(date -u '+%Y-%m-%d %H:%M UTC')"
fact version "$("$front" version 2>/dev/null | sed 's/^torchshim //')"
if [ -n "${MAKELEVEL:-}" ]; then
    fact command "make bench  # BUILD=$BUILD bench/run.sh"
else
    fact command "BUILD=$BUILD bench/run.sh${BENCH_QUICK:+  # BENCH_QUICK=$BENCH_QUICK}"
fi

# ---- helpers, fixtures, the loopback mirror -----------------------------------

say "building helpers"
cflags=(-std=c11 -O2 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
        -Wmissing-prototypes -Wformat=2 -Wvla)
"$CC" "${cflags[@]}" -o "$tmp/bin/bare-exec" bench/bare-exec.c || die "cannot build bench/bare-exec.c"
if "$CC" "${cflags[@]}" -static -o "$tmp/realbin/pip" bench/exit0.c 2>"$tmp/static.err"; then
    fact r1_tool_link "statically linked"
else
    "$CC" "${cflags[@]}" -o "$tmp/realbin/pip" bench/exit0.c || die "cannot build bench/exit0.c"
    fact r1_tool_link "dynamically linked (no static libc: $(head -n 1 "$tmp/static.err"))"
fi
ln -s "$front" "$tmp/shimbin/pip" || die "cannot link the shim"

fixtures=${TS_FIXTURES_DIR:-$top/tests/fixtures/out}
say "fixtures in $fixtures"
"$top/tests/fixtures/make-all.sh" "$fixtures" >&2 || die "tests/fixtures/make-all.sh failed"

state=$tmp/nginx
nginx_states+=("$state")
port=$("$serve" start "$fixtures" "$state") || die "cannot start nginx on loopback"
say "mirror on 127.0.0.1:$port"

# write_config FILE BASE_URL: the user config for a mirror at BASE_URL.
write_config() {
    cat >"$1" <<EOF
[mirror "local"]
wheels = $2/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $2/pypi/simple
conda = $2/anaconda/cloud
conda-channels = pytorch
[use]
wheels = local
pypi = local
conda = local
EOF
}
write_config "$tmp/local.ini" "http://127.0.0.1:$port"
export TORCHSHIM_CONFIG=$tmp/local.ini

# ---- row 1: passthrough ---------------------------------------------------------

r1_args=(install requests)
fact r1_args "${r1_args[*]}"
fact r1_warmup "$R1_WARMUP"
fact r1_rounds "$R1_ROUNDS"
fact r2_rounds "$R2_ROUNDS"
r1_path=$tmp/shimbin:$tmp/realbin:$PATH
got=$(PATH=$r1_path TORCHSHIM_DRY_RUN=1 "$tmp/shimbin/pip" "${r1_args[@]}" 2>&1)
if [ "$got" != "$(q "$tmp/realbin/pip" "${r1_args[@]}")" ] &&
    [ "$got" != "$tmp/realbin/pip ${r1_args[*]}" ]; then
    fact r1_status "the shim would not pass through to the no-op tool: $got"
else
    say "row 1: passthrough ($R1_RUNS runs x 2, in $R1_ROUNDS rounds)"
    ( export PATH="$r1_path"
      hf_pair r1 "$R1_ROUNDS" \
        shim "$(q "$tmp/shimbin/pip" "${r1_args[@]}")" \
        bare-exec "$(q "$tmp/bin/bare-exec" "$tmp/realbin/pip" "${r1_args[@]}")" \
        --warmup "$((R1_WARMUP / R1_ROUNDS))" --runs "$((R1_RUNS / R1_ROUNDS))" ) ||
        fact r1_status "hyperfine failed"
fi

# ---- row 2: intercepted, warm cache ------------------------------------------------

interp=/usr/bin/python3
[ -x "$interp" ] || interp=$py
cat >"$tmp/stubbin/pip" <<EOF
#!$interp
import os, sys
_rec = os.environ.get("TSBENCH_RECORD")
if _rec:
    with open(_rec, "w") as _f:
        _f.write(" ".join(sys.argv[1:]) + "\n")
EOF
chmod +x "$tmp/stubbin/pip"
r2_args=(install torch --index-url https://download.pytorch.org/whl/cu121)
r2_env=(PATH="$tmp/shimbin:$tmp/stubbin:$PATH" TORCHSHIM_CACHE_DIR="$tmp/cache2"
        TSBENCH_RECORD="$tmp/record")
say "row 2: warming the cache"
rm -f "$tmp/record"
env "${r2_env[@]}" "$tmp/shimbin/pip" "${r2_args[@]}" >"$tmp/r2-warm.out" 2>&1
recorded=$(cat "$tmp/record" 2>/dev/null)
fact r2_recorded "pip $recorded"
case $recorded in
    *"torch=="*"+cu121"*"127.0.0.1:$port"*) fact r2_check ok ;;
    "") fact r2_check "the stub did not run: $(head -n 1 "$tmp/r2-warm.out")" ;;
    *) fact r2_check "the command was not rewritten to pinned mirror sources" ;;
esac
if grep -q '^r2_check=ok$' "$res/facts"; then
    say "row 2: intercepted pip install, warm cache ($R2_RUNS runs x 2, in $R2_ROUNDS rounds)"
    before=$(wc -l <"$state/access.log")
    ( export "${r2_env[@]}"
      hf_pair r2 "$R2_ROUNDS" \
        shim-to-stub "$(q "$tmp/shimbin/pip" "${r2_args[@]}")" \
        stub "$(q "$tmp/stubbin/pip" "${r2_args[@]}")" \
        --warmup "$((R2_WARMUP / R2_ROUNDS))" --runs "$((R2_RUNS / R2_ROUNDS))" ) ||
        fact r2_check "hyperfine failed"
    fact r2_requests "$(( $(wc -l <"$state/access.log") - before ))"
    # what the engine's start alone costs: no arguments, it loads its shared
    # libraries, says it is run by torchshim and exits 2
    hf r2-load -i --warmup "$R2_WARMUP" --runs "$R2_RUNS" -n engine-start "$(q "$engine")" || true
    fact engine_libs "$(ldd "$engine" 2>/dev/null | grep -c '=>')"
fi

# ---- rows 6 and 7: pairing from the wheels' metadata, cold and warm -------------------

cat >"$tmp/future.ini" <<EOF
[mirror "future"]
wheels = http://127.0.0.1:$port/future/mirror-flat/{variant}
wheels-format = find-links
pypi = http://127.0.0.1:$port/future/pypi/simple
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
[use]
wheels = future
pypi = future
EOF
r6_args=(install torch torchvision torchaudio --index-url https://download.pytorch.org/whl/cu130)
r6_env=(PATH="$tmp/shimbin:$tmp/stubbin:$PATH" TORCHSHIM_CONFIG="$tmp/future.ini"
        TORCHSHIM_CACHE_DIR="$tmp/cache6" TSBENCH_RECORD="$tmp/record6")
rm -rf "$tmp/cache6" "$tmp/record6"
before=$(wc -l <"$state/access.log")
env "${r6_env[@]}" "$tmp/shimbin/pip" "${r6_args[@]}" >"$tmp/r6.out" 2>&1
recorded=$(cat "$tmp/record6" 2>/dev/null)
fact r6_recorded "pip $recorded"
fact r6_ranges "$(tail -n +"$((before + 1))" "$state/access.log" | grep -c ' 206 ')"
case $recorded in
    *"torch==7.2.0+cu130 torchvision==1.7.0+cu130 torchaudio==7.2.0+cu130"*) fact r6_check ok ;;
    *) fact r6_check "not the pins the metadata gives: ${recorded:-$(head -n 1 "$tmp/r6.out")}" ;;
esac
if grep -q '^r6_check=ok$' "$res/facts"; then
    say "row 6: pairing from metadata, cold cache ($R6_RUNS runs)"
    ( export "${r6_env[@]}"
      hf r6 --prepare "rm -rf $(q "$tmp/cache6")" --runs "$R6_RUNS" \
        -n cold "$(q "$tmp/shimbin/pip" "${r6_args[@]}")" ) || fact r6_check "hyperfine failed"
    for i in 1 2 3; do
        rm -rf "$tmp/cache6"
        env "${r6_env[@]}" TORCHSHIM_TIMING=1 "$tmp/shimbin/pip" "${r6_args[@]}" \
            >/dev/null 2>"$res/r6-phase.$i.err"
    done
    say "row 7: the same, warm ($R2_RUNS runs x 2, in $R2_ROUNDS rounds)"
    env "${r6_env[@]}" "$tmp/shimbin/pip" "${r6_args[@]}" >/dev/null 2>&1
    before=$(wc -l <"$state/access.log")
    ( export "${r6_env[@]}"
      hf_pair r7 "$R2_ROUNDS" \
        shim-to-stub "$(q "$tmp/shimbin/pip" "${r6_args[@]}")" \
        stub "$(q "$tmp/stubbin/pip" "${r6_args[@]}")" \
        --warmup "$((R2_WARMUP / R2_ROUNDS))" --runs "$((R2_RUNS / R2_ROUNDS))" ) ||
        fact r6_check "hyperfine failed"
    fact r7_requests "$(( $(wc -l <"$state/access.log") - before ))"
fi

# ---- rows 3 and 5: conda resolution, cold cache; peak RSS --------------------------

r3_args=(resolve --tool conda --platform linux-64 --python 3.10 --backend cu118
         pytorch torchvision torchaudio pytorch-cuda=11.8)
fact r3_cmd "torchshim ${r3_args[*]}"
fact r3_phase_runs "$R3_PHASE_RUNS"
cache3=$tmp/cache3

# resolve_ok OUT: the answer pins the cu118 / py3.10 build strings.
resolve_ok() { grep -qE 'pytorch=[^ ]+=py3\.10_cuda11\.8' "$1"; }

rm -rf "$cache3"
TORCHSHIM_CACHE_DIR=$cache3 "$front" "${r3_args[@]}" >"$tmp/r3.out" 2>"$tmp/r3.err"
rc=$?
if [ "$rc" -eq 0 ] && resolve_ok "$tmp/r3.out"; then
    fact r3_status ok
    say "row 3: conda resolution, cold cache ($R3_RUNS runs)"
    ( export TORCHSHIM_CACHE_DIR="$cache3"
      hf r3 --prepare "$(q rm -rf "$cache3")" --warmup "$R3_WARMUP" --runs "$R3_RUNS" \
        -n resolve "$(q "$front" "${r3_args[@]}")" ) || fact r3_status "hyperfine failed"

    timer=
    if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o "$tmp/time.probe" true 2>/dev/null &&
        grep -qE '^[0-9]+$' "$tmp/time.probe"; then
        timer=/usr/bin/time
    else
        fact r5_status "/usr/bin/time (GNU time, Debian package time) not available"
    fi
    if [ -n "$timer" ]; then
        "$timer" -f %M -o "$tmp/idle.rss" "$engine" >/dev/null 2>&1
        fact r5_idle_kib "$(tail -n 1 "$tmp/idle.rss")"
    fi
    say "rows 3 and 5: phases and peak RSS ($R3_PHASE_RUNS runs)"
    for ((i = 1; i <= R3_PHASE_RUNS; i++)); do
        rm -rf "$cache3"
        if [ -n "$timer" ]; then
            TORCHSHIM_CACHE_DIR=$cache3 TORCHSHIM_TIMING=1 \
                "$timer" -f %M -o "$res/r5-rss.$i" "$front" "${r3_args[@]}" \
                >/dev/null 2>"$res/r3-phase.$i.err"
        else
            TORCHSHIM_CACHE_DIR=$cache3 TORCHSHIM_TIMING=1 \
                "$front" "${r3_args[@]}" >/dev/null 2>"$res/r3-phase.$i.err"
        fi
    done
elif [ "$rc" -eq 2 ] && grep -qiE 'unknown (engine )?command|usage: torchshim <command>' "$tmp/r3.err"; then
    fact r3_status "not available yet (torchshim resolve: $(head -n 1 "$tmp/r3.err"))"
    fact r5_status "needs row 3"
else
    fact r3_status "resolve failed (exit $rc): $(grep -v '^$' "$tmp/r3.err" | tail -n 1)"
    fact r5_status "needs row 3"
fi

# ---- row 4: the same, 200 ms of round trip away ---------------------------------------

r4_prefix=()   # how to run a command where the slow mirror is reachable
r4_url=
r4_log=

# setup_netem: nginx in a namespace whose loopback delays every packet by
# RTT/2, so a round trip costs RTT. Sets r4_*; returns 1 with r4_note set.
setup_netem() {
    if [ "$(id -u)" -ne 0 ]; then r4_note="not root"; return 1; fi
    if ! command -v ip >/dev/null || ! command -v tc >/dev/null; then r4_note="iproute2 not installed"; return 1; fi
    local ns=torchshim-bench-$$ err=$tmp/netns.err s p
    if ! ip netns add "$ns" 2>"$err"; then
        r4_note="ip netns add: $(head -n 1 "$err")"
        return 1
    fi
    netns=$ns
    if ! ip netns exec "$ns" ip link set lo up 2>"$err" ||
        ! ip netns exec "$ns" tc qdisc add dev lo root netem delay "$((RTT_MS / 2))ms" 2>"$err"; then
        r4_note="tc netem in a namespace: $(head -n 1 "$err")"
        ip netns del "$ns" 2>/dev/null && netns=
        return 1
    fi
    s=$tmp/nginx-netns
    nginx_states+=("$s")
    if ! p=$(ip netns exec "$ns" "$serve" start "$fixtures" "$s" 2>"$err"); then
        r4_note="nginx in the namespace: $(tail -n 1 "$err")"
        return 1
    fi
    r4_prefix=(ip netns exec "$ns")
    r4_url=http://127.0.0.1:$p
    r4_log=$s/access.log
    r4_mode=netem
}

# setup_proxy: bench/delay-proxy.py in front of the loopback mirror.
setup_proxy() {
    local pf=$tmp/proxy.port t
    "$py" bench/delay-proxy.py --upstream "$port" --rtt-ms "$RTT_MS" --port-file "$pf" \
        </dev/null >/dev/null 2>"$tmp/proxy.err" &
    proxy_pid=$!
    for ((t = 0; t < 100; t++)); do
        [ -s "$pf" ] && break
        kill -0 "$proxy_pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$pf" ]; then
        r4_note="${r4_note:+$r4_note; }delay proxy did not start: $(tail -n 1 "$tmp/proxy.err")"
        return 1
    fi
    r4_url=http://127.0.0.1:$(cat "$pf")
    r4_log=$state/access.log
    r4_mode=proxy
}

r4_mode=skipped
r4_note=
case $latency in
    off) r4_note="BENCH_LATENCY=off" ;;
    netem) setup_netem ;;
    proxy) setup_proxy ;;
    auto) setup_netem || setup_proxy ;;
esac
if [ "$r4_mode" != skipped ] && ! grep -q '^r3_status=ok$' "$res/facts"; then
    r4_mode=skipped
    r4_note="needs row 3"
fi
fact r4_rtt_ms "$RTT_MS"
fact r4_phase_runs "$R4_PHASE_RUNS"
if [ "$r4_mode" != skipped ]; then
    say "row 4: conda resolution, cold cache, ${RTT_MS} ms round trip ($r4_mode, $R4_RUNS runs)"
    write_config "$tmp/slow.ini" "$r4_url"
    cache4=$tmp/cache4
    # one transfer on a fresh connection, through the slow link and directly:
    # the difference is what one set of round trips adds
    one_path=/anaconda/cloud/pytorch/noarch/repodata.json.zst
    one_url=$r4_url$one_path
    ok=1
    hf r4-direct --warmup 1 --runs "$R4_ONE_RUNS" \
        -n one-transfer-direct "$(q curl -fsS -o /dev/null "http://127.0.0.1:$port$one_path")" ||
        { ok=0; r4_note="curl to the loopback mirror failed"; }
    ( export TORCHSHIM_CONFIG="$tmp/slow.ini" TORCHSHIM_CACHE_DIR="$cache4"
      "${r4_prefix[@]}" "$hyperfine" -N --style basic --export-json "$res/r4-one.json" \
        --warmup 1 --runs "$R4_ONE_RUNS" -n one-transfer "$(q curl -fsS -o /dev/null "$one_url")" \
        >"$res/r4-one.log" 2>&1 ) || { ok=0; r4_note="curl through the slow link failed"; }
    [ -s "$res/r4-one.json" ] || ok=0
    if [ "$ok" = 1 ]; then
        : >"$r4_log"
        ( export TORCHSHIM_CONFIG="$tmp/slow.ini" TORCHSHIM_CACHE_DIR="$cache4"
          "${r4_prefix[@]}" "$hyperfine" -N --style basic --export-json "$res/r4.json" \
            --prepare "$(q rm -rf "$cache4")" --warmup "$R4_WARMUP" --runs "$R4_RUNS" \
            -n resolve-slow "$(q "$front" "${r3_args[@]}")" >"$res/r4.log" 2>&1 ) ||
            { ok=0; r4_note="torchshim resolve through the slow link failed"; tail -n 5 "$res/r4.log" >&2; }
        reqs=$(grep -c '"GET /anaconda/' "$r4_log")
        fact r4_requests "$(awk -v r="$reqs" -v n="$((R4_WARMUP + R4_RUNS))" \
            'BEGIN { v = r / n; if (v == int(v)) printf "%d", v; else printf "%.2f", v }')"
        for ((i = 1; i <= R4_PHASE_RUNS; i++)); do
            rm -rf "$cache4"
            TORCHSHIM_CONFIG=$tmp/slow.ini TORCHSHIM_CACHE_DIR=$cache4 TORCHSHIM_TIMING=1 \
                "${r4_prefix[@]}" "$front" "${r3_args[@]}" >/dev/null 2>"$res/r4-phase.$i.err"
        done
    fi
    [ "$ok" = 1 ] || { r4_mode=skipped; rm -f "$res/r4.json" "$res/r4-one.json"; }
fi
fact r4_mode "$r4_mode"
fact r4_note "${r4_note:-none}"

# ---- the table -----------------------------------------------------------------------

readme_args=()
[ "$update_readme" = 1 ] && readme_args=(--readme "$top/bench/README.md")
"$py" bench/report.py "$res" "${readme_args[@]}" || die "bench/report.py failed"
