#!/usr/bin/env bats
# conda: where the channels come from and what an environment already has
# (issue 10 #2, #3, #6, #9): "pytorch::" prefixes, the installed variant,
# a URL naming another platform, and channels set in conda's configuration
# files (~/.condarc, $CONDARC, the installation's and the environment's
# .condarc, custom_channels), --override-channels kept as the user had it.
# The real conda is a fake that records its argv; its installation root is
# $T (it lives in $T/real/), so $T/.condarc is "the installation's".

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper

setup_file() {
    ts_mirror_start
}

teardown_file() {
    ts_mirror_stop
}

setup() {
    setup_shim_env
    record_tool "$T/real" conda
    record_tool "$T/real" micromamba
    ts_local_config "$T/config.ini"
    export TORCHSHIM_CONFIG=$T/config.ini
    export CONDA_SUBDIR=linux-64
    unset CONDARC MAMBARC CONDA_PREFIX CONDA_ROOT MAMBA_ROOT_PREFIX CONDA_CHANNELS
    ts_log_clear
}

teardown() { teardown_shim_env; }

LOCAL() { echo "$MIRROR_URL/anaconda/cloud/pytorch"; }

# an environment whose conda-meta has this pytorch build (and python 3.12)
make_env() {
    mkdir -p "$T/env/conda-meta"
    echo '{"name": "python", "version": "3.12.4", "build": "h5148396_1"}' \
        > "$T/env/conda-meta/python-3.12.4-h5148396_1.json"
    printf '{"name": "pytorch", "version": "%s", "build": "%s"}\n' "$1" "$2" \
        > "$T/env/conda-meta/pytorch-$1-$2.json"
    echo '{"name": "pytorch-cuda", "version": "12.1", "build": "ha16c6d3_6"}' \
        > "$T/env/conda-meta/pytorch-cuda-12.1-ha16c6d3_6.json"
}

@test "issue 10 #2: pytorch::pytorch with -c nvidia: the prefix goes to the mirror with the pin, companions from the same channel" {
    run conda install pytorch::pytorch torchvision torchaudio pytorch-cuda=12.1 python=3.11 -c nvidia
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install "$(LOCAL)::pytorch=2.5.1=py3.11_cuda12.1_cudnn9.1.0_0" \
        "$(LOCAL)::torchvision=0.20.1=py311_cu121" "$(LOCAL)::torchaudio=2.5.1=py311_cu121" \
        pytorch-cuda=12.1 python=3.11 -c nvidia > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "issue 10 #2: pytorch::pytorch-cuda too: every pytorch:: spec on the mirror, no official one left" {
    run conda install pytorch::pytorch torchvision pytorch::pytorch-cuda=12.1 python=3.11 -c nvidia
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx "$(LOCAL)::pytorch-cuda=12.1"
    argv_of conda | grep -qx "$(LOCAL)::pytorch=2.5.1=py3.11_cuda12.1_cudnn9.1.0_0"
    ! argv_of conda | grep -q '^pytorch::' || false
}

@test "issue 10 #3: a companion in a CUDA environment pairs with the installed pytorch, no cpuonly" {
    make_env 2.3.1 py3.12_cuda12.1_cudnn8.9.2_0
    CONDA_PREFIX=$T/env run conda install torchvision -c pytorch
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install torchvision=0.18.1=py312_cu121 -c "$(LOCAL)" > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "issue 10 #3: conda update pytorch in a CUDA environment keeps CUDA 12.1, no cpuonly" {
    make_env 2.3.1 py3.12_cuda12.1_cudnn8.9.2_0
    run conda update -p "$T/env" pytorch -c pytorch
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" update -p "$T/env" pytorch=2.5.1=py3.12_cuda12.1_cudnn9.1.0_0 -c "$(LOCAL)" > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "issue 10 #3: a CPU environment stays CPU; cpuonly only when the user asks" {
    make_env 2.3.1 py3.12_cpu_0
    CONDA_PREFIX=$T/env run conda install torchaudio -c pytorch
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx 'torchaudio=2.3.1=py312_cpu'
    ! argv_of conda | grep -qx cpuonly || false
    # no environment at all: the CPU build with a warning, still no cpuonly added
    run conda install pytorch python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    [[ "$output" == *"no variant given"* ]]
    argv_of conda | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
    ! argv_of conda | grep -qx cpuonly || false
}

@test "issue 10 #6: a channel URL naming win-64 on this linux-64 machine is said" {
    unset CONDA_SUBDIR
    [ "$(uname -m)" = x86_64 ] || skip "the host is not linux-64"
    run conda install pytorch=2.3.1 torchvision pytorch-cuda=12.1 python=3.12 -c "$(LOCAL)/win-64" -c nvidia
    [ "$status" -eq 0 ]
    [[ "$output" == *"names win-64 while this machine is linux-64"* ]]
    argv_of conda | grep -qx 'pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0'
}

@test "issue 10 #9: ~/.condarc channels (no -c): the mirror in their place, in order, with --override-channels" {
    printf 'channels:\n  - pytorch\n  - nvidia\n' > "$HOME/.condarc"
    run conda install pytorch torchvision pytorch-cuda=12.1 python=3.11
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install pytorch=2.5.1=py3.11_cuda12.1_cudnn9.1.0_0 \
        torchvision=0.20.1=py311_cu121 pytorch-cuda=12.1 python=3.11 \
        -c "$(LOCAL)" -c nvidia --override-channels > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "issue 10 #9: \$CONDARC, the environment's .condarc and the installation's .condarc are read" {
    printf 'channels: [pytorch]\n' > "$T/rc.yml"
    CONDARC=$T/rc.yml run conda install pytorch cpuonly python=3.11
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx "$(LOCAL)"
    argv_of conda | grep -qx -- --override-channels

    make_env 2.3.1 py3.12_cpu_0
    printf 'channels: [pytorch]\n' > "$T/env/.condarc"
    run conda install -p "$T/env" torchvision
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx 'torchvision=0.18.1=py312_cpu'
    argv_of conda | grep -qx "$(LOCAL)"

    rm "$T/env/.condarc"
    printf 'channels:\n  - pytorch\n' > "$T/.condarc"   # the installation root of $T/real/conda
    run conda install pytorch cpuonly python=3.11
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx "$(LOCAL)"
}

@test "issue 10 #9: custom_channels naming the official host for pytorch get the mirror; the user's own server is kept" {
    printf 'channels: [pytorch]\ncustom_channels:\n  pytorch: https://conda.anaconda.org\n' > "$HOME/.condarc"
    run conda install pytorch cpuonly python=3.11
    [ "$status" -eq 0 ]
    argv_of conda | grep -qx "$(LOCAL)"
    # their own server for pytorch: conda keeps reading it; its index pins the builds
    printf 'custom_channels:\n  pytorch: %s/rate/anaconda/cloud\n' "$MIRROR_URL" > "$HOME/.condarc"
    ts_log_clear
    run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install pytorch=2.5.1=py3.11_cpu_0 cpuonly python=3.11 -c pytorch > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
    ts_log_requests 'GET /rate/anaconda/cloud/pytorch/linux-64/repodata'
}

@test "issue 10 #9: --override-channels: the configuration's channels stay out, exactly as conda would" {
    printf 'channels:\n  - conda-forge\n  - defaults\n' > "$HOME/.condarc"
    run conda install pytorch cpuonly python=3.11 -c pytorch --override-channels
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" install pytorch=2.5.1=py3.11_cpu_0 cpuonly python=3.11 -c "$(LOCAL)" --override-channels > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}

@test "issue 10 #9: a configuration that forbids --override-channels: its channels are left alone" {
    printf 'channels: [pytorch]\noverride_channels_enabled: false\n' > "$HOME/.condarc"
    TORCHSHIM_VERBOSE=1 run conda install pytorch cpuonly python=3.11
    [ "$status" -eq 0 ]
    [[ "$output" == *"does not allow --override-channels"* ]]
    ! argv_of conda | grep -qx -- --override-channels || false
    argv_of conda | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
}

@test "issue 10 #9: micromamba reads ~/.mambarc" {
    printf 'channels:\n  - pytorch\n' > "$HOME/.mambarc"
    run micromamba install -y pytorch cpuonly python=3.11
    [ "$status" -eq 0 ]
    argv_of micromamba | grep -qx "$(LOCAL)"
    argv_of micromamba | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
}
