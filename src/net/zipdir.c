/* zipdir.c — see zipdir.h. Layouts: PKWARE APPNOTE.TXT 4.3.7 (local file
 * header), 4.3.12 (central directory header), 4.3.14-16 (ZIP64 end record,
 * locator, end of central directory), 4.5.3 (ZIP64 extra field). */
#include "zipdir.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "msg.h"

#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END     0x06054b50u
#define SIG_END64   0x06064b50u
#define SIG_LOC64   0x07064b50u
#define CENTRAL_LEN 46
#define MAX_COMMENT 65535
#define ZIP64_EXTRA 0x0001
#define ALL16       0xFFFFu
#define ALL32       0xFFFFFFFFu
#define META_SUFFIX ".dist-info/METADATA"

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

typedef unsigned long long ull;

/* The central directory must end before limit and be able to hold its
 * entries. */
static int check_cd(const struct zipdir_end *e, uint64_t limit, char **err)
{
    if (e->cd_offset > limit || e->cd_size > limit - e->cd_offset)
        return seterr(err, "central directory (offset %llu, %llu bytes) does not end before "
                      "its end record at %llu", (ull)e->cd_offset, (ull)e->cd_size, (ull)limit);
    if (e->entries > e->cd_size / CENTRAL_LEN)
        return seterr(err, "central directory of %llu bytes cannot hold %llu entries",
                      (ull)e->cd_size, (ull)e->entries);
    return 0;
}

/* The last EOCD signature whose comment fits in the tail; -1 when none. */
static long find_eocd(const unsigned char *tail, size_t len)
{
    size_t lowest = len > ZIPDIR_EOCD_LEN + MAX_COMMENT ? len - ZIPDIR_EOCD_LEN - MAX_COMMENT : 0;
    for (size_t i = len - ZIPDIR_EOCD_LEN + 1; i-- > lowest;)
        if (le32(tail + i) == SIG_END && i + ZIPDIR_EOCD_LEN + le16(tail + i + 20) <= len)
            return (long)i;
    return -1;
}

int zipdir_find_end(const unsigned char *tail, size_t tail_len, uint64_t file_size,
                    struct zipdir_end *out, char **err)
{
    memset(out, 0, sizeof *out);
    out->file_size = file_size;
    if (tail_len > file_size)
        return seterr(err, "tail of %zu bytes is longer than the file (%llu)", tail_len,
                      (ull)file_size);
    if (tail_len < ZIPDIR_EOCD_LEN)
        return seterr(err, "%llu bytes are too few for a zip archive", (ull)file_size);
    long at = find_eocd(tail, tail_len);
    if (at < 0)
        return seterr(err, "no end of central directory record: not a zip archive, "
                      "or a truncated one");
    size_t i = (size_t)at;
    const unsigned char *p = tail + i;
    out->eocd_offset = file_size - tail_len + i;
    unsigned disk = le16(p + 4), cd_disk = le16(p + 6), n_this = le16(p + 8),
             n_total = le16(p + 10);
    if (i >= ZIPDIR_ZIP64_LOC_LEN && le32(p - ZIPDIR_ZIP64_LOC_LEN) == SIG_LOC64) {
        const unsigned char *q = p - ZIPDIR_ZIP64_LOC_LEN;
        uint64_t off = le64(q + 8), loc = out->eocd_offset - ZIPDIR_ZIP64_LOC_LEN;
        if (le32(q + 4) != 0 || le32(q + 16) > 1)
            return seterr(err, "multi-disk zip archives are not supported");
        if (off > loc || loc - off < ZIPDIR_ZIP64_END_LEN)
            return seterr(err, "ZIP64 end record offset %llu out of range", (ull)off);
        out->zip64 = 1;
        out->zip64_offset = off;
        return 0;
    }
    if (n_total == ALL16 || le32(p + 12) == ALL32 || le32(p + 16) == ALL32)
        return seterr(err, "ZIP64 archive without a ZIP64 locator before its end record");
    if (disk != 0 || cd_disk != 0 || n_this != n_total)
        return seterr(err, "multi-disk zip archives are not supported");
    out->cd_size = le32(p + 12);
    out->cd_offset = le32(p + 16);
    out->entries = n_total;
    return check_cd(out, out->eocd_offset, err);
}

int zipdir_read_zip64_end(const unsigned char *p, size_t len, struct zipdir_end *end, char **err)
{
    if (len < ZIPDIR_ZIP64_END_LEN || le32(p) != SIG_END64)
        return seterr(err, "no ZIP64 end of central directory record at %llu",
                      (ull)end->zip64_offset);
    if (le32(p + 16) != 0 || le32(p + 20) != 0 || le64(p + 24) != le64(p + 32))
        return seterr(err, "multi-disk zip archives are not supported");
    end->entries = le64(p + 32);
    end->cd_size = le64(p + 40);
    end->cd_offset = le64(p + 48);
    end->zip64 = 0;
    return check_cd(end, end->zip64_offset, err);
}

/* "<dir>.dist-info/METADATA" with <dir> a top-level directory name. */
static int is_top_metadata(const unsigned char *name, size_t n)
{
    size_t sl = sizeof META_SUFFIX - 1;
    if (n <= sl || memcmp(name + n - sl, META_SUFFIX, sl) != 0)
        return 0;
    return !memchr(name, '/', n - sl) && !memchr(name, '\\', n - sl);
}

/* Distribution names equal with case and runs of "-_." not mattering. */
static int dist_name_eq(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    for (;;) {
        int sa = i < an && strchr("-_.", a[i]), sb = j < bn && strchr("-_.", b[j]);
        if (sa != sb)
            return 0;
        if (sa) {
            while (i < an && strchr("-_.", a[i]))
                i++;
            while (j < bn && strchr("-_.", b[j]))
                j++;
            continue;
        }
        if (i == an || j == bn)
            return i == an && j == bn;
        if (tolower((unsigned char)a[i++]) != tolower((unsigned char)b[j++]))
            return 0;
    }
}

/* Sizes and offset from a ZIP64 extra field where the header has all-ones. */
static int read_zip64_extra(const unsigned char *x, size_t xlen, struct zipdir_entry *e,
                            char **err)
{
    uint64_t *want[] = { e->usize == ALL32 ? &e->usize : NULL,
                         e->csize == ALL32 ? &e->csize : NULL,
                         e->local_offset == ALL32 ? &e->local_offset : NULL };
    int needed = want[0] || want[1] || want[2];
    for (size_t k = 0; k + 4 <= xlen;) {
        unsigned id = le16(x + k), n = le16(x + k + 2);
        if (k + 4 + n > xlen)
            break;
        if (id == ZIP64_EXTRA) {
            size_t at = k + 4;
            for (int f = 0; f < 3; f++) {
                if (!want[f])
                    continue;
                if (at + 8 > k + 4 + n)
                    return seterr(err, "%s: ZIP64 extra field too short", e->name);
                *want[f] = le64(x + at);
                at += 8;
            }
            return 0;
        }
        k += 4 + n;
    }
    return needed ? seterr(err, "%s: ZIP64 sizes without a ZIP64 extra field", e->name) : 0;
}

/* Fill e from the central directory header at p (its length checked). */
static int read_central(const unsigned char *p, const struct zipdir_end *end,
                        struct zipdir_entry *e, char **err)
{
    size_t nlen = le16(p + 28), xlen = le16(p + 30);
    e->name = xstrndup((const char *)p + CENTRAL_LEN, nlen);
    e->flags = le16(p + 8);
    e->method = le16(p + 10);
    e->crc = le32(p + 16);
    e->csize = le32(p + 20);
    e->usize = le32(p + 24);
    e->local_offset = le32(p + 42);
    e->extra_len = xlen;
    if (read_zip64_extra(p + CENTRAL_LEN + nlen, xlen, e, err) < 0)
        return -1;
    if (le16(p + 34) != 0 && le16(p + 34) != ALL16)
        return seterr(err, "%s: on another disk", e->name);
    if (e->local_offset > end->cd_offset ||
        end->cd_offset - e->local_offset < ZIPDIR_LOCAL_LEN + nlen ||
        e->csize > end->cd_offset - e->local_offset - ZIPDIR_LOCAL_LEN - nlen)
        return seterr(err, "%s: data (offset %llu, %llu bytes) does not end before the "
                      "central directory", e->name, (ull)e->local_offset, (ull)e->csize);
    if (e->flags & 1)
        return seterr(err, "%s: encrypted", e->name);
    if (e->method != 0 && e->method != 8)
        return seterr(err, "%s: compression method %u is not supported", e->name, e->method);
    return 0;
}

/* Is the dist-info directory of name (a top-level METADATA path) named
 * after wheel_name? */
static int names_wheel(const char *name, const char *wheel_name)
{
    size_t dash = strcspn(name, "-/");
    return wheel_name && dist_name_eq(name, dash, wheel_name, strlen(wheel_name));
}

int zipdir_find_metadata(const unsigned char *cd, size_t len, const struct zipdir_end *end,
                         const char *wheel_name, struct zipdir_entry *out, char **err)
{
    memset(out, 0, sizeof *out);
    size_t pos = 0, found = 0;
    for (uint64_t k = 0; k < end->entries; k++) {
        const unsigned char *p = cd + pos;
        if (len - pos < CENTRAL_LEN || le32(p) != SIG_CENTRAL)
            return seterr(err, "central directory entry %llu of %llu is missing or damaged",
                          (ull)k + 1, (ull)end->entries);
        size_t nlen = le16(p + 28), total = CENTRAL_LEN + nlen + le16(p + 30) + le16(p + 32);
        if (len - pos < total)
            return seterr(err, "central directory entry %llu runs past the directory",
                          (ull)k + 1);
        pos += total;
        if (!is_top_metadata(p + CENTRAL_LEN, nlen))
            continue;
        struct zipdir_entry e = { 0 };
        int match = names_wheel((const char *)p + CENTRAL_LEN, wheel_name);
        if (found++ && !match) /* keep the first unless this one is the wheel's */
            continue;
        if (read_central(p, end, &e, err) < 0) {
            zipdir_entry_free(&e);
            return -1;
        }
        zipdir_entry_free(out);
        *out = e;
        if (match)
            return 0;
    }
    if (found == 1)
        return 0;
    zipdir_entry_free(out);
    if (!found)
        return seterr(err, "no top-level .dist-info/METADATA in the archive");
    return seterr(err, "%zu top-level .dist-info directories, none named after '%s'", found,
                  wheel_name ? wheel_name : "?");
}

void zipdir_entry_free(struct zipdir_entry *e)
{
    free(e->name);
    memset(e, 0, sizeof *e);
}

int zipdir_local_data(const unsigned char *p, size_t len, const struct zipdir_entry *e,
                      uint64_t *data_offset, char **err)
{
    size_t want = strlen(e->name);
    if (len < ZIPDIR_LOCAL_LEN || le32(p) != SIG_LOCAL)
        return seterr(err, "%s: no local file header at %llu", e->name, (ull)e->local_offset);
    size_t nlen = le16(p + 26), xlen = le16(p + 28);
    if (nlen != want || len < ZIPDIR_LOCAL_LEN + nlen ||
        memcmp(p + ZIPDIR_LOCAL_LEN, e->name, nlen) != 0)
        return seterr(err, "%s: the local file header at %llu names another file", e->name,
                      (ull)e->local_offset);
    *data_offset = e->local_offset + ZIPDIR_LOCAL_LEN + nlen + xlen;
    return 0;
}

/* Raw deflate (no zlib or gzip wrapper) of exactly e->usize bytes. */
static int inflate_raw(const struct zipdir_entry *e, const unsigned char *data, char *out,
                       char **err)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
        return seterr(err, "%s: cannot start zlib", e->name);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)e->csize;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)e->usize + 1;  /* one spare byte catches a longer stream */
    int rc = inflate(&zs, Z_FINISH);
    uLong got = zs.total_out;
    const char *why = rc == Z_BUF_ERROR ? "longer or shorter than its sizes say"
                                        : zs.msg ? zs.msg : "zlib error";
    if (rc != Z_STREAM_END) {
        seterr(err, "%s: corrupt deflate data (%s)", e->name, why);
        inflateEnd(&zs);
        return -1;
    }
    inflateEnd(&zs);
    if (got != e->usize)
        return seterr(err, "%s: inflates to %lu bytes, the directory says %llu", e->name,
                      (unsigned long)got, (ull)e->usize);
    return 0;
}

int zipdir_extract(const struct zipdir_entry *e, const unsigned char *data, size_t len,
                   size_t cap, char **out, size_t *outlen, char **err)
{
    *out = NULL;
    *outlen = 0;
    if (e->usize > cap || e->usize >= UINT_MAX || e->csize >= UINT_MAX)
        return seterr(err, "%s: %llu bytes, over the limit of %zu", e->name, (ull)e->usize,
                      cap);
    if (len < e->csize)
        return seterr(err, "%s: %zu of %llu bytes of data", e->name, len, (ull)e->csize);
    if (e->method == 0 && e->csize != e->usize)
        return seterr(err, "%s: stored, but its sizes differ", e->name);
    if (e->method != 0 && e->method != 8)
        return seterr(err, "%s: compression method %u is not supported", e->name, e->method);
    char *buf = xmalloc((size_t)e->usize + 1);
    if (e->method == 0) {
        memcpy(buf, data, (size_t)e->usize);
    } else if (inflate_raw(e, data, buf, err) < 0) {
        free(buf);
        return -1;
    }
    uLong crc = crc32(0L, (const Bytef *)buf, (uInt)e->usize);
    if (crc != e->crc) {
        free(buf);
        return seterr(err, "%s: CRC-32 %08lx, the directory says %08lx", e->name,
                      (unsigned long)crc, (unsigned long)e->crc);
    }
    buf[e->usize] = '\0';
    *out = buf;
    *outlen = (size_t)e->usize;
    return 0;
}
