/* fetch.c — see fetch.h.
 *
 * curl multi runs on a libuv loop through curluv.c (curl's multi-uv.c
 * pattern, with its pitfalls fixed: every completion message read after each
 * action, poll errors passed on as CURL_CSELECT_ERR, 0 ms timeouts run from
 * the loop). Here, a transfer is good only with CURLE_OK *and* an HTTP 2xx
 * (or a 304 answering our conditional request).
 *
 * Life of a job: one `struct attempt` per HTTP request; a mirror runs its
 * attempts one at a time (repodata: .zst, .bz2, .json); a good answer goes
 * to the thread pool (decompress + cache write) and, when it comes back
 * good, settles the job and cancels the job's other attempts. */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "cache.h"
#include "curllib.h"
#include "curluv.h"
#include "decompress.h"
#include "fileio.h"
#include "httpeasy.h"
#include "msg.h"

#define MEMO_NAME          "repodata-variants.memo"
#define MAX_HOST_CONNS     6L
#define MAX_TOTAL_CONNS    24L
#define PROGRESS_DELAY_MS  500
#define PROGRESS_EVERY_MS  200

/* What a mirror may hold for one repodata.json, in the order asked. */
static const struct variant {
    const char *suffix;        /* appended to .../repodata.json */
    const char *memo;          /* its name in the memo file */
    int filter;                /* how the body is decoded */
} variants[] = {
    { ".zst", "zst",  DECOMPRESS_ZSTD },
    { ".bz2", "bz2",  DECOMPRESS_BZIP2 },
    { "",     "json", DECOMPRESS_AUTO },  /* plain, or mislabelled gzip */
};
#define NVARIANTS ((int)(sizeof variants / sizeof variants[0]))
#define VARIANT_RAW (-1)

struct run;
struct job_state;

struct mirror {
    const char *url;           /* jobs[].urls[i] */
    char *key;                 /* the cache key: url, or "url#cache_tag" */
    char *site;                /* memo key (repodata), else NULL */
    int order[NVARIANTS];      /* variants to ask, best guess first */
    int norder, next;
    struct cache_entry cached; /* a stale entry, for 304s and as last resort */
    int have_cached;
    int busy;                  /* a transfer or a worker in flight */
};

struct attempt {
    struct job_state *js;
    struct attempt *prev, *next;   /* the job's transfers in the multi */
    size_t mirror;
    int variant;                   /* index into variants[] or VARIANT_RAW */
    char *url;
    CURL *easy;
    struct curl_slist *headers;
    int conditional;               /* sent If-None-Match/If-Modified-Since */
    char *body;
    size_t len, cap;
    int too_big;
    int fd;                        /* spool: the temporary file (else -1) */
    int spool_errno;               /* spool: why a write failed */
    char *etag, *last_modified;    /* of the final response */
    long status;
    char errbuf[CURL_ERROR_SIZE];
    /* thread-pool stage */
    uv_work_t work;
    const char *cache_dir;
    int is304;
    char *out;
    size_t outlen;
    char *werr;
    int rejected;                  /* the check refused the body: the mirror's fault */
    int lost;                      /* good, but another body claimed the job first */
    void *product;                 /* the check's */
    double decompress_s;           /* measured on the worker thread */
    double check_s;
};

struct job_state {
    struct run *run;
    struct fetch_job *job;
    struct mirror *m;
    size_t nm;
    size_t seq;                    /* race = 0: the mirror being tried */
    struct attempt *active;        /* transfers in the multi */
    int done;
    atomic_int settled;            /* done, as the worker threads see it */
    atomic_int claimed;            /* a checked body won: only it is cached */
    char *errors;                  /* "url: reason; url: reason" */
    uint64_t t0;
};

struct memo_entry {
    char *site;
    char *variant;
    int changed;
};

struct memo {
    struct memo_entry *v;
    size_t n, cap;
    int dirty;
};

struct run {
    uv_loop_t loop;
    struct curluv cu;              /* curl multi <-> libuv glue */
    uv_timer_t progress_timer;
    CURLM *multi;
    CURL **pool;                   /* idle easy handles */
    size_t npool, cappool;
    struct job_state *js;
    size_t njs;
    size_t jobs_left;              /* not settled yet */
    size_t workers;                /* uv_work requests in flight */
    struct memo memo;
    char *cache_dir;               /* NULL: no cache (own copy: workers read it) */
    struct http_settings http;
    long ttl;
    int offline;
    int progress_on, progress_shown;
    int net;                       /* loop and multi are up */
};

static double elapsed(uint64_t t0)
{
    return (double)(uv_hrtime() - t0) / 1e9;
}

static const char *job_name(const struct fetch_job *job)
{
    if (job->name)
        return job->name;
    return job->nurls ? job->urls[0] : "(no URL)";
}

static void append_error(struct job_state *js, const char *url, const char *why)
{
    char *e = js->errors ? xasprintf("%s; %s: %s", js->errors, url, why)
                         : xasprintf("%s: %s", url, why);
    free(js->errors);
    js->errors = e;
    verbosef("%s: %s: %s", job_name(js->job), url, why);
}

/* ------------------------------------------------------------------ */
/* the memo: which compression a repodata site serves                   */

/* "https://host/path/channel/linux-64/repodata.json" -> ".../channel" */
static char *site_of(const char *url)
{
    const char *q = url + strcspn(url, "?#");
    const char *start = strstr(url, "://");
    start = start ? start + 3 : url;
    const char *slash = NULL;
    int cut = 0;
    for (const char *p = q; p > start && cut < 2; p--) {
        if (p[-1] == '/') {
            slash = p - 1;
            cut++;
        }
    }
    if (!slash)
        return xstrndup(url, (size_t)(q - url));
    return xstrndup(url, (size_t)(slash - url));
}

static struct memo_entry *memo_find(struct memo *mm, const char *site)
{
    for (size_t i = 0; i < mm->n; i++)
        if (!strcmp(mm->v[i].site, site))
            return &mm->v[i];
    return NULL;
}

static void memo_set(struct memo *mm, const char *site, const char *variant, int changed)
{
    struct memo_entry *e = memo_find(mm, site);
    if (e) {
        if (!strcmp(e->variant, variant))
            return;
        free(e->variant);
    } else {
        if (mm->n == mm->cap) {
            mm->cap = mm->cap ? mm->cap * 2 : 8;
            mm->v = xrealloc(mm->v, mm->cap * sizeof *mm->v);
        }
        e = &mm->v[mm->n++];
        e->site = xstrdup(site);
    }
    e->variant = xstrdup(variant);
    e->changed = changed;
    if (changed)
        mm->dirty = 1;
}

static void memo_clear(struct memo *mm)
{
    for (size_t i = 0; i < mm->n; i++) {
        free(mm->v[i].site);
        free(mm->v[i].variant);
    }
    free(mm->v);
    memset(mm, 0, sizeof *mm);
}

/* Lines "<variant> <site>"; anything else is ignored. */
static void memo_load(struct memo *mm, const char *cache_dir)
{
    if (!cache_dir)
        return;
    char *path = xasprintf("%s/%s", cache_dir, MEMO_NAME);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
    free(path);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 20))) {
        close(fd);                       /* a FIFO, a device, a huge file: not our memo */
        fd = -1;
    }
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        char *sp = strchr(line, ' ');
        if (!sp || !sp[1])
            continue;
        *sp = '\0';
        for (int v = 0; v < NVARIANTS; v++)
            if (!strcmp(line, variants[v].memo))
                memo_set(mm, sp + 1, line, 0);
    }
    free(line);
    fclose(f);
}

/* Merge our changes into the file as it is now (another process may have
 * written it meanwhile) and replace it atomically. */
static void memo_save(const struct memo *mine, const char *cache_dir)
{
    if (!cache_dir || !mine->dirty)
        return;
    struct memo disk = { 0 };
    memo_load(&disk, cache_dir);
    for (size_t i = 0; i < mine->n; i++)
        if (mine->v[i].changed)
            memo_set(&disk, mine->v[i].site, mine->v[i].variant, 1);

    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) {
        for (size_t i = 0; i < disk.n; i++)
            fprintf(f, "%s %s\n", disk.v[i].variant, disk.v[i].site);
        fclose(f);
        char *path = xasprintf("%s/%s", cache_dir, MEMO_NAME);
        char *err = NULL;
        if (cache_write_file_atomic(path, text, len, &err) < 0) {
            verbosef("cannot save %s: %s", path, err);
            free(err);
        }
        free(path);
        free(text);
    }
    memo_clear(&disk);
}

/* ------------------------------------------------------------------ */
/* progress line                                                        */

static void human(char *buf, size_t n, curl_off_t v)
{
    if (v < 0)
        snprintf(buf, n, "?");
    else if (v < 1024)
        snprintf(buf, n, "%ldB", (long)v);
    else if (v < 1024 * 1024)
        snprintf(buf, n, "%.0fK", (double)v / 1024);
    else
        snprintf(buf, n, "%.1fM", (double)v / (1024 * 1024));
}

static void on_progress(uv_timer_t *t)
{
    struct run *run = t->data;
    struct winsize ws;
    size_t width = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20 ? ws.ws_col : 80;
    char line[1024];
    size_t len = (size_t)snprintf(line, sizeof line, "\rtorchshim: fetching");
    size_t shown = 0;

    for (size_t i = 0; i < run->njs; i++) {
        struct job_state *js = &run->js[i];
        if (js->done)
            continue;
        curl_off_t got = -1, total = -1;
        for (struct attempt *a = js->active; a; a = a->next) {
            curl_off_t g = 0, tl = -1;
            curlapi()->easy_getinfo(a->easy, CURLINFO_SIZE_DOWNLOAD_T, &g);
            curlapi()->easy_getinfo(a->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &tl);
            if (g > got) {
                got = g;
                total = tl;
            }
        }
        char a[16], b[16], item[256];
        human(a, sizeof a, got < 0 ? 0 : got);
        human(b, sizeof b, total);
        int k = snprintf(item, sizeof item, "%s %s %s/%s", shown ? "," : "",
                         job_name(js->job), a, b);
        if (k < 0 || len + (size_t)k >= sizeof line || len + (size_t)k > width) {
            if (len + 4 < width && len + 4 < sizeof line)
                len += (size_t)snprintf(line + len, sizeof line - len, " ...");
            break;
        }
        memcpy(line + len, item, (size_t)k + 1);
        len += (size_t)k;
        shown++;
    }
    len += (size_t)snprintf(line + len, sizeof line - len, "\033[K");
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
    run->progress_shown = 1;
}

static void progress_clear(struct run *run)
{
    if (!run->progress_shown)
        return;
    static const char erase[] = "\r\033[K";
    ssize_t w = write(STDERR_FILENO, erase, sizeof erase - 1);
    (void)w;
    run->progress_shown = 0;
}

/* ------------------------------------------------------------------ */
/* easy handles: pooled for the run                                     */

static CURL *easy_get(struct run *run)
{
    if (run->npool)
        return run->pool[--run->npool];
    return curlapi()->easy_init();
}

static void easy_put(struct run *run, CURL *e)
{
    curlapi()->easy_reset(e);
    if (run->npool == run->cappool) {
        run->cappool = run->cappool ? run->cappool * 2 : 8;
        run->pool = xrealloc(run->pool, run->cappool * sizeof *run->pool);
    }
    run->pool[run->npool++] = e;
}

static void attempt_free(struct attempt *a)
{
    free(a->url);
    curlapi()->slist_free_all(a->headers);
    free(a->body);
    free(a->etag);
    free(a->last_modified);
    free(a->out);
    free(a->werr);
    if (a->fd >= 0)
        close(a->fd);
    if (a->product && a->js->job->product_free)
        a->js->job->product_free(a->product);
    free(a);
}

static void attempt_unlink(struct attempt *a)
{
    struct job_state *js = a->js;
    if (a->prev)
        a->prev->next = a->next;
    else if (js->active == a)
        js->active = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->prev = a->next = NULL;
}

/* Take a transfer out of the multi and give its handle back to the pool. */
static void attempt_detach(struct attempt *a)
{
    struct run *run = a->js->run;
    attempt_unlink(a);
    if (a->easy) {
        curlapi()->multi_remove_handle(run->multi, a->easy);
        easy_put(run, a->easy);
        a->easy = NULL;
    }
}

/* ------------------------------------------------------------------ */
/* curl callbacks                                                       */

/* A spool write failed (disk full): what was written so far goes to
 * memory, and so does the rest of the body. -1 if that cannot be read back. */
static int spool_to_memory(struct attempt *a)
{
    int err = errno;
    verbosef("%s: cannot spool the body (%s): keeping it in memory", a->url, strerror(err));
    a->cap = a->len + 64 * 1024;
    a->body = xmalloc(a->cap);
    ssize_t got = a->len ? pread(a->fd, a->body, a->len, 0) : 0;
    close(a->fd);
    a->fd = -1;
    if (got != (ssize_t)a->len) {
        errno = err;
        return -1;
    }
    return 0;
}

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
    struct attempt *a = ud;
    size_t k = size * n;
    long status = 0;

    curlapi()->easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return k;                          /* error pages are not kept */
    if (k > FETCH_MAX_DOWNLOAD - a->len) {
        a->too_big = 1;
        return 0;                          /* CURLE_WRITE_ERROR */
    }
    if (a->fd >= 0) {                      /* spooled: never in memory */
        if (write_all(a->fd, p, k) == 0) {
            a->len += k;
            return k;
        }
        if (spool_to_memory(a) < 0) {
            a->spool_errno = errno ? errno : EIO;
            return 0;
        }
    }
    if (a->len + k + 1 > a->cap) {
        size_t c = a->cap ? a->cap : 64 * 1024;
        curl_off_t cl = -1;
        curlapi()->easy_getinfo(a->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        if (!a->cap && cl > 0 && (size_t)cl < FETCH_MAX_DOWNLOAD)
            c = (size_t)cl + 1;
        while (c < a->len + k + 1)
            c *= 2;
        a->body = xrealloc(a->body, c);
        a->cap = c;
    }
    memcpy(a->body + a->len, p, k);
    a->len += k;
    return k;
}

/* Keep ETag and Last-Modified of the last response (redirects have their own). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct attempt *a = ud;
    size_t k = size * n;
    static const struct { const char *name; size_t off; } keep[] = {
        { "etag:", offsetof(struct attempt, etag) },
        { "last-modified:", offsetof(struct attempt, last_modified) },
    };

    if (k >= 5 && !strncmp(p, "HTTP/", 5)) {   /* a new response starts */
        free(a->etag);
        free(a->last_modified);
        a->etag = a->last_modified = NULL;
        return k;
    }
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        size_t nl = strlen(keep[i].name);
        if (k <= nl || strncasecmp(p, keep[i].name, nl))
            continue;
        const char *v = p + nl, *end = p + k;
        while (v < end && (*v == ' ' || *v == '\t'))
            v++;
        while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
            end--;
        char **slot = (char **)((char *)a + keep[i].off);
        free(*slot);
        *slot = xstrndup(v, (size_t)(end - v));
    }
    return k;
}

/* ------------------------------------------------------------------ */
/* jobs                                                                 */

static void job_settle(struct job_state *js)
{
    struct run *run = js->run;
    js->done = 1;
    atomic_store(&js->settled, 1);
    js->job->seconds = elapsed(js->t0);
    while (js->active) {
        struct attempt *a = js->active;
        attempt_detach(a);
        attempt_free(a);
    }
    run->jobs_left--;
    if (run->jobs_left == 0 && run->net)
        uv_timer_stop(&run->progress_timer);
}

/* The product of a cached entry, for jobs that keep products: 0, or -1
 * (the entry is unusable: dropped from the cache). */
static int cached_product(struct job_state *js, struct mirror *m)
{
    struct fetch_job *job = js->job;
    if (!job->product_load)
        return 0;
    if (m->cached.body && job->product_load(m->cached.body, m->cached.len, &job->product) == 0)
        return 0;
    verbosef("%s: the cached entry of %s does not load: dropped", job_name(job), m->url);
    if (js->run->cache_dir)
        cache_remove(js->run->cache_dir, m->key);
    cache_entry_clear(&m->cached);
    m->have_cached = 0;
    return -1;
}

/* Hand a cached body to the job. */
static void job_use_cached(struct job_state *js, struct mirror *m)
{
    struct fetch_job *job = js->job;
    job->body = m->cached.body;
    job->len = m->cached.len;
    job->url_used = xstrdup(m->cached.source);
    job->from_cache = 1;
    m->cached.body = NULL;
}

/* "42 s", "17 min", "5 h", "3 days" */
static void age_text(char *buf, size_t n, long long secs)
{
    static const struct { long long limit, unit; const char *name; } units[] = {
        { 120, 1, "s" }, { 120 * 60, 60, "min" }, { 48 * 3600, 3600, "h" },
        { -1, 86400, "days" },
    };
    if (secs < 0)
        secs = 0;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (units[i].limit < 0 || secs < units[i].limit) {
            snprintf(buf, n, "%lld %s", secs / units[i].unit, units[i].name);
            return;
        }
}

static void job_fail(struct job_state *js)
{
    struct fetch_job *job = js->job;
    for (size_t i = 0; i < js->nm; i++) {
        struct mirror *m = &js->m[i];
        if (m->have_cached && m->cached.body && cached_product(js, m) == 0) {
            char age[32];
            age_text(age, sizeof age, (long long)time(NULL) - m->cached.fetched);
            /* The errors name each URL; a job without a name needs no more. */
            if (job->name)
                warnf("%s: %s; using the cached copy from %s ago", job->name,
                      js->errors ? js->errors : "no mirror answered", age);
            else
                warnf("%s; using the cached copy from %s ago",
                      js->errors ? js->errors : "no mirror answered", age);
            job_use_cached(js, m);
            break;
        }
    }
    if (!job->body) {
        job->error = js->errors ? js->errors : xstrdup("no URL to fetch");
        js->errors = NULL;
    }
    job_settle(js);
}

static void job_succeed(struct job_state *js, struct attempt *a)
{
    struct fetch_job *job = js->job;
    struct mirror *m = &js->m[a->mirror];

    job->body = a->out;
    job->len = a->outlen;
    job->decompress_seconds = a->decompress_s;
    job->check_seconds = a->check_s;
    job->product = a->product;
    a->out = NULL;
    a->product = NULL;
    job->url_used = xstrdup(a->url);
    job->http_status = a->status;
    if (a->is304) {
        job->from_cache = 1;
        job->revalidated = 1;
    }
    if (m->site && a->variant >= 0)
        memo_set(&js->run->memo, m->site, variants[a->variant].memo, 1);
    verbosef("%s: %s %s (%zu bytes)", job_name(job), a->is304 ? "revalidated" : "fetched",
             a->url, job->len);
    job_settle(js);
}

/* Build the variant order of a mirror: the variant the cached body came
 * from (a 304 is cheapest), what the memo says, then the default order. */
static int is_repodata_url(const char *url)
{
    static const char tail[] = "/repodata.json";
    size_t n = strlen(url), k = sizeof tail - 1;
    return n > k && !strcmp(url + n - k, tail);
}

static void mirror_plan(struct run *run, struct fetch_job *job, struct mirror *m)
{
    if (job->kind != FETCH_REPODATA || !m->site) {  /* not .../repodata.json: as is */
        m->order[0] = VARIANT_RAW;
        m->norder = 1;
        return;
    }
    int pref[2] = { -1, -1 };
    size_t ulen = strlen(m->url);
    if (m->have_cached && !strncmp(m->cached.source, m->url, ulen))
        for (int v = 0; v < NVARIANTS; v++)
            if (!strcmp(m->cached.source + ulen, variants[v].suffix))
                pref[0] = v;
    struct memo_entry *me = memo_find(&run->memo, m->site);
    if (me)
        for (int v = 0; v < NVARIANTS; v++)
            if (!strcmp(me->variant, variants[v].memo))
                pref[1] = v;
    for (int i = 0; i < 2; i++)
        if (pref[i] >= 0 && (i == 0 || pref[i] != pref[0]))
            m->order[m->norder++] = pref[i];
    for (int v = 0; v < NVARIANTS; v++) {
        int seen = 0;
        for (int i = 0; i < m->norder; i++)
            seen |= m->order[i] == v;
        if (!seen)
            m->order[m->norder++] = v;
    }
}

static void set_opts(struct run *run, struct attempt *a)
{
    CURL *e = a->easy;
    httpeasy_setup(e, &run->http, a->url, a->errbuf);
    curlapi()->easy_setopt(e, CURLOPT_PRIVATE, a);
    curlapi()->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curlapi()->easy_setopt(e, CURLOPT_WRITEDATA, a);
    curlapi()->easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curlapi()->easy_setopt(e, CURLOPT_HEADERDATA, a);
    curlapi()->easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FETCH_MAX_DOWNLOAD);
    if (a->variant == VARIANT_RAW || variants[a->variant].filter == DECOMPRESS_AUTO)
        curlapi()->easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (a->js->job->accept) {
        char *h = xasprintf("Accept: %s", a->js->job->accept);
        a->headers = curlapi()->slist_append(a->headers, h);
        free(h);
    }
    if (a->headers)
        curlapi()->easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
}

/* An unlinked temporary file for a spooled body: in the cache directory
 * (disk, not memory), else $TMPDIR or /tmp. -1 if none can be made (the
 * body then goes to memory). */
static int spool_open(const struct run *run)
{
    const char *tmp = getenv("TMPDIR");
    const char *dirs[] = { run->cache_dir, tmp && *tmp == '/' ? tmp : NULL, "/tmp" };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i])
            continue;
        int fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0)
            return fd;
        char *path = xasprintf("%s/.spool.XXXXXX", dirs[i]);
        fd = mkostemp(path, O_CLOEXEC);
        if (fd >= 0)
            unlink(path);
        free(path);
        if (fd >= 0)
            return fd;
    }
    return -1;
}

/* The multi handle, made (and libcurl loaded) for the first request: checks
 * of cached answers run on the loop too, and need no libcurl. */
static CURLM *multi_of(struct run *run, char **err)
{
    if (!run->multi && (run->multi = curluv_multi(&run->cu, err))) {
        curlapi()->multi_setopt(run->multi, CURLMOPT_MAX_HOST_CONNECTIONS, MAX_HOST_CONNS);
        curlapi()->multi_setopt(run->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, MAX_TOTAL_CONNS);
    }
    return run->multi;
}

/* Start the next variant of mirror mi. -1 when it has none left. */
static int mirror_start(struct job_state *js, size_t mi)
{
    struct run *run = js->run;
    struct mirror *m = &js->m[mi];

    while (m->next < m->norder) {
        int v = m->order[m->next++];
        struct attempt *a = xcalloc(1, sizeof *a);
        a->js = js;
        a->mirror = mi;
        a->variant = v;
        a->fd = js->job->spool ? spool_open(run) : -1;
        a->url = v == VARIANT_RAW ? xstrdup(m->url) : xasprintf("%s%s", m->url, variants[v].suffix);
        if (m->have_cached && !strcmp(m->cached.source, a->url) &&
            (*m->cached.etag || *m->cached.last_modified)) {
            if (*m->cached.etag) {
                char *h = xasprintf("If-None-Match: %s", m->cached.etag);
                a->headers = curlapi()->slist_append(a->headers, h);
                free(h);
            }
            if (*m->cached.last_modified) {
                char *h = xasprintf("If-Modified-Since: %s", m->cached.last_modified);
                a->headers = curlapi()->slist_append(a->headers, h);
                free(h);
            }
            a->conditional = a->headers != NULL;
        }
        char *merr = NULL;
        if (!multi_of(run, &merr)) {
            append_error(js, a->url, merr);
            free(merr);
            attempt_free(a);
            continue;
        }
        a->easy = easy_get(run);
        if (!a->easy) {
            append_error(js, a->url, "cannot create a curl handle");
            attempt_free(a);
            continue;
        }
        set_opts(run, a);
        CURLMcode mc = curlapi()->multi_add_handle(run->multi, a->easy);
        if (mc != CURLM_OK) {
            append_error(js, a->url, curlapi()->multi_strerror(mc));
            easy_put(run, a->easy);
            attempt_free(a);
            continue;
        }
        a->next = js->active;
        if (js->active)
            js->active->prev = a;
        js->active = a;
        m->busy = 1;
        verbosef("%s: GET %s%s", job_name(js->job), a->url,
                 a->conditional ? " (conditional)" : "");
        return 0;
    }
    return -1;
}

/* Keep a job moving: start what may start; fail it when nothing can. */
static void job_pump(struct job_state *js)
{
    int busy = 0;
    if (js->done)
        return;
    if (js->job->race) {
        for (size_t i = 0; i < js->nm; i++)
            if (js->m[i].busy || mirror_start(js, i) == 0)
                busy = 1;
    } else {
        for (; js->seq < js->nm; js->seq++) {
            if (js->m[js->seq].busy || mirror_start(js, js->seq) == 0) {
                busy = 1;
                break;
            }
        }
    }
    if (!busy)
        job_fail(js);
}

/* ------------------------------------------------------------------ */
/* the thread pool stage: decode and store                              */

static int looks_plain(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
            continue;
        return p[i] == '{' || p[i] == '[';
    }
    return 1;
}

/* The first good body of a job claims it (worker threads race for it):
 * only the claimer is cached and handed out. 0 if another body was first. */
static int claim(struct attempt *a)
{
    int expect = 0;
    if (!atomic_load(&a->js->settled) &&
        atomic_compare_exchange_strong(&a->js->claimed, &expect, 1))
        return 1;
    a->lost = 1;
    free(a->out);                        /* a losing body is not kept */
    a->out = NULL;
    a->outlen = 0;
    return 0;
}

/* A 304: the same body, a new time (and maybe new validators). The loop
 * thread leaves m->cached alone while the mirror is busy. */
static void work_revalidated(struct attempt *a, struct mirror *m)
{
    const struct fetch_job *job = a->js->job;
    struct cache_entry *e = &m->cached;
    char *err = NULL;
    if (job->product_load && job->product_load(e->body, e->len, &a->product) < 0) {
        a->werr = xstrdup("the cached entry this 304 confirms does not load: dropped");
        if (a->cache_dir)
            cache_remove(a->cache_dir, m->key);
        return;
    }
    if (!claim(a))
        return;
    e->fetched = (long long)time(NULL);
    if (a->etag && *a->etag) {
        free(e->etag);
        e->etag = xstrdup(a->etag);
    }
    if (a->last_modified && *a->last_modified) {
        free(e->last_modified);
        e->last_modified = xstrdup(a->last_modified);
    }
    if (a->cache_dir && cache_store(a->cache_dir, e, &err) < 0) {
        verbosef("cannot update the cache entry of %s: %s", e->url, err);
        free(err);
    }
    a->out = e->body;
    a->outlen = e->len;
    e->body = NULL;
}

/* The body as it will be handed out: decompressed, NUL-terminated. */
static int work_decode(struct attempt *a)
{
    if (a->fd >= 0) {                    /* spooled: the check reads the file */
        a->out = xstrdup("");
        a->outlen = 0;
        return 0;
    }
    char *err = NULL;
    int filter = a->variant == VARIANT_RAW || a->js->job->encoded ? DECOMPRESS_NONE
                                                                  : variants[a->variant].filter;
    if (filter == DECOMPRESS_NONE || (filter == DECOMPRESS_AUTO && looks_plain(a->body, a->len))) {
        if (!a->body)
            a->body = xstrdup("");
        a->body[a->len] = '\0';           /* on_write keeps a spare byte */
        a->out = a->body;
        a->outlen = a->len;
        a->body = NULL;
        return 0;
    }
    uint64_t t0 = uv_hrtime();
    int r = decompress_as(filter, a->body ? a->body : "", a->len, FETCH_MAX_BODY, &a->out,
                          &a->outlen, &err);
    a->decompress_s = (double)(uv_hrtime() - t0) / 1e9;
    free(a->body);
    a->body = NULL;
    a->cap = 0;
    if (r < 0) {
        a->werr = xasprintf("%s body: %s", decompress_filter_name(filter), err);
        free(err);
    }
    return r;
}

/* The job's check; -1 (the mirror's fault) when it refuses the body. */
static int work_check(struct attempt *a)
{
    const struct fetch_job *job = a->js->job;
    char *err = NULL;
    int r;
    uint64_t t0 = uv_hrtime();
    if (a->fd >= 0 && job->check_fd) {
        r = lseek(a->fd, 0, SEEK_SET) == 0
                ? job->check_fd(a->fd, a->len, a->url, job->check_ctx, &a->product, &err)
                : seterr(&err, "cannot read back the temporary file");
        close(a->fd);                    /* the spooled body goes now */
        a->fd = -1;
    } else if (job->check) {
        r = job->check(a->out, a->outlen, a->url, job->check_ctx, &a->product, &err);
    } else {
        return 0;
    }
    a->check_s = (double)(uv_hrtime() - t0) / 1e9;
    if (r == 0)
        return 0;
    a->werr = xasprintf("unusable answer: %s", err ? err : "rejected");
    free(err);
    a->rejected = 1;
    free(a->out);                        /* a bad body is not kept */
    a->out = NULL;
    return -1;
}

/* product_save: the compact form replaces the body (NUL-terminated too). */
static int work_keep_product(struct attempt *a)
{
    const struct fetch_job *job = a->js->job;
    char *blob = NULL;
    size_t len = 0;
    if (!job->product_save || !a->product)
        return 0;
    if (job->product_save(a->product, &blob, &len) < 0) {
        a->werr = xstrdup("cannot keep the checked answer");
        return -1;
    }
    blob = xrealloc(blob, len + 1);
    blob[len] = '\0';
    free(a->out);
    a->out = blob;
    a->outlen = len;
    return 0;
}

static void work_cb(uv_work_t *w)
{
    struct attempt *a = w->data;
    struct mirror *m = &a->js->m[a->mirror];
    char *err = NULL;

    if (a->is304) {
        work_revalidated(a, m);
        return;
    }
    if (work_decode(a) < 0 || work_check(a) < 0 || work_keep_product(a) < 0 || !claim(a))
        return;
    if (a->cache_dir) {
        struct cache_entry e = {
            .url = m->key, .source = a->url,
            .etag = a->etag, .last_modified = a->last_modified,
            .fetched = (long long)time(NULL), .body = a->out, .len = a->outlen,
        };
        if (cache_store(a->cache_dir, &e, &err) < 0) {
            verbosef("cannot cache %s: %s", m->key, err);
            free(err);
        }
    }
}

static void after_work_cb(uv_work_t *w, int status)
{
    struct attempt *a = w->data;
    struct job_state *js = a->js;
    struct run *run = js->run;

    run->workers--;
    js->m[a->mirror].busy = 0;
    if (js->done || a->lost) {           /* another mirror won (or is winning) */
        attempt_free(a);
        return;
    }
    if (status < 0 || a->werr) {
        append_error(js, a->url, a->werr ? a->werr : uv_strerror(status));
        if (a->rejected)                 /* bad data: this mirror is done */
            js->m[a->mirror].next = js->m[a->mirror].norder;
        attempt_free(a);
        job_pump(js);                    /* next variant of the same mirror */
        return;
    }
    job_succeed(js, a);
    attempt_free(a);
}

/* ------------------------------------------------------------------ */
/* a transfer finished                                                  */

static void transfer_done(struct run *run, struct attempt *a, CURLcode res)
{
    struct job_state *js = a->js;
    struct mirror *m = &js->m[a->mirror];
    long status = 0;

    curlapi()->easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &status);
    a->status = status;
    js->job->http_status = status;
    attempt_detach(a);

    if (res == CURLE_OK && ((status >= 200 && status <= 299) ||
                            (status == 304 && a->conditional && m->cached.body))) {
        a->is304 = status == 304;
        a->cache_dir = run->cache_dir;
        a->work.data = a;
        if (uv_queue_work(&run->loop, &a->work, work_cb, after_work_cb) == 0) {
            run->workers++;              /* m->busy stays set */
            return;
        }
        append_error(js, a->url, "cannot queue the body for decoding");
        m->next = m->norder;
    } else {
        char *why;
        if (a->too_big)
            why = xasprintf("larger than %zu bytes", FETCH_MAX_DOWNLOAD);
        else if (a->spool_errno)
            why = xasprintf("cannot keep the body in a temporary file: %s",
                            strerror(a->spool_errno));
        else if (res == CURLE_UNSUPPORTED_PROTOCOL && !httpeasy_allows_http(&run->http, a->url))
            why = xasprintf("redirect to a non-https URL refused (%s)",
                            a->errbuf[0] ? a->errbuf : curlapi()->easy_strerror(res));
        else if (res != CURLE_OK)
            why = xstrdup(a->errbuf[0] ? a->errbuf : curlapi()->easy_strerror(res));
        else
            why = xasprintf("HTTP %ld", status);
        append_error(js, a->url, why);
        free(why);
        /* Only "not here" moves on to the next variant of this mirror. */
        if (res != CURLE_OK || (status != 404 && status != 410))
            m->next = m->norder;
    }
    m->busy = 0;
    attempt_free(a);
    job_pump(js);
}

/* curluv: a transfer finished */
static void on_done(struct curluv *cu, CURL *e, CURLcode res)
{
    void *p = NULL;
    curlapi()->easy_getinfo(e, CURLINFO_PRIVATE, &p);
    struct attempt *a = p;
    if (a)
        transfer_done(cu->data, a, res);
}

/* ------------------------------------------------------------------ */
/* the run                                                              */

static void resolve_opts(struct run *run, const struct fetch_opts *o)
{
    static const struct fetch_opts none = { 0 };
    if (!o)
        o = &none;
    http_settings_init(&run->http, o);
    run->ttl = o->ttl_secs ? o->ttl_secs : CACHE_DEFAULT_TTL;
    run->offline = o->offline;
    const char *dir = o->cache_dir ? o->cache_dir : cache_dir_default();
    run->cache_dir = dir && *dir ? xstrdup(dir) : NULL;
    run->progress_on = o->progress && isatty(STDERR_FILENO);
}

/* Set up a job's mirrors from the cache; settle it if the cache answers. */
static void job_prepare(struct run *run, struct job_state *js, struct fetch_job *job)
{
    long long now = (long long)time(NULL);

    js->run = run;
    js->job = job;
    js->t0 = uv_hrtime();
    js->nm = job->nurls;
    js->m = xcalloc(js->nm ? js->nm : 1, sizeof *js->m);
    run->jobs_left++;
    for (size_t i = 0; i < js->nm; i++) {
        struct mirror *m = &js->m[i];
        m->url = job->urls[i];
        m->key = job->cache_tag ? xasprintf("%s#%s", m->url, job->cache_tag) : xstrdup(m->url);
        if (job->kind == FETCH_REPODATA && is_repodata_url(m->url))
            m->site = site_of(m->url);
        if (run->cache_dir && cache_lookup(run->cache_dir, m->key, &m->cached) == 0)
            m->have_cached = 1;
        /* prefer_first: only the first mirror's fresh entry skips the
         * network; a later mirror's is revalidated while the first is asked
         * again, so a preferred mirror that failed once wins when healthy. */
        int fresh = run->offline || (cache_is_fresh(&m->cached, run->ttl, now) &&
                                     (!job->prefer_first || i == 0));
        if (m->have_cached && fresh && cached_product(js, m) == 0) {
            verbosef("%s: %s from the cache (%lld s old)", job_name(job), m->url,
                     now - m->cached.fetched);
            job_use_cached(js, m);
            job_settle(js);
            return;
        }
        mirror_plan(run, job, m);
    }
    if (run->offline) {
        js->errors = xasprintf("not in the cache and offline");
        job_fail(js);
    } else if (!js->nm) {
        job_fail(js);
    }
}

static void run_free(struct run *run)
{
    for (size_t i = 0; i < run->njs; i++) {
        struct job_state *js = &run->js[i];
        for (size_t k = 0; k < js->nm; k++) {
            free(js->m[k].site);
            free(js->m[k].key);
            cache_entry_clear(&js->m[k].cached);
        }
        free(js->m);
        free(js->errors);
    }
    free(run->js);
    memo_clear(&run->memo);
    http_settings_free(&run->http);
    free(run->cache_dir);
}

/* The loop the network part runs on; -1 if it cannot be had. */
static int net_start(struct run *run)
{
    char *err = NULL;
    if (curluv_open(&run->cu, &run->loop, on_done, NULL, run, &err)) {
        verbosef("fetch: %s", err);
        free(err);
        return -1;
    }
    uv_timer_init(&run->loop, &run->progress_timer);
    run->progress_timer.data = run;
    if (run->progress_on)
        uv_timer_start(&run->progress_timer, on_progress, PROGRESS_DELAY_MS, PROGRESS_EVERY_MS);
    run->net = 1;
    return 0;
}

static void net_stop(struct run *run)
{
    for (size_t i = 0; i < run->njs; i++)
        while (run->js[i].active) {
            struct attempt *a = run->js[i].active;
            attempt_detach(a);
            attempt_free(a);
        }
    for (size_t i = 0; i < run->npool; i++)
        curlapi()->easy_cleanup(run->pool[i]);
    free(run->pool);
    run->pool = NULL;
    run->npool = run->cappool = 0;
    curluv_close(&run->cu, "fetch");
    run->multi = NULL;
    run->net = 0;
    progress_clear(run);
}

int fetch_run(struct fetch_job *jobs, size_t n, const struct fetch_opts *o)
{
    struct run run;
    memset(&run, 0, sizeof run);
    resolve_opts(&run, o);
    memo_load(&run.memo, run.cache_dir);

    run.js = xcalloc(n ? n : 1, sizeof *run.js);
    run.njs = n;
    for (size_t i = 0; i < n; i++) {
        fetch_job_clear(&jobs[i]);
        job_prepare(&run, &run.js[i], &jobs[i]);
    }

    if (run.jobs_left > 0) {
        if (net_start(&run) < 0) {
            for (size_t i = 0; i < n; i++)
                if (!run.js[i].done) {
                    append_error(&run.js[i], job_name(&jobs[i]), "cannot start libcurl/libuv");
                    job_fail(&run.js[i]);
                }
        } else {
            for (size_t i = 0; i < n; i++)
                job_pump(&run.js[i]);
            while (run.jobs_left > 0 || run.workers > 0) {
                if (uv_run(&run.loop, UV_RUN_ONCE) == 0 && run.jobs_left > 0) {
                    /* Nothing is left that could finish a job: never hang. */
                    for (size_t i = 0; i < n; i++)
                        if (!run.js[i].done) {
                            append_error(&run.js[i], job_name(&jobs[i]), "transfer lost");
                            job_fail(&run.js[i]);
                        }
                }
            }
            net_stop(&run);
        }
    }

    memo_save(&run.memo, run.cache_dir);
    int failed = 0;
    for (size_t i = 0; i < n; i++)
        failed |= jobs[i].body == NULL;
    run_free(&run);
    return failed ? -1 : 0;
}

void fetch_job_clear(struct fetch_job *job)
{
    free(job->body);
    free(job->url_used);
    if (job->product && job->product_free)
        job->product_free(job->product);
    job->product = NULL;
    free(job->error);
    job->body = NULL;
    job->len = 0;
    job->url_used = NULL;
    job->from_cache = 0;
    job->revalidated = 0;
    job->http_status = 0;
    job->error = NULL;
    job->seconds = 0;
    job->decompress_seconds = 0;
    job->check_seconds = 0;
}
