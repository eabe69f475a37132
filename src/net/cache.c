/* cache.c — see cache.h. */
#include "cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "msg.h"
#include "str.h"

#define HTTP_DIR   "http"
#define BLOB_DIR   "blob"
#define HTTP_MAGIC "torchshim-cache 2"  /* 2: bodies are stored only after their check */
#define BLOB_MAGIC "torchshim-blob 1"
#define MEMO_SUFFIX ".memo"
#define TMP_INFIX  FILEIO_TMP_INFIX
#define MAX_HEADER ((size_t)64 << 10)        /* a header is a few hundred bytes */
#define MAX_ENTRY  ((long long)1 << 31)      /* refuse to slurp anything bigger */
#define STALE_TMP_SECS 3600                  /* a writer never takes this long */

/* ------------------------------------------------------------------ */
/* checksum: 64 bits, 8 bytes a step, splitmix64's finaliser per word  */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)len;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h ^= mix64(w);
        h = ((h << 29) | (h >> 35)) * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
    }
    uint64_t tail = 0;
    for (size_t k = 0; i + k < len; k++)
        tail |= (uint64_t)p[i + k] << (8 * k);
    h ^= mix64(tail ^ ((uint64_t)(len & 7) << 56));
    return mix64(h);
}

void cache_checksum(const void *data, size_t len, char out[CACHE_SUM_HEX + 1])
{
    snprintf(out, CACHE_SUM_HEX + 1, "%016llx", (unsigned long long)hash64(data, len));
}

/* ------------------------------------------------------------------ */
/* directories                                                          */

/* A directory that exists may be used only when it is ours and private:
 * anyone else who can write there could plant answers. 1 usable (or not
 * there yet), 0 not. */
static int dir_is_private(const char *dir)
{
    struct stat st;
    if (stat(dir, &st) < 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid()) {
        verbosef("cache directory %s is not a directory of ours: not used", dir);
        return 0;
    }
    if (st.st_mode & 022) {  /* ours but open to others: make it private first */
        if (chmod(dir, st.st_mode & 07700) < 0) {
            verbosef("cache directory %s is writable by others: not used", dir);
            return 0;
        }
        verbosef("cache directory %s was writable by others: made private", dir);
    }
    return 1;
}

const char *cache_dir_default(void)
{
    static char buf[4096];
    const char *v = getenv("TORCHSHIM_CACHE_DIR");
    int n;

    if (v && *v)  /* absolute only: never a directory the current one decides */
        n = v[0] == '/' ? snprintf(buf, sizeof buf, "%s", v) : -1;
    else if ((v = getenv("XDG_CACHE_HOME")) && v[0] == '/')
        n = snprintf(buf, sizeof buf, "%s/torchshim", v);
    else {
        const char *home = getenv("HOME");
        if (!home || home[0] != '/') {
            struct passwd *pw = getpwuid(getuid());
            home = pw ? pw->pw_dir : NULL;
        }
        if (!home || home[0] != '/')
            return NULL;
        n = snprintf(buf, sizeof buf, "%s/.cache/torchshim", home);
    }
    if (n < 0 || (size_t)n >= sizeof buf || !dir_is_private(buf))
        return NULL;
    return buf;
}

int cache_dir_ensure(const char *dir, char **err)
{
    static const char *const subs[] = { HTTP_DIR, BLOB_DIR };

    if (!dir || !*dir)
        return seterr(err, "no cache directory");
    if (mkdir_p(dir, 0700, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        char *sub = xasprintf("%s/%s", dir, subs[i]);
        int r = mkdir_p(sub, 0700, err);
        free(sub);
        if (r < 0)
            return -1;
    }
    return 0;
}

static char *entry_path(const char *dir, const char *sub, const char *key)
{
    char name[CACHE_SUM_HEX + 1];
    cache_checksum(key, strlen(key), name);
    return xasprintf("%s/%s/%s", dir, sub, name);
}

/* ------------------------------------------------------------------ */
/* atomic writes                                                        */

int cache_write_file_atomic(const char *path, const void *data, size_t len, char **err)
{
    return file_write_atomic(path, "", 0, data, len, 0600, err);
}

/* ------------------------------------------------------------------ */
/* records: "magic\nname value\n...\n\n" + payload                      */

#define MAX_FIELDS 12

struct record {
    char *buf;                 /* the bytes read (header, maybe payload) */
    const char *name[MAX_FIELDS];
    const char *value[MAX_FIELDS];
    size_t nfields;
    size_t hdrlen;             /* offset of the payload */
    size_t len;                /* payload length, checked against the size */
    struct stat st;
};

enum { REC_OK = 0, REC_MISSING = -1, REC_CORRUPT = -2, REC_IOERR = -3 };

static const char *rec_get(const struct record *r, const char *name)
{
    for (size_t i = 0; i < r->nfields; i++)
        if (!strcmp(r->name[i], name))
            return r->value[i];
    return NULL;
}

/* Parse the header in r->buf[0..avail). */
static int parse_header(struct record *r, size_t avail, const char *magic, const char **why)
{
    char *p = r->buf;
    char *end = r->buf + (avail < MAX_HEADER ? avail : MAX_HEADER);
    char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t mlen = strlen(magic);

    if (!nl || (size_t)(nl - p) != mlen || memcmp(p, magic, mlen)) {
        *why = "bad header";
        return -1;
    }
    p = nl + 1;
    for (;;) {
        nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
        if (!nl) {
            *why = "header not terminated";
            return -1;
        }
        if (nl == p)
            break;                       /* the empty line */
        *nl = '\0';
        char *sp = strchr(p, ' ');
        if (!sp || memchr(p, '\0', (size_t)(nl - p)) || r->nfields == MAX_FIELDS) {
            *why = "bad header line";
            return -1;
        }
        *sp = '\0';
        r->name[r->nfields] = p;
        r->value[r->nfields] = sp + 1;
        r->nfields++;
        p = nl + 1;
    }
    r->hdrlen = (size_t)(nl + 1 - r->buf);

    long long len;
    if (str_to_count(rec_get(r, "length"), &len) < 0) {
        *why = "no length";
        return -1;
    }
    if ((unsigned long long)r->st.st_size < r->hdrlen ||
        (unsigned long long)r->st.st_size - r->hdrlen != (unsigned long long)len) {
        *why = "length does not match the file size (truncated?)";
        return -1;
    }
    const char *sum = rec_get(r, "checksum");
    if (!sum || strlen(sum) != CACHE_SUM_HEX) {
        *why = "no checksum";
        return -1;
    }
    r->len = (size_t)len;
    return 0;
}

/* Read path. full: the whole file, checksum verified; else the header only
 * (length still checked against the file size). */
static int read_record(const char *path, const char *magic, int full,
                       struct record *r, const char **why)
{
    memset(r, 0, sizeof *r);
    *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);  /* a FIFO must not block */
    if (fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? REC_MISSING : REC_IOERR;
    if (fstat(fd, &r->st) < 0) {
        close(fd);
        return REC_IOERR;
    }
    if (!S_ISREG(r->st.st_mode) || r->st.st_size > MAX_ENTRY) {
        close(fd);
        *why = S_ISREG(r->st.st_mode) ? "too large" : "not a regular file";
        return REC_CORRUPT;
    }
    size_t size = (size_t)r->st.st_size;
    size_t want = full || size < MAX_HEADER ? size : MAX_HEADER;
    r->buf = xmalloc(want + 1);
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, r->buf + got, want - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            close(fd);
            return REC_IOERR;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    r->buf[got] = '\0';
    if (got < want) {
        *why = "shorter than its size";
        return REC_CORRUPT;
    }
    if (parse_header(r, got, magic, why) < 0)
        return REC_CORRUPT;
    if (full) {
        char sum[CACHE_SUM_HEX + 1];
        cache_checksum(r->buf + r->hdrlen, r->len, sum);
        if (strcmp(sum, rec_get(r, "checksum"))) {
            *why = "checksum mismatch";
            return REC_CORRUPT;
        }
    }
    return REC_OK;
}

static void record_free(struct record *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Move the payload to the start of the allocation and hand it out. Header
 * values die with this: copy them first. */
static char *record_take_payload(struct record *r)
{
    char *p = r->buf;
    memmove(p, p + r->hdrlen, r->len);
    p[r->len] = '\0';
    r->buf = NULL;
    return p;
}

/* Delete a corrupt file unless a writer has replaced it meanwhile. */
static void discard(const char *path, const struct stat *seen, const char *why)
{
    struct stat now;
    if (stat(path, &now) == 0 && now.st_ino == seen->st_ino && now.st_dev == seen->st_dev)
        unlink(path);
    verbosef("discarding corrupt cache file %s: %s", path, why);
}

/* Header values are one line each: CR and LF become spaces. */
static void put_field(FILE *f, const char *name, const char *value)
{
    fprintf(f, "%s ", name);
    for (const char *p = value ? value : ""; *p; p++)
        fputc(*p == '\n' || *p == '\r' ? ' ' : *p, f);
    fputc('\n', f);
}

/* fields: name, value pairs, NULL-terminated. length and checksum added. */
static int write_record(const char *path, const char *magic, const char *const *fields,
                        const void *payload, size_t len, char sum[CACHE_SUM_HEX + 1],
                        char **err)
{
    char *head = NULL;
    size_t hlen = 0;
    FILE *f = open_memstream(&head, &hlen);
    if (!f)
        return seterr(err, "open_memstream: %s", strerror(errno));
    cache_checksum(payload, len, sum);
    fprintf(f, "%s\n", magic);
    for (size_t i = 0; fields[i]; i += 2)
        put_field(f, fields[i], fields[i + 1]);
    fprintf(f, "length %zu\nchecksum %s\n\n", len, sum);
    if (fclose(f) != 0) {
        free(head);
        return seterr(err, "cannot format a cache header");
    }
    int r = file_write_atomic(path, head, hlen, payload, len, 0600, err);
    free(head);
    if (r == 0) {  /* what killed writers left beside it */
        char *dir = xstrdup(path), *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        file_sweep_temps(dir);
        free(dir);
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* fetched resources                                                    */

int cache_lookup(const char *dir, const char *url, struct cache_entry *e)
{
    memset(e, 0, sizeof *e);
    if (!dir || !*dir || !url)
        return -1;

    char *path = entry_path(dir, HTTP_DIR, url);
    struct record r;
    const char *why;
    int rc = read_record(path, HTTP_MAGIC, 1, &r, &why);
    const char *key = rc == REC_OK ? rec_get(&r, "url") : NULL;
    long long fetched = 0;

    if (rc == REC_OK && (!key || !rec_get(&r, "source") || !rec_get(&r, "etag") ||
                         !rec_get(&r, "last-modified") ||
                         str_to_count(rec_get(&r, "fetched"), &fetched) < 0)) {
        rc = REC_CORRUPT;
        why = "missing fields";
    }
    if (rc == REC_CORRUPT)
        discard(path, &r.st, why);
    if (rc != REC_OK || strcmp(key, url)) {   /* a miss, or another URL's hash twin */
        record_free(&r);
        free(path);
        return -1;
    }
    e->url = xstrdup(key);
    e->source = xstrdup(*rec_get(&r, "source") ? rec_get(&r, "source") : key);
    e->etag = xstrdup(rec_get(&r, "etag"));
    e->last_modified = xstrdup(rec_get(&r, "last-modified"));
    e->fetched = fetched;
    memcpy(e->sum, rec_get(&r, "checksum"), CACHE_SUM_HEX + 1);
    e->len = r.len;
    e->body = record_take_payload(&r);
    free(path);
    return 0;
}

int cache_store(const char *dir, struct cache_entry *e, char **err)
{
    if (!dir || !*dir || !e->url)
        return seterr(err, "no cache directory or URL");
    char fetched[32];
    snprintf(fetched, sizeof fetched, "%lld", e->fetched);
    const char *const fields[] = {
        "url", e->url,
        "source", e->source ? e->source : e->url,
        "etag", e->etag ? e->etag : "",
        "last-modified", e->last_modified ? e->last_modified : "",
        "fetched", fetched,
        NULL,
    };
    char *path = entry_path(dir, HTTP_DIR, e->url);
    int r = write_record(path, HTTP_MAGIC, fields, e->body ? e->body : "", e->len,
                         e->sum, err);
    free(path);
    return r;
}

int cache_is_fresh(const struct cache_entry *e, long ttl_secs, long long now)
{
    if (ttl_secs <= 0 || !e->body)
        return 0;
    long long age = now - e->fetched;
    return age >= 0 && age < ttl_secs;
}

int cache_remove(const char *dir, const char *url)
{
    if (!dir || !url)
        return -1;
    char *path = entry_path(dir, HTTP_DIR, url);
    int r = unlink(path) < 0 && errno != ENOENT ? -1 : 0;
    free(path);
    return r;
}

void cache_entry_clear(struct cache_entry *e)
{
    free(e->url);
    free(e->source);
    free(e->etag);
    free(e->last_modified);
    free(e->body);
    memset(e, 0, sizeof *e);
}

/* ------------------------------------------------------------------ */
/* derived blobs                                                        */

int cache_put_blob(const char *cache_dir, const char *key, const char *validator,
                   const void *data, size_t len)
{
    if (!cache_dir || !*cache_dir || !key)
        return -1;
    char created[32], sum[CACHE_SUM_HEX + 1];
    snprintf(created, sizeof created, "%lld", (long long)time(NULL));
    const char *const fields[] = {
        "key", key,
        "validator", validator ? validator : "",
        "created", created,
        NULL,
    };
    char *path = entry_path(cache_dir, BLOB_DIR, key);
    char *err = NULL;
    int r = write_record(path, BLOB_MAGIC, fields, data ? data : "", len, sum, &err);
    if (r < 0) {
        verbosef("cannot cache %s: %s", key, err);
        free(err);
    }
    free(path);
    return r;
}

int cache_get_blob(const char *cache_dir, const char *key, const char *validator,
                   char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    if (!cache_dir || !*cache_dir || !key)
        return -1;
    char *path = entry_path(cache_dir, BLOB_DIR, key);
    struct record r;
    const char *why;
    int rc = read_record(path, BLOB_MAGIC, 1, &r, &why);
    if (rc == REC_OK && (!rec_get(&r, "key") || !rec_get(&r, "validator"))) {
        rc = REC_CORRUPT;
        why = "missing fields";
    }
    if (rc == REC_CORRUPT)
        discard(path, &r.st, why);
    free(path);
    if (rc != REC_OK || strcmp(rec_get(&r, "key"), key) ||
        strcmp(rec_get(&r, "validator"), validator ? validator : "")) {
        record_free(&r);
        return -1;
    }
    *len = r.len;
    *data = record_take_payload(&r);
    return 0;
}

/* ------------------------------------------------------------------ */
/* info and clean                                                       */

static int is_entry_name(const char *s)
{
    size_t i = 0;
    for (; i < CACHE_SUM_HEX; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return s[i] == '\0' ? 1 : !strncmp(s + i, TMP_INFIX, strlen(TMP_INFIX)) ? 2 : 0;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && !strcmp(s + n - k, suffix);
}

/* What one file of the cache is. */
struct scanned {
    int kind;                 /* enum cache_kind, or -1 for temp/memo files */
    int temp;                 /* a writer's temporary file */
    int corrupt;
    char *name;
    long long when;           /* fetched/created, or mtime for temp files */
    unsigned long long bytes;
};

typedef int (*scan_fn)(const char *path, const struct scanned *s, void *ctx);

static const struct scan_dir {
    const char *sub;
    int kind;
    const char *magic;
    const char *name_field;
    const char *time_field;
} scan_dirs[] = {
    { HTTP_DIR, CACHE_HTTP, HTTP_MAGIC, "url", "fetched" },
    { BLOB_DIR, CACHE_BLOB, BLOB_MAGIC, "key", "created" },
};

static int scan_one_dir(const char *dir, const struct scan_dir *sd, scan_fn fn, void *ctx,
                        char **err)
{
    char *sub = xasprintf("%s/%s", dir, sd->sub);
    DIR *d = opendir(sub);
    if (!d) {
        int missing = errno == ENOENT;
        if (!missing)
            *err = xasprintf("cannot read %s: %s", sub, strerror(errno));
        free(sub);
        return missing ? 0 : -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        int what = is_entry_name(de->d_name);
        if (!what)
            continue;
        char *path = xasprintf("%s/%s", sub, de->d_name);
        struct scanned s = { .kind = sd->kind, .temp = what == 2 };
        if (s.temp) {
            struct stat st;
            if (lstat(path, &st) == 0) {
                s.kind = -1;
                s.when = (long long)st.st_mtime;
                s.bytes = (unsigned long long)st.st_size;
                s.name = xstrdup(de->d_name);
                rc = fn(path, &s, ctx);
            }
        } else {
            struct record r;
            const char *why;
            long long when = 0;
            int got = read_record(path, sd->magic, 0, &r, &why);
            const char *name = got == REC_OK ? rec_get(&r, sd->name_field) : NULL;
            if (got == REC_OK && (!name || str_to_count(rec_get(&r, sd->time_field), &when) < 0))
                got = REC_CORRUPT;
            if (got != REC_MISSING) {  /* gone meanwhile: a concurrent clean */
                s.corrupt = got != REC_OK;
                s.name = xstrdup(s.corrupt ? de->d_name : name);
                s.when = when;
                s.bytes = (unsigned long long)r.st.st_size;
                rc = fn(path, &s, ctx);
            }
            record_free(&r);
        }
        free(s.name);
        free(path);
    }
    closedir(d);
    free(sub);
    return rc;
}

/* Memo files live in dir itself. */
static int scan_memos(const char *dir, scan_fn fn, void *ctx)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d))) {
        if (!has_suffix(de->d_name, MEMO_SUFFIX) &&
            !(strstr(de->d_name, MEMO_SUFFIX TMP_INFIX)))
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            struct scanned s = { .kind = -1, .name = de->d_name,
                                 .temp = strstr(de->d_name, TMP_INFIX) != NULL,
                                 .when = (long long)st.st_mtime,
                                 .bytes = (unsigned long long)st.st_size };
            rc = fn(path, &s, ctx);
        }
        free(path);
    }
    closedir(d);
    return rc;
}

static int scan(const char *dir, scan_fn fn, void *ctx, char **err)
{
    for (size_t i = 0; i < sizeof scan_dirs / sizeof scan_dirs[0]; i++)
        if (scan_one_dir(dir, &scan_dirs[i], fn, ctx, err) < 0)
            return -1;
    return scan_memos(dir, fn, ctx);
}

struct info_ctx {
    struct cache_info *ci;
    size_t cap;
    long long now;
};

static int info_cb(const char *path, const struct scanned *s, void *vctx)
{
    struct info_ctx *c = vctx;
    (void)path;
    c->ci->bytes += s->bytes;
    if (s->kind < 0)
        return 0;
    if (c->ci->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->ci->items = xrealloc(c->ci->items, c->cap * sizeof *c->ci->items);
    }
    struct cache_item *it = &c->ci->items[c->ci->n++];
    it->kind = s->kind;
    it->name = xstrdup(s->name);
    it->age = s->corrupt ? 0 : c->now - s->when;
    it->bytes = s->bytes;
    it->corrupt = s->corrupt;
    if (s->kind == CACHE_HTTP)
        c->ci->nhttp++;
    else
        c->ci->nblob++;
    return 0;
}

static int item_cmp(const void *a, const void *b)
{
    const struct cache_item *x = a, *y = b;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    return strcmp(x->name, y->name);
}

int cache_info(const char *dir, struct cache_info *ci, char **err)
{
    memset(ci, 0, sizeof *ci);
    if (!dir || !*dir) {
        *err = xstrdup("no cache directory");
        return -1;
    }
    struct info_ctx c = { ci, 0, (long long)time(NULL) };
    if (scan(dir, info_cb, &c, err) < 0) {
        cache_info_clear(ci);
        return -1;
    }
    if (ci->n)
        qsort(ci->items, ci->n, sizeof *ci->items, item_cmp);
    return 0;
}

void cache_info_clear(struct cache_info *ci)
{
    for (size_t i = 0; i < ci->n; i++)
        free(ci->items[i].name);
    free(ci->items);
    memset(ci, 0, sizeof *ci);
}

struct clean_ctx {
    long long older_than;
    long long now;
    size_t removed;
    unsigned long long freed;
};

static int clean_cb(const char *path, const struct scanned *s, void *vctx)
{
    struct clean_ctx *c = vctx;
    int drop;

    if (c->older_than < 0)
        drop = 1;
    else if (s->temp)
        drop = c->now - s->when > STALE_TMP_SECS;
    else if (s->kind < 0)
        drop = 0;                       /* memo files stay unless cleaning all */
    else
        drop = s->corrupt || c->now - s->when > c->older_than;
    if (drop && unlink(path) == 0) {
        c->removed++;
        c->freed += s->bytes;
    }
    return 0;
}

int cache_clean(const char *dir, long long older_than, size_t *removed,
                unsigned long long *freed, char **err)
{
    struct clean_ctx c = { older_than, (long long)time(NULL), 0, 0 };
    if (removed)
        *removed = 0;
    if (freed)
        *freed = 0;
    if (!dir || !*dir) {
        *err = xstrdup("no cache directory");
        return -1;
    }
    int r = scan(dir, clean_cb, &c, err);
    static const char *const copies[] = { CACHE_REQS_DIR, CACHE_ENVFILES_DIR };
    long long keep = older_than > CACHE_COPIES_MIN_SECS ? older_than : CACHE_COPIES_MIN_SECS;
    for (size_t i = 0; i < sizeof copies / sizeof copies[0]; i++) {
        char *sub = xasprintf("%s/%s", dir, copies[i]);
        unsigned long long bytes;
        c.removed += (size_t)file_sweep_older(sub, "", keep, &bytes);
        c.freed += bytes;
        free(sub);
    }
    if (removed)
        *removed = c.removed;
    if (freed)
        *freed = c.freed;
    return r;
}
