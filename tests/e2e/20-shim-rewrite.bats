#!/usr/bin/env bats
# The front end and the resolver together, against the loopback mirror: the
# real tool is a Python script that records its argv (so the shim can read
# its interpreter, as it reads a real pip's), reached through a pip symlink.

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
open("$T/argv.pip", "wb").write(b"".join(a.encode("utf-8", "surrogateescape") + b"\0" for a in sys.argv))
EOS
    chmod +x "$T/real/pip"
    ts_local_config "$T/config.ini"
    export TORCHSHIM_CONFIG=$T/config.ini
}

teardown() { teardown_shim_env; }

@test "a torch install runs the rewritten, pinned command" {
    run pip install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 --index-url https://download.pytorch.org/whl/cu118
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/pip" install torch==2.0.0+cu118 torchvision==0.15.1+cu118 torchaudio==2.0.1+cu118 \
        -f "$MIRROR_URL/pytorch-wheels/cu118" -i "$MIRROR_URL/pypi/simple" > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}

@test "dry run of seed 000's command: one line, the real pip's path first" {
    TORCHSHIM_DRY_RUN=1 run pip install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 --index-url https://download.pytorch.org/whl/cu118
    [ "$status" -eq 0 ]
    [ "$output" = "$T/real/pip install torch==2.0.0+cu118 torchvision==0.15.1+cu118 torchaudio==2.0.1+cu118 -f $MIRROR_URL/pytorch-wheels/cu118 -i $MIRROR_URL/pypi/simple" ]
    [ ! -e "$T/argv.pip" ]
}

@test "verbose says what was rewritten and pinned, and why, on stderr" {
    TORCHSHIM_DRY_RUN=1 TORCHSHIM_VERBOSE=1 run pip install torch --index-url https://download.pytorch.org/whl/cu121
    [ "$status" -eq 0 ]
    [[ "$output" == *"-i https://download.pytorch.org/whl/cu121 -> $MIRROR_URL/pytorch-wheels/cu121"* ]]
    [[ "$output" == *"torch -> torch==2.3.1+cu121 (from 'local')"* ]]
}

@test "a second run within the TTL asks the mirror nothing" {
    TORCHSHIM_DRY_RUN=1 run pip install torch --index-url https://download.pytorch.org/whl/cu121
    [ "$status" -eq 0 ]
    ts_log_clear
    TORCHSHIM_DRY_RUN=1 run pip install torch --index-url https://download.pytorch.org/whl/cu121
    [ "$status" -eq 0 ]
    [[ "$output" == *"torch==2.3.1+cu121"* ]]
    [ "$(ts_log_count 'GET /pytorch-wheels/')" -eq 0 ]
}
