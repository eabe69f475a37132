/* testutil.h — helpers shared by the unit tests (header-only, static). */
#ifndef TORCHSHIM_TESTUTIL_H
#define TORCHSHIM_TESTUTIL_H

#include <stdlib.h>
#include <string.h>

#include "strv.h"

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

#endif
