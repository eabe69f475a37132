#!/usr/bin/env bats
# conda-forge's PyTorch through the shim (issue 13): the channel wherever it
# is named reaches the mirror, and `torchshim install` with conda plans
# conda-forge's route for releases the pytorch channel lacks, from the
# mirror's conda-forge index: the full repodata.json.zst, or CEP 16 shards
# where the mirror serves them.
#
# The channel is tests/fixtures/make-conda-forge.py's, built with
# TS_FORGE_RECORDS (default 20000) linux-64 records into this file's temp
# dir: the pytorch family as conda-forge publishes it among thousands of
# unrelated packages. Two mirrors of it on one loopback nginx:
#   $MIRROR_URL/full/anaconda/cloud     repodata.json(.zst) only
#   $MIRROR_URL/sharded/anaconda/cloud  that and repodata_shards.msgpack.zst + shards/
# both with the pytorch channel of tests/fixtures next to it.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper

setup_file() {
    local fixtures tmp py=python3
    fixtures=$(ts_fixtures_build)
    tmp=$(_ts_tmp)
    [ -x /usr/bin/python3 ] && py=/usr/bin/python3
    "$py" "$TS_TOP/tests/fixtures/make-conda-forge.py" "$tmp/forge" \
        --records "${TS_FORGE_RECORDS:-20000}" >/dev/null
    local root=$tmp/root
    rm -rf "$root"
    for m in full sharded; do
        mkdir -p "$root/$m/anaconda/cloud"
        ln -s "$fixtures/pytorch" "$root/$m/anaconda/cloud/pytorch"
    done
    ln -s "$tmp/forge/conda-forge" "$root/sharded/anaconda/cloud/conda-forge"
    for sd in linux-64 noarch; do
        mkdir -p "$root/full/anaconda/cloud/conda-forge/$sd"
        for f in repodata.json repodata.json.zst; do
            ln -s "$tmp/forge/conda-forge/$sd/$f" "$root/full/anaconda/cloud/conda-forge/$sd/$f"
        done
    done
    ts_mirror_start "$root"
}

teardown_file() {
    ts_mirror_stop
}

setup() {
    setup_shim_env
    record_tool "$T/real" conda
    record_tool "$T/real" micromamba
    write_config full
    export CONDA_SUBDIR=linux-64
    unset CONDARC MAMBARC CONDA_PREFIX CONDA_ROOT MAMBA_ROOT_PREFIX CONDA_CHANNELS TORCHSHIM_BACKEND
    ts_log_clear
}

teardown() { teardown_shim_env; }

# write_config full|sharded: the conda mirror that carries pytorch and conda-forge
write_config() {
    cat > "$T/config.ini" <<EOS
[mirror "local"]
conda = $MIRROR_URL/$1/anaconda/cloud
conda-channels = pytorch conda-forge
[mirror "official"]
conda = http://127.0.0.1:9
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
[use]
conda = local
EOS
    export TORCHSHIM_CONFIG=$T/config.ini
    FORGE=$MIRROR_URL/$1/anaconda/cloud/conda-forge
}

machine() {
    local root=$TS_TOP/tests/fixtures/sysroots/$1
    export TORCHSHIM_SYSROOT=$root
    export PATH="$root/bin:$T/real:/usr/bin:/bin"
}

@test "conda install pytorch-gpu -c conda-forge: the channel goes to the mirror" {
    run conda install pytorch-gpu -c conda-forge
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install pytorch-gpu -c "$FORGE" > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "conda-forge::pytorch-gpu and a cuda build glob reach the mirror too" {
    run conda install conda-forge::pytorch-gpu
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx "$FORGE::pytorch-gpu"
    run conda install 'pytorch=*=*cuda*' libtorch -c https://conda.anaconda.org/conda-forge/
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install 'pytorch=*=*cuda*' libtorch -c "$FORGE" > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "Miniforge: conda-forge only in the installation's .condarc (no -c) reaches the mirror" {
    # the real conda lives in $T/real: its installation root is $T
    printf 'channels:\n  - conda-forge\n' > "$T/.condarc"
    run conda install pytorch-gpu
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install pytorch-gpu -c "$FORGE" --override-channels > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
    # ~/.config/conda/condarc says the same
    rm "$T/.condarc"
    mkdir -p "$HOME/.config/conda"
    printf 'channels: [conda-forge]\n' > "$HOME/.config/conda/condarc"
    run conda install pytorch torchvision
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx "$FORGE"
}

@test "micromamba reads ~/.mambarc: conda-forge there reaches the mirror" {
    printf 'channels:\n  - conda-forge\n' > "$HOME/.mambarc"
    run micromamba install -y pytorch-cpu
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/micromamba" install -y pytorch-cpu -c "$FORGE" --override-channels > "$T/expected"
    cmp "$T/expected" "$T/argv.micromamba"
}

@test "torchshim install --tool conda, driver 535: conda-forge's CUDA route bounded to CUDA 12.2" {
    machine nv535
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"variant:  cuda <= 12.2 (driver 535.104.05 runs CUDA up to 12.2"* ]]
    local cmd
    cmd=$(grep 'command:' <<<"$output")
    [[ "$cmd" == *"install pytorch=2.5.1=cuda120_mkl_py312_"* ]]
    [[ "$cmd" == *" pytorch-gpu=2.5.1=cuda120_mkl_"* ]]
    [[ "$cmd" == *" cuda-version=12.2 -c $FORGE"* ]]
    [[ "$cmd" != *cuda126* ]]
    ts_log_requests 'GET /full/anaconda/cloud/conda-forge/linux-64/repodata.json.zst HTTP/1.1" 200'
    [ ! -e "$T/argv.conda" ]
}

@test "torchshim install --tool conda with companions, no GPU: pytorch-cpu, the companions paired" {
    machine nogpu
    run "$SHIM" install --dry-run --tool conda --python 3.11 torch==2.7.1 torchvision torchaudio
    echo "$output"
    [ "$status" -eq 0 ]
    local cmd
    cmd=$(grep 'command:' <<<"$output")
    [[ "$cmd" == *"install pytorch=2.7.1=cpu_mkl_py311_"* ]]
    [[ "$cmd" == *" torchvision=0.22.1=cpu_py311_"* ]]
    [[ "$cmd" == *" torchaudio=2.7.1=cpu_py311_"* ]]
    [[ "$cmd" == *" pytorch-cpu=2.7.1=cpu_mkl_"* ]]
    [[ "$cmd" != *cuda-version* ]]
}

@test "a release neither channel has: refused, with what exists" {
    machine nv535
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch==2.13
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"no PyTorch release matches"* || "$output" == *"on conda-forge"* ]]
}

@test "a release the pytorch channel has still comes from it" {
    machine nv535
    run "$SHIM" install --dry-run --tool conda --python 3.11 torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"pytorch=2.3.1=py3.11_cuda12.1_cudnn8.9.2_0"* ]]
    [[ "$output" == *"-c $MIRROR_URL/full/anaconda/cloud/pytorch"* ]]
}

@test "warm: the filtered conda-forge index is cached in kilobytes, nothing is asked within the TTL" {
    machine nv535
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch
    [ "$status" -eq 0 ]
    local first
    first=$(grep 'command:' <<<"$output")
    local bytes
    bytes=$(du -sb "$TORCHSHIM_CACHE_DIR" | cut -f1)
    echo "cache: $bytes bytes"
    [ "$bytes" -lt $((512 * 1024)) ]
    ts_log_clear
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch
    [ "$status" -eq 0 ]
    [ "$(grep 'command:' <<<"$output")" = "$first" ]
    [ "$(ts_log_count 'conda-forge')" -eq 0 ]
}

@test "CEP 16: a mirror serving shards is asked for the needed names' shards only, never the full index" {
    write_config sharded
    machine nv535
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch torchvision
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"pytorch=2.5.1=cuda120_mkl_py312_"* ]]
    [[ "$output" == *"cuda-version=12.2"* ]]
    ts_log_requests 'GET /sharded/anaconda/cloud/conda-forge/linux-64/repodata_shards.msgpack.zst HTTP/1.1" 200'
    ts_log_requests 'GET /sharded/anaconda/cloud/conda-forge/noarch/repodata_shards.msgpack.zst HTTP/1.1" 200'
    [ "$(ts_log_count 'conda-forge/.*/repodata.json')" -eq 0 ]
    # a handful of shards, not thousands
    local n
    n=$(ts_log_count 'conda-forge/.*/shards/')
    [ "$n" -ge 3 ] && [ "$n" -le 12 ]
    ts_log_clear
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch torchvision
    [ "$status" -eq 0 ]
    [ "$(ts_log_count 'conda-forge')" -eq 0 ]
}

@test "a mirror without shards is remembered: the next cold run asks for the full index directly" {
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch
    [ "$status" -eq 0 ]
    ts_log_requests 'repodata_shards.msgpack.zst HTTP/1.1" 404'
    # a new cache of indexes (the memo kept): no shard index asked again
    find "$TORCHSHIM_CACHE_DIR/http" -type f -delete
    ts_log_clear
    run "$SHIM" install --dry-run --tool conda --python 3.12 torch
    [ "$status" -eq 0 ]
    [ "$(ts_log_count 'repodata_shards')" -eq 0 ]
    ts_log_requests 'conda-forge/linux-64/repodata.json.zst HTTP/1.1" 200'
}
