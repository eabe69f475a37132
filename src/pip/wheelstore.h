/* wheelstore.h — the wheel store: where prefetched wheels are kept between
 * installs (README "Prefetch"), and what `torchshim cache` shows and cleans.
 *
 * Where: [prefetch] dir, else <cache dir>/wheels (cache.h), created mode
 * 0700. Layout:
 *   <dir>/<wheel file name>            complete, verified wheels only
 *   <dir>/<name>.part, <name>.part.state   an unfinished download (download.h)
 *   <dir>/.verified/<name>             its stamp (prefetch.h)
 * Only these names are ever touched: a store pointed at a directory with
 * other files leaves them alone.
 *
 * Errors: 0 / -1 with *err (seterr). */
#ifndef TORCHSHIM_WHEELSTORE_H
#define TORCHSHIM_WHEELSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define WHEELSTORE_STAMPS ".verified"
/* <dir>/.links/<id>/: symlinks to verified dependency wheels handed to pip
 * as a --find-links directory (pipdeps.h). */
#define WHEELSTORE_LINKS ".links"

/* The store's directory (malloc'd), or NULL when there is neither a
 * [prefetch] dir nor a cache directory. */
char *wheelstore_dir(const struct config *cfg);
/* <dir>/.verified (malloc'd). */
char *wheelstore_stamps(const char *dir);
/* Create DIR (mode 0700) if missing. */
int wheelstore_prepare(const char *dir, char **err);

enum wheelstore_kind { WS_WHEEL, WS_PART };

struct wheelstore_entry {
    int kind;                  /* enum wheelstore_kind */
    char *name;                /* the wheel's file name (a part: without ".part") */
    unsigned long long bytes;  /* on disk (a part: part file and state) */
    long long mtime;           /* epoch seconds: downloaded (a part: last saved) */
    int64_t done, size;        /* a part: bytes complete and the file's size (-1) */
    int busy;                  /* a part being downloaded right now (locked) */
};

struct wheelstore_info {
    struct wheelstore_entry *v;  /* wheels newest first, then parts by name */
    size_t n;
    size_t nwheels, nparts;
    unsigned long long wheel_bytes, part_bytes;
};

/* Scan DIR. A missing directory is an empty store (0). */
int wheelstore_scan(const char *dir, struct wheelstore_info *si, char **err);
void wheelstore_info_clear(struct wheelstore_info *si);

/* Remove wheels (with their stamps) beyond the newest KEEP (KEEP < 0: no
 * such limit) and those older than OLDER_THAN seconds (< 0: no such
 * limit); with both < 0, every wheel. Unfinished downloads go too, unless
 * busy (and, with OLDER_THAN, unless saved more recently than that); so do
 * stamps without a wheel, and links (WHEELSTORE_LINKS) whose wheel is gone
 * (a link directory left empty goes too). *removed and *freed (either may
 * be NULL) count the files deleted. */
int wheelstore_clean(const char *dir, long long keep, long long older_than, size_t *removed,
                     unsigned long long *freed, char **err);

#endif
