/* pipselect.c — see pipselect.h. */
#include "pipselect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static void pin_pkg(const struct pkg *p, const struct pep440 *v, const char *vstr,
                    struct pipselect_result *out)
{
    for (size_t i = 0; i < p->nreq; i++)
        out[p->idx[i]].requirement = pin_text(p->reqs[i], vstr, v);
}

/* ---- the torch family ---- */

/* Which companion wheel goes with torch t? NULL with *why when none. */
static const struct pep440 *companion(const struct pipselect_input *in, const struct pkg *comp,
                                      enum pairing_pkg c, const struct pep440 *t, char **why)
{
    const char *cname = pairing_pkg_name(c);
    char *tstr = pep440_str(t);
    const struct pairing_row *row = pep440_is_pre(t) ? NULL : pairing_by_torch(in->pairing, t);
    const struct pep440 *found = NULL;

    if (row) {
        const struct pep440 *want = &row->version[c];
        for (size_t i = 0; i < comp->filtered.n && !found; i++)
            if (pep440_cmp_public(comp->filtered.v[i], want) == 0)
                found = comp->filtered.v[i];
        if (!found) {
            int on_page = 0;
            for (size_t i = 0; i < comp->cands.n; i++)
                if (pep440_cmp_public(comp->cands.v[i], want) == 0)
                    on_page = 1;
            char *spec = spec_text(comp);
            if (on_page)
                *why = xasprintf("torch %s goes with %s %s, which does not satisfy %s%s", tstr,
                                 cname, row->text[c], cname, spec);
            else
                *why = xasprintf("torch %s goes with %s %s, which has no %s%swheel for %s on "
                                 "this mirror",
                                 tstr, cname, row->text[c], vword(in),
                                 has_variant(in->variant) ? " " : "", in->target->label);
            free(spec);
        }
    } else if (pep440_is_dev(t)) {
        /* nightlies: companions built the same day; same release line when
         * the table knows the release */
        struct pep440 base = { 0 };
        base.epoch = t->epoch;
        base.release = t->release;
        base.nrelease = t->nrelease;
        const struct pairing_row *brow = pairing_by_torch(in->pairing, &base);
        for (size_t i = 0; i < comp->filtered.n && !found; i++) {
            const struct pep440 *v = comp->filtered.v[i];
            if (pep440_is_dev(v) && v->dev == t->dev &&
                (!brow || pep440_cmp_base(v, &brow->version[c]) == 0))
                found = v;
        }
        if (!found)
            *why = xasprintf("no %s nightly built the same day (dev%llu) as torch %s is on "
                             "this mirror",
                             cname, t->dev, tstr);
    } else {
        *why = xasprintf("no %s release is known to go with torch %s (no row for it in the "
                         "pairing table)",
                         cname, tstr);
    }
    free(tstr);
    return found;
}

static const char *const pkg_order[PAIRING_NPKG] = { "torch", "torchvision", "torchaudio" };

static size_t pin_family(const struct pipselect_input *in, const struct pep508_req *reqs,
                         size_t n, struct pipselect_result *out, char **chosen_torch)
{
    struct pkg fam[PAIRING_NPKG];
    memset(fam, 0, sizeof fam);
    int any = 0;
    for (int c = 0; c < PAIRING_NPKG; c++)
        fam[c].name = pkg_order[c];
    for (size_t i = 0; i < n; i++) {
        enum pairing_pkg c = pairing_pkg_of(reqs[i].norm_name);
        if (c == PAIRING_NONE || reqs[i].url)
            continue;
        pkg_add_req(&fam[c], &reqs[i], i);
        any = 1;
    }
    if (!any)
        return 0;

    char *err = NULL;
    for (int c = 0; c < PAIRING_NPKG; c++) {
        collect(in, &fam[c]);
        filter(in, &fam[c]);
    }
    for (int c = 0; c < PAIRING_NPKG && !err; c++)
        err = variant_conflict(in, &fam[c]);

    /* torch's page may be missing when only companions were asked for:
     * then walk the pairing table instead */
    struct vlist table_torch = { 0 };
    int virtual_torch = fam[PAIRING_TORCH].nreq == 0 && fam[PAIRING_TORCH].present == 0;
    if (virtual_torch && in->pairing)
        for (size_t r = 0; r < in->pairing->n; r++)
            vlist_add(&table_torch, &in->pairing->rows[r].version[PAIRING_TORCH]);
    const struct vlist *torches = virtual_torch ? &table_torch : &fam[PAIRING_TORCH].filtered;

    if (!err && !virtual_torch && fam[PAIRING_TORCH].filtered.n == 0)
        err = no_match_msg(in, &fam[PAIRING_TORCH]);
    for (int c = 1; c < PAIRING_NPKG && !err; c++)
        if (fam[c].nreq && fam[c].filtered.n == 0)
            err = no_match_msg(in, &fam[c]);

    const struct pep440 *chosen = NULL, *comp[PAIRING_NPKG] = { 0 };
    char *first_why = NULL;
    for (size_t i = 0; i < torches->n && !err && !chosen; i++) {
        const struct pep440 *t = torches->v[i];
        int ok = 1;
        for (int c = 1; c < PAIRING_NPKG && ok; c++) {
            if (!fam[c].nreq)
                continue;
            char *why = NULL;
            comp[c] = in->pairing ? companion(in, &fam[c], (enum pairing_pkg)c, t, &why) : NULL;
            if (!comp[c]) {
                ok = 0;
                if (!why)
                    why = xstrdup("no pairing table loaded");
                if (!first_why)
                    first_why = why;
                else
                    free(why);
            }
        }
        if (ok)
            chosen = t;
    }
    if (!err && !chosen) {
        char *names = xstrdup("torch");
        for (int c = 1; c < PAIRING_NPKG; c++) {
            if (fam[c].nreq) {
                char *j = xasprintf("%s, %s", names, fam[c].name);
                free(names);
                names = j;
            }
        }
        err = xasprintf("cannot pin %s together for %s%s%s: %s", names, vword(in),
                        has_variant(in->variant) ? " " : "", in->target->label,
                        first_why ? first_why : "no torch release to pair with");
        free(names);
    }
    free(first_why);

    size_t nerr = 0;
    if (err) {
        for (int c = 0; c < PAIRING_NPKG; c++)
            for (size_t i = 0; i < fam[c].nreq; i++) {
                out[fam[c].idx[i]].error = xstrdup(err);
                nerr++;
            }
        free(err);
    } else {
        char *tstr = pep440_str(chosen);
        if (virtual_torch && has_variant(in->variant)) {
            char *full = xasprintf("%s+%s", tstr, in->variant);
            free(tstr);
            tstr = full;
        }
        pin_pkg(&fam[PAIRING_TORCH], chosen, tstr, out);
        for (int c = 1; c < PAIRING_NPKG; c++) {
            if (!fam[c].nreq)
                continue;
            char *cs = pep440_str(comp[c]);
            pin_pkg(&fam[c], comp[c], cs, out);
            free(cs);
        }
        if (chosen_torch)
            *chosen_torch = tstr;
        else
            free(tstr);
    }
    vlist_free(&table_torch);
    for (int c = 0; c < PAIRING_NPKG; c++)
        pkg_free(&fam[c]);
    return nerr;
}

/* ---- everything else ---- */

static void pin_other(const struct pipselect_input *in, const struct pep508_req *reqs, size_t n,
                      size_t i, struct pipselect_result *out)
{
    struct pkg p = { 0 };
    p.name = reqs[i].norm_name;
    for (size_t j = 0; j < n; j++)
        if (!reqs[j].url && strcmp(reqs[j].norm_name, p.name) == 0)
            pkg_add_req(&p, &reqs[j], j);
    collect(in, &p);
    filter(in, &p);
    if (p.filtered.n) {
        char *vs = pep440_str(p.filtered.v[0]);
        out[i].requirement = pin_text(&reqs[i], vs, p.filtered.v[0]);
        free(vs);
    }
    pkg_free(&p);
}

size_t pipselect_pin(const struct pipselect_input *in, const struct pep508_req *reqs,
                     size_t n, struct pipselect_result *out, char **chosen_torch)
{
    if (n)
        memset(out, 0, n * sizeof *out);
    if (chosen_torch)
        *chosen_torch = NULL;
    size_t nerr = pin_family(in, reqs, n, out, chosen_torch);
    if (!has_variant(in->variant))
        return nerr;
    for (size_t i = 0; i < n; i++)
        if (!reqs[i].url && pairing_pkg_of(reqs[i].norm_name) == PAIRING_NONE)
            pin_other(in, reqs, n, i, out);
    return nerr;
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
