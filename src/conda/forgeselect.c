/* forgeselect.c — see forgeselect.h. */
#include "forgeselect.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condaver.h"
#include "msg.h"
#include "strv.h"

/* ---- depends, each distinct string parsed once ----
 * The index interns its strings: equal depends share one pointer, so a
 * small table keyed by the pointer parses each of them once (a few dozen
 * distinct ones among thousands of records). */

struct dep_memo {
    const char **keys;
    struct matchspec *ms;
    int *ok;
    size_t cap, n;
};

static size_t ptr_hash(const void *p, size_t cap)
{
    uintptr_t x = (uintptr_t)p;
    x ^= x >> 17;
    x *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(x >> 7) & (cap - 1);
}

static void memo_grow(struct dep_memo *m)
{
    struct dep_memo old = *m;
    m->cap = old.cap ? old.cap * 2 : 256;
    m->keys = xcalloc(m->cap, sizeof *m->keys);
    m->ms = xcalloc(m->cap, sizeof *m->ms);
    m->ok = xcalloc(m->cap, sizeof *m->ok);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.keys[i])
            continue;
        size_t j = ptr_hash(old.keys[i], m->cap);
        while (m->keys[j])
            j = (j + 1) & (m->cap - 1);
        m->keys[j] = old.keys[i];
        m->ms[j] = old.ms[i];
        m->ok[j] = old.ok[i];
    }
    free(old.keys);
    free(old.ms);
    free(old.ok);
}

/* DEP parsed (untrusted: never a compiled regex), or NULL if it does not parse. */
static const struct matchspec *dep_parsed(struct dep_memo *m, const char *dep)
{
    if ((m->n + 1) * 2 > m->cap)
        memo_grow(m);
    size_t j = ptr_hash(dep, m->cap);
    while (m->keys[j] && m->keys[j] != dep)
        j = (j + 1) & (m->cap - 1);
    if (!m->keys[j]) {
        m->keys[j] = dep;
        m->ok[j] = matchspec_parse_as(dep, MATCHSPEC_UNTRUSTED, &m->ms[j], NULL) == 0;
        m->n++;
    }
    return m->ok[j] ? &m->ms[j] : NULL;
}

static void memo_free(struct dep_memo *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i] && m->ok[i])
            matchspec_free(&m->ms[i]);
    free(m->keys);
    free(m->ms);
    free(m->ok);
    memset(m, 0, sizeof *m);
}

/* ---- what a conda-forge record says about itself ---- */

enum fkind { FK_NONE = -1, FK_CPU = 0, FK_CUDA = 1 };

struct frec {
    const struct repodata_record *r;
    enum fkind kind;
    char cuda[16];                   /* "12.6" for CUDA builds */
    int mkl;
    const struct condaver_spec *py;  /* its python depends (in the memo), or NULL */
    const struct condaver_spec *cv;  /* its cuda-version depends, or NULL */
};

struct fset {
    struct frec *v;
    size_t n;
};

static int dep_is(const char *dep, const char *name)
{
    size_t n = strlen(name);
    return !strncmp(dep, name, n) && (dep[n] == '\0' || strchr(" =<>!~[", dep[n]));
}

/* "cuda126_mkl_py312_h..._305": CUDA 12.6, mkl. */
static void scan_build(struct frec *f)
{
    const char *b = f->r->build;
    size_t n = strcspn(b, "_");
    f->kind = FK_NONE;
    if (n == 3 && !strncmp(b, "cpu", 3)) {
        f->kind = FK_CPU;
    } else if (n >= 6 && n <= 8 && !strncmp(b, "cuda", 4) && strspn(b + 4, "0123456789") == n - 4) {
        f->kind = FK_CUDA;
        snprintf(f->cuda, sizeof f->cuda, "%.*s.%c", (int)(n - 5), b + 4, b[n - 1]);
    }
    f->mkl = b[n] == '_' && !strncmp(b + n + 1, "mkl", 3);
}

static void frec_init(struct frec *f, const struct repodata_record *r, struct dep_memo *memo)
{
    memset(f, 0, sizeof *f);
    f->r = r;
    scan_build(f);
    for (size_t i = 0; i < r->n_depends; i++) {
        const char *d = r->depends[i];
        const struct condaver_spec **slot = dep_is(d, "python") ? &f->py
                                            : dep_is(d, "cuda-version") ? &f->cv : NULL;
        const struct matchspec *ms;
        if (slot && !*slot && (ms = dep_parsed(memo, d)) && ms->vspec.root)
            *slot = &ms->vspec;
    }
}

static void fset_free(struct fset *s)
{
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int usable(const struct repodata_record *r, const char *name, const char *subdir)
{
    return !strcmp(r->name, name) &&
           (!subdir || !r->subdir || !strcmp(r->subdir, subdir) || !strcmp(r->subdir, "noarch")) &&
           repodata_valid_version(r->version) && repodata_valid_build(r->build);
}

static void fset_load(struct fset *s, const struct repodata_index *idx, const char *name,
                      const char *subdir, struct dep_memo *memo)
{
    memset(s, 0, sizeof *s);
    size_t cap = 0;
    for (size_t i = 0; i < idx->n; i++)
        if (usable(&idx->recs[i], name, subdir)) {
            if (s->n == cap)
                s->v = xrealloc(s->v, (cap = cap ? cap * 2 : 64) * sizeof *s->v);
            frec_init(&s->v[s->n++], &idx->recs[i], memo);
        }
}

static int py_ok(const struct frec *f, const char *python)
{
    return !python || !f->py || condaver_spec_match(f->py, python);
}

static int variant_ok(const struct frec *f, const struct forgeselect_request *req)
{
    if (!req->cuda)
        return f->kind == FK_CPU;
    return f->kind == FK_CUDA && (!req->cuda_max || condaver_cmp(f->cuda, req->cuda_max) <= 0);
}

/* Newest first: version, CUDA, mkl, build number, upload time, file name. */
static int cmp_newer(const void *x, const void *y)
{
    const struct frec *a = *(const struct frec *const *)x, *b = *(const struct frec *const *)y;
    int c = condaver_cmp(b->r->version, a->r->version);
    if (!c)
        c = condaver_cmp(b->cuda[0] ? b->cuda : "0", a->cuda[0] ? a->cuda : "0");
    if (!c)
        c = b->mkl - a->mkl;
    if (!c && a->r->build_number != b->r->build_number)
        c = b->r->build_number > a->r->build_number ? 1 : -1;
    if (!c && a->r->timestamp != b->r->timestamp)
        c = b->r->timestamp > a->r->timestamp ? 1 : -1;
    return c ? c : strcmp(a->r->filename, b->r->filename);
}

/* Do f's "pytorch" depends admit record p (and its "libtorch" depends p's version)? */
static int pairs_with(const struct frec *f, const struct frec *p, struct dep_memo *memo)
{
    for (size_t i = 0; i < f->r->n_depends; i++) {
        const char *d = f->r->depends[i];
        int pt = dep_is(d, "pytorch"), lt = dep_is(d, "libtorch");
        const struct matchspec *ms;
        if ((!pt && !lt) || !(ms = dep_parsed(memo, d)))
            continue;
        int ok = pt ? matchspec_match(ms, "pytorch", p->r->version, p->r->build,
                                      p->r->build_number)
                    : !ms->vspec.root || condaver_spec_match(&ms->vspec, p->r->version);
        if (!ok)
            return 0;
    }
    return 1;
}

/* ---- the request's specs ---- */

struct member {
    const struct matchspec *ms;
    struct fset recs;                /* fitting its spec and the Python */
    const struct frec *chosen;
};

struct fctx {
    const struct repodata_index *idx;
    const struct forgeselect_request *req;
    const struct matchspec *pytorch;     /* the user's pytorch spec, or NULL */
    const struct matchspec *meta;        /* the user's pytorch-gpu/-cpu spec, or NULL */
    char *role;                          /* per spec: 'p', 'g', 'm' or 0 */
    struct member *members;
    size_t n_members;
    struct fset pt;
    const struct frec *chosen, *chosen_meta;
    char cuda_version[16];
    struct dep_memo memo;
};

static int is_companion(const struct repodata_index *idx, const char *name, const char *subdir)
{
    for (size_t i = 0; i < idx->n; i++) {
        const struct repodata_record *r = &idx->recs[i];
        if (!usable(r, name, subdir))
            continue;
        for (size_t k = 0; k < r->n_depends; k++)
            if (dep_is(r->depends[k], "pytorch"))
                return 1;
    }
    return 0;
}

static int assign_roles(struct fctx *c, char **err)
{
    const struct forgeselect_request *req = c->req;
    c->role = xcalloc(req->n_specs ? req->n_specs : 1, 1);
    c->members = xcalloc(req->n_specs ? req->n_specs : 1, sizeof *c->members);
    for (size_t i = 0; i < req->n_specs; i++) {
        const struct matchspec *ms = req->specs[i];
        if (!strcmp(ms->name, "pytorch")) {
            c->role[i] = 'p';
            c->pytorch = c->pytorch ? c->pytorch : ms;
        } else if (!strcmp(ms->name, "pytorch-gpu") || !strcmp(ms->name, "pytorch-cpu")) {
            if ((ms->name[8] == 'g') != (req->cuda != 0))
                return seterr(err, "'%s' asks for the %s build, but the plan is for %s",
                              ms->original, ms->name[8] == 'g' ? "CUDA" : "CPU",
                              req->cuda ? "CUDA" : "the CPU");
            c->role[i] = 'g';
            c->meta = ms;
        } else if (!strchr(ms->name, '*') && is_companion(c->idx, ms->name, req->subdir)) {
            c->role[i] = 'm';
            c->members[c->n_members++].ms = ms;
        }
    }
    return 0;
}

static void load_members(struct fctx *c)
{
    for (size_t k = 0; k < c->n_members; k++) {
        struct member *m = &c->members[k];
        fset_load(&m->recs, c->idx, m->ms->name, c->req->subdir, &c->memo);
        size_t kept = 0;
        for (size_t i = 0; i < m->recs.n; i++) {
            const struct frec *f = &m->recs.v[i];
            if (matchspec_match(m->ms, f->r->name, f->r->version, f->r->build,
                                f->r->build_number) && py_ok(f, c->req->python))
                m->recs.v[kept++] = *f;
        }
        m->recs.n = kept;
    }
}

static const struct frec *pick_member(const struct member *m, const struct frec *p,
                                      struct dep_memo *memo)
{
    const struct frec *best = NULL;
    for (size_t i = 0; i < m->recs.n; i++) {
        const struct frec *f = &m->recs.v[i];
        if (f->kind != p->kind || (p->kind == FK_CUDA && strcmp(f->cuda, p->cuda)) ||
            !pairs_with(f, p, memo))
            continue;
        if (!best || cmp_newer(&f, &best) < 0)
            best = f;
    }
    return best;
}

/* ---- the cuda-version and the metapackage ---- */

static int cv_admits(const struct frec *f, const char *v)
{
    return !f || !f->cv || condaver_spec_match(f->cv, v);
}

static void pick_cuda_version(struct fctx *c)
{
    const char *best = NULL;
    for (size_t i = 0; i < c->idx->n; i++) {
        const struct repodata_record *r = &c->idx->recs[i];
        if (!usable(r, "cuda-version", NULL) ||
            (c->req->cuda_max && condaver_cmp(r->version, c->req->cuda_max) > 0) ||
            !cv_admits(c->chosen, r->version))
            continue;
        int ok = 1;
        for (size_t k = 0; k < c->n_members && ok; k++)
            ok = cv_admits(c->members[k].chosen, r->version);
        if (ok && (!best || condaver_cmp(r->version, best) > 0))
            best = r->version;
    }
    c->cuda_version[0] = '\0';
    if (best)
        snprintf(c->cuda_version, sizeof c->cuda_version, "%s", best);
}

static void pick_meta(struct fctx *c, struct fset *metas)
{
    fset_load(metas, c->idx, c->req->cuda ? "pytorch-gpu" : "pytorch-cpu", c->req->subdir,
              &c->memo);
    c->chosen_meta = NULL;
    for (size_t i = 0; i < metas->n; i++) {
        const struct frec *f = &metas->v[i];
        if (condaver_cmp(f->r->version, c->chosen->r->version) ||
            !pairs_with(f, c->chosen, &c->memo) ||
            (c->meta && !matchspec_match(c->meta, f->r->name, f->r->version, f->r->build,
                                         f->r->build_number)))
            continue;
        if (!c->chosen_meta || c->chosen_meta->r->build_number < f->r->build_number)
            c->chosen_meta = f;
    }
}

/* ---- the answer ---- */

/* name=version=build; without the Python known, the build up to "_py" as a glob. */
static char *pin(const struct matchspec *ms, const char *name, const struct frec *f,
                 const char *python)
{
    const char *b = f->r->build, *py = strstr(b, "_py");
    char *build = python || !py ? xstrdup(b) : xasprintf("%.*s*", (int)(py - b), b);
    char *p = matchspec_format_exact(name, f->r->version, build);
    free(build);
    if (ms && ms->channel) {
        char *t = xasprintf("%s::%s", ms->channel, p);
        free(p);
        p = t;
    }
    return p;
}

static void answer(struct fctx *c, struct condaselect_result *out)
{
    const struct forgeselect_request *req = c->req;
    for (size_t i = 0; i < req->n_specs; i++) {
        const struct matchspec *ms = req->specs[i];
        const struct frec *f = c->role[i] == 'p' ? c->chosen
                               : c->role[i] == 'g' ? c->chosen_meta : NULL;
        for (size_t k = 0; c->role[i] == 'm' && k < c->n_members; k++)
            if (c->members[k].ms == ms)
                f = c->members[k].chosen;
        strv_push_take(&out->specs, f ? pin(ms, ms->name, f, req->python) : xstrdup(ms->original));
    }
    size_t before = out->specs.n;
    if (!c->pytorch)
        strv_push_take(&out->specs, pin(NULL, "pytorch", c->chosen, req->python));
    if (!c->meta && c->chosen_meta)
        strv_push_take(&out->specs, pin(NULL, c->chosen_meta->r->name, c->chosen_meta,
                                        req->python));
    if (req->cuda && c->cuda_version[0])
        strv_pushf(&out->specs, "cuda-version=%s", c->cuda_version);
    else if (req->cuda && req->cuda_max)
        strv_pushf(&out->specs, "cuda-version<=%s", req->cuda_max);
    out->n_added = out->specs.n - before;
    out->pytorch_version = xstrdup(c->chosen->r->version);
    out->pytorch_build = xstrdup(c->chosen->r->build);
    out->variant = c->chosen->kind == FK_CUDA ? xasprintf("cuda%s", c->chosen->cuda)
                                              : xstrdup("cpu");
}

/* ---- when nothing fits ---- */

static const char *newest(const struct fset *s, const struct matchspec *ms, const char *python,
                          const struct forgeselect_request *req)
{
    const char *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const struct frec *f = &s->v[i];
        if ((ms && !matchspec_match(ms, "pytorch", f->r->version, f->r->build,
                                    f->r->build_number)) ||
            !py_ok(f, python) || (req && !variant_ok(f, req)))
            continue;
        if (!best || condaver_cmp(f->r->version, best) > 0)
            best = f->r->version;
    }
    return best;
}

/* "cuda126, cuda129" of version v's builds (for the Python). */
static char *cudas_of(const struct fset *s, const char *v, const char *python)
{
    struct strv labels = STRV_INIT;
    for (size_t i = 0; i < s->n; i++) {
        const struct frec *f = &s->v[i];
        if (f->kind != FK_CUDA || condaver_cmp(f->r->version, v) || !py_ok(f, python))
            continue;
        char lab[24];
        snprintf(lab, sizeof lab, "CUDA %s", f->cuda);
        if (strv_find(&labels, lab) < 0)
            strv_push(&labels, lab);
    }
    char *j = labels.n ? strv_join(&labels, ", ") : xstrdup("no CUDA build");
    strv_clear(&labels);
    return j;
}

static int explain(const struct fctx *c, char **err)
{
    const struct forgeselect_request *req = c->req;
    const struct matchspec *ms = c->pytorch;
    const char *what = ms ? ms->original : "pytorch";
    const char *all = newest(&c->pt, NULL, NULL, NULL);
    if (!all)
        return seterr(err, "the conda-forge index has no pytorch packages for %s",
                      req->subdir ? req->subdir : "this platform");
    const char *v_spec = newest(&c->pt, ms, NULL, NULL);
    if (!v_spec)
        return seterr(err, "no pytorch matching '%s' on conda-forge (its newest is %s), nor on "
                      "the pytorch channel, which stopped at %s", what, all,
                      CONDASELECT_CHANNEL_LAST);
    const char *v_py = newest(&c->pt, ms, req->python, NULL);
    if (!v_py)
        return seterr(err, "pytorch %s on conda-forge has no build for Python %s", v_spec,
                      req->python);
    if (!req->cuda)
        return seterr(err, "pytorch %s on conda-forge has no CPU build for Python %s", v_py,
                      req->python ? req->python : "any");
    char *cudas = cudas_of(&c->pt, v_py, req->python);
    int r = seterr(err, "pytorch %s on conda-forge is built for %s; the driver runs CUDA up to "
                   "%s, and no pytorch matching '%s' has a build for it", v_py, cudas,
                   req->cuda_max ? req->cuda_max : "?", what);
    free(cudas);
    return r;
}

/* ---- the selection ---- */

static int choose(struct fctx *c, char **err)
{
    const struct forgeselect_request *req = c->req;
    const struct frec **cand = xcalloc(c->pt.n ? c->pt.n : 1, sizeof *cand);
    size_t nc = 0;
    for (size_t i = 0; i < c->pt.n; i++) {
        const struct frec *f = &c->pt.v[i];
        if ((!c->pytorch || matchspec_match(c->pytorch, "pytorch", f->r->version, f->r->build,
                                            f->r->build_number)) &&
            (!c->meta || condaver_spec_match(&c->meta->vspec, f->r->version)) &&
            py_ok(f, req->python) && variant_ok(f, req))
            cand[nc++] = f;
    }
    qsort(cand, nc, sizeof *cand, cmp_newer);
    const struct member *missing = NULL;
    for (size_t i = 0; i < nc && !c->chosen; i++) {
        size_t k = 0;
        for (; k < c->n_members; k++)
            if (!(c->members[k].chosen = pick_member(&c->members[k], cand[i], &c->memo)))
                break;
        if (k == c->n_members)
            c->chosen = cand[i];
        else if (!missing)
            missing = &c->members[k];
    }
    const struct frec *first = nc ? cand[0] : NULL;
    free(cand);
    if (c->chosen)
        return 0;
    if (!missing)
        return explain(c, err);
    return seterr(err, "%s matching '%s' on conda-forge has no %s build for pytorch %s%s%s",
                  missing->ms->name, missing->ms->original,
                  first->kind == FK_CUDA ? first->cuda : "CPU", first->r->version,
                  req->python ? " and Python " : "", req->python ? req->python : "");
}

int forgeselect_run(const struct repodata_index *idx, const struct forgeselect_request *req,
                    struct condaselect_result *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (!idx || !req || (req->n_specs && !req->specs))
        return seterr(err, "forgeselect: no index or request");
    struct fctx c;
    memset(&c, 0, sizeof c);
    c.idx = idx;
    c.req = req;
    struct fset metas = { NULL, 0 };
    int rc = assign_roles(&c, err);
    if (rc == 0) {
        fset_load(&c.pt, idx, "pytorch", req->subdir, &c.memo);
        load_members(&c);
        rc = choose(&c, err);
    }
    if (rc == 0) {
        pick_meta(&c, &metas);
        if (req->cuda)
            pick_cuda_version(&c);
        answer(&c, out);
    }
    fset_free(&metas);
    fset_free(&c.pt);
    for (size_t k = 0; k < c.n_members; k++)
        fset_free(&c.members[k].recs);
    free(c.members);
    free(c.role);
    memo_free(&c.memo);
    return rc;
}
