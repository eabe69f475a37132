/* wheelpages.h — a wheels mirror's pages for one variant, fetched and read.
 *
 * A find-links site has one flat page per variant (aliyun's
 * pytorch-wheels/cu121/, nginx autoindex); a simple site one PEP 503 page
 * per project (.../cu121/torch/). Pages are fetched concurrently through the
 * cache (fetch.h) and judged on the way in: a page must parse and list
 * wheels of its project (PEP 503) or of the torch family (flat). A page
 * that does not (garbage, a maintenance page, an empty page) is that
 * mirror's fault; one held by the cache that does not is dropped from the
 * cache and fetched again. */
#ifndef TORCHSHIM_WHEELPAGES_H
#define TORCHSHIM_WHEELPAGES_H

#include "config.h"
#include "listing.h"
#include "strv.h"

/* The pages of VARIANT on site S (its nightly template when NIGHTLY) that
 * list PROJECTS (PEP 503 names; a flat site has one page for all). -1 when
 * S has no such wheels. */
int wheelpages_of(const struct site *s, const char *variant, int nightly,
                  const struct strv *projects, struct strv *pages);

/* Fetch PAGES (all of site S) concurrently: 0 with one listing per page in
 * *out (malloc'd array; listing_free each), or -1 with *why. */
int wheelpages_fetch(const struct config *cfg, const struct site *s, const struct strv *pages,
                     struct listing **out, char **why);

/* The same, page by page: out[i] (zeroed by the caller) is filled for each
 * page that came; errors[i] (zeroed) says why for each that did not.
 * Returns how many came. */
size_t wheelpages_fetch_each(const struct config *cfg, const struct site *s,
                             const struct strv *pages, struct listing *out, char **errors);

#endif
