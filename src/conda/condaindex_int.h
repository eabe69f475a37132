/* condaindex_int.h — private to condaindex.c and condashards.c (contract in
 * condaindex.h): one part of a channel index (the subdir, or noarch) as it
 * is being fetched, and the filtered index as a fetch product.
 *
 * Ownership: a part owns its idx and error (condaindex.c frees them). */
#ifndef TORCHSHIM_CONDAINDEX_INT_H
#define TORCHSHIM_CONDAINDEX_INT_H

#include <stddef.h>

#include "condaindex.h"

struct ci_part {
    const char *subdir;              /* "linux-64", "noarch" */
    const char *required;            /* a name its index must have, or NULL */
    struct repodata_index idx;
    int have;                        /* idx is filled */
    int from_cache;
    int shards;                      /* filled from CEP 16 shards */
    size_t root;                     /* rq->roots[root] answered */
    char *error;                     /* why it could not be had */
};

/* A struct repodata_index * as a fetch product (fetch.h). */
void ci_index_free(void *p);
int ci_index_save(const void *p, char **blob, size_t *len);
int ci_index_load(const char *blob, size_t len, void **out);
/* Move a job's product into *dst (zeroed when it has none); 0 if there was one. */
int ci_take_product(struct fetch_job *j, struct repodata_index *dst);
/* The root whose URL prefixes url (the longest), 0 when none does. */
size_t ci_root_of(const struct condaindex_request *rq, const char *url);
/* "index-<checksum of NAMES>": the cache tag of products filtered by them. malloc'd. */
char *ci_names_tag(const char *const *names);
/* Keep of each record only the depends selection reads (the wanted names,
 * the variant's and Python's packages): what a cached index holds. */
void ci_prune(struct repodata_index *idx, const char *const *names);
/* Does idx have a record of name for subdir? */
int ci_has_records(const struct repodata_index *idx, const char *name, const char *subdir);

/* condashards.c: fill the parts whose roots serve CEP 16 sharded repodata;
 * others are left as they are (have = 0, error set when the shard path
 * failed for a reason worth a verbose line). */
void ci_shards_fetch(const struct condaindex_request *rq, struct ci_part *parts, size_t nparts,
                     struct condaindex_result *out);

#endif
