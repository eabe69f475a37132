#!/usr/bin/env bats
# 00-fixtures.bats — the test fixtures and the loopback mirror harness work,
# checked with the real tools (curl, zstd, bzip2, python3 -m venv, pip).
#
# Run: bats tests/e2e/00-fixtures.bats

load ../lib/common

VENV_PY=/usr/bin/python3
REF=tests/fixtures/reference

setup_file() {
    cd "$TS_TOP" || return 1
    ts_mirror_start --copy
    ts_blackhole_start
}

teardown_file() {
    ts_blackhole_stop
    ts_mirror_stop
}

setup() {
    cd "$TS_TOP" || return 1
    export PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
    export PIP_CONFIG_FILE=/dev/null
}

# http_code URL [curl args...]: print the status code of a GET.
http_code() {
    local url=$1
    shift
    curl -s -o /dev/null -w '%{http_code}' "$@" "$url"
}

# header NAME URL: print one response header's value.
header() {
    curl -sI "$2" | tr -d '\r' | awk -v n="$(printf '%s' "$1" | tr 'A-Z' 'a-z')" \
        'BEGIN{FS=": "} tolower($1)==n {sub(/^[^:]*: /, ""); print; exit}'
}

# pid_gone PID: no such process, or only a zombie left for init to reap.
pid_gone() {
    if kill -0 "$1" 2>/dev/null; then
        grep -q '^State:.*Z' "/proc/$1/status"
    fi
}

# mkvenv DIR: a fresh venv of Debian's python3 with its bundled pip.
mkvenv() {
    "$VENV_PY" -m venv "$1"
}

# --- nginx-serve -----------------------------------------------------------

@test "nginx-serve: answers on 127.0.0.1 only, files live under STATEDIR" {
    [[ "$MIRROR_PORT" =~ ^[0-9]+$ ]]
    [ "$(http_code "$MIRROR_URL/pytorch/noarch/repodata.json")" = 200 ]
    [ -s "$MIRROR_STATE/nginx.pid" ]
    [ -f "$MIRROR_STATE/nginx.conf" ]
    [ -f "$MIRROR_STATE/error.log" ]
    grep -q "listen 127.0.0.1:$MIRROR_PORT;" "$MIRROR_STATE/nginx.conf"
    # every path in the conf is under STATEDIR or the served root
    run grep -oE '(pid|error_log|access_log|_temp_path) +/[^ ;]+' "$MIRROR_STATE/nginx.conf"
    [ "$status" -eq 0 ]
    outside=$(printf '%s\n' "$output" | awk '{print $2}' | grep -v "^$MIRROR_STATE/" || true)
    [ -z "$outside" ]
    # root gets `user root;` (reads the 0700 bats tmpdir), others get none
    if [ "$(id -u)" -eq 0 ]; then
        grep -q '^user root;' "$MIRROR_STATE/nginx.conf"
    else
        run grep -q '^user ' "$MIRROR_STATE/nginx.conf"
        [ "$status" -ne 0 ]
    fi
    [ "$(tests/lib/nginx-serve port "$MIRROR_STATE")" = "$MIRROR_PORT" ]
}

@test "nginx-serve: start twice fails, stop is idempotent, NGINX_SERVE_PORT forces the port" {
    local root state=$BATS_TEST_TMPDIR/state port
    # a 0700 root (as root: nginx workers need `user root;` to read it)
    root=$(mktemp -d "$BATS_TEST_TMPDIR/root.XXXXXX")
    [ "$(stat -c %a "$root")" = 700 ]
    echo hello >"$root/hello.txt"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    run env NGINX_SERVE_PORT="$port" tests/lib/nginx-serve start "$root" "$state"
    [ "$status" -eq 0 ]
    [ "$output" = "$port" ]
    [ "$(curl -s "http://127.0.0.1:$port/hello.txt")" = hello ]
    run tests/lib/nginx-serve start "$root" "$state"
    [ "$status" -ne 0 ]
    [[ "$output" == *"already running"* ]]
    # the port is taken: a forced second instance must fail with a message
    run env NGINX_SERVE_PORT="$port" tests/lib/nginx-serve start "$root" "$BATS_TEST_TMPDIR/state2"
    [ "$status" -ne 0 ]
    [[ "$output" == *"Address already in use"* ]]
    pid=$(cat "$state/nginx.pid")
    run tests/lib/nginx-serve stop "$state"
    [ "$status" -eq 0 ]
    pid_gone "$pid"
    [ "$(http_code "http://127.0.0.1:$port/hello.txt")" = 000 ]
    run tests/lib/nginx-serve stop "$state"
    [ "$status" -eq 0 ]
    run tests/lib/nginx-serve stop "$BATS_TEST_TMPDIR/never-started"
    [ "$status" -eq 0 ]
    run tests/lib/nginx-serve start "$BATS_TEST_TMPDIR/no-such-root" "$state"
    [ "$status" -ne 0 ]
    [[ "$output" == *"does not exist"* ]]
}

@test "nginx-serve: fault locations /status/500, /status/404, /redirect-http, /slow" {
    [ "$(http_code "$MIRROR_URL/status/500/pytorch/linux-64/repodata.json")" = 500 ]
    [ "$(http_code "$MIRROR_URL/status/500/")" = 500 ]
    [ "$(http_code "$MIRROR_URL/status/404/pytorch/linux-64/repodata.json")" = 404 ]
    # redirect keeps the escaping and the query string
    loc=$(curl -s -o /dev/null -w '%{redirect_url}' \
        "$MIRROR_URL/redirect-http/pytorch-wheels/cu118/torch-2.0.0%2Bcu118-x.whl?a=1")
    [ "$loc" = "$MIRROR_URL/pytorch-wheels/cu118/torch-2.0.0%2Bcu118-x.whl?a=1" ]
    [ "$(http_code "$MIRROR_URL/redirect-http/pytorch/noarch/repodata.json")" = 302 ]
    curl -sfL "$MIRROR_URL/redirect-http/pytorch/noarch/repodata.json" | cmp - "$MIRROR_ROOT/pytorch/noarch/repodata.json"
    # /slow serves the same bytes, a ~100 KB torch wheel in several seconds
    whl=$(cd "$MIRROR_ROOT/pytorch-wheels/cu118" && ls torch-2.0.0+cu118-*.whl | head -1)
    size=$(stat -c %s "$MIRROR_ROOT/pytorch-wheels/cu118/$whl")
    [ "$size" -ge 90000 ]
    url="$MIRROR_URL/slow/pytorch-wheels/cu118/${whl/+/%2B}"
    t=$(curl -s -o "$BATS_TEST_TMPDIR/slow.whl" -w '%{time_total}' --max-time 30 "$url")
    cmp "$BATS_TEST_TMPDIR/slow.whl" "$MIRROR_ROOT/pytorch-wheels/cu118/$whl"
    awk -v t="$t" 'BEGIN { exit !(t >= 2.5) }'
    ts_log_requests '"GET /status/500/pytorch/linux-64/repodata.json HTTP/1.1" 500 '
    ts_log_requests '"GET /redirect-http/pytorch/noarch/repodata.json HTTP/1.1" 302 '
}

@test "nginx-serve: autoindex listing of pytorch-wheels (aliyun style) escapes + as %2B" {
    run curl -sf "$MIRROR_URL/pytorch-wheels/cu118/"
    [ "$status" -eq 0 ]
    [[ "$output" == *'<a href="torch-2.0.0%2Bcu118-cp'*'-linux_'*'.whl">'* ]]
    [[ "$output" == *'<a href="torchvision-0.15.1%2Bcu118-cp'* ]]
    [[ "$output" == *'<a href="torchaudio-2.0.1%2Bcu118-cp'* ]]
    [[ "$output" != *"index.html"* ]]
    # no trailing slash: nginx redirects to the directory on the same port
    loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$MIRROR_URL/pytorch-wheels/cu118")
    [ "$loc" = "$MIRROR_URL/pytorch-wheels/cu118/" ]
}

# --- conda channel ---------------------------------------------------------

@test "conda: repodata.json, .bz2 and .zst of every subdir decompress to the same json" {
    for subdir in linux-64 win-64 noarch; do
        base="$MIRROR_URL/pytorch/$subdir/repodata.json"
        curl -sf -o "$BATS_TEST_TMPDIR/$subdir.json" "$base"
        curl -sf -o "$BATS_TEST_TMPDIR/$subdir.json.bz2" "$base.bz2"
        curl -sf -o "$BATS_TEST_TMPDIR/$subdir.json.zst" "$base.zst"
        bzip2 -dc "$BATS_TEST_TMPDIR/$subdir.json.bz2" | cmp - "$BATS_TEST_TMPDIR/$subdir.json"
        zstd -qdc "$BATS_TEST_TMPDIR/$subdir.json.zst" | cmp - "$BATS_TEST_TMPDIR/$subdir.json"
        [ "$(header content-type "$base")" = "application/json; charset=utf-8" ] ||
            [ "$(header content-type "$base")" = "application/json" ]
    done
    # the same channel under the TUNA-style root
    curl -sf "$MIRROR_URL/anaconda/cloud/pytorch/win-64/repodata.json" | cmp - "$BATS_TEST_TMPDIR/win-64.json"
    # the pytorch channel has no current_repodata.json
    [ "$(http_code "$MIRROR_URL/pytorch/linux-64/current_repodata.json")" = 404 ]
    # sizes in the ranges the reference gives
    size=$(stat -c %s "$BATS_TEST_TMPDIR/linux-64.json")
    [ "$size" -ge 1300000 ] && [ "$size" -le 1700000 ]
    size=$(stat -c %s "$BATS_TEST_TMPDIR/win-64.json")
    [ "$size" -ge 600000 ] && [ "$size" -le 900000 ]
}

@test "conda: conditional GET with the ETag gets 304 and the access log shows it" {
    url="$MIRROR_URL/pytorch/linux-64/repodata.json.zst"
    ts_log_clear
    etag=$(header etag "$url")
    lm=$(header last-modified "$url")
    [ -n "$etag" ] && [ -n "$lm" ]
    [ "$(http_code "$url" -H "If-None-Match: $etag")" = 304 ]
    [ "$(http_code "$url" -H "If-Modified-Since: $lm")" = 304 ]
    [ "$(http_code "$url" -H 'If-None-Match: "0-0"')" = 200 ]
    # if_modified_since exact: any other date is a full answer
    [ "$(http_code "$url" -H 'If-Modified-Since: Mon, 01 Jan 2024 00:00:00 GMT')" = 200 ]
    run ts_log_requests "\"GET /pytorch/linux-64/repodata.json.zst HTTP/1.1\" 304 0 inm=$etag "
    [ "$status" -eq 0 ]
    [[ "$output" == *"etag=$etag"* ]]
    run ts_log_requests "\"GET /pytorch/linux-64/repodata.json.zst HTTP/1.1\" 304 0 inm=- ims=\"$lm\""
    [ "$status" -eq 0 ]
    [ "$(ts_log_count '"GET /pytorch/linux-64/repodata.json.zst HTTP/1.1" 200 ')" -eq 2 ]
    # changing the file changes the ETag (tests rely on this for refresh)
    touch -d '2020-01-01' "$MIRROR_ROOT/pytorch/linux-64/repodata.json.zst"
    [ "$(http_code "$url" -H "If-None-Match: $etag")" = 200 ]
    [ "$(header etag "$url")" != "$etag" ]
}

@test "conda: linux-64 holds all 2,181 real records verbatim plus the generated 2.1.1-2.5.1 families" {
    run python3 - "$MIRROR_ROOT/pytorch/linux-64/repodata.json" "$REF" <<'EOF'
import json, sys
out = json.load(open(sys.argv[1]))
ref = json.load(open(sys.argv[2] + "/rattler_pytorch_linux-64_repodata.json"))
assert sorted(out) == ["info", "packages", "packages.conda", "removed", "repodata_version"]
assert out["info"] == {"subdir": "linux-64"} and out["packages.conda"] == {}
assert out["removed"] == [] and out["repodata_version"] == 1
pk = out["packages"]
assert len(ref["packages"]) == 2181
for fn, rec in ref["packages"].items():
    assert pk[fn] == rec, fn
lock = json.load(open(sys.argv[2] + "/real_records_pixi_lock_2.3.0.json"))["packages"]
for fn, rec in lock.items():
    if rec["subdir"] == "linux-64":
        want = dict(rec)
        want.setdefault("build_number", 0)   # a pixi.lock omits build_number 0
        assert pk[fn] == want, fn
big = [fn for fn, r in pk.items() if r["timestamp"] > 2**31 - 1]
assert len(big) == len(pk), "timestamps are ms"
def has(fn): assert fn in pk, fn
for v, py in (("2.1.1", "3.11"), ("2.2.2", "3.12"), ("2.3.1", "3.12"), ("2.4.1", "3.12"), ("2.5.1", "3.9")):
    has("pytorch-%s-py%s_cpu_0.tar.bz2" % (v, py))
    has("pytorch-%s-py%s_cuda11.8_cudnn%s_0.tar.bz2" % (v, py, "9.1.0" if v >= "2.4" else "8.7.0"))
    has("pytorch-%s-py%s_cuda12.1_cudnn%s_0.tar.bz2" % (v, py, "9.1.0" if v >= "2.4" else "8.9.2"))
has("pytorch-2.5.1-py3.12_cuda12.4_cudnn9.1.0_0.tar.bz2")
assert "pytorch-2.5.1-py3.8_cpu_0.tar.bz2" not in pk        # 2.5 starts at 3.9
assert "pytorch-2.1.2-py3.12_cpu_0.tar.bz2" not in pk       # 2.1 stops at 3.11
assert "pytorch-2.3.1-py3.12_cuda12.4_cudnn9.1.0_0.tar.bz2" not in pk
r = pk["pytorch-2.3.1-py3.12_cuda12.1_cudnn8.9.2_0.tar.bz2"]
assert "pytorch-cuda >=12.1,<12.2" in r["depends"] and "pytorch-mutex 1.0 cuda" in r["depends"]
assert "torchtriton 2.3.1" in r["depends"] and r["constrains"] == ["cpuonly <0"]
r = pk["pytorch-2.3.1-py3.12_cpu_0.tar.bz2"]
assert "pytorch-mutex 1.0 cpu" in r["depends"] and r["constrains"] == ["cpuonly"]
r = pk["torchvision-0.18.1-py312_cu121.tar.bz2"]
for d in ("pytorch 2.3.1", "pytorch-cuda 12.1.*", "pytorch-mutex 1.0 cuda", "python >=3.12,<3.13.0a0"):
    assert d in r["depends"], d
r = pk["torchaudio-2.5.1-py310_cu124.tar.bz2"]
assert "pytorch 2.5.1" in r["depends"] and "pytorch-cuda 12.4.*" in r["depends"]
has("pytorch-cuda-12.4-hc786d27_7.tar.bz2")
has("torchtriton-3.1.0-py312.tar.bz2")
has("torchtriton-2.3.1-py38.tar.bz2")
for fn, r in pk.items():
    assert fn == "%s-%s-%s.tar.bz2" % (r["name"], r["version"], r["build"]), fn
    for k in ("build", "build_number", "depends", "md5", "name", "sha256", "size", "subdir", "timestamp", "version"):
        assert k in r, (fn, k)
print(len(pk))
EOF
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" -gt 2600 ]
}

@test "conda: win-64 has seed 002's pytorch 2.3.1 listing and win-style builds" {
    run python3 - "$MIRROR_ROOT/pytorch/win-64/repodata.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["info"] == {"subdir": "win-64"}
pk = d["packages"]
listing = sorted(r["build"] for r in pk.values() if r["name"] == "pytorch" and r["version"] == "2.3.1")
want = sorted("py%s_%s_0" % (py, v) for py in ("3.8", "3.9", "3.10", "3.11", "3.12")
              for v in ("cpu", "cuda11.8_cudnn8", "cuda12.1_cudnn8"))
assert listing == want, listing
for py in ("38", "39", "310", "311", "312"):
    for tag in ("cpu", "cu118", "cu121"):
        assert "torchvision-0.18.1-py%s_%s.tar.bz2" % (py, tag) in pk
        assert "torchaudio-2.3.1-py%s_%s.tar.bz2" % (py, tag) in pk
assert "pytorch-2.5.1-py3.12_cuda12.4_cudnn9_0.tar.bz2" in pk
assert "pytorch-1.12.1-py3.10_cuda11.6_cudnn8_0.tar.bz2" in pk
def vt(v): return tuple(int(x) for x in v.split("."))
assert min(vt(r["version"]) for r in pk.values() if r["name"] == "pytorch") == (1, 12, 0)
for b in ("hde6ce7c_5", "hde6ce7c_6"):
    assert "pytorch-cuda-12.1-%s.tar.bz2" % b in pk
assert "pytorch-cuda-11.8-h24eeafa_3.tar.bz2" in pk
for fn, r in pk.items():
    assert r["subdir"] == "win-64", fn
    assert not any(x.split()[0] in ("torchtriton", "llvm-openmp", "libgcc-ng") for x in r["depends"]), fn
    if r["name"] == "pytorch" and "cudnn" in r["build"]:
        assert r["build"].split("cudnn")[1].split("_")[0].isdigit(), fn
r = pk["pytorch-2.3.1-py3.12_cuda12.1_cudnn8_0.tar.bz2"]
assert "intel-openmp" in r["depends"] and "pytorch-cuda >=12.1,<12.2" in r["depends"]
print(len(pk))
EOF
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "conda: noarch has pytorch-mutex cpu/cuda and cpuonly 2.0" {
    run python3 - "$MIRROR_ROOT/pytorch/noarch/repodata.json" <<'EOF'
import json, sys
pk = json.load(open(sys.argv[1]))["packages"]
cpu, cuda = pk["pytorch-mutex-1.0-cpu.tar.bz2"], pk["pytorch-mutex-1.0-cuda.tar.bz2"]
assert (cpu["build_number"], cuda["build_number"]) == (0, 100)
assert cuda["md5"] == "a948316e36fb5b11223b3fcfa93f8358"       # real
c = pk["cpuonly-2.0-0.tar.bz2"]
assert c["track_features"] == "cpuonly" and c["depends"] == ["pytorch-mutex 1.0 cpu"]
assert c["md5"] == "1cf3a59ef90a4078c253e3b02c272065"          # real
assert all(r["noarch"] == "generic" and r["subdir"] == "noarch" for r in pk.values())
EOF
    echo "$output"
    [ "$status" -eq 0 ]
}

@test "make-all.sh is idempotent: a rerun keeps bytes and mtimes (ETags)" {
    local out=$BATS_TEST_TMPDIR/fx
    tests/fixtures/make-all.sh "$out"
    before=$(cd "$out" && find . -type f ! -name '.make-all.lock' -printf '%p %s %T@\n' | sort | md5sum)
    tests/fixtures/make-all.sh "$out"
    after=$(cd "$out" && find . -type f ! -name '.make-all.lock' -printf '%p %s %T@\n' | sort | md5sum)
    [ "$before" = "$after" ]
    # and a build elsewhere is byte-identical (deterministic); trees that
    # later tests add to the shared build (fault, differential) are theirs
    run diff -r -x .make-all.lock -x .fault-gen "$out" "$TS_FIXTURES"
    echo "$output"
    [ -z "$(grep -v "^Only in $TS_FIXTURES" <<<"$output")" ]
}

# --- wheels ----------------------------------------------------------------

@test "wheels: PEP 503 pages link files that exist with matching sha256" {
    run python3 - "$MIRROR_URL" <<'EOF'
import hashlib, re, sys, urllib.request, urllib.parse
base = sys.argv[1]
def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()
checked = 0
for root in ("/whl/cu118/", "/whl/cu121/", "/whl/cpu/", "/pypi/simple/"):
    page = get(base + root).decode()
    projects = re.findall(r'href="([^"]+/)"', page)
    assert {"torch/", "torchvision/", "torchaudio/", "filelock/", "typing-extensions/"} <= set(projects), (root, projects)
    for p in projects:
        purl = urllib.parse.urljoin(base + root, p)
        for href in re.findall(r'href="([^"]+)"', get(purl).decode()):
            url, _, frag = href.partition("#sha256=")
            assert "+" not in url, href
            data = get(urllib.parse.urljoin(purl, url))
            assert hashlib.sha256(data).hexdigest() == frag, href
            checked += 1
print(checked)
EOF
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" -ge 20 ]
    run curl -sf "$MIRROR_URL/pypi/simple/torch/"
    [[ "$output" == *"torch-2.5.1-cp"* ]]
    [[ "$output" != *"torch-2.5.1%2B"* ]]
}

@test "wheels: RECORD hashes, METADATA and Requires-Dist are those of real wheels" {
    run python3 - "$MIRROR_ROOT" <<'EOF'
import base64, glob, hashlib, os, sys, zipfile
root = sys.argv[1]
n = 0
for whl in sorted(glob.glob(root + "/pytorch-wheels/*/*.whl") + glob.glob(root + "/pypi/packages/*.whl")):
    name = os.path.basename(whl)
    dist, ver = name.split("-")[:2]
    z = zipfile.ZipFile(whl)
    info = "%s-%s.dist-info/" % (dist, ver)
    meta = z.read(info + "METADATA").decode()
    assert "Metadata-Version: 2.1\n" in meta and "\nVersion: %s\n" % ver in meta, name
    rows = [l.split(",") for l in z.read(info + "RECORD").decode().splitlines()]
    assert sorted(r[0] for r in rows) == sorted(z.namelist()), name
    for path, h, size in rows:
        if path == info + "RECORD":
            assert h == "" and size == ""
            continue
        data = z.read(path)
        assert h == "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode(), path
        assert int(size) == len(data)
    wheel = z.read(info + "WHEEL").decode()
    assert "Tag: " + "-".join(name[:-4].split("-")[2:]) in wheel, name
    pkg = {"typing_extensions": "typing_extensions.py"}.get(dist, dist + "/__init__.py")
    assert ("__version__ = %r" % ver) in z.read(pkg).decode(), name
    req = [l[len("Requires-Dist: "):] for l in meta.splitlines() if l.startswith("Requires-Dist: ")]
    base = ver.split("+")[0]
    if dist == "torch":
        assert req[0] == "filelock" and req[1].startswith("typing-extensions"), req
    want = {("torchvision", "0.15.1"): "torch==2.0.0", ("torchvision", "0.18.1"): "torch==2.3.1",
            ("torchvision", "0.18.0"): "torch==2.3.0", ("torchvision", "0.20.1"): "torch==2.5.1",
            ("torchaudio", "2.0.1"): "torch==2.0.0", ("torchaudio", "2.3.1"): "torch==2.3.1",
            ("torchaudio", "2.3.0"): "torch==2.3.0", ("torchaudio", "2.5.1"): "torch==2.5.1"}
    if (dist, base) in want:
        assert req == [want[(dist, base)]], (name, req)
    n += 1
print(n)
EOF
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$output" -ge 20 ]
}

@test "pip: installs torch==2.0.0+cu118 from the aliyun-style -f tree with deps from the PyPI mirror" {
    mkvenv "$BATS_TEST_TMPDIR/venv"
    ts_log_clear
    run "$BATS_TEST_TMPDIR/venv/bin/python" -m pip install torch==2.0.0+cu118 \
        --index-url "$MIRROR_URL/pypi/simple" -f "$MIRROR_URL/pytorch-wheels/cu118"
    echo "$output"
    [ "$status" -eq 0 ]
    run "$BATS_TEST_TMPDIR/venv/bin/python" -c 'import torch; print(torch.__version__)'
    [ "$output" = "2.0.0+cu118" ]
    run "$BATS_TEST_TMPDIR/venv/bin/python" -c 'import torch; print(torch.version.cuda)'
    [ "$output" = "11.8" ]
    run "$BATS_TEST_TMPDIR/venv/bin/python" -m pip list --format=freeze
    [[ "$output" == *"filelock==3.13.1"* ]]
    [[ "$output" == *"typing_extensions==4.12.2"* || "$output" == *"typing-extensions==4.12.2"* ]]
    ts_log_requests '"GET /pytorch-wheels/cu118/ HTTP/1.1" 200 '
    ts_log_requests '"GET /pytorch-wheels/cu118/torch-2.0.0%2Bcu118-cp[0-9]+-cp[0-9]+-linux_[a-z0-9_]+\.whl HTTP/1.1" 200 '
    ts_log_requests '"GET /pypi/simple/filelock/ HTTP/1.1" 200 '
    [ "$(ts_log_count 'GET /pypi/packages/torch-')" -eq 0 ]
}

@test "pip: the trap — unpinned 'pip install torch -f cu121' takes plain 2.5.1 from the PyPI mirror" {
    # pip merges every index and -f page and picks the highest version; a
    # newer default torch on PyPI beats the older +cu121 wheel.  The shim
    # must pin torch==2.3.1+cu121 to defeat this.
    mkvenv "$BATS_TEST_TMPDIR/venv"
    run "$BATS_TEST_TMPDIR/venv/bin/python" -m pip install torch \
        -f "$MIRROR_URL/pytorch-wheels/cu121" --index-url "$MIRROR_URL/pypi/simple"
    echo "$output"
    [ "$status" -eq 0 ]
    run "$BATS_TEST_TMPDIR/venv/bin/python" -c 'import torch; print(torch.__version__)'
    [ "$output" = "2.5.1" ]
    # pinned, the same command gets the CUDA build
    run "$BATS_TEST_TMPDIR/venv/bin/python" -m pip install torch==2.3.1+cu121 \
        -f "$MIRROR_URL/pytorch-wheels/cu121" --index-url "$MIRROR_URL/pypi/simple"
    [ "$status" -eq 0 ]
    run "$BATS_TEST_TMPDIR/venv/bin/python" -c 'import torch; print(torch.__version__)'
    [ "$output" = "2.3.1+cu121" ]
}

@test "pip: the PEP 503 tree works alone as --index-url (NJU / download.pytorch.org style)" {
    mkvenv "$BATS_TEST_TMPDIR/venv"
    run "$BATS_TEST_TMPDIR/venv/bin/python" -m pip install torch==2.3.1+cu121 \
        torchvision==0.18.1+cu121 torchaudio==2.3.1+cu121 --index-url "$MIRROR_URL/whl/cu121"
    echo "$output"
    [ "$status" -eq 0 ]
    run "$BATS_TEST_TMPDIR/venv/bin/python" -c \
        'import torch, torchvision, torchaudio; print(torch.__version__, torchvision.__version__, torchaudio.__version__)'
    [ "$output" = "2.3.1+cu121 0.18.1+cu121 2.3.1+cu121" ]
}

@test "pip: torchvision from another CUDA variant refuses to import (as the real one does)" {
    mkvenv "$BATS_TEST_TMPDIR/venv"
    run "$BATS_TEST_TMPDIR/venv/bin/python" -m pip install torch==2.3.1+cu121 \
        --index-url "$MIRROR_URL/whl/cu121"
    [ "$status" -eq 0 ]
    # torchvision 0.15.1+cu118 wants torch==2.0.0: --no-deps forces the mix
    run "$BATS_TEST_TMPDIR/venv/bin/python" -m pip install --no-deps torchvision==0.15.1+cu118 \
        -f "$MIRROR_URL/pytorch-wheels/cu118" --index-url "$MIRROR_URL/pypi/simple"
    [ "$status" -eq 0 ]
    run "$BATS_TEST_TMPDIR/venv/bin/python" -c 'import torchvision'
    [ "$status" -ne 0 ]
    [[ "$output" == *"compiled with different CUDA major versions"* ]]
}

# --- blackhole -------------------------------------------------------------

@test "blackhole: accepts the connection but never answers" {
    [[ "$BLACKHOLE_PORT" =~ ^[0-9]+$ ]]
    run curl -s --max-time 1 "$BLACKHOLE_URL/pytorch/linux-64/repodata.json"
    [ "$status" -eq 28 ]   # timed out (7 would be "connection refused")
    grep -q ' accept 127.0.0.1:' "$BLACKHOLE_STATE/blackhole.log"
    [ "$(tests/lib/blackhole port "$BLACKHOLE_STATE")" = "$BLACKHOLE_PORT" ]
    run tests/lib/blackhole start "$BLACKHOLE_STATE"
    [ "$status" -ne 0 ]
    [[ "$output" == *"already running"* ]]
}

@test "blackhole: stop is idempotent and frees the port" {
    local state=$BATS_TEST_TMPDIR/bh port pid
    port=$(tests/lib/blackhole start "$state")
    pid=$(cat "$state/blackhole.pid")
    tests/lib/blackhole stop "$state"
    pid_gone "$pid"
    run curl -s --max-time 1 "http://127.0.0.1:$port/"
    [ "$status" -eq 7 ]
    run tests/lib/blackhole stop "$state"
    [ "$status" -eq 0 ]
}
