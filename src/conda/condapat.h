/* condapat.h — conda's string patterns, matched in bounded time.
 *
 * Globs: conda matches a build string, a name or a version text with '*'
 * in it as a glob where '*' is the only special character (any run of
 * characters, the empty one included); everything else is literal. conda
 * does it by turning the glob into a regex; here it is matched directly,
 * in O(len(pattern) * len(text)) at worst, with no regex and no recursion.
 *
 * Regexes: a build or version given as "^...$" is a POSIX extended regex.
 * glibc's regcomp/regexec are exponential on some patterns (stacked
 * quantifiers "p+++++", counted repetitions "(p{1,100}){1,100}"), so a
 * regex is compiled only when a user typed it, and only within these
 * bounds: at most CONDAPAT_REGEX_MAX bytes, no '{' (counted repetition),
 * no quantifier directly after another quantifier, no quantified group
 * that itself holds a quantifier, groups nested at most CONDAPAT_REGEX_DEPTH
 * deep, no backslash at the end. Patterns from repodata (`depends`) are
 * never compiled (matchspec.h, condaver.h: MATCHSPEC_UNTRUSTED).
 *
 * Contract: pure functions, nothing printed. condapat_regex_check returns
 * 0 when the pattern is within the bounds, else -1 with *err (seterr). */
#ifndef TORCHSHIM_CONDAPAT_H
#define TORCHSHIM_CONDAPAT_H

#define CONDAPAT_REGEX_MAX 128
#define CONDAPAT_REGEX_DEPTH 4

/* Does TEXT match the glob PAT ('*' only)? CASEFOLD: ASCII letters compare
 * without case. 1 or 0. */
int condapat_glob(const char *pat, const char *text, int casefold);

/* Is RE ("^...$") within the bounds above? */
int condapat_regex_check(const char *re, char **err);

#endif
