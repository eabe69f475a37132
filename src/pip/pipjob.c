/* pipjob.c — see pipjob.h. */
#include "pipjob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pipcmd.h"
#include "pipconf.h"
#include "listing.h"
#include "reqfile.h"
#include "urlmap.h"
#include "wheelname.h"

static void note_variant(struct pip_job *job, const char *v)
{
    if (!*v)
        return;
    if (!job->variant[0])
        snprintf(job->variant, sizeof job->variant, "%s", v);
    else if (strcmp(job->variant, v))
        job->variant_conflict = 1;
}

/* Look at one source URL given with OPT. */
static void see_source(struct pip_job *job, int opt, const char *url)
{
    struct pytorch_index pi;
    if (urlmap_pytorch_index(url, &pi) || urlmap_is_pytorch_host(url)) {
        job->pytorch_source = 1;
        if (urlmap_pytorch_index(url, &pi)) {
            note_variant(job, pi.variant);
            job->nightly |= pi.channel == WCH_NIGHTLY;
        }
        if (opt == PIP_INDEX_URL)
            job->has_index = 1;
        return;
    }
    char variant[32];
    int nightly;
    const struct site *mirror = config_wheels_site_of(job->cfg, url, variant, sizeof variant,
                                                      &nightly);
    if (mirror) {  /* a wheels mirror the user chose: it is the source */
        if (!job->user_site)
            job->user_site = mirror;
        note_variant(job, variant);
        job->nightly |= nightly;
    }
    if (opt == PIP_INDEX_URL) {
        job->has_index = 1;
        if (!urlmap_is_official_pypi(url) && !mirror)
            job->index_nonofficial = 1;
    }
}

/* Each word of a white-space separated list (environment, config files). */
static void see_sources(struct pip_job *job, int opt, const char *list)
{
    if (!list)
        return;
    char *dup = xstrdup(list), *save = NULL;
    for (char *w = strtok_r(dup, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
        see_source(job, opt, w);
    free(dup);
}

/* torch===X compares strings, not versions: nothing a mirror's listing
 * can settle; pip is left to judge it. */
static int arbitrary_equality(const struct pep508_req *r)
{
    for (size_t i = 0; i < r->spec.n; i++)
        if (r->spec.specs[i].op == PEP440_OP_ARBITRARY)
            return 1;
    return 0;
}

/* Is REQ a PyTorch-family requirement? Records it if so. */
/* A wheel file on download.pytorch.org given as a bare URL: a requirement
 * named after the wheel, with that URL; its directory names the variant. */
static int official_wheel_url(struct pip_job *job, const char *text, struct pep508_req *r)
{
    struct pytorch_index pi;
    const char *slash = strrchr(text, '/');
    if (!slash || !urlmap_is_pytorch_host(text) || strncmp(text, "https://", 8))
        return -1;
    char *fn = listing_percent_decode(slash + 1, strcspn(slash + 1, "#?"));
    struct wheelname w;
    int ok = wheelname_parse(fn, &w) == 0;
    free(fn);
    if (!ok)
        return -1;
    memset(r, 0, sizeof *r);
    r->name = xstrdup(w.dist);
    r->norm_name = xstrdup(w.norm_name);
    r->url = xstrdup(text);
    wheelname_free(&w);
    char *dir = xstrndup(text, (size_t)(slash - text));
    if (urlmap_pytorch_index(dir, &pi))
        note_variant(job, pi.variant);
    free(dir);
    return 0;
}

static void see_requirement(struct pip_job *job, const char *text, const char *file,
                            const char *item)
{
    struct pep508_req r;
    int rc = pep508_parse(text, &r, NULL);
    int bare = 0;
    if (rc == PEP508_UNNAMED) {
        pep508_free(&r);
        bare = official_wheel_url(job, text, &r) == 0;
    }
    if (rc != PEP508_OK && !bare) {
        pep508_free(&r);
        return;
    }
    if (!config_list_has(job->cfg->pip_packages, r.norm_name) || arbitrary_equality(&r)) {
        pep508_free(&r);  /* not ours, or ===: nothing to pin, pip judges it */
        return;
    }
    job->treqs = xrealloc(job->treqs, (job->ntreqs + 1) * sizeof *job->treqs);
    struct pip_treq *t = &job->treqs[job->ntreqs++];
    memset(t, 0, sizeof *t);
    t->req = r;
    t->text = xstrdup(text);
    t->file = file ? xstrdup(file) : NULL;
    t->item = item;
    t->bare_url = bare;
    struct pytorch_index pi;
    const char *slash = r.url ? strrchr(r.url, '/') : NULL;
    if (slash && !bare) {  /* torch @ https://download.pytorch.org/whl/cu121/...: its variant */
        char *dir = xstrndup(r.url, (size_t)(slash - r.url));
        if (urlmap_pytorch_index(dir, &pi))
            note_variant(job, pi.variant);
        free(dir);
    }
    /* torch==1.10.1+cu113: the local label names the variant */
    const struct pep440 *pin;
    if (pep440_specset_is_exact(&r.spec, &pin) && pep440_local(pin)) {
        char v[32];
        snprintf(v, sizeof v, "%s", pep440_local(pin));
        if (urlmap_valid_variant(v))
            note_variant(job, v);
    }
}

static void analyse_option_hook(void *ctx, const char *file, int opt, const char *value,
                                struct strv *out)
{
    (void)file;
    (void)out;
    struct pip_job *job = ctx;
    if (opt == PIP_INDEX_URL || opt == PIP_EXTRA_INDEX_URL || opt == PIP_FIND_LINKS)
        see_source(job, opt, value);
    else if (opt == PIP_NO_INDEX)
        job->no_index = 1;
    else if (opt == PIP_PRE)
        job->pre = 1;
}

static void analyse_requirement_hook(void *ctx, const char *file, const char *req,
                                     struct strv *out)
{
    (void)out;
    see_requirement(ctx, req, file, NULL);
}

int pip_job_init(struct pip_job *job, const struct config *cfg, const char *real_pip, int argc,
                 char *const *args, char **err)
{
    memset(job, 0, sizeof *job);
    job->cfg = cfg;
    job->real_pip = real_pip;
    job->wheels_site = config_site_for(cfg, ROLE_WHEELS);
    *err = NULL;
    char *perr = NULL;
    if (pipcmd_parse(argc, args, &job->cl, &perr)) {
        *err = xasprintf("cannot follow this pip command line: %s", perr);
        free(perr);
        return -1;
    }
    job->subcmd = job->cl.subcmd;
    job->installs = pipcmd_installs(job->subcmd);
    if (!job->installs)
        return 0;

    struct reqfile_hooks hooks = { analyse_option_hook, analyse_requirement_hook, job };
    int after_sub = 0;
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_SUBCOMMAND) {
            after_sub = 1;
            continue;
        }
        if (it->kind == IT_POSITIONAL) {
            if (after_sub)
                see_requirement(job, it->value, NULL, it->value);
            continue;
        }
        if (it->kind != IT_OPTION)
            continue;
        switch (it->opt->id) {
        case PIP_ISOLATED: job->isolated = 1; break;
        case PIP_NO_INDEX: job->no_index = 1; break;
        case PIP_PRE: job->pre = 1; break;
        case PIP_PLATFORM: job->platform_given = 1; break;
        case PIP_PYTHON_VERSION:
            snprintf(job->python_version, sizeof job->python_version, "%s", it->value);
            break;
        case PIP_INDEX_URL:
        case PIP_EXTRA_INDEX_URL:
        case PIP_FIND_LINKS: see_source(job, it->opt->id, it->value); break;
        case PIP_REQUIREMENT:
        case PIP_CONSTRAINT: {
            char *rerr = NULL, *copy = NULL;
            if (reqfile_process(it->value, &hooks, NULL, &copy, &rerr)) {
                *err = rerr;
                return -1;
            }
            break;
        }
        default: break;
        }
    }
    if (!job->isolated) {
        static const struct { const char *var; int opt; } envs[] = {
            { "PIP_INDEX_URL", PIP_INDEX_URL },
            { "PIP_EXTRA_INDEX_URL", PIP_EXTRA_INDEX_URL },
            { "PIP_FIND_LINKS", PIP_FIND_LINKS },
        };
        for (size_t e = 0; e < sizeof envs / sizeof *envs; e++) {
            see_sources(job, envs[e].opt, getenv(envs[e].var));
        }
        if (env_true("PIP_NO_INDEX"))
            job->no_index = 1;
        pipconf_load(&job->conf, real_pip, job->subcmd);
        see_sources(job, PIP_INDEX_URL, job->conf.value[PC_INDEX_URL]);
        see_sources(job, PIP_EXTRA_INDEX_URL, job->conf.value[PC_EXTRA_INDEX_URL]);
        see_sources(job, PIP_FIND_LINKS, job->conf.value[PC_FIND_LINKS]);
        if (job->conf.value[PC_NO_INDEX] && strchr("1tTyY", job->conf.value[PC_NO_INDEX][0]))
            job->no_index = 1;
    }
    return 0;
}

void pip_job_free(struct pip_job *job)
{
    cmdline_free(&job->cl);
    for (size_t i = 0; i < job->ntreqs; i++) {
        pep508_free(&job->treqs[i].req);
        free(job->treqs[i].text);
        free(job->treqs[i].file);
        free(job->treqs[i].pinned);
        free(job->treqs[i].wheel_url);
        free(job->treqs[i].wheel_hash);
    }
    free(job->treqs);
    strv_clear(&job->wheel_urls);
    strv_clear(&job->notes);
    env_changes_clear(&job->env);
    free(job->reqdir);
    pipconf_free(&job->conf);
    strv_clear(&job->warnings);
    free(job->error);
    memset(job, 0, sizeof *job);
}

int pip_job_is_pytorch(const struct pip_job *job)
{
    return job->installs && (job->ntreqs > 0 || job->pytorch_source);
}
