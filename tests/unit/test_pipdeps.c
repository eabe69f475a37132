/* test_pipdeps.c — torch's CUDA dependencies for the prefetch without the
 * network: marker evaluation (marker_env.h), pip's tag order (wheelrank.h),
 * which Requires-Dist lines are taken (pipdeps_select), which file pip
 * takes of several listings (pipdeps_pick, listings parsed from real HTML),
 * the find-links directory of links (pipdeps_write_links, real files and
 * symlinks in a temp dir), when the command qualifies (pipdeps_applies,
 * real pip jobs under a loopback configuration) and the sources pip reads
 * in pip's order (pipsources.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "coremeta.h"
#include "fileio.h"
#include "listing.h"
#include "marker_env.h"
#include "msg.h"
#include "pipdeps.h"
#include "pipfetch.h"
#include "pipjob.h"
#include "pipsources.h"
#include "rewrite_pip.h"
#include "testutil.h"
#include "wheelname.h"
#include "wheelrank.h"

static void linux_env(struct marker_env *e, const char *machine, int minor)
{
    char *err = NULL;
    char full[16];
    snprintf(full, sizeof full, "3.%d.2", minor);
    assert_int_equal(marker_env_init(e, 3, minor, full, "linux", machine, &err), 0);
}

/* ---- markers ------------------------------------------------------------ */

static void test_markers(void **state)
{
    (void)state;
    static const struct { const char *m; int want; } cases[] = {
        { "platform_system == \"Linux\" and platform_machine == \"x86_64\"", MARKER_TRUE },
        { "platform_system == \"Linux\" and platform_machine == \"aarch64\"", MARKER_FALSE },
        { "platform_system == 'Windows' or sys_platform == 'linux'", MARKER_TRUE },
        { "python_version < \"3.12\"", MARKER_TRUE },
        { "python_version >= \"3.12\"", MARKER_FALSE },
        { "python_version < \"3.9\"", MARKER_FALSE },      /* as versions: 3.11 > 3.9 */
        { "python_version == \"3.*\"", MARKER_TRUE },
        { "python_full_version >= \"3.11.1\"", MARKER_TRUE },
        { "\"3.8\" < python_version", MARKER_TRUE },        /* literal on the left */
        { "'linux' in sys_platform", MARKER_TRUE },
        { "'x86' not in platform_machine", MARKER_FALSE },
        { "os_name == \"posix\" and implementation_name == \"cpython\"", MARKER_TRUE },
        { "platform_python_implementation != 'CPython'", MARKER_FALSE },
        { "(platform_machine == 'aarch64' or platform_machine == 'x86_64') and "
          "platform_system == 'Linux'", MARKER_TRUE },
        /* and binds tighter: false or (true and false) */
        { "platform_system == 'Darwin' or platform_system == 'Linux' and "
          "platform_machine == 'arm64'", MARKER_FALSE },
        { "extra == \"opt-einsum\"", MARKER_FALSE },        /* no extras asked */
        { "platform_release >= '5'", MARKER_UNKNOWN },
        { "platform_release >= '5' and platform_system == 'Windows'", MARKER_FALSE },
        { "platform_release >= '5' or platform_system == 'Linux'", MARKER_TRUE },
        { "platform_machine ~= 'x86'", MARKER_UNKNOWN },    /* ~= on a string */
        { "platform_system = 'Linux'", MARKER_ERROR },
        { "platform_system == 'Linux' and", MARKER_ERROR },
        { "(platform_system == 'Linux'", MARKER_ERROR },
        { "no_such_variable == '1'", MARKER_ERROR },
        { "platform_system == \"Linux", MARKER_ERROR },
    };
    struct marker_env env;
    linux_env(&env, "x86_64", 11);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *err = NULL;
        int got = marker_eval(cases[i].m, &env, &err);
        if (got != cases[i].want)
            fail_msg("%s: %d, want %d (%s)", cases[i].m, got, cases[i].want, err ? err : "");
        if ((got == MARKER_ERROR) != (err != NULL))
            fail_msg("%s: error and message disagree", cases[i].m);
        free(err);
    }
    /* extras: any extra asked makes it apply, names normalised */
    struct strv extras = STRV_INIT;
    strv_push(&extras, "optree");
    strv_push(&extras, "Opt_Einsum");
    env.extras = &extras;
    assert_int_equal(marker_eval("extra == \"opt-einsum\"", &env, NULL), MARKER_TRUE);
    assert_int_equal(marker_eval("extra == 'sparse'", &env, NULL), MARKER_FALSE);
    strv_clear(&extras);
    /* the full version unknown: only what needs it is unknown */
    char *err = NULL;
    assert_int_equal(marker_env_init(&env, 3, 12, "3.12", "linux", "aarch64", &err), 0);
    assert_int_equal(marker_eval("python_full_version >= '3.8'", &env, NULL), MARKER_UNKNOWN);
    assert_int_equal(marker_eval("python_version >= '3.12' and platform_machine == 'aarch64'",
                                 &env, NULL), MARKER_TRUE);
    assert_int_equal(marker_env_init(&env, 3, 12, NULL, "darwin", "arm64", &err), 0);
    assert_int_equal(marker_eval("sys_platform == 'darwin' and platform_system == 'Darwin'",
                                 &env, NULL), MARKER_TRUE);
    assert_int_equal(marker_env_init(&env, 3, 12, NULL, "beos", "x86_64", &err), -1);
    assert_non_null(err);
    free(err);
}

/* ---- tag order ---------------------------------------------------------- */

static long rank_of(const char *fn, const struct wheel_target *t)
{
    struct wheelname w;
    if (wheelname_parse(fn, &w) < 0)
        fail_msg("%s: not a wheel name", fn);
    long r = wheel_rank(&w, t);
    wheelname_free(&w);
    return r;
}

static void test_rank(void **state)
{
    (void)state;
    struct wheel_target t;
    char *err = NULL;
    assert_int_equal(wheel_target_init(&t, "linux", "x86_64", 3, 11, 2, 35, &err), 0);
    /* best first, as packaging.tags.sys_tags() orders them */
    static const char *const order[] = {
        "a-1-cp311-cp311-manylinux_2_35_x86_64.whl",
        "a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "a-1-cp311-cp311-manylinux2014_x86_64.whl",
        "a-1-cp311-cp311-manylinux1_x86_64.whl",
        "a-1-cp311-cp311-linux_x86_64.whl",
        "a-1-cp311-abi3-manylinux_2_28_x86_64.whl",
        "a-1-cp311-none-manylinux_2_28_x86_64.whl",
        "a-1-cp39-abi3-manylinux_2_28_x86_64.whl",
        "a-1-cp38-abi3-manylinux_2_28_x86_64.whl",
        "a-1-py311-none-manylinux_2_28_x86_64.whl",
        "a-1-py3-none-manylinux_2_28_x86_64.whl",
        "a-1-py3-none-manylinux1_x86_64.whl",
        "a-1-py310-none-manylinux_2_28_x86_64.whl",
        "a-1-cp311-none-any.whl",
        "a-1-py311-none-any.whl",
        "a-1-py3-none-any.whl",
        "a-1-py39-none-any.whl",
    };
    long prev = -1;
    for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
        long r = rank_of(order[i], &t);
        if (r <= prev)
            fail_msg("%s: rank %ld after %ld", order[i], r, prev);
        prev = r;
    }
    /* several tags: the best counts */
    assert_int_equal(rank_of("a-1-py3-none-win_amd64.manylinux1_x86_64.whl", &t),
                     rank_of("a-1-py3-none-manylinux1_x86_64.whl", &t));
    /* not supported */
    static const char *const never[] = {
        "a-1-py3-none-win_amd64.whl", "a-1-py3-none-manylinux2014_aarch64.whl",
        "a-1-cp312-cp312-manylinux1_x86_64.whl", "a-1-cp310-cp310-manylinux1_x86_64.whl",
        "a-1-cp311-abi3-any.whl", "a-1-py312-none-any.whl", "a-1-py2-none-any.whl",
        "a-1-cp311-cp311-manylinux_2_36_x86_64.whl",
    };
    for (size_t i = 0; i < sizeof never / sizeof *never; i++)
        if (rank_of(never[i], &t) != -1)
            fail_msg("%s: ranked on %s", never[i], t.label);
    wheel_target_free(&t);
    assert_true(wheel_build_cmp(NULL, NULL) == 0);
    assert_true(wheel_build_cmp(NULL, "1") < 0);
    assert_true(wheel_build_cmp("2", "10") < 0);
    assert_true(wheel_build_cmp("1torchshim", "1") > 0);
    assert_true(wheel_build_cmp("2", "1torchshim") > 0);
}

/* ---- which requirements ------------------------------------------------- */

static const char TORCH_META[] =
    "Metadata-Version: 2.1\nName: torch\nVersion: 2.3.1+cu121\n"
    "Requires-Dist: filelock\n"
    "Requires-Dist: nvidia-cuda-nvrtc-cu12==12.1.105; platform_system == \"Linux\" and "
    "platform_machine == \"x86_64\"\n"
    "Requires-Dist: nvidia-cublas-cu12 (==12.1.3.1) ; platform_system == \"Linux\"\n"
    "Requires-Dist: nvidia_cudnn_cu12==8.9.2.26; platform_system == \"Linux\" and "
    "platform_machine == \"x86_64\"\n"
    "Requires-Dist: nvidia-cufft-cu12==11.0.2.54; platform_machine == \"aarch64\"\n"
    "Requires-Dist: nvidia-nccl-cu12>=2.20; platform_system == \"Linux\"\n"
    "Requires-Dist: nvidia-nvtx-cu12==12.1.*; platform_system == \"Linux\"\n"
    "Requires-Dist: nvidia-curand-cu12==10.3.2.106; platform_release >= \"5\"\n"
    "Requires-Dist: nvidia-cusolver-cu12==11.4.5.107; extra == \"solver\"\n"
    "Requires-Dist: triton==2.3.1; platform_system == \"Linux\" and python_version < \"3.12\"\n"
    "Requires-Dist: pytorch-triton==3.0.0+dedb7bdf33\n"
    "Requires-Dist: sympy==1.12\n"
    "Requires-Dist: nvidia-cublas-cu12==12.1.3.1; platform_system == \"Linux\"\n"
    "\n";

static void test_select(void **state)
{
    (void)state;
    struct coremeta m;
    struct marker_env env;
    struct strv names = STRV_INIT, versions = STRV_INIT, notes = STRV_INIT;
    char *err = NULL;
    assert_int_equal(coremeta_parse(TORCH_META, strlen(TORCH_META), &m, &err), 0);
    linux_env(&env, "x86_64", 11);
    assert_int_equal(pipdeps_select(&m, &env, &names, &versions, &notes), 5);
    static const char *const want[][2] = {
        { "nvidia-cuda-nvrtc-cu12", "12.1.105" }, { "nvidia-cublas-cu12", "12.1.3.1" },
        { "nvidia-cudnn-cu12", "8.9.2.26" },      { "triton", "2.3.1" },
        { "pytorch-triton", "3.0.0+dedb7bdf33" },
    };
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(names.v[i], want[i][0]);
        assert_string_equal(versions.v[i], want[i][1]);
    }
    char *all = strv_join(&notes, "\n");
    assert_non_null(strstr(all, "nvidia-nccl-cu12: not pinned exactly"));
    assert_non_null(strstr(all, "nvidia-nvtx-cu12: not pinned exactly"));  /* a wildcard */
    assert_non_null(strstr(all, "nvidia-curand-cu12: marker not known"));
    assert_null(strstr(all, "cufft"));
    assert_null(strstr(all, "cusolver"));
    free(all);
    strv_clear(&names);
    strv_clear(&versions);
    strv_clear(&notes);
    /* Python 3.12 on aarch64: triton's marker is false, cufft's true */
    linux_env(&env, "aarch64", 12);
    struct strv extras = STRV_INIT;
    strv_push(&extras, "solver");
    env.extras = &extras;
    assert_int_equal(pipdeps_select(&m, &env, &names, &versions, &notes), 4);
    assert_true(strv_find(&names, "triton") < 0);
    assert_true(strv_find(&names, "nvidia-cufft-cu12") >= 0);
    assert_true(strv_find(&names, "nvidia-cusolver-cu12") >= 0);
    assert_true(strv_find(&names, "nvidia-cuda-nvrtc-cu12") < 0);
    strv_clear(&extras);
    strv_clear(&names);
    strv_clear(&versions);
    strv_clear(&notes);
    coremeta_free(&m);
}

/* ---- which file --------------------------------------------------------- */

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static void parse(struct listing *l, const char *base, const char *html)
{
    assert_int_equal(listing_parse(html, strlen(html), base, l), 0);
}

static void test_pick(void **state)
{
    (void)state;
    struct wheel_target t;
    char *err = NULL;
    assert_int_equal(wheel_target_init(&t, "linux", "x86_64", 3, 11, 2, 35, &err), 0);
    struct listing ls[3];
    memset(ls, 0, sizeof ls);
    /* the wheels index: the same file as PyPI's, and a worse one */
    parse(&ls[0], "http://m/whl/cu121/nvidia-cublas-cu12/",
          "<a href=\"../../nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux1_x86_64.whl#sha256="
          SHA_A "\">x</a>\n<a href=\"../../nvidia_cublas_cu12-12.1.3.1-py3-none-any.whl#sha256="
          SHA_B "\">x</a>\n");
    /* PyPI: other versions, another platform, a yanked better tag, the file */
    parse(&ls[1], "http://m/pypi/simple/nvidia-cublas-cu12/",
          "<a href=\"../../p/nvidia_cublas_cu12-12.4.5.8-py3-none-manylinux2014_x86_64.whl#sha256="
          SHA_B "\">x</a>\n"
          "<a href=\"../../p/nvidia_cublas_cu12-12.1.3.1-py3-none-win_amd64.whl#sha256=" SHA_B
          "\">x</a>\n"
          "<a data-yanked=\"\" href=\"../../p/nvidia_cublas_cu12-12.1.3.1-py3-none-"
          "manylinux_2_28_x86_64.whl#sha256=" SHA_B "\">x</a>\n"
          "<a href=\"../../p/nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux1_x86_64.whl#sha256="
          SHA_A "\" data-requires-python=\"&gt;=3\">x</a>\n");
    struct pipfetch_wheel w;
    assert_int_equal(pipdeps_pick(ls, 2, "nvidia-cublas-cu12", "12.1.3.1", &t, &w, &err), 0);
    assert_string_equal(w.filename, "nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux1_x86_64.whl");
    assert_string_equal(w.project, "nvidia-cublas-cu12");
    assert_string_equal(w.sha256, SHA_A);
    assert_string_equal(w.requires_python, ">=3");
    assert_int_equal(w.dep, 1);
    assert_true(w.size < 0);
    /* of equal ones the last listed is pip's; the other mirror's copy joins */
    assert_int_equal(w.urls.n, 2);
    assert_string_equal(w.urls.v[0], "http://m/pypi/p/nvidia_cublas_cu12-12.1.3.1-py3-none-"
                                     "manylinux1_x86_64.whl");
    assert_string_equal(w.urls.v[1], "http://m/whl/nvidia_cublas_cu12-12.1.3.1-py3-none-"
                                     "manylinux1_x86_64.whl");
    pipfetch_wheel_clear(&w);
    /* a better tag on a later source wins; requires-python keeps one out */
    parse(&ls[2], "http://m/extra/nvidia-cublas-cu12/",
          "<a href=\"nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux_2_17_x86_64.whl#sha256="
          SHA_B "\" data-requires-python=\"&gt;=3.12\">x</a>\n"
          "<a href=\"nvidia_cublas_cu12-12.1.3.1-1-py3-none-manylinux1_x86_64.whl#sha256="
          SHA_B "\">x</a>\n");
    assert_int_equal(pipdeps_pick(ls, 3, "nvidia-cublas-cu12", "12.1.3.1", &t, &w, &err), 0);
    assert_string_equal(w.filename, "nvidia_cublas_cu12-12.1.3.1-1-py3-none-manylinux1_x86_64.whl");
    assert_string_equal(w.sha256, SHA_B);
    assert_int_equal(w.urls.n, 1);
    pipfetch_wheel_clear(&w);
    /* no such version / no fitting wheel: an error to note */
    assert_int_equal(pipdeps_pick(ls, 2, "nvidia-cublas-cu12", "12.2", &t, &w, &err), -1);
    assert_non_null(strstr(err, "no wheel"));
    free(err);
    err = NULL;
    assert_int_equal(pipdeps_pick(ls, 2, "nvidia-cudnn-cu12", "8.9.2.26", &t, &w, &err), -1);
    free(err);
    err = NULL;
    for (size_t i = 0; i < 3; i++)
        listing_free(&ls[i]);
    /* only a yanked file, or no sha256: left to pip */
    parse(&ls[0], "http://m/p/x/",
          "<a data-yanked=\"bad\" href=\"x-1.0-py3-none-any.whl#sha256=" SHA_A "\">x</a>\n"
          "<a href=\"x-2.0-py3-none-any.whl\">x</a>\n");
    assert_int_equal(pipdeps_pick(ls, 1, "x", "1.0", &t, &w, &err), -1);
    assert_non_null(strstr(err, "yanked"));
    free(err);
    err = NULL;
    assert_int_equal(pipdeps_pick(ls, 1, "x", "2.0", &t, &w, &err), -1);
    assert_non_null(strstr(err, "no sha256"));
    free(err);
    listing_free(&ls[0]);
    wheel_target_free(&t);
}

/* ---- handing over ------------------------------------------------------- */

static void test_links(void **state)
{
    (void)state;
    char *n = pipdeps_link_name("nvidia_cublas_cu12-12.1.3.1-py3-none-manylinux1_x86_64.whl");
    assert_string_equal(n, "nvidia_cublas_cu12-12.1.3.1-1torchshim-py3-none-manylinux1_x86_64.whl");
    free(n);
    n = pipdeps_link_name("triton-2.3.1-7-cp311-cp311-manylinux_2_17_x86_64."
                          "manylinux2014_x86_64.whl");
    assert_string_equal(n, "triton-2.3.1-8torchshim-cp311-cp311-manylinux_2_17_x86_64."
                           "manylinux2014_x86_64.whl");
    free(n);
    assert_null(pipdeps_link_name("not-a-wheel.tar.gz"));

    char *store = xasprintf("%s/store", test_home), *err = NULL;
    assert_int_equal(mkdir_p(store, 0700, &err), 0);
    struct pipfetch_wheel a = { .filename = xstrdup("a_b-1.0-py3-none-any.whl"),
                                .project = xstrdup("a-b"), .sha256 = xstrdup(SHA_A) };
    struct pipfetch_wheel b = { .filename = xstrdup("c-2.0-py3-none-any.whl"),
                                .project = xstrdup("c"), .sha256 = xstrdup(SHA_B) };
    char *da = xasprintf("%s/%s", store, a.filename), *db = xasprintf("%s/%s", store, b.filename);
    assert_int_equal(file_write_atomic(da, "A", 1, NULL, 0, 0644, &err), 0);
    assert_int_equal(file_write_atomic(db, "B", 1, NULL, 0, 0644, &err), 0);
    const struct pipfetch_wheel *w[2] = { &a, &b }, *rev[2] = { &b, &a };
    const char *dests[2] = { da, db }, *rdests[2] = { db, da };
    char *dir = NULL, *dir2 = NULL;
    assert_int_equal(pipdeps_write_links(store, w, dests, 2, &dir, &err), 0);
    char *prefix = xasprintf("%s/.links/", store);
    assert_int_equal(strncmp(dir, prefix, strlen(prefix)), 0);
    assert_int_equal(strlen(dir), strlen(prefix) + 16);
    char *l = xasprintf("%s/a_b-1.0-1torchshim-py3-none-any.whl", dir), target[PATH_MAX];
    ssize_t tl = readlink(l, target, sizeof target - 1);
    assert_true(tl > 0);
    target[tl] = '\0';
    assert_string_equal(target, da);
    /* the same set in another order: the same directory, written again */
    assert_int_equal(pipdeps_write_links(store, rev, rdests, 2, &dir2, &err), 0);
    assert_string_equal(dir, dir2);
    struct stat st;
    assert_int_equal(stat(l, &st), 0);   /* follows the link: the file */
    assert_int_equal(st.st_size, 1);
    free(dir2);
    /* another set: another directory */
    assert_int_equal(pipdeps_write_links(store, w, dests, 1, &dir2, &err), 0);
    assert_string_not_equal(dir, dir2);
    free(dir2);
    free(l);
    free(prefix);
    free(dir);
    free(da);
    free(db);
    pipfetch_wheel_clear(&a);
    pipfetch_wheel_clear(&b);
    free(store);
}

/* ---- when --------------------------------------------------------------- */

static void job_for(const char *cmd, struct config *cfg, struct pip_job *job)
{
    static const char conf[] =
        "[mirror \"local\"]\nwheels = http://127.0.0.1:1/whl/{variant}\nwheels-format = simple\n"
        "pypi = http://127.0.0.1:1/pypi/simple\n"
        "[use]\nwheels = local\npypi = local\n";
    char *err = NULL, *path = xasprintf("%s/deps.ini", test_home);
    struct strv in = STRV_INIT;
    assert_int_equal(file_write_atomic(path, conf, strlen(conf), NULL, 0, 0644, &err), 0);
    setenv("TORCHSHIM_CONFIG", path, 1);
    split_cmd(cmd, &in);
    assert_int_equal(config_load(cfg, &err), 0);
    if (pip_job_init(job, cfg, "/usr/bin/pip", (int)in.n, in.v, &err))
        fail_msg("%s: %s", cmd, err);
    if (pip_job_rewrite_sources(job, &err))
        fail_msg("%s: %s", cmd, err);
    job->wheels_site = config_site(cfg, "local");   /* as resolve_pip leaves it */
    snprintf(job->resolved_variant, sizeof job->resolved_variant, "cu121");
    strv_clear(&in);
    free(path);
}

static void test_applies(void **state)
{
    (void)state;
    char *req = xasprintf("%s/req.txt", test_home), *req2 = xasprintf("%s/req2.txt", test_home);
    char *err = NULL;
    assert_int_equal(file_write_atomic(req, "torch==2.3.1\n", 13, NULL, 0, 0644, &err), 0);
    assert_int_equal(file_write_atomic(req2, "-i http://corp/simple\ntorch\n", 28, NULL, 0, 0644,
                                       &err), 0);
    const char *pt = "--index-url https://download.pytorch.org/whl/cu121";
    struct { char *cmd; const char *env; const char *why; } cases[] = {
        { xasprintf("install torch==2.3.1 %s", pt), NULL, NULL },
        { xasprintf("install torch==2.3.1 --extra-index-url "
                    "https://download.pytorch.org/whl/cu121"), NULL, NULL },
        { xasprintf("install -r %s %s", req, pt), NULL, NULL },
        { xasprintf("install torch %s", pt), "PIP_EXTRA_INDEX_URL=https://pypi.org/simple", NULL },
        { xasprintf("install --no-deps torch %s", pt), NULL, "--no-deps" },
        { xasprintf("install --no-binary :all: torch %s", pt), NULL, "--no-binary" },
        { xasprintf("install --no-index torch %s", pt), NULL, "--no-index" },
        { xasprintf("install --require-hashes -r %s %s", req, pt), NULL, "--require-hashes" },
        { xasprintf("install torch %s", pt), "PIP_NO_INDEX=1", "--no-index" },
        { xasprintf("install torch %s --extra-index-url http://corp/simple", pt), NULL,
          "pip also reads http://corp/simple" },
        { xasprintf("install torch %s -f /srv/wheels", pt), NULL, "pip also reads /srv/wheels" },
        { xasprintf("install torch %s", pt), "PIP_EXTRA_INDEX_URL=http://corp/simple",
          "pip also reads http://corp/simple" },
        { xasprintf("install --isolated torch %s", pt), "PIP_EXTRA_INDEX_URL=http://corp/simple",
          NULL },
        { xasprintf("install -r %s %s", req2, pt), NULL,
          "a requirements file names indexes of its own" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        test_env_reset(test_home);
        if (cases[i].env)
            putenv((char *)cases[i].env);
        struct config cfg;
        struct pip_job job;
        char *why = NULL;
        job_for(cases[i].cmd, &cfg, &job);
        int got = pipdeps_applies(&job, &why);
        if (got != !cases[i].why || (cases[i].why && strcmp(why, cases[i].why)))
            fail_msg("%s [%s]: %d (%s)", cases[i].cmd, cases[i].env ? cases[i].env : "", got,
                     why ? why : "");
        if (cases[i].env) {
            char *name = xstrndup(cases[i].env, strcspn(cases[i].env, "="));
            unsetenv(name);
            free(name);
        }
        free(why);
        pip_job_free(&job);
        config_free(&cfg);
        free(cases[i].cmd);
    }
    free(req);
    free(req2);
}

static void test_sources(void **state)
{
    (void)state;
    struct config cfg;
    struct pip_job job;
    struct pip_sources s;
    test_env_reset(test_home);
    setenv("PIP_EXTRA_INDEX_URL", "http://e1/simple http://e2/simple", 1);
    setenv("PIP_FIND_LINKS", "/srv/f1", 1);
    setenv("PIP_INDEX_URL", "http://env/simple", 1);
    job_for("install torch -i http://x/simple --extra-index-url http://y/simple -f /srv/f2",
            &cfg, &job);
    pip_sources_collect(&job, &s);
    char *idx = strv_join(&s.index, " "), *flat = strv_join(&s.flat, " ");
    assert_string_equal(idx, "http://x/simple http://e1/simple http://e2/simple http://y/simple");
    assert_string_equal(flat, "/srv/f1 /srv/f2");
    assert_false(s.no_index);
    char *u = pip_sources_unknown(&job, &s);
    assert_string_equal(u, "http://x/simple");
    free(u);
    free(idx);
    free(flat);
    pip_sources_free(&s);
    pip_job_free(&job);
    config_free(&cfg);
    /* --isolated: neither the environment nor pip's files (the rewrite
     * gave the default index's torch install -i <PyPI mirror>) */
    job_for("install --isolated torch", &cfg, &job);
    pip_sources_collect(&job, &s);
    assert_int_equal(s.index.n, 1);
    assert_string_equal(s.index.v[0], "http://127.0.0.1:1/pypi/simple");
    assert_null(pip_sources_unknown(&job, &s));
    assert_int_equal(s.flat.n, 0);
    pip_sources_free(&s);
    pip_job_free(&job);
    config_free(&cfg);
    unsetenv("PIP_EXTRA_INDEX_URL");
    unsetenv("PIP_FIND_LINKS");
    unsetenv("PIP_INDEX_URL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_markers),
        cmocka_unit_test(test_rank),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_applies),
        cmocka_unit_test(test_sources),
    };
    return cmocka_run_group_tests(tests, test_home_setup, test_home_teardown);
}
