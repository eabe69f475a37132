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

@test "driver 470: the newest torch needs CUDA 12.x: the CPU build, with the reason" {
    machine nv470
    ts_install --dry-run torch
    [[ "$output" == *"variant:  cpu"* ]]
    [[ "$output" == *"470.82.01"* ]]
    [[ "$output" == *"install torch==2.3.1+cpu -f $MIRROR_URL/pytorch-wheels/cpu"* ]]
}

@test "driver 535: cu121 for torch 2.3.1" {
    machine nv535
    ts_install --dry-run torch==2.3.1 torchvision torchaudio
    [ "$status" -eq 0 ]
    [[ "$output" == *"install torch==2.3.1+cu121 torchvision==0.18.1+cu121 torchaudio==2.3.1+cu121 -f $MIRROR_URL/pytorch-wheels/cu121"* ]]
}

@test "driver 580 (RTX 5090): cu130 for the newest torch; torch 2.3.1 has no kernels for it: CPU, with the reason" {
    machine nv580
    ts_install --dry-run torch
    [[ "$output" == *"variant:  cu130"* ]]
    ts_install --dry-run torch==2.3.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"compute capability 12.0"* ]]
    [[ "$output" == *"install torch==2.3.1+cpu -f $MIRROR_URL/pytorch-wheels/cpu"* ]]
}

@test "compute capability 6.1: warned, and a variant that still supports it" {
    machine pascal580
    ts_install --dry-run torch
    [[ "$output" == *"variant:  cu126"* ]]
    [[ "$output" == *"6.1"* ]]
}

@test "ROCm present: the rocm variant is offered on Linux" {
    machine rocm612
    ts_install --dry-run torch==2.4.1
    [[ "$output" == *"ROCm:     6.1.2"* ]]
    [[ "$output" == *"variant:  rocm6.1"* ]]
    # the newest torch needs ROCm 6.4: not this machine's 6.1
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

@test "a release with no build for this machine: said, nothing runs" {
    machine nv470
    ts_install torch==2.3.1
    [ "$status" -eq 1 ]
    [[ "$output" == *"no cu118 wheel"* ]]
    [ ! -e "$T/argv.pip" ]
}

@test "options after -- go to the tool" {
    machine nogpu
    ts_install --dry-run torch==2.3.1 -- --no-cache-dir
    [[ "$output" == *"$T/real/pip install torch==2.3.1+cpu "*" --no-cache-dir"* ]]
}
