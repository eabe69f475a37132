/* buf.h — a growable byte buffer, NUL-terminated whenever it has storage:
 * the one string builder of torchshim (libc only).
 *
 *   struct buf b = BUF_INIT;
 *   buf_addf(&b, "%s-%d", name, n);
 *   char *s = buf_detach(&b, NULL);   // caller frees; b is empty again
 *
 * Growth is geometric; allocation failure is fatal (msg.h x* functions). */
#ifndef TORCHSHIM_BUF_H
#define TORCHSHIM_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *p;       /* NULL until the first byte; then p[len] == '\0' */
    size_t len;
    size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Make room for N more bytes (plus the NUL); returns where they go. */
char *buf_room(struct buf *b, size_t n);
/* Count N bytes written at buf_room()'s pointer. */
void buf_commit(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents ("" when empty), never NULL. */
const char *buf_str(const struct buf *b);
/* Hand the storage to the caller (malloc'd, NUL-terminated, never NULL) and
 * leave B empty; *len (may be NULL) gets the length. */
char *buf_detach(struct buf *b, size_t *len);
void buf_reset(struct buf *b);   /* length 0, storage kept */
void buf_free(struct buf *b);

#endif
