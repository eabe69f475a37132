/* repodata_int.h — private to the repodata module (repodata.c,
 * repodata_blob.c, repodata_walk.c, repodata_stream.c, shards.c): the
 * arena and intern table behind struct repodata_index, the one place that
 * turns a record (a cJSON object) into a struct repodata_record, and the
 * incremental document walker. Nothing outside these files includes it.
 *
 * Ownership: strings and lists live in the index's arena (idx->arena) and go
 * with repodata_index_free(). A struct rd_tree owns every node of the cJSON
 * trees parsed into it until rd_tree_reset()/rd_tree_drop(). */
#ifndef TORCHSHIM_REPODATA_INT_H
#define TORCHSHIM_REPODATA_INT_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "repodata.h"

/* ---- arena and intern table (repodata.c) ---- */
struct repodata_arena *rd_arena_new(void);
void rd_arena_free(struct repodata_arena *a);
void *rd_arena_alloc(struct repodata_arena *a, size_t n, size_t align);
uint64_t rd_hash_str(const char *s, size_t n);
/* The arena's copy of s[0..n), shared with any equal string before it. */
const char *rd_intern_n(struct repodata_arena *a, const char *s, size_t n);
const char *rd_intern(struct repodata_arena *a, const char *s);   /* NULL stays NULL */
/* A zeroed record appended to idx (idx->recs may move). */
struct repodata_record *rd_index_push(struct repodata_index *idx);

/* ---- records (repodata.c) ---- */
/* Is name[0..len) in the NULL-terminated names (NULL: every name)? */
int rd_name_wanted(const char *name, size_t len, const char *const *names);
/* 1: added to idx; 0: not a wanted name; -1: malformed (*why says which
 * field: a static string). fn is the record's file name (the key). */
int rd_take_record(struct repodata_index *idx, const char *fn, const cJSON *r,
                   const char *const *names, const char **why);

/* Skipped records: the first one's file name and reason, for the warning. */
struct rd_skips {
    const char *first_fn;            /* interned in the index's arena */
    const char *first_why;           /* static */
};
void rd_note_skip(struct repodata_index *idx, struct rd_skips *sk, const char *fn,
                  const char *why);
/* End of a parse: records without their own subdir take info.subdir
 * (wherever "info" was in the document), and one warning says how many
 * records were skipped. */
void rd_finish(struct repodata_index *idx, const struct rd_skips *sk);

/* ---- cJSON trees in a bump arena (repodata.c) ---- */
struct rd_tree {
    struct rd_tree_chunk *chunks;
};
/* cJSON_ParseWithLengthOpts(text, len, end, 0) with every node in t. NULL
 * when the text is not one JSON value (or memory ran out). */
cJSON *rd_tree_parse(struct rd_tree *t, const char *text, size_t len, const char **end);
void rd_tree_reset(struct rd_tree *t);   /* keeps one chunk for the next tree */
void rd_tree_drop(struct rd_tree *t);

/* ---- the document walker (repodata_walk.c) ----
 * Push text in pieces; it keeps nothing of it between calls. Each call
 * consumes the longest prefix made of complete items (a record with its
 * file name, one member of "info", one element of another top-level
 * container, a top-level key or scalar) and returns its length; the caller
 * hands the rest back, followed by more text, in the next call. A single
 * item is never longer than the caller's buffer allows: the caller decides
 * that bound (rd_walk_pending() says when an item is still open). */
struct rd_walk;
struct rd_walk *rd_walk_new(const char *const *names, struct repodata_index *out);
/* Bytes consumed (0..n), or -1 with *err set (invalid JSON, not a
 * repodata document). eof: no text follows this piece. */
long rd_walk_feed(struct rd_walk *w, const char *p, size_t n, int eof, char **err);
/* After the last piece (eof): 0 and out filled (rd_finish done), or -1. */
int rd_walk_end(struct rd_walk *w, char **err);
/* Offset in the document of the first byte not consumed yet. */
unsigned long long rd_walk_offset(const struct rd_walk *w);
/* Frees the walker; on failure also empties out. */
void rd_walk_free(struct rd_walk *w, int failed);

#endif
