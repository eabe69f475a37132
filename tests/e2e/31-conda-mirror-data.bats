#!/usr/bin/env bats
# conda: a mirror's bad data is that mirror's fault (issue 11 #4, #5, #8).
# The first configured mirror answers fast with something that is not the
# pytorch channel's index; the healthy mirror behind it answers ~0.7 s later
# (nginx-serve's /rate/ at 256 KB/s per connection). The healthy one must
# win, the bad answer must never be cached, and a huge index must be read
# in bounded memory without being stored whole.

bats_require_minimum_version 1.5.0
load ../lib/common
load ../bats/helper

setup_file() {
    NGINX_SERVE_RATE=256k ts_mirror_start --copy
    local bad=$MIRROR_ROOT/bad real=$MIRROR_ROOT/pytorch
    mk() { # mk CASE: the case's channel dir for linux-64, noarch copied
        mkdir -p "$bad/$1/anaconda/cloud/pytorch/linux-64"
        cp -r "$real/noarch" "$bad/$1/anaconda/cloud/pytorch/"
        echo "$bad/$1/anaconda/cloud/pytorch/linux-64"
    }
    d=$(mk html)
    printf '<html><body>Down for maintenance</body></html>\n' > "$d/repodata.json"
    d=$(mk notzstd)
    head -c 5000 /dev/urandom > "$d/repodata.json.zst"
    d=$(mk truncated)
    head -c 90000 "$real/linux-64/repodata.json.zst" > "$d/repodata.json.zst"
    d=$(mk list)
    printf '[1, 2, 3]\n' > "$d/repodata.json"
    d=$(mk empty)
    printf '{"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": {}, "repodata_version": 1}\n' > "$d/repodata.json"
    d=$(mk nopytorch)
    python3 - "$real/linux-64/repodata.json" "$d/repodata.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["packages"] = {k: v for k, v in doc["packages"].items()
                   if v["name"] not in ("pytorch", "torchvision", "torchaudio")}
json.dump(doc, open(sys.argv[2], "w"))
EOF
    d=$(mk othersubdir)
    cp "$real/win-64/repodata.json" "$d/repodata.json"
    export BAD_CASES="html notzstd truncated list empty nopytorch othersubdir"
}

teardown_file() {
    ts_mirror_stop
}

setup() {
    setup_shim_env
    record_tool "$T/real" conda
    ts_log_clear
}

teardown() { teardown_shim_env; }

# write_config CASE...: [use] conda = bad CASE's mirror, then the healthy one.
write_config() {
    {
        for c in "$@"; do
            printf '[mirror "bad-%s"]\nconda = %s/bad/%s/anaconda/cloud\nconda-channels = pytorch\n' \
                "$c" "$MIRROR_URL" "$c"
        done
        cat <<EOS
[mirror "good"]
conda = $MIRROR_URL/rate/anaconda/cloud
conda-channels = pytorch
[mirror "official"]
conda = http://127.0.0.1:9
[use]
conda = $(for c in "$@"; do printf 'bad-%s ' "$c"; done) good
[network]
connect-timeout = 2
timeout = 20
EOS
    } > "$T/config.ini"
    export TORCHSHIM_CONFIG=$T/config.ini
}

GOOD() { echo "$MIRROR_URL/rate/anaconda/cloud/pytorch"; }

@test "each kind of bad index from the fast mirror loses to the healthy slower one; nothing bad is cached" {
    for c in $BAD_CASES; do
        write_config "$c"
        rm -rf "$TORCHSHIM_CACHE_DIR" "$T/argv.conda"
        ts_log_clear
        CONDA_SUBDIR=linux-64 TORCHSHIM_VERBOSE=1 run conda install pytorch cpuonly python=3.11 -c pytorch
        echo "case $c: $output"
        [ "$status" -eq 0 ]
        argv_of conda | grep -qx "$(GOOD)"
        argv_of conda | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
        # the bad mirror was asked (it is first) and answered 200
        ts_log_requests "GET /bad/$c/anaconda/cloud/pytorch/linux-64/repodata.json(.zst)? HTTP/1.1\" 200"
        # the bad answer is not in the cache; the good one is
        run "$SHIM" cache info
        ! grep -q "/bad/.*linux-64" <<<"$output" || false
        [[ "$output" == *"/rate/anaconda/cloud/pytorch/linux-64/repodata.json"* ]]
        # the bad answer is not remembered: the next run asks the first mirror
        # again, and the good one only revalidates its cached index (304)
        ts_log_clear
        CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
        [ "$status" -eq 0 ]
        argv_of conda | grep -qx 'pytorch=2.5.1=py3.11_cpu_0'
        argv_of conda | grep -qx "$(GOOD)"
        [ "$(ts_log_count "GET /bad/$c/anaconda/cloud/pytorch/linux-64/repodata")" -ge 1 ]
        [ "$(ts_log_count 'GET /rate/anaconda/cloud/pytorch/linux-64/repodata[^ ]* HTTP/1.1" 200')" -eq 0 ]
    done
}

@test "every mirror bad: the official channel is tried, then the command runs unchanged" {
    write_config html empty
    sed -i '/^\[mirror "good"\]/,/^conda-channels/d; s/ good$//' "$T/config.ini"
    CONDA_SUBDIR=linux-64 run conda install pytorch cpuonly python=3.11 -c pytorch
    [ "$status" -eq 0 ]
    [[ "$output" == *"running the command unchanged"* ]]
    printf '%s\0' "$T/real/conda" install pytorch cpuonly python=3.11 -c pytorch > "$T/expected"
    cmp "$T/expected" "$T/argv.conda"
    run "$SHIM" cache info
    ! grep -q "/bad/.*linux-64" <<<"$output" || false   # (their noarch is a good copy)
}

# A 200 MB index that arrives as a few MB of zstd: read streaming, bounded
# memory, and the cache holds the filtered index (kilobytes), not the body;
# the losing mirror's body is not stored at all.
@test "a huge index is read in bounded memory and cached as its filtered records only" {
    local big=$MIRROR_ROOT/big/anaconda/cloud/pytorch
    mkdir -p "$big/linux-64"
    cp -r "$MIRROR_ROOT/pytorch/noarch" "$big/"
    python3 - "$MIRROR_ROOT/pytorch/linux-64/repodata.json" "$big/linux-64/repodata.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
out = open(sys.argv[2], "w")
out.write('{"info": {"subdir": "linux-64"}, "packages": {')
first = True
for k, v in doc["packages"].items():
    out.write(("" if first else ",") + json.dumps(k) + ":" + json.dumps(v))
    first = False
pad = "x" * 400
rec = ',"filler-%d-1.0-0.tar.bz2": {"name": "filler-%d", "version": "1.0", "build": "0", "build_number": 0, "depends": [], "license": "' + pad + '"}'
for i in range(400000):
    out.write(rec % (i, i))
out.write('}, "packages.conda": {}, "repodata_version": 1}\n')
out.close()
EOF
    zstd -q -3 -T0 -f "$big/linux-64/repodata.json" -o "$big/linux-64/repodata.json.zst"
    rm "$big/linux-64/repodata.json"
    [ "$(stat -c %s "$big/linux-64/repodata.json.zst")" -lt $((20 * 1024 * 1024)) ]
    cat > "$T/config.ini" <<EOS
[mirror "big1"]
conda = $MIRROR_URL/big/anaconda/cloud
conda-channels = pytorch
[mirror "big2"]
conda = $MIRROR_URL/rate/big/anaconda/cloud
conda-channels = pytorch
[mirror "official"]
conda = http://127.0.0.1:9
[use]
conda = big1 big2
[network]
timeout = 60
EOS
    export TORCHSHIM_CONFIG=$T/config.ini
    run /usr/bin/time -f 'maxrss=%M' "$SHIM" resolve --tool conda --platform linux-64 --python 3.11 --backend cpu pytorch==2.5.1
    echo "$output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"pytorch=2.5.1=py3.11_cpu_0"* ]]
    local kb=${output##*maxrss=}
    [ "$kb" -lt $((60 * 1024)) ]      # the decompressed document alone is ~200 MB
    # the cache holds kilobytes: the filtered index, not the body (of either mirror)
    local bytes
    bytes=$(du -sb "$TORCHSHIM_CACHE_DIR" | cut -f1)
    echo "cache: $bytes bytes"
    [ "$bytes" -lt $((2 * 1024 * 1024)) ]
    # warm: the same answer from the cache, nothing asked
    ts_log_clear
    run "$SHIM" resolve --tool conda --platform linux-64 --python 3.11 --backend cpu pytorch==2.5.1
    [ "$status" -eq 0 ]
    [[ "$output" == *"pytorch=2.5.1=py3.11_cpu_0"* ]]
    [ "$(ts_log_count 'repodata')" -eq 0 ]
}
