/* test_classify.c — the front end's one decision. "Engine" may be a false
 * alarm (the engine passes it through); "pass" must never miss a PyTorch
 * install. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "classify.h"
#include "testutil.h"

struct kcase {
    enum tool_mode mode;
    const char *args;
    enum verdict want;
};

#define P MODE_PIP
#define C MODE_CONDA
#define PASS VERDICT_PASS
#define ENG VERDICT_ENGINE

static const struct kcase cases[] = {
    { P, "install torch", ENG },
    { P, "install numpy", PASS },
    { P, "install torch==2.0.0 torchvision==0.15.1 torchaudio==2.0.1 --index-url https://download.pytorch.org/whl/cu118", ENG },
    { P, "install numpy --index-url https://download.pytorch.org/whl/cu118", ENG },
    { P, "install -U TORCH", ENG },
    { P, "--proxy http://x:3128 install torchvision", ENG },
    { P, "--proxy http://torch-proxy:3128 list", PASS },
    { P, "list", PASS },
    { P, "show torch", PASS },
    { P, "uninstall torch", PASS },
    { P, "freeze", PASS },
    { P, "--version", PASS },
    { P, "", PASS },
    { P, "download torch -d /tmp", ENG },
    { P, "wheel torchaudio", ENG },
    { P, "install -r /nonexistent/requirements.txt", ENG },  /* unreadable: ask */
    { C, "install pytorch -c pytorch", ENG },
    { C, "install numpy", PASS },
    { C, "install cpuonly -c pytorch", ENG },
    { C, "create -n torch python=3.10", PASS },
    { C, "create -n pytorch python=3.8", PASS },             /* seed 000 */
    { C, "create --name=pytorch python=3.10", PASS },
    { C, "create -npytorch python=3.10", PASS },
    { C, "create -p /opt/envs/torch python=3.10", PASS },
    { C, "create -n pytorch python=3.10 pytorch -c pytorch", ENG },
    { C, "activate torch", PASS },
    { C, "search pytorch", PASS },
    { C, "list", PASS },
    { C, "-r /opt/mm install pytorch", ENG },
    { C, "update --all", PASS },
    { C, "install --file /nonexistent/specs.txt", ENG },
};

static void test_case(void **state)
{
    const struct kcase *c = *state;
    struct strv a = STRV_INIT;
    split_cmd(c->args, &a);
    enum verdict got = classify(c->mode, (int)a.n, a.v);
    if (got != c->want)
        fail_msg("%s %s: want %s", c->mode == P ? "pip" : "conda", c->args,
                 c->want == ENG ? "engine" : "pass");
    strv_clear(&a);
}

/* requirements files: the content decides */
static void test_requirement_files(void **state)
{
    (void)state;
    char dir[] = "/tmp/ts-classify-XXXXXX";  /* no "torch" in it */
    assert_non_null(mkdtemp(dir));
    static const struct { const char *content; enum verdict want; } files[] = {
        { "numpy\nrequests>=2\n", PASS },
        { "numpy\ntorch>=2.0\n", ENG },
        { "--index-url https://download.pytorch.org/whl/cu121\nnumpy\n", ENG },
        { "numpy\n-r other.txt\n", ENG },  /* nested: cannot tell */
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[256], arg[300];
        snprintf(path, sizeof path, "%s/r%zu.txt", dir, i);
        FILE *f = fopen(path, "w");
        fputs(files[i].content, f);
        fclose(f);
        const char *forms[] = { "-r %s", "-r%s", "--requirement=%s", "--requirement %s",
                                "-Ur %s", "-c %s" };
        for (size_t k = 0; k < sizeof forms / sizeof *forms; k++) {
            snprintf(arg, sizeof arg, forms[k], path);
            char cmd[400];
            snprintf(cmd, sizeof cmd, "install %s", arg);
            struct strv a = STRV_INIT;
            split_cmd(cmd, &a);
            if (classify(MODE_PIP, (int)a.n, a.v) != files[i].want)
                fail_msg("pip %s with %s", cmd, files[i].content);
            strv_clear(&a);
        }
        unlink(path);
    }
    rmdir(dir);
}

/* PIP_INDEX_URL naming download.pytorch.org makes any install ours */
static void test_env(void **state)
{
    (void)state;
    char *args[] = { "install", "numpy" };
    setenv("PIP_EXTRA_INDEX_URL", "https://download.pytorch.org/whl/cu121", 1);
    assert_int_equal(classify(MODE_PIP, 2, args), VERDICT_ENGINE);
    unsetenv("PIP_EXTRA_INDEX_URL");
    assert_int_equal(classify(MODE_PIP, 2, args), VERDICT_PASS);
}

#define NCASES (sizeof cases / sizeof *cases)

int main(void)
{
    unsetenv("PIP_INDEX_URL");
    unsetenv("PIP_FIND_LINKS");
    struct CMUnitTest tests[NCASES + 2] = {
        cmocka_unit_test(test_requirement_files),
        cmocka_unit_test(test_env),
    };
    static char names[NCASES][200];
    for (size_t i = 0; i < NCASES; i++) {
        snprintf(names[i], sizeof names[i], "classify %s %s",
                 cases[i].mode == P ? "pip" : "conda", cases[i].args);
        tests[2 + i] = (struct CMUnitTest){ names[i], test_case, NULL, NULL, (void *)&cases[i] };
    }
    return _cmocka_run_group_tests("classify", tests, NCASES + 2, NULL, NULL);
}
