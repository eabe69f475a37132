/* pytarget.c — see pytarget.h. */
#include "pytarget.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pyinfo.h"

/* conda subdir -> wheel platform */
static const struct {
    const char *subdir, *os, *machine;
} subdir_platforms[] = {
    { "linux-64", "linux", "x86_64" },       { "linux-aarch64", "linux", "aarch64" },
    { "linux-ppc64le", "linux", "ppc64le" }, { "osx-64", "macos", "x86_64" },
    { "osx-arm64", "macos", "arm64" },       { "win-64", "windows", "x86_64" },
};

/* The platform of SUBDIR into *pi. */
static int for_subdir(const char *subdir, struct pyinfo *pi, char **err)
{
    size_t k = 0, n = sizeof subdir_platforms / sizeof *subdir_platforms;
    while (k < n && strcmp(subdir_platforms[k].subdir, subdir))
        k++;
    if (k == n)
        return seterr(err, "unknown platform %s", subdir);
    snprintf(pi->os, sizeof pi->os, "%s", subdir_platforms[k].os);
    snprintf(pi->machine, sizeof pi->machine, "%s", subdir_platforms[k].machine);
    /* the oldest glibc torch wheels target (manylinux2014), or macOS 11 */
    pi->glibc = xstrdup(!strcmp(pi->os, "macos") ? "11.0" : "2.17");
    return 0;
}

int pytarget_init(struct wheel_target *t, const char *real_pip, const char *python,
                  const char *subdir, char **err)
{
    struct pyinfo pi = PYINFO_INIT;
    int r = -1, major = 0, minor = 0, lmaj = 0, lmin = 0;
    if (subdir) {
        if (for_subdir(subdir, &pi, err))
            goto out;
        if (!python) {
            seterr(err, "give the Python version (--python X.Y) for another platform");
            goto out;
        }
    } else if (pyinfo_from_pip(real_pip, &pi) && pyinfo_from_python(real_pip, &pi) && !python) {
        seterr(err, "cannot tell which Python %s runs (%s)", real_pip,
               pi.error ? pi.error : "unknown");
        goto out;
    }
    if (python && sscanf(python, "%d.%d", &major, &minor) != 2) {
        seterr(err, "%s is not a Python version (X.Y)", python);
        goto out;
    }
    if (!python) {
        major = pi.major;
        minor = pi.minor;
    }
    if (pi.glibc)
        sscanf(pi.glibc, "%d.%d", &lmaj, &lmin);
    char *why = NULL;
    if (wheel_target_init(t, pi.os[0] ? pi.os : "linux", pi.machine[0] ? pi.machine : "x86_64",
                          major, minor, lmaj, lmin, &why)) {
        seterr(err, "cannot describe this platform for wheels: %s", why);
        free(why);
        goto out;
    }
    r = 0;
out:
    pyinfo_free(&pi);
    return r;
}
