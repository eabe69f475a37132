/* rewrite_conda.c — see rewrite_conda.h. */
#include "rewrite_conda.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "condacmd.h"
#include "msg.h"
#include "urlmap.h"

int conda_map_channel(const struct config *cfg, const struct site *conda_site, const char *value,
                      struct strv *out)
{
    char name[128];
    if (!urlmap_conda_channel(value, name, sizeof name))
        return 0;
    if (!strcmp(name, "nvidia")) {
        const struct site *s = config_site_for(cfg, ROLE_NVIDIA);
        if (!s || site_is_official(s))
            return 0;
        strv_push(out, s->url[ROLE_NVIDIA]);
        return 1;
    }
    const struct site *s = conda_site;
    if (!s || site_is_official(s))
        return 0;
    if (!strcmp(name, "defaults")) {
        if (!s->defaults)
            return 0;
        int n = 0;
        char *dup = xstrdup(s->defaults), *save = NULL;
        for (char *u = strtok_r(dup, " \t", &save); u; u = strtok_r(NULL, " \t", &save), n++)
            strv_push(out, u);
        free(dup);
        return n;
    }
    if (!site_serves_channel(s, name))
        return 0;
    /* keep a label path: pytorch/label/nightly */
    const char *rest = strstr(value, name);
    rest = rest ? rest + strlen(name) : "";
    size_t rl = strlen(rest);
    while (rl && rest[rl - 1] == '/')
        rl--;
    strv_pushf(out, "%s/%s%.*s", s->url[ROLE_CONDA], name, (int)rl, rest);
    return 1;
}

static void add_spec(struct conda_job *job, const char *text, const char *item)
{
    struct matchspec ms;
    char *err = NULL;
    if (matchspec_parse(text, &ms, &err)) {
        free(err);
        return;  /* conda will say what is wrong with it */
    }
    job->specs = xrealloc(job->specs, (job->nspecs + 1) * sizeof *job->specs);
    struct conda_spec *s = &job->specs[job->nspecs++];
    memset(s, 0, sizeof *s);
    s->text = xstrdup(text);
    s->ms = ms;
    s->family = config_list_has(job->cfg->conda_packages, ms.name);
    s->item = item;
}

/* conda --file: one spec per line, '#' comments; an @EXPLICIT file lists
 * package URLs, which we leave to conda. */
static int read_spec_file(struct conda_job *job, const char *path, char **err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        *err = xasprintf("cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char line[4096];
    while (fgets(line, sizeof line, f)) {
        char *h = strchr(line, '#');
        if (h)
            *h = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        size_t n = strlen(p);
        while (n && isspace((unsigned char)p[n - 1]))
            p[--n] = '\0';
        if (!n)
            continue;
        if (!strcmp(p, "@EXPLICIT"))
            break;
        add_spec(job, p, NULL);
    }
    fclose(f);
    return 0;
}

int conda_job_init(struct conda_job *job, const struct config *cfg, int argc, char *const *args,
                   char **err)
{
    memset(job, 0, sizeof *job);
    job->cfg = cfg;
    job->conda_site = config_site_for(cfg, ROLE_CONDA);
    *err = NULL;
    char *perr = NULL;
    if (condacmd_parse(argc, args, &job->cl, &perr)) {
        *err = xasprintf("cannot follow this command line: %s", perr);
        free(perr);
        return -1;
    }
    job->subcmd = job->cl.subcmd;
    job->installs = condacmd_installs(job->subcmd);
    if (!job->installs)
        return 0;
    int after_sub = 0;
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_SUBCOMMAND) {
            after_sub = 1;
        } else if (it->kind == IT_POSITIONAL) {
            if (after_sub)
                add_spec(job, it->value, it->value);
        } else if (it->kind == IT_OPTION) {
            switch (it->opt->id) {
            case CONDA_OVERRIDE_CHANNELS: job->override_channels = 1; break;
            case CONDA_NAME: free(job->env_name); job->env_name = xstrdup(it->value); break;
            case CONDA_PREFIX: free(job->env_prefix); job->env_prefix = xstrdup(it->value); break;
            case CONDA_SUBDIR: free(job->subdir); job->subdir = xstrdup(it->value); break;
            case CONDA_CHANNEL: strv_push(&job->channels, it->value); break;
            case CONDA_FILE:
                if (read_spec_file(job, it->value, err))
                    return -1;
                break;
            default: break;
            }
        }
    }
    return 0;
}

void conda_job_free(struct conda_job *job)
{
    cmdline_free(&job->cl);
    for (size_t i = 0; i < job->nspecs; i++) {
        free(job->specs[i].text);
        matchspec_free(&job->specs[i].ms);
        free(job->specs[i].replacement);
    }
    free(job->specs);
    free(job->env_name);
    free(job->env_prefix);
    free(job->subdir);
    strv_clear(&job->channels);
    strv_clear(&job->notes);
    memset(job, 0, sizeof *job);
}

int conda_job_is_pytorch(const struct conda_job *job)
{
    if (!job->installs)
        return 0;
    for (size_t i = 0; i < job->nspecs; i++)
        if (job->specs[i].family)
            return 1;
    return 0;
}

void conda_job_rewrite_channels(struct conda_job *job)
{
    strv_clear(&job->channels);
    for (size_t i = 0; i < job->cl.n; i++) {
        struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL) {
            struct strv urls = STRV_INIT;
            if (conda_map_channel(job->cfg, job->conda_site, it->value, &urls)) {
                const struct optdef *opt = it->opt;
                strv_pushf(&job->notes, "-c %s -> -c %s", it->value, urls.v[0]);
                cmdline_set_option(it, opt, "-c", urls.v[0]);
                for (size_t k = 1; k < urls.n; k++) {
                    /* may move the items: `it` is not used after this */
                    cmdline_set_option(cmdline_insert(&job->cl, i + k), opt, "-c", urls.v[k]);
                    strv_pushf(&job->notes, "   and -c %s", urls.v[k]);
                }
                strv_extend(&job->channels, urls.v, urls.n);
                i += urls.n - 1;
            } else {
                strv_push(&job->channels, it->value);
            }
            strv_clear(&urls);
        } else if (it->kind == IT_POSITIONAL && it->value && strstr(it->value, "::")) {
            /* pytorch::pytorch -> <mirror>/pytorch::pytorch */
            const char *sep = strstr(it->value, "::");
            char *chan = xstrndup(it->value, (size_t)(sep - it->value));
            struct strv urls = STRV_INIT;
            if (conda_map_channel(job->cfg, job->conda_site, chan, &urls) == 1) {
                char *spec = xasprintf("%s%s", urls.v[0], sep);
                strv_pushf(&job->notes, "%s -> %s", it->value, spec);
                struct conda_spec *owner = NULL;
                for (size_t s = 0; s < job->nspecs; s++)
                    if (job->specs[s].item == it->value)
                        owner = &job->specs[s];
                cmdline_set_positional(it, spec);  /* frees the old value */
                if (owner)
                    owner->item = it->value;
                free(spec);
            }
            strv_clear(&urls);
            free(chan);
        }
    }
}

void conda_job_add_spec(struct conda_job *job, const char *spec)
{
    /* after the last spec, where a person would have written it */
    size_t end = cmdline_options_end(&job->cl), at = end;
    for (size_t i = 0; i < end; i++)
        if (job->cl.items[i].kind == IT_POSITIONAL)
            at = i + 1;
    cmdline_set_positional(cmdline_insert(&job->cl, at), spec);
}

void conda_job_add_channel(struct conda_job *job, const char *value)
{
    for (size_t i = 0; i < job->cl.n; i++) {
        const struct cmd_item *it = &job->cl.items[i];
        if (it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL && !strcmp(it->value, value))
            return;
    }
    struct strv urls = STRV_INIT;
    if (!conda_map_channel(job->cfg, job->conda_site, value, &urls))
        strv_push(&urls, value);
    for (size_t k = 0; k < urls.n; k++) {
        int have = 0;
        for (size_t i = 0; i < job->cl.n; i++) {
            const struct cmd_item *it = &job->cl.items[i];
            have |= it->kind == IT_OPTION && it->opt->id == CONDA_CHANNEL &&
                    !strcmp(it->value, urls.v[k]);
        }
        if (!have) {
            cmdline_set_option(cmdline_insert(&job->cl, cmdline_options_end(&job->cl)),
                               condacmd_option(CONDA_CHANNEL), "-c", urls.v[k]);
            strv_push(&job->channels, urls.v[k]);
            strv_pushf(&job->notes, "added -c %s (the packages pytorch-cuda needs live there)",
                       urls.v[k]);
        }
    }
    strv_clear(&urls);
}

void conda_job_emit(struct conda_job *job, const char *real, struct strv *argv)
{
    for (size_t s = 0; s < job->nspecs; s++) {
        struct conda_spec *sp = &job->specs[s];
        for (size_t i = 0; sp->replacement && sp->item && i < job->cl.n; i++)
            if (job->cl.items[i].value == sp->item)
                cmdline_set_positional(&job->cl.items[i], sp->replacement);
    }
    strv_push(argv, real);
    cmdline_to_argv(&job->cl, argv);
}
