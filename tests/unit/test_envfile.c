/* test_envfile.c — environment.yml read, rewritten and written with libyaml;
 * every written file is read back by envfile itself and, when python3-yaml
 * is installed, by PyYAML (what conda-like tools would see). */
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
#include <unistd.h>

#include "envfile.h"
#include "fileio.h"
#include "msg.h"

static char tmp[64];

static char *P(const char *rel)
{
    static char buf[4][PATH_MAX];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, rel);
    return buf[k];
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    char *text = NULL, *err = NULL;
    assert_int_equal(file_read(path, 1 << 24, &text, NULL, &err), 0);
    return text;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/torchshim-envfile-XXXXXX");
    return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static int have_pyyaml(void)
{
    static int have = -1;
    if (have < 0)
        have = system("python3 -c 'import yaml' >/dev/null 2>&1") == 0;
    return have;
}

/* PyYAML's reading of PATH as JSON with sorted keys (malloc'd), or NULL
 * when python3-yaml is missing. */
static char *py_json(const char *path)
{
    if (!have_pyyaml())
        return NULL;
    char cmd[PATH_MAX + 256];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load("
             "open(sys.argv[1], encoding=\"utf-8\")), sort_keys=True, ensure_ascii=False))' '%s'",
             path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char *out = calloc(1, 1 << 16);
    size_t n = fread(out, 1, (1 << 16) - 1, f);
    out[n] = 0;
    assert_int_equal(pclose(f), 0);
    if (n && out[n - 1] == '\n')
        out[n - 1] = 0;
    return out;
}

static const char tutorial[] =
    "# environment.yml from the PyTorch tutorials\n"
    "name: torch-tutorial\n"
    "channels:\n"
    "  - pytorch\n"
    "  - nvidia\n"
    "  - conda-forge   # everything else\n"
    "dependencies:\n"
    "  - pytorch=2.3.1\n"
    "  - torchvision\n"
    "  - pytorch-cuda=12.1\n"
    "  - python=3.11\n"
    "  - pip\n"
    "  - pip:\n"
    "      - --index-url https://download.pytorch.org/whl/cu121\n"
    "      - torch==2.3.1\n"
    "      - -r requirements.txt\n";

static struct envfile *load(const char *path)
{
    struct envfile *ef = NULL;
    char *err = NULL;
    if (envfile_load(path, &ef, &err) != 0)
        fail_msg("%s", err);
    return ef;
}

static void expect(const struct envfile *ef, size_t (*count)(const struct envfile *),
                   const char *(*get)(const struct envfile *, size_t), const char *const *want)
{
    size_t n = 0;
    for (; want[n]; n++) {
        assert_non_null(get(ef, n));
        assert_string_equal(get(ef, n), want[n]);
    }
    assert_int_equal(count(ef), n);
    assert_null(get(ef, n));
}

static void test_tutorial(void **state)
{
    (void)state;
    put(P("environment.yml"), tutorial);
    struct envfile *ef = load(P("environment.yml"));
    assert_string_equal(envfile_name(ef), "torch-tutorial");
    assert_null(envfile_prefix(ef));
    assert_int_equal(envfile_nvariables(ef), 0);
    expect(ef, envfile_nchannels, envfile_channel,
           (const char *[]){ "pytorch", "nvidia", "conda-forge", NULL });
    expect(ef, envfile_ndeps, envfile_dep,
           (const char *[]){ "pytorch=2.3.1", "torchvision", "pytorch-cuda=12.1", "python=3.11",
                             "pip", NULL });
    assert_true(envfile_has_pip(ef));
    expect(ef, envfile_npip, envfile_pip,
           (const char *[]){ "--index-url https://download.pytorch.org/whl/cu121",
                             "torch==2.3.1", "-r requirements.txt", NULL });
    envfile_free(ef);
}

/* Nothing replaced: the same document comes back (comments aside). */
static void test_round_trip(void **state)
{
    (void)state;
    const char *rich =
        "%YAML 1.1\n"
        "---\n"
        "name: rich   # comment\n"
        "prefix: /opt/envs/rich\n"
        "channels: [pytorch, 'conda-forge']\n"
        "variables:\n"
        "  CUDA_HOME: /usr/local/cuda\n"
        "  OMP_NUM_THREADS: \"4\"\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - nodefaults_not: {nested: [1, 2.5, true, null]}\n"
        "  - \"numpy>=1.26\"\n"
        "  - pip:\n"
        "    - --extra-index-url https://download.pytorch.org/whl/cu121\n"
        "    - -f https://data.pyg.org/whl/torch-2.3.0+cu121.html\n"
        "    - torch-scatter\n"
        "unknown_key: &shared\n"
        "  x: !!str 3.10\n"
        "  y: 3.10\n"
        "  z: 'it''s # not a comment'\n"
        "again: *shared\n"
        "script: |\n"
        "  echo one\n"
        "  echo two\n"
        "folded: >\n"
        "  a b\n"
        "  c\n"
        "unicode: \"h\\u00e9llo \xe2\x9c\x93\"\n"
        "empty:\n"
        "long: https://example.com/" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
    put(P("rich.yml"), rich);
    struct envfile *ef = load(P("rich.yml"));
    assert_string_equal(envfile_prefix(ef), "/opt/envs/rich");
    const char *value = NULL;
    assert_int_equal(envfile_nvariables(ef), 2);
    assert_string_equal(envfile_variable(ef, 1, &value), "OMP_NUM_THREADS");
    assert_string_equal(value, "4");
    assert_null(envfile_variable(ef, 2, &value));
    expect(ef, envfile_ndeps, envfile_dep, (const char *[]){ "python=3.11", "numpy>=1.26", NULL });
    char *err = NULL;
    assert_int_equal(envfile_write(ef, P("out/rich.yml"), &err), 0);   /* creates out/ */
    envfile_free(ef);

    char *text = slurp(P("out/rich.yml"));
    assert_true(strncmp(text, "# Written by torchshim from ", 28) == 0);
    assert_non_null(strstr(text, "comments of the original are not kept"));
    assert_non_null(strstr(text, "script: |\n  echo one\n  echo two\n"));
    assert_non_null(strstr(text, "channels: [pytorch, 'conda-forge']\n"));
    free(text);
    struct envfile *back = load(P("out/rich.yml"));
    expect(back, envfile_nchannels, envfile_channel, (const char *[]){ "pytorch", "conda-forge",
                                                                       NULL });
    expect(back, envfile_npip, envfile_pip,
           (const char *[]){ "--extra-index-url https://download.pytorch.org/whl/cu121",
                             "-f https://data.pyg.org/whl/torch-2.3.0+cu121.html",
                             "torch-scatter", NULL });
    envfile_free(back);

    char *a = py_json(P("rich.yml")), *b = py_json(P("out/rich.yml"));
    assert_true(!have_pyyaml() || a);
    if (a) {
        assert_string_equal(a, b);
        assert_non_null(strstr(a, "\"x\": \"3.10\", \"y\": 3.1"));   /* the tag still counts */
    }
    free(a);
    free(b);
}

/* The rewrite torchshim does: mirrors for channels and pip, pinned builds. */
static void test_rewrite(void **state)
{
    (void)state;
    put(P("environment.yml"), tutorial);
    struct envfile *ef = load(P("environment.yml"));
    char *err = NULL;
    assert_int_equal(envfile_set_channel(ef, 0,
                                         "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/"
                                         "pytorch", &err), 0);
    assert_int_equal(envfile_remove_channel(ef, 1, &err), 0);   /* nvidia */
    assert_int_equal(envfile_insert_channel(ef, 1, "nvidia", &err), 0);
    assert_int_equal(envfile_insert_channel(ef, 3, "nodefaults", &err), 0);
    assert_int_equal(envfile_set_dep(ef, 0, "pytorch=2.3.1=py3.11_cuda12.1_cudnn8.9.2_0", &err), 0);
    assert_int_equal(envfile_set_pip(ef, 0, "--index-url https://mirrors.aliyun.com/pypi/simple",
                                     &err), 0);
    assert_int_equal(envfile_insert_pip(ef, 1, "-f https://mirrors.aliyun.com/pytorch-wheels/cu121",
                                        &err), 0);
    assert_int_equal(envfile_set_pip(ef, 2, "torch==2.3.1+cu121", &err), 0);
    assert_int_equal(envfile_insert_pip(ef, 4, "--no-cache-dir", &err), 0);
    assert_int_equal(envfile_remove_pip(ef, 4, &err), 0);
    assert_int_equal(envfile_write(ef, P("rewritten.yml"), &err), 0);
    envfile_free(ef);

    char *orig = slurp(P("environment.yml"));
    assert_string_equal(orig, tutorial);   /* the user's file is untouched */
    free(orig);
    struct envfile *back = load(P("rewritten.yml"));
    expect(back, envfile_nchannels, envfile_channel,
           (const char *[]){ "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch",
                             "nvidia", "conda-forge", "nodefaults", NULL });
    expect(back, envfile_ndeps, envfile_dep,
           (const char *[]){ "pytorch=2.3.1=py3.11_cuda12.1_cudnn8.9.2_0", "torchvision",
                             "pytorch-cuda=12.1", "python=3.11", "pip", NULL });
    expect(back, envfile_npip, envfile_pip,
           (const char *[]){ "--index-url https://mirrors.aliyun.com/pypi/simple",
                             "-f https://mirrors.aliyun.com/pytorch-wheels/cu121",
                             "torch==2.3.1+cu121", "-r requirements.txt", NULL });
    envfile_free(back);
    char *j = py_json(P("rewritten.yml"));
    if (j)
        assert_string_equal(
            j, "{\"channels\": [\"https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch\", "
               "\"nvidia\", \"conda-forge\", \"nodefaults\"], \"dependencies\": "
               "[\"pytorch=2.3.1=py3.11_cuda12.1_cudnn8.9.2_0\", \"torchvision\", "
               "\"pytorch-cuda=12.1\", \"python=3.11\", \"pip\", {\"pip\": [\"--index-url "
               "https://mirrors.aliyun.com/pypi/simple\", \"-f "
               "https://mirrors.aliyun.com/pytorch-wheels/cu121\", \"torch==2.3.1+cu121\", "
               "\"-r requirements.txt\"]}], \"name\": \"torch-tutorial\"}");
    free(j);
}

/* Values that plain YAML would read as numbers, bools or null stay strings;
 * a file without channels gets them. */
static void test_quoting_and_new_channels(void **state)
{
    (void)state;
    put(P("a.yml"), "name: a\ndependencies:\n  - python\n  - 'quoted'\nother: 1\n");
    put(P("b.yml"), "channels:\nname: b\n");
    put(P("c.yml"), "{dependencies: [python], name: c}\n");
    struct envfile *a = load(P("a.yml")), *b = load(P("b.yml")), *c = load(P("c.yml"));
    char *err = NULL;
    assert_int_equal(envfile_nchannels(a), 0);
    assert_int_equal(envfile_insert_channel(a, 0, "conda-forge", &err), 0);
    assert_int_equal(envfile_insert_channel(a, 0, "3.10", &err), 0);
    assert_int_equal(envfile_set_dep(a, 0, "yes", &err), 0);
    assert_int_equal(envfile_set_dep(a, 1, "null", &err), 0);   /* was single-quoted */
    assert_int_equal(envfile_insert_channel(b, 0, "pytorch", &err), 0);
    assert_int_equal(envfile_insert_channel(c, 0, "pytorch", &err), 0);
    assert_int_equal(envfile_write(a, P("a2.yml"), &err), 0);
    assert_int_equal(envfile_write(b, P("b2.yml"), &err), 0);
    assert_int_equal(envfile_write(c, P("c2.yml"), &err), 0);
    envfile_free(a);
    envfile_free(b);
    envfile_free(c);
    char *text = slurp(P("a2.yml"));
    assert_non_null(strstr(text, "name: a\nchannels:\n- \"3.10\"\n- conda-forge\ndependencies:"));
    free(text);
    a = load(P("a2.yml"));
    expect(a, envfile_nchannels, envfile_channel, (const char *[]){ "3.10", "conda-forge", NULL });
    expect(a, envfile_ndeps, envfile_dep, (const char *[]){ "yes", "null", NULL });
    envfile_free(a);
    const char *want[][2] = {
        { "a2.yml", "{\"channels\": [\"3.10\", \"conda-forge\"], \"dependencies\": [\"yes\", "
                    "\"null\"], \"name\": \"a\", \"other\": 1}" },
        { "b2.yml", "{\"channels\": [\"pytorch\"], \"name\": \"b\"}" },
        { "c2.yml", "{\"channels\": [\"pytorch\"], \"dependencies\": [\"python\"], \"name\": \"c\"}" },
    };
    for (size_t i = 0; i < 3; i++) {
        char *j = py_json(P(want[i][0]));
        if (j)
            assert_string_equal(j, want[i][1]);
        free(j);
    }
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "envfile_load blocked\n";
    (void)!write(2, msg, sizeof msg - 1);
    _exit(3);
}

static void expect_parse_error(const char *text, size_t len, const char *what)
{
    struct envfile *ef = (struct envfile *)1;
    char *err = NULL;
    assert_int_equal(envfile_parse(text, len, "env.yml", &ef, &err), -1);
    assert_null(ef);
    assert_non_null(err);
    if (!strstr(err, what))
        fail_msg("\"%s\" does not say \"%s\"", err, what);
    free(err);
}

static void test_errors(void **state)
{
    (void)state;
    expect_parse_error("- a\n- b\n", 8, "top level is not a mapping");
    expect_parse_error("", 0, "top level is not a mapping");
    expect_parse_error("name: a\n---\nname: b\n", 20, "more than one YAML document");
    expect_parse_error("name: [a\n", 9, "line 2");
    expect_parse_error("channels: conda-forge\n", 22, "\"channels\" is not a list");
    expect_parse_error("name: a\0b\n", 10, "control characters are not allowed");
    char deep[200];
    memset(deep, '[', 65);
    strcpy(deep + 65, "\n");
    expect_parse_error(deep, strlen(deep), "nested more than 64 levels");
    size_t big = ENVFILE_MAX_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    expect_parse_error(huge, big, "too large");
    free(huge);

    char *err = NULL;
    struct envfile *ef = NULL;
    assert_int_equal(mkfifo(P("fifo.yml"), 0644), 0);
    signal(SIGALRM, on_alarm);
    alarm(20);
    assert_int_equal(envfile_load(P("fifo.yml"), &ef, &err), -1);
    alarm(0);
    assert_non_null(strstr(err, "not a regular file"));
    free(err), err = NULL;
    int fd = open(P("big.yml"), O_WRONLY | O_CREAT, 0644);   /* 100 MB, sparse */
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 100L * 1024 * 1024), 0);
    close(fd);
    assert_int_equal(envfile_load(P("big.yml"), &ef, &err), -1);
    assert_non_null(strstr(err, "too large"));
    free(err), err = NULL;
    assert_int_equal(envfile_load(P("missing.yml"), &ef, &err), -1);
    assert_non_null(strstr(err, "does not exist"));
    free(err), err = NULL;

    put(P("env.yml"), "name: x\ndependencies: [python]\n");
    ef = load(P("env.yml"));
    char *before = NULL, *after = NULL;
    assert_int_equal(envfile_emit(ef, &before, NULL, &err), 0);
    assert_int_equal(envfile_set_channel(ef, 0, "x", &err), -1);
    free(err), err = NULL;
    assert_int_equal(envfile_set_dep(ef, 1, "x", &err), -1);
    free(err), err = NULL;
    assert_int_equal(envfile_insert_channel(ef, 1, "x", &err), -1);
    free(err), err = NULL;
    assert_int_equal(envfile_insert_pip(ef, 0, "torch", &err), -1);
    assert_non_null(strstr(err, "no \"- pip:\" list"));
    free(err), err = NULL;
    assert_int_equal(envfile_set_dep(ef, 0, "bad \xff utf-8", &err), -1);
    free(err), err = NULL;
    assert_int_equal(envfile_remove_pip(ef, 0, &err), -1);
    free(err), err = NULL;
    assert_int_equal(envfile_emit(ef, &after, NULL, &err), 0);
    assert_string_equal(before, after);   /* failed edits changed nothing */
    free(before);
    free(after);
    envfile_free(ef);
}

int main(void)
{
    msg_init_from_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tutorial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rewrite, setup, teardown),
        cmocka_unit_test_setup_teardown(test_quoting_and_new_channels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
    };
    if (!have_pyyaml())
        fprintf(stderr, "test_envfile: python3-yaml is missing: PyYAML cross-checks skipped\n");
    return cmocka_run_group_tests_name("envfile", tests, NULL, NULL);
}
