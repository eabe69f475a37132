/* condapat.c — see condapat.h. */
#include "condapat.h"

#include <stddef.h>
#include <string.h>

#include "msg.h"

static int fold(int c, int casefold)
{
    return casefold && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The classic greedy match with one backtrack point: on a mismatch, the
 * last '*' takes one more character. Each '*' only moves forward, so the
 * work is bounded by len(pat) * len(text). */
int condapat_glob(const char *pat, const char *text, int casefold)
{
    const char *p = pat, *t = text, *star = NULL, *resume = NULL;
    while (*t) {
        if (*p == '*') {
            star = ++p;
            resume = t;
        } else if (*p && fold((unsigned char)*p, casefold) == fold((unsigned char)*t, casefold)) {
            p++;
            t++;
        } else if (star) {
            p = star;
            t = ++resume;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Skip a bracket expression starting at s ('['); returns its ']' or NULL. */
static const char *bracket_end(const char *s)
{
    const char *p = s + 1;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;                          /* a leading ']' is literal */
    for (; *p; p++) {
        if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
            const char *close = strchr(p + 2, p[1]);
            if (!close || close[1] != ']')
                return NULL;
            p = close + 1;
        } else if (*p == ']') {
            return p;
        }
    }
    return NULL;
}

enum last_token { T_NONE, T_ATOM, T_GROUP_Q, T_QUANT };

/* A quantifier after LAST: allowed? */
static int quantifier_ok(enum last_token last, const char *p, char **err)
{
    if (last == T_QUANT)
        return seterr(err, "stacked quantifiers ('%.2s') are not allowed in a regex", p - 1);
    if (last == T_GROUP_Q)
        return seterr(err, "a quantified group holding a quantifier is not allowed in a regex");
    return 0;
}

int condapat_regex_check(const char *re, char **err)
{
    if (strlen(re) > CONDAPAT_REGEX_MAX)
        return seterr(err, "regex longer than %d characters", CONDAPAT_REGEX_MAX);
    int quant_in[CONDAPAT_REGEX_DEPTH + 1] = { 0 };  /* the group holds a quantifier */
    int depth = 0;
    enum last_token last = T_NONE;
    for (const char *p = re; *p; p++) {
        switch (*p) {
        case '\\':
            if (!p[1])
                return seterr(err, "regex ends with a backslash");
            p++;
            last = T_ATOM;
            break;
        case '[':
            if (!(p = bracket_end(p)))
                return seterr(err, "unterminated bracket expression in regex");
            last = T_ATOM;
            break;
        case '{':
            return seterr(err, "counted repetition ('{') is not allowed in a regex here");
        case '(':
            if (++depth > CONDAPAT_REGEX_DEPTH)
                return seterr(err, "regex groups nest deeper than %d", CONDAPAT_REGEX_DEPTH);
            quant_in[depth] = 0;
            last = T_NONE;
            break;
        case ')':
            if (!depth)
                return seterr(err, "unbalanced ')' in regex");
            last = quant_in[depth--] ? T_GROUP_Q : T_ATOM;
            if (last == T_GROUP_Q)
                quant_in[depth] = 1;
            break;
        case '*': case '+': case '?':
            if (quantifier_ok(last, p, err) < 0)
                return -1;
            quant_in[depth] = 1;
            last = T_QUANT;
            break;
        case '|':
            last = T_NONE;
            break;
        default:
            last = T_ATOM;
            break;
        }
    }
    return depth ? seterr(err, "unbalanced '(' in regex") : 0;
}
