/* test_rewrite_conda.c — conda/mamba/micromamba command lines in, mirrored
 * command lines out (no resolution: channels only). Real commands from the
 * seeds and pytorch.org. Shipped defaults: conda from tuna, nvidia upstream. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "rewrite_conda.h"
#include "testutil.h"

#define TUNA "https://mirrors.tuna.tsinghua.edu.cn/anaconda"
#define SUST "https://mirrors.sustech.edu.cn/anaconda-extra/cloud/nvidia"

struct ccase {
    const char *user_ini;  /* extra user config, or NULL */
    const char *in;
    int pytorch;
    const char *out;       /* NULL: unchanged */
};

static const struct ccase cases[] = {
    /* seed 002 / 003: the official command */
    { NULL, "install pytorch torchvision torchaudio pytorch-cuda=12.1 -c pytorch -c nvidia", 1,
      "install pytorch torchvision torchaudio pytorch-cuda=12.1 -c " TUNA "/cloud/pytorch -c nvidia" },
    /* seed 001: old cudatoolkit style */
    { NULL, "install pytorch==1.10.1 torchvision==0.11.2 torchaudio==0.10.1 cudatoolkit=10.2 -c pytorch",
      1, "install pytorch==1.10.1 torchvision==0.11.2 torchaudio==0.10.1 cudatoolkit=10.2 -c " TUNA
         "/cloud/pytorch" },
    /* seed 004: cpuonly */
    { NULL, "install pytorch torchvision torchaudio cpuonly -c pytorch", 1,
      "install pytorch torchvision torchaudio cpuonly -c " TUNA "/cloud/pytorch" },
    /* seed 002: the user already typed a mirror URL: left alone */
    { NULL, "install pytorch=2.3.1=py3.12_cuda12.1_cudnn8_0 torchvision=0.18.1=py312_cu121 "
            "torchaudio=2.3.1=py312_cu121 pytorch-cuda=12.1 -c " TUNA "/cloud/pytorch/win-64 -c nvidia",
      1, NULL },
    /* URL forms of the official channel, --channel, --channel= */
    { NULL, "install pytorch -c https://conda.anaconda.org/pytorch/", 1,
      "install pytorch -c " TUNA "/cloud/pytorch" },
    { NULL, "install --channel pytorch pytorch", 1, "install -c " TUNA "/cloud/pytorch pytorch" },
    { NULL, "install --channel=pytorch pytorch", 1, "install -c " TUNA "/cloud/pytorch pytorch" },
    /* channel::package */
    { NULL, "install pytorch::pytorch pytorch::torchvision", 1,
      "install " TUNA "/cloud/pytorch::pytorch " TUNA "/cloud/pytorch::torchvision" },
    /* conda-forge is served by tuna; defaults becomes its URLs */
    { NULL, "create -n torch python=3.10 pytorch -c pytorch -c conda-forge", 1,
      "create -n torch python=3.10 pytorch -c " TUNA "/cloud/pytorch -c " TUNA "/cloud/conda-forge" },
    { NULL, "install pytorch -c pytorch -c defaults --override-channels", 1,
      "install pytorch -c " TUNA "/cloud/pytorch -c " TUNA "/pkgs/main -c " TUNA
      "/pkgs/r --override-channels" },
    /* a label path is kept */
    { NULL, "install pytorch -c pytorch/label/nightly", 1,
      "install pytorch -c " TUNA "/cloud/pytorch/label/nightly" },
    /* other install forms: create, update, mamba/micromamba options */
    { NULL, "create -y -p /opt/envs/t pytorch torchvision -c pytorch", 1,
      "create -y -p /opt/envs/t pytorch torchvision -c " TUNA "/cloud/pytorch" },
    { NULL, "update pytorch -c pytorch", 1, "update pytorch -c " TUNA "/cloud/pytorch" },
    { NULL, "-r /opt/mm install -y pytorch -c pytorch", 1,
      "-r /opt/mm install -y pytorch -c " TUNA "/cloud/pytorch" },
    { NULL, "install \"pytorch>=2.1,<2.4\" pytorch[version='>=2.1'] -c pytorch", 1,
      "install \"pytorch>=2.1,<2.4\" pytorch[version='>=2.1'] -c " TUNA "/cloud/pytorch" },
    /* nvidia to its own role */
    { "[use]\nnvidia = sustech\n", "install pytorch-cuda=12.1 -c pytorch -c nvidia", 1,
      "install pytorch-cuda=12.1 -c " TUNA "/cloud/pytorch -c " SUST },
    /* official: nothing changes */
    { "[use]\nconda = official\n", "install pytorch -c pytorch", 1, NULL },
    /* not PyTorch installs */
    { NULL, "create -n pytorch python=3.8", 0, NULL },
    { NULL, "install numpy -c conda-forge", 0, NULL },
    { NULL, "search pytorch=2.3.1 -c pytorch", 0, NULL },
    { NULL, "activate pytorch", 0, NULL },
    { NULL, "env create -f environment.yml", 0, NULL },
    { NULL, "config --add channels https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main/", 0, NULL },
};

static void run_case(const struct ccase *c)
{
    test_env_reset(test_home);
    char ini[4200];
    if (c->user_ini) {
        snprintf(ini, sizeof ini, "%s/user.ini", test_home);
        FILE *f = fopen(ini, "w");
        fputs(c->user_ini, f);
        fclose(f);
        setenv("TORCHSHIM_CONFIG", ini, 1);
    }
    struct config cfg;
    char *err = NULL;
    if (config_load(&cfg, &err))
        fail_msg("config: %s", err);
    struct strv in = STRV_INIT, out = STRV_INIT;
    split_cmd(c->in, &in);
    struct conda_job job;
    if (conda_job_init(&job, &cfg, (int)in.n, in.v, &err))
        fail_msg("%s: %s", c->in, err);
    assert_int_equal(conda_job_is_pytorch(&job), c->pytorch);
    if (c->pytorch) {
        conda_job_rewrite_channels(&job);
        conda_job_emit(&job, "/opt/conda/bin/conda", &out);
        char *got = join_cmd(&out, 1);
        const char *want = c->out ? c->out : c->in;
        if (strcmp(got, want))
            fail_msg("\n  in:   %s\n  want: %s\n  got:  %s", c->in, want, got);
        free(got);
    }
    conda_job_free(&job);
    strv_clear(&in);
    strv_clear(&out);
    config_free(&cfg);
}

static void test_case(void **state)
{
    run_case(*state);
}

/* The job records what resolution needs: env, prefix, subdir, channels. */
static void test_job_fields(void **state)
{
    (void)state;
    test_env_reset(test_home);
    struct config cfg;
    char *err = NULL;
    assert_int_equal(config_load(&cfg, &err), 0);
    struct strv in = STRV_INIT;
    split_cmd("install -n t --subdir win-64 pytorch=2.3.1 python=3.12 -c pytorch -c nvidia", &in);
    struct conda_job job;
    assert_int_equal(conda_job_init(&job, &cfg, (int)in.n, in.v, &err), 0);
    assert_string_equal(job.env_name, "t");
    assert_string_equal(job.subdir, "win-64");
    assert_int_equal(job.nspecs, 2);
    assert_string_equal(job.specs[0].ms.name, "pytorch");
    assert_true(job.specs[0].family);
    assert_false(job.specs[1].family);
    conda_job_rewrite_channels(&job);
    assert_int_equal(job.channels.n, 2);
    assert_string_equal(job.channels.v[0], TUNA "/cloud/pytorch");
    assert_string_equal(job.channels.v[1], "nvidia");
    conda_job_free(&job);
    strv_clear(&in);
    config_free(&cfg);
}

/* --file specs count; the file itself is left alone. */
static void test_spec_file(void **state)
{
    (void)state;
    test_env_reset(test_home);
    char path[4200];
    snprintf(path, sizeof path, "%s/specs.txt", test_home);
    FILE *f = fopen(path, "w");
    fputs("# deps\nnumpy\npytorch=2.3.1  # the framework\n\n", f);
    fclose(f);
    struct config cfg;
    char *err = NULL;
    assert_int_equal(config_load(&cfg, &err), 0);
    char cmd[4400];
    snprintf(cmd, sizeof cmd, "install --file %s -c pytorch", path);
    struct strv in = STRV_INIT;
    split_cmd(cmd, &in);
    struct conda_job job;
    assert_int_equal(conda_job_init(&job, &cfg, (int)in.n, in.v, &err), 0);
    assert_true(conda_job_is_pytorch(&job));
    assert_int_equal(job.nspecs, 2);
    assert_null(job.specs[1].item);
    conda_job_free(&job);
    strv_clear(&in);
    config_free(&cfg);
}

#define NCASES (sizeof cases / sizeof *cases)

int main(void)
{
    struct CMUnitTest tests[NCASES + 2] = {
        cmocka_unit_test(test_job_fields),
        cmocka_unit_test(test_spec_file),
    };
    static char names[NCASES][200];
    for (size_t i = 0; i < NCASES; i++) {
        snprintf(names[i], sizeof names[i], "conda %s", cases[i].in);
        tests[2 + i] = (struct CMUnitTest){ names[i], test_case, NULL, NULL, (void *)&cases[i] };
    }
    return _cmocka_run_group_tests("rewrite_conda", tests, NCASES + 2, test_home_setup, test_home_teardown);
}
