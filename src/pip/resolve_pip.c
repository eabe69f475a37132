/* resolve_pip.c — see resolve_pip.h. */
#include "resolve_pip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "fetch.h"
#include "fetchcfg.h"
#include "listing.h"
#include "pippair.h"
#include "msg.h"
#include "pairing.h"
#include "pep508.h"
#include "pipselect.h"
#include "pyinfo.h"
#include "wheelmeta.h"
#include "wheelname.h"

/* A directory-like URL gets its trailing slash: relative links on the page
 * resolve against it (aliyun's /pytorch-wheels/cu121 redirects to .../cu121/). */
static char *as_page_url(const char *url)
{
    const char *last = strrchr(url, '/');
    size_t n = strlen(url);
    if (n && url[n - 1] != '/' && last && !strchr(last, '.'))
        return xasprintf("%s/", url);
    return xstrdup(url);
}

/* The pages that list VARIANT's wheels on SITE: one flat page, or one PEP 503
 * page per project. Returns 0 if the site serves this kind of wheel. */
static int site_pages(const struct pip_job *job, const struct site *s, const char *variant,
                      struct strv *pages)
{
    const char *tmpl = s->url[ROLE_WHEELS];
    if (job->nightly)
        tmpl = s->wheels_nightly;
    if (!tmpl)
        return -1;
    char *base = site_wheels_url(tmpl, variant);
    if (s->wheels_format == WHEELS_FIND_LINKS) {
        strv_push_take(pages, as_page_url(base));
    } else {
        /* torch's page always: the companions are paired to it */
        struct strv names = STRV_INIT;
        strv_push(&names, "torch");
        for (size_t i = 0; i < job->ntreqs; i++) {
            int seen = 0;
            for (size_t k = 0; k < names.n; k++)
                seen |= !strcmp(names.v[k], job->treqs[i].req.norm_name);
            if (!seen)
                strv_push(&names, job->treqs[i].req.norm_name);
        }
        size_t bl = strlen(base);
        for (size_t k = 0; k < names.n; k++)
            strv_pushf(pages, "%s%s%s/", base, bl && base[bl - 1] == '/' ? "" : "/", names.v[k]);
        strv_clear(&names);
    }
    free(base);
    return 0;
}

/* fetch's check for a page of wheel links: it must parse, and list wheels of
 * the project it is for (a PEP 503 project page) or of the torch family (a
 * flat page). A mirror's maintenance page, an empty or foreign page is that
 * mirror's fault: the next mirror is asked. The product is the listing. */
struct page_check {
    const struct config *cfg;
    const char *project;      /* PEP 503 project of the page, or NULL for a flat page */
};

static int check_page(const char *body, size_t len, const char *url, void *ctx, void **product,
                      char **why)
{
    const struct page_check *pc = ctx;
    struct listing *l = xcalloc(1, sizeof *l);
    char *base = as_page_url(url);
    int r = listing_parse_any(body, len, base, l, why);
    free(base);
    size_t wanted = 0;
    for (size_t i = 0; r == 0 && i < l->n; i++) {
        const char *name = l->v[i].wheel.norm_name;
        wanted += pc->project ? !strcmp(name, pc->project)
                              : config_list_has(pc->cfg->pip_packages, name);
    }
    if (r == 0 && !wanted)
        r = seterr(why, "the page lists no %s wheels (%zu links)", pc->project ? pc->project
                   : "PyTorch", l->n + l->nsdists + l->nskipped);
    if (r) {
        listing_free(l);
        free(l);
        return -1;
    }
    *product = l;
    return 0;
}

static void listing_product_free(void *p)
{
    listing_free(p);
    free(p);
}

/* The project a PEP 503 page is for ("torchvision" of .../cu121/torchvision/). */
static char *page_project(const char *page, int flat)
{
    if (flat)
        return NULL;
    size_t n = strlen(page);
    while (n && page[n - 1] == '/')
        n--;
    size_t b = n;
    while (b && page[b - 1] != '/')
        b--;
    return xstrndup(page + b, n - b);
}

/* A fetched page's listing into *out: 0; -1 with *why; 1 when the body came
 * from the cache and does not pass the check (an entry from before the
 * check, or edited): dropped from the cache, to be fetched again. */
static int take_listing(struct fetch_job *job, const char *url, struct page_check *check,
                        const struct fetch_opts *o, struct listing *out, char **why)
{
    if (!job->body)
        return seterr(why, "%s", job->error ? job->error : "no answer");
    if (!job->product) {  /* from the cache: checked here */
        char *err = NULL;
        if (check_page(job->body, job->len, url, check, &job->product, &err)) {
            const char *dir = o->cache_dir ? o->cache_dir : cache_dir_default();
            if (job->from_cache && dir && *dir && cache_remove(dir, url) == 0) {
                free(err);
                return 1;
            }
            *why = err;
            return -1;
        }
    }
    *out = *(struct listing *)job->product;
    free(job->product);
    job->product = NULL;
    return 0;
}

/* Fetch every page of one site concurrently. 0 and the parsed listings when
 * all answered usable pages; otherwise -1 and *why. */
static int fetch_site(const struct config *cfg, const struct site *s, const struct strv *pages,
                      struct listing **out, char **why)
{
    size_t n = pages->n;
    struct fetch_job *jobs = xcalloc(n, sizeof *jobs);
    struct page_check *checks = xcalloc(n, sizeof *checks);
    char **projects = xcalloc(n, sizeof *projects);
    for (size_t i = 0; i < n; i++) {
        projects[i] = page_project(pages->v[i], s->wheels_format == WHEELS_FIND_LINKS);
        checks[i] = (struct page_check){ cfg, projects[i] };
        jobs[i] = (struct fetch_job){ .name = pages->v[i],
                                      .urls = (const char *const *)&pages->v[i], .nurls = 1,
                                      .kind = FETCH_RAW, .check = check_page,
                                      .check_ctx = &checks[i],
                                      .product_free = listing_product_free };
    }
    struct fetch_opts o;
    fetch_opts_from_config(&o, cfg, !strncmp(s->url[ROLE_WHEELS], "http:", 5));
    int r = 0;
    *out = xcalloc(n, sizeof **out);
    char *settled = xcalloc(n, 1);
    for (int round = 0, again = 1; again && round < 2 && !r; round++) {
        fetch_run(jobs, n, &o);  /* round 1: only what the cache held wrongly */
        again = 0;
        for (size_t i = 0; i < n && !r; i++) {
            if (settled[i])
                continue;
            int t = take_listing(&jobs[i], pages->v[i], &checks[i], &o, &(*out)[i], why);
            r = t < 0 ? -1 : 0;
            again |= t > 0;
            fetch_job_clear(&jobs[i]);
            if (t <= 0) {  /* not asked again */
                settled[i] = 1;
                jobs[i].nurls = 0;
            }
        }
    }
    free(settled);
    for (size_t i = 0; i < n; i++) {
        fetch_job_clear(&jobs[i]);
        free(projects[i]);
    }
    free(jobs);
    free(checks);
    free(projects);
    if (r) {
        for (size_t i = 0; i < n; i++)
            listing_free(&(*out)[i]);
        free(*out);
        *out = NULL;
    }
    return r;
}

/* conda subdir -> wheel platform */
static const struct {
    const char *subdir, *os, *machine;
} subdir_platforms[] = {
    { "linux-64", "linux", "x86_64" },       { "linux-aarch64", "linux", "aarch64" },
    { "linux-ppc64le", "linux", "ppc64le" }, { "osx-64", "macos", "x86_64" },
    { "osx-arm64", "macos", "arm64" },       { "win-64", "windows", "x86_64" },
};

static int target_for(struct pip_job *job, const char *python_override,
                      const char *subdir, struct wheel_target *t)
{
    struct pyinfo pi = PYINFO_INIT;
    const char *pyver = python_override ? python_override
                        : job->python_version[0] ? job->python_version : NULL;
    int r = -1, major = 0, minor = 0, lmaj = 0, lmin = 0;
    if (subdir) {
        size_t k = 0, n = sizeof subdir_platforms / sizeof *subdir_platforms;
        while (k < n && strcmp(subdir_platforms[k].subdir, subdir))
            k++;
        if (k == n) {
            strv_pushf(&job->warnings, "unknown platform %s", subdir);
            goto out;
        }
        snprintf(pi.os, sizeof pi.os, "%s", subdir_platforms[k].os);
        snprintf(pi.machine, sizeof pi.machine, "%s", subdir_platforms[k].machine);
        /* the oldest glibc torch wheels target (manylinux2014), or macOS 11 */
        pi.glibc = xstrdup(!strcmp(pi.os, "macos") ? "11.0" : "2.17");
        if (!pyver) {
            strv_push(&job->warnings, "give the Python version (--python X.Y) for another platform");
            goto out;
        }
    } else if (pyinfo_from_pip(job->real_pip, &pi) && !pyver) {
        strv_pushf(&job->warnings, "cannot tell which Python %s runs (%s)", job->real_pip,
                   pi.error ? pi.error : "unknown");
        goto out;
    }
    if (pyver ? sscanf(pyver, "%d.%d", &major, &minor) != 2 : 0)
        goto out;
    if (!pyver) {
        major = pi.major;
        minor = pi.minor;
    }
    if (pi.glibc)
        sscanf(pi.glibc, "%d.%d", &lmaj, &lmin);
    char *err = NULL;
    if (wheel_target_init(t, pi.os[0] ? pi.os : "linux", pi.machine[0] ? pi.machine : "x86_64",
                          major, minor, lmaj, lmin, &err)) {
        strv_pushf(&job->warnings, "cannot describe this platform for wheels: %s", err);
        free(err);
        goto out;
    }
    r = 0;
out:
    pyinfo_free(&pi);
    return r;
}

static void add_error(struct pip_job *job, const char *why)
{
    char *e = job->error ? xasprintf("%s\n%s", job->error, why) : xstrdup(why);
    free(job->error);
    job->error = e;
}

/* Read the metadata of the companion releases nobody knows the pairing of
 * yet (wheelmeta: PEP 658 files or range requests, cached for good) into
 * *pairs. A wheel that cannot be read leaves its pairing unknown. */
static void settle_pairs(struct pip_job *job, const struct pipselect_input *in,
                         const struct pep508_req *reqs, struct pippairs *pairs)
{
    const struct listing_entry **want;
    size_t n = pipselect_unpaired(in, reqs, job->ntreqs, RESOLVE_PIP_MAX_METADATA, &want);
    if (!n)
        return;
    struct wheelmeta_job *jobs = xcalloc(n, sizeof *jobs);
    for (size_t i = 0; i < n; i++)
        jobs[i] = (struct wheelmeta_job){ .url = want[i]->url, .wheel_hash = want[i]->hash,
                                          .has_metadata = want[i]->has_metadata,
                                          .metadata_hash = want[i]->metadata_hash };
    struct fetch_opts o;
    fetch_opts_from_config(&o, job->cfg, !strncmp(want[0]->url, "http:", 5));
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
    }
    strv_pushf(&job->notes, "pairings read from the metadata of %zu of %zu wheels", read, n);
    free(jobs);
    free(want);
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
    settle_pairs(job, &in, reqs, &pairs);
    struct pipselect_result *res = xcalloc(job->ntreqs, sizeof *res);
    size_t nerr = pipselect_pin(&in, reqs, job->ntreqs, res, NULL);
    for (size_t k = 0; k < job->ntreqs; k++) {
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
    pipselect_results_free(res, job->ntreqs);
    free(res);
    free(reqs);
    pippairs_free(&pairs);
    return nerr ? RESOLVE_NONE_FITS : RESOLVE_OK;
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
        } else if (fetch_site(job->cfg, sites[i], &pages, &lists, &why)) {
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
            return st;
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
