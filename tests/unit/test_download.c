/* test_download.c — the downloader (download.h) against real nginx mirrors
 * on loopback (tests/lib/nginx-serve), each capping every connection at
 * 512 KiB/s on /rate/ so that one stream and many are told apart by time.
 * (nginx sends the first second's worth of a request at once: pieces are
 * 1.5 MiB, three times that, so that the cap is what sets the pace.)
 *
 * Mirror A serves root A, mirror B root B (the same files, plus a corrupted
 * copy and one of another size); a third instance is started and stopped by
 * the test that needs a mirror to die. The tests read nginx's access logs to
 * see which ranges were really asked for and how many bytes went out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "download.h"
#include "fileio.h"
#include "msg.h"
#include "partfile.h"
#include "rangeset.h"
#include "verify.h"
#include "testutil.h"

#define BIG_SIZE   ((int64_t)6 << 20)     /* 6 MiB: 12 s over one capped stream */
#define RATE       "512k"
#define RATE_BPS   (512.0 * 1024.0)
#define MIN_PIECE  ((int64_t)1536 << 10)  /* so: 4 pieces, one per connection */

struct mirror {
    char *root, *state, *log, *base;
    int port;
};

static struct {
    int ok;
    char *tmp, *top;
    struct mirror a, b;
    char *big;                       /* the contents of big.bin */
    char big_sha[65], big_md5[33];
    int ndest;
} g;

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void spit(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len)
        fail_msg("cannot write %s", path);
    close(fd);
}

static void sha_hex(const char *data, size_t len, char *out)
{
    struct dl_hash h;
    dl_hash_init(&h, 0, NULL);
    dl_hash_update(&h, data, len);
    dl_hash_final(&h, out, NULL);
    dl_hash_free(&h);
}

/* Pseudo-random bytes (xorshift), every 64 KiB block in four a run of zeros. */
static char *make_data(size_t n, uint64_t seed)
{
    char *p = xmalloc(n);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t v = (i / 65536) % 4 == 3 ? 0 : x;
        memcpy(p + i, &v, n - i < 8 ? n - i : 8);
    }
    return p;
}

static int start_mirror(struct mirror *m, const char *name)
{
    m->root = xasprintf("%s/root-%s", g.tmp, name);
    m->state = xasprintf("%s/nginx-%s", g.tmp, name);
    m->log = xasprintf("%s/access.log", m->state);
    mkdir(m->root, 0755);
    char *cmd = xasprintf("NGINX_SERVE_RATE=%s '%s/tests/lib/nginx-serve' start '%s' '%s'", RATE,
                          g.top, m->root, m->state);
    FILE *p = popen(cmd, "r");
    free(cmd);
    m->port = -1;
    if (p && fscanf(p, "%d", &m->port) != 1)
        m->port = -1;
    if (!p || pclose(p) != 0 || m->port <= 0)
        return -1;
    m->base = xasprintf("http://127.0.0.1:%d", m->port);
    return 0;
}

static void stop_mirror(struct mirror *m)
{
    if (m->state)
        run_cmd("'%s/tests/lib/nginx-serve' stop '%s' >/dev/null 2>&1", g.top, m->state);
}

static void free_mirror(struct mirror *m)
{
    free(m->root);
    free(m->state);
    free(m->log);
    free(m->base);
    memset(m, 0, sizeof *m);
}

static void put(struct mirror *m, const char *name, const char *data, size_t len)
{
    char *p = xasprintf("%s/%s", m->root, name);
    spit(p, data, len);
    free(p);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A fresh destination path. */
static char *dest_path(const char *name)
{
    char *dir = xasprintf("%s/dest%d", g.tmp, ++g.ndest);
    mkdir(dir, 0755);
    char *p = xasprintf("%s/%s", dir, name);
    free(dir);
    return p;
}

static char *with_suffix(const char *p, const char *suffix)
{
    return xasprintf("%s%s", p, suffix);
}

static void assert_file_is_big(const char *path)
{
    char *data = NULL;
    size_t len = 0;
    assert_int_equal(file_read(path, (size_t)BIG_SIZE * 2, &data, &len, NULL), 0);
    assert_int_equal(len, (size_t)BIG_SIZE);
    assert_memory_equal(data, g.big, (size_t)BIG_SIZE);
    free(data);
}

/* ---- the access log ---- */

struct req {
    char path[256];
    char ua[64];
    int status;
    long long bytes;
    long long ra, rb;          /* Range "bytes=ra-rb"; ra -1 when none */
};

static long log_mark(const struct mirror *m)
{
    struct stat st;
    return stat(m->log, &st) == 0 ? (long)st.st_size : 0;
}

static int parse_req(const char *line, struct req *r)
{
    memset(r, 0, sizeof *r);
    r->ra = r->rb = -1;
    const char *p = strstr(line, "\"GET ");
    if (!p || sscanf(p, "\"GET %255s HTTP/1.1\" %d %lld", r->path, &r->status, &r->bytes) != 3)
        return -1;
    const char *u = strstr(line, "ua=\"");
    if (u)
        sscanf(u, "ua=\"%63[^\"]", r->ua);
    const char *rg = strstr(line, "range=\"bytes=");
    if (rg && sscanf(rg, "range=\"bytes=%lld-%lld", &r->ra, &r->rb) < 1)
        r->ra = -1;
    return 0;
}

/* Requests logged after MARK (waits until nginx has logged WANT of them, a
 * little: it logs a request when the request ends). */
static size_t log_reqs(const struct mirror *m, long mark, size_t want, struct req **out)
{
    size_t n = 0;
    for (int tries = 0; tries < 40; tries++) {
        FILE *f = fopen(m->log, "r");
        assert_non_null(f);
        fseek(f, mark, SEEK_SET);
        char line[2048];
        n = 0;
        *out = NULL;
        while (fgets(line, sizeof line, f)) {
            struct req r;
            if (parse_req(line, &r) < 0)
                continue;
            *out = xrealloc(*out, (n + 1) * sizeof **out);
            (*out)[n++] = r;
        }
        fclose(f);
        if (n >= want)
            break;
        free(*out);
        *out = NULL;
        usleep(50000);
    }
    if (n < want) {                      /* take what is there */
        return log_reqs(m, mark, 0, out);
    }
    return n;
}

static long long sum_bytes(const struct req *r, size_t n, const char *path, const char *ua)
{
    long long s = 0;
    for (size_t i = 0; i < n; i++)
        if ((!path || !strcmp(r[i].path, path)) && (!ua || !strcmp(r[i].ua, ua)))
            s += r[i].bytes;
    return s;
}

static size_t count_reqs(const struct req *r, size_t n, const char *path, int status)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !strcmp(r[i].path, path) && (status == 0 || r[i].status == status);
    return k;
}

/* ---- running the downloader ---- */

static struct dl_opts opts(int conns)
{
    static struct fetch_opts fo = { .connect_timeout_ms = 2000 };
    struct dl_opts o = { .connections = conns, .min_piece = MIN_PIECE, .fetch = &fo,
                         .no_signals = 1 };
    return o;
}

static int download1(struct dl_file *f, const struct dl_opts *o, char **err)
{
    return download_run(f, 1, o, NULL, err);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
    (void)state;
    msg_init_from_env();
    g.top = xstrdup(getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".");
    if (access("/usr/sbin/nginx", X_OK) != 0 || run_cmd("command -v python3 >/dev/null") != 0)
        return 0;                                      /* tests skip */
    static const char *const proxies[] = { "http_proxy", "https_proxy", "HTTP_PROXY",
                                           "HTTPS_PROXY", "ALL_PROXY", "all_proxy" };
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    char tmpl[] = "/tmp/torchshim-download-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    g.tmp = xstrdup(tmpl);
    if (start_mirror(&g.a, "a") < 0 || start_mirror(&g.b, "b") < 0) {
        fprintf(stderr, "# cannot start nginx\n");
        return -1;
    }
    g.big = make_data((size_t)BIG_SIZE, 1);
    sha_hex(g.big, (size_t)BIG_SIZE, g.big_sha);
    struct dl_hash h;
    dl_hash_init(&h, 1, NULL);
    dl_hash_update(&h, g.big, (size_t)BIG_SIZE);
    char sha[65];
    dl_hash_final(&h, sha, g.big_md5);
    dl_hash_free(&h);
    put(&g.a, "big.bin", g.big, (size_t)BIG_SIZE);
    put(&g.b, "big.bin", g.big, (size_t)BIG_SIZE);
    put(&g.a, "changing.bin", g.big, (size_t)BIG_SIZE);
    put(&g.a, "resume.bin", g.big, (size_t)BIG_SIZE);
    put(&g.a, "sigint.bin", g.big, (size_t)BIG_SIZE);
    /* B: one byte flipped in the middle */
    g.big[BIG_SIZE / 2] ^= 0x40;
    put(&g.b, "corrupt.bin", g.big, (size_t)BIG_SIZE);
    g.big[BIG_SIZE / 2] ^= 0x40;
    /* sizemm.bin: A has big.bin, B 4 KiB more */
    put(&g.a, "sizemm.bin", g.big, (size_t)BIG_SIZE);
    char *longer = make_data((size_t)BIG_SIZE + 4096, 1);
    put(&g.b, "sizemm.bin", longer, (size_t)BIG_SIZE + 4096);
    free(longer);
    /* wheels: a real one and a zip without METADATA */
    if (run_cmd("cd '%s' && python3 - <<'EOF'\n"
                "import os, zipfile\n"
                "blob = os.urandom(3 << 20)\n"
                "for name, meta in (('pkg-1.0-py3-none-any.whl', True),\n"
                "                   ('bad-1.0-py3-none-any.whl', False)):\n"
                "    with zipfile.ZipFile(name, 'w') as z:\n"
                "        z.writestr('pkg/__init__.py', 'x = 1\\n')\n"
                "        z.writestr('pkg/blob.bin', blob)\n"
                "        if meta:\n"
                "            z.writestr('pkg-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\n"
                "Name: pkg\\nVersion: 1.0\\n')\n"
                "        z.writestr('pkg-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\n')\n"
                "EOF",
                g.a.root) != 0)
        return -1;
    g.ok = 1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    stop_mirror(&g.a);
    stop_mirror(&g.b);
    if (g.tmp && !getenv("TEST_KEEP_TMP"))     /* TEST_KEEP_TMP=1: keep the logs */
        nftw(g.tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free_mirror(&g.a);
    free_mirror(&g.b);
    free(g.tmp);
    free(g.top);
    free(g.big);
    return 0;
}

#define NEED_SERVER() do { if (!g.ok) skip(); } while (0)

/* ---- tests ---- */

/* One mirror, four connections: the right bytes, several ranged requests
 * that together cover the file, and faster than one capped stream could. */
static void test_multi_connection(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/rate/big.bin", g.a.base);
    const char *urls[] = { url };
    char *dest = dest_path("big.bin");
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(4);
    char *err = NULL;
    long mark = log_mark(&g.a);
    double t0 = now_s();
    assert_int_equal(download1(&f, &o, &err), DL_OK);
    double secs = now_s() - t0;
    assert_null(err);
    assert_true(f.ok);
    assert_string_equal(f.sha256_got, g.big_sha);
    assert_int_equal(f.bytes, BIG_SIZE);
    assert_int_equal(f.fetched, BIG_SIZE);
    assert_file_is_big(dest);
    char *part = with_suffix(dest, PART_SUFFIX), *st = with_suffix(dest, STATE_SUFFIX);
    assert_false(exists(part));
    assert_false(exists(st));

    struct req *r;
    size_t n = log_reqs(&g.a, mark, (size_t)f.requests, &r);
    assert_int_equal(n, (size_t)f.requests);
    assert_true(n >= 4);
    struct rangeset asked = { 0 };
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r[i].path, "/rate/big.bin");
        assert_int_equal(r[i].status, 206);
        assert_true(r[i].ra >= 0 && r[i].rb >= r[i].ra);
        rangeset_add(&asked, r[i].ra, r[i].rb + 1);
    }
    assert_true(rangeset_covers(&asked, 0, BIG_SIZE));
    /* one stream at the cap needs BIG_SIZE / RATE_BPS = 8 s */
    assert_true(secs < 0.6 * (double)BIG_SIZE / RATE_BPS);
    rangeset_free(&asked);
    free(r);
    free(part);
    free(st);
    dl_file_clear(&f);
    free(dest);
    free(url);
}

/* Two mirrors carry the file: both serve a real share of it. */
static void test_two_mirrors_share(void **state)
{
    (void)state;
    NEED_SERVER();
    char *ua = xasprintf("%s/rate/big.bin", g.a.base), *ub = xasprintf("%s/rate/big.bin", g.b.base);
    const char *urls[] = { ua, ub };
    char *dest = dest_path("big.bin");
    struct dl_file f = { .urls = urls, .nurls = 2, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(4);
    long ma = log_mark(&g.a), mb = log_mark(&g.b);
    assert_int_equal(download1(&f, &o, NULL), DL_OK);
    assert_file_is_big(dest);
    struct req *ra, *rb;
    size_t na = log_reqs(&g.a, ma, 2, &ra), nb = log_reqs(&g.b, mb, 2, &rb);
    assert_int_equal(na + nb, (size_t)f.requests);
    long long ba = sum_bytes(ra, na, "/rate/big.bin", NULL),
              bb = sum_bytes(rb, nb, "/rate/big.bin", NULL);
    assert_true(ba >= BIG_SIZE / 5);
    assert_true(bb >= BIG_SIZE / 5);
    assert_true(ba + bb <= BIG_SIZE + BIG_SIZE / 100);
    assert_int_equal(count_reqs(ra, na, "/rate/big.bin", 206), na);
    assert_int_equal(count_reqs(rb, nb, "/rate/big.bin", 206), nb);
    free(ra);
    free(rb);
    dl_file_clear(&f);
    free(dest);
    free(ua);
    free(ub);
}

/* Mirror C goes away in the middle (nginx stopped): what it had not
 * delivered comes from A (resumed where C stopped, not from the start of
 * C's pieces), nothing is fetched twice, the file is right. */
static void test_mirror_dies_midway(void **state)
{
    (void)state;
    NEED_SERVER();
    struct mirror c = { 0 };
    assert_int_equal(start_mirror(&c, "c"), 0);
    put(&c, "big.bin", g.big, (size_t)BIG_SIZE);
    char *uc = xasprintf("%s/rate/big.bin", c.base), *ua = xasprintf("%s/rate/big.bin", g.a.base);
    const char *urls[] = { uc, ua };
    char *dest = dest_path("big.bin");
    struct dl_file f = { .urls = urls, .nurls = 2, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(4);
    long ma = log_mark(&g.a);
    fflush(NULL);
    pid_t killer = fork();
    assert_true(killer >= 0);
    if (killer == 0) {                   /* stop C 0.8 s into the download */
        usleep(800000);
        char *cmd = xasprintf("'%s/tests/lib/nginx-serve' stop '%s' >/dev/null 2>&1", g.top,
                              c.state);
        _exit(system(cmd) == 0 ? 0 : 1);
    }
    char *err = NULL;
    int r = download1(&f, &o, &err);
    int ws;
    waitpid(killer, &ws, 0);
    stop_mirror(&c);                     /* in case the killer could not */
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    assert_int_equal(r, DL_OK);
    assert_file_is_big(dest);
    assert_true(f.fetched <= BIG_SIZE + BIG_SIZE / 100);
    struct req *ra;
    size_t na = log_reqs(&g.a, ma, 1, &ra);
    long long ba = sum_bytes(ra, na, "/rate/big.bin", NULL);
    assert_true(ba < BIG_SIZE);                  /* C delivered a part ... */
    assert_true(ba > BIG_SIZE / 2);              /* ... A its half and C's rest */
    int resumed = 0;
    for (size_t i = 0; i < na; i++)
        resumed |= ra[i].ra % MIN_PIECE != 0;
    assert_true(resumed);
    free(ra);
    dl_file_clear(&f);
    free(dest);
    free(uc);
    free(ua);
    free_mirror(&c);
}

/* Run a download of URL to DEST in a child; the child exits 0 (done),
 * 1 (failed) or 2 (interrupted). */
static pid_t spawn_download(const char *url, const char *dest, int catch_signals)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    const char *urls[] = { url };
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(4);
    o.no_signals = !catch_signals;
    o.state_interval_ms = 200;
    int r = download1(&f, &o, NULL);
    _exit(r == DL_OK ? 0 : r == DL_INTERRUPTED ? 2 : 1);
}

/* Wait until the state file says at least FRACTION of the file is done. */
static int64_t wait_for_progress(const char *statepath, double fraction, pid_t child)
{
    double t0 = now_s();
    while (now_s() - t0 < 20) {
        struct part_state st;
        part_state_init(&st);
        int64_t done = part_state_load(statepath, &st, NULL) == 0 ? rangeset_total(&st.done) : 0;
        part_state_clear(&st);
        if (done >= (int64_t)(fraction * (double)BIG_SIZE))
            return done;
        if (waitpid(child, NULL, WNOHANG) == child)
            return -1;
        usleep(20000);
    }
    return -1;
}

/* Each of R's ranges (of requests from UA) avoids DONE. */
static void assert_asked_only_missing(const struct req *r, size_t n, const char *ua,
                                      const struct rangeset *done)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(r[i].ua, ua))
            continue;
        assert_true(r[i].ra >= 0);
        if (rangeset_overlaps(done, r[i].ra, r[i].rb + 1))
            fail_msg("asked again for bytes %lld-%lld", r[i].ra, r[i].rb);
    }
}

/* SIGKILL half-way, then resume: only the missing ranges are asked for, and
 * no more than the missing part plus 1% goes over the wire. */
static void test_kill_and_resume(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/rate/resume.bin", g.a.base);
    char *dest = dest_path("resume.bin");
    char *statepath = with_suffix(dest, STATE_SUFFIX);
    pid_t child = spawn_download(url, dest, 0);
    assert_true(child > 0);
    int64_t seen = wait_for_progress(statepath, 0.5, child);
    kill(child, SIGKILL);
    int ws;
    waitpid(child, &ws, 0);
    assert_true(seen > 0);
    assert_true(WIFSIGNALED(ws));

    struct part_state st;
    part_state_init(&st);
    assert_int_equal(part_state_load(statepath, &st, NULL), 0);
    int64_t have = rangeset_total(&st.done), missing = BIG_SIZE - have;
    assert_true(have >= BIG_SIZE / 2 && have < BIG_SIZE);

    static struct fetch_opts fo = { .connect_timeout_ms = 2000, .user_agent = "resume-run" };
    struct dl_opts o = opts(4);
    o.fetch = &fo;
    const char *urls[] = { url };
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    long mark = log_mark(&g.a);
    assert_int_equal(download1(&f, &o, NULL), DL_OK);
    assert_file_is_big(dest);
    assert_int_equal(f.reused, have);
    assert_true(f.fetched <= missing + BIG_SIZE / 100);
    struct req *r;
    size_t n = log_reqs(&g.a, mark, (size_t)f.requests, &r);
    assert_asked_only_missing(r, n, "resume-run", &st.done);
    long long sent = sum_bytes(r, n, "/rate/resume.bin", "resume-run");
    assert_true(sent >= missing);
    assert_true(sent <= missing + BIG_SIZE / 100);
    assert_false(exists(statepath));
    free(r);
    part_state_clear(&st);
    dl_file_clear(&f);
    free(statepath);
    free(dest);
    free(url);
}

/* SIGINT: the download stops, the state lists exactly what arrived, and
 * the resumed download asks for exactly the rest. */
static void test_sigint_leaves_resumable_state(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/rate/sigint.bin", g.a.base);
    char *dest = dest_path("sigint.bin");
    char *statepath = with_suffix(dest, STATE_SUFFIX), *part = with_suffix(dest, PART_SUFFIX);
    pid_t child = spawn_download(url, dest, 1);
    int64_t seen = wait_for_progress(statepath, 0.3, child);
    kill(child, SIGINT);
    int ws;
    waitpid(child, &ws, 0);
    assert_true(seen > 0);
    assert_true(WIFEXITED(ws));
    assert_int_equal(WEXITSTATUS(ws), 2);       /* DL_INTERRUPTED */
    assert_true(exists(part));
    assert_false(exists(dest));
    struct part_state st;
    part_state_init(&st);
    assert_int_equal(part_state_load(statepath, &st, NULL), 0);
    int64_t have = rangeset_total(&st.done);
    assert_true(have >= BIG_SIZE * 3 / 10 && have < BIG_SIZE);

    static struct fetch_opts fo = { .connect_timeout_ms = 2000, .user_agent = "sigint-run" };
    struct dl_opts o = opts(4);
    o.fetch = &fo;
    const char *urls[] = { url };
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    long mark = log_mark(&g.a);
    assert_int_equal(download1(&f, &o, NULL), DL_OK);
    assert_file_is_big(dest);
    assert_int_equal(f.reused, have);
    assert_int_equal(f.fetched, BIG_SIZE - have);
    struct req *r;
    size_t n = log_reqs(&g.a, mark, (size_t)f.requests, &r);
    assert_asked_only_missing(r, n, "sigint-run", &st.done);
    free(r);
    part_state_clear(&st);
    dl_file_clear(&f);
    free(statepath);
    free(part);
    free(dest);
    free(url);
}

/* The file changes on the mirror between two runs (new mtime: new ETag and
 * Last-Modified): the second run starts over instead of mixing. */
static void test_changed_validators_start_over(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/rate/changing.bin", g.a.base);
    char *dest = dest_path("changing.bin");
    char *statepath = with_suffix(dest, STATE_SUFFIX);
    pid_t child = spawn_download(url, dest, 1);
    int64_t seen = wait_for_progress(statepath, 0.2, child);
    kill(child, SIGINT);
    int ws;
    waitpid(child, &ws, 0);
    assert_true(seen > 0);
    assert_true(exists(statepath));
    char *served = xasprintf("%s/changing.bin", g.a.root);
    struct timeval tv[2] = { { .tv_sec = 1700000000 }, { .tv_sec = 1700000000 } };
    assert_int_equal(utimes(served, tv), 0);

    const char *urls[] = { url };
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(4);
    assert_int_equal(download1(&f, &o, NULL), DL_OK);
    assert_file_is_big(dest);
    assert_int_equal(f.reused, 0);
    assert_true(f.fetched >= BIG_SIZE);
    dl_file_clear(&f);
    free(served);
    free(statepath);
    free(dest);
    free(url);
}

/* A slow mirror (/slow/: 20 KB/s a connection) next to a fast one: the
 * fast one's transfers take over the slow ones' pieces (work stealing), so
 * the file comes in far sooner than the slow mirror could send its share. */
static void test_slow_mirror_work_stolen(void **state)
{
    (void)state;
    NEED_SERVER();
    char *uf = xasprintf("%s/big.bin", g.a.base), *us = xasprintf("%s/slow/big.bin", g.b.base);
    const char *urls[] = { uf, us };
    char *dest = dest_path("big.bin");
    struct dl_file f = { .urls = urls, .nurls = 2, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(4);
    o.min_piece = 256 << 10;
    long mb = log_mark(&g.b);
    double t0 = now_s();
    assert_int_equal(download1(&f, &o, NULL), DL_OK);
    double secs = now_s() - t0;
    assert_file_is_big(dest);
    /* the slow mirror got pieces (it was not known to be slow at first) ... */
    struct req *r;
    size_t n = log_reqs(&g.b, mb, 1, &r);
    assert_true(n >= 1);
    long long asked = 0, sent = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r[i].path, "/slow/big.bin");
        asked += r[i].rb - r[i].ra + 1;
        sent += r[i].bytes;
    }
    /* ... but delivered only a little of them: the rest was taken over */
    assert_true(asked >= 256 << 10);
    assert_true(sent < asked / 2);
    assert_true(secs < (double)asked / 20000.0 / 2);
    free(r);
    dl_file_clear(&f);
    free(dest);
    free(uf);
    free(us);
}

/* A mirror serving a corrupted copy: SHA-256 mismatch, nothing is left. */
static void test_corrupt_mirror_deleted(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/corrupt.bin", g.b.base);
    const char *urls[] = { url };
    char *dest = dest_path("big.bin");
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(4);
    char *err = NULL;
    assert_int_equal(download1(&f, &o, &err), DL_FAILED);
    assert_non_null(err);
    assert_non_null(strstr(err, "SHA-256 mismatch"));
    assert_false(f.ok);
    assert_non_null(strstr(f.error, g.big_sha));
    assert_int_equal(f.fetched, BIG_SIZE);
    char *part = with_suffix(dest, PART_SUFFIX), *st = with_suffix(dest, STATE_SUFFIX);
    assert_false(exists(dest));
    assert_false(exists(part));
    assert_false(exists(st));
    free(part);
    free(st);
    free(err);
    dl_file_clear(&f);
    free(dest);
    free(url);
}

/* Only an MD5 known (conda's repodata): checked, a mismatch deletes. */
static void test_md5_only(void **state)
{
    (void)state;
    NEED_SERVER();
    char *good = xasprintf("%s/big.bin", g.a.base), *bad = xasprintf("%s/corrupt.bin", g.b.base);
    const char *ug[] = { good }, *ub[] = { bad };
    char *dg = dest_path("pkg-1.0-0.bin"), *db = dest_path("pkg-1.0-0.bin");
    struct dl_file f[2] = { { .urls = ug, .nurls = 1, .dest = dg, .md5 = g.big_md5 },
                            { .urls = ub, .nurls = 1, .dest = db, .md5 = g.big_md5 } };
    struct dl_opts o = opts(4);
    assert_int_equal(download_run(f, 2, &o, NULL, NULL), DL_FAILED);
    assert_true(f[0].ok);
    assert_file_is_big(dg);
    assert_string_equal(f[0].sha256_got, g.big_sha);   /* computed all the same */
    assert_false(f[1].ok);
    assert_non_null(strstr(f[1].error, "MD5 mismatch"));
    assert_false(exists(db));
    dl_file_clear(&f[0]);
    dl_file_clear(&f[1]);
    free(dg);
    free(db);
    free(good);
    free(bad);
}

/* A server ignoring Range: one request, one 200 stream, the right file. */
static void test_server_ignoring_ranges(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/norange/big.bin", g.a.base);
    const char *urls[] = { url };
    char *dest = dest_path("big.bin");
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    struct dl_opts o = opts(8);
    long mark = log_mark(&g.a);
    assert_int_equal(download1(&f, &o, NULL), DL_OK);
    assert_file_is_big(dest);
    assert_int_equal(f.requests, 1);
    struct req *r;
    size_t n = log_reqs(&g.a, mark, 1, &r);
    assert_int_equal(n, 1);
    assert_int_equal(r[0].status, 200);
    assert_int_equal(r[0].bytes, BIG_SIZE);
    free(r);
    dl_file_clear(&f);
    free(dest);
    free(url);
}

/* Mirrors disagree on the size: the one that differs from the first answer
 * (or from the expected size) is dropped after one request. */
static void test_size_mismatch_between_mirrors(void **state)
{
    (void)state;
    NEED_SERVER();
    char *ua = xasprintf("%s/sizemm.bin", g.a.base), *ub = xasprintf("%s/sizemm.bin", g.b.base);
    const char *ab[] = { ua, ub }, *ba[] = { ub, ua };
    struct dl_opts o = opts(4);
    for (int round = 0; round < 2; round++) {
        char *dest = dest_path("sizemm.bin");
        /* round 0: A answers first, B is wrong; round 1: B first, but the
         * expected size says B is wrong */
        struct dl_file f = { .urls = round ? ba : ab, .nurls = 2, .dest = dest,
                             .sha256 = g.big_sha, .size = round ? BIG_SIZE : 0 };
        long mb = log_mark(&g.b);
        assert_int_equal(download1(&f, &o, NULL), DL_OK);
        assert_file_is_big(dest);
        assert_int_equal(f.mirrors_dropped, 1);
        struct req *r;
        size_t n = log_reqs(&g.b, mb, 1, &r);
        assert_true(n >= 1 && n <= 2);
        free(r);
        dl_file_clear(&f);
        free(dest);
    }
    free(ua);
    free(ub);
}

/* Wheels: a real one passes the zip check, one without METADATA is deleted;
 * both in one call. */
static void test_wheels_checked(void **state)
{
    (void)state;
    NEED_SERVER();
    char *ug = xasprintf("%s/pkg-1.0-py3-none-any.whl", g.a.base);
    char *ub = xasprintf("%s/bad-1.0-py3-none-any.whl", g.a.base);
    const char *good[] = { ug }, *bad[] = { ub };
    char *dg = dest_path("pkg-1.0-py3-none-any.whl"), *db = dest_path("bad-1.0-py3-none-any.whl");
    struct dl_file f[2] = { { .urls = good, .nurls = 1, .dest = dg },
                            { .urls = bad, .nurls = 1, .dest = db } };
    struct dl_opts o = opts(4);
    char *err = NULL;
    assert_int_equal(download_run(f, 2, &o, NULL, &err), DL_FAILED);
    assert_true(f[0].ok);
    assert_true(exists(dg));
    assert_false(f[1].ok);
    assert_non_null(strstr(f[1].error, "METADATA"));
    assert_non_null(strstr(err, "1 of 2 downloads failed"));
    assert_false(exists(db));
    char *part = with_suffix(db, PART_SUFFIX);
    assert_false(exists(part));
    free(part);
    free(err);
    dl_file_clear(&f[0]);
    dl_file_clear(&f[1]);
    free(dg);
    free(db);
    free(ug);
    free(ub);
}

/* Every mirror fails: an error naming each, no part file left behind. */
static void test_all_mirrors_fail(void **state)
{
    (void)state;
    NEED_SERVER();
    char *u1 = xasprintf("%s/status/500/big.bin", g.a.base);
    char *u2 = xasprintf("%s/status/404/big.bin", g.a.base);
    char *u3 = xasprintf("%s/no-such-file.bin", g.b.base);
    const char *urls[] = { u1, u2, u3 };
    char *dest = dest_path("big.bin");
    struct dl_file f = { .urls = urls, .nurls = 3, .dest = dest };
    struct dl_opts o = opts(4);
    char *err = NULL;
    double t0 = now_s();
    assert_int_equal(download1(&f, &o, &err), DL_FAILED);
    assert_true(now_s() - t0 < 5);
    assert_non_null(strstr(f.error, "every mirror failed"));
    assert_non_null(strstr(f.error, "HTTP 500"));
    assert_non_null(strstr(f.error, "HTTP 404"));
    assert_non_null(strstr(f.error, u3));
    char *part = with_suffix(dest, PART_SUFFIX);
    assert_false(exists(part));
    assert_false(exists(dest));
    free(part);
    free(err);
    dl_file_clear(&f);
    free(dest);
    free(u1);
    free(u2);
    free(u3);
}

/* A redirect is followed once; the pieces after it go to where it led. */
static void test_redirect_followed_once(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/redirect-http/big.bin", g.a.base);
    const char *urls[] = { url };
    char *dest = dest_path("big.bin");
    static struct fetch_opts fo = { .connect_timeout_ms = 2000, .allow_http = 1 };
    struct dl_opts o = opts(4);
    o.fetch = &fo;
    o.min_piece = 256 << 10;           /* more pieces: more requests after the redirect */
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.big_sha };
    long mark = log_mark(&g.a);
    assert_int_equal(download1(&f, &o, NULL), DL_OK);
    assert_file_is_big(dest);
    assert_true(f.requests >= 4);
    struct req *r;
    size_t n = log_reqs(&g.a, mark, (size_t)f.requests + 1, &r);
    assert_int_equal(count_reqs(r, n, "/redirect-http/big.bin", 302), 1);
    assert_int_equal(count_reqs(r, n, "/big.bin", 206), (size_t)f.requests);
    free(r);
    dl_file_clear(&f);
    free(dest);
    free(url);
}

/* Another process holds the part file: refused, its file left alone. */
static void test_locked_part_file(void **state)
{
    (void)state;
    NEED_SERVER();
    char *url = xasprintf("%s/big.bin", g.a.base);
    const char *urls[] = { url };
    char *dest = dest_path("big.bin");
    char *part = with_suffix(dest, PART_SUFFIX);
    int fd = open(part, O_RDWR | O_CREAT, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "keep", 4), 4);
    assert_int_equal(flock(fd, LOCK_EX), 0);
    struct dl_file f = { .urls = urls, .nurls = 1, .dest = dest };
    struct dl_opts o = opts(4);
    assert_int_equal(download1(&f, &o, NULL), DL_FAILED);
    assert_non_null(strstr(f.error, "another process"));
    struct stat sb;
    assert_int_equal(stat(part, &sb), 0);
    assert_int_equal(sb.st_size, 4);
    assert_int_equal(f.requests, 0);
    close(fd);
    unlink(part);
    free(part);
    dl_file_clear(&f);
    free(dest);
    free(url);
}

/* Bad input is refused per file, without a request. */
static void test_bad_input(void **state)
{
    (void)state;
    const char *urls[] = { "http://127.0.0.1:9/x" };
    struct dl_file f[3] = {
        { .urls = urls, .nurls = 1, .dest = "/tmp/x", .sha256 = "abc" },
        { .urls = urls, .nurls = 0, .dest = "/tmp/x" },
        { .urls = urls, .nurls = 1, .dest = "/tmp/dir/" },
    };
    char *err = NULL;
    assert_int_equal(download_run(f, 3, NULL, NULL, &err), DL_FAILED);
    assert_non_null(strstr(f[0].error, "SHA-256"));
    assert_non_null(strstr(f[1].error, "no URL"));
    assert_non_null(strstr(f[2].error, "file name"));
    assert_non_null(strstr(err, "3 of 3"));
    free(err);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f[i].requests, 0);
        dl_file_clear(&f[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multi_connection),
        cmocka_unit_test(test_two_mirrors_share),
        cmocka_unit_test(test_mirror_dies_midway),
        cmocka_unit_test(test_kill_and_resume),
        cmocka_unit_test(test_sigint_leaves_resumable_state),
        cmocka_unit_test(test_changed_validators_start_over),
        cmocka_unit_test(test_slow_mirror_work_stolen),
        cmocka_unit_test(test_corrupt_mirror_deleted),
        cmocka_unit_test(test_md5_only),
        cmocka_unit_test(test_server_ignoring_ranges),
        cmocka_unit_test(test_size_mismatch_between_mirrors),
        cmocka_unit_test(test_wheels_checked),
        cmocka_unit_test(test_all_mirrors_fail),
        cmocka_unit_test(test_redirect_followed_once),
        cmocka_unit_test(test_locked_part_file),
        cmocka_unit_test(test_bad_input),
    };
    if (getenv("TEST_FILTER"))             /* TEST_FILTER=test_kill* runs some */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
