/* str.c — see str.h. */
#include "str.h"

#include <ctype.h>
#include <string.h>

void str_rtrim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

char *str_trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    str_rtrim(s);
    return s;
}
