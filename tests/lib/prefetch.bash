# tests/lib/prefetch.bash — what the prefetch tests (tests/e2e/60-*, 61-*)
# read from a download's part state and from nginx's access log.

# check_resumed DONE-RANGES SIZE < access-log lines of the resumed download:
# every request is a 206 for a range outside the ranges done before (file of
# "start end" lines), and the bytes sent are the missing ones (+1% at most).
check_resumed() {
    /usr/bin/python3 -c '
import re, sys
done = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
size, sent, asked = int(sys.argv[2]), 0, 0
for line in sys.stdin:
    m = re.search(r"\" (\d{3}) (\d+) .*range=\"bytes=(\d+)-(\d+)\"", line)
    assert m, "not a ranged request: " + line
    status, body, a, b = (int(x) for x in m.groups())
    assert status == 206, line
    for s, e in done:
        assert b < s or a >= e, "asked again: %d-%d (done %d-%d)" % (a, b, s, e)
    sent += body
    asked += 1
missing = size - sum(e - s for s, e in done)
print("requests %d, sent %d, missing %d" % (asked, sent, missing))
assert asked > 0 and missing <= sent <= missing + size // 100, "sent %d for %d missing" % (sent, missing)
' "$@"
}

# state_done FILE: bytes recorded complete in a .part.state
state_done() {
    [ -f "$1" ] || { echo 0; return 0; }
    awk -F'\t' '$1 == "done" { s += $3 - $2 } END { printf "%d\n", s }' "$1" 2>/dev/null
}
