/* pipdeps.c — see pipdeps.h. */
#include "pipdeps.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "fetchcfg.h"
#include "fileio.h"
#include "msg.h"
#include "pep440.h"
#include "pep508.h"
#include "pipcmd.h"
#include "pipsources.h"
#include "pyinfo.h"
#include "pytarget.h"
#include "wheelmeta.h"
#include "wheelpages.h"
#include "wheelrank.h"
#include "wheelstore.h"

/* ---- which requirements ------------------------------------------------- */

static int big_dependency(const char *norm_name)
{
    return !strncmp(norm_name, "nvidia-", 7) || !strcmp(norm_name, "triton") ||
           !strcmp(norm_name, "pytorch-triton");
}

/* One Requires-Dist line: 1 when it is to be prefetched (name, version out). */
static int select_one(const char *line, const struct marker_env *env, struct strv *names,
                      struct strv *versions, struct strv *notes)
{
    struct pep508_req r;
    const struct pep440 *pin = NULL;
    char *err = NULL;
    int took = 0;
    if (pep508_parse(line, &r, NULL) != PEP508_OK || !big_dependency(r.norm_name) ||
        strv_find(names, r.norm_name) >= 0) {
        pep508_free(&r);
        return 0;
    }
    int m = r.marker ? marker_eval(r.marker, env, &err) : MARKER_TRUE;
    if (m == MARKER_ERROR || m == MARKER_UNKNOWN) {
        strv_pushf(notes, "prefetch: %s: marker %s: left to pip", r.norm_name,
                   err ? err : "not known for this interpreter");
    } else if (m == MARKER_TRUE && (r.url || !pep440_specset_is_exact(&r.spec, &pin))) {
        strv_pushf(notes, "prefetch: %s: not pinned exactly by torch: left to pip", r.norm_name);
    } else if (m == MARKER_TRUE) {
        strv_push(names, r.norm_name);
        strv_push_take(versions, pep440_str(pin));
        took = 1;
    }
    free(err);
    pep508_free(&r);
    return took;
}

size_t pipdeps_select(const struct coremeta *meta, const struct marker_env *env,
                      struct strv *names, struct strv *versions, struct strv *notes)
{
    size_t n = 0;
    for (size_t i = 0; i < meta->requires_dist.n; i++)
        n += (size_t)select_one(meta->requires_dist.v[i], env, names, versions, notes);
    return n;
}

/* ---- which file --------------------------------------------------------- */

static int requires_python_ok(const struct listing_entry *e, const struct wheel_target *t)
{
    struct pep440_specset ss;
    struct pep440 v;
    int ok = 1;
    if (!e->requires_python || pep440_specset_parse(e->requires_python, &ss, NULL) < 0)
        return 1;  /* pip ignores a malformed value too */
    char *py = xasprintf("%d.%d", t->py_major, t->py_minor);
    if (pep440_parse(py, &v) == 0) {
        ok = pep440_specset_match(&ss, &v, 1);
        pep440_free(&v);
    }
    free(py);
    pep440_specset_free(&ss);
    return ok;
}

/* pip's key without the version (equal here): not yanked, tag rank (lower
 * is better), build tag. <0, 0, >0 as A is worse, as good, better than B. */
static int key_cmp(const struct listing_entry *a, long ra, const struct listing_entry *b,
                   long rb)
{
    if (a->yanked != b->yanked)
        return a->yanked ? -1 : 1;
    if (ra != rb)
        return ra > rb ? -1 : 1;
    return wheel_build_cmp(a->wheel.build, b->wheel.build);
}

static const char *sha_hex(const struct listing_entry *e)
{
    return e->hash && !strncasecmp(e->hash, "sha256=", 7) && strlen(e->hash + 7) == 64
               ? e->hash + 7 : NULL;
}

/* Every URL of the file BEST (same name, same sha256), BEST's own first. */
static void gather_urls(const struct listing *ls, size_t n, const struct listing_entry *best,
                        struct strv *urls)
{
    strv_push(urls, best->url);
    for (size_t s = n; s-- > 0;)
        for (size_t i = 0; i < ls[s].n; i++) {
            const struct listing_entry *e = &ls[s].v[i];
            const char *h = sha_hex(e);
            if (!strcmp(e->filename, best->filename) && h && !strcasecmp(h, sha_hex(best)) &&
                strv_find(urls, e->url) < 0)
                strv_push(urls, e->url);
        }
}

int pipdeps_pick(const struct listing *ls, size_t n, const char *name, const char *version,
                 const struct wheel_target *t, struct pipfetch_wheel *out, char **why)
{
    struct pep440 v;
    const struct listing_entry *best = NULL;
    long brank = -1;
    memset(out, 0, sizeof *out);
    if (pep440_parse(version, &v) < 0)
        return seterr(why, "%s: %s is not a version", name, version);
    for (size_t s = 0; s < n; s++)
        for (size_t i = 0; i < ls[s].n; i++) {
            const struct listing_entry *e = &ls[s].v[i];
            long r = wheel_rank(&e->wheel, t);
            if (strcmp(e->wheel.norm_name, name) || pep440_cmp(&e->wheel.version, &v) ||
                r < 0 || !requires_python_ok(e, t))
                continue;
            if (!best || key_cmp(e, r, best, brank) >= 0) {  /* of equals, the last */
                best = e;
                brank = r;
            }
        }
    pep440_free(&v);
    if (!best)
        return seterr(why, "%s==%s: no wheel for %s on the mirror", name, version, t->label);
    if (best->yanked)
        return seterr(why, "%s==%s: yanked", name, version);
    if (!sha_hex(best))
        return seterr(why, "%s: no sha256 listed", best->filename);
    out->filename = xstrdup(best->filename);
    out->project = xstrdup(name);
    out->sha256 = xstrdup(sha_hex(best));
    out->requires_python = best->requires_python ? xstrdup(best->requires_python) : NULL;
    out->size = -1;
    out->dep = 1;
    gather_urls(ls, n, best, &out->urls);
    return 0;
}

int pipdeps_applies(const struct pip_job *job, char **why_not)
{
    struct pip_sources s;
    char *unknown = NULL;
    *why_not = NULL;
    static const char *const off[] = { "no-deps", "no-binary", "require-hashes" };
    for (size_t k = 0; k < sizeof off / sizeof *off && !*why_not; k++)
        if (pipfetch_opt(job, off[k]))
            *why_not = xasprintf("--%s", off[k]);
    if (!*why_not && (!job->resolved_variant[0] || !job->wheels_site))
        *why_not = xstrdup("no pins from a wheels mirror");
    else if (!*why_not && pip_sources_in_reqfiles(job))
        *why_not = xstrdup("a requirements file names indexes of its own");
    if (*why_not)
        return 0;
    pip_sources_collect(job, &s);
    if (s.no_index)
        *why_not = xstrdup("--no-index");
    else if ((unknown = pip_sources_unknown(job, &s)))
        *why_not = xasprintf("pip also reads %s", unknown);
    free(unknown);
    pip_sources_free(&s);
    return *why_not == NULL;
}

/* ---- finding the dependencies ------------------------------------------- */

/* The pages of the sources for NAMES, fetched: LS[k] for PAGES.v[k]; BAD[k]
 * set when page k failed otherwise than "not there" (404, 410, no wheels
 * of the project: pip finds nothing there either). */
static void fetch_pages(struct pip_job *job, const struct strv *pages, int flat,
                        struct listing *ls, char *bad)
{
    struct site s;
    memset(&s, 0, sizeof s);
    s.name = (char *)"sources";
    s.wheels_format = flat ? WHEELS_FIND_LINKS : WHEELS_SIMPLE;
    s.url[ROLE_WHEELS] = (char *)"https:";
    for (size_t k = 0; k < pages->n; k++)
        if (!strncmp(pages->v[k], "http:", 5))
            s.url[ROLE_WHEELS] = (char *)"http:";
    char **errs = xcalloc(pages->n ? pages->n : 1, sizeof *errs);
    wheelpages_fetch_each(job->cfg, &s, pages, ls, errs);
    for (size_t k = 0; k < pages->n; k++) {
        if (errs[k] && !strstr(errs[k], "HTTP 404") && !strstr(errs[k], "HTTP 410") &&
            !strstr(errs[k], "lists no")) {
            bad[k] = 1;
            strv_pushf(&job->notes, "prefetch: %s: %s", pages->v[k], errs[k]);
        }
        free(errs[k]);
    }
    free(errs);
}

struct found {
    struct pip_sources src;
    struct strv names, versions;
    struct strv flat_pages, index_pages;   /* index_pages: source-major, name-minor */
    struct listing *flat_ls, *index_ls;
    char *flat_bad, *index_bad;
};

static void found_fetch(struct pip_job *job, struct found *f)
{
    for (size_t j = 0; j < f->src.flat.n; j++)
        strv_push(&f->flat_pages, f->src.flat.v[j]);
    for (size_t j = 0; j < f->src.index.n; j++)
        for (size_t d = 0; d < f->names.n; d++) {
            const char *u = f->src.index.v[j];
            size_t ul = strlen(u);
            strv_pushf(&f->index_pages, "%s%s%s/", u, ul && u[ul - 1] == '/' ? "" : "/",
                       f->names.v[d]);
        }
    f->flat_ls = xcalloc(f->flat_pages.n + 1, sizeof *f->flat_ls);
    f->index_ls = xcalloc(f->index_pages.n + 1, sizeof *f->index_ls);
    f->flat_bad = xcalloc(f->flat_pages.n + 1, 1);
    f->index_bad = xcalloc(f->index_pages.n + 1, 1);
    if (f->flat_pages.n)
        fetch_pages(job, &f->flat_pages, 1, f->flat_ls, f->flat_bad);
    if (f->index_pages.n)
        fetch_pages(job, &f->index_pages, 0, f->index_ls, f->index_bad);
}

static void found_free(struct found *f)
{
    for (size_t k = 0; k < f->flat_pages.n; k++)
        listing_free(&f->flat_ls[k]);
    for (size_t k = 0; k < f->index_pages.n; k++)
        listing_free(&f->index_ls[k]);
    free(f->flat_ls);
    free(f->index_ls);
    free(f->flat_bad);
    free(f->index_bad);
    strv_clear(&f->flat_pages);
    strv_clear(&f->index_pages);
    strv_clear(&f->names);
    strv_clear(&f->versions);
    pip_sources_free(&f->src);
}

static int have_file(const struct pipfetch_wheels *w, const char *filename)
{
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->v[i].filename, filename))
            return 1;
    return 0;
}

/* Dependency D of F: its listings in pip's order, the file pip takes. */
static void pick_one(struct pip_job *job, struct found *f, size_t d,
                     const struct wheel_target *t, struct pipfetch_wheels *w)
{
    size_t nf = f->flat_pages.n, ni = f->src.index.n, n = 0;
    struct listing *ls = xcalloc(nf + ni + 1, sizeof *ls);
    int bad = 0;
    for (size_t k = 0; k < nf; k++) {
        bad |= f->flat_bad[k];
        ls[n++] = f->flat_ls[k];   /* shallow copies: F owns them */
    }
    for (size_t j = 0; j < ni; j++) {
        bad |= f->index_bad[j * f->names.n + d];
        ls[n++] = f->index_ls[j * f->names.n + d];
    }
    struct pipfetch_wheel one;
    char *why = NULL;
    if (bad)
        strv_pushf(&job->notes, "prefetch: %s: a source failed: left to pip", f->names.v[d]);
    else if (pipdeps_pick(ls, n, f->names.v[d], f->versions.v[d], t, &one, &why))
        strv_pushf(&job->notes, "prefetch: %s: left to pip", why);
    else if (have_file(w, one.filename))
        pipfetch_wheel_clear(&one);
    else {
        w->v = xrealloc(w->v, (w->n + 1) * sizeof *w->v);
        w->v[w->n++] = one;
        strv_pushf(&job->notes, "prefetch: torch requires %s==%s: %s", f->names.v[d],
                   f->versions.v[d], one.filename);
    }
    free(why);
    free(ls);
}

/* W's listing entry on the wheels mirror (for its PEP 658 metadata file):
 * the page the pin came from, through the cache. */
static void metadata_hint(struct pip_job *job, const struct pipfetch_wheel *w, int *has,
                          char **mhash)
{
    struct strv names = STRV_INIT, pages = STRV_INIT;
    *has = 0;
    *mhash = NULL;
    strv_push(&names, w->project);
    if (wheelpages_of(job->wheels_site, job->resolved_variant, job->nightly, &names, &pages) ==
        0) {
        struct listing *ls = xcalloc(pages.n + 1, sizeof *ls);
        char **errs = xcalloc(pages.n + 1, sizeof *errs);
        wheelpages_fetch_each(job->cfg, job->wheels_site, &pages, ls, errs);
        for (size_t p = 0; p < pages.n; p++) {
            for (size_t k = 0; k < ls[p].n && !*has; k++)
                if (!strcmp(ls[p].v[k].url, w->urls.v[0]) && ls[p].v[k].has_metadata) {
                    *has = 1;
                    *mhash = ls[p].v[k].metadata_hash ? xstrdup(ls[p].v[k].metadata_hash)
                                                      : NULL;
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

/* W's core metadata, parsed: 0, or -1 with a note. */
static int torch_metadata(struct pip_job *job, const struct pipfetch_wheel *w,
                          struct coremeta *m)
{
    char *hash = w->sha256 ? xasprintf("sha256=%s", w->sha256) : NULL, *err = NULL;
    struct wheelmeta_job mj = { .url = w->urls.v[0], .wheel_hash = hash };
    char *mhash;
    struct fetch_opts fo;
    metadata_hint(job, w, &mj.has_metadata, &mhash);
    mj.metadata_hash = mhash;
    fetch_opts_from_config(&fo, job->cfg, !strncmp(w->urls.v[0], "http:", 5));
    int r = -1;
    memset(m, 0, sizeof *m);
    if (wheelmeta_run(&mj, 1, &fo))
        strv_pushf(&job->notes, "prefetch: %s: no metadata (%s): its dependencies are left to "
                   "pip", w->filename, mj.error ? mj.error : "?");
    else if (coremeta_parse(mj.metadata, mj.len, m, &err))
        strv_pushf(&job->notes, "prefetch: %s: bad metadata (%s): its dependencies are left to "
                   "pip", w->filename, err);
    else
        r = 0;
    verbosef("prefetch: %s metadata by %s", w->filename, wheelmeta_method_name(mj.method));
    wheelmeta_job_clear(&mj);
    free(err);
    free(hash);
    free(mhash);
    return r;
}

/* The interpreter of the real pip: its marker environment and wheel target.
 * EXTRAS: those asked for torch. 0, or -1 with a note. */
static int interpreter(struct pip_job *job, struct marker_env *env, struct wheel_target *t,
                       const struct strv *extras)
{
    struct pyinfo pi = PYINFO_INIT;
    char *err = NULL;
    int r = -1;
    if (!job->real_pip ||
        (pyinfo_from_pip(job->real_pip, &pi) && pyinfo_from_python(job->real_pip, &pi)))
        err = xasprintf("cannot tell which Python %s runs",
                        job->real_pip ? job->real_pip : "pip");
    else if (marker_env_init(env, pi.major, pi.minor, pi.version, pi.os, pi.machine, &err) == 0 &&
             pytarget_init(t, job->real_pip, NULL, NULL, &err) == 0)
        r = 0;
    if (r)
        strv_pushf(&job->notes, "prefetch: torch's dependencies left to pip: %s", err);
    env->extras = extras;
    free(err);
    pyinfo_free(&pi);
    return r;
}

static void torch_extras(const struct pip_job *job, struct strv *extras)
{
    for (size_t i = 0; i < job->ntreqs; i++)
        if (!strcmp(job->treqs[i].req.norm_name, "torch"))
            for (size_t k = 0; k < job->treqs[i].req.extras.n; k++)
                if (strv_find(extras, job->treqs[i].req.extras.v[k]) < 0)
                    strv_push(extras, job->treqs[i].req.extras.v[k]);
}

/* Is W's very version installed where pip installs (see pipfetch.h: not
 * when pip reinstalls or installs elsewhere)? Then pip says "already
 * satisfied" and its dependencies are, as a rule, there too. */
static int installed_already(const struct pip_job *job, const struct pipfetch_wheel *w)
{
    static const char *const elsewhere[] = { "force-reinstall", "ignore-installed", "target",
                                             "prefix", "root", "python" };
    struct pyinfo pi = PYINFO_INIT;
    struct pyinfo_dist d = { 0 };
    struct wheelname wn;
    struct pep440 v;
    int same = 0;
    for (size_t k = 0; k < sizeof elsewhere / sizeof *elsewhere; k++)
        if (pipfetch_opt(job, elsewhere[k]))
            return 0;
    if (wheelname_parse(w->filename, &wn) < 0)
        return 0;
    if (job->real_pip && pyinfo_from_pip(job->real_pip, &pi) == 0 &&
        pyinfo_find_dist(&pi, wn.norm_name, &d) == 1 && pep440_parse(d.version, &v) == 0) {
        same = pep440_cmp(&v, &wn.version) == 0;
        pep440_free(&v);
    }
    pyinfo_dist_free(&d);
    pyinfo_free(&pi);
    wheelname_free(&wn);
    return same;
}

/* The dependencies of torch wheel W[I] into W. */
static void deps_of(struct pip_job *job, struct pipfetch_wheels *w, size_t i)
{
    struct found f;
    struct coremeta m;
    struct marker_env env;
    struct wheel_target t;
    struct strv extras = STRV_INIT;
    memset(&f, 0, sizeof f);
    memset(&t, 0, sizeof t);
    torch_extras(job, &extras);
    if (interpreter(job, &env, &t, &extras) == 0 && torch_metadata(job, &w->v[i], &m) == 0) {
        pipdeps_select(&m, &env, &f.names, &f.versions, &job->notes);
        coremeta_free(&m);
    }
    if (f.names.n) {
        pip_sources_collect(job, &f.src);
        found_fetch(job, &f);
        for (size_t d = 0; d < f.names.n; d++)
            pick_one(job, &f, d, &t, w);
    }
    found_free(&f);
    wheel_target_free(&t);
    strv_clear(&extras);
}

void pipdeps_find(struct pip_job *job, struct pipfetch_wheels *w)
{
    size_t n = w->n;
    char *why = NULL;
    for (size_t i = 0; i < n; i++) {
        if (w->v[i].dep || strcmp(w->v[i].project, "torch"))
            continue;
        if (!why && !pipdeps_applies(job, &why)) {
            strv_pushf(&job->notes, "prefetch: torch's dependencies left to pip (%s)", why);
            break;
        }
        if (installed_already(job, &w->v[i]))
            strv_pushf(&job->notes, "prefetch: %s is installed already: its dependencies are "
                       "left to pip", w->v[i].filename);
        else
            deps_of(job, w, i);
    }
    free(why);
}

/* ---- handing over ------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* <store>/.links/<16 hex of the sorted "file sha256" lines> */
static char *links_dir(const char *store, const struct pipfetch_wheel *const *w, size_t n)
{
    struct strv lines = STRV_INIT;
    for (size_t i = 0; i < n; i++)
        strv_pushf(&lines, "%s %s\n", w[i]->filename, w[i]->sha256 ? w[i]->sha256 : "");
    if (lines.n)
        qsort(lines.v, lines.n, sizeof *lines.v, by_name);
    char *all = strv_join(&lines, "");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char hex[17];
    EVP_Digest(all, strlen(all), md, &mdlen, EVP_sha256(), NULL);
    for (int k = 0; k < 8; k++)
        snprintf(hex + 2 * k, 3, "%02x", md[k]);
    free(all);
    strv_clear(&lines);
    return xasprintf("%s/" WHEELSTORE_LINKS "/%s", store, hex);
}

char *pipdeps_link_name(const char *filename)
{
    struct wheelname wn;
    if (wheelname_parse(filename, &wn) < 0)
        return NULL;
    long build = wn.build ? strtol(wn.build, NULL, 10) : 0;
    /* the last three '-' fields are the tags */
    const char *tags = filename + strlen(filename);
    for (int dashes = 0; tags > filename && dashes < 3; tags--)
        dashes += tags[-1] == '-';
    char *out = xasprintf("%s-%s-%ldtorchshim-%s", wn.dist, wn.version_str, build + 1, tags + 1);
    wheelname_free(&wn);
    return out;
}

/* DIR/NAME -> TARGET, replaced atomically. */
static int put_link(const char *dir, const char *name, const char *target, char **err)
{
    char *path = xasprintf("%s/%s", dir, name), *tmp = xasprintf("%s.tmp.%ld", path,
                                                                 (long)getpid());
    int r = 0;
    unlink(tmp);
    if (symlink(target, tmp) || rename(tmp, path)) {
        r = seterr(err, "cannot link %s: %s", path, strerror(errno));
        unlink(tmp);
    }
    free(path);
    free(tmp);
    return r;
}

int pipdeps_write_links(const char *store, const struct pipfetch_wheel *const *w,
                        const char *const *dests, size_t n, char **dir, char **err)
{
    int r = 0;
    *dir = links_dir(store, w, n);
    if (mkdir_p(*dir, 0700, err))
        r = -1;
    for (size_t i = 0; r == 0 && i < n; i++) {
        char *name = pipdeps_link_name(w[i]->filename);
        r = name ? put_link(*dir, name, dests[i], err)
                 : seterr(err, "%s: not a wheel name", w[i]->filename);
        free(name);
    }
    if (r) {
        free(*dir);
        *dir = NULL;
    }
    return r;
}
