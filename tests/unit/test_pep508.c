/* test_pep508.c — requirement strings, PEP 503 names, re-serialisation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pep508.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_normalize(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "torch", "torch" },
        { "Torch", "torch" },
        { "torch_vision", "torch-vision" },
        { "Friendly-Bard", "friendly-bard" },
        { "FRIENDLY-BARD", "friendly-bard" },
        { "friendly.bard", "friendly-bard" },
        { "friendly_bard", "friendly-bard" },
        { "friendly--bard", "friendly-bard" },
        { "FrIeNdLy-._.-bArD", "friendly-bard" },
        { "nvidia_cudnn_cu12", "nvidia-cudnn-cu12" },
        { "pytorch-triton-rocm", "pytorch-triton-rocm" },
        { "zope.interface", "zope-interface" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        char *s = pep503_normalize(cases[i].in);
        assert_string_equal(s, cases[i].out);
        free(s);
    }
    static const struct {
        const char *name;
        int valid;
    } names[] = {
        { "torch", 1 }, { "t", 1 }, { "torch_vision", 1 }, { "zope.interface", 1 },
        { "1password", 1 }, { "-torch", 0 }, { "torch-", 0 }, { "torch.", 0 },
        { "", 0 }, { "tor ch", 0 }, { "torch+cu121", 0 },
    };
    for (size_t i = 0; i < N(names); i++)
        if (pep508_name_valid(names[i].name) != names[i].valid)
            fail_msg("name_valid('%s')", names[i].name);
}

/* A requirement and what must come out of it. extras are joined by ",". */
static const struct {
    const char *in;
    const char *name, *norm, *extras, *spec, *url, *marker, *options;
    const char *formatted;
} good[] = {
    { "torch", "torch", "torch", "", "", NULL, NULL, NULL, "torch" },
    { "torch>=1.13,<2.4", "torch", "torch", "", ">=1.13,<2.4", NULL, NULL, NULL,
      "torch>=1.13,<2.4" },
    { "torch==2.3.1+cu121", "torch", "torch", "", "==2.3.1+cu121", NULL, NULL, NULL,
      "torch==2.3.1+cu121" },
    { "torchvision ; platform_system != \"Darwin\"", "torchvision", "torchvision", "", "",
      NULL, "platform_system != \"Darwin\"", NULL,
      "torchvision; platform_system != \"Darwin\"" },
    { "torch[opt-einsum]>=2.0", "torch", "torch", "opt-einsum", ">=2.0", NULL, NULL, NULL,
      "torch[opt-einsum]>=2.0" },
    { "  torch >= 1.13 , < 2.4  ", "torch", "torch", "", ">=1.13,<2.4", NULL, NULL, NULL,
      "torch>=1.13,<2.4" },
    { "torch (>=2.0)", "torch", "torch", "", ">=2.0", NULL, NULL, NULL, "torch>=2.0" },
    { "torch(>=2.0,<3)", "torch", "torch", "", ">=2.0,<3", NULL, NULL, NULL,
      "torch>=2.0,<3" },
    { "Torch_Audio==2.3.1", "Torch_Audio", "torch-audio", "", "==2.3.1", NULL, NULL, NULL,
      "Torch_Audio==2.3.1" },
    { "torch[ opt-einsum , optree ] ~= 2.2.0", "torch", "torch", "opt-einsum,optree",
      "~=2.2.0", NULL, NULL, NULL, "torch[opt-einsum,optree]~=2.2.0" },
    { "torch[]", "torch", "torch", "", "", NULL, NULL, NULL, "torch" },
    { "torch==2.6.0.dev20241112+cu121", "torch", "torch", "", "==2.6.0.dev20241112+cu121",
      NULL, NULL, NULL, "torch==2.6.0.dev20241112+cu121" },
    { "torch>=2.0.0; sys_platform == 'linux' and python_version >= '3.8'", "torch", "torch",
      "", ">=2.0.0", NULL, "sys_platform == 'linux' and python_version >= '3.8'", NULL,
      "torch>=2.0.0; sys_platform == 'linux' and python_version >= '3.8'" },
    { "torch @ https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
      "torch", "torch", "", "",
      "https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
      NULL, NULL,
      "torch @ https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl" },
    { "torch@https://h/t.whl#sha256=ab ; python_version >= \"3.8\"", "torch", "torch", "", "",
      "https://h/t.whl#sha256=ab", "python_version >= \"3.8\"", NULL,
      "torch @ https://h/t.whl#sha256=ab ; python_version >= \"3.8\"" },
    { "torch==2.3.1 --hash=sha256:0123abcd", "torch", "torch", "", "==2.3.1", NULL, NULL,
      "--hash=sha256:0123abcd", "torch==2.3.1 --hash=sha256:0123abcd" },
    { "torch==2.3.1  # CUDA build", "torch", "torch", "", "==2.3.1", NULL, NULL, NULL,
      "torch==2.3.1" },
    { "torchaudio==2.3.1 ; python_version < \"3.13\" --no-binary :none:", "torchaudio",
      "torchaudio", "", "==2.3.1", NULL, "python_version < \"3.13\"", "--no-binary :none:",
      "torchaudio==2.3.1; python_version < \"3.13\" --no-binary :none:" },
    { "xformers!=0.0.26,>=0.0.23", "xformers", "xformers", "", "!=0.0.26,>=0.0.23", NULL, NULL,
      NULL, "xformers!=0.0.26,>=0.0.23" },
    { "torchtext==0.18.*", "torchtext", "torchtext", "", "==0.18.*", NULL, NULL, NULL,
      "torchtext==0.18.*" },
    { "pytorch-lightning>=2.0;python_version>='3.8'", "pytorch-lightning", "pytorch-lightning",
      "", ">=2.0", NULL, "python_version>='3.8'", NULL,
      "pytorch-lightning>=2.0; python_version>='3.8'" },
};

static char *join(const struct strv *sv)
{
    size_t len = 1;
    for (size_t i = 0; i < sv->n; i++)
        len += strlen(sv->v[i]) + 1;
    char *s = calloc(1, len);
    assert_non_null(s);
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, sv->v[i]);
    }
    return s;
}

static void check_opt(const char *what, const char *in, const char *got, const char *want)
{
    if (!want && got)
        fail_msg("%s of '%s': got '%s', want none", what, in, got);
    if (want && (!got || strcmp(got, want) != 0))
        fail_msg("%s of '%s': got '%s', want '%s'", what, in, got ? got : "(null)", want);
}

static void test_parse_good(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(good); i++) {
        struct pep508_req r;
        char *err = NULL;
        int rc = pep508_parse(good[i].in, &r, &err);
        if (rc != PEP508_OK)
            fail_msg("'%s': %d %s", good[i].in, rc, err);
        assert_null(err);
        assert_string_equal(r.name, good[i].name);
        assert_string_equal(r.norm_name, good[i].norm);
        char *ex = join(&r.extras);
        check_opt("extras", good[i].in, ex, good[i].extras);
        free(ex);
        char *spec = pep440_specset_str(&r.spec);
        check_opt("spec", good[i].in, spec, good[i].spec);
        free(spec);
        check_opt("url", good[i].in, r.url, good[i].url);
        check_opt("marker", good[i].in, r.marker, good[i].marker);
        check_opt("options", good[i].in, r.options, good[i].options);
        char *f = pep508_format(&r);
        check_opt("format", good[i].in, f, good[i].formatted);
        /* what we print must parse back to the same thing */
        struct pep508_req again;
        assert_int_equal(pep508_parse(f, &again, NULL), PEP508_OK);
        char *f2 = pep508_format(&again);
        assert_string_equal(f, f2);
        free(f2);
        pep508_free(&again);
        free(f);
        pep508_free(&r);
    }
}

/* input, expected code, a word the message must contain */
static const struct {
    const char *in;
    int rc;
    const char *msg;
} bad[] = {
    { "", PEP508_INVALID, "empty" },
    { "   # just a comment", PEP508_INVALID, "empty" },
    { "-e .", PEP508_UNNAMED, "option" },
    { "-r requirements.txt", PEP508_UNNAMED, "option" },
    { "--index-url https://download.pytorch.org/whl/cu121", PEP508_UNNAMED, "option" },
    { ".", PEP508_UNNAMED, "path" },
    { "./vendor/torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl", PEP508_UNNAMED, "path" },
    { "/tmp/wheels/torch-2.3.1-cp312-cp312-linux_x86_64.whl", PEP508_UNNAMED, "path" },
    { "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl", PEP508_UNNAMED, "path" },
    { "torchvision-0.18.1.tar.gz", PEP508_UNNAMED, "path" },
    { "C:\\wheels\\torch-2.3.1-cp312-cp312-win_amd64.whl", PEP508_UNNAMED, "path" },
    { "https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
      PEP508_UNNAMED, "URL" },
    { "git+https://github.com/pytorch/vision.git@v0.18.1", PEP508_UNNAMED, "URL" },
    { "file:///srv/wheels/torch.whl", PEP508_UNNAMED, "URL" },
    { "vendor/torchaudio", PEP508_UNNAMED, "path" },
    { "torch>=", PEP508_INVALID, "invalid" },
    { "torch=2.3.1", PEP508_INVALID, "invalid" },
    { "torch 2.3.1", PEP508_INVALID, "invalid" },
    { "torch[opt-einsum", PEP508_INVALID, "extras" },
    { "torch[opt einsum]", PEP508_INVALID, "extras" },
    { "torch (>=2.0", PEP508_INVALID, ")" },
    { "torch;", PEP508_INVALID, "marker" },
    { "torch @ ", PEP508_INVALID, "URL" },
    { ">=2.0", PEP508_INVALID, "name" },
    { "_torch", PEP508_INVALID, "name" },
    { "torch>=2.4,", PEP508_INVALID, "invalid" },
    { "torch==2.3.1+cu121+x", PEP508_INVALID, "invalid" },
};

static void test_parse_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(bad); i++) {
        struct pep508_req r;
        char *err = NULL;
        int rc = pep508_parse(bad[i].in, &r, &err);
        if (rc != bad[i].rc)
            fail_msg("'%s': got %d, want %d", bad[i].in, rc, bad[i].rc);
        assert_non_null(err);
        if (!strstr(err, bad[i].msg))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].in, err, bad[i].msg);
        assert_null(r.name);
        free(err);
        pep508_free(&r);
    }
    /* err may be NULL */
    struct pep508_req r;
    assert_int_equal(pep508_parse("-e .", &r, NULL), PEP508_UNNAMED);
    assert_int_equal(pep508_parse(NULL, &r, NULL), PEP508_INVALID);
}

/* Replacing the specifier keeps name, extras, marker and options. */
static void test_set_specifier(void **state)
{
    (void)state;
    static const struct {
        const char *in, *spec, *out;
    } cases[] = {
        { "torch", "==2.3.1+cu121", "torch==2.3.1+cu121" },
        { "torch>=1.13,<2.4", "==2.3.1+cu121", "torch==2.3.1+cu121" },
        { "torch[opt-einsum]>=2.0", "==2.3.1+cu121", "torch[opt-einsum]==2.3.1+cu121" },
        { "torchvision ; platform_system != \"Darwin\"", "==0.18.1+cu121",
          "torchvision==0.18.1+cu121; platform_system != \"Darwin\"" },
        { "torchaudio (==2.3.1) ; python_version >= \"3.8\"", "==2.3.1+cu118",
          "torchaudio==2.3.1+cu118; python_version >= \"3.8\"" },
        { "torch @ https://h/torch.whl ; python_version >= \"3.8\"", "==2.3.1+cpu",
          "torch==2.3.1+cpu; python_version >= \"3.8\"" },
        { "torch==2.3.1 --hash=sha256:00ff", "==2.3.1+cu121",
          "torch==2.3.1+cu121 --hash=sha256:00ff" },
        { "torch==2.5.1", "==2.6.0.dev20241112+cu124", "torch==2.6.0.dev20241112+cu124" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct pep508_req r;
        assert_int_equal(pep508_parse(cases[i].in, &r, NULL), PEP508_OK);
        char *err = NULL;
        assert_int_equal(pep508_set_specifier(&r, cases[i].spec, &err), 0);
        assert_null(err);
        char *f = pep508_format(&r);
        assert_string_equal(f, cases[i].out);
        free(f);
        pep508_free(&r);
    }
    /* a bad specifier leaves the requirement alone */
    struct pep508_req r;
    char *err = NULL;
    assert_int_equal(pep508_parse("torch>=2.0", &r, NULL), PEP508_OK);
    assert_int_equal(pep508_set_specifier(&r, "=2.3", &err), -1);
    assert_non_null(err);
    free(err);
    char *f = pep508_format(&r);
    assert_string_equal(f, "torch>=2.0");
    free(f);
    pep508_free(&r);
}

/* The specifier of a parsed requirement is usable for matching. */
static void test_spec_usable(void **state)
{
    (void)state;
    static const struct {
        const char *req, *ver;
        int match;
    } cases[] = {
        { "torch>=1.13,<2.4", "2.3.1+cu121", 1 },
        { "torch>=1.13,<2.4", "2.4.0", 0 },
        { "torch (==2.3.1)", "2.3.1+cu121", 1 },
        { "torch==2.3.1+cu118", "2.3.1+cu121", 0 },
        { "torchvision ; platform_system != \"Darwin\"", "0.18.1+cu121", 1 },
        { "torch[opt-einsum]>=2.0", "1.13.1+cu117", 0 },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct pep508_req r;
        struct pep440 v;
        assert_int_equal(pep508_parse(cases[i].req, &r, NULL), PEP508_OK);
        assert_int_equal(pep440_parse(cases[i].ver, &v), 0);
        if (pep440_specset_match(&r.spec, &v, 0) != cases[i].match)
            fail_msg("'%s' vs %s", cases[i].req, cases[i].ver);
        pep440_free(&v);
        pep508_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_set_specifier),
        cmocka_unit_test(test_spec_usable),
    };
    return cmocka_run_group_tests_name("pep508", tests, NULL, NULL);
}
