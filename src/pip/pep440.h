/* pep440.h — Python package versions and version specifiers (PEP 440).
 *
 * Versions are parsed with the grammar pip (packaging) accepts: optional
 * leading "v", epoch "N!", release "N(.N)*", pre-release (a, b, rc; the
 * spellings alpha, beta, c, pre, preview are normalised), post-release
 * (".postN", "-N", "rev", "r", implicit number 0), dev release and a local
 * label after "+" split on ".", "-" or "_". Case and surrounding white space
 * are ignored. Ordering follows PEP 440 exactly (1.0.dev0 < 1.0a1 < 1.0 <
 * 1.0+cpu < 1.0.post1, trailing zeros in the release are insignificant,
 * numeric local segments sort above alphanumeric ones).
 *
 * Specifier sets ("comma-separated clauses") use pip's matching rules:
 *   ==V      V without a local label ignores the candidate's local label
 *            (==2.3.1 matches 2.3.1+cu121); with one it must match it too
 *   ==V.*    prefix match on the release (no pre/post/dev/local with .*)
 *   !=       the negation of the above
 *   <=, >=   compare against the candidate's public version
 *   <V       excludes pre-releases of V itself unless V is a pre-release
 *   >V       excludes post-releases of V (unless V is one) and V+local
 *   ~=V      >=V and ==prefix.* where prefix is V's release minus its last part
 *   ===S     case-insensitive string equality with the normalised candidate
 * Pre-releases (a, b, rc, dev) only match when allow_pre is set or when one
 * clause (==, >=, <=, ~=, ===) itself names a pre-release; an empty set
 * matches every final release.
 *
 * Memory: pep440_parse/pep440_specset_parse fill caller-provided structs
 * which must be released with pep440_free/pep440_specset_free (safe on
 * zeroed structs and after a failed parse). Returned char * are owned by
 * the caller. */
#ifndef TORCHSHIM_PEP440_H
#define TORCHSHIM_PEP440_H

#include <stddef.h>

enum pep440_pre {
    PEP440_PRE_NONE = 0,
    PEP440_PRE_A,
    PEP440_PRE_B,
    PEP440_PRE_RC,
};

struct pep440 {
    unsigned long long epoch;
    unsigned long long *release;   /* nrelease >= 1 after a successful parse */
    size_t nrelease;
    enum pep440_pre pre;
    unsigned long long pre_n;
    int has_post;
    unsigned long long post;
    int has_dev;
    unsigned long long dev;
    char *local;                   /* normalised ("cu121", "cpu.cxx11.abi") or NULL */
};

/* 0 and a filled *v, or -1 (invalid version; *v is left zeroed). */
int pep440_parse(const char *s, struct pep440 *v);
void pep440_free(struct pep440 *v);
void pep440_copy(struct pep440 *dst, const struct pep440 *src);

/* <0, 0, >0 like strcmp. pep440_cmp_public ignores both local labels. */
int pep440_cmp(const struct pep440 *a, const struct pep440 *b);
int pep440_cmp_public(const struct pep440 *a, const struct pep440 *b);
/* Epoch and release only (2.6.0.dev1+cu124 vs 2.6 -> 0). */
int pep440_cmp_base(const struct pep440 *a, const struct pep440 *b);

/* Normalised text: "1!2.3.1rc1.post2.dev3+cu121". pep440_public_str omits
 * the local label; pep440_base_str is epoch and release only. */
char *pep440_str(const struct pep440 *v);
char *pep440_public_str(const struct pep440 *v);
char *pep440_base_str(const struct pep440 *v);

const char *pep440_local(const struct pep440 *v);  /* NULL when none */
int pep440_is_pre(const struct pep440 *v);         /* a/b/rc or dev */
int pep440_is_post(const struct pep440 *v);
int pep440_is_dev(const struct pep440 *v);

enum pep440_op {
    PEP440_OP_EQ,        /* == */
    PEP440_OP_NE,        /* != */
    PEP440_OP_LT,        /* <  */
    PEP440_OP_LE,        /* <= */
    PEP440_OP_GT,        /* >  */
    PEP440_OP_GE,        /* >= */
    PEP440_OP_COMPAT,    /* ~= */
    PEP440_OP_ARBITRARY, /* === */
};

struct pep440_spec {
    enum pep440_op op;
    int wildcard;          /* ==V.* / !=V.* */
    struct pep440 v;       /* unset (zeroed) for === */
    char *text;            /* === operand as written; else the normalised version */
};

struct pep440_specset {
    struct pep440_spec *specs;
    size_t n;
};

/* Parse "", ">=1.13,<2.4", "== 2.3.*", "~=2.2.0". 0 ok; -1 with *err set to
 * a malloc'd message (when err is not NULL). */
int pep440_specset_parse(const char *s, struct pep440_specset *out, char **err);
void pep440_specset_free(struct pep440_specset *ss);

/* Does v satisfy every clause? allow_pre as described above. */
int pep440_specset_match(const struct pep440_specset *ss, const struct pep440 *v,
                         int allow_pre);

/* Would a pre-release be accepted because a clause names one? */
int pep440_specset_names_pre(const struct pep440_specset *ss);

/* A single "==V" clause without wildcard: returns 1 and, when pinned is not
 * NULL, points *pinned at V. Otherwise 0. */
int pep440_specset_is_exact(const struct pep440_specset *ss, const struct pep440 **pinned);

/* Normalised text: clauses joined by "," in their original order ("" when
 * empty). */
char *pep440_specset_str(const struct pep440_specset *ss);

#endif
