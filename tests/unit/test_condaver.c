/* test_condaver.c — conda version ordering and version specs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condaver.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Ascending order; '=' means "equal to the previous entry". Checked
 * against conda's own VersionOrder on every pair. */
static const struct { const char *v; char rel; } chain[] = {
    { "0.4", '<' },
    { "0.4.0", '=' },
    { "0.4.1a.vc11", '<' },
    { "0.4.1.rc", '<' },
    { "0.4.1.RC", '=' },
    { "0.4.1.vc11", '<' },
    { "0.4.1", '<' },
    { "0.5*", '<' },
    { "0.5a1", '<' },
    { "0.5b3", '<' },
    { "0.5C1", '<' },
    { "0.5z", '<' },
    { "0.5za", '<' },
    { "0.5", '<' },
    { "0.5_5", '<' },
    { "0.5-5", '=' },
    { "0.9.6", '<' },
    { "0.960923", '<' },
    { "1.0.dev", '<' },
    { "1.0.0dev0", '=' },
    { "1.0-rc1", '<' },
    { "1.0", '<' },
    { "1.0.1_", '<' },
    { "1.0.1a", '<' },
    { "1.0.1", '<' },
    { "1.0.4a3", '<' },
    { "1.0.4b1", '<' },
    { "1.0.4", '<' },
    { "1.1dev1", '<' },
    { "1.1_", '<' },
    { "1.1a1", '<' },
    { "1.1.dev1", '<' },
    { "1.1.0dev1", '=' },
    { "1.1.a1", '<' },
    { "1.1.0rc1", '<' },
    { "1.1.0", '<' },
    { "1.1", '=' },
    { "1.1.0post1", '<' },
    { "1.1.post1", '=' },
    { "1.1post1", '<' },
    { "2.3", '<' },
    { "2.3.1+cpu", '<' },
    { "2.3.1+cu118", '<' },
    { "2.3.1+cu121", '<' },
    { "2.3.1", '<' },
    { "2.3.10", '<' },
    { "2.30", '<' },
    { "3.12", '<' },
    { "3.12.4", '<' },
    { "3.13.0a0", '<' },
    { "3.13", '<' },
    { "11.8", '<' },
    { "00012.0", '<' },
    { "12.000", '=' },
    { "12.1", '<' },
    { "1996.07.12", '<' },
    { "99999999999999999999998.9", '<' },
    { "99999999999999999999999.1", '<' },
    { "1!0.4.1", '<' },
    { "1!3.1.1.6", '<' },
    { "2!0.4.1", '<' },
};

static void test_order_chain(void **state)
{
    (void)state;
    size_t n = N_ELEMS(chain);
    size_t *rank = calloc(n, sizeof *rank);
    assert_non_null(rank);
    for (size_t i = 1; i < n; i++)
        rank[i] = rank[i - 1] + (chain[i].rel == '<');
    for (size_t i = 0; i < n; i++) {
        assert_true(condaver_valid(chain[i].v));
        for (size_t j = 0; j < n; j++) {
            int want = (rank[i] > rank[j]) - (rank[i] < rank[j]);
            int got = condaver_cmp(chain[i].v, chain[j].v);
            if (got != want)
                fail_msg("cmp(%s, %s) = %d, want %d", chain[i].v, chain[j].v, got, want);
        }
    }
    free(rank);
}

static const struct { const char *a, *b; int want; } cmp_cases[] = {
    { "1.0", "1.0.0", 0 },
    { "1.0", "1.0.0.0.0", 0 },
    { "2.3.1", "2.3.1", 0 },
    { "2.3.1", "2.3.0", 1 },
    { "2.10.0", "2.9.9", 1 },
    { "0.18.1", "0.18.0", 1 },
    { "1.13.1", "2.0.0", -1 },
    { "2.5.1", "2.6", -1 },
    { "2.6", "2.5.1", 1 },
    { "1.0a1", "1.0", -1 },
    { "1.0rc1", "1.0", -1 },
    { "1.0dev1", "1.0a1", -1 },
    { "1.0.dev1", "1.0a1", 1 },      /* "1.0.dev1" is 1.0.0dev1: past 1.0a1 */
    { "1.0post1", "1.0", 1 },
    { "1.0.post1", "1.0.1", -1 },
    { "1.0A1", "1.0a1", 0 },
    { "1.0-1", "1.0_1", 0 },
    { "1.0-1", "1.0.1", 0 },
    { "  2.3.1 ", "2.3.1", 0 },
    { "1!1.0", "2.0", 1 },
    { "0!2.0", "2.0", 0 },
    { "3.12", "3.13.0a0", -1 },
    { "3.13.0", "3.13.0a0", 1 },
    { "12.1", "12.1.105", -1 },
    { "2.3.1+cu121", "2.3.1+cu118", 1 },
    { "2.3.1+1", "2.3.1+cpu", 1 },
    /* invalid versions sort before valid ones and by strcmp among themselves */
    { "1..2", "0.1", -1 },
    { "0.1", "1..2", 1 },
    { "a b", "a c", -1 },
};

static void test_cmp_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cmp_cases); i++) {
        int got = condaver_cmp(cmp_cases[i].a, cmp_cases[i].b);
        if (got != cmp_cases[i].want)
            fail_msg("cmp(%s, %s) = %d, want %d", cmp_cases[i].a, cmp_cases[i].b, got,
                     cmp_cases[i].want);
        int back = condaver_cmp(cmp_cases[i].b, cmp_cases[i].a);
        assert_int_equal(back, -cmp_cases[i].want);
    }
}

static void test_invalid_versions(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", "1..2", ".1", "1.", "1!2!3", "a!1.0", "!1.0", "1+2+3", "1.0+",
        "1.0 beta", "1.0-a_b", "1.0$", "1,0", "1.0=", "(1.0)", "1.0|2.0",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++)
        if (condaver_valid(bad[i]))
            fail_msg("'%s' should be invalid", bad[i]);
    static const char *const good[] = {
        "0", "1.0", "1!2.0", "2.3.1+cu121", "1.0.0-rc1", "2023.10.12", "1.0_", "v1.0",
        "0.4.1.RC", "1.1.parallel", "3.13.0a0", "1.2.3.4.5.6.7.8.9.10",
    };
    for (size_t i = 0; i < N_ELEMS(good); i++)
        if (!condaver_valid(good[i]))
            fail_msg("'%s' should be valid", good[i]);
    assert_false(condaver_valid(NULL));
}

static const struct { const char *v, *prefix; int want; } sw_cases[] = {
    { "2.3.1", "2.3", 1 },
    { "2.3.0", "2.3", 1 },
    { "2.3", "2.3", 1 },
    { "2.30", "2.3", 0 },
    { "2.3.10", "2.3.1", 0 },
    { "2.3.1.post1", "2.3.1", 1 },
    { "12.1.105", "12.1", 1 },
    { "12.10", "12.1", 0 },
    { "1.1a1", "1.1a", 1 },
    { "1.1a1", "1.1b", 0 },
    { "1.1", "1.1a", 0 },
    { "2.3.1+cu121", "2.3.1+cu", 1 },
    { "2.3.1+cpu", "2.3.1+cu", 0 },
    { "2.3.1+cu121", "2.3", 1 },
    { "2.4.0", "2.3", 0 },
    { "1!2.3.1", "2.3", 0 },
    { "1!2.3.1", "1!2.3", 1 },
    { "2.3.1", "..", 0 },
};

static void test_startswith(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(sw_cases); i++) {
        int got = condaver_startswith(sw_cases[i].v, sw_cases[i].prefix);
        if (got != sw_cases[i].want)
            fail_msg("startswith(%s, %s) = %d, want %d", sw_cases[i].v, sw_cases[i].prefix,
                     got, sw_cases[i].want);
    }
}

/* spec, version, expected match */
static const struct { const char *spec, *v; int want; } match_cases[] = {
    { "2.3.1", "2.3.1", 1 },
    { "2.3.1", "2.3.1.0", 1 },
    { "2.3.1", "2.3.10", 0 },
    { "2.3.1", "2.3", 0 },
    { "==2.3.1", "2.3.1", 1 },
    { "==2.3.1", "2.3.2", 0 },
    { "2.3.*", "2.3.0", 1 },
    { "2.3.*", "2.3.1", 1 },
    { "2.3.*", "2.30.0", 0 },
    { "2.3.*", "2.4.0", 0 },
    { "2.3.1*", "2.3.1", 1 },
    { "2.3.1*", "2.3.1.post1", 1 },
    { "2.3.1*", "2.3.10", 0 },
    { "=2.3", "2.3.1", 1 },
    { "=2.3", "2.4.0", 0 },
    { "==2.3.*", "2.3.1", 1 },
    { "12.1.*", "12.1", 1 },
    { "12.1.*", "12.1.105", 1 },
    { "12.1.*", "12.10", 0 },
    { "11.8.*", "12.1", 0 },
    { ">=2.1,<2.4", "2.1.0", 1 },
    { ">=2.1,<2.4", "2.3.1", 1 },
    { ">=2.1,<2.4", "2.4.0", 0 },
    { ">=2.1,<2.4", "2.0.1", 0 },
    { ">=2.1, <2.4", "2.2.2", 1 },
    { ">= 2.1 , < 2.4", "2.2.2", 1 },
    { ">=3.12,<3.13.0a0", "3.12", 1 },
    { ">=3.12,<3.13.0a0", "3.12.4", 1 },
    { ">=3.12,<3.13.0a0", "3.13", 0 },
    { ">=3.12,<3.13.0a0", "3.13.0rc1", 0 },
    { ">=3.12,<3.13.0a0", "3.11", 0 },
    { ">=12.1,<12.2", "12.1", 1 },
    { ">=12.1,<12.2", "11.8", 0 },
    { ">=11.8,<12.0", "11.8", 1 },
    { ">=11.8,<12.0", "11.9", 1 },
    { "1.0|2.0", "1.0", 1 },
    { "1.0|2.0", "2.0.0", 1 },
    { "1.0|2.0", "1.5", 0 },
    { "!=1.0", "1.0.0", 0 },
    { "!=1.0", "1.1", 1 },
    { ">=5.3.0,!=8.3.*", "8.3.1", 0 },
    { ">=5.3.0,!=8.3.*", "8.4.0", 1 },
    { ">=5.3.0,!=8.3.*", "5.2", 0 },
    { "~=2.3.0", "2.3.0", 1 },
    { "~=2.3.0", "2.3.5", 1 },
    { "~=2.3.0", "2.4.0", 0 },
    { "~=2.3", "2.9", 1 },
    { "~=2.3", "3.0", 0 },
    { "~=2.3", "2.2", 0 },
    { "<2", "1.13.1", 1 },
    { "<2", "2.0.0", 0 },
    { "<=2.0", "2.0.0", 1 },
    { ">2.0", "2.0.0", 0 },
    { ">2.0", "2.0.1", 1 },
    { "<0", "2.0", 0 },
    { "*", "anything at all", 1 },
    { "*", "2.3.1", 1 },
    { "1.*.3", "1.2.3", 1 },
    { "1.*.3", "1.2.4", 0 },
    { "^2\\.3\\.[0-9]+$", "2.3.1", 1 },
    { "^2\\.3\\.[0-9]+$", "2.4.1", 0 },
    { "(>=1.0,<2.0)|>=3.0", "1.5", 1 },
    { "(>=1.0,<2.0)|>=3.0", "2.5", 0 },
    { "(>=1.0,<2.0)|>=3.0", "3.1", 1 },
    { ">=1.0,<2.0|>=3.0,<4.0", "3.5", 1 },
    { ">=1.0,<2.0|>=3.0,<4.0", "4.5", 0 },
    { ">=1.0,(1.5|1.7)", "1.7", 1 },
    { ">=1.0,(1.5|1.7)", "1.6", 0 },
    { ">=1.2.*", "1.3", 1 },
    { ">=1.2.*", "1.1", 0 },
    { "=2.3*", "2.3.1", 1 },
    { "2.3.1", "not a version!", 0 },
};

static void test_spec_match(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(match_cases); i++) {
        struct condaver_spec s;
        char *err = NULL;
        if (condaver_spec_parse(match_cases[i].spec, &s, &err) != 0)
            fail_msg("parse '%s': %s", match_cases[i].spec, err ? err : "?");
        int got = condaver_spec_match(&s, match_cases[i].v);
        if (got != match_cases[i].want)
            fail_msg("'%s' vs '%s' = %d, want %d", match_cases[i].spec, match_cases[i].v, got,
                     match_cases[i].want);
        condaver_spec_free(&s);
    }
}

static void test_spec_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", ">=", "<=>1.0", "~=1", "~=2.*", "(1.0", "1.0)", "1.0,,2.0", "|1.0",
        "1.0|", "^1.0", "1.0$", "=>1.0", "!1.0", "~1.0", "1..0", ">=1..0", "1.0 2.0",
        "1.0[", "2.3.1;", "(^1$", "^[$",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct condaver_spec s;
        char *err = NULL;
        if (condaver_spec_parse(bad[i], &s, &err) == 0) {
            condaver_spec_free(&s);
            fail_msg("'%s' should not parse", bad[i]);
        }
        assert_non_null(err);
        assert_true(strlen(err) > 0);
        free(err);
        assert_null(s.root);
        assert_null(s.text);
    }
    struct condaver_spec s;
    assert_int_equal(condaver_spec_parse(NULL, &s, NULL), -1);

    /* nesting is bounded: deep enough for people, not for a stack attack */
    char deep[4096];
    size_t k = 0;
    for (int i = 0; i < 1000; i++)
        deep[k++] = '(';
    memcpy(deep + k, "1.0", 3);
    k += 3;
    for (int i = 0; i < 1000; i++)
        deep[k++] = ')';
    deep[k] = '\0';
    char *err = NULL;
    assert_int_equal(condaver_spec_parse(deep, &s, &err), -1);
    assert_non_null(strstr(err, "nests too deeply"));
    free(err);
    assert_int_equal(condaver_spec_parse("((1.0|2.0),(>=1.0))", &s, NULL), 0);
    assert_true(condaver_spec_match(&s, "1.0"));
    assert_false(condaver_spec_match(&s, "3.0"));
    condaver_spec_free(&s);
}

static void test_spec_text_and_exact(void **state)
{
    (void)state;
    static const struct { const char *in, *text; int exact; } cases[] = {
        { "2.3.1", "2.3.1", 1 },
        { "==2.3.1", "==2.3.1", 1 },
        { ">= 2.1 , <2.4", ">=2.1,<2.4", 0 },
        { "2.3.*", "2.3.*", 0 },
        { "=2.3", "=2.3", 0 },
        { "1.0|2.0", "1.0|2.0", 0 },
        { "*", "*", 0 },
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct condaver_spec s;
        assert_int_equal(condaver_spec_parse(cases[i].in, &s, NULL), 0);
        assert_string_equal(s.text, cases[i].text);
        assert_int_equal(s.exact, cases[i].exact);
        condaver_spec_free(&s);
        condaver_spec_free(&s);              /* twice is harmless */
    }
}

static void test_lower_bound(void **state)
{
    (void)state;
    static const struct { const char *spec, *bound; int incl; } cases[] = {
        { ">=2.6", "2.6", 1 },
        { "=2.6", "2.6", 1 },
        { "2.6.*", "2.6", 1 },
        { "2.6", "2.6", 1 },
        { "==2.6.0", "2.6.0", 1 },
        { ">2.5", "2.5", 0 },
        { "~=2.6.1", "2.6.1", 1 },
        { ">=2.1,<2.4", "2.1", 1 },
        { ">=2.1,>2.3", "2.3", 0 },
        { ">=2.1,>=2.7", "2.7", 1 },
        { "2.6|2.7", "2.6", 1 },
        { ">2.6|>=2.6", "2.6", 1 },
        { "2.6|<1", NULL, 0 },
        { "<2.6", NULL, 0 },
        { "!=2.6", NULL, 0 },
        { "*", NULL, 0 },
        { "2.*.1", NULL, 0 },
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        struct condaver_spec s;
        assert_int_equal(condaver_spec_parse(cases[i].spec, &s, NULL), 0);
        int incl = -1;
        const char *b = condaver_spec_lower_bound(&s, &incl);
        if (!cases[i].bound) {
            if (b)
                fail_msg("'%s': bound '%s', want none", cases[i].spec, b);
        } else {
            if (!b || strcmp(b, cases[i].bound) != 0 || incl != cases[i].incl)
                fail_msg("'%s': bound '%s' (%d), want '%s' (%d)", cases[i].spec,
                         b ? b : "(none)", incl, cases[i].bound, cases[i].incl);
        }
        condaver_spec_free(&s);
    }
}

/* Regex leaves: bounded when trusted, never compiled when from repodata. */
static void test_regex_leaves(void **state)
{
    (void)state;
    struct condaver_spec s;
    char *err = NULL;
    assert_int_equal(condaver_spec_parse("^2\\.3\\..*$", &s, &err), 0);
    assert_true(condaver_spec_match(&s, "2.3.1"));
    assert_false(condaver_spec_match(&s, "2.4.1"));
    condaver_spec_free(&s);
    assert_int_equal(condaver_spec_parse("^1+++++++++++++++++++++++++++++++$", &s, &err), -1);
    assert_non_null(strstr(err, "stacked"));
    free(err);
    err = NULL;
    assert_int_equal(condaver_spec_parse("^(1{1,100}){1,100}$", &s, &err), -1);
    free(err);
    assert_int_equal(condaver_spec_parse_as("^1+++++++++++++++++++++++++++++++$|>=2",
                                            CONDAVER_UNTRUSTED, &s, NULL), 0);
    assert_false(condaver_spec_match(&s, "1"));   /* the regex part matches nothing */
    assert_true(condaver_spec_match(&s, "2.0"));  /* the rest still works */
    condaver_spec_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_chain),
        cmocka_unit_test(test_cmp_table),
        cmocka_unit_test(test_invalid_versions),
        cmocka_unit_test(test_startswith),
        cmocka_unit_test(test_spec_match),
        cmocka_unit_test(test_spec_errors),
        cmocka_unit_test(test_spec_text_and_exact),
        cmocka_unit_test(test_lower_bound),
        cmocka_unit_test(test_regex_leaves),
    };
    return cmocka_run_group_tests_name("condaver", tests, NULL, NULL);
}
