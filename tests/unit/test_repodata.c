/* test_repodata.c — repodata.json parsing, compact form, merging. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repodata.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define LINUX64 "tests/fixtures/reference/rattler_pytorch_linux-64_repodata.json"
#define WIN64 "tests/fixtures/conda/win-64-2.3.1.json"
#define NOARCH "tests/fixtures/conda/noarch-mutex.json"

static void load(const char *path, const char *const *names, struct repodata_index *idx)
{
    char *err = NULL;
    if (repodata_load_file(path, names, idx, &err) != 0)
        fail_msg("%s: %s", path, err ? err : "?");
}

static const struct repodata_record *by_filename(const struct repodata_index *idx,
                                                 const char *fn)
{
    for (size_t i = 0; i < idx->n; i++)
        if (strcmp(idx->recs[i].filename, fn) == 0)
            return &idx->recs[i];
    return NULL;
}

static int has_dep(const struct repodata_record *r, const char *dep)
{
    for (size_t i = 0; i < r->n_depends; i++)
        if (strcmp(r->depends[i], dep) == 0)
            return 1;
    return 0;
}

static void test_real_linux64_all(void **state)
{
    (void)state;
    struct repodata_index idx;
    load(LINUX64, NULL, &idx);
    assert_int_equal(idx.n, 2181);
    assert_int_equal(idx.skipped, 0);
    assert_string_equal(idx.subdir, "linux-64");
    static const struct { const char *name; size_t n; } counts[] = {
        { "pytorch", 276 }, { "torchvision", 303 }, { "torchaudio", 191 },
        { "pytorch-cuda", 5 }, { "torchtriton", 8 }, { "ignite-nightly", 587 },
        { "torchtext", 69 }, { "pytorch-mutex", 0 }, { "no-such-package", 0 },
    };
    for (size_t i = 0; i < N_ELEMS(counts); i++) {
        size_t got = repodata_find(&idx, counts[i].name, NULL, 0);
        if (got != counts[i].n)
            fail_msg("%s: %zu records, want %zu", counts[i].name, got, counts[i].n);
    }
    const struct repodata_record *five[5];
    assert_int_equal(repodata_find(&idx, "pytorch-cuda", five, 5), 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(five[i]->name, "pytorch-cuda");
    repodata_index_free(&idx);
    repodata_index_free(&idx);
}

static void test_real_record_fields(void **state)
{
    (void)state;
    struct repodata_index idx;
    load(LINUX64, repodata_default_names, &idx);
    /* pytorch 276 + torchvision 303 + torchaudio 191 + pytorch-cuda 5 + torchtriton 8 */
    assert_int_equal(idx.n, 783);
    assert_int_equal(idx.skipped, 0);

    const struct repodata_record *r =
        by_filename(&idx, "pytorch-2.1.0-py3.10_cuda11.8_cudnn8.7.0_0.tar.bz2");
    assert_non_null(r);
    assert_string_equal(r->name, "pytorch");
    assert_string_equal(r->version, "2.1.0");
    assert_string_equal(r->build, "py3.10_cuda11.8_cudnn8.7.0_0");
    assert_int_equal(r->build_number, 0);
    assert_int_equal(r->n_depends, 13);
    assert_string_equal(r->depends[0], "blas * mkl");
    assert_string_equal(r->depends[12], "typing_extensions");
    assert_true(has_dep(r, "pytorch-cuda >=11.8,<11.9"));
    assert_true(has_dep(r, "python >=3.10,<3.11.0a0"));
    assert_int_equal(r->n_constrains, 1);
    assert_string_equal(r->constrains[0], "cpuonly <0");
    assert_null(r->track_features);
    assert_null(r->features);
    assert_string_equal(r->subdir, "linux-64");
    assert_true(r->timestamp == 1695396474887.0);   /* > INT_MAX, kept exactly */
    assert_true(r->timestamp > (double)INT_MAX);
    assert_true(r->size == 1566602770.0);
    assert_string_equal(r->md5, "82f9fb558ba63b9e172c2ba547b9efdd");
    assert_string_equal(r->sha256,
                        "4e4ab2bf16727c31d6f7127946a6f95db72e3bcc46dfcac2adda01e0b09262de");

    const struct repodata_record *tv = by_filename(&idx, "torchvision-0.11.2-py37_cpu.tar.bz2");
    assert_non_null(tv);
    assert_string_equal(tv->features, "cpuonly");
    assert_int_equal(tv->n_constrains, 0);
    assert_null(tv->constrains);

    /* not in the default set */
    assert_null(by_filename(&idx, "cuda100-1.0-0.tar.bz2"));

    /* identical strings are stored once */
    const struct repodata_record *r2 =
        by_filename(&idx, "pytorch-2.1.0-py3.11_cuda11.8_cudnn8.7.0_0.tar.bz2");
    assert_non_null(r2);
    assert_ptr_equal(r->depends[0], r2->depends[0]);
    assert_ptr_equal(r->constrains[0], r2->constrains[0]);
    assert_ptr_equal(r->subdir, r2->subdir);
    repodata_index_free(&idx);

    static const char *const only[] = { "cuda100", NULL };
    load(LINUX64, only, &idx);
    assert_int_equal(idx.n, 1);
    assert_string_equal(idx.recs[0].track_features, "cuda100");
    assert_int_equal(idx.recs[0].n_depends, 0);
    repodata_index_free(&idx);
}

/* ---- compact form ---- */

static void assert_same_index(const struct repodata_index *a, const struct repodata_index *b)
{
    assert_int_equal(a->n, b->n);
    assert_int_equal(a->skipped, b->skipped);
    if (a->subdir || b->subdir)
        assert_string_equal(a->subdir, b->subdir);
    for (size_t i = 0; i < a->n; i++) {
        const struct repodata_record *x = &a->recs[i], *y = &b->recs[i];
        assert_string_equal(x->filename, y->filename);
        assert_string_equal(x->name, y->name);
        assert_string_equal(x->version, y->version);
        assert_string_equal(x->build, y->build);
        assert_int_equal(x->build_number, y->build_number);
        assert_int_equal(x->n_depends, y->n_depends);
        for (size_t k = 0; k < x->n_depends; k++)
            assert_string_equal(x->depends[k], y->depends[k]);
        assert_int_equal(x->n_constrains, y->n_constrains);
        for (size_t k = 0; k < x->n_constrains; k++)
            assert_string_equal(x->constrains[k], y->constrains[k]);
        assert_true((x->track_features == NULL) == (y->track_features == NULL));
        if (x->track_features)
            assert_string_equal(x->track_features, y->track_features);
        assert_true((x->features == NULL) == (y->features == NULL));
        if (x->features)
            assert_string_equal(x->features, y->features);
        assert_true((x->subdir == NULL) == (y->subdir == NULL));
        if (x->subdir)
            assert_string_equal(x->subdir, y->subdir);
        assert_true(x->timestamp == y->timestamp);
        assert_true(x->size == y->size);
        assert_true((x->md5 == NULL) == (y->md5 == NULL));
        if (x->md5)
            assert_string_equal(x->md5, y->md5);
        assert_true((x->sha256 == NULL) == (y->sha256 == NULL));
        if (x->sha256)
            assert_string_equal(x->sha256, y->sha256);
    }
}

static void test_roundtrip(void **state)
{
    (void)state;
    static const char *const files[] = { LINUX64, WIN64, NOARCH };
    for (size_t f = 0; f < N_ELEMS(files); f++) {
        struct repodata_index idx, back, again;
        load(files[f], NULL, &idx);
        char *blob = NULL, *blob2 = NULL;
        size_t len = 0, len2 = 0;
        assert_int_equal(repodata_index_serialize(&idx, &blob, &len), 0);
        assert_non_null(blob);
        assert_int_equal(repodata_index_deserialize(blob, len, &back), 0);
        assert_same_index(&idx, &back);
        /* deterministic: the copy serializes to the same bytes */
        assert_int_equal(repodata_index_serialize(&back, &blob2, &len2), 0);
        assert_int_equal(len, len2);
        assert_memory_equal(blob, blob2, len);
        assert_int_equal(repodata_index_deserialize(blob2, len2, &again), 0);
        assert_same_index(&idx, &again);
        if (f == 0) {
            /* far smaller than the 1.27 MB of JSON it replaces (the md5 and
             * sha256 of its 2,710 records, unique hex, take some 265 KB) */
            assert_true(len < 700 * 1024);
        }
        free(blob);
        free(blob2);
        repodata_index_free(&idx);
        repodata_index_free(&back);
        repodata_index_free(&again);
    }
    /* an empty index round-trips too */
    struct repodata_index empty = { 0 }, back;
    char *blob;
    size_t len;
    assert_int_equal(repodata_index_serialize(&empty, &blob, &len), 0);
    assert_int_equal(repodata_index_deserialize(blob, len, &back), 0);
    assert_int_equal(back.n, 0);
    assert_null(back.subdir);
    free(blob);
    repodata_index_free(&back);
}

static void test_truncation_detected(void **state)
{
    (void)state;
    struct repodata_index idx, back;
    load(WIN64, NULL, &idx);
    char *blob;
    size_t len;
    assert_int_equal(repodata_index_serialize(&idx, &blob, &len), 0);
    for (size_t l = 0; l < len; l++) {
        int rc = repodata_index_deserialize(blob, l, &back);
        if (rc != REPODATA_E_TRUNCATED)
            fail_msg("truncated to %zu of %zu bytes: rc %d (%s)", l, len, rc,
                     repodata_strerror(rc));
        assert_null(back.recs);
        assert_null(back.arena);
    }
    /* a trailing byte is as wrong as a missing one */
    char *longer = malloc(len + 1);
    assert_non_null(longer);
    memcpy(longer, blob, len);
    longer[len] = 0;
    assert_int_equal(repodata_index_deserialize(longer, len + 1, &back), REPODATA_E_TRUNCATED);
    free(longer);
    free(blob);
    repodata_index_free(&idx);

    /* the big one: a few cut points */
    load(LINUX64, NULL, &idx);
    assert_int_equal(repodata_index_serialize(&idx, &blob, &len), 0);
    size_t cuts[] = { 0, 7, 8, 31, 32, 33, len / 3, len / 2, len - 64, len - 1 };
    for (size_t i = 0; i < N_ELEMS(cuts); i++)
        assert_int_equal(repodata_index_deserialize(blob, cuts[i], &back), REPODATA_E_TRUNCATED);
    free(blob);
    repodata_index_free(&idx);
}

static void test_bit_flips_detected(void **state)
{
    (void)state;
    struct repodata_index idx, back;
    load(WIN64, NULL, &idx);
    char *blob;
    size_t len;
    assert_int_equal(repodata_index_serialize(&idx, &blob, &len), 0);
    /* one flipped bit in every byte (bit number rotating) must be caught */
    for (size_t i = 0; i < len; i++) {
        unsigned char mask = (unsigned char)(1u << (i % 8));
        blob[i] = (char)(blob[i] ^ mask);
        int rc = repodata_index_deserialize(blob, len, &back);
        if (rc >= 0)
            fail_msg("flip at byte %zu not detected", i);
        assert_null(back.recs);
        blob[i] = (char)(blob[i] ^ mask);
    }
    /* and every bit of the header */
    for (size_t i = 0; i < 32 * 8; i++) {
        blob[i / 8] = (char)(blob[i / 8] ^ (1 << (i % 8)));
        assert_true(repodata_index_deserialize(blob, len, &back) < 0);
        blob[i / 8] = (char)(blob[i / 8] ^ (1 << (i % 8)));
    }
    assert_int_equal(repodata_index_deserialize(blob, len, &back), 0);
    repodata_index_free(&back);

    /* which check fires, by header field */
    blob[0] = 'X';
    assert_int_equal(repodata_index_deserialize(blob, len, &back), REPODATA_E_MAGIC);
    blob[0] = 'T';
    blob[8] = 1;                      /* format version (1: before md5/sha256) */
    assert_int_equal(repodata_index_deserialize(blob, len, &back), REPODATA_E_VERSION);
    blob[8] = 2;
    blob[12] ^= 1;                    /* the CRC itself */
    assert_int_equal(repodata_index_deserialize(blob, len, &back), REPODATA_E_CHECKSUM);
    blob[12] ^= 1;
    blob[len - 1] ^= 0x10;            /* payload */
    assert_int_equal(repodata_index_deserialize(blob, len, &back), REPODATA_E_CHECKSUM);
    blob[len - 1] ^= 0x10;
    assert_int_equal(repodata_index_deserialize("not an index at all", 19, &back),
                     REPODATA_E_MAGIC);
    assert_int_equal(repodata_index_deserialize(NULL, 0, &back), REPODATA_E_MAGIC);
    free(blob);
    repodata_index_free(&idx);
}

/* Independent CRC-32 (bitwise) to forge blobs whose checksum is right but
 * whose contents lie. Layout (see repodata.c): 32-byte header (magic 8,
 * version 4, crc 4 over [16, end), payload length 8, records 4, zero 4),
 * then u32 strtab_len, strtab, u32 skipped, u32 subdir, u32 nlist,
 * nlist x u32, records of 14 u32 + 2 f64. */
static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static uint32_t rd32(const char *b, size_t at)
{
    const unsigned char *p = (const unsigned char *)b + at;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(char *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[at + (size_t)i] = (char)(v >> (8 * i));
}

static void reseal(char *b, size_t len)
{
    wr32(b, 12, crc32_bitwise((const unsigned char *)b + 16, len - 16));
}

static void test_lying_contents_detected(void **state)
{
    (void)state;
    struct repodata_index idx, back;
    load(WIN64, NULL, &idx);
    char *blob;
    size_t len;
    assert_int_equal(repodata_index_serialize(&idx, &blob, &len), 0);
    /* resealing an untouched blob keeps it valid: the test's CRC agrees */
    reseal(blob, len);
    assert_int_equal(repodata_index_deserialize(blob, len, &back), 0);
    repodata_index_free(&back);

    size_t stlen = rd32(blob, 32);
    size_t after_st = 36 + stlen;
    size_t nlist = rd32(blob, after_st + 8);
    size_t rec0 = after_st + 12 + 4 * nlist;
    assert_int_equal(len, rec0 + idx.n * 72);
    struct { const char *what; size_t at; uint32_t value; } lies[] = {
        { "strtab longer than the blob", 32, 0x7FFFFFF0u },
        { "strtab without final NUL", 32, (uint32_t)stlen - 1 },
        { "subdir offset out of range", after_st + 4, (uint32_t)stlen },
        { "huge list count", after_st + 8, 0xFFFFFFF0u },
        { "name offset out of range", rec0 + 4, (uint32_t)stlen },
        { "filename offset NONE", rec0, 0xFFFFFFFFu },
        { "build_number > INT_MAX", rec0 + 28, 0x80000000u },
        { "depends past the list", rec0 + 32, (uint32_t)nlist },
        { "depends count huge", rec0 + 36, 0xFFFFFFFFu },
        { "constrains past the list", rec0 + 40, (uint32_t)nlist },
        { "md5 offset out of range", rec0 + 48, (uint32_t)stlen },
        { "sha256 offset out of range", rec0 + 52, (uint32_t)stlen },
        { "record count off by one", 24, (uint32_t)idx.n + 1 },
        { "reserved not zero", 28, 1 },
    };
    for (size_t i = 0; i < N_ELEMS(lies); i++) {
        char *b = malloc(len);
        assert_non_null(b);
        memcpy(b, blob, len);
        wr32(b, lies[i].at, lies[i].value);
        reseal(b, len);
        int rc = repodata_index_deserialize(b, len, &back);
        if (rc != REPODATA_E_CORRUPT)
            fail_msg("%s: rc %d (%s)", lies[i].what, rc, repodata_strerror(rc));
        assert_null(back.recs);
        free(b);
    }
    free(blob);
    repodata_index_free(&idx);
}

/* ---- malformed JSON ---- */

static void test_bad_json(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "[]", "null", "42", "\"packages\"", "{}", "{\"info\":{\"subdir\":\"x\"}}",
        "{\"packages\": []}", "{\"packages\": 1}", "{\"packages.conda\": \"x\"}",
        "{\"packages\": {\"a-1-0.tar.bz2\": {\"name\": \"a\"}", "{\"packages\": {}} trailing",
        "\xff\xfe{}", "{\"packages\": {\"a\": {\"name\": \"a\",}}}",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct repodata_index idx;
        char *err = NULL;
        if (repodata_parse(bad[i], strlen(bad[i]), NULL, &idx, &err) == 0) {
            repodata_index_free(&idx);
            fail_msg("'%s' should fail", bad[i]);
        }
        assert_non_null(err);
        assert_non_null(strstr(err, "repodata"));
        free(err);
        assert_null(idx.recs);
        assert_null(idx.arena);
    }
    /* the length is honoured: valid JSON cut short is invalid */
    const char *ok = "{\"packages\": {}}";
    struct repodata_index idx;
    assert_int_equal(repodata_parse(ok, strlen(ok) - 1, NULL, &idx, NULL), -1);
    assert_int_equal(repodata_parse(ok, strlen(ok), NULL, &idx, NULL), 0);
    assert_int_equal(idx.n, 0);
    repodata_index_free(&idx);
    assert_int_equal(repodata_parse(NULL, 0, NULL, &idx, NULL), -1);

    char *err = NULL;
    assert_int_equal(repodata_load_file("tests/fixtures/conda/no-such-file.json", NULL, &idx,
                                        &err), -1);
    assert_non_null(strstr(err, "no-such-file.json"));
    free(err);
}

static void test_bad_records_skipped(void **state)
{
    (void)state;
    const char *json =
        "{\"info\": {\"subdir\": \"linux-64\"},"
        " \"packages\": {"
        "  \"good-1.0-0.tar.bz2\": {\"name\": \"good\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 0, \"depends\": [\"python >=3.10\"], \"timestamp\": 1695396474887},"
        "  \"noname-1.0-0.tar.bz2\": {\"version\": \"1.0\", \"build\": \"0\", \"build_number\": 0},"
        "  \"numname-1.0-0.tar.bz2\": {\"name\": 7, \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 0},"
        "  \"nover-1.0-0.tar.bz2\": {\"name\": \"nover\", \"build\": \"0\", \"build_number\": 0},"
        "  \"nobuild-1.0-0.tar.bz2\": {\"name\": \"nobuild\", \"version\": \"1.0\", \"build_number\": 0},"
        "  \"nobn-1.0-0.tar.bz2\": {\"name\": \"nobn\", \"version\": \"1.0\", \"build\": \"0\"},"
        "  \"negbn-1.0-0.tar.bz2\": {\"name\": \"negbn\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": -1},"
        "  \"fracbn-1.0-0.tar.bz2\": {\"name\": \"fracbn\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 1.5},"
        "  \"strdeps-1.0-0.tar.bz2\": {\"name\": \"strdeps\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 0, \"depends\": \"python\"},"
        "  \"numdep-1.0-0.tar.bz2\": {\"name\": \"numdep\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 0, \"depends\": [\"python\", 3]},"
        "  \"strts-1.0-0.tar.bz2\": {\"name\": \"strts\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 0, \"timestamp\": \"yesterday\"},"
        "  \"tfnum-1.0-0.tar.bz2\": {\"name\": \"tfnum\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 0, \"track_features\": 1},"
        "  \"subnum-1.0-0.tar.bz2\": {\"name\": \"subnum\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 0, \"subdir\": 64},"
        "  \"notobj-1.0-0.tar.bz2\": [1, 2],"
        "  \"tflist-1.0-0.tar.bz2\": {\"name\": \"tflist\", \"version\": \"1.0\", \"build\": \"0\","
        "      \"build_number\": 2, \"track_features\": [\"cpuonly\", \"mkl\"], \"depends\": null}"
        " },"
        " \"packages.conda\": {"
        "  \"cgood-2.0-h1_0.conda\": {\"name\": \"cgood\", \"version\": \"2.0\", \"build\": \"h1_0\","
        "      \"build_number\": 0, \"subdir\": \"noarch\", \"size\": 12345}"
        " }}";
    struct repodata_index idx;
    char *err = NULL;
    assert_int_equal(repodata_parse(json, strlen(json), NULL, &idx, &err), 0);
    assert_int_equal(idx.n, 3);
    assert_int_equal(idx.skipped, 13);
    const struct repodata_record *g = by_filename(&idx, "good-1.0-0.tar.bz2");
    assert_non_null(g);
    assert_string_equal(g->subdir, "linux-64");          /* from info */
    assert_true(g->timestamp == 1695396474887.0);
    assert_true(g->size == 0);
    const struct repodata_record *t = by_filename(&idx, "tflist-1.0-0.tar.bz2");
    assert_non_null(t);
    assert_string_equal(t->track_features, "cpuonly mkl");
    assert_int_equal(t->n_depends, 0);
    assert_int_equal(t->build_number, 2);
    const struct repodata_record *c = by_filename(&idx, "cgood-2.0-h1_0.conda");
    assert_non_null(c);
    assert_string_equal(c->subdir, "noarch");
    assert_true(c->size == 12345);
    repodata_index_free(&idx);

    /* a malformed record whose name is filtered out is not even looked at */
    static const char *const only_good[] = { "good", NULL };
    assert_int_equal(repodata_parse(json, strlen(json), only_good, &idx, NULL), 0);
    assert_int_equal(idx.n, 1);
    assert_int_equal(idx.skipped, 3);                    /* the three without a usable name */
    repodata_index_free(&idx);
}

/* ---- merge ---- */

static void test_merge(void **state)
{
    (void)state;
    struct repodata_index win, noarch, all = { 0 };
    load(WIN64, NULL, &win);
    load(NOARCH, NULL, &noarch);
    assert_int_equal(win.n, 47);
    assert_int_equal(noarch.n, 3);
    assert_int_equal(repodata_find(&win, "pytorch", NULL, 0), 15);
    assert_int_equal(repodata_find(&win, "torchvision", NULL, 0), 15);
    assert_int_equal(repodata_find(&win, "torchaudio", NULL, 0), 15);

    assert_int_equal(repodata_index_merge(&all, &win), 47);
    assert_int_equal(repodata_index_merge(&all, &noarch), 3);
    assert_int_equal(repodata_index_merge(&all, &noarch), 0);   /* already there */
    assert_int_equal(repodata_index_merge(&all, &win), 0);
    assert_int_equal(all.n, 50);
    assert_string_equal(all.subdir, "win-64");
    const struct repodata_record *m = by_filename(&all, "pytorch-mutex-1.0-cuda.tar.bz2");
    assert_non_null(m);
    assert_string_equal(m->subdir, "noarch");
    assert_int_equal(m->build_number, 100);
    const struct repodata_record *cpu = by_filename(&all, "cpuonly-2.0-0.tar.bz2");
    assert_non_null(cpu);
    assert_string_equal(cpu->track_features, "cpuonly");
    assert_string_equal(cpu->depends[0], "pytorch-mutex 1.0 cpu");

    /* the merged index owns its strings: the sources can go */
    repodata_index_free(&win);
    repodata_index_free(&noarch);
    const struct repodata_record *p =
        by_filename(&all, "pytorch-2.3.1-py3.12_cuda12.1_cudnn8_0.tar.bz2");
    assert_non_null(p);
    assert_true(has_dep(p, "pytorch-cuda >=12.1,<12.2"));

    char *blob;
    size_t len;
    struct repodata_index back;
    assert_int_equal(repodata_index_serialize(&all, &blob, &len), 0);
    assert_int_equal(repodata_index_deserialize(blob, len, &back), 0);
    assert_same_index(&all, &back);
    /* merging into a deserialized index works too */
    struct repodata_index extra;
    load(NOARCH, NULL, &extra);
    assert_int_equal(repodata_index_merge(&back, &extra), 0);
    repodata_index_free(&extra);
    free(blob);
    repodata_index_free(&back);
    repodata_index_free(&all);
}

static char *slurp_file(const char *path, size_t *len)
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

/* The record-by-record parse and the whole-tree parse give the same index:
 * byte for byte once serialised, for the real file and each name set; and
 * the same verdicts on documents the scanner must hand over. */
static void test_streaming_equals_tree(void **state)
{
    (void)state;
    size_t len;
    char *json = slurp_file(LINUX64, &len);
    const char *const family[] = { "pytorch", "torchvision", "torchaudio", "pytorch-cuda", NULL };
    const char *const *sets[] = { NULL, repodata_default_names, family };
    for (size_t k = 0; k < N_ELEMS(sets); k++) {
        struct repodata_index a, b;
        char *err = NULL, *ba, *bb;
        size_t la, lb;
        assert_int_equal(repodata_parse(json, len, sets[k], &a, &err), 0);
        assert_int_equal(repodata_parse_tree(json, len, sets[k], &b, &err), 0);
        assert_int_equal(a.n, b.n);
        assert_int_equal(repodata_index_serialize(&a, &ba, &la), 0);
        assert_int_equal(repodata_index_serialize(&b, &bb, &lb), 0);
        assert_int_equal(la, lb);
        assert_memory_equal(ba, bb, la);
        free(ba);
        free(bb);
        repodata_index_free(&a);
        repodata_index_free(&b);
    }
    free(json);
    /* info after packages, escapes in keys, unusual spacing, nesting: both
     * parses agree (the scanner reads them or hands them over) */
    static const char *const docs[] = {
        "{\"packages\":{\"a-1-0.tar.bz2\":{\"name\":\"a\",\"version\":\"1\",\"build\":\"0\","
        "\"build_number\":0,\"depends\":[]}},\"info\":{\"subdir\":\"noarch\"}}",
        "{ \"info\" : { \"subdir\" : \"x\" } , \"packages\" : { \"a\\u002d1-0.tar.bz2\" : "
        "{\"name\":\"a\",\"version\":\"1\",\"build\":\"0\",\"build_number\":0,\"depends\":[]} } }",
        "{\"packages\":{\"b-2-0.tar.bz2\":{\"name\":\"b\",\"version\":\"2\",\"build\":\"0\","
        "\"build_number\":1.5,\"depends\":[\"x [version='>=1']\"],\"extra\":{\"k\":[1,{\"z\":null}]}}},"
        "\"packages.conda\":{},\"removed\":[],\"repodata_version\":1}",
        "{\"packages\":{\"c-1-0.tar.bz2\":{\"name\":\"c\",\"version\":\"1\",\"build\":\"0\","
        "\"build_number\":0,\"depends\":[]}}} trailing",
        "{\"packages\":[]}",
        "{\"info\":{}}",
        "[]",
        "",
    };
    for (size_t i = 0; i < N_ELEMS(docs); i++) {
        struct repodata_index a, b;
        char *ea = NULL, *eb = NULL;
        int ra = repodata_parse(docs[i], strlen(docs[i]), NULL, &a, &ea);
        int rb = repodata_parse_tree(docs[i], strlen(docs[i]), NULL, &b, &eb);
        if (ra != rb)
            fail_msg("doc %zu: stream %d, tree %d", i, ra, rb);
        if (ra == 0) {
            assert_int_equal(a.n, b.n);
            assert_int_equal(a.skipped, b.skipped);
            for (size_t r = 0; r < a.n; r++) {
                assert_string_equal(a.recs[r].filename, b.recs[r].filename);
                assert_string_equal(a.recs[r].subdir ? a.recs[r].subdir : "-",
                                    b.recs[r].subdir ? b.recs[r].subdir : "-");
            }
            repodata_index_free(&a);
            repodata_index_free(&b);
        } else {
            assert_string_equal(ea, eb);
        }
        free(ea);
        free(eb);
    }
}

static void test_strerror(void **state)
{
    (void)state;
    static const int codes[] = { REPODATA_E_MAGIC, REPODATA_E_VERSION, REPODATA_E_TRUNCATED,
                                 REPODATA_E_CHECKSUM, REPODATA_E_CORRUPT };
    for (size_t i = 0; i < N_ELEMS(codes); i++) {
        const char *s = repodata_strerror(codes[i]);
        assert_non_null(s);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(s, repodata_strerror(codes[j]));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_linux64_all),
        cmocka_unit_test(test_real_record_fields),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_truncation_detected),
        cmocka_unit_test(test_bit_flips_detected),
        cmocka_unit_test(test_lying_contents_detected),
        cmocka_unit_test(test_bad_json),
        cmocka_unit_test(test_bad_records_skipped),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_streaming_equals_tree),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests_name("repodata", tests, NULL, NULL);
}
