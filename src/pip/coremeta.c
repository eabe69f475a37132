/* coremeta.c — see coremeta.h. */
#include "coremeta.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "pep508.h"

/* A copy of n bytes of s without leading and trailing blanks. */
static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return xstrndup(s, n);
}

/* RFC 822 field names: printable ASCII without ':' (and without space). */
static int field_name_ok(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 32 || (unsigned char)s[i] >= 127)
            return 0;
    return 1;
}

/* Where the value of field NAME goes; NULL when it is not kept (another
 * field, or a repeat of a single-use one). */
static char **slot_for(struct coremeta *m, const char *name, size_t n)
{
    static const struct {
        const char *name;
        size_t off;
    } single[] = {
        { "Metadata-Version", offsetof(struct coremeta, metadata_version) },
        { "Name", offsetof(struct coremeta, name) },
        { "Version", offsetof(struct coremeta, version) },
        { "Requires-Python", offsetof(struct coremeta, requires_python) },
    };
    if (n == 13 && strncasecmp(name, "Requires-Dist", 13) == 0) {
        strv_push(&m->requires_dist, "");
        return &m->requires_dist.v[m->requires_dist.n - 1];
    }
    for (size_t i = 0; i < sizeof single / sizeof single[0]; i++) {
        if (strlen(single[i].name) != n || strncasecmp(single[i].name, name, n) != 0)
            continue;
        char **slot = (char **)((char *)m + single[i].off);
        return *slot ? NULL : slot;
    }
    return NULL;
}

/* Unfolding: the pieces of a value joined with one space. */
static void append_piece(char **slot, const char *s, size_t n)
{
    char *t = trimmed(s, n);
    if (!*t) {
        free(t);
        return;
    }
    if (!*slot || !**slot) {
        free(*slot);
        *slot = t;
        return;
    }
    char *joined = xasprintf("%s %s", *slot, t);
    free(t);
    free(*slot);
    *slot = joined;
}

/* One header line (n > 0 bytes, no line end). *cur is the value being
 * built (NULL: skipped field); *in_field says a field has started. */
static int header_line(struct coremeta *m, const char *p, size_t n, size_t lineno, char ***cur,
                       int *in_field, char **err)
{
    if (memchr(p, '\0', n))
        return seterr(err, "metadata line %zu: NUL byte", lineno);
    if (*p == ' ' || *p == '\t') {
        if (!*in_field)
            return seterr(err, "metadata line %zu: continuation before any field", lineno);
        if (*cur)
            append_piece(*cur, p, n);
        return 0;
    }
    const char *colon = memchr(p, ':', n);
    if (!colon || !field_name_ok(p, (size_t)(colon - p)))
        return seterr(err, "metadata line %zu: not a 'Field: value' header", lineno);
    *in_field = 1;
    *cur = slot_for(m, p, (size_t)(colon - p));
    if (*cur) {
        free(**cur);
        **cur = NULL;
        append_piece(*cur, colon + 1, n - (size_t)(colon + 1 - p));
        if (!**cur)
            **cur = xstrdup("");
    }
    return 0;
}

int coremeta_parse(const char *text, size_t len, struct coremeta *out, char **err)
{
    memset(out, 0, sizeof *out);
    if (len > COREMETA_MAX_INPUT)
        return seterr(err, "metadata of %zu bytes is over the limit of %zu", len,
                      COREMETA_MAX_INPUT);
    const char *p = text, *end = text + len;
    char **cur = NULL;
    int in_field = 0;
    for (size_t lineno = 1; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break; /* the description body follows */
        if (header_line(out, p, n, lineno, &cur, &in_field, err) < 0) {
            coremeta_free(out);
            return -1;
        }
        p = nl ? nl + 1 : end;
    }
    if (!out->name || !*out->name || !out->version || !*out->version) {
        int no_name = !out->name || !*out->name;
        coremeta_free(out);
        return seterr(err, "metadata without a %s field", no_name ? "Name" : "Version");
    }
    return 0;
}

void coremeta_free(struct coremeta *m)
{
    if (!m)
        return;
    free(m->metadata_version);
    free(m->name);
    free(m->version);
    free(m->requires_python);
    strv_clear(&m->requires_dist);
    memset(m, 0, sizeof *m);
}

size_t coremeta_requirements_for(const struct coremeta *m, const char *dep, struct strv *out)
{
    char *want = pep503_normalize(dep);
    size_t found = 0;
    for (size_t i = 0; i < m->requires_dist.n; i++) {
        struct pep508_req r;
        char *err = NULL;
        if (pep508_parse(m->requires_dist.v[i], &r, &err) != PEP508_OK) {
            verbosef("%s %s: skipping Requires-Dist '%s': %s", m->name ? m->name : "?",
                     m->version ? m->version : "?", m->requires_dist.v[i],
                     err ? err : "not a named requirement");
            free(err);
            pep508_free(&r);
            continue;
        }
        if (strcmp(r.norm_name, want) == 0) {
            strv_push(out, m->requires_dist.v[i]);
            found++;
        }
        pep508_free(&r);
    }
    free(want);
    return found;
}
