/* uriref.c — see uriref.h. */
#include "uriref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"


void uri_split(const char *s, struct uri *u)
{
    memset(u, 0, sizeof *u);
    const char *p = s;
    if (isalpha((unsigned char)*p)) {
        const char *q = p + 1;
        while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
            q++;
        if (*q == ':') {
            u->has_scheme = 1;
            u->scheme = p;
            u->scheme_len = (size_t)(q - p);
            p = q + 1;
        }
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        u->has_auth = 1;
        u->auth = p;
        u->auth_len = strcspn(p, "/?#");
        p += u->auth_len;
    }
    u->path = p;
    u->path_len = strcspn(p, "?#");
    p += u->path_len;
    if (*p == '?') {
        u->has_query = 1;
        u->query = p + 1;
        u->query_len = strcspn(p + 1, "#");
        p += 1 + u->query_len;
    }
    if (*p == '#') {
        u->has_frag = 1;
        u->frag = p + 1;
        u->frag_len = strlen(p + 1);
    }
}

/* Drop the last segment (and its '/') of what was output so far. */
static void pop_segment(struct buf *out)
{
    while (out->len > 0 && out->p[out->len - 1] != '/')
        out->len--;
    if (out->len > 0)
        out->len--;
    if (out->p)
        out->p[out->len] = '\0';
}

/* RFC 3986 §5.2.4 */
static char *remove_dots(const char *path, size_t len)
{
    char *in = xstrndup(path, len);
    char *p = in;
    struct buf out = { 0 };
    while (*p) {
        if (strncmp(p, "../", 3) == 0) {
            p += 3;
        } else if (strncmp(p, "./", 2) == 0) {
            p += 2;
        } else if (strncmp(p, "/./", 3) == 0) {
            p += 2;
        } else if (strcmp(p, "/.") == 0) {
            p[1] = '\0';
        } else if (strncmp(p, "/../", 4) == 0) {
            p += 3;
            pop_segment(&out);
        } else if (strcmp(p, "/..") == 0) {
            p += 2;
            *p = '/';
            pop_segment(&out);
        } else if (strcmp(p, ".") == 0 || strcmp(p, "..") == 0) {
            p += strlen(p);
        } else {
            size_t n = (*p == '/') + strcspn(p + (*p == '/'), "/");
            buf_add(&out, p, n);
            p += n;
        }
    }
    free(in);
    return buf_detach(&out, NULL);
}

char *uri_resolve(const char *base, const char *ref)
{
    struct uri b, r;
    uri_split(base, &b);
    uri_split(ref, &r);
    if (!b.has_scheme)
        return NULL;

    struct buf out = { 0 };
    const struct uri *auth_from = &b, *query_from = &r;
    char *path;
    if (r.has_scheme) {
        buf_add(&out, r.scheme, r.scheme_len);
        auth_from = &r;
        path = remove_dots(r.path, r.path_len);
    } else {
        buf_add(&out, b.scheme, b.scheme_len);
        if (r.has_auth) {
            auth_from = &r;
            path = remove_dots(r.path, r.path_len);
        } else if (r.path_len == 0) {
            path = xstrndup(b.path, b.path_len);
            if (!r.has_query)
                query_from = &b;
        } else if (r.path[0] == '/') {
            path = remove_dots(r.path, r.path_len);
        } else {
            struct buf merged = { 0 };
            if (b.has_auth && b.path_len == 0) {
                buf_addc(&merged, '/');
            } else {
                size_t keep = b.path_len;
                while (keep > 0 && b.path[keep - 1] != '/')
                    keep--;
                buf_add(&merged, b.path, keep);
            }
            buf_add(&merged, r.path, r.path_len);
            char *m = buf_detach(&merged, NULL);
            path = remove_dots(m, strlen(m));
            free(m);
        }
    }
    buf_addc(&out, ':');
    if (auth_from->has_auth) {
        buf_add(&out, "//", 2);
        buf_add(&out, auth_from->auth, auth_from->auth_len);
    }
    buf_add(&out, path, strlen(path));
    free(path);
    if (query_from->has_query) {
        buf_addc(&out, '?');
        buf_add(&out, query_from->query, query_from->query_len);
    }
    if (r.has_frag) {
        buf_addc(&out, '#');
        buf_add(&out, r.frag, r.frag_len);
    }
    return buf_detach(&out, NULL);
}
