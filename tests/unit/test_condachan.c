/* test_condachan.c — the channels a conda command reads (condachan) and
 * what an environment has installed (condameta), on real files in a temp
 * HOME: ~/.condarc, custom_channels, channel_alias, --override-channels,
 * conda-meta records (good, foreign, damaged). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "condachan.h"
#include "condacmd.h"
#include "condameta.h"
#include "msg.h"

static char *tmp;

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    char t[] = "/tmp/torchshim-chan-XXXXXX";
    if (!mkdtemp(t))
        return -1;
    tmp = xstrdup(t);
    char *home = xasprintf("%s/home", tmp);
    mkdir(home, 0700);
    setenv("HOME", home, 1);
    free(home);
    static const char *const unset[] = { "CONDARC", "MAMBARC", "CONDA_PREFIX", "CONDA_ROOT",
                                         "MAMBA_ROOT_PREFIX", "XDG_CONFIG_HOME", "CONDA_EXE",
                                         "MAMBA_EXE", "CONDA_CHANNELS" };
    for (size_t i = 0; i < sizeof unset / sizeof unset[0]; i++)
        unsetenv(unset[i]);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(tmp, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    free(tmp);
    return 0;
}

static void load(struct conda_chans *c, const char *cmd, const char *rc)
{
    char *path = xasprintf("%s/.condarc", getenv("HOME"));
    if (rc)
        spit(path, rc);
    else
        unlink(path);
    free(path);
    struct strv argv = STRV_INIT;
    char *dup = xstrdup(cmd), *save = NULL;
    for (char *w = strtok_r(dup, " ", &save); w; w = strtok_r(NULL, " ", &save))
        strv_push(&argv, w);
    free(dup);
    struct cmdline cl;
    char *err = NULL;
    assert_int_equal(condacmd_parse((int)argv.n, argv.v, &cl, &err), 0);
    int ovr = strstr(cmd, "--override-channels") != NULL;
    conda_chans_load(c, &cl, CONDA_CHANNEL, ovr, "/nonexistent/bin/conda", NULL);
    cmdline_free(&cl);
    strv_clear(&argv);
}

static void test_channels(void **state)
{
    (void)state;
    struct conda_chans c;
    /* the command's -c first, then the configuration's, each resolved */
    load(&c, "install pytorch -c pytorch", "channels:\n  - conda-forge\n  - defaults\n");
    assert_int_equal(c.ncmd, 1);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.v[0].name, "pytorch");
    assert_null(c.v[0].source);
    assert_string_equal(c.v[1].name, "conda-forge");
    assert_string_equal(c.v[1].url, "https://conda.anaconda.org/conda-forge");
    assert_non_null(strstr(c.v[1].source, ".condarc"));
    assert_string_equal(c.v[2].name, "defaults");
    conda_chans_free(&c);
    /* --override-channels: the configuration's channels are not read */
    load(&c, "install pytorch -c pytorch --override-channels", "channels: [conda-forge]\n");
    assert_int_equal(c.n, 1);
    conda_chans_free(&c);
    /* conda's built-in [defaults] is not the user's choice */
    load(&c, "install pytorch", NULL);
    assert_int_equal(c.n, 0);
    conda_chans_free(&c);
    /* custom_channels / channel_alias sending a name to the user's own server */
    load(&c, "install pytorch -c pytorch -c conda-forge",
         "custom_channels:\n  pytorch: https://corp.example/conda\n"
         "channel_alias: https://alias.example/c\n");
    assert_string_equal(c.v[0].url, "https://corp.example/conda/pytorch");
    assert_string_equal(c.v[0].name, "");
    assert_string_equal(c.v[1].url, "https://alias.example/c/conda-forge");
    assert_string_equal(c.v[1].name, "");
    conda_chans_free(&c);
    /* custom_channels pointing at the official host: still official */
    load(&c, "install pytorch -c pytorch",
         "custom_channels:\n  pytorch: https://conda.anaconda.org\n");
    assert_string_equal(c.v[0].name, "pytorch");
    conda_chans_free(&c);
    /* defaults on a mirror already: not ours */
    load(&c, "install pytorch -c defaults",
         "default_channels:\n  - https://mirror.example/pkgs/main\n");
    assert_string_equal(c.v[0].name, "");
    assert_int_equal(c.override_enabled, 1);
    conda_chans_free(&c);
    load(&c, "install pytorch", "channels: [pytorch]\noverride_channels_enabled: false\n");
    assert_int_equal(c.override_enabled, 0);
    conda_chans_free(&c);
}

static void test_condameta(void **state)
{
    (void)state;
    char *env = xasprintf("%s/env", tmp), *meta = xasprintf("%s/conda-meta", env);
    struct condameta_pkg p;
    assert_int_equal(condameta_find(env, "pytorch", &p), -1);     /* no conda-meta */
    mkdir(env, 0755);
    mkdir(meta, 0755);
    char *f1 = xasprintf("%s/pytorch-cuda-12.1-ha16c6d3_6.json", meta);
    spit(f1, "{\"name\": \"pytorch-cuda\", \"version\": \"12.1\", \"build\": \"ha16c6d3_6\"}");
    assert_int_equal(condameta_find(env, "pytorch", &p), -1);     /* another package */
    char *f2 = xasprintf("%s/pytorch-2.3.1-bad.json", meta);
    spit(f2, "{\"name\": \"pytorch\", \"version\": \"2.3.1\", \"build\": \"x --yes\"}");
    assert_int_equal(condameta_find(env, "pytorch", &p), -1);     /* unfit for argv */
    spit(f2, "{not json");
    assert_int_equal(condameta_find(env, "pytorch", &p), -1);
    char *f3 = xasprintf("%s/pytorch-2.3.1-py3.12_cuda12.1_cudnn8.9.2_0.json", meta);
    spit(f3, "{\"name\": \"pytorch\", \"version\": \"2.3.1\", "
             "\"build\": \"py3.12_cuda12.1_cudnn8.9.2_0\", \"depends\": []}");
    assert_int_equal(condameta_find(env, "pytorch", &p), 0);
    assert_string_equal(p.version, "2.3.1");
    assert_string_equal(p.build, "py3.12_cuda12.1_cudnn8.9.2_0");
    condameta_pkg_free(&p);
    free(f1);
    free(f2);
    free(f3);
    free(meta);
    free(env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_condameta),
    };
    return cmocka_run_group_tests_name("condachan", tests, setup, teardown);
}
