/* pipfetch.c — see pipfetch.h. */
#include "pipfetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cache.h"
#include "fetchcfg.h"
#include "listing.h"
#include "msg.h"
#include "pep508.h"
#include "pipcmd.h"
#include "pipdeps.h"
#include "pep440.h"
#include "prefetch.h"
#include "progress.h"
#include "pyinfo.h"
#include "sizeprobe.h"
#include "wheelname.h"
#include "wheelpages.h"
#include "wheelstore.h"

/* ---- small pieces ------------------------------------------------------- */

int pipfetch_mode(const struct config *cfg)
{
    const char *v = getenv("TORCHSHIM_PREFETCH");
    if (v && (!strcmp(v, "0") || !strcasecmp(v, "false") || !strcasecmp(v, "no") ||
              !strcasecmp(v, "off")))
        return PREFETCH_NEVER;
    return cfg->prefetch_enabled;
}

const char *pipfetch_opt(const struct pip_job *job, const char *name)
{
    const char *v = NULL;
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->lname && !strcmp(it->opt->lname, name))
            v = it->value ? it->value : "";
    }
    return v;
}

int pipfetch_applies(const struct pip_job *job, const char **why_not)
{
    *why_not = !job->subcmd || strcmp(job->subcmd, "install") ? "not pip install"
               : pipfetch_opt(job, "dry-run")                   ? "--dry-run"
               : job->platform_given       ? "--platform/--abi/--implementation: another machine"
               : job->python_version[0]    ? "--python-version: another interpreter"
               : env_true("TORCHSHIM_DRY_RUN") ? "TORCHSHIM_DRY_RUN"
                                               : NULL;
    return *why_not == NULL;
}

int pipfetch_quiet(const struct pip_job *job)
{
    const char *bar = pipfetch_opt(job, "progress-bar");
    if (pipfetch_opt(job, "quiet") || (bar && !strcmp(bar, "off")))
        return 1;
    if (job->isolated)
        return 0;
    const char *q = getenv("PIP_QUIET"), *pb = getenv("PIP_PROGRESS_BAR");
    return (q && *q && strcmp(q, "0") && strcasecmp(q, "false") && strcasecmp(q, "no")) ||
           (pb && !strcmp(pb, "off"));
}

char *pipfetch_file_url(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path);
    char *out = xmalloc(7 + 3 * n + 1), *o = out;
    memcpy(o, "file://", 7);
    o += 7;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

char *pipfetch_wheel_filename(const char *url)
{
    size_t end = strcspn(url, "?#");
    const char *seg = url + end;
    while (seg > url && seg[-1] != '/')
        seg--;
    char *name = listing_percent_decode(seg, (size_t)(url + end - seg));
    struct wheelname w;
    if (!name[0] || name[0] == '.' || strchr(name, '/') || wheelname_parse(name, &w) < 0) {
        free(name);
        return NULL;
    }
    wheelname_free(&w);
    return name;
}

char *pipfetch_direct_reference(const char *req, const char *file_url)
{
    struct pep508_req r;
    char *out = NULL;
    if (pep508_parse(req, &r, NULL) == PEP508_OK) {
        pep440_specset_free(&r.spec);
        memset(&r.spec, 0, sizeof r.spec);
        free(r.url);
        r.url = xstrdup(file_url);
        out = pep508_format(&r);
    }
    pep508_free(&r);
    return out;
}

/* "sha256=<hex>" -> the hex (malloc'd), else NULL. */
static char *sha256_of(const char *hash)
{
    return hash && !strncasecmp(hash, "sha256=", 7) && strlen(hash + 7) == 64
               ? xstrdup(hash + 7)
               : NULL;
}

/* ---- which wheels ------------------------------------------------------- */

/* May the prefetch rewrite T (see pipfetch.h: command line, -r files)? */
static int rewritable(const struct pip_job *job, const struct pip_treq *t)
{
    if (!t->file)
        return 1;
    int req = 0;
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind != IT_OPTION || !it->value || strcmp(it->value, t->file))
            continue;
        if (it->opt->id == PIP_CONSTRAINT)
            return 0;
        req |= it->opt->id == PIP_REQUIREMENT;
    }
    return req;
}

static struct pipfetch_wheel *find_wheel(struct pipfetch_wheels *w, const char *filename)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->v[i].filename, filename))
            return &w->v[i];
    return NULL;
}

void pipfetch_collect(const struct pip_job *job, int all, struct pipfetch_wheels *out)
{
    for (size_t i = 0; i < job->ntreqs; i++) {
        const struct pip_treq *t = &job->treqs[i];
        if (!t->pinned || !t->wheel_url || (!all && !rewritable(job, t)))
            continue;
        char *fn = pipfetch_wheel_filename(t->wheel_url);
        struct pipfetch_wheel *w = fn ? find_wheel(out, fn) : NULL;
        if (!fn || w) {
            if (w && !w->sha256)
                w->sha256 = sha256_of(t->wheel_hash);
            free(fn);
            continue;
        }
        out->v = xrealloc(out->v, (out->n + 1) * sizeof *out->v);
        w = &out->v[out->n++];
        memset(w, 0, sizeof *w);
        w->filename = fn;
        w->project = xstrdup(t->req.norm_name);
        strv_push(&w->urls, t->wheel_url);
        w->sha256 = sha256_of(t->wheel_hash);
        w->size = -1;
    }
}

void pipfetch_wheel_clear(struct pipfetch_wheel *w)
{
    free(w->filename);
    free(w->project);
    strv_clear(&w->urls);
    free(w->sha256);
    free(w->requires_python);
    memset(w, 0, sizeof *w);
}

void pipfetch_wheels_free(struct pipfetch_wheels *w)
{
    for (size_t i = 0; i < w->n; i++)
        pipfetch_wheel_clear(&w->v[i]);
    free(w->v);
    memset(w, 0, sizeof *w);
}

/* ---- other mirrors ------------------------------------------------------ */

/* What one listing entry says about the wheel W: its URL joins when the
 * digests agree (and gives one when W had none). */
static void consider_entry(struct pip_job *job, const struct site *s, struct pipfetch_wheel *w,
                           const struct listing_entry *e)
{
    char *sha = sha256_of(e->hash);
    if (sha && w->sha256 && strcasecmp(sha, w->sha256)) {
        strv_pushf(&job->notes, "prefetch: mirror '%s' lists %s with another sha256: not used",
                   s->name, w->filename);
    } else if (strv_find(&w->urls, e->url) < 0) {
        if (!w->sha256 && sha) {
            w->sha256 = sha;
            sha = NULL;
            strv_pushf(&job->notes, "prefetch: %s: sha256 from mirror '%s'", w->filename, s->name);
        }
        strv_push(&w->urls, e->url);
    }
    free(sha);
}

static void site_more(struct pip_job *job, const struct site *s, struct pipfetch_wheels *w)
{
    struct strv names = STRV_INIT, pages = STRV_INIT;
    for (size_t i = 0; i < w->n; i++)
        if (strv_find(&names, w->v[i].project) < 0)
            strv_push(&names, w->v[i].project);
    if (wheelpages_of(s, job->resolved_variant, job->nightly, &names, &pages) == 0) {
        struct listing *ls = xcalloc(pages.n, sizeof *ls);
        char **errs = xcalloc(pages.n, sizeof *errs);
        wheelpages_fetch_each(job->cfg, s, &pages, ls, errs);
        for (size_t p = 0; p < pages.n; p++) {
            if (errs[p])
                strv_pushf(&job->notes, "prefetch: mirror '%s': %s", s->name, errs[p]);
            for (size_t k = 0; k < ls[p].n; k++) {
                struct pipfetch_wheel *wh = find_wheel(w, ls[p].v[k].filename);
                if (wh)
                    consider_entry(job, s, wh, &ls[p].v[k]);
            }
            listing_free(&ls[p]);
            free(errs[p]);
        }
        free(ls);
        free(errs);
    }
    strv_clear(&names);
    strv_clear(&pages);
}

void pipfetch_more_mirrors(struct pip_job *job, struct pipfetch_wheels *w)
{
    const struct site *sites[16];
    size_t n = config_sites_for(job->cfg, ROLE_WHEELS, sites, 16);
    if (!w->n || !job->resolved_variant[0])
        return;
    for (size_t i = 0; i < n; i++) {
        const char *u = sites[i]->url[ROLE_WHEELS];
        if (sites[i] == job->wheels_site || site_is_official(sites[i]) ||
            (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)))
            continue;
        site_more(job, sites[i], w);
    }
    for (size_t i = 0; i < w->n; i++) {
        struct pipfetch_wheel *wh = &w->v[i];
        if (!wh->sha256 && wh->urls.n > 1) {  /* unverifiable mix: the first mirror only */
            while (wh->urls.n > 1)
                strv_remove(&wh->urls, wh->urls.n - 1);
            strv_pushf(&job->notes, "prefetch: %s: no sha256 listed: one mirror only",
                       wh->filename);
        }
    }
}

/* ---- the run ------------------------------------------------------------ */

struct choice {
    struct pipfetch_wheels w;
    struct prefetch_item *items;   /* parallel to w.v */
    char **dests;
    int *take;                     /* the wheel is prefetched (or reused) */
    int *reused;                   /* ... from the store, checked before any request */
    int *installed;                /* the environment has this very version: pip
                                      will not download it, neither do we */
};

static void choice_free(struct choice *c)
{
    for (size_t i = 0; i < c->w.n; i++) {
        prefetch_item_clear(&c->items[i]);
        free(c->dests[i]);
    }
    free(c->items);
    free(c->dests);
    free(c->take);
    free(c->reused);
    free(c->installed);
    pipfetch_wheels_free(&c->w);
}

/* Redirects may lead to http only when a mirror is http itself. */
static int any_http(const struct pipfetch_wheels *w)
{
    for (size_t i = 0; i < w->n; i++)
        for (size_t k = 0; k < w->v[i].urls.n; k++)
            if (!strncmp(w->v[i].urls.v[k], "http:", 5))
                return 1;
    return 0;
}

/* A wheel's size, remembered: a wheel file never changes (its sha256, when
 * known, is the validator), so a size asked once is asked never again. */
static char *size_key(const struct pipfetch_wheel *w)
{
    return xasprintf("wheel-size %s", w->urls.v[0]);
}

static int64_t size_cached(const struct pipfetch_wheel *w)
{
    const char *dir = cache_dir_default();
    char *key = size_key(w), *data = NULL, *end;
    size_t len;
    long long v = -1;
    if (dir && cache_get_blob(dir, key, w->sha256 ? w->sha256 : "", &data, &len) == 0) {
        v = strtoll(data, &end, 10);
        if (end == data || *end)
            v = -1;
    }
    free(data);
    free(key);
    return v;
}

static void size_remember(const struct pipfetch_wheel *w)
{
    const char *dir = cache_dir_default();
    char *key = size_key(w), *v = xasprintf("%lld", (long long)w->size);
    if (dir)
        cache_put_blob(dir, key, w->sha256 ? w->sha256 : "", v, strlen(v));
    free(key);
    free(v);
}

/* The sizes of the wheels not taken yet: remembered, else asked all at
 * once (a HEAD request each). */
static void learn_sizes(struct pip_job *job, struct choice *c)
{
    struct size_probe *p = xcalloc(c->w.n, sizeof *p);
    size_t *idx = xcalloc(c->w.n, sizeof *idx), n = 0;
    for (size_t i = 0; i < c->w.n; i++) {
        if (c->take[i] || c->installed[i] || (c->w.v[i].size = size_cached(&c->w.v[i])) >= 0)
            continue;
        p[n].url = c->w.v[i].urls.v[0];
        idx[n++] = i;
    }
    struct fetch_opts fo;
    fetch_opts_from_config(&fo, job->cfg, any_http(&c->w));
    size_probe_run(p, n, &fo);
    for (size_t k = 0; k < n; k++) {
        struct pipfetch_wheel *w = &c->w.v[idx[k]];
        if ((w->size = p[k].size) >= 0)
            size_remember(w);
        else
            strv_pushf(&job->notes, "prefetch: %s: size unknown (%s): left to pip", w->filename,
                       p[k].error ? p[k].error : "no Content-Range or Content-Length");
        size_probe_clear(&p[k]);
    }
    free(p);
    free(idx);
}

/* auto: the wheels not in the store are prefetched when above the
 * threshold. */
static void apply_threshold(struct pip_job *job, struct choice *c)
{
    char size[16], thr[16];
    learn_sizes(job, c);
    dl_human_bytes(job->cfg->prefetch_threshold, thr, sizeof thr);
    for (size_t i = 0; i < c->w.n; i++) {
        const struct pipfetch_wheel *w = &c->w.v[i];
        if (c->take[i] || c->installed[i] || w->size < 0)
            continue;
        dl_human_bytes(w->size, size, sizeof size);
        if (w->size > job->cfg->prefetch_threshold)
            c->take[i] = 1;
        else
            strv_pushf(&job->notes, "prefetch: %s: %s, not above the threshold (%s): left to "
                       "pip", w->filename, size, thr);
    }
}

/* Is W's very version installed where pip installs (the real pip's
 * environment; not with --target, --prefix, --root, --python, and not when
 * pip reinstalls anyway)? Then pip says "Requirement already satisfied"
 * and downloads nothing. */
static int installed_already(struct pip_job *job, const struct pyinfo *pi,
                             const struct pipfetch_wheel *w)
{
    struct wheelname wn;
    struct pyinfo_dist d = { 0 };
    struct pep440 v;
    int same = 0;
    memset(&v, 0, sizeof v);
    if (wheelname_parse(w->filename, &wn) < 0)
        return 0;
    if (pyinfo_find_dist(pi, wn.norm_name, &d) == 1 && pep440_parse(d.version, &v) == 0)
        same = pep440_cmp(&v, &wn.version) == 0;
    pep440_free(&v);
    if (same)
        strv_pushf(&job->notes, "prefetch: %s %s is installed already: left to pip",
                   wn.norm_name, d.version);
    pyinfo_dist_free(&d);
    wheelname_free(&wn);
    return same;
}

static void mark_installed(struct pip_job *job, struct choice *c)
{
    static const char *const elsewhere[] = { "force-reinstall", "ignore-installed", "target",
                                             "prefix", "root", "python" };
    struct pyinfo pi = PYINFO_INIT;
    for (size_t k = 0; k < sizeof elsewhere / sizeof *elsewhere; k++)
        if (pipfetch_opt(job, elsewhere[k]))
            return;
    if (job->real_pip && pyinfo_from_pip(job->real_pip, &pi) == 0)
        for (size_t i = 0; i < c->w.n; i++)
            c->installed[i] = !c->take[i] && installed_already(job, &pi, &c->w.v[i]);
    pyinfo_free(&pi);
}

/* Fill C for JOB's rewritable wheels in STORE; returns how many are taken. */
static size_t choose(struct pip_job *job, struct choice *c, const char *store,
                     const char *stamps, int mode)
{
    pipfetch_collect(job, 0, &c->w);
    pipdeps_find(job, &c->w);
    size_t n = c->w.n, taken = 0, fetch = 0, unknown = 0;
    c->items = xcalloc(n ? n : 1, sizeof *c->items);
    c->dests = xcalloc(n ? n : 1, sizeof *c->dests);
    c->take = xcalloc(n ? n : 1, sizeof *c->take);
    c->reused = xcalloc(n ? n : 1, sizeof *c->reused);
    c->installed = xcalloc(n ? n : 1, sizeof *c->installed);
    for (size_t i = 0; i < n; i++) {
        struct pipfetch_wheel *w = &c->w.v[i];
        c->dests[i] = xasprintf("%s/%s", store, w->filename);
        c->items[i] = (struct prefetch_item){ .dest = c->dests[i], .sha256 = w->sha256 };
        prefetch_item_clear(&c->items[i]);
        c->take[i] = c->reused[i] = prefetch_have(&c->items[i], stamps);
    }
    mark_installed(job, c);
    for (size_t i = 0; i < n; i++) {
        if (!c->take[i] && !c->installed[i] && mode == PREFETCH_ALWAYS)
            c->take[i] = 1;
        unknown += !c->take[i] && !c->installed[i];
    }
    if (unknown && mode == PREFETCH_AUTO)
        apply_threshold(job, c);
    fetch = 0;
    for (size_t i = 0; i < n; i++) {
        taken += c->take[i];
        fetch += c->take[i] && !c->reused[i];
    }
    if (fetch)
        pipfetch_more_mirrors(job, &c->w);
    for (size_t i = 0; i < n; i++) {  /* the URL vectors are final now */
        c->items[i].urls = (const char *const *)c->w.v[i].urls.v;
        c->items[i].nurls = c->w.v[i].urls.n;
        c->items[i].size = c->w.v[i].size;
        c->items[i].sha256 = c->w.v[i].sha256;
    }
    return taken;
}

/* Say how one wheel came out; rewrite the pins of the ones now local. */
static int hand_over(struct pip_job *job, struct choice *c)
{
    int failed = 0;
    for (size_t i = 0; i < c->w.n; i++) {
        const struct prefetch_item *it = &c->items[i];
        const char *fn = c->w.v[i].filename;
        if (!c->take[i])
            continue;
        if (!it->ok) {
            strv_pushf(&job->warnings, "prefetch of %s failed (%s); pip downloads it from the "
                       "mirror", fn, it->error ? it->error : "?");
            failed = 1;
            continue;
        }
        char got[16], rs[16];
        dl_human_bytes(it->bytes, got, sizeof got);
        dl_human_bytes(it->resumed, rs, sizeof rs);
        if (it->reused)
            strv_pushf(&job->notes, "prefetch: %s (%s) taken from the store %s", fn, got,
                       it->dest);
        else
            strv_pushf(&job->notes, "prefetch: %s: %s in %.1f s, %d requests, %zu mirror(s)%s%s",
                       fn, got, it->seconds, it->requests, c->w.v[i].urls.n,
                       it->resumed ? ", resumed after " : "", it->resumed ? rs : "");
        char *url = pipfetch_file_url(it->dest);
        for (size_t k = 0; k < job->ntreqs; k++) {
            struct pip_treq *t = &job->treqs[k];
            char *tf = t->pinned && t->wheel_url && rewritable(job, t)
                           ? pipfetch_wheel_filename(t->wheel_url) : NULL;
            char *ref = tf && !strcmp(tf, fn) ? pipfetch_direct_reference(t->pinned, url) : NULL;
            if (ref) {
                strv_pushf(&job->notes, "%s -> %s", t->pinned, ref);
                free(t->pinned);
                t->pinned = ref;
            }
            free(tf);
        }
        free(url);
    }
    return failed;
}

/* The dependencies now in the store go to pip by --find-links (pipdeps.h). */
static void hand_deps(struct pip_job *job, const struct choice *c, const char *store)
{
    const struct pipfetch_wheel **w = xcalloc(c->w.n + 1, sizeof *w);
    const char **dests = xcalloc(c->w.n + 1, sizeof *dests);
    size_t n = 0;
    for (size_t i = 0; i < c->w.n; i++)
        if (c->take[i] && c->items[i].ok && c->w.v[i].dep) {
            w[n] = &c->w.v[i];
            dests[n++] = c->items[i].dest;
        }
    char *dir = NULL, *err = NULL;
    if (n && pipdeps_write_links(store, w, dests, n, &dir, &err)) {
        strv_pushf(&job->warnings, "prefetch: %s; pip downloads torch's dependencies from the "
                   "mirror", err);
    } else if (n) {
        cmdline_set_option(cmdline_insert(&job->cl, cmdline_options_end(&job->cl)),
                           pipcmd_option(PIP_FIND_LINKS), "--find-links", dir);
        strv_pushf(&job->notes, "prefetch: %zu of torch's dependencies handed to pip: "
                   "--find-links %s", n, dir);
    }
    free(dir);
    free(err);
    free(w);
    free(dests);
}

static int prepare_store(struct pip_job *job, char **store, char **stamps)
{
    char *err = NULL;
    *store = wheelstore_dir(job->cfg);
    *stamps = NULL;
    if (!*store) {
        strv_push(&job->warnings, "prefetch: no wheel store (no cache directory: set "
                                  "TORCHSHIM_CACHE_DIR or [prefetch] dir); pip downloads");
        return -1;
    }
    if (wheelstore_prepare(*store, &err)) {
        strv_pushf(&job->warnings, "prefetch: %s; pip downloads", err);
        free(err);
        free(*store);
        *store = NULL;
        return -1;
    }
    *stamps = wheelstore_stamps(*store);
    return 0;
}

int pipfetch_run(struct pip_job *job, const struct pipfetch_hooks *hooks, int *signo)
{
    const char *why = NULL;
    int mode = pipfetch_mode(job->cfg), r = PIPFETCH_NONE;
    *signo = 0;
    if (mode == PREFETCH_NEVER || !pipfetch_applies(job, &why)) {
        strv_pushf(&job->notes, "prefetch: off (%s)", why ? why : "[prefetch] enabled = never "
                                                                  "or TORCHSHIM_PREFETCH=0");
        return PIPFETCH_NONE;
    }
    char *store, *stamps, *err = NULL;
    if (prepare_store(job, &store, &stamps))
        return PIPFETCH_NONE;
    struct choice c;
    memset(&c, 0, sizeof c);
    if (choose(job, &c, store, stamps, mode)) {
        struct fetch_opts fo;
        fetch_opts_from_config(&fo, job->cfg, any_http(&c.w));
        struct prefetch_opts po = { .connections = job->cfg->prefetch_connections, .fetch = &fo,
                                    .progress = 1, .quiet = pipfetch_quiet(job),
                                    .stamp_dir = stamps,
                                    .before_download = hooks ? hooks->before_download : NULL,
                                    .ctx = hooks ? hooks->ctx : NULL };
        /* the wheels not taken are not handed to the downloader */
        struct prefetch_item *todo = xcalloc(c.w.n, sizeof *todo);
        size_t *at = xcalloc(c.w.n, sizeof *at), n = 0;
        for (size_t i = 0; i < c.w.n; i++)
            if (c.take[i]) {
                todo[n] = c.items[i];
                at[n++] = i;
            }
        int st = prefetch_files(todo, n, &po, signo, &err);
        for (size_t k = 0; k < n; k++)
            c.items[at[k]] = todo[k];  /* results move back */
        free(todo);
        free(at);
        if (st == PREFETCH_INTERRUPTED) {
            strv_pushf(&job->warnings, "prefetch interrupted (signal %d): what was downloaded "
                       "is kept in %s and resumed next time", *signo, store);
            r = PIPFETCH_INTERRUPTED;
        } else {
            r = hand_over(job, &c) ? PIPFETCH_PARTIAL : PIPFETCH_DONE;
            hand_deps(job, &c, store);
        }
    }
    free(err);
    choice_free(&c);
    free(store);
    free(stamps);
    return r;
}
