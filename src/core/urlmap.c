/* urlmap.c — see urlmap.h. */
#include "urlmap.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Skip "http://" or "https://" and return the host start, or NULL. */
static const char *after_scheme(const char *url)
{
    if (!strncasecmp(url, "https://", 8))
        return url + 8;
    if (!strncasecmp(url, "http://", 7))
        return url + 7;
    return NULL;
}

/* Does URL's host equal HOST (case-insensitive, optional :port, userinfo)? If
 * so return the path part (starting with '/' or empty). */
static const char *host_path(const char *url, const char *host)
{
    const char *h = after_scheme(url);
    if (!h)
        return NULL;
    size_t auth = strcspn(h, "/?#");
    const char *at = memchr(h, '@', auth);
    if (at) {
        auth -= (size_t)(at + 1 - h);
        h = at + 1;
    }
    size_t hl = strcspn(h, ":/?#");
    if (hl != strlen(host) || strncasecmp(h, host, hl))
        return NULL;
    return h + auth;
}

int urlmap_is_pytorch_host(const char *url)
{
    return host_path(url, "download.pytorch.org") != NULL;
}

const char *urlmap_official_files_path(const char *url)
{
    const char *p = host_path(url, "download.pytorch.org");
    return p ? p : host_path(url, "download-r2.pytorch.org");
}

int urlmap_valid_variant(const char *v)
{
    if (!*v || strlen(v) >= 32)
        return 0;
    for (const char *p = v; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '.' &&
            *p != '-' && *p != '_')
            return 0;
    return isalpha((unsigned char)v[0]);
}

/* Next path segment of *p into seg; advances *p. */
static size_t segment(const char **p, char *seg, size_t n)
{
    while (**p == '/')
        (*p)++;
    size_t l = strcspn(*p, "/?#");
    if (l >= n)
        l = n - 1;
    memcpy(seg, *p, l);
    seg[l] = '\0';
    *p += strcspn(*p, "/?#");
    return l;
}

int urlmap_pytorch_index(const char *url, struct pytorch_index *out)
{
    const char *p = host_path(url, "download.pytorch.org");
    char seg[64];
    if (!p || !segment(&p, seg, sizeof seg) || strcmp(seg, "whl"))
        return 0;
    memset(out, 0, sizeof *out);
    out->channel = WCH_STABLE;
    if (!segment(&p, seg, sizeof seg))
        return 1;  /* /whl/ itself: the stable root */
    if (!strcmp(seg, "nightly") || !strcmp(seg, "test")) {
        out->channel = !strcmp(seg, "nightly") ? WCH_NIGHTLY : WCH_TEST;
        if (!segment(&p, seg, sizeof seg))
            return 1;
    }
    if (!strcmp(seg, "torch_stable.html")) {
        out->flat_page = 1;
        return 1;
    }
    for (char *c = seg; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (!urlmap_valid_variant(seg))
        return 0;
    memcpy(out->variant, seg, strlen(seg) + 1);  /* < 32: checked above */
    if (segment(&p, seg, sizeof seg) && !strcmp(seg, "torch_stable.html"))
        out->flat_page = 1;
    return 1;
}

int urlmap_is_official_pypi(const char *url)
{
    const char *p = host_path(url, "pypi.org");
    if (!p)
        p = host_path(url, "pypi.python.org");
    char seg[16];
    return p && segment(&p, seg, sizeof seg) && !strcmp(seg, "simple");
}

int urlmap_conda_channel(const char *value, char *out, size_t n)
{
    const char *name = value;
    if (after_scheme(value)) {
        const char *p = host_path(value, "conda.anaconda.org");
        if (!p)
            return 0;
        while (*p == '/')
            p++;
        name = p;
    } else if (strchr(value, ':') || value[0] == '/' || value[0] == '.') {
        return 0;  /* file:// and local paths */
    }
    size_t l = strcspn(name, "/");
    if (!l || l >= n)
        return 0;
    snprintf(out, n, "%.*s", (int)l, name);
    return 1;
}
