/* classify.c — see classify.h. */
#include "classify.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PYTORCH_HOST "download.pytorch.org"

static int mentions(const char *s, const char *needle)
{
    return s && strcasestr(s, needle) != NULL;
}

/* Scan a requirements/spec file for words that need the engine. A file that
 * cannot be read is handed over too: the engine reports it (or pip does). */
static int file_mentions(const char *path, const char *const *needles)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1;
    char buf[65536 + 1];
    size_t keep = 0;
    int hit = 0;
    for (;;) {
        ssize_t n = read(fd, buf + keep, sizeof buf - 1 - keep);
        if (n <= 0) {
            hit |= n < 0;
            break;
        }
        size_t len = keep + (size_t)n;
        buf[len] = '\0';
        for (const char *const *nd = needles; *nd && !hit; nd++)
            hit = strcasestr(buf, *nd) != NULL;
        if (hit)
            break;
        /* keep a tail so a needle split across reads is still seen */
        keep = len < 64 ? len : 64;
        memmove(buf, buf + len - keep, keep);
    }
    close(fd);
    return hit;
}

/* ---- pip ---------------------------------------------------------------- */

/* pip's general options that take a value (pip/_internal/cli/cmdoptions.py),
 * needed to find the subcommand: `pip --proxy X install` */
static const char *const pip_global_with_value[] = {
    "--python", "--log", "--log-file", "--local-log", "--keyring-provider", "--proxy",
    "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert", "--client-cert",
    "--cache-dir", "--use-feature", "--use-deprecated", "--resume-retries", NULL,
};

static int takes_value(const char *opt, const char *const *table)
{
    size_t n = strcspn(opt, "=");
    if (opt[n] == '=')
        return 0;  /* value attached */
    for (const char *const *t = table; *t; t++)
        /* optparse accepts unambiguous prefixes: `--prox` is --proxy */
        if (n >= 3 && !strncmp(*t, opt, n))
            return 1;
    return 0;
}

static const char *const pip_needles[] = { "torch", "-r", "--requirement", "-c", "--constraint",
                                           NULL };

/* Is ARG an option naming a requirements or constraints file? Returns 0 if
 * not, 1 if the file name is attached (stored in *file), 2 if it is the next
 * argument. Handles --requirement=F, --requirement F, -rF, -r F and short
 * clusters such as -Ur F, as optparse does. */
static int pip_file_option(const char *a, const char **file)
{
    static const char *const longs[] = { "--requirement", "--constraint", NULL };
    if (a[0] != '-')
        return 0;
    if (a[1] == '-') {
        for (const char *const *l = longs; *l; l++) {
            size_t n = strcspn(a, "=");
            if (n >= 4 && !strncmp(*l, a, n)) {
                if (a[n] == '=') {
                    *file = a + n + 1;
                    return 1;
                }
                return 2;
            }
        }
        return 0;
    }
    for (const char *c = a + 1; *c; c++) {
        if (*c == 'r' || *c == 'c') {
            if (c[1]) {
                *file = c + 1;
                return 1;
            }
            return 2;
        }
        if (strchr("eitfdwCb", *c))
            return 0;  /* another option's value follows */
    }
    return 0;
}

static enum verdict classify_pip(int argc, char *const *args)
{
    int i = 0;
    for (; i < argc && args[i][0] == '-'; i++) {
        if (!strcmp(args[i], "--"))
            return VERDICT_PASS;
        if (takes_value(args[i], pip_global_with_value))
            i++;
    }
    if (i >= argc)
        return VERDICT_PASS;
    const char *cmd = args[i];
    if (strcmp(cmd, "install") && strcmp(cmd, "download") && strcmp(cmd, "wheel"))
        return VERDICT_PASS;

    static const char *const envs[] = { "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
                                        "PIP_FIND_LINKS", NULL };
    for (const char *const *e = envs; *e; e++)
        if (mentions(getenv(*e), PYTORCH_HOST))
            return VERDICT_ENGINE;

    for (int j = i + 1; j < argc; j++) {
        const char *a = args[j];
        if (mentions(a, "torch"))  /* also catches download.pytorch.org */
            return VERDICT_ENGINE;
        const char *file = NULL;
        switch (pip_file_option(a, &file)) {
        case 2:
            if (j + 1 >= argc)
                break;
            file = args[++j];
            /* fall through */
        case 1:
            if (file_mentions(file, pip_needles))
                return VERDICT_ENGINE;
            break;
        }
    }
    return VERDICT_PASS;
}

/* ---- conda / mamba / micromamba ----------------------------------------- */

static const char *const conda_needles[] = { "torch", "cpuonly", NULL };

/* The value of -f / --file / --file=F / -fF at args[*j] (advancing *j past
 * a separate value), or NULL when args[*j] is not that option. */
static const char *conda_file_arg(int argc, char *const *args, int *j)
{
    const char *a = args[*j];
    if (!strncmp(a, "--file", 6) && (a[6] == '=' || a[6] == '\0'))
        return a[6] == '=' ? a + 7 : *j + 1 < argc ? args[++*j] : NULL;
    if (a[0] == '-' && a[1] == 'f')
        return a[2] ? a + 2 : *j + 1 < argc ? args[++*j] : NULL;
    return NULL;
}

/* `conda env create|update [-f FILE]` (FILE: environment.yml by default):
 * the engine when the file mentions PyTorch. */
static enum verdict classify_conda_env(int argc, char *const *args)
{
    if (argc < 1 || (strcmp(args[0], "create") && strcmp(args[0], "update")))
        return VERDICT_PASS;
    const char *file = "environment.yml";
    for (int j = 1; j < argc; j++) {
        const char *f = conda_file_arg(argc, args, &j);
        if (f)
            file = f;
    }
    return file_mentions(file, conda_needles) ? VERDICT_ENGINE : VERDICT_PASS;
}

static enum verdict classify_conda(int argc, char *const *args)
{
    int i = 0;
    /* conda's own global options before the subcommand take no values except
     * micromamba's --root-prefix/-r and --rc-file. */
    for (; i < argc && args[i][0] == '-'; i++) {
        const char *a = args[i];
        if (!strcmp(a, "-r") || !strcmp(a, "--root-prefix") || !strcmp(a, "--rc-file"))
            i++;
    }
    if (i >= argc)
        return VERDICT_PASS;
    const char *cmd = args[i];
    if (!strcmp(cmd, "env"))
        return classify_conda_env(argc - i - 1, args + i + 1);
    if (strcmp(cmd, "install") && strcmp(cmd, "create") && strcmp(cmd, "update") &&
        strcmp(cmd, "upgrade"))
        return VERDICT_PASS;
    for (int j = i + 1; j < argc; j++) {
        const char *a = args[j];
        /* `conda create -n pytorch python=3.8` (every tutorial's first step)
         * names an environment, not a package */
        if (!strcmp(a, "-n") || !strcmp(a, "--name") || !strcmp(a, "-p") ||
            !strcmp(a, "--prefix")) {
            j++;
            continue;
        }
        if (!strncmp(a, "--name=", 7) || !strncmp(a, "--prefix=", 9) ||
            (a[0] == '-' && (a[1] == 'n' || a[1] == 'p') && a[2] && a[1] != '-'))
            continue;
        if (mentions(a, "torch") || mentions(a, "cpuonly"))
            return VERDICT_ENGINE;
        /* --file (micromamba's -f: a spec list or an environment.yml) */
        const char *file = conda_file_arg(argc, args, &j);
        if (file && file_mentions(file, conda_needles))
            return VERDICT_ENGINE;
    }
    return VERDICT_PASS;
}

enum verdict classify(enum tool_mode mode, int argc, char *const *args)
{
    switch (mode) {
    case MODE_PIP: return classify_pip(argc, args);
    case MODE_CONDA: return classify_conda(argc, args);
    default: return VERDICT_PASS;
    }
}
