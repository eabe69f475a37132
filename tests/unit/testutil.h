/* testutil.h — helpers shared by the unit tests (header-only, static). */
#ifndef TORCHSHIM_TESTUTIL_H
#define TORCHSHIM_TESTUTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "strv.h"

/* system(3) on a printf-formatted command line: its wait status. */
static int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static int run_cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *cmd = xvasprintf(fmt, ap);
    va_end(ap);
    int r = system(cmd);
    free(cmd);
    return r;
}

/* Split a test command line on spaces (test strings need no quoting). */
static inline void split_cmd(const char *s, struct strv *out)
{
    char *dup = strdup(s), *save = NULL;
    for (char *w = strtok_r(dup, " ", &save); w; w = strtok_r(NULL, " ", &save))
        strv_push(out, w);
    free(dup);
}

static inline char *join_cmd(const struct strv *sv, size_t from)
{
    size_t len = 1;
    for (size_t i = from; i < sv->n; i++)
        len += strlen(sv->v[i]) + 1;
    char *out = calloc(1, len);
    for (size_t i = from; i < sv->n; i++) {
        if (i > from)
            strcat(out, " ");
        strcat(out, sv->v[i]);
    }
    return out;
}

/* A clean environment for rewrite tests: shipped defaults, no user file,
 * no pip config, no PIP_* variables. */
static inline void test_env_reset(const char *home)
{
    static const char *const vars[] = { "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS",
                                        "PIP_NO_INDEX", "PIP_CONFIG_FILE", "TORCHSHIM_MIRROR",
                                        "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "VIRTUAL_ENV",
                                        NULL };
    for (const char *const *v = vars; *v; v++)
        unsetenv(*v);
    setenv("HOME", home, 1);
    setenv("TORCHSHIM_CONFIG", "/dev/null", 1);
    setenv("PIP_CONFIG_FILE", "/dev/null", 1);
    setenv("TORCHSHIM_CACHE_DIR", home, 1);
    const char *top = getenv("TORCHSHIM_TOP");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s/config", top ? top : ".");
    setenv("TORCHSHIM_DATADIR", buf, 1);
}

/* A temporary HOME (cache and config live below it) for a test group:
 * pass these as the group's setup and teardown. */
static char test_home[] __attribute__((unused)) = "/tmp/torchshim-test-XXXXXX";

static inline int test_home_setup(void **state)
{
    (void)state;
    return mkdtemp(test_home) ? 0 : -1;
}

static inline int test_home_teardown(void **state)
{
    (void)state;
    char cmd[sizeof test_home + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_home);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
