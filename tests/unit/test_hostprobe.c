/* test_hostprobe.c — looking at the machine: the bounded runner (exit
 * statuses, the deadline killing the group, a grandchild holding the pipe,
 * exec failures, no inherited descriptors, the output cap), the PATH
 * lookup, sorted directory listings. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "hostprobe.h"
#include "msg.h"

#define SYSROOTS "tests/fixtures/sysroots"

struct env {
    char *top;        /* absolute repository root */
    char *saved_path;
};

static int group_setup(void **state)
{
    struct env *e = xcalloc(1, sizeof *e);
    const char *t = getenv("TORCHSHIM_TOP");
    char *cwd = getcwd(NULL, 0);
    e->top = xstrdup(t && *t == '/' ? t : cwd ? cwd : ".");
    free(cwd);
    const char *p = getenv("PATH");
    e->saved_path = xstrdup(p ? p : "/usr/bin:/bin");
    *state = e;
    return 0;
}

static int group_teardown(void **state)
{
    struct env *e = *state;
    setenv("PATH", e->saved_path, 1);
    free(e->saved_path);
    free(e->top);
    free(e);
    return 0;
}

/* ---- the runner ----------------------------------------------------------------------- */

static void test_run(void **state)
{
    struct env *e = *state;
    setenv("PATH", e->saved_path, 1);
    static const struct {
        const char *path;
        const char *const argv[5];
        int timeout_ms;
        int rc, status;
        const char *out;
        long long max_ms;
        const char *err_has;   /* when rc is -1 */
    } cases[] = {
        { "/bin/echo", { "echo", "hello", "world" }, 2000, 0, 0, "hello world\n", 1500, NULL },
        { "/bin/sh", { "sh", "-c", "printf x; exit 3" }, 2000, 0, 3, "x", 1500, NULL },
        { "/bin/sh", { "sh", "-c", "kill -TERM $$" }, 2000, 0, 128 + 15, "", 1500, NULL },
        /* stderr goes to /dev/null, stdin is /dev/null */
        { "/bin/sh", { "sh", "-c", "echo err >&2; /bin/cat; printf end" }, 2000, 0, 0, "end",
          1500, NULL },
        /* too slow: killed, with what it printed so far */
        { "/bin/sh", { "sh", "-c", "printf partial; exec /bin/sleep 5" }, 200, -1, -1,
          "partial", 1200, "/bin/sh did not answer within 200 ms, killed" },
        /* the deadline kills the group: a child of it holding the pipe too */
        { "/bin/sh", { "sh", "-c", "/bin/sleep 5; printf never" }, 200, -1, -1, "", 1200,
          "did not answer within 200 ms" },
        /* a grandchild keeps the pipe open after the program exited */
        { "/bin/sh", { "sh", "-c", "/bin/sleep 2 & printf done" }, 3000, 0, 0, "done", 1500,
          NULL },
        { "/nonexistent/program", { "program" }, 2000, -1, -1, "", 1500,
          "cannot run /nonexistent/program: No such file or directory" },
        { "tests/fixtures/sysroots/README.md", { "README.md" }, 2000, -1, -1, "", 1500,
          "Permission denied" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *out = NULL, *err = NULL;
        int st = 12345;
        long long t0 = now_ms();
        int rc = host_run(cases[i].path, (char *const *)cases[i].argv, cases[i].timeout_ms,
                          &out, &st, &err);
        long long took = now_ms() - t0;
        if (rc != cases[i].rc || strcmp(out, cases[i].out) != 0 ||
            (rc == 0 && st != cases[i].status))
            fail_msg("case %zu (%s): rc %d status %d out '%s'", i, cases[i].argv[0], rc, st,
                     out);
        if (rc < 0 && (!err || !strstr(err, cases[i].err_has)))
            fail_msg("case %zu: error '%s' lacks '%s'", i, err ? err : "(null)",
                     cases[i].err_has);
        if (rc == 0 && err)
            fail_msg("case %zu: error '%s' after success", i, err);
        if (took > cases[i].max_ms)
            fail_msg("case %zu took %lld ms", i, took);
        free(out);
        free(err);
    }
}

static void test_run_no_inherited_fds(void **state)
{
    (void)state;
    /* our descriptors are not inherited (only stdin/stdout/stderr) */
    int keep[2];
    assert_int_equal(pipe(keep), 0);
    char *script = xasprintf("if [ -e /proc/self/fd/%d ]; then printf open; "
                             "else printf closed; fi",
                             keep[1]);
    char *const fdcheck[] = { "sh", "-c", script, NULL };
    char *fdout = NULL;
    int fdst = -1;
    assert_int_equal(host_run("/bin/sh", fdcheck, 2000, &fdout, &fdst, NULL), 0);
    if (access("/proc/self/fd", F_OK) == 0)
        assert_string_equal(fdout, "closed");
    free(fdout);
    free(script);
    close(keep[0]);
    close(keep[1]);
}

static void test_run_output_cap(void **state)
{
    (void)state;
    /* output beyond 1 MiB is dropped, the program still finishes */
    char *out = NULL;
    int st = -1;
    char *const big[] = { "sh", "-c", "/usr/bin/yes 0123456789 | /usr/bin/head -c 1500000",
                          NULL };
    assert_int_equal(host_run("/bin/sh", big, 5000, &out, &st, NULL), 0);
    assert_int_equal(st, 0);
    assert_int_equal(strlen(out), HOST_RUN_MAX);
    assert_int_equal(HOST_RUN_MAX, 1024 * 1024);
    assert_memory_equal(out, "0123456789\n0123456789\n", 22);
    free(out);
}

/* ---- PATH lookup ---------------------------------------------------------------------- */

static void test_which(void **state)
{
    struct env *e = *state;
    char *bin = xasprintf("%s/" SYSROOTS "/nv535/bin", e->top);
    char *other = xasprintf("%s/" SYSROOTS "/nv470/bin", e->top);
    /* relative and empty entries are skipped; the first hit wins */
    char *path = xasprintf("" SYSROOTS "/nv470/bin::%s:%s", bin, other);
    setenv("PATH", path, 1);
    char *got = host_which("nvidia-smi");
    char *want = xasprintf("%s/nvidia-smi", bin);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(want);
    assert_null(host_which("no-such-program-torchshim"));
    assert_null(host_which(""));
    assert_null(host_which(NULL));
    /* a name with a slash is taken as it is, if executable */
    got = host_which(SYSROOTS "/nv470/bin/nvidia-smi");
    assert_non_null(got);
    assert_string_equal(got, SYSROOTS "/nv470/bin/nvidia-smi");
    free(got);
    assert_null(host_which(SYSROOTS "/README.md"));     /* not executable */
    assert_null(host_which(SYSROOTS "/nv470/bin"));     /* a directory */
    unsetenv("PATH");
    assert_null(host_which("nvidia-smi"));
    setenv("PATH", e->saved_path, 1);
    free(path);
    free(bin);
    free(other);
}

/* ---- directories ---------------------------------------------------------------------- */

static void test_list_dir(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/torchshim-hostprobe.XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    static const char *const made[] = { "b", "a.json", ".hidden", "C", "a" };
    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        char *p = xasprintf("%s/%s", dir, made[i]);
        assert_int_equal(file_write_atomic(p, "x", 1, NULL, 0, 0644, NULL), 0);
        free(p);
    }
    char *sub = xasprintf("%s/sub", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_true(host_is_dir(sub));
    assert_false(host_is_file(sub));

    struct strv names = STRV_INIT;
    strv_push(&names, "stale");   /* cleared first */
    assert_int_equal(host_list_dir(dir, &names), 0);
    static const char *const want[] = { "C", "a", "a.json", "b", "sub" };  /* strcmp order */
    assert_int_equal(names.n, sizeof want / sizeof *want);
    for (size_t i = 0; i < names.n; i++)
        assert_string_equal(names.v[i], want[i]);
    char *a = xasprintf("%s/a", dir);
    assert_true(host_is_file(a));
    assert_false(host_is_dir(a));

    /* not a directory, or missing: -1 and nothing listed */
    assert_int_equal(host_list_dir(a, &names), -1);
    assert_int_equal(names.n, 0);
    assert_int_equal(host_list_dir("/nonexistent/torchshim", &names), -1);
    assert_false(host_is_dir("/nonexistent/torchshim"));
    assert_false(host_is_file("/nonexistent/torchshim"));

    for (size_t i = 0; i < sizeof made / sizeof *made; i++) {
        char *p = xasprintf("%s/%s", dir, made[i]);
        unlink(p);
        free(p);
    }
    rmdir(sub);
    rmdir(dir);
    strv_clear(&names);
    free(sub);
    free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run),
        cmocka_unit_test(test_run_no_inherited_fds),
        cmocka_unit_test(test_run_output_cap),
        cmocka_unit_test(test_which),
        cmocka_unit_test(test_list_dir),
    };
    return cmocka_run_group_tests_name("hostprobe", tests, group_setup, group_teardown);
}
