/* test_proto.c — the front-end/engine protocol: what the engine writes is
 * what the front end reads back; torn and foreign answers are refused;
 * deadlines are seen as they arrive. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "proto.h"

/* What the engine wrote into a pipe, read back whole. */
static size_t written(int rfd, struct buf *b)
{
    char chunk[4096];
    ssize_t n;
    while ((n = read(rfd, chunk, sizeof chunk)) > 0)
        buf_add(b, chunk, (size_t)n);
    return b->len;
}

static void test_round_trip(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct strv argv = STRV_INIT;
    strv_push(&argv, "/usr/bin/pip");
    strv_push(&argv, "install");
    strv_push(&argv, "torch==2.3.1+cu121");
    strv_push(&argv, "");                       /* an empty word survives */
    strv_push(&argv, "with space\tand tab");
    struct env_changes env = ENV_CHANGES_INIT;
    env_changes_unset(&env, "PIP_INDEX_URL");
    env_changes_set(&env, "PIP_EXTRA_INDEX_URL", "https://a.example/simple b=c");
    assert_int_equal(proto_write_deadline(fds[1], 98000), 0);
    assert_int_equal(proto_write_command(fds[1], &argv, &env, 1), 0);
    close(fds[1]);
    struct buf b = BUF_INIT;
    written(fds[0], &b);
    close(fds[0]);

    struct engine_answer ans;
    memset(&ans, 0, sizeof ans);
    assert_int_equal(proto_parse(b.p, b.len, &ans), 0);
    assert_true(strv_equal(&ans.argv, &argv));
    assert_int_equal(ans.dry_run, 1);
    assert_int_equal(ans.quit, 0);
    assert_int_equal(ans.env.set.n, 2);
    assert_string_equal(ans.env.set.v[0], "PIP_INDEX_URL");
    assert_string_equal(ans.env.ops.v[0], "U");
    assert_string_equal(ans.env.set.v[1], "PIP_EXTRA_INDEX_URL=https://a.example/simple b=c");

    setenv("PIP_INDEX_URL", "x", 1);
    env_changes_apply(&ans.env);
    assert_null(getenv("PIP_INDEX_URL"));
    assert_string_equal(getenv("PIP_EXTRA_INDEX_URL"), "https://a.example/simple b=c");
    unsetenv("PIP_EXTRA_INDEX_URL");

    engine_answer_clear(&ans);
    buf_free(&b);
    strv_clear(&argv);
    env_changes_clear(&env);
}

static void test_quit(void **state)
{
    (void)state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    assert_int_equal(proto_write_quit(fds[1], 2), 0);
    close(fds[1]);
    struct buf b = BUF_INIT;
    written(fds[0], &b);
    close(fds[0]);
    struct engine_answer ans;
    memset(&ans, 0, sizeof ans);
    assert_int_equal(proto_parse(b.p, b.len, &ans), 0);
    assert_int_equal(ans.quit, 1);
    assert_int_equal(ans.quit_code, 2);
    engine_answer_clear(&ans);
    buf_free(&b);
}

/* Incomplete or foreign bytes are never an answer: the front end then runs
 * the user's command unchanged. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        { "", 0 },                                   /* nothing */
        { "A/usr/bin/pip\0Ainst", 19 },              /* torn record */
        { "Apip\0", 5 },                             /* not an absolute path */
        { "X/usr/bin/pip\0", 14 },                   /* unknown record */
        { "Q\0", 2 },                                /* quit without a code */
        { "Q300\0", 5 },                             /* not an exit status */
        { "SNOEQUALS\0A/bin/true\0", 21 },           /* set without '=' */
        { "UA=B\0A/bin/true\0", 16 },                /* unset of "A=B" */
        { "T100\0D\0", 7 },                          /* deadline and dry run, no command */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct engine_answer ans;
        memset(&ans, 0, sizeof ans);
        if (proto_parse(bad[i].bytes, bad[i].len, &ans) == 0)
            fail_msg("case %zu was taken as an answer", i);
        engine_answer_clear(&ans);
    }
}

/* The front end reads as bytes arrive: a record cut in two is seen once
 * whole, and the last deadline counts. */
static void test_deadline_scan(void **state)
{
    (void)state;
    const char all[] = "T5000\0T98000\0A/bin/true\0";
    size_t len = sizeof all - 1, seen = 0;
    long long ms = -1;
    int found = 0;
    seen += proto_scan_deadline(all, 3, &ms, &found);        /* "T50" */
    assert_int_equal(seen, 0);
    assert_int_equal(found, 0);
    seen += proto_scan_deadline(all + seen, 9 - seen, &ms, &found);  /* "T5000\0T98" */
    assert_int_equal(seen, 6);
    assert_int_equal(found, 1);
    assert_int_equal(ms, 5000);
    found = 0;
    seen += proto_scan_deadline(all + seen, len - seen, &ms, &found);
    assert_int_equal(seen, len);
    assert_int_equal(found, 1);
    assert_int_equal(ms, 98000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_quit),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_deadline_scan),
    };
    return cmocka_run_group_tests_name("proto", tests, NULL, NULL);
}
