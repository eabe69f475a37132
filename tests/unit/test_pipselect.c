/* test_pipselect.c — the pairing table and the pin decision. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pipselect.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define MAXREQ 6
#define MAXFILES 24

/* ---- the pairing table ---- */

static char *shipped_table_path(void)
{
    const char *top = getenv("TORCHSHIM_TOP");
    char *p = malloc(4096);
    assert_non_null(p);
    snprintf(p, 4096, "%s/config/pairing.tsv", top && *top ? top : ".");
    return p;
}

/* The shipped table says what the reference table says. */
static void test_pairing_shipped(void **state)
{
    (void)state;
    struct pairing_table t;
    char *err = NULL;
    char *path = shipped_table_path();
    if (pairing_load(path, &t, &err) != 0)
        fail_msg("%s", err);
    free(path);
    assert_int_equal(t.n, 27);
    for (size_t i = 1; i < t.n; i++)
        for (int c = 0; c < PAIRING_NPKG; c++)
            if (pep440_cmp(&t.rows[i - 1].version[c], &t.rows[i].version[c]) >= 0)
                fail_msg("row %zu: %s not newer than the row before", i, t.rows[i].text[c]);

    static const struct {
        const char *torch, *vision, *audio;
        int pmin, pmax; /* minor of python_min / python_max */
        const char *variant;
    } rows[] = {
        { "1.10.0", "0.11.1", "0.10.0", 6, 9, "cu111" },
        { "1.10.2", "0.11.3", "0.10.2", 6, 9, "cu113" },
        { "1.11.0", "0.12.0", "0.11.0", 7, 10, "cu115" },
        { "1.12.1", "0.13.1", "0.12.1", 7, 10, "cu116" },
        { "1.13.1+cu117", "0.14.1", "0.13.1", 7, 10, "cu117" },
        { "2.0.0", "0.15.1", "2.0.1", 8, 11, "cu117" },
        { "2.0.1", "0.15.2", "2.0.2", 8, 11, "cu118" },
        { "2.1.2", "0.16.2", "2.1.2", 8, 11, "cu121" },
        { "2.2.2", "0.17.2", "2.2.2", 8, 12, "cu118" },
        { "2.3.1+cu121", "0.18.1", "2.3.1", 8, 12, "cu121" },
        { "2.4.1", "0.19.1", "2.4.1", 8, 12, "cu124" },
        { "2.5.1", "0.20.1", "2.5.1", 9, 12, "cu124" },
        { "2.6.0", "0.21.0", "2.6.0", 9, 13, "cu126" },
        { "2.7.1", "0.22.1", "2.7.1", 9, 13, "cu128" },
        { "2.8.0", "0.23.0", "2.8.0", 9, 13, "cu129" },
        { "2.9.0", "0.24.0", "2.9.0", 10, 14, "cu130" },
    };
    for (size_t i = 0; i < N(rows); i++) {
        struct pep440 v;
        assert_int_equal(pep440_parse(rows[i].torch, &v), 0);
        const struct pairing_row *r = pairing_by_torch(&t, &v);
        pep440_free(&v);
        if (!r)
            fail_msg("no row for torch %s", rows[i].torch);
        assert_string_equal(r->text[PAIRING_TORCHVISION], rows[i].vision);
        assert_string_equal(r->text[PAIRING_TORCHAUDIO], rows[i].audio);
        assert_int_equal(r->py_min_minor, rows[i].pmin);
        assert_int_equal(r->py_max_minor, rows[i].pmax);
        assert_true(pairing_has_variant(r, rows[i].variant));
        assert_true(pairing_has_variant(r, "cpu"));
        assert_true(pairing_python_ok(r, 3, rows[i].pmin));
        assert_true(pairing_python_ok(r, 3, rows[i].pmax));
        assert_false(pairing_python_ok(r, 3, rows[i].pmax + 1));
        assert_false(pairing_python_ok(r, 3, rows[i].pmin - 1));

        /* and back from each companion */
        for (int c = PAIRING_TORCHVISION; c <= PAIRING_TORCHAUDIO; c++) {
            const char *cv = c == PAIRING_TORCHVISION ? rows[i].vision : rows[i].audio;
            char *withlabel = malloc(strlen(cv) + 8);
            assert_non_null(withlabel);
            sprintf(withlabel, "%s+cu121", cv);
            assert_int_equal(pep440_parse(withlabel, &v), 0);
            free(withlabel);
            assert_ptr_equal(pairing_by_companion(&t, (enum pairing_pkg)c, &v), r);
            pep440_free(&v);
        }
    }
    static const char *const missing[] = { "2.6.0.dev20241112+cu121", "2.10.0", "1.9.0",
                                           "2.3.2" };
    for (size_t i = 0; i < N(missing); i++) {
        struct pep440 v;
        assert_int_equal(pep440_parse(missing[i], &v), 0);
        assert_null(pairing_by_torch(&t, &v));
        pep440_free(&v);
    }
    struct pep440 v;
    assert_int_equal(pep440_parse("2.3.1", &v), 0);
    assert_null(pairing_by_companion(&t, PAIRING_TORCH, &v));
    assert_null(pairing_find(&t, PAIRING_NONE, &v));
    pep440_free(&v);
    pairing_free(&t);
}

static void test_pairing_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum pairing_pkg pkg;
    } cases[] = {
        { "torch", PAIRING_TORCH },           { "Torch", PAIRING_TORCH },
        { "torchvision", PAIRING_TORCHVISION }, { "TorchVision", PAIRING_TORCHVISION },
        { "torchaudio", PAIRING_TORCHAUDIO }, { "torch-vision", PAIRING_NONE },
        { "torchtext", PAIRING_NONE },        { "pytorch", PAIRING_NONE },
        { NULL, PAIRING_NONE },
    };
    for (size_t i = 0; i < N(cases); i++)
        assert_int_equal(pairing_pkg_of(cases[i].name), cases[i].pkg);
    assert_string_equal(pairing_pkg_name(PAIRING_TORCHAUDIO), "torchaudio");
    assert_string_equal(pairing_pkg_name(PAIRING_NONE), "?");
}

static void test_pairing_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *msg;
    } cases[] = {
        { "2.3.1\t0.18.1\t2.3.1\t3.8\t3.12\n", "t.tsv:1: expected 6 columns" },
        { "# c\n\n2.3.1 0.18.1 2.3.1 3.8 3.12 cpu extra\n", "t.tsv:3: expected 6 columns" },
        { "2.3.x\t0.18.1\t2.3.1\t3.8\t3.12\tcpu\n", "bad torch version" },
        { "2.3.1+cu121\t0.18.1\t2.3.1\t3.8\t3.12\tcpu\n", "bad torch version" },
        { "2.3.1\t0.18.1\tv?\t3.8\t3.12\tcpu\n", "bad torchaudio version" },
        { "2.3.1\t0.18.1\t2.3.1\t3\t3.12\tcpu\n", "bad python_min" },
        { "2.3.1\t0.18.1\t2.3.1\t3.8\t3.x\tcpu\n", "bad python_max" },
        { "2.3.1\t0.18.1\t2.3.1\t3.12\t3.8\tcpu\n", "below python_min" },
        { "2.3.1\t0.18.1\t2.3.1\t3.8\t3.12\tcpu,,cu121\n", "empty entry" },
        { "2.3.1\t0.18.1\t2.3.1\t3.8\t3.12\tcu/121\n", "bad variant" },
        { "2.3.1\t0.18.1\t2.3.1\t3.8\t3.12\tcpu\n2.3.1\t0.18.2\t2.3.2\t3.8\t3.12\tcpu\n",
          "t.tsv:2: torch 2.3.1 is listed twice" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct pairing_table t;
        char *err = NULL;
        assert_int_equal(pairing_parse(cases[i].text, "t.tsv", &t, &err), -1);
        assert_non_null(err);
        if (!strstr(err, cases[i].msg))
            fail_msg("'%s' lacks '%s'", err, cases[i].msg);
        free(err);
        assert_int_equal(t.n, 0);
        pairing_free(&t);
    }
    struct pairing_table t;
    char *err = NULL;
    assert_int_equal(pairing_load("tests/fixtures/no/such/pairing.tsv", &t, &err), -1);
    assert_non_null(strstr(err, "no/such/pairing.tsv"));
    free(err);
    /* spaces work as separators, CRLF and comments are fine */
    assert_int_equal(pairing_parse("# x\r\n2.3.1  0.18.1  2.3.1  3.8  3.12  cpu,cu121\r\n",
                                   "t", &t, NULL),
                     0);
    assert_int_equal(t.n, 1);
    assert_int_equal(t.rows[0].variants.n, 2);
    assert_string_equal(t.rows[0].variants.v[1], "cu121");
    pairing_free(&t);
}

/* ---- the pin decision ---- */

/* The part of the table the selection tests rely on (same data as the
 * shipped config/pairing.tsv). */
static const char table_text[] =
    "# torch torchvision torchaudio python_min python_max variants\n"
    "2.2.2\t0.17.2\t2.2.2\t3.8\t3.12\tcpu,cu118,cu121\n"
    "2.3.0\t0.18.0\t2.3.0\t3.8\t3.12\tcpu,cu118,cu121\n"
    "2.3.1\t0.18.1\t2.3.1\t3.8\t3.12\tcpu,cu118,cu121\n"
    "2.4.0\t0.19.0\t2.4.0\t3.8\t3.12\tcpu,cu118,cu121,cu124\n"
    "2.5.1\t0.20.1\t2.5.1\t3.9\t3.12\tcpu,cu118,cu121,cu124\n"
    "2.6.0\t0.21.0\t2.6.0\t3.9\t3.13\tcpu,cu118,cu124,cu126\n"
    "2.9.0\t0.24.0\t2.9.0\t3.10\t3.14\tcpu,cu126,cu128,cu130\n";

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)n + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    data[n] = '\0';
    *len = (size_t)n;
    return data;
}

/* A flat page built from file names ('+' written as %2B, as servers do);
 * a name starting with '!' is marked yanked, one starting with '>' gets
 * data-requires-python=">=3.13". */
static void make_listing(const char *const *files, struct listing *out)
{
    size_t cap = 64;
    for (size_t i = 0; files[i]; i++)
        cap += 3 * strlen(files[i]) + 96;
    char *html = malloc(cap);
    assert_non_null(html);
    size_t o = (size_t)snprintf(html, cap, "<html><body>\n");
    for (size_t i = 0; files[i]; i++) {
        const char *f = files[i];
        const char *attr = "";
        if (*f == '!') {
            attr = " data-yanked=\"bad build\"";
            f++;
        } else if (*f == '>') {
            attr = " data-requires-python=\"&gt;=3.13\"";
            f++;
        }
        o += (size_t)snprintf(html + o, cap - o, "<a href=\"");
        for (; *f; f++)
            o += (size_t)snprintf(html + o, cap - o, *f == '+' ? "%%2B" : "%c", *f);
        o += (size_t)snprintf(html + o, cap - o, "\"%s>x</a><br>\n", attr);
    }
    snprintf(html + o, cap - o, "</body></html>\n");
    assert_int_equal(listing_parse(html, strlen(html), "https://mirror.example.org/whl/x/", out),
                     0);
    free(html);
}

enum page { ALIYUN, TRAP, NIGHTLY, NIGHTLY_FINAL, YANKED, VISION_ONLY, MAC, SPLIT_TORCH,
            SPLIT_VISION, FUTURE, FUTURE_LAG, ROCM, CPU_EXTRAS, NPAGES };

static const char *const page_files[NPAGES][MAXFILES] = {
    [ALIYUN] = { NULL }, /* tests/fixtures/listings/aliyun_cu121.html */
    [TRAP] = {
        "torch-2.4.0-cp312-cp312-manylinux1_x86_64.whl",
        "torch-2.3.1-cp312-cp312-manylinux1_x86_64.whl",
        "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl",
        "torch-2.3.0+cu121-cp312-cp312-linux_x86_64.whl",
        "torch-2.4.0+cu124-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.19.0-cp312-cp312-manylinux1_x86_64.whl",
        "torchvision-0.18.1+cu121-cp312-cp312-linux_x86_64.whl",
        NULL },
    [NIGHTLY] = {
        "torch-2.6.0.dev20241112+cu124-cp312-cp312-linux_x86_64.whl",
        "torch-2.6.0.dev20241111+cu124-cp312-cp312-linux_x86_64.whl",
        "torch-2.6.0.dev20241112+cpu-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.21.0.dev20241111+cu124-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.20.0.dev20241112+cu124-cp312-cp312-linux_x86_64.whl",
        "torchaudio-2.6.0.dev20241111+cu124-cp312-cp312-linux_x86_64.whl",
        NULL },
    [NIGHTLY_FINAL] = {
        "torch-2.6.0.dev20241112+cu124-cp312-cp312-linux_x86_64.whl",
        "torch-2.5.1+cu124-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.21.0.dev20241112+cu124-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.20.1+cu124-cp312-cp312-linux_x86_64.whl",
        NULL },
    [YANKED] = {
        "!torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl",
        "torch-2.3.0+cu121-cp312-cp312-linux_x86_64.whl",
        NULL },
    [VISION_ONLY] = {
        "torchvision-0.18.1+cu121-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.18.0+cu121-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.19.0+cu124-cp312-cp312-linux_x86_64.whl",
        NULL },
    [MAC] = {
        "torch-2.3.1-cp312-none-macosx_11_0_arm64.whl",
        "torch-2.3.0-cp312-none-macosx_11_0_arm64.whl",
        "torch-2.3.1+cpu-cp312-cp312-linux_x86_64.whl",
        "torch-2.2.2-cp312-none-macosx_10_9_x86_64.whl",
        "torchvision-0.18.1-cp312-cp312-macosx_11_0_arm64.whl",
        "torchvision-0.18.0-cp312-cp312-macosx_11_0_arm64.whl",
        "torchtext-0.18.0-cp312-cp312-macosx_11_0_arm64.whl",
        NULL },
    [SPLIT_TORCH] = {
        "torch-2.4.0+cu121-cp311-cp311-linux_x86_64.whl",
        "torch-2.3.1+cu121-cp311-cp311-linux_x86_64.whl",
        NULL },
    [SPLIT_VISION] = {
        "torchvision-0.19.0+cu121-cp311-cp311-linux_x86_64.whl",
        "torchvision-0.18.1+cu121-cp311-cp311-linux_x86_64.whl",
        NULL },
    [FUTURE] = {
        "torch-2.10.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
        "torchvision-0.25.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
        NULL },
    [FUTURE_LAG] = {
        /* 2.11 is out, its torchaudio is not; torchvision 0.26.0 was built
         * for a 2.12 the mirror does not carry yet */
        "torch-2.11.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
        "torch-2.10.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
        "torchvision-0.26.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
        "torchvision-0.25.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
        "torchaudio-2.10.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl",
        NULL },
    [ROCM] = {
        "torch-2.4.0+rocm6.1-cp312-cp312-linux_x86_64.whl",
        "torch-2.4.0+rocm6.0-cp312-cp312-linux_x86_64.whl",
        "torchvision-0.19.0+rocm6.1-cp312-cp312-linux_x86_64.whl",
        "torchaudio-2.4.0+rocm6.1-cp312-cp312-linux_x86_64.whl",
        NULL },
    [CPU_EXTRAS] = {
        "torch-2.1.2+cpu-cp311-cp311-linux_x86_64.whl",
        "torchtext-0.16.2+cpu-cp311-cp311-linux_x86_64.whl",
        "torchtext-0.16.1+cpu-cp311-cp311-linux_x86_64.whl",
        ">torchdata-0.9.0+cpu-py3-none-any.whl",
        "torchdata-0.7.1+cpu-py3-none-any.whl",
        "numpy-1.26.4-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        NULL },
};

enum tgt { LINUX312, LINUX311, LINUX39, WIN310, MAC312, NTGT };
static const struct {
    const char *os, *machine;
    int pmin, lmaj, lmin;
} tgts[NTGT] = {
    [LINUX312] = { "linux", "x86_64", 12, 2, 35 },
    [LINUX311] = { "linux", "x86_64", 11, 2, 31 },
    [LINUX39] = { "linux", "x86_64", 9, 2, 31 },
    [WIN310] = { "windows", "amd64", 10, 0, 0 },
    [MAC312] = { "macos", "arm64", 12, 14, 0 },
};

/* table_only is 0 unless said */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

/* Per requirement: the pin expected ("=" when the user's text is kept) or
 * the start of the error with "!" in front. */
static const struct {
    const char *what;
    enum page pages[2]; /* second page only when npages == 2 */
    int npages;
    enum tgt tgt;
    const char *variant;
    int allow_pre;
    const char *reqs[MAXREQ];
    const char *want[MAXREQ];
    const char *torch; /* chosen torch, NULL when none */
    int table_only;    /* without the companions' metadata */
} cases[] = {
    { "newest torch of the variant", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch" }, { "torch==2.3.1+cu121" }, "2.3.1+cu121" },
    { "the family together", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch", "torchvision", "torchaudio" },
      { "torch==2.3.1+cu121", "torchvision==0.18.1+cu121", "torchaudio==2.3.1+cu121" },
      "2.3.1+cu121" },
    { "a companion pin chooses torch", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torchvision==0.18.0" }, { "torchvision==0.18.0+cu121" }, "2.3.0+cu121" },
    { "a companion range", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torchaudio<2.3", "torch" }, { "torchaudio==2.2.2+cu121", "torch==2.2.2+cu121" },
      "2.2.2+cu121" },
    { "README range", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch>=1.13,<2.3", "torchvision" },
      { "torch==2.2.2+cu121", "torchvision==0.17.2+cu121" }, "2.2.2+cu121" },
    { "exact pin kept", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch==2.3.1+cu121", "torchvision" }, { "=", "torchvision==0.18.1+cu121" },
      "2.3.1+cu121" },
    { "pin gains the label", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch==2.3.1" }, { "torch==2.3.1+cu121" }, "2.3.1+cu121" },
    { "wildcard pin", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch==2.2.*", "torchaudio" }, { "torch==2.2.2+cu121", "torchaudio==2.2.2+cu121" },
      "2.2.2+cu121" },
    { "extras and markers survive", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch[opt-einsum]>=2.0", "torchvision ; platform_system != \"Darwin\"" },
      { "torch[opt-einsum]==2.3.1+cu121",
        "torchvision==0.18.1+cu121; platform_system != \"Darwin\"" },
      "2.3.1+cu121" },
    { "two requirements for torch", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch>=2.0", "torch<2.3" }, { "torch==2.2.2+cu121", "torch==2.2.2+cu121" },
      "2.2.2+cu121" },
    { "pin that is not on the mirror", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch==2.4.0", "torchvision" },
      { "!torch 2.4.0 has no cu121 wheel for cp312 linux_x86_64 on this mirror; available: "
        "2.3.1+cu121, 2.3.0+cu121, 2.2.2+cu121",
        "!torch 2.4.0 has no cu121 wheel" },
      NULL },
    { "pin of another variant", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch==2.3.1+cu118" },
      { "!torch==2.3.1+cu118 asks for the cu118 build, but this install uses cu121; "
        "available: 2.3.1+cu121, 2.3.0+cu121, 2.2.2+cu121" },
      NULL },
    { "range with nothing on the mirror", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch>=2.4", "torchvision" },
      { "!no cu121 wheel of torch matching >=2.4 for cp312 linux_x86_64 on this mirror; "
        "available: 2.3.1+cu121, 2.3.0+cu121, 2.2.2+cu121",
        "!no cu121 wheel of torch matching >=2.4" },
      NULL },
    { "conflicting constraints", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch>=2.3", "torchvision==0.17.2" },
      { "!cannot pin torch, torchvision together for cu121 cp312 linux_x86_64: torch "
        "2.3.1+cu121 goes with no torchvision matching ==0.17.2 on this mirror (torchvision "
        "0.17.2+cu121 requires torch==2.2.2)",
        "!cannot pin torch, torchvision together" },
      NULL },
    { "companion missing for the platform", { ALIYUN }, 1, WIN310, "cu121", 0,
      { "torch", "torchvision" },
      { "!no cu121 wheel of torchvision for cp310 win_amd64 on this mirror (there are some "
        "for other Python versions or platforms)",
        "!no cu121 wheel of torchvision" },
      NULL },
    { "torch alone fits windows", { ALIYUN }, 1, WIN310, "cu121", 0,
      { "torch" }, { "torch==2.3.1+cu121" }, "2.3.1+cu121" },
    { "no wheel for this python", { ALIYUN }, 1, LINUX39, "cu121", 0,
      { "torch" },
      { "!no cu121 wheel of torch for cp39 linux_x86_64 on this mirror (there are some for "
        "other Python versions or platforms)" },
      NULL },
    { "wrong variant page", { ALIYUN }, 1, LINUX312, "cpu", 0,
      { "torch" }, { "!no cpu wheel of torch for cp312 linux_x86_64 on this mirror" }, NULL },
    { "unlabelled extras left alone", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torchtext", "xformers", "numpy>=1.26" }, { "=", "=", "=" }, NULL },
    { "URL requirement left alone", { ALIYUN }, 1, LINUX312, "cu121", 0,
      { "torch @ https://example.org/torch-2.2.2+cu121-cp312-cp312-linux_x86_64.whl",
        "torchvision" },
      { "=", "torchvision==0.18.1+cu121" }, "2.3.1+cu121" },
    { "PyPI-newer trap", { TRAP }, 1, LINUX312, "cu121", 0,
      { "torch", "torchvision" }, { "torch==2.3.1+cu121", "torchvision==0.18.1+cu121" },
      "2.3.1+cu121" },
    { "PyPI-newer trap, open range", { TRAP }, 1, LINUX312, "cu121", 0,
      { "torch>=2.3" }, { "torch==2.3.1+cu121" }, "2.3.1+cu121" },
    { "nightly family pairs by date", { NIGHTLY }, 1, LINUX312, "cu124", 0,
      { "torch", "torchvision", "torchaudio" },
      { "torch==2.6.0.dev20241111+cu124", "torchvision==0.21.0.dev20241111+cu124",
        "torchaudio==2.6.0.dev20241111+cu124" },
      "2.6.0.dev20241111+cu124" },
    { "nightly torch alone", { NIGHTLY }, 1, LINUX312, "cu124", 0,
      { "torch" }, { "torch==2.6.0.dev20241112+cu124" }, "2.6.0.dev20241112+cu124" },
    { "a final release beats nightlies without --pre", { NIGHTLY_FINAL }, 1, LINUX312, "cu124",
      0, { "torch", "torchvision" },
      { "torch==2.5.1+cu124", "torchvision==0.20.1+cu124" }, "2.5.1+cu124" },
    { "--pre takes the nightly", { NIGHTLY_FINAL }, 1, LINUX312, "cu124", 1,
      { "torch", "torchvision" },
      { "torch==2.6.0.dev20241112+cu124", "torchvision==0.21.0.dev20241112+cu124" },
      "2.6.0.dev20241112+cu124" },
    { "a spec naming a dev release allows it", { NIGHTLY_FINAL }, 1, LINUX312, "cu124", 0,
      { "torch>=2.6.0.dev0" }, { "torch==2.6.0.dev20241112+cu124" },
      "2.6.0.dev20241112+cu124" },
    { "yanked files are skipped", { YANKED }, 1, LINUX312, "cu121", 0,
      { "torch" }, { "torch==2.3.0+cu121" }, "2.3.0+cu121" },
    { "unless pinned exactly", { YANKED }, 1, LINUX312, "cu121", 0,
      { "torch==2.3.1" }, { "torch==2.3.1+cu121" }, "2.3.1+cu121" },
    { "a companion alone without torch's page: its newest", { VISION_ONLY }, 1, LINUX312,
      "cu121", 0, { "torchvision" }, { "torchvision==0.18.1+cu121" }, NULL },
    { "no local label on macOS", { MAC }, 1, MAC312, "", 0,
      { "torch", "torchvision", "torchtext" },
      { "torch==2.3.1", "torchvision==0.18.1", "=" }, "2.3.1" },
    { "macOS exact pin kept", { MAC }, 1, MAC312, NULL, 0,
      { "torch==2.3.0", "torchvision" }, { "=", "torchvision==0.18.0" }, "2.3.0" },
    { "label asked where none is wanted", { MAC }, 1, MAC312, "", 0,
      { "torch==2.3.1+cpu" },
      { "!torch==2.3.1+cpu asks for the cpu build, but this install uses wheels without a "
        "local label; available: 2.3.1, 2.3.0" },
      NULL },
    { "one PEP 503 page per project", { SPLIT_TORCH, SPLIT_VISION }, 2, LINUX311, "cu121", 0,
      { "torch", "torchvision" }, { "torch==2.4.0+cu121", "torchvision==0.19.0+cu121" },
      "2.4.0+cu121" },
    { "release newer than the table, no metadata: torch pinned, the rest left to pip",
      { FUTURE }, 1, LINUX312, "cu130", 0,
      { "torch", "torchvision" }, { "torch==2.10.0+cu130", "=" }, "2.10.0+cu130", 1 },
    { "release newer than the table, paired by its metadata", { FUTURE }, 1, LINUX312, "cu130",
      0, { "torch", "torchvision" }, { "torch==2.10.0+cu130", "torchvision==0.25.0+cu130" },
      "2.10.0+cu130" },
    { "the newest companion needs an older torch: both go back (pip backtracks)",
      { FUTURE_LAG }, 1, LINUX312, "cu130", 0, { "torch", "torchvision", "torchaudio" },
      { "torch==2.10.0+cu130", "torchvision==0.25.0+cu130", "torchaudio==2.10.0+cu130" },
      "2.10.0+cu130" },
    { "torch alone still takes the newest", { FUTURE_LAG }, 1, LINUX312, "cu130", 0,
      { "torch" }, { "torch==2.11.0+cu130" }, "2.11.0+cu130" },
    { "a companion pinned alone decides torch through its metadata", { FUTURE_LAG }, 1,
      LINUX312, "cu130", 0, { "torchvision==0.25.0" }, { "torchvision==0.25.0+cu130" },
      "2.10.0+cu130" },
    { "a companion that needs a torch the mirror lacks is refused", { FUTURE_LAG }, 1,
      LINUX312, "cu130", 0, { "torchvision==0.26.0", "torch" },
      { "!cannot pin torch, torchvision together for cu130 cp312 linux_x86_64: torch "
        "2.11.0+cu130 goes with no torchvision matching ==0.26.0 on this mirror (torchvision "
        "0.26.0+cu130 requires torch==2.12.0)",
        "!cannot pin" }, NULL },
    { "release newer than the table, torch alone", { FUTURE }, 1, LINUX312, "cu130", 0,
      { "torch" }, { "torch==2.10.0+cu130" }, "2.10.0+cu130" },
    { "ROCm labels", { ROCM }, 1, LINUX312, "rocm6.1", 0,
      { "torch", "torchvision", "torchaudio" },
      { "torch==2.4.0+rocm6.1", "torchvision==0.19.0+rocm6.1", "torchaudio==2.4.0+rocm6.1" },
      "2.4.0+rocm6.1" },
    { "labelled extras are pinned", { CPU_EXTRAS }, 1, LINUX311, "cpu", 0,
      { "torchtext", "torchdata", "numpy", "torch" },
      { "torchtext==0.16.2+cpu", "torchdata==0.7.1+cpu", "=", "torch==2.1.2+cpu" },
      "2.1.2+cpu" },
    { "labelled extras honour the user", { CPU_EXTRAS }, 1, LINUX311, "cpu", 0,
      { "torchtext<0.16.2", "torchtext!=0.16.0", "torchdata>=0.8" },
      { "torchtext==0.16.1+cpu", "torchtext==0.16.1+cpu", "=" }, NULL },
    { "requirements without the family", { CPU_EXTRAS }, 1, LINUX311, "cpu", 0,
      { "numpy" }, { "=" }, NULL },
};

/* What the companions' METADATA files say (as wheelmeta would read them). */
static void add_metadata(struct pippairs *pairs)
{
    static const struct {
        const char *name, *version, *requires;
    } meta[] = {
        { "torchvision", "0.25.0+cu130", "Requires-Dist: numpy\nRequires-Dist: torch==2.10.0\n" },
        { "torchvision", "0.26.0+cu130", "Requires-Dist: torch==2.12.0\n" },
        { "torchaudio", "2.10.0+cu130", "Requires-Dist: torch==2.10.0\n" },
        { "torchtext", "0.16.2+cpu", "Requires-Dist: torch==2.1.2\nRequires-Dist: tqdm\n" },
        { "torchtext", "0.16.1+cpu", "Requires-Dist: torch==2.1.1\n" },
        { "torchdata", "0.7.1+cpu",
          "Requires-Dist: torch==2.1.2\nRequires-Dist: torch>=2; extra == \"x\"\n" },
    };
    for (size_t i = 0; i < N(meta); i++) {
        char *text = xasprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n%s\nbody\n",
                               meta[i].name, meta[i].version, meta[i].requires);
        struct pep440 v;
        char *err = NULL;
        assert_int_equal(pep440_parse(meta[i].version, &v), 0);
        if (pippairs_add_metadata(pairs, meta[i].name, &v, text, strlen(text), &err))
            fail_msg("%s: %s", meta[i].name, err);
        pep440_free(&v);
        free(text);
    }
}

static void test_select(void **state)
{
    (void)state;
    struct pairing_table table;
    char *err = NULL;
    if (pairing_parse(table_text, "table", &table, &err) != 0)
        fail_msg("%s", err);
    struct listing pages[NPAGES];
    for (int p = 0; p < NPAGES; p++) {
        if (p == ALIYUN) {
            size_t len;
            char *html = slurp("tests/fixtures/listings/aliyun_cu121.html", &len);
            assert_int_equal(listing_parse(html, len,
                                           "https://mirrors.aliyun.com/pytorch-wheels/cu121/",
                                           &pages[p]),
                             0);
            free(html);
        } else {
            make_listing(page_files[p], &pages[p]);
        }
    }
    struct pippairs pairs = { .table = &table }, table_pairs = { .table = &table };
    add_metadata(&pairs);
    struct wheel_target targets[NTGT];
    for (int t = 0; t < NTGT; t++)
        assert_int_equal(wheel_target_init(&targets[t], tgts[t].os, tgts[t].machine, 3,
                                           tgts[t].pmin, tgts[t].lmaj, tgts[t].lmin, NULL),
                         0);

    for (size_t i = 0; i < N(cases); i++) {
        struct listing used[2];
        for (int p = 0; p < cases[i].npages; p++)
            used[p] = pages[cases[i].pages[p]];
        struct pipselect_input in = {
            .listings = used,
            .nlistings = (size_t)cases[i].npages,
            .target = &targets[cases[i].tgt],
            .variant = cases[i].variant,
            .pairs = cases[i].table_only ? &table_pairs : &pairs,
            .allow_pre = cases[i].allow_pre,
        };
        struct pep508_req reqs[MAXREQ];
        size_t n = 0;
        for (; n < MAXREQ && cases[i].reqs[n]; n++)
            if (pep508_parse(cases[i].reqs[n], &reqs[n], &err) != PEP508_OK)
                fail_msg("%s: %s", cases[i].what, err);
        struct pipselect_result out[MAXREQ];
        char *torch = NULL;
        size_t nerr = pipselect_pin(&in, reqs, n, out, &torch);

        size_t want_err = 0;
        for (size_t r = 0; r < n; r++) {
            const char *want = cases[i].want[r];
            assert_non_null(want);
            if (want[0] == '!') {
                want_err++;
                if (!out[r].error || strncmp(out[r].error, want + 1, strlen(want + 1)) != 0)
                    fail_msg("%s: req %zu error '%s', want '%s'", cases[i].what, r,
                             out[r].error ? out[r].error : "(none)", want + 1);
                assert_null(out[r].requirement);
            } else if (strcmp(want, "=") == 0) {
                if (out[r].requirement || out[r].error)
                    fail_msg("%s: req %zu should be left alone, got '%s' / '%s'",
                             cases[i].what, r, out[r].requirement ? out[r].requirement : "",
                             out[r].error ? out[r].error : "");
            } else {
                if (out[r].error)
                    fail_msg("%s: req %zu: %s", cases[i].what, r, out[r].error);
                if (!out[r].requirement || strcmp(out[r].requirement, want) != 0)
                    fail_msg("%s: req %zu pinned to '%s', want '%s'", cases[i].what, r,
                             out[r].requirement ? out[r].requirement : "(unchanged)", want);
            }
        }
        if (nerr != want_err)
            fail_msg("%s: %zu errors, want %zu", cases[i].what, nerr, want_err);
        if (cases[i].torch) {
            if (!torch || strcmp(torch, cases[i].torch) != 0)
                fail_msg("%s: chosen torch '%s', want '%s'", cases[i].what,
                         torch ? torch : "(none)", cases[i].torch);
        } else if (torch) {
            fail_msg("%s: unexpected chosen torch %s", cases[i].what, torch);
        }
        free(torch);
        pipselect_results_free(out, n);
        for (size_t r = 0; r < n; r++)
            pep508_free(&reqs[r]);
    }

    /* chosen_torch may be NULL; no requirements is fine */
    struct pipselect_input in = { .listings = &pages[ALIYUN], .nlistings = 1,
                                  .target = &targets[LINUX312], .variant = "cu121",
                                  .pairs = &table_pairs };
    struct pep508_req r;
    struct pipselect_result out;
    assert_int_equal(pep508_parse("torch", &r, NULL), PEP508_OK);
    assert_int_equal(pipselect_pin(&in, &r, 1, &out, NULL), 0);
    assert_string_equal(out.requirement, "torch==2.3.1+cu121");
    pipselect_results_free(&out, 1);
    pep508_free(&r);
    assert_int_equal(pipselect_pin(&in, NULL, 0, NULL, NULL), 0);

    for (int t = 0; t < NTGT; t++)
        wheel_target_free(&targets[t]);
    for (int p = 0; p < NPAGES; p++)
        listing_free(&pages[p]);
    pippairs_free(&pairs);
    pairing_free(&table);
}

/* The same decisions with the shipped table. */
static void test_select_shipped_table(void **state)
{
    (void)state;
    struct pairing_table table;
    char *path = shipped_table_path();
    assert_int_equal(pairing_load(path, &table, NULL), 0);
    free(path);
    size_t len;
    char *html = slurp("tests/fixtures/listings/torch_stable.html", &len);
    struct listing l;
    assert_int_equal(
        listing_parse(html, len, "https://download.pytorch.org/whl/torch_stable.html", &l), 0);
    free(html);
    struct wheel_target t;
    assert_int_equal(wheel_target_init(&t, "linux", "x86_64", 3, 11, 2, 31, NULL), 0);
    struct pippairs pairs = { .table = &table };

    static const struct {
        const char *variant, *req0, *req1, *want0, *want1;
    } shipped_cases[] = {
        { "cu121", "torch", "torchvision", "torch==2.1.1+cu121", "torchvision==0.16.1+cu121" },
        { "rocm5.6", "torch", "torchvision", "torch==2.1.1+rocm5.6",
          "torchvision==0.16.1+rocm5.6" },
        { "cpu", "torch==2.1.0", "torchvision",
          "!cannot pin torch, torchvision together for cpu cp311 linux_x86_64: torch "
          "2.1.0+cpu goes with no torchvision on this mirror (torchvision 0.16.1+cpu requires "
          "torch==2.1.1)",
          "!cannot pin" },
        { "cu118", "torch~=2.1.0", "torchaudio",
          "!the mirror's page lists no torchaudio wheels at all", "!the mirror's page" },
        { "cu118", "torch~=2.1.0", "torchvision==0.16.1", "torch==2.1.1+cu118",
          "torchvision==0.16.1+cu118" },
    };
    for (size_t i = 0; i < N(shipped_cases); i++) {
        struct pipselect_input in = { .listings = &l, .nlistings = 1, .target = &t,
                                      .variant = shipped_cases[i].variant, .pairs = &pairs };
        struct pep508_req reqs[2];
        assert_int_equal(pep508_parse(shipped_cases[i].req0, &reqs[0], NULL), PEP508_OK);
        assert_int_equal(pep508_parse(shipped_cases[i].req1, &reqs[1], NULL), PEP508_OK);
        struct pipselect_result out[2];
        pipselect_pin(&in, reqs, 2, out, NULL);
        const char *want[2] = { shipped_cases[i].want0, shipped_cases[i].want1 };
        for (int r = 0; r < 2; r++) {
            const char *got = out[r].error ? out[r].error : out[r].requirement;
            const char *w = want[r][0] == '!' ? want[r] + 1 : want[r];
            if (!got || strncmp(got, w, strlen(w)) != 0 || (want[r][0] == '!') != !!out[r].error)
                fail_msg("%s/%s: got '%s', want '%s'", shipped_cases[i].variant, shipped_cases[i].req0,
                         got ? got : "(none)", want[r]);
        }
        pipselect_results_free(out, 2);
        pep508_free(&reqs[0]);
        pep508_free(&reqs[1]);
    }
    wheel_target_free(&t);
    listing_free(&l);
    pairing_free(&table);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pairing_shipped),
        cmocka_unit_test(test_pairing_names),
        cmocka_unit_test(test_pairing_errors),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_select_shipped_table),
    };
    return cmocka_run_group_tests_name("pipselect", tests, NULL, NULL);
}
