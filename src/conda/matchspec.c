/* matchspec.c — see matchspec.h. */
#include "matchspec.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "condapat.h"
#include "msg.h"

static const char *const known_subdirs[] = {
    "noarch",
    "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
    "linux-ppc64", "linux-ppc64le", "linux-riscv64", "linux-s390x",
    "osx-64", "osx-arm64",
    "win-32", "win-64", "win-arm64",
    "freebsd-64", "zos-z", "emscripten-wasm32", "wasi-wasm32",
};

/* Bracket keys conda knows. `field` says what torchshim does with it. */
enum bkey { BK_NAME, BK_VERSION, BK_BUILD, BK_BUILD_NUMBER, BK_CHANNEL, BK_SUBDIR, BK_IGNORED };
static const struct { const char *key; enum bkey field; } bracket_keys[] = {
    { "name", BK_NAME },
    { "version", BK_VERSION },
    { "build", BK_BUILD },
    { "build_number", BK_BUILD_NUMBER },
    { "channel", BK_CHANNEL },
    { "subdir", BK_SUBDIR },
    { "md5", BK_IGNORED }, { "sha256", BK_IGNORED }, { "fn", BK_IGNORED },
    { "url", BK_IGNORED }, { "license", BK_IGNORED }, { "license_family", BK_IGNORED },
    { "features", BK_IGNORED }, { "track_features", BK_IGNORED },
};


int matchspec_is_subdir(const char *s)
{
    if (!s)
        return 0;
    for (size_t i = 0; i < sizeof known_subdirs / sizeof known_subdirs[0]; i++)
        if (strcmp(s, known_subdirs[i]) == 0)
            return 1;
    return 0;
}

void matchspec_free(struct matchspec *ms)
{
    if (!ms)
        return;
    free(ms->original);
    free(ms->channel);
    free(ms->subdir);
    free(ms->name);
    free(ms->version);
    condaver_spec_free(&ms->vspec);
    free(ms->build);
    if (ms->build_re) {
        regfree(ms->build_re);
        free(ms->build_re);
    }
    memset(ms, 0, sizeof *ms);
}

static char *trim_dup(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

static void replace(char **slot, char *value)
{
    free(*slot);
    *slot = value;
}

/* "conda-forge/linux-64" -> channel "conda-forge", subdir "linux-64". */
static void split_channel(const char *chan, char **channel, char **subdir)
{
    char *c = xstrdup(chan);
    size_t n = strlen(c);
    while (n > 1 && c[n - 1] == '/')
        c[--n] = '\0';
    char *slash = strrchr(c, '/');
    if (slash && matchspec_is_subdir(slash + 1)) {
        replace(subdir, xstrdup(slash + 1));
        *slash = '\0';
    }
    if (*c)
        replace(channel, c);
    else
        free(c);
}

static int is_name_char(int c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '*' || c == '+';
}

static int is_key_char(int c)
{
    return isalnum(c) || c == '_' || c == '-';
}

/* Does p (after blanks) start a new "key=" (not "key==")? */
static int starts_key(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    const char *k = p;
    while (is_key_char((unsigned char)*p))
        p++;
    return p > k && *p == '=' && p[1] != '=';
}

struct fields {
    char *name, *version, *build, *build_number, *channel, *subdir;
};

static void fields_free(struct fields *f)
{
    free(f->name);
    free(f->version);
    free(f->build);
    free(f->build_number);
    free(f->channel);
    free(f->subdir);
}

/* Parse the inside of "[...]": key=value pairs separated by ',' or blanks.
 * Values may be quoted with ' or "; an unquoted value runs up to the next
 * separator that is followed by another key=, so "version=>=2.1,<2.4"
 * keeps its comma. */
static int parse_brackets(const char *s, struct fields *f, const char *orig, char **err)
{
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            return 0;
        const char *k = p;
        while (is_key_char((unsigned char)*p))
            p++;
        if (p == k || *p != '=')
            return seterr(err, "bad key=value in brackets of '%s'", orig);
        char *key = xstrndup(k, (size_t)(p - k));
        p++;
        char *val;
        if (*p == '\'' || *p == '"') {
            char q = *p++;
            const char *e = strchr(p, q);
            if (!e) {
                free(key);
                return seterr(err, "unterminated quote in brackets of '%s'", orig);
            }
            val = trim_dup(p, (size_t)(e - p));
            p = e + 1;
            if (*p && *p != ',' && *p != ' ' && *p != '\t') {
                free(key);
                free(val);
                return seterr(err, "text after a quoted value in brackets of '%s'", orig);
            }
        } else {
            const char *v = p;
            while (*p && !((*p == ',' || *p == ' ' || *p == '\t') && starts_key(p + 1)))
                p++;
            val = trim_dup(v, (size_t)(p - v));
        }
        if (!*val) {
            int r = seterr(err, "empty value for '%s' in brackets of '%s'", key, orig);
            free(key);
            free(val);
            return r;
        }
        size_t i, nk = sizeof bracket_keys / sizeof bracket_keys[0];
        for (i = 0; i < nk; i++)
            if (strcmp(key, bracket_keys[i].key) == 0)
                break;
        if (i == nk) {
            int r = seterr(err, "unknown key '%s' in brackets of '%s'", key, orig);
            free(key);
            free(val);
            return r;
        }
        free(key);
        switch (bracket_keys[i].field) {
        case BK_NAME:         replace(&f->name, val); break;
        case BK_VERSION:      replace(&f->version, val); break;
        case BK_BUILD:        replace(&f->build, val); break;
        case BK_BUILD_NUMBER: replace(&f->build_number, val); break;
        case BK_CHANNEL:
            free(f->channel);
            f->channel = NULL;
            split_channel(val, &f->channel, &f->subdir);
            free(val);
            break;
        case BK_SUBDIR:       replace(&f->subdir, val); break;
        case BK_IGNORED:      free(val); break;
        }
    }
}

/* conda's _parse_version_plus_build: the build is the last word after a
 * blank or '=' that does not follow an operator, and holds none of
 * "-=,|<>~". "=1.2.3 0" -> ("=1.2.3", "0"); ">=1.0 , < 2.0 py34_0" ->
 * (">=1.0,<2.0", "py34_0"); "* mkl" -> ("*", "mkl"). */
static void split_version_build(const char *s, char **version, char **build)
{
    size_t n = strlen(s);
    *build = NULL;
    for (size_t i = 1; i + 1 < n; i++) {
        if (s[i] != ' ' && s[i] != '=')
            continue;
        if (strchr("=!|,<>~", s[i - 1]))
            continue;
        const char *b = s + i + 1;
        if (strpbrk(b, "-=,|<>~"))
            continue;
        char *t = trim_dup(b, strlen(b));
        if (!*t) {
            free(t);
            continue;
        }
        *build = t;
        n = i;
        break;
    }
    char *v = xmalloc(n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            v[k++] = s[i];
    v[k] = '\0';
    *version = v;
}

/* A package file: ".../<subdir>/<name>-<version>-<build>.tar.bz2". */
static int parse_package_file(const char *s, struct fields *f, char **err)
{
    const char *base = strrchr(s, '/');
    base = base ? base + 1 : s;
    size_t n = strlen(base);
    static const char *const exts[] = { ".tar.bz2", ".conda" };
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        size_t el = strlen(exts[i]);
        if (n > el && strcmp(base + n - el, exts[i]) == 0) {
            n -= el;
            break;
        }
    }
    char *stem = xstrndup(base, n);
    char *b = strrchr(stem, '-');
    char *v = NULL;
    if (b) {
        *b = '\0';
        v = strrchr(stem, '-');
    }
    if (!b || !v || v == stem || !b[1] || !v[1]) {
        free(stem);
        return seterr(err, "package file name '%s' is not name-version-build", base);
    }
    *v = '\0';
    f->name = xstrdup(stem);
    f->version = xstrdup(v + 1);
    f->build = xstrdup(b + 1);
    free(stem);
    if (base > s) {
        char *dir = xstrndup(s, (size_t)(base - s));
        split_channel(dir, &f->channel, &f->subdir);
        free(dir);
    }
    return 0;
}

static int is_package_file(const char *s)
{
    size_t n = strlen(s);
    return (n > 8 && strcmp(s + n - 8, ".tar.bz2") == 0) ||
           (n > 6 && strcmp(s + n - 6, ".conda") == 0 && strchr(s, '-'));
}

static int parse_build_number(const char *t, struct matchspec *out, const char *orig, char **err)
{
    static const struct { const char *tok; enum matchspec_bn_op op; } ops[] = {
        { "==", MATCHSPEC_BN_EQ }, { "!=", MATCHSPEC_BN_NE }, { "<=", MATCHSPEC_BN_LE },
        { ">=", MATCHSPEC_BN_GE }, { "<", MATCHSPEC_BN_LT }, { ">", MATCHSPEC_BN_GT },
        { "=", MATCHSPEC_BN_EQ },
    };
    if (strcmp(t, "*") == 0) {
        out->bn_op = MATCHSPEC_BN_ANY;
        return 0;
    }
    enum matchspec_bn_op op = MATCHSPEC_BN_EQ;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        size_t l = strlen(ops[i].tok);
        if (strncmp(t, ops[i].tok, l) == 0) {
            op = ops[i].op;
            t += l;
            break;
        }
    }
    char *end;
    errno = 0;
    long v = strtol(t, &end, 10);
    if (!*t || *end || errno || v < 0 || v > INT_MAX)
        return seterr(err, "build_number must be a number (optionally with an operator) in '%s'",
                       orig);
    out->bn_op = op;
    out->bn_value = v;
    return 0;
}

/* A "^...$" build: compiled for a trusted spec within condapat's bounds;
 * an untrusted one (repodata) stays text and matches nothing. */
static int build_regex(struct matchspec *out, const char *b, int flags, const char *orig,
                       char **err)
{
    if (flags & MATCHSPEC_UNTRUSTED)
        return 0;
    char *why = NULL;
    if (condapat_regex_check(b, &why) < 0) {
        int r = seterr(err, "build regex of '%s': %s", orig, why);
        free(why);
        return r;
    }
    regex_t *re = xmalloc(sizeof *re);
    if (regcomp(re, b, REG_EXTENDED | REG_NOSUB) != 0) {
        free(re);
        return seterr(err, "invalid build regex in '%s'", orig);
    }
    out->build_re = re;
    return 0;
}

/* Fill `out` from the collected fields. */
static int finish(struct matchspec *out, struct fields *f, int flags, const char *orig,
                  char **err)
{
    if (!f->name || !*f->name)
        return seterr(err, "no package name in '%s'", orig);
    for (const char *q = f->name; *q; q++)
        if (!is_name_char((unsigned char)*q))
            return seterr(err, "invalid character '%c' in package name of '%s'", *q, orig);
    for (char *q = f->name; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    out->name = f->name;
    f->name = NULL;
    out->channel = f->channel;
    f->channel = NULL;
    out->subdir = f->subdir;
    f->subdir = NULL;

    if (f->version) {
        char *verr = NULL;
        if (condaver_spec_parse_as(f->version, flags, &out->vspec, &verr) < 0) {
            int r = seterr(err, "%s (in '%s')", verr, orig);
            free(verr);
            return r;
        }
        out->version = f->version;
        f->version = NULL;
    }
    if (f->build) {
        const char *b = f->build;
        size_t bl = strlen(b);
        if (b[0] == '^' && bl > 1 && b[bl - 1] == '$') {
            out->build_is_re = 1;
            if (build_regex(out, b, flags, orig, err) < 0)
                return -1;
        } else {
            for (const char *q = b; *q; q++)
                if (isspace((unsigned char)*q) || strchr("[]?\\", *q))
                    return seterr(err, "invalid character '%c' in build of '%s'", *q, orig);
        }
        out->build = f->build;
        f->build = NULL;
    }
    if (f->build_number && parse_build_number(f->build_number, out, orig, err) < 0)
        return -1;
    return 0;
}

int matchspec_parse(const char *s, struct matchspec *out, char **err)
{
    return matchspec_parse_as(s, 0, out, err);
}

/* The spec's text without outer quotes and a trailing "# comment". */
static char *clean_text(const char *s)
{
    char *work = trim_dup(s, strlen(s));
    size_t n = strlen(work);
    /* a spec quoted as a whole: "pytorch>=2.1,<2.4" */
    if (n >= 2 && (work[0] == '"' || work[0] == '\'') && work[n - 1] == work[0]) {
        char *t = trim_dup(work + 1, n - 2);
        free(work);
        work = t;
    }
    char *hash = strchr(work, '#');
    if (hash) {
        char *t = trim_dup(work, (size_t)(hash - work));
        free(work);
        work = t;
    }
    return work;
}

/* Brackets: "name[key=value, ...]" at the end of WORK, into BR (cut off). */
static int take_brackets(char *work, struct fields *br, const char *s, char **err)
{
    char *lb = strchr(work, '[');
    if (!lb)
        return 0;
    char *rb = strrchr(work, ']');
    if (!rb || rb < lb)
        return seterr(err, "unbalanced '[' in '%s'", s);
    for (char *q = rb + 1; *q; q++)
        if (!isspace((unsigned char)*q))
            return seterr(err, "text after ']' in '%s'", s);
    char quote = 0;
    for (char *q = lb + 1; q < rb; q++) {
        if (quote) {
            if (*q == quote)
                quote = 0;
        } else if (*q == '\'' || *q == '"') {
            quote = *q;
        } else if (*q == '[' || *q == ']') {
            return seterr(err, "more than one bracket section in '%s'", s);
        }
    }
    *rb = '\0';
    if (parse_brackets(lb + 1, br, s, err) < 0)
        return -1;
    *lb = '\0';
    return 0;
}

/* Channel: "channel::name..." (a single ':' is conda's ignored namespace).
 * Returns where the name starts. */
static char *take_channel(char *work, struct fields *f)
{
    char *rest = work, *dc = NULL;
    for (char *q = strstr(work, "::"); q; q = strstr(q + 1, "::"))
        dc = q;
    if (dc) {
        *dc = '\0';
        char *ch = trim_dup(work, strlen(work));
        if (*ch)
            split_channel(ch, &f->channel, &f->subdir);
        free(ch);
        rest = dc + 2;
    } else {
        char *colon = strrchr(work, ':');
        if (colon)
            rest = colon + 1;
    }
    while (isspace((unsigned char)*rest))
        rest++;
    return rest;
}

/* conda's translation of "=V" (fuzzy "V*") and "==V" without a build. */
static char *translate_version(char *version, const char *build, int *fuzzy)
{
    if (version[0] != '=')
        return version;
    const char *t = version + 1;
    char *nv = NULL;
    if (version[1] == '=' && !build) {
        nv = xstrdup(version + 2);
    } else if (!strpbrk(t, "=,|")) {
        if (!build && t[strlen(t) - 1] != '*') {
            nv = xasprintf("%s*", t);
            *fuzzy = 1;
        } else {
            nv = xstrdup(t);
        }
    }
    if (!nv)
        return version;
    free(version);
    return nv;
}

/* Name: up to the first blank or operator; then version and build. */
static int take_name_version(const char *rest, struct fields *f, int *fuzzy, const char *s,
                             char **err)
{
    size_t nl = strcspn(rest, " \t=<>!~");
    f->name = xstrndup(rest, nl);
    const char *vb = rest + nl;
    char *vbt = trim_dup(vb, strlen(vb));
    int rc = 0;
    if (strcmp(vbt, "=") == 0 && vb[0] == '=') {
        /* "numpy=": no version */
    } else if (*vbt) {
        char *version, *build;
        split_version_build(vbt, &version, &build);
        if (!*version || strspn(version, "=<>!~") == strlen(version)) {
            rc = seterr(err, "missing version after '%s' in '%s'", version, s);
            free(version);
            free(build);
        } else {
            f->version = translate_version(version, build, fuzzy);
            f->build = build;
        }
    }
    free(vbt);
    return rc;
}

/* Anything in brackets overrides the same field given outside. */
static void bracket_override(struct fields *f, struct fields *br, int *fuzzy)
{
    if (br->version)
        *fuzzy = 0;
    char **dst[] = { &f->name, &f->version, &f->build, &f->build_number, &f->channel, &f->subdir };
    char **src[] = { &br->name, &br->version, &br->build, &br->build_number, &br->channel,
                     &br->subdir };
    for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
        if (*src[i]) {
            replace(dst[i], *src[i]);
            *src[i] = NULL;
        }
}

int matchspec_parse_as(const char *s, int flags, struct matchspec *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (!s)
        return seterr(err, "no match spec given");
    struct fields f = { 0 }, br = { 0 };
    char *work = clean_text(s);
    int rc = -1;
    if (!*work) {
        seterr(err, "empty match spec");
    } else if (is_package_file(work)) {
        rc = parse_package_file(work, &f, err);
    } else if (take_brackets(work, &br, s, err) == 0 &&
               take_name_version(take_channel(work, &f), &f, &out->fuzzy, s, err) == 0) {
        bracket_override(&f, &br, &out->fuzzy);
        rc = 0;
    }
    if (rc == 0 && finish(out, &f, flags, s, err) == 0)
        out->original = xstrdup(s);
    else
        rc = -1;
    fields_free(&br);
    fields_free(&f);
    free(work);
    if (rc < 0)
        matchspec_free(out);
    return rc;
}

static int name_match(const char *pattern, const char *name)
{
    if (strcmp(pattern, "*") == 0)
        return 1;
    if (strchr(pattern, '*'))
        return condapat_glob(pattern, name, 1);
    return strcasecmp(pattern, name) == 0;
}

int matchspec_match(const struct matchspec *ms, const char *name, const char *version,
                    const char *build, int build_number)
{
    if (!ms || !name)
        return 0;
    if (ms->name && !name_match(ms->name, name))
        return 0;
    if (ms->vspec.root && !condaver_spec_match(&ms->vspec, version))
        return 0;
    if (ms->build) {
        if (!build)
            return 0;
        if (ms->build_is_re) {
            if (!ms->build_re || regexec(ms->build_re, build, 0, NULL, 0) != 0)
                return 0;
        } else if (strchr(ms->build, '*')) {
            if (!condapat_glob(ms->build, build, 0))
                return 0;
        } else if (strcmp(ms->build, build) != 0) {
            return 0;
        }
    }
    long bn = build_number;
    switch (ms->bn_op) {
    case MATCHSPEC_BN_ANY: return 1;
    case MATCHSPEC_BN_EQ:  return bn == ms->bn_value;
    case MATCHSPEC_BN_NE:  return bn != ms->bn_value;
    case MATCHSPEC_BN_LT:  return bn < ms->bn_value;
    case MATCHSPEC_BN_LE:  return bn <= ms->bn_value;
    case MATCHSPEC_BN_GT:  return bn > ms->bn_value;
    case MATCHSPEC_BN_GE:  return bn >= ms->bn_value;
    }
    return 0;
}

char *matchspec_format_exact(const char *name, const char *version, const char *build)
{
    if (!version || !*version)
        return xstrdup(name);
    if (!build || !*build)
        return xasprintf("%s==%s", name, version);
    return xasprintf("%s=%s=%s", name, version, build);
}
