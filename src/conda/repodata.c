/* repodata.c — see repodata.h: the index's arena and intern table, one
 * record from its cJSON object (the rules every reader shares), the
 * whole-tree parse, and merging and lookup. The streaming reader is
 * repodata_walk.c (the document) and repodata_stream.c (files, compressed
 * bodies); the compact form is repodata_blob.c. */
#include "repodata_int.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
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

struct repodata_arena *rd_arena_new(void)
{
    return xcalloc(1, sizeof(struct repodata_arena));
}

void rd_arena_free(struct repodata_arena *a)
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

void *rd_arena_alloc(struct repodata_arena *a, size_t n, size_t align)
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

uint64_t rd_hash_str(const char *s, size_t n)
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
    size_t i = rd_hash_str(s, strlen(s)) & (cap - 1);
    while (tab[i])
        i = (i + 1) & (cap - 1);
    tab[i] = s;
}

/* The arena's copy of s[0..n), shared with any equal string before it. */
const char *rd_intern_n(struct repodata_arena *a, const char *s, size_t n)
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
    size_t i = rd_hash_str(s, n) & (a->tab_cap - 1);
    while (a->tab[i]) {
        if (strncmp(a->tab[i], s, n) == 0 && a->tab[i][n] == '\0')
            return a->tab[i];
        i = (i + 1) & (a->tab_cap - 1);
    }
    char *copy = rd_arena_alloc(a, n + 1, 1);
    memcpy(copy, s, n);
    copy[n] = '\0';
    a->tab[i] = copy;
    a->tab_n++;
    return copy;
}

const char *rd_intern(struct repodata_arena *a, const char *s)
{
    return s ? rd_intern_n(a, s, strlen(s)) : NULL;
}

struct repodata_record *rd_index_push(struct repodata_index *idx)
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
    rd_arena_free(idx->arena);
    memset(idx, 0, sizeof *idx);
}

/* ---------------------------------------------------------------------
 * Records
 * ------------------------------------------------------------------- */

int rd_name_wanted(const char *name, size_t len, const char *const *names)
{
    if (!names)
        return 1;
    for (; *names; names++)
        if (strncmp(*names, name, len) == 0 && (*names)[len] == '\0')
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
    const char **v = rd_arena_alloc(a, count * sizeof *v, sizeof(void *));
    size_t i = 0;
    cJSON_ArrayForEach(e, j)
        v[i++] = rd_intern(a, e->valuestring);
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
            *out = rd_intern(a, j->valuestring);
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
    *out = rd_intern_n(a, buf, k);
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


/* The required fields: name, version, build, build_number. */
static int check_required(const cJSON *r, const char **why)
{
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(r, "version");
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(r, "build");
    const cJSON *bn = cJSON_GetObjectItemCaseSensitive(r, "build_number");
    const cJSON *subdir = cJSON_GetObjectItemCaseSensitive(r, "subdir");
    if (!cJSON_IsString(version) || !version->valuestring || !*version->valuestring)
        *why = "no string 'version'";
    else if (!cJSON_IsString(build) || !build->valuestring)
        *why = "no string 'build'";
    else if (!cJSON_IsNumber(bn) || !(bn->valuedouble >= 0) || bn->valuedouble > INT_MAX ||
             bn->valuedouble != floor(bn->valuedouble))
        *why = "no integer 'build_number'";
    else if (subdir && !cJSON_IsNull(subdir) && !(cJSON_IsString(subdir) && subdir->valuestring))
        *why = "'subdir' is not a string";
    else
        return 0;
    return -1;
}

/* The optional fields, into the arena. */
struct optional {
    double ts, size;
    const char *const *deps, *const *cons;
    size_t ndeps, ncons;
    const char *tf, *feat;
};

/* md5 / sha256: LEN hex digits, interned in lower case; anything else is
 * left out (NULL). */
static const char *take_digest(struct repodata_arena *a, const cJSON *j, size_t len)
{
    char hex[65];
    const char *s = cJSON_IsString(j) ? j->valuestring : NULL;
    if (!s || strlen(s) != len || len >= sizeof hex)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return NULL;
        hex[i] = c;
    }
    return rd_intern_n(a, hex, len);
}

static int take_optional(struct repodata_arena *a, const cJSON *r, struct optional *o,
                         const char **why)
{
    if (take_number(cJSON_GetObjectItemCaseSensitive(r, "timestamp"), &o->ts) < 0)
        *why = "'timestamp' is not a number";
    else if (take_number(cJSON_GetObjectItemCaseSensitive(r, "size"), &o->size) < 0)
        *why = "'size' is not a number";
    else if (take_list(a, cJSON_GetObjectItemCaseSensitive(r, "depends"), &o->deps,
                       &o->ndeps) < 0)
        *why = "'depends' is not a list of strings";
    else if (take_list(a, cJSON_GetObjectItemCaseSensitive(r, "constrains"), &o->cons,
                       &o->ncons) < 0)
        *why = "'constrains' is not a list of strings";
    else if (take_features(a, cJSON_GetObjectItemCaseSensitive(r, "track_features"),
                           &o->tf) < 0)
        *why = "'track_features' is not a string";
    else if (take_features(a, cJSON_GetObjectItemCaseSensitive(r, "features"), &o->feat) < 0)
        *why = "'features' is not a string";
    else
        return 0;
    return -1;
}

static int token_ok(const char *s, size_t max, const char *extra)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= max || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                          (c >= 'A' && c <= 'Z') || strchr(extra, c)))
            return 0;
    }
    return 1;
}

int repodata_valid_version(const char *s)
{
    return s && *s && *s != '.' && *s != '+' && *s != '_' && *s != '!' &&
           token_ok(s, REPODATA_VERSION_MAX, "._+!");
}

int repodata_valid_build(const char *s)
{
    return s && token_ok(s, REPODATA_BUILD_MAX, "._+");
}

int rd_take_record(struct repodata_index *idx, const char *fn, const cJSON *r,
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
    if (!rd_name_wanted(name->valuestring, strlen(name->valuestring), names))
        return 0;
    struct repodata_arena *a = idx->arena;
    struct optional o;
    if (check_required(r, why) < 0 || take_optional(a, r, &o, why) < 0)
        return -1;
    if (!repodata_valid_version(cJSON_GetObjectItemCaseSensitive(r, "version")->valuestring)) {
        *why = "'version' has characters no conda version has";
        return -1;
    }
    if (!repodata_valid_build(cJSON_GetObjectItemCaseSensitive(r, "build")->valuestring)) {
        *why = "'build' has characters no conda build string has";
        return -1;
    }

    const cJSON *subdir = cJSON_GetObjectItemCaseSensitive(r, "subdir");
    struct repodata_record *rec = rd_index_push(idx);
    rec->filename = rd_intern(a, fn);
    rec->name = rd_intern(a, name->valuestring);
    rec->version = rd_intern(a, cJSON_GetObjectItemCaseSensitive(r, "version")->valuestring);
    rec->build = rd_intern(a, cJSON_GetObjectItemCaseSensitive(r, "build")->valuestring);
    rec->build_number = (int)cJSON_GetObjectItemCaseSensitive(r, "build_number")->valuedouble;
    rec->depends = o.deps;
    rec->n_depends = o.ndeps;
    rec->constrains = o.cons;
    rec->n_constrains = o.ncons;
    rec->track_features = o.tf;
    rec->features = o.feat;
    rec->subdir = cJSON_IsString(subdir) ? rd_intern(a, subdir->valuestring) : idx->subdir;
    rec->timestamp = o.ts;
    rec->size = o.size;
    rec->md5 = take_digest(a, cJSON_GetObjectItemCaseSensitive(r, "md5"), 32);
    rec->sha256 = take_digest(a, cJSON_GetObjectItemCaseSensitive(r, "sha256"), 64);
    return 1;
}

void rd_note_skip(struct repodata_index *idx, struct rd_skips *sk, const char *fn,
                  const char *why)
{
    if (!idx->skipped++) {
        /* the message outlives the caller's buffers: keep it in the index */
        sk->first_fn = rd_intern(idx->arena, fn);
        sk->first_why = why;
    }
}

void rd_finish(struct repodata_index *idx, const struct rd_skips *sk)
{
    for (size_t i = 0; i < idx->n; i++)
        if (!idx->recs[i].subdir)
            idx->recs[i].subdir = idx->subdir;
    if (idx->skipped)
        verbosef("repodata%s%s: skipped %zu malformed record%s (first: %s: %s)",
              idx->subdir ? " " : "", idx->subdir ? idx->subdir : "", idx->skipped,
              idx->skipped == 1 ? "" : "s", sk->first_fn ? sk->first_fn : "?",
              sk->first_why ? sk->first_why : "?");
}

/* ---------------------------------------------------------------------
 * cJSON trees in a bump arena
 *
 * cJSON allocates one block per node and one per object key: about 80,000
 * blocks for the real linux-64 repodata, most of them far smaller than
 * malloc's minimum chunk. Parsing into a bump arena packs them, and a tree
 * is dropped in one go instead of node by node. cJSON's hooks are
 * process-wide and parses run on several threads at once (fetch checks on
 * libuv's pool), so the hooks are installed once and send an allocation to
 * the arena of the calling thread's parse (tree_now, thread-local), or to
 * malloc when that thread is not parsing a tree here.
 * ------------------------------------------------------------------- */

struct rd_tree_chunk {
    struct rd_tree_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) char data[];
};
static _Thread_local struct rd_tree *tree_now;

static void *tree_alloc(size_t n)
{
    struct rd_tree *t = tree_now;
    if (!t)
        return malloc(n);
    n = (n + _Alignof(max_align_t) - 1) & ~(size_t)(_Alignof(max_align_t) - 1);
    struct rd_tree_chunk *c = t->chunks;
    if (!c || c->cap - c->used < n) {
        /* a record's tree is a few KB; a whole document just takes more chunks */
        size_t cap = n > ((size_t)64 << 10) ? n : (size_t)64 << 10;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;  /* cJSON reports the parse as failed */
        c->next = t->chunks;
        c->used = 0;
        c->cap = cap;
        t->chunks = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

static void tree_free(void *p)
{
    if (!tree_now)
        free(p);  /* else: the arena goes at once */
}

static void hooks_install(void)
{
    cJSON_Hooks hooks = { tree_alloc, tree_free };
    cJSON_InitHooks(&hooks);
}

cJSON *rd_tree_parse(struct rd_tree *t, const char *text, size_t len, const char **end)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, hooks_install);
    tree_now = t;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, end, 0);
    tree_now = NULL;
    return root;
}

void rd_tree_reset(struct rd_tree *t)
{
    struct rd_tree_chunk *keep = NULL;
    for (struct rd_tree_chunk *c = t->chunks, *next; c; c = next) {
        next = c->next;
        if (!next) {
            keep = c;  /* the oldest: a record's tree fits it */
            keep->used = 0;
        } else {
            free(c);
        }
    }
    t->chunks = keep;
}

void rd_tree_drop(struct rd_tree *t)
{
    for (struct rd_tree_chunk *c = t->chunks, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    t->chunks = NULL;
}

/* ---------------------------------------------------------------------
 * Whole documents
 * ------------------------------------------------------------------- */

/* The document's checks before any record: 0, or -1 with *err. */
static int check_document(const char *json, size_t len, const cJSON *root, const char *end,
                          char **err)
{
    while (end && end < json + len && strchr(" \t\r\n", *end))
        end++;
    if (end && end < json + len)
        return seterr(err, "repodata: trailing data after the JSON at byte %zu",
                      (size_t)(end - json));
    if (!cJSON_IsObject(root))
        return seterr(err, "repodata: top level is not an object");
    const cJSON *pkgs = cJSON_GetObjectItemCaseSensitive(root, "packages");
    const cJSON *conda = cJSON_GetObjectItemCaseSensitive(root, "packages.conda");
    if ((pkgs && !cJSON_IsObject(pkgs)) || (conda && !cJSON_IsObject(conda)))
        return seterr(err, "repodata: 'packages' is not an object");
    if (!pkgs && !conda)
        return seterr(err, "repodata: no 'packages' (not a repodata.json?)");
    return 0;
}

static void take_tree(const cJSON *root, const char *const *names, struct repodata_index *out)
{
    struct rd_skips sk = { NULL, NULL };
    out->arena = rd_arena_new();
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(root, "info");
    const cJSON *isub = cJSON_IsObject(info) ? cJSON_GetObjectItemCaseSensitive(info, "subdir")
                                             : NULL;
    if (cJSON_IsString(isub) && isub->valuestring && *isub->valuestring)
        out->subdir = rd_intern(out->arena, isub->valuestring);
    const cJSON *lists[] = { cJSON_GetObjectItemCaseSensitive(root, "packages"),
                             cJSON_GetObjectItemCaseSensitive(root, "packages.conda") };
    for (size_t l = 0; l < 2; l++) {
        const cJSON *r;
        if (!lists[l])
            continue;
        cJSON_ArrayForEach(r, lists[l]) {
            const char *why = NULL;
            const char *fn = r->string ? r->string : "";
            if (rd_take_record(out, fn, r, names, &why) < 0)
                rd_note_skip(out, &sk, fn, why);
        }
    }
    rd_finish(out, &sk);
}

int repodata_parse_tree(const char *json, size_t len, const char *const *names,
                        struct repodata_index *out, char **err)
{
    memset(out, 0, sizeof *out);
    const char *end = NULL;
    struct rd_tree tree = { NULL };
    cJSON *root = json ? rd_tree_parse(&tree, json, len, &end) : NULL;
    if (!root) {
        rd_tree_drop(&tree);
        size_t at = json && end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        return seterr(err, "repodata: invalid JSON near byte %zu of %zu", at, len);
    }
    int rc = check_document(json, len, root, end, err);
    if (rc == 0)
        take_tree(root, names, out);
    rd_tree_drop(&tree);  /* the whole cJSON tree */
    return rc;
}

/* The in-memory document walked record by record (repodata_walk.c): one
 * small tree at a time, and none at all for the records not wanted. */
int repodata_parse(const char *json, size_t len, const char *const *names,
                   struct repodata_index *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (!json)
        return seterr(err, "repodata: no data");
    struct rd_walk *w = rd_walk_new(names, out);
    long used = rd_walk_feed(w, json, len, 1, NULL);
    int ok = used == (long)len && rd_walk_end(w, NULL) == 0;
    rd_walk_free(w, !ok);
    if (ok)
        return 0;
    /* the whole tree says precisely what is wrong */
    return repodata_parse_tree(json, len, names, out, err);
}

int repodata_load_file(const char *path, const char *const *names,
                       struct repodata_index *out, char **err)
{
    return repodata_scan_file(path, names, NULL, out, err);
}

/* ---------------------------------------------------------------------
 * Merge and lookup
 * ------------------------------------------------------------------- */

static uint64_t rec_key_hash(const struct repodata_record *r)
{
    uint64_t h = rd_hash_str(r->filename, strlen(r->filename));
    if (r->subdir)
        h ^= rd_hash_str(r->subdir, strlen(r->subdir)) * 31;
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
    const char **v = rd_arena_alloc(a, n * sizeof *v, sizeof(void *));
    for (size_t i = 0; i < n; i++)
        v[i] = rd_intern(a, src[i]);
    return v;
}

size_t repodata_index_merge(struct repodata_index *dst, const struct repodata_index *src)
{
    if (!dst || !src || !src->n)
        return 0;
    if (!dst->arena)
        dst->arena = rd_arena_new();
    struct repodata_arena *a = dst->arena;
    if (!dst->subdir && src->subdir && !dst->n)
        dst->subdir = rd_intern(a, src->subdir);

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
        struct repodata_record *r = rd_index_push(dst);
        r->filename = rd_intern(a, s->filename);
        r->name = rd_intern(a, s->name);
        r->version = rd_intern(a, s->version);
        r->build = rd_intern(a, s->build);
        r->build_number = s->build_number;
        r->depends = copy_list(a, s->depends, s->n_depends);
        r->n_depends = s->n_depends;
        r->constrains = copy_list(a, s->constrains, s->n_constrains);
        r->n_constrains = s->n_constrains;
        r->track_features = rd_intern(a, s->track_features);
        r->features = rd_intern(a, s->features);
        r->subdir = rd_intern(a, s->subdir);
        r->timestamp = s->timestamp;
        r->size = s->size;
        r->md5 = rd_intern(a, s->md5);
        r->sha256 = rd_intern(a, s->sha256);
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

/* The name a depends string is about: up to a blank or an operator. */
static int dep_named(const char *dep, const char *const *names)
{
    size_t n = strcspn(dep, " =<>!~[");
    for (const char *const *k = names; *k; k++)
        if (strlen(*k) == n && !strncmp(dep, *k, n))
            return 1;
    return 0;
}

void repodata_index_prune(struct repodata_index *idx, const char *const *keep)
{
    for (size_t i = 0; i < idx->n; i++) {
        struct repodata_record *r = &idx->recs[i];
        const char **deps = (const char **)r->depends;
        size_t k = 0;
        for (size_t j = 0; j < r->n_depends; j++)
            if (dep_named(deps[j], keep))
                deps[k++] = deps[j];
        r->n_depends = k;
        if (!k)
            r->depends = NULL;
        r->constrains = NULL;
        r->n_constrains = 0;
    }
}
