/* repodata_stream.c — repodata_scan_file / repodata_scan_buffer (contract
 * in repodata.h): libarchive in raw mode decompresses the input, a chunk at
 * a time, into one buffer that the document walker (repodata_walk.c)
 * consumes; what it leaves (an item cut by the chunk's end) moves to the
 * front and the next chunk goes after it.
 *
 * Only the compressors a channel serves are enabled (gzip, bzip2, zstd,
 * xz), not archive_read_support_filter_all(): that one also accepts lrzip,
 * lzop, grzip and others by running external programs on the data, and
 * raw lzma, whose header is too weak to tell from plain text. */
#include "repodata_int.h"

#include <stdlib.h>
#include <string.h>

#include "archlib.h"
#include "msg.h"

static const struct {
    const char *name;
    archlib_support_fn *enable;        /* its field in archlib (loaded later) */
    const char *magic;
    size_t mlen;
} filters[] = {
    { "gzip",  &archlib.support_filter_gzip,  "\x1f\x8b", 2 },
    { "bzip2", &archlib.support_filter_bzip2, "BZh", 3 },
    { "zstd",  &archlib.support_filter_zstd,  "\x28\xb5\x2f\xfd", 4 },
    { "xz",    &archlib.support_filter_xz,    "\xfd" "7zXZ", 5 },
};
#define NFILTERS (sizeof filters / sizeof filters[0])

struct input {
    const char *path;                /* a file, or */
    const void *body;                /* a body in memory, or */
    size_t len;
    int fd;                          /* an open file (from its current offset); -1: none */
};

struct scan_ctx {
    struct repodata_scan_opts o;
    struct archive *a;
    const char *what;                /* the path, or "repodata body" for messages */
    char *buf;                       /* max_item + chunk bytes */
    size_t left;                     /* bytes carried over at buf's start */
    unsigned long long total;        /* document bytes read */
};

static void defaults(struct repodata_scan_opts *o, const struct repodata_scan_opts *in)
{
    memset(o, 0, sizeof *o);
    if (in)
        *o = *in;
    if (!o->chunk)
        o->chunk = REPODATA_SCAN_CHUNK;
    if (!o->max_item)
        o->max_item = REPODATA_SCAN_MAX_ITEM;
    if (!o->max_bytes)
        o->max_bytes = REPODATA_SCAN_MAX_BYTES;
}

static int open_input(struct scan_ctx *c, const struct input *in, char **err)
{
    if (archlib_load(err))
        return -1;
    c->a = archlib.read_new();
    if (!c->a)
        return seterr(err, "%s: cannot create an archive reader", c->what);
    archlib.support_format_raw(c->a);
    archlib.support_format_empty(c->a);
    for (size_t i = 0; i < NFILTERS; i++) {
        int r = (*filters[i].enable)(c->a);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return seterr(err, "%s: %s support missing in libarchive", c->what,
                          filters[i].name);
    }
    int r = in->path      ? archlib.open_filename(c->a, in->path, 128 << 10)
            : in->fd >= 0 ? archlib.open_fd(c->a, in->fd, 128 << 10)
                          : archlib.open_memory(c->a, in->body, in->len);
    if (r != ARCHIVE_OK)
        return seterr(err, "cannot open %s: %s", c->what, archlib.error_string(c->a));
    struct archive_entry *entry;
    r = archlib.next_header(c->a, &entry);
    if (r == ARCHIVE_EOF)
        return 1;                    /* empty input */
    if (r != ARCHIVE_OK)
        return seterr(err, "%s: cannot read: %s", c->what, archlib.error_string(c->a));
    return 0;
}

/* The walker failed at the very start of uncompressed-looking data: say
 * so when the data has a compressor's magic (damaged, not plain). */
static int explain_start(struct scan_ctx *c, char **err)
{
    int outer = archlib.filter_count(c->a) > 0 ? archlib.filter_code(c->a, 0)
                                               : ARCHIVE_FILTER_NONE;
    if (outer != ARCHIVE_FILTER_NONE)
        return -1;
    for (size_t i = 0; i < NFILTERS; i++) {
        size_t n = filters[i].mlen;
        if (n && c->left >= n && !memcmp(c->buf, filters[i].magic, n)) {
            if (err) {
                free(*err);
                *err = NULL;
            }
            return seterr(err, "%s: corrupt or truncated %s data", c->what, filters[i].name);
        }
    }
    return -1;
}

/* Read the next chunk after what is left; 0 at the end, -1 on error. */
static long read_chunk(struct scan_ctx *c, char **err)
{
    la_ssize_t n = archlib.read_data(c->a, c->buf + c->left, c->o.chunk);
    if (n < 0) {
        const char *why = archlib.error_string(c->a);
        return seterr(err, "%s: corrupt or truncated data: %s", c->what, why ? why : "?");
    }
    c->total += (unsigned long long)n;
    if (c->total > c->o.max_bytes)
        return seterr(err, "%s: more than %llu bytes of repodata (decompression bomb?)",
                      c->what, c->o.max_bytes);
    return (long)n;
}

static int pump(struct scan_ctx *c, struct rd_walk *w, char **err)
{
    c->buf = xmalloc(c->o.max_item + c->o.chunk);
    for (;;) {
        long n = read_chunk(c, err);
        if (n < 0)
            return -1;
        int eof = n == 0;
        size_t have = c->left + (size_t)n;
        long used = rd_walk_feed(w, c->buf, have, eof, err);
        if (used < 0) {
            c->left = have;
            return rd_walk_offset(w) == 0 ? explain_start(c, err) : -1;
        }
        c->left = have - (size_t)used;
        if (eof)
            return c->left ? seterr(err, "%s: invalid JSON at its end", c->what) : 0;
        if (c->left > c->o.max_item)
            return seterr(err, "%s: a record longer than %zu bytes at byte %llu", c->what,
                          c->o.max_item, rd_walk_offset(w));
        memmove(c->buf, c->buf + used, c->left);
    }
}

static int scan(const struct input *in, const char *const *names,
                const struct repodata_scan_opts *opts, struct repodata_index *out, char **err)
{
    struct scan_ctx c = { .what = in->path ? in->path : "repodata body" };
    defaults(&c.o, opts);
    memset(out, 0, sizeof *out);
    struct rd_walk *w = rd_walk_new(names, out);
    int rc = open_input(&c, in, err);
    if (rc == 0)
        rc = pump(&c, w, err);
    if (rc == 0)
        rc = rd_walk_end(w, err);
    else if (rc == 1)
        rc = seterr(err, "%s: empty, not a repodata.json", c.what);
    rd_walk_free(w, rc != 0);
    if (c.a)
        archlib.read_free(c.a);
    free(c.buf);
    return rc;
}

int repodata_scan_file(const char *path, const char *const *names,
                       const struct repodata_scan_opts *opts,
                       struct repodata_index *out, char **err)
{
    struct input in = { path, NULL, 0, -1 };
    if (!path) {
        memset(out, 0, sizeof *out);
        return seterr(err, "repodata: no file");
    }
    return scan(&in, names, opts, out, err);
}

int repodata_scan_buffer(const void *body, size_t len, const char *const *names,
                         const struct repodata_scan_opts *opts,
                         struct repodata_index *out, char **err)
{
    struct input in = { NULL, body, len, -1 };
    if (!body || !len) {
        memset(out, 0, sizeof *out);
        return seterr(err, "repodata: empty body, not a repodata.json");
    }
    return scan(&in, names, opts, out, err);
}

int repodata_scan_fd(int fd, const char *const *names, const struct repodata_scan_opts *opts,
                     struct repodata_index *out, char **err)
{
    struct input in = { NULL, NULL, 0, fd };
    if (fd < 0) {
        memset(out, 0, sizeof *out);
        return seterr(err, "repodata: no file");
    }
    return scan(&in, names, opts, out, err);
}
