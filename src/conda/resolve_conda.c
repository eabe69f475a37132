/* resolve_conda.c — see resolve_conda.h. */
#include "resolve_conda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "condaindex.h"
#include "condacmd.h"
#include "fetchcfg.h"
#include "matchspec.h"
#include "msg.h"
#include "pyinfo.h"
#include "rewrite_conda.h"
#include "urlmap.h"

/* The pytorch channel of the command: its root URL (".../pytorch", without
 * a trailing subdir) and the subdir a URL named, if any. 0 if the command
 * does not use the pytorch channel. *official says it was named officially
 * (pytorch, conda.anaconda.org/pytorch): then the mirrors are ours to pick. */
static int pytorch_channel(const struct conda_job *job, char **root, char **url_subdir,
                           int *official)
{
    for (size_t i = 0; i < job->nspecs; i++) {
        const char *ch = job->specs[i].ms.channel;
        char name[64];
        if (ch && urlmap_conda_channel(ch, name, sizeof name) && !strcmp(name, "pytorch")) {
            *official = 1;
            *root = NULL;
            *url_subdir = NULL;
            return 1;
        }
    }
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind != IT_OPTION || it->opt->id != CONDA_CHANNEL)
            continue;
        char name[64];
        if (urlmap_conda_channel(it->value, name, sizeof name)) {
            if (!strcmp(name, "pytorch")) {
                *official = 1;
                *root = NULL;
                *url_subdir = NULL;
                return 1;
            }
            continue;
        }
        /* a mirror URL the user typed: .../pytorch or .../pytorch/win-64 */
        char *u = xstrdup(it->value);
        size_t n = strlen(u);
        while (n && u[n - 1] == '/')
            u[--n] = '\0';
        char *last = strrchr(u, '/');
        *url_subdir = NULL;
        if (last && matchspec_is_subdir(last + 1)) {
            *url_subdir = xstrdup(last + 1);
            *last = '\0';
            last = strrchr(u, '/');
        }
        if (last && !strcmp(last + 1, "pytorch") && strstr(u, "://")) {
            *official = 0;
            *root = u;
            return 1;
        }
        free(*url_subdir);
        *url_subdir = NULL;
        free(u);
    }
    return 0;
}

/* The target environment's Python: python= in the command, else the env of
 * -p / -n / the active CONDA_PREFIX, read from its conda-meta. */
static char *target_python(const struct conda_job *job)
{
    for (size_t i = 0; i < job->nspecs; i++) {
        const struct matchspec *ms = &job->specs[i].ms;
        if (strcmp(ms->name, "python") || !ms->version)
            continue;
        int a, b;
        if (sscanf(ms->version, "%d.%d", &a, &b) == 2)
            return xasprintf("%d.%d", a, b);
        if (sscanf(ms->version, "==%d.%d", &a, &b) == 2 ||
            sscanf(ms->version, ">=%d.%d", &a, &b) == 2)
            return xasprintf("%d.%d", a, b);
    }
    if (!strcmp(job->subcmd, "create"))
        return NULL;  /* a new environment: only the command can say */
    char *prefix = NULL;
    if (job->env_prefix) {
        prefix = xstrdup(job->env_prefix);
    } else if (job->env_name) {
        const char *root = getenv("CONDA_ROOT");
        const char *exe = getenv("CONDA_EXE");
        if (root && *root)
            prefix = xasprintf("%s/envs/%s", root, job->env_name);
        else if (exe && strstr(exe, "/bin/conda"))
            prefix = xasprintf("%.*s/envs/%s", (int)(strstr(exe, "/bin/conda") - exe), exe,
                               job->env_name);
    } else if (getenv("CONDA_PREFIX")) {
        prefix = xstrdup(getenv("CONDA_PREFIX"));
    }
    if (!prefix)
        return NULL;
    struct pyinfo pi = PYINFO_INIT;
    char *v = NULL;
    if (pyinfo_from_conda_prefix(prefix, &pi) == 0)
        v = xasprintf("%d.%d", pi.major, pi.minor);
    pyinfo_free(&pi);
    free(prefix);
    return v;
}

/* The names worth keeping from repodata: the family and the command's specs. */
static void index_names(const struct conda_job *job, struct strv *names)
{
    char *dup = xstrdup(job->cfg->conda_packages ? job->cfg->conda_packages : ""), *save = NULL;
    for (char *w = strtok_r(dup, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
        strv_push(names, w);
    free(dup);
    strv_push(names, "cudatoolkit");
    for (size_t i = 0; i < job->nspecs; i++)
        if (!strchr(job->specs[i].ms.name, '*'))
            strv_push(names, job->specs[i].ms.name);
}

/* Where the pytorch channel's index may come from: the user's own mirror
 * URL, else our mirrors that carry the channel (raced); owners[i] is the
 * site of roots[i] (NULL for the user's URL). */
struct sources {
    struct strv roots;
    const struct site *owners[16];
    int official;                    /* the command named the official channel */
};

static void our_mirrors(const struct config *cfg, struct sources *src)
{
    const struct site *sites[15];
    size_t n = config_sites_for(cfg, ROLE_CONDA, sites, 15);
    for (size_t i = 0; i < n; i++)
        if (site_serves_channel(sites[i], "pytorch") && !site_is_official(sites[i])) {
            src->owners[src->roots.n] = sites[i];
            strv_pushf(&src->roots, "%s/pytorch", sites[i]->url[ROLE_CONDA]);
        }
}

/* Fetch the index from SRC; on success the site that answered is the one
 * the rewrite uses. */
static int fetch_index(struct conda_job *job, const struct sources *src, const char *subdir,
                       const struct strv *names, struct repodata_index *idx, double *fetch_s,
                       double *parse_s)
{
    struct fetch_opts o;
    int allow_http = 0;
    for (size_t i = 0; i < src->roots.n; i++)
        allow_http |= !strncmp(src->roots.v[i], "http:", 5);
    fetch_opts_from_config(&o, job->cfg, allow_http);
    struct condaindex_request rq = {
        "pytorch", (const char *const *)src->roots.v, src->roots.n, subdir,
        (const char *const *)names->v, "pytorch", 0, &o,
    };
    struct condaindex_result res;
    int r = condaindex_fetch(&rq, &res);
    *fetch_s += res.fetch_s;
    *parse_s += res.parse_s;
    if (r == 0) {
        *idx = res.idx;
        memset(&res.idx, 0, sizeof res.idx);
        if (src->owners[res.root])
            job->conda_site = src->owners[res.root];
    } else {
        strv_pushf(&job->warnings, "pytorch channel: %s", res.error);
    }
    condaindex_result_free(&res);
    return r;
}

/* Our mirrors, then the official channel (when the command named it). */
static enum resolve_status get_index(struct conda_job *job, const char *root,
                                     const char *subdir, struct repodata_index *idx)
{
    struct sources src = { STRV_INIT, { NULL }, root == NULL };
    struct strv names = STRV_INIT;
    double fetch_s = 0, parse_s = 0;
    index_names(job, &names);
    if (root)
        strv_push(&src.roots, root);
    else
        our_mirrors(job->cfg, &src);
    int r = src.roots.n ? fetch_index(job, &src, subdir, &names, idx, &fetch_s, &parse_s) : -1;
    const struct site *off = config_site(job->cfg, "official");
    if (r && src.official && off && off->url[ROLE_CONDA]) {
        strv_push(&job->warnings, "trying the official pytorch channel");
        strv_clear(&src.roots);
        strv_pushf(&src.roots, "%s/pytorch", off->url[ROLE_CONDA]);
        src.owners[0] = off;
        r = fetch_index(job, &src, subdir, &names, idx, &fetch_s, &parse_s);
    }
    timing_note("fetch", fetch_s);
    timing_note("parse", parse_s);
    strv_clear(&src.roots);
    strv_clear(&names);
    if (r)
        strv_push(&job->warnings, "no conda mirror answered for the pytorch channel");
    return r ? RESOLVE_NO_MIRROR : RESOLVE_OK;
}

/* Does the command name the variant itself? */
static int user_variant(const struct conda_job *job)
{
    int v = 0;
    for (size_t i = 0; i < job->nspecs; i++) {
        const char *n = job->specs[i].ms.name;
        v |= !strcmp(n, "pytorch-cuda") || !strcmp(n, "cpuonly") || !strcmp(n, "cudatoolkit") ||
             !strcmp(n, "pytorch-mutex") || (!strcmp(n, "pytorch") && job->specs[i].ms.build);
    }
    return v;
}

/* Put the selection's answer into the job: the user's specs in order, then
 * what was added. */
static void apply_answer(struct conda_job *job, const struct condaselect_result *res)
{
    size_t nuser = res->specs.n - res->n_added;
    for (size_t i = 0; i < nuser && i < job->nspecs; i++) {
        struct conda_spec *sp = &job->specs[i];
        if (!strcmp(res->specs.v[i], sp->text))
            continue;
        strv_pushf(&job->notes, "%s -> %s", sp->text, res->specs.v[i]);
        if (sp->item) {
            free(sp->replacement);
            sp->replacement = xstrdup(res->specs.v[i]);
        } else {
            conda_job_add_spec(job, res->specs.v[i]);  /* from --file: conda merges */
        }
    }
    for (size_t i = nuser; i < res->specs.n; i++) {
        strv_pushf(&job->notes, "added %s", res->specs.v[i]);
        conda_job_add_spec(job, res->specs.v[i]);
    }
    /* pytorch-cuda's dependencies come from the nvidia channel */
    if (res->variant && !strncmp(res->variant, "cuda", 4)) {
        int has_pc = 0;
        for (size_t i = 0; i < res->specs.n; i++)
            has_pc |= !strncmp(res->specs.v[i], "pytorch-cuda", 12);
        if (has_pc)
            conda_job_add_channel(job, "nvidia");
    }
}

static enum resolve_status select_pins(struct conda_job *job, const struct conda_target *t,
                                       const struct repodata_index *idx, const char *subdir,
                                       const char *python)
{
    struct condaselect_request req = { 0 };
    const struct matchspec **specs = xcalloc(job->nspecs ? job->nspecs : 1, sizeof *specs);
    for (size_t i = 0; i < job->nspecs; i++)
        specs[i] = &job->specs[i].ms;
    req.specs = specs;
    req.n_specs = job->nspecs;
    req.subdir = subdir;
    req.python = python;
    req.variant = t->variant;
    if (!user_variant(job) && req.variant.kind == CONDASELECT_UNKNOWN) {
        req.variant.kind = CONDASELECT_CPU;
        strv_push(&job->warnings, "no variant given (pytorch-cuda=X.Y or cpuonly): choosing the "
                  "CPU build; add pytorch-cuda=12.1 (or run `torchshim install`) for a GPU build");
    }
    if (!python)
        strv_push(&job->warnings, "the target environment's Python is unknown: builds for any "
                  "Python are allowed (give python=X.Y to pin it)");
    struct condaselect_result res = { 0 };
    char *err = NULL;
    double t1 = timing_now();
    int r = condaselect_run(idx, &req, &res, &err);
    timing_note("select", timing_now() - t1);
    free(specs);
    if (r) {
        job->error = err;
        return RESOLVE_NONE_FITS;
    }
    apply_answer(job, &res);
    condaselect_result_free(&res);
    return RESOLVE_OK;
}

enum resolve_status resolve_conda(struct conda_job *job, const struct conda_target *t)
{
    char *root = NULL, *url_subdir = NULL;
    int official = 0;
    if (!pytorch_channel(job, &root, &url_subdir, &official)) {
        strv_push(&job->notes, "no pytorch channel in the command: build strings left to conda");
        return RESOLVE_OK;
    }
    const char *subdir = t->subdir ? t->subdir : job->subdir ? job->subdir
                         : url_subdir               ? url_subdir
                                                    : pyinfo_conda_subdir();
    char *python = t->python ? xstrdup(t->python) : target_python(job);
    struct repodata_index idx = { 0 };
    enum resolve_status st = get_index(job, official ? NULL : root, subdir, &idx);
    if (st == RESOLVE_OK)
        st = select_pins(job, t, &idx, subdir, python);
    repodata_index_free(&idx);
    free(python);
    free(root);
    free(url_subdir);
    return st;
}
