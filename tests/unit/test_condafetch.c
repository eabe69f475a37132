/* test_condafetch.c — the conda side of prefetch without the network: which
 * commands qualify, the package caches as conda / micromamba compute them
 * (configuration, CONDA_PKGS_DIRS, root prefix, home), the first writable
 * one (created as conda creates it), urls.txt, extracted packages, and the
 * records a selection pins exactly (with their digests from repodata).
 * The download itself: tests/e2e/61-conda-prefetch.bats. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "condafetch.h"
#include "condaselect.h"
#include "config.h"
#include "fileio.h"
#include "matchspec.h"
#include "msg.h"
#include "repodata.h"
#include "testutil.h"

#define LINUX64 "tests/fixtures/reference/rattler_pytorch_linux-64_repodata.json"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path)
{
    char *text = NULL, *err = NULL;
    size_t len;
    if (file_read(path, 1 << 20, &text, &len, &err) < 0)
        fail_msg("%s", err);
    return text;
}

static void env_reset(void)
{
    static const char *const vars[] = { "CONDA_PKGS_DIRS", "CONDA_ROOT", "MAMBA_ROOT_PREFIX",
                                        "CONDARC", "MAMBARC", "CONDA_PREFIX", "CONDA_EXE",
                                        "MAMBA_EXE", "CONDA_QUIET", "TORCHSHIM_DRY_RUN", NULL };
    test_env_reset(test_home);
    for (const char *const *v = vars; *v; v++)
        unsetenv(*v);
}

/* A job for the command line CMD (words split on spaces). */
static void job_of(struct conda_job *job, struct config *cfg, const char *cmd, const char *real)
{
    struct strv in = STRV_INIT;
    char *err = NULL;
    if (config_load(cfg, &err))
        fail_msg("config: %s", err);
    split_cmd(cmd, &in);
    if (conda_job_init(job, cfg, (int)in.n, in.v, &err))
        fail_msg("%s: %s", cmd, err);
    if (real)
        conda_job_read_channels(job, real);
    strv_clear(&in);
}

static void job_done(struct conda_job *job, struct config *cfg)
{
    conda_job_free(job);
    config_free(cfg);
}

static void test_applies_and_quiet(void **state)
{
    (void)state;
    static const struct { const char *cmd; int applies, quiet; } cases[] = {
        { "install pytorch -c pytorch", 1, 0 },
        { "create -n t pytorch -c pytorch", 1, 0 },
        { "update pytorch -c pytorch", 1, 0 },
        { "install --download-only pytorch -c pytorch", 1, 0 },
        { "install -q pytorch -c pytorch", 1, 1 },
        { "install --json pytorch -c pytorch", 1, 1 },
        { "install --dry-run pytorch -c pytorch", 0, 0 },
        { "install -d pytorch -c pytorch", 0, 0 },
        { "install --offline pytorch -c pytorch", 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        env_reset();
        struct config cfg;
        struct conda_job job;
        const char *why = NULL;
        job_of(&job, &cfg, cases[i].cmd, NULL);
        if (condafetch_applies(&job, &why) != cases[i].applies)
            fail_msg("%s: applies %d (%s)", cases[i].cmd, !cases[i].applies, why ? why : "");
        assert_true(cases[i].applies ? why == NULL : why != NULL);
        assert_int_equal(condafetch_quiet(&job), cases[i].quiet);
        job_done(&job, &cfg);
    }
    env_reset();
    struct config cfg;
    struct conda_job job;
    const char *why = NULL;
    job_of(&job, &cfg, "install pytorch -c pytorch", NULL);
    setenv("TORCHSHIM_DRY_RUN", "1", 1);
    assert_int_equal(condafetch_applies(&job, &why), 0);
    assert_string_equal(why, "TORCHSHIM_DRY_RUN");
    unsetenv("TORCHSHIM_DRY_RUN");
    setenv("CONDA_QUIET", "true", 1);
    assert_int_equal(condafetch_quiet(&job), 1);
    setenv("CONDA_QUIET", "false", 1);
    assert_int_equal(condafetch_quiet(&job), 0);
    unsetenv("CONDA_QUIET");
    job_done(&job, &cfg);
}

static void expect_dirs(const struct strv *got, const char *const *want)
{
    size_t n = 0;
    for (; want[n]; n++) {
        if (n >= got->n)
            fail_msg("missing %s", want[n]);
        assert_string_equal(got->v[n], want[n]);
    }
    assert_int_equal(got->n, n);
}

static void test_default_dirs(void **state)
{
    (void)state;
    struct strv d = STRV_INIT;
    condafetch_default_dirs(NULL, CONDARC_CONDA, "/opt/conda", "/home/u", &d);
    expect_dirs(&d, (const char *[]){ "/opt/conda/pkgs", "/home/u/.conda/pkgs", NULL });
    strv_clear(&d);
    condafetch_default_dirs(NULL, CONDARC_MAMBA, "/home/u/micromamba", "/home/u", &d);
    expect_dirs(&d, (const char *[]){ "/home/u/micromamba/pkgs", "/home/u/.mamba/pkgs", NULL });
    strv_clear(&d);
    condafetch_default_dirs(NULL, CONDARC_CONDA, NULL, NULL, &d);
    assert_int_equal(d.n, 0);
    strv_clear(&d);
}

/* pkgs_dirs from the user's .condarc, CONDA_PKGS_DIRS first; without any,
 * the root prefix's (CONDA_ROOT; MAMBA_ROOT_PREFIX for micromamba) and the
 * home's. */
static void test_pkgs_dirs_of_job(void **state)
{
    (void)state;
    char rc[4200], yaml[4200];
    env_reset();
    struct config cfg;
    struct conda_job job;
    struct strv d = STRV_INIT;
    setenv("CONDA_ROOT", "/opt/mini", 1);
    job_of(&job, &cfg, "install pytorch -c pytorch", "/nonexistent/bin/conda");
    condafetch_pkgs_dirs(&job, "/nonexistent/bin/conda", &d);
    char *home_pkgs = xasprintf("%s/.conda/pkgs", test_home);
    expect_dirs(&d, (const char *[]){ "/opt/mini/pkgs", home_pkgs, NULL });
    free(home_pkgs);
    strv_clear(&d);
    job_done(&job, &cfg);

    snprintf(rc, sizeof rc, "%s/.condarc", test_home);
    snprintf(yaml, sizeof yaml, "pkgs_dirs:\n  - %s/rc-pkgs\n  - /shared/pkgs\n", test_home);
    write_file(rc, yaml);
    setenv("CONDA_PKGS_DIRS", "/env/a,/shared/pkgs", 1);
    job_of(&job, &cfg, "install pytorch -c pytorch", "/nonexistent/bin/conda");
    condafetch_pkgs_dirs(&job, "/nonexistent/bin/conda", &d);
    char *rc_pkgs = xasprintf("%s/rc-pkgs", test_home);
    expect_dirs(&d, (const char *[]){ "/env/a", "/shared/pkgs", rc_pkgs, NULL });
    free(rc_pkgs);
    strv_clear(&d);
    job_done(&job, &cfg);
    unlink(rc);

    env_reset();
    setenv("MAMBA_ROOT_PREFIX", "/opt/mm", 1);
    job_of(&job, &cfg, "install -y pytorch -c pytorch", "/nonexistent/bin/micromamba");
    condafetch_pkgs_dirs(&job, "/nonexistent/bin/micromamba", &d);
    char *mamba_pkgs = xasprintf("%s/.mamba/pkgs", test_home);
    expect_dirs(&d, (const char *[]){ "/opt/mm/pkgs", mamba_pkgs, NULL });
    free(mamba_pkgs);
    strv_clear(&d);
    job_done(&job, &cfg);
}

static void test_first_writable(void **state)
{
    (void)state;
    char base[4200], *err = NULL;
    snprintf(base, sizeof base, "%s/fw", test_home);
    assert_int_equal(mkdir_p(base, 0755, &err), 0);
    struct strv d = STRV_INIT;
    char *file = xasprintf("%s/afile", base);
    write_file(file, "x");
    strv_pushf(&d, "%s/pkgs", file);               /* cannot be created */
    strv_pushf(&d, "%s/odd", base);                /* its urls.txt is a directory */
    char *odd = xasprintf("%s/odd/urls.txt", base);
    assert_int_equal(mkdir_p(odd, 0755, &err), 0);
    strv_pushf(&d, "%s/new/pkgs", base);           /* missing: created */
    strv_pushf(&d, "%s/later", base);
    char *got = condafetch_first_writable(&d, &err);
    assert_non_null(got);
    assert_string_equal(got, d.v[2]);
    char *magic = xasprintf("%s/urls.txt", got), *urls = xasprintf("%s/urls", got);
    struct stat st;
    assert_int_equal(stat(magic, &st), 0);
    assert_int_equal(st.st_size, 0);
    assert_int_equal(stat(urls, &st), 0);
    free(got);
    /* an existing cache (urls.txt a writable file) is taken as it is */
    got = condafetch_first_writable(&d, &err);
    assert_string_equal(got, d.v[2]);
    free(got);
    /* none: each reason said */
    strv_remove(&d, 3);
    strv_remove(&d, 2);
    assert_null(condafetch_first_writable(&d, &err));
    assert_non_null(strstr(err, "no writable package cache"));
    assert_non_null(strstr(err, "afile/pkgs"));
    assert_non_null(strstr(err, "urls.txt is not writable"));
    free(err);
    err = NULL;
    strv_clear(&d);
    assert_null(condafetch_first_writable(&d, &err));
    assert_non_null(strstr(err, "pkgs_dirs is empty"));
    free(err);
    free(magic);
    free(urls);
    free(odd);
    free(file);
}

static void test_urls_add(void **state)
{
    (void)state;
    char dir[4200], path[4300], *err = NULL;
    snprintf(dir, sizeof dir, "%s/urls", test_home);
    assert_int_equal(mkdir_p(dir, 0755, &err), 0);
    snprintf(path, sizeof path, "%s/urls.txt", dir);
    /* conda's own lines, the last without a newline, one with CRLF */
    write_file(path, "https://x/pytorch/linux-64/a-1-0.tar.bz2\r\nhttps://x/b-1-0.tar.bz2");
    assert_int_equal(condafetch_urls_add(dir, "http://m/pytorch/linux-64/p-2-0.tar.bz2", &err), 0);
    assert_int_equal(condafetch_urls_add(dir, "http://m/pytorch/linux-64/p-2-0.tar.bz2", &err), 0);
    assert_int_equal(condafetch_urls_add(dir, "https://x/pytorch/linux-64/a-1-0.tar.bz2", &err),
                     0);
    char *text = read_text(path);
    assert_string_equal(text, "https://x/pytorch/linux-64/a-1-0.tar.bz2\r\n"
                              "https://x/b-1-0.tar.bz2\n"
                              "http://m/pytorch/linux-64/p-2-0.tar.bz2\n");
    free(text);
    /* a missing urls.txt is created */
    unlink(path);
    assert_int_equal(condafetch_urls_add(dir, "http://m/q-1-0.conda", &err), 0);
    text = read_text(path);
    assert_string_equal(text, "http://m/q-1-0.conda\n");
    free(text);
    assert_int_equal(condafetch_urls_add("/nonexistent/dir", "http://m/q", &err), -1);
    assert_non_null(err);
    free(err);
}

static void test_extracted(void **state)
{
    (void)state;
    char dir[4200], *err = NULL;
    snprintf(dir, sizeof dir, "%s/ex", test_home);
    char *info = xasprintf("%s/pytorch-2.3.1-py3.11_cpu_0/info", dir);
    assert_int_equal(mkdir_p(info, 0755, &err), 0);
    char *rec = xasprintf("%s/repodata_record.json", info);
    write_file(rec, "{\"name\": \"pytorch\", \"md5\": \"0123456789ABCDEF0123456789abcdef\", "
                    "\"url\": \"http://m/pytorch/linux-64/pytorch-2.3.1-py3.11_cpu_0.tar.bz2\"}");
    struct conda_pkgfile f = { .fn = "pytorch-2.3.1-py3.11_cpu_0.tar.bz2",
                               .url = "http://m/pytorch/linux-64/"
                                      "pytorch-2.3.1-py3.11_cpu_0.tar.bz2",
                               .md5 = "0123456789abcdef0123456789abcdef" };
    assert_int_equal(condafetch_extracted(dir, &f), 1);
    /* extracted from another channel: the tool's record would not match */
    f.url = "https://conda.anaconda.org/pytorch/linux-64/pytorch-2.3.1-py3.11_cpu_0.tar.bz2";
    assert_int_equal(condafetch_extracted(dir, &f), 0);
    f.url = "http://m/pytorch/linux-64/pytorch-2.3.1-py3.11_cpu_0.tar.bz2";
    f.fn = "pytorch-2.3.1-py3.11_cpu_0.conda";
    assert_int_equal(condafetch_extracted(dir, &f), 1);
    f.md5 = "ffffffffffffffffffffffffffffffff";
    assert_int_equal(condafetch_extracted(dir, &f), 0);
    f.md5 = NULL;
    f.sha256 = "ab";
    assert_int_equal(condafetch_extracted(dir, &f), 0);
    f.fn = "pytorch-2.3.1-py3.11_cpu_0.zip";
    assert_int_equal(condafetch_extracted(dir, &f), 0);
    write_file(rec, "not json");
    f.fn = "pytorch-2.3.1-py3.11_cpu_0.tar.bz2";
    f.md5 = "0123456789abcdef0123456789abcdef";
    assert_int_equal(condafetch_extracted(dir, &f), 0);
    free(rec);
    free(info);
}

/* The selection's pinned records carry repodata's digests; with Python
 * unknown the pytorch pin is a glob, so its record is not pinned. */
static void select_one(const struct repodata_index *idx, const char *python,
                       struct condaselect_result *res)
{
    struct matchspec ms[3];
    const char *texts[] = { "pytorch=2.1.0", "torchvision", "pytorch-cuda=11.8" };
    const struct matchspec *specs[3];
    char *err = NULL;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(matchspec_parse(texts[i], &ms[i], &err), 0);
        specs[i] = &ms[i];
    }
    struct condaselect_request req = { .specs = specs, .n_specs = 3, .subdir = "linux-64",
                                       .python = python, .add_nothing = 1 };
    if (condaselect_run(idx, &req, res, &err))
        fail_msg("%s", err);
    for (int i = 0; i < 3; i++)
        matchspec_free(&ms[i]);
}

static void test_pinned_records(void **state)
{
    (void)state;
    struct repodata_index idx;
    char *err = NULL;
    if (repodata_load_file(LINUX64, NULL, &idx, &err))
        fail_msg("%s", err);
    struct condaselect_result res;
    select_one(&idx, "3.10", &res);
    assert_string_equal(res.specs.v[0], "pytorch=2.1.0=py3.10_cuda11.8_cudnn8.7.0_0");
    assert_int_equal(res.n_pinned, 2);
    assert_string_equal(res.pinned[0]->filename,
                        "pytorch-2.1.0-py3.10_cuda11.8_cudnn8.7.0_0.tar.bz2");
    assert_string_equal(res.pinned[0]->md5, "82f9fb558ba63b9e172c2ba547b9efdd");
    assert_string_equal(res.pinned[0]->sha256,
                        "4e4ab2bf16727c31d6f7127946a6f95db72e3bcc46dfcac2adda01e0b09262de");
    assert_true(res.pinned[0]->size == 1566602770.0);
    assert_string_equal(res.pinned[1]->name, "torchvision");
    assert_non_null(res.pinned[1]->md5);
    condaselect_result_free(&res);
    assert_null(res.pinned);

    select_one(&idx, NULL, &res);
    assert_string_equal(res.specs.v[0], "pytorch=2.1.0=*_cuda11.8_cudnn8.7.0_0");
    for (size_t i = 0; i < res.n_pinned; i++)
        assert_string_not_equal(res.pinned[i]->name, "pytorch");
    condaselect_result_free(&res);
    repodata_index_free(&idx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_applies_and_quiet),
        cmocka_unit_test(test_default_dirs),
        cmocka_unit_test(test_pkgs_dirs_of_job),
        cmocka_unit_test(test_first_writable),
        cmocka_unit_test(test_urls_add),
        cmocka_unit_test(test_extracted),
        cmocka_unit_test(test_pinned_records),
    };
    return cmocka_run_group_tests_name("condafetch", tests, test_home_setup, test_home_teardown);
}
