/* condafetch.c — see condafetch.h. */
#include "condafetch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cache.h"
#include "condameta.h"
#include "fetchcfg.h"
#include "fileio.h"
#include "msg.h"
#include "pipfetch.h"
#include "prefetch.h"
#include "progress.h"

#define URLS_TXT_MAX ((size_t)64 << 20)
#define RECORD_JSON_MAX ((size_t)1 << 20)

/* ---- the command ------------------------------------------------------- */

/* Has the command the long option NAME? */
static int has_opt(const struct conda_job *job, const char *name)
{
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->lname && !strcmp(it->opt->lname, name))
            return 1;
    }
    return 0;
}

int condafetch_applies(const struct conda_job *job, const char **why_not)
{
    *why_not = !job->installs                 ? "the command installs nothing"
               : has_opt(job, "dry-run")      ? "--dry-run"
               : has_opt(job, "offline")      ? "--offline: the tool downloads nothing"
               : env_true("TORCHSHIM_DRY_RUN") ? "TORCHSHIM_DRY_RUN"
                                               : NULL;
    return *why_not == NULL;
}

int condafetch_quiet(const struct conda_job *job)
{
    const char *q = getenv("CONDA_QUIET");
    return has_opt(job, "quiet") || has_opt(job, "json") ||
           (q && *q && strcmp(q, "0") && strcasecmp(q, "false") && strcasecmp(q, "no"));
}

/* ---- package caches ---------------------------------------------------- */

static void push_once(struct strv *out, const char *dir)
{
    if (dir && *dir && strv_find(out, dir) < 0)
        strv_push(out, dir);
}

void condafetch_default_dirs(const struct condarc *rc, enum condarc_tool tool,
                             const char *root_prefix, const char *home, struct strv *out)
{
    size_t before = out->n;
    for (size_t i = 0; rc && i < rc->pkgs_dirs.n; i++)
        push_once(out, rc->pkgs_dirs.v[i].value);
    if (out->n > before)
        return;
    char *d;
    if (root_prefix && *root_prefix) {
        d = xasprintf("%s/pkgs", root_prefix);
        push_once(out, d);
        free(d);
    }
    if (home && *home) {
        d = xasprintf("%s/%s/pkgs", home, tool == CONDARC_MAMBA ? ".mamba" : ".conda");
        push_once(out, d);
        free(d);
    }
}

void condafetch_pkgs_dirs(const struct conda_job *job, const char *real, struct strv *out)
{
    struct condarc_roots roots;
    char *env = conda_job_env_prefix(job);
    enum condarc_tool tool = job->chans.have_rc ? job->chans.rc.tool : CONDARC_CONDA;
    condarc_roots_from_env(&roots, tool, real, env);
    condafetch_default_dirs(job->chans.have_rc ? &job->chans.rc : NULL, tool, roots.root_prefix,
                            roots.home, out);
    condarc_roots_free(&roots);
    free(env);
}

/* Create an empty file PATH unless it exists. */
static int touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

/* Is DIR a package cache the tool writes to, or can it become one? */
static int writable_cache(const char *dir, char **why)
{
    char *magic = xasprintf("%s/urls.txt", dir), *urls = xasprintf("%s/urls", dir), *err = NULL;
    struct stat st;
    int ok = 0;
    if (stat(magic, &st) == 0) {
        ok = S_ISREG(st.st_mode) && access(magic, W_OK) == 0;
        if (!ok)
            *why = xasprintf("%s: urls.txt is not writable", dir);
    } else if (mkdir_p(dir, 0755, &err) < 0) {
        *why = xasprintf("%s: %s", dir, err);
    } else if (touch(magic) < 0 || touch(urls) < 0) {
        *why = xasprintf("%s: cannot create urls.txt: %s", dir, strerror(errno));
    } else {
        ok = 1;
    }
    free(err);
    free(magic);
    free(urls);
    return ok;
}

char *condafetch_first_writable(const struct strv *dirs, char **err)
{
    struct strv why = STRV_INIT;
    for (size_t i = 0; i < dirs->n; i++) {
        char *w = NULL;
        if (writable_cache(dirs->v[i], &w)) {
            strv_clear(&why);
            return xstrdup(dirs->v[i]);
        }
        strv_push_take(&why, w);
    }
    char *all = strv_join(&why, "; ");
    seterr(err, "no writable package cache%s%s", why.n ? ": " : " (pkgs_dirs is empty)", all);
    free(all);
    strv_clear(&why);
    return NULL;
}

/* Is URL a line of TEXT[0..LEN)? */
static int has_line(const char *text, size_t len, const char *url)
{
    size_t ul = strlen(url);
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        size_t n = (size_t)(e - p);
        if (n && p[n - 1] == '\r')
            n--;
        if (n == ul && !memcmp(p, url, ul))
            return 1;
        p = nl ? nl + 1 : end;
    }
    return 0;
}

int condafetch_urls_add(const char *pkgs_dir, const char *url, char **err)
{
    char *path = xasprintf("%s/urls.txt", pkgs_dir), *text = NULL, *e = NULL;
    size_t len = 0;
    int rc = 0;
    if (file_read(path, URLS_TXT_MAX, &text, &len, &e) == 0 && has_line(text, len, url))
        goto out;
    /* one write of the whole line: appends never interleave */
    char *line = xasprintf("%s%s\n", len && text[len - 1] != '\n' ? "\n" : "", url);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, line, strlen(line)) < 0)
        rc = seterr(err, "%s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(line);
out:
    free(e);
    free(text);
    free(path);
    return rc;
}

/* "pytorch-2.3.1-py3.11_cpu_0.tar.bz2" -> "pytorch-2.3.1-py3.11_cpu_0". */
static char *dist_of(const char *fn)
{
    size_t n = strlen(fn);
    if (n > 8 && !strcmp(fn + n - 8, ".tar.bz2"))
        return xstrndup(fn, n - 8);
    if (n > 6 && !strcmp(fn + n - 6, ".conda"))
        return xstrndup(fn, n - 6);
    return NULL;
}

static int same_digest(const cJSON *rec, const char *key, const char *want)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(rec, key);
    return want && cJSON_IsString(j) && j->valuestring && !strcasecmp(j->valuestring, want);
}

int condafetch_extracted(const char *pkgs_dir, const struct conda_pkgfile *f)
{
    char *dist = dist_of(f->fn), *text = NULL, *err = NULL;
    if (!dist)
        return 0;
    char *path = xasprintf("%s/%s/info/repodata_record.json", pkgs_dir, dist);
    size_t len;
    int yes = 0;
    if (file_read(path, RECORD_JSON_MAX, &text, &len, &err) == 0) {
        cJSON *rec = cJSON_ParseWithLength(text, len);
        const cJSON *url = cJSON_GetObjectItemCaseSensitive(rec, "url");
        yes = cJSON_IsString(url) && url->valuestring && f->url &&
              !strcmp(url->valuestring, f->url) &&
              (same_digest(rec, "md5", f->md5) || same_digest(rec, "sha256", f->sha256));
        cJSON_Delete(rec);
    }
    free(err);
    free(text);
    free(path);
    free(dist);
    return yes;
}

/* ---- which files ------------------------------------------------------- */

struct choice {
    const struct conda_pkgfiles *files;
    const char *tool;              /* the real tool's name, for messages */
    char *cache;                   /* the first writable package cache */
    char *stamps;                  /* our stamp directory, or NULL */
    struct prefetch_item *items;   /* parallel to files->v */
    char **dests;
    const char **urls;             /* each item's one URL */
    int *take;                     /* prefetched (or reused) */
};

static void choice_free(struct choice *c)
{
    for (size_t i = 0; c->items && i < c->files->n; i++) {
        prefetch_item_clear(&c->items[i]);
        free(c->dests[i]);
    }
    free(c->items);
    free(c->dests);
    free(c->urls);
    free(c->take);
    free(c->cache);
    free(c->stamps);
}

/* Does PKGS_DIR hold F's file, of F's size, recorded in its urls.txt with
 * F's URL (the last line naming the file decides, as conda reads it)? Its
 * digests are the tool's to check: a mismatch only means it downloads. */
static int cached_elsewhere(const char *pkgs_dir, const struct conda_pkgfile *f)
{
    char *path = xasprintf("%s/%s", pkgs_dir, f->fn), *urls = xasprintf("%s/urls.txt", pkgs_dir);
    char *text = NULL, *err = NULL, *last = NULL, *save = NULL;
    size_t len = 0, fl = strlen(f->fn);
    struct stat st;
    int yes = 0;
    if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (f->size <= 0 || st.st_size == f->size) &&
        file_read(urls, URLS_TXT_MAX, &text, &len, &err) == 0) {
        for (char *line = strtok_r(text, "\r\n", &save); line;
             line = strtok_r(NULL, "\r\n", &save)) {
            size_t n = strlen(line);
            if (n > fl && line[n - fl - 1] == '/' && !strcmp(line + n - fl, f->fn))
                last = line;
        }
        yes = last && !strcmp(last, f->url);
    }
    free(err);
    free(text);
    free(urls);
    free(path);
    return yes;
}

/* Will the tool take F from somewhere without downloading it? Says why. */
static int tool_has(struct conda_job *job, const struct choice *c, const struct strv *dirs,
                    const struct condameta_pkg *have, const struct conda_pkgfile *f)
{
    if (have->version && !strcmp(have->version, f->version) && have->build &&
        !strcmp(have->build, f->build) && !has_opt(job, "force-reinstall")) {
        strv_pushf(&job->notes, "prefetch: %s %s %s is installed already: left to %s",
                   f->name, f->version, f->build, c->tool);
        return 1;
    }
    for (size_t k = 0; k < dirs->n; k++) {
        const char *d = dirs->v[k];
        if (condafetch_extracted(d, f)) {
            strv_pushf(&job->notes, "prefetch: %s is extracted in %s: left to %s", f->fn, d,
                       c->tool);
            return 1;
        }
        if (strcmp(d, c->cache) && cached_elsewhere(d, f)) {
            strv_pushf(&job->notes, "prefetch: %s is in %s: left to %s", f->fn, d, c->tool);
            return 1;
        }
    }
    return 0;
}

/* Take F (auto: above the threshold; always: any)? */
static int worth(struct conda_job *job, const struct choice *c, const struct conda_pkgfile *f,
                 int mode)
{
    char size[16], thr[16];
    if (mode == PREFETCH_ALWAYS)
        return 1;
    if (f->size <= 0) {
        strv_pushf(&job->notes, "prefetch: %s: the repodata gives no size: left to %s", f->fn,
                   c->tool);
        return 0;
    }
    if (f->size > job->cfg->prefetch_threshold)
        return 1;
    dl_human_bytes(f->size, size, sizeof size);
    dl_human_bytes(job->cfg->prefetch_threshold, thr, sizeof thr);
    strv_pushf(&job->notes, "prefetch: %s: %s, not above the threshold (%s): left to %s",
               f->fn, size, thr, c->tool);
    return 0;
}

/* Fill C for FILES; returns how many are taken. */
static size_t choose(struct conda_job *job, struct choice *c, const struct strv *dirs, int mode)
{
    size_t n = c->files->n, taken = 0;
    struct condameta_pkg have = { 0 };
    char *env = strcmp(job->subcmd, "create") ? conda_job_env_prefix(job) : NULL;
    c->items = xcalloc(n ? n : 1, sizeof *c->items);
    c->dests = xcalloc(n ? n : 1, sizeof *c->dests);
    c->urls = xcalloc(n ? n : 1, sizeof *c->urls);
    c->take = xcalloc(n ? n : 1, sizeof *c->take);
    for (size_t i = 0; i < n; i++) {
        const struct conda_pkgfile *f = &c->files->v[i];
        c->dests[i] = xasprintf("%s/%s", c->cache, f->fn);
        c->urls[i] = f->url;
        c->items[i] = (struct prefetch_item){ .urls = &c->urls[i], .nurls = 1,
                                              .dest = c->dests[i], .size = f->size,
                                              .sha256 = f->sha256, .md5 = f->md5 };
        prefetch_item_clear(&c->items[i]);
        if (!f->sha256 && !f->md5) {
            strv_pushf(&job->notes, "prefetch: %s: the repodata gives no digest: left to %s",
                       f->fn, c->tool);
            continue;
        }
        if (prefetch_have(&c->items[i], c->stamps)) {
            c->take[i] = 1;       /* in place already: reused without a request */
        } else {
            condameta_pkg_free(&have);
            if (env)
                condameta_find(env, f->name, &have);
            c->take[i] = !tool_has(job, c, dirs, &have, f) && worth(job, c, f, mode);
        }
        taken += c->take[i];
    }
    condameta_pkg_free(&have);
    free(env);
    return taken;
}

/* ---- the run ----------------------------------------------------------- */

/* Say how each file came out; the URL of each one in place into urls.txt. */
static int hand_over(struct conda_job *job, struct choice *c)
{
    int failed = 0;
    for (size_t i = 0; i < c->files->n; i++) {
        const struct prefetch_item *it = &c->items[i];
        const struct conda_pkgfile *f = &c->files->v[i];
        char got[16], rs[16], *err = NULL;
        if (!c->take[i])
            continue;
        if (it->ok && condafetch_urls_add(c->cache, f->url, &err) < 0) {
            strv_pushf(&job->warnings, "prefetch of %s: %s; %s downloads it again", f->fn, err,
                       c->tool);
            free(err);
            failed = 1;
            continue;
        }
        if (!it->ok) {
            strv_pushf(&job->warnings, "prefetch of %s failed (%s); %s downloads it from the "
                       "mirror", f->fn, it->error ? it->error : "?", c->tool);
            failed = 1;
            continue;
        }
        dl_human_bytes(it->bytes, got, sizeof got);
        dl_human_bytes(it->resumed, rs, sizeof rs);
        if (it->reused)
            strv_pushf(&job->notes, "prefetch: %s (%s) is in the package cache %s", f->fn, got,
                       c->cache);
        else
            strv_pushf(&job->notes, "prefetch: %s: %s in %.1f s, %d requests, into %s%s%s",
                       f->fn, got, it->seconds, it->requests, c->cache,
                       it->resumed ? ", resumed after " : "", it->resumed ? rs : "");
    }
    return failed;
}

/* The package cache and our stamp directory; -1 (a warning) when none. */
static int prepare(struct conda_job *job, const char *real, struct choice *c, struct strv *dirs)
{
    char *err = NULL;
    condafetch_pkgs_dirs(job, real, dirs);
    c->cache = condafetch_first_writable(dirs, &err);
    if (!c->cache) {
        strv_pushf(&job->warnings, "prefetch: %s; %s downloads the packages", err, c->tool);
        free(err);
        return -1;
    }
    const char *cache = cache_dir_default();
    if (cache) {
        c->stamps = xasprintf("%s/%s", cache, CONDAFETCH_STAMPS);
        if (mkdir_p(c->stamps, 0700, &err) < 0) {
            strv_pushf(&job->notes, "prefetch: %s: files are hashed each time", err);
            free(err);
            free(c->stamps);
            c->stamps = NULL;
        }
    }
    return 0;
}

/* Download the files taken; CONDAFETCH_* */
static int fetch(struct conda_job *job, struct choice *c, const struct condafetch_hooks *hooks,
                 int *signo)
{
    struct fetch_opts fo;
    int http = 0;
    char *err = NULL;
    for (size_t i = 0; i < c->files->n; i++)
        http |= !strncmp(c->files->v[i].url, "http:", 5);
    fetch_opts_from_config(&fo, job->cfg, http);
    struct prefetch_opts po = { .connections = job->cfg->prefetch_connections, .fetch = &fo,
                                .progress = 1, .quiet = condafetch_quiet(job),
                                .stamp_dir = c->stamps,
                                .before_download = hooks ? hooks->before_download : NULL,
                                .ctx = hooks ? hooks->ctx : NULL };
    struct prefetch_item *todo = xcalloc(c->files->n, sizeof *todo);
    size_t *at = xcalloc(c->files->n, sizeof *at), n = 0;
    for (size_t i = 0; i < c->files->n; i++)
        if (c->take[i]) {
            todo[n] = c->items[i];
            at[n++] = i;
        }
    int st = prefetch_files(todo, n, &po, signo, &err);
    for (size_t k = 0; k < n; k++)
        c->items[at[k]] = todo[k];  /* results move back */
    free(todo);
    free(at);
    free(err);
    if (st == PREFETCH_INTERRUPTED) {
        strv_pushf(&job->warnings, "prefetch interrupted (signal %d): what was downloaded is "
                   "kept in %s and resumed next time", *signo, c->cache);
        return CONDAFETCH_INTERRUPTED;
    }
    return hand_over(job, c) ? CONDAFETCH_PARTIAL : CONDAFETCH_DONE;
}

int condafetch_run(struct conda_job *job, const char *real, const struct conda_pkgfiles *files,
                   const struct condafetch_hooks *hooks, int *signo)
{
    const char *why = NULL;
    int mode = pipfetch_mode(job->cfg), r = CONDAFETCH_NONE;
    *signo = 0;
    if (mode == PREFETCH_NEVER || !condafetch_applies(job, &why)) {
        strv_pushf(&job->notes, "prefetch: off (%s)", why ? why : "[prefetch] enabled = never "
                                                                  "or TORCHSHIM_PREFETCH=0");
        return CONDAFETCH_NONE;
    }
    if (!files || !files->n) {
        strv_push(&job->notes, "prefetch: no package file pinned exactly");
        return CONDAFETCH_NONE;
    }
    const char *base = real ? strrchr(real, '/') : NULL;
    struct choice c = { .files = files, .tool = base ? base + 1 : real ? real : "conda" };
    struct strv dirs = STRV_INIT;
    if (prepare(job, real, &c, &dirs) == 0 && choose(job, &c, &dirs, mode))
        r = fetch(job, &c, hooks, signo);
    choice_free(&c);
    strv_clear(&dirs);
    return r;
}
