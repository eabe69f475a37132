/* test_httpeasy.c — the redirect policy per site (issue 11 #7: an https
 * mirror racing an http one must never follow a redirect to http). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "httpeasy.h"

static void test_allows_http(void **state)
{
    (void)state;
    struct fetch_opts o = { .allow_http = 1 };
    struct http_settings s;
    http_settings_init(&s, &o);
    assert_true(httpeasy_allows_http(&s, "http://127.0.0.1:8080/pytorch/linux-64/repodata.json"));
    assert_true(httpeasy_allows_http(&s, "HTTP://mirror.example/x"));
    /* the https site of the same run: never downgraded */
    assert_false(httpeasy_allows_http(&s, "https://mirrors.example/pytorch/linux-64/repodata.json"));
    assert_false(httpeasy_allows_http(&s, "httpx://odd"));
    assert_false(httpeasy_allows_http(&s, NULL));
    http_settings_free(&s);

    o.allow_http = 0;  /* no http site at all: nothing may go to http */
    http_settings_init(&s, &o);
    assert_false(httpeasy_allows_http(&s, "http://127.0.0.1:8080/x"));
    assert_non_null(s.user_agent);
    http_settings_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allows_http),
    };
    return cmocka_run_group_tests_name("httpeasy", tests, NULL, NULL);
}
