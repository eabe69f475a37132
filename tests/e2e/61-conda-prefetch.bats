#!/usr/bin/env bats
# Conda prefetch end to end (src/conda/condafetch.h, src/pip/prefetch.h):
# torchshim standing in for conda, nginx on loopback serving a copy of the
# fixtures in which pytorch-2.3.1-py3.11_cpu_0.tar.bz2 is a real package
# (info/index.json and 8 MiB of padding) and torchvision-0.18.1-py311_cpu
# a small one, their repodata records' size, md5 and sha256 updated; a
# [prefetch] threshold of 1M, so pytorch is prefetched and torchvision left
# to conda. conda is not in Debian: the "real" conda is a stand-in that
# records its argv and looks at its package cache the way conda does
# (package_cache_data.py): the first writable pkgs dir (CONDA_PKGS_DIRS,
# else <root>/pkgs, ~/.conda/pkgs), the file <fn> there with the record's
# size, md5 and sha256, and urls.txt naming <channel>/<subdir>/<fn> for the
# channel it was given. It says "cached FN" or "would download FN" per
# pinned package in $T/cache.conda.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../lib/prefetch
load ../bats/helper

PT=pytorch-2.3.1-py3.11_cpu_0.tar.bz2
TV=torchvision-0.18.1-py311_cpu.tar.bz2
PT_RE='pytorch-2\.3\.1-py3\.11_cpu_0\.tar\.bz2'

# make_packages ROOT: the two packages into ROOT/pytorch/linux-64, their
# records updated, the repodata's .bz2 and .zst rewritten from it.
make_packages() {
    /usr/bin/python3 - "$1/pytorch/linux-64" <<'EOF'
import bz2, hashlib, io, json, os, random, subprocess, sys, tarfile
sub = sys.argv[1]
path = os.path.join(sub, "repodata.json")
doc = json.load(open(path))

def package(fn, pad):
    rec = doc["packages"][fn]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        members = [("info/index.json", json.dumps({k: rec[k] for k in (
            "name", "version", "build", "build_number", "depends", "subdir")}).encode()),
            ("lib/_pad.bin", random.Random(fn).randbytes(pad))]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1717000000
            tar.addfile(info, io.BytesIO(data))
    body = bz2.compress(buf.getvalue(), 1)
    open(os.path.join(sub, fn), "wb").write(body)
    rec.update(size=len(body), md5=hashlib.md5(body).hexdigest(),
               sha256=hashlib.sha256(body).hexdigest())

package("pytorch-2.3.1-py3.11_cpu_0.tar.bz2", 8 << 20)
package("torchvision-0.18.1-py311_cpu.tar.bz2", 2048)
text = (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode()
open(path, "wb").write(text)
open(path + ".bz2", "wb").write(bz2.compress(text, 9))
subprocess.run(["zstd", "-q", "-f", "-3", path, "-o", path + ".zst"], check=True)
EOF
}

# The stand-in for conda (see the top): argv to $T/argv.conda, what it
# would do to $T/cache.conda.
fake_conda() {
    cat >"$1" <<'EOF'
#!/usr/bin/python3
import hashlib, json, os, re, sys
T = os.environ["CF_T"]
open(T + "/argv.conda", "wb").write(b"".join(a.encode() + b"\0" for a in sys.argv))
argv = sys.argv[1:]
chans = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a in ("-c", "--channel")]
root = os.path.dirname(os.path.dirname(os.path.realpath(sys.argv[0])))
dirs = [d for d in os.environ.get("CONDA_PKGS_DIRS", "").split(",") if d] or \
    [root + "/pkgs", os.path.expanduser("~/.conda/pkgs")]

def first_writable():
    for d in dirs:
        magic = os.path.join(d, "urls.txt")
        if os.path.isfile(magic):
            if os.access(magic, os.W_OK):
                return d
            continue
        try:
            os.makedirs(d, exist_ok=True)
            open(magic, "a").close()
            return d
        except OSError:
            continue
    sys.exit("NoWritablePkgsDirError")

def digest(path, algo):
    h = hashlib.new(algo)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()

pkgs = first_writable()
repodata = json.load(open(os.environ["CF_REPODATA"]))["packages"]
urls = [l.strip() for l in open(os.path.join(pkgs, "urls.txt"))][::-1]
out = []
for spec in argv:
    m = re.fullmatch(r"(?:(.*)::)?([a-z-]+)=([^=]+)=([^=*]+)", spec)
    if not m:
        continue
    rec = next((dict(r, fn=fn) for fn, r in repodata.items()
                if (r["name"], r["version"], r["build"]) == m.group(2, 3, 4)), None)
    if rec is None:
        out.append("unknown " + spec)
        continue
    fn, path = rec["fn"], os.path.join(pkgs, rec["fn"])
    url = next((u for u in urls if os.path.basename(u) == fn), None)
    chan = m.group(1) or next((c for c in chans if c.rstrip("/").endswith("/pytorch")), None)
    why = ("no file" if not os.path.isfile(path) else
           "size" if os.path.getsize(path) != rec["size"] else
           "md5" if digest(path, "md5") != rec["md5"] else
           "sha256" if digest(path, "sha256") != rec["sha256"] else
           "no url" if url is None else
           "channel" if url != "%s/%s/%s" % (chan, rec["subdir"], fn) else None)
    out.append("cached " + fn if why is None else "would download %s (%s)" % (fn, why))
open(T + "/cache.conda", "w").write("".join(l + "\n" for l in out))
EOF
    chmod +x "$1"
}

# config FILE CONDA-URL [LINES...]: the loopback conda mirror only, the
# [prefetch] threshold at 1M, then LINES under [prefetch].
config() {
    local file=$1 url=$2
    shift 2
    cat >"$file" <<EOS
[mirror "local"]
conda = $url
conda-channels = pytorch
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
conda = http://127.0.0.1:9
[use]
conda = local
[network]
connect-timeout = 2
timeout = 5
[prefetch]
threshold = 1M
EOS
    printf '%s\n' "$@" >>"$file"
}

setup_file() {
    local fixtures root
    fixtures=$(ts_fixtures_build) || return 1
    root=$BATS_FILE_TMPDIR/root
    cp -a "$fixtures/." "$root"
    make_packages "$root"
    cp "$root/pytorch/linux-64/$PT" "$BATS_FILE_TMPDIR/good.tar.bz2"
    export PT_SHA=$(sha256sum "$root/pytorch/linux-64/$PT" | cut -d' ' -f1)
    # /rate/ caps each connection: 8 connections take about 4 s for 8 MiB
    NGINX_SERVE_RATE=256k ts_mirror_start "$root"
    config "$BATS_FILE_TMPDIR/local.ini" "$MIRROR_URL/anaconda/cloud"
    config "$BATS_FILE_TMPDIR/rate.ini" "$MIRROR_URL/rate/anaconda/cloud"
}

teardown_file() {
    ts_mirror_stop
}

setup() {
    setup_shim_env
    fake_conda "$T/real/conda"
    export CF_T=$T CF_REPODATA=$MIRROR_ROOT/pytorch/linux-64/repodata.json
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/local.ini CONDA_SUBDIR=linux-64
    unset TORCHSHIM_PREFETCH CONDA_PKGS_DIRS CONDA_ROOT CONDA_PREFIX CONDARC
    CHAN=$MIRROR_URL/anaconda/cloud/pytorch
    ts_log_clear
}

teardown() { teardown_shim_env; }

install_pt() {
    run conda install -y pytorch=2.3.1 torchvision cpuonly python=3.11 -c pytorch "$@"
    echo "$output"
    [ -f "$T/cache.conda" ] && cat "$T/cache.conda"
    return 0
}

ours() { ts_log_count "GET [^ ]*$PT_RE .*ua=\"torchshim/"; }

@test "a prefetched install: ranged requests by torchshim, the package in conda's cache, conda sees it cached" {
    TORCHSHIM_VERBOSE=1 install_pt
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx 'pytorch=2.3.1=py3.11_cpu_0'
    argv_of conda | grep -qx "$CHAN"
    grep -qx "cached $PT" "$T/cache.conda"
    # torchvision (2 KB) is below the threshold: left to conda
    grep -qx "would download $TV (no file)" "$T/cache.conda"
    [[ "$output" == *"prefetch: $TV: "*"not above the threshold"* ]]
    [ "$(sha256sum "$T/pkgs/$PT" | cut -d' ' -f1)" = "$PT_SHA" ]
    [ "$(grep -cx "$CHAN/linux-64/$PT" "$T/pkgs/urls.txt")" -eq 1 ]
    [ -f "$T/pkgs/urls" ]
    sleep 0.3
    # the size came from the repodata: no HEAD; the file over several connections
    [ "$(ts_log_count '"HEAD ')" -eq 0 ]
    [ "$(ts_log_count "$PT_RE HTTP/1\.1\" 206 .*ua=\"torchshim/.* range=\"bytes=[0-9]+-[0-9]+\"")" -ge 5 ]
    # our stamp is in torchshim's cache, nothing but the package in conda's
    [ -f "$TORCHSHIM_CACHE_DIR/conda-verified/$PT" ]
    ! ls "$T/pkgs/"*.part* || false
    [ "$(ls -A "$T/pkgs" | sort | tr '\n' ' ')" = "$PT urls urls.txt " ]
}

@test "a second run finds the package in the cache: no request for it, urls.txt unchanged" {
    install_pt
    [ "$status" -eq 0 ]
    grep -qx "cached $PT" "$T/cache.conda"
    rm "$T/cache.conda"
    ts_log_clear
    TORCHSHIM_VERBOSE=1 install_pt
    [ "$status" -eq 0 ]
    grep -qx "cached $PT" "$T/cache.conda"
    [[ "$output" == *"prefetch: $PT ("*") is in the package cache $T/pkgs"* ]]
    sleep 0.3
    [ "$(ts_log_count "$PT_RE")" -eq 0 ]
    [ "$(grep -cx "$CHAN/linux-64/$PT" "$T/pkgs/urls.txt")" -eq 1 ]
}

@test "CONDA_PKGS_DIRS: a cache that cannot be created is skipped, the first writable one gets the file" {
    : >"$T/afile"
    export CONDA_PKGS_DIRS="$T/afile/pkgs,$T/c1,$T/c2"
    install_pt
    [ "$status" -eq 0 ]
    grep -qx "cached $PT" "$T/cache.conda"
    [ -f "$T/c1/$PT" ]
    [ -f "$T/c1/urls.txt" ]
    [ ! -e "$T/c2" ]
    [ ! -e "$T/pkgs" ]
}

@test "an existing cache whose urls.txt is not a writable file is skipped" {
    mkdir -p "$T/ro/urls.txt" "$T/c1"
    : >"$T/c1/urls.txt"
    export CONDA_PKGS_DIRS="$T/ro,$T/c1"
    install_pt
    [ "$status" -eq 0 ]
    grep -qx "cached $PT" "$T/cache.conda"
    [ -f "$T/c1/$PT" ]
    [ ! -e "$T/ro/$PT" ]
}

@test "the package in a later cache, recorded with the same URL: left to conda (it takes it from there)" {
    mkdir -p "$T/c2"
    cp "$BATS_FILE_TMPDIR/good.tar.bz2" "$T/c2/$PT"
    echo "$CHAN/linux-64/$PT" >"$T/c2/urls.txt"
    export CONDA_PKGS_DIRS="$T/c1,$T/c2"
    TORCHSHIM_VERBOSE=1 install_pt
    [ "$status" -eq 0 ]
    [[ "$output" == *"prefetch: $PT is in $T/c2: left to conda"* ]]
    [ ! -e "$T/c1/$PT" ]
    sleep 0.3
    [ "$(ours)" -eq 0 ]
    # recorded from another channel: conda would not take it, so it is prefetched
    echo "https://conda.anaconda.org/pytorch/linux-64/$PT" >"$T/c2/urls.txt"
    install_pt
    [ "$status" -eq 0 ]
    grep -qx "cached $PT" "$T/cache.conda"
    [ -f "$T/c1/$PT" ]
}

@test "mamba and micromamba: MAMBA_ROOT_PREFIX/pkgs" {
    export MAMBA_ROOT_PREFIX=$T/mroot
    cp "$T/real/conda" "$T/real/micromamba"
    run micromamba install -y pytorch=2.3.1 cpuonly python=3.11 -c pytorch
    echo "$output"
    [ "$status" -eq 0 ]
    [ -f "$T/mroot/pkgs/$PT" ]
    grep -qx "$CHAN/linux-64/$PT" "$T/mroot/pkgs/urls.txt"
}

@test "TORCHSHIM_PREFETCH=0: no prefetch, conda downloads" {
    TORCHSHIM_PREFETCH=0 install_pt
    [ "$status" -eq 0 ]
    grep -qx "would download $PT (no file)" "$T/cache.conda"
    sleep 0.3
    [ "$(ours)" -eq 0 ]
    [ ! -e "$T/pkgs/$PT" ]
}

@test "[prefetch] enabled = never: no prefetch" {
    config "$T/never.ini" "$MIRROR_URL/anaconda/cloud" "enabled = never"
    TORCHSHIM_CONFIG=$T/never.ini install_pt
    [ "$status" -eq 0 ]
    grep -qx "would download $PT (no file)" "$T/cache.conda"
    sleep 0.3
    [ "$(ours)" -eq 0 ]
}

@test "enabled = always: torchvision too" {
    config "$T/always.ini" "$MIRROR_URL/anaconda/cloud" "enabled = always"
    TORCHSHIM_CONFIG=$T/always.ini install_pt
    [ "$status" -eq 0 ]
    grep -qx "cached $PT" "$T/cache.conda"
    grep -qx "cached $TV" "$T/cache.conda"
}

@test "--dry-run and TORCHSHIM_DRY_RUN are not prefetched" {
    install_pt --dry-run
    [ "$status" -eq 0 ]
    TORCHSHIM_DRY_RUN=1 run conda install -y pytorch=2.3.1 cpuonly python=3.11 -c pytorch
    sleep 0.3
    [ "$(ours)" -eq 0 ]
    [ ! -e "$T/pkgs/$PT" ]
}

@test "the environment has that very build: nothing is prefetched" {
    mkdir -p "$T/env/conda-meta"
    echo '{"name": "pytorch", "version": "2.3.1", "build": "py3.11_cpu_0"}' \
        >"$T/env/conda-meta/pytorch-2.3.1-py3.11_cpu_0.json"
    TORCHSHIM_VERBOSE=1 install_pt -p "$T/env"
    [ "$status" -eq 0 ]
    [[ "$output" == *"prefetch: pytorch 2.3.1 py3.11_cpu_0 is installed already"* ]]
    sleep 0.3
    [ "$(ours)" -eq 0 ]
}

@test "a corrupted byte on the mirror: a warning, nothing in conda's cache, conda runs with the pins" {
    printf 'X' | dd of="$MIRROR_ROOT/pytorch/linux-64/$PT" bs=1 seek=4000000 conv=notrunc 2>/dev/null
    install_pt
    cp "$BATS_FILE_TMPDIR/good.tar.bz2" "$MIRROR_ROOT/pytorch/linux-64/$PT"
    [ "$status" -eq 0 ]
    [[ "$output" == *"warning: prefetch of $PT failed ("*"mismatch"* ]]
    [[ "$output" == *"conda downloads it from the mirror"* ]]
    argv_of conda | grep -qx 'pytorch=2.3.1=py3.11_cpu_0'
    grep -qx "would download $PT (no file)" "$T/cache.conda"
    [ ! -e "$T/pkgs/$PT" ]
    ! ls "$T/pkgs/$PT".part* || false
    ! grep -q "$PT" "$T/pkgs/urls.txt" || false
}


@test "interrupted while prefetching (Ctrl-C to the process group): exit 130, conda never runs, the next run asks only the missing ranges" {
    export TORCHSHIM_CONFIG=$BATS_FILE_TMPDIR/rate.ini
    local size st pid done_bytes i rc=0
    size=$(stat -c %s "$MIRROR_ROOT/pytorch/linux-64/$PT")
    st=$T/pkgs/$PT.part.state
    setsid conda install -y pytorch=2.3.1 cpuonly python=3.11 -c pytorch >"$T/out1" 2>&1 &
    pid=$!
    for ((i = 0; i < 400; i++)); do
        done_bytes=$(state_done "$st")
        [ "${done_bytes:-0}" -ge $((size / 4)) ] && break
        sleep 0.05
    done
    kill -INT -- -"$pid"
    wait "$pid" || rc=$?
    cat "$T/out1"
    [ "$rc" -eq 130 ]
    [ ! -e "$T/argv.conda" ]
    [[ "$(cat "$T/out1")" != *"running the command unchanged"* ]]
    [ ! -e "$T/pkgs/$PT" ]
    [ -f "$T/pkgs/$PT.part" ]
    done_bytes=$(state_done "$st")
    echo "done at the interruption: $done_bytes of $size"
    [ "$done_bytes" -ge $((size / 4)) ]
    [ "$done_bytes" -lt "$size" ]
    grep -P '^done\t' "$st" | cut -f2,3 >"$T/done-ranges"
    sleep 1  # nginx logs the cut requests when it sees their sockets close
    ts_log_clear
    run conda install -y pytorch=2.3.1 cpuonly python=3.11 -c pytorch
    echo "$output"
    [ "$status" -eq 0 ]
    grep -qx "cached $PT" "$T/cache.conda"
    [ "$(sha256sum "$T/pkgs/$PT" | cut -d' ' -f1)" = "$PT_SHA" ]
    sleep 0.3
    grep -E "GET [^ ]*$PT_RE .*ua=\"torchshim/" "$MIRROR_STATE/access.log" |
        check_resumed "$T/done-ranges" "$size"
}
