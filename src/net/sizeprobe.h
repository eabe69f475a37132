/* sizeprobe.h — the size of remote files, asked cheaply before deciding to
 * download them (the prefetch threshold, src/pip/prefetch.h).
 *
 * Each URL gets one GET with "Range: bytes=0-0", all at once on one libuv
 * loop and one libcurl multi handle (curluv.h; easy options from httpeasy.h
 * with the limits of struct fetch_opts: timeouts, redirect policy, user
 * agent). The answer, after redirects:
 *   206  the total of its Content-Range ("bytes 0-0/TOTAL") is the size, and
 *        the server takes ranges (ranges = 1); "*" leaves the size unknown;
 *   200  the server ignores ranges: its Content-Length is the size (the
 *        transfer is stopped at the first body byte, never read whole);
 *        without one the size stays unknown;
 *   anything else, or a connection error or timeout: an error.
 * At most one byte of body is read per URL.
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
    int ranges;                /* the server answered the range with 206 */
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
