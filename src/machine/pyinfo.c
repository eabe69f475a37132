/* pyinfo.c — see pyinfo.h. */
#include "pyinfo.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fileio.h"
#include "hostprobe.h"
#include "msg.h"

#define SHEBANG_MAX 4096
#define PYVENV_MAX (64 * 1024)
#define META_MAX (16 * 1024 * 1024)
#define CONDA_JSON_MAX (64 * 1024 * 1024)

static int fail(struct pyinfo *pi, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct pyinfo *pi, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(pi->error);
    pi->error = xvasprintf(fmt, ap);
    va_end(ap);
    return -1;
}

static void set_str(char **dst, const char *src)
{
    free(*dst);
    *dst = src ? xstrdup(src) : NULL;
}

/* PATH's text (at most MAX bytes), malloc'd; NULL when it is missing,
 * unreadable or larger. */
static char *read_text(const char *path, size_t max)
{
    char *text = NULL;
    if (file_read(path, max, &text, NULL, NULL) != 0)
        return NULL;
    return text;
}

/* The first bytes of a script (its #! line and the one after),
 * NUL-terminated and malloc'd; NULL with errno when it cannot be read. Only
 * the head: the script itself may be large (a zipapp). */
static char *read_script_head(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    char *head = xmalloc(SHEBANG_MAX + 1);
    size_t len = fread(head, 1, SHEBANG_MAX, fp);
    int e = ferror(fp) ? errno : 0;
    fclose(fp);
    if (e) {
        free(head);
        errno = e;
        return NULL;
    }
    head[len] = '\0';
    return head;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* ---- platform ------------------------------------------------------------- */

static const struct {
    const char *sysname;  /* uname -s, or a prefix of it when it ends in '*' */
    const char *machine;
    const char *subdir;
} subdirs[] = {
    { "Linux", "x86_64", "linux-64" },
    { "Linux", "aarch64", "linux-aarch64" },
    { "Linux", "arm64", "linux-aarch64" },
    { "Linux", "ppc64le", "linux-ppc64le" },
    { "Linux", "s390x", "linux-s390x" },
    { "Linux", "armv7l", "linux-armv7l" },
    { "Linux", "i686", "linux-32" },
    { "Darwin", "x86_64", "osx-64" },
    { "Darwin", "arm64", "osx-arm64" },
    { "MINGW*", "x86_64", "win-64" },
    { "MSYS*", "x86_64", "win-64" },
    { "CYGWIN*", "x86_64", "win-64" },
    { "Windows*", "x86_64", "win-64" },
    { "Windows*", "AMD64", "win-64" },
    { "MINGW*", "aarch64", "win-arm64" },
    { "Windows*", "ARM64", "win-arm64" },
};

const char *pyinfo_conda_subdir_for(const char *sysname, const char *machine)
{
    if (!sysname || !machine)
        return NULL;
    for (size_t i = 0; i < sizeof subdirs / sizeof *subdirs; i++) {
        const char *s = subdirs[i].sysname;
        size_t n = strlen(s);
        int match = s[n - 1] == '*' ? strncmp(sysname, s, n - 1) == 0 : strcmp(sysname, s) == 0;
        if (match && !strcmp(machine, subdirs[i].machine))
            return subdirs[i].subdir;
    }
    return NULL;
}

const char *pyinfo_conda_subdir(void)
{
    const char *env = getenv("CONDA_SUBDIR");
    if (env && *env)
        return env;
    struct utsname u;
    if (uname(&u) < 0)
        return NULL;
    return pyinfo_conda_subdir_for(u.sysname, u.machine);
}

static void fill_platform(struct pyinfo *pi)
{
    struct utsname u;
    if (uname(&u) == 0) {
        size_t i;
        for (i = 0; u.sysname[i] && i + 1 < sizeof pi->os; i++)
            pi->os[i] = (char)tolower((unsigned char)u.sysname[i]);
        pi->os[i] = '\0';
        snprintf(pi->machine, sizeof pi->machine, "%s", u.machine);
    }
    free(pi->glibc);
    pi->glibc = NULL;
#ifdef _CS_GNU_LIBC_VERSION
    char buf[64];
    size_t n = confstr(_CS_GNU_LIBC_VERSION, buf, sizeof buf);
    if (n > 0 && n <= sizeof buf && !strncmp(buf, "glibc ", 6))
        pi->glibc = xstrdup(buf + 6);
#endif
}

/* ---- versions --------------------------------------------------------------- */

/* Take "3.12.1" out of "3.12.1.final.0" / "3.11.2+" / "3.12"; store it and
 * major/minor. 0, or -1 if S does not start with "N.N". */
static int set_version(struct pyinfo *pi, const char *s, const char *source)
{
    const char *p = s;
    size_t len = 0;
    int parts = 0;
    while (parts < 3 && isdigit((unsigned char)p[len])) {
        while (isdigit((unsigned char)p[len]))
            len++;
        parts++;
        if (p[len] != '.' || !isdigit((unsigned char)p[len + 1]) || parts == 3)
            break;
        len++;
    }
    if (parts < 2)
        return -1;
    char *v = xstrndup(s, len);
    int major = atoi(v), minor = atoi(strchr(v, '.') + 1);
    if (major < 2 || major > 9) {
        free(v);
        return -1;
    }
    free(pi->version);
    pi->version = v;
    pi->major = major;
    pi->minor = minor;
    set_str(&pi->version_source, source);
    return 0;
}

/* pyvenv.cfg: "key = value" lines. malloc'd value of KEY, or NULL. */
static char *cfg_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        const char *p = line;
        while (p < line + n && (*p == ' ' || *p == '\t'))
            p++;
        if ((size_t)(line + n - p) > klen && !strncmp(p, key, klen)) {
            const char *q = p + klen;
            while (q < line + n && (*q == ' ' || *q == '\t'))
                q++;
            if (q < line + n && *q == '=') {
                q++;
                while (q < line + n && (*q == ' ' || *q == '\t'))
                    q++;
                const char *e = line + n;
                while (e > q && isspace((unsigned char)e[-1]))
                    e--;
                return xstrndup(q, (size_t)(e - q));
            }
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

/* pyvenv.cfg in the interpreter's directory or the one above (PEP 405).
 * Sets prefix and is_venv; the version when the file has one. */
static int from_pyvenv(struct pyinfo *pi, const char *bindir)
{
    char *up = dir_of(bindir);
    const char *dirs[] = { bindir, up };
    int found = 0;
    for (size_t i = 0; i < 2 && !found; i++) {
        char *cfg = xasprintf("%s/pyvenv.cfg", dirs[i]);
        char *text = read_text(cfg, PYVENV_MAX);
        if (text) {
            found = 1;
            pi->is_venv = 1;
            set_str(&pi->prefix, dirs[i]);
            static const char *const keys[] = { "version_info", "version" };
            for (size_t k = 0; k < 2; k++) {
                char *v = cfg_value(text, keys[k]);
                int ok = v && set_version(pi, v, cfg) == 0;
                free(v);
                if (ok)
                    break;
            }
        }
        free(text);
        free(cfg);
    }
    free(up);
    return found;
}

/* Interpreter named python3.11 (python3.11d, python3.11.exe...) -> "3.11". */
static int from_name(struct pyinfo *pi, const char *path, const char *why)
{
    const char *b = base_of(path);
    if (strncmp(b, "python", 6) != 0)
        return 0;
    const char *v = b + 6;
    if (!isdigit((unsigned char)v[0]) || v[1] != '.' || !isdigit((unsigned char)v[2]))
        return 0;
    char *src = xasprintf("interpreter name %s%s", path, why);
    int ok = set_version(pi, v, src) == 0;
    free(src);
    return ok;
}

/* Is N "pythonX.Y" (X one digit, Y digits)? */
static int is_python_xy(const char *n)
{
    return !strncmp(n, "python", 6) && isdigit((unsigned char)n[6]) && n[7] == '.' && n[8] &&
           strspn(n + 8, "0123456789") == strlen(n + 8);
}

/* Exactly one PREFIX/lib/pythonX.Y/ directory -> X.Y. */
static int from_libdir(struct pyinfo *pi, const char *prefix)
{
    char *lib = xasprintf("%s/lib", prefix);
    struct strv names = STRV_INIT;
    host_list_dir(lib, &names);
    char *only = NULL;
    int count = 0;
    for (size_t i = 0; i < names.n; i++) {
        char *p = is_python_xy(names.v[i]) ? xasprintf("%s/%s", lib, names.v[i]) : NULL;
        if (p && host_is_dir(p)) {
            count++;
            free(only);
            only = p;
        } else {
            free(p);
        }
    }
    int ok = count == 1 && set_version(pi, base_of(only) + 6, only) == 0;
    strv_clear(&names);
    free(only);
    free(lib);
    return ok;
}

/* Ask the interpreter itself, with a timeout. */
static int from_running(struct pyinfo *pi, const char *python)
{
    char *argv[] = { "python", "-E", "-S", "-c",
                     "import sys; print('%d.%d.%d' % sys.version_info[:3])", NULL };
    char *out = NULL;
    int st = -1;
    int rc = host_run(python, argv, PYINFO_RUN_TIMEOUT_MS, &out, &st, NULL);
    int ok = 0;
    if (rc == 0 && st == 0) {
        char *src = xasprintf("%s -c 'import sys; print(sys.version_info)'", python);
        ok = set_version(pi, out, src) == 0;
        free(src);
    }
    free(out);
    return ok;
}

/* ---- conda ------------------------------------------------------------------- */

/* "python-3.12.1-hab00c5b_1_cpython.json" -> "3.12.1" (malloc'd), or NULL
 * for other packages (python_abi-..., python-dateutil-...). */
static char *conda_python_version(const char *fname)
{
    size_t n = strlen(fname);
    if (n < 5 || strcmp(fname + n - 5, ".json") != 0 || strncmp(fname, "python-", 7) != 0)
        return NULL;
    char *stem = xstrndup(fname, n - 5);
    char *build = strrchr(stem, '-');
    char *res = NULL;
    if (build && build > stem + 7) {
        *build = '\0';
        char *ver = strrchr(stem, '-');
        if (ver == stem + 6 && isdigit((unsigned char)ver[1]))
            res = xstrdup(ver + 1);
    }
    free(stem);
    return res;
}

/* Check the record FILE (its name says version FVER) and take its version:
 * 1, or -1 (pi->error). */
static int take_conda_record(struct pyinfo *pi, const char *file, const char *fver)
{
    char *text = read_text(file, CONDA_JSON_MAX);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(j, "name");
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(j, "version");
    int has_ver = cJSON_IsString(ver), rc = 1;
    if (!j)
        rc = fail(pi, "%s: not readable JSON", file);
    else if (!cJSON_IsString(name) || strcmp(name->valuestring, "python") != 0)
        rc = fail(pi, "%s: \"name\" is not \"python\"", file);
    else if (!has_ver || strcmp(ver->valuestring, fver) != 0)
        rc = fail(pi, "%s: \"version\" is %s%s%s, the file name says %s", file,
                  has_ver ? "\"" : "", has_ver ? ver->valuestring : "missing",
                  has_ver ? "\"" : "", fver);
    else if (set_version(pi, fver, file) < 0)
        rc = fail(pi, "%s: version %s is not a Python version", file, fver);
    cJSON_Delete(j);
    free(text);
    return rc;
}

/* Find and check conda-meta/python-*.json; sets version. 1 found, 0 none,
 * -1 inconsistent (pi->error). */
static int from_conda_meta(struct pyinfo *pi, const char *prefix)
{
    char *meta = xasprintf("%s/conda-meta", prefix);
    struct strv names = STRV_INIT;
    host_list_dir(meta, &names);
    char *file = NULL, *fver = NULL;
    int several = 0;
    for (size_t i = 0; i < names.n && !several; i++) {
        char *v = conda_python_version(names.v[i]);
        several = v && file;
        if (v && !file) {
            file = xasprintf("%s/%s", meta, names.v[i]);
            fver = v;
        } else {
            free(v);
        }
    }
    int rc = 0;
    if (several)
        rc = fail(pi, "%s/conda-meta has more than one python record", prefix);
    else if (file)
        rc = take_conda_record(pi, file, fver);
    strv_clear(&names);
    free(meta);
    free(file);
    free(fver);
    return rc;
}

/* ---- site-packages ------------------------------------------------------------- */

static void add_site(struct pyinfo *pi, char *dir)
{
    for (size_t i = 0; i < pi->site_dirs.n; i++) {
        if (!strcmp(pi->site_dirs.v[i], dir)) {
            free(dir);
            return;
        }
    }
    if (host_is_dir(dir))
        strv_push_take(&pi->site_dirs, dir);
    else
        free(dir);
}

/* The directories Python would search, in sys.path order. */
static void find_site_dirs(struct pyinfo *pi)
{
    strv_clear(&pi->site_dirs);
    if (!pi->prefix || !pi->version)
        return;
    const char *p = pi->prefix;
    int M = pi->major, m = pi->minor;
    /* Outside a venv the user's site comes first (conda envs included). */
    const char *home = getenv("HOME");
    if (!pi->is_venv && home && *home)
        add_site(pi, xasprintf("%s/.local/lib/python%d.%d/site-packages", home, M, m));
    add_site(pi, xasprintf("%s/lib/python%d.%d/site-packages", p, M, m));
    add_site(pi, xasprintf("%s/Lib/site-packages", p));
    if (pi->is_venv || pi->is_conda)
        return;
    /* A system interpreter, Debian layout. */
    add_site(pi, xasprintf("%s/local/lib/python%d.%d/dist-packages", p, M, m));
    add_site(pi, xasprintf("%s/lib/python%d/dist-packages", p, M));
    add_site(pi, xasprintf("%s/lib/python%d.%d/dist-packages", p, M, m));
}

/* ---- entry points ---------------------------------------------------------------- */

void pyinfo_free(struct pyinfo *pi)
{
    char *strs[] = { pi->python, pi->prefix, pi->version, pi->version_source, pi->glibc,
                     pi->error };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        free(strs[i]);
    strv_clear(&pi->site_dirs);
    *pi = (struct pyinfo)PYINFO_INIT;
}

static void reset(struct pyinfo *pi)
{
    pyinfo_free(pi);
    fill_platform(pi);
}

int pyinfo_from_python(const char *python, struct pyinfo *pi)
{
    reset(pi);
    char *path = host_which(python);
    if (!path)
        return fail(pi, "%s: no such interpreter%s", python,
                    strchr(python, '/') ? "" : " on PATH");
    pi->python = path;

    char *bindir = dir_of(path);
    char *up = dir_of(bindir);
    char *real = realpath(path, NULL);
    int have = from_pyvenv(pi, bindir) && pi->version;
    if (!pi->prefix && !strcmp(base_of(bindir), "bin"))
        pi->prefix = xstrdup(up);
    if (!pi->is_venv && pi->prefix) {
        char *meta = xasprintf("%s/conda-meta", pi->prefix);
        pi->is_conda = host_is_dir(meta);
        free(meta);
    }
    int rc = 0;
    if (!have && pi->is_conda) {
        int c = from_conda_meta(pi, pi->prefix);
        if (c < 0)
            rc = -1;
        have = c > 0;
    }
    if (rc == 0 && !have)
        have = from_name(pi, path, "");
    if (rc == 0 && !have && real && strcmp(real, path) != 0)
        have = from_name(pi, real, " (resolved)");
    if (rc == 0 && !have)
        have = from_libdir(pi, up);
    if (rc == 0 && !have && real) {
        char *rb = dir_of(real);
        char *ru = dir_of(rb);
        if (strcmp(ru, up) != 0)
            have = from_libdir(pi, ru);
        free(rb);
        free(ru);
    }
    if (rc == 0 && !have)
        have = from_running(pi, path);
    if (rc == 0 && !have)
        rc = fail(pi, "%s: cannot tell its Python version", path);
    free(real);
    free(bindir);
    free(up);
    if (rc == 0)
        find_site_dirs(pi);
    return rc;
}

char *pyinfo_parse_shebang(const char *text, int *via_env)
{
    *via_env = 0;
    if (strncmp(text, "#!", 2) != 0)
        return NULL;
    const char *eol = strchr(text, '\n');
    char *line = xstrndup(text + 2, eol ? (size_t)(eol - text - 2) : strlen(text + 2));
    char *res = NULL;
    char *save = NULL;
    char *w = strtok_r(line, " \t\r", &save);
    if (w && (!strcmp(w, "/bin/sh") || !strcmp(w, "/usr/bin/sh") || !strcmp(w, "/bin/bash"))) {
        /* pip's trampoline: '''exec' "/path/python" "$0" "$@" */
        const char *l2 = eol ? eol + 1 : "";
        static const char tramp[] = "'''exec' ";
        if (!strncmp(l2, tramp, sizeof tramp - 1)) {
            const char *p = l2 + sizeof tramp - 1;
            const char *end;
            if (*p == '"') {
                p++;
                end = strchr(p, '"');
            } else if (*p == '\'') {
                p++;
                end = strchr(p, '\'');
            } else {
                end = p + strcspn(p, " \t\r\n");
            }
            const char *nl = strchr(p, '\n');
            if (end && end > p && (!nl || end < nl))
                res = xstrndup(p, (size_t)(end - p));
        }
    } else if (w && !strcmp(base_of(w), "env")) {
        /* #!/usr/bin/env [-S] [-i] [NAME=VALUE] python3 [args] */
        while ((w = strtok_r(NULL, " \t\r", &save))) {
            if (w[0] == '-' || strchr(w, '='))
                continue;
            res = xstrdup(w);
            *via_env = 1;
            break;
        }
    } else if (w && w[0] == '/') {
        res = xstrdup(w);
    }
    free(line);
    return res;
}

int pyinfo_from_pip(const char *pip_path, struct pyinfo *pi)
{
    reset(pi);
    char *head = read_script_head(pip_path);
    if (!head)
        return fail(pi, "%s: %s", pip_path, strerror(errno));
    int via_env;
    char *interp = pyinfo_parse_shebang(head, &via_env);
    free(head);
    if (!interp)
        return fail(pi, "%s: not a script with a #! line naming its Python", pip_path);
    int rc = pyinfo_from_python(interp, pi);
    if (rc < 0) {
        char *e = pi->error;
        pi->error = NULL;
        rc = fail(pi, "%s: %s", pip_path, e);
        free(e);
    }
    free(interp);
    return rc;
}

int pyinfo_from_conda_prefix(const char *prefix, struct pyinfo *pi)
{
    reset(pi);
    char *meta = xasprintf("%s/conda-meta", prefix);
    int ok = host_is_dir(meta);
    free(meta);
    if (!ok)
        return fail(pi, "%s: not a conda environment (no conda-meta/)", prefix);
    pi->prefix = xstrdup(prefix);
    pi->is_conda = 1;
    int c = from_conda_meta(pi, prefix);
    if (c < 0)
        return -1;
    if (c == 0)
        return fail(pi, "%s: no python in this environment (no conda-meta/python-*.json)",
                    prefix);
    static const char *const names[] = { "bin/python", "python.exe" };
    for (size_t i = 0; i < sizeof names / sizeof *names && !pi->python; i++) {
        char *p = xasprintf("%s/%s", prefix, names[i]);
        if (host_is_file(p))
            pi->python = p;
        else
            free(p);
    }
    find_site_dirs(pi);
    return 0;
}

/* ---- installed distributions --------------------------------------------------------- */

/* PEP 503 normalisation, then '-' -> '_' as in dist-info names: runs of
 * "-_." become one '_', lower case. */
static char *norm_name(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-' || c == '_' || c == '.') {
            if (o == 0 || out[o - 1] != '_')
                out[o++] = '_';
        } else {
            out[o++] = (char)tolower((unsigned char)c);
        }
    }
    out[o] = '\0';
    return out;
}

/* "Key: value" from the header part of METADATA/PKG-INFO; malloc'd. */
static char *meta_field(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        if (n == 0 || (n == 1 && line[0] == '\r'))
            break; /* end of headers */
        if (n > klen && !strncasecmp(line, key, klen) && line[klen] == ':') {
            const char *v = line + klen + 1;
            const char *e = line + n;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && isspace((unsigned char)e[-1]))
                e--;
            return xstrndup(v, (size_t)(e - v));
        }
        if (!eol)
            break;
        line = eol + 1;
    }
    return NULL;
}

void pyinfo_dist_free(struct pyinfo_dist *d)
{
    char *strs[] = { d->name, d->version, d->public_version, d->local, d->path };
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
        free(strs[i]);
    memset(d, 0, sizeof *d);
}

/* Read one .dist-info/.egg-info entry into d: 1 ok, -1 unreadable. */
static int read_dist(const char *dir, const char *entry, int egg, const char *want,
                     struct pyinfo_dist *d)
{
    char *path = xasprintf("%s/%s", dir, entry);
    char *meta = egg ? (host_is_dir(path) ? xasprintf("%s/PKG-INFO", path) : xstrdup(path))
                     : xasprintf("%s/METADATA", path);
    char *text = read_text(meta, META_MAX);
    free(meta);
    char *name = text ? meta_field(text, "Name") : NULL;
    char *ver = text ? meta_field(text, "Version") : NULL;
    free(text);
    char *nn = name ? norm_name(name, strlen(name)) : NULL;
    if (!name || !ver || !*ver || strcmp(nn, want) != 0) {
        free(name);
        free(ver);
        free(nn);
        free(path);
        return -1;
    }
    free(nn);
    d->name = name;
    d->version = ver;
    char *plus = strchr(ver, '+');
    d->public_version = plus ? xstrndup(ver, (size_t)(plus - ver)) : xstrdup(ver);
    d->local = plus && plus[1] ? xstrdup(plus + 1) : NULL;
    d->path = path;
    return 1;
}

/* Is entry N a .dist-info (0) or .egg-info (1) of WANT (normalised)? -1 no. */
static int dist_entry_kind(const char *n, const char *want)
{
    size_t len = strlen(n);
    int egg = len > 9 && !strcmp(n + len - 9, ".egg-info");
    int dist = len > 10 && !strcmp(n + len - 10, ".dist-info");
    const char *dash = strchr(n, '-');
    if ((!egg && !dist) || !dash)
        return -1;
    char *nn = norm_name(n, (size_t)(dash - n));
    int same = !strcmp(nn, want);
    free(nn);
    return same ? egg : -1;
}

static int find_in_dir(const char *dir, const char *want, struct pyinfo_dist *d)
{
    struct strv names = STRV_INIT;
    host_list_dir(dir, &names);
    /* dist-info before egg-info; the first readable one wins. */
    int rc = 0;
    for (int pass = 0; pass < 2 && rc != 1; pass++)
        for (size_t i = 0; i < names.n && rc != 1; i++)
            if (dist_entry_kind(names.v[i], want) == pass)
                rc = read_dist(dir, names.v[i], pass, want, d);
    strv_clear(&names);
    return rc;
}

int pyinfo_find_dist(const struct pyinfo *pi, const char *name, struct pyinfo_dist *d)
{
    memset(d, 0, sizeof *d);
    char *want = norm_name(name, strlen(name));
    /* As at import time, the first directory that has it decides. */
    int rc = 0;
    for (size_t i = 0; i < pi->site_dirs.n && rc == 0; i++)
        rc = find_in_dir(pi->site_dirs.v[i], want, d);
    free(want);
    return rc;
}

int pyinfo_torch_installed(const struct pyinfo *pi, struct pyinfo_dist *d)
{
    return pyinfo_find_dist(pi, "torch", d);
}
