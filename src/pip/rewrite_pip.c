/* rewrite_pip.c — see rewrite_pip.h. */
#include "rewrite_pip.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "cache.h"
#include "msg.h"
#include "pipcmd.h"
#include "quote.h"
#include "reqfile.h"
#include "urlmap.h"

static const char *opt_word(int opt)
{
    switch (opt) {
    case PIP_INDEX_URL: return "-i";
    case PIP_EXTRA_INDEX_URL: return "--extra-index-url";
    case PIP_FIND_LINKS: return "-f";
    default: return "?";
    }
}

/* ---- analysis ----------------------------------------------------------- */

static void note_variant(struct pip_job *job, const char *v)
{
    if (!*v)
        return;
    if (!job->variant[0])
        snprintf(job->variant, sizeof job->variant, "%s", v);
    else if (strcmp(job->variant, v))
        job->variant_conflict = 1;
}

/* Look at one source URL given with OPT. */
static void see_source(struct pip_job *job, int opt, const char *url)
{
    struct pytorch_index pi;
    if (urlmap_pytorch_index(url, &pi) || urlmap_is_pytorch_host(url)) {
        job->pytorch_source = 1;
        if (urlmap_pytorch_index(url, &pi)) {
            note_variant(job, pi.variant);
            job->nightly |= pi.channel == WCH_NIGHTLY;
        }
        if (opt == PIP_INDEX_URL)
            job->has_index = 1;
        return;
    }
    if (opt == PIP_INDEX_URL) {
        job->has_index = 1;
        if (!urlmap_is_official_pypi(url))
            job->index_nonofficial = 1;
    }
}

/* Is REQ a PyTorch-family requirement? Records it if so. */
static void see_requirement(struct pip_job *job, const char *text, const char *file,
                            const char *item)
{
    struct pep508_req r;
    if (pep508_parse(text, &r, NULL) != PEP508_OK) {
        pep508_free(&r);
        return;
    }
    if (!config_list_has(job->cfg->pip_packages, r.norm_name)) {
        pep508_free(&r);
        return;
    }
    job->treqs = xrealloc(job->treqs, (job->ntreqs + 1) * sizeof *job->treqs);
    struct pip_treq *t = &job->treqs[job->ntreqs++];
    memset(t, 0, sizeof *t);
    t->req = r;
    t->text = xstrdup(text);
    t->file = file ? xstrdup(file) : NULL;
    t->item = item;
    /* torch==1.10.1+cu113: the local label names the variant */
    const struct pep440 *pin;
    if (pep440_specset_is_exact(&r.spec, &pin) && pep440_local(pin)) {
        char v[32];
        snprintf(v, sizeof v, "%s", pep440_local(pin));
        if (urlmap_valid_variant(v))
            note_variant(job, v);
    }
}

static void analyse_option_hook(void *ctx, const char *file, int opt, const char *value,
                                struct strv *out)
{
    (void)file;
    (void)out;
    struct pip_job *job = ctx;
    if (opt == PIP_INDEX_URL || opt == PIP_EXTRA_INDEX_URL || opt == PIP_FIND_LINKS)
        see_source(job, opt, value);
    else if (opt == PIP_NO_INDEX)
        job->no_index = 1;
    else if (opt == PIP_PRE)
        job->pre = 1;
}

static void analyse_requirement_hook(void *ctx, const char *file, const char *req,
                                     struct strv *out)
{
    (void)out;
    see_requirement(ctx, req, file, NULL);
}

/* pip's config files (pip/_internal/configuration.py): only index-url
 * matters here: a user who set a mirror there chose their index. */
struct pipconf_ctx {
    char *index_url;
};

static int pipconf_entry(void *user, const char *section, const char *key, const char *value)
{
    struct pipconf_ctx *x = user;
    if ((!strcmp(section, "global") || !strcmp(section, "install") ||
         !strcmp(section, "download") || !strcmp(section, "wheel")) &&
        (!strcmp(key, "index-url") || !strcmp(key, "index_url") || !strcmp(key, "i"))) {
        free(x->index_url);
        x->index_url = xstrdup(value);
    }
    return 1;
}

static char *pipconf_index_url(const char *real_pip)
{
    struct pipconf_ctx x = { NULL };
    const char *env = getenv("PIP_CONFIG_FILE");
    if (env && !strcmp(env, "/dev/null"))
        return NULL;
    /* global, user, site (the environment of the pip we will run), then
     * PIP_CONFIG_FILE: later files win. */
    struct strv files = STRV_INIT;
    const char *xdg_dirs = getenv("XDG_CONFIG_DIRS");
    strv_pushf(&files, "%s/pip/pip.conf", xdg_dirs && *xdg_dirs ? xdg_dirs : "/etc/xdg");
    strv_push(&files, "/etc/pip.conf");
    const char *home = getenv("HOME");
    if (home) {
        strv_pushf(&files, "%s/.pip/pip.conf", home);
        const char *xdg = getenv("XDG_CONFIG_HOME");
        if (xdg && *xdg)
            strv_pushf(&files, "%s/pip/pip.conf", xdg);
        else
            strv_pushf(&files, "%s/.config/pip/pip.conf", home);
    }
    if (real_pip) {
        char *dup = xstrdup(real_pip);
        char *bin = dirname(dup);
        char *prefix = xstrdup(bin);
        strv_pushf(&files, "%s/pip.conf", dirname(prefix));
        free(prefix);
        free(dup);
    }
    if (env && *env)
        strv_push(&files, env);
    for (size_t i = 0; i < files.n; i++)
        ini_parse(files.v[i], pipconf_entry, &x);  /* missing files are fine */
    strv_clear(&files);
    return x.index_url;
}

static char *reqdir_prepare(void)
{
    const char *base = cache_dir_default();
    char *err = NULL;
    if (!base || cache_dir_ensure(base, &err)) {
        free(err);
        return NULL;
    }
    char *dir = xasprintf("%s/reqs", base);
    if (mkdir(dir, 0700) && errno != EEXIST) {
        free(dir);
        return NULL;
    }
    /* Rewritten copies are needed only while pip runs: drop day-old ones. */
    DIR *d = opendir(dir);
    if (d) {
        time_t now = time(NULL);
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strncmp(e->d_name, "req-", 4))
                continue;
            char *p = xasprintf("%s/%s", dir, e->d_name);
            struct stat st;
            if (stat(p, &st) == 0 && now - st.st_mtime > 86400)
                unlink(p);
            free(p);
        }
        closedir(d);
    }
    return dir;
}

int pip_job_init(struct pip_job *job, const struct config *cfg, const char *real_pip, int argc,
                 char *const *args, char **err)
{
    memset(job, 0, sizeof *job);
    job->cfg = cfg;
    job->real_pip = real_pip;
    job->wheels_site = config_site_for(cfg, ROLE_WHEELS);
    *err = NULL;
    char *perr = NULL;
    if (pipcmd_parse(argc, args, &job->cl, &perr)) {
        *err = xasprintf("cannot follow this pip command line: %s", perr);
        free(perr);
        return -1;
    }
    job->subcmd = job->cl.subcmd;
    job->installs = pipcmd_installs(job->subcmd);
    if (!job->installs)
        return 0;

    struct reqfile_hooks hooks = { analyse_option_hook, analyse_requirement_hook, job };
    int after_sub = 0;
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_SUBCOMMAND) {
            after_sub = 1;
            continue;
        }
        if (it->kind == IT_POSITIONAL) {
            if (after_sub)
                see_requirement(job, it->value, NULL, it->value);
            continue;
        }
        if (it->kind != IT_OPTION)
            continue;
        switch (it->opt->id) {
        case PIP_ISOLATED: job->isolated = 1; break;
        case PIP_NO_INDEX: job->no_index = 1; break;
        case PIP_PRE: job->pre = 1; break;
        case PIP_PLATFORM: job->platform_given = 1; break;
        case PIP_PYTHON_VERSION:
            snprintf(job->python_version, sizeof job->python_version, "%s", it->value);
            break;
        case PIP_INDEX_URL:
        case PIP_EXTRA_INDEX_URL:
        case PIP_FIND_LINKS: see_source(job, it->opt->id, it->value); break;
        case PIP_REQUIREMENT:
        case PIP_CONSTRAINT: {
            char *rerr = NULL, *copy = NULL;
            if (reqfile_process(it->value, &hooks, NULL, &copy, &rerr)) {
                *err = rerr;
                return -1;
            }
            break;
        }
        default: break;
        }
    }
    if (!job->isolated) {
        static const struct { const char *var; int opt; } envs[] = {
            { "PIP_INDEX_URL", PIP_INDEX_URL },
            { "PIP_EXTRA_INDEX_URL", PIP_EXTRA_INDEX_URL },
            { "PIP_FIND_LINKS", PIP_FIND_LINKS },
        };
        for (size_t e = 0; e < sizeof envs / sizeof *envs; e++) {
            const char *v = getenv(envs[e].var);
            if (!v || !*v)
                continue;
            char *dup = xstrdup(v), *save = NULL;
            for (char *w = strtok_r(dup, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
                see_source(job, envs[e].opt, w);
            free(dup);
        }
        if (env_true("PIP_NO_INDEX"))
            job->no_index = 1;
        job->pipconf_index = pipconf_index_url(real_pip);
        if (job->pipconf_index)
            see_source(job, PIP_INDEX_URL, job->pipconf_index);
    }
    return 0;
}

void pip_job_free(struct pip_job *job)
{
    cmdline_free(&job->cl);
    for (size_t i = 0; i < job->ntreqs; i++) {
        pep508_free(&job->treqs[i].req);
        free(job->treqs[i].text);
        free(job->treqs[i].file);
        free(job->treqs[i].pinned);
    }
    free(job->treqs);
    strv_clear(&job->wheel_urls);
    strv_clear(&job->notes);
    env_changes_clear(&job->env);
    free(job->reqdir);
    free(job->pipconf_index);
    memset(job, 0, sizeof *job);
}

int pip_job_is_pytorch(const struct pip_job *job)
{
    return job->installs && (job->ntreqs > 0 || job->pytorch_source);
}

/* ---- sources ------------------------------------------------------------ */

/* Map one source. Pushes (option word, value) pairs into OUT and returns 1
 * when it changes; 0 leaves it as it is. */
static int map_source(struct pip_job *job, int opt, const char *url, struct strv *out)
{
    const struct config *cfg = job->cfg;
    struct pytorch_index pi;
    if (urlmap_pytorch_index(url, &pi)) {
        const struct site *w = job->wheels_site;
        if (!w || site_is_official(w))
            return 0;
        const char *tmpl = pi.channel == WCH_NIGHTLY ? w->wheels_nightly
                           : pi.channel == WCH_TEST  ? NULL
                                                     : w->url[ROLE_WHEELS];
        if (!tmpl) {
            strv_pushf(&job->notes, "%s: mirror '%s' has no %s wheels; kept as it is", url,
                       w->name, pi.channel == WCH_NIGHTLY ? "nightly" : "test");
            return 0;
        }
        const char *variant = pi.variant[0] ? pi.variant : job->variant;
        if (!variant[0] && strstr(tmpl, "{variant}")) {
            strv_pushf(&job->notes, "%s: no variant named (cpu, cu121, ...) in it or in a "
                       "+local version; kept as it is", url);
            return 0;
        }
        char *mirror = site_wheels_url(tmpl, variant);
        strv_push(&job->wheel_urls, mirror);
        if (w->wheels_format == WHEELS_FIND_LINKS)
            strv_push(out, "-f");
        else
            strv_push(out, opt == PIP_INDEX_URL ? "--index-url" : "--extra-index-url");
        strv_push_take(out, mirror);
        if (opt == PIP_INDEX_URL) {
            /* download.pytorch.org also served torch's dependencies: they now
             * come from the PyPI mirror. */
            const struct site *p = config_site_for(cfg, ROLE_PYPI);
            if (p && !site_is_official(p)) {
                strv_push(out, w->wheels_format == WHEELS_FIND_LINKS ? "-i"
                                                                     : "--extra-index-url");
                strv_push(out, p->url[ROLE_PYPI]);
            }
        }
        strv_pushf(&job->notes, "%s %s -> %s (wheels from '%s')", opt_word(opt), url,
                   out->v[1], w->name);
        return 1;
    }
    if (opt != PIP_FIND_LINKS && urlmap_is_official_pypi(url)) {
        const struct site *p = config_site_for(cfg, ROLE_PYPI);
        if (!p || site_is_official(p))
            return 0;
        strv_push(out, opt_word(opt));
        strv_push(out, p->url[ROLE_PYPI]);
        strv_pushf(&job->notes, "%s %s -> %s (PyPI from '%s')", opt_word(opt), url,
                   p->url[ROLE_PYPI], p->name);
        return 1;
    }
    return 0;
}

/* The option a word we emit stands for. */
static const struct optdef *opt_of_word(const char *word)
{
    int id = !strcmp(word, "-f")                  ? PIP_FIND_LINKS
             : !strcmp(word, "--extra-index-url") ? PIP_EXTRA_INDEX_URL
                                                  : PIP_INDEX_URL;
    return pipcmd_option(id);
}

/* Replace item AT with the option pairs of REPL. */
static void replace_item(struct cmdline *cl, size_t at, const struct strv *repl)
{
    for (size_t k = 0; k + 1 < repl->n; k += 2) {
        struct cmd_item *it = k ? cmdline_insert(cl, at + k / 2) : &cl->items[at];
        cmdline_set_option(it, opt_of_word(repl->v[k]), repl->v[k], repl->v[k + 1]);
    }
}

/* Append option pairs before "--" (or at the end). */
static void append_pairs(struct cmdline *cl, const struct strv *pairs)
{
    for (size_t k = 0; k + 1 < pairs->n; k += 2)
        cmdline_set_option(cmdline_insert(cl, cmdline_options_end(cl)),
                           opt_of_word(pairs->v[k]), pairs->v[k], pairs->v[k + 1]);
}

/* Move an environment variable naming official sources onto the command
 * line, rewritten (pip's env values cannot be amended from the command line:
 * for list options pip appends to them). */
static void rewrite_env(struct pip_job *job, const char *var, int opt)
{
    const char *v = getenv(var);
    if (!v || !*v)
        return;
    struct strv pairs = STRV_INIT;
    int changed = 0;
    char *dup = xstrdup(v), *save = NULL;
    for (char *w = strtok_r(dup, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        struct strv repl = STRV_INIT;
        if (map_source(job, opt, w, &repl)) {
            changed = 1;
            strv_extend(&pairs, repl.v, repl.n);
        } else {
            strv_push(&pairs, opt_word(opt));
            strv_push(&pairs, w);
        }
        strv_clear(&repl);
    }
    free(dup);
    if (changed) {
        env_changes_unset(&job->env, var);
        append_pairs(&job->cl, &pairs);
        strv_pushf(&job->notes, "%s moved onto the command line, rewritten", var);
    }
    strv_clear(&pairs);
}

static int cli_has(const struct cmdline *cl, int opt)
{
    for (size_t i = 0; i < cl->n; i++)
        if (cl->items[i].kind == IT_OPTION && cl->items[i].opt->id == opt)
            return 1;
    return 0;
}

int pip_job_rewrite_sources(struct pip_job *job, char **err)
{
    *err = NULL;
    int cli_index = cli_has(&job->cl, PIP_INDEX_URL);
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind != IT_OPTION)
            continue;
        int id = it->opt->id;
        if (id != PIP_INDEX_URL && id != PIP_EXTRA_INDEX_URL && id != PIP_FIND_LINKS)
            continue;
        struct strv repl = STRV_INIT;
        if (map_source(job, id, it->value, &repl)) {
            size_t added = repl.n / 2 - 1;
            replace_item(&job->cl, i, &repl);
            i += added;
        }
        strv_clear(&repl);
    }
    if (!job->isolated) {
        if (!cli_index)  /* a command-line index wins over PIP_INDEX_URL */
            rewrite_env(job, "PIP_INDEX_URL", PIP_INDEX_URL);
        rewrite_env(job, "PIP_EXTRA_INDEX_URL", PIP_EXTRA_INDEX_URL);
        rewrite_env(job, "PIP_FIND_LINKS", PIP_FIND_LINKS);
        if (!cli_index && !getenv("PIP_INDEX_URL")) {
            /* pip.conf's index-url: the command line overrides it */
            struct strv repl = STRV_INIT;
            if (job->pipconf_index && map_source(job, PIP_INDEX_URL, job->pipconf_index, &repl))
                append_pairs(&job->cl, &repl);
            strv_clear(&repl);
        }
    }
    /* A PyTorch install from the default index: PyPI's mirror. */
    if (pip_job_is_pytorch(job) && !job->has_index && !job->no_index) {
        const struct site *p = config_site_for(job->cfg, ROLE_PYPI);
        if (p && !site_is_official(p)) {
            struct strv pair = STRV_INIT;
            strv_push(&pair, "-i");
            strv_push(&pair, p->url[ROLE_PYPI]);
            append_pairs(&job->cl, &pair);
            strv_clear(&pair);
            strv_pushf(&job->notes, "default index -> %s (PyPI from '%s')", p->url[ROLE_PYPI],
                       p->name);
        }
    }
    return 0;
}

/* ---- emit --------------------------------------------------------------- */

static const char *pinned_for(struct pip_job *job, const char *file, const char *text)
{
    for (size_t i = 0; i < job->ntreqs; i++) {
        struct pip_treq *t = &job->treqs[i];
        if (t->pinned && t->file && !strcmp(t->file, file) && !strcmp(t->text, text))
            return t->pinned;
    }
    return NULL;
}

static void emit_option_hook(void *ctx, const char *file, int opt, const char *value,
                             struct strv *out)
{
    (void)file;
    struct pip_job *job = ctx;
    if (opt != PIP_INDEX_URL && opt != PIP_EXTRA_INDEX_URL && opt != PIP_FIND_LINKS)
        return;
    struct strv repl = STRV_INIT;
    if (map_source(job, opt, value, &repl))
        for (size_t k = 0; k + 1 < repl.n; k += 2)
            strv_pushf(out, "%s %s", repl.v[k], repl.v[k + 1]);
    strv_clear(&repl);
}

static void emit_requirement_hook(void *ctx, const char *file, const char *req, struct strv *out)
{
    const char *p = pinned_for(ctx, file, req);
    if (p)
        strv_push(out, p);
}

int pip_job_emit(struct pip_job *job, const char *real_pip, struct strv *argv, char **err)
{
    *err = NULL;
    struct reqfile_hooks hooks = { emit_option_hook, emit_requirement_hook, job };
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION &&
            (it->opt->id == PIP_REQUIREMENT || it->opt->id == PIP_CONSTRAINT)) {
            if (!job->reqdir && !(job->reqdir = reqdir_prepare())) {
                *err = xstrdup("cannot create a directory for rewritten requirements files");
                return -1;
            }
            char *copy = NULL;
            /* map_source notes again on this pass: keep the first pass's */
            size_t nnotes = job->notes.n;
            if (reqfile_process(it->value, &hooks, job->reqdir, &copy, err))
                return -1;
            while (job->notes.n > nnotes)
                strv_remove(&job->notes, job->notes.n - 1);
            if (copy) {
                strv_pushf(&job->notes, "%s rewritten into %s (yours is unchanged)", it->value,
                           copy);
                cmdline_set_option(it, it->opt, it->opt->id == PIP_REQUIREMENT ? "-r" : "-c",
                                   copy);
                free(copy);
            }
        }
    }
    for (size_t i = 0; i < job->ntreqs; i++) {
        struct pip_treq *t = &job->treqs[i];
        for (size_t k = 0; !t->file && t->pinned && k < job->cl.n; k++)
            if (job->cl.items[k].value == t->item)
                cmdline_set_positional(&job->cl.items[k], t->pinned);
    }
    strv_push(argv, real_pip);
    cmdline_to_argv(&job->cl, argv);
    return 0;
}
