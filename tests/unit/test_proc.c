/* test_proc.c — running a child with a deadline: exec failures are errors,
 * output is captured and capped, the deadline kills, a grandchild holding
 * the pipe does not keep us waiting, the extra pipe reaches the child. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "proc.h"

static int sh(struct proc *p, const char *script, unsigned flags, long long deadline_ms)
{
    char *argv[] = { "sh", "-c", (char *)script, NULL };
    char *err = NULL;
    if (proc_start(p, "/bin/sh", argv, flags, &err)) {
        free(err);
        return -2;
    }
    return proc_finish(p, deadline_ms < 0 ? -1 : now_ms() + deadline_ms);
}

static void test_capture(void **state)
{
    (void)state;
    struct proc p;
    proc_init(&p, 1 << 20);
    int st = sh(&p, "echo out; echo err >&2; exit 3", PROC_OUT | PROC_ERR | PROC_STDIN_NULL, 5000);
    assert_int_equal(st, 3);
    assert_string_equal(buf_str(&p.out[PROC_FD_OUT]), "out\n");
    assert_string_equal(buf_str(&p.out[PROC_FD_ERR]), "err\n");
    proc_free(&p);
}

static void test_exec_failure(void **state)
{
    (void)state;
    struct proc p;
    proc_init(&p, 100);
    char *argv[] = { "nope", NULL }, *err = NULL;
    assert_int_equal(proc_start(&p, "/nonexistent/nope", argv, PROC_OUT, &err), -1);
    assert_non_null(strstr(err, "No such file"));
    free(err);
    proc_free(&p);
}

static void test_cap_and_signal(void **state)
{
    (void)state;
    struct proc p;
    proc_init(&p, 1000);
    int st = sh(&p, "head -c 100000 /dev/zero; kill -TERM $$", PROC_OUT, 5000);
    assert_int_equal(st, 128 + 15);
    assert_int_equal(p.out[PROC_FD_OUT].len, 1000);
    assert_true(p.truncated);
    proc_free(&p);
}

static void test_deadline(void **state)
{
    (void)state;
    struct proc p;
    proc_init(&p, 100);
    long long t0 = now_ms();
    int st = sh(&p, "sleep 30", PROC_OUT | PROC_GROUP, 300);
    assert_int_equal(st, PROC_TIMEOUT);
    assert_true(now_ms() - t0 < 5000);
    proc_free(&p);
}

/* The child exits, its background grandchild keeps stdout open. */
static void test_grandchild(void **state)
{
    (void)state;
    struct proc p;
    proc_init(&p, 100);
    long long t0 = now_ms();
    int st = sh(&p, "echo hi; sleep 30 & exit 0", PROC_OUT | PROC_GROUP, 10000);
    assert_int_equal(st, 0);
    assert_string_equal(buf_str(&p.out[PROC_FD_OUT]), "hi\n");
    assert_true(now_ms() - t0 < 5000);
    proc_free(&p);  /* kills the group's leftover */
}

static void test_extra_pipe(void **state)
{
    (void)state;
    struct proc p;
    proc_init(&p, 100);
    char *err = NULL;
    int fd = proc_extra_pipe(&p, &err);
    assert_true(fd > 2);
    char script[64];
    snprintf(script, sizeof script, "printf answer >&%d", fd);
    assert_int_equal(sh(&p, script, PROC_CLOSE_FDS, 5000), 0);
    assert_string_equal(buf_str(&p.out[PROC_FD_EXTRA]), "answer");
    proc_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture),         cmocka_unit_test(test_exec_failure),
        cmocka_unit_test(test_cap_and_signal),  cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_grandchild),      cmocka_unit_test(test_extra_pipe),
    };
    return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
