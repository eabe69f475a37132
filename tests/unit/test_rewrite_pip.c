/* test_rewrite_pip.c — pip command lines in, mirrored command lines out.
 * Cases are real commands: the seeds (tutorials), pytorch.org's install and
 * previous-versions pages, and READMEs of popular projects. Shipped defaults:
 * wheels from aliyun (find-links), PyPI from tuna. */
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

#include "config.h"
#include "msg.h"
#include "rewrite_pip.h"
#include "testutil.h"

#define ALI "https://mirrors.aliyun.com/pytorch-wheels"
#define TUNA "https://pypi.tuna.tsinghua.edu.cn/simple"
#define NJU "https://mirror.nju.edu.cn"
#define PT "https://download.pytorch.org/whl"

struct rcase {
    const char *mirror;    /* TORCHSHIM_MIRROR or NULL */
    const char *in;        /* pip arguments */
    int pytorch;           /* expected: a PyTorch install? */
    const char *out;       /* expected arguments after rewriting (NULL: = in) */
};

static const struct rcase cases[] = {
    /* seed 000: the official cu118 command, hand-translated in the tutorial */
    { NULL, "install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 --index-url " PT "/cu118",
      1, "install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 -f " ALI "/cu118 -i " TUNA },
    /* seed 002: the user chose a mirror: left alone */
    { NULL, "install torch torchvision torchaudio -i " TUNA, 1, NULL },
    /* a torch install from the default index gets the PyPI mirror */
    { NULL, "install torch torchvision torchaudio", 1,
      "install torch torchvision torchaudio -i " TUNA },
    /* pytorch.org "previous versions" */
    { NULL, "install torch==2.3.1 torchvision==0.18.1 torchaudio==2.3.1 --index-url " PT "/cu121",
      1, "install torch==2.3.1 torchvision==0.18.1 torchaudio==2.3.1 -f " ALI "/cu121 -i " TUNA },
    { NULL, "install torch==2.4.1 torchvision==0.19.1 torchaudio==2.4.1 --index-url " PT "/cpu", 1,
      "install torch==2.4.1 torchvision==0.19.1 torchaudio==2.4.1 -f " ALI "/cpu -i " TUNA },
    { NULL, "install torch torchvision torchaudio --index-url " PT "/rocm6.1", 1,
      "install torch torchvision torchaudio -f " ALI "/rocm6.1 -i " TUNA },
    /* old style: +cu113 pins and the legacy flat page */
    { NULL, "install torch==1.10.1+cu113 torchvision==0.11.2+cu113 torchaudio==0.10.1+cu113 -f "
            PT "/torch_stable.html", 1,
      "install torch==1.10.1+cu113 torchvision==0.11.2+cu113 torchaudio==0.10.1+cu113 -f " ALI
      "/cu113 -i " TUNA },
    { NULL, "install torch==1.8.1+cu111 -f " PT "/cu111/torch_stable.html", 1,
      "install torch==1.8.1+cu111 -f " ALI "/cu111 -i " TUNA },
    /* --extra-index-url (many READMEs): wheels come from the mirror, and the
     * default index becomes the PyPI mirror */
    { NULL, "install -U torch>=2.1 --extra-index-url " PT "/cu121", 1,
      "install -U torch>=2.1 -f " ALI "/cu121 -i " TUNA },
    /* optparse forms: --opt=value, prefixes, clusters, attached values */
    { NULL, "install --index-url=" PT "/cpu torch", 1, "install -f " ALI "/cpu -i " TUNA " torch" },
    { NULL, "install --extra-index " PT "/cu118 torch", 1,
      "install -f " ALI "/cu118 torch -i " TUNA },
    { NULL, "install -qUi " PT "/cu118 torch", 1, "install -q -U -f " ALI "/cu118 -i " TUNA " torch" },
    { NULL, "install -i" PT "/cu118 torch", 1, "install -f " ALI "/cu118 -i " TUNA " torch" },
    /* general options before the subcommand */
    { NULL, "--proxy http://127.0.0.1:3128 install torch", 1,
      "--proxy http://127.0.0.1:3128 install torch -i " TUNA },
    { NULL, "-v --retries 2 install --user torch", 1,
      "-v --retries 2 install --user torch -i " TUNA },
    /* the official PyPI named explicitly */
    { NULL, "install torch -i https://pypi.org/simple", 1, "install torch -i " TUNA },
    /* download and wheel too */
    { NULL, "download torch -d /tmp/w --index-url " PT "/cu118", 1,
      "download torch -d /tmp/w -f " ALI "/cu118 -i " TUNA },
    { NULL, "wheel torchvision --no-deps -w /tmp/w", 1, "wheel torchvision --no-deps -w /tmp/w -i " TUNA },
    /* markers and extras */
    { NULL, "install torch[opt-einsum]>=2.0 torchvision;platform_system!=\"Darwin\"", 1,
      "install torch[opt-einsum]>=2.0 torchvision;platform_system!=\"Darwin\" -i " TUNA },
    /* nightly: aliyun has none, kept as is */
    { NULL, "install --pre torch --index-url " PT "/nightly/cu121", 1, NULL },
    /* a private index is the user's choice */
    { NULL, "install torch --index-url https://pypi.internal.example/simple", 1, NULL },
    /* --no-index with local wheels: nothing to mirror */
    { NULL, "install --no-index -f /srv/wheels torch", 1, NULL },
    /* options after "--" stay positional; our option goes before it */
    /* not PyPI installs of torch: untouched */
    { NULL, "install numpy scipy", 0, NULL },
    { NULL, "install torchmetrics", 0, NULL },
    { NULL, "install pytorch-lightning", 0, NULL },
    { NULL, "list --format json", 0, NULL },
    { NULL, "show torch", 0, NULL },
    { NULL, "uninstall -y torch", 0, NULL },
    /* a non-torch package from download.pytorch.org is still its index */
    { NULL, "install numpy --index-url " PT "/cu118", 1,
      "install numpy -f " ALI "/cu118 -i " TUNA },
    /* NJU: a PEP 503 mirror of download.pytorch.org */
    { "nju", "install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 --index-url " PT "/cu118",
      1, "install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 --index-url " NJU
      "/pytorch/whl/cu118 --extra-index-url " NJU "/pypi/web/simple" },
    { "nju", "install torch --extra-index-url " PT "/cu121", 1,
      "install torch --extra-index-url " NJU "/pytorch/whl/cu121 -i " NJU "/pypi/web/simple" },
    /* the official site: nothing changes */
    { "official", "install torch --index-url " PT "/cu118", 1, NULL },
    { "official", "install torch", 1, NULL },
    /* SJTU: one flat page for every variant */
    { "sjtu", "install torch==2.3.1+cu121 -f " PT "/torch_stable.html", 1,
      "install torch==2.3.1+cu121 -f https://mirror.sjtu.edu.cn/pytorch-wheels/torch_stable.html"
      " -i https://mirror.sjtu.edu.cn/pypi-packages" },
};

static void run_case(const struct rcase *c)
{
    test_env_reset(test_home);
    if (c->mirror)
        setenv("TORCHSHIM_MIRROR", c->mirror, 1);
    struct config cfg;
    char *err = NULL;
    assert_int_equal(config_load(&cfg, &err), 0);
    struct strv in = STRV_INIT, out = STRV_INIT;
    split_cmd(c->in, &in);
    struct pip_job job;
    int r = pip_job_init(&job, &cfg, "/usr/bin/pip", (int)in.n, in.v, &err);
    if (r)
        fail_msg("%s: %s", c->in, err);
    assert_int_equal(pip_job_is_pytorch(&job), c->pytorch);
    if (c->pytorch) {
        assert_int_equal(pip_job_rewrite_sources(&job, &err), 0);
        assert_int_equal(pip_job_emit(&job, "/usr/bin/pip", &out, &err), 0);
        char *got = join_cmd(&out, 1);
        const char *want = c->out ? c->out : c->in;
        if (strcmp(got, want))
            fail_msg("\n  in:   %s\n  want: %s\n  got:  %s", c->in, want, got);
        free(got);
        assert_string_equal(out.v[0], "/usr/bin/pip");
    }
    pip_job_free(&job);
    strv_clear(&in);
    strv_clear(&out);
    config_free(&cfg);
}

static void test_case(void **state)
{
    run_case(*state);
}

static void test_unknown_option_refuses(void **state)
{
    (void)state;
    test_env_reset(test_home);
    struct config cfg;
    char *err = NULL;
    assert_int_equal(config_load(&cfg, &err), 0);
    struct strv in = STRV_INIT;
    split_cmd("install --frobnicate torch", &in);
    struct pip_job job;
    assert_int_equal(pip_job_init(&job, &cfg, "/usr/bin/pip", (int)in.n, in.v, &err), -1);
    assert_non_null(strstr(err, "--frobnicate"));
    free(err);
    pip_job_free(&job);
    strv_clear(&in);
    config_free(&cfg);
}

/* PIP_INDEX_URL naming download.pytorch.org moves onto the command line. */
static void test_env_index(void **state)
{
    (void)state;
    test_env_reset(test_home);
    setenv("PIP_INDEX_URL", PT "/cu118", 1);
    struct config cfg;
    char *err = NULL;
    assert_int_equal(config_load(&cfg, &err), 0);
    struct strv in = STRV_INIT, out = STRV_INIT;
    split_cmd("install numpy", &in);
    struct pip_job job;
    assert_int_equal(pip_job_init(&job, &cfg, "/usr/bin/pip", (int)in.n, in.v, &err), 0);
    assert_true(pip_job_is_pytorch(&job));
    assert_int_equal(pip_job_rewrite_sources(&job, &err), 0);
    assert_int_equal(pip_job_emit(&job, "/usr/bin/pip", &out, &err), 0);
    char *got = join_cmd(&out, 1);
    assert_string_equal(got, "install numpy -f " ALI "/cu118 -i " TUNA);
    assert_int_equal(job.env.set.n, 1);
    assert_string_equal(job.env.set.v[0], "PIP_INDEX_URL");
    assert_string_equal(job.env.ops.v[0], "U");
    free(got);
    unsetenv("PIP_INDEX_URL");
    pip_job_free(&job);
    strv_clear(&in);
    strv_clear(&out);
    config_free(&cfg);
}

/* A user's PyPI mirror in PIP_INDEX_URL or pip.conf is their choice. */
static void test_user_index_in_env_and_conf(void **state)
{
    (void)state;
    const char *const setups[] = { "env", "conf" };
    for (size_t s = 0; s < 2; s++) {
        test_env_reset(test_home);
        char conf[4200];
        snprintf(conf, sizeof conf, "%s/pip.conf", test_home);
        if (s == 0) {
            setenv("PIP_INDEX_URL", "https://mirrors.ustc.edu.cn/pypi/simple", 1);
        } else {
            FILE *f = fopen(conf, "w");
            fputs("[global]\nindex-url = https://mirrors.ustc.edu.cn/pypi/simple\n", f);
            fclose(f);
            setenv("PIP_CONFIG_FILE", conf, 1);
        }
        struct config cfg;
        char *err = NULL;
        assert_int_equal(config_load(&cfg, &err), 0);
        struct strv in = STRV_INIT, out = STRV_INIT;
        split_cmd("install torch", &in);
        struct pip_job job;
        assert_int_equal(pip_job_init(&job, &cfg, "/usr/bin/pip", (int)in.n, in.v, &err), 0);
        assert_int_equal(pip_job_rewrite_sources(&job, &err), 0);
        assert_int_equal(pip_job_emit(&job, "/usr/bin/pip", &out, &err), 0);
        char *got = join_cmd(&out, 1);
        if (strcmp(got, "install torch"))
            fail_msg("%s: got %s", setups[s], got);
        free(got);
        unsetenv("PIP_INDEX_URL");
        unlink(conf);
        pip_job_free(&job);
        strv_clear(&in);
        strv_clear(&out);
        config_free(&cfg);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Requirements files: index lines rewritten into a copy; the user's file and
 * the nested file are untouched; the nested path still resolves. */
static void test_requirements_file(void **state)
{
    (void)state;
    test_env_reset(test_home);
    char dir[4200], top[4300], nested[4300];
    snprintf(dir, sizeof dir, "%s/proj", test_home);
    mkdir(dir, 0700);
    snprintf(top, sizeof top, "%s/requirements.txt", dir);
    snprintf(nested, sizeof nested, "%s/base.txt", dir);
    FILE *f = fopen(nested, "w");
    fputs("numpy>=1.24  # arrays\n", f);
    fclose(f);
    f = fopen(top, "w");
    fputs("--index-url " PT "/cu118\n-r base.txt\ntorch==2.0.0\ntorchvision==0.15.1 \\\n"
          "    --hash=sha256:abc\n", f);
    fclose(f);
    const char *before = "--index-url " PT "/cu118\n-r base.txt\ntorch==2.0.0\n"
                         "torchvision==0.15.1 \\\n    --hash=sha256:abc\n";

    struct config cfg;
    char *err = NULL;
    assert_int_equal(config_load(&cfg, &err), 0);
    char arg[4400];
    snprintf(arg, sizeof arg, "install -r %s", top);
    struct strv in = STRV_INIT, out = STRV_INIT;
    split_cmd(arg, &in);
    struct pip_job job;
    assert_int_equal(pip_job_init(&job, &cfg, "/usr/bin/pip", (int)in.n, in.v, &err), 0);
    assert_true(pip_job_is_pytorch(&job));
    assert_int_equal(job.ntreqs, 2);
    assert_string_equal(job.variant, "cu118");
    assert_int_equal(pip_job_rewrite_sources(&job, &err), 0);
    assert_int_equal(pip_job_emit(&job, "/usr/bin/pip", &out, &err), 0);
    assert_int_equal(out.n, 4);
    assert_string_equal(out.v[2], "-r");
    assert_string_not_equal(out.v[3], top);
    char *copy = slurp(out.v[3]);
    char want[8192];
    snprintf(want, sizeof want,
             "-f " ALI "/cu118\n-i " TUNA "\n-r %s\ntorch==2.0.0\ntorchvision==0.15.1 "
             "    --hash=sha256:abc\n", nested);
    assert_string_equal(copy, want);
    assert_string_equal(slurp(top), before);
    pip_job_free(&job);
    strv_clear(&in);
    strv_clear(&out);
    config_free(&cfg);
}

#define NCASES (sizeof cases / sizeof *cases)

int main(void)
{
    /* one test per table row, named after its command line */
    struct CMUnitTest tests[NCASES + 4] = {
        cmocka_unit_test(test_unknown_option_refuses),
        cmocka_unit_test(test_env_index),
        cmocka_unit_test(test_user_index_in_env_and_conf),
        cmocka_unit_test(test_requirements_file),
    };
    static char names[NCASES][160];
    for (size_t i = 0; i < NCASES; i++) {
        snprintf(names[i], sizeof names[i], "pip %s%s%s", cases[i].in,
                 cases[i].mirror ? " @" : "", cases[i].mirror ? cases[i].mirror : "");
        tests[4 + i] = (struct CMUnitTest){ names[i], test_case, NULL, NULL, (void *)&cases[i] };
    }
    return _cmocka_run_group_tests("rewrite_pip", tests, NCASES + 4, test_home_setup, test_home_teardown);
}
