/* resolve_conda.c — see resolve_conda.h. */
#include "resolve_conda.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "condacmd.h"
#include "fetch.h"
#include "fetchcfg.h"
#include "matchspec.h"
#include "msg.h"
#include "pyinfo.h"
#include "repodata.h"
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
        strv_push(names, job->specs[i].ms.name);
}

/* Index of a fetched repodata body: from the compact cache when it was made
 * from this very body, else parsed (and stored compactly for next time). */
static int index_of(struct fetch_job *fj, const struct strv *names, struct repodata_index *out,
                    double *parse_s, char **err)
{
    char sum[CACHE_SUM_HEX + 1], *key, *blob = NULL;
    size_t bloblen = 0;
    const char *dir = cache_dir_default();
    cache_checksum(fj->body, fj->len, sum);
    char *joined = xstrdup("");
    for (size_t i = 0; i < names->n; i++) {
        char *j = xasprintf("%s %s", joined, names->v[i]);
        free(joined);
        joined = j;
    }
    char nsum[CACHE_SUM_HEX + 1];
    cache_checksum(joined, strlen(joined), nsum);
    free(joined);
    key = xasprintf("repodata-index %s %s", fj->url_used ? fj->url_used : fj->name, nsum);
    double t0 = timing_now();
    int r;
    if (dir && cache_get_blob(dir, key, sum, &blob, &bloblen) == 0 &&
        repodata_index_deserialize(blob, bloblen, out) == 0) {
        r = 0;
    } else {
        r = repodata_parse(fj->body, fj->len, (const char *const *)names->v, out, err);
        char *buf = NULL;
        size_t len = 0;
        if (r == 0 && dir && repodata_index_serialize(out, &buf, &len) == 0)
            cache_put_blob(dir, key, sum, buf, len);
        free(buf);
    }
    *parse_s += timing_now() - t0;
    free(blob);
    free(key);
    return r;
}

enum resolve_status resolve_conda(struct conda_job *job, const struct conda_target *t)
{
    const struct config *cfg = job->cfg;
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

    /* candidate channel roots: the user's mirror URL, or our mirrors raced,
     * then the official channel */
    struct strv roots = STRV_INIT;
    const struct site *owners[16];
    size_t nroots = 0;
    if (!official) {
        strv_push(&roots, root);
        owners[nroots++] = NULL;
    } else {
        const struct site *sites[15];
        size_t n = config_sites_for(cfg, ROLE_CONDA, sites, 15);
        for (size_t i = 0; i < n; i++)
            if (site_serves_channel(sites[i], "pytorch") && !site_is_official(sites[i])) {
                strv_pushf(&roots, "%s/pytorch", sites[i]->url[ROLE_CONDA]);
                owners[nroots++] = sites[i];
            }
    }
    const struct site *off = config_site(cfg, "official");

    enum resolve_status st = RESOLVE_NO_MIRROR;
    struct repodata_index idx = { 0 };
    double fetch_s = 0, parse_s = 0, decompress_s = 0;
    for (int round = 0; round < 2 && st == RESOLVE_NO_MIRROR; round++) {
        struct strv urls[2] = { STRV_INIT, STRV_INIT };
        const struct site *const *own = owners;
        size_t nown = nroots;
        const struct site *offs[1] = { off };
        if (round == 1) {
            /* the official channel, when ours all failed */
            if (!official || !off || !off->url[ROLE_CONDA])
                break;
            strv_push(&job->warnings, "trying the official pytorch channel");
            strv_clear(&roots);
            strv_pushf(&roots, "%s/pytorch", off->url[ROLE_CONDA]);
            own = offs;
            nown = 1;
        }
        if (!roots.n)
            continue;
        for (size_t i = 0; i < roots.n; i++) {
            strv_pushf(&urls[0], "%s/%s/repodata.json", roots.v[i], subdir);
            strv_pushf(&urls[1], "%s/noarch/repodata.json", roots.v[i]);
        }
        char name0[96], name1[96];
        snprintf(name0, sizeof name0, "pytorch/%s repodata", subdir);
        snprintf(name1, sizeof name1, "pytorch/noarch repodata");
        struct fetch_job fj[2] = {
            { .name = name0, .urls = (const char *const *)urls[0].v, .nurls = urls[0].n,
              .kind = FETCH_REPODATA, .race = 1 },
            { .name = name1, .urls = (const char *const *)urls[1].v, .nurls = urls[1].n,
              .kind = FETCH_REPODATA, .race = 1 },
        };
        int allow_http = 0;
        for (size_t i = 0; i < roots.n; i++)
            allow_http |= !strncmp(roots.v[i], "http:", 5);
        struct fetch_opts o;
        fetch_opts_from_config(&o, cfg, allow_http);
        double t0 = timing_now();
        fetch_run(fj, 2, &o);
        fetch_s += timing_now() - t0;
        /* the two decompress on worker threads, overlapping the transfers */
        decompress_s += fj[0].decompress_seconds + fj[1].decompress_seconds;
        if (!fj[0].body) {
            strv_pushf(&job->warnings, "pytorch channel: %s", fj[0].error ? fj[0].error : "no answer");
        } else {
            /* which mirror answered: the rewrite uses it */
            for (size_t i = 0; i < nown; i++)
                if (fj[0].url_used && !strncmp(fj[0].url_used, roots.v[i], strlen(roots.v[i])))
                    if (own[i])
                        job->conda_site = own[i];
            char *err = NULL;
            struct repodata_index noarch = { 0 };
            struct strv names = STRV_INIT;
            index_names(job, &names);
            if (index_of(&fj[0], &names, &idx, &parse_s, &err)) {
                strv_pushf(&job->warnings, "pytorch/%s repodata: %s", subdir, err);
                free(err);
            } else {
                if (fj[1].body && index_of(&fj[1], &names, &noarch, &parse_s, &err) == 0)
                    repodata_index_merge(&idx, &noarch);
                else
                    free(err);
                repodata_index_free(&noarch);
                st = RESOLVE_OK;
            }
            strv_clear(&names);
        }
        fetch_job_clear(&fj[0]);
        fetch_job_clear(&fj[1]);
        strv_clear(&urls[0]);
        strv_clear(&urls[1]);
    }
    strv_clear(&roots);
    timing_note("fetch", fetch_s);
    timing_note("decompress", decompress_s);
    timing_note("parse", parse_s);
    if (st != RESOLVE_OK) {
        strv_push(&job->warnings, "no conda mirror answered for the pytorch channel");
        goto out;
    }

    /* select */
    struct condaselect_request req = { 0 };
    const struct matchspec **specs = xcalloc(job->nspecs ? job->nspecs : 1, sizeof *specs);
    for (size_t i = 0; i < job->nspecs; i++)
        specs[i] = &job->specs[i].ms;
    req.specs = specs;
    req.n_specs = job->nspecs;
    req.subdir = subdir;
    req.python = python;
    req.variant = t->variant;
    int user_variant = 0;
    for (size_t i = 0; i < job->nspecs; i++) {
        const char *n = job->specs[i].ms.name;
        user_variant |= !strcmp(n, "pytorch-cuda") || !strcmp(n, "cpuonly") ||
                        !strcmp(n, "cudatoolkit") || !strcmp(n, "pytorch-mutex") ||
                        (!strcmp(n, "pytorch") && job->specs[i].ms.build);
    }
    if (!user_variant && req.variant.kind == CONDASELECT_UNKNOWN) {
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
    int r = condaselect_run(&idx, &req, &res, &err);
    timing_note("select", timing_now() - t1);
    free(specs);
    if (r) {
        job->error = err;
        st = RESOLVE_NONE_FITS;
        goto out;
    }
    /* map the answer back: the user's specs in order, then what was added */
    size_t nuser = res.specs.n - res.n_added;
    for (size_t i = 0; i < nuser && i < job->nspecs; i++) {
        struct conda_spec *sp = &job->specs[i];
        if (!strcmp(res.specs.v[i], sp->text))
            continue;
        strv_pushf(&job->notes, "%s -> %s", sp->text, res.specs.v[i]);
        if (sp->item) {
            free(sp->replacement);
            sp->replacement = xstrdup(res.specs.v[i]);
        } else {
            conda_job_add_spec(job, res.specs.v[i]);  /* from --file: conda merges */
        }
    }
    for (size_t i = nuser; i < res.specs.n; i++) {
        strv_pushf(&job->notes, "added %s", res.specs.v[i]);
        conda_job_add_spec(job, res.specs.v[i]);
    }
    /* pytorch-cuda's dependencies come from the nvidia channel */
    if (res.variant && !strncmp(res.variant, "cuda", 4)) {
        int has_pc = 0;
        for (size_t i = 0; i < res.specs.n; i++)
            has_pc |= !strncmp(res.specs.v[i], "pytorch-cuda", 12);
        if (has_pc)
            conda_job_add_channel(job, "nvidia");
    }
    condaselect_result_free(&res);
out:
    repodata_index_free(&idx);
    free(python);
    free(root);
    free(url_subdir);
    return st;
}
