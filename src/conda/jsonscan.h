/* jsonscan.h — check JSON text piece by piece without building anything.
 *
 * Each function gets p (where the token starts) and a struct jscan telling
 * where the available text ends (e) and whether more text may follow it
 * (more). It returns the first byte after the token, or NULL and sets
 * s->st: JS_MORE when the text ran out before the token could be judged
 * (only when more is set: then the caller retries from the same p once it
 * has more text), JS_BAD when the text is not JSON (s->at points near the
 * offending byte).
 *
 * Validation is that of cJSON's parser, which builds the trees later:
 * strict grammar for numbers and true/false/null, escapes \" \\ \/ \b \f
 * \n \r \t \uXXXX (four hex digits), raw control characters accepted inside
 * strings (as cJSON does), nesting at most JS_MAX_DEPTH.
 *
 * No allocation; the functions only read [p, s->e). */
#ifndef TORCHSHIM_JSONSCAN_H
#define TORCHSHIM_JSONSCAN_H

#include <stddef.h>

#define JS_MAX_DEPTH 64

enum { JS_OK = 0, JS_MORE, JS_BAD };

struct jscan {
    const char *e;        /* end of the text available */
    int more;             /* more text may follow e */
    int st;               /* JS_* of the last failure */
    const char *at;       /* where it failed */
};

/* Skip JSON whitespace; never fails. */
const char *js_ws(const char *p, const char *e);
/* p at '"': *escaped says whether the string has backslash escapes. */
const char *js_string(struct jscan *s, const char *p, int *escaped);
/* Any value; depth is the nesting of the value's container (0 at the top). */
const char *js_value(struct jscan *s, const char *p, int depth);
/* p at '{': the object, checked whole; *vs and *ve span the value of its first
 * member named key (NULL when none). */
const char *js_object_find(struct jscan *s, const char *p, int depth, const char *key,
                           size_t klen, const char **vs, const char **ve);

#endif
