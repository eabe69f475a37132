/* quote.h — POSIX shell quoting, for --dry-run lines and messages. */
#ifndef TORCHSHIM_QUOTE_H
#define TORCHSHIM_QUOTE_H

#include <stddef.h>

/* One word, quoted only when needed: safe words as-is, others in single
 * quotes with ' written as '\''. Returns a malloc'd string. */
char *shell_quote(const char *word);

/* argv joined with spaces, each word quoted; malloc'd. */
char *shell_join(char *const *argv, size_t argc);

#endif
