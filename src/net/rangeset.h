/* rangeset.h — a set of byte offsets kept as sorted, disjoint, non-adjacent
 * half-open intervals [a, b): which parts of a download are complete, which
 * are still to be given out.
 *
 * Every operation keeps the invariant (sorted by a, a < b, b of one interval
 * < a of the next: touching intervals are merged). Empty intervals (a >= b)
 * passed in are ignored. The set owns its array; a zeroed struct is an empty
 * set; rangeset_free releases it. No errors: allocation failure is fatal
 * (xrealloc). */
#ifndef TORCHSHIM_RANGESET_H
#define TORCHSHIM_RANGESET_H

#include <stddef.h>
#include <stdint.h>

struct range {
    int64_t a, b;              /* [a, b) */
};

struct rangeset {
    struct range *v;
    size_t n, cap;
};

void rangeset_free(struct rangeset *s);
void rangeset_clear(struct rangeset *s);                     /* empty, keeps the array */
void rangeset_copy(struct rangeset *dst, const struct rangeset *src);

/* Add [a, b) (union). */
void rangeset_add(struct rangeset *s, int64_t a, int64_t b);
/* Remove [a, b) (difference). */
void rangeset_remove(struct rangeset *s, int64_t a, int64_t b);

/* Sum of the lengths. */
int64_t rangeset_total(const struct rangeset *s);
/* 1 when every byte of [a, b) is in the set (an empty [a, b) is). */
int rangeset_covers(const struct rangeset *s, int64_t a, int64_t b);
/* 1 when some byte of [a, b) is in the set. */
int rangeset_overlaps(const struct rangeset *s, int64_t a, int64_t b);
/* The end of the interval containing FROM, or FROM when it is not in the
 * set: how far the set runs contiguously from FROM. */
int64_t rangeset_run_end(const struct rangeset *s, int64_t from);
/* The first offset >= 0 that is not in the set. */
int64_t rangeset_first_gap(const struct rangeset *s);
/* OUT = [0, size) minus S. OUT is cleared first. */
void rangeset_complement(const struct rangeset *s, int64_t size, struct rangeset *out);

/* Take the lowest bytes of the set: [*a, *b) with at most MAX bytes (MAX <= 0:
 * the whole first interval), removed from the set. 0, or -1 when empty. */
int rangeset_take_first(struct rangeset *s, int64_t max, int64_t *a, int64_t *b);

#endif
