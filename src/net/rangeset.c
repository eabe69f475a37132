/* rangeset.c — see rangeset.h. */
#include "rangeset.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"

void rangeset_free(struct rangeset *s)
{
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

void rangeset_clear(struct rangeset *s)
{
    s->n = 0;
}

static void reserve(struct rangeset *s, size_t n)
{
    if (n <= s->cap)
        return;
    size_t cap = s->cap ? s->cap : 8;
    while (cap < n)
        cap *= 2;
    s->v = xrealloc(s->v, cap * sizeof *s->v);
    s->cap = cap;
}

void rangeset_copy(struct rangeset *dst, const struct rangeset *src)
{
    reserve(dst, src->n);
    if (src->n)
        memcpy(dst->v, src->v, src->n * sizeof *src->v);
    dst->n = src->n;
}

/* Index of the first interval whose end is >= x (binary search). */
static size_t first_ending_at_or_after(const struct rangeset *s, int64_t x)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].b < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void rangeset_add(struct rangeset *s, int64_t a, int64_t b)
{
    if (a >= b)
        return;
    size_t i = first_ending_at_or_after(s, a);     /* first that touches or follows */
    size_t j = i;
    while (j < s->n && s->v[j].a <= b) {            /* every interval it touches */
        if (s->v[j].a < a)
            a = s->v[j].a;
        if (s->v[j].b > b)
            b = s->v[j].b;
        j++;
    }
    if (j == i) {                                   /* touches none: insert at i */
        reserve(s, s->n + 1);
        memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof *s->v);
        s->n++;
    } else if (j > i + 1) {                         /* merge i..j-1 into i */
        memmove(&s->v[i + 1], &s->v[j], (s->n - j) * sizeof *s->v);
        s->n -= j - i - 1;
    }
    s->v[i].a = a;
    s->v[i].b = b;
}

void rangeset_remove(struct rangeset *s, int64_t a, int64_t b)
{
    if (a >= b)
        return;
    size_t i = first_ending_at_or_after(s, a + 1);  /* first with an end > a */
    while (i < s->n && s->v[i].a < b) {
        struct range r = s->v[i];
        if (r.a < a && r.b > b) {                   /* split in two */
            reserve(s, s->n + 1);
            memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof *s->v);
            s->n++;
            s->v[i].b = a;
            s->v[i + 1].a = b;
            return;
        }
        if (r.a < a) {                              /* keep the head */
            s->v[i].b = a;
            i++;
        } else if (r.b > b) {                       /* keep the tail */
            s->v[i].a = b;
            return;
        } else {                                    /* drop it whole */
            memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof *s->v);
            s->n--;
        }
    }
}

int64_t rangeset_total(const struct rangeset *s)
{
    int64_t t = 0;
    for (size_t i = 0; i < s->n; i++)
        t += s->v[i].b - s->v[i].a;
    return t;
}

int rangeset_covers(const struct rangeset *s, int64_t a, int64_t b)
{
    if (a >= b)
        return 1;
    size_t i = first_ending_at_or_after(s, a + 1);
    return i < s->n && s->v[i].a <= a && s->v[i].b >= b;
}

int rangeset_overlaps(const struct rangeset *s, int64_t a, int64_t b)
{
    if (a >= b)
        return 0;
    size_t i = first_ending_at_or_after(s, a + 1);
    return i < s->n && s->v[i].a < b;
}

int64_t rangeset_run_end(const struct rangeset *s, int64_t from)
{
    size_t i = first_ending_at_or_after(s, from + 1);
    if (i < s->n && s->v[i].a <= from)
        return s->v[i].b;
    return from;
}

int64_t rangeset_first_gap(const struct rangeset *s)
{
    return rangeset_run_end(s, 0);
}

void rangeset_complement(const struct rangeset *s, int64_t size, struct rangeset *out)
{
    rangeset_clear(out);
    int64_t at = 0;
    for (size_t i = 0; i < s->n && at < size; i++) {
        if (s->v[i].a > at)
            rangeset_add(out, at, s->v[i].a < size ? s->v[i].a : size);
        if (s->v[i].b > at)
            at = s->v[i].b;
    }
    if (at < size)
        rangeset_add(out, at, size);
}

int rangeset_take_first(struct rangeset *s, int64_t max, int64_t *a, int64_t *b)
{
    if (!s->n)
        return -1;
    *a = s->v[0].a;
    *b = s->v[0].b;
    if (max > 0 && *b - *a > max)
        *b = *a + max;
    rangeset_remove(s, *a, *b);
    return 0;
}
