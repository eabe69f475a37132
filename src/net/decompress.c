/* decompress.c — see decompress.h. */
#include "decompress.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archlib.h"
#include "msg.h"

static const struct filter_desc {
    int filter;
    const char *name;
    int code;                          /* libarchive's ARCHIVE_FILTER_* */
    archlib_support_fn *enable;        /* its field in archlib (loaded later) */
    const char *suffix[2];             /* file name endings that imply it */
    const char *magic;                 /* how its data starts */
} filters[] = {
    { DECOMPRESS_NONE,  "none",  ARCHIVE_FILTER_NONE,  &archlib.support_filter_none,
      { NULL, NULL }, NULL },
    { DECOMPRESS_GZIP,  "gzip",  ARCHIVE_FILTER_GZIP,  &archlib.support_filter_gzip,
      { ".gz", NULL }, "\x1f\x8b" },
    { DECOMPRESS_BZIP2, "bzip2", ARCHIVE_FILTER_BZIP2, &archlib.support_filter_bzip2,
      { ".bz2", NULL }, "BZh" },
    { DECOMPRESS_ZSTD,  "zstd",  ARCHIVE_FILTER_ZSTD,  &archlib.support_filter_zstd,
      { ".zst", ".zstd" }, "\x28\xb5\x2f\xfd" },
};
#define NFILTERS (sizeof filters / sizeof filters[0])

static const struct filter_desc *find_filter(int filter)
{
    for (size_t i = 0; i < NFILTERS; i++)
        if (filters[i].filter == filter)
            return &filters[i];
    return NULL;
}

static const struct filter_desc *find_code(int code)
{
    for (size_t i = 0; i < NFILTERS; i++)
        if (filters[i].code == code)
            return &filters[i];
    return NULL;
}

const char *decompress_filter_name(int filter)
{
    if (filter == DECOMPRESS_AUTO)
        return "auto";
    const struct filter_desc *f = find_filter(filter);
    return f ? f->name : "?";
}

int decompress_filter_from_name(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    for (size_t i = 0; i < NFILTERS; i++) {
        for (size_t j = 0; j < 2 && filters[i].suffix[j]; j++) {
            size_t k = strlen(filters[i].suffix[j]);
            if (n >= k && !strcmp(name + n - k, filters[i].suffix[j]))
                return filters[i].filter;
        }
    }
    return DECOMPRESS_NONE;
}

static int fail(struct archive *a, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct archive *a, char **err, const char *fmt, ...)
{
    char *msg;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    if (!msg)
        msg = xstrdup("decompression failed");
    *err = msg;
    if (a)
        archlib.read_free(a);
    return -1;
}

/* libarchive does not check a gzip member's trailer (CRC-32 and length of
 * the data); zlib would. Check it for the last member, which for the usual
 * single-member file covers everything. Multi-member gzip fails this. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    static const uint32_t t[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        crc = t[crc & 0xf] ^ (crc >> 4);
        crc = t[crc & 0xf] ^ (crc >> 4);
    }
    return ~crc;
}

static int gzip_trailer_ok(const unsigned char *in, size_t inlen, const char *out, size_t outlen)
{
    if (inlen < 18)
        return 0;
    const unsigned char *tr = in + inlen - 8;
    uint32_t crc = (uint32_t)tr[0] | (uint32_t)tr[1] << 8 | (uint32_t)tr[2] << 16 |
                   (uint32_t)tr[3] << 24;
    uint32_t isize = (uint32_t)tr[4] | (uint32_t)tr[5] << 8 | (uint32_t)tr[6] << 16 |
                     (uint32_t)tr[7] << 24;
    return isize == (uint32_t)outlen &&
           crc == crc32_update(0, (const unsigned char *)out, outlen);
}

/* Read the single raw entry into a buffer of at most cap + 1 bytes. */
static int read_all(struct archive *a, size_t inlen, size_t cap,
                    char **out, size_t *outlen, char **err)
{
    size_t limit = cap < (size_t)-3 ? cap + 1 : cap;  /* one byte over = too big */
    size_t bufcap = inlen < ((size_t)-1) / 4 ? inlen * 4 : limit;
    if (bufcap < 4096)
        bufcap = 4096;
    if (bufcap > limit)
        bufcap = limit;
    char *buf = xmalloc(bufcap + 1);
    size_t len = 0;

    for (;;) {
        if (len == bufcap) {
            if (bufcap >= limit)
                break;
            bufcap = bufcap > limit / 2 ? limit : bufcap * 2;
            buf = xrealloc(buf, bufcap + 1);
        }
        la_ssize_t r = archlib.read_data(a, buf + len, bufcap - len);
        if (r == 0)
            break;
        if (r < 0) {
            const char *why = archlib.error_string(a);
            free(buf);
            return fail(a, err, "corrupt or truncated input: %s",
                        why ? why : "read error");
        }
        len += (size_t)r;
    }
    if (len > cap) {
        free(buf);
        return fail(a, err, "decompressed size exceeds the limit of %zu bytes", cap);
    }
    buf[len] = '\0';
    *out = buf;
    *outlen = len;
    archlib.read_free(a);
    return 0;
}

int decompress_as(int filter, const void *in, size_t inlen, size_t cap,
                  char **out, size_t *outlen, char **err)
{
    const struct filter_desc *want = NULL;

    *out = NULL;
    *outlen = 0;
    *err = NULL;
    if (filter != DECOMPRESS_AUTO) {
        want = find_filter(filter);
        if (!want)
            return fail(NULL, err, "unknown compression filter %d", filter);
    }
    if (inlen == 0) {
        /* libarchive refuses an empty stream; empty plain data is fine. */
        if (want && want->filter != DECOMPRESS_NONE)
            return fail(NULL, err, "empty input is not %s data", want->name);
        *out = xstrdup("");
        return 0;
    }

    if (archlib_load(err))
        return -1;
    struct archive *a = archlib.read_new();
    if (!a)
        return fail(NULL, err, "cannot create an archive reader");
    archlib.support_format_raw(a);
    archlib.support_format_empty(a);   /* compressed nothing */
    /* Every filter is enabled even when the caller expects one: that is how
     * bzip2 data handed in as "zstd" (or gzip as "none") gets noticed. */
    for (size_t i = 0; i < NFILTERS; i++) {
        int r = (*filters[i].enable)(a);
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return fail(a, err, "%s support missing in libarchive: %s",
                        filters[i].name, archlib.error_string(a));
    }

    if (archlib.open_memory(a, in, inlen) != ARCHIVE_OK)
        return fail(a, err, "cannot read input: %s", archlib.error_string(a));
    struct archive_entry *entry;
    int r = archlib.next_header(a, &entry);
    if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
        return fail(a, err, "cannot read input: %s", archlib.error_string(a));

    /* Filters are numbered from the outside in; the last one is "none". */
    int nf = archlib.filter_count(a);
    if (want) {
        int got = nf > 0 ? archlib.filter_code(a, 0) : ARCHIVE_FILTER_NONE;
        const struct filter_desc *g = find_code(got);
        if (got != want->code || nf > (want->filter == DECOMPRESS_NONE ? 1 : 2))
            return fail(a, err, "expected %s data, got %s%s", want->name,
                        g ? g->name : "an unsupported filter",
                        nf > 2 ? " (nested)" : "");
    }
    int outer = nf > 0 ? archlib.filter_code(a, 0) : ARCHIVE_FILTER_NONE;
    if (outer == ARCHIVE_FILTER_NONE) {
        /* libarchive passes what its bidders reject through as plain data;
         * data with a compressor's magic is damaged, not plain. */
        for (size_t i = 0; i < NFILTERS; i++) {
            const char *m = filters[i].magic;
            if (m && inlen >= strlen(m) && !memcmp(in, m, strlen(m)))
                return fail(a, err, "corrupt or truncated %s input", filters[i].name);
        }
    }
    if (r == ARCHIVE_EOF) {              /* valid compressed empty data */
        archlib.read_free(a);
        *out = xstrdup("");
        return 0;
    }
    if (read_all(a, inlen, cap, out, outlen, err) < 0)
        return -1;
    if (outer == ARCHIVE_FILTER_GZIP && nf == 2 && !gzip_trailer_ok(in, inlen, *out, *outlen)) {
        free(*out);
        *out = NULL;
        *outlen = 0;
        return fail(NULL, err, "corrupt gzip input: CRC or length mismatch");
    }
    return 0;
}

int decompress_auto(const void *in, size_t inlen, size_t cap,
                    char **out, size_t *outlen, char **err)
{
    return decompress_as(DECOMPRESS_AUTO, in, inlen, cap, out, outlen, err);
}
