#!/usr/bin/env bats
# Exec: exit codes, signals, environment, and arguments passed byte for byte.

bats_require_minimum_version 1.5.0
load helper

setup() { setup_shim_env; record_tool "$T/real" pip; }
teardown() { teardown_shim_env; }

@test "the real tool's exit code is the user's exit code" {
    FAKE_EXIT=3 run pip list
    [ "$status" -eq 3 ]
}

@test "no real tool: exit 127 with a message" {
    rm "$T/real/pip"
    PATH="$T/shims:$T/real" run -127 pip list
    [[ "$output" == *"no real 'pip' found on PATH"* ]]
}

@test "a real tool that is not executable: exit 126" {
    chmod -x "$T/real/pip"
    PATH="$T/shims:$T/real" run -126 pip list
    [[ "$output" == *"not executable"* ]]
}

@test "exec replaces the shim: same pid, and a signal reaches the tool" {
    FAKE_SLEEP=30 pip list &
    local pid=$!
    for _ in $(seq 50); do [ -s "$T/pid.pip" ] && break; sleep 0.1; done
    [ "$(cat "$T/pid.pip")" = "$pid" ]
    kill -TERM "$pid"
    wait "$pid" && status=0 || status=$?
    [ "$status" -eq 143 ]
}

@test "the environment reaches the tool unchanged, plus the guard" {
    cat > "$T/real/pip" <<EOS
#!/bin/sh
env > "$T/env.pip"
EOS
    MY_VAR='a b' run pip list
    [ "$status" -eq 0 ]
    grep -qx 'MY_VAR=a b' "$T/env.pip"
    grep -q '^TORCHSHIM_GUARD=' "$T/env.pip"
}

@test "passthrough is byte for byte: spaces, quotes, newlines, empty words, unicode, --" {
    local nl=$'line1\nline2'
    run pip install numpy "a b" "it's" '"q"' "$nl" "" "é中文" -- "--x" '$HOME' '*'
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/pip" install numpy "a b" "it's" '"q"' "$nl" "" "é中文" -- "--x" '$HOME' '*' > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}

@test "TORCHSHIM_DISABLE=1 passes even a torch install through untouched" {
    TORCHSHIM_DISABLE=1 run pip install torch --index-url https://download.pytorch.org/whl/cu118
    [ "$status" -eq 0 ]
    printf '%s\0' "$T/real/pip" install torch --index-url https://download.pytorch.org/whl/cu118 > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}

@test "the resolver missing: a warning, and the command runs unchanged" {
    TORCHSHIM_ENGINE=$T/nonexistent run pip install torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"resolver"*"not found"* ]]
    [[ "$output" == *"running the command unchanged"* ]]
    printf '%s\0' "$T/real/pip" install torch > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}

@test "the resolver crashing: a warning, and the command runs unchanged" {
    printf '#!/bin/sh\nkill -SEGV $$\n' > "$T/crash" && chmod +x "$T/crash"
    TORCHSHIM_ENGINE=$T/crash run pip install torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"resolver died"* ]]
    printf '%s\0' "$T/real/pip" install torch > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}

@test "a broken configuration: a warning, and the command runs unchanged" {
    printf '[use]\nwheels = nosuchsite\n' > "$T/bad.ini"
    TORCHSHIM_CONFIG=$T/bad.ini run pip install torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"nosuchsite"* ]]
    printf '%s\0' "$T/real/pip" install torch > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}

@test "an option torchshim does not know: the command runs unchanged" {
    run pip install --some-future-option torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"--some-future-option"* ]]
    printf '%s\0' "$T/real/pip" install --some-future-option torch > "$T/expected"
    cmp "$T/expected" "$T/argv.pip"
}
