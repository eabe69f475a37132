/* prefetch.h — big package files (the torch wheel, the pytorch conda
 * package) downloaded before the real tool runs, into the place the tool
 * will take them from; files already there and verified are reused without
 * any request. The boundary the pip path (pipfetch.h) and the conda path
 * call; `torchshim fetch` too.
 *
 * prefetch_files() takes each item's URLs (the same file on several
 * mirrors, best first), expected size and digests, and its destination:
 *   1. reuse: DEST already there and verified (prefetch_have) -> ok, reused,
 *      no request at all;
 *   2. the others, all in one download_run() (download.h: N connections per
 *      file across the mirrors, resumable through DEST.part + .part.state,
 *      SHA-256 / MD5 and the archive check of verify.h before DEST appears,
 *      a failed file deleted, a progress line per file on a terminal).
 *      Just before the first request, before_download(ctx) is called once
 *      (the engine lifts the front end's deadline there: a download may
 *      take long); it is not called when everything was reused.
 * Only complete, verified files ever appear at DEST (the downloader renames
 * the part file into place).
 *
 * Stamps: verifying a 2 GB file means hashing it (seconds). After a file
 * was verified (downloaded, or hashed once), a stamp
 * <stamp_dir>/<DEST's name> records its size, mtime, inode and digests;
 * while they match, the file is taken as verified without hashing again.
 * Without a stamp_dir the file is hashed each time it is looked at (when a
 * digest is expected; without one the archive check decides).
 *
 * Ownership: the inputs of struct prefetch_item are the caller's (they must
 * live during the call); the results are malloc'd (prefetch_item_clear).
 * Nothing is printed but the downloader's progress line; requests go to
 * verbosef. Errors: per item in item->error, summed up in *err. */
#ifndef TORCHSHIM_PREFETCH_H
#define TORCHSHIM_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

struct prefetch_item {
    /* what */
    const char *const *urls;   /* the same file on several mirrors, best first */
    size_t nurls;
    const char *dest;          /* the complete file's path */
    int64_t size;              /* expected bytes; <= 0 unknown */
    const char *sha256;        /* expected hex digest, or NULL */
    const char *md5;           /* expected hex digest, or NULL (conda repodata) */

    /* results (prefetch_item_clear frees and resets them) */
    int ok;                    /* DEST is in place and verified */
    int reused;                /* ... it already was: no request made */
    char *error;               /* why not, NULL when ok */
    char sha256_got[65];       /* the file's SHA-256 when it was computed, else "" */
    int64_t bytes;             /* the file's size, -1 unknown */
    int64_t fetched;           /* body bytes received */
    int64_t resumed;           /* bytes kept from an interrupted earlier download */
    int requests;
    double seconds;
};

struct prefetch_opts {
    int connections;           /* per file; 0: DL_DEFAULT_CONNECTIONS */
    const struct fetch_opts *fetch;   /* connect timeout, low-speed abort, redirects,
                                         user agent, offline; NULL: defaults. Its
                                         total_timeout_ms is not applied to pieces */
    int progress;              /* progress lines when stderr is a terminal */
    int quiet;                 /* none at all */
    const char *stamp_dir;     /* where stamps go; NULL: none */
    void (*before_download)(void *ctx);
    void *ctx;
};

enum prefetch_status { PREFETCH_OK = 0, PREFETCH_FAILED = -1, PREFETCH_INTERRUPTED = -2 };

/* Fetch or reuse ITEMS[0..N). PREFETCH_OK when every item is ok;
 * PREFETCH_FAILED when some is not (each says why; *err sums up);
 * PREFETCH_INTERRUPTED after SIGINT/SIGTERM during the download (*signo
 * set; unfinished files keep their part and state for the next call). */
int prefetch_files(struct prefetch_item *items, size_t n, const struct prefetch_opts *o,
                   int *signo, char **err);
void prefetch_item_clear(struct prefetch_item *it);

/* Is IT's DEST already there and verified (size when known; the expected
 * digests, through the stamp or by hashing; without digests, the archive
 * check)? 1 yes (a stamp is written when STAMP_DIR is set and it had none),
 * 0 no. Never makes a request. */
int prefetch_have(const struct prefetch_item *it, const char *stamp_dir);

/* Record that DEST was verified with these digests (either may be NULL or
 * ""): the stamp <stamp_dir>/<DEST's name>. 0 or -1 with *err. */
int prefetch_stamp_write(const char *stamp_dir, const char *dest, const char *sha256,
                         const char *md5, char **err);

#endif
