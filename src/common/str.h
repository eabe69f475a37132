/* str.h — small string helpers shared by the front end and the engine. */
#ifndef TORCHSHIM_STR_H
#define TORCHSHIM_STR_H

#include <stddef.h>

/* Cut trailing white space in place. */
void str_rtrim(char *s);
/* Skip leading white space, cut trailing white space in place; returns the
 * first non-space character of S. */
char *str_trim(char *s);

#endif
