/* shards.h — CEP 16 sharded repodata: the shard index and the shards.
 *
 * A channel subdir that publishes sharded repodata has
 *   <subdir>/repodata_shards.msgpack.zst   the index: zstd-compressed msgpack
 *       { "version": 1,
 *         "info": { "subdir", "base_url", "shards_base_url", "created_at", ... },
 *         "shards": { name: <32 bytes: sha256 of that name's shard> } }
 *   <shards_base_url><sha256 hex>.msgpack.zst   one shard per package name:
 *       { "packages": { file name: record }, "packages.conda": { ... },
 *         "removed": [ file names ] }
 * A record has the fields of a repodata.json record, with "sha256" and
 * "md5" as bytes instead of hex. shards_base_url (and base_url) may be
 * relative: to the index's URL; absent means next to the index.
 *
 * These are pure functions over bodies the caller has fetched:
 *   1. shards_index_parse() the index body;
 *   2. shards_url() for each name wanted: the URL to fetch (NULL when the
 *      channel has no such name);
 *   3. shards_load() each fetched body: it is checked against the sha256
 *      the index names (the hash of the file as served, i.e. of the
 *      compressed bytes, as rattler and prefix.dev write it; a hash of the
 *      decompressed msgpack, which early conda-index wrote, is accepted
 *      too), decompressed, and its records are taken into a struct
 *      repodata_index exactly as repodata_parse() takes records from JSON
 *      (same fields, validation and skipped counting; records without a
 *      subdir get the index's info.subdir). Merge the indexes of several
 *      shards with repodata_index_merge().
 *
 * Bodies may be zstd-compressed (as served) or plain msgpack. Malformed
 * input (bad msgpack, counts larger than the data, a decompressed size
 * over SHARDS_MAX_BYTES, wrong types at the top) is an error; a malformed
 * record is skipped and counted, as in repodata.json.
 *
 * Contract: functions returning int give 0 on success and -1 with *err (a
 * malloc'd message the caller frees) on error. A struct shards_index owns
 * its strings; release it with shards_index_free() (a zeroed one too).
 * Indexes from shards_load()/shards_parse() are released with
 * repodata_index_free(). */
#ifndef TORCHSHIM_SHARDS_H
#define TORCHSHIM_SHARDS_H

#include <stddef.h>

#include "repodata.h"

#define SHARDS_SHA256_LEN 32
#define SHARDS_MAX_BYTES ((size_t)64 << 20)   /* one decompressed index or shard */

struct shards_entry {
    const char *name;
    unsigned char sha256[SHARDS_SHA256_LEN];
};

struct shards_index {
    int version;                     /* "version"; 0 when absent */
    const char *subdir;              /* info.subdir; NULL when absent */
    const char *base_url;            /* info.base_url; NULL when absent */
    const char *shards_base_url;     /* info.shards_base_url; NULL when absent */
    const char *created_at;          /* info.created_at; NULL when absent */
    struct shards_entry *entries;    /* n entries, sorted by name */
    size_t n;
    char *strings;                   /* private: owns every string above */
};

int shards_index_parse(const void *body, size_t len, struct shards_index *out, char **err);

/* The 32-byte sha256 of name's shard, or NULL when the index has no such name. */
const unsigned char *shards_index_hash(const struct shards_index *ix, const char *name);

/* The URL of name's shard: <shards_base_url resolved against index_url>
 * <sha256 hex>.msgpack.zst, malloc'd; NULL when name is not in the index
 * (*err untouched) or the URLs do not resolve (*err set). */
char *shards_url(const struct shards_index *ix, const char *index_url, const char *name,
                 char **err);

/* sha256 as 64 lower-case hex digits and a NUL. */
void shards_hex(const unsigned char sha[SHARDS_SHA256_LEN], char out[2 * SHARDS_SHA256_LEN + 1]);

/* name's shard body, verified against the index, into out (records of
 * `names` only; NULL: all). */
int shards_load(const struct shards_index *ix, const char *name, const void *body, size_t len,
                const char *const *names, struct repodata_index *out, char **err);

/* The same without an index: expect (NULL: no check) is the sha256 the body
 * must have, subdir (may be NULL) the default for records without one. */
int shards_parse(const void *body, size_t len, const unsigned char *expect, const char *subdir,
                 const char *const *names, struct repodata_index *out, char **err);

/* The index reduced to NAMES (NULL-terminated; names it lacks are left
 * out) as plain msgpack, in the index's own shape: shards_index_parse()
 * reads it back. A cache keeps it instead of the whole index. *out is
 * malloc'd. */
int shards_index_pack(const struct shards_index *ix, const char *const *names, char **out,
                      size_t *len);

void shards_index_free(struct shards_index *ix);

#endif
