/* pipsources.c — see pipsources.h. */
#include "pipsources.h"

#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "pipcmd.h"
#include "pipconf.h"
#include "pipfetch.h"
#include "reqfile.h"

/* NAME's value as the real pip sees it: JOB's environment changes applied. */
static const char *pip_env(const struct pip_job *job, const char *name)
{
    const char *v = getenv(name);
    size_t n = strlen(name);
    for (size_t i = 0; i < job->env.set.n; i++) {
        const char *s = job->env.set.v[i];
        if (!strncmp(s, name, n) && (s[n] == '=' || !s[n]))
            v = job->env.ops.v[i][0] == 'U' ? NULL : s + n + 1;
    }
    return v && *v ? v : NULL;
}

/* The setting of key K from the environment (VAR) or pip's files: pip's
 * defaults, which the command line overrides or appends to. */
static const char *pip_default(const struct pip_job *job, const char *var, enum pipconf_key k)
{
    if (job->isolated)
        return NULL;
    const char *v = pip_env(job, var);
    return v ? v : job->conf.value[k];
}

static void add_words(struct strv *out, const char *list)
{
    char *dup = xstrdup(list ? list : ""), *save = NULL;
    for (char *w = strtok_r(dup, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
        strv_push(out, w);
    free(dup);
}

static void cl_values(const struct pip_job *job, int id, struct strv *out)
{
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->id == id && it->value)
            strv_push(out, it->value);
    }
}

void pip_sources_collect(const struct pip_job *job, struct pip_sources *s)
{
    struct strv idx = STRV_INIT;
    const char *noi = pip_default(job, "PIP_NO_INDEX", PC_NO_INDEX);
    memset(s, 0, sizeof *s);
    s->no_index = pipfetch_opt(job, "no-index") || (noi && strchr("1tTyY", noi[0]));
    cl_values(job, PIP_INDEX_URL, &idx);
    if (idx.n)
        strv_push(&s->index, idx.v[idx.n - 1]);
    else
        add_words(&s->index, pip_default(job, "PIP_INDEX_URL", PC_INDEX_URL));
    if (!s->index.n)
        strv_push(&s->index, "https://pypi.org/simple");
    while (s->index.n > 1)   /* an index URL is one value */
        strv_remove(&s->index, s->index.n - 1);
    add_words(&s->index, pip_default(job, "PIP_EXTRA_INDEX_URL", PC_EXTRA_INDEX_URL));
    cl_values(job, PIP_EXTRA_INDEX_URL, &s->index);
    add_words(&s->flat, pip_default(job, "PIP_FIND_LINKS", PC_FIND_LINKS));
    cl_values(job, PIP_FIND_LINKS, &s->flat);
    strv_clear(&idx);
}

void pip_sources_free(struct pip_sources *s)
{
    strv_clear(&s->flat);
    strv_clear(&s->index);
}

static int same_url(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    while (na && a[na - 1] == '/')
        na--;
    while (nb && b[nb - 1] == '/')
        nb--;
    return na == nb && !strncmp(a, b, na);
}

/* The wheels mirror's page of the pins (its format tells the kind). */
static char *wheels_page(const struct pip_job *job)
{
    const struct site *s = job->wheels_site;
    const char *tmpl = !s ? NULL : job->nightly ? s->wheels_nightly : s->url[ROLE_WHEELS];
    return tmpl && job->resolved_variant[0] ? site_wheels_url(tmpl, job->resolved_variant)
                                            : NULL;
}

char *pip_sources_unknown(const struct pip_job *job, const struct pip_sources *s)
{
    const struct site *pypi = config_site_for(job->cfg, ROLE_PYPI);
    char *wp = wheels_page(job), *unknown = NULL;
    int wflat = job->wheels_site && job->wheels_site->wheels_format == WHEELS_FIND_LINKS;
    for (size_t i = 0; !unknown && i < s->index.n; i++) {
        const char *u = s->index.v[i];
        if (!(pypi && same_url(u, pypi->url[ROLE_PYPI])) && !(wp && !wflat && same_url(u, wp)))
            unknown = xstrdup(u);
    }
    for (size_t i = 0; !unknown && i < s->flat.n; i++) {
        const char *u = s->flat.v[i];
        if (!(wp && wflat && same_url(u, wp)) && !(job->reqdir && same_url(u, job->reqdir)) &&
            strcmp(u, "/nonexistent"))
            unknown = xstrdup(u);
    }
    free(wp);
    return unknown;
}

static void source_option(void *ctx, const char *file, int opt, const char *value,
                          struct strv *out)
{
    (void)file, (void)value, (void)out;
    *(int *)ctx |= opt == PIP_INDEX_URL || opt == PIP_EXTRA_INDEX_URL ||
                   opt == PIP_FIND_LINKS || opt == PIP_NO_INDEX;
}

int pip_sources_in_reqfiles(const struct pip_job *job)
{
    int found = 0;
    struct reqfile_hooks h = { source_option, NULL, &found };
    for (size_t i = 0; !found && i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        char *err = NULL, *copy = NULL;
        if (it->kind == IT_OPTION && it->value &&
            (it->opt->id == PIP_REQUIREMENT || it->opt->id == PIP_CONSTRAINT) &&
            reqfile_process(it->value, &h, NULL, &copy, &err))
            found = 1;  /* unreadable: pip's problem, not ours to guess */
        free(err);
        free(copy);
    }
    return found;
}
