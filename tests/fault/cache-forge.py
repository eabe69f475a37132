#!/usr/bin/env python3
"""tests/fault/cache-forge.py CACHEDIR URL-SUBSTRING PAYLOADFILE

Replace the payload of the fetched-resource cache entry whose url header
contains URL-SUBSTRING (CACHEDIR/http/*) with PAYLOADFILE's bytes, keeping
every other header field and writing a correct length and checksum: a
well-formed, fresh entry whose body is bad, as a mirror's maintenance page
would leave it if it were ever cached.

The entry format is src/net/cache.c's ("torchshim-cache 2", "name value"
lines, an empty line, the payload; checksum = cache_checksum()). Before
forging, the entry's own checksum is recomputed here: if it does not match,
the format has changed and this helper must follow (exit 3), so a test can
never pass or fail because of a stale copy of the format.
Exit 0 forged, 1 no such entry, 2 usage, 3 format mismatch.
"""
import os
import sys

M = (1 << 64) - 1
MAGIC = b"torchshim-cache 2"


def mix64(x):
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & M
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & M
    x ^= x >> 31
    return x


def hash64(p):
    n = len(p)
    h = (0x9e3779b97f4a7c15 ^ n) & M
    i = 0
    while i + 8 <= n:
        h ^= mix64(int.from_bytes(p[i:i + 8], "little"))
        h = ((((h << 29) | (h >> 35)) & M) * 0x9e3779b97f4a7c15 + 0x632be59bd9b4e019) & M
        i += 8
    tail = 0
    for k in range(n - i):
        tail |= p[i + k] << (8 * k)
    h ^= mix64(tail ^ ((n & 7) << 56))
    return mix64(h)


def checksum(p):
    return b"%016x" % hash64(p)


def parse(data):
    head, sep, payload = data.partition(b"\n\n")
    lines = head.split(b"\n")
    if not sep or lines[0] != MAGIC:
        return None
    fields = []
    for ln in lines[1:]:
        k, _, v = ln.partition(b" ")
        fields.append((k, v))
    return fields, payload


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    cachedir, want, payload_file = argv[1], argv[2].encode(), argv[3]
    with open(payload_file, "rb") as f:
        new = f.read()
    http = os.path.join(cachedir, "http")
    for name in sorted(os.listdir(http)):
        path = os.path.join(http, name)
        if ".tmp." in name or not os.path.isfile(path):
            continue
        with open(path, "rb") as f:
            data = f.read()
        rec = parse(data)
        if rec is None:
            continue
        fields, payload = rec
        d = dict(fields)
        if want not in d.get(b"url", b""):
            continue
        if d.get(b"checksum") != checksum(payload) or int(d.get(b"length", b"-1")) != len(payload):
            sys.stderr.write("cache-forge: %s: the entry's checksum/length do not verify here: "
                             "src/net/cache.c's format changed; update this helper\n" % path)
            return 3
        out = [MAGIC]
        for k, v in fields:
            if k == b"length":
                v = b"%d" % len(new)
            elif k == b"checksum":
                v = checksum(new)
            out.append(k + b" " + v)
        with open(path + ".forge", "wb") as f:
            f.write(b"\n".join(out) + b"\n\n" + new)
        os.chmod(path + ".forge", os.stat(path).st_mode & 0o777)
        os.rename(path + ".forge", path)
        print(path)
        return 0
    sys.stderr.write("cache-forge: no entry for a URL containing %s in %s\n" % (argv[2], http))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
