/* test_decompress.c — decompress_auto/decompress_as on data compressed in
 * the test: by libarchive's writer and by the real gzip/bzip2/zstd CLIs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decompress.h"
#include "msg.h"

#define REPODATA "tests/fixtures/reference/rattler_pytorch_linux-64_repodata.json"

static const int all_filters[] = {
    DECOMPRESS_NONE, DECOMPRESS_GZIP, DECOMPRESS_BZIP2, DECOMPRESS_ZSTD,
};
#define NALL (sizeof all_filters / sizeof all_filters[0])

/* ---- helpers ---- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = xmalloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

/* Compress with libarchive's raw writer. */
static void compress_with(int filter, const void *in, size_t inlen, char **out, size_t *outlen)
{
    if (filter == DECOMPRESS_NONE) {
        *out = xmalloc(inlen + 1);
        memcpy(*out, in, inlen);
        *outlen = inlen;
        return;
    }
    struct archive *a = archive_write_new();
    assert_non_null(a);
    switch (filter) {
    case DECOMPRESS_GZIP:  assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK); break;
    case DECOMPRESS_BZIP2: assert_int_equal(archive_write_add_filter_bzip2(a), ARCHIVE_OK); break;
    case DECOMPRESS_ZSTD:  assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK); break;
    default: fail_msg("filter %d", filter);
    }
    assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
    archive_write_set_bytes_in_last_block(a, 1);
    size_t cap = inlen + 65536;
    char *buf = xmalloc(cap);
    size_t used = 0;
    assert_int_equal(archive_write_open_memory(a, buf, cap, &used), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "data");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)inlen);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    if (inlen)
        assert_int_equal(archive_write_data(a, in, inlen), (la_ssize_t)inlen);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_entry_free(e);
    archive_write_free(a);
    *out = buf;
    *outlen = used;
}

/* Compress with the real command line tool (popen). */
static char *compress_cli(const char *cmd, const void *in, size_t inlen, size_t *outlen)
{
    char tmpl[] = "/tmp/torchshim-decomp-XXXXXX";
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, inlen), (ssize_t)inlen);
    close(fd);
    char *full = xasprintf("%s < %s", cmd, tmpl);
    FILE *p = popen(full, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, n = 0, k;
    char *buf = xmalloc(cap);
    while ((k = fread(buf + n, 1, cap - n, p)) > 0) {
        n += k;
        if (n == cap)
            buf = xrealloc(buf, cap *= 2);
    }
    assert_int_equal(pclose(p), 0);
    unlink(tmpl);
    free(full);
    *outlen = n;
    return buf;
}

static int have_tool(const char *name)
{
    char *cmd = xasprintf("command -v %s >/dev/null 2>&1", name);
    int r = system(cmd);
    free(cmd);
    return r == 0;
}

/* Payloads: empty, tiny, text, real repodata slice, highly repetitive, binary. */
struct payload {
    const char *label;
    char *data;
    size_t len;
};

static struct payload payloads[6];
static size_t npayloads;

static int group_setup(void **state)
{
    (void)state;
    size_t rlen;
    char *real = slurp(REPODATA, &rlen);
    if (!real)
        return -1;
    size_t slice = rlen < 300000 ? rlen : 300000;

    payloads[npayloads++] = (struct payload){ "empty", xstrdup(""), 0 };
    payloads[npayloads++] = (struct payload){ "tiny", xstrdup("{}"), 2 };
    payloads[npayloads++] = (struct payload){ "text",
        xstrdup("{\"info\":{\"subdir\":\"linux-64\"},\"packages\":{}}\n"), 44 };
    payloads[npayloads].label = "repodata-slice";
    payloads[npayloads].data = xmalloc(slice);
    memcpy(payloads[npayloads].data, real, slice);
    payloads[npayloads++].len = slice;
    free(real);

    size_t big = 3u << 20;                       /* 3 MiB of one line repeated */
    char *rep = xmalloc(big);
    static const char line[] = "\"pytorch-2.3.1-py3.12_cuda12.1_cudnn8_0.tar.bz2\",\n";
    for (size_t i = 0; i < big; i++)
        rep[i] = line[i % (sizeof line - 1)];
    payloads[npayloads++] = (struct payload){ "repetitive-3MiB", rep, big };

    size_t blen = 70000;                         /* every byte value, NULs too */
    char *bin = xmalloc(blen);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < blen; i++) {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        bin[i] = (char)(i % 3 ? x & 0xff : i & 0xff);
    }
    payloads[npayloads++] = (struct payload){ "binary", bin, blen };
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < npayloads; i++)
        free(payloads[i].data);
    return 0;
}

static void expect_ok(int r, char *out, size_t outlen, char *err, const struct payload *p,
                      const char *how)
{
    if (r != 0)
        fail_msg("%s %s: %s", how, p->label, err ? err : "?");
    assert_null(err);
    assert_non_null(out);
    assert_int_equal(outlen, p->len);
    assert_memory_equal(out, p->data, p->len);
    assert_int_equal(out[outlen], '\0');
}

/* ---- tests ---- */

/* Every payload through every filter: auto finds the filter, as() with the
 * right filter agrees, as() with any other filter refuses. */
static void test_roundtrip_libarchive(void **state)
{
    (void)state;
    for (size_t f = 0; f < NALL; f++) {
        for (size_t i = 0; i < npayloads; i++) {
            const struct payload *p = &payloads[i];
            char *z, *out, *err;
            size_t zlen, outlen;
            compress_with(all_filters[f], p->data, p->len, &z, &zlen);

            int r = decompress_auto(z, zlen, DECOMPRESS_DEFAULT_CAP, &out, &outlen, &err);
            expect_ok(r, out, outlen, err, p, decompress_filter_name(all_filters[f]));
            free(out);

            r = decompress_as(all_filters[f], z, zlen, DECOMPRESS_DEFAULT_CAP, &out, &outlen, &err);
            expect_ok(r, out, outlen, err, p, "as");
            free(out);

            for (size_t g = 0; g < NALL; g++) {
                if (g == f || p->len == 0)
                    continue;   /* empty plain data is valid as nothing else, tested below */
                r = decompress_as(all_filters[g], z, zlen, DECOMPRESS_DEFAULT_CAP,
                                  &out, &outlen, &err);
                if (r == 0)
                    fail_msg("%s data accepted as %s (%s)", decompress_filter_name(all_filters[f]),
                             decompress_filter_name(all_filters[g]), p->label);
                assert_null(out);
                assert_non_null(err);
                assert_non_null(strstr(err, "expected"));
                free(err);
            }
            free(z);
        }
    }
}

/* The same with data made by the real tools, the way mirrors make it. */
static void test_roundtrip_cli(void **state)
{
    (void)state;
    static const struct { const char *tool, *cmd; int filter; } tools[] = {
        { "gzip",  "gzip -9 -c",          DECOMPRESS_GZIP },
        { "bzip2", "bzip2 -9 -c",         DECOMPRESS_BZIP2 },
        { "zstd",  "zstd -q -19 -c",      DECOMPRESS_ZSTD },
        { "zstd",  "zstd -q -3 --long -c", DECOMPRESS_ZSTD },
    };
    int ran = 0;
    for (size_t t = 0; t < sizeof tools / sizeof tools[0]; t++) {
        if (!have_tool(tools[t].tool))
            continue;
        for (size_t i = 1; i < npayloads; i++) {
            const struct payload *p = &payloads[i];
            size_t zlen, outlen;
            char *out, *err;
            char *z = compress_cli(tools[t].cmd, p->data, p->len, &zlen);
            int r = decompress_as(tools[t].filter, z, zlen, DECOMPRESS_DEFAULT_CAP,
                                  &out, &outlen, &err);
            expect_ok(r, out, outlen, err, p, tools[t].cmd);
            free(out);
            r = decompress_auto(z, zlen, DECOMPRESS_DEFAULT_CAP, &out, &outlen, &err);
            expect_ok(r, out, outlen, err, p, tools[t].cmd);
            free(out);
            free(z);
            ran++;
        }
    }
    if (!ran)
        skip();
}

/* The cap: exactly at the size is fine, one byte below is an error, for
 * every filter (a bomb never gets past cap). */
static void test_cap(void **state)
{
    (void)state;
    const struct payload *p = &payloads[4];      /* 3 MiB, compresses ~1000x */
    static const struct { long delta; int ok; } cases[] = {
        { 0, 1 }, { 1, 1 }, { 1 << 20, 1 }, { -1, 0 }, { -(3L << 20) + 100, 0 },
        { -(2L << 20), 0 },
    };
    for (size_t f = 0; f < NALL; f++) {
        char *z;
        size_t zlen;
        compress_with(all_filters[f], p->data, p->len, &z, &zlen);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            size_t cap = (size_t)((long)p->len + cases[c].delta);
            char *out, *err;
            size_t outlen;
            int r = decompress_auto(z, zlen, cap, &out, &outlen, &err);
            if (cases[c].ok) {
                expect_ok(r, out, outlen, err, p, "cap");
                free(out);
            } else {
                if (r == 0)
                    fail_msg("%s: cap %zu not enforced", decompress_filter_name(all_filters[f]), cap);
                assert_null(out);
                assert_int_equal(outlen, 0);
                assert_non_null(strstr(err, "exceeds the limit"));
                free(err);
            }
        }
        free(z);
    }
}

/* Corrupt, truncated and wrong data. */
static void test_garbage(void **state)
{
    (void)state;
    const struct payload *p = &payloads[3];
    enum { TRUNC_HALF, TRUNC_TAIL, FLIP_MIDDLE, HEADER_ONLY };
    /* cli: made by the tool instead of libarchive. A damaged zstd frame is
     * only detectable with a content checksum, which the zstd CLI writes
     * (and libarchive's writer does not). */
    static const struct { int filter, how; const char *cli; } cases[] = {
        { DECOMPRESS_GZIP, TRUNC_HALF, NULL },  { DECOMPRESS_GZIP, TRUNC_TAIL, NULL },
        { DECOMPRESS_GZIP, FLIP_MIDDLE, NULL }, { DECOMPRESS_GZIP, HEADER_ONLY, NULL },
        { DECOMPRESS_GZIP, FLIP_MIDDLE, "gzip -c" },
        { DECOMPRESS_BZIP2, TRUNC_HALF, NULL }, { DECOMPRESS_BZIP2, TRUNC_TAIL, NULL },
        { DECOMPRESS_BZIP2, FLIP_MIDDLE, NULL }, { DECOMPRESS_BZIP2, HEADER_ONLY, NULL },
        { DECOMPRESS_BZIP2, TRUNC_TAIL, "bzip2 -c" },
        { DECOMPRESS_ZSTD, TRUNC_HALF, NULL },  { DECOMPRESS_ZSTD, TRUNC_TAIL, NULL },
        { DECOMPRESS_ZSTD, HEADER_ONLY, NULL }, { DECOMPRESS_ZSTD, FLIP_MIDDLE, "zstd -q -c" },
        { DECOMPRESS_ZSTD, TRUNC_TAIL, "zstd -q -c" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char *z, *out, *err;
        size_t zlen, outlen;
        /* the filter names are the tools' names */
        if (cases[c].cli && !have_tool(decompress_filter_name(cases[c].filter)))
            continue;
        if (cases[c].cli)
            z = compress_cli(cases[c].cli, p->data, p->len, &zlen);
        else
            compress_with(cases[c].filter, p->data, p->len, &z, &zlen);
        switch (cases[c].how) {
        case TRUNC_HALF:  zlen /= 2; break;
        case TRUNC_TAIL:  zlen -= 8; break;
        case FLIP_MIDDLE: for (size_t k = 0; k < 16; k++) z[zlen / 2 + k] ^= 0x5a; break;
        case HEADER_ONLY: zlen = 12; break;
        }
        int r = decompress_auto(z, zlen, DECOMPRESS_DEFAULT_CAP, &out, &outlen, &err);
        if (r == 0 && outlen == p->len && !memcmp(out, p->data, p->len))
            fail_msg("case %zu: damaged %s data decoded to the original",
                     c, decompress_filter_name(cases[c].filter));
        if (r == 0)
            fail_msg("case %zu: damaged %s data accepted (%zu bytes)",
                     c, decompress_filter_name(cases[c].filter), outlen);
        assert_null(out);
        assert_non_null(err);
        free(err);
        /* As the expected filter, too. */
        r = decompress_as(cases[c].filter, z, zlen, DECOMPRESS_DEFAULT_CAP, &out, &outlen, &err);
        assert_int_equal(r, -1);
        free(err);
        free(z);
    }

    /* Not compressed at all, but the caller asked for .zst/.bz2/.gz. */
    static const char *const junk[] = {
        "<html><body>404 Not Found</body></html>",
        "\x1f\x8b garbage with a gzip magic",
        "BZh9 not really bzip2",
        "\x28\xb5\x2f\xfd but not zstd",
    };
    for (size_t j = 0; j < sizeof junk / sizeof junk[0]; j++) {
        for (size_t f = 1; f < NALL; f++) {
            char *out, *err;
            size_t outlen;
            int r = decompress_as(all_filters[f], junk[j], strlen(junk[j]),
                                  DECOMPRESS_DEFAULT_CAP, &out, &outlen, &err);
            if (r == 0)
                fail_msg("junk %zu accepted as %s", j, decompress_filter_name(all_filters[f]));
            assert_null(out);
            free(err);
        }
    }

    /* Empty input: plain nothing is fine, empty "zstd" is not. */
    char *out, *err;
    size_t outlen;
    assert_int_equal(decompress_auto("", 0, 10, &out, &outlen, &err), 0);
    assert_int_equal(outlen, 0);
    assert_string_equal(out, "");
    free(out);
    for (size_t f = 1; f < NALL; f++) {
        assert_int_equal(decompress_as(all_filters[f], "", 0, 10, &out, &outlen, &err), -1);
        assert_non_null(strstr(err, "empty"));
        free(err);
    }
    assert_int_equal(decompress_as(42, "x", 1, 10, &out, &outlen, &err), -1);
    free(err);
}

static void test_names(void **state)
{
    (void)state;
    static const struct { const char *name; int filter; } cases[] = {
        { "repodata.json.zst", DECOMPRESS_ZSTD }, { "x.zstd", DECOMPRESS_ZSTD },
        { "repodata.json.bz2", DECOMPRESS_BZIP2 }, { "a.tar.gz", DECOMPRESS_GZIP },
        { "repodata.json", DECOMPRESS_NONE }, { "zst", DECOMPRESS_NONE },
        { ".zst", DECOMPRESS_ZSTD }, { "", DECOMPRESS_NONE }, { NULL, DECOMPRESS_NONE },
        { "file.bz2.json", DECOMPRESS_NONE }, { "x.gzip", DECOMPRESS_NONE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(decompress_filter_from_name(cases[i].name), cases[i].filter);

    static const struct { int filter; const char *name; } names[] = {
        { DECOMPRESS_AUTO, "auto" }, { DECOMPRESS_NONE, "none" }, { DECOMPRESS_GZIP, "gzip" },
        { DECOMPRESS_BZIP2, "bzip2" }, { DECOMPRESS_ZSTD, "zstd" }, { 99, "?" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_string_equal(decompress_filter_name(names[i].filter), names[i].name);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_libarchive),
        cmocka_unit_test(test_roundtrip_cli),
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("decompress", tests, group_setup, group_teardown);
}
