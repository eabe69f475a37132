/* test_forgeselect.c — exact conda-forge builds for a plan, on the
 * conda-forge fixture (tests/fixtures/make-conda-forge.py, built small into
 * a temp dir): linux-64 merged with noarch (cuda-version lives there). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forgeselect.h"
#include "msg.h"

static char tmpdir[] = "/tmp/torchshim-forgesel-XXXXXX";
static struct repodata_index idx;

static const char *const names[] = { "pytorch", "pytorch-gpu", "pytorch-cpu", "libtorch",
                                     "torchvision", "torchaudio", "cuda-version", "python",
                                     NULL };

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    char *cmd = xasprintf("%s tests/fixtures/make-conda-forge.py '%s' --records 2000 >/dev/null",
                          py, tmpdir);
    int r = system(cmd);
    free(cmd);
    if (r)
        return -1;
    char *lx = xasprintf("%s/conda-forge/linux-64/repodata.json.zst", tmpdir);
    char *na = xasprintf("%s/conda-forge/noarch/repodata.json.zst", tmpdir);
    struct repodata_index noarch;
    char *err = NULL;
    r = repodata_scan_file(lx, names, NULL, &idx, &err) ||
        repodata_scan_file(na, names, NULL, &noarch, &err);
    if (r) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    repodata_index_merge(&idx, &noarch);
    repodata_index_free(&noarch);
    free(lx);
    free(na);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    repodata_index_free(&idx);
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    int r = system(cmd);
    free(cmd);
    return r == 0 ? 0 : -1;
}

/* Select for SPECS (space-separated); the answer joined, or the error. */
static char *sel(const char *specs, const char *python, int cuda, const char *max, int *ok)
{
    struct matchspec ms[8];
    const struct matchspec *p[8];
    size_t n = 0;
    char *dup = xstrdup(specs), *save = NULL;
    for (char *w = strtok_r(dup, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        assert_int_equal(matchspec_parse(w, &ms[n], NULL), 0);
        p[n] = &ms[n];
        n++;
    }
    free(dup);
    struct forgeselect_request req = { p, n, "linux-64", python, cuda, max };
    struct condaselect_result res;
    char *err = NULL, *out;
    *ok = forgeselect_run(&idx, &req, &res, &err) == 0;
    if (*ok) {
        out = strv_join(&res.specs, " ");
        condaselect_result_free(&res);
    } else {
        out = err;
    }
    for (size_t i = 0; i < n; i++)
        matchspec_free(&ms[i]);
    return out;
}

static void assert_re_words(const char *got, const char *const *want)
{
    char *dup = xstrdup(got), *save = NULL;
    size_t i = 0;
    for (char *w = strtok_r(dup, " ", &save); w; w = strtok_r(NULL, " ", &save), i++) {
        if (!want[i])
            fail_msg("extra word '%s' in '%s'", w, got);
        if (strncmp(w, want[i], strlen(want[i])))
            fail_msg("word %zu of '%s' is not '%s...'", i, got, want[i]);
    }
    if (want[i])
        fail_msg("'%s' lacks '%s...'", got, want[i]);
    free(dup);
}

/* Driver 535 (CUDA 12.2): 2.6+ need CUDA 12.6; the newest that fits is
 * 2.5.1's cuda120 build, with cuda-version 12.2. */
static void test_cuda_bounded_by_driver(void **state)
{
    (void)state;
    int ok;
    char *got = sel("pytorch torchvision torchaudio", "3.12", 1, "12.2", &ok);
    if (!ok)
        fail_msg("%s", got);
    static const char *const want[] = { "pytorch=2.5.1=cuda120_mkl_py312_", "torchvision=",
                                        "torchaudio=", "pytorch-gpu=2.5.1=cuda120_mkl_",
                                        "cuda-version=12.2", NULL };
    assert_re_words(got, want);
    assert_non_null(strstr(got, "torchvision=0.20.1=cuda120_py312_"));
    free(got);
    /* a newer driver: the newest CUDA build of the newest release */
    got = sel("pytorch", "3.12", 1, "13.0", &ok);
    assert_true(ok);
    assert_non_null(strstr(got, "pytorch=2.12.0=cuda130_mkl_py312_"));
    assert_non_null(strstr(got, "cuda-version=13.0"));
    free(got);
}

static void test_cpu_and_versions(void **state)
{
    (void)state;
    int ok;
    char *got = sel("pytorch==2.7.1 torchvision", "3.11", 0, NULL, &ok);
    if (!ok)
        fail_msg("%s", got);
    static const char *const want[] = { "pytorch=2.7.1=cpu_mkl_py311_", "torchvision=0.22.1=cpu_py311_",
                                        "pytorch-cpu=2.7.1=cpu_mkl_", NULL };
    assert_re_words(got, want);
    free(got);
    /* Python unknown: builds pinned without their Python part */
    got = sel("pytorch==2.7.1", NULL, 0, NULL, &ok);
    assert_true(ok);
    assert_non_null(strstr(got, "pytorch=2.7.1=cpu_mkl*"));
    free(got);
}

static void test_refusals(void **state)
{
    (void)state;
    int ok;
    char *got = sel("pytorch==2.13", "3.12", 1, "12.6", &ok);
    assert_false(ok);
    assert_non_null(strstr(got, "no pytorch matching 'pytorch==2.13' on conda-forge"));
    assert_non_null(strstr(got, "stopped at 2.5.1"));
    free(got);
    got = sel("pytorch==2.9.1", "3.12", 1, "12.2", &ok);
    assert_false(ok);
    assert_non_null(strstr(got, "CUDA 12.6"));
    assert_non_null(strstr(got, "up to 12.2"));
    free(got);
    got = sel("pytorch==2.1.0", "3.14", 0, NULL, &ok);
    assert_false(ok);
    assert_non_null(strstr(got, "no build for Python 3.14"));
    free(got);
    got = sel("pytorch-gpu", "3.12", 0, NULL, &ok);
    assert_false(ok);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cuda_bounded_by_driver),
        cmocka_unit_test(test_cpu_and_versions),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests_name("forgeselect", tests, setup, teardown);
}
