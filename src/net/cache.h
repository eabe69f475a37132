/* cache.h — torchshim's on-disk cache of fetched resources and derived blobs.
 *
 * Where: $TORCHSHIM_CACHE_DIR, else $XDG_CACHE_HOME/torchshim (when
 * absolute), else ~/.cache/torchshim. Directories are created mode 0700,
 * files mode 0600, on first write; reading a cache that does not exist is
 * just a miss.
 *
 * Layout:
 *   <dir>/http/<16 hex>   one fetched resource, named by the hash of its URL
 *   <dir>/blob/<16 hex>   one derived blob, named by the hash of its key
 *   <dir>/NAME.memo        small state files of other modules (fetch.c keeps
 *                         which repodata compression each mirror serves)
 * Every entry is a short text header ("name value" lines, an empty line)
 * followed by the payload; the header records the payload's length and
 * checksum, so a torn, truncated or edited file is detected on read, deleted
 * and reported as a miss.
 *
 * Writes are atomic: a temporary file in the same directory, fsync, rename;
 * after each write, temporary files whose writer was killed are removed.
 * A reader holding the old file keeps reading the old file; two processes
 * writing the same entry at once leave one complete entry behind.
 *
 * Conventions: 0 is success / hit, -1 is failure / miss. Functions taking
 * char **err set it to a malloc'd message on failure (caller frees).
 * Payloads handed out are malloc'd, start at the allocation (so they are
 * suitably aligned for any type) and are followed by a NUL byte. */
#ifndef TORCHSHIM_CACHE_H
#define TORCHSHIM_CACHE_H

#include <stddef.h>

#define CACHE_DEFAULT_TTL 600  /* seconds a fetched resource is used unchecked */
#define CACHE_SUM_HEX 16       /* length of a checksum in hex digits */

/* The cache directory from the environment, as above; NULL when there is
 * none: no absolute TORCHSHIM_CACHE_DIR / XDG_CACHE_HOME / HOME (a relative
 * one never makes a cache in the current directory), or a directory that
 * is not ours or is writable by others (one of ours is made private first).
 * Without a cache everything still works, only slower. Points to a static
 * buffer, recomputed each call. */
const char *cache_dir_default(void);

/* mkdir -p dir (and its http/ and blob/ subdirectories), mode 0700. */
int cache_dir_ensure(const char *dir, char **err);

/* A fast 64-bit checksum of data, as 16 lowercase hex digits + NUL. Not
 * cryptographic: it detects damage and serves as a content validator. */
void cache_checksum(const void *data, size_t len, char out[CACHE_SUM_HEX + 1]);

/* ---- fetched resources, keyed by URL ---- */

struct cache_entry {
    char *url;            /* the key (for repodata: the mirror's .../repodata.json) */
    char *source;         /* URL the body actually came from (.json.zst, ...) */
    char *etag;           /* validators for revalidation; "" when none */
    char *last_modified;
    long long fetched;    /* epoch seconds of the fetch or last 304 */
    char *body;           /* decompressed body, NUL-terminated */
    size_t len;
    char sum[CACHE_SUM_HEX + 1];  /* checksum of body */
};

/* Load the entry for url into *e (zeroed first). 0 on a hit with a verified
 * body; -1 on a miss, a hash collision or a corrupt entry (deleted). */
int cache_lookup(const char *dir, const char *url, struct cache_entry *e);

/* Write e (url, source, etag, last_modified, fetched, body, len) atomically;
 * NULL strings are stored as "" (source as url). Sets e->sum. */
int cache_store(const char *dir, struct cache_entry *e, char **err);

/* Is e younger than ttl_secs at time now (epoch seconds)? An entry from the
 * future (clock change) is not fresh; ttl_secs <= 0 means never fresh. */
int cache_is_fresh(const struct cache_entry *e, long ttl_secs, long long now);

/* Remove the entry for url, if any. */
int cache_remove(const char *dir, const char *url);

void cache_entry_clear(struct cache_entry *e);

/* ---- derived blobs, keyed by any string ---- */

/* Store data under key, tagged with validator (e.g. the checksum of the
 * repodata it was derived from). 0 on success, -1 on failure (a message
 * has been printed with verbosef: a blob is an optimisation). */
int cache_put_blob(const char *cache_dir, const char *key, const char *validator,
                   const void *data, size_t len);

/* 0 and *data, *len on a hit whose validator equals validator; -1 on a miss,
 * a validator mismatch or a corrupt blob (deleted). */
int cache_get_blob(const char *cache_dir, const char *key, const char *validator,
                   char **data, size_t *len);

/* ---- small files of other modules ---- */

/* Write path atomically (temp file in the same directory, fsync, rename),
 * creating its directory (0700) if needed. */
int cache_write_file_atomic(const char *path, const void *data, size_t len, char **err);

/* ---- torchshim cache info | clean ---- */

enum cache_kind { CACHE_HTTP, CACHE_BLOB };

struct cache_item {
    int kind;             /* enum cache_kind */
    char *name;           /* URL, blob key, or the file name when corrupt */
    long long age;        /* seconds since fetched / written */
    unsigned long long bytes;  /* size on disk */
    int corrupt;          /* header unreadable or length wrong */
};

struct cache_info {
    struct cache_item *items;  /* sorted: kind, then name */
    size_t n;
    size_t nhttp, nblob;
    unsigned long long bytes;  /* all items plus memo and temporary files */
};

/* Scan dir. A missing dir is an empty cache (0). */
int cache_info(const char *dir, struct cache_info *ci, char **err);
void cache_info_clear(struct cache_info *ci);

/* Rewritten copies of the user's files live in <cache>/CACHE_REQS_DIR
 * (requirements, "req-*") and <cache>/CACHE_ENVFILES_DIR (environment files)
 * while the real tool reads them; after CACHE_COPIES_KEEP_SECS they may go. */
#define CACHE_REQS_DIR "reqs"
#define CACHE_ENVFILES_DIR "envfiles"
#define CACHE_COPIES_KEEP_SECS 86400
/* A copy younger than this is never removed, not even by a full clean: a
 * tool started a moment ago may still be about to read it. */
#define CACHE_COPIES_MIN_SECS 60

/* Delete entries and blobs older than older_than seconds (all when
 * older_than < 0, memo files included), corrupt entries, temporary
 * files left by crashed writers, and rewritten copies older than
 * older_than (at least CACHE_COPIES_MIN_SECS). Only torchshim's own file names are
 * touched, so a cache dir pointed at $HOME is safe. *removed and *freed
 * (either may be NULL) count what was deleted. */
int cache_clean(const char *dir, long long older_than, size_t *removed,
                unsigned long long *freed, char **err);

#endif
