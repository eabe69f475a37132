/* config.c — see config.h. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "msg.h"
#include "str.h"

static const char *const role_names[ROLE_N] = { "wheels", "pypi", "conda", "nvidia" };

const char *role_name(enum role r)
{
    return r < ROLE_N ? role_names[r] : "?";
}

static int role_of(const char *key)
{
    for (int r = 0; r < ROLE_N; r++)
        if (!strcmp(key, role_names[r]))
            return r;
    return -1;
}

/* "upstream" is another name for "official". */
static const char *canonical_site_name(const char *name)
{
    return !strcmp(name, "upstream") ? "official" : name;
}

const struct site *config_site(const struct config *c, const char *name)
{
    name = canonical_site_name(name);
    for (size_t i = 0; i < c->nsites; i++)
        if (!strcmp(c->sites[i].name, name))
            return &c->sites[i];
    return NULL;
}

static size_t site_get(struct config *c, const char *name)
{
    const struct site *found = config_site(c, name);
    if (found)
        return (size_t)(found - c->sites);
    if (c->nsites == c->sites_cap) {
        c->sites_cap = c->sites_cap ? c->sites_cap * 2 : 16;
        c->sites = xrealloc(c->sites, c->sites_cap * sizeof *c->sites);
    }
    struct site *s = &c->sites[c->nsites];
    memset(s, 0, sizeof *s);
    s->name = xstrdup(canonical_site_name(name));
    return c->nsites++;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = *v ? xstrdup(v) : NULL;
}

/* Continuation lines arrive as repeated keys: append with a space. */
static void append_str(char **dst, const char *v)
{
    if (!*dst) {
        *dst = xstrdup(v);
        return;
    }
    char *n = xasprintf("%s %s", *dst, v);
    free(*dst);
    *dst = n;
}

struct load_ctx {
    struct config *c;
    const char *file;
    char *err;
    char prev_section[128];
    char prev_key[64];
    size_t site;               /* the site of prev_section, when it is a mirror */
    int have_site;
};

static int parse_long(const char *v, long *out)
{
    long long n;
    if (str_to_count(v, &n) || n > LONG_MAX)
        return -1;
    *out = (long)n;
    return 0;
}

int config_parse_size(const char *v, long long *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*v))
        return -1;
    unsigned long long n = strtoull(v, &end, 10);
    int shift = 0;
    switch (*end) {
    case 'k': case 'K': shift = 10; end++; break;
    case 'm': case 'M': shift = 20; end++; break;
    case 'g': case 'G': shift = 30; end++; break;
    default: break;
    }
    if (shift && *end == 'i' && end[1] == 'B')
        end += 2;
    else if (*end == 'B')
        end++;
    if (errno || *end || n > (unsigned long long)(LLONG_MAX >> shift))
        return -1;
    *out = (long long)(n << shift);
    return 0;
}

/* [prefetch] key = value. 1 done, 0 unknown key, -1 error said in x->err. */
static int prefetch_entry(struct load_ctx *x, const char *key, const char *value)
{
    struct config *c = x->c;
    if (!strcmp(key, "enabled")) {
        int m = !strcmp(value, "auto")     ? PREFETCH_AUTO
                : !strcmp(value, "always") ? PREFETCH_ALWAYS
                : !strcmp(value, "never")  ? PREFETCH_NEVER
                                           : -1;
        if (m < 0)
            return seterr(&x->err, "%s: [prefetch] enabled = %s: use auto, always or never",
                          x->file, value);
        c->prefetch_enabled = m;
    } else if (!strcmp(key, "threshold")) {
        if (config_parse_size(value, &c->prefetch_threshold))
            return seterr(&x->err, "%s: [prefetch] threshold = %s is not a size (bytes, or "
                          "with K, M, G: 100M)", x->file, value);
    } else if (!strcmp(key, "connections")) {
        long n;
        if (parse_long(value, &n) || n < 1 || n > PREFETCH_MAX_CONNECTIONS)
            return seterr(&x->err, "%s: [prefetch] connections = %s: a number from 1 to %d",
                          x->file, value, PREFETCH_MAX_CONNECTIONS);
        c->prefetch_connections = (int)n;
    } else if (!strcmp(key, "dir")) {
        const char *home = getenv("HOME");
        free(c->prefetch_dir);
        c->prefetch_dir = NULL;
        if (!strncmp(value, "~/", 2) && home && home[0] == '/')
            c->prefetch_dir = xasprintf("%s/%s", home, value + 2);
        else if (value[0] == '/')
            c->prefetch_dir = xstrdup(value);
        else if (*value)
            return seterr(&x->err, "%s: [prefetch] dir = %s: an absolute path (or ~/...)",
                          x->file, value);
    } else {
        return 0;
    }
    return 1;
}

/* `mirror "name"` -> name; NULL if the section is not a mirror. */
static int mirror_section(const char *section, char *name, size_t n)
{
    if (strncmp(section, "mirror", 6) || !isspace((unsigned char)section[6]))
        return 0;
    const char *p = section + 6;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '"')
        return 0;
    const char *q = strchr(p + 1, '"');
    if (!q || q[1] || q == p + 1 || (size_t)(q - p - 1) >= n)
        return 0;
    snprintf(name, n, "%.*s", (int)(q - p - 1), p + 1);
    return 1;
}

static int on_entry(void *user, const char *section, const char *key, const char *value)
{
    struct load_ctx *x = user;
    struct config *c = x->c;
    int same_section = !strcmp(section, x->prev_section);
    int continued = same_section && !strcmp(key, x->prev_key);
    if (!same_section)
        x->have_site = 0;
    snprintf(x->prev_section, sizeof x->prev_section, "%s", section);
    snprintf(x->prev_key, sizeof x->prev_key, "%s", key);
    char site_name[96];
    int r;

    if (!strcmp(section, "use")) {
        if ((r = role_of(key)) < 0)
            goto unknown;
        continued ? append_str(&c->use[r], value) : set_str(&c->use[r], value);
    } else if (!strcmp(section, "network")) {
        long *dst = !strcmp(key, "connect-timeout") ? &c->connect_timeout
                    : !strcmp(key, "timeout")       ? &c->timeout
                    : !strcmp(key, "cache-ttl")     ? &c->cache_ttl
                                                    : NULL;
        if (!dst)
            goto unknown;
        if (parse_long(value, dst)) {
            if (!x->err)  /* inih goes on after an error: the first one counts */
                seterr(&x->err, "%s: [network] %s = %s is not a number of seconds", x->file,
                       key, value);
            return 0;
        }
    } else if (!strcmp(section, "prefetch")) {
        if ((r = prefetch_entry(x, key, value)) < 0)
            return 0;
        if (r == 0)
            goto unknown;
    } else if (!strcmp(section, "packages")) {
        char **dst = !strcmp(key, "pip") ? &c->pip_packages
                     : !strcmp(key, "conda") ? &c->conda_packages : NULL;
        if (!dst)
            goto unknown;
        continued ? append_str(dst, value) : set_str(dst, value);
    } else if (x->have_site || mirror_section(section, site_name, sizeof site_name)) {
        /* one lookup per section: thousands of sites load in linear time */
        if (!x->have_site) {
            x->site = site_get(c, site_name);
            x->have_site = 1;
        }
        struct site *s = &c->sites[x->site];
        if ((r = role_of(key)) >= 0) {
            set_str(&s->url[r], value);
        } else if (!strcmp(key, "wheels-format")) {
            if (!strcmp(value, "find-links"))
                s->wheels_format = WHEELS_FIND_LINKS;
            else if (!strcmp(value, "simple"))
                s->wheels_format = WHEELS_SIMPLE;
            else {
                if (!x->err)
                    seterr(&x->err, "%s: [mirror \"%s\"] wheels-format = %s: use find-links "
                           "or simple", x->file, s->name, value);
                return 0;
            }
        } else if (!strcmp(key, "wheels-nightly")) {
            set_str(&s->wheels_nightly, value);
        } else if (!strcmp(key, "conda-channels")) {
            continued ? append_str(&s->conda_channels, value) : set_str(&s->conda_channels, value);
        } else if (!strcmp(key, "defaults")) {
            continued ? append_str(&s->defaults, value) : set_str(&s->defaults, value);
        } else {
            goto unknown;
        }
    } else {
        strv_pushf(&c->warnings, "%s: unknown section [%s] ignored", x->file, section);
    }
    return 1;
unknown:
    strv_pushf(&c->warnings, "%s: unknown key '%s' in [%s] ignored", x->file, key, section);
    return 1;
}

/* A configuration file: a regular file of at most CONFIG_MAX_FILE bytes
 * (a FIFO or /dev/zero is an error, never a hang). A missing file is fine
 * unless MUST_EXIST; a directory never is. */
static int load_file(struct config *c, const char *path, int must_exist, char **err)
{
    if (!strcmp(path, "/dev/null"))
        return 0;  /* the usual "no configuration" */
    char *text = NULL;
    int r = file_read(path, CONFIG_MAX_FILE, &text, NULL, err);
    if (r == 1)
        return must_exist ? seterr(err, "cannot read %s: %s", path, strerror(ENOENT)) : 0;
    if (r < 0)
        return -1;
    struct load_ctx x = { .c = c, .file = path };
    int line = ini_parse_string(text, on_entry, &x);
    free(text);
    if (x.err) {
        *err = x.err;
        return -1;
    }
    if (line != 0)
        return seterr(err, "%s:%d: syntax error", path, line);
    return 0;
}

static int validate(struct config *c, char **err)
{
    for (int r = 0; r < ROLE_N; r++) {
        if (!c->use[r])
            continue;
        char *names = xstrdup(c->use[r]), *save = NULL;
        for (char *n = strtok_r(names, " \t,", &save); n; n = strtok_r(NULL, " \t,", &save)) {
            const struct site *s = config_site(c, n);
            if (!s) {
                seterr(err, "[use] %s = %s: no [mirror \"%s\"] is configured", role_name(r),
                       c->use[r], n);
                free(names);
                return -1;
            }
        }
        free(names);
    }
    return 0;
}

static void apply_env_mirror(struct config *c)
{
    const char *m = getenv("TORCHSHIM_MIRROR");
    if (!m || !*m)
        return;
    const struct site *s = config_site(c, m);
    if (!s) {
        strv_pushf(&c->warnings, "TORCHSHIM_MIRROR=%s: no such mirror site; ignored", m);
        return;
    }
    for (int r = 0; r < ROLE_N; r++)
        if (s->url[r])
            set_str(&c->use[r], s->name);
}

static void set_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->connect_timeout = 3;
    c->timeout = 30;
    c->cache_ttl = 600;
    c->prefetch_enabled = PREFETCH_AUTO;
    c->prefetch_threshold = PREFETCH_DEFAULT_THRESHOLD;
    c->prefetch_connections = PREFETCH_DEFAULT_CONNECTIONS;
}

int config_load_files(struct config *c, const char *defaults, const char *user, char **err)
{
    set_defaults(c);
    *err = NULL;
    if (defaults && load_file(c, defaults, 1, err))
        return -1;
    if (user) {
        int explicit_file = getenv("TORCHSHIM_CONFIG") && *getenv("TORCHSHIM_CONFIG");
        if (load_file(c, user, explicit_file, err))
            return -1;
        if (access(user, R_OK) == 0)
            c->user_file = xstrdup(user);  /* load_file made sure it is a file */
    }
    apply_env_mirror(c);
    return validate(c, err);
}

char *config_datadir(void)
{
    const char *env = getenv("TORCHSHIM_DATADIR");
    if (env && *env)
        return xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *dir = dirname(exe);
        /* installed: <prefix>/libexec/torchshim/torchshim-engine; build tree:
         * build/torchshim-engine beside config/ */
        static const char *const rel[] = { "../../share/torchshim", "../share/torchshim",
                                           "../config" };
        for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
            char *p = xasprintf("%s/%s", dir, rel[i]), *ini = xasprintf("%s/torchshim.ini", p);
            char *real = access(ini, R_OK) == 0 ? realpath(p, NULL) : NULL;
            free(ini);
            free(p);
            if (real)  /* normalised: no ../.. in what mirrors and doctor show */
                return real;
        }
    }
    return xstrdup(TORCHSHIM_DATADIR_FALLBACK);
}

char *config_user_path(void)
{
    const char *v = getenv("TORCHSHIM_CONFIG");
    if (v && *v)
        return xstrdup(v);
    v = getenv("XDG_CONFIG_HOME");
    if (v && v[0] == '/')
        return xasprintf("%s/torchshim/config.ini", v);
    v = getenv("HOME");  /* absolute only: HOME=. must not read ./.config */
    if (v && v[0] == '/')
        return xasprintf("%s/.config/torchshim/config.ini", v);
    return NULL;
}

int config_load(struct config *c, char **err)
{
    char *datadir = config_datadir();
    char *defaults = xasprintf("%s/torchshim.ini", datadir);
    char *user = config_user_path();
    int r = config_load_files(c, defaults, user, err);
    free(defaults);
    free(user);
    c->datadir = datadir;
    return r;
}

char *config_data_file(const struct config *c, const char *name)
{
    if (c->datadir)
        return xasprintf("%s/%s", c->datadir, name);
    char *d = config_datadir();
    char *p = xasprintf("%s/%s", d, name);
    free(d);
    return p;
}

void config_free(struct config *c)
{
    for (size_t i = 0; i < c->nsites; i++) {
        struct site *s = &c->sites[i];
        free(s->name);
        for (int r = 0; r < ROLE_N; r++)
            free(s->url[r]);
        free(s->wheels_nightly);
        free(s->conda_channels);
        free(s->defaults);
    }
    free(c->sites);
    for (int r = 0; r < ROLE_N; r++)
        free(c->use[r]);
    free(c->pip_packages);
    free(c->conda_packages);
    free(c->datadir);
    free(c->user_file);
    free(c->prefetch_dir);
    strv_clear(&c->warnings);
    memset(c, 0, sizeof *c);
}

size_t config_sites_for(const struct config *c, enum role r, const struct site **out, size_t max)
{
    size_t n = 0;
    if (!c->use[r])
        return 0;
    char *names = xstrdup(c->use[r]), *save = NULL;
    for (char *nm = strtok_r(names, " \t,", &save); nm && n < max;
         nm = strtok_r(NULL, " \t,", &save)) {
        const struct site *s = config_site(c, nm);
        if (s && s->url[r])
            out[n++] = s;
    }
    free(names);
    return n;
}

const struct site *config_site_for(const struct config *c, enum role r)
{
    const struct site *s = NULL;
    return config_sites_for(c, r, &s, 1) ? s : NULL;
}

int site_is_official(const struct site *s)
{
    return s && !strcmp(s->name, "official");
}

/* Is WORD one of the space-separated words of LIST? */
static int word_in(const char *list, const char *word, int normalise)
{
    if (!list)
        return 0;
    size_t wl = strlen(word);
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t n = strcspn(p, " \t,");
        if (n == wl) {
            size_t i = 0;
            for (; i < n; i++) {
                char a = p[i], b = word[i];
                if (normalise) {
                    a = (char)tolower((unsigned char)a);
                    b = (char)tolower((unsigned char)b);
                    if (a == '_' || a == '.')
                        a = '-';
                    if (b == '_' || b == '.')
                        b = '-';
                }
                if (a != b)
                    break;
            }
            if (i == n)
                return 1;
        }
        p += n;
    }
    return 0;
}

int site_serves_channel(const struct site *s, const char *channel)
{
    if (!s || !s->url[ROLE_CONDA])
        return 0;
    if (!s->conda_channels)  /* a conda root serves the pytorch channel unless told */
        return !strcmp(channel, "pytorch");
    return word_in(s->conda_channels, channel, 0);
}

int config_list_has(const char *list, const char *name)
{
    return word_in(list, name, 1);
}

char *site_wheels_url(const char *tmpl, const char *variant)
{
    const char *p = strstr(tmpl, "{variant}");
    if (!p)
        return xstrdup(tmpl);
    return xasprintf("%.*s%s%s", (int)(p - tmpl), tmpl, variant, p + 9);
}

/* URL without its scheme and trailing slashes: what wheels URLs compare by. */
static size_t url_core(const char *url, const char **core)
{
    const char *p = strstr(url, "://");
    *core = p ? p + 3 : url;
    size_t n = strlen(*core);
    while (n && (*core)[n - 1] == '/')
        n--;
    return n;
}

/* Does URL fill TMPL's {variant} (or equal it, without one)? */
static int template_match(const char *tmpl, const char *url, char *variant, size_t vn)
{
    const char *t, *u;
    size_t tl = url_core(tmpl, &t), ul = url_core(url, &u);
    const char *hole = strstr(t, "{variant}");
    if (!hole || (size_t)(hole - t) >= tl) {
        if (tl != ul || strncmp(t, u, tl))
            return 0;
        snprintf(variant, vn, "%s", "");
        return 1;
    }
    size_t pre = (size_t)(hole - t), post = tl - pre - 9;
    if (ul <= pre + post || strncmp(t, u, pre) || strncmp(hole + 9, u + ul - post, post))
        return 0;
    size_t vl = ul - pre - post;
    if (vl >= vn || memchr(u + pre, '/', vl))
        return 0;
    snprintf(variant, vn, "%.*s", (int)vl, u + pre);
    return 1;
}

const struct site *config_wheels_site_of(const struct config *c, const char *url, char *variant,
                                         size_t vn, int *nightly)
{
    for (size_t i = 0; i < c->nsites; i++) {
        const struct site *s = &c->sites[i];
        if (site_is_official(s))
            continue;
        if (s->url[ROLE_WHEELS] && template_match(s->url[ROLE_WHEELS], url, variant, vn)) {
            *nightly = 0;
            return s;
        }
        if (s->wheels_nightly && template_match(s->wheels_nightly, url, variant, vn)) {
            *nightly = 1;
            return s;
        }
    }
    return NULL;
}
