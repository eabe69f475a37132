/* jsonscan.c — see jsonscan.h. */
#include "jsonscan.h"

#include <string.h>

/* Running into the end of the text: "more" or "bad", as the caller said. */
static const char *ran_out(struct jscan *s, const char *p)
{
    s->st = s->more ? JS_MORE : JS_BAD;
    s->at = p;
    return NULL;
}

static const char *bad(struct jscan *s, const char *p)
{
    s->st = JS_BAD;
    s->at = p;
    return NULL;
}

const char *js_ws(const char *p, const char *e)
{
    while (p < e && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static int hexdigit(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* p after a backslash: the end of the escape. */
static const char *escape(struct jscan *s, const char *p)
{
    if (p >= s->e)
        return ran_out(s, p);
    switch (*p) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return p + 1;
    case 'u':
        for (int i = 1; i <= 4; i++) {
            if (p + i >= s->e)
                return ran_out(s, p + i);
            if (!hexdigit(p[i]))
                return bad(s, p + i);
        }
        return p + 5;
    default:
        return bad(s, p);
    }
}

const char *js_string(struct jscan *s, const char *p, int *escaped)
{
    const char *e = s->e;
    *escaped = 0;
    for (p++;;) {
        /* the bulk of a repodata file: plain string bytes */
        while (p < e && *p != '"' && *p != '\\')
            p++;
        if (p >= e)
            return ran_out(s, p);
        if (*p == '"')
            return p + 1;
        *escaped = 1;
        if (!(p = escape(s, p + 1)))
            return NULL;
    }
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits from p; NULL when none (or out of text). */
static const char *digits(struct jscan *s, const char *p)
{
    const char *start = p;
    while (p < s->e && digit(*p))
        p++;
    if (p >= s->e)
        return ran_out(s, p);   /* a number is complete only at its end */
    return p > start ? p : bad(s, p);
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static const char *number(struct jscan *s, const char *p)
{
    const char *e = s->e;
    if (*p == '-' && ++p >= e)
        return ran_out(s, p);
    if (*p == '0') {
        if (++p >= e)
            return ran_out(s, p);
    } else if (!(p = digits(s, p))) {
        return NULL;
    }
    if (*p == '.' && !(p = digits(s, p + 1)))
        return NULL;
    if (*p == 'e' || *p == 'E') {
        if (++p >= e)
            return ran_out(s, p);
        if ((*p == '+' || *p == '-') && ++p >= e)
            return ran_out(s, p);
        if (!(p = digits(s, p)))
            return NULL;
    }
    return p;
}

static const char *literal(struct jscan *s, const char *p, const char *word, size_t n)
{
    size_t have = (size_t)(s->e - p);
    if (memcmp(p, word, have < n ? have : n) != 0)
        return bad(s, p);
    return have < n ? ran_out(s, s->e) : p + n;
}

/* p after '[' or '{': the members, through the closing bracket. */
static const char *container(struct jscan *s, const char *p, char close, int depth)
{
    const char *e = s->e;
    int esc;
    if ((p = js_ws(p, e)) >= e)
        return ran_out(s, p);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (close == '}') {
            if (*p != '"')
                return bad(s, p);
            if (!(p = js_string(s, p, &esc)))
                return NULL;
            if ((p = js_ws(p, e)) >= e)
                return ran_out(s, p);
            if (*p != ':')
                return bad(s, p);
            p++;
        }
        if (!(p = js_value(s, p, depth + 1)))
            return NULL;
        if ((p = js_ws(p, e)) >= e)
            return ran_out(s, p);
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return bad(s, p);
        if ((p = js_ws(p + 1, e)) >= e)
            return ran_out(s, p);
    }
}

const char *js_value(struct jscan *s, const char *p, int depth)
{
    int esc;
    if ((p = js_ws(p, s->e)) >= s->e)
        return ran_out(s, p);
    if (depth >= JS_MAX_DEPTH)
        return bad(s, p);
    switch (*p) {
    case '"': return js_string(s, p, &esc);
    case '{': return container(s, p + 1, '}', depth);
    case '[': return container(s, p + 1, ']', depth);
    case 't': return literal(s, p, "true", 4);
    case 'f': return literal(s, p, "false", 5);
    case 'n': return literal(s, p, "null", 4);
    default:
        if (*p == '-' || digit(*p))
            return number(s, p);
        return bad(s, p);
    }
}

const char *js_object_find(struct jscan *s, const char *p, int depth, const char *key,
                           size_t klen, const char **vs, const char **ve)
{
    const char *e = s->e;
    *vs = *ve = NULL;
    if (depth >= JS_MAX_DEPTH)
        return bad(s, p);
    if ((p = js_ws(p + 1, e)) >= e)
        return ran_out(s, p);
    if (*p == '}')
        return p + 1;
    for (;;) {
        const char *k = p, *v;
        int esc;
        if (*p != '"')
            return bad(s, p);
        if (!(p = js_string(s, p, &esc)))
            return NULL;
        int hit = !*vs && !esc && (size_t)(p - k) == klen + 2 && !memcmp(k + 1, key, klen);
        if ((p = js_ws(p, e)) >= e)
            return ran_out(s, p);
        if (*p != ':')
            return bad(s, p);
        v = js_ws(p + 1, e);
        if (!(p = js_value(s, v, depth + 1)))
            return NULL;
        if (hit) {
            *vs = v;
            *ve = p;
        }
        if ((p = js_ws(p, e)) >= e)
            return ran_out(s, p);
        if (*p == '}')
            return p + 1;
        if (*p != ',')
            return bad(s, p);
        if ((p = js_ws(p + 1, e)) >= e)
            return ran_out(s, p);
    }
}
