/* condarc.c — see condarc.h. Reading the files and the environment; the
 * merge and the channel resolution are below the loader. */
#include "condarc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "msg.h"
#include "yamldoc.h"

#define MAX_ITEMS 1000   /* per key and file */

enum kind { K_SEQ, K_MAP, K_SCALAR };
enum key { KEY_CHANNELS, KEY_DEFAULT_CHANNELS, KEY_CUSTOM_CHANNELS, KEY_CHANNEL_ALIAS,
           KEY_PKGS_DIRS, KEY_OVERRIDE, KEY_PRIORITY, NKEYS };
enum flag { F_NONE, F_FINAL, F_TOP, F_BOTTOM };

static const struct keydef {
    const char *name, *alias;
    enum kind kind;
    int expand;                        /* 1: $VAR; 2: $VAR and ~/ */
    const char *conda_env, *conda_env_alias, *mamba_env;
} keys[NKEYS] = {
    { "channels", "channel", K_SEQ, 1, "CONDA_CHANNELS", "CONDA_CHANNEL", "CONDA_CHANNELS" },
    { "default_channels", NULL, K_SEQ, 1, "CONDA_DEFAULT_CHANNELS", NULL,
      "MAMBA_DEFAULT_CHANNELS" },
    { "custom_channels", NULL, K_MAP, 1, NULL, NULL, NULL },
    { "channel_alias", NULL, K_SCALAR, 1, "CONDA_CHANNEL_ALIAS", NULL, "MAMBA_CHANNEL_ALIAS" },
    { "pkgs_dirs", NULL, K_SEQ, 2, "CONDA_PKGS_DIRS", NULL, "CONDA_PKGS_DIRS" },
    { "override_channels_enabled", NULL, K_SCALAR, 0, "CONDA_OVERRIDE_CHANNELS_ENABLED", NULL,
      "MAMBA_OVERRIDE_CHANNELS_ENABLED" },
    { "channel_priority", NULL, K_SCALAR, 0, "CONDA_CHANNEL_PRIORITY", NULL,
      "MAMBA_CHANNEL_PRIORITY" },
};

struct item {
    char *key, *value;
    enum flag flag;
};

struct match {           /* one key as one source set it */
    int present;
    enum flag keyflag;
    struct item *v;
    size_t n;
};

struct source {
    const char *name;    /* points into cfg->sources_ */
    struct match m[NKEYS];
};

struct loader {
    struct condarc *cfg;
    const struct condarc_roots *r;
    struct source *src;
    size_t nsrc, nfiles_seen;
    int failed;
};

/* ---- text lines and conda's comment flags ("#!final", "#!top", "#!bottom") ---- */

struct lines {
    const char *text;
    size_t *start;       /* start[i]: offset of line i; start[n] = len + 1 */
    size_t n;
};

static void lines_init(struct lines *ln, const char *text, size_t len)
{
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    ln->text = text;
    ln->n = n;
    ln->start = xmalloc((n + 1) * sizeof *ln->start);
    ln->start[0] = 0;
    for (size_t i = 0, k = 1; i < len; i++)
        if (text[i] == '\n')
            ln->start[k++] = i + 1;
    ln->start[n] = len + 1;
}

/* Skip a quoted scalar starting at P (on '"' or '\''); NULL when it does not
 * close on this line. */
static const char *skip_quoted(const char *p, const char *end)
{
    char q = *p++;
    for (; p < end; p++) {
        if (q == '"' && *p == '\\' && p + 1 < end)
            p++;
        else if (*p == q && q == '\'' && p + 1 < end && p[1] == '\'')
            p++;
        else if (*p == q)
            return p;
    }
    return NULL;
}

/* The flag of the comment that ends LINE (0-based), F_NONE when none. */
static enum flag line_flag(const struct lines *ln, size_t line)
{
    if (line >= ln->n)
        return F_NONE;
    const char *p = ln->text + ln->start[line], *end = ln->text + ln->start[line + 1] - 1;
    char prev = ' ';
    for (; p < end; prev = *p++) {
        if ((*p == '"' || *p == '\'') && strchr(" \t[{,", prev)) {
            if (!(p = skip_quoted(p, end)))
                return F_NONE;
            continue;
        }
        if (*p == '#' && (prev == ' ' || prev == '\t'))
            break;
    }
    if (p >= end)
        return F_NONE;
    /* Python's comment.strip().strip("!#") */
    while (end > p && strchr(" \t\r", end[-1]))
        end--;
    while (p < end && strchr("!#", *p))
        p++;
    while (end > p && strchr("!#", end[-1]))
        end--;
    size_t n = (size_t)(end - p);
    if (n == 5 && !strncmp(p, "final", 5))
        return F_FINAL;
    if (n == 3 && !strncmp(p, "top", 3))
        return F_TOP;
    if (n == 6 && !strncmp(p, "bottom", 6))
        return F_BOTTOM;
    return F_NONE;
}

/* ---- one file's keys ---- */

static void push_item(struct match *m, const char *key, const char *value, enum flag f)
{
    m->v = xrealloc(m->v, (m->n + 1) * sizeof *m->v);
    m->v[m->n].key = key ? xstrdup(key) : NULL;
    m->v[m->n].value = xstrdup(value);
    m->v[m->n].flag = f;
    m->n++;
}

static void match_clear(struct match *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        free(m->v[i].value);
    }
    free(m->v);
    memset(m, 0, sizeof *m);
}

static int read_seq(yaml_document_t *doc, yaml_node_t *n, const struct lines *ln,
                    struct match *m, const char *name, struct strv *errs)
{
    if (n->type != YAML_SEQUENCE_NODE) {
        strv_pushf(errs, "%s is not a list", name);
        return -1;
    }
    int block = n->data.sequence.style != YAML_FLOW_SEQUENCE_STYLE;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
         it++) {
        const char *v = yamldoc_scalar(doc, *it);
        if (!v) {
            strv_pushf(errs, "%s: item %td is not a string", name,
                       it - n->data.sequence.items.start + 1);
            return -1;
        }
        if (m->n >= MAX_ITEMS) {
            strv_pushf(errs, "%s: more than %d items", name, MAX_ITEMS);
            return -1;
        }
        if (yamldoc_is_null(doc, *it))
            continue;
        yaml_node_t *in = yamldoc_node(doc, *it);
        push_item(m, NULL, v, block ? line_flag(ln, in->end_mark.line) : F_NONE);
    }
    return 0;
}

static int read_map(yaml_document_t *doc, yaml_node_t *n, const struct lines *ln,
                    struct match *m, const char *name, struct strv *errs)
{
    if (n->type != YAML_MAPPING_NODE) {
        strv_pushf(errs, "%s is not a mapping", name);
        return -1;
    }
    int block = n->data.mapping.style != YAML_FLOW_MAPPING_STYLE;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = yamldoc_scalar(doc, p->key), *v = yamldoc_scalar(doc, p->value);
        if (!k || (!v && !yamldoc_is_null(doc, p->value))) {
            strv_pushf(errs, "%s: an entry is not \"name: URL\"", name);
            return -1;
        }
        if (m->n >= MAX_ITEMS) {
            strv_pushf(errs, "%s: more than %d entries", name, MAX_ITEMS);
            return -1;
        }
        if (yamldoc_is_null(doc, p->value))
            continue;
        yaml_node_t *vn = yamldoc_node(doc, p->value);
        push_item(m, k, v, block ? line_flag(ln, vn->end_mark.line) : F_NONE);
    }
    return 0;
}

/* The key node and value of KEY (or its alias) in mapping ROOT. */
static int find_key(yaml_document_t *doc, int root, const struct keydef *kd, yaml_node_t **key)
{
    yaml_node_t *n = yamldoc_node(doc, root);
    for (int pass = 0; pass < 2; pass++) {
        const char *want = pass ? kd->alias : kd->name;
        if (!want)
            break;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
             p++) {
            const char *k = yamldoc_scalar(doc, p->key);
            if (k && !strcmp(k, want)) {
                *key = yamldoc_node(doc, p->key);
                return p->value;
            }
        }
    }
    return 0;
}

static void read_key(yaml_document_t *doc, int root, const struct lines *ln, enum key k,
                     struct source *src, struct strv *errs)
{
    const struct keydef *kd = &keys[k];
    yaml_node_t *keynode = NULL;
    int vid = find_key(doc, root, kd, &keynode);
    if (!vid)
        return;
    struct match *m = &src->m[k];
    yaml_node_t *v = yamldoc_node(doc, vid);
    if (yamldoc_is_null(doc, vid)) {
        m->present = kd->kind != K_SCALAR;   /* `channels:` sets an empty list */
    } else {
        int rc = 0;
        if (kd->kind == K_SEQ)
            rc = read_seq(doc, v, ln, m, kd->name, errs);
        else if (kd->kind == K_MAP)
            rc = read_map(doc, v, ln, m, kd->name, errs);
        else if (v->type != YAML_SCALAR_NODE)
            rc = -1, strv_pushf(errs, "%s is not a single value", kd->name);
        else
            push_item(m, NULL, (const char *)v->data.scalar.value, F_NONE);
        if (rc != 0) {
            match_clear(m);
            return;
        }
        m->present = 1;
    }
    m->keyflag = line_flag(ln, keynode->end_mark.line);
}

static char *join_errors(struct strv *errs)
{
    size_t len = 1;
    for (size_t i = 0; i < errs->n; i++)
        len += strlen(errs->v[i]) + 2;
    char *out = xmalloc(len);
    out[0] = 0;
    for (size_t i = 0; i < errs->n; i++) {
        if (i)
            strcat(out, "; ");
        strcat(out, errs->v[i]);
    }
    return out;
}

/* Parse TEXT into SRC; NULL, or the error(s). */
static char *read_source(const char *path, const char *text, size_t len, struct source *src)
{
    yaml_document_t doc;
    char *err = NULL;
    if (yamldoc_load(text, len, path, &doc, &err) != 0)
        return err;
    int root = yamldoc_root(&doc);
    yaml_node_t *rn = yamldoc_node(&doc, root);
    if (!rn || yamldoc_is_null(&doc, root)) {
        yaml_document_delete(&doc);
        return NULL;   /* empty: nothing set */
    }
    if (rn->type != YAML_MAPPING_NODE) {
        yaml_document_delete(&doc);
        return xasprintf("%s: not a mapping of settings", path);
    }
    struct lines ln;
    lines_init(&ln, text, len);
    struct strv errs = STRV_INIT;
    for (int k = 0; k < NKEYS; k++)
        read_key(&doc, root, &ln, (enum key)k, src, &errs);
    if (errs.n)
        err = join_errors(&errs);
    strv_clear(&errs);
    free(ln.start);
    yaml_document_delete(&doc);
    return err;
}

/* ---- the search path ---- */

static struct source *new_source(struct loader *L, const char *name)
{
    strv_push(&L->cfg->sources_, name);
    L->src = xrealloc(L->src, (L->nsrc + 1) * sizeof *L->src);
    struct source *s = &L->src[L->nsrc++];
    memset(s, 0, sizeof *s);
    s->name = L->cfg->sources_.v[L->cfg->sources_.n - 1];
    return s;
}

static void add_file_record(struct loader *L, const char *path, char *error)
{
    struct condarc *cfg = L->cfg;
    cfg->files = xrealloc(cfg->files, (cfg->nfiles + 1) * sizeof *cfg->files);
    cfg->files[cfg->nfiles].path = xstrdup(path);
    cfg->files[cfg->nfiles].error = error;
    cfg->nfiles++;
    if (error) {
        L->failed++;
        verbosef("conda configuration: %s", error);
    }
}

static void load_file(struct loader *L, const char *path)
{
    if (++L->nfiles_seen > CONDARC_MAX_DIR_FILES) {
        add_file_record(L, path, xasprintf("%s: more than %d configuration files", path,
                                           CONDARC_MAX_DIR_FILES));
        return;
    }
    char *text = NULL, *err = NULL;
    size_t len = 0;
    int rc = file_read(path, CONDARC_MAX_BYTES, &text, &len, &err);
    if (rc == 1)
        return;   /* vanished */
    if (rc < 0) {
        add_file_record(L, path, err);
        return;
    }
    struct source tmp;
    memset(&tmp, 0, sizeof tmp);
    char *perr = read_source(path, text, len, &tmp);
    free(text);
    struct source *s = new_source(L, path);
    memcpy(s->m, tmp.m, sizeof tmp.m);
    add_file_record(L, path, perr);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int is_yaml_name(const char *n)
{
    size_t l = strlen(n);
    return (l >= 4 && !strcmp(n + l - 4, ".yml")) || (l >= 5 && !strcmp(n + l - 5, ".yaml"));
}

static void load_dir(struct loader *L, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        add_file_record(L, dir, xasprintf("cannot read %s: %s", dir, strerror(errno)));
        return;
    }
    struct strv names = STRV_INIT;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && names.n <= CONDARC_MAX_DIR_FILES)
        if (is_yaml_name(de->d_name))
            strv_pushf(&names, "%s/%s", dir, de->d_name);
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof *names.v, cmp_str);
    for (size_t i = 0; i < names.n; i++)
        load_file(L, names.v[i]);
    strv_clear(&names);
}

static void load_path(struct loader *L, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            add_file_record(L, path, xasprintf("cannot read %s: %s", path, strerror(errno)));
        return;
    }
    if (S_ISDIR(st.st_mode))
        load_dir(L, path);
    else if (S_ISREG(st.st_mode))
        load_file(L, path);
    else
        add_file_record(L, path, xasprintf("%s is not a regular file", path));
}

/* Append BASE[/SUB]/NAME for each NAME to PATHS, once each; nothing when
 * BASE is NULL or empty. */
static void add_paths(struct strv *paths, const char *base, const char *sub,
                      const char *const *names)
{
    if (!base || !*base)
        return;
    size_t bl = strlen(base);
    while (bl > 1 && base[bl - 1] == '/')
        bl--;
    for (; *names; names++) {
        char *p = sub ? xasprintf("%.*s/%s/%s", (int)bl, base, sub, *names)
                      : xasprintf("%.*s/%s", (int)bl, base, *names);
        int dup = 0;
        for (size_t i = 0; i < paths->n && !dup; i++)
            dup = !strcmp(paths->v[i], p);
        if (dup)
            free(p);
        else
            strv_push_take(paths, p);
    }
}

static void search_path(const struct condarc_roots *r, struct strv *paths)
{
    static const char *const rc[] = { ".condarc", "condarc", "condarc.d", NULL };
    static const char *const rcm[] = { ".condarc", "condarc", "condarc.d", ".mambarc", NULL };
    static const char *const mrc[] = { ".mambarc", "mambarc", "mambarc.d", NULL };
    static const char *const dot_condarc[] = { ".condarc", NULL };
    static const char *const dot_mambarc[] = { ".mambarc", NULL };
    int mamba = r->tool == CONDARC_MAMBA;
    const char *sys = r->sysroot && strcmp(r->sysroot, "/") ? r->sysroot : "";
    char *etc = xasprintf("%s/etc/conda", sys), *var = xasprintf("%s/var/lib/conda", sys);
    char *home_cfg = r->home && *r->home ? xasprintf("%s/.config", r->home) : NULL;
    const char *xdg = r->xdg_config_home && *r->xdg_config_home ? r->xdg_config_home : NULL;
    add_paths(paths, etc, NULL, mamba ? rcm : rc);
    add_paths(paths, var, NULL, mamba ? rcm : rc);
    add_paths(paths, r->root_prefix, NULL, mamba ? rcm : rc);
    if (mamba) {   /* {$XDG_CONFIG_HOME or ~/.config}/conda */
        add_paths(paths, xdg ? xdg : home_cfg, "conda", rc);
    } else {       /* $XDG_CONFIG_HOME/conda, then ~/.config/conda */
        add_paths(paths, xdg, "conda", rc);
        add_paths(paths, home_cfg, "conda", rc);
    }
    add_paths(paths, r->home, ".conda", rc);
    add_paths(paths, r->home, NULL, dot_condarc);
    if (mamba) {
        add_paths(paths, xdg ? xdg : home_cfg, "mamba", mrc);
        add_paths(paths, r->home, ".mamba", mrc);
        add_paths(paths, r->home, NULL, dot_mambarc);
    }
    add_paths(paths, r->env_prefix, NULL, mamba ? rcm : rc);
    if (r->condarc && *r->condarc)
        strv_push(paths, r->condarc);
    if (mamba && r->mambarc && *r->mambarc)
        strv_push(paths, r->mambarc);
    free(etc);
    free(var);
    free(home_cfg);
}

/* ---- the environment ---- */

static const char *env_get(const struct condarc_roots *r, const char *name)
{
    size_t nl = strlen(name);
    for (char *const *e = r->env; e && *e; e++)
        if (!strncmp(*e, name, nl) && (*e)[nl] == '=')
            return *e + nl + 1;
    return NULL;
}

static void env_value(struct match *m, enum kind kind, const char *val)
{
    m->present = 1;
    if (kind == K_SEQ) {
        char *dup = xstrdup(val), *save = NULL;
        for (char *w = strtok_r(dup, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
            w += strspn(w, " \t");
            size_t l = strlen(w);
            while (l && strchr(" \t", w[l - 1]))
                w[--l] = 0;
            if (*w && m->n < MAX_ITEMS)
                push_item(m, NULL, w, F_NONE);
        }
        free(dup);
        return;
    }
    const char *imp = strstr(val, "!important");   /* conda's env-var "final" */
    char *v = imp ? xstrndup(val, (size_t)(imp - val)) : xstrdup(val);
    size_t l = strlen(v);
    while (l && strchr(" \t", v[l - 1]))
        v[--l] = 0;
    push_item(m, NULL, v + strspn(v, " \t"), F_NONE);
    free(v);
}

static void load_env(struct loader *L)
{
    for (int k = 0; k < NKEYS; k++) {
        const struct keydef *kd = &keys[k];
        const char *var = L->r->tool == CONDARC_MAMBA ? kd->mamba_env : kd->conda_env;
        const char *val = var ? env_get(L->r, var) : NULL;
        if (!val && L->r->tool == CONDARC_CONDA && kd->conda_env_alias)
            val = env_get(L->r, var = kd->conda_env_alias);
        if (!val || kd->kind == K_MAP)
            continue;
        struct match m;
        memset(&m, 0, sizeof m);
        env_value(&m, kd->kind, val);
        if (kd->kind == K_SCALAR && !*m.v[0].value) {
            match_clear(&m);   /* VAR= : not set */
            continue;
        }
        struct source *s = new_source(L, var);
        s->m[k] = m;
    }
}

/* ---- merging ---- */

/* $VAR and ${VAR} from R's environment, unknown ones kept (Python's
 * os.path.expandvars); TILDE: a leading "~/" too. */
static char *expand_value(const struct condarc_roots *r, const char *s, int tilde)
{
    struct strv parts = STRV_INIT;
    if (tilde && s[0] == '~' && (s[1] == '/' || !s[1]) && r->home) {
        strv_push(&parts, r->home);
        s++;
    }
    while (*s) {
        const char *d = strchr(s, '$');
        if (!d) {
            strv_push(&parts, s);
            break;
        }
        strv_push_take(&parts, xstrndup(s, (size_t)(d - s)));
        size_t nl = 0, skip = 0;
        const char *name = d + 1;
        if (*name == '{') {
            const char *close = strchr(name, '}');
            if (close) {
                name++;
                nl = (size_t)(close - name);
                skip = nl + 3;
            }
        } else {
            while (name[nl] == '_' || (name[nl] >= 'a' && name[nl] <= 'z') ||
                   (name[nl] >= 'A' && name[nl] <= 'Z') || (name[nl] >= '0' && name[nl] <= '9'))
                nl++;
            skip = nl + 1;
        }
        char *var = xstrndup(name, nl);
        const char *val = nl ? env_get(r, var) : NULL;
        free(var);
        strv_push_take(&parts, val ? xstrdup(val) : xstrndup(d, skip ? skip : 1));
        s = d + (skip ? skip : 1);
    }
    size_t len = 1;
    for (size_t i = 0; i < parts.n; i++)
        len += strlen(parts.v[i]);
    char *out = xmalloc(len);
    out[0] = 0;
    for (size_t i = 0; i < parts.n; i++)
        strcat(out, parts.v[i]);
    strv_clear(&parts);
    return out;
}

struct ref {
    const struct item *it;
    const char *src;
};

struct refs {
    struct ref *v;
    size_t n;
};

static void refs_push(struct refs *rs, const struct item *it, const char *src)
{
    rs->v = xrealloc(rs->v, (rs->n + 1) * sizeof *rs->v);
    rs->v[rs->n].it = it;
    rs->v[rs->n].src = src;
    rs->n++;
}

static void refs_reverse(struct refs *rs)
{
    for (size_t i = 0, j = rs->n; i + 1 < j; i++, j--) {
        struct ref t = rs->v[i];
        rs->v[i] = rs->v[j - 1];
        rs->v[j - 1] = t;
    }
}

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

/* Keep the first of each value, in order (toolz.unique). */
static void refs_unique(struct refs *rs)
{
    size_t cap = 16;
    while (cap < rs->n * 2)
        cap *= 2;
    const char **slot = xcalloc(cap, sizeof *slot);
    size_t out = 0;
    for (size_t i = 0; i < rs->n; i++) {
        const char *v = rs->v[i].it->value;
        size_t h = hash_str(v) & (cap - 1);
        while (slot[h] && strcmp(slot[h], v))
            h = (h + 1) & (cap - 1);
        if (slot[h])
            continue;
        slot[h] = v;
        rs->v[out++] = rs->v[i];
    }
    rs->n = out;
    free(slot);
}

/* Sources 0..*END (exclusive) that count for key K: up to and including the
 * first whose key is marked final. */
static size_t relevant_end(const struct loader *L, enum key k, int *set)
{
    *set = 0;
    for (size_t s = 0; s < L->nsrc; s++) {
        if (!L->src[s].m[k].present)
            continue;
        *set = 1;
        if (L->src[s].m[k].keyflag == F_FINAL)
            return s + 1;
    }
    return L->nsrc;
}

static void push_entry(struct condarc_list *out, const char *key, char *value, const char *src)
{
    out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
    out->v[out->n].key = key ? xstrdup(key) : NULL;
    out->v[out->n].value = value;
    out->v[out->n].source = src;
    out->n++;
}

/* conda's SequenceLoadedParameter.merge, with #!top and #!bottom. */
static void merge_seq(const struct loader *L, enum key k, struct condarc_list *out)
{
    size_t end = relevant_end(L, k, &out->set);
    struct refs top = { NULL, 0 }, bottom = { NULL, 0 }, all = { NULL, 0 };
    for (size_t s = 0; s < end; s++)
        for (size_t i = 0; i < L->src[s].m[k].n; i++)
            if (L->src[s].m[k].v[i].flag == F_TOP)
                refs_push(&top, &L->src[s].m[k].v[i], L->src[s].name);
    for (size_t s = end; s-- > 0;)
        for (size_t i = 0; i < L->src[s].m[k].n; i++) {
            const struct item *it = &L->src[s].m[k].v[i];
            if (it->flag == F_BOTTOM)
                refs_push(&bottom, it, L->src[s].name);
            refs_push(&top, it, L->src[s].name);   /* top lines, then all lines */
        }
    refs_unique(&top);
    /* unique(reversed(bottom) + reversed(top_deduped)), then reversed */
    refs_reverse(&bottom);
    refs_reverse(&top);
    for (size_t i = 0; i < bottom.n; i++)
        refs_push(&all, bottom.v[i].it, bottom.v[i].src);
    for (size_t i = 0; i < top.n; i++)
        refs_push(&all, top.v[i].it, top.v[i].src);
    refs_unique(&all);
    refs_reverse(&all);
    for (size_t i = 0; i < all.n; i++)
        push_entry(out, NULL, expand_value(L->r, all.v[i].it->value, keys[k].expand == 2),
                   all.v[i].src);
    free(top.v);
    free(bottom.v);
    free(all.v);
}

/* conda's MapLoadedParameter.merge: key by key, the highest precedence wins
 * unless a lower one marked its entry final. */
static void merge_map(const struct loader *L, enum key k, struct condarc_list *out)
{
    size_t end = relevant_end(L, k, &out->set);
    unsigned char *locked = NULL;
    for (size_t s = 0; s < end; s++)
        for (size_t i = 0; i < L->src[s].m[k].n; i++) {
            const struct item *it = &L->src[s].m[k].v[i];
            size_t j = 0;
            while (j < out->n && strcmp(out->v[j].key, it->key))
                j++;
            if (j == out->n) {
                if (out->n >= MAX_ITEMS)
                    continue;
                push_entry(out, it->key, NULL, NULL);
                locked = xrealloc(locked, out->n);
                locked[j] = 0;
            }
            if (locked[j])
                continue;
            free(out->v[j].value);
            out->v[j].value = expand_value(L->r, it->value, 0);
            out->v[j].source = L->src[s].name;
            locked[j] = it->flag == F_FINAL;
        }
    free(locked);
}

/* conda's PrimitiveLoadedParameter.merge: the first final, else the last. */
static void merge_scalar(const struct loader *L, enum key k, struct condarc_entry *out)
{
    int set;
    size_t end = relevant_end(L, k, &set);
    for (size_t s = end; s-- > 0;) {
        const struct match *m = &L->src[s].m[k];
        if (m->present && m->n) {
            out->value = keys[k].expand ? expand_value(L->r, m->v[0].value, 0)
                                        : xstrdup(m->v[0].value);
            out->source = L->src[s].name;
            return;
        }
    }
}

static void builtin_list(struct condarc_list *l, const char *const *values)
{
    if (l->set)
        return;
    for (; *values; values++)
        push_entry(l, NULL, xstrdup(*values), CONDARC_BUILTIN);
}

static void apply_defaults(struct condarc *cfg)
{
    static const char *const defaults[] = { "defaults", NULL };
    static const char *const default_channels[] = { "https://repo.anaconda.com/pkgs/main",
                                                    "https://repo.anaconda.com/pkgs/r", NULL };
    if (cfg->tool == CONDARC_CONDA)
        builtin_list(&cfg->channels, defaults);
    builtin_list(&cfg->default_channels, default_channels);
    if (cfg->tool == CONDARC_CONDA && !cfg->custom_channels.set)
        push_entry(&cfg->custom_channels, "pkgs/pro", xstrdup("https://repo.anaconda.com"),
                   CONDARC_BUILTIN);
    if (!cfg->channel_alias.value || !*cfg->channel_alias.value) {
        free(cfg->channel_alias.value);
        cfg->channel_alias.value = xstrdup(CONDARC_DEFAULT_ALIAS);
        cfg->channel_alias.source = CONDARC_BUILTIN;
    }
    char *a = cfg->channel_alias.value;
    for (size_t l = strlen(a); l > 1 && a[l - 1] == '/';)
        a[--l] = 0;
}

int condarc_load(struct condarc *cfg, const struct condarc_roots *r)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->tool = r->tool;
    cfg->home_ = r->home ? xstrdup(r->home) : NULL;
    struct loader L = { cfg, r, NULL, 0, 0, 0 };
    struct strv paths = STRV_INIT;
    search_path(r, &paths);
    for (size_t i = 0; i < paths.n; i++)
        load_path(&L, paths.v[i]);
    strv_clear(&paths);
    load_env(&L);
    merge_seq(&L, KEY_CHANNELS, &cfg->channels);
    merge_seq(&L, KEY_DEFAULT_CHANNELS, &cfg->default_channels);
    merge_seq(&L, KEY_PKGS_DIRS, &cfg->pkgs_dirs);
    merge_map(&L, KEY_CUSTOM_CHANNELS, &cfg->custom_channels);
    merge_scalar(&L, KEY_CHANNEL_ALIAS, &cfg->channel_alias);
    merge_scalar(&L, KEY_PRIORITY, &cfg->channel_priority);
    merge_scalar(&L, KEY_OVERRIDE, &cfg->override_channels_enabled);
    apply_defaults(cfg);
    for (size_t s = 0; s < L.nsrc; s++)
        for (int k = 0; k < NKEYS; k++)
            match_clear(&L.src[s].m[k]);
    free(L.src);
    return L.failed;
}

static void list_free(struct condarc_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].value);
    }
    free(l->v);
}

void condarc_free(struct condarc *cfg)
{
    for (size_t i = 0; i < cfg->nfiles; i++) {
        free(cfg->files[i].path);
        free(cfg->files[i].error);
    }
    free(cfg->files);
    list_free(&cfg->channels);
    list_free(&cfg->default_channels);
    list_free(&cfg->custom_channels);
    list_free(&cfg->pkgs_dirs);
    free(cfg->channel_alias.value);
    free(cfg->channel_priority.value);
    free(cfg->override_channels_enabled.value);
    strv_clear(&cfg->sources_);
    free(cfg->home_);
    memset(cfg, 0, sizeof *cfg);
}

int condarc_override_channels_enabled(const struct condarc *cfg)
{
    static const char *const no[] = { "false", "False", "FALSE", "no", "No", "NO", "off",
                                      "Off", "OFF", "0", NULL };
    const char *v = cfg->override_channels_enabled.value;
    for (const char *const *w = no; v && *w; w++)
        if (!strcmp(v, *w))
            return 0;
    return 1;
}

/* ---- channel names ---- */

static int is_url(const char *s)
{
    const char *p = strstr(s, "://");
    return p && p > s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-") ==
                             (size_t)(p - s);
}

static char *strip_slashes(const char *s)
{
    size_t l = strlen(s);
    while (l > 1 && s[l - 1] == '/')
        l--;
    return xstrndup(s, l);
}

/* A default_channels member: its URL and the channel name conda gives it
 * (the part after channel_alias, else the URL's path). */
static const char *member_name(const struct condarc *cfg, const char *url)
{
    const char *a = strstr(cfg->channel_alias.value, "://"), *u = strstr(url, "://");
    if (!u)
        return url;
    a = a ? a + 3 : cfg->channel_alias.value;
    u += 3;
    size_t al = strlen(a);
    if (!strncmp(u, a, al) && u[al] == '/')
        return u + al + 1;
    const char *path = strchr(u, '/');
    return path ? path + 1 : "";
}

/* The URL root that channel NAME (its first segments matched) lives under,
 * from custom_channels, then the default_channels members; NULL if none. */
static char *custom_root(const struct condarc *cfg, const char *name, const char **source)
{
    for (size_t i = 0; i < cfg->custom_channels.n; i++)
        if (!strcmp(cfg->custom_channels.v[i].key, name)) {
            *source = cfg->custom_channels.v[i].source;
            return strip_slashes(cfg->custom_channels.v[i].value);
        }
    for (size_t i = 0; i < cfg->default_channels.n; i++) {
        char *url = strip_slashes(cfg->default_channels.v[i].value);
        const char *mn = member_name(cfg, url);
        size_t ml = strlen(mn), ul = strlen(url);
        if (is_url(url) && !strcmp(mn, name) && ul > ml + 1) {
            *source = cfg->default_channels.v[i].source;
            url[ul - ml - 1] = 0;
            return url;
        }
        free(url);
    }
    return NULL;
}

static size_t platform_suffix(const char *name)
{
    static const char *const subdirs[] = {
        "noarch", "linux-32", "linux-64", "linux-aarch64", "linux-armv6l", "linux-armv7l",
        "linux-ppc64", "linux-ppc64le", "linux-riscv64", "linux-s390x", "osx-64", "osx-arm64",
        "win-32", "win-64", "win-arm64", "zos-z", "emscripten-wasm32", "wasi-wasm32",
        "freebsd-64", NULL
    };
    const char *slash = strrchr(name, '/');
    if (!slash)
        return 0;
    for (const char *const *s = subdirs; *s; s++)
        if (!strcmp(slash + 1, *s))
            return strlen(slash);
    return 0;
}

static enum condarc_via resolve_name(const struct condarc *cfg, const char *channel,
                                     struct strv *urls, const char **source)
{
    char *name = strip_slashes(channel);
    size_t pl = platform_suffix(name), nl = strlen(name) - pl;
    char *test = xstrndup(name, nl);
    for (;;) {
        char *root = custom_root(cfg, test, source);
        if (root) {
            strv_pushf(urls, "%s/%s", root, name);
            free(root), free(test), free(name);
            return CONDARC_VIA_CUSTOM;
        }
        char *slash = strrchr(test, '/');
        if (!slash)
            break;
        *slash = 0;
    }
    strv_pushf(urls, "%s/%s", cfg->channel_alias.value, name);
    *source = cfg->channel_alias.source;
    free(test), free(name);
    return CONDARC_VIA_ALIAS;
}

static int is_path(const char *s)
{
    return s[0] == '/' || !strcmp(s, ".") || !strcmp(s, "..") || !strncmp(s, "./", 2) ||
           !strncmp(s, "../", 3) || !strcmp(s, "~") || !strncmp(s, "~/", 2);
}

static void push_path_url(const struct condarc *cfg, const char *s, struct strv *urls)
{
    char *abs;
    if (s[0] == '~')
        abs = xasprintf("%s%s", cfg->home_ ? cfg->home_ : "", s + 1);
    else if (s[0] == '/')
        abs = xstrdup(s);
    else {
        char cwd[PATH_MAX];
        abs = xasprintf("%s/%s", getcwd(cwd, sizeof cwd) ? cwd : "", s);
    }
    char *clean = strip_slashes(abs);
    strv_pushf(urls, "file://%s", clean);
    free(clean);
    free(abs);
}

enum condarc_via condarc_channel_resolve(const struct condarc *cfg, const char *channel,
                                         struct strv *urls, const char **source)
{
    const char *dummy;
    if (!source)
        source = &dummy;
    *source = NULL;
    if (!strcmp(channel, "defaults")) {
        for (size_t i = 0; i < cfg->default_channels.n; i++) {
            const char *v = cfg->default_channels.v[i].value;
            if (is_url(v))
                strv_push_take(urls, strip_slashes(v));
            else   /* a name: under channel_alias */
                strv_pushf(urls, "%s/%s", cfg->channel_alias.value, v);
        }
        *source = cfg->default_channels.n ? cfg->default_channels.v[0].source : NULL;
        return CONDARC_VIA_DEFAULTS;
    }
    if (!strcmp(channel, "local"))
        return CONDARC_VIA_LOCAL;
    if (!strcmp(channel, "nodefaults"))
        return CONDARC_VIA_NODEFAULTS;
    if (is_url(channel)) {
        strv_push_take(urls, strip_slashes(channel));
        return CONDARC_VIA_URL;
    }
    if (is_path(channel)) {
        push_path_url(cfg, channel, urls);
        return CONDARC_VIA_PATH;
    }
    return resolve_name(cfg, channel, urls, source);
}

/* ---- roots from the process environment ---- */

extern char **environ;

char *condarc_root_of_exe(const char *exe)
{
    char buf[PATH_MAX];
    if (!exe || !*exe || !realpath(exe, buf))
        return NULL;
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(buf, '/');
        if (!slash)
            return NULL;
        *slash = 0;
    }
    return buf[0] ? xstrdup(buf) : xstrdup("/");
}

void condarc_roots_from_env(struct condarc_roots *r, enum condarc_tool tool,
                            const char *tool_exe, const char *env_prefix)
{
    memset(r, 0, sizeof *r);
    r->tool = tool;
    r->home = getenv("HOME");
    r->xdg_config_home = getenv("XDG_CONFIG_HOME");
    r->condarc = getenv("CONDARC");
    r->mambarc = getenv("MAMBARC");
    r->env = environ;
    r->env_prefix = env_prefix ? env_prefix : getenv("CONDA_PREFIX");
    const char *root = getenv(tool == CONDARC_MAMBA ? "MAMBA_ROOT_PREFIX" : "CONDA_ROOT");
    if (root && *root) {
        r->root_prefix = root;
        return;
    }
    if (!tool_exe)
        tool_exe = getenv(tool == CONDARC_MAMBA ? "MAMBA_EXE" : "CONDA_EXE");
    r->root_prefix = r->owned[0] = condarc_root_of_exe(tool_exe);
}

void condarc_roots_free(struct condarc_roots *r)
{
    for (size_t i = 0; i < sizeof r->owned / sizeof *r->owned; i++)
        free(r->owned[i]);
    memset(r->owned, 0, sizeof r->owned);
}
