#!/usr/bin/env bats
# Files the real tool reads are never taken from it: requirements files from
# pipes, /dev/stdin, FIFOs and devices reach pip and conda whole, and inputs
# without end cost bounded time. The engine has a deadline and dies with
# the front end.

load helper

# read_tool DIR NAME: a fake real tool that records the content of every
# file given with -r, -c or --file (at most 1 MB each: /dev/zero ends too).
read_tool() {
    local dir=$1 name=$2
    mkdir -p "$dir"
    cat >"$dir/$name" <<EOS
#!/bin/bash
printf '%s\0' "\$0" "\$@" > "$T/argv.$name"
: > "$T/read.$name"
while [ \$# -gt 0 ]; do
    case \$1 in
        -r|-c|-Ur|--file) head -c 1000000 "\$2" >> "$T/read.$name"; shift ;;
        --requirement=*) head -c 1000000 "\${1#*=}" >> "$T/read.$name" ;;
    esac
    shift
done
exit \${FAKE_EXIT:-0}
EOS
    chmod +x "$dir/$name"
}

setup() { setup_shim_env; read_tool "$T/real" pip; read_tool "$T/real" conda; }
teardown() { teardown_shim_env; }

@test "pip install -r <(printf ...): the real pip reads every line, though the shim looked too" {
    run pip install -r <(printf 'torch\nnumpy\n')
    [ "$status" -eq 0 ]
    [ "$(cat "$T/read.pip")" = "$(printf 'torch\nnumpy')" ]
}

@test "a pipe without torch passes through, and pip still reads all of it" {
    run pip install -r <(printf 'numpy\nrequests\n')
    [ "$status" -eq 0 ]
    [ "$(cat "$T/read.pip")" = "$(printf 'numpy\nrequests')" ]
}

@test "-r /dev/stdin with piped input" {
    run bash -c "printf 'torch\nscipy\n' | pip install -r /dev/stdin"
    [ "$status" -eq 0 ]
    [ "$(cat "$T/read.pip")" = "$(printf 'torch\nscipy')" ]
}

@test "--requirement=<(...) and a cluster -Ur <(...)" {
    run pip install --requirement=<(printf 'torch\n') -Ur <(printf 'six\n')
    [ "$status" -eq 0 ]
    [ "$(cat "$T/read.pip")" = "$(printf 'torch\nsix')" ]
}

@test "conda install --file <(...): conda reads the specs" {
    run conda install --file <(printf 'pytorch\nnumpy\n') -c pytorch
    [ "$status" -eq 0 ]
    [ "$(cat "$T/read.conda")" = "$(printf 'pytorch\nnumpy')" ]
}

@test "a FIFO whose writer comes late is read once and handed over whole" {
    mkfifo "$T/fifo"
    (sleep 1; printf 'torch\nnumpy\n' > "$T/fifo") &
    run pip install -r "$T/fifo"
    wait
    [ "$status" -eq 0 ]
    [ "$(cat "$T/read.pip")" = "$(printf 'torch\nnumpy')" ]
}

@test "-r /dev/zero: bounded time, the real tool reads it as it would have" {
    start=$(date +%s)
    run timeout 30 pip install -r /dev/zero
    [ "$status" -eq 0 ]
    [ $(( $(date +%s) - start )) -lt 20 ]
    [ "$(wc -c < "$T/read.pip")" -eq 1000000 ]
}

@test "conda install --file /dev/zero: the same" {
    run timeout 30 conda install --file /dev/zero
    [ "$status" -eq 0 ]
    [ "$(wc -c < "$T/read.conda")" -eq 1000000 ]
}

@test "TORCHSHIM_CONFIG=/dev/zero: a warning, the original runs, in bounded time" {
    TORCHSHIM_CONFIG=/dev/zero run timeout 30 pip install torch
    [ "$status" -eq 0 ]
    [[ "$output" == *"configuration"*"not a regular file"* ]]
    [ "$(argv_of pip | tail -n +2 | tr '\n' ' ')" = "install torch " ]
}

@test "TORCHSHIM_CONFIG naming a directory is an error like a missing file: the original runs" {
    for c in "$T" "$T/none.ini"; do
        TORCHSHIM_CONFIG=$c run pip install torch
        [ "$status" -eq 0 ]
        [[ "$output" == *"configuration"* ]]
        [[ "$output" == *"running the command unchanged"* ]]
    done
}

@test "an engine that never answers is killed at its deadline and the original runs" {
    printf '#!/bin/sh\nexec sleep 100\n' > "$T/engine"
    chmod +x "$T/engine"
    start=$(date +%s)
    TORCHSHIM_ENGINE=$T/engine TORCHSHIM_ENGINE_START_MS=1000 run timeout 30 pip install torch
    [ "$status" -eq 0 ]
    [ $(( $(date +%s) - start )) -lt 10 ]
    [[ "$output" == *"no answer within"* ]]
    [ "$(argv_of pip | tail -n +2 | tr '\n' ' ')" = "install torch " ]
    ! pgrep -f "sleep 100" -u "$(id -u)" -P 1 >/dev/null 2>&1 || ! pgrep -fx "sleep 100" >/dev/null || false
}

@test "an engine dies with its front end" {
    printf '#!/bin/sh\necho $$ > %s/engine.pid\nexec sleep 99\n' "$T" > "$T/engine"
    chmod +x "$T/engine"
    TORCHSHIM_ENGINE=$T/engine pip install torch &
    front=$!
    for _ in $(seq 50); do [ -s "$T/engine.pid" ] && break; sleep 0.1; done
    engine=$(cat "$T/engine.pid")
    kill -0 "$engine"
    kill -9 "$front"
    wait "$front" || true
    for _ in $(seq 50); do kill -0 "$engine" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$engine" 2>/dev/null || false
}

@test "a terminal as -r is not read by the shim" {
    command -v script >/dev/null || skip "script(1) not installed"
    run timeout 20 script -qec "pip install -r /dev/tty < /dev/null" /dev/null
    [ "$status" -eq 0 ]
    [ -e "$T/argv.pip" ]
}
