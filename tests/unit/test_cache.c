/* test_cache.c — the on-disk cache: location, atomic writes, TTL, damage
 * detection, blobs, concurrent writers (fork), info and clean. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "fileio.h"
#include "msg.h"

/* ---- helpers ---- */

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup_tmp(void **state)
{
    char tmpl[] = "/tmp/torchshim-cache-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d)
        return -1;
    /* The cache itself is two levels below: it must create them. */
    *state = xasprintf("%s/deeper/cache", d);
    return 0;
}

static int teardown_tmp(void **state)
{
    char *dir = *state;
    char *top = xstrdup(dir);
    *strstr(top, "/deeper") = '\0';
    nftw(top, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(top);
    free(dir);
    return 0;
}

static char *entry_file(const char *dir, const char *sub, const char *key)
{
    char sum[CACHE_SUM_HEX + 1];
    cache_checksum(key, strlen(key), sum);
    return xasprintf("%s/%s/%s", dir, sub, sum);
}

static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    fstat(fd, &st);
    char *buf = xmalloc((size_t)st.st_size + 1);
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    close(fd);
    assert_int_equal(n, st.st_size);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static void spit(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* Number of leftover temporary files in dir/sub. */
static int count_temps(const char *dir, const char *sub)
{
    char *p = xasprintf("%s/%s", dir, sub);
    DIR *d = opendir(p);
    free(p);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strstr(de->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

static void store(const char *dir, const char *url, const char *source, const char *etag,
                  const char *lm, long long fetched, const void *body, size_t len)
{
    struct cache_entry e = {
        .url = (char *)url, .source = (char *)source, .etag = (char *)etag,
        .last_modified = (char *)lm, .fetched = fetched, .body = (char *)body, .len = len,
    };
    char *err = NULL;
    if (cache_store(dir, &e, &err) != 0)
        fail_msg("cache_store %s: %s", url, err);
    char sum[CACHE_SUM_HEX + 1];
    cache_checksum(body, len, sum);
    assert_string_equal(e.sum, sum);
}

/* ---- tests ---- */

static void test_dir_default(void **state)
{
    (void)state;
    static const char *const vars[] = { "TORCHSHIM_CACHE_DIR", "XDG_CACHE_HOME", "HOME" };
    char *saved[3];
    for (int i = 0; i < 3; i++)
        saved[i] = getenv(vars[i]) ? xstrdup(getenv(vars[i])) : NULL;

    struct passwd *pw = getpwuid(getuid());
    char *pwcache = pw ? xasprintf("%s/.cache/torchshim", pw->pw_dir) : NULL;
    const struct { const char *env[3]; const char *want; } cases[] = {
        { { "/x/c", "/y", "/h" }, "/x/c" },
        { { "", "/y", "/h" }, "/y/torchshim" },
        { { NULL, "/y/", "/h" }, "/y//torchshim" },
        { { NULL, "relative/xdg", "/h" }, "/h/.cache/torchshim" },   /* XDG: absolute only */
        { { NULL, "", "/h" }, "/h/.cache/torchshim" },
        { { NULL, NULL, "/home/u" }, "/home/u/.cache/torchshim" },
        { { NULL, NULL, NULL }, pwcache },                         /* from the passwd file */
        { { NULL, NULL, "" }, pwcache },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int i = 0; i < 3; i++) {
            if (cases[c].env[i])
                setenv(vars[i], cases[c].env[i], 1);
            else
                unsetenv(vars[i]);
        }
        const char *got = cache_dir_default();
        if (!cases[c].want)
            assert_null(got);
        else if (!got || strcmp(got, cases[c].want))
            fail_msg("case %zu: got %s, want %s", c, got ? got : "NULL", cases[c].want);
    }
    for (int i = 0; i < 3; i++) {
        if (saved[i])
            setenv(vars[i], saved[i], 1);
        else
            unsetenv(vars[i]);
        free(saved[i]);
    }
    free(pwcache);
}

static void test_checksum(void **state)
{
    (void)state;
    char buf[1024];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (char)(i * 7 + 3);

    /* Every prefix length gives a different sum, every sum is 16 hex digits. */
    char sums[40][CACHE_SUM_HEX + 1];
    for (size_t n = 0; n < 40; n++) {
        cache_checksum(buf, n, sums[n]);
        assert_int_equal(strlen(sums[n]), CACHE_SUM_HEX);
        assert_int_equal(strspn(sums[n], "0123456789abcdef"), CACHE_SUM_HEX);
        for (size_t k = 0; k < n; k++)
            if (!strcmp(sums[k], sums[n]))
                fail_msg("prefixes %zu and %zu collide", k, n);
    }
    /* Deterministic. */
    char again[CACHE_SUM_HEX + 1];
    cache_checksum(buf, 39, again);
    assert_string_equal(again, sums[39]);

    /* One flipped bit anywhere (head, every word lane, tail) changes it. */
    char base[CACHE_SUM_HEX + 1];
    cache_checksum(buf, sizeof buf - 3, base);
    static const size_t pos[] = { 0, 1, 7, 8, 9, 15, 511, 512, 1000, 1013, 1019, 1020 };
    for (size_t p = 0; p < sizeof pos / sizeof pos[0]; p++) {
        for (int bit = 0; bit < 8; bit += 3) {
            char flipped[CACHE_SUM_HEX + 1];
            buf[pos[p]] ^= (char)(1 << bit);
            cache_checksum(buf, sizeof buf - 3, flipped);
            buf[pos[p]] ^= (char)(1 << bit);
            if (!strcmp(flipped, base))
                fail_msg("bit %d of byte %zu not seen", bit, pos[p]);
        }
    }
    /* Zero bytes are data too. */
    char z1[CACHE_SUM_HEX + 1], z2[CACHE_SUM_HEX + 1];
    cache_checksum("\0", 1, z1);
    cache_checksum("\0\0", 2, z2);
    assert_string_not_equal(z1, z2);
}

static void test_store_lookup(void **state)
{
    const char *dir = *state;
    long long now = (long long)time(NULL);
    static const char binary[] = "a\0b\0\n\nc";
    const struct {
        const char *url, *source, *etag, *lm;
        const char *body;
        size_t len;
    } cases[] = {
        { "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/linux-64/repodata.json",
          "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/linux-64/repodata.json.zst",
          "\"6b0423c5-2a1f\"", "Mon, 23 Nov 2026 11:30:13 GMT", "{\"packages\":{}}", 15 },
        { "https://mirror.nju.edu.cn/pytorch/whl/cu121/torch/", NULL, NULL, NULL,
          "<html><a href=\"torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl\">x</a></html>", 73 },
        { "http://127.0.0.1:1/empty", "http://127.0.0.1:1/empty", "W/\"weak\"", "", "", 0 },
        { "http://127.0.0.1:1/binary", NULL, "", "", binary, sizeof binary },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        store(dir, cases[c].url, cases[c].source, cases[c].etag, cases[c].lm, now - (long long)c,
              cases[c].body, cases[c].len);

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct cache_entry e;
        assert_int_equal(cache_lookup(dir, cases[c].url, &e), 0);
        assert_string_equal(e.url, cases[c].url);
        assert_string_equal(e.source, cases[c].source ? cases[c].source : cases[c].url);
        assert_string_equal(e.etag, cases[c].etag ? cases[c].etag : "");
        assert_string_equal(e.last_modified, cases[c].lm ? cases[c].lm : "");
        assert_int_equal(e.fetched, now - (long long)c);
        assert_int_equal(e.len, cases[c].len);
        assert_memory_equal(e.body, cases[c].body, cases[c].len);
        assert_int_equal(e.body[e.len], '\0');
        assert_int_equal((uintptr_t)e.body % _Alignof(max_align_t), 0);
        cache_entry_clear(&e);
        assert_null(e.body);
    }

    /* Directories 0700, files 0600, nothing temporary left behind. */
    struct stat st;
    assert_int_equal(stat(dir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    char *http = xasprintf("%s/http", dir);
    assert_int_equal(stat(http, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    free(http);
    char *f = entry_file(dir, "http", cases[0].url);
    assert_int_equal(stat(f, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(f);
    assert_int_equal(count_temps(dir, "http"), 0);

    /* Misses. */
    struct cache_entry e;
    assert_int_equal(cache_lookup(dir, "https://example.invalid/never", &e), -1);
    assert_null(e.body);
    assert_int_equal(cache_lookup(NULL, cases[0].url, &e), -1);
    assert_int_equal(cache_lookup("/nonexistent/torchshim-cache", cases[0].url, &e), -1);

    /* Overwrite: the new body replaces the old one completely. */
    store(dir, cases[0].url, NULL, "\"new\"", NULL, now, "{}", 2);
    assert_int_equal(cache_lookup(dir, cases[0].url, &e), 0);
    assert_int_equal(e.len, 2);
    assert_string_equal(e.body, "{}");
    assert_string_equal(e.etag, "\"new\"");
    cache_entry_clear(&e);

    /* A header value cannot break the header: newlines become spaces. */
    store(dir, "http://h/x", NULL, "\"a\"\r\nlength 1", "x\ny", now, "body", 4);
    assert_int_equal(cache_lookup(dir, "http://h/x", &e), 0);
    assert_string_equal(e.etag, "\"a\"  length 1");
    assert_string_equal(e.last_modified, "x y");
    assert_string_equal(e.body, "body");
    cache_entry_clear(&e);

    /* Remove. */
    assert_int_equal(cache_remove(dir, "http://h/x"), 0);
    assert_int_equal(cache_lookup(dir, "http://h/x", &e), -1);
    assert_int_equal(cache_remove(dir, "http://h/x"), 0);
}

static void test_ttl(void **state)
{
    const char *dir = *state;
    static const struct { long ttl; long long age; int fresh; } cases[] = {
        { 600, 0, 1 }, { 600, 599, 1 }, { 600, 600, 0 }, { 600, 100000, 0 },
        { 600, -5, 0 },                       /* fetched "in the future": clock moved */
        { 1, 0, 1 }, { 0, 0, 0 }, { -1, 0, 0 }, { 86400, 86399, 1 },
    };
    long long now = 1700000000;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct cache_entry e = { .body = (char *)"x", .len = 1, .fetched = now - cases[c].age };
        if (cache_is_fresh(&e, cases[c].ttl, now) != cases[c].fresh)
            fail_msg("case %zu: ttl %ld age %lld", c, cases[c].ttl, cases[c].age);
    }
    struct cache_entry none = { .fetched = now };
    assert_false(cache_is_fresh(&none, 600, now));   /* no body, nothing to serve */

    /* Through the disk: the fetch time survives a round trip. */
    long long t = (long long)time(NULL);
    store(dir, "http://h/ttl", NULL, NULL, NULL, t - 30, "{}", 2);
    struct cache_entry e;
    assert_int_equal(cache_lookup(dir, "http://h/ttl", &e), 0);
    assert_true(cache_is_fresh(&e, 600, t));
    assert_false(cache_is_fresh(&e, 30, t));
    assert_false(cache_is_fresh(&e, 10, t));
    cache_entry_clear(&e);
}

/* Damage an entry in every way a crash, a full disk or a person could. */
static void test_corrupt(void **state)
{
    const char *dir = *state;
    enum { CUT_LAST, CUT_HALF, CUT_HEADER, APPEND, FLIP_BODY, MAGIC, LENGTH, CHECKSUM,
           NO_BLANK, EMPTY, DROP_FIELD, BIG_LENGTH };
    static const struct { int how; const char *label; } cases[] = {
        { CUT_LAST, "last byte cut" }, { CUT_HALF, "half the body cut" },
        { CUT_HEADER, "cut inside the header" }, { APPEND, "a byte appended" },
        { FLIP_BODY, "a body byte changed" }, { MAGIC, "wrong magic" },
        { LENGTH, "length changed" }, { CHECKSUM, "checksum changed" },
        { NO_BLANK, "no blank line" }, { EMPTY, "empty file" },
        { DROP_FIELD, "etag line missing" }, { BIG_LENGTH, "huge length" },
    };
    const char *url = "https://mirror.example/pytorch/noarch/repodata.json";
    char body[4096];
    for (size_t i = 0; i < sizeof body; i++)
        body[i] = "{}[]\",:abc0123"[i % 14];
    char *path = entry_file(dir, "http", url);

    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        store(dir, url, NULL, "\"e\"", NULL, (long long)time(NULL), body, sizeof body);
        size_t len;
        char *raw = slurp(path, &len);
        assert_non_null(raw);
        char *sep = strstr(raw, "\n\n");
        assert_non_null(sep);
        size_t hdr = (size_t)(sep - raw) + 2;
        switch (cases[c].how) {
        case CUT_LAST: len--; break;
        case CUT_HALF: len = hdr + sizeof body / 2; break;
        case CUT_HEADER: len = hdr / 2; break;
        case APPEND: raw = xrealloc(raw, len + 1); raw[len++] = 'x'; break;
        case FLIP_BODY: raw[hdr + 1000] ^= 1; break;
        case MAGIC: raw[0] = 'X'; break;
        case LENGTH: { char *l = strstr(raw, "length 4096"); assert_non_null(l); l[10] = '5'; break; }
        case CHECKSUM: { char *s = strstr(raw, "checksum "); assert_non_null(s);
                         s[9] = s[9] == '0' ? '1' : '0'; break; }
        case NO_BLANK: sep[1] = 'X'; break;
        case EMPTY: len = 0; break;
        case DROP_FIELD: { char *l = strstr(raw, "\netag "); assert_non_null(l); l[1] = 'E'; break; }
        case BIG_LENGTH: { char *l = strstr(raw, "length 4096"); assert_non_null(l);
                           memcpy(l + 7, "9999", 4); break; }
        }
        spit(path, raw, len);
        free(raw);

        struct cache_entry e;
        if (cache_lookup(dir, url, &e) == 0)
            fail_msg("%s: accepted", cases[c].label);
        assert_null(e.body);
        if (exists(path))
            fail_msg("%s: not deleted", cases[c].label);
    }
    /* After all that the entry works again. */
    store(dir, url, NULL, NULL, NULL, (long long)time(NULL), body, sizeof body);
    struct cache_entry e;
    assert_int_equal(cache_lookup(dir, url, &e), 0);
    assert_memory_equal(e.body, body, sizeof body);
    cache_entry_clear(&e);
    free(path);
}

static void test_blob(void **state)
{
    const char *dir = *state;
    static const struct { const char *key, *validator; size_t len; } cases[] = {
        { "repodata-index/https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/linux-64",
          "0123456789abcdef", 100000 },
        { "repodata-index/noarch", "", 1 },
        { "empty", "v", 0 },
        { "key with spaces and\ttabs", "validator with spaces", 4097 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *data = xmalloc(cases[c].len + 1);
        for (size_t i = 0; i < cases[c].len; i++)
            data[i] = (char)(i * 31 + c);
        assert_int_equal(cache_put_blob(dir, cases[c].key, cases[c].validator, data,
                                        cases[c].len), 0);
        char *got;
        size_t glen;
        assert_int_equal(cache_get_blob(dir, cases[c].key, cases[c].validator, &got, &glen), 0);
        assert_int_equal(glen, cases[c].len);
        assert_memory_equal(got, data, cases[c].len);
        assert_int_equal(got[glen], '\0');
        assert_int_equal((uintptr_t)got % _Alignof(max_align_t), 0);
        free(got);

        /* Another validator is a miss and leaves the blob alone. */
        assert_int_equal(cache_get_blob(dir, cases[c].key, "fedcba9876543210", &got, &glen), -1);
        assert_null(got);
        assert_int_equal(glen, 0);
        assert_int_equal(cache_get_blob(dir, cases[c].key, cases[c].validator, &got, &glen), 0);
        free(got);
        free(data);
    }
    /* NULL validator is the empty one. */
    char *got;
    size_t glen;
    assert_int_equal(cache_get_blob(dir, "repodata-index/noarch", NULL, &got, &glen), 0);
    free(got);
    assert_int_equal(cache_get_blob(dir, "no such key", "", &got, &glen), -1);
    assert_int_equal(cache_get_blob(NULL, "empty", "v", &got, &glen), -1);

    /* A damaged blob is a miss and is deleted. */
    char *path = entry_file(dir, "blob", cases[0].key);
    size_t len;
    char *raw = slurp(path, &len);
    raw[len - 10] ^= 0x40;
    spit(path, raw, len);
    free(raw);
    assert_int_equal(cache_get_blob(dir, cases[0].key, cases[0].validator, &got, &glen), -1);
    assert_false(exists(path));
    free(path);

    /* Blobs and fetched entries do not see each other. */
    struct cache_entry e;
    assert_int_equal(cache_lookup(dir, "empty", &e), -1);
    assert_int_equal(count_temps(dir, "blob"), 0);
}

/* Writers racing on the same entry and blob from several processes while
 * the parent reads: every read is a complete body of one writer, and once
 * the entry exists it never goes missing (nothing was judged corrupt). */
static void test_concurrent(void **state)
{
    const char *dir = *state;
    enum { WRITERS = 4, ROUNDS = 120 };
    const char *url = "https://mirror.example/pytorch/linux-64/repodata.json";
    pid_t pids[WRITERS];

    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            size_t len = 20000 + 37000 * (size_t)w;   /* sizes differ: a torn file shows */
            char *body = xmalloc(len);
            memset(body, 'a' + w, len);
            char validator[16];
            snprintf(validator, sizeof validator, "v%d", w);
            for (int r = 0; r < ROUNDS; r++) {
                struct cache_entry e = { .url = (char *)url, .etag = validator,
                                         .fetched = (long long)time(NULL), .body = body, .len = len };
                char *err = NULL;
                if (cache_store(dir, &e, &err) != 0)
                    _exit(10);
                if (cache_put_blob(dir, "index", validator, body, len / 2) != 0)
                    _exit(11);
            }
            free(body);
            _exit(0);
        }
    }

    int hits = 0, misses_after_hit = 0, bad = 0, blob_hits = 0, running = WRITERS;
    while (running > 0) {
        struct cache_entry e;
        if (cache_lookup(dir, url, &e) == 0) {
            hits++;
            int w = e.body[0] - 'a';
            if (w < 0 || w >= WRITERS || e.len != 20000 + 37000 * (size_t)w ||
                e.etag[1] - '0' != w)
                bad++;
            for (size_t i = 0; i < e.len && !bad; i++)
                bad += e.body[i] != e.body[0];
            cache_entry_clear(&e);
        } else if (hits) {
            misses_after_hit++;
        }
        for (int w = 0; w < WRITERS; w++) {
            char validator[16], *data;
            size_t len;
            snprintf(validator, sizeof validator, "v%d", w);
            if (cache_get_blob(dir, "index", validator, &data, &len) == 0) {
                blob_hits++;
                if (len != (20000 + 37000 * (size_t)w) / 2 || data[0] != 'a' + w ||
                    data[len - 1] != 'a' + w)
                    bad++;
                free(data);
            }
        }
        running = 0;
        for (int w = 0; w < WRITERS; w++) {
            if (pids[w] > 0) {
                int st;
                pid_t r = waitpid(pids[w], &st, WNOHANG);
                if (r == pids[w]) {
                    assert_true(WIFEXITED(st));
                    assert_int_equal(WEXITSTATUS(st), 0);
                    pids[w] = 0;
                } else {
                    running++;
                }
            }
        }
    }
    assert_int_equal(bad, 0);
    assert_int_equal(misses_after_hit, 0);
    assert_true(hits > 0);
    (void)blob_hits;   /* timing dependent; correctness is checked by bad */
    struct cache_entry e;
    assert_int_equal(cache_lookup(dir, url, &e), 0);
    cache_entry_clear(&e);
    assert_int_equal(count_temps(dir, "http"), 0);
    assert_int_equal(count_temps(dir, "blob"), 0);
}

static void test_write_file_atomic(void **state)
{
    const char *dir = *state;
    char *path = xasprintf("%s/sub/state.memo", dir);   /* sub/ does not exist yet */
    static const char *const contents[] = {
        "zst https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch\n", "", "short\n",
    };
    for (size_t c = 0; c < sizeof contents / sizeof contents[0]; c++) {
        char *err = NULL;
        if (cache_write_file_atomic(path, contents[c], strlen(contents[c]), &err) != 0)
            fail_msg("%s", err);
        size_t len;
        char *got = slurp(path, &len);
        assert_non_null(got);
        assert_int_equal(len, strlen(contents[c]));
        assert_string_equal(got, contents[c]);
        free(got);
    }
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_temps(dir, "sub"), 0);

    /* A directory that cannot be created is an error with a message. */
    char *bad = xasprintf("%s/sub/state.memo/x/y", dir);
    char *err = NULL;
    assert_int_equal(cache_write_file_atomic(bad, "x", 1, &err), -1);
    assert_non_null(err);
    free(err);
    free(bad);
    free(path);
}

static void test_info_clean(void **state)
{
    const char *dir = *state;
    long long now = (long long)time(NULL);
    char *err = NULL;
    struct cache_info ci;

    /* A cache that does not exist yet is empty. */
    assert_int_equal(cache_info(dir, &ci, &err), 0);
    assert_int_equal(ci.n, 0);
    assert_int_equal(ci.bytes, 0);
    cache_info_clear(&ci);

    static const struct { const char *url; long long age; } entries[] = {
        { "https://a.example/pytorch/linux-64/repodata.json", 5 },
        { "https://b.example/pytorch/noarch/repodata.json", 1000 },
        { "https://c.example/whl/cu121/torch/", 5000 },
    };
    for (size_t i = 0; i < 3; i++)
        store(dir, entries[i].url, NULL, NULL, NULL, now - entries[i].age, "{\"x\":1}", 7);
    assert_int_equal(cache_put_blob(dir, "index/a", "sum", "blobdata", 8), 0);

    /* Debris: a corrupt entry, temp files (stale and fresh), a memo file,
     * and files that are not torchshim's (must survive everything). */
    char *corrupt = xasprintf("%s/http/0123456789abcdef", dir);
    spit(corrupt, "garbage", 7);
    char *stale_tmp = xasprintf("%s/http/0123456789abcdef.tmp.AbCdEf", dir);
    spit(stale_tmp, "partial", 7);
    struct timeval old[2] = { { (time_t)(now - 7200), 0 }, { (time_t)(now - 7200), 0 } };
    assert_int_equal(utimes(stale_tmp, old), 0);
    char *fresh_tmp = xasprintf("%s/blob/fedcba9876543210.tmp.XyZxYz", dir);
    spit(fresh_tmp, "writing", 7);
    char *memo = xasprintf("%s/repodata-variants.memo", dir);
    spit(memo, "zst https://a.example/pytorch\n", 30);
    char *foreign1 = xasprintf("%s/http/README", dir);
    spit(foreign1, "mine", 4);
    char *foreign2 = xasprintf("%s/notes.txt", dir);
    spit(foreign2, "mine", 4);

    assert_int_equal(cache_info(dir, &ci, &err), 0);
    assert_int_equal(ci.nhttp, 4);
    assert_int_equal(ci.nblob, 1);
    assert_int_equal(ci.n, 5);
    unsigned long long total = 0;
    for (size_t i = 0; i < ci.n; i++)
        total += ci.items[i].bytes;
    assert_int_equal(ci.bytes, total + 7 + 7 + 30);   /* plus temps and memo */
    /* Sorted: http entries by name (the corrupt one named by its file), then blobs. */
    assert_string_equal(ci.items[0].name, "0123456789abcdef");
    assert_true(ci.items[0].corrupt);
    for (size_t i = 0; i < 3; i++) {
        const struct cache_item *it = &ci.items[1 + i];
        assert_int_equal(it->kind, CACHE_HTTP);
        assert_string_equal(it->name, entries[i].url);
        assert_false(it->corrupt);
        assert_true(it->age >= entries[i].age && it->age <= entries[i].age + 5);
        assert_true(it->bytes > 7);
    }
    assert_int_equal(ci.items[4].kind, CACHE_BLOB);
    assert_string_equal(ci.items[4].name, "index/a");
    cache_info_clear(&ci);

    /* Age-limited clean: the old entry, the corrupt one, the stale temp file. */
    size_t removed;
    unsigned long long freed;
    assert_int_equal(cache_clean(dir, 2000, &removed, &freed, &err), 0);
    assert_int_equal(removed, 3);
    assert_true(freed > 14);
    assert_false(exists(corrupt));
    assert_false(exists(stale_tmp));
    assert_true(exists(fresh_tmp));
    assert_true(exists(memo));
    struct cache_entry e;
    assert_int_equal(cache_lookup(dir, entries[2].url, &e), -1);
    assert_int_equal(cache_lookup(dir, entries[1].url, &e), 0);
    cache_entry_clear(&e);

    /* Clean everything: what is left of ours goes, foreign files stay. */
    assert_int_equal(cache_clean(dir, -1, &removed, NULL, &err), 0);
    assert_int_equal(removed, 5);   /* 2 entries, 1 blob, fresh temp, memo */
    assert_true(exists(foreign1));
    assert_true(exists(foreign2));
    assert_int_equal(cache_info(dir, &ci, &err), 0);
    assert_int_equal(ci.n, 0);
    cache_info_clear(&ci);

    assert_int_equal(cache_info(NULL, &ci, &err), -1);
    free(err);
    free(corrupt);
    free(stale_tmp);
    free(fresh_tmp);
    free(memo);
    free(foreign1);
    free(foreign2);
}

/* Rewritten copies (requirements, environment files): a clean removes those
 * older than its limit, and never one younger than CACHE_COPIES_MIN_SECS; a
 * symlink or a directory there is left. */
static void test_clean_copies(void **state)
{
    const char *dir = *state;
    char *err = NULL;
    time_t now = time(NULL);
    char *reqs = xasprintf("%s/" CACHE_REQS_DIR, dir), *envs = xasprintf("%s/" CACHE_ENVFILES_DIR, dir);
    assert_int_equal(mkdir_p(reqs, 0700, &err), 0);
    assert_int_equal(mkdir_p(envs, 0700, &err), 0);
    char *old_req = xasprintf("%s/req-AbCdEf.txt", reqs), *new_req = xasprintf("%s/req-XyZxYz.txt", reqs);
    char *old_env = xasprintf("%s/0123-environment.yml", envs), *sub = xasprintf("%s/keep", envs);
    char *link = xasprintf("%s/link.yml", envs);
    spit(old_req, "torch\n", 6);
    spit(new_req, "numpy\n", 6);
    spit(old_env, "name: x\n", 8);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(symlink(old_env, link), 0);
    struct timeval hour[2] = { { (time_t)(now - 3600), 0 }, { (time_t)(now - 3600), 0 } };
    assert_int_equal(utimes(old_req, hour), 0);
    assert_int_equal(utimes(old_env, hour), 0);

    size_t removed;
    unsigned long long freed;
    assert_int_equal(cache_clean(dir, 7200, &removed, &freed, &err), 0);
    assert_int_equal(removed, 0);  /* an hour old, the limit two */
    assert_int_equal(cache_clean(dir, -1, &removed, &freed, &err), 0);
    assert_int_equal(removed, 2);  /* everything, but the fresh copy stays */
    assert_int_equal(freed, 6 + 8);
    assert_false(exists(old_req));
    assert_false(exists(old_env));
    assert_true(exists(new_req));
    assert_true(exists(sub));
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    free(reqs); free(envs); free(old_req); free(new_req); free(old_env); free(sub); free(link);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_tmp, teardown_tmp)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dir_default),
        cmocka_unit_test(test_checksum),
        T(test_store_lookup),
        T(test_ttl),
        T(test_corrupt),
        T(test_blob),
        T(test_concurrent),
        T(test_write_file_atomic),
        T(test_clean_copies),
        T(test_info_clean),
    };
    return cmocka_run_group_tests_name("cache", tests, NULL, NULL);
}
