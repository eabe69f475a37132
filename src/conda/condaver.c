/* condaver.c — see condaver.h. */
#include "condaver.h"

#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condapat.h"
#include "msg.h"


/* ---------------------------------------------------------------------
 * Parsed versions
 * ------------------------------------------------------------------- */

enum atom_kind { A_NUM, A_INF, A_STR };

/* One run of digits or of non-digits. A number is kept as its digits
 * without leading zeros (zero is the empty run), so numbers of any length
 * compare exactly. "post" is A_INF; "dev" becomes the string "DEV", which
 * sorts below every lower-case string (and strings sort below numbers). */
struct atom {
    const char *s;
    size_t len;
    enum atom_kind kind;
};

struct comp {
    size_t first, n;                 /* atoms[first .. first+n) */
};

struct ver {
    char *buf;                       /* normalized text the atoms point into */
    struct atom *atoms;
    struct comp *comps;              /* [0, nver): epoch + version; then local */
    size_t nver, nlocal;
};

/* A run of components of one version: its main part or its local part. */
struct span {
    const struct ver *v;
    size_t first, n;
};

static const struct atom zero_atom = { "", 0, A_NUM };
static const char dev_str[] = "DEV";

static void ver_free(struct ver *v)
{
    free(v->buf);
    free(v->atoms);
    free(v->comps);
    memset(v, 0, sizeof *v);
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static int is_version_char(int c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') ||
           c == '*' || c == '.' || c == '+' || c == '!' || c == '_';
}

static int all_version_chars(const char *s)
{
    for (; *s; s++)
        if (!is_version_char((unsigned char)*s))
            return 0;
    return 1;
}

/* Split one component s[0..len) into runs, appending atoms. */
static void parse_runs(struct ver *v, size_t *natoms, const char *s, size_t len,
                       struct comp *c)
{
    c->first = *natoms;
    c->n = 0;
    if (!is_digit((unsigned char)s[0])) {
        /* keep numbers and strings in phase: "1.1.a1" == "1.1.0a1" */
        v->atoms[(*natoms)++] = zero_atom;
        c->n++;
    }
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        struct atom a;
        if (is_digit((unsigned char)s[i])) {
            while (j < len && is_digit((unsigned char)s[j]))
                j++;
            size_t k = i;
            while (k < j && s[k] == '0')
                k++;
            a.s = s + k;
            a.len = j - k;
            a.kind = A_NUM;
        } else if (s[i] == '*') {
            while (j < len && s[j] == '*')
                j++;
            a.s = s + i;
            a.len = j - i;
            a.kind = A_STR;
        } else {
            while (j < len && !is_digit((unsigned char)s[j]) && s[j] != '*')
                j++;
            a.s = s + i;
            a.len = j - i;
            a.kind = A_STR;
            if (a.len == 4 && memcmp(a.s, "post", 4) == 0)
                a.kind = A_INF;
            else if (a.len == 3 && memcmp(a.s, "dev", 3) == 0)
                a.s = dev_str;
        }
        v->atoms[(*natoms)++] = a;
        c->n++;
        i = j;
    }
}

/* Split s (components separated by '.') into components appended at
 * comps[*ncomps]. */
static int split_components(struct ver *v, size_t *natoms, size_t *ncomps,
                            const char *s, const char *what, const char *text,
                            char **err)
{
    size_t len = strlen(s), i = 0;
    for (;;) {
        size_t j = i;
        while (j < len && s[j] != '.')
            j++;
        if (j == i)
            return seterr(err, "empty component in the %s part of '%s'", what, text);
        parse_runs(v, natoms, s + i, j - i, &v->comps[(*ncomps)++]);
        if (j == len)
            return 0;
        i = j + 1;
    }
}

/* Replace '_' by '.', except a trailing '_' which conda keeps on the last
 * component (openssl-style "1.0.1_"). */
static void underscores_to_dots(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (s[i] == '_' && i + 1 < n)
            s[i] = '.';
}

/* "N!main+local": cut the epoch and the local part off *main_s. */
static int split_parts(char **main_s, char **epoch_s, char **local_s, const char *text,
                       size_t len, char **err)
{
    char *bang = strchr(*main_s, '!');
    if (bang) {
        if (strchr(bang + 1, '!'))
            return seterr(err, "duplicated epoch separator '!' in '%.*s'", (int)len, text);
        size_t elen = (size_t)(bang - *main_s);
        if (elen == 0 || strspn(*main_s, "0123456789") != elen)
            return seterr(err, "epoch must be an integer in '%.*s'", (int)len, text);
        *bang = '\0';
        *epoch_s = *main_s;
        *main_s = bang + 1;
    }
    char *plus = strchr(*main_s, '+');
    if (plus) {
        if (strchr(plus + 1, '+'))
            return seterr(err, "duplicated local version separator '+' in '%.*s'", (int)len,
                          text);
        *plus = '\0';
        *local_s = plus + 1;
    }
    return 0;
}

static int ver_parse(const char *text, struct ver *v, char **err)
{
    memset(v, 0, sizeof *v);
    if (!text)
        return seterr(err, "no version given");
    while (isspace((unsigned char)*text))
        text++;
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len == 0)
        return seterr(err, "empty version string");

    /* buf holds "<epoch>\0<version>\0<local>\0": at most len + 3 bytes
     * (the default epoch "0" replaces an absent "N!"). */
    v->buf = xmalloc(len + 4);
    char *b = v->buf;
    memcpy(b, "0", 2);
    char *main_s = b + 2;
    for (size_t i = 0; i < len; i++)
        main_s[i] = (char)tolower((unsigned char)text[i]);
    main_s[len] = '\0';
    main_s[len + 1] = '\0';

    if (!all_version_chars(main_s) && strchr(main_s, '-') && !strchr(main_s, '_'))
        for (char *p = main_s; *p; p++)
            if (*p == '-')
                *p = '_';
    if (!all_version_chars(main_s)) {
        int r = seterr(err, "invalid character(s) in version '%.*s'", (int)len, text);
        ver_free(v);
        return r;
    }

    char *epoch_s = b, *local_s = NULL;
    if (split_parts(&main_s, &epoch_s, &local_s, text, len, err) < 0) {
        ver_free(v);
        return -1;
    }
    underscores_to_dots(main_s);
    if (local_s)
        for (char *p = local_s; *p; p++)
            if (*p == '_')
                *p = '.';

    /* Worst case: every character its own component with a fill atom. */
    v->atoms = xmalloc((2 * len + 8) * sizeof *v->atoms);
    v->comps = xmalloc((len + 4) * sizeof *v->comps);
    size_t natoms = 0, ncomps = 0;
    parse_runs(v, &natoms, epoch_s, strlen(epoch_s), &v->comps[ncomps++]);
    if (split_components(v, &natoms, &ncomps, main_s, "version", text, err) < 0) {
        ver_free(v);
        return -1;
    }
    v->nver = ncomps;
    if (local_s) {
        if (split_components(v, &natoms, &ncomps, local_s, "local", text, err) < 0) {
            ver_free(v);
            return -1;
        }
        v->nlocal = ncomps - v->nver;
    }
    return 0;
}

static struct span main_span(const struct ver *v)
{
    struct span s = { v, 0, v->nver };
    return s;
}

static struct span local_span(const struct ver *v)
{
    struct span s = { v, v->nver, v->nlocal };
    return s;
}

static int atom_cmp(const struct atom *a, const struct atom *b)
{
    if (a->kind == A_STR || b->kind == A_STR) {
        if (a->kind != A_STR)
            return 1;                /* strings sort below numbers */
        if (b->kind != A_STR)
            return -1;
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->s, b->s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return (a->len > b->len) - (a->len < b->len);
    }
    if (a->kind == A_INF || b->kind == A_INF)
        return (a->kind == A_INF) - (b->kind == A_INF);
    if (a->len != b->len)
        return a->len < b->len ? -1 : 1;
    int c = memcmp(a->s, b->s, a->len);
    return (c > 0) - (c < 0);
}

static const struct atom *atom_at(const struct ver *v, const struct comp *c, size_t i)
{
    return c && i < c->n ? &v->atoms[c->first + i] : &zero_atom;
}

/* Compare the first `na` atoms of component ca with the first `nb` of cb,
 * missing atoms counting as 0. */
static int comp_cmp_n(const struct ver *va, const struct comp *ca, size_t na,
                      const struct ver *vb, const struct comp *cb, size_t nb)
{
    size_t n = na > nb ? na : nb;
    for (size_t i = 0; i < n; i++) {
        const struct atom *x = i < na ? atom_at(va, ca, i) : &zero_atom;
        const struct atom *y = i < nb ? atom_at(vb, cb, i) : &zero_atom;
        int c = atom_cmp(x, y);
        if (c)
            return c;
    }
    return 0;
}

static int span_cmp(struct span a, struct span b)
{
    size_t n = a.n > b.n ? a.n : b.n;
    for (size_t i = 0; i < n; i++) {
        const struct comp *ca = i < a.n ? &a.v->comps[a.first + i] : NULL;
        const struct comp *cb = i < b.n ? &b.v->comps[b.first + i] : NULL;
        int c = comp_cmp_n(a.v, ca, ca ? ca->n : 0, b.v, cb, cb ? cb->n : 0);
        if (c)
            return c;
    }
    return 0;
}

static int ver_cmp(const struct ver *a, const struct ver *b)
{
    int c = span_cmp(main_span(a), main_span(b));
    return c ? c : span_cmp(local_span(a), local_span(b));
}

/* VersionOrder.startswith: t1 (the version) against t2 (the prefix): all
 * components of the prefix but its last must be equal; in the last one,
 * all atoms but the last must be equal and the last must be equal (a
 * number) or a string prefix of the version's (a string). */
static int ver_startswith(const struct ver *v, const struct ver *p)
{
    struct span t1, t2;
    if (p->nlocal) {
        if (span_cmp(main_span(v), main_span(p)) != 0)
            return 0;
        t1 = local_span(v);
        t2 = local_span(p);
    } else {
        t1 = main_span(v);
        t2 = main_span(p);
    }
    size_t nt = t2.n - 1;
    struct span h1 = { t1.v, t1.first, t1.n < nt ? t1.n : nt };
    struct span h2 = { t2.v, t2.first, nt };
    if (span_cmp(h1, h2) != 0)
        return 0;
    const struct comp *c1 = t1.n > nt ? &t1.v->comps[t1.first + nt] : NULL;
    const struct comp *c2 = &t2.v->comps[t2.first + nt];
    size_t na = c2->n - 1;
    size_t n1 = c1 ? (c1->n < na ? c1->n : na) : 0;
    if (comp_cmp_n(t1.v, c1, n1, t2.v, c2, na) != 0)
        return 0;
    const struct atom *a1 = atom_at(t1.v, c1, na);
    const struct atom *a2 = atom_at(t2.v, c2, na);
    if (a2->kind == A_STR)
        return a1->kind == A_STR && a1->len >= a2->len &&
               memcmp(a1->s, a2->s, a2->len) == 0;
    return atom_cmp(a1, a2) == 0;
}

int condaver_valid(const char *v)
{
    struct ver pv;
    if (ver_parse(v, &pv, NULL) < 0)
        return 0;
    ver_free(&pv);
    return 1;
}

int condaver_cmp(const char *a, const char *b)
{
    struct ver va, vb;
    int oka = ver_parse(a, &va, NULL) == 0;
    int okb = ver_parse(b, &vb, NULL) == 0;
    int c;
    if (oka && okb)
        c = ver_cmp(&va, &vb);
    else if (oka != okb)
        c = oka ? 1 : -1;
    else
        c = strcmp(a ? a : "", b ? b : "");
    if (oka)
        ver_free(&va);
    if (okb)
        ver_free(&vb);
    return (c > 0) - (c < 0);
}

int condaver_startswith(const char *v, const char *prefix)
{
    struct ver vv, vp;
    if (ver_parse(v, &vv, NULL) < 0)
        return 0;
    if (ver_parse(prefix, &vp, NULL) < 0) {
        ver_free(&vv);
        return 0;
    }
    int r = ver_startswith(&vv, &vp);
    ver_free(&vv);
    ver_free(&vp);
    return r;
}

/* ---------------------------------------------------------------------
 * Version specs
 * ------------------------------------------------------------------- */

enum op {
    OP_ANY,          /* "*" */
    OP_EQ,           /* "2.3.1", "==2.3.1" */
    OP_NE,           /* "!=2.3.1" */
    OP_LT, OP_LE, OP_GT, OP_GE,
    OP_STARTS,       /* "2.3.*", "2.3*", "=2.3" */
    OP_NOTSTARTS,    /* "!=8.3.*" */
    OP_COMPAT,       /* "~=2.3.0": >=2.3.0 and starts with 2.3 */
    OP_GLOB,         /* "1.*.3": matched against the text */
    OP_REGEX,        /* "^...$" */
    OP_TEXT,         /* contains '@': exact text */
    OP_AND, OP_OR
};

struct condaver_node {
    enum op op;
    char *arg;                       /* version text of a leaf */
    struct ver v;                    /* parsed arg (relational leaves) */
    struct ver prefix;               /* OP_COMPAT: arg minus its last component */
    regex_t re;                      /* OP_REGEX, when compiled */
    int compiled;                    /* re holds a compiled regex */
    struct condaver_node **kids;     /* OP_AND / OP_OR */
    size_t nkids;
};

static void node_free(struct condaver_node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    if (n->compiled)
        regfree(&n->re);
    ver_free(&n->v);
    ver_free(&n->prefix);
    free(n->arg);
    free(n);
}

static struct condaver_node *node_new(enum op op)
{
    struct condaver_node *n = xcalloc(1, sizeof *n);
    n->op = op;
    return n;
}

static void node_add(struct condaver_node *parent, struct condaver_node *kid)
{
    parent->kids = xrealloc(parent->kids, (parent->nkids + 1) * sizeof *parent->kids);
    parent->kids[parent->nkids++] = kid;
}

struct lexer {
    const char *s;                   /* the whole spec (for messages) */
    const char *p;
    char **err;
    int depth;                       /* parentheses open */
    int flags;                       /* CONDAVER_UNTRUSTED: no regex compiled */
};

#define MAX_DEPTH 32

static void skip_blanks(struct lexer *lx)
{
    while (isspace((unsigned char)*lx->p))
        lx->p++;
}

static int is_glob_char(int c)
{
    return is_digit(c) || isalpha(c) || c == '*' || c == '.' || c == '+' ||
           c == '!' || c == '_' || c == '-' || c == '@';
}

/* A "^...$" leaf: compiled only for a trusted spec and within
 * condapat's bounds; from repodata it is kept as text and matches nothing. */
static struct condaver_node *regex_leaf(struct lexer *lx, const char *t)
{
    struct condaver_node *n = node_new(OP_REGEX);
    n->arg = xstrdup(t);
    if (lx->flags & CONDAVER_UNTRUSTED)
        return n;
    char *why = NULL;
    if (condapat_regex_check(t, &why) < 0) {
        seterr(lx->err, "version spec '%s': %s", t, why);
        free(why);
        node_free(n);
        return NULL;
    }
    if (regcomp(&n->re, t, REG_EXTENDED | REG_NOSUB) != 0) {
        node_free(n);
        seterr(lx->err, "invalid regex in version spec '%s'", t);
        return NULL;
    }
    n->compiled = 1;
    return n;
}

/* "~=2.3.0" also needs the prefix 2.3: the version minus its last component. */
static int compat_prefix(struct lexer *lx, struct condaver_node *n, const char *t)
{
    const char *arg = n->arg, *end = strchr(arg, '+');
    size_t cut = end ? (size_t)(end - arg) : strlen(arg);
    while (cut > 0 && arg[cut - 1] != '.' && arg[cut - 1] != '_' && arg[cut - 1] != '!')
        cut--;
    if (cut < 2 || arg[cut - 1] == '!')
        return seterr(lx->err, "'~=' needs at least two components in '%s'", t);
    char *pre = xstrndup(arg, cut - 1);
    int r = ver_parse(pre, &n->prefix, NULL);
    free(pre);
    return r < 0 ? seterr(lx->err, "invalid version spec '%s'", t) : 0;
}

/* An operator leaf: "==2.3.1", ">=2.1", "!=8.3.*", "~=2.3.0", "=2.3". */
static struct condaver_node *op_leaf(struct lexer *lx, const char *t)
{
    static const struct { const char *tok; enum op op; } ops[] = {
        { "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
        { "~=", OP_COMPAT }, { "=", OP_STARTS }, { "<", OP_LT }, { ">", OP_GT },
    };
    size_t oplen = 0;
    enum op op = OP_ANY;
    for (size_t k = 0; k < sizeof ops / sizeof ops[0] && !oplen; k++)
        if (strncmp(t, ops[k].tok, strlen(ops[k].tok)) == 0) {
            op = ops[k].op;
            oplen = strlen(ops[k].tok);
        }
    const char *vs = t + oplen;
    if (!oplen || !*vs || strchr("=<>!~", *vs)) {
        seterr(lx->err, "invalid operator in version spec '%s'", t);
        return NULL;
    }
    char *arg = xstrdup(vs);
    size_t al = strlen(arg);
    int star = 0;
    if (al >= 2 && strcmp(arg + al - 2, ".*") == 0) {
        arg[al - 2] = '\0';
        star = 1;
    } else if (al >= 2 && arg[al - 1] == '*' && (op == OP_STARTS || op == OP_GE)) {
        arg[al - 1] = '\0';
        star = 1;
    }
    if (star && op == OP_COMPAT) {
        free(arg);
        seterr(lx->err, "'~=' cannot be combined with '.*' in '%s'", t);
        return NULL;
    }
    if (star)
        op = op == OP_NE ? OP_NOTSTARTS : op == OP_EQ ? OP_STARTS : op;  /* "==2.3.*" */
    struct condaver_node *n = node_new(op);
    n->arg = arg;
    char *verr = NULL;
    if (ver_parse(arg, &n->v, &verr) < 0) {
        seterr(lx->err, "invalid version spec '%s': %s", t, verr);
        free(verr);
    } else if (op != OP_COMPAT || compat_prefix(lx, n, t) == 0) {
        return n;
    }
    node_free(n);
    return NULL;
}

/* A leaf without an operator: "*", a glob "1.*.3", "2.3.*" / "2.3*",
 * text with '@', or an exact version. */
static struct condaver_node *plain_leaf(struct lexer *lx, const char *t)
{
    size_t len = strlen(t);
    if (strcmp(t, "*") == 0)
        return node_new(OP_ANY);
    for (const char *q = t; *q; q++)
        if (!is_glob_char((unsigned char)*q)) {
            seterr(lx->err, "invalid character '%c' in version spec '%s'", *q, lx->s);
            return NULL;
        }
    size_t stripped = len;
    while (stripped && t[stripped - 1] == '*')
        stripped--;
    struct condaver_node *n;
    int glob = memchr(t, '*', stripped) != NULL;
    if (glob || (t[len - 1] != '*' && strchr(t, '@'))) {
        n = node_new(glob ? OP_GLOB : OP_TEXT);
        n->arg = xstrdup(t);
        return n;
    }
    if (t[len - 1] == '*') {
        /* "2.3.*" and "2.3*" both mean "starts with 2.3" */
        size_t l = stripped;
        if (l && t[l - 1] == '.')
            l--;
        n = node_new(OP_STARTS);
        n->arg = xstrndup(t, l);
    } else {
        n = node_new(OP_EQ);
        n->arg = xstrdup(t);
    }
    char *verr = NULL;
    if (ver_parse(n->arg, &n->v, &verr) < 0) {
        seterr(lx->err, "invalid version spec '%s': %s", t, verr);
        free(verr);
        node_free(n);
        return NULL;
    }
    return n;
}

/* Compile one leaf of the spec: t is its trimmed text. */
static struct condaver_node *leaf_compile(struct lexer *lx, const char *t)
{
    size_t len = strlen(t);
    if (t[0] == '^' || t[len - 1] == '$') {
        if (t[0] != '^' || t[len - 1] != '$') {
            seterr(lx->err, "regex version spec '%s' must start with '^' and end with '$'", t);
            return NULL;
        }
        return regex_leaf(lx, t);
    }
    if (strchr("=<>!~", t[0]))
        return op_leaf(lx, t);
    return plain_leaf(lx, t);
}

static struct condaver_node *parse_or(struct lexer *lx);

static struct condaver_node *parse_leaf(struct lexer *lx)
{
    skip_blanks(lx);
    if (*lx->p == '(') {
        if (++lx->depth > MAX_DEPTH) {
            seterr(lx->err, "version spec '%.40s...' nests too deeply", lx->s);
            return NULL;
        }
        lx->p++;
        struct condaver_node *n = parse_or(lx);
        if (!n)
            return NULL;
        lx->depth--;
        skip_blanks(lx);
        if (*lx->p != ')') {
            seterr(lx->err, "missing ')' in version spec '%s'", lx->s);
            node_free(n);
            return NULL;
        }
        lx->p++;
        return n;
    }
    const char *start = lx->p;
    if (*lx->p == '^') {
        const char *dollar = strchr(lx->p, '$');
        if (!dollar) {
            seterr(lx->err, "regex in version spec '%s' has no closing '$'", lx->s);
            return NULL;
        }
        lx->p = dollar + 1;
    } else {
        while (*lx->p && !strchr("()|,", *lx->p))
            lx->p++;
    }
    const char *end = lx->p;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    if (end == start) {
        seterr(lx->err, "empty term in version spec '%s'", lx->s);
        return NULL;
    }
    /* blanks between an operator and its version are tolerated ("< 2.0"),
     * anywhere else they are an error ("1.0 2.0") */
    char *t = xmalloc((size_t)(end - start) + 1);
    size_t k = 0;
    const char *q = start;
    if (*start != '^') {
        while (q < end && strchr("=<>!~", *q))
            t[k++] = *q++;
        while (q < end && isspace((unsigned char)*q))
            q++;
        for (const char *r = q; r < end; r++)
            if (isspace((unsigned char)*r)) {
                free(t);
                seterr(lx->err, "blank inside a version in spec '%s'", lx->s);
                return NULL;
            }
    }
    while (q < end)
        t[k++] = *q++;
    t[k] = '\0';
    struct condaver_node *n = leaf_compile(lx, t);
    free(t);
    return n;
}

static struct condaver_node *parse_list(struct lexer *lx, char sep, enum op op,
                                        struct condaver_node *(*sub)(struct lexer *))
{
    struct condaver_node *first = sub(lx);
    if (!first)
        return NULL;
    skip_blanks(lx);
    if (*lx->p != sep)
        return first;
    struct condaver_node *n = node_new(op);
    node_add(n, first);
    while (*lx->p == sep) {
        lx->p++;
        struct condaver_node *k = sub(lx);
        if (!k) {
            node_free(n);
            return NULL;
        }
        node_add(n, k);
        skip_blanks(lx);
    }
    return n;
}

static struct condaver_node *parse_and(struct lexer *lx)
{
    return parse_list(lx, ',', OP_AND, parse_leaf);
}

static struct condaver_node *parse_or(struct lexer *lx)
{
    return parse_list(lx, '|', OP_OR, parse_and);
}

int condaver_spec_parse(const char *text, struct condaver_spec *out, char **err)
{
    return condaver_spec_parse_as(text, 0, out, err);
}

int condaver_spec_parse_as(const char *text, int flags, struct condaver_spec *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return seterr(err, "no version spec given");
    struct lexer lx = { text, text, err, 0, flags };
    skip_blanks(&lx);
    if (!*lx.p)
        return seterr(err, "empty version spec");
    struct condaver_node *root = parse_or(&lx);
    if (!root)
        return -1;
    skip_blanks(&lx);
    if (*lx.p) {
        seterr(err, "unexpected '%c' in version spec '%s'", *lx.p, text);
        node_free(root);
        return -1;
    }
    size_t n = strlen(text), k = 0;
    out->text = xmalloc(n + 1);
    int in_regex = 0;
    for (const char *q = text; *q; q++) {
        if (*q == '^')
            in_regex = 1;
        else if (*q == '$')
            in_regex = 0;
        if (in_regex || !isspace((unsigned char)*q))
            out->text[k++] = *q;
    }
    out->text[k] = '\0';
    out->root = root;
    out->exact = root->op == OP_EQ || root->op == OP_TEXT;
    return 0;
}

static int node_match(const struct condaver_node *n, const char *text,
                      const struct ver *v)
{
    switch (n->op) {
    case OP_ANY:
        return 1;
    case OP_AND:
        for (size_t i = 0; i < n->nkids; i++)
            if (!node_match(n->kids[i], text, v))
                return 0;
        return 1;
    case OP_OR:
        for (size_t i = 0; i < n->nkids; i++)
            if (node_match(n->kids[i], text, v))
                return 1;
        return 0;
    case OP_GLOB:
        return condapat_glob(n->arg, text, 0);
    case OP_REGEX:
        return n->compiled && regexec(&n->re, text, 0, NULL, 0) == 0;
    case OP_TEXT:
        return strcmp(n->arg, text) == 0;
    default:
        break;
    }
    if (!v)
        return 0;
    switch (n->op) {
    case OP_EQ:        return ver_cmp(v, &n->v) == 0;
    case OP_NE:        return ver_cmp(v, &n->v) != 0;
    case OP_LT:        return ver_cmp(v, &n->v) < 0;
    case OP_LE:        return ver_cmp(v, &n->v) <= 0;
    case OP_GT:        return ver_cmp(v, &n->v) > 0;
    case OP_GE:        return ver_cmp(v, &n->v) >= 0;
    case OP_STARTS:    return ver_startswith(v, &n->v);
    case OP_NOTSTARTS: return !ver_startswith(v, &n->v);
    case OP_COMPAT:    return ver_cmp(v, &n->v) >= 0 && ver_startswith(v, &n->prefix);
    default:           return 0;
    }
}

int condaver_spec_match(const struct condaver_spec *spec, const char *version)
{
    if (!spec || !spec->root)
        return 1;
    if (!version)
        return 0;
    if (spec->root->op == OP_ANY)
        return 1;
    struct ver v;
    int ok = ver_parse(version, &v, NULL) == 0;
    int r = node_match(spec->root, version, ok ? &v : NULL);
    if (ok)
        ver_free(&v);
    return r;
}

static const char *node_lower_bound(const struct condaver_node *n, int *incl)
{
    switch (n->op) {
    case OP_EQ: case OP_GE: case OP_STARTS: case OP_COMPAT:
        *incl = 1;
        return n->arg;
    case OP_GT:
        *incl = 0;
        return n->arg;
    case OP_AND: {
        /* the tightest (highest) bound of the parts */
        const char *best = NULL;
        int best_incl = 1;
        for (size_t i = 0; i < n->nkids; i++) {
            int ki;
            const char *b = node_lower_bound(n->kids[i], &ki);
            if (!b)
                continue;
            int c = best ? condaver_cmp(b, best) : 1;
            if (c > 0 || (c == 0 && !ki)) {
                best = b;
                best_incl = ki;
            }
        }
        *incl = best_incl;
        return best;
    }
    case OP_OR: {
        /* the loosest (lowest) bound; none if any part is unbounded */
        const char *best = NULL;
        int best_incl = 0;
        for (size_t i = 0; i < n->nkids; i++) {
            int ki;
            const char *b = node_lower_bound(n->kids[i], &ki);
            if (!b)
                return NULL;
            int c = best ? condaver_cmp(b, best) : -1;
            if (c < 0 || (c == 0 && ki)) {
                best = b;
                best_incl = ki;
            }
        }
        *incl = best_incl;
        return best;
    }
    default:
        return NULL;
    }
}

const char *condaver_spec_lower_bound(const struct condaver_spec *spec, int *inclusive)
{
    int incl = 0;
    const char *b = spec && spec->root ? node_lower_bound(spec->root, &incl) : NULL;
    if (inclusive)
        *inclusive = b ? incl : 0;
    return b;
}

void condaver_spec_free(struct condaver_spec *spec)
{
    if (!spec)
        return;
    node_free(spec->root);
    free(spec->text);
    memset(spec, 0, sizeof *spec);
}
