/* test_coremeta.c — core metadata headers: the fields read, unfolding, line
 * ends, the end of the headers, errors, and the Requires-Dist lookup by
 * PEP 503 name. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "coremeta.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* torchvision 0.20.1's METADATA, as bdist_wheel writes it (shortened
 * description). */
static const char torchvision[] =
    "Metadata-Version: 2.1\n"
    "Name: torchvision\n"
    "Version: 0.20.1+cu124\n"
    "Summary: image and video datasets and models for torch deep learning\n"
    "Home-page: https://github.com/pytorch/vision\n"
    "Author: PyTorch Core Team\n"
    "Author-email: soumith@pytorch.org\n"
    "License: BSD\n"
    "Requires-Python: >=3.8\n"
    "Description-Content-Type: text/markdown\n"
    "License-File: LICENSE\n"
    "Requires-Dist: numpy\n"
    "Requires-Dist: torch ==2.5.1\n"
    "Requires-Dist: pillow !=8.3.*,>=5.3.0\n"
    "Provides-Extra: gdown\n"
    "Requires-Dist: gdown >=4.7.3 ; extra == 'gdown'\n"
    "Provides-Extra: scipy\n"
    "Requires-Dist: scipy ; extra == 'scipy'\n"
    "\n"
    "# torchvision\n"
    "\n"
    "Requires-Dist: this-is-the-description ==1\n"
    "Name: not-a-header\n";

static void test_torchvision(void **state)
{
    (void)state;
    struct coremeta m;
    char *err = NULL;
    assert_int_equal(coremeta_parse(torchvision, strlen(torchvision), &m, &err), 0);
    assert_null(err);
    assert_string_equal(m.metadata_version, "2.1");
    assert_string_equal(m.name, "torchvision");
    assert_string_equal(m.version, "0.20.1+cu124");
    assert_string_equal(m.requires_python, ">=3.8");
    static const char *const want[] = {
        "numpy", "torch ==2.5.1", "pillow !=8.3.*,>=5.3.0", "gdown >=4.7.3 ; extra == 'gdown'",
        "scipy ; extra == 'scipy'",
    };
    assert_int_equal(m.requires_dist.n, N(want));
    for (size_t i = 0; i < N(want); i++)
        assert_string_equal(m.requires_dist.v[i], want[i]);

    struct strv out = STRV_INIT;
    assert_int_equal(coremeta_requirements_for(&m, "torch", &out), 1);
    assert_string_equal(out.v[0], "torch ==2.5.1");
    assert_int_equal(coremeta_requirements_for(&m, "SciPy", &out), 1);
    assert_string_equal(out.v[1], "scipy ; extra == 'scipy'");
    assert_int_equal(coremeta_requirements_for(&m, "torchaudio", &out), 0);
    assert_int_equal(coremeta_requirements_for(&m, "this-is-the-description", &out), 0);
    assert_int_equal(out.n, 2);
    strv_clear(&out);
    coremeta_free(&m);
    coremeta_free(&m); /* safe twice */
}

/* Folded values, CRLF, field names in any case, first single field wins,
 * markers and several lines for one dependency, PEP 503 names. */
static void test_folding_and_names(void **state)
{
    (void)state;
    static const char text[] =
        "metadata-version: 2.3\r\n"
        "NAME:   Torch_Audio  \r\n"
        "name: other\r\n"
        "Version:\r\n"
        "  2.5.1\r\n"
        "Requires-Dist: Torch ==2.5.1 ;\r\n"
        "\tplatform_system != \"Darwin\"\r\n"
        "Requires-Dist: torch==2.5.0; platform_system == \"Darwin\"\r\n"
        "Requires-Dist: torch.audio-helper>=1\r\n"
        "Requires-Dist: (not a requirement\r\n"
        "Classifier: Programming Language :: Python\r\n"
        "   :: 3\r\n"
        "Requires-Python: >=3.9\r\n"
        "\r\n"
        "Requires-Dist: evil\r\n";
    struct coremeta m;
    assert_int_equal(coremeta_parse(text, strlen(text), &m, NULL), 0);
    assert_string_equal(m.metadata_version, "2.3");
    assert_string_equal(m.name, "Torch_Audio");
    assert_string_equal(m.version, "2.5.1");
    assert_string_equal(m.requires_python, ">=3.9");
    assert_int_equal(m.requires_dist.n, 4);
    assert_string_equal(m.requires_dist.v[0], "Torch ==2.5.1 ; platform_system != \"Darwin\"");

    struct strv out = STRV_INIT;
    assert_int_equal(coremeta_requirements_for(&m, "torch", &out), 2);
    assert_string_equal(out.v[0], "Torch ==2.5.1 ; platform_system != \"Darwin\"");
    assert_string_equal(out.v[1], "torch==2.5.0; platform_system == \"Darwin\"");
    strv_clear(&out);
    assert_int_equal(coremeta_requirements_for(&m, "Torch_Audio-Helper", &out), 1);
    assert_string_equal(out.v[0], "torch.audio-helper>=1");
    strv_clear(&out);
    coremeta_free(&m);

    /* No trailing newline, no body, no Requires-Python, whitespace-only
     * continuation lines. */
    static const char bare[] = "Name: a\nVersion: 1\n \nRequires-Dist: b";
    assert_int_equal(coremeta_parse(bare, strlen(bare), &m, NULL), 0);
    assert_null(m.metadata_version);
    assert_null(m.requires_python);
    assert_string_equal(m.version, "1");
    assert_int_equal(m.requires_dist.n, 1);
    assert_string_equal(m.requires_dist.v[0], "b");
    coremeta_free(&m);

    /* Only len bytes are read. */
    static const char cut[] = "Name: a\nVersion: 1\nRequires-Dist: b\n";
    assert_int_equal(coremeta_parse(cut, 19, &m, NULL), 0);
    assert_int_equal(m.requires_dist.n, 0);
    coremeta_free(&m);
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *msg;
    } cases[] = {
        { "", 0, "without a Name" },
        { "Version: 1\n", 0, "without a Name" },
        { "Name: a\n", 0, "without a Version" },
        { "Name: a\nVersion:\n\nVersion: 2\n", 0, "without a Version" },
        { "Name: a\nthis is not a header\nVersion: 1\n", 0, "line 2: not a 'Field: value'" },
        { " Name: a\nVersion: 1\n", 0, "line 1: continuation before any field" },
        { ": a\nName: a\nVersion: 1\n", 0, "line 1: not a 'Field: value'" },
        { "Na me: a\nName: a\nVersion: 1\n", 0, "line 1: not a 'Field: value'" },
        { "Name: a\nVersion: 1\0\n", 20, "line 2: NUL byte" },
        { "<html><body>404 Not Found</body></html>\n", 0, "line 1" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct coremeta m;
        char *err = NULL;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        assert_int_equal(coremeta_parse(cases[i].text, len, &m, &err), -1);
        assert_non_null(err);
        if (!strstr(err, cases[i].msg))
            fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].msg);
        assert_null(m.name);
        assert_null(m.requires_dist.v);
        free(err);
        coremeta_free(&m);
    }

    /* Bounded input: over the limit is refused before it is read. */
    size_t big = COREMETA_MAX_INPUT + 1;
    char *text = calloc(1, big);
    assert_non_null(text);
    memcpy(text, "Name: a\nVersion: 1\n\n", 20); /* then NUL bytes: the body */
    struct coremeta m;
    char *err = NULL;
    assert_int_equal(coremeta_parse(text, big, &m, &err), -1);
    assert_non_null(strstr(err, "over the limit"));
    free(err);
    /* At the limit, a long body after the headers is fine. */
    assert_int_equal(coremeta_parse(text, big - 1, &m, &err), 0);
    assert_string_equal(m.name, "a");
    coremeta_free(&m);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_torchvision),
        cmocka_unit_test(test_folding_and_names),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests_name("coremeta", tests, NULL, NULL);
}
