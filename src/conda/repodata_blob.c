/* repodata_blob.c — the compact binary form of a struct repodata_index
 * (repodata_index_serialize / repodata_index_deserialize; contract in
 * repodata.h). */
#include "repodata_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

/* Layout, all little-endian:
 *   header (32 bytes): magic[8] "TSRIDX1\n" | u32 format version | u32 CRC-32
 *     of bytes [16, end) | u64 payload length (= blob length - 32) |
 *     u32 record count | u32 zero
 *   payload: u32 strtab_len | strtab (NUL-terminated strings, last byte NUL)
 *     | u32 skipped | u32 subdir | u32 nlist | nlist x u32 (depends and
 *     constrains of all records, as string offsets) | records
 *   record: 14 x u32 (see RF_*; strings are strtab offsets, NONE = absent)
 *     | f64 timestamp | f64 size
 * Format 2 added md5 and sha256 (RF_MD5, RF_SHA256); a format-1 blob is
 * refused (REPODATA_E_VERSION): the cache then fetches the index again. */
static const char magic[8] = { 'T', 'S', 'R', 'I', 'D', 'X', '1', '\n' };
#define FORMAT_VERSION 2u
#define HEADER_SIZE 32u
/* A record: 14 u32 then 2 f64, little-endian. */
enum {
    RF_FILENAME, RF_NAME, RF_VERSION, RF_BUILD, RF_TRACK_FEATURES, RF_FEATURES, RF_SUBDIR,
    RF_BUILD_NUMBER, RF_DEP_FIRST, RF_DEP_N, RF_CON_FIRST, RF_CON_N, RF_MD5, RF_SHA256, RF_NU32
};
#define RECORD_SIZE (RF_NU32 * 4u + 16u)
#define NONE 0xFFFFFFFFu

static uint32_t crc32_of(const unsigned char *p, size_t n)
{
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

struct wbuf {
    unsigned char *p;
    size_t len, cap;
};

static unsigned char *wb_room(struct wbuf *w, size_t n)
{
    if (w->cap - w->len < n) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap - w->len < n)
            cap *= 2;
        w->p = xrealloc(w->p, cap);
        w->cap = cap;
    }
    unsigned char *at = w->p + w->len;
    w->len += n;
    return at;
}

static void put_u32_at(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64_at(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void wb_u32(struct wbuf *w, uint32_t v)
{
    put_u32_at(wb_room(w, 4), v);
}

static void wb_f64(struct wbuf *w, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    put_u64_at(wb_room(w, 8), v);
}

static uint32_t get_u32_at(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64_at(const unsigned char *p)
{
    return (uint64_t)get_u32_at(p) | (uint64_t)get_u32_at(p + 4) << 32;
}

/* String table under construction: text plus a content -> offset map. */
struct strtab {
    struct wbuf text;
    const char **keys;
    uint32_t *offs;
    size_t cap, n;
};

static uint32_t strtab_add(struct strtab *t, const char *s)
{
    if (!s)
        return NONE;
    if (t->n * 10 >= t->cap * 7) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        const char **keys = xcalloc(cap, sizeof *keys);
        uint32_t *offs = xcalloc(cap, sizeof *offs);
        for (size_t i = 0; i < t->cap; i++) {
            if (!t->keys[i])
                continue;
            size_t j = rd_hash_str(t->keys[i], strlen(t->keys[i])) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = t->keys[i];
            offs[j] = t->offs[i];
        }
        free(t->keys);
        free(t->offs);
        t->keys = keys;
        t->offs = offs;
        t->cap = cap;
    }
    size_t l = strlen(s);
    size_t i = rd_hash_str(s, l) & (t->cap - 1);
    while (t->keys[i]) {
        if (strcmp(t->keys[i], s) == 0)
            return t->offs[i];
        i = (i + 1) & (t->cap - 1);
    }
    uint32_t off = (uint32_t)t->text.len;
    memcpy(wb_room(&t->text, l + 1), s, l + 1);
    t->keys[i] = s;
    t->offs[i] = off;
    t->n++;
    return off;
}

int repodata_index_serialize(const struct repodata_index *idx, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (!idx || idx->n > UINT32_MAX / RECORD_SIZE)
        return -1;
    struct strtab st = { 0 };
    struct wbuf lists = { 0 }, recs = { 0 }, w = { 0 };
    uint32_t nlist = 0;
    uint32_t subdir = strtab_add(&st, idx->subdir);
    for (size_t i = 0; i < idx->n; i++) {
        const struct repodata_record *r = &idx->recs[i];
        uint32_t dep_first = nlist, con_first;
        for (size_t k = 0; k < r->n_depends; k++, nlist++)
            wb_u32(&lists, strtab_add(&st, r->depends[k]));
        con_first = nlist;
        for (size_t k = 0; k < r->n_constrains; k++, nlist++)
            wb_u32(&lists, strtab_add(&st, r->constrains[k]));
        uint32_t f[RF_NU32];
        f[RF_FILENAME] = strtab_add(&st, r->filename);
        f[RF_NAME] = strtab_add(&st, r->name);
        f[RF_VERSION] = strtab_add(&st, r->version);
        f[RF_BUILD] = strtab_add(&st, r->build);
        f[RF_TRACK_FEATURES] = strtab_add(&st, r->track_features);
        f[RF_FEATURES] = strtab_add(&st, r->features);
        f[RF_SUBDIR] = strtab_add(&st, r->subdir);
        f[RF_BUILD_NUMBER] = (uint32_t)r->build_number;
        f[RF_DEP_FIRST] = dep_first;
        f[RF_DEP_N] = (uint32_t)r->n_depends;
        f[RF_CON_FIRST] = con_first;
        f[RF_CON_N] = (uint32_t)r->n_constrains;
        f[RF_MD5] = strtab_add(&st, r->md5);
        f[RF_SHA256] = strtab_add(&st, r->sha256);
        for (int k = 0; k < RF_NU32; k++)
            wb_u32(&recs, f[k]);
        wb_f64(&recs, r->timestamp);
        wb_f64(&recs, r->size);
    }
    int rc = -1;
    if (st.text.len >= NONE)
        goto out;

    /* payload: strtab_len, strtab, skipped, subdir, nlist, list, records */
    wb_room(&w, HEADER_SIZE);
    wb_u32(&w, (uint32_t)st.text.len);
    if (st.text.len)
        memcpy(wb_room(&w, st.text.len), st.text.p, st.text.len);
    wb_u32(&w, idx->skipped > UINT32_MAX ? UINT32_MAX : (uint32_t)idx->skipped);
    wb_u32(&w, subdir);
    wb_u32(&w, nlist);
    if (lists.len)
        memcpy(wb_room(&w, lists.len), lists.p, lists.len);
    if (recs.len)
        memcpy(wb_room(&w, recs.len), recs.p, recs.len);

    memcpy(w.p, magic, sizeof magic);
    put_u32_at(w.p + 8, FORMAT_VERSION);
    put_u64_at(w.p + 16, (uint64_t)(w.len - HEADER_SIZE));
    put_u32_at(w.p + 24, (uint32_t)idx->n);
    put_u32_at(w.p + 28, 0);
    put_u32_at(w.p + 12, crc32_of(w.p + 16, w.len - 16));
    *buf = (char *)w.p;
    *len = w.len;
    rc = 0;
out:
    free(st.text.p);
    free(st.keys);
    free(st.offs);
    free(lists.p);
    free(recs.p);
    return rc;
}

struct rbuf {
    const unsigned char *p;
    size_t left;
};

static int rd_u32(struct rbuf *r, uint32_t *v)
{
    if (r->left < 4)
        return -1;
    *v = get_u32_at(r->p);
    r->p += 4;
    r->left -= 4;
    return 0;
}

static double f64_at(const unsigned char *p)
{
    uint64_t v = get_u64_at(p);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

#define STR_OK(o, stlen) ((o) == NONE || (o) < (stlen))

/* The header: 0 and the record count, or a REPODATA_E_* code. */
static int check_header(const unsigned char *p, size_t len, uint32_t *nrec)
{
    if (!p || len < sizeof magic || memcmp(p, magic, sizeof magic) != 0)
        return len < sizeof magic && p && memcmp(p, magic, len) == 0 ? REPODATA_E_TRUNCATED
                                                                       : REPODATA_E_MAGIC;
    if (len < HEADER_SIZE)
        return REPODATA_E_TRUNCATED;
    if (get_u32_at(p + 8) != FORMAT_VERSION)
        return REPODATA_E_VERSION;
    uint64_t plen = get_u64_at(p + 16);
    if (plen != (uint64_t)(len - HEADER_SIZE))
        return REPODATA_E_TRUNCATED;
    if (crc32_of(p + 16, len - 16) != get_u32_at(p + 12))
        return REPODATA_E_CHECKSUM;
    *nrec = get_u32_at(p + 24);
    if (get_u32_at(p + 28) != 0)
        return REPODATA_E_CORRUPT;
    return 0;
}

/* The payload's parts, bounds-checked. */
struct payload {
    const char *st;
    uint32_t stlen, skipped, subdir, nlist;
    const unsigned char *listp, *recp;
};

static int split_payload(const unsigned char *p, size_t len, uint32_t nrec, struct payload *pl)
{
    struct rbuf r = { p + HEADER_SIZE, len - HEADER_SIZE };
    if (rd_u32(&r, &pl->stlen) < 0 || pl->stlen > r.left)
        return REPODATA_E_CORRUPT;
    pl->st = (const char *)r.p;
    if (pl->stlen && pl->st[pl->stlen - 1] != '\0')
        return REPODATA_E_CORRUPT;
    r.p += pl->stlen;
    r.left -= pl->stlen;
    if (rd_u32(&r, &pl->skipped) < 0 || rd_u32(&r, &pl->subdir) < 0 ||
        rd_u32(&r, &pl->nlist) < 0)
        return REPODATA_E_CORRUPT;
    if (pl->nlist > r.left / 4)
        return REPODATA_E_CORRUPT;
    pl->listp = r.p;
    r.p += (size_t)pl->nlist * 4;
    r.left -= (size_t)pl->nlist * 4;
    pl->recp = r.p;
    if (r.left != (size_t)nrec * RECORD_SIZE || !STR_OK(pl->subdir, pl->stlen))
        return REPODATA_E_CORRUPT;
    for (uint32_t i = 0; i < pl->nlist; i++) {
        uint32_t o = get_u32_at(pl->listp + 4 * (size_t)i);
        if (o == NONE || o >= pl->stlen)
            return REPODATA_E_CORRUPT;
    }
    return 0;
}

/* One record from its RECORD_SIZE bytes; -1 if an offset is out of range. */
static int read_record(const unsigned char *q, const struct payload *pl, const char *strings,
                       const char **list, struct repodata_record *rec)
{
    uint32_t f[RF_NU32], stlen = pl->stlen, nlist = pl->nlist;
    for (int k = 0; k < RF_NU32; k++)
        f[k] = get_u32_at(q + 4 * k);
    int bad = f[RF_FILENAME] >= stlen || f[RF_NAME] >= stlen || f[RF_VERSION] >= stlen ||
              f[RF_BUILD] >= stlen || !STR_OK(f[RF_TRACK_FEATURES], stlen) ||
              !STR_OK(f[RF_FEATURES], stlen) || !STR_OK(f[RF_SUBDIR], stlen) ||
              !STR_OK(f[RF_MD5], stlen) || !STR_OK(f[RF_SHA256], stlen) ||
              f[RF_BUILD_NUMBER] > INT_MAX ||
              f[RF_DEP_N] > nlist || f[RF_DEP_FIRST] > nlist - f[RF_DEP_N] ||
              f[RF_CON_N] > nlist || f[RF_CON_FIRST] > nlist - f[RF_CON_N];
    if (bad)
        return -1;
    rec->filename = strings + f[RF_FILENAME];
    rec->name = strings + f[RF_NAME];
    rec->version = strings + f[RF_VERSION];
    rec->build = strings + f[RF_BUILD];
    rec->track_features = f[RF_TRACK_FEATURES] == NONE ? NULL : strings + f[RF_TRACK_FEATURES];
    rec->features = f[RF_FEATURES] == NONE ? NULL : strings + f[RF_FEATURES];
    rec->subdir = f[RF_SUBDIR] == NONE ? NULL : strings + f[RF_SUBDIR];
    rec->md5 = f[RF_MD5] == NONE ? NULL : strings + f[RF_MD5];
    rec->sha256 = f[RF_SHA256] == NONE ? NULL : strings + f[RF_SHA256];
    rec->build_number = (int)f[RF_BUILD_NUMBER];
    rec->depends = f[RF_DEP_N] ? list + f[RF_DEP_FIRST] : NULL;
    rec->n_depends = f[RF_DEP_N];
    rec->constrains = f[RF_CON_N] ? list + f[RF_CON_FIRST] : NULL;
    rec->n_constrains = f[RF_CON_N];
    rec->timestamp = f64_at(q + 4 * RF_NU32);
    rec->size = f64_at(q + 4 * RF_NU32 + 8);
    return 0;
}

int repodata_index_deserialize(const char *buf, size_t len, struct repodata_index *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *p = (const unsigned char *)buf;
    uint32_t nrec = 0;
    struct payload pl;
    int rc = check_header(p, len, &nrec);
    if (rc == 0)
        rc = split_payload(p, len, nrec, &pl);
    if (rc != 0)
        return rc;

    /* One block for the strings and the list pointers. */
    struct repodata_arena *a = rd_arena_new();
    char *strings = rd_arena_alloc(a, pl.stlen ? pl.stlen : 1, 1);
    if (pl.stlen)
        memcpy(strings, pl.st, pl.stlen);
    const char **list = pl.nlist ? rd_arena_alloc(a, (size_t)pl.nlist * sizeof *list,
                                                  sizeof(void *))
                                 : NULL;
    for (uint32_t i = 0; i < pl.nlist; i++)
        list[i] = strings + get_u32_at(pl.listp + 4 * (size_t)i);

    out->arena = a;
    out->subdir = pl.subdir == NONE ? NULL : strings + pl.subdir;
    out->skipped = pl.skipped;
    out->recs = nrec ? xmalloc((size_t)nrec * sizeof *out->recs) : NULL;
    out->cap = nrec;
    for (uint32_t i = 0; i < nrec; i++) {
        if (read_record(pl.recp + (size_t)i * RECORD_SIZE, &pl, strings, list,
                        &out->recs[out->n]) < 0) {
            repodata_index_free(out);
            return REPODATA_E_CORRUPT;
        }
        out->n++;
    }
    return 0;
}

const char *repodata_strerror(int code)
{
    switch (code) {
    case 0:                    return "success";
    case REPODATA_E_MAGIC:     return "not a torchshim repodata index";
    case REPODATA_E_VERSION:   return "index written by another format version";
    case REPODATA_E_TRUNCATED: return "index is truncated or has trailing bytes";
    case REPODATA_E_CHECKSUM:  return "index checksum mismatch (torn or corrupted)";
    case REPODATA_E_CORRUPT:   return "index contents are inconsistent";
    default:                   return "repodata error";
    }
}

