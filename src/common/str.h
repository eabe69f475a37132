/* str.h — small string helpers shared by the front end and the engine. */
#ifndef TORCHSHIM_STR_H
#define TORCHSHIM_STR_H

#include <stddef.h>

/* Cut trailing white space in place. */
void str_rtrim(char *s);
/* Skip leading white space, cut trailing white space in place; returns the
 * first non-space character of S. */
char *str_trim(char *s);

/* snprintf into BUF (N bytes) when BUF is not NULL: for the "char *why,
 * size_t whyn" out-parameters of the table modules. */
void str_printf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
