#!/usr/bin/env bats
# conda, mamba and micromamba through the shim against a conda mirror on
# loopback (the pytorch channel's real linux-64 repodata, seed 002's win-64
# listing). conda itself is not in Debian: the "real" conda records its argv.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper

setup_file() {
    ts_mirror_start --copy
}

teardown_file() {
    ts_mirror_stop
}

setup() {
    setup_shim_env
    record_tool "$T/real" conda
    record_tool "$T/real" mamba
    record_tool "$T/real" micromamba
    write_config local
    export TORCHSHIM_CONFIG=$T/config.ini
    ts_log_clear
}

teardown() { teardown_shim_env; }

# write_config SITE...: [use] conda = SITE...; "bad" answers 500, "dead" never.
write_config() {
    cat > "$T/config.ini" <<EOS
[mirror "local"]
conda = $MIRROR_URL/anaconda/cloud
conda-channels = pytorch
[mirror "bad"]
conda = $MIRROR_URL/status/500/anaconda/cloud
conda-channels = pytorch
[mirror "gone"]
conda = $MIRROR_URL/status/404/anaconda/cloud
conda-channels = pytorch
[mirror "dead"]
conda = ${BLACKHOLE_URL:-http://127.0.0.1:9}/anaconda/cloud
conda-channels = pytorch
[mirror "official"]
conda = http://127.0.0.1:9
[use]
conda = $*
[network]
connect-timeout = 1
timeout = 3
cache-ttl = ${CACHE_TTL:-600}
EOS
}

LOCAL() { echo "$MIRROR_URL/anaconda/cloud/pytorch"; }

@test "issue 3: torchshim resolve prints seed 002's exact command" {
    run "$SHIM" resolve --tool conda --platform win-64 --python 3.12 --backend cu121 pytorch=2.3.1 torchvision torchaudio
    [ "$status" -eq 0 ]
    [ "$output" = "conda install pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0 torchvision=0.18.1=py312_cu121 torchaudio=2.3.1=py312_cu121 pytorch-cuda=12.1 -c $(LOCAL) -c nvidia" ]
}

@test "seed 002's official command, Python 3.12 on win-64, gets the build strings found by hand" {
    CONDA_SUBDIR=win-64 run conda install pytorch=2.3.1 torchvision torchaudio pytorch-cuda=12.1 python=3.12 -c pytorch -c nvidia
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0 torchvision=0.18.1=py312_cu121 \
        torchaudio=2.3.1=py312_cu121 pytorch-cuda=12.1 python=3.12 -c "$(LOCAL)" -c nvidia > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "the user's own mirror URL with a subdir (seed 002) is fetched as given and left in place" {
    run "$SHIM" conda install pytorch=2.3.1 torchvision torchaudio pytorch-cuda=11.8 python=3.12 -c "$(LOCAL)/win-64" -c nvidia
    [ "$status" -eq 0 ]
    [ "$(argv_of conda | sed -n 2,6p | tr '\n' ' ')" = "install pytorch=2.3.1=py3.12_cuda11.8_cudnn8_0 torchvision=0.18.1=py312_cu118 torchaudio=2.3.1=py312_cu118 pytorch-cuda=11.8 " ]
    argv_of conda | grep -qx "$(LOCAL)/win-64"
    ts_log_requests 'GET /anaconda/cloud/pytorch/win-64/repodata'
}

@test "the target environment's Python comes from its conda-meta (-p)" {
    mkdir -p "$T/env/conda-meta"
    echo '{"name": "python", "version": "3.10.14", "build": "h955ad1f_1"}' > "$T/env/conda-meta/python-3.10.14-h955ad1f_1.json"
    CONDA_SUBDIR=linux-64 run conda install -p "$T/env" pytorch torchvision torchaudio pytorch-cuda=11.8 -c pytorch -c nvidia
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx 'pytorch=2.5.1=py3.10_cuda11.8_cudnn9.1.0_0'
    argv_of conda | grep -qx 'torchvision=0.20.1=py310_cu118'
    argv_of conda | grep -qx 'torchaudio=2.5.1=py310_cu118'
}

@test "seed 004: cpuonly gets the CPU builds" {
    CONDA_SUBDIR=linux-64 run conda install pytorch torchvision torchaudio cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
    argv_of conda | grep -qx 'torchvision=0.20.1=py311_cpu'
    argv_of conda | grep -qx 'cpuonly'
}

@test "seed 001: cudatoolkit=10.2 with pytorch 1.10.1 on Python 3.7 (the old style)" {
    CONDA_SUBDIR=linux-64 run conda install pytorch==1.10.1 torchvision==0.11.2 torchaudio==0.10.1 cudatoolkit=10.2 python=3.7 -c pytorch
    echo "$output"
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx 'pytorch=1.10.1=py3.7_cuda10.2_cudnn7.6.5_0'
    argv_of conda | grep -qx 'cudatoolkit=10.2'
}

@test "torch >= 2.6 from the pytorch channel: said plainly, nothing runs" {
    CONDA_SUBDIR=linux-64 run conda install 'pytorch>=2.6' python=3.12 -c pytorch
    [ "$status" -eq 1 ]
    [[ "$output" == *"stopped at 2.5.1"* ]]
    [[ "$output" == *"torchshim install"* ]]
    [ ! -e "$T/argv.conda" ]
}

@test "no build for that Python: what exists is listed, nothing runs" {
    CONDA_SUBDIR=win-64 run conda install pytorch=2.3.1 pytorch-cuda=12.1 python=3.13 -c pytorch
    [ "$status" -eq 1 ]
    [[ "$output" == *"3.8-3.12"* ]]
    [ ! -e "$T/argv.conda" ]
}

@test "mamba and micromamba get the same exact specs" {
    for tool in mamba micromamba; do
        CONDA_SUBDIR=win-64 run $tool install -y pytorch=2.3.1 torchvision pytorch-cuda=12.1 python=3.12 -c pytorch -c nvidia
        [ "$status" -eq 0 ]
        argv_of $tool | grep -qx 'pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0'
        argv_of $tool | grep -qx 'torchvision=0.18.1=py312_cu121'
    done
}

@test "repodata comes as .zst first; within the TTL the next run asks nothing" {
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    ts_log_requests 'GET /anaconda/cloud/pytorch/linux-64/repodata.json.zst HTTP/1.1" 200'
    ts_log_clear
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    [ "$(ts_log_count 'repodata')" -eq 0 ]
}

@test "after the TTL the cache revalidates: nginx answers 304 to the ETag" {
    CACHE_TTL=0 write_config local
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    ts_log_clear
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    ts_log_requests 'GET /anaconda/cloud/pytorch/linux-64/repodata.json.zst HTTP/1.1" 304 .*inm="'
}

@test "a corrupt cache entry is discarded and refetched" {
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    for f in "$TORCHSHIM_CACHE_DIR"/http/*; do printf 'garbage' >> "$f"; done
    ts_log_clear
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
    ts_log_requests 'GET /anaconda/cloud/pytorch/linux-64/repodata.json.zst HTTP/1.1" 200'
}

@test "a mirror answering 500 or 404: the next configured mirror answers, and the command uses it" {
    for first in bad gone; do
        write_config $first local
        rm -rf "$TORCHSHIM_CACHE_DIR"
        CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
        [ "$status" -eq 0 ]
        argv_of conda | grep -qx "$(LOCAL)"
        argv_of conda | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
    done
}

@test "a mirror that never answers loses the race at once" {
    ts_blackhole_start
    write_config dead local
    SECONDS=0
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    local took=$SECONDS
    ts_blackhole_stop
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx "$(LOCAL)"
    [ "$took" -le 2 ]
}

@test "no mirror and no official channel answers: announced, the command runs unchanged" {
    write_config bad
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly -c pytorch
    [ "$status" -eq 0 ]
    [[ "$output" == *"trying the official pytorch channel"* ]]
    [[ "$output" == *"running the command unchanged"* ]]
    printf '%s\0' "$T/real/conda" install pytorch cpuonly -c pytorch > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "torchshim cache info lists what a resolution fetched; cache clean empties it" {
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    run "$SHIM" cache info
    [ "$status" -eq 0 ]
    [[ "$output" == *"cache: $TORCHSHIM_CACHE_DIR"* ]]
    [[ "$output" == *"/anaconda/cloud/pytorch/linux-64/repodata.json"* ]]
    [[ "$output" == *"index"* ]]
    [ "$(stat -c %a "$TORCHSHIM_CACHE_DIR")" = 700 ]
    run "$SHIM" cache clean
    [ "$status" -eq 0 ]
    [[ "$output" == "removed "* ]]
    run "$SHIM" cache info
    [[ "$output" == *"0 index files, 0 compact indexes"* ]]
}
