#!/usr/bin/env bats
# TORCHSHIM_DRY_RUN=1: one shell-quoted line on stdout, first word the real
# tool's absolute path; nothing runs.

load helper

setup() { setup_shim_env; record_tool "$T/real" pip; record_tool "$T/real" conda; }
teardown() { teardown_shim_env; }

@test "dry run of a passthrough prints the command and runs nothing" {
    TORCHSHIM_DRY_RUN=1 run pip list --format json
    [ "$status" -eq 0 ]
    [ "$output" = "$T/real/pip list --format json" ]
    [ ! -e "$T/argv.pip" ]
}

@test "dry run quotes words so that the shell reads them back identically" {
    TORCHSHIM_DRY_RUN=1 run pip install "a b" "it's" '$x' "" 'back\slash'
    [ "$status" -eq 0 ]
    [ "$output" = "$T/real/pip install 'a b' 'it'\\''s' '\$x' '' 'back\\slash'" ]
    eval "set -- $output"
    [ "$#" -eq 7 ] && [ "$3" = "a b" ] && [ "$4" = "it's" ] && [ "$5" = '$x' ] && [ "$6" = "" ]
}

@test "no mirror reachable: each step said, and the command runs unchanged" {
    TORCHSHIM_DRY_RUN=1 run conda install pytorch torchvision torchaudio pytorch-cuda=12.1 -c pytorch -c nvidia
    [ "$status" -eq 0 ]
    [[ "$output" == *"trying the official pytorch channel"* ]]
    [[ "$output" == *"running the command unchanged"* ]]
    [[ "$output" == *"$T/real/conda install pytorch torchvision torchaudio pytorch-cuda=12.1 -c pytorch -c nvidia" ]]
}

@test "conda commands that install nothing pass through" {
    TORCHSHIM_DRY_RUN=1 run conda activate base
    [ "$output" = "$T/real/conda activate base" ]
    TORCHSHIM_DRY_RUN=1 run conda search pytorch=2.3.1 -c pytorch
    [ "$output" = "$T/real/conda search pytorch=2.3.1 -c pytorch" ]
}
