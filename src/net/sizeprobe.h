/* sizeprobe.h — the size of remote files, asked cheaply before deciding to
 * download them (the prefetch threshold, src/pip/prefetch.h).
 *
 * Each URL gets one HEAD request, all at once on one libuv loop and one
 * libcurl multi handle (curluv.h; easy options from httpeasy.h with the
 * limits of struct fetch_opts: timeouts, redirect policy, user agent). The
 * answer, after redirects:
 *   2xx  its Content-Length is the size (without one: unknown); ranges = 1
 *        when it says "Accept-Ranges: bytes";
 *   405, 501 (a server that refuses HEAD): asked again with a GET of
 *        "Range: bytes=0-0": a 206's Content-Range total ("bytes 0-0/TOTAL")
 *        is the size and ranges = 1; a 200 (ranges ignored) gives its
 *        Content-Length and is stopped at its first body byte;
 *   anything else, or a connection error or timeout: an error.
 * No body is read (at most one byte of the fallback GET).
 *
 * Quiet: requests are traced with verbosef only. */
#ifndef TORCHSHIM_SIZEPROBE_H
#define TORCHSHIM_SIZEPROBE_H

#include <stddef.h>
#include <stdint.h>

#include "fetch.h"

struct size_probe {
    const char *url;           /* input, the caller's */
    /* results (size_probe_clear frees and resets them) */
    int64_t size;              /* bytes, -1 unknown */
    int ranges;                /* the server says it takes byte ranges */
    long status;               /* the final HTTP status, 0 without an answer */
    char *error;               /* malloc'd, NULL when the server answered 200/206 */
};

/* Probe P[0..N) concurrently. O may be NULL (defaults). Returns how many
 * have a known size. */
size_t size_probe_run(struct size_probe *p, size_t n, const struct fetch_opts *o);
void size_probe_clear(struct size_probe *p);

/* The total of a Content-Range header value ("bytes 0-0/1234" -> 1234);
 * -1 when it is "*" or malformed. */
int64_t size_probe_content_range_total(const char *value);

#endif
