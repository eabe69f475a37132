/* test_wheelname.c — wheel file names, targets and compatibility.
 * Platform lists were checked against pip's packaging.tags. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wheelname.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *fn;
    const char *dist, *norm, *version, *build, *pythons, *abis, *platforms;
} good[] = {
    { "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl", "torch", "torch", "2.3.1+cu121", NULL,
      "cp312", "cp312", "linux_x86_64" },
    { "torch-2.3.1+cu121-cp312-cp312-win_amd64.whl", "torch", "torch", "2.3.1+cu121", NULL,
      "cp312", "cp312", "win_amd64" },
    { "torch-2.7.1+cu128-cp312-cp312-manylinux_2_28_x86_64.whl", "torch", "torch",
      "2.7.1+cu128", NULL, "cp312", "cp312", "manylinux_2_28_x86_64" },
    { "torch-2.7.1-cp312-none-macosx_11_0_arm64.whl", "torch", "torch", "2.7.1", NULL, "cp312",
      "none", "macosx_11_0_arm64" },
    { "torch-2.2.2-cp312-none-macosx_10_9_x86_64.whl", "torch", "torch", "2.2.2", NULL, "cp312",
      "none", "macosx_10_9_x86_64" },
    { "torch-2.3.1-cp38-cp38-manylinux1_x86_64.whl", "torch", "torch", "2.3.1", NULL, "cp38",
      "cp38", "manylinux1_x86_64" },
    { "torch-2.3.1-cp311-cp311-manylinux2014_aarch64.whl", "torch", "torch", "2.3.1", NULL,
      "cp311", "cp311", "manylinux2014_aarch64" },
    { "torch-2.6.0.dev20241112+cu121-cp312-cp312-linux_x86_64.whl", "torch", "torch",
      "2.6.0.dev20241112+cu121", NULL, "cp312", "cp312", "linux_x86_64" },
    { "torch-1.13.1+cu117-cp310-cp310-linux_x86_64.whl", "torch", "torch", "1.13.1+cu117",
      NULL, "cp310", "cp310", "linux_x86_64" },
    { "torch-2.0.0+cpu.cxx11.abi-cp310-cp310-linux_x86_64.whl", "torch", "torch",
      "2.0.0+cpu.cxx11.abi", NULL, "cp310", "cp310", "linux_x86_64" },
    { "torch-2.4.0+rocm6.1-cp312-cp312-linux_x86_64.whl", "torch", "torch", "2.4.0+rocm6.1",
      NULL, "cp312", "cp312", "linux_x86_64" },
    { "torch-2.6.0+cu124-cp313-cp313t-linux_x86_64.whl", "torch", "torch", "2.6.0+cu124", NULL,
      "cp313", "cp313t", "linux_x86_64" },
    { "torch-1.10.2+cu113-cp37-cp37m-linux_x86_64.whl", "torch", "torch", "1.10.2+cu113", NULL,
      "cp37", "cp37m", "linux_x86_64" },
    { "torchvision-0.18.1+cu121-cp312-cp312-linux_x86_64.whl", "torchvision", "torchvision",
      "0.18.1+cu121", NULL, "cp312", "cp312", "linux_x86_64" },
    { "torchaudio-2.3.1+cu121-cp312-cp312-linux_x86_64.whl", "torchaudio", "torchaudio",
      "2.3.1+cu121", NULL, "cp312", "cp312", "linux_x86_64" },
    { "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy",
      "numpy", "1.26.4", NULL, "cp312", "cp312",
      "manylinux_2_17_x86_64,manylinux2014_x86_64" },
    { "nvidia_cudnn_cu12-8.9.2.26-py3-none-manylinux1_x86_64.whl", "nvidia_cudnn_cu12",
      "nvidia-cudnn-cu12", "8.9.2.26", NULL, "py3", "none", "manylinux1_x86_64" },
    { "nvidia_nccl_cu12-2.20.5-py3-none-manylinux2014_x86_64.whl", "nvidia_nccl_cu12",
      "nvidia-nccl-cu12", "2.20.5", NULL, "py3", "none", "manylinux2014_x86_64" },
    { "six-1.16.0-py2.py3-none-any.whl", "six", "six", "1.16.0", NULL, "py2,py3", "none",
      "any" },
    { "six-1.16.0-1-py2.py3-none-any.whl", "six", "six", "1.16.0", "1", "py2,py3", "none",
      "any" },
    { "typing_extensions-4.9.0-py3-none-any.whl", "typing_extensions", "typing-extensions",
      "4.9.0", NULL, "py3", "none", "any" },
    { "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl", "cryptography",
      "cryptography", "42.0.5", NULL, "cp39", "abi3", "manylinux_2_28_x86_64" },
    { "charset_normalizer-3.3.2-cp312-cp312-macosx_10_9_universal2.whl", "charset_normalizer",
      "charset-normalizer", "3.3.2", NULL, "cp312", "cp312", "macosx_10_9_universal2" },
    { "pytorch_triton-3.1.0+cf34004b8a-cp312-cp312-linux_x86_64.whl", "pytorch_triton",
      "pytorch-triton", "3.1.0+cf34004b8a", NULL, "cp312", "cp312", "linux_x86_64" },
    { "Torch-2.3.1-CP312-CP312-WIN_AMD64.WHL", "Torch", "torch", "2.3.1", NULL, "CP312",
      "CP312", "WIN_AMD64" },
};

static char *join(const struct strv *sv)
{
    size_t len = 1;
    for (size_t i = 0; i < sv->n; i++)
        len += strlen(sv->v[i]) + 1;
    char *s = calloc(1, len);
    assert_non_null(s);
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, sv->v[i]);
    }
    return s;
}

static void check_join(const char *fn, const struct strv *sv, const char *want)
{
    char *s = join(sv);
    if (strcmp(s, want) != 0)
        fail_msg("%s: tags '%s', want '%s'", fn, s, want);
    free(s);
}

static void test_parse_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(good); i++) {
        struct wheelname w;
        if (wheelname_parse(good[i].fn, &w) != 0)
            fail_msg("'%s' should parse", good[i].fn);
        assert_string_equal(w.dist, good[i].dist);
        assert_string_equal(w.norm_name, good[i].norm);
        assert_string_equal(w.version_str, good[i].version);
        struct pep440 v;
        assert_int_equal(pep440_parse(good[i].version, &v), 0);
        assert_int_equal(pep440_cmp(&v, &w.version), 0);
        pep440_free(&v);
        if (good[i].build)
            assert_string_equal(w.build, good[i].build);
        else
            assert_null(w.build);
        check_join(good[i].fn, &w.pythons, good[i].pythons);
        check_join(good[i].fn, &w.abis, good[i].abis);
        check_join(good[i].fn, &w.platforms, good[i].platforms);
        wheelname_free(&w);
    }
}

static void test_parse_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl", /* not decoded */
        "torch-2.3.1.tar.gz",
        "torch-2.3.1-cp312.whl",
        "torch-cp312-cp312-linux_x86_64.whl",
        "-2.3.1-cp312-cp312-linux_x86_64.whl",
        "torch-2.3.1-x1-cp312-cp312-linux_x86_64.whl",
        "torch-2.3.1-cp312-cp312-linux_x86_64",
        "torch-2.3.1-cp312--linux_x86_64.whl",
        "torch-2.3.1-cp312-cp312-linux_x86_64..whl",
        "torch-2.3.1-1-2-cp312-cp312-linux_x86_64.whl",
        "torch-two-cp312-cp312-linux_x86_64.whl",
        ".whl",
        "",
    };
    for (size_t i = 0; i < N(bad); i++) {
        struct wheelname w;
        if (wheelname_parse(bad[i], &w) != -1)
            fail_msg("'%s' should be rejected", bad[i]);
        assert_null(w.dist);
        wheelname_free(&w);
    }
    struct wheelname w;
    assert_int_equal(wheelname_parse(NULL, &w), -1);
}

static void test_target_platforms(void **state)
{
    (void)state;
    static const struct {
        const char *os, *machine;
        int lmaj, lmin;
        size_t count;
        const char *first, *last, *label;
        const char *has, *lacks;
    } cases[] = {
        { "linux", "x86_64", 2, 35, 35, "manylinux_2_35_x86_64", "linux_x86_64",
          "cp312 linux_x86_64", "manylinux1_x86_64", "manylinux_2_36_x86_64" },
        { "linux", "amd64", 2, 17, 17, "manylinux_2_17_x86_64", "linux_x86_64",
          "cp312 linux_x86_64", "manylinux2014_x86_64", "manylinux_2_28_x86_64" },
        { "linux", "aarch64", 2, 35, 21, "manylinux_2_35_aarch64", "linux_aarch64",
          "cp312 linux_aarch64", "manylinux2014_aarch64", "manylinux_2_16_aarch64" },
        { "linux", "ppc64le", 2, 28, 14, "manylinux_2_28_ppc64le", "linux_ppc64le",
          "cp312 linux_ppc64le", "manylinux2014_ppc64le", "manylinux2010_ppc64le" },
        { "windows", "AMD64", 0, 0, 1, "win_amd64", "win_amd64", "cp312 win_amd64", "win_amd64",
          "win32" },
        { "win32", "arm64", 0, 0, 1, "win_arm64", "win_arm64", "cp312 win_arm64", "win_arm64",
          "win_amd64" },
        { "darwin", "arm64", 14, 0, 21, "macosx_14_0_arm64", "macosx_10_4_universal2",
          "cp312 macosx_14_0_arm64", "macosx_11_0_arm64", "macosx_10_9_x86_64" },
        { "macos", "x86_64", 13, 0, 96, "macosx_13_0_x86_64", "macosx_10_4_universal",
          "cp312 macosx_13_0_x86_64", "macosx_10_9_x86_64", "macosx_11_0_arm64" },
        { "macos", "x86_64", 10, 15, 72, "macosx_10_15_x86_64", "macosx_10_4_universal",
          "cp312 macosx_10_15_x86_64", "macosx_10_9_intel", "macosx_11_0_x86_64" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct wheel_target t;
        char *err = NULL;
        if (wheel_target_init(&t, cases[i].os, cases[i].machine, 3, 12, cases[i].lmaj,
                              cases[i].lmin, &err) != 0)
            fail_msg("%s/%s: %s", cases[i].os, cases[i].machine, err);
        if (t.platforms.n != cases[i].count)
            fail_msg("%s/%s %d.%d: %zu tags, want %zu", cases[i].os, cases[i].machine,
                     cases[i].lmaj, cases[i].lmin, t.platforms.n, cases[i].count);
        assert_string_equal(t.platforms.v[0], cases[i].first);
        assert_string_equal(t.platforms.v[t.platforms.n - 1], cases[i].last);
        assert_string_equal(t.label, cases[i].label);
        assert_true(wheel_target_has_platform(&t, cases[i].has));
        assert_false(wheel_target_has_platform(&t, cases[i].lacks));
        wheel_target_free(&t);
    }

    /* legacy aliases follow their equivalents, as pip orders them */
    struct wheel_target t;
    assert_int_equal(wheel_target_init(&t, "linux", "x86_64", 3, 12, 2, 17, NULL), 0);
    assert_string_equal(t.platforms.v[0], "manylinux_2_17_x86_64");
    assert_string_equal(t.platforms.v[1], "manylinux2014_x86_64");
    assert_string_equal(t.platforms.v[2], "manylinux_2_16_x86_64");
    wheel_target_free(&t);

    static const struct {
        const char *os, *machine;
        int pmaj, pmin, lmaj, lmin;
        const char *msg;
    } bad[] = {
        { "plan9", "x86_64", 3, 12, 2, 35, "operating system" },
        { NULL, "x86_64", 3, 12, 2, 35, "operating system" },
        { "linux", "x86_64", 3, 12, 0, 0, "glibc" },
        { "linux", "x86_64", 3, 12, 1, 1, "glibc" },
        { "linux", "x86/64", 3, 12, 2, 35, "machine" },
        { "linux", "", 3, 12, 2, 35, "machine" },
        { "windows", "sparc", 3, 12, 0, 0, "Windows" },
        { "macos", "i386", 3, 12, 14, 0, "macOS" },
        { "macos", "arm64", 3, 12, 0, 0, "macOS version" },
        { "linux", "x86_64", 1, 0, 2, 35, "Python" },
    };
    for (size_t i = 0; i < N(bad); i++) {
        char *err = NULL;
        if (wheel_target_init(&t, bad[i].os, bad[i].machine, bad[i].pmaj, bad[i].pmin,
                              bad[i].lmaj, bad[i].lmin, &err) != -1)
            fail_msg("target %zu should be rejected", i);
        assert_non_null(err);
        if (!strstr(err, bad[i].msg))
            fail_msg("message '%s' lacks '%s'", err, bad[i].msg);
        free(err);
        wheel_target_free(&t);
    }
}

enum { L312, L312_OLD, A311, W312, M312, MX312, L37, L39, NTARGETS };
static const struct {
    const char *os, *machine;
    int pmaj, pmin, lmaj, lmin;
} targets[NTARGETS] = {
    [L312] = { "linux", "x86_64", 3, 12, 2, 35 },
    [L312_OLD] = { "linux", "x86_64", 3, 12, 2, 17 },
    [A311] = { "linux", "aarch64", 3, 11, 2, 31 },
    [W312] = { "windows", "amd64", 3, 12, 0, 0 },
    [M312] = { "macos", "arm64", 3, 12, 14, 4 },
    [MX312] = { "macos", "x86_64", 3, 12, 10, 15 },
    [L37] = { "linux", "x86_64", 3, 7, 2, 27 },
    [L39] = { "linux", "x86_64", 3, 9, 2, 31 },
};

/* wheel, then one expectation per target in the enum's order */
static const struct {
    const char *fn;
    int fits[NTARGETS];
} compat[] = {
    /*                                                                L312 OLD A311 W312 M312 MX L37 L39 */
    { "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl",              { 1, 1, 0, 0, 0, 0, 0, 0 } },
    { "torch-2.3.1+cu121-cp312-cp312-win_amd64.whl",                 { 0, 0, 0, 1, 0, 0, 0, 0 } },
    { "torch-2.7.1+cu128-cp312-cp312-manylinux_2_28_x86_64.whl",     { 1, 0, 0, 0, 0, 0, 0, 0 } },
    { "torch-2.7.1+cpu-cp311-cp311-manylinux_2_28_aarch64.whl",      { 0, 0, 1, 0, 0, 0, 0, 0 } },
    { "torch-2.3.1-cp311-cp311-manylinux2014_aarch64.whl",           { 0, 0, 1, 0, 0, 0, 0, 0 } },
    { "torch-2.7.1-cp312-none-macosx_11_0_arm64.whl",                { 0, 0, 0, 0, 1, 0, 0, 0 } },
    { "torch-2.2.2-cp312-none-macosx_10_9_x86_64.whl",               { 0, 0, 0, 0, 0, 1, 0, 0 } },
    { "torch-2.3.1-cp38-cp38-manylinux1_x86_64.whl",                 { 0, 0, 0, 0, 0, 0, 0, 0 } },
    { "torch-1.13.1+cu117-cp39-cp39-linux_x86_64.whl",               { 0, 0, 0, 0, 0, 0, 0, 1 } },
    { "torch-1.10.2+cu113-cp37-cp37m-linux_x86_64.whl",              { 0, 0, 0, 0, 0, 0, 1, 0 } },
    { "torch-2.6.0+cu124-cp313-cp313t-linux_x86_64.whl",             { 0, 0, 0, 0, 0, 0, 0, 0 } },
    { "numpy-1.26.4-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                                                                     { 1, 1, 0, 0, 0, 0, 0, 0 } },
    { "nvidia_cudnn_cu12-8.9.2.26-py3-none-manylinux1_x86_64.whl",   { 1, 1, 0, 0, 0, 0, 1, 1 } },
    { "six-1.16.0-py2.py3-none-any.whl",                             { 1, 1, 1, 1, 1, 1, 1, 1 } },
    { "filelock-3.13.1-py3-none-any.whl",                            { 1, 1, 1, 1, 1, 1, 1, 1 } },
    { "futures-3.0.5-py2-none-any.whl",                              { 0, 0, 0, 0, 0, 0, 0, 0 } },
    { "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl",     { 1, 0, 0, 0, 0, 0, 0, 1 } },
    { "cryptography-42.0.5-cp39-abi3-win_amd64.whl",                 { 0, 0, 0, 1, 0, 0, 0, 0 } },
    { "charset_normalizer-3.3.2-cp312-cp312-macosx_10_9_universal2.whl",
                                                                     { 0, 0, 0, 0, 1, 1, 0, 0 } },
    { "tomli-2.0.1-py310-none-any.whl",                              { 1, 1, 1, 1, 1, 1, 0, 0 } },
    { "some-1.0-cp312-none-any.whl",                                 { 1, 1, 0, 1, 1, 1, 0, 0 } },
    { "some-1.0-cp312-cp312-any.whl",                                { 0, 0, 0, 0, 0, 0, 0, 0 } },
    { "some-1.0-cp312-abi3-linux_x86_64.whl",                        { 1, 1, 0, 0, 0, 0, 0, 0 } },
    { "some-1.0-pp310-pypy310_pp73-manylinux_2_17_x86_64.whl",       { 0, 0, 0, 0, 0, 0, 0, 0 } },
    { "some-1.0-py3-none-macosx_14_0_arm64.whl",                     { 0, 0, 0, 0, 1, 0, 0, 0 } },
    { "some-1.0-py3-none-macosx_15_0_arm64.whl",                     { 0, 0, 0, 0, 0, 0, 0, 0 } },
};

static void test_compatible(void **state)
{
    (void)state;
    struct wheel_target t[NTARGETS];
    for (size_t i = 0; i < NTARGETS; i++)
        assert_int_equal(wheel_target_init(&t[i], targets[i].os, targets[i].machine,
                                           targets[i].pmaj, targets[i].pmin, targets[i].lmaj,
                                           targets[i].lmin, NULL),
                         0);
    for (size_t i = 0; i < N(compat); i++) {
        struct wheelname w;
        if (wheelname_parse(compat[i].fn, &w) != 0)
            fail_msg("'%s' should parse", compat[i].fn);
        for (size_t j = 0; j < NTARGETS; j++) {
            int got = wheel_compatible(&w, &t[j]);
            if (got != compat[i].fits[j])
                fail_msg("%s on %s: got %d", compat[i].fn, t[j].label, got);
        }
        wheelname_free(&w);
    }
    for (size_t i = 0; i < NTARGETS; i++)
        wheel_target_free(&t[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_target_platforms),
        cmocka_unit_test(test_compatible),
    };
    return cmocka_run_group_tests_name("wheelname", tests, NULL, NULL);
}
