/* test_config.c — configuration files, mirror presets, URL recognition and
 * the optparse/argparse-style command-line scanner. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "config.h"
#include "msg.h"
#include "pipcmd.h"
#include "testutil.h"
#include "urlmap.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Every preset named in the issue ships, with the facts of the reference. */
static void test_presets(void **state)
{
    (void)state;
    test_env_reset(test_home);
    struct config c;
    char *err = NULL;
    assert_int_equal(config_load(&c, &err), 0);
    const char *names[] = { "official", "aliyun", "tuna", "bfsu", "nju", "sjtu", "ustc", "sustech" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (!config_site(&c, names[i]))
            fail_msg("no preset %s", names[i]);
    assert_ptr_equal(config_site(&c, "upstream"), config_site(&c, "official"));
    const struct site *a = config_site(&c, "aliyun");
    assert_string_equal(a->url[ROLE_WHEELS], "https://mirrors.aliyun.com/pytorch-wheels/{variant}");
    assert_int_equal(a->wheels_format, WHEELS_FIND_LINKS);
    assert_string_equal(a->url[ROLE_CONDA], "http://mirrors.aliyun.com/anaconda/cloud");
    assert_int_equal(config_site(&c, "nju")->wheels_format, WHEELS_SIMPLE);
    assert_null(config_site(&c, "tuna")->url[ROLE_WHEELS]);     /* TUNA has no wheels */
    assert_null(config_site(&c, "tuna")->url[ROLE_NVIDIA]);     /* ... nor nvidia */
    assert_string_equal(config_site(&c, "sustech")->url[ROLE_NVIDIA],
                        "https://mirrors.sustech.edu.cn/anaconda-extra/cloud/nvidia");
    assert_string_equal(config_site_for(&c, ROLE_WHEELS)->name, "aliyun");
    assert_string_equal(config_site_for(&c, ROLE_PYPI)->name, "tuna");
    assert_string_equal(config_site_for(&c, ROLE_CONDA)->name, "tuna");
    assert_string_equal(config_site_for(&c, ROLE_NVIDIA)->name, "official");
    assert_true(site_serves_channel(config_site(&c, "tuna"), "conda-forge"));
    assert_false(site_serves_channel(config_site(&c, "tuna"), "nvidia"));
    assert_true(config_list_has(c.pip_packages, "torchvision"));
    assert_true(config_list_has(c.pip_packages, "Torch_Vision") == 0);
    assert_true(config_list_has(c.pip_packages, "FBGEMM_GPU"));
    assert_false(config_list_has(c.pip_packages, "torchmetrics"));
    assert_true(config_list_has(c.conda_packages, "pytorch-cuda"));
    assert_int_equal(c.connect_timeout, 3);
    config_free(&c);
}

/* The user's file overrides key by key, adds sites; TORCHSHIM_MIRROR picks
 * one site for every role it serves. */
static void test_user_file_and_env(void **state)
{
    (void)state;
    test_env_reset(test_home);
    char path[4200];
    snprintf(path, sizeof path, "%s/user.ini", test_home);
    write_file(path, "; mine\n[mirror \"corp\"]\nwheels = http://mirror.corp.example/w/{variant}   ; inline\n"
                     "wheels-format = simple\npypi = http://mirror.corp.example/pypi/simple\n"
                     "[mirror \"aliyun\"]\npypi = https://example.invalid/simple\n"
                     "[use]\nwheels = corp aliyun\n[network]\ntimeout = 7\n"
                     "[packages]\npip = torch\n   mytorchext\n");
    setenv("TORCHSHIM_CONFIG", path, 1);
    struct config c;
    char *err = NULL;
    assert_int_equal(config_load(&c, &err), 0);
    assert_string_equal(config_site_for(&c, ROLE_WHEELS)->name, "corp");
    assert_string_equal(config_site(&c, "corp")->url[ROLE_WHEELS], "http://mirror.corp.example/w/{variant}");
    const struct site *sites[4];
    assert_int_equal(config_sites_for(&c, ROLE_WHEELS, sites, 4), 2);
    assert_string_equal(sites[1]->name, "aliyun");
    /* a key replaced, the others kept */
    assert_string_equal(config_site(&c, "aliyun")->url[ROLE_PYPI], "https://example.invalid/simple");
    assert_non_null(config_site(&c, "aliyun")->url[ROLE_WHEELS]);
    assert_int_equal(c.timeout, 7);
    assert_true(config_list_has(c.pip_packages, "mytorchext"));  /* continuation line */
    config_free(&c);

    setenv("TORCHSHIM_MIRROR", "nju", 1);
    assert_int_equal(config_load(&c, &err), 0);
    assert_string_equal(config_site_for(&c, ROLE_WHEELS)->name, "nju");
    assert_string_equal(config_site_for(&c, ROLE_PYPI)->name, "nju");
    assert_string_equal(config_site_for(&c, ROLE_NVIDIA)->name, "official"); /* nju has none */
    config_free(&c);
    unsetenv("TORCHSHIM_MIRROR");
}

static void test_bad_files(void **state)
{
    (void)state;
    static const struct { const char *text; const char *msg; } bad[] = {
        { "[use]\nwheels = nosuch\n", "nosuch" },
        { "[network]\ntimeout = soon\n", "timeout" },
        { "[mirror \"x\"]\nwheels-format = flat\n", "wheels-format" },
        { "[use\nwheels = aliyun\n", "syntax error" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        test_env_reset(test_home);
        char path[4200];
        snprintf(path, sizeof path, "%s/bad.ini", test_home);
        write_file(path, bad[i].text);
        setenv("TORCHSHIM_CONFIG", path, 1);
        struct config c;
        char *err = NULL;
        if (config_load(&c, &err) == 0)
            fail_msg("accepted: %s", bad[i].text);
        if (!strstr(err, bad[i].msg))
            fail_msg("%s: message %s", bad[i].text, err);
        free(err);
        config_free(&c);
    }
    /* an explicit TORCHSHIM_CONFIG that does not exist is an error; the
     * default path missing is not */
    setenv("TORCHSHIM_CONFIG", "/nonexistent/torchshim.ini", 1);
    struct config c;
    char *err = NULL;
    assert_int_equal(config_load(&c, &err), -1);
    free(err);
    config_free(&c);
    unsetenv("TORCHSHIM_CONFIG");
    setenv("XDG_CONFIG_HOME", "/nonexistent", 1);
    assert_int_equal(config_load(&c, &err), 0);
    config_free(&c);
}

static void test_user_path(void **state)
{
    (void)state;
    unsetenv("TORCHSHIM_CONFIG");
    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    char *p = config_user_path();
    assert_string_equal(p, "/x/cfg/torchshim/config.ini");
    free(p);
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", "/home/u", 1);
    p = config_user_path();
    assert_string_equal(p, "/home/u/.config/torchshim/config.ini");
    free(p);
}

static void test_urlmap(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int is;
        enum wheel_channel ch;
        const char *variant;
        int flat;
    } u[] = {
        { "https://download.pytorch.org/whl/cu118", 1, WCH_STABLE, "cu118", 0 },
        { "https://download.pytorch.org/whl/cu121/", 1, WCH_STABLE, "cu121", 0 },
        { "http://DOWNLOAD.pytorch.org/whl/CPU", 1, WCH_STABLE, "cpu", 0 },
        { "https://download.pytorch.org:443/whl/rocm6.1", 1, WCH_STABLE, "rocm6.1", 0 },
        { "https://download.pytorch.org/whl/nightly/cu124", 1, WCH_NIGHTLY, "cu124", 0 },
        { "https://download.pytorch.org/whl/test/cu126", 1, WCH_TEST, "cu126", 0 },
        { "https://download.pytorch.org/whl/torch_stable.html", 1, WCH_STABLE, "", 1 },
        { "https://download.pytorch.org/whl/cu113/torch_stable.html", 1, WCH_STABLE, "cu113", 1 },
        { "https://download.pytorch.org/whl/cu121/torch/", 1, WCH_STABLE, "cu121", 0 },
        { "https://download.pytorch.org/libtorch/cu121", 0, 0, "", 0 },
        { "https://mirrors.aliyun.com/pytorch-wheels/cu118", 0, 0, "", 0 },
        { "https://download.pytorch.org.evil.example/whl/cu118", 0, 0, "", 0 },
    };
    for (size_t i = 0; i < sizeof u / sizeof *u; i++) {
        struct pytorch_index pi;
        int is = urlmap_pytorch_index(u[i].url, &pi);
        if (is != u[i].is)
            fail_msg("%s: %d", u[i].url, is);
        if (is) {
            assert_int_equal(pi.channel, u[i].ch);
            assert_string_equal(pi.variant, u[i].variant);
            assert_int_equal(pi.flat_page, u[i].flat);
        }
    }
    assert_true(urlmap_is_official_pypi("https://pypi.org/simple"));
    assert_true(urlmap_is_official_pypi("https://pypi.org/simple/"));
    assert_true(urlmap_is_official_pypi("https://pypi.python.org/simple"));
    assert_false(urlmap_is_official_pypi("https://pypi.tuna.tsinghua.edu.cn/simple"));
    static const struct { const char *v; const char *name; } ch[] = {
        { "pytorch", "pytorch" },
        { "nvidia", "nvidia" },
        { "pytorch/label/nightly", "pytorch" },
        { "https://conda.anaconda.org/pytorch", "pytorch" },
        { "https://conda.anaconda.org/pytorch/", "pytorch" },
        { "defaults", "defaults" },
        { "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch", NULL },
        { "file:///srv/channel", NULL },
        { "./local-channel", NULL },
    };
    for (size_t i = 0; i < sizeof ch / sizeof *ch; i++) {
        char name[64];
        int is = urlmap_conda_channel(ch[i].v, name, sizeof name);
        if (is != (ch[i].name != NULL) || (is && strcmp(name, ch[i].name)))
            fail_msg("conda channel %s", ch[i].v);
    }
}

/* optparse semantics: prefixes, exact-over-prefix, =, clusters, -- */
static void test_cmdline(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *err;      /* substring of the error, or NULL */
        int index_items;      /* how many PIP_INDEX_URL items */
        const char *subcmd;
    } cases[] = {
        { "install --index-url U torch", NULL, 1, "install" },
        { "install --index U torch", NULL, 1, "install" },
        { "install --pre torch", NULL, 0, "install" },           /* exact wins */
        { "install --pr torch", "ambiguous", 0, NULL },           /* pre/prefix/... */
        { "install -iU torch", NULL, 1, "install" },
        { "install -Ui U torch", NULL, 1, "install" },
        { "install --index-url=U --index-url U2 torch", NULL, 2, "install" },
        { "install --no-deps=1 torch", "takes no value", 0, NULL },
        { "install -i", "needs a value", 0, NULL },
        { "install --frob", "unknown option --frob", 0, NULL },
        { "install -- --index-url U", NULL, 0, "install" },
        { "list --format json --not-ours", NULL, 0, "list" },     /* opaque */
        { "-v install -q torch", NULL, 0, "install" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct strv in = STRV_INIT, back = STRV_INIT;
        split_cmd(cases[i].in, &in);
        struct cmdline cl;
        char *err = NULL;
        int r = pipcmd_parse((int)in.n, in.v, &cl, &err);
        if (cases[i].err) {
            if (r == 0 || !strstr(err, cases[i].err))
                fail_msg("%s: want error %s, got %s", cases[i].in, cases[i].err, err);
            free(err);
        } else {
            if (r)
                fail_msg("%s: %s", cases[i].in, err);
            int n = 0;
            for (size_t k = 0; k < cl.n; k++)
                n += cl.items[k].kind == IT_OPTION && cl.items[k].opt->id == PIP_INDEX_URL;
            assert_int_equal(n, cases[i].index_items);
            assert_string_equal(cl.subcmd, cases[i].subcmd);
            /* unchanged items serialise back to the words typed (clusters
             * come back split, with the same meaning) */
            cmdline_to_argv(&cl, &back);
            if (!strchr(cases[i].in, 'U') || strstr(cases[i].in, "--"))
                if (!strv_equal(&in, &back))
                    fail_msg("%s: round trip", cases[i].in);
            cmdline_free(&cl);
        }
        strv_clear(&in);
        strv_clear(&back);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_user_file_and_env),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_user_path),
        cmocka_unit_test(test_urlmap),
        cmocka_unit_test(test_cmdline),
    };
    return cmocka_run_group_tests_name("config", tests, test_home_setup, test_home_teardown);
}
