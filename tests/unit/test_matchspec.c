/* test_matchspec.c — conda match spec parsing and matching. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "matchspec.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* NULL in an expectation means "field absent". */
struct parse_case {
    const char *in;
    const char *channel, *subdir, *name, *version, *build;
    enum matchspec_bn_op bn_op;
    long bn;
    int fuzzy;
};

#define ANY MATCHSPEC_BN_ANY, 0

static const struct parse_case parse_cases[] = {
    { "pytorch", NULL, NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "  pytorch  ", NULL, NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "PyTorch", NULL, NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "pytorch=2.3.1", NULL, NULL, "pytorch", "2.3.1*", NULL, ANY, 1 },
    { "pytorch=2.3", NULL, NULL, "pytorch", "2.3*", NULL, ANY, 1 },
    { "pytorch-cuda=11.8", NULL, NULL, "pytorch-cuda", "11.8*", NULL, ANY, 1 },
    { "cudatoolkit=10.2", NULL, NULL, "cudatoolkit", "10.2*", NULL, ANY, 1 },
    { "pytorch=2.3.*", NULL, NULL, "pytorch", "2.3.*", NULL, ANY, 0 },
    { "pytorch==2.3.1", NULL, NULL, "pytorch", "2.3.1", NULL, ANY, 0 },
    { "pytorch==1.13.1", NULL, NULL, "pytorch", "1.13.1", NULL, ANY, 0 },
    { "pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0", NULL, NULL, "pytorch", "2.3.1",
      "py3.12_cuda12.1_cudnn8_0", ANY, 0 },
    { "torchvision=0.18.1=py312_cu121", NULL, NULL, "torchvision", "0.18.1", "py312_cu121",
      ANY, 0 },
    { "torchvision==0.18.1=py312_cu121", NULL, NULL, "torchvision", "==0.18.1", "py312_cu121",
      ANY, 0 },
    { "pytorch=2.3.1=py3.12*", NULL, NULL, "pytorch", "2.3.1", "py3.12*", ANY, 0 },
    { "pytorch=*=*cuda*", NULL, NULL, "pytorch", "*", "*cuda*", ANY, 0 },
    { "pytorch>=2.1,<2.4", NULL, NULL, "pytorch", ">=2.1,<2.4", NULL, ANY, 0 },
    { "\"pytorch>=2.1,<2.4\"", NULL, NULL, "pytorch", ">=2.1,<2.4", NULL, ANY, 0 },
    { "'pytorch>=2.1,<2.4'", NULL, NULL, "pytorch", ">=2.1,<2.4", NULL, ANY, 0 },
    { "pytorch >=1.0 , < 2.0 py34_0", NULL, NULL, "pytorch", ">=1.0,<2.0", "py34_0", ANY, 0 },
    { "pytorch~=2.3.0", NULL, NULL, "pytorch", "~=2.3.0", NULL, ANY, 0 },
    { "pytorch = 2.3.1", NULL, NULL, "pytorch", "2.3.1*", NULL, ANY, 1 },
    { "numpy=", NULL, NULL, "numpy", NULL, NULL, ANY, 0 },
    { "pytorch[version='>=2.1']", NULL, NULL, "pytorch", ">=2.1", NULL, ANY, 0 },
    { "pytorch[version=\">=2.1\", build=\"*cuda*\"]", NULL, NULL, "pytorch", ">=2.1", "*cuda*",
      ANY, 0 },
    { "pytorch[version=>=2.1,<2.4, build=*cuda*]", NULL, NULL, "pytorch", ">=2.1,<2.4",
      "*cuda*", ANY, 0 },
    { "pytorch[version='>=2.1' build='py3.12*']", NULL, NULL, "pytorch", ">=2.1", "py3.12*",
      ANY, 0 },
    { "pytorch[build_number=0]", NULL, NULL, "pytorch", NULL, NULL, MATCHSPEC_BN_EQ, 0, 0 },
    { "pytorch[build_number='>=1']", NULL, NULL, "pytorch", NULL, NULL, MATCHSPEC_BN_GE, 1, 0 },
    { "pytorch[build_number=\"!=5\"]", NULL, NULL, "pytorch", NULL, NULL, MATCHSPEC_BN_NE, 5, 0 },
    { "pytorch[build_number=*]", NULL, NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "pytorch>=2.1[version='<2.4']", NULL, NULL, "pytorch", "<2.4", NULL, ANY, 0 },
    { "pytorch=2.3.1[build=py3.12*]", NULL, NULL, "pytorch", "2.3.1*", "py3.12*", ANY, 1 },
    { "pytorch[md5=0123abcd, license=BSD]", NULL, NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "pytorch::pytorch", "pytorch", NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "::pytorch", NULL, NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "pytorch::pytorch=2.3.1", "pytorch", NULL, "pytorch", "2.3.1*", NULL, ANY, 1 },
    { "nvidia::pytorch-cuda=12.1", "nvidia", NULL, "pytorch-cuda", "12.1*", NULL, ANY, 1 },
    { "https://mirror/anaconda/cloud/pytorch::pytorch", "https://mirror/anaconda/cloud/pytorch",
      NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/win-64::pytorch==2.3.1",
      "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch", "win-64", "pytorch",
      "2.3.1", NULL, ANY, 0 },
    { "http://host:8080/pytorch::pytorch", "http://host:8080/pytorch", NULL, "pytorch", NULL,
      NULL, ANY, 0 },
    { "conda-forge/linux-64::pytorch", "conda-forge", "linux-64", "pytorch", NULL, NULL, ANY, 0 },
    { "conda-forge/noarch::cpuonly", "conda-forge", "noarch", "cpuonly", NULL, NULL, ANY, 0 },
    { "pytorch[channel=pytorch/win-64]", "pytorch", "win-64", "pytorch", NULL, NULL, ANY, 0 },
    { "pytorch[subdir=linux-64]", NULL, "linux-64", "pytorch", NULL, NULL, ANY, 0 },
    { "conda-forge::pytorch[channel=pytorch]", "pytorch", NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "pytorch 2.3.1 py3.12_cuda12.1_cudnn8_0", NULL, NULL, "pytorch", "2.3.1",
      "py3.12_cuda12.1_cudnn8_0", ANY, 0 },
    { "pytorch 2.1.0", NULL, NULL, "pytorch", "2.1.0", NULL, ANY, 0 },
    { "pytorch-cuda 12.1.*", NULL, NULL, "pytorch-cuda", "12.1.*", NULL, ANY, 0 },
    { "pytorch-cuda >=12.1,<12.2", NULL, NULL, "pytorch-cuda", ">=12.1,<12.2", NULL, ANY, 0 },
    { "python >=3.12,<3.13.0a0", NULL, NULL, "python", ">=3.12,<3.13.0a0", NULL, ANY, 0 },
    { "blas * mkl", NULL, NULL, "blas", "*", "mkl", ANY, 0 },
    { "pytorch-mutex 1.0 cuda", NULL, NULL, "pytorch-mutex", "1.0", "cuda", ANY, 0 },
    { "cpuonly <0", NULL, NULL, "cpuonly", "<0", NULL, ANY, 0 },
    { "pillow >=5.3.0,!=8.3.*", NULL, NULL, "pillow", ">=5.3.0,!=8.3.*", NULL, ANY, 0 },
    { "libcublas >=11.11.3.6,<12.0.1.189", NULL, NULL, "libcublas", ">=11.11.3.6,<12.0.1.189",
      NULL, ANY, 0 },
    { "typing_extensions", NULL, NULL, "typing_extensions", NULL, NULL, ANY, 0 },
    { "pytorch  # the framework", NULL, NULL, "pytorch", NULL, NULL, ANY, 0 },
    { "*[build=*cuda*]", NULL, NULL, "*", NULL, "*cuda*", ANY, 0 },
    { "https://conda.anaconda.org/pytorch/win-64/pytorch-2.3.1-py3.12_cpu_0.tar.bz2",
      "https://conda.anaconda.org/pytorch", "win-64", "pytorch", "2.3.1", "py3.12_cpu_0", ANY, 0 },
    { "pytorch-cuda-12.1-ha16c6d3_5.tar.bz2", NULL, NULL, "pytorch-cuda", "12.1", "ha16c6d3_5",
      ANY, 0 },
};

static void check_str(const char *what, const char *in, const char *got, const char *want)
{
    if (!want && !got)
        return;
    if (!want || !got || strcmp(want, got) != 0)
        fail_msg("'%s': %s = '%s', want '%s'", in, what, got ? got : "(null)",
                 want ? want : "(null)");
}

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(parse_cases); i++) {
        const struct parse_case *c = &parse_cases[i];
        struct matchspec ms;
        char *err = NULL;
        if (matchspec_parse(c->in, &ms, &err) != 0)
            fail_msg("'%s' did not parse: %s", c->in, err ? err : "?");
        check_str("channel", c->in, ms.channel, c->channel);
        check_str("subdir", c->in, ms.subdir, c->subdir);
        check_str("name", c->in, ms.name, c->name);
        check_str("version", c->in, ms.version, c->version);
        check_str("build", c->in, ms.build, c->build);
        check_str("original", c->in, ms.original, c->in);
        if (ms.bn_op != c->bn_op || (c->bn_op != MATCHSPEC_BN_ANY && ms.bn_value != c->bn))
            fail_msg("'%s': build_number op %d value %ld, want %d %ld", c->in, ms.bn_op,
                     ms.bn_value, c->bn_op, c->bn);
        if (ms.fuzzy != c->fuzzy)
            fail_msg("'%s': fuzzy %d, want %d", c->in, ms.fuzzy, c->fuzzy);
        /* a version string always comes with a parsed spec */
        assert_true((ms.version == NULL) == (ms.vspec.root == NULL));
        matchspec_free(&ms);
        matchspec_free(&ms);
    }
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", "''", "\"\"", "=2.3", ">=2.1", "::", "pytorch==", "pytorch>=",
        "pytorch<", "pytorch[version=]", "pytorch[version='>=2.1'", "pytorch[foo=1]",
        "pytorch[version='>=2.1'] extra", "pytorch[a=1][b=2]", "pytorch[version=\"x]",
        "pytorch[=1]", "pytorch==2..3", "pytorch>=2.1,<", "pytorch[build_number=x]",
        "pytorch[build_number=-1]", "pytorch[build_number=99999999999]", "pyt/orch",
        "pytorch=2.3.1=py3 12", "pytorch[build='^(unclosed$']", "pkg-1.0.tar.bz2",
        "pytorch 1.0 2.0 3.0", "pytorch]", "pytorch[version='1.0'x]", "# only a comment",
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        struct matchspec ms;
        char *err = NULL;
        if (matchspec_parse(bad[i], &ms, &err) == 0) {
            fprintf(stderr, "name=%s version=%s build=%s\n", ms.name,
                    ms.version ? ms.version : "-", ms.build ? ms.build : "-");
            matchspec_free(&ms);
            fail_msg("'%s' should not parse", bad[i]);
        }
        assert_non_null(err);
        assert_true(strlen(err) > 0);
        free(err);
        assert_null(ms.name);
        assert_null(ms.original);
    }
    struct matchspec ms;
    assert_int_equal(matchspec_parse(NULL, &ms, NULL), -1);
}

struct match_case {
    const char *spec, *name, *version, *build;
    int bn, want;
};

static const struct match_case match_cases[] = {
    { "pytorch", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 1 },
    { "pytorch", "torchvision", "0.18.1", "py312_cpu", 0, 0 },
    { "PyTorch", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 1 },
    { "pytorch=2.3.1", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 1 },
    { "pytorch=2.3.1", "pytorch", "2.3.10", "py3.12_cpu_0", 0, 0 },
    { "pytorch=2.3", "pytorch", "2.3.0", "py3.12_cpu_0", 0, 1 },
    { "pytorch=2.3", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 1 },
    { "pytorch=2.3", "pytorch", "2.4.0", "py3.12_cpu_0", 0, 0 },
    { "pytorch==2.3", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 0 },
    { "pytorch==2.3", "pytorch", "2.3.0", "py3.12_cpu_0", 0, 1 },
    { "pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0", "pytorch", "2.3.1", "py3.12_cuda12.1_cudnn8_0",
      0, 1 },
    { "pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0", "pytorch", "2.3.1", "py3.11_cuda12.1_cudnn8_0",
      0, 0 },
    { "pytorch>=2.1,<2.4", "pytorch", "2.3.1", "x", 0, 1 },
    { "pytorch>=2.1,<2.4", "pytorch", "2.4.0", "x", 0, 0 },
    { "pytorch[version='>=2.1', build='*cuda*']", "pytorch", "2.1.0",
      "py3.10_cuda11.8_cudnn8.7.0_0", 0, 1 },
    { "pytorch[version='>=2.1', build='*cuda*']", "pytorch", "2.1.0", "py3.10_cpu_0", 0, 0 },
    { "pytorch[version='>=2.1', build='*cuda*']", "pytorch", "2.0.1",
      "py3.10_cuda11.8_cudnn8.7.0_0", 0, 0 },
    { "pytorch=*=py3.12*", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 1 },
    { "pytorch=*=py3.12*", "pytorch", "2.3.1", "py3.11_cpu_0", 0, 0 },
    { "pytorch[build_number=0]", "pytorch", "2.3.1", "x", 0, 1 },
    { "pytorch[build_number=0]", "pytorch", "2.3.1", "x", 1, 0 },
    { "pytorch[build_number='>=1']", "pytorch", "2.3.1", "x", 5, 1 },
    { "pytorch[build_number='<5']", "pytorch", "2.3.1", "x", 5, 0 },
    { "pytorch[build_number='<=5']", "pytorch", "2.3.1", "x", 5, 1 },
    { "pytorch[build_number='>5']", "pytorch", "2.3.1", "x", 5, 0 },
    { "pytorch[build_number='!=5']", "pytorch", "2.3.1", "x", 4, 1 },
    { "pytorch[build='^py3\\.12_cuda.*$']", "pytorch", "2.3.1", "py3.12_cuda12.1_cudnn8_0", 0, 1 },
    { "pytorch[build='^py3\\.12_cuda.*$']", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 0 },
    { "blas * mkl", "blas", "1.0", "mkl", 0, 1 },
    { "blas * mkl", "blas", "1.0", "openblas", 0, 0 },
    { "pytorch-mutex 1.0 cuda", "pytorch-mutex", "1.0", "cuda", 100, 1 },
    { "pytorch-mutex 1.0 cuda", "pytorch-mutex", "1.0", "cpu", 0, 0 },
    { "python >=3.12,<3.13.0a0", "python", "3.12.4", "h1_0", 0, 1 },
    { "python >=3.12,<3.13.0a0", "python", "3.13.0", "h1_0", 0, 0 },
    { "pytorch 2.1.0", "pytorch", "2.1.0", "py3.10_cpu_0", 0, 1 },
    { "pytorch 2.1.0", "pytorch", "2.1.1", "py3.10_cpu_0", 0, 0 },
    { "pytorch ==2.3.1", "pytorch", "2.3.1", "py3.12_cpu_0", 0, 1 },
    { "pytorch-cuda 12.1.*", "pytorch-cuda", "12.1", "ha16c6d3_5", 5, 1 },
    { "pytorch-cuda 12.1.*", "pytorch-cuda", "11.8", "h7e8668a_5", 5, 0 },
    { "pytorch >=2.0", "pytorch", "2.3.0", "py3.10_cuda12.1_cudnn8.9.2_0", 0, 1 },
    { "py*", "pytorch", "2.3.1", "x", 0, 1 },
    { "py*", "torchvision", "0.18.1", "x", 0, 0 },
    { "*[build=*cuda*]", "torchaudio", "2.3.1", "py312_cuda", 0, 1 },
    { "pytorch::pytorch", "pytorch", "2.3.1", "x", 0, 1 },
    { "pytorch[build=py3.12_cpu_0]", "pytorch", "2.3.1", NULL, 0, 0 },
};

static void test_match_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(match_cases); i++) {
        const struct match_case *c = &match_cases[i];
        struct matchspec ms;
        char *err = NULL;
        if (matchspec_parse(c->spec, &ms, &err) != 0)
            fail_msg("'%s' did not parse: %s", c->spec, err ? err : "?");
        int got = matchspec_match(&ms, c->name, c->version, c->build, c->bn);
        if (got != c->want)
            fail_msg("'%s' vs %s %s %s #%d = %d, want %d", c->spec, c->name, c->version,
                     c->build ? c->build : "(null)", c->bn, got, c->want);
        matchspec_free(&ms);
    }
    assert_int_equal(matchspec_match(NULL, "pytorch", "1.0", "x", 0), 0);
}

static void test_format_exact(void **state)
{
    (void)state;
    static const struct { const char *name, *version, *build, *want; } cases[] = {
        { "pytorch", "2.3.1", "py3.12_cuda12.1_cudnn8_0", "pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0" },
        { "torchvision", "0.18.1", "py312_cu121", "torchvision=0.18.1=py312_cu121" },
        { "pytorch-cuda", "12.1", NULL, "pytorch-cuda==12.1" },
        { "pytorch", NULL, NULL, "pytorch" },
        { "pytorch", "", "x", "pytorch" },
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        char *s = matchspec_format_exact(cases[i].name, cases[i].version, cases[i].build);
        assert_string_equal(s, cases[i].want);
        /* what we format parses back to an exact spec matching only that record */
        struct matchspec ms;
        assert_int_equal(matchspec_parse(s, &ms, NULL), 0);
        assert_string_equal(ms.name, cases[i].name);
        if (cases[i].version && *cases[i].version) {
            assert_true(ms.vspec.exact);
            assert_true(matchspec_match(&ms, cases[i].name, cases[i].version,
                                        cases[i].build ? cases[i].build : "any", 0));
            assert_false(matchspec_match(&ms, cases[i].name, "999", "any", 0));
        }
        matchspec_free(&ms);
        free(s);
    }
}

/* Issue 11 #6: repodata depends never compile a regex; a user's regex is
 * bounded. The evil spec made glibc's regcomp run for minutes. */
#define EVIL "libevil 1.0 ^p+++++++++++++++++++++++++++++++++++++++++y*$"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_regex_untrusted_and_bounded(void **state)
{
    (void)state;
    struct matchspec ms;
    char *err = NULL;
    double t0 = now_s();
    /* from repodata: parsed, never compiled, matches nothing */
    assert_int_equal(matchspec_parse_as(EVIL, MATCHSPEC_UNTRUSTED, &ms, &err), 0);
    assert_true(ms.build_is_re);
    assert_null(ms.build_re);
    assert_false(matchspec_match(&ms, "libevil", "1.0", "ppppy", 0));
    matchspec_free(&ms);
    assert_int_equal(matchspec_parse_as("libevil ^1\\.0$", MATCHSPEC_UNTRUSTED, &ms, &err), 0);
    assert_false(matchspec_match(&ms, "libevil", "1.0", "x", 0));
    matchspec_free(&ms);
    /* typed by a user: refused, not compiled */
    assert_int_equal(matchspec_parse(EVIL, &ms, &err), -1);
    assert_non_null(strstr(err, "stacked quantifiers"));
    free(err);
    err = NULL;
    assert_int_equal(matchspec_parse("libevil[version='^(1{1,100}){1,100}$']", &ms, &err), -1);
    free(err);
    err = NULL;
    assert_true(now_s() - t0 < 1.0);
    /* a reasonable one still works */
    assert_int_equal(matchspec_parse("pytorch[build='^py3\\.1[12]_cuda.*$']", &ms, &err), 0);
    assert_true(matchspec_match(&ms, "pytorch", "2.3.1", "py3.11_cuda12.1_cudnn8_0", 0));
    assert_false(matchspec_match(&ms, "pytorch", "2.3.1", "py3.10_cuda12.1_cudnn8_0", 0));
    matchspec_free(&ms);
    /* globs on builds and versions: '*' only, without regex */
    assert_int_equal(matchspec_parse("pytorch=*=*cu*", &ms, &err), 0);
    assert_true(matchspec_match(&ms, "pytorch", "2.3.1", "py3.12_cuda12.1", 0));
    matchspec_free(&ms);
    assert_int_equal(matchspec_parse("numpy 1.*.3", &ms, &err), 0);
    assert_true(matchspec_match(&ms, "numpy", "1.22.3", "x", 0));
    assert_false(matchspec_match(&ms, "numpy", "1.22.4", "x", 0));
    matchspec_free(&ms);
}

static void test_subdirs(void **state)
{
    (void)state;
    static const char *const yes[] = { "linux-64", "win-64", "noarch", "osx-arm64",
                                       "osx-64", "linux-aarch64", "win-32" };
    static const char *const no[] = { "linux", "win64", "pytorch", "", "linux-64/" };
    for (size_t i = 0; i < N_ELEMS(yes); i++)
        assert_true(matchspec_is_subdir(yes[i]));
    for (size_t i = 0; i < N_ELEMS(no); i++)
        assert_false(matchspec_is_subdir(no[i]));
    assert_false(matchspec_is_subdir(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_subdirs),
        cmocka_unit_test(test_regex_untrusted_and_bounded),
    };
    return cmocka_run_group_tests_name("matchspec", tests, NULL, NULL);
}
