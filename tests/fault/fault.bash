# tests/fault/fault.bash — the fault matrix's shared set-up; `load fault` at
# the top of a tests/fault/*.bats file (after ../lib/common and ../bats/helper).
#
# Two mirrors serve the fixture tree (tests/fixtures/make-all.sh):
#   nginx  (tests/lib/nginx-serve)  the healthy mirror: MIRROR_URL, MIRROR_STATE
#   faultd (tests/fault/faultd.py)  the scripted one:   FAULT_URL, FAULT_STATE;
#          /fault/SPEC/<path> answers <path> with the fault SPEC (see its
#          header), /NAME/<path> answers with the rule fault_rule NAME SPEC set.
#
#   fault_setup_file [--gen]  start both (setup_file); --gen also builds the big
#                             bodies (bombs, the 200 MB repodata) once per tree
#   fault_teardown_file       stop both
#   fault_setup               per test: setup_shim_env ($T, $SHIM, PATH with
#                             $T/shims and $T/real), stub real tools that record
#                             what they get and exit $FAKE_EXIT (7)
#   fault_config ROLE ITEM... a config whose [use] ROLE lists one site per ITEM
#                             (ROLE may be a comma-separated list: wheels,conda):
#       good        nginx
#       late        faultd serving the tree healthily, 0.7 s late (a conda
#                   race the faulty mirror answers first)
#       dead        127.0.0.1:9, where nobody listens (connection refused)
#       rule:NAME   faultd under /NAME/, answering per fault_rule NAME SPEC
#       file        file://<fixture tree> (a configured file:// mirror)
#       SPEC        faultd's /fault/SPEC/ (site "bad", then "bad2", ...)
#     every site also serves pypi (always nginx's) and conda (channel pytorch);
#     the official upstream is faultd answering 503 under /fault/status=503/official/
#     (so its requests are logged); [network] connect-timeout 1, timeout 2
#     (FAULT_TIMEOUT overrides), cache-ttl 600.
#   fault_rule NAME SPEC      faultd answers /NAME/... with SPEC from now on
#   fault_run BOUND CMD...    bats `run` under `timeout BOUND`; sets $elapsed
#                             (seconds, 3 decimals) and prints the output
#   assert_bounded BOUND      the last fault_run finished by itself within BOUND s
#   assert_status N
#   PIP_CMD, CONDA_CMD        the commands the matrix runs (arrays)
#   assert_pip_pinned_from URL   the real pip got torch==2.3.1+cu121 -f URL/pytorch-wheels/cu121
#   assert_pip_original ARG...   the real pip got exactly ARG...
#   assert_conda_pinned_from URL the real conda got pytorch=2.5.1=py3.11_cpu_0 -c URL/anaconda/cloud/pytorch
#   assert_conda_original ARG...
#   assert_not_cached TEXT    `torchshim cache info` names nothing containing TEXT
#   fault_sanitized           the engine is built with AddressSanitizer (make SAN=1):
#                             memory bounds do not apply
#   fault_log_count REGEX     how many faultd requests match
#   fault_log_line REGEX      the first faultd log line number matching (0: none)

# bats sets status and output; the arrays are used by the .bats files
# shellcheck disable=SC2034,SC2154

FAULT_PY=/usr/bin/python3
[ -x "$FAULT_PY" ] || FAULT_PY=python3
FAULTD=$TS_TOP/tests/fault/faultd.py
export FAULT_GEN=$TS_FIXTURES/.fault-gen

fault_setup_file() {
    local root port
    root=$(ts_fixtures_build) || return 1
    if [ "${1:-}" = --gen ]; then
        "$FAULT_PY" "$FAULTD" gen "$FAULT_GEN" "$root" || return 1
    fi
    ts_mirror_start "$root" || return 1
    export FAULT_STATE=$BATS_FILE_TMPDIR/faultd
    port=$(FAULTD_GEN=$FAULT_GEN "$FAULT_PY" "$FAULTD" start "$root" "$FAULT_STATE") || return 1
    export FAULT_PORT=$port FAULT_URL=http://127.0.0.1:$port FAULT_ROOT=$root
}

fault_teardown_file() {
    [ -n "${FAULT_STATE:-}" ] && "$FAULT_PY" "$FAULTD" stop "$FAULT_STATE"
    ts_mirror_stop
}

# The stubs: argv NUL-separated to $T/argv.TOOL[.RUN_ID]; what they read from
# the files they were given (-r/-c for pip, --file for conda) to
# $T/read.TOOL[.RUN_ID], each as "== PATH" then the content.
_fault_stubs() {
    cat >"$T/real/pip" <<EOS
#!$FAULT_PY
import os, sys
sfx = "." + os.environ["RUN_ID"] if os.environ.get("RUN_ID") else ""
open("$T/argv.pip" + sfx, "wb").write(b"".join(a.encode("utf-8", "surrogateescape") + b"\\0" for a in sys.argv))
out = b""
args = sys.argv[1:]
i = 0
while i < len(args):
    a, f = args[i], None
    if a in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(args):
        f = args[i + 1]
        i += 1
    elif a.startswith(("--requirement=", "--constraint=")):
        f = a.split("=", 1)[1]
    elif a.startswith(("-r", "-c")) and len(a) > 2:
        f = a[2:]
    if f is not None:
        out += b"== " + f.encode() + b"\\n"
        try:
            with open(f, "rb") as fh:
                out += fh.read(1 << 20)
        except OSError as e:
            out += b"unreadable: " + str(e).encode() + b"\\n"
    i += 1
open("$T/read.pip" + sfx, "wb").write(out)
sys.exit(int(os.environ.get("FAKE_EXIT", "7")))
EOS
    cat >"$T/real/conda" <<EOS
#!/bin/sh
sfx=\${RUN_ID:+.\$RUN_ID}
printf '%s\\0' "\$0" "\$@" > "$T/argv.conda\$sfx"
: > "$T/read.conda\$sfx"
prev=
for a in "\$@"; do
    f=
    case \$prev in --file) f=\$a ;; esac
    case \$a in --file=*) f=\${a#--file=} ;; esac
    [ -n "\$f" ] && { printf '== %s\\n' "\$f"; head -c 1048576 -- "\$f"; } >> "$T/read.conda\$sfx" 2>&1
    prev=\$a
done
exit \${FAKE_EXIT:-7}
EOS
    chmod +x "$T/real/pip" "$T/real/conda"
}

fault_setup() {
    setup_shim_env
    _fault_stubs
    export FAKE_EXIT=7 CONDA_SUBDIR=linux-64
    unset CONDA_PREFIX XDG_CONFIG_HOME XDG_CACHE_HOME RUN_ID
    export TORCHSHIM_CONFIG=$T/config.ini
    : >"$FAULT_STATE/access.log"
    rm -f "$FAULT_STATE/rules.json"
    : >"$MIRROR_STATE/access.log"
}

fault_teardown() {
    teardown_shim_env
}

_fault_site() {
    local name=$1 url=$2
    cat <<EOS
[mirror "$name"]
wheels = $url/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $MIRROR_URL/pypi/simple
conda = $url/anaconda/cloud
conda-channels = pytorch
EOS
}

fault_config() {
    local role=$1 item name url use="" nbad=0
    shift
    {
        for item in "$@"; do
            case $item in
                good) name=good url=$MIRROR_URL ;;
                late) name=late url=$FAULT_URL/fault/delay=0.7 ;;
                dead) name=dead url=http://127.0.0.1:9 ;;
                file) name=local-file url=file://$FAULT_ROOT ;;
                rule:*) name=${item#rule:} url=$FAULT_URL/${item#rule:} ;;
                *)
                    nbad=$((nbad + 1))
                    name=bad
                    [ "$nbad" -gt 1 ] && name=bad$nbad
                    url=$FAULT_URL/fault/$item
                    ;;
            esac
            _fault_site "$name" "$url"
            use="$use $name"
        done
        local off=$FAULT_URL/fault/status=503/official
        cat <<EOS
[mirror "pypi-good"]
pypi = $MIRROR_URL/pypi/simple
; the official upstream: answers 503, and its requests are logged
[mirror "official"]
wheels = $off/whl/{variant}
wheels-format = simple
pypi = $off/pypi/simple
conda = $off
conda-channels = pytorch conda-forge nvidia
nvidia = $off/nvidia
[use]
EOS
        local r
        for r in ${role//,/ }; do echo "$r =$use"; done
        [[ ",$role," == *,pypi,* ]] || echo "pypi = pypi-good"
        cat <<EOS
[network]
connect-timeout = 1
timeout = ${FAULT_TIMEOUT:-2}
cache-ttl = ${FAULT_TTL:-600}
EOS
    } >"$T/config.ini"
}

fault_rule() {
    "$FAULT_PY" - "$FAULT_STATE/rules.json" "$1" "$2" <<'EOF'
import json, os, sys
path, name, spec = sys.argv[1:]
try:
    rules = json.load(open(path))
except (OSError, ValueError):
    rules = {}
rules["/%s/" % name] = spec
open(path + ".tmp", "w").write(json.dumps(rules))
os.rename(path + ".tmp", path)
EOF
}

_now() { date +%s.%N; }

fault_run() {
    local bound=$1 t0 t1
    shift
    t0=$(_now)
    run timeout -k 2 "$bound" "$@"
    t1=$(_now)
    elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    echo "status $status after ${elapsed}s: $*"
    echo "$output"
}

assert_bounded() {
    local bound=$1
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "FAIL: still running after ${bound}s: killed by timeout (status $status)"
        return 1
    fi
    if ! awk -v e="$elapsed" -v b="$bound" 'BEGIN { exit !(e <= b) }'; then
        echo "FAIL: took ${elapsed}s, the bound is ${bound}s"
        return 1
    fi
}

assert_status() {
    if [ "$status" -ne "$1" ]; then
        echo "FAIL: exit status $status, expected $1"
        return 1
    fi
}

PIP_CMD=(pip install torch --index-url https://download.pytorch.org/whl/cu121)
CONDA_CMD=(conda install pytorch cpuonly python=3.11 -c pytorch)

# _expect_argv TOOL WORD...: the recorded argv is exactly WORD...
_expect_argv() {
    local tool=$1 f=$T/argv.$1${RUN_ID:+.$RUN_ID}
    shift
    if [ ! -e "$f" ]; then
        echo "FAIL: the real $tool never ran"
        return 1
    fi
    printf '%s\0' "$@" >"$T/expected.$tool"
    if ! cmp -s "$T/expected.$tool" "$f"; then
        echo "FAIL: the real $tool got:"
        tr '\0' ' ' <"$f"
        echo
        echo "expected:"
        tr '\0' ' ' <"$T/expected.$tool"
        echo
        return 1
    fi
}

assert_pip_pinned_from() {
    _expect_argv pip "$T/real/pip" install torch==2.3.1+cu121 -f "$1/pytorch-wheels/cu121" \
        -i "$MIRROR_URL/pypi/simple"
}

assert_pip_original() {
    _expect_argv pip "$T/real/pip" "$@"
}

assert_conda_pinned_from() {
    _expect_argv conda "$T/real/conda" install pytorch=2.5.1=py3.11_cpu_0 cpuonly python=3.11 \
        -c "$1/anaconda/cloud/pytorch"
}

assert_conda_original() {
    _expect_argv conda "$T/real/conda" "$@"
}

assert_not_cached() {
    local info
    info=$("$SHIM" cache info 2>&1)
    if grep -qF -- "$1" <<<"$info"; then
        echo "FAIL: the cache keeps an answer from $1:"
        echo "$info"
        return 1
    fi
}

fault_sanitized() {
    grep -qa __asan_init "${TORCHSHIM_BUILD:-$BUILD}/torchshim-engine" 2>/dev/null
}

fault_log_count() {
    grep -cE -- "$1" "$FAULT_STATE/access.log" || true
}

fault_log_line() {
    local n
    n=$(grep -nE -- "$1" "$FAULT_STATE/access.log" | head -1 | cut -d: -f1)
    echo "${n:-0}"
}

# late_url: the healthy late mirror's root (what the command names when it wins)
late_url() { echo "$FAULT_URL/fault/delay=0.7"; }
