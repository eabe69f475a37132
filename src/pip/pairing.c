/* pairing.c — see pairing.h. */
#include "pairing.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "pep508.h"

static const char *const pkg_names[PAIRING_NPKG] = { "torch", "torchvision", "torchaudio" };

enum pairing_pkg pairing_pkg_of(const char *name)
{
    if (!name)
        return PAIRING_NONE;
    char *norm = pep503_normalize(name);
    enum pairing_pkg r = PAIRING_NONE;
    for (int i = 0; i < PAIRING_NPKG; i++)
        if (strcmp(norm, pkg_names[i]) == 0)
            r = (enum pairing_pkg)i;
    free(norm);
    return r;
}

const char *pairing_pkg_name(enum pairing_pkg pkg)
{
    return pkg >= 0 && pkg < PAIRING_NPKG ? pkg_names[pkg] : "?";
}

/* "3.12" -> 3, 12 */
static int parse_xy(const char *s, int *major, int *minor)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '.' || a < 2 || a > 9)
        return -1;
    const char *m = end + 1;
    long b = strtol(m, &end, 10);
    if (end == m || *end || b < 0 || b > 99 || errno)
        return -1;
    *major = (int)a;
    *minor = (int)b;
    return 0;
}

static void row_free(struct pairing_row *r)
{
    for (int i = 0; i < PAIRING_NPKG; i++) {
        free(r->text[i]);
        pep440_free(&r->version[i]);
    }
    strv_clear(&r->variants);
    memset(r, 0, sizeof *r);
}

/* One data line, already split into fields. NULL ok, else a message. */
static char *parse_row(char **f, size_t nf, struct pairing_row *r)
{
    memset(r, 0, sizeof *r);
    if (nf != 6)
        return xasprintf("expected 6 columns (torch torchvision torchaudio python_min "
                         "python_max variants), found %zu", nf);
    for (int i = 0; i < PAIRING_NPKG; i++) {
        if (pep440_parse(f[i], &r->version[i]) < 0 || r->version[i].local)
            return xasprintf("bad %s version '%s'", pkg_names[i], f[i]);
        r->text[i] = xstrdup(f[i]);
    }
    if (parse_xy(f[3], &r->py_min_major, &r->py_min_minor) < 0)
        return xasprintf("bad python_min '%s' (want X.Y)", f[3]);
    if (parse_xy(f[4], &r->py_max_major, &r->py_max_minor) < 0)
        return xasprintf("bad python_max '%s' (want X.Y)", f[4]);
    if (r->py_max_major < r->py_min_major ||
        (r->py_max_major == r->py_min_major && r->py_max_minor < r->py_min_minor))
        return xasprintf("python_max %s is below python_min %s", f[4], f[3]);
    for (char *p = f[5];;) {
        size_t n = strcspn(p, ",");
        if (n == 0)
            return xasprintf("empty entry in variants '%s'", f[5]);
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '.')
                return xasprintf("bad variant in '%s'", f[5]);
        strv_push_take(&r->variants, xstrndup(p, n));
        if (!p[n])
            break;
        p += n + 1;
    }
    return NULL;
}

int pairing_parse(const char *text, const char *origin, struct pairing_table *t, char **err)
{
    memset(t, 0, sizeof *t);
    if (err)
        *err = NULL;
    size_t cap = 0, lineno = 0;
    const char *p = text ? text : "";
    while (*p) {
        size_t len = strcspn(p, "\n");
        char *line = xstrndup(p, len);
        p += len + (p[len] == '\n');
        lineno++;

        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        if (!*s || *s == '#') {
            free(line);
            continue;
        }
        char *f[8];
        size_t nf = 0;
        char *save = NULL;
        for (char *tok = strtok_r(s, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
            if (nf == 8)
                break;
            f[nf++] = tok;
        }
        struct pairing_row r;
        char *why = parse_row(f, nf, &r);
        if (!why) {
            for (size_t i = 0; i < t->n; i++)
                if (pep440_cmp(&t->rows[i].version[PAIRING_TORCH], &r.version[PAIRING_TORCH]) ==
                    0)
                    why = xasprintf("torch %s is listed twice", r.text[PAIRING_TORCH]);
        }
        free(line);
        if (why) {
            row_free(&r);
            if (err)
                *err = xasprintf("%s:%zu: %s", origin ? origin : "pairing", lineno, why);
            free(why);
            pairing_free(t);
            return -1;
        }
        if (t->n == cap) {
            cap = cap ? cap * 2 : 32;
            t->rows = xrealloc(t->rows, cap * sizeof *t->rows);
        }
        t->rows[t->n++] = r;
    }
    return 0;
}

int pairing_load(const char *path, struct pairing_table *t, char **err)
{
    memset(t, 0, sizeof *t);
    if (err)
        *err = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (err)
            *err = xasprintf("%s: %s", path, strerror(errno));
        return -1;
    }
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 16384;
            data = xrealloc(data, cap);
        }
        size_t r = fread(data + n, 1, cap - n - 1, f);
        if (r == 0)
            break;
        n += r;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        if (err)
            *err = xasprintf("%s: read error", path);
        return -1;
    }
    data[n] = '\0';
    int rc = pairing_parse(data, path, t, err);
    free(data);
    return rc;
}

void pairing_free(struct pairing_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        row_free(&t->rows[i]);
    free(t->rows);
    memset(t, 0, sizeof *t);
}

const struct pairing_row *pairing_find(const struct pairing_table *t, enum pairing_pkg pkg,
                                       const struct pep440 *v)
{
    if (pkg < 0 || pkg >= PAIRING_NPKG)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (pep440_cmp_public(&t->rows[i].version[pkg], v) == 0)
            return &t->rows[i];
    return NULL;
}

const struct pairing_row *pairing_by_torch(const struct pairing_table *t,
                                           const struct pep440 *torch)
{
    return pairing_find(t, PAIRING_TORCH, torch);
}

const struct pairing_row *pairing_by_companion(const struct pairing_table *t,
                                               enum pairing_pkg pkg, const struct pep440 *v)
{
    return pkg == PAIRING_TORCH ? NULL : pairing_find(t, pkg, v);
}

int pairing_python_ok(const struct pairing_row *r, int major, int minor)
{
    long v = major * 100L + minor;
    return v >= r->py_min_major * 100L + r->py_min_minor &&
           v <= r->py_max_major * 100L + r->py_max_minor;
}

int pairing_has_variant(const struct pairing_row *r, const char *variant)
{
    for (size_t i = 0; i < r->variants.n; i++)
        if (strcasecmp(r->variants.v[i], variant) == 0)
            return 1;
    return 0;
}
