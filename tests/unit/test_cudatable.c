/* test_cudatable.c — the driver -> CUDA variant and compute capability tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cudatable.h"
#include "msg.h"

#define DRIVER_TSV "config/driver-cuda.tsv"
#define CC_TSV "config/compute-cap.tsv"

static int setup_table(void **state)
{
    struct cudatable *t = calloc(1, sizeof *t);
    char *err = NULL;
    if (!t || cudatable_load(t, DRIVER_TSV, CC_TSV, &err) != 0) {
        fprintf(stderr, "load: %s\n", err ? err : "out of memory");
        free(err);
        free(t);
        return -1;
    }
    *state = t;
    return 0;
}

static int teardown_table(void **state)
{
    struct cudatable *t = *state;
    cudatable_free(t);
    free(t);
    return 0;
}

/* "cpu,cu118,cu121" -> vector; returns the count. */
static size_t split_list(const char *list, char **items, size_t max)
{
    size_t n = 0;
    const char *p = list;
    while (*p && n < max) {
        size_t len = strcspn(p, ",");
        items[n++] = xstrndup(p, len);
        p += len;
        if (*p == ',')
            p++;
    }
    return n;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
}

/* ---- pure parsers ---------------------------------------------------------- */

static void test_variant_cuda(void **state)
{
    (void)state;
    static const struct {
        const char *v;
        int want;
    } cases[] = {
        { "cu121", 1201 }, { "cu118", 1108 }, { "cu92", 902 },   { "cu130", 1300 },
        { "cu102", 1002 }, { "cu100", 1000 }, { "cpu", -1 },     { "cu", -1 },
        { "cu1", -1 },     { "cu1234", -1 },  { "rocm6.1", -1 }, { "cu12a", -1 },
        { "CU121", -1 },   { "cu-12", -1 },   { NULL, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = cudatable_variant_cuda(cases[i].v);
        if (got != cases[i].want)
            fail_msg("variant %s: got %d, want %d", cases[i].v ? cases[i].v : "NULL", got,
                     cases[i].want);
    }
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static void test_driver_cmp(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int want;
    } cases[] = {
        { "535.104.05", "525.60.13", 1 },
        { "525.60.13", "525.60.13", 0 },
        { "525.60.9", "525.60.13", -1 },   /* numeric, not lexical */
        { "450.80.02", "450.80.2", 0 },    /* leading zeros */
        { "580", "580.65.06", -1 },
        { "580.65.06", "580", 1 },
        { "528.33", "528.33.0", 0 },       /* missing component = 0 */
        { "1000.1", "999.99.99", 1 },
        { "bad", "1.0", -1 },               /* malformed sorts first */
        { "1.0", "", 1 },
        { "470.82.01", "470.82.01", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = sign(cudatable_driver_cmp(cases[i].a, cases[i].b));
        if (got != cases[i].want)
            fail_msg("cmp(%s, %s) = %d, want %d", cases[i].a, cases[i].b, got, cases[i].want);
    }
    static const struct {
        const char *v;
        int ok;
    } valid[] = {
        { "535.104.05", 1 }, { "535", 1 }, { "528.33", 1 }, { "535.", 0 }, { ".535", 0 },
        { "5a5.1", 0 },      { "", 0 },    { NULL, 0 },     { "1..2", 0 }, { "535 ", 0 },
    };
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++)
        if (cudatable_driver_valid(valid[i].v) != valid[i].ok)
            fail_msg("valid(%s) != %d", valid[i].v ? valid[i].v : "NULL", valid[i].ok);
}

/* ---- the shipped tables ----------------------------------------------------- */

static void test_shipped_rows(void **state)
{
    const struct cudatable *t = *state;
    /* Every README row is there, in the right column. */
    static const struct {
        const char *variant, *linux_min, *windows_min;
    } rows[] = {
        { "cu130", "580", "580" },
        { "cu132", "580", "580" },
        { "cu120", "525.60.13", "528.33" },
        { "cu124", "525.60.13", "528.33" },
        { "cu129", "525.60.13", "528.33" },
        { "cu111", "450.80.02", "452.39" },
        { "cu118", "450.80.02", "452.39" },
        { "cu110", "450.36.06", "451.22" },
        { "cu102", "440.33", "441.22" },
        { "cu101", "418.39", "418.96" },
        { "cu100", "410.48", "411.31" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        int v = cudatable_variant_cuda(rows[i].variant);
        const struct cudatable_driver_row *hit = NULL;
        for (size_t j = 0; j < t->ndrv && !hit; j++)
            if (v >= t->drv[j].lo && v <= t->drv[j].hi)
                hit = &t->drv[j];
        if (!hit)
            fail_msg("%s: no row", rows[i].variant);
        assert_string_equal(hit->min_linux, rows[i].linux_min);
        assert_string_equal(hit->min_windows, rows[i].windows_min);
    }
    assert_true(t->ncc > 0);
}

static void test_max_cuda(void **state)
{
    const struct cudatable *t = *state;
    static const struct {
        const char *driver;
        int windows;
        int rc;
        const char *want;
    } cases[] = {
        { "470.82.01", 0, 0, "11.8" },
        { "535.104.05", 0, 0, "12.9" },
        { "580.65.06", 0, 0, "13.2" },
        { "525.60.13", 0, 0, "12.9" },   /* exactly the minimum */
        { "525.60.12", 0, 0, "11.8" },   /* one below */
        { "528.33", 1, 0, "12.9" },
        { "528.24", 1, 0, "11.8" },
        { "525.60.13", 1, 0, "11.8" },   /* Windows needs 528.33 */
        { "450.36.06", 0, 0, "11.0" },
        { "450.80.02", 0, 0, "11.8" },
        { "440.33", 0, 0, "10.2" },
        { "418.39", 0, 0, "10.1" },
        { "418.96", 1, 0, "10.1" },
        { "410.48", 0, 0, "10.0" },
        { "390.157", 0, -1, "" },
        { "garbage", 0, -1, "" },
        { NULL, 0, -1, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = (char *)"x";
        int rc = cudatable_max_cuda(t, cases[i].driver, cases[i].windows, &out);
        if (rc != cases[i].rc || strcmp(out ? out : "", cases[i].want) != 0 || (rc < 0 && out))
            fail_msg("max_cuda(%s, win=%d) = %d '%s', want %d '%s'",
                     cases[i].driver ? cases[i].driver : "NULL", cases[i].windows, rc,
                     out ? out : "(null)", cases[i].rc, cases[i].want);
        free(out);
    }
}

static void test_max_cuda_with_cap(void **state)
{
    const struct cudatable *t = *state;
    static const struct {
        const char *driver, *cap;
        int strict, rc;
        const char *want;
    } cases[] = {
        { "535.104.05", "12.2", 0, 0, "12.9" },  /* major bound: minor compatibility */
        { "535.104.05", "12.2", 1, 0, "12.2" },  /* exact bound */
        { "470.82.01", "11.4", 0, 0, "11.8" },
        { "470.82.01", "11.4", 1, 0, "11.4" },
        { "580.65.06", "13.0", 0, 0, "13.2" },
        { "580.65.06", "12.8", 0, 0, "12.9" },   /* cap below the table: cu13x gone */
        { NULL, "12.4", 0, 0, "12.9" },          /* only the CUDA version known */
        { NULL, "12.4", 1, 0, "12.4" },
        { NULL, "9.0", 0, -1, "" },              /* older than any row */
        { "535.104.05", "twelve", 0, -1, "" },
        { NULL, NULL, 0, -1, "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cudatable_query q = { .driver = cases[i].driver, .cuda_cap = cases[i].cap,
                                     .cap_minor = cases[i].strict };
        char *out = (char *)"x";
        int rc = cudatable_max_cuda_q(t, &q, &out);
        if (rc != cases[i].rc || strcmp(out ? out : "", cases[i].want) != 0 || (rc < 0 && out))
            fail_msg("case %zu: max_cuda_q = %d '%s', want %d '%s'", i, rc,
                     out ? out : "(null)", cases[i].rc, cases[i].want);
        free(out);
    }
}

static void test_variant_ok(void **state)
{
    const struct cudatable *t = *state;
    static const struct {
        const char *variant, *driver;
        int windows, want;
    } cases[] = {
        { "cu121", "535.104.05", 0, 1 },
        { "cu124", "535.104.05", 0, 1 },
        { "cu129", "535.104.05", 0, 1 },
        { "cu130", "535.104.05", 0, 0 },
        { "cu130", "580.65.06", 0, 1 },
        { "cu132", "580.65.06", 0, 1 },
        { "cu118", "470.82.01", 0, 1 },
        { "cu121", "470.82.01", 0, 0 },
        { "cu121", "527.41", 1, 0 },
        { "cu121", "528.33", 1, 1 },
        { "cu102", "440.33", 0, 1 },
        { "cu102", "440.32", 0, 0 },
        { "cu110", "450.36.06", 0, 1 },
        { "cu111", "450.36.06", 0, 0 },
        { "cpu", NULL, 0, 1 },
        { "cpu", "390.157", 0, 1 },
        { "cu121", NULL, 0, 0 },          /* no driver */
        { "cu131", "580.65.06", 0, -1 },  /* not in the table */
        { "cu92", "580.65.06", 0, -1 },
        { "rocm6.1", "535.104.05", 0, -1 },
        { "cu121", "5x5", 0, -1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int got = cudatable_variant_ok(t, cases[i].variant, cases[i].driver, cases[i].windows);
        if (got != cases[i].want)
            fail_msg("variant_ok(%s, %s, win=%d) = %d, want %d", cases[i].variant,
                     cases[i].driver ? cases[i].driver : "NULL", cases[i].windows, got,
                     cases[i].want);
    }
}

/* cudatable_check's verdict; *why (malloc'd) its reason. */
static int check(const struct cudatable *t, const char *variant, const struct cudatable_query *q,
                 char **why)
{
    free(*why);
    *why = (char *)"x";
    int rc = cudatable_check(t, variant, q, why);
    if (rc == 1)
        assert_null(*why);   /* nothing to say when it fits */
    else
        assert_non_null(*why);
    return rc;
}

static void test_check_why(void **state)
{
    const struct cudatable *t = *state;
    char *why = NULL;
    struct cudatable_query q = { .driver = "470.82.01" };
    assert_int_equal(check(t, "cu121", &q, &why), 0);
    assert_non_null(strstr(why, "525.60.13"));
    assert_non_null(strstr(why, "470.82.01"));
    q.windows = 1;
    assert_int_equal(check(t, "cu121", &q, &why), 0);
    assert_non_null(strstr(why, "528.33"));
    assert_non_null(strstr(why, "Windows"));
    struct cudatable_query strict = { .driver = "535.104.05", .cuda_cap = "12.2",
                                      .cap_minor = 1 };
    assert_int_equal(check(t, "cu124", &strict, &why), 0);
    assert_non_null(strstr(why, "CUDA 12.2 at most"));
    assert_int_equal(check(t, "cu131", &strict, &why), -1);
    assert_non_null(strstr(why, "no driver requirement"));
    struct cudatable_query none = { 0 };
    assert_int_equal(check(t, "cu118", &none, &why), 0);
    assert_non_null(strstr(why, "no NVIDIA driver"));
    assert_int_equal(check(t, "cu121", &strict, &why), 1);
    free(why);
    q.windows = 0;
    assert_int_equal(cudatable_check(t, "cu118", &q, NULL), 1); /* NULL why is fine */
    assert_int_equal(cudatable_check(t, "cu121", &q, NULL), 0);
}

/* ---- picking ------------------------------------------------------------------ */

struct pick_case {
    const char *published;
    const char *driver, *cap;
    int strict;
    const char *cc, *torch;
    int windows;
    int rc;
    const char *want;
    const char *why_has;   /* substring of why, or NULL */
};

static void run_pick_cases(const struct cudatable *t, const struct pick_case *cases, size_t n,
                           int use_q)
{
    for (size_t i = 0; i < n; i++) {
        const struct pick_case *c = &cases[i];
        char *items[16];
        size_t ni = split_list(c->published, items, 16);
        char *out = (char *)"x", *why = NULL;
        int rc;
        if (use_q) {
            struct cudatable_query q = { c->driver, c->cap, c->strict, c->cc, c->torch,
                                         c->windows };
            rc = cudatable_pick_q(t, &q, (const char *const *)items, ni, &out, &why);
        } else {
            rc = cudatable_pick(t, (const char *const *)items, ni, c->driver, c->windows, &out);
        }
        free_list(items, ni);
        if (rc != c->rc || strcmp(out ? out : "", c->want) != 0 || (rc < 0 && out))
            fail_msg("case %zu [%s] driver %s cap %s cc %s: got %d '%s' (%s), want %d '%s'", i,
                     c->published, c->driver ? c->driver : "-", c->cap ? c->cap : "-",
                     c->cc ? c->cc : "-", rc, out ? out : "(null)", why ? why : "", c->rc,
                     c->want);
        if (use_q && !why)
            fail_msg("case %zu: no why", i);   /* the choice, or the failure, is explained */
        if (use_q && c->why_has && !strstr(why, c->why_has))
            fail_msg("case %zu: why '%s' lacks '%s'", i, why, c->why_has);
        free(out);
        free(why);
    }
}

static void test_pick(void **state)
{
    const struct cudatable *t = *state;
    static const struct pick_case cases[] = {
        /* torch 2.4 / 2.5 */
        { "cpu,cu118,cu121,cu124", "535.104.05", NULL, 0, NULL, NULL, 0, 0, "cu124", NULL },
        { "cpu,cu118,cu121,cu124", "470.82.01", NULL, 0, NULL, NULL, 0, 0, "cu118", NULL },
        { "cpu,cu118,cu121,cu124", "580.65.06", NULL, 0, NULL, NULL, 0, 0, "cu124", NULL },
        { "cpu,cu118,cu121,cu124", NULL, NULL, 0, NULL, NULL, 0, 0, "cpu", NULL },
        { "cpu,cu118,cu121,cu124", "390.157", NULL, 0, NULL, NULL, 0, 0, "cpu", NULL },
        { "cpu,cu118,cu121,cu124", "528.33", NULL, 0, NULL, NULL, 1, 0, "cu124", NULL },
        { "cpu,cu118,cu121,cu124", "527.41", NULL, 0, NULL, NULL, 1, 0, "cu118", NULL },
        { "cu124,cpu,cu118,cu121", "535.104.05", NULL, 0, NULL, NULL, 0, 0, "cu124", NULL },
        /* torch 2.3: only cu118/cu121 */
        { "cpu,cu118,cu121", "470.82.01", NULL, 0, NULL, NULL, 0, 0, "cu118", NULL },
        { "cpu,cu118,cu121", "535.104.05", NULL, 0, NULL, NULL, 0, 0, "cu121", NULL },
        /* torch 2.8 / 2.9: CUDA 12.6+ only */
        { "cpu,cu126,cu128,cu129", "535.104.05", NULL, 0, NULL, NULL, 0, 0, "cu129", NULL },
        { "cpu,cu126,cu128,cu130", "580.65.06", NULL, 0, NULL, NULL, 0, 0, "cu130", NULL },
        { "cpu,cu126,cu128,cu130", "535.104.05", NULL, 0, NULL, NULL, 0, 0, "cu128", NULL },
        { "cpu,cu126,cu128,cu130", "470.82.01", NULL, 0, NULL, NULL, 0, 0, "cpu", NULL },
        /* torch 1.12 */
        { "cpu,cu102,cu113,cu116", "440.33", NULL, 0, NULL, NULL, 0, 0, "cu102", NULL },
        { "cpu,cu102,cu113,cu116", "418.39", NULL, 0, NULL, NULL, 0, 0, "cpu", NULL },
        /* no cpu published, nothing fits */
        { "cu121,cu124", "470.82.01", NULL, 0, NULL, NULL, 0, -1, "", NULL },
        { "", "535.104.05", NULL, 0, NULL, NULL, 0, -1, "", NULL },
        /* unknown variants are never picked */
        { "cpu,cu131,rocm6.1,xpu", "580.65.06", NULL, 0, NULL, NULL, 0, 0, "cpu", NULL },
        { "cu121,cu121,cpu", "535.104.05", NULL, 0, NULL, NULL, 0, 0, "cu121", NULL },
    };
    run_pick_cases(t, cases, sizeof cases / sizeof *cases, 0);
    run_pick_cases(t, cases, sizeof cases / sizeof *cases, 1);
}

static void test_pick_query(void **state)
{
    const struct cudatable *t = *state;
    static const struct pick_case cases[] = {
        /* nvidia-smi's CUDA version: major bound by default, exact when strict */
        { "cpu,cu118,cu121,cu124", "535.104.05", "12.2", 0, NULL, NULL, 0, 0, "cu124", NULL },
        { "cpu,cu118,cu121,cu124", "535.104.05", "12.2", 1, NULL, NULL, 0, 0, "cu121",
          "CUDA 12.2 at most" },
        { "cpu,cu118,cu121", "470.82.01", "11.4", 0, NULL, NULL, 0, 0, "cu118", "525.60.13" },
        { "cpu,cu118,cu121", "470.82.01", "11.4", 1, NULL, NULL, 0, 0, "cpu", NULL },
        { "cpu,cu126,cu128,cu130", "580.65.06", "12.9", 0, NULL, NULL, 0, 0, "cu128",
          "CUDA 12.9 at most" },
        /* only the CUDA version is known (driver unreadable) */
        { "cpu,cu118,cu121,cu124", NULL, "12.4", 0, NULL, NULL, 0, 0, "cu124", NULL },
        { "cpu,cu118,cu121,cu124", NULL, "11.8", 0, NULL, NULL, 0, 0, "cu118", NULL },
        /* compute capability: Pascal on a new driver falls back to cu126 */
        { "cpu,cu126,cu128,cu130", "580.65.06", "13.0", 0, "6.1", "2.9.0", 0, 0, "cu126",
          "6.1" },
        { "cpu,cu126,cu128,cu130", "580.65.06", "13.0", 0, "8.6", "2.9.0", 0, 0, "cu130",
          NULL },
        /* Blackwell (12.0) has no kernels before cu128 */
        { "cpu,cu126,cu128,cu130", "580.65.06", "13.0", 0, "12.0", "2.9.0", 0, 0, "cu130",
          NULL },
        { "cpu,cu118,cu124,cu126", "580.65.06", "13.0", 0, "12.0", "2.6.0", 0, 0, "cpu",
          "newer than 9.0" },
        /* Volta (7.0): cu128/cu129 of 2.8 still carry sm_70, later ones do not */
        { "cpu,cu126,cu128,cu129", "580.65.06", NULL, 0, "7.0", "2.8.0", 0, 0, "cu129", NULL },
        { "cpu,cu126,cu128,cu130", "580.65.06", NULL, 0, "7.0", "2.10.0", 0, 0, "cu126",
          NULL },
        { "cpu,cu126,cu128,cu130", "580.65.06", NULL, 0, "7.0", NULL, 0, 0, "cu126", NULL },
        /* Kepler (3.5) is below every CUDA variant's kernels */
        { "cpu,cu118,cu121", "470.82.01", NULL, 0, "3.5", "2.3.1", 0, 0, "cpu", "3.5" },
        /* no driver */
        { "cpu,cu118", NULL, NULL, 0, NULL, NULL, 0, 0, "cpu", "no NVIDIA driver" },
        { "cpu,cu118,cu121,cu124", "535.104.05", NULL, 0, NULL, NULL, 0, 0, "cu124",
          "newest published" },
    };
    run_pick_cases(t, cases, sizeof cases / sizeof *cases, 1);
}

/* The last resort shared by every pick (detect.c's ROCm and CPU paths too). */
static void test_pick_cpu(void **state)
{
    (void)state;
    const char *const pub[] = { "cu121", NULL, "cpu" };
    char *out = NULL, *why = NULL;
    assert_int_equal(cudatable_pick_cpu(pub, 3, "no GPU backend detected", "", &out, &why), 0);
    assert_string_equal(out, "cpu");
    assert_string_equal(why, "cpu: no GPU backend detected");
    free(out);
    free(why);
    assert_int_equal(cudatable_pick_cpu(pub, 2, "x", "", &out, &why), -1);
    assert_null(out);
    assert_string_equal(why, "no published variant fits");
    free(why);
    assert_int_equal(cudatable_pick_cpu(pub, 1, "x", "cu121: too old", &out, &why), -1);
    assert_string_equal(why, "no published variant fits: cu121: too old");
    free(why);
    assert_int_equal(cudatable_pick_cpu(pub, 3, "x", "", &out, NULL), 0);
    assert_string_equal(out, "cpu");
    free(out);
}

static void test_cc_warning(void **state)
{
    const struct cudatable *t = *state;
    static const struct {
        const char *variant, *torch, *cc;
        int want;
        const char *msg_has;
    } cases[] = {
        { "cu128", NULL, "6.1", 1, "older than 7.5" },
        { "cu130", "2.9.0", "6.1", 1, "torch 2.9.0 cu130" },
        { "cu129", NULL, "5.2", 1, "no kernel image" },
        { "cu126", NULL, "6.1", 0, NULL },
        { "cu121", NULL, "5.0", 0, NULL },
        { "cu121", NULL, "3.7", 1, "older than 5.0" },
        { "cu118", NULL, "3.7", 0, NULL },
        { "cu118", NULL, "3.5", 1, "older than 3.7" },
        { "cu118", NULL, "8.9", 0, NULL },      /* Ada runs sm_86 code */
        { "cu117", NULL, "8.9", 0, NULL },
        { "cu117", NULL, "9.0", 1, "newer than 8.6" },
        { "cu126", NULL, "12.0", 1, "newer than 9.0" },
        { "cu124", NULL, "10.0", 1, "newer than 9.0" },
        { "cu128", NULL, "12.0", 0, NULL },
        { "cu128", NULL, "12.1", 0, NULL },
        { "cu128", "2.8.0", "7.0", 0, NULL },
        { "cu129", "2.9.1+cu129", "7.0", 0, NULL },
        { "cu128", "2.7.1", "7.0", 1, "older than 7.5" },
        { "cu128", "2.10.0", "7.0", 1, "older than 7.5" },
        { "cu128", NULL, "7.0", 1, "older than 7.5" },
        { "cpu", NULL, "6.1", -1, NULL },
        { "cu121", NULL, "abc", -1, NULL },
        { "cu121", NULL, NULL, -1, NULL },
        { "cu92", NULL, "6.1", -1, NULL },      /* no row */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *msg = (char *)"x";
        int got = cudatable_cc_warning(t, cases[i].variant, cases[i].torch, cases[i].cc, &msg);
        if (got != cases[i].want)
            fail_msg("cc_warning(%s, %s, %s) = %d (%s), want %d", cases[i].variant,
                     cases[i].torch ? cases[i].torch : "-", cases[i].cc ? cases[i].cc : "-",
                     got, msg ? msg : "(null)", cases[i].want);
        if (got == 1) {
            assert_non_null(strstr(msg, cases[i].cc));
            if (cases[i].msg_has && !strstr(msg, cases[i].msg_has))
                fail_msg("case %zu: '%s' lacks '%s'", i, msg, cases[i].msg_has);
        } else {
            assert_null(msg);
        }
        free(msg);
    }
}

/* ---- parsing and loading ------------------------------------------------------- */

static void test_parse_ok(void **state)
{
    (void)state;
    struct cudatable t;
    char *err = NULL;
    const char *drv = "# comment\n\n"
                      "cu130,cu132\t580\t580   # trailing comment\r\n"
                      "cu120..cu129  525.60.13  528.33\n"
                      "cu118 450.80.02 452.39";  /* no final newline */
    const char *cc = "cu120..cu129\t2.8-2.9\t7.0\t12.0\ncu120..cu129 * 5.0 9.0\n";
    assert_int_equal(cudatable_parse(&t, drv, cc, &err), 0);
    assert_null(err);
    assert_int_equal(t.ndrv, 4);
    assert_int_equal(t.drv[0].lo, 1300);
    assert_int_equal(t.drv[1].lo, 1302);
    assert_int_equal(t.drv[2].lo, 1200);
    assert_int_equal(t.drv[2].hi, 1209);
    assert_string_equal(t.drv[2].min_windows, "528.33");
    assert_int_equal(t.drv[3].lo, 1108);
    assert_int_equal(t.ncc, 2);
    assert_int_equal(t.cc[0].torch_lo, 208);
    assert_int_equal(t.cc[0].torch_hi, 209);
    assert_int_equal(t.cc[0].min_cc, 70);
    assert_int_equal(t.cc[0].max_cc, 120);
    assert_int_equal(t.cc[1].torch_lo, 0);
    cudatable_free(&t);
    assert_null(t.drv);

    /* no compute capability table: no cc checks, no warnings */
    assert_int_equal(cudatable_parse(&t, drv, NULL, NULL), 0);
    assert_int_equal(cudatable_cc_warning(&t, "cu128", NULL, "6.1", NULL), -1);
    cudatable_free(&t);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char good[] = "cu121 525.60.13 528.33\n";
    static const struct {
        const char *drv, *cc, *err_has;
    } cases[] = {
        { "cu121\t525\n", NULL, "driver-cuda.tsv:1: expected 3 fields" },
        { "cu121 1 2 3\n", NULL, "expected 3 fields" },
        { "\n# c\ncu121 525\n", NULL, "driver-cuda.tsv:3:" },
        { "cu12x 1 1\n", NULL, "not a CUDA variant" },
        { "cu121,,cu124 1 1\n", NULL, "bad variant list" },
        { "cu129..cu120 1 1\n", NULL, "empty range" },
        { "cu118..cu121 1 1\n", NULL, "spans CUDA majors" },
        { "cu121 52a.1 1\n", NULL, "bad driver version" },
        { "cu121 525. 528\n", NULL, "bad driver version" },
        { "", NULL, "no rows" },
        { "# only a comment\n", NULL, "no rows" },
        { good, "cu121 * 7.5\n", "compute-cap.tsv:1: expected 4 fields" },
        { good, "cu121 2.x 5.0 9.0\n", "bad torch range" },
        { good, "cu121 2.9-2.8 5.0 9.0\n", "bad torch range" },
        { good, "cu121 2.8x 5.0 9.0\n", "bad torch range" },
        { good, "cu121 * 9.0 5.0\n", "bad compute capability" },
        { good, "cu121 * 7 9.0\n", "bad compute capability" },
        { good, "cu121 * 7.5 9.10\n", "bad compute capability" },
        { good, "cpu * 5.0 9.0\n", "not a CUDA variant" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct cudatable t = { (void *)1, 1, (void *)1, 1 };
        char *err = NULL;
        int rc = cudatable_parse(&t, cases[i].drv, cases[i].cc, &err);
        if (rc != -1 || !err || !strstr(err, cases[i].err_has))
            fail_msg("case %zu: rc %d err '%s', want '%s'", i, rc, err ? err : "(null)",
                     cases[i].err_has);
        free(err);
        /* no err wanted: the same answer */
        assert_int_equal(cudatable_parse(&t, cases[i].drv, cases[i].cc, NULL), -1);
        /* left empty on failure */
        assert_null(t.drv);
        assert_null(t.cc);
        assert_int_equal(t.ndrv + t.ncc, 0);
    }
}

/* cudatable_load's rc; its error (when -1) must contain HAS. */
static int load(struct cudatable *t, const char *dpath, const char *cpath, const char *has)
{
    char *err = NULL;
    int rc = cudatable_load(t, dpath, cpath, &err);
    if (rc != 0 && (!err || !strstr(err, has)))
        fail_msg("load %s: error '%s' lacks '%s'", dpath, err ? err : "(null)", has);
    free(err);
    return rc;
}

static void test_load_files(void **state)
{
    (void)state;
    struct cudatable t;
    assert_int_equal(load(&t, "tests/fixtures/no-such-table.tsv", NULL,
                          "tests/fixtures/no-such-table.tsv"),
                     -1);
    assert_null(t.drv);
    assert_int_equal(load(&t, DRIVER_TSV, "tests/fixtures/no-such-cc.tsv", "no-such-cc.tsv"), -1);
    /* a directory is not a table */
    assert_int_equal(load(&t, "tests/fixtures", NULL, "tests/fixtures"), -1);
    assert_null(t.drv);

    /* the data directory lookup (config_datadir honours TORCHSHIM_DATADIR) */
    char *old = getenv("TORCHSHIM_DATADIR") ? xstrdup(getenv("TORCHSHIM_DATADIR")) : NULL;
    setenv("TORCHSHIM_DATADIR", "config", 1);
    assert_int_equal(cudatable_load_default(&t, NULL), 0);
    assert_true(t.ndrv > 0);
    assert_true(t.ncc > 0);
    cudatable_free(&t);
    setenv("TORCHSHIM_DATADIR", "tests/fixtures/sysroots/nogpu", 1);
    char *err = NULL;
    assert_int_equal(cudatable_load_default(&t, &err), -1);
    assert_non_null(strstr(err, "driver-cuda.tsv"));
    free(err);
    if (old)
        setenv("TORCHSHIM_DATADIR", old, 1);
    else
        unsetenv("TORCHSHIM_DATADIR");
    free(old);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_variant_cuda),
        cmocka_unit_test(test_driver_cmp),
        cmocka_unit_test(test_shipped_rows),
        cmocka_unit_test(test_max_cuda),
        cmocka_unit_test(test_max_cuda_with_cap),
        cmocka_unit_test(test_variant_ok),
        cmocka_unit_test(test_check_why),
        cmocka_unit_test(test_pick),
        cmocka_unit_test(test_pick_query),
        cmocka_unit_test(test_pick_cpu),
        cmocka_unit_test(test_cc_warning),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_load_files),
    };
    return cmocka_run_group_tests_name("cudatable", tests, setup_table, teardown_table);
}
