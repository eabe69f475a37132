/* test_listing.c — URL resolution, HTML decoding and wheel link extraction
 * from the fixture pages in tests/fixtures/listings/; PEP 658/714 metadata
 * attributes and PEP 691 JSON pages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listing.h"
#include "uriref.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s (run from the repository root)", path);
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 > cap) {
            cap = cap ? cap * 2 : 65536;
            data = realloc(data, cap);
            assert_non_null(data);
        }
        size_t r = fread(data + n, 1, cap - n, f);
        if (r == 0)
            break;
        n += r;
    }
    fclose(f);
    *len = n;
    return data;
}

/* RFC 3986 §5.4 examples, then the forms wheel pages use */
static const struct {
    const char *base, *ref, *want;
} resolve_cases[] = {
    { "http://a/b/c/d;p?q", "g:h", "g:h" },
    { "http://a/b/c/d;p?q", "g", "http://a/b/c/g" },
    { "http://a/b/c/d;p?q", "./g", "http://a/b/c/g" },
    { "http://a/b/c/d;p?q", "g/", "http://a/b/c/g/" },
    { "http://a/b/c/d;p?q", "/g", "http://a/g" },
    { "http://a/b/c/d;p?q", "//g", "http://g" },
    { "http://a/b/c/d;p?q", "?y", "http://a/b/c/d;p?y" },
    { "http://a/b/c/d;p?q", "g?y", "http://a/b/c/g?y" },
    { "http://a/b/c/d;p?q", "#s", "http://a/b/c/d;p?q#s" },
    { "http://a/b/c/d;p?q", "g#s", "http://a/b/c/g#s" },
    { "http://a/b/c/d;p?q", "g?y#s", "http://a/b/c/g?y#s" },
    { "http://a/b/c/d;p?q", ";x", "http://a/b/c/;x" },
    { "http://a/b/c/d;p?q", "g;x", "http://a/b/c/g;x" },
    { "http://a/b/c/d;p?q", "g;x?y#s", "http://a/b/c/g;x?y#s" },
    { "http://a/b/c/d;p?q", "", "http://a/b/c/d;p?q" },
    { "http://a/b/c/d;p?q", ".", "http://a/b/c/" },
    { "http://a/b/c/d;p?q", "./", "http://a/b/c/" },
    { "http://a/b/c/d;p?q", "..", "http://a/b/" },
    { "http://a/b/c/d;p?q", "../", "http://a/b/" },
    { "http://a/b/c/d;p?q", "../g", "http://a/b/g" },
    { "http://a/b/c/d;p?q", "../..", "http://a/" },
    { "http://a/b/c/d;p?q", "../../", "http://a/" },
    { "http://a/b/c/d;p?q", "../../g", "http://a/g" },
    { "http://a/b/c/d;p?q", "../../../g", "http://a/g" },
    { "http://a/b/c/d;p?q", "../../../../g", "http://a/g" },
    { "http://a/b/c/d;p?q", "/./g", "http://a/g" },
    { "http://a/b/c/d;p?q", "/../g", "http://a/g" },
    { "http://a/b/c/d;p?q", "g.", "http://a/b/c/g." },
    { "http://a/b/c/d;p?q", ".g", "http://a/b/c/.g" },
    { "http://a/b/c/d;p?q", "g..", "http://a/b/c/g.." },
    { "http://a/b/c/d;p?q", "..g", "http://a/b/c/..g" },
    { "http://a/b/c/d;p?q", "./../g", "http://a/b/g" },
    { "http://a/b/c/d;p?q", "./g/.", "http://a/b/c/g/" },
    { "http://a/b/c/d;p?q", "g/./h", "http://a/b/c/g/h" },
    { "http://a/b/c/d;p?q", "g/../h", "http://a/b/c/h" },
    { "http://a/b/c/d;p?q", "g;x=1/./y", "http://a/b/c/g;x=1/y" },
    { "http://a/b/c/d;p?q", "g;x=1/../y", "http://a/b/c/y" },
    { "http://a/b/c/d;p?q", "g?y/./x", "http://a/b/c/g?y/./x" },
    { "http://a/b/c/d;p?q", "g?y/../x", "http://a/b/c/g?y/../x" },
    { "http://a/b/c/d;p?q", "g#s/./x", "http://a/b/c/g#s/./x" },
    { "http://a/b/c/d;p?q", "g#s/../x", "http://a/b/c/g#s/../x" },
    { "http://a/b/c/d;p?q", "http:g", "http:g" },
    { "https://mirrors.aliyun.com/pytorch-wheels/cu121/",
      "torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
      "https://mirrors.aliyun.com/pytorch-wheels/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl" },
    { "https://mirrors.aliyun.com/pytorch-wheels/cu121",
      "torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
      "https://mirrors.aliyun.com/pytorch-wheels/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl" },
    { "https://download.pytorch.org/whl/cu121/torch/",
      "/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl#sha256=00",
      "https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl#sha256=00" },
    { "https://download.pytorch.org/whl/cu126/torch/",
      "https://download-r2.pytorch.org/whl/cu126/torch-2.7.1%2Bcu126-cp312-cp312-manylinux_2_28_x86_64.whl",
      "https://download-r2.pytorch.org/whl/cu126/torch-2.7.1%2Bcu126-cp312-cp312-manylinux_2_28_x86_64.whl" },
    { "https://pypi.example.org/simple/torch/", "../../packages/ab/cd/torch-2.3.1.tar.gz",
      "https://pypi.example.org/packages/ab/cd/torch-2.3.1.tar.gz" },
    { "https://download.pytorch.org/whl/torch_stable.html",
      "cu121/torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl",
      "https://download.pytorch.org/whl/cu121/torch-2.1.0%2Bcu121-cp310-cp310-linux_x86_64.whl" },
    { "https://mirror.nju.edu.cn/pytorch/whl/cu121/torch/", "//cdn.example.org/t.whl",
      "https://cdn.example.org/t.whl" },
    { "http://127.0.0.1:8080/whl/cu121/", "torch.whl", "http://127.0.0.1:8080/whl/cu121/torch.whl" },
    { "http://127.0.0.1:8080", "torch.whl", "http://127.0.0.1:8080/torch.whl" },
    { "file:///srv/wheels/index.html", "torch.whl", "file:///srv/wheels/torch.whl" },
};

static void test_resolve(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(resolve_cases); i++) {
        char *u = uri_resolve(resolve_cases[i].base, resolve_cases[i].ref);
        assert_non_null(u);
        if (strcmp(u, resolve_cases[i].want) != 0)
            fail_msg("resolve('%s', '%s') = '%s', want '%s'", resolve_cases[i].base,
                     resolve_cases[i].ref, u, resolve_cases[i].want);
        free(u);
    }
    assert_null(uri_resolve("/relative/base/", "g"));
    assert_null(uri_resolve("", "g"));
}

static void test_decode(void **state)
{
    (void)state;
    static const struct {
        const char *in, *pct, *html;
    } cases[] = {
        { "torch-2.3.1%2Bcu121", "torch-2.3.1+cu121", "torch-2.3.1%2Bcu121" },
        { "%2b%2B%41", "++A", "%2b%2B%41" },
        { "100%", "100%", "100%" },
        { "%zz%2", "%zz%2", "%zz%2" },
        { "&gt;=3.8.0", "&gt;=3.8.0", ">=3.8.0" },
        { "&gt;=3.6,&lt;3.10", "&gt;=3.6,&lt;3.10", ">=3.6,<3.10" },
        { "a&amp;b&quot;c&apos;d&#39;e", "a&amp;b&quot;c&apos;d&#39;e", "a&b\"c'd'e" },
        { "&#x3e;=3.9&#62;", "&#x3e;=3.9&#62;", ">=3.9>" },
        { "&#233;t&#xE9;", "&#233;t&#xE9;", "\xc3\xa9t\xc3\xa9" },
        { "&unknown; &amp &#; &#xZZ;", "&unknown; &amp &#; &#xZZ;", "&unknown; &amp &#; &#xZZ;" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        char *p = listing_percent_decode(cases[i].in, strlen(cases[i].in));
        assert_string_equal(p, cases[i].pct);
        free(p);
        char *h = listing_html_unescape(cases[i].in, strlen(cases[i].in));
        assert_string_equal(h, cases[i].html);
        free(h);
    }
    /* only n bytes are looked at */
    char *p = listing_percent_decode("ab%2B", 3);
    assert_string_equal(p, "ab%");
    free(p);
}

/* Every entry of a page: the URL starts with prefix, the file name is the
 * decoded last segment and parses as a wheel of that name. */
static void check_entries(const struct listing *l, const char *prefix)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct listing_entry *e = &l->v[i];
        if (strncmp(e->url, prefix, strlen(prefix)) != 0)
            fail_msg("url '%s' does not start with '%s'", e->url, prefix);
        assert_null(strchr(e->url, '#'));
        assert_null(strstr(e->filename, "%2B"));
        assert_non_null(strstr(e->filename, ".whl"));
        assert_non_null(e->wheel.norm_name);
        const char *slash = strrchr(e->url, '/');
        assert_non_null(slash);
        char *dec = listing_percent_decode(slash + 1, strcspn(slash + 1, "?"));
        assert_string_equal(dec, e->filename);
        free(dec);
    }
}

static const struct listing_entry *find(const struct listing *l, const char *filename)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].filename, filename) == 0)
            return &l->v[i];
    fail_msg("no entry %s", filename);
    return NULL;
}

static size_t count_version(const struct listing *l, const char *name, const char *ver)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].wheel.norm_name, name) == 0 &&
            strcmp(l->v[i].wheel.version_str, ver) == 0)
            n++;
    return n;
}

static const struct {
    const char *file, *base, *prefix;
    size_t n, nsdists, nskipped;
    const char *sample, *sample_url, *sample_rp;
    const char *ver;
    size_t ver_count;
} pages[] = {
    { "tests/fixtures/listings/pep503_cu121_torch.html",
      "https://download.pytorch.org/whl/cu121/torch/", "https://download.pytorch.org/whl/cu121/",
      74, 0, 0, "torch-2.3.1+cu121-cp312-cp312-linux_x86_64.whl",
      "https://download.pytorch.org/whl/cu121/torch-2.3.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
      ">=3.8.0", "2.3.1+cu121", 10 },
    { "tests/fixtures/listings/pep503_r2_cu126_torch.html",
      "https://download.pytorch.org/whl/cu126/torch/",
      "https://download-r2.pytorch.org/whl/cu126/", 33, 0, 0,
      "torch-2.7.1+cu126-cp312-cp312-manylinux_2_28_x86_64.whl",
      "https://download-r2.pytorch.org/whl/cu126/torch-2.7.1%2Bcu126-cp312-cp312-manylinux_2_28_x86_64.whl",
      ">=3.9.0", "2.6.0+cu126", 11 },
    { "tests/fixtures/listings/aliyun_cu121.html",
      "https://mirrors.aliyun.com/pytorch-wheels/cu121/",
      "https://mirrors.aliyun.com/pytorch-wheels/cu121/", 38, 0, 1,
      "torchvision-0.18.1+cu121-cp312-cp312-linux_x86_64.whl",
      "https://mirrors.aliyun.com/pytorch-wheels/cu121/torchvision-0.18.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
      NULL, "2.3.1+cu121", 9 },
    { "tests/fixtures/listings/torch_stable.html",
      "https://download.pytorch.org/whl/torch_stable.html", "https://download.pytorch.org/whl/",
      26, 0, 0, "torch-2.0.0+cpu.cxx11.abi-cp310-cp310-linux_x86_64.whl",
      "https://download.pytorch.org/whl/cpu-cxx11-abi/torch-2.0.0%2Bcpu.cxx11.abi-cp310-cp310-linux_x86_64.whl",
      NULL, "2.1.0+rocm5.6", 2 },
};

static void test_pages(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(pages); i++) {
        size_t len;
        char *html = slurp(pages[i].file, &len);
        struct listing l;
        assert_int_equal(listing_parse(html, len, pages[i].base, &l), 0);
        if (l.n != pages[i].n || l.nsdists != pages[i].nsdists ||
            l.nskipped != pages[i].nskipped)
            fail_msg("%s: %zu wheels %zu sdists %zu skipped", pages[i].file, l.n, l.nsdists,
                     l.nskipped);
        check_entries(&l, pages[i].prefix);
        const struct listing_entry *e = find(&l, pages[i].sample);
        assert_string_equal(e->url, pages[i].sample_url);
        if (pages[i].sample_rp) {
            assert_string_equal(e->requires_python, pages[i].sample_rp);
            assert_non_null(e->hash);
            assert_int_equal(strncmp(e->hash, "sha256=", 7), 0);
            assert_int_equal(strlen(e->hash), 7 + 64);
        } else {
            assert_null(e->requires_python);
            assert_null(e->hash);
        }
        assert_false(e->yanked);
        assert_null(e->yanked_reason);
        for (size_t k = 0; k < l.n; k++) {  /* these copies advertise no metadata files */
            assert_false(l.v[k].has_metadata);
            assert_null(l.v[k].metadata_hash);
        }
        assert_int_equal(count_version(&l, "torch", pages[i].ver) +
                             count_version(&l, "torchaudio", pages[i].ver),
                         pages[i].ver_count);
        listing_free(&l);
        free(html);
    }
}

/* The hand-written page with every quirk pip copes with. */
static void test_quirks(void **state)
{
    (void)state;
    size_t len;
    char *html = slurp("tests/fixtures/listings/pep503_quirks.html", &len);
    struct listing l;
    assert_int_equal(
        listing_parse(html, len, "https://mirror.example.org/simple/torchvision/", &l), 0);
    free(html);

    static const struct {
        const char *filename, *url, *hash, *rp, *yanked;
    } want[] = {
        { "torchvision-0.18.1+cu121-cp312-cp312-linux_x86_64.whl",
          "https://mirror.example.org/packages/c3/a1/torchvision-0.18.1%2Bcu121-cp312-cp312-linux_x86_64.whl",
          "sha256=0c6ad8e1d7b0b6e5f1f0c3b7cbe4f2a1d8a9a3d1e0c4b5a6f7e8d9c0b1a2f3e4", ">=3.8",
          NULL },
        { "torchvision-0.18.0+cu121-cp312-cp312-linux_x86_64.whl",
          "https://mirror.example.org/packages/9f/00/torchvision-0.18.0%2Bcu121-cp312-cp312-linux_x86_64.whl",
          "sha256=aa11", ">=3.8", NULL },
        { "torchvision-0.17.2+cu121-cp312-cp312-linux_x86_64.whl",
          "https://mirror.example.org/simple-files/torchvision-0.17.2%2Bcu121-cp312-cp312-linux_x86_64.whl",
          NULL, NULL, NULL },
        { "torchvision-0.17.1+cu121-cp311-cp311-linux_x86_64.whl",
          "https://files.example.org/tv/torchvision-0.17.1%2Bcu121-cp311-cp311-linux_x86_64.whl",
          NULL, NULL, "" },
        { "torchvision-0.17.0+cu121-cp310-cp310-win_amd64.whl",
          "https://mirror.example.org/simple/torchvision/torchvision-0.17.0%2Bcu121-cp310-cp310-win_amd64.whl?download=1&mirror=nju",
          "md5=d41d8cd98f00b204e9800998ecf8427e", NULL, "broken CUDA 12.1 build <see #1234>" },
        { "torchvision-0.16.2+cu121-cp311-cp311-linux_x86_64.whl",
          "https://mirror.nju.edu.cn/pytorch/whl/cu121/torchvision-0.16.2%2Bcu121-cp311-cp311-linux_x86_64.whl",
          NULL, NULL, NULL },
        { "torchvision-0.15.2+cu118-cp38-cp38-linux_x86_64.whl",
          "https://mirror.example.org/simple/torchvision/torchvision%2D0.15.2%2Bcu118-cp38-cp38-linux_x86_64.whl",
          NULL, NULL, NULL },
    };
    assert_int_equal(l.n, N(want));
    assert_int_equal(l.nsdists, 2);
    assert_int_equal(l.nskipped, 2);
    for (size_t i = 0; i < N(want); i++) {
        const struct listing_entry *e = &l.v[i];
        assert_string_equal(e->filename, want[i].filename);
        assert_string_equal(e->url, want[i].url);
#define OPT(field, w)                                                                     \
    do {                                                                                  \
        if (w)                                                                            \
            assert_string_equal(field, w);                                                \
        else                                                                              \
            assert_null(field);                                                           \
    } while (0)
        OPT(e->hash, want[i].hash);
        OPT(e->requires_python, want[i].rp);
        OPT(e->yanked_reason, want[i].yanked);
#undef OPT
        assert_int_equal(e->yanked, want[i].yanked != NULL);
        assert_string_equal(e->wheel.norm_name, "torchvision");
    }
    listing_free(&l);
}

/* Small inline pages: <base>, empty input, truncated markup, bad base. */
static void test_inline(void **state)
{
    (void)state;
    static const struct {
        const char *html, *base;
        size_t n;
        const char *first_url;
    } cases[] = {
        { "", "https://h/x/", 0, NULL },
        { "no links at all", "https://h/x/", 0, NULL },
        { "<html><head><base href=\"https://cdn.example.org/wheels/\"></head>"
          "<a href=\"torch-2.3.1%2Bcpu-cp312-cp312-win_amd64.whl\">t</a>",
          "https://h/simple/torch/", 1,
          "https://cdn.example.org/wheels/torch-2.3.1%2Bcpu-cp312-cp312-win_amd64.whl" },
        { "<abbr>x</abbr><area href=\"torch-1.0-py3-none-any.whl\"><a href=\"six-1.16.0-py2.py3-none-any.whl\">",
          "https://h/p/", 1, "https://h/p/six-1.16.0-py2.py3-none-any.whl" },
        { "<a href=\"six-1.16.0-py2.py3-none-any.whl", "https://h/p/", 1,
          "https://h/p/six-1.16.0-py2.py3-none-any.whl" },
        { "<a href=six-1.16.0-py2.py3-none-any.whl>", "https://h/p/", 1,
          "https://h/p/six-1.16.0-py2.py3-none-any.whl" },
        { "<!-- <a href=\"six-1.16.0-py2.py3-none-any.whl\"> -- unterminated", "https://h/p/", 0,
          NULL },
        { "<a href=\"six-1.16.0-py2.py3-none-any.whl\" href=\"other-1.0-py3-none-any.whl\">",
          "https://h/p/", 1, "https://h/p/six-1.16.0-py2.py3-none-any.whl" },
        { "<a", "https://h/p/", 0, NULL },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct listing l;
        assert_int_equal(listing_parse(cases[i].html, strlen(cases[i].html), cases[i].base, &l),
                         0);
        if (l.n != cases[i].n)
            fail_msg("case %zu: %zu entries", i, l.n);
        if (cases[i].first_url)
            assert_string_equal(l.v[0].url, cases[i].first_url);
        listing_free(&l);
    }
    struct listing l;
    assert_int_equal(listing_parse("<a href=\"x.whl\">", 16, "relative/", &l), -1);
    assert_int_equal(listing_parse("<a href=\"x.whl\">", 16, NULL, &l), -1);
    listing_free(&l);
}

/* PEP 658/714 attributes: which one wins, their values, unescaping. */
static void test_metadata_attrs(void **state)
{
    (void)state;
    static const char html[] =
        "<a href=\"/p/a-1.0-py3-none-any.whl#sha256=aa\" data-dist-info-metadata=\"sha256=0123abcd\">a</a>\n"
        "<a href=\"/p/b-1.0-py3-none-any.whl\" data-core-metadata=\"true\">b</a>\n"
        "<a href=\"/p/c-1.0-py3-none-any.whl\" data-dist-info-metadata=\"sha256=cccc\" "
        "data-core-metadata=\"sha256=bbbb\">c</a>\n"
        "<a href=\"/p/d-1.0-py3-none-any.whl\" data-dist-info-metadata=\"sha256&#x3D;dddd\">d</a>\n"
        "<a href=\"/p/e-1.0-py3-none-any.whl\" data-core-metadata=\"false\">e</a>\n"
        "<a href=\"/p/f-1.0-py3-none-any.whl\">f</a>\n"
        "<a href=\"/p/g-1.0-py3-none-any.whl\" data-core-metadata>g</a>\n"
        "<a DATA-CORE-METADATA='sha256=EEEE' href=/p/h-1.0-py3-none-any.whl>h</a>\n"
        "<a href=\"/p/i-1.0-py3-none-any.whl\" data-dist-info-metadata=\"true\" "
        "data-core-metadata=\"false\">i</a>\n"
        "<a href=\"/p/j-1.0.tar.gz\" data-core-metadata=\"true\">j</a>\n";
    static const struct {
        int has;
        const char *hash;
    } want[] = {
        { 1, "sha256=0123abcd" }, { 1, NULL }, { 1, "sha256=bbbb" }, { 1, "sha256=dddd" },
        { 0, NULL }, { 0, NULL }, { 1, NULL }, { 1, "sha256=EEEE" }, { 0, NULL },
    };
    struct listing l;
    assert_int_equal(listing_parse(html, sizeof html - 1, "https://h/simple/x/", &l), 0);
    assert_int_equal(l.n, N(want));
    assert_int_equal(l.nsdists, 1);
    for (size_t i = 0; i < N(want); i++) {
        const struct listing_entry *e = &l.v[i];
        if (e->has_metadata != want[i].has)
            fail_msg("%s: has_metadata %d", e->filename, e->has_metadata);
        if (want[i].hash)
            assert_string_equal(e->metadata_hash, want[i].hash);
        else
            assert_null(e->metadata_hash);
    }
    assert_string_equal(l.v[0].hash, "sha256=aa");
    assert_string_equal(l.v[0].url, "https://h/p/a-1.0-py3-none-any.whl");
    listing_free(&l);
}

/* A PEP 691 project page: every field, relative URLs, what is skipped. */
static void test_json(void **state)
{
    (void)state;
    static const char json[] =
        "{\"meta\": {\"api-version\": \"1.1\", \"_last-serial\": 123}, \"name\": \"torchvision\",\n"
        " \"files\": [\n"
        "  {\"filename\": \"torchvision-0.20.1-cp312-cp312-manylinux1_x86_64.whl\",\n"
        "   \"url\": \"https://files.example.org/packages/ab/cd/torchvision-0.20.1-cp312-cp312-manylinux1_x86_64.whl\",\n"
        "   \"hashes\": {\"md5\": \"00ff\", \"sha256\": \"0c6a\"}, \"requires-python\": \">=3.8\",\n"
        "   \"core-metadata\": {\"sha256\": \"aaaa\"}, \"dist-info-metadata\": {\"sha256\": \"aaaa\"},\n"
        "   \"yanked\": false, \"size\": 7000000, \"upload-time\": \"2024-10-29T17:36:26.843Z\"},\n"
        "  {\"filename\": \"torchvision-0.20.0+cu124-cp312-cp312-linux_x86_64.whl\",\n"
        "   \"url\": \"../../whl/cu124/torchvision-0.20.0%2Bcu124-cp312-cp312-linux_x86_64.whl#sha256=beef\",\n"
        "   \"hashes\": {}, \"dist-info-metadata\": true, \"yanked\": \"broken build\"},\n"
        "  {\"filename\": \"torchvision-0.19.1-cp311-cp311-win_amd64.whl\", \"url\": \"/files/tv.whl?x=1\",\n"
        "   \"hashes\": {\"blake2b_256\": \"zz\", \"md5\": \"d41d8cd98f00b204e9800998ecf8427e\"},\n"
        "   \"requires-python\": null, \"core-metadata\": false, \"dist-info-metadata\": true,\n"
        "   \"yanked\": true},\n"
        "  {\"url\": \"torchvision-0.18.0-py3-none-any.whl\", \"hashes\": {}},\n"
        "  {\"filename\": \"torchvision-0.19.0.tar.gz\", \"url\": \"torchvision-0.19.0.tar.gz\", \"hashes\": {}},\n"
        "  {\"filename\": \"not-a-wheel-name.whl\", \"url\": \"x.whl\", \"hashes\": {}},\n"
        "  {\"filename\": \"torchvision-0.17.0-py3-none-any.whl\"},\n"
        "  42\n"
        " ], \"versions\": [\"0.17.0\", \"0.20.1\"]}\n";
    static const struct {
        const char *filename, *url, *hash, *rp, *yanked, *mhash;
        int has;
    } want[] = {
        { "torchvision-0.20.1-cp312-cp312-manylinux1_x86_64.whl",
          "https://files.example.org/packages/ab/cd/torchvision-0.20.1-cp312-cp312-manylinux1_x86_64.whl",
          "sha256=0c6a", ">=3.8", NULL, "sha256=aaaa", 1 },
        { "torchvision-0.20.0+cu124-cp312-cp312-linux_x86_64.whl",
          "https://mirror.example.org/whl/cu124/torchvision-0.20.0%2Bcu124-cp312-cp312-linux_x86_64.whl",
          "sha256=beef", NULL, "broken build", NULL, 1 },
        { "torchvision-0.19.1-cp311-cp311-win_amd64.whl", "https://mirror.example.org/files/tv.whl?x=1",
          "md5=d41d8cd98f00b204e9800998ecf8427e", NULL, "", NULL, 0 },
        { "torchvision-0.18.0-py3-none-any.whl",
          "https://mirror.example.org/simple/torchvision/torchvision-0.18.0-py3-none-any.whl", NULL,
          NULL, NULL, NULL, 0 },
    };
    struct listing l;
    char *err = NULL;
    const char *base = "https://mirror.example.org/simple/torchvision/";
    for (int any = 0; any < 2; any++) {
        int r = any ? listing_parse_any(json, sizeof json - 1, base, &l, &err)
                    : listing_parse_json(json, sizeof json - 1, base, &l, &err);
        assert_int_equal(r, 0);
        assert_null(err);
        assert_int_equal(l.n, N(want));
        assert_int_equal(l.nsdists, 1);
        assert_int_equal(l.nskipped, 3);
        for (size_t i = 0; i < N(want); i++) {
            const struct listing_entry *e = &l.v[i];
            assert_string_equal(e->filename, want[i].filename);
            assert_string_equal(e->url, want[i].url);
            assert_string_equal(e->wheel.norm_name, "torchvision");
#define OPT(field, w)                                                                     \
    do {                                                                                  \
        if (w)                                                                            \
            assert_string_equal(field, w);                                                \
        else                                                                              \
            assert_null(field);                                                           \
    } while (0)
            OPT(e->hash, want[i].hash);
            OPT(e->requires_python, want[i].rp);
            OPT(e->yanked_reason, want[i].yanked);
            OPT(e->metadata_hash, want[i].mhash);
#undef OPT
            assert_int_equal(e->yanked, want[i].yanked != NULL);
            assert_int_equal(e->has_metadata, want[i].has);
        }
        listing_free(&l);
    }
}

static void test_json_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text, *base, *msg;
    } cases[] = {
        { "<html></html>", "https://h/s/", "not a JSON object" },
        { "{\"files\": [", "https://h/s/", "not a JSON object" },
        { "[1, 2]", "https://h/s/", "not a JSON object" },
        { "{\"meta\": {\"api-version\": \"2.0\"}, \"files\": []}", "https://h/s/",
          "api-version 2.0 is not supported" },
        { "{\"meta\": {\"api-version\": 1}, \"files\": []}", "https://h/s/", "not a string" },
        { "{\"files\": {}}", "https://h/s/", "no \"files\" array" },
        { "{\"name\": \"torch\"}", "https://h/s/", "no \"files\" array" },
        { "{\"files\": []}", "relative/", "not absolute" },
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct listing l;
        char *err = NULL;
        assert_int_equal(listing_parse_json(cases[i].text, strlen(cases[i].text), cases[i].base,
                                            &l, &err), -1);
        if (!err || !strstr(err, cases[i].msg))
            fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].msg);
        assert_int_equal(l.n, 0);
        listing_free(&l);
        free(err);
    }
    struct listing l;
    char *err = NULL;
    static const char ok[] = "{\"meta\": {\"api-version\": \"1.0\"}, \"files\": []}";
    assert_int_equal(listing_parse_json(ok, sizeof ok - 1, "https://h/s/", &l, &err), 0);
    assert_int_equal(l.n, 0);
    listing_free(&l);
    /* listing_parse_any: HTML by its first byte, and the base URL checked. */
    static const char html[] = "  <a href=\"six-1.16.0-py2.py3-none-any.whl\">six</a>";
    assert_int_equal(listing_parse_any(html, sizeof html - 1, "https://h/s/", &l, &err), 0);
    assert_int_equal(l.n, 1);
    listing_free(&l);
    assert_int_equal(listing_parse_any(html, sizeof html - 1, "relative/", &l, &err), -1);
    assert_non_null(strstr(err, "not absolute"));
    free(err);
    listing_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_decode),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_quirks),
        cmocka_unit_test(test_inline),
        cmocka_unit_test(test_metadata_attrs),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_errors),
    };
    return cmocka_run_group_tests_name("listing", tests, NULL, NULL);
}
