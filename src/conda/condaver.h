/* condaver.h — conda version ordering and version specs.
 *
 * Versions are ordered the way conda's VersionOrder orders them:
 *   - an optional epoch "N!" (default 0) and an optional local part after '+'
 *     (compared only when the main parts are equal);
 *   - the main part is split into components at '.' and '_' ('-' counts as
 *     '_' when the string has no '_'), each component into runs of digits
 *     and non-digits; a component starting with a letter gets a leading 0
 *     ("1.1.a1" == "1.1.0a1");
 *   - numbers compare numerically, strings case-insensitively and below
 *     numbers; "dev" sorts below everything, "post" above everything;
 *   - missing components count as 0, so "1.0" == "1.0.0".
 *
 * Version specs are what match specs and repodata `depends` carry:
 *   "2.3.1" (exact), "==2.3.1", "2.3.*" / "2.3.1*" / "=2.3" (prefix),
 *   ">=2.1,<2.4", ">=3.12,<3.13.0a0", "1.0|2.0", "!=1.2", "!=8.3.*",
 *   "~=2.3.0" (>=2.3.0 and 2.3.*), "*" (anything), "1.*.3" (glob on the
 *   text: '*' is the only special character, matched without regex),
 *   "^2\.3\..*$" (POSIX extended regex on the text, bounded: see below), with ','
 *   binding tighter than '|' and parentheses for grouping.
 *   "==2.3.*" is taken as a prefix match (what people mean by it).
 *
 * Contract: nothing here prints or exits. Parse functions return 0 on
 * success and -1 on error, with *err (when err != NULL) set to a malloc'd
 * message the caller frees. A parsed spec owns its memory; free it with
 * condaver_spec_free() (safe on a zeroed or already freed spec). */
#ifndef TORCHSHIM_CONDAVER_H
#define TORCHSHIM_CONDAVER_H

#include <stddef.h>

/* Is v a version conda accepts? 1 or 0. */
int condaver_valid(const char *v);

/* Compare two versions: <0, 0, >0. Invalid versions sort before every
 * valid one and among themselves by strcmp(), so the order is total. */
int condaver_cmp(const char *a, const char *b);

/* conda's VersionOrder.startswith: does v begin with prefix, component by
 * component ("2.3.1" starts with "2.3", "2.30" does not; "1.1a1" starts
 * with "1.1a")? 0 when either is invalid. */
int condaver_startswith(const char *v, const char *prefix);

struct condaver_node;                /* private: one node of the spec tree */

struct condaver_spec {
    char *text;                      /* normalized text (blanks removed) */
    struct condaver_node *root;
    int exact;                       /* matches one version: "2.3.1", "==2.3.1" */
};

int condaver_spec_parse(const char *text, struct condaver_spec *out, char **err);

/* The same with FLAGS: CONDAVER_UNTRUSTED for specs that come from
 * repodata (a mirror's data, not the user): a "^...$" regex in them is
 * never compiled and matches nothing. A trusted regex is compiled only
 * within condapat.h's bounds (length, no counted or stacked repetition). */
#define CONDAVER_UNTRUSTED 1
int condaver_spec_parse_as(const char *text, int flags, struct condaver_spec *out, char **err);

/* Does version satisfy spec? 1 or 0. An invalid version matches only
 * text-based specs ("*", globs, regexes). */
int condaver_spec_match(const struct condaver_spec *spec, const char *version);

/* The lowest version the spec can match, as text inside the spec, or NULL
 * when the spec has no lower bound ("<2", "!=1.0", "*", globs). *inclusive
 * says whether the bound itself matches (">=2.6", "=2.6", "2.6.*": yes;
 * ">2.5": no). Used to tell "asks for something newer than the channel". */
const char *condaver_spec_lower_bound(const struct condaver_spec *spec, int *inclusive);

void condaver_spec_free(struct condaver_spec *spec);

#endif
