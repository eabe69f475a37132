/* conda_env.c — see conda_env.h. */
#include "conda_env.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cache.h"
#include "condacmd.h"
#include "condajob.h"
#include "envfile.h"
#include "fileio.h"
#include "msg.h"
#include "pip_run.h"
#include "pipcmd.h"
#include "resolve_forge.h"
#include "rewrite_conda.h"

#define DEFAULT_FILE "environment.yml"

/* ---- the command ---- */

/* conda's options before the subcommand that take a value (micromamba's). */
static int global_with_value(const char *a)
{
    return !strcmp(a, "-r") || !strcmp(a, "--root-prefix") || !strcmp(a, "--rc-file") ||
           !strcmp(a, "--log-level");
}

/* Index of the first word after the global options, or argc. */
static int first_word(int argc, char *const *args)
{
    int i = 0;
    for (; i < argc && args[i][0] == '-'; i++)
        if (global_with_value(args[i]))
            i++;
    return i;
}

static int is_yaml_name(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    return (n > 4 && !strcasecmp(p + n - 4, ".yml")) || (n > 5 && !strcasecmp(p + n - 5, ".yaml"));
}

struct envcmd {
    int lead;                        /* args[0 .. lead) are kept as they are */
    struct cmdline cl;               /* the rest, parsed */
    int is_env;                      /* conda env create|update */
    size_t file_item;                /* the -f item, or cl.n for the default file */
    char *path;
    const char *name, *prefix;       /* -n, -p */
};

static void envcmd_free(struct envcmd *ec)
{
    cmdline_free(&ec->cl);
    free(ec->path);
}

/* The -f item naming an environment file (for env: any -f). */
static size_t find_file(const struct envcmd *ec)
{
    for (size_t i = 0; i < ec->cl.n; i++) {
        const struct cmd_item *it = &ec->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->id == CONDA_FILE &&
            (ec->is_env || is_yaml_name(it->value)))
            return i;
    }
    return ec->cl.n;
}

static int envcmd_parse(int argc, char *const *args, struct envcmd *ec, char **err)
{
    memset(ec, 0, sizeof *ec);
    int i = first_word(argc, args);
    if (i + 1 < argc && !strcmp(args[i], "env") &&
        (!strcmp(args[i + 1], "create") || !strcmp(args[i + 1], "update"))) {
        ec->is_env = 1;
        ec->lead = i + 1;
        if (condacmd_parse_env(argc - ec->lead, args + ec->lead, &ec->cl, err))
            return -1;
    } else if (condacmd_parse(argc, args, &ec->cl, err)) {
        return -1;
    }
    ec->file_item = find_file(ec);
    if (ec->file_item == ec->cl.n && !ec->is_env)
        return seterr(err, "no environment file in the command");
    ec->path = xstrdup(ec->file_item < ec->cl.n ? ec->cl.items[ec->file_item].value
                                                : DEFAULT_FILE);
    for (size_t k = 0; k < ec->cl.n; k++) {
        const struct cmd_item *it = &ec->cl.items[k];
        if (it->kind == IT_OPTION && it->opt->id == CONDA_NAME)
            ec->name = it->value;
        else if (it->kind == IT_OPTION && it->opt->id == CONDA_PREFIX)
            ec->prefix = it->value;
    }
    return 0;
}

int conda_env_applies(int argc, char *const *args)
{
    struct envcmd ec;
    int r = envcmd_parse(argc, args, &ec, NULL) == 0 &&
            (ec.is_env || condacmd_installs(ec.cl.subcmd));
    envcmd_free(&ec);
    return r;
}

/* ---- the conda part: channels and dependencies ---- */

/* "install|create|update DEPS -c CH ... [--override-channels] [-n N|-p P]" */
static int conda_words(const struct envfile *ef, const struct envcmd *ec, struct strv *w)
{
    strv_push(w, ec->is_env ? (strcmp(ec->cl.subcmd, "update") ? "create" : "update")
                            : ec->cl.subcmd);
    for (size_t i = 0; i < envfile_ndeps(ef); i++) {
        if (envfile_dep(ef, i)[0] == '-')
            return -1;                 /* not a spec: leave the file to conda */
        strv_push(w, envfile_dep(ef, i));
    }
    int nodefaults = 0;
    for (size_t i = 0; i < envfile_nchannels(ef); i++) {
        const char *ch = envfile_channel(ef, i);
        if (!strcmp(ch, "nodefaults")) {
            nodefaults = 1;
            continue;
        }
        strv_push(w, "-c");
        strv_push(w, ch);
    }
    if (nodefaults)
        strv_push(w, "--override-channels");
    const char *name = ec->name ? ec->name : envfile_name(ef);
    if (ec->prefix || (!name && envfile_prefix(ef))) {
        strv_push(w, "-p");
        strv_push(w, ec->prefix ? ec->prefix : envfile_prefix(ef));
    } else if (name) {
        strv_push(w, "-n");
        strv_push(w, name);
    }
    return 0;
}

/* The rewritten job back into the file: dependency i is positional i, the
 * channels are the -c values in order, "nodefaults" when the job reads no
 * configured channel. */
static int conda_back(struct conda_job *job, struct envfile *ef, char **err)
{
    size_t dep = 0, nch = 0;
    int override = 0;
    struct strv chans = STRV_INIT;
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_POSITIONAL && dep < envfile_ndeps(ef)) {
            if (strcmp(envfile_dep(ef, dep), it->value) &&
                envfile_set_dep(ef, dep, it->value, err))
                return -1;
            dep++;
        } else if (it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL) {
            strv_push(&chans, it->value);
        } else if (it->kind == IT_OPTION && it->opt->id == CONDA_OVERRIDE_CHANNELS) {
            override = 1;
        }
    }
    if (override)
        strv_push(&chans, "nodefaults");
    int rc = 0;
    for (; nch < chans.n && rc == 0; nch++)
        rc = nch < envfile_nchannels(ef)
                 ? (strcmp(envfile_channel(ef, nch), chans.v[nch])
                        ? envfile_set_channel(ef, nch, chans.v[nch], err) : 0)
                 : envfile_insert_channel(ef, nch, chans.v[nch], err);
    while (rc == 0 && envfile_nchannels(ef) > chans.n)
        rc = envfile_remove_channel(ef, chans.n, err);
    strv_clear(&chans);
    return rc;
}

static void take_lists(struct run_result *res, struct conda_job *job)
{
    strv_extend(&res->warnings, job->warnings.v, job->warnings.n);
    strv_extend(&res->notes, job->notes.v, job->notes.n);
}

static enum run_outcome conda_part(const struct config *cfg, const char *real,
                                   struct envfile *ef, const struct envcmd *ec,
                                   const struct conda_target *t, char **python,
                                   struct run_result *res, int *changed)
{
    struct strv w = STRV_INIT;
    struct conda_job job;
    char *err = NULL;
    enum run_outcome o = RUN_UNCHANGED;
    if (conda_words(ef, ec, &w) || conda_job_init(&job, cfg, (int)w.n, w.v, &err)) {
        free(err);
        strv_clear(&w);
        return RUN_UNCHANGED;
    }
    *python = t->python ? xstrdup(t->python) : conda_job_target_python(&job);
    if (conda_job_is_pytorch(&job)) {
        conda_job_read_channels(&job, real);
        switch (t->forge ? resolve_forge(&job, t) : resolve_conda(&job, t)) {
        case RESOLVE_OK:
            conda_job_apply_pins(&job);
            conda_job_rewrite_channels(&job);
            o = conda_back(&job, ef, &err) ? RUN_FAILED : RUN_REWRITTEN;
            *changed = o == RUN_REWRITTEN;
            if (err)
                res->error = err;
            break;
        case RESOLVE_NO_MIRROR: o = RUN_NO_MIRROR; break;
        case RESOLVE_NONE_FITS:
            res->error = job.error;
            job.error = NULL;
            o = RUN_REFUSED;
            break;
        }
    }
    take_lists(res, &job);
    conda_job_free(&job);
    strv_clear(&w);
    return o;
}

/* ---- the pip part ---- */

static int pip_path_option(const char *opt)
{
    static const char *const opts[] = { "-r", "--requirement", "-c", "--constraint", "-e",
                                        "--editable", "-f", "--find-links", NULL };
    for (const char *const *o = opts; *o; o++)
        if (!strcmp(opt, *o))
            return 1;
    return 0;
}

/* A local path relative to the file's directory (conda runs pip there). */
static char *absolute(const char *v, const char *dir)
{
    if (!*v || v[0] == '/' || v[0] == '~' || strstr(v, "://") || !strncmp(v, "git+", 4) ||
        !strncmp(v, "file:", 5))
        return xstrdup(v);
    return xasprintf("%s/%s", dir, v);
}

/* One `- pip:` line as pip's words. */
static void pip_line_words(const char *line, const char *dir, struct strv *out)
{
    while (*line == ' ' || *line == '\t')
        line++;
    if (!*line || *line == '#')
        return;
    if (*line != '-') {
        int rel = !strncmp(line, "./", 2) || !strncmp(line, "../", 3) || !strcmp(line, ".");
        strv_push_take(out, rel ? absolute(line, dir) : xstrdup(line));
        return;
    }
    size_t n = strcspn(line, line[1] == '-' ? " \t=" : " \t");
    const char *rest = line + n + (line[n] == '=');
    while (*rest == ' ' || *rest == '\t')
        rest++;
    char *opt = xstrndup(line, n);
    if (n > 2 && line[1] != '-') {       /* "-rfile" */
        opt[2] = '\0';
        rest = line + 2;
    }
    strv_push(out, opt);
    if (*rest)
        strv_push_take(out, pip_path_option(opt) ? absolute(rest, dir) : xstrdup(rest));
    free(opt);
}

/* pip's rewritten command back into lines: one per option, one per requirement. */
static int pip_lines(const struct strv *argv, struct strv *lines)
{
    struct cmdline cl;
    if (argv->n < 2 || pipcmd_parse((int)argv->n - 1, argv->v + 1, &cl, NULL))
        return -1;
    for (size_t i = 0; i < cl.n; i++) {
        const struct cmd_item *it = &cl.items[i];
        if (it->kind == IT_OPTION)
            strv_push_take(lines, strv_join(&it->words, " "));
        else if (it->kind == IT_POSITIONAL)
            strv_push(lines, it->value);
    }
    cmdline_free(&cl);
    return 0;
}

static int set_pip_lines(struct envfile *ef, const struct strv *lines, char **err)
{
    int rc = 0;
    for (size_t i = 0; i < lines->n && rc == 0; i++)
        rc = i < envfile_npip(ef)
                 ? (strcmp(envfile_pip(ef, i), lines->v[i])
                        ? envfile_set_pip(ef, i, lines->v[i], err) : 0)
                 : envfile_insert_pip(ef, i, lines->v[i], err);
    while (rc == 0 && envfile_npip(ef) > lines->n)
        rc = envfile_remove_pip(ef, lines->n, err);
    return rc;
}

static enum run_outcome pip_part(const struct config *cfg, struct envfile *ef, const char *dir,
                                 const char *python, struct run_result *res, int *changed)
{
    if (!envfile_npip(ef))
        return RUN_UNCHANGED;
    struct strv argv = STRV_INIT, lines = STRV_INIT;
    strv_push(&argv, "install");
    for (size_t i = 0; i < envfile_npip(ef); i++)
        pip_line_words(envfile_pip(ef, i), dir, &argv);
    struct pip_target pt = { NULL, python, NULL, 0, 0 };
    struct run_result pr = RUN_RESULT_INIT;
    enum run_outcome o = pip_run(cfg, "pip", (int)argv.n, argv.v, &pt, &pr);
    strv_extend(&res->warnings, pr.warnings.v, pr.warnings.n);
    strv_extend(&res->notes, pr.notes.v, pr.notes.n);
    if (o == RUN_REWRITTEN) {
        char *err = NULL;
        if (pip_lines(&pr.argv, &lines) || set_pip_lines(ef, &lines, &err)) {
            strv_pushf(&res->notes, "pip lines left as they are: %s",
                       err ? err : "cannot read pip's rewritten command back");
            free(err);
            o = RUN_UNCHANGED;
        } else {
            *changed = 1;
            if (pr.env.set.n)
                strv_push(&res->notes, "pip's environment changes do not reach an environment "
                          "file's pip lines");
        }
    } else if (o == RUN_REFUSED && !res->error) {
        res->error = pr.error;
        pr.error = NULL;
    }
    run_result_free(&pr);
    strv_clear(&argv);
    strv_clear(&lines);
    return o;
}

/* ---- the copy and the command ---- */

static char *write_copy(const struct envfile *ef, const char *path, char **err)
{
    const char *cache = cache_dir_default();
    const char *tmp = getenv("TMPDIR");
    char *dir = cache ? xasprintf("%s/" CACHE_ENVFILES_DIR, cache)
                      : xstrdup(tmp && *tmp == '/' ? tmp : "/tmp");
    char sum[CACHE_SUM_HEX + 1], *text = NULL, *copy = NULL;
    size_t len = 0;
    if (cache)
        file_sweep_older(dir, "", CACHE_COPIES_KEEP_SECS, NULL);
    if (mkdir_p(dir, 0700, err) == 0 && envfile_emit(ef, &text, &len, err) == 0) {
        cache_checksum(text, len, sum);
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        copy = xasprintf("%s/%s-%s%s", dir, sum, base, is_yaml_name(base) ? "" : ".yml");
        if (file_write_atomic(copy, text, len, NULL, 0, 0644, err) != 0) {
            free(copy);
            copy = NULL;
        }
    }
    free(text);
    free(dir);
    return copy;
}

static void emit(struct envcmd *ec, const char *real, char *const *args, const char *copy,
                 struct strv *argv)
{
    if (ec->file_item < ec->cl.n) {
        struct cmd_item *it = &ec->cl.items[ec->file_item];
        char *word = xstrdup(it->words.n == 2 ? it->words.v[0] : "--file");
        cmdline_set_option(it, it->opt, word, copy);   /* frees the old words */
        free(word);
    } else {                         /* the default file: say which */
        size_t at = 0;
        while (at < ec->cl.n && ec->cl.items[at].kind != IT_SUBCOMMAND)
            at++;
        cmdline_set_option(cmdline_insert(&ec->cl, at + 1), condacmd_option(CONDA_FILE), "-f",
                           copy);
    }
    strv_push(argv, real);
    for (int i = 0; i < ec->lead; i++)
        strv_push(argv, args[i]);
    cmdline_to_argv(&ec->cl, argv);
}

/* The outcome of both parts: a refusal or a failure wins, then no mirror
 * for the conda part (the pip part alone is not worth a half-mirrored env). */
static enum run_outcome combine(enum run_outcome c, enum run_outcome p, int changed)
{
    if (c == RUN_REFUSED || p == RUN_REFUSED)
        return RUN_REFUSED;
    if (c == RUN_FAILED || p == RUN_FAILED)
        return RUN_FAILED;
    if (c == RUN_NO_MIRROR)
        return RUN_NO_MIRROR;
    if (changed)
        return RUN_REWRITTEN;
    return p == RUN_NO_MIRROR ? RUN_NO_MIRROR : RUN_UNCHANGED;
}

enum run_outcome conda_env_run(const struct config *cfg, const char *real, int argc,
                               char *const *args, const struct conda_target *t,
                               struct run_result *res)
{
    struct envcmd ec;
    struct envfile *ef = NULL;
    char *err = NULL, *python = NULL, *copy = NULL;
    int changed = 0;
    enum run_outcome o = RUN_UNCHANGED;
    char real_path[PATH_MAX], *slash = NULL;
    if (envcmd_parse(argc, args, &ec, &err) || !realpath(ec.path, real_path) ||
        envfile_load(real_path, &ef, &err)) {
        strv_pushf(&res->notes, "environment file left to conda: %s",
                   err ? err : "it cannot be found");
        goto out;
    }
    char real_dir[PATH_MAX];
    memcpy(real_dir, real_path, sizeof real_dir);
    if ((slash = strrchr(real_dir, '/')))
        *slash = '\0';
    enum run_outcome c = conda_part(cfg, real, ef, &ec, t, &python, res, &changed);
    enum run_outcome p = pip_part(cfg, ef, slash ? real_dir : ".", python, res, &changed);
    o = combine(c, p, changed);
    if (o == RUN_UNCHANGED)
        strv_push(&res->notes, "the environment file installs no PyTorch package");
    if (o == RUN_REWRITTEN && !(copy = write_copy(ef, ec.path, &err))) {
        res->error = xasprintf("cannot write the rewritten environment file: %s", err);
        o = RUN_FAILED;
    }
    if (o == RUN_REWRITTEN) {
        strv_pushf(&res->notes, "%s -> %s", ec.path, copy);
        emit(&ec, real, args, copy, &res->argv);
    }
out:
    free(err);
    free(copy);
    free(python);
    envfile_free(ef);
    envcmd_free(&ec);
    return o;
}
