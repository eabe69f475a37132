/* initcmd.c — `torchshim init`: print a shell's snippet (see initcmd.h). */
#include "initcmd.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "findtool.h"
#include "msg.h"
#include "quote.h"

enum quoting { QUOTE_SH, QUOTE_FISH };

static const struct shell {
    const char *name;
    enum quoting quoting;
    const char *rc_env;      /* the variable that moves the rc file, or NULL */
    const char *rc_sub;      /* the rc file under $rc_env */
    const char *rc_default;  /* the rc file when rc_env is unset (as shown) */
    const char *init_line;   /* the rc line; %s is torchshim's path */
    const char *unset_cmd;   /* removes a function */
    const char *undo_line;   /* runs __torchshim_uninit when it is defined */
} shells[] = {
    { "bash", QUOTE_SH, NULL, NULL, "~/.bashrc", "eval \"$(%s init bash)\"", "unset -f",
      "if declare -F __torchshim_uninit >/dev/null; then __torchshim_uninit; fi" },
    { "zsh", QUOTE_SH, "ZDOTDIR", ".zshrc", "~/.zshrc", "eval \"$(%s init zsh)\"", "unset -f",
      "if (( $+functions[__torchshim_uninit] )); then __torchshim_uninit; fi" },
    { "fish", QUOTE_FISH, "XDG_CONFIG_HOME", "fish/config.fish", "~/.config/fish/config.fish",
      "%s init fish | source", "functions -e",
      "functions -q __torchshim_uninit; and __torchshim_uninit" },
};

/* What the snippets define: the tools wrapped with their own functions kept,
 * and torchshim's own functions (removed outright by __torchshim_uninit):
 * pip3.X and python3.X for each minor version X of PY_MINOR_FIRST ..
 * PY_MINOR_LAST (the snippets' @PYMINORS@) come after pip3 and python3. */
static const char *const wrapped_tools[] = { "conda", "mamba", "micromamba" };
static const char *const own_pips[] = { "pip", "pip3" };
static const char *const own_pythons[] = { "python", "python3" };
static const char *const own_helpers[] = { "__torchshim_run", "__torchshim_python",
                                           "__torchshim_pip_installs", "__torchshim_tool",
                                           "__torchshim_reactivate", "__torchshim_have",
                                           "__torchshim_wrap", "__torchshim_uninit" };
enum { PY_MINOR_FIRST = 8, PY_MINOR_LAST = 15 };

#define COUNT(a) (sizeof(a) / sizeof *(a))

static const struct shell *shell_by_name(const char *name)
{
    for (size_t i = 0; i < COUNT(shells); i++)
        if (!strcmp(shells[i].name, name))
            return &shells[i];
    return NULL;
}

static const char *shell_names(void)
{
    return "bash|zsh|fish";
}

/* S quoted for SHELL. ALWAYS: quote even a word that needs none (the
 * snippets splice values into places where an empty or odd word must still
 * be one word). sh: '...' with ' as '\''; fish: '...' with \\ and \'. */
static char *quote_for(const struct shell *sh, const char *s, int always)
{
    if (sh->quoting == QUOTE_SH) {
        char *q = shell_quote(s);
        if (!always || q[0] == '\'')
            return q;
        char *r = xasprintf("'%s'", q);
        free(q);
        return r;
    }
    int plain = *s != '\0' && !always;
    size_t extra = 0;
    for (const char *p = s; *p; p++) {
        if (*p == '\'' || *p == '\\')
            extra++;
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@", *p))
            plain = 0;
    }
    if (plain)
        return xstrdup(s);
    char *out = xmalloc(strlen(s) + extra + 3), *o = out;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'' || *p == '\\')
            *o++ = '\\';
        *o++ = *p;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* $PATH lookup of "torchshim", for systems without /proc/self/exe. */
static char *find_on_path(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        return NULL;
    char *copy = xstrdup(path), *save = NULL;
    char *found = NULL;
    for (char *dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
        if (dir[0] != '/')
            continue;
        char *p = xasprintf("%s/%s", dir, name);
        char real[PATH_MAX];
        if (access(p, X_OK) == 0 && realpath(p, real))
            found = xstrdup(real);
        free(p);
    }
    free(copy);
    return found;
}

/* The absolute real path of this torchshim; NULL (after an error) if unknown. */
static char *self_path(void)
{
    struct self_id self;
    if (self_identify(&self, NULL) == 0 && self.path[0])
        return xstrdup(self.path);
    char *p = find_on_path("torchshim");
    if (!p)
        errorf("init: cannot tell where torchshim itself is installed");
    return p;
}

/* The prefix: the directory above the one EXE is in (<prefix>/bin/torchshim,
 * or the source tree for build/torchshim). */
static char *prefix_of(const char *exe)
{
    char *copy = xstrdup(exe);
    char *dir = xstrdup(dirname(copy));
    free(copy);
    char *prefix = xstrdup(dirname(dir));
    free(dir);
    return prefix;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The snippet file for SH; NULL after an error naming the places tried. */
static char *find_snippet(const struct shell *sh, const char *prefix)
{
    const char *datadir = getenv("TORCHSHIM_DATADIR");
    char *dirs[4];
    size_t n = 0;
    if (datadir && *datadir)
        dirs[n++] = xasprintf("%s/init", datadir);
    dirs[n++] = xasprintf("%s/share/torchshim/init", prefix);
    dirs[n++] = xasprintf("%s/shim/init", prefix);
#ifdef TORCHSHIM_DATADIR_FALLBACK
    /* the data dir compiled in: only when none was named, as config.c does
     * (an installed copy elsewhere must not answer for the one named) */
    if (!(datadir && *datadir))
        dirs[n++] = xasprintf("%s/init", TORCHSHIM_DATADIR_FALLBACK);
#endif
    char *found = NULL;
    for (size_t i = 0; i < n && !found; i++) {
        char *p = xasprintf("%s/torchshim.%s", dirs[i], sh->name);
        if (access(p, R_OK) == 0)
            found = p;
        else
            free(p);
    }
    if (!found) {
        errorf("init: torchshim.%s was not found in any of:", sh->name);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "    %s\n", dirs[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(dirs[i]);
    return found;
}

/* The shim directory, or NULL when there is none. */
static char *find_shimdir(const char *prefix)
{
    const char *env = getenv("TORCHSHIM_SHIMDIR");
    if (env && env[0] == '/' && is_dir(env))
        return xstrdup(env);
    char *p = xasprintf("%s/share/torchshim/shims", prefix);
    if (is_dir(p))
        return p;
    free(p);
    return NULL;
}

/* The whole of PATH_, NUL-terminated; NULL after an error. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        errorf("init: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *buf = xmalloc(cap);
    for (;;) {
        if (cap - len < 2)
            buf = xrealloc(buf, cap *= 2);
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        errorf("init: cannot read %s", path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

struct placeholder {
    const char *name;   /* "@NAME@" */
    const char *value;  /* already quoted */
};

/* The LEN bytes at LINE with every placeholder replaced, written to OUT. */
static void expand_line(FILE *out, const char *line, size_t len, const struct placeholder *ph,
                        size_t nph)
{
    const char *p = line, *end = line + len;
    while (p < end) {
        const char *at = memchr(p, '@', (size_t)(end - p));
        if (!at) {
            fwrite(p, 1, (size_t)(end - p), out);
            break;
        }
        fwrite(p, 1, (size_t)(at - p), out);
        size_t i;
        for (i = 0; i < nph; i++) {
            size_t plen = strlen(ph[i].name);
            if (plen <= (size_t)(end - at) && !memcmp(at, ph[i].name, plen)) {
                fputs(ph[i].value, out);
                p = at + plen;
                break;
            }
        }
        if (i == nph) {
            fputc('@', out);
            p = at + 1;
        }
    }
}

/* TEXT written to OUT with every placeholder replaced in its code: a line
 * whose first non-blank character is '#' is a comment in every shell we
 * support and is written as it is (the header documents the placeholders
 * by name; a path there would only mislead). */
static void expand(FILE *out, const char *text, const struct placeholder *ph, size_t nph)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        size_t blank = strspn(p, " \t");
        if (blank < len && p[blank] == '#')
            fwrite(p, 1, len, out);
        else
            expand_line(out, p, len, ph, nph);
        p += len;
    }
}

/* "8 9 ... 15": the minor versions with functions of their own. */
static char *py_minors(void)
{
    char *s = xstrdup("");
    for (int v = PY_MINOR_FIRST; v <= PY_MINOR_LAST; v++) {
        char *n = xasprintf("%s%s%d", s, *s ? " " : "", v);
        free(s);
        s = n;
    }
    return s;
}

static char *rc_file(const struct shell *sh)
{
    const char *env = sh->rc_env ? getenv(sh->rc_env) : NULL;
    if (env && *env)
        return xasprintf("%s/%s", env, sh->rc_sub);
    return xstrdup(sh->rc_default);
}

static char *init_line(const struct shell *sh, const char *exe)
{
    char *q = quote_for(sh, exe, 0);
    char *line = xasprintf(sh->init_line, q);
    free(q);
    return line;
}

static int print_snippet(const struct shell *sh, const char *exe, const char *prefix)
{
    char *file = find_snippet(sh, prefix);
    if (!file)
        return 1;
    char *text = read_file(file);
    free(file);
    if (!text)
        return 1;
    char *shimdir = find_shimdir(prefix);
    char *qexe = quote_for(sh, exe, 1);
    char *qdir = quote_for(sh, shimdir ? shimdir : "", 1);
    char *minors = py_minors();
    const struct placeholder ph[] = { { "@TORCHSHIM@", qexe },
                                      { "@SHIMDIR@", qdir },
                                      { "@PYMINORS@", minors } };
    expand(stdout, text, ph, COUNT(ph));
    free(minors);
    if (isatty(STDOUT_FILENO)) {
        char *rc = rc_file(sh);
        char *line = init_line(sh, exe);
        notef("this is what the shell should run; add this line to %s:\n    %s", rc, line);
        free(rc);
        free(line);
    }
    free(qexe);
    free(qdir);
    free(shimdir);
    free(text);
    return 0;
}

/* Column-tracking output of one comment line's words, continued with a
 * backslash (sh and fish alike) before column 77. */
struct wrap {
    int col;
};

static void wrap_word(struct wrap *w, const char *word)
{
    int len = (int)strlen(word);
    if (w->col + 1 + len > 76) {
        printf(" \\\n#           ");
        w->col = 12;
    }
    printf(" %s", word);
    w->col += 1 + len;
}

/* NAMES, then NAME3.X for X in PY_MINOR_FIRST .. PY_MINOR_LAST. */
static void wrap_versioned(struct wrap *w, const char *const *names, size_t n,
                           const char *name3)
{
    for (size_t i = 0; i < n; i++)
        wrap_word(w, names[i]);
    for (int v = PY_MINOR_FIRST; v <= PY_MINOR_LAST; v++) {
        char *f = xasprintf("%s.%d", name3, v);
        wrap_word(w, f);
        free(f);
    }
}

/* The command that removes our own functions, as a comment line. */
static void print_own_functions(const struct shell *sh)
{
    printf("#        %s", sh->unset_cmd);
    struct wrap w = { 9 + (int)strlen(sh->unset_cmd) };
    wrap_versioned(&w, own_pips, COUNT(own_pips), "pip3");
    wrap_versioned(&w, own_pythons, COUNT(own_pythons), "python3");
    for (size_t i = 0; i < COUNT(own_helpers); i++)
        wrap_word(&w, own_helpers[i]);
    putchar('\n');
}

/* How to take it out again: comments, then one command, so the output can
 * also be evaluated in a shell that is running. */
static int print_uninstall(const struct shell *sh, const char *exe, const char *prefix)
{
    char *rc = rc_file(sh);
    char *line = init_line(sh, exe);
    char *shimdir = find_shimdir(prefix);

    printf("# Removing torchshim from %s:\n#\n", sh->name);
    printf("# 1. Delete this line from %s:\n#        %s\n", rc, line);
    if (shimdir) {
        char *q = quote_for(sh, shimdir, 0);
        printf("# 2. Delete the shim directory, and the line that puts it on PATH\n"
               "#    (TORCHSHIM_SHIMDIR=...) if you added the one install.sh prints:\n"
               "#        rm -r %s\n",
               q);
        free(q);
    } else {
        printf("# 2. No shim directory was found; if you made one (pip, conda, ... ->\n"
               "#    torchshim), delete it and the line that puts it on PATH.\n");
    }
    printf("# 3. In a shell that is still running, run __torchshim_uninit (evaluating\n"
           "#    this output does): it restores");
    for (size_t i = 0; i < COUNT(wrapped_tools); i++)
        printf("%s %s", i == 0 ? "" : i + 1 == COUNT(wrapped_tools) ? " and" : ",",
               wrapped_tools[i]);
    printf("'s own\n#    functions (or removes ours where there were none), takes the shim\n"
           "#    directory out of PATH and removes the rest:\n");
    print_own_functions(sh);
    printf("%s\n", sh->undo_line);

    free(rc);
    free(line);
    free(shimdir);
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: torchshim init [%s]              print the shell integration\n"
            "       torchshim init --uninstall [%s]  how to remove it\n\n"
            "  bash, zsh:  eval \"$(torchshim init bash)\"    (in ~/.bashrc, ~/.zshrc)\n"
            "  fish:       torchshim init fish | source    (in ~/.config/fish/config.fish)\n\n"
            "Without a shell, the one $SHELL names. Put the line after conda's or\n"
            "mamba's own block; one evaluated later is wrapped at the next prompt.\n",
            shell_names(), shell_names());
}

int cmd_init(int argc, char **argv)
{
    int uninstall = 0;
    const char *shell_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--uninstall")) {
            uninstall = 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            errorf("init: unknown option '%s'", a);
            usage(stderr);
            return 2;
        } else if (shell_arg) {
            errorf("init: one shell only (got '%s' and '%s')", shell_arg, a);
            return 2;
        } else {
            shell_arg = a;
        }
    }

    const struct shell *sh;
    if (shell_arg) {
        sh = shell_by_name(shell_arg);
        if (!sh) {
            errorf("init: unsupported shell '%s': use one of %s", shell_arg, shell_names());
            return 2;
        }
    } else {
        const char *env = getenv("SHELL");
        const char *base = env ? strrchr(env, '/') : NULL;
        base = base ? base + 1 : env;
        sh = base && *base ? shell_by_name(base) : NULL;
        if (!sh) {
            errorf("init: cannot tell the shell from SHELL=%s: say which, one of %s",
                   env ? env : "(unset)", shell_names());
            return 2;
        }
    }

    char *exe = self_path();
    if (!exe)
        return 1;
    char *prefix = prefix_of(exe);
    int r = uninstall ? print_uninstall(sh, exe, prefix) : print_snippet(sh, exe, prefix);
    free(prefix);
    free(exe);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        errorf("init: cannot write the output: %s", strerror(errno));
        return 1;
    }
    return r;
}
