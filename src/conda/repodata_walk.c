/* repodata_walk.c — the repodata document, one item at a time (see
 * repodata_int.h for the push protocol).
 *
 * The document is an object; its members are walked as they come:
 *   "packages", "packages.conda"  objects of file name -> record; each record
 *                     is checked with jsonscan and, when its "name" is a
 *                     plain string, that name is compared with the wanted
 *                     ones without building anything. Only records whose
 *                     name is wanted (or cannot be read that way) become a
 *                     small cJSON tree for rd_take_record.
 *   "info"            object; its first "subdir" member is kept.
 *   anything else     checked and dropped, element by element when it is a
 *                     container ("removed" is a long list).
 * The first "packages", "packages.conda" and "info" count (as with cJSON's
 * lookup in repodata_parse_tree); a repeated one is only checked. */
#include "repodata_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonscan.h"
#include "msg.h"

enum wstate {
    W_START, W_TOP_FIRST, W_TOP_KEY, W_TOP_VALUE, W_TOP_NEXT,
    W_L2_FIRST, W_L2_ITEM, W_L2_NEXT, W_END,
};
enum wkind { K_OTHER, K_PACKAGES, K_INFO };

#define SEEN_PACKAGES 1u
#define SEEN_CONDA 2u
#define SEEN_INFO 4u
#define SEEN_SUBDIR 8u

struct rd_walk {
    enum wstate st;
    enum wkind kind;              /* the top-level member being walked */
    char close;                   /* '}' or ']': its container's end */
    unsigned seen;
    unsigned long long off;       /* document offset of the next byte */
    const char *const *names;
    struct repodata_index *out;
    struct rd_tree tree;
    struct rd_skips skips;
};

/* Item outcomes */
enum { I_DONE, I_MORE, I_BAD, I_NOTREPO };

struct rd_walk *rd_walk_new(const char *const *names, struct repodata_index *out)
{
    struct rd_walk *w = xcalloc(1, sizeof *w);
    memset(out, 0, sizeof *out);
    out->arena = rd_arena_new();
    w->names = names;
    w->out = out;
    return w;
}

void rd_walk_free(struct rd_walk *w, int failed)
{
    if (!w)
        return;
    rd_tree_drop(&w->tree);
    if (failed)
        repodata_index_free(w->out);
    free(w);
}

unsigned long long rd_walk_offset(const struct rd_walk *w)
{
    return w->off;
}

static int item_status(const struct jscan *s)
{
    return s->st == JS_MORE ? I_MORE : I_BAD;
}

/* A JSON string token's value (escapes decoded), malloc'd; NULL if cJSON
 * does not take it. */
static char *string_value(struct rd_walk *w, const char *tok, size_t len, int esc)
{
    if (!esc)
        return xstrndup(tok + 1, len - 2);
    cJSON *j = rd_tree_parse(&w->tree, tok, len, NULL);
    char *v = cJSON_IsString(j) && j->valuestring ? xstrdup(j->valuestring) : NULL;
    rd_tree_reset(&w->tree);
    return v;
}

/* The slow path: the record as a cJSON tree, through rd_take_record. */
static void record_tree(struct rd_walk *w, const char *key, size_t klen, int kesc,
                        const char *rec, size_t reclen)
{
    char *fn = string_value(w, key, klen, kesc);
    cJSON *r = rd_tree_parse(&w->tree, rec, reclen, NULL);
    const char *why = NULL;
    if (!r)
        why = "record is not valid JSON";
    if (!fn)
        why = "file name is not a valid string";
    if (why || rd_take_record(w->out, fn, r, w->names, &why) < 0)
        rd_note_skip(w->out, &w->skips, fn ? fn : "?", why);
    free(fn);
    rd_tree_reset(&w->tree);
}

/* One record: "file name" : {...}. Unwanted records cost one scan. */
static int item_record(struct rd_walk *w, struct jscan *s, const char *p, const char **endp)
{
    const char *key = p, *vs, *ve, *v, *end;
    int kesc;
    if (*p != '"')
        return I_BAD;
    if (!(p = js_string(s, p, &kesc)))
        return item_status(s);
    size_t klen = (size_t)(p - key);
    if ((p = js_ws(p, s->e)) >= s->e)
        return s->more ? I_MORE : I_BAD;
    if (*p != ':')
        return I_BAD;
    v = js_ws(p + 1, s->e);
    vs = ve = NULL;
    if (v < s->e && *v == '{')
        end = js_object_find(s, v, 1, "name", 4, &vs, &ve);
    else
        end = js_value(s, v, 1);
    if (!end)
        return item_status(s);
    *endp = end;
    if (vs && *vs == '"') {
        int nesc = 0;
        for (const char *q = vs + 1; q < ve - 1; q++)
            nesc |= *q == '\\' || *q == '\0';   /* cJSON reads a NUL as the end */
        size_t nlen = (size_t)(ve - vs) - 2;
        if (!nesc && nlen && !rd_name_wanted(vs + 1, nlen, w->names))
            return I_DONE;
    }
    record_tree(w, key, klen, kesc, v, (size_t)(end - v));
    return I_DONE;
}

/* One member of "info": only the first "subdir" matters. */
static int item_info(struct rd_walk *w, struct jscan *s, const char *p, const char **endp)
{
    const char *key = p, *v, *end;
    int kesc;
    if (*p != '"')
        return I_BAD;
    if (!(p = js_string(s, p, &kesc)))
        return item_status(s);
    char *name = string_value(w, key, (size_t)(p - key), kesc);
    int is_subdir = name && !strcmp(name, "subdir");   /* as cJSON reads the key */
    free(name);
    if ((p = js_ws(p, s->e)) >= s->e)
        return s->more ? I_MORE : I_BAD;
    if (*p != ':')
        return I_BAD;
    v = js_ws(p + 1, s->e);
    if (!(end = js_value(s, v, 2)))
        return item_status(s);
    *endp = end;
    if (is_subdir && !(w->seen & SEEN_SUBDIR)) {
        w->seen |= SEEN_SUBDIR;
        if (*v == '"') {
            int vesc = 0;
            for (const char *q = v + 1; q < end - 1; q++)
                vesc |= *q == '\\';
            char *sd = string_value(w, v, (size_t)(end - v), vesc);
            if (sd && *sd)
                w->out->subdir = rd_intern(w->out->arena, sd);
            free(sd);
        }
    }
    return I_DONE;
}

/* Any other element: checked, dropped. */
static int item_other(struct jscan *s, const char *p, char close, const char **endp)
{
    int esc;
    if (close == '}') {
        if (*p != '"')
            return I_BAD;
        if (!(p = js_string(s, p, &esc)))
            return item_status(s);
        if ((p = js_ws(p, s->e)) >= s->e)
            return s->more ? I_MORE : I_BAD;
        if (*p++ != ':')
            return I_BAD;
    }
    if (!(*endp = js_value(s, p, 2)))
        return item_status(s);
    return I_DONE;
}

/* A top-level key: which member follows, and whether it is one we read. */
static int top_key(struct rd_walk *w, struct jscan *s, const char *p, const char **endp)
{
    const char *k = p;
    int esc;
    if (*p != '"')
        return I_BAD;
    if (!(p = js_string(s, p, &esc)))
        return item_status(s);
    size_t klen = (size_t)(p - k) - 2;
    if ((p = js_ws(p, s->e)) >= s->e)
        return s->more ? I_MORE : I_BAD;
    if (*p != ':')
        return I_BAD;
    *endp = p + 1;
    w->kind = K_OTHER;
    unsigned bit = 0;
    /* the key as cJSON reads it: escapes decoded, a NUL ends it */
    char *key = string_value(w, k, klen + 2, esc);
    if (key && !strcmp(key, "packages"))
        bit = SEEN_PACKAGES;
    else if (key && !strcmp(key, "packages.conda"))
        bit = SEEN_CONDA;
    else if (key && !strcmp(key, "info"))
        bit = SEEN_INFO;
    free(key);
    if (bit && !(w->seen & bit)) {
        w->seen |= bit;
        w->kind = bit == SEEN_INFO ? K_INFO : K_PACKAGES;
    }
    return I_DONE;
}

/* The value of a top-level member, at its first byte. */
static int top_value(struct rd_walk *w, struct jscan *s, const char *p, const char **endp)
{
    if (*p == '{' || *p == '[') {
        if (w->kind == K_PACKAGES && *p != '{')
            return I_NOTREPO;
        if (w->kind == K_INFO && *p != '{')
            w->kind = K_OTHER;               /* info that is no object: ignored */
        w->close = *p == '{' ? '}' : ']';
        w->st = W_L2_FIRST;
        *endp = p + 1;
        return I_DONE;
    }
    if (w->kind == K_PACKAGES)
        return I_NOTREPO;
    if (!(*endp = js_value(s, p, 1)))
        return item_status(s);
    w->st = W_TOP_NEXT;
    return I_DONE;
}

/* One step at p (not whitespace): an item, or a piece of punctuation. */
static int step(struct rd_walk *w, struct jscan *s, const char *p, const char **endp)
{
    int r;
    *endp = p + 1;
    switch (w->st) {
    case W_START:
        if (*p != '{')
            return I_BAD;
        w->st = W_TOP_FIRST;
        return I_DONE;
    case W_TOP_FIRST:
    case W_L2_FIRST:
        if (*p == (w->st == W_TOP_FIRST ? '}' : w->close)) {
            w->st = w->st == W_TOP_FIRST ? W_END : W_TOP_NEXT;
            return I_DONE;
        }
        w->st = w->st == W_TOP_FIRST ? W_TOP_KEY : W_L2_ITEM;
        return step(w, s, p, endp);
    case W_TOP_KEY:
        if ((r = top_key(w, s, p, endp)) == I_DONE)
            w->st = W_TOP_VALUE;
        return r;
    case W_TOP_VALUE:
        return top_value(w, s, p, endp);
    case W_L2_ITEM:
        if (w->kind == K_PACKAGES)
            r = item_record(w, s, p, endp);
        else if (w->kind == K_INFO)
            r = item_info(w, s, p, endp);
        else
            r = item_other(s, p, w->close, endp);
        if (r == I_DONE)
            w->st = W_L2_NEXT;
        return r;
    case W_TOP_NEXT:
    case W_L2_NEXT: {
        char close = w->st == W_TOP_NEXT ? '}' : w->close;
        if (*p == ',')
            w->st = w->st == W_TOP_NEXT ? W_TOP_KEY : W_L2_ITEM;
        else if (*p == close)
            w->st = w->st == W_TOP_NEXT ? W_END : W_TOP_NEXT;
        else
            return I_BAD;
        return I_DONE;
    }
    case W_END:
    default:
        return I_BAD;
    }
}

static long walk_error(struct rd_walk *w, int r, char **err)
{
    if (r == I_NOTREPO)
        return seterr(err, "repodata: 'packages' is not an object");
    if (w->st == W_END)
        return seterr(err, "repodata: trailing data after the JSON at byte %llu", w->off);
    return seterr(err, "repodata: invalid JSON near byte %llu", w->off);
}

long rd_walk_feed(struct rd_walk *w, const char *p0, size_t n, int eof, char **err)
{
    const char *p = p0, *e = p0 + n;
    struct jscan s = { e, !eof, JS_OK, NULL };
    for (;;) {
        const char *q = js_ws(p, e), *next = NULL;
        w->off += (unsigned long long)(q - p);
        p = q;
        if (p >= e)
            break;
        int r = step(w, &s, p, &next);
        if (r == I_MORE)
            break;
        if (r != I_DONE) {
            if (s.st == JS_BAD && s.at && r == I_BAD && w->st != W_END)
                w->off += (unsigned long long)(s.at - p);
            return walk_error(w, r, err);
        }
        w->off += (unsigned long long)(next - p);
        p = next;
    }
    return (long)(p - p0);
}

int rd_walk_end(struct rd_walk *w, char **err)
{
    if (w->st != W_END)
        return seterr(err, "repodata: invalid JSON near byte %llu (the document ends early)",
                      w->off);
    if (!(w->seen & (SEEN_PACKAGES | SEEN_CONDA)))
        return seterr(err, "repodata: no 'packages' (not a repodata.json?)");
    rd_finish(w->out, &w->skips);
    return 0;
}
