/* download.h — fetch big files (wheels, conda packages) fast, resumably and
 * verified: many connections per file, across every mirror that carries it.
 *
 * What: download_run() downloads each struct dl_file to its dest. All files
 * of a call share one libuv loop driving one libcurl multi handle (curluv.h)
 * and a budget of connections; files are started in the order given.
 *
 * How one file is fetched:
 *   - The first request is a ranged GET of the first missing piece on the
 *     first usable mirror: a 206 with Content-Range gives the size and says
 *     ranges work; a 200 means the server ignores ranges: that one stream
 *     then carries the whole file from byte 0 (Content-Length, or the end of
 *     the stream, gives the size).
 *   - With ranges, the missing bytes are cut into pieces (size / (4 x
 *     connections), between min_piece and max_piece; towards the end no more
 *     than what is left divided by the connections, so that the transfers
 *     end together), handed out lowest first to up to `connections`
 *     transfers spread over the mirrors: the next one goes to the mirror
 *     where one more transfer gets the most (its measured per-transfer rate
 *     divided by its transfers + 1: equal mirrors alternate, a slow one gets
 *     few). Connections are reused (HTTP/1.1 keep-alive, never multiplexed:
 *     a per-connection rate cap is what many connections get around).
 *   - Work stealing: when nothing is left to hand out, an idle slot takes the
 *     tail of the transfer that will take longest to finish (only transfers
 *     that have run for a second and are more than 1.5 s from their end; the
 *     split is in proportion to the two rates, the thief getting at least
 *     min_piece); the victim stops at the split (its connection is closed).
 *   - A failed transfer (connection error, timeout, low-speed abort, HTTP
 *     error, short answer) puts its unfinished bytes back to be handed out
 *     again, usually to another mirror. A mirror is dropped for this file
 *     after max_failures consecutive failures (failures at the same moment
 *     count once; each one makes the mirror rest 0.25 s, 0.5 s, 1 s ... before
 *     it is asked again), at once on 404/410 or when it serves another size
 *     than the file's (Content-Range total, or the expected size). A mirror
 *     that ignores ranges is not given pieces; it can still carry the whole
 *     file as one stream when no other mirror is left. The file fails when
 *     no mirror is left.
 *   - Bytes are written with pwrite into `<dest>.part`, preallocated to the
 *     size (fallocate; ENOSPC fails the file early); each transfer buffers at
 *     most DL_CONN_BUFFER bytes, so memory does not grow with the file.
 *
 * Resume: `<dest>.part.state` (partfile.h) lists the complete ranges, the
 * size, the expected digests and each mirror's ETag/Last-Modified. It is
 * rewritten atomically (after an fdatasync of the part file, on libuv's
 * thread pool) every state_interval_ms and whenever 0.5% of the file more is
 * complete, and at the end when the file is left unfinished (failure,
 * SIGINT/SIGTERM). A later call for the same dest asks only for the missing
 * ranges. It starts over when the state does not match: another expected
 * size or digest, a part file of the wrong size, the first mirror answering
 * with another size, or that mirror's ETag (else Last-Modified) differing
 * from the one recorded. The part file is locked (flock) while a process
 * downloads it: a second process gets an error instead of corrupting it.
 *
 * Verify, before the file is used: the size, SHA-256 (hashed in order on the
 * thread pool while the download runs, the rest at the end), MD5 when only
 * that was given, and the archive check of verify.h chosen by dest's name
 * (.whl lists *.dist-info/METADATA; .conda, .tar.bz2 open). A file that
 * fails is deleted with its part and state, never renamed into place; a good
 * one is fsynced and renamed from `<dest>.part` to dest (replacing it).
 *
 * Limits from struct fetch_opts (fetch.h): connect timeout, low-speed abort,
 * redirect policy, user agent, offline (fails at once). total_timeout_ms
 * applies to each request only when set (> 0): a piece of a big file may
 * well take longer than the 30 s default meant for indexes. A mirror's
 * redirect is followed once: its later requests go straight to where it led
 * (back to the mirror's own URL after a failure).
 *
 * Progress: with progress set, quiet unset and stderr a terminal, one
 * self-updating line per file in flight (progress.h), erased at the end.
 * Nothing else is printed; requests and failures go to verbosef.
 *
 * Signals: unless no_signals, SIGINT and SIGTERM are caught for the duration
 * of the call (the previous handlers are restored): transfers stop, every
 * unfinished file's state is saved, DL_INTERRUPTED is returned with the
 * signal in *signo. The caller decides whether to exit (128 + signal).
 *
 * Ownership: the caller owns the inputs of struct dl_file (they must live
 * during the call); the results in it are malloc'd and freed by
 * dl_file_clear (download_run clears earlier results first). */
#ifndef TORCHSHIM_DOWNLOAD_H
#define TORCHSHIM_DOWNLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

#define DL_DEFAULT_CONNECTIONS 8
#define DL_DEFAULT_MIN_PIECE   ((int64_t)1 << 20)    /* 1 MiB */
#define DL_DEFAULT_MAX_PIECE   ((int64_t)64 << 20)   /* 64 MiB */
#define DL_DEFAULT_MAX_FAILURES 3
#define DL_DEFAULT_STATE_MS    500
#define DL_CONN_BUFFER         ((size_t)256 << 10)   /* per transfer */

struct dl_file {
    /* what to fetch */
    const char *const *urls;   /* the same file on several mirrors, best first */
    size_t nurls;
    const char *dest;          /* where it goes; its directory is created */
    int64_t size;              /* expected size in bytes; <= 0: unknown */
    const char *sha256;        /* expected digest in hex, or NULL */
    const char *md5;           /* expected digest in hex, or NULL (conda) */
    int no_archive_check;      /* 1: skip the .whl/.conda/.tar.bz2 check */
    const char *name;          /* for the progress line; NULL: dest's base name */

    /* results (dl_file_clear frees and resets them) */
    int ok;                    /* dest is in place and verified */
    char *error;               /* why not (malloc'd), NULL when ok */
    char sha256_got[65];       /* SHA-256 of the file, hex ("" if not computed) */
    int64_t bytes;             /* the file's size (-1 unknown) */
    int64_t fetched;           /* body bytes received in this call */
    int64_t reused;            /* bytes kept from an earlier, interrupted call */
    int requests;              /* HTTP requests made */
    int mirrors_dropped;
    double seconds;            /* from start to settled */
};

struct dl_opts {
    int connections;           /* per file; 0: DL_DEFAULT_CONNECTIONS */
    int max_connections;       /* all files together; 0: 2 x connections */
    int64_t min_piece;         /* 0: DL_DEFAULT_MIN_PIECE */
    int64_t max_piece;         /* 0: DL_DEFAULT_MAX_PIECE */
    int max_failures;          /* 0: DL_DEFAULT_MAX_FAILURES */
    long state_interval_ms;    /* 0: DL_DEFAULT_STATE_MS */
    const struct fetch_opts *fetch;   /* NULL: defaults */
    int progress;              /* progress lines when stderr is a terminal */
    int quiet;                 /* no progress at all */
    int no_signals;            /* leave SIGINT/SIGTERM alone */
};

enum dl_status { DL_OK = 0, DL_FAILED = -1, DL_INTERRUPTED = -2 };

/* Download FILES[0..N). DL_OK when every file is in place and verified;
 * DL_FAILED when some is not (each file's error says why; *err sums up);
 * DL_INTERRUPTED after SIGINT/SIGTERM (*signo set when SIGNO is not NULL;
 * unfinished files keep their part and state). O may be NULL. */
int download_run(struct dl_file *files, size_t n, const struct dl_opts *o, int *signo,
                 char **err);

/* Free a file's results and reset them; the inputs are kept. */
void dl_file_clear(struct dl_file *f);

#endif
