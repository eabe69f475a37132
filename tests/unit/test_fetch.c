/* test_fetch.c — the fetch engine against a real nginx on loopback
 * (tests/lib/nginx-serve) and a dead mirror (tests/lib/blackhole).
 *
 * The group setup builds a mirror tree in a temp dir: repodata.json files of
 * a few channels, compressed by the real bzip2 and zstd tools, with some
 * variants missing on purpose. Every test gets its own cache directory and
 * reads nginx's access log to see which requests really went out. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "fetch.h"
#include "msg.h"
#include "testutil.h"

static struct {
    int ok;                    /* nginx and the tools are there */
    char *tmp, *root, *state, *bhstate, *log;
    int port, bhport;
    char *base;                /* http://127.0.0.1:PORT */
    char *json[3];             /* contents served for all/linux-64, all/noarch, others */
    char *big[4];              /* bodies for the /slow/ overlap test */
    int ncache;
} g;

#define BIG_SIZE 24000         /* /slow/ sends 20 KB/s: about 1.2 s each */

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

/* Run a command, return the first line of its output as a number. */
static int cmd_port(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    int port = -1;
    if (fscanf(p, "%d", &port) != 1)
        port = -1;
    if (pclose(p) != 0)
        return -1;
    return port;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* A repodata.json with n records; salt makes contents differ. */
static char *make_repodata(const char *subdir, int n, int salt)
{
    char *s = xasprintf("{\"info\":{\"subdir\":\"%s\"},\"packages\":{", subdir);
    for (int i = 0; i < n; i++) {
        char *rec = xasprintf(
            "%s\"pytorch-2.3.%d-py3.12_cuda12.1_cudnn8_%d.tar.bz2\":{\"build\":"
            "\"py3.12_cuda12.1_cudnn8_%d\",\"build_number\":%d,\"depends\":"
            "[\"pytorch-cuda >=12.1,<12.2\",\"pytorch-mutex 1.0 cuda\"],\"md5\":"
            "\"%032x\",\"name\":\"pytorch\",\"size\":%d,\"subdir\":\"%s\",\"version\":\"2.3.%d\"}",
            i ? "," : "", i, salt, salt, salt, (unsigned)(i * 2654435761u + (unsigned)salt),
            1000000 + i, subdir, i);
        char *t = xasprintf("%s%s", s, rec);
        free(s);
        free(rec);
        s = t;
    }
    char *t = xasprintf("%s},\"packages.conda\":{},\"repodata_version\":1}", s);
    free(s);
    return t;
}

/* Write ROOT/rel/repodata.json and the compressed variants asked for. */
static void put_repodata(const char *rel, const char *json, int bz2, int zst, int plain)
{
    char *dir = xasprintf("%s/%s", g.root, rel);
    run_cmd("mkdir -p '%s'", dir);
    char *path = xasprintf("%s/repodata.json", dir);
    spit(path, json, strlen(json));
    if (bz2 && run_cmd("bzip2 -k -f '%s'", path) != 0)
        fail_msg("bzip2 failed");
    if (zst && run_cmd("zstd -q -f '%s' -o '%s.zst'", path, path) != 0)
        fail_msg("zstd failed");
    if (!plain)
        unlink(path);
    free(path);
    free(dir);
}

static char *url(const char *path)
{
    return xasprintf("%s/%s", g.base, path);
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

/* The access log written since mark, once it holds at least want requests
 * (nginx writes a line when it finishes a request: wait a little). */
static char *log_since(long mark, int want)
{
    for (int tries = 0;; tries++) {
        FILE *f = fopen(g.log, "r");
        assert_non_null(f);
        fseek(f, mark, SEEK_SET);
        size_t cap = 1 << 16, n = 0, k;
        char *buf = xmalloc(cap);
        while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
            n += k;
            if (n + 1 == cap)
                buf = xrealloc(buf, cap *= 2);
        }
        fclose(f);
        buf[n] = '\0';
        if (count(buf, "\"GET ") >= want || tries >= 40)
            return buf;
        free(buf);
        usleep(50000);
    }
}

/* A request line of the access log: "GET /path HTTP/1.1" STATUS */
static int logged(const char *log, const char *path, int status)
{
    char *needle = xasprintf("\"GET /%s HTTP/1.1\" %d ", path, status);
    int n = count(log, needle);
    free(needle);
    return n;
}

static struct fetch_opts opts_for(const char *cache)
{
    struct fetch_opts o = { .connect_timeout_ms = 2000, .total_timeout_ms = 10000,
                            .cache_dir = cache };
    return o;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
    (void)state;
    char *nginx_serve = xasprintf("%s/tests/lib/nginx-serve",
                                  getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".");
    char *blackhole = xasprintf("%s/tests/lib/blackhole",
                                getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".");
    if (access("/usr/sbin/nginx", X_OK) != 0 && run_cmd("command -v nginx >/dev/null 2>&1") != 0)
        goto out;                                   /* tests skip */
    if (run_cmd("command -v bzip2 >/dev/null && command -v zstd >/dev/null") != 0)
        goto out;

    /* Loopback must not go through a proxy from the environment. */
    static const char *const proxies[] = { "http_proxy", "https_proxy", "HTTP_PROXY",
                                           "HTTPS_PROXY", "ALL_PROXY", "all_proxy" };
    for (size_t i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);

    char tmpl[] = "/tmp/torchshim-fetch-XXXXXX";
    if (!mkdtemp(tmpl))
        goto out;
    g.tmp = xstrdup(tmpl);
    g.root = xasprintf("%s/root", g.tmp);
    g.state = xasprintf("%s/nginx", g.tmp);
    g.bhstate = xasprintf("%s/blackhole", g.tmp);
    g.log = xasprintf("%s/access.log", g.state);
    mkdir(g.root, 0755);

    g.json[0] = make_repodata("linux-64", 40, 1);
    g.json[1] = make_repodata("noarch", 5, 2);
    g.json[2] = make_repodata("linux-64", 12, 3);
    put_repodata("all/linux-64", g.json[0], 1, 1, 1);
    put_repodata("all/noarch", g.json[1], 1, 1, 1);
    put_repodata("bz2only/linux-64", g.json[2], 1, 0, 1);
    put_repodata("bz2only/noarch", g.json[1], 1, 0, 1);
    put_repodata("jsononly/linux-64", g.json[2], 0, 0, 1);
    put_repodata("badzst/linux-64", g.json[2], 1, 0, 1);
    put_repodata("changing/linux-64", g.json[0], 1, 1, 1);
    {   /* a mirror in maintenance: 200 with an HTML page, nothing compressed */
        static const char page[] = "<html><body>Down for maintenance</body></html>\n";
        run_cmd("mkdir -p '%s/maint/linux-64'", g.root);
        char *p = xasprintf("%s/maint/linux-64/repodata.json", g.root);
        spit(p, page, sizeof page - 1);
        free(p);
    }
    char *bad = xasprintf("%s/badzst/linux-64/repodata.json.zst", g.root);
    static const char notzstd[] = "\x28\xb5\x2f\xfd this is not a zstd frame";
    spit(bad, notzstd, sizeof notzstd - 1);
    free(bad);
    run_cmd("mkdir -p '%s/simple/torch'", g.root);
    char *index = xasprintf("%s/simple/torch/index.html", g.root);
    static const char page[] =
        "<!DOCTYPE html><html><body>\n"
        "<a href=\"/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl\">"
        "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl</a><br/>\n</body></html>\n";
    spit(index, page, sizeof page - 1);
    free(index);
    for (int i = 0; i < 4; i++) {
        g.big[i] = xmalloc(BIG_SIZE + 1);
        for (int k = 0; k < BIG_SIZE; k++)
            g.big[i][k] = (char)('a' + (k * 7 + i) % 26);
        g.big[i][BIG_SIZE] = '\0';
        char *p = xasprintf("%s/big%d.txt", g.root, i);
        spit(p, g.big[i], BIG_SIZE);
        free(p);
    }

    char *cmd = xasprintf("'%s' start '%s' '%s'", nginx_serve, g.root, g.state);
    g.port = cmd_port(cmd);
    free(cmd);
    cmd = xasprintf("'%s' start '%s'", blackhole, g.bhstate);
    g.bhport = cmd_port(cmd);
    free(cmd);
    if (g.port <= 0 || g.bhport <= 0) {
        fprintf(stderr, "# cannot start nginx (%d) or blackhole (%d)\n", g.port, g.bhport);
        free(nginx_serve);
        free(blackhole);
        return -1;                                   /* installed but broken: fail */
    }
    g.base = xasprintf("http://127.0.0.1:%d", g.port);
    g.ok = 1;
out:
    free(nginx_serve);
    free(blackhole);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    const char *top = getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".";
    if (g.state)
        run_cmd("'%s/tests/lib/nginx-serve' stop '%s' >/dev/null 2>&1", top, g.state);
    if (g.bhstate)
        run_cmd("'%s/tests/lib/blackhole' stop '%s' >/dev/null 2>&1", top, g.bhstate);
    if (g.tmp)
        nftw(g.tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(g.tmp);
    free(g.root);
    free(g.state);
    free(g.bhstate);
    free(g.log);
    free(g.base);
    for (int i = 0; i < 3; i++)
        free(g.json[i]);
    for (int i = 0; i < 4; i++)
        free(g.big[i]);
    return 0;
}

/* Each test: its own empty cache directory (state). */
static int setup_cache(void **state)
{
    if (!g.ok) {
        *state = NULL;
        return 0;
    }
    *state = xasprintf("%s/cache%d", g.tmp, ++g.ncache);
    return 0;
}

static int teardown_cache(void **state)
{
    free(*state);
    return 0;
}

#define NEED_SERVER() do { if (!g.ok) skip(); } while (0)

/* ---- tests ---- */

/* .zst first; a site without .zst gets .bz2, and the memo makes the next
 * run (and the site's other subdirs) ask for .bz2 straight away. */
static void test_zst_preferred_and_memo(void **state)
{
    NEED_SERVER();
    const char *cache = *state;
    struct fetch_opts o = opts_for(cache);

    char *u1 = url("all/linux-64/repodata.json");
    const char *urls1[] = { u1 };
    struct fetch_job job = { .name = "all/linux-64", .urls = urls1, .nurls = 1,
                             .kind = FETCH_REPODATA };
    long mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_string_equal(job.body, g.json[0]);
    assert_int_equal(job.len, strlen(g.json[0]));
    assert_int_equal(job.http_status, 200);
    assert_false(job.from_cache);
    assert_null(job.error);
    char *want = xasprintf("%s.zst", u1);
    assert_string_equal(job.url_used, want);
    free(want);
    char *log = log_since(mark, 1);
    assert_int_equal(count(log, "\"GET "), 1);
    assert_int_equal(logged(log, "all/linux-64/repodata.json.zst", 200), 1);
    free(log);
    fetch_job_clear(&job);

    /* No .zst here: 404, then .bz2. */
    char *u2 = url("bz2only/linux-64/repodata.json");
    const char *urls2[] = { u2 };
    job.urls = urls2;
    mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_string_equal(job.body, g.json[2]);
    want = xasprintf("%s.bz2", u2);
    assert_string_equal(job.url_used, want);
    free(want);
    log = log_since(mark, 2);
    assert_int_equal(logged(log, "bz2only/linux-64/repodata.json.zst", 404), 1);
    assert_int_equal(logged(log, "bz2only/linux-64/repodata.json.bz2", 200), 1);
    assert_int_equal(count(log, "\"GET "), 2);
    free(log);
    fetch_job_clear(&job);

    /* The memo file knows both sites. */
    char *memo_path = xasprintf("%s/repodata-variants.memo", cache);
    FILE *f = fopen(memo_path, "r");
    assert_non_null(f);
    char memo[4096];
    size_t n = fread(memo, 1, sizeof memo - 1, f);
    memo[n] = '\0';
    fclose(f);
    char *l1 = xasprintf("zst %s/all\n", g.base), *l2 = xasprintf("bz2 %s/bz2only\n", g.base);
    assert_non_null(strstr(memo, l1));
    assert_non_null(strstr(memo, l2));
    free(l1);
    free(l2);
    free(memo_path);

    /* Next run without a cached body: the memo alone sends .bz2 first, for
     * this subdir and for the site's noarch too. */
    assert_int_equal(cache_remove(cache, u2), 0);
    char *u3 = url("bz2only/noarch/repodata.json");
    const char *urls3[] = { u3 };
    struct fetch_job jobs[2] = {
        { .name = "bz2only/linux-64", .urls = urls2, .nurls = 1, .kind = FETCH_REPODATA },
        { .name = "bz2only/noarch", .urls = urls3, .nurls = 1, .kind = FETCH_REPODATA },
    };
    mark = log_size();
    assert_int_equal(fetch_run(jobs, 2, &o), 0);
    assert_string_equal(jobs[0].body, g.json[2]);
    assert_string_equal(jobs[1].body, g.json[1]);
    log = log_since(mark, 2);
    assert_int_equal(count(log, "\"GET "), 2);
    assert_int_equal(count(log, ".zst HTTP"), 0);
    assert_int_equal(logged(log, "bz2only/noarch/repodata.json.bz2", 200), 1);
    free(log);
    fetch_job_clear(&jobs[0]);
    fetch_job_clear(&jobs[1]);
    free(u1);
    free(u2);
    free(u3);
}

/* 404 on .zst and .bz2 falls back to plain .json; 404 on all three fails
 * the mirror and the error names every attempt. */
static void test_fallback_404(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    char *u = url("jsononly/linux-64/repodata.json");
    const char *urls[] = { u };
    struct fetch_job job = { .urls = urls, .nurls = 1, .kind = FETCH_REPODATA };
    long mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_string_equal(job.body, g.json[2]);
    assert_string_equal(job.url_used, u);
    char *log = log_since(mark, 3);
    char *zst = strstr(log, "repodata.json.zst HTTP/1.1\" 404");
    char *bz2 = strstr(log, "repodata.json.bz2 HTTP/1.1\" 404");
    char *json = strstr(log, "repodata.json HTTP/1.1\" 200");
    assert_non_null(zst);
    assert_non_null(bz2);
    assert_non_null(json);
    assert_true(zst < bz2 && bz2 < json);         /* in that order */
    free(log);
    fetch_job_clear(&job);

    char *missing = url("nothing-here/linux-64/repodata.json");
    urls[0] = missing;
    assert_int_equal(fetch_run(&job, 1, &o), -1);
    assert_null(job.body);
    assert_non_null(job.error);
    assert_int_equal(count(job.error, "HTTP 404"), 3);
    assert_non_null(strstr(job.error, "nothing-here/linux-64/repodata.json.zst"));
    assert_non_null(strstr(job.error, "nothing-here/linux-64/repodata.json.bz2"));
    assert_int_equal(job.http_status, 404);
    fetch_job_clear(&job);
    assert_null(job.error);
    free(missing);
    free(u);
}

/* 500 on the first mirror moves to the second at once (no .bz2/.json asked
 * there); a mirror answering 404 to everything costs its three variants. */
static void test_mirror_failover(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");   /* no cache: every case goes out */
    const struct { const char *first; int first_requests; } cases[] = {
        { "status/500/all/linux-64/repodata.json", 1 },
        { "status/404/all/linux-64/repodata.json", 3 },
    };
    char *good = url("all/linux-64/repodata.json");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *bad = url(cases[c].first);
        const char *urls[] = { bad, good };
        struct fetch_job job = { .urls = urls, .nurls = 2, .kind = FETCH_REPODATA };
        long mark = log_size();
        assert_int_equal(fetch_run(&job, 1, &o), 0);
        assert_string_equal(job.body, g.json[0]);
        char *want = xasprintf("%s.zst", good);
        assert_string_equal(job.url_used, want);
        free(want);
        char *log = log_since(mark, cases[c].first_requests + 1);
        const char *prefix = c == 0 ? "GET /status/500/" : "GET /status/404/";
        assert_int_equal(count(log, prefix), cases[c].first_requests);
        assert_int_equal(logged(log, "all/linux-64/repodata.json.zst", 200), 1);
        free(log);
        fetch_job_clear(&job);
        free(bad);
    }
    free(good);
}

/* race = 1: a dead mirror listed first does not delay a good one. */
static void test_race_blackhole(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");   /* no cache: both runs go out */
    o.connect_timeout_ms = 1000;
    o.total_timeout_ms = 3000;
    char *dead = xasprintf("http://127.0.0.1:%d/pytorch/linux-64/repodata.json", g.bhport);
    char *good = url("all/linux-64/repodata.json");
    const char *urls[] = { dead, good };
    struct fetch_job job = { .urls = urls, .nurls = 2, .kind = FETCH_REPODATA, .race = 1 };
    double t0 = now_s();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    double took = now_s() - t0;
    assert_string_equal(job.body, g.json[0]);
    assert_non_null(strstr(job.url_used, good));
    if (took > 1.0 || job.seconds > 1.0)
        fail_msg("race took %.2f s (job %.2f s)", took, job.seconds);
    fetch_job_clear(&job);

    /* race = 0: the dead mirror costs its timeout, no more, then the good one. */
    job.race = 0;
    o.total_timeout_ms = 1500;
    t0 = now_s();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    took = now_s() - t0;
    assert_string_equal(job.body, g.json[0]);
    if (took < 1.3 || took > 4.0)
        fail_msg("in-order fetch took %.2f s, expected about 1.5 s", took);
    assert_non_null(strstr(job.url_used, good));
    fetch_job_clear(&job);
    free(dead);
    free(good);
}

/* The caller's check: a repodata document has "packages". */
static int check_repodata(const char *body, size_t len, const char *u, void *ctx, void **product,
                          char **why)
{
    (void)len;
    (void)u;
    ++*(int *)ctx;
    if (body[0] != '{' || !strstr(body, "\"packages\"")) {
        *why = xstrdup("not repodata");
        return -1;
    }
    *product = xstrdup("checked");
    return 0;
}

/* A mirror answering garbage fast loses the race to a good one answering
 * slowly: the garbage disqualifies that mirror only, the good body wins with
 * the check's product, and nothing of the garbage is cached; the next run
 * takes the good body from the cache without asking anyone. */
static void test_race_bad_body_loses(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    char *bad = url("maint/linux-64/repodata.json"), *good = url("slow/all/linux-64/repodata.json");
    const char *urls[] = { bad, good };
    int checks = 0;
    struct fetch_job job = { .urls = urls, .nurls = 2, .kind = FETCH_REPODATA, .race = 1,
                             .check = check_repodata, .check_ctx = &checks, .product_free = free };
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_string_equal(job.body, g.json[0]);
    assert_non_null(strstr(job.url_used, "/slow/all/"));
    assert_string_equal(job.product, "checked");
    assert_int_equal(checks, 2);
    struct cache_entry e;
    assert_int_equal(cache_lookup(*state, bad, &e), -1);    /* the garbage: never stored */
    assert_int_equal(cache_lookup(*state, good, &e), 0);
    cache_entry_clear(&e);
    fetch_job_clear(&job);

    long mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);            /* fresh in the cache */
    assert_string_equal(job.body, g.json[0]);
    assert_true(job.from_cache);
    assert_null(job.product);                                /* checked when it was stored */
    char *log = log_since(mark, 0);
    assert_int_equal(count(log, "\"GET "), 0);
    free(log);
    fetch_job_clear(&job);

    /* the bad mirror alone: the job fails, saying why */
    const char *only[] = { bad };
    job.urls = only;
    job.nurls = 1;
    assert_int_equal(fetch_run(&job, 1, &o), -1);
    assert_null(job.body);
    assert_non_null(strstr(job.error, "unusable answer: not repodata"));
    fetch_job_clear(&job);
    free(bad);
    free(good);
}

/* A dead mirror alone: an error within the timeout, never a hang. Total
 * timeout, the low-speed abort, and repodata (no variant fallback on a
 * timeout) all bound it. */
static void test_blackhole_alone(void **state)
{
    NEED_SERVER();
    char *dead = xasprintf("http://127.0.0.1:%d/pytorch/linux-64/repodata.json", g.bhport);
    const char *urls[] = { dead };
    const struct {
        int kind;
        long total_ms, low_bytes, low_secs;
        double min, max;
        const char *why;
    } cases[] = {
        { FETCH_RAW, 1500, -1, 0, 1.3, 3.0, "timed out" },
        { FETCH_REPODATA, 1500, -1, 0, 1.3, 3.0, "timed out" },
        { FETCH_RAW, 30000, 1000, 1, 0.8, 3.5, "too slow" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct fetch_opts o = opts_for(*state);
        o.connect_timeout_ms = 1000;
        o.total_timeout_ms = cases[c].total_ms;
        o.low_speed_bytes = cases[c].low_bytes;
        o.low_speed_secs = cases[c].low_secs;
        struct fetch_job job = { .name = "dead", .urls = urls, .nurls = 1, .kind = cases[c].kind };
        double t0 = now_s();
        assert_int_equal(fetch_run(&job, 1, &o), -1);
        double took = now_s() - t0;
        assert_null(job.body);
        assert_non_null(job.error);
        if (!strstr(job.error, cases[c].why))
            fail_msg("case %zu: error \"%s\" lacks \"%s\"", c, job.error, cases[c].why);
        assert_int_equal(count(job.error, "; "), 0);   /* one attempt only */
        if (took < cases[c].min || took > cases[c].max)
            fail_msg("case %zu: took %.2f s", c, took);
        fetch_job_clear(&job);
    }
    free(dead);
}

/* Within the TTL no request at all; after it a conditional request, a 304,
 * and the cached body; the refreshed entry is fresh again. A changed file
 * after the TTL comes back as a 200 with the new body. */
static void test_revalidate_304(void **state)
{
    NEED_SERVER();
    const char *cache = *state;
    struct fetch_opts o = opts_for(cache);
    char *u = url("changing/linux-64/repodata.json");
    const char *urls[] = { u };
    struct fetch_job job = { .urls = urls, .nurls = 1, .kind = FETCH_REPODATA };

    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_false(job.from_cache);
    fetch_job_clear(&job);
    struct cache_entry e;
    assert_int_equal(cache_lookup(cache, u, &e), 0);
    char *etag = xstrdup(e.etag);
    assert_true(strlen(etag) > 2);
    assert_string_equal(e.body, g.json[0]);
    char *src = xasprintf("%s.zst", u);
    assert_string_equal(e.source, src);
    free(src);

    /* Fresh: no network. */
    long mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_true(job.from_cache);
    assert_false(job.revalidated);
    assert_string_equal(job.body, g.json[0]);
    fetch_job_clear(&job);
    usleep(200000);
    assert_int_equal(log_size(), mark);

    /* Age the entry past the TTL. */
    e.fetched -= 3600;
    char *err = NULL;
    assert_int_equal(cache_store(cache, &e, &err), 0);
    cache_entry_clear(&e);
    mark = log_size();
    long long before = (long long)time(NULL);
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_true(job.from_cache);
    assert_true(job.revalidated);
    assert_int_equal(job.http_status, 304);
    assert_string_equal(job.body, g.json[0]);
    char *log = log_since(mark, 1);
    assert_int_equal(count(log, "\"GET "), 1);
    assert_int_equal(logged(log, "changing/linux-64/repodata.json.zst", 304), 1);
    char *inm = xasprintf("inm=%s ", etag);
    assert_non_null(strstr(log, inm));
    free(inm);
    free(log);
    fetch_job_clear(&job);
    assert_int_equal(cache_lookup(cache, u, &e), 0);
    assert_true(e.fetched >= before);
    cache_entry_clear(&e);

    /* ttl < 0: always revalidate. */
    o.ttl_secs = -1;
    mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_true(job.revalidated);
    log = log_since(mark, 1);
    assert_int_equal(logged(log, "changing/linux-64/repodata.json.zst", 304), 1);
    free(log);
    fetch_job_clear(&job);

    /* The mirror publishes a new index: 200, new body, new entry. */
    char *json = make_repodata("linux-64", 7, 9);
    char *path = xasprintf("%s/changing/linux-64/repodata.json", g.root);
    spit(path, json, strlen(json));
    assert_int_equal(run_cmd("zstd -q -f '%s' -o '%s.zst'", path, path), 0);
    mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_false(job.from_cache);
    assert_false(job.revalidated);
    assert_int_equal(job.http_status, 200);
    assert_string_equal(job.body, json);
    log = log_since(mark, 1);
    assert_int_equal(logged(log, "changing/linux-64/repodata.json.zst", 200), 1);
    free(log);
    fetch_job_clear(&job);
    assert_int_equal(cache_lookup(cache, u, &e), 0);
    assert_string_equal(e.body, json);
    assert_string_not_equal(e.etag, etag);
    cache_entry_clear(&e);
    free(path);
    free(json);
    free(etag);
    free(u);
}

/* Several jobs in one run overlap: four transfers of ~1.2 s each through the
 * rate-limited location finish in well under their sum. */
static void test_overlap(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    char *urls_s[4];
    const char *urls[4][1];
    struct fetch_job jobs[4];
    memset(jobs, 0, sizeof jobs);
    for (int i = 0; i < 4; i++) {
        char *p = xasprintf("slow/big%d.txt", i);
        urls_s[i] = url(p);
        free(p);
        urls[i][0] = urls_s[i];
        jobs[i].urls = urls[i];
        jobs[i].nurls = 1;
        jobs[i].kind = FETCH_RAW;
    }
    double t0 = now_s();
    assert_int_equal(fetch_run(jobs, 4, &o), 0);
    double took = now_s() - t0;
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(jobs[i].len, BIG_SIZE);
        assert_string_equal(jobs[i].body, g.big[i]);
        sum += jobs[i].seconds;
        if (jobs[i].seconds < 0.7)
            fail_msg("job %d took %.2f s: not rate limited?", i, jobs[i].seconds);
        fetch_job_clear(&jobs[i]);
        free(urls_s[i]);
    }
    if (took > 0.6 * sum)
        fail_msg("4 jobs took %.2f s in all, %.2f s summed: they did not overlap", took, sum);
}

/* Redirects to http:// are refused unless allow_http. */
static void test_redirect_http(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    char *u = url("redirect-http/all/noarch/repodata.json");
    const char *urls[] = { u };
    struct fetch_job job = { .urls = urls, .nurls = 1, .kind = FETCH_REPODATA };
    long mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), -1);
    assert_non_null(job.error);
    assert_non_null(strstr(job.error, "redirect"));
    char *log = log_since(mark, 1);
    assert_int_equal(count(log, "GET /all/noarch"), 0);   /* never followed */
    assert_int_equal(count(log, "\"GET "), 1);            /* and no other variant */
    free(log);
    fetch_job_clear(&job);

    o.allow_http = 1;
    mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_string_equal(job.body, g.json[1]);
    log = log_since(mark, 2);
    assert_int_equal(logged(log, "redirect-http/all/noarch/repodata.json.zst", 302), 1);
    assert_int_equal(logged(log, "all/noarch/repodata.json.zst", 200), 1);
    free(log);
    fetch_job_clear(&job);
    free(u);
}

/* Offline: the cache at any age, nothing else. A failing mirror with a
 * stale entry: the stale body, with a warning. */
static void test_offline_and_stale(void **state)
{
    NEED_SERVER();
    const char *cache = *state;
    struct fetch_opts o = opts_for(cache);
    char *u = url("all/noarch/repodata.json");
    const char *urls[] = { u };
    struct fetch_job job = { .urls = urls, .nurls = 1, .kind = FETCH_REPODATA };

    o.offline = 1;
    assert_int_equal(fetch_run(&job, 1, &o), -1);
    assert_non_null(strstr(job.error, "offline"));
    fetch_job_clear(&job);

    o.offline = 0;
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    fetch_job_clear(&job);
    struct cache_entry e;
    assert_int_equal(cache_lookup(cache, u, &e), 0);
    e.fetched -= 86400 * 30;
    char *err = NULL;
    assert_int_equal(cache_store(cache, &e, &err), 0);
    cache_entry_clear(&e);
    o.offline = 1;
    long mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_true(job.from_cache);
    assert_string_equal(job.body, g.json[1]);
    fetch_job_clear(&job);
    usleep(200000);
    assert_int_equal(log_size(), mark);

    /* Stale entry for a mirror that now fails. */
    char *broken = url("status/500/old/linux-64/repodata.json");
    struct cache_entry old = { .url = broken, .source = broken, .etag = (char *)"\"x\"",
                               .fetched = (long long)time(NULL) - 7200,
                               .body = g.json[2], .len = strlen(g.json[2]) };
    assert_int_equal(cache_store(cache, &old, &err), 0);
    urls[0] = broken;
    o.offline = 0;
    char errpath[] = "/tmp/torchshim-fetch-stderr-XXXXXX";
    int errfd = mkstemp(errpath);
    assert_true(errfd >= 0);
    int saved = dup(STDERR_FILENO);
    dup2(errfd, STDERR_FILENO);
    int r = fetch_run(&job, 1, &o);
    dup2(saved, STDERR_FILENO);
    close(saved);
    char said[1024] = "";
    ssize_t k = pread(errfd, said, sizeof said - 1, 0);
    said[k > 0 ? k : 0] = '\0';
    close(errfd);
    unlink(errpath);
    assert_int_equal(r, 0);
    assert_non_null(strstr(said, "warning: "));
    assert_non_null(strstr(said, "HTTP 500; using the cached copy from 2 h ago"));
    assert_true(job.from_cache);
    assert_false(job.revalidated);
    assert_int_equal(job.http_status, 500);
    assert_string_equal(job.body, g.json[2]);
    assert_null(job.error);
    fetch_job_clear(&job);
    free(broken);
    free(u);
}

/* A body that does not decode is that variant's failure: the next one of
 * the same mirror is used. */
static void test_bad_body(void **state)
{
    NEED_SERVER();
    struct fetch_opts o = opts_for(*state);
    char *u = url("badzst/linux-64/repodata.json");
    const char *urls[] = { u };
    struct fetch_job job = { .urls = urls, .nurls = 1, .kind = FETCH_REPODATA };
    long mark = log_size();
    assert_int_equal(fetch_run(&job, 1, &o), 0);
    assert_string_equal(job.body, g.json[2]);
    char *want = xasprintf("%s.bz2", u);
    assert_string_equal(job.url_used, want);
    free(want);
    char *log = log_since(mark, 2);
    assert_int_equal(logged(log, "badzst/linux-64/repodata.json.zst", 200), 1);
    assert_int_equal(logged(log, "badzst/linux-64/repodata.json.bz2", 200), 1);
    free(log);
    fetch_job_clear(&job);
    free(u);
}

/* Mixed jobs in one run: raw pages and repodata; a job without URLs fails
 * alone; no cache dir ("") means every run goes to the network. */
static void test_mixed_and_nocache(void **state)
{
    NEED_SERVER();
    (void)state;
    struct fetch_opts o = opts_for("");
    char *page = url("simple/torch/");
    char *rd = url("all/noarch/repodata.json");
    const char *urls_page[] = { page };
    const char *urls_rd[] = { rd };
    struct fetch_job jobs[3] = {
        { .name = "torch page", .urls = urls_page, .nurls = 1, .kind = FETCH_RAW },
        { .name = "noarch", .urls = urls_rd, .nurls = 1, .kind = FETCH_REPODATA },
        { .name = "nothing", .urls = NULL, .nurls = 0 },
    };
    for (int round = 0; round < 2; round++) {
        long mark = log_size();
        assert_int_equal(fetch_run(jobs, 3, &o), -1);
        assert_non_null(strstr(jobs[0].body, "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl"));
        assert_string_equal(jobs[0].url_used, page);
        assert_false(jobs[0].from_cache);
        assert_string_equal(jobs[1].body, g.json[1]);
        assert_false(jobs[1].from_cache);
        assert_null(jobs[2].body);
        assert_non_null(jobs[2].error);
        char *log = log_since(mark, 2);
        assert_int_equal(count(log, "\"GET "), 2);
        free(log);
    }
    for (int i = 0; i < 3; i++)
        fetch_job_clear(&jobs[i]);
    free(page);
    free(rd);
}

/* progress = 1 with stderr on a terminal: one line rewritten with \r and
 * erased at the end; not a terminal: nothing at all. */
static void test_progress(void **state)
{
    NEED_SERVER();
    for (int tty = 1; tty >= 0; tty--) {
        int master = -1, pipefd[2] = { -1, -1 };
        if (tty) {
            master = posix_openpt(O_RDWR | O_NOCTTY);
            assert_true(master >= 0);
            assert_int_equal(grantpt(master), 0);
            assert_int_equal(unlockpt(master), 0);
        } else {
            assert_int_equal(pipe(pipefd), 0);
        }
        char *cache = xasprintf("%s-progress%d", (const char *)*state, tty);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int fd = tty ? open(ptsname(master), O_RDWR | O_NOCTTY) : pipefd[1];
            if (fd < 0)
                _exit(3);
            dup2(fd, STDERR_FILENO);
            char *u = url("slow/big0.txt");
            const char *urls[] = { u };
            struct fetch_job job = { .name = "big0", .urls = urls, .nurls = 1 };
            struct fetch_opts o = opts_for(cache);
            o.progress = 1;
            int r = fetch_run(&job, 1, &o);
            fetch_job_clear(&job);
            free(u);
            _exit(r == 0 ? 0 : 4);
        }
        int rfd = tty ? master : pipefd[0];
        if (!tty)
            close(pipefd[1]);
        char out[8192];
        size_t n = 0;
        for (;;) {
            struct pollfd p = { rfd, POLLIN, 0 };
            if (poll(&p, 1, 200) > 0) {
                ssize_t k = read(rfd, out + n, sizeof out - 1 - n);
                if (k > 0) {
                    n += (size_t)k;
                    continue;
                }
                if (!tty)
                    break;                      /* pipe EOF */
            }
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                assert_true(WIFEXITED(st));
                assert_int_equal(WEXITSTATUS(st), 0);
                pid = 0;
                /* drain what is left */
                while (poll(&p, 1, 100) > 0) {
                    ssize_t k = read(rfd, out + n, sizeof out - 1 - n);
                    if (k <= 0)
                        break;
                    n += (size_t)k;
                }
                break;
            }
        }
        if (pid > 0) {
            int st;
            waitpid(pid, &st, 0);
            assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        }
        out[n] = '\0';
        if (tty) {
            assert_non_null(strstr(out, "\rtorchshim: fetching big0 "));
            assert_non_null(strstr(out, "/23K"));          /* of 24000 bytes */
            size_t el = strlen("\r\033[K");
            assert_true(n >= el);
            assert_memory_equal(out + n - el, "\r\033[K", el);   /* erased at the end */
            assert_null(strchr(out, '\n'));
        } else {
            assert_int_equal(n, 0);
        }
        close(rfd);
        free(cache);
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_cache, teardown_cache)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_zst_preferred_and_memo),
        T(test_fallback_404),
        T(test_mirror_failover),
        T(test_race_blackhole),
        T(test_race_bad_body_loses),
        T(test_blackhole_alone),
        T(test_revalidate_304),
        T(test_overlap),
        T(test_redirect_http),
        T(test_offline_and_stale),
        T(test_bad_body),
        T(test_mixed_and_nocache),
        T(test_progress),
    };
    return cmocka_run_group_tests_name("fetch", tests, group_setup, group_teardown);
}
