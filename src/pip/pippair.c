/* pippair.c — see pippair.h. */
#include "pippair.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "coremeta.h"
#include "msg.h"
#include "pep508.h"

/* The torch requirements that always apply, joined into one specifier. */
static enum pippair_kind torch_spec(const struct coremeta *m, struct pep440_specset *out)
{
    struct strv reqs = STRV_INIT;
    struct buf joined = BUF_INIT;
    coremeta_requirements_for(m, "torch", &reqs);
    for (size_t i = 0; i < reqs.n; i++) {
        struct pep508_req r;
        if (pep508_parse(reqs.v[i], &r, NULL) != PEP508_OK ||
            (r.marker && strstr(r.marker, "extra"))) {
            pep508_free(&r);
            continue;
        }
        char *s = pep440_specset_str(&r.spec);
        if (*s)  /* "torch" alone: any torch */
            buf_addf(&joined, "%s%s", joined.len ? "," : "", s);
        free(s);
        pep508_free(&r);
    }
    int found = reqs.n > 0;
    strv_clear(&reqs);
    enum pippair_kind k = PAIR_ANY;
    if (found && pep440_specset_parse(buf_str(&joined), out, NULL) == 0)
        k = out->n ? PAIR_SPEC : PAIR_ANY;
    buf_free(&joined);
    return k;
}

static struct pippair *push(struct pippairs *p)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = xrealloc(p->v, p->cap * sizeof *p->v);
    }
    struct pippair *e = &p->v[p->n++];
    memset(e, 0, sizeof *e);
    return e;
}

int pippairs_add_metadata(struct pippairs *p, const char *name, const struct pep440 *version,
                          const char *metadata, size_t len, char **err)
{
    struct coremeta m;
    if (coremeta_parse(metadata, len, &m, err))
        return -1;
    char *norm = pep503_normalize(m.name);
    int same = !strcmp(norm, name);
    free(norm);
    if (!same) {
        seterr(err, "the metadata is %s's, not %s's", m.name, name);
        coremeta_free(&m);
        return -1;
    }
    struct pippair *e = push(p);
    e->name = xstrdup(name);
    pep440_copy(&e->version, version);
    e->kind = torch_spec(&m, &e->torch);
    coremeta_free(&m);
    return 0;
}

enum pippair_kind pippairs_lookup(const struct pippairs *p, const char *name,
                                  const struct pep440 *version,
                                  const struct pep440_specset **spec,
                                  struct pep440_specset *tmp)
{
    *spec = NULL;
    for (size_t i = 0; i < p->n; i++) {
        const struct pippair *e = &p->v[i];
        if (!strcmp(e->name, name) && pep440_cmp(&e->version, version) == 0) {
            *spec = e->kind == PAIR_SPEC ? &e->torch : NULL;
            return e->kind;
        }
    }
    enum pairing_pkg pkg = pairing_pkg_of(name);
    if (!p->table || pkg == PAIRING_NONE || pkg == PAIRING_TORCH || pep440_is_pre(version))
        return PAIR_UNKNOWN;
    const struct pairing_row *row = pairing_by_companion(p->table, pkg, version);
    if (!row)
        return PAIR_UNKNOWN;
    char *s = xasprintf("==%s", row->text[PAIRING_TORCH]);
    int r = pep440_specset_parse(s, tmp, NULL);
    free(s);
    if (r)
        return PAIR_UNKNOWN;
    *spec = tmp;
    return PAIR_SPEC;
}

void pippairs_free(struct pippairs *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        pep440_free(&p->v[i].version);
        pep440_specset_free(&p->v[i].torch);
    }
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}
