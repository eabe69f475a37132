#!/usr/bin/env bats
# torchshim install on fake machines (tests/fixtures/sysroots: sysfs/procfs
# trees and fake nvidia-smi / rocm_agent_enumerator), with pip and conda,
# against the loopback mirror. --dry-run prints the command that would run.

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
    cat > "$T/real/pip" <<EOS
#!/usr/bin/python3
import sys
open("$T/argv.pip", "wb").write(b"".join(a.encode() + b"\0" for a in sys.argv))
EOS
    chmod +x "$T/real/pip"
    record_tool "$T/real" conda
    ts_local_config "$T/config.ini"
    export TORCHSHIM_CONFIG=$T/config.ini
    unset TORCHSHIM_BACKEND CONDA_PREFIX
}

teardown() { teardown_shim_env; }

# machine CASE: use that fake machine (its bin/ first on PATH)
machine() {
    local root=$TS_TOP/tests/fixtures/sysroots/$1
    export TORCHSHIM_SYSROOT=$root
    export PATH="$root/bin:$root/opt/rocm/bin:$T/real:/usr/bin:/bin"
}

ts_install() {
    run "$SHIM" install "$@"
    echo "$output"
}

@test "no GPU: the CPU build, said plainly" {
    machine nogpu
    ts_install --dry-run torch==2.3.1 torchvision
    [ "$status" -eq 0 ]
    [[ "$output" == *"GPU:      none found"* ]]
    [[ "$output" == *"$T/real/pip install torch==2.3.1+cpu torchvision==0.18.1+cpu -f $MIRROR_URL/pytorch-wheels/cpu -i $MIRROR_URL/pypi/simple"* ]]
    [ ! -e "$T/argv.pip" ]
}

@test "driver 470: torch 2.0.0 gets cu118, the newest its driver runs" {
    machine nv470
    ts_install --dry-run torch==2.0.0
    [ "$status" -eq 0 ]
    [[ "$output" == *"driver:   470.82.01"* ]]
    [[ "$output" == *"$T/real/pip install torch==2.0.0+cu118 -f $MIRROR_URL/pytorch-wheels/cu118"* ]]
}

@test "driver 470: the best variant it runs (cu118, not cu121: said why), and the mirror's newest torch for it" {
    machine nv470
    ts_install --dry-run torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"variant:  cu118 (not newer: cu121 needs NVIDIA driver >= 525.60.13 (Linux), this one is 470.82.01)"* ]]
    [[ "$output" == *"install torch==2.0.0+cu118 -f $MIRROR_URL/pytorch-wheels/cu118"* ]]
}

@test "driver 535: cu121 for torch 2.3.1" {
    machine nv535
    ts_install --dry-run torch==2.3.1 torchvision torchaudio
    [ "$status" -eq 0 ]
    [[ "$output" == *"install torch==2.3.1+cu121 torchvision==0.18.1+cu121 torchaudio==2.3.1+cu121 -f $MIRROR_URL/pytorch-wheels/cu121"* ]]
}

# future_config: the mirror of invented releases (tests/fixtures/make-future.py):
# its root listing names cu130/ and rocm6.1/, no table knows torch 7.x
future_config() {
    cat > "$T/future.ini" <<EOS
[mirror "future"]
wheels = $MIRROR_URL/future/mirror-flat/{variant}
wheels-format = find-links
pypi = $MIRROR_URL/future/pypi/simple
[mirror "official"]
wheels = http://127.0.0.1:9/whl/{variant}
pypi = http://127.0.0.1:9/pypi/simple
[use]
wheels = future
pypi = future
EOS
    export TORCHSHIM_CONFIG=$T/future.ini
}

@test "driver 580 (RTX 5090): cu130 and the newest torch the mirror has, a release no table knows" {
    machine nv580
    future_config
    ts_install --dry-run torch torchvision
    [ "$status" -eq 0 ]
    [[ "$output" == *"variant:  cu130"* ]]
    [[ "$output" == *"torch:    7.3.0+cu130"* ]]
    [[ "$output" == *"install torch==7.3.0+cu130 torchvision==1.8.0+cu130 -f $MIRROR_URL/future/mirror-flat/cu130"* ]]
}

@test "driver 580 (RTX 5090) on a mirror without cu130: torch 2.3.1 has no kernels for it: CPU, with the reasons" {
    machine nv580
    ts_install --dry-run torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"compute capability 12.0"* ]]
    [[ "$output" == *"runs cu130 too, but the mirror 'local' has no matching torch for it"* ]]
    [[ "$output" == *"install torch==2.3.1+cpu -f $MIRROR_URL/pytorch-wheels/cpu"* ]]
}

@test "compute capability 6.1: a variant that still supports it, from what the mirror has" {
    machine pascal580
    ts_install --dry-run torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"variant:  cu121"* ]]
    # cu126 is the newest that runs a 6.1 GPU; the mirror stops at cu121
    [[ "$output" == *"runs cu126 too"* ]]
}

@test "ROCm present: the rocm variant the mirror has, not newer than the machine's ROCm" {
    machine rocm612
    future_config
    ts_install --dry-run torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"ROCm:     6.1.2"* ]]
    [[ "$output" == *"variant:  rocm6.1"* ]]
    [[ "$output" == *"install torch==7.2.0+rocm6.1 -f $MIRROR_URL/future/mirror-flat/rocm6.1"* ]]
    # a mirror without ROCm wheels: the CPU build, said
    export TORCHSHIM_CONFIG=$T/config.ini
    ts_install --dry-run torch
    [[ "$output" == *"variant:  cpu"* ]]
}

@test "TORCHSHIM_BACKEND and --backend override detection" {
    machine nv535
    TORCHSHIM_BACKEND=cpu ts_install --dry-run torch==2.3.1
    [[ "$output" == *"install torch==2.3.1+cpu "* ]]
    ts_install --dry-run --backend cu118 torch==2.0.0
    [[ "$output" == *"install torch==2.0.0+cu118 "* ]]
}

@test "conda, driver 535 (CUDA 12.2): the newest pytorch-cuda it runs, exact builds, -c nvidia" {
    machine nv535
    CONDA_SUBDIR=linux-64 ts_install --dry-run --tool conda --python 3.11 torch torchvision
    [ "$status" -eq 0 ]
    [[ "$output" == *"$T/real/conda install pytorch=2.5.1=py3.11_cuda12.1_cudnn9.1.0_0 torchvision=0.20.1=py311_cu121 pytorch-cuda=12.1 -c $MIRROR_URL/anaconda/cloud/pytorch -c nvidia"* ]]
}

@test "conda, no GPU: cpuonly" {
    machine nogpu
    CONDA_SUBDIR=linux-64 ts_install --dry-run --tool conda --python 3.10 torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"$T/real/conda install pytorch=2.3.1=py3.10_cpu_0 cpuonly -c $MIRROR_URL/anaconda/cloud/pytorch"* ]]
}

@test "inside a conda env, a release the pytorch channel has goes to conda" {
    machine nogpu
    mkdir -p "$T/env/conda-meta"
    echo '{"name": "python", "version": "3.11.9"}' > "$T/env/conda-meta/python-3.11.9-h1.json"
    CONDA_PREFIX=$T/env CONDA_SUBDIR=linux-64 ts_install --dry-run torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"tool:     conda"* ]]
    [[ "$output" == *"pytorch=2.3.1=py3.11_cpu_0"* ]]
}

@test "without --dry-run (-y) the command runs through the same path as the shim" {
    machine nv535
    ts_install -y torch==2.3.1
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/pip" install torch==2.3.1+cu121 -f "$MIRROR_URL/pytorch-wheels/cu121" -i "$MIRROR_URL/pypi/simple" > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}

@test "the mirror lacks the release for the variant the driver runs: the next it has, said" {
    machine nv470
    ts_install --dry-run torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"runs cu118 too, but the mirror 'local' has no matching torch for it: cpu instead"* ]]
    [[ "$output" == *"install torch==2.3.1+cpu "* ]]
}

@test "a release the mirror has for no variant: said, nothing runs" {
    machine nv470
    ts_install torch==2.4.1
    [ "$status" -eq 1 ]
    [[ "$output" == *"torch 2.4.1 has no cpu wheel for"*"available: 2.3.1+cpu, 2.0.0+cpu"* ]]
    [ ! -e "$T/argv.pip" ]
}

@test "options after -- go to the tool" {
    machine nogpu
    ts_install --dry-run torch==2.3.1 -- --no-cache-dir
    [[ "$output" == *"$T/real/pip install torch==2.3.1+cpu "*" --no-cache-dir"* ]]
}
