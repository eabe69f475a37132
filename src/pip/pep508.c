/* pep508.c — see pep508.h. */
#include "pep508.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "msg.h"
#include "str.h"

static int is_name_char(int c)
{
    return isalnum(c) || c == '.' || c == '-' || c == '_';
}

char *pep503_normalize(const char *name)
{
    size_t len = strlen(name);
    char *out = xmalloc(len + 1);
    size_t o = 0;
    for (const char *p = name; *p; p++) {
        if (*p == '-' || *p == '_' || *p == '.') {
            if (o == 0 || out[o - 1] != '-')
                out[o++] = '-';
        } else {
            out[o++] = (char)tolower((unsigned char)*p);
        }
    }
    out[o] = '\0';
    return out;
}

int pep508_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || !isalnum((unsigned char)name[0]) || !isalnum((unsigned char)name[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!is_name_char((unsigned char)name[i]))
            return 0;
    return 1;
}

/* Archive names pip installs from a file. */
static const char *const archive_exts[] = {
    ".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
    ".tar.lz", ".tlz", ".tar",
};

static int has_archive_ext(const char *tok, size_t n)
{
    for (size_t i = 0; i < sizeof archive_exts / sizeof archive_exts[0]; i++) {
        size_t e = strlen(archive_exts[i]);
        if (n > e && strncasecmp(tok + n - e, archive_exts[i], e) == 0)
            return 1;
    }
    return 0;
}

/* Would pip read this first token as a path or URL rather than a name? */
static int looks_unnamed(const char *s)
{
    size_t n = strcspn(s, " \t\n\v\f\r[(;<>=!~@,");
    if (n == 0)
        return 0;
    if (s[0] == '.' || memchr(s, '/', n) || memchr(s, '\\', n) || memchr(s, ':', n))
        return 1;
    return has_archive_ext(s, n);
}

void pep508_strip_comment(char *s)
{
    for (char *p = s; *p; p++) {
        if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
            *p = '\0';
            return;
        }
    }
}

/* Split off per-line options: the first white-space-preceded token starting
 * with '-' outside quotes. Returns the option text (inside s) or NULL; s is
 * cut before it. */
static char *split_options(char *s)
{
    char quote = 0;
    for (char *p = s; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == '-' && p > s && isspace((unsigned char)p[-1])) {
            p[-1] = '\0';
            return p;
        }
    }
    return NULL;
}

static char *skip_ws(char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* A name at *pp (advancing it); NULL when none or malformed. */
static char *take_name(char **pp)
{
    char *p = *pp, *start = p;
    while (is_name_char((unsigned char)*p))
        p++;
    char *name = xstrndup(start, (size_t)(p - start));
    if (!pep508_name_valid(name)) {
        free(name);
        return NULL;
    }
    *pp = p;
    return name;
}

/* "invalid requirement 'ORIG': ..." into *err; PEP508_INVALID. */
static int invalid(char **err, const char *orig, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int invalid(char **err, const char *orig, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        char *why = xvasprintf(fmt, ap);
        va_end(ap);
        *err = xasprintf("invalid requirement '%s': %s", orig, why);
        free(why);
    }
    return PEP508_INVALID;
}

/* "[a, b]" at *pp (after the name); 0 or PEP508_INVALID. */
static int parse_extras(char **pp, const char *orig, struct pep508_req *r, char **err)
{
    char *p = skip_ws(*pp + 1);
    while (*p != ']') {
        char *extra = take_name(&p);
        if (!extra)
            return invalid(err, orig, "bad extra name");
        strv_push_take(&r->extras, extra);
        p = skip_ws(p);
        if (*p != ',')
            break;
        p = skip_ws(p + 1);
    }
    if (*p != ']')
        return invalid(err, orig, "expected ',' or ']' in extras");
    *pp = skip_ws(p + 1);
    return 0;
}

/* "@ URL", "(spec)" or "spec" at *pp. */
static int parse_version(char **pp, const char *orig, struct pep508_req *r, char **err)
{
    char *p = *pp, *spec_text = NULL;
    if (*p == '@') {
        char *u = p = skip_ws(p + 1);
        while (*p && !isspace((unsigned char)*p))
            p++;
        /* a URL's scheme starts with a letter (RFC 3986) */
        if (p == u || !isalpha((unsigned char)*u) || !memchr(u, ':', (size_t)(p - u)))
            return invalid(err, orig, "expected a URL after '@'");
        r->url = xstrndup(u, (size_t)(p - u));
        *pp = skip_ws(p);
        return 0;
    }
    if (*p == '(') {
        char *close = strchr(p, ')');
        if (!close)
            return invalid(err, orig, "missing ')'");
        spec_text = xstrndup(p + 1, (size_t)(close - p - 1));
        *pp = skip_ws(close + 1);
    } else {
        char *end = strchr(p, ';');
        end = end ? end : p + strlen(p);
        spec_text = xstrndup(p, (size_t)(end - p));
        *pp = end;
    }
    char *serr = NULL;
    int rc = pep440_specset_parse(spec_text, &r->spec, &serr);
    free(spec_text);
    if (rc < 0) {
        invalid(err, orig, "%s", serr);
        free(serr);
        return PEP508_INVALID;
    }
    return 0;
}

static int parse_line(char *s, const char *orig, struct pep508_req *r, char **err)
{
    char *p = s;
    r->name = take_name(&p);
    if (!r->name)
        return invalid(err, orig, "expected a package name");
    r->norm_name = pep503_normalize(r->name);
    p = skip_ws(p);
    if (*p == '[' && parse_extras(&p, orig, r, err))
        return PEP508_INVALID;
    if (parse_version(&p, orig, r, err))
        return PEP508_INVALID;
    if (*p == ';') {
        char *m = str_trim(p + 1);
        if (!*m)
            return invalid(err, orig, "empty marker after ';'");
        /* a marker starts with a variable, '(' or a quoted string */
        if (!isalpha((unsigned char)*m) && !strchr("(\"'", *m))
            return invalid(err, orig, "a marker cannot start with '%c'", *m);
        r->marker = xstrdup(m);
    } else if (*p) {
        return invalid(err, orig, "unexpected '%s'", p);
    }
    return PEP508_OK;
}

int pep508_parse(const char *s, struct pep508_req *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (err)
        *err = NULL;
    char *buf = xstrdup(s ? s : "");
    pep508_strip_comment(buf);
    char *line = str_trim(buf);
    int rc;

    if (!*line) {
        seterr(err, "empty requirement");
        rc = PEP508_INVALID;
    } else if (line[0] == '-') {
        seterr(err, "'%s' is an option, not a named requirement", line);
        rc = PEP508_UNNAMED;
    } else if (looks_unnamed(line)) {
        seterr(err, "'%s' is a path or URL, not a named requirement", line);
        rc = PEP508_UNNAMED;
    } else {
        char *opts = split_options(line);
        if (opts)
            out->options = xstrdup(str_trim(opts));
        line = str_trim(line);
        rc = parse_line(line, line, out, err);
    }
    free(buf);
    if (rc != PEP508_OK)
        pep508_free(out);
    return rc;
}

void pep508_free(struct pep508_req *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->norm_name);
    strv_clear(&r->extras);
    pep440_specset_free(&r->spec);
    free(r->url);
    free(r->marker);
    free(r->options);
    memset(r, 0, sizeof *r);
}

int pep508_set_specifier(struct pep508_req *r, const char *spec, char **err)
{
    struct pep440_specset ss;
    if (pep440_specset_parse(spec, &ss, err) < 0)
        return -1;
    pep440_specset_free(&r->spec);
    r->spec = ss;
    free(r->url);
    r->url = NULL;
    return 0;
}

char *pep508_format(const struct pep508_req *r)
{
    struct buf b = BUF_INIT;
    buf_adds(&b, r->name);
    for (size_t i = 0; i < r->extras.n; i++)
        buf_addf(&b, "%s%s", i ? "," : "[", r->extras.v[i]);
    if (r->extras.n)
        buf_addc(&b, ']');
    if (r->url) {
        buf_addf(&b, " @ %s", r->url);
    } else {
        char *spec = pep440_specset_str(&r->spec);
        buf_adds(&b, spec);
        free(spec);
    }
    if (r->marker)
        buf_addf(&b, "%s%s", r->url ? " ; " : "; ", r->marker);
    if (r->options)
        buf_addf(&b, " %s", r->options);
    return buf_detach(&b, NULL);
}
