/* marker_env.c — see marker_env.h. */
#include "marker_env.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pep440.h"
#include "pep508.h"

int marker_env_init(struct marker_env *env, int major, int minor, const char *full,
                    const char *os, const char *machine, char **err)
{
    memset(env, 0, sizeof *env);
    const char *sysp, *sys, *osn;
    if (!strcmp(os, "linux")) {
        sysp = "linux", sys = "Linux", osn = "posix";
    } else if (!strcmp(os, "darwin") || !strcmp(os, "macos") || !strcmp(os, "osx")) {
        sysp = "darwin", sys = "Darwin", osn = "posix";
    } else if (!strcmp(os, "windows") || !strcmp(os, "win32") || !strcmp(os, "win")) {
        sysp = "win32", sys = "Windows", osn = "nt";
    } else {
        return seterr(err, "no marker environment for the OS '%s'", os);
    }
    snprintf(env->python_version, sizeof env->python_version, "%d.%d", major, minor);
    int a, b, c, n = 0;
    if (full && sscanf(full, "%d.%d.%d%n", &a, &b, &c, &n) == 3 && a == major && b == minor)
        snprintf(env->python_full_version, sizeof env->python_full_version, "%s", full);
    snprintf(env->sys_platform, sizeof env->sys_platform, "%s", sysp);
    snprintf(env->platform_system, sizeof env->platform_system, "%s", sys);
    snprintf(env->os_name, sizeof env->os_name, "%s", osn);
    snprintf(env->platform_machine, sizeof env->platform_machine, "%s", machine ? machine : "");
    return 0;
}

/* ---- the parser --------------------------------------------------------- */

struct parser {
    const char *s;
    const struct marker_env *env;
    const char *extra;        /* the extra evaluated for ("" none) */
    char **err;
    int failed;
};

struct operand {
    const char *value;        /* NULL: unknown */
    char *owned;              /* a literal's text */
    int is_extra;
};

static void skip_ws(struct parser *p)
{
    while (*p->s == ' ' || *p->s == '\t')
        p->s++;
}

static int fail(struct parser *p, const char *what)
{
    if (!p->failed)
        seterr(p->err, "bad marker: %s at \"%.20s\"", what, p->s);
    p->failed = 1;
    return MARKER_ERROR;
}

/* Does the word W start here (followed by a non-identifier character)? */
static int word_at(const char *s, const char *w)
{
    size_t n = strlen(w);
    return !strncmp(s, w, n) && !isalnum((unsigned char)s[n]) && s[n] != '_' && s[n] != '.';
}

static const char *variable(const struct parser *p, const char *name, int *known)
{
    const struct marker_env *e = p->env;
    *known = 1;
    if (!strcmp(name, "python_version"))
        return e->python_version;
    if (!strcmp(name, "python_full_version") || !strcmp(name, "implementation_version"))
        return e->python_full_version[0] ? e->python_full_version : NULL;
    if (!strcmp(name, "sys_platform"))
        return e->sys_platform;
    if (!strcmp(name, "platform_system"))
        return e->platform_system;
    if (!strcmp(name, "os_name"))
        return e->os_name;
    if (!strcmp(name, "platform_machine"))
        return e->platform_machine[0] ? e->platform_machine : NULL;
    if (!strcmp(name, "implementation_name"))
        return "cpython";
    if (!strcmp(name, "platform_python_implementation"))
        return "CPython";
    if (!strcmp(name, "extra"))
        return p->extra;
    *known = !strcmp(name, "platform_release") || !strcmp(name, "platform_version");
    return NULL;
}

static int operand(struct parser *p, struct operand *o)
{
    memset(o, 0, sizeof *o);
    skip_ws(p);
    if (*p->s == '"' || *p->s == '\'') {
        const char *end = strchr(p->s + 1, *p->s);
        if (!end)
            return fail(p, "unterminated string");
        o->owned = xstrndup(p->s + 1, (size_t)(end - p->s - 1));
        o->value = o->owned;
        p->s = end + 1;
        return 0;
    }
    size_t n = 0;
    while (isalnum((unsigned char)p->s[n]) || p->s[n] == '_' || p->s[n] == '.')
        n++;
    if (!n)
        return fail(p, "a variable or a string expected");
    char name[64];
    int known;
    snprintf(name, sizeof name, "%.*s", (int)(n < 63 ? n : 63), p->s);
    o->value = variable(p, name, &known);
    o->is_extra = !strcmp(name, "extra");
    if (!known)
        return fail(p, "unknown variable");
    p->s += n;
    return 0;
}

static int op(struct parser *p, char out[8])
{
    static const char *const ops[] = { "===", "==", "!=", "<=", ">=", "~=", "<", ">" };
    skip_ws(p);
    if (word_at(p->s, "in")) {
        p->s += 2;
        return strcpy(out, "in"), 0;
    }
    if (word_at(p->s, "not")) {
        p->s += 3;
        skip_ws(p);
        if (!word_at(p->s, "in"))
            return fail(p, "'in' expected after 'not'");
        p->s += 2;
        return strcpy(out, "not in"), 0;
    }
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!strncmp(p->s, ops[i], strlen(ops[i]))) {
            p->s += strlen(ops[i]);
            return strcpy(out, ops[i]), 0;
        }
    return fail(p, "an operator expected");
}

/* As a version: 1/0 when OP RHS is a specifier and LHS a version, -1 when
 * OP RHS is a specifier and LHS is not (unknown), -2 when no specifier. */
static int version_cmp(const char *lhs, const char *o, const char *rhs)
{
    struct pep440_specset ss;
    memset(&ss, 0, sizeof ss);
    char *spec = xasprintf("%s%s", o, rhs);
    int r = -2;
    if (pep440_specset_parse(spec, &ss, NULL) == 0 && ss.n == 1) {
        struct pep440 v;
        r = -1;
        if (pep440_parse(lhs, &v) == 0) {
            r = pep440_specset_match(&ss, &v, 1);
            pep440_free(&v);
        }
    }
    pep440_specset_free(&ss);
    free(spec);
    return r;
}

static int compare(const struct operand *l, const char *o, const struct operand *r)
{
    if (!l->value || !r->value)
        return MARKER_UNKNOWN;
    char *ln = NULL, *rn = NULL;
    const char *a = l->value, *b = r->value;
    if (l->is_extra || r->is_extra) {  /* packaging normalises both names */
        a = ln = pep503_normalize(a);
        b = rn = pep503_normalize(b);
    }
    int res;
    if (!strcmp(o, "in") || !strcmp(o, "not in")) {
        res = (strstr(b, a) != NULL) == !strcmp(o, "in");
    } else if ((res = version_cmp(a, o, b)) == -1) {
        res = MARKER_UNKNOWN;
    } else if (res == -2) {
        int c = strcmp(a, b);
        res = !strcmp(o, "==")   ? c == 0
              : !strcmp(o, "!=") ? c != 0
              : !strcmp(o, "<")  ? c < 0
              : !strcmp(o, "<=") ? c <= 0
              : !strcmp(o, ">")  ? c > 0
              : !strcmp(o, ">=") ? c >= 0
                                 : MARKER_UNKNOWN;   /* ~=, === on strings */
    }
    free(ln);
    free(rn);
    return res;
}

static int parse_or(struct parser *p);

static int parse_atom(struct parser *p)
{
    skip_ws(p);
    if (*p->s == '(') {
        p->s++;
        int r = parse_or(p);
        skip_ws(p);
        if (p->failed)
            return MARKER_ERROR;
        if (*p->s != ')')
            return fail(p, "')' expected");
        p->s++;
        return r;
    }
    struct operand l, r = { 0 };
    char o[8];
    int res = MARKER_ERROR;
    if (operand(p, &l) == 0 && op(p, o) == 0 && operand(p, &r) == 0)
        res = compare(&l, o, &r);
    free(l.owned);
    free(r.owned);
    return p->failed ? MARKER_ERROR : res;
}

static int parse_and(struct parser *p)
{
    int r = parse_atom(p);
    for (;;) {
        skip_ws(p);
        if (p->failed || !word_at(p->s, "and"))
            return p->failed ? MARKER_ERROR : r;
        p->s += 3;
        int b = parse_atom(p);
        r = r == MARKER_FALSE || b == MARKER_FALSE       ? MARKER_FALSE
            : r == MARKER_UNKNOWN || b == MARKER_UNKNOWN ? MARKER_UNKNOWN
                                                         : MARKER_TRUE;
    }
}

static int parse_or(struct parser *p)
{
    int r = parse_and(p);
    for (;;) {
        skip_ws(p);
        if (p->failed || !word_at(p->s, "or"))
            return p->failed ? MARKER_ERROR : r;
        p->s += 2;
        int b = parse_and(p);
        r = r == MARKER_TRUE || b == MARKER_TRUE         ? MARKER_TRUE
            : r == MARKER_UNKNOWN || b == MARKER_UNKNOWN ? MARKER_UNKNOWN
                                                         : MARKER_FALSE;
    }
}

static int eval_one(const char *marker, const struct marker_env *env, const char *extra,
                    char **err)
{
    struct parser p = { marker, env, extra, err, 0 };
    int r = parse_or(&p);
    skip_ws(&p);
    if (!p.failed && *p.s)
        r = fail(&p, "unexpected text");
    return p.failed ? MARKER_ERROR : r;
}

int marker_eval(const char *marker, const struct marker_env *env, char **err)
{
    /* pip evaluates a requirement's marker once per extra asked (and with
     * extra "" when none): true for any makes it apply */
    size_t n = env->extras ? env->extras->n : 0;
    int any_unknown = 0;
    for (size_t i = 0; i < (n ? n : 1); i++) {
        int r = eval_one(marker, env, n ? env->extras->v[i] : "", err);
        if (r == MARKER_ERROR || r == MARKER_TRUE)
            return r;
        any_unknown |= r == MARKER_UNKNOWN;
    }
    return any_unknown ? MARKER_UNKNOWN : MARKER_FALSE;
}
