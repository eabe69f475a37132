/* test_condaselect.c — choosing exact pytorch-channel builds. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "condaselect.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

#define LINUX64 "tests/fixtures/reference/rattler_pytorch_linux-64_repodata.json"
#define WIN64 "tests/fixtures/conda/win-64-2.3.1.json"
#define NOARCH "tests/fixtures/conda/noarch-mutex.json"

static struct repodata_index linux64, win64;

static int setup(void **state)
{
    (void)state;
    char *err = NULL;
    struct repodata_index noarch;
    if (repodata_load_file(LINUX64, NULL, &linux64, &err) != 0 ||
        repodata_load_file(WIN64, NULL, &win64, &err) != 0 ||
        repodata_load_file(NOARCH, NULL, &noarch, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err ? err : "?");
        free(err);
        return -1;
    }
    /* selection runs on the subdir merged with the channel's noarch */
    repodata_index_merge(&linux64, &noarch);
    repodata_index_merge(&win64, &noarch);
    repodata_index_free(&noarch);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    repodata_index_free(&linux64);
    repodata_index_free(&win64);
    return 0;
}

#define CPU { CONDASELECT_CPU, NULL, 0 }
#define UNKNOWN { CONDASELECT_UNKNOWN, NULL, 0 }
#define CUDA(v) { CONDASELECT_CUDA, v, 0 }
#define CUDA_MAX(v) { CONDASELECT_CUDA, v, 1 }
#define TOOLKIT(v) { CONDASELECT_CUDATOOLKIT, v, 0 }

struct sel_case {
    const char *what;
    const struct repodata_index *idx;
    const char *subdir;
    const char *python;
    struct condaselect_variant variant;
    const char *specs;               /* space-separated (no spaces inside a spec) */
    const char *want;                /* space-joined output, or NULL for an error */
    const char *want_variant;        /* result->variant (NULL: not checked) */
};

/* Run one case; returns the joined output or the error (caller frees). */
static char *run(const struct sel_case *c, int *ok, struct condaselect_result *res)
{
    struct matchspec specs[16];
    size_t n = 0;
    char *copy = strdup(c->specs);
    assert_non_null(copy);
    for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        char *err = NULL;
        assert_true(n < N_ELEMS(specs));
        if (matchspec_parse(t, &specs[n], &err) != 0)
            fail_msg("%s: spec '%s': %s", c->what, t, err);
        n++;
    }
    free(copy);
    const struct matchspec *ptrs[N_ELEMS(specs)];
    for (size_t i = 0; i < n; i++)
        ptrs[i] = &specs[i];
    struct condaselect_request req = { ptrs, n, c->subdir, c->python, c->variant, NULL, NULL, 0 };
    char *err = NULL;
    char *outs;
    *ok = condaselect_run(c->idx, &req, res, &err) == 0;
    if (*ok) {
        size_t len = 1;
        for (size_t i = 0; i < res->specs.n; i++)
            len += strlen(res->specs.v[i]) + 1;
        outs = calloc(1, len);
        assert_non_null(outs);
        for (size_t i = 0; i < res->specs.n; i++) {
            if (i)
                strcat(outs, " ");
            strcat(outs, res->specs.v[i]);
        }
    } else {
        assert_non_null(err);
        outs = err;
    }
    for (size_t i = 0; i < n; i++)
        matchspec_free(&specs[i]);
    return outs;
}

static const struct sel_case cases[] = {
    /* --- the real linux-64 channel (newest pytorch there: 2.1.0) --- */
    { "official command, cu118, py3.10", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch torchvision torchaudio pytorch-cuda=11.8",
      "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 torchvision=0.16.0=py310_cu118 "
      "torchaudio=2.1.0=py310_cu118 pytorch-cuda=11.8", "cuda11.8" },
    { "same, cu121", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch torchvision torchaudio pytorch-cuda=12.1",
      "pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0 torchvision=0.16.0=py310_cu121 "
      "torchaudio=2.1.0=py310_cu121 pytorch-cuda=12.1", "cuda12.1" },
    { "seed 003: 1.13.1 + pytorch-cuda=11.6 on py3.9", &linux64, "linux-64", "3.9", UNKNOWN,
      "pytorch==1.13.1 torchvision==0.14.1 torchaudio==0.13.1 pytorch-cuda=11.6",
      "pytorch=1.13.1=py3.9_cuda11.6_cudnn8.3.2_0 torchvision=0.14.1=py39_cu116 "
      "torchaudio=0.13.1=py39_cu116 pytorch-cuda=11.6", "cuda11.6" },
    { "seed 003 tutorial form (fuzzy pins)", &linux64, "linux-64", "3.9", CUDA("11.7"),
      "pytorch=1.13.1 torchvision=0.14.1 torchaudio=0.13.1",
      "pytorch=1.13.1=py3.9_cuda11.7_cudnn8.5.0_0 torchvision=0.14.1=py39_cu117 "
      "torchaudio=0.13.1=py39_cu117 pytorch-cuda=11.7", "cuda11.7" },
    { "seed 001: 1.10.1 + cudatoolkit=10.2 on py3.7", &linux64, "linux-64", "3.7", UNKNOWN,
      "pytorch==1.10.1 torchvision==0.11.2 torchaudio==0.10.1 cudatoolkit=10.2",
      "pytorch=1.10.1=py3.7_cuda10.2_cudnn7.6.5_0 torchvision=0.11.2=py37_cu102 "
      "torchaudio=0.10.1=py37_cu102 cudatoolkit=10.2", "cuda10.2" },
    { "seed 001 with detection instead of cudatoolkit=", &linux64, "linux-64", "3.7",
      CUDA("11.3"), "pytorch==1.10.1 torchvision==0.11.2 torchaudio==0.10.1",
      "pytorch=1.10.1=py3.7_cuda11.3_cudnn8.2.0_0 torchvision=0.11.2=py37_cu113 "
      "torchaudio=0.10.1=py37_cu113 cudatoolkit=11.3", "cuda11.3" },
    { "old style asked by the caller", &linux64, "linux-64", "3.8", TOOLKIT("10.2"),
      "pytorch torchvision",
      "pytorch=1.12.1=py3.8_cuda10.2_cudnn7.6.5_0 torchvision=0.13.1=py38_cu102 "
      "cudatoolkit=10.2", "cuda10.2" },
    { "cpuonly given", &linux64, "linux-64", "3.11", UNKNOWN,
      "pytorch torchvision torchaudio cpuonly",
      "pytorch=2.1.0=py3.11_cpu_0 torchvision=0.16.0=py311_cpu torchaudio=2.1.0=py311_cpu "
      "cpuonly", "cpu" },
    { "cpu from detection adds cpuonly", &linux64, "linux-64", "3.9", CPU,
      "pytorch torchvision",
      "pytorch=2.1.0=py3.9_cpu_0 torchvision=0.16.0=py39_cpu cpuonly", "cpu" },
    { "old cpu builds (features: cpuonly)", &linux64, "linux-64", "3.7", CPU,
      "pytorch==1.10.1 torchvision==0.11.2 torchaudio==0.10.1",
      "pytorch=1.10.1=py3.7_cpu_0 torchvision=0.11.2=py37_cpu torchaudio=0.10.1=py37_cpu "
      "cpuonly", "cpu" },
    { "cuda 12.1 from detection adds pytorch-cuda", &linux64, "linux-64", "3.11", CUDA("12.1"),
      "pytorch torchaudio",
      "pytorch=2.1.0=py3.11_cuda12.1_cudnn8.9.2_0 torchaudio=2.1.0=py311_cu121 pytorch-cuda=12.1",
      "cuda12.1" },
    { "driver allows <= 12.4: newest CUDA that fits", &linux64, "linux-64", "3.10",
      CUDA_MAX("12.4"), "pytorch torchvision",
      "pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0 torchvision=0.16.0=py310_cu121 "
      "pytorch-cuda=12.1", "cuda12.1" },
    { "driver allows <= 11.9", &linux64, "linux-64", "3.10", CUDA_MAX("11.9"),
      "pytorch torchvision",
      "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 torchvision=0.16.0=py310_cu118 "
      "pytorch-cuda=11.8", "cuda11.8" },
    { "driver allows <= 11.7: older pytorch", &linux64, "linux-64", "3.10", CUDA_MAX("11.7"),
      "pytorch torchvision",
      "pytorch=2.0.1=py3.10_cuda11.7_cudnn8.5.0_0 torchvision=0.15.2=py310_cu117 "
      "pytorch-cuda=11.7", "cuda11.7" },
    { "unknown variant: CUDA preferred, newest first (as conda)", &linux64, "linux-64", "3.10",
      UNKNOWN, "pytorch",
      "pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0 pytorch-cuda=12.1", "cuda12.1" },
    { "unversioned pytorch-cuda: newest in the channel", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch pytorch-cuda",
      "pytorch=2.1.0=py3.10_cuda12.1_cudnn8.9.2_0 pytorch-cuda", "cuda12.1" },
    { "pytorch-cuda range", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch pytorch-cuda<12",
      "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 pytorch-cuda<12", "cuda11.8" },
    { "python unknown: the python part stays a glob", &linux64, "linux-64", NULL, UNKNOWN,
      "pytorch torchvision pytorch-cuda=11.8",
      "pytorch=2.1.0=*_cuda11.8_cudnn8.7.0_0 torchvision=0.16.0=*_cu118 pytorch-cuda=11.8",
      "cuda11.8" },
    { "other specs untouched, order kept", &linux64, "linux-64", "3.10", UNKNOWN,
      "numpy pytorch python=3.10 torchvision nvidia::cuda-cudart pytorch-cuda=11.8",
      "numpy pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 python=3.10 "
      "torchvision=0.16.0=py310_cu118 nvidia::cuda-cudart pytorch-cuda=11.8", NULL },
    { "channel prefix kept", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch::pytorch pytorch::torchvision pytorch-cuda=11.8",
      "pytorch::pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 "
      "pytorch::torchvision=0.16.0=py310_cu118 pytorch-cuda=11.8", NULL },
    { "version range", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch>=1.12,<2.1 torchvision pytorch-cuda=11.7",
      "pytorch=2.0.1=py3.10_cuda11.7_cudnn8.5.0_0 torchvision=0.15.2=py310_cu117 "
      "pytorch-cuda=11.7", NULL },
    { "bracket form with build glob", &linux64, "linux-64", "3.9", UNKNOWN,
      "pytorch[version='<2',build='*cuda11.7*'] torchaudio",
      "pytorch=1.13.1=py3.9_cuda11.7_cudnn8.5.0_0 torchaudio=0.13.1=py39_cu117 pytorch-cuda=11.7",
      "cuda11.7" },
    { "member constraint makes pytorch back off", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch torchvision==0.15.2 pytorch-cuda=11.8",
      "pytorch=2.0.1=py3.10_cuda11.8_cudnn8.7.0_0 torchvision=0.15.2=py310_cu118 "
      "pytorch-cuda=11.8", NULL },
    { "member only: pytorch implied", &linux64, "linux-64", "3.10", UNKNOWN,
      "torchvision pytorch-cuda=11.8", "torchvision=0.16.0=py310_cu118 pytorch-cuda=11.8",
      "cuda11.8" },
    { "torchtext joins the family (no variant in its builds)", &linux64, "linux-64", "3.10",
      UNKNOWN, "pytorch torchtext cpuonly",
      "pytorch=2.1.0=py3.10_cpu_0 torchtext=0.16.0=py310 cpuonly", "cpu" },
    { "pytorch's own pin on torchtriton", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch==2.0.1 torchtriton pytorch-cuda=11.8",
      "pytorch=2.0.1=py3.10_cuda11.8_cudnn8.7.0_0 torchtriton=2.0.0=py310 pytorch-cuda=11.8",
      NULL },
    { "already exact stays exact", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 torchvision",
      "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 torchvision=0.16.0=py310_cu118 "
      "pytorch-cuda=11.8", "cuda11.8" },
    { "no family spec: nothing to do", &linux64, "linux-64", "3.10", CUDA("12.1"),
      "numpy scipy>=1.10", "numpy scipy>=1.10", NULL },
    { "another channel's pytorch is not ours", &linux64, "linux-64", "3.10", CUDA("12.1"),
      "conda-forge::pytorch numpy", "conda-forge::pytorch numpy", NULL },
    { "mutex spec agreeing with pytorch-cuda", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch pytorch-mutex=1.0=cuda pytorch-cuda=11.8",
      "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0 pytorch-mutex=1.0=cuda pytorch-cuda=11.8",
      NULL },

    /* --- win-64 fixture, seed 002 --- */
    { "seed 002: py3.12 + CUDA 12.1", &win64, "win-64", "3.12", UNKNOWN,
      "pytorch torchvision torchaudio pytorch-cuda=12.1",
      "pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0 torchvision=0.18.1=py312_cu121 "
      "torchaudio=2.3.1=py312_cu121 pytorch-cuda=12.1", "cuda12.1" },
    { "seed 002: py3.12 + CUDA 11.8", &win64, "win-64", "3.12", UNKNOWN,
      "pytorch torchvision torchaudio pytorch-cuda=11.8",
      "pytorch=2.3.1=py3.12_cuda11.8_cudnn8_0 torchvision=0.18.1=py312_cu118 "
      "torchaudio=2.3.1=py312_cu118 pytorch-cuda=11.8", "cuda11.8" },
    { "seed 002 via detection", &win64, "win-64", "3.12", CUDA("12.1"),
      "pytorch torchvision torchaudio",
      "pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0 torchvision=0.18.1=py312_cu121 "
      "torchaudio=2.3.1=py312_cu121 pytorch-cuda=12.1", "cuda12.1" },
    { "seed 002 as the tutorial wrote it (fuzzy pins)", &win64, "win-64", "3.12", UNKNOWN,
      "pytorch=2.3.1 torchvision=0.18.1 torchaudio=2.3.1 pytorch-cuda=11.8",
      "pytorch=2.3.1=py3.12_cuda11.8_cudnn8_0 torchvision=0.18.1=py312_cu118 "
      "torchaudio=2.3.1=py312_cu118 pytorch-cuda=11.8", NULL },
    { "win-64 cpu, py3.8", &win64, "win-64", "3.8", CPU, "pytorch torchvision torchaudio",
      "pytorch=2.3.1=py3.8_cpu_0 torchvision=0.18.1=py38_cpu torchaudio=2.3.1=py38_cpu cpuonly",
      "cpu" },
    { "win-64 driver <= 12.4", &win64, "win-64", "3.11", CUDA_MAX("12.4"),
      "pytorch torchvision",
      "pytorch=2.3.1=py3.11_cuda12.1_cudnn8_0 torchvision=0.18.1=py311_cu121 pytorch-cuda=12.1",
      "cuda12.1" },

    /* --- unsatisfiable --- */
    { "python too new", &win64, "win-64", "3.13", CUDA("12.1"), "pytorch torchvision", NULL,
      NULL },
    { "cuda not built", &linux64, "linux-64", "3.10", UNKNOWN, "pytorch pytorch-cuda=12.4",
      NULL, NULL },
    { "newer than the channel", &linux64, "linux-64", "3.10", UNKNOWN,
      "pytorch>=2.6 torchvision", NULL, NULL },
    { "cpu vs cuda", &linux64, "linux-64", "3.10", UNKNOWN, "pytorch cpuonly pytorch-cuda=11.8",
      NULL, NULL },
    { "build glob against the variant", &linux64, "linux-64", "3.10", CPU,
      "pytorch[build=*cuda*]", NULL, NULL },
    { "no such pytorch", &linux64, "linux-64", "3.10", UNKNOWN, "pytorch==1.0.0", NULL, NULL },
    { "mismatched pins", &linux64, "linux-64", "3.10", CUDA("11.8"),
      "pytorch==2.1.0 torchvision==0.15.2", NULL, NULL },
    { "no such torchvision", &linux64, "linux-64", "3.10", CUDA("11.8"),
      "pytorch torchvision==9.9", NULL, NULL },
    { "wrong subdir", &win64, "osx-arm64", "3.10", UNKNOWN, "pytorch", NULL, NULL },
};

static void test_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        const struct sel_case *c = &cases[i];
        struct condaselect_result res;
        int ok;
        char *got = run(c, &ok, &res);
        if (c->want) {
            if (!ok)
                fail_msg("%s: error: %s", c->what, got);
            if (strcmp(got, c->want) != 0)
                fail_msg("%s:\n  got  %s\n  want %s", c->what, got, c->want);
            if (c->want_variant) {
                if (!res.variant || strcmp(res.variant, c->want_variant) != 0)
                    fail_msg("%s: variant %s, want %s", c->what,
                             res.variant ? res.variant : "(null)", c->want_variant);
            }
        } else if (ok) {
            fail_msg("%s: should fail, got %s", c->what, got);
        }
        free(got);
        condaselect_result_free(&res);
        condaselect_result_free(&res);
    }
}

/* The error text for a case (must fail). */
static char *error_of(const struct sel_case *c)
{
    struct condaselect_result res;
    int ok;
    char *got = run(c, &ok, &res);
    if (ok)
        fail_msg("%s: should fail, got %s", c->what, got);
    assert_null(res.specs.v);
    assert_null(res.pytorch_version);
    return got;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("message lacks '%s':\n  %s", needle, hay);
}

static void test_messages(void **state)
{
    (void)state;
    static const struct { struct sel_case c; const char *exact; const char *has[6]; } msgs[] = {
        { { "py3.13 on win-64", &win64, "win-64", "3.13", CUDA("12.1"), "pytorch torchvision",
            NULL, NULL },
          "pytorch 2.3.1 on win-64 has builds for Python 3.8-3.12 (cpu, cuda11.8, cuda12.1); "
          "none for Python 3.13", { NULL } },
        { { "py3.12 on linux-64 snapshot", &linux64, "linux-64", "3.12", UNKNOWN,
            "pytorch pytorch-cuda=11.8", NULL, NULL },
          "pytorch 2.1.0 on linux-64 has builds for Python 3.8-3.11 (cpu, cuda11.8, cuda12.1); "
          "none for Python 3.12", { NULL } },
        { { "old pytorch, new python", &linux64, "linux-64", "3.11", UNKNOWN,
            "pytorch=1.10 cpuonly", NULL, NULL },
          NULL, { "pytorch 1.10.2 on linux-64 has builds for Python 3.6-3.9",
                  "none for Python 3.11",
                  "the newest pytorch here with Python 3.11 builds is 2.1.0" } },
        { { "cuda 12.4", &linux64, "linux-64", "3.10", UNKNOWN, "pytorch pytorch-cuda=12.4",
            NULL, NULL },
          NULL, { "pytorch 2.1.0 on linux-64 has builds for Python 3.8-3.11 (cpu, cuda11.8, "
                  "cuda12.1)", "none for CUDA 12.4 with Python 3.10" } },
        { { "pytorch>=2.6", &linux64, "linux-64", "3.10", UNKNOWN, "pytorch>=2.6 torchvision",
            NULL, NULL },
          NULL, { "newest pytorch on linux-64 is 2.1.0", "stopped at 2.5.1",
                  "torchshim install torch>=2.6 torchvision", "conda-forge", "pytorch-gpu" } },
        { { "pytorch=2.6", &win64, "win-64", "3.12", CUDA("12.1"),
            "pytorch=2.6 torchvision torchaudio", NULL, NULL },
          NULL, { "newest pytorch on win-64 is 2.3.1", "stopped at 2.5.1",
                  "torchshim install torch==2.6 torchvision torchaudio", "conda-forge",
                  "pytorch-gpu" } },
        { { "pytorch==2.7.0", &win64, "win-64", "3.12", CUDA("12.1"), "pytorch==2.7.0", NULL,
            NULL },
          NULL, { "stopped at 2.5.1", "torchshim install torch==2.7.0" } },
        { { "pytorch>2.5.1", &win64, "win-64", "3.12", CPU, "pytorch>2.5.1", NULL, NULL },
          NULL, { "stopped at 2.5.1", "torchshim install torch>2.5.1;" } },
        { { "pytorch[version='2.6.*']", &win64, "win-64", "3.12", CPU,
            "pytorch[version='2.6.*'] torchaudio", NULL, NULL },
          NULL, { "stopped at 2.5.1", "torchshim install torch==2.6.* torchaudio;" } },
        { { "pytorch=2.3 on an old index", &linux64, "linux-64", "3.10", UNKNOWN,
            "pytorch=2.3", NULL, NULL },
          NULL, { "newest pytorch on linux-64 is 2.1.0", "out of date",
                  "torchshim install torch==2.3" } },
        { { "no such pytorch", &linux64, "linux-64", "3.10", UNKNOWN, "pytorch==1.0.0", NULL,
            NULL },
          NULL, { "no pytorch matching 'pytorch==1.0.0'", "2.0.1, 2.1.0" } },
        { { "mismatched pins", &linux64, "linux-64", "3.10", CUDA("11.8"),
            "pytorch==2.1.0 torchvision==0.15.2", NULL, NULL },
          NULL, { "torchvision matching 'torchvision==0.15.2' is built for pytorch 2.0.1",
                  "does not pair with pytorch 2.1.0" } },
        { { "no such torchvision", &linux64, "linux-64", "3.10", CUDA("11.8"),
            "pytorch torchvision==9.9", NULL, NULL },
          NULL, { "no torchvision matching 'torchvision==9.9'", "0.16.0" } },
        { { "cpu vs cuda", &linux64, "linux-64", "3.10", UNKNOWN,
            "pytorch cpuonly pytorch-cuda=11.8", NULL, NULL },
          NULL, { "conflicting", "cpuonly", "pytorch-cuda=11.8" } },
        { { "cpu wanted, build says cuda", &linux64, "linux-64", "3.10", CPU,
            "pytorch[build=*cuda*]", NULL, NULL },
          NULL, { "none for CPU with Python 3.10" } },
        { { "wrong subdir", &win64, "osx-arm64", "3.10", UNKNOWN, "pytorch", NULL, NULL },
          "the channel index has no pytorch packages on osx-arm64", { NULL } },
    };
    for (size_t i = 0; i < N_ELEMS(msgs); i++) {
        char *e = error_of(&msgs[i].c);
        if (msgs[i].exact && strcmp(e, msgs[i].exact) != 0)
            fail_msg("%s:\n  got  %s\n  want %s", msgs[i].c.what, e, msgs[i].exact);
        for (size_t k = 0; k < N_ELEMS(msgs[i].has) && msgs[i].has[k]; k++)
            assert_contains(e, msgs[i].has[k]);
        free(e);
    }
}

static void test_result_fields(void **state)
{
    (void)state;
    struct sel_case c = { "fields", &win64, "win-64", "3.12", CUDA("12.1"),
                          "numpy pytorch torchvision", NULL, NULL };
    struct condaselect_result res;
    int ok;
    char *got = run(&c, &ok, &res);
    assert_true(ok);
    assert_int_equal(res.specs.n, 4);
    assert_null(res.specs.v[4]);
    assert_string_equal(res.specs.v[0], "numpy");
    assert_string_equal(res.specs.v[3], "pytorch-cuda=12.1");
    assert_int_equal(res.n_added, 1);
    assert_string_equal(res.pytorch_version, "2.3.1");
    assert_string_equal(res.pytorch_build, "py3.12_cuda12.1_cudnn8_0");
    assert_string_equal(res.variant, "cuda12.1");
    free(got);
    condaselect_result_free(&res);

    /* no family spec: no decision fields */
    struct sel_case none = { "none", &win64, "win-64", "3.12", CUDA("12.1"), "numpy", NULL, NULL };
    got = run(&none, &ok, &res);
    assert_true(ok);
    assert_string_equal(got, "numpy");
    assert_null(res.pytorch_version);
    assert_null(res.variant);
    assert_int_equal(res.n_added, 0);
    free(got);
    condaselect_result_free(&res);

    /* NULL inputs are refused, not crashed on */
    struct condaselect_request req = { NULL, 1, "linux-64", "3.10", UNKNOWN, NULL, NULL, 0 };
    char *err = NULL;
    assert_int_equal(condaselect_run(&win64, &req, &res, &err), -1);
    free(err);
    assert_int_equal(condaselect_run(NULL, &req, &res, NULL), -1);
    const struct matchspec *holes[1] = { NULL };
    struct condaselect_request req2 = { holes, 1, "linux-64", "3.10", UNKNOWN, NULL, NULL, 0 };
    err = NULL;
    assert_int_equal(condaselect_run(&win64, &req2, &res, &err), -1);
    assert_non_null(err);
    free(err);
}

/* Among builds of one version/Python/variant: highest build_number, then
 * newest timestamp. */
static void test_tie_breaks(void **state)
{
    (void)state;
    const char *json =
        "{\"info\": {\"subdir\": \"linux-64\"}, \"packages\": {"
        " \"pytorch-2.3.1-py3.12_cuda12.1_cudnn8.9.2_0.tar.bz2\": {\"name\": \"pytorch\","
        "   \"version\": \"2.3.1\", \"build\": \"py3.12_cuda12.1_cudnn8.9.2_0\", \"build_number\": 0,"
        "   \"depends\": [\"python >=3.12,<3.13.0a0\", \"pytorch-cuda >=12.1,<12.2\","
        "   \"pytorch-mutex 1.0 cuda\"], \"timestamp\": 1717000000000},"
        " \"pytorch-2.3.1-py3.12_cuda12.1_cudnn8.9.2_1.tar.bz2\": {\"name\": \"pytorch\","
        "   \"version\": \"2.3.1\", \"build\": \"py3.12_cuda12.1_cudnn8.9.2_1\", \"build_number\": 1,"
        "   \"depends\": [\"python >=3.12,<3.13.0a0\", \"pytorch-cuda >=12.1,<12.2\","
        "   \"pytorch-mutex 1.0 cuda\"], \"timestamp\": 1716000000000},"
        " \"pytorch-2.3.1-py3.12_cpu_0.tar.bz2\": {\"name\": \"pytorch\","
        "   \"version\": \"2.3.1\", \"build\": \"py3.12_cpu_0\", \"build_number\": 0,"
        "   \"depends\": [\"python >=3.12,<3.13.0a0\", \"pytorch-mutex 1.0 cpu\"],"
        "   \"timestamp\": 1717000000000},"
        " \"pytorch-2.3.1-py3.12_cpu_0b.tar.bz2\": {\"name\": \"pytorch\","
        "   \"version\": \"2.3.1\", \"build\": \"py3.12_cpu_0b\", \"build_number\": 0,"
        "   \"depends\": [\"python >=3.12,<3.13.0a0\", \"pytorch-mutex 1.0 cpu\"],"
        "   \"timestamp\": 1718000000000},"
        " \"pytorch-2.3.0-py3.12_cpu_9.tar.bz2\": {\"name\": \"pytorch\","
        "   \"version\": \"2.3.0\", \"build\": \"py3.12_cpu_9\", \"build_number\": 9,"
        "   \"depends\": [\"python >=3.12,<3.13.0a0\", \"pytorch-mutex 1.0 cpu\"],"
        "   \"timestamp\": 1719000000000},"
        " \"torchvision-0.18.1-py312_cpu.tar.bz2\": {\"name\": \"torchvision\","
        "   \"version\": \"0.18.1\", \"build\": \"py312_cpu\", \"build_number\": 0,"
        "   \"depends\": [\"python >=3.12,<3.13.0a0\", \"pytorch 2.3.1\", \"pytorch-mutex 1.0 cpu\"],"
        "   \"timestamp\": 1717000000000},"
        " \"torchvision-0.18.1-py312_cpu_1.tar.bz2\": {\"name\": \"torchvision\","
        "   \"version\": \"0.18.1\", \"build\": \"py312_cpu_1\", \"build_number\": 1,"
        "   \"depends\": [\"python >=3.12,<3.13.0a0\", \"pytorch ==2.3.1\", \"pytorch-mutex 1.0 cpu\"],"
        "   \"timestamp\": 1715000000000}"
        "}}";
    struct repodata_index idx;
    assert_int_equal(repodata_parse(json, strlen(json), NULL, &idx, NULL), 0);
    assert_int_equal(idx.n, 7);
    static const struct sel_case tb[] = {
        { "build_number beats timestamp", NULL, "linux-64", "3.12", CUDA("12.1"), "pytorch",
          "pytorch=2.3.1=py3.12_cuda12.1_cudnn8.9.2_1 pytorch-cuda=12.1", NULL },
        { "same build_number: newer timestamp", NULL, "linux-64", "3.12", CPU,
          "pytorch torchvision",
          "pytorch=2.3.1=py3.12_cpu_0b torchvision=0.18.1=py312_cpu_1 cpuonly", NULL },
        { "version beats build_number", NULL, "linux-64", "3.12", CPU, "pytorch>=2.3",
          "pytorch=2.3.1=py3.12_cpu_0b cpuonly", NULL },
        { "user's build_number constraint", NULL, "linux-64", "3.12", UNKNOWN,
          "pytorch[build_number=0]",
          "pytorch=2.3.1=py3.12_cuda12.1_cudnn8.9.2_0 pytorch-cuda=12.1", NULL },
    };
    for (size_t i = 0; i < N_ELEMS(tb); i++) {
        struct sel_case c = tb[i];
        c.idx = &idx;
        struct condaselect_result res;
        int ok;
        char *got = run(&c, &ok, &res);
        if (!ok || strcmp(got, c.want) != 0)
            fail_msg("%s:\n  got  %s\n  want %s", c.what, got, c.want);
        free(got);
        condaselect_result_free(&res);
    }
    repodata_index_free(&idx);
}

/* Same answers from the warm-cache form of the index. */
static void test_from_compact_index(void **state)
{
    (void)state;
    char *blob;
    size_t len;
    struct repodata_index back;
    assert_int_equal(repodata_index_serialize(&win64, &blob, &len), 0);
    assert_int_equal(repodata_index_deserialize(blob, len, &back), 0);
    free(blob);
    struct sel_case c = { "compact", &back, "win-64", "3.12", UNKNOWN,
                          "pytorch torchvision torchaudio pytorch-cuda=12.1",
                          "pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0 torchvision=0.18.1=py312_cu121 "
                          "torchaudio=2.3.1=py312_cu121 pytorch-cuda=12.1", NULL };
    struct condaselect_result res;
    int ok;
    char *got = run(&c, &ok, &res);
    assert_true(ok);
    assert_string_equal(got, c.want);
    free(got);
    condaselect_result_free(&res);
    repodata_index_free(&back);
}

/* A mirror's hostile data (issue 11 #6, #7): a depends entry whose regex
 * made glibc's regcomp run for minutes, and a build string carrying
 * options and a newline. Selection stays fast and never emits the build. */
#define EVIL_DEP "libevil 1.0 ^p+++++++++++++++++++++++++++++++++++++++++++y*$"
#define EVIL_BUILD "py3.12_cpu_0 -c http://evil.example --override-channels\\n--yes"

static void test_hostile_repodata(void **state)
{
    (void)state;
    static const char json[] =
        "{\"info\": {\"subdir\": \"linux-64\"}, \"packages\": {"
        "\"pytorch-2.5.1-py3.12_cpu_0.tar.bz2\": {\"name\": \"pytorch\", \"version\": \"2.5.1\","
        " \"build\": \"py3.12_cpu_0\", \"build_number\": 0, \"depends\": [\"python >=3.12,<3.13.0a0\","
        " \"pytorch-mutex 1.0 cpu\", \"" EVIL_DEP "\", \"" EVIL_DEP "\"]},"
        "\"pytorch-2.6.0-evil.tar.bz2\": {\"name\": \"pytorch\", \"version\": \"2.6.0\","
        " \"build\": \"" EVIL_BUILD "\", \"build_number\": 9, \"depends\": [\"pytorch-mutex 1.0 cpu\"]},"
        "\"pytorch-2.7.0-x.tar.bz2\": {\"name\": \"pytorch\", \"version\": \"2.7.0 --yes\","
        " \"build\": \"py3.12_cpu_0\", \"build_number\": 0, \"depends\": [\"pytorch-mutex 1.0 cpu\"]},"
        "\"torchvision-0.20.1-py312_cpu.tar.bz2\": {\"name\": \"torchvision\", \"version\": \"0.20.1\","
        " \"build\": \"py312_cpu\", \"build_number\": 0, \"depends\": [\"pytorch 2.5.1\","
        " \"" EVIL_DEP "\", \"python >=3.12,<3.13.0a0\", \"pytorch-mutex 1.0 cpu\"]}"
        "}}";
    struct repodata_index idx;
    char *err = NULL;
    alarm(20);  /* before the fix this ran for minutes: fail rather than hang */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(repodata_parse(json, strlen(json), NULL, &idx, &err), 0);
    assert_int_equal(idx.n, 2);        /* the two hostile records are skipped */
    assert_int_equal(idx.skipped, 2);
    struct sel_case c = { "hostile", &idx, "linux-64", "3.12", CPU, "pytorch torchvision",
                          "pytorch=2.5.1=py3.12_cpu_0 torchvision=0.20.1=py312_cpu cpuonly",
                          NULL };
    struct condaselect_result res;
    int ok;
    char *got = run(&c, &ok, &res);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    if (!ok)
        fail_msg("%s", got);
    assert_string_equal(got, c.want);
    assert_true((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 < 2.0);
    free(got);
    condaselect_result_free(&res);
    repodata_index_free(&idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_result_fields),
        cmocka_unit_test(test_tie_breaks),
        cmocka_unit_test(test_from_compact_index),
        cmocka_unit_test(test_hostile_repodata),
    };
    return cmocka_run_group_tests_name("condaselect", tests, setup, teardown);
}
