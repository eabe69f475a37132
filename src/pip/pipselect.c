/* pipselect.c — see pipselect.h. */
#include "pipselect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "msg.h"

/* How many alternatives a message lists before "...". */
#define MAX_LISTED 8

/* ---- version lists: distinct, newest first, pointing into the inputs ---- */

struct vlist {
    const struct pep440 **v;
    size_t n, cap;
};

static void vlist_add(struct vlist *l, const struct pep440 *v)
{
    size_t at = 0;
    while (at < l->n) {
        int c = pep440_cmp(v, l->v[at]);
        if (c == 0)
            return;
        if (c > 0)
            break;
        at++;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof *l->v);
    l->v[at] = v;
    l->n++;
}

static void vlist_free(struct vlist *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* "2.3.1+cu121, 2.3.0+cu121, ..." or "none" */
static char *vlist_str(const struct vlist *l)
{
    if (l->n == 0)
        return xstrdup("none");
    size_t cap = 16, o = 0;
    char **parts = xcalloc(l->n < MAX_LISTED ? l->n : MAX_LISTED, sizeof *parts);
    size_t np = 0;
    for (size_t i = 0; i < l->n && i < MAX_LISTED; i++) {
        parts[np] = pep440_str(l->v[i]);
        cap += strlen(parts[np++]) + 2;
    }
    char *out = xmalloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < np; i++) {
        o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", parts[i]);
        free(parts[i]);
    }
    if (l->n > MAX_LISTED)
        snprintf(out + o, cap - o, ", ...");
    free(parts);
    return out;
}

/* ---- one package: the user's requirements and the page's candidates ---- */

struct pkg {
    const char *name;                    /* PEP 503 normalised */
    const struct pep508_req **reqs;      /* named (non-URL) requirements for it */
    size_t *idx;                         /* their positions in the caller's array */
    size_t nreq;
    struct vlist cands;    /* fit the target and carry the variant label */
    struct vlist filtered; /* ... and satisfy the user (pip's pre-release rule) */
    size_t present;        /* links of this name on the pages at all */
    size_t elsewhere;      /* right label, but for another Python or platform */
};

static void pkg_add_req(struct pkg *p, const struct pep508_req *r, size_t i)
{
    p->reqs = xrealloc(p->reqs, (p->nreq + 1) * sizeof *p->reqs);
    p->idx = xrealloc(p->idx, (p->nreq + 1) * sizeof *p->idx);
    p->reqs[p->nreq] = r;
    p->idx[p->nreq++] = i;
}

static void pkg_free(struct pkg *p)
{
    free(p->reqs);
    free(p->idx);
    vlist_free(&p->cands);
    vlist_free(&p->filtered);
    memset(p, 0, sizeof *p);
}

static int has_variant(const char *variant)
{
    return variant && *variant;
}

static int local_ok(const struct pep440 *v, const char *variant)
{
    const char *local = pep440_local(v);
    if (!has_variant(variant))
        return local == NULL;
    return local && strcasecmp(local, variant) == 0;
}

static int all_exact(const struct pkg *p)
{
    if (p->nreq == 0)
        return 0;
    for (size_t i = 0; i < p->nreq; i++)
        if (!pep440_specset_is_exact(&p->reqs[i]->spec, NULL))
            return 0;
    return 1;
}

static int requires_python_ok(const struct listing_entry *e, const struct wheel_target *t)
{
    if (!e->requires_python)
        return 1;
    struct pep440_specset ss;
    if (pep440_specset_parse(e->requires_python, &ss, NULL) < 0)
        return 1; /* pip ignores a malformed value too */
    char *py = xasprintf("%d.%d", t->py_major, t->py_minor);
    struct pep440 v;
    int ok = 1;
    if (pep440_parse(py, &v) == 0) {
        ok = pep440_specset_match(&ss, &v, 1);
        pep440_free(&v);
    }
    free(py);
    pep440_specset_free(&ss);
    return ok;
}

static void collect(const struct pipselect_input *in, struct pkg *p)
{
    int yanked_ok = all_exact(p);
    for (size_t l = 0; l < in->nlistings; l++) {
        const struct listing *ls = &in->listings[l];
        for (size_t i = 0; i < ls->n; i++) {
            const struct listing_entry *e = &ls->v[i];
            if (strcmp(e->wheel.norm_name, p->name) != 0)
                continue;
            p->present++;
            if (!local_ok(&e->wheel.version, in->variant))
                continue;
            if (!wheel_compatible(&e->wheel, in->target) || !requires_python_ok(e, in->target)) {
                p->elsewhere++;
                continue;
            }
            if (e->yanked && !yanked_ok)
                continue;
            vlist_add(&p->cands, &e->wheel.version);
        }
    }
}

static int matches(const struct pkg *p, const struct pep440 *v, int allow_pre)
{
    for (size_t i = 0; i < p->nreq; i++)
        if (!pep440_specset_match(&p->reqs[i]->spec, v, allow_pre))
            return 0;
    return 1;
}

/* pip: pre-releases when allowed or named by a specifier, or as a last
 * resort when no final release matches. */
static void filter(const struct pipselect_input *in, struct pkg *p)
{
    int allow = in->allow_pre;
    for (size_t i = 0; i < p->nreq; i++)
        if (pep440_specset_names_pre(&p->reqs[i]->spec))
            allow = 1;
    for (size_t i = 0; i < p->cands.n; i++)
        if (matches(p, p->cands.v[i], allow))
            vlist_add(&p->filtered, p->cands.v[i]);
    if (p->filtered.n == 0 && !allow)
        for (size_t i = 0; i < p->cands.n; i++)
            if (matches(p, p->cands.v[i], 1))
                vlist_add(&p->filtered, p->cands.v[i]);
}

/* The user's specifiers for p joined by ",", "" when none. */
static char *spec_text(const struct pkg *p)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < p->nreq; i++) {
        char *s = pep440_specset_str(&p->reqs[i]->spec);
        if (*s) {
            char *j = xasprintf("%s%s%s", out, *out ? "," : "", s);
            free(out);
            out = j;
        }
        free(s);
    }
    return out;
}

/* "cu121 " or "" */
static const char *vword(const struct pipselect_input *in)
{
    return has_variant(in->variant) ? in->variant : "";
}

/* Nothing on the page satisfies p. */
static char *no_match_msg(const struct pipselect_input *in, const struct pkg *p)
{
    char *avail = vlist_str(&p->cands);
    char *spec = spec_text(p);
    const char *sp = has_variant(in->variant) ? " " : "";
    const struct pep440 *pin = NULL;
    char *msg;
    if (p->nreq == 1 && pep440_specset_is_exact(&p->reqs[0]->spec, &pin)) {
        char *pub = pep440_public_str(pin);
        msg = xasprintf("%s %s has no %s%swheel for %s on this mirror; available: %s", p->name,
                        pub, vword(in), sp, in->target->label, avail);
        free(pub);
    } else if (*spec) {
        msg = xasprintf("no %s%swheel of %s matching %s for %s on this mirror; available: %s",
                        vword(in), sp, p->name, spec, in->target->label, avail);
    } else if (p->present == 0) {
        msg = xasprintf("the mirror's page lists no %s wheels at all", p->name);
    } else {
        msg = xasprintf("no %s%swheel of %s for %s on this mirror%s", vword(in), sp, p->name,
                        in->target->label,
                        p->elsewhere ? " (there are some for other Python versions or platforms)"
                                     : "");
    }
    free(spec);
    free(avail);
    return msg;
}

/* An exact pin with another local label than the variant's. */
static char *variant_conflict(const struct pipselect_input *in, const struct pkg *p)
{
    for (size_t i = 0; i < p->nreq; i++) {
        const struct pep440 *pin;
        if (!pep440_specset_is_exact(&p->reqs[i]->spec, &pin) || !pin->local ||
            local_ok(pin, in->variant))
            continue;
        char *want = pep440_str(pin);
        char *avail = vlist_str(&p->cands);
        char *msg;
        if (has_variant(in->variant))
            msg = xasprintf("%s==%s asks for the %s build, but this install uses %s; "
                            "available: %s",
                            p->name, want, pin->local, in->variant, avail);
        else
            msg = xasprintf("%s==%s asks for the %s build, but this install uses wheels "
                            "without a local label; available: %s",
                            p->name, want, pin->local, avail);
        free(want);
        free(avail);
        return msg;
    }
    return NULL;
}

/* The requirement text pinning r to v, or NULL when r already says exactly
 * that. */
static char *pin_text(const struct pep508_req *r, const char *vstr, const struct pep440 *v)
{
    const struct pep440 *pin;
    if (!r->url && pep440_specset_is_exact(&r->spec, &pin) && pep440_cmp(pin, v) == 0)
        return NULL;
    char *spec = xasprintf("==%s", vstr);
    struct pep508_req tmp = *r;
    tmp.url = NULL;
    if (pep440_specset_parse(spec, &tmp.spec, NULL) < 0)
        die(70, "internal error: cannot parse our own specifier %s", spec);
    char *out = pep508_format(&tmp);
    pep440_specset_free(&tmp.spec);
    free(spec);
    return out;
}

static const struct listing_entry *entry_of(const struct pipselect_input *in,
                                            const struct pkg *p, const struct pep440 *v);

static void pin_pkg(const struct pipselect_input *in, const struct pkg *p,
                    const struct pep440 *v, const char *vstr, struct pipselect_result *out)
{
    const struct listing_entry *e = entry_of(in, p, v);
    for (size_t i = 0; i < p->nreq; i++) {
        out[p->idx[i]].requirement = pin_text(p->reqs[i], vstr, v);
        out[p->idx[i]].wheel = e;
    }
}

/* ---- the torch family ---- */

/* How a requested package other than torch relates to torch. */
enum comp_state {
    COMP_PAIRED,       /* its releases say which torch: it steers the choice */
    COMP_FREE,         /* no release requires torch: pinned on its own */
    COMP_UNPAIRABLE,   /* some release's pairing is unknown: left to pip */
    COMP_ABSENT,       /* no candidate: left alone (an error for the table's family) */
};

struct comp {
    struct pkg pkg;
    enum comp_state state;
    const struct pep440 *pick;   /* for the torch chosen */
};

/* What companion release v requires of torch; *spec valid until *tmp is
 * freed. */
static enum pippair_kind pair_of(const struct pipselect_input *in, const struct pkg *p,
                                 const struct pep440 *v, const struct pep440_specset **spec,
                                 struct pep440_specset *tmp)
{
    static const struct pippairs none = { 0 };
    return pippairs_lookup(in->pairs ? in->pairs : &none, p->name, v, spec, tmp);
}

/* Does companion release v go with torch t? 1, 0, or -1 when unknown. */
static int goes_with(const struct pipselect_input *in, const struct pkg *p,
                     const struct pep440 *v, const struct pep440 *t)
{
    const struct pep440_specset *spec;
    struct pep440_specset tmp = { 0 };
    int r;
    switch (pair_of(in, p, v, &spec, &tmp)) {
    case PAIR_ANY: r = 1; break;
    case PAIR_SPEC: r = pep440_specset_match(spec, t, 1); break;
    default:  /* nightlies without metadata: built the same day */
        r = pep440_is_dev(v) && pep440_is_dev(t) ? v->dev == t->dev : -1;
        break;
    }
    pep440_specset_free(&tmp);
    return r;
}

static enum comp_state comp_state_of(const struct pipselect_input *in, const struct pkg *p)
{
    if (!p->filtered.n)
        return COMP_ABSENT;
    int paired = 0;
    for (size_t i = 0; i < p->filtered.n; i++) {
        const struct pep440 *v = p->filtered.v[i];
        const struct pep440_specset *spec;
        struct pep440_specset tmp = { 0 };
        enum pippair_kind k = pair_of(in, p, v, &spec, &tmp);
        pep440_specset_free(&tmp);
        if (k == PAIR_UNKNOWN && !pep440_is_dev(v))
            return COMP_UNPAIRABLE;
        paired |= k != PAIR_ANY;
    }
    return paired ? COMP_PAIRED : COMP_FREE;
}

/* "torchvision 0.18.1 requires torch==2.3.0" for the newest candidate. */
static char *requirement_said(const struct pipselect_input *in, const struct pkg *p)
{
    const struct pep440 *v = p->filtered.v[0];
    const struct pep440_specset *spec;
    struct pep440_specset tmp = { 0 };
    char *vs = pep440_str(v), *out;
    if (pair_of(in, p, v, &spec, &tmp) == PAIR_SPEC) {
        char *ss = pep440_specset_str(spec);
        out = xasprintf("%s %s requires torch%s", p->name, vs, ss);
        free(ss);
    } else {
        out = xasprintf("%s %s is a nightly of another day", p->name, vs);
    }
    pep440_specset_free(&tmp);
    free(vs);
    return out;
}

/* The newest release of companion c that goes with torch t; NULL with *why. */
static const struct pep440 *companion(const struct pipselect_input *in, const struct comp *c,
                                      const struct pep440 *t, char **why)
{
    for (size_t i = 0; i < c->pkg.filtered.n; i++)
        if (goes_with(in, &c->pkg, c->pkg.filtered.v[i], t) == 1)
            return c->pkg.filtered.v[i];
    char *tstr = pep440_str(t), *spec = spec_text(&c->pkg), *req = requirement_said(in, &c->pkg);
    *why = xasprintf("torch %s goes with no %s%s%s on this mirror (%s)", tstr, c->pkg.name,
                     *spec ? " matching " : "", spec, req);
    free(tstr);
    free(spec);
    free(req);
    return NULL;
}

/* The first torch (newest first) every paired companion has a release for. */
static const struct pep440 *choose_torch(const struct pipselect_input *in,
                                         const struct vlist *torches, struct comp *comps,
                                         size_t ncomps, char **first_why)
{
    for (size_t i = 0; i < torches->n; i++) {
        const struct pep440 *t = torches->v[i];
        int ok = 1;
        for (size_t c = 0; c < ncomps && ok; c++) {
            if (comps[c].state != COMP_PAIRED)
                continue;
            char *why = NULL;
            comps[c].pick = companion(in, &comps[c], t, &why);
            ok = comps[c].pick != NULL;
            if (why && !*first_why)
                *first_why = why;
            else
                free(why);
        }
        if (ok)
            return t;
    }
    return NULL;
}

/* The requested packages other than torch, one comp each (distinct names). */
static size_t gather_comps(const struct pipselect_input *in, const struct pep508_req *reqs,
                           size_t n, struct comp **out)
{
    struct comp *comps = xcalloc(n ? n : 1, sizeof *comps);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        if (reqs[i].url || !strcmp(reqs[i].norm_name, "torch"))
            continue;
        size_t c = 0;
        while (c < nc && strcmp(comps[c].pkg.name, reqs[i].norm_name))
            c++;
        if (c == nc)
            comps[nc++].pkg.name = reqs[i].norm_name;
        pkg_add_req(&comps[c].pkg, &reqs[i], i);
    }
    for (size_t c = 0; c < nc; c++) {
        collect(in, &comps[c].pkg);
        filter(in, &comps[c].pkg);
        comps[c].state = comp_state_of(in, &comps[c].pkg);
    }
    *out = comps;
    return nc;
}

/* Errors found before any choice: conflicting labels, nothing matching. */
static char *early_error(const struct pipselect_input *in, const struct pkg *torch,
                         const struct comp *comps, size_t nc)
{
    char *err = variant_conflict(in, torch);
    for (size_t c = 0; c < nc && !err; c++)
        err = variant_conflict(in, &comps[c].pkg);
    if (!err && torch->nreq && !torch->filtered.n)
        err = no_match_msg(in, torch);
    for (size_t c = 0; c < nc && !err; c++)
        if (comps[c].state == COMP_ABSENT && pairing_pkg_of(comps[c].pkg.name) != PAIRING_NONE)
            err = no_match_msg(in, &comps[c].pkg);
    return err;
}

static char *cannot_pin(const struct pipselect_input *in, const struct comp *comps, size_t nc,
                        const char *why)
{
    struct buf names = BUF_INIT;
    buf_adds(&names, "torch");
    for (size_t c = 0; c < nc; c++)
        if (comps[c].state == COMP_PAIRED)
            buf_addf(&names, ", %s", comps[c].pkg.name);
    char *err = xasprintf("cannot pin %s together for %s%s%s: %s", buf_str(&names), vword(in),
                          has_variant(in->variant) ? " " : "", in->target->label,
                          why ? why : "no torch release to pair with");
    buf_free(&names);
    return err;
}

/* Errors go to every requirement of the family. */
static size_t fail_all(const struct pkg *torch, const struct comp *comps, size_t nc,
                       const char *err, struct pipselect_result *out)
{
    size_t nerr = 0;
    for (size_t i = 0; i < torch->nreq; i++, nerr++)
        out[torch->idx[i]].error = xstrdup(err);
    for (size_t c = 0; c < nc; c++)
        for (size_t i = 0; i < comps[c].pkg.nreq; i++, nerr++)
            out[comps[c].pkg.idx[i]].error = xstrdup(err);
    return nerr;
}

static void pin_chosen(const struct pipselect_input *in, const struct pkg *torch,
                       const struct pep440 *t, struct comp *comps, size_t nc,
                       struct pipselect_result *out)
{
    if (t) {
        char *ts = pep440_str(t);
        pin_pkg(in, torch, t, ts, out);
        free(ts);
    }
    for (size_t c = 0; c < nc; c++) {
        const struct pep440 *v = comps[c].state == COMP_PAIRED ? comps[c].pick
                                 : comps[c].state == COMP_FREE ? comps[c].pkg.filtered.v[0]
                                                               : NULL;
        if (!v)
            continue;
        char *vs = pep440_str(v);
        pin_pkg(in, &comps[c].pkg, v, vs, out);
        free(vs);
    }
}

static size_t pin_family(const struct pipselect_input *in, const struct pep508_req *reqs,
                         size_t n, struct pipselect_result *out, char **chosen_torch)
{
    struct pkg torch = { .name = "torch" };
    for (size_t i = 0; i < n; i++)
        if (!reqs[i].url && !strcmp(reqs[i].norm_name, "torch"))
            pkg_add_req(&torch, &reqs[i], i);
    collect(in, &torch);
    filter(in, &torch);
    struct comp *comps;
    size_t nc = gather_comps(in, reqs, n, &comps), nerr = 0;
    char *err = early_error(in, &torch, comps, nc), *why = NULL;
    const struct pep440 *t = NULL;
    size_t paired = 0, last = 0;
    for (size_t c = 0; c < nc; c++)
        if (comps[c].state == COMP_PAIRED)
            paired++, last = c;
    if (!err && (torch.nreq || paired))
        t = choose_torch(in, &torch.filtered, comps, nc, &why);
    if (!err && !t && paired) {
        /* torch not asked for and none on the page goes: one companion
         * still has its newest (pip finds its torch elsewhere) */
        if (!torch.nreq && paired == 1)
            comps[last].pick = comps[last].pkg.filtered.v[0];
        else
            err = cannot_pin(in, comps, nc, why);
    }
    if (err)
        nerr = fail_all(&torch, comps, nc, err, out);
    else
        pin_chosen(in, &torch, t, comps, nc, out);
    if (!err && t && chosen_torch)
        *chosen_torch = pep440_str(t);
    free(err);
    free(why);
    pkg_free(&torch);
    for (size_t c = 0; c < nc; c++)
        pkg_free(&comps[c].pkg);
    free(comps);
    return nerr;
}

size_t pipselect_pin(const struct pipselect_input *in, const struct pep508_req *reqs,
                     size_t n, struct pipselect_result *out, char **chosen_torch)
{
    if (n)
        memset(out, 0, n * sizeof *out);
    if (chosen_torch)
        *chosen_torch = NULL;
    return pin_family(in, reqs, n, out, chosen_torch);
}

/* The wheel of release v of package p that fits the target (the first). */
static const struct listing_entry *entry_of(const struct pipselect_input *in,
                                            const struct pkg *p, const struct pep440 *v)
{
    for (size_t l = 0; l < in->nlistings; l++)
        for (size_t i = 0; i < in->listings[l].n; i++) {
            const struct listing_entry *e = &in->listings[l].v[i];
            if (!strcmp(e->wheel.norm_name, p->name) && !pep440_cmp(&e->wheel.version, v) &&
                wheel_compatible(&e->wheel, in->target))
                return e;
        }
    return NULL;
}

size_t pipselect_unpaired(const struct pipselect_input *in, const struct pep508_req *reqs,
                          size_t n, size_t max_per_package, const struct listing_entry ***out)
{
    struct comp *comps;
    size_t nc = gather_comps(in, reqs, n, &comps), k = 0;
    *out = NULL;
    for (size_t c = 0; c < nc; c++) {
        const struct pkg *p = &comps[c].pkg;
        for (size_t i = 0, taken = 0; i < p->filtered.n && taken < max_per_package; i++) {
            const struct pep440_specset *spec;
            struct pep440_specset tmp = { 0 };
            enum pippair_kind kind = pair_of(in, p, p->filtered.v[i], &spec, &tmp);
            pep440_specset_free(&tmp);
            const struct listing_entry *e = kind == PAIR_UNKNOWN
                                                ? entry_of(in, p, p->filtered.v[i]) : NULL;
            if (!e)
                continue;
            *out = xrealloc(*out, (k + 1) * sizeof **out);
            (*out)[k++] = e;
            taken++;
        }
    }
    for (size_t c = 0; c < nc; c++)
        pkg_free(&comps[c].pkg);
    free(comps);
    return k;
}

void pipselect_results_free(struct pipselect_result *r, size_t n)
{
    if (!r)
        return;
    for (size_t i = 0; i < n; i++) {
        free(r[i].requirement);
        free(r[i].error);
        r[i].requirement = r[i].error = NULL;
    }
}
