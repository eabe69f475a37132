/* strv.h — a growable, NULL-terminated vector of owned strings (an argv). */
#ifndef TORCHSHIM_STRV_H
#define TORCHSHIM_STRV_H

#include <stddef.h>

struct strv {
    char **v;   /* v[n] == NULL whenever v != NULL */
    size_t n;
    size_t cap;
};

#define STRV_INIT { NULL, 0, 0 }

void strv_push(struct strv *sv, const char *s);            /* copies s */
void strv_push_take(struct strv *sv, char *s);             /* takes ownership */
void strv_pushf(struct strv *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strv_insert(struct strv *sv, size_t at, const char *s);
void strv_remove(struct strv *sv, size_t at);
void strv_extend(struct strv *sv, char *const *src, size_t n);
int strv_equal(const struct strv *a, const struct strv *b);
/* The strings joined with SEP; malloc'd ("" for none). */
char *strv_join(const struct strv *sv, const char *sep);
/* Index of the first string equal to S, or -1. */
long strv_find(const struct strv *sv, const char *s);
void strv_clear(struct strv *sv);                          /* frees, keeps usable */

#endif
