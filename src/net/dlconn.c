/* dlconn.c — one transfer of the downloader: a ranged GET on one easy
 * handle, its bytes buffered and pwritten into the part file, and what its
 * answer and its end mean for the file and the mirror (dlint.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "curllib.h"
#include "dlint.h"
#include "fileio.h"
#include "msg.h"

#define CONN_CURL_BUFFER (256L * 1024)   /* fewer, bigger reads and writes */

static void set_why(struct conn *c, int stop, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_why(struct conn *c, int stop, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(c->why);
    c->why = xvasprintf(fmt, ap);
    va_end(ap);
    c->stop = stop;
}

static void resp_reset(struct conn *c)
{
    c->status = 0;
    c->have_cr = 0;
    c->cr_start = c->cr_total = -1;
    free(c->etag);
    free(c->last_modified);
    c->etag = c->last_modified = NULL;
}

/* The value of header NAME ("etag:") in the line P[0..K), trimmed, or NULL. */
static char *header_value(const char *p, size_t k, const char *name)
{
    size_t nl = strlen(name);
    if (k <= nl || strncasecmp(p, name, nl))
        return NULL;
    const char *v = p + nl, *end = p + k;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return xstrndup(v, (size_t)(end - v));
}

/* "bytes A-B/T" or "bytes A-B/ *" */
static void parse_content_range(struct conn *c, const char *v)
{
    long long a, b, t;
    char star;
    if (sscanf(v, "bytes %lld-%lld/%lld", &a, &b, &t) == 3 && a >= 0 && b >= a && t > b) {
        c->have_cr = 1;
        c->cr_start = a;
        c->cr_total = t;
    } else if (sscanf(v, "bytes %lld-%lld/%c", &a, &b, &star) == 3 && star == '*' && b >= a) {
        c->have_cr = 1;
        c->cr_start = a;
        c->cr_total = -1;
    }
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct conn *c = ud;
    size_t k = size * n;
    char *v;
    if (k >= 5 && !strncmp(p, "HTTP/", 5)) {     /* a new response (redirects) */
        resp_reset(c);
        const char *sp = memchr(p, ' ', k);
        if (sp)
            c->status = strtol(sp + 1, NULL, 10);
    } else if ((v = header_value(p, k, "content-range:"))) {
        parse_content_range(c, v);
        free(v);
    } else if ((v = header_value(p, k, "etag:"))) {
        free(c->etag);
        c->etag = v;
    } else if ((v = header_value(p, k, "last-modified:"))) {
        free(c->last_modified);
        c->last_modified = v;
    }
    return k;
}

/* ------------------------------------------------------------------ */
/* the answer                                                           */

static int same(const char *a, const char *b)
{
    return a && b && !strcmp(a, b);
}

/* Did the file change on this mirror since the recorded state? */
static int validators_changed(const struct dfile *f, const struct mirror *m, const struct conn *c)
{
    const struct part_validator *v = part_state_validator(&f->st, m->url);
    if (!v)
        return 0;
    if (v->etag && c->etag)
        return !same(v->etag, c->etag);
    if (v->last_modified && c->last_modified)
        return !same(v->last_modified, c->last_modified);
    return 0;
}

/* The size a mirror gave: learn it or check it. 0, or -1 (c->stop set). */
static int take_size(struct conn *c, int64_t total)
{
    char *why = NULL;
    int r = file_learn_size(c->f, total, SIZE_MIRROR, &why);
    if (r == 0)
        return 0;
    set_why(c, r == -2 ? STOP_IOERR : STOP_BAD, "%s", why);
    free(why);
    return -1;
}

/* The first answer of the file in this call: ranges work. */
static int probe_206(struct conn *c, struct mirror *m)
{
    struct dfile *f = c->f;
    if (f->answered == 0 && rangeset_total(&f->st.done) > 0 && validators_changed(f, m, c))
        file_reset_content(f, "the file changed on the mirror (ETag/Last-Modified)");
    if (c->cr_total < 0)
        return set_why(c, STOP_BAD, "206 without the total size"), -1;
    if (c->cr_total != f->size) {
        if (f->size_src == SIZE_EXPECTED) {
            set_why(c, STOP_BAD, "serves %lld bytes, expected %lld", (long long)c->cr_total,
                    (long long)f->size);
            return -1;
        }
        if (take_size(c, c->cr_total) < 0)
            return -1;
    }
    f->mode = MODE_RANGES;
    f->phase = DL_PHASE_TRANSFER;
    if (c->end < 0 || c->end > f->size)
        c->end = f->size;
    if (c->req_end < 0 || c->req_end > f->size)
        c->req_end = f->size;
    rangeset_complement(&f->st.done, f->size, &f->todo);
    rangeset_remove(&f->todo, c->pos, c->end);
    return 0;
}

static int answer_206(struct conn *c, struct mirror *m)
{
    struct dfile *f = c->f;
    if (!c->have_cr)
        return set_why(c, STOP_BAD, "206 without Content-Range"), -1;
    if (c->cr_start != c->start) {
        set_why(c, STOP_BAD, "answered from byte %lld, not %lld", (long long)c->cr_start,
                (long long)c->start);
        return -1;
    }
    if (f->mode == MODE_PROBE) {
        if (probe_206(c, m) < 0)
            return -1;
    } else if (c->cr_total != f->size) {
        set_why(c, STOP_BAD, "serves %lld bytes, not %lld like the others",
                (long long)c->cr_total, (long long)f->size);
        return -1;
    }
    return 0;
}

/* 200 to a ranged request: the mirror ignores ranges. */
static int answer_200(struct conn *c, struct mirror *m)
{
    struct dfile *f = c->f;
    m->norange = 1;
    if (f->mode != MODE_PROBE)
        return set_why(c, STOP_NORANGE, "ignores Range (200)"), -1;
    curl_off_t cl = -1;
    curlapi()->easy_getinfo(c->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    if (cl >= 0 && cl != f->size) {
        if (f->size_src == SIZE_EXPECTED) {
            set_why(c, STOP_BAD, "serves %lld bytes, expected %lld", (long long)cl,
                    (long long)f->size);
            return -1;
        }
        if (take_size(c, cl) < 0)
            return -1;
    }
    if (c->start > 0 || rangeset_total(&f->st.done) > 0)
        file_reset_content(f, "the mirror ignores Range: from byte 0 again");
    f->mode = MODE_SINGLE;
    f->phase = DL_PHASE_TRANSFER;
    c->start = c->pos = 0;
    c->end = c->req_end = f->size;     /* -1: until the stream ends */
    return 0;
}

/* Later requests to this mirror go straight where its redirects led. */
static void remember_redirect(struct conn *c, struct mirror *m)
{
    char *eff = NULL;
    if (curlapi()->easy_getinfo(c->easy, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff &&
        strcmp(eff, m->url) && (!m->eff_url || strcmp(eff, m->eff_url))) {
        free(m->eff_url);
        m->eff_url = xstrdup(eff);
    }
}

/* The first bytes of the body (or its end, for an empty one): is this the
 * answer we asked for? 0, or -1 with c->stop and c->why set. */
static int answer_check(struct conn *c)
{
    struct dfile *f = c->f;
    struct mirror *m = &f->m[c->mirror];
    int r;
    if (c->status == 206)
        r = answer_206(c, m);
    else if (c->status == 200)
        r = answer_200(c, m);
    else
        return set_why(c, STOP_BAD, "unexpected HTTP status %ld", c->status), -1;
    if (r == 0) {
        part_state_set_validator(&f->st, m->url, c->etag, c->last_modified);
        f->answered = 1;
        f->run->need_sched = 1;
        remember_redirect(c, m);
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* bytes                                                                */

static int pwrite_all(int fd, const char *p, size_t n, int64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
        off += w;
    }
    return 0;
}

/* [a, b) is in the part file: done; save the state when 0.5% more is. */
static void note_done(struct dfile *f, int64_t a, int64_t b)
{
    rangeset_add(&f->st.done, a, b);
    int64_t step = f->size > 0 ? f->size / 1000 * DL_SAVE_PERMILLE : 0;
    if (step < DL_SAVE_MIN_BYTES)
        step = DL_SAVE_MIN_BYTES;
    if (!f->saving && rangeset_total(&f->st.done) - f->saved_done >= step)
        job_save(f);
}

/* Write out the buffer: [pos - blen, pos) is then done. 0 or -1 (c->why). */
static int flush_buf(struct conn *c)
{
    struct dfile *f = c->f;
    if (!c->blen)
        return 0;
    int64_t off = c->pos - (int64_t)c->blen;
    if (pwrite_all(f->fd, c->buf, c->blen, off) < 0) {
        set_why(c, STOP_IOERR, "cannot write %s: %s", f->part, strerror(errno));
        c->blen = 0;
        return -1;
    }
    c->blen = 0;
    note_done(f, off, c->pos);
    return 0;
}

/* Buffer K bytes for the part file; a big chunk with nothing buffered goes
 * straight out (one copy fewer). */
static int buf_put(struct conn *c, const char *p, size_t k)
{
    if (c->blen + k > DL_CONN_BUFFER && flush_buf(c) < 0)
        return -1;
    if (k >= DL_CONN_BUFFER / 4 && c->blen == 0) {
        if (pwrite_all(c->f->fd, p, k, c->pos) < 0) {
            set_why(c, STOP_IOERR, "cannot write %s: %s", c->f->part, strerror(errno));
            return -1;
        }
        note_done(c->f, c->pos, c->pos + (int64_t)k);
        return 0;
    }
    memcpy(c->buf + c->blen, p, k);
    c->blen += k;
    return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    struct conn *c = ud;
    size_t k = size * n, take = k;
    if (!c->body_seen) {
        c->body_seen = 1;
        if (answer_check(c) < 0)
            return 0;
    }
    if (c->end >= 0 && (int64_t)take > c->end - c->pos)
        take = c->end > c->pos ? (size_t)(c->end - c->pos) : 0;
    if (take && buf_put(c, p, take) < 0)
        return 0;
    c->pos += (int64_t)take;
    c->rx += (int64_t)take;
    c->f->job->fetched += (int64_t)take;
    if (take < k || (c->end >= 0 && c->pos >= c->end && c->end != c->req_end)) {
        c->stop = STOP_CUT;                  /* our range is done: stop here */
        return 0;
    }
    return k;
}

/* ------------------------------------------------------------------ */
/* start and end                                                        */

static void setup_easy(struct conn *c, const char *url)
{
    struct run *run = c->f->run;
    CURL *e = c->easy;
    char range[64];
    httpeasy_setup(e, &run->http, url, c->errbuf);
    if (c->req_end >= 0)
        snprintf(range, sizeof range, "%" PRId64 "-%" PRId64, c->start, c->req_end - 1);
    else
        snprintf(range, sizeof range, "%" PRId64 "-", c->start);
    curlapi()->easy_setopt(e, CURLOPT_RANGE, range);
    curlapi()->easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curlapi()->easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    curlapi()->easy_setopt(e, CURLOPT_BUFFERSIZE, CONN_CURL_BUFFER);
    curlapi()->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curlapi()->easy_setopt(e, CURLOPT_WRITEDATA, c);
    curlapi()->easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curlapi()->easy_setopt(e, CURLOPT_HEADERDATA, c);
    curlapi()->easy_setopt(e, CURLOPT_PRIVATE, c);
}

void conn_start(struct conn *c, size_t mirror, int64_t a, int64_t end, int probe)
{
    struct dfile *f = c->f;
    struct run *run = f->run;
    struct mirror *m = &f->m[mirror];
    if (!c->easy && !(c->easy = curlapi()->easy_init())) {
        file_fail(f, "libcurl cannot start a transfer");
        return;
    }
    if (!c->buf)
        c->buf = xmalloc(DL_CONN_BUFFER);
    if (c->mirror != mirror)
        c->rate = 0;
    c->mirror = mirror;
    c->probe = probe;
    c->start = c->pos = a;
    c->end = c->req_end = end;
    c->body_seen = 0;
    c->stop = STOP_NONE;
    free(c->why);
    c->why = NULL;
    c->blen = 0;
    c->rx_mark = c->rx;
    c->t_start = now_ms();
    c->errbuf[0] = '\0';
    resp_reset(c);
    setup_easy(c, m->eff_url ? m->eff_url : m->url);
    if (curlapi()->multi_add_handle(run->multi, c->easy) != CURLM_OK) {
        file_fail(f, "libcurl cannot add a transfer");
        return;
    }
    c->busy = 1;
    f->nactive++;
    run->active++;
    m->active++;
    f->job->requests++;
    if (end >= 0)
        verbosef("%s: bytes %" PRId64 "-%" PRId64 " from %s", f->name, a, end - 1, m->url);
    else
        verbosef("%s: bytes %" PRId64 "- from %s", f->name, a, m->url);
}

/* Out of the multi; its unfinished bytes go back to be handed out. */
static void detach(struct conn *c)
{
    struct dfile *f = c->f;
    struct run *run = f->run;
    if (!c->busy)
        return;
    curlapi()->multi_remove_handle(run->multi, c->easy);
    c->busy = 0;
    f->nactive--;
    run->active--;
    f->m[c->mirror].active--;
    if (f->mode == MODE_RANGES && c->end > c->pos)
        rangeset_add(&f->todo, c->pos, c->end);
    run->need_sched = 1;
}

void conn_flush(struct conn *c)
{
    if (flush_buf(c) < 0)
        file_fail(c->f, "%s", c->why);
}

void conn_stop(struct conn *c)
{
    if (!c->busy)
        return;
    (void)flush_buf(c);                    /* what arrived counts, if it can be written */
    detach(c);
}

void conn_release(struct conn *c)
{
    if (c->busy)
        detach(c);
    if (c->easy)
        curlapi()->easy_cleanup(c->easy);
    c->easy = NULL;
    free(c->buf);
    c->buf = NULL;
    free(c->why);
    c->why = NULL;
    resp_reset(c);
}

static void mirror_drop(struct dfile *f, struct mirror *m)
{
    if (m->dropped)
        return;
    m->dropped = 1;
    f->job->mirrors_dropped++;
    verbosef("%s: not using %s any more: %s", f->name, m->url, m->why);
}

void mirror_fail(struct dfile *f, struct mirror *m, const char *why, int fatal)
{
    free(m->why);
    m->why = xstrdup(why);
    free(m->eff_url);                      /* a redirect target may have gone stale */
    m->eff_url = NULL;
    verbosef("%s: %s: %s", f->name, m->url, why);
    if (fatal) {
        mirror_drop(f, m);
        return;
    }
    long long now = now_ms();
    if (now < m->retry_at)                 /* the same moment of trouble */
        return;
    m->fails++;
    if (m->fails >= f->run->max_fail) {
        mirror_drop(f, m);
        return;
    }
    long long wait = (long long)DL_BACKOFF_MS << (m->fails - 1);
    m->retry_at = now + (wait > DL_BACKOFF_MAX_MS ? DL_BACKOFF_MAX_MS : wait);
}

/* A transfer that ended well (maybe short: the rest goes back). */
static void conn_ok(struct conn *c, struct mirror *m)
{
    struct dfile *f = c->f;
    if (f->mode == MODE_SINGLE && c->end < 0) {     /* the end of the stream: the size */
        char *why = NULL;
        if (file_learn_size(f, c->pos, SIZE_MIRROR, &why) < 0) {
            file_fail(f, "%s", why);
            free(why);
            return;
        }
        c->end = c->pos;
    }
    if (c->pos < c->end) {
        if (f->mode == MODE_SINGLE)
            f->mode = MODE_PROBE;          /* the rest from wherever answers */
        if (c->pos == c->start) {
            mirror_fail(f, m, "answered without data", 0);
            return;
        }
    }
    m->fails = 0;
    long long ms = now_ms() - c->t_start;
    if (c->pos - c->start >= DL_RATE_MIN_BYTES && ms > 0)
        mirror_rate_sample(m, (double)(c->pos - c->start) * 1000.0 / (double)ms);
}

void mirror_rate_sample(struct mirror *m, double rate)
{
    m->rate = m->rate > 0 ? 0.7 * m->rate + 0.3 * rate : rate;
}

static void conn_failed(struct conn *c, struct mirror *m, CURLcode res)
{
    struct dfile *f = c->f;
    long status = 0;
    curlapi()->easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    if (f->mode == MODE_SINGLE)
        f->mode = MODE_PROBE;
    if (c->stop == STOP_NORANGE) {             /* usable only for a single stream */
        verbosef("%s: %s: %s", f->name, m->url, c->why);
        return;
    }
    if (c->why) {
        mirror_fail(f, m, c->why, c->stop == STOP_BAD);
        return;
    }
    char *why;
    if (res == CURLE_HTTP_RETURNED_ERROR)
        why = xasprintf("HTTP %ld", status);
    else
        why = xasprintf("%s", c->errbuf[0] ? c->errbuf : curlapi()->easy_strerror(res));
    mirror_fail(f, m, why, res == CURLE_HTTP_RETURNED_ERROR && (status == 404 || status == 410));
    free(why);
}

void conn_done(struct conn *c, CURLcode res)
{
    struct dfile *f = c->f;
    struct mirror *m = &f->m[c->mirror];
    if (c->stop != STOP_IOERR)
        (void)flush_buf(c);
    int ok = res == CURLE_OK || (res == CURLE_WRITE_ERROR && c->stop == STOP_CUT);
    if (ok && !c->body_seen) {                 /* an empty body: check the answer now */
        c->body_seen = 1;
        ok = answer_check(c) == 0;
    }
    if (c->stop == STOP_IOERR) {
        detach(c);
        file_fail(f, "%s", c->why);
        return;
    }
    if (ok)
        conn_ok(c, m);
    else
        conn_failed(c, m, res);
    detach(c);
    file_advance(f);
}
