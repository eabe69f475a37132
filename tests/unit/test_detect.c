/* test_detect.c — backend detection against fake machines in
 * tests/fixtures/sysroots (see the README there), and the choice of variant.
 * (The bounded runner and the PATH lookup it uses: test_hostprobe.c.) */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cudatable.h"
#include "detect.h"
#include "fileio.h"
#include "msg.h"

#define SYSROOTS "tests/fixtures/sysroots"

struct env {
    char *top;        /* absolute repository root */
    char *saved_path;
    struct cudatable table;
};

static char *top_dir(void)
{
    const char *t = getenv("TORCHSHIM_TOP");
    if (t && *t == '/')
        return xstrdup(t);
    char *cwd = getcwd(NULL, 0);
    if (!cwd)
        die(1, "getcwd failed");
    char *r = xstrdup(cwd);
    free(cwd);
    return r;
}

static int group_setup(void **state)
{
    struct env *e = xcalloc(1, sizeof *e);
    e->top = top_dir();
    const char *p = getenv("PATH");
    e->saved_path = xstrdup(p ? p : "/usr/bin:/bin");
    char *err = NULL;
    char *d = xasprintf("%s/config/driver-cuda.tsv", e->top);
    char *c = xasprintf("%s/config/compute-cap.tsv", e->top);
    int rc = cudatable_load(&e->table, d, c, &err);
    free(d);
    free(c);
    if (rc != 0) {
        fprintf(stderr, "%s\n", err);
        free(err);
        return -1;
    }
    *state = e;
    return 0;
}

static int group_teardown(void **state)
{
    struct env *e = *state;
    setenv("PATH", e->saved_path, 1);
    unsetenv("TORCHSHIM_SYSROOT");
    unsetenv("TORCHSHIM_BACKEND");
    cudatable_free(&e->table);
    free(e->saved_path);
    free(e->top);
    free(e);
    return 0;
}

/* Point detection at a fake machine: its sysroot, and only BINDIR (relative
 * to the sysroot) on PATH. */
static void use_machine(const struct env *e, const char *name, const char *bindir)
{
    char *root = xasprintf("%s/" SYSROOTS "/%s", e->top, name);
    char *bin = xasprintf("%s/%s", root, bindir);
    setenv("TORCHSHIM_SYSROOT", root, 1);
    setenv("PATH", bin, 1);
    unsetenv("TORCHSHIM_BACKEND");
    free(root);
    free(bin);
}


static int has_note(const struct detect_result *r, const char *needle)
{
    for (size_t i = 0; i < r->notes.n; i++)
        if (strstr(r->notes.v[i], needle))
            return 1;
    return 0;
}

static void dump_notes(const struct detect_result *r)
{
    for (size_t i = 0; i < r->notes.n; i++)
        fprintf(stderr, "#   note: %s\n", r->notes.v[i]);
}

/* ---- the machines ------------------------------------------------------------ */

struct machine_case {
    const char *name, *bindir;
    enum detect_kind kind;
    const char *driver;
    const char *driver_src;   /* suffix of driver_source */
    const char *cuda;
    size_t ngpus;
    const char *gpu0, *cc0;
    const char *min_cc;
    const char *rocm, *rocm_full;
    const char *agent0;
    const char *note;         /* one note must contain this */
};

static const struct machine_case machines[] = {
    { "nogpu", "bin", DETECT_CPU, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL,
      "no NVIDIA driver found: CPU" },
    { "nv470", "bin", DETECT_CUDA, "470.82.01", "/proc/driver/nvidia/version", "11.4", 1,
      "NVIDIA GeForce RTX 2080 Ti", NULL, NULL, NULL, NULL, NULL,
      "/proc/driver/nvidia/version" },
    { "nv535", "bin", DETECT_CUDA, "535.104.05", "/sys/module/nvidia/version", "12.2", 2,
      "NVIDIA A100-SXM4-80GB", "8.0", "8.0", NULL, NULL, NULL,
      "driver 535.104.05 from " },
    { "nv580", "bin", DETECT_CUDA, "580.65.06", "nvidia-smi --query-gpu", "13.0", 1,
      "NVIDIA GeForce RTX 5090", "12.0", "12.0", NULL, NULL, NULL, "CUDA 13.0" },
    { "pascal580", "bin", DETECT_CUDA, "580.65.06", "/sys/module/nvidia/version", "13.0", 1,
      "NVIDIA GeForce GTX 1080 Ti", "6.1", "6.1", NULL, NULL, NULL, "compute capability 6.1" },
    { "nvopen", "bin", DETECT_CUDA, "550.54.14", "/proc/driver/nvidia/version", NULL, 2,
      "NVIDIA GeForce RTX 4090", NULL, NULL, NULL, NULL, NULL, "RTX 4060 Ti" },
    { "nvbroken", "bin", DETECT_CPU, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL,
      "couldn't communicate with the NVIDIA driver" },
    { "rocm612", "opt/rocm/bin", DETECT_ROCM, NULL, NULL, NULL, 0, NULL, NULL, NULL, "6.1",
      "6.1.2", "gfx1100", "ROCm 6.1.2 from " },
    { "rocm-nogpu", "opt/rocm/bin", DETECT_CPU, NULL, NULL, NULL, 0, NULL, NULL, NULL, "6.0",
      "6.0.2", NULL, "lists no AMD GPU" },
    { "rocm-noenum", "bin", DETECT_ROCM, NULL, NULL, NULL, 0, NULL, NULL, NULL, "5.7", "5.7.1",
      NULL, "/opt/rocm/.info/version" },
};

static void check_opt_str(const char *what, const char *name, const char *got,
                          const char *want)
{
    if (!want && !got)
        return;
    if (!want || !got || strcmp(got, want) != 0)
        fail_msg("%s: %s is '%s', want '%s'", name, what, got ? got : "(null)",
                 want ? want : "(null)");
}

static void test_machines(void **state)
{
    const struct env *e = *state;
    for (size_t i = 0; i < sizeof machines / sizeof *machines; i++) {
        const struct machine_case *m = &machines[i];
        use_machine(e, m->name, m->bindir);
        struct detect_result r;
        int rc = detect_backend(&r, NULL);
        if (rc != 0 || r.kind != m->kind) {
            dump_notes(&r);
            fail_msg("%s: rc %d kind %s, want %s", m->name, rc, detect_kind_name(r.kind),
                     detect_kind_name(m->kind));
        }
        check_opt_str("driver", m->name, r.driver, m->driver);
        if (m->driver_src) {
            size_t a = strlen(r.driver_source), b = strlen(m->driver_src);
            if (a < b || strcmp(r.driver_source + a - b, m->driver_src) != 0)
                fail_msg("%s: driver source '%s' does not end in '%s'", m->name,
                         r.driver_source, m->driver_src);
            /* the path shown is the real one under the sysroot */
            if (m->driver_src[0] == '/' && !strstr(r.driver_source, m->name))
                fail_msg("%s: source '%s' not under the sysroot", m->name, r.driver_source);
        }
        check_opt_str("CUDA version", m->name, r.cuda_version, m->cuda);
        if (r.ngpus != m->ngpus) {
            dump_notes(&r);
            fail_msg("%s: %zu GPUs, want %zu", m->name, r.ngpus, m->ngpus);
        }
        if (m->ngpus) {
            check_opt_str("GPU 0", m->name, r.gpus[0].name, m->gpu0);
            check_opt_str("GPU 0 compute capability", m->name, r.gpus[0].compute_cap, m->cc0);
            assert_non_null(r.gpus_source);
        }
        check_opt_str("lowest compute capability", m->name, detect_min_compute_cap(&r),
                      m->min_cc);
        check_opt_str("ROCm", m->name, r.rocm_version, m->rocm);
        check_opt_str("ROCm full", m->name, r.rocm_version_full, m->rocm_full);
        check_opt_str("ROCm agent", m->name, r.rocm_agents.n ? r.rocm_agents.v[0] : NULL,
                      m->agent0);
        if (!has_note(&r, m->note)) {
            dump_notes(&r);
            fail_msg("%s: no note contains '%s'", m->name, m->note);
        }
        if (m->kind != DETECT_CPU)
            assert_non_null(r.kind_source);
        assert_null(r.forced);
        detect_result_free(&r);
    }
}

static void test_two_gpus_and_sources(void **state)
{
    const struct env *e = *state;
    use_machine(e, "nv535", "bin");
    struct detect_result r;
    assert_int_equal(detect_backend(&r, NULL), 0);
    assert_int_equal(r.ngpus, 2);
    assert_string_equal(r.gpus[1].name, "NVIDIA GeForce RTX 3090");
    assert_string_equal(r.gpus[1].compute_cap, "8.6");
    /* /sys wins over /proc and nvidia-smi for the driver; smi for the rest */
    assert_non_null(strstr(r.driver_source, "/sys/module/nvidia/version"));
    assert_non_null(strstr(r.cuda_source, "nvidia-smi"));
    assert_non_null(strstr(r.gpus_source, "nvidia-smi"));
    assert_true(has_note(&r, "2 GPUs from"));
    assert_true(has_note(&r, "NVIDIA GeForce RTX 3090 (compute capability 8.6)"));
    detect_result_free(&r);

    /* a trailing slash on the sysroot changes nothing */
    char *root = xasprintf("%s/" SYSROOTS "/nv535/", e->top);
    setenv("TORCHSHIM_SYSROOT", root, 1);
    free(root);
    assert_int_equal(detect_backend(&r, NULL), 0);
    assert_string_equal(r.driver, "535.104.05");
    assert_null(strstr(r.driver_source, "//"));
    detect_result_free(&r);

    /* two GPUs from /proc/driver/nvidia/gpus, in bus order */
    use_machine(e, "nvopen", "bin");
    assert_int_equal(detect_backend(&r, NULL), 0);
    assert_int_equal(r.ngpus, 2);
    assert_string_equal(r.gpus[1].name, "NVIDIA GeForce RTX 4060 Ti");
    assert_null(r.gpus[1].compute_cap);
    assert_non_null(strstr(r.gpus_source, "/proc/driver/nvidia/gpus"));
    detect_result_free(&r);
}

static void test_hung_nvidia_smi(void **state)
{
    const struct env *e = *state;
    use_machine(e, "nvhang", "bin");
    struct detect_result r;
    long long t0 = now_ms();
    assert_int_equal(detect_backend(&r, NULL), 0);
    long long took = now_ms() - t0;
    /* one bounded wait, then nvidia-smi is left alone */
    if (took < DETECT_TIMEOUT_MS - 100 || took > DETECT_TIMEOUT_MS + 1500)
        fail_msg("detection took %lld ms", took);
    assert_int_equal(r.kind, DETECT_CUDA);
    assert_string_equal(r.driver, "550.90.07");
    assert_int_equal(r.ngpus, 0);   /* the partial line is not trusted */
    assert_null(r.cuda_version);
    assert_true(has_note(&r, "did not answer within"));
    detect_result_free(&r);
}

/* ---- TORCHSHIM_BACKEND ------------------------------------------------------------- */

static void test_backend_env(void **state)
{
    const struct env *e = *state;
    static const struct {
        const char *value;
        int rc;
        enum detect_kind kind;
        int forced;
        const char *rocm;
    } cases[] = {
        { "cpu", 0, DETECT_CPU, 1, NULL },
        { "cu118", 0, DETECT_CUDA, 1, NULL },
        { "cu130", 0, DETECT_CUDA, 1, NULL },
        { "rocm6.1", 0, DETECT_ROCM, 1, "6.1" },
        { "rocm6.2.4", 0, DETECT_ROCM, 1, "6.2" },
        { "auto", 0, DETECT_CUDA, 0, NULL },   /* detects: the machine has a driver */
        { "", 0, DETECT_CUDA, 0, NULL },
        { "gpu", -1, DETECT_CPU, 0, NULL },
        { "cuda", -1, DETECT_CPU, 0, NULL },
        { "rocm", -1, DETECT_CPU, 0, NULL },
        { "cu12.1", -1, DETECT_CPU, 0, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        use_machine(e, "nv535", "bin");
        setenv("TORCHSHIM_BACKEND", cases[i].value, 1);
        struct detect_result r;
        char *err = NULL;
        int rc = detect_backend(&r, &err);
        if (rc != cases[i].rc || r.kind != cases[i].kind)
            fail_msg("TORCHSHIM_BACKEND=%s: rc %d kind %s", cases[i].value, rc,
                     detect_kind_name(r.kind));
        /* the error is returned, for the command to say */
        if (rc < 0 && (!err || !strstr(err, "expected cpu, cuXYZ (cu121), rocmX.Y (rocm6.1) "
                                            "or auto") || !strstr(err, cases[i].value)))
            fail_msg("TORCHSHIM_BACKEND=%s: error '%s'", cases[i].value, err ? err : "(null)");
        if (rc == 0)
            assert_null(err);
        free(err);
        if (cases[i].forced) {
            assert_string_equal(r.forced, cases[i].value);
            assert_string_equal(r.kind_source, "TORCHSHIM_BACKEND");
            assert_null(r.driver);   /* nothing probed */
            assert_true(has_note(&r, "TORCHSHIM_BACKEND"));
        } else {
            assert_null(r.forced);
        }
        if (rc < 0)
            assert_true(has_note(&r, "is not a backend"));
        check_opt_str("ROCm", cases[i].value, r.rocm_version, cases[i].rocm);
        detect_result_free(&r);
    }

    /* doctor: probe the machine whatever the variable says */
    use_machine(e, "nv535", "bin");
    setenv("TORCHSHIM_BACKEND", "cpu", 1);
    struct detect_result r;
    assert_int_equal(detect_backend_flags(&r, DETECT_IGNORE_ENV, NULL), 0);
    assert_int_equal(r.kind, DETECT_CUDA);
    assert_string_equal(r.driver, "535.104.05");
    assert_null(r.forced);
    detect_result_free(&r);
    unsetenv("TORCHSHIM_BACKEND");
}

/* ---- choosing a variant -------------------------------------------------------------- */

static void test_pick_variant(void **state)
{
    struct env *e = *state;
    static const struct {
        const char *machine, *bindir, *backend, *torch;
        const char *const published[8];
        int rc;
        const char *want, *why_has;
    } cases[] = {
        { "nogpu", "bin", NULL, "2.4.1", { "cpu", "cu118", "cu121", "cu124" }, 0, "cpu",
          "no GPU" },
        { "nv470", "bin", NULL, "2.3.1", { "cpu", "cu118", "cu121" }, 0, "cu118", "525.60.13" },
        { "nv470", "bin", NULL, "2.8.0", { "cpu", "cu126", "cu128", "cu129" }, 0, "cpu",
          "470.82.01" },
        { "nv535", "bin", NULL, "2.4.1", { "cpu", "cu118", "cu121", "cu124" }, 0, "cu124",
          NULL },
        { "nv535", "bin", NULL, "2.3.1", { "cpu", "cu118", "cu121" }, 0, "cu121", NULL },
        { "nv535", "bin", NULL, "2.9.0", { "cpu", "cu126", "cu128", "cu130" }, 0, "cu128",
          "cu130" },
        { "nv580", "bin", NULL, "2.9.0", { "cpu", "cu126", "cu128", "cu130" }, 0, "cu130",
          NULL },
        { "nv580", "bin", NULL, "2.6.0", { "cpu", "cu118", "cu124", "cu126" }, 0, "cpu",
          "newer than 9.0" },
        { "pascal580", "bin", NULL, "2.9.0", { "cpu", "cu126", "cu128", "cu130" }, 0, "cu126",
          "6.1" },
        { "nvopen", "bin", NULL, "2.5.1", { "cpu", "cu118", "cu121", "cu124" }, 0, "cu124",
          NULL },
        { "rocm612", "opt/rocm/bin", NULL, "2.4.1",
          { "cpu", "cu118", "cu121", "cu124", "rocm6.0", "rocm6.1" }, 0, "rocm6.1", "6.1" },
        { "rocm612", "opt/rocm/bin", NULL, "2.6.0",
          { "cpu", "cu124", "rocm6.1", "rocm6.2.4" }, 0, "rocm6.1", NULL },
        { "rocm612", "opt/rocm/bin", NULL, "2.9.0", { "cpu", "cu126", "rocm6.3", "rocm6.4" },
          0, "cpu", "older than every" },
        { "rocm612", "opt/rocm/bin", NULL, "2.4.1", { "cpu", "cu121" }, 0, "cpu",
          "no rocm variant" },
        { "rocm-noenum", "bin", NULL, "2.1.2", { "cpu", "cu118", "rocm5.5", "rocm5.6" }, 0,
          "rocm5.6", NULL },
        { "nv535", "bin", "cu118", "2.4.1", { "cpu", "cu118", "cu121", "cu124" }, 0, "cu118",
          "TORCHSHIM_BACKEND" },
        { "nv535", "bin", "cpu", "2.4.1", { "cpu", "cu118", "cu121", "cu124" }, 0, "cpu",
          "TORCHSHIM_BACKEND" },
        { "nv535", "bin", "cu102", "2.4.1", { "cpu", "cu118", "cu121", "cu124" }, -1, "",
          "does not publish" },
        { "nv470", "bin", NULL, "2.4.1", { "cu121", "cu124" }, -1, "", "no published" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        use_machine(e, cases[i].machine, cases[i].bindir);
        if (cases[i].backend)
            setenv("TORCHSHIM_BACKEND", cases[i].backend, 1);
        struct detect_result r;
        assert_int_equal(detect_backend(&r, NULL), 0);
        size_t n = 0;
        while (n < 8 && cases[i].published[n])
            n++;
        char *out = (char *)"x", *why = NULL;
        int rc = detect_pick_variant(&r, &e->table, cases[i].torch, cases[i].published, n, &out,
                                     &why);
        if (rc != cases[i].rc || strcmp(out ? out : "", cases[i].want) != 0 ||
            (rc < 0 && out))
            fail_msg("case %zu (%s, torch %s): got %d '%s' (%s), want %d '%s'", i,
                     cases[i].machine, cases[i].torch, rc, out ? out : "(null)",
                     why ? why : "(null)", cases[i].rc, cases[i].want);
        assert_non_null(why);
        if (cases[i].why_has && !strstr(why, cases[i].why_has))
            fail_msg("case %zu: why '%s' lacks '%s'", i, why, cases[i].why_has);
        assert_true(why[0] != '\0');
        free(out);
        free(why);
        detect_result_free(&r);
        unsetenv("TORCHSHIM_BACKEND");
    }
}

static void test_cc_warning_for_detected_gpu(void **state)
{
    struct env *e = *state;
    use_machine(e, "pascal580", "bin");
    struct detect_result r;
    assert_int_equal(detect_backend(&r, NULL), 0);
    const char *cc = detect_min_compute_cap(&r);
    assert_string_equal(cc, "6.1");
    char *msg = NULL;
    assert_int_equal(cudatable_cc_warning(&e->table, "cu130", "2.9.0", cc, &msg), 1);
    assert_non_null(strstr(msg, "6.1"));
    free(msg);
    assert_int_equal(cudatable_cc_warning(&e->table, "cu128", "2.8.0", cc, &msg), 1);
    free(msg);
    assert_int_equal(cudatable_cc_warning(&e->table, "cu126", "2.9.0", cc, &msg), 0);
    assert_null(msg);
    /* the driver alone would allow cu130 */
    assert_int_equal(cudatable_variant_ok(&e->table, "cu130", r.driver, 0), 1);
    detect_result_free(&r);
}

/* Without a driver table no CUDA variant is known to fit: CPU, said so. */
static void test_pick_without_table(void **state)
{
    struct env *e = *state;
    use_machine(e, "nv535", "bin");
    struct detect_result r;
    assert_int_equal(detect_backend(&r, NULL), 0);
    assert_int_equal(r.kind, DETECT_CUDA);
    const char *const pub[] = { "cpu", "cu118", "cu121" };
    char *out = NULL, *why = NULL;
    assert_int_equal(detect_pick_variant(&r, NULL, "2.3.1", pub, 3, &out, &why), 0);
    assert_string_equal(out, "cpu");
    assert_non_null(strstr(why, "no published CUDA variant is known to the driver table"));
    free(out);
    free(why);
    /* no cpu published either: nothing fits; a NULL why is fine */
    assert_int_equal(detect_pick_variant(&r, NULL, "2.3.1", pub + 1, 2, &out, NULL), -1);
    assert_null(out);
    detect_result_free(&r);
}

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(detect_kind_name(DETECT_CPU), "cpu");
    assert_string_equal(detect_kind_name(DETECT_CUDA), "cuda");
    assert_string_equal(detect_kind_name(DETECT_ROCM), "rocm");
    struct detect_result r = { 0 };
    assert_null(detect_min_compute_cap(&r));
    detect_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_machines),
        cmocka_unit_test(test_two_gpus_and_sources),
        cmocka_unit_test(test_hung_nvidia_smi),
        cmocka_unit_test(test_backend_env),
        cmocka_unit_test(test_pick_variant),
        cmocka_unit_test(test_cc_warning_for_detected_gpu),
        cmocka_unit_test(test_pick_without_table),
        cmocka_unit_test(test_kind_names),
    };
    return cmocka_run_group_tests_name("detect", tests, group_setup, group_teardown);
}
