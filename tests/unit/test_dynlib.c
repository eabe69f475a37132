/* test_dynlib.c — dynlib_fill (dlopen + a table by name), and the lazily
 * loaded libcurl and libarchive tables built on it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <zlib.h>

#include "archlib.h"
#include "curllib.h"
#include "dynlib.h"

struct ztable {
    __typeof__(&zlibVersion) version;
    __typeof__(&crc32) crc;
};

static const struct dynlib_sym zsyms[] = {
    { offsetof(struct ztable, version), "zlibVersion" },
    { offsetof(struct ztable, crc), "crc32" },
};

static void test_fill(void **state)
{
    (void)state;
    static const char *const sonames[] = { "libnot-there.so.9", "libz.so.1" };
    struct ztable t = { NULL, NULL };
    char why[200] = "";
    assert_int_equal(dynlib_fill("zlib", sonames, 2, zsyms, 2, &t, sizeof t, why, sizeof why), 0);
    assert_non_null(t.version);
    assert_string_equal(t.version(), zlibVersion());   /* the same library */
    assert_int_equal(t.crc(0, (const Bytef *)"abc", 3), 0x352441c2);
}

static void test_missing(void **state)
{
    (void)state;
    static const char *const none[] = { "libnot-there.so.9" };
    static const char *const z[] = { "libz.so.1" };
    static const struct dynlib_sym bad[] = {
        { offsetof(struct ztable, version), "zlibVersion" },
        { offsetof(struct ztable, crc), "no_such_function_here" },
    };
    struct ztable t = { NULL, NULL };
    char why[200] = "";
    assert_int_equal(dynlib_fill("zlib", none, 1, zsyms, 2, &t, sizeof t, why, sizeof why), -1);
    assert_non_null(strstr(why, "cannot load zlib: "));
    assert_int_equal(dynlib_fill("zlib", z, 1, bad, 2, &t, sizeof t, why, sizeof why), -1);
    assert_string_equal(why, "zlib lacks no_such_function_here");
    assert_null(t.version);   /* all or nothing */
    assert_null(t.crc);
}

static void test_libraries(void **state)
{
    (void)state;
    char *err = NULL;
    assert_int_equal(curllib_load(&err), 0);
    assert_null(err);
    const curl_version_info_data *v = curlapi()->version_info(CURLVERSION_NOW);
    assert_non_null(v);
    assert_true(v->version_num >= 0x074400);   /* Debian 12: 7.88 */
    CURL *h = curlapi()->easy_init();
    assert_non_null(h);
    assert_int_equal(curlapi()->easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:9/"), CURLE_OK);
    curlapi()->easy_cleanup(h);
    assert_int_equal(archlib_load(&err), 0);
    struct archive *a = archlib.read_new();
    assert_non_null(a);
    assert_int_equal(archlib.support_format_raw(a), ARCHIVE_OK);
    archlib.read_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fill),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_libraries),
    };
    return cmocka_run_group_tests_name("dynlib", tests, NULL, NULL);
}
