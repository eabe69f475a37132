/* wheelname.c — see wheelname.h. */
#include "wheelname.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "pep508.h"

/* ---- file names ---- */

static int split_tags(const char *s, struct strv *out)
{
    const char *p = s;
    for (;;) {
        size_t n = strcspn(p, ".");
        if (n == 0)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '_')
                return -1;
        strv_push_take(out, xstrndup(p, n));
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

int wheelname_parse(const char *fn, struct wheelname *w)
{
    memset(w, 0, sizeof *w);
    size_t len = fn ? strlen(fn) : 0;
    if (len <= 4 || strcasecmp(fn + len - 4, ".whl") != 0)
        return -1;

    char *buf = xstrndup(fn, len - 4);
    char *part[7];
    size_t n = 0;
    for (char *p = buf;;) {
        if (n == 7)
            goto bad;
        part[n++] = p;
        char *dash = strchr(p, '-');
        if (!dash)
            break;
        *dash = '\0';
        p = dash + 1;
    }
    if (n != 5 && n != 6)
        goto bad;
    for (size_t i = 0; i < n; i++)
        if (!*part[i])
            goto bad;
    if (!pep508_name_valid(part[0]))
        goto bad;
    if (pep440_parse(part[1], &w->version) < 0)
        goto bad;
    if (n == 6) {
        if (!isdigit((unsigned char)part[2][0]))
            goto bad;
        for (const char *c = part[2]; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.')
                goto bad;
        w->build = xstrdup(part[2]);
    }
    if (split_tags(part[n - 3], &w->pythons) < 0 || split_tags(part[n - 2], &w->abis) < 0 ||
        split_tags(part[n - 1], &w->platforms) < 0)
        goto bad;
    w->dist = xstrdup(part[0]);
    w->norm_name = pep503_normalize(part[0]);
    w->version_str = xstrdup(part[1]);
    free(buf);
    return 0;
bad:
    free(buf);
    wheelname_free(w);
    return -1;
}

void wheelname_free(struct wheelname *w)
{
    if (!w)
        return;
    free(w->dist);
    free(w->norm_name);
    free(w->version_str);
    pep440_free(&w->version);
    free(w->build);
    strv_clear(&w->pythons);
    strv_clear(&w->abis);
    strv_clear(&w->platforms);
    memset(w, 0, sizeof *w);
}

/* ---- targets ---- */

enum os_kind { OS_LINUX, OS_WINDOWS, OS_MACOS };

static const struct {
    const char *name;
    enum os_kind kind;
} os_names[] = {
    { "linux", OS_LINUX },     { "windows", OS_WINDOWS }, { "win32", OS_WINDOWS },
    { "win", OS_WINDOWS },     { "macos", OS_MACOS },     { "darwin", OS_MACOS },
    { "osx", OS_MACOS },       { "macosx", OS_MACOS },
};

/* uname -m / platform.machine() spellings -> wheel arch names per OS */
static const struct {
    const char *machine;
    const char *linux_arch, *win_tag, *mac_arch;
} machines[] = {
    { "x86_64", "x86_64", "win_amd64", "x86_64" },
    { "amd64", "x86_64", "win_amd64", "x86_64" },
    { "aarch64", "aarch64", "win_arm64", "arm64" },
    { "arm64", "aarch64", "win_arm64", "arm64" },
    { "i686", "i686", "win32", NULL },
    { "i386", "i686", "win32", NULL },
    { "x86", "i686", "win32", NULL },
};

/* manylinux legacy aliases: glibc 2.minor -> alias, and which arches have it */
static const struct {
    int minor;
    const char *alias;
    int all_arches; /* 0: only x86_64 and i686 */
} legacy[] = {
    { 17, "manylinux2014", 1 },
    { 12, "manylinux2010", 0 },
    { 5, "manylinux1", 0 },
};

static void linux_platforms(struct strv *out, const char *arch, int glibc_minor)
{
    int x86 = strcmp(arch, "x86_64") == 0 || strcmp(arch, "i686") == 0;
    int lowest = x86 ? 5 : 17;
    for (int m = glibc_minor; m >= lowest; m--) {
        strv_pushf(out, "manylinux_2_%d_%s", m, arch);
        for (size_t i = 0; i < sizeof legacy / sizeof legacy[0]; i++)
            if (legacy[i].minor == m && (x86 || legacy[i].all_arches))
                strv_pushf(out, "%s_%s", legacy[i].alias, arch);
    }
    strv_pushf(out, "linux_%s", arch);
}

static void mac_formats(struct strv *out, int major, int minor, const char *arch, int only_u2)
{
    static const char *const x86_formats[] = { "x86_64", "intel", "fat64", "fat32",
                                               "universal2", "universal" };
    if (strcmp(arch, "arm64") == 0) {
        if (!only_u2)
            strv_pushf(out, "macosx_%d_%d_arm64", major, minor);
        strv_pushf(out, "macosx_%d_%d_universal2", major, minor);
        return;
    }
    for (size_t i = 0; i < sizeof x86_formats / sizeof x86_formats[0]; i++)
        strv_pushf(out, "macosx_%d_%d_%s", major, minor, x86_formats[i]);
}

static void mac_platforms(struct strv *out, const char *arch, int major, int minor)
{
    int arm = strcmp(arch, "arm64") == 0;
    if (major >= 11) {
        for (int m = major; m >= 11; m--)
            mac_formats(out, m, 0, arch, 0);
        for (int n = 16; n >= 4; n--)
            mac_formats(out, 10, n, arch, arm);
    } else {
        for (int n = minor; n >= 4; n--)
            mac_formats(out, 10, n, arch, arm);
    }
}

static int fail(char **err, char *msg)
{
    if (err)
        *err = msg;
    else
        free(msg);
    return -1;
}

int wheel_target_init(struct wheel_target *t, const char *os, const char *machine,
                      int py_major, int py_minor, int libc_major, int libc_minor,
                      char **err)
{
    memset(t, 0, sizeof *t);
    if (err)
        *err = NULL;
    size_t i;
    for (i = 0; i < sizeof os_names / sizeof os_names[0]; i++)
        if (os && strcasecmp(os, os_names[i].name) == 0)
            break;
    if (i == sizeof os_names / sizeof os_names[0])
        return fail(err, xasprintf("unknown operating system '%s'", os ? os : "(null)"));
    enum os_kind kind = os_names[i].kind;

    if (py_major < 2 || py_minor < 0)
        return fail(err, xasprintf("bad Python version %d.%d", py_major, py_minor));
    if (!machine || !*machine)
        return fail(err, xstrdup("machine type missing"));

    const char *arch = NULL;
    for (i = 0; i < sizeof machines / sizeof machines[0]; i++)
        if (strcasecmp(machine, machines[i].machine) == 0)
            break;
    int known = i < sizeof machines / sizeof machines[0];

    switch (kind) {
    case OS_LINUX:
        if (libc_major != 2 || libc_minor < 0)
            return fail(err, xasprintf("glibc version %d.%d is not 2.x (musl is not supported)",
                                       libc_major, libc_minor));
        arch = known ? machines[i].linux_arch : machine;
        for (const char *c = arch; *c; c++)
            if (!isalnum((unsigned char)*c) && *c != '_')
                return fail(err, xasprintf("bad machine type '%s'", machine));
        linux_platforms(&t->platforms, arch, libc_minor);
        t->label = xasprintf("cp%d%d linux_%s", py_major, py_minor, arch);
        break;
    case OS_WINDOWS:
        if (!known)
            return fail(err, xasprintf("unsupported Windows machine '%s'", machine));
        strv_push(&t->platforms, machines[i].win_tag);
        t->label = xasprintf("cp%d%d %s", py_major, py_minor, machines[i].win_tag);
        break;
    case OS_MACOS:
        if (!known || !machines[i].mac_arch)
            return fail(err, xasprintf("unsupported macOS machine '%s'", machine));
        if (libc_major < 10 || (libc_major == 10 && libc_minor < 4))
            return fail(err, xasprintf("macOS version %d.%d is too old or unknown", libc_major,
                                       libc_minor));
        mac_platforms(&t->platforms, machines[i].mac_arch, libc_major, libc_minor);
        t->label = xasprintf("cp%d%d %s", py_major, py_minor, t->platforms.v[0]);
        break;
    }
    t->py_major = py_major;
    t->py_minor = py_minor;
    return 0;
}

void wheel_target_free(struct wheel_target *t)
{
    if (!t)
        return;
    strv_clear(&t->platforms);
    free(t->label);
    memset(t, 0, sizeof *t);
}

int wheel_target_has_platform(const struct wheel_target *t, const char *tag)
{
    for (size_t i = 0; i < t->platforms.n; i++)
        if (strcmp(t->platforms.v[i], tag) == 0)
            return 1;
    return 0;
}

/* ---- compatibility ---- */

/* "cp312" -> prefix "cp", major 3, minor 12 (-1 when only "py3"). */
static int split_python_tag(const char *tag, char prefix[3], int *major, int *minor)
{
    if (strlen(tag) < 3 || !isdigit((unsigned char)tag[2]))
        return -1;
    prefix[0] = tag[0];
    prefix[1] = tag[1];
    prefix[2] = '\0';
    *major = tag[2] - '0';
    *minor = -1;
    if (tag[3]) {
        char *end;
        long m = strtol(tag + 3, &end, 10);
        if (*end || m < 0 || m > 1000)
            return -1;
        *minor = (int)m;
    }
    return 0;
}

static int py_abi_ok(const char *py, const char *abi, int any_platform,
                     const struct wheel_target *t)
{
    char prefix[3];
    int major, minor;
    if (split_python_tag(py, prefix, &major, &minor) < 0 || major != t->py_major)
        return 0;
    int none = strcmp(abi, "none") == 0;

    if (strcmp(prefix, "cp") == 0) {
        if (minor == t->py_minor) {
            if (none)
                return 1;
            if (any_platform)
                return 0;
            char own[16];
            snprintf(own, sizeof own, "cp%d%d", t->py_major, t->py_minor);
            if (strcmp(abi, own) == 0 || strcmp(abi, "abi3") == 0)
                return 1;
            /* CPython before 3.8 had the pymalloc "m" ABI suffix */
            size_t n = strlen(own);
            return t->py_major == 3 && t->py_minor < 8 && strncmp(abi, own, n) == 0 &&
                   strcmp(abi + n, "m") == 0;
        }
        return !any_platform && minor >= 2 && minor < t->py_minor &&
               strcmp(abi, "abi3") == 0;
    }
    if (strcmp(prefix, "py") == 0)
        return none && minor <= t->py_minor;
    return 0;
}

int wheel_compatible(const struct wheelname *w, const struct wheel_target *t)
{
    for (size_t p = 0; p < w->platforms.n; p++) {
        const char *plat = w->platforms.v[p];
        int any = strcmp(plat, "any") == 0;
        if (!any && !wheel_target_has_platform(t, plat))
            continue;
        for (size_t i = 0; i < w->pythons.n; i++)
            for (size_t a = 0; a < w->abis.n; a++)
                if (py_abi_ok(w->pythons.v[i], w->abis.v[a], any, t))
                    return 1;
    }
    return 0;
}
