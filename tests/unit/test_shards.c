/* test_shards.c — CEP 16 sharded repodata (shards.h) against the
 * conda-forge fixture (tests/fixtures/make-conda-forge.py, built small into
 * a temp dir): the index, shard URLs, each name's shard giving exactly the
 * records repodata.json gives for that name, and rejection of shards that
 * do not match their hash or are not msgpack. Hand-made documents (msgpack-c's
 * packer, zstd through libarchive) cover the odd cases. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <msgpack.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "msg.h"
#include "repodata.h"
#include "shards.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[] = "/tmp/torchshim-shards-XXXXXX";
static char *linux64;                 /* <tmp>/conda-forge/linux-64 */
static char *noarch;

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char *cmd = xasprintf("%s tests/fixtures/make-conda-forge.py '%s' --records 2000 >/dev/null",
                          py, tmpdir);
    int r = system(cmd);
    free(cmd);
    linux64 = xasprintf("%s/conda-forge/linux-64", tmpdir);
    noarch = xasprintf("%s/conda-forge/noarch", tmpdir);
    return r == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int r = system(cmd);
    free(cmd);
    free(linux64);
    free(noarch);
    return r == 0 ? 0 : -1;
}

static char *read_all(const char *path, size_t *len)
{
    char *buf = NULL, *err = NULL;
    if (file_read(path, (size_t)1 << 30, &buf, len, &err) != 0)
        fail_msg("%s: %s", path, err ? err : "missing");
    return buf;
}

static void load_index(const char *dir, struct shards_index *ix)
{
    size_t len;
    char *path = xasprintf("%s/repodata_shards.msgpack.zst", dir), *err = NULL;
    char *body = read_all(path, &len);
    if (shards_index_parse(body, len, ix, &err) != 0)
        fail_msg("%s: %s", path, err);
    free(body);
    free(path);
}

/* The shard file of name, read through the URL shards_url() gives. */
static char *shard_body(const struct shards_index *ix, const char *dir, const char *name,
                        size_t *len)
{
    char *base = xasprintf("file://%s/repodata_shards.msgpack.zst", dir), *err = NULL;
    char *url = shards_url(ix, base, name, &err);
    if (!url)
        fail_msg("%s: no shard URL (%s)", name, err ? err : "not in the index");
    char *want = xasprintf("file://%s/shards/", dir);
    assert_int_equal(strncmp(url, want, strlen(want)), 0);
    char *body = read_all(url + 7, len);
    free(want);
    free(url);
    free(base);
    return body;
}

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

static void test_index(void **state)
{
    (void)state;
    struct shards_index ix;
    load_index(linux64, &ix);
    assert_int_equal(ix.version, 1);
    assert_string_equal(ix.subdir, "linux-64");
    assert_string_equal(ix.shards_base_url, "./shards/");
    assert_string_equal(ix.base_url, "");
    assert_non_null(ix.created_at);
    assert_true(ix.n > 300);
    for (size_t i = 1; i < ix.n; i++)
        assert_true(strcmp(ix.entries[i - 1].name, ix.entries[i].name) < 0);
    assert_non_null(shards_index_hash(&ix, "pytorch-gpu"));
    assert_non_null(shards_index_hash(&ix, "_openmp_mutex"));
    assert_null(shards_index_hash(&ix, "no-such-package"));
    assert_null(shards_index_hash(&ix, "cuda-version"));      /* noarch on conda-forge */

    char hex[65], *err = NULL;
    shards_hex(shards_index_hash(&ix, "pytorch"), hex);
    char *url = shards_url(&ix, "https://127.0.0.1:8443/conda-forge/linux-64/"
                                "repodata_shards.msgpack.zst", "pytorch", &err);
    char *want = xasprintf("https://127.0.0.1:8443/conda-forge/linux-64/shards/%s.msgpack.zst",
                           hex);
    assert_string_equal(url, want);
    free(url);
    free(want);
    assert_null(shards_url(&ix, "https://h/x/repodata_shards.msgpack.zst", "nope", &err));
    assert_null(err);
    /* every entry's shard is there, named by its hash */
    for (size_t i = 0; i < ix.n; i += 97) {
        shards_hex(ix.entries[i].sha256, hex);
        char *p = xasprintf("%s/shards/%s.msgpack.zst", linux64, hex);
        assert_int_equal(access(p, R_OK), 0);
        free(p);
    }
    shards_index_free(&ix);
    shards_index_free(&ix);
}

/* Each name's shard has exactly the records repodata.json has for it. */
static void check_names(const char *dir, const char *const *names, size_t n)
{
    struct shards_index ix;
    load_index(dir, &ix);
    char *json = xasprintf("%s/repodata.json.zst", dir);
    for (size_t i = 0; i < n; i++) {
        const char *one[] = { names[i], NULL };
        struct repodata_index want, got;
        char *err = NULL;
        size_t len;
        if (repodata_scan_file(json, one, NULL, &want, &err) != 0)
            fail_msg("%s: %s", json, err);
        assert_true(want.n > 0);
        char *body = shard_body(&ix, dir, names[i], &len);
        if (shards_load(&ix, names[i], body, len, NULL, &got, &err) != 0)
            fail_msg("%s: %s", names[i], err);
        assert_same(&want, &got, names[i]);
        repodata_index_free(&got);
        /* a name filter inside the shard */
        assert_int_equal(shards_load(&ix, names[i], body, len, repodata_default_names, &got,
                                     NULL), 0);
        int deflt = 0;
        for (const char *const *d = repodata_default_names; *d; d++)
            deflt |= !strcmp(*d, names[i]);
        assert_int_equal(got.n, deflt ? want.n : 0);
        repodata_index_free(&got);
        repodata_index_free(&want);
        free(body);
    }
    free(json);
    shards_index_free(&ix);
}

static void test_shards_match_json(void **state)
{
    (void)state;
    static const char *const linux_names[] = {
        "pytorch", "pytorch-gpu", "pytorch-cpu", "libtorch", "torchvision", "torchaudio",
        "triton", "python", "python_abi", "_openmp_mutex", "cudnn",
    };
    check_names(linux64, linux_names, N_ELEMS(linux_names));
    static const char *const noarch_names[] = { "cuda-version", "filelock", "sympy" };
    check_names(noarch, noarch_names, N_ELEMS(noarch_names));

    /* the records read as conda-forge publishes them */
    struct shards_index ix;
    struct repodata_index idx;
    size_t len;
    load_index(linux64, &ix);
    char *body = shard_body(&ix, linux64, "pytorch-gpu", &len);
    assert_int_equal(shards_load(&ix, "pytorch-gpu", body, len, NULL, &idx, NULL), 0);
    const struct repodata_record *r = &idx.recs[idx.n - 1];
    assert_string_equal(r->name, "pytorch-gpu");
    assert_int_equal(r->n_depends, 1);
    assert_non_null(strstr(r->depends[0], "pytorch "));
    assert_non_null(strstr(r->depends[0], " cuda*_"));
    assert_string_equal(r->subdir, "linux-64");
    assert_true(r->timestamp > 1.6e12);
    repodata_index_free(&idx);
    free(body);
    shards_index_free(&ix);
}

/* A shard whose bytes are not the ones the index names is rejected. */
static void test_tampered_shard(void **state)
{
    (void)state;
    struct shards_index ix;
    struct repodata_index idx;
    size_t len, olen;
    char *err = NULL;
    load_index(linux64, &ix);
    char *body = shard_body(&ix, linux64, "pytorch", &len);
    body[len / 2] ^= 1;
    assert_int_equal(shards_load(&ix, "pytorch", body, len, NULL, &idx, &err), -1);
    assert_non_null(strstr(err, "does not match"));
    assert_null(idx.recs);
    free(err);
    body[len / 2] ^= 1;
    err = NULL;
    assert_int_equal(shards_load(&ix, "pytorch", body, len - 1, NULL, &idx, &err), -1);
    assert_non_null(strstr(err, "does not match"));
    free(err);
    /* another name's (valid) shard */
    char *other = shard_body(&ix, linux64, "libtorch", &olen);
    err = NULL;
    assert_int_equal(shards_load(&ix, "pytorch", other, olen, NULL, &idx, &err), -1);
    assert_non_null(strstr(err, "does not match"));
    free(err);
    err = NULL;
    assert_int_equal(shards_load(&ix, "no-such", other, olen, NULL, &idx, &err), -1);
    assert_non_null(strstr(err, "not in the shard index"));
    free(err);
    /* without a hash to check, it reads */
    assert_int_equal(shards_parse(other, olen, NULL, NULL, NULL, &idx, NULL), 0);
    assert_true(idx.n > 0);
    repodata_index_free(&idx);
    free(other);
    free(body);
    shards_index_free(&ix);
}

/* ---- hand-made documents ---- */

static char *zstd_of(const char *data, size_t len, size_t *outlen)
{
    size_t cap = len + 1024;
    char *out = malloc(cap);
    struct archive *a = archive_write_new();
    archive_write_set_format_raw(a);
    archive_write_add_filter_zstd(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open_memory(a, out, cap, outlen), ARCHIVE_OK);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, "x");
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return out;
}

static void pk_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* One record: name, version, build, build_number (or not), sha256 as bytes
 * or as hex, depends. */
static void pk_record(msgpack_packer *pk, const char *name, int with_bn, int hex_sha)
{
    msgpack_pack_map(pk, with_bn ? 6 : 5);
    pk_str(pk, "name");
    pk_str(pk, name);
    pk_str(pk, "version");
    pk_str(pk, "1.0");
    pk_str(pk, "build");
    pk_str(pk, "h1234567_0");
    if (with_bn) {
        pk_str(pk, "build_number");
        msgpack_pack_uint32(pk, 7);
    }
    pk_str(pk, "sha256");
    if (hex_sha) {
        pk_str(pk, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
    } else {
        msgpack_pack_bin(pk, 32);
        msgpack_pack_bin_body(pk, "0123456789abcdef0123456789abcdef", 32);
    }
    pk_str(pk, "depends");
    msgpack_pack_array(pk, 2);
    pk_str(pk, "python >=3.12,<3.13.0a0");
    pk_str(pk, "cuda-version >=12.6,<13");
}

static void test_handmade_shard(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pk_str(&pk, "packages");
    msgpack_pack_map(&pk, 2);
    pk_str(&pk, "foo-1.0-h1234567_0.tar.bz2");
    pk_record(&pk, "foo", 1, 0);
    pk_str(&pk, "foo-1.0-h1234567_1.tar.bz2");
    pk_record(&pk, "foo", 0, 0);                /* no build_number: skipped */
    pk_str(&pk, "packages.conda");
    msgpack_pack_map(&pk, 1);
    pk_str(&pk, "foo-1.0-h1234567_0.conda");
    pk_record(&pk, "foo", 1, 1);
    pk_str(&pk, "removed");
    msgpack_pack_array(&pk, 0);

    unsigned char sha_plain[32], sha_z[32];
    size_t zlen;
    char *z = zstd_of(sb.data, sb.size, &zlen);
    unsigned int n;
    EVP_Digest(sb.data, sb.size, sha_plain, &n, EVP_sha256(), NULL);
    EVP_Digest(z, zlen, sha_z, &n, EVP_sha256(), NULL);
    struct repodata_index idx;
    /* compressed, hash of the file; plain msgpack; hash of the msgpack */
    const void *bodies[] = { z, sb.data, z };
    size_t lens[] = { zlen, sb.size, zlen };
    const unsigned char *shas[] = { sha_z, sha_plain, sha_plain };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(shards_parse(bodies[i], lens[i], shas[i], "linux-64", NULL, &idx,
                                      NULL), 0);
        assert_int_equal(idx.n, 2);
        assert_int_equal(idx.skipped, 1);
        assert_string_equal(idx.recs[0].filename, "foo-1.0-h1234567_0.tar.bz2");
        assert_int_equal(idx.recs[0].build_number, 7);
        assert_string_equal(idx.recs[0].subdir, "linux-64");
        assert_string_equal(idx.recs[1].depends[1], "cuda-version >=12.6,<13");
        repodata_index_free(&idx);
    }
    free(z);
    msgpack_sbuffer_destroy(&sb);
}

static void expect_bad_shard(const void *data, size_t len, const char *label)
{
    struct repodata_index idx;
    struct shards_index ix;
    char *err = NULL;
    if (shards_parse(data, len, NULL, NULL, NULL, &idx, &err) == 0) {
        repodata_index_free(&idx);
        fail_msg("%s: shard accepted", label);
    }
    assert_non_null(err);
    free(err);
    err = NULL;
    if (shards_index_parse(data, len, &ix, &err) == 0) {
        shards_index_free(&ix);
        fail_msg("%s: index accepted", label);
    }
    assert_non_null(err);
    free(err);
}

static void test_bad_msgpack(void **state)
{
    (void)state;
    /* an array claiming 2^32-1 elements, a map claiming more than there is,
     * a string longer than the data, trailing bytes, not a map, 0xc1, empty */
    static const struct { const char *data; size_t len; } bad[] = {
        { "\xdd\xff\xff\xff\xff\x00", 6 }, { "\xdf\x00\x10\x00\x00\xa1x\x01", 8 },
        { "\x81\xa8packages\xdb\x00\x00\x10\x00x", 16 }, { "\x80\x80", 2 },
        { "\x93\x01\x02\x03", 4 }, { "\xc1", 1 }, { "", 0 }, { "\x81\xa8packages\x05", 11 },
        { "\x82\xa8packages\x05\xa6shards\x01", 19 },
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        char label[16];
        snprintf(label, sizeof label, "bad %zu", i);
        expect_bad_shard(bad[i].data, bad[i].len, label);
        if (bad[i].len) {
            size_t zlen;
            char *z = zstd_of(bad[i].data, bad[i].len, &zlen);
            expect_bad_shard(z, zlen, label);
            free(z);
        }
    }
    /* an index whose hash is not 32 bytes */
    struct shards_index ix;
    char *err = NULL;
    const char idx_short[] = "\x81\xa6shards\x81\xa3""foo\xc4\x03""abc";
    assert_int_equal(shards_index_parse(idx_short, sizeof idx_short - 1, &ix, &err), -1);
    assert_non_null(strstr(err, "not 32 bytes"));
    free(err);
    /* a minimal index is fine: no info, hex hash */
    const char idx_min[] = "\x81\xa6shards\x81\xa3""foo\xd9\x40"
                           "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assert_int_equal(shards_index_parse(idx_min, sizeof idx_min - 1, &ix, NULL), 0);
    assert_int_equal(ix.n, 1);
    assert_null(ix.subdir);
    assert_int_equal(shards_index_hash(&ix, "foo")[1], 0x11);
    char *url = shards_url(&ix, "http://127.0.0.1/c/linux-64/repodata_shards.msgpack.zst",
                           "foo", NULL);
    assert_string_equal(url, "http://127.0.0.1/c/linux-64/00112233445566778899aabbccddeeff"
                             "00112233445566778899aabbccddeeff.msgpack.zst");
    free(url);
    shards_index_free(&ix);
}

/* The index reduced to a few names packs small and reads back the same
 * (what the cache keeps for a warm run). */
static void test_pack_reduced(void **state)
{
    (void)state;
    struct shards_index ix, back;
    load_index(linux64, &ix);
    static const char *const names[] = { "pytorch", "libtorch", "no-such-package", NULL };
    char *blob = NULL, *err = NULL;
    size_t len = 0;
    assert_int_equal(shards_index_pack(&ix, names, &blob, &len), 0);
    assert_true(len < 512);
    if (shards_index_parse(blob, len, &back, &err) != 0)
        fail_msg("packed index: %s", err);
    assert_int_equal(back.n, 2);
    assert_memory_equal(shards_index_hash(&back, "pytorch"), shards_index_hash(&ix, "pytorch"),
                        SHARDS_SHA256_LEN);
    assert_null(shards_index_hash(&back, "no-such-package"));
    assert_string_equal(back.subdir, ix.subdir);
    assert_string_equal(back.shards_base_url, ix.shards_base_url);
    char *u1 = shards_url(&ix, "http://m/cf/linux-64/repodata_shards.msgpack.zst", "libtorch", NULL);
    char *u2 = shards_url(&back, "http://m/cf/linux-64/repodata_shards.msgpack.zst", "libtorch",
                          NULL);
    assert_string_equal(u1, u2);
    free(u1);
    free(u2);
    free(blob);
    shards_index_free(&back);
    shards_index_free(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_shards_match_json),
        cmocka_unit_test(test_tampered_shard),
        cmocka_unit_test(test_handmade_shard),
        cmocka_unit_test(test_bad_msgpack),
        cmocka_unit_test(test_pack_reduced),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
