/* quote.c — see quote.h. */
#include "quote.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"

static int safe_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("@%+=:,./-_", c) != NULL;
}

char *shell_quote(const char *word)
{
    size_t n = strlen(word), quotes = 0;
    int safe = n > 0;
    for (size_t i = 0; i < n; i++) {
        if (!safe_char((unsigned char)word[i]))
            safe = 0;
        if (word[i] == '\'')
            quotes++;
    }
    /* '=' counts as safe: the first word we print is always an absolute
     * path, so no word can read as a NAME=VALUE assignment. */
    if (safe)
        return xstrdup(word);
    char *out = xmalloc(n + quotes * 3 + 3), *o = out;
    *o++ = '\'';
    for (size_t i = 0; i < n; i++) {
        if (word[i] == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = word[i];
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

char *shell_join(char *const *argv, size_t argc)
{
    size_t cap = 1, len = 0;
    char *out = xmalloc(cap);
    out[0] = '\0';
    for (size_t i = 0; i < argc; i++) {
        char *q = shell_quote(argv[i]);
        size_t ql = strlen(q);
        cap = len + ql + 2;
        out = xrealloc(out, cap);
        if (i)
            out[len++] = ' ';
        memcpy(out + len, q, ql + 1);
        len += ql;
        free(q);
    }
    return out;
}
