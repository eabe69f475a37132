/* test_condapat.c — conda globs without regex, and the bounds on regexes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "condapat.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_glob(void **state)
{
    (void)state;
    static const struct { const char *pat, *text; int fold, want; } cases[] = {
        { "*cuda*", "py3.12_cuda12.1_cudnn8_0", 0, 1 },
        { "*cuda*", "py3.12_cpu_0", 0, 0 },
        { "py3.12*", "py3.12_cpu_0", 0, 1 },
        { "py3.12*", "py3.1_cpu_0", 0, 0 },
        { "cuda*_mkl*304", "cuda129_mkl_h43a4b0b_304", 0, 1 },
        { "cuda*_mkl*304", "cuda129_mkl_h43a4b0b_3041", 0, 0 },
        { "*", "", 0, 1 },
        { "**", "abc", 0, 1 },
        { "", "", 0, 1 },
        { "", "a", 0, 0 },
        { "a*", "", 0, 0 },
        { "1.*.3", "1.22.3", 0, 1 },
        { "1.*.3", "1.22.4", 0, 0 },
        /* only '*' is special, as in conda: '.', '?', '[' are literal */
        { "py3?12", "py3.12", 0, 0 },
        { "py3?12", "py3?12", 0, 1 },
        { "[ab]*", "a1", 0, 0 },
        { "[ab]*", "[ab]1", 0, 1 },
        { "py3.12", "py3x12", 0, 0 },
        { "PyTorch*", "pytorch-cuda", 1, 1 },
        { "PyTorch*", "pytorch-cuda", 0, 0 },
        { "*a*b", "aaab", 0, 1 },
        { "*a*b", "aaac", 0, 0 },
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++)
        if (condapat_glob(cases[i].pat, cases[i].text, cases[i].fold) != cases[i].want)
            fail_msg("glob '%s' on '%s': expected %d", cases[i].pat, cases[i].text,
                     cases[i].want);
}

/* A pattern that makes backtracking matchers exponential stays fast. */
static void test_glob_bounded(void **state)
{
    (void)state;
    char pat[200], text[20001];
    size_t k = 0;
    for (int i = 0; i < 60; i++) {
        pat[k++] = '*';
        pat[k++] = 'a';
    }
    pat[k++] = 'b';
    pat[k] = '\0';
    memset(text, 'a', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    double t0 = now_s();
    assert_int_equal(condapat_glob(pat, text, 0), 0);
    assert_true(now_s() - t0 < 0.5);
}

static void test_regex_bounds(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "^py3\\.12_cuda.*$", "^(py3[0-9]+|cpu)_.*$", "^[a-z]+_[0-9]*$", "^(a|b)*c$",
        "^[]a]+$", "^[[:digit:]]+$", "^p+y*$",
    };
    static const char *const bad[] = {
        "^p+++++++++++++++++++y*$",       /* stacked quantifiers: exponential regcomp */
        "^p*+$", "^p?*$",
        "^(p{1,100}){1,100}$",            /* counted repetition: exponential regexec */
        "^p{2}$",
        "^((p+)+)$",                      /* a quantified group holding a quantifier */
        "^(((((a)))))$",                  /* too deep */
        "^(ab$", "^ab)$", "^[ab$", "^ab\\",
    };
    char *err = NULL;
    for (size_t i = 0; i < N_ELEMS(ok); i++) {
        if (condapat_regex_check(ok[i], &err) != 0)
            fail_msg("'%s' refused: %s", ok[i], err);
    }
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        err = NULL;
        if (condapat_regex_check(bad[i], &err) == 0)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(err);
        free(err);
    }
    char longre[CONDAPAT_REGEX_MAX + 8];
    memset(longre, 'a', sizeof longre - 1);
    longre[0] = '^';
    longre[sizeof longre - 2] = '$';
    longre[sizeof longre - 1] = '\0';
    err = NULL;
    assert_int_equal(condapat_regex_check(longre, &err), -1);
    assert_non_null(strstr(err, "longer"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_glob_bounded),
        cmocka_unit_test(test_regex_bounds),
    };
    return cmocka_run_group_tests_name("condapat", tests, NULL, NULL);
}
