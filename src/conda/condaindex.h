/* condaindex.h — the records a selection needs from one conda channel, for
 * one subdir and the channel's noarch, from several mirrors at once.
 *
 * For each of <root>/<subdir>/repodata.json and <root>/noarch/repodata.json
 * one fetch job races the roots (fetch.h: the first answer that passes the
 * check wins; .zst, then .bz2, then plain, per mirror). A body is spooled
 * to a temporary file as it arrives (fetch's spool: not held in memory);
 * the check runs on fetch's worker threads and reads it as it came off the
 * wire with the streaming reader (repodata_scan_fd): the decompressed
 * document is never held, only the records whose names are wanted are built, and at
 * most CONDAINDEX_MAX_BYTES of decompressed text are read (on top of
 * fetch's FETCH_MAX_DOWNLOAD on the wire). A body is refused, and that
 * mirror only is out of the race, when it is not a repodata document (a
 * maintenance page, garbage, the wrong JSON shape, a truncated or
 * corrupt compressed stream), when its info.subdir names another subdir,
 * or, for the subdir, when it has no record of `required` (a channel
 * index with "packages": {} or without pytorch is not a mirror of the
 * channel). A losing or refused body is freed as soon as it is judged.
 *
 * The check's product, the filtered index, is what the caller gets (no
 * second parse), and what the cache keeps: its compact form
 * (repodata_index_serialize, a few KB) under the URL plus a tag naming
 * the wanted names, with the upstream validators (ETag, Last-Modified), so
 * a warm run reads kilobytes and a revalidation (304) reuses it; a cached
 * form that does not load is dropped and fetched again. Nothing that failed
 * the check is ever cached.
 *
 * CEP 16 (shards = 1): <root>/<subdir>/repodata_shards.msgpack.zst is asked
 * of the roots first (raced, checked: a shard index); when one answers,
 * only the wanted names' shards are fetched, from that root, each checked
 * against the sha256 the index names and cached by content (a shard never
 * changes). When no root serves a shard index (404 everywhere), that is
 * remembered for CONDAINDEX_NOSHARDS_TTL seconds and the full index is
 * read as above.
 *
 * Contract: condaindex_fetch() returns 0 with out->idx filled (the subdir's
 * records merged with noarch's; noarch missing is not an error) and
 * out->root the root that answered for the subdir, or -1 with out->error
 * (every mirror's reason). Nothing is printed (verbosef aside). Release
 * with condaindex_result_free() (safe on a zeroed result). */
#ifndef TORCHSHIM_CONDAINDEX_H
#define TORCHSHIM_CONDAINDEX_H

#include <stddef.h>

#include "fetch.h"
#include "repodata.h"

#define CONDAINDEX_MAX_BYTES (1ULL << 30)       /* decompressed repodata text read */
#define CONDAINDEX_NOSHARDS_TTL (24L * 3600)   /* "no shard index here", remembered */

struct condaindex_request {
    const char *channel;             /* "pytorch", "conda-forge": for messages */
    const char *const *roots;        /* channel roots (".../pytorch"), in priority order */
    size_t nroots;
    const char *subdir;              /* "linux-64" */
    const char *const *names;        /* NULL-terminated: the names to keep */
    const char *required;            /* the subdir must have records of this name, or NULL */
    int shards;                      /* try CEP 16 sharded repodata first */
    const struct fetch_opts *fo;
};

struct condaindex_result {
    struct repodata_index idx;
    size_t root;                     /* roots[root] answered for the subdir */
    char *error;                     /* on failure: why, every mirror's reason */
    int from_cache;                  /* the subdir's index came from the cache */
    int used_shards;                 /* ... from CEP 16 shards */
    double fetch_s, parse_s;         /* wall time of the fetches; the winners' checks */
};

int condaindex_fetch(const struct condaindex_request *rq, struct condaindex_result *out);
void condaindex_result_free(struct condaindex_result *r);

#endif
