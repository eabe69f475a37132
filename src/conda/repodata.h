/* repodata.h — a conda channel's repodata.json, reduced to the records
 * torchshim needs, plus a compact binary form of that for the warm cache.
 *
 * Parsing: repodata_parse() walks the JSON text record by record
 * ("packages" and "packages.conda"), copies out the fields below for
 * records whose name is in `names` (a NULL-terminated list; NULL means
 * every record; repodata_default_names is the PyTorch family); a record
 * whose name is not wanted is checked but never built.
 * Strings live in one arena per index and are interned, so the thousands
 * of repeated depends ("python >=3.10,<3.11.0a0") are stored once.
 *
 * A record needs string name/version/build and an integer build_number;
 * depends/constrains (lists of strings), track_features/features (string,
 * or a list joined with ' '), subdir (string; defaults to info.subdir),
 * timestamp and size (numbers, kept as doubles: timestamps are epoch
 * milliseconds and exceed INT_MAX) and md5/sha256 (hex strings, kept in
 * lower case; a digest that is not a string of 32/64 hex digits is left
 * out, never a reason to skip the record) are optional. A record with a missing
 * required field or a mistyped field is skipped and counted in `skipped`
 * (one verbose line per parse says how many and why the first one was);
 * see also repodata_valid_version/_build below.
 *
 * Streaming: repodata_scan_file() and repodata_scan_buffer() read a
 * repodata document from a file or from a body held in memory, plain or
 * compressed (gzip, bzip2, zstd, xz: told by its magic, not by its name),
 * through libarchive in fixed-size chunks, and keep only the records whose
 * name is in `names`. The document is never held whole: memory is one
 * chunk plus one record (bounded: opts->max_item) plus the records kept,
 * whatever the document's size. Unwanted records are only checked, never
 * built (a conda-forge-sized linux-64 file: see bench/conda-forge.sh).
 * For any valid JSON text the index is the one repodata_parse() gives
 * (same validation and skipped counting; info.subdir wherever "info" is). Errors:
 * a document that is not JSON or not repodata, a record longer than
 * max_item, more than max_bytes of text, a corrupt or truncated compressed
 * stream, data with a compressor's magic that does not decode.
 * repodata_load_file() is repodata_scan_file() with the default options.
 *
 * Compact form: repodata_index_serialize() writes a self-contained blob
 * (magic "TSRIDX1\n", format version, CRC-32 over everything after the CRC
 * field, exact payload length, string table, records). Deserializing
 * checks all of these and bounds-checks every offset and count, so a torn,
 * truncated or bit-flipped blob is rejected with a REPODATA_E_* code.
 *
 * Merging: repodata_index_merge() appends another index's records (e.g.
 * the channel's noarch next to linux-64), skipping ones already present
 * (same subdir and filename).
 *
 * Contract: functions returning int give 0 on success and -1 (or a
 * negative REPODATA_E_* code) on error; *err, when asked for, is a
 * malloc'd message the caller frees. An index from any of them is
 * released with repodata_index_free(), which also accepts a zeroed index.
 * Record pointers stay valid until the index is freed (merging into an
 * index may move its `recs` array but never its strings). */
#ifndef TORCHSHIM_REPODATA_H
#define TORCHSHIM_REPODATA_H

#include <stddef.h>

struct repodata_record {
    const char *filename;            /* key in "packages": "pytorch-2.3.1-...tar.bz2" */
    const char *name;
    const char *version;
    const char *build;
    int build_number;
    const char *const *depends;      /* n_depends match specs */
    size_t n_depends;
    const char *const *constrains;
    size_t n_constrains;
    const char *track_features;      /* NULL when absent */
    const char *features;            /* legacy field (old cpuonly builds); NULL when absent */
    const char *subdir;              /* NULL when neither record nor info has one */
    double timestamp;                /* epoch milliseconds; 0 when absent */
    double size;                     /* bytes; 0 when absent */
    const char *md5;                 /* lower-case hex (32 digits); NULL when absent */
    const char *sha256;              /* lower-case hex (64 digits); NULL when absent */
};

struct repodata_arena;               /* private */

struct repodata_index {
    struct repodata_record *recs;
    size_t n;
    size_t cap;                      /* private */
    const char *subdir;              /* info.subdir, NULL if absent */
    size_t skipped;                  /* malformed records left out */
    struct repodata_arena *arena;    /* private: owns every string */
};

/* Version and build strings go into the user's command line ("pytorch=
 * VERSION=BUILD"): a record whose version is not 1..REPODATA_VERSION_MAX
 * characters of [A-Za-z0-9._+!] starting with a letter or digit, or whose
 * build is not 0..REPODATA_BUILD_MAX characters of [A-Za-z0-9._+] (no
 * blank, control character, '-', quote or shell character: nothing that
 * could read as an option or a second word), is malformed and skipped. */
#define REPODATA_VERSION_MAX 64
#define REPODATA_BUILD_MAX 128
int repodata_valid_version(const char *s);
int repodata_valid_build(const char *s);

/* pytorch, torchvision, torchaudio, pytorch-cuda, pytorch-mutex, cpuonly,
 * cudatoolkit, torchtriton; NULL-terminated. */
extern const char *const repodata_default_names[];

int repodata_parse(const char *json, size_t len, const char *const *names,
                   struct repodata_index *out, char **err);
/* The same through one cJSON tree of the whole document. repodata_parse
 * reads record by record (one small tree per wanted record, none for the
 * others) and falls back to this only when the text is not a repodata
 * document, for this one's precise error message; the results are the
 * same. */
int repodata_parse_tree(const char *json, size_t len, const char *const *names,
                        struct repodata_index *out, char **err);
int repodata_load_file(const char *path, const char *const *names,
                       struct repodata_index *out, char **err);

/* Options of the streaming reader; a zeroed struct (or NULL) means the
 * defaults. */
struct repodata_scan_opts {
    size_t chunk;                    /* bytes asked of the decompressor per read
                                        (0: REPODATA_SCAN_CHUNK) */
    size_t max_item;                 /* longest record, with its file name, or
                                        other top-level item (0: REPODATA_SCAN_MAX_ITEM) */
    unsigned long long max_bytes;    /* most document bytes read, after
                                        decompression (0: REPODATA_SCAN_MAX_BYTES) */
};
#define REPODATA_SCAN_CHUNK ((size_t)256 << 10)
#define REPODATA_SCAN_MAX_ITEM ((size_t)1 << 20)
#define REPODATA_SCAN_MAX_BYTES (4ULL << 30)

int repodata_scan_file(const char *path, const char *const *names,
                       const struct repodata_scan_opts *opts,
                       struct repodata_index *out, char **err);
/* The same over a body in memory (e.g. a fetched repodata.json.zst); the
 * body is only read. */
int repodata_scan_buffer(const void *body, size_t len, const char *const *names,
                         const struct repodata_scan_opts *opts,
                         struct repodata_index *out, char **err);
/* The same over an open file, read from its current offset to its end
 * (e.g. a body fetch spooled to a temporary file); the fd is not closed. */
int repodata_scan_fd(int fd, const char *const *names, const struct repodata_scan_opts *opts,
                     struct repodata_index *out, char **err);

enum {
    REPODATA_E_MAGIC = -2,           /* not a torchshim index blob */
    REPODATA_E_VERSION = -3,         /* written by another format version */
    REPODATA_E_TRUNCATED = -4,       /* shorter or longer than its header says */
    REPODATA_E_CHECKSUM = -5,        /* CRC mismatch: torn or corrupted */
    REPODATA_E_CORRUPT = -6,         /* checksum fine but contents inconsistent */
};
const char *repodata_strerror(int code);

int repodata_index_serialize(const struct repodata_index *idx, char **buf, size_t *len);
int repodata_index_deserialize(const char *buf, size_t len, struct repodata_index *out);

/* Append src's records to dst (copying strings); returns how many were
 * added. */
size_t repodata_index_merge(struct repodata_index *dst, const struct repodata_index *src);

/* Keep only the depends about a name in KEEP (NULL-terminated) and no
 * constrains: what a selection reads, and all a cached index needs to
 * hold. Only for an index its reader built (not a deserialized one). */
void repodata_index_prune(struct repodata_index *idx, const char *const *keep);

/* Records named `name`, in index order: fills out[0..max) and returns the
 * total count (call with max 0 to size). */
size_t repodata_find(const struct repodata_index *idx, const char *name,
                     const struct repodata_record **out, size_t max);

void repodata_index_free(struct repodata_index *idx);

#endif
