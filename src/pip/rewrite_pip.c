/* rewrite_pip.c — see rewrite_pip.h. */
#include "rewrite_pip.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "fileio.h"
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

static char *reqdir_prepare(void)
{
    const char *base = cache_dir_default();
    char *err = NULL;
    if (!base || cache_dir_ensure(base, &err)) {
        free(err);
        return NULL;
    }
    char *dir = xasprintf("%s/" CACHE_REQS_DIR, base);
    if (mkdir(dir, 0700) && errno != EEXIST) {
        free(dir);
        return NULL;
    }
    /* Rewritten copies are needed only while pip runs: drop day-old ones. */
    file_sweep_older(dir, "req-", CACHE_COPIES_KEEP_SECS, NULL);
    return dir;
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

/* Map each word of a list setting (an environment variable, a pip.conf
 * key) of option OPT; OUT gets (option word, value) pairs for all of them.
 * Returns 1 when one of them changed. */
static int map_list(struct pip_job *job, const char *list, int opt, struct strv *out)
{
    int changed = 0;
    char *dup = xstrdup(list), *save = NULL;
    for (char *w = strtok_r(dup, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save)) {
        struct strv repl = STRV_INIT;
        if (map_source(job, opt, w, &repl)) {
            changed = 1;
            strv_extend(out, repl.v, repl.n);
        } else {
            strv_push(out, opt_word(opt));
            strv_push(out, w);
        }
        strv_clear(&repl);
    }
    free(dup);
    return changed;
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
    if (map_list(job, v, opt, &pairs)) {
        env_changes_unset(&job->env, var);
        append_pairs(&job->cl, &pairs);
        strv_pushf(&job->notes, "%s moved onto the command line, rewritten", var);
    }
    strv_clear(&pairs);
}

/* The index pip will use first, after the rewrite: the command line's, the
 * environment's, pip.conf's, or PyPI. */
static const char *primary_index(const struct pip_job *job)
{
    const char *v = NULL;
    for (size_t i = 0; i < job->cl.n; i++)
        if (job->cl.items[i].kind == IT_OPTION && job->cl.items[i].opt->id == PIP_INDEX_URL)
            v = job->cl.items[i].value;
    if (!v && !job->isolated)
        v = getenv("PIP_INDEX_URL") && *getenv("PIP_INDEX_URL") ? getenv("PIP_INDEX_URL")
                                                                  : job->conf.value[PC_INDEX_URL];
    return v ? v : "https://pypi.org/simple";
}

/* A list key of pip's config files naming official sources: the environment
 * variable of that key overrides the files' value, and only that one, so
 * every other setting of the user's files stays in force. pip ignores an
 * empty value, so what must go is replaced by a neutral one: the primary
 * index again (extra-index-url), an empty directory (find-links). Entries
 * the mirror turns into the other kind go onto the command line. */
static void rewrite_conf_list(struct pip_job *job, enum pipconf_key k, const char *var, int opt)
{
    const char *v = job->conf.value[k];
    if (!v || getenv(var))
        return;  /* the environment variable already overrides the file */
    struct strv pairs = STRV_INIT, same = STRV_INIT, other = STRV_INIT;
    if (!map_list(job, v, opt, &pairs))
        goto out;
    for (size_t i = 0; i + 1 < pairs.n; i += 2) {
        if (opt_of_word(pairs.v[i])->id == opt) {
            strv_push(&same, pairs.v[i + 1]);
        } else {
            strv_push(&other, pairs.v[i]);
            strv_push(&other, pairs.v[i + 1]);
        }
    }
    if (!same.n && opt == PIP_FIND_LINKS && !job->reqdir)
        job->reqdir = reqdir_prepare();
    if (!same.n)
        strv_push(&same, opt != PIP_FIND_LINKS ? primary_index(job)
                         : job->reqdir         ? job->reqdir
                                               : "/nonexistent");
    char *value = strv_join(&same, " ");
    env_changes_set(&job->env, var, value);
    append_pairs(&job->cl, &other);
    strv_pushf(&job->notes, "%s = %s (%s): %s=%s%s", pipconf_key_name(k), v, job->conf.origin[k],
               var, value, other.n ? ", the rest on the command line" : "");
    free(value);
out:
    strv_clear(&pairs);
    strv_clear(&same);
    strv_clear(&other);
}

/* Pins came from a wheels mirror the command does not name (a bare
 * torch==2.3.1+cu121): pip must see that mirror too, or it finds no such
 * wheel. */
static void add_wheels_source(struct pip_job *job)
{
    const struct site *w = job->wheels_site;
    if (!w || !job->resolved_variant[0] || job->pytorch_source || job->user_site)
        return;
    const char *tmpl = job->nightly ? w->wheels_nightly : w->url[ROLE_WHEELS];
    if (!tmpl)
        return;
    struct strv pair = STRV_INIT;
    strv_push(&pair, w->wheels_format == WHEELS_FIND_LINKS ? "-f" : "--extra-index-url");
    strv_push_take(&pair, site_wheels_url(tmpl, job->resolved_variant));
    strv_push(&job->wheel_urls, pair.v[1]);
    append_pairs(&job->cl, &pair);
    strv_pushf(&job->notes, "added %s %s: the pinned wheels live there", pair.v[0], pair.v[1]);
    strv_clear(&pair);
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
        const char *conf_index = job->conf.value[PC_INDEX_URL];
        if (!cli_index && !getenv("PIP_INDEX_URL") && conf_index) {
            /* pip.conf's index-url: the command line overrides it */
            struct strv repl = STRV_INIT;
            if (map_source(job, PIP_INDEX_URL, conf_index, &repl))
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
    add_wheels_source(job);
    if (!job->isolated) {  /* after the index is settled: primary_index() */
        rewrite_conf_list(job, PC_EXTRA_INDEX_URL, "PIP_EXTRA_INDEX_URL", PIP_EXTRA_INDEX_URL);
        rewrite_conf_list(job, PC_FIND_LINKS, "PIP_FIND_LINKS", PIP_FIND_LINKS);
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
    if (job->python_m) {
        strv_push(argv, "-m");
        strv_push(argv, "pip");
    }
    cmdline_to_argv(&job->cl, argv);
    return 0;
}
