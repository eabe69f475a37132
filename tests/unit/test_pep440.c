/* test_pep440.c — PEP 440 versions and specifier sets.
 * Expected values were checked against pip's own packaging library. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pep440.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* input -> normalised form (NULL: invalid) */
static const struct {
    const char *in;
    const char *norm;
} parse_cases[] = {
    { "2.3.1+cu121", "2.3.1+cu121" },
    { "2.3.1", "2.3.1" },
    { "v2.3.1", "2.3.1" },
    { "2.6.0.dev20241112+cu121", "2.6.0.dev20241112+cu121" },
    { "1.13.1+cu117", "1.13.1+cu117" },
    { "2.0.0+cpu.cxx11.abi", "2.0.0+cpu.cxx11.abi" },
    { "0.18.1+cu121", "0.18.1+cu121" },
    { "0.15.2+cu118", "0.15.2+cu118" },
    { "2.1.0+rocm5.6", "2.1.0+rocm5.6" },
    { "2.4.0+rocm6.1", "2.4.0+rocm6.1" },
    { "2.5.0a0+git1234abc", "2.5.0a0+git1234abc" },
    { "1.0-1", "1.0.post1" },
    { "1.0.post", "1.0.post0" },
    { "1.0-r2", "1.0.post2" },
    { "1.0rev3", "1.0.post3" },
    { "1.0post-1", "1.0.post1" },
    { "1.0alpha1", "1.0a1" },
    { "1.0.beta.2", "1.0b2" },
    { "1.0c1", "1.0rc1" },
    { "1.0pre1", "1.0rc1" },
    { "1.0preview2", "1.0rc2" },
    { "1.0-dev", "1.0.dev0" },
    { "1.0_DEV_3", "1.0.dev3" },
    { "1!2.0", "1!2.0" },
    { "0!2.0", "2.0" },
    { "1.0a.dev1", "1.0a0.dev1" },
    { "1.0RC1.POST2.DEV3+Ubuntu-1_2", "1.0rc1.post2.dev3+ubuntu.1.2" },
    { "2.3.1+CU121", "2.3.1+cu121" },
    { "1.0+01.ABC", "1.0+1.abc" },
    { "2024.01.05", "2024.1.5" },
    { " 1.0 ", "1.0" },
    { "V1.0", "1.0" },
    { "1.0+", NULL },
    { "1.0.", NULL },
    { "abc", NULL },
    { "1.0+a..b", NULL },
    { "", NULL },
    { "1.0-", NULL },
    { "1.0a1b2", NULL },
    { "1..0", NULL },
    { "2.3.1+cu121 x", NULL },
    { "1.0-1-1", NULL },
    { "1.0+cpu+cu121", NULL },
    { "2.3.*", NULL },
    /* documented limit: numbers must fit in 64 bits */
    { "99999999999999999999999.0", NULL },
};

static void test_parse_normalise(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(parse_cases); i++) {
        struct pep440 v;
        int r = pep440_parse(parse_cases[i].in, &v);
        if (!parse_cases[i].norm) {
            if (r != -1)
                fail_msg("'%s' should be invalid", parse_cases[i].in);
            assert_null(v.release);
            continue;
        }
        if (r != 0)
            fail_msg("'%s' should parse", parse_cases[i].in);
        char *s = pep440_str(&v);
        assert_string_equal(s, parse_cases[i].norm);
        free(s);
        pep440_free(&v);
    }
}

static void test_fields(void **state)
{
    (void)state;
    struct pep440 v;
    assert_int_equal(pep440_parse("1!2.6.0rc2.post3.dev20241112+cu121", &v), 0);
    assert_int_equal(v.epoch, 1);
    assert_int_equal(v.nrelease, 3);
    assert_int_equal(v.release[0], 2);
    assert_int_equal(v.release[1], 6);
    assert_int_equal(v.release[2], 0);
    assert_int_equal(v.pre, PEP440_PRE_RC);
    assert_int_equal(v.pre_n, 2);
    assert_true(v.has_post);
    assert_int_equal(v.post, 3);
    assert_true(v.has_dev);
    assert_int_equal(v.dev, 20241112ULL);
    assert_string_equal(pep440_local(&v), "cu121");
    assert_true(pep440_is_pre(&v));
    assert_true(pep440_is_post(&v));
    assert_true(pep440_is_dev(&v));
    char *s = pep440_public_str(&v);
    assert_string_equal(s, "1!2.6.0rc2.post3.dev20241112");
    free(s);
    s = pep440_base_str(&v);
    assert_string_equal(s, "1!2.6.0");
    free(s);

    struct pep440 c;
    pep440_copy(&c, &v);
    assert_int_equal(pep440_cmp(&c, &v), 0);
    pep440_free(&v);
    s = pep440_str(&c);
    assert_string_equal(s, "1!2.6.0rc2.post3.dev20241112+cu121");
    free(s);
    pep440_free(&c);

    static const struct {
        const char *in;
        int pre, post, dev;
        const char *local;
    } flags[] = {
        { "2.3.1", 0, 0, 0, NULL },
        { "2.3.1+cu121", 0, 0, 0, "cu121" },
        { "2.4.0rc1", 1, 0, 0, NULL },
        { "2.6.0.dev20241112+cu124", 1, 0, 1, "cu124" },
        { "2.3.1.post1", 0, 1, 0, NULL },
        { "2.0.0+cpu.cxx11.abi", 0, 0, 0, "cpu.cxx11.abi" },
        { "2.5.0a0+git1234abc", 1, 0, 0, "git1234abc" },
    };
    for (size_t i = 0; i < N(flags); i++) {
        assert_int_equal(pep440_parse(flags[i].in, &v), 0);
        assert_int_equal(pep440_is_pre(&v), flags[i].pre);
        assert_int_equal(pep440_is_post(&v), flags[i].post);
        assert_int_equal(pep440_is_dev(&v), flags[i].dev);
        if (flags[i].local)
            assert_string_equal(pep440_local(&v), flags[i].local);
        else
            assert_null(pep440_local(&v));
        pep440_free(&v);
    }
}

/* Strictly ascending (PEP 440's own example list plus torch versions). */
static const char *const ordered[] = {
    "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
    "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
    "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc.5", "1.0+abc.7", "1.0+5",
    "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1",
    "1.13.1+cu117", "2.0.0", "2.0.0+cpu", "2.0.0+cpu.cxx11.abi", "2.0.0+cu117",
    "2.0.0+cu118", "2.0.1", "2.3.1", "2.3.1+9", "2.3.1+10",
    "2.4.0.dev20240601+cu121", "2.4.0.dev20240602+cpu", "2.4.0rc1", "2.4.0",
    "2.5.0a0+git1234abc", "2.5.0", "2.6.0.dev20241112+cu124", "2.6.0+cpu", "1!0.1",
};

static void test_ordering(void **state)
{
    (void)state;
    struct pep440 v[N(ordered)];
    for (size_t i = 0; i < N(ordered); i++)
        assert_int_equal(pep440_parse(ordered[i], &v[i]), 0);
    for (size_t i = 0; i < N(ordered); i++) {
        for (size_t j = 0; j < N(ordered); j++) {
            int c = pep440_cmp(&v[i], &v[j]);
            int want = i < j ? -1 : i > j;
            if (c != want)
                fail_msg("cmp(%s, %s) = %d, want %d", ordered[i], ordered[j], c, want);
        }
    }
    for (size_t i = 0; i < N(ordered); i++)
        pep440_free(&v[i]);
}

static const struct {
    const char *a, *b;
    int cmp, cmp_public, cmp_base;
} equal_cases[] = {
    { "2.3", "2.3.0", 0, 0, 0 },
    { "2.3.0.0", "2.3", 0, 0, 0 },
    { "1.0c1", "1.0rc1", 0, 0, 0 },
    { "1.0-1", "1.0.post1", 0, 0, 0 },
    { "0!1.0", "1.0", 0, 0, 0 },
    { "2.3.1+cu121", "2.3.1", 1, 0, 0 },
    { "2.3.1+cu118", "2.3.1+cu121", -1, 0, 0 },
    { "2.3.1+01", "2.3.1+1", 0, 0, 0 },
    { "2.3.1", "2.3.10", -1, -1, -1 },
    { "2.10.0", "2.9.1", 1, 1, 1 },
    { "0.18.1+cu121", "0.18.0+cu121", 1, 1, 1 },
    { "2.6.0.dev20241112+cu124", "2.6", -1, -1, 0 },
    { "0.21.0.dev20241111", "0.21.0.dev20241112", -1, -1, 0 },
    { "2.4.0rc1", "2.4.0.post1", -1, -1, 0 },
    { "1!0.1", "2.0", 1, 1, 1 },
};

static void test_equality(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(equal_cases); i++) {
        struct pep440 a, b;
        assert_int_equal(pep440_parse(equal_cases[i].a, &a), 0);
        assert_int_equal(pep440_parse(equal_cases[i].b, &b), 0);
        if (pep440_cmp(&a, &b) != equal_cases[i].cmp ||
            pep440_cmp(&b, &a) != -equal_cases[i].cmp)
            fail_msg("cmp %s vs %s", equal_cases[i].a, equal_cases[i].b);
        if (pep440_cmp_public(&a, &b) != equal_cases[i].cmp_public)
            fail_msg("cmp_public %s vs %s", equal_cases[i].a, equal_cases[i].b);
        if (pep440_cmp_base(&a, &b) != equal_cases[i].cmp_base)
            fail_msg("cmp_base %s vs %s", equal_cases[i].a, equal_cases[i].b);
        pep440_free(&a);
        pep440_free(&b);
    }
}

/* spec, version, allow_pre, expected (checked with packaging) */
static const struct {
    const char *spec, *ver;
    int allow_pre, match;
} match_cases[] = {
    { "==2.3.1", "2.3.1+cu121", 0, 1 },
    { "==2.3.1", "2.3.1", 0, 1 },
    { "==2.3.1+cu121", "2.3.1+cu121", 0, 1 },
    { "==2.3.1+cu121", "2.3.1+cu118", 0, 0 },
    { "==2.3.1+cu121", "2.3.1", 0, 0 },
    { "==2.3", "2.3.0", 0, 1 },
    { "==2.3.0", "2.3", 0, 1 },
    { "==2.3.*", "2.3.1+cu121", 0, 1 },
    { "==2.3.*", "2.4.0", 0, 0 },
    { "==2.*", "2.3.1", 0, 1 },
    { "==2.3.*", "2.3", 0, 1 },
    { "==2.3.1.*", "2.3.1rc1", 1, 1 },
    { "==2.3.*", "2.3.0rc1", 0, 0 },
    { "==2.3.*", "2.3.0rc1", 1, 1 },
    { "==2.3.*", "2.30.0", 0, 0 },
    { "!=2.3.*", "2.3.1", 0, 0 },
    { "!=2.3.*", "2.4.0", 0, 1 },
    { "!=2.3.1", "2.3.1+cu121", 0, 0 },
    { "!=2.3.1+cu118", "2.3.1+cu121", 0, 1 },
    { ">=1.13,<2.4", "2.3.1+cu121", 0, 1 },
    { ">=1.13,<2.4", "2.4.0", 0, 0 },
    { ">=1.13,<2.4", "2.4.0rc1", 1, 0 },
    { ">=1.13,<2.4", "2.4.0.dev20240601", 1, 0 },
    { ">=1.13,<2.4", "1.13.0", 0, 1 },
    { ">=1.13,<2.4", "1.12.1", 0, 0 },
    { "<2.4", "2.3.1+cu121", 0, 1 },
    { "<2.4", "2.4.0+cu121", 0, 0 },
    { "<2.4rc1", "2.4.0a1", 0, 0 },
    { "<2.4rc1", "2.4.0a1", 1, 1 },
    { "<2.4.0rc1", "2.4.0a1", 0, 0 },
    { ">2.3.1", "2.3.1+cu121", 0, 0 },
    { ">2.3.1", "2.3.1.post1", 0, 0 },
    { ">2.3.1", "2.3.2", 0, 1 },
    { ">2.3.1.post1", "2.3.1.post2", 0, 1 },
    { ">2.3", "2.3.1", 0, 1 },
    { ">2.3.0", "2.3.1+cu121", 0, 1 },
    { "<=2.3.1", "2.3.1+cu121", 0, 1 },
    { ">=2.3.1", "2.3.1+cpu", 0, 1 },
    { ">=2.3.1", "2.3.1rc1", 1, 0 },
    { "<=2.3.1", "2.3.1.post1", 0, 0 },
    { "~=2.2", "2.9.0", 0, 1 },
    { "~=2.2", "3.0", 0, 0 },
    { "~=2.2.0", "2.2.2", 0, 1 },
    { "~=2.2.0", "2.3.0", 0, 0 },
    { "~=2.2.1", "2.2.0", 0, 0 },
    { "~=1.4.5a4", "1.4.5", 0, 1 },
    { "~=1.4.5a4", "1.4.5a5", 0, 1 },
    { "~=2.2.post3", "2.2.post4", 0, 1 },
    { "~=2.2.post3", "2.2", 0, 0 },
    { "===2.3.1+cu121", "2.3.1+cu121", 0, 1 },
    { "===2.3.1+CU121", "2.3.1+cu121", 0, 1 },
    { "===2.3.1", "2.3.1+cu121", 0, 0 },
    { "===2.3.1", "2.3.1", 0, 1 },
    { "", "2.3.1", 0, 1 },
    { "", "2.6.0.dev20241112+cu121", 0, 0 },
    { "", "2.6.0.dev20241112+cu121", 1, 1 },
    { ">=2.6.0.dev0", "2.6.0.dev20241112+cu121", 0, 1 },
    { ">=2.5", "2.6.0.dev20241112+cu121", 0, 0 },
    { "==2.6.0.dev20241112", "2.6.0.dev20241112+cu121", 0, 1 },
    { "==2.6.0.dev20241112+cu121", "2.6.0.dev20241112+cu121", 0, 1 },
    { "!=2.6.0.dev20241112", "2.6.0.dev20241113", 0, 0 },
    { ">=1.0,!=1.5.*,<2", "1.5.3", 0, 0 },
    { ">=1.0,!=1.5.*,<2", "1.6", 0, 1 },
    { "==1!2.0", "2.0", 0, 0 },
    { "==1!2.0", "1!2.0", 0, 1 },
    { ">1.0", "1!0.5", 0, 1 },
    { "==2.0.0+cpu", "2.0.0+cpu.cxx11.abi", 0, 0 },
    { "==2.0.0+cpu.cxx11.abi", "2.0.0+cpu.cxx11.abi", 0, 1 },
    { "== 2.3.1", "2.3.1", 0, 1 },
    { ">= 1.13 , < 2.4", "2.0.1", 0, 1 },
    { "==v2.3.1", "2.3.1", 0, 1 },
    { "<2.0", "2.0.0.dev0", 1, 0 },
    { "<2.0", "2.0.0a1", 1, 0 },
    { "<2.0", "1.13.1+cu117", 0, 1 },
    { "~=0.18.0", "0.18.1+cu121", 0, 1 },
    { "==0.18.1", "0.18.1+cu121", 0, 1 },
    { ">=2.0,<2.1", "2.0.1+cu118", 0, 1 },
    { ">=2.0,<2.1", "2.1.0+cu118", 0, 0 },
};

static void test_specset_match(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(match_cases); i++) {
        struct pep440_specset ss;
        struct pep440 v;
        char *err = NULL;
        if (pep440_specset_parse(match_cases[i].spec, &ss, &err) != 0)
            fail_msg("spec '%s': %s", match_cases[i].spec, err);
        assert_int_equal(pep440_parse(match_cases[i].ver, &v), 0);
        int got = pep440_specset_match(&ss, &v, match_cases[i].allow_pre);
        if (got != match_cases[i].match)
            fail_msg("'%s' vs '%s' (pre=%d): got %d", match_cases[i].spec,
                     match_cases[i].ver, match_cases[i].allow_pre, got);
        pep440_free(&v);
        pep440_specset_free(&ss);
    }
}

/* spec text -> normalised text, or NULL when it must be rejected */
static const struct {
    const char *in, *out;
} specset_cases[] = {
    { "", "" },
    { "   ", "" },
    { ">=1.13,<2.4", ">=1.13,<2.4" },
    { ">= 1.13 , < 2.4", ">=1.13,<2.4" },
    { "==2.3.1+CU121", "==2.3.1+cu121" },
    { "== 2.3.*", "==2.3.*" },
    { "!=1.5.*", "!=1.5.*" },
    { "~=2.2.0", "~=2.2.0" },
    { "===foobar", "===foobar" },
    { ">2.0c1", ">2.0rc1" },
    { "<=1!2.0-1", "<=1!2.0.post1" },
    { ">=2.6.0.dev20241112", ">=2.6.0.dev20241112" },
    { ">=1.0,", NULL },
    { ",>=1.0", NULL },
    { "2.3.1", NULL },
    { "=2.3.1", NULL },
    { "=>2.3.1", NULL },
    { ">=", NULL },
    { ">=2.3.*", NULL },
    { "~=2", NULL },
    { "~=2.2+cu121", NULL },
    { ">=2.3.1+cu121", NULL },
    { "==2.3.0rc1.*", NULL },
    { "==2.3.*+cu121", NULL },
    { "==2.3.1 +cu121", NULL },
    { "==two", NULL },
};

static void test_specset_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(specset_cases); i++) {
        struct pep440_specset ss;
        char *err = NULL;
        int r = pep440_specset_parse(specset_cases[i].in, &ss, &err);
        if (!specset_cases[i].out) {
            if (r != -1)
                fail_msg("'%s' should be rejected", specset_cases[i].in);
            assert_non_null(err);
            assert_non_null(strstr(err, "invalid specifier"));
            free(err);
            continue;
        }
        if (r != 0)
            fail_msg("'%s': %s", specset_cases[i].in, err);
        assert_null(err);
        char *s = pep440_specset_str(&ss);
        assert_string_equal(s, specset_cases[i].out);
        free(s);
        pep440_specset_free(&ss);
    }
}

static void test_specset_exact_and_pre(void **state)
{
    (void)state;
    static const struct {
        const char *spec;
        const char *pinned; /* NULL: not exact */
        int names_pre;
    } cases[] = {
        { "==2.3.1+cu121", "2.3.1+cu121", 0 },
        { "==2.3.1", "2.3.1", 0 },
        { " == 2.4.0rc1 ", "2.4.0rc1", 1 },
        { "==2.3.*", NULL, 0 },
        { "===2.3.1", NULL, 0 },
        { "===2.4.0rc1", NULL, 1 },
        { ">=2.3.1", NULL, 0 },
        { ">=2.6.0.dev0", NULL, 1 },
        { "<2.6.0.dev0", NULL, 0 },
        { "!=2.6.0rc1", NULL, 0 },
        { "~=2.5.0a0", NULL, 1 },
        { "==2.3.1,==2.3.1", NULL, 0 },
        { "", NULL, 0 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct pep440_specset ss;
        const struct pep440 *pin = NULL;
        assert_int_equal(pep440_specset_parse(cases[i].spec, &ss, NULL), 0);
        int exact = pep440_specset_is_exact(&ss, &pin);
        if (exact != (cases[i].pinned != NULL))
            fail_msg("is_exact('%s') = %d", cases[i].spec, exact);
        if (cases[i].pinned) {
            char *s = pep440_str(pin);
            assert_string_equal(s, cases[i].pinned);
            free(s);
        }
        if (pep440_specset_names_pre(&ss) != cases[i].names_pre)
            fail_msg("names_pre('%s')", cases[i].spec);
        pep440_specset_free(&ss);
    }
    /* free is safe on a zeroed set and twice */
    struct pep440_specset z = { 0 };
    pep440_specset_free(&z);
    pep440_specset_free(&z);
    struct pep440 zv = { 0 };
    pep440_free(&zv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_normalise),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_ordering),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_specset_match),
        cmocka_unit_test(test_specset_parse),
        cmocka_unit_test(test_specset_exact_and_pre),
    };
    return cmocka_run_group_tests_name("pep440", tests, NULL, NULL);
}
