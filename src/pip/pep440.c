/* pep440.c — see pep440.h. */
#include "pep440.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"

/* ---- small text helpers ---- */

static int is_sep(int c)
{
    return c == '.' || c == '-' || c == '_';
}

/* Digits at *pp into *out; 0 when at least one digit was read and the value
 * fits, -1 otherwise (*pp is then unchanged). */
static int parse_num(const char **pp, unsigned long long *out)
{
    const char *p = *pp;
    unsigned long long n = 0;
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (n > (~0ULL - d) / 10)
            return -1;
        n = n * 10 + d;
    }
    *pp = p;
    *out = n;
    return 0;
}

/* If p starts with word (lowercase input), return the end of it. */
static const char *skip_word(const char *p, const char *word)
{
    size_t n = strlen(word);
    return strncmp(p, word, n) == 0 ? p + n : NULL;
}

/* After a keyword: an optional separator and number. The separator is only
 * consumed together with digits (so "1.0a.dev1" keeps ".dev1"). */
static const char *keyword_number(const char *p, unsigned long long *n, int *ok)
{
    const char *q = is_sep(*p) ? p + 1 : p;
    *n = 0;
    *ok = 1;
    if (isdigit((unsigned char)*q)) {
        if (parse_num(&q, n) < 0)
            *ok = 0;
        return q;
    }
    return p;
}

static const struct {
    const char *word;
    enum pep440_pre kind;
} pre_words[] = {
    /* longest spelling first: "alpha" before "a", "preview" before "pre" */
    { "alpha", PEP440_PRE_A },
    { "a", PEP440_PRE_A },
    { "beta", PEP440_PRE_B },
    { "b", PEP440_PRE_B },
    { "preview", PEP440_PRE_RC },
    { "pre", PEP440_PRE_RC },
    { "rc", PEP440_PRE_RC },
    { "c", PEP440_PRE_RC },
};

static const char *const post_words[] = { "post", "rev", "r" };

/* Normalise a local label in place-ish: lowercase, "." separators, numeric
 * segments without leading zeros. NULL when the label is malformed. */
static char *normalise_local(const char *s)
{
    size_t len = strlen(s);
    char *out = xmalloc(len + 1);
    size_t o = 0;
    const char *p = s;
    for (;;) {
        const char *start = p;
        while (isalnum((unsigned char)*p))
            p++;
        if (p == start) {
            free(out);
            return NULL;
        }
        int numeric = 1;
        for (const char *q = start; q < p; q++)
            if (!isdigit((unsigned char)*q))
                numeric = 0;
        if (numeric) {
            while (start + 1 < p && *start == '0')
                start++;
        }
        for (const char *q = start; q < p; q++)
            out[o++] = (char)tolower((unsigned char)*q);
        if (*p == '\0')
            break;
        if (!is_sep(*p)) {
            free(out);
            return NULL;
        }
        out[o++] = '.';
        p++;
    }
    out[o] = '\0';
    return out;
}

/* ---- parsing ---- */

/* Each part parses at *p and moves it on; -1 when malformed. */

static int parse_release(const char **p, struct pep440 *v)
{
    unsigned long long n;
    size_t cap = 4;
    v->release = xmalloc(cap * sizeof *v->release);
    if (parse_num(p, &n) < 0)
        return -1;
    v->release[v->nrelease++] = n;
    while (**p == '.' && isdigit((unsigned char)(*p)[1])) {
        (*p)++;
        if (parse_num(p, &n) < 0)
            return -1;
        if (v->nrelease == cap) {
            cap *= 2;
            v->release = xrealloc(v->release, cap * sizeof *v->release);
        }
        v->release[v->nrelease++] = n;
    }
    return 0;
}

/* [sep]WORD[sep][N] for the first of WORDS that is there; *found set. */
static int parse_keyword(const char **p, const char *const *words, size_t nwords,
                         unsigned long long *num, size_t *found)
{
    const char *q = is_sep(**p) ? *p + 1 : *p;
    for (size_t i = 0; i < nwords; i++) {
        const char *e = skip_word(q, words[i]);
        if (!e)
            continue;
        int ok;
        *found = i;
        *p = keyword_number(e, num, &ok);
        return ok ? 0 : -1;
    }
    *found = nwords;
    return 0;
}

static int parse_pre(const char **p, struct pep440 *v)
{
    const char *words[sizeof pre_words / sizeof pre_words[0]];
    size_t n = sizeof words / sizeof *words, found;
    for (size_t i = 0; i < n; i++)
        words[i] = pre_words[i].word;
    if (parse_keyword(p, words, n, &v->pre_n, &found))
        return -1;
    if (found < n)
        v->pre = pre_words[found].kind;
    return 0;
}

/* "-N" or [sep](post|rev|r)[sep][N] */
static int parse_post(const char **p, struct pep440 *v)
{
    if (**p == '-' && isdigit((unsigned char)(*p)[1])) {
        (*p)++;
        v->has_post = 1;
        return parse_num(p, &v->post);
    }
    size_t n = sizeof post_words / sizeof post_words[0], found;
    if (parse_keyword(p, post_words, n, &v->post, &found))
        return -1;
    v->has_post = found < n;
    return 0;
}

static int parse_lower(const char *s, struct pep440 *v)
{
    const char *p = s, *q;
    unsigned long long n;
    static const char *const dev[] = { "dev" };
    size_t found;

    if (*p == 'v')
        p++;
    q = p;  /* epoch */
    if (parse_num(&q, &n) == 0 && *q == '!') {
        v->epoch = n;
        p = q + 1;
    }
    if (parse_release(&p, v) || parse_pre(&p, v) || parse_post(&p, v) ||
        parse_keyword(&p, dev, 1, &v->dev, &found))
        return -1;
    v->has_dev = found == 0;
    if (*p == '+') {  /* local label */
        v->local = normalise_local(p + 1);
        if (!v->local)
            return -1;
        p += strlen(p);
    }
    return *p == '\0' ? 0 : -1;
}

int pep440_parse(const char *s, struct pep440 *v)
{
    memset(v, 0, sizeof *v);
    if (!s)
        return -1;
    while (isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len && isspace((unsigned char)s[len - 1]))
        len--;
    char *low = xstrndup(s, len);
    for (char *c = low; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    int r = parse_lower(low, v);
    free(low);
    if (r < 0)
        pep440_free(v);
    return r;
}

void pep440_free(struct pep440 *v)
{
    if (!v)
        return;
    free(v->release);
    free(v->local);
    memset(v, 0, sizeof *v);
}

void pep440_copy(struct pep440 *dst, const struct pep440 *src)
{
    *dst = *src;
    dst->release = NULL;
    dst->local = NULL;
    if (src->nrelease) {
        dst->release = xmalloc(src->nrelease * sizeof *dst->release);
        memcpy(dst->release, src->release, src->nrelease * sizeof *dst->release);
    }
    if (src->local)
        dst->local = xstrdup(src->local);
}

/* ---- comparison ---- */

static int cmp_ull(unsigned long long a, unsigned long long b)
{
    return a < b ? -1 : a > b;
}

/* Epoch and release, trailing zeros insignificant. */
static int cmp_base(const struct pep440 *a, const struct pep440 *b)
{
    int c = cmp_ull(a->epoch, b->epoch);
    if (c)
        return c;
    size_t n = a->nrelease > b->nrelease ? a->nrelease : b->nrelease;
    for (size_t i = 0; i < n; i++) {
        unsigned long long x = i < a->nrelease ? a->release[i] : 0;
        unsigned long long y = i < b->nrelease ? b->release[i] : 0;
        c = cmp_ull(x, y);
        if (c)
            return c;
    }
    return 0;
}

/* Rank of the pre-release part: a dev release of a final version sorts
 * before all its pre-releases, a final after them. */
static int pre_rank(const struct pep440 *v)
{
    if (v->pre == PEP440_PRE_NONE)
        return (!v->has_post && v->has_dev) ? 0 : 4;
    return (int)v->pre; /* 1..3 */
}

static int is_numeric(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return n > 0;
}

/* Local labels: segment-wise; numbers compare numerically and sort above
 * alphanumeric segments; a label that is a prefix of the other is smaller. */
static int cmp_local(const char *a, const char *b)
{
    if (!a || !b)
        return (a != NULL) - (b != NULL);
    for (;;) {
        if (!*a || !*b)
            return (*a != '\0') - (*b != '\0');
        size_t na = strcspn(a, "."), nb = strcspn(b, ".");
        int da = is_numeric(a, na), db = is_numeric(b, nb);
        int c;
        if (da && db) {
            /* normalised: no leading zeros, so longer is larger */
            c = na != nb ? (na < nb ? -1 : 1) : strncmp(a, b, na);
        } else if (da != db) {
            c = da ? 1 : -1;
        } else {
            c = strncmp(a, b, na < nb ? na : nb);
            if (!c && na != nb)
                c = na < nb ? -1 : 1;
        }
        if (c)
            return c < 0 ? -1 : 1;
        a += na;
        b += nb;
        if (*a == '.')
            a++;
        if (*b == '.')
            b++;
    }
}

int pep440_cmp_public(const struct pep440 *a, const struct pep440 *b)
{
    int c = cmp_base(a, b);
    if (c)
        return c;
    int ra = pre_rank(a), rb = pre_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (a->pre != PEP440_PRE_NONE && (c = cmp_ull(a->pre_n, b->pre_n)))
        return c;
    if (a->has_post != b->has_post)
        return a->has_post ? 1 : -1;
    if (a->has_post && (c = cmp_ull(a->post, b->post)))
        return c;
    if (a->has_dev != b->has_dev)
        return a->has_dev ? -1 : 1;
    if (a->has_dev && (c = cmp_ull(a->dev, b->dev)))
        return c;
    return 0;
}

int pep440_cmp_base(const struct pep440 *a, const struct pep440 *b)
{
    return cmp_base(a, b);
}

int pep440_cmp(const struct pep440 *a, const struct pep440 *b)
{
    int c = pep440_cmp_public(a, b);
    return c ? c : cmp_local(a->local, b->local);
}

/* ---- output ---- */

static char *format(const struct pep440 *v, int public, int base)
{
    static const char *const pre_tag[] = { "", "a", "b", "rc" };
    size_t cap = 128 + 21 * v->nrelease + (v->local && !public ? strlen(v->local) : 0);
    char *out = xmalloc(cap);
    size_t o = 0;
#define APPEND(...) (o += (size_t)snprintf(out + o, cap - o, __VA_ARGS__))
    if (v->epoch)
        APPEND("%llu!", v->epoch);
    for (size_t i = 0; i < v->nrelease; i++)
        APPEND(i ? ".%llu" : "%llu", v->release[i]);
    if (!base) {
        if (v->pre != PEP440_PRE_NONE)
            APPEND("%s%llu", pre_tag[v->pre], v->pre_n);
        if (v->has_post)
            APPEND(".post%llu", v->post);
        if (v->has_dev)
            APPEND(".dev%llu", v->dev);
        if (v->local && !public)
            APPEND("+%s", v->local);
    }
#undef APPEND
    return out;
}

char *pep440_str(const struct pep440 *v)
{
    return format(v, 0, 0);
}

char *pep440_public_str(const struct pep440 *v)
{
    return format(v, 1, 0);
}

char *pep440_base_str(const struct pep440 *v)
{
    return format(v, 1, 1);
}

const char *pep440_local(const struct pep440 *v)
{
    return v->local;
}

int pep440_is_pre(const struct pep440 *v)
{
    return v->pre != PEP440_PRE_NONE || v->has_dev;
}

int pep440_is_post(const struct pep440 *v)
{
    return v->has_post;
}

int pep440_is_dev(const struct pep440 *v)
{
    return v->has_dev;
}

/* ---- specifiers ---- */

static const struct {
    const char *text;
    enum pep440_op op;
} ops[] = {
    /* longest first */
    { "===", PEP440_OP_ARBITRARY },
    { "~=", PEP440_OP_COMPAT },
    { "==", PEP440_OP_EQ },
    { "!=", PEP440_OP_NE },
    { "<=", PEP440_OP_LE },
    { ">=", PEP440_OP_GE },
    { "<", PEP440_OP_LT },
    { ">", PEP440_OP_GT },
};

static const char *op_text(enum pep440_op op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].op == op)
            return ops[i].text;
    return "?";
}

static void spec_free(struct pep440_spec *s)
{
    pep440_free(&s->v);
    free(s->text);
}

/* One clause, already trimmed. 0 ok, -1 with *why set (static text). */
static int parse_clause(const char *c, struct pep440_spec *s, const char **why)
{
    size_t i, oplen = 0;
    memset(s, 0, sizeof *s);
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        oplen = strlen(ops[i].text);
        if (strncmp(c, ops[i].text, oplen) == 0)
            break;
    }
    if (i == sizeof ops / sizeof ops[0]) {
        *why = "expected an operator (==, !=, <, <=, >, >=, ~=, ===)";
        return -1;
    }
    s->op = ops[i].op;
    const char *ver = c + oplen;
    while (isspace((unsigned char)*ver))
        ver++;
    if (!*ver) {
        *why = "missing version";
        return -1;
    }
    for (const char *p = ver; *p; p++) {
        if (isspace((unsigned char)*p)) {
            *why = "white space inside the version";
            return -1;
        }
    }
    if (s->op == PEP440_OP_ARBITRARY) {  /* packaging: [^\s;)]* */
        if (strpbrk(ver, ";)#'\"")) {
            *why = "';', ')', '#' or a quote in an arbitrary equality";
            return -1;
        }
        s->text = xstrdup(ver);
        return 0;
    }

    size_t len = strlen(ver);
    char *vtext;
    if (len > 2 && strcmp(ver + len - 2, ".*") == 0) {
        if (s->op != PEP440_OP_EQ && s->op != PEP440_OP_NE) {
            *why = "a .* wildcard only goes with == and !=";
            return -1;
        }
        s->wildcard = 1;
        vtext = xstrndup(ver, len - 2);
    } else {
        vtext = xstrdup(ver);
    }
    int r = pep440_parse(vtext, &s->v);
    free(vtext);
    if (r < 0) {
        *why = "invalid version";
        return -1;
    }
    if (s->wildcard && (s->v.pre || s->v.has_post || s->v.has_dev || s->v.local)) {
        *why = "a .* wildcard only follows a release number";
        goto bad;
    }
    if (s->v.local && s->op != PEP440_OP_EQ && s->op != PEP440_OP_NE) {
        *why = "a local label (+...) only goes with == and !=";
        goto bad;
    }
    if (s->op == PEP440_OP_COMPAT && s->v.nrelease < 2) {
        *why = "~= needs at least two release numbers";
        goto bad;
    }
    s->text = pep440_str(&s->v);
    return 0;
bad:
    spec_free(s);
    return -1;
}

int pep440_specset_parse(const char *s, struct pep440_specset *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (err)
        *err = NULL;
    if (!s)
        s = "";
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    if (!*p)
        return 0;

    size_t cap = 0;
    for (;;) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *a = p, *b = end;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        char *clause = xstrndup(a, (size_t)(b - a));
        const char *why = NULL;
        struct pep440_spec spec;
        int r = clause[0] ? parse_clause(clause, &spec, &why) : -1;
        if (r < 0) {
            if (err)
                *err = clause[0]
                           ? xasprintf("invalid specifier '%s' in '%s': %s", clause, s, why)
                           : xasprintf("invalid specifier '%s': empty clause", s);
            free(clause);
            pep440_specset_free(out);
            return -1;
        }
        free(clause);
        if (out->n == cap) {
            cap = cap ? cap * 2 : 4;
            out->specs = xrealloc(out->specs, cap * sizeof *out->specs);
        }
        out->specs[out->n++] = spec;
        if (!*end)
            break;
        p = end + 1;
    }
    return 0;
}

void pep440_specset_free(struct pep440_specset *ss)
{
    if (!ss)
        return;
    for (size_t i = 0; i < ss->n; i++)
        spec_free(&ss->specs[i]);
    free(ss->specs);
    memset(ss, 0, sizeof *ss);
}

/* v's release (padded with zeros) starts with the first k parts of rel. */
static int prefix_match(const struct pep440 *v, unsigned long long epoch,
                        const unsigned long long *rel, size_t k)
{
    if (v->epoch != epoch)
        return 0;
    for (size_t i = 0; i < k; i++) {
        unsigned long long x = i < v->nrelease ? v->release[i] : 0;
        if (x != rel[i])
            return 0;
    }
    return 1;
}

static int match_equal(const struct pep440_spec *s, const struct pep440 *v)
{
    if (s->wildcard)
        return prefix_match(v, s->v.epoch, s->v.release, s->v.nrelease);
    if (s->v.local)
        return pep440_cmp(v, &s->v) == 0;
    return pep440_cmp_public(v, &s->v) == 0;
}

static int spec_match(const struct pep440_spec *s, const struct pep440 *v)
{
    const struct pep440 *sv = &s->v;
    switch (s->op) {
    case PEP440_OP_EQ:
        return match_equal(s, v);
    case PEP440_OP_NE:
        return !match_equal(s, v);
    case PEP440_OP_LE:
        return pep440_cmp_public(v, sv) <= 0;
    case PEP440_OP_GE:
        return pep440_cmp_public(v, sv) >= 0;
    case PEP440_OP_LT:
        if (pep440_cmp(v, sv) >= 0)
            return 0;
        if (!pep440_is_pre(sv) && pep440_is_pre(v) && cmp_base(v, sv) == 0)
            return 0;
        return 1;
    case PEP440_OP_GT:
        if (pep440_cmp(v, sv) <= 0)
            return 0;
        if (!pep440_is_post(sv) && pep440_is_post(v) && cmp_base(v, sv) == 0)
            return 0;
        if (v->local && cmp_base(v, sv) == 0)
            return 0;
        return 1;
    case PEP440_OP_COMPAT:
        return pep440_cmp_public(v, sv) >= 0 &&
               prefix_match(v, sv->epoch, sv->release, sv->nrelease - 1);
    case PEP440_OP_ARBITRARY: {
        char *t = pep440_str(v);
        int r = strcasecmp(t, s->text) == 0;
        free(t);
        return r;
    }
    }
    return 0;
}

int pep440_specset_names_pre(const struct pep440_specset *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        const struct pep440_spec *s = &ss->specs[i];
        switch (s->op) {
        case PEP440_OP_EQ:
        case PEP440_OP_GE:
        case PEP440_OP_LE:
        case PEP440_OP_COMPAT:
            if (pep440_is_pre(&s->v))
                return 1;
            break;
        case PEP440_OP_ARBITRARY: {
            struct pep440 v;
            if (pep440_parse(s->text, &v) == 0) {
                int pre = pep440_is_pre(&v);
                pep440_free(&v);
                if (pre)
                    return 1;
            }
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

int pep440_specset_match(const struct pep440_specset *ss, const struct pep440 *v,
                         int allow_pre)
{
    if (pep440_is_pre(v) && !allow_pre && !pep440_specset_names_pre(ss))
        return 0;
    for (size_t i = 0; i < ss->n; i++)
        if (!spec_match(&ss->specs[i], v))
            return 0;
    return 1;
}

int pep440_specset_is_exact(const struct pep440_specset *ss, const struct pep440 **pinned)
{
    if (ss->n != 1 || ss->specs[0].op != PEP440_OP_EQ || ss->specs[0].wildcard)
        return 0;
    if (pinned)
        *pinned = &ss->specs[0].v;
    return 1;
}

char *pep440_specset_str(const struct pep440_specset *ss)
{
    size_t cap = 1;
    for (size_t i = 0; i < ss->n; i++)
        cap += strlen(ss->specs[i].text) + 7;
    char *out = xmalloc(cap);
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ss->n; i++) {
        const struct pep440_spec *s = &ss->specs[i];
        o += (size_t)snprintf(out + o, cap - o, "%s%s%s%s", i ? "," : "", op_text(s->op),
                              s->text, s->wildcard ? ".*" : "");
    }
    return out;
}
