/* listing.c — see listing.h. */
#include "listing.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "uriref.h"
#include "msg.h"

static char *buf_detach_str(struct buf *b)
{
    return buf_detach(b, NULL);
}

/* ---- decoding ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *listing_percent_decode(const char *s, size_t n)
{
    struct buf b = { 0 };
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            buf_addc(&b, (char)(hexval((unsigned char)s[i + 1]) * 16 +
                                hexval((unsigned char)s[i + 2])));
            i += 2;
        } else {
            buf_addc(&b, s[i]);
        }
    }
    return buf_detach_str(&b);
}

static void utf8_add(struct buf *b, unsigned long cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    buf_add(b, out, n);
}

static const struct {
    const char *name;
    unsigned long cp;
} entities[] = {
    { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
    { "nbsp", 0xA0 },
};

/* One character reference at s[0] == '&' (n bytes available). Returns the
 * bytes consumed, 0 when it is not a reference we know. */
static size_t unescape_one(const char *s, size_t n, struct buf *b)
{
    const char *semi = memchr(s, ';', n < 12 ? n : 12);
    if (!semi)
        return 0;
    size_t len = (size_t)(semi - s) - 1; /* between '&' and ';' */
    const char *name = s + 1;
    if (len >= 2 && name[0] == '#') {
        unsigned long cp = 0;
        int hex = name[1] == 'x' || name[1] == 'X';
        size_t i = hex ? 2 : 1;
        if (i == len)
            return 0;
        for (; i < len; i++) {
            int d = hex ? hexval((unsigned char)name[i])
                        : (isdigit((unsigned char)name[i]) ? name[i] - '0' : -1);
            if (d < 0)
                return 0;
            cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            if (cp > 0x10FFFF)
                return 0;
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        utf8_add(b, cp);
        return len + 2;
    }
    for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++) {
        if (strlen(entities[i].name) == len && strncmp(entities[i].name, name, len) == 0) {
            utf8_add(b, entities[i].cp);
            return len + 2;
        }
    }
    return 0;
}

char *listing_html_unescape(const char *s, size_t n)
{
    struct buf b = { 0 };
    for (size_t i = 0; i < n; i++) {
        size_t used = s[i] == '&' ? unescape_one(s + i, n - i, &b) : 0;
        if (used)
            i += used - 1;
        else
            buf_addc(&b, s[i]);
    }
    return buf_detach_str(&b);
}


/* ---- HTML ---- */

struct anchor {
    char *href, *requires_python, *yanked;
    char *core_metadata, *dist_info_metadata;  /* PEP 714, PEP 658 */
    int has_yanked;
};

static void anchor_free(struct anchor *a)
{
    free(a->href);
    free(a->requires_python);
    free(a->yanked);
    free(a->core_metadata);
    free(a->dist_info_metadata);
    memset(a, 0, sizeof *a);
}

/* Where the value of the attribute name (n bytes) goes; NULL: not kept. */
static char **attr_slot(struct anchor *a, const char *name, size_t n)
{
    static const struct {
        const char *name;
        size_t off;
    } attrs[] = {
        { "href", offsetof(struct anchor, href) },
        { "data-requires-python", offsetof(struct anchor, requires_python) },
        { "data-yanked", offsetof(struct anchor, yanked) },
        { "data-core-metadata", offsetof(struct anchor, core_metadata) },
        { "data-dist-info-metadata", offsetof(struct anchor, dist_info_metadata) },
    };
    for (size_t i = 0; i < sizeof attrs / sizeof attrs[0]; i++) {
        if (strlen(attrs[i].name) != n || strncasecmp(attrs[i].name, name, n) != 0)
            continue;
        if (attrs[i].off == offsetof(struct anchor, yanked))
            a->has_yanked = 1;
        return (char **)((char *)a + attrs[i].off);
    }
    return NULL;
}

/* Attributes from p (just after the tag name) to the closing '>'. Returns
 * the position after the tag. */
static const char *parse_attrs(const char *p, const char *end, struct anchor *a)
{
    for (;;) {
        while (p < end && (isspace((unsigned char)*p) || *p == '/'))
            p++;
        if (p >= end)
            return end;
        if (*p == '>')
            return p + 1;
        const char *name = p;
        while (p < end && !isspace((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
            p++;
        size_t name_len = (size_t)(p - name);
        while (p < end && isspace((unsigned char)*p))
            p++;
        const char *val = NULL;
        size_t val_len = 0;
        if (p < end && *p == '=') {
            p++;
            while (p < end && isspace((unsigned char)*p))
                p++;
            if (p < end && (*p == '"' || *p == '\'')) {
                char q = *p++;
                val = p;
                while (p < end && *p != q)
                    p++;
                val_len = (size_t)(p - val);
                if (p < end)
                    p++;
            } else {
                val = p;
                while (p < end && !isspace((unsigned char)*p) && *p != '>')
                    p++;
                val_len = (size_t)(p - val);
            }
        }
        char **slot = attr_slot(a, name, name_len);
        if (slot && !*slot) /* the first of duplicated attributes wins, as in HTML */
            *slot = val ? listing_html_unescape(val, val_len) : xstrdup("");
    }
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static const char *const sdist_exts[] = {
    ".tar.gz", ".tgz", ".zip", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tar",
};

/* "sha256=0123..." */
static int looks_like_hash(const char *s, size_t n)
{
    const char *eq = memchr(s, '=', n);
    if (!eq || eq == s || eq == s + n - 1)
        return 0;
    for (const char *c = s; c < eq; c++)
        if (!isalnum((unsigned char)*c))
            return 0;
    for (const char *c = eq + 1; c < s + n; c++)
        if (hexval((unsigned char)*c) < 0)
            return 0;
    return 1;
}

/* PEP 658/714 attribute values: "true" or "<algo>=<hex>"; "false" or
 * absent: no metadata file. PEP 714's name wins over PEP 658's. */
static void set_metadata(struct listing_entry *e, const char *core, const char *legacy)
{
    const char *v = core ? core : legacy;
    if (!v || strcasecmp(v, "false") == 0)
        return;
    e->has_metadata = 1;
    if (looks_like_hash(v, strlen(v)))
        e->metadata_hash = xstrdup(v);
}

/* A link to url (taken, absolute): an entry when filename (taken; NULL: the
 * URL's last segment, percent-decoded) is a wheel, counted otherwise.
 * Returns the new entry (valid until the next one is added) or NULL. */
static struct listing_entry *add_file(struct listing *l, size_t *cap, char *url, char *filename)
{
    struct uri u;
    uri_split(url, &u);
    if (!filename && u.path_len > 1 && u.path[u.path_len - 1] == '/') {
        size_t end = u.path_len - 1, seg = end;  /* a directory: cu121/ */
        while (seg > 0 && u.path[seg - 1] != '/')
            seg--;
        if (end > seg && strncmp(u.path + seg, "..", end - seg))
            strv_push_take(&l->dirs, listing_percent_decode(u.path + seg, end - seg));
    }
    if (!filename) {
        size_t seg = u.path_len;
        while (seg > 0 && u.path[seg - 1] != '/')
            seg--;
        filename = listing_percent_decode(u.path + seg, u.path_len - seg);
    }
    struct listing_entry e = { 0 };
    if (!ends_with(filename, ".whl") || wheelname_parse(filename, &e.wheel) < 0) {
        int sdist = 0;
        for (size_t i = 0; i < sizeof sdist_exts / sizeof sdist_exts[0]; i++)
            if (ends_with(filename, sdist_exts[i]) && strlen(filename) > strlen(sdist_exts[i]))
                sdist = 1;
        if (sdist)
            l->nsdists++;
        else
            l->nskipped++;
        free(filename);
        free(url);
        return NULL;
    }
    e.filename = filename;
    if (u.has_frag && looks_like_hash(u.frag, u.frag_len))
        e.hash = xstrndup(u.frag, u.frag_len);
    e.url = xstrndup(url, u.has_frag ? (size_t)(u.frag - 1 - url) : strlen(url));
    free(url);
    if (l->n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        l->v = xrealloc(l->v, *cap * sizeof *l->v);
    }
    l->v[l->n] = e;
    return &l->v[l->n++];
}

static void add_link(struct listing *l, size_t *cap, const char *base, struct anchor *a)
{
    size_t hlen = strlen(a->href);
    const char *h = a->href;
    while (hlen && isspace((unsigned char)*h))
        h++, hlen--;
    while (hlen && isspace((unsigned char)h[hlen - 1]))
        hlen--;
    char *href = xstrndup(h, hlen);
    char *url = uri_resolve(base, href);
    free(href);
    if (!url) {
        l->nskipped++;
        return;
    }
    struct listing_entry *e = add_file(l, cap, url, NULL);
    if (!e)
        return;
    if (a->requires_python) {
        e->requires_python = a->requires_python;
        a->requires_python = NULL;
    }
    if (a->has_yanked) {
        e->yanked = 1;
        e->yanked_reason = a->yanked;
        a->yanked = NULL;
    }
    set_metadata(e, a->core_metadata, a->dist_info_metadata);
}

/* Is the tag at p (after '<') named name, followed by a delimiter? */
static int tag_is(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);
    if ((size_t)(end - p) < n + 1 || strncasecmp(p, name, n) != 0)
        return 0;
    char c = p[n];
    return isspace((unsigned char)c) || c == '>' || c == '/';
}

int listing_parse(const char *html, size_t len, const char *base_url, struct listing *out)
{
    memset(out, 0, sizeof *out);
    struct uri bu;
    if (!base_url)
        return -1;
    uri_split(base_url, &bu);
    if (!bu.has_scheme)
        return -1;

    char *base = xstrdup(base_url);
    size_t cap = 0;
    const char *p = html, *end = html + len;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt)
            break;
        p = lt + 1;
        if ((size_t)(end - p) >= 3 && strncmp(p, "!--", 3) == 0) {
            const char *q = p + 3;
            while (q + 3 <= end && strncmp(q, "-->", 3) != 0)
                q++;
            p = q + 3 <= end ? q + 3 : end;
            continue;
        }
        int is_a = tag_is(p, end, "a");
        int is_base = !is_a && tag_is(p, end, "base");
        if (!is_a && !is_base)
            continue; /* other tags and text: look for the next '<' */
        struct anchor a = { 0 };
        p = parse_attrs(p + (is_a ? 1 : 4), end, &a);
        if (a.href && is_a) {
            add_link(out, &cap, base, &a);
        } else if (a.href && is_base) {
            char *nb = uri_resolve(base, a.href);
            if (nb) {
                free(base);
                base = nb;
            }
        }
        anchor_free(&a);
    }
    free(base);
    return 0;
}

void listing_free(struct listing *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        struct listing_entry *e = &l->v[i];
        free(e->filename);
        free(e->url);
        free(e->hash);
        free(e->requires_python);
        free(e->yanked_reason);
        free(e->metadata_hash);
        wheelname_free(&e->wheel);
    }
    free(l->v);
    strv_clear(&l->dirs);
    memset(l, 0, sizeof *l);
}

/* ---- PEP 691 JSON ---- */

/* One member of a hashes object as "algo=hex", or NULL when it is not one. */
static char *hash_of(const cJSON *h)
{
    if (!cJSON_IsString(h) || !h->string)
        return NULL;
    char *s = xasprintf("%s=%s", h->string, h->valuestring);
    if (!looks_like_hash(s, strlen(s))) {
        free(s);
        return NULL;
    }
    return s;
}

/* A hashes object {"sha256": "<hex>", ...} as "algo=hex" (sha256 first,
 * else the first usable one), or NULL. */
static char *json_hash(const cJSON *hashes)
{
    if (!cJSON_IsObject(hashes))
        return NULL;
    char *s = hash_of(cJSON_GetObjectItemCaseSensitive(hashes, "sha256"));
    const cJSON *h;
    cJSON_ArrayForEach(h, hashes) {
        if (s)
            break;
        s = hash_of(h);
    }
    return s;
}

/* "core-metadata" (PEP 714), else "dist-info-metadata" (PEP 658): true,
 * false or a hashes object. */
static void json_metadata(struct listing_entry *e, const cJSON *file)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(file, "core-metadata");
    if (!m || cJSON_IsNull(m))
        m = cJSON_GetObjectItemCaseSensitive(file, "dist-info-metadata");
    if (cJSON_IsTrue(m)) {
        e->has_metadata = 1;
    } else if (cJSON_IsObject(m)) {
        e->has_metadata = 1;
        e->metadata_hash = json_hash(m);
    }
}

static void json_file(struct listing *l, size_t *cap, const char *base, const cJSON *f)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "filename");
    const cJSON *href = cJSON_GetObjectItemCaseSensitive(f, "url");
    char *url = cJSON_IsString(href) ? uri_resolve(base, href->valuestring) : NULL;
    if (!url) {
        l->nskipped++;
        return;
    }
    char *filename = cJSON_IsString(name) && *name->valuestring ? xstrdup(name->valuestring)
                                                                 : NULL;
    struct listing_entry *e = add_file(l, cap, url, filename);
    if (!e)
        return;
    char *h = json_hash(cJSON_GetObjectItemCaseSensitive(f, "hashes"));
    if (h) {
        free(e->hash);
        e->hash = h;
    }
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(f, "requires-python");
    if (cJSON_IsString(rp))
        e->requires_python = xstrdup(rp->valuestring);
    const cJSON *y = cJSON_GetObjectItemCaseSensitive(f, "yanked");
    if (cJSON_IsTrue(y) || cJSON_IsString(y)) {
        e->yanked = 1;
        e->yanked_reason = xstrdup(cJSON_IsString(y) ? y->valuestring : "");
    }
    json_metadata(e, f);
}

/* meta.api-version, when given, must be 1.x. */
static int json_version_ok(const cJSON *root, char **err)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "meta");
    const cJSON *v = cJSON_IsObject(meta) ? cJSON_GetObjectItemCaseSensitive(meta, "api-version")
                                          : NULL;
    if (!v)
        return 0;
    if (!cJSON_IsString(v) || strncmp(v->valuestring, "1.", 2) != 0)
        return seterr(err, "PEP 691 api-version %s is not supported (1.x is)",
                      cJSON_IsString(v) ? v->valuestring : "(not a string)");
    return 0;
}

int listing_parse_json(const char *json, size_t len, const char *base_url, struct listing *out,
                       char **err)
{
    memset(out, 0, sizeof *out);
    struct uri bu;
    if (!base_url)
        return seterr(err, "no base URL");
    uri_split(base_url, &bu);
    if (!bu.has_scheme)
        return seterr(err, "base URL '%s' is not absolute", base_url);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return seterr(err, "not a JSON object");
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    int r = json_version_ok(root, err);
    if (r == 0 && !cJSON_IsArray(files))
        r = seterr(err, "no \"files\" array: not a PEP 691 project page");
    size_t cap = 0;
    const cJSON *f;
    if (r == 0) {
        cJSON_ArrayForEach(f, files) {
            if (cJSON_IsObject(f))
                json_file(out, &cap, base_url, f);
            else
                out->nskipped++;
        }
    }
    cJSON_Delete(root);
    return r;
}

int listing_parse_any(const char *body, size_t len, const char *base_url, struct listing *out,
                      char **err)
{
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i < len && body[i] == '{')
        return listing_parse_json(body, len, base_url, out, err);
    if (listing_parse(body, len, base_url, out) < 0)
        return seterr(err, "base URL '%s' is not absolute", base_url ? base_url : "(none)");
    return 0;
}
