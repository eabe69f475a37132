/* wheelmeta.c — see wheelmeta.h.
 *
 * A wheel's life: prepared (the cache may settle it), then the PEP 658 file
 * and/or range requests, one transfer at a time, until it is settled. The
 * range method is driven by advance(): it walks the steps of zipdir.h on the
 * bytes already held and, at the first step whose bytes are missing, asks
 * for them (need()) and returns; the answer calls advance() again. A wheel
 * that wants a transfer while its host has WHEELMETA_HOST_CONNS running
 * waits in that host's queue. The loop and the multi handle are glued by
 * curluv.c; options come from httpeasy.c. */
#include "wheelmeta.h"

#include <openssl/evp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#include "cache.h"
#include "curllib.h"
#include "curluv.h"
#include "httpeasy.h"
#include "msg.h"
#include "zipdir.h"

#define CACHE_KEY_FMT    "wheel-metadata %s"
#define ERROR_BODY_MAX   ((size_t)64 << 10)  /* error pages are read this far, not kept */
#define LOCAL_SLACK      256                 /* local extra fields longer than the CD's */
#define MAX_TOTAL_CONNS  24L

typedef unsigned long long ull;

enum step { STEP_PEP658 = 1, STEP_RANGE };

struct seg {                   /* bytes of the wheel held: [off, off + len) */
    uint64_t off;
    unsigned char *p;
    size_t len;
};

struct wrun;

struct wheel {
    struct wrun *run;
    struct wheelmeta_job *job;
    size_t host;                   /* index into run->hosts */
    struct wheel *qnext;           /* the host's queue */
    int step, done, fetched;
    char *dist;                    /* distribution name of the file name */
    /* the current transfer */
    char *req_url;
    char range[48];                /* CURLOPT_RANGE value; "" for none */
    int suffix;                    /* range is "-N" */
    uint64_t want_off;
    size_t want_len, limit;
    CURL *easy;
    char errbuf[CURL_ERROR_SIZE];
    unsigned char *body;
    size_t len, cap, discarded, got;
    int over;                      /* body over its limit: aborted */
    int cr_ok, cr_total_known;     /* Content-Range of the final response */
    uint64_t cr_first, cr_last, cr_total;
    /* the range method */
    struct seg seg[WHEELMETA_MAX_REQUESTS];
    size_t nseg;
    int have_size, have_end, have_entry, have_data;
    uint64_t file_size, data_off;
    struct zipdir_end end;
    struct zipdir_entry entry;
};

struct host {
    char *key;                     /* "scheme://authority" */
    unsigned active;
    struct wheel *head, *tail;
};

struct wrun {
    uv_loop_t loop;
    struct curluv cu;
    CURLM *multi;
    struct http_settings http;
    char *cache_dir;               /* NULL: no cache */
    int offline;
    struct wheel *w;
    size_t nw, left;
    struct host *hosts;
    size_t nhosts;
};

const char *wheelmeta_method_name(int method)
{
    switch (method) {
    case WHEELMETA_CACHE: return "cache";
    case WHEELMETA_PEP658: return "pep658";
    case WHEELMETA_RANGE: return "range";
    default: return "none";
    }
}

/* ------------------------------------------------------------------ */
/* URLs                                                                 */

/* PEP 658: the file's URL with ".metadata" appended (before any ?query). */
static char *metadata_url(const char *url)
{
    size_t n = strcspn(url, "?#");
    return xasprintf("%.*s.metadata%s", (int)n, url, url + n);
}

static char *host_of(const char *url)
{
    const char *s = strstr(url, "://");
    s = s ? s + 3 : url;
    return xstrndup(url, (size_t)(s - url) + strcspn(s, "/?#"));
}

/* "https://h/p/torch_audio-2.5.1-....whl" -> "torch_audio" */
static char *dist_of(const char *url)
{
    size_t end = strcspn(url, "?#"), start = end;
    while (start > 0 && url[start - 1] != '/')
        start--;
    return xstrndup(url + start, strcspn(url + start, "-?#"));
}

static size_t host_index(struct wrun *run, const char *url)
{
    char *key = host_of(url);
    for (size_t i = 0; i < run->nhosts; i++)
        if (!strcmp(run->hosts[i].key, key)) {
            free(key);
            return i;
        }
    run->hosts = xrealloc(run->hosts, (run->nhosts + 1) * sizeof *run->hosts);
    memset(&run->hosts[run->nhosts], 0, sizeof *run->hosts);
    run->hosts[run->nhosts].key = key;
    return run->nhosts++;
}

/* ------------------------------------------------------------------ */
/* settling a wheel                                                     */

static void transfer_reset(struct wheel *w)
{
    free(w->body);
    w->body = NULL;
    w->len = w->cap = w->discarded = w->got = 0;
    w->over = w->cr_ok = w->cr_total_known = 0;
    w->errbuf[0] = '\0';
}

static void wheel_finish(struct wheel *w)
{
    w->done = 1;
    w->run->left--;
    transfer_reset(w);
    for (size_t i = 0; i < w->nseg; i++)
        free(w->seg[i].p);
    w->nseg = 0;
    zipdir_entry_free(&w->entry);
    if (w->easy)
        curlapi()->easy_cleanup(w->easy);
    w->easy = NULL;
    free(w->req_url);
    w->req_url = NULL;
}

/* why is taken. */
static void wheel_fail(struct wheel *w, char *why)
{
    struct wheelmeta_job *job = w->job;
    if (w->step == STEP_PEP658)
        job->error = xasprintf("%s: %s", w->req_url ? w->req_url : job->url, why);
    else if (job->pep658_error)
        job->error = xasprintf("%s (and its PEP 658 file: %s)", why, job->pep658_error);
    else
        job->error = xstrdup(why);
    free(why);
    verbosef("wheel metadata: %s: %s", job->url ? job->url : "(no URL)", job->error);
    wheel_finish(w);
}

/* text is taken (malloc'd, NUL-terminated). */
static void wheel_succeed(struct wheel *w, char *text, size_t len, int method)
{
    struct wheelmeta_job *job = w->job;
    job->metadata = text;
    job->len = len;
    job->method = method;
    job->from_cache = method == WHEELMETA_CACHE;
    w->fetched = method != WHEELMETA_CACHE;
    verbosef("wheel metadata: %s: %zu bytes (%s; requests: %u, bytes received: %llu)",
             job->url, len, wheelmeta_method_name(method), job->requests, job->bytes);
    wheel_finish(w);
}

/* ------------------------------------------------------------------ */
/* curl callbacks                                                       */

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    struct wheel *w = ud;
    size_t k = size * n;
    long status = 0;
    curlapi()->easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &status);
    w->job->bytes += k;
    w->got += k;
    if (status < 200 || status > 299) {       /* error pages are not kept */
        w->discarded += k;
        return w->discarded > ERROR_BODY_MAX ? 0 : k;
    }
    size_t limit = w->limit;
    if (status == 200 && w->range[0]) {       /* Range ignored: the whole file comes */
        curl_off_t cl = -1;
        limit = WHEELMETA_MAX_WHOLE;
        curlapi()->easy_getinfo(w->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (cl > (curl_off_t)limit) {
            w->over = 1;
            return 0;
        }
    }
    if (k > limit - w->len) {
        w->over = 1;
        return 0;                              /* CURLE_WRITE_ERROR */
    }
    if (w->len + k + 1 > w->cap) {
        size_t c = w->cap ? w->cap : 16384;
        while (c < w->len + k + 1)
            c *= 2;
        w->body = xrealloc(w->body, c);
        w->cap = c;
    }
    memcpy(w->body + w->len, p, k);
    w->len += k;
    return k;
}

/* "bytes FIRST-LAST/TOTAL" or "bytes FIRST-LAST/ *" */
static void parse_content_range(struct wheel *w, const char *p, size_t n)
{
    char buf[128], total[32];
    unsigned long long a, b;
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), p);
    if (sscanf(buf, " bytes %llu-%llu/%31s", &a, &b, total) != 3 || b < a)
        return;
    w->cr_first = a;
    w->cr_last = b;
    w->cr_ok = 1;
    if (total[0] == '*')
        return;
    char *end;
    unsigned long long t = strtoull(total, &end, 10);
    if (end == total || t <= b)
        w->cr_ok = 0;
    w->cr_total = t;
    w->cr_total_known = 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct wheel *w = ud;
    size_t k = size * n;
    static const char cr[] = "content-range:";
    if (k >= 5 && !strncmp(p, "HTTP/", 5)) {   /* a new response starts */
        w->cr_ok = w->cr_total_known = 0;
        return k;
    }
    if (k > sizeof cr - 1 && !strncasecmp(p, cr, sizeof cr - 1))
        parse_content_range(w, p + sizeof cr - 1, k - (sizeof cr - 1));
    return k;
}

/* ------------------------------------------------------------------ */
/* transfers                                                            */

static void transfer_start(struct wheel *w)
{
    struct wrun *run = w->run;
    if (w->easy)
        curlapi()->easy_reset(w->easy);
    else
        w->easy = curlapi()->easy_init();
    if (!w->easy) {
        wheel_fail(w, xstrdup("cannot create a curl handle"));
        return;
    }
    transfer_reset(w);
    CURL *e = w->easy;
    httpeasy_setup(e, &run->http, w->req_url, w->errbuf);
    curlapi()->easy_setopt(e, CURLOPT_PRIVATE, w);
    curlapi()->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curlapi()->easy_setopt(e, CURLOPT_WRITEDATA, w);
    curlapi()->easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curlapi()->easy_setopt(e, CURLOPT_HEADERDATA, w);
    if (w->range[0])
        curlapi()->easy_setopt(e, CURLOPT_RANGE, w->range);
    else
        curlapi()->easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    CURLMcode mc = curlapi()->multi_add_handle(run->multi, e);
    if (mc != CURLM_OK) {
        wheel_fail(w, xstrdup(curlapi()->multi_strerror(mc)));
        return;
    }
    run->hosts[w->host].active++;
    w->job->requests++;
    verbosef("wheel metadata: GET %s%s%s", w->req_url, w->range[0] ? " Range: bytes=" : "",
             w->range);
}

/* Ask for url (taken) with Range range ("" for none), at most limit body
 * bytes; now, or when the host has a free slot. */
static void wheel_request(struct wheel *w, char *url, const char *range, size_t limit)
{
    struct host *h = &w->run->hosts[w->host];
    free(w->req_url);
    w->req_url = url;
    snprintf(w->range, sizeof w->range, "%s", range);
    w->limit = limit;
    if (h->active < WHEELMETA_HOST_CONNS) {
        transfer_start(w);
        return;
    }
    w->qnext = NULL;
    if (h->tail)
        h->tail->qnext = w;
    else
        h->head = w;
    h->tail = w;
}

static void host_pump(struct wrun *run, size_t hi)
{
    struct host *h = &run->hosts[hi];
    while (h->head && h->active < WHEELMETA_HOST_CONNS) {
        struct wheel *w = h->head;
        h->head = w->qnext;
        if (!h->head)
            h->tail = NULL;
        transfer_start(w);
    }
}

static void request_tail(struct wheel *w)
{
    char r[48];
    snprintf(r, sizeof r, "-%zu", WHEELMETA_TAIL);
    w->step = STEP_RANGE;
    w->suffix = 1;
    w->want_off = 0;
    w->want_len = WHEELMETA_TAIL;
    wheel_request(w, xstrdup(w->job->url), r, WHEELMETA_TAIL);
}

static void request_range(struct wheel *w, uint64_t off, size_t len)
{
    char r[48];
    if (w->job->requests >= WHEELMETA_MAX_REQUESTS) {
        wheel_fail(w, xasprintf("still incomplete after %d requests", WHEELMETA_MAX_REQUESTS));
        return;
    }
    snprintf(r, sizeof r, "%llu-%llu", (ull)off, (ull)(off + len - 1));
    w->suffix = 0;
    w->want_off = off;
    w->want_len = len;
    wheel_request(w, xstrdup(w->job->url), r, len);
}

/* Why a finished transfer is no good (malloc'd), or NULL. w->over is the
 * caller's to judge first. */
static char *transfer_problem(struct wheel *w, CURLcode res, long status)
{
    const char *msg = w->errbuf[0] ? w->errbuf : curlapi()->easy_strerror(res);
    if (res == CURLE_UNSUPPORTED_PROTOCOL &&
        !httpeasy_allows_http(&w->run->http, w->req_url))
        return xasprintf("redirect to a non-https URL refused (%s)", msg);
    if (status >= 400)
        return xasprintf("HTTP %ld", status);
    if (res != CURLE_OK)
        return xstrdup(msg);
    if (status < 200 || status > 299)
        return xasprintf("HTTP %ld", status);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* PEP 658                                                              */

/* spec "algo=hex" against data: NULL when it matches. */
static char *digest_problem(const char *spec, const void *data, size_t len)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec || !eq[1])
        return xasprintf("advertised hash '%s' is not <algorithm>=<hex>", spec);
    char *algo = xstrndup(spec, (size_t)(eq - spec));
    const EVP_MD *md = EVP_get_digestbyname(algo);
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dl = 0;
    char *why = NULL;
    if (!md || EVP_Digest(data, len, d, &dl, md, NULL) != 1) {
        why = xasprintf("cannot check a %s digest", algo);
    } else {
        char hex[2 * EVP_MAX_MD_SIZE + 1];
        for (unsigned i = 0; i < dl; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
        if (strcasecmp(hex, eq + 1) != 0)
            why = xasprintf("%s mismatch: the file has %s, the index says %s", algo, hex, eq + 1);
    }
    free(algo);
    return why;
}

/* Metadata-Version and Name among the header lines, no NUL byte. */
static int looks_like_metadata(const char *p, size_t len)
{
    if (!p || !len || memchr(p, '\0', len))
        return 0;
    int version = 0, name = 0;
    const char *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        version |= n >= 17 && !strncasecmp(p, "Metadata-Version:", 17);
        name |= n >= 5 && !strncasecmp(p, "Name:", 5);
        p = nl ? nl + 1 : end;
    }
    return version && name;
}

static int host_down(CURLcode res)
{
    return res == CURLE_COULDNT_CONNECT || res == CURLE_COULDNT_RESOLVE_HOST ||
           res == CURLE_COULDNT_RESOLVE_PROXY || res == CURLE_OPERATION_TIMEDOUT;
}

static void pep658_done(struct wheel *w, CURLcode res, long status)
{
    char *why = w->over ? xasprintf("larger than %zu bytes", WHEELMETA_MAX_METADATA)
                        : transfer_problem(w, res, status);
    if (!why && w->job->metadata_hash)
        why = digest_problem(w->job->metadata_hash, w->body ? (void *)w->body : "", w->len);
    if (!why && !looks_like_metadata((const char *)w->body, w->len))
        why = xstrdup("not a core metadata file");
    if (!why) {
        char *text = (char *)w->body;
        text[w->len] = '\0';                     /* on_write keeps a spare byte */
        w->body = NULL;
        wheel_succeed(w, text, w->len, WHEELMETA_PEP658);
        return;
    }
    if (!w->over && host_down(res)) {
        wheel_fail(w, why);
        return;
    }
    verbosef("wheel metadata: %s: %s; trying range requests", w->req_url, why);
    w->job->pep658_error = why;
    request_tail(w);
}

/* ------------------------------------------------------------------ */
/* the range method                                                     */

/* The body just received becomes a held segment at off, joined with the
 * segment that starts where it ends (need() asks only for what is missing
 * before bytes already held). */
static char *add_seg(struct wheel *w, uint64_t off)
{
    unsigned char *p = w->body ? w->body : xmalloc(1);
    size_t len = w->len;
    w->body = NULL;
    w->len = w->cap = 0;
    for (size_t i = 0; i < w->nseg; i++) {
        struct seg *s = &w->seg[i];
        if (s->off != off + len)
            continue;
        p = xrealloc(p, len + s->len);
        memcpy(p + len, s->p, s->len);
        free(s->p);
        s->p = p;
        s->off = off;
        s->len += len;
        return NULL;
    }
    if (w->nseg == WHEELMETA_MAX_REQUESTS) {
        free(p);
        return xstrdup("too many ranges");
    }
    w->seg[w->nseg++] = (struct seg){ .off = off, .p = p, .len = len };
    return NULL;
}

/* A 200 to a range request, complete within WHEELMETA_MAX_WHOLE bytes. */
static char *take_whole(struct wheel *w)
{
    w->job->range_ignored = 1;
    if (w->have_size && w->len != w->file_size)
        return xasprintf("the file changed size (%zu bytes, was %llu)", w->len,
                         (ull)w->file_size);
    w->file_size = w->len;
    w->have_size = 1;
    verbosef("wheel metadata: %s: the server ignores range requests; the whole file "
             "(%zu bytes) is read instead", w->job->url, w->len);
    return add_seg(w, 0);
}

static char *take_partial(struct wheel *w, long status)
{
    if (status != 206)
        return xasprintf("HTTP %ld to a range request", status);
    if (!w->cr_ok)
        return xstrdup("206 without a usable Content-Range");
    uint64_t size = w->cr_total_known ? w->cr_total : w->suffix ? w->cr_last + 1 : 0;
    if (!w->have_size && !size)
        return xstrdup("the server does not say how large the file is");
    if (w->have_size && size && size != w->file_size)
        return xasprintf("the file changed size (%llu bytes, was %llu)", (ull)size,
                         (ull)w->file_size);
    if (!w->have_size)
        w->file_size = size;
    w->have_size = 1;
    uint64_t first = w->want_off, want = w->want_len;
    if (w->suffix) {
        want = want < w->file_size ? want : w->file_size;
        first = w->file_size - want;
    }
    if (w->cr_first != first || w->cr_last != first + want - 1 || w->len != want)
        return xasprintf("asked for bytes %llu-%llu, got %zu bytes as %llu-%llu", (ull)first,
                         (ull)(first + want - 1), w->len, (ull)w->cr_first, (ull)w->cr_last);
    return add_seg(w, first);
}

/* Bytes [off, off + len) of the wheel when held; otherwise ask for
 * [off, off + max(len, hint)) (or fail the wheel) and return NULL. */
static const unsigned char *need(struct wheel *w, uint64_t off, uint64_t len, uint64_t hint)
{
    static const unsigned char nothing[1];
    if (off > w->file_size || len > w->file_size - off) {
        wheel_fail(w, xasprintf("bytes %llu-%llu are past the end of the file (%llu bytes)",
                                (ull)off, (ull)(off + len), (ull)w->file_size));
        return NULL;
    }
    if (len == 0)
        return nothing;
    for (size_t i = 0; i < w->nseg; i++) {
        const struct seg *s = &w->seg[i];
        if (off >= s->off && off - s->off <= s->len && len <= s->len - (off - s->off))
            return s->p + (off - s->off);
    }
    uint64_t ask = hint > len ? hint : len;
    if (ask > w->file_size - off)
        ask = w->file_size - off;
    for (size_t i = 0; i < w->nseg; i++) {   /* the end is held already: not again */
        const struct seg *s = &w->seg[i];
        if (s->off > off && s->off - off < ask && s->off + s->len >= off + ask)
            ask = s->off - off;
    }
    request_range(w, off, (size_t)ask);
    return NULL;
}

/* The entry is small enough to be fetched. */
static int entry_sane(struct wheel *w, char **err)
{
    const struct zipdir_entry *e = &w->entry;
    if (e->usize > WHEELMETA_MAX_METADATA || e->csize > WHEELMETA_MAX_METADATA)
        return seterr(err, "%s: %llu bytes, over the limit of %zu", e->name, (ull)e->usize,
                      WHEELMETA_MAX_METADATA);
    return 0;
}

/* Take the range method as far as the bytes held go. */
static void advance(struct wheel *w)
{
    char *err = NULL, *text;
    const unsigned char *p;
    size_t n;
    if (!w->have_end) {
        if (zipdir_find_end(w->seg[0].p, w->seg[0].len, w->file_size, &w->end, &err) < 0)
            goto fail;
        w->have_end = 1;
    }
    if (w->end.zip64) {
        if (!(p = need(w, w->end.zip64_offset, ZIPDIR_ZIP64_END_LEN, 0)))
            return;
        if (zipdir_read_zip64_end(p, ZIPDIR_ZIP64_END_LEN, &w->end, &err) < 0)
            goto fail;
    }
    if (!w->have_entry) {
        if (w->end.cd_size > WHEELMETA_MAX_CD) {
            err = xasprintf("central directory of %llu bytes, over the limit of %zu",
                            (ull)w->end.cd_size, WHEELMETA_MAX_CD);
            goto fail;
        }
        if (!(p = need(w, w->end.cd_offset, w->end.cd_size, 0)))
            return;
        if (zipdir_find_metadata(p, (size_t)w->end.cd_size, &w->end, w->dist, &w->entry,
                                 &err) < 0 || entry_sane(w, &err) < 0)
            goto fail;
        w->have_entry = 1;
    }
    if (!w->have_data) {
        const struct zipdir_entry *e = &w->entry;
        uint64_t head = ZIPDIR_LOCAL_LEN + strlen(e->name);
        uint64_t hint = head + e->extra_len + e->csize + LOCAL_SLACK;
        if (hint > w->end.cd_offset - e->local_offset)
            hint = w->end.cd_offset - e->local_offset;
        if (!(p = need(w, e->local_offset, head, hint)))
            return;
        if (zipdir_local_data(p, (size_t)head, e, &w->data_off, &err) < 0)
            goto fail;
        w->have_data = 1;
    }
    if (!(p = need(w, w->data_off, w->entry.csize, 0)))
        return;
    if (zipdir_extract(&w->entry, p, (size_t)w->entry.csize, WHEELMETA_MAX_METADATA, &text, &n,
                       &err) < 0)
        goto fail;
    wheel_succeed(w, text, n, WHEELMETA_RANGE);
    return;
fail:
    wheel_fail(w, err);
}

static void range_done(struct wheel *w, CURLcode res, long status)
{
    char *why;
    if (w->over && status == 200) {
        w->job->range_ignored = 1;
        why = xasprintf("the server ignores range requests (it answered 200 with the whole "
                        "file; stopped after %zu bytes)", w->got);
    } else if (w->over) {
        why = xasprintf("answered more than the %zu bytes asked", w->want_len);
    } else {
        why = transfer_problem(w, res, status);
    }
    if (!why)
        why = status == 200 ? take_whole(w) : take_partial(w, status);
    if (why) {
        char *full = xasprintf("%s (Range: bytes=%s)", why, w->range);
        free(why);
        wheel_fail(w, full);
        return;
    }
    advance(w);
}

/* curluv: a transfer finished */
static void on_done(struct curluv *cu, CURL *e, CURLcode res)
{
    struct wrun *run = cu->data;
    void *p = NULL;
    long status = 0;
    curlapi()->easy_getinfo(e, CURLINFO_PRIVATE, &p);
    struct wheel *w = p;
    if (!w)
        return;
    curlapi()->easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    w->job->http_status = status;
    curlapi()->multi_remove_handle(run->multi, e);
    size_t hi = w->host;
    run->hosts[hi].active--;
    if (w->step == STEP_PEP658)
        pep658_done(w, res, status);
    else
        range_done(w, res, status);
    host_pump(run, hi);
}

/* ------------------------------------------------------------------ */
/* the run                                                              */

/* The cache may settle the wheel here. */
static void wheel_prepare(struct wrun *run, struct wheel *w, struct wheelmeta_job *job)
{
    w->run = run;
    w->job = job;
    run->left++;
    if (!job->url || !*job->url) {
        wheel_fail(w, xstrdup("no URL"));
        return;
    }
    w->dist = dist_of(job->url);
    w->host = host_index(run, job->url);
    if (run->cache_dir) {
        char *key = xasprintf(CACHE_KEY_FMT, job->url), *text;
        size_t len;
        int hit = cache_get_blob(run->cache_dir, key, job->wheel_hash ? job->wheel_hash : "",
                                 &text, &len) == 0;
        free(key);
        if (hit) {
            wheel_succeed(w, text, len, WHEELMETA_CACHE);
            return;
        }
    }
    if (run->offline)
        wheel_fail(w, xstrdup("not in the cache, and offline"));
}

static void wheel_begin(struct wheel *w)
{
    if (w->done)
        return;
    if (w->job->has_metadata) {
        w->step = STEP_PEP658;
        wheel_request(w, metadata_url(w->job->url), "", WHEELMETA_MAX_METADATA);
    } else {
        request_tail(w);
    }
}

static int net_start(struct wrun *run)
{
    char *err = NULL;
    if (curluv_open(&run->cu, &run->loop, on_done, NULL, run, &err)) {
        verbosef("wheel metadata: %s", err);
        free(err);
        return -1;
    }
    run->multi = curluv_multi(&run->cu, &err);
    if (!run->multi) {
        verbosef("wheel metadata: %s", err);
        free(err);
        curluv_close(&run->cu, "wheel metadata");
        return -1;
    }
    curlapi()->multi_setopt(run->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)WHEELMETA_HOST_CONNS);
    curlapi()->multi_setopt(run->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, MAX_TOTAL_CONNS);
    return 0;
}

static void net_stop(struct wrun *run)
{
    curluv_close(&run->cu, "wheel metadata");
    run->multi = NULL;
}

/* Drive the loop until every wheel is settled; never hang. */
static void net_run(struct wrun *run)
{
    for (size_t i = 0; i < run->nw; i++)
        wheel_begin(&run->w[i]);
    while (run->left > 0) {
        if (uv_run(&run->loop, UV_RUN_ONCE) != 0 || run->left == 0)
            continue;
        for (size_t i = 0; i < run->nw; i++) {
            struct wheel *w = &run->w[i];
            if (w->done)
                continue;
            if (w->easy)
                curlapi()->multi_remove_handle(run->multi, w->easy);
            wheel_fail(w, xstrdup("transfer lost"));
        }
    }
}

static void run_init(struct wrun *run, const struct fetch_opts *o)
{
    static const struct fetch_opts none = { 0 };
    if (!o)
        o = &none;
    memset(run, 0, sizeof *run);
    http_settings_init(&run->http, o);
    run->offline = o->offline;
    const char *dir = o->cache_dir ? o->cache_dir : cache_dir_default();
    run->cache_dir = dir && *dir ? xstrdup(dir) : NULL;
}

/* Keep what the network brought (wheels never change: no expiry). */
static void run_save(struct wrun *run)
{
    for (size_t i = 0; run->cache_dir && i < run->nw; i++) {
        const struct wheelmeta_job *job = run->w[i].job;
        if (!run->w[i].fetched)
            continue;
        char *key = xasprintf(CACHE_KEY_FMT, job->url);
        cache_put_blob(run->cache_dir, key, job->wheel_hash ? job->wheel_hash : "",
                       job->metadata, job->len);
        free(key);
    }
}

static void run_free(struct wrun *run)
{
    for (size_t i = 0; i < run->nw; i++)
        free(run->w[i].dist);
    for (size_t i = 0; i < run->nhosts; i++)
        free(run->hosts[i].key);
    free(run->hosts);
    free(run->w);
    free(run->cache_dir);
    http_settings_free(&run->http);
}

int wheelmeta_run(struct wheelmeta_job *jobs, size_t n, const struct fetch_opts *o)
{
    struct wrun run;
    run_init(&run, o);
    run.w = xcalloc(n ? n : 1, sizeof *run.w);
    run.nw = n;
    for (size_t i = 0; i < n; i++) {
        wheelmeta_job_clear(&jobs[i]);
        wheel_prepare(&run, &run.w[i], &jobs[i]);
    }
    if (run.left > 0) {
        if (net_start(&run) < 0) {
            for (size_t i = 0; i < n; i++)
                if (!run.w[i].done)
                    wheel_fail(&run.w[i], xstrdup("cannot start libcurl/libuv"));
        } else {
            net_run(&run);
            net_stop(&run);
        }
    }
    run_save(&run);
    int failed = 0;
    for (size_t i = 0; i < n; i++)
        failed |= jobs[i].metadata == NULL;
    run_free(&run);
    return failed ? -1 : 0;
}

void wheelmeta_job_clear(struct wheelmeta_job *job)
{
    free(job->metadata);
    free(job->error);
    free(job->pep658_error);
    job->metadata = job->error = job->pep658_error = NULL;
    job->len = 0;
    job->method = WHEELMETA_NONE;
    job->from_cache = job->range_ignored = 0;
    job->http_status = 0;
    job->requests = 0;
    job->bytes = 0;
}
