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
#include "condameta.h"

/* Where the command reads the pytorch channel from. */
struct ptchan {
    int official;          /* named as the official channel: our mirrors serve it */
    int prefix_only;       /* named only by "pytorch::" spec prefixes */
    char *root;            /* else the user's own channel root (".../pytorch") */
    char *url_subdir;      /* a subdir that URL named (".../pytorch/win-64") */
};

static void ptchan_free(struct ptchan *pc)
{
    free(pc->root);
    free(pc->url_subdir);
    memset(pc, 0, sizeof *pc);
}

/* Does VALUE (as the tool reads it) name the pytorch channel? 1 if so
 * (official, or a URL ending in /pytorch[/subdir]: the user's root). */
static int names_pytorch(const struct conda_job *job, const char *value, struct ptchan *pc)
{
    struct conda_chan ch;
    conda_chan_resolve(&job->chans, value, NULL, &ch);
    int hit = 0;
    if (!strcmp(ch.name, "pytorch")) {
        pc->official = hit = 1;
    } else if (!ch.name[0] && ch.url && strstr(ch.url, "://")) {
        char *u = xstrdup(ch.url);
        size_t n = strlen(u);
        while (n && u[n - 1] == '/')
            u[--n] = '\0';
        char *last = strrchr(u, '/'), *sub = NULL;
        if (last && matchspec_is_subdir(last + 1)) {
            sub = xstrdup(last + 1);
            *last = '\0';
            last = strrchr(u, '/');
        }
        if (last && !strcmp(last + 1, "pytorch")) {
            pc->root = u;
            pc->url_subdir = sub;
            u = sub = NULL;
            hit = 1;
        }
        free(u);
        free(sub);
    }
    conda_chan_clear(&ch);
    return hit;
}

/* The pytorch channel of the command: a "pytorch::" spec prefix, a -c
 * value, or a channel of the tool's configuration. 0 if none. */
static int pytorch_channel(const struct conda_job *job, struct ptchan *pc)
{
    memset(pc, 0, sizeof *pc);
    int by_prefix = 0;
    for (size_t i = 0; i < job->nspecs && !by_prefix; i++) {
        const char *ch = job->specs[i].ms.channel;
        by_prefix = ch && names_pytorch(job, ch, pc);
    }
    for (size_t i = 0; i < job->chans.n; i++) {
        struct ptchan other;
        memset(&other, 0, sizeof other);
        if (names_pytorch(job, job->chans.v[i].value, &other)) {
            if (by_prefix)
                ptchan_free(&other);   /* the prefix decides where pytorch comes from */
            else
                *pc = other;
            return 1;
        }
    }
    pc->prefix_only = by_prefix;
    return by_prefix;
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
                       double *parse_s, char **answered)
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
        free(*answered);
        *answered = xstrdup(src->roots.v[res.root]);
    } else {
        strv_pushf(&job->warnings, "pytorch channel: %s", res.error);
    }
    condaindex_result_free(&res);
    return r;
}

/* Our mirrors, then the official channel (when the command named it). */
static enum resolve_status get_index(struct conda_job *job, const char *root,
                                     const char *subdir, struct repodata_index *idx,
                                     char **answered)
{
    struct sources src = { STRV_INIT, { NULL }, root == NULL };
    struct strv names = STRV_INIT;
    double fetch_s = 0, parse_s = 0;
    index_names(job, &names);
    if (root)
        strv_push(&src.roots, root);
    else
        our_mirrors(job->cfg, &src);
    int r = src.roots.n ? fetch_index(job, &src, subdir, &names, idx, &fetch_s, &parse_s,
                                      answered)
                        : -1;
    const struct site *off = config_site(job->cfg, "official");
    if (r && src.official && off && off->url[ROLE_CONDA]) {
        strv_push(&job->warnings, "trying the official pytorch channel");
        strv_clear(&src.roots);
        strv_pushf(&src.roots, "%s/pytorch", off->url[ROLE_CONDA]);
        src.owners[0] = off;
        r = fetch_index(job, &src, subdir, &names, idx, &fetch_s, &parse_s, answered);
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

/* The selection's answer into the job; pytorch-cuda's dependencies come
 * from the nvidia channel. */
static void apply_answer(struct conda_job *job, const struct condaselect_result *res, int prefix)
{
    conda_job_set_pins(job, &res->specs, res->n_added, prefix ? "pytorch" : NULL);
    if (res->variant && !strncmp(res->variant, "cuda", 4)) {
        int has_pc = 0;
        for (size_t i = 0; i < res->specs.n; i++)
            has_pc |= !strncmp(res->specs.v[i], "pytorch-cuda", 12);
        if (has_pc)
            conda_job_add_channel(job, "nvidia");
    }
}

/* The variant when neither the command nor the caller names one: the
 * environment's installed pytorch keeps its own; else the CPU build. */
static void default_variant(struct conda_job *job, const struct condameta_pkg *have,
                            struct condaselect_variant *v, char *cuda, size_t n)
{
    if (have->build) {
        v->kind = condaselect_build_variant(have->build, cuda, n);
        v->cuda = v->kind == CONDASELECT_CUDA ? cuda : NULL;
    }
    if (v->kind != CONDASELECT_UNKNOWN) {
        strv_pushf(&job->notes, "the environment has pytorch %s (%s): keeping its variant",
                   have->version, have->build);
        return;
    }
    v->kind = CONDASELECT_CPU;
    strv_push(&job->warnings, "no variant given (pytorch-cuda=X.Y or cpuonly): choosing the "
              "CPU build; add pytorch-cuda=12.1 (or run `torchshim install`) for a GPU build");
}

/* The pinned records' files, from the channel ROOT. */
static void add_files(const struct condaselect_result *res, const char *root,
                      struct conda_pkgfiles *files)
{
    for (size_t i = 0; files && root && i < res->n_pinned; i++) {
        const struct repodata_record *r = res->pinned[i];
        if (!r->subdir || strchr(r->filename, '/') || r->filename[0] == '.')
            continue;
        files->v = xrealloc(files->v, (files->n + 1) * sizeof *files->v);
        struct conda_pkgfile *f = &files->v[files->n++];
        f->name = xstrdup(r->name);
        f->version = xstrdup(r->version);
        f->build = xstrdup(r->build);
        f->fn = xstrdup(r->filename);
        f->subdir = xstrdup(r->subdir);
        f->channel = xstrdup(root);
        f->url = xasprintf("%s/%s/%s", root, r->subdir, r->filename);
        f->size = r->size > 0 && r->size < 9e18 ? (long long)r->size : 0;
        f->md5 = r->md5 ? xstrdup(r->md5) : NULL;
        f->sha256 = r->sha256 ? xstrdup(r->sha256) : NULL;
    }
}

void conda_pkgfiles_free(struct conda_pkgfiles *f)
{
    for (size_t i = 0; f && i < f->n; i++) {
        struct conda_pkgfile *p = &f->v[i];
        free(p->name);
        free(p->version);
        free(p->build);
        free(p->fn);
        free(p->subdir);
        free(p->channel);
        free(p->url);
        free(p->md5);
        free(p->sha256);
    }
    if (f) {
        free(f->v);
        memset(f, 0, sizeof *f);
    }
}

static enum resolve_status select_pins(struct conda_job *job, const struct conda_target *t,
                                       const struct repodata_index *idx, const char *subdir,
                                       const char *python, int prefix, const char *root,
                                       struct conda_pkgfiles *files)
{
    struct condameta_pkg have = { 0 };
    char *env = strcmp(job->subcmd, "create") ? conda_job_env_prefix(job) : NULL;
    condameta_find(env, "pytorch", &have);
    free(env);
    char cuda[24] = "";
    struct condaselect_request req = { 0 };
    const struct matchspec **specs = xcalloc(job->nspecs ? job->nspecs : 1, sizeof *specs);
    for (size_t i = 0; i < job->nspecs; i++)
        specs[i] = &job->specs[i].ms;
    req.specs = specs;
    req.n_specs = job->nspecs;
    req.subdir = subdir;
    req.python = python;
    req.variant = t->variant;
    req.installed_version = have.version;
    req.installed_build = have.build;
    req.add_nothing = !t->plan;
    if (!user_variant(job) && req.variant.kind == CONDASELECT_UNKNOWN)
        default_variant(job, &have, &req.variant, cuda, sizeof cuda);
    if (!python)
        strv_push(&job->warnings, "the target environment's Python is unknown: builds for any "
                  "Python are allowed (give python=X.Y to pin it)");
    struct condaselect_result res = { 0 };
    char *err = NULL;
    double t1 = timing_now();
    int r = condaselect_run(idx, &req, &res, &err);
    timing_note("select", timing_now() - t1);
    free(specs);
    condameta_pkg_free(&have);
    if (r) {
        job->error = err;
        return RESOLVE_NONE_FITS;
    }
    apply_answer(job, &res, prefix);
    add_files(&res, root, files);
    condaselect_result_free(&res);
    return RESOLVE_OK;
}

enum resolve_status resolve_conda(struct conda_job *job, const struct conda_target *t)
{
    return resolve_conda_files(job, t, NULL);
}

enum resolve_status resolve_conda_files(struct conda_job *job, const struct conda_target *t,
                                        struct conda_pkgfiles *files)
{
    struct ptchan pc;
    if (!pytorch_channel(job, &pc)) {
        strv_push(&job->notes, "no pytorch channel in the command: build strings left to conda");
        return RESOLVE_OK;
    }
    const char *host = pyinfo_conda_subdir();
    const char *subdir = t->subdir ? t->subdir : job->subdir ? job->subdir
                         : pc.url_subdir            ? pc.url_subdir
                                                    : host;
    if (subdir == pc.url_subdir && host && strcmp(subdir, host))
        strv_pushf(&job->warnings, "the channel URL names %s while this machine is %s: pinning "
                   "%s builds, as the URL asks (give --subdir %s to mean it, or drop /%s from "
                   "the URL)", subdir, host, subdir, subdir, subdir);
    char *python = t->python ? xstrdup(t->python) : conda_job_target_python(job);
    struct repodata_index idx = { 0 };
    char *root = NULL;
    enum resolve_status st = get_index(job, pc.official ? NULL : pc.root, subdir, &idx, &root);
    if (st == RESOLVE_OK)
        st = select_pins(job, t, &idx, subdir, python, pc.prefix_only, root, files);
    repodata_index_free(&idx);
    free(root);
    free(python);
    ptchan_free(&pc);
    return st;
}
