/* wheelmeta.h — the core metadata (the METADATA file) of many wheels on a
 * mirror, read cheaply, all at once, through the cache.
 *
 * One call to wheelmeta_run() drives every job on one libuv loop and one
 * libcurl multi handle (curluv.h; easy options from httpeasy.h with the
 * limits of struct fetch_opts: timeouts, low-speed abort, redirect policy,
 * user agent). Every wheel is a small state machine; all wheels' requests
 * are in flight together, at most WHEELMETA_HOST_CONNS per host (the others
 * wait their turn in order).
 *
 * Per wheel, in order:
 *   cache   the text cached for its URL (cache.h blob "wheel-metadata
 *           <url>", validator: wheel_hash or ""): no request at all.
 *           offline = 1 stops here (a miss is an error).
 *   PEP 658 when has_metadata (the listing advertised it, PEP 658/714):
 *           GET <url>.metadata (before any ?query), body at most
 *           WHEELMETA_MAX_METADATA; its digest is checked when
 *           metadata_hash ("sha256=<hex>", any OpenSSL digest name) is
 *           given, and it must look like core metadata (Metadata-Version
 *           and Name fields). Any failure (404, a bad or mismatching file)
 *           falls back to the range method, except a connection failure or
 *           a timeout (the host is down: the wheel fails). The reason is
 *           kept in pep658_error.
 *   range   HTTP range requests on the wheel: the last WHEELMETA_TAIL bytes
 *           (suffix range) hold the end of central directory record (and
 *           the ZIP64 locator); then, for what the tail does not already
 *           hold, the ZIP64 end record, the central directory (at most
 *           WHEELMETA_MAX_CD bytes) and the local header and data of the
 *           top-level <name>-<version>.dist-info/METADATA (zipdir.h:
 *           stored or deflated, CRC-checked). Every range answer must be a
 *           206 whose Content-Range is the range asked for, at most
 *           WHEELMETA_MAX_REQUESTS requests a wheel.
 *           A server that ignores Range answers 200 with the whole file:
 *           the transfer is stopped once it is over WHEELMETA_MAX_WHOLE
 *           bytes (at once when its Content-Length says so) and the wheel
 *           fails with "the server ignores range requests"; a whole file
 *           within that bound is read as is. range_ignored is set either
 *           way.
 * Texts read from the network are stored in the cache (blob, after the
 * loop); cache_dir "" disables the cache. Wheels are immutable, so a cached
 * text is used whatever its age.
 *
 * Quiet: requests and fallbacks are reported with verbosef only; the caller
 * reports job->error. */
#ifndef TORCHSHIM_WHEELMETA_H
#define TORCHSHIM_WHEELMETA_H

#include <stddef.h>

#include "fetch.h"

#define WHEELMETA_TAIL         ((size_t)64 << 10)  /* first suffix range */
#define WHEELMETA_MAX_METADATA ((size_t)8 << 20)   /* METADATA text */
#define WHEELMETA_MAX_CD       ((size_t)32 << 20)  /* central directory */
#define WHEELMETA_MAX_WHOLE    ((size_t)1 << 20)   /* read of a 200 to a range request */
#define WHEELMETA_MAX_REQUESTS 8                   /* HTTP requests per wheel */
#define WHEELMETA_HOST_CONNS   6                   /* transfers at once per host */

enum wheelmeta_method {
    WHEELMETA_NONE = 0,   /* failed */
    WHEELMETA_CACHE,      /* from the cache, no request */
    WHEELMETA_PEP658,     /* the <url>.metadata file */
    WHEELMETA_RANGE,      /* range requests on the wheel */
};

struct wheelmeta_job {
    /* input, owned by the caller */
    const char *url;            /* the wheel: absolute, percent-encoded, no #fragment */
    const char *wheel_hash;     /* "sha256=<hex>" of the wheel (the listing's fragment)
                                   or NULL: the cache validator */
    int has_metadata;           /* the listing advertised <url>.metadata */
    const char *metadata_hash;  /* "sha256=<hex>" of that file, or NULL */
    /* results, owned by the job (wheelmeta_job_clear frees them) */
    char *metadata;             /* the METADATA text, NUL-terminated; NULL on failure */
    size_t len;
    int method;                 /* enum wheelmeta_method */
    int from_cache;             /* method == WHEELMETA_CACHE */
    int range_ignored;          /* a range request was answered with 200 */
    char *error;                /* why the wheel failed */
    char *pep658_error;         /* why an advertised .metadata file was not used */
    long http_status;           /* of the last response */
    unsigned requests;          /* HTTP requests made */
    unsigned long long bytes;   /* response body bytes received */
};

/* Run every job; results go into jobs[] (earlier results are freed first).
 * Returns 0 when every job has its metadata, -1 otherwise. */
int wheelmeta_run(struct wheelmeta_job *jobs, size_t n, const struct fetch_opts *o);

/* The name of a method: "none", "cache", "pep658", "range". */
const char *wheelmeta_method_name(int method);

/* Free a job's results and reset them; the inputs are kept. */
void wheelmeta_job_clear(struct wheelmeta_job *job);

#endif
