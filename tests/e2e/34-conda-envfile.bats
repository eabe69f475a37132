#!/usr/bin/env bats
# environment.yml through the shim (issue 10 #8): conda env create / update,
# mamba env create, micromamba create -f. The real tools record their argv;
# the rewritten copy of the file they are given is read back with PyYAML.

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
    for t in conda mamba micromamba; do record_tool "$T/real" $t; done
    ts_local_config "$T/config.ini"
    export TORCHSHIM_CONFIG=$T/config.ini
    export CONDA_SUBDIR=linux-64
    unset CONDARC MAMBARC CONDA_PREFIX CONDA_ROOT MAMBA_ROOT_PREFIX CONDA_CHANNELS
    mkdir -p "$T/proj"
    cd "$T/proj"
}

teardown() { teardown_shim_env; }

LOCAL() { echo "$MIRROR_URL/anaconda/cloud/pytorch"; }

# copy_of TOOL: the environment file the tool was given (the argument after -f/--file)
copy_of() {
    argv_of "$1" | awk 'p { print; exit } $0 == "-f" || $0 == "--file" { p = 1 }'
}

# yq FILE EXPR: a Python expression over the YAML document `d`
yq() {
    python3 -c 'import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

@test "conda env create -f: channels to the mirror, PyTorch deps pinned, the rest as it was" {
    cat > env.yml <<'EOF'
name: torch-env
channels:
  - pytorch
  - nvidia
  - defaults
dependencies:
  - python=3.11
  - numpy
  - pytorch
  - torchvision
  - pytorch-cuda=12.1
variables:
  MY_VAR: kept
EOF
    run conda env create -f env.yml
    echo "$output"
    [ "$status" -eq 0 ]
    local copy
    copy=$(copy_of conda)
    [ -f "$copy" ] && [ "$copy" != env.yml ]
    [ "$(argv_of conda | sed -n 2,3p | tr '\n' ' ')" = "env create " ]
    [ "$(yq "$copy" 'd["channels"]')" = "['$(LOCAL)', 'nvidia', 'defaults']" ]
    [ "$(yq "$copy" 'd["dependencies"]')" = "['python=3.11', 'numpy', 'pytorch=2.5.1=py3.11_cuda12.1_cudnn9.1.0_0', 'torchvision=0.20.1=py311_cu121', 'pytorch-cuda=12.1']" ]
    [ "$(yq "$copy" 'd["name"], d["variables"]')" = "('torch-env', {'MY_VAR': 'kept'})" ]
    grep -q "$T/proj/env.yml" "$copy"       # the header names the original
    cmp env.yml - <<'EOF'
name: torch-env
channels:
  - pytorch
  - nvidia
  - defaults
dependencies:
  - python=3.11
  - numpy
  - pytorch
  - torchvision
  - pytorch-cuda=12.1
variables:
  MY_VAR: kept
EOF
}

@test "the pip: subsection gets the pip path's rewrite and pins, for the file's Python" {
    echo "numpy" > requirements.txt
    cat > environment.yml <<'EOF'
name: pipenv
channels: [conda-forge]
dependencies:
  - python=3.11
  - pip
  - pip:
    - --index-url https://download.pytorch.org/whl/cu121
    - torch==2.3.1
    - torchvision
    - -r requirements.txt
EOF
    run conda env create          # the default file: environment.yml
    echo "$output"
    [ "$status" -eq 0 ]
    local copy
    copy=$(copy_of conda)
    [ -f "$copy" ]
    local pip
    pip=$(yq "$copy" '[x for x in d["dependencies"] if isinstance(x, dict)][0]["pip"]')
    echo "$pip"
    [[ "$pip" == *"'torch==2.3.1+cu121'"* ]]
    [[ "$pip" == *"'torchvision==0.18.1+cu121'"* ]]
    [[ "$pip" == *"-f $MIRROR_URL/pytorch-wheels/cu121"* ]]
    [[ "$pip" == *"$MIRROR_URL/pypi/simple"* ]]
    [[ "$pip" != *"download.pytorch.org"* ]]
    [[ "$pip" == *"-r $T/proj/requirements.txt"* ]]   # relative to the original file
    # the conda part installs no PyTorch: left as it was
    [ "$(yq "$copy" 'd["channels"]')" = "['conda-forge']" ]
}

@test "conda env update -f ... --prune and mamba env create get the same" {
    cat > env.yml <<'EOF'
channels: [pytorch]
dependencies: [python=3.11, pytorch, cpuonly]
EOF
    run conda env update -n base -f env.yml --prune
    [ "$status" -eq 0 ]
    [ "$(argv_of conda | sed -n 2,6p | tr "\n" " ")" = "env update -n base -f " ]
    argv_of conda | grep -qx -- --prune
    [ "$(yq "$(copy_of conda)" 'd["dependencies"]')" = "['python=3.11', 'pytorch=2.5.1=py3.11_cpu_0', 'cpuonly']" ]
    run mamba env create -f env.yml
    [ "$status" -eq 0 ]
    [ "$(yq "$(copy_of mamba)" 'd["channels"]')" = "['$(LOCAL)']" ]
}

@test "micromamba create -f env.yml" {
    cat > env.yaml <<'EOF'
name: mm
channels:
  - pytorch
dependencies:
  - python=3.11
  - pytorch
  - cpuonly
EOF
    run micromamba create -y -f env.yaml
    echo "$output"
    [ "$status" -eq 0 ]
    [ "$(yq "$(copy_of micromamba)" 'd["dependencies"][1]')" = "pytorch=2.5.1=py3.11_cpu_0" ]
    [ "$(yq "$(copy_of micromamba)" 'd["channels"]')" = "['$(LOCAL)']" ]
}

@test "channels from ~/.condarc join the file's with nodefaults: the same list conda reads" {
    printf 'channels:\n  - pytorch\n' > "$HOME/.condarc"
    cat > env.yml <<'EOF'
dependencies: [python=3.11, pytorch, cpuonly]
EOF
    run conda env create -n t -f env.yml
    [ "$status" -eq 0 ]
    [ "$(yq "$(copy_of conda)" 'd["channels"]')" = "['$(LOCAL)', 'nodefaults']" ]
    [ "$(yq "$(copy_of conda)" 'd["dependencies"][1]')" = "pytorch=2.5.1=py3.11_cpu_0" ]
}

@test "a file without PyTorch never reaches the engine; a broken one is left to conda" {
    cat > env.yml <<'EOF'
channels: [conda-forge]
dependencies: [python=3.11, numpy]
EOF
    run conda env create -f env.yml
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" env create -f env.yml > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
    printf 'dependencies: [pytorch\n  - : :\n' > bad.yml
    run conda env create -f bad.yml
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/conda" env create -f bad.yml > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
}
