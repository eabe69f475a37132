/* repodata.c — see repodata.h. */
#include "repodata.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

const char *const repodata_default_names[] = {
    "pytorch", "torchvision", "torchaudio", "pytorch-cuda", "pytorch-mutex",
    "cpuonly", "cudatoolkit", "torchtriton", NULL,
};


/* ---------------------------------------------------------------------
 * Arena: chunks that never move, plus an intern table over them.
 * ------------------------------------------------------------------- */

#define CHUNK_SIZE (64 * 1024)

struct chunk {
    struct chunk *next;
    size_t used, cap;
    /* data follows; the struct's size keeps it pointer-aligned */
};

struct repodata_arena {
    struct chunk *head;              /* the chunk being filled */
    const char **tab;                /* interned strings, open addressing */
    size_t tab_cap, tab_n;
};

static char *chunk_data(struct chunk *c)
{
    return (char *)(c + 1);
}

static struct repodata_arena *arena_new(void)
{
    return xcalloc(1, sizeof(struct repodata_arena));
}

static void arena_free(struct repodata_arena *a)
{
    if (!a)
        return;
    struct chunk *c = a->head;
    while (c) {
        struct chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a->tab);
    free(a);
}

static void *arena_alloc(struct repodata_arena *a, size_t n, size_t align)
{
    struct chunk *c = a->head;
    if (c) {
        size_t at = (c->used + align - 1) & ~(align - 1);
        if (at <= c->cap && n <= c->cap - at) {
            c->used = at + n;
            return chunk_data(c) + at;
        }
    }
    if (n > CHUNK_SIZE / 4) {
        /* a big block gets its own chunk, behind the current one */
        struct chunk *big = xmalloc(sizeof *big + n);
        big->used = big->cap = n;
        if (c) {
            big->next = c->next;
            c->next = big;
        } else {
            big->next = NULL;
            a->head = big;
        }
        return chunk_data(big);
    }
    struct chunk *nc = xmalloc(sizeof *nc + CHUNK_SIZE);
    nc->next = c;
    nc->cap = CHUNK_SIZE;
    nc->used = n;
    a->head = nc;
    return chunk_data(nc);
}

static uint64_t hash_str(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;          /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void tab_insert(const char **tab, size_t cap, const char *s)
{
    size_t i = hash_str(s, strlen(s)) & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = s;
}

/* The arena's copy of s[0..n), shared with any equal string before it. */
static const char *intern_n(struct repodata_arena *a, const char *s, size_t n)
{
    if (a->tab_n * 10 >= a->tab_cap * 7) {
        size_t cap = a->tab_cap ? a->tab_cap * 2 : 1024;
        const char **tab = xcalloc(cap, sizeof *tab);
        for (size_t i = 0; i < a->tab_cap; i++)
            if (a->tab[i])
                tab_insert(tab, cap, a->tab[i]);
        free(a->tab);
        a->tab = tab;
        a->tab_cap = cap;
    }
    size_t i = hash_str(s, n) & (a->tab_cap - 1);
    while (a->tab[i]) {
        if (strncmp(a->tab[i], s, n) == 0 && a->tab[i][n] == '\0')
            return a->tab[i];
        i = (i + 1) & (a->tab_cap - 1);
    }
    char *copy = arena_alloc(a, n + 1, 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    a->tab[i] = copy;
    a->tab_n++;
    return copy;
}

static const char *intern(struct repodata_arena *a, const char *s)
{
    return s ? intern_n(a, s, strlen(s)) : NULL;
}

static struct repodata_record *index_push(struct repodata_index *idx)
{
    if (idx->n == idx->cap) {
        idx->cap = idx->cap ? idx->cap * 2 : 256;
        idx->recs = xrealloc(idx->recs, idx->cap * sizeof *idx->recs);
    }
    struct repodata_record *r = &idx->recs[idx->n++];
    memset(r, 0, sizeof *r);
    return r;
}

void repodata_index_free(struct repodata_index *idx)
{
    if (!idx)
        return;
    free(idx->recs);
    arena_free(idx->arena);
    memset(idx, 0, sizeof *idx);
}

/* ---------------------------------------------------------------------
 * JSON
 * ------------------------------------------------------------------- */

static int name_wanted(const char *name, const char *const *names)
{
    if (!names)
        return 1;
    for (; *names; names++)
        if (strcmp(*names, name) == 0)
            return 1;
    return 0;
}

/* A list of strings into the arena; -1 if it is not one. */
static int take_list(struct repodata_arena *a, const cJSON *j, const char *const **out,
                     size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!j || cJSON_IsNull(j))
        return 0;
    if (!cJSON_IsArray(j))
        return -1;
    size_t count = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (!cJSON_IsString(e) || !e->valuestring)
            return -1;
        count++;
    }
    if (!count)
        return 0;
    const char **v = arena_alloc(a, count * sizeof *v, sizeof(void *));
    size_t i = 0;
    cJSON_ArrayForEach(e, j)
        v[i++] = intern(a, e->valuestring);
    *out = v;
    *n = count;
    return 0;
}

/* track_features / features: a string, or a list joined with ' '. */
static int take_features(struct repodata_arena *a, const cJSON *j, const char **out)
{
    *out = NULL;
    if (!j || cJSON_IsNull(j))
        return 0;
    if (cJSON_IsString(j) && j->valuestring) {
        if (*j->valuestring)
            *out = intern(a, j->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(j))
        return -1;
    size_t total = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, j) {
        if (!cJSON_IsString(e) || !e->valuestring)
            return -1;
        total += strlen(e->valuestring) + 1;
    }
    if (!total)
        return 0;
    char *buf = xmalloc(total);
    size_t k = 0;
    cJSON_ArrayForEach(e, j) {
        size_t l = strlen(e->valuestring);
        if (k)
            buf[k++] = ' ';
        memcpy(buf + k, e->valuestring, l);
        k += l;
    }
    *out = intern_n(a, buf, k);
    free(buf);
    return 0;
}

static int take_number(const cJSON *j, double *out)
{
    *out = 0;
    if (!j || cJSON_IsNull(j))
        return 0;
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble))
        return -1;
    *out = j->valuedouble;
    return 0;
}

/* 1: added; 0: not a wanted name; -1: malformed (*why says which field). */
static int take_record(struct repodata_index *idx, const char *fn, const cJSON *r,
                       const char *const *names, const char **why)
{
    if (!cJSON_IsObject(r)) {
        *why = "record is not an object";
        return -1;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "name");
    if (!cJSON_IsString(name) || !name->valuestring || !*name->valuestring) {
        *why = "no string 'name'";
        return -1;
    }
    if (!name_wanted(name->valuestring, names))
        return 0;
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(r, "version");
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(r, "build");
    const cJSON *bn = cJSON_GetObjectItemCaseSensitive(r, "build_number");
    const cJSON *subdir = cJSON_GetObjectItemCaseSensitive(r, "subdir");
    if (!cJSON_IsString(version) || !version->valuestring || !*version->valuestring) {
        *why = "no string 'version'";
        return -1;
    }
    if (!cJSON_IsString(build) || !build->valuestring) {
        *why = "no string 'build'";
        return -1;
    }
    if (!cJSON_IsNumber(bn) || !(bn->valuedouble >= 0) || bn->valuedouble > INT_MAX ||
        bn->valuedouble != floor(bn->valuedouble)) {
        *why = "no integer 'build_number'";
        return -1;
    }
    if (subdir && !cJSON_IsNull(subdir) && !(cJSON_IsString(subdir) && subdir->valuestring)) {
        *why = "'subdir' is not a string";
        return -1;
    }
    double ts, size;
    if (take_number(cJSON_GetObjectItemCaseSensitive(r, "timestamp"), &ts) < 0) {
        *why = "'timestamp' is not a number";
        return -1;
    }
    if (take_number(cJSON_GetObjectItemCaseSensitive(r, "size"), &size) < 0) {
        *why = "'size' is not a number";
        return -1;
    }

    struct repodata_arena *a = idx->arena;
    const char *const *deps, *const *cons;
    size_t ndeps, ncons;
    const char *tf, *feat;
    if (take_list(a, cJSON_GetObjectItemCaseSensitive(r, "depends"), &deps, &ndeps) < 0) {
        *why = "'depends' is not a list of strings";
        return -1;
    }
    if (take_list(a, cJSON_GetObjectItemCaseSensitive(r, "constrains"), &cons, &ncons) < 0) {
        *why = "'constrains' is not a list of strings";
        return -1;
    }
    if (take_features(a, cJSON_GetObjectItemCaseSensitive(r, "track_features"), &tf) < 0) {
        *why = "'track_features' is not a string";
        return -1;
    }
    if (take_features(a, cJSON_GetObjectItemCaseSensitive(r, "features"), &feat) < 0) {
        *why = "'features' is not a string";
        return -1;
    }

    struct repodata_record *rec = index_push(idx);
    rec->filename = intern(a, fn);
    rec->name = intern(a, name->valuestring);
    rec->version = intern(a, version->valuestring);
    rec->build = intern(a, build->valuestring);
    rec->build_number = (int)bn->valuedouble;
    rec->depends = deps;
    rec->n_depends = ndeps;
    rec->constrains = cons;
    rec->n_constrains = ncons;
    rec->track_features = tf;
    rec->features = feat;
    rec->subdir = cJSON_IsString(subdir) ? intern(a, subdir->valuestring) : idx->subdir;
    rec->timestamp = ts;
    rec->size = size;
    return 1;
}

/* The tree's memory. cJSON allocates one block per node and one per object
 * key: about 80,000 blocks for the real linux-64 repodata, most of them far
 * smaller than malloc's minimum chunk. Parsing into a bump arena packs them
 * (the engine's peak memory is this tree), and the tree is dropped in one
 * go instead of node by node. cJSON's hooks are process-wide: they are set
 * only for the parse. */
struct tree_arena {
    struct tree_chunk *chunks;
};
struct tree_chunk {
    struct tree_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};
static struct tree_arena *tree_arena_now;

static void *tree_alloc(size_t n)
{
    struct tree_arena *a = tree_arena_now;
    n = (n + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1);
    struct tree_chunk *c = a->chunks;
    if (!c || c->cap - c->used < n) {
        /* a record's tree is a few KB; the whole-document fallback just
         * takes more chunks */
        size_t cap = n > ((size_t)64 << 10) ? n : (size_t)64 << 10;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;  /* cJSON reports the parse as failed */
        c->next = a->chunks;
        c->used = 0;
        c->cap = cap;
        a->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void tree_free(void *p)
{
    (void)p;  /* the arena goes at once */
}

/* Keep the first chunk for the next tree; free the rest. */
static void tree_arena_reset(struct tree_arena *a)
{
    struct tree_chunk *keep = NULL;
    for (struct tree_chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        if (!next) {
            keep = c;  /* the oldest: a record's tree fits it */
            keep->used = 0;
        } else {
            free(c);
        }
    }
    a->chunks = keep;
}

static void tree_arena_drop(struct tree_arena *a)
{
    for (struct tree_chunk *c = a->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->chunks = NULL;
}

/* The whole document as one cJSON tree: the fallback of repodata_parse, and
 * where its precise error messages come from. */
int repodata_parse_tree(const char *json, size_t len, const char *const *names,
                       struct repodata_index *out, char **err)
{
    memset(out, 0, sizeof *out);
    const char *end = NULL;
    struct tree_arena tree = { NULL };
    cJSON_Hooks hooks = { tree_alloc, tree_free };
    tree_arena_now = &tree;
    cJSON_InitHooks(&hooks);
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    cJSON_InitHooks(NULL);
    tree_arena_now = NULL;
    if (!root) {
        tree_arena_drop(&tree);
        size_t at = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        return seterr(err, "repodata: invalid JSON near byte %zu of %zu", at, len);
    }
    int rc = -1;
    while (end && end < json + len && strchr(" \t\r\n", *end))
        end++;
    if (end && end < json + len) {
        seterr(err, "repodata: trailing data after the JSON at byte %zu",
                (size_t)(end - json));
        goto out;
    }
    if (!cJSON_IsObject(root)) {
        seterr(err, "repodata: top level is not an object");
        goto out;
    }
    const cJSON *pkgs = cJSON_GetObjectItemCaseSensitive(root, "packages");
    const cJSON *conda = cJSON_GetObjectItemCaseSensitive(root, "packages.conda");
    if ((pkgs && !cJSON_IsObject(pkgs)) || (conda && !cJSON_IsObject(conda))) {
        seterr(err, "repodata: 'packages' is not an object");
        goto out;
    }
    if (!pkgs && !conda) {
        seterr(err, "repodata: no 'packages' (not a repodata.json?)");
        goto out;
    }

    out->arena = arena_new();
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(root, "info");
    const cJSON *isub = cJSON_IsObject(info) ? cJSON_GetObjectItemCaseSensitive(info, "subdir")
                                             : NULL;
    if (cJSON_IsString(isub) && isub->valuestring && *isub->valuestring)
        out->subdir = intern(out->arena, isub->valuestring);

    const char *first_why = NULL, *first_fn = NULL;
    const cJSON *lists[] = { pkgs, conda };
    for (size_t l = 0; l < 2; l++) {
        const cJSON *r;
        if (!lists[l])
            continue;
        cJSON_ArrayForEach(r, lists[l]) {
            const char *why = NULL;
            const char *fn = r->string ? r->string : "";
            if (take_record(out, fn, r, names, &why) < 0) {
                if (!out->skipped++) {
                    first_why = why;
                    first_fn = fn;
                }
            }
        }
    }
    if (out->skipped)
        warnf("repodata%s%s: skipped %zu malformed record%s (first: %s: %s)",
              out->subdir ? " " : "", out->subdir ? out->subdir : "", out->skipped,
              out->skipped == 1 ? "" : "s", first_fn, first_why);
    rc = 0;
out:
    tree_arena_drop(&tree);  /* the whole cJSON tree */
    return rc;
}

/* ---- one record at a time ------------------------------------------------
 * The real linux-64 repodata is 1.7 MB of text and about 80,000 cJSON nodes
 * as one tree: most of the engine's peak memory. Instead, one pass over the
 * text finds each record of "packages" / "packages.conda" and hands just that
 * record to cJSON_ParseWithLengthOpts; its fields are copied out (take_record,
 * as in repodata_parse_tree) and its small tree dropped before the next. The scanner
 * only checks JSON's structure; anything it does not expect sends the whole
 * document to repodata_parse_tree, which says precisely what is wrong. */

#define SCAN_DEPTH 64

static const char *scan_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* P at '"': the end of the string, or NULL. *escaped says it had escapes. */
static const char *scan_string(const char *p, const char *e, int *escaped)
{
    *escaped = 0;
    for (p++; p < e; p++) {
        if (*p == '"')
            return p + 1;
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            *escaped = 1;
            if (++p >= e)
                return NULL;
        }
    }
    return NULL;
}

static const char *scan_value(const char *p, const char *e, int depth)
{
    int esc;
    p = scan_ws(p, e);
    if (p >= e || depth > SCAN_DEPTH)
        return NULL;
    if (*p == '"')
        return scan_string(p, e, &esc);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = scan_ws(p + 1, e);
        if (p < e && *p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                if (p >= e || *p != '"' || !(p = scan_string(p, e, &esc)))
                    return NULL;
                p = scan_ws(p, e);
                if (p >= e || *p++ != ':')
                    return NULL;
            }
            if (!(p = scan_value(p, e, depth + 1)))
                return NULL;
            p = scan_ws(p, e);
            if (p < e && *p == ',') {
                p = scan_ws(p + 1, e);
                continue;
            }
            return p < e && *p == close ? p + 1 : NULL;
        }
    }
    /* number, true, false, null: cJSON checks them when it parses a record */
    const char *start = p;
    while (p < e && (isalnum((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.'))
        p++;
    return p > start ? p : NULL;
}

/* Parse one record's text with cJSON and take it. -1: scanning went wrong. */
static int stream_record(struct repodata_index *out, struct tree_arena *tree, const char *fn,
                         size_t fnlen, const char *rec, size_t reclen,
                         const char *const *names, const char **first_fn, const char **first_why)
{
    char fnbuf[512];
    if (fnlen >= sizeof fnbuf)
        return -1;
    memcpy(fnbuf, fn, fnlen);
    fnbuf[fnlen] = '\0';
    cJSON_Hooks hooks = { tree_alloc, tree_free };
    tree_arena_now = tree;
    cJSON_InitHooks(&hooks);
    const char *end = NULL;
    cJSON *r = cJSON_ParseWithLengthOpts(rec, reclen, &end, 0);
    cJSON_InitHooks(NULL);
    tree_arena_now = NULL;
    const char *why = NULL;
    if (!r || take_record(out, fnbuf, r, names, &why) < 0) {
        if (!r)
            why = "record is not valid JSON";
        if (!out->skipped++) {
            /* the message outlives this buffer: keep it in the index */
            *first_fn = intern(out->arena, fnbuf);
            *first_why = why;
        }
    }
    tree_arena_reset(tree);
    return 0;
}

/* 0 and a filled index, or 1: use repodata_parse_tree. */
static int parse_streaming(const char *json, size_t len, const char *const *names,
                           struct repodata_index *out)
{
    const char *p = json, *e = json + len, *first_fn = NULL, *first_why = NULL;
    struct tree_arena tree = { NULL };
    int esc, packages = 0;
    memset(out, 0, sizeof *out);
    out->arena = arena_new();
    p = scan_ws(p, e);
    if (p >= e || *p++ != '{')
        goto whole;
    for (p = scan_ws(p, e); p < e && *p != '}';) {
        const char *k = p;
        if (*p != '"' || !(p = scan_string(p, e, &esc)) || esc)
            goto whole;
        size_t klen = (size_t)(p - k) - 2;
        p = scan_ws(p, e);
        if (p >= e || *p++ != ':')
            goto whole;
        p = scan_ws(p, e);
        int is_pkgs = (klen == 8 && !memcmp(k + 1, "packages", 8)) ||
                      (klen == 14 && !memcmp(k + 1, "packages.conda", 14));
        if (is_pkgs) {
            if (p >= e || *p != '{')
                goto whole;
            packages = 1;
            for (p = scan_ws(p + 1, e); p < e && *p != '}';) {
                const char *fn = p;
                if (*p != '"' || !(p = scan_string(p, e, &esc)) || esc)
                    goto whole;
                size_t fnlen = (size_t)(p - fn) - 2;
                p = scan_ws(p, e);
                if (p >= e || *p++ != ':')
                    goto whole;
                const char *rec = scan_ws(p, e);
                if (!(p = scan_value(rec, e, 1)))
                    goto whole;
                if (stream_record(out, &tree, fn + 1, fnlen, rec, (size_t)(p - rec), names,
                                  &first_fn, &first_why))
                    goto whole;
                p = scan_ws(p, e);
                if (p < e && *p == ',')
                    p = scan_ws(p + 1, e);
                else if (p >= e || *p != '}')
                    goto whole;
            }
            if (p >= e)
                goto whole;
            p++;
        } else {
            const char *v = p;
            if (!(p = scan_value(v, e, 1)))
                goto whole;
            if (klen == 4 && !memcmp(k + 1, "info", 4)) {
                cJSON *info = cJSON_ParseWithLengthOpts(v, (size_t)(p - v), NULL, 0);
                const cJSON *sd = cJSON_GetObjectItemCaseSensitive(info, "subdir");
                if (cJSON_IsString(sd) && sd->valuestring && *sd->valuestring)
                    out->subdir = intern(out->arena, sd->valuestring);
                cJSON_Delete(info);
            }
        }
        p = scan_ws(p, e);
        if (p < e && *p == ',')
            p = scan_ws(p + 1, e);
        else if (p >= e || *p != '}')
            goto whole;
    }
    if (p >= e || !packages || scan_ws(p + 1, e) != e)
        goto whole;
    tree_arena_drop(&tree);
    /* records without their own subdir take info's, wherever info was */
    for (size_t i = 0; i < out->n; i++)
        if (!out->recs[i].subdir)
            out->recs[i].subdir = out->subdir;
    if (out->skipped)
        warnf("repodata%s%s: skipped %zu malformed record%s (first: %s: %s)",
              out->subdir ? " " : "", out->subdir ? out->subdir : "", out->skipped,
              out->skipped == 1 ? "" : "s", first_fn, first_why);
    return 0;
whole:
    tree_arena_drop(&tree);
    repodata_index_free(out);
    return 1;
}

int repodata_parse(const char *json, size_t len, const char *const *names,
                   struct repodata_index *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (!json)
        return seterr(err, "repodata: no data");
    if (parse_streaming(json, len, names, out) == 0)
        return 0;
    return repodata_parse_tree(json, len, names, out, err);
}

int repodata_load_file(const char *path, const char *const *names,
                       struct repodata_index *out, char **err)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return seterr(err, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 20, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        if (len == cap) {
            if (cap >= ((size_t)1 << 30)) {
                fclose(f);
                free(buf);
                return seterr(err, "%s: larger than 1 GiB, not a repodata.json", path);
            }
            cap *= 2;
            buf = xrealloc(buf, cap);
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return seterr(err, "cannot read %s", path);
    }
    int rc = repodata_parse(buf, len, names, out, err);
    free(buf);
    return rc;
}

/* ---------------------------------------------------------------------
 * Compact form
 * ------------------------------------------------------------------- */

/* Layout, all little-endian:
 *   header (32 bytes): magic[8] "TSRIDX1\n" | u32 format version | u32 CRC-32
 *     of bytes [16, end) | u64 payload length (= blob length - 32) |
 *     u32 record count | u32 zero
 *   payload: u32 strtab_len | strtab (NUL-terminated strings, last byte NUL)
 *     | u32 skipped | u32 subdir | u32 nlist | nlist x u32 (depends and
 *     constrains of all records, as string offsets) | records
 *   record: 12 x u32 (see RF_*; strings are strtab offsets, NONE = absent)
 *     | f64 timestamp | f64 size */
static const char magic[8] = { 'T', 'S', 'R', 'I', 'D', 'X', '1', '\n' };
#define FORMAT_VERSION 1u
#define HEADER_SIZE 32u
/* A record: 12 u32 then 2 f64, little-endian. */
enum {
    RF_FILENAME, RF_NAME, RF_VERSION, RF_BUILD, RF_TRACK_FEATURES, RF_FEATURES, RF_SUBDIR,
    RF_BUILD_NUMBER, RF_DEP_FIRST, RF_DEP_N, RF_CON_FIRST, RF_CON_N, RF_NU32
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
            size_t j = hash_str(t->keys[i], strlen(t->keys[i])) & (cap - 1);
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
    size_t i = hash_str(s, l) & (t->cap - 1);
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

int repodata_index_deserialize(const char *buf, size_t len, struct repodata_index *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *p = (const unsigned char *)buf;
    if (!buf || len < sizeof magic || memcmp(p, magic, sizeof magic) != 0)
        return len < sizeof magic && buf && memcmp(p, magic, len) == 0 ? REPODATA_E_TRUNCATED
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
    uint32_t nrec = get_u32_at(p + 24);
    if (get_u32_at(p + 28) != 0)
        return REPODATA_E_CORRUPT;

    struct rbuf r = { p + HEADER_SIZE, len - HEADER_SIZE };
    uint32_t stlen, skipped, subdir, nlist;
    if (rd_u32(&r, &stlen) < 0 || stlen > r.left)
        return REPODATA_E_CORRUPT;
    const char *st = (const char *)r.p;
    if (stlen && st[stlen - 1] != '\0')
        return REPODATA_E_CORRUPT;
    r.p += stlen;
    r.left -= stlen;
    if (rd_u32(&r, &skipped) < 0 || rd_u32(&r, &subdir) < 0 || rd_u32(&r, &nlist) < 0)
        return REPODATA_E_CORRUPT;
    if (nlist > r.left / 4)
        return REPODATA_E_CORRUPT;
    const unsigned char *listp = r.p;
    r.p += (size_t)nlist * 4;
    r.left -= (size_t)nlist * 4;
    if (r.left != (size_t)nrec * RECORD_SIZE)
        return REPODATA_E_CORRUPT;
#define STR_OK(o) ((o) == NONE || (o) < stlen)
    if (!STR_OK(subdir))
        return REPODATA_E_CORRUPT;
    for (uint32_t i = 0; i < nlist; i++) {
        uint32_t o = get_u32_at(listp + 4 * (size_t)i);
        if (o == NONE || o >= stlen)
            return REPODATA_E_CORRUPT;
    }

    /* One block for the strings and the list pointers. */
    struct repodata_arena *a = arena_new();
    char *strings = arena_alloc(a, stlen ? stlen : 1, 1);
    if (stlen)
        memcpy(strings, st, stlen);
    const char **list = nlist ? arena_alloc(a, (size_t)nlist * sizeof *list, sizeof(void *))
                              : NULL;
    for (uint32_t i = 0; i < nlist; i++)
        list[i] = strings + get_u32_at(listp + 4 * (size_t)i);

    out->arena = a;
    out->subdir = subdir == NONE ? NULL : strings + subdir;
    out->skipped = skipped;
    out->recs = nrec ? xmalloc((size_t)nrec * sizeof *out->recs) : NULL;
    out->cap = nrec;
    for (uint32_t i = 0; i < nrec; i++) {
        const unsigned char *q = r.p + (size_t)i * RECORD_SIZE;
        uint32_t f[RF_NU32];
        for (int k = 0; k < RF_NU32; k++)
            f[k] = get_u32_at(q + 4 * k);
        int bad = f[RF_FILENAME] >= stlen || f[RF_NAME] >= stlen || f[RF_VERSION] >= stlen ||
                  f[RF_BUILD] >= stlen || !STR_OK(f[RF_TRACK_FEATURES]) ||
                  !STR_OK(f[RF_FEATURES]) || !STR_OK(f[RF_SUBDIR]) ||
                  f[RF_BUILD_NUMBER] > INT_MAX ||
                  f[RF_DEP_N] > nlist || f[RF_DEP_FIRST] > nlist - f[RF_DEP_N] ||
                  f[RF_CON_N] > nlist || f[RF_CON_FIRST] > nlist - f[RF_CON_N];
        if (bad) {
            repodata_index_free(out);
            return REPODATA_E_CORRUPT;
        }
        struct repodata_record *rec = &out->recs[out->n++];
        rec->filename = strings + f[RF_FILENAME];
        rec->name = strings + f[RF_NAME];
        rec->version = strings + f[RF_VERSION];
        rec->build = strings + f[RF_BUILD];
        rec->track_features = f[RF_TRACK_FEATURES] == NONE ? NULL : strings + f[RF_TRACK_FEATURES];
        rec->features = f[RF_FEATURES] == NONE ? NULL : strings + f[RF_FEATURES];
        rec->subdir = f[RF_SUBDIR] == NONE ? NULL : strings + f[RF_SUBDIR];
        rec->build_number = (int)f[RF_BUILD_NUMBER];
        rec->depends = f[RF_DEP_N] ? list + f[RF_DEP_FIRST] : NULL;
        rec->n_depends = f[RF_DEP_N];
        rec->constrains = f[RF_CON_N] ? list + f[RF_CON_FIRST] : NULL;
        rec->n_constrains = f[RF_CON_N];
        rec->timestamp = f64_at(q + 4 * RF_NU32);
        rec->size = f64_at(q + 4 * RF_NU32 + 8);
    }
#undef STR_OK
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

/* ---------------------------------------------------------------------
 * Merge and lookup
 * ------------------------------------------------------------------- */

static uint64_t rec_key_hash(const struct repodata_record *r)
{
    uint64_t h = hash_str(r->filename, strlen(r->filename));
    if (r->subdir)
        h ^= hash_str(r->subdir, strlen(r->subdir)) * 31;
    return h;
}

static int same_record(const struct repodata_record *a, const struct repodata_record *b)
{
    if (strcmp(a->filename, b->filename) != 0)
        return 0;
    if (!a->subdir || !b->subdir)
        return a->subdir == b->subdir;
    return strcmp(a->subdir, b->subdir) == 0;
}

static const char *const *copy_list(struct repodata_arena *a, const char *const *src, size_t n)
{
    if (!n)
        return NULL;
    const char **v = arena_alloc(a, n * sizeof *v, sizeof(void *));
    for (size_t i = 0; i < n; i++)
        v[i] = intern(a, src[i]);
    return v;
}

size_t repodata_index_merge(struct repodata_index *dst, const struct repodata_index *src)
{
    if (!dst || !src || !src->n)
        return 0;
    if (!dst->arena)
        dst->arena = arena_new();
    struct repodata_arena *a = dst->arena;
    if (!dst->subdir && src->subdir && !dst->n)
        dst->subdir = intern(a, src->subdir);

    /* positions of dst's records, keyed by (subdir, filename) */
    size_t cap = 64;
    while (cap < (dst->n + src->n) * 2)
        cap *= 2;
    size_t *slot = xmalloc(cap * sizeof *slot);
    for (size_t i = 0; i < cap; i++)
        slot[i] = SIZE_MAX;
    for (size_t i = 0; i < dst->n; i++) {
        size_t j = rec_key_hash(&dst->recs[i]) & (cap - 1);
        while (slot[j] != SIZE_MAX)
            j = (j + 1) & (cap - 1);
        slot[j] = i;
    }
    size_t added = 0;
    for (size_t i = 0; i < src->n; i++) {
        const struct repodata_record *s = &src->recs[i];
        size_t j = rec_key_hash(s) & (cap - 1);
        int dup = 0;
        while (slot[j] != SIZE_MAX) {
            if (same_record(&dst->recs[slot[j]], s)) {
                dup = 1;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
        if (dup)
            continue;
        struct repodata_record *r = index_push(dst);
        r->filename = intern(a, s->filename);
        r->name = intern(a, s->name);
        r->version = intern(a, s->version);
        r->build = intern(a, s->build);
        r->build_number = s->build_number;
        r->depends = copy_list(a, s->depends, s->n_depends);
        r->n_depends = s->n_depends;
        r->constrains = copy_list(a, s->constrains, s->n_constrains);
        r->n_constrains = s->n_constrains;
        r->track_features = intern(a, s->track_features);
        r->features = intern(a, s->features);
        r->subdir = intern(a, s->subdir);
        r->timestamp = s->timestamp;
        r->size = s->size;
        slot[j] = dst->n - 1;
        added++;
    }
    dst->skipped += src->skipped;
    free(slot);
    return added;
}

size_t repodata_find(const struct repodata_index *idx, const char *name,
                     const struct repodata_record **out, size_t max)
{
    size_t n = 0;
    if (!idx || !name)
        return 0;
    for (size_t i = 0; i < idx->n; i++)
        if (strcmp(idx->recs[i].name, name) == 0) {
            if (n < max)
                out[n] = &idx->recs[i];
            n++;
        }
    return n;
}
