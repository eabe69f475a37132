/* condaindex.c — see condaindex.h. */
#include "condaindex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "condaindex_int.h"
#include "msg.h"
#include "strv.h"

/* ---- the check and the product, run on fetch's threads ---------------- */

struct check_ctx {
    const char *subdir;              /* what info.subdir must say (when it says) */
    const char *const *names;
    const char *required;            /* NULL: any well-formed index */
};

void ci_index_free(void *p)
{
    repodata_index_free(p);
    free(p);
}

int ci_index_save(const void *p, char **blob, size_t *len)
{
    return repodata_index_serialize(p, blob, len) == 0 ? 0 : -1;
}

int ci_index_load(const char *blob, size_t len, void **out)
{
    struct repodata_index *idx = xmalloc(sizeof *idx);
    if (repodata_index_deserialize(blob, len, idx) != 0) {
        free(idx);
        return -1;
    }
    *out = idx;
    return 0;
}

int ci_has_records(const struct repodata_index *idx, const char *name, const char *subdir)
{
    for (size_t i = 0; i < idx->n; i++)
        if (!strcmp(idx->recs[i].name, name) &&
            (!idx->recs[i].subdir || !strcmp(idx->recs[i].subdir, subdir)))
            return 1;
    return 0;
}

/* What selection reads of a record's depends: the wanted names and the
 * variant's and Python's packages. The rest is not kept (nor cached). */
void ci_prune(struct repodata_index *idx, const char *const *names)
{
    static const char *const fixed[] = { "python", "cuda-version", "pytorch-cuda", "cudatoolkit",
                                         "pytorch-mutex", "pytorch", "libtorch" };
    size_t nf = sizeof fixed / sizeof fixed[0], n = 0;
    for (const char *const *k = names; k && *k; k++)
        n++;
    const char **keep = xcalloc(n + nf + 1, sizeof *keep);
    memcpy(keep, fixed, nf * sizeof *keep);
    for (size_t i = 0; i < n; i++)
        keep[nf + i] = names[i];
    repodata_index_prune(idx, keep);
    free(keep);
}

/* Is this index the channel's for the subdir: the subdir it says, and a
 * record of `required` (for noarch: of any wanted name; a channel's noarch
 * without any of the family's noarch packages is not this channel's)? */
static int judge(struct repodata_index *idx, const struct check_ctx *c, void **product,
                 char **why)
{
    ci_prune(idx, c->names);
    if (idx->subdir && strcmp(idx->subdir, c->subdir)) {
        seterr(why, "the index is for %s, not %s", idx->subdir, c->subdir);
    } else if (c->required && !ci_has_records(idx, c->required, c->subdir)) {
        seterr(why, "no %s packages for %s in this index (%zu records kept)", c->required,
               c->subdir, idx->n);
    } else if (!c->required && !idx->n) {
        seterr(why, "none of the wanted packages in this %s index (%zu malformed records)",
               c->subdir, idx->skipped);
    } else {
        *product = idx;
        return 0;
    }
    ci_index_free(idx);
    return -1;
}

static int scan_failed(struct repodata_index *idx, char *err, char **why)
{
    seterr(why, "%s", err ? err : "empty: not a repodata document");
    free(err);
    free(idx);
    return -1;
}

/* The body spooled to fd (fetch's spool) ... */
static int index_check(int fd, size_t len, const char *url, void *vctx, void **product,
                       char **why)
{
    const struct check_ctx *c = vctx;
    struct repodata_scan_opts o = { 0, 0, CONDAINDEX_MAX_BYTES };
    struct repodata_index *idx = xmalloc(sizeof *idx);
    char *err = NULL;
    (void)url;
    if (!len || repodata_scan_fd(fd, c->names, &o, idx, &err) != 0)
        return scan_failed(idx, err, why);
    return judge(idx, c, product, why);
}

/* ... or in memory (when it could not be spooled). */
static int index_check_mem(const char *body, size_t len, const char *url, void *vctx,
                           void **product, char **why)
{
    const struct check_ctx *c = vctx;
    struct repodata_scan_opts o = { 0, 0, CONDAINDEX_MAX_BYTES };
    struct repodata_index *idx = xmalloc(sizeof *idx);
    char *err = NULL;
    (void)url;
    if (!len || repodata_scan_buffer(body, len, c->names, &o, idx, &err) != 0)
        return scan_failed(idx, err, why);
    return judge(idx, c, product, why);
}

/* ---- the full index ---------------------------------------------------- */

/* "index <checksum of the wanted names>": the cache keeps one filtered
 * index per set of names. */
char *ci_names_tag(const char *const *names)
{
    struct strv sv = STRV_INIT;
    for (const char *const *n = names; n && *n; n++)
        strv_push(&sv, *n);
    char *joined = strv_join(&sv, " ");
    char sum[CACHE_SUM_HEX + 1];
    cache_checksum(joined, strlen(joined), sum);
    free(joined);
    strv_clear(&sv);
    return xasprintf("index-%s", sum);
}

/* Which root the answer came from: the longest root prefixing its URL. */
size_t ci_root_of(const struct condaindex_request *rq, const char *url)
{
    size_t best = 0, bestlen = 0;
    for (size_t i = 0; url && i < rq->nroots; i++) {
        size_t l = strlen(rq->roots[i]);
        if (l > bestlen && !strncmp(url, rq->roots[i], l) && url[l] == '/') {
            best = i;
            bestlen = l;
        }
    }
    return best;
}

int ci_take_product(struct fetch_job *j, struct repodata_index *dst)
{
    memset(dst, 0, sizeof *dst);
    if (!j->product)
        return -1;
    *dst = *(struct repodata_index *)j->product;
    free(j->product);
    j->product = NULL;
    return 0;
}

struct full_job {
    struct strv urls;
    char name[160];
    struct check_ctx c;
};

static void job_setup(struct fetch_job *j, struct full_job *f, const char *tag)
{
    memset(j, 0, sizeof *j);
    j->name = f->name;
    j->urls = (const char *const *)f->urls.v;
    j->nurls = f->urls.n;
    j->kind = FETCH_REPODATA;
    j->race = 1;
    j->prefer_first = 1;
    j->check_fd = index_check;
    j->check = index_check_mem;
    j->check_ctx = &f->c;
    j->product_free = ci_index_free;
    j->encoded = 1;
    j->spool = 1;
    j->product_save = ci_index_save;
    j->product_load = ci_index_load;
    j->cache_tag = tag;
}

/* The parts not had yet, from each root's repodata.json (all at once). */
static void fetch_full(const struct condaindex_request *rq, struct ci_part *parts, size_t np,
                       struct condaindex_result *out)
{
    struct full_job *f = xcalloc(np, sizeof *f);
    struct fetch_job *fj = xcalloc(np, sizeof *fj);
    struct ci_part **who = xcalloc(np, sizeof *who);
    size_t n = 0;
    char *tag = ci_names_tag(rq->names);
    for (size_t k = 0; k < np; k++) {
        if (parts[k].have)
            continue;
        for (size_t i = 0; i < rq->nroots; i++)
            strv_pushf(&f[n].urls, "%s/%s/repodata.json", rq->roots[i], parts[k].subdir);
        snprintf(f[n].name, sizeof f[n].name, "%s/%s repodata", rq->channel, parts[k].subdir);
        f[n].c = (struct check_ctx){ parts[k].subdir, rq->names, parts[k].required };
        job_setup(&fj[n], &f[n], tag);
        who[n++] = &parts[k];
    }
    double t0 = timing_now();
    if (n)
        fetch_run(fj, n, rq->fo);
    out->fetch_s += timing_now() - t0;
    for (size_t k = 0; k < n; k++) {
        struct ci_part *pt = who[k];
        out->parse_s += fj[k].check_seconds;
        if (fj[k].body && ci_take_product(&fj[k], &pt->idx) == 0) {
            pt->have = 1;
            pt->root = ci_root_of(rq, fj[k].url_used);
            pt->from_cache = fj[k].from_cache;
        } else {
            free(pt->error);
            pt->error = xstrdup(fj[k].error ? fj[k].error : "no answer");
        }
        fetch_job_clear(&fj[k]);
        strv_clear(&f[k].urls);
    }
    free(tag);
    free(who);
    free(fj);
    free(f);
}

/* The channel as one mirror has it: when noarch came from another mirror
 * than the subdir (which won its own race), that answer is dropped (its
 * cache entry too: a mirror whose subdir lost keeps nothing here) and
 * noarch is asked of the subdir's mirror alone. */
static void same_mirror_noarch(const struct condaindex_request *rq, struct ci_part *parts,
                               struct condaindex_result *out)
{
    if (!parts[0].have || !parts[1].have || parts[1].root == parts[0].root)
        return;
    const char *dir = rq->fo && rq->fo->cache_dir ? rq->fo->cache_dir : cache_dir_default();
    char *tag = ci_names_tag(rq->names);
    const char *root = rq->roots[parts[1].root];
    char *key = parts[1].shards
                    ? xasprintf("%s/noarch/repodata_shards.msgpack.zst#%s", root, tag)
                    : xasprintf("%s/noarch/repodata.json#%s", root, tag);
    if (dir && *dir)
        cache_remove(dir, key);
    verbosef("%s/noarch: answered by another mirror than %s: asking %s", rq->channel,
             rq->subdir, rq->roots[parts[0].root]);
    free(key);
    free(tag);
    repodata_index_free(&parts[1].idx);
    parts[1].have = parts[1].shards = 0;
    struct condaindex_request one = *rq;
    one.roots = &rq->roots[parts[0].root];
    one.nroots = 1;
    if (rq->shards)
        ci_shards_fetch(&one, &parts[1], 1, out);
    fetch_full(&one, &parts[1], 1, out);
    parts[1].root = parts[0].root;
}

int condaindex_fetch(const struct condaindex_request *rq, struct condaindex_result *out)
{
    memset(out, 0, sizeof *out);
    if (!rq->nroots) {
        out->error = xstrdup("no mirror to ask");
        return -1;
    }
    struct ci_part parts[2] = {
        { .subdir = rq->subdir, .required = rq->required },
        { .subdir = "noarch" },
    };
    size_t np = strcmp(rq->subdir, "noarch") ? 2 : 1;
    if (rq->shards)
        ci_shards_fetch(rq, parts, np, out);
    fetch_full(rq, parts, np, out);
    if (np > 1)
        same_mirror_noarch(rq, parts, out);
    int rc = -1;
    if (parts[0].have) {
        out->idx = parts[0].idx;
        memset(&parts[0].idx, 0, sizeof parts[0].idx);
        if (np > 1 && parts[1].have)
            repodata_index_merge(&out->idx, &parts[1].idx);  /* noarch missing: not fatal */
        out->root = parts[0].root;
        out->from_cache = parts[0].from_cache;
        out->used_shards = parts[0].shards;
        rc = 0;
    } else {
        out->error = parts[0].error;
        parts[0].error = NULL;
    }
    for (size_t k = 0; k < np; k++) {
        repodata_index_free(&parts[k].idx);
        free(parts[k].error);
    }
    return rc;
}

void condaindex_result_free(struct condaindex_result *r)
{
    if (!r)
        return;
    repodata_index_free(&r->idx);
    free(r->error);
    memset(r, 0, sizeof *r);
}
