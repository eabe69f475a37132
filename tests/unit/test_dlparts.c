/* test_dlparts.c — the downloader's pure parts: the range set, the resume
 * state's format, the progress line, the digests and the archive checks
 * (real archives made by python3's zipfile and by tar). No network. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "partfile.h"
#include "progress.h"
#include "rangeset.h"
#include "verify.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/torchshim-dlparts-XXXXXX";

static int group_setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[sizeof tmpdir + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- rangeset ---- */

static char *show(const struct rangeset *s)
{
    static char buf[512];
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < s->n; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s[%lld,%lld)", i ? " " : "",
                              (long long)s->v[i].a, (long long)s->v[i].b);
    return buf;
}

static void test_rangeset_add_merges(void **state)
{
    (void)state;
    struct rangeset s = { 0 };
    rangeset_add(&s, 10, 20);
    rangeset_add(&s, 30, 40);
    rangeset_add(&s, 0, 5);
    assert_string_equal(show(&s), "[0,5) [10,20) [30,40)");
    rangeset_add(&s, 20, 30);                    /* touching both: one interval */
    assert_string_equal(show(&s), "[0,5) [10,40)");
    rangeset_add(&s, 3, 12);
    assert_string_equal(show(&s), "[0,40)");
    rangeset_add(&s, 50, 50);                    /* empty: ignored */
    rangeset_add(&s, 45, 60);
    assert_string_equal(show(&s), "[0,40) [45,60)");
    assert_int_equal(rangeset_total(&s), 55);
    assert_true(rangeset_covers(&s, 5, 40));
    assert_false(rangeset_covers(&s, 5, 41));
    assert_true(rangeset_overlaps(&s, 39, 46));
    assert_false(rangeset_overlaps(&s, 40, 45));
    assert_int_equal(rangeset_run_end(&s, 7), 40);
    assert_int_equal(rangeset_run_end(&s, 42), 42);
    assert_int_equal(rangeset_first_gap(&s), 40);
    rangeset_free(&s);
}

static void test_rangeset_remove_take_complement(void **state)
{
    (void)state;
    struct rangeset s = { 0 }, c = { 0 };
    rangeset_add(&s, 0, 100);
    rangeset_remove(&s, 10, 20);                 /* split */
    assert_string_equal(show(&s), "[0,10) [20,100)");
    rangeset_remove(&s, 5, 30);                  /* a head and a tail */
    assert_string_equal(show(&s), "[0,5) [30,100)");
    rangeset_remove(&s, 0, 5);                   /* whole */
    rangeset_remove(&s, 90, 200);
    assert_string_equal(show(&s), "[30,90)");
    rangeset_complement(&s, 120, &c);
    assert_string_equal(show(&c), "[0,30) [90,120)");
    int64_t a, b;
    assert_int_equal(rangeset_take_first(&c, 10, &a, &b), 0);
    assert_int_equal(a, 0);
    assert_int_equal(b, 10);
    assert_int_equal(rangeset_take_first(&c, 0, &a, &b), 0);   /* the rest of [10,30) */
    assert_int_equal(a, 10);
    assert_int_equal(b, 30);
    assert_string_equal(show(&c), "[90,120)");
    rangeset_clear(&c);
    assert_int_equal(rangeset_take_first(&c, 10, &a, &b), -1);
    rangeset_free(&s);
    rangeset_free(&c);
}

/* ---- the resume state ---- */

static void test_state_roundtrip(void **state)
{
    (void)state;
    struct part_state st, back;
    part_state_init(&st);
    part_state_init(&back);
    st.size = 3000000000LL;                      /* > 2^31 */
    strcpy(st.sha256, "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12");
    part_state_set_validator(&st, "https://m1/x.whl", "\"5f-1c\"", "Mon, 23 Nov 2026 11:30:13 GMT");
    part_state_set_validator(&st, "https://m2/x.whl", NULL, "Tue, 24 Nov 2026 01:00:00 GMT");
    part_state_set_validator(&st, "https://m1/x.whl", "\"60-1c\"", NULL);   /* replaced */
    rangeset_add(&st.done, 0, 1048576);
    rangeset_add(&st.done, 2999000000LL, 3000000000LL);
    size_t len;
    char *text = part_state_format(&st, &len);
    assert_int_equal(strlen(text), len);
    char *err = NULL;
    assert_int_equal(part_state_parse(text, len, &back, &err), 0);
    assert_int_equal(back.size, st.size);
    assert_string_equal(back.sha256, st.sha256);
    assert_string_equal(back.md5, "");
    assert_int_equal(back.nval, 2);
    const struct part_validator *v = part_state_validator(&back, "https://m1/x.whl");
    assert_non_null(v);
    assert_string_equal(v->etag, "\"60-1c\"");
    assert_null(v->last_modified);
    v = part_state_validator(&back, "https://m2/x.whl");
    assert_null(v->etag);
    assert_string_equal(v->last_modified, "Tue, 24 Nov 2026 01:00:00 GMT");
    assert_string_equal(show(&back.done), "[0,1048576) [2999000000,3000000000)");

    /* save and load through the file system */
    char *path = xasprintf("%s/x.part.state", tmpdir);
    assert_int_equal(part_state_save(path, &st, &err), 0);
    part_state_clear(&back);
    assert_int_equal(part_state_load(path, &back, &err), 0);
    assert_int_equal(rangeset_total(&back.done), rangeset_total(&st.done));
    unlink(path);
    assert_int_equal(part_state_load(path, &back, &err), 1);     /* absent */
    free(path);
    free(text);
    part_state_clear(&st);
    part_state_clear(&back);
}

static void test_state_rejects_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                                                  /* empty */
        "something else\nsize\t10\n",                        /* magic */
        "torchshim-part 1\nsha256\t-\n",                     /* no size */
        "torchshim-part 1\nsize\t10\ndone\t0\t11\n",         /* past the end */
        "torchshim-part 1\nsize\t10\ndone\t5\t5\n",          /* empty range */
        "torchshim-part 1\nsize\tten\n",
        "torchshim-part 1\nsize\t10\nsha256\tXYZ\n",         /* not a digest */
        "torchshim-part 1\nsize\t10\nmirror\t-\t-\t-\n",     /* no URL */
        "torchshim-part 1\nsize\t10\ndone\t-1\t5\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct part_state st;
        part_state_init(&st);
        char *err = NULL;
        assert_int_equal(part_state_parse(bad[i], strlen(bad[i]), &st, &err), -1);
        assert_non_null(err);
        free(err);
        assert_int_equal(st.size, -1);
        part_state_clear(&st);
    }
    /* a record of a newer writer is skipped */
    static const char newer[] = "torchshim-part 1\nsize\t10\nfuture\tx\ndone\t0\t4\n";
    struct part_state st;
    part_state_init(&st);
    assert_int_equal(part_state_parse(newer, sizeof newer - 1, &st, NULL), 0);
    assert_int_equal(rangeset_total(&st.done), 4);
    part_state_clear(&st);
}

/* ---- the progress line ---- */

static void test_progress_line(void **state)
{
    (void)state;
    char buf[256];
    struct dl_stats s = { .name = "torch-2.3.1-cp312-linux_x86_64.whl", .done = 1288490189LL,
                          .total = 2576980378LL, .rate = 160.0 * 1024 * 1024, .conns = 8,
                          .phase = DL_PHASE_TRANSFER };
    dl_progress_format(&s, 100, buf, sizeof buf);
    assert_string_equal(buf, "torch-2.3.1-cp312-linux_x86_64.whl  1.2G/2.4G  50%  160.0M/s  ETA 0:08"
                             "  8 conn");
    /* narrower: the connection count goes, then the ETA, then the name shrinks */
    size_t n = dl_progress_format(&s, 66, buf, sizeof buf);
    assert_string_equal(buf, "torch-2.3.1-cp312-linux_x86_64.whl  1.2G/2.4G  50%  160.0M/s");
    assert_true(n <= 66);
    n = dl_progress_format(&s, 40, buf, sizeof buf);
    assert_true(n <= 40);
    assert_non_null(strstr(buf, "..."));
    assert_non_null(strstr(buf, "1.2G/2.4G  50%  160.0M/s"));
    assert_int_equal(strncmp(buf, "torch-", 6), 0);
    /* unknown size, no rate yet */
    struct dl_stats u = { .name = "x.bin", .done = 512, .total = -1, .rate = 0, .conns = 1,
                          .phase = DL_PHASE_TRANSFER };
    dl_progress_format(&u, 80, buf, sizeof buf);
    assert_string_equal(buf, "x.bin  512B  --/s  1 conn");
    /* long ETA, other phases */
    struct dl_stats l = { .name = "y", .done = 0, .total = 10LL << 30, .rate = 1024 * 1024,
                          .conns = 2, .phase = DL_PHASE_TRANSFER };
    dl_progress_format(&l, 80, buf, sizeof buf);
    assert_string_equal(buf, "y  0B/10.0G  0%  1.0M/s  ETA 2:50:40  2 conn");
    l.phase = DL_PHASE_VERIFY;
    dl_progress_format(&l, 80, buf, sizeof buf);
    assert_string_equal(buf, "y  10.0G  verifying");
    l.phase = DL_PHASE_CONNECT;
    dl_progress_format(&l, 80, buf, sizeof buf);
    assert_string_equal(buf, "y  connecting");
    /* a tiny buffer is always terminated */
    char small[8];
    dl_progress_format(&s, 100, small, sizeof small);
    assert_int_equal(strlen(small), 7);
}

static void test_human_bytes(void **state)
{
    (void)state;
    char b[16];
    dl_human_bytes(0, b, sizeof b);
    assert_string_equal(b, "0B");
    dl_human_bytes(1023, b, sizeof b);
    assert_string_equal(b, "1023B");
    dl_human_bytes(1536, b, sizeof b);
    assert_string_equal(b, "1.5K");
    dl_human_bytes(1023 * 1024, b, sizeof b);    /* not "1023.0K" */
    assert_string_equal(b, "1.0M");
    dl_human_bytes(2147483648LL, b, sizeof b);
    assert_string_equal(b, "2.0G");
    dl_human_bytes(-1, b, sizeof b);
    assert_string_equal(b, "?");
}

/* ---- digests ---- */

static void test_digests(void **state)
{
    (void)state;
    struct dl_hash h;
    char sha[65], md5[33];
    assert_int_equal(dl_hash_init(&h, 1, NULL), 0);
    dl_hash_update(&h, "abc", 3);
    dl_hash_final(&h, sha, md5);
    dl_hash_free(&h);
    assert_string_equal(sha, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_string_equal(md5, "900150983cd24fb0d6963f7d28e17f72");

    /* from a file, in two steps, equals the one-shot digest */
    char *path = xasprintf("%s/digest.bin", tmpdir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    char *data = xmalloc(3000000);
    for (size_t i = 0; i < 3000000; i++)
        data[i] = (char)(i * 2654435761u >> 13);
    assert_int_equal(write(fd, data, 3000000), 3000000);
    char one[65], two[65];
    assert_int_equal(dl_hash_init(&h, 0, NULL), 0);
    dl_hash_update(&h, data, 3000000);
    dl_hash_final(&h, one, NULL);
    dl_hash_free(&h);
    assert_int_equal(dl_hash_init(&h, 0, NULL), 0);
    assert_int_equal(dl_hash_file(&h, fd, 0, 1234567, NULL), 0);
    assert_int_equal(dl_hash_file(&h, fd, 1234567, 3000000, NULL), 0);
    dl_hash_final(&h, two, NULL);
    dl_hash_free(&h);
    assert_string_equal(one, two);
    /* past the end: an error, not a hang */
    char *err = NULL;
    assert_int_equal(dl_hash_init(&h, 0, NULL), 0);
    assert_int_equal(dl_hash_file(&h, fd, 2999000, 3000001, &err), -1);
    assert_non_null(strstr(err, "shorter"));
    free(err);
    dl_hash_free(&h);
    close(fd);
    free(data);
    free(path);

    char norm[65];
    assert_int_equal(hex_digest_norm("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
                                     64, norm), 0);
    assert_string_equal(norm, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(hex_digest_norm("ba78", 64, norm), -1);
    assert_int_equal(hex_digest_norm("zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                                     64, norm), -1);
    assert_int_equal(hex_digest_norm(NULL, 64, norm), 0);
    assert_string_equal(norm, "");
}

/* ---- archives ---- */

static void make_zip(const char *path, const char *members)
{
    assert_int_equal(run_cmd("python3 - '%s' %s <<'EOF'\n"
                         "import sys, zipfile\n"
                         "with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n"
                         "    for m in sys.argv[2:]:\n"
                         "        z.writestr(m, 'Metadata-Version: 2.1\\nName: pkg\\n' * 50)\n"
                         "EOF",
                         path, members),
                     0);
}

static void test_archive_checks(void **state)
{
    (void)state;
    char *err = NULL;
    char *whl = xasprintf("%s/pkg-1.0-py3-none-any.whl", tmpdir);
    make_zip(whl, "pkg/__init__.py pkg-1.0.dist-info/METADATA pkg-1.0.dist-info/WHEEL "
                  "pkg-1.0.dist-info/RECORD");
    assert_int_equal(verify_archive(whl, whl, &err), 0);

    char *nometa = xasprintf("%s/nometa-1.0-py3-none-any.whl", tmpdir);
    make_zip(nometa, "pkg/__init__.py pkg-1.0.dist-info/WHEEL sub/x.dist-info/METADATA");
    assert_int_equal(verify_archive(nometa, nometa, &err), -1);
    assert_non_null(strstr(err, "METADATA"));
    free(err);
    err = NULL;

    char *conda = xasprintf("%s/pkg-1.0-0.conda", tmpdir);
    make_zip(conda, "metadata.json info-pkg-1.0-0.tar.zst pkg-pkg-1.0-0.tar.zst");
    assert_int_equal(verify_archive(conda, conda, &err), 0);
    /* a .conda that is a zip of something else */
    assert_int_equal(verify_archive(nometa, "pkg-1.0-0.conda", &err), -1);
    free(err);
    err = NULL;

    char *tbz = xasprintf("%s/pkg-1.0-0.tar.bz2", tmpdir);
    assert_int_equal(run_cmd("cd '%s' && mkdir -p info && echo '{}' > info/index.json && "
                         "tar cjf '%s' info/index.json",
                         tmpdir, tbz),
                     0);
    assert_int_equal(verify_archive(tbz, tbz, &err), 0);
    /* a zip named .tar.bz2, random bytes named .whl */
    assert_int_equal(verify_archive(whl, "x.tar.bz2", &err), -1);
    free(err);
    err = NULL;
    char *junk = xasprintf("%s/junk.whl", tmpdir);
    assert_int_equal(run_cmd("head -c 100000 /dev/urandom > '%s'", junk), 0);
    assert_int_equal(verify_archive(junk, junk, &err), -1);
    free(err);
    err = NULL;
    /* other names are not checked */
    assert_int_equal(verify_archive(junk, "junk.bin", &err), 0);
    free(whl);
    free(nometa);
    free(conda);
    free(tbz);
    free(junk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rangeset_add_merges),
        cmocka_unit_test(test_rangeset_remove_take_complement),
        cmocka_unit_test(test_state_roundtrip),
        cmocka_unit_test(test_state_rejects_malformed),
        cmocka_unit_test(test_progress_line),
        cmocka_unit_test(test_human_bytes),
        cmocka_unit_test(test_digests),
        cmocka_unit_test(test_archive_checks),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
