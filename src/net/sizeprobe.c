/* sizeprobe.c — see sizeprobe.h. */
#include "sizeprobe.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curllib.h"
#include "curluv.h"
#include "httpeasy.h"
#include "msg.h"

struct sp_xfer {
    struct size_probe *p;
    CURL *easy;
    int active;
    int stopped;               /* we stopped a 200 at its first byte */
    int get;                   /* the fallback GET (HEAD was refused) */
    int64_t cr_total, clen;    /* of the current response; -1 unknown */
    int accept_ranges;         /* ... "Accept-Ranges: bytes" */
    char errbuf[CURL_ERROR_SIZE];
};

struct sp_run {
    uv_loop_t loop;
    CURLM *multi;
    struct curluv cu;
    struct sp_xfer *x;
    size_t n, left;
};

int64_t size_probe_content_range_total(const char *v)
{
    while (*v == ' ')
        v++;
    if (strncasecmp(v, "bytes", 5))
        return -1;
    const char *slash = strchr(v, '/');
    if (!slash || !isdigit((unsigned char)slash[1]))
        return -1;
    char *end;
    errno = 0;
    long long t = strtoll(slash + 1, &end, 10);
    while (*end == ' ' || *end == '\r' || *end == '\n')
        end++;
    return errno || *end || t < 0 ? -1 : (int64_t)t;
}

/* "Name: value" -> value when NAME matches, else NULL. */
static const char *header_value(const char *line, size_t n, const char *name, char *buf,
                                size_t bn)
{
    size_t l = strlen(name);
    if (n <= l || strncasecmp(line, name, l) || line[l] != ':')
        return NULL;
    size_t vn = n - l - 1 < bn - 1 ? n - l - 1 : bn - 1;
    memcpy(buf, line + l + 1, vn);
    buf[vn] = '\0';
    return buf;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sp_xfer *x = ud;
    size_t n = size * nmemb;
    char buf[128];
    const char *v;
    if (n >= 5 && !strncmp(p, "HTTP/", 5)) {  /* a new response (after a redirect) */
        x->cr_total = x->clen = -1;
        x->accept_ranges = 0;
    } else if ((v = header_value(p, n, "accept-ranges", buf, sizeof buf))) {
        x->accept_ranges = strstr(v, "bytes") != NULL;
    } else if ((v = header_value(p, n, "content-range", buf, sizeof buf))) {
        x->cr_total = size_probe_content_range_total(v);
    } else if ((v = header_value(p, n, "content-length", buf, sizeof buf))) {
        char *end;
        long long l = strtoll(v, &end, 10);
        x->clen = end != v && l >= 0 ? l : -1;
    }
    return n;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sp_xfer *x = ud;
    (void)p;
    long status = 0;
    curlapi()->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status == 206 && size * nmemb <= 1)
        return size * nmemb;
    x->stopped = 1;  /* a 200 (the whole file) or an oversized 206: enough seen */
    return 0;
}

static void settle(struct sp_xfer *x, CURLcode res)
{
    struct size_probe *p = x->p;
    curlapi()->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &p->status);
    int answered = res == CURLE_OK || (res == CURLE_WRITE_ERROR && x->stopped);
    if (answered && x->get && p->status == 206) {
        p->ranges = 1;
        p->size = x->cr_total;
    } else if (answered && p->status >= 200 && p->status < 300) {
        p->ranges = x->accept_ranges;
        p->size = x->clen;
    } else if (answered || res == CURLE_HTTP_RETURNED_ERROR) {
        p->error = xasprintf("HTTP %ld", p->status);
    } else {
        p->error = xstrdup(x->errbuf[0] ? x->errbuf : curlapi()->easy_strerror(res));
    }
    verbosef("size probe: %s: %s", p->url,
             p->error ? p->error : p->size >= 0 ? "size known" : "size unknown");
}

/* HEAD refused (405 Method Not Allowed, 501 Not Implemented)? */
static int head_refused(struct sp_xfer *x, CURLcode res)
{
    long status = 0;
    curlapi()->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    return !x->get && res == CURLE_HTTP_RETURNED_ERROR && (status == 405 || status == 501);
}

static void ask(struct sp_xfer *x)
{
    curlapi()->easy_setopt(x->easy, CURLOPT_NOBODY, x->get ? 0L : 1L);
    curlapi()->easy_setopt(x->easy, CURLOPT_RANGE, x->get ? "0-0" : NULL);
    x->cr_total = x->clen = -1;
    x->accept_ranges = 0;
    x->errbuf[0] = '\0';
    verbosef("size probe: %s %s%s", x->get ? "GET" : "HEAD", x->p->url,
             x->get ? " Range: bytes=0-0" : "");
}

static void on_done(struct curluv *cu, CURL *easy, CURLcode res)
{
    struct sp_run *run = cu->data;
    for (size_t i = 0; i < run->n; i++) {
        struct sp_xfer *x = &run->x[i];
        if (x->easy != easy || !x->active)
            continue;
        curlapi()->multi_remove_handle(run->multi, easy);
        if (head_refused(x, res)) {
            x->get = 1;
            ask(x);
            if (curlapi()->multi_add_handle(run->multi, easy) == CURLM_OK)
                return;
        }
        settle(x, res);
        x->active = 0;
        run->left--;
        return;
    }
}

static int start(struct sp_run *run, struct sp_xfer *x, const struct http_settings *hs)
{
    x->cr_total = x->clen = -1;
    if (!(x->easy = curlapi()->easy_init())) {
        x->p->error = xstrdup("cannot create a curl handle");
        return -1;
    }
    httpeasy_setup(x->easy, hs, x->p->url, x->errbuf);
    ask(x);
    curlapi()->easy_setopt(x->easy, CURLOPT_HEADERFUNCTION, on_header);
    curlapi()->easy_setopt(x->easy, CURLOPT_HEADERDATA, x);
    curlapi()->easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, on_body);
    curlapi()->easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
    curlapi()->easy_setopt(x->easy, CURLOPT_FAILONERROR, 1L);
    CURLMcode mc = curlapi()->multi_add_handle(run->multi, x->easy);
    if (mc != CURLM_OK) {
        x->p->error = xstrdup(curlapi()->multi_strerror(mc));
        return -1;
    }
    x->active = 1;
    run->left++;
    return 0;
}

static void run_loop(struct sp_run *run, const struct fetch_opts *o)
{
    struct http_settings hs;
    http_settings_init(&hs, o);
    for (size_t i = 0; i < run->n; i++)
        start(run, &run->x[i], &hs);
    if (run->left)
        uv_run(&run->loop, UV_RUN_DEFAULT);
    for (size_t i = 0; i < run->n; i++) {
        struct sp_xfer *x = &run->x[i];
        if (x->active) {  /* the loop ended early: should not happen */
            curlapi()->multi_remove_handle(run->multi, x->easy);
            x->p->error = xstrdup("no answer");
        }
        if (x->easy)
            curlapi()->easy_cleanup(x->easy);
    }
    http_settings_free(&hs);
}

size_t size_probe_run(struct size_probe *p, size_t n, const struct fetch_opts *o)
{
    for (size_t i = 0; i < n; i++) {
        size_probe_clear(&p[i]);
        if (o && o->offline)
            p[i].error = xstrdup("offline");
    }
    if (!n || (o && o->offline))
        return 0;
    struct sp_run run;
    memset(&run, 0, sizeof run);
    char *err = NULL;
    if (curluv_open(&run.cu, &run.loop, on_done, NULL, &run, &err)) {
        verbosef("size probe: %s", err);
        free(err);
        goto fail;
    }
    run.multi = curluv_multi(&run.cu, &err);
    if (!run.multi) {
        verbosef("size probe: %s", err);
        free(err);
        curluv_close(&run.cu, "size probe");
        goto fail;
    }
    run.x = xcalloc(n, sizeof *run.x);
    run.n = n;
    for (size_t i = 0; i < n; i++)
        run.x[i].p = &p[i];
    run_loop(&run, o);
    curluv_close(&run.cu, "size probe");
    free(run.x);
    size_t known = 0;
    for (size_t i = 0; i < n; i++)
        known += p[i].size >= 0;
    return known;
fail:
    for (size_t i = 0; i < n; i++)
        p[i].error = xstrdup("cannot start libcurl/libuv");
    return 0;
}

void size_probe_clear(struct size_probe *p)
{
    free(p->error);
    p->error = NULL;
    p->size = -1;
    p->ranges = 0;
    p->status = 0;
}
