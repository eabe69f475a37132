/* buf.c — see buf.h. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

char *buf_room(struct buf *b, size_t n)
{
    if (n + 1 > b->cap - b->len || !b->p) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap - b->len < n + 1) {
            if (cap > (size_t)-1 / 2)
                die(70, "out of memory");
            cap *= 2;
        }
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
        b->p[b->len] = '\0';
    }
    return b->p + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t n)
{
    char *at = buf_room(b, n);
    if (n)
        memcpy(at, data, n);
    buf_commit(b, n);
}

void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_addc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    char *at = buf_room(b, 64);
    int n = vsnprintf(at, b->cap - b->len, fmt, ap);
    if (n < 0)
        die(70, "cannot format a message");
    if ((size_t)n >= b->cap - b->len) {
        at = buf_room(b, (size_t)n);
        vsnprintf(at, b->cap - b->len, fmt, again);
    }
    va_end(again);
    buf_commit(b, (size_t)n);
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(b, fmt, ap);
    va_end(ap);
}

const char *buf_str(const struct buf *b)
{
    return b->p ? b->p : "";
}

char *buf_detach(struct buf *b, size_t *len)
{
    char *p = b->p ? b->p : xstrdup("");
    if (len)
        *len = b->len;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
