/* condashards.c — condaindex's CEP 16 path (contract in condaindex.h,
 * condaindex_int.h): the shard index of each part from the roots (raced,
 * checked), then only the wanted names' shards from the root that answered,
 * each checked against its sha256 and cached in compact form by its
 * content-addressed URL. Roots that answer 404 for the shard index are
 * remembered (a cache blob per URL) and not asked again for a day. */
#include "condaindex_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache.h"
#include "msg.h"
#include "shards.h"
#include "strv.h"

#define SHARD_INDEX "repodata_shards.msgpack.zst"
#define MEMO_VALIDATOR "noshards-1"

/* ---- "this root has no shard index" ---- */

static char *memo_key(const char *url)
{
    return xasprintf("conda-noshards %s", url);
}

static int memo_says_none(const struct fetch_opts *fo, const char *url)
{
    const char *dir = fo && fo->cache_dir ? fo->cache_dir : cache_dir_default();
    char *key = memo_key(url), *data = NULL;
    size_t len = 0;
    long long when = 0;
    if (dir && *dir && cache_get_blob(dir, key, MEMO_VALIDATOR, &data, &len) == 0)
        when = atoll(data);
    free(data);
    free(key);
    long long age = (long long)time(NULL) - when;
    return when > 0 && age >= 0 && age < CONDAINDEX_NOSHARDS_TTL;
}

static void memo_set_none(const struct fetch_opts *fo, const char *url)
{
    const char *dir = fo && fo->cache_dir ? fo->cache_dir : cache_dir_default();
    if (!dir || !*dir)
        return;
    char *key = memo_key(url), *data = xasprintf("%lld", (long long)time(NULL));
    cache_put_blob(dir, key, MEMO_VALIDATOR, data, strlen(data));
    free(data);
    free(key);
}

/* ---- the shard index as a fetch product ----
 * The whole index (tens of thousands of names) is read when it arrives;
 * the cache keeps it reduced to the wanted names (shards_index_pack), so a
 * warm run reads a few hundred bytes. */

struct shix {
    struct shards_index ix;
    const char *const *names;        /* to keep when cached (NULL: as it is) */
};

static void shix_free(void *p)
{
    struct shix *x = p;
    shards_index_free(&x->ix);
    free(x);
}

static int shix_load(const char *body, size_t len, void **out)
{
    struct shix *x = xcalloc(1, sizeof *x);
    if (shards_index_parse(body, len, &x->ix, NULL) != 0) {
        free(x);
        return -1;
    }
    *out = x;
    return 0;
}

static int shix_save(const void *p, char **blob, size_t *len)
{
    const struct shix *x = p;
    return shards_index_pack(&x->ix, x->names, blob, len);
}

struct ix_ctx {
    const char *subdir;
    const char *const *names;
};

static int shix_check(const char *body, size_t len, const char *url, void *vctx, void **product,
                      char **why)
{
    const struct ix_ctx *c = vctx;
    struct shix *x = xcalloc(1, sizeof *x);
    (void)url;
    if (shards_index_parse(body, len, &x->ix, why) != 0) {
        free(x);
        return -1;
    }
    if (x->ix.subdir && strcmp(x->ix.subdir, c->subdir)) {
        seterr(why, "the shard index is for %s, not %s", x->ix.subdir, c->subdir);
        shix_free(x);
        return -1;
    }
    x->names = c->names;
    *product = x;
    return 0;
}

/* ---- one shard ---- */

struct shard_ctx {
    const struct shards_index *ix;
    const char *name;
    const char *const *names;        /* all the wanted names (what depends to keep) */
    struct strv urls;                /* the one URL */
};

static int shard_check(const char *body, size_t len, const char *url, void *vctx,
                       void **product, char **why)
{
    const struct shard_ctx *c = vctx;
    struct repodata_index *idx = xmalloc(sizeof *idx);
    (void)url;
    if (shards_load(c->ix, c->name, body, len, NULL, idx, why) != 0) {
        free(idx);
        return -1;
    }
    ci_prune(idx, c->names);
    *product = idx;
    return 0;
}

/* "scheme://host[:port]/" of url: shards must come from the root's server. */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p)
        return 0;
    p = strchr(p + 3, '/');
    return p ? (size_t)(p - url) + 1 : strlen(url);
}

/* ---- the steps ---- */

struct shard_part {
    struct ci_part *part;
    struct strv urls;                /* shard index URLs, one per root asked */
    char name[160];
    struct ix_ctx ctx;
    struct shix *shix;               /* the index that answered */
    const struct shards_index *ix;
    const char *ix_url;              /* the index's URL (shards resolve against it) */
    int ix_cached;
    const char *tag;                 /* cache tag: the wanted names */
};

static void index_job(struct fetch_job *j, struct shard_part *sp)
{
    memset(j, 0, sizeof *j);
    j->name = sp->name;
    j->urls = (const char *const *)sp->urls.v;
    j->nurls = sp->urls.n;
    j->kind = FETCH_RAW;
    j->race = 1;
    j->prefer_first = 1;
    j->check = shix_check;
    j->check_ctx = &sp->ctx;
    j->product_free = shix_free;
    j->product_save = shix_save;
    j->product_load = shix_load;
    j->cache_tag = sp->tag;
}

/* Step 1: the shard index of every part, from the roots not known to lack one. */
static void fetch_indexes(const struct condaindex_request *rq, struct shard_part *sp, size_t n,
                          struct fetch_job *fj, struct condaindex_result *out)
{
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < rq->nroots; i++) {
            char *u = xasprintf("%s/%s/%s", rq->roots[i], sp[k].part->subdir, SHARD_INDEX);
            if (memo_says_none(rq->fo, u))
                free(u);
            else
                strv_push_take(&sp[k].urls, u);
        }
        snprintf(sp[k].name, sizeof sp[k].name, "%s/%s shard index", rq->channel,
                 sp[k].part->subdir);
        sp[k].ctx = (struct ix_ctx){ sp[k].part->subdir, rq->names };
        index_job(&fj[k], &sp[k]);
    }
    double t0 = timing_now();
    fetch_run(fj, n, rq->fo);
    out->fetch_s += timing_now() - t0;
    for (size_t k = 0; k < n; k++) {
        if (fj[k].body && fj[k].product) {
            sp[k].shix = fj[k].product;
            sp[k].ix = &sp[k].shix->ix;
            fj[k].product = NULL;
            sp[k].ix_url = fj[k].url_used;
            sp[k].ix_cached = fj[k].from_cache;
        } else if (fj[k].http_status == 404 || fj[k].http_status == 410) {
            for (size_t i = 0; i < sp[k].urls.n; i++)
                memo_set_none(rq->fo, sp[k].urls.v[i]);
            verbosef("%s: not served: reading the full index", sp[k].name);
        } else if (fj[k].nurls) {
            verbosef("%s: %s: reading the full index", sp[k].name,
                     fj[k].error ? fj[k].error : "no answer");
        }
    }
}

/* The shard jobs of part sp (the wanted names it has); appended to *jobs. */
static void shard_jobs(const struct condaindex_request *rq, struct shard_part *sp,
                       struct fetch_job **jobs, struct shard_ctx **ctxs, size_t *n)
{
    size_t olen = origin_len(sp->ix_url);
    for (const char *const *nm = rq->names; *nm; nm++) {
        char *err = NULL, *u = shards_url(sp->ix, sp->ix_url, *nm, &err);
        if (!u || strncmp(u, sp->ix_url, olen)) {
            if (u || err)
                verbosef("%s: shard of %s: %s", sp->name, *nm, err ? err : "on another server");
            free(u);
            free(err);
            continue;
        }
        *jobs = xrealloc(*jobs, (*n + 1) * sizeof **jobs);
        *ctxs = xrealloc(*ctxs, (*n + 1) * sizeof **ctxs);
        struct shard_ctx *c = &(*ctxs)[*n];
        memset(c, 0, sizeof *c);
        c->ix = sp->ix;
        c->name = *nm;
        c->names = rq->names;
        strv_push_take(&c->urls, u);
        (*n)++;
    }
}

static void shard_job(struct fetch_job *j, struct shard_ctx *c)
{
    memset(j, 0, sizeof *j);
    j->name = c->urls.v[0];
    j->urls = (const char *const *)c->urls.v;
    j->nurls = 1;
    j->kind = FETCH_RAW;
    j->check = shard_check;
    j->check_ctx = c;
    j->product_free = ci_index_free;
    j->product_save = ci_index_save;
    j->product_load = ci_index_load;
    j->cache_tag = "index";
}

/* Step 2 for one part: its shards' indexes merged (jobs [from, to)). */
static void collect(const struct condaindex_request *rq, struct shard_part *sp,
                    struct fetch_job *fj, size_t from, size_t to, struct condaindex_result *out)
{
    struct ci_part *pt = sp->part;
    int ok = 1, cached = sp->ix_cached;
    struct repodata_index all = { 0 };
    for (size_t k = from; k < to; k++) {
        struct repodata_index one;
        out->parse_s += fj[k].check_seconds;
        if (!fj[k].body || ci_take_product(&fj[k], &one) != 0) {
            verbosef("%s: %s", sp->name, fj[k].error ? fj[k].error : "a shard did not load");
            ok = 0;
            continue;
        }
        cached &= fj[k].from_cache;
        repodata_index_merge(&all, &one);
        repodata_index_free(&one);
    }
    if (ok && (pt->required ? !ci_has_records(&all, pt->required, pt->subdir) : !all.n)) {
        verbosef("%s: no %s shard for %s", sp->name, pt->required ? pt->required : "wanted",
                 pt->subdir);
        ok = 0;
    }
    if (!ok) {
        repodata_index_free(&all);
        return;
    }
    pt->idx = all;
    pt->have = pt->shards = 1;
    pt->from_cache = cached;
    pt->root = ci_root_of(rq, sp->ix_url);
}

static void fetch_shards(const struct condaindex_request *rq, struct shard_part *sp, size_t n,
                         struct condaindex_result *out)
{
    struct fetch_job *fj = NULL;
    struct shard_ctx *ctx = NULL;
    size_t nj = 0, bounds[3] = { 0, 0, 0 };
    for (size_t k = 0; k < n; k++) {
        if (sp[k].ix)
            shard_jobs(rq, &sp[k], &fj, &ctx, &nj);
        bounds[k + 1] = nj;
    }
    for (size_t k = 0; k < nj; k++)
        shard_job(&fj[k], &ctx[k]);   /* after the last realloc: ctx stays put */
    double t0 = timing_now();
    if (nj)
        fetch_run(fj, nj, rq->fo);
    out->fetch_s += timing_now() - t0;
    for (size_t k = 0; k < n; k++)
        if (sp[k].ix)
            collect(rq, &sp[k], fj, bounds[k], bounds[k + 1], out);
    for (size_t k = 0; k < nj; k++) {
        fetch_job_clear(&fj[k]);
        strv_clear(&ctx[k].urls);
    }
    free(fj);
    free(ctx);
}

void ci_shards_fetch(const struct condaindex_request *rq, struct ci_part *parts, size_t nparts,
                     struct condaindex_result *out)
{
    struct shard_part sp[2];
    struct fetch_job ij[2];
    size_t n = nparts < 2 ? nparts : 2;
    memset(sp, 0, sizeof sp);
    char *tag = ci_names_tag(rq->names);
    for (size_t k = 0; k < n; k++) {
        sp[k].part = &parts[k];
        sp[k].tag = tag;
    }
    fetch_indexes(rq, sp, n, ij, out);
    fetch_shards(rq, sp, n, out);
    for (size_t k = 0; k < n; k++) {
        if (sp[k].shix)
            shix_free(sp[k].shix);
        fetch_job_clear(&ij[k]);      /* ix_url pointed into it: used up by now */
        strv_clear(&sp[k].urls);
    }
    free(tag);
}
