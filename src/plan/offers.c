/* offers.c — see offers.h. */
#include "offers.h"

#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fetchcfg.h"
#include "listing.h"
#include "msg.h"
#include "pipselect.h"
#include "urlmap.h"
#include "wheelpages.h"

#define MAX_SITES 16

/* The [use] wheels sites, then the official one. */
static size_t wheel_sites(const struct config *cfg, const struct site **sites)
{
    size_t n = config_sites_for(cfg, ROLE_WHEELS, sites, MAX_SITES - 1);
    const struct site *official = config_site(cfg, "official");
    int has = 0;
    for (size_t i = 0; i < n; i++)
        has |= sites[i] == official;
    if (official && !has && official->url[ROLE_WHEELS])
        sites[n++] = official;
    return n;
}

/* A root listing is worth keeping when it names a variant. */
static int check_root(const char *body, size_t len, const char *url, void *ctx, void **product,
                      char **why)
{
    (void)ctx;
    struct listing *l = xcalloc(1, sizeof *l);
    if (listing_parse(body, len, url, l) == 0)
        for (size_t i = 0; i < l->dirs.n; i++)
            if (urlmap_valid_variant(l->dirs.v[i])) {
                *product = l;
                return 0;
            }
    listing_free(l);
    free(l);
    return seterr(why, "no variant directories listed");
}

static void listing_product_free(void *p)
{
    listing_free(p);
    free(p);
}

static int root_of(const struct site *s, char **root)
{
    const char *tmpl = s->url[ROLE_WHEELS];
    const char *hole = tmpl ? strstr(tmpl, "{variant}") : NULL;
    if (!hole || strchr(hole + 9, '/') != NULL)
        return -1;  /* no {variant}, or not the last path segment */
    *root = xstrndup(tmpl, (size_t)(hole - tmpl));
    return 0;
}

int offers_root_variants(const struct config *cfg, struct strv *variants)
{
    const struct site *sites[MAX_SITES];
    size_t n = wheel_sites(cfg, sites);
    for (size_t i = 0; i < n; i++) {
        char *root;
        if (root_of(sites[i], &root))
            continue;
        const char *urls[] = { root };
        struct fetch_job job = { .name = root, .urls = urls, .nurls = 1, .kind = FETCH_RAW,
                                 .check = check_root, .product_free = listing_product_free };
        struct fetch_opts o;
        fetch_opts_from_config(&o, cfg, !strncmp(root, "http:", 5));
        fetch_run(&job, 1, &o);
        if (!job.product && job.body)  /* from the cache: judged here */
            check_root(job.body, job.len, root, NULL, &job.product, NULL);
        const struct listing *l = job.product;
        int ok = l != NULL;
        for (size_t k = 0; l && k < l->dirs.n; k++)
            if (urlmap_valid_variant(l->dirs.v[k]) && strv_find(variants, l->dirs.v[k]) < 0)
                strv_push(variants, l->dirs.v[k]);
        fetch_job_clear(&job);
        free(root);
        if (ok)
            return 0;
    }
    return -1;
}

/* The newest torch on LISTING for variant V. */
static void offer_from(struct offer *of, const struct listing *listing, const char *v,
                       const struct pep508_req *torch, int allow_pre,
                       const struct wheel_target *t)
{
    struct pipselect_input in = { listing, 1, t, v, NULL, allow_pre };
    struct pipselect_result res;
    pipselect_pin(&in, torch, 1, &res, &of->torch);
    if (res.error)
        of->why = xstrdup(res.error);
    pipselect_results_free(&res, 1);
}

/* Ask site S for every candidate's torch page. 0 when any came. */
static int ask_site(const struct config *cfg, const struct site *s, const struct strv *cands,
                    const struct pep508_req *torch, int allow_pre, const struct wheel_target *t,
                    struct offers *out)
{
    struct strv torch_only = STRV_INIT, pages = STRV_INIT;
    strv_push(&torch_only, "torch");
    size_t *page_of = xcalloc(cands->n ? cands->n : 1, sizeof *page_of);
    for (size_t i = 0; i < cands->n; i++) {
        page_of[i] = pages.n;
        if (wheelpages_of(s, cands->v[i], 0, &torch_only, &pages) || pages.n != page_of[i] + 1)
            page_of[i] = (size_t)-1;   /* the site has no such page */
    }
    struct listing *lists = xcalloc(pages.n ? pages.n : 1, sizeof *lists);
    char **errors = xcalloc(pages.n ? pages.n : 1, sizeof *errors);
    size_t came = pages.n ? wheelpages_fetch_each(cfg, s, &pages, lists, errors) : 0;
    for (size_t i = 0; came && i < cands->n; i++) {
        struct offer *of = &out->v[i];
        size_t p = page_of[i];
        if (p == (size_t)-1 || errors[p])
            of->why = xstrdup(p == (size_t)-1 ? "not served by this site" : errors[p]);
        else
            offer_from(of, &lists[p], cands->v[i], torch, allow_pre, t);
    }
    if (!came)
        strv_pushf(&out->warnings, "wheels mirror '%s' failed (%s)", s->name,
                   pages.n && errors[0] ? errors[0] : "no pages");
    for (size_t p = 0; p < pages.n; p++) {
        listing_free(&lists[p]);
        free(errors[p]);
    }
    free(lists);
    free(errors);
    free(page_of);
    strv_clear(&pages);
    strv_clear(&torch_only);
    return came ? 0 : -1;
}

int offers_query(const struct config *cfg, const struct strv *candidates,
                 const struct pep508_req *torch, int allow_pre, const struct wheel_target *t,
                 struct offers *out, char **err)
{
    memset(out, 0, sizeof *out);
    out->n = candidates->n;
    out->v = xcalloc(out->n ? out->n : 1, sizeof *out->v);
    for (size_t i = 0; i < out->n; i++)
        out->v[i].variant = xstrdup(candidates->v[i]);
    struct pep508_req any;
    if (!torch) {
        pep508_parse("torch", &any, NULL);
        torch = &any;
    }
    const struct site *sites[MAX_SITES];
    size_t n = wheel_sites(cfg, sites);
    int r = -1;
    for (size_t i = 0; i < n && r; i++)
        if (ask_site(cfg, sites[i], candidates, torch, allow_pre, t, out) == 0) {
            out->site = sites[i];
            r = 0;
        }
    if (torch == &any)
        pep508_free(&any);
    return r ? seterr(err, "no wheels mirror answered") : 0;
}

void offers_free(struct offers *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free(o->v[i].variant);
        free(o->v[i].torch);
        free(o->v[i].why);
    }
    free(o->v);
    strv_clear(&o->warnings);
    memset(o, 0, sizeof *o);
}
