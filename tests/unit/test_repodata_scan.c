/* test_repodata_scan.c — the streaming reader (repodata_scan_file /
 * repodata_scan_buffer): the same index as repodata_parse on the real
 * reference channel, in every compression and chunking; items cut at every
 * chunk boundary; bad, truncated, garbage and bomb input. Compressed copies
 * are made in-process with libarchive's writers. */
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
#include <sys/resource.h>
#include <unistd.h>

#include "msg.h"
#include "repodata.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define LINUX64 "tests/fixtures/reference/rattler_pytorch_linux-64_repodata.json"

static char tmpdir[] = "/tmp/torchshim-scan-XXXXXX";

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int r = system(cmd);
    free(cmd);
    return r == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

static char *put_file(const char *name, const void *data, size_t len)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* ---- compressing with libarchive (raw format, one filter) ---- */

enum { C_NONE, C_GZIP, C_BZIP2, C_ZSTD, C_XZ, C_N };
static const char *const cname[] = { "none", "gzip", "bzip2", "zstd", "xz" };

struct sink {
    char *p;
    size_t len, cap;
};

static la_ssize_t sink_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    struct sink *s = ud;
    if (s->len + n > s->cap) {
        s->cap = (s->len + n) * 2;
        s->p = realloc(s->p, s->cap);
    }
    memcpy(s->p + s->len, buf, n);
    s->len += n;
    return (la_ssize_t)n;
}

/* The compressed form of `n` copies of data (so bombs need no big input). */
static char *compress_rep(const char *data, size_t len, size_t copies, int how, size_t *outlen)
{
    struct sink s = { NULL, 0, 0 };
    struct archive *a = archive_write_new();
    archive_write_set_format_raw(a);
    int (*add[])(struct archive *) = { archive_write_add_filter_none,
                                       archive_write_add_filter_gzip,
                                       archive_write_add_filter_bzip2,
                                       archive_write_add_filter_zstd,
                                       archive_write_add_filter_xz };
    assert_int_equal(add[how](a), ARCHIVE_OK);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open2(a, &s, NULL, sink_write, NULL, NULL), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "repodata.json");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)(len * copies));
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    for (size_t i = 0; i < copies; i++)
        assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    *outlen = s.len;
    return s.p;
}

static char *compress(const char *data, size_t len, int how, size_t *outlen)
{
    return compress_rep(data, len, 1, how, outlen);
}

/* ---- comparing indexes ---- */

static void assert_same(const struct repodata_index *a, const struct repodata_index *b,
                        const char *what)
{
    char *ba, *bb;
    size_t la, lb;
    assert_int_equal(repodata_index_serialize(a, &ba, &la), 0);
    assert_int_equal(repodata_index_serialize(b, &bb, &lb), 0);
    if (a->n != b->n || la != lb || memcmp(ba, bb, la) != 0)
        fail_msg("%s: %zu records vs %zu, blobs %zu vs %zu bytes", what, a->n, b->n, la, lb);
    free(ba);
    free(bb);
}

static const char *const family[] = { "pytorch", "torchvision", "torchaudio", "pytorch-cuda",
                                      NULL };
static const char *const ignite[] = { "ignite-nightly", NULL };
static const char *const nothing[] = { "no-such-package", NULL };
static const char *const *const sets[] = { NULL, repodata_default_names, family, ignite,
                                           nothing };

/* Every compression, file and buffer, several name sets: the index of
 * repodata_parse, byte for byte once serialised. */
static void test_reference_all_compressions(void **state)
{
    (void)state;
    size_t len;
    char *json = slurp(LINUX64, &len);
    for (int how = 0; how < C_N; how++) {
        size_t clen;
        char *c = compress(json, len, how, &clen);
        char *name = xasprintf("ref.%s", cname[how]);
        char *path = put_file(name, c, clen);
        for (size_t k = 0; k < N_ELEMS(sets); k++) {
            struct repodata_index want, got, got2;
            char *err = NULL;
            assert_int_equal(repodata_parse(json, len, sets[k], &want, NULL), 0);
            if (repodata_scan_file(path, sets[k], NULL, &got, &err) != 0)
                fail_msg("%s: %s", cname[how], err);
            assert_int_equal(repodata_scan_buffer(c, clen, sets[k], NULL, &got2, &err), 0);
            assert_same(&want, &got, cname[how]);
            assert_same(&want, &got2, cname[how]);
            assert_string_equal(got.subdir, "linux-64");
            repodata_index_free(&want);
            repodata_index_free(&got);
            repodata_index_free(&got2);
        }
        free(path);
        free(name);
        free(c);
    }
    free(json);
}

/* Tiny chunks: every record straddles many chunk boundaries. */
static void test_reference_tiny_chunks(void **state)
{
    (void)state;
    size_t len, clen;
    char *json = slurp(LINUX64, &len);
    char *z = compress(json, len, C_ZSTD, &clen);
    char *zpath = put_file("ref-chunks.zst", z, clen);
    struct repodata_index want;
    assert_int_equal(repodata_parse(json, len, repodata_default_names, &want, NULL), 0);
    static const size_t chunks[] = { 1, 2, 7, 61, 1000, 4093 };
    for (size_t i = 0; i < N_ELEMS(chunks); i++) {
        struct repodata_scan_opts o = { .chunk = chunks[i] };
        struct repodata_index got;
        char *err = NULL;
        const char *path = chunks[i] <= 2 ? LINUX64 : zpath;
        if (repodata_scan_file(path, repodata_default_names, &o, &got, &err) != 0)
            fail_msg("chunk %zu: %s", chunks[i], err);
        assert_same(&want, &got, "tiny chunks");
        repodata_index_free(&got);
    }
    repodata_index_free(&want);
    free(zpath);
    free(z);
    free(json);
}

/* A small document with what a scanner can trip on: info after packages,
 * escapes (also in the name and the file name), \u escapes, nesting,
 * numbers of every shape, a long "removed" list, unknown keys, skipped
 * records. Cut at every chunk size, it gives repodata_parse_tree's index. */
static const char small_doc[] =
    "{ \"packages\" : {\n"
    "  \"a-1-0.tar.bz2\": {\"build\": \"0\", \"build_number\": 0, \"name\": \"a\","
    " \"version\": \"1\", \"depends\": [\"python >=3.10\", \"x [version='>=1']\"],"
    " \"extra\": {\"k\": [1, -2.5e+3, 0, 1E2, true, false, null, {\"z\": []}]},"
    " \"timestamp\": 1695396474887, \"size\": 12.5},\n"
    "  \"b\\u002d2-0.tar.bz2\": {\"name\": \"\\u0062\", \"version\": \"2\", \"build\": \"0\","
    " \"build_number\": 3, \"track_features\": [\"cpuonly\", \"mkl\"]},\n"
    "  \"c-1-0.tar.bz2\": {\"version\": \"1\", \"build\": \"0\", \"build_number\": 0,"
    " \"name\": \"c\", \"subdir\": \"noarch\", \"constrains\": [\"d <2\"]},\n"
    "  \"bad-1-0.tar.bz2\": {\"name\": \"a\", \"version\": \"1\", \"build\": \"0\"},\n"
    "  \"noname-1-0.tar.bz2\": {\"version\": \"1\"},\n"
    "  \"notobj-1-0.tar.bz2\": [1, 2],\n"
    "  \"q\\\"uote-1-0.tar.bz2\": {\"name\": \"q\\\"uote\", \"version\": \"1\","
    " \"build\": \"0\", \"build_number\": 0}\n"
    " },\n"
    " \"packages.conda\": {\"d-2-h1_0.conda\": {\"name\": \"d\", \"version\": \"2\","
    " \"build\": \"h1_0\", \"build_number\": 0, \"depends\": null}},\n"
    " \"removed\": [\"x-1-0.tar.bz2\", \"y-1-0.tar.bz2\", \"z-1-0.tar.bz2\"],\n"
    " \"repodata_version\": 1, \"signatures\": {\"a-1-0.tar.bz2\": {\"k\": \"v\"}},\n"
    " \"info\": {\"base_url\": \"x\", \"subdir\": \"linux-64\", \"subdir\": \"ignored\"}\n"
    "}\n";

static void test_small_doc_every_chunk(void **state)
{
    (void)state;
    size_t len = sizeof small_doc - 1;
    char *path = put_file("small.json", small_doc, len);
    const char *const *names[] = { NULL, family };
    const char *const some[] = { "a", "b", "q\"uote", NULL };
    names[1] = some;
    for (size_t k = 0; k < N_ELEMS(names); k++) {
        struct repodata_index want;
        assert_int_equal(repodata_parse_tree(small_doc, len, names[k], &want, NULL), 0);
        assert_string_equal(want.subdir, "linux-64");
        assert_int_equal(want.skipped, 3);   /* bad, noname, notobj */
        for (size_t chunk = 1; chunk <= len + 1; chunk++) {
            struct repodata_scan_opts o = { .chunk = chunk };
            struct repodata_index got;
            char *err = NULL;
            if (repodata_scan_file(path, names[k], &o, &got, &err) != 0)
                fail_msg("chunk %zu: %s", chunk, err);
            assert_same(&want, &got, "small doc");
            /* info came last: every record without its own subdir has it */
            for (size_t r = 0; r < got.n; r++)
                assert_non_null(got.recs[r].subdir);
            repodata_index_free(&got);
        }
        repodata_index_free(&want);
    }
    struct repodata_index idx;
    assert_int_equal(repodata_scan_file(path, NULL, NULL, &idx, NULL), 0);
    assert_int_equal(idx.n, 5);
    assert_string_equal(idx.recs[1].name, "b");
    assert_string_equal(idx.recs[1].filename, "b-2-0.tar.bz2");
    assert_string_equal(idx.recs[1].track_features, "cpuonly mkl");
    assert_string_equal(idx.recs[2].subdir, "noarch");
    assert_string_equal(idx.recs[0].subdir, "linux-64");
    assert_true(idx.recs[0].size == 12.5);
    repodata_index_free(&idx);
    free(path);
}

/* A record longer than max_item is an error, not a buffer that grows. */
static void test_item_limit(void **state)
{
    (void)state;
    size_t len = sizeof small_doc - 1;
    char *path = put_file("limit.json", small_doc, len);
    struct repodata_scan_opts o = { .chunk = 16, .max_item = 64 };
    struct repodata_index idx;
    char *err = NULL;
    assert_int_equal(repodata_scan_file(path, NULL, &o, &idx, &err), -1);
    assert_non_null(strstr(err, "longer than 64 bytes"));
    assert_null(idx.recs);
    assert_null(idx.arena);
    free(err);
    o.max_item = 1024;
    assert_int_equal(repodata_scan_file(path, NULL, &o, &idx, NULL), 0);
    repodata_index_free(&idx);
    o.max_bytes = 100;                          /* the document is longer */
    err = NULL;
    assert_int_equal(repodata_scan_file(path, NULL, &o, &idx, &err), -1);
    assert_non_null(strstr(err, "more than 100 bytes"));
    free(err);
    free(path);
}

static void expect_error(const void *data, size_t len, const char *want, const char *label)
{
    struct repodata_index idx;
    char *err = NULL;
    char *path = put_file("bad", data, len);
    if (repodata_scan_file(path, NULL, NULL, &idx, &err) == 0) {
        repodata_index_free(&idx);
        fail_msg("%s: accepted", label);
    }
    assert_null(idx.recs);
    assert_null(idx.arena);
    if (!err || (want && !strcasestr(err, want)))
        fail_msg("%s: error '%s', want '%s'", label, err ? err : "(none)", want);
    free(err);
    err = NULL;
    if (len) {
        assert_int_equal(repodata_scan_buffer(data, len, NULL, NULL, &idx, &err), -1);
        assert_non_null(err);
        free(err);
    }
    free(path);
}

static void test_bad_documents(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "[]", "null", "42", "\"packages\"", "{}", "{\"info\":{\"subdir\":\"x\"}}",
        "{\"packages\": []}", "{\"packages\": 1}", "{\"packages.conda\": \"x\"}",
        "{\"packages\": {\"a-1-0.tar.bz2\": {\"name\": \"a\"}", "{\"packages\": {}} trailing",
        "\xff\xfe{}", "{\"packages\": {\"a\": {\"name\": \"a\",}}}",
        "{\"packages\": {\"a\": {\"name\": tru}}}", "{\"packages\": {\"a\": {\"n\": 01}}}",
        "{\"packages\": {\"a\": {\"n\": \"\\x\"}}}", "{\"packages\": {\"a\": {\"n\": \"\\u12g4\"}}}",
        "{\"packages\": {}, \"removed\": [1,]}", "{\"packages\": {}}}",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        expect_error(bad[i], strlen(bad[i]), "", bad[i]);
    expect_error("{\"packages\": 1}", 15, "'packages' is not an object", "packages");
    expect_error("{\"packages\": {}} x", 18, "trailing data", "trailing");
    expect_error("{\"info\": {}}", 12, "no 'packages'", "no packages");

    /* nesting deeper than the scanner follows */
    char deep[400];
    size_t n = (size_t)snprintf(deep, sizeof deep, "{\"packages\": {\"a\": {\"x\": ");
    for (int i = 0; i < 100; i++)
        deep[n++] = '[';
    for (int i = 0; i < 100; i++)
        deep[n++] = ']';
    n += (size_t)snprintf(deep + n, sizeof deep - n, "}}}");
    expect_error(deep, n, "invalid JSON", "deep");

    struct repodata_index idx;
    char *err = NULL;
    assert_int_equal(repodata_scan_file("tests/fixtures/conda/no-such-file.json", NULL, NULL,
                                        &idx, &err), -1);
    assert_non_null(strstr(err, "no-such-file.json"));
    free(err);
    err = NULL;
    assert_int_equal(repodata_load_file("tests/fixtures/conda/no-such-file.json", NULL, &idx,
                                        &err), -1);
    free(err);
    assert_int_equal(repodata_scan_buffer(NULL, 0, NULL, NULL, &idx, NULL), -1);
}

/* Truncated, corrupted and fake compressed data: errors, never a crash,
 * never an index built from part of the data. */
static void test_bad_compressed(void **state)
{
    (void)state;
    size_t len;
    char *json = slurp(LINUX64, &len);
    for (int how = C_GZIP; how < C_N; how++) {
        size_t clen;
        char *c = compress(json, len, how, &clen);
        static const double cuts[] = { 0.0001, 0.1, 0.5, 0.9, 0.999 };
        for (size_t i = 0; i < N_ELEMS(cuts); i++) {
            size_t at = (size_t)((double)clen * cuts[i]);
            if (at < 2)
                at = 2;
            expect_error(c, at, NULL, cname[how]);
        }
        /* flip bytes in the middle of the stream */
        for (size_t k = clen / 3; k < clen / 3 + 8; k++)
            c[k] ^= 0x5a;
        expect_error(c, clen, NULL, cname[how]);
        free(c);
    }
    expect_error("\x28\xb5\x2f\xfd" "garbage, not zstd", 21, "zstd", "fake zstd");
    expect_error("BZh9garbage, not bzip2", 22, NULL, "fake bzip2");
    expect_error("\x1f\x8b" "garbage", 9, NULL, "fake gzip");
    unsigned char noise[4096];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (unsigned char)(x >> 16);
    }
    expect_error(noise, sizeof noise, NULL, "noise");
    free(json);
}

static long maxrss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A zstd bomb: 512 MiB of whitespace inside a valid document compresses
 * to a few KB. Reading it keeps memory flat (one chunk and one item), and
 * max_bytes stops it early when asked to. */
static void test_bomb(void **state)
{
    (void)state;
    static char spaces[1 << 20];
    memset(spaces, ' ', sizeof spaces);
    const char *head = "{\"packages\": {";
    const char *tail = "}}";
    size_t hlen = strlen(head), tlen = strlen(tail), blen;
    char *body = compress_rep(spaces, sizeof spaces, 512, C_ZSTD, &blen);
    /* glue: head + spaces + tail, each its own zstd frame (libarchive reads
     * concatenated frames) */
    size_t h1, t1;
    char *hz = compress(head, hlen, C_ZSTD, &h1), *tz = compress(tail, tlen, C_ZSTD, &t1);
    char *all = malloc(h1 + blen + t1);
    memcpy(all, hz, h1);
    memcpy(all + h1, body, blen);
    memcpy(all + h1 + blen, tz, t1);
    assert_true(h1 + blen + t1 < ((size_t)1 << 20));
    char *path = put_file("bomb.zst", all, h1 + blen + t1);

    long before = maxrss_kb();
    struct repodata_index idx;
    char *err = NULL;
    if (repodata_scan_file(path, NULL, NULL, &idx, &err) != 0)
        fail_msg("bomb: %s", err);
    assert_int_equal(idx.n, 0);
    repodata_index_free(&idx);
    long grew = maxrss_kb() - before;
    if (grew > 16 * 1024)
        fail_msg("reading 512 MiB grew the peak RSS by %ld KB", grew);

    struct repodata_scan_opts o = { .max_bytes = 64 << 20 };
    assert_int_equal(repodata_scan_file(path, NULL, &o, &idx, &err), -1);
    assert_non_null(strstr(err, "decompression bomb"));
    free(err);
    free(path);
    free(all);
    free(hz);
    free(tz);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_all_compressions),
        cmocka_unit_test(test_reference_tiny_chunks),
        cmocka_unit_test(test_small_doc_every_chunk),
        cmocka_unit_test(test_item_limit),
        cmocka_unit_test(test_bad_documents),
        cmocka_unit_test(test_bad_compressed),
        cmocka_unit_test(test_bomb),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
