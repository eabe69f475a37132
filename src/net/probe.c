/* probe.c — see probe.h.
 *
 * curl multi on a libuv loop through curluv.c, as fetch.c does. One more
 * timer is the run's deadline: whatever is still going then is given up. */
#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "curllib.h"
#include "curluv.h"
#include "fileio.h"
#include "msg.h"
#include "strv.h"

#ifndef TORCHSHIM_VERSION
#define TORCHSHIM_VERSION "0"
#endif

/* ------------------------------------------------------------------ */
/* what to ask                                                          */

/* S without its trailing slashes; malloc'd. */
static char *strip_slashes(const char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        n--;
    return xstrndup(s, n);
}

/* The first word of a space-separated list; malloc'd, NULL if empty. */
static char *first_word(const char *list)
{
    if (!list)
        return NULL;
    list += strspn(list, " \t,");
    size_t n = strcspn(list, " \t,");
    return n ? xstrndup(list, n) : NULL;
}

char *probe_url(const struct site *s, enum role r)
{
    if (!s || r >= ROLE_N || !s->url[r] || !*s->url[r])
        return NULL;
    char *base = NULL, *url = NULL;
    switch (r) {
    case ROLE_WHEELS: {
        /* a directory (a find-links listing) gets its slash, a simple index
         * its torch page (where the wheel links are); a page (sjtu's
         * torch_stable.html) is asked for as is */
        url = site_wheels_url(s->url[r], "cpu");
        const char *last = strrchr(url, '/');
        last = last ? last + 1 : url;
        if (*last && !strchr(last, '.')) {
            char *u = xasprintf("%s/%s", url, s->wheels_format == WHEELS_SIMPLE ? "torch/" : "");
            free(url);
            url = u;
        }
        return url;
    }
    case ROLE_PYPI:
        base = strip_slashes(s->url[r]);
        url = xasprintf("%s/typing-extensions/", base);
        break;
    case ROLE_CONDA: {
        char *ch = !s->conda_channels || site_serves_channel(s, "pytorch")
                       ? xstrdup("pytorch")
                       : first_word(s->conda_channels);
        base = strip_slashes(s->url[r]);
        url = xasprintf("%s/%s/noarch/repodata.json", base, ch ? ch : "pytorch");
        free(ch);
        break;
    }
    case ROLE_NVIDIA:
        base = strip_slashes(s->url[r]);
        url = xasprintf("%s/noarch/repodata.json", base);
        break;
    default:
        break;
    }
    free(base);
    return url;
}

static void item_reset_results(struct probe_item *it)
{
    free(it->error);
    it->error = NULL;
    it->state = PROBE_PENDING;
    it->http_status = 0;
    it->latency = -1;
    it->total = 0;
    it->bytes = 0;
    it->truncated = 0;
    it->links_upstream = 0;
}

void probe_item_set(struct probe_item *it, const char *site, enum role r, const char *url)
{
    memset(it, 0, sizeof *it);
    it->site = xstrdup(site);
    it->role = r;
    it->url = xstrdup(url);
    item_reset_results(it);
}

void probe_items_free(struct probe_item *items, size_t n)
{
    if (!items)
        return;
    for (size_t i = 0; i < n; i++) {
        free(items[i].site);
        free(items[i].url);
        free(items[i].error);
    }
    free(items);
}

int probe_site_listed(const struct site *s, const struct config *c, char *const *only,
                      size_t nonly)
{
    if (!nonly)
        return 1;
    for (size_t i = 0; i < nonly; i++)
        if (config_site(c, only[i]) == s)
            return 1;
    return 0;
}

static void plan_push(struct probe_item **out, size_t *n, size_t *cap, const struct site *s,
                      enum role r)
{
    char *url = probe_url(s, r);
    if (!url)
        return;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *out = xrealloc(*out, *cap * sizeof **out);
    }
    struct probe_item *it = &(*out)[*n];
    probe_item_set(it, s->name, r, url);
    it->order = (*n)++;
    free(url);
}

long probe_plan(const struct config *c, int in_use, char *const *only, size_t nonly,
                struct probe_item **out, char **err)
{
    *out = NULL;
    for (size_t i = 0; i < nonly; i++)
        if (!config_site(c, only[i]))
            return seterr(err, "no mirror site '%s' is configured", only[i]);
    size_t n = 0, cap = 0;
    if (in_use) {
        for (int r = 0; r < ROLE_N; r++) {
            const struct site *sites[64];
            size_t k = config_sites_for(c, (enum role)r, sites, sizeof sites / sizeof *sites);
            for (size_t j = 0; j < k; j++)
                if (probe_site_listed(sites[j], c, only, nonly))
                    plan_push(out, &n, &cap, sites[j], (enum role)r);
        }
    } else {
        for (size_t i = 0; i < c->nsites; i++)
            if (probe_site_listed(&c->sites[i], c, only, nonly))
                for (int r = 0; r < ROLE_N; r++)
                    plan_push(out, &n, &cap, &c->sites[i], (enum role)r);
    }
    return (long)n;
}

/* ------------------------------------------------------------------ */
/* the event loop                                                       */

struct prun;

struct xfer {
    struct prun *run;
    struct probe_item *it;
    CURL *easy;
    int active;
    size_t max_bytes;
    char errbuf[CURL_ERROR_SIZE];
    char tail[64];        /* the end of the last chunk: a host name split across chunks */
    size_t ntail;
};

/* Does a wheels page link its files to the official hosts (a page copied
 * from upstream verbatim)? Scans each chunk with the previous one's tail. */
static void scan_upstream(struct xfer *x, const char *data, size_t len)
{
    static const char *const hosts[] = { "//download.pytorch.org/", "//download-r2.pytorch.org/" };
    char buf[sizeof x->tail + 4096];
    for (size_t off = 0; off < len && !x->it->links_upstream;) {
        size_t take = len - off < 4096 ? len - off : 4096;
        memcpy(buf, x->tail, x->ntail);
        memcpy(buf + x->ntail, data + off, take);
        size_t n = x->ntail + take;
        for (size_t h = 0; h < 2; h++)
            if (memmem(buf, n, hosts[h], strlen(hosts[h])))
                x->it->links_upstream = 1;
        x->ntail = n < sizeof x->tail ? n : sizeof x->tail;
        memcpy(x->tail, buf + n - x->ntail, x->ntail);
        off += take;
    }
}

struct prun {
    uv_loop_t loop;
    struct curluv cu;     /* curl multi <-> libuv glue */
    uv_timer_t deadline;
    CURLM *multi;
    struct xfer *x;
    size_t n;
    size_t left;          /* transfers still active */
    uint64_t t0;          /* uv_hrtime() at the start */
    long timeout_ms;
};

static double since(uint64_t t0)
{
    return (double)(uv_hrtime() - t0) / 1e9;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct xfer *x = userp;
    size_t len = size * nmemb;
    if (x->it->role == ROLE_WHEELS)
        scan_upstream(x, data, len);
    x->it->bytes += len;
    if (x->it->bytes >= x->max_bytes) {
        x->it->truncated = 1;
        return 0;  /* enough to measure: stop here (CURLE_WRITE_ERROR) */
    }
    return len;
}

static double info_secs(CURL *easy, CURLINFO what)
{
    curl_off_t us = 0;
    if (curlapi()->easy_getinfo(easy, what, &us) != CURLE_OK)
        return -1;
    return (double)us / 1e6;
}

/* Take X out of the multi handle (it stays allocated until the end). */
static void xfer_detach(struct xfer *x)
{
    if (!x->active)
        return;
    curlapi()->multi_remove_handle(x->run->multi, x->easy);
    x->active = 0;
    x->run->left--;
}

static void xfer_done(struct xfer *x, CURLcode res)
{
    struct probe_item *it = x->it;
    long status = 0;
    curlapi()->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    it->http_status = status;
    double ttfb = info_secs(x->easy, CURLINFO_STARTTRANSFER_TIME_T);
    it->latency = status > 0 && ttfb > 0 ? ttfb : -1;
    it->total = info_secs(x->easy, CURLINFO_TOTAL_TIME_T);
    if (res == CURLE_OK || (res == CURLE_WRITE_ERROR && it->truncated)) {
        if (status >= 200 && status < 300) {
            it->state = PROBE_OK;
        } else {
            it->state = PROBE_FAILED;
            it->error = xasprintf("HTTP %ld", status);
        }
    } else {
        it->state = PROBE_FAILED;
        it->truncated = 0;
        it->error = xstrdup(x->errbuf[0] ? x->errbuf : curlapi()->easy_strerror(res));
    }
    verbosef("probe: %s %s: %s (%.3f s to the first byte, %zu bytes)", it->site,
             role_name(it->role), it->error ? it->error : "ok", it->latency, it->bytes);
    xfer_detach(x);
}

static void stop_loop_if_done(struct prun *run)
{
    if (run->left == 0) {
        curluv_stop_timer(&run->cu);
        uv_timer_stop(&run->deadline);
        uv_stop(&run->loop);
    }
}

/* curluv: a transfer finished */
static void on_done(struct curluv *cu, CURL *easy, CURLcode res)
{
    (void)cu;
    struct xfer *x = NULL;
    curlapi()->easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    if (x && x->active)
        xfer_done(x, res);
}

static void after_drain(struct curluv *cu)
{
    stop_loop_if_done(cu->data);
}

/* The deadline: give up on everything still running. A transfer that has
 * started its 2xx body has answered: it counts, measured on what came. */
static void on_deadline(uv_timer_t *t)
{
    struct prun *run = t->data;
    double now = since(run->t0);
    for (size_t i = 0; i < run->n; i++) {
        struct xfer *x = &run->x[i];
        if (!x->active)
            continue;
        struct probe_item *it = x->it;
        long status = 0;
        curlapi()->easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
        double ttfb = info_secs(x->easy, CURLINFO_STARTTRANSFER_TIME_T);
        it->http_status = status;
        it->total = now;
        if (status >= 200 && status < 300 && ttfb > 0 && it->bytes > 0) {
            it->state = PROBE_OK;
            it->latency = ttfb;
            it->truncated = 1;
        } else {
            it->state = PROBE_TIMEOUT;
            it->latency = status > 0 && ttfb > 0 ? ttfb : -1;
        }
        verbosef("probe: %s %s: %s at the deadline", it->site, role_name(it->role),
                 it->state == PROBE_OK ? "still receiving" : "no answer");
        xfer_detach(x);
    }
    stop_loop_if_done(run);
}

static void xfer_setup(struct xfer *x, const struct probe_opts *o, long timeout_ms)
{
    CURL *e = x->easy;
    long connect_ms = o->connect_timeout_ms > 0 && o->connect_timeout_ms < timeout_ms
                          ? o->connect_timeout_ms
                          : timeout_ms;
    curlapi()->easy_setopt(e, CURLOPT_URL, x->it->url);
    curlapi()->easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
    curlapi()->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curlapi()->easy_setopt(e, CURLOPT_WRITEDATA, x);
    curlapi()->easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curlapi()->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curlapi()->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curlapi()->easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curlapi()->easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curlapi()->easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curlapi()->easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curlapi()->easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    /* each its own connection, so every site pays its own connect + TLS */
    curlapi()->easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
    curlapi()->easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    curlapi()->easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    /* the deadline timer decides first; this is only a backstop */
    curlapi()->easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms + 1000);
    curlapi()->easy_setopt(e, CURLOPT_USERAGENT,
                     o->user_agent ? o->user_agent : "torchshim/" TORCHSHIM_VERSION);
}

long probe_run(struct probe_item *items, size_t n, const struct probe_opts *o, char **err)
{
    static const struct probe_opts defaults = { 0, 0, 0, NULL };
    if (!o)
        o = &defaults;
    if (n == 0)
        return 0;
    struct prun run;
    memset(&run, 0, sizeof run);
    run.timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : PROBE_DEFAULT_TIMEOUT_MS;
    if (curluv_open(&run.cu, &run.loop, on_done, after_drain, &run, err))
        return -1;
    run.multi = curluv_multi(&run.cu, err);
    if (!run.multi) {
        curluv_close(&run.cu, "probe");
        return -1;
    }
    uv_timer_init(&run.loop, &run.deadline);
    run.deadline.data = &run;

    run.x = xcalloc(n, sizeof *run.x);
    run.n = n;
    run.t0 = uv_hrtime();
    for (size_t i = 0; i < n; i++) {
        struct xfer *x = &run.x[i];
        x->run = &run;
        x->it = &items[i];
        x->max_bytes = o->max_bytes ? o->max_bytes : PROBE_MAX_BYTES;
        item_reset_results(x->it);
        x->easy = curlapi()->easy_init();
        if (!x->easy) {
            x->it->state = PROBE_FAILED;
            x->it->error = xstrdup("cannot create a curl handle");
            continue;
        }
        xfer_setup(x, o, run.timeout_ms);
        CURLMcode mc = curlapi()->multi_add_handle(run.multi, x->easy);
        if (mc != CURLM_OK) {
            x->it->state = PROBE_FAILED;
            x->it->error = xstrdup(curlapi()->multi_strerror(mc));
            continue;
        }
        x->active = 1;
        run.left++;
    }
    if (run.left) {
        uv_timer_start(&run.deadline, on_deadline, (uint64_t)run.timeout_ms, 0);
        uv_run(&run.loop, UV_RUN_DEFAULT);
    }
    /* anything uv_run left behind (it only returns early via uv_stop) */
    if (run.left)
        on_deadline(&run.deadline);

    long answered = 0;
    for (size_t i = 0; i < n; i++) {
        if (run.x[i].easy)
            curlapi()->easy_cleanup(run.x[i].easy);
        answered += items[i].state == PROBE_OK;
    }
    curluv_close(&run.cu, "probe");
    free(run.x);
    return answered;
}

/* ------------------------------------------------------------------ */
/* pure helpers                                                         */

static int state_rank(enum probe_state s)
{
    switch (s) {
    case PROBE_OK: return 0;
    case PROBE_FAILED: return 1;
    case PROBE_TIMEOUT: return 2;
    default: return 3;
    }
}

int probe_cmp(const struct probe_item *a, const struct probe_item *b)
{
    if (a->role != b->role)
        return a->role < b->role ? -1 : 1;
    int ra = state_rank(a->state), rb = state_rank(b->state);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (a->state == PROBE_OK && a->latency != b->latency) {
        /* an unknown latency (< 0) sorts last */
        if (a->latency < 0 || b->latency < 0)
            return a->latency < 0 ? 1 : -1;
        return a->latency < b->latency ? -1 : 1;
    }
    return a->order < b->order ? -1 : a->order > b->order;
}

static int cmp_items(const void *a, const void *b)
{
    return probe_cmp(a, b);
}

void probe_sort(struct probe_item *items, size_t n)
{
    if (n > 1)
        qsort(items, n, sizeof *items, cmp_items);
}

const struct probe_item *probe_best(const struct probe_item *items, size_t n, enum role r)
{
    const struct probe_item *best = NULL;
    for (size_t i = 0; i < n; i++)
        if (items[i].role == r && items[i].state == PROBE_OK &&
            (!best || probe_cmp(&items[i], best) < 0))
            best = &items[i];
    return best;
}

double probe_rate(const struct probe_item *it)
{
    if (it->state != PROBE_OK || it->bytes == 0 || it->latency < 0 || it->total < 0)
        return -1;
    double secs = it->total - it->latency;
    if (secs < 0.001)
        secs = 0.001;
    return (double)it->bytes / secs;
}

void probe_fmt_duration(double secs, char *buf, size_t n)
{
    if (secs < 0)
        snprintf(buf, n, "-");
    else if (secs < 0.9995)
        snprintf(buf, n, "%.0f ms", secs * 1000);
    else if (secs < 9.995)
        snprintf(buf, n, "%.2f s", secs);
    else
        snprintf(buf, n, "%.1f s", secs);
}

void probe_fmt_rate(double bps, char *buf, size_t n)
{
    static const char *const units[] = { "B/s", "KB/s", "MB/s", "GB/s", "TB/s" };
    if (bps < 0) {
        snprintf(buf, n, "-");
        return;
    }
    size_t u = 0;
    while (bps >= 999.5 && u + 1 < sizeof units / sizeof *units) {
        bps /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%.0f %s", bps, units[u]);
    else
        snprintf(buf, n, bps < 9.995 ? "%.2f %s" : bps < 99.95 ? "%.1f %s" : "%.0f %s", bps, units[u]);
}

char *probe_fmt_status(const struct probe_item *it, long timeout_ms)
{
    switch (it->state) {
    case PROBE_OK:
        return xstrdup(it->links_upstream ? "ok, but its page links the files to "
                                            "download.pytorch.org: pip would download upstream"
                                          : "ok");
    case PROBE_FAILED:
        return xstrdup(it->error ? it->error : "failed");
    case PROBE_TIMEOUT: {
        char d[32];
        probe_fmt_duration((double)timeout_ms / 1000, d, sizeof d);
        return it->http_status > 0
                   ? xasprintf("HTTP %ld, no body within %s", it->http_status, d)
                   : xasprintf("no answer within %s", d);
    }
    default:
        return xstrdup("not probed");
    }
}

/* ------------------------------------------------------------------ */
/* saving the choice                                                    */

static int role_index(const char *key, size_t len)
{
    for (int r = 0; r < ROLE_N; r++)
        if (strlen(role_name((enum role)r)) == len && !strncmp(key, role_name((enum role)r), len))
            return r;
    return -1;
}

/* The section name of a "[name]" line (S after leading blanks), as libinih
 * reads it: everything between the brackets, blanks included; malloc'd. */
static char *section_name(const char *s)
{
    const char *e = strchr(s + 1, ']');
    return xstrndup(s + 1, e ? (size_t)(e - s - 1) : strcspn(s + 1, "\r\n"));
}

/* The inline comment of a value (VAL up to, not including, the line end):
 * from the blanks before a ';' that follows a blank; "" if none. */
static const char *inline_comment(const char *val, size_t len)
{
    for (size_t i = 1; i < len; i++)
        if (val[i] == ';' && (val[i - 1] == ' ' || val[i - 1] == '\t')) {
            size_t k = i;
            while (k > 0 && (val[k - 1] == ' ' || val[k - 1] == '\t'))
                k--;
            return val + k;
        }
    return val + len;
}

/* Insert the keys not written yet at AT, in role order; they count as
 * written from now on (a later [use] section must not say them again). */
static void push_keys(struct strv *out, size_t at, const char *const use[ROLE_N],
                      int written[ROLE_N], const char *eol)
{
    for (int r = ROLE_N - 1; r >= 0; r--)
        if (use[r] && !written[r]) {
            char *kv = xasprintf("%s = %s%s", role_name((enum role)r), use[r], eol);
            strv_insert(out, at, kv);
            free(kv);
            written[r] = 1;
        }
}

/* The rewrite of one configuration file, line by line. */
struct use_edit {
    const char *const *use;
    struct strv out;
    int in_use, seen_use, inserted, skip_cont;
    int written[ROLE_N];
    size_t insert_at;
    const char *eol;
};

/* A "[section]" line. */
static void edit_section(struct use_edit *e, const char *s, char *orig)
{
    if (e->in_use && !e->inserted) {
        push_keys(&e->out, e->insert_at, e->use, e->written, e->eol);
        e->inserted = 1;
    }
    char *name = section_name(s);
    e->in_use = !strcmp(name, "use");
    free(name);
    e->skip_cont = 0;
    strv_push_take(&e->out, orig);
    if (e->in_use && !e->seen_use) {
        e->seen_use = 1;
        e->insert_at = e->out.n;
    }
}

/* A "key = value" line of [use] (S at the key, END at the line end). */
static void edit_key(struct use_edit *e, const char *s, const char *end, char *orig)
{
    size_t klen = strcspn(s, "=:\r\n"), kend = klen;
    while (kend > 0 && (s[kend - 1] == ' ' || s[kend - 1] == '\t'))
        kend--;
    int r = role_index(s, kend);
    if (r >= 0 && e->use[r]) {
        e->skip_cont = 1;
        free(orig);
        if (e->written[r])  /* a repeated key: the first one says it now */
            return;
        const char *val = s + klen + (s[klen] == '=' || s[klen] == ':');
        const char *cmt = inline_comment(val, (size_t)(end - val));
        strv_push_take(&e->out, xasprintf("%.*s = %s%.*s%s", (int)kend, s, e->use[r],
                                          (int)(end - cmt), cmt, e->eol));
        e->written[r] = 1;
    } else {
        e->skip_cont = 0;
        strv_push_take(&e->out, orig);
    }
    if (!e->inserted)
        e->insert_at = e->out.n;
}

/* One line, CUR with LEN bytes before its '\n' (if any). */
static void edit_line(struct use_edit *e, const char *cur, size_t len)
{
    const char *end = len > 0 && cur[len - 1] == '\r' ? cur + len - 1 : cur + len;
    const char *s = cur;
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    int indented = s > cur, blank = s == end;
    /* the line as it was, with a line end even if the file had none */
    char *orig = cur[len] == '\n' ? xstrndup(cur, len + 1)
                                  : xasprintf("%.*s%s", (int)len, cur, e->eol);
    if (!blank && *s == '[') {
        edit_section(e, s, orig);
    } else if (!e->in_use || blank || *s == ';' || *s == '#') {
        strv_push_take(&e->out, orig);
    } else if (indented) {  /* a continuation line: of a key we replace, or not */
        if (e->skip_cont) {
            free(orig);
        } else {
            strv_push_take(&e->out, orig);
            if (!e->inserted)
                e->insert_at = e->out.n;
        }
    } else {
        edit_key(e, s, end, orig);
    }
}

char *probe_use_update(const char *text, const char *const use[ROLE_N])
{
    struct use_edit e = { .use = use, .eol = "\n" };
    if (!text)
        text = "";
    const char *nl = strchr(text, '\n');
    if (nl && nl > text && nl[-1] == '\r')
        e.eol = "\r\n";
    for (const char *cur = text; *cur;) {
        size_t len = strcspn(cur, "\n");
        edit_line(&e, cur, len);
        cur += len + (cur[len] == '\n');
    }
    if (e.in_use && !e.inserted)
        push_keys(&e.out, e.insert_at, use, e.written, e.eol);
    int any = 0;
    for (int r = 0; r < ROLE_N; r++)
        any |= use[r] != NULL;
    if (!e.seen_use && any) {
        if (e.out.n && strspn(e.out.v[e.out.n - 1], " \t\r\n") != strlen(e.out.v[e.out.n - 1]))
            strv_push(&e.out, e.eol);
        strv_pushf(&e.out, "[use]%s", e.eol);
        push_keys(&e.out, e.out.n, use, e.written, e.eol);
    }
    char *res = strv_join(&e.out, "");
    strv_clear(&e.out);
    return res;
}

/* The file to write: PATH, or where its symlink points. 1 when it exists
 * (*mode its permissions), 0 when not, -1 with *err. */
static int save_target(const char *path, char target[PATH_MAX], mode_t *mode, char **err)
{
    struct stat st;
    snprintf(target, PATH_MAX, "%s", path);
    if (lstat(path, &st) != 0) {
        mode_t mask = umask(0);
        umask(mask);
        *mode = 0666 & ~mask;
        return 0;
    }
    if (S_ISLNK(st.st_mode) && !realpath(path, target))
        return seterr(err, "%s: a symlink to nowhere (%s)", path, strerror(errno));
    if (stat(target, &st) != 0)
        return seterr(err, "%s: %s", target, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return seterr(err, "%s is not a regular file: not rewriting it", target);
    *mode = st.st_mode & 07777;
    return 1;
}

int probe_save_use(const char *path, const char *const use[ROLE_N], char **err)
{
    char target[PATH_MAX];
    mode_t mode = 0600;
    if (!path || !*path)
        return seterr(err, "no user configuration file (set HOME or TORCHSHIM_CONFIG)");
    int exists = save_target(path, target, &mode, err);
    if (exists < 0)
        return -1;
    char *old = NULL;
    if (exists && file_read(target, CONFIG_MAX_FILE, &old, NULL, err) < 0)
        return -1;
    char *text = probe_use_update(old, use);
    free(old);
    int r = file_write_atomic(target, "", 0, text, strlen(text), mode, err);
    free(text);
    return r;
}
