/* reqfile.c — see reqfile.h. */
#include "reqfile.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdline.h"
#include "fileio.h"
#include "msg.h"
#include "pep508.h"
#include "pipcmd.h"
#include "str.h"

#define MAX_DEPTH 16

/* Options a requirements file may hold (req_file.py SUPPORTED_OPTIONS and
 * SUPPORTED_OPTIONS_REQ, the latter after a requirement on its line). */
static const struct optdef reqfile_opts[] = {
    { "index-url", 'i', 1, PIP_INDEX_URL },
    { "extra-index-url", 0, 1, PIP_EXTRA_INDEX_URL },
    { "no-index", 0, 0, PIP_NO_INDEX },
    { "find-links", 'f', 1, PIP_FIND_LINKS },
    { "constraint", 'c', 1, PIP_CONSTRAINT },
    { "requirement", 'r', 1, PIP_REQUIREMENT },
    { "editable", 'e', 1, PIP_EDITABLE },
    { "pre", 0, 0, PIP_PRE },
    { "trusted-host", 0, 1, PIP_OTHER },
    { "use-feature", 0, 1, PIP_OTHER },
    { "prefer-binary", 0, 0, PIP_OTHER },
    { "require-hashes", 0, 0, PIP_OTHER },
    { "only-binary", 0, 1, PIP_OTHER },
    { "no-binary", 0, 1, PIP_OTHER },
    { "hash", 0, 1, PIP_OTHER },
    { "config-settings", 0, 1, PIP_OTHER },
    { "global-option", 0, 1, PIP_OTHER },
    { "install-option", 0, 1, PIP_OTHER },
    { "extra-index", 0, 1, PIP_EXTRA_INDEX_URL },
    OPTDEF_END,
};

/* Expand ${NAME} (pip: only uppercase, digits, underscore). */
static char *expand_env(const char *s)
{
    size_t cap = strlen(s) + 1, len = 0;
    char *out = xmalloc(cap);
    for (const char *p = s; *p;) {
        const char *val = NULL;
        size_t skip = 1, vl = 1;
        if (p[0] == '$' && p[1] == '{') {
            size_t k = 2;
            while (isupper((unsigned char)p[k]) || isdigit((unsigned char)p[k]) || p[k] == '_')
                k++;
            if (p[k] == '}' && k > 2) {
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)(k - 2), p + 2);
                val = getenv(name);
                if (val) {
                    skip = k + 1;
                    vl = strlen(val);
                }
            }
        }
        if (!val)
            val = p;
        if (len + vl + 1 > cap)
            out = xrealloc(out, cap = (len + vl + 1) * 2);
        memcpy(out + len, val, vl);
        len += vl;
        p += skip;
    }
    out[len] = '\0';
    return out;
}

/* Split on whitespace (pip uses shlex; quotes are rare in these files and
 * are kept as they are). */
static void split_words(const char *s, struct strv *out)
{
    for (const char *p = s; *p;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t n = 0;
        while (p[n] && !isspace((unsigned char)p[n]))
            n++;
        strv_push_take(out, xstrndup(p, n));
        p += n;
    }
}

struct visit {
    const struct reqfile_hooks *hooks;
    const char *outdir;
    char **err;
    int depth;
};

static int process(struct visit *v, const char *path, char **rewritten);

/* A nested -r/-c path, relative to the including file's directory, made
 * absolute: a rewritten copy lives elsewhere, and pip resolves a relative
 * path next to the file that names it. */
static char *nested_path(const char *including, const char *ref)
{
    if (ref[0] == '/' || strstr(ref, "://"))
        return xstrdup(ref);
    char *dup = xstrdup(including), *p;
    const char *dir = dirname(dup);
    char cwd[PATH_MAX];
    if (dir[0] != '/' && getcwd(cwd, sizeof cwd))
        p = strcmp(dir, ".") ? xasprintf("%s/%s/%s", cwd, dir, ref) : xasprintf("%s/%s", cwd, ref);
    else
        p = xasprintf("%s/%s", dir, ref);
    free(dup);
    return p;
}

static int write_copy(const char *outdir, const struct strv *lines, char **out, char **err)
{
    char *tmpl = xasprintf("%s/req-XXXXXX.txt", outdir);
    int fd = mkstemps(tmpl, 4);
    if (fd < 0) {
        seterr(err, "cannot create %s: %s", tmpl, strerror(errno));
        free(tmpl);
        return -1;
    }
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < lines->n; i++)
        fprintf(f, "%s\n", lines->v[i]);
    if (fclose(f) != 0) {
        seterr(err, "cannot write %s: %s", tmpl, strerror(errno));
        unlink(tmpl);
        free(tmpl);
        return -1;
    }
    *out = tmpl;
    return 0;
}

/* A requirement line, perhaps followed by per-requirement options. */
static void requirement_line(struct visit *v, const char *path, const char *line,
                             struct strv *out, int *changed)
{
    struct strv repl = STRV_INIT;
    const char *opt = strstr(line, " --");
    char *req = opt ? xstrndup(line, (size_t)(opt - line)) : xstrdup(line);
    if (v->hooks->requirement)
        v->hooks->requirement(v->hooks->ctx, path, req, &repl);
    if (repl.n) {
        *changed = 1;
        strv_pushf(out, "%s%s", repl.v[0], opt ? opt : "");
    } else {
        strv_push(out, line);
    }
    free(req);
    strv_clear(&repl);
}

/* -r / -c FILE: the nested file is visited (and rewritten into a copy when
 * it changes); in a copy, its path must not depend on where the copy is. */
static int nested_line(struct visit *v, const char *path, const struct cmd_item *it,
                       struct strv *out, int *changed)
{
    int id = it->opt->id;
    char *np = nested_path(path, it->value), *copy = NULL;
    int r = !strstr(np, "://") && process(v, np, &copy) ? -1 : 0;
    if (r == 0) {
        strv_pushf(out, "%s %s", id == PIP_REQUIREMENT ? "-r" : "-c", copy ? copy : np);
        *changed |= copy != NULL;
    }
    free(copy);
    free(np);
    return r;
}

/* Any other option: the hook may replace it; else as written. */
static void option_line(struct visit *v, const char *path, const struct cmd_item *it,
                        struct strv *out, int *changed)
{
    struct strv repl = STRV_INIT;
    if (v->hooks->option)
        v->hooks->option(v->hooks->ctx, path, it->opt->id, it->value, &repl);
    if (repl.n) {
        *changed = 1;
        strv_extend(out, repl.v, repl.n);
    } else if (it->words.n > 1) {
        strv_pushf(out, "%s %s", it->words.v[0], it->words.v[1]);
    } else {
        strv_push(out, it->words.v[0]);
    }
    strv_clear(&repl);
}

/* An option line. */
static int options_line(struct visit *v, const char *path, const char *line,
                        const struct strv *words, struct strv *out, int *changed)
{
    struct cmdline cl;
    char *perr = NULL;
    /* No subcommand in a file: a leading "x" placeholder absorbs that role. */
    struct strv argv = STRV_INIT;
    strv_push(&argv, "x");
    strv_extend(&argv, words->v, words->n);
    int bad = cmdline_parse((int)argv.n, argv.v, reqfile_opts, NULL, &cl, &perr);
    strv_clear(&argv);
    if (bad) {  /* pip reports bad lines; we keep it as written */
        free(perr);
        strv_push(out, line);
        return 0;
    }
    int r = 0;
    for (size_t i = 1; i < cl.n && !r; i++) {  /* items[0] is the placeholder */
        const struct cmd_item *it = &cl.items[i];
        if (it->kind != IT_OPTION) {
            strv_push(out, line);  /* e.g. "-e ." followed by nothing odd */
            break;
        }
        if (it->opt->id == PIP_REQUIREMENT || it->opt->id == PIP_CONSTRAINT)
            r = nested_line(v, path, it, out, changed);
        else
            option_line(v, path, it, out, changed);
    }
    cmdline_free(&cl);
    return r;
}

/* One logical line; appends the line (as is, or changed) to OUT. */
static int process_line(struct visit *v, const char *path, const char *line, struct strv *out,
                        int *changed)
{
    struct strv words = STRV_INIT;
    int r = 0;
    split_words(line, &words);
    if (!words.n)
        strv_push(out, line);
    else if (words.v[0][0] != '-')
        requirement_line(v, path, line, out, changed);
    else
        r = options_line(v, path, line, &words, out, changed);
    strv_clear(&words);
    return r;
}

static int process(struct visit *v, const char *path, char **rewritten)
{
    *rewritten = NULL;
    if (++v->depth > MAX_DEPTH)
        return seterr(v->err, "%s: requirements files nest deeper than %d (a cycle?)", path,
                      MAX_DEPTH);
    char *text = NULL;
    int rr = file_read(path, REQFILE_MAX_BYTES, &text, NULL, v->err);
    if (rr)
        return rr > 0 ? seterr(v->err, "cannot read requirements file %s: %s", path,
                               strerror(ENOENT))
                      : -1;
    struct strv out = STRV_INIT;
    int changed = 0, r = 0;
    char *logical = NULL;
    for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save)) {
        size_t l = strlen(ln);
        if (l && ln[l - 1] == '\r')
            ln[--l] = '\0';
        int cont = l && ln[l - 1] == '\\';
        if (cont)
            ln[--l] = '\0';
        char *joined = logical ? xasprintf("%s%s", logical, ln) : xstrdup(ln);
        free(logical);
        logical = joined;
        if (cont)
            continue;
        char *expanded = expand_env(logical);
        pep508_strip_comment(expanded);
        str_rtrim(expanded);
        free(logical);
        logical = NULL;
        r = process_line(v, path, expanded, &out, &changed);
        free(expanded);
        if (r)
            break;
    }
    if (logical && !r) {  /* a file ending in a backslash */
        pep508_strip_comment(logical);
        str_rtrim(logical);
        r = process_line(v, path, logical, &out, &changed);
    }
    free(logical);
    free(text);
    if (!r && changed && v->outdir)
        r = write_copy(v->outdir, &out, rewritten, v->err);
    strv_clear(&out);
    v->depth--;
    return r;
}

int reqfile_process(const char *path, const struct reqfile_hooks *hooks, const char *outdir,
                    char **rewritten, char **err)
{
    struct visit v = { hooks, outdir, err, 0 };
    *err = NULL;
    return process(&v, path, rewritten);
}
