/* condaselect.c — see condaselect.h. */
#include "condaselect.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condaver.h"
#include "msg.h"

/* Names that carry the variant rather than being selected. */
static const char *const variant_names[] = {
    "pytorch-cuda", "cudatoolkit", "cpuonly", "pytorch-mutex",
};


/* A growable message. */
struct sbuf {
    char *s;
    size_t len;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    char *p;
    va_start(ap, fmt);
    int r = vasprintf(&p, fmt, ap);
    va_end(ap);
    if (r < 0)
        die(70, "out of memory");
    b->s = xrealloc(b->s, b->len + (size_t)r + 1);
    memcpy(b->s + b->len, p, (size_t)r + 1);
    b->len += (size_t)r;
    free(p);
}

/* ---------------------------------------------------------------------
 * What a record says about itself
 * ------------------------------------------------------------------- */

enum vkind { VK_NONE, VK_CPU, VK_CUDA };
enum vstyle { VS_NONE, VS_PYTORCH_CUDA, VS_CUDATOOLKIT };

struct recinfo {
    const struct repodata_record *r;
    enum vkind kind;
    enum vstyle style;
    char cuda[24];                   /* "12.1" when known (major.minor) */
    struct condaver_spec cuda_dep;   /* pytorch-cuda / cudatoolkit depends */
    char py[16];                     /* "3.12" when known */
    struct condaver_spec py_dep;     /* python depends */
    struct matchspec pin;            /* its "pytorch ..." depends */
    int has_pin;
    char eff[24];                    /* selection: the CUDA version taken for */
};

static void recinfo_free(struct recinfo *ri)
{
    condaver_spec_free(&ri->cuda_dep);
    condaver_spec_free(&ri->py_dep);
    if (ri->has_pin)
        matchspec_free(&ri->pin);
}

/* "10.1.243" -> "10.1" */
static void major_minor(char *dst, size_t n, const char *v)
{
    size_t k = 0, dots = 0;
    for (; v[k] && k + 1 < n; k++) {
        if (v[k] == '.' && ++dots == 2)
            break;
        dst[k] = v[k];
    }
    dst[k] = '\0';
}

static int has_token(const char *list, const char *tok)
{
    if (!list)
        return 0;
    size_t tl = strlen(tok);
    for (const char *p = list; (p = strstr(p, tok)) != NULL; p += tl) {
        int start = p == list || p[-1] == ' ' || p[-1] == ',';
        int end = p[tl] == '\0' || p[tl] == ' ' || p[tl] == ',';
        if (start && end)
            return 1;
    }
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Read the build string: "py3.10_cuda11.8_cudnn8.7.0_0", "py310_cu118",
 * "py3.9_cpu_0", "py38": Python, CPU/CUDA and the CUDA version. */
static void scan_build(const char *b, char *py, size_t pysz, enum vkind *kind, char *cuda,
                       size_t cudasz)
{
    *kind = VK_NONE;
    py[0] = cuda[0] = '\0';
    const char *p = b;
    while (*p) {
        size_t n = strcspn(p, "_");
        if (n > 2 && strncmp(p, "py", 2) == 0 && p[2] >= '0' && p[2] <= '9' && !py[0]) {
            const char *d = p + 2;
            size_t dn = n - 2;
            if (memchr(d, '.', dn)) {
                if ((size_t)snprintf(py, pysz, "%.*s", (int)dn, d) >= pysz)
                    py[0] = '\0';
            } else if (all_digits(d, dn) && dn >= 2) {
                snprintf(py, pysz, "%c.%.*s", d[0], (int)(dn - 1), d + 1);
            }
        } else if (n == 3 && strncmp(p, "cpu", 3) == 0) {
            *kind = VK_CPU;
        } else if (n > 4 && strncmp(p, "cuda", 4) == 0 && p[4] >= '0' && p[4] <= '9') {
            char tmp[32];
            snprintf(tmp, sizeof tmp, "%.*s", (int)(n - 4), p + 4);
            major_minor(cuda, cudasz, tmp);
            *kind = VK_CUDA;
        } else if (n > 3 && strncmp(p, "cu", 2) == 0 && all_digits(p + 2, n - 2)) {
            snprintf(cuda, cudasz, "%.*s.%c", (int)(n - 3), p + 2, p[n - 1]);
            *kind = VK_CUDA;
        }
        p += n;
        if (*p == '_')
            p++;
    }
}

/* Is DEP (a depends string) about package NAME? Looked at before parsing,
 * so that the depends the selection does not read are never parsed. */
static int dep_is(const char *dep, const char *name)
{
    size_t n = strlen(name);
    return strncmp(dep, name, n) == 0 && (dep[n] == '\0' || strchr(" =<>!~[", dep[n]));
}

/* The depends the selection reads. */
static int dep_wanted(const char *dep)
{
    static const char *const names[] = { "python", "pytorch-cuda", "cudatoolkit",
                                         "pytorch-mutex", "pytorch" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (dep_is(dep, names[i]))
            return 1;
    return 0;
}

/* A depends string, as repodata's: never a compiled regex. */
static int parse_dep(const char *dep, struct matchspec *ms)
{
    return matchspec_parse_as(dep, MATCHSPEC_UNTRUSTED, ms, NULL);
}

enum condaselect_kind condaselect_build_variant(const char *build, char *cuda, size_t n)
{
    enum vkind k;
    char py[16];
    scan_build(build ? build : "", py, sizeof py, &k, cuda, n);
    return k == VK_CUDA ? CONDASELECT_CUDA : k == VK_CPU ? CONDASELECT_CPU : CONDASELECT_UNKNOWN;
}

static void recinfo_init(struct recinfo *ri, const struct repodata_record *r)
{
    memset(ri, 0, sizeof *ri);
    ri->r = r;
    int mutex_cpu = 0, mutex_cuda = 0;
    for (size_t i = 0; i < r->n_depends; i++) {
        struct matchspec ms;
        if (!dep_wanted(r->depends[i]) || parse_dep(r->depends[i], &ms) < 0)
            continue;
        if (strcmp(ms.name, "python") == 0 && ms.vspec.root && !ri->py_dep.root) {
            ri->py_dep = ms.vspec;
            memset(&ms.vspec, 0, sizeof ms.vspec);
        } else if ((strcmp(ms.name, "pytorch-cuda") == 0 || strcmp(ms.name, "cudatoolkit") == 0) &&
                   !ri->cuda_dep.root) {
            ri->style = ms.name[0] == 'p' ? VS_PYTORCH_CUDA : VS_CUDATOOLKIT;
            ri->kind = VK_CUDA;
            if (ms.vspec.root) {
                ri->cuda_dep = ms.vspec;
                memset(&ms.vspec, 0, sizeof ms.vspec);
            }
        } else if (strcmp(ms.name, "pytorch-mutex") == 0 && ms.build) {
            mutex_cpu |= strcmp(ms.build, "cpu") == 0;
            mutex_cuda |= strcmp(ms.build, "cuda") == 0;
        } else if (strcmp(ms.name, "pytorch") == 0 && !ri->has_pin) {
            ri->pin = ms;
            ri->has_pin = 1;
            continue;                /* kept: do not free */
        }
        matchspec_free(&ms);
    }

    enum vkind bkind;
    char bpy[16], bcuda[24];
    scan_build(r->build, bpy, sizeof bpy, &bkind, bcuda, sizeof bcuda);
    if (ri->kind == VK_NONE) {
        if (mutex_cuda)
            ri->kind = VK_CUDA;
        else if (mutex_cpu || has_token(r->track_features, "cpuonly") ||
                 has_token(r->features, "cpuonly"))
            ri->kind = VK_CPU;
        else
            ri->kind = bkind;
    }
    if (ri->kind == VK_CUDA) {
        if (bkind == VK_CUDA && bcuda[0]) {
            snprintf(ri->cuda, sizeof ri->cuda, "%s", bcuda);
        } else {
            const char *lb = condaver_spec_lower_bound(&ri->cuda_dep, NULL);
            if (lb)
                major_minor(ri->cuda, sizeof ri->cuda, lb);
        }
    }
    const char *plb = condaver_spec_lower_bound(&ri->py_dep, NULL);
    if (plb)
        major_minor(ri->py, sizeof ri->py, plb);
    else
        snprintf(ri->py, sizeof ri->py, "%s", bpy);
}

static int python_ok(const struct recinfo *ri, const char *python)
{
    if (!python)
        return 1;
    if (ri->py_dep.root)
        return condaver_spec_match(&ri->py_dep, python);
    if (ri->py[0])
        return condaver_startswith(python, ri->py);
    return 1;
}

/* ---------------------------------------------------------------------
 * The wanted variant
 * ------------------------------------------------------------------- */

struct want {
    enum vkind kind;                 /* VK_NONE: unknown, anything goes */
    enum vstyle style;               /* VS_NONE: either style */
    struct strv cudas;               /* acceptable CUDA versions, best first; empty = any */
    const char *cuda_max;            /* or: any CUDA <= this */
    int agnostic_ok;                 /* records without a variant are fine */
};

static int cuda_compatible(const struct recinfo *ri, const char *c)
{
    if (ri->cuda_dep.root)
        return condaver_spec_match(&ri->cuda_dep, c);
    if (ri->cuda[0])
        return condaver_startswith(ri->cuda, c) || condaver_startswith(c, ri->cuda);
    return 1;                        /* only "pytorch-mutex 1.0 cuda": any CUDA */
}

/* Does the record fit? Sets ri->eff to the CUDA version it is taken for. */
static int variant_ok(struct recinfo *ri, const struct want *w)
{
    ri->eff[0] = '\0';
    if (w->kind == VK_NONE) {
        if (ri->kind == VK_CUDA)
            snprintf(ri->eff, sizeof ri->eff, "%s", ri->cuda);
        return 1;
    }
    if (ri->kind == VK_NONE)
        return w->agnostic_ok;
    if (ri->kind != w->kind)
        return 0;
    if (ri->kind == VK_CPU)
        return 1;
    if (w->style != VS_NONE && ri->style != VS_NONE && ri->style != w->style)
        return 0;
    if (w->cudas.n) {
        for (size_t i = 0; i < w->cudas.n; i++)
            if (cuda_compatible(ri, w->cudas.v[i])) {
                snprintf(ri->eff, sizeof ri->eff, "%s", w->cudas.v[i]);
                return 1;
            }
        return 0;
    }
    if (w->cuda_max) {
        if (!ri->cuda[0] || condaver_cmp(ri->cuda, w->cuda_max) > 0)
            return 0;
    }
    snprintf(ri->eff, sizeof ri->eff, "%s", ri->cuda);
    return 1;
}

static void want_describe(const struct want *w, struct sbuf *b)
{
    if (w->kind == VK_CPU) {
        sb_add(b, "CPU");
        return;
    }
    sb_add(b, "%s", w->style == VS_CUDATOOLKIT ? "cudatoolkit" : "CUDA");
    if (w->cudas.n) {
        for (size_t i = 0; i < w->cudas.n; i++)
            sb_add(b, "%s%s", i ? "/" : " ", w->cudas.v[i]);
    } else if (w->cuda_max) {
        sb_add(b, " <= %s", w->cuda_max);
    }
}

/* ---------------------------------------------------------------------
 * Candidate sets
 * ------------------------------------------------------------------- */

struct set {
    struct recinfo *v;
    size_t n;
};

static void set_free(struct set *s)
{
    for (size_t i = 0; i < s->n; i++)
        recinfo_free(&s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static int subdir_ok(const struct repodata_record *r, const char *subdir)
{
    return !subdir || !r->subdir || strcmp(r->subdir, subdir) == 0 ||
           strcmp(r->subdir, "noarch") == 0;
}

/* A record of `name` in the subdir whose version and build may go into a
 * command line (the index's reader skips others; an index from elsewhere
 * is checked again here). */
static int rec_usable(const struct repodata_record *r, const char *name, const char *subdir)
{
    return strcmp(r->name, name) == 0 && subdir_ok(r, subdir) &&
           repodata_valid_version(r->version) && repodata_valid_build(r->build);
}

/* Every usable record of `name` in the subdir. */
static void set_load(struct set *s, const struct repodata_index *idx, const char *name,
                     const char *subdir)
{
    memset(s, 0, sizeof *s);
    size_t n = 0;
    for (size_t i = 0; i < idx->n; i++)
        if (rec_usable(&idx->recs[i], name, subdir))
            n++;
    if (!n)
        return;
    s->v = xcalloc(n, sizeof *s->v);
    for (size_t i = 0; i < idx->n; i++)
        if (rec_usable(&idx->recs[i], name, subdir))
            recinfo_init(&s->v[s->n++], &idx->recs[i]);
}

static int spec_ok(const struct matchspec *ms, const struct repodata_record *r)
{
    return !ms || matchspec_match(ms, r->name, r->version, r->build, r->build_number);
}

static int cmp_newer(const struct recinfo *a, const struct recinfo *b, int by_cuda)
{
    int c = condaver_cmp(b->r->version, a->r->version);
    if (c)
        return c;
    if (by_cuda) {
        int ka = a->kind == VK_CUDA ? 2 : a->kind == VK_CPU ? 1 : 0;
        int kb = b->kind == VK_CUDA ? 2 : b->kind == VK_CPU ? 1 : 0;
        if (ka != kb)
            return kb - ka;
        c = condaver_cmp(b->eff[0] ? b->eff : "0", a->eff[0] ? a->eff : "0");
        if (c)
            return c;
    }
    if (a->r->build_number != b->r->build_number)
        return b->r->build_number > a->r->build_number ? 1 : -1;
    if (a->r->timestamp != b->r->timestamp)
        return b->r->timestamp > a->r->timestamp ? 1 : -1;
    return strcmp(a->r->filename, b->r->filename);
}

static int cmp_pytorch(const void *x, const void *y)
{
    return cmp_newer(*(struct recinfo *const *)x, *(struct recinfo *const *)y, 1);
}

/* ---------------------------------------------------------------------
 * Messages
 * ------------------------------------------------------------------- */

static int cmp_ver_str(const void *a, const void *b)
{
    return condaver_cmp(*(char *const *)a, *(char *const *)b);
}

static void strv_add_unique(struct strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return;
    strv_push(sv, s);
}

/* "3.8-3.12" when the minors are consecutive, else "3.8, 3.10". */
static void describe_pythons(struct strv *pys, struct sbuf *b)
{
    qsort(pys->v, pys->n, sizeof *pys->v, cmp_ver_str);
    int run = pys->n > 2;
    int major0 = 0, minor0 = 0;
    for (size_t i = 0; run && i < pys->n; i++) {
        int ma, mi;
        char extra;
        if (sscanf(pys->v[i], "%d.%d%c", &ma, &mi, &extra) != 2)
            run = 0;
        else if (i == 0) {
            major0 = ma;
            minor0 = mi;
        } else if (ma != major0 || mi != minor0 + (int)i) {
            run = 0;
        }
    }
    if (run) {
        sb_add(b, "%s-%s", pys->v[0], pys->v[pys->n - 1]);
        return;
    }
    for (size_t i = 0; i < pys->n; i++)
        sb_add(b, "%s%s", i ? ", " : "", pys->v[i]);
}

static int cmp_variant_label(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int cx = strcmp(x, "cpu") == 0, cy = strcmp(y, "cpu") == 0;
    if (cx != cy)
        return cy - cx;
    if (strncmp(x, "cuda", 4) == 0 && strncmp(y, "cuda", 4) == 0)
        return condaver_cmp(x[4] ? x + 4 : "0", y[4] ? y + 4 : "0");
    return strcmp(x, y);
}

static void variant_label(const struct recinfo *ri, char *buf, size_t n)
{
    if (ri->kind == VK_CPU)
        snprintf(buf, n, "cpu");
    else if (ri->kind == VK_CUDA)
        snprintf(buf, n, "cuda%s", ri->cuda);
    else
        buf[0] = '\0';
}

/* "pytorch 2.3.1 on win-64 has builds for Python 3.8-3.12 (cpu, cuda11.8,
 * cuda12.1)" for the records of set s with that version. */
static void describe_builds(const struct set *s, const char *version, const char *subdir,
                            const struct matchspec *ms, struct sbuf *b)
{
    struct strv pys = STRV_INIT, vars = STRV_INIT;
    const char *name = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const struct recinfo *ri = &s->v[i];
        if (strcmp(ri->r->version, version) != 0 || !spec_ok(ms, ri->r))
            continue;
        name = ri->r->name;
        if (ri->py[0])
            strv_add_unique(&pys, ri->py);
        char lab[32];
        variant_label(ri, lab, sizeof lab);
        if (lab[0])
            strv_add_unique(&vars, lab);
    }
    sb_add(b, "%s %s%s%s has builds for ", name ? name : "?", version, subdir ? " on " : "",
           subdir ? subdir : "");
    if (pys.n) {
        sb_add(b, "Python ");
        describe_pythons(&pys, b);
    } else {
        sb_add(b, "any Python");
    }
    if (vars.n) {
        qsort(vars.v, vars.n, sizeof *vars.v, cmp_variant_label);
        sb_add(b, " (");
        for (size_t i = 0; i < vars.n; i++)
            sb_add(b, "%s%s", i ? ", " : "", vars.v[i]);
        sb_add(b, ")");
    }
    if (ms && (ms->build || ms->bn_op != MATCHSPEC_BN_ANY))
        sb_add(b, " matching '%s'", ms->original);
    strv_clear(&pys);
    strv_clear(&vars);
}

static const char *newest_version(const struct set *s, const struct matchspec *ms,
                                  const char *python, const struct want *w)
{
    const char *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        struct recinfo *ri = &s->v[i];
        if (ms && !spec_ok(ms, ri->r))
            continue;
        if (!python_ok(ri, python))
            continue;
        if (w && !variant_ok(ri, w))
            continue;
        if (!best || condaver_cmp(ri->r->version, best) > 0)
            best = ri->r->version;
    }
    return best;
}

static void list_versions(const struct set *s, struct sbuf *b, size_t max)
{
    struct strv vs = STRV_INIT;
    for (size_t i = 0; i < s->n; i++)
        strv_add_unique(&vs, s->v[i].r->version);
    qsort(vs.v, vs.n, sizeof *vs.v, cmp_ver_str);
    size_t from = vs.n > max ? vs.n - max : 0;
    if (from)
        sb_add(b, "..., ");
    for (size_t i = from; i < vs.n; i++)
        sb_add(b, "%s%s", i > from ? ", " : "", vs.v[i]);
    strv_clear(&vs);
}

/* The pip form of the user's pytorch version, for the advice:
 *   pytorch=2.6 (fuzzy "2.6*") -> torch==2.6     pytorch==2.6 -> torch==2.6
 *   pytorch 2.6.* -> torch==2.6.*   pytorch>=2.6 -> torch>=2.6 (same operators)
 *   pytorch[version='=2.6'] -> torch==2.6 */
static void pip_torch(const struct matchspec *ms, struct sbuf *b)
{
    if (!ms || !ms->version) {
        sb_add(b, "torch");
        return;
    }
    char *v = xstrdup(ms->version);
    size_t n = strlen(v);
    int op = strchr("<>=!~", v[0]) != NULL;
    if (!op && n && v[n - 1] == '*') {
        while (n && (v[n - 1] == '*' || v[n - 1] == '.'))
            v[--n] = '\0';
        sb_add(b, "torch==%s%s", v, ms->fuzzy ? "" : ".*");
    } else if (!op) {
        sb_add(b, "torch==%s", v);
    } else if (v[0] == '=' && v[1] != '=') {
        sb_add(b, "torch==%s", v + 1);
    } else {
        sb_add(b, "torch%s", v);
    }
    free(v);
}

/* ---------------------------------------------------------------------
 * The decision
 * ------------------------------------------------------------------- */

struct member {
    const struct matchspec *ms;      /* the user's spec */
    struct set recs;                 /* its records that fit spec and Python */
    struct recinfo *chosen;
};

struct ctx {
    const struct repodata_index *idx;
    const struct condaselect_request *req;
    const struct matchspec *pytorch;    /* user's pytorch spec, NULL if implied */
    struct set pt;                      /* every pytorch record of the subdir */
    struct member *members;
    size_t n_members;
    struct want want;
    int variant_spec_given;             /* user named pytorch-cuda/cudatoolkit/cpuonly */
};

static int is_variant_name(const char *name)
{
    for (size_t i = 0; i < sizeof variant_names / sizeof variant_names[0]; i++)
        if (strcmp(name, variant_names[i]) == 0)
            return 1;
    return 0;
}

/* No channel, "pytorch", or a mirror's ".../pytorch". */
static int pytorch_channel(const struct matchspec *ms)
{
    const char *c = ms->channel;
    if (!c || strcmp(c, "pytorch") == 0)
        return 1;
    size_t n = strlen(c);
    return n > 8 && strcmp(c + n - 8, "/pytorch") == 0;
}

/* Is `name` a family member: do its records in the index depend on pytorch? */
static int is_member_name(const struct repodata_index *idx, const char *name,
                          const char *subdir)
{
    for (size_t i = 0; i < idx->n; i++) {
        const struct repodata_record *r = &idx->recs[i];
        if (strcmp(r->name, name) != 0 || !subdir_ok(r, subdir))
            continue;
        for (size_t k = 0; k < r->n_depends; k++) {
            const char *d = r->depends[k];
            if (strncmp(d, "pytorch", 7) == 0 && (d[7] == '\0' || strchr(" =<>!~", d[7])))
                return 1;
        }
    }
    return 0;
}

static int set_user_kind(struct ctx *c, enum vkind kind, enum vstyle style,
                         const struct matchspec *ms, const struct matchspec **first, char **err)
{
    if (c->variant_spec_given) {
        /* "pytorch-mutex 1.0 cuda" agrees with pytorch-cuda=X; cpu never with cuda */
        if (c->want.kind != kind ||
            (style != VS_NONE && c->want.style != VS_NONE && style != c->want.style))
            return seterr(err, "conflicting variant specs: '%s' and '%s'", (*first)->original,
                           ms->original);
        if (style != VS_NONE)
            c->want.style = style;
        return 0;
    }
    c->variant_spec_given = 1;
    c->want.kind = kind;
    c->want.style = style;
    *first = ms;
    return 0;
}

/* The variant: from the user's specs, else the caller's. */
static int decide_want(struct ctx *c, char **err)
{
    const struct condaselect_request *req = c->req;
    const struct matchspec *first = NULL;
    for (size_t i = 0; i < req->n_specs; i++) {
        const struct matchspec *ms = req->specs[i];
        if (!ms->name)
            continue;
        /* a variant spec says what the user wants whatever its channel */
        if (strcmp(ms->name, "pytorch-cuda") == 0 || strcmp(ms->name, "cudatoolkit") == 0) {
            enum vstyle st = ms->name[0] == 'p' ? VS_PYTORCH_CUDA : VS_CUDATOOLKIT;
            if (set_user_kind(c, VK_CUDA, st, ms, &first, err) < 0)
                return -1;
            strv_clear(&c->want.cudas);
            if (!ms->version)
                continue;
            /* the versions of that package the channel has, newest first */
            for (size_t k = 0; k < c->idx->n; k++) {
                const struct repodata_record *r = &c->idx->recs[k];
                if (strcmp(r->name, ms->name) == 0 && subdir_ok(r, req->subdir) && spec_ok(ms, r)) {
                    char mm[24];
                    major_minor(mm, sizeof mm, r->version);
                    strv_add_unique(&c->want.cudas, mm);
                }
            }
            if (!c->want.cudas.n) {
                /* not in this index (cudatoolkit lives in defaults): the spec's own version */
                const char *lb = condaver_spec_lower_bound(&ms->vspec, NULL);
                if (!lb)
                    return seterr(err, "no %s matching '%s' in the channel", ms->name,
                                   ms->original);
                char mm[24];
                major_minor(mm, sizeof mm, lb);
                strv_push(&c->want.cudas, mm);
            }
            qsort(c->want.cudas.v, c->want.cudas.n, sizeof(char *), cmp_ver_str);
            for (size_t a = 0, b = c->want.cudas.n; a + 1 < b; a++, b--) {
                char *t = c->want.cudas.v[a];
                c->want.cudas.v[a] = c->want.cudas.v[b - 1];
                c->want.cudas.v[b - 1] = t;
            }
        } else if (strcmp(ms->name, "cpuonly") == 0) {
            if (set_user_kind(c, VK_CPU, VS_NONE, ms, &first, err) < 0)
                return -1;
        } else if (strcmp(ms->name, "pytorch-mutex") == 0 && ms->build &&
                   (strcmp(ms->build, "cpu") == 0 || strcmp(ms->build, "cuda") == 0)) {
            enum vkind k = ms->build[1] == 'p' ? VK_CPU : VK_CUDA;
            if (set_user_kind(c, k, VS_NONE, ms, &first, err) < 0)
                return -1;
        }
    }
    if (c->variant_spec_given) {
        c->want.agnostic_ok = c->want.kind == VK_CPU;
        return 0;
    }
    const struct condaselect_variant *v = &req->variant;
    switch (v->kind) {
    case CONDASELECT_UNKNOWN:
        c->want.kind = VK_NONE;
        break;
    case CONDASELECT_CPU:
        c->want.kind = VK_CPU;
        c->want.agnostic_ok = 1;
        break;
    case CONDASELECT_CUDA:
    case CONDASELECT_CUDATOOLKIT:
        c->want.kind = VK_CUDA;
        c->want.style = v->kind == CONDASELECT_CUDATOOLKIT ? VS_CUDATOOLKIT : VS_NONE;
        if (v->cuda && v->cuda_is_max)
            c->want.cuda_max = v->cuda;
        else if (v->cuda) {
            char mm[24];
            major_minor(mm, sizeof mm, v->cuda);
            strv_push(&c->want.cudas, mm);
        }
        break;
    }
    return 0;
}

/* Companions only (no pytorch spec) in an environment that has pytorch:
 * pytorch stays at the installed version. */
static int installed_ok(const struct ctx *c, const struct recinfo *ri)
{
    const char *v = c->req->installed_version;
    return c->pytorch || !v || condaver_cmp(ri->r->version, v) == 0;
}

/* ... and at the installed build, when the index has it. */
static void keep_installed_first(const struct ctx *c, struct recinfo **cand, size_t n)
{
    const char *b = c->req->installed_build;
    if (c->pytorch || !b)
        return;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(cand[i]->r->build, b)) {
            struct recinfo *t = cand[i];
            memmove(cand + 1, cand, i * sizeof *cand);
            cand[0] = t;
            return;
        }
}

/* Pick the best record of member m for pytorch candidate p; NULL if none. */
static struct recinfo *pick_member(struct member *m, const struct recinfo *p)
{
    struct want w = { 0 };
    w.kind = p->kind;
    w.agnostic_ok = 1;
    if (p->kind == VK_CUDA && p->eff[0])
        strv_push(&w.cudas, p->eff);
    /* pytorch's own requirement on the member ("torchtriton 2.1.0") */
    struct matchspec need;
    int has_need = 0;
    for (size_t k = 0; k < p->r->n_depends && !has_need; k++) {
        if (!dep_is(p->r->depends[k], m->ms->name) || parse_dep(p->r->depends[k], &need) < 0)
            continue;
        if (strcmp(need.name, m->ms->name) == 0)
            has_need = 1;
        else
            matchspec_free(&need);
    }
    struct recinfo *best = NULL;
    for (size_t i = 0; i < m->recs.n; i++) {
        struct recinfo *ri = &m->recs.v[i];
        if (ri->has_pin && !matchspec_match(&ri->pin, p->r->name, p->r->version, p->r->build,
                                            p->r->build_number))
            continue;
        if (has_need && !spec_ok(&need, ri->r))
            continue;
        if (!variant_ok(ri, &w))
            continue;
        if (!best || cmp_newer(ri, best, 0) < 0)
            best = ri;
    }
    if (has_need)
        matchspec_free(&need);
    strv_clear(&w.cudas);
    return best;
}

/* Explain why member m has nothing for pytorch candidate p. */
static void explain_member(const struct ctx *c, struct member *m, const struct recinfo *p,
                           struct sbuf *b)
{
    const char *subdir = c->req->subdir;
    const char *python = c->req->python;
    struct set all;
    set_load(&all, c->idx, m->ms->name, subdir);
    size_t n_spec = 0, n_py = 0;
    struct strv pins = STRV_INIT;
    for (size_t i = 0; i < all.n; i++) {
        struct recinfo *ri = &all.v[i];
        if (!spec_ok(m->ms, ri->r))
            continue;
        n_spec++;
        if (!python_ok(ri, python))
            continue;
        n_py++;
        if (ri->has_pin && ri->pin.version)
            strv_add_unique(&pins, ri->pin.version);
    }
    const char *what = m->ms->original;
    if (!n_spec) {
        sb_add(b, "no %s matching '%s'%s%s in the channel; it has %s ", m->ms->name, what,
               subdir ? " on " : "", subdir ? subdir : "", m->ms->name);
        list_versions(&all, b, 12);
    } else if (!n_py) {
        sb_add(b, "%s matching '%s' has no build for Python %s", m->ms->name, what, python);
    } else {
        int pinned_here = 0;
        for (size_t i = 0; i < pins.n; i++) {
            struct matchspec pin;
            char *t = xasprintf("pytorch %s", pins.v[i]);
            if (parse_dep(t, &pin) == 0) {
                pinned_here |= matchspec_match(&pin, p->r->name, p->r->version, p->r->build,
                                               p->r->build_number);
                matchspec_free(&pin);
            }
            free(t);
        }
        if (pinned_here) {
            char lab[32];
            variant_label(p, lab, sizeof lab);
            sb_add(b, "%s matching '%s' for pytorch %s has no %s build%s%s", m->ms->name, what,
                   p->r->version, lab[0] ? lab : "matching", python ? " for Python " : "",
                   python ? python : "");
        } else {
            qsort(pins.v, pins.n, sizeof *pins.v, cmp_ver_str);
            sb_add(b, "%s matching '%s' is built for pytorch ", m->ms->name, what);
            for (size_t i = 0; i < pins.n; i++)
                sb_add(b, "%s%s", i ? ", " : "", pins.v[i]);
            if (!pins.n)
                sb_add(b, "(none)");
            sb_add(b, ", which does not pair with pytorch %s", p->r->version);
            if (c->pytorch)
                sb_add(b, " ('%s')", c->pytorch->original);
        }
    }
    strv_clear(&pins);
    set_free(&all);
}

/* Explain why no pytorch build fits at all. */
static void explain_pytorch(struct ctx *c, struct sbuf *b)
{
    const char *subdir = c->req->subdir;
    const char *python = c->req->python;
    const char *on = subdir ? " on " : "";
    const char *sd = subdir ? subdir : "";
    if (!c->pt.n) {
        sb_add(b, "the channel index has no pytorch packages%s%s", on, sd);
        return;
    }
    const char *newest = newest_version(&c->pt, NULL, NULL, NULL);
    const char *v_spec = newest_version(&c->pt, c->pytorch, NULL, NULL);
    if (!v_spec) {
        int incl = 0;
        const char *lb = c->pytorch ? condaver_spec_lower_bound(&c->pytorch->vspec, &incl) : NULL;
        int cmp = lb ? condaver_cmp(lb, newest) : -1;
        if (lb && (cmp > 0 || (cmp == 0 && !incl))) {
            sb_add(b, "'%s' asks for a newer pytorch than the channel has: its newest pytorch%s%s "
                      "is %s", c->pytorch->original, on, sd, newest);
            if (condaver_cmp(lb, CONDASELECT_CHANNEL_LAST) > 0 ||
                (condaver_cmp(lb, CONDASELECT_CHANNEL_LAST) == 0 && !incl))
                sb_add(b, ", and the pytorch conda channel stopped at %s: nothing newer will "
                          "appear there", CONDASELECT_CHANNEL_LAST);
            else
                sb_add(b, " (the pytorch channel went up to %s; is the mirror's index out of "
                          "date?)", CONDASELECT_CHANNEL_LAST);
            sb_add(b, ". Newer PyTorch comes as pip wheels: torchshim install ");
            pip_torch(c->pytorch, b);
            for (size_t i = 0; i < c->n_members; i++)
                sb_add(b, " %s", c->members[i].ms->name);
            sb_add(b, "; or from conda-forge: conda install -c conda-forge pytorch "
                      "(pytorch-gpu for CUDA)");
        } else {
            sb_add(b, "no pytorch matching '%s'%s%s in the channel; it has pytorch ",
                   c->pytorch ? c->pytorch->original : "pytorch", on, sd);
            list_versions(&c->pt, b, 12);
        }
        return;
    }
    const char *v_py = newest_version(&c->pt, c->pytorch, python, NULL);
    if (!v_py) {
        describe_builds(&c->pt, v_spec, subdir, c->pytorch, b);
        sb_add(b, "; none for Python %s", python);
        const char *other = newest_version(&c->pt, NULL, python, NULL);
        if (other && strcmp(other, v_spec) != 0)
            sb_add(b, " (the newest pytorch here with Python %s builds is %s)", python, other);
        return;
    }
    describe_builds(&c->pt, v_py, subdir, c->pytorch, b);
    sb_add(b, "; none for ");
    want_describe(&c->want, b);
    if (python)
        sb_add(b, " with Python %s", python);
    const char *other = newest_version(&c->pt, NULL, python, &c->want);
    if (other && strcmp(other, v_py) != 0) {
        sb_add(b, " (the newest pytorch here for ");
        want_describe(&c->want, b);
        sb_add(b, "%s%s is %s)", python ? " and Python " : "", python ? python : "", other);
    }
}

/* "py3.12_cuda12.1_cudnn8_0" -> "*_cuda12.1_cudnn8_0"; "py310" -> NULL (any). */
static char *build_without_python(const char *build)
{
    if (strncmp(build, "py", 2) != 0 || build[2] < '0' || build[2] > '9')
        return xstrdup(build);
    const char *us = strchr(build, '_');
    if (!us)
        return NULL;
    return xasprintf("*%s", us);
}

static char *format_pin(const struct matchspec *ms, const struct recinfo *ri, const char *python)
{
    char *build = python ? xstrdup(ri->r->build) : build_without_python(ri->r->build);
    char *pin = matchspec_format_exact(ms->name, ri->r->version, build);
    free(build);
    if (ms->channel) {
        char *t = xasprintf("%s%s%s::%s", ms->channel, ms->subdir ? "/" : "",
                            ms->subdir ? ms->subdir : "", pin);
        free(pin);
        pin = t;
    }
    return pin;
}

static void ctx_free(struct ctx *c)
{
    set_free(&c->pt);
    for (size_t i = 0; i < c->n_members; i++)
        set_free(&c->members[i].recs);
    free(c->members);
    strv_clear(&c->want.cudas);
}

void condaselect_result_free(struct condaselect_result *res)
{
    if (!res)
        return;
    strv_clear(&res->specs);
    free(res->pytorch_version);
    free(res->pytorch_build);
    free(res->variant);
    free(res->pinned);
    memset(res, 0, sizeof *res);
}

/* Which specs are ours: 'p' pytorch, 'm' a family member, 'v' a variant
 * spec, 0 others (role[i]). Returns whether any is of the family. */
static int assign_roles(struct ctx *c, char *role)
{
    const struct condaselect_request *req = c->req;
    int any_family = 0;
    for (size_t i = 0; i < req->n_specs; i++) {
        const struct matchspec *ms = req->specs[i];
        if (!ms->name || !pytorch_channel(ms))
            continue;
        if (strcmp(ms->name, "pytorch") == 0) {
            role[i] = 'p';
            if (!c->pytorch)
                c->pytorch = ms;
            any_family = 1;
        } else if (is_variant_name(ms->name)) {
            role[i] = 'v';
        } else if (!strchr(ms->name, '*') && is_member_name(c->idx, ms->name, req->subdir)) {
            role[i] = 'm';
            any_family = 1;
            size_t k;
            for (k = 0; k < c->n_members; k++)
                if (strcmp(c->members[k].ms->name, ms->name) == 0)
                    break;
            if (k == c->n_members)
                c->members[c->n_members++].ms = ms;
        }
    }
    return any_family;
}

/* Every member's records that fit its spec and the Python. */
static void load_members(struct ctx *c)
{
    for (size_t k = 0; k < c->n_members; k++) {
        struct member *m = &c->members[k];
        struct set all;
        set_load(&all, c->idx, m->ms->name, c->req->subdir);
        m->recs.v = all.n ? xcalloc(all.n, sizeof *m->recs.v) : NULL;
        for (size_t i = 0; i < all.n; i++) {
            if (spec_ok(m->ms, all.v[i].r) && python_ok(&all.v[i], c->req->python))
                m->recs.v[m->recs.n++] = all.v[i];
            else
                recinfo_free(&all.v[i]);
        }
        free(all.v);
    }
}

/* The best pytorch candidate every member has a build for; NULL with *msg
 * saying why none. */
static struct recinfo *choose(struct ctx *c, struct sbuf *msg)
{
    struct recinfo **cand = xcalloc(c->pt.n ? c->pt.n : 1, sizeof *cand);
    size_t nc = 0;
    for (size_t i = 0; i < c->pt.n; i++) {
        struct recinfo *ri = &c->pt.v[i];
        if (spec_ok(c->pytorch, ri->r) && python_ok(ri, c->req->python) &&
            variant_ok(ri, &c->want) && installed_ok(c, ri))
            cand[nc++] = ri;
    }
    qsort(cand, nc, sizeof *cand, cmp_pytorch);
    keep_installed_first(c, cand, nc);
    struct recinfo *chosen = NULL;
    for (size_t i = 0; i < nc && !chosen; i++) {
        size_t k;
        for (k = 0; k < c->n_members; k++)
            if (!(c->members[k].chosen = pick_member(&c->members[k], cand[i])))
                break;
        if (k == c->n_members)
            chosen = cand[i];
        else if (i == 0)
            explain_member(c, &c->members[k], cand[i], msg);
    }
    if (!nc)
        explain_pytorch(c, msg);
    free(cand);
    return chosen;
}

/* RI's record among the pinned ones, when its pin names the whole build. */
static void note_pinned(const struct condaselect_request *req, const struct recinfo *ri,
                        struct condaselect_result *out)
{
    char *glob = req->python ? NULL : build_without_python(ri->r->build);
    int exact = req->python || (glob && !strcmp(glob, ri->r->build));
    free(glob);
    for (size_t i = 0; exact && i < out->n_pinned; i++)
        exact = out->pinned[i] != ri->r;
    if (!exact)
        return;
    out->pinned = xrealloc(out->pinned, (out->n_pinned + 1) * sizeof *out->pinned);
    out->pinned[out->n_pinned++] = ri->r;
}

/* The answer, in the user's order, then the variant spec when added. */
static void answer(const struct ctx *c, const char *role, const struct recinfo *chosen,
                   struct condaselect_result *out)
{
    const struct condaselect_request *req = c->req;
    for (size_t i = 0; i < req->n_specs; i++) {
        const struct matchspec *ms = req->specs[i];
        const struct recinfo *ri = role[i] == 'p' ? chosen : NULL;
        for (size_t k = 0; role[i] == 'm' && k < c->n_members; k++)
            if (strcmp(c->members[k].ms->name, ms->name) == 0) {
                ri = c->members[k].chosen;
                break;
            }
        strv_push_take(&out->specs, ri ? format_pin(ms, ri, req->python) : xstrdup(ms->original));
        if (ri)
            note_pinned(req, ri, out);
    }
    if (!c->variant_spec_given && !req->add_nothing) {
        if (chosen->kind == VK_CPU) {
            strv_push(&out->specs, "cpuonly");
            out->n_added++;
        } else if (chosen->kind == VK_CUDA && chosen->eff[0] && chosen->style != VS_NONE) {
            strv_pushf(&out->specs, "%s=%s",
                       chosen->style == VS_CUDATOOLKIT ? "cudatoolkit" : "pytorch-cuda",
                       chosen->eff);
            out->n_added++;
        }
    }
    out->pytorch_version = xstrdup(chosen->r->version);
    out->pytorch_build = xstrdup(chosen->r->build);
    if (chosen->kind != VK_NONE) {
        char lab[32];
        if (chosen->kind == VK_CUDA && chosen->eff[0])
            snprintf(lab, sizeof lab, "cuda%s", chosen->eff);
        else
            variant_label(chosen, lab, sizeof lab);
        out->variant = xstrdup(lab);
    }
}

int condaselect_run(const struct repodata_index *idx, const struct condaselect_request *req,
                    struct condaselect_result *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (!idx || !req || (req->n_specs && !req->specs))
        return seterr(err, "condaselect: no index or request");
    for (size_t i = 0; i < req->n_specs; i++)
        if (!req->specs[i] || !req->specs[i]->original)
            return seterr(err, "condaselect: spec %zu is not a parsed match spec", i);
    struct ctx c;
    memset(&c, 0, sizeof c);
    c.idx = idx;
    c.req = req;
    char *role = xcalloc(req->n_specs ? req->n_specs : 1, 1);
    c.members = xcalloc(req->n_specs ? req->n_specs : 1, sizeof *c.members);
    struct sbuf msg = { NULL, 0 };
    int rc = 0;
    if (!assign_roles(&c, role)) {
        for (size_t i = 0; i < req->n_specs; i++)
            strv_push(&out->specs, req->specs[i]->original);
    } else if (decide_want(&c, err) < 0) {
        rc = -1;
    } else {
        set_load(&c.pt, idx, "pytorch", req->subdir);
        load_members(&c);
        const struct recinfo *chosen = choose(&c, &msg);
        if (chosen)
            answer(&c, role, chosen, out);
        else
            rc = seterr(err, "%s", msg.s ? msg.s : "no pytorch build fits");
    }
    if (rc < 0)
        condaselect_result_free(out);
    free(msg.s);
    free(role);
    ctx_free(&c);
    return rc;
}
