/* test_str.c — str.h: trimming, whole-string decimal counts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include "str.h"

static void test_trim(void **state)
{
    (void)state;
    char a[] = "  torch \t\n", b[] = "", c[] = "   ";
    assert_string_equal(str_trim(a), "torch");
    assert_string_equal(str_trim(b), "");
    assert_string_equal(str_trim(c), "");
    char d[] = "x  ";
    str_rtrim(d);
    assert_string_equal(d, "x");
}

static void test_count(void **state)
{
    (void)state;
    long long v = -7;
    assert_int_equal(str_to_count("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(str_to_count("1712345678", &v), 0);
    assert_int_equal(v, 1712345678LL);
    assert_int_equal(str_to_count("9223372036854775807", &v), 0);
    assert_true(v == LLONG_MAX);
    /* only digits, all of the string, no overflow; V untouched */
    static const char *const bad[] = {
        "", "-1", "+1", " 1", "1 ", "1x", "0x10", "9223372036854775808", "1e3", "١",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 42;
        assert_int_equal(str_to_count(bad[i], &v), -1);
        assert_int_equal(v, 42);
    }
    assert_int_equal(str_to_count(NULL, &v), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim),
        cmocka_unit_test(test_count),
    };
    return cmocka_run_group_tests_name("str", tests, NULL, NULL);
}
