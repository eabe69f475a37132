/* partfile.h — the resume state of a download: `<dest>.part.state`, kept
 * beside the part file `<dest>.part` that the bytes are written into.
 *
 * The state says which byte ranges of the part file are complete and what
 * they belong to: the file's size, the digests the caller expected (a
 * different expectation means a different file: start over) and, for each
 * mirror URL that answered, its ETag and Last-Modified (a changed validator
 * means the file changed on that mirror: start over).
 *
 * Format (text, one record a line, fields separated by one TAB, no TAB or
 * newline inside a field; "-" stands for an absent value):
 *     torchshim-part 1
 *     size\t<bytes>
 *     sha256\t<hex>|-
 *     md5\t<hex>|-
 *     mirror\t<url>\t<etag>|-\t<last-modified>|-     (zero or more)
 *     done\t<start>\t<end>                           (zero or more, [start, end))
 * Unknown record names are skipped (a newer writer may add some); anything
 * else malformed rejects the whole state.
 *
 * The writer must only list ranges whose bytes are already on disk in the
 * part file (download.c flushes and fdatasyncs the part file first).
 *
 * Ownership: a part_state owns its strings and range set; a zeroed struct is
 * empty (size -1 after part_state_init). Errors: 0 / -1 with *err (seterr). */
#ifndef TORCHSHIM_PARTFILE_H
#define TORCHSHIM_PARTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "rangeset.h"

#define PART_SUFFIX  ".part"
#define STATE_SUFFIX ".part.state"
#define PART_STATE_MAX ((size_t)1 << 20)  /* a longer state file is not ours */

struct part_validator {
    char *url;
    char *etag;                /* NULL: none */
    char *last_modified;       /* NULL: none */
};

struct part_state {
    int64_t size;              /* -1: unknown (then done is empty) */
    char sha256[65];           /* lower-case hex, "" when not expected */
    char md5[33];
    struct part_validator *val;
    size_t nval;
    struct rangeset done;
};

void part_state_init(struct part_state *st);
void part_state_clear(struct part_state *st);      /* frees, then as after init */

/* Record (replace) the validators a mirror served. */
void part_state_set_validator(struct part_state *st, const char *url, const char *etag,
                              const char *last_modified);
/* The validators recorded for URL, or NULL. */
const struct part_validator *part_state_validator(const struct part_state *st, const char *url);

/* The state as text (malloc'd, NUL-terminated, *len without the NUL). */
char *part_state_format(const struct part_state *st, size_t *len);
/* Parse TEXT into ST (cleared first). Ranges must lie in [0, size). */
int part_state_parse(const char *text, size_t len, struct part_state *st, char **err);

/* Read PATH: 0, 1 when it does not exist (ST empty), -1 with *err when it
 * cannot be read or is not a valid state. */
int part_state_load(const char *path, struct part_state *st, char **err);
/* Write PATH atomically (file_write_atomic, mode 0644). */
int part_state_save(const char *path, const struct part_state *st, char **err);

#endif
