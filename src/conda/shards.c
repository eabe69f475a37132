/* shards.c — see shards.h. msgpack-c unpacks, and each record becomes a
 * small cJSON object handed to rd_take_record(), the one place that reads
 * repodata records, so a shard's records are exactly what the same
 * records in repodata.json give. */
#include "shards.h"

#include <msgpack.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decompress.h"
#include "msg.h"
#include "repodata_int.h"
#include "uriref.h"

#define MP_MAX_DEPTH 64

/* ---- msgpack input ---- */

static int need(const unsigned char *p, const unsigned char *e, size_t n)
{
    return (size_t)(e - p) >= n;
}

static uint64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* One header at p: *skip bytes of header and payload, *items it opens. */
static int mp_header(const unsigned char *p, const unsigned char *e, uint64_t *skip,
                     uint64_t *items)
{
    unsigned c = *p;
    *items = 0;
    *skip = 1;
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
        return 0;
    if ((c & 0xf0) == 0x80 || (c & 0xf0) == 0x90) {
        *items = (uint64_t)(c & 0x0f) * ((c & 0xf0) == 0x80 ? 2 : 1);
        return 0;
    }
    if ((c & 0xe0) == 0xa0) {
        *skip = 1 + (uint64_t)(c & 0x1f);
        return 0;
    }
    static const struct { unsigned char code; int lenbytes, fixed, map; } t[] = {
        { 0xc4, 1, 0, -1 }, { 0xc5, 2, 0, -1 }, { 0xc6, 4, 0, -1 },        /* bin */
        { 0xd9, 1, 0, -1 }, { 0xda, 2, 0, -1 }, { 0xdb, 4, 0, -1 },        /* str */
        { 0xc7, 1, 1, -1 }, { 0xc8, 2, 1, -1 }, { 0xc9, 4, 1, -1 },        /* ext */
        { 0xca, 0, 4, -1 }, { 0xcb, 0, 8, -1 }, { 0xcc, 0, 1, -1 }, { 0xcd, 0, 2, -1 },
        { 0xce, 0, 4, -1 }, { 0xcf, 0, 8, -1 }, { 0xd0, 0, 1, -1 }, { 0xd1, 0, 2, -1 },
        { 0xd2, 0, 4, -1 }, { 0xd3, 0, 8, -1 }, { 0xd4, 0, 2, -1 }, { 0xd5, 0, 3, -1 },
        { 0xd6, 0, 5, -1 }, { 0xd7, 0, 9, -1 }, { 0xd8, 0, 17, -1 },
        { 0xdc, 2, 0, 0 }, { 0xdd, 4, 0, 0 }, { 0xde, 2, 0, 1 }, { 0xdf, 4, 0, 1 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (t[i].code != c)
            continue;
        if (!need(p + 1, e, (size_t)t[i].lenbytes))
            return -1;
        uint64_t n = be(p + 1, t[i].lenbytes);
        *skip = 1 + (uint64_t)t[i].lenbytes + (uint64_t)t[i].fixed;
        if (t[i].map < 0)
            *skip += n;
        else
            *items = t[i].map ? 2 * n : n;
        return 0;
    }
    return -1;                          /* 0xc1: never used */
}

/* One complete msgpack value filling [p, p+len) exactly, with no container
 * claiming more elements than there are bytes left: so unpacking never
 * allocates for elements that are not there. */
static int mp_check(const unsigned char *p, size_t len)
{
    const unsigned char *e = p + len;
    uint64_t pending = 1;
    while (pending) {
        uint64_t skip, items;
        if (p >= e || mp_header(p, e, &skip, &items) < 0 || skip > (uint64_t)(e - p))
            return -1;
        p += skip;
        pending = pending - 1 + items;
        if (pending > (uint64_t)(e - p))
            return -1;
    }
    return p == e ? 0 : -1;
}

struct mp_doc {
    char *raw;                          /* decompressed bytes (objects point into them) */
    size_t len;
    msgpack_unpacked up;
};

static int mp_open(struct mp_doc *d, const void *body, size_t len, const char *what, char **err)
{
    char *why = NULL;
    memset(d, 0, sizeof *d);
    msgpack_unpacked_init(&d->up);
    if (decompress_auto(body, len, SHARDS_MAX_BYTES, &d->raw, &d->len, &why) < 0) {
        seterr(err, "%s: %s", what, why);
        free(why);
        return -1;
    }
    size_t off = 0;
    if (mp_check((const unsigned char *)d->raw, d->len) < 0 ||
        msgpack_unpack_next(&d->up, d->raw, d->len, &off) != MSGPACK_UNPACK_SUCCESS ||
        off != d->len)
        return seterr(err, "%s: not valid msgpack", what);
    if (d->up.data.type != MSGPACK_OBJECT_MAP)
        return seterr(err, "%s: the top level is not a map", what);
    return 0;
}

static void mp_close(struct mp_doc *d)
{
    msgpack_unpacked_destroy(&d->up);
    free(d->raw);
    memset(d, 0, sizeof *d);
}

static int mp_is(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o->type == MSGPACK_OBJECT_STR && o->via.str.size == n && !memcmp(o->via.str.ptr, s, n);
}

/* The first value of map m under key, or NULL. */
static const msgpack_object *mp_get(const msgpack_object *m, const char *key)
{
    if (!m || m->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < m->via.map.size; i++)
        if (mp_is(&m->via.map.ptr[i].key, key))
            return &m->via.map.ptr[i].val;
    return NULL;
}

/* ---- a record as cJSON ---- */

static cJSON *mp_to_json(const msgpack_object *o, int depth);

static cJSON *hex_string(const char *p, size_t n)
{
    char *hex = xmalloc(2 * n + 1);
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)p[i]);
    cJSON *j = cJSON_CreateString(hex);
    free(hex);
    return j;
}

static cJSON *mp_container(const msgpack_object *o, int depth)
{
    int map = o->type == MSGPACK_OBJECT_MAP;
    cJSON *j = map ? cJSON_CreateObject() : cJSON_CreateArray();
    uint32_t n = map ? o->via.map.size : o->via.array.size;
    for (uint32_t i = 0; j && i < n; i++) {
        const msgpack_object *v = map ? &o->via.map.ptr[i].val : &o->via.array.ptr[i];
        if (map && o->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR)
            continue;                    /* JSON has string keys only */
        cJSON *c = mp_to_json(v, depth + 1);
        if (!c) {
            cJSON_Delete(j);
            return NULL;
        }
        if (map) {
            const msgpack_object_str *k = &o->via.map.ptr[i].key.via.str;
            char *key = xstrndup(k->ptr, k->size);
            cJSON_AddItemToObject(j, key, c);
            free(key);
        } else {
            cJSON_AddItemToArray(j, c);
        }
    }
    return j;
}

static cJSON *mp_to_json(const msgpack_object *o, int depth)
{
    if (depth > MP_MAX_DEPTH)
        return NULL;
    switch (o->type) {
    case MSGPACK_OBJECT_BOOLEAN:          return cJSON_CreateBool(o->via.boolean);
    case MSGPACK_OBJECT_POSITIVE_INTEGER: return cJSON_CreateNumber((double)o->via.u64);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return cJSON_CreateNumber((double)o->via.i64);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:          return cJSON_CreateNumber(o->via.f64);
    case MSGPACK_OBJECT_BIN:              return hex_string(o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_STR: {
        char *s = xstrndup(o->via.str.ptr, o->via.str.size);
        cJSON *j = cJSON_CreateString(s);
        free(s);
        return j;
    }
    case MSGPACK_OBJECT_ARRAY:
    case MSGPACK_OBJECT_MAP:              return mp_container(o, depth);
    default:                              return cJSON_CreateNull();   /* nil, ext */
    }
}

/* ---- sha256 ---- */

void shards_hex(const unsigned char sha[SHARDS_SHA256_LEN], char out[2 * SHARDS_SHA256_LEN + 1])
{
    for (int i = 0; i < SHARDS_SHA256_LEN; i++)
        snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

static void sha256_of(const void *p, size_t n, unsigned char md[SHARDS_SHA256_LEN])
{
    unsigned int mdlen = 0;
    if (!EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) || mdlen != SHARDS_SHA256_LEN)
        memset(md, 0, SHARDS_SHA256_LEN);
}

/* ---- the index ---- */

/* A string value as a NUL-terminated copy in the index's string block. */
static const char *take_str(const msgpack_object *o, char **at)
{
    if (!o || o->type != MSGPACK_OBJECT_STR)
        return NULL;
    char *s = *at;
    memcpy(s, o->via.str.ptr, o->via.str.size);
    s[o->via.str.size] = '\0';
    *at += o->via.str.size + 1;
    return s;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A shard hash: 32 bytes, or (leniently) 64 hex digits. */
static int take_hash(const msgpack_object *o, unsigned char out[SHARDS_SHA256_LEN])
{
    if (o->type == MSGPACK_OBJECT_BIN && o->via.bin.size == SHARDS_SHA256_LEN) {
        memcpy(out, o->via.bin.ptr, SHARDS_SHA256_LEN);
        return 0;
    }
    if (o->type != MSGPACK_OBJECT_STR || o->via.str.size != 2 * SHARDS_SHA256_LEN)
        return -1;
    for (int i = 0; i < SHARDS_SHA256_LEN; i++) {
        int hi = hexval(o->via.str.ptr[2 * i]), lo = hexval(o->via.str.ptr[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct shards_entry *)a)->name, ((const struct shards_entry *)b)->name);
}

static const char *const info_keys[] = { "subdir", "base_url", "shards_base_url", "created_at" };

/* Bytes the index's strings need (names and info), +1 each. */
static size_t strings_size(const msgpack_object *info, const msgpack_object *shards)
{
    size_t total = 1;
    for (size_t i = 0; i < 4; i++) {
        const msgpack_object *v = mp_get(info, info_keys[i]);
        if (v && v->type == MSGPACK_OBJECT_STR)
            total += v->via.str.size + 1;
    }
    for (uint32_t i = 0; i < shards->via.map.size; i++)
        if (shards->via.map.ptr[i].key.type == MSGPACK_OBJECT_STR)
            total += shards->via.map.ptr[i].key.via.str.size + 1;
    return total;
}

static int fill_index(const msgpack_object *root, struct shards_index *out, char **err)
{
    const msgpack_object *ver = mp_get(root, "version");
    const msgpack_object *info = mp_get(root, "info");
    const msgpack_object *shards = mp_get(root, "shards");
    if (!shards || shards->type != MSGPACK_OBJECT_MAP)
        return seterr(err, "shard index: no 'shards' map (not a repodata_shards file?)");
    if (info && info->type != MSGPACK_OBJECT_MAP)
        return seterr(err, "shard index: 'info' is not a map");
    if (ver && ver->type == MSGPACK_OBJECT_POSITIVE_INTEGER && ver->via.u64 <= 1000)
        out->version = (int)ver->via.u64;
    char *at = out->strings = xmalloc(strings_size(info, shards));
    const char **slots[] = { &out->subdir, &out->base_url, &out->shards_base_url,
                             &out->created_at };
    for (size_t i = 0; i < 4; i++)
        *slots[i] = take_str(mp_get(info, info_keys[i]), &at);
    out->entries = xcalloc(shards->via.map.size ? shards->via.map.size : 1, sizeof *out->entries);
    for (uint32_t i = 0; i < shards->via.map.size; i++) {
        const msgpack_object_kv *kv = &shards->via.map.ptr[i];
        struct shards_entry *en = &out->entries[out->n];
        if (kv->key.type != MSGPACK_OBJECT_STR || !kv->key.via.str.size)
            continue;
        if (take_hash(&kv->val, en->sha256) < 0)
            return seterr(err, "shard index: the hash of '%.*s' is not 32 bytes",
                          (int)kv->key.via.str.size, kv->key.via.str.ptr);
        en->name = take_str(&kv->key, &at);
        out->n++;
    }
    qsort(out->entries, out->n, sizeof *out->entries, cmp_entry);
    return 0;
}

int shards_index_parse(const void *body, size_t len, struct shards_index *out, char **err)
{
    struct mp_doc d;
    memset(out, 0, sizeof *out);
    int rc = mp_open(&d, body, len, "shard index", err);
    if (rc == 0)
        rc = fill_index(&d.up.data, out, err);
    mp_close(&d);
    if (rc != 0)
        shards_index_free(out);
    return rc;
}

const unsigned char *shards_index_hash(const struct shards_index *ix, const char *name)
{
    if (!ix || !name || !ix->n)
        return NULL;
    struct shards_entry key = { .name = name };
    const struct shards_entry *en = bsearch(&key, ix->entries, ix->n, sizeof *ix->entries,
                                            cmp_entry);
    return en ? en->sha256 : NULL;
}

char *shards_url(const struct shards_index *ix, const char *index_url, const char *name,
                 char **err)
{
    const unsigned char *sha = shards_index_hash(ix, name);
    if (!sha)
        return NULL;
    char hex[2 * SHARDS_SHA256_LEN + 1];
    shards_hex(sha, hex);
    const char *base = ix->shards_base_url ? ix->shards_base_url : "";
    size_t bl = strlen(base);
    char *rel = xasprintf("%s%s%s.msgpack.zst", base, bl && base[bl - 1] != '/' ? "/" : "", hex);
    char *out = index_url ? uri_resolve(index_url, rel) : NULL;
    if (!out)
        seterr(err, "shard index: cannot resolve '%s' against '%s'", rel,
               index_url ? index_url : "(none)");
    free(rel);
    return out;
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

static void pack_info(msgpack_packer *pk, const struct shards_index *ix)
{
    const char *keys[] = { "subdir", "base_url", "shards_base_url", "created_at" };
    const char *vals[] = { ix->subdir, ix->base_url, ix->shards_base_url, ix->created_at };
    size_t n = 0;
    for (size_t i = 0; i < 4; i++)
        n += vals[i] != NULL;
    msgpack_pack_map(pk, n);
    for (size_t i = 0; i < 4; i++)
        if (vals[i]) {
            pack_str(pk, keys[i]);
            pack_str(pk, vals[i]);
        }
}

int shards_index_pack(const struct shards_index *ix, const char *const *names, char **out,
                      size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    size_t n = 0;
    for (const char *const *nm = names; nm && *nm; nm++)
        n += shards_index_hash(ix, *nm) != NULL;
    msgpack_pack_map(&pk, 3);
    pack_str(&pk, "version");
    msgpack_pack_int(&pk, ix->version ? ix->version : 1);
    pack_str(&pk, "info");
    pack_info(&pk, ix);
    pack_str(&pk, "shards");
    msgpack_pack_map(&pk, n);
    for (const char *const *nm = names; nm && *nm; nm++) {
        const unsigned char *sha = shards_index_hash(ix, *nm);
        if (!sha)
            continue;
        pack_str(&pk, *nm);
        msgpack_pack_bin(&pk, SHARDS_SHA256_LEN);
        msgpack_pack_bin_body(&pk, sha, SHARDS_SHA256_LEN);
    }
    *out = xmalloc(sb.size ? sb.size : 1);
    memcpy(*out, sb.data, sb.size);
    *len = sb.size;
    msgpack_sbuffer_destroy(&sb);
    return 0;
}

void shards_index_free(struct shards_index *ix)
{
    if (!ix)
        return;
    free(ix->entries);
    free(ix->strings);
    memset(ix, 0, sizeof *ix);
}

/* ---- a shard ---- */

static int same_hash(const void *p, size_t n, const unsigned char *expect)
{
    unsigned char got[SHARDS_SHA256_LEN];
    sha256_of(p, n, got);
    return !memcmp(got, expect, SHARDS_SHA256_LEN);
}

static int mismatch(const void *body, size_t len, const unsigned char *expect, char **err)
{
    unsigned char got[SHARDS_SHA256_LEN];
    char want[2 * SHARDS_SHA256_LEN + 1], have[2 * SHARDS_SHA256_LEN + 1];
    sha256_of(body, len, got);
    shards_hex(expect, want);
    shards_hex(got, have);
    return seterr(err, "shard: sha256 %s does not match the index's %s", have, want);
}

static void take_group(const msgpack_object *g, const char *const *names,
                      struct repodata_index *out, struct rd_skips *sk)
{
    for (uint32_t i = 0; i < g->via.map.size; i++) {
        const msgpack_object_kv *kv = &g->via.map.ptr[i];
        const char *why = NULL;
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            rd_note_skip(out, sk, "?", "file name is not a string");
            continue;
        }
        char *fn = xstrndup(kv->key.via.str.ptr, kv->key.via.str.size);
        cJSON *r = mp_to_json(&kv->val, 1);
        if (!r)
            why = "record nests too deep";
        if (why || rd_take_record(out, fn, r, names, &why) < 0)
            rd_note_skip(out, sk, fn, why);
        cJSON_Delete(r);
        free(fn);
    }
}

static int take_shard(const msgpack_object *root, const char *subdir, const char *const *names,
                      struct repodata_index *out, char **err)
{
    const msgpack_object *groups[] = { mp_get(root, "packages"), mp_get(root, "packages.conda") };
    struct rd_skips sk = { NULL, NULL };
    for (size_t i = 0; i < 2; i++)
        if (groups[i] && groups[i]->type != MSGPACK_OBJECT_MAP)
            return seterr(err, "shard: '%s' is not a map", i ? "packages.conda" : "packages");
    out->arena = rd_arena_new();
    if (subdir && *subdir)
        out->subdir = rd_intern(out->arena, subdir);
    for (size_t i = 0; i < 2; i++)
        if (groups[i])
            take_group(groups[i], names, out, &sk);
    rd_finish(out, &sk);
    return 0;
}

int shards_parse(const void *body, size_t len, const unsigned char *expect, const char *subdir,
                 const char *const *names, struct repodata_index *out, char **err)
{
    struct mp_doc d;
    memset(out, 0, sizeof *out);
    if (!body || !len)
        return seterr(err, "shard: empty body");
    /* the hash of the file as served; or, failing that, of its msgpack */
    int verified = !expect || same_hash(body, len, expect);
    int rc = mp_open(&d, body, len, "shard", err);
    if (!verified && !(rc == 0 && same_hash(d.raw, d.len, expect))) {
        if (err) {
            free(*err);
            *err = NULL;
        }
        rc = mismatch(body, len, expect, err);
    }
    if (rc == 0)
        rc = take_shard(&d.up.data, subdir, names, out, err);
    mp_close(&d);
    if (rc != 0)
        repodata_index_free(out);
    return rc;
}

int shards_load(const struct shards_index *ix, const char *name, const void *body, size_t len,
                const char *const *names, struct repodata_index *out, char **err)
{
    const unsigned char *sha = shards_index_hash(ix, name);
    if (!sha) {
        memset(out, 0, sizeof *out);
        return seterr(err, "shard: '%s' is not in the shard index", name ? name : "(null)");
    }
    return shards_parse(body, len, sha, ix->subdir, names, out, err);
}
