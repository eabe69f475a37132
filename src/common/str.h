/* str.h — small string helpers shared by the front end and the engine. */
#ifndef TORCHSHIM_STR_H
#define TORCHSHIM_STR_H

#include <stddef.h>

/* Cut trailing white space in place. */
void str_rtrim(char *s);
/* Skip leading white space, cut trailing white space in place; returns the
 * first non-space character of S. */
char *str_trim(char *s);
/* S, all of it, as a decimal number 0..LLONG_MAX: digits only (no sign,
 * no spaces, not empty). 0 with *out set, -1 otherwise (NULL S too). */
int str_to_count(const char *s, long long *out);

#endif
