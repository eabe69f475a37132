/* probe.h — how fast each mirror answers: a concurrent probe of site × role
 * on one libuv loop and one libcurl multi handle, and saving the winners
 * into the user's [use] section.
 *
 * Each item is one small GET (probe_url says which), all started at once:
 *   wheels  the variant page for "cpu" (<wheels with {variant}=cpu>/)
 *   pypi    the project page of typing-extensions (<pypi>/typing-extensions/):
 *           small, on every PyPI mirror, and a dependency of torch
 *   conda   <conda>/pytorch/noarch/repodata.json (the first channel the site
 *           serves if it has no pytorch)
 *   nvidia  <nvidia>/noarch/repodata.json
 * Each is measured separately (a fresh connection each, no reuse):
 *   latency     time to the first byte of the answer (DNS, connect, TLS and
 *               the server's think time included; redirects add up);
 *   throughput  body bytes / (last byte − first byte), at most
 *               PROBE_MAX_BYTES of the body are read (the rest is not waited
 *               for; the item is still a success).
 * A transfer fails on a connection error, an HTTP status other than 2xx, or
 * when the whole run's deadline (opts.timeout_ms) passes: probe_run returns
 * by then whatever happened, so a dead mirror never holds it up.
 *
 * Nothing here prints, except with TORCHSHIM_VERBOSE (verbosef). */
#ifndef TORCHSHIM_PROBE_H
#define TORCHSHIM_PROBE_H

#include <stddef.h>

#include "config.h"

#define PROBE_MAX_BYTES ((size_t)512 << 10)   /* body bytes read per item */
#define PROBE_DEFAULT_TIMEOUT_MS 5000

enum probe_state {
    PROBE_PENDING = 0,  /* not run yet */
    PROBE_OK,           /* a 2xx answer */
    PROBE_FAILED,       /* connection error or HTTP status: see error */
    PROBE_TIMEOUT,      /* still running when the deadline passed */
};

struct probe_item {
    /* what to ask (owned; set with probe_item_set or probe_plan) */
    char *site;          /* site name, for the table */
    enum role role;
    char *url;
    size_t order;        /* position when planned: ties in probe_sort keep it */
    /* results (probe_run) */
    enum probe_state state;
    long http_status;    /* of the last answer, 0 if none */
    double latency;      /* seconds to the first byte; < 0 if never */
    double total;        /* seconds until done (or given up) */
    size_t bytes;        /* body bytes received */
    int truncated;       /* stopped after PROBE_MAX_BYTES */
    char *error;         /* why it failed ("HTTP 500", "Connection refused") */
    int links_upstream;  /* a wheels page whose links go to download.pytorch.org */
};

struct probe_opts {
    long timeout_ms;          /* the whole run; 0: PROBE_DEFAULT_TIMEOUT_MS */
    long connect_timeout_ms;  /* per transfer; 0 or more than timeout_ms: timeout_ms */
    size_t max_bytes;         /* 0: PROBE_MAX_BYTES */
    const char *user_agent;   /* NULL: "torchshim/VERSION" */
};

/* The URL that probes SITE for ROLE (malloc'd), or NULL when the site does
 * not serve the role. */
char *probe_url(const struct site *s, enum role r);

/* Fill one item (copies the strings; results reset). */
void probe_item_set(struct probe_item *it, const char *site, enum role r, const char *url);

/* Items for every configured site × role it serves, in config order (only
 * the sites named in ONLY when nonly > 0; unknown names are an error: -1
 * with *err set). in_use = 1: only the sites [use] picks for each role, in
 * [use] order. Returns the count; *out is malloc'd (probe_items_free). */
long probe_plan(const struct config *c, int in_use, char *const *only, size_t nonly,
                struct probe_item **out, char **err);

/* Run every item at once and wait for all of them, or the deadline.
 * Returns the number that answered (PROBE_OK), or -1 when the event loop
 * or curl could not be set up (*err set; items untouched). */
long probe_run(struct probe_item *items, size_t n, const struct probe_opts *o, char **err);

void probe_items_free(struct probe_item *items, size_t n);

/* ---- pure helpers ---------------------------------------------------- */

/* Order for the table: by role; within a role, answers first, fastest
 * first; then failures, then timeouts; ties keep the planned order. */
void probe_sort(struct probe_item *items, size_t n);
int probe_cmp(const struct probe_item *a, const struct probe_item *b);

/* The fastest answering item for ROLE (any order of items), or NULL. */
const struct probe_item *probe_best(const struct probe_item *items, size_t n, enum role r);

/* Body bytes per second, or -1 when unknown (not answered, empty body). A
 * body that took less than 1 ms counts as 1 ms. */
double probe_rate(const struct probe_item *it);

/* "850 µs" is never printed: "0 ms", "12 ms", "1.25 s", "12.5 s"; "-" if < 0. */
void probe_fmt_duration(double secs, char *buf, size_t n);
/* "512 B/s", "12.3 KB/s", "4.1 MB/s", "1.02 GB/s" (powers of 1000); "-" if < 0. */
void probe_fmt_rate(double bytes_per_sec, char *buf, size_t n);
/* "ok", "HTTP 500", the error, "no answer within 5 s". malloc'd. */
char *probe_fmt_status(const struct probe_item *it, long timeout_ms);

/* ---- saving the choice ----------------------------------------------- */

/* TEXT (an INI file, may be NULL or empty) with the [use] keys whose USE[r]
 * is not NULL set to that value: an existing key keeps its spelling, place
 * and inline comment (its continuation lines go); a missing key goes after
 * the last key of the first [use] section; no [use] section: one is
 * appended. Everything else — comments, blank lines, other sections, other
 * keys — is kept byte for byte. malloc'd. */
char *probe_use_update(const char *text, const char *const use[ROLE_N]);

/* Apply probe_use_update to the file at PATH (created with its directories
 * if missing), atomically: a temporary file beside it, then rename(2). A
 * symlink is followed (its target is replaced); anything else that is not
 * a regular file is an error. Returns 0, or -1 with *err set. */
int probe_save_use(const char *path, const char *const use[ROLE_N], char **err);

/* Is site S one of the sites named in ONLY (all sites when NONLY is 0)? */
int probe_site_listed(const struct site *s, const struct config *c, char *const *only,
                      size_t nonly);

#endif
