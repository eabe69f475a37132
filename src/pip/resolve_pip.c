/* resolve_pip.c — see resolve_pip.h. */
#include "resolve_pip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fetchcfg.h"
#include "headcheck.h"
#include "listing.h"
#include "msg.h"
#include "pairing.h"
#include "pep508.h"
#include "pipselect.h"
#include "pippair.h"
#include "pytarget.h"
#include "urlmap.h"
#include "wheelmeta.h"
#include "wheelname.h"
#include "wheelpages.h"

/* The pages that list VARIANT's wheels on SITE for the job's packages. */
static int site_pages(const struct pip_job *job, const struct site *s, const char *variant,
                      struct strv *pages)
{
    struct strv names = STRV_INIT;
    strv_push(&names, "torch");  /* torch's page always: the companions are paired to it */
    for (size_t i = 0; i < job->ntreqs; i++)
        if (strv_find(&names, job->treqs[i].req.norm_name) < 0)
            strv_push(&names, job->treqs[i].req.norm_name);
    int r = wheelpages_of(s, variant, job->nightly, &names, pages);
    strv_clear(&names);
    return r;
}

static int target_for(struct pip_job *job, const char *python_override, const char *subdir,
                      struct wheel_target *t)
{
    char *err = NULL;
    const char *py = python_override ? python_override
                     : job->python_version[0] ? job->python_version : NULL;
    if (pytarget_init(t, job->real_pip, py, subdir, &err) == 0)
        return 0;
    strv_push_take(&job->warnings, err);
    return -1;
}

static void add_error(struct pip_job *job, const char *why)
{
    char *e = job->error ? xasprintf("%s\n%s", job->error, why) : xstrdup(why);
    free(job->error);
    job->error = e;
}

/* The same file on SITE's own host: the path after /whl/ under the site's
 * wheels root (the template up to {variant}, or its directory). */
static char *mirror_copy(const struct site *site, const char *path)
{
    const char *tmpl = site->url[ROLE_WHEELS], *hole = strstr(tmpl, "{variant}");
    size_t base = hole ? (size_t)(hole - tmpl) : (size_t)(strrchr(tmpl, '/') + 1 - tmpl);
    const char *rest = !strncmp(path, "/whl/", 5) ? path + 5 : path + (path[0] == '/');
    return xasprintf("%.*s%s", (int)base, tmpl, rest);
}

/* Read the metadata of the companion releases nobody knows the pairing of
 * yet (wheelmeta: PEP 658 files or range requests, cached for good) into
 * *pairs. A wheel that cannot be read leaves its pairing unknown. */
static void settle_pairs(struct pip_job *job, const struct site *site,
                         const struct pipselect_input *in, const struct pep508_req *reqs,
                         struct pippairs *pairs)
{
    const struct listing_entry **want;
    size_t n = pipselect_unpaired(in, reqs, job->ntreqs, RESOLVE_PIP_MAX_METADATA, &want);
    if (!n)
        return;
    struct wheelmeta_job *jobs = xcalloc(n, sizeof *jobs);
    char **urls = xcalloc(n, sizeof *urls);
    for (size_t i = 0; i < n; i++) {
        /* a page copied from upstream: its files are read on the mirror */
        const char *up = site_is_official(site) ? NULL : urlmap_official_files_path(want[i]->url);
        urls[i] = up ? mirror_copy(site, up) : xstrdup(want[i]->url);
        jobs[i] = (struct wheelmeta_job){ .url = urls[i], .wheel_hash = want[i]->hash,
                                          .has_metadata = want[i]->has_metadata,
                                          .metadata_hash = want[i]->metadata_hash };
    }
    struct fetch_opts o;
    fetch_opts_from_config(&o, job->cfg, !strncmp(urls[0], "http:", 5));
    double t0 = timing_now();
    wheelmeta_run(jobs, n, &o);
    timing_note("metadata", timing_now() - t0);
    size_t read = 0;
    for (size_t i = 0; i < n; i++) {
        char *err = NULL;
        const struct wheelname *w = &want[i]->wheel;
        if (!jobs[i].metadata)
            strv_pushf(&job->notes, "%s %s: no metadata (%s)", w->norm_name, w->version_str,
                       jobs[i].error ? jobs[i].error : "?");
        else if (pippairs_add_metadata(pairs, w->norm_name, &w->version, jobs[i].metadata,
                                       jobs[i].len, &err))
            strv_pushf(&job->notes, "%s: %s", want[i]->filename, err);
        else
            read++;
        free(err);
        wheelmeta_job_clear(&jobs[i]);
        free(urls[i]);
    }
    free(urls);
    strv_pushf(&job->notes, "pairings read from the metadata of %zu of %zu wheels", read, n);
    free(jobs);
    free(want);
}

/* A requirement naming a wheel on download.pytorch.org (a bare URL or
 * name @ URL): the same file from the mirror's listing, when it has it. */
static void map_direct(struct pip_job *job, struct pip_treq *t, const struct site *site,
                       const struct pipselect_input *in)
{
    const char *u = t->req.url, *slash = strrchr(u, '/');
    if (!urlmap_is_pytorch_host(u) || !slash)
        return;
    char *fn = listing_percent_decode(slash + 1, strcspn(slash + 1, "#?"));
    const struct listing_entry *e = NULL;
    for (size_t l = 0; l < in->nlistings && !e; l++)
        for (size_t i = 0; i < in->listings[l].n && !e; i++)
            if (!strcmp(in->listings[l].v[i].filename, fn))
                e = &in->listings[l].v[i];
    if (!e) {
        strv_pushf(&job->notes, "%s: not on the mirror '%s'; kept as it is", fn, site->name);
        free(fn);
        return;
    }
    free(t->pinned);
    if (t->bare_url) {
        t->pinned = xstrdup(e->url);
    } else {
        struct pep508_req r = t->req;
        r.url = e->url;
        t->pinned = pep508_format(&r);
    }
    free(t->wheel_url);
    t->wheel_url = xstrdup(e->url);
    strv_pushf(&job->notes, "%s -> %s (the same file on '%s')", t->text, t->pinned, site->name);
    free(fn);
}

/* Pins from one site's listings. */
static enum resolve_status pin_from(struct pip_job *job, const struct site *site,
                                    const struct pipselect_input *in_base,
                                    const struct pairing_table *table)
{
    struct pep508_req *reqs = xcalloc(job->ntreqs, sizeof *reqs);
    for (size_t k = 0; k < job->ntreqs; k++)
        reqs[k] = job->treqs[k].req;  /* borrowed: not freed here */
    struct pippairs pairs = { .table = table };
    struct pipselect_input in = *in_base;
    in.pairs = &pairs;
    settle_pairs(job, site, &in, reqs, &pairs);
    struct pipselect_result *res = xcalloc(job->ntreqs, sizeof *res);
    size_t nerr = pipselect_pin(&in, reqs, job->ntreqs, res, NULL);
    for (size_t k = 0; k < job->ntreqs; k++) {
        if (res[k].wheel) {
            free(job->treqs[k].wheel_url);
            free(job->treqs[k].wheel_hash);
            job->treqs[k].wheel_url = xstrdup(res[k].wheel->url);
            job->treqs[k].wheel_hash = res[k].wheel->hash ? xstrdup(res[k].wheel->hash) : NULL;
        }
        int said = 0;  /* companions often repeat torch's reason */
        for (size_t j = 0; j < k && res[k].error; j++)
            said |= res[j].error && !strcmp(res[j].error, res[k].error);
        if (res[k].error && !said) {
            add_error(job, res[k].error);
        } else if (res[k].requirement) {
            free(job->treqs[k].pinned);
            job->treqs[k].pinned = xstrdup(res[k].requirement);
            strv_pushf(&job->notes, "%s -> %s (from '%s')", job->treqs[k].text,
                       res[k].requirement, site->name);
        } else if (!res[k].error) {
            strv_pushf(&job->notes, "%s: left to pip", job->treqs[k].text);
        }
    }
    for (size_t k = 0; k < job->ntreqs; k++)
        if (job->treqs[k].req.url)
            map_direct(job, &job->treqs[k], site, &in);
    pipselect_results_free(res, job->ntreqs);
    free(res);
    free(reqs);
    pippairs_free(&pairs);
    return nerr ? RESOLVE_NONE_FITS : RESOLVE_OK;
}

/* Clear the pins of a site that turned out unusable. */
static void unpin(struct pip_job *job)
{
    for (size_t k = 0; k < job->ntreqs; k++) {
        free(job->treqs[k].pinned);
        free(job->treqs[k].wheel_url);
        job->treqs[k].pinned = job->treqs[k].wheel_url = NULL;
    }
}

/* Some mirrors copy upstream's pages verbatim: their links send pip to
 * download.pytorch.org for the multi-GB files. Each pinned wheel linked
 * there is looked for on the mirror's own host (the same path); found (and
 * not redirected upstream), the requirement names that copy directly.
 * 0, or -1 when the mirror has no copy: it is no mirror for these wheels. */
static int upstream_links(struct pip_job *job, const struct site *site)
{
    struct fetch_opts o;
    fetch_opts_from_config(&o, job->cfg, !strncmp(site->url[ROLE_WHEELS], "http:", 5));
    for (size_t k = 0; k < job->ntreqs; k++) {
        struct pip_treq *t = &job->treqs[k];
        const char *path = t->wheel_url ? urlmap_official_files_path(t->wheel_url) : NULL;
        if (!path || site_is_official(site))
            continue;
        char *copy = mirror_copy(site, path), *final = NULL, *err = NULL;
        long status = 0;
        int ok = headcheck(&o, copy, &status, &final, &err) == 0 && status == 200 &&
                 !(final && urlmap_official_files_path(final));
        strv_pushf(&job->warnings, "wheels mirror '%s' links %s to %s%s", site->name,
                   t->req.norm_name, t->wheel_url,
                   ok ? ": its own copy is used instead" : " and has no copy of its own");
        free(final);
        free(err);
        if (!ok) {
            free(copy);
            return -1;
        }
        struct pep508_req r = t->req;  /* shallow: only printed */
        r.url = copy;
        memset(&r.spec, 0, sizeof r.spec);  /* a direct reference has no version */
        free(t->pinned);
        t->pinned = pep508_format(&r);
        free(t->wheel_url);
        t->wheel_url = copy;
    }
    return 0;
}

/* The sites to ask, in order: the mirror the user named, else the [use]
 * sites and then the official index. */
static size_t candidate_sites(const struct pip_job *job, const struct site **sites, size_t max)
{
    const struct config *cfg = job->cfg;
    if (job->user_site) {
        sites[0] = job->user_site;
        return 1;
    }
    size_t n = config_sites_for(cfg, ROLE_WHEELS, sites, max - 1);
    const struct site *official = config_site(cfg, "official");
    int has_official = 0;
    for (size_t i = 0; i < n; i++)
        has_official |= sites[i] == official;
    if (official && !has_official)
        sites[n++] = official;
    return n;
}

static struct pairing_table *load_pairing(struct pip_job *job, struct pairing_table *t)
{
    char *err = NULL, *path = config_data_file(job->cfg, "pairing.tsv");
    int r = pairing_load(path, t, &err);
    free(path);
    if (r == 0)
        return t;
    strv_push_take(&job->notes, err);  /* only a fast path: the metadata answers */
    return NULL;
}

/* Try the sites in order until one answers usable pages. */
static enum resolve_status resolve_sites(struct pip_job *job, const char *variant,
                                         const struct wheel_target *target,
                                         const struct pairing_table *table)
{
    const struct site *sites[16];
    size_t nsites = candidate_sites(job, sites, 16);
    int nightly_mirror = 0;
    for (size_t i = 0; i < nsites; i++)
        nightly_mirror |= sites[i]->wheels_nightly && !site_is_official(sites[i]);
    if (job->nightly && !nightly_mirror)
        strv_pushf(&job->warnings, "none of the wheels mirrors in use carries nightly wheels: "
                   "the nightly index stays download.pytorch.org");
    for (size_t i = 0; i < nsites; i++) {
        struct strv pages = STRV_INIT;
        struct listing *lists = NULL;
        char *why = NULL;
        const char *u = sites[i]->url[ROLE_WHEELS];
        if (u && strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) {
            strv_pushf(&job->warnings, "wheels mirror '%s': %s is not an http(s) URL; skipped",
                       sites[i]->name, u);
        } else if (site_pages(job, sites[i], variant, &pages)) {
            strv_pushf(&job->notes, "wheels mirror '%s' has no such wheels; skipped",
                       sites[i]->name);
        } else if (wheelpages_fetch(job->cfg, sites[i], &pages, &lists, &why)) {
            strv_pushf(&job->warnings, "wheels mirror '%s' failed (%s)%s", sites[i]->name, why,
                       i + 1 < nsites ? "; trying the next" : "");
            free(why);
        } else {
            job->wheels_site = sites[i];
            snprintf(job->resolved_variant, sizeof job->resolved_variant, "%s", variant);
            struct pipselect_input in = { lists, pages.n, target, variant, NULL, job->pre };
            enum resolve_status st = pin_from(job, sites[i], &in, table);
            for (size_t k = 0; k < pages.n; k++)
                listing_free(&lists[k]);
            free(lists);
            strv_clear(&pages);
            if (st != RESOLVE_OK || upstream_links(job, sites[i]) == 0)
                return st;
            unpin(job);  /* next mirror */
            continue;
        }
        strv_clear(&pages);
    }
    strv_pushf(&job->warnings, "no wheels mirror answered for %s", variant);
    return RESOLVE_NO_MIRROR;
}

enum resolve_status resolve_pip(struct pip_job *job, const char *variant,
                                const char *python_override, const char *subdir_override)
{
    if (!variant)
        variant = job->variant;
    if (!job->ntreqs || !variant[0])
        return RESOLVE_OK;
    if (job->platform_given) {
        strv_push(&job->notes, "--platform/--abi/--implementation given: pins left to pip");
        return RESOLVE_OK;
    }
    struct wheel_target target;
    if (target_for(job, python_override, subdir_override, &target))
        return RESOLVE_NO_MIRROR;
    struct pairing_table pairing;
    const struct pairing_table *table = load_pairing(job, &pairing);
    enum resolve_status st = resolve_sites(job, variant, &target, table);
    if (table)
        pairing_free(&pairing);
    wheel_target_free(&target);
    return st;
}
