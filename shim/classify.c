/* classify.c — see classify.h. */
#include "classify.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "condacmd.h"
#include "pipcmd.h"

#define PYTORCH_HOST "download.pytorch.org"
#define CLASSIFY_MAX_FILE ((off_t)8 << 20)

static int mentions(const char *s, const char *needle)
{
    return s && strcasestr(s, needle) != NULL;
}

/* Does a requirements/spec file mention one of NEEDLES? Only regular files
 * are read (inputs.c made copies of pipes), at most CLASSIFY_MAX_FILE
 * bytes; a file that cannot be read, or a larger one, is handed over: the
 * engine reports it (or pip does). */
static int file_mentions(const char *path, const char *const *needles)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > CLASSIFY_MAX_FILE) {
        if (fd >= 0)
            close(fd);
        return 1;
    }
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

/* What sends a command to the engine, per tool. */
struct tool_words {
    const int *file_opts;          /* options naming a file to look into */
    const int *skip_opts;          /* options whose value is no package (-n, -p) */
    const char *const *words;      /* in a package word */
    const char *const *in_files;   /* in a file (nested files count) */
};

static int mentions_any(const char *s, const char *const *needles)
{
    for (; *needles; needles++)
        if (mentions(s, *needles))
            return 1;
    return 0;
}

/* A word after the subcommand needs the engine: a torch-family name, an
 * official or mirror URL, or a file that mentions either. */
static int item_needs_engine(const struct cmd_item *it, const struct tool_words *tw)
{
    if (it->kind == IT_POSITIONAL)
        return mentions_any(it->value, tw->words);
    if (it->kind != IT_OPTION || !it->value)
        return 0;
    for (const int *s = tw->skip_opts; *s; s++)
        if (it->opt->id == *s)
            return 0;
    for (const int *f = tw->file_opts; *f; f++)
        if (it->opt->id == *f)
            return file_mentions(it->value, tw->in_files);
    return mentions(it->value, "torch");  /* also catches download.pytorch.org */
}

static enum verdict scan(const struct cmdline *cl, const struct tool_words *tw)
{
    int after = 0;
    for (size_t i = 0; i < cl->n; i++) {
        const struct cmd_item *it = &cl->items[i];
        if (it->kind == IT_SUBCOMMAND) {
            after = 1;
            continue;
        }
        if (after && item_needs_engine(it, tw))
            return VERDICT_ENGINE;
    }
    return VERDICT_PASS;
}

/* ---- pip ---------------------------------------------------------------- */

static const int pip_files[] = { PIP_REQUIREMENT, PIP_CONSTRAINT, 0 };
static const int pip_skip[] = { 0 };
static const char *const pip_words[] = { "torch", NULL };
static const char *const pip_in_files[] = { "torch", "-r", "--requirement", "-c",
                                            "--constraint", NULL };
static const struct tool_words pip_tw = { pip_files, pip_skip, pip_words, pip_in_files };

static enum verdict classify_pip(int argc, char *const *args)
{
    struct cmdline cl;
    char *err = NULL;
    if (pipcmd_parse(argc, args, &cl, &err)) {
        free(err);  /* an option we do not know: the engine says so if torch is there */
        for (int i = 0; i < argc; i++)
            if (mentions(args[i], "torch"))
                return VERDICT_ENGINE;
        return VERDICT_PASS;
    }
    enum verdict v = VERDICT_PASS;
    if (pipcmd_installs(cl.subcmd)) {
        static const char *const envs[] = { "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
                                            "PIP_FIND_LINKS", NULL };
        for (const char *const *e = envs; *e && v == VERDICT_PASS; e++)
            if (mentions(getenv(*e), PYTORCH_HOST))
                v = VERDICT_ENGINE;
        if (v == VERDICT_PASS)
            v = scan(&cl, &pip_tw);
    }
    cmdline_free(&cl);
    return v;
}

/* ---- conda / mamba / micromamba ----------------------------------------- */

static const int conda_files[] = { CONDA_FILE, 0 };
static const int conda_skip[] = { CONDA_NAME, CONDA_PREFIX, 0 };
static const char *const conda_needles[] = { "torch", "cpuonly", NULL };
static const struct tool_words conda_tw = { conda_files, conda_skip, conda_needles,
                                            conda_needles };

/* conda env create|update [-f FILE]: the environment file decides
 * (environment.yml in the current directory when no -f is given, as conda
 * reads it). */
static enum verdict classify_conda_env(int argc, char *const *args, int at)
{
    if (at + 1 >= argc || (strcmp(args[at + 1], "create") && strcmp(args[at + 1], "update")))
        return VERDICT_PASS;
    const char *file = "environment.yml";
    for (int i = at + 2; i < argc; i++) {
        const char *a = args[i];
        if (!strncmp(a, "--file=", 7))
            file = a + 7;
        else if ((!strcmp(a, "-f") || !strcmp(a, "--file")) && i + 1 < argc)
            file = args[++i];
        else if (a[0] == '-' && a[1] == 'f' && a[2])
            file = a + 2;
    }
    return file_mentions(file, conda_needles) ? VERDICT_ENGINE : VERDICT_PASS;
}

static enum verdict classify_conda(int argc, char *const *args)
{
    struct cmdline cl;
    char *err = NULL;
    if (condacmd_parse(argc, args, &cl, &err)) {
        free(err);
        for (int i = 0; i < argc; i++)
            if (mentions_any(args[i], conda_needles))
                return VERDICT_ENGINE;
        return VERDICT_PASS;
    }
    enum verdict v = VERDICT_PASS;
    if (cl.subcmd && !strcmp(cl.subcmd, "env")) {
        int at = 0;
        while (at < argc && strcmp(args[at], "env"))
            at++;
        v = classify_conda_env(argc, args, at);
    } else if (condacmd_installs(cl.subcmd)) {
        v = scan(&cl, &conda_tw);
    }
    cmdline_free(&cl);
    return v;
}

enum verdict classify(enum tool_mode mode, int argc, char *const *args)
{
    switch (mode) {
    case MODE_PIP: return classify_pip(argc, args);
    case MODE_CONDA: return classify_conda(argc, args);
    default: return VERDICT_PASS;
    }
}
