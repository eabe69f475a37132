/* test_probe.c — the mirror probe: which URL probes what, the order and
 * formatting of results, the [use] update of the user file, and a real run
 * of the event loop against loopback servers (good, 500, refused, silent). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "probe.h"
#include "testutil.h"

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[16384];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

/* ---- probe_url ----------------------------------------------------- */

static void test_probe_url(void **state)
{
    (void)state;
    static const struct {
        const char *url;        /* the site's URL for the role */
        enum role role;
        const char *channels;   /* conda-channels */
        const char *want;       /* NULL: no probe */
    } cases[] = {
        { "https://mirrors.aliyun.com/pytorch-wheels/{variant}", ROLE_WHEELS, NULL,
          "https://mirrors.aliyun.com/pytorch-wheels/cpu/" },
        { "https://download.pytorch.org/whl/{variant}", ROLE_WHEELS, NULL,
          "https://download.pytorch.org/whl/cpu/" },
        { "https://download.pytorch.org/whl/{variant}/", ROLE_WHEELS, NULL,
          "https://download.pytorch.org/whl/cpu/" },
        { "https://mirror.sjtu.edu.cn/pytorch-wheels/torch_stable.html", ROLE_WHEELS, NULL,
          "https://mirror.sjtu.edu.cn/pytorch-wheels/torch_stable.html" },
        { "http://127.0.0.1:8080/w/{variant}/index.html", ROLE_WHEELS, NULL,
          "http://127.0.0.1:8080/w/cpu/index.html" },
        { "https://pypi.tuna.tsinghua.edu.cn/simple", ROLE_PYPI, NULL,
          "https://pypi.tuna.tsinghua.edu.cn/simple/typing-extensions/" },
        { "https://pypi.org/simple/", ROLE_PYPI, NULL, "https://pypi.org/simple/typing-extensions/" },
        { "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud", ROLE_CONDA, "pytorch conda-forge",
          "https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/pytorch/noarch/repodata.json" },
        { "http://m.example/cloud/", ROLE_CONDA, NULL, "http://m.example/cloud/pytorch/noarch/repodata.json" },
        { "http://m.example/cloud", ROLE_CONDA, "conda-forge bioconda",
          "http://m.example/cloud/conda-forge/noarch/repodata.json" },
        { "https://conda.anaconda.org/nvidia", ROLE_NVIDIA, NULL,
          "https://conda.anaconda.org/nvidia/noarch/repodata.json" },
        { "https://mirrors.sustech.edu.cn/anaconda-extra/cloud/nvidia/", ROLE_NVIDIA, NULL,
          "https://mirrors.sustech.edu.cn/anaconda-extra/cloud/nvidia/noarch/repodata.json" },
        { "", ROLE_PYPI, NULL, NULL },
        { NULL, ROLE_CONDA, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct site s;
        memset(&s, 0, sizeof s);
        s.name = (char *)"x";
        s.url[cases[i].role] = (char *)cases[i].url;
        s.conda_channels = (char *)cases[i].channels;
        char *got = probe_url(&s, cases[i].role);
        if (!cases[i].want) {
            if (got)
                fail_msg("case %zu: wanted no URL, got %s", i, got);
            continue;
        }
        if (!got || strcmp(got, cases[i].want))
            fail_msg("case %zu: %s -> %s, want %s", i, cases[i].url, got ? got : "(null)",
                     cases[i].want);
        free(got);
    }
    /* a simple index: its torch page, where the wheel links are */
    {
        struct site s;
        memset(&s, 0, sizeof s);
        s.name = (char *)"nju";
        s.url[ROLE_WHEELS] = (char *)"https://mirror.nju.edu.cn/pytorch/whl/{variant}";
        s.wheels_format = WHEELS_SIMPLE;
        char *got = probe_url(&s, ROLE_WHEELS);
        assert_string_equal(got, "https://mirror.nju.edu.cn/pytorch/whl/cpu/torch/");
        free(got);
    }
    /* a role the site does not serve */
    struct site s;
    memset(&s, 0, sizeof s);
    s.url[ROLE_PYPI] = (char *)"https://p.example/simple";
    assert_null(probe_url(&s, ROLE_WHEELS));
    assert_null(probe_url(&s, ROLE_NVIDIA));
    assert_null(probe_url(NULL, ROLE_PYPI));
}

/* ---- probe_plan ---------------------------------------------------- */

static const char plan_ini[] =
    "[mirror \"a\"]\n"
    "wheels = http://a.example/w/{variant}\n"
    "pypi = http://a.example/simple\n"
    "[mirror \"b\"]\n"
    "pypi = http://b.example/simple\n"
    "conda = http://b.example/cloud\n"
    "nvidia = http://b.example/nvidia\n"
    "[mirror \"c\"]\n"
    "conda = http://c.example/cloud\n"
    "[use]\n"
    "wheels = a\n"
    "pypi = b a\n"
    "conda = c\n";

static char *plan_names(const struct probe_item *it, long n)
{
    struct strv sv = STRV_INIT;
    for (long i = 0; i < n; i++)
        strv_pushf(&sv, "%s/%s", it[i].site, role_name(it[i].role));
    char *s = join_cmd(&sv, 0);
    strv_clear(&sv);
    return s;
}

static void test_probe_plan(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof path, "%s/plan.ini", test_home);
    write_file(path, plan_ini);
    unsetenv("TORCHSHIM_MIRROR");
    struct config c;
    char *err = NULL;
    assert_int_equal(config_load_files(&c, path, NULL, &err), 0);

    static const struct {
        int in_use;
        const char *only;       /* space-separated, or NULL */
        const char *want;
    } cases[] = {
        { 0, NULL, "a/wheels a/pypi b/pypi b/conda b/nvidia c/conda" },
        { 1, NULL, "a/wheels b/pypi a/pypi c/conda" },
        { 0, "b", "b/pypi b/conda b/nvidia" },
        { 0, "c a", "a/wheels a/pypi c/conda" },
        { 1, "a", "a/wheels a/pypi" },
        { 1, "b c", "b/pypi c/conda" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct strv only = STRV_INIT;
        if (cases[i].only)
            split_cmd(cases[i].only, &only);
        struct probe_item *items = NULL;
        long n = probe_plan(&c, cases[i].in_use, only.v, only.n, &items, &err);
        assert_true(n > 0);
        char *got = plan_names(items, n);
        if (strcmp(got, cases[i].want))
            fail_msg("case %zu: %s, want %s", i, got, cases[i].want);
        for (long k = 0; k < n; k++) {
            assert_int_equal(items[k].order, (size_t)k);
            assert_int_equal(items[k].state, PROBE_PENDING);
            assert_true(items[k].latency < 0);
        }
        free(got);
        probe_items_free(items, (size_t)n);
        strv_clear(&only);
    }
    /* an unknown site is an error */
    char *bad[] = { (char *)"a", (char *)"nosuch" };
    struct probe_item *items = (struct probe_item *)1;
    assert_int_equal(probe_plan(&c, 0, bad, 2, &items, &err), -1);
    assert_null(items);
    assert_non_null(strstr(err, "nosuch"));
    free(err);
    config_free(&c);
}

/* ---- sorting, best, rate, formatting -------------------------------- */

struct row {
    const char *site;
    enum role role;
    enum probe_state state;
    double latency, total;
    size_t bytes;
};

static struct probe_item *make_items(const struct row *rows, size_t n)
{
    struct probe_item *it = calloc(n, sizeof *it);
    for (size_t i = 0; i < n; i++) {
        probe_item_set(&it[i], rows[i].site, rows[i].role, "http://x/");
        it[i].order = i;
        it[i].state = rows[i].state;
        it[i].latency = rows[i].latency;
        it[i].total = rows[i].total;
        it[i].bytes = rows[i].bytes;
    }
    return it;
}

static void test_probe_sort(void **state)
{
    (void)state;
    static const struct row rows[] = {
        { "dead", ROLE_PYPI, PROBE_TIMEOUT, -1, 5, 0 },
        { "slow", ROLE_WHEELS, PROBE_OK, 0.300, 0.4, 1000 },
        { "e500", ROLE_WHEELS, PROBE_FAILED, 0.001, 0.001, 10 },
        { "fast", ROLE_WHEELS, PROBE_OK, 0.020, 0.05, 1000 },
        { "refused", ROLE_WHEELS, PROBE_FAILED, -1, 0.001, 0 },
        { "p1", ROLE_PYPI, PROBE_OK, 0.100, 0.2, 10 },
        { "nv", ROLE_NVIDIA, PROBE_OK, 0.5, 0.6, 10 },
        { "tie1", ROLE_CONDA, PROBE_OK, 0.050, 0.1, 10 },
        { "tie2", ROLE_CONDA, PROBE_OK, 0.050, 0.1, 10 },
        { "nolat", ROLE_CONDA, PROBE_OK, -1, 0.1, 10 },
        { "deadw", ROLE_WHEELS, PROBE_TIMEOUT, -1, 5, 0 },
        { "p0", ROLE_PYPI, PROBE_OK, 0.010, 0.2, 10 },
        { "pend", ROLE_PYPI, PROBE_PENDING, -1, 0, 0 },
    };
    size_t n = sizeof rows / sizeof *rows;
    struct probe_item *it = make_items(rows, n);
    probe_sort(it, n);
    static const char *const want[] = { "fast", "slow", "e500", "refused", "deadw",
                                        "p0", "p1", "dead", "pend",
                                        "tie1", "tie2", "nolat", "nv" };
    for (size_t i = 0; i < n; i++)
        if (strcmp(it[i].site, want[i]))
            fail_msg("position %zu: %s, want %s", i, it[i].site, want[i]);
    /* sorting again changes nothing (ties keep the planned order) */
    probe_sort(it, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(it[i].site, want[i]);

    /* the best per role, whatever the order */
    struct probe_item *raw = make_items(rows, n);
    static const struct {
        enum role role;
        const char *want;
    } best[] = {
        { ROLE_WHEELS, "fast" }, { ROLE_PYPI, "p0" }, { ROLE_CONDA, "tie1" }, { ROLE_NVIDIA, "nv" },
    };
    for (size_t i = 0; i < sizeof best / sizeof *best; i++) {
        const struct probe_item *b = probe_best(raw, n, best[i].role);
        assert_non_null(b);
        assert_string_equal(b->site, best[i].want);
        b = probe_best(it, n, best[i].role);
        assert_string_equal(b->site, best[i].want);
    }
    /* no answer for a role: none */
    static const struct row failing[] = {
        { "x", ROLE_PYPI, PROBE_FAILED, 0.01, 0.01, 0 },
        { "y", ROLE_PYPI, PROBE_TIMEOUT, -1, 5, 0 },
        { "z", ROLE_CONDA, PROBE_OK, 0.01, 0.02, 5 },
    };
    struct probe_item *f = make_items(failing, 3);
    assert_null(probe_best(f, 3, ROLE_PYPI));
    assert_null(probe_best(f, 3, ROLE_WHEELS));
    assert_string_equal(probe_best(f, 3, ROLE_CONDA)->site, "z");
    assert_null(probe_best(NULL, 0, ROLE_CONDA));
    probe_items_free(f, 3);
    probe_items_free(raw, n);
    probe_items_free(it, n);
}

static void test_probe_rate(void **state)
{
    (void)state;
    static const struct {
        struct row r;
        double want;
    } cases[] = {
        { { "a", ROLE_PYPI, PROBE_OK, 0.1, 1.1, 1000000 }, 1000000.0 },
        { { "b", ROLE_PYPI, PROBE_OK, 0.5, 0.75, 5000 }, 20000.0 },
        { { "c", ROLE_PYPI, PROBE_OK, 0.010, 0.010, 4096 }, 4096000.0 },  /* < 1 ms: 1 ms */
        { { "d", ROLE_PYPI, PROBE_OK, 0.010, 0.0105, 100 }, 100000.0 },
        { { "e", ROLE_PYPI, PROBE_FAILED, 0.1, 0.2, 500 }, -1 },
        { { "f", ROLE_PYPI, PROBE_OK, 0.1, 0.2, 0 }, -1 },
        { { "g", ROLE_PYPI, PROBE_TIMEOUT, -1, 5, 0 }, -1 },
        { { "h", ROLE_PYPI, PROBE_OK, -1, 0.2, 10 }, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct probe_item *it = make_items(&cases[i].r, 1);
        double got = probe_rate(it);
        if (cases[i].want < 0 ? got >= 0 : (got < cases[i].want * 0.999 || got > cases[i].want * 1.001))
            fail_msg("case %zu: rate %f, want %f", i, got, cases[i].want);
        probe_items_free(it, 1);
    }
}

static void test_probe_format(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } durations[] = {
        { -1, "-" },        { 0, "0 ms" },        { 0.0004, "0 ms" },  { 0.0126, "13 ms" },
        { 0.250, "250 ms" }, { 0.9994, "999 ms" }, { 0.9996, "1.00 s" }, { 1.234, "1.23 s" },
        { 9.999, "10.0 s" }, { 12.34, "12.3 s" },  { 125, "125.0 s" },
    }, rates[] = {
        { -1, "-" },            { 0, "0 B/s" },          { 512, "512 B/s" },
        { 999.4, "999 B/s" },   { 999.6, "1.00 KB/s" },  { 1500, "1.50 KB/s" },
        { 12345, "12.3 KB/s" }, { 123456, "123 KB/s" },  { 4100000, "4.10 MB/s" },
        { 99960, "100 KB/s" },  { 1.02e9, "1.02 GB/s" }, { 5e15, "5000 TB/s" },
    };
    char buf[32];
    for (size_t i = 0; i < sizeof durations / sizeof *durations; i++) {
        probe_fmt_duration(durations[i].v, buf, sizeof buf);
        if (strcmp(buf, durations[i].want))
            fail_msg("duration %f: '%s', want '%s'", durations[i].v, buf, durations[i].want);
    }
    for (size_t i = 0; i < sizeof rates / sizeof *rates; i++) {
        probe_fmt_rate(rates[i].v, buf, sizeof buf);
        if (strcmp(buf, rates[i].want))
            fail_msg("rate %f: '%s', want '%s'", rates[i].v, buf, rates[i].want);
    }

    static const struct {
        struct row r;
        long http, timeout_ms;
        const char *error;
        const char *want;
    } statuses[] = {
        { { "a", ROLE_PYPI, PROBE_OK, 0.1, 0.2, 5 }, 200, 5000, NULL, "ok" },
        { { "a", ROLE_PYPI, PROBE_FAILED, 0.1, 0.2, 5 }, 500, 5000, "HTTP 500", "HTTP 500" },
        { { "a", ROLE_PYPI, PROBE_FAILED, -1, 0.0, 0 }, 0, 5000, "Connection refused",
          "Connection refused" },
        { { "a", ROLE_PYPI, PROBE_FAILED, -1, 0.0, 0 }, 0, 5000, NULL, "failed" },
        { { "a", ROLE_PYPI, PROBE_TIMEOUT, -1, 5, 0 }, 0, 5000, NULL, "no answer within 5.00 s" },
        { { "a", ROLE_PYPI, PROBE_TIMEOUT, -1, 3, 0 }, 0, 2500, NULL, "no answer within 2.50 s" },
        { { "a", ROLE_PYPI, PROBE_TIMEOUT, 0.1, 3, 0 }, 200, 800, NULL,
          "HTTP 200, no body within 800 ms" },
        { { "a", ROLE_PYPI, PROBE_PENDING, -1, 0, 0 }, 0, 5000, NULL, "not probed" },
    };
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
        struct probe_item *it = make_items(&statuses[i].r, 1);
        it->http_status = statuses[i].http;
        if (statuses[i].error)
            it->error = strdup(statuses[i].error);
        char *s = probe_fmt_status(it, statuses[i].timeout_ms);
        if (strcmp(s, statuses[i].want))
            fail_msg("status case %zu: '%s', want '%s'", i, s, statuses[i].want);
        free(s);
        probe_items_free(it, 1);
    }
}

/* ---- the [use] update ---------------------------------------------- */

static void test_use_update(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *use[ROLE_N];  /* wheels pypi conda nvidia */
        const char *in;
        const char *want;
    } cases[] = {
        { "empty file: a new section", { "good", NULL, "good", NULL }, "",
          "[use]\nwheels = good\nconda = good\n" },
        { "no file (NULL)", { NULL, "p", NULL, NULL }, NULL, "[use]\npypi = p\n" },
        { "nothing to set, no section: unchanged", { NULL, NULL, NULL, NULL },
          "; hello\n[network]\ntimeout = 5\n", "; hello\n[network]\ntimeout = 5\n" },
        { "no [use]: appended after a blank line, the rest kept",
          { "good", NULL, NULL, NULL },
          "; my settings\n[network]\ntimeout = 5\n",
          "; my settings\n[network]\ntimeout = 5\n\n[use]\nwheels = good\n" },
        { "a file without a final newline", { "good", NULL, NULL, NULL },
          "[network]\ntimeout = 5",
          "[network]\ntimeout = 5\n\n[use]\nwheels = good\n" },
        { "replace in place, keep inline comment and spacing",
          { "good", "good", NULL, NULL },
          "[use]\nwheels = aliyun nju      ; PyTorch wheels\npypi=tuna\nconda = tuna ; c\n",
          "[use]\nwheels = good      ; PyTorch wheels\npypi = good\nconda = tuna ; c\n" },
        { "missing keys go after the last key of [use], not after the next section's comment",
          { "w", "p", "c", "n" },
          "[use]\nwheels = a\n\n; the corp mirror\n[mirror \"corp\"]\npypi = http://x/simple\n",
          "[use]\nwheels = w\npypi = p\nconda = c\nnvidia = n\n\n; the corp mirror\n"
          "[mirror \"corp\"]\npypi = http://x/simple\n" },
        { "an empty [use] at the end", { NULL, NULL, "c", NULL }, "[network]\ntimeout = 1\n[use]\n",
          "[network]\ntimeout = 1\n[use]\nconda = c\n" },
        { "continuation lines of a replaced key go, others stay",
          { "w", NULL, NULL, NULL },
          "[use]\nwheels = a\n    b\n    c\npypi = x\n    y\n",
          "[use]\nwheels = w\npypi = x\n    y\n" },
        { "a missing key is not put between a key and its continuation",
          { NULL, NULL, "c", NULL },
          "[use]\npypi = x\n    y\n\n[other]\n",
          "[use]\npypi = x\n    y\nconda = c\n\n[other]\n" },
        { "a repeated key: the first says it, the others go",
          { NULL, "p", NULL, NULL },
          "[use]\npypi = a\nwheels = z\npypi = b\n",
          "[use]\npypi = p\nwheels = z\n" },
        { "a second [use] section is updated too",
          { "w", NULL, "c", NULL },
          "[use]\nwheels = a\n[network]\ntimeout = 3\n[use]\nwheels = b\nconda = d\n",
          "[use]\nwheels = w\nconda = c\n[network]\ntimeout = 3\n[use]\n" },
        { "keys of other sections with role names are not touched",
          { "w", "p", NULL, NULL },
          "[mirror \"x\"]\nwheels = http://x/{variant}\npypi = http://x/simple\n[use]\nwheels = x\n",
          "[mirror \"x\"]\nwheels = http://x/{variant}\npypi = http://x/simple\n[use]\nwheels = w\n"
          "pypi = p\n" },
        { "comments and unknown keys in [use] stay; ':' separator; comment after the header",
          { NULL, "p", NULL, "n" },
          "[use] ; mine\n; pick mirrors\n# also a comment\npypi: tuna\nfoo = bar\n",
          "[use] ; mine\n; pick mirrors\n# also a comment\npypi = p\nfoo = bar\nnvidia = n\n" },
        { "[ use ] is another section to libinih", { NULL, "p", NULL, NULL },
          "[ use ]\npypi = a\n", "[ use ]\npypi = a\n\n[use]\npypi = p\n" },
        { "a key spelled with spaces before '='", { "w", NULL, NULL, NULL },
          "[use]\nwheels    =    a   ; note\n", "[use]\nwheels = w   ; note\n" },
        { "a ';' inside a value without a blank before it is not a comment",
          { NULL, NULL, NULL, "n" }, "[use]\nnvidia = a;b\n", "[use]\nnvidia = n\n" },
        { "CRLF files stay CRLF", { "w", "p", NULL, NULL },
          "[use]\r\nwheels = a\r\n[x]\r\nk = v\r\n",
          "[use]\r\nwheels = w\r\npypi = p\r\n[x]\r\nk = v\r\n" },
        { "the section name is matched exactly", { "w", NULL, NULL, NULL },
          "[user]\nwheels = a\n", "[user]\nwheels = a\n\n[use]\nwheels = w\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = probe_use_update(cases[i].in, cases[i].use);
        if (strcmp(got, cases[i].want))
            fail_msg("%s:\n--- got\n%s--- want\n%s---", cases[i].name, got, cases[i].want);
        /* applying the same update again changes nothing */
        char *again = probe_use_update(got, cases[i].use);
        if (strcmp(again, got))
            fail_msg("%s: not idempotent:\n%s", cases[i].name, again);
        free(again);
        free(got);
    }
}

/* The updated file is what libinih and config.c read back. */
static void test_use_update_reads_back(void **state)
{
    (void)state;
    char defaults[4096], user[4096];
    snprintf(defaults, sizeof defaults, "%s/defaults.ini", test_home);
    snprintf(user, sizeof user, "%s/user-readback.ini", test_home);
    write_file(defaults, plan_ini);
    const char *const use[ROLE_N] = { NULL, "a", "b", "b" };
    char *text = probe_use_update("; mine\n[use]\nwheels = a\npypi = b\n    c ; old\n", use);
    write_file(user, text);
    free(text);
    unsetenv("TORCHSHIM_MIRROR");
    struct config c;
    char *err = NULL;
    assert_int_equal(config_load_files(&c, defaults, user, &err), 0);
    assert_string_equal(c.use[ROLE_WHEELS], "a");
    assert_string_equal(c.use[ROLE_PYPI], "a");
    assert_string_equal(c.use[ROLE_CONDA], "b");
    assert_string_equal(c.use[ROLE_NVIDIA], "b");
    config_free(&c);
}

static void test_save_use(void **state)
{
    (void)state;
    const char *const use[ROLE_N] = { "good", NULL, "good", NULL };
    char path[4096], *err = NULL;
    struct stat st;

    /* a new file, with its directories */
    snprintf(path, sizeof path, "%s/cfg/a/b/config.ini", test_home);
    assert_int_equal(probe_save_use(path, use, &err), 0);
    char *got = slurp(path);
    assert_string_equal(got, "[use]\nwheels = good\nconda = good\n");
    free(got);

    /* an existing file: other content and its mode kept */
    snprintf(path, sizeof path, "%s/existing.ini", test_home);
    write_file(path, "; keep me\n[mirror \"good\"]\nconda = http://g/cloud\n\n[use]\n"
                     "conda = bad   ; was\n");
    chmod(path, 0640);
    assert_int_equal(probe_save_use(path, use, &err), 0);
    got = slurp(path);
    assert_string_equal(got, "; keep me\n[mirror \"good\"]\nconda = http://g/cloud\n\n[use]\n"
                             "conda = good   ; was\nwheels = good\n");
    free(got);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    /* a symlink: its target is rewritten, the link stays */
    char link[4096];
    snprintf(link, sizeof link, "%s/link.ini", test_home);
    assert_int_equal(symlink(path, link), 0);
    const char *const use2[ROLE_N] = { NULL, "p", NULL, NULL };
    assert_int_equal(probe_save_use(link, use2, &err), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    got = slurp(path);
    assert_non_null(strstr(got, "pypi = p\n"));
    assert_non_null(strstr(got, "; keep me\n"));
    free(got);

    /* no temporary files left behind */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '^\\.existing'", test_home);
    assert_int_not_equal(system(cmd), 0);

    /* not a regular file: refused, untouched */
    assert_int_equal(probe_save_use("/dev/null", use, &err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    free(err);
    err = NULL;
    /* a symlink to nowhere */
    snprintf(link, sizeof link, "%s/dangling.ini", test_home);
    assert_int_equal(symlink("/nonexistent/dir/x.ini", link), 0);
    assert_int_equal(probe_save_use(link, use, &err), -1);
    assert_non_null(err);
    free(err);
    err = NULL;
    /* no path at all */
    assert_int_equal(probe_save_use(NULL, use, &err), -1);
    free(err);
}

/* ---- a real run against loopback servers ---------------------------- */

/* A listening socket on a free port of 127.0.0.1. */
static int listen_any(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* A child that answers every connection on FD with STATUS and a body of
 * BODY bytes, one connection at a time, until killed. */
static pid_t serve(int fd, int status, size_t body)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid > 0)
        return pid;
    char *buf = malloc(body);
    memset(buf, 'x', body);
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        char req[4096];
        size_t got = 0;
        while (got < sizeof req - 1) {  /* read up to the end of the headers */
            ssize_t r = read(c, req + got, sizeof req - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            req[got] = '\0';
            if (strstr(req, "\r\n\r\n"))
                break;
        }
        char head[256];
        int hl = snprintf(head, sizeof head,
                          "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                          status, body);
        if (write(c, head, (size_t)hl) == hl)
            (void)!write(c, buf, body);
        close(c);
    }
}

static double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_probe_run(void **state)
{
    (void)state;
    /* the transfers must not go through a proxy from the environment */
    setenv("NO_PROXY", "*", 1);
    int good_port, bad_port, silent_port, big_port, closed_port;
    int good = listen_any(&good_port), bad = listen_any(&bad_port);
    int silent = listen_any(&silent_port), big = listen_any(&big_port);
    int closed = listen_any(&closed_port);
    close(closed);  /* nothing listens there any more: refused */
    pid_t p1 = serve(good, 200, 3000), p2 = serve(bad, 500, 10),
          p3 = serve(big, 200, 2 * 1024 * 1024);

    const struct {
        const char *site;
        enum role role;
        int *port;
    } targets[] = {
        { "silent", ROLE_WHEELS, &silent_port }, { "bad", ROLE_WHEELS, &bad_port },
        { "good", ROLE_WHEELS, &good_port },     { "closed", ROLE_WHEELS, &closed_port },
        { "good", ROLE_PYPI, &good_port },       { "big", ROLE_CONDA, &big_port },
    };
    size_t n = sizeof targets / sizeof *targets;
    struct probe_item *items = calloc(n, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        char url[128];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/%s/", *targets[i].port, role_name(targets[i].role));
        probe_item_set(&items[i], targets[i].site, targets[i].role, url);
        items[i].order = i;
    }
    struct probe_opts o = { .timeout_ms = 1500, .max_bytes = 64 * 1024 };
    char *err = NULL;
    double t0 = now_secs();
    long answered = probe_run(items, n, &o, &err);
    double took = now_secs() - t0;
    kill(p1, SIGKILL);
    kill(p2, SIGKILL);
    kill(p3, SIGKILL);
    waitpid(p1, NULL, 0);
    waitpid(p2, NULL, 0);
    waitpid(p3, NULL, 0);
    close(good);
    close(bad);
    close(silent);
    close(big);

    assert_int_equal(answered, 3);
    /* bounded by the deadline (the silent server never answers) */
    assert_true(took >= 1.4);
    assert_true(took < 3.0);

    assert_int_equal(items[0].state, PROBE_TIMEOUT);
    assert_true(items[0].latency < 0);
    assert_int_equal(items[1].state, PROBE_FAILED);
    assert_int_equal(items[1].http_status, 500);
    assert_string_equal(items[1].error, "HTTP 500");
    assert_true(items[1].latency >= 0);
    assert_int_equal(items[2].state, PROBE_OK);
    assert_int_equal(items[2].http_status, 200);
    assert_int_equal(items[2].bytes, 3000);
    assert_false(items[2].truncated);
    assert_true(items[2].latency > 0 && items[2].latency < 1.0);
    assert_true(probe_rate(&items[2]) > 0);
    assert_int_equal(items[3].state, PROBE_FAILED);
    assert_non_null(items[3].error);
    assert_int_equal(items[3].http_status, 0);
    assert_int_equal(items[4].state, PROBE_OK);
    /* a big body: read up to the cap, still an answer */
    assert_int_equal(items[5].state, PROBE_OK);
    assert_true(items[5].truncated);
    assert_true(items[5].bytes >= 64 * 1024 && items[5].bytes < 2 * 1024 * 1024);

    probe_sort(items, n);
    static const char *const order[] = { "good", "bad", "closed", "silent", "good", "big" };
    for (size_t i = 0; i < n; i++)
        assert_string_equal(items[i].site, order[i]);
    assert_string_equal(probe_best(items, n, ROLE_WHEELS)->site, "good");
    assert_null(probe_best(items, n, ROLE_NVIDIA));

    /* nothing to run: nothing happens */
    assert_int_equal(probe_run(items, 0, &o, &err), 0);
    probe_items_free(items, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_probe_url),
        cmocka_unit_test(test_probe_plan),
        cmocka_unit_test(test_probe_sort),
        cmocka_unit_test(test_probe_rate),
        cmocka_unit_test(test_probe_format),
        cmocka_unit_test(test_use_update),
        cmocka_unit_test(test_use_update_reads_back),
        cmocka_unit_test(test_save_use),
        cmocka_unit_test(test_probe_run),
    };
    return cmocka_run_group_tests_name("probe", tests, test_home_setup, test_home_teardown);
}
