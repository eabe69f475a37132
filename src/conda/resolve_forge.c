/* resolve_forge.c — see resolve_forge.h. */
#include "resolve_forge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condaindex.h"
#include "fetchcfg.h"
#include "forgeselect.h"
#include "msg.h"
#include "pyinfo.h"
#include "rewrite_conda.h"

#define FORGE "conda-forge"

static const char *const family[] = { "pytorch", "pytorch-gpu", "pytorch-cpu", "libtorch",
                                      "torchvision", "torchaudio", "cuda-version", NULL };

static void forge_names(const struct conda_job *job, struct strv *names)
{
    for (const char *const *f = family; *f; f++)
        strv_push(names, *f);
    for (size_t i = 0; i < job->nspecs; i++)
        if (!strchr(job->specs[i].ms.name, '*') && strv_find(names, job->specs[i].ms.name) < 0)
            strv_push(names, job->specs[i].ms.name);
}

/* Our mirrors of conda-forge (raced), else the official channel. */
static size_t forge_roots(const struct config *cfg, struct strv *roots,
                          const struct site **owners, size_t max)
{
    const struct site *sites[16];
    size_t n = config_sites_for(cfg, ROLE_CONDA, sites, 16);
    for (size_t i = 0; i < n && roots->n < max; i++)
        if (!site_is_official(sites[i]) && site_serves_channel(sites[i], FORGE)) {
            owners[roots->n] = sites[i];
            strv_pushf(roots, "%s/%s", sites[i]->url[ROLE_CONDA], FORGE);
        }
    return roots->n;
}

static int fetch_forge(struct conda_job *job, const struct strv *roots,
                       const struct site *const *owners, const char *subdir,
                       const struct strv *names, struct repodata_index *idx)
{
    struct fetch_opts o;
    int allow_http = 0;
    for (size_t i = 0; i < roots->n; i++)
        allow_http |= !strncmp(roots->v[i], "http:", 5);
    fetch_opts_from_config(&o, job->cfg, allow_http);
    struct condaindex_request rq = {
        FORGE, (const char *const *)roots->v, roots->n, subdir,
        (const char *const *)names->v, "pytorch", 1, &o,
    };
    struct condaindex_result res;
    int r = condaindex_fetch(&rq, &res);
    timing_note("fetch", res.fetch_s);
    timing_note("parse", res.parse_s);
    if (r == 0) {
        *idx = res.idx;
        memset(&res.idx, 0, sizeof res.idx);
        if (owners[res.root])
            job->conda_site = owners[res.root];
        strv_pushf(&job->notes, "conda-forge/%s: %zu records kept%s%s", subdir, idx->n,
                   res.used_shards ? ", from CEP 16 shards" : "",
                   res.from_cache ? " (cached)" : "");
    } else {
        strv_pushf(&job->warnings, "conda-forge channel: %s", res.error);
    }
    condaindex_result_free(&res);
    return r;
}

static enum resolve_status get_forge_index(struct conda_job *job, const char *subdir,
                                           struct repodata_index *idx)
{
    struct strv roots = STRV_INIT, names = STRV_INIT;
    const struct site *owners[16] = { NULL };
    forge_names(job, &names);
    int r = -1;
    if (forge_roots(job->cfg, &roots, owners, 15))
        r = fetch_forge(job, &roots, owners, subdir, &names, idx);
    else
        strv_push(&job->warnings, "no configured conda mirror carries conda-forge "
                  "(conda-channels): reading the official channel");
    const struct site *off = config_site(job->cfg, "official");
    if (r && off && off->url[ROLE_CONDA]) {
        strv_clear(&roots);
        strv_pushf(&roots, "%s/%s", off->url[ROLE_CONDA], FORGE);
        owners[0] = off;
        r = fetch_forge(job, &roots, owners, subdir, &names, idx);
    }
    strv_clear(&roots);
    strv_clear(&names);
    if (r)
        strv_push(&job->warnings, "no conda mirror answered for the conda-forge channel");
    return r ? RESOLVE_NO_MIRROR : RESOLVE_OK;
}

static enum resolve_status select_forge(struct conda_job *job, const struct conda_target *t,
                                        const struct repodata_index *idx, const char *subdir,
                                        const char *python)
{
    const struct matchspec **specs = xcalloc(job->nspecs ? job->nspecs : 1, sizeof *specs);
    for (size_t i = 0; i < job->nspecs; i++)
        specs[i] = &job->specs[i].ms;
    int cuda = t->variant.kind == CONDASELECT_CUDA || t->variant.kind == CONDASELECT_CUDATOOLKIT;
    struct forgeselect_request req = { specs, job->nspecs, subdir, python, cuda,
                                       cuda ? t->variant.cuda : NULL };
    struct condaselect_result res;
    char *err = NULL;
    double t0 = timing_now();
    int r = forgeselect_run(idx, &req, &res, &err);
    timing_note("select", timing_now() - t0);
    free(specs);
    if (r) {
        job->error = err;
        return RESOLVE_NONE_FITS;
    }
    conda_job_set_pins(job, &res.specs, res.n_added, NULL);
    condaselect_result_free(&res);
    return RESOLVE_OK;
}

enum resolve_status resolve_forge(struct conda_job *job, const struct conda_target *t)
{
    const char *subdir = t->subdir ? t->subdir : job->subdir ? job->subdir : pyinfo_conda_subdir();
    char *python = t->python ? xstrdup(t->python) : conda_job_target_python(job);
    if (!python)
        strv_push(&job->warnings, "the target environment's Python is unknown: builds for any "
                  "Python are allowed (give --python X.Y to pin it)");
    struct repodata_index idx = { 0 };
    enum resolve_status st = get_forge_index(job, subdir, &idx);
    if (st == RESOLVE_OK)
        st = select_forge(job, t, &idx, subdir, python);
    repodata_index_free(&idx);
    free(python);
    return st;
}
