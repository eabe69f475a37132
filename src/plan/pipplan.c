/* pipplan.c — see pipplan.h. */
#include "pipplan.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "offers.h"
#include "urlmap.h"

/* Is VARIANT worth asking for on this machine? */
static int plausible(const struct detect_result *det, const char *v)
{
    if (!strcmp(v, "cpu"))
        return 1;
    if (!strncmp(v, "cu", 2))
        return det->kind == DETECT_CUDA && cudatable_variant_cuda(v) >= 0;
    if (!strncmp(v, "rocm", 4))
        return det->kind == DETECT_ROCM;
    return 0;
}

/* The mirror's variants and the table's, those this machine may run. */
static void candidates(const struct config *cfg, const struct detect_result *det,
                       const struct pairing_table *pairing, struct strv *out)
{
    struct strv names = STRV_INIT;
    offers_root_variants(cfg, &names);
    for (size_t r = 0; pairing && r < pairing->n; r++)
        for (size_t k = 0; k < pairing->rows[r].variants.n; k++)
            if (strv_find(&names, pairing->rows[r].variants.v[k]) < 0)
                strv_push(&names, pairing->rows[r].variants.v[k]);
    if (strv_find(&names, "cpu") < 0)
        strv_push(&names, "cpu");
    for (size_t i = 0; i < names.n; i++)
        if (plausible(det, names.v[i]))
            strv_push(out, names.v[i]);
    strv_clear(&names);
}

/* Which variant this machine runs best among NAMES (NULL if none): for the
 * note when the mirror lacks it. */
static char *best_of(const struct detect_result *det, const struct cudatable *table,
                     const char *torch, const struct strv *names)
{
    char *v = NULL;
    detect_pick_variant(det, table, torch, (const char *const *)names->v, names->n, &v, NULL);
    return v;
}

static int forced_plan(const struct offers *of, const char *forced, struct pipplan *out,
                       char **err)
{
    const struct offer *o = &of->v[0];
    if (!o->torch)
        return seterr(err, "the wheels mirror '%s' has no torch for %s: %s", of->site->name,
                      forced, o->why ? o->why : "none");
    out->variant = xstrdup(forced);
    out->torch = xstrdup(o->torch);
    return 0;
}

/* Choose among the offers that have a torch. */
static int pick(const struct offers *of, const struct detect_result *det,
                const struct cudatable *table, const struct strv *cands, struct pipplan *out,
                char **err)
{
    struct strv have = STRV_INIT;
    const char *newest = NULL;
    for (size_t i = 0; i < of->n; i++)
        if (of->v[i].torch) {
            strv_push(&have, of->v[i].variant);
            newest = newest ? newest : of->v[i].torch;
        }
    int r = detect_pick_variant(det, table, newest, (const char *const *)have.v, have.n,
                                &out->variant, &out->why);
    if (r == 0) {
        for (size_t i = 0; i < of->n; i++)
            if (!strcmp(of->v[i].variant, out->variant))
                out->torch = xstrdup(of->v[i].torch);
        char *ideal = best_of(det, table, newest, cands);
        if (ideal && strcmp(ideal, out->variant))
            strv_pushf(&out->notes, "this machine runs %s too, but the mirror '%s' has no "
                       "matching torch for it: %s instead", ideal, of->site->name, out->variant);
        free(ideal);
    } else {
        const char *said = NULL;  /* what a variant the mirror serves says, e.g. cpu */
        for (size_t i = 0; i < of->n && !said; i++)
            if (of->v[i].why && strcmp(of->v[i].why, "not served by this site") &&
                !strstr(of->v[i].why, "HTTP 404"))
                said = of->v[i].why;
        seterr(err, "the wheels mirror '%s' has no torch this machine can use: %s",
               of->site->name, said ? said : out->why ? out->why : "none fits");
    }
    strv_clear(&have);
    return r;
}

int pipplan_choose(const struct config *cfg, const struct detect_result *det,
                   const struct cudatable *table, const struct pairing_table *pairing,
                   const char *forced, const struct pep508_req *torch,
                   const struct wheel_target *t, struct pipplan *out, char **err)
{
    memset(out, 0, sizeof *out);
    struct strv cands = STRV_INIT;
    if (forced)
        strv_push(&cands, forced);
    else
        candidates(cfg, det, pairing, &cands);
    struct offers of;
    int r = offers_query(cfg, &cands, torch, 0, t, &of, err);
    strv_extend(&out->warnings, of.warnings.v, of.warnings.n);
    if (r == 0) {
        out->site = of.site;
        r = forced ? forced_plan(&of, forced, out, err) : pick(&of, det, table, &cands, out, err);
        if (r == 0 && forced)
            out->why = xasprintf("%s: asked for", forced);
    }
    offers_free(&of);
    strv_clear(&cands);
    return r;
}

void pipplan_free(struct pipplan *p)
{
    free(p->variant);
    free(p->torch);
    free(p->why);
    strv_clear(&p->notes);
    strv_clear(&p->warnings);
    memset(p, 0, sizeof *p);
}
