/* test_condarc.c — conda's configuration files, read from real files in a
 * temp dir laid out like a machine: SYS (for /etc/conda and /var/lib/conda),
 * HOME, a Miniforge installation ROOT and an environment ENV. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "condarc.h"
#include "fileio.h"
#include "msg.h"

static char tmp[64];   /* mkdtemp: short */

static char *P(const char *rel)   /* a path under the test dir (rotating buffers) */
{
    static char buf[8][PATH_MAX];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, rel);
    return buf[k];
}

static void put(const char *rel, const char *text)
{
    char *path = P(rel), *err = NULL;
    char *dir = strdup(path);
    *strrchr(dir, '/') = 0;
    assert_int_equal(mkdir_p(dir, 0755, &err), 0);
    free(dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/torchshim-condarc-XXXXXX");
    if (!mkdtemp(tmp))
        return -1;
    char *err = NULL;
    const char *dirs[] = { "sys", "home", "root", "env", NULL };
    for (const char **d = dirs; *d; d++)
        if (mkdir_p(P(*d), 0755, &err) != 0)
            return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void roots(struct condarc_roots *r, enum condarc_tool tool, char *const *env)
{
    memset(r, 0, sizeof *r);
    r->tool = tool;
    static char sys[PATH_MAX], home[PATH_MAX], root[PATH_MAX];   /* P()'s buffers rotate */
    snprintf(sys, sizeof sys, "%s/sys", tmp);
    snprintf(home, sizeof home, "%s/home", tmp);
    snprintf(root, sizeof root, "%s/root", tmp);
    r->sysroot = sys;
    r->home = home;
    r->root_prefix = root;
    r->env = env;
}

static void expect_list(const struct condarc_list *l, const char *const *values,
                        const char *const *sources)
{
    size_t n = 0;
    while (values[n])
        n++;
    for (size_t i = 0; i < l->n && i < n; i++) {
        assert_string_equal(l->v[i].value, values[i]);
        if (sources)
            assert_string_equal(l->v[i].source, sources[i]);
    }
    assert_int_equal(l->n, n);
}

static const char *resolve1(const struct condarc *c, const char *ch, enum condarc_via via,
                            const char **source)
{
    static char out[1024];
    struct strv urls = STRV_INIT;
    assert_int_equal(condarc_channel_resolve(c, ch, &urls, source), via);
    assert_int_equal(urls.n, 1);
    snprintf(out, sizeof out, "%s", urls.v[0]);
    strv_clear(&urls);
    return out;
}

/* No file anywhere: conda's built-in defaults. */
static void test_builtin(void **state)
{
    (void)state;
    struct condarc_roots r;
    roots(&r, CONDARC_CONDA, NULL);
    struct condarc c;
    assert_int_equal(condarc_load(&c, &r), 0);
    assert_int_equal(c.nfiles, 0);
    assert_false(c.channels.set);
    expect_list(&c.channels, (const char *[]){ "defaults", NULL },
                (const char *[]){ CONDARC_BUILTIN, NULL });
    assert_string_equal(c.channel_alias.value, "https://conda.anaconda.org");
    struct strv urls = STRV_INIT;
    const char *src = NULL;
    assert_int_equal(condarc_channel_resolve(&c, "defaults", &urls, &src), CONDARC_VIA_DEFAULTS);
    assert_int_equal(urls.n, 2);
    assert_string_equal(urls.v[0], "https://repo.anaconda.com/pkgs/main");
    assert_string_equal(urls.v[1], "https://repo.anaconda.com/pkgs/r");
    assert_string_equal(src, CONDARC_BUILTIN);
    strv_clear(&urls);
    assert_string_equal(resolve1(&c, "pytorch", CONDARC_VIA_ALIAS, &src),
                        "https://conda.anaconda.org/pytorch");
    assert_string_equal(src, CONDARC_BUILTIN);
    assert_string_equal(resolve1(&c, "pkgs/pro", CONDARC_VIA_CUSTOM, NULL),
                        "https://repo.anaconda.com/pkgs/pro");
    assert_true(condarc_override_channels_enabled(&c));
    condarc_free(&c);
}

/* Miniforge's own .condarc, then a user's ~/.condarc above it with a mirror
 * for pytorch. */
static void test_miniforge_and_user(void **state)
{
    (void)state;
    put("root/.condarc", "channels:\n  - conda-forge\n");
    struct condarc_roots r;
    roots(&r, CONDARC_CONDA, NULL);
    struct condarc c;
    assert_int_equal(condarc_load(&c, &r), 0);
    assert_true(c.channels.set);
    expect_list(&c.channels, (const char *[]){ "conda-forge", NULL },
                (const char *[]){ P("root/.condarc"), NULL });
    const char *src = NULL;
    assert_string_equal(resolve1(&c, "conda-forge", CONDARC_VIA_ALIAS, &src),
                        "https://conda.anaconda.org/conda-forge");
    condarc_free(&c);

    put("home/.condarc",
        "channels: [pytorch, defaults]\n"
        "custom_channels:\n"
        "  pytorch: https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/\n"
        "default_channels:\n"
        "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main\n"
        "channel_priority: strict\n"
        "override_channels_enabled: false\n");
    assert_int_equal(condarc_load(&c, &r), 0);
    assert_int_equal(c.nfiles, 2);
    expect_list(&c.channels, (const char *[]){ "pytorch", "defaults", "conda-forge", NULL },
                (const char *[]){ P("home/.condarc"), P("home/.condarc"), P("root/.condarc"),
                                  NULL });
    assert_string_equal(resolve1(&c, "pytorch", CONDARC_VIA_CUSTOM, &src),
                        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch");
    assert_string_equal(src, P("home/.condarc"));
    assert_string_equal(resolve1(&c, "pytorch/label/nightly", CONDARC_VIA_CUSTOM, NULL),
                        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/label/"
                        "nightly");
    assert_string_equal(resolve1(&c, "pytorch/linux-64/", CONDARC_VIA_CUSTOM, NULL),
                        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/linux-64");
    assert_string_equal(resolve1(&c, "nvidia", CONDARC_VIA_ALIAS, NULL),
                        "https://conda.anaconda.org/nvidia");
    assert_string_equal(resolve1(&c, "defaults", CONDARC_VIA_DEFAULTS, &src),
                        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main");
    assert_string_equal(src, P("home/.condarc"));
    /* a default channel's name is its URL path: "anaconda/pkgs/main" here */
    assert_string_equal(resolve1(&c, "anaconda/pkgs/main", CONDARC_VIA_CUSTOM, NULL),
                        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main");
    assert_false(c.custom_channels.n == 2);   /* user's map replaces the built-in pkgs/pro */
    assert_string_equal(c.channel_priority.value, "strict");
    assert_false(condarc_override_channels_enabled(&c));
    condarc_free(&c);
}

/* "#!final" in a lower file keeps the higher ones out; "#!top"/"#!bottom". */
static void test_flags(void **state)
{
    (void)state;
    put("sys/etc/conda/.condarc",
        "channels: #!final\n"
        "  - conda-forge\n"
        "channel_alias: https://alias.example/ #!final\n"
        "custom_channels:\n"
        "  pytorch: https://sys.example  #!final\n");
    put("home/.condarc",
        "channels: [pytorch]\n"
        "channel_alias: https://user.example\n"
        "custom_channels:\n"
        "  pytorch: https://user.example\n"
        "  nvidia: https://user.example/nv\n");
    char *env[] = { "CONDA_CHANNELS=envchan", NULL };
    struct condarc_roots r;
    roots(&r, CONDARC_CONDA, env);
    struct condarc c;
    assert_int_equal(condarc_load(&c, &r), 0);
    expect_list(&c.channels, (const char *[]){ "conda-forge", NULL }, NULL);
    assert_string_equal(c.channel_alias.value, "https://alias.example");
    assert_string_equal(c.channel_alias.source, P("sys/etc/conda/.condarc"));
    assert_string_equal(resolve1(&c, "pytorch", CONDARC_VIA_CUSTOM, NULL),
                        "https://sys.example/pytorch");
    assert_string_equal(resolve1(&c, "nvidia", CONDARC_VIA_CUSTOM, NULL),
                        "https://user.example/nv/nvidia");
    assert_string_equal(resolve1(&c, "bioconda", CONDARC_VIA_ALIAS, NULL),
                        "https://alias.example/bioconda");
    condarc_free(&c);

    /* without the markers: the user's settings win */
    put("sys/etc/conda/.condarc",
        "channels:\n"
        "  - sys1  #!top\n"
        "  - sys2\n"
        "channel_alias: https://alias.example/\n");
    put("home/.condarc",
        "channels:\n"
        "  - u1\n"
        "  - 'u2'   # !bottom is not a marker: only \"#!bottom\" is\n"
        "  - u3 #!bottom\n"
        "channel_alias: https://user.example\n");
    assert_int_equal(condarc_load(&c, &r), 0);
    /* conda: top lines first, then higher files first, bottom lines last */
    expect_list(&c.channels, (const char *[]){ "sys1", "envchan", "u1", "u2", "sys2", "u3", NULL },
                (const char *[]){ P("sys/etc/conda/.condarc"), "CONDA_CHANNELS",
                                  P("home/.condarc"), P("home/.condarc"),
                                  P("sys/etc/conda/.condarc"), P("home/.condarc"), NULL });
    assert_string_equal(c.channel_alias.value, "https://user.example");
    condarc_free(&c);
}

/* The whole conda search path in order, $CONDARC last, then the
 * environment; condarc.d files in name order; $VAR expansion. */
static void test_search_order(void **state)
{
    (void)state;
    put("sys/etc/conda/condarc.d/b.yaml", "channels: [etc-b]\n");
    put("sys/etc/conda/condarc.d/a.yml", "channels: [etc-a]\n");
    put("sys/etc/conda/condarc.d/ignored.txt", "channels: [no]\n");
    put("sys/var/lib/conda/condarc", "channels: [var]\n");
    put("root/condarc", "channels: [root]\n");
    put("xdg/conda/.condarc", "channels: [xdg]\n");
    put("home/.config/conda/condarc", "channels: [config]\n");
    put("home/.conda/.condarc", "channels: [dotconda]\n");
    put("home/.condarc", "channels: [home]\npkgs_dirs: [~/pkgs, $NOPE/x]\n");
    put("env/.condarc",
        "channels: [env, root]\n"
        "custom_channels: {pytorch: \"${MIRROR}/cloud\"}\n");
    put("condarc-override.yml", "channels: [condarc]\n");
    char *env[] = { "CONDA_CHANNELS=e1, e2,,", "MIRROR=https://m.example",
                    "CONDA_PKGS_DIRS=/fast/pkgs", NULL };
    struct condarc_roots r;
    roots(&r, CONDARC_CONDA, env);
    char xdg[PATH_MAX], envp[PATH_MAX], rcfile[PATH_MAX];
    snprintf(xdg, sizeof xdg, "%s", P("xdg"));
    snprintf(envp, sizeof envp, "%s", P("env"));
    snprintf(rcfile, sizeof rcfile, "%s", P("condarc-override.yml"));
    r.xdg_config_home = xdg;
    r.env_prefix = envp;
    r.condarc = rcfile;
    struct condarc c;
    assert_int_equal(condarc_load(&c, &r), 0);
    expect_list(&c.channels,
                (const char *[]){ "e1", "e2", "condarc", "env", "root", "home", "dotconda",
                                  "config", "xdg", "var", "etc-b", "etc-a", NULL },
                NULL);
    assert_string_equal(c.channels.v[0].source, "CONDA_CHANNELS");
    assert_string_equal(c.channels.v[4].source, P("env/.condarc"));   /* first seen wins */
    assert_string_equal(c.channels.v[10].source, P("sys/etc/conda/condarc.d/b.yaml"));
    assert_int_equal(c.nfiles, 10);
    assert_string_equal(c.files[0].path, P("sys/etc/conda/condarc.d/a.yml"));
    assert_string_equal(resolve1(&c, "pytorch", CONDARC_VIA_CUSTOM, NULL),
                        "https://m.example/cloud/pytorch");
    expect_list(&c.pkgs_dirs, (const char *[]){ "/fast/pkgs", P("home/pkgs"), "$NOPE/x", NULL },
                NULL);
    condarc_free(&c);

    /* the active environment is the base environment: read once */
    snprintf(envp, sizeof envp, "%s", P("root/"));
    r.condarc = NULL;
    r.env = NULL;
    assert_int_equal(condarc_load(&c, &r), 0);
    assert_int_equal(c.nfiles, 8);
    condarc_free(&c);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "condarc_load blocked\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(3);
}

/* Broken files are reported one by one and never block; the good ones are
 * still used. */
static void test_broken(void **state)
{
    (void)state;
    put("root/.condarc", "channels: [conda-forge]\n");
    assert_int_equal(mkdir(P("home/.condarc"), 0755), 0);           /* a directory */
    put("home/.conda/condarc", "channels: [\"unclosed\n  - : :\n");  /* not YAML */
    assert_int_equal(mkdir(P("home/.config"), 0755), 0);
    assert_int_equal(mkdir(P("home/.config/conda"), 0755), 0);
    assert_int_equal(mkfifo(P("home/.config/conda/.condarc"), 0644), 0);   /* a FIFO */
    int fd = open(P("env/.condarc"), O_WRONLY | O_CREAT, 0644);     /* 100 MB, sparse */
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 100L * 1024 * 1024), 0);
    close(fd);
    put("env/condarc", "- just\n- a list\n");
    put("env/condarc.d/types.yml",
        "channels: conda-forge\ncustom_channels: [a]\nchannel_alias: https://ok.example\n");
    struct condarc_roots r;
    roots(&r, CONDARC_CONDA, NULL);
    char envp[PATH_MAX];
    snprintf(envp, sizeof envp, "%s", P("env"));
    r.env_prefix = envp;
    signal(SIGALRM, on_alarm);
    alarm(20);
    long long t0 = now_ms();
    struct condarc c;
    assert_int_equal(condarc_load(&c, &r), 5);
    alarm(0);
    assert_true(now_ms() - t0 < 5000);
    expect_list(&c.channels, (const char *[]){ "conda-forge", NULL },
                (const char *[]){ P("root/.condarc"), NULL });
    assert_string_equal(c.channel_alias.value, "https://ok.example");   /* the good key */
    const char *want[][2] = {
        { "home/.config/conda/.condarc", "not a regular file" },
        { "home/.conda/condarc", "line 3, column 1: while scanning a quoted scalar" },
        { "env/.condarc", "too large" },
        { "env/condarc", "not a mapping" },
        { "env/condarc.d/types.yml", "channels is not a list; custom_channels is not a mapping" },
    };
    assert_int_equal(c.nfiles, 6);
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(c.files[i + 1].path, P(want[i][0]));
        assert_non_null(c.files[i + 1].error);
        if (!strstr(c.files[i + 1].error, want[i][1]))
            fail_msg("%s: %s", want[i][0], c.files[i + 1].error);
    }
    condarc_free(&c);

    /* conda reads a .condarc that is a directory as one more condarc.d */
    put("home/.condarc/extra.yml", "channels: [from-dir]\n");
    assert_int_equal(condarc_load(&c, &r), 5);
    assert_string_equal(c.channels.v[0].value, "from-dir");
    condarc_free(&c);
}

/* libmamba's order: .mambarc files, $MAMBARC last, no implicit defaults. */
static void test_mamba(void **state)
{
    (void)state;
    put("root/.mambarc", "channels: [root-mambarc]\n");
    put("root/.condarc", "channels: [root-condarc]\n");
    put("home/.condarc", "channels: [home-condarc]\n");
    put("home/.mambarc", "channels: [home-mambarc]\n");
    put("home/.config/mamba/mambarc", "channels: [config-mamba]\n");
    put("mambarc-env.yml", "channels: [MAMBARC]\n");
    put("condarc-env.yml", "channels: [CONDARC]\n");
    char *env[] = { "MAMBA_CHANNEL_ALIAS=https://alias.example", NULL };
    struct condarc_roots r;
    roots(&r, CONDARC_MAMBA, env);
    char mrc[PATH_MAX], crc[PATH_MAX];
    snprintf(mrc, sizeof mrc, "%s", P("mambarc-env.yml"));
    snprintf(crc, sizeof crc, "%s", P("condarc-env.yml"));
    r.mambarc = mrc;
    r.condarc = crc;
    struct condarc c;
    assert_int_equal(condarc_load(&c, &r), 0);
    expect_list(&c.channels,
                (const char *[]){ "MAMBARC", "CONDARC", "home-mambarc", "config-mamba",
                                  "home-condarc", "root-mambarc", "root-condarc", NULL },
                NULL);
    assert_string_equal(c.channel_alias.value, "https://alias.example");
    assert_string_equal(c.channel_alias.source, "MAMBA_CHANNEL_ALIAS");
    condarc_free(&c);

    /* conda does not read .mambarc files; with nothing set, micromamba has
     * no channels at all */
    roots(&r, CONDARC_CONDA, NULL);
    unlink(P("root/.condarc"));
    unlink(P("home/.condarc"));
    assert_int_equal(condarc_load(&c, &r), 0);
    expect_list(&c.channels, (const char *[]){ "defaults", NULL }, NULL);
    condarc_free(&c);
    roots(&r, CONDARC_MAMBA, NULL);
    unlink(P("root/.mambarc"));
    unlink(P("home/.mambarc"));
    unlink(P("home/.config/mamba/mambarc"));
    assert_int_equal(condarc_load(&c, &r), 0);
    assert_int_equal(c.channels.n, 0);
    assert_false(c.channels.set);
    condarc_free(&c);
}

/* Channel values that are not names. */
static void test_resolve_other(void **state)
{
    (void)state;
    put("home/.condarc", "channel_alias: https://my.anaconda.repo:8080/conda/\n"
                         "default_channels: [pkgs/main, 'http://plain.example/x/']\n");
    struct condarc_roots r;
    roots(&r, CONDARC_CONDA, NULL);
    struct condarc c;
    assert_int_equal(condarc_load(&c, &r), 0);
    assert_string_equal(resolve1(&c, "https://mirror.example/pytorch/", CONDARC_VIA_URL, NULL),
                        "https://mirror.example/pytorch");
    assert_string_equal(resolve1(&c, "/srv/channel/", CONDARC_VIA_PATH, NULL),
                        "file:///srv/channel");
    char want[PATH_MAX * 2];
    snprintf(want, sizeof want, "file://%s/ch", P("home"));
    assert_string_equal(resolve1(&c, "~/ch", CONDARC_VIA_PATH, NULL), want);
    assert_string_equal(resolve1(&c, "conda-forge", CONDARC_VIA_ALIAS, NULL),
                        "https://my.anaconda.repo:8080/conda/conda-forge");
    struct strv urls = STRV_INIT;
    assert_int_equal(condarc_channel_resolve(&c, "defaults", &urls, NULL), CONDARC_VIA_DEFAULTS);
    assert_int_equal(urls.n, 2);
    assert_string_equal(urls.v[0], "https://my.anaconda.repo:8080/conda/pkgs/main");
    assert_string_equal(urls.v[1], "http://plain.example/x");
    assert_int_equal(condarc_channel_resolve(&c, "local", &urls, NULL), CONDARC_VIA_LOCAL);
    assert_int_equal(condarc_channel_resolve(&c, "nodefaults", &urls, NULL),
                     CONDARC_VIA_NODEFAULTS);
    assert_int_equal(urls.n, 2);
    strv_clear(&urls);
    condarc_free(&c);
}

/* The roots from the process environment: the installation of CONDA_EXE. */
static void test_roots_from_env(void **state)
{
    (void)state;
    put("root/bin/conda", "#!/bin/sh\n");
    assert_int_equal(symlink(P("root/bin/conda"), P("conda-link")), 0);
    unsetenv("CONDA_ROOT");
    setenv("CONDA_EXE", P("conda-link"), 1);
    setenv("CONDA_PREFIX", P("env"), 1);
    struct condarc_roots r;
    condarc_roots_from_env(&r, CONDARC_CONDA, NULL, NULL);
    char real[PATH_MAX];
    assert_non_null(realpath(P("root"), real));
    assert_string_equal(r.root_prefix, real);
    assert_string_equal(r.env_prefix, P("env"));
    condarc_roots_free(&r);
    setenv("CONDA_ROOT", "/opt/conda", 1);
    condarc_roots_from_env(&r, CONDARC_CONDA, NULL, "/target");
    assert_string_equal(r.root_prefix, "/opt/conda");
    assert_string_equal(r.env_prefix, "/target");
    condarc_roots_free(&r);
    unsetenv("CONDA_ROOT");
    setenv("CONDA_EXE", "/nonexistent/bin/conda", 1);
    condarc_roots_from_env(&r, CONDARC_CONDA, NULL, NULL);
    assert_null(r.root_prefix);
    condarc_roots_free(&r);
    unsetenv("CONDA_EXE");
    unsetenv("CONDA_PREFIX");
}

int main(void)
{
    msg_init_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builtin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_miniforge_and_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_search_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mamba, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resolve_other, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roots_from_env, setup, teardown),
    };
    return cmocka_run_group_tests_name("condarc", tests, NULL, NULL);
}
