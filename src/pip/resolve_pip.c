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
#include "msg.h"
#include "pairing.h"
#include "pep508.h"
#include "pipselect.h"
#include "pyinfo.h"
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

/* Fetch every page of one site concurrently. 0 and the parsed listings when
 * all answered; otherwise -1 and *why. */
static int fetch_site(const struct config *cfg, const struct site *s, const struct strv *pages,
                      struct listing **out, char **why)
{
    size_t n = pages->n;
    struct fetch_job *jobs = xcalloc(n, sizeof *jobs);
    for (size_t i = 0; i < n; i++) {
        jobs[i].name = pages->v[i];
        jobs[i].urls = (const char *const *)&pages->v[i];
        jobs[i].nurls = 1;
        jobs[i].kind = FETCH_RAW;
    }
    struct fetch_opts o;
    fetch_opts_from_config(&o, cfg, !strncmp(s->url[ROLE_WHEELS], "http:", 5));
    fetch_run(jobs, n, &o);
    int r = 0;
    *out = xcalloc(n, sizeof **out);
    for (size_t i = 0; i < n && !r; i++) {
        if (!jobs[i].body) {
            *why = xasprintf("%s", jobs[i].error ? jobs[i].error : "no answer");
            r = -1;
        } else if (listing_parse(jobs[i].body, jobs[i].len, jobs[i].url_used ? jobs[i].url_used
                                                                             : pages->v[i],
                                 &(*out)[i])) {
            *why = xasprintf("%s: not a page of links", pages->v[i]);
            r = -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        fetch_job_clear(&jobs[i]);
    free(jobs);
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

enum resolve_status resolve_pip(struct pip_job *job, const char *variant,
                                const char *python_override, const char *subdir_override)
{
    const struct config *cfg = job->cfg;
    if (!variant)
        variant = job->variant;
    if (!job->ntreqs || !variant[0])
        return RESOLVE_OK;
    if (job->platform_given) {
        verbosef("--platform/--abi/--implementation given: pins left to pip");
        return RESOLVE_OK;
    }
    struct wheel_target target;
    if (target_for(job, python_override, subdir_override, &target))
        return RESOLVE_NO_MIRROR;

    struct pairing_table pairing;
    char *perr = NULL, *ppath = config_data_file(cfg, "pairing.tsv");
    int have_pairing = pairing_load(ppath, &pairing, &perr) == 0;
    if (!have_pairing) {
        strv_push_take(&job->warnings, perr);
    }
    free(ppath);

    /* the [use] sites, then the official index */
    const struct site *sites[16];
    size_t nsites = config_sites_for(cfg, ROLE_WHEELS, sites, 15);
    const struct site *official = config_site(cfg, "official");
    int has_official = 0;
    for (size_t i = 0; i < nsites; i++)
        has_official |= sites[i] == official;
    if (official && !has_official)
        sites[nsites++] = official;

    enum resolve_status st = RESOLVE_NO_MIRROR;
    for (size_t i = 0; i < nsites && st == RESOLVE_NO_MIRROR; i++) {
        struct strv pages = STRV_INIT;
        struct listing *lists = NULL;
        char *why = NULL;
        if (site_pages(job, sites[i], variant, &pages)) {
            verbosef("wheels mirror '%s' has no such wheels; skipped", sites[i]->name);
            strv_clear(&pages);
            continue;
        }
        if (fetch_site(cfg, sites[i], &pages, &lists, &why)) {
            strv_pushf(&job->warnings, "wheels mirror '%s' failed (%s)%s", sites[i]->name, why,
                       i + 1 < nsites ? "; trying the next" : "");
            free(why);
            strv_clear(&pages);
            continue;
        }
        job->wheels_site = sites[i];
        struct pep508_req *reqs = xcalloc(job->ntreqs, sizeof *reqs);
        for (size_t k = 0; k < job->ntreqs; k++)
            reqs[k] = job->treqs[k].req;  /* borrowed: not freed here */
        struct pipselect_result *res = xcalloc(job->ntreqs, sizeof *res);
        struct pipselect_input in = { lists, pages.n, &target, variant,
                                      have_pairing ? &pairing : NULL, job->pre };
        char *chosen = NULL;
        size_t nerr = pipselect_pin(&in, reqs, job->ntreqs, res, &chosen);
        for (size_t k = 0; k < job->ntreqs; k++) {
            int said = 0;  /* companions often repeat torch's reason */
            for (size_t j = 0; j < k && res[k].error; j++)
                said |= res[j].error && !strcmp(res[j].error, res[k].error);
            if (res[k].error && !said)
                add_error(job, res[k].error);
            else if (res[k].requirement) {
                free(job->treqs[k].pinned);
                job->treqs[k].pinned = xstrdup(res[k].requirement);
                strv_pushf(&job->notes, "%s -> %s (from '%s')", job->treqs[k].text,
                           res[k].requirement, sites[i]->name);
            }
        }
        st = nerr ? RESOLVE_NONE_FITS : RESOLVE_OK;
        free(chosen);
        pipselect_results_free(res, job->ntreqs);
        free(res);
        free(reqs);
        for (size_t k = 0; k < pages.n; k++)
            listing_free(&lists[k]);
        free(lists);
        strv_clear(&pages);
    }
    if (st == RESOLVE_NO_MIRROR)
        strv_pushf(&job->warnings, "no wheels mirror answered for %s", variant);
    if (have_pairing)
        pairing_free(&pairing);
    wheel_target_free(&target);
    return st;
}
