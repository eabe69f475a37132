/* offers.h — what the wheels mirrors carry, for planning an install: the
 * variants a mirror has (its root listing: aliyun's pytorch-wheels/ lists
 * cpu/ cu118/ cu121/ ...) and, per variant, the newest torch that matches
 * the request for the target Python and platform. Releases and variants
 * come from the listings, never from a table: a mirror that lags upstream
 * is planned for with what it has.
 *
 * Sites: the [use] wheels sites in order, then the official index; the
 * first that answers at all is the one asked. */
#ifndef TORCHSHIM_OFFERS_H
#define TORCHSHIM_OFFERS_H

#include <stddef.h>

#include "config.h"
#include "pep508.h"
#include "strv.h"
#include "wheelname.h"

struct offer {
    char *variant;
    char *torch;     /* "2.12.0+cu128", the newest match; NULL: none for the target */
    char *why;       /* why there is none (no such page, no wheel matching ...) */
};

struct offers {
    const struct site *site;     /* the site that answered */
    struct offer *v;             /* one per candidate, in their order */
    size_t n;
    struct strv warnings;        /* sites that failed */
};

/* The variants the first answering wheels site's root listing names (the
 * directory above its {variant}), in no particular order. 0, or -1 when no
 * site has such a listing (then the caller probes the variants it knows). */
int offers_root_variants(const struct config *cfg, struct strv *variants);

/* For each of CANDIDATES, the newest torch matching TORCH (NULL: torch, no
 * specifier) for T. 0, or -1 with *err when no site answered at all. */
int offers_query(const struct config *cfg, const struct strv *candidates,
                 const struct pep508_req *torch, int allow_pre, const struct wheel_target *t,
                 struct offers *out, char **err);
void offers_free(struct offers *o);

#endif
