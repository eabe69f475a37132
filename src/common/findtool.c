/* findtool.c — see findtool.h. */
#include "findtool.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"

/* The next directory of the PATH string at *P: 1 with *DIR (not
 * terminated) and *LEN, 0 at the end. "" and relative entries mean the
 * current directory: never trusted, skipped. */
static int path_next(const char **p, const char **dir, size_t *len)
{
    while (**p) {
        const char *e = strchrnul(*p, ':');
        *dir = *p;
        *len = (size_t)(e - *p);
        *p = *e ? e + 1 : e;
        if (*len && (*dir)[0] == '/')
            return 1;
    }
    return 0;
}

static const struct {
    const char *name;
    enum tool_mode mode;
} tool_names[] = {
    { "pip", MODE_PIP },     { "pip3", MODE_PIP },       { "conda", MODE_CONDA },
    { "mamba", MODE_CONDA }, { "micromamba", MODE_CONDA },
};

enum tool_mode tool_mode_of(const char *name)
{
    for (size_t i = 0; i < sizeof tool_names / sizeof *tool_names; i++)
        if (!strcmp(name, tool_names[i].name))
            return tool_names[i].mode;
    /* pip3.N, pip3.NN */
    if (!strncmp(name, "pip3.", 5) && name[5]) {
        for (const char *p = name + 5; *p; p++)
            if (*p < '0' || *p > '9')
                return MODE_NONE;
        return MODE_PIP;
    }
    return MODE_NONE;
}

const char *tool_mode_name(enum tool_mode m)
{
    return m == MODE_PIP ? "pip" : m == MODE_CONDA ? "conda" : "none";
}

int self_identify(struct self_id *self, const char *argv0)
{
    struct stat st;
    self->path[0] = '\0';
    self->dev = 0;
    self->ino = 0;
    if (stat("/proc/self/exe", &st) == 0) {
        self->dev = st.st_dev;
        self->ino = st.st_ino;
        ssize_t n = readlink("/proc/self/exe", self->path, sizeof self->path - 1);
        self->path[n > 0 ? n : 0] = '\0';
        return 0;
    }
    /* No procfs (macOS, BSD): argv[0] when it names a path. */
    if (argv0 && strchr(argv0, '/'))
        return self_identify_path(self, argv0);
    return -1;
}

int self_identify_path(struct self_id *self, const char *path)
{
    struct stat st;
    memset(self, 0, sizeof *self);
    if (!path || stat(path, &st) != 0)
        return -1;
    self->dev = st.st_dev;
    self->ino = st.st_ino;
    if (!realpath(path, self->path))
        self->path[0] = '\0';
    return 0;
}

int findtool_is_self(const char *path, const struct self_id *self)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (self->ino && st.st_dev == self->dev && st.st_ino == self->ino)
        return 1;
    if (self->path[0]) {
        struct stat lst;
        /* Only a symlink can have a real path elsewhere: spare the syscalls
         * realpath() makes for the common case of a plain file. */
        if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
            char real[PATH_MAX];
            if (realpath(path, real) && !strcmp(real, self->path))
                return 1;
        }
    }
    return 0;
}

/* A directory's identity, taken once; dev 0 / ino 0 when unknown. */
struct dir_id {
    const char *path;
    dev_t dev;
    ino_t ino;
};

static void dir_id_init(struct dir_id *d, const char *path)
{
    struct stat st;
    d->path = path && *path ? path : NULL;
    d->dev = 0;
    d->ino = 0;
    if (d->path && stat(d->path, &st) == 0) {
        d->dev = st.st_dev;
        d->ino = st.st_ino;
    }
}

/* Is the directory DIR (DLEN bytes, not terminated) the one D names? */
static int is_dir(const struct dir_id *d, const char *dir, size_t dlen)
{
    if (!d->path)
        return 0;
    if (strlen(d->path) == dlen && !memcmp(d->path, dir, dlen))
        return 1;
    char buf[PATH_MAX];
    struct stat st;
    if (!d->ino || dlen >= sizeof buf)
        return 0;
    memcpy(buf, dir, dlen);
    buf[dlen] = '\0';
    return stat(buf, &st) == 0 && st.st_dev == d->dev && st.st_ino == d->ino;
}

/* An override variable names the tool: use it as given, but never the shim. */
static int from_env(const char *var, const struct self_id *self, char **out, char **err)
{
    const char *v = getenv(var);
    if (!v || !*v)
        return -1;
    if (v[0] != '/')
        return seterr(err, "%s=%s is not an absolute path", var, v), 127;
    if (findtool_is_self(v, self))
        return seterr(err, "%s=%s is torchshim itself, not the real tool", var, v), 127;
    if (access(v, F_OK) != 0)
        return seterr(err, "%s=%s: %s", var, v, strerror(errno)), 127;
    if (access(v, X_OK) != 0)
        return seterr(err, "%s=%s is not executable", var, v), 126;
    *out = xstrdup(v);
    return 0;
}

int findtool_locate(const char *name, enum tool_mode mode, const struct self_id *self,
                    const char *invoked_dir, char **out, char **err)
{
    int r = from_env(mode == MODE_PIP ? "TORCHSHIM_REAL_PIP" : "TORCHSHIM_REAL_CONDA", self, out,
                     err);
    if (r >= 0)
        return r;

    if (mode == MODE_CONDA) {
        const char *var = !strcmp(name, "conda") ? "CONDA_EXE" : "MAMBA_EXE";
        const char *v = getenv(var);
        const char *base = v ? strrchr(v, '/') : NULL;
        /* MAMBA_EXE names micromamba or mamba: only use it for that name. */
        if (v && v[0] == '/' && base && !strcmp(base + 1, name) && access(v, X_OK) == 0 &&
            !findtool_is_self(v, self)) {
            *out = xstrdup(v);
            return 0;
        }
    }

    const char *path = getenv("PATH");
    struct dir_id shimdir, invoked;
    int ids_taken = 0;
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    size_t nlen = strlen(name);
    char *not_exec = NULL;
    const char *p = path, *dir;
    size_t dlen;
    while (path_next(&p, &dir, &dlen)) {
        char cand[PATH_MAX];
        if (dlen + 1 + nlen + 1 > sizeof cand)
            continue;
        memcpy(cand, dir, dlen);
        cand[dlen] = '/';
        memcpy(cand + dlen + 1, name, nlen + 1);
        struct stat st;
        /* one stat per PATH entry, as a shell's lookup; the rest only for a
         * candidate that exists */
        if (stat(cand, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (!ids_taken) {
            dir_id_init(&shimdir, getenv("TORCHSHIM_SHIMDIR"));
            dir_id_init(&invoked, invoked_dir);
            ids_taken = 1;
        }
        if (is_dir(&shimdir, dir, dlen) || is_dir(&invoked, dir, dlen))
            continue;
        if (findtool_is_self(cand, self))
            continue;
        if (access(cand, X_OK) != 0) {
            if (!not_exec)
                not_exec = xstrdup(cand);
            continue;
        }
        free(not_exec);
        *out = xstrdup(cand);
        return 0;
    }
    if (not_exec) {
        seterr(err, "%s: found %s but it is not executable", name, not_exec);
        free(not_exec);
        return 126;
    }
    seterr(err, "%s: no real '%s' found on PATH after torchshim (set TORCHSHIM_REAL_%s to its "
           "path)", name, name, mode == MODE_PIP ? "PIP" : "CONDA");
    return 127;
}

char *findtool_which(const char *name)
{
    if (strchr(name, '/'))
        return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    const char *p = path, *dir;
    size_t dlen;
    while (path_next(&p, &dir, &dlen)) {
        char *cand = xasprintf("%.*s/%s", (int)dlen, dir, name);
        struct stat st;
        if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
            return cand;
        free(cand);
    }
    return NULL;
}
