/* test_zipdir.c — the zip directory steps on real wheels built by
 * tests/fixtures/make-meta-wheels.py (python3's zipfile, plus a ZIP64
 * rewrite), read whole from disk, and on damaged copies of them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "msg.h"
#include "zipdir.h"

#define TAIL ((size_t)64 << 10)

static struct {
    char *tmp;
} g;

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
    const char *top = getenv("TORCHSHIM_TOP") ? getenv("TORCHSHIM_TOP") : ".";
    char tmpl[] = "/tmp/torchshim-zipdir-XXXXXX";
    if (!mkdtemp(tmpl))
        return -1;
    g.tmp = xstrdup(tmpl);
    char *cmd = xasprintf("python3 '%s/tests/fixtures/make-meta-wheels.py' '%s'", top, g.tmp);
    int r = system(cmd);
    free(cmd);
    return r == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    if (g.tmp)
        nftw(g.tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(g.tmp);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL, *err = NULL;
    if (file_read(path, (size_t)64 << 20, &data, len, &err) != 0)
        fail_msg("cannot read %s: %s", path, err ? err : "missing");
    return data;
}

static char *expected(const char *c, const char *what, size_t *len)
{
    char *path = xasprintf("%s/expected/%s.%s", g.tmp, c, what);
    char *s = slurp(path, len);
    free(path);
    return s;
}

/* The wheel of case c, whole. */
static unsigned char *wheel(const char *c, size_t *len)
{
    size_t n;
    char *name = expected(c, "name", &n);
    char *path = xasprintf("%s/root/%s/%s", g.tmp, c, name);
    unsigned char *d = (unsigned char *)slurp(path, len);
    free(path);
    free(name);
    return d;
}

/* Every step on an archive held whole, the tail as a remote reader gets it. */
static int read_metadata(const unsigned char *d, size_t n, const char *wheel_name, int *zip64,
                         char **text, size_t *tlen, char **err)
{
    size_t tail = n < TAIL ? n : TAIL;
    struct zipdir_end end;
    struct zipdir_entry e;
    uint64_t off;
    *text = NULL;
    if (zipdir_find_end(d + n - tail, tail, n, &end, err) < 0)
        return -1;
    *zip64 = end.zip64;
    if (end.zip64) {
        assert_true(end.zip64_offset + ZIPDIR_ZIP64_END_LEN <= n);
        if (zipdir_read_zip64_end(d + end.zip64_offset, ZIPDIR_ZIP64_END_LEN, &end, err) < 0)
            return -1;
    }
    assert_true(end.cd_offset + end.cd_size <= n);
    if (zipdir_find_metadata(d + end.cd_offset, (size_t)end.cd_size, &end, wheel_name, &e,
                             err) < 0)
        return -1;
    int r = zipdir_local_data(d + e.local_offset, n - (size_t)e.local_offset, &e, &off, err);
    if (r == 0)
        r = zipdir_extract(&e, d + off, n - (size_t)off, (size_t)1 << 20, text, tlen, err);
    zipdir_entry_free(&e);
    return r;
}

static void test_wheels(void **state)
{
    (void)state;
    static const struct {
        const char *c, *dist;
        int zip64;
    } cases[] = {
        { "plain", "torchvision", 0 },     { "front", "torchaudio", 0 },
        { "stored", "torchvision", 0 },    { "zip64", "torchaudio", 1 },
        { "nested", "torchvision", 0 },    { "manyfiles", "torch", 0 },
        { "twodist", "torch_vision", 0 },  { "many03", NULL, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n, wn;
        unsigned char *d = wheel(cases[i].c, &n);
        char *want = expected(cases[i].c, "METADATA", &wn), *text, *err = NULL;
        size_t tlen;
        int zip64 = -1;
        if (read_metadata(d, n, cases[i].dist, &zip64, &text, &tlen, &err) < 0)
            fail_msg("%s: %s", cases[i].c, err);
        assert_int_equal(zip64, cases[i].zip64);
        assert_int_equal(tlen, wn);
        assert_string_equal(text, want);
        free(text);
        free(want);
        free(d);
    }
}

/* Not archives, ambiguous ones, and damaged copies of plain. */
static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *c, *dist, *msg;
    } cases[] = {
        { "garbage", "torchvision", "no end of central directory record" },
        { "truncated", "torchaudio", "no end of central directory record" },
        { "twodist", NULL, "2 top-level .dist-info directories, none named after '?'" },
        { "twodist", "torchvision", "none named after 'torchvision'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n, tlen;
        unsigned char *d = wheel(cases[i].c, &n);
        char *text, *err = NULL;
        int zip64;
        assert_int_equal(read_metadata(d, n, cases[i].dist, &zip64, &text, &tlen, &err), -1);
        if (!err || !strstr(err, cases[i].msg))
            fail_msg("%s: '%s' does not say '%s'", cases[i].c, err, cases[i].msg);
        assert_null(text);
        free(err);
        free(d);
    }
    struct zipdir_end end;
    char *err = NULL;
    assert_int_equal(zipdir_find_end((const unsigned char *)"PK\5\6", 4, 4, &end, &err), -1);
    assert_non_null(strstr(err, "too few"));
    free(err);
    err = NULL;
    assert_int_equal(zipdir_find_end((const unsigned char *)"0123456789012345678901234", 25, 20,
                                     &end, &err), -1);
    assert_non_null(strstr(err, "longer than the file"));
    free(err);
}

/* The central directory header of plain's METADATA, by its name. */
static size_t cd_header(const unsigned char *d, size_t n)
{
    static const char name[] = "torchvision-0.20.1+cu124.dist-info/METADATA";
    for (size_t i = n - sizeof name; i > 46; i--)
        if (!memcmp(d + i, name, sizeof name - 1) && d[i - 46] == 'P' && d[i - 45] == 'K' &&
            d[i - 44] == 1)
            return i - 46;
    fail_msg("no central directory header for %s", name);
    return 0;
}

static unsigned get16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const unsigned char *p)
{
    return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

static void test_damaged(void **state)
{
    (void)state;
    size_t n;
    unsigned char *orig = wheel("plain", &n);
    size_t cd = cd_header(orig, n);
    uint32_t lho = get32(orig + cd + 42), cd_off = get32(orig + n - 22 + 16);
    size_t data = lho + 30 + get16(orig + lho + 26) + get16(orig + lho + 28);
    static const struct {
        const char *what, *msg;
    } cases[] = {
        { "method 12", "compression method 12 is not supported" },
        { "encrypted", "encrypted" },
        { "deflate data", "METADATA: " },
        { "local signature", "no local file header" },
        { "cd offset", "does not end before its end record" },
        { "entry count", "cannot hold" },
        { "cd signature", "missing or damaged" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        unsigned char *d = xmalloc(n);
        memcpy(d, orig, n);
        switch (i) {
        case 0: put16(d + cd + 10, 12); break;
        case 1: put16(d + cd + 8, 1); break;
        case 2: d[data + 10] ^= 0x55; d[data + 11] ^= 0x55; break;
        case 3: d[lho] = 'X'; break;
        case 4: put32(d + n - 22 + 16, cd_off + 256); break;   /* EOCD: cd offset */
        case 5: put16(d + n - 22 + 8, 60000); put16(d + n - 22 + 10, 60000); break;
        case 6: d[cd] = 'X'; break;
        }
        char *text, *err = NULL;
        size_t tlen;
        int zip64;
        assert_int_equal(read_metadata(d, n, "torchvision", &zip64, &text, &tlen, &err), -1);
        if (!err || !strstr(err, cases[i].msg))
            fail_msg("%s: '%s' does not say '%s'", cases[i].what, err, cases[i].msg);
        free(err);
        free(d);
    }

    /* Over the cap: refused before anything is allocated for it. */
    struct zipdir_entry e = { .name = (char *)"x/METADATA", .usize = 5000, .csize = 10 };
    char *out, *err = NULL;
    size_t olen;
    assert_int_equal(zipdir_extract(&e, orig, 10, 4096, &out, &olen, &err), -1);
    assert_non_null(strstr(err, "over the limit of 4096"));
    assert_null(out);
    free(err);
    free(orig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wheels),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests_name("zipdir", tests, group_setup, group_teardown);
}
