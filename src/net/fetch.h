/* fetch.h — fetch every index a resolution needs, concurrently, through the
 * on-disk cache.
 *
 * One call to fetch_run() drives all its jobs at once: one libuv loop, one
 * libcurl multi handle (connections, DNS and TLS sessions shared, easy
 * handles pooled for the run), decompression and cache writes on libuv's
 * thread pool so they overlap the remaining transfers.
 *
 * A job is one logical resource available on several mirrors (urls, in
 * priority order):
 *   race = 0  mirrors are tried one after another;
 *   race = 1  all mirrors start at once, the first complete good answer wins
 *             and the other transfers are cancelled.
 * A mirror fails on a connection error, a timeout, a too-slow transfer, an
 * HTTP status other than 2xx/304, a body over the size cap, a body that
 * does not decompress, or a body the job's check rejects (garbage, a
 * maintenance page, the wrong shape: the mirror's fault, so the other
 * mirrors go on; in a race the first *good* answer wins); the job fails
 * when every mirror has failed.
 *
 * FETCH_REPODATA: urls[i] ends in ".../repodata.json" (any other URL is
 * fetched as is). Each mirror is asked
 * for repodata.json.zst, then .bz2, then .json, moving on within a mirror
 * only on 404/410 (anything else moves to the next mirror). Which one a site
 * (scheme://host/path of the channel) served is remembered in
 * <cache_dir>/repodata-variants.memo, so the next run asks for it first.
 * The body handed back is always the decompressed JSON.
 * FETCH_RAW: urls[i] is fetched as is (Content-Encoding is decoded).
 *
 * Cache (cache.h), keyed by urls[i] (with prefer_first, only the first
 * mirror's fresh entry is used without asking: later mirrors' entries are
 * revalidated while the first is asked again): only bodies that passed the job's check
 * are stored, and only the winner's in a race (the first body of the job
 * to pass its check claims the job before anything is written; a body
 * that loses is freed without being stored); an entry younger than ttl_secs is used
 * without any network; an older one is revalidated (If-None-Match,
 * If-Modified-Since) and a 304 reuses its body. If every mirror fails and a
 * stale entry exists, the stale body is used (with a warning). offline = 1
 * uses the cache whatever its age and never touches the network.
 *
 * Redirects: at most 5, to https only; with allow_http, a transfer whose
 * URL is http:// (some mirrors only have that) may be redirected to http://
 * too, per site: an https mirror racing an http one never downgrades. Proxies come from the usual
 * environment variables (libcurl).
 *
 * Progress: with progress set and stderr a terminal, a run lasting over
 * half a second shows one self-overwriting line, erased at the end.
 *
 * Quiet otherwise: attempts are reported with verbosef; the caller reports
 * job->error. */
#ifndef TORCHSHIM_FETCH_H
#define TORCHSHIM_FETCH_H

#include <stddef.h>

enum fetch_kind { FETCH_RAW = 0, FETCH_REPODATA = 1 };

/* Defaults used for fields left 0 (a negative low_speed_* turns the
 * low-speed abort off). */
#define FETCH_DEFAULT_CONNECT_MS   3000
#define FETCH_DEFAULT_TOTAL_MS     30000
#define FETCH_DEFAULT_LOW_SPEED    1024   /* bytes/s ... */
#define FETCH_DEFAULT_LOW_SECS     6      /* ... for this long aborts a transfer */
#define FETCH_MAX_DOWNLOAD ((size_t)128 << 20)  /* bytes on the wire, per transfer */
#define FETCH_MAX_BODY     ((size_t)256 << 20)  /* bytes after decompression */

struct fetch_opts {
    long connect_timeout_ms;
    long total_timeout_ms;            /* per transfer */
    long low_speed_bytes, low_speed_secs;
    long ttl_secs;                    /* 0: CACHE_DEFAULT_TTL; < 0: always revalidate */
    int allow_http;                   /* http:// sites may redirect to http:// */
    int progress;
    const char *cache_dir;            /* NULL: cache_dir_default(); "" : no cache */
    const char *user_agent;           /* NULL: "torchshim/VERSION" */
    int offline;
};

struct fetch_job {        /* one logical resource */
    const char *name;                 /* for messages: "pytorch/win-64 repodata" */
    const char *const *urls;          /* the same resource on several mirrors, */
    size_t nurls;                     /* in priority order */
    int kind;                         /* enum fetch_kind */
    int race;                         /* 1: all mirrors at once; 0: in order */
    const char *accept;               /* Accept header value, or NULL */
    /* Optional: judge a (decompressed) body before it is accepted or cached.
     * Runs on a worker thread: must be thread-safe. 0 accepts, and may leave
     * a product (e.g. the parsed index) in *product; -1 rejects with *why. */
    int (*check)(const char *body, size_t len, const char *url, void *ctx, void **product,
                 char **why);
    void *check_ctx;
    void (*product_free)(void *product);
    /* Optional, for large indexes read by the check itself:
     * encoded = 1: the check gets the body as it came off the wire (e.g.
     *   zstd: its reader decompresses it as a stream); nothing is
     *   decompressed here and FETCH_MAX_BODY does not apply (the check
     *   bounds what it reads; FETCH_MAX_DOWNLOAD still does).
     * product_save: the cache keeps product_save(product) (a compact form)
     *   instead of the body, and the job's body is that form; a cached
     *   entry is handed back through product_load (the job's product is
     *   then set too), and one that does not load is dropped and fetched
     *   again. Both run on the loop thread or a worker: thread-safe.
     * cache_tag: the cache key is "urls[i]#cache_tag" (products of
     *   different checks of one URL are kept apart). */
    int encoded;
    int (*product_save)(const void *product, char **blob, size_t *len);
    int (*product_load)(const char *blob, size_t len, void **product);
    const char *cache_tag;
    /* spool = 1 (with check_fd and product_save; implies encoded): the body
     * is written to an unlinked temporary file as it arrives (in the cache
     * directory, else $TMPDIR or /tmp), never held in memory, and check_fd
     * reads it from fd (offset 0, len bytes) instead of check. A body whose
     * spooling fails (disk full) continues in memory and goes to check. */
    int spool;
    int (*check_fd)(int fd, size_t len, const char *url, void *ctx, void **product, char **why);
    /* prefer_first = 1: a fresh cache entry skips the network only when it
     * is the first mirror's (a bad answer is not remembered: the preferred
     * mirror is asked again, and wins again once it is healthy). */
    int prefer_first;
    /* results, owned by the job (fetch_job_clear frees them) */
    char *body;                       /* NUL-terminated; NULL if the job failed */
    size_t len;
    char *url_used;                   /* URL asked for (e.g. ...json.zst; redirects
                                         are followed from it) or, from the cache,
                                         the URL the cached body came from */
    int from_cache;                   /* body from the cache (fresh, 304, offline, stale) */
    int revalidated;                  /* a 304 confirmed the cached body */
    long http_status;                 /* of the answer used, or of the last failure */
    void *product;                    /* check's product for a body fetched in this
                                         run (NULL from the cache: it passed before) */
    char *error;                      /* why the job failed: every mirror's reason */
    double seconds;                   /* wall time until the job was settled */
    double decompress_seconds;        /* of that, spent decompressing (thread pool) */
    double check_seconds;             /* of that, spent in the winner's check */
};

/* Run every job; results are written into jobs[] (earlier results are
 * freed first). Returns 0 if every job has a body, -1 otherwise. */
int fetch_run(struct fetch_job *jobs, size_t n, const struct fetch_opts *o);

/* Free a job's results and reset them; name/urls/kind/race are kept. */
void fetch_job_clear(struct fetch_job *job);

#endif
