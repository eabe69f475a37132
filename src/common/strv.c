/* strv.c — see strv.h. */
#include "strv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"

static void grow(struct strv *sv, size_t extra)
{
    if (sv->n + extra + 1 <= sv->cap)
        return;
    size_t cap = sv->cap ? sv->cap : 8;
    while (cap < sv->n + extra + 1)
        cap *= 2;
    sv->v = xrealloc(sv->v, cap * sizeof *sv->v);
    sv->cap = cap;
}

void strv_push_take(struct strv *sv, char *s)
{
    grow(sv, 1);
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void strv_push(struct strv *sv, const char *s)
{
    strv_push_take(sv, xstrdup(s));
}

void strv_pushf(struct strv *sv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strv_push_take(sv, xvasprintf(fmt, ap));
    va_end(ap);
}

void strv_insert(struct strv *sv, size_t at, const char *s)
{
    if (at > sv->n)
        at = sv->n;
    grow(sv, 1);
    memmove(sv->v + at + 1, sv->v + at, (sv->n - at + 1) * sizeof *sv->v);
    sv->v[at] = xstrdup(s);
    sv->n++;
}

void strv_remove(struct strv *sv, size_t at)
{
    if (at >= sv->n)
        return;
    free(sv->v[at]);
    memmove(sv->v + at, sv->v + at + 1, (sv->n - at) * sizeof *sv->v);
    sv->n--;
}

void strv_extend(struct strv *sv, char *const *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        strv_push(sv, src[i]);
}

int strv_equal(const struct strv *a, const struct strv *b)
{
    if (a->n != b->n)
        return 0;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i]))
            return 0;
    return 1;
}

void strv_clear(struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = sv->cap = 0;
}

char *strv_join(const struct strv *sv, const char *sep)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            buf_adds(&b, sep);
        buf_adds(&b, sv->v[i]);
    }
    return buf_detach(&b, NULL);
}

long strv_find(const struct strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (!strcmp(sv->v[i], s))
            return (long)i;
    return -1;
}
