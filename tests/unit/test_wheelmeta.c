/* test_wheelmeta.c — reading wheels' METADATA from a real nginx on loopback
 * (tests/lib/nginx-serve: it honours Range; /norange/ ignores it, /slow/
 * sends 20 KB/s, /status/N/ fails, /redirect-http/ redirects to http://).
 *
 * The group setup builds the wheels with tests/fixtures/make-meta-wheels.py
 * (python3's zipfile) and serves them; every test gets its own cache
 * directory and reads nginx's access log (status, body bytes, Range header)
 * to see which requests really went out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "fileio.h"
#include "msg.h"
#include "wheelmeta.h"

static struct {
    int ok;
    char *tmp, *root, *state, *log, *base;
    int port, ncache;
} g;

/* ---- helpers ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL, *err = NULL;
    if (file_read(path, (size_t)64 << 20, &data, len, &err) != 0)
        fail_msg("cannot read %s: %s", path, err ? err : "missing");
    return data;
}

static char *expected(const char *c, const char *what)
{
    size_t n;
    char *path = xasprintf("%s/expected/%s.%s", g.tmp, c, what);
    char *s = slurp(path, &n);
    free(path);
    return s;
}

static long wheel_size(const char *c)
{
    char *s = expected(c, "size");
    long n = atol(s);
    free(s);
    return n;
}

static char *sha(const char *c)
{
    char *hex = expected(c, "sha256");
    char *s = xasprintf("sha256=%s", hex);
    free(hex);
    return s;
}

/* The wheel of case c as served under prefix ("", "norange/", "slow/"),
 * its '+' percent-encoded as index pages have it. */
static char *wheel_url(const char *prefix, const char *c)
{
    char *name = expected(c, "name");
    char *enc = xmalloc(strlen(name) * 3 + 1), *o = enc;
    for (const char *p = name; *p; p++) {
        if (*p == '+')
            o += sprintf(o, "%%2B");
        else
            *o++ = *p;
    }
    *o = '\0';
    char *u = xasprintf("%s/%s%s/%s", g.base, prefix, c, enc);
    free(enc);
    free(name);
    return u;
}

static long log_size(void)
{
    struct stat st;
    return stat(g.log, &st) == 0 ? (long)st.st_size : 0;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The access log since mark, once it holds at least want requests. */
static char *log_since(long mark, int want)
{
    for (int tries = 0;; tries++) {
        size_t n;
        char *all = slurp(g.log, &n);
        char *buf = xstrdup((size_t)mark <= n ? all + mark : "");
        free(all);
        if (count(buf, "\"GET ") >= want || tries >= 40)
            return buf;
        free(buf);
        usleep(50000);
    }
}

struct req {
    char path[512];
    int status;
    long bytes;
    double rt;
    char range[64];
};

/* The requests of a log excerpt, in order. */
static int parse_log(const char *log, struct req *out, int max)
{
    int n = 0;
    for (const char *line = log; *line && n < max;) {
        const char *nl = strchr(line, '\n');
        char *l = xstrndup(line, nl ? (size_t)(nl - line) : strlen(line));
        struct req *r = &out[n];
        const char *get = strstr(l, "\"GET "), *rt = strstr(l, " rt="), *rg = strstr(l, "range=\"");
        if (get && rt && rg &&
            sscanf(get, "\"GET %511s HTTP/1.1\" %d %ld", r->path, &r->status, &r->bytes) == 3) {
            r->rt = atof(rt + 4);
            snprintf(r->range, sizeof r->range, "%.*s", (int)strcspn(rg + 7, "\""), rg + 7);
            n++;
        }
        free(l);
        line = nl ? nl + 1 : line + strlen(line);
    }
    return n;
}

static struct fetch_opts opts_for(const char *cache)
{
    struct fetch_opts o = { .connect_timeout_ms = 2000, .total_timeout_ms = 10000,
                            .cache_dir = cache };
    return o;
}

/* A job's result is the case's real METADATA, read by method. */
static void assert_meta(const struct wheelmeta_job *j, const char *c, int method)
{
    if (!j->metadata)
        fail_msg("%s: no metadata: %s", c, j->error ? j->error : "(no error)");
    char *want = expected(c, "METADATA");
    assert_string_equal(j->metadata, want);
    assert_int_equal(j->len, strlen(want));
    assert_null(j->error);
    if (j->method != method)
        fail_msg("%s: method %s, want %s", c, wheelmeta_method_name(j->method),
                 wheelmeta_method_name(method));
    assert_int_equal(j->from_cache, method == WHEELMETA_CACHE);
    free(want);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
    (void)state;
    const char *top = getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".";
    if (access("/usr/sbin/nginx", X_OK) != 0 && system("command -v nginx >/dev/null 2>&1") != 0)
        return 0;                                    /* tests skip */
    static const char *const proxies[] = { "http_proxy", "https_proxy", "HTTP_PROXY",
                                           "HTTPS_PROXY", "ALL_PROXY", "all_proxy" };
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    char tmpl[] = "/tmp/torchshim-wheelmeta-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    g.tmp = xstrdup(tmpl);
    g.root = xasprintf("%s/root", g.tmp);
    g.state = xasprintf("%s/nginx", g.tmp);
    g.log = xasprintf("%s/access.log", g.state);
    char *cmd = xasprintf("python3 '%s/tests/fixtures/make-meta-wheels.py' '%s'", top, g.tmp);
    int r = system(cmd);
    free(cmd);
    if (r != 0)
        return -1;
    cmd = xasprintf("'%s/tests/lib/nginx-serve' start '%s' '%s'", top, g.root, g.state);
    FILE *p = popen(cmd, "r");
    free(cmd);
    if (!p || fscanf(p, "%d", &g.port) != 1 || pclose(p) != 0 || g.port <= 0) {
        fprintf(stderr, "# cannot start nginx\n");
        return -1;
    }
    g.base = xasprintf("http://127.0.0.1:%d", g.port);
    g.ok = 1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    const char *top = getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".";
    if (g.state) {
        char *cmd = xasprintf("'%s/tests/lib/nginx-serve' stop '%s' >/dev/null 2>&1", top,
                              g.state);
        if (system(cmd) != 0)
            fprintf(stderr, "# nginx-serve stop failed\n");
        free(cmd);
    }
    if (g.tmp)
        nftw(g.tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(g.tmp);
    free(g.root);
    free(g.state);
    free(g.log);
    free(g.base);
    return 0;
}

static int setup_cache(void **state)
{
    *state = g.ok ? xasprintf("%s/cache%d", g.tmp, ++g.ncache) : NULL;
    return 0;
}

static int teardown_cache(void **state)
{
    free(*state);
    return 0;
}

#define NEED_SERVER() do { if (!g.ok) skip(); } while (0)

/* ---- tests ---- */

/* Advertised and present: one GET of <wheel>.metadata, no Range, hash checked. */
static void test_pep658(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    char *u = wheel_url("", "plain"), *h = sha("plain");
    struct wheelmeta_job j = { .url = u, .has_metadata = 1, .metadata_hash = h };
    long mark = log_size();
    assert_int_equal(wheelmeta_run(&j, 1, &o), 0);
    assert_meta(&j, "plain", WHEELMETA_PEP658);
    assert_int_equal(j.requests, 1);
    assert_int_equal(j.http_status, 200);
    assert_false(j.range_ignored);
    assert_null(j.pep658_error);
    char *log = log_since(mark, 1);
    struct req r[8];
    assert_int_equal(parse_log(log, r, 8), 1);
    assert_non_null(strstr(r[0].path, "/plain/torchvision-0.20.1%2Bcu124-"));
    assert_non_null(strstr(r[0].path, ".whl.metadata"));
    assert_int_equal(r[0].status, 200);
    assert_string_equal(r[0].range, "-");
    free(log);
    wheelmeta_job_clear(&j);
    assert_null(j.metadata);
    free(u);
    free(h);
}

/* No metadata file advertised: range requests, a few KB of big files. */
static void test_range(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");          /* no cache: every case goes out */
    static const struct {
        const char *c;
        unsigned requests;
        long max_bytes;
    } cases[] = {
        { "front", 2, 72 << 10 },      /* tail (directory), then the member */
        { "stored", 2, 72 << 10 },     /* method 0 */
        { "zip64", 2, 72 << 10 },      /* ZIP64 end record and extra field */
        { "nested", 1, 16 << 10 },     /* a small wheel: the tail is all of it */
        { "manyfiles", 3, 245 << 10 }, /* tail, the rest of the directory (~240 KB
                                          in all), the member */
        { "twodist", 1, 16 << 10 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *u = wheel_url("", cases[i].c);
        struct wheelmeta_job j = { .url = u };
        long mark = log_size();
        assert_int_equal(wheelmeta_run(&j, 1, &o), 0);
        assert_meta(&j, cases[i].c, WHEELMETA_RANGE);
        assert_int_equal(j.requests, cases[i].requests);
        assert_false(j.range_ignored);
        char *log = log_since(mark, (int)cases[i].requests);
        struct req r[8];
        int n = parse_log(log, r, 8);
        assert_int_equal(n, (int)cases[i].requests);
        long sum = 0;
        for (int k = 0; k < n; k++) {
            assert_int_equal(r[k].status, 206);
            assert_null(strstr(r[k].path, ".metadata"));
            sum += r[k].bytes;
        }
        assert_string_equal(r[0].range, "bytes=-65536");
        if (n > 1)
            assert_int_equal(strncmp(r[1].range, "bytes=", 6), 0);
        assert_int_equal((unsigned long long)sum, j.bytes);
        if (sum > cases[i].max_bytes || (n > 1 && sum >= wheel_size(cases[i].c)))
            fail_msg("%s: %ld bytes read of a %ld-byte file", cases[i].c, sum,
                     wheel_size(cases[i].c));
        free(log);
        wheelmeta_job_clear(&j);
        free(u);
    }
}

/* Advertised but absent (404), tampered (hash mismatch), not metadata at all
 * (an HTML page), or a digest we cannot check: the range method instead. */
static void test_pep658_fallback(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");
    char *real = sha("plain"), *front = sha("front");
    const struct {
        const char *c, *hash, *why;
        int meta_status;
    } cases[] = {
        { "front", front, "HTTP 404", 404 },
        { "badmeta", real, "sha256 mismatch: the file has ", 200 },
        { "htmlmeta", NULL, "not a core metadata file", 200 },
        { "plain", "nosuchdigest=00ff", "cannot check a nosuchdigest digest", 200 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *u = wheel_url("", cases[i].c);
        struct wheelmeta_job j = { .url = u, .has_metadata = 1, .metadata_hash = cases[i].hash };
        long mark = log_size();
        assert_int_equal(wheelmeta_run(&j, 1, &o), 0);
        assert_meta(&j, cases[i].c, WHEELMETA_RANGE);
        if (!j.pep658_error || !strstr(j.pep658_error, cases[i].why))
            fail_msg("%s: pep658_error '%s', want '%s'", cases[i].c, j.pep658_error,
                     cases[i].why);
        char *log = log_since(mark, (int)j.requests);
        struct req r[8];
        int n = parse_log(log, r, 8);
        assert_int_equal(n, (int)j.requests);
        assert_true(n >= 2);
        assert_non_null(strstr(r[0].path, ".whl.metadata"));
        assert_int_equal(r[0].status, cases[i].meta_status);
        assert_string_equal(r[1].range, "bytes=-65536");
        free(log);
        wheelmeta_job_clear(&j);
        free(u);
    }
    free(real);
    free(front);
}

/* A server that ignores Range: a 16 MiB file is cut off at once and the
 * wheel fails; a small one is read whole. */
static void test_norange(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");
    char *big = wheel_url("norange/", "bigfile"), *small = wheel_url("norange/", "plain");
    struct wheelmeta_job j[2] = { { .url = big }, { .url = small } };
    long mark = log_size();
    assert_int_equal(wheelmeta_run(j, 2, &o), -1);
    assert_null(j[0].metadata);
    assert_non_null(j[0].error);
    assert_non_null(strstr(j[0].error, "the server ignores range requests"));
    assert_true(j[0].range_ignored);
    assert_int_equal(j[0].requests, 1);
    assert_int_equal(j[0].http_status, 200);
    assert_true(j[0].bytes <= WHEELMETA_MAX_WHOLE);
    assert_meta(&j[1], "plain", WHEELMETA_RANGE);
    assert_true(j[1].range_ignored);
    assert_int_equal(j[1].requests, 1);

    char *log = log_since(mark, 2);
    struct req r[8];
    assert_int_equal(parse_log(log, r, 8), 2);
    for (int k = 0; k < 2; k++) {
        assert_int_equal(r[k].status, 200);
        assert_string_equal(r[k].range, "bytes=-65536");
        if (strstr(r[k].path, "bigfile") && r[k].bytes >= wheel_size("bigfile"))
            fail_msg("nginx sent all %ld bytes of the big file", r[k].bytes);
    }
    free(log);
    wheelmeta_job_clear(&j[0]);
    wheelmeta_job_clear(&j[1]);
    free(big);
    free(small);
}

/* Random bytes and a cut-off wheel: errors, and nothing is cached. */
static void test_bad_archives(void **state)
{
    NEED_SERVER();
    const char *cache = *state;
    struct fetch_opts o = opts_for(cache);
    char *u1 = wheel_url("", "garbage"), *u2 = wheel_url("", "truncated");
    struct wheelmeta_job j[2] = { { .url = u1 }, { .url = u2 } };
    for (int run = 0; run < 2; run++) {
        long mark = log_size();
        assert_int_equal(wheelmeta_run(j, 2, &o), -1);
        for (int k = 0; k < 2; k++) {
            assert_null(j[k].metadata);
            assert_int_equal(j[k].method, WHEELMETA_NONE);
            assert_non_null(j[k].error);
            assert_non_null(strstr(j[k].error, "no end of central directory record"));
            assert_int_equal(j[k].requests, 1);
        }
        char *log = log_since(mark, 2);
        assert_int_equal(count(log, "\"GET "), 2);   /* the second run asks again */
        free(log);
    }
    struct cache_info ci;
    char *err = NULL;
    assert_int_equal(cache_info(cache, &ci, &err), 0);
    assert_int_equal(ci.nblob, 0);
    cache_info_clear(&ci);
    wheelmeta_job_clear(&j[0]);
    wheelmeta_job_clear(&j[1]);
    free(u1);
    free(u2);
}

/* A second run asks nothing; the validator (the wheel's hash) keys the
 * entry; offline uses the cache only; cache_dir "" has none. */
static void test_cache(void **state)
{
    NEED_SERVER();
    const char *cache = *state;
    struct fetch_opts o = opts_for(cache);
    const char *cases[] = { "plain", "front", "zip64" };
    char *u[3], *h = sha("plain");
    struct wheelmeta_job j[3];
    memset(j, 0, sizeof j);
    for (int k = 0; k < 3; k++) {
        u[k] = wheel_url("", cases[k]);
        j[k].url = u[k];
        j[k].wheel_hash = k == 0 ? "sha256=aaaa" : NULL;
    }
    j[0].has_metadata = 1;
    j[0].metadata_hash = h;
    long mark = log_size();
    assert_int_equal(wheelmeta_run(j, 3, &o), 0);
    assert_meta(&j[0], "plain", WHEELMETA_PEP658);
    assert_meta(&j[1], "front", WHEELMETA_RANGE);
    assert_meta(&j[2], "zip64", WHEELMETA_RANGE);
    free(log_since(mark, 5));                     /* the first run's lines are all in */

    mark = log_size();
    assert_int_equal(wheelmeta_run(j, 3, &o), 0);
    for (int k = 0; k < 3; k++) {
        assert_meta(&j[k], cases[k], WHEELMETA_CACHE);
        assert_int_equal(j[k].requests, 0);
        assert_int_equal(j[k].bytes, 0);
    }
    usleep(300000);
    assert_int_equal(log_size(), mark);           /* not one request */

    j[0].wheel_hash = "sha256=bbbb";              /* another file under that URL */
    assert_int_equal(wheelmeta_run(j, 3, &o), 0);
    assert_meta(&j[0], "plain", WHEELMETA_PEP658);
    assert_int_equal(j[0].requests, 1);
    assert_meta(&j[1], "front", WHEELMETA_CACHE);

    mark = log_size();
    o.offline = 1;
    assert_int_equal(wheelmeta_run(j, 3, &o), 0);
    for (int k = 0; k < 3; k++)
        assert_meta(&j[k], cases[k], WHEELMETA_CACHE);
    char *empty = xasprintf("%s-empty", cache);
    o.cache_dir = empty;
    assert_int_equal(wheelmeta_run(j, 3, &o), -1);
    for (int k = 0; k < 3; k++) {
        assert_null(j[k].metadata);
        assert_non_null(strstr(j[k].error, "not in the cache"));
        assert_int_equal(j[k].requests, 0);
    }
    usleep(300000);
    assert_int_equal(log_size(), mark);

    o.offline = 0;
    o.cache_dir = "";                             /* no cache: out again */
    assert_int_equal(wheelmeta_run(j, 3, &o), 0);
    assert_meta(&j[1], "front", WHEELMETA_RANGE);
    assert_int_equal(j[1].requests, 2);
    for (int k = 0; k < 3; k++) {
        wheelmeta_job_clear(&j[k]);
        free(u[k]);
    }
    free(empty);
    free(h);
}

/* 24 wheels in one run, half of them with a metadata file. */
static void test_many(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    enum { N = 24 };
    struct wheelmeta_job j[N];
    char *u[N], *h[N], c[N][16];
    memset(j, 0, sizeof j);
    for (int k = 0; k < N; k++) {
        snprintf(c[k], sizeof c[k], "many%02d", k);
        u[k] = wheel_url("", c[k]);
        h[k] = sha(c[k]);
        j[k].url = u[k];
        j[k].has_metadata = k % 2 == 0;
        j[k].metadata_hash = k % 2 == 0 ? h[k] : NULL;
    }
    long mark = log_size();
    assert_int_equal(wheelmeta_run(j, N, &o), 0);
    for (int k = 0; k < N; k++) {
        assert_meta(&j[k], c[k], k % 2 == 0 ? WHEELMETA_PEP658 : WHEELMETA_RANGE);
        assert_int_equal(j[k].requests, 1);
    }
    char *log = log_since(mark, N);
    /* only this test's wheels: a request of the test before may be logged late */
    assert_int_equal(count(log, "\"GET /many") - count(log, "\"GET /manyfiles"), N);
    assert_int_equal(count(log, "-py3-none-any.whl.metadata HTTP/1.1\" 200 "), N / 2);
    assert_int_equal(count(log, "-py3-none-any.whl HTTP/1.1\" 206 "), N / 2);
    free(log);
    for (int k = 0; k < N; k++) {
        wheelmeta_job_clear(&j[k]);
        free(u[k]);
        free(h[k]);
    }
}

/* Six wheels through /slow/ (about a second each): in flight together. */
static void test_concurrent(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");
    enum { N = 6 };
    struct wheelmeta_job j[N];
    char *u[N], c[N][16];
    memset(j, 0, sizeof j);
    for (int k = 0; k < N; k++) {
        snprintf(c[k], sizeof c[k], "slow%02d", k);
        u[k] = wheel_url("slow/", c[k]);
        j[k].url = u[k];
    }
    long mark = log_size();
    double t0 = now_s();
    assert_int_equal(wheelmeta_run(j, N, &o), 0);
    double took = now_s() - t0;
    char *log = log_since(mark, N);
    struct req r[N + 2];
    assert_int_equal(parse_log(log, r, N + 2), N);
    double sum = 0;
    for (int k = 0; k < N; k++) {
        assert_meta(&j[k], c[k], WHEELMETA_RANGE);
        assert_int_equal(r[k].status, 206);
        assert_true(r[k].rt >= 0.5);
        sum += r[k].rt;
    }
    if (took > sum / 2 || took > 4.0)
        fail_msg("%d slow wheels took %.2f s; their requests %.2f s in all", N, took, sum);
    free(log);
    for (int k = 0; k < N; k++) {
        wheelmeta_job_clear(&j[k]);
        free(u[k]);
    }
}

/* A port nobody listens on. */
static int dead_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    assert_true(s >= 0);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* Connection refused for two wheels (one with a metadata file: no range
 * attempt after it) while the others are read. */
static void test_dead_port(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    int port = dead_port();
    char *d1 = xasprintf("http://127.0.0.1:%d/whl/torchvision-0.20.1-py3-none-any.whl", port);
    char *d2 = xasprintf("http://127.0.0.1:%d/whl/torchaudio-2.5.1-py3-none-any.whl", port);
    char *u1 = wheel_url("", "front"), *u2 = wheel_url("", "stored");
    struct wheelmeta_job j[4] = {
        { .url = d1 }, { .url = u1 }, { .url = d2, .has_metadata = 1 }, { .url = u2 },
    };
    assert_int_equal(wheelmeta_run(j, 4, &o), -1);
    for (int k = 0; k < 4; k += 2) {
        assert_null(j[k].metadata);
        assert_non_null(j[k].error);
        if (!strstr(j[k].error, "onnect"))
            fail_msg("dead port: '%s'", j[k].error);
        assert_int_equal(j[k].requests, 1);
    }
    assert_non_null(strstr(j[2].error, "torchaudio-2.5.1-py3-none-any.whl.metadata: "));
    assert_meta(&j[1], "front", WHEELMETA_RANGE);
    assert_meta(&j[3], "stored", WHEELMETA_RANGE);
    for (int k = 0; k < 4; k++)
        wheelmeta_job_clear(&j[k]);
    free(d1);
    free(d2);
    free(u1);
    free(u2);
}

/* HTTP errors, and a redirect to http:// (refused unless allow_http). */
static void test_http_errors(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");
    char *e404 = wheel_url("status/404/", "plain"), *e500 = wheel_url("status/500/", "plain");
    char *redir = wheel_url("redirect-http/", "plain");
    struct wheelmeta_job j[3] = { { .url = e404 }, { .url = e500 }, { .url = redir } };
    assert_int_equal(wheelmeta_run(j, 3, &o), -1);
    assert_non_null(strstr(j[0].error, "HTTP 404"));
    assert_int_equal(j[0].http_status, 404);
    assert_non_null(strstr(j[1].error, "HTTP 500"));
    assert_non_null(strstr(j[2].error, "redirect to a non-https URL refused"));
    for (int k = 0; k < 3; k++)
        assert_null(j[k].metadata);

    o.allow_http = 1;
    assert_int_equal(wheelmeta_run(&j[2], 1, &o), 0);
    assert_meta(&j[2], "plain", WHEELMETA_RANGE);
    for (int k = 0; k < 3; k++)
        wheelmeta_job_clear(&j[k]);
    free(e404);
    free(e500);
    free(redir);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_cache, teardown_cache)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_pep658),
        T(test_range),
        T(test_pep658_fallback),
        T(test_norange),
        T(test_bad_archives),
        T(test_cache),
        T(test_many),
        T(test_concurrent),
        T(test_dead_port),
        T(test_http_errors),
    };
    return cmocka_run_group_tests_name("wheelmeta", tests, group_setup, group_teardown);
}
