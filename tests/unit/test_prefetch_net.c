/* test_prefetch_net.c — the size probe (sizeprobe.h) and prefetch_files()
 * (prefetch.h) against a real nginx on loopback (tests/lib/nginx-serve):
 * its /norange/ and /status/404/ locations and its access log, which shows
 * the requests that really went out (Range header included). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "msg.h"
#include "prefetch.h"
#include "sizeprobe.h"
#include "verify.h"
#include "testutil.h"

#define WHEEL "big-1.0-py3-none-any.whl"

static struct {
    int ok;
    char *tmp, *top, *root, *state, *log, *base;
    char sha[65];
    long long size;
} g;

/* How many access-log lines contain NEEDLE (nginx writes a line when a
 * request ends: wait a little for WANT of them). */
static int log_count(const char *needle, int want)
{
    for (int tries = 0;; tries++) {
        char *text = NULL;
        int n = 0;
        if (file_read(g.log, (size_t)1 << 24, &text, NULL, NULL) == 0)
            for (const char *p = text; (p = strstr(p, needle)); p++)
                n++;
        free(text);
        if (n >= want || tries >= 20)
            return n;
        usleep(50000);
    }
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int group_setup(void **state)
{
    (void)state;
    g.top = xstrdup(getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".");
    if (access("/usr/sbin/nginx", X_OK) != 0 || run_cmd("command -v python3 >/dev/null") != 0)
        return 0;  /* the tests skip */
    static const char *const proxies[] = { "http_proxy", "https_proxy", "HTTP_PROXY",
                                           "HTTPS_PROXY", "ALL_PROXY", "all_proxy" };
    for (size_t i = 0; i < sizeof proxies / sizeof *proxies; i++)
        unsetenv(proxies[i]);
    char tmpl[] = "/tmp/torchshim-prefetch-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    g.tmp = xstrdup(tmpl);
    g.root = xasprintf("%s/root", g.tmp);
    g.state = xasprintf("%s/nginx", g.tmp);
    g.log = xasprintf("%s/access.log", g.state);
    mkdir(g.root, 0755);
    /* a 3 MiB wheel: a stored member of pseudo-random bytes and METADATA */
    if (run_cmd("python3 -c \"import zipfile, random, sys\n"
                "r = random.Random(7)\n"
                "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
                "    z.writestr('big/blob.bin', r.randbytes(3 << 20))\n"
                "    z.writestr('big-1.0.dist-info/METADATA', 'Name: big\\\\nVersion: 1.0\\\\n')\n"
                "\" '%s/" WHEEL "'", g.root))
        return -1;
    char *path = xasprintf("%s/" WHEEL, g.root);
    struct stat st;
    struct dl_hash h;
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) || dl_hash_init(&h, 0, NULL) ||
        dl_hash_file(&h, fd, 0, st.st_size, NULL))
        return -1;
    dl_hash_final(&h, g.sha, NULL);
    dl_hash_free(&h);
    close(fd);
    free(path);
    g.size = st.st_size;
    char *cmd = xasprintf("'%s/tests/lib/nginx-serve' start '%s' '%s'", g.top, g.root, g.state);
    FILE *p = popen(cmd, "r");
    int port = -1;
    free(cmd);
    if (!p || fscanf(p, "%d", &port) != 1 || pclose(p) != 0 || port <= 0)
        return -1;  /* installed but broken: fail */
    g.base = xasprintf("http://127.0.0.1:%d", port);
    g.ok = 1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g.state)
        run_cmd("'%s/tests/lib/nginx-serve' stop '%s' >/dev/null 2>&1", g.top, g.state);
    if (g.tmp)
        nftw(g.tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(g.tmp);
    free(g.top);
    free(g.root);
    free(g.state);
    free(g.log);
    free(g.base);
    return 0;
}

#define NEED_NGINX()                                                                      \
    do {                                                                                  \
        if (!g.ok)                                                                        \
            skip();                                                                       \
    } while (0)

static void test_content_range(void **state)
{
    (void)state;
    assert_int_equal(size_probe_content_range_total("bytes 0-0/1234"), 1234);
    assert_int_equal(size_probe_content_range_total(" bytes 0-0/2621440000\r\n"), 2621440000LL);
    assert_int_equal(size_probe_content_range_total("bytes 0-0/*"), -1);
    assert_int_equal(size_probe_content_range_total("items 0-0/5"), -1);
    assert_int_equal(size_probe_content_range_total("bytes 0-0/12x"), -1);
}

static void test_probe(void **state)
{
    (void)state;
    NEED_NGINX();
    char *u[4] = { xasprintf("%s/" WHEEL, g.base), xasprintf("%s/norange/" WHEEL, g.base),
                   xasprintf("%s/status/404/" WHEEL, g.base),
                   xstrdup("http://127.0.0.1:9/closed/" WHEEL) };
    struct size_probe p[4];
    memset(p, 0, sizeof p);
    for (int i = 0; i < 4; i++)
        p[i].url = u[i];
    struct fetch_opts o = { .connect_timeout_ms = 1000, .total_timeout_ms = 5000 };
    assert_int_equal(size_probe_run(p, 4, &o), 2);
    assert_int_equal(p[0].size, g.size);
    assert_true(p[0].ranges);                /* Accept-Ranges: bytes */
    assert_int_equal(p[0].status, 200);
    assert_null(p[0].error);
    assert_int_equal(p[1].size, g.size);
    assert_false(p[1].ranges);
    assert_int_equal(p[1].status, 200);
    assert_int_equal(p[2].size, -1);
    assert_int_equal(p[2].status, 404);
    assert_non_null(p[2].error);
    assert_int_equal(p[3].size, -1);
    assert_non_null(p[3].error);
    /* HEAD requests: no body sent */
    assert_int_equal(log_count("\"HEAD /" WHEEL " HTTP/1.1\" 200 0 ", 1), 1);
    assert_int_equal(log_count("\"HEAD /norange/" WHEEL " HTTP/1.1\" 200 0 ", 1), 1);
    assert_int_equal(log_count("\"GET /", 0), 0);
    for (int i = 0; i < 4; i++) {
        size_probe_clear(&p[i]);
        free(u[i]);
    }
    o.offline = 1;
    p[0].url = "http://127.0.0.1:9/x";
    assert_int_equal(size_probe_run(p, 1, &o), 0);
    assert_non_null(p[0].error);
    size_probe_clear(&p[0]);
}

/* A server that refuses HEAD (405) and ignores ranges (python3's
 * http.server): the probe falls back to a GET of byte 0, takes the size
 * from the 200's Content-Length and stops at its first body byte. */
static void test_probe_head_refused(void **state)
{
    (void)state;
    NEED_NGINX();
    char *pidf = xasprintf("%s/py.pid", g.tmp), *portf = xasprintf("%s/py.port", g.tmp);
    int r = run_cmd("cd '%s' && python3 -c '\n"
                    "import http.server, sys\n"
                    "class H(http.server.SimpleHTTPRequestHandler):\n"
                    "    def do_HEAD(self): self.send_error(405)\n"
                    "    def log_message(self, *a): pass\n"
                    "s = http.server.ThreadingHTTPServer((\"127.0.0.1\", 0), H)\n"
                    "open(sys.argv[1], \"w\").write(str(s.server_address[1]))\n"
                    "s.serve_forever()' '%s' >/dev/null 2>&1 & echo $! >'%s'",
                    g.root, portf, pidf);
    assert_int_equal(r, 0);
    char *text = NULL;
    for (int i = 0; i < 100 && file_read(portf, 64, &text, NULL, NULL) != 0; i++)
        usleep(50000);
    assert_non_null(text);
    char *url = xasprintf("http://127.0.0.1:%s/" WHEEL, text);
    struct size_probe p = { .url = url };
    assert_int_equal(size_probe_run(&p, 1, NULL), 1);
    assert_int_equal(p.size, g.size);
    assert_false(p.ranges);
    assert_int_equal(p.status, 200);
    size_probe_clear(&p);
    run_cmd("kill $(cat '%s')", pidf);
    free(url);
    free(text);
    free(pidf);
    free(portf);
}

static int hook_calls;
static void hook(void *ctx)
{
    (void)ctx;
    hook_calls++;
}

/* Downloaded over several ranged requests, verified, stamped; the second
 * time taken as it is, without a request and without the hook. */
static void test_download_then_reuse(void **state)
{
    (void)state;
    NEED_NGINX();
    char *url = xasprintf("%s/" WHEEL, g.base), *err = NULL;
    char *dir = xasprintf("%s/store", g.tmp), *stamps = xasprintf("%s/.verified", dir);
    char *dest = xasprintf("%s/" WHEEL, dir), *stamp = xasprintf("%s/" WHEEL, stamps);
    const char *urls[] = { url };
    struct prefetch_item it = { .urls = urls, .nurls = 1, .dest = dest, .sha256 = g.sha };
    struct fetch_opts fo = { .connect_timeout_ms = 2000 };
    struct prefetch_opts o = { .connections = 4, .fetch = &fo, .quiet = 1, .stamp_dir = stamps,
                               .before_download = hook };
    int signo = -1, before = log_count("GET /" WHEEL " ", 0);
    int before_ranged = log_count("range=\"bytes=", 0);
    hook_calls = 0;
    assert_int_equal(prefetch_files(&it, 1, &o, &signo, &err), PREFETCH_OK);
    assert_true(it.ok);
    assert_false(it.reused);
    assert_int_equal(signo, 0);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(it.bytes, g.size);
    assert_string_equal(it.sha256_got, g.sha);
    assert_true(it.requests >= 3);
    struct stat st;
    assert_int_equal(stat(stamp, &st), 0);
    int ranged = log_count("range=\"bytes=", before_ranged + it.requests) - before_ranged;
    assert_int_equal(ranged, it.requests);  /* every request of the download was ranged */
    int after = log_count("GET /" WHEEL " ", before + it.requests);
    prefetch_item_clear(&it);

    assert_int_equal(prefetch_files(&it, 1, &o, &signo, &err), PREFETCH_OK);
    assert_true(it.ok && it.reused);
    assert_int_equal(hook_calls, 1);
    usleep(200000);
    assert_int_equal(log_count("GET /" WHEEL " ", 0), after);
    prefetch_item_clear(&it);
    free(url);
    free(dir);
    free(stamps);
    free(dest);
    free(stamp);
}

/* A digest the mirror's file does not have: the download is deleted, never
 * put in place. */
static void test_mismatch(void **state)
{
    (void)state;
    NEED_NGINX();
    char *url = xasprintf("%s/" WHEEL, g.base), *err = NULL;
    char *dest = xasprintf("%s/bad/" WHEEL, g.tmp);
    const char *urls[] = { url };
    struct prefetch_item it = { .urls = urls, .nurls = 1, .dest = dest,
                                .sha256 = "0000000000000000000000000000000000000000000000000000000000000000" };
    struct prefetch_opts o = { .quiet = 1 };
    int signo;
    assert_int_equal(prefetch_files(&it, 1, &o, &signo, &err), PREFETCH_FAILED);
    assert_false(it.ok);
    assert_non_null(strstr(it.error, "SHA-256"));
    assert_non_null(err);
    assert_int_equal(access(dest, F_OK), -1);
    char *part = xasprintf("%s.part", dest);
    assert_int_equal(access(part, F_OK), -1);
    free(part);
    free(err);
    prefetch_item_clear(&it);
    free(url);
    free(dest);
}

int main(void)
{
    msg_init_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_range),
        cmocka_unit_test(test_probe),
        cmocka_unit_test(test_probe_head_refused),
        cmocka_unit_test(test_download_then_reuse),
        cmocka_unit_test(test_mismatch),
    };
    return cmocka_run_group_tests_name("prefetch_net", tests, group_setup, group_teardown);
}
