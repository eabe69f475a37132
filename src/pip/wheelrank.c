/* wheelrank.c — see wheelrank.h. */
#include "wheelrank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Index of platform PLAT in T's list, -1 when absent ("any" is not). */
static long plat_index(const struct wheel_target *t, const char *plat)
{
    for (size_t i = 0; i < t->platforms.n; i++)
        if (!strcmp(t->platforms.v[i], plat))
            return (long)i;
    return -1;
}

/* "py3" -> 0; "py3Y" -> Y + ... : the position in packaging's
 * _py_interpreter_range (py3Y, py3, py3{Y-1}, ..., py30), -1 when absent. */
static long py_index(const struct wheel_target *t, const char *py)
{
    char own[8];
    snprintf(own, sizeof own, "py%d", t->py_major);
    if (strncmp(py, own, strlen(own)))
        return -1;
    const char *m = py + strlen(own);
    if (!*m)
        return 1;
    char *end;
    long minor = strtol(m, &end, 10);
    if (*end || minor < 0 || minor > t->py_minor)
        return -1;
    return minor == t->py_minor ? 0 : 2 + (t->py_minor - 1 - minor);
}

/* The ABI block of a cp tag with ABI on a real platform: 0 own ABI, 1 abi3,
 * 2 none, 3 + k for cp3{Y-1-k}-abi3; -1 when not supported. */
static long cp_block(const struct wheel_target *t, const char *py, const char *abi)
{
    int major, minor, n = 0;
    if (sscanf(py, "cp%1d%d%n", &major, &minor, &n) != 2 || py[n] || major != t->py_major)
        return -1;
    char own[16];
    snprintf(own, sizeof own, "cp%d%d", major, minor);
    if (minor == t->py_minor) {
        size_t ol = strlen(own);
        if (!strcmp(abi, own) || (t->py_minor < 8 && !strncmp(abi, own, ol) &&
                                  !strcmp(abi + ol, "m")))
            return 0;
        return !strcmp(abi, "abi3") ? 1 : !strcmp(abi, "none") ? 2 : -1;
    }
    if (minor >= 2 && minor < t->py_minor && !strcmp(abi, "abi3"))
        return 3 + (t->py_minor - 1 - minor);
    return -1;
}

static long tag_rank(const struct wheel_target *t, const char *py, const char *abi,
                     const char *plat)
{
    long np = (long)t->platforms.n;
    long cp_blocks = 3 + (t->py_minor >= 3 ? t->py_minor - 2 : 0);
    long py_versions = t->py_minor + 2;
    long after_plat = (cp_blocks + py_versions) * np;
    if (!strcmp(plat, "any")) {
        if (strcmp(abi, "none"))
            return -1;
        char own[16];
        snprintf(own, sizeof own, "cp%d%d", t->py_major, t->py_minor);
        if (!strcmp(py, own))
            return after_plat;
        long k = py_index(t, py);
        return k < 0 ? -1 : after_plat + 1 + k;
    }
    long pi = plat_index(t, plat);
    if (pi < 0)
        return -1;
    if (!strncmp(py, "cp", 2)) {
        long b = cp_block(t, py, abi);
        return b < 0 ? -1 : b * np + pi;
    }
    long k = strcmp(abi, "none") ? -1 : py_index(t, py);
    return k < 0 ? -1 : cp_blocks * np + k * np + pi;
}

long wheel_rank(const struct wheelname *w, const struct wheel_target *t)
{
    long best = -1;
    for (size_t p = 0; p < w->platforms.n; p++)
        for (size_t i = 0; i < w->pythons.n; i++)
            for (size_t a = 0; a < w->abis.n; a++) {
                long r = tag_rank(t, w->pythons.v[i], w->abis.v[a], w->platforms.v[p]);
                if (r >= 0 && (best < 0 || r < best))
                    best = r;
            }
    return best;
}

int wheel_build_cmp(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    char *ea, *eb;
    long na = strtol(a, &ea, 10), nb = strtol(b, &eb, 10);
    if (na != nb)
        return na < nb ? -1 : 1;
    int c = strcmp(ea, eb);
    return (c > 0) - (c < 0);
}
