/* partfile.c — see partfile.h. */
#include "partfile.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "msg.h"
#include "str.h"

#define MAGIC "torchshim-part 1"

void part_state_init(struct part_state *st)
{
    memset(st, 0, sizeof *st);
    st->size = -1;
}

void part_state_clear(struct part_state *st)
{
    for (size_t i = 0; i < st->nval; i++) {
        free(st->val[i].url);
        free(st->val[i].etag);
        free(st->val[i].last_modified);
    }
    free(st->val);
    rangeset_free(&st->done);
    part_state_init(st);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

void part_state_set_validator(struct part_state *st, const char *url, const char *etag,
                              const char *last_modified)
{
    struct part_validator *v = NULL;
    for (size_t i = 0; i < st->nval && !v; i++)
        if (!strcmp(st->val[i].url, url))
            v = &st->val[i];
    if (!v) {
        st->val = xrealloc(st->val, (st->nval + 1) * sizeof *st->val);
        v = &st->val[st->nval++];
        v->url = xstrdup(url);
    } else {
        free(v->etag);
        free(v->last_modified);
    }
    v->etag = dup_or_null(etag);
    v->last_modified = dup_or_null(last_modified);
}

const struct part_validator *part_state_validator(const struct part_state *st, const char *url)
{
    for (size_t i = 0; i < st->nval; i++)
        if (!strcmp(st->val[i].url, url))
            return &st->val[i];
    return NULL;
}

/* A field as written: "-" for none; TAB, CR and LF (never valid in a URL or
 * a header value we keep) become spaces so the record stays one line. */
static char *field(const char *s)
{
    if (!s || !*s)
        return xstrdup("-");
    char *f = xstrdup(s);
    for (char *p = f; *p; p++)
        if (*p == '\t' || *p == '\n' || *p == '\r')
            *p = ' ';
    return f;
}

static void append(char **out, size_t *len, size_t *cap, const char *s)
{
    size_t k = strlen(s);
    if (*len + k + 1 > *cap) {
        while (*len + k + 1 > *cap)
            *cap = *cap ? *cap * 2 : 256;
        *out = xrealloc(*out, *cap);
    }
    memcpy(*out + *len, s, k + 1);
    *len += k;
}

char *part_state_format(const struct part_state *st, size_t *len)
{
    char *out = NULL, *line;
    size_t n = 0, cap = 0;
    line = xasprintf(MAGIC "\nsize\t%" PRId64 "\nsha256\t%s\nmd5\t%s\n", st->size,
                     st->sha256[0] ? st->sha256 : "-", st->md5[0] ? st->md5 : "-");
    append(&out, &n, &cap, line);
    free(line);
    for (size_t i = 0; i < st->nval; i++) {
        char *u = field(st->val[i].url), *e = field(st->val[i].etag),
             *m = field(st->val[i].last_modified);
        line = xasprintf("mirror\t%s\t%s\t%s\n", u, e, m);
        append(&out, &n, &cap, line);
        free(line);
        free(u);
        free(e);
        free(m);
    }
    for (size_t i = 0; i < st->done.n; i++) {
        line = xasprintf("done\t%" PRId64 "\t%" PRId64 "\n", st->done.v[i].a, st->done.v[i].b);
        append(&out, &n, &cap, line);
        free(line);
    }
    if (len)
        *len = n;
    return out;
}

/* Split LINE (modified in place) at TABs into at most MAX fields. */
static size_t split_tabs(char *line, char **f, size_t max)
{
    size_t n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

static int parse_hex(const char *s, char *out, size_t hexlen)
{
    if (!strcmp(s, "-")) {
        out[0] = '\0';
        return 0;
    }
    if (strlen(s) != hexlen || strspn(s, "0123456789abcdef") != hexlen)
        return -1;
    memcpy(out, s, hexlen + 1);
    return 0;
}

static const char *none_dash(const char *s)
{
    return strcmp(s, "-") ? s : NULL;
}

/* One record; 0 or -1. */
static int parse_record(struct part_state *st, char *line)
{
    char *f[5];
    size_t n = split_tabs(line, f, 5);
    long long a, b;
    if (!strcmp(f[0], "size")) {
        if (n != 2 || str_to_count(f[1], &a))
            return -1;
        st->size = a;
        return 0;
    }
    if (!strcmp(f[0], "sha256"))
        return n == 2 ? parse_hex(f[1], st->sha256, 64) : -1;
    if (!strcmp(f[0], "md5"))
        return n == 2 ? parse_hex(f[1], st->md5, 32) : -1;
    if (!strcmp(f[0], "mirror")) {
        if (n != 4 || !strcmp(f[1], "-"))
            return -1;
        part_state_set_validator(st, f[1], none_dash(f[2]), none_dash(f[3]));
        return 0;
    }
    if (!strcmp(f[0], "done")) {
        if (n != 3 || str_to_count(f[1], &a) || str_to_count(f[2], &b) || a >= b)
            return -1;
        if (st->size < 0 || b > st->size)   /* size comes first */
            return -1;
        rangeset_add(&st->done, a, b);
        return 0;
    }
    return 0;  /* a record of a newer writer */
}

int part_state_parse(const char *text, size_t len, struct part_state *st, char **err)
{
    part_state_clear(st);
    if (memchr(text, '\0', len))
        return seterr(err, "not a download state (NUL byte)");
    char *copy = xstrndup(text, len), *save = NULL;
    int lineno = 0, r = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (lineno == 1) {
            if (strcmp(line, MAGIC)) {
                r = seterr(err, "not a download state (first line)");
                break;
            }
            continue;
        }
        if (parse_record(st, line) < 0) {
            r = seterr(err, "malformed download state, line %d", lineno);
            break;
        }
    }
    if (r == 0 && lineno == 0)
        r = seterr(err, "empty download state");
    if (r == 0 && st->size < 0)
        r = seterr(err, "download state without a size");
    free(copy);
    if (r < 0)
        part_state_clear(st);
    return r;
}

int part_state_load(const char *path, struct part_state *st, char **err)
{
    char *text = NULL, *e = NULL;
    size_t len = 0;
    part_state_clear(st);
    int r = file_read(path, PART_STATE_MAX, &text, &len, err);
    if (r != 0)
        return r;
    r = part_state_parse(text, len, st, &e);
    free(text);
    if (r < 0) {
        seterr(err, "%s: %s", path, e);
        free(e);
    }
    return r;
}

int part_state_save(const char *path, const struct part_state *st, char **err)
{
    size_t len;
    char *text = part_state_format(st, &len);
    int r = file_write_atomic(path, text, len, NULL, 0, 0644, err);
    free(text);
    return r;
}
