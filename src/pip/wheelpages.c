/* wheelpages.c — see wheelpages.h. */
#include "wheelpages.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "fetch.h"
#include "fetchcfg.h"
#include "msg.h"

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

int wheelpages_of(const struct site *s, const char *variant, int nightly,
                  const struct strv *projects, struct strv *pages)
{
    const char *tmpl = nightly ? s->wheels_nightly : s->url[ROLE_WHEELS];
    if (!tmpl)
        return -1;
    char *base = site_wheels_url(tmpl, variant);
    if (s->wheels_format == WHEELS_FIND_LINKS) {
        strv_push_take(pages, as_page_url(base));
    } else {
        size_t bl = strlen(base);
        for (size_t k = 0; k < projects->n; k++)
            strv_pushf(pages, "%s%s%s/", base, bl && base[bl - 1] == '/' ? "" : "/",
                       projects->v[k]);
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

/* The fetch jobs of PAGES, with their checks. */
struct batch {
    size_t n;
    struct fetch_job *jobs;
    struct page_check *checks;
    char **projects;
    char *settled;
};

static void batch_init(struct batch *b, const struct config *cfg, const struct site *s,
                       const struct strv *pages)
{
    b->n = pages->n;
    b->jobs = xcalloc(b->n, sizeof *b->jobs);
    b->checks = xcalloc(b->n, sizeof *b->checks);
    b->projects = xcalloc(b->n, sizeof *b->projects);
    b->settled = xcalloc(b->n, 1);
    for (size_t i = 0; i < b->n; i++) {
        b->projects[i] = page_project(pages->v[i], s->wheels_format == WHEELS_FIND_LINKS);
        b->checks[i] = (struct page_check){ cfg, b->projects[i] };
        b->jobs[i] = (struct fetch_job){ .name = pages->v[i],
                                         .urls = (const char *const *)&pages->v[i], .nurls = 1,
                                         .kind = FETCH_RAW, .check = check_page,
                                         .check_ctx = &b->checks[i],
                                         .product_free = listing_product_free };
    }
}

static void batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        fetch_job_clear(&b->jobs[i]);
        free(b->projects[i]);
    }
    free(b->jobs);
    free(b->checks);
    free(b->projects);
    free(b->settled);
}

size_t wheelpages_fetch_each(const struct config *cfg, const struct site *s,
                             const struct strv *pages, struct listing *out, char **errors)
{
    struct batch b;
    batch_init(&b, cfg, s, pages);
    struct fetch_opts o;
    fetch_opts_from_config(&o, cfg, !strncmp(s->url[ROLE_WHEELS], "http:", 5));
    size_t ok = 0;
    for (int round = 0, again = 1; again && round < 2; round++) {
        fetch_run(b.jobs, b.n, &o);  /* round 1: only what the cache held wrongly */
        again = 0;
        for (size_t i = 0; i < b.n; i++) {
            if (b.settled[i])
                continue;
            int t = take_listing(&b.jobs[i], pages->v[i], &b.checks[i], &o, &out[i], &errors[i]);
            ok += t == 0;
            again |= t > 0;
            fetch_job_clear(&b.jobs[i]);
            if (t <= 0) {  /* not asked again */
                b.settled[i] = 1;
                b.jobs[i].nurls = 0;
            }
        }
    }
    batch_free(&b);
    return ok;
}

int wheelpages_fetch(const struct config *cfg, const struct site *s, const struct strv *pages,
                     struct listing **out, char **why)
{
    size_t n = pages->n;
    char **errors = xcalloc(n ? n : 1, sizeof *errors);
    *out = xcalloc(n ? n : 1, sizeof **out);
    int r = wheelpages_fetch_each(cfg, s, pages, *out, errors) == n ? 0 : -1;
    for (size_t i = 0; i < n; i++) {
        if (r && errors[i] && !*why) {
            *why = errors[i];
            errors[i] = NULL;
        }
        free(errors[i]);
    }
    free(errors);
    if (r) {
        for (size_t i = 0; i < n; i++)
            listing_free(&(*out)[i]);
        free(*out);
        *out = NULL;
    }
    return r;
}
