#!/usr/bin/env bats
# torchshim doctor and torchshim mirrors [--probe [--save]] against the
# loopback mirror: a good site, a site whose every URL answers 500 (nginx's
# /status/500/ prefix) and a dead one (the blackhole: connects, never
# answers). doctor runs on the fake machines of tests/fixtures/sysroots.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper

setup_file() {
    ts_mirror_start
    ts_blackhole_start
}

teardown_file() {
    ts_mirror_stop
    ts_blackhole_stop
}

setup() {
    setup_shim_env
    cat > "$T/real/pip" <<EOS
#!/usr/bin/python3
import sys
open("$T/argv.pip", "wb").write(b"".join(a.encode() + b"\0" for a in sys.argv))
EOS
    chmod +x "$T/real/pip"
    unset TORCHSHIM_BACKEND CONDA_PREFIX VIRTUAL_ENV XDG_CONFIG_HOME TORCHSHIM_SYSROOT
}

teardown() { teardown_shim_env; }

# sites: shipped defaults with only the three test sites, so that nothing
# here can reach a real mirror; the user file is where --save writes.
sites() {
    mkdir -p "$T/data"
    cat > "$T/data/torchshim.ini" <<EOS
[mirror "bad"]
wheels = $MIRROR_URL/status/500/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $MIRROR_URL/status/500/pypi/simple
conda = $MIRROR_URL/status/500/anaconda/cloud
conda-channels = pytorch
[mirror "good"]
wheels = $MIRROR_URL/pytorch-wheels/{variant}
wheels-format = find-links
pypi = $MIRROR_URL/pypi/simple
conda = $MIRROR_URL/anaconda/cloud
conda-channels = pytorch
[mirror "dead"]
wheels = $BLACKHOLE_URL/pytorch-wheels/{variant}
pypi = $BLACKHOLE_URL/pypi/simple
conda = $BLACKHOLE_URL/anaconda/cloud
[use]
wheels = bad dead
pypi = dead
conda = bad
EOS
    export TORCHSHIM_DATADIR=$T/data
    unset TORCHSHIM_CONFIG
    export XDG_CONFIG_HOME=$T/xdg
    USER_FILE=$T/xdg/torchshim/config.ini
}

# rows ROLE TEXT: the table rows of one role of `mirrors --probe` (no header)
rows() {
    printf '%s\n' "$2" | awk -v r="$1" '
        $1 == r { on = 1; getline; next }   # the role line, then the header
        on && NF == 0 { exit }
        on { print }'
}

# machine CASE: that fake machine (its bin/ first on PATH), the loopback
# mirror for every role, the shipped tables. The nvidia role stays with
# "official" (as shipped), moved to a closed loopback port.
machine() {
    local root=$TS_TOP/tests/fixtures/sysroots/$1
    export TORCHSHIM_SYSROOT=$root
    export PATH="$root/bin:$root/opt/rocm/bin:$T/real:/usr/bin:/bin"
    ts_local_config "$T/config.ini"
    printf '[mirror "official"]\nnvidia = http://127.0.0.1:9/nvidia\n' >> "$T/config.ini"
    export TORCHSHIM_CONFIG=$T/config.ini
}

@test "mirrors: the sites, their URLs and the [use] choice" {
    sites
    run "$SHIM" mirrors
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"wheels  bad dead"* ]]
    [[ "$output" == *"pypi    dead"* ]]
    [[ "$output" == *"nvidia  (none)"* ]]
    [[ "$output" == *"* wheels  $MIRROR_URL/status/500/pytorch-wheels/{variant}  (find-links page)"* ]]
    [[ "$output" == *"  pypi    $MIRROR_URL/pypi/simple"* ]]
    [[ "$output" != *"* pypi    $MIRROR_URL/pypi/simple"* ]]   # good is not in use
    [[ "$output" == *"no user file ($USER_FILE would be read)"* ]]
    # one site only
    run "$SHIM" mirrors good
    [ "$status" -eq 0 ]
    [[ "$output" == *"  good"* ]]
    [[ "$output" != *"/status/500/"* ]]
}

@test "mirrors --probe: the good site first, failures marked, within the bound" {
    sites
    local t0=$(date +%s%N)
    run "$SHIM" mirrors --probe --timeout 2
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "$output"
    echo "took $ms ms"
    [ "$status" -eq 0 ]
    [ "$ms" -lt 4500 ]
    [[ "$output" == *"probing 9 URLs of 3 sites at once (at most 2.00 s)"* ]]
    local table=$output rows
    for role in wheels pypi conda; do
        rows=$(rows $role "$table")
        echo "$role: $rows"
        [ "$(printf '%s\n' "$rows" | wc -l)" -eq 3 ]
        # rank 1: good, answered
        [[ "$(sed -n 1p <<<"$rows")" =~ ^\ +1\ +\ good\ +[0-9]+\ ms\ +[0-9.]+\ [KMG]?B/s\ +ok$ ]]
        # then the 500, then the dead one; no rank for either
        [[ "$(sed -n 2p <<<"$rows")" =~ ^\ +-\ [\ *]\ bad\ .*HTTP\ 500\ \($MIRROR_URL/status/500/ ]]
        [[ "$(sed -n 3p <<<"$rows")" =~ ^\ +-\ [\ *]\ dead\ .*no\ answer\ within\ 2.00\ s\ \($BLACKHOLE_URL/ ]]
    done
    [[ "$table" == *"3 of 9 answered in "* ]]
    # what was asked of the good site
    ts_log_requests '"GET /pytorch-wheels/cpu/ HTTP/1.1" 200 '
    ts_log_requests '"GET /pypi/simple/typing-extensions/ HTTP/1.1" 200 '
    ts_log_requests '"GET /anaconda/cloud/pytorch/noarch/repodata.json HTTP/1.1" 200 '
    ts_log_requests '"GET /status/500/pypi/simple/typing-extensions/ HTTP/1.1" 500 '
}

@test "mirrors --probe: a mirror whose page links the wheel files to download.pytorch.org is reported" {
    sites
    printf '[mirror "copycat"]\nwheels = %s/future/copycat/{variant}\nwheels-format = simple\n' \
        "$MIRROR_URL" >> "$T/data/torchshim.ini"
    ts_fixtures_build >/dev/null
    run "$SHIM" mirrors --probe --timeout 2 copycat good
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"copycat"*"ok, but its page links the files to download.pytorch.org: pip would download upstream"* ]]
    local good
    good=$(rows wheels "$output" | grep ' good ')
    [[ "$good" =~ ok$ ]]
}

@test "mirrors --probe SITE: only that site" {
    sites
    run "$SHIM" mirrors --probe --timeout 2 good
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"3 of 3 answered"* ]]
    [[ "$output" != *"bad"* ]]
    [[ "$output" != *"dead"* ]]
}

@test "mirrors --probe: nothing answers: status 1, said so" {
    sites
    run "$SHIM" mirrors --probe --timeout 1 bad dead
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"0 of 6 answered"* ]]
    run "$SHIM" mirrors --probe --save --timeout 1 bad dead
    [ "$status" -eq 1 ]
    [[ "$output" == *"no site answered: nothing saved"* ]]
    [ ! -e "$USER_FILE" ]
}

@test "mirrors --probe --save: a new user file with the good site per role" {
    sites
    run "$SHIM" mirrors --probe --save --timeout 2
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"saved to $USER_FILE"* ]]
    cat "$USER_FILE"
    [ "$(cat "$USER_FILE")" = "$(printf '[use]\nwheels = good\npypi = good\nconda = good')" ]
    # and torchshim reads it back
    run "$SHIM" mirrors
    [[ "$output" == *"$USER_FILE (yours)"* ]]
    [[ "$output" == *"wheels  good"* ]]
    [[ "$output" == *"* wheels  $MIRROR_URL/pytorch-wheels/{variant}"* ]]
}

@test "mirrors --probe --save keeps the comments and other sections of the user file" {
    sites
    mkdir -p "$(dirname "$USER_FILE")"
    cat > "$USER_FILE" <<'EOS'
; my torchshim settings
[network]
timeout = 7      ; seconds

[use]
wheels = bad   ; the office mirror
nvidia = official

; an extra site of mine
[mirror "extra"]
pypi = http://127.0.0.1:9/simple
EOS
    cat > "$T/data/torchshim.ini.extra" <<EOS
[mirror "official"]
nvidia = http://127.0.0.1:9/nvidia
EOS
    cat "$T/data/torchshim.ini.extra" >> "$T/data/torchshim.ini"
    run "$SHIM" mirrors --probe --save --timeout 2 good bad dead
    echo "$output"
    [ "$status" -eq 0 ]
    cat "$USER_FILE"
    diff -u - "$USER_FILE" <<'EOS'
; my torchshim settings
[network]
timeout = 7      ; seconds

[use]
wheels = good   ; the office mirror
nvidia = official
pypi = good
conda = good

; an extra site of mine
[mirror "extra"]
pypi = http://127.0.0.1:9/simple
EOS
    # no temporary file left beside it
    [ "$(ls -A "$(dirname "$USER_FILE")")" = config.ini ]
}

@test "mirrors: usage errors" {
    sites
    run "$SHIM" mirrors nosuch
    [ "$status" -eq 2 ]
    [[ "$output" == *"no mirror site 'nosuch'"* ]]
    run "$SHIM" mirrors --probe --timeout 0
    [ "$status" -eq 2 ]
    run "$SHIM" mirrors --bogus
    [ "$status" -eq 2 ]
    [[ "$output" == *"usage: torchshim mirrors"* ]]
}

@test "doctor, driver 535: GPUs, driver, max CUDA, the mirrors and the install line" {
    machine nv535
    run "$SHIM" doctor
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"GPU 0:      NVIDIA A100-SXM4-80GB, compute capability 8.0"* ]]
    [[ "$output" == *"GPU 1:      NVIDIA GeForce RTX 3090, compute capability 8.6"* ]]
    [[ "$output" == *"driver:     535.104.05"* ]]
    [[ "$output" == *"max CUDA:   12.2 (nvidia-smi)"* ]]
    [[ "$output" == *"backend:    cuda"* ]]
    [[ "$output" == *"pip:        $T/real/pip"* ]]
    [[ "$output" == *"wheels:     local      ok, "* ]]
    [[ "$output" == *"conda:      local      ok, "* ]]
    [[ "$output" == *"nvidia:     official   "*"(http://127.0.0.1:9/nvidia/noarch/repodata.json)"* ]]
    # the loopback mirror has up to cu121: install plans with what it has
    [[ "$output" == *"would run:"$'\n'"  $T/real/pip install torch==2.3.1+cu121 torchvision==0.18.1+cu121 torchaudio==2.3.1+cu121 -f $MIRROR_URL/pytorch-wheels/cu121"* ]]
    [ ! -e "$T/argv.pip" ]
}

@test "doctor, driver 470: the driver and the CUDA it tops out at; a cu121 torch does not fit" {
    machine nv470
    export VIRTUAL_ENV=$TS_TOP/tests/fixtures/pyenvs/venv311
    run "$SHIM" doctor
    echo "$output"
    [[ "$output" == *"driver:     470.82.01"* ]]
    [[ "$output" == *"max CUDA:   11.4 (nvidia-smi)"* ]]
    [[ "$output" == *"venv:       $VIRTUAL_ENV/bin/python3 (Python 3.11.2, $VIRTUAL_ENV)"* ]]
    [[ "$output" == *"torch 2.3.1+cu121: driver 470.82.01 is too old for cu121"* ]]
}

@test "doctor, driver 535: the cu121 torch of a venv fits; a conda env's build string is read" {
    machine nv535
    export VIRTUAL_ENV=$TS_TOP/tests/fixtures/pyenvs/venv311
    export CONDA_PREFIX=$TS_TOP/tests/fixtures/pyenvs/conda312
    run "$SHIM" doctor
    echo "$output"
    [[ "$output" == *"torch 2.3.1+cu121: cu121 runs on driver 535.104.05"* ]]
    [[ "$output" == *"conda env:  $CONDA_PREFIX (Python 3.12.1, $CONDA_PREFIX)"* ]]
    [[ "$output" == *"torch 2.3.1: cu121 runs on driver 535.104.05 (by its conda build string)"* ]]
}

@test "doctor, no GPU: said plainly; a missing conda is explained" {
    machine nogpu
    run "$SHIM" doctor
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"GPU:        none found"* ]]
    [[ "$output" == *"driver:     no NVIDIA driver"* ]]
    [[ "$output" == *"backend:    cpu"* ]]
    [[ "$output" == *"conda:      no real 'conda' found on PATH"* ]]
    [[ "$output" == *"venv:       none (\$VIRTUAL_ENV is not set)"* ]]
    [[ "$output" == *"$T/real/pip install torch=="*"+cpu"* ]]
}

@test "doctor: the shim on PATH; no real pip: said for the tool and for the install line" {
    machine nogpu
    export PATH="$T/shims:$PATH" TORCHSHIM_REAL_PIP=$T/nonexistent
    run "$SHIM" doctor
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"pip:        TORCHSHIM_REAL_PIP=$T/nonexistent: No such file or directory"* ]]
    [[ "$output" == *"(torchshim install is not available: TORCHSHIM_REAL_PIP=$T/nonexistent: No such file or directory)"* ]]
    [[ "$output" == *"shim:       pip on PATH is torchshim ($T/shims/pip)"* ]]
}

@test "doctor --json: one valid JSON object with the GPU facts" {
    machine nv535
    run --separate-stderr "$SHIM" doctor --json
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" > "$T/doctor.json"
    python3 -m json.tool "$T/doctor.json" > /dev/null
    python3 - "$T/doctor.json" "$MIRROR_URL" "$T" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
g = d["gpu"]
assert g["driver"] == "535.104.05", g
assert g["max_cuda"] == "12.2" and g["max_cuda_source"].endswith("nvidia-smi"), g
assert g["backend"] == "cuda", g
assert [x["name"] for x in g["gpus"]] == ["NVIDIA A100-SXM4-80GB", "NVIDIA GeForce RTX 3090"], g
assert [x["compute_capability"] for x in g["gpus"]] == ["8.0", "8.6"], g
assert g["min_compute_capability"] == "8.0", g
assert d["machine"]["arch"], d["machine"]
assert d["tools"]["pip"]["path"] == sys.argv[3] + "/real/pip", d["tools"]
probes = {(p["role"], p["site"]): p for p in d["mirrors"]["probes"]}
assert probes[("wheels", "local")]["ok"] is True, probes
assert probes[("wheels", "local")]["http_status"] == 200, probes
assert probes[("wheels", "local")]["latency_ms"] >= 0, probes
assert probes[("nvidia", "official")]["ok"] is False, probes
# the newest torch the loopback mirror has for this driver: cu121
assert "torch==2.3.1+cu121" in d["install"]["command"] and d["install"]["error"] is None, d["install"]
assert d["install"]["front_end"], d["install"]
EOF
}

@test "doctor --json on a machine without a GPU: nulls and empty lists, still valid" {
    machine nogpu
    run --separate-stderr "$SHIM" doctor --json --timeout 1
    [ "$status" -eq 0 ]
    printf '%s\n' "$output" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["gpu"]["driver"] is None and d["gpu"]["gpus"] == [] and d["gpu"]["backend"] == "cpu", d["gpu"]
assert d["mirrors"]["timeout_ms"] == 1000
assert d["install"]["command"].endswith("/pypi/simple") and "+cpu" in d["install"]["command"], d["install"]
'
}
