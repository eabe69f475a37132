/* test_fetch_product.c — fetch's product jobs against nginx on loopback:
 * the body reaches the check as it came off the wire (encoded), the cache
 * keeps the check's product in compact form (product_save) under
 * "URL#tag", a cached form that does not load is dropped and fetched
 * again, and of two good answers in a race only the winner is stored. */
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

#include "cache.h"
#include "fetch.h"
#include "msg.h"

static struct {
    int ok;
    char *tmp, *root, *state, *log, *base;
    int ncache;
} g;

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void spit(const char *path, const char *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, data, len) != (ssize_t)len)
        fail_msg("cannot write %s", path);
    close(fd);
}

static long requests(void)
{
    usleep(100000);               /* nginx logs a request when it is done */
    FILE *f = fopen(g.log, "r");
    long n = 0;
    int c;
    if (!f)
        return 0;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static int group_setup(void **state)
{
    (void)state;
    const char *top = getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".";
    if (access("/usr/sbin/nginx", X_OK) != 0 || system("command -v zstd >/dev/null") != 0)
        return 0;                 /* tests skip */
    char tmpl[] = "/tmp/torchshim-fprod-XXXXXX";
    if (!mkdtemp(tmpl))
        return 0;
    g.tmp = xstrdup(tmpl);
    g.root = xasprintf("%s/root", g.tmp);
    g.state = xasprintf("%s/nginx", g.tmp);
    g.log = xasprintf("%s/access.log", g.state);
    mkdir(g.root, 0755);
    for (int i = 0; i < 2; i++) {
        char *d = xasprintf("%s/m%d", g.root, i);
        mkdir(d, 0755);
        char *p = xasprintf("%s/data.txt", d);
        spit(p, "PAYLOAD of the mirror\n", 22);
        char *cmd = xasprintf("zstd -q -f '%s' -o '%s.zst'", p, p);
        if (system(cmd) != 0)
            return -1;
        free(cmd);
        free(p);
        free(d);
    }
    char *cmd = xasprintf("'%s/tests/lib/nginx-serve' start '%s' '%s'", top, g.root, g.state);
    FILE *f = popen(cmd, "r");
    int port = -1;
    if (!f || fscanf(f, "%d", &port) != 1 || pclose(f) != 0 || port <= 0)
        return -1;
    free(cmd);
    g.base = xasprintf("http://127.0.0.1:%d", port);
    g.ok = 1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    const char *top = getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".";
    if (g.ok) {
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

/* ---- the product: "OK:<first 7 bytes of the body, as received>" ---- */

static int checks;

static int check(const char *body, size_t len, const char *url, void *ctx, void **product,
                 char **why)
{
    (void)url;
    (void)ctx;
    __atomic_add_fetch(&checks, 1, __ATOMIC_SEQ_CST);
    if (len < 7)
        return seterr(why, "short");
    *product = xasprintf("OK:%.7s", body);
    return 0;
}

static int save(const void *product, char **blob, size_t *len)
{
    *blob = xstrdup(product);
    *len = strlen(*blob);
    return 0;
}

static int load(const char *blob, size_t len, void **product)
{
    if (len < 3 || strncmp(blob, "OK:", 3))
        return -1;
    *product = xstrndup(blob, len);
    return 0;
}

static void job_init(struct fetch_job *j, const char *const *urls, size_t n)
{
    memset(j, 0, sizeof *j);
    j->urls = urls;
    j->nurls = n;
    j->race = 1;
    j->check = check;
    j->product_free = free;
    j->encoded = 1;
    j->product_save = save;
    j->product_load = load;
    j->cache_tag = "t1";
}

static void test_encoded_product_cached(void **state)
{
    (void)state;
    if (!g.ok)
        skip();
    char *cache = xasprintf("%s/cache%d", g.tmp, ++g.ncache);
    char *u = xasprintf("%s/m0/data.txt.zst", g.base);
    const char *urls[] = { u };
    struct fetch_opts o = { .connect_timeout_ms = 2000, .total_timeout_ms = 5000,
                            .cache_dir = cache };
    struct fetch_job j;
    job_init(&j, urls, 1);
    assert_int_equal(fetch_run(&j, 1, &o), 0);
    /* the check saw the zstd frame itself (magic 28 b5 2f fd), not the text */
    assert_memory_equal(j.product, "OK:\x28\xb5\x2f\xfd", 7);
    /* the body is the product's compact form, and so is the cache entry */
    assert_string_equal(j.body, j.product);
    struct cache_entry e;
    char *key = xasprintf("%s#t1", u);
    assert_int_equal(cache_lookup(cache, key, &e), 0);
    assert_memory_equal(e.body, "OK:\x28\xb5\x2f\xfd", 7);
    struct cache_entry none;
    assert_int_equal(cache_lookup(cache, u, &none), -1);   /* the raw body is not stored */
    fetch_job_clear(&j);

    /* warm: the product comes back through product_load, no request */
    long before = requests();
    assert_int_equal(fetch_run(&j, 1, &o), 0);
    assert_true(j.from_cache);
    assert_non_null(j.product);
    assert_memory_equal(j.product, "OK:\x28\xb5\x2f\xfd", 7);
    assert_int_equal(requests(), before);
    fetch_job_clear(&j);

    /* a cached form that does not load is dropped and fetched again */
    struct cache_entry bad = { .url = key, .source = u, .fetched = e.fetched,
                               .body = "garbage!", .len = 8 };
    char *err = NULL;
    assert_int_equal(cache_store(cache, &bad, &err), 0);
    before = requests();
    assert_int_equal(fetch_run(&j, 1, &o), 0);
    assert_false(j.from_cache);
    assert_memory_equal(j.product, "OK:\x28\xb5\x2f\xfd", 7);
    assert_true(requests() > before);
    fetch_job_clear(&j);
    cache_entry_clear(&e);
    free(key);
    free(u);
    free(cache);
}

/* Two mirrors answer the same good body at once: one claims the job, and
 * only its entry is written; the other body is dropped unstored. */
static void test_race_stores_winner_only(void **state)
{
    (void)state;
    if (!g.ok)
        skip();
    for (int round = 0; round < 5; round++) {
        char *cache = xasprintf("%s/cache%d", g.tmp, ++g.ncache);
        char *u0 = xasprintf("%s/m0/data.txt", g.base), *u1 = xasprintf("%s/m1/data.txt", g.base);
        const char *urls[] = { u0, u1 };
        struct fetch_opts o = { .connect_timeout_ms = 2000, .total_timeout_ms = 5000,
                                .cache_dir = cache };
        struct fetch_job j;
        job_init(&j, urls, 2);
        j.encoded = 0;
        checks = 0;
        assert_int_equal(fetch_run(&j, 1, &o), 0);
        struct cache_entry e0, e1;
        char *k0 = xasprintf("%s#t1", u0), *k1 = xasprintf("%s#t1", u1);
        int h0 = cache_lookup(cache, k0, &e0) == 0, h1 = cache_lookup(cache, k1, &e1) == 0;
        assert_int_equal(h0 + h1, 1);
        assert_true(strncmp(j.url_used, h0 ? u0 : u1, strlen(u0)) == 0);
        if (h0)
            cache_entry_clear(&e0);
        if (h1)
            cache_entry_clear(&e1);
        fetch_job_clear(&j);
        free(k0);
        free(k1);
        free(u0);
        free(u1);
        free(cache);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoded_product_cached),
        cmocka_unit_test(test_race_stores_winner_only),
    };
    return cmocka_run_group_tests_name("fetch_product", tests, group_setup, group_teardown);
}
